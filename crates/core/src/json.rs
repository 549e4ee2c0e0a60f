//! Writing JSON text by hand, byte for byte as `serde_json::to_string`
//! writes it (compact, fields in the order given, serde_json's string
//! escaping), without serde's serializer: its monomorphized code costs
//! kilobytes of WebAssembly per type. Callers test their output against the
//! serde derives.

/// Compact JSON being written. Call [`Writer::key`] (or a typed helper)
/// before each member or element; commas are added where needed.
#[derive(Debug, Default)]
pub struct Writer(pub String);

impl Writer {
    /// A writer that starts with `start` (`"{"` or `"["`).
    pub fn new(start: &str) -> Writer {
        Writer(start.to_owned())
    }

    /// Starts a member (`"key":`), or an array element when `key` is empty,
    /// with a comma before it unless it is the first.
    pub fn key(&mut self, key: &str) {
        if !self.0.ends_with(['{', '[']) {
            self.0.push(',');
        }
        if !key.is_empty() {
            quote(&mut self.0, key);
            self.0.push(':');
        }
    }

    /// A member whose value is already JSON text (`{`, `[`, a number…).
    pub fn raw(&mut self, key: &str, json: &str) {
        self.key(key);
        self.0.push_str(json);
    }

    /// A string member.
    pub fn text(&mut self, key: &str, value: &str) {
        self.key(key);
        quote(&mut self.0, value);
    }

    /// An optional string member: `null` when absent.
    pub fn opt(&mut self, key: &str, value: &Option<String>) {
        match value {
            Some(v) => self.text(key, v),
            None => self.raw(key, "null"),
        }
    }

    /// A boolean member.
    pub fn flag(&mut self, key: &str, value: bool) {
        self.raw(key, if value { "true" } else { "false" });
    }

    /// An unsigned integer member.
    pub fn num(&mut self, key: &str, value: u64) {
        self.key(key);
        self.0.push_str(&value.to_string());
    }

    /// Closes an object or array (`'}'` or `']'`).
    pub fn close(&mut self, c: char) {
        self.0.push(c);
    }
}

/// Appends `s` as a JSON string, escaped exactly as serde_json does: `"` and
/// `\` with a backslash, the control characters `\b \t \n \f \r` by name and
/// the others as `\u00xx` (lower-case hex); everything else as is.
pub fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` as a JSON string (see [`quote`]).
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote(&mut out, s);
    out
}

/// Appends `v` as compact JSON, exactly as its `Display` (`to_string`)
/// writes it (members in the map's own order), without serde's serializer.
pub fn write_value(out: &mut String, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => quote(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                quote(out, k);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// `v` as compact JSON text (see [`write_value`]).
pub fn value_text(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut every: String = (0u32..0x80).filter_map(char::from_u32).collect();
        every.push_str("é€😀\u{7f}\u{2028}\u{fffd}");
        for s in ["", "plain", "a\"b\\c/d", "line\nnext\r\t\u{8}\u{c}", &every] {
            assert_eq!(quoted(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn values_are_written_as_their_display_writes_them() {
        let v = serde_json::json!({
            "z": [1, -2, 3.5, 1e300, -0.0, 0.1, 18446744073709551615u64, -9223372036854775808i64],
            "a": {"nested": [null, true, false, "s\"\\\n\u{1}é"], "": {}},
            "m": [], "k\"": "v"
        });
        for v in [
            v.clone(),
            v["z"].clone(),
            v["a"].clone(),
            serde_json::json!(null),
            serde_json::json!(2.5e-8),
        ] {
            assert_eq!(value_text(&v), v.to_string());
        }
        let text = r#"{"f":1.0,"g":12345678901234567890123,"h":-1.5E10,"i":[0.30000000000000004]}"#;
        let parsed: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(value_text(&parsed), parsed.to_string());
    }

    #[test]
    fn members_and_elements_get_their_commas() {
        let mut w = Writer::new("{");
        w.num("n", 18_446_744_073_709_551_615);
        w.raw("a", "[");
        w.text("", "x");
        w.opt("", &None);
        w.close(']');
        w.flag("b", false);
        w.opt("k\"", &Some("v".into()));
        w.close('}');
        let expected = serde_json::json!({
            "n": u64::MAX, "a": ["x", null], "b": false, "k\"": "v"
        });
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&w.0).unwrap(),
            expected
        );
        assert_eq!(
            w.0,
            r#"{"n":18446744073709551615,"a":["x",null],"b":false,"k\"":"v"}"#
        );
    }
}
