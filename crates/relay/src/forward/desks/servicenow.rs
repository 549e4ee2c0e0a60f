//! ServiceNow (Table API, `incident` table by default).
//!
//! Creates with `POST /api/now/table/incident` (HTTP Basic):
//! short_description, description (plain text), urgency and impact 1–3
//! (the instance derives the priority from them), the Frontline id in
//! `correlation_id` (the field made for an external system's id) with
//! `correlation_display = "Frontline"`, and optionally the caller and
//! assignment group. Finds with `GET /api/now/table/incident?sysparm_query=
//! correlation_id=<id>&sysparm_limit=1&sysparm_fields=sys_id,number`.
//! The ticket's id is its number (`INC0010001`).

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    created_json, endpoint, extra_values, found_json, id_text, truncate, ExtraFields, Problems,
};
use crate::config::{ConfigProblem, Secret, SecretRef};
use crate::forward::http::send;
use crate::forward::{Delivered, Destination, Env, Failure, Priority, Ticket};

/// The incident table's `short_description` length.
pub const MAX_SHORT_DESCRIPTION: usize = 160;
/// The incident table's `description` length.
pub const MAX_DESCRIPTION: usize = 4000;

/// `[destinations.NAME]` with `kind = "servicenow"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicenowSettings {
    /// The instance, `https://acme.service-now.com`.
    pub url: String,
    /// The integration user's name (a user with the `itil` role).
    pub username: String,
    /// Its password.
    pub password: SecretRef,
    /// The table (`incident`).
    #[serde(default = "default_table")]
    pub table: String,
    /// The caller (`caller_id`): a user's sys_id, e.g. a "Frontline
    /// customer" user; the customer's own contact is in the description.
    #[serde(default)]
    pub caller_id: Option<String>,
    /// The assignment group's sys_id.
    #[serde(default)]
    pub assignment_group: Option<String>,
    /// More fields: `{ u_product = "product" }`.
    #[serde(default)]
    pub custom_fields: ExtraFields,
    /// Calls a minute to stay under (0: no pacing; the limit is set per
    /// instance by its admin).
    #[serde(default)]
    pub calls_per_minute: u32,
}

fn default_table() -> String {
    "incident".into()
}

impl ServicenowSettings {
    /// Checks the settings and reads the password.
    pub fn build(
        &self,
        path: &str,
        env: Env<'_>,
        http: &reqwest::Client,
    ) -> Result<Servicenow, Vec<ConfigProblem>> {
        let mut p = Problems::default();
        let base = p.url(path, "url", &self.url);
        let password = p.secret(path, "password", &self.password, env);
        p.check(
            !self.username.trim().is_empty(),
            path,
            "username",
            "write the integration user's name",
        );
        p.check(
            !self.table.is_empty()
                && self
                    .table
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_'),
            path,
            "table",
            "write a table name such as incident",
        );
        p.or(|| {
            Some(Servicenow {
                base: base?,
                password: password?,
                settings: self.clone(),
                http: http.clone(),
            })
        })
    }
}

/// The ServiceNow destination.
pub struct Servicenow {
    base: reqwest::Url,
    password: Secret,
    settings: ServicenowSettings,
    http: reqwest::Client,
}

/// Urgency and impact: urgent is priority 1, high 2, normal 3, low 4 in
/// ServiceNow's default matrix.
fn urgency_impact(p: Priority) -> (&'static str, &'static str) {
    match p {
        Priority::Urgent => ("1", "1"),
        Priority::High => ("2", "1"),
        Priority::Normal => ("2", "2"),
        Priority::Low => ("3", "2"),
    }
}

impl Servicenow {
    fn table_path(&self) -> String {
        format!("/api/now/table/{}", self.settings.table)
    }

    fn delivered(&self, record: &Value) -> Option<Delivered> {
        let number = id_text(&record["number"])?;
        let url = id_text(&record["sys_id"]).map(|id| {
            endpoint(
                &self.base,
                &format!("/nav_to.do?uri={}.do?sys_id={id}", self.settings.table),
            )
        });
        Some(Delivered {
            ticket_id: number,
            url,
        })
    }
}

#[async_trait]
impl Destination for Servicenow {
    async fn create(&self, ticket: &Ticket) -> Result<Delivered, Failure> {
        let what = format!("ServiceNow POST {}", self.table_path());
        let (urgency, impact) = urgency_impact(ticket.priority);
        let mut body = json!({
            "short_description": truncate(&ticket.title, MAX_SHORT_DESCRIPTION),
            "description": truncate(&ticket.body, MAX_DESCRIPTION),
            "urgency": urgency,
            "impact": impact,
            "correlation_id": ticket.frontline_id,
            "correlation_display": "Frontline",
        });
        let fields = body.as_object_mut().expect("an object");
        fields.extend(extra_values(&self.settings.custom_fields, ticket));
        if let Some(c) = &self.settings.caller_id {
            fields.insert("caller_id".into(), json!(c));
        }
        if let Some(g) = &self.settings.assignment_group {
            fields.insert("assignment_group".into(), json!(g));
        }
        let request = self
            .http
            .post(endpoint(&self.base, &self.table_path()))
            .basic_auth(&self.settings.username, Some(self.password.expose()))
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&body);
        let answer = send(request, &what).await?;
        let created = created_json(&answer, &what)?;
        self.delivered(&created["result"]).ok_or_else(|| {
            Failure::maybe_sent(format!("{what}: {} without a number", answer.status))
        })
    }

    async fn find(&self, ticket: &Ticket) -> Result<Option<Delivered>, Failure> {
        let what = format!("ServiceNow GET {}", self.table_path());
        // `^` separates conditions in an encoded query: an id holding one
        // cannot be searched (Frontline ids are UUIDs).
        if ticket.frontline_id.contains('^') {
            return Ok(None);
        }
        let query = format!("correlation_id={}", ticket.frontline_id);
        let request = self
            .http
            .get(endpoint(&self.base, &self.table_path()))
            .basic_auth(&self.settings.username, Some(self.password.expose()))
            .header(reqwest::header::ACCEPT, "application/json")
            .query(&[
                ("sysparm_query", query.as_str()),
                ("sysparm_limit", "1"),
                ("sysparm_fields", "sys_id,number"),
            ]);
        let found = found_json(&send(request, &what).await?, &what)?;
        Ok(found["result"]
            .as_array()
            .and_then(|r| r.first())
            .and_then(|r| self.delivered(r)))
    }

    fn calls_per_minute(&self) -> Option<u32> {
        Some(self.settings.calls_per_minute).filter(|n| *n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_follow_the_default_matrix() {
        assert_eq!(urgency_impact(Priority::Urgent), ("1", "1"));
        assert_eq!(urgency_impact(Priority::Low), ("3", "2"));
    }
}
