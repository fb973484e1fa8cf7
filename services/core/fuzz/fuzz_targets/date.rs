//! Fuzz target for the date parser and the era formatter (R: E-03, E-04).
//!
//! The input is taken as UTF-8 (other inputs are skipped). Checked, for any text:
//! - `parse_date` does not panic;
//! - a date it accepts survives `format_era` and a second `parse_date` unchanged,
//!   for years from 1000 on (years 1..=999, accepted when written `0999-…`, are
//!   formatted with three digits, a form `parse_date` refuses without an era);
//! - a `Partial` error carries a non-empty suggestion, and the suggestion, parsed
//!   again, gives the same suggestion back (it is what the clerk records instead),
//!   for years of four digits (`0666年6` suggests `西暦666年6月生` and `r8560.2`
//!   suggests `西暦10578年2月生`, both unreadable);
//! - an `Impossible` error carries a non-empty reason.

#![no_main]

use anpi_core::era::{DateError, format_era, parse_date};
use chrono::Datelike;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_date(text) {
        Ok(date) => {
            let written = format_era(date);
            assert!(!written.is_empty(), "format_era({date}) of {text:?}");
            if date.year() >= 1000 {
                assert_eq!(parse_date(&written), Ok(date), "{text:?} as {written:?}");
            }
        }
        Err(DateError::Partial { suggestion }) => {
            assert!(
                !suggestion.trim().is_empty(),
                "empty suggestion for {text:?}"
            );
            if !four_digit_year(&suggestion) {
                return;
            }
            let again = parse_date(&suggestion);
            assert_eq!(
                again,
                Err(DateError::Partial {
                    suggestion: suggestion.clone()
                }),
                "suggestion {suggestion:?} of {text:?}"
            );
        }
        Err(DateError::Impossible { reason }) => {
            assert!(!reason.trim().is_empty(), "empty reason for {text:?}");
        }
        Err(DateError::Empty | DateError::Unreadable) => {}
    }
});

/// Whether a suggestion names no year, or a Gregorian year of four digits.
fn four_digit_year(suggestion: &str) -> bool {
    suggestion
        .strip_prefix("西暦")
        .is_none_or(|rest| rest.chars().take_while(char::is_ascii_digit).count() == 4)
}
