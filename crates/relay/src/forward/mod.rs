//! Forwarding: what the relay hands each destination, and what a
//! destination answers.
//!
//! A destination ([`Destination`]) creates one ticket (or message) from a
//! [`Ticket`] and can look one up by the Frontline id it wrote into a field
//! the help desk keeps ([`Destination::find`]). The worker
//! ([`crate::worker`]) calls `find` before sending again whenever an earlier
//! attempt may have reached the help desk ([`Sent::Maybe`]), which is what
//! makes delivery exactly-once into APIs that have no idempotency key.

pub mod email;
pub mod http;
pub mod ticket;
pub mod webhook;

use std::time::Duration;

pub use ticket::{Priority, Ticket};

/// A ticket the help desk holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The help desk's own id (`"1234"`, `"SD-42"`, a sys_id).
    pub ticket_id: String,
    /// A link for the partner's staff, when the help desk has one.
    pub url: Option<String>,
}

/// Whether a failed attempt may have created a ticket anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Certainly not: the connection failed before the body went out, or
    /// the help desk refused it (4xx, 429). Safe to send again as is.
    No,
    /// Perhaps: a timeout once the body was sent, a dropped connection, a
    /// 5xx. Look the Frontline id up before sending again.
    Maybe,
}

/// Why an attempt failed, and what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Whether a ticket may exist now.
    pub sent: Sent,
    /// Retrying cannot help until someone changes something (a 401, a 400
    /// naming a missing field): the job goes to the dead letters at once,
    /// where the admin can retry it after fixing the configuration.
    pub permanent: bool,
    /// The help desk asked to wait this long (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// For the admin: what happened, with the status and the help desk's
    /// own words (never a secret).
    pub message: String,
}

impl Failure {
    /// A failure that sent nothing and may be retried.
    pub fn not_sent(message: impl Into<String>) -> Failure {
        Failure {
            sent: Sent::No,
            permanent: false,
            retry_after: None,
            message: message.into(),
        }
    }

    /// A failure after which a ticket may exist.
    pub fn maybe_sent(message: impl Into<String>) -> Failure {
        Failure {
            sent: Sent::Maybe,
            permanent: false,
            retry_after: None,
            message: message.into(),
        }
    }

    /// A refusal that retrying will not change.
    pub fn permanent(message: impl Into<String>) -> Failure {
        Failure {
            sent: Sent::No,
            permanent: true,
            retry_after: None,
            message: message.into(),
        }
    }
}

/// A help desk, webhook or mailbox the relay forwards requests to.
#[async_trait::async_trait]
pub trait Destination: Send + Sync {
    /// Creates the ticket. Must write [`Ticket::frontline_id`] into a field
    /// [`Destination::find`] can search.
    async fn create(&self, ticket: &Ticket) -> Result<Delivered, Failure>;

    /// The ticket an earlier attempt created for `ticket`, if any.
    /// Destinations that cannot search (e-mail) answer `Ok(None)`; their
    /// receivers deduplicate on the id instead (the Message-ID, the
    /// `webhook-id`), and the docs say so.
    async fn find(&self, ticket: &Ticket) -> Result<Option<Delivered>, Failure>;

    /// The most calls per minute the help desk's documentation allows
    /// (`None`: none documented). The worker spaces its calls to stay under
    /// it, so the relay queues rather than being refused.
    fn calls_per_minute(&self) -> Option<u32> {
        None
    }
}

/// The environment secrets are read from (`std::env::var` in the relay, a
/// map in tests).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A destination's settings: a `[destinations.NAME]` table of the
/// configuration file, with `kind = "…"` choosing the variant. Each
/// variant's settings live in the destination's module.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Settings {
    /// `kind = "webhook"`: a Standard Webhooks signed POST.
    Webhook(webhook::WebhookSettings),
    /// `kind = "email"`: one plain-text message per request, over SMTP.
    Email(email::EmailSettings),
}

impl Settings {
    /// Checks the settings, reads their secrets and makes the destination.
    /// `path` is the table's path (`destinations.desk`) for problems.
    pub fn build(
        &self,
        path: &str,
        env: Env<'_>,
        http: &reqwest::Client,
    ) -> Result<std::sync::Arc<dyn Destination>, Vec<crate::config::ConfigProblem>> {
        match self {
            Settings::Webhook(s) => Ok(std::sync::Arc::new(s.build(path, env, http)?)),
            Settings::Email(s) => Ok(std::sync::Arc::new(s.build(path, env)?)),
        }
    }
}
