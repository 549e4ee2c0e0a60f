//! The request's screens: the form, the review, and its delivery (sent,
//! queued or refused). Customer text is always rendered as text.

use std::cell::RefCell;

use frontline_core::adapters::{delivery_with_signals, mailto_for, plain_text, Delivery};
use frontline_core::outbox::{Fallback, State};
use frontline_core::{price_for, Outcome, PriceModel};
use leptos::prelude::*;

use crate::app::{text_of, use_locale, use_rules};
use crate::clock;
use crate::delivery::{new_id, Courier, SubmitError};
use crate::format;
use crate::i18n::Key;
use crate::request_form::{self as rf, Field, RequestForm};
use crate::screens::use_journey;
use crate::wizard::{Journey, Receipt};

/// The input types of the request form beyond plain text, styled ahead of
/// it when the request part arrives (`crate::dom::warm_up_inputs`).
pub const INPUT_TYPES: &[&str] = &["email", "datetime-local", "tel"];

thread_local! {
    /// What the form's honeypot held when the customer went on to the
    /// review (people never see it; a bot filling every field fills it).
    static TRAP: RefCell<String> = const { RefCell::new(String::new()) };
}

fn use_courier() -> Courier {
    crate::request_part::use_request_part()
        .courier()
        .expect("request screens are shown once their part (and courier) is loaded")
}

/// A text input bound to one form field, with its label, hint and error.
#[component]
fn TextField(
    field: Field,
    label: String,
    #[prop(optional)] hint: Option<String>,
    #[prop(optional)] multiline: bool,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    get: fn(&RequestForm) -> &String,
    set: fn(&mut RequestForm, String),
    errors: Memo<Vec<(Field, String)>>,
) -> impl IntoView {
    let journey = use_journey();
    let id = field.id();
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let error =
        move || errors.with(|e| e.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone()));
    let described = {
        let (hint_id, error_id, has_hint) = (hint_id.clone(), error_id.clone(), hint.is_some());
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let value = journey.with_untracked(|j| get(&j.form).clone());
    let on_input = move |ev| {
        let v = event_target_value(&ev);
        journey.update(|j| set(&mut j.form, v));
    };
    let max = field.max_chars();
    let input = if multiline {
        view! {
            <textarea id=id class="fl-input fl-input--multiline" rows="5" maxlength=max
                aria-invalid=move || error().is_some().then_some("true") aria-describedby=described
                on:input=on_input prop:value=value></textarea>
        }
        .into_any()
    } else {
        view! {
            <input id=id class="fl-input" type=kind maxlength=max autocomplete=autocomplete
                aria-invalid=move || error().is_some().then_some("true") aria-describedby=described
                on:input=on_input prop:value=value />
        }
        .into_any()
    };
    view! {
        <div class="fl-field" data-testid=format!("field-{id}")>
            <label class="fl-field__label" for=id>{label}</label>
            {hint.map(|h| view! { <p class="fl-field__hint" id=hint_id>{h}</p> })}
            {input}
            <p class="fl-field__error" id=error_id>{error}</p>
        </div>
    }
}

/// A checkbox bound to one form field.
#[component]
fn CheckField(
    field: Field,
    label: String,
    get: fn(&RequestForm) -> bool,
    set: fn(&mut RequestForm, bool),
    errors: Memo<Vec<(Field, String)>>,
) -> impl IntoView {
    let journey = use_journey();
    let id = field.id();
    let error_id = format!("{id}-error");
    let error =
        move || errors.with(|e| e.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone()));
    let checked = journey.with_untracked(|j| get(&j.form));
    let described = {
        let error_id = error_id.clone();
        move || error().is_some().then(|| error_id.clone())
    };
    view! {
        <div class="fl-field fl-field--check">
            <input id=id type="checkbox" class="fl-check" prop:checked=checked
                aria-invalid=move || error().is_some().then_some("true") aria-describedby=described
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    journey.update(|j| set(&mut j.form, on));
                } />
            <label for=id>{label}</label>
            <p class="fl-field__error" id=error_id>{error}</p>
        </div>
    }
}

/// Screen 5: the request form.
#[component]
pub fn RequestFormView(outcome: Outcome) -> impl IntoView {
    let rules = use_rules();
    let journey = use_journey();
    let l = use_locale().get_untracked();
    let tried = RwSignal::new(false);
    let all_problems = {
        let (rules, outcome) = (rules.clone(), outcome.clone());
        Memo::new(move |_| journey.with(|j| rf::problems(&j.form, &outcome, &rules, l)))
    };
    // Errors show once the customer tried to continue, then follow each keystroke.
    let errors = Memo::new(move |_| {
        if tried.get() {
            all_problems.get()
        } else {
            Vec::new()
        }
    });
    let severity = Memo::new(move |_| journey.with(|j| j.form.severity.clone()));
    let needs_phone = {
        let rules = rules.clone();
        move || {
            journey.with(|j| j.form.prefer_phone) || rf::round_the_clock(&rules, &severity.get())
        }
    };
    let round_the_clock = {
        let rules = rules.clone();
        move || rf::round_the_clock(&rules, &severity.get())
    };
    let price_words = {
        let (rules, kind) = (rules.clone(), outcome.kind.clone());
        move || {
            let s = severity.get();
            price_for(&rules, &kind, &s)
                .filter(|_| rf::charged(&rules, &kind, &s))
                .map(|p| {
                    let amount = p
                        .item
                        .amount_minor
                        .zip(p.currency)
                        .map(|(a, c)| format::money(l, a, c))
                        .unwrap_or_default();
                    let key = if p.item.model == PriceModel::Monthly {
                        Key::PriceMonthly
                    } else {
                        Key::PricePerIncident
                    };
                    l.format(key, &[("amount", &amount)])
                })
        }
    };
    let severities = outcome
        .severities
        .iter()
        .filter_map(|id| rules.severity(id).cloned())
        .map(|s| {
            let id = s.id.clone();
            let input_id = format!("fl-severity-{}", s.id);
            let checked = journey.with_untracked(|j| j.form.severity == s.id);
            view! {
                <div class="fl-radio">
                    <input type="radio" name="fl-severity" id=input_id.clone() value=id.clone() prop:checked=checked
                        data-testid=format!("severity-{id}")
                        on:change=move |_| journey.update(|j| j.form.severity = id.clone()) />
                    <label for=input_id>
                        <strong>{text_of(&s.name)}</strong><br />
                        <span class="fl-field__hint">{text_of(&s.definition)}</span>
                    </label>
                </div>
            }
        })
        .collect_view();
    let summary = NodeRef::<leptos::html::P>::new();
    let trap = NodeRef::<leptos::html::Input>::new();
    let on_continue = move |_| {
        // Read from the page, not from input events: a script may set it.
        if let Some(input) = trap.get_untracked() {
            TRAP.set(input.value());
        }
        tried.set(true);
        if all_problems.with_untracked(Vec::is_empty) {
            journey.update(Journey::review);
        } else if let Some(summary) = summary.get_untracked() {
            let _ = summary.focus();
        }
    };
    view! {
        <section class="fl-step" data-testid="step-form">
            <h1 class="fl-step__title" tabindex="-1">{l.t(Key::FormTitle)}</h1>
            <p class="fl-step__help">{l.t(Key::FormIntro)}</p>
            <p class="fl-form__summary" role="alert" tabindex="-1" node_ref=summary data-testid="form-errors">
                {move || errors.with(|e| (!e.is_empty()).then(|| l.format(Key::FormErrors, &[("count", &e.len().to_string())])))}
            </p>
            <TextField field=Field::Name label=l.t(Key::LabelName).into() autocomplete="name" get=|f| &f.name set=|f, v| f.name = v errors />
            <TextField field=Field::Email label=l.t(Key::LabelEmail).into() kind="email" autocomplete="email" get=|f| &f.email set=|f, v| f.email = v errors />
            <TextField field=Field::Company label=l.t(Key::LabelCompany).into() autocomplete="organization" get=|f| &f.company set=|f, v| f.company = v errors />
            // The honeypot: off-screen, hidden from assistive technology and
            // out of the tab order, so people never meet it. Its label's text
            // is a block: a wholly static element is built from an HTML
            // template, code (and imports) nothing else here needs.
            <div class="fl-trap" aria-hidden="true">
                <label for="fl-website">{"Website"}</label>
                <input id="fl-website" class="fl-input" name="website" type="text" tabindex="-1" autocomplete="off"
                    node_ref=trap prop:value=TRAP.with_borrow(String::clone) />
            </div>
            <fieldset class="fl-fieldset" data-testid="field-severity">
                <legend class="fl-field__label">{l.t(Key::LabelSeverity)}</legend>
                {severities}
                <p class="fl-field__error" id="fl-severity-error">
                    {move || errors.with(|e| e.iter().find(|(f, _)| *f == Field::Severity).map(|(_, m)| m.clone()))}
                </p>
            </fieldset>
            {move || round_the_clock().then(|| view! {
                <CheckField field=Field::ContinuousWork label=l.t(Key::LabelContinuousWork).into() get=|f| f.continuous_work set=|f, v| f.continuous_work = v errors />
            })}
            {move || price_words().map(|price| view! {
                <CheckField field=Field::AcceptPrice label=l.format(Key::LabelAcceptPrice, &[("price", &price)]) get=|f| f.accept_price set=|f, v| f.accept_price = v errors />
            })}
            <TextField field=Field::Title label=l.t(Key::LabelTitle).into() get=|f| &f.title set=|f, v| f.title = v errors />
            <TextField field=Field::Description label=l.t(Key::LabelDescription).into() hint=l.t(Key::LabelDescriptionHint).into() multiline=true get=|f| &f.description set=|f, v| f.description = v errors />
            <TextField field=Field::BusinessImpact label=l.t(Key::LabelImpact).into() hint=l.t(Key::LabelImpactHint).into() multiline=true get=|f| &f.business_impact set=|f, v| f.business_impact = v errors />
            <TextField field=Field::StartedAt label=l.t(Key::LabelStarted).into() kind="datetime-local" get=|f| &f.started_at set=|f, v| f.started_at = v errors />
            <TextField field=Field::Tenant label=l.t(Key::LabelTenant).into() get=|f| &f.tenant set=|f, v| f.tenant = v errors />
            <TextField field=Field::SubscriptionId label=l.t(Key::LabelSubscription).into() get=|f| &f.subscription_id set=|f, v| f.subscription_id = v errors />
            {move || {
                let label = if needs_phone() { Key::LabelPhoneRequired } else { Key::LabelPhone };
                view! { <TextField field=Field::Phone label=l.t(label).into() kind="tel" autocomplete="tel" get=|f| &f.phone set=|f, v| f.phone = v errors /> }
            }}
            <CheckField field=Field::PreferPhone label=l.t(Key::LabelPreferPhone).into() get=|f| f.prefer_phone set=|f, v| f.prefer_phone = v errors=Memo::new(|_| Vec::new()) />
            <CheckField field=Field::ShareDiagnostics label=l.t(Key::LabelShareDiagnostics).into() get=|f| f.share_diagnostics set=|f, v| f.share_diagnostics = v errors=Memo::new(|_| Vec::new()) />
            <div class="fl-actions">
                <button class="fl-button fl-button--primary" data-testid="to-review" on:click=on_continue>{l.t(Key::FormReview)}</button>
            </div>
        </section>
    }
}

/// Screen 6a: the request as it will be sent, then "Send".
#[component]
pub fn ReviewView(outcome: Outcome) -> impl IntoView {
    let rules = use_rules();
    let journey = use_journey();
    let courier = use_courier();
    let l = use_locale().get_untracked();
    let form = journey.with_untracked(|j| j.form.clone());
    let severity = rules
        .severity(&form.severity)
        .map(|s| text_of(&s.name))
        .unwrap_or_default();
    let row = |label: Key, value: String| {
        (!value.trim().is_empty())
            .then(|| view! { <dt>{l.t(label)}</dt><dd class="fl-review__value">{value}</dd> })
    };
    let rows = vec![
        row(Key::LabelName, form.name.clone()),
        row(Key::LabelEmail, form.email.clone()),
        row(Key::LabelPhone, form.phone.clone()),
        row(Key::LabelCompany, form.company.clone()),
        row(Key::LabelTenant, form.tenant.clone()),
        row(Key::LabelSubscription, form.subscription_id.clone()),
        row(Key::LabelSeverity, severity),
        row(Key::LabelStarted, form.started_at.replace('T', " ")),
        row(Key::LabelTitle, form.title.clone()),
        row(Key::LabelDescription, form.description.clone()),
        row(Key::LabelImpact, form.business_impact.clone()),
    ];
    let problem = RwSignal::new(None::<String>);
    // Storage refused the request: the e-mail fallback, carrying it.
    let not_saved = RwSignal::new(None::<String>);
    let opened = use_context::<crate::app::Opened>();
    let send = move |_| {
        // Whole milliseconds from the portal's opening to this press.
        let elapsed = opened.map_or(0, |o| (js_sys::Date::now() - o.0).max(0.0) as u64);
        let now = clock::now();
        let zone = clock::customer_zone_named();
        let id = new_id();
        let user_agent = window().navigator().user_agent().unwrap_or_default();
        let cx = rf::Context {
            id: id.clone(),
            now,
            zone: &zone,
            locale: l,
            user_agent,
        };
        let request = journey.with_untracked(|j| rf::build(j, &j.form, &outcome, &rules, &cx));
        let invalid = request.validate();
        if !invalid.is_empty() {
            // The form's checks should make this impossible; never send a bad request.
            let list: Vec<String> = invalid
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect();
            web_sys::console::error_1(
                &format!("Frontline: the request is invalid: {}", list.join("; ")).into(),
            );
            problem.set(Some(list.join("; ")));
            return;
        }
        let receipt = Receipt {
            mailto: mailto_for(&request, &rules.fallback_contact.email),
            text: plain_text(&request),
            reference: None,
            sent: false,
        };
        let trap = TRAP.with_borrow(String::clone);
        match delivery_with_signals(&request, &rules.intake, &trap, elapsed) {
            Ok(Delivery::Http(call)) => match courier.submit(
                &id,
                call,
                Fallback {
                    title: request.problem.title.clone(),
                    mailto: receipt.mailto.clone(),
                    text: receipt.text.clone(),
                },
            ) {
                Ok(()) => {
                    TRAP.take();
                    journey.update(|j| j.submitted(&id, receipt));
                }
                Err(SubmitError::NotSaved) => {
                    not_saved.set(Some(receipt.mailto));
                    problem.set(Some(l.t(Key::NotSaved).to_owned()));
                }
                Err(SubmitError::Outbox(e)) => problem.set(Some(e)),
            },
            Ok(Delivery::Mailto(link)) => {
                journey.update(|j| {
                    j.submitted(
                        &id,
                        Receipt {
                            mailto: link.clone(),
                            ..receipt
                        },
                    )
                });
                let _ = window().location().set_href(&link);
            }
            Err(e) => problem.set(Some(e.to_string())),
        }
    };
    view! {
        <section class="fl-step" data-testid="step-review">
            <h1 class="fl-step__title" tabindex="-1">{l.t(Key::ReviewTitle)}</h1>
            <dl class="fl-review">{rows}</dl>
            <p class="fl-field__error" role="alert">{move || problem.get()}</p>
            {move || not_saved.get().map(|href| view! {
                <p><a class="fl-button fl-button--secondary" data-testid="not-saved-mailto" href=href>{l.t(Key::FailedEmail)}</a></p>
            })}
            <div class="fl-actions">
                <button class="fl-button fl-button--primary" data-testid="send" on:click=send>{l.t(Key::ReviewSend)}</button>
                <button class="fl-button fl-button--secondary" data-testid="edit" on:click=move |_| journey.update(|j| { j.back(); })>{l.t(Key::ReviewEdit)}</button>
            </div>
        </section>
    }
}

/// Screen 6b: the request's delivery — sent (with its reference), queued
/// (saved, will be sent automatically) or refused (why, and what to do).
#[component]
pub fn DeliveryView(id: String) -> impl IntoView {
    let journey = use_journey();
    let courier = use_courier();
    let l = use_locale().get_untracked();
    let receipt = journey
        .with_untracked(|j| j.receipt.clone())
        .unwrap_or_default();
    courier.show(Some(id.clone()));
    on_cleanup(move || courier.show(None));
    let state = {
        let id = id.clone();
        Memo::new(move |_| {
            courier
                .outbox
                .with(|o| o.get(&id).map(|e| (e.state.clone(), e.attempts)))
        })
    };
    // Tell the host page how the delivery goes (ids only).
    let source = use_context::<crate::app::EventSource>();
    Effect::new({
        let id = id.clone();
        move |previous: Option<Option<(&'static str, String)>>| {
            use crate::host::detail;
            let event = match state.get() {
                Some((State::Sent { reference }, _)) => Some((
                    "submitted",
                    detail(&[("id", Some(&id)), ("reference", reference.as_deref())]),
                )),
                Some((State::Pending, attempts)) if attempts > 0 => {
                    Some(("queued", detail(&[("id", Some(&id))])))
                }
                Some((State::Failed { status, .. }, _)) => {
                    let mut d = frontline_core::json::Writer::new("{");
                    d.text("id", &id);
                    d.num("status", u64::from(status));
                    d.close('}');
                    Some(("failed", d.0))
                }
                _ => None,
            };
            if event.is_some()
                && previous.as_ref().map(|p| p.as_ref().map(|e| e.0))
                    != Some(event.as_ref().map(|e| e.0))
            {
                if event.as_ref().is_some_and(|e| e.0 == "submitted") {
                    use frontline_core::funnel::{Event, EventType};
                    crate::funnel::record(journey.with_untracked(|j| {
                        let t = &j.transcript;
                        Event::new(EventType::Submitted)
                            .problem(t.product.as_deref(), t.kind.as_deref())
                    }));
                }
                if let (Some((name, detail)), Some(target)) =
                    (&event, source.and_then(|s| s.0.get_untracked()))
                {
                    crate::host::emit(&target, name, detail);
                }
            }
            event
        }
    });
    // Once acknowledged, keep the reference with the journey and let the
    // outbox forget the request.
    Effect::new({
        let id = id.clone();
        move |_| {
            if let Some((State::Sent { reference }, _)) = state.get() {
                journey.update(|j| {
                    if let Some(r) = j.receipt.as_mut() {
                        r.reference = reference.clone();
                        r.sent = true;
                    }
                });
                courier.forget(&id);
            }
        }
    });
    let copied = RwSignal::new(false);
    let text = receipt.text.clone();
    let copy = move |_| {
        let _ = window().navigator().clipboard().write_text(&text);
        copied.set(true);
    };
    let mailto = receipt.mailto.clone();
    let retry_id = id.clone();
    move || {
        let sent = journey.with(|j| {
            j.receipt
                .as_ref()
                .filter(|r| r.sent)
                .map(|r| r.reference.clone())
        });
        match (sent, state.get()) {
            (Some(reference), _) => view! {
                <section class="fl-step fl-step--success" data-testid="step-sent">
                    <h1 class="fl-step__title" tabindex="-1">{l.t(Key::SentTitle)}</h1>
                    <p data-testid="reference">{match reference {
                        Some(r) => l.format(Key::SentBody, &[("reference", &r)]),
                        None => l.t(Key::SentNoReference).to_owned(),
                    }}</p>
                </section>
            }
            .into_any(),
            (None, Some((State::Failed { status, reason }, _))) => {
                let retry_id = retry_id.clone();
                view! {
                    <section class="fl-step fl-step--problem" data-testid="step-failed">
                        <h1 class="fl-step__title" tabindex="-1">{l.t(Key::FailedTitle)}</h1>
                        <p data-testid="failed-reason">{l.format(Key::FailedBody, &[("reason", &format!("{reason} (HTTP {status})"))])}</p>
                        <div class="fl-actions">
                            <button class="fl-button fl-button--primary" data-testid="retry" on:click=move |_| courier.retry(&retry_id)>{l.t(Key::FailedRetry)}</button>
                            <a class="fl-button fl-button--secondary" data-testid="mailto" href=mailto.clone()>{l.t(Key::FailedEmail)}</a>
                            <button class="fl-button fl-button--link" data-testid="copy" on:click=copy.clone()>{l.t(Key::FailedCopy)}</button>
                        </div>
                        <p role="status">{move || copied.get().then(|| l.t(Key::Copied))}</p>
                    </section>
                }.into_any()
            }
            (None, Some((State::Pending, attempts))) if attempts > 0 => view! {
                <section class="fl-step" data-testid="step-queued">
                    <h1 class="fl-step__title" tabindex="-1">{l.t(Key::QueuedTitle)}</h1>
                    <p>{l.t(Key::QueuedBody)}</p>
                </section>
            }
            .into_any(),
            _ => view! {
                <section class="fl-step" data-testid="step-sending">
                    <h1 class="fl-step__title" tabindex="-1">{l.t(Key::Sending)}</h1>
                </section>
            }
            .into_any(),
        }
    }
}

/// Requests this browser still holds that no screen shows (a closed tab's,
/// or an earlier visit's): on their way, or refused and waiting for the
/// customer. Each leads to its delivery screen: its state, "try again", the
/// e-mail fallback and "copy". Delivered ones are not listed (the outbox
/// forgets them). At most [`EARLIER_SHOWN`] are listed, with how many more:
/// the list is redrawn only when what it shows changes, not on every
/// change of a long outbox being sent.
#[component]
pub fn EarlierRequests() -> impl IntoView {
    let courier = use_courier();
    let journey = use_journey();
    let l = use_locale().get_untracked();
    let listed = Memo::new(move |_| {
        courier.outbox.with(|o| {
            let mut waiting = o
                .entries
                .iter()
                .filter(|e| e.fallback.is_some() && !matches!(e.state, State::Sent { .. }));
            let shown: Vec<(String, String, bool)> = waiting
                .by_ref()
                .take(EARLIER_SHOWN)
                .map(|e| {
                    let title = e.fallback.as_ref().map(|f| f.title.clone());
                    let failed = matches!(e.state, State::Failed { .. });
                    (e.id.clone(), title.unwrap_or_default(), failed)
                })
                .collect();
            (shown, waiting.count())
        })
    });
    let show = move |id: &str| {
        let kept = courier
            .outbox
            .with_untracked(|o| o.get(id).and_then(|e| e.fallback.clone()));
        if let Some(kept) = kept {
            let receipt = Receipt {
                mailto: kept.mailto,
                text: kept.text,
                reference: None,
                sent: false,
            };
            journey.update(|j| j.show_delivery(id, receipt));
        }
    };
    move || {
        let (shown, more) = listed.get();
        if shown.is_empty() {
            return ().into_any();
        }
        let items = shown
            .into_iter()
            .map(|(id, title, failed)| {
                let label = format!("{}: {}", l.t(Key::EarlierShow), title);
                view! {
                    <li data-testid="earlier-request">
                        <strong>{title}</strong>" — "
                        {l.t(if failed { Key::EarlierFailed } else { Key::EarlierWaiting })}" "
                        <button class="fl-button fl-button--link" data-testid="earlier-show" aria-label=label
                            on:click=move |_| show(&id)>
                            {l.t(Key::EarlierShow)}
                        </button>
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="fl-panel fl-earlier" data-testid="earlier">
                <h2 class="fl-step__subtitle">{l.t(Key::EarlierTitle)}</h2>
                <ul class="fl-list">{items}</ul>
                {(more > 0).then(|| view! {
                    <p data-testid="earlier-more">{l.format(Key::EarlierMore, &[("count", &more.to_string())])}</p>
                })}
            </section>
        }
        .into_any()
    }
}

/// How many earlier requests the welcome screen lists by name.
const EARLIER_SHOWN: usize = 3;
