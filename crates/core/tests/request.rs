//! The structured request: validation, limits, size bound, verify, JSON.

use frontline_core::hours;
use frontline_core::request::*;
use frontline_core::{evaluate, load, Handler, Step, Transcript, Zone};
use proptest::prelude::*;

const DEFAULT: &str = include_str!("../../../public/rules/default.json");

fn paths(req: &Request) -> Vec<String> {
    req.validate().into_iter().map(|p| p.path).collect()
}

fn problem_at(req: &Request, path: &str) -> String {
    let found = req.validate();
    found
        .iter()
        .find(|p| p.path == path)
        .map(|p| p.message.clone())
        .unwrap_or_else(|| panic!("no problem at {path}; found {found:?}"))
}

#[test]
fn the_example_is_valid_and_round_trips_through_json() {
    let req = Request::example();
    assert_eq!(req.validate(), vec![]);
    let json = serde_json::to_string(&req).unwrap();
    assert!(json.starts_with(r#"{"schema":"frontline.request/v1","id":"0f8fad5b"#));
    assert_eq!(Request::from_json(&json).unwrap(), req);
}

/// A request with every text at its limit in 4-byte characters (the worst
/// case for JSON size), every list at its maximum length.
fn maximal() -> Request {
    let w = |n: usize| "😀".repeat(n);
    let mut r = Request::example();
    r.locale = "en-aaaaaaaa-aaaaaaaa-aaaaaaaa-bbbbb".into(); // tags are ASCII
    r.contact.name = w(MAX_NAME_CHARS);
    r.contact.email = format!("{}@{}.example", w(64), w(MAX_EMAIL_CHARS - 64 - 9));
    r.contact.phone = Some(format!("+{}", "1".repeat(MAX_PHONE_CHARS - 1)));
    r.organisation.company = w(MAX_COMPANY_CHARS);
    // A domain is ASCII: 63-letter labels up to the limit.
    let label = "a".repeat(63);
    r.organisation.tenant = Some(format!("{label}.{label}.{label}.{}", "b".repeat(61)));
    r.problem.product = w(MAX_ID_CHARS);
    r.problem.kind = w(MAX_ID_CHARS);
    r.problem.severity = Some(w(MAX_ID_CHARS));
    r.problem.title = w(MAX_TITLE_CHARS);
    r.problem.description = w(MAX_DESCRIPTION_CHARS);
    r.problem.business_impact = w(MAX_BUSINESS_IMPACT_CHARS);
    r.problem.started_at = Some("2025-03-28T07:00:00.123456789+00:00".into());
    let step = DiagnosisStep {
        node: w(MAX_ID_CHARS),
        answer: w(MAX_ID_CHARS),
        at: "2025-03-28T07:00:00.123456789+00:00".into(),
        question: w(MAX_LABEL_CHARS),
        answer_label: w(MAX_LABEL_CHARS),
    };
    r.diagnosis = vec![step; MAX_STEPS];
    r.self_help_tried = vec![
        SelfHelpTried {
            step: w(MAX_ID_CHARS),
            title: w(MAX_LABEL_CHARS),
        };
        MAX_SELF_HELP
    ];
    r.outcome.decision.rule = w(MAX_ID_CHARS);
    r.outcome.decision.end = w(MAX_ID_CHARS);
    r.outcome.decision.vehicle = Some(w(MAX_ID_CHARS));
    r.outcome.matched_rules = vec![w(MAX_ID_CHARS); MAX_MATCHED_RULES];
    r.outcome.ruleset.id = w(MAX_ID_CHARS);
    r.outcome.ruleset.version = w(MAX_ID_CHARS);
    let fr = r.first_response.as_mut().unwrap();
    fr.severity = w(MAX_ID_CHARS);
    fr.minutes = u32::MAX;
    fr.due = "2025-03-28T07:00:00.123456789+00:00".into();
    let price = r.price.as_mut().unwrap();
    price.item = w(MAX_ID_CHARS);
    price.amount_minor = Some(u64::MAX);
    r.client.time_zone = "A".repeat(MAX_TIME_ZONE_CHARS);
    r.client.user_agent = w(MAX_USER_AGENT_CHARS);
    r
}

#[test]
fn a_request_at_every_limit_is_valid_and_fits_in_max_request_bytes() {
    let r = maximal();
    assert_eq!(r.validate(), vec![], "the maximal request must be valid");
    assert_eq!(r.contact.email.chars().count(), MAX_EMAIL_CHARS);
    assert_eq!(r.locale.len(), MAX_LOCALE_CHARS);
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        json.len() <= MAX_REQUEST_BYTES,
        "maximal request is {} bytes, MAX_REQUEST_BYTES is {MAX_REQUEST_BYTES}",
        json.len()
    );
    // The bound is not wildly loose either (it is what intake servers accept).
    assert!(json.len() * 2 > MAX_REQUEST_BYTES, "{}", json.len());
    assert!(Request::from_json(&json).is_ok());
    // Escaped characters (quotes, backslashes, newlines) cost 2 bytes each,
    // fewer than an emoji's 4: a description of them is smaller.
    let mut escaped = r.clone();
    escaped.problem.description = "\"\\\n".repeat(MAX_DESCRIPTION_CHARS / 3);
    assert_eq!(escaped.validate(), vec![]);
    assert!(serde_json::to_string(&escaped).unwrap().len() < json.len());
}

#[test]
fn one_character_over_a_limit_is_reported_at_its_path() {
    let mut r = Request::example();
    r.problem.title = "x".repeat(MAX_TITLE_CHARS + 1);
    assert_eq!(
        problem_at(&r, "$.problem.title"),
        format!(
            "{} characters, more than the {MAX_TITLE_CHARS} allowed; shorten it",
            MAX_TITLE_CHARS + 1
        )
    );
    let mut r = Request::example();
    r.problem.title = "é".repeat(MAX_TITLE_CHARS); // counted in characters, not bytes
    assert_eq!(r.validate(), vec![]);
    r.diagnosis = vec![r.diagnosis[0].clone(); MAX_STEPS + 1];
    r.diagnosis[2].at = "yesterday".into();
    assert_eq!(paths(&r), vec!["$.diagnosis", "$.diagnosis[2].at"]);
}

#[test]
fn required_fields_and_formats_are_checked() {
    let mut r = Request::example();
    r.schema = "frontline.request/v2".into();
    r.id = "0f8fad5b-d9cb-169f-a165-70867728950e".into(); // version 1
    r.created_at = "2025-03-28T17:30:00+02:00".into(); // not UTC
    r.locale = "english".into();
    r.contact.name = "   ".into();
    r.contact.email = "ada at contoso".into();
    r.organisation.tenant = Some("contoso".into());
    r.organisation.subscription_id = Some("8d3c5a2e-1b4f-4c6d-9e7f".into());
    r.problem.description = String::new();
    r.client.time_zone = "Paris time".into();
    r.outcome.ruleset.hash = "ABC".into();
    assert_eq!(
        paths(&r),
        vec![
            "$.schema",
            "$.id",
            "$.created_at",
            "$.locale",
            "$.contact.name",
            "$.contact.email",
            "$.organisation.tenant",
            "$.organisation.subscription_id",
            "$.problem.description",
            "$.outcome.ruleset.hash",
            "$.client.time_zone",
        ]
    );
    assert_eq!(problem_at(&r, "$.contact.name"), "required: fill it in");
    assert!(problem_at(&r, "$.id").contains("crypto.randomUUID()"));
    assert!(problem_at(&r, "$.created_at").contains("toISOString"));
}

#[test]
fn uuid_guid_email_and_time_formats() {
    assert!(is_uuid_v4("0f8fad5b-d9cb-469f-a165-70867728950e"));
    assert!(is_uuid_v4("0F8FAD5B-D9CB-469F-B165-70867728950E"));
    assert!(!is_uuid_v4("0f8fad5b-d9cb-469f-c165-70867728950e")); // variant
    assert!(!is_uuid_v4("0f8fad5bd9cb469fa16570867728950e"));
    assert!(!is_uuid_v4("0f8fad5b-d9cb-469f-a165-70867728950é"));
    assert!(is_guid("00000000-0000-0000-0000-000000000000"));
    assert!(!is_guid("{00000000-0000-0000-0000-000000000000}"));
    assert!(is_email("a.b+c@sub.example.com"));
    assert!(is_email("josé@exämple.fr"));
    for bad in [
        "a@b",
        "@b.com",
        "a b@c.com",
        "a@b..com",
        "a@.b.com",
        "a<b@c.com",
        "a@b@c.com",
    ] {
        assert!(!is_email(bad), "{bad}");
    }
    let t = parse_rfc3339_utc("2025-03-28T17:30:00.5Z").unwrap();
    assert_eq!(t.timestamp_millis(), 1_743_183_000_500);
    assert!(parse_rfc3339_utc("2025-12-31T23:59:60Z").is_some()); // leap second
    for bad in [
        "2025-03-28 17:30:00Z",
        "2025-03-28T17:30:00",
        "2025-02-30T17:30:00Z",
        "2025-03-28T24:00:00Z",
        "2025-03-28T17:30:00.Z",
        "2025-03-28T17:30:00.1234567890Z",
        "2025-03-28T17:30:00+01:00",
        "2025-03-28T17:30Z",
        "２０２５-03-28T17:30:00Z",
    ] {
        assert!(parse_rfc3339_utc(bad).is_none(), "{bad}");
    }
}

#[test]
fn consistency_rules() {
    let mut r = Request::example();
    r.contact.preferred = PreferredContact::Phone;
    r.contact.phone = None;
    assert_eq!(
        problem_at(&r, "$.contact.phone"),
        "phone is the preferred contact method: give a phone number"
    );
    r.contact.phone = Some("call me".into());
    assert!(paths(&r).contains(&"$.contact.phone".to_string()));

    let mut r = Request::example();
    r.problem.severity = None;
    assert!(problem_at(&r, "$.problem.severity").contains("choose a severity"));
    r.outcome.decision.handler = Handler::Publisher; // the partner does not work on it
    assert_eq!(r.validate(), vec![]);

    let mut r = Request::example();
    let p = r.price.as_mut().unwrap();
    p.model = frontline_core::PriceModel::PerIncident;
    p.amount_minor = Some(15000);
    p.accepted = false;
    assert!(problem_at(&r, "$.price.accepted").contains("accept the price"));
}

#[test]
fn control_characters_are_refused_but_newlines_are_fine_in_long_texts() {
    let mut r = Request::example();
    r.problem.description = "line 1\r\nline 2\n\ttabbed".into();
    assert_eq!(r.validate(), vec![]);
    r.problem.title = "two\nlines".into();
    r.problem.business_impact = "bell\u{7}".into();
    assert_eq!(
        paths(&r),
        vec!["$.problem.title", "$.problem.business_impact"]
    );
    assert!(problem_at(&r, "$.problem.title").contains("one line"));
}

#[test]
fn from_json_reports_shape_errors_and_oversized_bodies() {
    let err = Request::from_json("{\"schema\":1}").unwrap_err();
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].path, "$");
    assert!(err[0]
        .message
        .starts_with("not a frontline.request/v1 request"));

    let mut v = serde_json::to_value(Request::example()).unwrap();
    v["surprise"] = serde_json::json!(true);
    let err = Request::from_json(&v.to_string()).unwrap_err();
    assert!(
        err[0].message.contains("unknown field `surprise`"),
        "{err:?}"
    );

    let big = " ".repeat(MAX_REQUEST_BYTES + 1);
    let err = Request::from_json(&big).unwrap_err();
    assert!(err[0].message.contains("more than the"), "{err:?}");

    let mut r = Request::example();
    r.contact.email = "nope".into();
    let err = Request::from_json(&serde_json::to_string(&r).unwrap()).unwrap_err();
    assert_eq!(err[0].path, "$.contact.email");
}

/// A request built the way the browser builds it, from a real evaluation.
fn real_request() -> (frontline_core::Ruleset, Request) {
    let rules = load(DEFAULT).unwrap();
    let t = Transcript::new("m365", "billing").answer("billing-what", "dispute");
    let Step::Outcome(o) = evaluate(&rules, &t).unwrap() else {
        panic!("expected an outcome")
    };
    let severity = o.severities[0].clone();
    let now = parse_rfc3339_utc("2025-03-28T17:30:00Z").unwrap();
    let deadline = hours::first_response(&rules, o.handler, &severity, now, &Zone::utc()).unwrap();
    let mut r = Request::example();
    r.problem.product = "m365".into();
    r.problem.kind = "billing".into();
    r.problem.severity = Some(severity);
    r.diagnosis = vec![DiagnosisStep {
        node: "billing-what".into(),
        answer: "dispute".into(),
        at: "2025-03-28T17:29:00Z".into(),
        question: String::new(),
        answer_label: String::new(),
    }];
    r.outcome = RequestOutcome::from(o.as_ref());
    r.first_response = Some(FirstResponse::from(&deadline));
    (rules, r)
}

#[test]
fn verify_accepts_a_real_request_and_names_what_was_tampered_with() {
    let (rules, r) = real_request();
    assert_eq!(r.validate(), vec![]);
    assert_eq!(
        r.outcome.matched_rules,
        vec![r.outcome.decision.rule.clone()]
    );
    assert_eq!(r.outcome.decision.handler, Handler::VendorCommercial);
    let v = r.verify(&rules);
    assert!(v.matches, "{v:?}");

    let mut forged = r.clone();
    forged.outcome.decision.handler = Handler::Partner;
    let v = forged.verify(&rules);
    assert!(!v.matches);
    assert_eq!(v.differences[0].field, "outcome.handler");

    let mut stale = r;
    stale.outcome.ruleset.hash = "0".repeat(64);
    let v = stale.verify(&rules);
    assert_eq!(v.differences[0].field, "ruleset.hash");
}

#[test]
fn the_first_response_records_the_deadline_in_utc() {
    let (_, r) = real_request();
    let f = r.first_response.unwrap();
    assert!(f.due.ends_with('Z') && f.due.len() == 20, "{}", f.due);
    assert!(parse_rfc3339_utc(&f.due).is_some());
}

proptest! {
    #[test]
    fn validate_never_panics_and_every_path_starts_with_dollar(
        id in "\\PC{0,40}",
        email in "\\PC{0,300}",
        time in "[0-9T:.Z+-]{0,40}",
        title in "\\PC{0,250}",
        tenant in "\\PC{0,60}",
    ) {
        let mut r = Request::example();
        r.id = id;
        r.contact.email = email;
        r.created_at = time;
        r.problem.title = title;
        r.organisation.tenant = Some(tenant);
        for p in r.validate() {
            prop_assert!(p.path.starts_with("$."));
            prop_assert!(!p.message.is_empty());
        }
    }
}

/// `Request::to_json` (hand-written, what the browser sends) writes exactly
/// the text the serde derives write, for every optional part present or not.
#[test]
fn the_hand_written_json_is_the_derived_json() {
    use frontline_core::hours::Clock;
    use frontline_core::ruleset::PriceModel;
    let mut variants = vec![Request::example(), maximal()];
    let mut r = Request::example();
    r.contact.phone = None;
    r.contact.preferred = PreferredContact::Phone;
    r.organisation.tenant = None;
    r.organisation.subscription_id = None;
    r.problem.severity = None;
    r.problem.started_at = None;
    r.problem.description =
        "quote \" backslash \\ tab \t nl \n cr \r ctl \u{1f} é 😀 \u{2028}".into();
    r.diagnosis.clear();
    r.self_help_tried.clear();
    r.outcome.matched_rules.clear();
    r.outcome.decision.vehicle = Some("commercial".into());
    r.first_response = None;
    r.price = None;
    r.consent.continuous_work = true;
    variants.push(r.clone());
    for (handler, clock, model, amount) in [
        (
            Handler::VendorCommercial,
            Clock::RoundTheClock,
            PriceModel::PerIncident,
            Some(0),
        ),
        (
            Handler::VendorTechnical,
            Clock::BusinessHours,
            PriceModel::Monthly,
            Some(12_345),
        ),
        (
            Handler::Publisher,
            Clock::RoundTheClock,
            PriceModel::Included,
            None,
        ),
        (
            Handler::IndirectProvider,
            Clock::BusinessHours,
            PriceModel::Included,
            None,
        ),
        (
            Handler::OutOfScope,
            Clock::BusinessHours,
            PriceModel::Included,
            None,
        ),
    ] {
        let mut r = Request::example();
        r.outcome.decision.handler = handler;
        r.first_response.as_mut().unwrap().clock = clock;
        let p = r.price.as_mut().unwrap();
        p.model = model;
        p.amount_minor = amount;
        p.currency = None;
        p.accepted = false;
        variants.push(r);
    }
    for r in variants {
        assert_eq!(r.to_json(), serde_json::to_string(&r).unwrap());
        assert_eq!(serde_json::from_str::<Request>(&r.to_json()).unwrap(), r);
    }
}
