//! The outbox: requests waiting to be delivered, as a pure state machine.
//!
//! What it is for: making sure a request the customer sent is never lost and
//! never delivered as two tickets, whatever the network does. Each entry
//! holds the exact HTTP call to make ([`OutgoingHttp`], from
//! [`crate::adapters`]) and moves between [`State`]s:
//!
//! ```text
//!            add                 begin (due, not leased)
//!   ───────▶ Pending ───────────────────────────────▶ Sending{lease_until}
//!              ▲  ▲                                       │
//!              │  └── network error, timeout, 408, 429, ──┤  (retry later:
//!              │      5xx                                 │   backoff or
//!   retry_now  │                                          │   Retry-After)
//!              │      other 4xx                           ▼
//!            Failed{status, reason} ◀──────────────────── ┤
//!                                          2xx            ▼
//!                                       Sent{reference} ──▶ remove (after the UI showed it)
//! ```
//!
//! Transient failures are retried for ever, with exponential backoff and
//! full jitter (base [`BACKOFF_BASE_MS`] = 1 s, capped at [`BACKOFF_CAP_MS`]
//! = 30 s) or as the server's `Retry-After` says; permanent ones (other 4xx)
//! wait for the customer, the request kept. A 2xx always wins, even late,
//! and marks an entry sent once; it also shows the intake is back, so the
//! others waiting out a backoff for that intake are made due within a few
//! seconds ([`Outbox::intake_back`], [`RECOVERY_SPREAD_MS`] = 3 s, at
//! random) instead of at the end of a backoff grown during the outage.
//!
//! What it is not: storage, a clock, a random source or a transport. Time is
//! milliseconds since the Unix epoch passed in (`Date.now()`), randomness a
//! `u32` passed in (`crypto.getRandomValues`), persistence the caller's
//! ([`Outbox::to_json`] / [`Outbox::from_json`], e.g. in `localStorage`).
//! The lease stops a second tab from sending an entry another tab is
//! sending; a lease that expires (the tab was closed mid-send) makes the
//! entry due again. Duplicate deliveries that a lease cannot prevent are
//! made harmless by the `Idempotency-Key` header.
//!
//! ## Usage
//! ```
//! use frontline_core::outbox::{Effect, Outbox};
//! use frontline_core::adapters::OutgoingHttp;
//! let call = OutgoingHttp {
//!     method: "POST".into(),
//!     url: "https://support.example.com/intake".into(),
//!     headers: vec![],
//!     body: "{}".into(),
//!     content_type: "application/json".into(),
//! };
//! let mut outbox = Outbox::new();
//! outbox.add("id-1", call, 1_000).unwrap();
//! assert_eq!(outbox.due(1_000), vec!["id-1".to_string()]);
//! let _call = outbox.begin("id-1", 1_000, 30_000).unwrap();
//! // ... fetch(call) answered 503 ...
//! let e = outbox.on_response("id-1", 1_500, 503, None, None, u32::MAX).unwrap();
//! assert_eq!(e, Effect::Retry { at: 2_500 });
//! ```

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::adapters::OutgoingHttp;

/// The format version [`Outbox::to_json`] writes and [`Outbox::from_json`] reads.
pub const OUTBOX_VERSION: u32 = 1;
/// The first retry waits up to this long (milliseconds).
pub const BACKOFF_BASE_MS: u64 = 1_000;
/// No backoff waits longer than this (milliseconds). Short, because a wait
/// is what a customer watching "it will be sent automatically" sees: with
/// five minutes, a request saved during a one-minute outage was sent up to
/// two minutes after the intake was back. Thirty seconds is at least 6
/// attempts in the first minute of an outage, then at least 2 a minute (the
/// jitter only shortens waits); what bounds the load on
/// a struggling intake is the sender's parallel limit (a few at once per
/// browser), and [`Outbox::intake_back`] cuts the wait short once one
/// request gets through.
pub const BACKOFF_CAP_MS: u64 = 30_000;
/// After an acknowledgement, what else waits for that intake is sent within
/// this window (milliseconds), spread at random: see [`Outbox::intake_back`].
pub const RECOVERY_SPREAD_MS: u64 = 3_000;
/// A `Retry-After` longer than this is shortened to it (milliseconds), so a
/// misconfigured server cannot park a request for days.
pub const MAX_RETRY_AFTER_MS: u64 = 60 * 60 * 1_000;
/// A sensible lease for one attempt (milliseconds): longer than the fetch
/// timeout the caller uses.
pub const DEFAULT_LEASE_MS: u64 = 60_000;

/// All entries waiting, being sent, sent (until removed) or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outbox {
    /// [`OUTBOX_VERSION`].
    pub version: u32,
    /// Entries in the order they were added.
    pub entries: Vec<Entry>,
}

/// One request to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The request id (also its `Idempotency-Key`).
    pub id: String,
    /// The exact call to make.
    pub outgoing: OutgoingHttp,
    /// Attempts begun so far.
    pub attempts: u32,
    /// When it was added (ms since the epoch).
    pub created_at: u64,
    /// When it may next be sent (ms since the epoch).
    pub next_attempt_at: u64,
    /// Where it is.
    pub state: State,
    /// What went wrong last (English, for logs and partners), if anything.
    #[serde(default)]
    pub last_error: Option<String>,
    /// What the customer keeps of the request, for a later visit than the
    /// one that sent it: see [`Fallback`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Fallback>,
}

impl Entry {
    /// Whether [`Outbox::intake_back`] at `now` would bring this entry
    /// forward, because the intake at `url` is back: it is pending for that
    /// URL and would wait longer than [`RECOVERY_SPREAD_MS`] still (an entry
    /// due sooner keeps its time, so acknowledgements in a row never delay
    /// one nor rewrite it again and again). Left alone: a wait the intake
    /// itself asked for (`Retry-After`: it knows best when it can take more),
    /// an entry being sent (another tab's lease), failed for good (waiting
    /// for the customer) or sent.
    pub fn waits_for(&self, url: &str, now: u64) -> bool {
        self.state == State::Pending
            && self.outgoing.url == url
            && self.next_attempt_at > now.saturating_add(RECOVERY_SPREAD_MS)
            && !self
                .last_error
                .as_deref()
                .is_some_and(|w| w.ends_with(AS_ASKED))
    }
}

/// What the customer keeps of a request while it is not delivered. The
/// screens of the visit that sent it hold this too; a later visit (the tab
/// was closed) has only the outbox, and must still be able to show the
/// request, retry it, or send it by e-mail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fallback {
    /// The request's summary, to recognise it.
    pub title: String,
    /// A `mailto:` link carrying the whole request.
    pub mailto: String,
    /// The request as plain text (for "copy").
    pub text: String,
}

/// Where an entry is. In JSON: `{"state": "sending", "lease_until": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StateRepr", into = "StateRepr")]
pub enum State {
    /// Waiting until `next_attempt_at`.
    Pending,
    /// Being sent by some tab until `lease_until` (ms since the epoch).
    Sending {
        /// After this, another tab may send it again.
        lease_until: u64,
    },
    /// Delivered; `reference` is what the intake answered (`FL-000123`).
    Sent {
        /// The intake's reference, if it gave one.
        reference: Option<String>,
    },
    /// Refused for good: tell the customer, keep the request, offer
    /// "try again" ([`Outbox::retry_now`]) and the e-mail fallback.
    Failed {
        /// The HTTP status.
        status: u16,
        /// Why, in English.
        reason: String,
    },
}

/// The JSON form of [`State`]: a flat struct, because serde's internally
/// tagged enums cost about 10 KB of WebAssembly to deserialize.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateRepr {
    state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_until: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl From<State> for StateRepr {
    fn from(s: State) -> StateRepr {
        let mut r = StateRepr {
            state: String::new(),
            lease_until: None,
            reference: None,
            status: None,
            reason: None,
        };
        r.state = match s {
            State::Pending => "pending",
            State::Sending { lease_until } => {
                r.lease_until = Some(lease_until);
                "sending"
            }
            State::Sent { reference } => {
                r.reference = reference;
                "sent"
            }
            State::Failed { status, reason } => {
                r.status = Some(status);
                r.reason = Some(reason);
                "failed"
            }
        }
        .into();
        r
    }
}

impl TryFrom<StateRepr> for State {
    type Error = String;
    fn try_from(r: StateRepr) -> Result<State, String> {
        Ok(match (r.state.as_str(), r.lease_until, r.status) {
            ("pending", _, _) => State::Pending,
            ("sending", Some(lease_until), _) => State::Sending { lease_until },
            ("sent", _, _) => State::Sent {
                reference: r.reference,
            },
            ("failed", _, Some(status)) => State::Failed {
                status,
                reason: r.reason.unwrap_or_default(),
            },
            (other, _, _) => {
                return Err(format!(
                    "state \"{other}\" is not pending, sending (with lease_until), sent or failed (with status)"
                ))
            }
        })
    }
}

/// What a transition did (what the UI should show).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Delivered now: show the reference, then [`Outbox::remove`].
    Sent {
        /// The intake's reference, if any.
        reference: Option<String>,
    },
    /// A second success for an entry already sent: nothing new to show.
    AlreadySent,
    /// A transient failure: it will be retried at `at` (ms since the epoch).
    Retry {
        /// When.
        at: u64,
    },
    /// A permanent failure.
    Failed {
        /// The HTTP status.
        status: u16,
        /// Why, in English.
        reason: String,
    },
    /// A late failure for an entry that is not being sent any more: nothing changed.
    Ignored,
}

/// Why a transition was refused. Nothing changes when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum OutboxError {
    /// No entry with this id (removed already?).
    Unknown {
        /// The id asked for.
        id: String,
    },
    /// An entry with this id exists already.
    Duplicate {
        /// The id.
        id: String,
    },
    /// Not due yet.
    NotDue {
        /// When it will be.
        at: u64,
    },
    /// Another tab is sending it until `until`.
    Leased {
        /// When the lease ends.
        until: u64,
    },
    /// It was delivered already.
    AlreadySent,
    /// It failed for good: [`Outbox::retry_now`] first.
    Failed,
    /// The stored text is not an outbox this version reads.
    Unreadable {
        /// What is wrong.
        message: String,
    },
}

impl std::fmt::Display for OutboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutboxError::Unknown { id } => write!(f, "no request \"{id}\" in the outbox"),
            OutboxError::Duplicate { id } => {
                write!(f, "request \"{id}\" is in the outbox already")
            }
            OutboxError::NotDue { at } => write!(f, "not due before {at} ms"),
            OutboxError::Leased { until } => {
                write!(f, "another tab is sending it (lease until {until} ms)")
            }
            OutboxError::AlreadySent => f.write_str("it was delivered already"),
            OutboxError::Failed => f.write_str(
                "it was refused for good; retry it explicitly (retry_now) after fixing the cause",
            ),
            OutboxError::Unreadable { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for OutboxError {}

impl Default for Outbox {
    fn default() -> Self {
        Outbox::new()
    }
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Outbox {
        Outbox {
            version: OUTBOX_VERSION,
            entries: Vec::new(),
        }
    }

    /// Reads a stored outbox. Errors (and the caller keeps the text aside
    /// rather than overwrite it) when it is not JSON of this version.
    ///
    /// Read by hand from a `serde_json::Value` (see [`json_form`]): exactly
    /// what the serde derives read, in a fraction of their WebAssembly.
    pub fn from_json(text: &str) -> Result<Outbox, OutboxError> {
        let unreadable = |message: String| OutboxError::Unreadable { message };
        let value = crate::json::parse(text).map_err(|e| {
            unreadable(format!(
                "the stored outbox is not readable ({e}); keep it for support and start a new one"
            ))
        })?;
        let version = json_form::version(&value).map_err(|e| {
            unreadable(format!(
                "the stored outbox is not readable ({e}); keep it for support and start a new one"
            ))
        })?;
        if version != OUTBOX_VERSION {
            return Err(unreadable(format!(
                "the stored outbox has version {version}, this portal reads version {OUTBOX_VERSION}; a newer portal wrote it: reload the page"
            )));
        }
        json_form::outbox(&value).map_err(|e| {
            unreadable(format!(
                "the stored outbox is damaged ({e}); keep it for support and start a new one"
            ))
        })
    }

    /// The outbox as JSON, for storage: the text `serde_json::to_string`
    /// writes from the derives, written by hand.
    pub fn to_json(&self) -> String {
        json_form::write(self)
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    fn entry(&mut self, id: &str) -> Result<&mut Entry, OutboxError> {
        self.entries
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or_else(|| OutboxError::Unknown { id: id.into() })
    }

    /// Adds a request to send now.
    pub fn add(&mut self, id: &str, outgoing: OutgoingHttp, now: u64) -> Result<(), OutboxError> {
        self.add_keeping(id, outgoing, now, None)
    }

    /// Adds a request to send now, with what the customer keeps of it.
    pub fn add_keeping(
        &mut self,
        id: &str,
        outgoing: OutgoingHttp,
        now: u64,
        fallback: Option<Fallback>,
    ) -> Result<(), OutboxError> {
        if self.get(id).is_some() {
            return Err(OutboxError::Duplicate { id: id.into() });
        }
        self.entries.push(Entry {
            id: id.into(),
            outgoing,
            attempts: 0,
            created_at: now,
            next_attempt_at: now,
            state: State::Pending,
            last_error: None,
            fallback,
        });
        Ok(())
    }

    /// Ids that may be sent at `now` (pending and due, or sending with an
    /// expired lease), earliest first (ties in the order added).
    pub fn due(&self, now: u64) -> Vec<String> {
        self.due_up_to(now, usize::MAX)
    }

    /// The first `limit` of [`Outbox::due`]: what a sender with `limit` free
    /// slots starts now. Linear in the number of entries for a small limit,
    /// so a long queue (a thousand requests saved offline) drains without
    /// sorting it again and again.
    pub fn due_up_to(&self, now: u64, limit: usize) -> Vec<String> {
        // An insertion sort into at most `limit` places: far less
        // WebAssembly than the standard library's sort.
        let mut due: Vec<(u64, &str)> = Vec::new();
        if limit == 0 {
            return Vec::new();
        }
        for e in &self.entries {
            let at = match e.state {
                State::Pending if e.next_attempt_at <= now => e.next_attempt_at,
                State::Sending { lease_until } if lease_until <= now => lease_until,
                _ => continue,
            };
            if due.len() == limit && due.last().is_some_and(|(t, _)| *t <= at) {
                continue;
            }
            let i = due.iter().position(|(t, _)| *t > at).unwrap_or(due.len());
            due.insert(i, (at, e.id.as_str()));
            due.truncate(limit);
        }
        due.into_iter().map(|(_, id)| id.to_string()).collect()
    }

    /// When the next entry becomes due (for a timer), if any is waiting.
    pub fn next_wake(&self) -> Option<u64> {
        self.entries
            .iter()
            .filter_map(|e| match e.state {
                State::Pending => Some(e.next_attempt_at),
                State::Sending { lease_until } => Some(lease_until),
                _ => None,
            })
            .min()
    }

    /// Starts an attempt: the entry is leased to the caller until
    /// `now + lease_ms` and its call returned. Refused when it is not due,
    /// leased by someone else, sent or failed.
    pub fn begin(
        &mut self,
        id: &str,
        now: u64,
        lease_ms: u64,
    ) -> Result<OutgoingHttp, OutboxError> {
        let e = self.entry(id)?;
        match e.state {
            State::Pending if e.next_attempt_at > now => {
                return Err(OutboxError::NotDue {
                    at: e.next_attempt_at,
                })
            }
            State::Sending { lease_until } if lease_until > now => {
                return Err(OutboxError::Leased { until: lease_until })
            }
            State::Sent { .. } => return Err(OutboxError::AlreadySent),
            State::Failed { .. } => return Err(OutboxError::Failed),
            State::Pending | State::Sending { .. } => {}
        }
        e.attempts = e.attempts.saturating_add(1);
        e.state = State::Sending {
            lease_until: now.saturating_add(lease_ms),
        };
        Ok(e.outgoing.clone())
    }

    /// Records the intake's answer. `retry_after` is the raw `Retry-After`
    /// header (seconds or an HTTP date), `body_reference` the reference read
    /// from a 2xx body (see [`crate::adapters::reference_from_body`]),
    /// `random` a fresh random number for the backoff's jitter. After a 2xx,
    /// let the others know the intake is back: [`Outbox::intake_back`] (a
    /// caller keeping each entry apart calls it on each).
    pub fn on_response(
        &mut self,
        id: &str,
        now: u64,
        status: u16,
        retry_after: Option<&str>,
        body_reference: Option<String>,
        random: u32,
    ) -> Result<Effect, OutboxError> {
        let e = self.entry(id)?;
        if (200..300).contains(&status) {
            if matches!(e.state, State::Sent { .. }) {
                return Ok(Effect::AlreadySent);
            }
            e.state = State::Sent {
                reference: body_reference.clone(),
            };
            e.last_error = None;
            return Ok(Effect::Sent {
                reference: body_reference,
            });
        }
        if !matches!(e.state, State::Sending { .. }) {
            return Ok(Effect::Ignored);
        }
        if is_transient(status) {
            let asked = retry_after
                .and_then(|h| retry_after_ms(h, now))
                .map(|ms| ms.min(MAX_RETRY_AFTER_MS));
            let delay = asked.unwrap_or_else(|| backoff_ms(e.attempts, random));
            let mut why = if status == 0 {
                "no HTTP answer".to_string()
            } else {
                format!("HTTP {status}")
            };
            if asked.is_some() {
                // Read back by `Entry::waits_for`: a wait the intake asked
                // for is not cut short when another request gets through.
                why.push_str(AS_ASKED);
            }
            Ok(schedule(e, now, delay, why))
        } else {
            let reason = failure_reason(status);
            e.state = State::Failed {
                status,
                reason: reason.clone(),
            };
            e.last_error = Some(reason.clone());
            Ok(Effect::Failed { status, reason })
        }
    }

    /// Records a network error (no answer at all, CORS refusal, offline):
    /// retried with backoff.
    pub fn on_network_error(
        &mut self,
        id: &str,
        now: u64,
        random: u32,
    ) -> Result<Effect, OutboxError> {
        self.transient(id, now, random, NETWORK_ERROR)
    }

    /// Records that the attempt timed out: retried with backoff.
    pub fn on_timeout(&mut self, id: &str, now: u64, random: u32) -> Result<Effect, OutboxError> {
        self.transient(id, now, random, TIMED_OUT)
    }

    fn transient(
        &mut self,
        id: &str,
        now: u64,
        random: u32,
        why: &str,
    ) -> Result<Effect, OutboxError> {
        let e = self.entry(id)?;
        if !matches!(e.state, State::Sending { .. }) {
            return Ok(Effect::Ignored);
        }
        let delay = backoff_ms(e.attempts, random);
        Ok(schedule(e, now, delay, why.to_string()))
    }

    /// The customer pressed "try again": a pending or failed entry becomes
    /// due now (the attempt count, and so the backoff, is kept).
    pub fn retry_now(&mut self, id: &str, now: u64) -> Result<(), OutboxError> {
        let e = self.entry(id)?;
        match e.state {
            State::Sent { .. } => return Err(OutboxError::AlreadySent),
            State::Sending { lease_until } if lease_until > now => {
                return Err(OutboxError::Leased { until: lease_until })
            }
            _ => {}
        }
        e.state = State::Pending;
        e.next_attempt_at = now;
        Ok(())
    }

    /// The caller holds the lock that every sender holds while it sends (a
    /// Web Lock named after the entry): an entry still leased was left by a
    /// sender that is gone (a page reloaded or closed mid-attempt), so it
    /// becomes due now instead of waiting out the lease. The attempt count
    /// is kept; the attempt that was cut off may have reached the intake,
    /// which the idempotency key makes harmless. Returns whether the entry
    /// changed. Without such a lock, never call it: the lease is then what
    /// keeps two senders apart.
    pub fn reclaim(&mut self, id: &str, now: u64) -> Result<bool, OutboxError> {
        let e = self.entry(id)?;
        if matches!(e.state, State::Sending { lease_until } if lease_until > now) {
            e.state = State::Pending;
            e.next_attempt_at = now;
            return Ok(true);
        }
        Ok(false)
    }

    /// The browser is back online: an entry waiting out the backoff of a
    /// network error or timeout (no answer from the intake, so nothing the
    /// intake asked for) becomes due now. One waiting because the intake
    /// answered (a 503, a `Retry-After`) keeps its time. Returns whether the
    /// entry changed.
    pub fn back_online(&mut self, id: &str, now: u64) -> Result<bool, OutboxError> {
        let e = self.entry(id)?;
        let unanswered = matches!(e.last_error.as_deref(), Some(NETWORK_ERROR | TIMED_OUT));
        if e.state == State::Pending && unanswered && e.next_attempt_at > now {
            e.next_attempt_at = now;
            return Ok(true);
        }
        Ok(false)
    }

    /// The intake at `url` acknowledged a request (a 2xx): it is up again.
    /// Every entry for that same URL still waiting out a backoff longer than
    /// [`RECOVERY_SPREAD_MS`] (grown while the intake was down, up to
    /// [`BACKOFF_CAP_MS`]) becomes due at a random moment within that
    /// window from `now`, one `random()` each: the customer watching "it will
    /// be sent automatically" waits seconds, not the rest of a backoff, and a
    /// long queue (or several tabs sharing it) does not start in the same
    /// instant. The sender's parallel limit still bounds how many go at once.
    /// See [`Entry::waits_for`] for what is left alone. Attempts (and so the
    /// next backoff, should the intake fail again) and idempotency keys are
    /// kept. Returns the ids changed, in order.
    ///
    /// The exact URL, not its origin: another path of the same host may be
    /// served by something else entirely.
    pub fn intake_back(
        &mut self,
        url: &str,
        now: u64,
        mut random: impl FnMut() -> u32,
    ) -> Vec<String> {
        let mut changed = Vec::new();
        for e in self.entries.iter_mut().filter(|e| e.waits_for(url, now)) {
            let jitter =
                u128::from(RECOVERY_SPREAD_MS) * u128::from(random()) / (u128::from(u32::MAX) + 1);
            e.next_attempt_at = now.saturating_add(jitter as u64);
            changed.push(e.id.clone());
        }
        changed
    }

    /// Removes an entry (after the UI showed its reference, or when the
    /// customer gave up and used the e-mail fallback) and returns it.
    pub fn remove(&mut self, id: &str) -> Option<Entry> {
        let i = self.entries.iter().position(|e| e.id == id)?;
        Some(self.entries.remove(i))
    }
}

/// The outbox's JSON, read and written by hand: the same text the serde
/// derives above read and write (tests check both ways), without their
/// monomorphized visitors and serializer. Like the derives (and unlike
/// serde's rarely used array form of a struct, which nothing writes), it
/// reads objects with these fields; unknown fields are refused where the
/// derives refuse them (all but in `outgoing`).
mod json_form {
    use serde_json::{Map, Value};

    use super::{Entry, Fallback, Outbox, State};
    use crate::adapters::OutgoingHttp;
    use crate::json::Writer;

    type R<T> = Result<T, String>;
    type Object = Map<String, Value>;

    fn object<'v>(v: &'v Value, what: &str, known: &[&str]) -> R<&'v Object> {
        let m = v
            .as_object()
            .ok_or_else(|| format!("{what} is not an object"))?;
        match m
            .keys()
            .find(|k| !known.is_empty() && !known.contains(&k.as_str()))
        {
            Some(k) => Err(format!("unknown field \"{k}\" in {what}")),
            None => Ok(m),
        }
    }

    fn wrong(k: &str) -> String {
        format!("field \"{k}\" has the wrong type")
    }

    fn field<'v>(m: &'v Object, k: &str) -> R<&'v Value> {
        m.get(k).ok_or_else(|| format!("missing field \"{k}\""))
    }

    fn string(m: &Object, k: &str) -> R<String> {
        field(m, k)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| wrong(k))
    }

    /// An unsigned integer no larger than `max`.
    fn number(m: &Object, k: &str, max: u64) -> R<u64> {
        let n = field(m, k)?.as_u64();
        n.filter(|n| *n <= max).ok_or_else(|| wrong(k))
    }

    /// An optional field: absent or null is `None`.
    fn optional<'v>(m: &'v Object, k: &str) -> Option<&'v Value> {
        m.get(k).filter(|v| !v.is_null())
    }

    fn optional_string(m: &Object, k: &str) -> R<Option<String>> {
        optional(m, k).map(|_| string(m, k)).transpose()
    }

    fn optional_number(m: &Object, k: &str, max: u64) -> R<Option<u64>> {
        optional(m, k).map(|_| number(m, k, max)).transpose()
    }

    const U32: u64 = u32::MAX as u64;

    /// The `version` field (unknown fields allowed, as the version check
    /// reads only this).
    pub(super) fn version(v: &Value) -> R<u32> {
        let n = number(object(v, "the outbox", &[])?, "version", U32)?;
        Ok(n as u32)
    }

    fn outgoing(v: &Value) -> R<OutgoingHttp> {
        let m = object(v, "outgoing", &[])?;
        let mut headers = Vec::new();
        for h in field(m, "headers")?
            .as_array()
            .ok_or_else(|| wrong("headers"))?
        {
            match h.as_array().map(Vec::as_slice) {
                Some([Value::String(name), Value::String(value)]) => {
                    headers.push((name.clone(), value.clone()))
                }
                _ => return Err(wrong("headers")),
            }
        }
        Ok(OutgoingHttp {
            method: string(m, "method")?,
            url: string(m, "url")?,
            headers,
            body: string(m, "body")?,
            content_type: string(m, "content_type")?,
        })
    }

    fn state(v: &Value) -> R<State> {
        let m = object(
            v,
            "state",
            &["state", "lease_until", "reference", "status", "reason"],
        )?;
        State::try_from(super::StateRepr {
            state: string(m, "state")?,
            lease_until: optional_number(m, "lease_until", u64::MAX)?,
            reference: optional_string(m, "reference")?,
            status: optional_number(m, "status", u64::from(u16::MAX))?.map(|s| s as u16),
            reason: optional_string(m, "reason")?,
        })
    }

    fn entry(v: &Value) -> R<Entry> {
        let m = object(
            v,
            "an entry",
            &[
                "id",
                "outgoing",
                "attempts",
                "created_at",
                "next_attempt_at",
                "state",
                "last_error",
                "fallback",
            ],
        )?;
        Ok(Entry {
            id: string(m, "id")?,
            outgoing: outgoing(field(m, "outgoing")?)?,
            attempts: number(m, "attempts", U32)? as u32,
            created_at: number(m, "created_at", u64::MAX)?,
            next_attempt_at: number(m, "next_attempt_at", u64::MAX)?,
            state: state(field(m, "state")?)?,
            last_error: optional_string(m, "last_error")?,
            fallback: optional(m, "fallback").map(fallback).transpose()?,
        })
    }

    fn fallback(v: &Value) -> R<Fallback> {
        let m = object(v, "fallback", &["title", "mailto", "text"])?;
        Ok(Fallback {
            title: string(m, "title")?,
            mailto: string(m, "mailto")?,
            text: string(m, "text")?,
        })
    }

    pub(super) fn outbox(v: &Value) -> R<Outbox> {
        let m = object(v, "the outbox", &["version", "entries"])?;
        let mut entries = Vec::new();
        for e in field(m, "entries")?
            .as_array()
            .ok_or_else(|| wrong("entries"))?
        {
            entries.push(entry(e)?);
        }
        Ok(Outbox {
            version: number(m, "version", U32)? as u32,
            entries,
        })
    }

    pub(super) fn write(o: &Outbox) -> String {
        let mut w = Writer::new("{");
        w.num("version", u64::from(o.version));
        w.raw("entries", "[");
        for e in &o.entries {
            w.raw("", "{");
            w.text("id", &e.id);
            let c = &e.outgoing;
            w.raw("outgoing", "{");
            w.text("method", &c.method);
            w.text("url", &c.url);
            w.raw("headers", "[");
            for (name, value) in &c.headers {
                w.raw("", "[");
                w.text("", name);
                w.text("", value);
                w.close(']');
            }
            w.close(']');
            w.text("body", &c.body);
            w.text("content_type", &c.content_type);
            w.close('}');
            w.num("attempts", u64::from(e.attempts));
            w.num("created_at", e.created_at);
            w.num("next_attempt_at", e.next_attempt_at);
            w.raw("state", "{");
            match &e.state {
                State::Pending => w.text("state", "pending"),
                State::Sending { lease_until } => {
                    w.text("state", "sending");
                    w.num("lease_until", *lease_until);
                }
                State::Sent { reference } => {
                    w.text("state", "sent");
                    if reference.is_some() {
                        w.opt("reference", reference);
                    }
                }
                State::Failed { status, reason } => {
                    w.text("state", "failed");
                    w.num("status", u64::from(*status));
                    w.text("reason", reason);
                }
            }
            w.close('}');
            w.opt("last_error", &e.last_error);
            if let Some(f) = &e.fallback {
                w.raw("fallback", "{");
                w.text("title", &f.title);
                w.text("mailto", &f.mailto);
                w.text("text", &f.text);
                w.close('}');
            }
            w.close('}');
        }
        w.close(']');
        w.close('}');
        w.0
    }
}

/// The end of `last_error` when the wait is the intake's `Retry-After`.
const AS_ASKED: &str = ", waiting as its Retry-After asked";
/// `last_error` of an attempt that got no answer at all.
const NETWORK_ERROR: &str = "network error";
/// `last_error` of an attempt that got no answer in time.
const TIMED_OUT: &str = "timed out";

fn schedule(e: &mut Entry, now: u64, delay: u64, why: String) -> Effect {
    let at = now.saturating_add(delay);
    e.state = State::Pending;
    e.next_attempt_at = at;
    e.last_error = Some(why);
    Effect::Retry { at }
}

/// Whether an HTTP status is worth retrying: 408, 429, 5xx, and 0 (no
/// status: an opaque or aborted answer).
pub fn is_transient(status: u16) -> bool {
    status == 0 || status == 408 || status == 429 || (500..600).contains(&status)
}

/// Backoff before the retry that follows attempt number `attempts` (1 for
/// the first): full jitter, `random / u32::MAX` of
/// `min(BACKOFF_CAP_MS, BACKOFF_BASE_MS × 2^(attempts − 1))`.
pub fn backoff_ms(attempts: u32, random: u32) -> u64 {
    let exp = attempts.saturating_sub(1).min(32);
    let ceiling = BACKOFF_BASE_MS
        .saturating_mul(1u64 << exp)
        .min(BACKOFF_CAP_MS);
    let scaled = u128::from(ceiling) * u128::from(random) / u128::from(u32::MAX);
    u64::try_from(scaled).unwrap_or(ceiling)
}

fn failure_reason(status: u16) -> String {
    match status {
        400 | 422 => "the intake refused the request as invalid".into(),
        401 | 403 => "the intake does not accept requests from this portal (not authorised)".into(),
        404 | 410 => "the intake address does not exist".into(),
        405 => "the intake does not accept this kind of call (method not allowed)".into(),
        409 => "the intake reports a conflict with an earlier request".into(),
        413 => "the request is too large for the intake".into(),
        415 => "the intake does not accept this format (unsupported content type)".into(),
        _ => format!("the intake answered HTTP {status}"),
    }
}

/// Milliseconds to wait according to a `Retry-After` header at `now`:
/// delta-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`);
/// a date in the past is 0. `None` when unreadable.
pub fn retry_after_ms(header: &str, now: u64) -> Option<u64> {
    let h = header.trim();
    if !h.is_empty() && h.bytes().all(|b| b.is_ascii_digit()) {
        let secs: u64 = h.parse().unwrap_or(u64::MAX);
        return Some(secs.saturating_mul(1_000));
    }
    let at = parse_http_date(h)?;
    Some(at.saturating_sub(now))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, the only HTTP
/// date form servers may send) into ms since the epoch.
pub fn parse_http_date(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split_ascii_whitespace().collect();
    let [wd, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    if !wd.ends_with(',') || day.len() != 2 || year.len() != 4 || time.len() != 8 {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)?;
    let digits = |t: &str| crate::hours::digits(t, 0..t.len());
    let (h, rest) = time.split_once(':')?;
    let (m, sec) = rest.split_once(':')?;
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(year)?).ok()?,
        u32::try_from(month + 1).ok()?,
        digits(day)?,
    )?;
    let t = date.and_hms_opt(digits(h)?, digits(m)?, digits(sec)?)?;
    u64::try_from(t.and_utc().timestamp_millis()).ok()
}
