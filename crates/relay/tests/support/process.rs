//! The relay as a real process: `frontline-relay serve --config FILE`
//! spawned from the test's own build, its port read from the line it
//! prints, killed (SIGKILL) and reaped when dropped. Its stderr is kept and
//! shown when a test fails, so a failing run says what the relay said.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The relay binary Cargo built for this test (`option_env!`, so that
/// `examples/bench_request.rs` can share this folder: Cargo sets it for
/// integration tests only).
pub const RELAY: &str = match option_env!("CARGO_BIN_EXE_frontline-relay") {
    Some(path) => path,
    None => "frontline-relay",
};

/// How long a relay may take to print `listening …` (a loaded machine
/// building other things: generous).
pub const START_LIMIT: Duration = Duration::from_secs(60);

/// A folder removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty folder under the system's temporary folder.
    pub fn new(prefix: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `name` in it; returns the file's path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `frontline-relay serve`.
pub struct Relay {
    /// What the test calls it ("a", "b"), in messages.
    pub name: String,
    child: Option<Child>,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl Relay {
    /// Spawns `frontline-relay serve --config CONFIG` with `env` added to
    /// the environment and waits until it listens. `HOSTNAME` is set to
    /// `relay-NAME`, so this instance's leases read `relay-NAME:PID/i`.
    pub fn spawn(name: &str, config: &Path, env: &[(&str, &str)]) -> Relay {
        let mut cmd = Command::new(RELAY);
        cmd.args(["serve", "--config"])
            .arg(config)
            .env("HOSTNAME", format!("relay-{name}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {RELAY}: {e}"));
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let mut from = child.stderr.take().unwrap();
            let to = stderr.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = from.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    to.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent {
                    if let Some(rest) = line.strip_prefix("listening http://") {
                        let _ = tx.send(rest.trim_end_matches('/').to_string());
                        sent = true;
                    }
                }
                // Keep reading so the relay never blocks on a full pipe.
            }
        });
        let mut relay = Relay {
            name: name.to_string(),
            child: Some(child),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr,
        };
        match rx.recv_timeout(START_LIMIT) {
            Ok(addr) => {
                relay.addr = addr
                    .parse()
                    .unwrap_or_else(|_| panic!("relay {name} printed a bad address: {addr}"))
            }
            Err(_) => {
                let status = relay.child.as_mut().unwrap().try_wait().ok().flatten();
                panic!(
                    "relay {name} did not print `listening http://…` within {START_LIMIT:?} (exit status {status:?}); its stderr:\n{}",
                    relay.stderr()
                );
            }
        }
        relay
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// What `HOSTNAME:PID` this instance names its leases with (each worker
    /// adds `/i`).
    pub fn instance(&self) -> String {
        format!("relay-{}:{}", self.name, self.pid())
    }

    /// What it wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// SIGKILL (no clean-up of any kind), and reap it.
    pub fn kill(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let _ = child.kill();
        child.wait().ok()
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!(
                "---- relay {} stderr ----\n{}\n---- end ----",
                self.name,
                self.stderr()
            );
        }
    }
}

/// Runs `frontline-relay ARGS` to its end: exit code, stdout, stderr.
pub fn run(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(RELAY);
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {RELAY}: {e}"));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
