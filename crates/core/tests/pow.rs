//! The portal's proof of work (`frontline_core::pow`) against the ALTCHA
//! implementation the relay verifies with: challenges made as the relay
//! makes them, solved with core's pure parts and the `pbkdf2` crate in place
//! of the browser's Web Crypto, checked by `altcha::verify_solution`.

use base64::Engine;
use frontline_core::pow::{base64, Challenge, ALGORITHM, POW_HEADER};

const SECRET: &str = "a test secret of 32 characters!!";

/// A challenge as the relay's `GET /challenge` answers it (crates/relay/src/abuse.rs).
fn relay_challenge(cost: u32) -> String {
    let c = altcha::create_challenge(altcha::CreateChallengeOptions {
        algorithm: ALGORITHM.into(),
        cost,
        expires_at: Some(4_000_000_000),
        hmac_signature_secret: Some(SECRET.into()),
        key_prefix: "00".into(),
        ..Default::default()
    })
    .unwrap();
    serde_json::to_string(&c).unwrap()
}

/// What the portal's courier does, with a pure-Rust PBKDF2 for Web Crypto's.
fn solve(c: &Challenge) -> (u32, Vec<u8>) {
    for counter in 0..frontline_core::pow::MAX_COUNTER {
        let mut key = vec![0; c.key_length as usize];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&c.password(counter), &c.salt, c.cost, &mut key);
        if c.solved_by(&key) {
            return (counter, key);
        }
    }
    panic!("no solution");
}

fn payload(header: &str) -> altcha::Payload {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(header)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn a_solution_found_by_core_is_the_one_altcha_finds_and_verifies() {
    for _ in 0..3 {
        let text = relay_challenge(20);
        let c = Challenge::parse(&text).unwrap();
        assert_eq!(
            (c.cost, c.key_length, c.key_prefix.as_str()),
            (20, 32, "00")
        );
        let (counter, key) = solve(&c);
        let header = c.header(counter, &key);
        let p = payload(&header);
        // The smallest counter, as altcha's own solver finds it.
        let theirs = altcha::solve_challenge(altcha::SolveChallengeOptions {
            challenge: &p.challenge,
            counter_start: 0,
            counter_step: 1,
            timeout_ms: 60_000,
        })
        .unwrap()
        .unwrap();
        assert_eq!(
            (p.solution.counter, &p.solution.derived_key),
            (theirs.counter, &theirs.derived_key)
        );
        assert!(p.solution.derived_key.starts_with("00"));
        let verified = altcha::verify_solution(altcha::VerifySolutionOptions::new(
            &p.challenge,
            &p.solution,
            SECRET,
        ))
        .unwrap();
        assert!(verified.verified, "{verified:?}");
        // The challenge goes back exactly as received (its signature covers it).
        let sent: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(&header)
                .unwrap(),
        )
        .unwrap();
        let received: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(sent["challenge"], received);
        assert_eq!(
            sent["solution"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["counter", "derivedKey"]
        );
    }
}

#[test]
fn a_wrong_counter_is_refused_by_altcha() {
    let c = Challenge::parse(&relay_challenge(5)).unwrap();
    let (counter, key) = solve(&c);
    let p = payload(&c.header(counter + 1, &key));
    let verified = altcha::verify_solution(altcha::VerifySolutionOptions::new(
        &p.challenge,
        &p.solution,
        SECRET,
    ))
    .unwrap();
    assert!(!verified.verified);
}

#[test]
fn the_password_is_the_nonce_then_the_counter_big_endian() {
    let c = Challenge::parse(&relay_challenge(1)).unwrap();
    assert_eq!(c.nonce.len(), 16);
    assert_eq!(c.salt.len(), 16);
    let p = c.password(0x0102_0304);
    assert_eq!(&p[..16], c.nonce.as_slice());
    assert_eq!(&p[16..], [1, 2, 3, 4]);
    assert_eq!(&c.password(0)[16..], [0, 0, 0, 0]);
}

#[test]
fn the_prefix_is_checked_on_the_hex_of_the_key() {
    let text = |prefix: &str| {
        format!(
            r#"{{"parameters":{{"algorithm":"PBKDF2/SHA-256","cost":1,"keyLength":4,"keyPrefix":"{prefix}","nonce":"00","salt":"00"}}}}"#
        )
    };
    let c = Challenge::parse(&text("00")).unwrap();
    assert!(c.solved_by(&[0, 1, 2, 3]));
    assert!(!c.solved_by(&[1, 0, 0, 0]));
    // An odd number of digits: half a byte.
    let c = Challenge::parse(&text("0a0")).unwrap();
    assert!(c.solved_by(&[0x0a, 0x0f]));
    assert!(!c.solved_by(&[0x0a, 0x10]));
    // Upper case reads as lower case.
    assert!(Challenge::parse(&text("AB")).unwrap().solved_by(&[0xab]));
    assert!(Challenge::parse(&text("")).unwrap().solved_by(&[0xff]));
}

#[test]
fn a_challenge_this_portal_cannot_solve_is_refused() {
    let with = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(&relay_challenge(1)).unwrap();
        change(&mut v);
        Challenge::parse(&v.to_string())
    };
    assert!(with(&|_| {}).is_ok());
    use serde_json::json;
    for (change, why) in [
        (
            Box::new(|v: &mut serde_json::Value| v["parameters"]["algorithm"] = json!("SHA-256"))
                as Box<dyn Fn(&mut serde_json::Value)>,
            "not PBKDF2/SHA-256",
        ),
        (
            Box::new(|v| v["parameters"]["cost"] = json!(0)),
            "cost or keyLength out of bounds",
        ),
        (
            Box::new(|v| v["parameters"]["cost"] = json!(1_000_001)),
            "cost or keyLength out of bounds",
        ),
        (
            Box::new(|v| v["parameters"]["keyLength"] = json!(65)),
            "cost or keyLength out of bounds",
        ),
        (
            Box::new(|v| v["parameters"]["keyPrefix"] = json!("0x")),
            "keyPrefix is not hex",
        ),
        (
            Box::new(|v| v["parameters"]["keyPrefix"] = json!("0".repeat(65))),
            "keyPrefix is not hex",
        ),
        (
            Box::new(|v| v["parameters"]["nonce"] = json!("abc")),
            "nonce or salt is not hex",
        ),
        (
            Box::new(|v| v["parameters"]["salt"] = json!(12)),
            "nonce or salt is not hex",
        ),
        (Box::new(|v| *v = json!({"parameters": 1})), "no parameters"),
    ] {
        assert_eq!(with(&*change), Err(why), "{why}");
    }
    assert_eq!(Challenge::parse("<html>"), Err("not JSON"));
}

#[test]
fn the_header_is_named_as_the_relay_reads_it() {
    // The relay looks it up in lower case (axum's HeaderMap).
    assert_eq!(POW_HEADER.to_ascii_lowercase(), "frontline-pow");
    assert_eq!(
        base64(b"{\"a\":1}"),
        base64::engine::general_purpose::STANDARD.encode(b"{\"a\":1}")
    );
}
