//! Jurisdictions and their 6-digit local-government codes. R: T-01, T-03.
//!
//! A code is five digits plus a check digit (全国地方公共団体コード, JIS X 0401/0402):
//! multiply the digits by 6, 5, 4, 3, 2, sum, take the remainder by 11, subtract it
//! from 11 and keep the last digit. Prefectures are `PP000` + check digit. The national
//! tier (消防庁) uses the reserved code `000001` (prefecture part `00`, which no real
//! jurisdiction has; its check digit is valid by the same rule).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The tier a node runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 市区町村
    Municipality,
    /// 都道府県
    Prefecture,
    /// 国（消防庁）
    National,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Municipality => "municipality",
            Tier::Prefecture => "prefecture",
            Tier::National => "national",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Tier::Municipality => "市区町村",
            Tier::Prefecture => "都道府県",
            Tier::National => "国（消防庁）",
        }
    }

    pub fn parse(text: &str) -> Option<Tier> {
        match text.trim() {
            "municipality" => Some(Tier::Municipality),
            "prefecture" => Some(Tier::Prefecture),
            "national" => Some(Tier::National),
            _ => None,
        }
    }
}

/// Why a jurisdiction code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("団体コードは6桁の数字で入力してください（入力: {0}）")]
    Shape(String),
    #[error("団体コード {0} の検査数字が正しくありません（正しくは {1}）")]
    CheckDigit(String, char),
    #[error("団体コード {0} の都道府県部分（{1:02}）が存在しません")]
    Prefecture(String, u8),
}

/// A validated 6-digit local-government code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JurisdictionCode(String);

/// The reserved code of the national tier.
pub const NATIONAL_CODE: &str = "000001";

/// Check digit for the first five digits of a code.
pub fn check_digit(first_five: &[u8; 5]) -> u8 {
    let weights = [6u32, 5, 4, 3, 2];
    let sum: u32 = first_five
        .iter()
        .zip(weights)
        .map(|(digit, weight)| u32::from(*digit) * weight)
        .sum();
    ((11 - sum % 11) % 10) as u8
}

impl JurisdictionCode {
    /// Parses a code, accepting full-width digits; checks shape, check digit and the
    /// prefecture part.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let digits: Vec<u8> = text
            .trim()
            .chars()
            .map(|c| match c {
                '0'..='9' => Some(c as u8 - b'0'),
                '０'..='９' => Some((c as u32 - '０' as u32) as u8),
                _ => None,
            })
            .collect::<Option<Vec<u8>>>()
            .filter(|d| d.len() == 6)
            .ok_or_else(|| CodeError::Shape(text.to_string()))?;
        let code: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        let first_five = [digits[0], digits[1], digits[2], digits[3], digits[4]];
        let expected = check_digit(&first_five);
        if expected != digits[5] {
            return Err(CodeError::CheckDigit(code, char::from(b'0' + expected)));
        }
        let prefecture = digits[0] * 10 + digits[1];
        if code != NATIONAL_CODE && !(1..=47).contains(&prefecture) {
            return Err(CodeError::Prefecture(code, prefecture));
        }
        Ok(JurisdictionCode(code))
    }

    pub fn national() -> Self {
        JurisdictionCode(NATIONAL_CODE.to_string())
    }

    /// The code of prefecture `number` (1..=47).
    pub fn prefecture(number: u8) -> Option<Self> {
        if !(1..=47).contains(&number) {
            return None;
        }
        let first_five = [number / 10, number % 10, 0, 0, 0];
        let check = check_digit(&first_five);
        Some(JurisdictionCode(format!("{number:02}000{check}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_national(&self) -> bool {
        self.0 == NATIONAL_CODE
    }

    /// Two-digit prefecture number (0 for the national code).
    pub fn prefecture_number(&self) -> u8 {
        let bytes = self.0.as_bytes();
        (bytes[0] - b'0') * 10 + (bytes[1] - b'0')
    }

    /// The tier this code denotes: `PP000c` is a prefecture, `000001` national, the rest
    /// municipalities.
    pub fn tier(&self) -> Tier {
        if self.is_national() {
            Tier::National
        } else if &self.0[2..5] == "000" {
            Tier::Prefecture
        } else {
            Tier::Municipality
        }
    }

    /// The natural parent of this jurisdiction (T-03): municipality → its prefecture,
    /// prefecture → national, national → none.
    pub fn natural_parent(&self) -> Option<Self> {
        match self.tier() {
            Tier::Municipality => Self::prefecture(self.prefecture_number()),
            Tier::Prefecture => Some(Self::national()),
            Tier::National => None,
        }
    }
}

impl fmt::Display for JurisdictionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for JurisdictionCode {
    type Error = CodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<JurisdictionCode> for String {
    fn from(value: JurisdictionCode) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_have_valid_check_digits() {
        // Published codes: 北海道 010006, 東京都 130001, 千代田区 131016,
        // 札幌市 011002, 大阪府 270008, 沖縄県 470007, 那覇市 472018.
        for code in [
            "010006", "130001", "131016", "011002", "270008", "470007", "472018",
        ] {
            assert!(JurisdictionCode::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn wrong_check_digit_names_the_right_one() {
        assert_eq!(
            JurisdictionCode::parse("131017"),
            Err(CodeError::CheckDigit("131017".into(), '6'))
        );
    }

    #[test]
    fn shape_and_prefecture_are_checked() {
        assert!(matches!(
            JurisdictionCode::parse("13101"),
            Err(CodeError::Shape(_))
        ));
        assert!(matches!(
            JurisdictionCode::parse("13a016"),
            Err(CodeError::Shape(_))
        ));
        // 48 is no prefecture; 480005 has a valid check digit.
        let first = [4, 8, 0, 0, 0];
        let code = format!("48000{}", check_digit(&first));
        assert!(matches!(
            JurisdictionCode::parse(&code),
            Err(CodeError::Prefecture(_, 48))
        ));
    }

    #[test]
    fn full_width_digits_are_accepted() {
        assert_eq!(
            JurisdictionCode::parse("１３１０１６").unwrap().as_str(),
            "131016"
        );
    }

    #[test]
    fn tiers_and_parents() {
        let chiyoda = JurisdictionCode::parse("131016").unwrap();
        assert_eq!(chiyoda.tier(), Tier::Municipality);
        let tokyo = chiyoda.natural_parent().unwrap();
        assert_eq!(tokyo.as_str(), "130001");
        assert_eq!(tokyo.tier(), Tier::Prefecture);
        assert_eq!(
            tokyo.natural_parent().unwrap(),
            JurisdictionCode::national()
        );
        assert_eq!(JurisdictionCode::national().natural_parent(), None);
        assert!(
            JurisdictionCode::parse(NATIONAL_CODE)
                .unwrap()
                .is_national()
        );
    }

    #[test]
    fn every_prefecture_code_is_valid() {
        for number in 1..=47 {
            let code = JurisdictionCode::prefecture(number).unwrap();
            assert_eq!(JurisdictionCode::parse(code.as_str()).unwrap(), code);
        }
    }
}
