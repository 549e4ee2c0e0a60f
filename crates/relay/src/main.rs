//! `frontline-relay`: the reference intake server on loopback.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use frontline_relay::{serve, AppState, Config};

const USAGE: &str = "\
usage: frontline-relay [--port N] [--db PATH] [--ruleset PATH] [--allow-origin ORIGIN]...
                        [--max-body-bytes N] [--enable-faults]

Receives the support requests a Frontline portal sends (frontline.request/v1
JSON) on http://127.0.0.1:N/ (loopback only) and keeps them in SQLite.

  POST /intake      store a request (Idempotency-Key header required);
                    answers 201 {\"id\", \"reference\": \"FL-000123\"}
  GET  /requests    what arrived, newest first (HTML; /requests.json for JSON),
                    behind a login: the password (any user name) or a Bearer
                    token is FRONTLINE_ADMIN_TOKEN; unset, the listing is off
  GET  /health      {\"status\": \"ok\"}

Options:
  --port N             port to listen on (default 8081; 0 picks a free one)
  --db PATH            SQLite file, created with its folder if missing
                       (default .frontline/intake.sqlite3 under the current
                       folder; :memory: keeps nothing after exit)
  --ruleset PATH       the partner's ruleset JSON: each request's decision is
                       re-checked against it and a mismatch is shown in the
                       listing (requests are accepted either way)
  --allow-origin O     let pages from origin O (like https://support.example.com)
                       send requests from the browser (CORS); repeatable
  --max-body-bytes N   refuse larger bodies with 413 (default 262144, the
                       largest valid request)
  --enable-faults      serve /_faults to inject failures (tests only; never in
                       front of real customers)

It prints one line once it listens:
  listening http://127.0.0.1:N/
and stops on Ctrl-C.";

#[derive(Debug)]
struct Options {
    port: u16,
    db: Option<PathBuf>,
    ruleset: Option<PathBuf>,
    origins: Vec<String>,
    max_body: usize,
    faults: bool,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut o = Options {
        port: 8081,
        db: Some(PathBuf::from(".frontline/intake.sqlite3")),
        ruleset: None,
        origins: Vec::new(),
        max_body: frontline_core::MAX_REQUEST_BYTES,
        faults: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                let v = value("--port")?;
                o.port = v
                    .parse()
                    .map_err(|_| format!("\"{v}\" is not a port number (0-65535)"))?;
            }
            "--db" => {
                let v = value("--db")?;
                o.db = (v != ":memory:").then(|| PathBuf::from(v));
            }
            "--ruleset" => o.ruleset = Some(PathBuf::from(value("--ruleset")?)),
            "--allow-origin" => o.origins.push(value("--allow-origin")?),
            "--max-body-bytes" => {
                let v = value("--max-body-bytes")?;
                o.max_body = v.parse().ok().filter(|n| *n > 0).ok_or(format!(
                    "--max-body-bytes wants a positive whole number, not \"{v}\""
                ))?;
            }
            "--enable-faults" => o.faults = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument \"{other}\"")),
        }
    }
    Ok(o)
}

async fn run(o: Options) -> Result<(), String> {
    let ruleset = o
        .ruleset
        .as_deref()
        .map(|path| frontline_relay::cli::load_ruleset(path, str::to_owned))
        .transpose()?;
    let state = AppState::new(Config {
        db_path: o.db,
        ruleset,
        allowed_origins: o.origins,
        max_body_bytes: o.max_body,
        faults_enabled: o.faults,
        admin_token: frontline_relay::cli::admin_token_from_env(),
    })?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, o.port));
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!("port {} on 127.0.0.1 is already in use: stop whatever uses it or pass another --port", o.port)
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
        assert_eq!(o.port, 8081);
        assert_eq!(o.db, Some(PathBuf::from(".frontline/intake.sqlite3")));
        assert!(!o.faults && o.origins.is_empty() && o.ruleset.is_none());
        let o = parse(args(&[
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
        assert_eq!(o.db, None);
        assert_eq!(o.origins, vec!["http://a:1", "http://b:2"]);
        assert!(o.faults);
        assert_eq!(o.port, 0);
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
