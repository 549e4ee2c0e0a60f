//! Reading the typed ruleset out of a `serde_json::Value`, by hand.
//!
//! Why not `#[derive(Deserialize)]`: serde stops at the first problem and
//! gives no path, and path-tracking wrappers (`serde_path_to_error`,
//! `serde_ignored`) cost about 90 KB of WebAssembly for a model this size.
//! This reader reports *every* unknown field, missing field and wrong type
//! with its exact JSON path, in a few kilobytes. The serde derives on the
//! model stay for the CLI, the JSON Schema and tests; a test checks that both
//! readers agree on the default ruleset.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::adapters::{FormField, RequestField, ZendeskField};
use crate::cond::child;
use crate::report::Report;
use crate::ruleset::*;

/// Collects problems while reading.
pub(crate) struct Reader<'r> {
    pub(crate) report: &'r mut Report,
}

type Field<'v> = Option<&'v Value>;

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) if s.chars().count() > 40 => "a string".into(),
        Value::String(s) => format!("a string (\"{s}\")"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

impl Reader<'_> {
    fn wrong(&mut self, path: &str, expected: &str, got: &Value) {
        self.report.error(
            path,
            format!("expected {expected}, found {}", describe(got)),
        );
    }

    fn missing(&mut self, path: &str) {
        let name = path.rsplit(['.', '[']).next().unwrap_or(path);
        self.report.error(
            path,
            format!("missing field \"{}\"; add it", name.trim_end_matches(']')),
        );
    }

    fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        known: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(map) = v else {
            self.wrong(path, "an object", v);
            return None;
        };
        for k in map.keys() {
            if !known.contains(&k.as_str()) {
                self.report.error(
                    child(path, k),
                    format!(
                        "unknown field \"{k}\"; expected one of: {} (check the spelling)",
                        known.join(", ")
                    ),
                );
            }
        }
        Some(map)
    }
}

macro_rules! record {
    ($rd:ident, $v:expr, $path:expr, [$($extra:literal),*], $ty:ident { $($field:ident : $read:expr),* $(,)? } $(; $fill:ident = $val:expr)?) => {{
        let path: &str = $path;
        let map = $rd.object($v, path, &[$($extra,)* $(stringify!($field)),*])?;
        $( let $field = $read(&mut *$rd, map.get(stringify!($field)), &child(path, stringify!($field))); )*
        Some($ty { $($field: $field?,)* $($fill: $val)? })
    }};
}

// ---------------------------------------------------------------- fields

fn s(rd: &mut Reader, v: Field, path: &str) -> Option<String> {
    match v {
        None => {
            rd.missing(path);
            None
        }
        Some(Value::String(x)) => Some(x.clone()),
        Some(other) => {
            rd.wrong(path, "a string", other);
            None
        }
    }
}

fn os(rd: &mut Reader, v: Field, path: &str) -> Option<Option<String>> {
    match v {
        None | Some(Value::Null) => Some(None),
        some => s(rd, some, path).map(Some),
    }
}

fn text_el(rd: &mut Reader, v: &Value, path: &str) -> Option<Text> {
    let Value::Object(map) = v else {
        rd.wrong(
            path,
            "a text: an object of language → string, like {\"en\": \"…\"}",
            v,
        );
        return None;
    };
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (lang, t) in map {
        match t {
            Value::String(x) => {
                out.insert(lang.clone(), x.clone());
            }
            other => {
                rd.wrong(&child(path, lang), "a string", other);
                ok = false;
            }
        }
    }
    ok.then_some(Text(out))
}

fn t(rd: &mut Reader, v: Field, path: &str) -> Option<Text> {
    match v {
        None => {
            rd.missing(path);
            None
        }
        Some(v) => text_el(rd, v, path),
    }
}

fn ot(rd: &mut Reader, v: Field, path: &str) -> Option<Option<Text>> {
    match v {
        None | Some(Value::Null) => Some(None),
        Some(v) => text_el(rd, v, path).map(Some),
    }
}

fn b(rd: &mut Reader, v: Field, path: &str) -> Option<bool> {
    match v {
        None | Some(Value::Null) => Some(false),
        Some(Value::Bool(x)) => Some(*x),
        Some(other) => {
            rd.wrong(path, "true or false", other);
            None
        }
    }
}

fn u32r(rd: &mut Reader, v: Field, path: &str) -> Option<u32> {
    match v {
        None => {
            rd.missing(path);
            None
        }
        Some(Value::Number(n)) if n.as_u64().is_some_and(|x| x <= u64::from(u32::MAX)) => {
            n.as_u64().map(|x| x as u32)
        }
        Some(other) => {
            rd.wrong(path, "a whole number ≥ 0", other);
            None
        }
    }
}

fn u64r(rd: &mut Reader, v: Field, path: &str) -> Option<u64> {
    match v {
        None => {
            rd.missing(path);
            None
        }
        Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
        Some(other) => {
            rd.wrong(path, "a whole number ≥ 0", other);
            None
        }
    }
}

fn ou64(rd: &mut Reader, v: Field, path: &str) -> Option<Option<u64>> {
    match v {
        None | Some(Value::Null) => Some(None),
        Some(Value::Number(n)) if n.as_u64().is_some() => Some(n.as_u64()),
        Some(other) => {
            rd.wrong(path, "a whole number ≥ 0", other);
            None
        }
    }
}

fn any(rd: &mut Reader, v: Field, path: &str) -> Option<Value> {
    match v {
        None => {
            rd.missing(path);
            None
        }
        Some(v) => Some(v.clone()),
    }
}

fn oany(_: &mut Reader, v: Field, _: &str) -> Option<Option<Value>> {
    Some(v.filter(|v| !v.is_null()).cloned())
}

fn seq<T>(
    rd: &mut Reader,
    v: Field,
    path: &str,
    required: bool,
    el: impl Fn(&mut Reader, &Value, &str) -> Option<T>,
) -> Option<Vec<T>> {
    let items = match v {
        None if required => {
            rd.missing(path);
            return None;
        }
        None | Some(Value::Null) if !required => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            rd.wrong(path, "an array", other);
            return None;
        }
        None => return None,
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match el(rd, item, &indexed(path, i)) {
            Some(x) => out.push(x),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `path[i]`, without core::fmt: the loader makes one per item it reads.
fn indexed(path: &str, i: usize) -> String {
    let mut digits = [0u8; 20];
    let (mut at, mut n) = (digits.len(), i);
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = std::str::from_utf8(&digits[at..]).unwrap_or_default();
    [path, "[", digits, "]"].concat()
}

fn str_el(rd: &mut Reader, v: &Value, path: &str) -> Option<String> {
    s(rd, Some(v), path)
}

fn strs(rd: &mut Reader, v: Field, path: &str) -> Option<Vec<String>> {
    seq(rd, v, path, true, str_el)
}

fn ostrs(rd: &mut Reader, v: Field, path: &str) -> Option<Vec<String>> {
    seq(rd, v, path, false, str_el)
}

fn list<T>(
    el: fn(&mut Reader, &Value, &str) -> Option<T>,
) -> impl Fn(&mut Reader, Field, &str) -> Option<Vec<T>> {
    move |rd, v, path| seq(rd, v, path, true, el)
}

fn olist<T>(
    el: fn(&mut Reader, &Value, &str) -> Option<T>,
) -> impl Fn(&mut Reader, Field, &str) -> Option<Vec<T>> {
    move |rd, v, path| seq(rd, v, path, false, el)
}

fn obj<T>(
    el: fn(&mut Reader, &Value, &str) -> Option<T>,
) -> impl Fn(&mut Reader, Field, &str) -> Option<T> {
    move |rd, v, path| match v {
        None => {
            rd.missing(path);
            None
        }
        Some(v) => el(rd, v, path),
    }
}

fn oobj<T>(
    el: fn(&mut Reader, &Value, &str) -> Option<T>,
) -> impl Fn(&mut Reader, Field, &str) -> Option<Option<T>> {
    move |rd, v, path| match v {
        None | Some(Value::Null) => Some(None),
        Some(v) => el(rd, v, path).map(Some),
    }
}

fn en_el<T: Copy>(rd: &mut Reader, v: &Value, path: &str, choices: &[(&str, T)]) -> Option<T> {
    let found = v
        .as_str()
        .and_then(|x| choices.iter().find(|(name, _)| *name == x));
    match found {
        Some((_, val)) => Some(*val),
        None => {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            rd.wrong(path, &format!("one of: {}", names.join(", ")), v);
            None
        }
    }
}

fn en<T: Copy>(
    choices: &'static [(&'static str, T)],
) -> impl Fn(&mut Reader, Field, &str) -> Option<T> {
    move |rd, v, path| match v {
        None => {
            rd.missing(path);
            None
        }
        Some(v) => en_el(rd, v, path, choices),
    }
}

/// A [`RequestField`] by its snake_case name (the table is
/// [`RequestField::ALL`], so a new field is readable at once).
fn request_field(rd: &mut Reader, v: Field, path: &str) -> Option<RequestField> {
    let Some(v) = v else {
        rd.missing(path);
        return None;
    };
    let found = v
        .as_str()
        .and_then(|x| RequestField::ALL.iter().find(|f| f.as_str() == x));
    match found {
        Some(f) => Some(*f),
        None => {
            let names: Vec<&str> = RequestField::ALL.iter().map(|f| f.as_str()).collect();
            rd.wrong(path, &format!("one of: {}", names.join(", ")), v);
            None
        }
    }
}

fn smap(rd: &mut Reader, v: Field, path: &str) -> Option<BTreeMap<String, String>> {
    match v {
        None | Some(Value::Null) => Some(BTreeMap::new()),
        Some(v) => text_el(rd, v, path).map(|t| t.0),
    }
}

const CSP: &[(&str, CspModel)] = &[
    ("direct_bill", CspModel::DirectBill),
    ("indirect_provider", CspModel::IndirectProvider),
    ("indirect_reseller", CspModel::IndirectReseller),
];
const LEVELS: &[(&str, CompetencyLevel)] = &[
    ("gold", CompetencyLevel::Gold),
    ("silver", CompetencyLevel::Silver),
];
const ADAPTERS: &[(&str, IntakeAdapter)] = &[
    ("json", IntakeAdapter::Json),
    ("zendesk", IntakeAdapter::Zendesk),
    ("form", IntakeAdapter::Form),
    ("email", IntakeAdapter::Email),
];
const CHANNELS: &[(&str, Channel)] = &[
    ("portal", Channel::Portal),
    ("email", Channel::Email),
    ("phone", Channel::Phone),
    ("chat", Channel::Chat),
];
const AVAILABILITY: &[(&str, Availability)] = &[
    ("service", Availability::Service),
    ("always", Availability::Always),
    ("own", Availability::Own),
];
const PRICE_MODELS: &[(&str, PriceModel)] = &[
    ("included", PriceModel::Included),
    ("per_incident", PriceModel::PerIncident),
    ("monthly", PriceModel::Monthly),
];
const VEHICLE_KINDS: &[(&str, VehicleKind)] = &[
    ("commercial", VehicleKind::Commercial),
    ("technical", VehicleKind::Technical),
];
const ORIGINS: &[(&str, Origin)] = &[
    ("vendor", Origin::Vendor),
    ("third_party", Origin::ThirdParty),
    ("partner", Origin::Partner),
];
const HANDLERS: &[(&str, Handler)] = &[
    ("partner", Handler::Partner),
    ("vendor_commercial", Handler::VendorCommercial),
    ("vendor_technical", Handler::VendorTechnical),
    ("publisher", Handler::Publisher),
    ("indirect_provider", Handler::IndirectProvider),
    ("out_of_scope", Handler::OutOfScope),
];

fn handlers(rd: &mut Reader, v: Field, path: &str) -> Option<Vec<Handler>> {
    seq(rd, v, path, false, |rd, v, p| en_el(rd, v, p, HANDLERS))
}

// ---------------------------------------------------------------- records

/// Reads a whole ruleset; `None` when some part could not be read (every
/// problem is in the report).
pub(crate) fn ruleset(rd: &mut Reader, v: &Value) -> Option<Ruleset> {
    read_ruleset::<true>(rd, v)
}

/// Reads a ruleset but its lists of severities, vehicles, kinds, products,
/// nodes and rules, which are left empty (see `load::read_front`).
pub(crate) fn front(rd: &mut Reader, v: &Value) -> Option<Ruleset> {
    read_ruleset::<false>(rd, v)
}

/// The lists a ruleset's front leaves empty ([`later`] in
/// `read_ruleset`): its parser steps over them (`json::parse_skipping`),
/// and the front's reader does not refer to their readers (`severity` …
/// `rule`), so that a page reading only the front does not load them: in
/// the portal they sit in a part of their own, fetched once the first
/// screen is shown.
pub(crate) const LATER: &[&str] = &[
    "severities",
    "vehicles",
    "kinds",
    "products",
    "nodes",
    "rules",
];

/// A list read only for the `WHOLE` ruleset; left empty for its front.
fn later<const WHOLE: bool, T>(
    el: fn(&mut Reader, &Value, &str) -> Option<T>,
) -> impl Fn(&mut Reader, Field, &str) -> Option<Vec<T>> {
    move |rd, v, path| {
        if WHOLE {
            seq(rd, v, path, true, el)
        } else {
            Some(Vec::new())
        }
    }
}

/// One reader for both, made twice: the front's copy (in the portal's
/// first module) has no call to the later lists' readers.
fn read_ruleset<const WHOLE: bool>(rd: &mut Reader, v: &Value) -> Option<Ruleset> {
    let challenge_url = match v.get("intake") {
        Some(intake) if WHOLE && intake.is_object() => {
            os(rd, intake.get("challenge_url"), "$.intake.challenge_url")
        }
        _ => Some(None),
    };
    let mut ruleset = record!(rd, v, "$", [], Ruleset {
        schema: s,
        id: s,
        version: s,
        default_language: s,
        languages: strs,
        partner: obj(partner),
        fallback_contact: obj(fallback),
        intake: obj(intake),
        hours: obj(hours),
        contact_methods: list(contact_method),
        pricing: obj(pricing),
        severities: later::<WHOLE, _>(severity),
        vehicles: later::<WHOLE, _>(vehicle),
        kinds: later::<WHOLE, _>(kind),
        products: later::<WHOLE, _>(product),
        nodes: later::<WHOLE, _>(node),
        rules: later::<WHOLE, _>(rule),
        theme: oobj(theme),
    }; content = Default::default())?;
    ruleset.intake.challenge_url = challenge_url?;
    Some(ruleset)
}

/// Reads a partner profile (also used for scenario overrides).
pub(crate) fn partner(rd: &mut Reader, v: &Value, path: &str) -> Option<Partner> {
    record!(
        rd,
        v,
        path,
        [],
        Partner {
            name: s,
            csp_model: en(CSP),
            indirect_provider: oobj(contact),
            competencies: olist(competency),
            contracts: ostrs,
            support_provided: list(text_el),
            downgrade_notice: ot,
        }
    )
}

fn competency(rd: &mut Reader, v: &Value, path: &str) -> Option<Competency> {
    record!(
        rd,
        v,
        path,
        [],
        Competency {
            id: s,
            name: s,
            level: en(LEVELS)
        }
    )
}

fn contact(rd: &mut Reader, v: &Value, path: &str) -> Option<Contact> {
    record!(
        rd,
        v,
        path,
        [],
        Contact {
            name: s,
            url: os,
            email: os,
            phone: os
        }
    )
}

fn theme(rd: &mut Reader, v: &Value, path: &str) -> Option<Theme> {
    record!(
        rd,
        v,
        path,
        [],
        Theme {
            brand: os,
            brand_contrast: os,
            radius: os,
            font: os
        }
    )
}

pub(crate) fn fallback(rd: &mut Reader, v: &Value, path: &str) -> Option<FallbackContact> {
    record!(
        rd,
        v,
        path,
        [],
        FallbackContact {
            name: s,
            email: s,
            phone: os,
            url: os
        }
    )
}

/// The intake, but its `challenge_url`, which only [`read_ruleset`]'s
/// `WHOLE` copy reads (the front's, in the portal's first module, only
/// knows its name): the courier that uses it starts after the rest is read.
fn intake(rd: &mut Reader, v: &Value, path: &str) -> Option<Intake> {
    record!(
        rd,
        v,
        path,
        ["challenge_url"],
        Intake {
            adapter: en(ADAPTERS),
            url: s,
            headers: smap,
            zendesk_fields: olist(zendesk_field),
            form_fields: olist(form_field),
            events_url: os,
        }; challenge_url = None
    )
}

fn zendesk_field(rd: &mut Reader, v: &Value, path: &str) -> Option<ZendeskField> {
    record!(
        rd,
        v,
        path,
        [],
        ZendeskField {
            id: u64r,
            field: request_field
        }
    )
}

fn form_field(rd: &mut Reader, v: &Value, path: &str) -> Option<FormField> {
    record!(
        rd,
        v,
        path,
        [],
        FormField {
            name: s,
            field: request_field
        }
    )
}

fn hours(rd: &mut Reader, v: &Value, path: &str) -> Option<ServiceHours> {
    record!(
        rd,
        v,
        path,
        [],
        ServiceHours {
            time_zone: s,
            weekly: obj(weekly),
            holidays: ostrs,
            round_the_clock: ostrs,
        }
    )
}

fn weekly(rd: &mut Reader, v: &Value, path: &str) -> Option<Weekly> {
    let days = olist(interval);
    record!(
        rd,
        v,
        path,
        [],
        Weekly {
            mon: days,
            tue: days,
            wed: days,
            thu: days,
            fri: days,
            sat: days,
            sun: days,
        }
    )
}

fn interval(rd: &mut Reader, v: &Value, path: &str) -> Option<Interval> {
    record!(rd, v, path, [], Interval { open: s, close: s })
}

fn contact_method(rd: &mut Reader, v: &Value, path: &str) -> Option<ContactMethod> {
    record!(
        rd,
        v,
        path,
        [],
        ContactMethod {
            id: s,
            channel: en(CHANNELS),
            label: t,
            address: s,
            availability: en(AVAILABILITY),
            weekly: oobj(weekly),
        }
    )
}

fn pricing(rd: &mut Reader, v: &Value, path: &str) -> Option<Pricing> {
    record!(
        rd,
        v,
        path,
        [],
        Pricing {
            currency: os,
            items: list(price_item)
        }
    )
}

fn price_item(rd: &mut Reader, v: &Value, path: &str) -> Option<PriceItem> {
    record!(
        rd,
        v,
        path,
        [],
        PriceItem {
            id: s,
            kinds: ostrs,
            severities: ostrs,
            model: en(PRICE_MODELS),
            amount_minor: ou64,
            currency: os,
            note: t,
        }
    )
}

fn severity(rd: &mut Reader, v: &Value, path: &str) -> Option<Severity> {
    record!(
        rd,
        v,
        path,
        [],
        Severity {
            id: s,
            name: t,
            definition: t,
            targets: list(target),
            source: s,
        }
    )
}

fn target(rd: &mut Reader, v: &Value, path: &str) -> Option<Target> {
    record!(
        rd,
        v,
        path,
        [],
        Target {
            handlers: handlers,
            minutes: u32r
        }
    )
}

fn vehicle(rd: &mut Reader, v: &Value, path: &str) -> Option<Vehicle> {
    record!(
        rd,
        v,
        path,
        [],
        Vehicle {
            id: s,
            kind: en(VEHICLE_KINDS),
            name: t,
            description: t,
            available_to_all: b,
            requires: oany,
            source: s,
        }
    )
}

fn kind(rd: &mut Reader, v: &Value, path: &str) -> Option<ProblemKind> {
    record!(
        rd,
        v,
        path,
        [],
        ProblemKind {
            id: s,
            name: t,
            description: t
        }
    )
}

fn product(rd: &mut Reader, v: &Value, path: &str) -> Option<Product> {
    record!(
        rd,
        v,
        path,
        [],
        Product {
            id: s,
            name: t,
            origin: en(ORIGINS),
            publisher: oobj(contact),
            kinds: list(product_kind),
        }
    )
}

fn product_kind(rd: &mut Reader, v: &Value, path: &str) -> Option<ProductKind> {
    record!(rd, v, path, [], ProductKind { kind: s, start: s })
}

fn node(rd: &mut Reader, v: &Value, path: &str) -> Option<Node> {
    let ty = v.get("type");
    match ty.and_then(Value::as_str) {
        Some("question") => record!(
            rd,
            v,
            path,
            ["type"],
            Question {
                id: s,
                text: t,
                help: ot,
                answers: list(answer),
                tags: ostrs,
            }
        )
        .map(Node::Question),
        Some("step") => record!(
            rd,
            v,
            path,
            ["type"],
            SelfHelp {
                id: s,
                title: t,
                text: t,
                link: oobj(link),
                still_broken: os,
                tags: ostrs,
                source: s,
            }
        )
        .map(Node::Step),
        Some("info") => record!(
            rd,
            v,
            path,
            ["type"],
            Info {
                id: s,
                title: t,
                text: t,
                next: os,
                tags: ostrs,
            }
        )
        .map(Node::Info),
        Some("end") => record!(
            rd,
            v,
            path,
            ["type"],
            End {
                id: s,
                summary: t,
                tags: ostrs
            }
        )
        .map(Node::End),
        _ => {
            let p = child(path, "type");
            match ty {
                None if v.is_object() => rd.missing(&p),
                None => rd.wrong(path, "an object", v),
                Some(other) => rd.wrong(&p, "one of: question, step, info, end", other),
            }
            None
        }
    }
}

fn answer(rd: &mut Reader, v: &Value, path: &str) -> Option<Answer> {
    record!(
        rd,
        v,
        path,
        [],
        Answer {
            id: s,
            label: t,
            next: os,
            tags: ostrs
        }
    )
}

fn link(rd: &mut Reader, v: &Value, path: &str) -> Option<Link> {
    record!(rd, v, path, [], Link { url: s, label: t })
}

fn rule(rd: &mut Reader, v: &Value, path: &str) -> Option<Rule> {
    record!(
        rd,
        v,
        path,
        [],
        Rule {
            id: s,
            when: any,
            handler: en(HANDLERS),
            vehicle: os,
            severities: ostrs,
            rationale: t,
            source: s,
        }
    )
}

#[cfg(test)]
mod tests {
    use super::indexed;

    #[test]
    fn indexed_paths_read_like_json_paths() {
        assert_eq!(indexed("$.nodes", 0), "$.nodes[0]");
        assert_eq!(indexed("$.nodes", 7), "$.nodes[7]");
        assert_eq!(indexed("$", 1234567), "$[1234567]");
        assert_eq!(indexed("$", usize::MAX), format!("$[{}]", usize::MAX));
    }
}
