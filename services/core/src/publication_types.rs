//! The data a publication decision event holds: below `event`, so that the log
//! can carry it; the rules are `crate::publication`, which re-exports these types.

use serde::{Deserialize, Serialize};

use crate::jurisdiction::JurisdictionCode;

/// Why publication is allowed (第5 4(4) 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicationBasis {
    /// 2(1): the person (or, for the dead, the bereaved) agreed to publication (⑭/⑪).
    Consent,
    /// 2(3): consent could not be obtained or is unknown; only the minimal information.
    ConsentNotObtainable,
}

impl PublicationBasis {
    /// The stored name (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            PublicationBasis::Consent => "consent",
            PublicationBasis::ConsentNotObtainable => "consent_not_obtainable",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "consent" => Some(PublicationBasis::Consent),
            "consent_not_obtainable" => Some(PublicationBasis::ConsentNotObtainable),
            _ => None,
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            PublicationBasis::Consent => "本人（遺族）が公表に同意（第5 4(4) 2(1)）",
            PublicationBasis::ConsentNotObtainable => {
                "同意を得ることが困難・不明のため必要最小限度の情報に限る（第5 4(4) 2(3)）"
            }
        }
    }
}

/// The body that collected the record, and whom there the decision was confirmed with
/// (第5 4(3)イ(ウ)b), for a decision this body did not make itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmedWith {
    pub body: JurisdictionCode,
    /// Who confirmed it, and how (「千代田区 防災課 山田 電話」).
    pub contact: String,
}

/// A publication decision about one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationDecision {
    pub publish: bool,
    /// Why publication is allowed; `None` when not publishing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<PublicationBasis>,
    pub reason: String,
    /// `None`: this body's own decision about a record it collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_with: Option<ConfirmedWith>,
}

impl PublicationDecision {
    /// 「公表する」/「公表しない」.
    pub fn label_ja(&self) -> &'static str {
        if self.publish {
            "公表する"
        } else {
            "公表しない"
        }
    }
}
