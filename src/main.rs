//! The WebAssembly module's entry points: a thin mount over the library.
//! The page's start-up script (`public/boot.js`, or the embed loader) calls
//! the exported `mount`.

use wasm_bindgen::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
}

/// A mounted portal, held by JavaScript. `destroy()` unmounts it.
#[wasm_bindgen]
pub struct Portal {
    mounted: Option<Box<dyn std::any::Any>>,
}

#[wasm_bindgen]
impl Portal {
    /// Removes the portal's DOM and everything it registered.
    pub fn destroy(&mut self) {
        self.mounted = None;
    }
}

/// Mounts the portal into `container`, reading the ruleset at `config_url`.
#[wasm_bindgen]
pub fn mount(container: web_sys::HtmlElement, config_url: Option<String>) -> Portal {
    Portal {
        mounted: Some(frontline::mount_portal(container, config_url)),
    }
}
