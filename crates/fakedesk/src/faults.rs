//! Fault injection, shared by every fake desk. It applies to the create
//! calls only (`POST` of a ticket); look-ups always answer.
//!
//! Set with [`crate::FakeDesk::set_faults`] or `POST /_faults` with the
//! JSON of [`FaultSettings`] (it replaces the settings whole; `DELETE
//! /_faults` clears them). "30% of creates fail, half of them refused, the
//! rest created then answered 500; at most 5 creates a minute":
//!
//! ```json
//! {"failure_rate": 0.3, "seed": 7, "refuse_share": 0.5,
//!  "after_create": {"status": 500},
//!  "rate_limit": {"max_creates": 5, "window_ms": 60000, "retry_after_s": 30}}
//! ```
//!
//! `script` makes the next calls fail in a given order, before the random
//! draw applies: `{"script": [{"create_then": "drop"}, "pass", {"refuse": 500}]}`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// What a failure after the ticket was stored does: the ambiguous case,
/// where the caller cannot know that the ticket exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterCreate {
    /// Answer this status (500, 502, 503…) with the desk's error body.
    Status(u16),
    /// Close the connection half-way through the answer.
    Drop,
    /// Wait this many milliseconds, then answer normally (past the
    /// caller's timeout, it never sees the answer).
    StallMs(u64),
}

/// One scripted outcome of a create call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Behave normally.
    Pass,
    /// Answer this status without creating anything.
    Refuse(u16),
    /// Answer 429 with `Retry-After` of this many seconds, creating nothing.
    RateLimit(u64),
    /// Store the ticket, then fail so.
    CreateThen(AfterCreate),
}

/// At most `max_creates` create calls per window; the rest get 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Creates allowed per window.
    pub max_creates: u32,
    /// The window's length.
    pub window_ms: u64,
    /// The `Retry-After` header of a 429, in seconds.
    pub retry_after_s: u64,
}

/// The fault settings (all off by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultSettings {
    /// The fraction (0 to 1) of create calls that fail.
    pub failure_rate: f64,
    /// The seed of the draw: the same seed fails the same calls.
    pub seed: u64,
    /// Of the failures, the fraction refused before anything is stored;
    /// the others store the ticket, then fail as [`FaultSettings::after_create`] says.
    pub refuse_share: f64,
    /// The status of a refusal (503 by default).
    pub refuse_status: u16,
    /// What a failure after storing does (500 by default).
    pub after_create: AfterCreate,
    /// A limit on creates, answered with 429 and `Retry-After`.
    pub rate_limit: Option<RateLimit>,
    /// The next create calls' outcomes, in order, before the draw applies.
    pub script: Vec<Fault>,
}

impl Default for FaultSettings {
    fn default() -> Self {
        FaultSettings {
            failure_rate: 0.0,
            seed: 0,
            refuse_share: 0.5,
            refuse_status: 503,
            after_create: AfterCreate::Status(500),
            rate_limit: None,
            script: Vec::new(),
        }
    }
}

impl FaultSettings {
    /// The settings' problems, if any (rates outside 0 to 1, a status that
    /// is not an error).
    pub fn check(&self) -> Result<(), String> {
        for (name, v) in [
            ("failure_rate", self.failure_rate),
            ("refuse_share", self.refuse_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be between 0 and 1, not {v}"));
            }
        }
        let statuses = self.script.iter().filter_map(|f| match f {
            Fault::Refuse(s) | Fault::CreateThen(AfterCreate::Status(s)) => Some(*s),
            _ => None,
        });
        let after = match self.after_create {
            AfterCreate::Status(s) => Some(s),
            _ => None,
        };
        for s in statuses.chain(after).chain([self.refuse_status]) {
            if !(400..=599).contains(&s) {
                return Err(format!("{s} is not an error status (400 to 599)"));
            }
        }
        if self.rate_limit.is_some_and(|r| r.window_ms == 0) {
            return Err("rate_limit.window_ms must be more than 0".into());
        }
        Ok(())
    }
}

/// What the next create call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Create; then, if given, fail so.
    Create(Option<AfterCreate>),
    /// Answer this status, create nothing.
    Refuse(u16),
    /// Answer 429 with this `Retry-After`.
    RateLimited(u64),
}

/// The settings and their running state.
#[derive(Debug)]
pub(crate) struct Faults {
    pub(crate) settings: FaultSettings,
    script: VecDeque<Fault>,
    draws: u64,
    window: Option<(Instant, u32)>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults::new(FaultSettings::default())
    }
}

impl Faults {
    pub(crate) fn new(settings: FaultSettings) -> Faults {
        Faults {
            script: settings.script.iter().copied().collect(),
            settings,
            draws: 0,
            window: None,
        }
    }

    /// The settings as they stand (the script's remaining items).
    pub(crate) fn describe(&self) -> FaultSettings {
        FaultSettings {
            script: self.script.iter().copied().collect(),
            ..self.settings.clone()
        }
    }

    /// Decides the next create call.
    pub(crate) fn plan(&mut self, now: Instant) -> Plan {
        if let Some(f) = self.script.pop_front() {
            return match f {
                Fault::Pass => Plan::Create(None),
                Fault::Refuse(s) => Plan::Refuse(s),
                Fault::RateLimit(s) => Plan::RateLimited(s),
                Fault::CreateThen(a) => Plan::Create(Some(a)),
            };
        }
        if let Some(limit) = self.settings.rate_limit {
            let window = Duration::from_millis(limit.window_ms);
            let (start, count) = match self.window {
                Some((start, count)) if now.duration_since(start) < window => (start, count),
                _ => (now, 0),
            };
            if count >= limit.max_creates {
                self.window = Some((start, count));
                return Plan::RateLimited(limit.retry_after_s);
            }
            self.window = Some((start, count + 1));
        }
        let n = self.draws;
        self.draws += 1;
        let s = &self.settings;
        if unit(s.seed, 2 * n) < s.failure_rate {
            if unit(s.seed, 2 * n + 1) < s.refuse_share {
                Plan::Refuse(s.refuse_status)
            } else {
                Plan::Create(Some(s.after_create))
            }
        } else {
            Plan::Create(None)
        }
    }
}

/// A number in [0, 1) from `seed` and `n` (SplitMix64): deterministic, and
/// well spread for consecutive `n`.
fn unit(seed: u64, n: u64) -> f64 {
    let mut z = seed.wrapping_add(n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(settings: FaultSettings, n: usize) -> Vec<Plan> {
        let mut f = Faults::new(settings);
        let now = Instant::now();
        (0..n).map(|_| f.plan(now)).collect()
    }

    #[test]
    fn the_failure_rate_is_kept_and_the_seed_repeats_it() {
        let s = FaultSettings {
            failure_rate: 0.3,
            seed: 42,
            ..FaultSettings::default()
        };
        let a = run(s.clone(), 1000);
        assert_eq!(a, run(s.clone(), 1000), "same seed, same faults");
        let failed = a.iter().filter(|p| **p != Plan::Create(None)).count();
        assert!((250..350).contains(&failed), "{failed} of 1000 failed");
        let refused = a.iter().filter(|p| matches!(p, Plan::Refuse(503))).count();
        let ambiguous = a
            .iter()
            .filter(|p| matches!(p, Plan::Create(Some(AfterCreate::Status(500)))))
            .count();
        assert_eq!(refused + ambiguous, failed);
        assert!(refused > 100 && ambiguous > 100, "{refused} / {ambiguous}");
        let other = run(FaultSettings { seed: 43, ..s }, 1000);
        assert_ne!(a, other, "another seed, other faults");
    }

    #[test]
    fn the_script_goes_first_then_the_rate_limit() {
        let s = FaultSettings {
            script: vec![Fault::CreateThen(AfterCreate::Drop), Fault::Refuse(500)],
            rate_limit: Some(RateLimit {
                max_creates: 2,
                window_ms: 60_000,
                retry_after_s: 30,
            }),
            ..FaultSettings::default()
        };
        assert_eq!(
            run(s, 5),
            vec![
                Plan::Create(Some(AfterCreate::Drop)),
                Plan::Refuse(500),
                Plan::Create(None),
                Plan::Create(None),
                Plan::RateLimited(30),
            ]
        );
    }

    #[test]
    fn settings_read_from_json_and_are_checked() {
        let s: FaultSettings = serde_json::from_str(
            r#"{"failure_rate":0.3,"seed":7,"after_create":{"stall_ms":2000},
                "script":[{"create_then":"drop"},"pass",{"rate_limit":5}]}"#,
        )
        .unwrap();
        assert_eq!(s.after_create, AfterCreate::StallMs(2000));
        assert_eq!(s.script[2], Fault::RateLimit(5));
        assert!(s.check().is_ok());
        let bad = FaultSettings {
            failure_rate: 1.5,
            ..FaultSettings::default()
        };
        assert!(bad.check().unwrap_err().contains("failure_rate"));
        let bad = FaultSettings {
            script: vec![Fault::Refuse(200)],
            ..FaultSettings::default()
        };
        assert!(bad.check().unwrap_err().contains("200"));
        assert!(serde_json::from_str::<FaultSettings>(r#"{"fail_rate":1}"#).is_err());
    }
}
