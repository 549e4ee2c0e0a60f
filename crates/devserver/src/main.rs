//! `frontline-dev`: serves the built portal (`dist/`) and the reference intake
//! server on loopback, in one process, so the run and test commands have one
//! thing to start and one thing to stop.
//!
//! Not for production: a partner serves the static files from its own site
//! and runs its own intake.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::Router;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

const USAGE: &str = "\
usage: frontline-dev [--site DIR] [--port N] [--intake-port N] [--exit-after SECS] [--exit-on-stdin-eof]

Serves the built portal from DIR (default: dist) on http://127.0.0.1:N/
(default 8080) and the reference intake server on http://127.0.0.1:M/
(default 8081). Port 0 picks a free port. Once both listen it prints one line:
  ready portal=http://127.0.0.1:N/ intake=http://127.0.0.1:M/
It stops on Ctrl-C, after --exit-after seconds, or when its standard input
closes if --exit-on-stdin-eof is given (so a test harness never leaves it behind).";

#[derive(Debug)]
struct Options {
    site: PathBuf,
    port: u16,
    intake_port: u16,
    exit_after: Option<Duration>,
    exit_on_stdin_eof: bool,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        site: PathBuf::from("dist"),
        port: 8080,
        intake_port: 8081,
        exit_after: None,
        exit_on_stdin_eof: false,
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

fn site_router(site: PathBuf, intake_origin: &str) -> Result<Router, String> {
    let csp = HeaderValue::from_str(&content_security_policy(intake_origin))
        .map_err(|e| format!("invalid Content-Security-Policy header: {e}"))?;
    // Hashed assets could be cached forever, but a dev server favours
    // always-fresh files over speed.
    Ok(Router::new()
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
        )))
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
    let site = bind(options.port, "portal").await?;
    let intake = bind(options.intake_port, "intake server").await?;
    let site_addr = site.local_addr().map_err(|e| e.to_string())?;
    let intake_addr = intake.local_addr().map_err(|e| e.to_string())?;
    println!("ready portal=http://{site_addr}/ intake=http://{intake_addr}/");

    let stop = shutdown_signal(options.exit_after, options.exit_on_stdin_eof);
    let site_server = axum::serve(
        site,
        site_router(options.site, &format!("http://{intake_addr}"))?,
    );
    let intake_server = axum::serve(intake, frontline_intake::router());
    tokio::select! {
        result = site_server => result.map_err(|e| format!("portal server failed: {e}")),
        result = intake_server => result.map_err(|e| format!("intake server failed: {e}")),
        () = stop => Ok(()),
    }
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("frontline-dev: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("frontline-dev: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("frontline-dev: {message}");
            ExitCode::FAILURE
        }
    }
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
