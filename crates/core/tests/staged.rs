//! The two-stage read a page uses to show its first screen sooner
//! (`parse_front`, then `Rest::finish`) ends exactly where `parse` does:
//! the same ruleset, the same hash, the same problems.

use frontline_core::{parse, parse_front};
use serde_json::Value;

const DEFAULT: &str = include_str!("../../../public/rules/default.json");

fn changed(change: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(DEFAULT).expect("default.json is JSON");
    change(&mut v);
    v.to_string()
}

#[test]
fn the_front_holds_what_a_first_screen_shows_and_the_rest_finishes_the_same_ruleset() {
    let whole = parse(DEFAULT).unwrap();
    let (front, rest) = parse_front(DEFAULT).unwrap();
    assert_eq!(front.id, whole.id);
    assert_eq!(front.languages, whole.languages);
    assert_eq!(front.partner, whole.partner);
    assert_eq!(front.fallback_contact, whole.fallback_contact);
    assert_eq!(front.hours, whole.hours);
    assert_eq!(front.contact_methods, whole.contact_methods);
    assert_eq!(front.theme, whole.theme);
    assert!(!whole.nodes.is_empty() && !whole.rules.is_empty() && !whole.products.is_empty());
    assert!(front.nodes.is_empty() && front.rules.is_empty() && front.products.is_empty());
    assert!(front.kinds.is_empty() && front.severities.is_empty() && front.vehicles.is_empty());
    let finished = rest.finish().unwrap();
    assert_eq!(finished, whole);
    assert_eq!(finished.hash(), whole.hash());
    assert_eq!(finished.hash().len(), 64);
}

#[test]
fn a_problem_past_the_front_is_found_when_the_rest_is_read() {
    let text = changed(|v| v["nodes"][0]["text"] = Value::from(42));
    let whole = parse(&text).unwrap_err();
    let (_, rest) = parse_front(&text).expect("the front itself is fine");
    let finished = rest.finish().unwrap_err();
    assert_eq!(finished.to_string(), whole.to_string());
    assert!(whole.to_string().contains("$.nodes[0].text"), "{whole}");
}

#[test]
fn a_problem_in_the_front_is_reported_with_every_other_problem() {
    let text = changed(|v| {
        v["partner"].as_object_mut().unwrap().remove("name");
        v["rules"][0]["handler"] = Value::from("nobody");
    });
    let whole = parse(&text).unwrap_err();
    let front = parse_front(&text).unwrap_err();
    assert_eq!(front.to_string(), whole.to_string());
    let report = front.to_string();
    assert!(report.contains("$.partner.name"), "{report}");
    assert!(report.contains("$.rules[0].handler"), "{report}");
}

#[test]
fn unknown_fields_and_broken_json_stop_the_front_as_they_stop_parse() {
    for text in [
        changed(|v| v["colour"] = Value::from("blue")),
        "{\"schema\": ".to_owned(),
    ] {
        let whole = parse(&text).unwrap_err();
        assert_eq!(
            parse_front(&text).unwrap_err().to_string(),
            whole.to_string()
        );
    }
}
