//! The portal's frame: the ruleset, the language, the help line, the
//! progress indicator, the live region and the welcome screen, drawn with
//! plain DOM calls (`crate::views`). This module and what it calls are the
//! WebAssembly a page downloads to open the portal.
//!
//! The ruleset is read in two stages: its front, for the welcome screen,
//! here; its rest, by a part fetched once that screen is shown
//! ([`crate::rest_part`]).
//!
//! The wizard (every step after the welcome screen, drawn with Leptos) is
//! a part of its own (`crate::app`), fetched when the customer heads for
//! "Start" (pointer over it or focus on it), starts, or comes back to a
//! journey already started, and then mounted beside the welcome screen.
//! Until then this module draws the wait and, if the part cannot be
//! fetched, says so with a way to try again. Once mounted, the wizard uses
//! the frame through [`FrameLink`], and the welcome screen stays this
//! module's.
//!
//! Leptos is the portal's view layer; here it would cost the page its
//! runtime (reactive graph, renderer) before the customer asked for more
//! than the welcome screen: the portal opened with 144.7 KiB gzip when the
//! welcome screen was drawn with Leptos, 96.0 KiB since, and 90.9 KiB for the
//! first screen once the ruleset's rest reader became a part of its own
//! (`crate::rest_part`; `e2e/budget.test.mjs`).

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use frontline_core::Ruleset;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

use crate::api::ConfigError;
use crate::dom::{add, attr, el, replace, Listeners};
use crate::host::Prefill;
use crate::i18n::{Key, Locale};
use crate::storage;
use crate::views::{self, StartHooks};
use crate::wizard::Stage;

/// The languages the browser says the customer prefers, best first.
fn browser_languages() -> Vec<String> {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return Vec::new();
    };
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

/// Where the wizard is.
enum Wizard {
    /// Not asked for yet.
    Idle,
    /// On its way (the customer waits for it once past the welcome
    /// screen: the frame's stage says so).
    Loading,
    /// Could not be fetched; the customer is told (when they started).
    Failed,
    /// Mounted.
    Mounted(WizardHandle),
}

/// What the wizard part gives the frame once mounted.
pub struct WizardHandle {
    /// Unmounts the wizard when dropped.
    pub mounted: Box<dyn std::any::Any>,
    /// The customer chose another language.
    pub set_locale: Box<dyn Fn(Locale)>,
    /// The host page prefilled the form.
    pub prefill: Box<dyn Fn(Prefill)>,
    /// The customer pressed "Start" on the welcome screen.
    pub start: Box<dyn Fn()>,
    /// The browser's back or forward button: the entry's journey (JSON),
    /// `None` for the welcome screen.
    pub history: Box<dyn Fn(Option<String>)>,
}

/// How the wizard finds the journey when it is mounted.
pub enum Handover {
    /// On the welcome screen, not started.
    Welcome,
    /// The customer pressed "Start" (focus moves to the first step).
    Started,
    /// A journey saved in this tab (a reload) or the browser's history
    /// (back / forward), as JSON; `focus`: the customer acted.
    Saved { text: String, focus: bool },
}

/// What the wizard needs from the frame once mounted.
pub struct Mount {
    /// The portal's element: the wizard appends its screens and nav to it.
    pub portal: Element,
    /// The partner's ruleset.
    pub rules: Arc<Ruleset>,
    /// The language now.
    pub locale: Locale,
    /// The journey to take up.
    pub handover: Handover,
    /// What the host page prefilled so far.
    pub prefill: Option<Prefill>,
    /// The frame, for the wizard to tell it what it shows.
    pub frame: FrameLink,
    /// When the portal opened (`Date.now()`, ms): a request says how long
    /// after it the customer pressed "Send" (`Frontline-Elapsed-Ms`).
    pub opened_at: f64,
}

/// The wizard part's entry: mounts the wizard (see `crate::app`).
pub type MountWizard = fn(Mount) -> WizardHandle;

/// The wizard's handle on the frame: the progress indicator, the live
/// region and the welcome screen are the frame's.
#[derive(Clone)]
pub struct FrameLink(Weak<Portal>);

impl FrameLink {
    /// The journey is at `stage`. On the welcome screen the frame shows
    /// it (the wizard shows nothing then).
    pub fn show(&self, stage: Stage) {
        with(&self.0, |p| p.show_stage(stage));
    }

    /// Focuses the heading of what the frame shows, and announces it.
    pub fn focus_title(&self) {
        with(&self.0, |p| p.focus_title());
    }

    /// Focuses the step heading inside `root` (the wizard's screen), and
    /// announces it.
    pub fn focus_heading(&self, root: &Element) {
        with(&self.0, |p| p.focus_heading(root));
    }

    /// Where requests of an earlier visit go on the welcome screen (the
    /// same element whenever the welcome screen is drawn again).
    pub fn earlier_slot(&self) -> Option<Element> {
        with(&self.0, |p| p.earlier.clone())
    }
}

/// A mounted portal: the frame, and the wizard once loaded.
pub struct Portal {
    me: Weak<Portal>,
    /// When it opened (`Date.now()`, ms).
    opened_at: f64,
    portal: Element,
    bar: Element,
    /// Loading line, help, progress, live region and the welcome body.
    content: Element,
    help: Element,
    progress: Element,
    announcer: Element,
    /// Where the frame draws the welcome screen, the wait for the wizard
    /// or its failure. Hidden while the wizard shows a step.
    body: Element,
    /// On the welcome screen, for the wizard's list of earlier requests.
    earlier: Element,
    /// What "Start" does.
    start: StartHooks,
    state: RefCell<State>,
}

struct State {
    locale: Locale,
    stage: Stage,
    /// The ruleset; only its front until `rest` is read ([`Portal::finished`]).
    rules: Option<Arc<Ruleset>>,
    /// What is left to read of the ruleset.
    rest: Option<frontline_core::Rest>,
    problem: Option<ConfigError>,
    wizard: Wizard,
    prefill: Option<Prefill>,
    /// A journey to take up once the wizard is mounted.
    saved: Option<(String, bool)>,
    frame_listeners: Listeners,
    body_listeners: Listeners,
    popstate: Option<wasm_bindgen::closure::Closure<dyn FnMut(web_sys::PopStateEvent)>>,
}

/// Runs `f` on the portal unless it is gone (removed by the host page).
fn with<T>(portal: &Weak<Portal>, f: impl FnOnce(&Portal) -> T) -> Option<T> {
    portal.upgrade().map(|p| f(&p))
}

/// Reads the rest of the portal's ruleset ([`Portal::finished`]), first
/// fetching its reader ([`crate::rest_part`]), unless it is read already.
/// If the reader cannot be fetched the rest stays, to be read when asked
/// again: the wizard, which needs it, says it failed and offers to try
/// again (which asks again).
async fn finish(me: Weak<Portal>) {
    if with(&me, |p| p.state.borrow().rest.is_none()).unwrap_or(true) {
        return;
    }
    if let Ok(finish) = crate::rest_part::load().await {
        with(&me, |p| p.finished(finish));
    }
}

impl Portal {
    /// Draws the portal into `container` with the ruleset at `config_url`.
    /// `started`: what the page already did to fetch it, while this module
    /// was on its way: the ruleset's text (then the welcome screen is drawn
    /// at once), or a promise of its text or `Response`; otherwise this
    /// fetches it, showing a loading line meanwhile.
    pub fn mount(container: &Element, config_url: String, started: JsValue) -> Rc<Portal> {
        if let Some(text) = started.as_string() {
            let this = Portal::frame(container);
            this.read(&text);
            return this;
        }
        let this = Portal::new(container);
        let me = this.me.clone();
        let started = started
            .is_instance_of::<js_sys::Promise>()
            .then(|| started.unchecked_into());
        wasm_bindgen_futures::spawn_local(async move {
            match crate::api::fetch_text(&config_url, started).await {
                Ok(text) => with(&me, |p| p.read(&text)),
                Err(why) => with(&me, |p| p.loaded(Err(ConfigError::Unreachable(why)))),
            };
        });
        this
    }

    /// Reads the ruleset `text`. The welcome screen is drawn from its front;
    /// the rest (most of it) is read by [`crate::rest_part`] once the
    /// browser is idle after painting it, or at once if the wizard needs it
    /// first. A problem in the front is shown with every other problem of
    /// the ruleset, which takes the rest's reader too (the loading line
    /// meanwhile; the front's problems alone if it cannot be fetched).
    fn read(&self, text: &str) {
        let me = self.me.clone();
        match crate::api::read_front(text) {
            Ok((front, rest)) => {
                self.state.borrow_mut().rest = Some(rest);
                self.loaded(Ok(front));
                crate::dom::when_idle(move || {
                    wasm_bindgen_futures::spawn_local(finish(me));
                });
            }
            Err(failed) => {
                let (problem, rest) = *failed;
                self.draw();
                wasm_bindgen_futures::spawn_local(async move {
                    let problem = match (crate::rest_part::load().await, problem) {
                        (Ok(finish), ConfigError::Invalid { reason, fallback }) => {
                            ConfigError::Invalid {
                                reason: finish(rest).err().map_or(reason, |all| all.to_string()),
                                fallback,
                            }
                        }
                        (_, problem) => problem,
                    };
                    with(&me, |p| p.loaded(Err(problem)));
                });
            }
        }
    }

    /// Draws the frame into `container`, waiting for the ruleset
    /// ([`Portal::loaded`]).
    pub fn new(container: &Element) -> Rc<Portal> {
        let this = Portal::frame(container);
        this.draw();
        this
    }

    /// The portal's elements in `container`, drawn by [`Portal::draw`].
    fn frame(container: &Element) -> Rc<Portal> {
        let portal = el("div", "fl-portal");
        attr(&portal, "data-testid", "portal");
        let this = Rc::new_cyclic(|me| Portal {
            me: me.clone(),
            opened_at: js_sys::Date::now(),
            bar: el("header", "fl-portal__bar"),
            content: el("div", "fl-portal__content"),
            help: el("p", "fl-help"),
            progress: el("nav", "fl-progress"),
            announcer: el("p", "fl-visually-hidden"),
            body: el("div", "fl-wizard"),
            earlier: el("div", "fl-slot"),
            start: StartHooks {
                intent: Rc::new({
                    let me = me.clone();
                    move || {
                        with(&me, |p| p.fetch_wizard());
                    }
                }),
                start: Rc::new({
                    let me = me.clone();
                    move || {
                        with(&me, |p| p.start());
                    }
                }),
            },
            portal,
            state: RefCell::new(State {
                locale: Locale::negotiate(browser_languages().iter().map(String::as_str)),
                stage: Stage::Welcome,
                rules: None,
                rest: None,
                problem: None,
                wizard: Wizard::Idle,
                prefill: None,
                saved: None,
                frame_listeners: Listeners::default(),
                body_listeners: Listeners::default(),
                popstate: None,
            }),
        });
        attr(&this.help, "data-testid", "help");
        attr(&this.announcer, "role", "status");
        attr(&this.announcer, "aria-live", "polite");
        attr(&this.announcer, "data-testid", "announcer");
        add(&this.portal, &[&this.bar, &this.content]);
        add(container, &[&this.portal]);
        this
    }

    /// The ruleset arrived (or could not be used).
    pub fn loaded(&self, loaded: Result<Ruleset, ConfigError>) {
        match loaded {
            Ok(rules) => {
                self.apply_theme(&rules);
                let saved = storage::load(&journey_key(&rules));
                {
                    let mut s = self.state.borrow_mut();
                    s.rules = Some(Arc::new(rules));
                    if let Some(text) = saved {
                        // A reload: the journey goes on where it was.
                        s.saved = Some((text, false));
                        s.stage = Stage::Product;
                    }
                }
                // In place of the loading line.
                self.content.set_text_content(None);
                add(
                    &self.content,
                    &[&self.help, &self.progress, &self.announcer, &self.body],
                );
                self.listen_to_history();
                let resume = self.state.borrow().saved.is_some();
                if resume || crate::delivery::anything_saved() {
                    // A journey to take up, or requests of an earlier
                    // visit to resume and show: the wizard is needed now.
                    self.fetch_wizard();
                }
            }
            Err(error) => {
                web_sys::console::error_1(&format!("Frontline: {error}").into());
                self.state.borrow_mut().problem = Some(error);
            }
        }
        self.draw();
    }

    /// The rest of a ruleset whose front is drawn ([`Portal::read`]), read
    /// by `finish`: the whole ruleset takes the front's place, or its
    /// problems are shown in place of the portal, as for a ruleset that
    /// could not be read at all. Once; later calls do nothing.
    fn finished(&self, finish: crate::rest_part::Finish) {
        let Some(rest) = self.state.borrow_mut().rest.take() else {
            return;
        };
        match finish(rest) {
            Ok(rules) => self.state.borrow_mut().rules = Some(Arc::new(rules)),
            Err(report) => {
                let fallback = self
                    .state
                    .borrow()
                    .rules
                    .as_ref()
                    .map(|front| front.fallback_contact.clone());
                self.loaded(Err(ConfigError::Invalid {
                    reason: report.to_string(),
                    fallback,
                }));
            }
        }
    }

    /// The partner's brand from the ruleset, as custom properties on the
    /// portal (set through the CSSOM, which a strict CSP allows).
    fn apply_theme(&self, rules: &Ruleset) {
        if let Some(style) = self
            .portal
            .dyn_ref::<web_sys::HtmlElement>()
            .map(|e| e.style())
        {
            for (name, value) in rules.theme.clone().unwrap_or_default().properties() {
                let _ = style.set_property(name, value);
            }
        }
    }

    /// The browser's back and forward buttons walk the journey: each step
    /// the customer takes is a history entry holding it (the wizard pushes
    /// them). One listener for the portal's life.
    fn listen_to_history(&self) {
        let me = self.me.clone();
        let closure = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::PopStateEvent)>::new(
            move |e: web_sys::PopStateEvent| {
                with(&me, |p| p.history(e.state().as_string()));
            },
        );
        if let Some(w) = web_sys::window() {
            let _ =
                w.add_event_listener_with_callback("popstate", closure.as_ref().unchecked_ref());
        }
        self.state.borrow_mut().popstate = Some(closure);
    }

    /// A history entry's journey: the wizard's to show, or, before it is
    /// mounted, a started journey that brings it.
    fn history(&self, state: Option<String>) {
        if let Wizard::Mounted(wizard) = &self.state.borrow().wizard {
            (wizard.history)(state);
            return;
        }
        if let Some(text) = state {
            self.state.borrow_mut().saved = Some((text, true));
            self.start();
        }
    }

    /// Fetches the wizard part unless it is mounted or on its way.
    pub fn fetch_wizard(&self) {
        {
            let mut s = self.state.borrow_mut();
            if !matches!(s.wizard, Wizard::Idle | Wizard::Failed) {
                return;
            }
            s.wizard = Wizard::Loading;
        }
        // The wizard takes the whole ruleset: its reader is fetched
        // meanwhile, unless the idle time after the welcome screen did.
        wasm_bindgen_futures::spawn_local(finish(self.me.clone()));
        let me = self.me.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let loaded = crate::app::load().await;
            finish(me.clone()).await;
            with(&me, |p| p.wizard_arrived(loaded.ok()));
        });
    }

    /// The customer pressed "Start" (or, before the wizard is mounted,
    /// the browser's back or forward button brought a started journey).
    fn start(&self) {
        if let Wizard::Mounted(wizard) = &self.state.borrow().wizard {
            (wizard.start)();
            return;
        }
        self.fetch_wizard();
        {
            let mut s = self.state.borrow_mut();
            if let Some((_, acted)) = &mut s.saved {
                *acted = true;
            }
            s.stage = Stage::Product;
        }
        self.draw_progress();
        self.draw_body();
        self.focus_title();
    }

    fn wizard_arrived(&self, mount: Option<MountWizard>) {
        let mut s = self.state.borrow_mut();
        if !matches!(s.wizard, Wizard::Loading) || s.problem.is_some() {
            return;
        }
        // Without the whole ruleset (its reader could not be fetched) the
        // wizard cannot start: it failed, and trying again fetches both.
        let mount = mount.filter(|_| s.rest.is_none());
        // Past the welcome screen: the customer started, or a journey is
        // being taken up.
        let started = s.stage != Stage::Welcome;
        let (Some(mount), Some(rules)) = (mount, s.rules.clone()) else {
            s.wizard = Wizard::Failed;
            // Told on a focused screen if the customer acted; not over a
            // reloaded page (a portal must not steal focus from the page).
            let acted = !matches!(s.saved, Some((_, false)));
            drop(s);
            if started {
                self.draw_body();
                if acted {
                    self.focus_title();
                }
            }
            return;
        };
        let handover = match (s.saved.take(), started) {
            (Some((text, focus)), _) => Handover::Saved { text, focus },
            (None, true) => Handover::Started,
            (None, false) => Handover::Welcome,
        };
        let link = FrameLink(self.me.clone());
        let (locale, prefill) = (s.locale, s.prefill.clone());
        drop(s);
        let handle = mount(Mount {
            portal: self.portal.clone(),
            rules,
            locale,
            handover,
            prefill,
            frame: link,
            opened_at: self.opened_at,
        });
        self.state.borrow_mut().wizard = Wizard::Mounted(handle);
        // The wait for it goes (the wizard shows the step). The welcome
        // screen stays as it is: drawn again, its "Start" would be a new
        // button under the pointer that brought the wizard, and a press
        // begun on the old one would be lost.
        if started {
            self.draw_body();
        }
    }

    /// "Start over" while the wizard is not there: back to the welcome
    /// screen, forgetting a saved journey it was to take up.
    fn restart(&self) {
        let saved = self.state.borrow_mut().saved.take();
        if let (Some(_), Some(rules)) = (saved, self.state.borrow().rules.as_deref()) {
            storage::remove(&journey_key(rules));
        }
        self.show_stage(Stage::Welcome);
        self.focus_title();
    }

    /// The stage the wizard is at: on the welcome screen the frame shows it.
    fn show_stage(&self, stage: Stage) {
        let changed = {
            let mut s = self.state.borrow_mut();
            std::mem::replace(&mut s.stage, stage) != stage
        };
        if changed {
            self.draw_progress();
            self.draw_body();
        }
    }

    /// Switches the portal's language (`Frontline.setLocale`, the switcher).
    pub fn set_locale(&self, locale: Locale) {
        self.state.borrow_mut().locale = locale;
        self.draw();
        if let Wizard::Mounted(wizard) = &self.state.borrow().wizard {
            (wizard.set_locale)(locale);
        }
    }

    /// `Frontline.prefill`: kept for the wizard, or handed to it.
    pub fn prefill(&self, prefill: Prefill) {
        let s = self.state.borrow();
        if let Wizard::Mounted(wizard) = &s.wizard {
            (wizard.prefill)(prefill);
        } else {
            drop(s);
            self.state.borrow_mut().prefill = Some(prefill);
        }
    }

    /// Removes the portal and everything it registered.
    pub fn remove(&self) {
        let mut s = self.state.borrow_mut();
        let wizard = std::mem::replace(&mut s.wizard, Wizard::Idle);
        s.frame_listeners = Listeners::default();
        s.body_listeners = Listeners::default();
        if let (Some(closure), Some(w)) = (s.popstate.take(), web_sys::window()) {
            let _ =
                w.remove_event_listener_with_callback("popstate", closure.as_ref().unchecked_ref());
        }
        drop(s);
        // Unmounts the wizard, which may still call on the frame meanwhile.
        drop(wizard);
        self.portal.remove();
    }

    /// Draws everything in the language now.
    fn draw(&self) {
        let mut on = Listeners::default();
        let l = self.state.borrow().locale;
        attr(&self.portal, "lang", l.tag());
        let me = self.me.clone();
        let (label, select) = views::language_switcher(l, &mut on, move |locale| {
            with(&me, |p| p.set_locale(locale));
        });
        // A keyboard user who just chose a language stays on the switcher.
        let refocus = self.bar.matches(":focus-within").unwrap_or(false);
        replace(&self.bar, &label);
        if let (true, Some(select)) = (refocus, select.dyn_ref::<web_sys::HtmlElement>()) {
            let _ = select.focus();
        }
        self.state.borrow_mut().frame_listeners = on;
        let s = self.state.borrow();
        if let Some(problem) = &s.problem {
            replace(&self.content, &views::config_problem(l, problem));
        } else if let Some(rules) = &s.rules {
            views::help(l, rules, &self.help);
            attr(&self.progress, "aria-label", l.t(Key::ProgressLabel));
            drop(s);
            self.draw_progress();
            self.draw_body();
        } else {
            replace(&self.content, &views::loading(l));
        }
    }

    fn draw_progress(&self) {
        let s = self.state.borrow();
        replace(&self.progress, &views::progress_items(s.locale, s.stage));
    }

    /// The frame's body: the welcome screen, the wait for the wizard, or
    /// its failure; hidden while the wizard shows a step.
    fn draw_body(&self) {
        let mut on = Listeners::default();
        let s = self.state.borrow();
        let (Some(rules), l) = (&s.rules, s.locale) else {
            return;
        };
        let waiting = s.stage != Stage::Welcome;
        let drawn = match &s.wizard {
            Wizard::Mounted(_) if waiting => None,
            Wizard::Loading | Wizard::Idle if waiting => Some(views::part_loading(l)),
            Wizard::Failed if waiting => {
                let me = self.me.clone();
                let again = self.me.clone();
                Some(views::part_failed(
                    l,
                    Key::StepsFailedTitle,
                    &mut on,
                    move || {
                        with(&me, |p| p.start());
                    },
                    Some(Box::new(move || {
                        with(&again, |p| p.restart());
                    })),
                ))
            }
            _ => Some(views::welcome(
                l,
                rules,
                &mut on,
                &self.start,
                &self.earlier,
            )),
        };
        drop(s);
        match drawn {
            Some(drawn) => {
                replace(&self.body, &drawn);
                let _ = self.body.remove_attribute("hidden");
            }
            None => {
                self.body.set_text_content(None);
                attr(&self.body, "hidden", "");
            }
        }
        // The previous drawing's listeners go with it.
        self.state.borrow_mut().body_listeners = on;
    }

    /// After the customer acts: focus the body's heading and announce it.
    fn focus_title(&self) {
        self.focus_heading(&self.body);
    }

    /// Focuses the step heading inside `root` and has the live region read
    /// it out, so keyboard and screen-reader users follow a new screen.
    fn focus_heading(&self, root: &Element) {
        if let Ok(Some(title)) = root.query_selector(".fl-step__title") {
            self.announcer
                .set_text_content(title.text_content().as_deref());
            if let Some(title) = title.dyn_ref::<web_sys::HtmlElement>() {
                let _ = title.focus();
            }
        }
    }
}

/// Where this tab keeps the journey under `rules` (sessionStorage).
pub fn journey_key(rules: &Ruleset) -> String {
    format!("frontline.journey.{}", rules.id)
}
