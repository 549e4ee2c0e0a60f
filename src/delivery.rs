//! Delivery edge: the outbox in local storage, and the network.
//!
//! A request is written to local storage before the first attempt and leaves
//! it only after the intake acknowledged it (2xx) and the customer saw the
//! reference. Every attempt carries `Idempotency-Key: <request id>`. The
//! decisions (retry when, give up when) are `frontline_core::outbox`'s pure
//! state machine; this module only does the I/O it asks for. Sending resumes
//! when the portal opens, when the browser comes back online, and on timers.

use std::time::Duration;

use frontline_core::adapters::{reference_from_body, OutgoingHttp};
use frontline_core::outbox::{Outbox, DEFAULT_LEASE_MS};
use frontline_core::IntakeAdapter;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

const STORAGE_KEY: &str = "frontline.outbox";
/// How long one attempt may take before it counts as a timeout.
const ATTEMPT_TIMEOUT_MS: i32 = 15_000;

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

fn random() -> u32 {
    (js_sys::Math::random() * f64::from(u32::MAX)) as u32
}

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn read_stored() -> Option<Outbox> {
    let text = local()?.get_item(STORAGE_KEY).ok().flatten()?;
    match Outbox::from_json(&text) {
        Ok(outbox) => Some(outbox),
        Err(e) => {
            web_sys::console::error_1(
                &format!("Frontline: the saved outbox is unreadable: {e}").into(),
            );
            None
        }
    }
}

/// A fresh request id (a UUID v4 from the browser's crypto).
pub fn new_id() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| format!("{:08x}-0000-4000-8000-{:012x}", random(), now_ms()))
}

/// The outbox, shared by the screens that show a delivery.
#[derive(Clone, Copy)]
pub struct Courier {
    /// The outbox as last read or written (the screens read entries from it).
    pub outbox: RwSignal<Outbox>,
    adapter: StoredValue<IntakeAdapter>,
}

impl Courier {
    /// Reads the saved outbox and resumes sending whatever is due. Storage is
    /// touched only if something is saved there. Call it inside the portal's
    /// reactive owner: its listeners go when the portal is unmounted.
    pub fn start(adapter: IntakeAdapter) -> Courier {
        let courier = Courier {
            outbox: RwSignal::new(read_stored().unwrap_or_default()),
            adapter: StoredValue::new(adapter),
        };
        let online = window_event_listener(leptos::ev::online, move |_| courier.pump());
        // Another tab changed the outbox (sent or queued something): show it.
        let storage = window_event_listener(leptos::ev::storage, move |e| {
            if e.key().as_deref() == Some(STORAGE_KEY) {
                courier.outbox.set(read_stored().unwrap_or_default());
            }
        });
        // Unmounting (the host's `destroy()`) leaves no listener behind.
        on_cleanup(move || {
            online.remove();
            storage.remove();
        });
        courier.pump();
        courier
    }

    /// Applies `change` to the stored outbox (re-read first: another tab may
    /// have changed it) and saves it before anything else happens.
    fn mutate<T>(&self, change: impl FnOnce(&mut Outbox) -> T) -> T {
        let mut outbox = read_stored()
            .or_else(|| self.outbox.try_get_untracked())
            .unwrap_or_default();
        let result = change(&mut outbox);
        if let Some(storage) = local() {
            let saved = if outbox.entries.is_empty() {
                storage.remove_item(STORAGE_KEY)
            } else {
                storage.set_item(STORAGE_KEY, &outbox.to_json())
            };
            if saved.is_err() {
                web_sys::console::error_1(
                    &"Frontline: could not save the outbox in local storage".into(),
                );
            }
        }
        // After the portal is destroyed, the signal is gone: storage still is.
        let _ = self.outbox.try_set(outbox);
        result
    }

    /// Saves the request's call in the outbox, then starts sending it.
    pub fn submit(&self, id: &str, outgoing: OutgoingHttp) -> Result<(), String> {
        self.mutate(|o| o.add(id, outgoing, now_ms()))
            .map_err(|e| e.to_string())?;
        self.pump();
        Ok(())
    }

    /// "Try again" after a permanent failure.
    pub fn retry(&self, id: &str) {
        let _ = self.mutate(|o| o.retry_now(id, now_ms()));
        self.pump();
    }

    /// Forgets a delivered request once the customer has seen its reference.
    pub fn forget(&self, id: &str) {
        self.mutate(|o| o.remove(id));
    }

    /// Sends everything due now, and wakes up when the next retry is due.
    pub fn pump(&self) {
        // A retry timer that fires after the portal was destroyed does
        // nothing: the request stays saved for the next visit.
        if self.outbox.is_disposed() {
            return;
        }
        let courier = *self;
        let due = self.mutate(|o| o.due(now_ms()));
        for id in due {
            with_lock(&id, move |id| async move { courier.attempt(&id).await });
        }
        if let Some(at) = self.outbox.try_get_untracked().and_then(|o| o.next_wake()) {
            let wait = at.saturating_sub(now_ms()).max(50);
            set_timeout(move || courier.pump(), Duration::from_millis(wait));
        }
    }

    async fn attempt(&self, id: &str) {
        let Ok(call) = self.mutate(|o| o.begin(id, now_ms(), DEFAULT_LEASE_MS)) else {
            return; // sent, failed for good, or leased by another tab
        };
        let outcome = send(&call).await;
        let effect = self.mutate(|o| match outcome {
            Attempt::Response {
                status,
                retry_after,
                body,
            } => {
                let reference = reference_from_body(self.adapter.get_value(), &body);
                o.on_response(
                    id,
                    now_ms(),
                    status,
                    retry_after.as_deref(),
                    reference,
                    random(),
                )
            }
            Attempt::Timeout => o.on_timeout(id, now_ms(), random()),
            Attempt::NetworkError => o.on_network_error(id, now_ms(), random()),
        });
        if let Ok(frontline_core::outbox::Effect::Retry { at }) = effect {
            let courier = *self;
            let wait = at.saturating_sub(now_ms()).max(50);
            set_timeout(move || courier.pump(), Duration::from_millis(wait));
        }
    }
}

/// Runs `work` only if this tab gets the Web Lock for request `id`, so two
/// open tabs never send the same request at once (the lease in the outbox
/// entry is the fallback where Web Locks are missing). If another tab holds
/// the lock, this tab skips: the holder will finish the job.
fn with_lock<F>(id: &str, work: impl FnOnce(String) -> F + 'static)
where
    F: std::future::Future<Output = ()> + 'static,
{
    use wasm_bindgen::prelude::*;
    let id = id.to_owned();
    let locks = web_sys::window()
        .map(|w| w.navigator())
        .and_then(|n| js_sys::Reflect::get(&n, &"locks".into()).ok())
        .filter(|l| !l.is_undefined() && !l.is_null());
    let request = locks.as_ref().and_then(|l| {
        js_sys::Reflect::get(l, &"request".into())
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()
    });
    let (Some(locks), Some(request)) = (locks, request) else {
        leptos::task::spawn_local(work(id));
        return;
    };
    let name = format!("frontline.outbox:{id}");
    let callback = Closure::once_into_js(move |lock: JsValue| -> js_sys::Promise {
        if lock.is_null() {
            return js_sys::Promise::resolve(&JsValue::UNDEFINED);
        }
        wasm_bindgen_futures::future_to_promise(async move {
            work(id).await;
            Ok(JsValue::UNDEFINED)
        })
    });
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    if request
        .call3(&locks, &name.into(), &options, &callback)
        .is_err()
    {
        web_sys::console::warn_1(
            &"Frontline: Web Locks refused the request; relying on the outbox lease".into(),
        );
    }
}

enum Attempt {
    Response {
        status: u16,
        retry_after: Option<String>,
        body: String,
    },
    Timeout,
    NetworkError,
}

async fn send(call: &OutgoingHttp) -> Attempt {
    let Some(window) = web_sys::window() else {
        return Attempt::NetworkError;
    };
    let Ok(headers) = web_sys::Headers::new() else {
        return Attempt::NetworkError;
    };
    for (name, value) in &call.headers {
        if headers.set(name, value).is_err() {
            return Attempt::NetworkError;
        }
    }
    let init = web_sys::RequestInit::new();
    init.set_method(&call.method);
    init.set_headers(&headers);
    init.set_body(&call.body.as_str().into());
    init.set_mode(web_sys::RequestMode::Cors);
    let abort = web_sys::AbortController::new().ok();
    if let Some(abort) = &abort {
        init.set_signal(Some(&abort.signal()));
        let abort = abort.clone();
        let _ = set_timeout_with_handle(
            move || abort.abort(),
            Duration::from_millis(ATTEMPT_TIMEOUT_MS as u64),
        );
    }
    let response = match JsFuture::from(window.fetch_with_str_and_init(&call.url, &init)).await {
        Ok(response) => response.unchecked_into::<web_sys::Response>(),
        Err(error) => {
            let aborted = error
                .dyn_ref::<web_sys::DomException>()
                .is_some_and(|e| e.name() == "AbortError");
            return if aborted {
                Attempt::Timeout
            } else {
                Attempt::NetworkError
            };
        }
    };
    let retry_after = response.headers().get("retry-after").ok().flatten();
    let body = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Attempt::Response {
        status: response.status(),
        retry_after,
        body,
    }
}
