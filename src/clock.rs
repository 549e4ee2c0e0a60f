//! Time edge: the browser's clock and the customer's time zone.

use chrono::{DateTime, Utc};
use frontline_core::Zone;
use wasm_bindgen::JsValue;

use crate::format::Today;

/// The current instant, from the browser's clock.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// Now, as RFC 3339 UTC text (for the diagnosis transcript).
pub fn stamp() -> String {
    frontline_core::request::format_rfc3339(now())
}

/// The customer's time zone as this browser applies it, read from `Date`
/// for the coming year (what the screens show: opening times, deadlines).
/// Not through `Intl`, whose first use costs tens of milliseconds, which
/// opening the portal would pay. Its name is only "local": the request,
/// which must name it, uses [`customer_zone_named`].
pub fn customer_zone() -> Zone {
    let now = now();
    // One `Date`, moved to each instant asked about: ~400 probes, each
    // then two calls into JavaScript instead of a new object and its handle.
    let date = js_sys::Date::new_0();
    Zone::observed(
        "local",
        now - chrono::Duration::days(1),
        now + chrono::Duration::days(400),
        |t| {
            date.set_time(t.timestamp_millis() as f64);
            // Minutes behind UTC, so east is negative.
            -(date.get_timezone_offset() * 60.0) as i32
        },
    )
}

/// The customer's IANA time zone as the browser reports it (through `Intl`),
/// else UTC: for the request, which names it.
pub fn customer_zone_named() -> Zone {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|zone| zone.as_string())
        .and_then(|name| Zone::named(&name))
        .unwrap_or_else(Zone::utc)
}

/// Today's date for the partner and for the customer.
pub fn today(now: DateTime<Utc>, partner: &Zone, customer: &Zone) -> Today {
    Today {
        partner: partner.to_local(now).date(),
        customer: customer.to_local(now).date(),
    }
}
