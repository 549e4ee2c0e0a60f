//! What the relay's tests share: a destination failing on purpose, real
//! requests, and waiting for the queue to drain.

#![allow(dead_code)]

pub mod pg;
pub mod process;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request as HttpRequest, StatusCode};
use frontline_core::request::{DiagnosisStep, Request, RequestOutcome};
use frontline_core::{evaluate, load, Step, Transcript};
use frontline_relay::forward::{Delivered, Destination, Failure, Ticket};
use frontline_relay::worker::Policy;
use frontline_relay::{AppState, Config};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const DEFAULT: &str = include_str!("../../../../public/rules/default.json");

/// A destination failing a share of its calls, deterministically.
pub struct Flaky {
    /// frontline id -> the tickets created for it (more than one would be a
    /// duplicate).
    pub tickets: Mutex<HashMap<String, Vec<String>>>,
    /// frontline id -> the body of its (last) ticket.
    pub bodies: Mutex<HashMap<String, String>>,
    rng: Mutex<fastrand::Rng>,
    /// Share of create calls that fail: a third refused with 429, a third
    /// refused otherwise, a third created and then failed (ambiguous).
    failure_rate: f64,
    /// Share of find calls that fail (ambiguously).
    find_failure_rate: f64,
    pub creates: AtomicU64,
    pub finds: AtomicU64,
    next: AtomicU64,
    /// What `search_lag` answers, in ms.
    pub search_lag_ms: AtomicU64,
    /// Every create fails permanently (a wrong credential).
    pub refuse_all: std::sync::atomic::AtomicBool,
}

impl Flaky {
    pub fn new(seed: u64, failure_rate: f64) -> Flaky {
        Flaky {
            tickets: Mutex::new(HashMap::new()),
            bodies: Mutex::new(HashMap::new()),
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            failure_rate,
            find_failure_rate: failure_rate / 3.0,
            creates: AtomicU64::new(0),
            finds: AtomicU64::new(0),
            next: AtomicU64::new(1),
            search_lag_ms: AtomicU64::new(0),
            refuse_all: false.into(),
        }
    }

    fn draw(&self) -> f64 {
        self.rng.lock().unwrap().f64()
    }

    pub fn store(&self, id: &str) -> String {
        let t = format!("T{}", self.next.fetch_add(1, Ordering::SeqCst));
        self.tickets
            .lock()
            .unwrap()
            .entry(id.to_string())
            .or_default()
            .push(t.clone());
        t
    }
}

#[async_trait::async_trait]
impl Destination for Flaky {
    async fn create(&self, ticket: &Ticket) -> Result<Delivered, Failure> {
        self.creates.fetch_add(1, Ordering::SeqCst);
        if self.refuse_all.load(Ordering::SeqCst) {
            return Err(Failure::permanent("Flaky: 401 Unauthorized"));
        }
        let r = self.draw();
        let third = self.failure_rate / 3.0;
        if r < third {
            let mut f = Failure::not_sent("Flaky: 429 Too Many Requests");
            f.retry_after = Some(Duration::from_millis(30));
            return Err(f);
        }
        if r < 2.0 * third {
            return Err(Failure::not_sent("Flaky: cannot connect"));
        }
        let id = self.store(&ticket.frontline_id);
        self.bodies
            .lock()
            .unwrap()
            .insert(ticket.frontline_id.clone(), ticket.body.clone());
        if r < self.failure_rate {
            return Err(Failure::maybe_sent("Flaky: 502 Bad Gateway"));
        }
        Ok(Delivered {
            ticket_id: id,
            url: None,
        })
    }

    fn search_lag(&self) -> Duration {
        Duration::from_millis(self.search_lag_ms.load(Ordering::SeqCst))
    }

    async fn find(&self, ticket: &Ticket) -> Result<Option<Delivered>, Failure> {
        self.finds.fetch_add(1, Ordering::SeqCst);
        if self.draw() < self.find_failure_rate {
            return Err(Failure::maybe_sent("Flaky: search timed out"));
        }
        Ok(self
            .tickets
            .lock()
            .unwrap()
            .get(&ticket.frontline_id)
            .and_then(|v| v.first().cloned())
            .map(|ticket_id| Delivered {
                ticket_id,
                url: None,
            }))
    }
}

pub fn fast_policy() -> Policy {
    Policy {
        concurrency: 8,
        lease: Duration::from_secs(5),
        max_attempts: 40,
        max_age: Duration::from_secs(3600),
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(200),
        poll: Duration::from_millis(20),
    }
}

/// A request the default ruleset really decides, with id number `n`.
pub fn request(n: u64) -> Request {
    let rules = load(DEFAULT).unwrap();
    let t = Transcript::new("m365", "billing").answer("billing-what", "dispute");
    let Step::Outcome(o) = evaluate(&rules, &t).unwrap() else {
        panic!("expected an outcome")
    };
    let mut r = Request::example();
    r.id = format!("{:08x}-0000-4000-8000-{n:012x}", n as u32);
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

pub async fn post(app: &axum::Router, r: &Request) -> (StatusCode, String) {
    let res = app
        .clone()
        .oneshot(
            HttpRequest::post("/intake")
                .header("content-type", "application/json")
                .header("idempotency-key", &r.id)
                .body(Body::from(serde_json::to_string(r).unwrap()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

pub async fn relay(dest: Arc<Flaky>, policy: Policy) -> AppState {
    relay_on(":memory:", dest, policy).await
}

/// [`relay`] on the database `database`.
pub async fn relay_on(database: &str, dest: Arc<Flaky>, policy: Policy) -> AppState {
    AppState::new(Config {
        database: database.into(),
        ruleset: Some(load(DEFAULT).unwrap()),
        destinations: vec![("desk".into(), dest as Arc<dyn Destination>)],
        forward: policy,
        ..Config::default()
    })
    .await
    .unwrap()
}

/// Waits (polling the store, up to `limit`) until no job is pending.
pub async fn drained(state: &AppState, limit: Duration) {
    let until = std::time::Instant::now() + limit;
    loop {
        let depth = state.store().depth().await.unwrap();
        if depth.iter().all(|d| d.pending == 0) {
            return;
        }
        assert!(
            std::time::Instant::now() < until,
            "still pending after {limit:?}: {depth:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
