//! Freshdesk (API v2, developers.freshdesk.com/api).
//!
//! Creates with `POST /api/v2/tickets` (HTTP Basic: the API key as user,
//! `X` as password): subject, description (HTML: the plain text is
//! escaped, newlines become `<br>`), the customer's e-mail and name,
//! priority 1–4, status 2 (open), source 2 (portal), and the Frontline id
//! in a custom text field (`cf_frontline_id` by default; it must exist in
//! the account, Admin > Ticket Fields).
//!
//! Finds by listing the requester's tickets (`GET /api/v2/tickets?email=`)
//! and matching the custom field; then, if absent there, by the filter
//! API (`GET /api/v2/search/tickets?query="custom_string:'…'"`), whose index
//! Freshdesk documents to lag by a few minutes, which is why it comes second.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    created_json, endpoint, extra_values, found_json, id_text, truncate, ExtraFields, Problems,
};
use crate::config::{ConfigProblem, Secret, SecretRef};
use crate::forward::http::send;
use crate::forward::{Delivered, Destination, Env, Failure, Priority, Ticket};

/// The longest subject Freshdesk takes.
pub const MAX_SUBJECT: usize = 255;

/// `[destinations.NAME]` with `kind = "freshdesk"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshdeskSettings {
    /// The account's URL, `https://acme.freshdesk.com`.
    pub url: String,
    /// The API key (Profile settings > API key).
    pub api_key: SecretRef,
    /// The custom text field that keeps the Frontline id (`cf_…`).
    #[serde(default = "default_id_field")]
    pub id_field: String,
    /// More custom fields: `{ cf_product = "product" }`.
    #[serde(default)]
    pub custom_fields: ExtraFields,
    /// The group to assign tickets to.
    #[serde(default)]
    pub group_id: Option<u64>,
    /// Calls a minute to stay under (0: no pacing). The default, 50, is the
    /// smallest documented plan's (3,000 calls an hour); legacy plans allow
    /// 80 to 280 ticket creations a minute.
    #[serde(default = "default_calls_per_minute")]
    pub calls_per_minute: u32,
}

fn default_id_field() -> String {
    "cf_frontline_id".into()
}

fn default_calls_per_minute() -> u32 {
    50
}

impl FreshdeskSettings {
    /// Checks the settings and reads the key.
    pub fn build(
        &self,
        path: &str,
        env: Env<'_>,
        http: &reqwest::Client,
    ) -> Result<Freshdesk, Vec<ConfigProblem>> {
        let mut p = Problems::default();
        let base = p.url(path, "url", &self.url);
        let key = p.secret(path, "api_key", &self.api_key, env);
        let cf = |name: &str| name.starts_with("cf_") && name.len() > 3;
        p.check(cf(&self.id_field), path, "id_field", "write the custom field's API name, which starts with cf_ (GET /api/v2/ticket_fields lists them)");
        for name in self.custom_fields.keys() {
            p.check(
                cf(name),
                path,
                &format!("custom_fields.{name}"),
                "custom field names start with cf_",
            );
        }
        p.or(|| {
            Some(Freshdesk {
                base: base?,
                key: key?,
                settings: self.clone(),
                http: http.clone(),
            })
        })
    }
}

/// The Freshdesk destination.
pub struct Freshdesk {
    base: reqwest::Url,
    key: Secret,
    settings: FreshdeskSettings,
    http: reqwest::Client,
}

/// Plain text as HTML: escaped, line breaks as `<br>`.
pub fn html_text(text: &str) -> String {
    crate::listing::escape(&text.replace("\r\n", "\n")).replace('\n', "<br>")
}

fn priority(p: Priority) -> u8 {
    match p {
        Priority::Low => 1,
        Priority::Normal => 2,
        Priority::High => 3,
        Priority::Urgent => 4,
    }
}

impl Freshdesk {
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(endpoint(&self.base, path))
            .basic_auth(self.key.expose(), Some("X"))
    }

    fn delivered(&self, ticket: &Value) -> Option<Delivered> {
        let id = id_text(ticket.get("id")?)?;
        Some(Delivered {
            url: Some(endpoint(&self.base, &format!("/a/tickets/{id}"))),
            ticket_id: id,
        })
    }

    /// The first of `tickets` whose id field holds `frontline_id`.
    fn matching(&self, tickets: &[Value], frontline_id: &str) -> Option<Delivered> {
        tickets
            .iter()
            .find(|t| t["custom_fields"][&self.settings.id_field].as_str() == Some(frontline_id))
            .and_then(|t| self.delivered(t))
    }
}

#[async_trait]
impl Destination for Freshdesk {
    async fn create(&self, ticket: &Ticket) -> Result<Delivered, Failure> {
        const WHAT: &str = "Freshdesk POST /api/v2/tickets";
        let mut custom = extra_values(&self.settings.custom_fields, ticket);
        custom.insert(self.settings.id_field.clone(), json!(ticket.frontline_id));
        let mut body = json!({
            "subject": truncate(&ticket.title, MAX_SUBJECT),
            "description": html_text(&ticket.body),
            "email": ticket.email(),
            "name": ticket.name(),
            "priority": priority(ticket.priority),
            "status": 2,
            "source": 2,
            "custom_fields": custom,
        });
        if let Some(g) = self.settings.group_id {
            body["group_id"] = json!(g);
        }
        let request = self
            .http
            .post(endpoint(&self.base, "/api/v2/tickets"))
            .basic_auth(self.key.expose(), Some("X"))
            .json(&body);
        let answer = send(request, WHAT).await?;
        let created = created_json(&answer, WHAT)?;
        self.delivered(&created).ok_or_else(|| {
            Failure::maybe_sent(format!("{WHAT}: {} without a ticket id", answer.status))
        })
    }

    async fn find(&self, ticket: &Ticket) -> Result<Option<Delivered>, Failure> {
        const LIST: &str = "Freshdesk GET /api/v2/tickets?email=";
        let request = self.get("/api/v2/tickets").query(&[
            ("email", ticket.email()),
            ("order_by", "created_at"),
            ("order_type", "desc"),
            ("per_page", "100"),
        ]);
        let listed = found_json(&send(request, LIST).await?, LIST)?;
        if let Some(d) = self.matching(
            listed.as_array().map_or(&[], |v| v.as_slice()),
            &ticket.frontline_id,
        ) {
            return Ok(Some(d));
        }
        const SEARCH: &str = "Freshdesk GET /api/v2/search/tickets";
        if ticket.frontline_id.contains(['\'', '"', '\\']) {
            return Ok(None);
        }
        let query = format!("\"custom_string:'{}'\"", ticket.frontline_id);
        let request = self
            .get("/api/v2/search/tickets")
            .query(&[("query", query)]);
        let found = found_json(&send(request, SEARCH).await?, SEARCH)?;
        Ok(self.matching(
            found["results"].as_array().map_or(&[], |v| v.as_slice()),
            &ticket.frontline_id,
        ))
    }

    fn calls_per_minute(&self) -> Option<u32> {
        Some(self.settings.calls_per_minute).filter(|n| *n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_text_stays_text_in_html() {
        assert_eq!(
            html_text("<script>alert('x')</script>\r\nA & B \"q\"\nend"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;<br>A &amp; B &quot;q&quot;<br>end"
        );
    }

    #[test]
    fn priorities_map_onto_one_to_four() {
        let all = [
            Priority::Low,
            Priority::Normal,
            Priority::High,
            Priority::Urgent,
        ];
        assert_eq!(all.map(priority), [1, 2, 3, 4]);
    }
}
