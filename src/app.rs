//! The wizard: every step after the welcome screen, drawn with Leptos, and
//! the journey behind them, with history, focus management and live
//! announcements.
//!
//! In the release build (the `split` feature) this is a WebAssembly module
//! of its own, with the Leptos runtime: opening the portal needs only the
//! frame and the welcome screen (`crate::frame`, plain DOM), which fetches
//! this part when the customer heads for "Start" and mounts it with
//! [`mount`]. The wizard then shows every screen but the welcome screen,
//! which stays the frame's: it tells the frame the stage it is at.

use std::sync::Arc;
use std::time::Duration;

use frontline_core::{Ruleset, Step};
use leptos::html;
use leptos::prelude::*;
use leptos::tachys::view::Render;

use crate::dom::Listeners;
use crate::frame::{FrameLink, Handover, Mount, MountWizard, WizardHandle};
use crate::host::{emit, Prefill};
use crate::i18n::{Key, Locale};
use crate::request_part::{EarlierRequestsSlot, RequestPartSlot, RequestPartView};
use crate::screens::{
    use_journey, Broken, KindChoice, NodeView, OutcomeView, ProductChoice, Resolved,
};
use crate::storage;
use crate::wizard::{Journey, Screen, Stage};

/// The split point: everything only reachable from here goes to the
/// wizard's module. `fallible`: a failed fetch is an `Err`, not a panic
/// (which would abort the whole portal).
#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(wizard_part, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn load() -> Result<MountWizard, leptos::wasm_split::SplitLoaderError> {
    Ok(mount)
}

/// Without the `split` feature (tests, `cargo check`) the wizard is linked
/// in and loading it is immediate.
#[cfg(not(feature = "split"))]
pub async fn load() -> Result<MountWizard, std::convert::Infallible> {
    Ok(mount)
}

/// Mounts the wizard at the end of the frame's portal element.
pub fn mount(m: Mount) -> WizardHandle {
    let locale = ArcRwSignal::new(m.locale);
    let prefill = ArcRwSignal::new(m.prefill);
    let journey = ArcRwSignal::new(Journey::default());
    let from_history = ArcStoredValue::new(false);
    let history_moves = ArcStoredValue::new(0u32);
    let target = wasm_bindgen::JsCast::unchecked_into::<web_sys::HtmlElement>(m.portal);
    let (l, p, j, h, hm) = (
        locale.clone(),
        prefill.clone(),
        journey.clone(),
        from_history.clone(),
        history_moves.clone(),
    );
    let (frame, opened) = (m.frame, Opened(m.opened_at));
    let (rules, handover) = (m.rules, m.handover);
    // The ruleset's hash is for requests: computed when the browser is
    // idle, so that neither the step drawn now nor the first answer waits
    // for it.
    let hashed = Arc::clone(&rules);
    crate::dom::when_idle(move || {
        hashed.hash();
    });
    let mounted = leptos::mount::mount_to(target, move || {
        provide_context(UiLocale(l.into()));
        provide_context(opened);
        let frame = StoredValue::new_local(frame);
        view! { <Wizard rules handover frame journey=j.into() prefill=p.into() from_history=h history_moves=hm /> }
    });
    WizardHandle {
        mounted: Box::new(mounted),
        set_locale: Box::new(move |l| locale.set(l)),
        prefill: Box::new(move |p| prefill.set(Some(p))),
        start: Box::new({
            let journey = journey.clone();
            move || journey.update(Journey::start)
        }),
        history: Box::new(move |state| {
            from_history.set_value(true);
            history_moves.update_value(|n| *n = n.wrapping_add(1));
            journey.set(
                state
                    .and_then(|text| Journey::from_json(&text))
                    .unwrap_or_default(),
            );
        }),
    }
}

/// When the portal opened (`Date.now()`, ms), for the request's
/// `Frontline-Elapsed-Ms`.
#[derive(Clone, Copy)]
pub struct Opened(pub f64);

/// The customer's UI language, shared with every screen.
#[derive(Clone, Copy)]
pub struct UiLocale(pub RwSignal<Locale>);

/// The UI language in context, or the source language outside the portal.
pub fn use_locale() -> RwSignal<Locale> {
    use_context::<UiLocale>()
        .map(|l| l.0)
        .unwrap_or_else(|| RwSignal::new(Locale::SOURCE))
}

/// The partner's ruleset, shared with every screen.
#[derive(Clone)]
pub struct Rules(pub Arc<Ruleset>);

/// The ruleset in context. Screens are only mounted under a [`Wizard`].
pub fn use_rules() -> Arc<Ruleset> {
    use_context::<Rules>()
        .map(|r| r.0)
        .expect("screens are mounted inside <Wizard>")
}

/// A ruleset text in the customer's language (the partner's default
/// language when the text lacks it). Screens are rebuilt when the language
/// changes, so texts are plain strings, not reactive closures: far less
/// WebAssembly than one reactive effect per text.
pub fn text_of(text: &frontline_core::Text) -> String {
    crate::views::text_in(use_locale().get_untracked(), &use_rules(), text)
}

/// Renders `view` again whenever the customer changes language. Inside, UI
/// strings are plain values read with `use_locale().get_untracked()`.
/// Through [`dynamic`], so Leptos' render effect is compiled once for every
/// caller instead of once per view type (smaller WebAssembly).
pub fn in_language<V: IntoView + 'static>(
    view: impl Fn() -> V + Send + Sync + 'static,
) -> impl IntoView {
    tracking_language(Box::new(move || view().into_any()))
}

/// [`in_language`] past its one generic line, compiled once (boxing twice,
/// here and in `dynamic`, measured 150 B smaller than once).
fn tracking_language(view: Box<dyn Fn() -> AnyView + Send + Sync>) -> impl IntoView {
    let locale = use_locale();
    dynamic(move || {
        locale.track();
        view()
    })
}

/// A view drawn again whenever what `view` reads changes; boxed, so the
/// render effect behind it is compiled once for every such view.
pub fn dynamic(view: impl Fn() -> AnyView + Send + Sync + 'static) -> impl IntoView {
    let view: Box<dyn Fn() -> AnyView + Send + Sync> = Box::new(view);
    move || view()
}

/// An effect, boxed: one copy of Leptos' effect machinery serves every
/// effect made here, where `Effect::new` is compiled once per closure.
pub fn effect(f: impl Fn() + 'static) {
    let f: Box<dyn Fn()> = Box::new(f);
    Effect::new(move |_| f());
}

/// A view of plain DOM drawn by `build` (the frame's drawings, which the
/// wizard shows too: one implementation of each). Its listeners live as
/// long as the view.
pub fn raw(build: impl FnOnce(&mut Listeners) -> web_sys::Element + 'static) -> impl IntoView {
    let host = NodeRef::<html::Div>::new();
    let mut on = Listeners::default();
    let element = build(&mut on);
    let _kept = StoredValue::new_local(on);
    host.on_load(move |div| {
        let _ = div.append_child(&element);
    });
    view! { <div class="fl-raw" node_ref=host></div> }
}

/// Where the portal's `frontline:*` events start (they bubble to the host).
#[derive(Clone, Copy)]
pub struct EventSource(pub NodeRef<html::Div>);

/// Moves keyboard and screen-reader users to a new screen: focus on its
/// heading, and its title read out by the live region.
#[derive(Clone, Copy)]
pub struct ScreenShown {
    body: NodeRef<html::Div>,
    frame: StoredValue<FrameLink, LocalStorage>,
}

impl ScreenShown {
    /// After the next frame (once the screen is drawn): focus the step's
    /// heading and announce it.
    pub fn announce_and_focus(self) {
        request_animation_frame(move || {
            // The wizard may be gone by then (the host page's destroy()):
            // its values are disposed, and reading them would panic.
            if let Some(body) = self.body.try_get_untracked().flatten() {
                self.frame.try_with_value(|f| f.focus_heading(&body));
            }
        });
    }
}

/// The host event for arriving on `screen`: ids and outcomes only, never
/// what the customer typed.
fn event_for(screen: &Screen) -> Option<(&'static str, String)> {
    use crate::host::detail;
    use frontline_core::Step;
    // Members sorted by key, as serde_json's `json!` wrote them.
    let stage = |s: &str| detail(&[("stage", Some(s))]);
    Some(match screen {
        Screen::Welcome => return None,
        Screen::Step(Step::ChooseProduct { .. }) => ("step", stage("product")),
        Screen::Step(Step::ChooseKind { product, .. }) => (
            "step",
            detail(&[("product", Some(product)), ("stage", Some("problem"))]),
        ),
        Screen::Step(Step::Ask { node }) => (
            "step",
            detail(&[("node", Some(node)), ("stage", Some("diagnosis"))]),
        ),
        Screen::Step(Step::Resolved { node }) => ("resolved", detail(&[("node", Some(node))])),
        Screen::Step(Step::Outcome(o)) => (
            "escalated",
            detail(&[
                ("handler", Some(o.handler.as_str())),
                ("kind", Some(&o.kind)),
                ("product", Some(&o.product)),
                ("rule", Some(&o.rule)),
                ("vehicle", o.vehicle.as_deref()),
            ]),
        ),
        Screen::Form(_) => ("step", stage("request")),
        Screen::Review(_) => ("step", stage("review")),
        Screen::Delivery { .. } | Screen::Broken(_) => return None,
    })
}

/// The wizard over a loaded ruleset: one screen at a time, computed from the
/// customer's journey by the rules core.
#[component]
fn Wizard(
    rules: Arc<Ruleset>,
    handover: Handover,
    frame: StoredValue<FrameLink, LocalStorage>,
    journey: RwSignal<Journey>,
    prefill: RwSignal<Option<Prefill>>,
    /// Set when the browser's history moved the journey (no entry to push).
    from_history: ArcStoredValue<bool>,
    /// How many times the browser's history moved the journey.
    history_moves: ArcStoredValue<u32>,
) -> impl IntoView {
    let locale = use_locale();
    provide_context(Rules(rules.clone()));
    provide_context(journey);
    // Progress survives a reload of this tab, and is stored only once the
    // customer has started.
    let saved_as = crate::frame::journey_key(&rules);
    if matches!(handover, Handover::Welcome) {
        warm_up_first_step(rules.clone(), journey);
    }
    // Where the journey comes from, and the screen before it: a customer
    // who pressed "Start" (or the browser's back button) moved on from the
    // welcome screen, and is followed there.
    let before = match handover {
        Handover::Welcome => None,
        Handover::Started => {
            journey.update(|j| {
                apply(&rules, prefill.get_untracked(), j);
                j.start();
            });
            Some(Screen::Welcome)
        }
        Handover::Saved { text, focus } => {
            journey.set(Journey::from_json(&text).unwrap_or_default());
            from_history.set_value(focus);
            focus.then_some(Screen::Welcome)
        }
    };
    effect(move || {
        journey.with(|j| {
            if j.started {
                storage::save(&saved_as, &j.to_json());
            } else {
                storage::remove(&saved_as);
            }
        })
    });
    // The request form and the courier come in their own module: now if
    // requests of an earlier visit are saved, else once needed.
    let request_part = RequestPartSlot::new(rules.intake.adapter);
    provide_context(request_part);
    request_part.load_if_outbox_in_use();
    // `Frontline.prefill({...})` from the host page, onto the journey.
    {
        let rules = rules.clone();
        effect(move || {
            if let Some(p) = prefill.get() {
                journey.update(|j| apply(&rules, Some(p), j));
            }
        });
    }
    // Anonymous funnel events, if the partner asks for them.
    let funnel = rules.intake.events_url.is_some();
    if let Some(url) = &rules.intake.events_url {
        crate::funnel::start(url, &rules.id);
        on_cleanup(crate::funnel::stop);
    }
    let screen = Memo::new(move |_| journey.with(|j| j.screen(&rules)));
    let stage = Memo::new(move |_| screen.with(Screen::stage));
    // The welcome screen and the progress indicator are the frame's.
    effect(move || {
        let stage = stage.get();
        frame.with_value(|f| f.show(stage));
    });
    // "Back" and "Start over": under every step but the first and the last.
    let nav_shown = Memo::new(move |_| !matches!(stage.get(), Stage::Welcome | Stage::Sent));

    // After the customer acts, move focus to the new step's heading and
    // announce it, so keyboard and screen-reader users follow along. Not on
    // first display: a portal must not steal focus from the page.
    let body = NodeRef::<html::Div>::new();
    provide_context(EventSource(body));
    // The browser's back and forward buttons reach the journey through the
    // frame (`WizardHandle::history`).
    let shown = ScreenShown { body, frame };
    provide_context(shown);
    // Each new screen: a history entry (unless the browser's history moved
    // us here), an event for the host, focus on its heading and an
    // announcement for screen readers.
    let before = StoredValue::new(before);
    Effect::new(move |previous: Option<Option<Screen>>| {
        let previous = previous.unwrap_or_else(|| before.get_value());
        let current = screen.get();
        // Most answers offer a request: fetch its part while the customer
        // reads, once this screen is painted (starting a fetch takes the
        // main thread for a few milliseconds).
        if matches!(current, Screen::Step(Step::Outcome(_))) {
            crate::dom::when_idle(move || request_part.load());
        }
        let (arrived, leaving) = match funnel {
            true => journey.with_untracked(|j| current.funnel(&j.transcript)),
            false => (None, None),
        };
        crate::funnel::at(leaving);
        if previous.is_some_and(|p| p != current) {
            if let Some(event) = arrived {
                crate::funnel::record(event);
            }
            if let Some((name, detail)) = event_for(&current) {
                if let Some(target) = body.get_untracked() {
                    emit(&target, name, &detail);
                }
            }
            if current == Screen::Welcome {
                frame.with_value(|f| {
                    f.show(Stage::Welcome);
                    f.focus_title();
                });
            } else {
                shown.announce_and_focus();
            }
            if !from_history.get_value() {
                // Once the new screen is painted: in a task posted from the
                // frame that paints it (asked for after its focus, so it
                // runs after what waits for that frame). In Chromium a
                // history entry took the click's task 0.4–8 ms (traced;
                // once rebuilding the layout tree there), time the step
                // would wait for. Not if the browser's history has moved
                // the journey meanwhile: that entry is stale.
                let state = journey.with_untracked(Journey::to_json);
                let moves = history_moves.get_value();
                let history_moves = history_moves.clone();
                let push = move || {
                    if history_moves.get_value() == moves {
                        if let Ok(history) = window().history() {
                            let _ = history.push_state(&state.into(), "");
                        }
                    }
                };
                request_animation_frame(move || set_timeout(push, Duration::ZERO));
            }
        }
        from_history.set_value(false);
        Some(current)
    });

    let earlier = frame.with_value(FrameLink::earlier_slot);
    view! {
        {earlier.map(|slot| view! { <leptos::portal::Portal mount=slot><EarlierRequestsSlot /></leptos::portal::Portal> })}
        <div class="fl-wizard" node_ref=body hidden=move || stage.get() == Stage::Welcome>
            {dynamic(move || {
                locale.track();
                match screen.get() {
                    Screen::Welcome => ().into_any(),
                    screen @ (Screen::Form(_) | Screen::Review(_) | Screen::Delivery { .. }) => view! { <RequestPartView screen /> }.into_any(),
                    screen => step(screen),
                }
            })}
        </div>
        {dynamic(move || match nav_shown.get() {
            true => nav(),
            false => ().into_any(),
        })}
    }
}

/// Runs `build` once when the browser is next idle, in a scratch reactive
/// owner under the current one (so it sees the wizard's contexts), then
/// cleans that owner up at once, before any effect made there could run.
/// For views built ahead out of the document and dropped: V8 compiles
/// WebAssembly functions on their first call, and a view built once ahead
/// takes that compilation out of the step that first shows it. Nothing
/// built there is shown, kept or changes anything.
pub fn build_ahead(build: impl FnOnce() + 'static) {
    let Some(owner) = Owner::current() else {
        return;
    };
    crate::dom::when_idle(move || {
        owner.with(|| {
            let scratch = owner.child();
            scratch.with(build);
            scratch.cleanup();
        });
    });
}

/// The first step and its "Back" / "Start over", built ahead
/// ([`build_ahead`]) while the customer is on the welcome screen, so that
/// the step from "Start" does not pay the wizard's first compilation. Only
/// if the customer has not started meanwhile.
fn warm_up_first_step(rules: Arc<Ruleset>, journey: RwSignal<Journey>) {
    build_ahead(move || {
        let first = journey.try_with_untracked(|j| {
            (!j.started).then(|| {
                let mut next = j.clone();
                next.start();
                next.screen(&rules)
            })
        });
        if let Some(Some(first)) = first {
            drop(step(first).build());
            drop(nav().build());
        }
    });
}

/// Applies the host's prefill to the journey (the product, if the customer
/// has not started yet).
fn apply(rules: &Ruleset, prefill: Option<Prefill>, j: &mut Journey) {
    let Some(p) = prefill else {
        return;
    };
    p.apply(&mut j.form);
    if let Some(product) = p.product.as_ref().filter(|id| rules.product(id).is_some()) {
        if !j.started {
            j.preselected_product = Some(product.clone());
        }
    }
}

/// A step of the diagnosis (product, kind of problem, questions, the answer).
fn step(screen: Screen) -> AnyView {
    match screen {
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
    }
}

/// "Back" and "Start over", under every step after the welcome screen.
fn nav() -> AnyView {
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
}
