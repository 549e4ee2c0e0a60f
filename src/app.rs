//! The portal's frame: loading the ruleset, the language, and the wizard
//! with its progress indicator, focus management and live announcements.

use std::sync::Arc;

use frontline_core::Ruleset;
use leptos::html;
use leptos::prelude::*;

use crate::api::{fetch_ruleset, ConfigError};
use crate::diagnosis_part::{self, DiagnosisPart, DiagnosisSlot};
use crate::host::{emit, HostCommands};
use crate::i18n::{Key, Locale};
use crate::part::{self, Loaded};
use crate::request_part::{RequestPartSlot, RequestPartView};
use crate::screens::Welcome;
use crate::storage;
use crate::wizard::{Journey, Screen, Stage};

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
    let l = use_locale().get_untracked();
    let fallback = use_context::<Rules>()
        .map(|r| r.0.default_language.clone())
        .unwrap_or_default();
    text.get(l.tag(), &fallback).to_owned()
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

/// The languages the browser says the customer prefers, best first.
fn browser_languages() -> Vec<String> {
    let navigator = window().navigator();
    let listed: Vec<String> = navigator
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    if listed.is_empty() {
        navigator.language().into_iter().collect()
    } else {
        listed
    }
}

/// The portal: loads the partner's ruleset, then shows the wizard.
#[component]
pub fn App(
    /// Where the partner's ruleset is published.
    #[prop(into)]
    config_url: String,
) -> impl IntoView {
    let languages = browser_languages();
    let locale = RwSignal::new(Locale::negotiate(languages.iter().map(String::as_str)));
    provide_context(UiLocale(locale));
    // `Frontline.setLocale("fr")` from the host page.
    if let Some(asked) = use_context::<HostCommands>().map(|c| c.locale) {
        effect(move || {
            if let Some(chosen) = asked.get().as_deref().and_then(Locale::from_tag) {
                locale.set(chosen);
            }
        });
    }
    // Fetched once, into a plain signal: a resource would bring Leptos'
    // async-derived machinery into the WebAssembly for this one fetch.
    let ruleset = RwSignal::new(None);
    leptos::task::spawn_local(async move {
        let loaded = fetch_ruleset(&config_url).await;
        // Unmounted meanwhile (the host's `destroy()`): nothing to show.
        let _ = ruleset.try_set(Some(loaded));
    });
    view! {
        <div class="fl-portal" data-testid="portal" lang=move || locale.get().tag()>
            <header class="fl-portal__bar">
                {in_language(|| view! { <LanguageSwitcher /> })}
            </header>
            // Not rebuilt on a language change: the wizard keeps the journey.
            {dynamic(move || match ruleset.get() {
                None => in_language(|| view! {
                    <p class="fl-portal__loading" role="status">{use_locale().get_untracked().t(Key::Loading)}</p>
                }).into_any(),
                Some(Ok(ruleset)) => view! { <Wizard ruleset /> }.into_any(),
                Some(Err(error)) => in_language(move || view! { <ConfigProblem error=error.clone() /> }).into_any(),
            })}
        </div>
    }
}

/// A visible language choice, named in each language's own words.
#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let locale = use_locale();
    let l = locale.get_untracked();
    view! {
        <label class="fl-language">
            <span class="fl-language__label">{l.t(Key::LanguageLabel)}</span>
            <select
                class="fl-language__select"
                data-testid="language"
                on:change=move |ev| {
                    if let Some(chosen) = Locale::from_tag(&event_target_value(&ev)) {
                        locale.set(chosen);
                    }
                }
            >
                {Locale::all()
                    .map(|option| view! {
                        <option value=option.tag() selected=option == l>{option.t(Key::LanguageName)}</option>
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// Shown when the ruleset cannot be used: a friendly panel for the customer
/// (with the partner's fallback contact when the file names one), the exact
/// reason for the partner in the console.
#[component]
pub fn ConfigProblem(error: ConfigError) -> impl IntoView {
    let l = use_locale().get_untracked();
    web_sys::console::error_1(&format!("Frontline: {error}").into());
    let contact = match &error {
        ConfigError::Invalid { fallback, .. } => fallback.clone(),
        ConfigError::Unreachable(_) => None,
    };
    view! {
        <section class="fl-panel fl-panel--problem" role="alert" data-testid="config-problem">
            <h1 class="fl-panel__title">{l.t(Key::ConfigProblemTitle)}</h1>
            <p>{l.t(Key::ConfigProblemBody)}</p>
            {contact.map(|c| {
                let name = c.name.clone();
                view! {
                    <p>{l.format(Key::ConfigProblemContact, &[("name", &name)])}</p>
                    <ul class="fl-list">
                        <li><a href=format!("mailto:{}", c.email)>{c.email.clone()}</a></li>
                        {c.phone.map(|p| view! { <li><a href=format!("tel:{}", p.replace(' ', ""))>{p.clone()}</a></li> })}
                    </ul>
                }
            })}
        </section>
    }
}

/// Where the portal's `frontline:*` events start (they bubble to the host).
#[derive(Clone, Copy)]
pub struct EventSource(pub NodeRef<html::Div>);

/// Moves keyboard and screen-reader users to a new screen: focus on its
/// heading, and its title read out by the live region.
#[derive(Clone, Copy)]
pub struct ScreenShown {
    body: NodeRef<html::Div>,
    announcement: RwSignal<String>,
}

impl ScreenShown {
    /// After the next frame (once the screen is drawn): focus the step's
    /// heading and announce it.
    pub fn announce_and_focus(self) {
        request_animation_frame(move || {
            let Some(body) = self.body.get_untracked() else {
                return;
            };
            if let Ok(Some(title)) = body.query_selector(".fl-step__title") {
                self.announcement
                    .set(title.text_content().unwrap_or_default());
                if let Ok(title) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(title) {
                    let _ = title.focus();
                }
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

/// Whom to write to for a person, on every screen in the same place (WCAG
/// 2.2 SC 3.2.6, consistent help): the partner's fallback contact.
/// The progress indicator: where the customer is among the stages.
#[component]
pub fn Progress(stage: Signal<Stage>) -> impl IntoView {
    let l = use_locale().get_untracked();
    let label = |s: Stage| match s {
        Stage::Welcome => Key::StageWelcome,
        Stage::Product => Key::StageProduct,
        Stage::Problem => Key::StageProblem,
        Stage::Diagnosis => Key::StageDiagnosis,
        Stage::Answer => Key::StageAnswer,
        Stage::Request => Key::StageRequest,
        Stage::Sent => Key::StageSent,
    };
    // Redrawn whole when the stage changes (seven items): static attributes
    // instead of three reactive ones per item, less WebAssembly.
    view! {
        <nav class="fl-progress" aria-label=l.t(Key::ProgressLabel)>
            <ol class="fl-progress__list">
                {dynamic(move || {
                    let current = stage.get();
                    Stage::ALL
                        .into_iter()
                        .map(|s| {
                            let class = match s.cmp(&current) {
                                std::cmp::Ordering::Less => "fl-progress__item fl-progress__item--done",
                                std::cmp::Ordering::Equal => "fl-progress__item fl-progress__item--current",
                                std::cmp::Ordering::Greater => "fl-progress__item",
                            };
                            view! {
                                <li class=class aria-current=(s == current).then_some("step")>{l.t(label(s))}</li>
                            }
                        })
                        .collect_view()
                        .into_any()
                })}
            </ol>
        </nav>
    }
}

/// What the wizard shows: a screen, or the wait for (or failure of) the
/// part that draws it, with the stage the journey is at meanwhile.
#[derive(Clone, PartialEq)]
enum Shown {
    Screen(Screen),
    Waiting(Stage),
    Failed(Stage),
}

/// The wizard over a loaded ruleset: one screen at a time, computed from the
/// customer's journey by the rules core.
#[component]
pub fn Wizard(ruleset: Ruleset) -> impl IntoView {
    let locale = use_locale();
    let rules = Arc::new(ruleset);
    provide_context(Rules(rules.clone()));
    // Every step after the welcome screen comes in its own module, with the
    // journey's JSON: loaded on the customer's intent to start (see
    // `Welcome`), on starting, or now for a journey already started.
    let diagnosis = DiagnosisSlot::in_current_owner();
    provide_context(diagnosis);
    // Progress survives a reload of this tab, and is stored only once the
    // customer has started. A saved journey (or one from the browser's
    // history) waits here as text until the diagnosis part can read it;
    // meanwhile the journey is a started one, so that part is loading.
    let saved_as = format!("frontline.journey.{}", rules.id);
    let unread = RwSignal::new(None);
    let journey = RwSignal::new(Journey::default());
    provide_context(journey);
    let wait_to_read = move |text: String| {
        unread.set(Some(text));
        journey.set(Journey {
            started: true,
            ..Journey::default()
        });
    };
    if let Some(text) = storage::load(&saved_as) {
        wait_to_read(text);
    }
    let read = move |part: DiagnosisPart, text: &str| (part.read_journey)(text).unwrap_or_default();
    effect(move || {
        if let Loaded::Ready(part) = diagnosis.state() {
            if let Some(text) = unread.get() {
                journey.set(read(part, &text));
                unread.set(None);
            }
        }
    });
    effect(move || {
        if !journey.with(|j| j.started) {
            storage::remove(&saved_as);
        } else if let (Loaded::Ready(part), true) =
            (diagnosis.state(), unread.with(Option::is_none))
        {
            journey.with(|j| storage::save(&saved_as, &(part.write_journey)(j)));
        }
    });
    // The request form and the courier come in their own module: now if
    // requests of an earlier visit are saved, else once needed.
    let request_part = RequestPartSlot::new(rules.intake.adapter);
    provide_context(request_part);
    request_part.load_if_outbox_in_use();
    // `Frontline.prefill({...})` from the host page, onto the journey once
    // a saved one is read.
    if let Some(prefill) = use_context::<HostCommands>().map(|c| c.prefill) {
        let rules = rules.clone();
        effect(move || {
            if unread.with(Option::is_some) {
                return;
            }
            if let Some(p) = prefill.get() {
                journey.update(|j| {
                    p.apply(&mut j.form);
                    if let Some(product) =
                        p.product.as_ref().filter(|id| rules.product(id).is_some())
                    {
                        if !j.started {
                            j.preselected_product = Some(product.clone());
                        }
                    }
                });
            }
        });
    }
    let theme = rules.theme.clone().unwrap_or_default();
    let (partner, email) = (
        rules.partner.name.clone(),
        rules.fallback_contact.email.clone(),
    );
    effect(move || {
        if journey.with(|j| j.started) {
            diagnosis_part::load(diagnosis);
        }
    });
    let screen = Memo::new(move |_| {
        journey.with(|j| {
            if !j.started {
                return Shown::Screen(Screen::Welcome);
            }
            match diagnosis.state() {
                Loaded::Ready(part) if unread.with(Option::is_none) => {
                    Shown::Screen((part.screen)(j, &rules))
                }
                Loaded::Failed => Shown::Failed(j.stage_hint()),
                // Loading, or loaded with a saved journey not read yet.
                _ => Shown::Waiting(j.stage_hint()),
            }
        })
    });
    let stage = Signal::derive(move || {
        screen.with(|shown| match shown {
            Shown::Screen(screen) => screen.stage(),
            Shown::Waiting(stage) | Shown::Failed(stage) => *stage,
        })
    });
    // "Back" and "Start over": under every step but the first and the last.
    let nav_shown = Memo::new(move |_| !matches!(stage.get(), Stage::Welcome | Stage::Sent));

    // After the customer acts, move focus to the new step's heading and
    // announce it, so keyboard and screen-reader users follow along. Not on
    // first display: a portal must not steal focus from the page.
    let body = NodeRef::<html::Div>::new();
    provide_context(EventSource(body));
    // The partner's brand from the ruleset, as custom properties on the
    // portal (set through the CSSOM, which a strict CSP allows).
    effect(move || {
        let Some(portal) = body
            .get()
            .and_then(|b| b.closest(".fl-portal").ok().flatten())
        else {
            return;
        };
        if let Ok(portal) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(portal) {
            for (name, value) in theme.properties() {
                let _ = portal.style().set_property(name, value);
            }
        }
    });
    // The browser's back and forward buttons walk the journey too: each
    // step the customer takes is a history entry holding the journey.
    let from_history = StoredValue::new(false);
    let popstate = window_event_listener(leptos::ev::popstate, move |e| {
        from_history.set_value(true);
        match (e.state().as_string(), diagnosis.ready()) {
            (Some(text), Some(part)) => journey.set(read(part, &text)),
            (Some(text), None) => wait_to_read(text),
            (None, _) => journey.set(Journey::default()),
        }
    });
    // Unmounting (the host's `destroy()`) leaves no listener behind.
    on_cleanup(move || popstate.remove());
    let announcement = RwSignal::new(String::new());
    let shown = ScreenShown { body, announcement };
    provide_context(shown);
    // Each new screen: a history entry (unless the browser's history moved
    // us here), an event for the host, focus on its heading and an
    // announcement for screen readers.
    // While a part is on its way nothing of this happens: the screen after
    // it is compared with the last one shown. A failure screen is focused.
    Effect::new(move |previous: Option<Option<Screen>>| {
        let previous = previous.flatten();
        let current = match screen.get() {
            Shown::Screen(current) => current,
            Shown::Failed(_) => {
                shown.announce_and_focus();
                return previous;
            }
            Shown::Waiting(_) => return previous,
        };
        // Most answers offer a request: fetch its part while the customer reads.
        if matches!(current, Screen::Step(frontline_core::Step::Outcome(_))) {
            request_part.load();
        }
        if previous.is_some_and(|p| p != current) {
            // The part that writes the journey is loaded: the customer moved
            // on from a screen it drew, or back to the welcome screen.
            if let (false, Some(part)) = (from_history.get_value(), diagnosis.ready()) {
                let state = journey.with_untracked(part.write_journey);
                if let Ok(history) = window().history() {
                    let _ = history.push_state(&state.into(), "");
                }
            }
            if let Some((name, detail)) = event_for(&current) {
                if let Some(target) = body.get_untracked() {
                    emit(&target, name, &detail);
                }
            }
            shown.announce_and_focus();
        }
        from_history.set_value(false);
        Some(current)
    });

    view! {
        {in_language(move || {
            let l = use_locale().get_untracked();
            view! {
                <p class="fl-help" data-testid="help">
                    {l.format(Key::HelpContact, &[("partner", &partner)])}" "
                    <a href=format!("mailto:{email}")>{email.clone()}</a>
                </p>
            }
        })}
        {in_language(move || view! { <Progress stage /> })}
        <p class="fl-visually-hidden" role="status" aria-live="polite" data-testid="announcer">
            {move || announcement.get()}
        </p>
        <div class="fl-wizard" node_ref=body>
            {dynamic(move || {
                locale.track();
                let l = locale.get_untracked();
                match screen.get() {
                    Shown::Screen(Screen::Welcome) => view! { <Welcome /> }.into_any(),
                    Shown::Screen(screen @ (Screen::Form(_) | Screen::Review(_) | Screen::Delivery { .. })) => view! { <RequestPartView screen /> }.into_any(),
                    Shown::Screen(screen) => diagnosis.ready().map_or_else(|| ().into_any(), |part| (part.render)(screen)),
                    Shown::Waiting(_) => part::pending_view(l),
                    // Not stuck: "Back" and "Start over" come with the part,
                    // so the welcome screen is offered here.
                    Shown::Failed(_) => view! {
                        {part::failed_view(l, Key::StepsFailedTitle, move || diagnosis_part::load(diagnosis))}
                        // As in the part's own "Back" / "Start over" (a copy: a shared
                        // function would sit in this module, which opens first).
                        <div class="fl-nav">
                            <button class="fl-button fl-button--link" data-testid="restart"
                                on:click=move |_| journey.update(Journey::restart)>{l.t(Key::StartOver)}</button>
                        </div>
                    }
                    .into_any(),
                }
            })}
        </div>
        {dynamic(move || match (nav_shown.get(), diagnosis.state()) {
            (true, Loaded::Ready(part)) => (part.nav)(),
            _ => ().into_any(),
        })}
    }
}
