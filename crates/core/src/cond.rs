//! Conditions: a statically checkable subset of JsonLogic.
//!
//! Supported: `{"and": [..]}`, `{"or": [..]}`, `{"!": x}`, `{"==": [a, b]}`,
//! `{"!=": [a, b]}`, `{"in": [a, list]}`, `{"var": "name"}`, and literals
//! (strings, numbers, booleans, null, arrays of literals). `==` is strict
//! (no JsonLogic type coercion) and `in` only tests array membership: both
//! keep rules predictable and checkable. Truthiness follows JsonLogic:
//! `false`, `null`, `0`, `""` and `[]` are false.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::report::Report;

/// The values a variable may take, for static checks.
#[derive(Debug, Clone, Default)]
pub struct Domain {
    /// Valid ids.
    pub values: BTreeSet<String>,
    /// Whether the variable is a list (test with `in`) rather than a scalar.
    pub list: bool,
}

/// Variables a condition may use, with their domains.
pub type Scope = BTreeMap<String, Domain>;

/// Facts a condition is evaluated against: variable name → value.
pub type Facts = BTreeMap<String, Value>;

/// Evaluates a condition. Unknown variables are `null`.
pub fn eval(cond: &Value, facts: &Facts) -> Value {
    match cond {
        Value::Object(map) if map.len() == 1 => {
            let Some((op, arg)) = map.iter().next() else {
                return Value::Null;
            };
            let args = as_args(arg);
            match op.as_str() {
                "var" => match args.first() {
                    Some(Value::String(name)) => facts.get(name).cloned().unwrap_or(Value::Null),
                    _ => Value::Null,
                },
                "and" => {
                    let mut last = Value::Bool(true);
                    for a in args {
                        last = eval(a, facts);
                        if !truthy(&last) {
                            return last;
                        }
                    }
                    last
                }
                "or" => {
                    let mut last = Value::Bool(false);
                    for a in args {
                        last = eval(a, facts);
                        if truthy(&last) {
                            return last;
                        }
                    }
                    last
                }
                "!" => Value::Bool(!args.first().is_some_and(|a| truthy(&eval(a, facts)))),
                "==" | "!=" => {
                    let (a, b) = pair(&args, facts);
                    Value::Bool((a == b) == (op == "=="))
                }
                "in" => {
                    let (a, b) = pair(&args, facts);
                    Value::Bool(match b {
                        Value::Array(items) => items.contains(&a),
                        _ => false,
                    })
                }
                _ => Value::Null,
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| eval(i, facts)).collect()),
        Value::Object(_) => Value::Null,
        literal => literal.clone(),
    }
}

/// Whether a condition holds.
pub fn holds(cond: &Value, facts: &Facts) -> bool {
    truthy(&eval(cond, facts))
}

/// JsonLogic truthiness.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

fn as_args(arg: &Value) -> Vec<&Value> {
    match arg {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn pair(args: &[&Value], facts: &Facts) -> (Value, Value) {
    let a = args.first().map(|a| eval(a, facts)).unwrap_or(Value::Null);
    let b = args.get(1).map(|b| eval(b, facts)).unwrap_or(Value::Null);
    (a, b)
}

/// Renders a condition in plain words with the actual values, for traces:
/// `kind == "billing" (kind is "technical")`.
pub fn describe(cond: &Value, facts: &Facts) -> String {
    match cond {
        Value::Object(map) if map.len() == 1 => {
            let Some((op, arg)) = map.iter().next() else {
                return "?".into();
            };
            let args = as_args(arg);
            let parts: Vec<String> = args.iter().map(|a| describe(a, facts)).collect();
            match op.as_str() {
                "var" => match args.first() {
                    Some(Value::String(name)) => {
                        let actual = facts.get(name).cloned().unwrap_or(Value::Null);
                        format!("{name} (is {})", crate::json::value_text(&actual))
                    }
                    _ => "?".into(),
                },
                "and" => format!("({})", parts.join(" and ")),
                "or" => format!("({})", parts.join(" or ")),
                "!" => format!("not {}", parts.first().map_or("?", String::as_str)),
                "in" => format!(
                    "{} is one of {}",
                    parts.first().map_or("?", String::as_str),
                    parts.get(1).map_or("?", String::as_str)
                ),
                _ => format!(
                    "{} {op} {}",
                    parts.first().map_or("?", String::as_str),
                    parts.get(1).map_or("?", String::as_str)
                ),
            }
        }
        other => crate::json::value_text(other),
    }
}

/// Checks a condition against the variables in `scope`: unknown operators,
/// wrong arity, unknown variables, and literal values that are not valid ids
/// for the variable they are compared with. Problems go to `report` at `path`.
pub fn check(cond: &Value, path: &str, scope: &Scope, report: &mut Report) {
    match cond {
        Value::Object(map) => {
            if map.len() != 1 {
                report.error(
                    path,
                    format!(
                        "a condition object must have exactly one operator, found {}",
                        map.len()
                    ),
                );
                return;
            }
            let Some((op, arg)) = map.iter().next() else {
                return;
            };
            let opath = child(path, op);
            let args = as_args(arg);
            let arg_path = |i: usize| {
                if arg.is_array() {
                    format!("{opath}[{i}]")
                } else {
                    opath.clone()
                }
            };
            match op.as_str() {
                "var" => match args.as_slice() {
                    [Value::String(name)] => {
                        if !scope.contains_key(name) {
                            let known: Vec<&str> = scope.keys().map(String::as_str).collect();
                            report.error(
                                opath,
                                format!(
                                    "unknown variable \"{name}\"; use one of: {}",
                                    known.join(", ")
                                ),
                            );
                        }
                    }
                    _ => report.error(opath, "\"var\" takes one variable name (a string)"),
                },
                "and" | "or" => {
                    if !arg.is_array() || args.is_empty() {
                        report.error(
                            opath,
                            format!("\"{op}\" takes a non-empty array of conditions"),
                        );
                        return;
                    }
                    for (i, a) in args.iter().enumerate() {
                        check(a, &arg_path(i), scope, report);
                    }
                }
                "!" => {
                    if args.len() != 1 {
                        report.error(opath, "\"!\" takes exactly one condition");
                        return;
                    }
                    check(args[0], &arg_path(0), scope, report);
                }
                "==" | "!=" | "in" => {
                    if !arg.is_array() || args.len() != 2 {
                        report.error(opath, format!("\"{op}\" takes an array of two operands"));
                        return;
                    }
                    for (i, a) in args.iter().enumerate() {
                        check(a, &arg_path(i), scope, report);
                    }
                    check_values(
                        op,
                        args[0],
                        args[1],
                        &arg_path(0),
                        &arg_path(1),
                        scope,
                        report,
                    );
                }
                other => report.error(
                    opath,
                    format!("unsupported operator \"{other}\"; use and, or, !, ==, !=, in, var"),
                ),
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.is_object() || item.is_array() {
                    report.error(
                        format!("{path}[{i}]"),
                        "a literal list may only hold strings, numbers, booleans or null",
                    );
                }
            }
        }
        _ => {}
    }
}

fn var_name(v: &Value) -> Option<&str> {
    let map = v.as_object()?;
    if map.len() != 1 {
        return None;
    }
    match map.get("var")? {
        Value::String(s) => Some(s),
        Value::Array(a) if a.len() == 1 => a[0].as_str(),
        _ => None,
    }
}

fn check_values(
    op: &str,
    a: &Value,
    b: &Value,
    a_path: &str,
    b_path: &str,
    scope: &Scope,
    report: &mut Report,
) {
    fn domain<'v>(v: &'v Value, scope: &'v Scope) -> Option<(&'v str, &'v Domain)> {
        var_name(v).and_then(|n| scope.get(n).map(|d| (n, d)))
    }
    let check_literal =
        |lit: &Value, lit_path: &str, (name, d): (&str, &Domain), report: &mut Report| {
            if let Value::String(s) = lit {
                if !d.values.contains(s) {
                    let valid: Vec<&str> = d.values.iter().map(String::as_str).collect();
                    report.error(
                        lit_path,
                        format!(
                            "\"{s}\" is not a valid value for {name}; valid values: {}",
                            if valid.is_empty() {
                                "(none)".to_string()
                            } else {
                                valid.join(", ")
                            }
                        ),
                    );
                }
            } else if !lit.is_object() {
                report.error(
                    lit_path,
                    format!("{name} holds ids (strings); compare it with a string, not {lit}"),
                );
            }
        };
    match op {
        "==" | "!=" => {
            for (var, lit, lit_path) in [(a, b, b_path), (b, a, a_path)] {
                if let Some(d) = domain(var, scope) {
                    if d.1.list {
                        report.error(
                            a_path,
                            format!("{} is a list; test it with \"in\", not \"{op}\"", d.0),
                        );
                    } else if var_name(lit).is_none() {
                        check_literal(lit, lit_path, d, report);
                    }
                }
            }
        }
        _ => {
            // in: [needle, haystack]
            match (domain(a, scope), domain(b, scope)) {
                (None, Some(d)) if d.1.list && var_name(a).is_none() => {
                    check_literal(a, a_path, d, report);
                }
                (None, Some(d)) if d.1.list => {}
                (_, Some(d)) if !d.1.list => report.error(
                    b_path,
                    format!("{} is not a list; compare it with \"==\" instead", d.0),
                ),
                (Some(d), None) => match b {
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            check_literal(item, &format!("{b_path}[{i}]"), d, report);
                        }
                    }
                    _ => report.error(b_path, "the second operand of \"in\" must be a list"),
                },
                _ => {}
            }
        }
    }
}

/// The JSON path of `key` inside the object at `path`: `$.a.b`, or
/// `$.a["x-y"]` when the key is not a plain identifier.
pub(crate) fn child(path: &str, key: &str) -> String {
    if !key.is_empty() && key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        // Without core::fmt: the loader makes one path per field it reads.
        [path, ".", key].concat()
    } else {
        format!("{path}[{}]", crate::json::quoted(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope() -> Scope {
        let mut s = Scope::new();
        s.insert(
            "kind".into(),
            Domain {
                values: ["billing".to_string(), "technical".to_string()].into(),
                list: false,
            },
        );
        s.insert(
            "tags".into(),
            Domain {
                values: ["outage".to_string()].into(),
                list: true,
            },
        );
        s
    }

    fn problems(c: Value) -> Vec<String> {
        let mut r = Report::default();
        check(&c, "$.when", &scope(), &mut r);
        r.problems
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect()
    }

    #[test]
    fn evaluates_the_subset() {
        let facts: Facts = [
            ("kind".to_string(), json!("billing")),
            ("tags".to_string(), json!(["outage"])),
        ]
        .into();
        assert!(holds(&json!({"==": [{"var": "kind"}, "billing"]}), &facts));
        assert!(!holds(&json!({"!=": [{"var": "kind"}, "billing"]}), &facts));
        assert!(holds(&json!({"in": ["outage", {"var": "tags"}]}), &facts));
        assert!(holds(
            &json!({"in": [{"var": "kind"}, ["billing", "x"]]}),
            &facts
        ));
        assert!(holds(
            &json!({"!": {"in": ["bug", {"var": "tags"}]}}),
            &facts
        ));
        assert!(holds(
            &json!({"and": [true, {"or": [false, {"var": "kind"}]}]}),
            &facts
        ));
        assert!(!holds(&json!({"var": "nothing"}), &facts));
        assert!(holds(&json!(true), &facts));
    }

    #[test]
    fn static_checks_find_unknown_vars_and_values() {
        assert_eq!(
            problems(json!({"==": [{"var": "kynd"}, "billing"]})),
            vec!["$.when[\"==\"][0].var: unknown variable \"kynd\"; use one of: kind, tags"]
        );
        assert_eq!(
            problems(json!({"==": [{"var": "kind"}, "biling"]})),
            vec!["$.when[\"==\"][1]: \"biling\" is not a valid value for kind; valid values: billing, technical"]
        );
        assert_eq!(
            problems(json!({"in": ["outages", {"var": "tags"}]})),
            vec!["$.when.in[0]: \"outages\" is not a valid value for tags; valid values: outage"]
        );
        assert_eq!(
            problems(json!({"in": [{"var": "kind"}, ["billing", "bill"]]})),
            vec!["$.when.in[1][1]: \"bill\" is not a valid value for kind; valid values: billing, technical"]
        );
        assert_eq!(
            problems(json!({"xor": [true, false]})),
            vec!["$.when.xor: unsupported operator \"xor\"; use and, or, !, ==, !=, in, var"]
        );
        assert_eq!(
            problems(json!({"==": [{"var": "tags"}, "outage"]})).len(),
            1,
            "comparing a list with == is reported"
        );
        assert!(problems(json!({"and": [{"==": [{"var": "kind"}, "billing"]}, {"in": ["outage", {"var": "tags"}]}]})).is_empty());
    }
}
