//! A small insertion sort for the short lists the core sorts (a day's
//! opening intervals, tags, competency levels, a JSON object's keys, a
//! year's time-zone transitions).
//!
//! Why not `slice::sort_unstable`: each element type instantiates its own
//! pattern-defeating quicksort, about 2 KB of WebAssembly apiece, for lists
//! of a handful of items. Stable, so it also stands in for `sort_by_key`.

/// Sorts `v` by `less` (a strict "comes before").
pub(crate) fn sort_by<T>(v: &mut [T], less: impl Fn(&T, &T) -> bool) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && less(&v[j], &v[j - 1]) {
            v.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// Sorts `v` in ascending order.
pub(crate) fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, |a, b| a < b);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_as_the_standard_library_does(mut v in proptest::collection::vec((0u8..8, 0u8..8), 0..40)) {
            let mut expected = v.clone();
            expected.sort_by_key(|p| p.0);
            super::sort_by(&mut v, |a, b| a.0 < b.0);
            prop_assert_eq!(&v, &expected, "stable, like sort_by_key");
            super::sort(&mut v);
            expected.sort_unstable();
            prop_assert_eq!(v, expected);
        }
    }
}
