//! The fakes as a client of the documented APIs sees them (not through the
//! relay's clients): credentials, required fields, the fault endpoint, the
//! page, the bin.

use std::io::{BufRead, BufReader};

use frontline_fakedesk::{Desk, FakeDesk};
use serde_json::{json, Value};

/// The create call's path on each desk.
fn create_path(desk: Desk) -> &'static str {
    match desk {
        Desk::Freshdesk => "/api/v2/tickets",
        Desk::Servicenow => "/api/now/table/incident",
        Desk::Zammad => "/api/v1/tickets",
        Desk::Jira => "/rest/servicedeskapi/request",
        Desk::Connectwise => "/v4_6_release/apis/3.0/service/tickets",
    }
}

#[tokio::test]
async fn every_desk_refuses_a_missing_or_wrong_credential_in_its_own_words() {
    let http = reqwest::Client::new();
    for desk in Desk::ALL {
        let fake = FakeDesk::start(desk).await.unwrap();
        let url = format!("{}{}", fake.url(), create_path(desk));
        for auth in [None, Some(("someone", "wrong"))] {
            let mut r = http.post(&url).json(&json!({"summary": "x"}));
            if let Some((u, p)) = auth {
                r = r.basic_auth(u, Some(p));
            }
            let answer = r.send().await.unwrap();
            assert_eq!(answer.status(), 401, "{desk:?}");
            let body: Value = answer.json().await.unwrap();
            let shaped = match desk {
                Desk::Freshdesk => body["code"] == "invalid_credentials",
                Desk::Servicenow => body["error"]["message"] == "User Not Authenticated",
                Desk::Zammad => body["error"].is_string(),
                Desk::Jira => body["errorMessages"].is_array(),
                Desk::Connectwise => body["code"] == "Unauthorized",
            };
            assert!(shaped, "{desk:?}: {body}");
        }
        assert!(fake.tickets().is_empty());
        assert_eq!(fake.create_calls(), 0, "refused before counting");
    }
}

#[tokio::test]
async fn freshdesk_names_the_missing_field() {
    let fake = FakeDesk::start(Desk::Freshdesk).await.unwrap();
    let post = |body: Value| {
        reqwest::Client::new()
            .post(format!("{}/api/v2/tickets", fake.url()))
            .basic_auth(frontline_fakedesk::freshdesk::API_KEY, Some("X"))
            .json(&body)
            .send()
    };
    let r = post(json!({"description": "d", "email": "a@b.example"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "subject", "{body}");
    let r = post(json!({"subject": "s", "description": "d"}))
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "requester_id", "{body}");
    let r =
        post(json!({"subject": "s", "description": "d", "email": "a@b.example", "priority": 5}))
            .await
            .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "priority", "{body}");
    let r = post(json!({"subject": "s", "description": "d", "email": "a@b.example", "custom_fields": {"cf_nope": "x"}})).await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "cf_nope", "{body}");
    assert!(fake.tickets().is_empty());
    let r = post(json!({"subject": "s", "description": "d", "email": "a@b.example"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(fake.tickets().len(), 1);
}

#[tokio::test]
async fn servicenow_enforces_the_short_description_length() {
    let fake = FakeDesk::start(Desk::Servicenow).await.unwrap();
    let post = |text: String| {
        reqwest::Client::new()
            .post(format!("{}/api/now/table/incident", fake.url()))
            .basic_auth(
                frontline_fakedesk::servicenow::USER,
                Some(frontline_fakedesk::servicenow::PASSWORD),
            )
            .json(&json!({ "short_description": text }))
            .send()
    };
    let r = post("x".repeat(161)).await.unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("short_description"),
        "{body}"
    );
    let r = post("x".repeat(160)).await.unwrap();
    assert_eq!(r.status(), 201);
    assert!(r.headers().contains_key("location"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"]["number"], "INC0010001");
}

#[tokio::test]
async fn faults_are_set_over_http_and_the_page_escapes_text() {
    let fake = FakeDesk::start(Desk::Zammad).await.unwrap();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/_faults", fake.url()))
        .json(&json!({"failure_rate": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a rate over 1 is refused");
    let r = http
        .post(format!("{}/_faults", fake.url()))
        .json(&json!({"script": [{"refuse": 503}, {"rate_limit": 9}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let create = || {
        http.post(format!("{}/api/v1/tickets", fake.url()))
            .header(
                "Authorization",
                format!("Token token={}", frontline_fakedesk::zammad::TOKEN),
            )
            .json(
                &json!({"title": "<script>alert(1)</script>", "group": "Users",
                          "customer_id": "guess:a@b.example", "article": {"body": "hello & bye"}}),
            )
            .send()
    };
    assert_eq!(create().await.unwrap().status(), 503);
    let r = create().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "9");
    assert_eq!(create().await.unwrap().status(), 201);
    let held: Value = http
        .get(format!("{}/_tickets", fake.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (held["count"].as_u64(), held["create_calls"].as_u64()),
        (Some(1), Some(3))
    );
    let page = http
        .get(format!("{}/", fake.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(page.contains("hello &amp; bye"));
    assert!(!page.contains("<script>"));
}

#[test]
fn the_bin_prints_where_it_listens() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_frontline-fakedesk"))
        .args(["--port", "0", "--desk", "jira"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.starts_with("listening "));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("a listening line");
    assert!(
        line.starts_with("listening http://127.0.0.1:") && line.ends_with('/'),
        "{line}"
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_frontline-fakedesk"))
        .args(["--desk", "zendesk"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown desk"));
}
