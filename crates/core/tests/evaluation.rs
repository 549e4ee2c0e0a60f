//! Evaluation, verification and scenarios on the default ruleset.

use frontline_core::eval::{outcome_paths, PATH_LIMIT};
use frontline_core::scenario;
use frontline_core::{
    evaluate, load, verify, Decision, Handler, Request, Step, TraceKind, Transcript,
};

const DEFAULT: &str = include_str!("../../../public/rules/default.json");
const SCENARIOS: &str = include_str!("../../../public/rules/default.scenarios.json");

fn outcome(step: Step) -> Box<frontline_core::Outcome> {
    match step {
        Step::Outcome(o) => o,
        other => panic!("expected an outcome, got {other:?}"),
    }
}

#[test]
fn the_walk_asks_product_then_kind_then_nodes() {
    let r = load(DEFAULT).unwrap();
    let step = evaluate(&r, &Transcript::default()).unwrap();
    assert_eq!(
        step,
        Step::ChooseProduct {
            products: vec![
                "azure".into(),
                "m365".into(),
                "d365".into(),
                "marketplace".into(),
                "managed".into()
            ]
        }
    );
    let mut t = Transcript {
        product: Some("m365".into()),
        ..Transcript::default()
    };
    assert!(
        matches!(evaluate(&r, &t).unwrap(), Step::ChooseKind { kinds, .. } if kinds[0] == "technical")
    );
    t.kind = Some("technical".into());
    assert_eq!(
        evaluate(&r, &t).unwrap(),
        Step::Ask {
            node: "m365-health".into()
        }
    );
    let t = t
        .answer("m365-health", "none")
        .answer("m365-symptom", "outlook-connect");
    assert_eq!(
        evaluate(&r, &t).unwrap(),
        Step::Ask {
            node: "step-outlook-updates".into()
        }
    );
    let fixed = t.clone().answer("step-outlook-updates", "fixed");
    assert_eq!(
        evaluate(&r, &fixed).unwrap(),
        Step::Resolved {
            node: "step-outlook-updates".into()
        }
    );
}

#[test]
fn an_outcome_carries_handler_vehicle_severities_prices_and_a_trace() {
    let r = load(DEFAULT).unwrap();
    let t = Transcript::new("azure", "technical").answer("azure-health", "incident");
    let o = outcome(evaluate(&r, &t).unwrap());
    assert_eq!(o.handler, Handler::VendorTechnical);
    assert_eq!(o.vehicle.as_deref(), Some("signature"));
    assert_eq!(o.rule, "service-issue");
    assert_eq!(o.severities, ["A", "B", "C"]);
    assert_eq!(o.prices, ["critical-incident", "care-plan", "included"]);
    assert_eq!(o.contact_methods, ["portal", "email", "phone", "chat"]);
    assert_eq!(o.ruleset.hash, r.hash());
    assert!(o.source.contains("Escalate problems to Microsoft"));
    let rules: Vec<(&str, Option<bool>)> = o
        .trace
        .iter()
        .filter(|e| e.kind == TraceKind::Rule)
        .map(|e| (e.id.as_str(), e.matched))
        .collect();
    assert_eq!(rules.last(), Some(&("service-issue", Some(true))));
    assert!(rules[..rules.len() - 1]
        .iter()
        .all(|(_, m)| *m == Some(false)));
    let vehicle = o
        .trace
        .iter()
        .find(|e| e.kind == TraceKind::Vehicle)
        .unwrap();
    assert_eq!(vehicle.matched, Some(true));
    assert_eq!(
        vehicle.text.as_ref().unwrap().get("fr", "en"),
        "Partner Cloud Support (anciennement Signature Cloud Support)"
    );
    let price = frontline_core::price_for(&r, "technical", "A").unwrap();
    assert_eq!(
        (price.item.amount_minor, price.currency),
        (Some(25000), Some("EUR"))
    );
}

#[test]
fn evaluation_is_deterministic() {
    let r = load(DEFAULT).unwrap();
    let t = Transcript::new("m365", "account")
        .answer("account-who", "ours")
        .answer("account-what", "locked-out");
    assert_eq!(evaluate(&r, &t), evaluate(&r, &t));
    assert_eq!(load(DEFAULT).unwrap().hash(), r.hash());
}

#[test]
fn transcripts_that_do_not_fit_are_errors_not_panics() {
    let r = load(DEFAULT).unwrap();
    let cases = [
        (Transcript::new("zune", "technical"), "product"),
        (Transcript::new("azure", "licensing"), "kind"),
        (
            Transcript::new("azure", "technical").answer("m365-health", "none"),
            "answers[0]",
        ),
        (
            Transcript::new("azure", "technical").answer("azure-health", "maybe"),
            "answers[0]",
        ),
        (
            Transcript::new("managed", "technical").answer("managed-end", "x"),
            "answers[0]",
        ),
    ];
    for (t, at) in cases {
        let e = evaluate(&r, &t).unwrap_err();
        assert_eq!(e.at, at, "{e}");
    }
    let mut t = Transcript::new("m365", "billing").answer("billing-what", "question");
    t.severity = Some("A".into());
    let e = evaluate(&r, &t).unwrap_err();
    assert_eq!(
        e.to_string(),
        "severity: severity \"A\" is not allowed here; allowed: B, C"
    );
}

fn request(r: &frontline_core::Ruleset, t: Transcript) -> Request {
    let o = outcome(evaluate(r, &t).unwrap());
    Request {
        transcript: t,
        outcome: Decision::from(o.as_ref()),
        ruleset: r.reference(),
    }
}

#[test]
fn verify_accepts_what_the_browser_decided() {
    let r = load(DEFAULT).unwrap();
    let req = request(
        &r,
        Transcript::new("azure", "billing").answer("billing-what", "dispute"),
    );
    let v = verify(&r, &req);
    assert!(v.matches, "{v:?}");
    // Round trip through JSON, as on a partner's server.
    let back: Request = serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
    assert!(verify(&r, &back).matches);
}

#[test]
fn verify_lists_every_difference() {
    let r = load(DEFAULT).unwrap();
    let mut req = request(
        &r,
        Transcript::new("azure", "technical").answer("azure-health", "incident"),
    );
    req.outcome.handler = Handler::Partner;
    req.outcome.vehicle = None;
    req.ruleset.hash = "0".repeat(64);
    let v = verify(&r, &req);
    assert!(!v.matches);
    let fields: Vec<&str> = v.differences.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(
        fields,
        ["ruleset.hash", "outcome.handler", "outcome.vehicle"]
    );
    assert_eq!(v.differences[1].recorded, "partner");
    assert_eq!(v.differences[1].recomputed, "vendor_technical");
}

#[test]
fn verify_notices_a_ruleset_changed_since() {
    let r = load(DEFAULT).unwrap();
    let req = request(
        &r,
        Transcript::new("azure", "technical").answer("azure-health", "incident"),
    );
    let edited = load(&DEFAULT.replace(
        "\"contracts\": [\n      \"signature\"\n    ]",
        "\"contracts\": []",
    ))
    .unwrap();
    let v = verify(&edited, &req);
    let fields: Vec<&str> = v.differences.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "ruleset.hash",
            "outcome.handler",
            "outcome.vehicle",
            "outcome.downgraded_from"
        ],
        "{v:?}"
    );
}

#[test]
fn verify_reports_an_unfinished_or_invalid_transcript() {
    let r = load(DEFAULT).unwrap();
    let mut req = request(
        &r,
        Transcript::new("azure", "technical").answer("azure-health", "incident"),
    );
    req.transcript.answers.clear();
    let v = verify(&r, &req);
    assert_eq!(v.differences[0].field, "transcript");
    assert!(v.differences[0]
        .recomputed
        .contains("answer \"azure-health\""));
}

#[test]
fn the_shipped_scenarios_pass_and_cover_every_outcome_path() {
    let r = load(DEFAULT).unwrap();
    let file = scenario::parse(SCENARIOS).unwrap();
    let report = scenario::run(&r, &file);
    let failures: Vec<_> = report.results.iter().filter(|x| !x.passed).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let c = &report.coverage;
    assert_eq!(c.paths_total, outcome_paths(&r, PATH_LIMIT).paths.len());
    assert_eq!(
        (c.paths_covered, c.rules_covered),
        (c.paths_total, c.rules_total),
        "{c:#?}"
    );
}

#[test]
fn a_wrong_expectation_fails_its_scenario() {
    let r = load(DEFAULT).unwrap();
    let text = SCENARIOS.replacen("\"handler\": \"partner\"", "\"handler\": \"publisher\"", 1);
    let report = scenario::run(&r, &scenario::parse(&text).unwrap());
    assert_eq!(report.failed(), 1);
    let failed = report.results.iter().find(|x| !x.passed).unwrap();
    assert_eq!(
        failed.failures,
        ["expected handler \"publisher\", got \"partner\""]
    );
}

#[test]
fn bench_rulesets_are_valid_and_sized() {
    let small = frontline_core::bench::generate(5000);
    let r = load(&small).unwrap();
    assert_eq!(r.nodes.len(), 5000);
    let t = frontline_core::bench::deep_transcript(5000);
    assert!(matches!(evaluate(&r, &t).unwrap(), Step::Outcome(_)));
    let big = frontline_core::bench::generate_bytes(1_000_000);
    assert!(
        big.len() >= 1_000_000 && big.len() < 1_300_000,
        "{}",
        big.len()
    );
    assert!(load(&big).is_ok());
}

/// A partner with no competency and no contract: Microsoft 365 outages stay
/// with the partner, and everything that speaks to the customer says so.
#[test]
fn a_rule_without_a_vehicle_is_downgraded_and_says_so() {
    let plain = DEFAULT
        .replace(
            "\"contracts\": [\n      \"signature\"\n    ]",
            "\"contracts\": []",
        )
        .replace(
            "\"competencies\": [",
            "\"competencies\": [], \"old_competencies\": [",
        );
    // Drop the competencies (the renamed key would be an unknown field).
    let mut v: serde_json::Value = serde_json::from_str(&plain).unwrap();
    v["partner"]
        .as_object_mut()
        .unwrap()
        .remove("old_competencies");
    let r = load(&v.to_string()).unwrap();
    let t = Transcript::new("m365", "technical").answer("m365-health", "incident");
    let Step::Outcome(o) = evaluate(&r, &t).unwrap() else {
        panic!("no outcome")
    };
    assert_eq!(o.rule, "service-issue");
    assert_eq!(o.handler, Handler::Partner);
    assert_eq!(o.vehicle, None);
    assert_eq!(o.downgraded_from, Some(Handler::VendorTechnical));
    // The rule's rationale promises an escalation: not what the customer reads.
    let told = o.explanation(&r);
    assert_ne!(told, o.rationale);
    let en = told.get("en", "en");
    assert!(
        en.starts_with("Northwind Cloud Services handles this request itself"),
        "{en}"
    );
    assert!(
        en.contains(
            "escalation to the vendor's technical support is not part of the support it provides"
        ),
        "{en}"
    );
    assert!(!en.contains("escalates it to Microsoft"), "{en}");
    // The trace, which customers can open, says the same.
    let rule_entry = o
        .trace
        .iter()
        .find(|e| e.kind == TraceKind::Rule && e.matched == Some(true))
        .unwrap();
    assert_eq!(rule_entry.text.as_ref(), Some(&told));
    assert!(told
        .get("fr", "en")
        .contains("ne fait pas partie du support qu’elle fournit"));
    // A partner's own words win.
    v["partner"]["downgrade_notice"] = serde_json::json!({"en": "We handle outages ourselves.", "fr": "Nous traitons les pannes nous-mêmes."});
    let r2 = load(&v.to_string()).unwrap();
    let Step::Outcome(o2) = evaluate(&r2, &t).unwrap() else {
        panic!("no outcome")
    };
    assert_eq!(
        o2.explanation(&r2).get("fr", "en"),
        "Nous traitons les pannes nous-mêmes."
    );
    // An outcome that was not downgraded keeps its rule's rationale.
    let full = load(DEFAULT).unwrap();
    let Step::Outcome(o3) = evaluate(&full, &t).unwrap() else {
        panic!("no outcome")
    };
    assert_eq!(o3.downgraded_from, None);
    assert_eq!(o3.explanation(&full), o3.rationale);
}
