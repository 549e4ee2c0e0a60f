//! The webhook destination against a small axum receiver on loopback.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use frontline_core::request::Request;
use frontline_relay::forward::webhook::{self, Webhook, WebhookSecret, TOLERANCE};
use frontline_relay::forward::{Destination, Sent, Ticket};
use serde_json::Value;
use tokio::net::TcpListener;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A scripted answer: status, headers, body.
type Answer = (StatusCode, Vec<(&'static str, &'static str)>, &'static str);

/// What the receiver got, and the answers it gives in turn (then 200).
#[derive(Default)]
struct Receiver {
    got: Mutex<Vec<(HeaderMap, Bytes)>>,
    answers: Mutex<VecDeque<Answer>>,
}

async fn receive(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> Response {
    r.got.lock().unwrap().push((headers, body));
    let next = r.answers.lock().unwrap().pop_front();
    match next {
        Some((status, headers, body)) => {
            let mut res = (status, body).into_response();
            for (k, v) in headers {
                res.headers_mut().insert(k, v.parse().unwrap());
            }
            res
        }
        None => (StatusCode::OK, "").into_response(),
    }
}

/// A receiver answering `answers` in turn, and a webhook pointing at it.
async fn start(answers: Vec<Answer>) -> (Arc<Receiver>, Webhook) {
    let r = Arc::new(Receiver::default());
    r.answers.lock().unwrap().extend(answers);
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(r.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let url = reqwest::Url::parse(&format!("http://{addr}/hook")).unwrap();
    let hook = Webhook::new(
        url,
        WebhookSecret::parse(SECRET).unwrap(),
        frontline_relay::forward::http::client(),
    );
    (r, hook)
}

fn ticket(flagged: Option<&str>) -> Ticket {
    let request = Request::example();
    let json = serde_json::to_string_pretty(&request).unwrap();
    Ticket::new(
        request,
        json,
        "FL-000042".into(),
        None,
        flagged.map(String::from),
    )
}

fn secret() -> WebhookSecret {
    WebhookSecret::parse(SECRET).unwrap()
}

#[tokio::test]
async fn delivers_a_body_the_receiver_verifies() {
    let (r, hook) = start(vec![(StatusCode::CREATED, vec![], r#"{"id":"T-1"}"#)]).await;
    let t = ticket(None);
    let delivered = hook.create(&t).await.unwrap();
    assert_eq!(delivered.ticket_id, "T-1");
    assert_eq!(hook.find(&t).await, Ok(None));

    let got = r.got.lock().unwrap();
    assert_eq!(got.len(), 1);
    let (headers, body) = &got[0];
    let id = webhook::verify(&secret(), headers, body, SystemTime::now(), TOLERANCE).unwrap();
    assert_eq!(id, format!("msg_{}", t.frontline_id));
    assert_eq!(headers["content-type"], "application/json");
    let sig = headers["webhook-signature"].to_str().unwrap();
    assert!(sig.starts_with("v1,"), "{sig}");
    // The receiver's own clock: the attempt's time, in seconds.
    let ts: u64 = headers["webhook-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(ts) <= 5, "{ts} vs {now}");

    let v: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["type"], "frontline.request.received");
    assert_eq!(v["reference"], "FL-000042");
    assert_eq!(v["flagged"], Value::Null);
    let sent: Value = serde_json::from_str(&t.request_json).unwrap();
    assert_eq!(v["request"], sent);
    // The request is embedded as stored (here pretty-printed), byte for byte.
    assert!(std::str::from_utf8(body)
        .unwrap()
        .contains(t.request_json.as_str()));

    // A key other than the shared one does not verify it.
    let other = WebhookSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    assert!(webhook::verify(&other, headers, body, SystemTime::now(), TOLERANCE).is_err());
}

#[tokio::test]
async fn a_retry_carries_the_same_webhook_id_and_body() {
    let (r, hook) = start(vec![(StatusCode::SERVICE_UNAVAILABLE, vec![], "busy")]).await;
    let t = ticket(Some("handler differs"));
    let f = hook.create(&t).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::Maybe, false), "{f:?}");
    assert!(f.message.contains("503"), "{}", f.message);
    // Second attempt: a 200 without a JSON id keeps the webhook-id.
    let delivered = hook.create(&t).await.unwrap();
    assert_eq!(delivered.ticket_id, format!("msg_{}", t.frontline_id));

    let got = r.got.lock().unwrap();
    assert_eq!(got.len(), 2);
    let ids: Vec<String> = got
        .iter()
        .map(|(h, b)| webhook::verify(&secret(), h, b, SystemTime::now(), TOLERANCE).unwrap())
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(got[0].1, got[1].1);
    let v: Value = serde_json::from_slice(&got[0].1).unwrap();
    assert_eq!(v["flagged"], "handler differs");
}

#[tokio::test]
async fn refusals_are_classified() {
    let (r, hook) = start(vec![
        (StatusCode::BAD_REQUEST, vec![], "{\"error\":\"no\"}"),
        (StatusCode::GONE, vec![], ""),
        (
            StatusCode::TOO_MANY_REQUESTS,
            vec![("retry-after", "7")],
            "",
        ),
        (
            StatusCode::FOUND,
            vec![("location", "https://elsewhere")],
            "",
        ),
    ])
    .await;
    let t = ticket(None);
    let f = hook.create(&t).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, true), "{f:?}");
    assert!(
        f.message.contains("400") && f.message.contains("no"),
        "{f:?}"
    );
    let f = hook.create(&t).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, true), "{f:?}");
    let f = hook.create(&t).await.unwrap_err();
    assert_eq!(
        (f.sent, f.permanent, f.retry_after),
        (Sent::No, false, Some(Duration::from_secs(7))),
        "{f:?}"
    );
    // Redirects are not followed (the spec: update the URL instead).
    let f = hook.create(&t).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, true), "{f:?}");
    assert_eq!(r.got.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn nobody_listening_is_not_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let hook = Webhook::new(
        reqwest::Url::parse(&format!("http://{addr}/hook")).unwrap(),
        secret(),
        frontline_relay::forward::http::client(),
    );
    let f = hook.create(&ticket(None)).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, false), "{f:?}");
}
