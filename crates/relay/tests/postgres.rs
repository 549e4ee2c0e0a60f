//! The relay on a real PostgreSQL server (a throw-away cluster per test, see
//! `support/pg.rs`): instances sharing one database forward each request
//! exactly once, and a database that goes away costs 503s, never a 2xx for
//! something not stored.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use frontline_relay::router;
use frontline_relay::store::{now_ms, JobState, Query};
use frontline_relay::worker::Policy;
use support::pg::Cluster;
use support::{drained, fast_policy, post, relay_on, request, Flaky};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_forward_a_thousand_requests_exactly_once() {
    let pg = Cluster::start();
    let dest = Arc::new(Flaky::new(42, 0.30));
    let policy = Policy {
        concurrency: 4,
        ..fast_policy()
    };
    let a = relay_on(&pg.url(), dest.clone(), policy.clone()).await;
    let b = relay_on(&pg.url(), dest.clone(), policy).await;
    let stop = Arc::new(tokio::sync::Notify::new());
    let fa = tokio::spawn(a.forwarder().run(stop.clone()));
    let fb = tokio::spawn(b.forwarder().run(stop.clone()));
    let (ra, rb) = (router(a.clone()), router(b.clone()));
    let mut posts = tokio::task::JoinSet::new();
    // 64 customers sending at any moment (a load balancer's connections).
    let open = Arc::new(tokio::sync::Semaphore::new(64));
    for n in 0..1000u64 {
        let open = open.clone();
        // Behind a load balancer: alternate instances; every tenth request
        // is retried on the other one, as a portal would after a lost answer.
        let (first, other) = if n % 2 == 0 {
            (ra.clone(), rb.clone())
        } else {
            (rb.clone(), ra.clone())
        };
        posts.spawn(async move {
            let _sending = open.acquire().await.unwrap();
            let r = request(n);
            let (status, body) = post(&first, &r).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            if n % 10 == 0 {
                assert_eq!(post(&other, &r).await, (StatusCode::CREATED, body));
            }
        });
    }
    while let Some(r) = posts.join_next().await {
        r.unwrap();
    }
    drained(&a, Duration::from_secs(180)).await;
    stop.notify_waiters();
    fa.await.unwrap();
    fb.await.unwrap();

    let tickets = dest.tickets.lock().unwrap().clone();
    assert_eq!(tickets.len(), 1000);
    let duplicated: Vec<_> = tickets.iter().filter(|(_, v)| v.len() != 1).collect();
    assert!(duplicated.is_empty(), "duplicates: {duplicated:?}");
    assert_eq!(a.store().count().await.unwrap(), 1000);
    // Both instances forwarded: the work was shared through the database.
    let forwarded = |s: &frontline_relay::AppState| {
        s.metrics_text()
            .lines()
            .find_map(|l| l.strip_prefix("frontline_forwards_total{destination=\"desk\"} "))
            .map_or(0, |n| n.parse::<u64>().unwrap())
    };
    let (fa, fb) = (forwarded(&a), forwarded(&b));
    assert_eq!(fa + fb, 1000);
    assert!(fa > 100 && fb > 100, "a forwarded {fa}, b {fb}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_down_requests_get_503_and_the_relay_reconnects_by_itself() {
    let pg = Cluster::start();
    let dest = Arc::new(Flaky::new(5, 0.0));
    let state = relay_on(&pg.url(), dest.clone(), fast_policy()).await;
    let stop = Arc::new(tokio::sync::Notify::new());
    let forwarding = tokio::spawn(state.forwarder().run(stop.clone()));
    let app = router(state.clone());
    assert_eq!(post(&app, &request(1)).await.0, StatusCode::CREATED);

    pg.stop();
    for n in 2..=6 {
        let (status, body) = post(&app, &request(n)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body.contains("could not be stored; retry"), "{body}");
    }
    pg.start_again();
    // The portal retries each with the same key; the relay reconnects
    // without a restart. (A pooled connection may fail once more while the
    // pool notices the restart: that is another 503, never a 2xx.)
    for n in 2..=6 {
        let r = request(n);
        let mut tries = 0;
        loop {
            let (status, body) = post(&app, &r).await;
            tries += 1;
            if status == StatusCode::CREATED {
                break;
            }
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            assert!(tries < 20, "still refused after {tries} tries: {body}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    drained(&state, Duration::from_secs(60)).await;
    stop.notify_one();
    forwarding.await.unwrap();
    let rows = state
        .store()
        .list(Query {
            limit: 10,
            ..Query::default()
        })
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        6,
        "exactly the requests answered 201 are stored"
    );
    assert!(rows.iter().all(|r| r.jobs[0].state == JobState::Done));
    assert_eq!(dest.tickets.lock().unwrap().len(), 6);
    assert!(state
        .metrics_text()
        .contains("frontline_requests_refused_total{reason=\"unavailable\"} "));
}

#[tokio::test]
async fn a_claimed_job_is_skipped_by_other_instances_until_its_lease_runs_out() {
    let pg = Cluster::start();
    let dest = Arc::new(Flaky::new(6, 0.0));
    let state = relay_on(&pg.url(), dest, fast_policy()).await;
    let app = router(state.clone());
    for n in 0..3 {
        assert_eq!(post(&app, &request(n)).await.0, StatusCode::CREATED);
    }
    let store = state.store();
    let now = now_ms();
    let one = store.claim("one", now, 60_000, 2).await.unwrap();
    let two = store.claim("two", now, 60_000, 5).await.unwrap();
    assert_eq!((one.len(), two.len()), (2, 1), "no job is claimed twice");
    assert!(one.iter().all(|c| c.job != two[0].job));
    assert!(store
        .claim("three", now, 60_000, 5)
        .await
        .unwrap()
        .is_empty());
    // Once "one"'s lease runs out, its jobs are another's, to look up first.
    let later = store.claim("three", now + 70_000, 60_000, 5).await.unwrap();
    assert_eq!(later.len(), 3);
    assert!(later.iter().all(|c| c.look_up_first && c.attempt == 2));
    // Funnel counters add up on the server too.
    let key = frontline_relay::store::EventKey {
        kind: "submitted".into(),
        product: "m365".into(),
        problem: "billing".into(),
        ..Default::default()
    };
    for _ in 0..2 {
        store
            .add_events("2026-12-03".into(), "default".into(), vec![key.clone()])
            .await
            .unwrap();
    }
    let counts = store
        .funnel("2026-12-01".into(), "2026-12-31".into())
        .await
        .unwrap();
    assert_eq!(counts, vec![(key, 2)]);
    assert!(store
        .funnel("2027-01-01".into(), "2027-01-31".into())
        .await
        .unwrap()
        .is_empty());
    // Purge and erasure work on PostgreSQL too (nothing forwarded yet: the
    // requests stay).
    assert_eq!(
        store.purge(now_ms() + 1_000, "now".into()).await.unwrap(),
        0
    );
    assert!(store.erase(1, "now".into()).await.unwrap());
    let rows = store
        .list(Query {
            limit: 5,
            ..Query::default()
        })
        .await
        .unwrap();
    let erased = rows.iter().find(|r| r.reference == "FL-000001").unwrap();
    assert!(erased.body.is_none() && erased.jobs[0].state == JobState::Erased);
    // The rate-limit counters are shared too.
    assert_eq!(store.hit("ip:1".into(), 0).await.unwrap(), 1);
    assert_eq!(store.hit("ip:1".into(), 0).await.unwrap(), 2);
}
