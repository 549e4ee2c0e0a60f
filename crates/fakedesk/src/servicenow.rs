//! ServiceNow's Table API (servicenow.com docs, "Table API"):
//! `POST /api/now/table/{table}` answers 201 `{"result":{…}}` with a
//! `Location` header; `GET /api/now/table/{table}?sysparm_query=…&
//! sysparm_limit=…&sysparm_fields=…` answers `{"result":[…]}`.
//!
//! Auth: HTTP Basic; otherwise 401 `{"error":{"message":"User Not
//! Authenticated","detail":…},"status":"failure"}`. Only the `incident`
//! table exists (others: 400 "Invalid table"). `short_description` is
//! required (mandatory on the incident form), at most 160 characters,
//! `description` at most 4000; `urgency` and `impact` 1–3. Encoded queries
//! take `field=value` conditions joined by `^`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::{create, json_answer, object, text, Shared, Stored};

/// The user name the fake accepts.
pub const USER: &str = "frontline.integration";
/// Its password.
pub const PASSWORD: &str = "fake-servicenow-password";
/// Field lengths of the incident table (the dictionary's defaults).
pub const LIMITS: [(&str, usize); 4] = [
    ("short_description", 160),
    ("description", 4000),
    ("correlation_id", 100),
    ("correlation_display", 100),
];

pub(crate) const HINT: &str =
    "username frontline.integration, password = the value fake-servicenow-password; table incident";

pub(crate) fn routes() -> Router<Shared> {
    Router::new().route("/api/now/table/{table}", post(insert).get(query))
}

fn error(status: StatusCode, message: &str) -> Response {
    json_answer(
        status,
        json!({"error": {"message": message, "detail": null}, "status": "failure"}),
    )
}

/// The 401 or 400 that a call to `table` gets before anything else.
fn refused(headers: &HeaderMap, table: &str) -> Option<Response> {
    match crate::basic(headers) {
        Some((u, p)) if u == USER && p == PASSWORD => {}
        _ => {
            return Some(json_answer(
                StatusCode::UNAUTHORIZED,
                json!({"error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"}, "status": "failure"}),
            ))
        }
    }
    (table != "incident").then(|| error(StatusCode::BAD_REQUEST, &format!("Invalid table {table}")))
}

/// A field value as text (the Table API takes strings or numbers).
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn validate(m: &Map<String, Value>) -> Result<(), String> {
    match text(m, "short_description") {
        Some(s) if !s.trim().is_empty() => {}
        _ => return Err("Mandatory field missing: short_description".into()),
    }
    for (k, v) in m {
        if as_text(v).is_none() && !v.is_null() {
            return Err(format!("Invalid value for field {k}: expected a string"));
        }
    }
    for (f, max) in LIMITS {
        if m.get(f)
            .and_then(as_text)
            .is_some_and(|s| s.chars().count() > max)
        {
            return Err(format!("Field {f} is longer than its maximum length {max}"));
        }
    }
    for f in ["urgency", "impact"] {
        if m.get(f)
            .and_then(as_text)
            .is_some_and(|s| !["1", "2", "3"].contains(&s.as_str()))
        {
            return Err(format!("Invalid choice for field {f}: expected 1, 2 or 3"));
        }
    }
    Ok(())
}

fn sys_id(seq: u64) -> String {
    format!(
        "{:032x}",
        u128::from(seq).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
    )
}

/// The record as the Table API shows it.
fn record(t: &Stored) -> Map<String, Value> {
    let mut r = match &t.body {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    r.insert("sys_id".into(), json!(sys_id(t.seq)));
    r.insert("number".into(), json!(t.key));
    r.entry("urgency").or_insert(json!("3"));
    r.entry("impact").or_insert(json!("3"));
    r.insert("sys_class_name".into(), json!("incident"));
    r
}

async fn insert(
    State(s): State<Shared>,
    Path(table): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = refused(&headers, &table) {
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
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    create(
        &s,
        plan,
        |s| {
            let get = |f: &str| m.get(f).and_then(as_text).unwrap_or_default();
            let t = s.store(|seq| Stored {
                seq,
                key: format!("INC{:07}", 10_000 + seq),
                frontline_id: m.get("correlation_id").and_then(as_text),
                subject: get("short_description"),
                description: get("description"),
                priority: format!("urgency {} impact {}", get("urgency"), get("impact")),
                body: Value::Object(m.clone()),
            });
            let mut r = json_answer(StatusCode::CREATED, json!({ "result": record(&t) }));
            let location = format!("http://{host}/api/now/table/incident/{}", sys_id(t.seq));
            if let Ok(v) = location.parse() {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        },
        error,
    )
    .await
}

async fn query(
    State(s): State<Shared>,
    Path(table): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = refused(&headers, &table) {
        return r;
    }
    let mut conditions = Vec::new();
    for c in q.get("sysparm_query").map_or("", String::as_str).split('^') {
        if c.is_empty() || c.starts_with("ORDERBY") {
            continue;
        }
        match c.split_once('=') {
            Some((f, v)) if !f.is_empty() => conditions.push((f.to_string(), v.to_string())),
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("Unsupported query condition {c}"),
                )
            }
        }
    }
    let limit = q
        .get("sysparm_limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(10_000);
    let fields: Option<Vec<String>> = q
        .get("sysparm_fields")
        .map(|f| f.split(',').map(|x| x.trim().to_string()).collect());
    let found = s.select(|t| {
        let r = record(t);
        conditions
            .iter()
            .all(|(f, v)| r.get(f).and_then(as_text).as_deref() == Some(v.as_str()))
    });
    let result: Vec<Value> = found
        .iter()
        .take(limit)
        .map(|t| {
            let mut r = record(t);
            if let Some(fields) = &fields {
                r.retain(|k, _| fields.contains(k));
            }
            Value::Object(r)
        })
        .collect();
    json_answer(StatusCode::OK, json!({ "result": result }))
}
