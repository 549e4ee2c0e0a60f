//! The funnel's browser side: anonymous events (`frontline.events/v1`,
//! [`frontline_core::funnel`]) sent to the ruleset's `intake.events_url`
//! with `navigator.sendBeacon`, batched: at most once every
//! [`FLUSH_INTERVAL_MS`], and when the page is hidden or unloaded
//! (`pagehide`, `visibilitychange` to hidden), which is also when an
//! `abandoned` event may join them.
//!
//! Events never wait for anything and never endanger a request: they do
//! not go through the outbox, and a batch the browser does not take
//! (`sendBeacon` missing or refusing it) is dropped. Without
//! `events_url`, [`start`] is never called and nothing here runs.

use std::cell::RefCell;
use std::time::Duration;

use frontline_core::funnel::{Event, Funnel, FLUSH_INTERVAL_MS};
use wasm_bindgen::JsCast;

use crate::dom::Listeners;

struct Sink {
    url: String,
    funnel: Funnel,
    /// A flush is planned.
    timer: bool,
    _listeners: Listeners,
}

thread_local! {
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
}

/// Starts sending the events of the ruleset `ruleset` (its id) to `url`,
/// until [`stop`].
pub fn start(url: &str, ruleset: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let mut listeners = Listeners::default();
    listeners.on(&window, "pagehide", |_| flush(Funnel::hidden));
    // Fired at the document; it bubbles to the window.
    // `document.visibilityState` read by name: no new import in the glue
    // the first screen waits for.
    listeners.on(&window, "visibilitychange", |_| {
        let state = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| js_sys::Reflect::get(&d, &"visibilityState".into()).ok())
            .and_then(|v| v.as_string());
        if state.as_deref() == Some("hidden") {
            flush(Funnel::hidden);
        }
    });
    SINK.with_borrow_mut(|s| {
        *s = Some(Sink {
            url: url.to_owned(),
            funnel: Funnel::new(ruleset),
            timer: false,
            _listeners: listeners,
        })
    });
}

/// Sends what is queued and stops (the portal is removed).
pub fn stop() {
    flush(Funnel::take_batch);
    // Taken out before it is dropped: its listeners go with it.
    let sink = SINK.with_borrow_mut(Option::take);
    drop(sink);
}

/// Queues `event` (once [`start`]ed), to be sent within
/// [`FLUSH_INTERVAL_MS`].
pub fn record(event: Event) {
    let plan = SINK.with_borrow_mut(|s| {
        let s = s.as_mut()?;
        let plan = s.funnel.record(event) && !s.timer;
        s.timer |= plan;
        Some(plan)
    });
    if plan == Some(true) {
        leptos::prelude::set_timeout(
            || {
                SINK.with_borrow_mut(|s| {
                    if let Some(s) = s {
                        s.timer = false;
                    }
                });
                flush(Funnel::take_batch);
            },
            Duration::from_millis(u64::from(FLUSH_INTERVAL_MS)),
        );
    }
}

/// Where the customer is now: the `abandoned` event to send if the page is
/// hidden here (see [`crate::wizard::Screen::funnel`]).
pub fn at(leaving: Option<Event>) {
    SINK.with_borrow_mut(|s| {
        if let Some(s) = s {
            s.funnel.at(leaving);
        }
    });
}

/// Sends the batch `take` makes of the funnel, if any.
fn flush(take: fn(&mut Funnel) -> Option<String>) {
    let batch = SINK.with_borrow_mut(|s| {
        let s = s.as_mut()?;
        Some((s.url.clone(), take(&mut s.funnel)?))
    });
    if let Some((url, batch)) = batch {
        beacon(&url, &batch);
    }
}

/// `navigator.sendBeacon(url, text)`: a string body is sent as
/// `text/plain;charset=UTF-8` (the Beacon spec), exactly what a Blob of
/// that type sends: a CORS-safelisted type, so no preflight. Called by
/// name, with calls the glue already has: a Blob and `sendBeacon` as
/// imports cost the glue the first screen waits for four more imports.
/// Missing, throwing or refusing (`false`): the batch is dropped.
fn beacon(url: &str, text: &str) {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return;
    };
    let send = js_sys::Reflect::get(&navigator, &"sendBeacon".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(send) = send {
        let _ = send.call2(&navigator, &url.into(), &text.into());
    }
}
