//! Parts of the portal that load only when needed (code splitting), as the
//! wizard sees them: not asked for yet, on their way, ready, or failed.
//!
//! In the release build (the `split` feature) each part is its own
//! WebAssembly module, cut out by `scripts/split.mjs` and fetched with its
//! SRI hash; loading it can fail (offline, a redeploy removed the file), and
//! the customer is then told, keeps the journey and can try again. Without
//! the feature (tests, `cargo check`) the same code is linked in and loading
//! is immediate. The parts: `diagnosis_part` (the steps after the welcome
//! screen) and `request_part` (the request form and the courier).

use std::future::Future;

use leptos::prelude::*;

use crate::app::ScreenShown;
use crate::i18n::{Key, Locale};

/// Where a part is.
#[derive(Clone, Copy)]
pub enum Loaded<P> {
    /// Not asked for yet.
    Idle,
    /// On its way.
    Loading,
    /// Loaded: what it provides.
    Ready(P),
    /// Could not be fetched or failed its integrity check.
    Failed,
}

/// One part's state, in the reactive owner of the wizard that made it.
pub struct PartSlot<P: Send + Sync + 'static> {
    state: RwSignal<Loaded<P>>,
    owner: StoredValue<Owner>,
}

impl<P: Send + Sync + 'static> Clone for PartSlot<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Send + Sync + 'static> Copy for PartSlot<P> {}

impl<P: Copy + Send + Sync + 'static> PartSlot<P> {
    /// A slot in the current reactive owner (the wizard now being built).
    pub fn in_current_owner() -> Self {
        PartSlot {
            state: RwSignal::new(Loaded::Idle),
            owner: StoredValue::new(Owner::current().expect("inside the wizard's owner")),
        }
    }

    /// Where the part is (tracked: a reader runs again when it changes).
    pub fn state(self) -> Loaded<P> {
        self.state.get()
    }

    /// What the part provides, once loaded (untracked).
    pub fn ready(self) -> Option<P> {
        match self.state.try_get_untracked() {
            Some(Loaded::Ready(part)) => Some(part),
            _ => None,
        }
    }

    /// Starts `fetch` unless the part is loaded or on its way (or the
    /// wizard is gone). Once fetched, `ready` makes what the slot keeps,
    /// in the wizard's owner (so what it starts stops with the portal).
    pub fn load_with<L, F>(
        self,
        fetch: impl FnOnce() -> F + 'static,
        ready: impl FnOnce(L) -> P + 'static,
    ) where
        F: Future<Output = Option<L>> + 'static,
    {
        if !matches!(
            self.state.try_get_untracked(),
            Some(Loaded::Idle | Loaded::Failed)
        ) {
            return;
        }
        self.state.set(Loaded::Loading);
        leptos::task::spawn_local(async move {
            let loaded = fetch().await;
            let Some(owner) = self.owner.try_get_value() else {
                return; // unmounted meanwhile
            };
            let state = match loaded {
                Some(part) => Loaded::Ready(owner.with(|| ready(part))),
                None => Loaded::Failed,
            };
            let _ = self.state.try_set(state);
        });
    }
}

/// Shown while a part is on its way.
pub fn pending_view(l: Locale) -> AnyView {
    view! {
        <p class="fl-portal__loading" role="status" data-testid="part-loading">{l.t(Key::Loading)}</p>
    }
    .into_any()
}

/// Shown when a part could not be loaded: what happened, that nothing is
/// lost, and a way to try again.
pub fn failed_view(l: Locale, title: Key, retry: impl Fn() + Send + Sync + 'static) -> AnyView {
    view! {
        <section class="fl-step" data-testid="step-part-failed">
            <h1 class="fl-step__title" tabindex="-1">{l.t(title)}</h1>
            <p>{l.t(Key::PartFailedBody)}</p>
            <button class="fl-button fl-button--primary" data-testid="part-retry"
                on:click=move |_| retry()>{l.t(Key::FailedRetry)}</button>
        </section>
    }
    .into_any()
}

/// Once a screen that had to wait for its part replaces the status line,
/// it is focused and announced like any new screen.
pub fn announce_when_settled<P>(waited: bool, state: &Loaded<P>) {
    if waited && matches!(state, Loaded::Ready(..) | Loaded::Failed) {
        if let Some(shown) = use_context::<ScreenShown>() {
            shown.announce_and_focus();
        }
    }
}
