//! Time zones and deadlines, checked against `chrono-tz` (full tzdata) and
//! against a minute-by-minute oracle, across DST transitions and year ends.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Timelike, Utc, Weekday};
use frontline_core::{hours, load, Handler, Ruleset, Zone};
use proptest::prelude::*;

const DEFAULT: &str = include_str!("../../../public/rules/default.json");

const ZONES: &[&str] = &[
    "Europe/Paris",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Auckland",
    "Europe/London",
    "America/Los_Angeles",
    "America/Santiago",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    "Asia/Tehran",
    "America/Nuuk",
    "Europe/Dublin",
    "Asia/Tokyo",
    "UTC",
];

fn reference(name: &str) -> chrono_tz::Tz {
    name.parse().expect("chrono-tz knows the zone")
}

fn ref_offset(tz: chrono_tz::Tz, t: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[test]
fn offsets_match_chrono_tz_hourly_and_at_each_transition_2025_to_2037() {
    for name in ZONES {
        let zone = Zone::named(name).unwrap();
        let tz = reference(name);
        let mut t = at("2025-01-01T00:00:00Z");
        let end = at("2038-01-01T00:00:00Z");
        let mut transitions = 0;
        let mut prev = ref_offset(tz, t);
        while t < end {
            let next = t + Duration::hours(1);
            let expected = ref_offset(tz, next);
            assert_eq!(zone.offset_at(next), expected, "{name} at {next}");
            if expected != prev {
                // Find the exact second of the change and check both sides.
                let (mut lo, mut hi) = (t, next);
                while hi - lo > Duration::seconds(1) {
                    let mid = lo + (hi - lo) / 2;
                    if ref_offset(tz, mid) == prev {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                assert_eq!(zone.offset_at(lo), prev, "{name} just before {hi}");
                assert_eq!(zone.offset_at(hi), expected, "{name} at transition {hi}");
                transitions += 1;
            }
            prev = expected;
            t = next;
        }
        let has_dst = !matches!(
            *name,
            "Asia/Kolkata" | "America/Sao_Paulo" | "Asia/Tokyo" | "UTC" | "Asia/Tehran"
        );
        assert_eq!(
            transitions > 0,
            has_dst,
            "{name}: {transitions} transitions"
        );
    }
}

/// Checks `zone.from_local(local)` against chrono-tz where the local time
/// exists (once, or twice: then the earlier instant); in a gap, returns it
/// for the caller's own check.
fn from_local_like_chrono_tz(
    zone: &Zone,
    tz: chrono_tz::Tz,
    local: chrono::NaiveDateTime,
    name: &str,
) -> Option<DateTime<Utc>> {
    let mine = zone.from_local(local);
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(d) => assert_eq!(mine, d.to_utc(), "{name} {local}"),
        chrono::LocalResult::Ambiguous(a, b) => {
            assert_eq!(mine, a.to_utc().min(b.to_utc()), "{name} {local} (twice)")
        }
        chrono::LocalResult::None => return Some(mine),
    }
    None
}

#[test]
fn local_times_map_back_like_chrono_tz() {
    for name in ZONES {
        let zone = Zone::named(name).unwrap();
        let tz = reference(name);
        let mut local = NaiveDate::from_ymd_opt(2025, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let end = NaiveDate::from_ymd_opt(2028, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        while local < end {
            if let Some(mine) = from_local_like_chrono_tz(&zone, tz, local, name) {
                // In a gap: shifted forward by the gap, so it shows a later local time.
                assert!(zone.to_local(mine) > local, "{name} {local} (gap)");
            }
            assert!(
                zone.to_local(zone.from_local(local)).date() >= local.date(),
                "{name} {local}"
            );
            local += Duration::minutes(30);
        }
    }
}

/// A zone observed from the platform (the browser's `Date`), here observing
/// chrono-tz: the same offsets and the same local-time choices as the full
/// tzdata inside its window, constant outside.
#[test]
fn an_observed_zone_is_the_platform_zone_inside_its_window() {
    let (from, to) = (at("2026-01-01T00:00:00Z"), at("2027-07-01T00:00:00Z"));
    for name in ZONES {
        let tz = reference(name);
        let zone = Zone::observed("local", from, to, |t| ref_offset(tz, t));
        assert_eq!(zone.name(), "local");
        let mut t = from - Duration::days(3);
        while t < to + Duration::days(3) {
            // Each half hour and the second before it: changes fall on
            // the hour or half hour, so both sides of each are seen.
            for t in [t - Duration::seconds(1), t] {
                let inside = t.clamp(from, to);
                assert_eq!(zone.offset_at(t), ref_offset(tz, inside), "{name} {t}");
            }
            t += Duration::minutes(30);
        }
        let mut local = from.naive_utc() + Duration::days(1);
        while local < to.naive_utc() - Duration::days(1) {
            if let Some(mine) = from_local_like_chrono_tz(&zone, tz, local, name) {
                // In a gap: the instant it would have been without the jump,
                // as the table's zones do.
                let table = Zone::named(name).unwrap().from_local(local);
                assert_eq!(mine, table, "{name} {local} (gap)");
            }
            local += Duration::minutes(15);
        }
    }
}

/// Every zone in the table against chrono-tz, weekly through 2026–2030.
/// Zones whose future is not a yearly rule are the known exceptions.
#[test]
fn the_whole_table_matches_chrono_tz_for_the_coming_years() {
    let mut wrong = Vec::new();
    let mut checked = 0;
    for name in frontline_core::tz::zone_names() {
        let Ok(tz) = name.parse::<chrono_tz::Tz>() else {
            continue;
        };
        let zone = Zone::named(name).unwrap();
        checked += 1;
        let mut t = at("2026-01-01T00:00:00Z");
        while t < at("2031-01-01T00:00:00Z") {
            if zone.offset_at(t) != ref_offset(tz, t) {
                wrong.push(name);
                break;
            }
            t += Duration::hours(7 * 24 + 1);
        }
    }
    assert!(checked > 500, "{checked}");
    // Casablanca and El Aaiun shift for Ramadan each year: no POSIX rule
    // can say that, so the table keeps their standard offset.
    let known = ["Africa/Casablanca", "Africa/El_Aaiun"];
    let unexpected: Vec<_> = wrong.iter().filter(|z| !known.contains(z)).collect();
    assert!(
        unexpected.is_empty(),
        "zones differing from chrono-tz: {unexpected:?}"
    );
}

fn rules() -> Ruleset {
    load(DEFAULT).unwrap()
}

fn paris() -> chrono_tz::Tz {
    reference("Europe/Paris")
}

/// Minute-by-minute: is the partner open during the minute starting at `t`?
fn open_minute(r: &Ruleset, t: DateTime<Utc>) -> bool {
    let local = t.with_timezone(&paris());
    let weekday = !matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
    let date = local.date_naive().format("%Y-%m-%d").to_string();
    let holiday = r.hours.holidays.contains(&date);
    let minute = local.hour() * 60 + local.minute();
    weekday && !holiday && (8 * 60..18 * 60).contains(&minute)
}

fn oracle_due(r: &Ruleset, submitted: DateTime<Utc>, minutes: u32) -> DateTime<Utc> {
    let mut t = submitted;
    let mut count = 0;
    loop {
        if open_minute(r, t) {
            count += 1;
            if count == minutes {
                return t + Duration::minutes(1);
            }
        }
        t += Duration::minutes(1);
    }
}

/// Submission instants: anywhere in 2025–2026, or close to a DST change or
/// a year end, on whole minutes.
fn instants() -> impl Strategy<Value = DateTime<Utc>> {
    let around = |s: &'static str, days: i64| {
        (-days * 1440..days * 1440).prop_map(move |m| at(s) + Duration::minutes(m))
    };
    prop_oneof![
        (0i64..2 * 365 * 1440).prop_map(|m| at("2025-01-01T00:00:00Z") + Duration::minutes(m)),
        around("2025-03-30T01:00:00Z", 4),
        around("2025-10-26T01:00:00Z", 4),
        around("2026-03-29T01:00:00Z", 4),
        around("2026-10-25T01:00:00Z", 4),
        around("2026-01-01T00:00:00Z", 8),
        around("2025-12-25T00:00:00Z", 3),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn business_hour_deadlines_match_a_minute_by_minute_oracle(
        submitted in instants(),
        (severity, handler, minutes) in prop_oneof![
            Just(("B", Handler::Partner, 240u32)),
            Just(("C", Handler::Partner, 480u32)),
            Just(("C", Handler::VendorTechnical, 480u32)),
            Just(("B", Handler::VendorCommercial, 600u32)),
        ],
        customer in proptest::sample::select(ZONES),
    ) {
        let r = rules();
        let zone = Zone::named(customer).unwrap();
        let d = hours::first_response(&r, handler, severity, submitted, &zone).unwrap();
        prop_assert_eq!(d.clock, hours::Clock::BusinessHours);
        prop_assert_eq!(d.minutes, minutes);
        prop_assert_eq!(d.due.utc, oracle_due(&r, submitted, minutes));
        // Both wall clocks agree with chrono-tz.
        prop_assert_eq!(d.due.partner.local, d.due.utc.with_timezone(&paris()).naive_local());
        prop_assert_eq!(d.due.customer.local, d.due.utc.with_timezone(&reference(customer)).naive_local());
    }

    #[test]
    fn round_the_clock_deadlines_count_every_minute(submitted in instants()) {
        let r = rules();
        let d = hours::first_response(&r, Handler::VendorTechnical, "A", submitted, &Zone::utc()).unwrap();
        prop_assert_eq!(d.clock, hours::Clock::RoundTheClock);
        prop_assert_eq!(d.due.utc, submitted + Duration::minutes(120));
    }

    #[test]
    fn open_now_and_next_opening_match_the_oracle(now in instants()) {
        let r = rules();
        let s = hours::service_status(&r, now, &Zone::named("America/New_York").unwrap());
        prop_assert_eq!(s.open_now, open_minute(&r, now));
        if s.open_now {
            let closes = s.closes.unwrap().utc;
            prop_assert!(!open_minute(&r, closes));
            prop_assert!(open_minute(&r, closes - Duration::minutes(1)));
        } else {
            let opens = s.next_open.unwrap();
            prop_assert!(open_minute(&r, opens.utc));
            let mut t = now;
            while t < opens.utc {
                prop_assert!(!open_minute(&r, t), "open at {} before next_open {}", t, opens.utc);
                t += Duration::minutes(15);
            }
            prop_assert_eq!(opens.partner.local.time().format("%H:%M").to_string(), "08:00");
        }
    }
}

#[test]
fn opens_monday_0800_is_0200_in_new_york() {
    let r = rules();
    // Saturday 2025-11-08, 12:00 UTC.
    let s = hours::service_status(
        &r,
        at("2025-11-08T12:00:00Z"),
        &Zone::named("America/New_York").unwrap(),
    );
    assert!(!s.open_now);
    let next = s.next_open.unwrap();
    assert_eq!(next.partner.weekday, "mon");
    assert_eq!(next.partner.local.to_string(), "2025-11-10 08:00:00");
    assert_eq!(next.customer.local.to_string(), "2025-11-10 02:00:00");
    assert_eq!(next.customer.offset_seconds, -5 * 3600);
}

#[test]
fn the_chat_has_its_own_hours_and_the_portal_is_always_open() {
    let r = rules();
    let lunch = at("2025-11-05T11:45:00Z"); // Wednesday 12:45 in Paris
    let utc = Zone::utc();
    assert!(hours::service_status(&r, lunch, &utc).open_now);
    let chat = hours::contact_status(&r, "chat", lunch, &utc).unwrap();
    assert!(!chat.open_now);
    assert_eq!(
        chat.next_open.unwrap().partner.local.to_string(),
        "2025-11-05 13:30:00"
    );
    let portal = hours::contact_status(&r, "portal", lunch, &utc).unwrap();
    assert!(portal.open_now && portal.closes.is_none());
    assert!(hours::contact_status(&r, "fax", lunch, &utc).is_none());
}

#[test]
fn a_deadline_with_an_unknown_severity_is_an_error() {
    let r = rules();
    let e = hours::first_response(
        &r,
        Handler::Partner,
        "Z",
        at("2025-11-05T11:45:00Z"),
        &Zone::utc(),
    )
    .unwrap_err();
    assert!(e.message.contains("no severity \"Z\""), "{e}");
}

proptest! {
    /// The request's hand-written RFC 3339 writers are chrono's, for every
    /// instant of years 0000–9999 to the nanosecond.
    #[test]
    fn rfc3339_writers_are_chronos(
        secs in -62_167_219_200i64..253_402_300_800,
        nanos in prop_oneof![Just(0u32), (0u32..1_000).prop_map(|m| m * 1_000_000), (0u32..1_000_000).prop_map(|u| u * 1_000), 0u32..1_000_000_000],
    ) {
        use chrono::SecondsFormat;
        use frontline_core::request::{format_rfc3339, format_utc, format_utc_millis};
        let t = DateTime::from_timestamp(secs, nanos).unwrap();
        prop_assert_eq!(format_rfc3339(t), t.to_rfc3339());
        prop_assert_eq!(format_utc_millis(t), t.to_rfc3339_opts(SecondsFormat::Millis, true));
        prop_assert_eq!(format_utc(t), t.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
}
