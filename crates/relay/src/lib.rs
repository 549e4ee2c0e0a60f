//! `frontline-relay`: the partner's own server between the Frontline portal
//! and its help desks.
//!
//! The portal's `json` adapter posts each customer request here; the relay
//! re-checks it, stores it, answers with a reference, and forwards it,
//! exactly once, to every destination the configuration names (help desks
//! with an API credential the browser must never hold, a signed webhook,
//! e-mail). With no destination it is the reference intake: it stores and
//! lists.
//!
//! - `POST /intake`: a body size limit (413), parsing and validation with the
//!   JSON path of every problem (400 `{"errors":[{"path","message"}]}`),
//!   deduplication on the required `Idempotency-Key` header (a repeat gets
//!   the first answer byte for byte and stores nothing), a re-check of the
//!   decision against the partner's ruleset ([`OnMismatch`]: flag, the
//!   default, or refuse with 422), then one transaction storing the request
//!   and one forward job per destination, and only then `201 {"id",
//!   "reference": "FL-000123"}`. A database that cannot store gets 503 with
//!   `Retry-After`: never a 2xx for what was not stored. CORS for the
//!   configured origins only.
//! - The forwarder ([`worker`]) claims due jobs with a lease and forwards
//!   them ([`forward`]), looking a ticket up before sending again after an
//!   ambiguous failure; retries back off, dead letters wait for the admin.
//! - `GET /admin` (HTML, no script or inline style) and `GET /requests.json`:
//!   requests and their forwards, dead letters with "retry now", search by
//!   reference; only with the admin token ([`Config::admin_token`]) as the
//!   password of HTTP Basic authentication (any user name) or as
//!   `Authorization: Bearer <token>`. Without a token configured the listing
//!   is off (403): customer data is never listed to whoever reaches the port.
//! - `GET /metrics` (Prometheus text, [`metrics`]), `GET /health`.
//! - With [`Config::faults_enabled`] only: `/_faults` (see [`faults`]) to
//!   make the server fail, stall, drop connections or go down, for tests of
//!   the portal's retries.
//!
//! ## Usage
//! ```no_run
//! # async fn run() -> Result<(), String> {
//! use frontline_relay::{serve, AppState, Config};
//! let state = AppState::new(Config::default()).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
//! serve(listener, state, std::future::pending()).await.map_err(|e| e.to_string())
//! # }
//! ```

pub mod abuse;
pub mod cli;
pub mod config;
pub mod events;
pub mod faults;
pub mod forward;
pub mod funnel;
pub mod listing;
pub mod metrics;
pub mod store;
pub mod worker;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
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
use crate::forward::Destination;
use crate::metrics::{reason, Metrics};
use crate::store::{Inserted, NewRequest, Store};
use crate::worker::{Forwarder, Policy};

/// How many requests the listing shows at most.
pub const LISTING_LIMIT: usize = 500;

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database: `sqlite:PATH` (a file, created with its folder if
    /// missing), `:memory:`, or `postgres://…`.
    pub database: String,
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
    /// What to do with a request whose decision the ruleset does not
    /// reproduce.
    pub on_mismatch: OnMismatch,
    /// Where each request is forwarded, by name (none: stored only, as the
    /// reference intake did).
    pub destinations: Vec<(String, Arc<dyn Destination>)>,
    /// How forwarding retries.
    pub forward: Policy,
    /// This instance's name in the jobs' leases (default: host and process).
    pub instance: Option<String>,
    /// Spam and flood protection (default: [`abuse::Abuse::lenient`]; the
    /// configuration file's default is stricter).
    pub abuse: abuse::Abuse,
    /// Days until a forwarded request's personal data is purged (0: never).
    pub purge_after_days: u32,
    /// The proof of work asked of each request (`None`: none).
    pub pow: Option<abuse::Pow>,
}

/// What the relay does with a request whose decision its ruleset does not
/// reproduce (a tampered or stale portal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnMismatch {
    /// Store and forward it, with the ticket flagged: staff see the
    /// tampering and decide (the default).
    #[default]
    Flag,
    /// Refuse it with 422, naming what differs.
    Refuse,
}

impl std::fmt::Debug for dyn Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Destination")
    }
}

/// The environment variable the servers read [`Config::admin_token`] from.
pub const ADMIN_TOKEN_ENV: &str = "FRONTLINE_ADMIN_TOKEN";

/// Tokens shorter than this are refused at start: one guessed in a few
/// tries would open every customer's data.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 16;

impl Default for Config {
    fn default() -> Self {
        Config {
            database: ":memory:".into(),
            ruleset: None,
            allowed_origins: Vec::new(),
            max_body_bytes: MAX_REQUEST_BYTES,
            faults_enabled: false,
            admin_token: None,
            on_mismatch: OnMismatch::Flag,
            destinations: Vec::new(),
            forward: Policy::default(),
            instance: None,
            abuse: abuse::Abuse::lenient(),
            purge_after_days: 30,
            pow: None,
        }
    }
}

/// The server's shared state (cheap to clone).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Arc<Store>,
    ruleset: Option<Arc<Ruleset>>,
    on_mismatch: OnMismatch,
    destinations: Arc<BTreeMap<String, Arc<dyn Destination>>>,
    policy: Policy,
    metrics: Arc<Metrics>,
    wake: Arc<tokio::sync::Notify>,
    instance: String,
    abuse: abuse::Abuse,
    purge_after_days: u32,
    pow: Option<abuse::Pow>,
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
    pub async fn new(config: Config) -> Result<AppState, String> {
        if let Some(t) = &config.admin_token {
            if t.chars().count() < MIN_ADMIN_TOKEN_CHARS || t.trim() != t {
                return Err(format!(
                    "{ADMIN_TOKEN_ENV} must be at least {MIN_ADMIN_TOKEN_CHARS} characters, without spaces around it (make one with: openssl rand -hex 16)"
                ));
            }
        }
        let store = Store::open(&config.database).await?;
        let origins = parse_origins(&config.allowed_origins)?;
        let instance = config.instance.unwrap_or_else(|| {
            format!(
                "{}:{}",
                std::env::var("HOSTNAME").unwrap_or_else(|_| "relay".into()),
                std::process::id()
            )
        });
        Ok(AppState(Arc::new(Inner {
            store: Arc::new(store),
            ruleset: config.ruleset.map(Arc::new),
            on_mismatch: config.on_mismatch,
            destinations: Arc::new(config.destinations.into_iter().collect()),
            policy: config.forward,
            metrics: Arc::new(Metrics::default()),
            wake: Arc::new(tokio::sync::Notify::new()),
            instance,
            abuse: config.abuse,
            purge_after_days: config.purge_after_days,
            pow: config.pow,
            origins,
            max_body: config.max_body_bytes,
            faults: config.faults_enabled.then(|| Mutex::new(Faults::default())),
            admin_token: config.admin_token,
        })))
    }

    /// The forwarder of this instance (run by [`serve`]).
    pub fn forwarder(&self) -> Forwarder {
        let i = &self.0;
        Forwarder::new(
            i.store.clone(),
            i.destinations.clone(),
            i.ruleset.clone(),
            i.policy.clone(),
            i.metrics.clone(),
            i.wake.clone(),
            i.instance.clone(),
        )
    }

    /// This instance's counters in the `/metrics` format (without the
    /// queue depth, which needs the database).
    pub fn metrics_text(&self) -> String {
        self.0.metrics.render(&[])
    }

    /// Purges the personal data the retention period no longer allows
    /// (see [`store::Store::purge`]); how many requests were purged.
    pub async fn purge_now(&self) -> Result<u64, store::StoreError> {
        let days = self.0.purge_after_days;
        if days == 0 {
            return Ok(0);
        }
        let before = store::now_ms() - i64::from(days) * 86_400_000;
        self.0.store.purge(before, format_utc(now_utc())).await
    }

    /// Erases one request's personal data (by reference or request id);
    /// `false` when there is none.
    pub async fn erase(&self, reference: &str) -> Result<bool, store::StoreError> {
        let found = self
            .0
            .store
            .list(store::Query {
                search: Some(reference.to_string()),
                limit: 1,
                ..Default::default()
            })
            .await?;
        let Some(seq) = found.first().and_then(|r| store::seq_of(&r.reference)) else {
            return Ok(false);
        };
        self.0.store.erase(seq, format_utc(now_utc())).await
    }

    /// The configured destinations' names: one forward job each.
    fn destination_names(&self) -> Vec<String> {
        self.0.destinations.keys().cloned().collect()
    }

    /// The storage (tests and the admin commands).
    pub fn store(&self) -> &Store {
        &self.0.store
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

/// Checks the allowed origins (`scheme://host[:port]`, never `*` or
/// `null`) and makes them header values.
pub fn parse_origins(list: &[String]) -> Result<Vec<HeaderValue>, String> {
    let mut origins = Vec::new();
    for o in list {
        let o = o.trim_end_matches('/');
        let ok = (o.starts_with("http://") || o.starts_with("https://"))
            && !o["https://".len().min(o.len())..].contains('/')
            && !o.contains('*');
        let value = HeaderValue::from_str(o).ok().filter(|_| ok).ok_or_else(|| {
            format!("\"{o}\" is not an origin: write scheme://host[:port], like https://support.example.com (never * or null)")
        })?;
        origins.push(value);
    }
    Ok(origins)
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
    let mut intake = Router::new()
        .route("/intake", post(receive))
        .route("/events", post(events))
        .route("/challenge", get(challenge));
    if !state.0.origins.is_empty() {
        intake = intake.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(state.0.origins.clone()))
                .allow_methods([Method::POST, Method::GET])
                .allow_headers([
                    header::CONTENT_TYPE,
                    HeaderName::from_static("idempotency-key"),
                    // The portal's anti-spam signals (frontline_core::adapters::signal_headers).
                    HeaderName::from_static(abuse::TRAP_HEADER),
                    HeaderName::from_static(abuse::ELAPSED_HEADER),
                    HeaderName::from_static(abuse::POW_HEADER),
                ])
                // The portal's outbox reads it to wait before the next try.
                .expose_headers([header::RETRY_AFTER])
                .max_age(std::time::Duration::from_secs(600)),
        );
    }
    let mut app = Router::new()
        .route("/health", get(health))
        .route("/admin", get(list))
        .route("/requests", get(list))
        .route("/requests.json", get(list_json))
        .route("/admin/jobs/{job}/retry", post(retry_job))
        .route("/admin/requests/{reference}/{action}", post(request_action))
        .route("/admin/funnel", get(funnel_page))
        .route("/metrics", get(metrics_text))
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
    let stop = Arc::new(tokio::sync::Notify::new());
    let forwarding = tokio::spawn(state.forwarder().run(stop.clone()));
    // Ends the forwarder with the server, however `serve` returns.
    struct StopOnDrop(Arc<tokio::sync::Notify>, tokio::task::JoinHandle<()>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.notify_one();
            self.1.abort();
        }
    }
    let _forwarding = StopOnDrop(stop, forwarding);
    // Retention: purge at start, then every hour.
    let purging = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                every.tick().await;
                match state.purge_now().await {
                    Ok(0) => {}
                    Ok(n) => eprintln!("frontline-relay: purged the personal data of {n} request(s) past the retention period"),
                    Err(e) => eprintln!("frontline-relay: cannot purge ({e}); trying again in an hour"),
                }
                let _ = state
                    .0
                    .store
                    .forget_windows(store::now_ms() - 86_400_000)
                    .await;
            }
        })
    };
    struct AbortOnDrop(tokio::task::JoinHandle<()>);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let _purging = AbortOnDrop(purging);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
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
            let service = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    let app = app.clone();
                    req.extensions_mut().insert(abuse::ClientAddr(peer));
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
                },
            );
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

async fn receive(State(st): State<AppState>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let peer = parts.extensions.get::<abuse::ClientAddr>().map(|c| c.0);
    let headers = parts.headers;
    let inner = &st.0;
    // Floods first, before any work: shared by every instance.
    let client = abuse::client_key(&headers, peer, inner.abuse.trust_forwarded_for);
    let buckets = [
        (format!("ip:{client}"), inner.abuse.per_ip),
        ("global".to_string(), inner.abuse.global),
    ];
    let window = std::time::Duration::from_secs(inner.abuse.window_seconds.max(1));
    match abuse::over_limit(&inner.store, window, store::now_ms(), &buckets).await {
        Ok(None) => {}
        Ok(Some(wait)) => {
            inner.metrics.refused(reason::RATE_LIMITED);
            let secs = wait.as_secs() + 1;
            let mut r = one_problem(
                StatusCode::TOO_MANY_REQUESTS,
                "$",
                format!("too many requests from this network or in all: the portal sends this one again in {secs} s by itself"),
            );
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return r;
        }
        Err(e) => {
            eprintln!("frontline-relay: {e}");
            inner.metrics.refused(reason::UNAVAILABLE);
            return unavailable();
        }
    }
    if let Some(pow) = &inner.pow {
        let given = headers.get(abuse::POW_HEADER).and_then(|v| v.to_str().ok());
        let spent = match pow.check(given) {
            Ok((signature, expires)) => {
                let at = i64::try_from(expires).unwrap_or(0).saturating_mul(1000);
                match inner.store.hit(format!("pow:{signature}"), at).await {
                    Ok(1) => Ok(()),
                    Ok(_) => Err("already used: solve a new challenge"),
                    Err(_) => return unavailable(),
                }
            }
            Err(why) => Err(why),
        };
        if let Err(why) = spent {
            inner.metrics.refused(reason::PROOF_OF_WORK);
            // 429 with Retry-After: the portal solves a new challenge and
            // sends the same request again; nothing is lost.
            let mut r = one_problem(
                StatusCode::TOO_MANY_REQUESTS,
                "headers.Frontline-Pow",
                format!("the proof of work is {why}"),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return r;
        }
    }
    let response = accept(&st, headers, body).await;
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => st.0.metrics.refused(reason::TOO_LARGE),
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            st.0.metrics.refused(reason::INVALID)
        }
        _ => {}
    }
    response
}

async fn accept(st: &AppState, headers: HeaderMap, body: Body) -> Response {
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
    let held = abuse::held_reason(&headers, &inner.abuse);

    let verification = inner.ruleset.as_ref().map(|r| req.verify(r));
    if let Some(v) = verification.as_ref().filter(|v| !v.matches) {
        if inner.on_mismatch == OnMismatch::Refuse {
            inner.metrics.refused(reason::MISMATCH);
            let list: Vec<FieldProblem> = v
                .differences
                .iter()
                .map(|d| FieldProblem {
                    path: request_path(&d.field),
                    message: format!(
                        "the partner's ruleset decides {}, the request says {}: reload the portal and send again",
                        d.recomputed, d.recorded
                    ),
                })
                .collect();
            return problems(StatusCode::UNPROCESSABLE_ENTITY, &list);
        }
    }
    let now = now_utc();
    let new = NewRequest {
        key,
        request_id: req.id.clone(),
        received_at: format_utc(now),
        received_ms: now.timestamp_millis(),
        body: text.to_string(),
        verification: verification
            .as_ref()
            .map(|v| (serde_json::to_string(v).unwrap_or_default(), v.matches)),
        destinations: st.destination_names(),
        held: held.clone(),
    };
    let answer = if held.is_some() {
        held_body
    } else {
        answer_body
    };
    let (status, answer) = match inner.store.insert(new, answer).await {
        Ok(Inserted::New(s, b)) => {
            if held.is_some() {
                inner
                    .metrics
                    .refused(if headers.contains_key(abuse::TRAP_HEADER) {
                        reason::HONEYPOT
                    } else {
                        reason::TOO_FAST
                    });
            } else {
                inner.metrics.received();
                inner.wake.notify_waiters();
            }
            (s, b)
        }
        Ok(Inserted::Replay(s, b)) => {
            inner.metrics.replayed();
            (s, b)
        }
        Err(e) => {
            eprintln!("frontline-relay: {e}");
            inner.metrics.refused(reason::UNAVAILABLE);
            return unavailable();
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

/// The request's JSON path of a verification difference's field
/// (`outcome.handler` is `$.outcome.decision.handler`).
fn request_path(field: &str) -> String {
    if let Some(f) = field.strip_prefix("outcome.") {
        format!("$.outcome.decision.{f}")
    } else if let Some(f) = field.strip_prefix("ruleset.") {
        format!("$.outcome.ruleset.{f}")
    } else if field == "transcript" {
        "$.diagnosis".into()
    } else {
        format!("$.{field}")
    }
}

/// 503: the database could not store (or count) the request.
fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "5")],
        one_problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "$",
            "the request could not be stored; retry (it is safe: the Idempotency-Key prevents duplicates)",
        ),
    )
        .into_response()
}

/// A held request's plain 200 body: `{"id"}`, nothing a bot could tell
/// from a real answer's shape without a reference.
fn held_body(_reference: &str, request_id: &str) -> String {
    json!({ "id": request_id }).to_string()
}

/// The 201 body: `{"reference", "id"}`.
fn answer_body(reference: &str, request_id: &str) -> String {
    json!({ "reference": reference, "id": request_id }).to_string()
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

async fn stored(st: &AppState, query: store::Query) -> Result<(Vec<store::Stored>, u64), Response> {
    let store = &st.0.store;
    match (store.list(query).await, store.count().await) {
        (Ok(rows), Ok(total)) => Ok((rows, total)),
        (Err(e), _) | (_, Err(e)) => {
            Err((StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response())
        }
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

/// `?q=FL-000123&dead=1` of the admin page.
#[derive(Debug, Default, serde::Deserialize)]
struct ListParams {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    dead: Option<String>,
    #[serde(default)]
    held: Option<String>,
}

impl ListParams {
    fn query(self) -> store::Query {
        store::Query {
            search: self.q.filter(|q| !q.trim().is_empty()),
            dead_only: self.dead.is_some_and(|d| d != "0"),
            held_only: self.held.is_some_and(|d| d != "0"),
            limit: LISTING_LIMIT,
        }
    }
}

async fn list(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Response {
    if let Some(refused) = admin_refusal(&st, &headers) {
        return refused;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("application/json") && !accept.contains("text/html") {
        return list_json(State(st), headers, Query(params)).await;
    }
    let query = params.query();
    let (rows, total) = match stored(&st, query.clone()).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    admin_page(listing::html(&rows, total, &query))
}

async fn list_json(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Response {
    if let Some(refused) = admin_refusal(&st, &headers) {
        return refused;
    }
    match stored(&st, params.query()).await {
        Ok((rows, total)) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(listing::json(&rows, total)),
        )
            .into_response(),
        Err(r) => r,
    }
}

/// Whether a state-changing admin request comes from the admin page itself:
/// a browser sends the login with any site's form, so a POST from another
/// origin (cross-site request forgery) is refused.
fn same_origin(headers: &HeaderMap) -> bool {
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin" || site == "none",
        // Older browsers and scripts: the Origin header, when sent, must be
        // this host's.
        None => match (
            headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
            headers.get(header::HOST).and_then(|v| v.to_str().ok()),
        ) {
            (Some(origin), Some(host)) => {
                origin
                    .strip_prefix("http://")
                    .or_else(|| origin.strip_prefix("https://"))
                    == Some(host)
            }
            (None, _) => true,
            _ => false,
        },
    }
}

/// [`admin_refusal`] for the admin page's forms, which must also come from
/// the page itself ([`same_origin`]).
fn admin_post_refusal(st: &AppState, headers: &HeaderMap) -> Option<Response> {
    if let Some(refused) = admin_refusal(st, headers) {
        return Some(refused);
    }
    (!same_origin(headers)).then(|| {
        (
            StatusCode::FORBIDDEN,
            "Refused: this form can only be sent from the relay's own admin page.\n",
        )
            .into_response()
    })
}

async fn retry_job(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(job): Path<i64>,
) -> Response {
    if let Some(refused) = admin_post_refusal(&st, &headers) {
        return refused;
    }
    match st.0.store.retry_now(job, store::now_ms()).await {
        Ok(true) => {
            st.0.wake.notify_waiters();
            (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, "/admin?dead=1")],
                "Retrying now.\n",
            )
                .into_response()
        }
        Ok(false) => (
            StatusCode::NOT_FOUND,
            "No dead letter with this number (it may have been forwarded already).\n",
        )
            .into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

/// `POST /admin/requests/{reference}/release` and `…/erase`.
async fn request_action(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((reference, action)): Path<(String, String)>,
) -> Response {
    if let Some(refused) = admin_post_refusal(&st, &headers) {
        return refused;
    }
    let done = match action.as_str() {
        "release" => match store::seq_of(&reference) {
            Some(seq) => {
                let r =
                    st.0.store
                        .release(seq, st.destination_names(), store::now_ms())
                        .await;
                st.0.wake.notify_waiters();
                r
            }
            None => Ok(false),
        },
        "erase" => st.erase(&reference).await,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match done {
        Ok(true) => {
            let back = format!(
                "/admin?q={}",
                frontline_core::adapters::form_encode(&reference)
            );
            (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, back)],
                format!("{action}: done.\n"),
            )
                .into_response()
        }
        Ok(false) => (
            StatusCode::NOT_FOUND,
            format!(
                "No request {reference} to {action} (released already, or no such reference).\n"
            ),
        )
            .into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

/// `POST /events`: anonymous funnel events ([`events`]); 204 once counted.
async fn events(State(st): State<AppState>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let inner = &st.0;
    let headers = &parts.headers;
    // Browsers name the page's origin: only the partner's pages may count.
    if let Some(origin) = headers.get(header::ORIGIN) {
        if !inner.origins.iter().any(|o| o == origin) {
            return one_problem(
                StatusCode::FORBIDDEN,
                "headers.Origin",
                "this page's origin is not in the relay's allowed_origins",
            );
        }
    }
    let peer = parts.extensions.get::<abuse::ClientAddr>().map(|c| c.0);
    let client = abuse::client_key(headers, peer, inner.abuse.trust_forwarded_for);
    let window = std::time::Duration::from_secs(inner.abuse.window_seconds.max(1));
    let bucket = [(format!("events:{client}"), inner.abuse.events_per_ip)];
    match abuse::over_limit(&inner.store, window, store::now_ms(), &bucket).await {
        Ok(None) => {}
        Ok(Some(_)) => {
            inner.metrics.refused(reason::RATE_LIMITED);
            return StatusCode::TOO_MANY_REQUESTS.into_response();
        }
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
    let bytes = match http_body_util::Limited::new(body, events::MAX_EVENTS_BYTES)
        .collect()
        .await
    {
        Ok(c) => c.to_bytes(),
        Err(_) => return too_large(events::MAX_EVENTS_BYTES),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return one_problem(StatusCode::BAD_REQUEST, "$", "the body is not UTF-8 text");
    };
    let (ruleset, keys) = match events::parse(text) {
        Ok(x) => x,
        Err((path, message)) => return one_problem(StatusCode::BAD_REQUEST, &path, message),
    };
    let day = format_utc(now_utc())[..10].to_string();
    let n = keys.len();
    match inner.store.add_events(day, ruleset, keys).await {
        Ok(()) => {
            for _ in 0..n {
                inner.metrics.event();
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            eprintln!("frontline-relay: {e}");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `GET /challenge`: a proof-of-work challenge (404 when none is asked).
async fn challenge(State(st): State<AppState>) -> Response {
    let Some(pow) = &st.0.pow else {
        return one_problem(
            StatusCode::NOT_FOUND,
            "$",
            "this relay asks no proof of work",
        );
    };
    let now = u64::try_from(store::now_ms() / 1000).unwrap_or(0);
    match pow.challenge(now) {
        Ok(json) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            json,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD` of the funnel page.
#[derive(Debug, Default, serde::Deserialize)]
struct Period {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// `GET /admin/funnel` (the last 30 days unless a period is chosen).
async fn funnel_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(period): Query<Period>,
) -> Response {
    if let Some(refused) = admin_refusal(&st, &headers) {
        return refused;
    }
    let day =
        |s: Option<&str>| s.and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let today = now_utc().date_naive();
    let to = day(period.to.as_deref()).unwrap_or(today);
    let from = day(period.from.as_deref())
        .unwrap_or_else(|| to - chrono::Days::new(29))
        .min(to);
    let (from, to) = (
        from.format("%Y-%m-%d").to_string(),
        to.format("%Y-%m-%d").to_string(),
    );
    let counts = match st.0.store.funnel(from.clone(), to.clone()).await {
        Ok(c) => c,
        Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    };
    let funnels = funnel::funnels(&counts, st.0.ruleset.as_deref());
    admin_page(funnel::html(&from, &to, &funnels))
}

/// An admin page: customer data, so never cached, never framed, no
/// script and nothing from elsewhere; its forms post to itself only.
fn admin_page(html: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

async fn metrics_text(State(st): State<AppState>) -> Response {
    let depth = st.0.store.depth().await.unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.0.metrics.render(&depth),
    )
        .into_response()
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
