//! The host page's side: commands it sends the portal (prefill, language)
//! and the events the portal sends back, as DOM `CustomEvent`s that cross
//! the shadow boundary. Payloads carry ids and outcomes, never the
//! customer's personal data.

use serde::Deserialize;
use wasm_bindgen::JsValue;

use crate::request_form::RequestForm;

/// What the host may prefill (`Frontline.prefill({...})`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct Prefill {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub tenant: Option<String>,
    pub subscription_id: Option<String>,
    /// A product id: the wizard starts there if the customer has not chosen yet.
    pub product: Option<String>,
}

impl Prefill {
    /// Reads `{"name", "email", "phone", "company", "tenant",
    /// "subscription_id", "product"}` (each a string or null; other fields
    /// are ignored). By hand rather than with serde's derive: far less
    /// WebAssembly. The error names the offending field.
    pub fn from_json(json: &str) -> Result<Prefill, String> {
        let value = frontline_core::json::parse(json).map_err(|e| e.to_string())?;
        let serde_json::Value::Object(map) = value else {
            return Err("expected an object".into());
        };
        let mut p = Prefill::default();
        for (name, value) in [
            ("name", &mut p.name),
            ("email", &mut p.email),
            ("phone", &mut p.phone),
            ("company", &mut p.company),
            ("tenant", &mut p.tenant),
            ("subscription_id", &mut p.subscription_id),
            ("product", &mut p.product),
        ] {
            *value = match map.get(name) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(format!("\"{name}\" must be a string")),
            };
        }
        Ok(p)
    }

    /// Copies the given contact fields into the form, leaving what the
    /// customer typed where the host gives nothing.
    pub fn apply(&self, form: &mut RequestForm) {
        let set = |field: &mut String, value: &Option<String>| {
            if let Some(v) = value.as_ref().filter(|v| !v.trim().is_empty()) {
                *field = v.trim().to_owned();
            }
        };
        set(&mut form.name, &self.name);
        set(&mut form.email, &self.email);
        set(&mut form.phone, &self.phone);
        set(&mut form.company, &self.company);
        set(&mut form.tenant, &self.tenant);
        set(&mut form.subscription_id, &self.subscription_id);
    }
}

/// An event's `detail`: a JSON object of string, null or number members,
/// in the order given (callers give them sorted, as `json!` wrote them).
pub fn detail(members: &[(&str, Option<&str>)]) -> String {
    let mut w = frontline_core::json::Writer::new("{");
    for (key, value) in members {
        match value {
            Some(v) => w.text(key, v),
            None => w.raw(key, "null"),
        }
    }
    w.close('}');
    w.0
}

/// Sends `frontline:<name>` with `detail` (JSON text, see [`detail`]) from
/// `target`, bubbling out of the shadow root to the host element and the
/// document.
pub fn emit(target: &web_sys::EventTarget, name: &str, detail: &str) {
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    let detail = js_sys::JSON::parse(detail).unwrap_or(JsValue::NULL);
    init.set_detail(&detail);
    if let Ok(event) =
        web_sys::CustomEvent::new_with_event_init_dict(&format!("frontline:{name}"), &init)
    {
        let _ = target.dispatch_event(&event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefill_fills_what_it_gives_and_keeps_the_rest() {
        let mut form = RequestForm {
            name: "typed".into(),
            title: "mine".into(),
            ..RequestForm::default()
        };
        let p: Prefill =
            serde_json::from_str(r#"{"email": " ada@contoso.example ", "name": "", "company": "Contoso", "colour": "x"}"#)
                .unwrap();
        p.apply(&mut form);
        assert_eq!(
            (
                form.name.as_str(),
                form.email.as_str(),
                form.company.as_str()
            ),
            ("typed", "ada@contoso.example", "Contoso")
        );
        assert_eq!(form.title, "mine");
    }

    #[test]
    fn event_details_are_the_json_that_json_macro_wrote() {
        use serde_json::json;
        let odd = "a\"b\\c\u{1}é";
        for (members, expected) in [
            (
                vec![("stage", Some("product"))],
                json!({"stage": "product"}),
            ),
            (
                vec![("id", Some(odd)), ("reference", None)],
                json!({"id": odd, "reference": null}),
            ),
            (
                vec![
                    ("handler", Some("partner")),
                    ("kind", Some("billing")),
                    ("product", Some("m365")),
                    ("rule", Some("r")),
                    ("vehicle", None),
                ],
                json!({"product": "m365", "kind": "billing", "handler": "partner", "vehicle": null, "rule": "r"}),
            ),
        ] {
            assert_eq!(detail(&members), expected.to_string());
        }
    }

    #[test]
    fn the_hand_reader_reads_what_serde_reads() {
        for json in [
            r#"{"email": " ada@contoso.example ", "name": "", "company": "Contoso", "colour": "x"}"#,
            r#"{"name": null, "product": "m365", "phone": "+33 1", "tenant": "t", "subscription_id": "s"}"#,
            "{}",
        ] {
            assert_eq!(
                Prefill::from_json(json).ok(),
                serde_json::from_str::<Prefill>(json).ok()
            );
        }
        for bad in [r#"{"name": 5}"#, "[]", "{", r#""x""#] {
            assert!(Prefill::from_json(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Prefill::from_json(r#"{"email": true}"#),
            Err("\"email\" must be a string".into())
        );
    }
}
