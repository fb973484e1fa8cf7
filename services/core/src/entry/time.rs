//! 記入日時 parsing. R: E-01, E-13.
//!
//! Accepts RFC 3339 (`2026-11-21T10:00:00+09:00`) and local Japan time written as a
//! date (era or Gregorian, see [`crate::era`]) followed by `HH:MM`, `HH:MM:SS`,
//! `HH時MM分` or `HH時`. Local forms are taken as Japan time (UTC+9).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use unicode_normalization::UnicodeNormalization;

use crate::era;

/// Japan Standard Time; there is no daylight saving time in Japan.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("valid offset")
}

/// Parses a time of day: `14:30`, `14:30:05`, `14時30分`, `14時`.
pub fn parse_time_of_day(text: &str) -> Option<NaiveTime> {
    let folded: String = text.nfkc().collect::<String>().trim().to_string();
    if let Ok(time) = NaiveTime::parse_from_str(&folded, "%H:%M:%S") {
        return Some(time);
    }
    if let Ok(time) = NaiveTime::parse_from_str(&folded, "%H:%M") {
        return Some(time);
    }
    let stripped = folded.strip_suffix('分').unwrap_or(&folded);
    let (hour, minute) = match stripped.split_once('時') {
        Some((hour, minute)) => (hour, if minute.is_empty() { "0" } else { minute }),
        None => return None,
    };
    NaiveTime::from_hms_opt(hour.trim().parse().ok()?, minute.trim().parse().ok()?, 0)
}

/// Splits `<date> <time>` or `<date>日<time>` into its two parts.
fn split_date_time(text: &str) -> (String, String) {
    let text = text.replace('T', " ");
    if let Some((date, time)) = text.rsplit_once(char::is_whitespace)
        && (time.contains(':') || time.contains('時'))
    {
        return (date.trim().to_string(), time.trim().to_string());
    }
    if let Some(index) = text.find('日') {
        let (date, time) = text.split_at(index + '日'.len_utf8());
        return (date.trim().to_string(), time.trim().to_string());
    }
    (text.trim().to_string(), String::new())
}

/// Parses 記入日時. Errors are Japanese messages for the clerk.
pub fn parse_written_at(text: &str) -> Result<DateTime<Utc>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("記入日時は必須です。様式に記載された記入日時を入力してください".to_string());
    }
    if let Ok(moment) = DateTime::parse_from_rfc3339(trimmed) {
        return Ok(moment.with_timezone(&Utc));
    }
    let folded: String = trimmed.nfkc().collect();
    let (date_text, time_text) = split_date_time(&folded);
    let date: NaiveDate = era::parse_date(&date_text).map_err(|error| match error {
        era::DateError::Partial { .. } => "記入日時は年月日まで入力してください".to_string(),
        other => other.to_string(),
    })?;
    let time = if time_text.is_empty() {
        return Err(
            "記入日時の時刻（時・分）を入力してください（例: 2026-11-21 14:30）".to_string(),
        );
    } else {
        parse_time_of_day(&time_text).ok_or_else(|| {
            format!("記入日時の時刻「{time_text}」を読み取れません（例: 14:30、14時30分）")
        })?
    };
    jst()
        .from_local_datetime(&date.and_time(time))
        .single()
        .map(|moment| moment.with_timezone(&Utc))
        .ok_or_else(|| "記入日時を読み取れません".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_at_forms() {
        let expected = Utc.with_ymd_and_hms(2026, 11, 21, 5, 30, 0).unwrap();
        for text in [
            "2026-11-21T14:30:00+09:00",
            "2026-11-21 14:30",
            "2026-11-21T14:30",
            "２０２６－１１－２１　１４：３０",
            "2026-11-21 14時30分",
        ] {
            assert_eq!(parse_written_at(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn written_at_errors_are_japanese() {
        assert!(parse_written_at("").unwrap_err().contains("必須"));
        assert!(parse_written_at("2026-11-21").unwrap_err().contains("時刻"));
        assert!(
            parse_written_at("2026-11-21 25:00")
                .unwrap_err()
                .contains("25:00")
        );
        assert!(parse_written_at("きのう").is_err());
    }

    #[test]
    fn times_of_day() {
        assert_eq!(parse_time_of_day("9時"), NaiveTime::from_hms_opt(9, 0, 0));
        assert_eq!(
            parse_time_of_day("０９：０５"),
            NaiveTime::from_hms_opt(9, 5, 0)
        );
        assert_eq!(parse_time_of_day("noon"), None);
    }
}
