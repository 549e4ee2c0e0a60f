//! The relay's optional proof of work, as the portal solves it: everything
//! but the key derivation, which is the browser's Web Crypto (PBKDF2 with
//! SHA-256) in the portal, and the `pbkdf2` crate in the tests.
//!
//! When the ruleset sets `intake.challenge_url`, the portal fetches an
//! ALTCHA v2 challenge there before each attempt to send a request
//! ([`Challenge::parse`]), tries counters from 0 up until the key derived
//! from [`Challenge::password`] starts with the challenge's prefix
//! ([`Challenge::solved_by`]), and sends [`Challenge::header`] as
//! [`POW_HEADER`] with that attempt only. Each solution works once: every
//! retry solves a new challenge. A customer's request never waits on it for
//! ever: after [`MAX_COUNTER`] counters (or the portal's time bound) the
//! attempt counts as failed and the outbox tries again later.
//!
//! ```
//! use frontline_core::pow::Challenge;
//! let c = Challenge::parse(r#"{"parameters":{"algorithm":"PBKDF2/SHA-256","cost":50,
//!     "expiresAt":1900000000,"keyLength":32,"keyPrefix":"00","nonce":"0a0b","salt":"ff"},
//!     "signature":"5e"}"#).unwrap();
//! assert_eq!(c.password(258), [0x0a, 0x0b, 0, 0, 1, 2]);
//! assert!(c.solved_by(&[0x00, 0x7f]) && !c.solved_by(&[0x01, 0x00]));
//! ```

use serde_json::Value;

/// The request header carrying a solution: base64 of the ALTCHA payload
/// JSON `{"challenge": …, "solution": {"counter", "derivedKey"}}`.
pub const POW_HEADER: &str = "Frontline-Pow";
/// The one key derivation the portal solves (what Frontline's relay asks).
pub const ALGORITHM: &str = "PBKDF2/SHA-256";
/// Counters tried before an attempt gives up (a prefix of two hex digits
/// takes 256 on average).
pub const MAX_COUNTER: u32 = 1 << 20;
/// The longest derived key accepted, in bytes.
pub const MAX_KEY_LENGTH: u32 = 64;
/// The most PBKDF2 iterations per try accepted (the relay's own bound).
pub const MAX_COST: u32 = 1_000_000;

/// A challenge as the relay's `GET /challenge` answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The challenge object as received (JSON text, white space and all):
    /// sent back untouched, since its signature covers its parameters.
    text: String,
    /// `parameters.nonce`, decoded: the start of every password.
    pub nonce: Vec<u8>,
    /// `parameters.salt`, decoded.
    pub salt: Vec<u8>,
    /// `parameters.cost`: PBKDF2 iterations.
    pub cost: u32,
    /// `parameters.keyLength`: bytes of derived key.
    pub key_length: u32,
    /// `parameters.keyPrefix`: hex digits the derived key's hex starts
    /// with (in lower case).
    pub key_prefix: String,
}

impl Challenge {
    /// Reads a challenge, or says why it cannot be solved here.
    pub fn parse(text: &str) -> Result<Challenge, &'static str> {
        let v = crate::json::parse(text).map_err(|_| "not JSON")?;
        let p = v
            .get("parameters")
            .filter(|p| p.is_object())
            .ok_or("no parameters")?;
        let s = |name| p.get(name).and_then(Value::as_str);
        let n = |name| {
            p.get(name)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
        };
        if s("algorithm") != Some(ALGORITHM) {
            return Err("not PBKDF2/SHA-256");
        }
        let cost = n("cost").filter(|c| (1..=MAX_COST).contains(c));
        let key_length = n("keyLength").filter(|l| (1..=MAX_KEY_LENGTH).contains(l));
        let (Some(cost), Some(key_length)) = (cost, key_length) else {
            return Err("cost or keyLength out of bounds");
        };
        let key_prefix = s("keyPrefix")
            .filter(|k| {
                k.len() <= 2 * key_length as usize && k.bytes().all(|b| b.is_ascii_hexdigit())
            })
            .ok_or("keyPrefix is not hex")?
            .to_ascii_lowercase();
        let hex_of = |name| unhex(s(name).unwrap_or("-")).ok_or("nonce or salt is not hex");
        let (nonce, salt) = (hex_of("nonce")?, hex_of("salt")?);
        Ok(Challenge {
            text: text.to_owned(),
            nonce,
            salt,
            cost,
            key_length,
            key_prefix,
        })
    }

    /// The key derivation's password for `counter`: the nonce's bytes, then
    /// the counter as 4 bytes, big-endian.
    pub fn password(&self, counter: u32) -> Vec<u8> {
        let mut password = Vec::new();
        password.extend(self.nonce.iter().chain(&counter.to_be_bytes()));
        password
    }

    /// Whether `derived` (the key derived from a counter's password) solves
    /// the challenge: its hex starts with the prefix.
    pub fn solved_by(&self, derived: &[u8]) -> bool {
        hex(derived)
            .as_bytes()
            .starts_with(self.key_prefix.as_bytes())
    }

    /// The [`POW_HEADER`] value for a solution: base64 of
    /// `{"challenge": <as received>, "solution": {"counter": …, "derivedKey": "<hex>"}}`.
    pub fn header(&self, counter: u32, derived: &[u8]) -> String {
        let mut solution = crate::json::Writer::new("{");
        solution.raw("counter", &decimal(counter));
        solution.text("derivedKey", &hex(derived));
        solution.close('}');
        let mut w = crate::json::Writer::new("{");
        w.raw("challenge", &self.text);
        w.raw("solution", &solution.0);
        w.close('}');
        base64(w.0.as_bytes())
    }
}

/// `n` in decimal, by hand: the portal's request part would otherwise share
/// the standard library's integer formatting with its other parts, which
/// puts it in the first screen's module.
pub fn decimal(mut n: u32) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().map(|d| char::from(*d)).collect()
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::new();
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The bytes of hex text (either case), or `None` if it is not that.
fn unhex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let mut bytes = Vec::new();
    for pair in digits.chunks_exact(2) {
        bytes.push(hex_digit(pair[0])? << 4 | hex_digit(pair[1])?);
    }
    Some(bytes)
}

/// The value of one hex digit (either case).
fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Standard base64 (RFC 4648, with padding) of `bytes`.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_rfc_4648s() {
        for (text, b64) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(text.as_bytes()), b64, "{text}");
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    #[test]
    fn decimal_is_to_strings() {
        for n in [0, 7, 10, 255, 1_000_000, u32::MAX] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    fn hex_both_ways() {
        assert_eq!(hex(&[0, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(unhex("000FA0ff"), Some(vec![0, 0x0f, 0xa0, 0xff]));
        assert_eq!(unhex(""), Some(vec![]));
        for bad in ["0", "0g", "+1", "é0"] {
            assert_eq!(unhex(bad), None, "{bad}");
        }
    }
}
