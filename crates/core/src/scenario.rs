//! Partner-written scenarios: a profile override, answers and a submission
//! time, with the expected handler, vehicle and deadline. Run by
//! `frontline test`, with a coverage report of the outcome paths.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::eval::{self, Step, Transcript};
use crate::hours;
use crate::ruleset::{Handler, Partner, Ruleset};
use crate::tz::Zone;

/// The format identifier of scenario files.
pub const SCENARIOS_SCHEMA: &str = "frontline.scenarios/v1";

/// A scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// `"frontline.scenarios/v1"`.
    pub schema: String,
    /// The scenarios.
    pub scenarios: Vec<Scenario>,
}

/// One scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What it shows, in a few words.
    pub name: String,
    /// JSON merge patch (RFC 7396) applied to `$.partner` first.
    #[serde(default)]
    pub partner: Option<Value>,
    /// The customer's answers.
    pub transcript: Transcript,
    /// Submission instant, RFC 3339 (needed to check a deadline).
    #[serde(default)]
    pub submitted_at: Option<String>,
    /// The customer's IANA time zone (default UTC).
    #[serde(default)]
    pub customer_time_zone: Option<String>,
    /// What must happen.
    pub expect: Expect,
}

/// Expected results; only the fields given are checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Self-help fixed it (no outcome).
    #[serde(default)]
    pub resolved: Option<bool>,
    /// Next node to ask (unfinished transcript).
    #[serde(default)]
    pub ask: Option<String>,
    /// Deciding rule id.
    #[serde(default)]
    pub rule: Option<String>,
    /// Handler.
    #[serde(default)]
    pub handler: Option<Handler>,
    /// Vehicle id, or `"none"`.
    #[serde(default)]
    pub vehicle: Option<String>,
    /// The rule's handler the outcome was downgraded from for want of a
    /// vehicle, or `"none"`.
    #[serde(default)]
    pub downgraded_from: Option<String>,
    /// First-response deadline as an RFC 3339 instant (needs
    /// `transcript.severity` and `submitted_at`).
    #[serde(default)]
    pub deadline: Option<String>,
    /// Price item id applying at the transcript's severity, or `"none"`.
    #[serde(default)]
    pub price: Option<String>,
    /// Evaluation error expected (substring of the message).
    #[serde(default)]
    pub error: Option<String>,
}

/// Result of one scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Scenario name.
    pub name: String,
    /// True when every expectation held.
    pub passed: bool,
    /// What did not hold.
    pub failures: Vec<String>,
}

/// Outcome-path and rule coverage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Outcome paths in the ruleset.
    pub paths_total: usize,
    /// Outcome paths some scenario walks.
    pub paths_covered: usize,
    /// Paths no scenario walks (`product/kind: node=answer > ... end`).
    pub uncovered_paths: Vec<String>,
    /// Rules in the ruleset.
    pub rules_total: usize,
    /// Rules that decided some scenario.
    pub rules_covered: usize,
    /// Rules that decided none.
    pub uncovered_rules: Vec<String>,
}

/// Results of a scenario file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioReport {
    /// One per scenario, in order.
    pub results: Vec<ScenarioResult>,
    /// Coverage.
    pub coverage: Coverage,
}

impl ScenarioReport {
    /// Number of passed scenarios.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed).count()
    }

    /// Number of failed scenarios.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
}

/// Reads a scenario file.
pub fn parse(json: &str) -> Result<ScenarioFile, String> {
    let f: ScenarioFile = serde_json::from_str(json).map_err(|e| {
        format!("not a scenario file: {e}; see public/rules/default.scenarios.json for the format")
    })?;
    if f.schema != SCENARIOS_SCHEMA {
        return Err(format!(
            "$.schema: expected \"{SCENARIOS_SCHEMA}\", found \"{}\"",
            f.schema
        ));
    }
    Ok(f)
}

/// RFC 7396 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn path_key(t: &Transcript, end: &str) -> String {
    let mut s = format!(
        "{}/{}:",
        t.product.as_deref().unwrap_or(""),
        t.kind.as_deref().unwrap_or("")
    );
    for a in &t.answers {
        s.push_str(&format!(" {}={} >", a.node, a.answer));
    }
    s.push(' ');
    s.push_str(end);
    s
}

/// Runs every scenario against `base` and measures coverage.
pub fn run(base: &Ruleset, file: &ScenarioFile) -> ScenarioReport {
    let mut report = ScenarioReport::default();
    let mut walked = BTreeSet::new();
    let mut rules = BTreeSet::new();
    for s in &file.scenarios {
        let mut failures = Vec::new();
        let ruleset = match &s.partner {
            None => Ok(std::borrow::Cow::Borrowed(base)),
            Some(patch) => with_partner_patch(base, patch).map(std::borrow::Cow::Owned),
        };
        match ruleset {
            Err(e) => failures.push(e),
            Ok(r) => check_one(&r, s, &mut failures, &mut walked, &mut rules),
        }
        report.results.push(ScenarioResult {
            name: s.name.clone(),
            passed: failures.is_empty(),
            failures,
        });
    }
    let paths = eval::outcome_paths(base, eval::PATH_LIMIT);
    let all: Vec<String> = paths.paths.iter().map(|p| p.describe()).collect();
    report.coverage = Coverage {
        paths_total: all.len(),
        paths_covered: all.iter().filter(|p| walked.contains(*p)).count(),
        uncovered_paths: all
            .iter()
            .filter(|p| !walked.contains(*p))
            .cloned()
            .collect(),
        rules_total: base.rules.len(),
        rules_covered: base.rules.iter().filter(|r| rules.contains(&r.id)).count(),
        uncovered_rules: base
            .rules
            .iter()
            .filter(|r| !rules.contains(&r.id))
            .map(|r| r.id.clone())
            .collect(),
    };
    report
}

/// A copy of `base` with a merge patch applied to its partner profile.
pub fn with_partner_patch(base: &Ruleset, patch: &Value) -> Result<Ruleset, String> {
    let mut partner = serde_json::to_value(&base.partner).map_err(|e| e.to_string())?;
    merge_patch(&mut partner, patch);
    let mut report = crate::report::Report::default();
    let mut reader = crate::read::Reader {
        report: &mut report,
    };
    let partner: Option<Partner> = crate::read::partner(&mut reader, &partner, "$.partner");
    let partner = partner.ok_or_else(|| {
        format!(
            "the partner override does not give a valid profile: {}",
            report.to_string().trim_end()
        )
    })?;
    let mut r = base.clone();
    r.partner = partner;
    Ok(r)
}

fn check_one(
    r: &Ruleset,
    s: &Scenario,
    failures: &mut Vec<String>,
    walked: &mut BTreeSet<String>,
    rules: &mut BTreeSet<String>,
) {
    let e = &s.expect;
    let step = match eval::evaluate(r, &s.transcript) {
        Err(err) => {
            match &e.error {
                Some(want) if err.to_string().contains(want.as_str()) => {}
                _ => failures.push(format!("evaluation failed: {err}")),
            }
            return;
        }
        Ok(step) => step,
    };
    if let Some(want) = &e.error {
        failures.push(format!(
            "expected an error containing \"{want}\", but evaluation succeeded"
        ));
    }
    let resolved = matches!(step, Step::Resolved { .. });
    if let Some(want) = e.resolved {
        if want != resolved {
            failures.push(format!("expected resolved = {want}, got {resolved}"));
        }
    }
    if let Some(want) = &e.ask {
        match &step {
            Step::Ask { node } if node == want => {}
            other => failures.push(format!("expected to ask \"{want}\", got {}", short(other))),
        }
    }
    let wants_outcome = e.rule.is_some()
        || e.handler.is_some()
        || e.vehicle.is_some()
        || e.downgraded_from.is_some()
        || e.deadline.is_some()
        || e.price.is_some();
    let Step::Outcome(o) = step else {
        if wants_outcome {
            failures.push(format!("expected an outcome, got {}", short(&step)));
        }
        return;
    };
    walked.insert(path_key(&s.transcript, &o.end));
    rules.insert(o.rule.clone());
    if let Some(want) = &e.rule {
        if want != &o.rule {
            failures.push(format!("expected rule \"{want}\", got \"{}\"", o.rule));
        }
    }
    if let Some(want) = e.handler {
        if want != o.handler {
            failures.push(format!(
                "expected handler \"{}\", got \"{}\"",
                want.as_str(),
                o.handler.as_str()
            ));
        }
    }
    if let Some(want) = &e.vehicle {
        let got = o.vehicle.as_deref().unwrap_or("none");
        if want != got {
            failures.push(format!("expected vehicle \"{want}\", got \"{got}\""));
        }
    }
    if let Some(want) = &e.downgraded_from {
        let got = o.downgraded_from.map_or("none", Handler::as_str);
        if want != got {
            failures.push(format!(
                "expected downgraded_from \"{want}\", got \"{got}\""
            ));
        }
    }
    if let Some(want) = &e.price {
        let got = match &s.transcript.severity {
            Some(sev) if o.handler.partner_works_on_it() => {
                eval::price_for(r, &o.kind, sev).map(|p| p.item.id.as_str())
            }
            _ => None,
        }
        .unwrap_or("none");
        if want != got {
            failures.push(format!("expected price \"{want}\", got \"{got}\""));
        }
    }
    if let Some(want) = &e.deadline {
        let Some(sev) = &s.transcript.severity else {
            failures.push("a deadline is expected but transcript.severity is not set".into());
            return;
        };
        let Some(at) = s.submitted_at.as_deref().and_then(parse_instant) else {
            failures
                .push("a deadline is expected but submitted_at is missing or not RFC 3339".into());
            return;
        };
        let Some(want_at) = parse_instant(want) else {
            failures.push(format!("expected deadline \"{want}\" is not RFC 3339"));
            return;
        };
        let zone = match &s.customer_time_zone {
            Some(z) => match Zone::named(z) {
                Some(z) => z,
                None => {
                    failures.push(format!("unknown customer time zone \"{z}\""));
                    return;
                }
            },
            None => Zone::utc(),
        };
        match hours::first_response(r, o.handler, sev, at, &zone) {
            Ok(d) if d.due.utc == want_at => {}
            Ok(d) => failures.push(format!(
                "expected deadline {}, got {} ({} partner time, {} customer time)",
                want_at.to_rfc3339(),
                d.due.utc.to_rfc3339(),
                d.due.partner.local,
                d.due.customer.local
            )),
            Err(err) => failures.push(format!("no deadline: {err}")),
        }
    }
}

/// Parses an RFC 3339 instant.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn short(step: &Step) -> String {
    match step {
        Step::ChooseProduct { .. } => "a product choice".into(),
        Step::ChooseKind { .. } => "a kind choice".into(),
        Step::Ask { node } => format!("a question \"{node}\""),
        Step::Resolved { node } => format!("resolved at \"{node}\""),
        Step::Outcome(o) => format!("outcome by rule \"{}\"", o.rule),
    }
}
