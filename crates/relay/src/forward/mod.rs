//! Forwarding: what the relay hands each destination, and what a
//! destination answers.
//!
//! A destination ([`Destination`]) creates one ticket (or message) from a
//! [`Ticket`] and can look one up by the Frontline id it wrote into a field
//! the help desk keeps ([`Destination::find`]). The worker
//! ([`crate::worker`]) calls `find` before sending again whenever an earlier
//! attempt may have reached the help desk ([`Sent::Maybe`]), which is what
//! makes delivery exactly-once into APIs that have no idempotency key.

pub mod desks;
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

    /// How long a ticket can take to show up in [`Destination::find`]'s
    /// search after it was created (a search index that lags). After an
    /// ambiguous failure the next attempt waits at least this long, so the
    /// look-up sees a ticket that was created.
    fn search_lag(&self) -> std::time::Duration {
        std::time::Duration::ZERO
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
    /// Freshdesk ([`desks::freshdesk`]).
    Freshdesk(desks::freshdesk::FreshdeskSettings),
    /// ServiceNow ([`desks::servicenow`]).
    Servicenow(desks::servicenow::ServicenowSettings),
    /// Zammad ([`desks::zammad`]).
    Zammad(desks::zammad::ZammadSettings),
    /// Jira Service Management ([`desks::jira`]).
    JiraServiceManagement(desks::jira::JiraSettings),
    /// ConnectWise Manage ([`desks::connectwise`]).
    Connectwise(desks::connectwise::ConnectwiseSettings),
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
        fn arc<D: Destination + 'static>(
            d: Result<D, Vec<crate::config::ConfigProblem>>,
        ) -> Result<std::sync::Arc<dyn Destination>, Vec<crate::config::ConfigProblem>> {
            d.map(|d| std::sync::Arc::new(d) as std::sync::Arc<dyn Destination>)
        }
        match self {
            Settings::Freshdesk(s) => arc(s.build(path, env, http)),
            Settings::Servicenow(s) => arc(s.build(path, env, http)),
            Settings::Zammad(s) => arc(s.build(path, env, http)),
            Settings::JiraServiceManagement(s) => arc(s.build(path, env, http)),
            Settings::Connectwise(s) => arc(s.build(path, env, http)),
            Settings::Webhook(s) => arc(s.build(path, env, http)),
            Settings::Email(s) => arc(s.build(path, env)),
        }
    }
}
