//! Jira Service Management Cloud.
//!
//! Creates with `POST /rest/servicedeskapi/request` (HTTP Basic: the
//! account's e-mail and an API token): serviceDeskId, requestTypeId and
//! `requestFieldValues{summary, description, <id field>, …}`;
//! `raiseOnBehalfOf` (an accountId) when configured. The description is
//! wiki markup: the customer's text goes inside `{noformat}` so that it
//! stays text. The Frontline id goes in a text custom field on the request
//! type (`customfield_N`).
//!
//! Finds with the JQL search, `GET /rest/api/3/search/jql?jql=cf[N] ~
//! "\"<id>\""` (a phrase search: text fields take `~`, not `=`), and checks
//! the field of what it returns. The ticket's id is the issue key.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    created_json, endpoint, extra_values, found_json, id_text, truncate, ExtraFields, Problems,
};
use crate::config::{ConfigProblem, Secret, SecretRef};
use crate::forward::http::send;
use crate::forward::{Delivered, Destination, Env, Failure, Ticket};

/// Jira's longest summary.
pub const MAX_SUMMARY: usize = 255;

/// `[destinations.NAME]` with `kind = "jira_service_management"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JiraSettings {
    /// The site, `https://acme.atlassian.net`.
    pub url: String,
    /// The account's e-mail (an agent of the service desk).
    pub email: String,
    /// Its API token (id.atlassian.com > Security > API tokens).
    pub api_token: SecretRef,
    /// The service desk's id.
    pub service_desk_id: String,
    /// The request type's id.
    pub request_type_id: String,
    /// The text custom field keeping the Frontline id (`customfield_10050`),
    /// on the request type.
    pub id_field: String,
    /// More fields: `{ customfield_10051 = "product" }`.
    #[serde(default)]
    pub custom_fields: ExtraFields,
    /// Raise the requests on behalf of this customer's accountId.
    #[serde(default)]
    pub raise_on_behalf_of: Option<String>,
    /// Calls a minute to stay under (0: no pacing; Atlassian's limits are
    /// cost-based, answered with 429 and `Retry-After`).
    #[serde(default)]
    pub calls_per_minute: u32,
}

/// `customfield_10050` as its number.
fn field_number(name: &str) -> Option<&str> {
    name.strip_prefix("customfield_")
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

impl JiraSettings {
    /// Checks the settings and reads the token.
    pub fn build(
        &self,
        path: &str,
        env: Env<'_>,
        http: &reqwest::Client,
    ) -> Result<Jira, Vec<ConfigProblem>> {
        let mut p = Problems::default();
        let base = p.url(path, "url", &self.url);
        let token = p.secret(path, "api_token", &self.api_token, env);
        p.check(
            self.email.contains('@'),
            path,
            "email",
            "write the Atlassian account's e-mail",
        );
        let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        p.check(
            numeric(&self.service_desk_id),
            path,
            "service_desk_id",
            "write the service desk's numeric id",
        );
        p.check(
            numeric(&self.request_type_id),
            path,
            "request_type_id",
            "write the request type's numeric id",
        );
        p.check(
            field_number(&self.id_field).is_some(),
            path,
            "id_field",
            "write the custom field's id, customfield_ and its number",
        );
        p.or(|| {
            Some(Jira {
                base: base?,
                token: token?,
                settings: self.clone(),
                http: http.clone(),
            })
        })
    }
}

/// The Jira Service Management destination.
pub struct Jira {
    base: reqwest::Url,
    token: Secret,
    settings: JiraSettings,
    http: reqwest::Client,
}

/// Plain text as a wiki-markup description that shows it as typed.
pub fn noformat(text: &str) -> String {
    format!(
        "{{noformat}}\n{}\n{{noformat}}",
        text.replace("{noformat}", "{ noformat}")
    )
}

impl Jira {
    fn delivered(&self, key: &Value) -> Option<Delivered> {
        let key = id_text(key)?;
        Some(Delivered {
            url: Some(endpoint(&self.base, &format!("/browse/{key}"))),
            ticket_id: key,
        })
    }
}

#[async_trait]
impl Destination for Jira {
    async fn create(&self, ticket: &Ticket) -> Result<Delivered, Failure> {
        const WHAT: &str = "Jira Service Management POST /rest/servicedeskapi/request";
        let mut fields = extra_values(&self.settings.custom_fields, ticket);
        let summary = ticket.title.replace(['\r', '\n'], " ");
        fields.insert("summary".into(), json!(truncate(&summary, MAX_SUMMARY)));
        fields.insert("description".into(), json!(noformat(&ticket.body)));
        fields.insert(self.settings.id_field.clone(), json!(ticket.frontline_id));
        let mut body = json!({
            "serviceDeskId": self.settings.service_desk_id,
            "requestTypeId": self.settings.request_type_id,
            "requestFieldValues": fields,
        });
        if let Some(a) = &self.settings.raise_on_behalf_of {
            body["raiseOnBehalfOf"] = json!(a);
        }
        let request = self
            .http
            .post(endpoint(&self.base, "/rest/servicedeskapi/request"))
            .basic_auth(&self.settings.email, Some(self.token.expose()))
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&body);
        let answer = send(request, WHAT).await?;
        let created = created_json(&answer, WHAT)?;
        self.delivered(&created["issueKey"]).ok_or_else(|| {
            Failure::maybe_sent(format!("{WHAT}: {} without an issueKey", answer.status))
        })
    }

    async fn find(&self, ticket: &Ticket) -> Result<Option<Delivered>, Failure> {
        const WHAT: &str = "Jira Service Management GET /rest/api/3/search/jql";
        if ticket.frontline_id.contains(['"', '\\']) {
            return Ok(None);
        }
        let field = &self.settings.id_field;
        let n = field_number(field).unwrap_or_default();
        let jql = format!("cf[{n}] ~ \"\\\"{}\\\"\"", ticket.frontline_id);
        let request = self
            .http
            .get(endpoint(&self.base, "/rest/api/3/search/jql"))
            .basic_auth(&self.settings.email, Some(self.token.expose()))
            .header(reqwest::header::ACCEPT, "application/json")
            .query(&[
                ("jql", jql.as_str()),
                ("fields", field.as_str()),
                ("maxResults", "10"),
            ]);
        let found = found_json(&send(request, WHAT).await?, WHAT)?;
        Ok(found["issues"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["fields"][field].as_str() == Some(ticket.frontline_id.as_str()))
            .and_then(|i| self.delivered(&i["key"])))
    }

    fn calls_per_minute(&self) -> Option<u32> {
        Some(self.settings.calls_per_minute).filter(|n| *n > 0)
    }

    /// Jira's JQL search is eventually consistent: a new issue can take seconds to be searchable.
    fn search_lag(&self) -> std::time::Duration {
        std::time::Duration::from_secs(30)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_text_cannot_close_the_noformat_block() {
        assert_eq!(
            noformat("a {noformat} *b*"),
            "{noformat}\na { noformat} *b*\n{noformat}"
        );
    }
}
