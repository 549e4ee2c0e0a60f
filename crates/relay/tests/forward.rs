//! The forwarder, end to end in one process: requests posted to the relay's
//! router reach a destination exactly once, whatever the destination does.
//!
//! The destination here is an in-process fake of the `Destination` trait
//! whose failures are drawn from a seeded generator: refusals before
//! creating (some with 429 and `Retry-After`), and ambiguous failures that
//! created the ticket anyway. The help desks' HTTP fakes are tested in
//! `desks.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request as HttpRequest, StatusCode};
use frontline_core::request::{DiagnosisStep, Request, RequestOutcome};
use frontline_core::{evaluate, load, Step, Transcript};
use frontline_relay::forward::{Delivered, Destination, Failure, Ticket};
use frontline_relay::store::{now_ms, Finish, JobState, Query};
use frontline_relay::worker::Policy;
use frontline_relay::{router, AppState, Config};
use http_body_util::BodyExt;
use tower::ServiceExt;

const DEFAULT: &str = include_str!("../../../public/rules/default.json");

/// A destination failing a share of its calls, deterministically.
struct Flaky {
    /// frontline id -> the tickets created for it (more than one would be a
    /// duplicate).
    tickets: Mutex<HashMap<String, Vec<String>>>,
    rng: Mutex<fastrand::Rng>,
    /// Share of create calls that fail: a third refused with 429, a third
    /// refused otherwise, a third created and then failed (ambiguous).
    failure_rate: f64,
    /// Share of find calls that fail (ambiguously).
    find_failure_rate: f64,
    creates: AtomicU64,
    finds: AtomicU64,
    next: AtomicU64,
    /// Every create fails permanently (a wrong credential).
    refuse_all: std::sync::atomic::AtomicBool,
}

impl Flaky {
    fn new(seed: u64, failure_rate: f64) -> Flaky {
        Flaky {
            tickets: Mutex::new(HashMap::new()),
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            failure_rate,
            find_failure_rate: failure_rate / 3.0,
            creates: AtomicU64::new(0),
            finds: AtomicU64::new(0),
            next: AtomicU64::new(1),
            refuse_all: false.into(),
        }
    }

    fn draw(&self) -> f64 {
        self.rng.lock().unwrap().f64()
    }

    fn store(&self, id: &str) -> String {
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
        if r < self.failure_rate {
            return Err(Failure::maybe_sent("Flaky: 502 Bad Gateway"));
        }
        Ok(Delivered {
            ticket_id: id,
            url: None,
        })
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

fn fast_policy() -> Policy {
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
fn request(n: u64) -> Request {
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

async fn post(app: &axum::Router, r: &Request) -> (StatusCode, String) {
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

async fn relay(dest: Arc<Flaky>, policy: Policy) -> AppState {
    AppState::new(Config {
        ruleset: Some(load(DEFAULT).unwrap()),
        destinations: vec![("desk".into(), dest as Arc<dyn Destination>)],
        forward: policy,
        ..Config::default()
    })
    .await
    .unwrap()
}

/// Waits (polling the store, up to `limit`) until no job is pending.
async fn drained(state: &AppState, limit: Duration) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_requests_through_a_flaky_destination_make_a_thousand_tickets() {
    let dest = Arc::new(Flaky::new(19, 0.30));
    let state = relay(dest.clone(), fast_policy()).await;
    let stop = Arc::new(tokio::sync::Notify::new());
    let forwarding = tokio::spawn(state.forwarder().run(stop.clone()));
    let app = router(state.clone());
    let mut posts = tokio::task::JoinSet::new();
    for n in 0..1000u64 {
        let app = app.clone();
        posts.spawn(async move {
            let r = request(n);
            let (status, body) = post(&app, &r).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            // The portal's retry of the same request stores nothing more.
            if n % 10 == 0 {
                let (again, replay) = post(&app, &r).await;
                assert_eq!((again, replay), (StatusCode::CREATED, body));
            }
        });
    }
    while let Some(r) = posts.join_next().await {
        r.unwrap();
    }
    drained(&state, Duration::from_secs(120)).await;
    stop.notify_one();
    forwarding.await.unwrap();

    let tickets = dest.tickets.lock().unwrap().clone();
    assert_eq!(tickets.len(), 1000, "every request has a ticket");
    let duplicated: Vec<_> = tickets.iter().filter(|(_, v)| v.len() != 1).collect();
    assert!(duplicated.is_empty(), "duplicates: {duplicated:?}");
    // The failures really happened, and ambiguous ones were looked up.
    let creates = dest.creates.load(Ordering::SeqCst);
    assert!(creates > 1200, "only {creates} create calls: few failures");
    assert!(dest.finds.load(Ordering::SeqCst) > 50);
    // Every job is done and names the ticket the destination holds.
    let rows = state
        .store()
        .list(Query {
            limit: 2000,
            ..Query::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1000);
    for row in &rows {
        let job = &row.jobs[0];
        assert_eq!(job.state, JobState::Done, "{row:?}");
        assert_eq!(
            job.ticket_id.as_deref(),
            Some(tickets[&row.request_id][0].as_str())
        );
    }
    // /metrics counts the same.
    let res = app
        .clone()
        .oneshot(HttpRequest::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let text =
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(
        text.contains("frontline_requests_received_total 1000\n"),
        "{text}"
    );
    assert!(text.contains("frontline_requests_replayed_total 100\n"));
    assert!(text.contains("frontline_forwards_total{destination=\"desk\"} 1000\n"));
    assert!(text.contains("frontline_queue_depth{destination=\"desk\",state=\"done\"} 1000\n"));
}

#[tokio::test]
async fn a_worker_that_dies_mid_forward_leaves_the_job_to_another_which_looks_it_up_first() {
    let dest = Arc::new(Flaky::new(1, 0.0));
    let policy = Policy {
        lease: Duration::from_secs(3),
        ..fast_policy()
    };
    let state = relay(dest.clone(), policy).await;
    let app = router(state.clone());
    let r = request(7);
    assert_eq!(post(&app, &r).await.0, StatusCode::CREATED);
    // A worker claims the job, creates the ticket, and dies before recording it.
    let start = now_ms();
    let claimed = state
        .store()
        .claim("doomed", start, 3_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(!claimed[0].look_up_first);
    dest.store(&r.id);
    // While its lease runs, no one else takes it.
    assert!(state
        .store()
        .claim("other", start + 1_000, 3_000, 10)
        .await
        .unwrap()
        .is_empty());
    // After it, the next claimer is told to look the ticket up first.
    let again = state
        .store()
        .claim("other", start + 3_001, 3_000, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert!(again[0].look_up_first && again[0].attempt == 2);
    // That claimer gives it back unsent (its rate limit was used up): the
    // next one must still look the ticket up.
    let back = Finish::Postpone {
        at_ms: start + 3_002,
    };
    assert!(state
        .store()
        .finish(again[0].job, "other", back, now_ms())
        .await
        .unwrap());
    let third = state
        .store()
        .claim("third", start + 6_100, 3_000, 10)
        .await
        .unwrap();
    assert!(third[0].look_up_first && third[0].attempt == 2, "{third:?}");
    // A claim's lease never starts in the past, however late it is asked.
    assert!(third[0].lease_until_ms >= now_ms() + 2_500, "{third:?}");
    let back = Finish::Postpone { at_ms: start };
    assert!(state
        .store()
        .finish(third[0].job, "third", back, now_ms())
        .await
        .unwrap());
    // The real forwarder, finding the job once the lease ran out, records
    // the existing ticket and creates none.
    let stop = Arc::new(tokio::sync::Notify::new());
    let forwarding = tokio::spawn(state.forwarder().run(stop.clone()));
    drained(&state, Duration::from_secs(20)).await;
    stop.notify_one();
    forwarding.await.unwrap();
    assert_eq!(dest.creates.load(Ordering::SeqCst), 0);
    assert_eq!(dest.tickets.lock().unwrap()[&r.id].len(), 1);
    let rows = state
        .store()
        .list(Query {
            limit: 5,
            ..Query::default()
        })
        .await
        .unwrap();
    assert_eq!(rows[0].jobs[0].state, JobState::Done);
    assert_eq!(rows[0].jobs[0].ticket_id.as_deref(), Some("T1"));
    // The doomed worker's late report changes nothing: it lost the job.
    let late = Finish::Retry {
        at_ms: now_ms(),
        error: "late".into(),
        maybe_sent: false,
    };
    assert!(!state
        .store()
        .finish(claimed[0].job, "doomed", late, now_ms())
        .await
        .unwrap());
}

#[tokio::test]
async fn a_permanent_refusal_is_a_dead_letter_until_the_admin_retries_it() {
    let dest = Arc::new(Flaky::new(2, 0.0));
    dest.refuse_all.store(true, Ordering::SeqCst);
    let state = relay(dest.clone(), fast_policy()).await;
    let stop = Arc::new(tokio::sync::Notify::new());
    let forwarding = tokio::spawn(state.forwarder().run(stop.clone()));
    let app = router(state.clone());
    let r = request(9);
    assert_eq!(post(&app, &r).await.0, StatusCode::CREATED);
    drained(&state, Duration::from_secs(20)).await;
    let dead = state
        .store()
        .list(Query {
            dead_only: true,
            limit: 10,
            ..Query::default()
        })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    let job = &dead[0].jobs[0];
    assert_eq!(job.state, JobState::Dead);
    assert_eq!(job.attempts, 1, "a permanent refusal is not retried");
    assert_eq!(job.last_error.as_deref(), Some("Flaky: 401 Unauthorized"));
    // The admin fixes the credential and retries.
    dest.refuse_all.store(false, Ordering::SeqCst);
    assert!(state.store().retry_now(job.id, now_ms()).await.unwrap());
    drained(&state, Duration::from_secs(20)).await;
    stop.notify_one();
    forwarding.await.unwrap();
    let rows = state
        .store()
        .list(Query {
            limit: 5,
            ..Query::default()
        })
        .await
        .unwrap();
    assert_eq!(rows[0].jobs[0].state, JobState::Done);
    assert_eq!(dest.tickets.lock().unwrap()[&r.id].len(), 1);
    // A job already done cannot be "retried" into a duplicate.
    assert!(!state.store().retry_now(job.id, now_ms()).await.unwrap());
}

#[tokio::test]
async fn attempts_run_out_into_a_dead_letter() {
    let dest = Arc::new(Flaky::new(3, 1.0));
    let state = relay(
        dest.clone(),
        Policy {
            max_attempts: 3,
            ..fast_policy()
        },
    )
    .await;
    let stop = Arc::new(tokio::sync::Notify::new());
    let forwarding = tokio::spawn(state.forwarder().run(stop.clone()));
    assert_eq!(
        post(&router(state.clone()), &request(11)).await.0,
        StatusCode::CREATED
    );
    drained(&state, Duration::from_secs(20)).await;
    stop.notify_one();
    forwarding.await.unwrap();
    let rows = state
        .store()
        .list(Query {
            limit: 5,
            ..Query::default()
        })
        .await
        .unwrap();
    let job = &rows[0].jobs[0];
    assert_eq!(job.state, JobState::Dead);
    assert_eq!(job.attempts, 3);
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .starts_with("gave up after 3 attempts: Flaky:"),
        "{job:?}"
    );
    // Never more than one ticket, whatever the failures were.
    assert!(dest.tickets.lock().unwrap().values().all(|v| v.len() <= 1));
}
