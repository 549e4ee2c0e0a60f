//! Storage edge: the customer's progress in this tab's session storage.
//!
//! Nothing is written before the customer acts (the journey is saved only
//! once started), and a failing storage (private mode, quota) only costs the
//! reload-survival, never the portal.

fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The text saved under `key` in session storage, if any and readable.
pub fn load(key: &str) -> Option<String> {
    session()?.get_item(key).ok().flatten()
}

/// Saves `text` under `key` in session storage.
pub fn save(key: &str, text: &str) {
    let Some(storage) = session() else { return };
    if storage.set_item(key, text).is_err() {
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
