//! Content hash of a ruleset: SHA-256 of its canonical JSON.
//!
//! The canonical JSON is RFC 8785's JSON Canonicalization Scheme (JCS), so
//! that a partner's server can recompute the hash in any language with an
//! off-the-shelf canonicalizer (Python's `jcs`, Go's
//! `github.com/cyberphone/json-canonicalization`, ...) instead of imitating
//! how one Rust library writes numbers: objects' members sorted by their
//! names as UTF-16 code units, no insignificant whitespace, strings escaped
//! as ECMAScript's `JSON.stringify` does, and every number written as
//! ECMAScript writes the IEEE-754 double it denotes (`1.0` → `1`, `1e21` →
//! `1e+21`, 2^53 + 1 → `9007199254740992`). Tested with the RFC's own
//! vectors and its authors' test files (tests/jcs.rs).
//!
//! Requests written before JCS carry the hash of an older canonical form,
//! [`legacy_canonical_json`]; only `verify` still computes it. For a
//! ruleset whose numbers are all integers below 2^53 and whose member names
//! have no characters past U+D7FF (the default ruleset, for one) the two
//! forms are the same text, so its hash did not change.
//!
//! SHA-256 is self-written (about 60 lines, ~1 KB of wasm) rather than the
//! `sha2` crate to keep the bundle lean; checked against the FIPS 180-2 test
//! vectors. SHA-256 rather than a shorter non-cryptographic hash because a
//! partner's server compares it with what the browser claims.

use serde_json::Value;

/// The RFC 8785 (JCS) canonical text of a value: what [`crate::Ruleset::hash`]
/// hashes.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_jcs(&mut out, v);
    out
}

/// The canonical form hashed before JCS: keys sorted by UTF-8 bytes,
/// numbers as `serde_json` displays them (`1.0`, `1e+21`). Kept so that
/// `verify` accepts requests made with it and can say so; nothing else
/// should use it (a server outside Rust cannot reproduce its numbers).
pub fn legacy_canonical_json(v: &Value) -> String {
    let mut out = String::new();
    crate::json::write_sorted(&mut out, v);
    out
}

/// A writer of its own rather than a mode of `json::write`, which the
/// first screen uses: folded in there, this code would ride along into the
/// first screen's module instead of the part that computes the hash.
fn write_jcs(out: &mut String, v: &Value) {
    match v {
        // JCS escapes strings exactly as serde_json does (`"` `\\`, the
        // named controls, other controls as `\u00xx`; all else literal).
        Value::String(s) => crate::json::quote(out, s),
        Value::Number(n) => write_number(out, n.as_f64().unwrap_or(0.0)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_jcs(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            // By UTF-16 code units (RFC 8785 §3.2.3), as JavaScript compares
            // strings: not UTF-8 byte order when one name has a character
            // past U+FFFF (a surrogate, D800-DBFF) where another has one in
            // U+E000-U+FFFF.
            crate::sort::sort_by(&mut members, |a, b| {
                a.0.encode_utf16().lt(b.0.encode_utf16())
            });
            out.push('{');
            for (i, (k, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                crate::json::quote(out, k);
                out.push(':');
                write_jcs(out, item);
            }
            out.push('}');
        }
        // null, true, false: as everywhere.
        _ => crate::json::write_value(out, v),
    }
}

/// Appends the finite double `f` as ECMAScript's `Number.prototype.toString`
/// writes it (RFC 8785 §3.2.2.3): the shortest digits that read back as `f`
/// (from `zmij`, which serde_json already brings into the bundle, so no
/// float printer of our own), laid out in ECMAScript's way: integer form up
/// to 10^21, `0.000001` down to 10^-6, exponent form beyond (`1e+21`,
/// `1e-7`), and `-0` as `0`. zmij's own layout differs (`123.0`,
/// `1e+20`), hence the rewrite.
pub fn write_number(out: &mut String, f: f64) {
    if f == 0.0 {
        // Also -0.
        out.push('0');
        return;
    }
    let mut buf = zmij::Buffer::new();
    let text = buf.format_finite(f);
    let (text, negative) = match text.strip_prefix('-') {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The value is 0.DIGITS × 10^point (ECMAScript's k digits and n).
    let mut point = int.len() as i32 + exponent;
    let all = [int, frac].concat();
    let lead = all.len() - all.trim_start_matches('0').len();
    point -= lead as i32;
    let digits = all.trim_matches('0');
    let k = digits.len() as i32;
    if negative {
        out.push('-');
    }
    let zeros = |out: &mut String, n: i32| (0..n).for_each(|_| out.push('0'));
    if k <= point && point <= 21 {
        out.push_str(digits);
        zeros(out, point - k);
    } else if 0 < point && point <= 21 {
        let (a, b) = digits.split_at(point as usize);
        out.push_str(a);
        out.push('.');
        out.push_str(b);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        zeros(out, -point);
        out.push_str(digits);
    } else {
        let (a, b) = digits.split_at(1);
        out.push_str(a);
        if !b.is_empty() {
            out.push('.');
            out.push_str(b);
        }
        let e = point - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&e.unsigned_abs().to_string());
    }
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 of `data`, as 64 lowercase hex digits.
pub fn sha256_hex(data: &[u8]) -> String {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let bit_len = (data.len() as u64).wrapping_mul(8);
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_fips_vectors() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        let million_a = vec![b'a'; 1_000_000];
        assert_eq!(
            sha256_hex(&million_a),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn canonical_json_ignores_key_order_and_whitespace() {
        let a: Value =
            serde_json::from_str(r#"{"b": [1, {"z": 1, "a": "é"}], "a": null}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":null,"b":[1,{"a":"é","z":1}]}"#).unwrap();
        assert_eq!(canonical_json(&a), r#"{"a":null,"b":[1,{"a":"é","z":1}]}"#);
        assert_eq!(canonical_json(&a), canonical_json(&b));
    }
}
