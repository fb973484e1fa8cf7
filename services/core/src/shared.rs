//! The national shared dataset (共用領域): publishing numbered versions and keeping
//! replicas of them. R: P-02, S-03, T-05, L-04.
//!
//! The guideline (第5 1(1)): 情報共有は、全国の地方公共団体において検索・閲覧することが
//! できる共用領域に、各都道府県から報告された安否情報のデータを移行させる作業を、消防庁に
//! おいて行うことによって実施する。消防庁は、当該作業を行った場合、地方公共団体にその旨を
//! 連絡する。
//!
//! Here that move is a `DatasetPublished` event of the national log: version `n` is the
//! national read model exactly as folded through the event's `through_position`. What
//! travels to the nodes is each version's *delta*: every record whose state changed in
//! `(previous through, through]`, as it stood at `through`. A replica that applies the
//! deltas 1..=n in order holds version `n`. Everything here is decided without I/O.

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::jurisdiction::Tier;
use crate::private_area::{self, RecordState};

/// A published version of the shared dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// 1, 2, 3, … in publishing order.
    pub version: i64,
    /// The national log position the version was folded through.
    pub through_position: i64,
    /// Records in the whole dataset at this version (deleted ones included: a search
    /// shows them as 削除).
    pub record_count: i64,
    /// Records whose state changed since the previous version (the delta).
    pub changed_count: i64,
}

/// Why "publish" made no version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    #[error("共用領域への公開は国（消防庁）のノードで行います。このノードは{0}のノードです")]
    NotNational(&'static str),
    #[error("公開する安否情報がまだありません。都道府県からの報告を受けてから公開してください")]
    Empty,
    #[error("前回の公開（第{0}版）から変わった安否情報がないため、新しい版は作りません")]
    NothingNew(i64),
}

/// Decides whether "publish" makes a new version (P-02): only the national tier
/// publishes; the first version needs records; a later one needs a change since the
/// last. `head` is the national log's last position, `changed` the records changed
/// after the last version's `through_position`, `record_count` all records.
pub fn decide_publish(
    tier: Tier,
    last: Option<&Version>,
    head: i64,
    changed: i64,
    record_count: i64,
) -> Result<Version, PublishError> {
    if tier != Tier::National {
        return Err(PublishError::NotNational(tier.label_ja()));
    }
    match last {
        None if record_count == 0 => Err(PublishError::Empty),
        Some(last) if changed == 0 => Err(PublishError::NothingNew(last.version)),
        _ => Ok(Version {
            version: last.map_or(1, |l| l.version + 1),
            through_position: head,
            record_count,
            changed_count: changed,
        }),
    }
}

/// Whether a record, as it stood at a version's `through_position`, belongs to that
/// version's delta: some event in `(previous_through, through]` changed it.
pub fn in_delta(state_at_through: &RecordState, previous_through: i64) -> bool {
    state_at_through.last_position > previous_through
}

/// A record's state as it stood at `through`: its events (in log order) folded up to
/// that position. `None` when the record did not exist yet.
pub fn state_as_of<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    through: i64,
) -> Option<RecordState> {
    events
        .into_iter()
        .take_while(|event| event.position <= through)
        .fold(None, private_area::apply)
}

/// What a replica does with a part of `version`, given the last version it applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartArrival {
    /// Already applied (a republished version): acknowledge and drop.
    Stale,
    /// The next version, or a later one that waits for those before it: stage it.
    Stage,
}

pub fn classify_part(last_applied: Option<i64>, version: i64) -> PartArrival {
    if last_applied.is_some_and(|last| version <= last) {
        PartArrival::Stale
    } else {
        PartArrival::Stage
    }
}

/// The version a replica applies next.
pub fn next_version(last_applied: Option<i64>) -> i64 {
    last_applied.map_or(1, |last| last + 1)
}

/// Whether a replica that applied a delta holds what the version announced.
pub fn replica_complete(version: &Version, records_held: i64) -> bool {
    records_held == version.record_count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::fixtures::numbered_evacuee;
    use crate::entry::validate;
    use crate::event::{Actor, NewEvent, Payload};
    use crate::ids::{AccountId, EventId, IncidentId, RecordId};
    use crate::jurisdiction::JurisdictionCode;
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    fn version(n: i64, through: i64) -> Version {
        Version {
            version: n,
            through_position: through,
            record_count: 10,
            changed_count: 3,
        }
    }

    #[test]
    fn only_the_national_tier_publishes() {
        for tier in [Tier::Municipality, Tier::Prefecture] {
            let refused = decide_publish(tier, None, 10, 5, 5).unwrap_err();
            assert!(matches!(refused, PublishError::NotNational(_)));
            assert!(refused.to_string().contains("国（消防庁）"));
        }
    }

    #[test]
    fn the_first_version_needs_records_and_later_ones_a_change() {
        assert_eq!(
            decide_publish(Tier::National, None, 3, 0, 0),
            Err(PublishError::Empty)
        );
        assert_eq!(
            decide_publish(Tier::National, None, 40, 12, 12),
            Ok(Version {
                version: 1,
                through_position: 40,
                record_count: 12,
                changed_count: 12
            })
        );
        let last = version(4, 40);
        assert_eq!(
            decide_publish(Tier::National, Some(&last), 41, 0, 12),
            Err(PublishError::NothingNew(4))
        );
        let next = decide_publish(Tier::National, Some(&last), 57, 2, 13).unwrap();
        assert_eq!((next.version, next.through_position), (5, 57));
        assert_eq!((next.record_count, next.changed_count), (13, 2));
    }

    #[test]
    fn replicas_stage_new_versions_and_drop_applied_ones() {
        assert_eq!(classify_part(None, 1), PartArrival::Stage);
        assert_eq!(classify_part(None, 3), PartArrival::Stage);
        assert_eq!(classify_part(Some(2), 2), PartArrival::Stale);
        assert_eq!(classify_part(Some(2), 1), PartArrival::Stale);
        assert_eq!(classify_part(Some(2), 3), PartArrival::Stage);
        assert_eq!(next_version(None), 1);
        assert_eq!(next_version(Some(7)), 8);
        assert!(replica_complete(&version(1, 5), 10));
        assert!(!replica_complete(&version(1, 5), 9));
    }

    fn event(position: i64, payload: Payload) -> Event {
        let code = JurisdictionCode::parse("131016").unwrap();
        Event {
            position,
            event: NewEvent {
                id: EventId::from_uuid(Uuid::now_v7()),
                incident: Some(IncidentId::from_uuid(Uuid::from_u128(1))),
                origin: code.clone(),
                actor: Actor {
                    jurisdiction: code,
                    account: AccountId::parse("clerk").unwrap(),
                },
                written_at: None,
                received_at: Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap(),
                sender: None,
                payload,
            },
        }
    }

    #[test]
    fn a_record_is_published_as_it_stood_at_the_versions_position() {
        let record_id = RecordId::from_uuid(Uuid::now_v7());
        let entry = validate(
            &numbered_evacuee(1),
            Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap(),
        )
        .unwrap();
        let events = [
            event(
                10,
                Payload::EntryRecorded {
                    record_id,
                    entry: Box::new(entry),
                    supersedes: None,
                },
            ),
            event(
                20,
                Payload::DepartureRecorded {
                    record_id,
                    date: chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
                },
            ),
            event(
                30,
                Payload::EntryDeleted {
                    record_id,
                    reason: "重複登録".into(),
                },
            ),
        ];
        assert_eq!(state_as_of(&events, 9), None, "not recorded yet");
        let at_15 = state_as_of(&events, 15).unwrap();
        assert_eq!(
            (at_15.last_position, at_15.departure.is_some()),
            (10, false)
        );
        let at_25 = state_as_of(&events, 25).unwrap();
        assert!(at_25.departure.is_some() && at_25.deletion.is_none());
        assert!(state_as_of(&events, 30).unwrap().deletion.is_some());
        // Version through 25 after a version through 15: the departure is in its delta.
        assert!(in_delta(&at_25, 15));
        // A version through 25 after one through 20: nothing changed in (20, 25].
        assert!(!in_delta(&at_25, 20));
    }
}
