//! Fakes of the help desk APIs the relay forwards to, in memory on
//! loopback: Freshdesk, ServiceNow, Zammad, Jira Service Management and
//! ConnectWise Manage. Each is written from the vendor's public
//! documentation (see each module), not from the relay's client: it
//! checks the credential (401 in the desk's error shape), the required
//! fields and their limits (400 naming the field), stores the ticket and
//! answers the look-up the relay makes before sending again.
//!
//! For tests, every fake shares [`faults`]: refusals, "created, then
//! failed" (the ambiguous case), 429 with `Retry-After`, at a seeded rate
//! or in a scripted order. What the fake holds is open to tests
//! ([`FakeDesk::tickets`], [`FakeDesk::create_calls`]) and on
//! `GET /_tickets`; `GET /` lists the tickets as a page.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use frontline_fakedesk::{Desk, FakeDesk};
//! let desk = FakeDesk::start(Desk::Freshdesk).await?;
//! println!("{}", desk.url()); // http://127.0.0.1:PORT
//! # Ok(()) }
//! ```

pub mod connectwise;
pub mod faults;
pub mod freshdesk;
pub mod jira;
mod page;
pub mod servicenow;
pub mod zammad;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;

pub use faults::{AfterCreate, Fault, FaultSettings, RateLimit};

/// Which help desk a fake plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Desk {
    /// Freshdesk API v2.
    Freshdesk,
    /// ServiceNow's Table API, `incident` table.
    Servicenow,
    /// Zammad REST API v1.
    Zammad,
    /// Jira Service Management Cloud (servicedeskapi and the JQL search).
    Jira,
    /// ConnectWise Manage (PSA) REST API 3.0.
    Connectwise,
}

impl Desk {
    /// Every desk.
    pub const ALL: [Desk; 5] = [
        Desk::Freshdesk,
        Desk::Servicenow,
        Desk::Zammad,
        Desk::Jira,
        Desk::Connectwise,
    ];

    /// `freshdesk`, `servicenow`, `zammad`, `jira`, `connectwise`.
    pub fn as_str(self) -> &'static str {
        match self {
            Desk::Freshdesk => "freshdesk",
            Desk::Servicenow => "servicenow",
            Desk::Zammad => "zammad",
            Desk::Jira => "jira",
            Desk::Connectwise => "connectwise",
        }
    }

    /// The desk of that name ([`Desk::as_str`]).
    pub fn parse(name: &str) -> Option<Desk> {
        Desk::ALL.into_iter().find(|d| d.as_str() == name)
    }

    /// How the relay's configuration reaches this fake (for the bin's
    /// banner).
    pub fn credentials_hint(self) -> &'static str {
        match self {
            Desk::Freshdesk => freshdesk::HINT,
            Desk::Servicenow => servicenow::HINT,
            Desk::Zammad => zammad::HINT,
            Desk::Jira => jira::HINT,
            Desk::Connectwise => connectwise::HINT,
        }
    }
}

/// One ticket a fake holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stored {
    /// The fake's sequence number (1, 2, …).
    pub seq: u64,
    /// The desk's own id for it (`"1"`, `"INC0010001"`, `"SD-1"`).
    pub key: String,
    /// The Frontline id found in the desk's id field, if any.
    pub frontline_id: Option<String>,
    /// Subject, title or summary.
    pub subject: String,
    /// Description or first article, as received.
    pub description: String,
    /// The priority as the desk expresses it (`"3"`, `"3 high"`, `"High/Medium"`).
    pub priority: String,
    /// The whole create call's JSON body.
    pub body: Value,
}

#[derive(Debug, Default)]
pub(crate) struct Held {
    tickets: Vec<Stored>,
    create_calls: u64,
    faults: faults::Faults,
}

/// The state every handler shares.
#[derive(Clone)]
pub(crate) struct Shared {
    desk: Desk,
    held: Arc<Mutex<Held>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Held> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts a create call and decides what it does.
    pub(crate) fn plan(&self) -> faults::Plan {
        let mut h = self.lock();
        h.create_calls += 1;
        h.faults.plan(Instant::now())
    }

    /// Stores a ticket made by `make` from the next sequence number.
    pub(crate) fn store(&self, make: impl FnOnce(u64) -> Stored) -> Stored {
        let mut h = self.lock();
        let seq = h.tickets.len() as u64 + 1;
        let t = make(seq);
        h.tickets.push(t.clone());
        t
    }

    /// The tickets held that `keep` selects.
    pub(crate) fn select(&self, keep: impl Fn(&Stored) -> bool) -> Vec<Stored> {
        self.lock()
            .tickets
            .iter()
            .filter(|t| keep(t))
            .cloned()
            .collect()
    }
}

/// The answer to a create call, given what the fault plan decided:
/// `store` validates nothing, it stores and returns the desk's answer for
/// the ticket; `error` makes the desk's error body for a status.
pub(crate) async fn create(
    shared: &Shared,
    plan: faults::Plan,
    store: impl FnOnce(&Shared) -> Response,
    error: fn(StatusCode, &str) -> Response,
) -> Response {
    use faults::Plan;
    let after = match plan {
        Plan::Refuse(status) => {
            return error(
                StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                "injected failure (fault injection): nothing was created",
            )
        }
        Plan::RateLimited(secs) => {
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate limit exceeded (fault injection)",
            );
            if let Ok(v) = secs.to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return r;
        }
        Plan::Create(after) => after,
    };
    let answer = store(shared);
    match after {
        None => answer,
        Some(AfterCreate::Status(status)) => error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "injected failure after the ticket was created (fault injection)",
        ),
        Some(AfterCreate::StallMs(ms)) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            answer
        }
        Some(AfterCreate::Drop) => {
            let (parts, _) = answer.into_parts();
            Response::from_parts(parts, Body::new(Broken))
        }
    }
}

/// A body that fails at once: hyper closes the connection mid-answer.
struct Broken;

impl http_body::Body for Broken {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::other(
            "connection dropped by fault injection",
        ))))
    }
}

/// The `user:password` of an HTTP Basic `Authorization` header.
pub(crate) fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// A JSON answer.
pub(crate) fn json_answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// The body as a JSON object, or why not.
pub(crate) fn object(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<serde_json::Map<String, Value>, String> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/json") {
        return Err(format!(
            "Content-Type must be application/json, not \"{ct}\""
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("the body must be a JSON object".into()),
        Err(e) => Err(format!("the body is not JSON: {e}")),
    }
}

/// The string at `key`, if it is one.
pub(crate) fn text<'a>(m: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

/// A running fake desk. Dropping every clone stops it.
#[derive(Clone)]
pub struct FakeDesk {
    shared: Shared,
    addr: SocketAddr,
    _stop: Arc<Stop>,
}

struct Stop(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for Stop {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

impl FakeDesk {
    /// Starts `desk` on 127.0.0.1 at a free port.
    pub async fn start(desk: Desk) -> std::io::Result<FakeDesk> {
        FakeDesk::serve(desk, TcpListener::bind("127.0.0.1:0").await?).await
    }

    /// Starts `desk` on `listener`.
    pub async fn serve(desk: Desk, listener: TcpListener) -> std::io::Result<FakeDesk> {
        let addr = listener.local_addr()?;
        let shared = Shared {
            desk,
            held: Arc::default(),
        };
        let app = router(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(FakeDesk {
            shared,
            addr,
            _stop: Arc::new(Stop(Some(tx))),
        })
    }

    /// Which desk it plays.
    pub fn desk(&self) -> Desk {
        self.shared.desk
    }

    /// `http://127.0.0.1:PORT`, without a final slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the fault settings (see [`faults`]).
    pub fn set_faults(&self, settings: FaultSettings) {
        self.shared.lock().faults = faults::Faults::new(settings);
    }

    /// Every ticket held, oldest first.
    pub fn tickets(&self) -> Vec<Stored> {
        self.shared.select(|_| true)
    }

    /// The tickets holding this Frontline id (more than one: a duplicate).
    pub fn tickets_for(&self, frontline_id: &str) -> Vec<Stored> {
        self.shared
            .select(|t| t.frontline_id.as_deref() == Some(frontline_id))
    }

    /// How many create calls arrived (refused ones included).
    pub fn create_calls(&self) -> u64 {
        self.shared.lock().create_calls
    }
}

fn router(shared: Shared) -> Router {
    let desk = match shared.desk {
        Desk::Freshdesk => freshdesk::routes(),
        Desk::Servicenow => servicenow::routes(),
        Desk::Zammad => zammad::routes(),
        Desk::Jira => jira::routes(),
        Desk::Connectwise => connectwise::routes(),
    };
    desk.route("/", get(page::index))
        .route("/page.css", get(page::css))
        .route("/_tickets", get(held))
        .route(
            "/_faults",
            get(faults_get).post(faults_set).delete(faults_clear),
        )
        .with_state(shared)
}

async fn held(State(s): State<Shared>) -> Response {
    let h = s.lock();
    Json(json!({
        "desk": s.desk,
        "create_calls": h.create_calls,
        "count": h.tickets.len(),
        "tickets": h.tickets,
    }))
    .into_response()
}

async fn faults_get(State(s): State<Shared>) -> Response {
    Json(s.lock().faults.describe()).into_response()
}

async fn faults_set(State(s): State<Shared>, body: Bytes) -> Response {
    let settings: FaultSettings = match serde_json::from_slice(&body) {
        Ok(x) => x,
        Err(e) => {
            return json_answer(
                StatusCode::BAD_REQUEST,
                json!({"error": format!("not fault settings: {e}")}),
            )
        }
    };
    if let Err(e) = settings.check() {
        return json_answer(StatusCode::BAD_REQUEST, json!({ "error": e }));
    }
    let mut h = s.lock();
    h.faults = faults::Faults::new(settings);
    Json(h.faults.describe()).into_response()
}

async fn faults_clear(State(s): State<Shared>) -> Response {
    let mut h = s.lock();
    h.faults = faults::Faults::default();
    Json(h.faults.describe()).into_response()
}
