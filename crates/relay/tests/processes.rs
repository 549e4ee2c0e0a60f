//! The relay as the partner runs it: real `frontline-relay` processes,
//! configured by a TOML file, over real HTTP.
//!
//! - Two instances share one PostgreSQL server and forward to a fake
//!   Freshdesk that stalls some creates past the relay's answer timeout and
//!   fails others (refused, rate limited, created then 500 or a dropped
//!   connection). One instance is killed with SIGKILL while a create of
//!   its own has reached the desk and is waiting for the answer; the other
//!   takes its jobs over once their leases run out, looks each one up before
//!   sending again, and every request ends as exactly one ticket.
//! - `check-config` names the path of each problem and exits 1, 0 when
//!   the file is good.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use frontline_fakedesk::{AfterCreate, Desk, FakeDesk, Fault, FaultSettings};
use serde_json::Value;
use support::pg::Cluster;
use support::process::{run, Relay, TempDir};
use support::request;

const ADMIN_TOKEN: &str = "processes-test-admin-token-0123";
const KEY_ENV: &str = "FRONTLINE_TEST_FRESHDESK_KEY";
const REQUESTS: u64 = 300;

/// The fake's create calls: a scripted mix of every kind of failure for the
/// first 450 calls (seeded, so a failing run can be replayed), then a 20%
/// failure rate of stalls. A stall stores the ticket and answers after
/// 2.5 s, past the relay's answer timeout (a third of the 6 s lease).
fn faults() -> FaultSettings {
    let mut rng = fastrand::Rng::with_seed(20_261_207);
    let script = (0..450)
        .map(|_| match rng.u32(0..100) {
            0..=61 => Fault::Pass,
            62..=69 => Fault::Refuse(503),
            70..=75 => Fault::RateLimit(1),
            76..=83 => Fault::CreateThen(AfterCreate::Status(500)),
            84..=95 => Fault::CreateThen(AfterCreate::StallMs(2500)),
            _ => Fault::CreateThen(AfterCreate::Drop),
        })
        .collect();
    FaultSettings {
        failure_rate: 0.2,
        seed: 7,
        refuse_share: 0.5,
        after_create: AfterCreate::StallMs(2500),
        script,
        ..FaultSettings::default()
    }
}

fn config(database: &str, desk: &str) -> String {
    format!(
        r#"listen = "127.0.0.1:0"
database = "{database}"
ruleset = "default.json"

# All 300 requests come from this test's one address.
[abuse]
per_ip = 0
global = 0

[forward]
concurrency = 4
lease_seconds = 6
max_attempts = 40
backoff_base_ms = 50
backoff_cap_seconds = 1

[destinations.desk]
kind = "freshdesk"
url = "{desk}"
api_key = {{ env = "{KEY_ENV}" }}
# The fake keeps no rate limit of its own here: no pacing.
calls_per_minute = 0
"#
    )
}

/// A job as the database holds it (the store's PostgreSQL schema).
#[derive(Debug, Clone)]
struct Job {
    id: i64,
    request_id: String,
    state: String,
    in_flight: bool,
    claimed_by: Option<String>,
    ticket_id: Option<String>,
}

async fn jobs(db: &tokio_postgres::Client) -> Vec<Job> {
    db.query(
        "SELECT j.id, r.request_id, j.state, j.in_flight, j.claimed_by, j.ticket_id
         FROM jobs j JOIN requests r ON r.seq = j.request_seq ORDER BY j.id",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| Job {
        id: r.get(0),
        request_id: r.get(1),
        state: r.get(2),
        in_flight: r.get(3),
        claimed_by: r.get(4),
        ticket_id: r.get(5),
    })
    .collect()
}

/// The jobs `instance` holds in flight: claimed, not finished.
fn in_flight_of<'a>(all: &'a [Job], instance: &str) -> Vec<&'a Job> {
    let prefix = format!("{instance}/");
    all.iter()
        .filter(|j| {
            j.state == "pending"
                && j.in_flight
                && j.claimed_by
                    .as_deref()
                    .is_some_and(|c| c.starts_with(&prefix))
        })
        .collect()
}

async fn post_all(a: &Relay, b: &Relay) {
    let http = reqwest::Client::new();
    let urls = [format!("{}/intake", a.url()), format!("{}/intake", b.url())];
    let mut posts = tokio::task::JoinSet::new();
    let open = Arc::new(tokio::sync::Semaphore::new(16));
    for n in 0..REQUESTS {
        let (http, open) = (http.clone(), open.clone());
        let url = urls[(n % 2) as usize].clone();
        posts.spawn(async move {
            let _sending = open.acquire().await.unwrap();
            let r = request(n);
            let res = http
                .post(&url)
                .header("content-type", "application/json")
                .header("idempotency-key", &r.id)
                .body(serde_json::to_string(&r).unwrap())
                .send()
                .await
                .unwrap_or_else(|e| panic!("POST {url} (request {n}): {e}"));
            let status = res.status();
            let body = res.text().await.unwrap();
            assert_eq!(status, 201, "POST {url} (request {n}): {body}");
        });
    }
    while let Some(r) = posts.join_next().await {
        r.unwrap();
    }
}

/// The survivor's `/requests.json`: each request's id and its forwards'
/// states and ticket ids.
async fn listing(http: &reqwest::Client, relay: &Relay) -> Vec<(String, Vec<Value>)> {
    let res = http
        .get(format!("{}/requests.json", relay.url()))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    v["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["forwards"].as_array().unwrap().clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_postgres_one_killed_mid_forward_every_request_forwarded_once() {
    let pg = Cluster::start();
    let desk = FakeDesk::start(Desk::Freshdesk).await.unwrap();
    desk.set_faults(faults());
    let dir = TempDir::new("frontline-processes");
    dir.write("default.json", support::DEFAULT);
    let cfg = dir.write("relay.toml", &config(&pg.url(), &desk.url()));
    let env = [
        (KEY_ENV, frontline_fakedesk::freshdesk::API_KEY),
        ("FRONTLINE_ADMIN_TOKEN", ADMIN_TOKEN),
    ];
    let (mut a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Relay::spawn("a", &cfg, &env));
        let b = s.spawn(|| Relay::spawn("b", &cfg, &env));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (db, conn) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);

    post_all(&a, &b).await;

    // Kill `a` while one of its creates is at the desk, stalled: the ticket
    // exists, `a` holds the job in flight and has not heard back. A job
    // seen so for 150 ms is in a stall (a create that answers takes a few
    // ms), with most of the 2 s answer timeout still to run.
    let instance_a = a.instance();
    let mut seen: HashMap<i64, Instant> = HashMap::new();
    let limit = Instant::now() + Duration::from_secs(120);
    let stalled = loop {
        let all = jobs(&db).await;
        let held = in_flight_of(&all, &instance_a);
        let created: Vec<&Job> = held
            .into_iter()
            .filter(|j| !desk.tickets_for(&j.request_id).is_empty())
            .collect();
        seen.retain(|id, _| created.iter().any(|j| j.id == *id));
        for j in &created {
            seen.entry(j.id).or_insert_with(Instant::now);
        }
        let ready = created
            .iter()
            .find(|j| seen[&j.id].elapsed() >= Duration::from_millis(150));
        if let (Some(j), true) = (ready, desk.tickets().len() >= 20) {
            break (*j).clone();
        }
        assert!(
            all.iter().any(|j| j.state == "pending"),
            "everything was forwarded before a stalled create of instance a was seen"
        );
        assert!(
            Instant::now() < limit,
            "no stalled create of instance a within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let status = a.kill();
    assert!(!a.running());
    eprintln!("killed instance a ({status:?}) during the stalled create of job {stalled:?}");

    // What `a` left behind: it can change nothing any more.
    let at_kill = jobs(&db).await;
    let left: Vec<Job> = in_flight_of(&at_kill, &instance_a)
        .into_iter()
        .cloned()
        .collect();
    assert!(
        left.iter().any(|j| j.id == stalled.id),
        "job {} was no longer in flight when `a` died: {left:?}",
        stalled.id
    );
    let pending = at_kill.iter().filter(|j| j.state == "pending").count();
    let tickets_at_kill = desk.tickets().len();
    assert!(
        tickets_at_kill < REQUESTS as usize && pending > left.len(),
        "the kill came too late: {tickets_at_kill} tickets, {pending} jobs pending"
    );
    eprintln!(
        "at the kill: {tickets_at_kill} tickets at the fake, {pending} jobs pending, {} in flight at a",
        left.len()
    );

    // The survivor forwards the rest, `a`'s leased jobs included.
    let http = reqwest::Client::new();
    let limit = Instant::now() + Duration::from_secs(300);
    let listed = loop {
        let listed = listing(&http, &b).await;
        let forwards: Vec<&Value> = listed.iter().flat_map(|(_, f)| f).collect();
        if let Some(dead) = forwards
            .iter()
            .find(|f| f["state"] != "pending" && f["state"] != "done")
        {
            panic!("a forward ended {}: {dead}", dead["state"]);
        }
        if listed.len() == REQUESTS as usize && forwards.iter().all(|f| f["state"] == "done") {
            break listed;
        }
        assert!(
            Instant::now() < limit,
            "not drained within 300 s: {} of {} forwards done; {} tickets at the fake",
            forwards.iter().filter(|f| f["state"] == "done").count(),
            forwards.len(),
            desk.tickets().len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    // Exactly one ticket per request, none lost, none twice.
    let tickets = desk.tickets();
    let mut per_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &tickets {
        let id = t
            .frontline_id
            .clone()
            .unwrap_or_else(|| panic!("ticket {} has no Frontline id", t.key));
        per_id.entry(id).or_default().push(t.key.clone());
    }
    let twice: Vec<_> = per_id.iter().filter(|(_, k)| k.len() > 1).collect();
    assert!(twice.is_empty(), "duplicate tickets: {twice:?}");
    let sent: BTreeSet<String> = (0..REQUESTS).map(|n| request(n).id).collect();
    let got: BTreeSet<String> = per_id.keys().cloned().collect();
    assert_eq!(
        sent.difference(&got).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "requests without a ticket"
    );
    assert_eq!(got, sent);
    assert_eq!(tickets.len(), REQUESTS as usize);

    // The relay recorded, for each, the ticket the desk holds.
    for (id, forwards) in &listed {
        assert_eq!(forwards.len(), 1, "{id}: {forwards:?}");
        assert_eq!(
            forwards[0]["ticket_id"].as_str(),
            Some(per_id[id][0].as_str()),
            "{id}"
        );
    }

    // `a`'s jobs in flight were taken over by `b`, which found the stalled
    // one's ticket instead of creating another.
    let after = jobs(&db).await;
    let instance_b = format!("{}/", b.instance());
    for j in &left {
        let now = after.iter().find(|x| x.id == j.id).unwrap();
        assert_eq!(now.state, "done", "{now:?}");
        assert!(
            now.claimed_by
                .as_deref()
                .is_some_and(|c| c.starts_with(&instance_b)),
            "job {} was finished by {:?}, not by b",
            j.id,
            now.claimed_by
        );
    }
    let stalled_now = after.iter().find(|x| x.id == stalled.id).unwrap();
    assert_eq!(
        stalled_now.ticket_id.as_deref(),
        Some(desk.tickets_for(&stalled.request_id)[0].key.as_str())
    );
    let calls = desk.create_calls();
    assert!(calls > REQUESTS, "no create failed: {calls} calls");
    eprintln!(
        "{} tickets from {calls} create calls; {} jobs taken over from a",
        tickets.len(),
        left.len()
    );
    drop(b);
    drop(a);
    pg.stop();
}

const GOOD: &str = r#"
listen = "127.0.0.1:0"
database = "sqlite:relay.sqlite3"

[destinations.desk]
kind = "freshdesk"
url = "https://acme.freshdesk.com"
api_key = { env = "FRONTLINE_TEST_CHECK_KEY" }
"#;

#[test]
fn check_config_names_the_path_of_each_problem_and_exits_1() {
    let dir = TempDir::new("frontline-check-config");
    let key = [("FRONTLINE_TEST_CHECK_KEY", "a-freshdesk-key")];

    let good = dir.write("good.toml", GOOD);
    let (code, out, err) = run(&["check-config", "--config", good.to_str().unwrap()], &key);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("the configuration is valid"), "{out}");
    assert!(out.contains("1 destination(s) (desk)"), "{out}");

    // An unknown key under the destination.
    let unknown = dir.write(
        "unknown.toml",
        &GOOD.replace(
            "kind = \"freshdesk\"",
            "kind = \"freshdesk\"\ncolour = \"blue\"",
        ),
    );
    let (code, out, err) = run(
        &["check-config", "--config", unknown.to_str().unwrap()],
        &key,
    );
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains(unknown.to_str().unwrap()), "{err}");
    assert!(
        err.contains("destinations.desk: unknown field `colour`"),
        "{err}"
    );

    // The secret's environment variable is not set.
    let missing = dir.write(
        "missing.toml",
        &GOOD.replace("FRONTLINE_TEST_CHECK_KEY", "FRONTLINE_TEST_UNSET_KEY_7F3A"),
    );
    let (code, out, err) = run(
        &["check-config", "--config", missing.to_str().unwrap()],
        &key,
    );
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains("destinations.desk.api_key: the environment variable FRONTLINE_TEST_UNSET_KEY_7F3A is not set"),
        "{err}"
    );
}
