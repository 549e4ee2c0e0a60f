//! Frontline's pure domain core.
//!
//! What it is for: everything that decides something about a support
//! request — the partner's ruleset as data ([`Ruleset`]), loading it with a
//! report of every problem ([`load`], [`Report`]), walking the diagnosis
//! ([`evaluate`] → [`Step`] / [`Outcome`] with its trace), re-checking a
//! submitted decision ([`verify`]), service hours and first-response
//! deadlines ([`hours`], [`Zone`]), and partner-written scenarios
//! ([`scenario`]). The same code runs in the browser (WebAssembly), in the
//! `frontline` CLI and on a partner's server.
//!
//! What it is not: a UI, a transport, storage, or a clock. Those live at the
//! edges; the current instant is always a parameter.
//!
//! ## Usage
//! ```
//! use frontline_core::{evaluate, load, Step, Transcript};
//! let rules = load(include_str!("../../../public/rules/default.json")).unwrap();
//! let t = Transcript::new("m365", "billing")
//!     .answer("billing-what", "dispute");
//! match evaluate(&rules, &t).unwrap() {
//!     Step::Outcome(o) => assert_eq!(o.handler.as_str(), "vendor_commercial"),
//!     other => panic!("{other:?}"),
//! }
//! ```
//!
//! Cargo features: `schema` adds [`schema::ruleset_schema`] (JSON Schema via
//! `schemars`; off by default so the WebAssembly bundle does not pay for it).

pub mod adapters;
pub mod cond;
pub mod eval;
pub mod funnel;
pub mod hash;
pub mod hours;
pub mod json;
pub mod load;
pub mod money;
pub mod outbox;
pub mod pow;
mod read;
pub mod report;
pub mod request;
pub mod ruleset;
pub mod scenario;
mod sort;
pub mod tz;

#[doc(hidden)]
pub mod bench;

#[cfg(feature = "schema")]
pub mod schema;

pub use eval::{
    evaluate, price_for, verify, Answered, Decision, Difference, EvalError, HashScheme, Outcome,
    Price, Request, Step, TraceEntry, TraceKind, Transcript, Verification,
};
pub use load::{
    load, load_with_report, parse, parse_front, read_front, validate, validate_on, Rest,
};
pub use report::{Level, Problem, Report};
pub use ruleset::*;
pub use tz::Zone;

pub use adapters::{delivery_for, mailto_for, Delivery, OutgoingHttp};
pub use outbox::Outbox;
pub use request::{FieldProblem, MAX_REQUEST_BYTES, REQUEST_SCHEMA};

/// The error [`load`] returns (kept for the app's existing imports).
pub type LoadError = Report;

/// Reads just the fallback contact from a ruleset text, even when the
/// ruleset as a whole is invalid, so the UI can still show whom to call.
pub fn fallback_contact(json: &str) -> Option<FallbackContact> {
    let v = json::parse(json).ok()?;
    // The ruleset's own hand reader (lighter in WebAssembly than serde's
    // derive); like serde here, it ignores unknown fields.
    let mut report = Report::default();
    let mut reader = read::Reader {
        report: &mut report,
    };
    read::fallback(
        &mut reader,
        v.get("fallback_contact")?,
        "$.fallback_contact",
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn fallback_contact_reads_what_serde_reads() {
        for contact in [
            r#"{"name": "N", "email": "e@x.example"}"#,
            r#"{"name": "N", "email": "e@x.example", "phone": "+33 1", "url": null, "colour": 1}"#,
            r#"{"name": "N", "email": "e@x.example", "phone": 5}"#,
            r#"{"name": "N"}"#,
            r#""N""#,
            "null",
        ] {
            let ruleset = format!(r#"{{"id": 1, "fallback_contact": {contact}}}"#);
            let by_serde = serde_json::from_str::<serde_json::Value>(&ruleset)
                .ok()
                .and_then(|v| serde_json::from_value(v["fallback_contact"].clone()).ok());
            assert_eq!(super::fallback_contact(&ruleset), by_serde, "{contact}");
        }
        assert_eq!(super::fallback_contact(r#"{"id": 1}"#), None);
        assert_eq!(super::fallback_contact("not json"), None);
    }
}
