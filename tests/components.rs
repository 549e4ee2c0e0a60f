//! Component tests: mount real components in headless Chromium and assert on
//! their DOM. Run by `make test` through wasm-bindgen-test-runner.
#![cfg(target_arch = "wasm32")]

use frontline::frame::Portal;
use frontline::i18n::{Key, Locale};
use frontline::views::progress_items;
use frontline::wizard::Stage;
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

fn exists(root: &web_sys::HtmlElement, selector: &str) -> bool {
    root.query_selector(selector).unwrap().is_some()
}

fn click(root: &web_sys::HtmlElement, selector: &str) {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
}

/// Lets the page run its pending work (a macrotask: promises, effects).
async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window().set_timeout_with_callback(&resolve).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Waits until `selector` is on the page: a step after the welcome screen
/// first loads the wizard (at once here, a few ticks of the task queue).
async fn appears(root: &web_sys::HtmlElement, selector: &str) {
    for _ in 0..20 {
        if exists(root, selector) {
            return;
        }
        tick().await;
    }
    panic!("{selector} did not appear");
}

/// Removes the portal when the test ends.
struct Mounted(std::rc::Rc<Portal>);

impl Drop for Mounted {
    fn drop(&mut self) {
        self.0.remove();
    }
}

/// The portal over the default ruleset, in the source language.
fn mount_portal(root: &web_sys::HtmlElement) -> Mounted {
    // Tests share one page: start each from a clean session, as a new tab would.
    window()
        .session_storage()
        .unwrap()
        .unwrap()
        .clear()
        .unwrap();
    let portal = Portal::new(root);
    portal.set_locale(Locale::SOURCE);
    portal.loaded(Ok(frontline_core::parse(RULESET).unwrap()));
    Mounted(portal)
}

#[wasm_bindgen_test]
async fn the_wizard_lists_every_product_then_the_kinds_of_the_one_chosen() {
    let rules = frontline_core::parse(RULESET).unwrap();
    let root = container();
    let _mounted = mount_portal(&root);

    assert!(exists(&root, "[data-testid=step-welcome]"));
    assert!(texts(&root, "[data-testid=step-welcome]")[0].contains(&rules.partner.name));
    click(&root, "[data-testid=start]");
    appears(&root, "[data-testid=step-product]").await;

    let names: Vec<String> = rules
        .products
        .iter()
        .map(|p| p.name.get("en", "en").to_owned())
        .collect();
    assert_eq!(
        texts(&root, "[data-testid=step-product] button.fl-choice"),
        names
    );

    let azure = rules.product("azure").unwrap();
    click(&root, "[data-testid=product-azure]");
    tick().await;
    let kinds: Vec<String> = azure
        .kinds
        .iter()
        .map(|k| rules.kind(&k.kind).unwrap().name.get("en", "en").to_owned())
        .collect();
    assert_eq!(
        texts(&root, "[data-testid=step-kind] .fl-choice__title"),
        kinds
    );

    click(&root, "[data-testid=back]");
    tick().await;
    assert!(exists(&root, "[data-testid=step-product]"));
}

#[wasm_bindgen_test]
async fn the_language_switcher_retranslates_the_screen_and_keeps_the_journey() {
    let root = container();
    let _mounted = mount_portal(&root);
    click(&root, "[data-testid=start]");
    appears(&root, "[data-testid=step-product]").await;
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
    tick().await;
    let fr = Locale::from_tag("fr").unwrap();
    assert_eq!(
        title(),
        vec![fr.t(Key::ChooseProductTitle)],
        "still on the product step, in French"
    );
}

#[wasm_bindgen_test]
fn the_progress_indicator_marks_done_current_and_upcoming_stages() {
    let root = container();
    root.append_child(&progress_items(Locale::SOURCE, Stage::Problem))
        .unwrap();
    assert_eq!(texts(&root, "[aria-current=step]"), vec!["Problem"]);
    assert_eq!(
        texts(&root, ".fl-progress__item--done"),
        vec!["Welcome", "Product"]
    );
    assert_eq!(
        root.query_selector_all(".fl-progress__item")
            .unwrap()
            .length(),
        Stage::ALL.len() as u32
    );
}
