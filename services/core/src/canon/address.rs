//! Canonical key of a Japanese address. R: E-15.
//!
//! The key is built from the parts joined by a space, so how a clerk divided the
//! address between the fields does not matter (`霞が関2丁目` + `1番2号` =
//! `霞ヶ関` + `2-1-2`). Steps, in order:
//! 1. a prefecture field written short (`東京`) becomes its full name (`東京都`);
//! 2. NFKC, lower case, kanji variants, katakana, small kana → large (`ヶ` → `ケ`),
//!    `ヴ` read as in names (`ヴィラ` = `ビラ`, `ヴ` = `ブ`; dakuten are otherwise kept);
//! 3. between two kanji, `カ/ガ/ケ` (from ヶ, ヵ, が …) become `ケ` and `ツ` (from ッ, つ)
//!    is dropped: 霞が関 = 霞ヶ関 = 霞ケ関, 四ツ谷 = 四谷; katakana words are untouched;
//! 4. the prefixes 大字 and 字 are dropped where they begin a town name (N-03): right
//!    after a municipality's 市/区/町/村, or at the very start of the text (see
//!    [`drop_aza_prefixes`]);
//! 5. every run of kanji numerals becomes Arabic (`二十三` → `23`, `四谷` → `4谷`,
//!    consistently on both sides of a comparison);
//! 6. lot notation: after a number, 丁目/番地/番/号, dashes (- ‐ － ― ー – —), の/ノ
//!    and spaces followed by another number become one `-`; at the end 丁目/番地 and
//!    a final 番/号 are dropped (`2丁目1番2号` = `2-1-2`, `1番地2` = `1-2`). A 番/号
//!    followed by other text (`一番町`, `2号館`) is kept: it is part of a name. `丁`
//!    without `目` counts as 丁目 only when a number follows it (`2丁3-10` =
//!    `2丁目3番10号`), never before other text (`八丁堀` stays a name).
//!
//! Remaining spaces are dropped. Nothing is guessed: text that is not a number or a
//! lot marker is kept as it is (folded).

use unicode_normalization::UnicodeNormalization;

use super::fold::{is_dash, is_ideograph, is_ignorable};
use super::kana::{CHOONPU, read_vu, to_katakana, to_large};
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

/// Steps 2 to 6, once. R: E-15, N-03.
fn normalize(text: &str) -> String {
    let chars = drop_aza_prefixes(&fold_between_kanji(&fold_chars(text)));
    let text = replace_kanji_numerals(&chars.into_iter().collect::<String>());
    fold_lots(&text.chars().collect::<Vec<_>>())
}

/// Step 2; whitespace runs become one ASCII space, kept for step 6. R: E-15, N-02.
fn fold_chars(text: &str) -> Vec<char> {
    let mut chars: Vec<char> = Vec::with_capacity(text.len());
    let mut input = text.nfkc().flat_map(char::to_lowercase).peekable();
    while let Some(c) = input.next() {
        if c.is_whitespace() {
            if chars.last() != Some(&' ') {
                chars.push(' ');
            }
        } else if to_katakana(c) == 'ヴ' {
            let (syllable, took_next) = read_vu(input.peek().copied());
            if took_next {
                input.next();
            }
            chars.push(syllable);
        } else if !is_ignorable(c) {
            chars.push(to_large(to_katakana(standard_form(c))));
        }
    }
    chars
}

/// Where a municipality's name ends (`さいたま市緑区`, `恩納村`), so that a town name
/// may follow.
fn ends_municipality(c: char) -> bool {
    matches!(c, '市' | '区' | '町' | '村')
}

/// Step 4: drops `大字` (大字, ōaza) and `字` (小字, aza) where they begin a town name:
/// right after 市/区/町/村 or at the start of the text, spaces ignored, so that
/// `さいたま市緑区大字大門` = `さいたま市緑区大門` and `恩納村字恩納` = `恩納村恩納`.
/// R: N-03, E-15.
///
/// Only prefixes are dropped. In `大字X字Y` the 字 before the small section Y follows
/// the name X, not a municipality, and is kept: `大字X字Y` = `X字Y`, but ≠ `XY`, since a
/// 字 after a name cannot be told from a 字 inside one (`十文字`, `横手市十文字町`). A
/// 字 after a town name ending in 町/村 (`十文字町字海道下`) is a prefix and is dropped.
fn drop_aza_prefixes(chars: &[char]) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut index = 0;
    while index < chars.len() {
        let at_town_start = out
            .iter()
            .rev()
            .find(|c| **c != ' ')
            .is_none_or(|c| ends_municipality(*c));
        if at_town_start {
            if chars[index..].starts_with(&['大', '字']) {
                index += 2;
                continue;
            }
            if chars[index] == '字' {
                index += 1;
                continue;
            }
        }
        out.push(chars[index]);
        index += 1;
    }
    out
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

/// Step 6. R: E-15, N-03.
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

/// The lot markers following a number at `start`, and where they end. R: E-15, N-03.
fn marker_run(chars: &[char], start: usize) -> (Vec<Marker>, usize) {
    let mut markers = Vec::new();
    let mut index = start;
    while let Some(&c) = chars.get(index) {
        let next = chars.get(index + 1).copied();
        let number_follows = || {
            chars[index + 1..]
                .iter()
                .find(|c| **c != ' ')
                .is_some_and(char::is_ascii_digit)
        };
        let (marker, width) = match (c, next) {
            ('丁', Some('目')) | ('番', Some('地')) => (Marker::Strong, 2),
            // `2丁3-10`: 丁目 written without 目, known by the number after it.
            ('丁', _) if number_follows() => (Marker::Strong, 1),
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
    fn aza_prefixes_written_on_one_side_only() {
        // R: N-03. Given the same address with and without the 大字/字 prefix of its
        // town, when keyed, then the keys are equal, however the parts were split.
        let saitama = |town: &str, lot: &str| address_key("埼玉県", "さいたま市緑区", town, lot);
        let expected = saitama("大門", "120-1");
        for other in [
            saitama("大字大門", "120-1"),
            saitama("大字 大門", "120番地1"),
            saitama("字大門", "120-1"),
            address_key("埼玉県", "", "さいたま市緑区大字大門120-1", ""),
            address_key("", "", "埼玉県さいたま市緑区 大字大門", "120の1"),
        ] {
            assert_eq!(other, expected);
        }
        let onna = |town: &str| address_key("沖縄県", "国頭郡恩納村", town, "1");
        assert_eq!(onna("字恩納"), onna("恩納"));
        assert_eq!(onna("大字恩納"), onna("恩納"));
        // 大字X字Y: the small section's 字 follows a name and is kept, with or without
        // the 大字 before it; a 字 inside a name is never touched.
        let town = |town: &str| address_key("秋田県", "横手市", town, "1");
        assert_eq!(town("大字十文字町字海道下"), town("十文字町海道下"));
        assert_eq!(town("大字大沢字上野"), town("大沢字上野"));
        assert_ne!(town("大沢字上野"), town("大沢上野"));
        assert!(town("十文字町").contains("10文字町"));
        assert!(key("赤字", "").ends_with("赤字"));
        assert_eq!(
            address_key("", "", "大字大門", "1"),
            address_key("", "", "大門", "1")
        );
    }

    #[test]
    fn chome_written_without_moku() {
        // R: N-03. Given 丁目 written as 丁 before the lot number, when keyed, then it
        // is the same lot as 丁目/番/号; 丁 before anything but a number is a name.
        let sakai = |town: &str, lot: &str| address_key("大阪府", "堺市堺区", town, lot);
        let expected = sakai("南花田口町2丁目", "3番10号");
        for other in [
            sakai("南花田口町２丁３－１０", ""),
            sakai("南花田口町2丁", "3-10"),
            sakai("南花田口町", "2丁3番10号"),
            sakai("南花田口町二丁", "三番十号"),
            sakai("南花田口町2丁 3-10", ""),
        ] {
            assert_eq!(other, expected);
        }
        assert!(key("八丁堀", "3-1").ends_with("8丁堀3-1"));
        assert!(key("六丁の目", "").ends_with("6丁ノ目"));
        assert_ne!(key("八丁堀", ""), key("8丁目堀", ""));
    }

    #[test]
    fn vu_is_read_as_in_names() {
        // R: N-02.
        assert_eq!(key("本町", "1-2 ヴィラ本町"), key("本町", "1-2 ビラ本町"));
        assert_eq!(key("本町", "1-2 ヴェルデ"), key("本町", "1-2 ベルデ"));
        assert_eq!(key("本町", "1-2 ヴ"), key("本町", "1-2 ブ"));
        assert_ne!(key("本町", "1-2 ファン"), key("本町", "1-2 ヴァン"));
    }

    #[test]
    fn empty_parts() {
        assert_eq!(address_key("", "", "", ""), "");
        assert_eq!(address_key("東京", "", "", ""), "東京都");
    }
}
