//! The customer's wizard. Each screen reads like what the customer sees.

use frontline_core::{Product, Ruleset};
use leptos::prelude::*;

use crate::api::{fetch_ruleset, ConfigError};
use crate::i18n::{Key, Locale};

/// The customer's UI language, shared with every screen.
#[derive(Clone, Copy)]
pub struct UiLocale(pub RwSignal<Locale>);

/// The UI language in context, or the source language outside the portal.
pub fn use_locale() -> RwSignal<Locale> {
    use_context::<UiLocale>()
        .map(|l| l.0)
        .unwrap_or_else(|| RwSignal::new(Locale::SOURCE))
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
    let ruleset = LocalResource::new(move || {
        let url = config_url.clone();
        async move { fetch_ruleset(&url).await }
    });
    view! {
        <div class="fl-portal" data-testid="portal" lang=move || locale.get().tag()>
            <header class="fl-portal__bar">
                <LanguageSwitcher />
            </header>
            {move || match ruleset.get() {
                None => view! {
                    <p class="fl-portal__loading" role="status">{move || locale.get().t(Key::Loading)}</p>
                }.into_any(),
                Some(Ok(ruleset)) => view! { <Wizard ruleset /> }.into_any(),
                Some(Err(error)) => view! { <ConfigProblem error /> }.into_any(),
            }}
        </div>
    }
}

/// A visible language choice, named in each language's own words.
#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let locale = use_locale();
    view! {
        <label class="fl-language">
            <span class="fl-language__label">{move || locale.get().t(Key::LanguageLabel)}</span>
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
                    .map(|l| view! {
                        <option value=l.tag() selected=move || locale.get() == l>{l.t(Key::LanguageName)}</option>
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// Shown when the ruleset cannot be used: a friendly panel for the customer,
/// the exact reason for the partner in the console.
#[component]
pub fn ConfigProblem(error: ConfigError) -> impl IntoView {
    let locale = use_locale();
    web_sys::console::error_1(&format!("Frontline: {error}").into());
    view! {
        <section class="fl-panel fl-panel--problem" role="alert" data-testid="config-problem">
            <h1 class="fl-panel__title">{move || locale.get().t(Key::ConfigProblemTitle)}</h1>
            <p>{move || locale.get().t(Key::ConfigProblemBody)}</p>
        </section>
    }
}

/// The wizard over a loaded ruleset.
#[component]
pub fn Wizard(ruleset: Ruleset) -> impl IntoView {
    let locale = use_locale();
    let fallback = ruleset.default_language.clone();
    let (chosen, set_chosen) = signal(None::<Product>);
    let partner = ruleset.partner.name.clone();
    let products = ruleset.products.clone();
    view! {
        {move || match chosen.get() {
            None => view! {
                <ProductChoice
                    partner=partner.clone()
                    products=products.clone()
                    fallback=fallback.clone()
                    on_choose=move |p| set_chosen.set(Some(p))
                />
            }.into_any(),
            Some(product) => {
                let fallback = fallback.clone();
                view! {
                    <section class="fl-step" data-testid="step-kind">
                        <p class="fl-step__eyebrow">{move || product.name.get(locale.get().tag(), &fallback).to_owned()}</p>
                        <h1 class="fl-step__title">{move || locale.get().t(Key::ChooseKindTitle)}</h1>
                        <button class="fl-button fl-button--secondary" on:click=move |_| set_chosen.set(None)>
                            {move || locale.get().t(Key::Back)}
                        </button>
                    </section>
                }.into_any()
            }
        }}
    }
}

/// First screen: the partner's name and the product choice.
#[component]
pub fn ProductChoice(
    /// The partner's name.
    partner: String,
    /// Products to choose from.
    products: Vec<Product>,
    /// Ruleset language used when a text lacks the customer's.
    fallback: String,
    /// Called with the product the customer picked.
    on_choose: impl Fn(Product) + Clone + 'static,
) -> impl IntoView {
    let locale = use_locale();
    view! {
        <section class="fl-step" data-testid="step-product">
            <p class="fl-step__eyebrow">{move || locale.get().format(Key::SupportOf, &[("partner", &partner)])}</p>
            <h1 class="fl-step__title">{move || locale.get().t(Key::ChooseProductTitle)}</h1>
            <ul class="fl-choices">
                {products
                    .into_iter()
                    .map(|product| {
                        let on_choose = on_choose.clone();
                        let fallback = fallback.clone();
                        let name = product.name.clone();
                        let id = product.id.clone();
                        view! {
                            <li>
                                <button
                                    class="fl-choice"
                                    data-testid=format!("product-{id}")
                                    on:click=move |_| on_choose(product.clone())
                                >
                                    {move || name.get(locale.get().tag(), &fallback).to_owned()}
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
