//! The partner's ruleset: versioned data read from JSON.
//!
//! Everything a partner may rename or replace over time (support vehicles,
//! competencies, products, kinds of problem, severities) is data here, not
//! code. Field names are the JSON names. Unknown fields are reported by the
//! loader with their exact path (see [`crate::load`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format identifier this version of Frontline reads.
pub const RULESET_SCHEMA: &str = "frontline.ruleset/v1";

/// A text in several languages, keyed by BCP 47 language tag (`"en"`, `"fr"`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Text(pub BTreeMap<String, String>);

impl Text {
    /// The text in `locale`, else in its primary language (`fr` for `fr-CA`),
    /// else in `fallback`, else in any language present, else `""`.
    pub fn get<'a>(&'a self, locale: &str, fallback: &str) -> &'a str {
        let primary = locale.split(['-', '_']).next().unwrap_or(locale);
        self.0
            .get(locale)
            .or_else(|| self.0.get(primary))
            .or_else(|| self.0.get(fallback))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// A text in English only (handy in tests and generators).
    pub fn en(s: &str) -> Text {
        Text(BTreeMap::from([("en".to_string(), s.to_string())]))
    }
}

/// The whole configuration a partner publishes for its portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Ruleset {
    /// Format identifier, `"frontline.ruleset/v1"`.
    pub schema: String,
    /// Stable identifier of this ruleset.
    pub id: String,
    /// The partner's own version label for this ruleset.
    pub version: String,
    /// Language used when a text lacks the customer's language.
    pub default_language: String,
    /// Languages every text must be given in.
    pub languages: Vec<String>,
    /// Who provides the support, and with what vendor backing.
    pub partner: Partner,
    /// Shown when the ruleset cannot be loaded or the portal cannot send.
    pub fallback_contact: FallbackContact,
    /// Where requests are sent (used by the intake adapters).
    pub intake: Intake,
    /// When the partner works.
    pub hours: ServiceHours,
    /// How customers can reach the partner.
    pub contact_methods: Vec<ContactMethod>,
    /// What the partner charges.
    pub pricing: Pricing,
    /// Severities the customer may choose, with response targets.
    pub severities: Vec<Severity>,
    /// Vendor support vehicles that exist (commercial, technical plans).
    pub vehicles: Vec<Vehicle>,
    /// Kinds of problem (billing, technical, ...).
    pub kinds: Vec<ProblemKind>,
    /// What the customer can ask about.
    pub products: Vec<Product>,
    /// The diagnosis graph: questions, self-help steps, information, ends.
    pub nodes: Vec<Node>,
    /// Scope and escalation rules, tried in order; the first match decides.
    pub rules: Vec<Rule>,
    /// The partner's brand for the portal (optional).
    #[serde(default)]
    pub theme: Option<Theme>,
    /// The canonical JSON this ruleset was loaded from, and its hash.
    #[serde(skip)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub(crate) content: Content,
}

/// The text a loaded ruleset was read from, kept so that its SHA-256 (of
/// the canonical JSON) is computed when first asked for: a portal opening
/// needs the ruleset at once but its hash only for a request (writing and
/// hashing ~30 KB is work that cold WebAssembly does slowly, and V8 then
/// compiles the hot loop again in the background while the page renders).
#[derive(Debug, Clone, Default)]
pub(crate) struct Content {
    source: String,
    hash: std::sync::OnceLock<String>,
}

impl Content {
    /// `source` must be valid JSON (the loader has parsed it).
    pub(crate) fn new(source: &str) -> Self {
        Content {
            source: source.to_owned(),
            hash: std::sync::OnceLock::new(),
        }
    }

    /// Empty for a ruleset not read by the loader (deserialized or built).
    fn hash(&self) -> &str {
        self.hash
            .get_or_init(|| match crate::json::parse_nearest(&self.source) {
                Ok(value) if !self.source.is_empty() => {
                    crate::hash::sha256_hex(crate::hash::canonical_json(&value).as_bytes())
                }
                _ => String::new(),
            })
    }

    /// The hash of the canonical form used before RFC 8785
    /// ([`crate::hash::legacy_canonical_json`], numbers read as serde_json
    /// reads them), for `verify` only: not cached, as nothing else needs it.
    fn legacy_hash(&self) -> String {
        match crate::json::parse(&self.source) {
            Ok(value) if !self.source.is_empty() => {
                crate::hash::sha256_hex(crate::hash::legacy_canonical_json(&value).as_bytes())
            }
            _ => String::new(),
        }
    }
}

/// Same canonical JSON (same hash), same content: the text's layout does
/// not count.
impl PartialEq for Content {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source || self.hash() == other.hash()
    }
}

impl Ruleset {
    /// SHA-256 (hex) of the RFC 8785 canonical form of the JSON this
    /// ruleset was loaded from (computed on the first call); see
    /// [`crate::hash`]. Empty for a ruleset not read from JSON.
    pub fn hash(&self) -> &str {
        self.content.hash()
    }

    /// SHA-256 (hex) of the canonical form hashed before RFC 8785
    /// ([`crate::hash::legacy_canonical_json`]), which requests made then
    /// carry: for [`crate::verify`] to accept them and say so. Equal to
    /// [`Ruleset::hash`] for a ruleset whose two forms are the same text.
    pub fn legacy_hash(&self) -> String {
        self.content.legacy_hash()
    }

    /// The reference requests carry: id, version and hash.
    pub fn reference(&self) -> RulesetRef {
        RulesetRef {
            id: self.id.clone(),
            version: self.version.clone(),
            hash: self.hash().to_owned(),
        }
    }

    /// The product with this id.
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    /// The kind of problem with this id.
    pub fn kind(&self, id: &str) -> Option<&ProblemKind> {
        self.kinds.iter().find(|k| k.id == id)
    }

    /// The diagnosis node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id() == id)
    }

    /// The severity with this id.
    pub fn severity(&self, id: &str) -> Option<&Severity> {
        self.severities.iter().find(|s| s.id == id)
    }

    /// The vehicle with this id.
    pub fn vehicle(&self, id: &str) -> Option<&Vehicle> {
        self.vehicles.iter().find(|v| v.id == id)
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Identifies the exact ruleset a decision was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RulesetRef {
    /// [`Ruleset::id`].
    pub id: String,
    /// [`Ruleset::version`].
    pub version: String,
    /// SHA-256 (64 lowercase hex digits) of the RFC 8785 (JCS) canonical
    /// form of the ruleset's JSON, over its UTF-8 bytes: recompute it with
    /// any JCS library (docs/ruleset.md, "The ruleset hash"). Requests made before
    /// Frontline switched to RFC 8785 carry the legacy hash (keys sorted by
    /// UTF-8 bytes, numbers as serde_json writes them), which
    /// `frontline verify` still accepts and names; for a ruleset with only
    /// integer numbers the two are the same.
    pub hash: String,
}

/// The partner's public profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Partner {
    /// The partner's name as customers know it.
    pub name: String,
    /// How the partner sells through the Cloud Solution Provider program.
    pub csp_model: CspModel,
    /// Who an indirect reseller works with; required for `indirect_reseller`.
    #[serde(default)]
    pub indirect_provider: Option<Contact>,
    /// The partner's competencies (Gold/Silver ...), as named by the vendor.
    #[serde(default)]
    pub competencies: Vec<Competency>,
    /// Ids of vendor support vehicles the partner has a contract for
    /// (see [`Ruleset::vehicles`]); commercial support needs none.
    #[serde(default)]
    pub contracts: Vec<String>,
    /// What support the partner itself provides, in plain words.
    pub support_provided: Vec<Text>,
    /// What customers are told when a rule would escalate to the vendor but
    /// the partner has no vehicle for it, so the partner keeps the request
    /// (see [`crate::Outcome::downgraded_from`]). Without it the portal says
    /// so in its own words ([`crate::eval::built_in_downgrade_notice`]).
    #[serde(default)]
    pub downgrade_notice: Option<Text>,
}

/// The partner's place in the Cloud Solution Provider program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CspModel {
    /// Bills its customers directly and buys from the vendor directly.
    DirectBill,
    /// Distributor serving indirect resellers.
    IndirectProvider,
    /// Sells through an indirect provider, who handles vendor escalations.
    IndirectReseller,
}

impl CspModel {
    /// The JSON name (`"direct_bill"` ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CspModel::DirectBill => "direct_bill",
            CspModel::IndirectProvider => "indirect_provider",
            CspModel::IndirectReseller => "indirect_reseller",
        }
    }
}

/// A vendor competency the partner holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Competency {
    /// Identifier, e.g. `"cloud_platform"`.
    pub id: String,
    /// The vendor's name for it.
    pub name: String,
    /// Gold or silver.
    pub level: CompetencyLevel,
}

/// Level of a competency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CompetencyLevel {
    /// Gold competency.
    Gold,
    /// Silver competency.
    Silver,
}

impl CompetencyLevel {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            CompetencyLevel::Gold => "gold",
            CompetencyLevel::Silver => "silver",
        }
    }
}

/// Someone the customer can be sent to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Contact {
    /// Name of the organisation.
    pub name: String,
    /// Web page for support, if any.
    #[serde(default)]
    pub url: Option<String>,
    /// Support e-mail address, if any.
    #[serde(default)]
    pub email: Option<String>,
    /// Support phone number, if any.
    #[serde(default)]
    pub phone: Option<String>,
}

/// Shown when the portal cannot work (ruleset fails to load, sending fails).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct FallbackContact {
    /// Who to contact.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Phone number, if any.
    #[serde(default)]
    pub phone: Option<String>,
    /// Web page, if any.
    #[serde(default)]
    pub url: Option<String>,
}

/// The portal's look in the partner's brand, applied as the portal's `--fl-*`
/// CSS custom properties (it wins over a host page's; without it, the host's
/// custom properties apply).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Theme {
    /// Brand colour of buttons and links, `#rgb` or `#rrggbb`.
    #[serde(default)]
    pub brand: Option<String>,
    /// Text colour on the brand colour, `#rgb` or `#rrggbb`.
    #[serde(default)]
    pub brand_contrast: Option<String>,
    /// Corner radius, in px (`"6px"`).
    #[serde(default)]
    pub radius: Option<String>,
    /// Font families, CSS syntax (`"Inter, system-ui, sans-serif"`).
    #[serde(default)]
    pub font: Option<String>,
}

impl Theme {
    /// `(custom property, value)` for each value given.
    pub fn properties(&self) -> Vec<(&'static str, &str)> {
        [
            ("--fl-brand", &self.brand),
            ("--fl-brand-contrast", &self.brand_contrast),
            ("--fl-radius", &self.radius),
            ("--fl-font", &self.font),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
        .collect()
    }
}

/// Where the portal sends requests (issue 5's adapters read this).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Intake {
    /// Which adapter formats the request.
    pub adapter: IntakeAdapter,
    /// Endpoint (https, or http on loopback for development; `mailto:` for email).
    pub url: String,
    /// Extra non-secret headers. Secrets belong in the partner's relay.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Zendesk custom ticket fields to fill (adapter `zendesk`): `[{"id": 360001234567, "field": "severity"}]`.
    #[serde(default)]
    pub zendesk_fields: Vec<crate::adapters::ZendeskField>,
    /// Form fields to send, in order (adapter `form`): `[{"name": "your-name", "field": "name"}]`; empty: every request field under its own name.
    #[serde(default)]
    pub form_fields: Vec<crate::adapters::FormField>,
    /// Where the portal sends anonymous funnel events (`frontline.events/v1`:
    /// steps, resolved, escalated, submitted, abandoned; never what the
    /// customer typed), with `navigator.sendBeacon`: https, or http on
    /// loopback. Absent: no event is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_url: Option<String>,
    /// Where the portal fetches a proof-of-work challenge before each
    /// attempt to send a request (the relay's `GET /challenge`, when its
    /// `[abuse.proof_of_work]` is on): https, or http on loopback; adapter
    /// `json` only. The portal solves it with the browser's Web Crypto and
    /// sends the solution as `Frontline-Pow`. Absent: no proof of work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_url: Option<String>,
}

/// Intake adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum IntakeAdapter {
    /// `frontline.request/v1` JSON POST.
    Json,
    /// Zendesk anonymous Requests API.
    Zendesk,
    /// HTML form POST.
    Form,
    /// `mailto:` link.
    Email,
}

/// The partner's service hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct ServiceHours {
    /// IANA time zone the hours are given in (`"Europe/Paris"`).
    pub time_zone: String,
    /// Opening intervals per weekday.
    pub weekly: Weekly,
    /// Closed days, in the partner's time zone: a date (`"2026-05-15"`), a
    /// day every year (`"12-25"`), or days from Western Easter Sunday
    /// (`"easter+1"` Easter Monday, `"easter+39"` Ascension, `"easter-2"`
    /// Good Friday; at most ±100).
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Severity ids whose response clock runs 24x7.
    #[serde(default)]
    pub round_the_clock: Vec<String>,
}

/// Opening intervals for each day of the week (missing day: closed).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Weekly {
    /// Monday.
    #[serde(default)]
    pub mon: Vec<Interval>,
    /// Tuesday.
    #[serde(default)]
    pub tue: Vec<Interval>,
    /// Wednesday.
    #[serde(default)]
    pub wed: Vec<Interval>,
    /// Thursday.
    #[serde(default)]
    pub thu: Vec<Interval>,
    /// Friday.
    #[serde(default)]
    pub fri: Vec<Interval>,
    /// Saturday.
    #[serde(default)]
    pub sat: Vec<Interval>,
    /// Sunday.
    #[serde(default)]
    pub sun: Vec<Interval>,
}

impl Weekly {
    /// The intervals of a weekday, `(key, intervals)` from Monday to Sunday.
    pub fn days(&self) -> [(&'static str, &[Interval]); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }
}

/// An opening interval, local wall-clock times `"08:00"`–`"18:00"`
/// (`"24:00"` allowed as a close).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Interval {
    /// Opening time, `HH:MM`.
    pub open: String,
    /// Closing time, `HH:MM`, after `open`.
    pub close: String,
}

/// A way to reach the partner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct ContactMethod {
    /// Identifier.
    pub id: String,
    /// Portal, email, phone or chat.
    pub channel: Channel,
    /// Customer-facing label.
    pub label: Text,
    /// Address: URL, e-mail address or phone number.
    pub address: String,
    /// When this method is staffed: `service` (the service hours), `always`,
    /// or its own weekly hours in the service time zone.
    pub availability: Availability,
    /// Own weekly hours, required when `availability` is `own`.
    #[serde(default)]
    pub weekly: Option<Weekly>,
}

/// A contact channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// This portal.
    Portal,
    /// E-mail.
    Email,
    /// Phone.
    Phone,
    /// Live chat.
    Chat,
}

/// When a contact method is staffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Same as the service hours.
    Service,
    /// Around the clock.
    Always,
    /// The method's own `weekly` hours.
    Own,
}

/// What the partner charges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Pricing {
    /// Default ISO 4217 currency for the items (`"EUR"`).
    #[serde(default)]
    pub currency: Option<String>,
    /// Price items; the first whose kinds and severities match applies.
    pub items: Vec<PriceItem>,
}

/// One price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct PriceItem {
    /// Identifier.
    pub id: String,
    /// Kinds of problem it applies to (empty: all).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Severities it applies to (empty: all).
    #[serde(default)]
    pub severities: Vec<String>,
    /// Included, per incident or monthly.
    pub model: PriceModel,
    /// Amount in minor units (cents); required unless `included`.
    #[serde(default)]
    pub amount_minor: Option<u64>,
    /// ISO 4217 currency, overriding [`Pricing::currency`].
    #[serde(default)]
    pub currency: Option<String>,
    /// Customer-facing note.
    pub note: Text,
}

/// How a price is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PriceModel {
    /// No extra charge.
    Included,
    /// Charged per request.
    PerIncident,
    /// Part of a monthly plan.
    Monthly,
}

/// A severity the customer may choose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Severity {
    /// Identifier (`"A"`).
    pub id: String,
    /// Short name (`"Critical"`).
    pub name: Text,
    /// Customer-facing definition.
    pub definition: Text,
    /// First-response targets; the first whose handler matches applies.
    pub targets: Vec<Target>,
    /// Where the definition and targets come from.
    pub source: String,
}

/// A first-response target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Target {
    /// Handlers it applies to (empty: all).
    #[serde(default)]
    pub handlers: Vec<Handler>,
    /// Minutes until the first response (business minutes unless the
    /// severity is in [`ServiceHours::round_the_clock`]).
    pub minutes: u32,
}

/// A vendor support vehicle (renamed over time, so it is data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Vehicle {
    /// Identifier (`"signature"`).
    pub id: String,
    /// Commercial or technical.
    pub kind: VehicleKind,
    /// The vendor's name for it.
    pub name: Text,
    /// Customer-facing description.
    pub description: Text,
    /// Available to every partner without a contract.
    #[serde(default)]
    pub available_to_all: bool,
    /// Condition over partner facts that must hold (e.g. a Gold competency).
    #[serde(default)]
    pub requires: Option<Value>,
    /// Where this comes from.
    pub source: String,
}

/// The two kinds of vendor escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum VehicleKind {
    /// Billing, subscriptions, disputes.
    Commercial,
    /// Break/fix of the service.
    Technical,
}

/// A kind of problem (billing, technical, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct ProblemKind {
    /// Identifier (`"billing"`).
    pub id: String,
    /// Customer-facing name.
    pub name: Text,
    /// Customer-facing one-line description.
    pub description: Text,
}

/// A product the partner supports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Product {
    /// Stable identifier, used in rules and requests.
    pub id: String,
    /// Customer-facing name.
    pub name: Text,
    /// Who makes it.
    pub origin: Origin,
    /// The publisher's support contact (third-party products).
    #[serde(default)]
    pub publisher: Option<Contact>,
    /// The kinds of problem offered for this product, each with its first
    /// diagnosis node.
    pub kinds: Vec<ProductKind>,
}

/// Who makes a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The cloud vendor (Microsoft).
    Vendor,
    /// A third-party publisher (Marketplace).
    ThirdParty,
    /// The partner itself.
    Partner,
}

/// A kind of problem offered for a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct ProductKind {
    /// Id of a [`ProblemKind`].
    pub kind: String,
    /// Id of the first diagnosis node.
    pub start: String,
}

/// A node of the diagnosis graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Node {
    /// A question with answers.
    Question(Question),
    /// A self-help step: "this fixed it" or "still broken".
    Step(SelfHelp),
    /// Information to read, then continue.
    Info(Info),
    /// End of diagnosis: the rules decide who handles it.
    End(End),
}

impl Node {
    /// The node's id.
    pub fn id(&self) -> &str {
        match self {
            Node::Question(q) => &q.id,
            Node::Step(s) => &s.id,
            Node::Info(i) => &i.id,
            Node::End(e) => &e.id,
        }
    }

    /// The tags this node sets.
    pub fn tags(&self) -> &[String] {
        match self {
            Node::Question(q) => &q.tags,
            Node::Step(s) => &s.tags,
            Node::Info(i) => &i.tags,
            Node::End(e) => &e.tags,
        }
    }
}

/// A question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Question {
    /// Identifier.
    pub id: String,
    /// The question.
    pub text: Text,
    /// Optional help under the question.
    #[serde(default)]
    pub help: Option<Text>,
    /// Possible answers.
    pub answers: Vec<Answer>,
    /// Tags set when the node is passed.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// An answer to a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Answer {
    /// Identifier, unique within the question.
    pub id: String,
    /// Customer-facing label.
    pub label: Text,
    /// Next node id (required).
    #[serde(default)]
    pub next: Option<String>,
    /// Tags set when this answer is chosen (rules can test them).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A self-help step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct SelfHelp {
    /// Identifier.
    pub id: String,
    /// Title.
    pub title: Text,
    /// What to do.
    pub text: Text,
    /// A link to the tool or article, if any.
    #[serde(default)]
    pub link: Option<Link>,
    /// Next node when the customer says "still broken" (required).
    #[serde(default)]
    pub still_broken: Option<String>,
    /// Tags set when the node is passed.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Where this step comes from.
    pub source: String,
}

/// A link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Link {
    /// https URL.
    pub url: String,
    /// Customer-facing label.
    pub label: Text,
}

/// Information to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Info {
    /// Identifier.
    pub id: String,
    /// Title.
    pub title: Text,
    /// Body.
    pub text: Text,
    /// Next node (required).
    #[serde(default)]
    pub next: Option<String>,
    /// Tags set when the node is passed.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// End of diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct End {
    /// Identifier.
    pub id: String,
    /// Customer-facing summary of what was found.
    pub summary: Text,
    /// Tags set when the node is reached.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Who handles a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Handler {
    /// The partner itself (how-to, configuration, advisory).
    Partner,
    /// The vendor through a commercial vehicle (billing, disputes).
    VendorCommercial,
    /// The vendor through a technical vehicle the partner has.
    VendorTechnical,
    /// The third-party product's publisher.
    Publisher,
    /// The indirect provider (for indirect resellers).
    IndirectProvider,
    /// Nobody: the request is not a customer support case.
    OutOfScope,
}

impl Handler {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Handler::Partner => "partner",
            Handler::VendorCommercial => "vendor_commercial",
            Handler::VendorTechnical => "vendor_technical",
            Handler::Publisher => "publisher",
            Handler::IndirectProvider => "indirect_provider",
            Handler::OutOfScope => "out_of_scope",
        }
    }

    /// Whether the partner receives and works on the request (so a severity,
    /// a deadline and a price apply).
    pub fn partner_works_on_it(self) -> bool {
        matches!(
            self,
            Handler::Partner | Handler::VendorCommercial | Handler::VendorTechnical
        )
    }
}

/// A scope or escalation rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
pub struct Rule {
    /// Identifier.
    pub id: String,
    /// Condition (JsonLogic subset: `and`, `or`, `!`, `==`, `!=`, `in`,
    /// `var`) over `product`, `kind`, `node`, `tags`, `answers.<question>`,
    /// `partner.csp_model`, `partner.competencies`,
    /// `partner.competency_levels`, `partner.contracts`. `true` always matches.
    pub when: Value,
    /// Who handles it.
    pub handler: Handler,
    /// A specific vehicle; otherwise the first available of the right kind.
    #[serde(default)]
    pub vehicle: Option<String>,
    /// Severities allowed (empty: all, when the partner works on it).
    #[serde(default)]
    pub severities: Vec<String>,
    /// Customer-facing reason.
    pub rationale: Text,
    /// Where the rule comes from (URL or document name).
    pub source: String,
}
