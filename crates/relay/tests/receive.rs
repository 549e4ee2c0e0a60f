//! The reference intake server, in-process and on a real loopback listener.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request as HttpRequest, StatusCode};
use axum::Router;
use frontline_core::request::{DiagnosisStep, Request, RequestOutcome};
use frontline_core::{evaluate, load, Handler, Step, Transcript};
use frontline_relay::{router, serve, AppState, Config};
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

const DEFAULT: &str = include_str!("../../../public/rules/default.json");
const ORIGIN: &str = "http://127.0.0.1:8080";

/// The admin token the tests' servers are started with (unless a test sets
/// its own), and what [`get`] presents.
const TOKEN: &str = "test-admin-token-0123456789";

async fn state(mut config: Config) -> AppState {
    config.admin_token.get_or_insert_with(|| TOKEN.into());
    AppState::new(config).await.unwrap()
}

async fn app(config: Config) -> (Router, AppState) {
    let s = state(config).await;
    (router(s.clone()), s)
}

fn body_of(req: &Request) -> String {
    serde_json::to_string(req).unwrap()
}

fn post(key: Option<&str>, body: String) -> HttpRequest<Body> {
    let mut b = HttpRequest::post("/intake").header("content-type", "application/json");
    if let Some(k) = key {
        b = b.header("idempotency-key", k);
    }
    b.body(Body::from(body)).unwrap()
}

async fn call(app: &Router, req: HttpRequest<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

/// A GET with the admin token (the listing needs it; the rest ignores it).
async fn get(app: &Router, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let bearer = format!("Bearer {TOKEN}");
    call(
        app,
        HttpRequest::get(path)
            .header("authorization", bearer)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn listing(app: &Router) -> Value {
    let (status, _, body) = get(app, "/requests.json").await;
    assert_eq!(status, StatusCode::OK);
    serde_json::from_str(&body).unwrap()
}

/// A request whose decision really comes from the default ruleset.
fn real_request() -> Request {
    let rules = load(DEFAULT).unwrap();
    let t = Transcript::new("m365", "billing").answer("billing-what", "dispute");
    let Step::Outcome(o) = evaluate(&rules, &t).unwrap() else {
        panic!("expected an outcome")
    };
    let mut r = Request::example();
    r.problem.product = "m365".into();
    r.problem.kind = "billing".into();
    r.problem.severity = Some(o.severities[0].clone());
    r.diagnosis = vec![DiagnosisStep {
        node: "billing-what".into(),
        answer: "dispute".into(),
        at: "2025-03-28T17:29:00Z".into(),
        question: String::new(),
        answer_label: String::new(),
    }];
    r.outcome = RequestOutcome::from(o.as_ref());
    r
}

#[tokio::test]
async fn health_answers_ok_with_the_version() {
    let (app, _) = app(Config::default()).await;
    let (status, _, body) = get(&app, "/health").await;
    assert_eq!(status, StatusCode::OK);
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(get(&app, "/nope").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_valid_request_is_stored_and_answered_with_a_reference() {
    let (app, _) = app(Config::default()).await;
    let req = Request::example();
    let (status, headers, body) = call(&app, post(Some(&req.id), body_of(&req))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        body,
        format!("{{\"id\":\"{}\",\"reference\":\"FL-000001\"}}", req.id)
    );
    let list = listing(&app).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["requests"][0]["reference"], "FL-000001");
    assert_eq!(list["requests"][0]["request"]["id"], req.id.as_str());
    assert_eq!(list["requests"][0]["verification"], Value::Null);
}

#[tokio::test]
async fn invalid_requests_get_400_with_every_reason_and_nothing_is_stored() {
    let (app, _) = app(Config::default()).await;
    let mut req = Request::example();
    req.contact.email = "not an address".into();
    req.problem.title = String::new();
    let (status, _, body) = call(&app, post(Some("k1"), body_of(&req))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let json: Value = serde_json::from_str(&body).unwrap();
    let paths: Vec<&str> = json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["$.contact.email", "$.problem.title"]);

    // Shape errors name the field too.
    let mut v = serde_json::to_value(Request::example()).unwrap();
    v["contact"]["email"] = Value::from(42);
    let (status, _, body) = call(&app, post(Some("k2"), v.to_string())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["errors"][0]["path"], "$.contact.email", "{body}");
    assert!(json["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("invalid type"));

    let (status, _, body) = call(&app, post(Some("k3"), "{\"schema\": ".into())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, body) = call(
        &app,
        post(Some("k3"), format!("{} x", body_of(&Request::example()))),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("trailing characters"), "{body}");

    // No key: 400 naming the header.
    let (status, _, body) = call(&app, post(None, body_of(&Request::example()))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("headers.Idempotency-Key"), "{body}");

    // Not JSON: 415.
    let form = HttpRequest::post("/intake")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", "k4")
        .body(Body::from("a=b"))
        .unwrap();
    let (status, _, body) = call(&app, form).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(body.contains("adapter must be \\\"json\\\""), "{body}");

    assert_eq!(listing(&app).await["total"], 0);
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_with_a_json_reason() {
    let (app, _) = app(Config {
        max_body_bytes: 1_000,
        ..Config::default()
    })
    .await;
    let big = body_of(&Request::example()) + &" ".repeat(1_000);
    // Without Content-Length (streamed).
    let (status, headers, body) = call(&app, post(Some("k"), big.clone())).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(headers["content-type"], "application/json");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert!(json["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("larger than the 1000 bytes"));
    // With a Content-Length that says so up front.
    let declared = HttpRequest::post("/intake")
        .header("content-type", "application/json")
        .header("idempotency-key", "k")
        .header("content-length", big.len().to_string())
        .body(Body::from(big))
        .unwrap();
    assert_eq!(call(&app, declared).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(listing(&app).await["total"], 0);
}

#[tokio::test]
async fn a_repeated_key_gets_the_first_answer_byte_for_byte_and_stores_nothing() {
    let (app, _) = app(Config::default()).await;
    let req = Request::example();
    let first = call(&app, post(Some(&req.id), body_of(&req))).await;
    let mut changed = req.clone();
    changed.problem.title = "Something else".into();
    let second = call(&app, post(Some(&req.id), body_of(&changed))).await;
    assert_eq!(first.0, StatusCode::CREATED);
    assert_eq!((first.0, &first.2), (second.0, &second.2));
    assert_eq!(listing(&app).await["total"], 1);
    let list = listing(&app).await;
    assert_eq!(
        list["requests"][0]["request"]["problem"]["title"],
        "Outlook cannot connect"
    );
    // Another key is another request.
    let other = call(&app, post(Some("other-key"), body_of(&req))).await;
    assert!(other.2.contains("FL-000002"), "{}", other.2);
}

async fn start(config: Config) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = state(config).await;
    tokio::spawn(async move {
        let _ = serve(listener, state, async {
            let _ = stopped.await;
        })
        .await;
    });
    (addr, stop)
}

/// One raw HTTP/1.1 exchange; returns every byte the server sent before
/// closing (empty when it closed without an answer).
async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    // The server may close before reading everything: ignore write errors.
    let _ = s.write_all(text.as_bytes()).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    out
}

async fn raw_post(addr: SocketAddr, key: &str, body: &str) -> Vec<u8> {
    raw(
        addr,
        "POST",
        "/intake",
        &[
            ("Content-Type", "application/json"),
            ("Idempotency-Key", key),
        ],
        body,
    )
    .await
}

fn status_of(response: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(response).ok()?;
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

fn body_of_response(response: &[u8]) -> String {
    let text = String::from_utf8_lossy(response);
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

async fn count(addr: SocketAddr) -> u64 {
    let bearer = format!("Bearer {TOKEN}");
    let r = raw(
        addr,
        "GET",
        "/requests.json",
        &[("authorization", &bearer)],
        "",
    )
    .await;
    let v: Value = serde_json::from_str(&body_of_response(&r)).unwrap();
    v["total"].as_u64().unwrap()
}

#[tokio::test]
async fn concurrent_duplicates_store_one_request_and_all_get_the_same_answer() {
    let (addr, _stop) = start(Config::default()).await;
    let body = body_of(&Request::example());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            raw_post(addr, "same-key", &body).await
        }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(status_of(&r), Some(201), "{}", String::from_utf8_lossy(&r));
        bodies.push(body_of_response(&r));
    }
    assert!(bodies.iter().all(|b| b == &bodies[0]), "{bodies:?}");
    assert_eq!(count(addr).await, 1);
}

#[tokio::test]
async fn concurrent_duplicates_through_two_servers_sharing_a_file_store_one() {
    let dir = std::env::temp_dir().join(format!("frontline-relay-test-{}", std::process::id()));
    let db = dir.join("nested/intake.sqlite3");
    let config = || Config {
        database: format!("sqlite:{}", db.display()),
        ..Config::default()
    };
    let (a, _stop_a) = start(config()).await;
    let (b, _stop_b) = start(config()).await;
    let body = body_of(&Request::example());
    let mut tasks = Vec::new();
    for i in 0..6 {
        let body = body.clone();
        let addr = if i % 2 == 0 { a } else { b };
        tasks.push(tokio::spawn(async move {
            raw_post(addr, "shared", &body).await
        }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(status_of(&r), Some(201), "{}", String::from_utf8_lossy(&r));
        bodies.push(body_of_response(&r));
    }
    assert!(bodies.iter().all(|x| x == &bodies[0]), "{bodies:?}");
    assert_eq!(count(a).await, 1);
    assert_eq!(count(b).await, 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_decision_is_verified_and_a_mismatch_recorded_but_accepted() {
    let rules = load(DEFAULT).unwrap();
    let (app, _) = app(Config {
        ruleset: Some(rules),
        ..Config::default()
    })
    .await;
    let good = real_request();
    let (status, _, body) = call(&app, post(Some("good"), body_of(&good))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut forged = real_request();
    forged.outcome.decision.handler = Handler::Partner;
    let (status, _, _) = call(&app, post(Some("forged"), body_of(&forged))).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a mismatch is accepted: the partner decides"
    );

    let list = listing(&app).await;
    assert_eq!(list["requests"][0]["reference"], "FL-000002");
    assert_eq!(list["requests"][0]["verification"]["matches"], false);
    assert_eq!(
        list["requests"][0]["verification"]["differences"][0]["field"],
        "outcome.handler"
    );
    assert_eq!(list["requests"][1]["verification"]["matches"], true);

    let (_, _, html) = get(&app, "/requests").await;
    assert!(html.contains("MISMATCH"), "{html}");
    assert!(html.contains("outcome.handler: request says partner, ruleset says vendor_commercial"));
    assert!(html.contains("matches the ruleset"));
}

#[tokio::test]
async fn cors_preflight_allows_the_configured_origin_only() {
    let (app, _) = app(Config {
        allowed_origins: vec![ORIGIN.into()],
        ..Config::default()
    })
    .await;
    let preflight = |origin: &str| {
        HttpRequest::options("/intake")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,idempotency-key",
            )
            .body(Body::empty())
            .unwrap()
    };
    let (status, h, _) = call(&app, preflight(ORIGIN)).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(h["access-control-allow-origin"], ORIGIN);
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("content-type") && allowed.contains("idempotency-key"),
        "{allowed}"
    );
    // POST for requests and events, GET for the proof-of-work challenge.
    assert_eq!(h["access-control-allow-methods"], "POST,GET");
    assert!(h.get("access-control-allow-credentials").is_none());

    let (_, h, _) = call(&app, preflight("http://evil.example")).await;
    assert!(h.get("access-control-allow-origin").is_none());

    // The actual POST from the allowed origin carries the header too.
    let req = Request::example();
    let mut p = post(Some(&req.id), body_of(&req));
    p.headers_mut().insert("origin", ORIGIN.parse().unwrap());
    let (status, h, _) = call(&app, p).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(h["access-control-allow-origin"], ORIGIN);

    // No origins configured: no CORS at all.
    let (plain, _) = self::app(Config::default()).await;
    let (_, h, _) = call(&plain, preflight(ORIGIN)).await;
    assert!(h.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn the_listing_escapes_customer_text_and_uses_no_inline_code() {
    let (app, _) = app(Config::default()).await;
    let mut req = Request::example();
    req.problem.title = "<script>alert('x')</script>".into();
    req.contact.name = "\"><img src=x onerror=alert(1)>".into();
    req.problem.description = "a & b < c".into();
    assert_eq!(
        call(&app, post(Some("x"), body_of(&req))).await.0,
        StatusCode::CREATED
    );
    let (status, h, html) = get(&app, "/requests").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("a &amp; b &lt; c"));
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script") && !lower.contains("<img") && !lower.contains("style="));
    assert!(!lower.contains("<style"));
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/requests.css\">"));
    let (status, h, css) = get(&app, "/requests.css").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["content-type"], "text/css; charset=utf-8");
    assert!(css.contains(".mismatch"));
    // Accept: application/json on /requests gives the JSON variant.
    let (_, h, body) = call(
        &app,
        HttpRequest::get("/requests")
            .header("accept", "application/json")
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(h["content-type"], "application/json");
    assert!(body.contains("\"<script>alert('x')</script>\""));
}

#[tokio::test]
async fn the_listing_is_newest_first_and_a_file_database_persists() {
    let dir = std::env::temp_dir().join(format!("frontline-relay-persist-{}", std::process::id()));
    let db = dir.join("a/b/intake.sqlite3");
    {
        let (app, _) = app(Config {
            database: format!("sqlite:{}", db.display()),
            ..Config::default()
        })
        .await;
        for k in ["one", "two", "three"] {
            let mut r = Request::example();
            r.problem.title = k.into();
            call(&app, post(Some(k), body_of(&r))).await;
        }
    }
    let (app, _) = app(Config {
        database: format!("sqlite:{}", db.display()),
        ..Config::default()
    })
    .await;
    let list = listing(&app).await;
    let titles: Vec<&str> = list["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request"]["problem"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["three", "two", "one"]);
    // The first answer survives a restart too.
    let (_, _, body) = call(&app, post(Some("one"), body_of(&Request::example()))).await;
    assert!(body.contains("FL-000001"), "{body}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_unusable_configuration_is_reported() {
    let e = AppState::new(Config {
        allowed_origins: vec!["127.0.0.1:8080".into()],
        ..Config::default()
    })
    .await
    .err()
    .unwrap();
    assert!(e.contains("scheme://host[:port]"), "{e}");
    let e = AppState::new(Config {
        allowed_origins: vec!["http://a.example/path".into()],
        ..Config::default()
    })
    .await
    .err()
    .unwrap();
    assert!(e.contains("is not an origin"), "{e}");
}

// ------------------------------------------------------------ faults

fn faulty() -> Config {
    Config {
        faults_enabled: true,
        ..Config::default()
    }
}

fn faults_post(spec: &str) -> HttpRequest<Body> {
    HttpRequest::post("/_faults")
        .header("content-type", "application/json")
        .body(Body::from(spec.to_string()))
        .unwrap()
}

#[tokio::test]
async fn faults_are_off_unless_enabled() {
    let (app, _) = app(Config::default()).await;
    assert_eq!(
        call(&app, faults_post("{\"fail_ratio\":1}")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn fail_next_fails_that_many_and_stores_nothing() {
    let (app, _) = app(faulty()).await;
    let (status, _, body) = call(
        &app,
        faults_post(r#"{"fail_next":{"count":2,"status":503}}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let req = Request::example();
    for _ in 0..2 {
        let (status, _, body) = call(&app, post(Some(&req.id), body_of(&req))).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body.contains("nothing was stored"));
    }
    assert_eq!(listing(&app).await["total"], 0);
    let (status, _, body) = call(&app, post(Some(&req.id), body_of(&req))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(
        body.contains("FL-000001"),
        "the failed attempts took no number: {body}"
    );
}

#[tokio::test]
async fn fail_ratio_and_reset() {
    let (app, _) = app(faulty()).await;
    call(&app, faults_post(r#"{"fail_ratio":1.0,"status":429}"#)).await;
    let req = Request::example();
    for _ in 0..3 {
        assert_eq!(
            call(&app, post(Some("k"), body_of(&req))).await.0,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    let (status, _, state) = call(
        &app,
        HttpRequest::delete("/_faults").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(state.contains("\"fail_ratio\":0.0"), "{state}");
    assert_eq!(
        call(&app, post(Some("k"), body_of(&req))).await.0,
        StatusCode::CREATED
    );
    call(&app, faults_post(r#"{"fail_ratio":0.0}"#)).await;
    assert_eq!(
        call(&app, post(Some("k2"), body_of(&req))).await.0,
        StatusCode::CREATED
    );
    // Bad specifications are refused with the field to fix.
    let (status, _, body) = call(&app, faults_post(r#"{"fail_ratio":2}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("fail_ratio must be between 0 and 1"),
        "{body}"
    );
    let (status, _, body) = call(&app, faults_post(r#"{"explode":true}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("unknown field"), "{body}");
}

#[tokio::test]
async fn delay_slows_each_request() {
    let (app, _) = app(faulty()).await;
    call(&app, faults_post(r#"{"delay_ms":300}"#)).await;
    let req = Request::example();
    let t = Instant::now();
    assert_eq!(
        call(&app, post(Some("k"), body_of(&req))).await.0,
        StatusCode::CREATED
    );
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn fail_after_store_stores_then_503_and_the_retry_is_deduplicated() {
    let (app, _) = app(faulty()).await;
    call(&app, faults_post(r#"{"fail_after_store_next":1}"#)).await;
    let req = Request::example();
    let (status, _, _) = call(&app, post(Some(&req.id), body_of(&req))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(listing(&app).await["total"], 1, "stored before failing");
    let (status, _, body) = call(&app, post(Some(&req.id), body_of(&req))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(body.contains("FL-000001"), "{body}");
    assert_eq!(
        listing(&app).await["total"],
        1,
        "the retry stored nothing new"
    );
}

#[tokio::test]
async fn drop_connection_closes_the_tcp_connection_without_an_answer() {
    let (addr, _stop) = start(faulty()).await;
    let spec = raw(
        addr,
        "POST",
        "/_faults",
        &[("Content-Type", "application/json")],
        r#"{"drop_connection_next":1}"#,
    )
    .await;
    assert_eq!(
        status_of(&spec),
        Some(200),
        "{}",
        String::from_utf8_lossy(&spec)
    );
    let body = body_of(&Request::example());
    // A preflight is not affected.
    let pre = raw(addr, "OPTIONS", "/intake", &[], "").await;
    assert!(status_of(&pre).is_some());
    let dropped = raw_post(addr, "k", &body).await;
    assert!(
        dropped.is_empty(),
        "expected no answer, got {}",
        String::from_utf8_lossy(&dropped)
    );
    assert_eq!(count(addr).await, 0, "nothing stored");
    let ok = raw_post(addr, "k", &body).await;
    assert_eq!(
        status_of(&ok),
        Some(201),
        "{}",
        String::from_utf8_lossy(&ok)
    );
}

#[tokio::test]
async fn down_for_a_while_closes_every_connection_then_recovers() {
    let (addr, _stop) = start(faulty()).await;
    raw(
        addr,
        "POST",
        "/_faults",
        &[("Content-Type", "application/json")],
        r#"{"down_for_ms":400}"#,
    )
    .await;
    let started = Instant::now();
    let body = body_of(&Request::example());
    assert!(raw_post(addr, "k", &body).await.is_empty());
    assert!(raw(addr, "GET", "/health", &[], "").await.is_empty());
    // The control route stays reachable, so a test can end the outage.
    let state = raw(addr, "GET", "/_faults", &[], "").await;
    assert_eq!(status_of(&state), Some(200));
    let remaining = Duration::from_millis(450).saturating_sub(started.elapsed());
    tokio::time::sleep(remaining).await;
    let ok = raw_post(addr, "k", &body).await;
    assert_eq!(
        status_of(&ok),
        Some(201),
        "{}",
        String::from_utf8_lossy(&ok)
    );
}

#[tokio::test]
async fn the_server_stops_when_asked() {
    let (addr, stop) = start(Config::default()).await;
    assert_eq!(
        status_of(&raw(addr, "GET", "/health", &[], "").await),
        Some(200)
    );
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(TcpStream::connect(addr).await.is_err(), "still listening");
}

#[tokio::test]
async fn the_listing_is_only_for_whoever_holds_the_admin_token() {
    use base64::Engine;
    let (app, _) = app(Config::default()).await;
    let (status, _, body) = call(&app, post(Some("k1"), body_of(&Request::example()))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let with = |path: &str, auth: Option<String>| {
        let mut b = HttpRequest::get(path);
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        b.body(Body::empty()).unwrap()
    };
    let basic = |user: &str, password: &str| {
        let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Some(format!("Basic {pair}"))
    };
    for path in ["/requests", "/requests.json"] {
        for auth in [
            None,
            Some("Bearer wrong-token-0123456789abc".to_string()),
            Some(format!("Bearer {TOKEN}x")),
            basic("admin", "nope"),
            Some("Basic !!!not-base64".to_string()),
            Some(format!("Token {TOKEN}")),
        ] {
            let (status, headers, body) = call(&app, with(path, auth.clone())).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} {auth:?}");
            assert!(headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Basic realm="));
            assert!(
                !body.contains("Ada"),
                "no customer data in a refusal: {body}"
            );
        }
        // A browser's login (any user name), or a bearer token.
        for auth in [
            basic("admin", TOKEN),
            basic("", TOKEN),
            Some(format!("bearer {TOKEN}")),
        ] {
            let (status, _, body) = call(&app, with(path, auth.clone())).await;
            assert_eq!(status, StatusCode::OK, "{path} {auth:?}");
            assert!(body.contains("Ada Lovelace"), "{body}");
        }
    }
    // What the portal and monitoring need stays open.
    assert_eq!(call(&app, with("/health", None)).await.0, StatusCode::OK);
    assert_eq!(
        call(&app, with("/requests.css", None)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn without_a_token_the_listing_is_off_and_a_weak_token_is_refused_at_start() {
    let off = AppState::new(Config::default()).await.unwrap();
    let (status, _, body) = call(
        &router(off),
        HttpRequest::get("/requests.json")
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body.contains("start the intake with FRONTLINE_ADMIN_TOKEN set"),
        "{body}"
    );
    for weak in ["short", " padded-token-0123456789 "] {
        let e = AppState::new(Config {
            admin_token: Some(weak.into()),
            ..Config::default()
        })
        .await
        .err()
        .unwrap();
        assert!(
            e.contains("FRONTLINE_ADMIN_TOKEN must be at least 16 characters"),
            "{e}"
        );
    }
}
