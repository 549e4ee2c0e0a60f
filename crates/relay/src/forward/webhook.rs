//! The webhook destination: each request POSTed as JSON to the partner's
//! URL, signed per the Standard Webhooks specification (v1.0.0,
//! `spec/standard-webhooks.md` of github.com/standard-webhooks).
//!
//! # Configuration
//!
//! ```toml
//! [destinations.hook]
//! kind = "webhook"
//! url = "https://hooks.partner.example/frontline"
//! secret = { env = "FRONTLINE_WEBHOOK_SECRET" }   # whsec_<base64 of 24-64 random bytes>
//! # calls_per_minute = 60                         # only if the receiver has a limit
//! ```
//!
//! # What the receiver gets
//!
//! ```text
//! POST <url>
//! content-type: application/json
//! webhook-id: msg_<the request's Frontline id>
//! webhook-timestamp: <this attempt's time, Unix seconds>
//! webhook-signature: v1,<base64 of HMAC-SHA256(key, "{id}.{timestamp}.{body}")>
//!
//! {"type":"frontline.request.received","reference":"FL-000123","flagged":null,"request":{…}}
//! ```
//!
//! The body ([`envelope`]) is the same on every attempt: `type` names the
//! event, `reference` is the relay's reference the customer was told,
//! `flagged` is `null` or what the relay's re-check of the decision found
//! different (staff should look before acting on it), and `request` is the
//! `frontline.request/v1` JSON exactly as the relay received it.
//!
//! The key is the secret `whsec_<base64>` (24 to 64 random bytes), shared
//! with the receiver. The receiver checks the signature over the raw body
//! (before parsing it) and the timestamp's age with [`verify`], and
//! **deduplicates on `webhook-id`**: it stays the same across retries, and
//! the relay retries whenever an attempt's outcome is unknown (a timeout, a
//! dropped connection, a 5xx). [`Destination::find`] cannot ask a webhook
//! whether it got an earlier attempt, so it answers `Ok(None)`, and exactly
//! once is the receiver's dedup on that id.
//!
//! The answer: any 2xx is delivered. Its JSON `id`, `ticket_id` or
//! `reference` (a string or a number), when present, is kept as the
//! ticket's id; otherwise the `webhook-id` is. Other statuses are classified
//! by [`super::http::refusal`]: 429 waits for `Retry-After`, 408 and 5xx may
//! have been processed, the rest (3xx, 400, 401, 404, 410 …) are permanent.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use serde::Deserialize;
use sha2::Sha256;

use super::{Delivered, Destination, Env, Failure, Ticket};
use crate::config::{check_url, ConfigProblem, SecretRef};

/// The envelope's `type`.
pub const EVENT_TYPE: &str = "frontline.request.received";
/// How far a `webhook-timestamp` may be from the receiver's clock, either
/// way: the spec's five minutes.
pub const TOLERANCE: Duration = Duration::from_secs(5 * 60);
/// The header with the message's id.
pub const HEADER_ID: &str = "webhook-id";
/// The header with the attempt's time.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// The header with the signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// The secret's prefix.
const SECRET_PREFIX: &str = "whsec_";
/// The spec's bounds for a symmetric key: 24 to 64 bytes.
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// `[destinations.NAME]` with `kind = "webhook"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Where to POST: `https://hooks.example.com/frontline`.
    pub url: String,
    /// The signing secret, `whsec_<base64>`: `{ env = "…" }` or
    /// `{ file = "…" }`.
    pub secret: SecretRef,
    /// The receiver's limit, when it has one.
    #[serde(default)]
    pub calls_per_minute: Option<u32>,
}

impl WebhookSettings {
    /// Checks the settings, reads the secret and makes the destination.
    pub fn build(
        &self,
        path: &str,
        env: Env<'_>,
        http: &reqwest::Client,
    ) -> Result<Webhook, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        let url = check_url(&format!("{path}.url"), &self.url).map_err(|p| problems.push(p));
        let secret_path = format!("{path}.secret");
        let secret = self
            .secret
            .resolve_with(&secret_path, env)
            .and_then(|s| {
                WebhookSecret::parse(s.expose())
                    .map_err(|why| ConfigProblem::new(&secret_path, why))
            })
            .map_err(|p| problems.push(p));
        if self.calls_per_minute == Some(0) {
            problems.push(ConfigProblem::new(
                format!("{path}.calls_per_minute"),
                "0 would never send: leave it out when the receiver has no limit",
            ));
        }
        match (url, secret) {
            (Ok(url), Ok(secret)) if problems.is_empty() => Ok(Webhook {
                url,
                secret,
                http: http.clone(),
                calls_per_minute: self.calls_per_minute,
            }),
            _ => Err(problems),
        }
    }
}

/// A Standard Webhooks symmetric key. Its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

impl WebhookSecret {
    /// Reads `whsec_<base64>`; the message says what is wrong.
    pub fn parse(secret: &str) -> Result<WebhookSecret, String> {
        let Some(encoded) = secret.strip_prefix(SECRET_PREFIX) else {
            return Err(
                "the secret must be whsec_ followed by base64, as the Standard Webhooks spec writes it (e.g. whsec_ and `openssl rand -base64 32`)"
                    .into(),
            );
        };
        let key = BASE64
            .decode(encoded)
            .map_err(|e| format!("the part after whsec_ is not base64 ({e})"))?;
        if !KEY_BYTES.contains(&key.len()) {
            return Err(format!(
                "the key is {} bytes; the Standard Webhooks spec asks for {} to {} random bytes",
                key.len(),
                KEY_BYTES.start(),
                KEY_BYTES.end()
            ));
        }
        Ok(WebhookSecret { key })
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC takes keys of any length; the error cannot happen.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value for one attempt: `v1,<base64>`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", BASE64.encode(tag))
    }
}

/// Why [`verify`] refused a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    /// A header is missing or not text.
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not an integer.
    BadTimestamp,
    /// The timestamp is further than the tolerance from `now` (a replay,
    /// or a clock off).
    OutsideTolerance,
    /// No `v1` signature matches the body with this key.
    BadSignature,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejected::MissingHeader(h) => write!(f, "the {h} header is missing"),
            Rejected::BadTimestamp => write!(f, "{HEADER_TIMESTAMP} is not Unix seconds"),
            Rejected::OutsideTolerance => write!(f, "{HEADER_TIMESTAMP} is too old or too new"),
            Rejected::BadSignature => write!(f, "no signature matches"),
        }
    }
}

impl std::error::Error for Rejected {}

/// What a receiver runs on each webhook, before parsing the body: checks
/// that `body` (the raw bytes received) was signed with `secret` for the
/// `webhook-id` and `webhook-timestamp` in `headers`, and that the
/// timestamp is within `tolerance` ([`TOLERANCE`]) of `now`. Returns the
/// `webhook-id`, the key to deduplicate on. Signatures are compared in
/// constant time; any one `v1` signature of the space-separated list may
/// match (key rotation).
pub fn verify(
    secret: &WebhookSecret,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
    tolerance: Duration,
) -> Result<String, Rejected> {
    let header = |name: &'static str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(Rejected::MissingHeader(name))
    };
    let id = header(HEADER_ID)?;
    let timestamp: i64 = header(HEADER_TIMESTAMP)?
        .trim()
        .parse()
        .map_err(|_| Rejected::BadTimestamp)?;
    let signatures = header(HEADER_SIGNATURE)?;
    let now = unix_seconds(now);
    if timestamp.abs_diff(now) > tolerance.as_secs() {
        return Err(Rejected::OutsideTolerance);
    }
    let expected = secret.mac(id, timestamp, body);
    let matches = signatures
        .split(' ')
        .filter_map(|s| s.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .filter_map(|(_, sig)| BASE64.decode(sig).ok())
        .any(|sig| expected.clone().verify_slice(&sig).is_ok());
    if matches {
        Ok(id.to_string())
    } else {
        Err(Rejected::BadSignature)
    }
}

fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// The `webhook-id` of a request: `msg_` and its Frontline id, the same on
/// every attempt. Anything but letters, digits, `-` and `_` becomes `_`
/// (the spec forbids `.` in it; a UUID has none).
pub fn webhook_id(frontline_id: &str) -> String {
    let safe: String = frontline_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("msg_{safe}")
}

#[derive(serde::Serialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    reference: &'a str,
    flagged: Option<&'a str>,
    request: &'a serde_json::value::RawValue,
}

/// The body POSTed for `ticket` (see the module's docs): the request JSON
/// is embedded as received, not re-serialised.
pub fn envelope(ticket: &Ticket) -> Result<String, Failure> {
    let request: Box<serde_json::value::RawValue> = serde_json::from_str(&ticket.request_json)
        .map_err(|e| {
            Failure::permanent(format!(
                "webhook: the stored request is not JSON ({e}); nothing was sent"
            ))
        })?;
    serde_json::to_string(&Envelope {
        kind: EVENT_TYPE,
        reference: &ticket.reference,
        flagged: ticket.flagged.as_deref(),
        request: &request,
    })
    .map_err(|e| Failure::permanent(format!("webhook: cannot write the body ({e})")))
}

/// The ticket id an answer names: its JSON `id`, `ticket_id` or
/// `reference`, a non-empty string or a number.
fn answered_id(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    ["id", "ticket_id", "reference"]
        .iter()
        .find_map(|key| match value.get(key)? {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

/// The webhook destination (see the module's docs).
#[derive(Debug, Clone)]
pub struct Webhook {
    url: reqwest::Url,
    secret: WebhookSecret,
    http: reqwest::Client,
    calls_per_minute: Option<u32>,
}

impl Webhook {
    /// A webhook to `url` signed with `secret`, sent by `http`.
    pub fn new(url: reqwest::Url, secret: WebhookSecret, http: reqwest::Client) -> Webhook {
        Webhook {
            url,
            secret,
            http,
            calls_per_minute: None,
        }
    }
}

#[async_trait::async_trait]
impl Destination for Webhook {
    async fn create(&self, ticket: &Ticket) -> Result<Delivered, Failure> {
        let body = envelope(ticket)?;
        let id = webhook_id(&ticket.frontline_id);
        let timestamp = unix_seconds(SystemTime::now());
        let signature = self.secret.sign(&id, timestamp, body.as_bytes());
        let request = self
            .http
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(HEADER_ID, &id)
            .header(HEADER_TIMESTAMP, timestamp.to_string())
            .header(HEADER_SIGNATURE, signature)
            .body(body);
        let what = format!("webhook POST {}", self.url);
        let answer = super::http::send(request, &what).await?;
        Ok(Delivered {
            ticket_id: answered_id(&answer.body).unwrap_or(id),
            url: None,
        })
    }

    /// Always `Ok(None)`: a webhook cannot be asked what it received. The
    /// receiver deduplicates on `webhook-id` instead.
    async fn find(&self, _ticket: &Ticket) -> Result<Option<Delivered>, Failure> {
        Ok(None)
    }

    fn calls_per_minute(&self) -> Option<u32> {
        self.calls_per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn headers(id: &str, timestamp: &str, signature: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HEADER_ID, HeaderValue::from_str(id).unwrap());
        h.insert(HEADER_TIMESTAMP, HeaderValue::from_str(timestamp).unwrap());
        h.insert(HEADER_SIGNATURE, HeaderValue::from_str(signature).unwrap());
        h
    }

    /// The vectors published in the standard-webhooks repository's own
    /// tests (libraries/go/webhook_test.go `TestWebhookSign`, and
    /// libraries/rust/src/lib.rs `test_sign`).
    #[test]
    fn signs_the_specs_published_test_vectors() {
        let go = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            go.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let rust = WebhookSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        assert_eq!(
            rust.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, body),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
        // And verify accepts the published signature as a receiver sees it.
        let h = headers(
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            "1649367553",
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
        );
        assert_eq!(
            verify(&rust, &h, body, at(1649367553 + 10), TOLERANCE).unwrap(),
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"
        );
    }

    #[test]
    fn verify_rejects_forgeries_tampering_and_replays() {
        let key = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let other = WebhookSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let body = br#"{"type":"frontline.request.received"}"#;
        let ts = 1_700_000_000u64;
        let sig = key.sign("msg_a", ts as i64, body);
        let ok = headers("msg_a", &ts.to_string(), &sig);
        assert_eq!(
            verify(&key, &ok, body, at(ts), TOLERANCE),
            Ok("msg_a".into())
        );
        // The edges of the five minutes, either way.
        assert!(verify(&key, &ok, body, at(ts + 300), TOLERANCE).is_ok());
        assert!(verify(&key, &ok, body, at(ts - 300), TOLERANCE).is_ok());
        assert_eq!(
            verify(&key, &ok, body, at(ts + 301), TOLERANCE),
            Err(Rejected::OutsideTolerance)
        );
        assert_eq!(
            verify(&key, &ok, body, at(ts - 301), TOLERANCE),
            Err(Rejected::OutsideTolerance)
        );
        // Another key, a changed body, a changed id or timestamp.
        assert_eq!(
            verify(&other, &ok, body, at(ts), TOLERANCE),
            Err(Rejected::BadSignature)
        );
        assert_eq!(
            verify(
                &key,
                &ok,
                br#"{"type":"frontline.request.receivedX"}"#,
                at(ts),
                TOLERANCE
            ),
            Err(Rejected::BadSignature)
        );
        let h = headers("msg_b", &ts.to_string(), &sig);
        assert_eq!(
            verify(&key, &h, body, at(ts), TOLERANCE),
            Err(Rejected::BadSignature)
        );
        let h = headers("msg_a", &(ts + 1).to_string(), &sig);
        assert_eq!(
            verify(&key, &h, body, at(ts), TOLERANCE),
            Err(Rejected::BadSignature)
        );
        // A v2 signature with the right bytes does not count; a list with
        // one good v1 among bad ones does (rotation).
        let bytes = sig.strip_prefix("v1,").unwrap();
        let h = headers("msg_a", &ts.to_string(), &format!("v2,{bytes}"));
        assert_eq!(
            verify(&key, &h, body, at(ts), TOLERANCE),
            Err(Rejected::BadSignature)
        );
        let list = format!("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,!!! {sig}");
        let h = headers("msg_a", &ts.to_string(), &list);
        assert!(verify(&key, &h, body, at(ts), TOLERANCE).is_ok());
        // Missing or malformed headers.
        let mut h = ok.clone();
        h.remove(HEADER_SIGNATURE);
        assert_eq!(
            verify(&key, &h, body, at(ts), TOLERANCE),
            Err(Rejected::MissingHeader(HEADER_SIGNATURE))
        );
        let h = headers("msg_a", "yesterday", &sig);
        assert_eq!(
            verify(&key, &h, body, at(ts), TOLERANCE),
            Err(Rejected::BadTimestamp)
        );
    }

    #[test]
    fn secrets_are_whsec_base64_of_24_to_64_bytes() {
        assert!(WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap_err()
            .contains("whsec_"));
        assert!(WebhookSecret::parse("whsec_not base64!")
            .unwrap_err()
            .contains("not base64"));
        let short = format!("whsec_{}", BASE64.encode([7u8; 16]));
        assert!(WebhookSecret::parse(&short)
            .unwrap_err()
            .contains("16 bytes"));
        let long = format!("whsec_{}", BASE64.encode([7u8; 65]));
        assert!(WebhookSecret::parse(&long).is_err());
        assert!(WebhookSecret::parse(&format!("whsec_{}", BASE64.encode([7u8; 64]))).is_ok());
        let s = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(format!("{s:?}"), "WebhookSecret(…)");
    }

    #[test]
    fn ids_and_answers() {
        assert_eq!(
            webhook_id("0b9e2c1a-0000-4000-8000-000000000001"),
            "msg_0b9e2c1a-0000-4000-8000-000000000001"
        );
        assert_eq!(webhook_id("a.b\r\nc"), "msg_a_b__c");
        assert_eq!(answered_id(r#"{"id":"T-9"}"#).as_deref(), Some("T-9"));
        assert_eq!(answered_id(r#"{"ticket_id":42}"#).as_deref(), Some("42"));
        assert_eq!(
            answered_id(r#"{"id":"","reference":"R1"}"#).as_deref(),
            Some("R1")
        );
        assert_eq!(answered_id("accepted"), None);
        assert_eq!(answered_id(r#"{"ok":true}"#), None);
    }

    fn env(name: &str) -> Option<String> {
        (name == "HOOK_SECRET").then(|| "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_string())
    }

    fn settings(toml_text: &str) -> Result<WebhookSettings, toml::de::Error> {
        toml::from_str(toml_text)
    }

    #[test]
    fn settings_problems_name_their_path() {
        let http = reqwest::Client::new();
        let good = settings(
            "url = \"https://hooks.example.com/frontline\"\nsecret = { env = \"HOOK_SECRET\" }\n",
        )
        .unwrap();
        assert!(good.build("destinations.hook", &env, &http).is_ok());

        let s = settings("url = \"ftp://x\"\nsecret = { env = \"UNSET\" }\ncalls_per_minute = 0\n")
            .unwrap();
        let problems = s.build("destinations.hook", &env, &http).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "destinations.hook.url",
                "destinations.hook.secret",
                "destinations.hook.calls_per_minute"
            ]
        );
        assert!(problems[1].message.contains("UNSET is not set"));

        let wrong = |name: &str| (name == "S").then(|| "plain-secret".to_string());
        let s = settings("url = \"https://x\"\nsecret = { env = \"S\" }\n").unwrap();
        let problems = s.build("destinations.hook", &wrong, &http).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "destinations.hook.secret");
        assert!(problems[0].message.contains("whsec_"));

        let e =
            settings("url = \"https://x\"\nsecret = { env = \"S\" }\nsecrte = 1\n").unwrap_err();
        assert!(e.to_string().contains("unknown field `secrte`"), "{e}");
    }
}
