//! Component tests: mount real components in headless Chromium and assert on
//! their DOM. Run by `make test` through wasm-bindgen-test-runner.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use frontline::app::{LanguageSwitcher, ProductChoice, UiLocale, Wizard};
use frontline::i18n::{Key, Locale};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const RULESET: &str = include_str!("../public/rules/default.json");

/// A fresh container attached to the test page.
fn container() -> web_sys::HtmlElement {
    let doc = document();
    let el = doc
        .create_element("div")
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>();
    doc.body().unwrap().append_child(&el).unwrap();
    el
}

fn texts(root: &web_sys::HtmlElement, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|n| n.text_content().unwrap_or_default().trim().to_owned())
        .collect()
}

fn click(root: &web_sys::HtmlElement, selector: &str) {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
}

#[wasm_bindgen_test]
fn product_choice_lists_every_product_and_reports_the_one_clicked() {
    let ruleset = frontline_core::load(RULESET).unwrap();
    let root = container();
    let chosen = Rc::new(RefCell::new(None::<String>));
    let sink = chosen.clone();
    let products = ruleset.products.clone();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        let sink = sink.clone();
        view! {
            <ProductChoice
                partner="Northwind".to_owned()
                products=products.clone()
                fallback="en".to_owned()
                on_choose=move |p| *sink.borrow_mut() = Some(p.id)
            />
        }
    });

    let expected: Vec<String> = ruleset
        .products
        .iter()
        .map(|p| p.name.get("en", "en").to_owned())
        .collect();
    assert_eq!(texts(&root, "button.fl-choice"), expected);
    assert!(texts(&root, ".fl-step__eyebrow")[0].contains("Northwind"));

    let last = ruleset.products.last().unwrap();
    click(&root, &format!("[data-testid=product-{}]", last.id));
    assert_eq!(chosen.borrow().as_deref(), Some(last.id.as_str()));
}

#[wasm_bindgen_test]
async fn wizard_moves_from_product_to_kind_of_problem_and_back() {
    let ruleset = frontline_core::load(RULESET).unwrap();
    let first = ruleset.products[0].clone();
    let root = container();
    let _mounted = leptos::mount::mount_to(
        root.clone(),
        move || view! { <Wizard ruleset=ruleset.clone() /> },
    );

    assert!(root
        .query_selector("[data-testid=step-product]")
        .unwrap()
        .is_some());
    click(&root, &format!("[data-testid=product-{}]", first.id));
    leptos::task::tick().await;
    assert!(root
        .query_selector("[data-testid=step-product]")
        .unwrap()
        .is_none());
    assert_eq!(
        texts(&root, "[data-testid=step-kind] .fl-step__eyebrow"),
        vec![first.name.get("en", "en").to_owned()]
    );

    click(&root, "[data-testid=step-kind] button");
    leptos::task::tick().await;
    assert!(root
        .query_selector("[data-testid=step-product]")
        .unwrap()
        .is_some());
}

#[wasm_bindgen_test]
async fn the_language_switcher_retranslates_the_screen() {
    let ruleset = frontline_core::load(RULESET).unwrap();
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        provide_context(UiLocale(RwSignal::new(Locale::SOURCE)));
        view! { <LanguageSwitcher /> <Wizard ruleset=ruleset.clone() /> }
    });
    let title = || texts(&root, "[data-testid=step-product] h1");
    assert_eq!(title(), vec![Locale::SOURCE.t(Key::ChooseProductTitle)]);

    let select = root
        .query_selector("[data-testid=language]")
        .unwrap()
        .unwrap()
        .unchecked_into::<web_sys::HtmlSelectElement>();
    select.set_value("fr");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    leptos::task::tick().await;
    let fr = Locale::from_tag("fr").unwrap();
    assert_eq!(title(), vec![fr.t(Key::ChooseProductTitle)]);
}
