//! `GET /admin`: what arrived and where it was forwarded, as plain HTML (no
//! script, no inline style: it works under `default-src 'none'; style-src
//! 'self'`), with search by reference, the dead letters and "retry now";
//! `GET /requests.json`: the same as JSON.

use frontline_core::request::Request;
use frontline_core::Verification;
use serde_json::{json, Value};

use crate::store::{JobState, JobView, Query, Stored};

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
form.search{margin:1rem 0}
form.inline{display:inline}
.state-done{color:#116329}
.state-pending{color:#7a4d00}
.state-dead{color:#a40e26;font-weight:600}
.purged{color:#666;font-style:italic}
nav a{margin-right:1rem}
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

/// The forward status of one job, with "retry now" for a dead letter.
fn job_cell(j: &JobView) -> String {
    let mut t = format!(
        "<div><strong>{}</strong>: <span class=\"state-{}\">{}</span>",
        escape(&j.destination),
        j.state.as_str(),
        match j.state {
            JobState::Done => "forwarded",
            JobState::Pending if j.attempts == 0 => "waiting",
            JobState::Pending => "retrying",
            JobState::Dead => "DEAD LETTER",
            JobState::Erased => "erased before forwarding",
        }
    );
    if let Some(id) = &j.ticket_id {
        match &j.ticket_url {
            Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
                t.push_str(&format!(
                    " <a href=\"{}\" rel=\"noreferrer\">ticket {}</a>",
                    escape(u),
                    escape(id)
                ))
            }
            _ => t.push_str(&format!(" ticket {}", escape(id))),
        }
    }
    if j.attempts > 0 && j.state != JobState::Done {
        let n = j.attempts;
        t.push_str(&format!(
            " <small>after {n} attempt{}</small>",
            if n == 1 { "" } else { "s" }
        ));
    }
    if let Some(e) = j
        .last_error
        .as_deref()
        .filter(|_| j.state != JobState::Done)
    {
        t.push_str(&format!("<br><small>{}</small>", escape(&clip(e, 300))));
    }
    if j.state == JobState::Dead {
        t.push_str(&format!(
            "<form class=\"inline\" method=\"post\" action=\"/admin/jobs/{}/retry\"><button>Retry now</button></form>",
            j.id
        ));
    }
    t.push_str("</div>");
    t
}

/// The admin page: `rows` of `total`, as asked by `query`.
pub fn html(rows: &[Stored], total: u64, query: &Query) -> String {
    let mut h = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Frontline relay: requests</title>\
         <link rel=\"stylesheet\" href=\"/requests.css\"></head><body>\n",
    );
    h.push_str(
        "<nav><a href=\"/admin\">All requests</a><a href=\"/admin?dead=1\">Dead letters</a><a href=\"/admin?held=1\">Held as spam</a>\
         <a href=\"/admin/funnel\">Deflection funnel</a><a href=\"/metrics\">Metrics</a></nav>\n",
    );
    let search = query.search.as_deref().unwrap_or("");
    h.push_str(&format!(
        "<h1>{}</h1>\n<form class=\"search\" method=\"get\" action=\"/admin\"><label for=\"q\">Reference or request id</label> \
         <input id=\"q\" name=\"q\" value=\"{}\" placeholder=\"FL-000123\"> <button>Search</button></form>\n\
         <p>{total} requests in total; {} shown, newest first. Also as <a href=\"/requests.json\">JSON</a>.</p>\n",
        if query.dead_only {
            "Dead letters"
        } else if query.held_only {
            "Held as suspected spam"
        } else {
            "Requests received"
        },
        escape(search),
        rows.len()
    ));
    if rows.is_empty() {
        h.push_str(if query.search.is_some() || query.dead_only {
            "<p>None match.</p>\n</body></html>\n"
        } else {
            "<p>Nothing yet.</p>\n</body></html>\n"
        });
        return h;
    }
    h.push_str(
        "<table><thead><tr><th>Reference</th><th>Received</th><th>Title and description</th>\
         <th>From</th><th>Product / kind / severity</th><th>Handled by</th><th>Check</th><th>Forwarded to</th></tr></thead><tbody>\n",
    );
    for s in rows {
        let action = |what: &str, label: &str| {
            format!(
                "<form class=\"inline\" method=\"post\" action=\"/admin/requests/{}/{what}\"><button>{label}</button></form>",
                escape(&s.reference)
            )
        };
        let mut jobs: String = match &s.held {
            Some(why) => format!(
                "<div><span class=\"state-dead\">HELD as suspected spam</span><br><small>{}</small> {}</div>",
                escape(why),
                action("release", "Release (forward it)")
            ),
            None if s.jobs.is_empty() => "<small>no destination</small>".into(),
            None => s.jobs.iter().map(job_cell).collect(),
        };
        if s.body.is_some() {
            jobs.push_str(&action("erase", "Erase personal data"));
        }
        let Some(body) = &s.body else {
            h.push_str(&format!(
                "<tr><td>{}<br><small>{}</small></td><td>{}</td><td colspan=\"5\" class=\"purged\">personal data purged</td><td>{jobs}</td></tr>\n",
                escape(&s.reference),
                escape(&s.request_id),
                escape(&s.received_at)
            ));
            continue;
        };
        let req: Option<Request> = serde_json::from_str(body).ok();
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
                     <td>{} / {} / {}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>\n",
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
                    check,
                    jobs
                ));
            }
            None => h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td colspan=\"5\">(stored body is not a readable request)</td><td>{jobs}</td></tr>\n",
                escape(&s.reference),
                escape(&s.received_at)
            )),
        }
    }
    h.push_str("</tbody></table>\n</body></html>\n");
    h
}

/// The listing as JSON: `{"total", "requests": [{"reference", "id",
/// "received_at", "verification", "request", "forwards"}]}` (`request` is
/// null once purged).
pub fn json(rows: &[Stored], total: u64) -> Value {
    let requests: Vec<Value> = rows
        .iter()
        .map(|s| {
            json!({
                "reference": s.reference,
                "id": s.request_id,
                "received_at": s.received_at,
                "verification": verification_of(s),
                "request": s.body.as_deref().and_then(|b| serde_json::from_str::<Value>(b).ok()).unwrap_or(Value::Null),
                "forwards": s.jobs,
                "held": s.held,
            })
        })
        .collect();
    json!({ "total": total, "requests": requests })
}
