//! The structured support request the portal sends: `frontline.request/v1`.
//!
//! What it is for: one plain, versioned, size-bounded record of everything a
//! partner needs to act on a request — who asks, about what, what the
//! diagnosis found and why, by when a first answer is due — that the browser
//! builds, the adapters ([`crate::adapters`]) turn into an HTTP call or a
//! `mailto:` link, and the partner's server checks again ([`Request::validate`],
//! [`Request::verify`]).
//!
//! What it is not: a transport or a store (see [`crate::outbox`] and the
//! intake server), nor a parser of every date format: times are RFC 3339 UTC
//! strings, checked here by a small hand-written reader (chrono's format
//! parser costs kilobytes of WebAssembly).
//!
//! Limits are counted in characters (Unicode scalar values). A browser's
//! `maxlength` counts UTF-16 code units, which are never fewer, so a form
//! field with `maxlength = MAX_…_CHARS` never produces a value this module
//! rejects for its length. Every text is at most 4 bytes per character once
//! written as JSON (control characters other than newline and tab are
//! refused), which is what makes [`MAX_REQUEST_BYTES`] a safe bound.
//!
//! ## Usage
//! ```
//! use frontline_core::request::{Request, REQUEST_SCHEMA};
//! let req = Request::example();
//! assert_eq!(req.schema, REQUEST_SCHEMA);
//! assert!(req.validate().is_empty());
//! let json = serde_json::to_string(&req).unwrap();
//! assert!(json.len() <= frontline_core::request::MAX_REQUEST_BYTES);
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::eval::{self, Answered, Decision, Outcome, TraceKind, Transcript, Verification};
use crate::hours::{Clock, Deadline};
use crate::ruleset::{Handler, PriceModel, Ruleset, RulesetRef};

/// The format identifier of this version of the request.
pub const REQUEST_SCHEMA: &str = "frontline.request/v1";

/// Ids copied from the ruleset (product, kind, node, answer, rule, vehicle,
/// severity, price item, ruleset id and version).
pub const MAX_ID_CHARS: usize = 100;
/// BCP 47 language tag (`fr-CA`).
pub const MAX_LOCALE_CHARS: usize = 35;
/// The customer's name.
pub const MAX_NAME_CHARS: usize = 200;
/// An e-mail address (RFC 5321's limit on a forward path).
pub const MAX_EMAIL_CHARS: usize = 254;
/// A phone number, as typed.
pub const MAX_PHONE_CHARS: usize = 40;
/// The customer's company.
pub const MAX_COMPANY_CHARS: usize = 200;
/// Tenant: a GUID or a DNS domain name.
pub const MAX_TENANT_CHARS: usize = 253;
/// The request's title (ticket subject).
pub const MAX_TITLE_CHARS: usize = 200;
/// The customer's description.
pub const MAX_DESCRIPTION_CHARS: usize = 8000;
/// The business impact.
pub const MAX_BUSINESS_IMPACT_CHARS: usize = 2000;
/// Texts shown during the diagnosis and copied into the request (a question,
/// an answer label, a self-help step title).
pub const MAX_LABEL_CHARS: usize = 300;
/// Steps in the diagnosis transcript.
pub const MAX_STEPS: usize = 40;
/// Self-help steps listed as tried.
pub const MAX_SELF_HELP: usize = 16;
/// Rule ids listed as matched.
pub const MAX_MATCHED_RULES: usize = 16;
/// An RFC 3339 time (`2025-03-28T17:30:00.123456789Z` is 30).
pub const MAX_TIME_CHARS: usize = 40;
/// An IANA time zone name.
pub const MAX_TIME_ZONE_CHARS: usize = 64;
/// The browser's user agent string.
pub const MAX_USER_AGENT_CHARS: usize = 512;
/// The ruleset content hash (SHA-256, hex).
pub const MAX_HASH_CHARS: usize = 64;
/// An ISO 4217 currency code.
pub const MAX_CURRENCY_CHARS: usize = 3;

/// The largest JSON text (compact, as `serde_json::to_string` writes it) of
/// a request within every limit above; intake servers may refuse larger
/// bodies. A test builds a request at every limit with 4-byte characters and
/// checks that it fits.
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;

/// A support request, `frontline.request/v1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Format identifier, [`REQUEST_SCHEMA`].
    #[cfg_attr(feature = "schema", schemars(schema_with = "schema_id"))]
    pub schema: String,
    /// Client-generated UUID v4 (lowercase hex from `crypto.randomUUID()`);
    /// also the `Idempotency-Key` of every delivery attempt.
    #[cfg_attr(feature = "schema", schemars(schema_with = "uuid"))]
    pub id: String,
    /// When the customer sent it, RFC 3339 UTC (`…Z`).
    #[cfg_attr(feature = "schema", schemars(schema_with = "date_time"))]
    pub created_at: String,
    /// The customer's language (BCP 47 tag).
    #[cfg_attr(feature = "schema", schemars(length(max = "MAX_LOCALE_CHARS")))]
    pub locale: String,
    /// Who asks.
    pub contact: CustomerContact,
    /// For which organisation and tenant.
    pub organisation: Organisation,
    /// What the problem is.
    pub problem: Problem,
    /// Every diagnosis step, in order.
    #[cfg_attr(feature = "schema", schemars(length(max = "MAX_STEPS")))]
    pub diagnosis: Vec<DiagnosisStep>,
    /// Self-help steps the customer tried without success.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = "MAX_SELF_HELP")))]
    pub self_help_tried: Vec<SelfHelpTried>,
    /// The decision and the ruleset that made it.
    pub outcome: RequestOutcome,
    /// The first-response deadline the customer was shown, if any.
    #[serde(default)]
    pub first_response: Option<FirstResponse>,
    /// The price the customer accepted, if one applies.
    #[serde(default)]
    pub price: Option<PriceAcceptance>,
    /// What the customer agreed to.
    pub consent: Consent,
    /// Facts about the customer's browser.
    pub client: ClientFacts,
}

/// The person asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerContact {
    /// Full name.
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = "MAX_NAME_CHARS")))]
    pub name: String,
    /// E-mail address (always required: every answer can reach it).
    #[cfg_attr(
        feature = "schema",
        schemars(email, length(min = 3, max = "MAX_EMAIL_CHARS"))
    )]
    pub email: String,
    /// Phone number, required when `preferred` is `phone`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = "MAX_PHONE_CHARS")))]
    pub phone: Option<String>,
    /// How the customer prefers to be contacted.
    pub preferred: PreferredContact,
}

/// A preferred contact method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PreferredContact {
    /// By e-mail.
    Email,
    /// By phone.
    Phone,
}

impl PreferredContact {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            PreferredContact::Email => "email",
            PreferredContact::Phone => "phone",
        }
    }
}

/// The customer's organisation and cloud tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Company name.
    #[cfg_attr(
        feature = "schema",
        schemars(length(min = 1, max = "MAX_COMPANY_CHARS"))
    )]
    pub company: String,
    /// Tenant ID (GUID) or primary domain (`contoso.onmicrosoft.com`).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = "MAX_TENANT_CHARS")))]
    pub tenant: Option<String>,
    /// Subscription ID (GUID).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(schema_with = "opt_guid"))]
    pub subscription_id: Option<String>,
}

/// What the problem is, in the customer's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Problem {
    /// Product id (from the ruleset).
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = "MAX_ID_CHARS")))]
    pub product: String,
    /// Kind-of-problem id (from the ruleset).
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = "MAX_ID_CHARS")))]
    pub kind: String,
    /// Severity id; required when the partner works on the request.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = "MAX_ID_CHARS")))]
    pub severity: Option<String>,
    /// One-line title (ticket subject).
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = "MAX_TITLE_CHARS")))]
    pub title: String,
    /// What happens (newlines allowed).
    #[cfg_attr(
        feature = "schema",
        schemars(length(min = 1, max = "MAX_DESCRIPTION_CHARS"))
    )]
    pub description: String,
    /// Who or what is affected, and how badly (may be empty).
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(length(max = "MAX_BUSINESS_IMPACT_CHARS"))
    )]
    pub business_impact: String,
    /// When the problem started, RFC 3339 UTC, if known.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(schema_with = "opt_date_time"))]
    pub started_at: Option<String>,
}

/// One answer of the diagnosis, with what the customer saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DiagnosisStep {
    /// Node id.
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = "MAX_ID_CHARS")))]
    pub node: String,
    /// Answer id (`still_broken`, `fixed` and `continue` for self-help and
    /// information nodes).
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = "MAX_ID_CHARS")))]
    pub answer: String,
    /// When it was answered, RFC 3339 UTC.
    #[cfg_attr(feature = "schema", schemars(schema_with = "date_time"))]
    pub at: String,
    /// The question or step title as shown (may be empty).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = "MAX_LABEL_CHARS")))]
    pub question: String,
    /// The answer label as shown (may be empty).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = "MAX_LABEL_CHARS")))]
    pub answer_label: String,
}

/// A self-help step that did not fix the problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SelfHelpTried {
    /// Step (node) id.
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = "MAX_ID_CHARS")))]
    pub step: String,
    /// Its title as shown.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = "MAX_LABEL_CHARS")))]
    pub title: String,
}

/// The decision, as the browser computed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestOutcome {
    /// Deciding rule, handler, vehicle and end node (`verify` re-checks them).
    #[cfg_attr(feature = "schema", schemars(with = "DecisionSchema"))]
    pub decision: Decision,
    /// Ids of the rules that matched (the deciding one first).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = "MAX_MATCHED_RULES")))]
    pub matched_rules: Vec<String>,
    /// Which ruleset decided: id, version, content hash.
    pub ruleset: RulesetRef,
}

impl From<&Outcome> for RequestOutcome {
    fn from(o: &Outcome) -> RequestOutcome {
        RequestOutcome {
            decision: Decision::from(o),
            matched_rules: o
                .trace
                .iter()
                .filter(|t| t.kind == TraceKind::Rule && t.matched == Some(true))
                .map(|t| t.id.clone())
                .take(MAX_MATCHED_RULES)
                .collect(),
            ruleset: o.ruleset.clone(),
        }
    }
}

/// The first-response deadline shown to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FirstResponse {
    /// Severity id it was computed for.
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = "MAX_ID_CHARS")))]
    pub severity: String,
    /// Target in minutes.
    pub minutes: u32,
    /// Business hours or round the clock.
    #[cfg_attr(feature = "schema", schemars(with = "ClockSchema"))]
    pub clock: Clock,
    /// When the first response is due, RFC 3339 UTC.
    #[cfg_attr(feature = "schema", schemars(schema_with = "date_time"))]
    pub due: String,
}

impl From<&Deadline> for FirstResponse {
    fn from(d: &Deadline) -> FirstResponse {
        FirstResponse {
            severity: d.severity.clone(),
            minutes: d.minutes,
            clock: d.clock,
            due: format_utc(d.due.utc),
        }
    }
}

/// The price the customer accepted before sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PriceAcceptance {
    /// Price item id (from the ruleset).
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = "MAX_ID_CHARS")))]
    pub item: String,
    /// Included, per incident or monthly.
    pub model: PriceModel,
    /// Amount in minor units (cents), if charged.
    #[serde(default)]
    pub amount_minor: Option<u64>,
    /// ISO 4217 currency.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(equal = "MAX_CURRENCY_CHARS")))]
    pub currency: Option<String>,
    /// The amount in major units, with the currency's ISO 4217 minor digits
    /// (`"250.00"` EUR, `"5000"` JPY, `"1.250"` KWD): `amount_minor` as a
    /// person reads it. Present when `amount_minor` and `currency` are.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = 25)))]
    pub amount: Option<String>,
    /// The customer accepted it (must be true unless `model` is `included`).
    pub accepted: bool,
}

/// What the customer agreed to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// The partner (and the vendor, on escalation) may collect diagnostic
    /// information from the customer's tenant.
    #[serde(default)]
    pub share_diagnostics: bool,
    /// For the highest severities: the customer commits to work on the
    /// problem continuously with the support engineer (otherwise the vendor
    /// may lower the severity).
    #[serde(default)]
    pub continuous_work: bool,
}

/// Facts about the customer's browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientFacts {
    /// IANA time zone (`Intl.DateTimeFormat().resolvedOptions().timeZone`).
    #[cfg_attr(feature = "schema", schemars(length(max = "MAX_TIME_ZONE_CHARS")))]
    pub time_zone: String,
    /// `navigator.userAgent`, truncated to [`MAX_USER_AGENT_CHARS`].
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = "MAX_USER_AGENT_CHARS")))]
    pub user_agent: String,
}

/// One problem found by [`Request::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// JSON path of the field (`$.contact.email`, `$.diagnosis[3].at`).
    pub path: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl Request {
    /// Re-evaluates the transcript with `r` and compares the decision (what a
    /// partner's server does before trusting the browser): see [`eval::verify`].
    pub fn verify(&self, r: &Ruleset) -> Verification {
        eval::verify(
            r,
            &eval::Request {
                transcript: self.transcript(),
                outcome: self.outcome.decision.clone(),
                ruleset: self.outcome.ruleset.clone(),
            },
        )
    }

    /// The transcript the evaluator reads: product, kind, answers, severity.
    pub fn transcript(&self) -> Transcript {
        Transcript {
            product: Some(self.problem.product.clone()),
            kind: Some(self.problem.kind.clone()),
            answers: self
                .diagnosis
                .iter()
                .map(|s| Answered {
                    node: s.node.clone(),
                    answer: s.answer.clone(),
                })
                .collect(),
            severity: self.problem.severity.clone(),
        }
    }

    /// The request as compact JSON: exactly the text `serde_json::to_string`
    /// writes from the derives (a test checks), written by hand, without
    /// serde's serializer code in the WebAssembly that sends it.
    pub fn to_json(&self) -> String {
        use crate::json::Writer;
        let mut w = Writer::new("{");
        w.text("schema", &self.schema);
        w.text("id", &self.id);
        w.text("created_at", &self.created_at);
        w.text("locale", &self.locale);
        let c = &self.contact;
        w.raw("contact", "{");
        w.text("name", &c.name);
        w.text("email", &c.email);
        w.opt("phone", &c.phone);
        w.text("preferred", c.preferred.as_str());
        w.close('}');
        let o = &self.organisation;
        w.raw("organisation", "{");
        w.text("company", &o.company);
        w.opt("tenant", &o.tenant);
        w.opt("subscription_id", &o.subscription_id);
        w.close('}');
        let p = &self.problem;
        w.raw("problem", "{");
        w.text("product", &p.product);
        w.text("kind", &p.kind);
        w.opt("severity", &p.severity);
        w.text("title", &p.title);
        w.text("description", &p.description);
        w.text("business_impact", &p.business_impact);
        w.opt("started_at", &p.started_at);
        w.close('}');
        w.raw("diagnosis", "[");
        for d in &self.diagnosis {
            w.raw("", "{");
            w.text("node", &d.node);
            w.text("answer", &d.answer);
            w.text("at", &d.at);
            w.text("question", &d.question);
            w.text("answer_label", &d.answer_label);
            w.close('}');
        }
        w.close(']');
        w.raw("self_help_tried", "[");
        for t in &self.self_help_tried {
            w.raw("", "{");
            w.text("step", &t.step);
            w.text("title", &t.title);
            w.close('}');
        }
        w.close(']');
        let out = &self.outcome;
        w.raw("outcome", "{");
        w.raw("decision", "{");
        w.text("rule", &out.decision.rule);
        w.text("handler", out.decision.handler.as_str());
        w.opt("vehicle", &out.decision.vehicle);
        match out.decision.downgraded_from {
            Some(h) => w.text("downgraded_from", h.as_str()),
            None => w.raw("downgraded_from", "null"),
        }
        w.text("end", &out.decision.end);
        w.close('}');
        w.raw("matched_rules", "[");
        for r in &out.matched_rules {
            w.text("", r);
        }
        w.close(']');
        w.raw("ruleset", "{");
        w.text("id", &out.ruleset.id);
        w.text("version", &out.ruleset.version);
        w.text("hash", &out.ruleset.hash);
        w.close('}');
        w.close('}');
        match &self.first_response {
            None => w.raw("first_response", "null"),
            Some(f) => {
                w.raw("first_response", "{");
                w.text("severity", &f.severity);
                w.num("minutes", u64::from(f.minutes));
                w.text(
                    "clock",
                    match f.clock {
                        Clock::BusinessHours => "business_hours",
                        Clock::RoundTheClock => "round_the_clock",
                    },
                );
                w.text("due", &f.due);
                w.close('}');
            }
        }
        match &self.price {
            None => w.raw("price", "null"),
            Some(p) => {
                w.raw("price", "{");
                w.text("item", &p.item);
                w.text(
                    "model",
                    match p.model {
                        PriceModel::Included => "included",
                        PriceModel::PerIncident => "per_incident",
                        PriceModel::Monthly => "monthly",
                    },
                );
                match p.amount_minor {
                    None => w.raw("amount_minor", "null"),
                    Some(n) => w.num("amount_minor", n),
                }
                w.opt("currency", &p.currency);
                w.opt("amount", &p.amount);
                w.flag("accepted", p.accepted);
                w.close('}');
            }
        }
        w.raw("consent", "{");
        w.flag("share_diagnostics", self.consent.share_diagnostics);
        w.flag("continuous_work", self.consent.continuous_work);
        w.close('}');
        w.raw("client", "{");
        w.text("time_zone", &self.client.time_zone);
        w.text("user_agent", &self.client.user_agent);
        w.close('}');
        w.close('}');
        w.0
    }

    /// Parses a request from JSON and validates it: `Err` lists every
    /// problem (a JSON syntax or shape error is one problem at `$`).
    pub fn from_json(text: &str) -> Result<Request, Vec<FieldProblem>> {
        if text.len() > MAX_REQUEST_BYTES {
            return Err(vec![problem(
                "$",
                format!(
                    "the request is {} bytes, more than the {MAX_REQUEST_BYTES} allowed; shorten the description",
                    text.len()
                ),
            )]);
        }
        let req: Request = serde_json::from_str(text)
            .map_err(|e| vec![problem("$", format!("not a {REQUEST_SCHEMA} request: {e}"))])?;
        let problems = req.validate();
        if problems.is_empty() {
            Ok(req)
        } else {
            Err(problems)
        }
    }

    /// Every problem with this request: required fields, length limits
    /// (the `MAX_…` constants), formats (UUID v4, RFC 3339 UTC, e-mail,
    /// GUID, domain, language tag) and consistency (a phone when phone is
    /// preferred, a severity when the partner works on it, an accepted
    /// price). Empty when the request is fine. Never panics.
    pub fn validate(&self) -> Vec<FieldProblem> {
        let mut v = Validator::default();
        if self.schema != REQUEST_SCHEMA {
            v.push(
                "$.schema",
                format!(
                    "\"{}\" is not a format this version reads; write \"{REQUEST_SCHEMA}\"",
                    clip(&self.schema)
                ),
            );
        }
        if !is_uuid_v4(&self.id) {
            v.push(
                "$.id",
                format!(
                    "\"{}\" is not a UUID v4 (like 0f8fad5b-d9cb-469f-a165-70867728950e); generate one with crypto.randomUUID()",
                    clip(&self.id)
                ),
            );
        }
        v.time("$.created_at", &self.created_at);
        if v.line("$.locale", &self.locale, MAX_LOCALE_CHARS, true) && !is_locale(&self.locale) {
            v.push(
                "$.locale",
                format!(
                    "\"{}\" is not a language tag like \"en\" or \"fr-CA\"",
                    clip(&self.locale)
                ),
            );
        }

        let c = &self.contact;
        v.line("$.contact.name", &c.name, MAX_NAME_CHARS, true);
        if v.line("$.contact.email", &c.email, MAX_EMAIL_CHARS, true) && !is_email(&c.email) {
            v.push(
                "$.contact.email",
                format!(
                    "\"{}\" is not an e-mail address like name@example.com",
                    clip(&c.email)
                ),
            );
        }
        match &c.phone {
            Some(p) => {
                if v.line("$.contact.phone", p, MAX_PHONE_CHARS, false)
                    && !p.trim().is_empty()
                    && !is_phone(p)
                {
                    v.push(
                        "$.contact.phone",
                        "a phone number has at least 4 digits and only digits, spaces and + ( ) - . /",
                    );
                }
                if c.preferred == PreferredContact::Phone && p.trim().is_empty() {
                    v.push(
                        "$.contact.phone",
                        "phone is the preferred contact method: give a phone number",
                    );
                }
            }
            None if c.preferred == PreferredContact::Phone => v.push(
                "$.contact.phone",
                "phone is the preferred contact method: give a phone number",
            ),
            None => {}
        }

        let o = &self.organisation;
        v.line(
            "$.organisation.company",
            &o.company,
            MAX_COMPANY_CHARS,
            true,
        );
        if let Some(t) = &o.tenant {
            if v.line("$.organisation.tenant", t, MAX_TENANT_CHARS, false)
                && !t.is_empty()
                && !(is_guid(t) || is_domain(t))
            {
                v.push(
                    "$.organisation.tenant",
                    format!(
                        "\"{}\" is neither a tenant ID (GUID) nor a domain like contoso.onmicrosoft.com",
                        clip(t)
                    ),
                );
            }
        }
        if let Some(s) = &o.subscription_id {
            if !s.is_empty() && !is_guid(s) {
                v.push(
                    "$.organisation.subscription_id",
                    format!(
                        "\"{}\" is not a subscription ID (a GUID like 00000000-0000-0000-0000-000000000000)",
                        clip(s)
                    ),
                );
            }
        }

        let p = &self.problem;
        v.line("$.problem.product", &p.product, MAX_ID_CHARS, true);
        v.line("$.problem.kind", &p.kind, MAX_ID_CHARS, true);
        match &p.severity {
            Some(s) => {
                v.line("$.problem.severity", s, MAX_ID_CHARS, true);
            }
            None if self.outcome.decision.handler.partner_works_on_it() => v.push(
                "$.problem.severity",
                format!(
                    "the partner handles this request ({}): choose a severity",
                    self.outcome.decision.handler.as_str()
                ),
            ),
            None => {}
        }
        v.line("$.problem.title", &p.title, MAX_TITLE_CHARS, true);
        v.text(
            "$.problem.description",
            &p.description,
            MAX_DESCRIPTION_CHARS,
            true,
        );
        v.text(
            "$.problem.business_impact",
            &p.business_impact,
            MAX_BUSINESS_IMPACT_CHARS,
            false,
        );
        if let Some(t) = &p.started_at {
            v.time("$.problem.started_at", t);
        }

        v.at_most("$.diagnosis", self.diagnosis.len(), MAX_STEPS, "steps");
        for (i, s) in self.diagnosis.iter().take(MAX_STEPS).enumerate() {
            let path = format!("$.diagnosis[{i}]");
            v.line(&format!("{path}.node"), &s.node, MAX_ID_CHARS, true);
            v.line(&format!("{path}.answer"), &s.answer, MAX_ID_CHARS, true);
            v.time(&format!("{path}.at"), &s.at);
            v.line(
                &format!("{path}.question"),
                &s.question,
                MAX_LABEL_CHARS,
                false,
            );
            v.line(
                &format!("{path}.answer_label"),
                &s.answer_label,
                MAX_LABEL_CHARS,
                false,
            );
        }
        v.at_most(
            "$.self_help_tried",
            self.self_help_tried.len(),
            MAX_SELF_HELP,
            "steps",
        );
        for (i, s) in self.self_help_tried.iter().take(MAX_SELF_HELP).enumerate() {
            let path = format!("$.self_help_tried[{i}]");
            v.line(&format!("{path}.step"), &s.step, MAX_ID_CHARS, true);
            v.line(&format!("{path}.title"), &s.title, MAX_LABEL_CHARS, false);
        }

        let out = &self.outcome;
        v.line(
            "$.outcome.decision.rule",
            &out.decision.rule,
            MAX_ID_CHARS,
            true,
        );
        v.line(
            "$.outcome.decision.end",
            &out.decision.end,
            MAX_ID_CHARS,
            true,
        );
        if let Some(x) = &out.decision.vehicle {
            v.line("$.outcome.decision.vehicle", x, MAX_ID_CHARS, true);
        }
        v.at_most(
            "$.outcome.matched_rules",
            out.matched_rules.len(),
            MAX_MATCHED_RULES,
            "rules",
        );
        for (i, r) in out.matched_rules.iter().take(MAX_MATCHED_RULES).enumerate() {
            v.line(
                &format!("$.outcome.matched_rules[{i}]"),
                r,
                MAX_ID_CHARS,
                true,
            );
        }
        v.line("$.outcome.ruleset.id", &out.ruleset.id, MAX_ID_CHARS, true);
        v.line(
            "$.outcome.ruleset.version",
            &out.ruleset.version,
            MAX_ID_CHARS,
            true,
        );
        let h = &out.ruleset.hash;
        if h.len() != MAX_HASH_CHARS
            || !h
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            v.push(
                "$.outcome.ruleset.hash",
                "not a ruleset content hash (64 lowercase hex digits, from Ruleset::hash)",
            );
        }

        if let Some(f) = &self.first_response {
            v.line("$.first_response.severity", &f.severity, MAX_ID_CHARS, true);
            v.time("$.first_response.due", &f.due);
        }
        if let Some(pr) = &self.price {
            v.line("$.price.item", &pr.item, MAX_ID_CHARS, true);
            if let Some(c) = &pr.currency {
                if crate::money::minor_digits(c).is_none() {
                    v.push(
                        "$.price.currency",
                        format!("\"{}\" is not an ISO 4217 currency code like EUR", clip(c)),
                    );
                }
            }
            let expected = pr
                .amount_minor
                .zip(pr.currency.as_deref())
                .and_then(|(a, c)| crate::money::amount(a, c));
            if pr.amount.is_some() && pr.amount != expected {
                v.push(
                    "$.price.amount",
                    match &expected {
                        Some(e) => format!("must be \"{e}\": amount_minor in major units, with the currency's minor digits"),
                        None => "must be left out without amount_minor and a known currency".to_owned(),
                    },
                );
            }
            if pr.model != PriceModel::Included && !pr.accepted {
                v.push(
                    "$.price.accepted",
                    "the customer must accept the price before the request is sent",
                );
            }
        }

        let cl = &self.client;
        if v.line(
            "$.client.time_zone",
            &cl.time_zone,
            MAX_TIME_ZONE_CHARS,
            true,
        ) && !is_time_zone(&cl.time_zone)
        {
            v.push(
                "$.client.time_zone",
                format!(
                    "\"{}\" is not an IANA time zone name like Europe/Paris",
                    clip(&cl.time_zone)
                ),
            );
        }
        v.line(
            "$.client.user_agent",
            &cl.user_agent,
            MAX_USER_AGENT_CHARS,
            false,
        );
        v.problems
    }

    /// A valid request with every optional part filled (for docs, tests and
    /// the adapters' examples). Its decision is not a real one: it does not
    /// verify against any ruleset.
    pub fn example() -> Request {
        Request {
            schema: REQUEST_SCHEMA.into(),
            id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            created_at: "2025-03-28T17:30:00.000Z".into(),
            locale: "en".into(),
            contact: CustomerContact {
                name: "Ada Lovelace".into(),
                email: "ada@contoso.example".into(),
                phone: Some("+44 20 7946 0000".into()),
                preferred: PreferredContact::Email,
            },
            organisation: Organisation {
                company: "Contoso Ltd".into(),
                tenant: Some("contoso.onmicrosoft.com".into()),
                subscription_id: Some("8d3c5a2e-1b4f-4c6d-9e7f-0a1b2c3d4e5f".into()),
            },
            problem: Problem {
                product: "m365".into(),
                kind: "technical".into(),
                severity: Some("B".into()),
                title: "Outlook cannot connect".into(),
                description: "Since this morning Outlook says \"Disconnected\".\nWeb mail works."
                    .into(),
                business_impact: "Sales team (12 people) cannot send quotes.".into(),
                started_at: Some("2025-03-28T07:00:00Z".into()),
            },
            diagnosis: vec![DiagnosisStep {
                node: "m365-health".into(),
                answer: "none".into(),
                at: "2025-03-28T17:28:00Z".into(),
                question: "Does the service health page show an incident?".into(),
                answer_label: "No incident".into(),
            }],
            self_help_tried: vec![SelfHelpTried {
                step: "outlook-updates".into(),
                title: "Install pending Windows updates".into(),
            }],
            outcome: RequestOutcome {
                decision: Decision {
                    rule: "partner-config".into(),
                    handler: Handler::Partner,
                    vehicle: None,
                    downgraded_from: None,
                    end: "end-config".into(),
                },
                matched_rules: vec!["partner-config".into()],
                ruleset: RulesetRef {
                    id: "northwind-cloud-default".into(),
                    version: "1.0.0".into(),
                    hash: "0".repeat(MAX_HASH_CHARS),
                },
            },
            first_response: Some(FirstResponse {
                severity: "B".into(),
                minutes: 240,
                clock: Clock::BusinessHours,
                due: "2025-03-31T10:00:00Z".into(),
            }),
            price: Some(PriceAcceptance {
                item: "included".into(),
                model: PriceModel::Included,
                amount_minor: None,
                currency: Some("EUR".into()),
                amount: None,
                accepted: true,
            }),
            consent: Consent {
                share_diagnostics: true,
                continuous_work: false,
            },
            client: ClientFacts {
                time_zone: "Europe/London".into(),
                user_agent: "Mozilla/5.0".into(),
            },
        }
    }
}

fn problem(path: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        path: path.into(),
        message: message.into(),
    }
}

/// At most 60 characters of a value, for messages.
fn clip(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[derive(Default)]
struct Validator {
    problems: Vec<FieldProblem>,
}

impl Validator {
    fn push(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(problem(path, message));
    }

    /// A list of `len` items, at most `max` (then only the first `max` are
    /// checked item by item).
    fn at_most(&mut self, path: &str, len: usize, max: usize, items: &str) {
        if len > max {
            self.push(path, format!("{len} {items}, more than the {max} allowed"));
        }
    }

    /// A one-line text; true when it passed (so format checks can follow).
    fn line(&mut self, path: &str, s: &str, max: usize, required: bool) -> bool {
        self.check(path, s, max, required, false)
    }

    /// A multi-line text (newline, carriage return and tab allowed).
    fn text(&mut self, path: &str, s: &str, max: usize, required: bool) -> bool {
        self.check(path, s, max, required, true)
    }

    fn check(&mut self, path: &str, s: &str, max: usize, required: bool, multi: bool) -> bool {
        if required && s.trim().is_empty() {
            self.push(path, "required: fill it in");
            return false;
        }
        let n = s.chars().count();
        if n > max {
            self.push(
                path,
                format!("{n} characters, more than the {max} allowed; shorten it"),
            );
            return false;
        }
        let bad = s
            .chars()
            .any(|c| c.is_control() && !(multi && matches!(c, '\n' | '\r' | '\t')));
        if bad {
            self.push(
                path,
                if multi {
                    "contains control characters; only text, newlines and tabs are allowed"
                } else {
                    "contains control characters or line breaks; write it on one line"
                },
            );
            return false;
        }
        true
    }

    fn time(&mut self, path: &str, s: &str) {
        if s.chars().count() > MAX_TIME_CHARS || parse_rfc3339_utc(s).is_none() {
            self.push(
                path,
                format!(
                    "\"{}\" is not an RFC 3339 UTC time like 2025-03-28T17:30:00Z (new Date().toISOString() writes one)",
                    clip(s)
                ),
            );
        }
    }
}

fn hex_groups(s: &str) -> Option<[&str; 5]> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    for (i, c) in b.iter().enumerate() {
        let ok = if matches!(i, 8 | 13 | 18 | 23) {
            *c == b'-'
        } else {
            c.is_ascii_hexdigit()
        };
        if !ok {
            return None;
        }
    }
    Some([&s[0..8], &s[9..13], &s[14..18], &s[19..23], &s[24..36]])
}

/// True for a GUID in its canonical form, `8-4-4-4-12` hex digits (any case).
pub fn is_guid(s: &str) -> bool {
    hex_groups(s).is_some()
}

/// True for a UUID version 4 (random) in canonical form, like
/// `crypto.randomUUID()` returns: version digit `4`, variant `8`–`b`.
pub fn is_uuid_v4(s: &str) -> bool {
    match hex_groups(s) {
        Some(g) => {
            g[2].starts_with('4')
                && matches!(g[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b' | b'A' | b'B')
        }
        None => false,
    }
}

/// True for a plausible e-mail address: one `@`, a non-empty local part,
/// a domain with a dot, no spaces, control characters, or `<>()[],;:"\`.
/// (Deliverability is the mail server's business, not ours.)
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let bad = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\@".contains(c);
    !local.is_empty()
        && local.chars().count() <= 64
        && !local.chars().any(bad)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.chars().any(bad)
}

/// True for a DNS domain name with at least two labels of letters, digits
/// and `-` (`contoso.onmicrosoft.com`).
pub fn is_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    s.len() <= MAX_TENANT_CHARS
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_phone(s: &str) -> bool {
    s.chars().filter(char::is_ascii_digit).count() >= 4
        && s.chars()
            .all(|c| c.is_ascii_digit() || " +()-./".contains(c))
}

fn is_locale(s: &str) -> bool {
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn is_time_zone(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
}

/// Parses an RFC 3339 time in UTC (`Z`, or an offset of `+00:00`):
/// `2025-03-28T17:30:00Z`, with optional fractional seconds (up to 9
/// digits). Other offsets are refused: requests carry UTC only.
pub fn parse_rfc3339_utc(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = crate::hours::parse_date(s.get(0..10)?)?;
    let num = |r| crate::hours::digits(s, r);
    let (h, m, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = s.get(19..)?;
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let value: u32 = frac.get(..digits)?.parse().ok()?;
        nanos = value * 10u32.pow(9 - u32::try_from(digits).ok()?);
        rest = frac.get(digits..)?;
    }
    if !matches!(rest, "Z" | "z" | "+00:00" | "-00:00") {
        return None;
    }
    // A leap second (60) is valid RFC 3339; chrono keeps it as 59 + 1 s of nanos.
    let (sec, nanos) = if sec == 60 {
        (59, nanos + 1_000_000_000)
    } else {
        (sec, nanos)
    };
    let t = date.and_hms_nano_opt(h, m, sec, nanos)?;
    Some(t.and_utc())
}

/// Writes an instant as chrono's `to_rfc3339()` does
/// (`2025-03-28T17:30:00.250+00:00`: the fraction only when there is one,
/// in 3, 6 or 9 digits), without chrono's formatting code.
pub fn format_rfc3339(t: DateTime<Utc>) -> String {
    let mut s = format_utc(t);
    s.pop();
    let nanos = t.timestamp_subsec_nanos() % 1_000_000_000;
    if nanos != 0 {
        s.push_str(&if nanos.is_multiple_of(1_000_000) {
            format!(".{:03}", nanos / 1_000_000)
        } else if nanos.is_multiple_of(1_000) {
            format!(".{:06}", nanos / 1_000)
        } else {
            format!(".{nanos:09}")
        });
    }
    s.push_str("+00:00");
    s
}

/// Writes an instant as RFC 3339 UTC with milliseconds
/// (`2025-03-28T17:30:00.250Z`), as chrono's
/// `to_rfc3339_opts(SecondsFormat::Millis, true)` does.
pub fn format_utc_millis(t: DateTime<Utc>) -> String {
    let mut s = format_utc(t);
    s.pop();
    let millis = t.timestamp_subsec_millis() % 1_000;
    s.push_str(&format!(".{millis:03}Z"));
    s
}

/// Writes an instant as RFC 3339 UTC with whole seconds
/// (`2025-03-28T17:30:00Z`), as chrono's
/// `to_rfc3339_opts(SecondsFormat::Secs, true)` does.
pub fn format_utc(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

// ------------------------------------------------------------ JSON Schema

/// The JSON Schema of [`Request`], pretty-printed, ending in a newline
/// (feature `schema`; committed as `public/schema/request.schema.json`).
#[cfg(feature = "schema")]
pub fn request_schema() -> String {
    let schema = schemars::schema_for!(Request);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(feature = "schema")]
fn string_schema(
    format: Option<&str>,
    pattern: Option<&str>,
    max: usize,
    constant: Option<&str>,
) -> schemars::schema::Schema {
    use schemars::schema::{InstanceType, SchemaObject, StringValidation};
    let mut o = SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        format: format.map(str::to_string),
        ..SchemaObject::default()
    };
    o.string = Some(Box::new(StringValidation {
        max_length: u32::try_from(max).ok(),
        min_length: None,
        pattern: pattern.map(str::to_string),
    }));
    if let Some(c) = constant {
        o.const_value = Some(serde_json::Value::String(c.into()));
    }
    o.into()
}

#[cfg(feature = "schema")]
fn nullable(s: schemars::schema::Schema) -> schemars::schema::Schema {
    use schemars::schema::{InstanceType, SingleOrVec};
    let mut o = s.into_object();
    o.instance_type = Some(SingleOrVec::Vec(vec![
        InstanceType::String,
        InstanceType::Null,
    ]));
    o.into()
}

#[cfg(feature = "schema")]
fn schema_id(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
    string_schema(None, None, REQUEST_SCHEMA.len(), Some(REQUEST_SCHEMA))
}

#[cfg(feature = "schema")]
fn uuid(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
    string_schema(
        Some("uuid"),
        Some("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"),
        36,
        None,
    )
}

#[cfg(feature = "schema")]
fn date_time(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
    string_schema(
        Some("date-time"),
        Some("(Z|z|[+-]00:00)$"),
        MAX_TIME_CHARS,
        None,
    )
}

#[cfg(feature = "schema")]
fn opt_date_time(g: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
    nullable(date_time(g))
}

#[cfg(feature = "schema")]
fn opt_guid(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
    nullable(string_schema(
        None,
        Some("^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"),
        36,
        None,
    ))
}

/// Mirror of [`Decision`] for the schema (eval.rs types carry no schemars derive).
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(deny_unknown_fields, rename = "Decision")]
#[allow(dead_code)]
struct DecisionSchema {
    /// Deciding rule id.
    #[schemars(length(min = 1, max = "MAX_ID_CHARS"))]
    rule: String,
    /// Who handles it.
    handler: Handler,
    /// Vendor vehicle, if any.
    #[serde(default)]
    #[schemars(length(max = "MAX_ID_CHARS"))]
    vehicle: Option<String>,
    /// The rule's own handler when it needed a vendor vehicle this partner
    /// does not have (no competency or contract for it): the partner keeps
    /// the request (`handler` is `partner`) and tells the customer so.
    /// Absent or null when the rule's handler applies.
    #[serde(default)]
    downgraded_from: Option<Handler>,
    /// End node reached.
    #[schemars(length(min = 1, max = "MAX_ID_CHARS"))]
    end: String,
}

/// Mirror of [`Clock`] for the schema.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "Clock")]
#[allow(dead_code)]
enum ClockSchema {
    /// Only during service hours, holidays excluded.
    BusinessHours,
    /// Around the clock.
    RoundTheClock,
}
