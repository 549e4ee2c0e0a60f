//! Intake adapters: exact calls for json, zendesk, form and email.

use std::collections::BTreeMap;

use frontline_core::adapters::*;
use frontline_core::request::Request;
use frontline_core::{Intake, IntakeAdapter};

fn intake(adapter: IntakeAdapter, url: &str) -> Intake {
    Intake {
        adapter,
        url: url.into(),
        headers: BTreeMap::new(),
        zendesk_fields: vec![],
        form_fields: vec![],
        events_url: None,
        challenge_url: None,
    }
}

fn http(d: Delivery) -> OutgoingHttp {
    match d {
        Delivery::Http(h) => h,
        Delivery::Mailto(m) => panic!("expected an HTTP call, got {m}"),
    }
}

/// A request with the characters encoders get wrong.
fn tricky() -> Request {
    let mut r = Request::example();
    r.contact.name = "Zoë \"Z\" O'Brien & Co".into();
    r.problem.title = "Ça marche pas: 100% + ? & = # / 😀".into();
    r.problem.description = "line 1\nline 2\r\nline 3 <b>bold</b>".into();
    r
}

#[test]
fn json_posts_the_request_with_the_idempotency_key_and_extra_headers() {
    let mut i = intake(IntakeAdapter::Json, "https://support.example.com/intake");
    i.headers.insert("X-Portal".into(), "northwind".into());
    i.headers.insert("content-type".into(), "text/plain".into()); // ours wins
    i.headers.insert("idempotency-key".into(), "fixed".into()); // ours wins
    let req = tricky();
    let h = http(delivery_for(&req, &i).unwrap());
    assert_eq!(h.method, "POST");
    assert_eq!(h.url, "https://support.example.com/intake");
    assert_eq!(h.content_type, "application/json");
    assert_eq!(
        h.headers,
        vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            (
                "Idempotency-Key".to_string(),
                "0f8fad5b-d9cb-469f-a165-70867728950e".to_string()
            ),
            ("X-Portal".to_string(), "northwind".to_string()),
        ]
    );
    assert_eq!(h.body, serde_json::to_string(&req).unwrap());
    let back: Request = serde_json::from_str(&h.body).unwrap();
    assert_eq!(back, req);
    assert!(h
        .body
        .contains(r#""title":"Ça marche pas: 100% + ? & = # / 😀""#));
    assert!(h
        .body
        .contains(r#""description":"line 1\nline 2\r\nline 3 <b>bold</b>""#));
}

#[test]
fn a_header_value_with_a_line_break_is_refused_with_the_fix() {
    let mut i = intake(IntakeAdapter::Json, "https://support.example.com/intake");
    i.headers
        .insert("X-Evil".into(), "a\r\nSet-Cookie: x".into());
    let e = delivery_for(&Request::example(), &i).unwrap_err();
    assert!(e.message.contains("$.intake.headers"), "{e}");
}

#[test]
fn zendesk_posts_an_anonymous_request_with_custom_fields() {
    let mut i = intake(
        IntakeAdapter::Zendesk,
        "https://northwind.zendesk.com/api/v2/requests",
    );
    let req = tricky();
    i.zendesk_fields = vec![
        ZendeskField {
            id: 360001234567,
            field: RequestField::Severity,
        },
        ZendeskField {
            id: 360007654321,
            field: RequestField::ShareDiagnostics,
        },
    ];
    let h = http(delivery_for(&req, &i).unwrap());
    assert_eq!(h.url, "https://northwind.zendesk.com/api/v2/requests");
    assert_eq!(h.content_type, "application/json");
    assert_eq!(h.headers[1].0, "Idempotency-Key");
    let body: serde_json::Value = serde_json::from_str(&h.body).unwrap();
    let expected = serde_json::json!({
        "request": {
            "requester": { "name": "Zoë \"Z\" O'Brien & Co", "email": "ada@contoso.example" },
            "subject": "Ça marche pas: 100% + ? & = # / 😀",
            "comment": { "body": plain_text(&req) },
            "custom_fields": [
                { "id": 360001234567u64, "value": "B" },
                { "id": 360007654321u64, "value": true }
            ]
        }
    });
    assert_eq!(body, expected);
    // Exact bytes: keys sorted, no whitespace, unicode written as is.
    assert!(
        h.body.starts_with(r#"{"request":{"comment":{"body":"Title: Ça marche pas: 100% + ? & = # / 😀\nProduct / kind: m365 / technical\n"#),
        "{}",
        h.body
    );
    // Without configured fields there is no custom_fields key at all.
    i.zendesk_fields.clear();
    let plain = http(delivery_for(&req, &i).unwrap());
    assert!(!plain.body.contains("custom_fields"));
}

#[test]
fn the_plain_text_rendering_has_the_transcript_and_the_outcome() {
    let text = plain_text(&Request::example());
    assert_eq!(
        text,
        "Title: Outlook cannot connect
Product / kind: m365 / technical
Severity: B
Problem started: 2025-03-28T07:00:00Z
Contact: Ada Lovelace <ada@contoso.example>, +44 20 7946 0000 (prefers email)
Company: Contoso Ltd
Tenant: contoso.onmicrosoft.com
Subscription: 8d3c5a2e-1b4f-4c6d-9e7f-0a1b2c3d4e5f
Handled by: partner
First response due: 2025-03-31T10:00:00Z (240 min, business hours)
Price: included, accepted

Description:
Since this morning Outlook says \"Disconnected\".
Web mail works.

Business impact:
Sales team (12 people) cannot send quotes.

Self-help tried:
- Install pending Windows updates

Diagnosis:
1. Does the service health page show an incident? — No incident (2025-03-28T17:28:00Z)

Decision: rule partner-config (matched: partner-config); end end-config; ruleset northwind-cloud-default 1.0.0 (0000000000000000000000000000000000000000000000000000000000000000)
Consent: share diagnostics yes; continuous work no
Sent 2025-03-28T17:30:00.000Z (en, Europe/London) — request id 0f8fad5b-d9cb-469f-a165-70867728950e
Browser: Mozilla/5.0
"
    );
}

#[test]
fn form_encodes_every_field_by_default_and_named_fields_when_configured() {
    let mut i = intake(IntakeAdapter::Form, "https://northwind.example/contact.php");
    let req = tricky();
    i.form_fields = vec![
        FormField {
            name: "your-name".into(),
            field: RequestField::Name,
        },
        FormField {
            name: "subject line".into(),
            field: RequestField::Title,
        },
        FormField {
            name: "msg".into(),
            field: RequestField::Description,
        },
    ];
    let h = http(delivery_for(&req, &i).unwrap());
    assert_eq!(h.content_type, "application/x-www-form-urlencoded");
    assert_eq!(
        h.headers,
        vec![
            (
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded".to_string()
            ),
            ("Idempotency-Key".to_string(), req.id.clone()),
        ]
    );
    assert_eq!(
        h.body,
        "your-name=Zo%C3%AB+%22Z%22+O%27Brien+%26+Co\
         &subject+line=%C3%87a+marche+pas%3A+100%25+%2B+%3F+%26+%3D+%23+%2F+%F0%9F%98%80\
         &msg=line+1%0Aline+2%0D%0Aline+3+%3Cb%3Ebold%3C%2Fb%3E"
    );
    i.form_fields.clear();
    let all = http(delivery_for(&req, &i).unwrap());
    let names: Vec<&str> = all
        .body
        .split('&')
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    assert_eq!(names.len(), RequestField::ALL.len());
    assert_eq!(&names[..3], ["id", "created_at", "locale"]);
    assert_eq!(names.last(), Some(&"summary"));
    assert!(all.body.contains("&share_diagnostics=true&"));
}

#[test]
fn form_encoding_matches_the_whatwg_rules() {
    assert_eq!(form_encode("aZ09*-._"), "aZ09*-._");
    assert_eq!(form_encode("a b~!'()"), "a+b%7E%21%27%28%29");
    assert_eq!(form_encode("é€😀"), "%C3%A9%E2%82%AC%F0%9F%98%80");
    assert_eq!(form_encode(""), "");
}

#[test]
fn the_email_adapter_returns_a_mailto_link() {
    let i = intake(IntakeAdapter::Email, "mailto:support@northwind.example");
    let req = Request::example();
    match delivery_for(&req, &i).unwrap() {
        Delivery::Mailto(m) => {
            assert!(m.starts_with(
                "mailto:support@northwind.example?subject=Outlook%20cannot%20connect&body=Title%3A%20Outlook"
            ), "{m}");
            assert!(m.contains("%0D%0AProduct%20%2F%20kind%3A%20m365"), "{m}");
            assert_eq!(m, mailto_for(&req, "support@northwind.example"));
        }
        Delivery::Http(h) => panic!("expected mailto, got {h:?}"),
    }
}

#[test]
fn adapters_refuse_a_url_of_the_wrong_kind() {
    let e = delivery_for(
        &Request::example(),
        &intake(IntakeAdapter::Email, "https://x.example"),
    )
    .unwrap_err();
    assert!(
        e.message.contains("write mailto:support@example.com"),
        "{e}"
    );
    let e = delivery_for(
        &Request::example(),
        &intake(IntakeAdapter::Json, "mailto:a@b.example"),
    )
    .unwrap_err();
    assert!(e.message.contains("use the email adapter"), "{e}");
}

#[test]
fn mailto_encodes_tricky_characters_and_crlf() {
    assert_eq!(mailto_encode("a b&c=d?e#f%"), "a%20b%26c%3Dd%3Fe%23f%25");
    assert_eq!(mailto_encode("x\ny\r\nz\rw"), "x%0D%0Ay%0D%0Az%0D%0Aw");
    assert_eq!(mailto_encode("Zoë😀"), "Zo%C3%AB%F0%9F%98%80");
    // The query of a mailto: URL given as the address is dropped, the address kept.
    let m = mailto_for(
        &Request::example(),
        "mailto:help@x.example?cc=boss@x.example",
    );
    assert!(m.starts_with("mailto:help@x.example?subject="), "{m}");
}

#[test]
fn a_long_request_becomes_a_mailto_link_under_the_limit_with_a_note() {
    let mut req = Request::example();
    req.problem.description = "Ligne très longue — 😀 &=?#\n".repeat(400);
    let m = mailto_for(&req, "support@northwind.example");
    assert!(m.len() <= MAX_MAILTO_CHARS, "{}", m.len());
    assert!(
        m.len() > MAX_MAILTO_CHARS - 200,
        "cut too early: {}",
        m.len()
    );
    let note = mailto_encode(&format!(
        "\n[…] Shortened to fit in an e-mail link. Request id: {}",
        req.id
    ));
    assert!(m.ends_with(&note), "{m}");
    // Cut at a line end: the text before the note ends with a full line.
    let before = &m[..m.len() - note.len()];
    assert!(before.ends_with("%0D%0A"), "{before}");
    // Never splits a percent-escape or a character.
    let body = &m[m.find("&body=").unwrap() + 6..];
    assert!(percent_decode(body).is_some(), "invalid escapes");

    // A title at its limit in emoji still leaves room for a body.
    req.problem.title = "😀".repeat(frontline_core::request::MAX_TITLE_CHARS);
    let m = mailto_for(&req, "support@northwind.example");
    assert!(m.len() <= MAX_MAILTO_CHARS);
    assert!(m.contains("&body=Title"), "{m}");

    // A short request is not shortened.
    let short = mailto_for(&Request::example(), "a@b.example");
    assert!(short.len() < MAX_MAILTO_CHARS);
    assert!(!short.contains("Shortened"));
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[test]
fn references_are_read_from_intake_and_zendesk_answers() {
    assert_eq!(
        reference_from_body(IntakeAdapter::Json, r#"{"reference":"FL-000123","id":"x"}"#),
        Some("FL-000123".into())
    );
    assert_eq!(
        reference_from_body(
            IntakeAdapter::Zendesk,
            r#"{"request":{"id":35436,"subject":"x"}}"#
        ),
        Some("35436".into())
    );
    assert_eq!(
        reference_from_body(IntakeAdapter::Form, "<html>thanks</html>"),
        None
    );
    assert_eq!(
        reference_from_body(IntakeAdapter::Json, r#"{"reference":"a\nb"}"#),
        None
    );
}

// ------------------------------------------------ configured from the ruleset

const DEFAULT_RULESET: &str = include_str!("../../../public/rules/default.json");

/// The default ruleset with `intake` replaced, through `load` (no problem
/// at all allowed), checking that `parse` (the browser's reader) and serde
/// read the same intake.
fn load_with_intake(intake: serde_json::Value) -> frontline_core::Ruleset {
    let mut v: serde_json::Value = serde_json::from_str(DEFAULT_RULESET).unwrap();
    v["intake"] = intake;
    let text = v.to_string();
    let (r, report) = frontline_core::load_with_report(&text);
    assert!(report.is_empty(), "{report}");
    let r = r.unwrap();
    assert_eq!(frontline_core::parse(&text).unwrap().intake, r.intake);
    let by_serde: frontline_core::Ruleset = serde_json::from_str(&text).unwrap();
    assert_eq!(by_serde.intake, r.intake);
    r
}

#[test]
fn a_ruleset_with_form_fields_sends_exactly_those_names_in_that_order() {
    let rules = load_with_intake(serde_json::json!({
        "adapter": "form",
        "url": "https://northwind.example/contact.php",
        "form_fields": [
            { "name": "your-name", "field": "name" },
            { "name": "ticket[subject]", "field": "title" },
            { "name": "e-mail", "field": "email" },
            { "name": "sev", "field": "severity" },
            { "name": "ok_to_share", "field": "share_diagnostics" }
        ]
    }));
    let req = Request::example();
    let h = http(delivery_for(&req, &rules.intake).unwrap());
    assert_eq!(h.url, "https://northwind.example/contact.php");
    assert_eq!(h.content_type, "application/x-www-form-urlencoded");
    assert_eq!(
        h.body,
        "your-name=Ada+Lovelace\
         &ticket%5Bsubject%5D=Outlook+cannot+connect\
         &e-mail=ada%40contoso.example\
         &sev=B\
         &ok_to_share=true"
    );
    let names: Vec<&str> = h
        .body
        .split('&')
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "your-name",
            "ticket%5Bsubject%5D",
            "e-mail",
            "sev",
            "ok_to_share"
        ]
    );
}

#[test]
fn a_ruleset_without_form_fields_sends_every_field_under_its_own_name() {
    let rules = load_with_intake(serde_json::json!({
        "adapter": "form",
        "url": "https://northwind.example/contact.php"
    }));
    assert!(rules.intake.form_fields.is_empty());
    let h = http(delivery_for(&Request::example(), &rules.intake).unwrap());
    let names: Vec<&str> = h
        .body
        .split('&')
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    let all: Vec<&str> = RequestField::ALL.iter().map(|f| f.as_str()).collect();
    assert_eq!(names, all);
}

#[test]
fn a_ruleset_with_zendesk_fields_fills_those_custom_fields() {
    let rules = load_with_intake(serde_json::json!({
        "adapter": "zendesk",
        "url": "https://northwind.zendesk.com/api/v2/requests",
        "zendesk_fields": [
            { "id": 360001234567u64, "field": "severity" },
            { "id": 360009999999u64, "field": "product" },
            { "id": 360007654321u64, "field": "continuous_work" }
        ]
    }));
    let req = Request::example();
    let h = http(delivery_for(&req, &rules.intake).unwrap());
    assert_eq!(h.url, "https://northwind.zendesk.com/api/v2/requests");
    assert_eq!(h.content_type, "application/json");
    let body: serde_json::Value = serde_json::from_str(&h.body).unwrap();
    assert_eq!(
        body["request"]["custom_fields"],
        serde_json::json!([
            { "id": 360001234567u64, "value": "B" },
            { "id": 360009999999u64, "value": "m365" },
            { "id": 360007654321u64, "value": false }
        ])
    );
    assert_eq!(body["request"]["requester"]["email"], "ada@contoso.example");

    // The same ruleset without zendesk_fields: no custom_fields at all.
    let rules = load_with_intake(serde_json::json!({
        "adapter": "zendesk",
        "url": "https://northwind.zendesk.com/api/v2/requests"
    }));
    let h = http(delivery_for(&req, &rules.intake).unwrap());
    assert!(!h.body.contains("custom_fields"), "{}", h.body);
}

/// What `zendesk_body` wrote when it was built with `json!` (serde_json's
/// sorted maps): the hand-written body must be these exact bytes.
fn zendesk_body_by_serde(req: &Request, fields: &[ZendeskField]) -> String {
    use serde_json::{json, Value};
    let mut request = json!({
        "requester": { "name": req.contact.name, "email": req.contact.email },
        "subject": req.problem.title,
        "comment": { "body": plain_text(req) },
    });
    if !fields.is_empty() {
        let fields: Vec<Value> = fields
            .iter()
            .map(|f| {
                let value = match f.field {
                    RequestField::ShareDiagnostics => Value::Bool(req.consent.share_diagnostics),
                    RequestField::ContinuousWork => Value::Bool(req.consent.continuous_work),
                    other => Value::String(other.value(req)),
                };
                json!({ "id": f.id, "value": value })
            })
            .collect();
        if let Value::Object(m) = &mut request {
            m.insert("custom_fields".into(), Value::Array(fields));
        }
    }
    json!({ "request": request }).to_string()
}

#[test]
fn the_hand_written_bodies_are_serdes_bytes() {
    let mut control = tricky();
    control.contact.name = "tab\tnul\u{0}bell\u{7}\\".into();
    control.consent.continuous_work = true;
    let all: Vec<ZendeskField> = RequestField::ALL
        .iter()
        .enumerate()
        .map(|(i, f)| ZendeskField {
            id: u64::MAX - i as u64,
            field: *f,
        })
        .collect();
    for req in [Request::example(), tricky(), control] {
        for fields in [&[][..], &all[..1], &all[..]] {
            assert_eq!(
                zendesk_body(&req, fields),
                zendesk_body_by_serde(&req, fields)
            );
        }
        let mut i = intake(IntakeAdapter::Json, "https://intake.example/r");
        let h = http(delivery_for(&req, &i).unwrap());
        assert_eq!(h.body, serde_json::to_string(&req).unwrap());
        i.adapter = IntakeAdapter::Zendesk;
        i.zendesk_fields = all.clone();
        let h = http(delivery_for(&req, &i).unwrap());
        assert_eq!(h.body, zendesk_body_by_serde(&req, &all));
    }
}

#[test]
fn prices_are_written_with_their_currency_s_minor_digits() {
    for (amount_minor, currency, major) in [
        (25000, "EUR", "250.00"),
        (5000, "JPY", "5000"),
        (1250, "KWD", "1.250"),
    ] {
        let mut r = Request::example();
        let p = r.price.as_mut().unwrap();
        p.model = frontline_core::PriceModel::PerIncident;
        p.amount_minor = Some(amount_minor);
        p.currency = Some(currency.into());
        p.amount = frontline_core::money::amount(amount_minor, currency);
        assert_eq!(p.amount.as_deref(), Some(major));
        assert!(r.validate().is_empty(), "{:?}", r.validate());
        let text = plain_text(&r);
        assert!(
            text.contains(&format!("Price: included {major} {currency}, accepted")),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["price"]["amount"], major);
        assert_eq!(json["price"]["amount_minor"], amount_minor);
    }
}

#[test]
fn a_price_amount_that_disagrees_with_its_minor_units_is_refused() {
    let mut r = Request::example();
    let p = r.price.as_mut().unwrap();
    p.model = frontline_core::PriceModel::PerIncident;
    p.amount_minor = Some(5000);
    p.currency = Some("JPY".into());
    p.amount = Some("50.00".into()); // as if JPY had two decimals
    let problems = r.validate();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "$.price.amount");
    assert!(
        problems[0].message.contains("must be \"5000\""),
        "{}",
        problems[0].message
    );
    r.price.as_mut().unwrap().currency = Some("EUX".into());
    let paths: Vec<String> = r.validate().into_iter().map(|p| p.path).collect();
    assert_eq!(paths, ["$.price.currency", "$.price.amount"]);
}

#[test]
fn the_json_call_carries_the_anti_spam_signals_after_every_other_header() {
    let mut i = intake(IntakeAdapter::Json, "https://support.example.com/intake");
    i.headers.insert("X-Portal".into(), "northwind".into());
    i.headers.insert("frontline-trap".into(), "forged".into()); // ours win
    let req = Request::example();
    let h = http(delivery_with_signals(&req, &i, "", 12_345).unwrap());
    let plain = http(delivery_for(&req, &i).unwrap());
    // Nothing typed in the honeypot: no trap header, only the time.
    let mut expected: Vec<_> = plain
        .headers
        .iter()
        .filter(|(n, _)| n != "frontline-trap")
        .cloned()
        .collect();
    expected.push((ELAPSED_HEADER.into(), "12345".into()));
    assert_eq!(h.headers, expected);
    assert_eq!((h.body, h.url), (plain.body, plain.url));

    let h = http(delivery_with_signals(&req, &i, "  https://spam.example  ", 800).unwrap());
    let tail: Vec<_> = h.headers[h.headers.len() - 2..].to_vec();
    assert_eq!(
        tail,
        vec![
            (
                "Frontline-Trap".to_string(),
                "https://spam.example".to_string()
            ),
            ("Frontline-Elapsed-Ms".to_string(), "800".to_string()),
        ]
    );
}

#[test]
fn other_adapters_carry_no_signal_a_third_party_would_refuse() {
    let req = Request::example();
    for (adapter, url) in [
        (
            IntakeAdapter::Zendesk,
            "https://partner.zendesk.com/api/v2/requests",
        ),
        (IntakeAdapter::Form, "https://partner.example/contact.php"),
        (IntakeAdapter::Email, "mailto:support@partner.example"),
    ] {
        let i = intake(adapter, url);
        assert_eq!(
            delivery_with_signals(&req, &i, "bot", 5).unwrap(),
            delivery_for(&req, &i).unwrap(),
            "{adapter:?}"
        );
    }
}

#[test]
fn a_trap_value_is_always_a_header_value_a_browser_sends() {
    let value = |trap: &str| {
        signal_headers(trap, 0)
            .into_iter()
            .find(|(n, _)| n == TRAP_HEADER)
            .map(|(_, v)| v)
    };
    assert_eq!(value(""), None);
    assert_eq!(value(" \t "), None);
    assert_eq!(value("a b"), Some("a b".into()));
    // Line breaks, non-ASCII and '%' percent-encoded (UTF-8), so that
    // `Headers.set` never throws and the request is never stopped.
    assert_eq!(value("x\r\ny"), Some("x%0D%0Ay".into()));
    assert_eq!(value("Zoë 100%"), Some("Zo%C3%AB 100%25".into()));
    assert_eq!(value("😀"), Some("%F0%9F%98%80".into()));
    let long = value(&"w".repeat(5000)).unwrap();
    assert_eq!(long.len(), MAX_TRAP_CHARS);
    for trap in ["\u{0}\u{7f}é\n", "中文", "ok"] {
        let v = value(trap).unwrap();
        assert!(v.bytes().all(|b| (0x20..0x7f).contains(&b)), "{v:?}");
    }
    assert_eq!(
        signal_headers("", 7),
        vec![(ELAPSED_HEADER.to_string(), "7".to_string())]
    );
}
