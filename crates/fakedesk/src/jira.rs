//! Jira Service Management Cloud (developer.atlassian.com, servicedeskapi
//! "Create customer request"; Jira platform "Search for issues using JQL
//! (enhanced search)"): `POST /rest/servicedeskapi/request` answers 201
//! `{issueId, issueKey, _links{web}}`; `GET /rest/api/3/search/jql?jql=…&
//! fields=…&maxResults=…` answers `{"issues":[{id,key,fields}],"isLast"}`.
//!
//! Auth: HTTP Basic, the account's e-mail and an API token; otherwise 401.
//! The service desk ([`SERVICE_DESK_ID`]) and request type
//! ([`REQUEST_TYPE_ID`]) must exist; `requestFieldValues.summary` is
//! required (at most 255 characters, one line); only the request type's
//! fields ([`FIELDS`]) may be set. Errors: `{"errorMessage":…,
//! "i18nErrorMessage":{…}}`. JQL: `cf[N] ~ "text"` conditions (contains)
//! joined by `AND`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use crate::{create, json_answer, object, text, Shared, Stored};

/// The account's e-mail.
pub const EMAIL: &str = "relay@contoso.example";
/// Its API token.
pub const API_TOKEN: &str = "fake-jira-api-token";
/// The service desk that exists.
pub const SERVICE_DESK_ID: &str = "1";
/// Its request type.
pub const REQUEST_TYPE_ID: &str = "10";
/// The request type's fields (the custom ones are text fields; the first
/// keeps the Frontline id).
pub const FIELDS: [&str; 5] = [
    "summary",
    "description",
    "customfield_10050",
    "customfield_10051",
    "customfield_10052",
];
/// The longest summary.
pub const MAX_SUMMARY: usize = 255;
/// The project's key.
pub const PROJECT: &str = "SD";

pub(crate) const HINT: &str = "email relay@contoso.example, api_token = the value fake-jira-api-token; service desk 1, request type 10; id field customfield_10050, others customfield_10051, customfield_10052";

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/rest/servicedeskapi/request", post(create_request))
        .route("/rest/api/3/search/jql", get(search))
}

fn error(status: StatusCode, message: &str) -> Response {
    json_answer(
        status,
        json!({"errorMessage": message, "i18nErrorMessage": {"i18nKey": "sd.error", "parameters": []}}),
    )
}

fn unauthorized(headers: &HeaderMap) -> Option<Response> {
    let ok = crate::basic(headers).is_some_and(|(u, p)| u == EMAIL && p == API_TOKEN);
    (!ok).then(|| {
        json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"errorMessages": ["Client must be authenticated to access this resource."], "errors": {}}),
        )
    })
}

fn validate(m: &Map<String, Value>) -> Result<(), String> {
    if text(m, "serviceDeskId") != Some(SERVICE_DESK_ID) {
        return Err(format!(
            "serviceDeskId: the service desk {:?} does not exist or you do not have permission to access it",
            m.get("serviceDeskId")
        ));
    }
    if text(m, "requestTypeId") != Some(REQUEST_TYPE_ID) {
        return Err(format!(
            "requestTypeId: the request type {:?} does not exist in this service desk",
            m.get("requestTypeId")
        ));
    }
    if m.get("raiseOnBehalfOf")
        .is_some_and(|v| v.as_str().is_none_or(str::is_empty))
    {
        return Err("raiseOnBehalfOf: an accountId is expected".into());
    }
    let Some(Value::Object(fields)) = m.get("requestFieldValues") else {
        return Err("requestFieldValues is required".into());
    };
    for (k, v) in fields {
        if !FIELDS.contains(&k.as_str()) {
            return Err(format!(
                "Field '{k}' cannot be set. It is not on the appropriate screen, or unknown."
            ));
        }
        if !v.is_string() {
            return Err(format!("Field '{k}': a string is expected"));
        }
    }
    match text(fields, "summary") {
        Some(s) if !s.trim().is_empty() => {
            if s.chars().count() > MAX_SUMMARY {
                return Err(format!("summary: You must specify a summary of the issue of less than {MAX_SUMMARY} characters"));
            }
            if s.contains(['\n', '\r']) {
                return Err("summary: Field can't contain newline characters".into());
            }
        }
        _ => return Err("summary: You must specify a summary of the issue.".into()),
    }
    Ok(())
}

async fn create_request(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = unauthorized(&headers) {
        return r;
    }
    let plan = s.plan();
    let m = match object(&headers, &body) {
        Ok(m) => m,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    if let Err(e) = validate(&m) {
        return error(StatusCode::BAD_REQUEST, &e);
    }
    create(
        &s,
        plan,
        |s| {
            let f = &m["requestFieldValues"];
            let t = s.store(|seq| Stored {
                seq,
                key: format!("{PROJECT}-{seq}"),
                frontline_id: f[FIELDS[2]].as_str().map(str::to_string),
                subject: f["summary"].as_str().unwrap_or_default().to_string(),
                description: f["description"].as_str().unwrap_or_default().to_string(),
                priority: String::new(),
                body: Value::Object(m.clone()),
            });
            json_answer(
                StatusCode::CREATED,
                json!({
                    "issueId": (10_000 + t.seq).to_string(),
                    "issueKey": t.key,
                    "requestTypeId": REQUEST_TYPE_ID,
                    "serviceDeskId": SERVICE_DESK_ID,
                    "_links": {"web": format!("/servicedesk/customer/portal/1/{}", t.key)},
                }),
            )
        },
        error,
    )
    .await
}

/// `cf[10050] ~ "text"` as (`customfield_10050`, `text`).
fn condition(c: &str) -> Option<(String, String)> {
    let (field, value) = c.split_once('~')?;
    let field = field.trim();
    let n = field.strip_prefix("cf[")?.strip_suffix(']')?;
    let value = value.trim().strip_prefix('"')?.strip_suffix('"')?;
    let value = value.replace("\\\"", "\"");
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(&value)
        .to_string();
    Some((format!("customfield_{n}"), value))
}

async fn search(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = unauthorized(&headers) {
        return r;
    }
    let jql = q.get("jql").map_or("", String::as_str);
    let mut conditions = Vec::new();
    for c in jql.split(" AND ") {
        match condition(c) {
            Some(x) => conditions.push(x),
            None => {
                return json_answer(
                    StatusCode::BAD_REQUEST,
                    json!({"errorMessages": [format!("Error in the JQL Query: this fake reads cf[N] ~ \"text\", not {c:?}")], "errors": {}}),
                )
            }
        }
    }
    let fields: Vec<String> = q
        .get("fields")
        .map(|f| f.split(',').map(|x| x.trim().to_string()).collect())
        .unwrap_or_default();
    let max = q
        .get("maxResults")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(50);
    let found = s.select(|t| {
        let f = &t.body["requestFieldValues"];
        conditions
            .iter()
            .all(|(k, v)| f[k].as_str().is_some_and(|x| x.contains(v.as_str())))
    });
    let issues: Vec<Value> = found
        .iter()
        .take(max)
        .map(|t| {
            let all = &t.body["requestFieldValues"];
            let shown: Map<String, Value> = fields
                .iter()
                .map(|k| (k.clone(), all.get(k).cloned().unwrap_or(Value::Null)))
                .collect();
            json!({"id": (10_000 + t.seq).to_string(), "key": t.key, "fields": shown})
        })
        .collect();
    json_answer(StatusCode::OK, json!({ "issues": issues, "isLast": true }))
}
