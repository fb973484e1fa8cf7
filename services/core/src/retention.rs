//! The end of an incident's retention and the purge of its personal data (issue 21
//! item 4; docs/adr/0019-retention-and-purge.md). R: L-05, A-06.
//!
//! The guideline leaves the period to each body: 安否情報は「各団体の文書管理規程等に
//! 基づき一定期間保存した後、廃棄する」(第4 3(2)※, 第5 2(1)※), and answer copies are
//! kept for a period too (第5 4(5)). An administrator sets the end of the period per
//! incident (`RetentionSet`); from that day on, and only after everything of the incident
//! has been reported upward, the purge makes every personal field of the incident
//! unreadable in the node (`IncidentPurged`).
//!
//! Pure: the node's writer gathers the facts and asks.

use chrono::NaiveDate;

use crate::event::Payload;
use crate::validation::FieldError;

/// What the writer knows about an incident when asked to set its retention or purge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFacts {
    /// The incident's ID as text (what the confirmation must repeat).
    pub id: String,
    /// The day the incident was created (its retention cannot end before).
    pub created: NaiveDate,
    /// The retention end folded at this node, if any.
    pub until: Option<NaiveDate>,
    pub purged: bool,
    /// Events of the incident whose personal fields are stored in the clear (written
    /// before sealing existed): a purge could not make them unreadable.
    pub unsealed: i64,
    /// Reportable events of the incident not yet reported to the parent.
    pub unreported: i64,
}

fn already_purged() -> FieldError {
    FieldError::new(
        "incident_id",
        "この事案の個人情報は保存期間の終了により既に消去されています",
    )
}

fn not_found() -> FieldError {
    FieldError::new("incident_id", "指定された事案が見つかりません")
}

/// `RetentionSet` for `incident`, or why not: the incident must exist and not be
/// purged, and the period cannot end before the incident began.
pub fn decide_set(
    incident: Option<&IncidentFacts>,
    until: NaiveDate,
) -> Result<Payload, FieldError> {
    let facts = incident.ok_or_else(not_found)?;
    if facts.purged {
        return Err(already_purged());
    }
    if until < facts.created {
        return Err(FieldError::new(
            "retention_until",
            format!(
                "保存期間の終了日（{until}）が事案の作成日（{}）より前です",
                facts.created
            ),
        ));
    }
    Ok(Payload::RetentionSet { until })
}

/// Whether `incident` may be purged `today` with the confirmation `confirm`.
pub fn decide_purge(
    incident: Option<&IncidentFacts>,
    confirm: &str,
    today: NaiveDate,
) -> Result<(), FieldError> {
    let facts = incident.ok_or_else(not_found)?;
    if facts.purged {
        return Err(already_purged());
    }
    if confirm.trim() != facts.id {
        return Err(FieldError::new(
            "confirm",
            "確認のため、消去する事案の事案IDをそのまま入力してください",
        ));
    }
    let Some(until) = facts.until else {
        return Err(FieldError::new(
            "retention_until",
            "この事案には保存期間の終了日が設定されていません。先に終了日を設定してください",
        ));
    };
    if today < until {
        return Err(FieldError::new(
            "retention_until",
            format!("保存期間は {until} まで続きます。消去できるのはその日からです"),
        ));
    }
    if facts.unreported > 0 {
        return Err(FieldError::new(
            "incident_id",
            format!(
                "この事案には上位の団体へまだ報告していない記録が {} 件あります。報告を済ませてから消去してください",
                facts.unreported
            ),
        ));
    }
    if facts.unsealed > 0 {
        return Err(FieldError::new(
            "incident_id",
            format!(
                "この事案には個人情報を暗号化せずに記録した事象が {} 件あります（封印の導入前の記録）。消去しても読めなくすることができないため、消去しません",
                facts.unsealed
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn facts() -> IncidentFacts {
        IncidentFacts {
            id: "0190a0b0-0000-7000-8000-000000000001".into(),
            created: day("2026-01-10"),
            until: Some(day("2031-03-31")),
            purged: false,
            unsealed: 0,
            unreported: 0,
        }
    }

    #[test]
    fn retention_cannot_end_before_the_incident_began() {
        let error = decide_set(Some(&facts()), day("2026-01-09")).unwrap_err();
        assert_eq!(error.field, "retention_until");
        assert_eq!(
            decide_set(Some(&facts()), day("2026-01-10")).unwrap(),
            Payload::RetentionSet {
                until: day("2026-01-10")
            }
        );
        assert_eq!(
            decide_set(None, day("2030-01-01")).unwrap_err().field,
            "incident_id"
        );
    }

    #[test]
    fn a_purged_incident_takes_no_new_retention_and_no_second_purge() {
        let purged = IncidentFacts {
            purged: true,
            ..facts()
        };
        assert!(decide_set(Some(&purged), day("2040-01-01")).is_err());
        let error = decide_purge(Some(&purged), &purged.id, day("2040-01-01")).unwrap_err();
        assert!(error.message.contains("既に消去"), "{}", error.message);
    }

    #[test]
    fn purge_waits_for_the_end_of_the_period() {
        let f = facts();
        let error = decide_purge(Some(&f), &f.id, day("2031-03-30")).unwrap_err();
        assert_eq!(error.field, "retention_until");
        assert!(decide_purge(Some(&f), &f.id, day("2031-03-31")).is_ok());
        let unset = IncidentFacts {
            until: None,
            ..facts()
        };
        assert_eq!(
            decide_purge(Some(&unset), &f.id, day("2040-01-01"))
                .unwrap_err()
                .field,
            "retention_until"
        );
    }

    #[test]
    fn purge_asks_for_the_incident_id_as_confirmation() {
        let f = facts();
        let error = decide_purge(Some(&f), "yes", day("2032-01-01")).unwrap_err();
        assert_eq!(error.field, "confirm");
        assert!(decide_purge(Some(&f), &format!(" {} ", f.id), day("2032-01-01")).is_ok());
    }

    #[test]
    fn purge_refuses_unreported_and_unsealed_events() {
        let unreported = IncidentFacts {
            unreported: 3,
            ..facts()
        };
        let error = decide_purge(Some(&unreported), &unreported.id, day("2032-01-01")).unwrap_err();
        assert!(error.message.contains("3 件"), "{}", error.message);
        let unsealed = IncidentFacts {
            unsealed: 2,
            ..facts()
        };
        let error = decide_purge(Some(&unsealed), &unsealed.id, day("2032-01-01")).unwrap_err();
        assert!(error.message.contains("暗号化せず"), "{}", error.message);
    }
}
