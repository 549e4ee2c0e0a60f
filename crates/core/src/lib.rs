//! Frontline's pure domain core.
//!
//! What it is for: everything that decides something about a support request
//! — the partner's ruleset as data, loading it, and reading it in a locale.
//! It has no web types, so the same code runs in the browser (WebAssembly),
//! in the `frontline` CLI and on a partner's server.
//!
//! What it is not: a UI, a transport, or storage. Those live at the edges.

pub mod ruleset;

pub use ruleset::{load, LoadError, Partner, Product, Ruleset, Text};
