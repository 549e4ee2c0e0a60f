//! The request form as plain data: its fields, their checks (with messages in
//! the customer's language), and the structured request built from it. No web
//! types: tested natively.

use chrono::{DateTime, NaiveDateTime, Utc};
use frontline_core::hours::{self, Deadline};
use frontline_core::request::{
    self as rq, ClientFacts, Consent, CustomerContact, DiagnosisStep, FirstResponse, Organisation,
    PreferredContact, PriceAcceptance, Problem, Request, RequestOutcome, SelfHelpTried,
};
use frontline_core::{price_for, Node, Outcome, PriceModel, Ruleset, Zone};
use serde::{Deserialize, Serialize};

use crate::i18n::{Key, Locale};
use crate::wizard::Journey;

/// What the customer typed. Kept in the journey, so a reload keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct RequestForm {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub prefer_phone: bool,
    pub company: String,
    pub tenant: String,
    pub subscription_id: String,
    pub severity: String,
    /// `YYYY-MM-DDTHH:MM` in the customer's time zone (an `<input type="datetime-local">`).
    pub started_at: String,
    pub title: String,
    pub description: String,
    pub business_impact: String,
    pub share_diagnostics: bool,
    pub continuous_work: bool,
    pub accept_price: bool,
}

/// A form field, for messages and DOM ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Field {
    Name,
    Email,
    Phone,
    Company,
    Tenant,
    SubscriptionId,
    Severity,
    StartedAt,
    Title,
    Description,
    BusinessImpact,
    ContinuousWork,
    AcceptPrice,
    PreferPhone,
    ShareDiagnostics,
}

impl Field {
    /// The element id of the field's input.
    pub fn id(self) -> &'static str {
        match self {
            Field::Name => "fl-name",
            Field::Email => "fl-email",
            Field::Phone => "fl-phone",
            Field::Company => "fl-company",
            Field::Tenant => "fl-tenant",
            Field::SubscriptionId => "fl-subscription",
            Field::Severity => "fl-severity",
            Field::StartedAt => "fl-started",
            Field::Title => "fl-title",
            Field::Description => "fl-description",
            Field::BusinessImpact => "fl-impact",
            Field::ContinuousWork => "fl-continuous",
            Field::AcceptPrice => "fl-accept-price",
            Field::PreferPhone => "fl-prefer-phone",
            Field::ShareDiagnostics => "fl-share-diagnostics",
        }
    }

    /// The most characters the field takes (the request model's limits, so
    /// a request built from a valid form always fits).
    pub fn max_chars(self) -> usize {
        match self {
            Field::Name => rq::MAX_NAME_CHARS,
            Field::Email => rq::MAX_EMAIL_CHARS,
            Field::Phone => rq::MAX_PHONE_CHARS,
            Field::Company => rq::MAX_COMPANY_CHARS,
            Field::Tenant => rq::MAX_TENANT_CHARS,
            Field::SubscriptionId => 36,
            Field::Title => rq::MAX_TITLE_CHARS,
            Field::Description => rq::MAX_DESCRIPTION_CHARS,
            Field::BusinessImpact => rq::MAX_BUSINESS_IMPACT_CHARS,
            Field::StartedAt => 16,
            Field::Severity
            | Field::ContinuousWork
            | Field::AcceptPrice
            | Field::PreferPhone
            | Field::ShareDiagnostics => 0,
        }
    }
}

/// Stricter than the request model's own check (at least 6 digits, no `/`),
/// so the form never lets through what the model would refuse. E-mail
/// addresses and tenant domains use the model's checks themselves.
fn is_phone(s: &str) -> bool {
    s.chars().filter(char::is_ascii_digit).count() >= 6
        && s.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

/// `YYYY-MM-DDTHH:MM`, accepting exactly what chrono's
/// `NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")` accepts (a test
/// compares them), without chrono's format-string parser, which costs about
/// 15 KB of WebAssembly.
fn parse_local(s: &str) -> Option<NaiveDateTime> {
    /// Up to `max` ASCII digits (at least one) at the start of `s`.
    fn digits(s: &str, max: usize) -> Option<(i64, &str)> {
        let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
        let value = s.as_bytes()[..n].iter().try_fold(0i64, |v, b| {
            v.checked_mul(10)?.checked_add(i64::from(b - b'0'))
        })?;
        (n > 0).then_some((value, &s[n..]))
    }
    /// `literal`, then a field of one or two digits (chrono skips white space
    /// before a number).
    fn field(s: &str, literal: char) -> Option<(u32, &str)> {
        let (v, rest) = digits(s.strip_prefix(literal)?.trim_start(), 2)?;
        Some((u32::try_from(v).ok()?, rest))
    }
    let s = s.trim_start();
    let (year, s) = if let Some(rest) = s.strip_prefix('-') {
        let (v, rest) = digits(rest, usize::MAX)?;
        (v.checked_neg()?, rest)
    } else if let Some(rest) = s.strip_prefix('+') {
        digits(rest, usize::MAX)?
    } else {
        digits(s, 4)?
    };
    let (month, s) = field(s, '-')?;
    let (day, s) = field(s, '-')?;
    let (hour, s) = field(s, 'T')?;
    let (minute, s) = field(s, ':')?;
    if !s.is_empty() {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?
        .and_hms_opt(hour, minute, 0)
}

/// Whether the severity gets 24x7 handling, which asks the customer to be
/// reachable by phone and to commit to continuous work.
pub fn round_the_clock(rules: &Ruleset, severity: &str) -> bool {
    rules.hours.round_the_clock.iter().any(|s| s == severity)
}

/// Whether choosing `severity` costs something the customer must accept.
pub fn charged(rules: &Ruleset, kind: &str, severity: &str) -> bool {
    price_for(rules, kind, severity).is_some_and(|p| p.item.model != PriceModel::Included)
}

/// Every problem with the form, as (field, message in the customer's language).
pub fn problems(
    form: &RequestForm,
    outcome: &Outcome,
    rules: &Ruleset,
    l: Locale,
) -> Vec<(Field, String)> {
    let mut out = Vec::new();
    let mut text = |field: Field, value: &str, required: bool| {
        let value = value.trim();
        if required && value.is_empty() {
            out.push((field, l.t(Key::FieldRequired).to_owned()));
        } else if value.chars().count() > field.max_chars() {
            let max = field.max_chars().to_string();
            out.push((field, l.format(Key::FieldTooLong, &[("max", &max)])));
        }
    };
    let severity = form.severity.as_str();
    let needs_phone = form.prefer_phone || round_the_clock(rules, severity);
    text(Field::Name, &form.name, true);
    text(Field::Email, &form.email, true);
    text(Field::Phone, &form.phone, needs_phone);
    text(Field::Company, &form.company, true);
    text(Field::Tenant, &form.tenant, false);
    text(Field::SubscriptionId, &form.subscription_id, false);
    text(Field::Title, &form.title, true);
    text(Field::Description, &form.description, true);
    text(Field::BusinessImpact, &form.business_impact, false);
    let mut format = |field: Field, ok: bool, key: Key| {
        if !ok && !out.iter().any(|(f, _)| *f == field) {
            out.push((field, l.t(key).to_owned()));
        }
    };
    let email = form.email.trim();
    format(
        Field::Email,
        email.is_empty() || frontline_core::request::is_email(email),
        Key::EmailInvalid,
    );
    let phone = form.phone.trim();
    format(
        Field::Phone,
        phone.is_empty() || is_phone(phone),
        Key::PhoneInvalid,
    );
    let tenant = form.tenant.trim();
    format(
        Field::Tenant,
        tenant.is_empty()
            || frontline_core::request::is_guid(tenant)
            || frontline_core::request::is_domain(tenant),
        Key::TenantInvalid,
    );
    let sub = form.subscription_id.trim();
    format(
        Field::SubscriptionId,
        sub.is_empty() || frontline_core::request::is_guid(sub),
        Key::GuidInvalid,
    );
    let started = form.started_at.trim();
    format(
        Field::StartedAt,
        started.is_empty() || parse_local(started).is_some(),
        Key::DateInvalid,
    );
    if !outcome.severities.iter().any(|s| s == severity) {
        out.push((Field::Severity, l.t(Key::SeverityRequired).to_owned()));
    } else {
        if round_the_clock(rules, severity) && !form.continuous_work {
            out.push((
                Field::ContinuousWork,
                l.t(Key::ContinuousWorkRequired).to_owned(),
            ));
        }
        if charged(rules, &outcome.kind, severity) && !form.accept_price {
            out.push((Field::AcceptPrice, l.t(Key::AcceptPriceRequired).to_owned()));
        }
    }
    out
}

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// What the browser knows about the moment of sending.
pub struct Context<'a> {
    /// The client-generated request id (a UUID).
    pub id: String,
    /// Now.
    pub now: DateTime<Utc>,
    /// The customer's time zone.
    pub zone: &'a Zone,
    /// The UI language.
    pub locale: Locale,
    /// The browser's user agent.
    pub user_agent: String,
}

/// The first-response deadline for the chosen severity, if the partner takes it.
pub fn deadline(
    rules: &Ruleset,
    outcome: &Outcome,
    severity: &str,
    now: DateTime<Utc>,
    zone: &Zone,
) -> Option<Deadline> {
    if !outcome.handler.partner_works_on_it() {
        return None;
    }
    hours::first_response(rules, outcome.handler, severity, now, zone).ok()
}

/// The structured request for a checked form.
pub fn build(
    journey: &Journey,
    form: &RequestForm,
    outcome: &Outcome,
    rules: &Ruleset,
    cx: &Context,
) -> Request {
    let tag = cx.locale.tag();
    let fallback = rules.default_language.as_str();
    let label = |t: &frontline_core::Text| cut(t.get(tag, fallback), rq::MAX_LABEL_CHARS);
    let t = &journey.transcript;
    let diagnosis = t
        .answers
        .iter()
        .zip(
            journey
                .answered_at
                .iter()
                .chain(std::iter::repeat(&String::new())),
        )
        .take(rq::MAX_STEPS)
        .map(|(a, at)| {
            let (question, answer_label) = match rules.node(&a.node) {
                Some(Node::Question(q)) => (
                    label(&q.text),
                    q.answers
                        .iter()
                        .find(|x| x.id == a.answer)
                        .map(|x| label(&x.label))
                        .unwrap_or_default(),
                ),
                Some(Node::Step(s)) => (label(&s.title), a.answer.clone()),
                Some(Node::Info(i)) => (label(&i.title), a.answer.clone()),
                _ => (a.node.clone(), a.answer.clone()),
            };
            DiagnosisStep {
                node: a.node.clone(),
                answer: a.answer.clone(),
                at: if at.is_empty() {
                    rq::format_rfc3339(cx.now)
                } else {
                    at.clone()
                },
                question,
                answer_label,
            }
        })
        .collect();
    let self_help_tried = t
        .answers
        .iter()
        .filter_map(|a| match rules.node(&a.node) {
            Some(Node::Step(s)) => Some(SelfHelpTried {
                step: s.id.clone(),
                title: label(&s.title),
            }),
            _ => None,
        })
        .take(rq::MAX_SELF_HELP)
        .collect();
    let severity = form.severity.trim();
    let price = price_for(rules, &outcome.kind, severity).map(|p| PriceAcceptance {
        item: p.item.id.clone(),
        model: p.item.model,
        amount_minor: p.item.amount_minor,
        currency: p.currency.map(str::to_owned),
        amount: p
            .item
            .amount_minor
            .zip(p.currency)
            .and_then(|(a, c)| frontline_core::money::amount(a, c)),
        accepted: form.accept_price || p.item.model == PriceModel::Included,
    });
    let started_at =
        parse_local(form.started_at.trim()).map(|local| rq::format_utc(cx.zone.from_local(local)));
    Request {
        schema: rq::REQUEST_SCHEMA.to_owned(),
        id: cx.id.clone(),
        created_at: rq::format_utc_millis(cx.now),
        locale: tag.to_owned(),
        contact: CustomerContact {
            name: form.name.trim().to_owned(),
            email: form.email.trim().to_owned(),
            phone: some(&form.phone),
            preferred: if form.prefer_phone {
                PreferredContact::Phone
            } else {
                PreferredContact::Email
            },
        },
        organisation: Organisation {
            company: form.company.trim().to_owned(),
            tenant: some(&form.tenant),
            subscription_id: some(&form.subscription_id),
        },
        problem: Problem {
            product: outcome.product.clone(),
            kind: outcome.kind.clone(),
            severity: some(severity),
            title: form.title.trim().to_owned(),
            description: form.description.trim().to_owned(),
            business_impact: form.business_impact.trim().to_owned(),
            started_at,
        },
        diagnosis,
        self_help_tried,
        outcome: RequestOutcome::from(outcome),
        first_response: deadline(rules, outcome, severity, cx.now, cx.zone)
            .as_ref()
            .map(FirstResponse::from),
        price,
        consent: Consent {
            share_diagnostics: form.share_diagnostics,
            continuous_work: form.continuous_work,
        },
        client: ClientFacts {
            time_zone: cut(cx.zone.name(), rq::MAX_TIME_ZONE_CHARS),
            user_agent: cut(&cx.user_agent, rq::MAX_USER_AGENT_CHARS),
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parse_local_accepts_what_chrono_accepts() {
        for s in [
            "2026-11-23T09:30",
            "2026-1-5T9:05",
            " 2026-11-23T 09:30",
            "2026-11-23T09:30:00",
            "2026-11-23 09:30",
            "2026-02-29T10:00",
            "2028-02-29T10:00",
            "2026-13-01T10:00",
            "2026-12-32T10:00",
            "2026-12-01T24:00",
            "2026-12-01T23:60",
            "+12026-12-01T10:00",
            "-0044-03-15T12:00",
            "- 44-03-15T12:00",
            "20261-12-01T10:00",
            "99999999999999999999-01-01T00:00",
            "2026-11-23T09:3",
            "2026-11-23T",
            "2026-11-23t09:30",
            "２０２６-11-23T09:30",
            "",
            " ",
        ] {
            assert_eq!(
                super::parse_local(s),
                super::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").ok(),
                "{s:?}"
            );
        }
    }

    use super::*;
    use frontline_core::{evaluate, Step, Transcript};

    fn setup() -> (Ruleset, Box<Outcome>) {
        let rules = frontline_core::load(include_str!("../public/rules/default.json")).unwrap();
        let t = Transcript::new("m365", "technical").answer("m365-health", "incident");
        let Ok(Step::Outcome(o)) = evaluate(&rules, &t) else {
            panic!("expected an outcome")
        };
        (rules, o)
    }

    /// Microsoft 365, technical, an incident: the partner writes the request.
    fn incident_journey() -> Journey {
        let mut journey = Journey::default();
        journey.start();
        journey.choose_product("m365");
        journey.choose_kind("technical");
        journey.answer("m365-health", "incident", "2026-11-23T10:00:00+00:00");
        journey
    }

    /// Sending at 2026-11-23T10:05Z from `zone`.
    fn context_in(zone: &Zone) -> Context<'_> {
        Context {
            id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            now: "2026-11-23T10:05:00Z".parse().unwrap(),
            zone,
            locale: Locale::SOURCE,
            user_agent: "test".into(),
        }
    }

    fn filled() -> RequestForm {
        RequestForm {
            name: "Ada".into(),
            email: "ada@contoso.example".into(),
            company: "Contoso".into(),
            severity: "B".into(),
            title: "Mail is down".into(),
            description: "Nothing arrives".into(),
            // B on a technical case is in the (charged) care plan.
            accept_price: true,
            ..RequestForm::default()
        }
    }

    fn fields(p: &[(Field, String)]) -> Vec<Field> {
        p.iter().map(|(f, _)| *f).collect()
    }

    #[test]
    fn a_complete_form_has_no_problem_and_an_empty_one_names_each_required_field() {
        let (rules, o) = setup();
        assert_eq!(problems(&filled(), &o, &rules, Locale::SOURCE), vec![]);
        let empty = fields(&problems(
            &RequestForm::default(),
            &o,
            &rules,
            Locale::SOURCE,
        ));
        for f in [
            Field::Name,
            Field::Email,
            Field::Company,
            Field::Title,
            Field::Description,
            Field::Severity,
        ] {
            assert!(empty.contains(&f), "{f:?} missing from {empty:?}");
        }
    }

    #[test]
    fn formats_are_checked_with_specific_messages() {
        let (rules, o) = setup();
        let form = RequestForm {
            email: "ada at contoso".into(),
            subscription_id: "1234".into(),
            tenant: "not a domain".into(),
            phone: "call me".into(),
            ..filled()
        };
        let p = problems(&form, &o, &rules, Locale::SOURCE);
        assert_eq!(
            fields(&p),
            [
                Field::Email,
                Field::Phone,
                Field::Tenant,
                Field::SubscriptionId
            ]
        );
        assert!(p[3].1.contains("0f8fad5b-d9cb-469f-a165-70867728950e"));
        let ok = RequestForm {
            subscription_id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            tenant: "contoso.onmicrosoft.com".into(),
            ..filled()
        };
        assert_eq!(problems(&ok, &o, &rules, Locale::SOURCE), vec![]);
    }

    #[test]
    fn critical_severity_needs_a_phone_continuous_work_and_the_price_accepted() {
        let (rules, o) = setup();
        let form = RequestForm {
            severity: "A".into(),
            accept_price: false,
            ..filled()
        };
        let p = fields(&problems(&form, &o, &rules, Locale::SOURCE));
        assert_eq!(p, [Field::Phone, Field::ContinuousWork, Field::AcceptPrice]);
        let form = RequestForm {
            phone: "+33 1 23 45 67 89".into(),
            continuous_work: true,
            accept_price: true,
            ..form
        };
        assert_eq!(problems(&form, &o, &rules, Locale::SOURCE), vec![]);
    }

    #[test]
    fn lengths_are_bounded_by_the_request_model() {
        let (rules, o) = setup();
        let form = RequestForm {
            title: "x".repeat(rq::MAX_TITLE_CHARS + 1),
            ..filled()
        };
        let p = problems(&form, &o, &rules, Locale::from_tag("fr").unwrap());
        assert_eq!(
            p,
            vec![(
                Field::Title,
                format!("Veuillez rester sous {} caractères.", rq::MAX_TITLE_CHARS)
            )]
        );
    }

    /// Whatever contact details the form lets through, the request model
    /// accepts: the review never reports a problem the form should have.
    #[test]
    fn what_the_form_accepts_the_request_model_accepts() {
        let (rules, o) = setup();
        let journey = incident_journey();
        let zone = Zone::named("Europe/Paris").unwrap();
        let cx = context_in(&zone);
        let emails = [
            "ada@contoso.example",
            "a(b@x.example",
            "a@b..example",
            "\"a\"@x.example",
            "a;b@x.example",
        ];
        let tenants = [
            "contoso.onmicrosoft.com",
            "-x.example",
            "x-.example",
            &format!("{}.example", "a".repeat(64)),
        ];
        let phones = ["+33 1 23 45 67 89", "(555) 123-4567", "12/34 56 78", "1234"];
        let mut refused = 0;
        let all = emails.iter().flat_map(|e| {
            tenants
                .iter()
                .flat_map(|t| phones.iter().map(|p| (*e, *t, *p)))
                .collect::<Vec<_>>()
        });
        for (email, tenant, phone) in all {
            let form = RequestForm {
                email: email.into(),
                tenant: tenant.into(),
                phone: phone.into(),
                ..filled()
            };
            if problems(&form, &o, &rules, Locale::SOURCE).is_empty() {
                let request = build(&journey, &form, &o, &rules, &cx);
                assert_eq!(request.validate(), vec![], "{email} {tenant} {phone}");
            } else {
                refused += 1;
            }
        }
        // The form refused something (the check above is not vacuous) and
        // let the plain good details through.
        assert!(refused > 0);
        let good = RequestForm {
            email: emails[0].into(),
            tenant: tenants[0].into(),
            phone: phones[0].into(),
            ..filled()
        };
        assert_eq!(problems(&good, &o, &rules, Locale::SOURCE), vec![]);
    }

    #[test]
    fn the_built_request_validates_and_verifies_against_the_ruleset() {
        let (rules, o) = setup();
        let journey = incident_journey();
        let form = RequestForm {
            started_at: "2026-11-23T09:30".into(),
            ..filled()
        };
        let zone = Zone::named("Europe/Paris").unwrap();
        let cx = context_in(&zone);
        let request = build(&journey, &form, &o, &rules, &cx);
        assert_eq!(request.validate(), vec![]);
        assert!(request.verify(&rules).matches);
        assert_eq!(
            request.problem.started_at.as_deref(),
            Some("2026-11-23T08:30:00Z"),
            "local Paris time to UTC"
        );
        assert_eq!(request.diagnosis[0].at, "2026-11-23T10:00:00+00:00");
        assert_eq!(
            request.first_response.as_ref().map(|f| f.severity.as_str()),
            Some("B")
        );
    }
}
