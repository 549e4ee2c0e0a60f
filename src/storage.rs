//! Storage edge: the customer's progress in this tab's session storage.
//!
//! Nothing is written before the customer acts (the journey is saved only
//! once started), and a failing storage (private mode, quota) only costs the
//! reload-survival, never the portal.

use serde::{de::DeserializeOwned, Serialize};

fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The value saved under `key` in session storage, if any and readable.
pub fn load<T: DeserializeOwned>(key: &str) -> Option<T> {
    let text = session()?.get_item(key).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Saves `value` under `key` in session storage.
pub fn save<T: Serialize>(key: &str, value: &T) {
    let Some(storage) = session() else { return };
    let Ok(text) = serde_json::to_string(value) else {
        return;
    };
    if storage.set_item(key, &text).is_err() {
        web_sys::console::warn_1(
            &"Frontline: session storage is full or disabled; a reload will restart the wizard"
                .into(),
        );
    }
}

/// Forgets `key`. Does not touch storage when nothing is saved there.
pub fn remove(key: &str) {
    if let Some(storage) = session() {
        if storage.get_item(key).ok().flatten().is_some() {
            let _ = storage.remove_item(key);
        }
    }
}
