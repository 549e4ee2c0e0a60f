//! The SQLite back end: one file (or memory), one connection per process,
//! statements run off the async threads. Write transactions are
//! `IMMEDIATE`, so several processes sharing the file stay correct (if
//! slower than PostgreSQL).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{
    reference, seq_of, Answer, Claimed, Depth, EventKey, Finish, Inserted, JobState, JobView,
    NewRequest, Query, StoreError, Stored,
};

/// The schema, one step per version (`PRAGMA user_version`). Version 1 is
/// the reference intake's table, so an intake database opens as is.
const MIGRATIONS: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS requests (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        idempotency_key TEXT NOT NULL UNIQUE,
        request_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        body TEXT NOT NULL,
        verification TEXT,
        matches INTEGER,
        response_status INTEGER NOT NULL,
        response_body TEXT NOT NULL
    );",
    // Bodies become nullable (purge, erasure): SQLite cannot drop NOT NULL
    // in place, so the table is rebuilt.
    "CREATE TABLE requests_v2 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        idempotency_key TEXT NOT NULL UNIQUE,
        request_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        received_ms INTEGER NOT NULL DEFAULT 0,
        body TEXT,
        verification TEXT,
        matches INTEGER,
        response_status INTEGER NOT NULL,
        response_body TEXT NOT NULL,
        purged_at TEXT,
        held TEXT
    );
    INSERT INTO requests_v2 (seq, idempotency_key, request_id, received_at, body, verification, matches, response_status, response_body)
        SELECT seq, idempotency_key, request_id, received_at, body, verification, matches, response_status, response_body FROM requests;
    DROP TABLE requests;
    ALTER TABLE requests_v2 RENAME TO requests;
    CREATE INDEX requests_request_id ON requests(request_id);
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        request_seq INTEGER NOT NULL REFERENCES requests(seq),
        destination TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        maybe_sent INTEGER NOT NULL DEFAULT 0,
        in_flight INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        lease_until INTEGER,
        claimed_by TEXT,
        last_error TEXT,
        ticket_id TEXT,
        ticket_url TEXT,
        done_at INTEGER,
        UNIQUE (request_seq, destination)
    );
    CREATE INDEX jobs_due ON jobs(state, next_at);
    CREATE TABLE rate_windows (
        bucket TEXT NOT NULL,
        window_ms INTEGER NOT NULL,
        hits INTEGER NOT NULL,
        PRIMARY KEY (bucket, window_ms)
    );
    CREATE TABLE funnel (
        day TEXT NOT NULL, ruleset TEXT NOT NULL, kind TEXT NOT NULL, stage TEXT NOT NULL,
        product TEXT NOT NULL, problem TEXT NOT NULL, node TEXT NOT NULL, handler TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, ruleset, kind, stage, product, problem, node, handler)
    );",
];

/// An open SQLite database.
#[derive(Clone)]
pub struct Sqlite {
    conn: Arc<Mutex<Connection>>,
}

/// The connection, while a statement runs.
pub struct Db<'a> {
    conn: MutexGuard<'a, Connection>,
}

fn err(what: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |e| StoreError(format!("{what}: {e}"))
}

impl Sqlite {
    /// Opens (creating it and its folder if missing) the database at
    /// `path`, or an in-memory one when `path` is `None`, and migrates it.
    pub fn open(path: Option<&Path>) -> Result<Sqlite, String> {
        let conn = match path {
            None => Connection::open_in_memory(),
            Some(p) => {
                if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        format!(
                            "cannot create the folder {} for the database: {e}; choose another database path",
                            dir.display()
                        )
                    })?;
                }
                Connection::open(p)
            }
        }
        .map_err(|e| {
            format!(
                "cannot open the database {}: {e}; check the database path and its permissions",
                path.map_or(":memory:".into(), |p| p.display().to_string())
            )
        })?;
        let _ = conn.busy_timeout(std::time::Duration::from_secs(5));
        if path.is_some() {
            // Readers do not block the writer; survives a crash mid-write.
            let _: Result<String, _> = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0));
        }
        migrate(&conn).map_err(|e| {
            format!("cannot prepare the tables: {e}; is the file a Frontline relay database?")
        })?;
        Ok(Sqlite {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection, off the async threads.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Db<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave SQLite
            // half-written (the transaction rolls back): still usable.
            let guard = conn
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut Db { conn: guard })
        })
        .await
        .map_err(|e| StoreError(format!("the storage task failed: {e}")))?
    }
}

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let has_requests: bool = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'requests'",
            [],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false);
    // An intake database from before versions were recorded is version 1.
    let mut version = if version == 0 && has_requests {
        1
    } else {
        version
    };
    while (version as usize) < MIGRATIONS.len() {
        let step = MIGRATIONS[version as usize];
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {step} PRAGMA user_version = {}; COMMIT;",
            version + 1
        ))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
        version += 1;
    }
    Ok(())
}

/// A held request gets a plain 200 (a bot learns nothing); a stored one 201.
fn status_of(new: &NewRequest) -> u16 {
    if new.held.is_some() {
        200
    } else {
        201
    }
}

fn job_views(conn: &Connection, seq: i64) -> Result<Vec<JobView>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, destination, state, attempts, last_error, ticket_id, ticket_url, next_at
             FROM jobs WHERE request_seq = ?1 ORDER BY destination",
        )
        .map_err(err("cannot read the jobs"))?;
    let rows = stmt
        .query_map(params![seq], |r| {
            let state = JobState::parse(&r.get::<_, String>(2)?);
            Ok(JobView {
                id: r.get(0)?,
                destination: r.get(1)?,
                state,
                attempts: r.get(3)?,
                last_error: r.get(4)?,
                ticket_id: r.get(5)?,
                ticket_url: r.get(6)?,
                next_at_ms: (state == JobState::Pending).then(|| r.get(7)).transpose()?,
            })
        })
        .map_err(err("cannot read the jobs"))?;
    rows.collect::<Result<_, _>>()
        .map_err(err("cannot read the jobs"))
}

impl Db<'_> {
    /// See [`super::Store::insert`].
    pub fn insert(&mut self, new: &NewRequest, answer: Answer) -> Result<Inserted, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("database busy"))?;
        let seen: Option<(u16, String)> = tx
            .query_row(
                "SELECT response_status, response_body FROM requests WHERE idempotency_key = ?1",
                params![new.key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(err("cannot read the database"))?;
        if let Some((status, body)) = seen {
            return Ok(Inserted::Replay(status, body));
        }
        tx.execute(
            "INSERT INTO requests (idempotency_key, request_id, received_at, received_ms, body, verification, matches, response_status, response_body, held)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '', ?9)",
            params![
                new.key,
                new.request_id,
                new.received_at,
                new.received_ms,
                new.body,
                new.verification.as_ref().map(|v| &v.0),
                new.verification.as_ref().map(|v| v.1),
                status_of(new),
                new.held,
            ],
        )
        .map_err(err("cannot store the request"))?;
        let seq = tx.last_insert_rowid();
        let response = answer(&reference(seq), &new.request_id);
        tx.execute(
            "UPDATE requests SET response_body = ?1 WHERE seq = ?2",
            params![response, seq],
        )
        .map_err(err("cannot store the answer"))?;
        for d in new.destinations.iter().filter(|_| new.held.is_none()) {
            tx.execute(
                "INSERT INTO jobs (request_seq, destination, next_at) VALUES (?1, ?2, ?3)",
                params![seq, d, new.received_ms],
            )
            .map_err(err("cannot store the forward job"))?;
        }
        tx.commit().map_err(err("cannot commit the request"))?;
        Ok(Inserted::New(status_of(new), response))
    }

    /// See [`super::Store::claim`].
    pub fn claim(
        &mut self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let now_ms = now_ms.max(super::now_ms());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("database busy"))?;
        let mut claimed = Vec::new();
        {
            let mut due = tx
                .prepare_cached(
                    "SELECT j.id, j.request_seq, j.destination, j.attempts, j.maybe_sent, j.in_flight,
                            r.body, r.verification, r.received_ms
                     FROM jobs j JOIN requests r ON r.seq = j.request_seq
                     WHERE j.state = 'pending' AND j.next_at <= ?1
                       AND (j.lease_until IS NULL OR j.lease_until <= ?1)
                     ORDER BY j.next_at, j.id LIMIT ?2",
                )
                .map_err(err("cannot read the jobs"))?;
            let rows = due
                .query_map(
                    params![now_ms, i64::try_from(limit).unwrap_or(i64::MAX)],
                    |r| {
                        let attempts: u32 = r.get(3)?;
                        let maybe_sent: bool = r.get(4)?;
                        let in_flight: bool = r.get(5)?;
                        Ok(Claimed {
                            job: r.get(0)?,
                            reference: reference(r.get(1)?),
                            destination: r.get(2)?,
                            attempt: attempts + 1,
                            look_up_first: maybe_sent || in_flight,
                            body: r.get(6)?,
                            verification: r.get(7)?,
                            received_ms: r.get(8)?,
                            lease_until_ms: now_ms + lease_ms,
                        })
                    },
                )
                .map_err(err("cannot read the jobs"))?;
            for row in rows {
                claimed.push(row.map_err(err("cannot read the jobs"))?);
            }
            let mut take = tx
                .prepare_cached(
                    // An attempt still in flight died with its worker: it may
                    // have sent, and that is remembered even if this claim
                    // gives the job back unsent.
                    "UPDATE jobs SET attempts = attempts + 1, maybe_sent = maybe_sent OR in_flight, in_flight = 1,
                            lease_until = ?2, claimed_by = ?3
                     WHERE id = ?1",
                )
                .map_err(err("cannot claim the job"))?;
            for c in &claimed {
                take.execute(params![c.job, now_ms + lease_ms, worker])
                    .map_err(err("cannot claim the job"))?;
            }
        }
        tx.commit().map_err(err("cannot claim the jobs"))?;
        Ok(claimed)
    }

    /// See [`super::Store::finish`].
    pub fn finish(
        &mut self,
        job: i64,
        worker: &str,
        finish: &Finish,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let held = "id = ?1 AND claimed_by = ?2 AND state = 'pending'";
        let n = match finish {
            Finish::Done { ticket_id, url } => self.conn.execute(
                &format!("UPDATE jobs SET state = 'done', in_flight = 0, lease_until = NULL, ticket_id = ?3, ticket_url = ?4, done_at = ?5, last_error = NULL WHERE {held}"),
                params![job, worker, ticket_id, url, now_ms],
            ),
            Finish::Retry { at_ms, error, maybe_sent } => self.conn.execute(
                &format!("UPDATE jobs SET in_flight = 0, lease_until = NULL, next_at = ?3, last_error = ?4, maybe_sent = maybe_sent OR ?5 WHERE {held}"),
                params![job, worker, at_ms, error, maybe_sent],
            ),
            Finish::Postpone { at_ms } => self.conn.execute(
                &format!("UPDATE jobs SET in_flight = 0, lease_until = NULL, next_at = ?3, attempts = attempts - 1 WHERE {held}"),
                params![job, worker, at_ms],
            ),
            Finish::Dead { error, maybe_sent } => self.conn.execute(
                &format!("UPDATE jobs SET state = 'dead', in_flight = 0, lease_until = NULL, last_error = ?3, maybe_sent = maybe_sent OR ?4 WHERE {held}"),
                params![job, worker, error, maybe_sent],
            ),
        }
        .map_err(err("cannot record the attempt"))?;
        Ok(n == 1)
    }

    /// See [`super::Store::retry_now`].
    pub fn retry_now(&mut self, job: i64, now_ms: i64) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE jobs SET state = 'pending', attempts = 0, next_at = ?2, lease_until = NULL
                 WHERE id = ?1 AND state IN ('dead', 'pending')",
                params![job, now_ms],
            )
            .map_err(err("cannot reschedule the job"))?;
        Ok(n == 1)
    }

    /// See [`super::Store::list`].
    pub fn list(&mut self, q: &Query) -> Result<Vec<Stored>, StoreError> {
        let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
        let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let by_seq = search.and_then(seq_of).unwrap_or(-1);
        let by_id = search.unwrap_or("");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, request_id, received_at, body, verification, held FROM requests r
                 WHERE (?1 = 0 OR seq = ?2 OR request_id = ?3)
                   AND (?4 = 0 OR EXISTS (SELECT 1 FROM jobs j WHERE j.request_seq = r.seq AND j.state = 'dead'))
                   AND (?6 = 0 OR held IS NOT NULL)
                 ORDER BY seq DESC LIMIT ?5",
            )
            .map_err(err("cannot read the database"))?;
        let rows = stmt
            .query_map(
                params![
                    search.is_some(),
                    by_seq,
                    by_id,
                    q.dead_only,
                    limit,
                    q.held_only
                ],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                },
            )
            .map_err(err("cannot read the database"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(err("cannot read the database"))?;
        drop(stmt);
        rows.into_iter()
            .map(|(seq, request_id, received_at, body, verification, held)| {
                Ok(Stored {
                    reference: reference(seq),
                    request_id,
                    received_at,
                    body,
                    verification,
                    jobs: job_views(&self.conn, seq)?,
                    held,
                })
            })
            .collect()
    }

    /// See [`super::Store::count`].
    pub fn count(&mut self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0))
            .map_err(err("cannot read the database"))
    }

    /// See [`super::Store::depth`].
    pub fn depth(&mut self) -> Result<Vec<Depth>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT destination,
                        SUM(state = 'pending'), SUM(state = 'dead'), SUM(state = 'done')
                 FROM jobs GROUP BY destination ORDER BY destination",
            )
            .map_err(err("cannot read the jobs"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Depth {
                    destination: r.get(0)?,
                    pending: r.get(1)?,
                    dead: r.get(2)?,
                    done: r.get(3)?,
                })
            })
            .map_err(err("cannot read the jobs"))?;
        rows.collect::<Result<_, _>>()
            .map_err(err("cannot read the jobs"))
    }

    /// See [`super::Store::hit`].
    pub fn hit(&mut self, bucket: &str, window_ms: i64) -> Result<u64, StoreError> {
        self.conn
            .query_row(
                "INSERT INTO rate_windows (bucket, window_ms, hits) VALUES (?1, ?2, 1)
                 ON CONFLICT (bucket, window_ms) DO UPDATE SET hits = hits + 1
                 RETURNING hits",
                params![bucket, window_ms],
                |r| r.get(0),
            )
            .map_err(err("cannot count the request"))
    }

    /// See [`super::Store::forget_windows`].
    pub fn forget_windows(&mut self, before_ms: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM rate_windows WHERE window_ms < ?1",
                params![before_ms],
            )
            .map(drop)
            .map_err(err("cannot forget old counts"))
    }

    /// See [`super::Store::release`].
    pub fn release(
        &mut self,
        seq: i64,
        destinations: &[String],
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("database busy"))?;
        let n = tx
            .execute(
                "UPDATE requests SET held = NULL WHERE seq = ?1 AND held IS NOT NULL AND body IS NOT NULL",
                params![seq],
            )
            .map_err(err("cannot release the request"))?;
        if n == 1 {
            for d in destinations {
                tx.execute(
                    "INSERT INTO jobs (request_seq, destination, next_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (request_seq, destination) DO NOTHING",
                    params![seq, d, now_ms],
                )
                .map_err(err("cannot store the forward job"))?;
            }
        }
        tx.commit().map_err(err("cannot release the request"))?;
        Ok(n == 1)
    }

    /// See [`super::Store::add_events`].
    pub fn add_events(
        &mut self,
        day: &str,
        ruleset: &str,
        events: &[EventKey],
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("database busy"))?;
        {
            let mut up = tx
                .prepare_cached(
                    "INSERT INTO funnel (day, ruleset, kind, stage, product, problem, node, handler, count)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)
                     ON CONFLICT (day, ruleset, kind, stage, product, problem, node, handler)
                     DO UPDATE SET count = count + 1",
                )
                .map_err(err("cannot count the events"))?;
            for e in events {
                up.execute(params![
                    day, ruleset, e.kind, e.stage, e.product, e.problem, e.node, e.handler
                ])
                .map_err(err("cannot count the events"))?;
            }
        }
        tx.commit().map_err(err("cannot count the events"))
    }

    /// See [`super::Store::funnel`].
    pub fn funnel(&mut self, from: &str, to: &str) -> Result<Vec<(EventKey, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT kind, stage, product, problem, node, handler, SUM(count) FROM funnel
                 WHERE day >= ?1 AND day <= ?2
                 GROUP BY kind, stage, product, problem, node, handler",
            )
            .map_err(err("cannot read the funnel"))?;
        let rows = stmt
            .query_map(params![from, to], |r| {
                Ok((
                    EventKey {
                        kind: r.get(0)?,
                        stage: r.get(1)?,
                        product: r.get(2)?,
                        problem: r.get(3)?,
                        node: r.get(4)?,
                        handler: r.get(5)?,
                    },
                    r.get(6)?,
                ))
            })
            .map_err(err("cannot read the funnel"))?;
        rows.collect::<Result<_, _>>()
            .map_err(err("cannot read the funnel"))
    }

    /// See [`super::Store::purge`].
    pub fn purge(&mut self, before_ms: i64, now: &str) -> Result<u64, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE requests SET body = NULL, verification = NULL, purged_at = ?2
                 WHERE body IS NOT NULL AND (
                   (NOT EXISTS (SELECT 1 FROM jobs j WHERE j.request_seq = requests.seq)
                      AND received_ms < ?1)
                   OR (EXISTS (SELECT 1 FROM jobs j WHERE j.request_seq = requests.seq)
                      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.request_seq = requests.seq
                                      AND (j.state <> 'done' OR j.done_at >= ?1))))",
                params![before_ms, now],
            )
            .map_err(err("cannot purge"))?;
        Ok(n as u64)
    }

    /// See [`super::Store::erase`].
    pub fn erase(&mut self, seq: i64, now: &str) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("database busy"))?;
        let n = tx
            .execute(
                "UPDATE requests SET body = NULL, verification = NULL, purged_at = ?2, held = NULL WHERE seq = ?1",
                params![seq, now],
            )
            .map_err(err("cannot erase"))?;
        tx.execute(
            "UPDATE jobs SET state = 'erased', lease_until = NULL WHERE request_seq = ?1 AND state IN ('pending', 'dead')",
            params![seq],
        )
        .map_err(err("cannot erase"))?;
        tx.commit().map_err(err("cannot erase"))?;
        Ok(n == 1)
    }
}
