//! The relay's configuration: one TOML file (`frontline-relay.toml`,
//! documented in `docs/relay.md`), and the secrets it names.
//!
//! Secrets never sit in the file itself: a [`SecretRef`] names an
//! environment variable or a file (a Docker or systemd secret), read at
//! start. A problem is reported with its path in the file
//! (`destinations.desk.api_key`) and what to write instead.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

/// One problem in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Where, as a dotted path into the TOML file (`destinations.desk.url`).
    pub path: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl ConfigProblem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> ConfigProblem {
        ConfigProblem {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Where a secret is read from: `{ env = "FRESHDESK_API_KEY" }` or
/// `{ file = "/run/secrets/freshdesk" }` (its content, without the final
/// newline).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    /// An environment variable's name.
    #[serde(default)]
    pub env: Option<String>,
    /// A file's path.
    #[serde(default)]
    pub file: Option<PathBuf>,
}

/// A secret's value. Its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, to put in a header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A secret from a literal (tests).
    pub fn from_literal(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl SecretRef {
    /// Reads the secret; `path` names the setting for the error.
    pub fn resolve(&self, path: &str) -> Result<Secret, ConfigProblem> {
        self.resolve_with(path, |name| std::env::var(name).ok())
    }

    /// [`SecretRef::resolve`] with `env` for the environment (tests).
    pub fn resolve_with(
        &self,
        path: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Secret, ConfigProblem> {
        let value = match (&self.env, &self.file) {
            (Some(name), None) => env(name).filter(|v| !v.is_empty()).ok_or_else(|| {
                ConfigProblem::new(
                    path,
                    format!("the environment variable {name} is not set (or empty): set it to the secret before starting the relay"),
                )
            })?,
            (None, Some(file)) => std::fs::read_to_string(file)
                .map_err(|e| {
                    ConfigProblem::new(
                        path,
                        format!("cannot read the secret file {}: {e}", file.display()),
                    )
                })?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
            _ => {
                return Err(ConfigProblem::new(
                    path,
                    "write exactly one of { env = \"NAME\" } or { file = \"/path\" }",
                ))
            }
        };
        if value.trim().is_empty() {
            return Err(ConfigProblem::new(path, "the secret is empty"));
        }
        if value.chars().any(char::is_control) {
            return Err(ConfigProblem::new(
                path,
                "the secret holds a control character (a line break inside the file?)",
            ));
        }
        Ok(Secret(value))
    }
}

/// A URL setting: must be http(s), without credentials in it.
pub fn check_url(path: &str, url: &str) -> Result<reqwest::Url, ConfigProblem> {
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        ConfigProblem::new(
            path,
            format!("\"{url}\" is not a URL ({e}); write https://host/…"),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigProblem::new(
            path,
            format!("\"{url}\" must start with https:// (or http:// on loopback)"),
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ConfigProblem::new(
            path,
            "put no credentials in the URL: name them in the destination's secret setting",
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "SET").then(|| "s3cret".to_string())
    }

    #[test]
    fn secrets_come_from_the_environment_or_a_file() {
        let r = SecretRef {
            env: Some("SET".into()),
            file: None,
        };
        assert_eq!(r.resolve_with("a.key", env).unwrap().expose(), "s3cret");
        let r = SecretRef {
            env: Some("UNSET".into()),
            file: None,
        };
        let e = r.resolve_with("a.key", env).unwrap_err();
        assert_eq!(e.path, "a.key");
        assert!(e.message.contains("UNSET is not set"), "{e}");
        let dir = std::env::temp_dir().join(format!("relay-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("key");
        std::fs::write(&f, "from-file\n").unwrap();
        let r = SecretRef {
            env: None,
            file: Some(f.clone()),
        };
        assert_eq!(r.resolve_with("a.key", env).unwrap().expose(), "from-file");
        std::fs::write(&f, "two\nlines\n").unwrap();
        assert!(r
            .resolve_with("a.key", env)
            .unwrap_err()
            .message
            .contains("control character"));
        let r = SecretRef {
            env: None,
            file: Some(dir.join("missing")),
        };
        assert!(r
            .resolve_with("a.key", env)
            .unwrap_err()
            .message
            .contains("cannot read the secret file"));
        let r = SecretRef {
            env: Some("SET".into()),
            file: Some(f),
        };
        assert!(r
            .resolve_with("a.key", env)
            .unwrap_err()
            .message
            .contains("exactly one"));
        assert_eq!(format!("{:?}", Secret::from_literal("x")), "Secret(…)");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_database_password_stays_out_of_the_file() {
        let env = |n: &str| (n == "PGPASS").then(|| "p@ss w:rd".to_string());
        let file: RelayFile = toml::from_str(
            "database = \"postgres://relay@db.internal:5432/frontline\"\ndatabase_password = { env = \"PGPASS\" }",
        )
        .unwrap();
        let loaded = build(file, std::path::Path::new("."), &env).ok().unwrap();
        let parsed: tokio_postgres::Config = loaded.config.database.parse().unwrap();
        assert_eq!(parsed.get_password(), Some("p@ss w:rd".as_bytes()));
        assert_eq!(parsed.get_user(), Some("relay"));
        let file: RelayFile = toml::from_str("database_password = { env = \"PGPASS\" }").unwrap();
        let e = build(file, std::path::Path::new("."), &env).err().unwrap();
        assert_eq!(e[0].path, "database_password");
        let file: RelayFile = toml::from_str(
            "database = \"postgres://relay@db/f\"\ndatabase_password = { env = \"MISSING\" }",
        )
        .unwrap();
        let e = build(file, std::path::Path::new("."), &env).err().unwrap();
        assert!(e[0].message.contains("MISSING is not set"), "{e:?}");
    }

    #[test]
    fn urls_are_http_without_credentials() {
        assert!(check_url("u", "https://acme.freshdesk.com").is_ok());
        assert!(check_url("u", "ftp://x")
            .unwrap_err()
            .message
            .contains("https://"));
        assert!(check_url("u", "https://me:pw@x")
            .unwrap_err()
            .message
            .contains("no credentials"));
        assert!(check_url("u", "not a url")
            .unwrap_err()
            .message
            .contains("is not a URL"));
    }
}

/// The configuration file, as written (see `docs/relay.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayFile {
    /// Address to listen on (default `127.0.0.1:8081`).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// `sqlite:PATH` (default `sqlite:.frontline/relay.sqlite3`), or
    /// `postgres://user@host:port/db`.
    #[serde(default = "default_database")]
    pub database: String,
    /// The PostgreSQL password, kept out of the URL and the file:
    /// `{ env = "…" }` or `{ file = "…" }`.
    #[serde(default)]
    pub database_password: Option<SecretRef>,
    /// The partner's ruleset, to re-check each request's decision.
    #[serde(default)]
    pub ruleset: Option<PathBuf>,
    /// Pages allowed to send from a browser (exact origins).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Larger bodies get 413.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// `flag` (default) or `refuse`.
    #[serde(default)]
    pub on_mismatch: crate::OnMismatch,
    /// The admin login's token (default: `{ env = "FRONTLINE_ADMIN_TOKEN" }`).
    #[serde(default)]
    pub admin_token: Option<SecretRef>,
    /// How forwarding retries.
    #[serde(default)]
    pub forward: ForwardFile,
    /// Spam and flood protection.
    #[serde(default)]
    pub abuse: crate::abuse::Abuse,
    /// How long personal data is kept.
    #[serde(default)]
    pub retention: Retention,
    /// Where requests go, by name.
    #[serde(default)]
    pub destinations: std::collections::BTreeMap<String, crate::forward::Settings>,
}

fn default_listen() -> String {
    "127.0.0.1:8081".into()
}

fn default_database() -> String {
    "sqlite:.frontline/relay.sqlite3".into()
}

fn default_max_body() -> usize {
    frontline_core::MAX_REQUEST_BYTES
}

/// `[retention]`: how long a request's personal data is kept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Days after every destination received a request (or after it
    /// arrived, for one held or with no destination) until its personal
    /// data is purged; the reference, ids and ticket ids stay. 0: never.
    pub purge_after_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            purge_after_days: 30,
        }
    }
}

/// `[forward]`: the forwarder's policy ([`crate::worker::Policy`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForwardFile {
    /// Jobs forwarded at once per instance.
    pub concurrency: usize,
    /// Seconds a claimed job stays a worker's.
    pub lease_seconds: u64,
    /// Attempts before a dead letter.
    pub max_attempts: u32,
    /// Hours after which a request is not retried any more.
    pub max_age_hours: u64,
    /// The first retry's longest wait, in milliseconds.
    pub backoff_base_ms: u64,
    /// The longest wait between attempts, in seconds.
    pub backoff_cap_seconds: u64,
}

impl Default for ForwardFile {
    fn default() -> Self {
        let p = crate::worker::Policy::default();
        ForwardFile {
            concurrency: p.concurrency,
            lease_seconds: p.lease.as_secs(),
            max_attempts: p.max_attempts,
            max_age_hours: p.max_age.as_secs() / 3600,
            backoff_base_ms: p.backoff_base.as_millis() as u64,
            backoff_cap_seconds: p.backoff_cap.as_secs(),
        }
    }
}

/// What a configuration file yields, ready to serve.
pub struct Loaded {
    /// The address to listen on.
    pub listen: std::net::SocketAddr,
    /// The server's configuration, destinations built, secrets read.
    pub config: crate::Config,
}

/// Parses the TOML text of a configuration file at `path` (relative paths
/// in it are relative to its folder) and checks all of it: every problem is
/// listed, each with its path.
pub fn load_file(
    text: &str,
    path: &std::path::Path,
    env: crate::forward::Env<'_>,
) -> Result<Loaded, Vec<ConfigProblem>> {
    let de = toml::Deserializer::new(text);
    let file: RelayFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let message = e.inner().message().to_string();
        let line = e
            .inner()
            .span()
            .map(|s| {
                format!(
                    " (line {})",
                    text[..s.start.min(text.len())].lines().count().max(1)
                )
            })
            .unwrap_or_default();
        vec![ConfigProblem::new(
            if at == "." { String::new() } else { at },
            format!("{message}{line}"),
        )]
    })?;
    let base = path.parent().unwrap_or(std::path::Path::new("."));
    build(file, base, env)
}

/// Checks a parsed file and builds the configuration.
pub fn build(
    file: RelayFile,
    base: &std::path::Path,
    env: crate::forward::Env<'_>,
) -> Result<Loaded, Vec<ConfigProblem>> {
    let mut problems = Vec::new();
    let listen = file.listen.parse().unwrap_or_else(|_| {
        problems.push(ConfigProblem::new(
            "listen",
            format!(
                "\"{}\" is not an address: write IP:PORT, like 127.0.0.1:8081",
                file.listen
            ),
        ));
        std::net::SocketAddr::from(([127, 0, 0, 1], 8081))
    });
    let database = match file.database.split_once(':') {
        Some(("sqlite", p)) if p != ":memory:" && !std::path::Path::new(p).is_absolute() => {
            format!("sqlite:{}", base.join(p).display())
        }
        Some(("sqlite", _)) | Some(("postgres" | "postgresql", _)) => file.database.clone(),
        _ if file.database == ":memory:" => file.database.clone(),
        _ => {
            problems.push(ConfigProblem::new(
                "database",
                format!(
                    "\"{}\" is neither sqlite:PATH nor postgres://…",
                    file.database
                ),
            ));
            String::new()
        }
    };
    let database = match (&file.database_password, database.starts_with("postgres")) {
        (None, _) => database,
        (Some(_), false) => {
            problems.push(ConfigProblem::new(
                "database_password",
                "only a postgres:// database takes a password",
            ));
            database
        }
        (Some(r), true) => match r.resolve_with("database_password", env) {
            Ok(secret) => match reqwest::Url::parse(&database) {
                Ok(mut url) if url.password().is_none() => {
                    let _ = url.set_password(Some(secret.expose()));
                    url.to_string()
                }
                _ => {
                    problems.push(ConfigProblem::new(
                        "database_password",
                        "the database URL already holds a password (or is not a URL): remove it from the URL",
                    ));
                    database
                }
            },
            Err(e) => {
                problems.push(e);
                database
            }
        },
    };
    let ruleset = match &file.ruleset {
        Some(p) => match crate::cli::load_ruleset(&base.join(p), str::to_owned) {
            Ok(r) => Some(r),
            Err(e) => {
                problems.push(ConfigProblem::new("ruleset", e));
                None
            }
        },
        None => None,
    };
    let admin_token = match &file.admin_token {
        Some(r) => r
            .resolve_with("admin_token", env)
            .map(|s| Some(s.expose().to_string()))
            .unwrap_or_else(|e| {
                problems.push(e);
                None
            }),
        None => env(crate::ADMIN_TOKEN_ENV).filter(|t| !t.is_empty()),
    };
    if let Some(t) = &admin_token {
        if t.chars().count() < crate::MIN_ADMIN_TOKEN_CHARS {
            problems.push(ConfigProblem::new(
                "admin_token",
                format!("the token must be at least {} characters (make one with: openssl rand -hex 16)", crate::MIN_ADMIN_TOKEN_CHARS),
            ));
        }
    }
    let f = &file.forward;
    if f.concurrency == 0 || f.concurrency > 256 {
        problems.push(ConfigProblem::new(
            "forward.concurrency",
            "write a number from 1 to 256",
        ));
    }
    if f.max_attempts == 0 {
        problems.push(ConfigProblem::new(
            "forward.max_attempts",
            "write at least 1",
        ));
    }
    if f.lease_seconds < 3 {
        problems.push(ConfigProblem::new(
            "forward.lease_seconds",
            "write at least 3: a call to a help desk must fit in a third of it",
        ));
    }
    if file.abuse.window_seconds == 0 || file.abuse.window_seconds > 3600 {
        problems.push(ConfigProblem::new(
            "abuse.window_seconds",
            "write a number of seconds from 1 to 3600",
        ));
    }
    let pow = match &file.abuse.proof_of_work {
        None => None,
        Some(p) => match p.secret.resolve_with("abuse.proof_of_work.secret", env) {
            Ok(secret) if secret.expose().len() >= 16 => Some(crate::abuse::Pow {
                secret,
                cost: p.cost,
                valid: std::time::Duration::from_secs(p.valid_minutes.max(1) * 60),
            }),
            Ok(_) => {
                problems.push(ConfigProblem::new(
                    "abuse.proof_of_work.secret",
                    "at least 16 characters (make one with: openssl rand -hex 16)",
                ));
                None
            }
            Err(e) => {
                problems.push(e);
                None
            }
        },
    };
    if file
        .abuse
        .proof_of_work
        .as_ref()
        .is_some_and(|p| p.cost == 0 || p.cost > 1_000_000)
    {
        problems.push(ConfigProblem::new(
            "abuse.proof_of_work.cost",
            "write a number of PBKDF2 iterations from 1 to 1000000",
        ));
    }
    let policy = crate::worker::Policy {
        concurrency: f.concurrency.max(1),
        lease: std::time::Duration::from_secs(f.lease_seconds.max(3)),
        max_attempts: f.max_attempts.max(1),
        max_age: std::time::Duration::from_secs(f.max_age_hours.saturating_mul(3600)),
        backoff_base: std::time::Duration::from_millis(f.backoff_base_ms),
        backoff_cap: std::time::Duration::from_secs(f.backoff_cap_seconds),
        poll: crate::worker::Policy::default().poll,
    };
    let http = crate::forward::http::client_with_timeout(policy.answer_timeout());
    let mut destinations = Vec::new();
    for (name, settings) in &file.destinations {
        let path = format!("destinations.{name}");
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            problems.push(ConfigProblem::new(
                &path,
                "name destinations with letters, digits, - and _ only",
            ));
            continue;
        }
        match settings.build(&path, env, &http) {
            Ok(d) => destinations.push((name.clone(), d)),
            Err(list) => problems.extend(list),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Loaded {
        listen,
        config: crate::Config {
            database,
            ruleset,
            allowed_origins: file.allowed_origins,
            max_body_bytes: file.max_body_bytes,
            faults_enabled: false,
            admin_token,
            on_mismatch: file.on_mismatch,
            destinations,
            forward: policy,
            instance: None,
            pow,
            abuse: file.abuse,
            purge_after_days: file.retention.purge_after_days,
        },
    })
}
