//! ConnectWise Manage (PSA), REST API 3.0.
//!
//! Creates with `POST {url}/{codebase}/apis/3.0/service/tickets` (HTTP
//! Basic `companyId+publicKey:privateKey`, and the integration's
//! `clientId` header): summary (at most 100 characters), the client
//! company by identifier, the board by name, initialDescription (plain
//! text), the customer's contact name and e-mail, impact and severity
//! (ConnectWise derives the priority from them), custom fields by id, and
//! the Frontline id in `externalXRef`. Finds with `GET …/service/tickets?
//! conditions=externalXRef="<id>"`. The ticket's id is ConnectWise's.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{created_json, endpoint, found_json, id_text, truncate, ExtraFields, Problems};
use crate::config::{ConfigProblem, Secret, SecretRef};
use crate::forward::http::send;
use crate::forward::{Delivered, Destination, Env, Failure, Priority, Ticket};

/// ConnectWise's longest summary.
pub const MAX_SUMMARY: usize = 100;

/// `[destinations.NAME]` with `kind = "connectwise"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectwiseSettings {
    /// The API site, `https://api-na.myconnectwise.net`.
    pub url: String,
    /// The codebase in the path (`v4_6_release`).
    #[serde(default = "default_codebase")]
    pub codebase: String,
    /// The company id you log in with.
    pub company_id: String,
    /// The API member's public key.
    pub public_key: String,
    /// Its private key.
    pub private_key: SecretRef,
    /// The integration's clientId (developer.connectwise.com/ClientID).
    pub client_id: SecretRef,
    /// The identifier of the client company tickets are filed under.
    pub company: String,
    /// The service board's name.
    #[serde(default)]
    pub board: Option<String>,
    /// Custom fields by their numeric id: `{ "7" = "product" }`.
    #[serde(default)]
    pub custom_fields: ExtraFields,
    /// Calls a minute to stay under (0: no pacing).
    #[serde(default)]
    pub calls_per_minute: u32,
}

fn default_codebase() -> String {
    "v4_6_release".into()
}

impl ConnectwiseSettings {
    /// Checks the settings and reads the keys.
    pub fn build(
        &self,
        path: &str,
        env: Env<'_>,
        http: &reqwest::Client,
    ) -> Result<Connectwise, Vec<ConfigProblem>> {
        let mut p = Problems::default();
        let base = p.url(path, "url", &self.url);
        let private_key = p.secret(path, "private_key", &self.private_key, env);
        let client_id = p.secret(path, "client_id", &self.client_id, env);
        let plain = |s: &str| !s.is_empty() && !s.contains(['+', ':', '/']);
        p.check(
            plain(&self.codebase),
            path,
            "codebase",
            "write the codebase, e.g. v4_6_release",
        );
        p.check(
            plain(&self.company_id),
            path,
            "company_id",
            "write the company id you log in with",
        );
        p.check(
            plain(&self.public_key),
            path,
            "public_key",
            "write the API member's public key",
        );
        p.check(
            !self.company.trim().is_empty(),
            path,
            "company",
            "write the client company's identifier",
        );
        let mut custom = Vec::new();
        for (id, field) in &self.custom_fields {
            match id.parse::<u64>() {
                Ok(n) => custom.push((n, *field)),
                Err(_) => p.check(
                    false,
                    path,
                    &format!("custom_fields.{id}"),
                    "custom fields are named by their numeric id",
                ),
            }
        }
        p.or(|| {
            Some(Connectwise {
                base: base?,
                private_key: private_key?,
                client_id: client_id?,
                custom,
                settings: self.clone(),
                http: http.clone(),
            })
        })
    }
}

/// The ConnectWise Manage destination.
pub struct Connectwise {
    base: reqwest::Url,
    private_key: Secret,
    client_id: Secret,
    custom: Vec<(u64, frontline_core::adapters::RequestField)>,
    settings: ConnectwiseSettings,
    http: reqwest::Client,
}

/// Impact and severity.
fn impact_severity(p: Priority) -> (&'static str, &'static str) {
    match p {
        Priority::Urgent => ("High", "High"),
        Priority::High => ("High", "Medium"),
        Priority::Normal => ("Medium", "Medium"),
        Priority::Low => ("Low", "Low"),
    }
}

impl Connectwise {
    fn tickets(&self) -> String {
        endpoint(
            &self.base,
            &format!("/{}/apis/3.0/service/tickets", self.settings.codebase),
        )
    }

    fn what(&self, method: &str) -> String {
        format!(
            "ConnectWise Manage {method} /{}/apis/3.0/service/tickets",
            self.settings.codebase
        )
    }

    fn authorized(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let user = format!("{}+{}", self.settings.company_id, self.settings.public_key);
        r.basic_auth(user, Some(self.private_key.expose()))
            .header("clientId", self.client_id.expose())
            .header(reqwest::header::ACCEPT, "application/json")
    }

    fn delivered(t: &Value) -> Option<Delivered> {
        Some(Delivered {
            ticket_id: id_text(&t["id"])?,
            url: None,
        })
    }
}

#[async_trait]
impl Destination for Connectwise {
    async fn create(&self, ticket: &Ticket) -> Result<Delivered, Failure> {
        let what = self.what("POST");
        let (impact, severity) = impact_severity(ticket.priority);
        let summary = ticket.title.replace(['\r', '\n'], " ");
        let mut body = json!({
            "summary": truncate(&summary, MAX_SUMMARY),
            "company": { "identifier": self.settings.company },
            "initialDescription": ticket.body,
            "contactName": ticket.name(),
            "contactEmailAddress": ticket.email(),
            "impact": impact,
            "severity": severity,
            "externalXRef": ticket.frontline_id,
        });
        if let Some(b) = &self.settings.board {
            body["board"] = json!({ "name": b });
        }
        if !self.custom.is_empty() {
            let items: Vec<Value> = self
                .custom
                .iter()
                .map(|(id, f)| json!({ "id": id, "value": ticket.field(*f) }))
                .collect();
            body["customFields"] = Value::Array(items);
        }
        let request = self.authorized(self.http.post(self.tickets())).json(&body);
        let answer = send(request, &what).await?;
        let created = created_json(&answer, &what)?;
        Self::delivered(&created).ok_or_else(|| {
            Failure::maybe_sent(format!("{what}: {} without a ticket id", answer.status))
        })
    }

    async fn find(&self, ticket: &Ticket) -> Result<Option<Delivered>, Failure> {
        let what = self.what("GET");
        if ticket.frontline_id.contains(['"', '\\']) {
            return Ok(None);
        }
        let conditions = format!("externalXRef = \"{}\"", ticket.frontline_id);
        let request = self.authorized(self.http.get(self.tickets())).query(&[
            ("conditions", conditions.as_str()),
            ("pageSize", "10"),
            ("fields", "id,summary,externalXRef"),
        ]);
        let found = found_json(&send(request, &what).await?, &what)?;
        Ok(found
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["externalXRef"].as_str() == Some(ticket.frontline_id.as_str()))
            .and_then(Self::delivered))
    }

    fn calls_per_minute(&self) -> Option<u32> {
        Some(self.settings.calls_per_minute).filter(|n| *n > 0)
    }
}
