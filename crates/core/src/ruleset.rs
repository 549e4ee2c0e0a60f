//! The partner's ruleset: versioned data read from JSON.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A text in several languages, keyed by BCP 47 language tag (`"en"`, `"fr"`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(pub BTreeMap<String, String>);

impl Text {
    /// The text in `locale`, else in `fallback`, else in any language present.
    pub fn get<'a>(&'a self, locale: &str, fallback: &str) -> &'a str {
        let primary = locale.split(['-', '_']).next().unwrap_or(locale);
        self.0
            .get(locale)
            .or_else(|| self.0.get(primary))
            .or_else(|| self.0.get(fallback))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// The whole configuration a partner publishes for its portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ruleset {
    /// Format identifier, `"frontline.ruleset/v1"`.
    pub schema: String,
    /// Stable identifier of this ruleset.
    pub id: String,
    /// The partner's own version label for this ruleset.
    pub version: String,
    /// Language used when a text lacks the customer's language.
    pub default_language: String,
    /// Languages every text must be given in.
    pub languages: Vec<String>,
    /// Who provides the support.
    pub partner: Partner,
    /// What the customer can ask about.
    pub products: Vec<Product>,
}

/// The partner's public profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    /// The partner's name as customers know it.
    pub name: String,
}

/// A product the partner supports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Stable identifier, used in rules and requests.
    pub id: String,
    /// Customer-facing name.
    pub name: Text,
}

/// Why a ruleset could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// JSON path of the problem, e.g. `$.partner.name`.
    pub path: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for LoadError {}

/// The format identifier this version of Frontline reads.
pub const RULESET_SCHEMA: &str = "frontline.ruleset/v1";

/// Parses a ruleset from JSON. Never panics, whatever the input.
pub fn load(json: &str) -> Result<Ruleset, LoadError> {
    let ruleset: Ruleset = serde_json::from_str(json).map_err(|e| LoadError {
        path: format!("line {}, column {}", e.line(), e.column()),
        message: e.to_string(),
    })?;
    if ruleset.schema != RULESET_SCHEMA {
        return Err(LoadError {
            path: "$.schema".into(),
            message: format!("expected \"{RULESET_SCHEMA}\", found \"{}\"", ruleset.schema),
        });
    }
    Ok(ruleset)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
        "schema": "frontline.ruleset/v1", "id": "t", "version": "1",
        "default_language": "en", "languages": ["en", "fr"],
        "partner": {"name": "Contoso"},
        "products": [{"id": "azure", "name": {"en": "Azure", "fr": "Azure (fr)"}}]
    }"#;

    #[test]
    fn loads_a_minimal_ruleset() {
        let r = load(MINIMAL).unwrap();
        assert_eq!(r.partner.name, "Contoso");
        assert_eq!(r.products[0].name.get("fr-CA", "en"), "Azure (fr)");
        assert_eq!(r.products[0].name.get("de", "en"), "Azure");
    }

    #[test]
    fn rejects_a_wrong_schema_with_its_path() {
        let bad = MINIMAL.replace("frontline.ruleset/v1", "other/v9");
        let err = load(&bad).unwrap_err();
        assert_eq!(err.path, "$.schema");
        assert!(err.message.contains("other/v9"), "{err}");
    }

    #[test]
    fn rejects_unknown_fields() {
        let bad = MINIMAL.replace("\"id\": \"t\"", "\"id\": \"t\", \"colour\": 1");
        let err = load(&bad).unwrap_err();
        assert!(err.message.contains("unknown field `colour`"), "{err}");
    }
}
