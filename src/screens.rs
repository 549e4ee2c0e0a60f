//! The wizard's screens. Each reads like what the customer sees; what to show
//! comes from the ruleset and the rules core, never from code.

use frontline_core::eval::{CONTINUE, FIXED, STILL_BROKEN};
use frontline_core::hours;
use frontline_core::{price_for, EvalError, Handler, Node, Outcome, PriceModel};
use leptos::prelude::*;

use crate::app::{text_of, use_locale, use_rules};
use crate::clock;
use crate::format;
use crate::i18n::Key;
use crate::wizard::Journey;

pub(crate) fn use_journey() -> RwSignal<Journey> {
    use_context::<RwSignal<Journey>>().expect("screens are mounted inside <Wizard>")
}

/// Screen 2a: the product.
#[component]
pub fn ProductChoice(
    /// Product ids offered, in order.
    products: Vec<String>,
) -> impl IntoView {
    let rules = use_rules();
    let l = use_locale().get_untracked();
    let journey = use_journey();
    let choices = products
        .into_iter()
        .filter_map(|id| rules.product(&id).cloned())
        .map(|p| {
            let name = text_of(&p.name);
            let id = p.id.clone();
            view! {
                <li>
                    <button class="fl-choice" data-testid=format!("product-{id}")
                        on:click=move |_| journey.update(|j| j.choose_product(&p.id))>
                        {name}
                    </button>
                </li>
            }
        })
        .collect_view();
    let partner = rules.partner.name.clone();
    view! {
        <section class="fl-step" data-testid="step-product">
            <p class="fl-step__eyebrow">{l.format(Key::SupportOf, &[("partner", &partner)])}</p>
            <h1 class="fl-step__title" tabindex="-1">{l.t(Key::ChooseProductTitle)}</h1>
            <ul class="fl-choices">{choices}</ul>
        </section>
    }
}

/// Screen 2b: the kind of problem, for the chosen product.
#[component]
pub fn KindChoice(
    /// The chosen product.
    product: String,
    /// Kind ids offered for it.
    kinds: Vec<String>,
) -> impl IntoView {
    let rules = use_rules();
    let l = use_locale().get_untracked();
    let journey = use_journey();
    let product_name = rules.product(&product).map(|p| text_of(&p.name));
    let choices = kinds
        .into_iter()
        .filter_map(|id| rules.kind(&id).cloned())
        .map(|k| {
            let name = text_of(&k.name);
            let description = text_of(&k.description);
            let id = k.id.clone();
            view! {
                <li>
                    <button class="fl-choice" data-testid=format!("kind-{id}")
                        on:click=move |_| journey.update(|j| j.choose_kind(&k.id))>
                        <span class="fl-choice__title">{name}</span>
                        <span class="fl-choice__hint">{description}</span>
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="fl-step" data-testid="step-kind">
            <p class="fl-step__eyebrow">{product_name}</p>
            <h1 class="fl-step__title" tabindex="-1">{l.t(Key::ChooseKindTitle)}</h1>
            <ul class="fl-choices">{choices}</ul>
        </section>
    }
}

/// Screen 3: one question, self-help step or piece of information.
#[component]
pub fn NodeView(
    /// The node to show.
    node: String,
) -> impl IntoView {
    let rules = use_rules();
    let l = use_locale().get_untracked();
    let journey = use_journey();
    let t = move |key| l.t(key);
    match rules.node(&node).cloned() {
        Some(Node::Question(q)) => {
            let answers = q
                .answers
                .iter()
                .map(|a| {
                    let (node, answer) = (q.id.clone(), a.id.clone());
                    view! {
                        <li>
                            <button class="fl-choice" data-testid=format!("answer-{}", a.id)
                                on:click=move |_| journey.update(|j| j.answer(&node, &answer, &clock::stamp()))>
                                {text_of(&a.label)}
                            </button>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <section class="fl-step" data-testid="step-question" data-node=q.id.clone()>
                    <h1 class="fl-step__title" tabindex="-1">{text_of(&q.text)}</h1>
                    {q.help.as_ref().map(|h| view! { <p class="fl-step__help">{text_of(h)}</p> })}
                    <ul class="fl-choices">{answers}</ul>
                </section>
            }
            .into_any()
        }
        Some(Node::Step(s)) => {
            let (fixed, broken) = (s.id.clone(), s.id.clone());
            view! {
                <section class="fl-step" data-testid="step-selfhelp" data-node=s.id.clone()>
                    <h1 class="fl-step__title" tabindex="-1">{text_of(&s.title)}</h1>
                    <p class="fl-step__text">{text_of(&s.text)}</p>
                    {s.link.as_ref().map(|l| view! {
                        <p>
                            <a class="fl-link" href=l.url.clone() target="_blank" rel="noopener noreferrer">
                                {text_of(&l.label)}" "<span class="fl-link__hint">{t(Key::OpensNewTab)}</span>
                            </a>
                        </p>
                    })}
                    <div class="fl-actions">
                        <button class="fl-button fl-button--primary" data-testid="fixed"
                            on:click=move |_| journey.update(|j| j.answer(&fixed, FIXED, &clock::stamp()))>{t(Key::StepFixed)}</button>
                        <button class="fl-button fl-button--secondary" data-testid="still-broken"
                            on:click=move |_| journey.update(|j| j.answer(&broken, STILL_BROKEN, &clock::stamp()))>{t(Key::StepStillBroken)}</button>
                    </div>
                </section>
            }
            .into_any()
        }
        Some(Node::Info(i)) => {
            let id = i.id.clone();
            view! {
                <section class="fl-step" data-testid="step-info" data-node=i.id.clone()>
                    <h1 class="fl-step__title" tabindex="-1">{text_of(&i.title)}</h1>
                    <p class="fl-step__text">{text_of(&i.text)}</p>
                    <button class="fl-button fl-button--primary" data-testid="continue"
                        on:click=move |_| journey.update(|j| j.answer(&id, CONTINUE, &clock::stamp()))>{t(Key::Continue)}</button>
                </section>
            }
            .into_any()
        }
        // The core never asks an end node or an unknown one; say so rather than show nothing.
        _ => view! {
            <Broken error=EvalError { at: "node".into(), message: format!("cannot show node \"{node}\"") } />
        }
        .into_any(),
    }
}

/// The "resolved" thank-you: self-help fixed it.
#[component]
pub fn Resolved(
    /// The self-help step that fixed it.
    node: String,
) -> impl IntoView {
    let l = use_locale().get_untracked();
    view! {
        <section class="fl-step fl-step--success" data-testid="step-resolved" data-node=node>
            <h1 class="fl-step__title" tabindex="-1">{l.t(Key::ResolvedTitle)}</h1>
            <p>{l.t(Key::ResolvedBody)}</p>
        </section>
    }
}

/// Shown when the saved journey does not fit the ruleset any more.
#[component]
pub fn Broken(error: EvalError) -> impl IntoView {
    let l = use_locale().get_untracked();
    web_sys::console::warn_1(
        &format!("Frontline: journey does not fit the ruleset: {error}").into(),
    );
    view! {
        <section class="fl-step" data-testid="step-broken">
            <h1 class="fl-step__title" tabindex="-1">{l.t(Key::BrokenTitle)}</h1>
            <p>{l.t(Key::BrokenBody)}</p>
        </section>
    }
}

/// Screen 4: who handles it and why, when the customer will hear back, how to
/// reach the partner and what it costs — before anything is sent.
#[component]
pub fn OutcomeView(outcome: Outcome) -> impl IntoView {
    let journey = use_journey();
    let rules = use_rules();
    let l = use_locale().get_untracked();
    let partner = rules.partner.name.clone();
    let vehicle = outcome
        .vehicle
        .as_deref()
        .and_then(|v| rules.vehicle(v))
        .map(|v| v.name.clone());
    let vehicle_name = vehicle.as_ref().map(text_of);
    let handler_key = match outcome.handler {
        Handler::Partner => Key::HandlerPartner,
        Handler::VendorCommercial => Key::HandlerVendorCommercial,
        Handler::VendorTechnical => Key::HandlerVendorTechnical,
        Handler::Publisher => Key::HandlerPublisher,
        Handler::IndirectProvider => Key::HandlerIndirectProvider,
        Handler::OutOfScope => Key::HandlerOutOfScope,
    };
    let headline = l.format(
        handler_key,
        &[
            ("partner", &partner),
            ("vehicle", &vehicle_name.unwrap_or_default()),
        ],
    );
    let summary = match rules.node(&outcome.end) {
        Some(Node::End(end)) => Some(text_of(&end.summary)),
        _ => None,
    };
    let works_on_it = outcome.handler.partner_works_on_it();
    let (rules_for_contacts, only) = (rules.clone(), outcome.contact_methods.clone());

    // First response for each severity the customer may choose.
    let now = clock::now();
    let zone = clock::customer_zone();
    let today = clock::today(now, &hours::partner_zone(&rules), &zone);
    let responses = outcome
        .severities
        .iter()
        .filter_map(|id| {
            let severity = rules.severity(id)?;
            let deadline = hours::first_response(&rules, outcome.handler, id, now, &zone).ok()?;
            let name = text_of(&severity.name);
            let definition = text_of(&severity.definition);
            let clock_key = match deadline.clock {
                hours::Clock::BusinessHours => Key::OutcomeResponseClockBusiness,
                hours::Clock::RoundTheClock => Key::OutcomeResponseClock247,
            };
            Some(view! {
                <li class="fl-response" data-testid=format!("response-{id}")>
                    <strong>{l.format(Key::OutcomeResponseItem, &[
                        ("severity", &name),
                        ("when", &format::moment(l, &deadline.due, today)),
                    ])}</strong>
                    " ("{l.t(clock_key)}")"
                    <br /><span class="fl-response__definition">{definition}</span>
                </li>
            })
        })
        .collect_view();

    // What each severity the customer may choose costs.
    let prices = outcome
        .severities
        .iter()
        .filter_map(|id| Some((rules.severity(id)?, price_for(&rules, &outcome.kind, id)?)))
        .map(|(severity, price)| {
            let amount = price.item.amount_minor.zip(price.currency).map(|(a, c)| format::money(l, a, c));
            let words = match (price.item.model, amount) {
                (PriceModel::PerIncident, Some(amount)) => l.format(Key::PricePerIncident, &[("amount", &amount)]),
                (PriceModel::Monthly, Some(amount)) => l.format(Key::PriceMonthly, &[("amount", &amount)]),
                _ => l.t(Key::PriceIncluded).to_owned(),
            };
            let charged = price.item.model == PriceModel::PerIncident;
            view! {
                <li class="fl-price" class:fl-price--charged=charged data-testid=format!("price-{}", severity.id)>
                    <strong>{text_of(&severity.name)}": "{words}</strong>
                    <br /><span class="fl-price__note">{text_of(&price.item.note)}</span>
                </li>
            }
        })
        .collect_view();

    let contact = outcome.contact.clone().map(|c| view! {
        <h2 class="fl-step__subtitle">{l.t(Key::OutcomeContact)}</h2>
        <ul class="fl-list" data-testid="outcome-contact">
            <li>{c.name.clone()}</li>
            {c.url.clone().map(|u| view! { <li><a href=u.clone() target="_blank" rel="noopener noreferrer">{u.clone()}</a></li> })}
            {c.email.clone().map(|e| view! { <li><a href=format!("mailto:{e}")>{e.clone()}</a></li> })}
            {c.phone.clone().map(|p| view! { <li>{p}</li> })}
        </ul>
    });

    let trace = outcome
        .trace
        .iter()
        .filter_map(|entry| entry.text.as_ref().map(|t| (text_of(t), entry.source.clone())))
        .map(|(text, source)| view! {
            <li>{text}{source.map(|s| view! { " "<cite class="fl-trace__source">{s}</cite> })}</li>
        })
        .collect_view();

    view! {
        <section class="fl-step" data-testid="step-outcome" data-handler=outcome.handler.as_str()>
            <p class="fl-step__eyebrow">{l.t(Key::OutcomeTitle)}</p>
            <h1 class="fl-step__title" tabindex="-1" data-testid="outcome-headline">{headline}</h1>
            {summary.map(|s| view! {
                <h2 class="fl-step__subtitle">{l.t(Key::OutcomeFound)}</h2>
                <p data-testid="outcome-summary">{s}</p>
            })}
            <h2 class="fl-step__subtitle">{l.t(Key::OutcomeWhy)}</h2>
            <p data-testid="outcome-rationale">{text_of(&outcome.explanation(&rules))}</p>
            {contact}
            {works_on_it.then(|| view! {
                <h2 class="fl-step__subtitle">{l.t(Key::OutcomeResponseTitle)}</h2>
                <ul class="fl-list" data-testid="outcome-responses">{responses}</ul>
                <h2 class="fl-step__subtitle">{l.t(Key::OutcomePriceTitle)}</h2>
                <ul class="fl-list" data-testid="outcome-prices">{prices}</ul>
                <h2 class="fl-step__subtitle">{l.t(Key::OutcomeHowToReach)}</h2>
                {crate::app::raw(move |_| crate::views::contact_methods(l, &rules_for_contacts, &only, now, &zone))}
                <div class="fl-actions">
                    <button class="fl-button fl-button--primary" data-testid="outcome-next"
                        on:click=move |_| journey.update(Journey::write_request)>{l.t(Key::OutcomeNext)}</button>
                </div>
            })}
            <details class="fl-trace">
                <summary>{l.t(Key::OutcomeTraceTitle)}</summary>
                <ol class="fl-trace__list">{trace}</ol>
            </details>
        </section>
    }
}
