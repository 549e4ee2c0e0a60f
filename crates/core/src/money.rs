//! Money: ISO 4217 currency codes and their minor units.
//!
//! What it is for: amounts in a ruleset and a request are integers in the
//! currency's minor unit (`amount_minor`); how many digits that unit has is
//! the currency's (JPY 0, EUR 2, KWD 3, CLF 4), so `25000` is 250.00 EUR but
//! 25,000 JPY and 25.000 KWD. [`minor_digits`] says which, and refuses a code
//! that is not a current ISO 4217 currency; [`decimal`] writes the amount
//! with that many decimals, for the UI's formatting and for requests.
//!
//! The table is ISO 4217's List One (current currencies and funds; the
//! precious metals, testing and "no currency" codes, which have no minor
//! unit, and superseded codes left out), checked against the `iso_currency`
//! crate in the tests. Kept here as four strings rather than taking that
//! crate, which carries names, symbols and countries the portal's
//! WebAssembly does not need.
//!
//! ## Usage
//! ```
//! use frontline_core::money;
//! assert_eq!(money::minor_digits("JPY"), Some(0));
//! assert_eq!(money::amount(25000, "EUR").as_deref(), Some("250.00"));
//! assert_eq!(money::amount(1250, "KWD").as_deref(), Some("1.250"));
//! assert_eq!(money::minor_digits("EUX"), None);
//! ```

/// Currencies without minor units.
const ZERO: &str = "BIFCLPDJFGNFISKJPYKMFKRWPYGRWFUGXUYIVNDVUVXAFXOFXPF";
/// Currencies with three decimals.
const THREE: &str = "BHDIQDJODKWDLYDOMRTND";
/// Units of account with four decimals.
const FOUR: &str = "CLFUYW";
/// Every other current code: two decimals.
const TWO: &str = "AEDAFNALLAMDAOAARSAUDAWGAZNBAMBBDBDTBGNBMDBNDBOBBOVBRLBSDBTNBWPBYNBZD\
CADCDFCHECHFCHWCNYCOPCOUCRCCUPCVECZKDKKDOPDZDEGPERNETBEURFJDFKPGBPGELGHSGIPGMDGTQGYD\
HKDHNLHTGHUFIDRILSINRIRRJMDKESKGSKHRKPWKYDKZTLAKLBPLKRLRDLSLMADMDLMGAMKDMMKMNTMOP\
MRUMURMVRMWKMXNMXVMYRMZNNADNGNNIONOKNPRNZDPABPENPGKPHPPKRPLNQARRONRSDRUBSARSBDSCR\
SDGSEKSGDSHPSLESOSSRDSSPSTNSVCSYPSZLTHBTJSTMTTOPTRYTTDTWDTZSUAHUSDUSNUYUUZSVEDWST\
XCDXCGYERZARZMWZWG";

fn listed(table: &str, code: &str) -> bool {
    code.len() == 3
        && table
            .as_bytes()
            .chunks_exact(3)
            .any(|c| c == code.as_bytes())
}

/// How many decimals the minor unit of currency `code` has (`"EUR"` → 2),
/// or `None` if `code` is not a current ISO 4217 currency (upper case).
pub fn minor_digits(code: &str) -> Option<u32> {
    [(ZERO, 0), (TWO, 2), (THREE, 3), (FOUR, 4)]
        .into_iter()
        .find(|(table, _)| listed(table, code))
        .map(|(_, digits)| digits)
}

/// `amount_minor` in major units with `digits` decimals, `.` as the
/// separator: `decimal(4950, 2)` → `"49.50"`, `decimal(5000, 0)` → `"5000"`.
pub fn decimal(amount_minor: u64, digits: u32) -> String {
    let mut s = amount_minor.to_string();
    let digits = digits as usize;
    if digits == 0 {
        return s;
    }
    if s.len() <= digits {
        s.insert_str(0, &"0".repeat(digits + 1 - s.len()));
    }
    s.insert(s.len() - digits, '.');
    s
}

/// `amount_minor` of currency `code` in major units (see [`decimal`]);
/// `None` for an unknown currency.
pub fn amount(amount_minor: u64, code: &str) -> Option<String> {
    minor_digits(code).map(|d| decimal(amount_minor, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_iso_4217_as_the_iso_currency_crate_has_it() {
        use iso_currency::Currency;
        let mut checked = 0;
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                for c in b'A'..=b'Z' {
                    let code = String::from_utf8(vec![a, b, c]).unwrap();
                    let expected = Currency::from_code(&code)
                        .filter(|cur| !cur.is_special() && cur.is_superseded().is_none())
                        .and_then(|cur| cur.exponent())
                        .map(u32::from);
                    assert_eq!(minor_digits(&code), expected, "{code}");
                    checked += usize::from(expected.is_some());
                }
            }
        }
        assert!(checked > 150, "only {checked} currencies");
        // Each code once, in one table.
        let all: Vec<&[u8]> = [ZERO, TWO, THREE, FOUR]
            .iter()
            .flat_map(|t| t.as_bytes().chunks_exact(3))
            .collect();
        assert_eq!(all.len(), checked);
    }

    #[test]
    fn amounts_have_the_currency_s_decimals() {
        assert_eq!(amount(25000, "EUR").as_deref(), Some("250.00"));
        assert_eq!(amount(4950, "EUR").as_deref(), Some("49.50"));
        assert_eq!(amount(5, "USD").as_deref(), Some("0.05"));
        assert_eq!(amount(0, "GBP").as_deref(), Some("0.00"));
        assert_eq!(amount(5000, "JPY").as_deref(), Some("5000"));
        assert_eq!(amount(1250, "KWD").as_deref(), Some("1.250"));
        assert_eq!(amount(7, "KWD").as_deref(), Some("0.007"));
        assert_eq!(amount(10000, "CLF").as_deref(), Some("1.0000"));
        assert_eq!(
            amount(u64::MAX, "JPY").as_deref(),
            Some("18446744073709551615")
        );
        for unknown in ["EUX", "eur", "EU", "EURO", "", "HRK", "XAU", "XXX"] {
            assert_eq!(amount(1, unknown), None, "{unknown:?}");
        }
    }
}
