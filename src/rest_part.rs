//! The reader of the ruleset's lists a welcome screen does not show (its
//! severities, vehicles, kinds of problem, products, diagnosis nodes and
//! rules): most of the reading code, and none of what opening the portal
//! needs. In the release build (the `split` feature) it is a WebAssembly
//! module of its own, which the frame fetches once the welcome screen is
//! drawn, when the browser is idle, or at once if the wizard or a problem's
//! report needs it first (`crate::frame`). Without the feature (tests,
//! `cargo check`) it is linked in and loading it is immediate.

use frontline_core::{Report, Rest, Ruleset};

/// What the part provides: reads the rest of a ruleset whose front is read
/// ([`frontline_core::Rest::finish`]).
pub type Finish = fn(Rest) -> Result<Ruleset, Report>;

/// The split point: everything only reachable from here goes to the part's
/// module. `fallible`: a failed fetch is an `Err`, not a panic.
#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(rest_part, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn load() -> Result<Finish, leptos::wasm_split::SplitLoaderError> {
    Ok(Rest::finish)
}

/// Without the `split` feature the reader is linked in (and is never
/// missing: the error type is the split build's, so that callers handle it).
#[cfg(not(feature = "split"))]
pub async fn load() -> Result<Finish, leptos::wasm_split::SplitLoaderError> {
    Ok(Rest::finish)
}
