//! Prints one frontline.request/v1 body that the default ruleset decides
//! (the tests' `support::request(1)`), for `scripts/bench-relay.sh`: its
//! load generator sends it with a new id in place of `ID` each time.
//!
//! `cargo run --release -p frontline-relay --example bench_request`

#[path = "../tests/support/mod.rs"]
mod support;

fn main() {
    let r = support::request(1);
    let body = serde_json::to_string(&r).expect("a request serialises");
    assert_eq!(body.matches(&r.id).count(), 1, "the id appears once");
    println!("{}", body.replace(&r.id, "ID"));
}
