//! Network edge: fetching the partner's ruleset.

use frontline_core::Ruleset;

/// Why the ruleset is not available to the portal.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigError {
    /// The request failed or the server answered with an error status.
    Unreachable(String),
    /// The file arrived but is not a valid ruleset.
    Invalid(String),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Unreachable(why) => {
                write!(f, "the support configuration could not be fetched: {why}")
            }
            ConfigError::Invalid(why) => write!(f, "the support configuration is invalid: {why}"),
        }
    }
}

/// Fetches and loads the ruleset at `url`.
pub async fn fetch_ruleset(url: &str) -> Result<Ruleset, ConfigError> {
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|e| ConfigError::Unreachable(e.to_string()))?;
    if !response.ok() {
        return Err(ConfigError::Unreachable(format!(
            "HTTP {} for {url}",
            response.status()
        )));
    }
    let body = response
        .text()
        .await
        .map_err(|e| ConfigError::Unreachable(e.to_string()))?;
    frontline_core::load(&body).map_err(|e| ConfigError::Invalid(e.to_string()))
}
