//! Parts of the portal that load only when needed (code splitting), as the
//! wizard sees them: not asked for yet, on their way, ready, or failed.
//!
//! In the release build (the `split` feature) each part is its own
//! WebAssembly module, cut out by `scripts/split.mjs` and fetched with its
//! SRI hash; loading it can fail (offline, a redeploy removed the file), and
//! the customer is then told, keeps the journey and can try again. Without
//! the feature (tests, `cargo check`) the same code is linked in and loading
//! is immediate. The wizard itself is such a part, loaded by the frame
//! (`crate::frame`); this module serves the parts the wizard loads: the
//! request part (the request form and the courier, `crate::request_part`).

use std::future::Future;

use leptos::prelude::*;
use leptos::reactive::owner::WeakOwner;

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
    /// Weak: the slot lives in this owner, and a strong reference there
    /// would keep the owner (and its cleanups) alive after unmounting.
    owner: StoredValue<WeakOwner>,
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
            owner: StoredValue::new(
                Owner::current()
                    .expect("inside the wizard's owner")
                    .downgrade(),
            ),
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
            let Some(owner) = self.owner.try_get_value().and_then(|o| o.upgrade()) else {
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

/// Shown while a part is on its way (the frame's drawing).
pub fn pending_view(l: Locale) -> AnyView {
    crate::app::raw(move |_| crate::views::part_loading(l)).into_any()
}

/// Shown when a part could not be loaded: what happened, that nothing is
/// lost, and a way to try again (the frame's drawing).
pub fn failed_view(l: Locale, title: Key, retry: impl Fn() + 'static) -> AnyView {
    crate::app::raw(move |on| crate::views::part_failed(l, title, on, retry, None)).into_any()
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
