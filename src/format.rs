//! Dates, times and prices in the customer's language. Pure functions over
//! the rules core's values (no web types), tested natively.

use chrono::{Datelike, NaiveDate, Timelike};
use frontline_core::hours::{LocalTime, Moment};

use crate::i18n::{Key, Locale};

const WEEKDAYS: [(&str, Key); 7] = [
    ("mon", Key::WeekdayMon),
    ("tue", Key::WeekdayTue),
    ("wed", Key::WeekdayWed),
    ("thu", Key::WeekdayThu),
    ("fri", Key::WeekdayFri),
    ("sat", Key::WeekdaySat),
    ("sun", Key::WeekdaySun),
];

const MONTHS: [Key; 12] = [
    Key::MonthJan,
    Key::MonthFeb,
    Key::MonthMar,
    Key::MonthApr,
    Key::MonthMay,
    Key::MonthJun,
    Key::MonthJul,
    Key::MonthAug,
    Key::MonthSep,
    Key::MonthOct,
    Key::MonthNov,
    Key::MonthDec,
];

/// `"08:00"`.
pub fn clock(t: &LocalTime) -> String {
    format!("{:02}:{:02}", t.local.hour(), t.local.minute())
}

/// The day of `t` in words, relative to `today` (in the same zone): "today",
/// "tomorrow", a weekday within the week ahead, else weekday and date.
pub fn day(locale: Locale, t: &LocalTime, today: NaiveDate) -> String {
    let date = t.local.date();
    let weekday = WEEKDAYS
        .iter()
        .find(|(id, _)| *id == t.weekday)
        .map(|(_, key)| locale.t(*key))
        .unwrap_or_default();
    match (date - today).num_days() {
        0 => locale.t(Key::Today).to_owned(),
        1 => locale.t(Key::Tomorrow).to_owned(),
        2..=6 => weekday.to_owned(),
        _ => locale.format(
            Key::DayAndDate,
            &[
                ("weekday", weekday),
                ("day", &date.day().to_string()),
                ("month", locale.t(MONTHS[date.month0() as usize])),
            ],
        ),
    }
}

/// `"Monday 08:00"` (or "today 08:00", …).
pub fn when(locale: Locale, t: &LocalTime, today: NaiveDate) -> String {
    locale.format(
        Key::DayAtTime,
        &[("day", &day(locale, t, today)), ("time", &clock(t))],
    )
}

/// The readable city of an IANA zone: `"America/New_York"` → `"New York"`.
pub fn zone_city(zone: &str) -> String {
    zone.rsplit('/').next().unwrap_or(zone).replace('_', " ")
}

/// Today's date on each side, for "today" / "tomorrow".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Today {
    /// Today in the partner's service time zone.
    pub partner: NaiveDate,
    /// Today in the customer's time zone.
    pub customer: NaiveDate,
}

/// A moment for the customer: in the partner's zone, and in the customer's
/// own when it differs ("Monday 08:00 (Paris time) — your time: Monday 02:00").
pub fn moment(locale: Locale, m: &Moment, today: Today) -> String {
    let partner = when(locale, &m.partner, today.partner);
    if m.partner.offset_seconds == m.customer.offset_seconds {
        return partner;
    }
    locale.format(
        Key::PartnerAndCustomerTime,
        &[
            ("partner_time", &partner),
            ("zone", &zone_city(&m.partner.zone)),
            ("customer_time", &when(locale, &m.customer, today.customer)),
        ],
    )
}

/// An amount in minor units as money, with the currency's ISO 4217 minor
/// digits and the language's decimal separator; whole amounts without
/// decimals: `25000, "EUR"` → "€250" / "250 €", `4950, "EUR"` → "€49.50",
/// `5000, "JPY"` → "¥5000", `1250, "KWD"` → "KWD 1.250" / "1,250 KWD".
pub fn money(locale: Locale, amount_minor: u64, currency: &str) -> String {
    // An unknown code (validation refuses it) is shown as minor units.
    let decimal = frontline_core::money::amount(amount_minor, currency)
        .unwrap_or_else(|| amount_minor.to_string());
    let amount = match decimal.split_once('.') {
        Some((units, fraction)) if fraction.bytes().any(|b| b != b'0') => {
            format!("{units}{}{fraction}", locale.t(Key::DecimalSeparator))
        }
        Some((units, _)) => units.to_owned(),
        None => decimal,
    };
    let symbol = match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "JPY" => "¥",
        other => other,
    };
    let key = if symbol == currency {
        Key::MoneyCode
    } else {
        Key::MoneySymbol
    };
    locale.format(key, &[("amount", &amount), ("currency", symbol)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDateTime, TimeZone, Utc};

    fn local(zone: &str, text: &str, weekday: &str, offset_hours: i32) -> LocalTime {
        LocalTime {
            zone: zone.into(),
            local: NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap(),
            weekday: weekday.into(),
            offset_seconds: offset_hours * 3600,
        }
    }

    fn fr() -> Locale {
        Locale::from_tag("fr").unwrap()
    }

    #[test]
    fn days_are_relative_then_weekdays_then_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(); // a Monday
        let en = Locale::SOURCE;
        assert_eq!(
            when(
                en,
                &local("Europe/Paris", "2026-11-23 18:00", "mon", 1),
                today
            ),
            "today 18:00"
        );
        assert_eq!(
            when(
                en,
                &local("Europe/Paris", "2026-11-24 08:00", "tue", 1),
                today
            ),
            "tomorrow 08:00"
        );
        assert_eq!(
            when(
                en,
                &local("Europe/Paris", "2026-11-27 08:00", "fri", 1),
                today
            ),
            "Friday 08:00"
        );
        assert_eq!(
            when(
                fr(),
                &local("Europe/Paris", "2026-11-27 08:00", "fri", 1),
                today
            ),
            "vendredi 08:00"
        );
        assert_eq!(
            when(
                en,
                &local("Europe/Paris", "2026-12-01 08:00", "tue", 1),
                today
            ),
            "Tuesday 1 December 08:00"
        );
        assert_eq!(
            when(
                fr(),
                &local("Europe/Paris", "2026-12-01 08:00", "tue", 1),
                today
            ),
            "mardi 1 décembre 08:00"
        );
    }

    #[test]
    fn a_moment_shows_the_customers_own_time_when_it_differs() {
        let utc = Utc.with_ymd_and_hms(2026, 11, 27, 7, 0, 0).unwrap();
        let due = Moment {
            utc,
            partner: local("Europe/Paris", "2026-11-27 08:00", "fri", 1),
            customer: local("America/New_York", "2026-11-27 02:00", "fri", -5),
        };
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let today = Today {
            partner: monday,
            customer: monday,
        };
        assert_eq!(
            moment(Locale::SOURCE, &due, today),
            "Friday 08:00 (Paris time) — your time: Friday 02:00"
        );
        let same = Moment {
            customer: due.partner.clone(),
            ..due.clone()
        };
        assert_eq!(moment(Locale::SOURCE, &same, today), "Friday 08:00");
    }

    #[test]
    fn money_follows_the_language() {
        assert_eq!(money(Locale::SOURCE, 25000, "EUR"), "€250");
        assert_eq!(money(fr(), 25000, "EUR"), "250 €");
        assert_eq!(money(fr(), 4950, "EUR"), "49,50 €");
        assert_eq!(money(Locale::SOURCE, 4950, "CHF"), "CHF 49.50");
        // Each currency's own minor digits (ISO 4217).
        assert_eq!(money(Locale::SOURCE, 5000, "JPY"), "¥5000");
        assert_eq!(money(fr(), 5000, "JPY"), "5000 ¥");
        assert_eq!(money(Locale::SOURCE, 1250, "KWD"), "KWD 1.250");
        assert_eq!(money(fr(), 1250, "KWD"), "1,250 KWD");
        assert_eq!(money(Locale::SOURCE, 3000, "KWD"), "KWD 3");
    }

    #[test]
    fn zone_cities_are_readable() {
        assert_eq!(zone_city("America/New_York"), "New York");
        assert_eq!(zone_city("UTC"), "UTC");
    }
}
