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
//! - optionally, a proof of work ([`Pow`], ALTCHA v2 challenges with
//!   PBKDF2/SHA-256, off by default): the portal fetches `GET /challenge`,
//!   finds the counter whose derived key starts with the prefix (the
//!   browser's own Web Crypto does the hashing), and sends the solution as
//!   `Frontline-Pow`; each solution works once, before it expires. Friction
//!   for floods, not proof of a human.
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
/// The header carrying a proof of work: base64 of the ALTCHA payload JSON
/// `{"challenge": …, "solution": {"counter", "derivedKey"}}`.
pub const POW_HEADER: &str = "frontline-pow";

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
    /// `[abuse.proof_of_work]`: ask for a proof of work (off when absent).
    pub proof_of_work: Option<PowSettings>,
}

/// `[abuse.proof_of_work]` as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowSettings {
    /// The key challenges are signed with (shared by every instance).
    pub secret: crate::config::SecretRef,
    /// PBKDF2 iterations per try (default 2,000; a solution takes 256 tries
    /// on average: about half a second in a browser).
    #[serde(default = "default_cost")]
    pub cost: u32,
    /// Minutes a challenge stays valid (default 10).
    #[serde(default = "default_minutes")]
    pub valid_minutes: u64,
}

fn default_cost() -> u32 {
    2_000
}

fn default_minutes() -> u64 {
    10
}

/// The proof of work, ready: settings with the secret read.
#[derive(Debug, Clone)]
pub struct Pow {
    /// The signing key.
    pub secret: crate::config::Secret,
    /// PBKDF2 iterations per try.
    pub cost: u32,
    /// How long a challenge stays valid.
    pub valid: Duration,
}

impl Pow {
    /// A new signed challenge, as JSON for `GET /challenge`.
    pub fn challenge(&self, now_secs: u64) -> Result<String, String> {
        let c = altcha::create_challenge(altcha::CreateChallengeOptions {
            algorithm: "PBKDF2/SHA-256".into(),
            cost: self.cost,
            expires_at: Some(now_secs + self.valid.as_secs()),
            hmac_signature_secret: Some(self.secret.expose().to_string()),
            key_prefix: "00".into(),
            ..Default::default()
        })
        .map_err(|e| format!("cannot make a challenge: {e}"))?;
        serde_json::to_string(&c).map_err(|e| e.to_string())
    }

    /// Checks a `Frontline-Pow` value; the challenge's signature and expiry
    /// (seconds since the epoch) to spend it once, or why it is refused.
    pub fn check(&self, header: Option<&str>) -> Result<(String, u64), &'static str> {
        use base64::Engine;
        let value = header.ok_or("missing: solve GET /challenge and send the solution")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|_| "not base64")?;
        let payload: altcha::Payload =
            serde_json::from_slice(&bytes).map_err(|_| "not an ALTCHA payload")?;
        if payload.challenge.parameters.algorithm != "PBKDF2/SHA-256"
            || payload.challenge.parameters.cost != self.cost
            || payload.challenge.parameters.key_prefix != "00"
        {
            return Err("not one of this relay's challenges");
        }
        let result = altcha::verify_solution(altcha::VerifySolutionOptions::new(
            &payload.challenge,
            &payload.solution,
            self.secret.expose(),
        ))
        .map_err(|_| "unreadable")?;
        if result.expired {
            return Err("expired: solve a new challenge");
        }
        if !result.verified {
            return Err("wrong: the signature or the solution does not match");
        }
        // The solution must also meet the prefix (verify_solution checks
        // the key derivation only).
        if !payload.solution.derived_key.starts_with("00") {
            return Err("wrong: the derived key does not start with the prefix");
        }
        let signature = payload.challenge.signature.unwrap_or_default();
        Ok((
            signature,
            payload.challenge.parameters.expires_at.unwrap_or(0),
        ))
    }
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
            proof_of_work: None,
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
    fn the_headers_are_the_ones_the_portal_sends() {
        use frontline_core::adapters as a;
        assert!(TRAP_HEADER.eq_ignore_ascii_case(a::TRAP_HEADER));
        assert!(ELAPSED_HEADER.eq_ignore_ascii_case(a::ELAPSED_HEADER));
        let sent = a::signal_headers("bot", 1234);
        assert!(sent
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(TRAP_HEADER) && v == "bot"));
        assert!(sent
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(ELAPSED_HEADER) && v == "1234"));
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

#[cfg(test)]
mod pow_tests {
    use super::*;
    use base64::Engine;

    fn pow() -> Pow {
        Pow {
            secret: crate::config::Secret::from_literal("a-test-secret-of-some-length"),
            cost: 10,
            valid: Duration::from_secs(600),
        }
    }

    fn solve(challenge: &str) -> String {
        let c: altcha::Challenge = serde_json::from_str(challenge).unwrap();
        let solution = altcha::solve_challenge(altcha::SolveChallengeOptions::new(&c))
            .unwrap()
            .unwrap();
        let payload = altcha::Payload {
            challenge: c,
            solution,
        };
        base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&payload).unwrap())
    }

    #[test]
    fn a_solved_challenge_passes_and_anything_else_is_named() {
        let p = pow();
        let now = 1_900_000_000;
        let header = solve(&p.challenge(now).unwrap());
        let (sig, expires) = p.check(Some(&header)).unwrap();
        assert!(!sig.is_empty() && expires == now + 600);
        assert!(p.check(None).unwrap_err().starts_with("missing"));
        assert_eq!(p.check(Some("%%%")).unwrap_err(), "not base64");
        // Signed with another key: refused.
        let other = Pow {
            secret: crate::config::Secret::from_literal("another-secret-entirely"),
            ..pow()
        };
        assert!(other.check(Some(&header)).unwrap_err().starts_with("wrong"));
        // Cheaper than asked: refused.
        let cheap = Pow { cost: 1, ..pow() };
        let h = solve(&cheap.challenge(now).unwrap());
        assert_eq!(
            p.check(Some(&h)).unwrap_err(),
            "not one of this relay's challenges"
        );
        // Expired.
        let old = solve(&p.challenge(1_000).unwrap());
        assert!(p.check(Some(&old)).unwrap_err().starts_with("expired"));
    }
}
