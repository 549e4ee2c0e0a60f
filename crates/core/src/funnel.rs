//! The deflection funnel: anonymous events the portal sends to the
//! ruleset's `intake.events_url` (when the partner opts in), so the partner
//! can count where customers solve their problem themselves, where they
//! give up and what reaches a request.
//!
//! What it is for: the wire format, `frontline.events/v1`, written and read
//! here, and the portal's batching rules as plain data ([`Funnel`]: what is
//! queued, the cap per page load, the one `abandoned` event), tested
//! natively. What it is not: a transport or a clock (the portal sends the
//! batches with `navigator.sendBeacon` and runs the timer).
//!
//! An event names where the customer is and what the rules decided, never
//! what the customer typed, no id of a request or of anyone, no time (the
//! server counts on arrival):
//!
//! ```json
//! {"schema":"frontline.events/v1","ruleset":"northwind-cloud-default","events":[
//!   {"type":"step","stage":"diagnosis","product":"m365","kind":"billing","node":"billing-what"},
//!   {"type":"escalated","product":"m365","kind":"billing","handler":"vendor_commercial"}]}
//! ```
//!
//! Members are absent when unknown. `type` is one of [`EventType`];
//! `stage` (on `step` and `abandoned`) one of [`STAGES`].
//!
//! ## Usage
//! ```
//! use frontline_core::funnel::{Event, EventType, Funnel};
//! let mut f = Funnel::new("northwind-cloud-default");
//! f.record(Event::new(EventType::Step).stage("product"));
//! f.at(Some(Event::new(EventType::Abandoned).stage("product")));
//! let batch = f.hidden().unwrap(); // the page is hidden: the queue, and `abandoned`
//! assert_eq!(
//!     batch,
//!     r#"{"schema":"frontline.events/v1","ruleset":"northwind-cloud-default","events":[{"type":"step","stage":"product"},{"type":"abandoned","stage":"product"}]}"#
//! );
//! assert_eq!(f.take_batch(), None);
//! ```

use serde::Deserialize;

use crate::json::Writer;

/// The `schema` of a batch of events.
pub const EVENTS_SCHEMA: &str = "frontline.events/v1";

/// The most events one page load sends; the rest are dropped.
pub const MAX_EVENTS_PER_PAGE: usize = 100;

/// The portal sends the queue at most this often (and when the page is
/// hidden or unloaded).
pub const FLUSH_INTERVAL_MS: u32 = 5_000;

/// The stages a `step` or `abandoned` event names, in the order of the
/// journey. `outcome` is only on `abandoned`: the customer left on the
/// screen saying who handles the problem (the `escalated` event is that
/// screen's arrival).
pub const STAGES: [&str; 6] = [
    "product",
    "problem",
    "diagnosis",
    "outcome",
    "request",
    "review",
];

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// The customer arrived on a step (`stage`, with `product`, `kind` and
    /// `node` when known).
    Step,
    /// A self-help step solved the problem (`product`, `kind`, `node`).
    Resolved,
    /// The rules decided who handles it (`product`, `kind`, `handler`).
    Escalated,
    /// The intake acknowledged the request (`product`, `kind`).
    Submitted,
    /// The page was hidden or closed mid-journey, neither resolved nor
    /// submitted (`stage`, `product`, `kind`); once per page load.
    Abandoned,
}

impl EventType {
    /// The `type` member.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Step => "step",
            EventType::Resolved => "resolved",
            EventType::Escalated => "escalated",
            EventType::Submitted => "submitted",
            EventType::Abandoned => "abandoned",
        }
    }
}

/// One event: only ids of the ruleset (products, kinds, nodes, handlers).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// What happened.
    #[serde(rename = "type")]
    pub event: EventType,
    /// Where (one of [`STAGES`]).
    #[serde(default)]
    pub stage: Option<String>,
    /// The product id.
    #[serde(default)]
    pub product: Option<String>,
    /// The kind of problem id.
    #[serde(default)]
    pub kind: Option<String>,
    /// The diagnosis node id.
    #[serde(default)]
    pub node: Option<String>,
    /// Who handles it (`partner`, `vendor_commercial`, …).
    #[serde(default)]
    pub handler: Option<String>,
}

impl Event {
    /// An event of this type with no member known yet.
    pub fn new(event: EventType) -> Event {
        Event {
            event,
            stage: None,
            product: None,
            kind: None,
            node: None,
            handler: None,
        }
    }

    /// With `stage`.
    pub fn stage(mut self, stage: &str) -> Event {
        self.stage = Some(stage.to_owned());
        self
    }

    /// With `product` and `kind` (each when known).
    pub fn problem(mut self, product: Option<&str>, kind: Option<&str>) -> Event {
        self.product = product.map(str::to_owned);
        self.kind = kind.map(str::to_owned);
        self
    }

    /// With `node`.
    pub fn node(mut self, node: &str) -> Event {
        self.node = Some(node.to_owned());
        self
    }

    /// With `handler`.
    pub fn handler(mut self, handler: &str) -> Event {
        self.handler = Some(handler.to_owned());
        self
    }

    /// The event as JSON: `type`, then the known members in the order
    /// stage, product, kind, node, handler.
    pub fn to_json(&self) -> String {
        let mut w = Writer::new("{");
        self.write(&mut w);
        w.0
    }

    fn write(&self, w: &mut Writer) {
        w.text("type", self.event.as_str());
        for (key, value) in [
            ("stage", &self.stage),
            ("product", &self.product),
            ("kind", &self.kind),
            ("node", &self.node),
            ("handler", &self.handler),
        ] {
            if let Some(v) = value {
                w.text(key, v);
            }
        }
        w.close('}');
    }
}

/// A batch as sent: `{"schema":"frontline.events/v1","ruleset":…,"events":[…]}`.
pub fn batch_json(ruleset: &str, events: &[Event]) -> String {
    let mut w = Writer::new("{");
    w.text("schema", EVENTS_SCHEMA);
    w.text("ruleset", ruleset);
    w.raw("events", "[");
    for e in events {
        w.raw("", "{");
        e.write(&mut w);
    }
    w.close(']');
    w.close('}');
    w.0
}

/// A batch as received.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// [`EVENTS_SCHEMA`].
    pub schema: String,
    /// The ruleset's id.
    pub ruleset: String,
    /// The events, in the order they happened.
    pub events: Vec<Event>,
}

impl Batch {
    /// Reads a batch (for a collector: the relay), refusing another schema,
    /// an unknown member, an unknown `stage`, or more than
    /// [`MAX_EVENTS_PER_PAGE`] events.
    pub fn from_json(text: &str) -> Result<Batch, String> {
        let batch: Batch = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if batch.schema != EVENTS_SCHEMA {
            return Err(format!(
                "schema: expected \"{EVENTS_SCHEMA}\", found \"{}\"",
                batch.schema
            ));
        }
        if batch.events.len() > MAX_EVENTS_PER_PAGE {
            return Err(format!(
                "events: {} events, at most {MAX_EVENTS_PER_PAGE} in a batch",
                batch.events.len()
            ));
        }
        for (i, e) in batch.events.iter().enumerate() {
            if let Some(s) = e.stage.as_deref().filter(|s| !STAGES.contains(s)) {
                return Err(format!("events[{i}].stage: unknown stage \"{s}\""));
            }
        }
        Ok(batch)
    }
}

/// The portal's funnel over one page load, without the browser: the queue,
/// how many events were kept, and the one `abandoned` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funnel {
    ruleset: String,
    queue: Vec<Event>,
    kept: usize,
    /// Resolved or submitted during this page load: never abandoned.
    done: bool,
    abandoned: bool,
    /// What to send if the page is hidden now.
    leaving: Option<Event>,
}

impl Funnel {
    /// A funnel for the ruleset of this id.
    pub fn new(ruleset: &str) -> Funnel {
        Funnel {
            ruleset: ruleset.to_owned(),
            queue: Vec::new(),
            kept: 0,
            done: false,
            abandoned: false,
            leaving: None,
        }
    }

    /// Queues `event`, unless this page load has kept
    /// [`MAX_EVENTS_PER_PAGE`] already. True when queued.
    pub fn record(&mut self, event: Event) -> bool {
        if matches!(event.event, EventType::Resolved | EventType::Submitted) {
            self.done = true;
        }
        if self.kept >= MAX_EVENTS_PER_PAGE {
            return false;
        }
        self.kept += 1;
        self.queue.push(event);
        true
    }

    /// Where the customer is now: the `abandoned` event to send if the page
    /// is hidden there, or `None` where leaving is no abandonment (the
    /// welcome screen, a solved problem, a request on its way).
    pub fn at(&mut self, leaving: Option<Event>) {
        self.leaving = leaving;
    }

    /// Whether events are waiting.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The queued events as one batch, emptying the queue; `None` when
    /// there are none.
    pub fn take_batch(&mut self) -> Option<String> {
        if self.queue.is_empty() {
            return None;
        }
        let batch = batch_json(&self.ruleset, &self.queue);
        self.queue.clear();
        Some(batch)
    }

    /// The page is being hidden or unloaded: `abandoned` (once per page
    /// load, mid-journey, neither resolved nor submitted) joins the queue,
    /// then the batch to send now.
    pub fn hidden(&mut self) -> Option<String> {
        if !self.done && !self.abandoned {
            if let Some(e) = self.leaving.clone() {
                self.abandoned = true;
                self.record(e);
            }
        }
        self.take_batch()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(stage: &str) -> Event {
        Event::new(EventType::Step).stage(stage)
    }

    #[test]
    fn an_event_writes_its_known_members_in_order() {
        let e = Event::new(EventType::Step)
            .stage("diagnosis")
            .problem(Some("m365"), Some("billing"))
            .node("billing-what");
        assert_eq!(
            e.to_json(),
            r#"{"type":"step","stage":"diagnosis","product":"m365","kind":"billing","node":"billing-what"}"#
        );
        let e = Event::new(EventType::Escalated)
            .problem(Some("m365"), Some("billing"))
            .handler("vendor_commercial");
        assert_eq!(
            e.to_json(),
            r#"{"type":"escalated","product":"m365","kind":"billing","handler":"vendor_commercial"}"#
        );
        assert_eq!(
            Event::new(EventType::Submitted)
                .problem(Some("m365"), None)
                .to_json(),
            r#"{"type":"submitted","product":"m365"}"#
        );
    }

    #[test]
    fn a_batch_is_read_back_as_written() {
        let events = vec![
            step("product"),
            Event::new(EventType::Resolved)
                .problem(Some("m\"365"), Some("k"))
                .node("n"),
        ];
        let text = batch_json("r\\1", &events);
        assert!(text.starts_with(
            r#"{"schema":"frontline.events/v1","ruleset":"r\\1","events":[{"type":"step""#
        ));
        let batch = Batch::from_json(&text).unwrap();
        assert_eq!(batch.ruleset, "r\\1");
        assert_eq!(batch.events, events);
        assert_eq!(
            batch_json("r", &[]),
            r#"{"schema":"frontline.events/v1","ruleset":"r","events":[]}"#
        );
    }

    #[test]
    fn a_collector_refuses_what_the_portal_never_sends() {
        let bad = [
            r#"{"schema":"frontline.events/v2","ruleset":"r","events":[]}"#,
            r#"{"schema":"frontline.events/v1","ruleset":"r","events":[{"type":"clicked"}]}"#,
            r#"{"schema":"frontline.events/v1","ruleset":"r","events":[{"type":"step","stage":"elsewhere"}]}"#,
            r#"{"schema":"frontline.events/v1","ruleset":"r","events":[{"type":"step","email":"a@b.example"}]}"#,
            r#"{"schema":"frontline.events/v1","ruleset":"r","events":[],"at":"2026-01-01"}"#,
        ];
        for text in bad {
            assert!(Batch::from_json(text).is_err(), "{text}");
        }
        let many = batch_json("r", &vec![step("product"); MAX_EVENTS_PER_PAGE + 1]);
        assert!(Batch::from_json(&many).is_err());
    }

    #[test]
    fn the_queue_empties_into_one_batch_and_stops_at_the_cap() {
        let mut f = Funnel::new("r");
        assert_eq!(f.take_batch(), None);
        for _ in 0..MAX_EVENTS_PER_PAGE {
            assert!(f.record(step("product")));
        }
        assert!(!f.record(step("problem")));
        let batch = Batch::from_json(&f.take_batch().unwrap()).unwrap();
        assert_eq!(batch.events.len(), MAX_EVENTS_PER_PAGE);
        assert!(f.is_empty());
        // Emptying the queue does not reset the page's cap.
        assert!(!f.record(step("problem")));
        assert_eq!(f.take_batch(), None);
    }

    #[test]
    fn abandoned_is_sent_once_and_never_after_a_resolution_or_a_submission() {
        let leaving = Event::new(EventType::Abandoned)
            .stage("review")
            .problem(Some("m365"), Some("billing"));
        let mut f = Funnel::new("r");
        f.at(Some(leaving.clone()));
        let batch = Batch::from_json(&f.hidden().unwrap()).unwrap();
        assert_eq!(batch.events, vec![leaving.clone()]);
        // Hidden again (the customer came back, then left): not twice.
        assert_eq!(f.hidden(), None);

        let mut f = Funnel::new("r");
        f.at(None); // the welcome screen, a solved problem, a request sent
        assert_eq!(f.hidden(), None);

        for done in [EventType::Resolved, EventType::Submitted] {
            let mut f = Funnel::new("r");
            f.record(Event::new(done));
            f.at(Some(leaving.clone())); // went back after it
            let batch = Batch::from_json(&f.hidden().unwrap()).unwrap();
            assert_eq!(batch.events, vec![Event::new(done)]);
        }
    }
}
