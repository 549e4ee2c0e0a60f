//! Generates the UI string table from `locales/*.json`.
//!
//! `locales/en.json` defines the keys; every other file must translate each of
//! them, with the same `{placeholders}`, or the build fails naming the file
//! and the key. The app refers to strings as `Key::SomeKey`, so a typo is a
//! compile error, not a blank label. Adding a language is adding a file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

const SOURCE_LOCALE: &str = "en";

fn main() {
    println!("cargo:rerun-if-changed=locales");
    let mut locales: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut entries: Vec<_> = std::fs::read_dir("locales")
        .expect("the locales/ folder is missing")
        .map(|e| e.expect("cannot read locales/").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    for path in entries {
        println!("cargo:rerun-if-changed={}", path.display());
        let tag = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let table: BTreeMap<String, String> = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("{}: not a flat JSON object of strings: {e}", path.display())
        });
        locales.insert(tag, table);
    }
    let source = locales
        .get(SOURCE_LOCALE)
        .unwrap_or_else(|| panic!("locales/{SOURCE_LOCALE}.json is missing"))
        .clone();
    let mut problems = Vec::new();
    for (tag, table) in &locales {
        for key in source.keys() {
            match table.get(key) {
                None => problems.push(format!("locales/{tag}.json lacks the key \"{key}\"")),
                Some(text) if placeholders(text) != placeholders(&source[key]) => {
                    problems.push(format!(
                        "locales/{tag}.json: \"{key}\" has placeholders {:?}, the source has {:?}",
                        placeholders(text),
                        placeholders(&source[key])
                    ))
                }
                Some(_) => {}
            }
        }
        for key in table.keys().filter(|k| !source.contains_key(*k)) {
            problems.push(format!("locales/{tag}.json has the unknown key \"{key}\""));
        }
        if table.get("language_name").is_none_or(|n| n.is_empty()) {
            problems.push(format!(
                "locales/{tag}.json needs a \"language_name\" (the language's own name)"
            ));
        }
    }
    if !problems.is_empty() {
        panic!(
            "UI translations are incomplete:\n  {}",
            problems.join("\n  ")
        );
    }

    let mut out = String::new();
    out.push_str("/// A UI string. Generated from `locales/en.json` by `build.rs`.\n");
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n#[allow(missing_docs)]\npub enum Key {\n");
    for key in source.keys() {
        writeln!(out, "    {},", camel(key)).unwrap();
    }
    out.push_str("}\n\n/// Language tags with a UI translation, the source language first.\n");
    let tags: Vec<&String> = std::iter::once(&SOURCE_LOCALE.to_owned())
        .chain(locales.keys().filter(|t| *t != SOURCE_LOCALE))
        .map(|t| locales.get_key_value(t).unwrap().0)
        .collect();
    writeln!(out, "pub const LOCALES: &[&str] = &{tags:?};").unwrap();
    out.push_str("\n/// `STRINGS[locale][key as usize]`, in the order of `LOCALES` and `Key`.\n");
    out.push_str("pub(crate) const STRINGS: &[&[&str]] = &[\n");
    for tag in &tags {
        let values: Vec<&String> = source.keys().map(|k| &locales[*tag][k]).collect();
        writeln!(out, "    &{values:?},").unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("i18n.rs");
    std::fs::write(dest, out).unwrap();
}

fn placeholders(text: &str) -> BTreeSet<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

fn camel(key: &str) -> String {
    key.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
