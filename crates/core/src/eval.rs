//! Evaluation: `(ruleset, answers so far)` → the next step, or an outcome
//! with the trace of why. Pure and deterministic: no clock, no I/O.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cond::{self, Facts};
use crate::load::{partner_facts, vehicle_available};
use crate::ruleset::*;

/// The answer recorded when a self-help step did not help.
pub const STILL_BROKEN: &str = "still_broken";
/// The answer recorded when a self-help step fixed the problem.
pub const FIXED: &str = "fixed";
/// The answer recorded when an information node was read.
pub const CONTINUE: &str = "continue";
/// How many diagnosis paths validation and coverage enumerate at most.
pub const PATH_LIMIT: usize = 20_000;

/// What the customer chose so far. It travels with the request, so the
/// partner's server can re-check the decision ([`verify`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transcript {
    /// Chosen product id.
    #[serde(default)]
    pub product: Option<String>,
    /// Chosen kind-of-problem id.
    #[serde(default)]
    pub kind: Option<String>,
    /// Answers in the order given.
    #[serde(default)]
    pub answers: Vec<Answered>,
    /// Severity chosen once the outcome is known.
    #[serde(default)]
    pub severity: Option<String>,
}

/// One answer: for a question its answer id; for a self-help step
/// [`STILL_BROKEN`] or [`FIXED`]; for an information node [`CONTINUE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answered {
    /// Node id.
    pub node: String,
    /// Answer id.
    pub answer: String,
}

impl Transcript {
    /// A transcript with product and kind chosen.
    pub fn new(product: &str, kind: &str) -> Transcript {
        Transcript {
            product: Some(product.into()),
            kind: Some(kind.into()),
            ..Transcript::default()
        }
    }

    /// Adds an answer (builder style).
    pub fn answer(mut self, node: &str, answer: &str) -> Transcript {
        self.answers.push(Answered {
            node: node.into(),
            answer: answer.into(),
        });
        self
    }
}

/// What the UI shows next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Ask which product (ids in ruleset order).
    ChooseProduct {
        /// Product ids.
        products: Vec<String>,
    },
    /// Ask which kind of problem (ids in the product's order).
    ChooseKind {
        /// The chosen product.
        product: String,
        /// Kind ids offered for it.
        kinds: Vec<String>,
    },
    /// Show this node (question, self-help step or information):
    /// look it up with [`Ruleset::node`].
    Ask {
        /// Node id.
        node: String,
    },
    /// A self-help step fixed it: nothing to send.
    Resolved {
        /// The step that fixed it.
        node: String,
    },
    /// Diagnosis done: who handles it, and why.
    Outcome(Box<Outcome>),
}

/// The decision for a finished diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Product id.
    pub product: String,
    /// Kind id.
    pub kind: String,
    /// End node reached.
    pub end: String,
    /// Id of the rule that decided.
    pub rule: String,
    /// Who handles it.
    pub handler: Handler,
    /// Vendor vehicle the partner escalates through, if any.
    pub vehicle: Option<String>,
    /// The rule's handler when it needed a vehicle the partner does not
    /// have (`vendor_technical`, `vendor_commercial`): the partner keeps the
    /// request (`handler` is `partner`), and the rule's rationale, which
    /// speaks of an escalation, does not apply ([`Outcome::explanation`]).
    pub downgraded_from: Option<Handler>,
    /// Severities the customer may choose (empty when the partner does not
    /// take the request).
    pub severities: Vec<String>,
    /// The severity chosen in the transcript, if any (checked to be allowed).
    pub severity: Option<String>,
    /// Whom to contact instead (publisher, indirect provider), if anyone.
    pub contact: Option<Contact>,
    /// Ids of the partner's contact methods.
    pub contact_methods: Vec<String>,
    /// Prices that may apply (first match per severity: see [`price_for`]).
    pub prices: Vec<String>,
    /// Partner's service time zone (hours: see [`crate::hours`]).
    pub time_zone: String,
    /// Customer-facing reason.
    pub rationale: Text,
    /// Source of the deciding rule.
    pub source: String,
    /// Why, step by step.
    pub trace: Vec<TraceEntry>,
    /// Which ruleset decided.
    pub ruleset: RulesetRef,
}

/// What a trace entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceKind {
    /// The product chosen.
    Product,
    /// The kind of problem chosen.
    Kind,
    /// An answer given.
    Answer,
    /// A rule tried.
    Rule,
    /// A vehicle chosen or skipped.
    Vehicle,
}

/// One line of the explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceEntry {
    /// What it is about.
    pub kind: TraceKind,
    /// Id of the product, kind, node, rule or vehicle.
    pub id: String,
    /// For rules and vehicles: whether it matched / was available.
    pub matched: Option<bool>,
    /// Plain-words detail (English; ids and values, for partners).
    pub detail: String,
    /// Customer-facing text (question, answer label, rationale).
    pub text: Option<Text>,
    /// Source cited.
    pub source: Option<String>,
}

/// Why a transcript cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalError {
    /// Where: `product`, `kind`, `answers[3]` or `severity`.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl std::error::Error for EvalError {}

fn err(at: impl Into<String>, message: impl Into<String>) -> EvalError {
    EvalError {
        at: at.into(),
        message: message.into(),
    }
}

fn trace(kind: TraceKind, id: &str, detail: String) -> TraceEntry {
    TraceEntry {
        kind,
        id: id.into(),
        matched: None,
        detail,
        text: None,
        source: None,
    }
}

/// The next step for a transcript: what to ask, or the outcome.
///
/// Errors when the transcript does not fit the ruleset (unknown ids,
/// answers out of order, a severity the outcome does not allow).
pub fn evaluate(r: &Ruleset, t: &Transcript) -> Result<Step, EvalError> {
    let Some(product_id) = &t.product else {
        return Ok(Step::ChooseProduct {
            products: r.products.iter().map(|p| p.id.clone()).collect(),
        });
    };
    let product = r.product(product_id).ok_or_else(|| {
        err(
            "product",
            format!("no product \"{product_id}\" in this ruleset"),
        )
    })?;
    let mut entries = vec![TraceEntry {
        text: Some(product.name.clone()),
        ..trace(
            TraceKind::Product,
            product_id,
            format!("product is \"{product_id}\""),
        )
    }];
    let Some(kind_id) = &t.kind else {
        return Ok(Step::ChooseKind {
            product: product_id.clone(),
            kinds: product.kinds.iter().map(|k| k.kind.clone()).collect(),
        });
    };
    let pk = product
        .kinds
        .iter()
        .find(|k| &k.kind == kind_id)
        .ok_or_else(|| {
            err(
                "kind",
                format!("kind \"{kind_id}\" is not offered for \"{product_id}\""),
            )
        })?;
    entries.push(TraceEntry {
        text: r.kind(kind_id).map(|k| k.name.clone()),
        ..trace(
            TraceKind::Kind,
            kind_id,
            format!("kind of problem is \"{kind_id}\""),
        )
    });

    let mut facts = partner_facts(&r.partner);
    facts.insert("product".into(), Value::String(product_id.clone()));
    facts.insert("kind".into(), Value::String(kind_id.clone()));
    let mut tags: Vec<String> = Vec::new();
    let mut current = pk.start.clone();
    for (i, a) in t.answers.iter().enumerate() {
        let at = format!("answers[{i}]");
        if a.node != current {
            return Err(err(
                at,
                format!(
                    "expected an answer to \"{current}\", found one to \"{}\"",
                    a.node
                ),
            ));
        }
        let node = r
            .node(&current)
            .ok_or_else(|| err(&at, format!("no node \"{current}\" in this ruleset")))?;
        let next = match node {
            Node::Question(q) => {
                let ans = q.answers.iter().find(|x| x.id == a.answer).ok_or_else(|| {
                    err(
                        &at,
                        format!("\"{}\" is not an answer of \"{current}\"", a.answer),
                    )
                })?;
                tags.extend(ans.tags.iter().cloned());
                entries.push(TraceEntry {
                    text: Some(ans.label.clone()),
                    ..trace(
                        TraceKind::Answer,
                        &current,
                        format!("answered \"{}\" to \"{current}\"", a.answer),
                    )
                });
                ans.next.clone()
            }
            Node::Step(s) => {
                if a.answer == FIXED {
                    if i + 1 != t.answers.len() {
                        return Err(err(at, "the step fixed the problem: no answer can follow"));
                    }
                    return Ok(Step::Resolved { node: current });
                }
                if a.answer != STILL_BROKEN {
                    return Err(err(
                        at,
                        format!(
                            "a self-help step takes \"{FIXED}\" or \"{STILL_BROKEN}\", not \"{}\"",
                            a.answer
                        ),
                    ));
                }
                entries.push(TraceEntry {
                    text: Some(s.title.clone()),
                    source: Some(s.source.clone()),
                    ..trace(
                        TraceKind::Answer,
                        &current,
                        format!("self-help step \"{current}\" did not fix it"),
                    )
                });
                s.still_broken.clone()
            }
            Node::Info(info) => {
                if a.answer != CONTINUE {
                    return Err(err(at, format!("an information node takes \"{CONTINUE}\"")));
                }
                info.next.clone()
            }
            Node::End(_) => return Err(err(at, "the diagnosis is finished: no answer can follow")),
        };
        tags.extend(node.tags().iter().cloned());
        facts.insert(
            format!("answers.{current}"),
            Value::String(a.answer.clone()),
        );
        current = next.ok_or_else(|| err(&at, format!("node \"{current}\" has no next node")))?;
        if i > r.nodes.len() {
            return Err(err(at, "the transcript is longer than any path"));
        }
    }
    let node = r
        .node(&current)
        .ok_or_else(|| err("answers", format!("no node \"{current}\" in this ruleset")))?;
    let Node::End(end) = node else {
        if t.severity.is_some() {
            return Err(err(
                "severity",
                "a severity is chosen only once the diagnosis is finished",
            ));
        }
        return Ok(Step::Ask { node: current });
    };
    tags.extend(end.tags.iter().cloned());
    facts.insert("node".into(), Value::String(current.clone()));
    set_tags(&mut facts, tags);
    let mut outcome = decide(r, &facts, product, kind_id, &current, entries)?;
    if let Some(s) = &t.severity {
        if !outcome.severities.contains(s) {
            return Err(err(
                "severity",
                format!(
                    "severity \"{s}\" is not allowed here; allowed: {}",
                    if outcome.severities.is_empty() {
                        "none".to_string()
                    } else {
                        outcome.severities.join(", ")
                    }
                ),
            ));
        }
        outcome.severity = Some(s.clone());
    }
    Ok(Step::Outcome(Box::new(outcome)))
}

fn set_tags(facts: &mut Facts, mut tags: Vec<String>) {
    crate::sort::sort(&mut tags);
    tags.dedup();
    facts.insert(
        "tags".into(),
        Value::Array(tags.into_iter().map(Value::String).collect()),
    );
}

/// Index of the first rule whose condition holds for these facts.
pub(crate) fn first_matching_rule(r: &Ruleset, facts: &Facts) -> Option<usize> {
    r.rules
        .iter()
        .position(|rule| cond::holds(&rule.when, facts))
}

fn decide(
    r: &Ruleset,
    facts: &Facts,
    product: &Product,
    kind: &str,
    end: &str,
    mut entries: Vec<TraceEntry>,
) -> Result<Outcome, EvalError> {
    let mut decided = None;
    for rule in &r.rules {
        let matched = cond::holds(&rule.when, facts);
        entries.push(TraceEntry {
            kind: TraceKind::Rule,
            id: rule.id.clone(),
            matched: Some(matched),
            detail: cond::describe(&rule.when, facts),
            text: matched.then(|| rule.rationale.clone()),
            source: Some(rule.source.clone()),
        });
        if matched {
            decided = Some(rule);
            break;
        }
    }
    let rule =
        decided.ok_or_else(|| err("answers", format!("no rule matches the end \"{end}\"")))?;
    let mut handler = rule.handler;
    let wanted = match handler {
        Handler::VendorCommercial => Some(VehicleKind::Commercial),
        Handler::VendorTechnical => Some(VehicleKind::Technical),
        _ => None,
    };
    let mut vehicle = None;
    let mut downgraded_from = None;
    if let Some(kind_wanted) = wanted {
        let candidates: Vec<&Vehicle> = match &rule.vehicle {
            Some(id) => r.vehicle(id).into_iter().collect(),
            None => r
                .vehicles
                .iter()
                .filter(|v| v.kind == kind_wanted)
                .collect(),
        };
        for v in candidates {
            let ok = vehicle_available(v, &r.partner);
            entries.push(TraceEntry {
                kind: TraceKind::Vehicle,
                id: v.id.clone(),
                matched: Some(ok),
                detail: if ok {
                    format!("\"{}\" is available to {}", v.id, r.partner.name)
                } else if !v.available_to_all && !r.partner.contracts.contains(&v.id) {
                    format!("\"{}\" is not under contract", v.id)
                } else {
                    format!(
                        "prerequisites of \"{}\" not met: {}",
                        v.id,
                        v.requires
                            .as_ref()
                            .map(|c| cond::describe(c, &partner_facts(&r.partner)))
                            .unwrap_or_default()
                    )
                },
                text: ok.then(|| v.name.clone()),
                source: Some(v.source.clone()),
            });
            if ok {
                vehicle = Some(v.id.clone());
                break;
            }
        }
        if vehicle.is_none() {
            // No way to escalate: the partner keeps it and does its best.
            // The rule's rationale speaks of the escalation: the trace
            // shows the customer what holds instead.
            downgraded_from = Some(handler);
            let notice = downgrade_notice(r, handler);
            if let Some(e) = entries
                .iter_mut()
                .rev()
                .find(|e| e.kind == TraceKind::Rule && e.matched == Some(true))
            {
                e.text = Some(notice);
            }
            handler = Handler::Partner;
        }
    }
    let works = handler.partner_works_on_it();
    let severities = if !works {
        Vec::new()
    } else if rule.severities.is_empty() {
        r.severities.iter().map(|s| s.id.clone()).collect()
    } else {
        rule.severities.clone()
    };
    let contact = match handler {
        Handler::Publisher => product.publisher.clone(),
        Handler::IndirectProvider => r.partner.indirect_provider.clone(),
        _ => None,
    };
    let prices = if works {
        r.pricing
            .items
            .iter()
            .filter(|p| p.kinds.is_empty() || p.kinds.iter().any(|k| k == kind))
            .map(|p| p.id.clone())
            .collect()
    } else {
        Vec::new()
    };
    Ok(Outcome {
        product: product.id.clone(),
        kind: kind.into(),
        end: end.into(),
        rule: rule.id.clone(),
        handler,
        vehicle,
        downgraded_from,
        severities,
        severity: None,
        contact,
        contact_methods: if works {
            r.contact_methods.iter().map(|m| m.id.clone()).collect()
        } else {
            Vec::new()
        },
        prices,
        time_zone: r.hours.time_zone.clone(),
        rationale: rule.rationale.clone(),
        source: rule.source.clone(),
        trace: entries,
        ruleset: r.reference(),
    })
}

impl Outcome {
    /// What the customer is told about who handles the request and why:
    /// the deciding rule's rationale, or, when the request was downgraded
    /// (no vehicle for the rule's escalation), the partner's
    /// [`Partner::downgrade_notice`], else the built-in one.
    pub fn explanation(&self, r: &Ruleset) -> Text {
        match self.downgraded_from {
            None => self.rationale.clone(),
            Some(from) => downgrade_notice(r, from),
        }
    }
}

/// The partner's downgrade notice, else the built-in one.
fn downgrade_notice(r: &Ruleset, from: Handler) -> Text {
    r.partner
        .downgrade_notice
        .clone()
        .unwrap_or_else(|| built_in_downgrade_notice(from, &r.partner.name))
}

/// The languages [`built_in_downgrade_notice`] speaks (every UI language of
/// the portal: a test there keeps the two lists together).
pub const BUILT_IN_NOTICE_LANGUAGES: [&str; 2] = ["en", "fr"];

/// The notice for a request downgraded from `from` (see
/// [`Outcome::downgraded_from`]), in every UI language, naming the partner.
pub fn built_in_downgrade_notice(from: Handler, partner: &str) -> Text {
    let (en, fr) = if from == Handler::VendorCommercial {
        (
            "commercial support (billing and subscriptions)",
            "support commercial (facturation et abonnements)",
        )
    } else {
        ("technical support", "support technique")
    };
    let texts = [
        format!("{partner} handles this request itself: escalation to the vendor's {en} is not part of the support it provides. {partner} stays your contact and works on it with its own means."),
        format!("{partner} traite cette demande elle-même : la transmission au {fr} de l’éditeur ne fait pas partie du support qu’elle fournit. {partner} reste votre contact et la traite avec ses propres moyens."),
    ];
    Text(
        BUILT_IN_NOTICE_LANGUAGES
            .iter()
            .map(|l| (*l).to_owned())
            .zip(texts)
            .collect(),
    )
}

/// The price that applies to a request of `kind` at `severity`: the first
/// price item whose kinds and severities match.
pub fn price_for<'a>(r: &'a Ruleset, kind: &str, severity: &str) -> Option<Price<'a>> {
    r.pricing
        .items
        .iter()
        .find(|p| {
            (p.kinds.is_empty() || p.kinds.iter().any(|k| k == kind))
                && (p.severities.is_empty() || p.severities.iter().any(|s| s == severity))
        })
        .map(|item| Price {
            item,
            currency: item.currency.as_deref().or(r.pricing.currency.as_deref()),
        })
}

/// A price item with its effective currency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price<'a> {
    /// The item.
    pub item: &'a PriceItem,
    /// Currency (the item's, else the ruleset's default).
    pub currency: Option<&'a str>,
}

// ---------------------------------------------------------------- verify

/// The decision as recorded by the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Deciding rule id.
    pub rule: String,
    /// Handler.
    pub handler: Handler,
    /// Vehicle, if any.
    #[serde(default)]
    pub vehicle: Option<String>,
    /// The rule's handler when no vehicle was available for it (see
    /// [`Outcome::downgraded_from`]); absent in requests made before it.
    #[serde(default)]
    pub downgraded_from: Option<Handler>,
    /// End node reached.
    pub end: String,
}

impl From<&Outcome> for Decision {
    fn from(o: &Outcome) -> Decision {
        Decision {
            rule: o.rule.clone(),
            handler: o.handler,
            vehicle: o.vehicle.clone(),
            downgraded_from: o.downgraded_from,
            end: o.end.clone(),
        }
    }
}

/// The part of a request `verify` needs (issue 5 embeds it in
/// `frontline.request/v1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// What the customer answered.
    pub transcript: Transcript,
    /// What the browser decided.
    pub outcome: Decision,
    /// Which ruleset it decided with.
    pub ruleset: RulesetRef,
}

/// One difference between the recorded and the recomputed decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// Which field (`ruleset.hash`, `outcome.handler`, `transcript` ...).
    pub field: String,
    /// As the request says.
    pub recorded: String,
    /// As this ruleset says.
    pub recomputed: String,
}

/// Which canonical form of the ruleset a request's `ruleset.hash` is the
/// SHA-256 of (see [`crate::hash`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashScheme {
    /// RFC 8785 (JCS), what the portal writes: a partner's server can
    /// recompute it with any JCS library.
    Jcs,
    /// The form hashed before RFC 8785 ([`crate::hash::legacy_canonical_json`]):
    /// a request made then. Still accepted, and named, so that a partner
    /// knows which of its requests predate the change.
    Legacy,
}

/// Result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// True when nothing differs.
    pub matches: bool,
    /// What differs.
    pub differences: Vec<Difference>,
    /// Which canonical form the request's ruleset hash matched; none when
    /// it matched neither (then `ruleset.hash` is among the differences).
    /// A ruleset whose two forms are the same text (integers only, as the
    /// default ruleset) matches as `jcs`. Absent in verifications stored
    /// before it existed.
    #[serde(default)]
    pub hash_scheme: Option<HashScheme>,
}

/// Re-evaluates a request's transcript with `r` and compares the result with
/// the recorded decision (what a partner's server does before trusting what
/// the browser decided).
pub fn verify(r: &Ruleset, req: &Request) -> Verification {
    // The legacy hash is computed only for a request that is not RFC 8785's.
    let hash_scheme = if req.ruleset.hash == r.hash() {
        Some(HashScheme::Jcs)
    } else if req.ruleset.hash == r.legacy_hash() {
        Some(HashScheme::Legacy)
    } else {
        None
    };
    let mut differences = Vec::new();
    let mut diff = |field: &str, recorded: &str, recomputed: &str| {
        if recorded != recomputed {
            differences.push(Difference {
                field: field.into(),
                recorded: recorded.into(),
                recomputed: recomputed.into(),
            });
        }
    };
    diff("ruleset.id", &req.ruleset.id, &r.id);
    diff("ruleset.version", &req.ruleset.version, &r.version);
    if hash_scheme.is_none() {
        diff("ruleset.hash", &req.ruleset.hash, r.hash());
    }
    match evaluate(r, &req.transcript) {
        Err(e) => diff("transcript", "valid", &e.to_string()),
        Ok(Step::Outcome(o)) => {
            let d = Decision::from(o.as_ref());
            diff("outcome.rule", &req.outcome.rule, &d.rule);
            diff(
                "outcome.handler",
                req.outcome.handler.as_str(),
                d.handler.as_str(),
            );
            diff(
                "outcome.vehicle",
                req.outcome.vehicle.as_deref().unwrap_or("none"),
                d.vehicle.as_deref().unwrap_or("none"),
            );
            diff(
                "outcome.downgraded_from",
                req.outcome.downgraded_from.map_or("none", Handler::as_str),
                d.downgraded_from.map_or("none", Handler::as_str),
            );
            diff("outcome.end", &req.outcome.end, &d.end);
        }
        Ok(other) => diff(
            "transcript",
            "finished diagnosis",
            &format!("unfinished: next step is {}", step_name(&other)),
        ),
    }
    Verification {
        matches: differences.is_empty(),
        differences,
        hash_scheme,
    }
}

fn step_name(s: &Step) -> String {
    match s {
        Step::ChooseProduct { .. } => "choose a product".into(),
        Step::ChooseKind { .. } => "choose a kind of problem".into(),
        Step::Ask { node } => format!("answer \"{node}\""),
        Step::Resolved { node } => format!("resolved by \"{node}\""),
        Step::Outcome(_) => "outcome".into(),
    }
}

// ---------------------------------------------------------------- paths

/// A path from a product's kind of problem to an end node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomePath {
    /// Product id.
    pub product: String,
    /// Kind id.
    pub kind: String,
    /// Answers along the way.
    pub answers: Vec<Answered>,
    /// End node id.
    pub end: String,
    /// Tags collected.
    pub tags: Vec<String>,
}

impl OutcomePath {
    /// `product/kind: node=answer > node=answer > end`.
    pub fn describe(&self) -> String {
        let mut s = format!("{}/{}:", self.product, self.kind);
        for a in &self.answers {
            s.push_str(&format!(" {}={} >", a.node, a.answer));
        }
        s.push(' ');
        s.push_str(&self.end);
        s
    }

    /// The transcript that walks this path.
    pub fn transcript(&self) -> Transcript {
        Transcript {
            product: Some(self.product.clone()),
            kind: Some(self.kind.clone()),
            answers: self.answers.clone(),
            severity: None,
        }
    }
}

/// All outcome paths, at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct OutcomePaths {
    /// The paths, in product, kind and answer order.
    pub paths: Vec<OutcomePath>,
    /// True when there were more than `limit`.
    pub truncated: bool,
}

/// Enumerates every path from each product's kinds to an end node (paths
/// where a self-help step fixes the problem are not outcomes). Assumes no
/// cycles (validation reports them); stops at `limit` paths.
pub fn outcome_paths(r: &Ruleset, limit: usize) -> OutcomePaths {
    let mut out = OutcomePaths::default();
    for p in &r.products {
        for pk in &p.kinds {
            let mut answers = Vec::new();
            let mut tags = Vec::new();
            walk(
                r,
                p,
                &pk.kind,
                &pk.start,
                &mut answers,
                &mut tags,
                &mut out,
                limit,
                0,
            );
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn walk(
    r: &Ruleset,
    p: &Product,
    kind: &str,
    node_id: &str,
    answers: &mut Vec<Answered>,
    tags: &mut Vec<String>,
    out: &mut OutcomePaths,
    limit: usize,
    depth: usize,
) {
    if out.paths.len() >= limit {
        out.truncated = true;
        return;
    }
    if depth > r.nodes.len() {
        return; // a cycle: validation reports it
    }
    let Some(node) = r.node(node_id) else { return };
    let tags_before = tags.len();
    tags.extend(node.tags().iter().cloned());
    let branch = |answer: &str,
                  next: &Option<String>,
                  extra: &[String],
                  answers: &mut Vec<Answered>,
                  tags: &mut Vec<String>,
                  out: &mut OutcomePaths| {
        let Some(next) = next else { return };
        answers.push(Answered {
            node: node_id.into(),
            answer: answer.into(),
        });
        let before = tags.len();
        tags.extend(extra.iter().cloned());
        walk(r, p, kind, next, answers, tags, out, limit, depth + 1);
        tags.truncate(before);
        answers.pop();
    };
    match node {
        Node::Question(q) => {
            for a in &q.answers {
                branch(&a.id, &a.next, &a.tags, answers, tags, out);
            }
        }
        Node::Step(s) => branch(STILL_BROKEN, &s.still_broken, &[], answers, tags, out),
        Node::Info(i) => branch(CONTINUE, &i.next, &[], answers, tags, out),
        Node::End(_) => {
            let mut t = tags.clone();
            t.sort_unstable();
            t.dedup();
            out.paths.push(OutcomePath {
                product: p.id.clone(),
                kind: kind.into(),
                answers: answers.clone(),
                end: node_id.into(),
                tags: t,
            });
        }
    }
    tags.truncate(tags_before);
}

/// The facts a path gives the rules.
pub(crate) fn path_facts(r: &Ruleset, p: &OutcomePath) -> Facts {
    let mut facts = partner_facts(&r.partner);
    facts.insert("product".into(), Value::String(p.product.clone()));
    facts.insert("kind".into(), Value::String(p.kind.clone()));
    facts.insert("node".into(), Value::String(p.end.clone()));
    for a in &p.answers {
        facts.insert(
            format!("answers.{}", a.node),
            Value::String(a.answer.clone()),
        );
    }
    set_tags(&mut facts, p.tags.clone());
    facts
}
