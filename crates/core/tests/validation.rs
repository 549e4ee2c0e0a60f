//! One test per kind of problem the loader reports, each asserting the JSON
//! path and the message. They start from the default ruleset (which has no
//! problem at all) and break one thing.

use frontline_core::{load, load_with_report, Level, Problem};
use serde_json::{json, Value};

const DEFAULT: &str = include_str!("../../../public/rules/default.json");

fn default_value() -> Value {
    serde_json::from_str(DEFAULT).expect("default.json is JSON")
}

fn problems_after(change: impl FnOnce(&mut Value)) -> Vec<Problem> {
    let mut v = default_value();
    change(&mut v);
    load_with_report(&v.to_string()).1.problems
}

#[track_caller]
fn assert_has(problems: &[Problem], level: Level, path: &str, message: &str) {
    assert!(
        problems
            .iter()
            .any(|p| p.severity == level && p.path == path && p.message.contains(message)),
        "expected {level:?} at {path} containing {message:?}; got:\n{}",
        problems
            .iter()
            .map(|p| format!("  {p}\n"))
            .collect::<String>()
    );
}

fn node_index(v: &Value, id: &str) -> usize {
    v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .position(|n| n["id"] == id)
        .unwrap()
}

#[test]
fn the_default_ruleset_has_no_problem_at_all() {
    let (r, report) = load_with_report(DEFAULT);
    assert!(report.is_empty(), "{report}");
    let r = r.unwrap();
    assert_eq!(r.partner.name, "Northwind Cloud Services");
    assert_eq!(r.hash().len(), 64);
}

#[test]
fn invalid_json_is_reported_with_line_and_column() {
    let report = load("{\n  \"schema\": ,\n}").unwrap_err();
    assert_eq!(report.problems.len(), 1);
    assert_has(
        &report.problems,
        Level::Error,
        "$",
        "not valid JSON at line 2, column 13",
    );
}

#[test]
fn a_type_error_has_its_exact_path() {
    let p = problems_after(|v| v["products"][2]["kinds"][0]["start"] = json!(5));
    assert_has(
        &p,
        Level::Error,
        "$.products[2].kinds[0].start",
        "expected a string, found a number (5)",
    );
}

#[test]
fn every_unknown_field_is_reported_with_its_path() {
    let p = problems_after(|v| {
        v["partner"]["colour"] = json!("blue");
        v["products"][1]["kinds"][0]["strat"] = json!("x");
        v["hours"]["weekly"]["monday"] = json!([]);
    });
    assert_has(
        &p,
        Level::Error,
        "$.partner.colour",
        "unknown field \"colour\"; expected one of:",
    );
    assert_has(
        &p,
        Level::Error,
        "$.products[1].kinds[0].strat",
        "unknown field \"strat\"; expected one of: kind, start",
    );
    assert_has(
        &p,
        Level::Error,
        "$.hours.weekly.monday",
        "unknown field \"monday\"",
    );
}

#[test]
fn unknown_fields_inside_diagnosis_nodes_are_found_too() {
    let p = problems_after(|v| {
        let i = node_index(v, "billing-what");
        v["nodes"][i]["answers"][0]["nxt"] = json!("billing-howto");
    });
    let i = node_index(&default_value(), "billing-what");
    assert_has(
        &p,
        Level::Error,
        &format!("$.nodes[{i}].answers[0].nxt"),
        "unknown field \"nxt\"",
    );
}

#[test]
fn a_wrong_schema_is_reported() {
    let p = problems_after(|v| v["schema"] = json!("other/v9"));
    assert_has(
        &p,
        Level::Error,
        "$.schema",
        "expected \"frontline.ruleset/v1\", found \"other/v9\"",
    );
}

#[test]
fn duplicate_ids_are_reported() {
    let p = problems_after(|v| v["products"][1]["id"] = json!("azure"));
    assert_has(
        &p,
        Level::Error,
        "$.products[1].id",
        "duplicate product id \"azure\"",
    );
}

#[test]
fn dangling_references_are_reported() {
    let i = node_index(&default_value(), "billing-what");
    let p = problems_after(|v| v["nodes"][i]["answers"][1]["next"] = json!("nowhere"));
    assert_has(
        &p,
        Level::Error,
        &format!("$.nodes[{i}].answers[1].next"),
        "no node \"nowhere\" in $.nodes (dangling reference)",
    );
    let p = problems_after(|v| v["products"][0]["kinds"][0]["kind"] = json!("plumbing"));
    assert_has(
        &p,
        Level::Error,
        "$.products[0].kinds[0].kind",
        "no kind \"plumbing\" in $.kinds",
    );
    let p = problems_after(|v| v["partner"]["contracts"] = json!(["platinum"]));
    assert_has(
        &p,
        Level::Error,
        "$.partner.contracts[0]",
        "no vehicle \"platinum\" in $.vehicles",
    );
}

#[test]
fn an_answer_without_a_target_is_a_dead_end() {
    let i = node_index(&default_value(), "billing-what");
    let p = problems_after(|v| {
        v["nodes"][i]["answers"][0]
            .as_object_mut()
            .unwrap()
            .remove("next");
    });
    assert_has(
        &p,
        Level::Error,
        &format!("$.nodes[{i}].answers[0].next"),
        "answer without a target: this is a dead end",
    );
}

#[test]
fn a_question_without_answers_is_a_dead_end() {
    let i = node_index(&default_value(), "licensing-what");
    let p = problems_after(|v| v["nodes"][i]["answers"] = json!([]));
    assert_has(
        &p,
        Level::Error,
        &format!("$.nodes[{i}].answers"),
        "a question without answers is a dead end",
    );
}

#[test]
fn a_path_no_rule_matches_is_a_dead_end() {
    let p = problems_after(|v| {
        let rules = v["rules"].as_array_mut().unwrap();
        rules.retain(|r| r["id"] != "partner-service");
    });
    assert_has(&p, Level::Error, "$.products[4]", "dead end: the path managed/technical: managed-end reaches \"managed-end\" but no rule matches it");
}

#[test]
fn unreachable_nodes_are_warnings() {
    let mut v = default_value();
    v["nodes"].as_array_mut().unwrap().push(json!({
        "type": "end", "id": "orphan", "summary": {"en": "Orphan", "fr": "Orphelin"}
    }));
    let n = v["nodes"].as_array().unwrap().len() - 1;
    let (r, report) = load_with_report(&v.to_string());
    assert_has(
        &report.problems,
        Level::Warning,
        &format!("$.nodes[{n}]"),
        "node \"orphan\" is unreachable",
    );
    assert!(!report.has_errors(), "{report}");
    assert!(r.is_some());
    assert!(
        load(&v.to_string()).is_ok(),
        "warnings alone do not stop loading"
    );
}

#[test]
fn cycles_are_reported() {
    let i = node_index(&default_value(), "vm-changed");
    let p = problems_after(|v| v["nodes"][i]["answers"][0]["next"] = json!("azure-health"));
    let h = node_index(&default_value(), "azure-health");
    assert_has(
        &p,
        Level::Error,
        &format!("$.nodes[{h}]"),
        "cycle: \"azure-health\" can be reached again from \"vm-changed\"",
    );
}

#[test]
fn a_missing_translation_is_a_warning_and_a_missing_default_text_an_error() {
    let p = problems_after(|v| {
        v["kinds"][0]["name"].as_object_mut().unwrap().remove("fr");
        v["kinds"][1]["name"].as_object_mut().unwrap().remove("en");
    });
    assert_has(
        &p,
        Level::Warning,
        "$.kinds[0].name",
        "missing \"fr\" translation",
    );
    assert_has(
        &p,
        Level::Error,
        "$.kinds[1].name",
        "missing text in the default language \"en\"",
    );
}

#[test]
fn an_invalid_time_zone_is_reported() {
    let p = problems_after(|v| v["hours"]["time_zone"] = json!("Europe/Pariss"));
    assert_has(
        &p,
        Level::Error,
        "$.hours.time_zone",
        "\"Europe/Pariss\" is not an IANA time zone",
    );
}

#[test]
fn overlapping_empty_and_malformed_hours_are_reported() {
    let p = problems_after(|v| {
        v["hours"]["weekly"]["mon"] =
            json!([{"open": "08:00", "close": "12:00"}, {"open": "11:00", "close": "14:00"}]);
        v["hours"]["weekly"]["tue"] = json!([{"open": "18:00", "close": "08:00"}]);
        v["hours"]["weekly"]["wed"] = json!([{"open": "8h", "close": "25:00"}]);
    });
    assert_has(
        &p,
        Level::Error,
        "$.hours.weekly.mon[1]",
        "overlaps interval 0 of the same day",
    );
    assert_has(
        &p,
        Level::Error,
        "$.hours.weekly.tue[0]",
        "empty or reversed interval 18:00–08:00",
    );
    assert_has(
        &p,
        Level::Error,
        "$.hours.weekly.wed[0].open",
        "\"8h\" is not a time",
    );
    assert_has(
        &p,
        Level::Error,
        "$.hours.weekly.wed[0].close",
        "\"25:00\" is not a time",
    );
}

#[test]
fn no_opening_hours_at_all_is_reported() {
    let p = problems_after(|v| v["hours"]["weekly"] = json!({}));
    assert_has(
        &p,
        Level::Error,
        "$.hours.weekly",
        "no opening hours on any day",
    );
}

#[test]
fn a_price_without_currency_is_reported() {
    let p = problems_after(|v| {
        v["pricing"].as_object_mut().unwrap().remove("currency");
    });
    assert_has(
        &p,
        Level::Error,
        "$.pricing.items[0]",
        "price without currency",
    );
    let p = problems_after(|v| {
        v["pricing"]["items"][1]
            .as_object_mut()
            .unwrap()
            .remove("amount_minor");
    });
    assert_has(
        &p,
        Level::Error,
        "$.pricing.items[1].amount_minor",
        "a charged price needs an amount",
    );
}

#[test]
fn unmet_vehicle_prerequisites_are_a_warning() {
    let (r, report) = load_with_report(&{
        let mut v = default_value();
        v["partner"]["competencies"] = json!([]);
        v.to_string()
    });
    assert_has(
        &report.problems,
        Level::Warning,
        "$.partner.contracts[0]",
        "the profile does not meet the prerequisites of \"signature\"",
    );
    assert_has(
        &report.problems,
        Level::Warning,
        "$.rules[5].handler",
        "no Technical vehicle is available to this profile",
    );
    assert!(!report.has_errors(), "{report}");
    assert!(r.is_some());
}

#[test]
fn an_intake_url_must_be_https_except_on_loopback() {
    let p = problems_after(|v| v["intake"]["url"] = json!("http://support.example.com/intake"));
    assert_has(&p, Level::Error, "$.intake.url", "is not https");
    for ok in [
        "https://support.example.com/intake",
        "http://localhost:8081/x",
        "http://127.0.0.1/x",
        "http://[::1]:9/x",
    ] {
        let p = problems_after(|v| v["intake"]["url"] = json!(ok));
        assert!(p.is_empty(), "{ok}: {p:?}");
    }
    let p = problems_after(|v| v["intake"]["url"] = json!("http://127.0.0.1.evil.example/x"));
    assert!(
        !p.is_empty(),
        "a host that merely starts with 127.0.0.1 is not loopback"
    );
}

#[test]
fn an_events_url_is_optional_and_must_be_https_except_on_loopback() {
    let rules = load(DEFAULT).unwrap();
    assert_eq!(
        rules.intake.events_url, None,
        "the default ruleset sends no event"
    );
    let p =
        problems_after(|v| v["intake"]["events_url"] = json!("http://stats.example.com/events"));
    assert_has(&p, Level::Error, "$.intake.events_url", "is not https");
    let p = problems_after(|v| v["intake"]["events_url"] = json!("events"));
    assert_has(&p, Level::Error, "$.intake.events_url", "is not https");
    let p = problems_after(|v| v["intake"]["events_url"] = json!(42));
    assert_has(&p, Level::Error, "$.intake.events_url", "string");
    for ok in [
        "https://support.example.com/events",
        "http://127.0.0.1:8081/events",
        "http://[::1]:9/events",
    ] {
        let mut v = default_value();
        v["intake"]["events_url"] = json!(ok);
        let (rules, report) = load_with_report(&v.to_string());
        assert!(report.problems.is_empty(), "{ok}: {:?}", report.problems);
        assert_eq!(rules.unwrap().intake.events_url.as_deref(), Some(ok));
    }
    let p = problems_after(|v| v["intake"]["events_url"] = json!(null));
    assert!(p.is_empty(), "null is absent: {p:?}");
}

#[test]
fn a_challenge_url_is_optional_https_except_on_loopback_and_for_the_json_adapter_only() {
    let rules = load(DEFAULT).unwrap();
    assert_eq!(
        rules.intake.challenge_url, None,
        "the default ruleset solves no proof of work"
    );
    let p = problems_after(|v| {
        v["intake"]["challenge_url"] = json!("http://relay.example.com/challenge")
    });
    assert_has(&p, Level::Error, "$.intake.challenge_url", "is not https");
    let p = problems_after(|v| v["intake"]["challenge_url"] = json!("challenge"));
    assert_has(&p, Level::Error, "$.intake.challenge_url", "is not https");
    let p = problems_after(|v| v["intake"]["challenge_url"] = json!(42));
    assert_has(&p, Level::Error, "$.intake.challenge_url", "string");
    let p = problems_after(|v| {
        v["intake"]["adapter"] = json!("zendesk");
        v["intake"]["url"] = json!("https://partner.zendesk.com/api/v2/requests");
        v["intake"]["challenge_url"] = json!("https://relay.example.com/challenge");
    });
    assert_has(
        &p,
        Level::Error,
        "$.intake.challenge_url",
        "\"json\", not \"zendesk\"",
    );
    for ok in [
        "https://support.example.com/challenge",
        "http://127.0.0.1:8081/challenge",
        "http://[::1]:9/challenge",
    ] {
        let mut v = default_value();
        v["intake"]["challenge_url"] = json!(ok);
        let (rules, report) = load_with_report(&v.to_string());
        assert!(report.problems.is_empty(), "{ok}: {:?}", report.problems);
        assert_eq!(rules.unwrap().intake.challenge_url.as_deref(), Some(ok));
    }
    let p = problems_after(|v| v["intake"]["challenge_url"] = json!(null));
    assert!(p.is_empty(), "null is absent: {p:?}");
}

#[test]
fn secrets_are_found_by_key_name() {
    let p = problems_after(|v| {
        v["intake"]["headers"] = json!({"Authorization": "xyz", "X-Api-Key": "abc"})
    });
    assert_has(
        &p,
        Level::Error,
        "$.intake.headers.Authorization",
        "\"Authorization\" looks like a secret",
    );
    assert_has(
        &p,
        Level::Error,
        "$.intake.headers[\"X-Api-Key\"]",
        "\"X-Api-Key\" looks like a secret",
    );
    let p = problems_after(|v| v["partner"]["password"] = json!("hunter2"));
    assert_has(
        &p,
        Level::Error,
        "$.partner.password",
        "looks like a secret",
    );
}

#[test]
fn secrets_are_found_by_value_shape() {
    let p = problems_after(|v| {
        v["intake"]["headers"] = json!({"X-Tenant": "Bearer abcdef"});
        v["fallback_contact"]["url"] = json!("https://user:pw@northwind.example/");
        v["kinds"][0]["description"]["fr"] = json!("ghp_0123456789abcdefABCDEF0123456789abcd");
        v["kinds"][1]["description"]["fr"] = json!("q8Zr2LmX9vT4wP7sK1nB6yH3cJ5dF0gA");
        v["kinds"][2]["description"]["fr"] = json!("https://northwind.example/hook?api_key=123");
    });
    assert_has(
        &p,
        Level::Error,
        "$.intake.headers[\"X-Tenant\"]",
        "a known token prefix",
    );
    assert_has(
        &p,
        Level::Error,
        "$.fallback_contact.url",
        "a URL with a user name or password",
    );
    assert_has(
        &p,
        Level::Error,
        "$.kinds[0].description.fr",
        "a known token prefix",
    );
    assert_has(
        &p,
        Level::Error,
        "$.kinds[1].description.fr",
        "a long random-looking string",
    );
    assert_has(
        &p,
        Level::Error,
        "$.kinds[2].description.fr",
        "a URL with a credential in its query",
    );
}

#[test]
fn unknown_variables_and_invalid_values_in_rules_are_reported() {
    let p = problems_after(|v| {
        v["rules"][0]["when"] = json!({"in": ["own-tenant", {"var": "tag"}]});
        v["rules"][1]["when"] = json!({"==": [{"var": "product"}, "office"]});
        v["rules"][2]["when"] = json!({"==": [{"var": "answers.billing-what"}, "refund"]});
    });
    assert_has(
        &p,
        Level::Error,
        "$.rules[0].when.in[1].var",
        "unknown variable \"tag\"",
    );
    assert_has(&p, Level::Error, "$.rules[1].when[\"==\"][1]", "\"office\" is not a valid value for product; valid values: azure, d365, m365, managed, marketplace");
    assert_has(
        &p,
        Level::Error,
        "$.rules[2].when[\"==\"][1]",
        "\"refund\" is not a valid value for answers.billing-what; valid values: dispute, question",
    );
}

#[test]
fn unsupported_operators_are_reported() {
    let p = problems_after(|v| v["rules"][0]["when"] = json!({"some": [{"var": "tags"}, true]}));
    assert_has(
        &p,
        Level::Error,
        "$.rules[0].when.some",
        "unsupported operator \"some\"",
    );
}

#[test]
fn a_vehicle_of_the_wrong_kind_is_reported() {
    let p = problems_after(|v| v["rules"][3]["vehicle"] = json!("signature"));
    assert_has(
        &p,
        Level::Error,
        "$.rules[3].vehicle",
        "vehicle \"signature\" is not a Commercial vehicle",
    );
}

#[test]
fn an_indirect_reseller_needs_its_provider() {
    let p = problems_after(|v| v["partner"]["csp_model"] = json!("indirect_reseller"));
    assert_has(
        &p,
        Level::Error,
        "$.partner.indirect_provider",
        "an indirect reseller must name its indirect provider",
    );
}

#[test]
fn a_third_party_product_needs_a_publisher_contact() {
    let p = problems_after(|v| {
        v["products"][3]
            .as_object_mut()
            .unwrap()
            .remove("publisher");
    });
    assert_has(
        &p,
        Level::Error,
        "$.products[3].publisher",
        "a third-party product needs its publisher's support contact",
    );
}

#[test]
fn unknown_severity_references_are_reported() {
    let p = problems_after(|v| v["hours"]["round_the_clock"] = json!(["Z"]));
    assert_has(
        &p,
        Level::Error,
        "$.hours.round_the_clock[0]",
        "no severity \"Z\" in $.severities",
    );
}

#[test]
fn the_report_displays_one_problem_per_line() {
    let report = load(&DEFAULT.replace("\"Europe/Paris\"", "\"Mars/Olympus\"")).unwrap_err();
    let text = report.to_string();
    assert!(text.starts_with("1 error(s), 0 warning(s)\n"), "{text}");
    assert!(
        text.contains("error: $.hours.time_zone: \"Mars/Olympus\" is not an IANA time zone"),
        "{text}"
    );
}

#[test]
fn the_fallback_contact_survives_an_invalid_ruleset() {
    let broken = DEFAULT.replace("\"schema\": \"frontline.ruleset/v1\"", "\"schema\": 7");
    assert!(load(&broken).is_err());
    let c = frontline_core::fallback_contact(&broken).unwrap();
    assert_eq!(c.email, "support@northwind.example");
}

#[test]
fn the_hand_reader_and_serde_agree_on_the_default_ruleset() {
    let by_hand = load(DEFAULT).unwrap();
    let by_serde: frontline_core::Ruleset = serde_json::from_str(DEFAULT).unwrap();
    assert_eq!(
        serde_json::to_value(&by_hand).unwrap(),
        serde_json::to_value(&by_serde).unwrap()
    );
}

#[test]
fn missing_fields_and_wrong_types_are_all_reported_at_once() {
    let p = problems_after(|v| {
        v["partner"].as_object_mut().unwrap().remove("name");
        v["severities"][0]["targets"][0]["minutes"] = json!("two hours");
        v["products"][0]["origin"] = json!("microsoft");
        v["nodes"][0]["type"] = json!("quiz");
    });
    assert_has(&p, Level::Error, "$.partner.name", "missing field \"name\"");
    assert_has(
        &p,
        Level::Error,
        "$.severities[0].targets[0].minutes",
        "expected a whole number ≥ 0, found a string (\"two hours\")",
    );
    assert_has(
        &p,
        Level::Error,
        "$.products[0].origin",
        "expected one of: vendor, third_party, partner, found a string (\"microsoft\")",
    );
    assert_has(
        &p,
        Level::Error,
        "$.nodes[0].type",
        "expected one of: question, step, info, end",
    );
}

#[test]
fn parse_reads_without_semantic_checks_but_still_reports_structure() {
    let r = frontline_core::parse(DEFAULT).unwrap();
    assert_eq!(r.hash(), load(DEFAULT).unwrap().hash());
    // A dangling reference is only found by load.
    let i = node_index(&default_value(), "billing-what");
    let mut v = default_value();
    v["nodes"][i]["answers"][1]["next"] = json!("nowhere");
    assert!(frontline_core::parse(&v.to_string()).is_ok());
    assert!(load(&v.to_string()).is_err());
    // Structure and schema are checked by both.
    v["partner"]["colour"] = json!(1);
    let report = frontline_core::parse(&v.to_string()).unwrap_err();
    assert_has(
        &report.problems,
        Level::Error,
        "$.partner.colour",
        "unknown field \"colour\"",
    );
    let report =
        frontline_core::parse(&DEFAULT.replace("frontline.ruleset/v1", "x/v2")).unwrap_err();
    assert_has(
        &report.problems,
        Level::Error,
        "$.schema",
        "expected \"frontline.ruleset/v1\"",
    );
}

// ------------------------------------------------ intake.zendesk_fields / form_fields

fn form_intake(fields: Value) -> impl FnOnce(&mut Value) {
    move |v| {
        v["intake"] = json!({
            "adapter": "form",
            "url": "https://northwind.example/contact.php",
            "form_fields": fields,
        })
    }
}

fn zendesk_intake(fields: Value) -> impl FnOnce(&mut Value) {
    move |v| {
        v["intake"] = json!({
            "adapter": "zendesk",
            "url": "https://northwind.zendesk.com/api/v2/requests",
            "zendesk_fields": fields,
        })
    }
}

#[test]
fn configured_form_and_zendesk_fields_have_no_problem() {
    let p = problems_after(form_intake(json!([
        {"name": "your-name", "field": "name"},
        {"name": "msg", "field": "description"}
    ])));
    assert!(p.is_empty(), "{p:?}");
    let p = problems_after(zendesk_intake(json!([
        {"id": 360001234567u64, "field": "severity"},
        {"id": 360001234568u64, "field": "severity"}
    ])));
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn an_empty_form_field_name_is_reported() {
    let p = problems_after(form_intake(json!([
        {"name": "your-name", "field": "name"},
        {"name": " ", "field": "email"}
    ])));
    assert_has(
        &p,
        Level::Error,
        "$.intake.form_fields[1].name",
        "empty form field name; write the name the form handler expects",
    );
}

#[test]
fn a_duplicate_form_field_name_is_reported() {
    let p = problems_after(form_intake(json!([
        {"name": "msg", "field": "title"},
        {"name": "your-name", "field": "name"},
        {"name": "msg", "field": "description"}
    ])));
    assert_has(
        &p,
        Level::Error,
        "$.intake.form_fields[2].name",
        "duplicate form field name \"msg\" (also at $.intake.form_fields[0]); each name is sent once",
    );
    assert_eq!(p.len(), 1, "{p:?}");
}

#[test]
fn a_duplicate_zendesk_field_id_is_reported() {
    let p = problems_after(zendesk_intake(json!([
        {"id": 360001234567u64, "field": "severity"},
        {"id": 360001234567u64, "field": "product"}
    ])));
    assert_has(
        &p,
        Level::Error,
        "$.intake.zendesk_fields[1].id",
        "duplicate Zendesk field id 360001234567 (also at $.intake.zendesk_fields[0]); fill each custom field once",
    );
    assert_eq!(p.len(), 1, "{p:?}");
}

#[test]
fn a_zero_zendesk_field_id_is_reported() {
    let p = problems_after(zendesk_intake(json!([{"id": 0, "field": "severity"}])));
    assert_has(
        &p,
        Level::Error,
        "$.intake.zendesk_fields[0].id",
        "0 is not a Zendesk custom field id; copy the id from Admin Center",
    );
}

#[test]
fn an_unsupported_request_field_is_reported_with_the_supported_ones() {
    let p = problems_after(form_intake(json!([
        {"name": "your-name", "field": "name"},
        {"name": "msg", "field": "message"}
    ])));
    assert_has(
        &p,
        Level::Error,
        "$.intake.form_fields[1].field",
        "expected one of: id, created_at, locale, name, email, phone, preferred_contact, company, tenant, subscription_id, product, kind, severity, title, description, business_impact, started_at, handler, vehicle, rule, ruleset_id, ruleset_version, ruleset_hash, first_response_due, price_item, share_diagnostics, continuous_work, time_zone, user_agent, summary, found a string (\"message\")",
    );
    let p = problems_after(zendesk_intake(json!([{"id": 1, "field": "Severity"}])));
    assert_has(
        &p,
        Level::Error,
        "$.intake.zendesk_fields[0].field",
        "expected one of: id, created_at,",
    );
}

#[test]
fn malformed_form_and_zendesk_fields_are_reported_with_their_paths() {
    let p = problems_after(|v| {
        v["intake"]["form_fields"] = json!([{"nom": "x", "field": "name"}]);
        v["intake"]["zendesk_fields"] = json!([{"id": "360001234567", "field": "severity"}, 5]);
    });
    assert_has(
        &p,
        Level::Error,
        "$.intake.form_fields[0].nom",
        "unknown field \"nom\"; expected one of: name, field",
    );
    assert_has(
        &p,
        Level::Error,
        "$.intake.form_fields[0].name",
        "missing field \"name\"",
    );
    assert_has(
        &p,
        Level::Error,
        "$.intake.zendesk_fields[0].id",
        "expected a whole number ≥ 0, found a string (\"360001234567\")",
    );
    assert_has(
        &p,
        Level::Error,
        "$.intake.zendesk_fields[1]",
        "expected an object, found a number (5)",
    );
    let p = problems_after(|v| v["intake"]["form_fields"] = json!({"your-name": "name"}));
    assert_has(
        &p,
        Level::Error,
        "$.intake.form_fields",
        "expected an array, found an object",
    );
}

#[test]
fn zendesk_fields_with_another_adapter_are_a_warning() {
    let (r, report) = {
        let mut v = default_value();
        v["intake"]["zendesk_fields"] = json!([{"id": 360001234567u64, "field": "severity"}]);
        load_with_report(&v.to_string())
    };
    assert_has(
        &report.problems,
        Level::Warning,
        "$.intake.zendesk_fields",
        "ignored: only the zendesk adapter uses them and intake.adapter is \"json\"",
    );
    assert!(!report.has_errors(), "{report}");
    assert!(r.is_some());
}

#[test]
fn form_fields_with_another_adapter_are_a_warning() {
    let p = problems_after(zendesk_intake(json!([])));
    assert!(p.is_empty(), "an empty list is not a warning: {p:?}");
    let p = problems_after(|v| {
        zendesk_intake(json!([]))(v);
        v["intake"]["form_fields"] = json!([{"name": "msg", "field": "description"}]);
    });
    assert_has(
        &p,
        Level::Warning,
        "$.intake.form_fields",
        "ignored: only the form adapter uses them and intake.adapter is \"zendesk\"",
    );
    assert_eq!(p.len(), 1, "{p:?}");
}

#[test]
fn the_hand_reader_and_serde_agree_on_form_and_zendesk_fields() {
    let mut v = default_value();
    v["intake"]["zendesk_fields"] = json!([{"id": 360001234567u64, "field": "first_response_due"}]);
    v["intake"]["form_fields"] = json!([{"name": "n", "field": "summary"}]);
    let text = v.to_string();
    let by_hand = load(&text).unwrap();
    let by_serde: frontline_core::Ruleset = serde_json::from_str(&text).unwrap();
    assert_eq!(by_hand.intake.zendesk_fields.len(), 1);
    assert_eq!(by_hand.intake.form_fields.len(), 1);
    assert_eq!(
        serde_json::to_value(&by_hand).unwrap(),
        serde_json::to_value(&by_serde).unwrap()
    );
}

#[test]
fn a_valid_theme_has_no_problem_and_becomes_custom_properties() {
    let mut v = default_value();
    v["theme"] = json!({"brand": "#7a1f5c", "brand_contrast": "#fff", "radius": "4px", "font": "\"Source Sans 3\", system-ui, sans-serif"});
    let (r, report) = load_with_report(&v.to_string());
    assert!(report.is_empty(), "{report}");
    let theme = r.unwrap().theme.unwrap();
    assert_eq!(
        theme.properties(),
        [
            ("--fl-brand", "#7a1f5c"),
            ("--fl-brand-contrast", "#fff"),
            ("--fl-radius", "4px"),
            ("--fl-font", "\"Source Sans 3\", system-ui, sans-serif")
        ]
    );
}

#[test]
fn theme_values_that_are_not_colours_radii_or_fonts_are_errors() {
    let problems = problems_after(|v| {
        v["theme"] =
            json!({"brand": "red; background: url(x)", "radius": "2em", "font": "x}body{"});
    });
    assert_has(
        &problems,
        Level::Error,
        "$.theme.brand",
        "is not a colour; write #rgb or #rrggbb",
    );
    assert_has(
        &problems,
        Level::Error,
        "$.theme.radius",
        "is not a radius in px",
    );
    assert_has(
        &problems,
        Level::Error,
        "$.theme.font",
        "comma-separated list of family names",
    );
}

#[test]
fn a_theme_without_enough_contrast_is_a_warning() {
    let problems = problems_after(|v| {
        v["theme"] = json!({"brand": "#ffff00", "brand_contrast": "#ffffff"});
    });
    assert_has(
        &problems,
        Level::Warning,
        "$.theme.brand_contrast",
        "under the 4.5:1 WCAG AA",
    );
}

#[test]
fn unknown_theme_fields_are_reported() {
    let problems = problems_after(|v| {
        v["theme"] = json!({"colour": "#000"});
    });
    assert_has(&problems, Level::Error, "$.theme.colour", "unknown field");
}

#[test]
fn a_holiday_in_none_of_the_forms_is_an_error_at_its_index() {
    let problems = problems_after(|v| {
        v["hours"]["holidays"] = json!(["12-25", "easter+1", "12/25", "easter+200", "12-25"]);
    });
    let forms =
        "write a date (\"2026-05-15\"), a day every year (\"12-25\") or days from Easter Sunday";
    assert_has(
        &problems,
        Level::Error,
        "$.hours.holidays[2]",
        &format!("\"12/25\" is not a holiday; {forms}"),
    );
    assert_has(
        &problems,
        Level::Error,
        "$.hours.holidays[3]",
        "\"easter+200\" is not a holiday",
    );
    assert_has(
        &problems,
        Level::Warning,
        "$.hours.holidays[4]",
        "holiday \"12-25\" is listed twice",
    );
    assert_eq!(problems.len(), 3, "{problems:?}");
}

#[test]
fn a_currency_that_is_not_iso_4217_is_an_error_and_jpy_and_kwd_are_fine() {
    let problems = problems_after(|v| {
        v["pricing"]["currency"] = json!("EUX");
        v["pricing"]["items"][0]["currency"] = json!("JPY");
        v["pricing"]["items"][1]["currency"] = json!("KWD");
    });
    assert_has(
        &problems,
        Level::Error,
        "$.pricing.currency",
        "\"EUX\" is not a current ISO 4217 currency code (like EUR, USD, JPY)",
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    let problems = problems_after(|v| v["pricing"]["items"][0]["currency"] = json!("HRK"));
    assert_has(
        &problems,
        Level::Error,
        "$.pricing.items[0].currency",
        "\"HRK\" is not a current ISO 4217",
    );
}
