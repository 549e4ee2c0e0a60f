//! The customer's wizard. Each screen reads like what the customer sees.

use frontline_core::{Product, Ruleset};
use leptos::prelude::*;

use crate::api::{fetch_ruleset, ConfigError};

/// The portal: loads the partner's ruleset, then shows the wizard.
#[component]
pub fn App(
    /// Where the partner's ruleset is published.
    #[prop(into)]
    config_url: String,
) -> impl IntoView {
    let ruleset = LocalResource::new(move || {
        let url = config_url.clone();
        async move { fetch_ruleset(&url).await }
    });
    view! {
        <div class="fl-portal" data-testid="portal">
            {move || match ruleset.get() {
                None => view! { <p class="fl-portal__loading" role="status">"Loading…"</p> }.into_any(),
                Some(Ok(ruleset)) => view! { <Wizard ruleset /> }.into_any(),
                Some(Err(error)) => view! { <ConfigProblem error /> }.into_any(),
            }}
        </div>
    }
}

/// Shown when the ruleset cannot be used: a friendly panel for the customer,
/// the exact reason for the partner in the console.
#[component]
pub fn ConfigProblem(error: ConfigError) -> impl IntoView {
    web_sys::console::error_1(&format!("Frontline: {error}").into());
    view! {
        <section class="fl-panel fl-panel--problem" role="alert" data-testid="config-problem">
            <h1 class="fl-panel__title">"Support is temporarily unavailable"</h1>
            <p>"We could not load this support portal. Please try again in a few minutes."</p>
        </section>
    }
}

/// The wizard over a loaded ruleset.
#[component]
pub fn Wizard(ruleset: Ruleset) -> impl IntoView {
    let locale = ruleset.default_language.clone();
    let (chosen, set_chosen) = signal(None::<Product>);
    let partner = ruleset.partner.name.clone();
    let products = ruleset.products.clone();
    view! {
        {move || match chosen.get() {
            None => view! {
                <ProductChoice
                    partner=partner.clone()
                    products=products.clone()
                    locale=locale.clone()
                    on_choose=move |p| set_chosen.set(Some(p))
                />
            }.into_any(),
            Some(product) => view! {
                <section class="fl-step" data-testid="step-kind">
                    <h1 class="fl-step__title">{product.name.get(&locale, &locale).to_owned()}</h1>
                    <p>"What kind of problem do you have?"</p>
                    <button class="fl-button fl-button--secondary" on:click=move |_| set_chosen.set(None)>"Back"</button>
                </section>
            }.into_any(),
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
    /// Language of the texts.
    locale: String,
    /// Called with the product the customer picked.
    on_choose: impl Fn(Product) + Clone + 'static,
) -> impl IntoView {
    view! {
        <section class="fl-step" data-testid="step-product">
            <p class="fl-step__eyebrow">{partner}" support"</p>
            <h1 class="fl-step__title">"Which product do you need help with?"</h1>
            <ul class="fl-choices">
                {products
                    .into_iter()
                    .map(|product| {
                        let on_choose = on_choose.clone();
                        let label = product.name.get(&locale, &locale).to_owned();
                        let id = product.id.clone();
                        view! {
                            <li>
                                <button
                                    class="fl-choice"
                                    data-testid=format!("product-{id}")
                                    on:click=move |_| on_choose(product.clone())
                                >
                                    {label}
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
