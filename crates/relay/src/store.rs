//! SQLite storage: requests, and the first answer given for each
//! `Idempotency-Key` (so a repeat gets the same bytes back).

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

/// A stored request, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// `FL-000123`.
    pub reference: String,
    /// When it arrived, RFC 3339 UTC.
    pub received_at: String,
    /// The request JSON as received.
    pub body: String,
    /// The verification JSON, when the server has a ruleset.
    pub verification: Option<String>,
}

/// What [`Store::insert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// Stored now; this is the answer (status, body).
    New(u16, String),
    /// The key was seen before; this was the first answer, unchanged.
    Replay(u16, String),
}

/// The database.
pub struct Store {
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    request_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body TEXT NOT NULL,
    verification TEXT,
    matches INTEGER,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL
);";

impl Store {
    /// Opens (creating it and its folder if missing) the database at
    /// `path`, or an in-memory one when `path` is `None`.
    pub fn open(path: Option<&Path>) -> Result<Store, String> {
        let conn = match path {
            None => Connection::open_in_memory(),
            Some(p) => {
                if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        format!(
                            "cannot create the folder {} for the database: {e}; choose another --db path",
                            dir.display()
                        )
                    })?;
                }
                Connection::open(p)
            }
        }
        .map_err(|e| {
            format!(
                "cannot open the database {}: {e}; check the --db path and its permissions",
                path.map_or(":memory:".into(), |p| p.display().to_string())
            )
        })?;
        let _ = conn.busy_timeout(std::time::Duration::from_secs(5));
        if path.is_some() {
            // Readers do not block the writer; survives a crash mid-write.
            let _: Result<String, _> = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0));
        }
        conn.execute_batch(SCHEMA).map_err(|e| {
            format!("cannot create the tables: {e}; is the file a Frontline intake database?")
        })?;
        Ok(Store { conn })
    }

    /// Stores a request under its idempotency key, unless the key was seen:
    /// then returns the first answer and stores nothing. One transaction,
    /// and the key is UNIQUE, so concurrent duplicates (even from another
    /// process sharing the file) store one row.
    ///
    /// `answer` builds the 201 body from the new reference.
    pub fn insert(
        &mut self,
        key: &str,
        request_id: &str,
        received_at: &str,
        body: &str,
        verification: Option<(&str, bool)>,
        answer: impl Fn(&str) -> String,
    ) -> Result<Inserted, String> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| format!("database busy: {e}"))?;
        let seen: Option<(u16, String)> = tx
            .query_row(
                "SELECT response_status, response_body FROM requests WHERE idempotency_key = ?1",
                params![key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| format!("cannot read the database: {e}"))?;
        if let Some((status, body)) = seen {
            return Ok(Inserted::Replay(status, body));
        }
        tx.execute(
            "INSERT INTO requests (idempotency_key, request_id, received_at, body, verification, matches, response_status, response_body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 201, '')",
            params![
                key,
                request_id,
                received_at,
                body,
                verification.map(|v| v.0),
                verification.map(|v| v.1),
            ],
        )
        .map_err(|e| format!("cannot store the request: {e}"))?;
        let seq = tx.last_insert_rowid();
        let response = answer(&reference(seq));
        tx.execute(
            "UPDATE requests SET response_body = ?1 WHERE seq = ?2",
            params![response, seq],
        )
        .map_err(|e| format!("cannot store the answer: {e}"))?;
        tx.commit()
            .map_err(|e| format!("cannot commit the request: {e}"))?;
        Ok(Inserted::New(201, response))
    }

    /// The newest `limit` requests, newest first.
    pub fn list(&self, limit: usize) -> Result<Vec<Stored>, String> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, received_at, body, verification FROM requests ORDER BY seq DESC LIMIT ?1",
            )
            .map_err(|e| format!("cannot read the database: {e}"))?;
        let rows = stmt
            .query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok(Stored {
                    reference: reference(r.get(0)?),
                    received_at: r.get(1)?,
                    body: r.get(2)?,
                    verification: r.get(3)?,
                })
            })
            .map_err(|e| format!("cannot read the database: {e}"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("cannot read the database: {e}"))
    }

    /// How many requests are stored.
    pub fn count(&self) -> Result<u64, String> {
        self.conn
            .query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0))
            .map_err(|e| format!("cannot read the database: {e}"))
    }
}

/// `FL-000123` from a row number.
pub fn reference(seq: i64) -> String {
    format!("FL-{seq:06}")
}
