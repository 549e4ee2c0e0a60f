//! Loading a ruleset: parse, then report every problem with its JSON path.
//!
//! Never panics, whatever the input. The steps:
//! 1. parse the text as JSON (`serde_json::Value`);
//! 2. look for anything that looks like a secret, in the raw document;
//! 3. read the typed [`Ruleset`] (see `read.rs`), reporting every unknown
//!    field, missing field and wrong type with its exact path;
//! 4. if it could be read, check meaning: references, graph shape, hours,
//!    prices, rules.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::cond::{self, child, Domain, Scope};
use crate::eval;
use crate::hours::parse_hhmm;
use crate::report::Report;
use crate::ruleset::*;
use crate::tz::Zone;

/// Parses and validates a ruleset. `Ok` when there is no error (warnings
/// are dropped: use [`load_with_report`] to see them); `Err` with every
/// problem otherwise.
pub fn load(json: &str) -> Result<Ruleset, Report> {
    match load_with_report(json) {
        (Some(r), report) if !report.has_errors() => Ok(r),
        (_, report) => Err(report),
    }
}

/// Parses and validates a ruleset, returning it (when it could be read at
/// all) together with every problem found, errors and warnings.
pub fn load_with_report(json: &str) -> (Option<Ruleset>, Report) {
    let mut report = Report::default();
    // serde_json's reading, messages and positions, by the core's own
    // parser (lighter in WebAssembly; tested against serde_json).
    let value: Value = match crate::json::parse(json) {
        Ok(v) => v,
        Err(e) => {
            report.error(
                "$",
                format!(
                    "not valid JSON at line {}, column {}: {}; fix the syntax (a JSON linter shows where)",
                    e.line, e.column, e.message
                ),
            );
            return (None, report);
        }
    };
    scan_secrets(&value, "$", &mut report);
    let mut reader = crate::read::Reader {
        report: &mut report,
    };
    let Some(mut ruleset) = crate::read::ruleset(&mut reader, &value) else {
        return (None, report);
    };
    validate_into(&ruleset, &mut report);
    ruleset.content = Content::new(json);
    (Some(ruleset), report)
}

/// Reads a ruleset without the semantic checks of [`load`]: structure,
/// types, unknown fields and the format identifier only. Several times
/// smaller in WebAssembly than [`load`] (no graph, rule, hours or secret
/// checks), for a browser that serves rulesets already passed through
/// `frontline check`. Evaluating an unchecked ruleset never panics: a broken
/// reference surfaces as an [`crate::EvalError`].
pub fn parse(json: &str) -> Result<Ruleset, Report> {
    read_value(&json_value(json)?, json, crate::read::ruleset)
}

/// The first stage of [`parse`], for a page that shows its first screen
/// before reading the rest: the ruleset without its severities, vehicles,
/// kinds of problem, products, diagnosis nodes and rules (left empty), which
/// are most of a ruleset and none of a welcome screen. Every other part is
/// read and checked as [`parse`] does; the rest, with [`Rest::finish`].
/// A ruleset with a problem anywhere that stops this stage is reported
/// whole, as [`parse`] reports it.
///
/// The front is for showing the partner, its hours and contact methods: it
/// must not be evaluated (it has no rules).
pub fn parse_front(json: &str) -> Result<(Ruleset, Rest), Report> {
    // Every problem, not only the front's (the whole read fails too: the
    // front is read by the same readers).
    read_front(json).map_err(|(front, rest)| rest.finish().err().unwrap_or(front))
}

/// [`parse_front`] for a page that keeps the whole ruleset's reader out of
/// the code it loads first: on a failure, the front's problems only, and
/// what is left to read, whose [`Rest::finish`] reports every problem, as
/// [`parse_front`] does.
pub fn read_front(json: &str) -> Result<(Ruleset, Rest), (Report, Rest)> {
    // The lists left for later are most of a ruleset's text: stepped over,
    // not built. Should that fail, the whole text is parsed, for its report.
    let rest = Rest {
        source: json.to_owned(),
    };
    let value = match crate::json::parse_skipping(json, crate::read::LATER) {
        Ok(value) => value,
        Err(_) => match json_value(json) {
            Ok(value) => value,
            Err(report) => return Err((report, rest)),
        },
    };
    match read_value(&value, json, crate::read::front) {
        Ok(front) => Ok((front, rest)),
        Err(report) => Err((report, rest)),
    }
}

/// What [`parse_front`] left to read.
#[derive(Debug)]
pub struct Rest {
    source: String,
}

impl Rest {
    /// The whole ruleset, exactly as [`parse`] reads it from the same text.
    pub fn finish(self) -> Result<Ruleset, Report> {
        parse(&self.source)
    }
}

fn json_value(json: &str) -> Result<Value, Report> {
    crate::json::parse(json).map_err(|e| {
        let mut report = Report::default();
        report.error(
            "$",
            format!("not valid JSON at line {}, column {}", e.line, e.column),
        );
        report
    })
}

fn read_value(
    value: &Value,
    json: &str,
    read: fn(&mut crate::read::Reader, &Value) -> Option<Ruleset>,
) -> Result<Ruleset, Report> {
    let mut report = Report::default();
    let mut reader = crate::read::Reader {
        report: &mut report,
    };
    match read(&mut reader, value) {
        Some(mut r) if !report.has_errors() && r.schema == RULESET_SCHEMA => {
            r.content = Content::new(json);
            Ok(r)
        }
        Some(r) if r.schema != RULESET_SCHEMA => {
            report.error(
                "$.schema",
                format!("expected \"{RULESET_SCHEMA}\", found \"{}\"", r.schema),
            );
            Err(report)
        }
        _ => Err(report),
    }
}

/// Checks the meaning of an already-typed ruleset (references, graph,
/// hours, prices, rules). [`load`] calls it; call it again after changing a
/// ruleset in memory (for example after applying scenario overrides).
pub fn validate(ruleset: &Ruleset) -> Report {
    let mut report = Report::default();
    validate_into(ruleset, &mut report);
    report
}

/// The checks that depend on today's date (`today` in the partner's time
/// zone), added to `report`: a calendar of one-off holidays that has none
/// in the next twelve months has gone stale. `frontline check` runs them
/// (`--at` sets today); loading does not, so a ruleset loads the same on
/// every day.
pub fn validate_on(ruleset: &Ruleset, today: chrono::NaiveDate, report: &mut Report) {
    let holidays = crate::hours::Holidays::new(&ruleset.hours.holidays);
    if let Some(last) = holidays.stale_after(today) {
        let what = if last <= today {
            format!("holidays stop at {last}: deadlines after that ignore holidays")
        } else {
            format!("no holiday in the twelve months after {today}: deadlines ignore holidays until {last}")
        };
        report.warning(
            "$.hours.holidays",
            format!(
                "{what}; add the coming dates, or write recurring ones (\"12-25\" every year, \"easter+1\" Easter Monday)"
            ),
        );
    }
}

// ---------------------------------------------------------------- secrets

const SECRET_KEY_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "apikey",
    "token",
    "authorization",
    "privatekey",
    "accesskey",
    "credential",
    "cookie",
];

const SECRET_PREFIXES: &[&str] = &[
    "bearer ",
    "basic ",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "ghp_",
    "gho_",
    "ghs_",
    "github_pat_",
    "xoxb-",
    "xoxp-",
    "glpat-",
    "-----begin",
];

fn scan_secrets(v: &Value, path: &str, report: &mut Report) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                let p = child(path, k);
                let norm: String = k
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                if SECRET_KEY_WORDS.iter().any(|w| norm.contains(w)) {
                    report.error(
                        &p,
                        format!(
                            "\"{k}\" looks like a secret; a ruleset is public (the browser downloads it): remove it and keep secrets in the partner's relay"
                        ),
                    );
                } else {
                    scan_secrets(val, &p, report);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                scan_secrets(item, &format!("{path}[{i}]"), report);
            }
        }
        Value::String(s) => {
            if let Some(why) = secret_shape(s) {
                report.error(
                    path,
                    format!(
                        "this value looks like a secret ({why}); a ruleset is public: remove it and keep secrets in the partner's relay"
                    ),
                );
            }
        }
        _ => {}
    }
}

/// Why a string looks like a credential, if it does.
pub(crate) fn secret_shape(s: &str) -> Option<&'static str> {
    let lower = s.to_ascii_lowercase();
    if SECRET_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return Some("a known token prefix");
    }
    let b = s.as_bytes();
    if b.len() == 20
        && s.starts_with("AKIA")
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Some("an AWS access key id");
    }
    if s.starts_with("eyJ") && s.matches('.').count() == 2 && !s.contains(' ') {
        return Some("a JSON Web Token");
    }
    if let Some(rest) = lower.split_once("://").map(|(_, r)| r) {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return Some("a URL with a user name or password");
        }
        let query = rest.split_once('?').map(|(_, q)| q).unwrap_or("");
        for param in query.split('&') {
            let name = param.split('=').next().unwrap_or("");
            let norm: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            if SECRET_KEY_WORDS.iter().any(|w| norm.contains(w)) || norm == "sig" || norm == "key" {
                return Some("a URL with a credential in its query");
            }
        }
        return None;
    }
    if b.len() >= 32
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"+/=_-.".contains(c))
        && b.iter().any(u8::is_ascii_uppercase)
        && b.iter().any(u8::is_ascii_lowercase)
        && b.iter().any(u8::is_ascii_digit)
        && entropy(b) >= 4.0
    {
        return Some("a long random-looking string");
    }
    None
}

fn entropy(b: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &c in b {
        counts[usize::from(c)] += 1;
    }
    let n = b.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

// ---------------------------------------------------------------- meaning

struct Ctx<'a> {
    r: &'a Ruleset,
    report: &'a mut Report,
}

impl Ctx<'_> {
    fn text(&mut self, path: &str, t: &Text) {
        let default = &self.r.default_language;
        if t.0.get(default).is_none_or(|s| s.trim().is_empty()) {
            self.report.error(
                path,
                format!("missing text in the default language \"{default}\"; add it (it is the fallback for every customer)"),
            );
        }
        for lang in &self.r.languages {
            if lang != default && !t.0.contains_key(lang) {
                self.report.warning(
                    path,
                    format!("missing \"{lang}\" translation; customers reading \"{lang}\" will see the \"{default}\" text"),
                );
            }
        }
        for lang in t.0.keys() {
            if !self.r.languages.contains(lang) {
                self.report.warning(
                    child(path, lang),
                    format!(
                        "\"{lang}\" is not in $.languages; add it there or remove this translation"
                    ),
                );
            }
        }
    }

    fn id(&mut self, path: &str, id: &str, seen: &mut BTreeSet<String>, what: &str) {
        if id.trim().is_empty() {
            self.report.error(path, format!("empty {what} id"));
        } else if !seen.insert(id.to_string()) {
            self.report.error(
                path,
                format!("duplicate {what} id \"{id}\"; ids must be unique"),
            );
        }
    }

    fn source(&mut self, path: &str, s: &str) {
        if s.trim().is_empty() {
            self.report.warning(
                path,
                "no source given; cite the document or URL this comes from, so customers and auditors can check it",
            );
        }
    }

    fn weekly(&mut self, path: &str, w: &Weekly) -> bool {
        let mut any = false;
        for (day, intervals) in w.days() {
            let dpath = child(path, day);
            let mut spans: Vec<(u32, u32, usize)> = Vec::new();
            for (i, iv) in intervals.iter().enumerate() {
                let ipath = format!("{dpath}[{i}]");
                let open = parse_hhmm(&iv.open);
                let close = parse_hhmm(&iv.close);
                match (open, close) {
                    (Some(o), Some(c)) if o < 1440 => {
                        if c <= o {
                            self.report.error(
                                ipath,
                                format!(
                                    "empty or reversed interval {}–{}; close must be after open (use \"24:00\" for midnight)",
                                    iv.open, iv.close
                                ),
                            );
                        } else {
                            spans.push((o, c, i));
                        }
                    }
                    (o, c) => {
                        if o.is_none_or(|o| o >= 1440) {
                            self.report.error(
                                child(&ipath, "open"),
                                format!(
                                    "\"{}\" is not a time; write HH:MM, 00:00 to 23:59",
                                    iv.open
                                ),
                            );
                        }
                        if c.is_none() {
                            self.report.error(
                                child(&ipath, "close"),
                                format!(
                                    "\"{}\" is not a time; write HH:MM, 00:00 to 24:00",
                                    iv.close
                                ),
                            );
                        }
                    }
                }
            }
            crate::sort::sort(&mut spans);
            for pair in spans.windows(2) {
                if pair[1].0 < pair[0].1 {
                    self.report.error(
                        format!("{dpath}[{}]", pair[1].2),
                        format!(
                            "overlaps interval {} of the same day; merge them",
                            pair[0].2
                        ),
                    );
                }
            }
            any |= !spans.is_empty();
        }
        any
    }
}

/// Facts about the partner profile, for conditions.
pub(crate) fn partner_facts(p: &Partner) -> cond::Facts {
    let mut f = cond::Facts::new();
    f.insert(
        "partner.csp_model".into(),
        Value::String(p.csp_model.as_str().into()),
    );
    f.insert(
        "partner.competencies".into(),
        Value::Array(
            p.competencies
                .iter()
                .map(|c| Value::String(c.id.clone()))
                .collect(),
        ),
    );
    let mut levels: Vec<&str> = p.competencies.iter().map(|c| c.level.as_str()).collect();
    crate::sort::sort(&mut levels);
    levels.dedup();
    f.insert(
        "partner.competency_levels".into(),
        Value::Array(
            levels
                .into_iter()
                .map(|l| Value::String(l.into()))
                .collect(),
        ),
    );
    f.insert(
        "partner.contracts".into(),
        Value::Array(
            p.contracts
                .iter()
                .map(|c| Value::String(c.clone()))
                .collect(),
        ),
    );
    f
}

fn domain(values: impl IntoIterator<Item = String>, list: bool) -> Domain {
    Domain {
        values: values.into_iter().collect(),
        list,
    }
}

fn partner_scope(r: &Ruleset) -> Scope {
    let mut s = Scope::new();
    s.insert(
        "partner.csp_model".into(),
        domain(
            ["direct_bill", "indirect_provider", "indirect_reseller"].map(String::from),
            false,
        ),
    );
    s.insert(
        "partner.competencies".into(),
        domain(r.partner.competencies.iter().map(|c| c.id.clone()), true),
    );
    s.insert(
        "partner.competency_levels".into(),
        domain(["gold", "silver"].map(String::from), true),
    );
    s.insert(
        "partner.contracts".into(),
        domain(r.vehicles.iter().map(|v| v.id.clone()), true),
    );
    s
}

fn rule_scope(r: &Ruleset) -> Scope {
    let mut s = partner_scope(r);
    s.insert(
        "product".into(),
        domain(r.products.iter().map(|p| p.id.clone()), false),
    );
    s.insert(
        "kind".into(),
        domain(r.kinds.iter().map(|k| k.id.clone()), false),
    );
    s.insert(
        "node".into(),
        domain(
            r.nodes
                .iter()
                .filter(|n| matches!(n, Node::End(_)))
                .map(|n| n.id().to_string()),
            false,
        ),
    );
    let mut tags = BTreeSet::new();
    for n in &r.nodes {
        tags.extend(n.tags().iter().cloned());
        if let Node::Question(q) = n {
            for a in &q.answers {
                tags.extend(a.tags.iter().cloned());
            }
        }
    }
    s.insert("tags".into(), domain(tags, true));
    for n in &r.nodes {
        let answers: Vec<String> = match n {
            Node::Question(q) => q.answers.iter().map(|a| a.id.clone()).collect(),
            Node::Step(_) => vec![eval::STILL_BROKEN.into()],
            Node::Info(_) => vec![eval::CONTINUE.into()],
            Node::End(_) => continue,
        };
        s.insert(format!("answers.{}", n.id()), domain(answers, false));
    }
    s
}

/// Whether a vehicle is available to this partner: available to all or
/// under contract, and its prerequisites met.
pub(crate) fn vehicle_available(v: &Vehicle, p: &Partner) -> bool {
    (v.available_to_all || p.contracts.contains(&v.id))
        && v.requires
            .as_ref()
            .is_none_or(|c| cond::holds(c, &partner_facts(p)))
}

fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or("").to_string()
    };
    host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn https_ok(url: &str) -> bool {
    url.strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty())
}

fn validate_into(r: &Ruleset, report: &mut Report) {
    let mut c = Ctx { r, report };
    if r.schema != RULESET_SCHEMA {
        c.report.error(
            "$.schema",
            format!(
                "expected \"{RULESET_SCHEMA}\", found \"{}\"; this Frontline reads only that format",
                r.schema
            ),
        );
    }
    if r.id.trim().is_empty() {
        c.report
            .error("$.id", "empty ruleset id; give it a stable name");
    }
    if r.version.trim().is_empty() {
        c.report.error(
            "$.version",
            "empty version; give each published ruleset a version label",
        );
    }
    if r.languages.is_empty() {
        c.report.error(
            "$.languages",
            "no language declared; list at least the default language",
        );
    }
    if !r.languages.contains(&r.default_language) {
        c.report.error(
            "$.default_language",
            format!(
                "\"{}\" is not in $.languages; add it there",
                r.default_language
            ),
        );
    }
    let mut seen = BTreeSet::new();
    for (i, l) in r.languages.iter().enumerate() {
        c.id(&format!("$.languages[{i}]"), l, &mut seen, "language");
    }

    validate_partner(&mut c);
    validate_contact(&mut c);
    validate_intake_fields(&mut c);
    validate_theme(&mut c);
    validate_hours(&mut c);
    validate_prices(&mut c);
    validate_catalogues(&mut c);
    validate_graph(&mut c);
    validate_rules(&mut c);
}

fn validate_partner(c: &mut Ctx<'_>) {
    let r = c.r;
    let p = &r.partner;
    if p.name.trim().is_empty() {
        c.report.error(
            "$.partner.name",
            "empty partner name; customers need to know who helps them",
        );
    }
    if p.csp_model == CspModel::IndirectReseller && p.indirect_provider.is_none() {
        c.report.error(
            "$.partner.indirect_provider",
            "an indirect reseller must name its indirect provider (who takes vendor escalations); add partner.indirect_provider",
        );
    }
    let mut seen = BTreeSet::new();
    for (i, comp) in p.competencies.iter().enumerate() {
        c.id(
            &format!("$.partner.competencies[{i}].id"),
            &comp.id,
            &mut seen,
            "competency",
        );
    }
    let mut seen = BTreeSet::new();
    for (i, id) in p.contracts.iter().enumerate() {
        let path = format!("$.partner.contracts[{i}]");
        c.id(&path, id, &mut seen, "contract");
        match r.vehicle(id) {
            None => c.report.error(
                path,
                format!("no vehicle \"{id}\" in $.vehicles; add it there or fix the id"),
            ),
            Some(v) if !vehicle_available(v, p) => c.report.warning(
                path,
                format!(
                    "the profile does not meet the prerequisites of \"{id}\" ({}); it will not be used",
                    v.requires
                        .as_ref()
                        .map(|req| cond::describe(req, &partner_facts(p)))
                        .unwrap_or_default()
                ),
            ),
            Some(_) => {}
        }
    }
    if p.support_provided.is_empty() {
        c.report.warning(
            "$.partner.support_provided",
            "say what support you provide: the seed asks partners to tell customers",
        );
    }
    for (i, t) in p.support_provided.iter().enumerate() {
        c.text(&format!("$.partner.support_provided[{i}]"), t);
    }
    if let Some(t) = &p.downgrade_notice {
        c.text("$.partner.downgrade_notice", t);
    }
}

fn validate_contact(c: &mut Ctx<'_>) {
    let r = c.r;
    let f = &r.fallback_contact;
    if !f.email.contains('@') {
        c.report.error(
            "$.fallback_contact.email",
            format!("\"{}\" is not an e-mail address", f.email),
        );
    }
    let url = &r.intake.url;
    let ok = match r.intake.adapter {
        IntakeAdapter::Email => url.starts_with("mailto:") && url.contains('@'),
        _ => https_ok(url) || is_loopback_http(url),
    };
    if !ok {
        let msg = match r.intake.adapter {
            IntakeAdapter::Email => format!("\"{url}\" is not a mailto: address; write mailto:support@example.com"),
            _ => format!(
                "\"{url}\" is not https; requests carry personal data, so use https (plain http is only allowed on loopback, for development)"
            ),
        };
        c.report.error("$.intake.url", msg);
    }
    if let Some(url) = &r.intake.events_url {
        if !(https_ok(url) || is_loopback_http(url)) {
            c.report.error(
                "$.intake.events_url",
                format!("\"{url}\" is not https (or http on loopback)"),
            );
        }
    }
    if let Some(url) = &r.intake.challenge_url {
        if r.intake.adapter != IntakeAdapter::Json {
            c.report.error(
                "$.intake.challenge_url",
                format!(
                    "a proof of work is asked by Frontline's relay, whose adapter is \"json\", not \"{}\": remove challenge_url",
                    crate::adapters::adapter_name(r.intake.adapter)
                ),
            );
        } else if !(https_ok(url) || is_loopback_http(url)) {
            c.report.error(
                "$.intake.challenge_url",
                format!("\"{url}\" is not https; use https (plain http is only allowed on loopback, for development), or remove challenge_url to solve no proof of work"),
            );
        }
    }
    for name in r.intake.headers.keys() {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            c.report.error(
                child("$.intake.headers", name),
                format!("\"{name}\" is not a valid header name (letters, digits and '-')"),
            );
        }
    }
    let mut seen = BTreeSet::new();
    for (i, m) in r.contact_methods.iter().enumerate() {
        let path = format!("$.contact_methods[{i}]");
        c.id(&child(&path, "id"), &m.id, &mut seen, "contact method");
        c.text(&child(&path, "label"), &m.label);
        match (m.availability, &m.weekly) {
            (Availability::Own, None) => c.report.error(
                child(&path, "weekly"),
                "availability is \"own\" but no weekly hours are given; add them or use \"service\"",
            ),
            (Availability::Own, Some(w)) => {
                let open_some_day = c.weekly(&child(&path, "weekly"), w);
                if !open_some_day {
                    c.report.error(child(&path, "weekly"), "no opening hours on any day");
                }
            }
            (_, Some(_)) => c.report.warning(
                child(&path, "weekly"),
                "weekly hours are ignored unless availability is \"own\"",
            ),
            _ => {}
        }
        let addr_ok = match m.channel {
            Channel::Email => m.address.contains('@'),
            Channel::Portal | Channel::Chat => https_ok(&m.address) || is_loopback_http(&m.address),
            Channel::Phone => m.address.chars().filter(char::is_ascii_digit).count() >= 6,
        };
        if !addr_ok {
            c.report.error(
                child(&path, "address"),
                format!("\"{}\" is not a valid address for this channel", m.address),
            );
        }
    }
    if r.contact_methods.is_empty() {
        c.report.warning(
            "$.contact_methods",
            "no contact method; tell customers how to reach you",
        );
    }
}

/// `intake.zendesk_fields` and `intake.form_fields` (which request field
/// fills each is checked by the reader: only known names are read).
/// `#rgb` / `#rrggbb` as (r, g, b) in 0..=255.
fn hex_colour(s: &str) -> Option<(u8, u8, u8)> {
    let hex = s.strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let digit = |i: usize, width: usize| u8::from_str_radix(hex.get(i..i + width)?, 16).ok();
    match hex.len() {
        3 => Some((digit(0, 1)? * 17, digit(1, 1)? * 17, digit(2, 1)? * 17)),
        6 => Some((digit(0, 2)?, digit(2, 2)?, digit(4, 2)?)),
        _ => None,
    }
}

/// WCAG 2 contrast ratio of two colours.
fn contrast((r1, g1, b1): (u8, u8, u8), (r2, g2, b2): (u8, u8, u8)) -> f64 {
    let lum = |r: u8, g: u8, b: u8| {
        let c = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b)
    };
    let (a, b) = (lum(r1, g1, b1), lum(r2, g2, b2));
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

fn validate_theme(c: &mut Ctx<'_>) {
    let Some(t) = &c.r.theme else { return };
    let colours = [("brand", &t.brand), ("brand_contrast", &t.brand_contrast)];
    for (name, value) in colours {
        if let Some(v) = value {
            if hex_colour(v).is_none() {
                c.report.error(
                    format!("$.theme.{name}"),
                    format!("\"{v}\" is not a colour; write #rgb or #rrggbb, e.g. #0b5cad"),
                );
            }
        }
    }
    if let (Some(a), Some(b)) = (
        t.brand.as_deref().and_then(hex_colour),
        t.brand_contrast.as_deref().and_then(hex_colour),
    ) {
        let ratio = contrast(a, b);
        if ratio < 4.5 {
            c.report.warning(
                "$.theme.brand_contrast",
                format!("contrast with $.theme.brand is {ratio:.1}:1, under the 4.5:1 WCAG AA needs for button text; pick a darker or lighter colour"),
            );
        }
    }
    if let Some(r) = &t.radius {
        let ok = r
            .strip_suffix("px")
            .and_then(|n| n.parse::<f32>().ok())
            .is_some_and(|n| (0.0..=40.0).contains(&n));
        if !ok {
            c.report.error(
                "$.theme.radius",
                format!("\"{r}\" is not a radius in px from 0px to 40px, e.g. \"8px\""),
            );
        }
    }
    if let Some(f) = &t.font {
        let ok = !f.trim().is_empty()
            && f.len() <= 200
            && f.chars()
                .all(|ch| ch.is_alphanumeric() || " ,-_'\"".contains(ch));
        if !ok {
            c.report.error(
                "$.theme.font",
                "a font is a comma-separated list of family names (letters, digits, spaces, quotes, - and _), e.g. \"Inter, system-ui, sans-serif\"",
            );
        }
    }
}

fn validate_intake_fields(c: &mut Ctx<'_>) {
    let intake = &c.r.intake;
    let adapter = crate::adapters::adapter_name(intake.adapter);
    if !intake.zendesk_fields.is_empty() && intake.adapter != IntakeAdapter::Zendesk {
        c.report.warning(
            "$.intake.zendesk_fields",
            format!("ignored: only the zendesk adapter uses them and intake.adapter is \"{adapter}\"; remove them or change the adapter"),
        );
    }
    if !intake.form_fields.is_empty() && intake.adapter != IntakeAdapter::Form {
        c.report.warning(
            "$.intake.form_fields",
            format!("ignored: only the form adapter uses them and intake.adapter is \"{adapter}\"; remove them or change the adapter"),
        );
    }
    let mut ids: BTreeMap<u64, usize> = BTreeMap::new();
    for (i, f) in intake.zendesk_fields.iter().enumerate() {
        let path = format!("$.intake.zendesk_fields[{i}].id");
        if f.id == 0 {
            c.report.error(
                path,
                "0 is not a Zendesk custom field id; copy the id from Admin Center > Objects and rules > Tickets > Fields",
            );
        } else if let Some(first) = ids.get(&f.id) {
            c.report.error(
                path,
                format!(
                    "duplicate Zendesk field id {} (also at $.intake.zendesk_fields[{first}]); fill each custom field once",
                    f.id
                ),
            );
        } else {
            ids.insert(f.id, i);
        }
    }
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, f) in intake.form_fields.iter().enumerate() {
        let path = format!("$.intake.form_fields[{i}].name");
        if f.name.trim().is_empty() {
            c.report.error(
                path,
                "empty form field name; write the name the form handler expects (its input's name attribute)",
            );
        } else if let Some(first) = names.get(f.name.as_str()) {
            c.report.error(
                path,
                format!(
                    "duplicate form field name \"{}\" (also at $.intake.form_fields[{first}]); each name is sent once: rename or remove one",
                    f.name
                ),
            );
        } else {
            names.insert(&f.name, i);
        }
    }
}

fn validate_hours(c: &mut Ctx<'_>) {
    let r = c.r;
    let h = &r.hours;
    if Zone::named(&h.time_zone).is_none() {
        c.report.error(
            "$.hours.time_zone",
            format!(
                "\"{}\" is not an IANA time zone; write e.g. \"Europe/Paris\"",
                h.time_zone
            ),
        );
    }
    if !c.weekly("$.hours.weekly", &h.weekly) {
        c.report.error(
            "$.hours.weekly",
            "no opening hours on any day; business-hours deadlines cannot be computed",
        );
    }
    let mut seen = BTreeSet::new();
    for (i, d) in h.holidays.iter().enumerate() {
        let path = format!("$.hours.holidays[{i}]");
        if crate::hours::Holiday::parse(d).is_none() {
            c.report.error(
                &path,
                format!(
                    "\"{d}\" is not a holiday; write a date (\"2026-05-15\"), a day every year (\"12-25\") or days from Easter Sunday (\"easter+1\", at most ±{})",
                    crate::hours::MAX_EASTER_OFFSET
                ),
            );
        } else if !seen.insert(d.clone()) {
            c.report
                .warning(path, format!("holiday \"{d}\" is listed twice"));
        }
    }
    for (i, s) in h.round_the_clock.iter().enumerate() {
        if r.severity(s).is_none() {
            c.report.error(
                format!("$.hours.round_the_clock[{i}]"),
                format!("no severity \"{s}\" in $.severities"),
            );
        }
    }
}

fn valid_currency(s: &str) -> bool {
    crate::money::minor_digits(s).is_some()
}

fn validate_prices(c: &mut Ctx<'_>) {
    let r = c.r;
    if let Some(cur) = &r.pricing.currency {
        if !valid_currency(cur) {
            c.report.error(
                "$.pricing.currency",
                format!("\"{cur}\" is not a current ISO 4217 currency code (like EUR, USD, JPY)"),
            );
        }
    }
    let mut seen = BTreeSet::new();
    for (i, item) in r.pricing.items.iter().enumerate() {
        let path = format!("$.pricing.items[{i}]");
        c.id(&child(&path, "id"), &item.id, &mut seen, "price");
        c.text(&child(&path, "note"), &item.note);
        for (j, k) in item.kinds.iter().enumerate() {
            if r.kind(k).is_none() {
                c.report.error(
                    format!("{path}.kinds[{j}]"),
                    format!("no kind \"{k}\" in $.kinds"),
                );
            }
        }
        for (j, s) in item.severities.iter().enumerate() {
            if r.severity(s).is_none() {
                c.report.error(
                    format!("{path}.severities[{j}]"),
                    format!("no severity \"{s}\" in $.severities"),
                );
            }
        }
        if let Some(cur) = &item.currency {
            if !valid_currency(cur) {
                c.report.error(
                    child(&path, "currency"),
                    format!(
                        "\"{cur}\" is not a current ISO 4217 currency code (like EUR, USD, JPY)"
                    ),
                );
            }
        }
        match item.model {
            PriceModel::Included => {
                if item.amount_minor.is_some_and(|a| a > 0) {
                    c.report.warning(
                        child(&path, "amount_minor"),
                        "an included price has no amount; use per_incident or monthly, or remove the amount",
                    );
                }
            }
            _ => {
                if item.amount_minor.is_none() {
                    c.report.error(
                        child(&path, "amount_minor"),
                        "a charged price needs an amount (in minor units: 15000 = 150.00)",
                    );
                }
                if item.currency.is_none() && r.pricing.currency.is_none() {
                    c.report.error(
                        &path,
                        "price without currency; set currency here or in $.pricing.currency",
                    );
                }
            }
        }
    }
}

fn validate_catalogues(c: &mut Ctx<'_>) {
    let r = c.r;
    if r.severities.is_empty() {
        c.report.error(
            "$.severities",
            "no severity; declare at least one (e.g. A, B, C)",
        );
    }
    let mut seen = BTreeSet::new();
    for (i, s) in r.severities.iter().enumerate() {
        let path = format!("$.severities[{i}]");
        c.id(&child(&path, "id"), &s.id, &mut seen, "severity");
        c.text(&child(&path, "name"), &s.name);
        c.text(&child(&path, "definition"), &s.definition);
        c.source(&child(&path, "source"), &s.source);
        if s.targets.is_empty() {
            c.report
                .error(child(&path, "targets"), "no first-response target; add one");
        }
        for (j, t) in s.targets.iter().enumerate() {
            if t.minutes == 0 {
                c.report.error(
                    format!("{path}.targets[{j}].minutes"),
                    "a first-response target of 0 minutes cannot be met",
                );
            }
        }
    }
    let mut seen = BTreeSet::new();
    let pscope = partner_scope(r);
    for (i, v) in r.vehicles.iter().enumerate() {
        let path = format!("$.vehicles[{i}]");
        c.id(&child(&path, "id"), &v.id, &mut seen, "vehicle");
        c.text(&child(&path, "name"), &v.name);
        c.text(&child(&path, "description"), &v.description);
        c.source(&child(&path, "source"), &v.source);
        if let Some(req) = &v.requires {
            cond::check(req, &child(&path, "requires"), &pscope, c.report);
        }
    }
    let mut seen = BTreeSet::new();
    for (i, k) in r.kinds.iter().enumerate() {
        let path = format!("$.kinds[{i}]");
        c.id(&child(&path, "id"), &k.id, &mut seen, "kind");
        c.text(&child(&path, "name"), &k.name);
        c.text(&child(&path, "description"), &k.description);
    }
    if r.products.is_empty() {
        c.report
            .error("$.products", "no product; customers have nothing to choose");
    }
    let mut seen = BTreeSet::new();
    for (i, p) in r.products.iter().enumerate() {
        let path = format!("$.products[{i}]");
        c.id(&child(&path, "id"), &p.id, &mut seen, "product");
        c.text(&child(&path, "name"), &p.name);
        if p.origin == Origin::ThirdParty && p.publisher.is_none() {
            c.report.error(
                child(&path, "publisher"),
                "a third-party product needs its publisher's support contact; add publisher",
            );
        }
        if p.kinds.is_empty() {
            c.report.error(
                child(&path, "kinds"),
                "no kind of problem offered; add at least one",
            );
        }
        let mut kseen = BTreeSet::new();
        for (j, pk) in p.kinds.iter().enumerate() {
            let kpath = format!("{path}.kinds[{j}]");
            if r.kind(&pk.kind).is_none() {
                c.report.error(
                    child(&kpath, "kind"),
                    format!(
                        "no kind \"{}\" in $.kinds; add it there or fix the id",
                        pk.kind
                    ),
                );
            }
            if !kseen.insert(pk.kind.clone()) {
                c.report.error(
                    child(&kpath, "kind"),
                    format!("kind \"{}\" is offered twice for this product", pk.kind),
                );
            }
            if r.node(&pk.start).is_none() {
                c.report.error(
                    child(&kpath, "start"),
                    format!("no node \"{}\" in $.nodes; add it or fix the id", pk.start),
                );
            }
        }
    }
}

fn validate_graph(c: &mut Ctx<'_>) {
    let r = c.r;
    let mut seen = BTreeSet::new();
    let index: BTreeMap<&str, usize> = r
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id(), i))
        .rev()
        .collect();
    let dangling = |c: &mut Ctx<'_>, path: String, target: &Option<String>, what: &str| match target
    {
        None => c.report.error(
            path,
            format!("{what} without a target: this is a dead end; set the next node"),
        ),
        Some(t) if !index.contains_key(t.as_str()) => c.report.error(
            path,
            format!("no node \"{t}\" in $.nodes (dangling reference); add it or fix the id"),
        ),
        _ => {}
    };
    for (i, n) in r.nodes.iter().enumerate() {
        let path = format!("$.nodes[{i}]");
        c.id(&child(&path, "id"), n.id(), &mut seen, "node");
        match n {
            Node::Question(q) => {
                c.text(&child(&path, "text"), &q.text);
                if let Some(h) = &q.help {
                    c.text(&child(&path, "help"), h);
                }
                if q.answers.is_empty() {
                    c.report.error(
                        child(&path, "answers"),
                        "a question without answers is a dead end; add answers",
                    );
                }
                let mut aseen = BTreeSet::new();
                for (j, a) in q.answers.iter().enumerate() {
                    let apath = format!("{path}.answers[{j}]");
                    c.id(&child(&apath, "id"), &a.id, &mut aseen, "answer");
                    c.text(&child(&apath, "label"), &a.label);
                    dangling(c, child(&apath, "next"), &a.next, "answer");
                }
            }
            Node::Step(s) => {
                c.text(&child(&path, "title"), &s.title);
                c.text(&child(&path, "text"), &s.text);
                c.source(&child(&path, "source"), &s.source);
                if let Some(l) = &s.link {
                    c.text(&format!("{path}.link.label"), &l.label);
                    if !https_ok(&l.url) {
                        c.report.error(
                            format!("{path}.link.url"),
                            format!("\"{}\" is not an https link", l.url),
                        );
                    }
                }
                dangling(
                    c,
                    child(&path, "still_broken"),
                    &s.still_broken,
                    "self-help step",
                );
            }
            Node::Info(info) => {
                c.text(&child(&path, "title"), &info.title);
                c.text(&child(&path, "text"), &info.text);
                dangling(c, child(&path, "next"), &info.next, "information node");
            }
            Node::End(e) => c.text(&child(&path, "summary"), &e.summary),
        }
    }

    // Reachability from every product/kind start, and cycles (iterative DFS).
    let succ = |n: &Node| -> Vec<usize> {
        let targets: Vec<&Option<String>> = match n {
            Node::Question(q) => q.answers.iter().map(|a| &a.next).collect(),
            Node::Step(s) => vec![&s.still_broken],
            Node::Info(i) => vec![&i.next],
            Node::End(_) => vec![],
        };
        targets
            .into_iter()
            .flatten()
            .filter_map(|t| index.get(t.as_str()).copied())
            .collect()
    };
    let n = r.nodes.len();
    // 0 = unvisited, 1 = on the stack, 2 = done
    let mut state = vec![0u8; n];
    let mut cycle_reported = vec![false; n];
    for p in &r.products {
        for pk in &p.kinds {
            let Some(&start) = index.get(pk.start.as_str()) else {
                continue;
            };
            if state[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, Vec<usize>)> = vec![(start, succ(&r.nodes[start]))];
            state[start] = 1;
            while let Some((node, next)) = stack.last_mut() {
                let node = *node;
                match next.pop() {
                    Some(m) => match state[m] {
                        0 => {
                            state[m] = 1;
                            let s = succ(&r.nodes[m]);
                            stack.push((m, s));
                        }
                        1 if !cycle_reported[m] => {
                            cycle_reported[m] = true;
                            c.report.error(
                                format!("$.nodes[{m}]"),
                                format!(
                                    "cycle: \"{}\" can be reached again from \"{}\"; a diagnosis must always move forward",
                                    r.nodes[m].id(),
                                    r.nodes[node].id()
                                ),
                            );
                        }
                        _ => {}
                    },
                    None => {
                        state[node] = 2;
                        stack.pop();
                    }
                }
            }
        }
    }
    for (i, node) in r.nodes.iter().enumerate() {
        if state[i] == 0 && index.get(node.id()) == Some(&i) {
            c.report.warning(
                format!("$.nodes[{i}]"),
                format!(
                    "node \"{}\" is unreachable from every product's start; link it or remove it",
                    node.id()
                ),
            );
        }
    }
}

fn validate_rules(c: &mut Ctx<'_>) {
    let r = c.r;
    let scope = rule_scope(r);
    let mut seen = BTreeSet::new();
    if r.rules.is_empty() {
        c.report.error(
            "$.rules",
            "no rule; every diagnosis needs a rule to decide who handles it",
        );
    }
    let has_available = |kind: VehicleKind| {
        r.vehicles
            .iter()
            .any(|v| v.kind == kind && vehicle_available(v, &r.partner))
    };
    for (i, rule) in r.rules.iter().enumerate() {
        let path = format!("$.rules[{i}]");
        c.id(&child(&path, "id"), &rule.id, &mut seen, "rule");
        cond::check(&rule.when, &child(&path, "when"), &scope, c.report);
        c.text(&child(&path, "rationale"), &rule.rationale);
        c.source(&child(&path, "source"), &rule.source);
        let wanted = match rule.handler {
            Handler::VendorCommercial => Some(VehicleKind::Commercial),
            Handler::VendorTechnical => Some(VehicleKind::Technical),
            _ => None,
        };
        match (&rule.vehicle, wanted) {
            (Some(v), None) => c.report.error(
                child(&path, "vehicle"),
                format!("handler \"{}\" takes no vehicle; remove \"{v}\"", rule.handler.as_str()),
            ),
            (Some(v), Some(kind)) => match r.vehicle(v) {
                None => c.report.error(
                    child(&path, "vehicle"),
                    format!("no vehicle \"{v}\" in $.vehicles"),
                ),
                Some(veh) if veh.kind != kind => c.report.error(
                    child(&path, "vehicle"),
                    format!("vehicle \"{v}\" is not a {kind:?} vehicle, as handler \"{}\" needs", rule.handler.as_str()),
                ),
                Some(veh) if !vehicle_available(veh, &r.partner) => c.report.warning(
                    child(&path, "vehicle"),
                    format!("the profile does not have vehicle \"{v}\" (contract or prerequisites missing); the partner will handle these requests itself"),
                ),
                _ => {}
            },
            (None, Some(kind)) if !has_available(kind) => c.report.warning(
                child(&path, "handler"),
                format!("no {kind:?} vehicle is available to this profile; the partner will handle these requests itself"),
            ),
            _ => {}
        }
        for (j, s) in rule.severities.iter().enumerate() {
            if r.severity(s).is_none() {
                c.report.error(
                    format!("{path}.severities[{j}]"),
                    format!("no severity \"{s}\" in $.severities"),
                );
            }
        }
        if !rule.severities.is_empty() && !rule.handler.partner_works_on_it() {
            c.report.warning(
                child(&path, "severities"),
                format!(
                    "handler \"{}\" sends the customer elsewhere; severities are not used",
                    rule.handler.as_str()
                ),
            );
        }
    }
    if c.report.has_errors() {
        // Path checks need a sound graph and valid rules.
        return;
    }
    let paths = eval::outcome_paths(r, eval::PATH_LIMIT);
    if paths.truncated {
        c.report.warning(
            "$.nodes",
            format!(
                "more than {} diagnosis paths: only the first ones were checked for a matching rule",
                eval::PATH_LIMIT
            ),
        );
    }
    let mut used = vec![false; r.rules.len()];
    let mut reported = BTreeSet::new();
    for p in &paths.paths {
        match eval::first_matching_rule(r, &eval::path_facts(r, p)) {
            Some(i) => used[i] = true,
            None => {
                if reported.insert(p.end.clone()) {
                    let pi = r
                        .products
                        .iter()
                        .position(|x| x.id == p.product)
                        .unwrap_or(0);
                    c.report.error(
                        format!("$.products[{pi}]"),
                        format!(
                            "dead end: the path {} reaches \"{}\" but no rule matches it; add a rule (a last rule with \"when\": true catches everything)",
                            p.describe(),
                            p.end
                        ),
                    );
                }
            }
        }
    }
    if !paths.truncated {
        for (i, u) in used.iter().enumerate() {
            // A rule about the partner profile may hold for another profile
            // (scenarios override it), so only profile-free rules are flagged.
            if !u && !mentions_partner(&r.rules[i].when) {
                c.report.warning(
                    format!("$.rules[{i}]"),
                    format!(
                        "rule \"{}\" never decides any diagnosis path with this profile (an earlier rule always wins, or its condition never holds)",
                        r.rules[i].id
                    ),
                );
            }
        }
    }
}

fn mentions_partner(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, x)| {
            (k == "var" && x.as_str().is_some_and(|s| s.starts_with("partner.")))
                || mentions_partner(x)
        }),
        Value::Array(a) => a.iter().any(mentions_partner),
        _ => false,
    }
}
