//! Frontline's browser shell: a thin Leptos layer over `frontline-core`.
//!
//! What it is for: drawing the customer's wizard and wiring side effects
//! (network, storage, DOM) at the edges. What it is not: the place for any
//! decision about a request — those live in `frontline-core`, where they are
//! tested natively and shared with the CLI and partners' servers.

pub mod api;
pub mod app;
pub mod i18n;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Id of the element the portal mounts into when no other is given.
pub const CONTAINER_ID: &str = "frontline";

/// Ruleset location used when the container names none in `data-config`.
pub const DEFAULT_CONFIG_URL: &str = "rules/default.json";

/// Mounts the portal into `#frontline`, reading the ruleset location from
/// its `data-config` attribute. Logs to the console if the element is missing
/// rather than panicking, so a host page never sees a crash.
pub fn mount_into_document() {
    let Some(container) = document()
        .get_element_by_id(CONTAINER_ID)
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        web_sys::console::error_1(
            &format!("Frontline: no element with id \"{CONTAINER_ID}\" to mount into").into(),
        );
        return;
    };
    let config_url = container
        .get_attribute("data-config")
        .unwrap_or_else(|| DEFAULT_CONFIG_URL.to_owned());
    // The portal lives as long as the page: keep it mounted.
    leptos::mount::mount_to(container, move || view! { <app::App config_url /> }).forget();
}
