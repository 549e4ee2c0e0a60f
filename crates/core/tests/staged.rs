//! The two-stage read a page uses to show its first screen sooner
//! (`parse_front`, then `Rest::finish`) ends exactly where `parse` does:
//! the same ruleset, the same hash, the same problems.

use frontline_core::{parse, parse_front, read_front};
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
fn read_front_reports_the_fronts_problems_and_leaves_the_others_to_the_rest() {
    let text = changed(|v| {
        v["partner"].as_object_mut().unwrap().remove("name");
        v["rules"][0]["handler"] = Value::from("nobody");
    });
    let (front, rest) = read_front(&text).unwrap_err();
    let front = front.to_string();
    assert!(front.contains("$.partner.name"), "{front}");
    assert!(!front.contains("$.rules"), "{front}");
    // Finished, the rest reports every problem, as parse_front does.
    let whole = rest.finish().unwrap_err().to_string();
    assert_eq!(whole, parse_front(&text).unwrap_err().to_string());
    assert!(whole.contains("$.rules[0].handler"), "{whole}");
    // A sound front: the same front and rest as parse_front's.
    let (front, rest) = read_front(DEFAULT).unwrap();
    assert_eq!(front, parse_front(DEFAULT).unwrap().0);
    assert_eq!(rest.finish().unwrap(), parse(DEFAULT).unwrap());
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

#[test]
fn broken_json_in_a_list_left_for_later_is_reported_as_parse_reports_it() {
    // The front steps over the lists it leaves for later without reading
    // them: broken JSON there is reported by the front when the steps do
    // not add up, else when the rest is read; either way as `parse` does.
    let nodes = DEFAULT.find("\"nodes\"").expect("default.json has nodes");
    let open = nodes + DEFAULT[nodes..].find('[').unwrap();
    for (broken, by_front) in [
        (
            format!("{}[[1,, 2], {}", &DEFAULT[..open], &DEFAULT[open + 1..]),
            Some(false),
        ),
        (
            format!(
                "{}[{{\"id\": 1]}}, {}",
                &DEFAULT[..open],
                &DEFAULT[open + 1..]
            ),
            None,
        ),
        (
            format!(
                "{}\"unterminated, {}",
                &DEFAULT[..open],
                &DEFAULT[open + 1..]
            ),
            Some(true),
        ),
    ] {
        let whole = parse(&broken).unwrap_err().to_string();
        assert!(whole.contains("not valid JSON"), "{whole}");
        let report = match parse_front(&broken) {
            Err(front) => {
                assert_ne!(
                    by_front,
                    Some(false),
                    "the front refused what it can step over: {front}"
                );
                front
            }
            Ok((_, rest)) => {
                assert_ne!(
                    by_front,
                    Some(true),
                    "the front stepped over an unterminated string"
                );
                rest.finish().unwrap_err()
            }
        };
        assert_eq!(report.to_string(), whole);
    }
}
