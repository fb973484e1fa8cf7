//! Reporting upward (報告): the pure rules. R: T-03, R-01..R-04, L-03, D-06, E-11.
//!
//! A node reports to its parent every reportable event it has not reported yet — its
//! own and those it received from below — as one report, numbered per sending log
//! (`seq` 1, 2, 3, …). Reports travel in parts; the receiver stages the parts and
//! applies a report only when it holds all of them and has applied the sender's
//! previous report, so reports take effect whole and in order however the transport
//! delivers them. Everything here is decided without I/O; the node's bus adapter asks.

use std::ops::Range;

use crate::entry::{Entry, Status};
use crate::ids::RecordId;
use crate::jurisdiction::JurisdictionCode;
use crate::private_area::RecordState;

pub use crate::kinds::{IntakeScope, Notice};

/// The message a clerk gets when the node's own intake is paused.
pub const OWN_INTAKE_PAUSED: &str = "現在この団体では安否情報の受付（登録・退去）を一時停止しています（整理・報告作業中）。受付が再開されてから、もう一度登録してください。入力した内容は失われていません";

/// Why a report is refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("{from} does not report to {me} (T-03: it reports to {expected})")]
    WrongParent {
        me: JurisdictionCode,
        from: JurisdictionCode,
        expected: String,
    },
    #[error(
        "the report from {from} holds event {event} collected by {origin}, which is not {from} nor one of its municipalities"
    )]
    ForeignOrigin {
        from: JurisdictionCode,
        origin: JurisdictionCode,
        event: String,
    },
    #[error("the report holds a {kind} event, which is never reported")]
    NotReportable { kind: String },
    #[error("the report's parts hold {held} events, but it announces {announced}")]
    CountMismatch { held: i64, announced: i64 },
}

/// Only a direct subordinate may report to `me` (T-03).
pub fn check_sender(me: &JurisdictionCode, from: &JurisdictionCode) -> Result<(), ReportError> {
    match from.natural_parent() {
        Some(parent) if &parent == me => Ok(()),
        other => Err(ReportError::WrongParent {
            me: me.clone(),
            from: from.clone(),
            expected: other
                .map(|p| p.to_string())
                .unwrap_or_else(|| "nobody".into()),
        }),
    }
}

/// An event reported by `from` was collected by `from` itself or by one of the
/// jurisdictions below it (L-03: origins are kept, so they can be checked).
pub fn check_origin(
    from: &JurisdictionCode,
    origin: &JurisdictionCode,
    event: impl std::fmt::Display,
) -> Result<(), ReportError> {
    let mut at = Some(origin.clone());
    while let Some(code) = at {
        if &code == from {
            return Ok(());
        }
        at = code.natural_parent();
    }
    Err(ReportError::ForeignOrigin {
        from: from.clone(),
        origin: origin.clone(),
        event: event.to_string(),
    })
}

/// What to do with an arriving part of report `seq`, given the last report of the
/// same sending log already applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// The report was applied before (a redelivery or a republish): acknowledge only.
    AlreadyApplied,
    /// Keep the part until the report is complete and its predecessors are applied.
    Stage,
}

pub fn classify_arrival(last_applied: Option<i64>, seq: i64) -> Arrival {
    match last_applied {
        Some(last) if seq <= last => Arrival::AlreadyApplied,
        _ => Arrival::Stage,
    }
}

/// The sequence number of the report that must be applied next.
pub fn next_seq(last_applied: Option<i64>) -> i64 {
    last_applied.map_or(1, |last| last + 1)
}

/// Whether the staged parts `(part, last)` make a whole report: part numbers
/// `0..=n` all present, exactly the highest marked last. Returns the part count.
pub fn parts_complete(parts: &[(i32, bool)]) -> Option<i32> {
    let mut numbers: Vec<i32> = parts.iter().map(|(n, _)| *n).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let last = parts.iter().find(|(_, last)| *last).map(|(n, _)| *n)?;
    let contiguous = numbers.iter().enumerate().all(|(i, n)| *n == i as i32);
    (contiguous && numbers.last() == Some(&last)).then_some(last + 1)
}

/// Splits items of the given encoded sizes into consecutive parts of at most `limit`
/// bytes each, greedily and deterministically (a republished report splits the same
/// way). An item larger than `limit` gets a part of its own; the caller refuses it.
pub fn split_by_size(sizes: &[usize], limit: usize) -> Vec<Range<usize>> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut total = 0usize;
    for (i, size) in sizes.iter().enumerate() {
        if i > start && total + size > limit {
            parts.push(start..i);
            start = i;
            total = 0;
        }
        total += size;
    }
    if start < sizes.len() {
        parts.push(start..sizes.len());
    }
    parts
}

/// A death conversion (E-11): a Form 2 (deceased) entry replacing a record that was
/// not already a deceased person's. `old` is the replaced record where known.
pub fn death_conversion(
    new_record: RecordId,
    new_entry: &Entry,
    supersedes: Option<RecordId>,
    old: Option<&RecordState>,
    origin: &JurisdictionCode,
) -> Option<Notice> {
    let old_record = supersedes?;
    if new_entry.parsed.status != Status::Dead {
        return None;
    }
    if old.is_some_and(|o| o.entry.parsed.status == Status::Dead) {
        return None;
    }
    Some(Notice::DeathConversion {
        old_record,
        new_record,
        name: new_entry.draft.name.trim().to_string(),
        origin: origin.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> JurisdictionCode {
        JurisdictionCode::parse(text).unwrap()
    }

    #[test]
    fn only_direct_subordinates_report() {
        let tokyo = code("130001");
        let national = JurisdictionCode::national();
        assert!(check_sender(&tokyo, &code("131016")).is_ok());
        assert!(check_sender(&national, &tokyo).is_ok());
        // A municipality may not skip its prefecture (T-03).
        assert!(matches!(
            check_sender(&national, &code("131016")),
            Err(ReportError::WrongParent { .. })
        ));
        // Nor report to another prefecture.
        assert!(check_sender(&code("270008"), &code("131016")).is_err());
        assert!(check_sender(&tokyo, &national).is_err());
    }

    #[test]
    fn origins_must_lie_below_the_sender() {
        let tokyo = code("130001");
        assert!(check_origin(&tokyo, &tokyo, "e").is_ok());
        assert!(check_origin(&tokyo, &code("131016"), "e").is_ok());
        assert!(check_origin(&tokyo, &code("271004"), "e").is_err());
        let national = JurisdictionCode::national();
        assert!(check_origin(&national, &code("131016"), "e").is_ok());
        assert!(check_origin(&code("131016"), &tokyo, "e").is_err());
    }

    #[test]
    fn arrivals_and_order() {
        assert_eq!(classify_arrival(None, 1), Arrival::Stage);
        assert_eq!(classify_arrival(Some(3), 3), Arrival::AlreadyApplied);
        assert_eq!(classify_arrival(Some(3), 1), Arrival::AlreadyApplied);
        assert_eq!(classify_arrival(Some(3), 5), Arrival::Stage);
        assert_eq!(next_seq(None), 1);
        assert_eq!(next_seq(Some(4)), 5);
    }

    #[test]
    fn completeness_of_parts() {
        assert_eq!(parts_complete(&[]), None);
        assert_eq!(parts_complete(&[(0, true)]), Some(1));
        assert_eq!(parts_complete(&[(0, false)]), None);
        assert_eq!(parts_complete(&[(1, true), (0, false)]), Some(2));
        assert_eq!(parts_complete(&[(0, false), (2, true)]), None);
        // A duplicate part does not count twice.
        assert_eq!(
            parts_complete(&[(0, false), (0, false), (1, true)]),
            Some(2)
        );
        // A part after the one marked last means the parts do not fit together.
        assert_eq!(parts_complete(&[(0, true), (1, false)]), None);
    }

    #[test]
    fn splitting_is_greedy_and_covers_everything() {
        assert!(split_by_size(&[], 10).is_empty());
        assert_eq!(split_by_size(&[4, 4, 4], 10), vec![0..2, 2..3]);
        assert_eq!(split_by_size(&[10, 1], 10), vec![0..1, 1..2]);
        assert_eq!(split_by_size(&[30, 1, 1], 10), vec![0..1, 1..3]);
        let sizes: Vec<usize> = (0..1000).map(|i| 1 + (i * 7919) % 300).collect();
        let parts = split_by_size(&sizes, 1000);
        let mut next = 0;
        for part in &parts {
            assert_eq!(part.start, next);
            assert!(sizes[part.clone()].iter().sum::<usize>() <= 1000);
            next = part.end;
        }
        assert_eq!(next, sizes.len());
    }

    #[test]
    fn scopes_parse() {
        for scope in [IntakeScope::Own, IntakeScope::Reports] {
            assert_eq!(IntakeScope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(IntakeScope::parse("all"), None);
    }
}
