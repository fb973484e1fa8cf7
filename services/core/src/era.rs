//! Era (元号) and Gregorian date parsing and formatting. R: E-03, E-04.
//!
//! Accepted: 明治/大正/昭和/平成/令和, their initials M/T/S/H/R (either case) and first
//! kanji (昭56.11.25), 元年, separators 年月日 . / - and spaces, full-width digits,
//! kanji numerals (昭和五十六年十一月二十五日), and Gregorian dates with a four-digit year
//! (1981-11-25, 1981/11/25, 1981年11月25日, 19811125, 西暦…). Era dates may also be
//! compact (H160618). A trailing 生/生まれ and a weekday in brackets are ignored.
//! Two-digit years without an era are refused: nothing is guessed.
//!
//! Era boundaries (first day, Gregorian): 明治 1868-01-25, 大正 1912-07-30, 昭和
//! 1926-12-25, 平成 1989-01-08, 令和 2019-05-01. 明治 was proclaimed on 1868-10-23 but
//! applied to the whole of 慶応4年, whose first day was 1868-01-25; and until 明治5年
//! the lunisolar calendar was in use, so a 明治 month and day cannot be checked
//! exactly. We therefore accept any day of 明治元年 (1868) as written, take month and
//! day at face value (no lunisolar conversion), and format dates from 1868-01-25 on
//! as 明治.

mod read;
#[cfg(test)]
mod tests;

use chrono::{Datelike, NaiveDate};

use read::Part;

/// Why a date could not be accepted. R: E-03, E-04.
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

type Ymd = (i32, u32, u32);

/// An era: its name, initials, first day, first day accepted, last day. R: E-04.
struct Era {
    name: &'static str,
    initial: char,
    kanji: char,
    first: Ymd,
    accepted_from: Ymd,
    last: Option<Ymd>,
}

const ERAS: [Era; 5] = [
    era("明治", 'm', '明', (1868, 1, 25), Some((1912, 7, 29))),
    era("大正", 't', '大', (1912, 7, 30), Some((1926, 12, 24))),
    era("昭和", 's', '昭', (1926, 12, 25), Some((1989, 1, 7))),
    era("平成", 'h', '平', (1989, 1, 8), Some((2019, 4, 30))),
    era("令和", 'r', '令', (2019, 5, 1), None),
];

/// Builds an era table entry. R: E-04.
const fn era(name: &'static str, initial: char, kanji: char, first: Ymd, last: Option<Ymd>) -> Era {
    // 明治元年 is accepted from its first Gregorian day (see the module doc).
    let accepted_from = if first.0 == 1868 { (1868, 1, 1) } else { first };
    Era {
        name,
        initial,
        kanji,
        first,
        accepted_from,
        last,
    }
}

/// Parses a full date written in era form or Gregorian form. A date known only in
/// part gives [`DateError::Partial`] with the text to record instead (E-03); a date
/// that cannot exist gives [`DateError::Impossible`] naming the problem. R: E-03, E-04.
pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    let (era, [year, month, day]) = read::read(text)?;
    resolve(era, year, month, day)
}

/// Formats a date in era form, e.g. `平成16年6月18日`, `令和元年5月1日`; dates before
/// 明治 (1868-01-25) in Gregorian form, e.g. `1867年1月1日`. R: E-04.
pub fn format_era(date: NaiveDate) -> String {
    let (y, m, d) = (date.year(), date.month(), date.day());
    match ERAS.iter().rev().find(|era| (y, m, d) >= era.first) {
        Some(era) => format!("{}{}年{m}月{d}日", era.name, era_year(y - era.first.0 + 1)),
        None => format!("{y}年{m}月{d}日"),
    }
}

/// Year number in era form: `元` for 1. R: E-04.
fn era_year(n: i32) -> String {
    if n == 1 {
        "元".to_string()
    } else {
        n.to_string()
    }
}

/// Checks the fields and turns them into a date, a partial-date suggestion or the
/// reason the date cannot exist. R: E-03, E-04.
fn resolve(era: Option<&Era>, year: Part, month: Part, day: Part) -> Result<NaiveDate, DateError> {
    let year = match year {
        Part::Known(n) => Some(gregorian_year(era, n)?),
        _ => None,
    };
    if let Part::Known(m) = month
        && !(1..=12).contains(&m)
    {
        return impossible(format!("{m}月はありません"));
    }
    if let Part::Known(d) = day {
        let max = match month {
            Part::Known(m) => days_in_month(year.unwrap_or(2000), m),
            _ => 31,
        };
        if d == 0 || d > max {
            return impossible(match (year, month) {
                (Some(y), Part::Known(2)) if d == 29 => {
                    format!("{y}年はうるう年ではないため、2月29日はありません")
                }
                (_, Part::Known(m)) => format!("{m}月{d}日はありません"),
                _ => format!("{d}日はありません"),
            });
        }
    }
    match (year, month, day) {
        (Some(y), Part::Known(m), Part::Known(d)) => {
            if let Some(era) = era {
                check_in_era(era, (y, m, d), (y, m, d))?;
            }
            NaiveDate::from_ymd_opt(y, m, d).ok_or(DateError::Unreadable)
        }
        (Some(y), Part::Known(m), _) => {
            if let Some(era) = era {
                check_in_era(era, (y, m, 1), (y, m, days_in_month(y, m)))?;
            }
            partial(format!("西暦{y}年{m}月生"))
        }
        (Some(y), _, _) => partial(format!("西暦{y}年生")),
        (None, Part::Known(m), Part::Known(d)) => partial(format!("{m}月{d}日生")),
        (None, Part::Known(m), _) => partial(format!("{m}月生")),
        _ => Err(DateError::Unreadable),
    }
}

/// The Gregorian year of year `n` of `era` (or of no era), refusing years past its end. R: E-04.
fn gregorian_year(era: Option<&Era>, n: u32) -> Result<i32, DateError> {
    let name = era.map_or("", |e| e.name);
    if n == 0 {
        return impossible(format!("{name}0年はありません"));
    }
    let n = i32::try_from(n).map_err(|_| DateError::Unreadable)?;
    let Some(era) = era else {
        return in_range(n);
    };
    if let Some((y, m, d)) = era.last {
        let years = y - era.first.0 + 1;
        if n > years {
            return impossible(format!("{name}は{years}年（{y}年{m}月{d}日）までです"));
        }
    }
    in_range(era.first.0 + n - 1)
}

/// The years a safety record can name: from 明治元年 (births of the oldest people
/// alive, and anything later) to 2200. Outside them a date is a typing error (found by
/// fuzzing: `0666年6月` or `R8560.2` were read as real years). R: E-04.
pub const YEARS: std::ops::RangeInclusive<i32> = 1868..=2200;

fn in_range(year: i32) -> Result<i32, DateError> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        impossible(format!(
            "西暦{year}年は扱える範囲（{}年〜{}年）の外です",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// Refuses dates from `earliest` to `latest` that lie wholly outside `era`. R: E-04.
fn check_in_era(era: &Era, earliest: Ymd, latest: Ymd) -> Result<(), DateError> {
    let name = era.name;
    if latest < era.accepted_from {
        let (y, m, d) = era.first;
        return impossible(format!(
            "{name}は{y}年{m}月{d}日（{name}元年{m}月{d}日）に始まりました"
        ));
    }
    match era.last {
        Some((y, m, d)) if earliest > (y, m, d) => {
            let n = y - era.first.0 + 1;
            impossible(format!(
                "{name}は{y}年{m}月{d}日（{name}{n}年{m}月{d}日）に終わりました"
            ))
        }
        _ => Ok(()),
    }
}

/// Days in a month of the (proleptic) Gregorian calendar. R: E-04.
fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// `Err(Impossible)` with a reason for the clerk. R: E-04.
fn impossible<T>(reason: String) -> Result<T, DateError> {
    Err(DateError::Impossible { reason })
}

/// `Err(Partial)` with the text to record instead. R: E-03.
fn partial<T>(suggestion: String) -> Result<T, DateError> {
    Err(DateError::Partial { suggestion })
}
