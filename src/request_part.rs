//! The request part of the portal, loaded only when it is needed.
//!
//! Most customers who open the portal read the welcome screen, walk the
//! diagnosis and stop at its answer. The request form, its review, the
//! delivery screens and the courier that sends requests are close to a
//! third of the portal's WebAssembly, so in the release build (the `split`
//! feature) they sit in a second module, `scripts/split.mjs` cuts it out,
//! and it is fetched (integrity-checked) as soon as the customer reaches an
//! answer (most offer a request), or at start when this browser holds saved
//! requests. Without the feature (tests, `cargo check`) the same code is
//! linked in and "loading" it is immediate.
//!
//! Loading can fail (offline, the file is gone after a redeploy): the
//! customer is told, keeps the journey, and can try again.

use frontline_core::IntakeAdapter;
use leptos::prelude::*;

use crate::app::use_locale;
use crate::delivery::Courier;
use crate::i18n::Key;
use crate::wizard::Screen;

/// What the request part provides, as plain function pointers into it.
#[derive(Clone, Copy)]
struct RequestPart {
    render: fn(Screen) -> AnyView,
    earlier: fn() -> AnyView,
    start_courier: fn(IntakeAdapter) -> Courier,
}

fn request_part() -> RequestPart {
    use crate::request_screens::{DeliveryView, EarlierRequests, RequestFormView, ReviewView};
    RequestPart {
        render: |screen| match screen {
            Screen::Form(outcome) => view! { <RequestFormView outcome=*outcome /> }.into_any(),
            Screen::Review(outcome) => view! { <ReviewView outcome=*outcome /> }.into_any(),
            Screen::Delivery { id } => view! { <DeliveryView id /> }.into_any(),
            _ => ().into_any(),
        },
        earlier: || view! { <EarlierRequests /> }.into_any(),
        start_courier: Courier::start,
    }
}

/// The split point: everything only reachable from here goes to the second
/// module. `fallible`: a failed fetch is an `Err`, not a panic (which would
/// abort the whole portal).
#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(
    request_part,
    wasm_split_path = ::leptos::wasm_split,
    fallible
)]
fn load() -> Result<RequestPart, leptos::wasm_split::SplitLoaderError> {
    Ok(request_part())
}

#[cfg(not(feature = "split"))]
async fn load() -> Result<RequestPart, std::convert::Infallible> {
    Ok(request_part())
}

#[derive(Clone, Copy)]
enum State {
    Idle,
    Loading,
    Ready(RequestPart, Courier),
    Failed,
}

/// The request part as the wizard sees it: whether it is loaded, and the
/// courier once it is. Provided by the wizard, in its reactive owner.
#[derive(Clone, Copy)]
pub struct RequestPartSlot {
    state: RwSignal<State>,
    adapter: IntakeAdapter,
    owner: StoredValue<Owner>,
}

impl RequestPartSlot {
    /// A slot for the wizard now being built; `adapter` is the ruleset's.
    pub fn new(adapter: IntakeAdapter) -> RequestPartSlot {
        RequestPartSlot {
            state: RwSignal::new(State::Idle),
            adapter,
            owner: StoredValue::new(Owner::current().expect("inside the wizard's owner")),
        }
    }

    /// Starts loading the part unless it is loaded or on its way. The
    /// courier starts in the wizard's owner, so it stops when the portal is
    /// unmounted.
    pub fn load(self) {
        // Not when unmounted meanwhile, loaded, or on its way.
        if !matches!(
            self.state.try_get_untracked(),
            Some(State::Idle | State::Failed)
        ) {
            return;
        }
        self.state.set(State::Loading);
        leptos::task::spawn_local(async move {
            let loaded = load().await.ok();
            let Some(owner) = self.owner.try_get_value() else {
                return; // unmounted meanwhile
            };
            let state = match loaded {
                Some(part) => State::Ready(part, owner.with(|| (part.start_courier)(self.adapter))),
                None => State::Failed,
            };
            let _ = self.state.try_set(state);
        });
    }

    /// Loads the part now if this browser holds saved requests (of an
    /// earlier visit, maybe still to send): the courier must resume them.
    pub fn load_if_outbox_in_use(self) {
        if crate::delivery::anything_saved() {
            self.load();
        }
    }

    /// The courier, once the part is loaded.
    pub fn courier(self) -> Option<Courier> {
        match self.state.get_untracked() {
            State::Ready(_, courier) => Some(courier),
            _ => None,
        }
    }
}

/// The wizard's request part slot.
pub fn use_request_part() -> RequestPartSlot {
    use_context::<RequestPartSlot>().expect("inside the wizard")
}

/// A screen of the request part: shown once the part is loaded, with a
/// status line meanwhile and a way to try again if it could not be loaded.
/// When the customer had to wait, focus moves to the screen's heading once
/// it is there, as for any new screen.
#[component]
pub fn RequestPartView(screen: Screen) -> impl IntoView {
    let slot = use_request_part();
    let on_screen = use_context::<crate::app::ScreenShown>().expect("inside the wizard");
    slot.load();
    let waited = !matches!(slot.state.get_untracked(), State::Ready(..));
    move || {
        let l = use_locale().get_untracked();
        let state = slot.state.get();
        // A screen that replaces the status line is announced and focused
        // like any new screen (the wizard did so for the status line).
        if waited && matches!(state, State::Ready(..) | State::Failed) {
            on_screen.announce_and_focus();
        }
        match state {
            State::Ready(part, _) => (part.render)(screen.clone()),
            State::Failed => view! {
                <section class="fl-step" data-testid="step-part-failed">
                    <h1 class="fl-step__title" tabindex="-1">{l.t(Key::PartFailedTitle)}</h1>
                    <p>{l.t(Key::PartFailedBody)}</p>
                    <button class="fl-button fl-button--primary" data-testid="part-retry"
                        on:click=move |_| slot.load()>{l.t(Key::FailedRetry)}</button>
                </section>
            }
            .into_any(),
            State::Idle | State::Loading => view! {
                <p class="fl-portal__loading" role="status" data-testid="part-loading">{l.t(Key::Loading)}</p>
            }
            .into_any(),
        }
    }
}

/// Requests of a closed tab or an earlier visit that need the customer's
/// eye, once the part is loaded (it is, at start, whenever this browser
/// holds saved requests): on the welcome screen.
#[component]
pub fn EarlierRequestsSlot() -> impl IntoView {
    let slot = use_request_part();
    move || match slot.state.get() {
        State::Ready(part, _) => (part.earlier)(),
        _ => ().into_any(),
    }
}
