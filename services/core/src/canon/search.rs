//! The key for partial (曖昧) search. R: N-01, N-02, N-03, N-04, E-15.
//!
//! `search_key` is the coarsest fold: it drops everything the exact keys drop plus the
//! separators between name parts (`・`, `=`) and common punctuation (`、。()「」` …).
//! Two guarantees, both property-tested:
//! - consistency: `search_key(k(x)) == search_key(x)` for `k` in `name_key`,
//!   `kana_key` and `text_key`, so texts equal under an exact key are equal here;
//! - containment: every step works character by character (the marks ー, 々, ゝ look
//!   only at the character before them, and are dropped when nothing is before), so if
//!   `needle` occurs in `haystack`, `search_key(needle)` occurs in
//!   `search_key(haystack)`. This holds for Japanese and Latin text; scripts whose
//!   NFKC composes across characters (Hangul jamo, some combining sequences) may differ
//!   at the edges of the needle, and so does a needle that cuts `ヴ` from the small
//!   vowel read with it (`ヴィ` is one syllable, `ビ`: the needle `ヴ` is not found in
//!   `ヴィクトル`, `ヴィ` and `ビ` are).
//!
//! Addresses are compared with [`super::address_key`], which reads numbers and lot
//! notation in context and is therefore not a character-by-character fold.

use super::fold::{Level, fold};

/// Canonical string for partial search: store it for the searchable fields and look
/// for `search_key(query)` as a substring. R: N-01..N-04, E-15.
pub fn search_key(text: &str) -> String {
    fold(text, Level::Search)
}

/// Whether `query` occurs in `text` after both are folded with [`search_key`]. An
/// empty query matches everything. R: N-01..N-04, E-15.
pub fn search_matches(text: &str, query: &str) -> bool {
    search_key(text).contains(&search_key(query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_matches() {
        let cases = [
            ("消防　太郎", "太郎", true),
            ("消防　太郎", "消防太郎", true),
            ("消防　太郎", "しょうぼう", false),
            ("ショウボウ　タロウ", "しょうぼう", true),
            ("ショウボウ　タロウ", "ﾎﾞｳﾀ", true),
            ("赤いめがねをかけている", "メガネ", true),
            ("赤いメガネ、黒い帽子", "めがね黒い", true),
            ("身長１００ｃｍ以下", "100cm", true),
            ("身長100㎝以下", "１００ｃｍ以下", true),
            ("髙橋　一郎", "高橋", true),
            ("渡邊", "渡辺", true),
            ("齋藤", "斉藤", false),
            ("ジョン・スミス", "ジョンスミス", true),
            ("オーノ　ユーコ", "ユウコ", true),
            ("オーノ　ユーコ", "ーコ", true),
            ("佐々木", "佐佐", true),
            ("佐々木", "々木", true),
            ("Yamada Taro", "TARO", true),
            ("ヴィクトル・ユーゴー", "ビクトル", true),
            ("ビクトル　ユーゴー", "ヴィクトル", true),
            ("山田", "", true),
        ];
        for (text, query, expected) in cases {
            assert_eq!(search_matches(text, query), expected, "{text} / {query}");
        }
    }

    #[test]
    fn search_key_examples() {
        assert_eq!(search_key("消防　太郎"), "消防太郎");
        assert_eq!(search_key("メガネ"), search_key("めがね"));
        assert_eq!(search_key("「バス」（青）"), "ハス青");
    }
}
