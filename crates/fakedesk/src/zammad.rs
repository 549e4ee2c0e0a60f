//! Zammad REST API v1 (docs.zammad.org, api/intro and api/ticket):
//! `POST /api/v1/tickets` answers 201 with the ticket;
//! `GET /api/v1/tickets/search?query=…&limit=…` answers
//! `{"tickets":[ids],"tickets_count":n,"assets":{"Ticket":{id:{…}}}}`.
//!
//! Auth: `Authorization: Token token=…` (or `Bearer …`); otherwise 401
//! `{"error":"Authentication required"}`. Create requires `title` (at most
//! 250 characters), `group` (an existing group's name), a customer
//! (`customer_id` or `customer`: an e-mail, `guess:<e-mail>`, or an id) and
//! an `article` with a `body`; `article.type` one of the article types,
//! `priority` one of the default names. Custom object attributes must
//! exist ([`ATTRIBUTES`]). Errors: 422 `{"error":…,"error_human":…}`.
//! The search takes `attribute:value` or `attribute:"value"`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use crate::{create, json_answer, object, text, Shared, Stored};

/// The token the fake accepts.
pub const TOKEN: &str = "fake-zammad-token";
/// The groups that exist.
pub const GROUPS: [&str; 2] = ["Users", "Support"];
/// The custom ticket attributes that exist (Admin > Objects).
pub const ATTRIBUTES: [&str; 3] = ["frontline_id", "frontline_product", "frontline_tenant"];
/// The default priorities.
pub const PRIORITIES: [&str; 3] = ["1 low", "2 normal", "3 high"];
/// The longest title.
pub const MAX_TITLE: usize = 250;

pub(crate) const HINT: &str =
    "token = the value fake-zammad-token; groups Users, Support; attributes frontline_id, frontline_product, frontline_tenant";

const FIELDS: [&str; 11] = [
    "title",
    "group",
    "group_id",
    "customer",
    "customer_id",
    "article",
    "priority",
    "priority_id",
    "state",
    "tags",
    "note",
];
const ARTICLE_TYPES: [&str; 6] = ["note", "web", "email", "phone", "sms", "chat"];

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/tickets", post(create_ticket))
        .route("/api/v1/tickets/search", get(search))
}

fn error(status: StatusCode, message: &str) -> Response {
    json_answer(status, json!({ "error": message, "error_human": message }))
}

fn unauthorized(headers: &HeaderMap) -> Option<Response> {
    let v = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = v
        .strip_prefix("Token token=")
        .or_else(|| v.strip_prefix("Bearer "));
    (token != Some(TOKEN)).then(|| {
        json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"error": "Authentication required"}),
        )
    })
}

fn validate(m: &Map<String, Value>) -> Result<(), String> {
    for k in m.keys() {
        if !FIELDS.contains(&k.as_str()) && !ATTRIBUTES.contains(&k.as_str()) {
            return Err(format!("unknown attribute '{k}' for Ticket."));
        }
    }
    match text(m, "title") {
        Some(t) if !t.trim().is_empty() => {
            if t.chars().count() > MAX_TITLE {
                return Err(format!(
                    "Title is too long (maximum is {MAX_TITLE} characters)"
                ));
            }
        }
        _ => return Err("Title can't be blank".into()),
    }
    match text(m, "group") {
        Some(g) if GROUPS.contains(&g) => {}
        Some(g) => return Err(format!("No lookup value found for 'group': \"{g}\"")),
        None if m.contains_key("group_id") => {}
        None => return Err("Group can't be blank".into()),
    }
    let customer = m.get("customer_id").or_else(|| m.get("customer"));
    let ok = match customer {
        Some(Value::Number(_)) => true,
        Some(Value::String(c)) => c.strip_prefix("guess:").unwrap_or(c).contains('@'),
        _ => false,
    };
    if !ok {
        return Err("Customer can't be blank (customer_id: an id or guess:<e-mail>)".into());
    }
    if let Some(p) = text(m, "priority") {
        if !PRIORITIES.contains(&p) {
            return Err(format!("No lookup value found for 'priority': \"{p}\""));
        }
    }
    let Some(Value::Object(a)) = m.get("article") else {
        return Err("article is required: a ticket needs its first article".into());
    };
    if text(a, "body").is_none_or(str::is_empty) {
        return Err("article.body can't be blank".into());
    }
    if let Some(t) = text(a, "type") {
        if !ARTICLE_TYPES.contains(&t) {
            return Err(format!("No lookup value found for 'type': \"{t}\""));
        }
    }
    if let Some(c) = text(a, "content_type") {
        if !["text/plain", "text/html"].contains(&c) {
            return Err(format!(
                "article.content_type \"{c}\" is not text/plain or text/html"
            ));
        }
    }
    Ok(())
}

/// The ticket as the API shows it.
fn view(t: &Stored) -> Value {
    let mut v = json!({
        "id": t.seq,
        "number": t.key,
        "title": t.subject,
        "group_id": 1,
        "priority_id": PRIORITIES.iter().position(|p| *p == t.priority).map_or(2, |i| i + 1),
        "state_id": 1,
        "customer_id": 100 + t.seq,
        "article_ids": [t.seq],
    });
    for a in ATTRIBUTES {
        v[a] = t.body.get(a).cloned().unwrap_or(Value::Null);
    }
    v
}

async fn create_ticket(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = unauthorized(&headers) {
        return r;
    }
    let plan = s.plan();
    let m = match object(&headers, &body) {
        Ok(m) => m,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, &e),
    };
    if let Err(e) = validate(&m) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, &e);
    }
    create(
        &s,
        plan,
        |s| {
            let t = s.store(|seq| Stored {
                seq,
                key: (31_000 + seq).to_string(),
                frontline_id: text(&m, ATTRIBUTES[0]).map(str::to_string),
                subject: text(&m, "title").unwrap_or_default().to_string(),
                description: m["article"]["body"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                priority: text(&m, "priority").unwrap_or(PRIORITIES[1]).to_string(),
                body: Value::Object(m.clone()),
            });
            json_answer(StatusCode::CREATED, view(&t))
        },
        error,
    )
    .await
}

async fn search(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = unauthorized(&headers) {
        return r;
    }
    let query = q.get("query").map_or("", |x| x.trim());
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(10);
    let Some((field, value)) = query.split_once(':') else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "this fake searches attribute:value only",
        );
    };
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
        .to_string();
    let field = field.to_string();
    let found = s.select(|t| view(t)[&field].as_str() == Some(value.as_str()));
    let found: Vec<&Stored> = found.iter().rev().take(limit).collect();
    let assets: Map<String, Value> = found.iter().map(|t| (t.seq.to_string(), view(t))).collect();
    json_answer(
        StatusCode::OK,
        json!({
            "tickets": found.iter().map(|t| t.seq).collect::<Vec<_>>(),
            "tickets_count": found.len(),
            "assets": { "Ticket": assets },
        }),
    )
}
