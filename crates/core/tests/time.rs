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

/// French public holidays 2025–2027 as published (service-public.fr), the
/// days the default ruleset's recurring entries must close, written out
/// independently of [`hours::Holiday`].
const FRENCH_HOLIDAYS: &[&str] = &[
    "2025-01-01",
    "2025-04-21",
    "2025-05-01",
    "2025-05-08",
    "2025-05-29",
    "2025-06-09",
    "2025-07-14",
    "2025-08-15",
    "2025-11-01",
    "2025-11-11",
    "2025-12-25",
    "2026-01-01",
    "2026-04-06",
    "2026-05-01",
    "2026-05-08",
    "2026-05-14",
    "2026-05-25",
    "2026-07-14",
    "2026-08-15",
    "2026-11-01",
    "2026-11-11",
    "2026-12-25",
    "2027-01-01",
    "2027-03-29",
    "2027-05-01",
    "2027-05-06",
    "2027-05-08",
    "2027-05-17",
    "2027-07-14",
    "2027-08-15",
    "2027-11-01",
    "2027-11-11",
    "2027-12-25",
];

/// Minute-by-minute: is the partner open during the minute starting at `t`?
fn open_minute(t: DateTime<Utc>) -> bool {
    let local = t.with_timezone(&paris());
    let weekday = !matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
    let date = local.date_naive().format("%Y-%m-%d").to_string();
    let holiday = FRENCH_HOLIDAYS.contains(&date.as_str());
    let minute = local.hour() * 60 + local.minute();
    weekday && !holiday && (8 * 60..18 * 60).contains(&minute)
}

fn oracle_due(submitted: DateTime<Utc>, minutes: u32) -> DateTime<Utc> {
    let mut t = submitted;
    let mut count = 0;
    loop {
        if open_minute(t) {
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
        prop_assert_eq!(d.due.utc, oracle_due(submitted, minutes));
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
        prop_assert_eq!(s.open_now, open_minute(now));
        if s.open_now {
            let closes = s.closes.unwrap().utc;
            prop_assert!(!open_minute(closes));
            prop_assert!(open_minute(closes - Duration::minutes(1)));
        } else {
            let opens = s.next_open.unwrap();
            prop_assert!(open_minute(opens.utc));
            let mut t = now;
            while t < opens.utc {
                prop_assert!(!open_minute(t), "open at {} before next_open {}", t, opens.utc);
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

// ------------------------------------------------------------- holidays

/// Western Easter Sundays 1990–2050 as published in python-dateutil's test
/// table (`dateutil/test/test_easter.py`, "List of easters between 1990 and
/// 2050"), as (year, month, day).
const EASTER_1990_2050: &[(i32, u32, u32)] = &[
    (1990, 4, 15),
    (1991, 3, 31),
    (1992, 4, 19),
    (1993, 4, 11),
    (1994, 4, 3),
    (1995, 4, 16),
    (1996, 4, 7),
    (1997, 3, 30),
    (1998, 4, 12),
    (1999, 4, 4),
    (2000, 4, 23),
    (2001, 4, 15),
    (2002, 3, 31),
    (2003, 4, 20),
    (2004, 4, 11),
    (2005, 3, 27),
    (2006, 4, 16),
    (2007, 4, 8),
    (2008, 3, 23),
    (2009, 4, 12),
    (2010, 4, 4),
    (2011, 4, 24),
    (2012, 4, 8),
    (2013, 3, 31),
    (2014, 4, 20),
    (2015, 4, 5),
    (2016, 3, 27),
    (2017, 4, 16),
    (2018, 4, 1),
    (2019, 4, 21),
    (2020, 4, 12),
    (2021, 4, 4),
    (2022, 4, 17),
    (2023, 4, 9),
    (2024, 3, 31),
    (2025, 4, 20),
    (2026, 4, 5),
    (2027, 3, 28),
    (2028, 4, 16),
    (2029, 4, 1),
    (2030, 4, 21),
    (2031, 4, 13),
    (2032, 3, 28),
    (2033, 4, 17),
    (2034, 4, 9),
    (2035, 3, 25),
    (2036, 4, 13),
    (2037, 4, 5),
    (2038, 4, 25),
    (2039, 4, 10),
    (2040, 4, 1),
    (2041, 4, 21),
    (2042, 4, 6),
    (2043, 3, 29),
    (2044, 4, 17),
    (2045, 4, 9),
    (2046, 3, 25),
    (2047, 4, 14),
    (2048, 4, 5),
    (2049, 4, 18),
    (2050, 4, 10),
];

/// Later and boundary years, as other projects' tests cite published
/// tables: 2078, 2099 and 2100; the earliest possible Easter (22 March:
/// 1818, next 2285) and the latest (25 April: 1943, 2038 above, 2190).
const EASTER_SPOT_CHECKS: &[(i32, u32, u32)] = &[
    (2078, 4, 3),
    (2099, 4, 12),
    (2100, 3, 28),
    (1818, 3, 22),
    (2285, 3, 22),
    (1943, 4, 25),
    (2190, 4, 25),
];

#[test]
fn easter_sunday_matches_the_published_tables() {
    for &(y, m, d) in EASTER_1990_2050.iter().chain(EASTER_SPOT_CHECKS) {
        assert_eq!(
            hours::easter_sunday(y),
            NaiveDate::from_ymd_opt(y, m, d),
            "Easter {y}"
        );
    }
    // Every year, whatever the table: a Sunday from 22 March to 25 April.
    for y in 1583..=4099 {
        let e = hours::easter_sunday(y).unwrap();
        assert_eq!(e.weekday(), Weekday::Sun, "Easter {y}");
        let (lo, hi) = (
            NaiveDate::from_ymd_opt(y, 3, 22).unwrap(),
            NaiveDate::from_ymd_opt(y, 4, 25).unwrap(),
        );
        assert!((lo..=hi).contains(&e), "Easter {y} is {e}");
    }
    assert_eq!(
        hours::easter_sunday(1582),
        None,
        "before the Gregorian calendar"
    );
}

#[test]
fn holiday_entries_read_every_form_and_nothing_else() {
    use hours::Holiday;
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(
        Holiday::parse("2026-05-15"),
        Some(Holiday::Once(date(2026, 5, 15)))
    );
    assert_eq!(
        Holiday::parse("12-25"),
        Some(Holiday::Yearly { month: 12, day: 25 })
    );
    assert_eq!(
        Holiday::parse("02-29"),
        Some(Holiday::Yearly { month: 2, day: 29 })
    );
    assert_eq!(Holiday::parse("easter"), Some(Holiday::Easter(0)));
    assert_eq!(Holiday::parse("easter+1"), Some(Holiday::Easter(1)));
    assert_eq!(Holiday::parse("easter-2"), Some(Holiday::Easter(-2)));
    assert_eq!(Holiday::parse("easter+100"), Some(Holiday::Easter(100)));
    for bad in [
        "",
        "13-01",
        "02-30",
        "12-5",
        "1225",
        "easter+",
        "easter+101",
        "easter-1000",
        "easter 1",
        "easter+1d",
        "Easter+1",
        "easter+-1",
        "2026-02-30",
        "26-05-15",
        "christmas",
    ] {
        assert_eq!(Holiday::parse(bad), None, "{bad:?}");
    }
    // Relative to the Easter of the day's own year, even far from it.
    let whit = Holiday::parse("easter+50").unwrap();
    assert!(whit.falls_on(date(2030, 6, 10)));
    assert!(!whit.falls_on(date(2030, 6, 9)));
    let early = Holiday::parse("easter-100").unwrap();
    assert!(
        early.falls_on(date(2025, 12, 26)),
        "100 days before Easter 2026 (5 April)"
    );
    assert!(!early.falls_on(date(2026, 12, 26)));
    let leap = Holiday::parse("02-29").unwrap();
    assert!(leap.falls_on(date(2028, 2, 29)));
    assert!(!leap.falls_on(date(2027, 3, 1)));
}

/// A severity B request (240 business minutes) sent at 17:00 Paris, an hour
/// before closing, the day before a holiday: the hour that day, then the
/// next working day from 08:00.
#[test]
fn deadlines_skip_recurring_holidays_years_ahead() {
    let r = rules();
    let due = |submitted: &str| {
        hours::first_response(&r, Handler::Partner, "B", at(submitted), &Zone::utc())
            .unwrap()
            .due
    };
    // Thursday 2026-12-31: New Year's Day 2027 is a Friday, then the weekend.
    let d = due("2026-12-31T16:00:00Z");
    assert_eq!(d.partner.local.to_string(), "2027-01-04 11:00:00");
    assert_eq!(d.partner.weekday, "mon");
    // Friday 2030-04-19: Easter Monday is 2030-04-22.
    let d = due("2030-04-19T15:00:00Z");
    assert_eq!(d.partner.local.to_string(), "2030-04-23 11:00:00");
    // Monday 2035-12-24: Christmas 2035 is a Tuesday.
    let d = due("2035-12-24T16:00:00Z");
    assert_eq!(d.partner.local.to_string(), "2035-12-26 11:00:00");
    // And the day before an ordinary Wednesday, for contrast.
    let d = due("2035-12-18T16:00:00Z");
    assert_eq!(d.partner.local.to_string(), "2035-12-19 11:00:00");
}

#[test]
fn the_service_is_closed_on_a_recurring_holiday() {
    let r = rules();
    // Ascension 2031 (Easter 13 April + 39 = Thursday 22 May), 10:00 Paris.
    let s = hours::service_status(&r, at("2031-05-22T08:00:00Z"), &Zone::utc());
    assert!(!s.open_now);
    assert_eq!(
        s.next_open.unwrap().partner.local.to_string(),
        "2031-05-23 08:00:00"
    );
}

#[test]
fn a_calendar_of_past_dates_only_is_reported_stale_on_the_day_checked() {
    use frontline_core::{validate_on, Report};
    let mut r = rules();
    let today = NaiveDate::from_ymd_opt(2027, 1, 5).unwrap();
    let warnings = |r: &Ruleset, today| {
        let mut report = Report::default();
        validate_on(r, today, &mut report);
        report.problems
    };
    // Recurring entries never go stale.
    assert_eq!(warnings(&r, today), vec![]);
    r.hours.holidays = vec![
        "2026-01-01".into(),
        "2026-12-25".into(),
        "2026-05-01".into(),
    ];
    let found = warnings(&r, today);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "$.hours.holidays");
    assert!(
        found[0]
            .message
            .starts_with("holidays stop at 2026-12-25: deadlines after that ignore holidays"),
        "{}",
        found[0].message
    );
    // Checked earlier, 2026-12-25 is still ahead: within the coming year.
    assert_eq!(
        warnings(&r, NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()),
        vec![]
    );
    // One recurring entry is enough; no holidays at all is a choice.
    r.hours.holidays.push("easter+1".into());
    assert_eq!(warnings(&r, today), vec![]);
    r.hours.holidays.clear();
    assert_eq!(warnings(&r, today), vec![]);
}
