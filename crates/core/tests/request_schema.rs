//! The committed JSON Schema of requests is the one generated from the types.
//! Runs when core's `schema` feature is on (always under
//! `cargo test --workspace`, where the CLI enables it).
#![cfg(feature = "schema")]

#[test]
fn the_committed_request_schema_is_the_generated_one() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../public/schema/request.schema.json"
    );
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == frontline_core::request::request_schema(),
        "public/schema/request.schema.json is stale: run `cargo run -p frontline-cli -- schema --request > public/schema/request.schema.json`"
    );
}

#[test]
fn the_schema_carries_the_limits_the_form_uses() {
    let schema: serde_json::Value =
        serde_json::from_str(&frontline_core::request::request_schema()).unwrap();
    let problem = &schema["definitions"]["Problem"]["properties"];
    assert_eq!(
        problem["title"]["maxLength"],
        frontline_core::request::MAX_TITLE_CHARS
    );
    assert_eq!(
        schema["properties"]["schema"]["const"],
        frontline_core::REQUEST_SCHEMA
    );
    assert_eq!(
        schema["definitions"]["Organisation"]["additionalProperties"],
        false
    );
}
