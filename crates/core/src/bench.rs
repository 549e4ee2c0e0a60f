//! Generators of large rulesets for benchmarks (not part of the stable API).

use serde_json::{json, Value};

fn text(s: &str, pad: usize) -> Value {
    let filler = "lorem ipsum ".repeat(pad);
    json!({"en": format!("{s} {filler}"), "fr": format!("{s} (fr) {filler}")})
}

/// A valid ruleset with `nodes` diagnosis nodes (a ternary tree of
/// questions whose leaves are ends) and texts padded by `pad` words.
pub fn generate_with(nodes: usize, pad: usize) -> String {
    let nodes = nodes.max(1);
    let mut out = Vec::with_capacity(nodes);
    for i in 0..nodes {
        let children: Vec<usize> = (1..=3).map(|k| 3 * i + k).filter(|&c| c < nodes).collect();
        if children.is_empty() {
            out.push(json!({"type": "end", "id": format!("n{i}"), "summary": text(&format!("End {i}"), pad)}));
        } else {
            let answers: Vec<Value> = children
                .iter()
                .map(|&c| json!({"id": format!("a{c}"), "label": text(&format!("Answer {c}"), pad), "next": format!("n{c}"), "tags": [format!("t{}", c % 4)]}))
                .collect();
            out.push(json!({"type": "question", "id": format!("n{i}"), "text": text(&format!("Question {i}"), pad), "answers": answers}));
        }
    }
    let v = json!({
        "schema": "frontline.ruleset/v1", "id": "bench", "version": "1",
        "default_language": "en", "languages": ["en", "fr"],
        "partner": {"name": "Bench", "csp_model": "direct_bill", "competencies": [{"id": "c", "name": "C", "level": "gold"}],
                    "contracts": ["tech"], "support_provided": [text("Support", 0)]},
        "fallback_contact": {"name": "Bench", "email": "help@example.com"},
        "intake": {"adapter": "json", "url": "https://example.com/intake"},
        "hours": {"time_zone": "Europe/Paris", "weekly": {"mon": [{"open": "08:00", "close": "18:00"}]}, "round_the_clock": ["A"]},
        "contact_methods": [{"id": "portal", "channel": "portal", "label": text("Portal", 0), "address": "https://example.com", "availability": "always"}],
        "pricing": {"currency": "EUR", "items": [{"id": "inc", "model": "included", "note": text("Included", 0)}]},
        "severities": [{"id": "A", "name": text("A", 0), "definition": text("Down", 0), "targets": [{"minutes": 120}], "source": "bench"}],
        "vehicles": [
            {"id": "com", "kind": "commercial", "name": text("Commercial", 0), "description": text("C", 0), "available_to_all": true, "source": "bench"},
            {"id": "tech", "kind": "technical", "name": text("Technical", 0), "description": text("T", 0),
             "requires": {"in": ["gold", {"var": "partner.competency_levels"}]}, "source": "bench"}],
        "kinds": [{"id": "technical", "name": text("Technical", 0), "description": text("T", 0)}],
        "products": [{"id": "p", "name": text("Product", 0), "origin": "vendor", "kinds": [{"kind": "technical", "start": "n0"}]}],
        "nodes": out,
        "rules": [
            {"id": "r0", "when": {"in": ["t0", {"var": "tags"}]}, "handler": "partner", "rationale": text("r0", 0), "source": "bench"},
            {"id": "r1", "when": {"and": [{"in": ["t1", {"var": "tags"}]}, {"==": [{"var": "kind"}, "technical"]}]}, "handler": "vendor_technical", "rationale": text("r1", 0), "source": "bench"},
            {"id": "r2", "when": {"in": ["t2", {"var": "tags"}]}, "handler": "vendor_commercial", "rationale": text("r2", 0), "source": "bench"},
            {"id": "r3", "when": true, "handler": "partner", "rationale": text("r3", 0), "source": "bench"}
        ]
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// A valid ruleset with `nodes` diagnosis nodes and short texts.
pub fn generate(nodes: usize) -> String {
    generate_with(nodes, 0)
}

/// A valid ruleset of about `bytes` bytes of JSON (at least).
pub fn generate_bytes(bytes: usize) -> String {
    let mut nodes = 256;
    loop {
        let s = generate_with(nodes, 4);
        if s.len() >= bytes || nodes > 1_000_000 {
            return s;
        }
        nodes = nodes * bytes / s.len().max(1) + 16;
    }
}

/// The transcript of the deepest first-answer path of a generated ruleset.
pub fn deep_transcript(nodes: usize) -> crate::Transcript {
    let mut t = crate::Transcript::new("p", "technical");
    let mut i = 0;
    while 3 * i + 1 < nodes {
        let c = 3 * i + 1;
        t = t.answer(&format!("n{i}"), &format!("a{c}"));
        i = c;
    }
    t
}
