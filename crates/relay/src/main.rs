//! `frontline-relay`: the reference intake server on loopback.

use std::path::PathBuf;
use std::process::ExitCode;

use frontline_relay::config::{self, Loaded};
use frontline_relay::{serve, AppState};

const USAGE: &str = "\
usage: frontline-relay [serve] [--config FILE] [--port N] [--db DATABASE] [--ruleset PATH]
                       [--allow-origin ORIGIN]... [--max-body-bytes N] [--enable-faults]
       frontline-relay check-config [--config FILE]
       frontline-relay purge [--config FILE]
       frontline-relay erase REFERENCE [--config FILE]

Receives the support requests a Frontline portal sends (frontline.request/v1
JSON), re-checks their decision, stores them, and forwards each exactly once
to the help desks, webhooks and mailboxes the configuration names.

  POST /intake        store a request (Idempotency-Key header required);
                      answers 201 {\"id\", \"reference\": \"FL-000123\"}
  GET  /admin         requests, their forwards, dead letters with retry,
                      search by reference; behind a login: the password (any
                      user name) or a Bearer token is the admin token
  GET  /requests.json the same as JSON
  GET  /metrics       Prometheus text format
  GET  /health        {\"status\": \"ok\"}

The configuration is one TOML file (docs/relay.md): --config FILE, else
frontline-relay.toml in the current folder when there is one, else the
defaults (127.0.0.1:8081, sqlite:.frontline/relay.sqlite3, no destination:
requests are stored only). The options override the file:
  --port N             port to listen on (0 picks a free one)
  --db DATABASE        sqlite:PATH, a bare PATH, :memory:, or postgres://…
  --ruleset PATH       the partner's ruleset JSON: each decision is re-checked
  --allow-origin O     let pages from origin O send from the browser (CORS);
                       repeatable
  --max-body-bytes N   refuse larger bodies with 413
  --enable-faults      serve /_faults to inject failures (tests only)

check-config reads the file and the secrets it names and lists every
problem with its path (destinations.desk.api_key: …); exit status 1 if any.
purge removes now the personal data past [retention] purge_after_days (the
server also does it every hour); erase removes one request's personal data
(FL-000123 or its id) and cancels its forwards not yet made.

It prints one line once it listens:
  listening http://ADDRESS/
and stops on Ctrl-C.";

#[derive(Debug, Default)]
struct Options {
    command: Command,
    config: Option<PathBuf>,
    port: Option<u16>,
    db: Option<String>,
    ruleset: Option<PathBuf>,
    origins: Vec<String>,
    max_body: Option<usize>,
    faults: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum Command {
    #[default]
    Serve,
    CheckConfig,
    Purge,
    Erase(String),
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut o = Options::default();
    let mut args = args.into_iter().peekable();
    match args.peek().map(String::as_str) {
        Some("serve") => {
            args.next();
        }
        Some("check-config") => {
            args.next();
            o.command = Command::CheckConfig;
        }
        Some("purge") => {
            args.next();
            o.command = Command::Purge;
        }
        Some("erase") => {
            args.next();
            match args.next() {
                Some(r) if !r.starts_with('-') => o.command = Command::Erase(r),
                _ => return Err("erase needs the reference of a request: erase FL-000123".into()),
            }
        }
        _ => {}
    }
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--config" => o.config = Some(PathBuf::from(value("--config")?)),
            "--port" => {
                let v = value("--port")?;
                o.port = Some(
                    v.parse()
                        .map_err(|_| format!("\"{v}\" is not a port number (0-65535)"))?,
                );
            }
            "--db" => o.db = Some(value("--db")?),
            "--ruleset" => o.ruleset = Some(PathBuf::from(value("--ruleset")?)),
            "--allow-origin" => o.origins.push(value("--allow-origin")?),
            "--max-body-bytes" => {
                let v = value("--max-body-bytes")?;
                o.max_body = Some(v.parse().ok().filter(|n| *n > 0).ok_or(format!(
                    "--max-body-bytes wants a positive whole number, not \"{v}\""
                ))?);
            }
            "--enable-faults" => o.faults = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument \"{other}\"")),
        }
    }
    if o.command != Command::Serve && (o.port.is_some() || o.faults) {
        return Err("--port and --enable-faults are for serve only".into());
    }
    Ok(o)
}

/// The configuration: the file (or the defaults), then the options.
fn configure(o: &Options) -> Result<Loaded, String> {
    let env = |name: &str| std::env::var(name).ok();
    let default = PathBuf::from("frontline-relay.toml");
    let path = o
        .config
        .clone()
        .or_else(|| default.is_file().then_some(default));
    let mut loaded = match &path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                format!(
                    "cannot read the configuration {}: {e}; check the --config path",
                    p.display()
                )
            })?;
            config::load_file(&text, p, &env)
        }
        None => {
            let file: config::RelayFile = toml::from_str("").map_err(|e| e.to_string())?;
            config::build(file, std::path::Path::new("."), &env)
        }
    }
    .map_err(|problems| {
        let mut m = format!(
            "the configuration {} has {} problem(s):",
            path.as_deref()
                .map_or("(defaults)".into(), |p| p.display().to_string()),
            problems.len()
        );
        for p in problems {
            m.push_str(&format!("\n  {p}"));
        }
        m
    })?;
    let c = &mut loaded.config;
    if let Some(port) = o.port {
        loaded.listen.set_port(port);
    }
    if let Some(db) = &o.db {
        c.database = if db == ":memory:" || db.contains(':') {
            db.clone()
        } else {
            format!("sqlite:{db}")
        };
    }
    if let Some(r) = &o.ruleset {
        c.ruleset = Some(frontline_relay::cli::load_ruleset(r, str::to_owned)?);
    }
    c.allowed_origins.extend(o.origins.iter().cloned());
    if let Some(n) = o.max_body {
        c.max_body_bytes = n;
    }
    c.faults_enabled = o.faults;
    frontline_relay::parse_origins(&c.allowed_origins)?;
    Ok(loaded)
}

async fn run(o: Options) -> Result<(), String> {
    let loaded = configure(&o)?;
    if o.command == Command::CheckConfig {
        let c = &loaded.config;
        println!(
            "the configuration is valid: listen {}, database {}, {} destination(s){}",
            loaded.listen,
            c.database
                .split_once('@')
                .map_or(c.database.as_str(), |(_, host)| host),
            c.destinations.len(),
            if c.destinations.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    c.destinations
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        return Ok(());
    }
    let addr = loaded.listen;
    let state = AppState::new(loaded.config).await?;
    match &o.command {
        Command::Purge => {
            let n = state.purge_now().await.map_err(|e| e.to_string())?;
            println!("purged the personal data of {n} request(s)");
            return Ok(());
        }
        Command::Erase(reference) => {
            return if state.erase(reference).await.map_err(|e| e.to_string())? {
                println!("erased the personal data of {reference}; its forwards not yet made are cancelled");
                Ok(())
            } else {
                Err(format!("no request {reference}"))
            };
        }
        _ => {}
    }
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!("{addr} is already in use: stop whatever uses it or pass another --port")
        } else {
            format!("cannot listen on {addr}: {e}")
        }
    })?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening http://{local}/");
    if o.faults {
        eprintln!("frontline-relay: fault injection is ON (/_faults); for tests only");
    }
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    serve(listener, state, stop)
        .await
        .map_err(|e| format!("the server failed: {e}"))
}

fn main() -> ExitCode {
    frontline_relay::cli::main_with("frontline-relay", USAGE, parse, run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_and_flags() {
        let o = parse(args(&[])).unwrap();
        assert_eq!(o.command, Command::Serve);
        assert!(o.port.is_none() && o.db.is_none() && !o.faults && o.origins.is_empty());
        let o = parse(args(&[
            "serve",
            "--db",
            ":memory:",
            "--allow-origin",
            "http://a:1",
            "--allow-origin",
            "http://b:2",
            "--enable-faults",
            "--port",
            "0",
        ]))
        .unwrap();
        assert_eq!(o.db.as_deref(), Some(":memory:"));
        assert_eq!(o.origins, vec!["http://a:1", "http://b:2"]);
        assert!(o.faults);
        assert_eq!(o.port, Some(0));
        let o = parse(args(&["check-config", "--config", "x.toml"])).unwrap();
        assert_eq!(o.command, Command::CheckConfig);
        assert_eq!(o.config, Some(PathBuf::from("x.toml")));
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        assert_eq!(
            parse(args(&["--port", "x"])).unwrap_err(),
            "\"x\" is not a port number (0-65535)"
        );
        assert_eq!(parse(args(&["--db"])).unwrap_err(), "--db needs a value");
        assert_eq!(
            parse(args(&["--nope"])).unwrap_err(),
            "unknown argument \"--nope\""
        );
        assert!(parse(args(&["--help"])).unwrap_err().is_empty());
        assert!(parse(args(&["--max-body-bytes", "0"])).is_err());
        assert!(parse(args(&["check-config", "--port", "1"])).is_err());
        assert_eq!(
            parse(args(&["erase", "FL-000012"])).unwrap().command,
            Command::Erase("FL-000012".into())
        );
        assert!(parse(args(&["erase"]))
            .unwrap_err()
            .contains("erase FL-000123"));
        assert_eq!(parse(args(&["purge"])).unwrap().command, Command::Purge);
    }

    #[test]
    fn a_broken_ruleset_is_reported_with_its_path() {
        let dir = std::env::temp_dir().join(format!("frontline-relay-main-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bad.json");
        std::fs::write(&p, "{}").unwrap();
        let e = frontline_relay::cli::load_ruleset(&p, str::to_owned).unwrap_err();
        assert!(e.contains("has errors"), "{e}");
        let e = frontline_relay::cli::load_ruleset(&dir.join("missing.json"), str::to_owned)
            .unwrap_err();
        assert!(e.contains("check the --ruleset path"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
