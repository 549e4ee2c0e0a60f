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
//! customer is told, keeps the journey, and can try again (`crate::part`).

use frontline_core::{IntakeAdapter, Step};
use leptos::prelude::*;
use leptos::tachys::view::Render;

use crate::app::{use_locale, EventSource, Rules};
use crate::delivery::Courier;
use crate::i18n::Key;
use crate::part::{self, Loaded, PartSlot};
use crate::wizard::{Journey, Screen};

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

/// The request part as the wizard sees it: whether it is loaded, and the
/// courier once it is. Provided by the wizard, in its reactive owner.
#[derive(Clone, Copy)]
pub struct RequestPartSlot {
    slot: PartSlot<(RequestPart, Courier)>,
    adapter: IntakeAdapter,
}

impl RequestPartSlot {
    /// A slot for the wizard now being built; `adapter` is the ruleset's.
    pub fn new(adapter: IntakeAdapter) -> RequestPartSlot {
        RequestPartSlot {
            slot: PartSlot::in_current_owner(),
            adapter,
        }
    }

    /// Starts loading the part unless it is loaded or on its way. The
    /// courier starts in the wizard's owner, so it stops when the portal is
    /// unmounted.
    pub fn load(self) {
        let adapter = self.adapter;
        self.slot.load_with(
            || async { load().await.ok() },
            move |part: RequestPart| {
                // The request form is a step away: its controls' first
                // styling, in idle time now rather than in that step.
                if let Some(body) =
                    use_context::<EventSource>().and_then(|EventSource(body)| body.get_untracked())
                {
                    crate::dom::warm_up_inputs(&body, crate::request_screens::INPUT_TYPES);
                }
                warm_up_form(part);
                (part, (part.start_courier)(adapter))
            },
        );
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
        self.slot.ready().map(|(_, courier)| courier)
    }
}

/// The request form for the answer on screen, built ahead
/// (`app::build_ahead`): V8 compiles the part's code on its first use, ~4 ms
/// (traced) that otherwise fell in the step that shows the form. Only while
/// an answer is on screen.
fn warm_up_form(part: RequestPart) {
    crate::app::build_ahead(move || {
        let (Some(journey), Some(Rules(rules))) =
            (use_context::<RwSignal<Journey>>(), use_context::<Rules>())
        else {
            return;
        };
        // The screen "Write a request" leads to, from an answer only.
        let form = journey.try_with_untracked(|j| {
            if !matches!(j.screen(&rules), Screen::Step(Step::Outcome(_))) {
                return None;
            }
            let mut next = j.clone();
            next.write_request();
            Some(next.screen(&rules))
        });
        if let Some(Some(form @ Screen::Form(_))) = form {
            drop((part.render)(form).build());
        }
    });
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
    let request = use_request_part();
    request.load();
    let waited = request.slot.ready().is_none();
    crate::app::dynamic(move || {
        let l = use_locale().get_untracked();
        let state = request.slot.state();
        part::announce_when_settled(waited, &state);
        match state {
            Loaded::Ready((part, _)) => (part.render)(screen.clone()),
            Loaded::Failed => part::failed_view(l, Key::PartFailedTitle, move || request.load()),
            Loaded::Idle | Loaded::Loading => part::pending_view(l),
        }
    })
}

/// Requests of a closed tab or an earlier visit that need the customer's
/// eye, once the part is loaded (it is, at start, whenever this browser
/// holds saved requests): on the welcome screen.
#[component]
pub fn EarlierRequestsSlot() -> impl IntoView {
    let request = use_request_part();
    crate::app::dynamic(move || match request.slot.state() {
        Loaded::Ready((part, _)) => (part.earlier)(),
        _ => ().into_any(),
    })
}
