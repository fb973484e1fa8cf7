//! Era (元号) and Gregorian date parsing and formatting. R: E-03, E-04.
//!
//! PLACEHOLDER: replaced by the canonical-forms work (issue 3). Only the public
//! signatures below are relied on elsewhere.

use chrono::NaiveDate;

/// Why a date could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Nothing was given.
    #[error("日付が入力されていません")]
    Empty,
    /// Only part of the date is known (e.g. year unknown). `suggestion` is the text to
    /// put into other identifying information instead (E-03), e.g. `西暦1980年生`.
    #[error(
        "日付の一部しかわかりません。「その他個人を識別するための情報」に「{suggestion}」のように入力してください"
    )]
    Partial { suggestion: String },
    /// The text names a date that does not exist (平成32年, 2月30日 ...).
    #[error("存在しない日付です: {reason}")]
    Impossible { reason: String },
    /// The text is not a date in any accepted notation.
    #[error("日付として読み取れません（例: 昭和56年11月25日、S56.11.25、1981-11-25）")]
    Unreadable,
}

/// Parses a full date written in era form or Gregorian form.
pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DateError::Empty);
    }
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d").map_err(|_| DateError::Unreadable)
}

/// Formats a date in era form, e.g. `平成16年6月18日`, `令和元年5月1日`.
pub fn format_era(date: NaiveDate) -> String {
    date.format("%Y年%-m月%-d日").to_string()
}
