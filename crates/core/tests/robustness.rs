//! The loader and the evaluator never panic, whatever they are given.

use frontline_core::{evaluate, load, load_with_report, Answered, Transcript};
use proptest::prelude::*;
use serde_json::Value;

const DEFAULT: &str = include_str!("../../../public/rules/default.json");

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z_.=!<>]{0,12}".prop_map(Value::String),
        proptest::sample::select(vec![
            "schema",
            "frontline.ruleset/v1",
            "and",
            "in",
            "var",
            "==",
            "type",
            "question",
            "end",
            "08:00",
            "24:00",
            "Europe/Paris"
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the value at a random place in `v` with `new`.
fn mutate(v: &mut Value, mut pick: usize, new: Value) {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(m) => m.values().map(count).sum(),
            _ => 0,
        }
    }
    pick %= count(v);
    fn walk(v: &mut Value, pick: &mut usize, new: &Value) -> bool {
        if *pick == 0 {
            *v = new.clone();
            return true;
        }
        *pick -= 1;
        match v {
            Value::Array(a) => a.iter_mut().any(|x| walk(x, pick, new)),
            Value::Object(m) => m.values_mut().any(|x| walk(x, pick, new)),
            _ => false,
        }
    }
    walk(v, &mut pick, &new);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let (r, report) = load_with_report(&text);
        // Whatever was read, something was said about it unless it was a ruleset.
        let looks_like_object = text.trim_start().starts_with('{');
        prop_assert!(r.is_none() || !report.is_empty() || looks_like_object);
    }

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        let _ = load(&v.to_string());
    }

    #[test]
    fn a_mutated_default_ruleset_never_panics(pick in any::<usize>(), new in arb_json(), evaluate_too in any::<bool>()) {
        let mut v: Value = serde_json::from_str(DEFAULT).unwrap();
        mutate(&mut v, pick, new);
        let (r, _) = load_with_report(&v.to_string());
        if let (Some(r), true) = (r, evaluate_too) {
            for p in frontline_core::eval::outcome_paths(&r, 100).paths {
                let _ = evaluate(&r, &p.transcript());
            }
        }
    }

    #[test]
    fn arbitrary_transcripts_never_panic(
        product in proptest::option::of("[a-z0-9]{0,8}|azure|m365|marketplace|managed"),
        kind in proptest::option::of("technical|billing|account|[a-z]{0,6}"),
        answers in prop::collection::vec(("[a-z0-9-]{0,14}|m365-health|azure-health|account-who", "none|incident|ours|fixed|still_broken|continue|[a-z]{0,5}"), 0..8),
        severity in proptest::option::of("A|B|C|Z"),
    ) {
        let r = load(DEFAULT).unwrap();
        let t = Transcript {
            product,
            kind,
            answers: answers.into_iter().map(|(node, answer)| Answered { node, answer }).collect(),
            severity,
        };
        let _ = evaluate(&r, &t);
    }
}
