//! The customer's journey through the wizard, as plain data.
//!
//! State flows one way: the journey holds only what the customer chose (the
//! transcript); the screen to show is computed from it by the rules core.
//! Going back is undoing the last choice. No web types: tested natively.

use frontline_core::funnel::{Event, EventType};
use frontline_core::{evaluate, EvalError, Outcome, Ruleset, Step, Transcript};
use serde::{Deserialize, Serialize};

use crate::request_form::RequestForm;

/// What the customer has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Journey {
    /// The customer left the welcome screen.
    pub started: bool,
    /// Product, kind of problem and answers, in order.
    pub transcript: Transcript,
    /// When each answer was given (RFC 3339), parallel to the answers.
    pub answered_at: Vec<String>,
    /// Where the customer is after the diagnosis.
    pub phase: Phase,
    /// The request form as typed so far.
    pub form: RequestForm,
    /// A product the host page preselected (`Frontline.prefill({product})`),
    /// chosen when the customer starts.
    pub preselected_product: Option<String>,
    /// What the customer keeps of a submitted request: its e-mail fallback,
    /// its text, and the reference once the intake acknowledged it.
    pub receipt: Option<Receipt>,
}

/// A submitted request, as the customer can still use it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// A `mailto:` link carrying the whole request (the last resort).
    pub mailto: String,
    /// The request as plain text (for "copy").
    pub text: String,
    /// The intake's reference, once sent.
    pub reference: Option<String>,
    /// Sent and acknowledged.
    pub sent: bool,
}

/// After the diagnosis: writing the request, reviewing it, and its delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Still diagnosing, or reading the outcome.
    #[default]
    Diagnosis,
    /// Filling in the request form.
    Form,
    /// Reviewing the request before sending.
    Review,
    /// The request was handed to the outbox under this id.
    Submitted {
        /// The request id.
        id: String,
    },
}

/// What the wizard shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    /// Who the partner is, what it supports, whether it is open.
    Welcome,
    /// The next step the rules ask for, or their decision.
    Step(Step),
    /// The request form for this outcome.
    Form(Box<Outcome>),
    /// The request, to review before sending.
    Review(Box<Outcome>),
    /// The request's delivery: sent, queued or failed.
    Delivery {
        /// The request id.
        id: String,
    },
    /// The journey does not fit the ruleset (it changed since it was saved).
    Broken(EvalError),
}

/// Where the customer is, for the progress indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// The welcome screen.
    Welcome,
    /// Choosing the product.
    Product,
    /// Choosing the kind of problem.
    Problem,
    /// Answering questions and trying self-help.
    Diagnosis,
    /// Reading who handles it (or that it is solved).
    Answer,
    /// Writing and reviewing the request.
    Request,
    /// The request is on its way.
    Sent,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 7] = [
        Stage::Welcome,
        Stage::Product,
        Stage::Problem,
        Stage::Diagnosis,
        Stage::Answer,
        Stage::Request,
        Stage::Sent,
    ];
}

impl Screen {
    /// The stage this screen belongs to.
    pub fn stage(&self) -> Stage {
        match self {
            Screen::Welcome => Stage::Welcome,
            Screen::Step(Step::ChooseProduct { .. }) => Stage::Product,
            Screen::Step(Step::ChooseKind { .. }) => Stage::Problem,
            Screen::Step(Step::Ask { .. }) | Screen::Broken(_) => Stage::Diagnosis,
            Screen::Step(Step::Resolved { .. } | Step::Outcome(_)) => Stage::Answer,
            Screen::Form(_) | Screen::Review(_) => Stage::Request,
            Screen::Delivery { .. } => Stage::Sent,
        }
    }
}

impl Screen {
    /// The funnel's view of this screen (`frontline.events/v1`, sent when
    /// the ruleset sets `intake.events_url`), for a journey whose product
    /// and kind are `t`'s: the event for arriving here (at the moments the
    /// host page gets its `frontline:*` events), and the `abandoned` event
    /// should the page be hidden here. Ids of the ruleset only, never what
    /// the customer typed.
    pub fn funnel(&self, t: &Transcript) -> (Option<Event>, Option<Event>) {
        let (product, kind) = (t.product.as_deref(), t.kind.as_deref());
        let step = |stage: &str| Event::new(EventType::Step).stage(stage);
        let left = |stage: &str| {
            Some(
                Event::new(EventType::Abandoned)
                    .stage(stage)
                    .problem(product, kind),
            )
        };
        match self {
            Screen::Step(Step::ChooseProduct { .. }) => (Some(step("product")), left("product")),
            Screen::Step(Step::ChooseKind { product, .. }) => (
                Some(step("problem").problem(Some(product), None)),
                left("problem"),
            ),
            Screen::Step(Step::Ask { node }) => (
                Some(step("diagnosis").problem(product, kind).node(node)),
                left("diagnosis"),
            ),
            Screen::Step(Step::Resolved { node }) => (
                Some(
                    Event::new(EventType::Resolved)
                        .problem(product, kind)
                        .node(node),
                ),
                None,
            ),
            Screen::Step(Step::Outcome(o)) => (
                Some(
                    Event::new(EventType::Escalated)
                        .problem(Some(&o.product), Some(&o.kind))
                        .handler(o.handler.as_str()),
                ),
                left("outcome"),
            ),
            Screen::Form(_) => (
                Some(step("request").problem(product, kind)),
                left("request"),
            ),
            Screen::Review(_) => (Some(step("review").problem(product, kind)), left("review")),
            Screen::Welcome | Screen::Delivery { .. } | Screen::Broken(_) => (None, None),
        }
    }
}

impl Journey {
    /// The screen for this journey under `rules`.
    pub fn screen(&self, rules: &Ruleset) -> Screen {
        if !self.started {
            return Screen::Welcome;
        }
        if let Phase::Submitted { id } = &self.phase {
            return Screen::Delivery { id: id.clone() };
        }
        match (evaluate(rules, &self.transcript), &self.phase) {
            (Ok(Step::Outcome(o)), Phase::Form) if o.handler.partner_works_on_it() => {
                Screen::Form(o)
            }
            (Ok(Step::Outcome(o)), Phase::Review) if o.handler.partner_works_on_it() => {
                Screen::Review(o)
            }
            (Ok(step), _) => Screen::Step(step),
            (Err(error), _) => Screen::Broken(error),
        }
    }

    /// Moves from the outcome to the request form.
    pub fn write_request(&mut self) {
        self.phase = Phase::Form;
    }

    /// Moves from a checked form to the review.
    pub fn review(&mut self) {
        self.phase = Phase::Review;
    }

    /// The request was handed to the outbox: the journey now shows its delivery.
    pub fn submitted(&mut self, id: &str, receipt: Receipt) {
        self.phase = Phase::Submitted { id: id.to_owned() };
        self.receipt = Some(receipt);
    }

    /// Shows the delivery of a request this journey did not send (a closed
    /// tab's, an earlier visit's), with what the customer kept of it.
    pub fn show_delivery(&mut self, id: &str, receipt: Receipt) {
        self.started = true;
        self.submitted(id, receipt);
    }

    /// Leaves the welcome screen (for the preselected product, if any).
    pub fn start(&mut self) {
        self.started = true;
        if let Some(product) = self.preselected_product.take() {
            self.choose_product(&product);
        }
    }

    /// Chooses the product, forgetting anything chosen after it.
    pub fn choose_product(&mut self, product: &str) {
        self.transcript = Transcript {
            product: Some(product.to_owned()),
            ..Transcript::default()
        };
        self.answered_at.clear();
        self.phase = Phase::Diagnosis;
    }

    /// Chooses the kind of problem, forgetting the answers given after it.
    pub fn choose_kind(&mut self, kind: &str) {
        self.transcript.kind = Some(kind.to_owned());
        self.transcript.answers.clear();
        self.transcript.severity = None;
        self.answered_at.clear();
        self.phase = Phase::Diagnosis;
    }

    /// Answers the node on screen, at `at` (RFC 3339).
    pub fn answer(&mut self, node: &str, answer: &str, at: &str) {
        self.transcript = std::mem::take(&mut self.transcript).answer(node, answer);
        self.answered_at.truncate(self.transcript.answers.len() - 1);
        self.answered_at.push(at.to_owned());
        self.phase = Phase::Diagnosis;
    }

    /// Undoes the last choice. Returns false on the welcome screen, where
    /// there is nothing to undo.
    pub fn back(&mut self) -> bool {
        match self.phase {
            Phase::Review => {
                self.phase = Phase::Form;
                return true;
            }
            Phase::Form => {
                self.phase = Phase::Diagnosis;
                return true;
            }
            // A submitted request is in the outbox: there is no un-sending it.
            Phase::Submitted { .. } => return false,
            Phase::Diagnosis => {}
        }
        self.answered_at
            .truncate(self.transcript.answers.len().saturating_sub(1));
        let t = &mut self.transcript;
        if t.severity.take().is_some() || t.answers.pop().is_some() || t.kind.take().is_some() {
            return true;
        }
        if t.product.take().is_some() {
            return true;
        }
        std::mem::replace(&mut self.started, false)
    }

    /// Starts over from the welcome screen.
    pub fn restart(&mut self) {
        *self = Journey::default();
    }
}

/// The journey as JSON, read and written by hand: the same text the serde
/// derives read and write (a test checks both ways), without their
/// monomorphized visitors, which cost about 25 KB of WebAssembly.
mod json {
    use frontline_core::eval::Answered;
    // Writes JSON objects field by field (here in the derives' field
    // order), with serde_json's string escaping.
    use frontline_core::json::Writer;
    use serde_json::{Map, Value};

    use super::{Journey, Phase, Receipt, RequestForm, Transcript};

    pub(super) fn write(j: &Journey) -> String {
        let mut w = Writer::new("{");
        w.flag("started", j.started);
        let t = &j.transcript;
        w.raw("transcript", "{");
        w.opt("product", &t.product);
        w.opt("kind", &t.kind);
        w.raw("answers", "[");
        for a in &t.answers {
            w.raw("", "{");
            w.text("node", &a.node);
            w.text("answer", &a.answer);
            w.0.push('}');
        }
        w.0.push(']');
        w.opt("severity", &t.severity);
        w.0.push('}');
        w.raw("answered_at", "[");
        for at in &j.answered_at {
            w.text("", at);
        }
        w.0.push(']');
        w.raw("phase", "{");
        match &j.phase {
            Phase::Diagnosis => w.text("phase", "diagnosis"),
            Phase::Form => w.text("phase", "form"),
            Phase::Review => w.text("phase", "review"),
            Phase::Submitted { id } => {
                w.text("phase", "submitted");
                w.text("id", id);
            }
        }
        w.0.push('}');
        let f = &j.form;
        w.raw("form", "{");
        for (key, value) in [("name", &f.name), ("email", &f.email), ("phone", &f.phone)] {
            w.text(key, value);
        }
        w.flag("prefer_phone", f.prefer_phone);
        for (key, value) in [
            ("company", &f.company),
            ("tenant", &f.tenant),
            ("subscription_id", &f.subscription_id),
            ("severity", &f.severity),
            ("started_at", &f.started_at),
            ("title", &f.title),
            ("description", &f.description),
            ("business_impact", &f.business_impact),
        ] {
            w.text(key, value);
        }
        w.flag("share_diagnostics", f.share_diagnostics);
        w.flag("continuous_work", f.continuous_work);
        w.flag("accept_price", f.accept_price);
        w.0.push('}');
        w.opt("preselected_product", &j.preselected_product);
        match &j.receipt {
            None => w.raw("receipt", "null"),
            Some(r) => {
                w.raw("receipt", "{");
                w.text("mailto", &r.mailto);
                w.text("text", &r.text);
                w.opt("reference", &r.reference);
                w.flag("sent", r.sent);
                w.0.push('}');
            }
        }
        w.0.push('}');
        w.0
    }

    /// `None` for a field of the wrong type (as serde refuses the whole text).
    type R<T> = Option<T>;

    fn map(v: &Value) -> R<&Map<String, Value>> {
        v.as_object()
    }

    /// A string field; `missing` when absent.
    fn string(m: &Map<String, Value>, k: &str, missing: R<String>) -> R<String> {
        match m.get(k) {
            None => missing,
            Some(v) => v.as_str().map(str::to_owned),
        }
    }

    fn boolean(m: &Map<String, Value>, k: &str) -> R<bool> {
        m.get(k).map_or(Some(false), Value::as_bool)
    }

    /// An `Option<String>` field: absent or null is `None`.
    fn optional(m: &Map<String, Value>, k: &str) -> R<Option<String>> {
        match m.get(k) {
            None | Some(Value::Null) => Some(None),
            Some(v) => v.as_str().map(|s| Some(s.to_owned())),
        }
    }

    /// Only the `known` fields (the core's `deny_unknown_fields`).
    fn only(m: &Map<String, Value>, known: &[&str]) -> R<()> {
        m.keys().all(|k| known.contains(&k.as_str())).then_some(())
    }

    fn transcript(v: &Value) -> R<Transcript> {
        let m = map(v)?;
        only(m, &["product", "kind", "answers", "severity"])?;
        let answers = match m.get("answers") {
            None => Vec::new(),
            Some(v) => v
                .as_array()?
                .iter()
                .map(|a| {
                    let a = map(a)?;
                    only(a, &["node", "answer"])?;
                    Some(Answered {
                        node: string(a, "node", None)?,
                        answer: string(a, "answer", None)?,
                    })
                })
                .collect::<R<_>>()?,
        };
        Some(Transcript {
            product: optional(m, "product")?,
            kind: optional(m, "kind")?,
            answers,
            severity: optional(m, "severity")?,
        })
    }

    fn phase(v: &Value) -> R<Phase> {
        let m = map(v)?;
        Some(match m.get("phase")?.as_str()? {
            "diagnosis" => Phase::Diagnosis,
            "form" => Phase::Form,
            "review" => Phase::Review,
            "submitted" => Phase::Submitted {
                id: string(m, "id", None)?,
            },
            _ => return None,
        })
    }

    // Filled into a default value field by field, in loops: far less
    // WebAssembly than one struct literal with a `?` per field.
    fn form(v: &Value) -> R<RequestForm> {
        let m = map(v)?;
        let mut f = RequestForm::default();
        for (key, text) in [
            ("name", &mut f.name),
            ("email", &mut f.email),
            ("phone", &mut f.phone),
            ("company", &mut f.company),
            ("tenant", &mut f.tenant),
            ("subscription_id", &mut f.subscription_id),
            ("severity", &mut f.severity),
            ("started_at", &mut f.started_at),
            ("title", &mut f.title),
            ("description", &mut f.description),
            ("business_impact", &mut f.business_impact),
        ] {
            if let Some(v) = m.get(key) {
                *text = v.as_str()?.to_owned();
            }
        }
        for (key, flag) in [
            ("prefer_phone", &mut f.prefer_phone),
            ("share_diagnostics", &mut f.share_diagnostics),
            ("continuous_work", &mut f.continuous_work),
            ("accept_price", &mut f.accept_price),
        ] {
            *flag = boolean(m, key)?;
        }
        Some(f)
    }

    fn receipt(v: &Value) -> R<Receipt> {
        let m = map(v)?;
        Some(Receipt {
            mailto: string(m, "mailto", None)?,
            text: string(m, "text", None)?,
            reference: optional(m, "reference")?,
            sent: m.get("sent")?.as_bool()?,
        })
    }

    pub(super) fn read(v: &Value) -> R<Journey> {
        let m = map(v)?;
        let mut j = Journey {
            started: boolean(m, "started")?,
            ..Journey::default()
        };
        if let Some(v) = m.get("transcript") {
            j.transcript = transcript(v)?;
        }
        if let Some(v) = m.get("answered_at") {
            for a in v.as_array()? {
                j.answered_at.push(a.as_str()?.to_owned());
            }
        }
        if let Some(v) = m.get("phase") {
            j.phase = phase(v)?;
        }
        if let Some(v) = m.get("form") {
            j.form = form(v)?;
        }
        j.preselected_product = optional(m, "preselected_product")?;
        if let Some(v) = m.get("receipt").filter(|v| !v.is_null()) {
            j.receipt = Some(receipt(v)?);
        }
        Some(j)
    }
}

impl Journey {
    /// The journey as JSON text (for session storage and the history).
    pub fn to_json(&self) -> String {
        json::write(self)
    }

    /// The journey from [`Journey::to_json`]'s text; `None` if it is not one.
    pub fn from_json(text: &str) -> Option<Journey> {
        json::read(&frontline_core::json::parse(text).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontline_core::Handler;

    fn rules() -> Ruleset {
        frontline_core::load(include_str!("../public/rules/default.json")).unwrap()
    }

    fn outcome(screen: Screen) -> Box<frontline_core::Outcome> {
        match screen {
            Screen::Step(Step::Outcome(o)) => o,
            other => panic!("expected an outcome, got {other:?}"),
        }
    }

    /// A journey that answered "dispute" to the m365 billing question.
    fn billing_dispute() -> Journey {
        let mut j = Journey::default();
        j.start();
        j.choose_product("m365");
        j.choose_kind("billing");
        j.answer("billing-what", "dispute", "2026-11-23T10:00:00Z");
        j
    }

    #[test]
    fn the_funnel_sees_ids_at_each_screen_and_nothing_typed() {
        let rules = rules();
        let mut j = Journey::default();
        let mut seen = Vec::new();
        let mut look = |j: &Journey| {
            let (arrived, left) = j.screen(&rules).funnel(&j.transcript);
            seen.push((
                arrived.map(|e| e.to_json()).unwrap_or_default(),
                left.map(|e| e.to_json()).unwrap_or_default(),
            ));
        };
        look(&j);
        j.start();
        look(&j);
        j.choose_product("m365");
        look(&j);
        j.choose_kind("billing");
        look(&j);
        j.answer("billing-what", "dispute", "2026-11-23T10:00:00Z");
        look(&j);
        j.write_request();
        j.form.name = "Ada Lovelace".into();
        j.form.description = "Invoice 42".into();
        look(&j);
        j.review();
        look(&j);
        j.submitted("0f8fad5b-d9cb-469f-a165-70867728950e", Receipt::default());
        look(&j);
        let pb = r#""product":"m365","kind":"billing""#;
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        let expected = vec![
            p("", ""),
            p(
                r#"{"type":"step","stage":"product"}"#,
                r#"{"type":"abandoned","stage":"product"}"#,
            ),
            p(
                r#"{"type":"step","stage":"problem","product":"m365"}"#,
                r#"{"type":"abandoned","stage":"problem","product":"m365"}"#,
            ),
            p(
                &format!(r#"{{"type":"step","stage":"diagnosis",{pb},"node":"billing-what"}}"#),
                &format!(r#"{{"type":"abandoned","stage":"diagnosis",{pb}}}"#),
            ),
            p(
                &format!(r#"{{"type":"escalated",{pb},"handler":"vendor_commercial"}}"#),
                &format!(r#"{{"type":"abandoned","stage":"outcome",{pb}}}"#),
            ),
            p(
                &format!(r#"{{"type":"step","stage":"request",{pb}}}"#),
                &format!(r#"{{"type":"abandoned","stage":"request",{pb}}}"#),
            ),
            p(
                &format!(r#"{{"type":"step","stage":"review",{pb}}}"#),
                &format!(r#"{{"type":"abandoned","stage":"review",{pb}}}"#),
            ),
            p("", ""),
        ];
        assert_eq!(seen, expected);
        // A problem the self-help solved: "resolved", and leaving then is
        // no abandonment.
        let mut j = Journey::default();
        j.start();
        j.choose_product("m365");
        j.choose_kind("technical");
        for (node, answer) in [
            ("m365-health", "none"),
            ("m365-symptom", "mailbox-full"),
            ("step-mailbox-full", "fixed"),
        ] {
            j.answer(node, answer, "2026-11-23T10:00:00Z");
        }
        let (arrived, left) = j.screen(&rules).funnel(&j.transcript);
        assert_eq!(
            arrived.unwrap().to_json(),
            r#"{"type":"resolved","product":"m365","kind":"technical","node":"step-mailbox-full"}"#
        );
        assert_eq!(left, None);
    }

    #[test]
    fn a_journey_walks_welcome_product_kind_diagnosis_outcome() {
        let rules = rules();
        let mut j = Journey::default();
        assert_eq!(j.screen(&rules), Screen::Welcome);
        j.start();
        assert_eq!(j.screen(&rules).stage(), Stage::Product);
        j.choose_product("m365");
        assert_eq!(j.screen(&rules).stage(), Stage::Problem);
        j.choose_kind("billing");
        let Screen::Step(Step::Ask { node }) = j.screen(&rules) else {
            panic!("expected a question")
        };
        assert_eq!(j.screen(&rules).stage(), Stage::Diagnosis);
        j.answer(&node, "dispute", "2026-11-23T10:00:00Z");
        assert_eq!(outcome(j.screen(&rules)).handler, Handler::VendorCommercial);
    }

    #[test]
    fn back_undoes_one_choice_at_a_time_down_to_the_welcome_screen() {
        let rules = rules();
        let mut j = billing_dispute();
        let stages: Vec<Stage> =
            std::iter::from_fn(|| j.back().then(|| j.screen(&rules).stage())).collect();
        assert_eq!(
            stages,
            [
                Stage::Diagnosis,
                Stage::Problem,
                Stage::Product,
                Stage::Welcome
            ]
        );
        assert!(!j.back(), "nothing left to undo");
    }

    #[test]
    fn choosing_again_forgets_what_came_after() {
        let mut j = billing_dispute();
        j.choose_kind("technical");
        assert!(j.transcript.answers.is_empty());
        j.choose_product("azure");
        assert_eq!(j.transcript.kind, None);
    }

    #[test]
    fn after_the_outcome_come_the_form_the_review_and_the_delivery() {
        let rules = rules();
        let mut j = billing_dispute();
        j.write_request();
        assert!(matches!(j.screen(&rules), Screen::Form(_)));
        j.review();
        assert!(matches!(j.screen(&rules), Screen::Review(_)));
        assert!(j.back());
        assert!(matches!(j.screen(&rules), Screen::Form(_)));
        j.review();
        j.submitted("id-1", Receipt::default());
        assert_eq!(j.screen(&rules), Screen::Delivery { id: "id-1".into() });
        assert_eq!(j.screen(&rules).stage(), Stage::Sent);
        assert!(!j.back(), "a sent request cannot be un-sent");
    }

    #[test]
    fn answers_keep_their_times_and_back_forgets_the_last_one() {
        let mut j = billing_dispute();
        assert_eq!(j.answered_at, ["2026-11-23T10:00:00Z"]);
        j.back();
        assert!(j.answered_at.is_empty() && j.transcript.answers.is_empty());
    }

    #[test]
    fn the_form_is_only_for_outcomes_the_partner_takes() {
        let rules = rules();
        let mut j = Journey::default();
        j.start();
        j.choose_product("marketplace");
        j.choose_kind("technical");
        let Screen::Step(Step::Ask { node }) = j.screen(&rules) else {
            panic!()
        };
        let _ = node;
        j.write_request();
        assert!(!matches!(j.screen(&rules), Screen::Form(_)));
    }

    #[test]
    fn a_journey_that_no_longer_fits_the_rules_is_reported_not_panicked() {
        let rules = rules();
        let mut j = Journey::default();
        j.start();
        j.choose_product("no-such-product");
        assert!(matches!(j.screen(&rules), Screen::Broken(_)));
    }

    #[test]
    fn a_journey_survives_a_round_trip_through_storage() {
        let mut j = Journey::default();
        j.start();
        j.choose_product("azure");
        let saved = serde_json::to_string(&j).unwrap();
        assert_eq!(serde_json::from_str::<Journey>(&saved).unwrap(), j);
        assert_eq!(Journey::from_json(&j.to_json()), Some(j));
    }

    /// The hand-written JSON is the serde derives' JSON, both ways.
    #[test]
    fn the_hand_written_json_is_the_derived_json() {
        let mut full = billing_dispute();
        full.answer("next-node", "yes", "2026-11-23T10:01:00Z");
        assert_eq!(full.transcript.answers.len(), 2);
        full.preselected_product = Some("azure".into());
        full.transcript.severity = Some("B".into());
        full.form = RequestForm {
            name: "Ada \"L\"".into(),
            email: "ada@contoso.example".into(),
            prefer_phone: true,
            started_at: "2026-11-23T09:30".into(),
            description: "line 1\nline 2 é".into(),
            accept_price: true,
            ..RequestForm::default()
        };
        let mut journeys = vec![Journey::default(), full.clone()];
        for phase in [Phase::Form, Phase::Review] {
            let mut j = full.clone();
            j.phase = phase;
            journeys.push(j);
        }
        let mut sent = full.clone();
        sent.submitted(
            "id-1",
            Receipt {
                mailto: "mailto:x@y.example?subject=a".into(),
                text: "t".into(),
                reference: Some("FL-1".into()),
                sent: true,
            },
        );
        journeys.push(sent.clone());
        sent.receipt.as_mut().unwrap().reference = None;
        journeys.push(sent);
        for j in journeys {
            let derived = serde_json::to_string(&j).unwrap();
            assert_eq!(j.to_json(), derived);
            assert_eq!(Journey::from_json(&derived), Some(j.clone()));
        }
        // What serde accepts or refuses, the hand reader does too (but for
        // serde's array form of a struct, which nothing writes).
        for text in [
            "{}",
            r#"{"started":true}"#,
            r#"{"started":"yes"}"#,
            r#"{"phase":{"phase":"submitted"}}"#,
            r#"{"phase":{"phase":"elsewhere"}}"#,
            r#"{"transcript":{"product":"m365","colour":1}}"#,
            r#"{"transcript":{"answers":[{"node":"a"}]}}"#,
            r#"{"form":{"name":"x","unknown":1},"answered_at":["a"],"receipt":null}"#,
            r#"{"receipt":{"mailto":"m","text":"t","sent":false}}"#,
            r#"{"receipt":{"mailto":"m","text":"t"}}"#,
            "not json",
        ] {
            assert_eq!(
                Journey::from_json(text),
                serde_json::from_str::<Journey>(text).ok(),
                "{text}"
            );
        }
    }
}
