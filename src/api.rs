//! Network edge: fetching the partner's ruleset.
//!
//! Uses the browser's `fetch` through web-sys directly: gloo-net would export
//! wasm-streams' JavaScript classes from our module and cost ~50 KB of wasm.

use frontline_core::{FallbackContact, Ruleset};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Why the ruleset is not available to the portal.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigError {
    /// The request failed or the server answered with an error status.
    Unreachable(String),
    /// The file arrived but is not a valid ruleset.
    Invalid {
        /// Every problem, with its JSON path.
        reason: String,
        /// Whom the customer can still contact, if the file says.
        fallback: Option<FallbackContact>,
    },
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Unreachable(why) => {
                write!(f, "the support configuration could not be fetched: {why}")
            }
            ConfigError::Invalid { reason, .. } => {
                write!(f, "the support configuration is invalid:\n{reason}")
            }
        }
    }
}

/// A JavaScript error as plain words.
fn describe(error: wasm_bindgen::JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "network error".to_owned())
}

/// GETs `url` and returns its body as text, or why not.
///
/// `started`: the page's own download of `url`, begun earlier, taken
/// instead of asking again: a promise of its text (the body read) or of
/// its `Response`. A text already there is used at once, so the caller
/// draws with it before the browser renders anything else.
pub async fn fetch_text(url: &str, started: Option<js_sys::Promise>) -> Result<String, String> {
    let request = match started {
        Some(started) => started,
        None => web_sys::window().ok_or("no window")?.fetch_with_str(url),
    };
    let answer = JsFuture::from(request).await.map_err(describe)?;
    if let Some(text) = answer.as_string() {
        return Ok(text);
    }
    let response: web_sys::Response = answer.unchecked_into();
    if !response.ok() {
        return Err(format!("HTTP {} for {url}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(describe)?)
        .await
        .map_err(describe)?;
    text.as_string()
        .ok_or_else(|| "the response is not text".to_owned())
}

/// Reads the front of a ruleset from its text, and what is left to read
/// (see [`frontline_core::read_front`]). On a problem in the front, the
/// front's problems: the rest's [`crate::rest_part`] reports them all.
pub fn read_front(
    body: &str,
) -> Result<(Ruleset, frontline_core::Rest), Box<(ConfigError, frontline_core::Rest)>> {
    frontline_core::read_front(body)
        .map_err(|(report, rest)| Box::new((invalid(&report, body), rest)))
}

/// The ruleset `body` is invalid: why, and whom to contact meanwhile.
fn invalid(report: &frontline_core::Report, body: &str) -> ConfigError {
    ConfigError::Invalid {
        reason: report.to_string(),
        fallback: frontline_core::fallback_contact(body),
    }
}
