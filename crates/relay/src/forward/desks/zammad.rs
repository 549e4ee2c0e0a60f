//! Zammad (REST API v1, docs.zammad.org).
//!
//! Creates with `POST /api/v1/tickets` (`Authorization: Token token=…`):
//! title, group, the customer as `customer_id: "guess:<e-mail>"` (Zammad
//! finds or creates the user), a first article (plain text, not internal),
//! the priority by name, and the Frontline id in a custom ticket attribute
//! (`frontline_id` by default; create it under Admin > Objects, type text).
//! Finds with `GET /api/v1/tickets/search?query=<attribute>:"<id>"`, and
//! checks the attribute of what it returns. The ticket's id is its number;
//! the link uses its internal id.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    created_json, endpoint, extra_values, found_json, id_text, truncate, ExtraFields, Problems,
};
use crate::config::{ConfigProblem, Secret, SecretRef};
use crate::forward::http::send;
use crate::forward::{Delivered, Destination, Env, Failure, Priority, Ticket};

/// Zammad's longest title.
pub const MAX_TITLE: usize = 250;

/// `[destinations.NAME]` with `kind = "zammad"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZammadSettings {
    /// The instance, `https://support.acme.example`.
    pub url: String,
    /// An access token of an agent with `ticket.agent` on the group.
    pub token: SecretRef,
    /// The group tickets go to (its name).
    pub group: String,
    /// The custom ticket attribute keeping the Frontline id.
    #[serde(default = "default_id_attribute")]
    pub id_attribute: String,
    /// More attributes: `{ frontline_product = "product" }`.
    #[serde(default)]
    pub custom_fields: ExtraFields,
    /// The first article's type: `note` (default) or `web`.
    #[serde(default = "default_article_type")]
    pub article_type: String,
    /// The priorities' names, low to urgent (Zammad has three by default,
    /// so urgent shares "3 high").
    #[serde(default = "default_priorities")]
    pub priorities: [String; 4],
    /// Calls a minute to stay under (0: no pacing; none documented).
    #[serde(default)]
    pub calls_per_minute: u32,
}

fn default_id_attribute() -> String {
    "frontline_id".into()
}

fn default_article_type() -> String {
    "note".into()
}

fn default_priorities() -> [String; 4] {
    ["1 low", "2 normal", "3 high", "3 high"].map(String::from)
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl ZammadSettings {
    /// Checks the settings and reads the token.
    pub fn build(
        &self,
        path: &str,
        env: Env<'_>,
        http: &reqwest::Client,
    ) -> Result<Zammad, Vec<ConfigProblem>> {
        let mut p = Problems::default();
        let base = p.url(path, "url", &self.url);
        let token = p.secret(path, "token", &self.token, env);
        p.check(
            !self.group.trim().is_empty(),
            path,
            "group",
            "write the group's name, e.g. Users",
        );
        p.check(
            is_name(&self.id_attribute),
            path,
            "id_attribute",
            "write the attribute's name (letters, digits, _)",
        );
        for name in self.custom_fields.keys() {
            p.check(
                is_name(name),
                path,
                &format!("custom_fields.{name}"),
                "attribute names are letters, digits and _",
            );
        }
        p.check(
            ["note", "web"].contains(&self.article_type.as_str()),
            path,
            "article_type",
            "write note or web",
        );
        p.or(|| {
            Some(Zammad {
                base: base?,
                token: token?,
                settings: self.clone(),
                http: http.clone(),
            })
        })
    }
}

/// The Zammad destination.
pub struct Zammad {
    base: reqwest::Url,
    token: Secret,
    settings: ZammadSettings,
    http: reqwest::Client,
}

impl Zammad {
    fn auth(&self) -> String {
        format!("Token token={}", self.token.expose())
    }

    fn delivered(&self, t: &Value) -> Option<Delivered> {
        let id = id_text(&t["id"])?;
        Some(Delivered {
            ticket_id: id_text(&t["number"]).unwrap_or_else(|| id.clone()),
            url: Some(endpoint(&self.base, &format!("/#ticket/zoom/{id}"))),
        })
    }
}

fn rank(p: Priority) -> usize {
    match p {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
    }
}

#[async_trait]
impl Destination for Zammad {
    async fn create(&self, ticket: &Ticket) -> Result<Delivered, Failure> {
        const WHAT: &str = "Zammad POST /api/v1/tickets";
        let title = truncate(&ticket.title, MAX_TITLE);
        let mut body = json!({
            "title": title,
            "group": self.settings.group,
            "customer_id": format!("guess:{}", ticket.email()),
            "priority": self.settings.priorities[rank(ticket.priority)],
            "article": {
                "subject": title,
                "body": ticket.body,
                "type": self.settings.article_type,
                "internal": false,
                "content_type": "text/plain",
            },
        });
        let fields = body.as_object_mut().expect("an object");
        fields.extend(extra_values(&self.settings.custom_fields, ticket));
        fields.insert(
            self.settings.id_attribute.clone(),
            json!(ticket.frontline_id),
        );
        let request = self
            .http
            .post(endpoint(&self.base, "/api/v1/tickets"))
            .header(reqwest::header::AUTHORIZATION, self.auth())
            .json(&body);
        let answer = send(request, WHAT).await?;
        let created = created_json(&answer, WHAT)?;
        self.delivered(&created).ok_or_else(|| {
            Failure::maybe_sent(format!("{WHAT}: {} without a ticket id", answer.status))
        })
    }

    async fn find(&self, ticket: &Ticket) -> Result<Option<Delivered>, Failure> {
        const WHAT: &str = "Zammad GET /api/v1/tickets/search";
        if ticket.frontline_id.contains(['"', '\\']) {
            return Ok(None);
        }
        let attr = &self.settings.id_attribute;
        let query = format!("{attr}:\"{}\"", ticket.frontline_id);
        let request = self
            .http
            .get(endpoint(&self.base, "/api/v1/tickets/search"))
            .header(reqwest::header::AUTHORIZATION, self.auth())
            .query(&[("query", query.as_str()), ("limit", "10")]);
        let found = found_json(&send(request, WHAT).await?, WHAT)?;
        let assets = &found["assets"]["Ticket"];
        Ok(found["tickets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| assets.get(id_text(id)?))
            .find(|t| t[attr].as_str() == Some(ticket.frontline_id.as_str()))
            .and_then(|t| self.delivered(t)))
    }

    fn calls_per_minute(&self) -> Option<u32> {
        Some(self.settings.calls_per_minute).filter(|n| *n > 0)
    }

    /// Zammad searches through its Elasticsearch index, refreshed about once a second, later under load.
    fn search_lag(&self) -> std::time::Duration {
        std::time::Duration::from_secs(10)
    }
}
