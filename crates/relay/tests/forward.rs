//! The forwarder, end to end in one process: requests posted to the relay's
//! router reach a destination exactly once, whatever the destination does.
//!
//! The destination here is an in-process fake of the `Destination` trait
//! whose failures are drawn from a seeded generator: refusals before
//! creating (some with 429 and `Retry-After`), and ambiguous failures that
//! created the ticket anyway. The help desks' HTTP fakes are tested in
//! `desks.rs`.

mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request as HttpRequest, StatusCode};
use frontline_relay::router;
use frontline_relay::store::{now_ms, Finish, JobState, Query};
use frontline_relay::worker::Policy;
use http_body_util::BodyExt;
use support::{drained, fast_policy, post, relay, request, Flaky};
use tower::ServiceExt;

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
        .claim("other", start + 3_500, 3_000, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert!(again[0].look_up_first && again[0].attempt == 2);
    // That claimer gives it back unsent (its rate limit was used up): the
    // next one must still look the ticket up.
    let back = Finish::Postpone {
        at_ms: start + 3_501,
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

#[tokio::test]
async fn after_an_ambiguous_failure_the_look_up_waits_for_the_search_index() {
    // Every create "fails" after creating: the ticket exists, the answer is lost.
    let dest = Arc::new(Flaky::new(4, 1.0));
    dest.search_lag_ms.store(60_000, Ordering::SeqCst);
    let state = relay(dest.clone(), fast_policy()).await;
    let app = router(state.clone());
    let mut n = 0;
    // Draw until the flaky destination's failure is the ambiguous kind.
    loop {
        n += 1;
        let r = request(100 + n);
        assert_eq!(post(&app, &r).await.0, StatusCode::CREATED);
        let job = state
            .store()
            .claim("w", now_ms(), 5_000, 1)
            .await
            .unwrap()
            .remove(0);
        let finish = state.forwarder().forward(job).await;
        match finish {
            Finish::Retry {
                at_ms,
                maybe_sent: true,
                ..
            } => {
                assert!(
                    at_ms >= now_ms() + 59_000,
                    "the look-up comes too soon: {at_ms}"
                );
                break;
            }
            Finish::Retry {
                maybe_sent: false,
                at_ms,
                ..
            } => {
                assert!(
                    at_ms < now_ms() + 1_000,
                    "a refusal does not wait for the index"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(n < 50);
    }
}
