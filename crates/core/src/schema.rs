//! JSON Schema of the ruleset, generated from the types (feature `schema`).

/// The JSON Schema of [`crate::Ruleset`], pretty-printed, ending in a newline.
pub fn ruleset_schema() -> String {
    let schema = schemars::schema_for!(crate::Ruleset);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
