//! The help desk destinations: one module per help desk, each with its
//! settings (a `[destinations.NAME]` table with `kind = "…"`) and a client
//! implementing [`super::Destination`] over the desk's REST API.
//!
//! Every client writes the Frontline id into a field the desk keeps and
//! searches that field in [`super::Destination::find`]. Answers are
//! classified by [`super::http::send`]; the helpers here cover what the
//! desks share (truncation, URLs, reading a 2xx answer).

pub mod connectwise;
pub mod freshdesk;
pub mod jira;
pub mod servicenow;
pub mod zammad;

use std::collections::BTreeMap;

use frontline_core::adapters::RequestField;
use serde_json::Value;

use super::http::Answer;
use super::{Failure, Ticket};
use crate::config::{check_url, ConfigProblem, Secret, SecretRef};

/// Extra fields to fill: the help desk's field name -> the request's field
/// (`{ cf_product = "product", cf_tenant = "tenant" }`).
pub type ExtraFields = BTreeMap<String, RequestField>;

/// `text` cut to at most `max` characters (on a character boundary), with
/// "…" as its last character when it was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `base` with `path` appended (`path` starts with `/`; a base with a path
/// of its own, `https://host/jira`, keeps it).
pub(crate) fn endpoint(base: &reqwest::Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
}

/// The extra fields' values for `ticket`, as JSON strings.
pub(crate) fn extra_values(
    fields: &ExtraFields,
    ticket: &Ticket,
) -> serde_json::Map<String, Value> {
    fields
        .iter()
        .map(|(name, f)| (name.clone(), Value::String(ticket.field(*f))))
        .collect()
}

/// The JSON of a 2xx answer to a create call. Not JSON: the ticket likely
/// exists, so [`super::Sent::Maybe`] (the worker looks it up).
pub(crate) fn created_json(answer: &Answer, what: &str) -> Result<Value, Failure> {
    serde_json::from_str(&answer.body).map_err(|e| {
        Failure::maybe_sent(format!(
            "{what}: {} but the answer is not the expected JSON ({e})",
            answer.status
        ))
    })
}

/// The JSON of a 2xx answer to a look-up.
pub(crate) fn found_json(answer: &Answer, what: &str) -> Result<Value, Failure> {
    serde_json::from_str(&answer.body).map_err(|e| {
        Failure::not_sent(format!(
            "{what}: {} but the answer is not the expected JSON ({e})",
            answer.status
        ))
    })
}

/// `value` as text: a JSON string as is, a number written out.
pub(crate) fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Collects the problems of a settings table.
#[derive(Default)]
pub(crate) struct Problems(pub(crate) Vec<ConfigProblem>);

impl Problems {
    /// The URL at `path.key`, if valid.
    pub(crate) fn url(&mut self, path: &str, key: &str, url: &str) -> Option<reqwest::Url> {
        check_url(&format!("{path}.{key}"), url)
            .map_err(|e| self.0.push(e))
            .ok()
    }

    /// The secret at `path.key`, if it can be read.
    pub(crate) fn secret(
        &mut self,
        path: &str,
        key: &str,
        r: &SecretRef,
        env: super::Env<'_>,
    ) -> Option<Secret> {
        r.resolve_with(&format!("{path}.{key}"), env)
            .map_err(|e| self.0.push(e))
            .ok()
    }

    /// Records a problem at `path.key` unless `ok`.
    pub(crate) fn check(&mut self, ok: bool, path: &str, key: &str, message: &str) {
        if !ok {
            self.0
                .push(ConfigProblem::new(format!("{path}.{key}"), message));
        }
    }

    /// `Ok(value)` when no problem was found.
    pub(crate) fn or<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Vec<ConfigProblem>> {
        if self.0.is_empty() {
            if let Some(v) = value() {
                return Ok(v);
            }
        }
        Err(self.0)
    }
}

/// Reads one destination's table (`destinations.NAME`, given as `path`)
/// into [`super::Settings`]; a problem names its path and the serde
/// message (`unknown field "grup", expected one of …`).
pub fn parse_settings(path: &str, table: toml::Value) -> Result<super::Settings, ConfigProblem> {
    serde_path_to_error::deserialize::<_, super::Settings>(table).map_err(|e| {
        let inner = e.path().to_string();
        let at = if inner.is_empty() || inner == "." {
            path.to_string()
        } else {
            format!("{path}.{inner}")
        };
        ConfigProblem::new(at, e.into_inner().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_characters_whole() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("exactly10!", 10), "exactly10!");
        let cut = truncate("ééééééééééé", 5);
        assert_eq!(cut, "éééé…");
        assert_eq!(cut.chars().count(), 5);
        let emoji = "🔥".repeat(200);
        assert_eq!(truncate(&emoji, 100).chars().count(), 100);
    }

    #[test]
    fn endpoints_join_without_double_slashes() {
        let u = reqwest::Url::parse("https://acme.example/").unwrap();
        assert_eq!(endpoint(&u, "/api/x"), "https://acme.example/api/x");
        let u = reqwest::Url::parse("https://acme.example/jira").unwrap();
        assert_eq!(endpoint(&u, "/rest/y"), "https://acme.example/jira/rest/y");
    }
}
