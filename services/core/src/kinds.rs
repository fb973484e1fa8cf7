//! Small value types that events carry and the rule modules decide: the dedup mode and
//! rule (`dedup`), the intake scope and the report notice (`report`). They live here,
//! apart from their rules, so that `event` imports no rule module (the rules fold
//! events); `dedup` and `report` re-export them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::RecordId;
use crate::jurisdiction::JurisdictionCode;

/// How the 4 information are compared (D-03), a node setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DedupMode {
    /// Canonical forms (表記ゆれ tolerated). The default.
    #[default]
    Canonical,
    /// Raw strings, as the original system compared them.
    Strict,
}

impl DedupMode {
    pub fn parse(text: &str) -> Option<DedupMode> {
        match text.trim() {
            "canonical" => Some(DedupMode::Canonical),
            "strict" => Some(DedupMode::Strict),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DedupMode::Canonical => "canonical",
            DedupMode::Strict => "strict",
        }
    }
}

impl fmt::Display for DedupMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which of the guideline's cases removed a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Same 記入日時, different 受信日時: the newer 受信日時 stays (例1).
    SameWrittenNewerReceived,
    /// 記入日時 and 受信日時 in the same order: the newer stays (例2).
    NewerWrittenAndReceived,
    /// Both times equal (the same form entered twice at once): the record made later
    /// (the greater UUID v7) stays. Not in the guideline; chosen to be deterministic.
    SameTimes,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::SameWrittenNewerReceived => "same_written_newer_received",
            Rule::NewerWrittenAndReceived => "newer_written_and_received",
            Rule::SameTimes => "same_times",
        }
    }

    /// The deletion reason shown for the removed record.
    pub fn reason_ja(self) -> &'static str {
        match self {
            Rule::SameWrittenNewerReceived => {
                "自動重複除去（4情報一致・記入日時が同じため受信日時の新しい情報を残す）"
            }
            Rule::NewerWrittenAndReceived => {
                "自動重複除去（4情報一致・記入日時と受信日時がともに新しい情報を残す）"
            }
            Rule::SameTimes => "自動重複除去（4情報一致・記入日時と受信日時が同じ）",
        }
    }
}

/// What an intake pause stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeScope {
    /// Entries, deletions and departures at this node (its own registrations).
    Own,
    /// Consuming reports from subordinate tiers (they wait in the stream).
    Reports,
}

impl IntakeScope {
    pub fn as_str(self) -> &'static str {
        match self {
            IntakeScope::Own => "own",
            IntakeScope::Reports => "reports",
        }
    }

    pub fn parse(text: &str) -> Option<IntakeScope> {
        match text.trim() {
            "own" => Some(IntakeScope::Own),
            "reports" => Some(IntakeScope::Reports),
            _ => None,
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            IntakeScope::Own => "自団体での登録",
            IntakeScope::Reports => "下位団体からの報告の受付",
        }
    }
}

/// Something the receiving tier must be told about a report (E-11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// An evacuee or injured person died: the Form 1 record was deleted and a Form 2
    /// record entered for the same person (guideline 第4 4(3)② 「避難住民が死亡した場合」).
    DeathConversion {
        old_record: RecordId,
        new_record: RecordId,
        name: String,
        origin: JurisdictionCode,
    },
}

impl Notice {
    /// The notice as shown to the receiving tier's staff.
    pub fn message_ja(&self) -> String {
        match self {
            Notice::DeathConversion {
                old_record,
                new_record,
                name,
                origin,
            } => format!(
                "避難住民・負傷住民として登録されていた安否情報が死亡住民に更新されました: {name}（収集団体 {origin}、旧 {old_record} → 新 {new_record}）"
            ),
        }
    }
}
