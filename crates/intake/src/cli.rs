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
