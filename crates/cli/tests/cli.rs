//! Runs the built `frontline` binary: exit codes and output.

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_frontline");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn default_rules() -> String {
    root()
        .join("public/rules/default.json")
        .display()
        .to_string()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(BIN)
        .args(args)
        .output()
        .expect("run frontline");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn temp_file(name: &str, content: &str) -> String {
    let path = std::env::temp_dir().join(format!("frontline-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

#[test]
fn check_accepts_the_default_ruleset() {
    let (code, out, _) = run(&["check", &default_rules()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok: ruleset \"northwind-cloud-default\""),
        "{out}"
    );
    assert!(out.contains("(0 warning(s))"), "{out}");
}

#[test]
fn check_reports_every_error_and_exits_1() {
    let broken = std::fs::read_to_string(default_rules())
        .unwrap()
        .replace("\"Europe/Paris\"", "\"Europe/Pariss\"")
        .replace("\"csp_model\"", "\"colour\": 1, \"csp_model\"");
    let path = temp_file("broken.json", &broken);
    let (code, out, _) = run(&["check", &path]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error: $.hours.time_zone: \"Europe/Pariss\" is not an IANA time zone"),
        "{out}"
    );
    assert!(
        out.contains("error: $.partner.colour: unknown field \"colour\""),
        "{out}"
    );
    assert!(out.contains("2 error(s), 0 warning(s)"), "{out}");
}

#[test]
fn check_prints_warnings_but_exits_0() {
    let warned = std::fs::read_to_string(default_rules())
        .unwrap()
        .replace("\"fr\": \"Facturation\"", "\"de\": \"Abrechnung\"");
    let path = temp_file("warned.json", &warned);
    let (code, out, _) = run(&["check", &path]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("warning: $.kinds[0].name: missing \"fr\" translation"),
        "{out}"
    );
}

#[test]
fn check_exits_2_when_the_file_cannot_be_read() {
    let (code, _, err) = run(&["check", "/nonexistent/rules.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /nonexistent/rules.json"), "{err}");
}

#[test]
fn check_speaks_json() {
    let (code, out, _) = run(&["--json", "check", &default_rules()]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["errors"], 0);
    assert_eq!(v["hash"].as_str().unwrap().len(), 64);
}

#[test]
fn test_runs_the_shipped_scenarios_with_full_coverage() {
    let scenarios = root()
        .join("public/rules/default.scenarios.json")
        .display()
        .to_string();
    let (code, out, _) = run(&["test", &default_rules(), &scenarios]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("coverage: 42/42 outcome paths, 8/8 rules"),
        "{out}"
    );
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

#[test]
fn test_fails_on_a_wrong_expectation() {
    let scenarios = std::fs::read_to_string(root().join("public/rules/default.scenarios.json"))
        .unwrap()
        .replacen("\"vehicle\": \"signature\"", "\"vehicle\": \"premier\"", 1);
    let path = temp_file("scenarios.json", &scenarios);
    let (code, out, _) = run(&["test", &default_rules(), &path]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("expected vehicle \"premier\", got \"signature\""),
        "{out}"
    );
}

#[test]
fn explain_shows_the_decision_and_its_trace() {
    let (code, out, _) = run(&[
        "explain",
        &default_rules(),
        "--answers",
        "product=m365,kind=billing,billing-what=dispute,severity=B",
        "--at",
        "2025-12-22T09:00:00Z",
        "--tz",
        "America/New_York",
        "--lang",
        "fr",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("outcome: vendor_commercial via commercial (rule \"billing-dispute\""),
        "{out}"
    );
    assert!(
        out.contains("why: Les contestations de facturation"),
        "{out}"
    );
    assert!(out.contains("yes Rule billing-dispute"), "{out}");
    assert!(
        out.contains("first response due: 2025-12-23T09:00:00+00:00"),
        "{out}"
    );
    assert!(
        out.contains("tue 2025-12-23 04:00:00 customer time (America/New_York)"),
        "{out}"
    );
}

#[test]
fn explain_rejects_answers_that_do_not_fit() {
    let (code, _, err) = run(&[
        "explain",
        &default_rules(),
        "--answers",
        "product=m365,kind=quota",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("kind \"quota\" is not offered for \"m365\""),
        "{err}"
    );
}

fn request_json(tamper: bool) -> String {
    let r = frontline_core::load(&std::fs::read_to_string(default_rules()).unwrap()).unwrap();
    let t =
        frontline_core::Transcript::new("azure", "technical").answer("azure-health", "incident");
    let frontline_core::Step::Outcome(o) = frontline_core::evaluate(&r, &t).unwrap() else {
        panic!("no outcome")
    };
    let mut req = frontline_core::Request {
        transcript: t,
        outcome: frontline_core::Decision::from(o.as_ref()),
        ruleset: r.reference(),
    };
    if tamper {
        req.outcome.handler = frontline_core::Handler::Partner;
    }
    serde_json::to_string(&req).unwrap()
}

#[test]
fn verify_accepts_a_genuine_request_and_rejects_a_tampered_one() {
    let good = temp_file("good-request.json", &request_json(false));
    let (code, out, _) = run(&["verify", &default_rules(), &good]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("matches"), "{out}");
    let bad = temp_file("bad-request.json", &request_json(true));
    let (code, out, _) = run(&["verify", &default_rules(), &bad]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("outcome.handler: recorded \"partner\", recomputed \"vendor_technical\""),
        "{out}"
    );
    let junk = temp_file("junk-request.json", "{\"nope\": 1}");
    let (code, _, err) = run(&["verify", &default_rules(), &junk]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a request"), "{err}");
}

#[test]
fn verify_names_the_hash_a_request_carries_and_accepts_the_legacy_one() {
    // A ruleset whose two canonical forms differ (`2.0` is `2` in RFC 8785).
    let mut rules: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(default_rules()).unwrap()).unwrap();
    let when = rules["rules"][0]["when"].take();
    rules["rules"][0]["when"] = serde_json::json!({"and": [when, {"!=": [2.0, 1e20]}]});
    let rules_text = serde_json::to_string_pretty(&rules).unwrap();
    let rules_path = temp_file("floats-rules.json", &rules_text);
    let r = frontline_core::load(&rules_text).unwrap();
    assert_ne!(r.hash(), r.legacy_hash());
    let t =
        frontline_core::Transcript::new("azure", "technical").answer("azure-health", "incident");
    let frontline_core::Step::Outcome(o) = frontline_core::evaluate(&r, &t).unwrap() else {
        panic!("no outcome")
    };
    let mut req = frontline_core::Request {
        transcript: t,
        outcome: frontline_core::Decision::from(o.as_ref()),
        ruleset: r.reference(),
    };
    let now = temp_file("jcs-request.json", &serde_json::to_string(&req).unwrap());
    let (code, out, _) = run(&["verify", &rules_path, &now]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ruleset hash: RFC 8785 (JCS)"), "{out}");

    req.ruleset.hash = r.legacy_hash();
    let old = temp_file("legacy-request.json", &serde_json::to_string(&req).unwrap());
    let (code, out, _) = run(&["verify", &rules_path, &old]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("matches"), "{out}");
    assert!(out.contains("ruleset hash: legacy"), "{out}");
    assert!(out.contains(r.hash()), "names today's hash: {out}");
    let (code, out, _) = run(&["--json", "verify", &rules_path, &old]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["hash_scheme"], "legacy", "{out}");
    assert_eq!(v["matches"], true, "{out}");
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let (code, out, _) = run(&["schema"]);
    assert_eq!(code, 0);
    let committed =
        std::fs::read_to_string(root().join("public/schema/ruleset.schema.json")).unwrap();
    assert!(
        out == committed,
        "public/schema/ruleset.schema.json is stale: run `cargo run -p frontline-cli -- schema > public/schema/ruleset.schema.json`"
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["additionalProperties"], false);
}

#[test]
fn bench_runs_on_small_inputs() {
    let (code, out, _) = run(&[
        "bench",
        "--nodes",
        "200",
        "--bytes",
        "20000",
        "--iterations",
        "3",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("evaluate (one step, 200 nodes"), "{out}");
    assert!(out.contains("load + validate ("), "{out}");
}

#[test]
fn bench_writes_the_generated_ruleset_which_checks_clean() {
    let path =
        std::env::temp_dir().join(format!("frontline-cli-{}-bench.json", std::process::id()));
    let path = path.display().to_string();
    let (code, out, err) = run(&["bench", "--nodes", "300", "--write-ruleset", &path]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("300-node ruleset"), "{out}");
    let text = std::fs::read_to_string(&path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["nodes"].as_array().map(Vec::len), Some(300));
    let (code, out, _) = run(&["check", &path]);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = run(&["bench", "--write-ruleset", "/nonexistent-dir/x.json"]);
    assert_eq!(code, 2, "{err}");
    std::fs::remove_file(&path).ok();
}

#[test]
fn help_lists_the_commands() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    for cmd in ["check", "test", "explain", "verify", "schema", "bench"] {
        assert!(out.contains(cmd), "{out}");
    }
}

#[test]
fn explain_skips_the_holidays_of_years_to_come() {
    // (submitted, first response due in the partner's time) for a severity
    // B how-to (240 business minutes) sent an hour before closing.
    for (at, due) in [
        (
            "2026-12-31T16:00:00Z",
            "mon 2027-01-04 11:00:00 partner time",
        ), // New Year 2027
        (
            "2030-04-19T15:00:00Z",
            "tue 2030-04-23 11:00:00 partner time",
        ), // Easter Monday 2030
        (
            "2035-12-24T16:00:00Z",
            "wed 2035-12-26 11:00:00 partner time",
        ), // Christmas 2035
    ] {
        let (code, out, _) = run(&[
            "explain",
            &default_rules(),
            "--answers",
            "product=m365,kind=subscription,subscription-what=change,severity=B",
            "--at",
            at,
        ]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(due), "{at}: {out}");
    }
}

#[test]
fn check_warns_on_a_calendar_that_ran_out_on_the_day_given() {
    let dated = std::fs::read_to_string(default_rules()).unwrap().replace(
        r#""01-01",
      "easter+1",
      "05-01",
      "05-08",
      "easter+39",
      "easter+50",
      "07-14",
      "08-15",
      "11-01",
      "11-11",
      "12-25""#,
        r#""2026-01-01", "2026-04-06", "2026-12-25""#,
    );
    assert!(
        dated.contains("\"2026-04-06\""),
        "the default ruleset's holidays moved"
    );
    let path = temp_file("dated.json", &dated);
    let (code, out, _) = run(&["check", &path, "--at", "2027-01-05"]);
    assert_eq!(code, 0, "a warning keeps exit 0: {out}");
    assert!(
        out.contains("warning: $.hours.holidays: holidays stop at 2026-12-25: deadlines after that ignore holidays"),
        "{out}"
    );
    assert!(out.contains("(1 warning(s))"), "{out}");
    let (_, out, _) = run(&["check", &path, "--at", "2026-06-01T10:00:00Z"]);
    assert!(
        out.contains("(0 warning(s))"),
        "still ahead in June 2026: {out}"
    );
    let (code, _, err) = run(&["check", &path, "--at", "next year"]);
    assert_eq!(code, 2);
    assert!(err.contains("--at \"next year\" is not a day"), "{err}");
    // The recurring calendar shipped never runs out.
    let (_, out, _) = run(&["check", &default_rules(), "--at", "2099-12-31"]);
    assert!(out.contains("(0 warning(s))"), "{out}");
}

#[test]
fn explain_writes_prices_with_the_currency_s_minor_digits() {
    for (currency, price) in [
        ("EUR", "critical-incident PerIncident 250.00 EUR"),
        ("JPY", "critical-incident PerIncident 25000 JPY"),
        ("KWD", "critical-incident PerIncident 25.000 KWD"),
    ] {
        let rules = std::fs::read_to_string(default_rules()).unwrap().replace(
            "\"currency\": \"EUR\"",
            &format!("\"currency\": \"{currency}\""),
        );
        let path = temp_file(&format!("{currency}.json"), &rules);
        let (code, out, _) = run(&[
            "explain",
            &path,
            "--answers",
            "product=m365,kind=technical,m365-health=none,m365-symptom=bug,severity=A",
        ]);
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(&format!("price at severity A: {price}")),
            "{out}"
        );
    }
}

/// The default ruleset for a partner with no competency and no contract.
fn plain_partner_rules() -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(default_rules()).unwrap()).unwrap();
    v["partner"]["competencies"] = serde_json::json!([]);
    v["partner"]["contracts"] = serde_json::json!([]);
    temp_file("plain-partner.json", &v.to_string())
}

#[test]
fn explain_and_verify_say_when_no_vehicle_made_the_partner_keep_it() {
    let rules = plain_partner_rules();
    let (code, out, _) = run(&[
        "explain",
        &rules,
        "--answers",
        "product=m365,kind=technical,m365-health=incident",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("outcome: partner (rule \"service-issue\""),
        "{out}"
    );
    assert!(
        out.contains("downgraded from vendor_technical: no technical vehicle is available to Northwind Cloud Services"),
        "{out}"
    );
    assert!(
        out.contains("why: Northwind Cloud Services handles this request itself"),
        "{out}"
    );
    assert!(
        !out.contains("escalates it to Microsoft"),
        "the rule's rationale leaked: {out}"
    );

    let r = frontline_core::load(&std::fs::read_to_string(&rules).unwrap()).unwrap();
    let t = frontline_core::Transcript::new("m365", "technical").answer("m365-health", "incident");
    let frontline_core::Step::Outcome(o) = frontline_core::evaluate(&r, &t).unwrap() else {
        panic!("no outcome")
    };
    let mut req = frontline_core::Request {
        transcript: t,
        outcome: frontline_core::Decision::from(o.as_ref()),
        ruleset: r.reference(),
    };
    let genuine = temp_file(
        "downgraded-request.json",
        &serde_json::to_string(&req).unwrap(),
    );
    let (code, out, _) = run(&["verify", &rules, &genuine]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("(downgraded from vendor_technical: no vehicle for it, the partner keeps it)"),
        "{out}"
    );
    req.outcome.downgraded_from = None;
    let hidden = temp_file(
        "hidden-downgrade.json",
        &serde_json::to_string(&req).unwrap(),
    );
    let (code, out, _) = run(&["verify", &rules, &hidden]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("outcome.downgraded_from: recorded \"none\", recomputed \"vendor_technical\""),
        "{out}"
    );
}
