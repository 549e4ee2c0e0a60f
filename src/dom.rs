//! A few plain DOM calls, for what the portal draws before Leptos is
//! loaded (see `crate::frame`). Text is always set as text, never as HTML.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, EventTarget};

thread_local! {
    /// The page's document, looked up once: each lookup is two calls into
    /// JavaScript and a type check, and a screen makes dozens of elements.
    static DOCUMENT: web_sys::Document = web_sys::window()
        .and_then(|w| w.document())
        .expect("the portal runs in a page");
}

/// `<tag class="class">` (no class when empty).
pub fn el(tag: &str, class: &str) -> Element {
    let e = DOCUMENT
        .with(|d| d.create_element(tag))
        .expect("a valid tag name");
    if !class.is_empty() {
        e.set_class_name(class);
    }
    e
}

/// `<tag class="class">text</tag>`, the text as text.
pub fn text_el(tag: &str, class: &str, text: &str) -> Element {
    let e = el(tag, class);
    e.set_text_content(Some(text));
    e
}

/// Sets an attribute.
pub fn attr(e: &Element, name: &str, value: &str) {
    let _ = e.set_attribute(name, value);
}

/// Appends `children`, in order.
pub fn add(parent: &Element, children: &[&Element]) {
    for child in children {
        let _ = parent.append_child(child);
    }
}

/// Appends a text node.
pub fn add_text(parent: &Element, text: &str) {
    let _ = parent.append_child(&DOCUMENT.with(|d| d.create_text_node(text)));
}

/// Replaces everything inside `parent` with `child`.
pub fn replace(parent: &Element, child: &Element) {
    parent.set_text_content(None);
    let _ = parent.append_child(child);
}

/// One listener: where, on what, and the Rust closure JavaScript calls.
type Listener = (EventTarget, &'static str, Closure<dyn FnMut(Event)>);

/// Event listeners, removed together when dropped: the listeners of one
/// drawing, dropped when it is drawn again or the portal is removed.
#[derive(Default)]
pub struct Listeners(Vec<Listener>);

impl Listeners {
    /// Calls `f` on each `event` at `target`.
    pub fn on(
        &mut self,
        target: &EventTarget,
        event: &'static str,
        f: impl FnMut(Event) + 'static,
    ) {
        let closure = Closure::<dyn FnMut(Event)>::new(f);
        let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        self.0.push((target.clone(), event, closure));
    }
}

impl Drop for Listeners {
    fn drop(&mut self) {
        for (target, event, closure) in &self.0 {
            let _ =
                target.remove_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        }
    }
}

/// Runs `f` when the browser is next idle (after it has painted what is
/// drawn now and handled waiting input), or within half a second: for work
/// that no screen waits for. Browsers without `requestIdleCallback` run it
/// 50 ms later.
pub fn when_idle(f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let f = Closure::once_into_js(f);
    let idle = js_sys::Reflect::get(&window, &"requestIdleCallback".into())
        .ok()
        .and_then(|v| v.dyn_into::<js_sys::Function>().ok());
    if let Some(idle) = idle {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"timeout".into(), &500.into());
        let _ = idle.call2(&window, &f, &options);
    } else {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(f.unchecked_ref(), 50);
    }
}

/// Styles one `<input>` of each of `types` out of sight (inert, hidden from
/// assistive technology) and removes them when the browser is next idle.
/// Chromium builds a control's parts the first time one is styled: for a
/// date-time input its inner fields, its calendar button and that button's
/// SVG icon (a document of its own), ~5 ms measured in the step that first
/// shows one. Done ahead, in idle time, that step does not pay it.
pub fn warm_up_inputs(parent: &Element, types: &[&str]) {
    let holder = el("div", "fl-visually-hidden");
    attr(&holder, "aria-hidden", "true");
    attr(&holder, "inert", "");
    for kind in types {
        let input = el("input", "fl-input");
        attr(&input, "type", kind);
        attr(&input, "tabindex", "-1");
        add(&holder, &[&input]);
    }
    add(parent, &[&holder]);
    // Style is computed in the next frame, before the idle time after it.
    when_idle(move || holder.remove());
}
