//! The HTTP client every help desk destination shares, and how its answers
//! become [`Failure`]s.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

use super::{Failure, Sent};

/// Longest wait for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for a whole answer. After it the body may have arrived:
/// [`Sent::Maybe`].
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// The most of a help desk's error body quoted to the admin.
const QUOTED_CHARS: usize = 300;

/// A client with the relay's timeouts and user agent.
pub fn client() -> reqwest::Client {
    client_with_timeout(ANSWER_TIMEOUT)
}

/// [`client`] with another answer timeout (shorter under a short lease; see
/// [`crate::worker::Policy::answer_timeout`]).
pub fn client_with_timeout(answer: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(answer))
        .timeout(answer)
        .user_agent(concat!("frontline-relay/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// A 2xx answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body as text.
    pub body: String,
}

/// Sends `request` and returns a 2xx answer, or the [`Failure`] the rest
/// means. `what` names the call for messages ("Freshdesk POST /api/v2/tickets").
pub async fn send(request: reqwest::RequestBuilder, what: &str) -> Result<Answer, Failure> {
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Err(transport(&e, what)),
    };
    let status = response.status();
    let headers = response.headers().clone();
    let body = match response.text().await {
        Ok(b) => b,
        Err(e) if status.is_success() => {
            return Err(Failure::maybe_sent(format!(
                "{what}: {status}, then the answer broke off ({e})"
            )))
        }
        Err(_) => String::new(),
    };
    if status.is_success() {
        return Ok(Answer {
            status,
            headers,
            body,
        });
    }
    Err(refusal(status, &headers, &body, what))
}

/// A transport error: before the request went out (connect), or after.
pub fn transport(e: &reqwest::Error, what: &str) -> Failure {
    if e.is_connect() {
        Failure::not_sent(format!("{what}: cannot connect ({e})"))
    } else if e.is_timeout() {
        Failure::maybe_sent(format!(
            "{what}: no answer in time; the ticket may exist, so it is looked up before sending again"
        ))
    } else if e.is_builder() {
        Failure::permanent(format!("{what}: the request could not be built ({e})"))
    } else {
        Failure::maybe_sent(format!("{what}: the connection failed ({e})"))
    }
}

/// What a non-2xx status means.
pub fn refusal(status: StatusCode, headers: &HeaderMap, body: &str, what: &str) -> Failure {
    let quoted: String = body.chars().take(QUOTED_CHARS).collect();
    let quoted = quoted.replace(['\r', '\n'], " ");
    let message = if quoted.trim().is_empty() {
        format!("{what}: {status}")
    } else {
        format!("{what}: {status}: {}", quoted.trim())
    };
    let retry_after = retry_after(headers);
    match status.as_u16() {
        429 => Failure {
            sent: Sent::No,
            permanent: false,
            retry_after,
            message,
        },
        408 | 500..=599 => Failure {
            sent: Sent::Maybe,
            permanent: false,
            retry_after,
            message,
        },
        // 400, 401, 403, 404, 409, 415, 422: the configuration or the
        // mapping is wrong; retrying the same call cannot succeed.
        _ => Failure {
            sent: Sent::No,
            permanent: true,
            retry_after,
            message,
        },
    }
}

/// `Retry-After` in seconds, or as an HTTP date (RFC 9110 §10.2.3).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn with_retry_after(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn statuses_mean_what_the_worker_needs() {
        let h = with_retry_after("7");
        let f = refusal(StatusCode::TOO_MANY_REQUESTS, &h, "slow down", "Desk");
        assert_eq!(
            (f.sent, f.permanent, f.retry_after),
            (Sent::No, false, Some(Duration::from_secs(7)))
        );
        assert_eq!(f.message, "Desk: 429 Too Many Requests: slow down");
        let f = refusal(StatusCode::BAD_GATEWAY, &HeaderMap::new(), "", "Desk");
        assert_eq!((f.sent, f.permanent), (Sent::Maybe, false));
        let f = refusal(
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            "{\"code\":\"invalid_credentials\"}\n",
            "Desk",
        );
        assert_eq!((f.sent, f.permanent), (Sent::No, true));
        assert!(f.message.contains("invalid_credentials") && !f.message.contains('\n'));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(
            retry_after(&with_retry_after("120")),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(&with_retry_after("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&with_retry_after("soon")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}
