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
