//! The diagnosis part of the portal: every step after the welcome screen
//! (product, kind of problem, questions, self-help, the answer) and the
//! rules core's evaluation that decides them.
//!
//! Opening the portal needs only the welcome screen, so in the release
//! build (the `split` feature) these steps are a module of their own,
//! fetched when the customer shows an intent to start (pointer over or
//! focus on "Start"), starts, or comes back to a journey already started.
//! See `crate::part` for what happens when it cannot be loaded.

use frontline_core::{Ruleset, Step};
use leptos::prelude::*;

use crate::app::{in_language, use_locale};
use crate::i18n::Key;
use crate::part::PartSlot;
use crate::screens::{
    use_journey, Broken, KindChoice, NodeView, OutcomeView, ProductChoice, Resolved,
};
use crate::wizard::{Journey, Screen};

/// What the diagnosis part provides, as plain function pointers into it.
#[derive(Clone, Copy)]
pub struct DiagnosisPart {
    /// The screen for a started journey (the rules core's evaluation).
    pub screen: fn(&Journey, &Ruleset) -> Screen,
    /// Draws a step of the diagnosis (nothing for other screens).
    pub render: fn(Screen) -> AnyView,
    /// Reads a journey saved as JSON (storage, the browser's history).
    pub read_journey: fn(&str) -> Option<Journey>,
    /// Writes a journey as JSON.
    pub write_journey: fn(&Journey) -> String,
    /// "Back" and "Start over", under every step after the welcome screen.
    pub nav: fn() -> AnyView,
}

fn diagnosis_part() -> DiagnosisPart {
    DiagnosisPart {
        screen: Journey::screen,
        render: |screen| match screen {
            Screen::Step(Step::ChooseProduct { products }) => {
                view! { <ProductChoice products /> }.into_any()
            }
            Screen::Step(Step::ChooseKind { product, kinds }) => {
                view! { <KindChoice product kinds /> }.into_any()
            }
            Screen::Step(Step::Ask { node }) => view! { <NodeView node /> }.into_any(),
            Screen::Step(Step::Resolved { node }) => view! { <Resolved node /> }.into_any(),
            Screen::Step(Step::Outcome(outcome)) => {
                view! { <OutcomeView outcome=*outcome /> }.into_any()
            }
            Screen::Broken(error) => view! { <Broken error /> }.into_any(),
            Screen::Welcome | Screen::Form(_) | Screen::Review(_) | Screen::Delivery { .. } => {
                ().into_any()
            }
        },
        read_journey: Journey::from_json,
        write_journey: Journey::to_json,
        nav: || {
            let journey = use_journey();
            in_language(move || {
                let l = use_locale().get_untracked();
                view! {
                    <div class="fl-nav">
                        <button class="fl-button fl-button--secondary" data-testid="back" on:click=move |_| {
                            journey.update(|j| { j.back(); });
                        }>
                            {l.t(Key::Back)}
                        </button>
                        <button class="fl-button fl-button--link" data-testid="restart" on:click=move |_| journey.update(Journey::restart)>
                            {l.t(Key::StartOver)}
                        </button>
                    </div>
                }
            })
            .into_any()
        },
    }
}

/// The split point: everything only reachable from here goes to the
/// part's module. `fallible`: a failed fetch is an `Err`, not a panic.
#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(
    diagnosis_part,
    wasm_split_path = ::leptos::wasm_split,
    fallible
)]
fn fetch() -> Result<DiagnosisPart, leptos::wasm_split::SplitLoaderError> {
    Ok(diagnosis_part())
}

#[cfg(not(feature = "split"))]
async fn fetch() -> Result<DiagnosisPart, std::convert::Infallible> {
    Ok(diagnosis_part())
}

/// The wizard's diagnosis part.
pub type DiagnosisSlot = PartSlot<DiagnosisPart>;

/// Starts loading the diagnosis part unless it is loaded or on its way.
pub fn load(slot: DiagnosisSlot) {
    slot.load_with(|| async { fetch().await.ok() }, |part| part);
}

/// The wizard's diagnosis part slot.
pub fn use_diagnosis_part() -> DiagnosisSlot {
    use_context::<DiagnosisSlot>().expect("inside the wizard")
}
