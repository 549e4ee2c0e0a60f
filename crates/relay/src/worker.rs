//! The forwarder: workers that claim due jobs from the store and hand each
//! request to its destination, exactly once.
//!
//! - A job is claimed with a lease; a worker that dies leaves it to another
//!   once the lease runs out.
//! - An attempt that may have reached the help desk (a timeout after the
//!   body was sent, a 5xx, a worker that died) marks the job: the next
//!   attempt first asks the help desk for a ticket carrying the Frontline
//!   id, and sends only if there is none.
//! - Failures are retried after an exponential backoff with jitter, never
//!   sooner than the help desk's `Retry-After`; a destination's documented
//!   rate limit is kept by postponing (queueing), not by failing.
//! - After `max_attempts`, or once the request is older than `max_age`, or
//!   at once for a permanent refusal (a 401, a 400), the job becomes a dead
//!   letter, shown to the admin with "retry now".

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use frontline_core::request::Request;
use frontline_core::{Ruleset, Verification};
use tokio::sync::Notify;

use crate::forward::{Destination, Failure, Sent, Ticket};
use crate::metrics::Metrics;
use crate::store::{now_ms, Claimed, Finish, Store};

/// How the forwarder retries.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Workers per instance (jobs forwarded at once).
    pub concurrency: usize,
    /// How long a claimed job is a worker's. Longer than a call can take
    /// (the help desk's answer timeout is a third of it).
    pub lease: Duration,
    /// Attempts before a dead letter.
    pub max_attempts: u32,
    /// A request older than this is not retried any more: a dead letter.
    pub max_age: Duration,
    /// The first retry's longest wait; each further one doubles it.
    pub backoff_base: Duration,
    /// The longest wait between attempts.
    pub backoff_cap: Duration,
    /// How often an idle worker looks for due jobs (new requests wake it at
    /// once; this finds retries and other instances' requests).
    pub poll: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            concurrency: 4,
            lease: Duration::from_secs(120),
            max_attempts: 12,
            max_age: Duration::from_secs(72 * 3600),
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(600),
            poll: Duration::from_secs(1),
        }
    }
}

impl Policy {
    /// The wait before the retry that follows attempt `attempt` (1 for the
    /// first): "equal jitter", half of `min(cap, base × 2^(attempt−1))` plus
    /// a random part of the other half (`random` in 0..=1), so waits grow
    /// and instances spread out; never less than `retry_after`.
    pub fn backoff(&self, attempt: u32, random: f64, retry_after: Option<Duration>) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let ceiling = self
            .backoff_base
            .saturating_mul(1u32 << exp)
            .min(self.backoff_cap);
        let wait = ceiling / 2 + ceiling.mul_f64(random.clamp(0.0, 1.0) / 2.0);
        wait.max(retry_after.unwrap_or(Duration::ZERO))
    }

    /// The answer timeout for help desk calls under this lease.
    pub fn answer_timeout(&self) -> Duration {
        (self.lease / 3).clamp(Duration::from_secs(1), crate::forward::http::ANSWER_TIMEOUT)
    }
}

/// The forwarder of one instance.
#[derive(Clone)]
pub struct Forwarder {
    store: Arc<Store>,
    destinations: Arc<BTreeMap<String, Arc<dyn Destination>>>,
    ruleset: Option<Arc<Ruleset>>,
    policy: Policy,
    metrics: Arc<Metrics>,
    wake: Arc<Notify>,
    worker: String,
}

impl Forwarder {
    /// A forwarder over `store` for `destinations`; `instance` names this
    /// process in the jobs' leases.
    pub fn new(
        store: Arc<Store>,
        destinations: Arc<BTreeMap<String, Arc<dyn Destination>>>,
        ruleset: Option<Arc<Ruleset>>,
        policy: Policy,
        metrics: Arc<Metrics>,
        wake: Arc<Notify>,
        instance: String,
    ) -> Forwarder {
        Forwarder {
            store,
            destinations,
            ruleset,
            policy,
            metrics,
            wake,
            worker: instance,
        }
    }

    /// Runs `policy.concurrency` workers until `stop` is notified.
    pub async fn run(self, stop: Arc<Notify>) {
        if self.destinations.is_empty() {
            stop.notified().await;
            return;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..self.policy.concurrency.max(1) {
            let mut me = self.clone();
            me.worker = format!("{}/{i}", self.worker);
            tasks.spawn(async move { me.work().await });
        }
        stop.notified().await;
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }

    async fn work(self) {
        loop {
            match self
                .store
                .claim(&self.worker, now_ms(), ms(self.policy.lease), 1)
                .await
            {
                Ok(jobs) if !jobs.is_empty() => {
                    for job in jobs {
                        self.forward(job).await;
                    }
                }
                Ok(_) => {
                    tokio::select! {
                        () = self.wake.notified() => {}
                        () = tokio::time::sleep(self.policy.poll) => {}
                    }
                }
                Err(e) => {
                    eprintln!("frontline-relay: cannot claim jobs ({e}); trying again");
                    tokio::time::sleep(self.policy.poll.max(Duration::from_millis(500))).await;
                }
            }
        }
    }

    /// One attempt at one job, recorded.
    pub async fn forward(&self, job: Claimed) -> Finish {
        let finish = self.attempt(&job).await;
        let now = now_ms();
        match &finish {
            Finish::Done { .. } => self.metrics.forwarded(
                &job.destination,
                (now - job.received_ms).max(0) as f64 / 1000.0,
            ),
            Finish::Retry { .. } => self.metrics.failed(&job.destination),
            Finish::Dead { .. } => self.metrics.dead(&job.destination),
            Finish::Postpone { .. } => {}
        }
        // A lost database here leaves the job leased: another attempt
        // follows when the lease runs out, looking the ticket up first.
        for _ in 0..3 {
            match self
                .store
                .finish(job.job, &self.worker, finish.clone(), now)
                .await
            {
                Ok(true) => break,
                Ok(false) => {
                    eprintln!(
                        "frontline-relay: {} to {}: the lease ran out before the attempt ended; another worker has it",
                        job.reference, job.destination
                    );
                    break;
                }
                Err(e) => {
                    eprintln!("frontline-relay: cannot record the attempt ({e})");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        finish
    }

    async fn attempt(&self, job: &Claimed) -> Finish {
        let Some(dest) = self.destinations.get(&job.destination) else {
            return Finish::Dead {
                error: format!(
                    "the destination \"{}\" is no longer in the configuration",
                    job.destination
                ),
                maybe_sent: false,
            };
        };
        let Some(ticket) = self.ticket(job) else {
            return Finish::Dead {
                error: "the stored request is missing or unreadable".into(),
                maybe_sent: false,
            };
        };
        if let Some(wait) = self.over_rate(&job.destination, dest.as_ref()).await {
            return Finish::Postpone {
                at_ms: now_ms() + ms(wait),
            };
        }
        if !self.call_fits(job) {
            return Finish::Postpone { at_ms: now_ms() };
        }
        if job.look_up_first {
            match dest.find(&ticket).await {
                Ok(Some(found)) => {
                    return Finish::Done {
                        ticket_id: found.ticket_id,
                        url: found.url,
                    }
                }
                Ok(None) => {}
                Err(f) => return self.after(job, f, true, dest.search_lag()),
            }
            if let Some(wait) = self.over_rate(&job.destination, dest.as_ref()).await {
                return Finish::Postpone {
                    at_ms: now_ms() + ms(wait),
                };
            }
            if !self.call_fits(job) {
                return Finish::Postpone { at_ms: now_ms() };
            }
        }
        match dest.create(&ticket).await {
            Ok(d) => Finish::Done {
                ticket_id: d.ticket_id,
                url: d.url,
            },
            Err(f) => self.after(job, f, job.look_up_first, dest.search_lag()),
        }
    }

    /// Whether a call started now ends (answer timeout included) before
    /// the job's lease does. A worker stalled since its claim (a loaded
    /// machine, a slow database) must not send once another may have taken
    /// the job: it gives the job back instead.
    fn call_fits(&self, job: &Claimed) -> bool {
        now_ms() + ms(self.policy.answer_timeout()) < job.lease_until_ms
    }

    /// What follows a failure.
    fn after(&self, job: &Claimed, f: Failure, was_maybe: bool, lag: Duration) -> Finish {
        let maybe_sent = was_maybe || f.sent == Sent::Maybe;
        let age = Duration::from_millis((now_ms() - job.received_ms).max(0) as u64);
        if f.permanent {
            return Finish::Dead {
                error: f.message,
                maybe_sent,
            };
        }
        if job.attempt >= self.policy.max_attempts {
            return Finish::Dead {
                error: format!("gave up after {} attempts: {}", job.attempt, f.message),
                maybe_sent,
            };
        }
        if age >= self.policy.max_age {
            return Finish::Dead {
                error: format!(
                    "gave up: the request is older than {} h: {}",
                    self.policy.max_age.as_secs() / 3600,
                    f.message
                ),
                maybe_sent,
            };
        }
        let mut wait = self
            .policy
            .backoff(job.attempt, fastrand::f64(), f.retry_after);
        if maybe_sent {
            // The look-up that comes next must be able to see the ticket.
            wait = wait.max(lag);
        }
        Finish::Retry {
            at_ms: now_ms() + ms(wait),
            error: f.message,
            maybe_sent,
        }
    }

    fn ticket(&self, job: &Claimed) -> Option<Ticket> {
        let body = job.body.as_ref()?;
        let request: Request = serde_json::from_str(body).ok()?;
        let flagged = job
            .verification
            .as_deref()
            .and_then(|v| serde_json::from_str::<Verification>(v).ok())
            .filter(|v| !v.matches)
            .map(|v| {
                v.differences
                    .iter()
                    .map(|d| {
                        format!(
                            "{}: the request says {}, the ruleset says {}",
                            d.field, d.recorded, d.recomputed
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            });
        Some(Ticket::new(
            request,
            body.clone(),
            job.reference.clone(),
            self.ruleset.as_deref(),
            flagged,
        ))
    }

    /// `Some(wait)` when `dest`'s calls this minute, counted across every
    /// instance in the database, are used up.
    async fn over_rate(&self, name: &str, dest: &dyn Destination) -> Option<Duration> {
        let limit = dest.calls_per_minute()?;
        let now = now_ms();
        let window = now - now.rem_euclid(60_000);
        match self.store.hit(format!("forward:{name}"), window).await {
            Ok(n) if n > u64::from(limit) => {
                // Into the next minute, spread so the queue does not stampede.
                let spread = fastrand::u64(0..5_000);
                Some(Duration::from_millis(
                    (window + 60_000 - now) as u64 + spread,
                ))
            }
            _ => None,
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_respects_retry_after() {
        let p = Policy {
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(60),
            ..Policy::default()
        };
        assert_eq!(p.backoff(1, 0.0, None), Duration::from_secs(1));
        assert_eq!(p.backoff(1, 1.0, None), Duration::from_secs(2));
        assert_eq!(p.backoff(3, 0.0, None), Duration::from_secs(4));
        assert_eq!(p.backoff(3, 1.0, None), Duration::from_secs(8));
        assert_eq!(p.backoff(20, 1.0, None), Duration::from_secs(60));
        assert_eq!(p.backoff(20, 0.0, None), Duration::from_secs(30));
        assert_eq!(
            p.backoff(1, 0.5, Some(Duration::from_secs(90))),
            Duration::from_secs(90)
        );
        assert_eq!(p.answer_timeout(), Duration::from_secs(30));
        let short = Policy {
            lease: Duration::from_secs(6),
            ..Policy::default()
        };
        assert_eq!(short.answer_timeout(), Duration::from_secs(2));
    }
}
