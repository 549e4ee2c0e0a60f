//! `frontline-dev`: serves the built portal (`dist/`) and the relay (the
//! `frontline-relay` library) as its intake on loopback, in one process, so
//! the run and test commands have one thing to start and one thing to stop.
//!
//! Not for production: a partner serves the static files from its own site
//! and runs `frontline-relay` (docs/relay.md).
//!
//! The intake it runs keeps requests in SQLite (`--db`), re-checks each
//! decision against the ruleset the portal uses (`--ruleset`), lets the
//! portal's own origin send to it (CORS), and injects faults on demand with
//! `--enable-faults` (see `frontline_relay::faults`).
//!
//! With `--relay-config FILE` (a `frontline-relay.toml`, see
//! `docs/relay.md`) it also forwards each request: the file's destinations,
//! `[forward]` policy, `on_mismatch`, `max_body_bytes` and
//! `[abuse.proof_of_work]` are used, and its secrets read from the
//! environment, as the relay does. `make run` points
//! it at a fake help desk this way (`scripts/relay-demo.toml`).
//!
//! The default ruleset names `http://127.0.0.1:8081/intake` as its intake.
//! When the intake gets another port (port 0 in tests, another
//! `FRONTLINE_INTAKE_PORT`), JSON files under `/rules/` are served with that
//! literal origin replaced by the intake's real one, and the ruleset used
//! for verification gets the same replacement, so its content hash matches
//! the one the browser computes from what it was served.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

const USAGE: &str = "\
usage: frontline-dev [--site DIR] [--port N] [--intake-port N] [--db PATH] [--ruleset PATH]
                     [--allow-origin ORIGIN]... [--relay-config FILE] [--enable-faults]
                     [--exit-after SECS] [--exit-on-stdin-eof]

Serves the built portal from DIR (default: dist) on http://127.0.0.1:N/
(default 8080) and the relay as its intake on http://127.0.0.1:M/
(default 8081). Port 0 picks a free port. Once both listen it prints one line:
  ready portal=http://127.0.0.1:N/ intake=http://127.0.0.1:M/
It stops on Ctrl-C, after --exit-after seconds, or when its standard input
closes if --exit-on-stdin-eof is given (so a test harness never leaves it behind).

The intake keeps requests in --db (default .frontline/dev-intake.sqlite3;
:memory: keeps nothing), re-checks them against --ruleset (default
public/rules/default.json; skipped with a warning if that default is
missing), accepts requests from the portal's origin and from each
--allow-origin (a partner page on another origin that embeds the portal),
and with --enable-faults serves /_faults for tests. What arrived: /admin
on the intake, behind a login with FRONTLINE_ADMIN_TOKEN as the password.

--relay-config FILE forwards each request as frontline-relay does: the
file's [destinations.*], [forward], on_mismatch, max_body_bytes and
[abuse.proof_of_work] (GET /challenge, Frontline-Pow on each request) are
used, and the secrets they name read from the environment (docs/relay.md).
Its listen, database, ruleset, allowed_origins, admin_token and the rest of
[abuse] are ignored: the options above decide those, and the intake keeps
the relay library's lenient limits. Without it, requests are stored only.

JSON files under /rules/ are served with http://127.0.0.1:8081
replaced by the intake's real origin. Every file is served with
Access-Control-Allow-Origin: * so pages on any origin can embed the portal.";

/// The intake origin the default ruleset names (replaced when serving).
const DEFAULT_INTAKE_ORIGIN: &str = "http://127.0.0.1:8081";

#[derive(Debug)]
struct Options {
    site: PathBuf,
    port: u16,
    intake_port: u16,
    exit_after: Option<Duration>,
    exit_on_stdin_eof: bool,
    /// `None`: in memory.
    db: Option<PathBuf>,
    ruleset: PathBuf,
    /// Whether `--ruleset` was given (a missing default is only a warning).
    ruleset_given: bool,
    faults: bool,
    /// More origins the intake accepts requests from (embedding pages).
    allow_origins: Vec<String>,
    /// Opens the intake's listing (from `FRONTLINE_ADMIN_TOKEN`).
    admin_token: Option<String>,
    /// A relay configuration file whose destinations the intake forwards to.
    relay_config: Option<PathBuf>,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        site: PathBuf::from("dist"),
        port: 8080,
        intake_port: 8081,
        exit_after: None,
        exit_on_stdin_eof: false,
        db: Some(PathBuf::from(".frontline/dev-intake.sqlite3")),
        ruleset: PathBuf::from("public/rules/default.json"),
        ruleset_given: false,
        faults: false,
        allow_origins: Vec::new(),
        admin_token: frontline_relay::cli::admin_token_from_env(),
        relay_config: None,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--site" => options.site = PathBuf::from(value("--site")?),
            "--port" => options.port = port(&value("--port")?)?,
            "--intake-port" => options.intake_port = port(&value("--intake-port")?)?,
            "--exit-after" => {
                let secs = value("--exit-after")?;
                let secs: u64 = secs
                    .parse()
                    .map_err(|_| format!("--exit-after wants whole seconds, not \"{secs}\""))?;
                options.exit_after = Some(Duration::from_secs(secs));
            }
            "--exit-on-stdin-eof" => options.exit_on_stdin_eof = true,
            "--db" => {
                let db = value("--db")?;
                options.db = (db != ":memory:").then(|| PathBuf::from(db));
            }
            "--ruleset" => {
                options.ruleset = PathBuf::from(value("--ruleset")?);
                options.ruleset_given = true;
            }
            "--enable-faults" => options.faults = true,
            "--allow-origin" => options.allow_origins.push(value("--allow-origin")?),
            "--relay-config" => {
                options.relay_config = Some(PathBuf::from(value("--relay-config")?));
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument \"{other}\"")),
        }
    }
    Ok(options)
}

fn port(text: &str) -> Result<u16, String> {
    text.parse()
        .map_err(|_| format!("\"{text}\" is not a port number (0-65535)"))
}

async fn bind(port: u16, what: &str) -> Result<TcpListener, String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!(
                "port {port} on 127.0.0.1 is already in use, so the {what} cannot start: \
                 stop whatever uses it (`ss -ltnp 'sport = :{port}'` shows it) or choose another port"
            )
        } else {
            format!("cannot listen on {addr} for the {what}: {e}")
        }
    })
}

/// The strict Content-Security-Policy the portal is served under: no inline
/// script or style, no third party; only the intake origin besides itself.
fn content_security_policy(intake_origin: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         connect-src 'self' {intake_origin}; img-src 'self' data:; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
    )
}

/// Replaces the default ruleset's intake origin with the real one.
fn rewrite_intake_origin(text: &str, intake_origin: &str) -> String {
    text.replace(DEFAULT_INTAKE_ORIGIN, intake_origin)
}

/// Serves `/rules/*.json` with the intake origin rewritten; anything else
/// under `/rules/` as a plain file.
async fn rules_file(site: PathBuf, intake_origin: String, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let relative = path.trim_start_matches('/');
    let safe = !relative.is_empty()
        && relative
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'));
    if !safe || !relative.ends_with(".json") {
        return match ServeDir::new(site).oneshot(request).await {
            Ok(r) => r.into_response(),
            Err(never) => match never {},
        };
    }
    match tokio::fs::read_to_string(site.join(relative)).await {
        Ok(text) => (
            [(header::CONTENT_TYPE, "application/json")],
            rewrite_intake_origin(&text, &intake_origin),
        )
            .into_response(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => StatusCode::NOT_FOUND.into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read {path}: {e}"),
        )
            .into_response(),
    }
}

fn site_router(site: PathBuf, intake_origin: &str) -> Result<Router, String> {
    let csp = HeaderValue::from_str(&content_security_policy(intake_origin))
        .map_err(|e| format!("invalid Content-Security-Policy header: {e}"))?;
    let rules = {
        let site = site.clone();
        let origin = intake_origin.to_string();
        move |request: Request<Body>| rules_file(site.clone(), origin.clone(), request)
    };
    // Hashed assets could be cached forever, but a dev server favours
    // always-fresh files over speed. Public files, no credentials: any page
    // may fetch them, which is what embedding from another origin needs (the
    // module script, the wasm, the CSS and the ruleset are CORS fetches,
    // checked against their integrity hashes).
    Ok(Router::new()
        .route("/rules/{*file}", get(rules))
        .fallback_service(ServeDir::new(site).append_index_html_on_directories(true))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        )))
}

/// What the intake takes from a relay configuration file: where requests
/// are forwarded, and how.
struct Forwarding {
    destinations: Vec<(
        String,
        std::sync::Arc<dyn frontline_relay::forward::Destination>,
    )>,
    forward: frontline_relay::worker::Policy,
    on_mismatch: frontline_relay::OnMismatch,
    max_body_bytes: usize,
    /// `[abuse.proof_of_work]`, resolved: each request must carry a solution.
    pow: Option<frontline_relay::abuse::Pow>,
}

/// Reads and checks the relay configuration at `path` (`--relay-config`),
/// with `env` for the secrets it names. Every problem is listed with its
/// path in the file.
fn load_relay_config(
    path: &std::path::Path,
    env: frontline_relay::forward::Env<'_>,
) -> Result<Forwarding, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read the relay configuration {}: {e}; check the --relay-config path",
            path.display()
        )
    })?;
    let loaded = frontline_relay::config::load_file(&text, path, env).map_err(|problems| {
        let mut m = format!(
            "the relay configuration {} has {} problem(s):",
            path.display(),
            problems.len()
        );
        for p in problems {
            m.push_str(&format!("\n  {p}"));
        }
        m
    })?;
    let c = loaded.config;
    Ok(Forwarding {
        destinations: c.destinations,
        forward: c.forward,
        on_mismatch: c.on_mismatch,
        max_body_bytes: c.max_body_bytes,
        pow: c.pow,
    })
}

/// The intake's state: database, ruleset (rewritten like the served one),
/// CORS for the portal's origin, faults, and the destinations of
/// `forwarding`, if any.
async fn intake_state(
    options: &Options,
    portal_port: u16,
    intake_origin: &str,
    forwarding: Option<Forwarding>,
) -> Result<frontline_relay::AppState, String> {
    // The default ruleset may be missing (a bare `dist/`): then only a warning.
    let ruleset = if options.ruleset_given || options.ruleset.is_file() {
        Some(frontline_relay::cli::load_ruleset(
            &options.ruleset,
            |text| rewrite_intake_origin(text, intake_origin),
        )?)
    } else {
        eprintln!(
            "frontline-dev: {} not found: the intake will store requests without re-checking their decisions (pass --ruleset)",
            options.ruleset.display()
        );
        None
    };
    let defaults = frontline_relay::Config::default();
    let forwarding = forwarding.unwrap_or(Forwarding {
        destinations: Vec::new(),
        forward: defaults.forward.clone(),
        on_mismatch: defaults.on_mismatch,
        max_body_bytes: frontline_core::MAX_REQUEST_BYTES,
        pow: None,
    });
    frontline_relay::AppState::new(frontline_relay::Config {
        database: options
            .db
            .as_ref()
            .map_or(":memory:".into(), |p| format!("sqlite:{}", p.display())),
        ruleset,
        allowed_origins: [
            format!("http://127.0.0.1:{portal_port}"),
            format!("http://localhost:{portal_port}"),
        ]
        .into_iter()
        .chain(options.allow_origins.iter().cloned())
        .collect(),
        max_body_bytes: forwarding.max_body_bytes,
        faults_enabled: options.faults,
        admin_token: options.admin_token.clone(),
        on_mismatch: forwarding.on_mismatch,
        destinations: forwarding.destinations,
        forward: forwarding.forward,
        pow: forwarding.pow,
        ..defaults
    })
    .await
}

async fn shutdown_signal(options_exit_after: Option<Duration>, exit_on_stdin_eof: bool) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let timer = async {
        match options_exit_after {
            Some(after) => tokio::time::sleep(after).await,
            None => std::future::pending().await,
        }
    };
    let stdin_eof = async {
        if !exit_on_stdin_eof {
            return std::future::pending().await;
        }
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 256];
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        () = ctrl_c => {},
        () = timer => eprintln!("frontline-dev: --exit-after elapsed, stopping"),
        () = stdin_eof => {},
    }
}

async fn serve(options: Options) -> Result<(), String> {
    if !options.site.join("index.html").is_file() {
        return Err(format!(
            "{} has no index.html: build the portal first (`make run` does it)",
            options.site.display()
        ));
    }
    // Read before binding: a bad file is reported before anything listens.
    let env = |name: &str| std::env::var(name).ok();
    let forwarding = match &options.relay_config {
        Some(path) => Some(load_relay_config(path, &env)?),
        None => None,
    };
    let site = bind(options.port, "portal").await?;
    let intake = bind(options.intake_port, "intake server").await?;
    let site_addr = site.local_addr().map_err(|e| e.to_string())?;
    let intake_addr = intake.local_addr().map_err(|e| e.to_string())?;

    let intake_origin = format!("http://{intake_addr}");
    let names: Vec<String> = forwarding
        .iter()
        .flat_map(|f| f.destinations.iter().map(|(n, _)| n.clone()))
        .collect();
    let state = intake_state(&options, site_addr.port(), &intake_origin, forwarding).await?;
    if !names.is_empty() {
        eprintln!(
            "frontline-dev: forwarding each request to {}",
            names.join(", ")
        );
    }
    println!("ready portal=http://{site_addr}/ intake=http://{intake_addr}/");

    let stop = shutdown_signal(options.exit_after, options.exit_on_stdin_eof);
    let site_server = axum::serve(site, site_router(options.site, &intake_origin)?);
    let intake_server = frontline_relay::serve(intake, state, std::future::pending());
    tokio::select! {
        result = site_server => result.map_err(|e| format!("portal server failed: {e}")),
        result = intake_server => result.map_err(|e| format!("intake server failed: {e}")),
        () = stop => Ok(()),
    }
}

fn main() -> ExitCode {
    frontline_relay::cli::main_with("frontline-dev", USAGE, parse, serve)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_are_the_documented_ports() {
        let o = parse(args(&[])).unwrap();
        assert_eq!(
            (o.port, o.intake_port, o.site),
            (8080, 8081, PathBuf::from("dist"))
        );
        assert!(o.exit_after.is_none() && !o.exit_on_stdin_eof);
    }

    #[test]
    fn allow_origin_adds_embedding_pages_to_the_intake() {
        let o = parse(args(&[
            "--allow-origin",
            "http://127.0.0.1:9000",
            "--allow-origin",
            "http://localhost:9000",
        ]))
        .unwrap();
        assert_eq!(
            o.allow_origins,
            vec!["http://127.0.0.1:9000", "http://localhost:9000"]
        );
        assert_eq!(
            parse(args(&["--allow-origin"])).unwrap_err(),
            "--allow-origin needs a value"
        );
    }

    #[tokio::test]
    async fn every_file_may_be_fetched_from_another_origin() {
        let site = temp_site("cors");
        let app = site_router(site.clone(), "http://127.0.0.1:45678").unwrap();
        for path in ["/index.html", "/rules/default.json", "/rules/notes.txt"] {
            let (status, h, _) = fetch(&app, path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(h["access-control-allow-origin"], "*", "{path}");
        }
        let _ = std::fs::remove_dir_all(site);
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        assert_eq!(
            parse(args(&["--port", "http"])).unwrap_err(),
            "\"http\" is not a port number (0-65535)"
        );
        assert_eq!(
            parse(args(&["--port"])).unwrap_err(),
            "--port needs a value"
        );
        assert_eq!(
            parse(args(&["--colour"])).unwrap_err(),
            "unknown argument \"--colour\""
        );
    }

    #[test]
    fn the_policy_allows_no_inline_code_and_only_the_intake_origin() {
        let csp = content_security_policy("http://127.0.0.1:9");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{csp}"
        );
        assert!(csp.contains("style-src 'self';"), "{csp}");
        assert!(
            csp.contains("connect-src 'self' http://127.0.0.1:9;"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
    }

    #[test]
    fn intake_flags_have_dev_defaults() {
        let o = parse(args(&[])).unwrap();
        assert_eq!(o.db, Some(PathBuf::from(".frontline/dev-intake.sqlite3")));
        assert_eq!(o.ruleset, PathBuf::from("public/rules/default.json"));
        assert!(!o.ruleset_given && !o.faults);
        let o = parse(args(&[
            "--db",
            ":memory:",
            "--ruleset",
            "r.json",
            "--enable-faults",
        ]))
        .unwrap();
        assert_eq!(o.db, None);
        assert_eq!(o.ruleset, PathBuf::from("r.json"));
        assert!(o.ruleset_given && o.faults);
    }

    fn temp_site(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("frontline-dev-{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("rules")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><title>x</title>").unwrap();
        std::fs::write(
            dir.join("rules/default.json"),
            include_str!("../../../public/rules/default.json"),
        )
        .unwrap();
        std::fs::write(dir.join("rules/notes.txt"), "http://127.0.0.1:8081 stays").unwrap();
        dir
    }

    async fn fetch(app: &Router, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        use http_body_util::BodyExt;
        let res = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn rules_json_points_at_the_real_intake_origin() {
        let site = temp_site("rules");
        let app = site_router(site.clone(), "http://127.0.0.1:45678").unwrap();
        let (status, h, body) = fetch(&app, "/rules/default.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h["content-type"], "application/json");
        assert!(h.contains_key("content-security-policy"));
        assert!(
            body.contains("\"url\": \"http://127.0.0.1:45678/intake\""),
            "{body}"
        );
        assert!(!body.contains("127.0.0.1:8081"));
        // Other files are served as they are; traversal is refused.
        let (status, _, body) = fetch(&app, "/rules/notes.txt").await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "http://127.0.0.1:8081 stays")
        );
        let (status, _, _) = fetch(&app, "/rules/missing.json").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, body) = fetch(&app, "/rules/..%2Findex.html").await;
        assert_ne!(status, StatusCode::OK, "{body}");
        let (status, _, body) = fetch(&app, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("<title>x</title>"));
        let _ = std::fs::remove_dir_all(site);
    }

    #[tokio::test]
    async fn the_intake_verifies_against_the_rewritten_ruleset() {
        let site = temp_site("verify");
        let mut o = parse(args(&["--db", ":memory:", "--enable-faults"])).unwrap();
        o.ruleset = site.join("rules/default.json");
        o.admin_token = Some("a-test-token-0123456789".into());
        let origin = "http://127.0.0.1:45679";
        let state = intake_state(&o, 45000, origin, None).await.unwrap();
        let served = site_router(site.clone(), origin).unwrap();
        let (_, _, text) = fetch(&served, "/rules/default.json").await;
        let browser_rules = frontline_core::load(&text).unwrap();

        // A request decided with what the browser was served verifies.
        let rules_in_browser = browser_rules.clone();
        let t =
            frontline_core::Transcript::new("m365", "billing").answer("billing-what", "dispute");
        let frontline_core::Step::Outcome(out) =
            frontline_core::evaluate(&rules_in_browser, &t).unwrap()
        else {
            panic!("expected an outcome")
        };
        let mut req = frontline_core::request::Request::example();
        req.problem.product = "m365".into();
        req.problem.kind = "billing".into();
        req.problem.severity = Some(out.severities[0].clone());
        req.diagnosis = vec![frontline_core::request::DiagnosisStep {
            node: "billing-what".into(),
            answer: "dispute".into(),
            at: "2025-03-28T17:29:00Z".into(),
            question: String::new(),
            answer_label: String::new(),
        }];
        req.outcome = frontline_core::request::RequestOutcome::from(out.as_ref());
        let intake = frontline_relay::router(state);
        let post = Request::post("/intake")
            .header("content-type", "application/json")
            .header("idempotency-key", req.id.as_str())
            .header("origin", "http://127.0.0.1:45000")
            .body(Body::from(serde_json::to_string(&req).unwrap()))
            .unwrap();
        let res = intake.clone().oneshot(post).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(
            res.headers()["access-control-allow-origin"],
            "http://127.0.0.1:45000"
        );
        let listing = Request::get("/requests.json")
            .header("authorization", "Bearer a-test-token-0123456789")
            .body(Body::empty())
            .unwrap();
        let res = intake.clone().oneshot(listing).await.unwrap();
        let list = http_body_util::BodyExt::collect(res.into_body())
            .await
            .unwrap()
            .to_bytes();
        let list = String::from_utf8_lossy(&list);
        let list: serde_json::Value = serde_json::from_str(&list).unwrap();
        assert_eq!(
            list["requests"][0]["verification"]["matches"], true,
            "{list}"
        );
        // Faults were passed through.
        let (status, _, _) = fetch(&intake, "/_faults").await;
        assert_eq!(status, StatusCode::OK);
        let _ = std::fs::remove_dir_all(site);
    }

    #[tokio::test]
    async fn a_missing_ruleset_is_an_error_only_when_asked_for() {
        let mut o = parse(args(&["--db", ":memory:"])).unwrap();
        o.ruleset = PathBuf::from("/nonexistent/default.json");
        assert!(intake_state(&o, 1, "http://127.0.0.1:2", None)
            .await
            .is_ok());
        o.ruleset_given = true;
        let e = intake_state(&o, 1, "http://127.0.0.1:2", None)
            .await
            .err()
            .unwrap();
        assert!(e.contains("check the --ruleset path"), "{e}");
    }

    #[test]
    fn relay_config_is_an_option_with_a_value() {
        assert!(parse(args(&[])).unwrap().relay_config.is_none());
        let o = parse(args(&["--relay-config", "scripts/relay-demo.toml"])).unwrap();
        assert_eq!(
            o.relay_config,
            Some(PathBuf::from("scripts/relay-demo.toml"))
        );
        assert_eq!(
            parse(args(&["--relay-config"])).unwrap_err(),
            "--relay-config needs a value"
        );
    }

    /// The committed demo configuration, as `make run` uses it.
    fn demo_config() -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/relay-demo.toml"
        ))
    }

    fn demo_env(name: &str) -> Option<String> {
        (name == "FRONTLINE_DEMO_DESK_KEY").then(|| "fake-freshdesk-api-key".to_string())
    }

    #[test]
    fn a_bad_relay_config_is_reported_with_its_path_and_problems() {
        let dir = std::env::temp_dir().join(format!("frontline-dev-relay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.toml");
        let e = load_relay_config(&missing, &demo_env).err().unwrap();
        assert!(
            e.starts_with(&format!(
                "cannot read the relay configuration {}",
                missing.display()
            )),
            "{e}"
        );
        assert!(e.ends_with("check the --relay-config path"), "{e}");

        let typo = dir.join("typo.toml");
        std::fs::write(&typo, "[forward]\nbackof_base_ms = 1\n").unwrap();
        let e = load_relay_config(&typo, &demo_env).err().unwrap();
        assert!(e.contains("has 1 problem(s):"), "{e}");
        assert!(
            e.contains("\n  forward.backof_base_ms: unknown field `backof_base_ms`"),
            "{e}"
        );

        // The demo file without its secret names the variable to set.
        let e = load_relay_config(&demo_config(), &|_| None).err().unwrap();
        assert!(
            e.contains("destinations.demo.api_key: the environment variable FRONTLINE_DEMO_DESK_KEY is not set"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_demo_config_forwards_requests_to_the_fake_desk() {
        use frontline_fakedesk::{Desk, FakeDesk};
        let desk = FakeDesk::start(Desk::Freshdesk).await.unwrap();
        // The demo file, pointed at this test's fake (run.sh does the same
        // for another FRONTLINE_DESK_PORT).
        let dir = std::env::temp_dir().join(format!("frontline-dev-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("relay-demo.toml");
        let text = std::fs::read_to_string(demo_config())
            .unwrap()
            .replace("http://127.0.0.1:8082", &desk.url());
        std::fs::write(&config, text).unwrap();
        let forwarding = load_relay_config(&config, &demo_env).unwrap();
        assert_eq!(forwarding.destinations.len(), 1);
        assert_eq!(forwarding.destinations[0].0, "demo");
        assert_eq!(forwarding.forward.backoff_base, Duration::from_millis(500));

        let mut o = parse(args(&["--db", ":memory:"])).unwrap();
        o.ruleset = PathBuf::from("/nonexistent/default.json");
        let state = intake_state(&o, 45000, "http://127.0.0.1:45001", Some(forwarding))
            .await
            .unwrap();
        let stop = std::sync::Arc::new(tokio::sync::Notify::new());
        let forwarder = tokio::spawn(state.forwarder().run(stop.clone()));
        let req = frontline_core::request::Request::example();
        let post = Request::post("/intake")
            .header("content-type", "application/json")
            .header("idempotency-key", req.id.as_str())
            .body(Body::from(serde_json::to_string(&req).unwrap()))
            .unwrap();
        let res = frontline_relay::router(state).oneshot(post).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let mut tickets = Vec::new();
        for _ in 0..100 {
            tickets = desk.tickets_for(&req.id);
            if !tickets.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(tickets.len(), 1, "the fake desk got no ticket");
        assert_eq!(tickets[0].subject, req.problem.title);
        stop.notify_one();
        let _ = forwarder.await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_relay_config_with_a_proof_of_work_makes_the_intake_ask_one() {
        let dir = std::env::temp_dir().join(format!("frontline-dev-pow-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("pow.toml");
        std::fs::write(
            &config,
            "[abuse.proof_of_work]\nsecret = { env = \"POW_SECRET\" }\ncost = 50\n",
        )
        .unwrap();
        let env = |name: &str| (name == "POW_SECRET").then(|| "0123456789abcdef0123".to_string());
        let forwarding = load_relay_config(&config, &env).unwrap();
        assert_eq!(forwarding.pow.as_ref().map(|p| p.cost), Some(50));
        let e = load_relay_config(&config, &|_| None).err().unwrap();
        assert!(e.contains("abuse.proof_of_work.secret"), "{e}");

        let mut o = parse(args(&["--db", ":memory:"])).unwrap();
        o.ruleset = PathBuf::from("/nonexistent/default.json");
        let state = intake_state(&o, 45000, "http://127.0.0.1:45001", Some(forwarding))
            .await
            .unwrap();
        let app = frontline_relay::router(state);
        let get = Request::get("/challenge").body(Body::empty()).unwrap();
        let res = app.clone().oneshot(get).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        let challenge = frontline_core::pow::Challenge::parse(std::str::from_utf8(&body).unwrap());
        assert_eq!(challenge.map(|c| c.cost), Ok(50));
        // Without a solution: 429, to be tried again.
        let req = frontline_core::request::Request::example();
        let post = Request::post("/intake")
            .header("content-type", "application/json")
            .header("idempotency-key", req.id.as_str())
            .body(Body::from(serde_json::to_string(&req).unwrap()))
            .unwrap();
        let res = app.oneshot(post).await.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()["retry-after"], "1");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_taken_port_is_reported_in_one_clear_line() {
        let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = taken.local_addr().unwrap().port();
        let message = bind(port, "portal").await.unwrap_err();
        assert!(
            message.starts_with(&format!("port {port} on 127.0.0.1 is already in use")),
            "{message}"
        );
        assert!(!message.contains('\n'));
    }
}
