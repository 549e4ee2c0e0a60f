//! `GET /admin/funnel`: the deflection funnel per product and kind of
//! problem over a chosen period, drawn on the server as SVG (no script, no
//! chart library), with the same numbers as a table.
//!
//! For each product and kind: how many diagnoses started (the kind's first
//! question was shown), how many ended in a fix by self-help (and at which
//! steps), how many were escalated (to whom), how many reached the request
//! form, were sent, or were abandoned (at which stage). The deflection rate
//! is the share of finished journeys the customer's own fix ended:
//! resolved ÷ (resolved + sent).

use std::collections::BTreeMap;
use std::fmt::Write;

use frontline_core::Ruleset;

use crate::listing::escape;
use crate::store::EventKey;

/// One product and kind's funnel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Funnel {
    /// Diagnoses started (the first question shown).
    pub started: u64,
    /// Fixed by self-help, by node.
    pub resolved: BTreeMap<String, u64>,
    /// Escalated, by handler.
    pub escalated: BTreeMap<String, u64>,
    /// The request form shown.
    pub form: u64,
    /// Requests sent.
    pub submitted: u64,
    /// Abandoned, by stage.
    pub abandoned: BTreeMap<String, u64>,
}

impl Funnel {
    /// Resolved in all.
    pub fn resolved_total(&self) -> u64 {
        self.resolved.values().sum()
    }

    /// resolved ÷ (resolved + sent), in percent, when there is any.
    pub fn deflection_percent(&self) -> Option<u64> {
        let r = self.resolved_total();
        let done = r + self.submitted;
        (done > 0).then(|| (r * 100 + done / 2) / done)
    }
}

/// The funnels by (product, kind) from the day counters. With the ruleset,
/// a diagnosis counts as started when its kind's first node was shown;
/// without it, every diagnosis step shown counts (an upper bound).
pub fn funnels(
    counts: &[(EventKey, u64)],
    ruleset: Option<&Ruleset>,
) -> BTreeMap<(String, String), Funnel> {
    let start_of = |product: &str, kind: &str| -> Option<String> {
        let r = ruleset?;
        r.products
            .iter()
            .find(|p| p.id == product)?
            .kinds
            .iter()
            .find(|k| k.kind == kind)
            .map(|k| k.start.clone())
    };
    let mut out: BTreeMap<(String, String), Funnel> = BTreeMap::new();
    for (e, n) in counts {
        if e.product.is_empty() || e.problem.is_empty() {
            continue;
        }
        let f = out
            .entry((e.product.clone(), e.problem.clone()))
            .or_default();
        match (e.kind.as_str(), e.stage.as_str()) {
            ("step", "diagnosis") => {
                let first = start_of(&e.product, &e.problem);
                if first.is_none() || first.as_deref() == Some(e.node.as_str()) {
                    f.started += n;
                }
            }
            ("step", "request") => f.form += n,
            ("resolved", _) => *f.resolved.entry(e.node.clone()).or_default() += n,
            ("escalated", _) => *f.escalated.entry(e.handler.clone()).or_default() += n,
            ("submitted", _) => f.submitted += n,
            ("abandoned", stage) => *f.abandoned.entry(stage.to_string()).or_default() += n,
            _ => {}
        }
    }
    out
}

/// One funnel as an SVG bar chart.
pub fn svg(title: &str, f: &Funnel) -> String {
    let bars: [(&str, u64, &str); 6] = [
        ("Diagnosis started", f.started, "#3b5bdb"),
        ("Fixed by self-help", f.resolved_total(), "#2b8a3e"),
        ("Escalated", f.escalated.values().sum(), "#e8590c"),
        ("Request form shown", f.form, "#5c7cfa"),
        ("Request sent", f.submitted, "#1864ab"),
        ("Abandoned", f.abandoned.values().sum(), "#868e96"),
    ];
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (170u64, 360u64, 26u64);
    let height = row_h * bars.len() as u64 + 8;
    let summary: Vec<String> = bars.iter().map(|(l, n, _)| format!("{l}: {n}")).collect();
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\" aria-label=\"{}\">",
        label_w + bar_w + 60,
        label_w + bar_w + 60,
        escape(&format!("{title}. {}", summary.join(", ")))
    );
    for (i, (label, n, colour)) in bars.iter().enumerate() {
        let y = 4 + row_h * i as u64;
        let w = (bar_w * n).div_ceil(max).max(u64::from(*n > 0));
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1b1b1b\">{label}</text>\
             <rect x=\"{label_w}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{colour}\"><title>{label}: {n}</title></rect>\
             <text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#1b1b1b\">{n}</text>",
            label_w - 8,
            y + 17,
            y + 3,
            row_h - 8,
            label_w + w + 6,
            y + 17,
        );
    }
    s.push_str("</svg>");
    s
}

fn list(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "—".into();
    }
    map.iter()
        .map(|(k, n)| format!("{} {n}", escape(if k.is_empty() { "(unknown)" } else { k })))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The page: a period form, then one chart and table per product and kind.
pub fn html(from: &str, to: &str, funnels: &BTreeMap<(String, String), Funnel>) -> String {
    let mut h = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Frontline relay: deflection funnel</title>\
         <link rel=\"stylesheet\" href=\"/requests.css\"></head><body>\n\
         <nav><a href=\"/admin\">All requests</a><a href=\"/admin?dead=1\">Dead letters</a>\
         <a href=\"/admin?held=1\">Held as spam</a><a href=\"/admin/funnel\">Deflection funnel</a>\
         <a href=\"/metrics\">Metrics</a></nav>\n<h1>Deflection funnel</h1>\n",
    );
    let _ = write!(
        h,
        "<form class=\"search\" method=\"get\" action=\"/admin/funnel\">\
         <label for=\"from\">From</label> <input id=\"from\" name=\"from\" type=\"date\" value=\"{}\"> \
         <label for=\"to\">to</label> <input id=\"to\" name=\"to\" type=\"date\" value=\"{}\"> \
         <button>Show</button></form>\n\
         <p>Anonymous counts the portal sends when the ruleset sets <code>intake.events_url</code>: \
         where customers were, never what they typed. Days are UTC.</p>\n",
        escape(from),
        escape(to)
    );
    if funnels.is_empty() {
        h.push_str("<p>No events in this period.</p>\n</body></html>\n");
        return h;
    }
    for ((product, kind), f) in funnels {
        let title = format!("{product} / {kind}");
        let _ = write!(
            h,
            "<section><h2>{}</h2>\n<p>Deflection: <strong>{}</strong> of finished journeys fixed by self-help.</p>\n{}\n\
             <table><thead><tr><th>Started</th><th>Fixed by self-help (at)</th><th>Escalated (to)</th>\
             <th>Form shown</th><th>Sent</th><th>Abandoned (at)</th></tr></thead><tbody><tr>\
             <td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></tbody></table></section>\n",
            escape(&title),
            f.deflection_percent().map_or("—".into(), |p| format!("{p} %")),
            svg(&title, f),
            f.started,
            f.resolved_total(),
            list(&f.resolved),
            list(&f.escalated),
            f.form,
            f.submitted,
            list(&f.abandoned),
        );
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: &str, stage: &str, node: &str, handler: &str) -> EventKey {
        EventKey {
            kind: kind.into(),
            stage: stage.into(),
            product: "m365".into(),
            problem: "billing".into(),
            node: node.into(),
            handler: handler.into(),
        }
    }

    #[test]
    fn counts_become_funnels() {
        let rules =
            frontline_core::load(include_str!("../../../public/rules/default.json")).unwrap();
        let start = rules
            .products
            .iter()
            .find(|p| p.id == "m365")
            .unwrap()
            .kinds
            .iter()
            .find(|k| k.kind == "billing")
            .unwrap()
            .start
            .clone();
        let counts = vec![
            (key("step", "diagnosis", &start, ""), 10),
            (key("step", "diagnosis", "a-later-question", ""), 7),
            (key("resolved", "", "restart-app", ""), 3),
            (key("resolved", "", "clear-cache", ""), 1),
            (key("escalated", "", "", "partner"), 5),
            (key("step", "request", "", ""), 5),
            (key("submitted", "", "", ""), 4),
            (key("abandoned", "request", "", ""), 1),
        ];
        let f = &funnels(&counts, Some(&rules))[&("m365".to_string(), "billing".to_string())];
        assert_eq!(f.started, 10, "only the first question starts a diagnosis");
        assert_eq!(f.resolved_total(), 4);
        assert_eq!(f.escalated["partner"], 5);
        assert_eq!((f.form, f.submitted), (5, 4));
        assert_eq!(f.deflection_percent(), Some(50));
        // Without the ruleset every diagnosis step counts.
        let f = &funnels(&counts, None)[&("m365".to_string(), "billing".to_string())];
        assert_eq!(f.started, 17);
        let page = html("2026-11-01", "2026-12-01", &funnels(&counts, Some(&rules)));
        assert!(
            page.contains("<svg")
                && page.contains("aria-label=\"m365 / billing. Diagnosis started: 10")
        );
        assert!(page.contains("restart-app 3") && page.contains("<strong>50 %</strong>"));
        assert!(!page.contains("<script"));
    }
}
