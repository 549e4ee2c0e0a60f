//! Spam, floods, CORS, tampering and retention, through the relay's router:
//! each bad input gets its own answer, and a genuine customer is never
//! refused for good.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request as HttpRequest, StatusCode};
use frontline_core::request::Request;
use frontline_core::{load, Handler};
use frontline_relay::abuse::{Abuse, ClientAddr};
use frontline_relay::forward::Destination;
use frontline_relay::store::{now_ms, JobState, Query};
use frontline_relay::{router, AppState, Config, OnMismatch};
use http_body_util::BodyExt;
use serde_json::Value;
use support::{drained, fast_policy, request, Flaky, DEFAULT};
use tower::ServiceExt;

const TOKEN: &str = "protection-test-token-0123";
const ORIGIN: &str = "https://support.partner.example";

async fn relay_with(dest: Arc<Flaky>, abuse: Abuse, on_mismatch: OnMismatch) -> AppState {
    AppState::new(Config {
        ruleset: Some(load(DEFAULT).unwrap()),
        destinations: vec![("desk".into(), dest as Arc<dyn Destination>)],
        forward: fast_policy(),
        abuse,
        on_mismatch,
        admin_token: Some(TOKEN.into()),
        allowed_origins: vec![ORIGIN.into()],
        ..Config::default()
    })
    .await
    .unwrap()
}

/// Sends `r` as a portal would from `ip`, with `headers` added.
async fn send(
    app: &axum::Router,
    r: &Request,
    ip: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut b = HttpRequest::post("/intake")
        .header("content-type", "application/json")
        .header("idempotency-key", &r.id);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let mut req = b
        .body(Body::from(serde_json::to_string(r).unwrap()))
        .unwrap();
    let peer: SocketAddr = if ip.contains(':') {
        format!("[{ip}]:40000")
    } else {
        format!("{ip}:40000")
    }
    .parse()
    .unwrap();
    req.extensions_mut().insert(ClientAddr(peer));
    call(app, req).await
}

async fn call(app: &axum::Router, req: HttpRequest<Body>) -> (StatusCode, HeaderMap, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

fn admin(method: &str, path: &str, site: Option<&str>) -> HttpRequest<Body> {
    let mut b = HttpRequest::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"));
    if let Some(s) = site {
        b = b.header("sec-fetch-site", s);
    }
    b.body(Body::empty()).unwrap()
}

const PERSON: [(&str, &str); 1] = [("frontline-elapsed-ms", "48210")];

#[tokio::test]
async fn a_filled_honeypot_gets_a_plain_200_and_is_held_until_released() {
    let dest = Arc::new(Flaky::new(1, 0.0));
    let state = relay_with(dest.clone(), Abuse::default(), OnMismatch::Flag).await;
    let stop = Arc::new(tokio::sync::Notify::new());
    let forwarding = tokio::spawn(state.forwarder().run(stop.clone()));
    let app = router(state.clone());

    let genuine = request(1);
    let (status, _, body) = send(&app, &genuine, "198.51.100.1", &PERSON).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let bot = request(2);
    let trap = [("frontline-trap", "http://cheap-pills.example"), PERSON[0]];
    let (status, _, body) = send(&app, &bot, "203.0.113.5", &trap).await;
    assert_eq!(status, StatusCode::OK);
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({ "id": bot.id }),
        "no reference, nothing to tell"
    );
    // Sent a quarter of a second after the portal opened: a script.
    let fast = request(3);
    let (status, _, _) = send(
        &app,
        &fast,
        "203.0.113.6",
        &[("frontline-elapsed-ms", "250")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    drained(&state, Duration::from_secs(20)).await;
    {
        let tickets = dest.tickets.lock().unwrap();
        assert!(tickets.contains_key(&genuine.id));
        assert!(!tickets.contains_key(&bot.id) && !tickets.contains_key(&fast.id));
    }
    let (_, _, page) = call(&app, admin("GET", "/admin?held=1", None)).await;
    assert!(page.contains("HELD as suspected spam"), "{page}");
    assert!(page.contains("hidden field was filled") && page.contains("sent 250 ms"));
    let metrics = state.metrics_text();
    assert!(
        metrics.contains("frontline_requests_refused_total{reason=\"honeypot\"} 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("frontline_requests_refused_total{reason=\"too_fast\"} 1\n"));

    // A release from another site is refused (a forged form); from the
    // admin page it forwards the request.
    let held = state
        .store()
        .list(Query {
            held_only: true,
            limit: 5,
            ..Query::default()
        })
        .await
        .unwrap();
    let fast_ref = held
        .iter()
        .find(|r| r.request_id == fast.id)
        .unwrap()
        .reference
        .clone();
    let path = format!("/admin/requests/{fast_ref}/release");
    let (status, _, _) = call(&app, admin("POST", &path, Some("cross-site"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) = call(&app, admin("POST", &path, Some("same-origin"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], format!("/admin?q={fast_ref}"));
    drained(&state, Duration::from_secs(20)).await;
    assert!(dest.tickets.lock().unwrap().contains_key(&fast.id));
    assert!(!dest.tickets.lock().unwrap().contains_key(&bot.id));
    // Released once only.
    let (status, _, _) = call(&app, admin("POST", &path, Some("same-origin"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The bot's retry (same key) gets the same plain 200, still held.
    let (status, _, body) = send(&app, &bot, "203.0.113.5", &trap).await;
    assert_eq!((status, body), (StatusCode::OK, answer.to_string()));
    stop.notify_one();
    forwarding.await.unwrap();
}

#[tokio::test]
async fn a_flood_from_one_address_gets_429_while_others_and_the_retry_get_through() {
    let dest = Arc::new(Flaky::new(2, 0.0));
    let abuse = Abuse {
        per_ip: 3,
        global: 5,
        window_seconds: 2,
        ..Abuse::default()
    };
    let state = relay_with(dest.clone(), abuse, OnMismatch::Flag).await;
    let app = router(state.clone());
    // Start at the beginning of a window, so the counts below fall in one.
    let left = 2_000 - now_ms().rem_euclid(2_000);
    if left < 1_500 {
        tokio::time::sleep(Duration::from_millis(left as u64 + 10)).await;
    }
    for n in 0..3 {
        let (status, _, body) = send(&app, &request(10 + n), "192.0.2.10", &PERSON).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let flooded = request(13);
    let (status, headers, body) = send(&app, &flooded, "192.0.2.10", &PERSON).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3).contains(&wait), "Retry-After {wait}");
    assert!(body.contains("sends this one again"));
    // Another network is not held back by the first one's flood...
    let (status, _, _) = send(&app, &request(14), "192.0.2.99", &PERSON).await;
    assert_eq!(status, StatusCode::CREATED);
    // ...until everyone's limit (5 in the window) is reached.
    let (status, _, _) = send(&app, &request(15), "192.0.2.98", &PERSON).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = send(&app, &request(16), "192.0.2.97", &PERSON).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The portal waits Retry-After and sends the same request again: in.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let (status, _, body) = send(&app, &flooded, "192.0.2.10", &PERSON).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(state
        .metrics_text()
        .contains("frontline_requests_refused_total{reason=\"rate_limited\"} 2\n"));
    // IPv6 clients of one /64 share a bucket.
    let abuse = Abuse {
        per_ip: 1,
        ..Abuse::default()
    };
    let state = relay_with(Arc::new(Flaky::new(3, 0.0)), abuse, OnMismatch::Flag).await;
    let app = router(state);
    assert_eq!(
        send(&app, &request(20), "2001:db8:5:6::1", &PERSON).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        send(&app, &request(21), "2001:db8:5:6::ffff", &PERSON)
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        send(&app, &request(22), "2001:db8:5:7::1", &PERSON).await.0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn cors_allows_exactly_the_configured_origin() {
    let state = relay_with(
        Arc::new(Flaky::new(4, 0.0)),
        Abuse::default(),
        OnMismatch::Flag,
    )
    .await;
    let app = router(state);
    let preflight = |origin: &str| {
        HttpRequest::builder()
            .method("OPTIONS")
            .uri("/intake")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,idempotency-key,frontline-elapsed-ms,frontline-trap",
            )
            .body(Body::empty())
            .unwrap()
    };
    let (status, h, _) = call(&app, preflight(ORIGIN)).await;
    assert!(status.is_success());
    assert_eq!(h["access-control-allow-origin"], ORIGIN);
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for name in ["idempotency-key", "frontline-elapsed-ms", "frontline-trap"] {
        assert!(allowed.contains(name), "{allowed}");
    }
    assert!(h.get_all("vary").iter().any(|v| v
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("origin")));
    for stranger in [
        "null",
        "https://evil.example",
        "https://support.partner.example.evil.example",
    ] {
        let (_, h, _) = call(&app, preflight(stranger)).await;
        assert!(
            h.get("access-control-allow-origin").is_none(),
            "{stranger} was allowed"
        );
    }
    // The answer to a real request exposes Retry-After, so the portal can
    // read it cross-origin.
    let mut post = HttpRequest::post("/intake")
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .header("idempotency-key", "k")
        .body(Body::from("{}"))
        .unwrap();
    post.extensions_mut()
        .insert(ClientAddr("192.0.2.1:1".parse().unwrap()));
    let (_, h, _) = call(&app, post).await;
    assert!(h["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("retry-after"));
}

/// The default ruleset's request with its decision changed by hand.
fn forged(n: u64) -> Request {
    let mut r = request(n);
    r.outcome.decision.handler = Handler::VendorTechnical;
    r
}

#[tokio::test]
async fn a_forged_decision_is_flagged_by_default_or_refused_when_configured() {
    let dest = Arc::new(Flaky::new(5, 0.0));
    let state = relay_with(dest.clone(), Abuse::default(), OnMismatch::Flag).await;
    let stop = Arc::new(tokio::sync::Notify::new());
    let forwarding = tokio::spawn(state.forwarder().run(stop.clone()));
    let app = router(state.clone());
    let r = forged(30);
    assert_eq!(
        send(&app, &r, "192.0.2.1", &PERSON).await.0,
        StatusCode::CREATED
    );
    drained(&state, Duration::from_secs(20)).await;
    stop.notify_one();
    forwarding.await.unwrap();
    assert_eq!(dest.creates.load(Ordering::SeqCst), 1);
    let body = dest.bodies.lock().unwrap()[&r.id].clone();
    assert!(body.starts_with("WARNING: the relay's re-check"), "{body}");
    assert!(body.contains("handler"), "{body}");

    let strict = relay_with(
        Arc::new(Flaky::new(6, 0.0)),
        Abuse::default(),
        OnMismatch::Refuse,
    )
    .await;
    let app = router(strict.clone());
    let (status, _, body) = send(&app, &forged(31), "192.0.2.1", &PERSON).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["errors"][0]["path"], "$.outcome.decision.handler");
    assert_eq!(strict.store().count().await.unwrap(), 0, "nothing stored");
    // The honest request still goes in.
    assert_eq!(
        send(&app, &request(32), "192.0.2.1", &PERSON).await.0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn personal_data_is_purged_after_forwarding_and_erased_on_demand() {
    let dest = Arc::new(Flaky::new(7, 0.0));
    let state = relay_with(dest.clone(), Abuse::default(), OnMismatch::Flag).await;
    let stop = Arc::new(tokio::sync::Notify::new());
    let forwarding = tokio::spawn(state.forwarder().run(stop.clone()));
    let app = router(state.clone());
    let forwarded = request(40);
    assert_eq!(
        send(&app, &forwarded, "192.0.2.1", &PERSON).await.0,
        StatusCode::CREATED
    );
    drained(&state, Duration::from_secs(20)).await;
    stop.notify_one();
    forwarding.await.unwrap();
    // A second one cannot be forwarded yet (the desk refuses everything).
    dest.refuse_all.store(true, Ordering::SeqCst);
    let waiting = request(41);
    assert_eq!(
        send(&app, &waiting, "192.0.2.1", &PERSON).await.0,
        StatusCode::CREATED
    );

    // Nothing is due yet with 30 days of retention.
    assert_eq!(state.purge_now().await.unwrap(), 0);
    // Once the period has passed, only the forwarded request is purged.
    let n = state
        .store()
        .purge(now_ms() + 1_000, "2027-01-01T00:00:00Z".into())
        .await
        .unwrap();
    assert_eq!(n, 1);
    let rows = state
        .store()
        .list(Query {
            limit: 5,
            ..Query::default()
        })
        .await
        .unwrap();
    let purged = rows.iter().find(|r| r.request_id == forwarded.id).unwrap();
    assert_eq!(purged.body, None);
    assert_eq!(purged.jobs[0].state, JobState::Done);
    assert!(purged.jobs[0].ticket_id.is_some(), "the ticket id stays");
    let kept = rows.iter().find(|r| r.request_id == waiting.id).unwrap();
    assert!(kept.body.is_some());
    let (_, _, page) = call(&app, admin("GET", "/admin", None)).await;
    // The purged row keeps its reference and id, and nothing else.
    let row = format!(
        "<td>{}<br><small>{}</small></td><td>{}</td><td colspan=\"5\" class=\"purged\">personal data purged</td>",
        purged.reference, forwarded.id, purged.received_at
    );
    assert!(page.contains(&row), "{page}");

    // Erasure of the waiting one: its data goes, its forward is cancelled.
    assert!(state.erase(&kept.reference).await.unwrap());
    let rows = state
        .store()
        .list(Query {
            limit: 5,
            ..Query::default()
        })
        .await
        .unwrap();
    let erased = rows.iter().find(|r| r.request_id == waiting.id).unwrap();
    assert_eq!(erased.body, None);
    assert_eq!(erased.jobs[0].state, JobState::Erased);
    assert!(!state.erase("FL-999999").await.unwrap());
    // The customer's retry after an erasure stores nothing again.
    let (status, _, _) = send(&app, &waiting, "192.0.2.1", &PERSON).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(state.store().count().await.unwrap(), 2);
}

fn beacon(origin: &str, body: &str, ip: &str) -> HttpRequest<Body> {
    let mut req = HttpRequest::post("/events")
        .header("origin", origin)
        .header("content-type", "text/plain;charset=UTF-8")
        .body(Body::from(body.to_string()))
        .unwrap();
    req.extensions_mut()
        .insert(ClientAddr(format!("{ip}:1").parse().unwrap()));
    req
}

#[tokio::test]
async fn funnel_events_are_counted_and_drawn_for_the_admin_only() {
    let abuse = Abuse {
        events_per_ip: 3,
        ..Abuse::default()
    };
    let state = relay_with(Arc::new(Flaky::new(8, 0.0)), abuse, OnMismatch::Flag).await;
    let app = router(state.clone());
    let start = load(DEFAULT).unwrap().products[0].kinds[0].clone();
    let product = load(DEFAULT).unwrap().products[0].id.clone();
    let journey = format!(
        r#"{{"schema":"frontline.events/v1","ruleset":"default","events":[
            {{"type":"step","stage":"product"}},
            {{"type":"step","stage":"problem","product":"{product}"}},
            {{"type":"step","stage":"diagnosis","product":"{product}","kind":"{k}","node":"{n}"}},
            {{"type":"resolved","product":"{product}","kind":"{k}","node":"fixed-it"}}]}}"#,
        k = start.kind,
        n = start.start
    );
    let (status, _, body) = call(&app, beacon(ORIGIN, &journey, "192.0.2.1")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let sent = format!(
        r#"{{"schema":"frontline.events/v1","ruleset":"default","events":[
            {{"type":"step","stage":"diagnosis","product":"{product}","kind":"{k}","node":"{n}"}},
            {{"type":"escalated","product":"{product}","kind":"{k}","handler":"partner"}},
            {{"type":"submitted","product":"{product}","kind":"{k}"}}]}}"#,
        k = start.kind,
        n = start.start
    );
    assert_eq!(
        call(&app, beacon(ORIGIN, &sent, "192.0.2.1")).await.0,
        StatusCode::NO_CONTENT
    );
    // Another site cannot count; a body with customer text is refused.
    let (status, _, _) = call(&app, beacon("https://evil.example", &sent, "192.0.2.2")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let typed = r#"{"schema":"frontline.events/v1","ruleset":"default","events":[{"type":"submitted","description":"my password is hunter2"}]}"#;
    let (status, _, body) = call(&app, beacon(ORIGIN, typed, "192.0.2.3")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("$.events[0]"), "{body}");
    // A flood of beacons from one address is cut off after three bodies.
    for _ in 0..3 {
        call(&app, beacon(ORIGIN, &sent, "192.0.2.9")).await;
    }
    assert_eq!(
        call(&app, beacon(ORIGIN, &sent, "192.0.2.9")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );

    // The funnel: behind the login, numbers and a drawing.
    let (status, _, _) = call(
        &app,
        HttpRequest::get("/admin/funnel")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, headers, page) = call(&app, admin("GET", "/admin/funnel", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    let title = format!("{product} / {}", start.kind);
    assert!(page.contains(&format!("<h2>{title}</h2>")), "{page}");
    // Five started (two bodies, then three of the flood's), one fixed by
    // self-help, four sent: 1 ÷ (1 + 4) = 20 %.
    assert!(
        page.contains(&format!(
            "aria-label=\"{title}. Diagnosis started: 5, Fixed by self-help: 1, Escalated: 4"
        )),
        "{page}"
    );
    assert!(page.contains("<strong>20 %</strong>"), "{page}");
    assert!(page.contains("fixed-it 1"));
    // A period without events.
    let (_, _, empty) = call(
        &app,
        admin("GET", "/admin/funnel?from=2020-01-01&to=2020-01-31", None),
    )
    .await;
    assert!(empty.contains("No events in this period."));
    assert!(
        state.metrics_text().contains("frontline_events_total 16\n"),
        "{}",
        state.metrics_text()
    );
}

#[tokio::test]
async fn with_proof_of_work_on_each_request_needs_a_fresh_solution() {
    use base64::Engine;
    let mut state_config = Config {
        ruleset: Some(load(DEFAULT).unwrap()),
        pow: Some(frontline_relay::abuse::Pow {
            secret: frontline_relay::config::Secret::from_literal("pow-secret-for-the-tests"),
            cost: 10,
            valid: Duration::from_secs(600),
        }),
        ..Config::default()
    };
    state_config.admin_token = Some(TOKEN.into());
    let app = router(AppState::new(state_config).await.unwrap());
    let solved = |challenge: &str| {
        let c: altcha::Challenge = serde_json::from_str(challenge).unwrap();
        let solution = altcha::solve_challenge(altcha::SolveChallengeOptions::new(&c))
            .unwrap()
            .unwrap();
        let payload = altcha::Payload {
            challenge: c,
            solution,
        };
        base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&payload).unwrap())
    };
    let fetch = || async {
        let (status, h, body) = call(
            &app,
            HttpRequest::get("/challenge").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h["cache-control"], "no-store");
        body
    };
    // Without a solution: 429 naming the header, so the portal tries again.
    let r = request(50);
    let (status, h, body) = send(&app, &r, "192.0.2.1", &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(h["retry-after"], "1");
    assert!(
        body.contains("headers.Frontline-Pow") && body.contains("missing"),
        "{body}"
    );
    // Solved: in.
    let header = solved(&fetch().await);
    let (status, _, body) = send(&app, &r, "192.0.2.1", &[("frontline-pow", &header)]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The same solution a second time: refused; a new one: in.
    let other = request(51);
    let (status, _, body) = send(&app, &other, "192.0.2.1", &[("frontline-pow", &header)]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("already used"), "{body}");
    let fresh = solved(&fetch().await);
    let (status, _, _) = send(&app, &other, "192.0.2.1", &[("frontline-pow", &fresh)]).await;
    assert_eq!(status, StatusCode::CREATED);
    // A forged solution (another counter) is refused.
    let mut payload: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(solved(&fetch().await))
            .unwrap(),
    )
    .unwrap();
    payload["solution"]["counter"] =
        Value::from(payload["solution"]["counter"].as_u64().unwrap() + 1);
    let forged = base64::engine::general_purpose::STANDARD.encode(payload.to_string());
    let (status, _, body) = send(
        &app,
        &request(52),
        "192.0.2.1",
        &[("frontline-pow", &forged)],
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("wrong"), "{body}");

    // Off (the default): no challenge, no header needed.
    let plain = router(
        relay_with(
            Arc::new(Flaky::new(9, 0.0)),
            Abuse::default(),
            OnMismatch::Flag,
        )
        .await,
    );
    let (status, _, _) = call(
        &plain,
        HttpRequest::get("/challenge").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        send(&plain, &request(53), "192.0.2.1", &PERSON).await.0,
        StatusCode::CREATED
    );
}
