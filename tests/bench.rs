//! The rules core's benchmarks in WebAssembly, in headless Chromium: one
//! evaluation step on a generated 5,000-node ruleset, and load + validate of
//! a generated 1 MB ruleset. Ignored by `make test` (timings are not tests);
//! `make bench` runs them in release mode and records them in BENCHMARKS.md
//! beside the native figures of `frontline bench`.
#![cfg(target_arch = "wasm32")]

use frontline_core::{bench, evaluate, load_with_report, Level, Step};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_default()
}

/// (median, min, max) of the samples.
fn stats(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    (
        samples[samples.len() / 2],
        samples[0],
        samples[samples.len() - 1],
    )
}

#[wasm_bindgen_test]
#[ignore = "a benchmark: run by `make bench`"]
fn rules_core_in_wasm() {
    const NODES: usize = 5_000;
    let small = bench::generate(NODES);
    let rules = frontline_core::load(&small).expect("the generated ruleset is valid");
    let transcript = bench::deep_transcript(NODES);
    // performance.now() is coarse in browsers (5 µs or more): time batches.
    const BATCH: usize = 100;
    let mut eval_us = Vec::new();
    for _ in 0..30 {
        let start = now_ms();
        for _ in 0..BATCH {
            let step = evaluate(&rules, &transcript);
            assert!(
                matches!(step, Ok(Step::Outcome(_))),
                "the transcript reaches an outcome"
            );
        }
        eval_us.push((now_ms() - start) * 1000.0 / BATCH as f64);
    }
    let big = bench::generate_bytes(1_000_000);
    let mut load_ms = Vec::new();
    for _ in 0..11 {
        let start = now_ms();
        let (loaded, report) = load_with_report(&big);
        load_ms.push(now_ms() - start);
        assert!(loaded.is_some() && !report.problems.iter().any(|p| p.severity == Level::Error));
    }
    let (em, emin, emax) = stats(eval_us);
    let (lm, lmin, lmax) = stats(load_ms);
    web_sys::console::log_1(
        &format!(
            "BENCH {{\"evaluate\":{{\"nodes\":{NODES},\"depth\":{},\"median_us\":{em:.2},\"min_us\":{emin:.2},\"max_us\":{emax:.2}}},\
             \"load\":{{\"bytes\":{},\"median_ms\":{lm:.2},\"min_ms\":{lmin:.2},\"max_ms\":{lmax:.2}}}}}",
            transcript.answers.len(),
            big.len()
        )
        .into(),
    );
}
