//! ConnectWise Manage (PSA) REST API 3.0 (developer.connectwise.com):
//! `POST /{codebase}/apis/3.0/service/tickets` answers 201 with the ticket;
//! `GET …/service/tickets?conditions=…&pageSize=…&fields=…` answers an
//! array.
//!
//! Auth: HTTP Basic `companyId+publicKey:privateKey` and a `clientId`
//! header; otherwise 401. Create requires `summary` (at most 100
//! characters) and `company` (`{id}` or `{identifier}` of a company that
//! exists); `board` (`{id}` or `{name}`) must exist when given; `severity`
//! and `impact` are Low, Medium or High; `customFields` items `{id, value}`
//! name existing fields. Errors: 400 `{"code":"InvalidObject","message":…,
//! "errors":[{"code","message","resource":"ticket","field"}]}`. Conditions:
//! `field = "value"` joined by `and`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::{create, json_answer, object, text, Shared, Stored};

/// The login company.
pub const COMPANY_ID: &str = "contoso";
/// The API member's public key.
pub const PUBLIC_KEY: &str = "fakepublickey";
/// Its private key.
pub const PRIVATE_KEY: &str = "fake-connectwise-private-key";
/// The integration's client id.
pub const CLIENT_ID: &str = "fake-connectwise-client-id";
/// The companies that exist: (id, identifier).
pub const COMPANIES: [(u64, &str); 2] = [(250, "ContosoLtd"), (251, "Fabrikam")];
/// The service boards that exist: (id, name).
pub const BOARDS: [(u64, &str); 2] = [(1, "Help Desk"), (2, "Projects")];
/// The ticket custom fields that exist (ids).
pub const CUSTOM_FIELD_IDS: [u64; 2] = [7, 8];
/// The longest summary.
pub const MAX_SUMMARY: usize = 100;

pub(crate) const HINT: &str = "codebase v4_6_release; company_id contoso, public_key fakepublickey, private_key = the value fake-connectwise-private-key, client_id = the value fake-connectwise-client-id; companies ContosoLtd, Fabrikam; boards \"Help Desk\", Projects; custom fields 7, 8";

pub(crate) fn routes() -> Router<Shared> {
    Router::new().route(
        "/{codebase}/apis/3.0/service/tickets",
        post(create_ticket).get(list),
    )
}

fn invalid(field: &str, code: &str, message: &str) -> Response {
    json_answer(
        StatusCode::BAD_REQUEST,
        json!({"code": "InvalidObject", "message": "ticket object is invalid",
               "errors": [{"code": code, "message": message, "resource": "ticket", "field": field}]}),
    )
}

fn error(status: StatusCode, message: &str) -> Response {
    json_answer(
        status,
        json!({"code": "UnexpectedError", "message": message}),
    )
}

fn unauthorized(headers: &HeaderMap) -> Option<Response> {
    let user = format!("{COMPANY_ID}+{PUBLIC_KEY}");
    let keys = crate::basic(headers).is_some_and(|(u, p)| u == user && p == PRIVATE_KEY);
    let client = headers.get("clientId").and_then(|v| v.to_str().ok()) == Some(CLIENT_ID);
    (!(keys && client)).then(|| {
        let why = if keys {
            "a valid clientId header is required"
        } else {
            "Invalid credentials"
        };
        json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"code": "Unauthorized", "message": why}),
        )
    })
}

/// A `{id}` or `{identifier|name}` reference to one of `known`.
fn reference(
    v: Option<&Value>,
    key: &str,
    known: &'static [(u64, &'static str)],
) -> Option<(u64, &'static str)> {
    let v = v?.as_object()?;
    known
        .iter()
        .find(|(id, name)| {
            v.get("id").and_then(Value::as_u64) == Some(*id) || text(v, key) == Some(*name)
        })
        .copied()
}

/// The first problem of a create call, as the 400 to answer.
fn problem(m: &Map<String, Value>) -> Option<Response> {
    match text(m, "summary") {
        Some(s) if !s.trim().is_empty() => {
            if s.chars().count() > MAX_SUMMARY {
                return Some(invalid(
                    "summary",
                    "InvalidField",
                    "summary: the maximum length is 100 characters",
                ));
            }
        }
        _ => {
            return Some(invalid(
                "summary",
                "NullValue",
                "The summary field is required.",
            ))
        }
    }
    if !m.contains_key("company") {
        return Some(invalid(
            "company",
            "NullValue",
            "The company field is required.",
        ));
    }
    if reference(m.get("company"), "identifier", &COMPANIES).is_none() {
        return Some(invalid(
            "company",
            "InvalidObject",
            "company: the company was not found",
        ));
    }
    if m.contains_key("board") && reference(m.get("board"), "name", &BOARDS).is_none() {
        return Some(invalid(
            "board",
            "InvalidObject",
            "board: the board was not found",
        ));
    }
    for f in ["severity", "impact"] {
        if text(m, f).is_some_and(|v| !["Low", "Medium", "High"].contains(&v)) {
            return Some(invalid(
                f,
                "InvalidField",
                &format!("{f} must be Low, Medium or High"),
            ));
        }
    }
    if let Some(cf) = m.get("customFields") {
        let items = cf.as_array().map_or(&[][..], |v| v.as_slice());
        for item in items {
            if !item["id"]
                .as_u64()
                .is_some_and(|id| CUSTOM_FIELD_IDS.contains(&id))
            {
                return Some(invalid(
                    "customFields",
                    "InvalidObject",
                    &format!("customFields: no custom field {}", item["id"]),
                ));
            }
        }
    }
    None
}

/// The ticket as the API shows it.
fn view(t: &Stored) -> Value {
    let mut v = match &t.body {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    v.insert("id".into(), json!(t.seq));
    if let Some((id, identifier)) = reference(t.body.get("company"), "identifier", &COMPANIES) {
        v.insert(
            "company".into(),
            json!({"id": id, "identifier": identifier}),
        );
    }
    Value::Object(v)
}

async fn create_ticket(
    State(s): State<Shared>,
    Path(_codebase): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = unauthorized(&headers) {
        return r;
    }
    let plan = s.plan();
    let m = match object(&headers, &body) {
        Ok(m) => m,
        Err(e) => return invalid("$", "InvalidObject", &e),
    };
    if let Some(r) = problem(&m) {
        return r;
    }
    create(
        &s,
        plan,
        |s| {
            let t = s.store(|seq| Stored {
                seq,
                key: seq.to_string(),
                frontline_id: text(&m, "externalXRef").map(str::to_string),
                subject: text(&m, "summary").unwrap_or_default().to_string(),
                description: text(&m, "initialDescription")
                    .unwrap_or_default()
                    .to_string(),
                priority: format!(
                    "{}/{}",
                    text(&m, "impact").unwrap_or("Medium"),
                    text(&m, "severity").unwrap_or("Medium")
                ),
                body: Value::Object(m.clone()),
            });
            json_answer(StatusCode::CREATED, view(&t))
        },
        error,
    )
    .await
}

async fn list(
    State(s): State<Shared>,
    Path(_codebase): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = unauthorized(&headers) {
        return r;
    }
    let mut conditions = Vec::new();
    for c in q
        .get("conditions")
        .map_or("", String::as_str)
        .split(" and ")
    {
        if c.trim().is_empty() {
            continue;
        }
        let parsed = c.split_once('=').and_then(|(f, v)| {
            let v = v.trim().strip_prefix('"')?.strip_suffix('"')?;
            Some((f.trim().to_string(), v.replace("\\\"", "\"")))
        });
        match parsed {
            Some(x) => conditions.push(x),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("this fake reads field = \"value\" conditions, not {c:?}"),
                )
            }
        }
    }
    let page_size = q
        .get("pageSize")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(25)
        .min(1000);
    let fields: Option<Vec<String>> = q
        .get("fields")
        .map(|f| f.split(',').map(|x| x.trim().to_string()).collect());
    let found = s.select(|t| {
        let v = view(t);
        conditions
            .iter()
            .all(|(f, x)| v[f].as_str() == Some(x.as_str()))
    });
    let out: Vec<Value> = found
        .iter()
        .take(page_size)
        .map(|t| {
            let mut v = view(t);
            if let (Some(fields), Value::Object(m)) = (&fields, &mut v) {
                m.retain(|k, _| fields.contains(k));
            }
            v
        })
        .collect();
    json_answer(StatusCode::OK, Value::Array(out))
}
