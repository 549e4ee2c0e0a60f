//! `GET /requests`: what arrived, as plain HTML (no script, no inline
//! style: it works under `default-src 'none'; style-src 'self'`) or JSON.

use frontline_core::request::Request;
use frontline_core::Verification;
use serde_json::{json, Value};

use crate::store::Stored;

/// The stylesheet served at `/requests.css`.
pub const CSS: &str = "\
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}
.ok{color:#116329}
.mismatch{color:#a40e26;font-weight:600}
.unchecked{color:#666}
.desc{white-space:pre-wrap;max-width:32rem}
small{color:#555}
";

/// HTML-escapes text for element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn verification_of(s: &Stored) -> Option<Verification> {
    s.verification
        .as_deref()
        .and_then(|v| serde_json::from_str(v).ok())
}

/// The listing page.
pub fn html(rows: &[Stored], total: u64) -> String {
    let mut h = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Frontline intake: requests</title>\
         <link rel=\"stylesheet\" href=\"/requests.css\"></head><body>\n",
    );
    h.push_str(&format!(
        "<h1>Requests received</h1>\n<p>{total} in total, newest first{}. \
         Also as <a href=\"/requests.json\">JSON</a>.</p>\n",
        if (rows.len() as u64) < total {
            format!(" (the latest {})", rows.len())
        } else {
            String::new()
        }
    ));
    if rows.is_empty() {
        h.push_str("<p>Nothing yet.</p>\n</body></html>\n");
        return h;
    }
    h.push_str(
        "<table><thead><tr><th>Reference</th><th>Received</th><th>Title and description</th>\
         <th>From</th><th>Product / kind / severity</th><th>Handled by</th><th>Check</th></tr></thead><tbody>\n",
    );
    for s in rows {
        let req: Option<Request> = serde_json::from_str(&s.body).ok();
        let check = match verification_of(s) {
            None => "<span class=\"unchecked\">not checked (no ruleset)</span>".to_string(),
            Some(v) if v.matches => "<span class=\"ok\">matches the ruleset</span>".to_string(),
            Some(v) => {
                let mut t = String::from("<span class=\"mismatch\">MISMATCH</span><ul>");
                for d in &v.differences {
                    t.push_str(&format!(
                        "<li>{}: request says {}, ruleset says {}</li>",
                        escape(&d.field),
                        escape(&d.recorded),
                        escape(&d.recomputed)
                    ));
                }
                t.push_str("</ul>");
                t
            }
        };
        match req {
            Some(r) => {
                let d = &r.outcome.decision;
                h.push_str(&format!(
                    "<tr><td>{}<br><small>{}</small></td><td>{}</td><td><strong>{}</strong>\
                     <div class=\"desc\">{}</div></td><td>{}<br><small>{}</small><br>{}</td>\
                     <td>{} / {} / {}</td><td>{}{}</td><td>{}</td></tr>\n",
                    escape(&s.reference),
                    escape(&r.id),
                    escape(&s.received_at),
                    escape(&r.problem.title),
                    escape(&clip(&r.problem.description, 400)),
                    escape(&r.contact.name),
                    escape(&r.contact.email),
                    escape(&r.organisation.company),
                    escape(&r.problem.product),
                    escape(&r.problem.kind),
                    escape(r.problem.severity.as_deref().unwrap_or("-")),
                    escape(d.handler.as_str()),
                    d.vehicle
                        .as_deref()
                        .map(|v| format!(" via {}", escape(v)))
                        .unwrap_or_default(),
                    check
                ));
            }
            None => h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td colspan=\"5\">(stored body is not a readable request)</td></tr>\n",
                escape(&s.reference),
                escape(&s.received_at)
            )),
        }
    }
    h.push_str("</tbody></table>\n</body></html>\n");
    h
}

/// The listing as JSON: `{"total", "requests": [{"reference", "received_at", "verification", "request"}]}`.
pub fn json(rows: &[Stored], total: u64) -> Value {
    let requests: Vec<Value> = rows
        .iter()
        .map(|s| {
            json!({
                "reference": s.reference,
                "received_at": s.received_at,
                "verification": verification_of(s),
                "request": serde_json::from_str::<Value>(&s.body).unwrap_or(Value::Null),
            })
        })
        .collect();
    json!({ "total": total, "requests": requests })
}
