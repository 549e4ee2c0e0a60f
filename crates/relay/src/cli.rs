//! The shape every loopback server binary of the workspace shares: parse the
//! arguments (an empty error means `--help`), run on a single-threaded tokio
//! runtime, and turn each outcome into a message and an exit code.

use std::future::Future;
use std::process::ExitCode;

/// Runs a server command named `name`: 0 on success or `--help`, 2 on bad
/// arguments (with the usage), 1 when it fails (with why).
pub fn main_with<O, F>(
    name: &str,
    usage: &str,
    parse: impl FnOnce(Vec<String>) -> Result<O, String>,
    run: impl FnOnce(O) -> F,
) -> ExitCode
where
    F: Future<Output = Result<(), String>>,
{
    let options = match parse(std::env::args().skip(1).collect()) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            println!("{usage}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{name}: {message}\n\n{usage}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{name}: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{name}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The admin token from [`crate::ADMIN_TOKEN_ENV`] (`None` when unset or
/// empty: the listing is off).
pub fn admin_token_from_env() -> Option<String> {
    std::env::var(crate::ADMIN_TOKEN_ENV)
        .ok()
        .filter(|t| !t.is_empty())
}

/// Reads and fully validates the ruleset at `path` for `--ruleset`, after
/// `rewrite` (the dev server points its intake URL at the real port), with
/// one clear message for an unreadable file and one for a ruleset with errors.
pub fn load_ruleset(
    path: &std::path::Path,
    rewrite: impl FnOnce(&str) -> String,
) -> Result<frontline_core::Ruleset, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read the ruleset {}: {e}; check the --ruleset path",
            path.display()
        )
    })?;
    frontline_core::load(&rewrite(&text)).map_err(|report| {
        format!(
            "the ruleset {} has errors (`frontline check` explains them):\n{report}",
            path.display()
        )
    })
}
