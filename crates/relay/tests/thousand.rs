//! The issue's reliability bar, over real HTTP: 1,000 requests posted to a
//! relay configured as a partner would (a TOML file, a Freshdesk
//! destination) while the help desk (a local fake of Freshdesk's API) fails
//! 30 % of its create calls (some refused, some after creating the ticket)
//! and answers 429 past a rate limit: the desk ends with exactly 1,000
//! tickets, one per request.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use frontline_fakedesk::{AfterCreate, Desk, FakeDesk, FaultSettings, RateLimit};
use frontline_relay::config::load_file;
use frontline_relay::{router, AppState};
use support::{drained, post, request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_requests_through_a_failing_rate_limited_freshdesk_make_a_thousand_tickets() {
    let fake = FakeDesk::start(Desk::Freshdesk).await.unwrap();
    fake.set_faults(FaultSettings {
        failure_rate: 0.30,
        seed: 1000,
        // Of the failures, 40 % are refused before anything is stored, the
        // rest store the ticket and then answer 500: the relay cannot know
        // and must look the ticket up before sending again.
        refuse_share: 0.4,
        refuse_status: 503,
        after_create: AfterCreate::Status(500),
        rate_limit: Some(RateLimit {
            max_creates: 150,
            window_ms: 1_000,
            retry_after_s: 1,
        }),
        script: Vec::new(),
    });
    let ruleset = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../public/rules/default.json"
    );
    let text = format!(
        r#"database = ":memory:"
ruleset = "{ruleset}"

[abuse]
per_ip = 0
global = 0

[forward]
concurrency = 8
lease_seconds = 9
max_attempts = 40
backoff_base_ms = 20
backoff_cap_seconds = 1

[destinations.desk]
kind = "freshdesk"
url = "{}"
api_key = {{ env = "DESK_KEY" }}
calls_per_minute = 0
"#,
        fake.url().trim_end_matches('/')
    );
    let env = |name: &str| (name == "DESK_KEY").then(|| "fake-freshdesk-api-key".to_string());
    let loaded = load_file(&text, std::path::Path::new("relay.toml"), &env)
        .unwrap_or_else(|p| panic!("{p:?}"));
    let state = AppState::new(loaded.config).await.unwrap();
    let stop = Arc::new(tokio::sync::Notify::new());
    let forwarding = tokio::spawn(state.forwarder().run(stop.clone()));
    let app = router(state.clone());
    let mut posts = tokio::task::JoinSet::new();
    for n in 0..1000u64 {
        let app = app.clone();
        posts.spawn(async move {
            let (status, body) = post(&app, &request(n)).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        });
    }
    while let Some(r) = posts.join_next().await {
        r.unwrap();
    }
    drained(&state, Duration::from_secs(240)).await;
    stop.notify_one();
    forwarding.await.unwrap();

    let tickets = fake.tickets();
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for t in &tickets {
        *per_id
            .entry(
                t.frontline_id
                    .clone()
                    .expect("every ticket carries its Frontline id"),
            )
            .or_default() += 1;
    }
    assert_eq!(per_id.len(), 1000, "every request has a ticket");
    let duplicated: Vec<_> = per_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "duplicates: {duplicated:?}");
    assert_eq!(tickets.len(), 1000);
    // The faults really happened: more create calls than tickets.
    let calls = fake.create_calls();
    assert!(calls > 1_250, "only {calls} create calls");
    // And nothing is left for the admin: every forward is done.
    let depth = state.store().depth().await.unwrap();
    assert_eq!(
        (depth[0].done, depth[0].dead, depth[0].pending),
        (1000, 0, 0)
    );
}
