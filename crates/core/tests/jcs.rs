//! The ruleset hash's canonical form is RFC 8785 (JCS): checked against the
//! RFC's own vectors, its authors' test files, a reference canonicalizer
//! written here from other parts (the `ryu-js` crate's ECMAScript numbers,
//! serde_json's string escaping, the standard library's sort of UTF-16
//! code units) on random values, and, for the default ruleset, against a
//! hash derived without our canonicalizer or our SHA-256.

use frontline_core::hash::{canonical_json, legacy_canonical_json, write_number};
use frontline_core::json::parse_nearest as parse;
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

fn number(f: f64) -> String {
    let mut out = String::new();
    write_number(&mut out, f);
    out
}

/// RFC 8785 Appendix B, every row: IEEE-754 bits → the JSON text.
const APPENDIX_B: &[(u64, &str)] = &[
    (0x0000000000000000, "0"),                        // Zero
    (0x8000000000000000, "0"),                        // Minus zero
    (0x0000000000000001, "5e-324"),                   // Min pos number
    (0x8000000000000001, "-5e-324"),                  // Min neg number
    (0x7fefffffffffffff, "1.7976931348623157e+308"),  // Max pos number
    (0xffefffffffffffff, "-1.7976931348623157e+308"), // Max neg number
    (0x4340000000000000, "9007199254740992"),         // Max pos int (1)
    (0xc340000000000000, "-9007199254740992"),        // Max neg int (1)
    (0x4430000000000000, "295147905179352830000"),    // ~2**68 (2)
    // 7fffffffffffffff NaN and 7ff0000000000000 Infinity (3): no JSON
    // text; see `nan_and_infinity_cannot_be_canonicalized`.
    (0x44b52d02c7e14af5, "9.999999999999997e+22"),
    (0x44b52d02c7e14af6, "1e+23"),
    (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
    (0x444b1ae4d6e2ef4e, "999999999999999700000"),
    (0x444b1ae4d6e2ef4f, "999999999999999900000"),
    (0x444b1ae4d6e2ef50, "1e+21"),
    (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
    (0x3eb0c6f7a0b5ed8d, "0.000001"),
    (0x41b3de4355555553, "333333333.3333332"),
    (0x41b3de4355555554, "333333333.33333325"),
    (0x41b3de4355555555, "333333333.3333333"),
    (0x41b3de4355555556, "333333333.3333334"),
    (0x41b3de4355555557, "333333333.33333343"),
    (0xbecbf647612f3696, "-0.0000033333333333333333"),
    (0x43143ff3c1cb0959, "1424953923781206.2"), // Round to even (4)
];

#[test]
fn numbers_are_written_as_rfc_8785_appendix_b_says() {
    let wrong: Vec<String> = APPENDIX_B
        .iter()
        .filter_map(|&(bits, want)| {
            let got = number(f64::from_bits(bits));
            (got != want).then(|| format!("{bits:016x}: {got}, expected {want}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    // And through the whole path, as a number in a document.
    let v = Value::Array(
        APPENDIX_B
            .iter()
            .map(|&(bits, _)| Value::Number(Number::from_f64(f64::from_bits(bits)).unwrap()))
            .collect(),
    );
    let want: Vec<&str> = APPENDIX_B.iter().map(|r| r.1).collect();
    assert_eq!(canonical_json(&v), format!("[{}]", want.join(",")));
}

#[test]
fn numbers_are_read_as_the_nearest_double() {
    // RFC 8785 §3.2.4's example number, 17 digits: serde_json's own
    // conversion (frontline_core::json::parse) gives the double above it.
    let v =
        parse("[333333333.33333329, 1e-27, 9007199254740993.0, 2.2250738585072011e-308]").unwrap();
    assert_eq!(
        canonical_json(&v),
        "[333333333.3333333,1e-27,9007199254740992,2.225073858507201e-308]"
    );
    // Past 1e-308, where serde_json's conversion divides twice (a bug of
    // ours that proptest found: the fast-path test ran after that loop).
    assert_eq!(
        parse("3.9165306004032e-296").unwrap().as_f64().unwrap(),
        "3.9165306004032e-296".parse::<f64>().unwrap()
    );
    assert_ne!(
        frontline_core::json::parse("333333333.33333329").unwrap(),
        parse("333333333.33333329").unwrap(),
        "not a test of the nearest double any more: find a number serde_json misreads"
    );
}

#[test]
fn nan_and_infinity_cannot_be_canonicalized() {
    // RFC 8785 §3.2.2.2: they must cause an error. A `Value` cannot hold
    // them, and the parser refuses a number that overflows to infinity.
    assert!(Number::from_f64(f64::NAN).is_none());
    assert!(Number::from_f64(f64::INFINITY).is_none());
    assert!(parse("[1e400]").is_err());
    assert!(parse("[NaN]").is_err());
}

#[test]
fn numbers_around_the_layout_boundaries() {
    // ECMAScript Number::toString's cases (and the RFC's §3.2.2.3 notes).
    for (f, want) in [
        (1.0, "1"),
        (-1.0, "-1"),
        (56.0, "56"),
        (4.5, "4.5"),
        (0.002, "0.002"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e21, "1.5e+21"),
        (123e18, "123000000000000000000"),
        (1e-6, "0.000001"),
        (1.5e-6, "0.0000015"),
        (1e-7, "1e-7"),
        (1.25e-7, "1.25e-7"),
        (1e30, "1e+30"),
        (1e-27, "1e-27"),
        (0.1, "0.1"),
        (123.456, "123.456"),
        (9007199254740993.0, "9007199254740992"),
    ] {
        assert_eq!(number(f), want, "{f:e}");
    }
}

#[test]
fn integers_past_2_53_become_their_doubles() {
    // I-JSON (RFC 7493), which JCS builds on: every number is a double.
    let v =
        parse("[9007199254740993, -9007199254740993, 18446744073709551615, 295147905179352825856]")
            .unwrap();
    assert_eq!(
        canonical_json(&v),
        "[9007199254740992,-9007199254740992,18446744073709552000,295147905179352830000]"
    );
}

#[test]
fn members_are_sorted_as_rfc_8785_section_3_2_3_shows() {
    let input = r#"{
       "\u20ac": "Euro Sign",
       "\r": "Carriage Return",
       "\ufb33": "Hebrew Letter Dalet With Dagesh",
       "1": "One",
       "\ud83d\ude00": "Emoji: Grinning Face",
       "\u0080": "Control",
       "\u00f6": "Latin Small Letter O With Diaeresis"
     }"#;
    let text = canonical_json(&parse(input).unwrap());
    let at = |value: &str| {
        text.find(value)
            .unwrap_or_else(|| panic!("{value}: {text}"))
    };
    let order = [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ];
    for pair in order.windows(2) {
        assert!(
            at(pair[0]) < at(pair[1]),
            "{} before {}: {text}",
            pair[0],
            pair[1]
        );
    }
    // By UTF-8 bytes (the legacy form) the emoji comes last: the difference.
    assert!(
        legacy_canonical_json(&parse(input).unwrap()).ends_with("\"😀\":\"Emoji: Grinning Face\"}")
    );
}

/// Where the RFC authors' test files are (tests/data/jcs/README.md), and their names.
const RFC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/jcs");
const RFC_FILES: [&str; 6] = [
    "arrays",
    "french",
    "structures",
    "unicode",
    "values",
    "weird",
];

/// The RFC authors' test files (tests/data/jcs/README.md).
#[test]
fn the_rfc_authors_test_files_canonicalize_byte_for_byte() {
    let dir = RFC_DIR;
    let mut seen = 0;
    for name in RFC_FILES {
        let read = |part: &str| {
            std::fs::read_to_string(format!("{dir}/{part}/{name}.json"))
                .unwrap_or_else(|e| panic!("{dir}/{part}/{name}.json: {e}"))
        };
        let (input, expected) = (read("input"), read("output"));
        let value = parse(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(canonical_json(&value), expected, "{name}");
        seen += 1;
    }
    assert_eq!(seen, 6);
}

/// RFC 8785 put together from parts that are not ours: `ryu-js` (an
/// ECMAScript-compliant float printer) for numbers, serde_json for strings
/// (its escaping is JCS's), and members sorted by their UTF-16 code units
/// with the standard library's sort.
fn reference_jcs(v: &Value) -> String {
    match v {
        Value::Number(n) => {
            let f = n.as_f64().unwrap();
            if f == 0.0 {
                "0".into()
            } else {
                ryu_js::Buffer::new().format_finite(f).to_owned()
            }
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(reference_jcs).collect::<Vec<_>>().join(",")
        ),
        Value::Object(m) => {
            let mut members: Vec<(&String, &Value)> = m.iter().collect();
            members.sort_by_key(|(k, _)| k.encode_utf16().collect::<Vec<u16>>());
            let inner: Vec<String> = members
                .into_iter()
                .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), reference_jcs(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        other => serde_json::to_string(other).unwrap(),
    }
}

#[test]
fn the_reference_canonicalizer_passes_the_rfc_files_too() {
    // So that agreeing with it means something.
    let dir = RFC_DIR;
    for name in RFC_FILES {
        let input = std::fs::read_to_string(format!("{dir}/input/{name}.json")).unwrap();
        let expected = std::fs::read_to_string(format!("{dir}/output/{name}.json")).unwrap();
        let value: Value = parse(&input).unwrap();
        assert_eq!(reference_jcs(&value), expected, "{name}");
    }
}

/// The default ruleset's hash, derived without our code: serde_json's
/// parser, the reference canonical form above and the `sha2` crate's
/// SHA-256. Not a constant, so an edit to default.json does not need the
/// test edited; and not our canonicalizer checking itself.
#[test]
fn the_default_ruleset_hash_is_the_sha256_of_its_rfc_8785_form() {
    use sha2::Digest;
    let text = include_str!("../../../public/rules/default.json");
    let value: Value = serde_json::from_str(text).unwrap();
    let independent = format!(
        "{:x}",
        sha2::Sha256::digest(reference_jcs(&value).as_bytes())
    );
    let ruleset = frontline_core::load(text).unwrap();
    assert_eq!(ruleset.hash(), independent);
    // A second, plainer route for this document: its numbers are all
    // integers below 2^53 and its member names ASCII, so its JCS form is
    // serde_json's compact text with sorted keys (byte order, which is
    // UTF-16 order for ASCII) ...
    fn plain(v: &Value) -> bool {
        match v {
            Value::Number(n) => n.as_i64().is_some_and(|i| i.abs() < 1 << 53),
            Value::Array(a) => a.iter().all(plain),
            Value::Object(m) => m.iter().all(|(k, v)| k.is_ascii() && plain(v)),
            _ => true,
        }
    }
    assert!(
        plain(&value),
        "default.json has floats or non-ASCII names now: drop this route"
    );
    assert_eq!(old_hash(text), ruleset.hash());
    // ... which is also why its hash did not change with JCS.
    assert_eq!(legacy_canonical_json(&value), canonical_json(&value));
    assert_eq!(ruleset.legacy_hash(), ruleset.hash());
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Every finite double, by its bits (subnormals, huge, tiny).
        any::<u64>().prop_filter_map("finite", |b| Number::from_f64(f64::from_bits(b))
            .map(Value::Number)),
        (-1e7f64..1e7).prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        any::<String>().prop_map(Value::String),
        "[\\x00-\\x1f\"\\\\\u{7f}\u{2028}\u{e000}-\u{ffff}\u{10000}-\u{10ffff}a]{0,6}"
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    "[a\u{7f}\u{e9}\u{d7ff}\u{e000}\u{ff61}\u{fffd}\u{10000}\u{1f600}\u{10ffff}]{0,3}",
                    inner
                ),
                0..6
            )
            .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The same text as the reference canonicalizer, on numbers and names
    /// chosen to reach the corners: every double, names mixing
    /// U+E000-U+FFFF and astral characters (where UTF-16 and UTF-8 orders
    /// differ), control characters.
    #[test]
    fn canonical_json_agrees_with_the_reference(v in json_value()) {
        prop_assert_eq!(canonical_json(&v), reference_jcs(&v));
    }

    /// The parser's numbers are the standard library's (correctly rounded)
    /// reading of the same text, on numbers made to be hard: up to 40
    /// digits, exponents near the ends of the range, halfway cases.
    #[test]
    fn numbers_parse_to_the_nearest_double(
        int in "[0-9]{1,25}",
        frac in proptest::option::of("[0-9]{1,25}"),
        exp in proptest::option::of(-340i32..320),
    ) {
        let mut text = int.trim_start_matches('0').to_owned();
        if text.is_empty() {
            text.push('0');
        }
        if let Some(f) = &frac {
            text = format!("{text}.{f}");
        }
        if let Some(e) = exp {
            text = format!("{text}e{e}");
        }
        let want: f64 = text.parse().unwrap();
        prop_assume!(want.is_finite());
        let got = parse(&text).unwrap().as_f64().unwrap();
        prop_assert_eq!(got.to_bits(), want.to_bits(), "{}", text);
    }

    /// Exactly halfway between two doubles, and just either side: ties go
    /// to the even one.
    #[test]
    fn halfway_numbers_round_to_even(bits in 1u64..0x7fef_ffff_ffff_ffff) {
        // The exact midpoint with the next double up, in decimal.
        let mid = exact_decimal_midpoint(f64::from_bits(bits));
        let want: f64 = mid.parse().unwrap();
        let got = parse(&mid).unwrap().as_f64().unwrap();
        prop_assert_eq!(got.to_bits(), want.to_bits(), "{}", mid);
        prop_assert_eq!(want.to_bits() & 1, 0);
    }

    /// A parsed number written canonically reads back as the same double,
    /// as RFC 8785 requires of its shortest form.
    #[test]
    fn numbers_read_back_as_the_same_double(bits in any::<u64>()) {
        let f = f64::from_bits(bits);
        prop_assume!(f.is_finite());
        let text = number(f);
        prop_assert_eq!(text.parse::<f64>().unwrap(), f);
    }
}

/// The exact decimal text of the midpoint between the positive double `a`
/// and the next one up: a binary fraction, so a finite decimal.
fn exact_decimal_midpoint(a: f64) -> String {
    // a = m × 2^k; the midpoint is (2m + 1) × 2^(k - 1).
    let bits = a.to_bits();
    let (biased, frac) = ((bits >> 52) as i32, bits & ((1 << 52) - 1));
    let (m, k) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | 1 << 52, biased - 1075)
    };
    let n = 2 * m + 1;
    let k = k - 1;
    // Decimal digits of n × 2^k: for k < 0, n × 5^-k × 10^k.
    let mut digits: Vec<u32> = n.to_string().bytes().map(|c| u32::from(c - b'0')).collect();
    let times = |digits: &mut Vec<u32>, by: u32| {
        let mut carry = 0;
        for d in digits.iter_mut().rev() {
            let x = *d * by + carry;
            *d = x % 10;
            carry = x / 10;
        }
        while carry > 0 {
            digits.insert(0, carry % 10);
            carry /= 10;
        }
    };
    // For k < 0: n × 5^-k, then the decimal point moved -k places.
    let (by, times_n) = if k >= 0 { (2, k) } else { (5, -k) };
    for _ in 0..times_n {
        times(&mut digits, by);
    }
    let s: String = digits.iter().map(|d| char::from(b'0' + *d as u8)).collect();
    if k >= 0 {
        s
    } else {
        format!("{s}e{k}")
    }
}

/// The default ruleset with one rule's condition holding numbers that the
/// two canonical forms write differently (`2.0`: `2.0` before, `2` in JCS),
/// so that its legacy and JCS hashes differ.
fn ruleset_with_floats() -> String {
    let mut v: Value =
        serde_json::from_str(include_str!("../../../public/rules/default.json")).unwrap();
    let when = v["rules"][0]["when"].take();
    v["rules"][0]["when"] = serde_json::json!({"and": [when, {"!=": [2.0, 1e20]}]});
    serde_json::to_string_pretty(&v).unwrap()
}

/// What the code before RFC 8785 hashed, rebuilt without it: serde_json's
/// compact text with every object's keys sorted by bytes (which
/// `json::write_sorted` was written to match byte for byte), and the
/// `sha2` crate's SHA-256.
fn old_hash(text: &str) -> String {
    use sha2::Digest;
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            Value::Object(m) => {
                let by_name: std::collections::BTreeMap<&String, Value> =
                    m.iter().map(|(k, v)| (k, sorted(v))).collect();
                Value::Object(
                    by_name
                        .into_iter()
                        .map(|(k, v)| (k.clone(), v))
                        .collect::<Map<_, _>>(),
                )
            }
            other => other.clone(),
        }
    }
    let value: Value = serde_json::from_str(text).unwrap();
    let compact = serde_json::to_string(&sorted(&value)).unwrap();
    format!("{:x}", sha2::Sha256::digest(compact.as_bytes()))
}

#[test]
fn verify_accepts_a_request_made_with_the_legacy_hash_and_names_it() {
    use frontline_core::{evaluate, verify, Decision, HashScheme, Request, Step, Transcript};
    let text = ruleset_with_floats();
    let r = frontline_core::load(&text).unwrap();
    let old = old_hash(&text);
    assert_ne!(
        r.hash(),
        old,
        "the two forms should differ for this ruleset"
    );
    assert_eq!(r.legacy_hash(), old);
    let t = Transcript::new("azure", "technical").answer("azure-health", "incident");
    let Ok(Step::Outcome(o)) = evaluate(&r, &t) else {
        panic!("no outcome")
    };
    let mut req = Request {
        transcript: t,
        outcome: Decision::from(o.as_ref()),
        ruleset: r.reference(),
    };
    let now = verify(&r, &req);
    assert!(now.matches, "{now:?}");
    assert_eq!(now.hash_scheme, Some(HashScheme::Jcs));

    req.ruleset.hash = old;
    let before = verify(&r, &req);
    assert!(before.matches, "{before:?}");
    assert_eq!(before.hash_scheme, Some(HashScheme::Legacy));
    assert_eq!(
        serde_json::to_value(&before).unwrap()["hash_scheme"],
        "legacy"
    );

    req.ruleset.hash = "0".repeat(64);
    let neither = verify(&r, &req);
    assert!(!neither.matches);
    assert_eq!(neither.hash_scheme, None);
    assert_eq!(neither.differences[0].field, "ruleset.hash");
    assert_eq!(
        neither.differences[0].recomputed,
        r.hash(),
        "the JCS hash is the one to expect"
    );
}

#[test]
fn a_verification_stored_before_hash_scheme_still_reads() {
    let v: frontline_core::Verification =
        serde_json::from_str(r#"{"matches":true,"differences":[]}"#).unwrap();
    assert_eq!(v.hash_scheme, None);
}
