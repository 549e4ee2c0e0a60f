//! The WebAssembly module's entry points: a thin mount over the library.
//! The page's start-up script (`public/boot.js`, or the embed loader) calls
//! the exported `mount`.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
}

/// A mounted portal, held by JavaScript. `destroy()` unmounts it.
#[wasm_bindgen]
pub struct Portal {
    mounted: Option<Rc<frontline::frame::Portal>>,
}

#[wasm_bindgen]
impl Portal {
    /// Removes the portal's DOM and everything it registered.
    pub fn destroy(&mut self) {
        if let Some(portal) = self.mounted.take() {
            portal.remove();
        }
    }

    /// Prefills the request form (and the product) from a JSON object:
    /// `{"name", "email", "phone", "company", "tenant", "subscription_id", "product"}`.
    pub fn prefill(&self, json: &str) -> Result<(), JsValue> {
        let prefill = frontline::host::Prefill::from_json(json)
            .map_err(|e| JsValue::from_str(&format!("Frontline.prefill: {e}")))?;
        if let Some(portal) = &self.mounted {
            portal.prefill(prefill);
        }
        Ok(())
    }

    /// Switches the portal's language (`"fr"`, `"en"`).
    #[wasm_bindgen(js_name = setLocale)]
    pub fn set_locale(&self, tag: &str) {
        if let (Some(portal), Some(locale)) =
            (&self.mounted, frontline::i18n::Locale::from_tag(tag))
        {
            portal.set_locale(locale);
        }
    }
}

/// Mounts the portal into `container`, reading the ruleset at `config_url`.
/// `ruleset`, if given, is what the caller already has of it, fetched
/// beside the module so that the ruleset does not wait for it: its text
/// (the welcome screen is then drawn before this returns), or a promise of
/// its text or of the `Response`.
/// Keep the returned handle for as long as the portal is shown (the loader
/// and `boot.js` do): if it is garbage-collected, the portal is dropped and
/// stops answering.
#[wasm_bindgen]
pub fn mount(
    container: web_sys::HtmlElement,
    config_url: Option<String>,
    ruleset: JsValue,
) -> Portal {
    Portal {
        mounted: Some(frontline::mount_portal(&container, config_url, ruleset)),
    }
}
