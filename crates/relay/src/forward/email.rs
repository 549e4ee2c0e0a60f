//! The e-mail destination: each request as one plain-text message, over
//! SMTP (RFC 5321) to the partner's mail server, with TLS by rustls.
//!
//! # Configuration
//!
//! ```toml
//! [destinations.mail]
//! kind = "email"
//! host = "smtp.partner.example"
//! # port = 587                   # 587 starttls, 465 tls, 25 none, unless set
//! # tls = "starttls"             # or "tls"; "none" only to a server on loopback
//! user = "relay@partner.example" # optional, with password
//! password = { env = "SMTP_PASSWORD" }
//! from = "Frontline <relay@partner.example>"
//! to = ["support@partner.example"]
//! # subject = "[{reference}] {title}"   # also {name}, {company}, {priority}
//! # message_id_domain = "frontline.invalid"
//! # hello_name = "relay.partner.example"
//! ```
//!
//! # The message
//!
//! - `From`, `To`: the configured addresses (`to` may name several).
//! - `Reply-To`: the customer, so that staff can answer from their mail
//!   client. Left out when the customer's address is not a plain, valid
//!   address; it is in the body either way (the `Contact:` line).
//! - `Subject`: the configured template, `[{reference}] {title}` unless
//!   set, after `[flagged] ` when the relay's re-check disagreed.
//! - `Message-ID: <{frontline_id}@frontline.invalid>` (or the configured
//!   domain): the same on every attempt.
//! - The body: [`Ticket::body`], as plain text.
//!
//! Customer text (title, name, address) goes into headers only through
//! lettre's typed headers and [`Mailbox`], and only after
//! [`header_text`] has turned every control character (CR, LF, TAB, NUL,
//! the C1 range, the Unicode line and paragraph separators) and bidi
//! override into a space: it can never start a header of its own.
//!
//! # Exactly once?
//!
//! SMTP has no way to ask a server whether it already took a message, so
//! [`Destination::find`] answers `Ok(None)`: e-mail is at-least-once. A
//! retry after an unknown outcome (the connection dropped after the final
//! `.`) sends the same message with the same `Message-ID`, which mail
//! systems and help desks' mail importers deduplicate on.
//!
//! # Failures
//!
//! - cannot connect, or the connection fails before the message's final
//!   `.` was sent: [`Sent::No`](super::Sent::No), retried;
//! - a 4xx reply (to the greeting, MAIL, RCPT, DATA, or after the final
//!   `.`): the server did not take the message: [`Sent::No`](super::Sent::No), retried;
//! - a 5xx reply: permanent (a refused sender or recipient, bad
//!   credentials);
//! - the server does not offer STARTTLS when `tls = "starttls"`, or no
//!   authentication mechanism we know: permanent (nothing was sent);
//! - no answer after the final `.` (a dropped connection, a timeout):
//!   [`Sent::Maybe`](super::Sent::Maybe).

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::message::header::{ContentType, MIME_VERSION_1_0};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::Address;
use serde::Deserialize;

use super::{Delivered, Destination, Env, Failure, Ticket};
use crate::config::{ConfigProblem, SecretRef};

/// The `Message-ID` domain unless one is configured (`.invalid` is
/// reserved, RFC 2606: it names no real host).
pub const DEFAULT_MESSAGE_ID_DOMAIN: &str = "frontline.invalid";
/// The subject unless one is configured.
pub const DEFAULT_SUBJECT: &str = "[{reference}] {title}";
/// The placeholders a subject template may use.
pub const PLACEHOLDERS: [&str; 5] = ["reference", "title", "name", "company", "priority"];
/// Longest wait for each step of the dialogue (connecting, each command,
/// the message).
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// The most characters of customer text put in one header.
const HEADER_CHARS: usize = 200;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsMode {
    /// Plain text: only to a server on this machine (loopback).
    None,
    /// Plain, then upgraded with STARTTLS (RFC 3207) before anything is
    /// sent; refused if the server does not offer it. Port 587.
    #[default]
    Starttls,
    /// TLS from the first byte (RFC 8314). Port 465.
    Tls,
}

impl TlsMode {
    fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
        }
    }
}

/// `[destinations.NAME]` with `kind = "email"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// The SMTP server: `smtp.example.com`.
    pub host: String,
    /// Its port: 587 for STARTTLS, 465 for TLS, 25 for none, unless set.
    #[serde(default)]
    pub port: Option<u16>,
    /// `"starttls"` (the default), `"tls"` or `"none"` (loopback only).
    #[serde(default)]
    pub tls: TlsMode,
    /// The login, when the server wants one (with `password`).
    #[serde(default)]
    pub user: Option<String>,
    /// The password: `{ env = "…" }` or `{ file = "…" }`.
    #[serde(default)]
    pub password: Option<SecretRef>,
    /// The sender: `relay@partner.example` or `Frontline <relay@…>`.
    pub from: String,
    /// The recipients, one or more.
    pub to: Vec<String>,
    /// The subject template (placeholders [`PLACEHOLDERS`] in braces).
    #[serde(default)]
    pub subject: Option<String>,
    /// The domain of the `Message-ID`s ([`DEFAULT_MESSAGE_ID_DOMAIN`]).
    #[serde(default)]
    pub message_id_domain: Option<String>,
    /// The name given in EHLO (`localhost` unless set).
    #[serde(default)]
    pub hello_name: Option<String>,
    /// The server's limit, when it has one.
    #[serde(default)]
    pub calls_per_minute: Option<u32>,
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_domain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl EmailSettings {
    /// Checks the settings, reads the password and makes the destination.
    pub fn build(&self, path: &str, env: Env<'_>) -> Result<Email, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        let at = |key: &str| format!("{path}.{key}");
        // `[::1]` as written in URLs: connected to as `::1`.
        let host = self
            .host
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let host_ok = is_domain(&host) || host.parse::<IpAddr>().is_ok();
        if !host_ok {
            problems.push(ConfigProblem::new(
                at("host"),
                format!(
                    "\"{}\" is not a host name: write smtp.example.com",
                    self.host
                ),
            ));
        } else if self.tls == TlsMode::None && !is_loopback(&host) {
            problems.push(ConfigProblem::new(
                at("tls"),
                format!("\"none\" would send customers' requests in clear to {host}: use \"starttls\" or \"tls\" (\"none\" is for a server on this machine)"),
            ));
        }
        if self.port == Some(0) {
            problems.push(ConfigProblem::new(at("port"), "0 is not a port"));
        }
        let credentials = match (&self.user, &self.password) {
            (None, None) => None,
            (Some(user), Some(password)) => {
                if user.trim().is_empty() || user.chars().any(char::is_control) {
                    problems.push(ConfigProblem::new(
                        at("user"),
                        "the user is empty or holds a control character",
                    ));
                    None
                } else {
                    match password.resolve_with(&at("password"), env) {
                        Ok(p) => Some(Credentials::new(user.clone(), p.expose().to_string())),
                        Err(p) => {
                            problems.push(p);
                            None
                        }
                    }
                }
            }
            (Some(_), None) => {
                problems.push(ConfigProblem::new(
                    at("password"),
                    "user is set but password is not: add password = { env = \"SMTP_PASSWORD\" }",
                ));
                None
            }
            (None, Some(_)) => {
                problems.push(ConfigProblem::new(
                    at("user"),
                    "password is set but user is not",
                ));
                None
            }
        };
        let from = self.from.parse::<Mailbox>().map_err(|e| {
            problems.push(ConfigProblem::new(
                at("from"),
                format!("\"{}\" is not an address ({e}): write relay@example.com or Frontline <relay@example.com>", self.from),
            ))
        });
        if self.to.is_empty() {
            problems.push(ConfigProblem::new(
                at("to"),
                "name at least one recipient: to = [\"support@example.com\"]",
            ));
        }
        let mut to = Vec::new();
        for (i, addr) in self.to.iter().enumerate() {
            match addr.parse::<Mailbox>() {
                Ok(m) => to.push(m),
                Err(e) => problems.push(ConfigProblem::new(
                    format!("{path}.to[{i}]"),
                    format!("\"{addr}\" is not an address ({e})"),
                )),
            }
        }
        let subject = self
            .subject
            .clone()
            .unwrap_or_else(|| DEFAULT_SUBJECT.into());
        if let Err(why) = check_template(&subject) {
            problems.push(ConfigProblem::new(at("subject"), why));
        }
        let domain = self
            .message_id_domain
            .clone()
            .unwrap_or_else(|| DEFAULT_MESSAGE_ID_DOMAIN.into());
        if !is_domain(&domain) {
            problems.push(ConfigProblem::new(
                at("message_id_domain"),
                format!("\"{domain}\" is not a domain: write e.g. relay.example.com"),
            ));
        }
        let hello = match &self.hello_name {
            None => ClientId::Domain("localhost".into()),
            Some(name) if is_domain(name) => ClientId::Domain(name.clone()),
            Some(name) => {
                problems.push(ConfigProblem::new(
                    at("hello_name"),
                    format!("\"{name}\" is not a host name"),
                ));
                ClientId::Domain("localhost".into())
            }
        };
        if self.calls_per_minute == Some(0) {
            problems.push(ConfigProblem::new(
                at("calls_per_minute"),
                "0 would never send: leave it out when the server has no limit",
            ));
        }
        match from {
            Ok(from) if problems.is_empty() => Ok(Email {
                port: self.port.unwrap_or_else(|| self.tls.default_port()),
                host,
                tls: self.tls,
                credentials,
                from,
                to,
                subject,
                domain,
                hello,
                timeout: STEP_TIMEOUT,
                calls_per_minute: self.calls_per_minute,
            }),
            _ => Err(problems),
        }
    }
}

/// Checks a subject template: known placeholders, no control characters.
fn check_template(template: &str) -> Result<(), String> {
    if template.chars().any(char::is_control) {
        return Err("the subject holds a control character".into());
    }
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!("an unclosed {{ in \"{template}\""));
        };
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "{{{name}}} is not a placeholder; use {}",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// Customer text made safe for a header: every control character, Unicode
/// line or paragraph separator and bidi control becomes a space, runs of
/// spaces become one, and the result is trimmed and cut to 200 characters.
pub fn header_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        let unsafe_char = c.is_control()
            || c.is_whitespace()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}');
        if unsafe_char {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out.chars().take(HEADER_CHARS).collect()
}

/// The customer's address as a `Reply-To`, when it is a plain valid ASCII
/// address (no spaces, quotes, brackets or control characters).
fn reply_to(name: &str, email: &str) -> Option<Mailbox> {
    let email = email.trim();
    let plain = !email.is_empty()
        && email.chars().all(|c| {
            c.is_ascii_graphic()
                && !matches!(
                    c,
                    '"' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | '\\' | ']'
                )
        });
    if !plain {
        return None;
    }
    let address = email.parse::<Address>().ok()?;
    let name = header_text(name);
    Some(Mailbox::new((!name.is_empty()).then_some(name), address))
}

/// The e-mail destination (see the module's docs).
#[derive(Clone)]
pub struct Email {
    host: String,
    port: u16,
    tls: TlsMode,
    credentials: Option<Credentials>,
    from: Mailbox,
    to: Vec<Mailbox>,
    subject: String,
    domain: String,
    hello: ClientId,
    timeout: Duration,
    calls_per_minute: Option<u32>,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("credentials", &self.credentials.as_ref().map(|_| "…"))
            .field("from", &self.from)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

/// Where in the dialogue a step failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Connecting, the greeting, EHLO, STARTTLS, AUTH.
    Connect,
    /// MAIL, RCPT, DATA: the message has not gone out.
    Envelope,
    /// The message and its final `.`: the server may have taken it.
    Content,
}

enum Stop {
    Smtp(lettre::transport::smtp::Error),
    Timeout,
}

async fn within<T>(
    limit: Duration,
    step: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, Stop> {
    match tokio::time::timeout(limit, step).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Stop::Smtp(e)),
        Err(_) => Err(Stop::Timeout),
    }
}

impl Email {
    /// The same destination with another limit for each step of the
    /// dialogue ([`STEP_TIMEOUT`] by default).
    pub fn with_step_timeout(mut self, limit: Duration) -> Email {
        self.timeout = limit;
        self
    }

    /// The `Message-ID` of `ticket`'s message: `<{frontline_id}@{domain}>`.
    pub fn message_id(&self, ticket: &Ticket) -> String {
        let safe: String = ticket
            .frontline_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("<{safe}@{}>", self.domain)
    }

    /// The subject of `ticket`'s message.
    pub fn subject(&self, ticket: &Ticket) -> String {
        let mut out = String::new();
        if ticket.flagged.is_some() {
            out.push_str("[flagged] ");
        }
        let mut rest = self.subject.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').unwrap_or(after.len());
            out.push_str(&match &after[..close] {
                "reference" => header_text(&ticket.reference),
                "title" => header_text(&ticket.title),
                "name" => header_text(ticket.name()),
                "company" => header_text(ticket.company()),
                "priority" => ticket.priority.as_str().to_string(),
                other => format!("{{{other}}}"),
            });
            rest = after.get(close + 1..).unwrap_or("");
        }
        out.push_str(rest);
        header_text(&out)
    }

    /// The message for `ticket` (see the module's docs).
    pub fn message(&self, ticket: &Ticket) -> Result<Message, Failure> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(self.subject(ticket))
            .message_id(Some(self.message_id(ticket)));
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        if let Some(customer) = reply_to(ticket.name(), ticket.email()) {
            builder = builder.reply_to(customer);
        }
        builder
            .header(MIME_VERSION_1_0)
            .header(ContentType::TEXT_PLAIN)
            .body(ticket.body.clone())
            .map_err(|e| Failure::permanent(format!("e-mail: cannot build the message ({e})")))
    }

    fn what(&self) -> String {
        format!("SMTP {}:{}", self.host, self.port)
    }

    fn failure(&self, phase: Phase, stop: Stop) -> Failure {
        let what = self.what();
        let e = match stop {
            Stop::Timeout if phase == Phase::Content => {
                return Failure::maybe_sent(format!(
                    "{what}: no answer within {} s after the message was sent; it may have been taken, and is sent again with the same Message-ID",
                    self.timeout.as_secs()
                ))
            }
            Stop::Timeout => {
                return Failure::not_sent(format!(
                    "{what}: no answer within {} s before the message was sent",
                    self.timeout.as_secs()
                ))
            }
            Stop::Smtp(e) => e,
        };
        let words = e.to_string().replace(['\r', '\n'], " ");
        if e.is_transient() {
            Failure::not_sent(format!("{what}: the server refused for now: {words}"))
        } else if e.is_permanent() {
            Failure::permanent(format!("{what}: the server refused: {words}"))
        } else if e.is_client() {
            Failure::permanent(format!("{what}: {words}; nothing was sent"))
        } else if phase == Phase::Content {
            Failure::maybe_sent(format!(
                "{what}: the connection failed after the message was sent ({words}); it may have been taken, and is sent again with the same Message-ID"
            ))
        } else if phase == Phase::Connect {
            Failure::not_sent(format!("{what}: cannot connect ({words})"))
        } else {
            Failure::not_sent(format!(
                "{what}: the connection failed before the message was sent ({words})"
            ))
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, lettre::transport::smtp::Error> {
        let wrapper = match self.tls {
            TlsMode::Tls => Some(TlsParameters::new(self.host.clone())?),
            _ => None,
        };
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(super::http::CONNECT_TIMEOUT),
            &self.hello,
            wrapper,
            None,
        )
        .await?;
        if self.tls == TlsMode::Starttls {
            // Refuses (a client error) when the server does not offer it:
            // nothing is sent in clear.
            let params = TlsParameters::new(self.host.clone())?;
            conn.starttls(params, &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(conn)
    }

    /// MAIL, RCPT, DATA and the message. On failure, also whether the
    /// server is still talking (it answered with a code), so that QUIT is
    /// worth sending.
    async fn transaction(
        &self,
        conn: &mut AsyncSmtpConnection,
        envelope: &Envelope,
        raw: &[u8],
    ) -> Result<(), (Failure, bool)> {
        let mut params = Vec::new();
        if !raw.is_ascii() {
            // lettre encodes bodies as 7bit, quoted-printable or base64 and
            // customer text in headers as RFC 2047 words, so only a
            // configured address could get here.
            if !conn.server_info().supports_feature(Extension::EightBitMime) {
                return Err((
                    Failure::permanent(format!(
                        "{}: the message has non-ASCII headers and the server does not take 8BITMIME; nothing was sent",
                        self.what()
                    )),
                    true,
                ));
            }
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let t = self.timeout;
        let stopped = |phase: Phase| {
            move |stop: Stop| {
                let answered = matches!(&stop, Stop::Smtp(e) if e.status().is_some());
                (self.failure(phase, stop), answered)
            }
        };
        within(t, conn.command(Mail::new(envelope.from().cloned(), params)))
            .await
            .map_err(stopped(Phase::Envelope))?;
        for to in envelope.to() {
            within(t, conn.command(Rcpt::new(to.clone(), vec![])))
                .await
                .map_err(stopped(Phase::Envelope))?;
        }
        within(t, conn.command(Data))
            .await
            .map_err(stopped(Phase::Envelope))?;
        within(t, conn.message(raw))
            .await
            .map_err(stopped(Phase::Content))?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Destination for Email {
    async fn create(&self, ticket: &Ticket) -> Result<Delivered, Failure> {
        let message = self.message(ticket)?;
        let raw = message.formatted();
        let mut conn = within(self.timeout, self.connect())
            .await
            .map_err(|s| self.failure(Phase::Connect, s))?;
        let result = self.transaction(&mut conn, message.envelope(), &raw).await;
        // QUIT after a success or a refusal, without waiting long: the
        // outcome is known already. After a timeout or a broken connection
        // it is only closed (dropped).
        let talking = match &result {
            Ok(()) => true,
            Err((_, answered)) => *answered,
        };
        if talking {
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.quit()).await;
        }
        match result {
            Ok(()) => Ok(Delivered {
                ticket_id: self.message_id(ticket),
                url: None,
            }),
            Err((failure, _)) => Err(failure),
        }
    }

    /// Always `Ok(None)`: SMTP cannot be asked what a server took. E-mail
    /// is at-least-once, with a stable `Message-ID` to deduplicate on.
    async fn find(&self, _ticket: &Ticket) -> Result<Option<Delivered>, Failure> {
        Ok(None)
    }

    fn calls_per_minute(&self) -> Option<u32> {
        self.calls_per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forward::Settings;

    fn env(name: &str) -> Option<String> {
        match name {
            "SMTP_PASSWORD" => Some("pw-123456".into()),
            "HOOK_SECRET" => Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
            _ => None,
        }
    }

    const GOOD: &str = "host = \"smtp.partner.example\"\nfrom = \"relay@partner.example\"\nto = [\"support@partner.example\"]\n";

    fn problems(extra: &str) -> Vec<ConfigProblem> {
        let s: EmailSettings = toml::from_str(&format!("{GOOD}{extra}")).unwrap();
        s.build("destinations.mail", &env).unwrap_err()
    }

    fn paths(p: &[ConfigProblem]) -> Vec<&str> {
        p.iter().map(|p| p.path.as_str()).collect()
    }

    #[test]
    fn header_text_leaves_no_control_character() {
        assert_eq!(header_text("a\r\nBcc: x"), "a Bcc: x");
        assert_eq!(
            header_text("  a\t\tb\u{0}c\u{85}d\u{2028}e\u{2029}f  "),
            "a b c d e f"
        );
        assert_eq!(header_text("x\u{202E}y\u{2066}z\u{200B}"), "x y z");
        assert_eq!(header_text("Grüße – ok"), "Grüße – ok");
        assert_eq!(header_text(&"é".repeat(500)).chars().count(), 200);
        assert_eq!(header_text("\r\n"), "");
    }

    #[test]
    fn reply_to_only_for_plain_addresses() {
        assert!(reply_to("A", "a@b.example").is_some());
        for bad in [
            "",
            "a",
            "a b@c.example",
            "a@b.example\r\nBcc: x@y",
            "<a@b.example>",
            "\"a\"@b.example",
            "ü@b.example",
            "a@b@c",
        ] {
            assert!(reply_to("A", bad).is_none(), "{bad:?}");
        }
        let m = reply_to("Eve\r\nBcc: x", "e@b.example").unwrap();
        assert_eq!(m.name.as_deref(), Some("Eve Bcc: x"));
        assert_eq!(reply_to("\r\n", "e@b.example").unwrap().name, None);
    }

    #[test]
    fn subjects_follow_the_template() {
        let s: EmailSettings = toml::from_str(&format!(
            "{GOOD}subject = \"{{priority}} {{reference}}: {{title}} ({{name}}, {{company}})\"\n"
        ))
        .unwrap();
        let mail = s.build("destinations.mail", &env).unwrap();
        let mut r = frontline_core::request::Request::example();
        r.problem.title = "Down\r\nBcc: x@y".into();
        let t = Ticket::new(r, String::new(), "FL-000009".into(), None, Some("x".into()));
        assert_eq!(
            mail.subject(&t),
            format!(
                "[flagged] normal FL-000009: Down Bcc: x@y ({}, {})",
                t.name(),
                t.company()
            )
        );
        assert_eq!(
            mail.message_id(&t),
            format!("<{}@frontline.invalid>", t.frontline_id)
        );
        assert!(check_template("[{reference}] {title}").is_ok());
        assert!(check_template("{nope}")
            .unwrap_err()
            .contains("{nope} is not a placeholder"));
        assert!(check_template("{title").unwrap_err().contains("unclosed"));
    }

    #[test]
    fn settings_problems_name_their_path() {
        let s: EmailSettings = toml::from_str(GOOD).unwrap();
        let mail = s.build("destinations.mail", &env).unwrap();
        assert_eq!((mail.port, mail.tls), (587, TlsMode::Starttls));
        let s: EmailSettings = toml::from_str(&format!("{GOOD}tls = \"tls\"\n")).unwrap();
        assert_eq!(s.build("d", &env).unwrap().port, 465);

        let p = problems("tls = \"none\"\n");
        assert_eq!(paths(&p), ["destinations.mail.tls"]);
        assert!(p[0].message.contains("in clear"), "{}", p[0].message);

        let p = problems("user = \"relay\"\npassword = { env = \"UNSET_PW\" }\n");
        assert_eq!(paths(&p), ["destinations.mail.password"]);
        assert!(
            p[0].message.contains("UNSET_PW is not set"),
            "{}",
            p[0].message
        );
        assert_eq!(
            paths(&problems("user = \"relay\"\n")),
            ["destinations.mail.password"]
        );
        assert_eq!(
            paths(&problems("password = { env = \"SMTP_PASSWORD\" }\n")),
            ["destinations.mail.user"]
        );

        let s: EmailSettings = toml::from_str(
            "host = \"bad host\"\nfrom = \"nobody\"\nto = [\"ok@x.example\", \"also bad\"]\nsubject = \"{oops}\"\nmessage_id_domain = \"a..b\"\ncalls_per_minute = 0\n",
        )
        .unwrap();
        let p = s.build("destinations.mail", &env).unwrap_err();
        assert_eq!(
            paths(&p),
            [
                "destinations.mail.host",
                "destinations.mail.from",
                "destinations.mail.to[1]",
                "destinations.mail.subject",
                "destinations.mail.message_id_domain",
                "destinations.mail.calls_per_minute"
            ]
        );
        let s: EmailSettings =
            toml::from_str("host = \"x.example\"\nfrom = \"a@x.example\"\nto = []\n").unwrap();
        assert_eq!(paths(&s.build("d", &env).unwrap_err()), ["d.to"]);
        // Loopback may be plain.
        let s: EmailSettings =
            toml::from_str(&GOOD.replace("smtp.partner.example", "127.0.0.1")).unwrap();
        let mut s = s;
        s.tls = TlsMode::None;
        assert!(s.build("d", &env).is_ok());
        s.host = "[::1]".into();
        assert_eq!(s.build("d", &env).unwrap().host, "::1");
        assert!(is_loopback("localhost") && is_loopback("::1") && is_loopback("[::1]"));
        assert!(!is_loopback("10.0.0.1") && !is_loopback("smtp.example"));
    }

    /// The destinations' table as the configuration file holds it: `kind`
    /// picks the variant, and each variant refuses keys it does not know.
    #[test]
    fn the_settings_enum_reads_both_kinds() {
        let http = reqwest::Client::new();
        let table = format!("[mail]\nkind = \"email\"\n{GOOD}\n[hook]\nkind = \"webhook\"\nurl = \"https://hooks.example/x\"\nsecret = {{ env = \"HOOK_SECRET\" }}\n");
        let all: std::collections::BTreeMap<String, Settings> = toml::from_str(&table).unwrap();
        assert!(matches!(all["mail"], Settings::Email(_)));
        assert!(matches!(all["hook"], Settings::Webhook(_)));
        for (name, s) in &all {
            let d = s
                .build(&format!("destinations.{name}"), &env, &http)
                .unwrap();
            assert_eq!(d.calls_per_minute(), None);
        }

        // Problems from build carry the table's path.
        let hook: Settings = toml::from_str(
            "kind = \"webhook\"\nurl = \"not a url\"\nsecret = { env = \"MISSING\" }\n",
        )
        .unwrap();
        let p = hook.build("destinations.hook", &env, &http).err().unwrap();
        assert_eq!(
            paths(&p),
            ["destinations.hook.url", "destinations.hook.secret"]
        );

        // An unknown key: the error names the key and, read through
        // serde_path_to_error as the relay reads JSON, the table.
        let text = format!("[mail]\nkind = \"email\"\n{GOOD}bogus = 1\n");
        let de = toml::Deserializer::new(&text);
        let e =
            serde_path_to_error::deserialize::<_, std::collections::BTreeMap<String, Settings>>(de)
                .unwrap_err();
        let problem = ConfigProblem::new(format!("destinations.{}", e.path()), e.inner().message());
        assert_eq!(problem.path, "destinations.mail");
        assert!(
            problem.message.contains("unknown field `bogus`"),
            "{problem}"
        );
        let e = toml::from_str::<Settings>("kind = \"fax\"\n").unwrap_err();
        assert!(e.to_string().contains("unknown variant `fax`"), "{e}");
    }
}
