//! Freshdesk API v2 (developers.freshdesk.com/api): `POST /api/v2/tickets`,
//! `GET /api/v2/tickets?email=…` (list by requester) and
//! `GET /api/v2/search/tickets?query="…"` (filter).
//!
//! Auth: HTTP Basic, the API key as the user name, any password (the docs
//! use `X`); otherwise 401 `{"code":"invalid_credentials","message":…}`.
//! Create requires `subject`, `description` and one of `email`,
//! `requester_id`, `phone`; `priority` 1–4, `status` 2–5, `source` one of
//! the documented values; `custom_fields` only names the account has
//! ([`CUSTOM_FIELDS`]); unknown fields are refused. Errors: 400
//! `{"description":"Validation failed","errors":[{"field","message","code"}]}`.
//! The filter query must be in double quotes, at most 512 characters;
//! custom text fields are searched with `custom_string:'…'` (the real
//! search index lags by minutes, this fake does not).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

use crate::{create, json_answer, object, text, Shared, Stored};

/// The API key the fake accepts.
pub const API_KEY: &str = "fake-freshdesk-api-key";
/// The account's custom ticket fields (all single-line text).
pub const CUSTOM_FIELDS: [&str; 3] = ["cf_frontline_id", "cf_product", "cf_tenant"];
/// The account's groups.
pub const GROUP_IDS: [u64; 2] = [1001, 1002];
/// The longest subject accepted.
pub const MAX_SUBJECT: usize = 255;

pub(crate) const HINT: &str =
    "api_key = the value fake-freshdesk-api-key; id field cf_frontline_id; custom fields cf_product, cf_tenant; groups 1001, 1002";

const FIELDS: [&str; 17] = [
    "name",
    "requester_id",
    "email",
    "phone",
    "unique_external_id",
    "subject",
    "type",
    "status",
    "priority",
    "description",
    "responder_id",
    "cc_emails",
    "custom_fields",
    "group_id",
    "product_id",
    "source",
    "tags",
];

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v2/tickets", post(create_ticket).get(list))
        .route("/api/v2/search/tickets", get(search))
}

fn error(status: StatusCode, message: &str) -> Response {
    json_answer(status, json!({ "code": "error", "message": message }))
}

fn unauthorized() -> Response {
    json_answer(
        StatusCode::UNAUTHORIZED,
        json!({"code": "invalid_credentials", "message": "You have to be logged in to perform this action."}),
    )
}

fn invalid(field: &str, code: &str, message: &str) -> Response {
    json_answer(
        StatusCode::BAD_REQUEST,
        json!({"description": "Validation failed",
               "errors": [{"field": field, "message": message, "code": code}]}),
    )
}

/// A validation problem: the field, the code, the message.
struct Bad(String, &'static str, String);

fn bad(field: &str, code: &'static str, message: &str) -> Bad {
    Bad(field.to_string(), code, message.to_string())
}

fn authorized(headers: &HeaderMap) -> bool {
    crate::basic(headers).is_some_and(|(user, _)| user == API_KEY)
}

/// The first problem of a create call's body.
fn validate(m: &Map<String, Value>) -> Result<(), Bad> {
    if let Some(k) = m.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(bad(
            k,
            "invalid_field",
            "Unexpected/invalid field in request",
        ));
    }
    for f in ["subject", "description"] {
        match m.get(f) {
            None => return Err(bad(f, "missing_field", "It should be a/an String")),
            Some(Value::String(_)) => {}
            Some(_) => return Err(bad(f, "datatype_mismatch", "It should be a/an String")),
        }
    }
    if text(m, "subject").is_some_and(|s| s.chars().count() > MAX_SUBJECT) {
        return Err(bad(
            "subject",
            "invalid_value",
            "Has 255 characters, it can have maximum of 255 characters",
        ));
    }
    if !["email", "requester_id", "phone"]
        .iter()
        .any(|f| m.contains_key(*f))
    {
        return Err(bad(
            "requester_id",
            "missing_field",
            "Please fill at least 1 of requester_id, phone, email fields as they are required.",
        ));
    }
    if m.get("email")
        .is_some_and(|e| !e.as_str().is_some_and(|e| e.contains('@')))
    {
        return Err(bad(
            "email",
            "invalid_value",
            "It should be in the 'valid email address' format",
        ));
    }
    let int_in = |f: &str, ok: &[u64]| match m.get(f) {
        None => true,
        Some(v) => v.as_u64().is_some_and(|n| ok.contains(&n)),
    };
    if !int_in("priority", &[1, 2, 3, 4]) {
        return Err(bad(
            "priority",
            "invalid_value",
            "It should be one of these values: '1,2,3,4'",
        ));
    }
    if !int_in("status", &[2, 3, 4, 5]) {
        return Err(bad(
            "status",
            "invalid_value",
            "It should be one of these values: '2,3,4,5'",
        ));
    }
    if !int_in("source", &[1, 2, 3, 7, 9, 10]) {
        return Err(bad(
            "source",
            "invalid_value",
            "It should be one of these values: '1,2,3,7,9,10'",
        ));
    }
    if !int_in("group_id", &GROUP_IDS) {
        return Err(bad(
            "group_id",
            "invalid_value",
            "There is no group matching the given group_id",
        ));
    }
    match m.get("custom_fields") {
        None => {}
        Some(Value::Object(cf)) => {
            for (k, v) in cf {
                if !CUSTOM_FIELDS.contains(&k.as_str()) {
                    return Err(bad(
                        k,
                        "invalid_field",
                        "Unexpected/invalid field in request",
                    ));
                }
                if !v.is_string() {
                    return Err(bad(k, "datatype_mismatch", "It should be a/an String"));
                }
            }
        }
        Some(_) => {
            return Err(bad(
                "custom_fields",
                "datatype_mismatch",
                "It should be a/an key/value pair",
            ))
        }
    }
    Ok(())
}

/// The ticket as Freshdesk shows it.
fn view(t: &Stored) -> Value {
    let b = &t.body;
    let mut custom: Map<String, Value> = CUSTOM_FIELDS
        .iter()
        .map(|f| (f.to_string(), Value::Null))
        .collect();
    if let Some(Value::Object(cf)) = b.get("custom_fields") {
        custom.extend(cf.clone());
    }
    json!({
        "id": t.seq,
        "subject": t.subject,
        "description": t.description,
        "priority": b.get("priority").cloned().unwrap_or(json!(1)),
        "status": b.get("status").cloned().unwrap_or(json!(2)),
        "source": b.get("source").cloned().unwrap_or(json!(2)),
        "group_id": b.get("group_id").cloned().unwrap_or(Value::Null),
        "requester_id": 5000 + t.seq,
        "email": b.get("email").cloned().unwrap_or(Value::Null),
        "custom_fields": custom,
        "tags": b.get("tags").cloned().unwrap_or(json!([])),
    })
}

async fn create_ticket(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let plan = s.plan();
    let m = match object(&headers, &body) {
        Ok(m) => m,
        Err(e) => return invalid("$", "invalid_json", &e),
    };
    if let Err(Bad(field, code, message)) = validate(&m) {
        return invalid(&field, code, &message);
    }
    create(
        &s,
        plan,
        |s| {
            let t = s.store(|seq| Stored {
                seq,
                key: seq.to_string(),
                frontline_id: m
                    .get("custom_fields")
                    .and_then(|c| c.get(CUSTOM_FIELDS[0]))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                subject: text(&m, "subject").unwrap_or_default().to_string(),
                description: text(&m, "description").unwrap_or_default().to_string(),
                priority: m.get("priority").map_or("1".into(), Value::to_string),
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
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let per_page = q
        .get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(30);
    if !(1..=100).contains(&per_page) {
        return invalid(
            "per_page",
            "invalid_value",
            "It should be a Positive Integer less than or equal to 100",
        );
    }
    let email = q.get("email").cloned();
    let mut found = s.select(|t| {
        email
            .as_ref()
            .is_none_or(|e| t.body.get("email").and_then(Value::as_str) == Some(e.as_str()))
    });
    found.reverse();
    found.truncate(per_page);
    json_answer(
        StatusCode::OK,
        Value::Array(found.iter().map(view).collect()),
    )
}

/// One `field:value` term of a filter query, value unquoted.
fn term(t: &str) -> Option<(&str, &str)> {
    let (field, value) = t.trim().split_once(':')?;
    let value = value.trim();
    let value = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .unwrap_or(value);
    Some((field.trim(), value))
}

fn matches(t: &Stored, field: &str, value: &str) -> bool {
    let v = view(t);
    let cf = &v["custom_fields"];
    match field {
        "custom_string" => cf
            .as_object()
            .is_some_and(|m| m.values().any(|x| x.as_str() == Some(value))),
        "priority" | "status" | "group_id" => value.parse::<u64>().ok() == v[field].as_u64(),
        f if f.starts_with("cf_") => cf[f].as_str() == Some(value),
        _ => false,
    }
}

async fn search(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let Some(query) = q.get("query") else {
        return invalid("query", "missing_field", "It should be a/an String");
    };
    if query.chars().count() > 512 {
        return invalid("query", "invalid_value", "Has more than 512 characters");
    }
    let Some(inner) = query.strip_prefix('"').and_then(|x| x.strip_suffix('"')) else {
        return invalid(
            "query",
            "invalid_value",
            "Query should be enclosed in double quotes",
        );
    };
    let mut terms = Vec::new();
    for t in inner.split(" AND ") {
        match term(t) {
            Some((f, v))
                if f == "custom_string"
                    || f.starts_with("cf_")
                    || ["priority", "status", "group_id"].contains(&f) =>
            {
                terms.push((f.to_string(), v.to_string()))
            }
            _ => {
                return invalid(
                    "query",
                    "invalid_value",
                    &format!("invalid query term \"{t}\""),
                )
            }
        }
    }
    let found = s.select(|t| terms.iter().all(|(f, v)| matches(t, f, v)));
    let results: Vec<Value> = found.iter().rev().take(30).map(view).collect();
    json_answer(
        StatusCode::OK,
        json!({ "total": found.len(), "results": results }),
    )
}
