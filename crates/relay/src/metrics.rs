//! `/metrics`, in the Prometheus text format (version 0.0.4): what this
//! instance received, refused (by reason), forwarded, failed and gave up on,
//! how long forwarding took, and the queue's depth (from the database, so
//! the same on every instance).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use crate::store::Depth;

/// Upper bounds (seconds) of the forward latency histogram: from the
/// request's arrival to its ticket.
pub const LATENCY_BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0];

/// The counters of one instance since it started.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    received: u64,
    replayed: u64,
    refused: BTreeMap<&'static str, u64>,
    forwarded: BTreeMap<String, u64>,
    failed: BTreeMap<String, u64>,
    dead: BTreeMap<String, u64>,
    latency: [u64; LATENCY_BUCKETS.len()],
    latency_count: u64,
    latency_sum: f64,
    events: u64,
}

/// Why a request was refused (the `reason` label).
pub mod reason {
    /// The body was larger than allowed.
    pub const TOO_LARGE: &str = "too_large";
    /// Not JSON, not a request, or invalid fields.
    pub const INVALID: &str = "invalid";
    /// The decision did not match the partner's ruleset and the relay is set
    /// to refuse.
    pub const MISMATCH: &str = "mismatch";
    /// The honeypot field was filled.
    pub const HONEYPOT: &str = "honeypot";
    /// Sent too soon after the portal opened.
    pub const TOO_FAST: &str = "too_fast";
    /// A per-IP or global rate limit.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// The proof of work was missing or wrong.
    pub const PROOF_OF_WORK: &str = "proof_of_work";
    /// The database was unreachable (503).
    pub const UNAVAILABLE: &str = "unavailable";
    /// The origin is not allowed.
    pub const ORIGIN: &str = "origin";
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Counts)) {
        f(&mut self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner));
    }

    /// A request stored.
    pub fn received(&self) {
        self.with(|c| c.received += 1);
    }

    /// A repeat of a stored request, answered from its first answer.
    pub fn replayed(&self) {
        self.with(|c| c.replayed += 1);
    }

    /// A request refused for `reason` (one of [`reason`]).
    pub fn refused(&self, reason: &'static str) {
        self.with(|c| *c.refused.entry(reason).or_default() += 1);
    }

    /// A ticket created (or found) at `destination`, `seconds` after the
    /// request arrived.
    pub fn forwarded(&self, destination: &str, seconds: f64) {
        self.with(|c| {
            *c.forwarded.entry(destination.to_string()).or_default() += 1;
            for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    c.latency[i] += 1;
                }
            }
            c.latency_count += 1;
            c.latency_sum += seconds;
        });
    }

    /// An attempt that failed and will be retried.
    pub fn failed(&self, destination: &str) {
        self.with(|c| *c.failed.entry(destination.to_string()).or_default() += 1);
    }

    /// A job given up on (a dead letter).
    pub fn dead(&self, destination: &str) {
        self.with(|c| *c.dead.entry(destination.to_string()).or_default() += 1);
    }

    /// A funnel event stored.
    pub fn event(&self) {
        self.with(|c| c.events += 1);
    }

    /// The text `/metrics` answers, with the queue's `depth`.
    pub fn render(&self, depth: &[Depth]) -> String {
        let c = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut s = String::new();
        let n = family(
            &mut s,
            "frontline_requests_received_total",
            "counter",
            "Requests stored by this instance.",
        );
        let _ = writeln!(s, "{n} {}", c.received);
        let n = family(
            &mut s,
            "frontline_requests_replayed_total",
            "counter",
            "Repeats of a stored request (same Idempotency-Key), answered without storing.",
        );
        let _ = writeln!(s, "{n} {}", c.replayed);
        let n = family(
            &mut s,
            "frontline_requests_refused_total",
            "counter",
            "Requests refused, by reason.",
        );
        for (r, v) in &c.refused {
            let _ = writeln!(s, "{n}{{reason=\"{r}\"}} {v}");
        }
        for (name, help, map) in [
            (
                "frontline_forwards_total",
                "Tickets created (or found after an ambiguous failure), by destination.",
                &c.forwarded,
            ),
            (
                "frontline_forward_failures_total",
                "Forward attempts that failed and will be retried, by destination.",
                &c.failed,
            ),
            (
                "frontline_forwards_dead_total",
                "Forward jobs given up on (dead letters), by destination.",
                &c.dead,
            ),
        ] {
            let n = family(&mut s, name, "counter", help);
            for (d, v) in map {
                let _ = writeln!(s, "{n}{{destination=\"{}\"}} {v}", label(d));
            }
        }
        let n = family(
            &mut s,
            "frontline_queue_depth",
            "gauge",
            "Forward jobs by destination and state, in the shared database.",
        );
        for d in depth {
            for (state, v) in [("pending", d.pending), ("dead", d.dead), ("done", d.done)] {
                let _ = writeln!(
                    s,
                    "{n}{{destination=\"{}\",state=\"{state}\"}} {v}",
                    label(&d.destination)
                );
            }
        }
        let n = family(
            &mut s,
            "frontline_forward_latency_seconds",
            "histogram",
            "From a request's arrival to its ticket at a destination.",
        );
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            let _ = writeln!(s, "{n}_bucket{{le=\"{bound}\"}} {}", c.latency[i]);
        }
        let _ = writeln!(s, "{n}_bucket{{le=\"+Inf\"}} {}", c.latency_count);
        let _ = writeln!(s, "{n}_sum {}", c.latency_sum);
        let _ = writeln!(s, "{n}_count {}", c.latency_count);
        let n = family(
            &mut s,
            "frontline_events_total",
            "counter",
            "Anonymous funnel events stored.",
        );
        let _ = writeln!(s, "{n} {}", c.events);
        s
    }
}

/// Writes a metric family's HELP and TYPE lines; returns its name.
fn family(s: &mut String, name: &str, kind: &str, help: &str) -> String {
    let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}");
    name.to_string()
}

/// A label value, escaped per the text format (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_text_format() {
        let m = Metrics::default();
        m.received();
        m.received();
        m.refused(reason::HONEYPOT);
        m.forwarded("desk", 0.2);
        m.forwarded("desk", 7.0);
        m.failed("desk");
        let text = m.render(&[Depth {
            destination: "desk".into(),
            pending: 3,
            dead: 1,
            done: 2,
        }]);
        assert!(
            text.contains("frontline_requests_received_total 2\n"),
            "{text}"
        );
        assert!(text.contains("frontline_requests_refused_total{reason=\"honeypot\"} 1\n"));
        assert!(text.contains("frontline_forwards_total{destination=\"desk\"} 2\n"));
        assert!(text.contains("frontline_forward_failures_total{destination=\"desk\"} 1\n"));
        assert!(text.contains("frontline_queue_depth{destination=\"desk\",state=\"pending\"} 3\n"));
        assert!(text.contains("frontline_forward_latency_seconds_bucket{le=\"0.25\"} 1\n"));
        assert!(text.contains("frontline_forward_latency_seconds_bucket{le=\"15\"} 2\n"));
        assert!(text.contains("frontline_forward_latency_seconds_count 2\n"));
        assert!(text.contains("# TYPE frontline_forward_latency_seconds histogram\n"));
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
