//! Canonical key of a Japanese address. R: E-15.
//!
//! The key is built from the parts joined by a space, so how a clerk divided the
//! address between the fields does not matter (`霞が関2丁目` + `1番2号` =
//! `霞ヶ関` + `2-1-2`). Steps, in order:
//! 1. a prefecture field written short (`東京`) becomes its full name (`東京都`);
//! 2. NFKC, lower case, kanji variants, katakana, small kana → large (`ヶ` → `ケ`);
//! 3. between two kanji, `カ/ガ/ケ` (from ヶ, ヵ, が …) become `ケ` and `ツ` (from ッ, つ)
//!    is dropped: 霞が関 = 霞ヶ関 = 霞ケ関, 四ツ谷 = 四谷; katakana words are untouched;
//! 4. every run of kanji numerals becomes Arabic (`二十三` → `23`, `四谷` → `4谷`,
//!    consistently on both sides of a comparison);
//! 5. lot notation: after a number, 丁目/番地/番/号, dashes (- ‐ － ― ー – —), の/ノ
//!    and spaces followed by another number become one `-`; at the end 丁目/番地 and
//!    a final 番/号 are dropped (`2丁目1番2号` = `2-1-2`, `1番地2` = `1-2`). A 番/号
//!    followed by other text (`一番町`, `2号館`) is kept: it is part of a name.
//!
//! Remaining spaces are dropped. Nothing is guessed: text that is not a number or a
//! lot marker is kept as it is (folded).

use unicode_normalization::UnicodeNormalization;

use super::fold::{is_dash, is_ideograph, is_ignorable};
use super::kana::{CHOONPU, to_katakana, to_large};
use super::numerals::{is_kanji_numeral, replace_kanji_numerals};
use super::variants::standard_form;
use crate::prefecture;

/// Canonical key of an address given as its parts. R: E-15.
pub fn address_key(prefecture: &str, municipality: &str, town: &str, lot: &str) -> String {
    let prefecture = prefecture::code_of(prefecture)
        .and_then(prefecture::name_of)
        .unwrap_or(prefecture);
    let mut key = normalize(&[prefecture, municipality, town, lot].join(" "));
    for _ in 0..4 {
        let next = normalize(&key);
        if next == key {
            break;
        }
        key = next;
    }
    key
}

/// Steps 2 to 5, once. R: E-15.
fn normalize(text: &str) -> String {
    let chars = fold_between_kanji(&fold_chars(text));
    let text = replace_kanji_numerals(&chars.into_iter().collect::<String>());
    fold_lots(&text.chars().collect::<Vec<_>>())
}

/// Step 2; whitespace runs become one ASCII space, kept for step 5. R: E-15.
fn fold_chars(text: &str) -> Vec<char> {
    let mut chars: Vec<char> = Vec::with_capacity(text.len());
    for c in text.nfkc().flat_map(char::to_lowercase) {
        if c.is_whitespace() {
            if chars.last() != Some(&' ') {
                chars.push(' ');
            }
        } else if !is_ignorable(c) {
            chars.push(to_large(to_katakana(standard_form(c))));
        }
    }
    chars
}

/// Step 3. Spaces do not separate the neighbours (they are dropped later); between two
/// kanji numerals nothing is folded, so that numbers are not merged. R: E-15.
fn fold_between_kanji(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len());
    for (index, c) in chars.iter().enumerate() {
        let mut before = chars[..index].iter().rev().filter(|c| **c != ' ');
        let mut after = chars[index + 1..].iter().filter(|c| **c != ' ');
        let (before, after) = (before.next().copied(), after.next().copied());
        let between = before.is_some_and(is_ideograph)
            && after.is_some_and(is_ideograph)
            && !(before.is_some_and(is_kanji_numeral) && after.is_some_and(is_kanji_numeral));
        match c {
            'カ' | 'ガ' | 'ケ' if between => out.push('ケ'),
            'ツ' if between => {}
            _ => out.push(*c),
        }
    }
    out
}

/// A lot marker after a number. R: E-15.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// 丁目, 番地, a dash: always part of the lot notation.
    Strong,
    /// 番, 号: part of the lot notation unless a name goes on after it.
    Weak(char),
    /// の/ノ: a separator only between two numbers.
    Link,
    Space,
}

/// Step 5. R: E-15.
fn fold_lots(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len());
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if c.is_ascii_digit() {
            let end = index
                + chars[index..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .count();
            let digits: String = chars[index..end].iter().collect();
            let trimmed = digits.trim_start_matches('0');
            out.push_str(if trimmed.is_empty() { "0" } else { trimmed });
            let (markers, after) = marker_run(chars, end);
            let at_end = after == chars.len();
            if chars.get(after).is_some_and(char::is_ascii_digit) {
                out.push('-');
            } else {
                for (position, marker) in markers.iter().enumerate() {
                    let last = position + 1 == markers.len();
                    match marker {
                        Marker::Weak(w) if last && !at_end => out.push(*w),
                        Marker::Link => out.push('ノ'),
                        _ => {}
                    }
                }
            }
            index = after;
        } else {
            match c {
                ' ' => {}
                c if is_dash(c) => out.push('-'),
                c => out.push(c),
            }
            index += 1;
        }
    }
    out
}

/// The lot markers following a number at `start`, and where they end. R: E-15.
fn marker_run(chars: &[char], start: usize) -> (Vec<Marker>, usize) {
    let mut markers = Vec::new();
    let mut index = start;
    while let Some(&c) = chars.get(index) {
        let next = chars.get(index + 1).copied();
        let (marker, width) = match (c, next) {
            ('丁', Some('目')) | ('番', Some('地')) => (Marker::Strong, 2),
            ('番' | '号', _) => (Marker::Weak(c), 1),
            ('ノ', _) => (Marker::Link, 1),
            (' ', _) => (Marker::Space, 1),
            (c, _) if is_dash(c) || c == CHOONPU => (Marker::Strong, 1),
            _ => break,
        };
        markers.push(marker);
        index += width;
    }
    (markers, index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(town: &str, lot: &str) -> String {
        address_key("東京都", "千代田区", town, lot)
    }

    #[test]
    fn how_the_fields_are_split_does_not_matter() {
        let expected = key("霞が関2丁目", "1番2号");
        let same = [
            key("霞ヶ関二丁目", "1-2"),
            key("霞が関", "2-1-2"),
            key("霞ケ関", "２－１－２"),
            key("霞ヵ関二丁目", "一番二号"),
            key("霞が関2", "1-2"),
            key("霞が関２丁目１番２号", ""),
            address_key("東京", "千代田区", "霞が関", "2丁目1番2号"),
            address_key("", "", "東京都千代田区霞が関二丁目", "1番2号"),
            address_key(" 東京都 ", "千代田区 ", " 霞が関 2丁目", " 1 番 2 号 "),
        ];
        for (index, other) in same.iter().enumerate() {
            assert_eq!(other, &expected, "case {index}");
        }
        assert_ne!(key("霞が関2丁目", "1番3号"), expected);
        assert_ne!(key("霞が関", "21-2"), expected);
        assert_ne!(
            address_key("大阪府", "千代田区", "霞が関2丁目", "1番2号"),
            expected
        );
    }

    #[test]
    fn equivalent_notations() {
        let pairs = [
            (("四谷", ""), ("四ツ谷", "")),
            (("四谷", ""), ("四ッ谷", "")),
            (("一ツ橋", ""), ("一橋", "")),
            (("本町", "1番地2"), ("本町", "1-2")),
            (("本町", "1番地の2"), ("本町", "1の2")),
            (("本町", "1ノ2"), ("本町", "1‐2")),
            (("本町", "1ー2"), ("本町", "1—2")),
            (("本町", "1―2"), ("本町", "1–2")),
            (("本町", "十二番地"), ("本町", "12")),
            (("本町", "二十三"), ("本町", "23")),
            (("本町", "百五番"), ("本町", "105")),
            (("本町", "5番地"), ("本町", "5")),
            (("本町", "05"), ("本町", "5")),
            (("髙田", "1"), ("高田", "1")),
            (("三ノ輪", ""), ("三の輪", "")),
        ];
        for ((town_a, lot_a), (town_b, lot_b)) in pairs {
            assert_eq!(key(town_a, lot_a), key(town_b, lot_b), "{town_a}{lot_a}");
        }
    }

    #[test]
    fn names_with_numbers_are_kept() {
        assert!(key("一番町", "").ends_with("1番町"));
        assert!(key("本町", "1-2-3 2号館").ends_with("1-2-3-2号館"));
        assert!(key("センター", "").ends_with("センター"));
        assert_ne!(key("一番町", ""), key("一", ""));
        assert_eq!(key("", "1-2 霞ビル"), key("", "1番2号 霞ビル"));
    }

    #[test]
    fn the_guideline_examples_are_one_lot() {
        // 第4 1(3)エ 統一ルール（住所の入力）: 「○○1丁目」「1番1号」 is the rule; 「○○1」
        // 「1-1」 the original could not match (N-03), nor 「○○一丁目」「一番一号」.
        let rule = key("○○1丁目", "1番1号");
        assert_eq!(key("○○1", "1-1"), rule);
        assert_eq!(key("○○一丁目", "一番一号"), rule);
        assert_eq!(key("○○１丁目", "１－１"), rule);
        assert_eq!(key("○○1丁目", "1-1"), rule);
    }

    #[test]
    fn empty_parts() {
        assert_eq!(address_key("", "", "", ""), "");
        assert_eq!(address_key("東京", "", "", ""), "東京都");
    }
}
