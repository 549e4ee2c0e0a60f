//! Delivery edge: the outbox in local storage, and the network.
//!
//! A request is written to local storage before the first attempt and leaves
//! it only after the intake acknowledged it (2xx) and the customer saw the
//! reference. Every attempt carries `Idempotency-Key: <request id>`. The
//! decisions (retry when, give up when) are `frontline_core::outbox`'s pure
//! state machine; this module only does the I/O it asks for. Sending resumes
//! when the portal opens (taking over at once a send that a reload cut off,
//! when the request's Web Lock shows nobody else is at it), when the browser
//! comes back online, when the intake acknowledges any request (the others
//! waiting for it go within a few seconds, not at the end of a backoff grown
//! while it was down), and on timers.
//!
//! When the ruleset sets `intake.challenge_url` (the relay asks a proof of
//! work), each attempt first fetches a challenge there and solves it with
//! the browser's Web Crypto ([`solve`]); the solution goes with that attempt
//! only, as `Frontline-Pow` (each works once), and the saved call stays as
//! it was. No challenge (offline, the relay down) or none solved in time:
//! the attempt failed, and is retried as any other.

use std::time::Duration;

use frontline_core::adapters::{reference_from_body, OutgoingHttp};
use frontline_core::outbox::{Effect, Entry, Fallback, Outbox, State, DEFAULT_LEASE_MS};
use frontline_core::IntakeAdapter;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Each request is saved under its own key, `frontline.outbox:<id>`, as an
/// outbox of one entry: a change to one request rewrites only that request,
/// so a long queue (a thousand requests saved offline) costs no more per
/// change than a short one. The loader looks for this prefix to resume
/// sending on the next page view.
const KEY_PREFIX: &str = "frontline.outbox:";
/// Where the first version kept the whole outbox in one key (read once and
/// split up).
const LEGACY_KEY: &str = "frontline.outbox";
/// How long one attempt may take before it counts as a timeout.
const ATTEMPT_TIMEOUT_MS: i32 = 15_000;
/// Attempts this tab makes at once. A browser opens at most six connections
/// to one HTTP/1.1 origin: leave some for the page, and never let a queued
/// fetch time out while it waits for a connection.
const MAX_IN_FLIGHT: usize = 4;

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

fn random() -> u32 {
    (js_sys::Math::random() * f64::from(u32::MAX)) as u32
}

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn entry_key(id: &str) -> String {
    [KEY_PREFIX, id].concat()
}

/// The entry saved as `text` (an outbox of one), or `None` if unreadable
/// (logged, and left in storage for support).
fn parse_entry(text: &str) -> Option<Entry> {
    match Outbox::from_json(text) {
        Ok(outbox) => outbox.entries.into_iter().next(),
        Err(e) => {
            web_sys::console::error_1(
                &format!("Frontline: a saved request is unreadable: {e}").into(),
            );
            None
        }
    }
}

fn to_text(entry: Entry) -> String {
    Outbox {
        entries: vec![entry],
        ..Outbox::new()
    }
    .to_json()
}

/// Every key of `storage`.
fn keys(storage: &web_sys::Storage) -> impl Iterator<Item = String> + '_ {
    (0..storage.length().unwrap_or(0)).filter_map(|i| storage.key(i).ok().flatten())
}

/// Whether this browser holds any saved request (of this visit or an
/// earlier one, in either storage format), without reading them.
pub fn anything_saved() -> bool {
    local()
        .is_some_and(|storage| keys(&storage).any(|k| k == LEGACY_KEY || k.starts_with(KEY_PREFIX)))
}

/// Every saved request (after splitting up a first-version outbox).
fn read_all() -> Outbox {
    let mut outbox = Outbox::new();
    let Some(storage) = local() else {
        return outbox;
    };
    if let Some(text) = storage.get_item(LEGACY_KEY).ok().flatten() {
        // Unreadable: left alone for support. Otherwise each request moves to
        // its own key unless it has one already (moved earlier, maybe sent
        // since); what could not be written stays under the old key.
        if let Ok(legacy) = Outbox::from_json(&text) {
            let mut left = Outbox::new();
            for entry in legacy.entries {
                let key = entry_key(&entry.id);
                let moved = storage.get_item(&key).ok().flatten().is_some()
                    || storage.set_item(&key, &to_text(entry.clone())).is_ok();
                if !moved {
                    left.entries.push(entry);
                }
            }
            let _ = if left.entries.is_empty() {
                storage.remove_item(LEGACY_KEY)
            } else {
                storage.set_item(LEGACY_KEY, &left.to_json())
            };
        }
    }
    outbox.entries = keys(&storage)
        .filter(|key| key.starts_with(KEY_PREFIX))
        .filter_map(|key| storage.get_item(&key).ok().flatten())
        .filter_map(|text| parse_entry(&text))
        .collect();
    outbox
}

/// Puts `entry` (or its absence) in `outbox` as request `id`.
fn put(outbox: &mut Outbox, id: &str, entry: Option<Entry>) {
    match (outbox.entries.iter().position(|e| e.id == id), entry) {
        (Some(i), Some(entry)) => outbox.entries[i] = entry,
        (Some(i), None) => {
            outbox.entries.remove(i);
        }
        (None, Some(entry)) => outbox.entries.push(entry),
        (None, None) => {}
    }
}

/// Local storage refused to save a change (full, or turned off mid-visit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveFailed;

/// Why [`Courier::submit`] did not take a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitError {
    /// This browser would not save it: it is not sent either.
    NotSaved,
    /// The outbox refused it (in English).
    Outbox(String),
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
    /// Every saved request as this tab last saw it (the screens read their
    /// entry here; the sender picks what is due from it). Storage stays the
    /// truth: each change re-reads the one entry it changes.
    pub outbox: RwSignal<Outbox>,
    adapter: StoredValue<IntakeAdapter>,
    /// Requests this tab is sending now (at most [`MAX_IN_FLIGHT`]).
    in_flight: StoredValue<Vec<String>>,
    /// The one timer that wakes the sender, and when it fires.
    wake: StoredValue<Option<(u64, TimeoutHandle)>>,
    /// The request whose delivery this tab's screen shows, if any.
    shown: StoredValue<Option<String>>,
    /// The ruleset's `(intake.url, intake.challenge_url)` when its relay
    /// asks a proof of work: calls to that url solve one before each try.
    pow: StoredValue<Option<(String, String)>>,
}

/// How long an acknowledged request nobody here is showing stays saved: time
/// for another tab that shows it to read its reference.
const FORGET_SENT_AFTER_MS: u64 = 5_000;

impl Courier {
    /// Reads the saved outbox and resumes sending whatever is due. Storage is
    /// touched only if something is saved there. Call it inside the portal's
    /// reactive owner: its listeners go when the portal is unmounted.
    pub fn start(adapter: IntakeAdapter) -> Courier {
        let courier = Courier {
            outbox: RwSignal::new(read_all()),
            adapter: StoredValue::new(adapter),
            in_flight: StoredValue::new(Vec::new()),
            wake: StoredValue::new(None),
            shown: StoredValue::new(None),
            pow: StoredValue::new(use_context::<crate::app::Rules>().and_then(|r| {
                let intake = &r.0.intake;
                Some((intake.url.clone(), intake.challenge_url.clone()?))
            })),
        };
        let online = window_event_listener(leptos::ev::online, move |_| courier.back_online());
        // Another tab changed a request (sent, queued or delivered it): show it.
        let storage = window_event_listener(leptos::ev::storage, move |e| match e.key() {
            Some(key) => {
                if let Some(id) = key.strip_prefix(KEY_PREFIX) {
                    let entry = e.new_value().as_deref().and_then(parse_entry);
                    courier.outbox.update(|o| put(o, id, entry));
                }
            }
            None => courier.outbox.set(read_all()), // storage.clear()
        });
        // Unmounting (the host's `destroy()`) leaves no listener behind.
        on_cleanup(move || {
            online.remove();
            storage.remove();
            if let Some(Some((_, timer))) = courier.wake.try_get_value() {
                timer.clear();
            }
        });
        courier.reclaim_cut_off();
        courier.pump();
        // Left over from a page closed before it showed the reference.
        courier.forget_unshown_later();
        courier
    }

    /// A request still leased when this portal starts was being sent by a
    /// page that may be gone (reloaded or closed mid-attempt). If this tab
    /// gets its Web Lock, no sender is at work: it is sent now rather than
    /// after its lease (a minute). Without Web Locks the lease stands.
    fn reclaim_cut_off(&self) {
        // Whether the lease is still live is `Outbox::reclaim`'s to say.
        let leased: Vec<String> = self.outbox.with_untracked(|o| {
            o.entries
                .iter()
                .filter(|e| matches!(e.state, State::Sending { .. }))
                .map(|e| e.id.clone())
                .collect()
        });
        let courier = *self;
        for id in leased {
            with_lock(&id, move |id, lock| async move {
                if lock == Lock::Held
                    && matches!(
                        courier.mutate(&id, |o| o.reclaim(&id, now_ms())),
                        Ok(Ok(true))
                    )
                {
                    // By the timer, not at once: the lock this tab holds
                    // here must be released before the sender asks for it.
                    courier.wake_at(now_ms());
                }
            });
        }
    }

    /// Says which request's delivery this tab's screen shows (`None`: none).
    /// An acknowledged request nobody shows is forgotten a little later, so
    /// nothing stays saved (and wakes the loader) for ever.
    pub fn show(&self, id: Option<String>) {
        self.shown.try_set_value(id);
    }

    fn forget_unshown_later(&self) {
        let any_sent = self
            .outbox
            .try_with_untracked(|o| {
                o.entries
                    .iter()
                    .any(|e| matches!(e.state, State::Sent { .. }))
            })
            .unwrap_or(false);
        if !any_sent {
            return;
        }
        let courier = *self;
        set_timeout(
            move || {
                let shown = courier.shown.try_get_value().flatten();
                let sent: Vec<String> = courier
                    .outbox
                    .try_with_untracked(|o| {
                        o.entries
                            .iter()
                            .filter(|e| matches!(e.state, State::Sent { .. }))
                            .filter(|e| shown.as_deref() != Some(e.id.as_str()))
                            .map(|e| e.id.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                for id in sent {
                    courier.forget(&id);
                }
            },
            Duration::from_millis(FORGET_SENT_AFTER_MS),
        );
    }

    /// Applies `change` to request `id` as saved (re-read first: another tab
    /// may have changed it) and saves the result before anything else
    /// happens. Without storage (disabled, private mode) the change applies
    /// to this tab's copy only.
    fn mutate<T>(&self, id: &str, change: impl FnOnce(&mut Outbox) -> T) -> Result<T, SaveFailed> {
        let mut change = Some(change);
        let mut result = None;
        self.mutate_with(id, &mut |o| result = change.take().map(|c| c(o)))?;
        result.ok_or(SaveFailed)
    }

    /// [`Courier::mutate`]'s work, not generic: one copy in the module for
    /// all its callers. Runs `change` once.
    fn mutate_with(&self, id: &str, change: &mut dyn FnMut(&mut Outbox)) -> Result<(), SaveFailed> {
        let key = entry_key(id);
        let storage = local();
        let mut one = Outbox::new();
        let saved = match &storage {
            Some(s) => s
                .get_item(&key)
                .ok()
                .flatten()
                .as_deref()
                .and_then(parse_entry),
            None => self
                .outbox
                .try_with_untracked(|o| o.get(id).cloned())
                .flatten(),
        };
        one.entries.extend(saved.clone());
        change(&mut one);
        let entry = one.entries.pop();
        if entry != saved {
            if let Some(storage) = storage {
                let written = match &entry {
                    Some(entry) => storage.set_item(&key, &to_text(entry.clone())),
                    None => storage.remove_item(&key),
                };
                if written.is_err() {
                    web_sys::console::error_1(
                        &"Frontline: could not save the request in local storage".into(),
                    );
                    return Err(SaveFailed);
                }
            }
        }
        // This tab's copy follows what is saved, even when this change was a
        // no-op (another portal in this page, whose writes raise no storage
        // event here, may have moved it on). After the portal is destroyed
        // the signal is gone: storage still is.
        let stale = self
            .outbox
            .try_with_untracked(|o| o.get(id) != entry.as_ref())
            .unwrap_or(false);
        if stale {
            let _ = self.outbox.try_update(|o| put(o, id, entry));
        }
        Ok(())
    }

    /// Saves the request's call in the outbox, then starts sending it. An
    /// error if it could not be saved (storage full or refused): then it is
    /// not sent either, and the customer is told.
    pub fn submit(
        &self,
        id: &str,
        outgoing: OutgoingHttp,
        fallback: Fallback,
    ) -> Result<(), SubmitError> {
        match self.mutate(id, |o| {
            o.add_keeping(id, outgoing, now_ms(), Some(fallback))
        }) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(SubmitError::Outbox(e.to_string())),
            Err(SaveFailed) => return Err(SubmitError::NotSaved),
        }
        self.pump();
        Ok(())
    }

    /// The browser is back online: what waited out a backoff because it got
    /// no answer is sent now, not at the end of a wait that may have grown
    /// while offline.
    fn back_online(&self) {
        self.bring_forward(None);
        self.pump();
    }

    /// Cuts short the waits of saved requests: `None`, the browser is back
    /// online ([`Outbox::back_online`]); `Some(url)`, the intake at `url`
    /// acknowledged a request, so it is up again and what else waits out a
    /// backoff for it (grown while it was down, up to half a minute) becomes
    /// due within a few seconds ([`Outbox::intake_back`]). Each entry is
    /// re-read and saved on its own, like every change; the pump that
    /// follows (after every attempt, and here when back online) moves the
    /// timer to the earliest, and [`MAX_IN_FLIGHT`] still bounds how many go
    /// at once. Both in one function: one call of [`Courier::mutate`], so
    /// one copy of its boxed change in the module (a call of its own for the
    /// acknowledgement measured 412 B gzip more in the request part).
    fn bring_forward(&self, url: Option<&str>) {
        let now = now_ms();
        let waiting: Vec<String> = self
            .outbox
            .try_with_untracked(|o| {
                o.entries
                    .iter()
                    .filter(|e| match url {
                        Some(url) => e.waits_for(url, now),
                        None => e.state == State::Pending && e.next_attempt_at > now,
                    })
                    .map(|e| e.id.clone())
                    .collect()
            })
            .unwrap_or_default();
        for id in waiting {
            let _ = self.mutate(&id, |o| match url {
                Some(url) => !o.intake_back(url, now, random).is_empty(),
                None => o.back_online(&id, now) == Ok(true),
            });
        }
    }

    /// "Try again" after a permanent failure.
    pub fn retry(&self, id: &str) {
        let _ = self.mutate(id, |o| o.retry_now(id, now_ms()));
        self.pump();
    }

    /// Forgets a delivered request once the customer has seen its reference.
    pub fn forget(&self, id: &str) {
        let _ = self.mutate(id, |o| o.remove(id));
    }

    /// Starts what is due now, up to [`MAX_IN_FLIGHT`] at once (each finished
    /// attempt starts the next), and sets the timer for the next retry.
    pub fn pump(&self) {
        // A retry timer that fires after the portal was destroyed does
        // nothing: the request stays saved for the next visit.
        let Some(busy) = self.in_flight.try_get_value() else {
            return;
        };
        let courier = *self;
        let now = now_ms();
        let free = MAX_IN_FLIGHT.saturating_sub(busy.len());
        let due = self
            .outbox
            .try_with_untracked(|o| o.due_up_to(now, free + busy.len()))
            .unwrap_or_default();
        let start: Vec<String> = due
            .into_iter()
            .filter(|id| !busy.contains(id))
            .take(free)
            .collect();
        let full = busy.len() + start.len() >= MAX_IN_FLIGHT;
        for id in start {
            self.in_flight.update_value(|f| f.push(id.clone()));
            with_lock(&id, move |id, lock| async move {
                if lock != Lock::Busy {
                    courier.attempt(&id).await;
                }
                if courier
                    .in_flight
                    .try_update_value(|f| f.retain(|x| *x != id))
                    .is_some()
                {
                    if lock != Lock::Busy {
                        courier.pump();
                    } else {
                        // Another tab is sending it: look again later, in
                        // case that tab goes away.
                        courier.wake_at(now_ms() + 1_000);
                    }
                }
            });
        }
        let next = self.outbox.try_with_untracked(|o| o.next_wake()).flatten();
        // While every slot is busy, a finished attempt wakes the sender.
        if let Some(at) = next.filter(|at| !(full && *at <= now)) {
            self.wake_at(at);
        }
    }

    /// Makes sure the sender wakes by `at` (one timer, moved earlier if needed).
    fn wake_at(&self, at: u64) {
        let Some(scheduled) = self.wake.try_get_value() else {
            return;
        };
        match scheduled {
            Some((when, _)) if when <= at => return,
            Some((_, timer)) => timer.clear(),
            None => {}
        }
        let courier = *self;
        let wait = at.saturating_sub(now_ms()).max(50);
        let timer = set_timeout_with_handle(
            move || {
                courier.wake.try_set_value(None);
                courier.pump();
            },
            Duration::from_millis(wait),
        )
        .ok();
        self.wake.set_value(timer.map(|t| (at, t)));
    }

    async fn attempt(&self, id: &str) {
        let Ok(Ok(call)) = self.mutate(id, |o| o.begin(id, now_ms(), DEFAULT_LEASE_MS)) else {
            return; // sent, failed for good, leased by another tab, or unsaveable
        };
        let adapter = self.adapter.try_get_value();
        // The proof of work, for calls to the intake that asks it.
        let challenge = self
            .pow
            .try_with_value(|p| {
                p.as_ref()
                    .filter(|(intake, _)| *intake == call.url)
                    .map(|(_, url)| url.clone())
            })
            .flatten();
        let outcome = match challenge {
            Some(url) => match solve(&url).await {
                Ok(proof) => send(&call, proof.as_deref()).await,
                Err(failed) => failed,
            },
            None => send(&call, None).await,
        };
        let acknowledged =
            matches!(outcome, Attempt::Response { status, .. } if (200..300).contains(&status));
        let effect = self.mutate(id, |o| match outcome {
            Attempt::Response {
                status,
                retry_after,
                body,
            } => {
                let reference = adapter.and_then(|a| reference_from_body(a, &body));
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
        // Any 2xx, even for a request another tab had sent already.
        if acknowledged {
            self.bring_forward(Some(&call.url));
        }
        let shown = self.shown.try_get_value().flatten();
        if matches!(effect, Ok(Ok(Effect::Sent { .. }))) && shown.as_deref() != Some(id) {
            self.forget_unshown_later();
        }
    }
}

/// What [`with_lock`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    /// This tab holds the request's Web Lock: no other sender is at work.
    Held,
    /// Another tab holds it: that tab will finish the job.
    Busy,
    /// Web Locks are missing or refused: only the outbox lease keeps two
    /// senders apart.
    Unsupported,
}

/// Runs `work(id, lock)` holding the Web Lock for request `id` if this tab
/// gets it ([`Lock::Held`]), so two open tabs never send the same request
/// at once; [`Lock::Busy`] if another tab holds it, [`Lock::Unsupported`]
/// where Web Locks are missing or refuse.
fn with_lock<F>(id: &str, work: impl FnOnce(String, Lock) -> F + 'static)
where
    F: std::future::Future<Output = ()> + 'static,
{
    with_lock_boxed(id, Box::new(move |id, lock| Box::pin(work(id, lock))));
}

/// What [`with_lock`] runs, boxed: one copy of its JavaScript plumbing in
/// the module, however many kinds of work use it.
type LockedWork =
    Box<dyn FnOnce(String, Lock) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>>;

fn with_lock_boxed(id: &str, work: LockedWork) {
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
        leptos::task::spawn_local(work(id, Lock::Unsupported));
        return;
    };
    let name = entry_key(&id);
    // Called by the lock manager, or below if it refuses: whoever comes first.
    let work = std::rc::Rc::new(std::cell::Cell::new(Some(work)));
    let run = {
        let work = work.clone();
        let id = id.clone();
        move |lock: Lock| {
            let work = work.take();
            async move {
                if let Some(work) = work {
                    work(id, lock).await;
                }
            }
        }
    };
    let callback = Closure::once_into_js(move |lock: JsValue| -> js_sys::Promise {
        let lock = if lock.is_null() {
            Lock::Busy
        } else {
            Lock::Held
        };
        wasm_bindgen_futures::future_to_promise(async move {
            run(lock).await;
            Ok(JsValue::UNDEFINED)
        })
    });
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    // Refused (a throw, or a rejected promise: storage blocked, document not
    // active): the lease in the outbox entry is the fallback.
    let refused = move || {
        if let Some(work) = work.take() {
            web_sys::console::warn_1(
                &"Frontline: Web Locks refused the request; relying on the outbox lease".into(),
            );
            leptos::task::spawn_local(work(id, Lock::Unsupported));
        }
    };
    match request.call3(&locks, &name.into(), &options, &callback) {
        Ok(promise) => {
            if let Ok(promise) = promise.dyn_into::<js_sys::Promise>() {
                leptos::task::spawn_local(async move {
                    if JsFuture::from(promise).await.is_err() {
                        refused();
                    }
                });
            }
        }
        Err(_) => refused(),
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

/// Fetches `url` with `init`, aborted after [`ATTEMPT_TIMEOUT_MS`]: the
/// response, or how the attempt failed.
async fn fetch(url: &str, init: &web_sys::RequestInit) -> Result<web_sys::Response, Attempt> {
    let window = web_sys::window().ok_or(Attempt::NetworkError)?;
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
    match JsFuture::from(window.fetch_with_str_and_init(url, init)).await {
        Ok(response) => Ok(response.unchecked_into()),
        Err(error) => {
            let aborted = error
                .dyn_ref::<web_sys::DomException>()
                .is_some_and(|e| e.name() == "AbortError");
            Err(if aborted {
                Attempt::Timeout
            } else {
                Attempt::NetworkError
            })
        }
    }
}

/// The body of `response` as text (empty if unreadable).
async fn body_text(response: &web_sys::Response) -> String {
    match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Makes the stored call, with the proof of work `proof` if given.
async fn send(call: &OutgoingHttp, proof: Option<&str>) -> Attempt {
    let Ok(headers) = web_sys::Headers::new() else {
        return Attempt::NetworkError;
    };
    let proof = proof.map(|p| (frontline_core::pow::POW_HEADER, p));
    let stored = call.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    for (name, value) in stored.chain(proof) {
        if headers.set(name, value).is_err() {
            return Attempt::NetworkError;
        }
    }
    let init = web_sys::RequestInit::new();
    init.set_method(&call.method);
    init.set_headers(&headers);
    init.set_body(&call.body.as_str().into());
    let response = match fetch(&call.url, &init).await {
        Ok(response) => response,
        Err(failed) => return failed,
    };
    let retry_after = response.headers().get("retry-after").ok().flatten();
    Attempt::Response {
        status: response.status(),
        retry_after,
        body: body_text(&response).await,
    }
}

/// How long solving one challenge may take before the attempt counts as
/// failed: with the challenge's fetch and the call itself, within the
/// attempt's lease (`DEFAULT_LEASE_MS`, a minute).
const SOLVE_MS: u64 = 25_000;

/// Fetches a proof-of-work challenge from `url` and solves it: the
/// `Frontline-Pow` value for one attempt; `None` when the relay asks none
/// (404); or how the attempt failed (no answer, an answer that is no
/// challenge this portal solves, or no solution within [`SOLVE_MS`] or
/// [`frontline_core::pow::MAX_COUNTER`] counters).
///
/// Each counter's key is derived by Web Crypto (`importKey` then
/// `deriveBits`, PBKDF2 with SHA-256), off the page's thread and awaited;
/// every 16 counters the solver also yields to the page ([`pause`]), so it
/// stays responsive however long solving takes. Called by name (`Reflect`): web-sys'
/// bindings for SubtleCrypto and typed arrays would add imports to the glue
/// the first screen loads.
async fn solve(url: &str) -> Result<Option<String>, Attempt> {
    use frontline_core::pow::{Challenge, MAX_COUNTER};
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    // The challenge is anyone's: no cookie goes with it.
    let _ = js_sys::Reflect::set(&init, &"credentials".into(), &"omit".into());
    let response = fetch(url, &init).await?;
    if response.status() == 404 {
        return Ok(None);
    }
    let warn = |why: &str| {
        web_sys::console::warn_1(&format!("Frontline: the proof of work from {url}: {why}").into());
        Attempt::NetworkError
    };
    if !(200..300).contains(&response.status()) {
        return Err(warn(&format!("HTTP {}", response.status())));
    }
    let challenge = Challenge::parse(&body_text(&response).await).map_err(warn)?;
    let started = now_ms();
    for counter in 0..MAX_COUNTER {
        if now_ms().saturating_sub(started) > SOLVE_MS {
            return Err(warn("not solved in time"));
        }
        if counter % 16 == 15 {
            pause().await;
        }
        let key = derive_key(&challenge, counter)
            .await
            .ok_or_else(|| warn("Web Crypto refused"))?;
        if challenge.solved_by(&key) {
            return Ok(Some(challenge.header(counter, &key)));
        }
    }
    Err(warn("no solution"))
}

use frontline_core::pow::decimal;

/// `target[name]`, if it is a function.
fn method(target: &JsValue, name: &str) -> Option<js_sys::Function> {
    js_sys::Reflect::get(target, &name.into())
        .ok()?
        .dyn_into()
        .ok()
}

/// Sets `array[index]` (a JavaScript array).
fn put_at(array: &JsValue, index: usize, value: &JsValue) {
    let _ = js_sys::Reflect::set(array, &decimal(index as u32).into(), value);
}

/// `globalThis[name]`.
fn global(name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(&js_sys::global(), &name.into()).ok()
}

/// A `Uint8Array` of `bytes` (`Uint8Array.from` an array of their values).
///
/// Numbers cross into JavaScript here as decimal text, which every Web
/// Crypto and typed-array argument converts back: the few functions that
/// make JavaScript numbers from Rust ones would otherwise join the first
/// screen's module (the parts call JavaScript through it).
fn byte_array(bytes: &[u8]) -> Option<JsValue> {
    let class = global("Uint8Array")?;
    let items = js_sys::Array::new();
    for (i, b) in bytes.iter().enumerate() {
        put_at(&items, i, &decimal(u32::from(*b)).into());
    }
    method(&class, "from")?.call1(&class, &items).ok()
}

/// Awaits `promise` (a value that is no promise is taken as it is).
async fn settled(value: JsValue) -> Option<JsValue> {
    match value.dyn_into::<js_sys::Promise>() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(value) => Some(value),
    }
}

/// The key Web Crypto derives from `counter`'s password: PBKDF2 with
/// SHA-256, the challenge's salt, cost and length. `None` if it refuses.
/// (The calls are plain functions around the two awaits: what an async
/// function holds across an await costs code in each of its states.)
async fn derive_key(challenge: &frontline_core::pow::Challenge, counter: u32) -> Option<Vec<u8>> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let subtle = js_sys::Reflect::get(&crypto, &"subtle".into()).ok()?;
    let key = settled(import_key(&subtle, &challenge.password(counter))?).await?;
    let bits = settled(derive_bits(&subtle, challenge, &key)?).await?;
    bytes_of(&bits)
}

/// `subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits'])`:
/// five arguments, so by `Function.prototype.apply`.
fn import_key(subtle: &JsValue, password: &[u8]) -> Option<JsValue> {
    let import_key = method(subtle, "importKey")?;
    let arguments = js_sys::Array::new();
    let usages = js_sys::Array::new();
    put_at(&usages, 0, &"deriveBits".into());
    put_at(&arguments, 0, &"raw".into());
    put_at(&arguments, 1, &byte_array(password)?);
    put_at(&arguments, 2, &"PBKDF2".into());
    put_at(&arguments, 3, &JsValue::FALSE);
    put_at(&arguments, 4, &usages);
    method(&import_key, "apply")?
        .call2(&import_key, subtle, &arguments)
        .ok()
}

/// `subtle.deriveBits({name: 'PBKDF2', hash: 'SHA-256', salt, iterations},
/// key, keyLength × 8)`.
fn derive_bits(
    subtle: &JsValue,
    challenge: &frontline_core::pow::Challenge,
    key: &JsValue,
) -> Option<JsValue> {
    let algorithm = js_sys::Object::new();
    let set =
        |name: &str, value: &JsValue| js_sys::Reflect::set(&algorithm, &name.into(), value).ok();
    set("name", &"PBKDF2".into())?;
    set("hash", &"SHA-256".into())?;
    set("salt", &byte_array(&challenge.salt)?)?;
    set("iterations", &decimal(challenge.cost).into())?;
    method(subtle, "deriveBits")?
        .call3(
            subtle,
            &algorithm,
            key,
            &decimal(challenge.key_length * 8).into(),
        )
        .ok()
}

/// The bytes of an `ArrayBuffer`, as the characters of a string,
/// `String.fromCharCode(...Reflect.construct(Uint8Array, [buffer]))`, which
/// crosses into Rust by the glue's string conversion.
fn bytes_of(buffer: &JsValue) -> Option<Vec<u8>> {
    let reflect = global("Reflect")?;
    let viewed = js_sys::Array::new();
    put_at(&viewed, 0, buffer);
    let view = method(&reflect, "construct")?
        .call2(&reflect, &global("Uint8Array")?, &viewed)
        .ok()?;
    let string = global("String")?;
    let from_char_code = method(&string, "fromCharCode")?;
    let text = method(&from_char_code, "apply")?
        .call2(&from_char_code, &JsValue::NULL, &view)
        .ok()?
        .as_string()?;
    let mut bytes = Vec::new();
    for c in text.chars() {
        bytes.push(c as u8);
    }
    Some(bytes)
}

/// Lets the page handle what is pending (input, drawing) before the
/// solver goes on: `scheduler.yield()` where the browser has it. (Each key
/// is derived off the page's thread and its promise settles in a task of
/// its own, so the page is never frozen even without it.) No timer of ours:
/// a Rust closure for one would add a function to the first screen's
/// module, where the function table is.
async fn pause() {
    let Some(scheduler) = global("scheduler") else {
        return;
    };
    if let Some(promise) =
        method(&scheduler, "yield").and_then(|y| y.call1(&scheduler, &JsValue::UNDEFINED).ok())
    {
        settled(promise).await;
    }
}
