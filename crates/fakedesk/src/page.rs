//! `GET /`: the tickets a fake holds, as a page (every text escaped, no
//! script), so that the run command can show a request become a ticket.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::Shared;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
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

/// A description as the help desk shows it: HTML ones (Freshdesk's) with
/// their line breaks and entities turned back into text, to be escaped again.
fn readable(description: &str) -> String {
    if !description.contains("<br>")
        && !description.contains("&lt;")
        && !description.contains("&amp;")
    {
        return description.to_string();
    }
    description
        .replace("<br>", "\n")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The page's stylesheet (a file, so the CSP needs no inline style).
pub(crate) async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}\
         pre{white-space:pre-wrap;background:#f4f4f4;padding:.75rem;border-radius:4px}",
    )
        .into_response()
}

pub(crate) async fn index(State(s): State<Shared>) -> Response {
    let tickets = s.select(|_| true);
    let name = s.desk.as_str();
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Fake {name}</title><link rel=\"stylesheet\" href=\"/page.css\"></head><body>\
         <h1>Fake {name}: {} ticket(s)</h1>\
         <p>A local fake of the help desk's API, for tests and demos. Nothing leaves this machine.</p>",
        tickets.len()
    );
    if tickets.is_empty() {
        html.push_str("<p>No ticket yet.</p>");
    }
    for t in tickets.iter().rev() {
        html.push_str(&format!(
            "<section><h2>{} — {}</h2><p>Frontline id: {} · priority: {}</p><pre>{}</pre></section>",
            escape(&t.key),
            escape(&t.subject),
            escape(t.frontline_id.as_deref().unwrap_or("(none)")),
            escape(&t.priority),
            escape(&readable(&t.description)),
        ));
    }
    html.push_str("</body></html>");
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            super::escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
