//! Reading the fields of a date as written: era, year, month, day. R: E-03, E-04.

use unicode_normalization::UnicodeNormalization;

use super::{DateError, ERAS, Era};
use crate::canon::numerals::replace_kanji_numerals;

/// One of year, month, day as written. R: E-03.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    Known(u32),
    Unknown,
    Missing,
}

/// A piece of a date as written: a number, 元, an unknown mark (不明, ?, ○ …), a
/// 年/月/日 label (slot 0/1/2) or a separator. R: E-04.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Num(u32, usize),
    Gan,
    Unknown,
    Label(usize),
    Sep,
}

/// Reads the era (if any) and the three fields of `text`; `Empty` or `Unreadable`
/// when there is nothing, or nothing in an accepted notation. R: E-03, E-04.
pub(super) fn read(text: &str) -> Result<(Option<&'static Era>, [Part; 3]), DateError> {
    let text = normalize(text);
    if text.is_empty() {
        return Err(DateError::Empty);
    }
    let (era, body) = split_era(&text);
    let tokens = tokenize(body).ok_or(DateError::Unreadable)?;
    let fields = if tokens.iter().any(|t| matches!(t, Tok::Label(_))) {
        labelled(era.is_some(), &tokens)
    } else {
        plain(era.is_some(), &tokens)
    };
    Ok((era, fields.ok_or(DateError::Unreadable)?))
}

/// NFKC, lower case, single spaces, no weekday, no 生/生まれ, no 西暦, Arabic numbers. R: E-04.
fn normalize(text: &str) -> String {
    let mut s: String = text.nfkc().flat_map(char::to_lowercase).collect();
    s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(open) = s.rfind('(') {
        let inner = s[open..].trim_start_matches('(').trim_end_matches(')');
        let inner = inner.trim_end_matches("曜日").trim_end_matches('曜');
        if s.ends_with(')') && ["日", "月", "火", "水", "木", "金", "土"].contains(&inner) {
            s.truncate(open);
        }
    }
    let mut s = s.trim();
    for suffix in ["生まれ", "生れ", "生"] {
        s = s.strip_suffix(suffix).unwrap_or(s).trim_end();
    }
    let s = s.strip_prefix("西暦").unwrap_or(s).trim_start();
    replace_kanji_numerals(s)
}

/// The era at the start of the text (name, initial or first kanji before a year). R: E-04.
fn split_era(text: &str) -> (Option<&'static Era>, &str) {
    for era in &ERAS {
        if let Some(rest) = text.strip_prefix(era.name) {
            return (Some(era), rest);
        }
    }
    let mut chars = text.chars();
    let (Some(first), rest) = (chars.next(), chars.as_str()) else {
        return (None, text);
    };
    let after = rest.trim_start_matches(['.', ' ']);
    let starts_year = after.starts_with(|c: char| c.is_ascii_digit() || c == '元');
    match ERAS.iter().find(|e| e.initial == first || e.kanji == first) {
        Some(era) if starts_year => (Some(era), rest),
        _ => (None, text),
    }
}

/// Splits the text after the era into tokens; `None` on any other character. R: E-04.
fn tokenize(body: &str) -> Option<Vec<Tok>> {
    let chars: Vec<char> = body.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let (token, width) = if c.is_ascii_digit() {
            let width = chars[index..]
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .count();
            let digits: String = chars[index..index + width].iter().collect();
            (
                Tok::Num(digits.parse().ok().filter(|_| width <= 8)?, width),
                width,
            )
        } else if matches!((c, chars.get(index + 1)), ('不', Some('明' | '詳'))) {
            (Tok::Unknown, 2)
        } else {
            let token = match c {
                '元' => Tok::Gan,
                '年' => Tok::Label(0),
                '月' => Tok::Label(1),
                '日' => Tok::Label(2),
                '?' | '○' | '◯' | '●' | '×' | '□' | '*' | 'x' | '_' => Tok::Unknown,
                '.' | '/' | '-' | ' ' | ',' | '、' | '‐' | '−' | 'ー' => Tok::Sep,
                _ => return None,
            };
            (token, 1)
        };
        if !(matches!(token, Tok::Sep | Tok::Unknown) && tokens.last() == Some(&token)) {
            tokens.push(token);
        }
        index += width;
    }
    Some(tokens)
}

/// Reads `…年…月…日`; a blank before a label is unknown, a value after the last label
/// fills the next field (`1981年11月25`). R: E-03, E-04.
fn labelled(has_era: bool, tokens: &[Tok]) -> Option<[Part; 3]> {
    let mut parts = [Part::Missing; 3];
    let mut next = 0;
    let mut value: Option<Tok> = None;
    for token in tokens {
        match *token {
            Tok::Sep => {}
            Tok::Label(slot) => {
                if slot < next {
                    return None;
                }
                let read = |v| part(v, slot, has_era, has_era);
                parts[slot] = value.take().map_or(Some(Part::Unknown), read)?;
                next = slot + 1;
            }
            other if value.is_none() => value = Some(other),
            _ => return None,
        }
    }
    if let Some(v) = value {
        *parts.get_mut(next)? = part(v, next, has_era, has_era)?;
    }
    Some(parts)
}

/// Reads values separated by `.`, `/`, `-` or spaces, or written without separators. R: E-03, E-04.
fn plain(has_era: bool, tokens: &[Tok]) -> Option<[Part; 3]> {
    let values: Vec<Tok> = tokens.iter().copied().filter(|t| *t != Tok::Sep).collect();
    let separated = tokens.windows(2).all(|w| w.contains(&Tok::Sep));
    if !separated {
        return None;
    }
    let year = |t: Tok| part(t, 0, has_era, has_era);
    match values.as_slice() {
        [Tok::Num(n, 8)] if !has_era => Some([
            Part::Known(n / 10_000),
            Part::Known(n / 100 % 100),
            Part::Known(n % 100),
        ]),
        [Tok::Num(n, 6)] if has_era => Some([
            Part::Known(n / 10_000),
            Part::Known(n / 100 % 100),
            Part::Known(n % 100),
        ]),
        [y] => Some([year(*y)?, Part::Missing, Part::Missing]),
        [a, b] if has_era || matches!(a, Tok::Num(_, 4)) => {
            Some([year(*a)?, part(*b, 1, false, false)?, Part::Missing])
        }
        [a, b] => Some([
            Part::Missing,
            part(*a, 1, false, false)?,
            part(*b, 2, false, false)?,
        ]),
        [y, m, d] => Some([
            year(*y)?,
            part(*m, 1, false, false)?,
            part(*d, 2, false, false)?,
        ]),
        _ => None,
    }
}

/// One field from a token. Years take four digits, or up to three (or 元) after an era. R: E-04.
fn part(token: Tok, slot: usize, short_year: bool, gan: bool) -> Option<Part> {
    match token {
        Tok::Unknown => Some(Part::Unknown),
        Tok::Gan if slot == 0 && gan => Some(Part::Known(1)),
        Tok::Num(n, width) if slot == 0 && (width == 4 || (short_year && width <= 3)) => {
            Some(Part::Known(n))
        }
        Tok::Num(n, width) if slot > 0 && width <= 2 => Some(Part::Known(n)),
        _ => None,
    }
}
