//! The portal's views drawn with plain DOM calls: what it shows when it
//! opens (language, help line, progress, the welcome screen, a ruleset
//! that cannot be used) and what the wizard shows too (contact methods,
//! the wait for a part or its failure). Each is a function from what to
//! show to a detached element; `crate::frame` puts them on the page, and
//! the wizard through `crate::app::raw`. Text is always set as text.

use std::rc::Rc;

use chrono::{DateTime, Utc};
use frontline_core::hours::{self, OpenState};
use frontline_core::{Availability, Channel, Ruleset, Zone};
use wasm_bindgen::JsCast;
use web_sys::Element;

use crate::api::ConfigError;
use crate::dom::{add, add_text, attr, el, text_el, Listeners};
use crate::i18n::{Key, Locale};
use crate::wizard::Stage;
use crate::{clock, format};

/// "Open now, until 18:00" / "Closed now. Opens Monday 08:00 (…your time…)".
fn open_words(locale: Locale, state: &OpenState, today: format::Today) -> String {
    match (state.open_now, &state.closes, &state.next_open) {
        (true, Some(closes), _) => locale.format(
            Key::OpenUntil,
            &[("time", &format::moment(locale, closes, today))],
        ),
        (true, None, _) => locale.t(Key::OpenAlways).to_owned(),
        (false, _, Some(opens)) => locale.format(
            Key::ClosedOpens,
            &[("time", &format::moment(locale, opens, today))],
        ),
        (false, _, None) => locale.t(Key::Closed).to_owned(),
    }
}

/// A ruleset text in `l` (the partner's default language when it lacks it).
pub fn text_in(l: Locale, rules: &Ruleset, text: &frontline_core::Text) -> String {
    text.get(l.tag(), &rules.default_language).to_owned()
}

/// The partner's contact methods (those named in `only`, else all), each
/// with whether it is staffed at `now` (in the customer's `zone`).
pub fn contact_methods(
    l: Locale,
    rules: &Ruleset,
    only: &[String],
    now: DateTime<Utc>,
    zone: &Zone,
) -> Element {
    let list = el("ul", "fl-list fl-contacts");
    for m in rules
        .contact_methods
        .iter()
        .filter(|m| only.is_empty() || only.contains(&m.id))
    {
        let item = el("li", "fl-contact");
        attr(&item, "data-testid", &format!("contact-{}", m.id));
        let address = text_el("a", "fl-contact__address", &m.address);
        let href = match m.channel {
            Channel::Email => format!("mailto:{}", m.address),
            Channel::Phone => format!("tel:{}", m.address.replace(' ', "")),
            _ => m.address.clone(),
        };
        attr(&address, "href", &href);
        add(
            &item,
            &[&text_el(
                "span",
                "fl-contact__label",
                &text_in(l, rules, &m.label),
            )],
        );
        add_text(&item, " ");
        add(&item, &[&address]);
        if m.availability != Availability::Always {
            let open = hours::contact_status(rules, &m.id, now, zone).is_some_and(|s| s.open_now);
            add_text(&item, " ");
            add(
                &item,
                &[&text_el(
                    "span",
                    if open {
                        "fl-contact__status fl-contact__status--open"
                    } else {
                        "fl-contact__status"
                    },
                    l.t(if open {
                        Key::ContactOpen
                    } else {
                        Key::ContactClosed
                    }),
                )],
            );
        }
        add(&list, &[&item]);
    }
    list
}

/// What "Start" on the welcome screen does.
pub struct StartHooks {
    /// The customer heads for it (pointer over it, focus on it).
    pub intent: Rc<dyn Fn()>,
    /// The customer pressed it.
    pub start: Rc<dyn Fn()>,
}

/// Screen 1: who the partner is, what it does, whether it is open, how to
/// reach it. Requests of an earlier visit, when there are any, go in
/// `earlier` (after the introduction).
pub fn welcome(
    l: Locale,
    rules: &Ruleset,
    on: &mut Listeners,
    hooks: &StartHooks,
    earlier: &Element,
) -> Element {
    let partner = &rules.partner.name;
    let now = clock::now();
    let zone = clock::customer_zone();
    let today = clock::today(now, &hours::partner_zone(rules), &zone);
    let status = hours::service_status(rules, now, &zone);
    let section = el("section", "fl-step");
    attr(&section, "data-testid", "step-welcome");
    let title = text_el("h1", "fl-step__title", l.t(Key::WelcomeTitle));
    attr(&title, "tabindex", "-1");
    let open = text_el(
        "p",
        if status.open_now {
            "fl-status fl-status--open"
        } else {
            "fl-status"
        },
        &open_words(l, &status, today),
    );
    attr(&open, "data-testid", "open-status");
    let provided = el("ul", "fl-list");
    for t in &rules.partner.support_provided {
        add(&provided, &[&text_el("li", "", &text_in(l, rules, t))]);
    }
    let start = text_el(
        "button",
        "fl-button fl-button--primary",
        l.t(Key::WelcomeStart),
    );
    attr(&start, "data-testid", "start");
    for event in ["pointerenter", "focus"] {
        let intent = hooks.intent.clone();
        on.on(&start, event, move |_| intent());
    }
    let pressed = hooks.start.clone();
    on.on(&start, "click", move |_| pressed());
    add(
        &section,
        &[
            &text_el(
                "p",
                "fl-step__eyebrow",
                &l.format(Key::SupportOf, &[("partner", partner)]),
            ),
            &title,
            &text_el("p", "", l.t(Key::WelcomeIntro)),
            earlier,
            &open,
            &text_el(
                "h2",
                "fl-step__subtitle",
                &l.format(Key::WelcomeProvided, &[("partner", partner)]),
            ),
            &provided,
            &start,
            &text_el("h2", "fl-step__subtitle", l.t(Key::ContactTitle)),
            &contact_methods(l, rules, &[], now, &zone),
        ],
    );
    section
}

/// A status line while something is on its way.
pub fn loading(l: Locale) -> Element {
    let line = text_el("p", "fl-portal__loading", l.t(Key::Loading));
    attr(&line, "role", "status");
    line
}

/// Shown while a part of the portal is on its way.
pub fn part_loading(l: Locale) -> Element {
    let line = loading(l);
    attr(&line, "data-testid", "part-loading");
    line
}

/// Shown when a part could not be loaded: what happened, that nothing is
/// lost, and a way to try again (and, when given, to start over).
pub fn part_failed(
    l: Locale,
    title: Key,
    on: &mut Listeners,
    retry: impl Fn() + 'static,
    restart: Option<Box<dyn Fn()>>,
) -> Element {
    let section = el("section", "fl-step");
    attr(&section, "data-testid", "step-part-failed");
    let heading = text_el("h1", "fl-step__title", l.t(title));
    attr(&heading, "tabindex", "-1");
    let again = text_el(
        "button",
        "fl-button fl-button--primary",
        l.t(Key::FailedRetry),
    );
    attr(&again, "data-testid", "part-retry");
    on.on(&again, "click", move |_| retry());
    add(
        &section,
        &[
            &heading,
            &text_el("p", "", l.t(Key::PartFailedBody)),
            &again,
        ],
    );
    let Some(restart) = restart else {
        return section;
    };
    let wrapper = el("div", "");
    let nav = el("div", "fl-nav");
    let over = text_el("button", "fl-button fl-button--link", l.t(Key::StartOver));
    attr(&over, "data-testid", "restart");
    on.on(&over, "click", move |_| restart());
    add(&nav, &[&over]);
    add(&wrapper, &[&section, &nav]);
    wrapper
}

/// The progress indicator: where the customer is among the stages.
pub fn progress_items(l: Locale, current: Stage) -> Element {
    let list = el("ol", "fl-progress__list");
    for s in Stage::ALL {
        let item = text_el(
            "li",
            match s.cmp(&current) {
                std::cmp::Ordering::Less => "fl-progress__item fl-progress__item--done",
                std::cmp::Ordering::Equal => "fl-progress__item fl-progress__item--current",
                std::cmp::Ordering::Greater => "fl-progress__item",
            },
            l.t(stage_key(s)),
        );
        if s == current {
            attr(&item, "aria-current", "step");
        }
        add(&list, &[&item]);
    }
    list
}

fn stage_key(s: Stage) -> Key {
    match s {
        Stage::Welcome => Key::StageWelcome,
        Stage::Product => Key::StageProduct,
        Stage::Problem => Key::StageProblem,
        Stage::Diagnosis => Key::StageDiagnosis,
        Stage::Answer => Key::StageAnswer,
        Stage::Request => Key::StageRequest,
        Stage::Sent => Key::StageSent,
    }
}

/// Shown when the ruleset cannot be used: a friendly panel for the customer
/// (with the partner's fallback contact when the file names one); the exact
/// reason goes to the console, for the partner.
pub fn config_problem(l: Locale, error: &ConfigError) -> Element {
    let panel = el("section", "fl-panel fl-panel--problem");
    attr(&panel, "role", "alert");
    attr(&panel, "data-testid", "config-problem");
    add(
        &panel,
        &[
            &text_el("h1", "fl-panel__title", l.t(Key::ConfigProblemTitle)),
            &text_el("p", "", l.t(Key::ConfigProblemBody)),
        ],
    );
    if let ConfigError::Invalid {
        fallback: Some(c), ..
    } = error
    {
        let list = el("ul", "fl-list");
        let link = |href: String, text: &str| {
            let item = el("li", "");
            let a = text_el("a", "", text);
            attr(&a, "href", &href);
            add(&item, &[&a]);
            item
        };
        add(&list, &[&link(format!("mailto:{}", c.email), &c.email)]);
        if let Some(p) = &c.phone {
            add(&list, &[&link(format!("tel:{}", p.replace(' ', "")), p)]);
        }
        add(
            &panel,
            &[
                &text_el(
                    "p",
                    "",
                    &l.format(Key::ConfigProblemContact, &[("name", &c.name)]),
                ),
                &list,
            ],
        );
    }
    panel
}

/// The language switcher, each language named in its own words.
pub fn language_switcher(
    l: Locale,
    on: &mut Listeners,
    chosen: impl Fn(Locale) + 'static,
) -> (Element, Element) {
    let label = el("label", "fl-language");
    let select = el("select", "fl-language__select");
    attr(&select, "data-testid", "language");
    for option in Locale::all() {
        let item = text_el("option", "", option.t(Key::LanguageName));
        attr(&item, "value", option.tag());
        if option == l {
            attr(&item, "selected", "");
        }
        add(&select, &[&item]);
    }
    let read = select.clone();
    on.on(&select, "change", move |_| {
        let tag = read.unchecked_ref::<web_sys::HtmlSelectElement>().value();
        if let Some(locale) = Locale::from_tag(&tag) {
            chosen(locale);
        }
    });
    add(
        &label,
        &[
            &text_el("span", "fl-language__label", l.t(Key::LanguageLabel)),
            &select,
        ],
    );
    (label, select)
}

/// Whom to write to for a person, on every screen in the same place (WCAG
/// 2.2 SC 3.2.6, consistent help): the partner's fallback contact, into
/// `line`.
pub fn help(l: Locale, rules: &Ruleset, line: &Element) {
    let email = &rules.fallback_contact.email;
    line.set_text_content(Some(&format!(
        "{} ",
        l.format(Key::HelpContact, &[("partner", &rules.partner.name)])
    )));
    let mail = text_el("a", "", email);
    attr(&mail, "href", &format!("mailto:{email}"));
    add(line, &[&mail]);
}
