//! Frontline's browser shell: a thin Leptos layer over `frontline-core`.
//!
//! What it is for: drawing the customer's wizard and wiring side effects
//! (network, storage, DOM) at the edges. What it is not: the place for any
//! decision about a request — those live in `frontline-core`, where they are
//! tested natively and shared with the CLI and partners' servers.

pub mod api;
pub mod app;
pub mod clock;
pub mod delivery;
pub mod dom;
pub mod format;
pub mod frame;
pub mod funnel;
pub mod host;
pub mod i18n;
pub mod part;
pub mod request_form;
pub mod request_part;
pub mod request_screens;
pub mod rest_part;
pub mod screens;
pub mod storage;
pub mod views;
pub mod wizard;

/// Ruleset location used when the page names none.
pub const DEFAULT_CONFIG_URL: &str = "rules/default.json";

/// Mounts the portal into `container` (an element of the page or of a shadow
/// root), reading the partner's ruleset from `config_url` (or the default
/// location when empty). `started`: what the page did to fetch that URL
/// beside the portal's code (see [`frame::Portal::mount`]), or `undefined`.
/// `remove()` on the handle unmounts it.
pub fn mount_portal(
    container: &web_sys::Element,
    config_url: Option<String>,
    started: wasm_bindgen::JsValue,
) -> std::rc::Rc<frame::Portal> {
    let config_url = config_url
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_CONFIG_URL.to_owned());
    frame::Portal::mount(container, config_url, started)
}
