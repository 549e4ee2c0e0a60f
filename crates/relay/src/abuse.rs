//! Spam and flood protection, with no third party and nothing asked of a
//! genuine customer:
//!
//! - the honeypot: the portal's request form has a field people never see;
//!   the portal sends its value as `Frontline-Trap` when something filled
//!   it. Such a request gets a plain 200 and is held, not forwarded;
//! - the fill time: the portal sends `Frontline-Elapsed-Ms`, the time from
//!   its opening to the send. Sooner than `min_elapsed_ms` (a script, not a
//!   person reading questions) is held the same way;
//! - rate limits per client address (IPv6 by /64) and for everyone, counted
//!   in the database so that every instance shares them: over a limit, 429
//!   with `Retry-After`, which the portal's outbox honours before sending the
//!   same request again.
//!
//! Held requests are stored, listed in the admin page as suspected spam and
//! can be released (forwarded) from there, so a false positive loses
//! nothing.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::http::HeaderMap;
use serde::Deserialize;

use crate::store::{Store, StoreError};

/// The header carrying the honeypot's value.
pub const TRAP_HEADER: &str = "frontline-trap";
/// The header carrying the time from the portal opening to the send.
pub const ELAPSED_HEADER: &str = "frontline-elapsed-ms";

/// `[abuse]` of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Abuse {
    /// Hold requests whose honeypot was filled.
    pub honeypot: bool,
    /// Hold requests sent sooner than this after the portal opened (0: off).
    pub min_elapsed_ms: u64,
    /// Requests per client address per window (0: no limit).
    pub per_ip: u32,
    /// Requests from everyone per window (0: no limit).
    pub global: u32,
    /// Funnel event batches per client address per window (0: no limit).
    pub events_per_ip: u32,
    /// The rate limits' window, in seconds.
    pub window_seconds: u64,
    /// Take the client's address from the last `X-Forwarded-For` entry (set
    /// it only behind a reverse proxy that appends it; otherwise anyone can
    /// claim any address).
    pub trust_forwarded_for: bool,
}

impl Default for Abuse {
    fn default() -> Self {
        Abuse {
            honeypot: true,
            min_elapsed_ms: 3_000,
            per_ip: 20,
            global: 600,
            events_per_ip: 60,
            window_seconds: 60,
            trust_forwarded_for: false,
        }
    }
}

impl Abuse {
    /// The honeypot only: no fill time, no rate limit. What the library's
    /// [`crate::Config::default`] (the reference intake, the dev server and
    /// tests) uses; the configuration file's defaults are [`Abuse::default`].
    pub fn lenient() -> Abuse {
        Abuse {
            honeypot: true,
            min_elapsed_ms: 0,
            per_ip: 0,
            global: 0,
            events_per_ip: 0,
            ..Abuse::default()
        }
    }
}

/// The client's address as the connection gave it (set by [`crate::serve`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

/// The rate-limit bucket of a client: its IPv4 address, or the /64 of its
/// IPv6 address (one customer's devices share a /64; a flood from one
/// network cannot rotate through it); `unknown` without one.
pub fn client_key(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_forwarded_for: bool,
) -> String {
    let forwarded = trust_forwarded_for
        .then(|| {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|s| s.trim().parse::<IpAddr>().ok())
                .next_back()
        })
        .flatten();
    match forwarded.or(peer.map(|p| p.ip())) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".into(),
    }
}

/// Why a request is held, if it is: the honeypot, or too fast a send.
pub fn held_reason(headers: &HeaderMap, abuse: &Abuse) -> Option<String> {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if abuse.honeypot && value(TRAP_HEADER).is_some_and(|v| !v.is_empty()) {
        return Some("the form's hidden field was filled (a bot)".into());
    }
    if abuse.min_elapsed_ms > 0 {
        if let Some(ms) = value(ELAPSED_HEADER).and_then(|v| v.parse::<u64>().ok()) {
            if ms < abuse.min_elapsed_ms {
                return Some(format!(
                    "sent {ms} ms after the portal opened (less than {} ms: a script, not a person)",
                    abuse.min_elapsed_ms
                ));
            }
        }
    }
    None
}

/// Counts one request in each of `buckets` (name, limit) for the current
/// window; `Ok(Some(wait))` when one of them is over its limit, with the
/// time until the window ends.
pub async fn over_limit(
    store: &Store,
    window: Duration,
    now_ms: i64,
    buckets: &[(String, u32)],
) -> Result<Option<Duration>, StoreError> {
    let window_ms = i64::try_from(window.as_millis().max(1)).unwrap_or(60_000);
    let start = now_ms - now_ms.rem_euclid(window_ms);
    for (bucket, limit) in buckets.iter().filter(|(_, l)| *l > 0) {
        let n = store.hit(bucket.clone(), start).await?;
        if n > u64::from(*limit) {
            let left = (start + window_ms - now_ms).max(0) as u64;
            return Ok(Some(Duration::from_millis(left)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(list: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in list {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn clients_are_keyed_by_address_and_ipv6_by_64() {
        let peer: SocketAddr = "198.51.100.7:5000".parse().unwrap();
        assert_eq!(
            client_key(&HeaderMap::new(), Some(peer), false),
            "198.51.100.7"
        );
        let v6: SocketAddr = "[2001:db8:1:2:aaaa::1]:443".parse().unwrap();
        assert_eq!(
            client_key(&HeaderMap::new(), Some(v6), false),
            "2001:db8:1:2::/64"
        );
        let mapped: SocketAddr = "[::ffff:192.0.2.1]:1".parse().unwrap();
        assert_eq!(
            client_key(&HeaderMap::new(), Some(mapped), false),
            "192.0.2.1"
        );
        assert_eq!(client_key(&HeaderMap::new(), None, false), "unknown");
        let xff = headers(&[("x-forwarded-for", "203.0.113.9, 192.0.2.44")]);
        // Untrusted, the header is ignored; trusted, the proxy's own entry
        // (the last) counts, not what the client wrote before it.
        assert_eq!(client_key(&xff, Some(peer), false), "198.51.100.7");
        assert_eq!(client_key(&xff, Some(peer), true), "192.0.2.44");
    }

    #[test]
    fn the_honeypot_and_the_fill_time_hold_a_request() {
        let abuse = Abuse::default();
        assert_eq!(held_reason(&HeaderMap::new(), &abuse), None);
        let person = headers(&[(ELAPSED_HEADER, "45210"), (TRAP_HEADER, "")]);
        assert_eq!(held_reason(&person, &abuse), None);
        let bot = headers(&[(TRAP_HEADER, "http://spam.example")]);
        assert!(held_reason(&bot, &abuse).unwrap().contains("hidden field"));
        let fast = headers(&[(ELAPSED_HEADER, "250")]);
        assert!(held_reason(&fast, &abuse).unwrap().contains("sent 250 ms"));
        let off = Abuse {
            honeypot: false,
            min_elapsed_ms: 0,
            ..Abuse::default()
        };
        assert_eq!(held_reason(&bot, &off), None);
        assert_eq!(held_reason(&fast, &off), None);
    }
}
