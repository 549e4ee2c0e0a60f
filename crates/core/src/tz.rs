//! IANA time zones in a few kilobytes: a table of POSIX TZ rules and their
//! evaluator.
//!
//! Why not `chrono-tz`: it embeds the whole history of every zone, far too
//! big for the portal's WebAssembly budget. Deadlines and "open now" only
//! concern the present and the future, and for those the POSIX TZ rule at the
//! end of each TZif file (what tzcode itself applies after a zone's last
//! explicit transition) is exact. The table (`data/tz.txt`, about 17 KB raw,
//! under 5 KB gzip) is generated from `/usr/share/zoneinfo` by
//! `tests/tz_table_gen.rs` and cross-checked against `chrono-tz` in tests.
//!
//! Limits: instants before a zone's current rule took effect may be wrong
//! (historic offsets are not kept), and a few zones whose future is not a
//! yearly rule (Africa/Casablanca's Ramadan changes) are approximated by their
//! standard offset.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc, Weekday};

const TABLE: &str = include_str!("../data/tz.txt");

/// A time zone: its IANA name and the rule that gives its UTC offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    name: String,
    rule: Rule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// A POSIX TZ rule, from the table or given.
    Posix(TzRule),
    /// Offsets observed from the platform ([`Zone::observed`]): `before`
    /// until the first change, then each `(instant, offset)` from its
    /// instant (seconds since the epoch) on.
    Observed {
        before: i32,
        changes: Vec<(i64, i32)>,
    },
}

impl Rule {
    fn offset_at(&self, t: i64) -> i32 {
        match self {
            Rule::Posix(r) => r.offset_at(t),
            Rule::Observed { before, changes } => {
                match changes.partition_point(|(at, _)| *at <= t) {
                    0 => *before,
                    i => changes[i - 1].1,
                }
            }
        }
    }

    fn local_to_utc(&self, local: i64) -> i64 {
        if let Rule::Posix(r) = self {
            return r.local_to_utc(local);
        }
        // The offsets in force a day either side (no zone changes twice in
        // two days), then the same choices as the POSIX rules make.
        let (a, b) = (self.offset_at(local - DAY), self.offset_at(local + DAY));
        let (ua, ub) = (local - i64::from(a), local - i64::from(b));
        match (self.offset_at(ua) == a, self.offset_at(ub) == b) {
            (true, true) => ua.min(ub), // shown twice: the earlier
            (false, true) => ub,
            // Valid before the change, or skipped by a jump forward: the
            // instant it would have been without the jump.
            (true, false) | (false, false) => ua,
        }
    }
}

const DAY: i64 = 86_400;

impl Zone {
    /// Looks up an IANA zone name (`"Europe/Paris"`). `None` if unknown.
    pub fn named(name: &str) -> Option<Zone> {
        let rule = lookup(name)?;
        let rule = Rule::Posix(TzRule::parse(rule)?);
        Some(Zone {
            name: name.to_string(),
            rule,
        })
    }

    /// Coordinated Universal Time.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            rule: Rule::Posix(TzRule {
                std_offset: 0,
                dst: None,
            }),
        }
    }

    /// Builds a zone from a POSIX TZ string (`"CET-1CEST,M3.5.0,M10.5.0/3"`).
    pub fn from_posix(name: &str, posix: &str) -> Option<Zone> {
        Some(Zone {
            name: name.to_string(),
            rule: Rule::Posix(TzRule::parse(posix)?),
        })
    }

    /// A zone as the platform applies it, from `offset_at` (seconds east of
    /// UTC at an instant): exact from `from` to `to`, the offsets at those
    /// ends outside. For the browser's own zone, from `Date`, without a
    /// table or `Intl` (whose first use costs tens of milliseconds).
    /// Assumes, as every zone does, at most one change a day.
    pub fn observed(
        name: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        offset_at: impl Fn(DateTime<Utc>) -> i32,
    ) -> Zone {
        let probe = |t: i64| offset_at(from_secs(t));
        let (mut t, to) = (from.timestamp(), to.timestamp());
        let before = probe(t);
        let (mut current, mut changes) = (before, Vec::new());
        while t < to {
            let next = (t + DAY).min(to);
            let offset = probe(next);
            if offset != current {
                // The first second of the new offset, by bisection.
                let (mut lo, mut hi) = (t, next);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if probe(mid) == current {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                changes.push((hi, offset));
                current = offset;
            }
            t = next;
        }
        Zone {
            name: name.to_string(),
            rule: Rule::Observed { before, changes },
        }
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Offset from UTC in seconds (east positive) at the instant `utc`.
    pub fn offset_at(&self, utc: DateTime<Utc>) -> i32 {
        self.rule.offset_at(utc.timestamp())
    }

    /// The wall-clock time in this zone at the instant `utc`.
    pub fn to_local(&self, utc: DateTime<Utc>) -> NaiveDateTime {
        let secs = utc.timestamp() + i64::from(self.offset_at(utc));
        from_secs(secs).naive_utc()
    }

    /// The instant at which the wall clock of this zone shows `local`.
    ///
    /// When the clock goes back and `local` happens twice, the earlier
    /// instant. When the clock jumps forward over `local`, the instant it
    /// would have been had the clock not jumped (so 02:30 in a 02:00→03:00 gap
    /// becomes 03:30), as most calendar software does.
    pub fn from_local(&self, local: NaiveDateTime) -> DateTime<Utc> {
        from_secs(self.rule.local_to_utc(local.and_utc().timestamp()))
    }
}

/// Every zone name the table knows, sorted.
pub fn zone_names() -> impl Iterator<Item = &'static str> {
    rows().map(|(name, _)| name)
}

fn rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
}

fn lookup(name: &str) -> Option<&'static str> {
    // The table is sorted by name, after its comment lines ('#' sorts
    // first): bisect over its bytes, snapping to line starts, without
    // splitting it into lines (the portal looks zones up as it opens).
    let (mut lo, mut hi) = (0, TABLE.len()); // both at line starts
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = TABLE[..mid].rfind('\n').map_or(0, |i| i + 1).max(lo);
        let end = TABLE[start..].find('\n').map_or(TABLE.len(), |i| start + i);
        let line = &TABLE[start..end];
        let (key, rule) = line.split_once(' ').unwrap_or((line, ""));
        if line.starts_with('#') || key < name {
            lo = (end + 1).min(hi);
        } else if key > name {
            hi = start;
        } else {
            return Some(rule);
        }
    }
    None
}

fn from_secs(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A parsed POSIX TZ rule (`std offset [dst [offset] [,start[/time],end[/time]]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TzRule {
    /// Standard offset, seconds east of UTC.
    std_offset: i32,
    dst: Option<Dst>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Dst {
    offset: i32,
    start: RuleDate,
    start_time: i32,
    end: RuleDate,
    end_time: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleDate {
    /// `Jn`: day 1..=365, February 29 never counted.
    Julian1(u16),
    /// `n`: day 0..=365, February 29 counted.
    Julian0(u16),
    /// `Mm.w.d`: day `d` (0 = Sunday) of week `w` (5 = last) of month `m`.
    MonthWeekDay { month: u8, week: u8, day: u8 },
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn number(&mut self, max_digits: usize) -> Option<u32> {
        let start = self.i;
        let mut n: u32 = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            if self.i - start >= max_digits {
                return None;
            }
            n = n * 10 + u32::from(c - b'0');
            self.i += 1;
        }
        (self.i > start).then_some(n)
    }
    fn name(&mut self) -> Option<()> {
        if self.eat(b'<') {
            while let Some(c) = self.peek() {
                self.i += 1;
                if c == b'>' {
                    return Some(());
                }
            }
            return None;
        }
        let start = self.i;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        (self.i - start >= 3).then_some(())
    }
    /// `[+-]hh[:mm[:ss]]` in seconds; hours up to 167 (RFC 8536 extension).
    fn hms(&mut self) -> Option<i32> {
        let neg = if self.eat(b'-') {
            true
        } else {
            self.eat(b'+');
            false
        };
        let h = self.number(3)?;
        if h > 167 {
            return None;
        }
        let mut secs = h * 3600;
        if self.eat(b':') {
            let m = self.number(2)?;
            if m > 59 {
                return None;
            }
            secs += m * 60;
            if self.eat(b':') {
                let s = self.number(2)?;
                if s > 59 {
                    return None;
                }
                secs += s;
            }
        }
        let secs = i32::try_from(secs).ok()?;
        Some(if neg { -secs } else { secs })
    }
    fn rule_date(&mut self) -> Option<RuleDate> {
        if self.eat(b'J') {
            let n = self.number(3)?;
            return (1..=365)
                .contains(&n)
                .then_some(RuleDate::Julian1(n as u16));
        }
        if self.eat(b'M') {
            let month = self.number(2)?;
            let ok = self.eat(b'.');
            let week = self.number(1)?;
            let ok = ok && self.eat(b'.');
            let day = self.number(1)?;
            if !ok || !(1..=12).contains(&month) || !(1..=5).contains(&week) || day > 6 {
                return None;
            }
            return Some(RuleDate::MonthWeekDay {
                month: month as u8,
                week: week as u8,
                day: day as u8,
            });
        }
        let n = self.number(3)?;
        (n <= 365).then_some(RuleDate::Julian0(n as u16))
    }
    fn date_time(&mut self) -> Option<(RuleDate, i32)> {
        let date = self.rule_date()?;
        let time = if self.eat(b'/') { self.hms()? } else { 7200 };
        Some((date, time))
    }
}

impl TzRule {
    fn parse(s: &str) -> Option<TzRule> {
        let mut c = Cursor {
            s: s.as_bytes(),
            i: 0,
        };
        c.name()?;
        // POSIX offsets are west-positive; we keep east-positive seconds.
        let std_offset = -c.hms()?;
        if c.peek().is_none() {
            return Some(TzRule {
                std_offset,
                dst: None,
            });
        }
        c.name()?;
        let offset = match c.peek() {
            Some(b'+' | b'-' | b'0'..=b'9') => -c.hms()?,
            _ => std_offset + 3600,
        };
        let (start, start_time, end, end_time) = if c.eat(b',') {
            let (start, start_time) = c.date_time()?;
            if !c.eat(b',') {
                return None;
            }
            let (end, end_time) = c.date_time()?;
            (start, start_time, end, end_time)
        } else {
            // POSIX leaves this to the implementation; tzcode uses US rules.
            (
                RuleDate::MonthWeekDay {
                    month: 3,
                    week: 2,
                    day: 0,
                },
                7200,
                RuleDate::MonthWeekDay {
                    month: 11,
                    week: 1,
                    day: 0,
                },
                7200,
            )
        };
        if c.peek().is_some() {
            return None;
        }
        Some(TzRule {
            std_offset,
            dst: Some(Dst {
                offset,
                start,
                start_time,
                end,
                end_time,
            }),
        })
    }

    fn offset_at(&self, utc: i64) -> i32 {
        let Some(dst) = &self.dst else {
            return self.std_offset;
        };
        let year = from_secs(utc + i64::from(self.std_offset)).year();
        // Transitions of the neighbouring years too: rule times may spill
        // over a year boundary (hours up to 167, negative times).
        let mut transitions: [(i64, i32); 6] = [(0, 0); 6];
        for (k, y) in (year - 1..=year + 1).enumerate() {
            let (start, end) = dst.transitions(y, self.std_offset);
            transitions[2 * k] = (start, dst.offset);
            transitions[2 * k + 1] = (end, self.std_offset);
        }
        crate::sort::sort_by(&mut transitions, |a, b| a.0 < b.0);
        let mut offset = match transitions.first() {
            // Before the first transition we are in the other state.
            Some(&(_, o)) if o == dst.offset => self.std_offset,
            _ => dst.offset,
        };
        for &(at, o) in &transitions {
            if at <= utc {
                offset = o;
            }
        }
        offset
    }

    fn local_to_utc(&self, local: i64) -> i64 {
        let Some(dst) = &self.dst else {
            return local - i64::from(self.std_offset);
        };
        let offsets = [self.std_offset, dst.offset];
        let valid = offsets
            .iter()
            .map(|&o| local - i64::from(o))
            .filter(|&u| offsets.contains(&self.offset_at(u)) && self.to_local_secs(u) == local)
            .min();
        match valid {
            Some(u) => u,
            // In a gap: shift forward by the gap's length.
            None => local - i64::from(self.std_offset.min(dst.offset)),
        }
    }

    fn to_local_secs(&self, utc: i64) -> i64 {
        utc + i64::from(self.offset_at(utc))
    }
}

impl Dst {
    /// UTC instants at which DST starts and ends in `year`.
    fn transitions(&self, year: i32, std_offset: i32) -> (i64, i64) {
        let start_local = day_secs(year, self.start) + i64::from(self.start_time);
        let end_local = day_secs(year, self.end) + i64::from(self.end_time);
        (
            start_local - i64::from(std_offset),
            end_local - i64::from(self.offset),
        )
    }
}

/// Seconds since the epoch of local midnight of a rule date in `year`.
fn day_secs(year: i32, date: RuleDate) -> i64 {
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let leap = NaiveDate::from_ymd_opt(year, 2, 29).is_some();
    let day = match date {
        RuleDate::Julian1(n) => {
            let n = u32::from(n);
            let ordinal0 = if leap && n >= 60 { n } else { n - 1 };
            jan1 + chrono::Days::new(u64::from(ordinal0))
        }
        RuleDate::Julian0(n) => jan1 + chrono::Days::new(u64::from(n)),
        RuleDate::MonthWeekDay { month, week, day } => {
            let first = NaiveDate::from_ymd_opt(year, u32::from(month), 1).unwrap_or(jan1);
            let first_wd = first.weekday().num_days_from_sunday();
            let delta = (u32::from(day) + 7 - first_wd) % 7;
            let mut d = first + chrono::Days::new(u64::from(delta + 7 * (u32::from(week) - 1)));
            while d.month() != u32::from(month) {
                d = d - chrono::Days::new(7);
            }
            d
        }
    };
    day.and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp()
}

/// Three-letter English abbreviation of a weekday, as used in rulesets.
pub(crate) fn weekday_key(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_table_rule_parses() {
        let mut n = 0;
        for (name, rule) in rows() {
            assert!(TzRule::parse(rule).is_some(), "{name}: {rule}");
            n += 1;
        }
        assert!(n > 500);
    }

    #[test]
    fn table_is_sorted_for_bisection() {
        let names: Vec<&str> = zone_names().collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        for (name, rule) in rows() {
            assert_eq!(lookup(name), Some(rule), "{name}");
            // Just before and just after each name: no such zone.
            let shorter = &name[..name.len() - 1];
            if !names.contains(&shorter) {
                assert_eq!(lookup(shorter), None, "{name}");
            }
            assert_eq!(lookup(&format!("{name}~")), None, "{name}");
        }
        assert!(Zone::named("Europe/Paris").is_some());
        assert!(Zone::named("Europe/Atlantis").is_none());
        assert!(Zone::named("").is_none());
        assert!(Zone::named("#").is_none());
        assert!(Zone::named("~").is_none());
    }

    #[test]
    fn paris_switches_on_the_last_sundays() {
        let z = Zone::named("Europe/Paris").unwrap();
        assert_eq!(z.offset_at(utc("2025-03-30T00:59:59Z")), 3600);
        assert_eq!(z.offset_at(utc("2025-03-30T01:00:00Z")), 7200);
        assert_eq!(z.offset_at(utc("2025-10-26T00:59:59Z")), 7200);
        assert_eq!(z.offset_at(utc("2025-10-26T01:00:00Z")), 3600);
    }

    #[test]
    fn gaps_shift_forward_and_overlaps_take_the_earlier() {
        let z = Zone::named("Europe/Paris").unwrap();
        let gap = NaiveDate::from_ymd_opt(2025, 3, 30)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(z.from_local(gap), utc("2025-03-30T01:30:00Z"));
        let twice = NaiveDate::from_ymd_opt(2025, 10, 26)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(z.from_local(twice), utc("2025-10-26T00:30:00Z"));
    }

    #[test]
    fn rejects_malformed_rules() {
        for bad in [
            "",
            "X5",
            "EST",
            "EST5EDT,M3.2",
            "EST5EDT,M13.2.0,M11.1.0",
            "<EST5",
            "EST5EDT,J0,J5",
        ] {
            assert!(TzRule::parse(bad).is_none(), "{bad}");
        }
        assert!(TzRule::parse("<-03>3").is_some());
        assert!(TzRule::parse("EST5EDT,0/0,J365/25").is_some());
    }
}
