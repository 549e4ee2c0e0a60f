//! Intake adapters: pure mappings from a [`Request`] and the partner's
//! intake configuration ([`Intake`]) to what the browser must send.
//!
//! What it is for: deciding, byte for byte, the HTTP call (method, URL,
//! headers, body) or the `mailto:` link for each adapter the ruleset can name:
//!
//! | adapter | what is sent |
//! |---|---|
//! | `json` | `POST` of the request JSON (`frontline.request/v1`) |
//! | `zendesk` | `POST` to Zendesk's anonymous Requests API (`/api/v2/requests`), custom fields from `intake.zendesk_fields` |
//! | `form` | `POST` `application/x-www-form-urlencoded` to an existing form handler, fields from `intake.form_fields` |
//! | `email` | a `mailto:` link with subject and body |
//!
//! Every HTTP call carries `Idempotency-Key: <request id>`, so a retry never
//! creates a second ticket on an intake that honours it. [`mailto_for`] gives
//! the e-mail fallback for any adapter (offered when delivery fails for good).
//!
//! What it is not: a transport. Nothing here sends, waits or retries (the
//! browser does, driven by [`crate::outbox`]); nothing here holds a secret
//! (a secret in a browser is no secret: use a relay).
//!
//! ## Usage
//! ```
//! use frontline_core::adapters::{delivery_for, Delivery};
//! use frontline_core::request::Request;
//! use frontline_core::{Intake, IntakeAdapter};
//! let intake = Intake {
//!     adapter: IntakeAdapter::Json,
//!     url: "https://support.example.com/intake".into(),
//!     headers: Default::default(),
//!     zendesk_fields: vec![],
//!     form_fields: vec![],
//!     events_url: None,
//!     challenge_url: None,
//! };
//! let req = Request::example();
//! match delivery_for(&req, &intake).unwrap() {
//!     Delivery::Http(h) => {
//!         assert_eq!(h.method, "POST");
//!         assert!(h.headers.contains(&("Idempotency-Key".into(), req.id.clone())));
//!     }
//!     Delivery::Mailto(_) => unreachable!(),
//! }
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::hours::Clock;
use crate::request::Request;
use crate::ruleset::{Intake, IntakeAdapter};

/// The longest `mailto:` link [`mailto_for`] writes: mail clients and some
/// browsers cut or refuse longer ones.
pub const MAX_MAILTO_CHARS: usize = 2000;

/// The longest subject [`mailto_for`] writes, percent-encoded, so a long
/// non-Latin title leaves room for the body.
const MAX_MAILTO_SUBJECT_CHARS: usize = 600;

/// The header carrying the request id on every attempt.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// An HTTP call to make, exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingHttp {
    /// `POST`.
    pub method: String,
    /// The endpoint, from the ruleset's `intake.url`.
    pub url: String,
    /// Every header to send, in order: `Content-Type`, `Idempotency-Key`,
    /// then the ruleset's extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
    /// The `Content-Type` (also in `headers`).
    pub content_type: String,
}

/// What to do to hand the request over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Delivery {
    /// Make this HTTP call (and retry it through the outbox).
    Http(OutgoingHttp),
    /// Open this `mailto:` link (nothing to retry: the customer sends it).
    Mailto(String),
}

/// A field of the request, for Zendesk custom fields and form field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestField {
    /// `id` (UUID).
    Id,
    /// `created_at`.
    CreatedAt,
    /// `locale`.
    Locale,
    /// `contact.name`.
    Name,
    /// `contact.email`.
    Email,
    /// `contact.phone`.
    Phone,
    /// `contact.preferred`.
    PreferredContact,
    /// `organisation.company`.
    Company,
    /// `organisation.tenant`.
    Tenant,
    /// `organisation.subscription_id`.
    SubscriptionId,
    /// `problem.product`.
    Product,
    /// `problem.kind`.
    Kind,
    /// `problem.severity`.
    Severity,
    /// `problem.title`.
    Title,
    /// `problem.description`.
    Description,
    /// `problem.business_impact`.
    BusinessImpact,
    /// `problem.started_at`.
    StartedAt,
    /// `outcome.decision.handler`.
    Handler,
    /// `outcome.decision.vehicle`.
    Vehicle,
    /// `outcome.decision.rule`.
    Rule,
    /// `outcome.ruleset.id`.
    RulesetId,
    /// `outcome.ruleset.version`.
    RulesetVersion,
    /// `outcome.ruleset.hash`.
    RulesetHash,
    /// `first_response.due`.
    FirstResponseDue,
    /// `price.item`.
    PriceItem,
    /// `consent.share_diagnostics` (`true`/`false`).
    ShareDiagnostics,
    /// `consent.continuous_work` (`true`/`false`).
    ContinuousWork,
    /// `client.time_zone`.
    TimeZone,
    /// `client.user_agent`.
    UserAgent,
    /// The whole request as readable plain text ([`plain_text`]).
    Summary,
}

impl RequestField {
    /// Every field, in the order the `form` adapter sends them by default.
    pub const ALL: [RequestField; 30] = [
        RequestField::Id,
        RequestField::CreatedAt,
        RequestField::Locale,
        RequestField::Name,
        RequestField::Email,
        RequestField::Phone,
        RequestField::PreferredContact,
        RequestField::Company,
        RequestField::Tenant,
        RequestField::SubscriptionId,
        RequestField::Product,
        RequestField::Kind,
        RequestField::Severity,
        RequestField::Title,
        RequestField::Description,
        RequestField::BusinessImpact,
        RequestField::StartedAt,
        RequestField::Handler,
        RequestField::Vehicle,
        RequestField::Rule,
        RequestField::RulesetId,
        RequestField::RulesetVersion,
        RequestField::RulesetHash,
        RequestField::FirstResponseDue,
        RequestField::PriceItem,
        RequestField::ShareDiagnostics,
        RequestField::ContinuousWork,
        RequestField::TimeZone,
        RequestField::UserAgent,
        RequestField::Summary,
    ];

    /// The snake_case name (also the default form field name).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestField::Id => "id",
            RequestField::CreatedAt => "created_at",
            RequestField::Locale => "locale",
            RequestField::Name => "name",
            RequestField::Email => "email",
            RequestField::Phone => "phone",
            RequestField::PreferredContact => "preferred_contact",
            RequestField::Company => "company",
            RequestField::Tenant => "tenant",
            RequestField::SubscriptionId => "subscription_id",
            RequestField::Product => "product",
            RequestField::Kind => "kind",
            RequestField::Severity => "severity",
            RequestField::Title => "title",
            RequestField::Description => "description",
            RequestField::BusinessImpact => "business_impact",
            RequestField::StartedAt => "started_at",
            RequestField::Handler => "handler",
            RequestField::Vehicle => "vehicle",
            RequestField::Rule => "rule",
            RequestField::RulesetId => "ruleset_id",
            RequestField::RulesetVersion => "ruleset_version",
            RequestField::RulesetHash => "ruleset_hash",
            RequestField::FirstResponseDue => "first_response_due",
            RequestField::PriceItem => "price_item",
            RequestField::ShareDiagnostics => "share_diagnostics",
            RequestField::ContinuousWork => "continuous_work",
            RequestField::TimeZone => "time_zone",
            RequestField::UserAgent => "user_agent",
            RequestField::Summary => "summary",
        }
    }

    /// The field's value in `req`, as text (`""` when absent).
    pub fn value(self, req: &Request) -> String {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let flag = |b: bool| if b { "true" } else { "false" }.to_string();
        match self {
            RequestField::Id => req.id.clone(),
            RequestField::CreatedAt => req.created_at.clone(),
            RequestField::Locale => req.locale.clone(),
            RequestField::Name => req.contact.name.clone(),
            RequestField::Email => req.contact.email.clone(),
            RequestField::Phone => opt(&req.contact.phone),
            RequestField::PreferredContact => req.contact.preferred.as_str().into(),
            RequestField::Company => req.organisation.company.clone(),
            RequestField::Tenant => opt(&req.organisation.tenant),
            RequestField::SubscriptionId => opt(&req.organisation.subscription_id),
            RequestField::Product => req.problem.product.clone(),
            RequestField::Kind => req.problem.kind.clone(),
            RequestField::Severity => opt(&req.problem.severity),
            RequestField::Title => req.problem.title.clone(),
            RequestField::Description => req.problem.description.clone(),
            RequestField::BusinessImpact => req.problem.business_impact.clone(),
            RequestField::StartedAt => opt(&req.problem.started_at),
            RequestField::Handler => req.outcome.decision.handler.as_str().into(),
            RequestField::Vehicle => opt(&req.outcome.decision.vehicle),
            RequestField::Rule => req.outcome.decision.rule.clone(),
            RequestField::RulesetId => req.outcome.ruleset.id.clone(),
            RequestField::RulesetVersion => req.outcome.ruleset.version.clone(),
            RequestField::RulesetHash => req.outcome.ruleset.hash.clone(),
            RequestField::FirstResponseDue => req
                .first_response
                .as_ref()
                .map(|f| f.due.clone())
                .unwrap_or_default(),
            RequestField::PriceItem => req
                .price
                .as_ref()
                .map(|p| p.item.clone())
                .unwrap_or_default(),
            RequestField::ShareDiagnostics => flag(req.consent.share_diagnostics),
            RequestField::ContinuousWork => flag(req.consent.continuous_work),
            RequestField::TimeZone => req.client.time_zone.clone(),
            RequestField::UserAgent => req.client.user_agent.clone(),
            RequestField::Summary => plain_text(req),
        }
    }
}

/// A Zendesk custom ticket field to fill from the request (an item of the
/// ruleset's `intake.zendesk_fields`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ZendeskField {
    /// The custom field's numeric id (Admin Center > Objects and rules >
    /// Tickets > Fields).
    pub id: u64,
    /// Which request field fills it.
    pub field: RequestField,
}

/// A form field to send, and under which name (an item of the ruleset's
/// `intake.form_fields`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FormField {
    /// The name the form handler expects.
    pub name: String,
    /// Which request field fills it.
    pub field: RequestField,
}

/// Why a request cannot be mapped for this intake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterError {
    /// What is wrong and how the partner fixes its ruleset.
    pub message: String,
}

impl std::fmt::Display for AdapterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AdapterError {}

/// What to send for `req` to the partner's intake: an HTTP call for `json`,
/// `zendesk` (filling `intake.zendesk_fields`) and `form` (sending
/// `intake.form_fields`), a `mailto:` link for `email`.
///
/// Errors when the intake configuration cannot be used (a `mailto:` URL
/// for an HTTP adapter or the reverse, a header value with a line break);
/// the ruleset loader reports the same problems earlier.
pub fn delivery_for(req: &Request, intake: &Intake) -> Result<Delivery, AdapterError> {
    let url = intake.url.trim();
    let (content_type, body) = match intake.adapter {
        IntakeAdapter::Email => {
            if !url.starts_with("mailto:") {
                return Err(AdapterError {
                    message: format!(
                        "the email adapter needs a mailto: URL, not \"{url}\"; write mailto:support@example.com"
                    ),
                });
            }
            return Ok(Delivery::Mailto(mailto_for(req, url)));
        }
        IntakeAdapter::Json => ("application/json", req.to_json()),
        IntakeAdapter::Zendesk => (
            "application/json",
            zendesk_body(req, &intake.zendesk_fields),
        ),
        IntakeAdapter::Form => (
            "application/x-www-form-urlencoded",
            form_body(req, &intake.form_fields),
        ),
    };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(AdapterError {
            message: format!(
                "the {} adapter needs an http(s) URL, not \"{url}\"; use the email adapter for mailto:",
                adapter_name(intake.adapter)
            ),
        });
    }
    let mut headers = vec![
        ("Content-Type".to_string(), content_type.to_string()),
        (IDEMPOTENCY_KEY.to_string(), req.id.clone()),
    ];
    for (name, value) in &intake.headers {
        if name.eq_ignore_ascii_case("content-type") || name.eq_ignore_ascii_case(IDEMPOTENCY_KEY) {
            continue; // ours win: they describe this exact body
        }
        let name_ok =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !name_ok || value.chars().any(|c| c.is_control()) {
            return Err(AdapterError {
                message: format!(
                    "intake header \"{name}\" cannot be sent: names are letters, digits and '-', values one line of text; fix $.intake.headers"
                ),
            });
        }
        headers.push((name.clone(), value.clone()));
    }
    Ok(Delivery::Http(OutgoingHttp {
        method: "POST".into(),
        url: url.to_string(),
        headers,
        body,
        content_type: content_type.into(),
    }))
}

/// The header carrying the honeypot field's value, when a bot filled it.
pub const TRAP_HEADER: &str = "Frontline-Trap";

/// The header carrying the whole milliseconds from the portal's opening to
/// the customer pressing "Send".
pub const ELAPSED_HEADER: &str = "Frontline-Elapsed-Ms";

/// The longest honeypot value [`signal_headers`] sends.
pub const MAX_TRAP_CHARS: usize = 200;

/// The anti-spam signals for the partner's relay, as headers:
/// [`TRAP_HEADER`] with the honeypot field's value (only when it is not
/// blank: people never see the field), and [`ELAPSED_HEADER`] with
/// `elapsed_ms`. The trap's value is made a safe header value: trimmed,
/// cut to [`MAX_TRAP_CHARS`] characters, and every character outside
/// printable ASCII, `%` included, percent-encoded as UTF-8 (a browser
/// refuses a header value beyond Latin-1, which would stop the request).
pub fn signal_headers(trap: &str, elapsed_ms: u64) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    let trap = trap.trim();
    if !trap.is_empty() {
        let mut value = String::new();
        for c in trap.chars().take(MAX_TRAP_CHARS) {
            if (c.is_ascii_graphic() && c != '%') || c == ' ' {
                value.push(c);
            } else {
                for b in c.encode_utf8(&mut [0; 4]).bytes() {
                    push_byte_escaped(b, &mut value);
                }
            }
        }
        headers.push((TRAP_HEADER.to_string(), value));
    }
    headers.push((ELAPSED_HEADER.to_string(), elapsed_ms.to_string()));
    headers
}

/// [`delivery_for`], with the anti-spam [`signal_headers`] added to the
/// `json` adapter's call, after every other header (and in place of a
/// ruleset header of the same name). Other adapters post to third parties,
/// whose CORS preflight would refuse unknown headers: their calls are
/// [`delivery_for`]'s.
pub fn delivery_with_signals(
    req: &Request,
    intake: &Intake,
    trap: &str,
    elapsed_ms: u64,
) -> Result<Delivery, AdapterError> {
    let mut delivery = delivery_for(req, intake)?;
    if let (IntakeAdapter::Json, Delivery::Http(call)) = (intake.adapter, &mut delivery) {
        call.headers.retain(|(name, _)| {
            !name.eq_ignore_ascii_case(TRAP_HEADER) && !name.eq_ignore_ascii_case(ELAPSED_HEADER)
        });
        call.headers.extend(signal_headers(trap, elapsed_ms));
    }
    Ok(delivery)
}

pub(crate) fn adapter_name(a: IntakeAdapter) -> &'static str {
    match a {
        IntakeAdapter::Json => "json",
        IntakeAdapter::Zendesk => "zendesk",
        IntakeAdapter::Form => "form",
        IntakeAdapter::Email => "email",
    }
}

/// The Zendesk Requests API body:
/// `{"request":{"requester":{"name","email"},"subject","comment":{"body"},"custom_fields":[{"id","value"}]}}`
/// (`custom_fields`, in the order of `fields`, only when there are some;
/// `share_diagnostics` and `continuous_work` as JSON booleans, for checkbox
/// fields).
pub fn zendesk_body(req: &Request, fields: &[ZendeskField]) -> String {
    // Written by hand, keys in the order serde_json's (sorted) maps write
    // them, as `json!` did before (a test compares): no serializer code.
    use crate::json::Writer;
    let mut w = Writer::new("{");
    w.raw("request", "{");
    w.raw("comment", "{");
    w.text("body", &plain_text(req));
    w.close('}');
    if !fields.is_empty() {
        w.raw("custom_fields", "[");
        for f in fields {
            w.raw("", "{");
            w.num("id", f.id);
            match f.field {
                RequestField::ShareDiagnostics => w.flag("value", req.consent.share_diagnostics),
                RequestField::ContinuousWork => w.flag("value", req.consent.continuous_work),
                other => w.text("value", &other.value(req)),
            }
            w.close('}');
        }
        w.close(']');
    }
    w.raw("requester", "{");
    w.text("email", &req.contact.email);
    w.text("name", &req.contact.name);
    w.close('}');
    w.text("subject", &req.problem.title);
    w.close('}');
    w.close('}');
    w.0
}

/// The `application/x-www-form-urlencoded` body: `fields` in order, or
/// every [`RequestField`] under its own name when `fields` is empty.
pub fn form_body(req: &Request, fields: &[FormField]) -> String {
    let pairs: Vec<(String, String)> = if fields.is_empty() {
        RequestField::ALL
            .iter()
            .map(|f| (f.as_str().to_string(), f.value(req)))
            .collect()
    } else {
        fields
            .iter()
            .map(|f| (f.name.clone(), f.field.value(req)))
            .collect()
    };
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        form_encode_into(name, &mut out);
        out.push('=');
        form_encode_into(value, &mut out);
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_byte_escaped(b: u8, out: &mut String) {
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 15)]));
}

/// `application/x-www-form-urlencoded` encoding (WHATWG URL standard):
/// letters, digits and `*-._` kept, space as `+`, every other byte of the
/// UTF-8 text as `%XX`.
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    form_encode_into(s, &mut out);
    out
}

fn form_encode_into(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => push_byte_escaped(b, out),
        }
    }
}

/// Percent-encoding for `mailto:` header values (RFC 6068): only
/// unreserved characters (`A-Z a-z 0-9 - . _ ~`) kept; line breaks (`\n`,
/// `\r\n`, `\r`) written as `%0D%0A`.
pub fn mailto_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in normalise_newlines(s).chars() {
        push_mailto_char(c, &mut out);
    }
    out
}

fn normalise_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

fn push_mailto_char(c: char, out: &mut String) {
    if c == '\n' {
        out.push_str("%0D%0A");
    } else if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~') {
        out.push(c);
    } else {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            push_byte_escaped(b, out);
        }
    }
}

fn mailto_len(c: char) -> usize {
    if c == '\n' {
        6
    } else if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~') {
        1
    } else {
        3 * c.len_utf8()
    }
}

/// Encodes as much of `s` as fits in `budget` characters, whole characters only.
fn mailto_encode_prefix(s: &str, budget: usize) -> (String, bool) {
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let n = mailto_len(c);
        if used + n > budget {
            return (out, true);
        }
        used += n;
        push_mailto_char(c, &mut out);
    }
    (out, false)
}

/// A `mailto:` link to `to` (an address, or a `mailto:` URL whose query is
/// dropped) with the request's title as subject and [`plain_text`] as body,
/// at most [`MAX_MAILTO_CHARS`] long: a body that does not fit is cut at a
/// line end where possible and ends with a note saying so (with the request
/// id, so the partner can ask for the rest). Usable as the fallback of any
/// adapter.
pub fn mailto_for(req: &Request, to: &str) -> String {
    let address = to.trim();
    let address = address.strip_prefix("mailto:").unwrap_or(address);
    let address = address.split('?').next().unwrap_or("");
    let mut url = String::from("mailto:");
    for c in address.chars() {
        if c == '@' {
            url.push('@');
        } else {
            push_mailto_char(c, &mut url);
        }
    }
    url.push_str("?subject=");
    let subject_budget = MAX_MAILTO_SUBJECT_CHARS.min(MAX_MAILTO_CHARS.saturating_sub(url.len()));
    let (subject, _) =
        mailto_encode_prefix(&normalise_newlines(&req.problem.title), subject_budget);
    url.push_str(&subject);
    url.push_str("&body=");
    let budget = MAX_MAILTO_CHARS.saturating_sub(url.len());
    let body = normalise_newlines(&plain_text(req));
    let (encoded, cut) = mailto_encode_prefix(&body, budget);
    if !cut {
        url.push_str(&encoded);
        return url;
    }
    let note = format!(
        "\n[…] Shortened to fit in an e-mail link. Request id: {}",
        req.id
    );
    let note_len: usize = note.chars().map(mailto_len).sum();
    let room = budget.saturating_sub(note_len);
    // Cut at the last line break that fits, unless that loses most of it.
    let mut kept_chars = 0;
    let mut kept_len = 0;
    let mut last_break = None;
    for c in body.chars() {
        let n = mailto_len(c);
        if kept_len + n > room {
            break;
        }
        kept_len += n;
        kept_chars += 1;
        if c == '\n' {
            last_break = Some((kept_chars, kept_len));
        }
    }
    if let Some((chars, len)) = last_break {
        if len * 2 >= kept_len {
            kept_chars = chars;
        }
    }
    let kept: String = body.chars().take(kept_chars).collect();
    url.push_str(&mailto_encode(&kept));
    let (note, _) = mailto_encode_prefix(&note, MAX_MAILTO_CHARS.saturating_sub(url.len()));
    url.push_str(&note);
    url
}

/// The request as readable plain text (English labels, the customer's own
/// words as typed): what a ticket body or an e-mail shows a support engineer.
pub fn plain_text(req: &Request) -> String {
    let mut s = String::new();
    let mut line = |label: &str, value: &str| {
        if !value.is_empty() {
            s.push_str(label);
            s.push_str(": ");
            s.push_str(value);
            s.push('\n');
        }
    };
    let p = &req.problem;
    let c = &req.contact;
    let o = &req.organisation;
    line("Title", &p.title);
    line("Product / kind", &format!("{} / {}", p.product, p.kind));
    line("Severity", p.severity.as_deref().unwrap_or(""));
    line("Problem started", p.started_at.as_deref().unwrap_or(""));
    let contact = match &c.phone {
        Some(phone) if !phone.is_empty() => format!(
            "{} <{}>, {phone} (prefers {})",
            c.name,
            c.email,
            c.preferred.as_str()
        ),
        _ => format!(
            "{} <{}> (prefers {})",
            c.name,
            c.email,
            c.preferred.as_str()
        ),
    };
    line("Contact", &contact);
    line("Company", &o.company);
    line("Tenant", o.tenant.as_deref().unwrap_or(""));
    line("Subscription", o.subscription_id.as_deref().unwrap_or(""));
    let d = &req.outcome.decision;
    let handler = match &d.vehicle {
        Some(v) => format!("{} via {v}", d.handler.as_str()),
        None => d.handler.as_str().to_string(),
    };
    line("Handled by", &handler);
    if let Some(f) = &req.first_response {
        let clock = match f.clock {
            Clock::BusinessHours => "business hours",
            Clock::RoundTheClock => "24x7",
        };
        line(
            "First response due",
            &format!("{} ({} min, {clock})", f.due, f.minutes),
        );
    }
    if let Some(pr) = &req.price {
        let amount = match (pr.amount_minor, pr.currency.as_deref()) {
            (Some(a), Some(cur)) => match crate::money::amount(a, cur) {
                Some(major) => format!(" {major} {cur}"),
                None => format!(" {a} {cur} (minor units)"),
            },
            (Some(a), None) => format!(" {a} (minor units)"),
            _ => String::new(),
        };
        line(
            "Price",
            &format!(
                "{}{amount}, {}",
                pr.item,
                if pr.accepted {
                    "accepted"
                } else {
                    "not accepted"
                }
            ),
        );
    }
    s.push_str("\nDescription:\n");
    s.push_str(p.description.trim_end());
    s.push('\n');
    if !p.business_impact.trim().is_empty() {
        s.push_str("\nBusiness impact:\n");
        s.push_str(p.business_impact.trim_end());
        s.push('\n');
    }
    if !req.self_help_tried.is_empty() {
        s.push_str("\nSelf-help tried:\n");
        for t in &req.self_help_tried {
            let title = if t.title.is_empty() {
                &t.step
            } else {
                &t.title
            };
            s.push_str(&format!("- {title}\n"));
        }
    }
    if !req.diagnosis.is_empty() {
        s.push_str("\nDiagnosis:\n");
        for (i, st) in req.diagnosis.iter().enumerate() {
            let q = if st.question.is_empty() {
                &st.node
            } else {
                &st.question
            };
            let a = if st.answer_label.is_empty() {
                &st.answer
            } else {
                &st.answer_label
            };
            s.push_str(&format!("{}. {q} — {a} ({})\n", i + 1, st.at));
        }
    }
    let r = &req.outcome.ruleset;
    s.push_str(&format!(
        "\nDecision: rule {} (matched: {}); end {}; ruleset {} {} ({})\n",
        d.rule,
        if req.outcome.matched_rules.is_empty() {
            "-".to_string()
        } else {
            req.outcome.matched_rules.join(", ")
        },
        d.end,
        r.id,
        r.version,
        r.hash
    ));
    s.push_str(&format!(
        "Consent: share diagnostics {}; continuous work {}\n",
        yes_no(req.consent.share_diagnostics),
        yes_no(req.consent.continuous_work)
    ));
    s.push_str(&format!(
        "Sent {} ({}, {}) — request id {}\n",
        req.created_at, req.locale, req.client.time_zone, req.id
    ));
    if !req.client.user_agent.is_empty() {
        s.push_str(&format!("Browser: {}\n", req.client.user_agent));
    }
    s
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The reference to show the customer, read from a 2xx answer's body:
/// `reference` (the `json` adapter and Frontline's intake), Zendesk's
/// `request.id`, or a top-level `id`/`ticket` for form handlers that answer
/// JSON. `None` when there is none (the UI then shows the request id).
/// At most 100 characters of one-line text are accepted.
pub fn reference_from_body(adapter: IntakeAdapter, body: &str) -> Option<String> {
    let v = crate::json::parse(body).ok()?;
    let pick = |x: Option<&Value>| -> Option<String> {
        match x? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let found = match adapter {
        IntakeAdapter::Zendesk => pick(v.get("request").and_then(|r| r.get("id"))),
        _ => pick(v.get("reference"))
            .or_else(|| pick(v.get("ticket")))
            .or_else(|| pick(v.get("id"))),
    }?;
    let ok = !found.trim().is_empty()
        && found.chars().count() <= 100
        && !found.chars().any(char::is_control);
    ok.then_some(found)
}
