//! `POST /events`: the portal's anonymous funnel events, when the ruleset
//! opts in (`intake.events_url`), counted per day and never stored one by
//! one.
//!
//! The body (`frontline.events/v1`, sent with `navigator.sendBeacon` as
//! `text/plain` so that no preflight is needed):
//!
//! ```json
//! {"schema": "frontline.events/v1", "ruleset": "contoso-support",
//!  "events": [{"type": "step", "stage": "diagnosis", "product": "m365",
//!              "kind": "billing", "node": "billing-what"}]}
//! ```
//!
//! Events carry what the host page's `frontline:*` events carry: where the
//! customer was, never what they typed, and no identifier of any kind.
//! Anything else is refused (400), so nothing personal can be slipped in.

use frontline_core::funnel::{Batch, EventType, EVENTS_SCHEMA, MAX_EVENTS_PER_PAGE, STAGES};

use crate::store::EventKey;

/// The largest events body accepted.
pub const MAX_EVENTS_BYTES: usize = 16 * 1024;

/// An id as rulesets write them: 1 to 64 letters, digits, `-`, `_`, `.`.
fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The ruleset id and the events of a body, or what is wrong, with its
/// JSON path.
pub fn parse(text: &str) -> Result<(String, Vec<EventKey>), (String, String)> {
    // The portal's own format (frontline_core::funnel), read with the path
    // of what is wrong, then held to ids only.
    let mut de = serde_json::Deserializer::from_str(text);
    let body: Batch = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let p = e.path().to_string();
        (
            if p == "." {
                "$".into()
            } else {
                format!("$.{p}")
            },
            e.inner().to_string(),
        )
    })?;
    if body.schema != EVENTS_SCHEMA {
        return Err(("$.schema".into(), format!("write \"{EVENTS_SCHEMA}\"")));
    }
    if !is_id(&body.ruleset) {
        return Err(("$.ruleset".into(), "the ruleset's id".into()));
    }
    if body.events.len() > MAX_EVENTS_PER_PAGE {
        return Err((
            "$.events".into(),
            format!("at most {MAX_EVENTS_PER_PAGE} events in one body"),
        ));
    }
    let mut keys = Vec::with_capacity(body.events.len());
    for (i, e) in body.events.into_iter().enumerate() {
        let at = |f: &str| format!("$.events[{i}].{f}");
        let kind = e.event.as_str();
        let stage = e.stage.unwrap_or_default();
        let needs_stage = matches!(e.event, EventType::Step | EventType::Abandoned);
        if needs_stage == stage.is_empty()
            || (!stage.is_empty() && !STAGES.contains(&stage.as_str()))
        {
            return Err((
                at("stage"),
                if needs_stage {
                    format!("one of {}", STAGES.join(", "))
                } else {
                    format!("only step and abandoned events have a stage, not {kind}")
                },
            ));
        }
        let id = |name: &str, v: Option<String>| -> Result<String, (String, String)> {
            match v {
                None => Ok(String::new()),
                Some(v) if is_id(&v) => Ok(v),
                Some(_) => Err((
                    at(name),
                    "an id of the ruleset (1 to 64 letters, digits, - _ .)".into(),
                )),
            }
        };
        let key = EventKey {
            product: id("product", e.product)?,
            problem: id("kind", e.kind)?,
            node: id("node", e.node)?,
            handler: id("handler", e.handler)?,
            kind: kind.to_string(),
            stage,
        };
        if !key.handler.is_empty() && key.kind != "escalated" {
            return Err((at("handler"), "only escalated events have a handler".into()));
        }
        keys.push(key);
    }
    Ok((body.ruleset, keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_portals_events() {
        let (ruleset, events) = parse(
            r#"{"schema":"frontline.events/v1","ruleset":"contoso","events":[
                {"type":"step","stage":"diagnosis","product":"m365","kind":"billing","node":"billing-what"},
                {"type":"escalated","product":"m365","kind":"billing","handler":"partner"},
                {"type":"abandoned","stage":"request"}]}"#,
        )
        .unwrap();
        assert_eq!(ruleset, "contoso");
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].problem, "billing");
        assert_eq!(events[0].node, "billing-what");
        assert_eq!(events[1].handler, "partner");
        assert_eq!(events[2].stage, "request");
        assert_eq!(events[2].product, "");
    }

    #[test]
    fn anything_else_is_refused_with_its_path() {
        let bad = |events: &str| {
            parse(&format!(
                r#"{{"schema":"frontline.events/v1","ruleset":"r","events":[{events}]}}"#
            ))
            .unwrap_err()
        };
        assert_eq!(bad(r#"{"type":"clicked"}"#).0, "$.events[0].type");
        assert_eq!(bad(r#"{"type":"step"}"#).0, "$.events[0].stage");
        assert_eq!(
            bad(r#"{"type":"resolved","stage":"review"}"#).0,
            "$.events[0].stage"
        );
        // Something the customer typed cannot ride along.
        let e = bad(r#"{"type":"submitted","email":"ada@contoso.example"}"#);
        assert!(
            e.0.starts_with("$.events[0]") && e.1.contains("unknown field"),
            "{e:?}"
        );
        assert_eq!(
            bad(r#"{"type":"resolved","node":"Ada Lovelace <ada@x>"}"#).0,
            "$.events[0].node"
        );
        assert_eq!(
            bad(r#"{"type":"resolved","handler":"partner"}"#).0,
            "$.events[0].handler"
        );
        assert_eq!(
            parse(r#"{"schema":"x","ruleset":"r","events":[]}"#)
                .unwrap_err()
                .0,
            "$.schema"
        );
        let many = vec![r#"{"type":"submitted"}"#; 101].join(",");
        assert_eq!(bad(&many).0, "$.events");
        assert_eq!(parse("not json").unwrap_err().0, "$");
    }
}
