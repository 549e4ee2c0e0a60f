//! Each help desk destination against its fake (frontline-fakedesk) on
//! loopback: the ticket's fields as the fake stored them, refusals and
//! their classification, the ambiguous failures followed by `find`, and
//! settings problems with their paths.

use std::sync::Arc;
use std::time::Duration;

use frontline_core::request::Request;
use frontline_fakedesk::{AfterCreate, Desk, FakeDesk, Fault, FaultSettings, RateLimit, Stored};
use frontline_relay::config::ConfigProblem;
use frontline_relay::forward::desks::parse_settings;
use frontline_relay::forward::{Destination, Failure, Priority, Sent, Ticket};

const SCRIPT: &str = "<script>alert('x')</script>";

/// How one desk is configured and what its fake must hold.
struct Case {
    desk: Desk,
    /// What failure messages start with.
    name: &'static str,
    /// A working `[destinations.desk]` table for the fake at the URL.
    table: fn(&str) -> String,
    /// The secrets it names.
    env: &'static [(&'static str, &'static str)],
    /// The variable holding the credential to spoil for the 401 test.
    secret_var: &'static str,
    /// The secret's setting, for the missing-secret problem's path.
    secret_key: &'static str,
    /// A table the fake refuses (a required setting missing or wrong), and
    /// what the refusal's message names.
    refused: fn(&str) -> String,
    refused_names: &'static str,
    /// Desk-specific checks of the stored ticket (priority Urgent).
    check: fn(&Stored, &Ticket),
}

fn ticket(n: u32) -> Ticket {
    let mut r = Request::example();
    r.id = format!("0f8fad5b-d9cb-469f-a165-{n:012}");
    r.problem.description = format!("{SCRIPT}\nSecond line of the customer's text");
    let mut t = Ticket::new(r, String::new(), format!("FL-{n:06}"), None, None);
    t.priority = Priority::Urgent;
    t
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

fn build_with(
    table: &str,
    env: &[(&str, &str)],
    http: &reqwest::Client,
) -> Result<Arc<dyn Destination>, Vec<ConfigProblem>> {
    let value: toml::Value = toml::from_str(table).expect("test TOML");
    let settings = parse_settings("destinations.desk", value).map_err(|p| vec![p])?;
    let env = env_of(env);
    settings.build("destinations.desk", &env, http)
}

fn http(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

async fn start(case: &Case) -> (FakeDesk, Arc<dyn Destination>) {
    let fake = FakeDesk::start(case.desk).await.unwrap();
    let dest = build_with(
        &(case.table)(&fake.url()),
        case.env,
        &http(Duration::from_secs(10)),
    )
    .unwrap_or_else(|p| panic!("{p:?}"));
    (fake, dest)
}

fn script(faults: Vec<Fault>) -> FaultSettings {
    FaultSettings {
        script: faults,
        ..FaultSettings::default()
    }
}

async fn creates_with_the_right_fields(case: &Case) {
    let (fake, dest) = start(case).await;
    let t = ticket(1);
    let d = dest.create(&t).await.unwrap_or_else(|f| panic!("{f:?}"));
    let held = fake.tickets_for(&t.frontline_id);
    assert_eq!(held.len(), 1, "{:?}", fake.tickets());
    let s = &held[0];
    assert_eq!(d.ticket_id, s.key);
    assert_eq!(s.subject, t.title);
    assert!(
        s.description.contains("Second line of the customer"),
        "{}",
        s.description
    );
    assert!(
        s.description.contains("Frontline reference: FL-000001"),
        "{}",
        s.description
    );
    (case.check)(s, &t);
    let found = dest.find(&t).await.unwrap();
    assert_eq!(found.map(|f| f.ticket_id), Some(d.ticket_id));
    assert_eq!(
        dest.find(&ticket(2)).await.unwrap(),
        None,
        "never sent: not found"
    );
}

async fn a_wrong_credential_is_permanent(case: &Case) {
    let fake = FakeDesk::start(case.desk).await.unwrap();
    let wrong = "wrong-secret-1234567";
    let env: Vec<(&str, &str)> = case
        .env
        .iter()
        .map(|(k, v)| (*k, if *k == case.secret_var { wrong } else { *v }))
        .collect();
    let dest = build_with(
        &(case.table)(&fake.url()),
        &env,
        &http(Duration::from_secs(10)),
    )
    .unwrap();
    let f = dest.create(&ticket(1)).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, true), "{f:?}");
    assert!(f.message.starts_with(case.name), "{}", f.message);
    assert!(f.message.contains("401"), "{}", f.message);
    assert!(!f.message.contains(wrong), "{}", f.message);
    for (_, secret) in case.env {
        assert!(!f.message.contains(secret), "{}", f.message);
    }
    let f = dest.find(&ticket(1)).await.unwrap_err();
    assert!(f.permanent && f.message.contains("401"), "{f:?}");
    assert!(fake.tickets().is_empty());
}

async fn a_refused_setting_is_permanent(case: &Case) {
    let fake = FakeDesk::start(case.desk).await.unwrap();
    let dest = build_with(
        &(case.refused)(&fake.url()),
        case.env,
        &http(Duration::from_secs(10)),
    )
    .unwrap();
    let f = dest.create(&ticket(1)).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, true), "{f:?}");
    assert!(f.message.contains(case.refused_names), "{}", f.message);
    assert!(fake.tickets().is_empty());
}

async fn rate_limits_and_refusals_create_nothing(case: &Case) {
    let (fake, dest) = start(case).await;
    fake.set_faults(FaultSettings {
        rate_limit: Some(RateLimit {
            max_creates: 1,
            window_ms: 60_000,
            retry_after_s: 17,
        }),
        ..FaultSettings::default()
    });
    dest.create(&ticket(1)).await.unwrap();
    let f = dest.create(&ticket(2)).await.unwrap_err();
    assert_eq!(
        (f.sent, f.permanent, f.retry_after),
        (Sent::No, false, Some(Duration::from_secs(17))),
        "{f:?}"
    );
    assert!(f.message.contains("429"), "{}", f.message);
    fake.set_faults(script(vec![Fault::Refuse(503)]));
    let f: Failure = dest.create(&ticket(3)).await.unwrap_err();
    assert_eq!(
        (f.sent, f.permanent),
        (Sent::Maybe, false),
        "a 5xx may have created: {f:?}"
    );
    assert_eq!(dest.find(&ticket(3)).await.unwrap(), None);
    assert_eq!(fake.tickets().len(), 1);
    assert_eq!(fake.create_calls(), 3);
}

/// The ambiguous failures: the ticket exists although the call failed;
/// `find` returns it, so the worker does not create a second one.
async fn created_then_failed_is_found(case: &Case) {
    let fake = FakeDesk::start(case.desk).await.unwrap();
    let dest = build_with(
        &(case.table)(&fake.url()),
        case.env,
        &http(Duration::from_millis(500)),
    )
    .unwrap();
    let afters = [
        AfterCreate::Status(500),
        AfterCreate::Drop,
        AfterCreate::StallMs(5_000),
    ];
    for (n, after) in (1..).zip(afters) {
        fake.set_faults(script(vec![Fault::CreateThen(after)]));
        let t = ticket(n);
        let f = dest.create(&t).await.unwrap_err();
        assert_eq!(
            (f.sent, f.permanent),
            (Sent::Maybe, false),
            "{after:?}: {f:?}"
        );
        let held = fake.tickets_for(&t.frontline_id);
        assert_eq!(held.len(), 1, "{after:?}");
        let found = dest
            .find(&t)
            .await
            .unwrap()
            .expect("found after an ambiguous failure");
        assert_eq!(found.ticket_id, held[0].key);
    }
    assert_eq!(fake.create_calls(), 3);
}

/// What the worker does, against 30% failures of every kind and a rate
/// limit: every ticket ends up in the desk exactly once.
async fn exactly_once_under_faults(case: &Case) {
    let fake = FakeDesk::start(case.desk).await.unwrap();
    let dest = build_with(
        &(case.table)(&fake.url()),
        case.env,
        &http(Duration::from_millis(500)),
    )
    .unwrap();
    fake.set_faults(FaultSettings {
        failure_rate: 0.3,
        seed: 11,
        refuse_share: 0.4,
        after_create: AfterCreate::Drop,
        rate_limit: Some(RateLimit {
            max_creates: 8,
            window_ms: 200,
            retry_after_s: 0,
        }),
        ..FaultSettings::default()
    });
    let mut maybes = 0;
    for n in 1..=15 {
        let t = ticket(n);
        let mut sent_maybe = false;
        for attempt in 0.. {
            assert!(attempt < 40, "ticket {n} never delivered");
            if sent_maybe && dest.find(&t).await.unwrap().is_some() {
                break;
            }
            match dest.create(&t).await {
                Ok(_) => break,
                Err(f) if f.permanent => panic!("{f:?}"),
                Err(f) => {
                    if f.sent == Sent::Maybe {
                        sent_maybe = true;
                        maybes += 1;
                    }
                    if let Some(wait) = f.retry_after.filter(|_| f.message.contains("429")) {
                        tokio::time::sleep(wait.max(Duration::from_millis(200))).await;
                    }
                }
            }
        }
        assert_eq!(fake.tickets_for(&t.frontline_id).len(), 1, "ticket {n}");
    }
    assert_eq!(fake.tickets().len(), 15);
    assert!(maybes > 0, "the faults must have caused ambiguous failures");
}

fn settings_problems_name_their_path(case: &Case) {
    let client = http(Duration::from_secs(1));
    let good = (case.table)("http://127.0.0.1:9");
    let bad_url = good.replace("http://127.0.0.1:9", "ftp://127.0.0.1:9");
    let problems = build_with(&bad_url, case.env, &client).err().unwrap();
    assert!(
        problems.iter().any(|p| p.path == "destinations.desk.url"),
        "{problems:?}"
    );
    let env: Vec<(&str, &str)> = case
        .env
        .iter()
        .filter(|(k, _)| *k != case.secret_var)
        .copied()
        .collect();
    let problems = build_with(&good, &env, &client).err().unwrap();
    let expected = format!("destinations.desk.{}", case.secret_key);
    assert!(
        problems
            .iter()
            .any(|p| p.path == expected && p.message.contains(case.secret_var)),
        "{problems:?}"
    );
    let problems = build_with(&format!("{good}\ngrup = \"x\"\n"), case.env, &client)
        .err()
        .unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.path.starts_with("destinations.desk") && p.message.contains("grup")),
        "{problems:?}"
    );
    assert!(build_with(&good, case.env, &client).is_ok());
}

macro_rules! desk_tests {
    ($module:ident, $case:expr) => {
        mod $module {
            use super::*;

            #[tokio::test]
            async fn creates_with_the_right_fields() {
                super::creates_with_the_right_fields(&$case).await
            }

            #[tokio::test]
            async fn a_wrong_credential_is_permanent() {
                super::a_wrong_credential_is_permanent(&$case).await
            }

            #[tokio::test]
            async fn a_refused_setting_is_permanent() {
                super::a_refused_setting_is_permanent(&$case).await
            }

            #[tokio::test]
            async fn rate_limits_and_refusals_create_nothing() {
                super::rate_limits_and_refusals_create_nothing(&$case).await
            }

            #[tokio::test]
            async fn created_then_failed_is_found() {
                super::created_then_failed_is_found(&$case).await
            }

            #[tokio::test]
            async fn exactly_once_under_faults() {
                super::exactly_once_under_faults(&$case).await
            }

            #[test]
            fn settings_problems_name_their_path() {
                super::settings_problems_name_their_path(&$case)
            }
        }
    };
}

const FRESHDESK: Case = Case {
    desk: Desk::Freshdesk,
    name: "Freshdesk",
    table: |url| {
        format!(
            "kind = \"freshdesk\"\nurl = \"{url}\"\napi_key = {{ env = \"FD_KEY\" }}\n\
             custom_fields = {{ cf_product = \"product\", cf_tenant = \"tenant\" }}\n"
        )
    },
    env: &[("FD_KEY", frontline_fakedesk::freshdesk::API_KEY)],
    secret_var: "FD_KEY",
    secret_key: "api_key",
    refused: |url| {
        format!("kind = \"freshdesk\"\nurl = \"{url}\"\napi_key = {{ env = \"FD_KEY\" }}\ngroup_id = 77\n")
    },
    refused_names: "group_id",
    check: |s, t| {
        let b = &s.body;
        assert!(
            s.description
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;<br>Second line"),
            "{}",
            s.description
        );
        assert!(!s.description.contains("<script"), "{}", s.description);
        assert_eq!(b["priority"], 4);
        assert_eq!(b["status"], 2);
        assert_eq!(b["email"], t.email());
        assert_eq!(b["name"], t.name());
        assert_eq!(
            b["custom_fields"]["cf_frontline_id"],
            t.frontline_id.as_str()
        );
        assert_eq!(b["custom_fields"]["cf_product"], "m365");
        assert_eq!(b["custom_fields"]["cf_tenant"], "contoso.onmicrosoft.com");
    },
};

desk_tests!(freshdesk, FRESHDESK);

const SERVICENOW: Case = Case {
    desk: Desk::Servicenow,
    name: "ServiceNow",
    table: |url| {
        format!(
            "kind = \"servicenow\"\nurl = \"{url}\"\nusername = \"frontline.integration\"\n\
             password = {{ env = \"SN_PASSWORD\" }}\ncustom_fields = {{ u_product = \"product\" }}\n"
        )
    },
    env: &[("SN_PASSWORD", frontline_fakedesk::servicenow::PASSWORD)],
    secret_var: "SN_PASSWORD",
    secret_key: "password",
    refused: |url| {
        format!(
            "kind = \"servicenow\"\nurl = \"{url}\"\nusername = \"frontline.integration\"\n\
             password = {{ env = \"SN_PASSWORD\" }}\ntable = \"incidents\"\n"
        )
    },
    refused_names: "Invalid table incidents",
    check: |s, t| {
        let b = &s.body;
        assert!(s.key.starts_with("INC"), "{}", s.key);
        assert!(
            s.description.contains(SCRIPT),
            "plain text, as typed: {}",
            s.description
        );
        assert_eq!(
            (b["urgency"].as_str(), b["impact"].as_str()),
            (Some("1"), Some("1"))
        );
        assert_eq!(b["correlation_id"], t.frontline_id.as_str());
        assert_eq!(b["correlation_display"], "Frontline");
        assert_eq!(b["u_product"], "m365");
    },
};

desk_tests!(servicenow, SERVICENOW);

#[tokio::test]
async fn servicenow_cuts_a_long_title_to_160_characters() {
    let (fake, dest) = start(&SERVICENOW).await;
    let mut t = ticket(1);
    t.title = "é".repeat(300);
    dest.create(&t).await.unwrap();
    let s = &fake.tickets()[0];
    assert_eq!(s.subject.chars().count(), 160);
    assert!(s.subject.ends_with('…'));
}

const ZAMMAD: Case = Case {
    desk: Desk::Zammad,
    name: "Zammad",
    table: |url| {
        format!(
            "kind = \"zammad\"\nurl = \"{url}\"\ntoken = {{ env = \"ZAMMAD_TOKEN\" }}\ngroup = \"Users\"\n\
             custom_fields = {{ frontline_tenant = \"tenant\" }}\n"
        )
    },
    env: &[("ZAMMAD_TOKEN", frontline_fakedesk::zammad::TOKEN)],
    secret_var: "ZAMMAD_TOKEN",
    secret_key: "token",
    refused: |url| {
        format!("kind = \"zammad\"\nurl = \"{url}\"\ntoken = {{ env = \"ZAMMAD_TOKEN\" }}\ngroup = \"Sales\"\n")
    },
    refused_names: "No lookup value found for 'group'",
    check: |s, t| {
        let b = &s.body;
        assert!(
            s.description.contains(SCRIPT),
            "plain text, as typed: {}",
            s.description
        );
        assert_eq!(s.priority, "3 high");
        assert_eq!(b["group"], "Users");
        assert_eq!(b["customer_id"], format!("guess:{}", t.email()));
        assert_eq!(b["article"]["content_type"], "text/plain");
        assert_eq!(b["article"]["internal"], false);
        assert_eq!(b["frontline_id"], t.frontline_id.as_str());
        assert_eq!(b["frontline_tenant"], "contoso.onmicrosoft.com");
    },
};

desk_tests!(zammad, ZAMMAD);

fn jira_table(url: &str, request_type: &str) -> String {
    format!(
        "kind = \"jira_service_management\"\nurl = \"{url}\"\nemail = \"relay@contoso.example\"\n\
         api_token = {{ env = \"JIRA_TOKEN\" }}\nservice_desk_id = \"1\"\nrequest_type_id = \"{request_type}\"\n\
         id_field = \"customfield_10050\"\ncustom_fields = {{ customfield_10051 = \"product\" }}\n"
    )
}

const JIRA: Case = Case {
    desk: Desk::Jira,
    name: "Jira Service Management",
    table: |url| jira_table(url, "10"),
    env: &[("JIRA_TOKEN", frontline_fakedesk::jira::API_TOKEN)],
    secret_var: "JIRA_TOKEN",
    secret_key: "api_token",
    refused: |url| jira_table(url, "11"),
    refused_names: "requestTypeId",
    check: |s, t| {
        let f = &s.body["requestFieldValues"];
        assert!(s.key.starts_with("SD-"), "{}", s.key);
        assert!(
            s.description.starts_with("{noformat}\n"),
            "{}",
            s.description
        );
        assert!(s.description.contains(SCRIPT), "{}", s.description);
        assert_eq!(f["customfield_10050"], t.frontline_id.as_str());
        assert_eq!(f["customfield_10051"], "m365");
        assert_eq!(s.body["serviceDeskId"], "1");
        assert!(s.body.get("raiseOnBehalfOf").is_none());
    },
};

desk_tests!(jira, JIRA);

fn connectwise_table(url: &str, board: &str) -> String {
    format!(
        "kind = \"connectwise\"\nurl = \"{url}\"\ncompany_id = \"contoso\"\npublic_key = \"fakepublickey\"\n\
         private_key = {{ env = \"CW_PRIVATE\" }}\nclient_id = {{ env = \"CW_CLIENT\" }}\n\
         company = \"ContosoLtd\"\nboard = \"{board}\"\ncustom_fields = {{ \"7\" = \"tenant\" }}\n"
    )
}

const CONNECTWISE: Case = Case {
    desk: Desk::Connectwise,
    name: "ConnectWise Manage",
    table: |url| connectwise_table(url, "Help Desk"),
    env: &[
        ("CW_PRIVATE", frontline_fakedesk::connectwise::PRIVATE_KEY),
        ("CW_CLIENT", frontline_fakedesk::connectwise::CLIENT_ID),
    ],
    secret_var: "CW_PRIVATE",
    secret_key: "private_key",
    refused: |url| connectwise_table(url, "Service"),
    refused_names: "board",
    check: |s, t| {
        let b = &s.body;
        assert!(
            s.description.contains(SCRIPT),
            "plain text, as typed: {}",
            s.description
        );
        assert_eq!(s.priority, "High/High");
        assert_eq!(b["externalXRef"], t.frontline_id.as_str());
        assert_eq!(b["company"]["identifier"], "ContosoLtd");
        assert_eq!(b["board"]["name"], "Help Desk");
        assert_eq!(b["contactEmailAddress"], t.email());
        assert_eq!(b["customFields"][0]["id"], 7);
        assert_eq!(b["customFields"][0]["value"], "contoso.onmicrosoft.com");
    },
};

desk_tests!(connectwise, CONNECTWISE);

#[tokio::test]
async fn connectwise_needs_the_client_id_and_a_short_summary() {
    let fake = FakeDesk::start(Desk::Connectwise).await.unwrap();
    let client = http(Duration::from_secs(10));
    let env = [
        ("CW_PRIVATE", frontline_fakedesk::connectwise::PRIVATE_KEY),
        ("CW_CLIENT", "another-client-id"),
    ];
    let dest = build_with(&connectwise_table(&fake.url(), "Help Desk"), &env, &client).unwrap();
    let f = dest.create(&ticket(1)).await.unwrap_err();
    assert!(
        f.permanent && f.message.contains("401") && !f.message.contains("another-client-id"),
        "{f:?}"
    );
    let dest = build_with(
        &connectwise_table(&fake.url(), "Help Desk"),
        CONNECTWISE.env,
        &client,
    )
    .unwrap();
    let mut t = ticket(2);
    t.title = format!("{}\nsecond line", "x".repeat(150));
    dest.create(&t).await.unwrap();
    let s = &fake.tickets()[0];
    assert_eq!(s.subject.chars().count(), 100);
    assert!(!s.subject.contains('\n'));
}

#[tokio::test]
async fn freshdesk_finds_through_search_when_the_list_misses() {
    // A ticket whose requester e-mail differs (merged contact): the list by
    // e-mail misses it, the filter on the custom field finds it.
    let (fake, dest) = start(&FRESHDESK).await;
    let mut t = ticket(1);
    dest.create(&t).await.unwrap();
    t.request.contact.email = "someone.else@contoso.example".into();
    let found = dest.find(&t).await.unwrap().expect("found by the filter");
    assert_eq!(found.ticket_id, fake.tickets()[0].key);
    assert_eq!(
        found.url.as_deref(),
        Some(format!("{}/a/tickets/1", fake.url()).as_str())
    );
}

#[test]
fn freshdesk_id_field_must_be_a_custom_field() {
    let table = "kind = \"freshdesk\"\nurl = \"https://acme.freshdesk.com\"\napi_key = { env = \"FD_KEY\" }\nid_field = \"frontline\"\n";
    let problems = build_with(table, FRESHDESK.env, &http(Duration::from_secs(1)))
        .err()
        .unwrap();
    assert_eq!(problems[0].path, "destinations.desk.id_field");
}
