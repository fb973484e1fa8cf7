//! Identifier newtypes. Parsed once; never bare strings. R: L-01.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn from_uuid(uuid: Uuid) -> Self {
                $name(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text.trim()).map($name)
            }
        }
    };
}

uuid_id!(
    /// Identity of an event, made where the event first happened; kept on every tier.
    EventId
);
uuid_id!(
    /// Identity of a safety record (one person as entered by one entry).
    RecordId
);
uuid_id!(
    /// Identity of an incident (事案).
    IncidentId
);
uuid_id!(
    /// Identity of a report (報告) sent upward: one batch of events. R: R-01.
    ReportId
);
uuid_id!(
    /// Identity of an inquiry (照会) registered at a node. R: Q-01.
    InquiryId
);
uuid_id!(
    /// Identity of a roll-call (安否確認の一斉配信). R: K-01.
    RollcallId
);
uuid_id!(
    /// Identity of a node's event log, made when its database is created; a receiver
    /// orders a sender's reports by (sender, log, sequence number). R: R-02.
    LogId
);

/// Login ID of a staff account, unique within a node. R: A-01.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// 3–32 half-width letters, digits, `.`, `_` or `-`, starting with a letter or digit.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let ok_len = (3..=32).contains(&text.len());
        let ok_chars = text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        let ok_start = text
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        if ok_len && ok_chars && ok_start {
            Ok(AccountId(text.to_string()))
        } else {
            Err(format!(
                "ユーザーIDは半角英数字（. _ - も可）3〜32文字で入力してください（入力: {text}）"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AccountId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<AccountId> for String {
    fn from(value: AccountId) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids() {
        assert!(AccountId::parse("admin").is_ok());
        assert!(AccountId::parse("ab").is_err());
        assert!(AccountId::parse("-admin").is_err());
        assert!(AccountId::parse("管理者").is_err());
    }
}
