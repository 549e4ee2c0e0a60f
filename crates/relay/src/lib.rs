//! Frontline's reference intake server.
//!
//! What it is for: receiving the structured requests the portal sends
//! (`frontline.request/v1`, see [`frontline_core::request`]) on loopback,
//! for the run command, the tests, and partners to copy. It shows what a
//! trustworthy intake does:
//!
//! - `POST /intake`: a body size limit (413), parsing and validation with the
//!   JSON path of every problem (400 `{"errors":[{"path","message"}]}`),
//!   deduplication on the required `Idempotency-Key` header (a repeat gets
//!   the first answer byte for byte and stores nothing), storage in SQLite,
//!   a re-check of the decision against the partner's ruleset (a mismatch is
//!   recorded and listed, the request still accepted: the partner decides),
//!   then `201 {"id", "reference": "FL-000123"}`. CORS for the configured
//!   origins only.
//! - `GET /requests` (HTML, no script or inline style) and
//!   `GET /requests.json` (or `Accept: application/json`): what arrived,
//!   only with the admin token ([`Config::admin_token`], from the
//!   `FRONTLINE_ADMIN_TOKEN` environment variable): as the password of
//!   HTTP Basic authentication (a browser asks for it; any user name) or as
//!   `Authorization: Bearer <token>`. Without a token configured the
//!   listing is off (403): customer data is never listed to whoever reaches
//!   the port.
//! - `GET /health`.
//! - With [`Config::faults_enabled`] only: `/_faults` (see [`faults`]) to
//!   make the server fail, stall, drop connections or go down, for tests of
//!   the portal's retries.
//!
//! What it is not: a help desk or a production server. It binds loopback,
//! has one shared admin token for its listing and keeps everything in one
//! SQLite file. Partners
//! point the portal at their own intake.
//!
//! ## Usage
//! ```no_run
//! # async fn run() -> Result<(), String> {
//! use frontline_relay::{serve, AppState, Config};
//! let state = AppState::new(Config::default())?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
//! serve(listener, state, std::future::pending()).await.map_err(|e| e.to_string())
//! # }
//! ```

pub mod cli;
pub mod config;
pub mod faults;
pub mod forward;
pub mod listing;
pub mod store;

use std::convert::Infallible;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use frontline_core::request::{format_utc, FieldProblem, Request, MAX_REQUEST_BYTES};
use frontline_core::Ruleset;
use http_body_util::BodyExt;
use serde::Serialize;
use serde_json::json;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::faults::{FaultSpec, Faults, Plan};
use crate::store::{Inserted, Store};

/// How many requests the listing shows at most.
pub const LISTING_LIMIT: usize = 500;

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// SQLite file (created with its folder if missing); `None`: in memory.
    pub db_path: Option<PathBuf>,
    /// The partner's ruleset, to re-check each request's decision; `None`:
    /// requests are stored unchecked.
    pub ruleset: Option<Ruleset>,
    /// Origins (`http://127.0.0.1:8080`) allowed to send from a browser.
    pub allowed_origins: Vec<String>,
    /// Larger bodies are refused with 413.
    pub max_body_bytes: usize,
    /// Serve `/_faults` (tests only).
    pub faults_enabled: bool,
    /// The secret that opens the listing of what arrived (`None`: the
    /// listing is off). Read from the environment, never from a file in the
    /// repository or the ruleset.
    pub admin_token: Option<String>,
}

/// The environment variable the servers read [`Config::admin_token`] from.
pub const ADMIN_TOKEN_ENV: &str = "FRONTLINE_ADMIN_TOKEN";

/// Tokens shorter than this are refused at start: one guessed in a few
/// tries would open every customer's data.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 16;

impl Default for Config {
    fn default() -> Self {
        Config {
            db_path: None,
            ruleset: None,
            allowed_origins: Vec::new(),
            max_body_bytes: MAX_REQUEST_BYTES,
            faults_enabled: false,
            admin_token: None,
        }
    }
}

/// The server's shared state (cheap to clone).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Mutex<Store>,
    ruleset: Option<Ruleset>,
    origins: Vec<HeaderValue>,
    max_body: usize,
    faults: Option<Mutex<Faults>>,
    admin_token: Option<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave SQLite half-written (the
    // transaction rolls back), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl AppState {
    /// Opens the database and checks the configuration. Errors say what to fix.
    pub fn new(config: Config) -> Result<AppState, String> {
        if let Some(t) = &config.admin_token {
            if t.chars().count() < MIN_ADMIN_TOKEN_CHARS || t.trim() != t {
                return Err(format!(
                    "{ADMIN_TOKEN_ENV} must be at least {MIN_ADMIN_TOKEN_CHARS} characters, without spaces around it (make one with: openssl rand -hex 16)"
                ));
            }
        }
        let store = Store::open(config.db_path.as_deref())?;
        let mut origins = Vec::new();
        for o in &config.allowed_origins {
            let o = o.trim_end_matches('/');
            let ok = (o.starts_with("http://") || o.starts_with("https://"))
                && !o["https://".len().min(o.len())..].contains('/');
            let value = HeaderValue::from_str(o).ok().filter(|_| ok).ok_or_else(|| {
                format!("\"{o}\" is not an origin: write scheme://host[:port], like http://127.0.0.1:8080")
            })?;
            origins.push(value);
        }
        Ok(AppState(Arc::new(Inner {
            store: Mutex::new(store),
            ruleset: config.ruleset,
            origins,
            max_body: config.max_body_bytes,
            faults: config.faults_enabled.then(|| Mutex::new(Faults::default())),
            admin_token: config.admin_token,
        })))
    }

    /// Whether the connection carrying this request must be closed without
    /// an answer (fault injection: `drop_connection_next`, `down_for_ms`).
    fn should_drop(&self, method: &Method, path: &str) -> bool {
        let Some(f) = &self.0.faults else {
            return false;
        };
        let mut f = lock(f);
        if path != "/_faults" && f.is_down(Instant::now()) {
            return true;
        }
        method == Method::POST && path == "/intake" && f.take_drop()
    }
}

/// What `GET /health` answers.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Health {
    /// Always `"ok"` when the server answers at all.
    pub status: &'static str,
    /// The server's version.
    pub version: &'static str,
}

/// The intake routes, ready to be served ([`serve`]) or tested in-process.
/// (Served with `axum::serve` instead, `drop_connection_next` and
/// `down_for_ms` faults have no effect.)
pub fn router(state: AppState) -> Router {
    let mut intake = Router::new().route("/intake", post(receive));
    if !state.0.origins.is_empty() {
        intake = intake.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(state.0.origins.clone()))
                .allow_methods([Method::POST])
                .allow_headers([
                    header::CONTENT_TYPE,
                    HeaderName::from_static("idempotency-key"),
                ])
                .max_age(std::time::Duration::from_secs(600)),
        );
    }
    let mut app = Router::new()
        .route("/health", get(health))
        .route("/requests", get(list))
        .route("/requests.json", get(list_json))
        .route("/requests.css", get(css))
        .merge(intake);
    if state.0.faults.is_some() {
        app = app.route(
            "/_faults",
            get(faults_get).post(faults_set).delete(faults_reset),
        );
    }
    app.with_state(state)
}

/// The connection was dropped on purpose (fault injection).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// Serves [`router`] on `listener` until `shutdown` completes. A custom
/// accept loop (HTTP/1.1) rather than `axum::serve`, so that the
/// `drop_connection_next` and `down_for_ms` faults can close a connection
/// without any answer, as a crashed server would.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = router(state.clone());
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    eprintln!("frontline-relay: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let app = app.clone();
        let state = state.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let app = app.clone();
                    let drop_it = state.should_drop(req.method(), req.uri().path());
                    async move {
                        if drop_it {
                            return Err(Dropped);
                        }
                        let response: Result<Response, Infallible> = app.oneshot(req).await;
                        match response {
                            Ok(r) => Ok(r),
                            Err(never) => match never {},
                        }
                    }
                });
            // Errors here are the client going away or a dropped
            // connection: nothing to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn problems(status: StatusCode, list: &[FieldProblem]) -> Response {
    json_response(status, json!({ "errors": list }).to_string())
}

fn one_problem(status: StatusCode, path: &str, message: impl Into<String>) -> Response {
    problems(
        status,
        &[FieldProblem {
            path: path.into(),
            message: message.into(),
        }],
    )
}

fn too_large(max: usize) -> Response {
    one_problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "$",
        format!("the request is larger than the {max} bytes this intake accepts; shorten the description"),
    )
}

/// `$.contact.email` from serde_path_to_error's `contact.email`.
fn json_path(p: &serde_path_to_error::Path) -> String {
    let s = p.to_string();
    if s == "." || s.is_empty() {
        "$".into()
    } else if s.starts_with('[') {
        format!("${s}")
    } else {
        format!("$.{s}")
    }
}

async fn receive(State(st): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let inner = &st.0;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return one_problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "headers.Content-Type",
            "this intake reads frontline.request/v1 JSON: send Content-Type: application/json (the ruleset's intake adapter must be \"json\")",
        );
    }
    let key = match headers.get("idempotency-key").map(HeaderValue::to_str) {
        Some(Ok(k)) if !k.trim().is_empty() && k.len() <= 255 => k.trim().to_string(),
        _ => {
            return one_problem(
                StatusCode::BAD_REQUEST,
                "headers.Idempotency-Key",
                "required: send Idempotency-Key with the request id (1 to 255 visible ASCII characters), the same on every retry",
            )
        }
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > inner.max_body as u64) {
        return too_large(inner.max_body);
    }
    let bytes: Bytes = match http_body_util::Limited::new(body, inner.max_body)
        .collect()
        .await
    {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(inner.max_body),
        Err(e) => {
            return one_problem(
                StatusCode::BAD_REQUEST,
                "$",
                format!("the body could not be read ({e}); send it again"),
            )
        }
    };

    let mut fail_after_store = false;
    if let Some(f) = &inner.faults {
        let (delay, plan) = {
            let mut f = lock(f);
            (f.delay(), f.plan())
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match plan {
            Plan::Fail(status) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                return one_problem(
                    status,
                    "$",
                    "injected failure (fault injection): nothing was stored; retry",
                );
            }
            Plan::FailAfterStore => fail_after_store = true,
            Plan::Normal => {}
        }
    }

    let Ok(text) = std::str::from_utf8(&bytes) else {
        return one_problem(
            StatusCode::BAD_REQUEST,
            "$",
            "the body is not UTF-8 text; send JSON",
        );
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let req: Request = match serde_path_to_error::deserialize(&mut de) {
        Ok(r) => r,
        Err(e) => {
            return one_problem(
                StatusCode::BAD_REQUEST,
                &json_path(e.path()),
                format!("not a frontline.request/v1 request: {}", e.inner()),
            )
        }
    };
    if let Err(e) = de.end() {
        return one_problem(
            StatusCode::BAD_REQUEST,
            "$",
            format!("not a frontline.request/v1 request: {e}"),
        );
    }
    let found = req.validate();
    if !found.is_empty() {
        return problems(StatusCode::BAD_REQUEST, &found);
    }

    let verification = inner.ruleset.as_ref().map(|r| {
        let v = req.verify(r);
        (serde_json::to_string(&v).unwrap_or_default(), v.matches)
    });
    let received_at = format_utc(now_utc());
    let body_text = text.to_string();
    let request_id = req.id.clone();
    let state = st.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let mut store = lock(&state.0.store);
        store.insert(
            &key,
            &request_id,
            &received_at,
            &body_text,
            verification.as_ref().map(|(j, m)| (j.as_str(), *m)),
            |reference| json!({ "reference": reference, "id": request_id }).to_string(),
        )
    })
    .await;
    let (status, answer) = match stored {
        Ok(Ok(Inserted::New(s, b) | Inserted::Replay(s, b))) => (s, b),
        Ok(Err(e)) => {
            eprintln!("frontline-relay: {e}");
            return one_problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "$",
                "the request could not be stored; retry (it is safe: the Idempotency-Key prevents duplicates)",
            );
        }
        Err(e) => {
            eprintln!("frontline-relay: storage task failed: {e}");
            return one_problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "$",
                "the request could not be stored; retry",
            );
        }
    };
    if fail_after_store {
        return one_problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "$",
            "injected failure after storing (fault injection): retry with the same Idempotency-Key",
        );
    }
    json_response(
        StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED),
        answer,
    )
}

/// The current instant (chrono's `clock` feature would pull in a time-zone
/// database lookup we do not need).
fn now_utc() -> chrono::DateTime<chrono::Utc> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, since.subsec_nanos()).unwrap_or_default()
}

async fn stored(st: &AppState) -> Result<(Vec<store::Stored>, u64), Response> {
    let state = st.clone();
    let result = tokio::task::spawn_blocking(move || {
        let store = lock(&state.0.store);
        Ok::<_, String>((store.list(LISTING_LIMIT)?, store.count()?))
    })
    .await;
    match result {
        Ok(Ok(x)) => Ok(x),
        Ok(Err(e)) => Err((StatusCode::INTERNAL_SERVER_ERROR, e).into_response()),
        Err(e) => Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()),
    }
}

/// Whether `a` and `b` are equal, in a time that depends on their lengths
/// only (a byte-by-byte `==` stops at the first difference, which a caller
/// could time to guess the token a byte at a time).
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token a request presents: the password of `Basic` credentials, or a
/// `Bearer` token.
fn presented_token(headers: &HeaderMap) -> Option<Vec<u8>> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().as_bytes().to_vec());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    Some(decoded[colon + 1..].to_vec())
}

/// `None` when the request carries the admin token; otherwise the answer:
/// 403 when no token is configured (the listing is off), else 401 asking
/// for it.
fn admin_refusal(st: &AppState, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = &st.0.admin_token else {
        return Some((
            StatusCode::FORBIDDEN,
            [(header::CACHE_CONTROL, "no-store")],
            format!("The listing is off: start the intake with {ADMIN_TOKEN_ENV} set to a secret of at least {MIN_ADMIN_TOKEN_CHARS} characters, then log in with it.\n"),
        )
            .into_response());
    };
    match presented_token(headers) {
        Some(given) if same_secret(&given, token.as_bytes()) => None,
        _ => Some((
            StatusCode::UNAUTHORIZED,
            [
                (
                    header::WWW_AUTHENTICATE,
                    "Basic realm=\"Frontline requests\", charset=\"UTF-8\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            format!("Log in with the admin token ({ADMIN_TOKEN_ENV}) as the password, any user name; or send Authorization: Bearer <token>.\n"),
        )
            .into_response()),
    }
}

async fn list(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refused) = admin_refusal(&st, &headers) {
        return refused;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("application/json") && !accept.contains("text/html") {
        return list_json(State(st), headers).await;
    }
    let (rows, total) = match stored(&st).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        listing::html(&rows, total),
    )
        .into_response()
}

async fn list_json(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refused) = admin_refusal(&st, &headers) {
        return refused;
    }
    match stored(&st).await {
        Ok((rows, total)) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(listing::json(&rows, total)),
        )
            .into_response(),
        Err(r) => r,
    }
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        listing::CSS,
    )
        .into_response()
}

fn faults_of(st: &AppState) -> Option<&Mutex<Faults>> {
    st.0.faults.as_ref()
}

async fn faults_get(State(st): State<AppState>) -> Response {
    match faults_of(&st) {
        Some(f) => Json(lock(f).describe(Instant::now())).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn faults_set(State(st): State<AppState>, body: Bytes) -> Response {
    let Some(f) = faults_of(&st) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let spec: FaultSpec = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => {
            return one_problem(
                StatusCode::BAD_REQUEST,
                "$",
                format!("not a fault specification: {e}"),
            )
        }
    };
    let now = Instant::now();
    let mut f = lock(f);
    match f.apply(&spec, now) {
        Ok(()) => Json(f.describe(now)).into_response(),
        Err(e) => one_problem(StatusCode::BAD_REQUEST, "$", e),
    }
}

async fn faults_reset(State(st): State<AppState>) -> Response {
    match faults_of(&st) {
        Some(f) => {
            let mut f = lock(f);
            *f = Faults::default();
            Json(f.describe(Instant::now())).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
