//! The outbox state machine, on a simulated clock.

use frontline_core::adapters::OutgoingHttp;
use frontline_core::outbox::*;
use proptest::prelude::*;

const MAX: u32 = u32::MAX; // jitter at its top: the full backoff
const LEASE: u64 = 30_000;

fn call() -> OutgoingHttp {
    OutgoingHttp {
        method: "POST".into(),
        url: "https://support.example.com/intake".into(),
        headers: vec![("Idempotency-Key".into(), "r1".into())],
        body: "{\"x\":1}".into(),
        content_type: "application/json".into(),
    }
}

fn outbox_with(id: &str, now: u64) -> Outbox {
    let mut o = Outbox::new();
    o.add(id, call(), now).unwrap();
    o
}

fn state(o: &Outbox, id: &str) -> State {
    o.get(id).unwrap().state.clone()
}

#[test]
fn a_success_marks_the_entry_sent_with_its_reference_once() {
    let mut o = outbox_with("r1", 0);
    assert_eq!(o.due(0), vec!["r1"]);
    assert_eq!(o.begin("r1", 0, LEASE).unwrap(), call());
    assert_eq!(o.due(1), Vec::<String>::new());
    let e = o
        .on_response("r1", 10, 201, None, Some("FL-000001".into()), 0)
        .unwrap();
    assert_eq!(
        e,
        Effect::Sent {
            reference: Some("FL-000001".into())
        }
    );
    assert_eq!(
        state(&o, "r1"),
        State::Sent {
            reference: Some("FL-000001".into())
        }
    );
    // A duplicate success (another tab's attempt) changes nothing.
    assert_eq!(
        o.on_response("r1", 20, 200, None, Some("FL-999".into()), 0),
        Ok(Effect::AlreadySent)
    );
    // A late failure never demotes it.
    assert_eq!(
        o.on_response("r1", 30, 503, None, None, 0),
        Ok(Effect::Ignored)
    );
    assert_eq!(o.begin("r1", 40, LEASE), Err(OutboxError::AlreadySent));
    assert!(o.due(1_000_000).is_empty());
    assert_eq!(o.remove("r1").unwrap().id, "r1");
    assert!(o.entries.is_empty());
    assert_eq!(
        o.on_response("r1", 50, 200, None, None, 0),
        Err(OutboxError::Unknown { id: "r1".into() })
    );
}

#[test]
fn backoff_doubles_from_one_second_up_to_thirty_seconds() {
    let mut o = outbox_with("r1", 0);
    let mut now = 0;
    let mut delays = Vec::new();
    for _ in 0..12 {
        o.begin("r1", now, LEASE).unwrap();
        let Effect::Retry { at } = o.on_network_error("r1", now, MAX).unwrap() else {
            panic!("expected a retry")
        };
        delays.push(at - now);
        assert_eq!(
            o.begin("r1", at - 1, LEASE),
            Err(OutboxError::NotDue { at })
        );
        now = at;
    }
    assert_eq!(
        delays,
        vec![
            1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000,
            30_000
        ]
    );
    assert_eq!(o.get("r1").unwrap().attempts, 12);
    assert_eq!(o.get("r1").unwrap().state, State::Pending);
}

#[test]
fn jitter_is_full_and_comes_from_the_caller() {
    assert_eq!(backoff_ms(1, 0), 0);
    assert_eq!(backoff_ms(1, MAX / 2), 499);
    assert_eq!(backoff_ms(3, MAX / 4), 999);
    assert_eq!(backoff_ms(u32::MAX, MAX), BACKOFF_CAP_MS);
    // However long the outage (attempts in the thousands), no wait exceeds
    // thirty seconds.
    assert_eq!(BACKOFF_CAP_MS, 30_000);
    for a in [6, 7, 40, 1_000, 100_000, u32::MAX] {
        assert_eq!(backoff_ms(a, MAX), 30_000, "attempt {a}");
        assert_eq!(backoff_ms(a, MAX / 2), 14_999, "attempt {a}");
    }
    for r in [0, 1, 12345, MAX / 3, MAX] {
        for a in 0..40 {
            assert!(backoff_ms(a, r) <= BACKOFF_CAP_MS);
        }
    }
}

#[test]
fn transient_statuses_retry_and_never_fail() {
    for status in [0u16, 408, 429, 500, 502, 503, 504, 599] {
        let mut o = outbox_with("r1", 0);
        o.begin("r1", 0, LEASE).unwrap();
        let e = o.on_response("r1", 5, status, None, None, MAX).unwrap();
        assert_eq!(e, Effect::Retry { at: 1_005 }, "status {status}");
        assert_eq!(state(&o, "r1"), State::Pending);
    }
    let mut o = outbox_with("r1", 0);
    o.begin("r1", 0, LEASE).unwrap();
    assert_eq!(
        o.on_timeout("r1", 100, MAX),
        Ok(Effect::Retry { at: 1_100 })
    );
    assert_eq!(
        o.get("r1").unwrap().last_error.as_deref(),
        Some("timed out")
    );
}

#[test]
fn retry_after_seconds_and_http_date_are_honoured() {
    let mut o = outbox_with("r1", 0);
    o.begin("r1", 0, LEASE).unwrap();
    assert_eq!(
        o.on_response("r1", 1_000, 429, Some(" 120 "), None, MAX),
        Ok(Effect::Retry { at: 121_000 })
    );
    // 2015-10-21T07:28:00Z = 1445412480 s.
    let now = 1_445_412_480_000 - 90_000;
    o.begin("r1", 121_000, LEASE).unwrap();
    assert_eq!(
        o.on_response(
            "r1",
            now,
            503,
            Some("Wed, 21 Oct 2015 07:28:00 GMT"),
            None,
            MAX
        ),
        Ok(Effect::Retry {
            at: 1_445_412_480_000
        })
    );
    // A date in the past: retry now. An unreadable value: backoff.
    assert_eq!(
        retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", u64::MAX),
        Some(0)
    );
    assert_eq!(retry_after_ms("soon", 0), None);
    assert_eq!(retry_after_ms("-5", 0), None);
    assert_eq!(retry_after_ms("Wed, 21 Oct 2015 07:28:00 UTC", 0), None);
    assert_eq!(retry_after_ms("Wed, 31 Feb 2015 07:28:00 GMT", 0), None);
    // A huge value is capped at an hour.
    o.begin("r1", 1_445_412_480_000, LEASE).unwrap();
    assert_eq!(
        o.on_response("r1", 0, 503, Some("99999999999999999999999"), None, MAX),
        Ok(Effect::Retry {
            at: MAX_RETRY_AFTER_MS
        })
    );
}

#[test]
fn other_4xx_fail_for_good_until_the_customer_retries() {
    let mut o = outbox_with("r1", 0);
    o.begin("r1", 0, LEASE).unwrap();
    let e = o.on_response("r1", 10, 400, None, None, MAX).unwrap();
    assert_eq!(
        e,
        Effect::Failed {
            status: 400,
            reason: "the intake refused the request as invalid".into()
        }
    );
    assert!(
        o.due(u64::MAX).is_empty(),
        "a failed entry is never due by itself"
    );
    assert_eq!(o.begin("r1", 20, LEASE), Err(OutboxError::Failed));
    assert_eq!(o.get("r1").unwrap().outgoing, call(), "the request is kept");
    // The customer presses "try again".
    o.retry_now("r1", 30).unwrap();
    assert_eq!(o.due(30), vec!["r1"]);
    o.begin("r1", 30, LEASE).unwrap();
    assert_eq!(o.get("r1").unwrap().attempts, 2);
    for status in [401u16, 403, 404, 409, 410, 413, 415, 422, 301, 100] {
        let mut o = outbox_with("x", 0);
        o.begin("x", 0, LEASE).unwrap();
        assert!(
            matches!(o.on_response("x", 1, status, None, None, 0), Ok(Effect::Failed { status: s, .. }) if s == status),
            "status {status}"
        );
    }
}

#[test]
fn retry_now_skips_the_backoff_but_not_a_live_lease() {
    let mut o = outbox_with("r1", 0);
    o.begin("r1", 0, LEASE).unwrap();
    assert_eq!(
        o.retry_now("r1", 10),
        Err(OutboxError::Leased { until: LEASE })
    );
    o.on_network_error("r1", 10, MAX).unwrap();
    assert!(o.due(11).is_empty());
    o.retry_now("r1", 11).unwrap();
    assert_eq!(o.due(11), vec!["r1"]);
    o.begin("r1", 11, LEASE).unwrap();
    o.on_response("r1", 12, 201, None, None, 0).unwrap();
    assert_eq!(o.retry_now("r1", 13), Err(OutboxError::AlreadySent));
}

#[test]
fn reclaim_takes_over_only_a_live_lease() {
    let mut o = Outbox::new();
    for id in ["cut-off", "waiting", "expired", "sent"] {
        o.add(id, call(), 0).unwrap();
    }
    o.begin("cut-off", 0, LEASE).unwrap();
    o.begin("waiting", 0, LEASE).unwrap();
    o.on_network_error("waiting", 5, MAX).unwrap();
    o.begin("expired", 0, 10).unwrap();
    o.begin("sent", 0, LEASE).unwrap();
    o.on_response("sent", 5, 201, None, None, 0).unwrap();
    let now = 20;
    assert!(
        o.due(now).iter().all(|id| id != "cut-off"),
        "leased: not due"
    );
    let changed: Vec<bool> = ["cut-off", "waiting", "expired", "sent"]
        .iter()
        .map(|id| o.reclaim(id, now).unwrap())
        .collect();
    // Only the live lease changes; an expired lease is already due, a
    // backoff and a sent entry keep their state.
    assert_eq!(changed, [true, false, false, false]);
    assert_eq!(state(&o, "cut-off"), State::Pending);
    assert_eq!(o.get("cut-off").unwrap().attempts, 1);
    assert_eq!(o.get("waiting").unwrap().next_attempt_at, 5 + 1_000);
    assert!(matches!(state(&o, "sent"), State::Sent { .. }));
    assert_eq!(o.due(now), vec!["expired", "cut-off"]);
    assert_eq!(o.begin("cut-off", now, LEASE).unwrap(), call());
    assert_eq!(o.get("cut-off").unwrap().attempts, 2);
    assert_eq!(
        o.reclaim("nope", now),
        Err(OutboxError::Unknown { id: "nope".into() })
    );
}

#[test]
fn back_online_cuts_short_the_wait_of_what_got_no_answer_only() {
    let mut o = Outbox::new();
    for id in ["offline", "slow", "busy", "refused", "fresh"] {
        o.add(id, call(), 0).unwrap();
    }
    for id in ["offline", "slow", "busy", "refused"] {
        o.begin(id, 0, LEASE).unwrap();
    }
    o.on_network_error("offline", 0, MAX).unwrap();
    o.on_timeout("slow", 0, MAX).unwrap();
    o.on_response("busy", 0, 503, Some("120"), None, MAX)
        .unwrap();
    o.on_response("refused", 0, 400, None, None, MAX).unwrap();
    let now = 10;
    let changed: Vec<bool> = ["offline", "slow", "busy", "refused", "fresh"]
        .iter()
        .map(|id| o.back_online(id, now).unwrap())
        .collect();
    // No answer at all: due now. The intake's own "come back in 2 minutes",
    // a refusal, and an entry already due: unchanged.
    assert_eq!(changed, [true, true, false, false, false]);
    assert_eq!(o.due(now), vec!["fresh", "offline", "slow"]);
    assert_eq!(o.get("busy").unwrap().next_attempt_at, 120_000);
    assert!(matches!(
        state(&o, "refused"),
        State::Failed { status: 400, .. }
    ));
    // Only its wait changes: the attempts (and so the next backoff) stay.
    assert_eq!(o.get("offline").unwrap().attempts, 1);
    assert_eq!(
        o.back_online("nope", now),
        Err(OutboxError::Unknown { id: "nope".into() })
    );
}

/// A deterministic stand-in for `crypto.getRandomValues` (an LCG).
fn randoms(seed: u32) -> impl FnMut() -> u32 {
    let mut x = seed;
    move || {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        x
    }
}

const OTHER: &str = "https://other.example.com/intake";

fn call_to(url: &str, id: &str) -> OutgoingHttp {
    OutgoingHttp {
        url: url.into(),
        headers: vec![("Idempotency-Key".into(), id.into())],
        ..call()
    }
}

/// Fails `id` `n` times in a row with a 503 and no `Retry-After`, from `at`,
/// with the jitter at its top: its backoff grows as in an outage.
fn fail_times(o: &mut Outbox, id: &str, n: u32, mut at: u64) -> u64 {
    for _ in 0..n {
        o.begin(id, at, LEASE).unwrap();
        let Effect::Retry { at: next } = o.on_response(id, at, 503, None, None, MAX).unwrap()
        else {
            panic!("expected a retry")
        };
        at = next;
    }
    at
}

#[test]
fn an_acknowledgement_brings_forward_the_others_waiting_for_that_intake() {
    let url = call().url;
    let mut o = Outbox::new();
    let waiting: Vec<String> = (0..50).map(|i| format!("w{i}")).collect();
    for id in &waiting {
        o.add(id, call_to(&url, id), 0).unwrap();
    }
    for id in [
        "other", "refused", "leased", "asked", "soon", "sent", "expired",
    ] {
        let to = if id == "other" { OTHER } else { url.as_str() };
        o.add(id, call_to(to, id), 0).unwrap();
    }
    // During the outage: six 503s each, the last at 31 s, so each waits
    // until 61 s (the backoff's cap).
    for id in waiting.iter().map(String::as_str).chain(["other"]) {
        assert_eq!(fail_times(&mut o, id, 6, 0), 61_000);
    }
    o.begin("refused", 0, LEASE).unwrap();
    o.on_response("refused", 0, 400, None, None, MAX).unwrap();
    o.begin("asked", 0, LEASE).unwrap();
    o.on_response("asked", 0, 429, Some("120"), None, MAX)
        .unwrap();
    o.begin("sent", 0, LEASE).unwrap();
    o.on_response("sent", 0, 201, None, None, MAX).unwrap();
    o.begin("expired", 0, 10).unwrap();
    let now = 30_000;
    o.begin("leased", now - 1, LEASE).unwrap(); // another tab is at it
    let soon = fail_times(&mut o, "soon", 1, now - 500); // due in 0.5 s
    assert_eq!(soon, now + 500);
    let before = o.clone();
    let first_wait = |o: &Outbox| o.get("w0").unwrap().next_attempt_at;
    assert!(first_wait(&o) > now + 10_000, "the backoff grew");

    let changed = o.intake_back(&url, now, randoms(7));

    assert_eq!(changed, waiting, "exactly the ones waiting out a backoff");
    let times: Vec<u64> = waiting
        .iter()
        .map(|id| o.get(id).unwrap().next_attempt_at)
        .collect();
    assert!(
        times
            .iter()
            .all(|t| (now..now + RECOVERY_SPREAD_MS).contains(t)),
        "all due within {RECOVERY_SPREAD_MS} ms: {times:?}"
    );
    // Spread over the window, not all at once.
    let (lo, hi) = (times.iter().min().unwrap(), times.iter().max().unwrap());
    assert!(hi - lo > RECOVERY_SPREAD_MS / 2, "spread {lo}..{hi}");
    assert!(
        o.due(now + RECOVERY_SPREAD_MS).len() >= waiting.len(),
        "due soon"
    );
    for (after, was) in o.entries.iter().zip(&before.entries) {
        if waiting.contains(&after.id) {
            // Only the time moves: same state, attempts, call (and so the
            // same Idempotency-Key), same error.
            let moved = Entry {
                next_attempt_at: was.next_attempt_at,
                ..after.clone()
            };
            assert_eq!(&moved, was, "{}", after.id);
        } else {
            // Another intake, a refusal, another tab's lease, the intake's
            // own Retry-After, one due sooner anyway, a sent one, an expired
            // lease (due already): untouched.
            assert_eq!(after, was, "{}", after.id);
        }
    }
    // A second acknowledgement right after changes nothing more.
    let again = o.clone();
    assert!(o.intake_back(&url, now + 100, randoms(8)).is_empty());
    assert_eq!(o, again);
    // The other intake's acknowledgement brings forward its own only.
    assert_eq!(o.intake_back(OTHER, now, randoms(9)), vec!["other"]);
}

#[test]
fn entry_waits_for_tells_the_shell_which_entries_an_acknowledgement_moves() {
    let url = call().url;
    let mut o = outbox_with("r1", 0);
    let at = fail_times(&mut o, "r1", 6, 0);
    let e = o.get("r1").unwrap().clone();
    assert!(e.waits_for(&url, at - RECOVERY_SPREAD_MS - 1));
    assert!(!e.waits_for(&url, at - RECOVERY_SPREAD_MS));
    assert!(!e.waits_for(OTHER, 0));
    assert!(!e.waits_for("https://support.example.com/intake/", 0));
    // On a one-entry outbox, as the browser keeps them.
    let mut one = Outbox {
        entries: vec![e],
        ..Outbox::new()
    };
    assert_eq!(one.intake_back(&url, 0, || 0), vec!["r1"]);
    assert_eq!(one.get("r1").unwrap().next_attempt_at, 0);
    assert_eq!(one.get("r1").unwrap().attempts, 6, "the backoff stays");
}

/// Issue 18's report, on a simulated clock: five requests sent while the
/// intake answered 503 for a minute, a sender with four slots whose
/// attempts take 40 ms. The first retry after the outage finds the intake
/// back within the backoff's cap; without `intake_back` each of the others
/// would then wait out the rest of its own backoff, with it they follow the
/// first within a few seconds.
#[test]
fn requests_saved_during_an_outage_arrive_seconds_after_it_ends() {
    const DOWN_UNTIL: u64 = 60_000;
    const ATTEMPT_MS: u64 = 40;
    for seed in 0..20 {
        let mut random = randoms(seed);
        let url = call().url;
        let mut o = Outbox::new();
        for i in 0..5u64 {
            o.add(&format!("r{i}"), call(), i * 3_000).unwrap();
        }
        let mut in_flight: Vec<(String, u64)> = Vec::new();
        let mut arrived = Vec::new();
        let mut now = 0;
        while arrived.len() < 5 {
            assert!(now < 10 * 60_000, "seed {seed}: not delivered");
            for (id, _) in in_flight.iter().filter(|(_, end)| *end <= now) {
                if now < DOWN_UNTIL {
                    o.on_response(id, now, 503, None, None, random()).unwrap();
                } else {
                    let e = o.on_response(id, now, 201, None, None, 0).unwrap();
                    assert!(matches!(e, Effect::Sent { .. }));
                    arrived.push(now);
                    o.intake_back(&url, now, &mut random);
                }
            }
            in_flight.retain(|(_, end)| *end > now);
            for id in o.due_up_to(now, 4 - in_flight.len()) {
                if in_flight.iter().all(|(f, _)| *f != id) {
                    o.begin(&id, now, LEASE).unwrap();
                    in_flight.push((id, now + ATTEMPT_MS));
                }
            }
            now += 10;
        }
        // The first retry after the outage finds the intake back within
        // the cap; the others follow it within the spread.
        let first = arrived.iter().min().unwrap() - DOWN_UNTIL;
        let last = arrived.iter().max().unwrap() - DOWN_UNTIL;
        assert!(
            first <= BACKOFF_CAP_MS + ATTEMPT_MS,
            "seed {seed}: first arrival {first} ms after the intake was back"
        );
        assert!(
            last - first <= RECOVERY_SPREAD_MS + 2 * ATTEMPT_MS,
            "seed {seed}: last arrival {last} ms, first {first} ms after the intake was back"
        );
    }
}

#[test]
fn a_lease_keeps_other_tabs_away_until_it_expires() {
    let mut o = outbox_with("r1", 0);
    o.begin("r1", 0, LEASE).unwrap(); // tab A
                                      // Tab B (same stored outbox) must not send it while A's lease runs.
    assert_eq!(o.due(LEASE - 1), Vec::<String>::new());
    assert_eq!(
        o.begin("r1", LEASE - 1, LEASE),
        Err(OutboxError::Leased { until: LEASE })
    );
    assert_eq!(o.next_wake(), Some(LEASE));
    // Tab A was closed mid-send: after the lease, B may take over.
    assert_eq!(o.due(LEASE), vec!["r1"]);
    o.begin("r1", LEASE, LEASE).unwrap();
    assert_eq!(o.get("r1").unwrap().attempts, 2);
    assert_eq!(
        state(&o, "r1"),
        State::Sending {
            lease_until: 2 * LEASE
        }
    );
}

#[test]
fn the_outbox_round_trips_through_json_with_its_version() {
    let mut o = Outbox::new();
    o.add("a", call(), 1).unwrap();
    o.add("b", call(), 2).unwrap();
    o.add("c", call(), 3).unwrap();
    o.add("d", call(), 4).unwrap();
    assert_eq!(
        o.add("a", call(), 5),
        Err(OutboxError::Duplicate { id: "a".into() })
    );
    o.begin("b", 10, LEASE).unwrap();
    o.begin("c", 10, LEASE).unwrap();
    o.on_response("c", 11, 201, None, Some("FL-7".into()), 0)
        .unwrap();
    o.begin("d", 10, LEASE).unwrap();
    o.on_response("d", 11, 403, None, None, 0).unwrap();
    let text = o.to_json();
    assert!(text.starts_with("{\"version\":1,\"entries\":["), "{text}");
    assert!(
        text.contains(r#""state":{"state":"sending","lease_until":30010}"#),
        "{text}"
    );
    assert_eq!(Outbox::from_json(&text).unwrap(), o);

    let newer = text.replacen("\"version\":1", "\"version\":2", 1);
    let err = Outbox::from_json(&newer).unwrap_err();
    assert!(err.to_string().contains("reload the page"), "{err}");
    assert!(matches!(
        Outbox::from_json("not json"),
        Err(OutboxError::Unreadable { .. })
    ));
    assert!(matches!(
        Outbox::from_json(r#"{"version":1,"entries":[{"id":1}]}"#),
        Err(OutboxError::Unreadable { .. })
    ));
    // A state without what it needs is refused, not guessed.
    let no_lease = text.replacen(r#""lease_until":30010"#, r#""reference":"x""#, 1);
    let err = Outbox::from_json(&no_lease).unwrap_err();
    assert!(
        err.to_string().contains("sending (with lease_until)"),
        "{err}"
    );
    let failed = r#""state":{"state":"failed","status":403,"reason":"#;
    assert!(text.contains(failed), "{text}");
}

#[test]
fn due_lists_the_earliest_first() {
    let mut o = Outbox::new();
    o.add("late", call(), 0).unwrap();
    o.add("early", call(), 0).unwrap();
    o.begin("late", 0, LEASE).unwrap();
    o.on_network_error("late", 0, MAX).unwrap(); // due at 1000
    o.begin("early", 0, LEASE).unwrap();
    o.on_network_error("early", 0, MAX / 2).unwrap(); // due at 499
    assert_eq!(o.due(2_000), vec!["early", "late"]);
    assert_eq!(o.next_wake(), Some(499));
}

#[test]
fn http_dates_are_read_exactly() {
    assert_eq!(
        parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(784_111_777_000)
    );
    assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
    assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), None);
    assert_eq!(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), None);
    assert_eq!(parse_http_date(""), None);
}

#[derive(Debug, Clone)]
enum Op {
    Advance(u64),
    Begin(u8),
    Respond(u8, u16, Option<String>),
    NetworkError(u8),
    Timeout(u8),
    RetryNow(u8),
    IntakeBack,
}

fn op() -> impl Strategy<Value = Op> {
    let status = prop_oneof![
        Just(200u16),
        Just(201),
        Just(204),
        Just(400),
        Just(404),
        Just(408),
        Just(429),
        Just(500),
        Just(503),
        0u16..700,
    ];
    let retry_after = prop::option::of(prop_oneof![
        "[0-9]{1,4}".prop_map(String::from),
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_string()),
        "\\PC{0,12}".prop_map(String::from),
    ]);
    prop_oneof![
        (0u64..400_000).prop_map(Op::Advance),
        (0u8..3).prop_map(Op::Begin),
        (0u8..3, status, retry_after).prop_map(|(i, s, r)| Op::Respond(i, s, r)),
        (0u8..3).prop_map(Op::NetworkError),
        (0u8..3).prop_map(Op::Timeout),
        (0u8..3).prop_map(Op::RetryNow),
        Just(Op::IntakeBack),
    ]
}

proptest! {
    /// Under any sequence of answers, attempts and clicks: no entry is lost,
    /// none is reported sent twice, a sent one stays sent, a transient
    /// failure never makes an entry fail, and the JSON round-trips.
    #[test]
    fn entries_are_never_lost_nor_sent_twice(
        ops in prop::collection::vec(op(), 0..80),
        random in any::<u32>(),
    ) {
        let ids = ["a", "b", "c"];
        let mut o = Outbox::new();
        for id in ids {
            o.add(id, call(), 0).unwrap();
        }
        let mut now = 0u64;
        let mut sent_effects = [0u32; 3];
        for op in ops {
            let before = o.clone();
            let (i, effect) = match op {
                Op::Advance(ms) => { now += ms; continue; }
                Op::Begin(i) => {
                    let r = o.begin(ids[usize::from(i)], now, LEASE);
                    if r.is_err() {
                        prop_assert_eq!(&o, &before, "a refused begin changes nothing");
                    }
                    continue;
                }
                Op::Respond(i, status, ra) => (i, o.on_response(ids[usize::from(i)], now, status, ra.as_deref(), Some("FL-1".into()), random)),
                Op::NetworkError(i) => (i, o.on_network_error(ids[usize::from(i)], now, random)),
                Op::Timeout(i) => (i, o.on_timeout(ids[usize::from(i)], now, random)),
                Op::RetryNow(i) => { let _ = o.retry_now(ids[usize::from(i)], now); continue; }
                Op::IntakeBack => {
                    let changed = o.intake_back(&call().url, now, || random);
                    for (e, b) in o.entries.iter().zip(&before.entries) {
                        if changed.contains(&e.id) {
                            prop_assert_eq!(&b.state, &State::Pending);
                            prop_assert!(e.next_attempt_at >= now && e.next_attempt_at < b.next_attempt_at);
                            prop_assert_eq!(e.attempts, b.attempts);
                        } else {
                            prop_assert_eq!(e, b, "an entry not waiting is untouched");
                        }
                    }
                    continue;
                }
            };
            let i = usize::from(i);
            let was_sent = matches!(before.entries[i].state, State::Sent { .. });
            match effect.unwrap() {
                Effect::Sent { .. } => {
                    sent_effects[i] += 1;
                    prop_assert!(!was_sent);
                }
                Effect::Failed { status, .. } => prop_assert!(!is_transient(status) && !(200..300).contains(&status)),
                Effect::Retry { at } => prop_assert!(
                    at >= now && at - now <= BACKOFF_CAP_MS.max(MAX_RETRY_AFTER_MS),
                    "retry at {} from {}", at, now
                ),
                Effect::AlreadySent => prop_assert!(was_sent),
                Effect::Ignored => prop_assert_eq!(&o, &before),
            }
            let still_sent = matches!(o.entries[i].state, State::Sent { .. });
            if was_sent {
                prop_assert!(still_sent, "a sent entry stays sent");
            }
            prop_assert_eq!(o.entries.len(), 3, "no entry is lost");
            prop_assert!(o.entries[i].attempts >= before.entries[i].attempts);
        }
        for (i, n) in sent_effects.iter().enumerate() {
            prop_assert!(*n <= 1, "entry {} reported sent {} times", ids[i], n);
            let is_sent = matches!(o.entries[i].state, State::Sent { .. });
            prop_assert_eq!(*n == 1, is_sent);
        }
        prop_assert_eq!(Outbox::from_json(&o.to_json()).unwrap(), o);
    }
}

proptest! {
    /// A sender with `limit` free slots starts exactly the first `limit`
    /// requests of the full due list: earliest first, ties in the order added.
    #[test]
    fn due_up_to_is_the_head_of_due(
        delays in prop::collection::vec((0u64..5_000, any::<bool>()), 0..40),
        now in 0u64..6_000,
        limit in 0usize..8,
    ) {
        let mut o = Outbox::new();
        for (i, (delay, leased)) in delays.iter().enumerate() {
            let id = format!("r{i}");
            o.add(&id, call(), 0).unwrap();
            o.begin(&id, 0, if *leased { *delay } else { LEASE }).unwrap();
            if !*leased {
                // Back to pending, due at `delay` (jitter scales the backoff).
                let jitter = (*delay as f64 / 1_000.0 * f64::from(u32::MAX)) as u32;
                o.on_network_error(&id, 0, jitter).unwrap();
            }
        }
        let all = o.due(now);
        let mut sorted = all.clone();
        let at = |id: &str| match o.get(id).unwrap().state {
            State::Pending => o.get(id).unwrap().next_attempt_at,
            State::Sending { lease_until } => lease_until,
            _ => unreachable!(),
        };
        sorted.sort_by_key(|id| at(id)); // stable: ties keep the order added
        prop_assert_eq!(&all, &sorted);
        let head: Vec<String> = all.iter().take(limit).cloned().collect();
        prop_assert_eq!(o.due_up_to(now, limit), head);
    }
}

/// The hand-written JSON is the serde derives' JSON, both ways: what serde
/// writes, `to_json` writes; what serde reads or refuses, `from_json` does
/// (old saved outboxes were written by serde).
#[test]
fn the_hand_written_json_is_the_derived_json() {
    let mut o = Outbox::new();
    let mut odd = call();
    odd.headers = vec![
        (
            "Content-Type".into(),
            "text/plain; charset=\"utf-8\"".into(),
        ),
        ("X-Note".into(), "é\\€\u{1}\u{7f}\n".into()),
    ];
    odd.body = "{\"title\":\"a \\\"b\\\"\",\"t\":\"\u{2028}\t😀\"}".into();
    for (id, c) in [("a", call()), ("b", odd), ("c", call()), ("d", call())] {
        o.add(id, c, u64::MAX - 1).unwrap();
    }
    o.add("e", call(), 0).unwrap();
    o.add("f", call(), 0).unwrap();
    let kept = Fallback {
        title: "Invoice \"42\" ✓".into(),
        mailto: "mailto:help@contoso.example?subject=a%20b&body=\u{1}".into(),
        text: "Line 1\nLine\t2 \u{2028}".into(),
    };
    o.add_keeping("g", call(), 3, Some(kept)).unwrap();
    o.add_keeping("h", call(), 3, None).unwrap();
    assert_eq!(
        o.add_keeping("g", call(), 4, None),
        Err(OutboxError::Duplicate { id: "g".into() })
    );
    o.begin("b", u64::MAX, LEASE).unwrap();
    o.begin("c", u64::MAX, LEASE).unwrap();
    o.on_response("c", u64::MAX, 200, None, Some("FL-\"7\"".into()), 0)
        .unwrap();
    o.begin("d", u64::MAX, LEASE).unwrap();
    o.on_response("d", u64::MAX, 418, None, None, 0).unwrap();
    o.begin("e", 5, LEASE).unwrap();
    o.on_response("e", 6, 204, None, None, 0).unwrap();
    o.begin("f", 5, LEASE).unwrap();
    o.on_timeout("f", 6, 7).unwrap();
    let mut outboxes = vec![Outbox::new(), o.clone()];
    for e in &o.entries {
        outboxes.push(Outbox {
            version: OUTBOX_VERSION,
            entries: vec![e.clone()],
        });
    }
    for o in outboxes {
        let derived = serde_json::to_string(&o).unwrap();
        assert_eq!(o.to_json(), derived);
        assert_eq!(Outbox::from_json(&derived).unwrap(), o);
    }

    let entry = |state: &str, extra: &str| {
        format!(
            r#"{{"version":1,"entries":[{{"id":"x","outgoing":{{"method":"POST","url":"u","headers":[["k","v"]],"body":"b","content_type":"c"}},"attempts":1,"created_at":2,"next_attempt_at":3,"state":{state}{extra}}}]}}"#
        )
    };
    let mut texts: Vec<String> = [
        r#"{"version":1,"entries":[]}"#,
        r#"{"version":1}"#,
        r#"{"entries":[]}"#,
        r#"{"version":1,"entries":[],"more":0}"#,
        r#"{"version":1.0,"entries":[]}"#,
        r#"{"version":-1,"entries":[]}"#,
        r#"{"version":4294967297,"entries":[]}"#,
        r#"{"version":"1","entries":[]}"#,
        r#"{"version":1,"entries":{}}"#,
        r#"{"version":1,"entries":[1]}"#,
        r#"{"version":1,"entries":null}"#,
        "[]",
        "1",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (state, extra) in [
        (r#"{"state":"pending"}"#, ""),
        (
            r#"{"state":"pending","lease_until":null,"reference":null,"status":null,"reason":null}"#,
            "",
        ),
        (r#"{"state":"pending","status":"x"}"#, ""),
        (r#"{"state":"pending","colour":1}"#, ""),
        (
            r#"{"state":"sending","lease_until":18446744073709551615}"#,
            "",
        ),
        (
            r#"{"state":"sending","lease_until":18446744073709551616}"#,
            "",
        ),
        (r#"{"state":"sending"}"#, ""),
        (r#"{"state":"sent"}"#, r#","last_error":null"#),
        (
            r#"{"state":"sent","reference":"FL-1"}"#,
            r#","last_error":"e""#,
        ),
        (r#"{"state":"sent","reference":7}"#, ""),
        (r#"{"state":"failed","status":404}"#, ""),
        (r#"{"state":"failed","status":404,"reason":"r"}"#, ""),
        (r#"{"state":"failed","status":65536,"reason":"r"}"#, ""),
        (r#"{"state":"failed","reason":"r"}"#, ""),
        (r#"{"state":"gone"}"#, ""),
        (r#"{"state":1}"#, ""),
        (r#""pending""#, ""),
        (r#"{"state":"pending"}"#, r#","last_error":3"#),
        (r#"{"state":"pending"}"#, r#","unknown":3"#),
        (
            r#"{"state":"failed","status":400,"reason":"r"}"#,
            r#","fallback":{"title":"t","mailto":"m","text":"x"}"#,
        ),
        (r#"{"state":"pending"}"#, r#","fallback":null"#),
        (
            r#"{"state":"pending"}"#,
            r#","fallback":{"title":"t","mailto":"m"}"#,
        ),
        (
            r#"{"state":"pending"}"#,
            r#","fallback":{"title":"t","mailto":"m","text":"x","more":1}"#,
        ),
        (
            r#"{"state":"pending"}"#,
            r#","fallback":{"title":1,"mailto":"m","text":"x"}"#,
        ),
        (r#"{"state":"pending"}"#, r#","fallback":"t""#),
    ] {
        texts.push(entry(state, extra));
    }
    let good = entry(r#"{"state":"pending"}"#, "");
    for (from, to) in [
        (r#""attempts":1"#, r#""attempts":4294967296"#),
        (r#""attempts":1"#, r#""attempts":4294967295"#),
        (r#""created_at":2"#, r#""created_at":2.5"#),
        (r#","created_at":2"#, ""),
        (r#""id":"x""#, r#""id":null"#),
        (r#"["k","v"]"#, r#"["k","v","w"]"#),
        (r#"["k","v"]"#, r#"["k"]"#),
        (r#"["k","v"]"#, r#"["k",1]"#),
        (r#"["k","v"]"#, r#"{"k":"v"}"#),
        (r#""headers":[["k","v"]]"#, r#""headers":[]"#),
        (r#","body":"b""#, ""),
        (r#""body":"b""#, r#""body":"b","extra":true"#),
        (r#""url":"u""#, r#""url":"\u00e9\n\"""#),
    ] {
        texts.push(good.replacen(from, to, 1));
    }
    for text in texts {
        let by_serde = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| (v.get("version").and_then(|v| v.as_u64()) == Some(1)).then_some(v))
            .and_then(|_| serde_json::from_str::<Outbox>(&text).ok());
        assert_eq!(Outbox::from_json(&text).ok(), by_serde, "{text}");
    }
}

proptest! {
    /// Any text in any field is written as serde writes it and read back.
    #[test]
    fn any_text_is_written_as_serde_writes_it(
        id in ".*", url in ".*", name in ".*", value in ".*", body in ".*",
        reason in proptest::option::of(".*"), n in any::<u64>(), state in 0u8..4,
        kept in proptest::option::of((".*", ".*", ".*")),
    ) {
        let mut o = Outbox::new();
        let outgoing = OutgoingHttp {
            method: "POST".into(),
            url,
            headers: vec![(name, value)],
            body,
            content_type: "application/json".into(),
        };
        let fallback = kept.map(|(title, mailto, text)| Fallback { title, mailto, text });
        o.add_keeping(&id, outgoing, n, fallback).unwrap();
        o.entries[0].last_error = reason.clone();
        o.entries[0].state = match state {
            0 => State::Pending,
            1 => State::Sending { lease_until: n },
            2 => State::Sent { reference: reason.clone() },
            _ => State::Failed { status: n as u16, reason: reason.unwrap_or_default() },
        };
        let text = o.to_json();
        prop_assert_eq!(&text, &serde_json::to_string(&o).unwrap());
        prop_assert_eq!(Outbox::from_json(&text).unwrap(), o);
    }
}
