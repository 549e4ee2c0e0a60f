//! The PostgreSQL back end: several relay instances share one database.
//!
//! Workers claim due jobs with `FOR UPDATE SKIP LOCKED`, so instances never
//! take the same job and never wait for each other; times come from the
//! database's clock, so instances on different machines agree on leases.
//! Connections come from a pool (deadpool-postgres) that replaces broken
//! ones by itself: while the database is down, statements fail (the relay
//! answers 503 and the portal retries), and once it is back the relay goes
//! on with no restart.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::{
    reference, seq_of, Answer, Claimed, Depth, EventKey, Finish, Inserted, JobState, JobView,
    NewRequest, Query, StoreError, Stored,
};

/// The schema, one step per version (table `frontline_schema`). Run at
/// start under an advisory lock, so instances starting together migrate
/// once.
const MIGRATIONS: [&str; 1] = ["
    CREATE TABLE requests (
        seq BIGSERIAL PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        request_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        received_ms BIGINT NOT NULL,
        body TEXT,
        verification TEXT,
        matches BOOLEAN,
        response_status INTEGER NOT NULL,
        response_body TEXT NOT NULL,
        purged_at TEXT,
        held TEXT
    );
    CREATE INDEX requests_request_id ON requests(request_id);
    CREATE TABLE jobs (
        id BIGSERIAL PRIMARY KEY,
        request_seq BIGINT NOT NULL REFERENCES requests(seq),
        destination TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        maybe_sent BOOLEAN NOT NULL DEFAULT false,
        in_flight BOOLEAN NOT NULL DEFAULT false,
        next_at BIGINT NOT NULL,
        lease_until BIGINT,
        claimed_by TEXT,
        last_error TEXT,
        ticket_id TEXT,
        ticket_url TEXT,
        done_at BIGINT,
        UNIQUE (request_seq, destination)
    );
    CREATE INDEX jobs_due ON jobs(next_at) WHERE state = 'pending';
    CREATE TABLE rate_windows (
        bucket TEXT NOT NULL,
        window_ms BIGINT NOT NULL,
        hits BIGINT NOT NULL,
        PRIMARY KEY (bucket, window_ms)
    );
    CREATE TABLE funnel (
        day TEXT NOT NULL, ruleset TEXT NOT NULL, kind TEXT NOT NULL, stage TEXT NOT NULL,
        product TEXT NOT NULL, problem TEXT NOT NULL, node TEXT NOT NULL, handler TEXT NOT NULL,
        count BIGINT NOT NULL,
        PRIMARY KEY (day, ruleset, kind, stage, product, problem, node, handler)
    );
"];

/// The key of the advisory lock migrations run under ("FLRELAY").
const MIGRATION_LOCK: i64 = 0x0046_4C52_454C_4159;

/// The database's clock in ms since the epoch, in SQL.
const DB_NOW: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// A pool of connections to one PostgreSQL database.
#[derive(Clone)]
pub struct Postgres {
    pool: Pool,
}

fn err(what: &'static str) -> impl Fn(tokio_postgres::Error) -> StoreError {
    move |e| StoreError(format!("{what}: {}", describe(&e)))
}

/// The error with its cause (tokio-postgres' own text is often just "db
/// error").
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    StoreError(format!("the database is unreachable: {e}"))
}

impl Postgres {
    /// Connects to `url` (`postgres://user:password@host:port/db`) and
    /// migrates the schema.
    pub async fn open(url: &str) -> Result<Postgres, String> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| {
            format!("the database URL is not a PostgreSQL URL ({e}); write postgres://user@host:5432/db")
        })?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // Checks each connection with a round trip before reuse, so
                // one closed by a database restart is replaced, not used.
                recycling_method: RecyclingMethod::Verified,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            // Longer waits for a connection than this answer 503: the portal
            // retries later rather than holding the customer.
            .wait_timeout(Some(std::time::Duration::from_secs(10)))
            .create_timeout(Some(std::time::Duration::from_secs(5)))
            .recycle_timeout(Some(std::time::Duration::from_secs(5)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| format!("cannot make the connection pool: {e}"))?;
        let pg = Postgres { pool };
        pg.migrate().await.map_err(|e| {
            format!("cannot prepare the tables in PostgreSQL: {e}; check the database URL, that the server runs and the user may create tables")
        })?;
        Ok(pg)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = client.transaction().await.map_err(err("cannot begin"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(err("cannot lock for the migration"))?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS frontline_schema (version INTEGER NOT NULL)")
            .await
            .map_err(err("cannot create the schema table"))?;
        let version: i32 = tx
            .query_opt("SELECT version FROM frontline_schema", &[])
            .await
            .map_err(err("cannot read the schema version"))?
            .map_or(0, |r| r.get(0));
        if version == 0 {
            tx.execute("INSERT INTO frontline_schema (version) VALUES (0)", &[])
                .await
                .map_err(err("cannot record the schema version"))?;
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(step)
                .await
                .map_err(err("cannot migrate the schema"))?;
            let v = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.execute("UPDATE frontline_schema SET version = $1", &[&v])
                .await
                .map_err(err("cannot record the schema version"))?;
        }
        tx.commit()
            .await
            .map_err(err("cannot commit the migration"))
    }

    /// See [`super::Store::insert`].
    pub async fn insert(&self, new: &NewRequest, answer: Answer) -> Result<Inserted, StoreError> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = client.transaction().await.map_err(err("cannot begin"))?;
        let status: i32 = if new.held.is_some() { 200 } else { 201 };
        let (verification, matches) = match &new.verification {
            Some((v, m)) => (Some(v.as_str()), Some(*m)),
            None => (None, None),
        };
        // A concurrent duplicate waits here for the first to commit, then
        // inserts nothing.
        let row = tx
            .query_opt(
                "INSERT INTO requests (idempotency_key, request_id, received_at, received_ms, body, verification, matches, response_status, response_body, held)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9)
                 ON CONFLICT (idempotency_key) DO NOTHING RETURNING seq",
                &[&new.key, &new.request_id, &new.received_at, &new.received_ms, &new.body, &verification, &matches, &status, &new.held],
            )
            .await
            .map_err(err("cannot store the request"))?;
        let Some(row) = row else {
            let seen = tx
                .query_one(
                    "SELECT response_status, response_body FROM requests WHERE idempotency_key = $1",
                    &[&new.key],
                )
                .await
                .map_err(err("cannot read the database"))?;
            let status: i32 = seen.get(0);
            return Ok(Inserted::Replay(
                u16::try_from(status).unwrap_or(201),
                seen.get(1),
            ));
        };
        let seq: i64 = row.get(0);
        let response = answer(&reference(seq), &new.request_id);
        tx.execute(
            "UPDATE requests SET response_body = $1 WHERE seq = $2",
            &[&response, &seq],
        )
        .await
        .map_err(err("cannot store the answer"))?;
        for d in new.destinations.iter().filter(|_| new.held.is_none()) {
            tx.execute(
                "INSERT INTO jobs (request_seq, destination, next_at) VALUES ($1, $2, $3)",
                &[&seq, d, &new.received_ms],
            )
            .await
            .map_err(err("cannot store the forward job"))?;
        }
        tx.commit()
            .await
            .map_err(err("cannot commit the request"))?;
        Ok(Inserted::New(201, response))
    }

    /// See [`super::Store::claim`].
    pub async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(
                &format!(
                    "WITH now AS (SELECT GREATEST($1::bigint, {DB_NOW}) AS ms),
                     due AS (
                        SELECT id FROM jobs, now
                        WHERE state = 'pending' AND next_at <= now.ms
                          AND (lease_until IS NULL OR lease_until <= now.ms)
                        ORDER BY next_at, id LIMIT $2
                        FOR UPDATE OF jobs SKIP LOCKED)
                     UPDATE jobs j SET attempts = j.attempts + 1,
                            maybe_sent = j.maybe_sent OR j.in_flight, in_flight = true,
                            lease_until = now.ms + $3, claimed_by = $4
                     FROM due, now, requests r
                     WHERE j.id = due.id AND r.seq = j.request_seq
                     RETURNING j.id, j.request_seq, j.destination, j.attempts, j.maybe_sent,
                               r.body, r.verification, r.received_ms, j.lease_until"
                ),
                &[&now_ms, &limit, &lease_ms, &worker],
            )
            .await
            .map_err(err("cannot claim jobs"))?;
        Ok(rows
            .iter()
            .map(|r| {
                let attempts: i32 = r.get(3);
                Claimed {
                    job: r.get(0),
                    reference: reference(r.get(1)),
                    destination: r.get(2),
                    attempt: u32::try_from(attempts).unwrap_or(1),
                    look_up_first: r.get(4),
                    body: r.get(5),
                    verification: r.get(6),
                    received_ms: r.get(7),
                    lease_until_ms: r.get(8),
                }
            })
            .collect())
    }

    /// See [`super::Store::finish`].
    pub async fn finish(
        &self,
        job: i64,
        worker: &str,
        finish: &Finish,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let held = "id = $1 AND claimed_by = $2 AND state = 'pending'";
        let n = match finish {
            Finish::Done { ticket_id, url } => {
                client
                    .execute(
                        &format!("UPDATE jobs SET state = 'done', in_flight = false, lease_until = NULL, ticket_id = $3, ticket_url = $4, done_at = $5, last_error = NULL WHERE {held}"),
                        &[&job, &worker, ticket_id, url, &now_ms],
                    )
                    .await
            }
            Finish::Retry { at_ms, error, maybe_sent } => {
                client
                    .execute(
                        &format!("UPDATE jobs SET in_flight = false, lease_until = NULL, next_at = $3, last_error = $4, maybe_sent = maybe_sent OR $5 WHERE {held}"),
                        &[&job, &worker, at_ms, error, maybe_sent],
                    )
                    .await
            }
            Finish::Postpone { at_ms } => {
                client
                    .execute(
                        &format!("UPDATE jobs SET in_flight = false, lease_until = NULL, next_at = $3, attempts = attempts - 1 WHERE {held}"),
                        &[&job, &worker, at_ms],
                    )
                    .await
            }
            Finish::Dead { error, maybe_sent } => {
                client
                    .execute(
                        &format!("UPDATE jobs SET state = 'dead', in_flight = false, lease_until = NULL, last_error = $3, maybe_sent = maybe_sent OR $4 WHERE {held}"),
                        &[&job, &worker, error, maybe_sent],
                    )
                    .await
            }
        }
        .map_err(err("cannot record the attempt"))?;
        Ok(n == 1)
    }

    /// See [`super::Store::retry_now`].
    pub async fn retry_now(&self, job: i64, now_ms: i64) -> Result<bool, StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let n = client
            .execute(
                "UPDATE jobs SET state = 'pending', attempts = 0, next_at = $2, lease_until = NULL
                 WHERE id = $1 AND state IN ('dead', 'pending')",
                &[&job, &now_ms],
            )
            .await
            .map_err(err("cannot reschedule the job"))?;
        Ok(n == 1)
    }

    /// See [`super::Store::list`].
    pub async fn list(&self, q: &Query) -> Result<Vec<Stored>, StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
        let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let by_seq = search.and_then(seq_of).unwrap_or(-1);
        let by_id = search.unwrap_or("");
        let rows = client
            .query(
                "SELECT seq, request_id, received_at, body, verification, held FROM requests r
                 WHERE (NOT $1 OR seq = $2 OR request_id = $3)
                   AND (NOT $4 OR EXISTS (SELECT 1 FROM jobs j WHERE j.request_seq = r.seq AND j.state = 'dead'))
                   AND (NOT $6 OR held IS NOT NULL)
                 ORDER BY seq DESC LIMIT $5",
                &[&search.is_some(), &by_seq, &by_id, &q.dead_only, &limit, &q.held_only],
            )
            .await
            .map_err(err("cannot read the database"))?;
        let seqs: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        let jobs = client
            .query(
                "SELECT request_seq, id, destination, state, attempts, last_error, ticket_id, ticket_url, next_at
                 FROM jobs WHERE request_seq = ANY($1) ORDER BY destination",
                &[&seqs],
            )
            .await
            .map_err(err("cannot read the jobs"))?;
        let mut by_request: std::collections::HashMap<i64, Vec<JobView>> =
            std::collections::HashMap::new();
        for j in &jobs {
            let state = JobState::parse(j.get(3));
            let attempts: i32 = j.get(4);
            by_request.entry(j.get(0)).or_default().push(JobView {
                id: j.get(1),
                destination: j.get(2),
                state,
                attempts: u32::try_from(attempts).unwrap_or(0),
                last_error: j.get(5),
                ticket_id: j.get(6),
                ticket_url: j.get(7),
                next_at_ms: (state == JobState::Pending).then(|| j.get(8)),
            });
        }
        Ok(rows
            .iter()
            .map(|r| {
                let seq: i64 = r.get(0);
                Stored {
                    reference: reference(seq),
                    request_id: r.get(1),
                    received_at: r.get(2),
                    body: r.get(3),
                    verification: r.get(4),
                    jobs: by_request.remove(&seq).unwrap_or_default(),
                    held: r.get(5),
                }
            })
            .collect())
    }

    /// See [`super::Store::count`].
    pub async fn count(&self) -> Result<u64, StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let n: i64 = client
            .query_one("SELECT COUNT(*) FROM requests", &[])
            .await
            .map_err(err("cannot read the database"))?
            .get(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// See [`super::Store::depth`].
    pub async fn depth(&self) -> Result<Vec<Depth>, StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let rows = client
            .query(
                "SELECT destination,
                        COUNT(*) FILTER (WHERE state = 'pending'),
                        COUNT(*) FILTER (WHERE state = 'dead'),
                        COUNT(*) FILTER (WHERE state = 'done')
                 FROM jobs GROUP BY destination ORDER BY destination",
                &[],
            )
            .await
            .map_err(err("cannot read the jobs"))?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(rows
            .iter()
            .map(|r| Depth {
                destination: r.get(0),
                pending: n(r.get(1)),
                dead: n(r.get(2)),
                done: n(r.get(3)),
            })
            .collect())
    }

    /// See [`super::Store::hit`].
    pub async fn hit(&self, bucket: &str, window_ms: i64) -> Result<u64, StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let n: i64 = client
            .query_one(
                "INSERT INTO rate_windows (bucket, window_ms, hits) VALUES ($1, $2, 1)
                 ON CONFLICT (bucket, window_ms) DO UPDATE SET hits = rate_windows.hits + 1
                 RETURNING hits",
                &[&bucket, &window_ms],
            )
            .await
            .map_err(err("cannot count the request"))?
            .get(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// See [`super::Store::forget_windows`].
    pub async fn forget_windows(&self, before_ms: i64) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        client
            .execute(
                "DELETE FROM rate_windows WHERE window_ms < $1",
                &[&before_ms],
            )
            .await
            .map(drop)
            .map_err(err("cannot forget old counts"))
    }

    /// See [`super::Store::release`].
    pub async fn release(
        &self,
        seq: i64,
        destinations: &[String],
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = client.transaction().await.map_err(err("cannot begin"))?;
        let n = tx
            .execute(
                "UPDATE requests SET held = NULL WHERE seq = $1 AND held IS NOT NULL AND body IS NOT NULL",
                &[&seq],
            )
            .await
            .map_err(err("cannot release the request"))?;
        if n == 1 {
            for d in destinations {
                tx.execute(
                    "INSERT INTO jobs (request_seq, destination, next_at) VALUES ($1, $2, $3)
                     ON CONFLICT (request_seq, destination) DO NOTHING",
                    &[&seq, d, &now_ms],
                )
                .await
                .map_err(err("cannot store the forward job"))?;
            }
        }
        tx.commit()
            .await
            .map_err(err("cannot release the request"))?;
        Ok(n == 1)
    }

    /// See [`super::Store::add_events`].
    pub async fn add_events(
        &self,
        day: &str,
        ruleset: &str,
        events: &[EventKey],
    ) -> Result<(), StoreError> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = client.transaction().await.map_err(err("cannot begin"))?;
        for e in events {
            tx.execute(
                "INSERT INTO funnel (day, ruleset, kind, stage, product, problem, node, handler, count)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)
                 ON CONFLICT (day, ruleset, kind, stage, product, problem, node, handler)
                 DO UPDATE SET count = funnel.count + 1",
                &[&day, &ruleset, &e.kind, &e.stage, &e.product, &e.problem, &e.node, &e.handler],
            )
            .await
            .map_err(err("cannot count the events"))?;
        }
        tx.commit().await.map_err(err("cannot count the events"))
    }

    /// See [`super::Store::funnel`].
    pub async fn funnel(&self, from: &str, to: &str) -> Result<Vec<(EventKey, u64)>, StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let rows = client
            .query(
                "SELECT kind, stage, product, problem, node, handler, SUM(count)::bigint FROM funnel
                 WHERE day >= $1 AND day <= $2
                 GROUP BY kind, stage, product, problem, node, handler",
                &[&from, &to],
            )
            .await
            .map_err(err("cannot read the funnel"))?;
        Ok(rows
            .iter()
            .map(|r| {
                let n: i64 = r.get(6);
                (
                    EventKey {
                        kind: r.get(0),
                        stage: r.get(1),
                        product: r.get(2),
                        problem: r.get(3),
                        node: r.get(4),
                        handler: r.get(5),
                    },
                    u64::try_from(n).unwrap_or(0),
                )
            })
            .collect())
    }

    /// See [`super::Store::purge`].
    pub async fn purge(&self, before_ms: i64, now: &str) -> Result<u64, StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        client
            .execute(
                "UPDATE requests r SET body = NULL, verification = NULL, purged_at = $2
                 WHERE body IS NOT NULL AND (
                   (NOT EXISTS (SELECT 1 FROM jobs j WHERE j.request_seq = r.seq) AND received_ms < $1)
                   OR (EXISTS (SELECT 1 FROM jobs j WHERE j.request_seq = r.seq)
                       AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.request_seq = r.seq
                                       AND (j.state <> 'done' OR j.done_at >= $1))))",
                &[&before_ms, &now],
            )
            .await
            .map_err(err("cannot purge"))
    }

    /// See [`super::Store::erase`].
    pub async fn erase(&self, seq: i64, now: &str) -> Result<bool, StoreError> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = client.transaction().await.map_err(err("cannot begin"))?;
        let n = tx
            .execute(
                "UPDATE requests SET body = NULL, verification = NULL, purged_at = $2, held = NULL WHERE seq = $1",
                &[&seq, &now],
            )
            .await
            .map_err(err("cannot erase"))?;
        tx.execute(
            "UPDATE jobs SET state = 'erased', lease_until = NULL WHERE request_seq = $1 AND state IN ('pending', 'dead')",
            &[&seq],
        )
        .await
        .map_err(err("cannot erase"))?;
        tx.commit().await.map_err(err("cannot erase"))?;
        Ok(n == 1)
    }
}
