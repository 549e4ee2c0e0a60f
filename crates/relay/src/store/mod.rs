//! Durable storage: requests, their forward jobs (one per destination), the
//! first answer given for each `Idempotency-Key`, and the counters of the
//! rate limits (kept here so that every instance sharing the database
//! shares them).
//!
//! Two back ends with the same behaviour: SQLite (a file, the default; one
//! machine) and PostgreSQL (several instances behind a load balancer).
//! Accepting a request writes it and its jobs in one transaction; workers
//! claim due jobs with a lease, so a worker that dies mid-forward leaves its
//! job to another once the lease runs out, marked to be looked up at the
//! help desk before it is sent again.

pub mod postgres;
pub mod sqlite;

use std::time::{SystemTime, UNIX_EPOCH};

/// A request to store.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The `Idempotency-Key` it came with.
    pub key: String,
    /// The request's own id (UUID).
    pub request_id: String,
    /// When it arrived, RFC 3339 UTC.
    pub received_at: String,
    /// When it arrived, milliseconds since the Unix epoch.
    pub received_ms: i64,
    /// The request JSON as received.
    pub body: String,
    /// The verification JSON and whether it matched, when the relay has a
    /// ruleset.
    pub verification: Option<(String, bool)>,
    /// One forward job is created for each (none while held).
    pub destinations: Vec<String>,
    /// Why the request is held as suspected spam instead of forwarded
    /// (`None`: forward it). The admin can release it.
    pub held: Option<String>,
}

/// What [`Store::insert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// Stored now; this is the answer (status, body).
    New(u16, String),
    /// The key was seen before; this was the first answer, unchanged.
    Replay(u16, String),
}

/// The answer body for a new request, from its reference and id.
pub type Answer = fn(reference: &str, request_id: &str) -> String;

/// A job a worker has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The job's id.
    pub job: i64,
    /// `FL-000123`.
    pub reference: String,
    /// The destination's name in the configuration.
    pub destination: String,
    /// This attempt's number (1 for the first).
    pub attempt: u32,
    /// An earlier attempt may have reached the help desk (it failed
    /// ambiguously, or its worker died): look the ticket up first.
    pub look_up_first: bool,
    /// The request JSON (`None` once erased).
    pub body: Option<String>,
    /// The verification JSON, if any.
    pub verification: Option<String>,
    /// When the request arrived (ms since the epoch).
    pub received_ms: i64,
    /// The job is this worker's until then (ms since the epoch): a call
    /// must end before it, or another worker may send too.
    pub lease_until_ms: i64,
}

/// How an attempt ended, as the worker records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// The help desk holds the ticket.
    Done {
        /// Its id at the help desk.
        ticket_id: String,
        /// A link to it.
        url: Option<String>,
    },
    /// Try again at `at_ms`.
    Retry {
        /// When (ms since the epoch).
        at_ms: i64,
        /// What went wrong, for the admin.
        error: String,
        /// The attempt may have created a ticket.
        maybe_sent: bool,
    },
    /// Not an attempt: the destination's rate limit is used up; try at
    /// `at_ms` without counting this one.
    Postpone {
        /// When (ms since the epoch).
        at_ms: i64,
    },
    /// Give up: a dead letter, shown to the admin with "retry now".
    Dead {
        /// Why.
        error: String,
        /// The attempt may have created a ticket.
        maybe_sent: bool,
    },
}

/// A job's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting to be forwarded (or being forwarded).
    Pending,
    /// Forwarded.
    Done,
    /// Given up on; waits for the admin.
    Dead,
    /// The request was erased before it was forwarded.
    Erased,
}

impl JobState {
    /// The database's text for it.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Done => "done",
            JobState::Dead => "dead",
            JobState::Erased => "erased",
        }
    }

    /// From the database's text.
    pub fn parse(s: &str) -> JobState {
        match s {
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            "erased" => JobState::Erased,
            _ => JobState::Pending,
        }
    }
}

/// A forward job, as the admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JobView {
    /// Its id (for "retry now").
    pub id: i64,
    /// The destination's name.
    pub destination: String,
    /// Where it stands.
    pub state: JobState,
    /// Attempts made.
    pub attempts: u32,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// The help desk's ticket id once forwarded.
    pub ticket_id: Option<String>,
    /// A link to the ticket.
    pub ticket_url: Option<String>,
    /// The next attempt (ms since the epoch), while pending.
    pub next_at_ms: Option<i64>,
}

/// A stored request, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// `FL-000123`.
    pub reference: String,
    /// The request's id (kept after a purge).
    pub request_id: String,
    /// When it arrived, RFC 3339 UTC.
    pub received_at: String,
    /// The request JSON as received; `None` once purged or erased.
    pub body: Option<String>,
    /// The verification JSON, when the server has a ruleset.
    pub verification: Option<String>,
    /// Its forward jobs.
    pub jobs: Vec<JobView>,
    /// Why it is held as suspected spam, until released.
    pub held: Option<String>,
}

/// What the listing shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// A reference (`FL-000123`, or just `123`) or a request id.
    pub search: Option<String>,
    /// Only requests with a dead letter.
    pub dead_only: bool,
    /// Only requests held as suspected spam.
    pub held_only: bool,
    /// At most this many, newest first.
    pub limit: usize,
}

/// Jobs per destination and state, for `/metrics` and the admin page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Depth {
    /// The destination's name.
    pub destination: String,
    /// Pending jobs.
    pub pending: u64,
    /// Dead letters.
    pub dead: u64,
    /// Forwarded.
    pub done: u64,
}

/// One funnel counter's key: an anonymous event as the portal sent it
/// (absent members are empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey {
    /// `step`, `resolved`, `escalated`, `submitted` or `abandoned`.
    pub kind: String,
    /// For steps and abandons: `product`, `problem`, `diagnosis`, `request`, `review`.
    pub stage: String,
    /// Product id.
    pub product: String,
    /// Kind-of-problem id.
    pub problem: String,
    /// Diagnosis node id.
    pub node: String,
    /// For escalations: the handler.
    pub handler: String,
}

/// The database, SQLite or PostgreSQL.
pub enum Store {
    /// A file (or memory), on one machine.
    Sqlite(sqlite::Sqlite),
    /// A server several instances share.
    Postgres(postgres::Postgres),
}

/// A storage failure: the database is unreachable or refused a statement.
/// The relay answers 503 and the portal retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Store {
    /// Opens `database`: `postgres://…`, `sqlite:PATH`, a bare path, or
    /// `:memory:` (tests); creates or migrates its tables.
    pub async fn open(database: &str) -> Result<Store, String> {
        if database.starts_with("postgres://") || database.starts_with("postgresql://") {
            return Ok(Store::Postgres(postgres::Postgres::open(database).await?));
        }
        let path = database.strip_prefix("sqlite:").unwrap_or(database);
        let path = (path != ":memory:").then(|| std::path::PathBuf::from(path));
        Ok(Store::Sqlite(sqlite::Sqlite::open(path.as_deref())?))
    }

    /// Stores a request and one pending job per destination in one
    /// transaction, unless its key was seen: then the first answer, and
    /// nothing stored.
    pub async fn insert(&self, new: NewRequest, answer: Answer) -> Result<Inserted, StoreError> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.insert(&new, answer)).await,
            Store::Postgres(p) => p.insert(&new, answer).await,
        }
    }

    /// Claims up to `limit` due jobs for `worker`, leased until
    /// `now + lease_ms`, where now is the later of `now_ms` and the time the
    /// claim is made (the claim may wait for the database: a lease must not
    /// start in the past).
    pub async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let worker = worker.to_string();
        match self {
            Store::Sqlite(s) => {
                s.run(move |db| db.claim(&worker, now_ms, lease_ms, limit))
                    .await
            }
            Store::Postgres(p) => p.claim(&worker, now_ms, lease_ms, limit).await,
        }
    }

    /// Records how `worker`'s attempt at `job` ended. `false` when the
    /// worker no longer held the job (its lease ran out and another took it).
    pub async fn finish(
        &self,
        job: i64,
        worker: &str,
        finish: Finish,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let worker = worker.to_string();
        match self {
            Store::Sqlite(s) => {
                s.run(move |db| db.finish(job, &worker, &finish, now_ms))
                    .await
            }
            Store::Postgres(p) => p.finish(job, &worker, &finish, now_ms).await,
        }
    }

    /// Makes a dead (or pending) job due now, with its attempts counted from
    /// zero again. `false` when there is no such job, or it is done.
    pub async fn retry_now(&self, job: i64, now_ms: i64) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.retry_now(job, now_ms)).await,
            Store::Postgres(p) => p.retry_now(job, now_ms).await,
        }
    }

    /// Requests, newest first, with their jobs.
    pub async fn list(&self, query: Query) -> Result<Vec<Stored>, StoreError> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.list(&query)).await,
            Store::Postgres(p) => p.list(&query).await,
        }
    }

    /// How many requests are stored.
    pub async fn count(&self) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(s) => s.run(|db| db.count()).await,
            Store::Postgres(p) => p.count().await,
        }
    }

    /// Jobs per destination and state.
    pub async fn depth(&self) -> Result<Vec<Depth>, StoreError> {
        match self {
            Store::Sqlite(s) => s.run(|db| db.depth()).await,
            Store::Postgres(p) => p.depth().await,
        }
    }

    /// Counts one hit in `bucket`'s window starting at `window_ms` and
    /// returns the window's count including it. Every instance sharing the
    /// database shares the counts.
    pub async fn hit(&self, bucket: String, window_ms: i64) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.hit(&bucket, window_ms)).await,
            Store::Postgres(p) => p.hit(&bucket, window_ms).await,
        }
    }

    /// Forgets rate-limit windows that started before `before_ms`.
    pub async fn forget_windows(&self, before_ms: i64) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.forget_windows(before_ms)).await,
            Store::Postgres(p) => p.forget_windows(before_ms).await,
        }
    }
}

impl Store {
    /// Forwards a held request after all: creates its jobs for
    /// `destinations`. `false` when there is no such held request.
    pub async fn release(
        &self,
        seq: i64,
        destinations: Vec<String>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(s) => {
                s.run(move |db| db.release(seq, &destinations, now_ms))
                    .await
            }
            Store::Postgres(p) => p.release(seq, &destinations, now_ms).await,
        }
    }

    /// Adds one to each event's counter for `day` (`YYYY-MM-DD`, UTC) and
    /// `ruleset`.
    pub async fn add_events(
        &self,
        day: String,
        ruleset: String,
        events: Vec<EventKey>,
    ) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => {
                s.run(move |db| db.add_events(&day, &ruleset, &events))
                    .await
            }
            Store::Postgres(p) => p.add_events(&day, &ruleset, &events).await,
        }
    }

    /// The funnel counters from `from` to `to` (days, inclusive), summed
    /// over days and rulesets.
    pub async fn funnel(
        &self,
        from: String,
        to: String,
    ) -> Result<Vec<(EventKey, u64)>, StoreError> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.funnel(&from, &to)).await,
            Store::Postgres(p) => p.funnel(&from, &to).await,
        }
    }

    /// Removes the personal data of requests that every destination
    /// received before `before_ms` (and of held or destination-less requests
    /// that arrived before it), keeping the reference, the ids and the
    /// tickets' ids. Returns how many were purged.
    pub async fn purge(&self, before_ms: i64, now: String) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.purge(before_ms, &now)).await,
            Store::Postgres(p) => p.purge(before_ms, &now).await,
        }
    }

    /// Erases one request's personal data now (GDPR Art. 17), forwarded or
    /// not; jobs not yet forwarded are cancelled. `false` when there is no
    /// such request.
    pub async fn erase(&self, seq: i64, now: String) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.erase(seq, &now)).await,
            Store::Postgres(p) => p.erase(seq, &now).await,
        }
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `FL-000123` from a row number.
pub fn reference(seq: i64) -> String {
    format!("FL-{seq:06}")
}

/// The row number in a reference or a bare number (`FL-000123`, `fl-123`,
/// `123`).
pub fn seq_of(reference: &str) -> Option<i64> {
    let r = reference.trim();
    let digits = r
        .strip_prefix("FL-")
        .or_else(|| r.strip_prefix("fl-"))
        .unwrap_or(r);
    digits
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0 && digits.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_round_trip() {
        assert_eq!(reference(123), "FL-000123");
        assert_eq!(reference(1_234_567), "FL-1234567");
        assert_eq!(seq_of("FL-000123"), Some(123));
        assert_eq!(seq_of(" fl-7 "), Some(7));
        assert_eq!(seq_of("42"), Some(42));
        assert_eq!(seq_of("FL-"), None);
        assert_eq!(seq_of("FL-+5"), None);
        assert_eq!(seq_of("0"), None);
    }
}
