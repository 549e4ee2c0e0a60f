//! Service hours and first-response deadlines.
//!
//! Everything takes the current instant as a parameter (there is no clock in
//! core). Results are data with both the partner's and the customer's wall
//! clock, so the UI can say "opens Monday 08:00 (your time 02:00)" in the
//! customer's language.
//!
//! ## Usage
//! ```
//! use frontline_core::{hours, Handler, Zone};
//! # let json = include_str!("../../../public/rules/default.json");
//! let rules = frontline_core::load(json).unwrap();
//! let now = chrono::DateTime::parse_from_rfc3339("2025-03-28T17:30:00Z").unwrap().to_utc();
//! let me = Zone::named("America/New_York").unwrap_or_else(Zone::utc);
//! let d = hours::first_response(&rules, Handler::Partner, "C", now, &me).unwrap();
//! assert_eq!(d.due.partner.local.to_string(), "2025-03-31 16:00:00");
//! let open = hours::service_status(&rules, now, &me);
//! assert!(!open.open_now);
//! ```

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ruleset::{Availability, Handler, Ruleset, Weekly};
use crate::tz::{weekday_key, Zone};

/// How many days ahead the scheduler looks for opening hours.
const HORIZON_DAYS: i64 = 800;

/// Parses `"HH:MM"` into minutes since midnight; `"24:00"` is 1440.
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// The ASCII digits of `s[range]` as a number (`None` if anything else is there).
pub(crate) fn digits(s: &str, range: std::ops::Range<usize>) -> Option<u32> {
    let part = s.get(range)?;
    if part.bytes().all(|c| c.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

/// Parses `"YYYY-MM-DD"` (without chrono's format parser, which costs
/// kilobytes of WebAssembly).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r| digits(s, r);
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

/// One entry of `hours.holidays`: a closed day.
///
/// - `"2026-05-15"`: that date only (a bridge day);
/// - `"12-25"`: that month and day every year (`"02-29"` in leap years);
/// - `"easter+1"`: days after (or with `-`, before) Western Easter Sunday
///   (`"easter+1"` Easter Monday, `"easter+39"` Ascension, `"easter+50"`
///   Whit Monday, `"easter-2"` Good Friday), at most 100 days either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holiday {
    /// One date.
    Once(NaiveDate),
    /// A month and day, every year.
    Yearly {
        /// 1–12.
        month: u32,
        /// 1–31, valid for the month.
        day: u32,
    },
    /// Days from Western Easter Sunday, every year.
    Easter(i32),
}

/// The farthest a holiday may be from Easter (`"easter+100"`).
pub const MAX_EASTER_OFFSET: i32 = 100;

impl Holiday {
    /// Reads one `hours.holidays` entry (`None` when it is none of the forms).
    pub fn parse(s: &str) -> Option<Holiday> {
        if let Some(offset) = s.strip_prefix("easter") {
            let days = match offset.as_bytes().first() {
                None => 0,
                Some(b'+' | b'-') if offset.len() > 1 && offset.len() <= 4 => {
                    let n = i32::try_from(digits(offset, 1..offset.len())?).ok()?;
                    if offset.starts_with('-') {
                        -n
                    } else {
                        n
                    }
                }
                _ => return None,
            };
            return (days.abs() <= MAX_EASTER_OFFSET).then_some(Holiday::Easter(days));
        }
        if s.len() == 5 && s.as_bytes()[2] == b'-' {
            let (month, day) = (digits(s, 0..2)?, digits(s, 3..5)?);
            // 2000 is a leap year, so 02-29 is accepted.
            NaiveDate::from_ymd_opt(2000, month, day)?;
            return Some(Holiday::Yearly { month, day });
        }
        parse_date(s).map(Holiday::Once)
    }

    /// Whether `day` is this holiday.
    pub fn falls_on(self, day: NaiveDate) -> bool {
        match self {
            Holiday::Once(d) => d == day,
            Holiday::Yearly { month, day: d } => day.month() == month && day.day() == d,
            Holiday::Easter(offset) => {
                let sunday = day - Duration::days(i64::from(offset));
                easter_sunday(sunday.year()) == Some(sunday)
            }
        }
    }

    /// Whether it comes back every year.
    pub fn recurs(self) -> bool {
        !matches!(self, Holiday::Once(_))
    }
}

/// Western (Gregorian) Easter Sunday of `year`, by the anonymous Gregorian
/// algorithm (Meeus, *Astronomical Algorithms*, ch. 8; valid from 1583).
/// `None` before 1583 or past chrono's range.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    if year < 1583 {
        return None;
    }
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// The closed days of a calendar (`hours.holidays`), entries that are none
/// of the [`Holiday`] forms left out (validation reports them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays(Vec<Holiday>);

impl Holidays {
    /// Reads `hours.holidays`.
    pub fn new<S: AsRef<str>>(entries: &[S]) -> Holidays {
        Holidays(
            entries
                .iter()
                .filter_map(|s| Holiday::parse(s.as_ref()))
                .collect(),
        )
    }

    /// Whether the partner is closed on `day` (a date in its zone).
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.0.iter().any(|h| h.falls_on(day))
    }

    /// The last date of a calendar that lists one-off dates only and none
    /// in the twelve months after `today`: deadlines past it ignore
    /// holidays, so the calendar needs updating. `None` when an entry
    /// recurs, when one falls within that year, or when there are none.
    pub fn stale_after(&self, today: NaiveDate) -> Option<NaiveDate> {
        if self.0.iter().any(|h| h.recurs()) {
            return None;
        }
        let year_on = today.checked_add_months(chrono::Months::new(12))?;
        let once = || {
            self.0.iter().filter_map(|h| match *h {
                Holiday::Once(d) => Some(d),
                _ => None,
            })
        };
        if once().any(|d| d > today && d <= year_on) {
            return None;
        }
        once().max()
    }
}

/// A wall-clock time in a zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalTime {
    /// IANA zone name.
    pub zone: String,
    /// Local date and time.
    pub local: NaiveDateTime,
    /// `"mon"` … `"sun"` (the UI translates).
    pub weekday: String,
    /// Offset from UTC in seconds, east positive.
    pub offset_seconds: i32,
}

/// An instant, with the partner's and the customer's wall clocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moment {
    /// The instant.
    pub utc: DateTime<Utc>,
    /// In the partner's service time zone.
    pub partner: LocalTime,
    /// In the customer's time zone.
    pub customer: LocalTime,
}

fn local_time(zone: &Zone, utc: DateTime<Utc>) -> LocalTime {
    let local = zone.to_local(utc);
    LocalTime {
        zone: zone.name().to_string(),
        local,
        weekday: weekday_key(local.weekday()).to_string(),
        offset_seconds: zone.offset_at(utc),
    }
}

fn moment(partner: &Zone, customer: &Zone, utc: DateTime<Utc>) -> Moment {
    Moment {
        utc,
        partner: local_time(partner, utc),
        customer: local_time(customer, utc),
    }
}

/// How the response clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// Only during service hours, holidays excluded.
    BusinessHours,
    /// Around the clock.
    RoundTheClock,
}

/// A first-response deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// Severity id.
    pub severity: String,
    /// Target in minutes.
    pub minutes: u32,
    /// Business hours or 24x7.
    pub clock: Clock,
    /// When the first response is due.
    pub due: Moment,
}

/// Why a deadline cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursError {
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for HoursError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HoursError {}

fn hours_err(message: String) -> HoursError {
    HoursError { message }
}

/// The partner's zone (UTC if the ruleset names an unknown one; validation
/// reports that as an error).
pub fn partner_zone(r: &Ruleset) -> Zone {
    Zone::named(&r.hours.time_zone).unwrap_or_else(Zone::utc)
}

/// Opening windows of a weekly schedule in a zone, minus holidays.
struct Schedule<'a> {
    zone: &'a Zone,
    weekly: &'a Weekly,
    holidays: Holidays,
}

/// A window `[start, end)` of opening time.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Schedule<'_> {
    /// Windows ending after `t`, in order, adjacent ones merged.
    fn windows_after(&self, t: DateTime<Utc>) -> impl Iterator<Item = Window> + '_ {
        let first_day = self.zone.to_local(t).date() - Duration::days(1);
        let mut merged: Option<Window> = None;
        let mut days = (0..HORIZON_DAYS).map(move |i| first_day + Duration::days(i));
        let mut pending: Vec<Window> = Vec::new();
        std::iter::from_fn(move || loop {
            if let Some(w) = pending.pop() {
                match merged {
                    Some(m) if w.start <= m.end => {
                        merged = Some(Window {
                            start: m.start,
                            end: m.end.max(w.end),
                        })
                    }
                    Some(m) => {
                        merged = Some(w);
                        return Some(m);
                    }
                    None => merged = Some(w),
                }
                continue;
            }
            let Some(day) = days.next() else {
                return merged.take();
            };
            if self.holidays.contains(day) {
                continue;
            }
            let key = weekday_key(day.weekday());
            let intervals = self
                .weekly
                .days()
                .into_iter()
                .find(|(k, _)| *k == key)
                .map(|(_, iv)| iv)
                .unwrap_or(&[]);
            let mut spans: Vec<(u32, u32)> = intervals
                .iter()
                .filter_map(|iv| Some((parse_hhmm(&iv.open)?, parse_hhmm(&iv.close)?)))
                .filter(|(o, c)| o < c)
                .collect();
            crate::sort::sort(&mut spans);
            // Reversed so that pop() yields them in order.
            for (o, c) in spans.into_iter().rev() {
                let at = |m: u32| -> DateTime<Utc> {
                    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
                    self.zone
                        .from_local(midnight + Duration::minutes(i64::from(m)))
                };
                let w = Window {
                    start: at(o),
                    end: at(c),
                };
                if w.end > t && w.end > w.start {
                    pending.push(w);
                }
            }
        })
    }
}

fn schedule<'a>(r: &Ruleset, zone: &'a Zone, weekly: &'a Weekly) -> Schedule<'a> {
    Schedule {
        zone,
        weekly,
        holidays: Holidays::new(&r.hours.holidays),
    }
}

/// The first-response deadline for a request submitted at `submitted`.
///
/// Severities listed in `hours.round_the_clock` count every minute;
/// the others count only minutes inside service hours, skipping holidays,
/// with DST handled by the zone rules. The target is the severity's first
/// whose `handlers` include `handler` (or is empty).
pub fn first_response(
    r: &Ruleset,
    handler: Handler,
    severity: &str,
    submitted: DateTime<Utc>,
    customer: &Zone,
) -> Result<Deadline, HoursError> {
    let sev = r
        .severity(severity)
        .ok_or_else(|| hours_err(format!("no severity \"{severity}\" in this ruleset")))?;
    let target = sev
        .targets
        .iter()
        .find(|t| t.handlers.is_empty() || t.handlers.contains(&handler))
        .ok_or_else(|| {
            hours_err(format!(
                "severity \"{severity}\" has no target for handler \"{}\"",
                handler.as_str()
            ))
        })?;
    let zone = partner_zone(r);
    let clock = if r.hours.round_the_clock.iter().any(|s| s == severity) {
        Clock::RoundTheClock
    } else {
        Clock::BusinessHours
    };
    let minutes = target.minutes;
    let due = match clock {
        Clock::RoundTheClock => submitted + Duration::minutes(i64::from(minutes)),
        Clock::BusinessHours => {
            let mut remaining = Duration::minutes(i64::from(minutes));
            let sched = schedule(r, &zone, &r.hours.weekly);
            let mut due = None;
            for w in sched.windows_after(submitted) {
                let start = w.start.max(submitted);
                let len = w.end - start;
                if remaining <= len {
                    due = Some(start + remaining);
                    break;
                }
                remaining -= len;
            }
            due.ok_or_else(|| {
                hours_err(format!(
                    "no service hours in the next {HORIZON_DAYS} days; check $.hours.weekly and holidays"
                ))
            })?
        }
    };
    Ok(Deadline {
        severity: severity.into(),
        minutes,
        clock,
        due: moment(&zone, customer, due),
    })
}

/// Whether something is open now, and when that changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenState {
    /// Open at `now`.
    pub open_now: bool,
    /// When open: when it closes (`None`: always open).
    pub closes: Option<Moment>,
    /// When closed: when it opens next (`None`: not within the horizon).
    pub next_open: Option<Moment>,
}

fn open_state(
    r: &Ruleset,
    weekly: Option<&Weekly>,
    now: DateTime<Utc>,
    customer: &Zone,
) -> OpenState {
    let zone = partner_zone(r);
    let Some(weekly) = weekly else {
        return OpenState {
            open_now: true,
            closes: None,
            next_open: None,
        };
    };
    let sched = schedule(r, &zone, weekly);
    let first = sched.windows_after(now).next();
    match first {
        Some(w) if w.start <= now => OpenState {
            open_now: true,
            closes: Some(moment(&zone, customer, w.end)),
            next_open: None,
        },
        Some(w) => OpenState {
            open_now: false,
            closes: None,
            next_open: Some(moment(&zone, customer, w.start)),
        },
        None => OpenState {
            open_now: false,
            closes: None,
            next_open: None,
        },
    }
}

/// Whether the partner's service is open at `now` ("open now, closes
/// 18:00" / "opens Monday 08:00 (your time 02:00)").
pub fn service_status(r: &Ruleset, now: DateTime<Utc>, customer: &Zone) -> OpenState {
    open_state(r, Some(&r.hours.weekly), now, customer)
}

/// Whether a contact method is staffed at `now`. `None` if no such method.
pub fn contact_status(
    r: &Ruleset,
    method: &str,
    now: DateTime<Utc>,
    customer: &Zone,
) -> Option<OpenState> {
    let m = r.contact_methods.iter().find(|m| m.id == method)?;
    let weekly = match m.availability {
        Availability::Always => None,
        Availability::Service => Some(&r.hours.weekly),
        Availability::Own => Some(m.weekly.as_ref().unwrap_or(&r.hours.weekly)),
    };
    Some(open_state(r, weekly, now, customer))
}
