//! The e-mail destination against a fake SMTP server on loopback.

#[path = "support/smtp.rs"]
mod smtp;

use std::collections::BTreeSet;

use base64::Engine as _;
use frontline_core::request::Request;
use frontline_relay::forward::email::{Email, EmailSettings};
use frontline_relay::forward::{Destination, Sent, Ticket};
use smtp::{FakeSmtp, Script};

fn env(name: &str) -> Option<String> {
    (name == "SMTP_PASSWORD").then(|| "hunter2-hunter2".to_string())
}

fn email_for(server: &FakeSmtp, extra: &str) -> Email {
    let text = format!(
        "host = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"Frontline <relay@partner.example>\"\nto = [\"support@partner.example\", \"Desk <desk@partner.example>\"]\n{extra}",
        server.addr.port()
    );
    let settings: EmailSettings = toml::from_str(&text).unwrap();
    settings.build("destinations.mail", &env).unwrap()
}

fn ticket(edit: impl FnOnce(&mut Request)) -> Ticket {
    let mut request = Request::example();
    edit(&mut request);
    let json = serde_json::to_string(&request).unwrap();
    Ticket::new(request, json, "FL-000042".into(), None, None)
}

/// The message's headers (unfolded, in order) and its body. Panics on a
/// line in the header block that is not a `Name: value` header.
fn parse(raw: &[u8]) -> (Vec<(String, String)>, String) {
    let raw = std::str::from_utf8(raw).expect("the message is ASCII");
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .expect("a blank line ends the headers");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        assert!(!line.contains(['\r', '\n']), "a bare CR or LF: {line:?}");
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().expect("a continuation after a header");
            last.1.push_str(line);
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("not a header: {line:?}"));
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "not a header name: {name:?}"
        );
        headers.push((name.to_string(), value.trim().to_string()));
    }
    (headers, body.to_string())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

fn names(headers: &[(String, String)]) -> BTreeSet<String> {
    headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect()
}

fn expected_names(with_reply_to: bool) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = [
        "date",
        "from",
        "to",
        "subject",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    ]
    .map(String::from)
    .into();
    if with_reply_to {
        set.insert("reply-to".into());
    }
    set
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`);
/// whitespace between two encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let word = &rest[start + 2..];
        let mut parts = word.splitn(3, '?');
        let (_charset, enc, tail) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let end = tail.find("?=").unwrap();
        let text = &tail[..end];
        let bytes = if enc.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap()
        } else {
            quoted_printable::decode(text.replace('_', " "), quoted_printable::ParseMode::Robust)
                .unwrap()
        };
        out.push_str(&String::from_utf8(bytes).unwrap());
        rest = &tail[end + 2..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

/// The body as text, decoded per its Content-Transfer-Encoding, with LF
/// line ends.
fn decode_body(headers: &[(String, String)], body: &str) -> String {
    let cte = header(headers, "content-transfer-encoding")[0].to_ascii_lowercase();
    let bytes = match cte.as_str() {
        "7bit" | "8bit" => body.as_bytes().to_vec(),
        "quoted-printable" => {
            quoted_printable::decode(body, quoted_printable::ParseMode::Strict).unwrap()
        }
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(body.replace("\r\n", ""))
            .unwrap(),
        other => panic!("unexpected encoding {other}"),
    };
    String::from_utf8(bytes).unwrap().replace("\r\n", "\n")
}

#[tokio::test]
async fn a_message_arrives_with_its_headers_and_body() {
    let server = FakeSmtp::start().await;
    let mail = email_for(&server, "");
    let mut t = ticket(|r| {
        r.problem.title = "Drucker druckt nicht – Ärger im Büro".into();
        r.contact.name = "Erika Mustermann".into();
        r.contact.email = "erika@customer.example".into();
    });
    // Lines a naive server would take for the end of the data.
    t.body
        .push_str("\n.\n..two dots\n.leading dot\nlast line\n");
    let delivered = mail.create(&t).await.unwrap();
    let message_id = format!("<{}@frontline.invalid>", t.frontline_id);
    assert_eq!(delivered.ticket_id, message_id);
    assert_eq!(mail.find(&t).await, Ok(None));

    let got = server.messages();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert!(m.accepted);
    assert_eq!(m.from, "relay@partner.example");
    assert_eq!(m.to, ["support@partner.example", "desk@partner.example"]);
    let (headers, body) = parse(&m.data);
    assert_eq!(names(&headers), expected_names(true), "{headers:?}");
    for name in expected_names(true) {
        assert_eq!(header(&headers, &name).len(), 1, "one {name}");
    }
    assert_eq!(header(&headers, "message-id"), [message_id.as_str()]);
    assert_eq!(
        decode_words(header(&headers, "subject")[0]),
        "[FL-000042] Drucker druckt nicht – Ärger im Büro"
    );
    assert_eq!(
        header(&headers, "reply-to"),
        ["\"Erika Mustermann\" <erika@customer.example>"]
    );
    assert_eq!(
        header(&headers, "from"),
        ["Frontline <relay@partner.example>"]
    );
    assert!(header(&headers, "content-type")[0].starts_with("text/plain"));
    assert_eq!(decode_body(&headers, &body).trim_end(), t.body.trim_end());
}

#[tokio::test]
async fn customer_text_cannot_add_headers() {
    let server = FakeSmtp::start().await;
    let mail = email_for(&server, "");
    // A malformed address: no Reply-To at all.
    let t = ticket(|r| {
        r.problem.title =
            "Printer\r\nBcc: evil@attacker.example\r\n\r\nfake body\nX-A: 1\rX-B: 2\u{0}\u{2028}X-C: 3".into();
        r.contact.name = "Eve\r\nX-Injected: 1".into();
        r.contact.email = "eve@customer.example\r\nBcc: evil@attacker.example".into();
    });
    mail.create(&t).await.unwrap();
    // A valid address with a hostile display name: Reply-To, one line.
    let t2 = ticket(|r| {
        r.problem.title = "Plain".into();
        r.contact.name = "Eve\r\nBcc: evil@attacker.example\n\"quoted\" <x@y>".into();
        r.contact.email = "eve@customer.example".into();
    });
    mail.create(&t2).await.unwrap();

    let got = server.messages();
    assert_eq!(got.len(), 2);
    for m in &got {
        assert_eq!(m.to, ["support@partner.example", "desk@partner.example"]);
    }
    let (headers, body) = parse(&got[0].data);
    assert_eq!(names(&headers), expected_names(false), "{headers:?}");
    assert_eq!(
        decode_words(header(&headers, "subject")[0]),
        "[FL-000042] Printer Bcc: evil@attacker.example fake body X-A: 1 X-B: 2 X-C: 3"
    );
    // The address the customer typed is still in the body, for staff.
    assert!(decode_body(&headers, &body).contains("eve@customer.example"));

    let (headers, _) = parse(&got[1].data);
    assert_eq!(names(&headers), expected_names(true), "{headers:?}");
    let reply_to = decode_words(header(&headers, "reply-to")[0]);
    assert!(reply_to.ends_with("<eve@customer.example>"), "{reply_to}");
    assert!(
        reply_to.contains("Eve Bcc: evil@attacker.example"),
        "{reply_to}"
    );
}

#[tokio::test]
async fn a_malformed_customer_address_does_not_stop_the_message() {
    let server = FakeSmtp::start().await;
    let mail = email_for(&server, "");
    for bad in [
        "not an address",
        "",
        "a@b@c",
        "\"quoted\"@x.example",
        "ü@x.example",
    ] {
        let t = ticket(|r| r.contact.email = bad.into());
        mail.create(&t).await.unwrap();
    }
    let got = server.messages();
    assert_eq!(got.len(), 5);
    for m in &got {
        let (headers, _) = parse(&m.data);
        assert_eq!(names(&headers), expected_names(false), "{headers:?}");
    }
}

#[tokio::test]
async fn transient_refusals_are_retried_as_not_sent() {
    let server = FakeSmtp::start().await;
    let mail = email_for(&server, "");
    let t = ticket(|_| {});
    server.then(Script::RefuseMail("451 4.3.0 try again later"));
    let f = mail.create(&t).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, false), "{f:?}");
    assert!(f.message.contains("451"), "{}", f.message);
    assert!(server.messages().is_empty());

    server.then(Script::Greet("421 4.3.2 too busy"));
    let f = mail.create(&t).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, false), "{f:?}");

    // Refused after the final dot: the server says it did not take it.
    server.then(Script::RefuseData("452 4.3.1 insufficient storage"));
    let f = mail.create(&t).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, false), "{f:?}");
    assert!(!server.messages()[0].accepted);
}

#[tokio::test]
async fn permanent_refusals_are_permanent() {
    let server = FakeSmtp::start().await;
    let mail = email_for(&server, "");
    let t = ticket(|_| {});
    server.then(Script::RefuseRcpt("550 5.1.1 no such user"));
    let f = mail.create(&t).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, true), "{f:?}");
    assert!(f.message.contains("550"), "{}", f.message);
    server.then(Script::RefuseData("554 5.7.1 rejected as spam"));
    let f = mail.create(&t).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, true), "{f:?}");
    // Nothing was taken.
    assert!(server.messages().iter().all(|m| !m.accepted));
}

#[tokio::test]
async fn a_drop_after_the_data_may_have_sent_and_the_retry_keeps_the_message_id() {
    let server = FakeSmtp::start().await;
    let mail = email_for(&server, "");
    let t = ticket(|_| {});
    server.then(Script::DropAfterData);
    let f = mail.create(&t).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::Maybe, false), "{f:?}");
    assert_eq!(mail.find(&t).await, Ok(None));
    mail.create(&t).await.unwrap();

    let got = server.messages();
    assert_eq!(got.len(), 2);
    let ids: Vec<String> = got
        .iter()
        .map(|m| header(&parse(&m.data).0, "message-id")[0].to_string())
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[0], format!("<{}@frontline.invalid>", t.frontline_id));
}

#[tokio::test]
async fn no_answer_after_the_data_may_have_sent() {
    let server = FakeSmtp::start().await;
    let mail = email_for(&server, "").with_step_timeout(std::time::Duration::from_millis(300));
    server.then(Script::HangAfterData);
    let f = mail.create(&ticket(|_| {})).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::Maybe, false), "{f:?}");
    assert!(f.message.contains("no answer"), "{}", f.message);
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn nobody_listening_is_not_sent() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let settings: EmailSettings = toml::from_str(&format!(
        "host = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"relay@partner.example\"\nto = [\"support@partner.example\"]\n"
    ))
    .unwrap();
    let mail = settings.build("destinations.mail", &env).unwrap();
    let f = mail.create(&ticket(|_| {})).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, false), "{f:?}");
}

#[tokio::test]
async fn logs_in_when_configured() {
    let server = FakeSmtp::start_with_login("relay", "hunter2-hunter2").await;
    let t = ticket(|_| {});
    // Without credentials the server refuses MAIL: permanent.
    let f = email_for(&server, "").create(&t).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, true), "{f:?}");
    let mail = email_for(
        &server,
        "user = \"relay\"\npassword = { env = \"SMTP_PASSWORD\" }\n",
    );
    mail.create(&t).await.unwrap();
    assert_eq!(server.messages().len(), 1);
    let wrong = email_for(
        &server,
        "user = \"someone\"\npassword = { env = \"SMTP_PASSWORD\" }\n",
    );
    let f = wrong.create(&t).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, true), "{f:?}");
    assert!(f.message.contains("535"), "{}", f.message);
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn starttls_not_offered_sends_nothing() {
    let server = FakeSmtp::start_with_login("relay", "hunter2-hunter2").await;
    let settings: EmailSettings = toml::from_str(&format!(
        "host = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\nuser = \"relay\"\npassword = {{ env = \"SMTP_PASSWORD\" }}\nfrom = \"relay@partner.example\"\nto = [\"support@partner.example\"]\n",
        server.addr.port()
    ))
    .unwrap();
    let mail = settings.build("destinations.mail", &env).unwrap();
    let f = mail.create(&ticket(|_| {})).await.unwrap_err();
    assert_eq!((f.sent, f.permanent), (Sent::No, true), "{f:?}");
    assert!(f.message.contains("STARTTLS"), "{}", f.message);
    let commands = server.commands();
    assert!(
        commands
            .iter()
            .all(|c| !c.starts_with("AUTH") && !c.starts_with("MAIL")),
        "{commands:?}"
    );
    assert!(server.messages().is_empty());
}
