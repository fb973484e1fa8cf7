//! K-08: a roll-call answer that says the member is injured or evacuated becomes a
//! draft of 様式第1号 for the municipality's clerk — never a record by itself. The
//! clerk reviews it, completes what the roll-call cannot know (birth date, sex,
//! address, 居所, consent) and saves it through the usual entry path, which checks it
//! whole (E-01..E-04).
//!
//! Which answers qualify is read from the answer's wording, since a roll-call's
//! choices are editable: 重傷 → 負傷（重症）, 軽傷 → 負傷（軽症）, another 負傷 or 怪我
//! → 負傷 without a severity, 避難 → an evacuee (非該当). 無事, その他 and the rest make
//! no draft.
//!
//! A draft is entered only into an incident of the roll-call's mode
//! ([`check_incident`]): a drill's answers into a drill incident, an actual
//! roll-call's into an actual one (T-04: drill data never crosses into actual use).

use chrono::{DateTime, Utc};

use super::Mode;
use crate::entry::{EntryDraft, FormKind};
use crate::incident::{Incident, IncidentMode};

/// What an answer says about the member, for Form 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// 負傷, with the form's severity when the answer names one (重症, 軽症).
    Injured { severity: Option<&'static str> },
    /// 避難: an evacuee, not injured.
    Evacuated,
}

/// The need an answer status states, if any.
pub fn need_of(status: &str) -> Option<Need> {
    let status = status.trim();
    if status.contains("重傷") || status.contains("重症") {
        Some(Need::Injured {
            severity: Some("重症"),
        })
    } else if status.contains("軽傷") || status.contains("軽症") {
        Some(Need::Injured {
            severity: Some("軽症"),
        })
    } else if status.contains("負傷") || status.contains("怪我") || status.contains("けが") {
        Some(Need::Injured { severity: None })
    } else if status.contains("避難") {
        Some(Need::Evacuated)
    } else {
        None
    }
}

/// One member's latest answer, as the dashboard holds it.
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    pub name: &'a str,
    pub mails: &'a [String],
    pub status: &'a str,
    pub comment: &'a str,
    pub answered_at: DateTime<Utc>,
    /// The roll-call's title, named in the draft so the clerk sees where it came from.
    pub rollcall: &'a str,
}

/// The Form 1 draft of an answer, or `None` when the answer states no need.
pub fn draft(answer: &Answer<'_>) -> Option<EntryDraft> {
    let need = need_of(answer.status)?;
    let mut draft = EntryDraft {
        form: FormKind::Form1,
        // ⑫ 記入日時: when the member answered (Japan time), as the guideline's
        // 記入日時 is when the information was taken.
        written_at: answer
            .answered_at
            .with_timezone(&crate::entry::jst_offset())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        name: answer.name.trim().to_string(),
        ..EntryDraft::default()
    };
    let said = format!(
        "安否確認「{}」への回答: {}{}",
        answer.rollcall.trim(),
        answer.status.trim(),
        if answer.comment.trim().is_empty() {
            String::new()
        } else {
            format!("（{}）", answer.comment.trim())
        }
    );
    match need {
        Need::Injured { severity } => {
            draft.injury.status = "負傷".into();
            draft.injury.severity = severity.unwrap_or_default().into();
            draft.injury.description = said;
        }
        Need::Evacuated => {
            draft.injury.status = "非該当".into();
            // 備考, not ⑦: ⑦ holds the table 4-1 features that identify a person, and
            // an answer identifies nobody.
            draft.remarks = said;
        }
    }
    if !answer.mails.is_empty() {
        draft.contact = format!("メール {}", answer.mails.join(" "));
    }
    Some(draft)
}

/// The incident mode a roll-call's drafts belong to.
pub fn incident_mode(mode: Mode) -> IncidentMode {
    match mode {
        Mode::Actual => IncidentMode::Actual,
        Mode::Drill => IncidentMode::Drill,
    }
}

/// Whether a draft of a roll-call of `mode` may be entered into `incident`: only when
/// the modes agree. The refusal says which incident to choose, in Japanese.
pub fn check_incident(mode: Mode, incident: &Incident) -> Result<(), String> {
    let wanted = incident_mode(mode);
    if incident.mode == wanted {
        return Ok(());
    }
    let chosen = format!("「{}」【{}】", incident.name, incident.mode.label_ja());
    Err(match mode {
        Mode::Drill => format!(
            "この安否確認は訓練です。訓練の回答から作った下書きは訓練の事案にだけ入力できます（選択中の事案：{chosen}）。事案の選択で訓練の事案を選んでください"
        ),
        Mode::Actual => format!(
            "この安否確認は実際の災害のものです。下書きは実事案にだけ入力できます（選択中の事案：{chosen}）。事案の選択で実事案を選んでください"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer<'a>(status: &'a str, comment: &'a str, mails: &'a [String]) -> Answer<'a> {
        Answer {
            name: " 防災　花子 ",
            mails,
            status,
            comment,
            answered_at: "2026-12-06T01:05:00Z".parse().unwrap(),
            rollcall: "震度6弱 安否確認",
        }
    }

    #[test]
    fn injured_and_evacuated_answers_become_drafts_the_rest_do_not() {
        assert_eq!(
            need_of("重傷"),
            Some(Need::Injured {
                severity: Some("重症")
            })
        );
        assert_eq!(
            need_of("軽傷"),
            Some(Need::Injured {
                severity: Some("軽症")
            })
        );
        assert_eq!(
            need_of("負傷している"),
            Some(Need::Injured { severity: None })
        );
        assert_eq!(need_of("避難所にいる"), Some(Need::Evacuated));
        for none in ["無事", "その他", "", "出勤可能"] {
            assert_eq!(need_of(none), None, "{none}");
        }
    }

    #[test]
    fn a_draft_carries_what_the_answer_knows_and_nothing_more() {
        let mails = vec!["hanako@example.jp".to_string()];
        let draft = draft(&answer("重傷", "左足を骨折", &mails)).unwrap();
        assert_eq!(draft.form, FormKind::Form1);
        assert_eq!(draft.written_at, "2026-12-06 10:05", "Japan time");
        assert_eq!(draft.name, "防災　花子");
        assert_eq!(draft.injury.status, "負傷");
        assert_eq!(draft.injury.severity, "重症");
        assert_eq!(
            draft.injury.description,
            "安否確認「震度6弱 安否確認」への回答: 重傷（左足を骨折）"
        );
        assert_eq!(draft.contact, "メール hanako@example.jp");
        // What the roll-call cannot know stays for the clerk.
        assert!(draft.birth_date.is_empty() && draft.sex.is_empty());
        assert!(draft.address.is_empty());
        // Incomplete on purpose: the entry path refuses it until the clerk completes it.
        assert!(crate::entry::validate(&draft, Utc::now()).is_err());

        let evacuee = draft_of("避難", "");
        assert_eq!(evacuee.injury.status, "非該当");
        assert_eq!(
            evacuee.remarks,
            "安否確認「震度6弱 安否確認」への回答: 避難"
        );
        assert!(evacuee.contact.is_empty() && evacuee.identifying_info.is_empty());
        assert!(super::draft(&answer("無事", "", &[])).is_none());
    }

    #[test]
    fn a_draft_goes_only_into_an_incident_of_the_roll_calls_mode() {
        let incident = |mode| Incident {
            id: crate::ids::IncidentId::from_uuid(uuid::Uuid::from_u128(7)),
            name: "首都直下地震".into(),
            mode,
            created_at: "2026-12-06T00:00:00Z".parse().unwrap(),
        };
        let drill = incident(IncidentMode::Drill);
        let actual = incident(IncidentMode::Actual);
        assert_eq!(check_incident(Mode::Drill, &drill), Ok(()));
        assert_eq!(check_incident(Mode::Actual, &actual), Ok(()));
        let crossing = check_incident(Mode::Drill, &actual).unwrap_err();
        assert!(
            crossing.contains("訓練の事案にだけ") && crossing.contains("【実事案】"),
            "{crossing}"
        );
        let back = check_incident(Mode::Actual, &drill).unwrap_err();
        assert!(back.contains("実事案にだけ"), "{back}");
    }

    fn draft_of(status: &str, comment: &str) -> EntryDraft {
        draft(&answer(status, comment, &[])).unwrap()
    }
}
