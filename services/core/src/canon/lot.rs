//! Recognising numbers, 丁目 and lot notations (番地・号) in an address as written.
//! R: E-15.
//!
//! Used by [`super::split`] to find where the town name ends. A number is a run of
//! digits (ASCII or full-width) or of kanji numerals. A run of digits starts a number
//! unless 条/線 follows (Hokkaido town names such as 北1条西); a run of kanji numerals
//! only when 丁目 or a lot notation follows, since kanji numerals are common inside
//! names (四谷, 一番町, 三ノ輪, 十日町).

use super::fold::is_dash;
use super::kana::CHOONPU;
use super::numerals::{is_kanji_numeral, parse_kanji_number};

/// Whether `c` is an ASCII or full-width digit. R: E-15.
pub fn is_digit_like(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// End of the number starting at `start`: a run of digits and kanji numerals (a mixed
/// run such as `1二` is read as one number, as the key reads it), each kanji part
/// being a well-formed number. R: E-15.
pub fn number_end(chars: &[char], start: usize) -> Option<usize> {
    let is_numeral = |c: &char| is_digit_like(*c) || is_kanji_numeral(*c);
    let run = chars.get(start..)?;
    let end = start + run.iter().take_while(|c| is_numeral(c)).count();
    if end == start {
        return None;
    }
    let well_formed = chars[start..end]
        .split(|c| is_digit_like(*c))
        .filter(|part| !part.is_empty())
        .all(|part| parse_kanji_number(&part.iter().collect::<String>()).is_some());
    well_formed.then_some(end)
}

/// Whether a number that belongs to the address numbering (丁目 or lot) starts at
/// `index`, as opposed to a numeral inside a name. R: E-15.
pub fn is_number_start(chars: &[char], index: usize) -> bool {
    let Some(&c) = chars.get(index) else {
        return false;
    };
    let previous = index.checked_sub(1).and_then(|p| chars.get(p)).copied();
    if previous.is_some_and(|p| is_digit_like(p) || is_kanji_numeral(p)) {
        return false;
    }
    let Some(end) = number_end(chars, index) else {
        return false;
    };
    if is_digit_like(c) {
        return !matches!(chars.get(end), Some('条' | '線'));
    }
    chome_end(chars, index).is_some() || lot_end(chars, index).is_some_and(|e| e > end)
}

/// End of the street number (丁目) starting at `start`: `N丁目`, or `N丁` written
/// without 目 when a lot number follows it directly (`2丁3-10`) or nothing but spaces
/// and other text do (`2丁`, `2丁 霞ビル`). `N丁` before other text is a name
/// (`八丁堀`), and so is `N丁の…` (`六丁の目`). `None` when no number starts there.
/// R: E-15, N-03.
pub fn chome_end(chars: &[char], start: usize) -> Option<usize> {
    let end = number_end(chars, start)?;
    match chars.get(end..=end + 1) {
        Some(['丁', '目']) => return Some(end + 2),
        Some(['丁', next]) if !next.is_whitespace() && number_end(chars, end + 1).is_none() => {
            return None;
        }
        _ => {}
    }
    (chars.get(end) == Some(&'丁')).then_some(end + 1)
}

/// Width of the lot marker at `index` (番地, 番, 号, a dash, の/ノ). R: E-15.
fn marker_len(chars: &[char], index: usize) -> Option<usize> {
    match *chars.get(index)? {
        '番' if chars.get(index + 1) == Some(&'地') => Some(2),
        '番' | '号' | 'の' | 'ノ' | CHOONPU | 'ｰ' => Some(1),
        c if is_dash(c) => Some(1),
        _ => None,
    }
}

/// End of the lot notation starting at `start`: numbers joined by markers (`1番2号`,
/// `2-1-2`, `1番地の2`, `一番二号`), with a trailing 番地, or a trailing 番/号 at the
/// end of the text or before a space. `None` when no number starts there. R: E-15.
pub fn lot_end(chars: &[char], start: usize) -> Option<usize> {
    let mut end = number_end(chars, start)?;
    loop {
        let mut index = end;
        let mut trailing_ok = true;
        let mut strong = false;
        while let Some(width) = marker_len(chars, index) {
            let marker = chars[index];
            trailing_ok &= marker == '番' || marker == '号';
            strong |= width == 2;
            index += width;
        }
        if index == end {
            return Some(end);
        }
        if let Some(next) = number_end(chars, index) {
            end = next;
            continue;
        }
        let followed_ok = chars.get(index).is_none_or(|c| c.is_whitespace());
        return Some(if trailing_ok && (followed_ok || strong) {
            index
        } else {
            end
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(text: &str) -> Vec<char> {
        text.chars().collect()
    }

    #[test]
    fn lot_extents() {
        let cases = [
            ("1番2号", Some(4)),
            ("2-1-2", Some(5)),
            ("２－１－２　霞ビル", Some(5)),
            ("1番地の2", Some(5)),
            ("一番二号", Some(4)),
            ("5番地", Some(3)),
            ("5番地霞ビル", Some(3)),
            ("1番町", Some(1)),
            ("1-2-3 2号館", Some(5)),
            ("12", Some(2)),
            ("百五番", Some(3)),
            ("3-", Some(1)),
            ("町", None),
        ];
        for (text, expected) in cases {
            assert_eq!(lot_end(&chars(text), 0), expected, "{text}");
        }
    }

    #[test]
    fn chome_extents() {
        let cases = [
            ("2丁目1番", Some(3)),
            ("二丁目", Some(3)),
            ("2丁3-10", Some(2)),
            ("２丁３－１０", Some(2)),
            ("二丁三番", Some(2)),
            ("2丁", Some(2)),
            ("2丁 3-10", Some(2)),
            ("2丁 霞ビル", Some(2)),
            ("八丁堀", None),
            ("6丁の目", None),
            ("2番", None),
            ("丁目", None),
        ];
        for (text, expected) in cases {
            assert_eq!(chome_end(&chars(text), 0), expected, "{text}");
        }
    }

    #[test]
    fn number_starts() {
        let cases = [
            ("霞が関2丁目", 3, true),
            ("北1条西", 1, false),
            ("四谷", 0, false),
            ("四谷三丁目", 2, true),
            ("一番町", 0, false),
            ("三ノ輪", 0, false),
            ("十日町", 0, false),
            ("八丁堀", 0, false),
            ("二丁三番", 0, true),
            ("南花田口町２丁３", 5, true),
            ("二十三番地", 0, true),
            ("二十三番地", 1, false),
            ("12", 1, false),
        ];
        for (text, index, expected) in cases {
            assert_eq!(
                is_number_start(&chars(text), index),
                expected,
                "{text}@{index}"
            );
        }
    }
}
