//! Fault injection, for tests of the portal's delivery (off unless the
//! server was started with `--enable-faults`).
//!
//! `POST /_faults` with any of these fields sets them (others unchanged);
//! `DELETE /_faults` clears everything; `GET /_faults` shows the state:
//!
//! | field | effect on `POST /intake` |
//! |---|---|
//! | `fail_next: {count, status}` | the next `count` answer `status` (default 503), storing nothing |
//! | `fail_ratio` + `status` | each answers `status` (default 503) with this probability, storing nothing |
//! | `delay_ms` | each waits this long first |
//! | `drop_connection_next` | the next N have their TCP connection closed without an answer |
//! | `fail_after_store_next` | the next N are stored, then answered 503 (a retry must dedupe) |
//! | `down_for_ms` | for this long every request on any path but `/_faults` has its connection closed without an answer |

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// `fail_next` in a fault specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailNext {
    /// How many requests.
    pub count: u32,
    /// The status to answer (default 503).
    #[serde(default = "default_status")]
    pub status: u16,
}

fn default_status() -> u16 {
    503
}

/// What `POST /_faults` accepts.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Fail the next requests.
    pub fail_next: Option<FailNext>,
    /// Fail this fraction (0 to 1) of requests.
    pub fail_ratio: Option<f64>,
    /// Status for `fail_ratio`.
    pub status: Option<u16>,
    /// Delay every request.
    pub delay_ms: Option<u64>,
    /// Close the connection of the next requests.
    pub drop_connection_next: Option<u32>,
    /// Go down for this long.
    pub down_for_ms: Option<u64>,
    /// Store, then answer 503, for the next requests.
    pub fail_after_store_next: Option<u32>,
}

/// The current faults.
#[derive(Debug, Clone)]
pub struct Faults {
    fail_next: Option<FailNext>,
    fail_ratio: f64,
    status: u16,
    delay: Duration,
    drop_next: u32,
    down_until: Option<Instant>,
    fail_after_store_next: u32,
    rng: u64,
}

/// What to do with one `POST /intake`, decided before reading it further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Answer this status, store nothing.
    Fail(u16),
    /// Store, then answer 503.
    FailAfterStore,
    /// Handle normally.
    Normal,
}

impl Default for Faults {
    fn default() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Faults {
            fail_next: None,
            fail_ratio: 0.0,
            status: 503,
            delay: Duration::ZERO,
            drop_next: 0,
            down_until: None,
            fail_after_store_next: 0,
            rng: seed | 1,
        }
    }
}

impl Faults {
    /// Applies a specification (fields given replace the current ones).
    /// Errors name the field to fix.
    pub fn apply(&mut self, spec: &FaultSpec, now: Instant) -> Result<(), String> {
        if let Some(r) = spec.fail_ratio {
            if !(0.0..=1.0).contains(&r) {
                return Err(format!("fail_ratio must be between 0 and 1, not {r}"));
            }
        }
        for s in [spec.status, spec.fail_next.map(|f| f.status)]
            .into_iter()
            .flatten()
        {
            if !(100..=599).contains(&s) {
                return Err(format!("status must be an HTTP status (100-599), not {s}"));
            }
        }
        if let Some(f) = spec.fail_next {
            self.fail_next = (f.count > 0).then_some(f);
        }
        if let Some(r) = spec.fail_ratio {
            self.fail_ratio = r;
        }
        if let Some(s) = spec.status {
            self.status = s;
        }
        if let Some(ms) = spec.delay_ms {
            self.delay = Duration::from_millis(ms.min(120_000));
        }
        if let Some(n) = spec.drop_connection_next {
            self.drop_next = n;
        }
        if let Some(ms) = spec.down_for_ms {
            self.down_until = Some(now + Duration::from_millis(ms.min(600_000)));
        }
        if let Some(n) = spec.fail_after_store_next {
            self.fail_after_store_next = n;
        }
        Ok(())
    }

    /// The state as JSON (for `GET`/`POST /_faults`).
    pub fn describe(&self, now: Instant) -> serde_json::Value {
        serde_json::json!({
            "fail_next": self.fail_next,
            "fail_ratio": self.fail_ratio,
            "status": self.status,
            "delay_ms": u64::try_from(self.delay.as_millis()).unwrap_or(u64::MAX),
            "drop_connection_next": self.drop_next,
            "down_for_ms": self.down_until
                .map(|t| u64::try_from(t.saturating_duration_since(now).as_millis()).unwrap_or(u64::MAX))
                .unwrap_or(0),
            "fail_after_store_next": self.fail_after_store_next,
        })
    }

    /// Whether the server is "down" at `now`.
    pub fn is_down(&self, now: Instant) -> bool {
        self.down_until.is_some_and(|t| now < t)
    }

    /// Takes one "drop the connection" if any is left.
    pub fn take_drop(&mut self) -> bool {
        if self.drop_next > 0 {
            self.drop_next -= 1;
            true
        } else {
            false
        }
    }

    /// The delay to apply to each request.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// Decides the fate of one request (consuming counters).
    pub fn plan(&mut self) -> Plan {
        if let Some(f) = &mut self.fail_next {
            let status = f.status;
            f.count = f.count.saturating_sub(1);
            if f.count == 0 {
                self.fail_next = None;
            }
            return Plan::Fail(status);
        }
        if self.fail_ratio > 0.0 && self.next_unit() < self.fail_ratio {
            return Plan::Fail(self.status);
        }
        if self.fail_after_store_next > 0 {
            self.fail_after_store_next -= 1;
            return Plan::FailAfterStore;
        }
        Plan::Normal
    }

    /// A number in [0, 1) (xorshift64*; quality is irrelevant here).
    fn next_unit(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        let v = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        v as f64 / (1u64 << 53) as f64
    }
}
