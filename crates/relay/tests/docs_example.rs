//! The configuration the docs show is the configuration the relay reads:
//! `docs/relay.example.toml`, every ```toml block of `docs/relay.md` that
//! holds a table (`[…]`: a whole file; blocks without one are fragments),
//! and the README's relay example each pass the same checks as
//! `frontline-relay check-config`, with the secrets they name set.

use std::path::{Path, PathBuf};

use frontline_relay::config::load_file;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The secrets the examples name, and nothing else: a name the docs
/// mistype is reported as unset.
fn env(name: &str) -> Option<String> {
    let value = match name {
        "FRONTLINE_ADMIN_TOKEN" | "FRONTLINE_POW_SECRET" => "0123456789abcdef0123456789abcdef",
        // The Standard Webhooks spec's own example key (24 bytes).
        "FRONTLINE_WEBHOOK_SECRET" => "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "FRESHDESK_API_KEY"
        | "JIRA_API_TOKEN"
        | "SERVICENOW_PASSWORD"
        | "ZAMMAD_TOKEN"
        | "CONNECTWISE_PRIVATE_KEY"
        | "CONNECTWISE_CLIENT_ID"
        | "SMTP_PASSWORD"
        | "FRONTLINE_DATABASE_PASSWORD" => "a-secret-value",
        _ => return None,
    };
    Some(value.to_string())
}

/// Checks `text` as a whole configuration file at `path`; panics with
/// every problem, naming `what`.
fn check(what: &str, text: &str, path: &Path) -> frontline_relay::config::Loaded {
    match load_file(text, path, &env) {
        Ok(loaded) => loaded,
        Err(problems) => {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            panic!(
                "{what} does not pass check-config:\n  {}\n---\n{text}",
                list.join("\n  ")
            )
        }
    }
}

/// The ```toml blocks of a Markdown text.
fn toml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        let fence = line.trim_start();
        match &mut current {
            None if fence.starts_with("```toml") => current = Some(String::new()),
            Some(block) if fence.starts_with("```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

fn has_table(block: &str) -> bool {
    block.lines().any(|l| l.trim_start().starts_with('['))
}

#[test]
fn the_example_configuration_passes_check_config() {
    let path = repo().join("docs/relay.example.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded = check("docs/relay.example.toml", &text, &path);
    let c = &loaded.config;
    assert_eq!(loaded.listen.to_string(), "127.0.0.1:8081");
    assert!(
        c.database.ends_with(".frontline/relay.sqlite3"),
        "{}",
        c.database
    );
    assert_eq!(c.allowed_origins, vec!["https://support.partner.example"]);
    assert_eq!(
        c.admin_token.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    // One destination of every kind.
    let names: Vec<&str> = c.destinations.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "connectwise",
            "freshdesk",
            "hook",
            "jira",
            "mail",
            "servicenow",
            "zammad"
        ]
    );
    // The [forward] values written are the defaults.
    assert_eq!(c.forward, frontline_relay::worker::Policy::default());
}

#[test]
fn the_example_names_a_missing_secret_by_its_path() {
    let path = repo().join("docs/relay.example.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let only = |name: &str| (name != "ZAMMAD_TOKEN").then(|| env(name)).flatten();
    let problems = match load_file(&text, &path, &only) {
        Ok(_) => panic!("a missing secret must be a problem"),
        Err(p) => p,
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "destinations.zammad.token");
    assert!(problems[0].message.contains("ZAMMAD_TOKEN is not set"));
}

#[test]
fn every_configuration_in_the_guide_passes_check_config() {
    let path = repo().join("docs/relay.md");
    let guide = std::fs::read_to_string(&path).unwrap();
    let blocks: Vec<String> = toml_blocks(&guide)
        .into_iter()
        .filter(|b| has_table(b))
        .collect();
    assert!(
        blocks.len() >= 7,
        "one example per destination kind at least"
    );
    // The guide's examples name `ruleset = "ruleset.json"` beside the file.
    let dir = std::env::temp_dir().join(format!("relay-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        repo().join("public/rules/default.json"),
        dir.join("ruleset.json"),
    )
    .unwrap();
    for (i, block) in blocks.iter().enumerate() {
        check(
            &format!("docs/relay.md's TOML block {}", i + 1),
            block,
            &dir.join("frontline-relay.toml"),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    for kind in [
        "freshdesk",
        "jira_service_management",
        "servicenow",
        "zammad",
        "connectwise",
        "webhook",
        "email",
    ] {
        assert!(
            blocks
                .iter()
                .any(|b| b.contains(&format!("kind = \"{kind}\""))),
            "docs/relay.md has no example for kind = \"{kind}\""
        );
    }
}

#[test]
fn the_readme_example_passes_check_config() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let blocks: Vec<String> = toml_blocks(&readme)
        .into_iter()
        .filter(|b| b.contains("[destinations."))
        .collect();
    assert!(!blocks.is_empty(), "the README shows a relay configuration");
    for block in &blocks {
        check(
            "README.md's relay example",
            block,
            &repo().join("frontline-relay.toml"),
        );
    }
}
