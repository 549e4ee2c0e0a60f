//! `frontline`: the partner admin's command.
//!
//! What it is for: checking a ruleset before publishing it, running
//! partner-written scenarios with coverage, explaining a decision, verifying a
//! submitted request on the partner's server, printing the ruleset's JSON
//! Schema, and benchmarking the core natively. Native only.
//!
//! What it is not: a server or a ticketing tool. All decisions come from
//! `frontline-core`; this crate only reads files and prints.
//!
//! Exit codes: 0 ok, 1 problems found (errors, failed scenarios,
//! differences), 2 a file cannot be read or is not what was expected.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use frontline_core::{
    evaluate, hours, load_with_report, scenario, verify, HashScheme, Level, Outcome, Request,
    Ruleset, Step, Transcript, Zone,
};
use serde_json::json;

/// Check, test, explain and verify Frontline rulesets.
#[derive(Parser)]
#[command(name = "frontline", version, about, long_about = None)]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a ruleset: every problem with its JSON path (exit 1 on errors; warnings keep exit 0).
    Check {
        /// The ruleset JSON file.
        ruleset: PathBuf,
        /// Check as on this day (`2027-01-05`, or an RFC 3339 instant),
        /// for the date-dependent checks (holidays that run out); default
        /// today, in the partner's time zone.
        #[arg(long)]
        at: Option<String>,
    },
    /// Run partner-written scenarios and report outcome-path coverage.
    Test {
        /// The ruleset JSON file.
        ruleset: PathBuf,
        /// The scenarios JSON file (`frontline.scenarios/v1`).
        scenarios: PathBuf,
    },
    /// Show the decision for a set of answers, and why.
    Explain {
        /// The ruleset JSON file.
        ruleset: PathBuf,
        /// Answers: `product=m365,kind=technical,m365-health=none,...`
        /// (`severity=A` too), a transcript as JSON, or `@file.json`.
        #[arg(long)]
        answers: String,
        /// Submission instant (RFC 3339) to compute the first-response deadline.
        #[arg(long)]
        at: Option<String>,
        /// The customer's IANA time zone for the deadline (default UTC).
        #[arg(long, default_value = "UTC")]
        tz: String,
        /// Language of the customer-facing texts.
        #[arg(long)]
        lang: Option<String>,
    },
    /// Re-evaluate a submitted request's transcript and compare decisions.
    Verify {
        /// The ruleset JSON file.
        ruleset: PathBuf,
        /// The request JSON: `{"transcript", "outcome", "ruleset": {"id","version","hash"}}`.
        request: PathBuf,
    },
    /// Print the JSON Schema of rulesets (generated from the types).
    Schema {
        /// Print the schema of requests (`frontline.request/v1`) instead.
        #[arg(long)]
        request: bool,
    },
    /// Time evaluation and loading on generated rulesets (build with --release).
    Bench {
        /// Diagnosis nodes in the evaluation benchmark.
        #[arg(long, default_value_t = 5000)]
        nodes: usize,
        /// Size in bytes of the ruleset in the load benchmark.
        #[arg(long, default_value_t = 1_000_000)]
        bytes: usize,
        /// Repetitions of each measurement.
        #[arg(long, default_value_t = 50)]
        iterations: usize,
        /// Only write the generated `--nodes` ruleset to PATH (for the
        /// browser benchmarks, e2e/bench/step.mjs), without timing anything.
        #[arg(long, value_name = "PATH")]
        write_ruleset: Option<PathBuf>,
    },
}

/// A failure that ends the command with an exit code.
struct Fail(u8, String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { ruleset, at } => check(&ruleset, at.as_deref(), cli.json),
        Command::Test { ruleset, scenarios } => test(&ruleset, &scenarios, cli.json),
        Command::Explain {
            ruleset,
            answers,
            at,
            tz,
            lang,
        } => explain(
            &ruleset,
            &answers,
            at.as_deref(),
            &tz,
            lang.as_deref(),
            cli.json,
        ),
        Command::Verify { ruleset, request } => verify_cmd(&ruleset, &request, cli.json),
        Command::Schema { request } => {
            if request {
                print!("{}", frontline_core::request::request_schema());
            } else {
                print!("{}", frontline_core::schema::ruleset_schema());
            }
            Ok(0)
        }
        Command::Bench {
            nodes,
            write_ruleset: Some(path),
            ..
        } => write_bench_ruleset(nodes, &path, cli.json),
        Command::Bench {
            nodes,
            bytes,
            iterations,
            write_ruleset: None,
        } => bench(nodes, bytes, iterations.max(1), cli.json),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Fail(code, msg)) => {
            eprintln!("frontline: {msg}");
            ExitCode::from(code)
        }
    }
}

fn read(path: &Path) -> Result<String, Fail> {
    std::fs::read_to_string(path).map_err(|e| {
        Fail(
            2,
            format!(
                "cannot read {}: {e}; check the path and permissions",
                path.display()
            ),
        )
    })
}

fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// Loads a ruleset; on errors prints them and fails with exit 1.
fn load_ruleset(path: &Path, json_out: bool) -> Result<Ruleset, Fail> {
    let text = read(path)?;
    let (ruleset, report) = load_with_report(&text);
    match ruleset {
        Some(r) if !report.has_errors() => Ok(r),
        _ => {
            if json_out {
                print_json(&json!({"ok": false, "problems": report.problems}));
            } else {
                eprint!("{}", report_text(path, &report));
            }
            Err(Fail(
                1,
                format!(
                    "{} has errors: fix them, then run `frontline check` again",
                    path.display()
                ),
            ))
        }
    }
}

fn report_text(path: &Path, report: &frontline_core::Report) -> String {
    let mut s = String::new();
    for p in &report.problems {
        s.push_str(&format!("{}: {p}\n", path.display()));
    }
    s
}

/// Today in the partner's zone, or the day `--at` names.
fn check_day(r: &Ruleset, at: Option<&str>) -> Result<chrono::NaiveDate, Fail> {
    let zone = hours::partner_zone(r);
    match at {
        None => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let now = chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(0), 0)
                .unwrap_or_default();
            Ok(zone.to_local(now).date())
        }
        Some(s) => hours::parse_date(s)
            .or_else(|| scenario::parse_instant(s).map(|t| zone.to_local(t).date()))
            .ok_or_else(|| {
                Fail(
                    2,
                    format!("--at \"{s}\" is not a day like 2027-01-05 or an RFC 3339 instant like 2027-01-05T09:00:00Z"),
                )
            }),
    }
}

fn check(path: &Path, at: Option<&str>, json_out: bool) -> Result<u8, Fail> {
    let text = read(path)?;
    let (ruleset, mut report) = load_with_report(&text);
    if let Some(r) = &ruleset {
        frontline_core::validate_on(r, check_day(r, at)?, &mut report);
    }
    let errors = report.errors().count();
    let warnings = report.warnings().count();
    if json_out {
        print_json(&json!({
            "ok": errors == 0,
            "errors": errors,
            "warnings": warnings,
            "hash": ruleset.as_ref().map(|r| r.hash().to_string()),
            "problems": report.problems,
        }));
    } else {
        print!("{}", report_text(path, &report));
        match (&ruleset, errors) {
            (Some(r), 0) => println!(
                "{}: ok: ruleset \"{}\" version {} ({} warning(s)), sha256 {}",
                path.display(),
                r.id,
                r.version,
                warnings,
                r.hash()
            ),
            _ => println!(
                "{}: {errors} error(s), {warnings} warning(s): fix the errors and run `frontline check` again",
                path.display()
            ),
        }
    }
    Ok(if errors == 0 { 0 } else { 1 })
}

fn test(ruleset: &Path, scenarios: &Path, json_out: bool) -> Result<u8, Fail> {
    let r = load_ruleset(ruleset, json_out)?;
    let file = scenario::parse(&read(scenarios)?)
        .map_err(|e| Fail(2, format!("{}: {e}", scenarios.display())))?;
    let report = scenario::run(&r, &file);
    let c = &report.coverage;
    if json_out {
        print_json(&serde_json::to_value(&report).unwrap_or_default());
    } else {
        for res in &report.results {
            println!("{} {}", if res.passed { "ok  " } else { "FAIL" }, res.name);
            for f in &res.failures {
                println!("       {f}");
            }
        }
        println!(
            "coverage: {}/{} outcome paths, {}/{} rules",
            c.paths_covered, c.paths_total, c.rules_covered, c.rules_total
        );
        for p in &c.uncovered_paths {
            println!("  uncovered path: {p}");
        }
        for p in &c.uncovered_rules {
            println!("  uncovered rule: {p}");
        }
        println!("{} passed, {} failed", report.passed(), report.failed());
    }
    Ok(if report.failed() == 0 { 0 } else { 1 })
}

fn parse_answers(spec: &str) -> Result<Transcript, Fail> {
    let spec = spec.trim();
    let text = match spec.strip_prefix('@') {
        Some(path) => read(Path::new(path))?,
        None => spec.to_string(),
    };
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(&text).map_err(|e| {
            Fail(
                2,
                format!("the answers are not a valid transcript: {e}; expected {{\"product\",\"kind\",\"answers\":[{{\"node\",\"answer\"}}]}}"),
            )
        });
    }
    let mut t = Transcript::default();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(Fail(
                2,
                format!("\"{pair}\" is not key=value; write e.g. product=m365,kind=technical,m365-health=none"),
            ));
        };
        match k.trim() {
            "product" => t.product = Some(v.trim().into()),
            "kind" => t.kind = Some(v.trim().into()),
            "severity" => t.severity = Some(v.trim().into()),
            node => t = t.answer(node, v.trim()),
        }
    }
    Ok(t)
}

fn explain(
    path: &Path,
    answers: &str,
    at: Option<&str>,
    tz: &str,
    lang: Option<&str>,
    json_out: bool,
) -> Result<u8, Fail> {
    let r = load_ruleset(path, json_out)?;
    let t = parse_answers(answers)?;
    let lang = lang.unwrap_or(&r.default_language).to_string();
    let step = match evaluate(&r, &t) {
        Ok(s) => s,
        Err(e) => {
            if json_out {
                print_json(&json!({"ok": false, "error": e}));
            }
            return Err(Fail(1, format!("the answers do not fit this ruleset: {e}")));
        }
    };
    let customer = Zone::named(tz).ok_or_else(|| {
        Fail(
            2,
            format!("unknown time zone \"{tz}\"; use an IANA name like Europe/Paris"),
        )
    })?;
    let submitted = match at {
        Some(s) => Some(scenario::parse_instant(s).ok_or_else(|| {
            Fail(
                2,
                format!("\"{s}\" is not an RFC 3339 instant like 2025-03-28T17:30:00Z"),
            )
        })?),
        None => None,
    };
    let deadline = match (&step, &t.severity, submitted) {
        (Step::Outcome(o), Some(sev), Some(at)) if o.handler.partner_works_on_it() => Some(
            hours::first_response(&r, o.handler, sev, at, &customer)
                .map_err(|e| Fail(1, e.to_string()))?,
        ),
        _ => None,
    };
    if json_out {
        print_json(&json!({"ok": true, "step": step, "deadline": deadline}));
        return Ok(0);
    }
    let d = &r.default_language;
    println!("ruleset {} {} (sha256 {})", r.id, r.version, r.hash());
    match &step {
        Step::ChooseProduct { products } => {
            println!("next: choose a product: {}", products.join(", "))
        }
        Step::ChooseKind { product, kinds } => {
            println!(
                "next: choose a kind of problem for {product}: {}",
                kinds.join(", ")
            )
        }
        Step::Ask { node } => println!(
            "next: answer node \"{node}\"{}",
            describe_node(&r, node, &lang)
        ),
        Step::Resolved { node } => {
            println!("resolved: self-help step \"{node}\" fixed it; nothing to send")
        }
        Step::Outcome(o) => print_outcome(&r, o, &lang, d),
    }
    if let Some(dl) = deadline {
        println!(
            "first response due: {} ({}) = {} {} partner time ({}) = {} {} customer time ({})",
            dl.due.utc.to_rfc3339(),
            match dl.clock {
                hours::Clock::BusinessHours => format!("{} business minutes", dl.minutes),
                hours::Clock::RoundTheClock => format!("{} minutes, 24x7", dl.minutes),
            },
            dl.due.partner.weekday,
            dl.due.partner.local,
            dl.due.partner.zone,
            dl.due.customer.weekday,
            dl.due.customer.local,
            dl.due.customer.zone
        );
    }
    Ok(0)
}

fn describe_node(r: &Ruleset, id: &str, lang: &str) -> String {
    use frontline_core::Node;
    let d = &r.default_language;
    match r.node(id) {
        Some(Node::Question(q)) => {
            let answers: Vec<String> = q
                .answers
                .iter()
                .map(|a| format!("{} ({})", a.id, a.label.get(lang, d)))
                .collect();
            format!(
                ": {}\n  answers: {}",
                q.text.get(lang, d),
                answers.join(", ")
            )
        }
        Some(Node::Step(s)) => format!(
            ": self-help \"{}\"\n  answers: fixed, still_broken",
            s.title.get(lang, d)
        ),
        Some(Node::Info(i)) => format!(
            ": information \"{}\"\n  answers: continue",
            i.title.get(lang, d)
        ),
        _ => String::new(),
    }
}

fn print_outcome(r: &Ruleset, o: &Outcome, lang: &str, d: &str) {
    println!(
        "outcome: {}{} (rule \"{}\", end \"{}\")",
        o.handler.as_str(),
        o.vehicle
            .as_deref()
            .map(|v| format!(" via {v}"))
            .unwrap_or_default(),
        o.rule,
        o.end
    );
    if let Some(from) = o.downgraded_from {
        println!(
            "  downgraded from {}: no {} vehicle is available to {}, so the partner keeps it",
            from.as_str(),
            if from == frontline_core::Handler::VendorCommercial {
                "commercial"
            } else {
                "technical"
            },
            r.partner.name
        );
    }
    println!("  why: {}", o.explanation(r).get(lang, d));
    println!("  source: {}", o.source);
    if !o.severities.is_empty() {
        println!("  severities allowed: {}", o.severities.join(", "));
    }
    if let Some(c) = &o.contact {
        println!(
            "  contact: {}{}",
            c.name,
            c.url
                .as_deref()
                .map(|u| format!(" <{u}>"))
                .unwrap_or_default()
        );
    }
    if let Some(sev) = &o.severity {
        match frontline_core::price_for(r, &o.kind, sev) {
            Some(p) => println!(
                "  price at severity {sev}: {} {:?}{} — {}",
                p.item.id,
                p.item.model,
                p.item
                    .amount_minor
                    .map(|a| match p.currency {
                        Some(c) => format!(
                            " {} {c}",
                            frontline_core::money::amount(a, c).unwrap_or_else(|| a.to_string())
                        ),
                        None => format!(" {a} (minor units)"),
                    })
                    .unwrap_or_default(),
                p.item.note.get(lang, d)
            ),
            None => println!("  price at severity {sev}: none"),
        }
    }
    println!("trace:");
    for e in &o.trace {
        let mark = match e.matched {
            Some(true) => "yes",
            Some(false) => "no ",
            None => "   ",
        };
        println!("  {mark} {:?} {}: {}", e.kind, e.id, e.detail);
        if let (Some(true), Some(s)) = (e.matched, &e.source) {
            println!("        source: {s}");
        }
    }
}

fn verify_cmd(ruleset: &Path, request: &Path, json_out: bool) -> Result<u8, Fail> {
    let r = load_ruleset(ruleset, json_out)?;
    let text = read(request)?;
    let req: Request = serde_json::from_str(&text).map_err(|e| {
        Fail(
            2,
            format!(
                "{} is not a request: {e}; expected {{\"transcript\", \"outcome\": {{\"rule\",\"handler\",\"vehicle\",\"end\"}}, \"ruleset\": {{\"id\",\"version\",\"hash\"}}}}",
                request.display()
            ),
        )
    })?;
    let v = verify(&r, &req);
    if json_out {
        print_json(&serde_json::to_value(&v).unwrap_or_default());
        return Ok(if v.matches { 0 } else { 1 });
    }
    if v.matches {
        println!(
            "matches: the recorded decision is what ruleset {} {} decides{}",
            r.id,
            r.version,
            req.outcome
                .downgraded_from
                .map(|h| format!(
                    " (downgraded from {}: no vehicle for it, the partner keeps it)",
                    h.as_str()
                ))
                .unwrap_or_default()
        );
    } else {
        println!("differs:");
        for d in &v.differences {
            println!(
                "  {}: recorded {:?}, recomputed {:?}",
                d.field, d.recorded, d.recomputed
            );
        }
    }
    match v.hash_scheme {
        Some(HashScheme::Jcs) => println!("ruleset hash: RFC 8785 (JCS)"),
        Some(HashScheme::Legacy) => println!(
            "ruleset hash: legacy (the canonical form before RFC 8785: a request made by an older portal); today's is {}",
            r.hash()
        ),
        None => {}
    }
    Ok(if v.matches { 0 } else { 1 })
}

fn stats(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let min = samples.first().copied().unwrap_or(0.0);
    let max = samples.last().copied().unwrap_or(0.0);
    let median = samples.get(samples.len() / 2).copied().unwrap_or(0.0);
    (median, min, max)
}

/// `frontline bench --write-ruleset PATH`: the generated `nodes`-node ruleset
/// (the one the evaluation benchmark times), checked, written to PATH.
fn write_bench_ruleset(nodes: usize, path: &Path, json_out: bool) -> Result<u8, Fail> {
    let text = frontline_core::bench::generate(nodes);
    frontline_core::load(&text)
        .map_err(|e| Fail(1, format!("generated ruleset is invalid: {e}")))?;
    std::fs::write(path, &text).map_err(|e| Fail(2, format!("{}: {e}", path.display())))?;
    if json_out {
        print_json(
            &json!({"written": path.display().to_string(), "nodes": nodes, "bytes": text.len()}),
        );
    } else {
        println!(
            "{}: {nodes}-node ruleset, {} bytes",
            path.display(),
            text.len()
        );
    }
    Ok(0)
}

fn bench(nodes: usize, bytes: usize, iterations: usize, json_out: bool) -> Result<u8, Fail> {
    use frontline_core::bench;
    let small = bench::generate(nodes);
    let r = frontline_core::load(&small)
        .map_err(|e| Fail(1, format!("generated ruleset is invalid: {e}")))?;
    let t = bench::deep_transcript(nodes);
    let mut eval_samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        let step = evaluate(&r, &t);
        eval_samples.push(start.elapsed().as_secs_f64() * 1e6);
        if !matches!(step, Ok(Step::Outcome(_))) {
            return Err(Fail(
                1,
                "the benchmark transcript did not reach an outcome".into(),
            ));
        }
    }
    let big = bench::generate_bytes(bytes);
    let mut load_samples = Vec::with_capacity(iterations);
    for _ in 0..iterations.min(20) {
        let start = Instant::now();
        let (loaded, report) = load_with_report(&big);
        load_samples.push(start.elapsed().as_secs_f64() * 1e3);
        if loaded.is_none() || report.problems.iter().any(|p| p.severity == Level::Error) {
            return Err(Fail(1, "the generated 1 MB ruleset did not load".into()));
        }
    }
    let (em, emin, emax) = stats(eval_samples);
    let (lm, lmin, lmax) = stats(load_samples);
    if json_out {
        print_json(&json!({
            "evaluate": {"nodes": nodes, "depth": t.answers.len(), "median_us": em, "min_us": emin, "max_us": emax},
            "load": {"bytes": big.len(), "median_ms": lm, "min_ms": lmin, "max_ms": lmax},
        }));
    } else {
        println!(
            "evaluate (one step, {nodes} nodes, {} answers): median {em:.1} µs, min {emin:.1} µs, max {emax:.1} µs",
            t.answers.len()
        );
        println!(
            "load + validate ({} bytes): median {lm:.1} ms, min {lmin:.1} ms, max {lmax:.1} ms",
            big.len()
        );
    }
    Ok(0)
}
