//! Fuzz target for the meteorological agency's earthquake telegrams (R: K-08).
//!
//! Arbitrary bytes go through `anpi_files::jma::parse_telegram`, and what it reads
//! through the roll-call rules (`Evaluator::evaluate` with the built-in nationwide
//! condition and a city condition, twice, then as a 取消). Checked:
//! - nothing panics;
//! - over `MAX_TELEGRAM_BYTES` is refused as `TooLarge` with the input's length, and
//!   nothing shorter is;
//! - `NotUtf8` exactly when the bytes are not UTF-8, at the first bad byte;
//! - every byte position an error names is within the input;
//! - a DOCTYPE is never read past: an input that parses has no `<!DOCTYPE` outside
//!   comments, CDATA sections, processing instructions and attribute values;
//! - a parsed earthquake telegram (震度速報, 震源・震度に関する情報, 震源に関する情報)
//!   has an EventID; only 震度速報 and 震源・震度に関する情報 of a non-試験 telegram
//!   may dispatch; the same telegram evaluated again dispatches nothing new; a 取消
//!   of the event after a dispatch cancels it.
//!
//! The same bytes also go through `parse_atom` (the agency's Atom feed): no panic,
//! `FeedTooLarge` exactly over `MAX_FEED_BYTES`, `NotUtf8` exactly when not UTF-8,
//! positions within the input, every entry read has an id, and no DOCTYPE was read
//! past.

#![no_main]

use anpi_core::rollcall::jma::{
    Condition, Decision, Evaluator, InfoType, Intensity, Target, TelegramKind, TelegramStatus,
};
use anpi_files::jma::{JmaError, MAX_FEED_BYTES, MAX_TELEGRAM_BYTES, parse_atom, parse_telegram};
use libfuzzer_sys::fuzz_target;

fn conditions() -> Vec<Condition> {
    vec![
        Condition::nationwide(),
        Condition {
            name: "市町村".into(),
            min_intensity: Intensity::Four,
            targets: vec![Target {
                cities: vec!["1410400".into(), "1310100".into()],
                areas: vec!["350".into()],
                ..Target::default()
            }],
            drill_on_training: true,
            suppress_minutes: 30,
            delay_minutes: 5,
            title: "{条件} {地域} {震度} {震源}".into(),
        },
    ]
}

/// Whether the markup has a `<!DOCTYPE` (any case) outside comments, CDATA sections,
/// processing instructions and the quoted attribute values of tags.
fn has_doctype(bytes: &[u8]) -> bool {
    let skip_to = |from: usize, end: &[u8]| {
        bytes[from..]
            .windows(end.len())
            .position(|w| w == end)
            .map_or(bytes.len(), |at| from + at + end.len())
    };
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"<!--") {
            i = skip_to(i + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_to(i + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_to(i + 2, b"?>");
        } else if rest.len() >= 9 && rest[..9].eq_ignore_ascii_case(b"<!DOCTYPE") {
            return true;
        } else if rest[0] == b'<' {
            // A tag: up to its `>`, passing over quoted attribute values.
            let mut quote = None;
            i += 1;
            while i < bytes.len() {
                match (quote, bytes[i]) {
                    (None, b'>') => break,
                    (None, q @ (b'"' | b'\'')) => quote = Some(q),
                    (Some(q), c) if c == q => quote = None,
                    _ => {}
                }
                i += 1;
            }
            i += 1;
        } else {
            i += 1;
        }
    }
    false
}

/// The Atom feed reader's properties (see the module's comment).
fn check_feed(bytes: &[u8]) {
    let len = bytes.len() as u64;
    match parse_atom(bytes) {
        Err(JmaError::FeedTooLarge { bytes: n }) => {
            assert!(bytes.len() > MAX_FEED_BYTES);
            assert_eq!(n, bytes.len());
        }
        _ if bytes.len() > MAX_FEED_BYTES => panic!("an over-size feed was read"),
        Err(JmaError::NotUtf8 { position }) => {
            let error = std::str::from_utf8(bytes).expect_err("UTF-8 refused as not UTF-8");
            assert_eq!(position, error.valid_up_to());
        }
        Err(
            JmaError::Malformed { position, .. }
            | JmaError::Doctype { position }
            | JmaError::Entity { position, .. },
        ) => assert!(position <= len, "position {position} past {len}"),
        Err(error) => assert!(!error.to_string().is_empty()),
        Ok(entries) => {
            assert!(std::str::from_utf8(bytes).is_ok());
            assert!(!has_doctype(bytes), "a DOCTYPE was read past");
            assert!(entries.iter().all(|entry| !entry.id.is_empty()));
        }
    }
}

fuzz_target!(|bytes: &[u8]| {
    check_feed(bytes);
    let result = parse_telegram(bytes);
    let len = bytes.len() as u64;
    match &result {
        Err(JmaError::TooLarge { bytes: n }) => {
            assert!(bytes.len() > MAX_TELEGRAM_BYTES);
            assert_eq!(*n, bytes.len());
            return;
        }
        _ => assert!(bytes.len() <= MAX_TELEGRAM_BYTES),
    }
    match (&result, std::str::from_utf8(bytes)) {
        (Err(JmaError::NotUtf8 { position }), Err(error)) => {
            assert_eq!(*position, error.valid_up_to());
            return;
        }
        (Err(JmaError::NotUtf8 { .. }), Ok(_)) => panic!("UTF-8 refused as not UTF-8"),
        (_, Err(_)) => panic!("not UTF-8, and not refused as such: {result:?}"),
        (_, Ok(_)) => {}
    }
    let telegram = match result {
        Err(
            JmaError::Malformed { position, .. }
            | JmaError::Doctype { position }
            | JmaError::Entity { position, .. }
            | JmaError::Value { position, .. },
        ) => {
            assert!(position <= len, "position {position} past {len}");
            return;
        }
        Err(error) => {
            assert!(!error.to_string().is_empty());
            return;
        }
        Ok(telegram) => telegram,
    };
    assert!(!has_doctype(bytes), "a DOCTYPE was read past");
    if telegram.kind.is_earthquake_information() {
        assert!(!telegram.event_id.is_empty());
    }

    let conditions = conditions();
    let mut evaluator = Evaluator::new();
    let now = telegram.report_time;
    let first = evaluator.evaluate(&conditions, &telegram, now);
    assert!(!first.is_empty());
    let dispatched = first.iter().any(|d| matches!(d, Decision::Dispatch { .. }));
    if dispatched {
        assert!(matches!(
            telegram.kind,
            TelegramKind::Vxse51 | TelegramKind::Vxse53
        ));
        assert_ne!(telegram.status, TelegramStatus::Test);
        assert_ne!(telegram.info_type, InfoType::Cancelled);
    }
    for decision in &first {
        assert!(decision.reason().contains(&telegram.title));
        if let Decision::Dispatch { title, at, .. } = decision {
            assert!(title.chars().count() <= 60);
            assert!(*at >= now);
        }
    }
    let again = evaluator.evaluate(&conditions, &telegram, now);
    assert!(
        !again.iter().any(|d| matches!(d, Decision::Dispatch { .. })),
        "the same telegram dispatched twice: {again:?}"
    );
    if dispatched {
        let mut cancel = telegram.clone();
        cancel.info_type = InfoType::Cancelled;
        let cancelled = evaluator.evaluate(&conditions, &cancel, now);
        assert!(
            cancelled
                .iter()
                .any(|d| matches!(d, Decision::Cancel { .. })),
            "{cancelled:?}"
        );
    }
});
