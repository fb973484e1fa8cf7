//! The character fold shared by the name, furigana, free-text and search keys.
//! R: N-01, N-02, N-03, N-04, E-15.
//!
//! One pass does, per character: NFKC (full-width Latin and digits → ASCII,
//! half-width katakana → full-width, `㎝` → `cm`, `㍻` → `平成`), lower-casing, dropping
//! whitespace, control and zero-width characters and stray (han)dakuten, the kanji
//! variant table, and the kana fold of [`super::kana::fold_kana`] (a `ヴ` with the
//! small vowel after it first read as one syllable, `ヴァ` = `バ`). The marks that repeat
//! or lengthen what precedes them (ー, 々, ゝ, ヽ …) look back at the last character
//! written, skipping separators and punctuation so that the coarser levels (which
//! drop those) fold them the same way. Passes repeat until the output is stable, so
//! every key is idempotent.

use unicode_normalization::UnicodeNormalization;

use super::kana::{
    CHOONPU, fold_kana, is_kana, is_voicing_mark, long_vowel_after, read_vu, to_katakana,
};
use super::variants::standard_form;

/// How much a fold drops, from least to most. Each level drops what the previous one
/// drops, plus more. R: N-01, E-15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Free text: whitespace dropped, punctuation kept.
    Text,
    /// Names and furigana: also the separators between name parts (`・`, `=`, `·`).
    Name,
    /// Partial search: also common punctuation (`、。,「」()` …).
    Search,
}

/// Whether `c` separates the parts of a name (after NFKC: `＝` is `=`, `･` is `・`). R: N-01.
pub fn is_name_separator(c: char) -> bool {
    matches!(c, '・' | '=' | '゠' | '·')
}

/// Punctuation that partial search ignores. R: E-15.
pub fn is_punctuation(c: char) -> bool {
    matches!(
        c,
        '、' | '。'
            | ','
            | '「'
            | '」'
            | '『'
            | '』'
            | '('
            | ')'
            | '['
            | ']'
            | '【'
            | '】'
            | '〔'
            | '〕'
            | '!'
            | '?'
            | '"'
            | '\''
            | '“'
            | '”'
            | '‘'
            | '’'
    )
}

/// Whether `c` never matters in a key: whitespace, control, zero-width characters. R: N-01.
pub fn is_ignorable(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
        || is_voicing_mark(c)
}

/// Whether `c` is a CJK ideograph (kanji), including the iteration mark 々. R: N-04, E-15.
pub fn is_ideograph(c: char) -> bool {
    matches!(
        c,
        '々' | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{3FFFF}'
    )
}

/// Dash-like characters other than the long-vowel mark, folded to `-`. R: E-15.
pub fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2015}' | '\u{2043}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// Folds `text` at `level` until the result no longer changes. R: N-01..N-04, E-15.
pub fn fold(text: &str, level: Level) -> String {
    let mut current = pass(text, level);
    for _ in 0..4 {
        let next = pass(&current, level);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// One pass of the fold over `text`. `ヴ` is read together with the small vowel after
/// it (`ヴァ` = `バ`, see [`read_vu`]) before the per-character fold. R: N-01..N-04.
fn pass(text: &str, level: Level) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.nfkc().flat_map(char::to_lowercase).peekable();
    while let Some(c) = chars.next() {
        if to_katakana(c) == 'ヴ' {
            let (syllable, took_next) = read_vu(chars.peek().copied());
            if took_next {
                chars.next();
            }
            push(&mut out, syllable, level);
        } else {
            push(&mut out, c, level);
        }
    }
    out
}

/// Folds one character onto `out`. R: N-01..N-04.
fn push(out: &mut String, c: char, level: Level) {
    if is_ignorable(c)
        || (level >= Level::Name && is_name_separator(c))
        || (level >= Level::Search && is_punctuation(c))
    {
        return;
    }
    let c = standard_form(c);
    match to_katakana(c) {
        CHOONPU => {
            if let Some(previous) = last_written(out) {
                if let Some(vowel) = long_vowel_after(previous) {
                    out.push(vowel);
                } else if previous.is_ascii_alphanumeric() {
                    out.push('-');
                }
            }
        }
        'ヽ' | 'ヾ' => {
            if let Some(previous) = last_written(out).filter(|p| is_kana(*p)) {
                out.push(previous);
            }
        }
        '々' => {
            if let Some(previous) = last_written(out).filter(|p| is_ideograph(*p)) {
                out.push(previous);
            }
        }
        '〜' | '~' => out.push('~'),
        c if is_dash(c) => out.push('-'),
        c => out.push(fold_kana(c)),
    }
}

/// The last character written, skipping what a coarser level would have dropped. R: N-02.
fn last_written(out: &str) -> Option<char> {
    out.chars()
        .rev()
        .find(|c| !is_name_separator(*c) && !is_punctuation(*c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_vowel_marks() {
        let cases = [
            ("ユーコ", "ユウコ"),
            ("ユウコ", "ユウコ"),
            ("ケーコ", "ケイコ"),
            ("ショータ", "シヨウタ"),
            ("オーノ", "オウノ"),
            ("マーー", "マアア"),
            ("ンー", "ン"),
            ("ー", ""),
            ("山ー", "山"),
            ("1ー2", "1-2"),
            ("ｼｮｰﾀ", "シヨウタ"),
        ];
        for (text, expected) in cases {
            assert_eq!(fold(text, Level::Name), expected, "{text}");
        }
    }

    #[test]
    fn iteration_marks() {
        let cases = [
            ("佐々木", "佐佐木"),
            ("々木", "木"),
            ("いすゞ", "イスス"),
            ("ゝ", ""),
            ("a々", "a"),
        ];
        for (text, expected) in cases {
            assert_eq!(fold(text, Level::Name), expected, "{text}");
        }
    }

    #[test]
    fn levels_drop_more_and_more() {
        let text = "ジョン・スミス（米国）";
        assert_eq!(fold(text, Level::Text), "シヨン・スミス(米国)");
        assert_eq!(fold(text, Level::Name), "シヨンスミス(米国)");
        assert_eq!(fold(text, Level::Search), "シヨンスミス米国");
    }

    #[test]
    fn lookback_skips_what_coarser_levels_drop() {
        assert_eq!(fold("オ・ー", Level::Text), "オ・ウ");
        assert_eq!(fold("オ(ー", Level::Name), "オ(ウ");
        assert_eq!(fold("オ(ー", Level::Search), "オウ");
    }

    #[test]
    fn vu_syllables_fold_like_the_b_row() {
        // R: N-02. Given a foreign name written with ヴ and a small vowel, when it is
        // folded, then it equals the same name written with the b-row kana.
        let same = [
            ("ヴィクトル", "ビクトル"),
            ("ヴァイオリン", "バイオリン"),
            ("ヴェルサイユ", "ベルサイユ"),
            ("ヴォルフ", "ボルフ"),
            ("ゔぃくとる", "ビクトル"),
            ("ｳﾞｨｸﾄﾙ", "ビクトル"),
            ("ウ\u{3099}ィクトル", "ビクトル"),
            ("レヴュー", "レビュー"),
            ("ヴァー", "バー"),
            ("ヴ", "ブ"),
        ];
        for level in [Level::Text, Level::Name, Level::Search] {
            for (a, b) in same {
                assert_eq!(fold(a, level), fold(b, level), "{a} / {b} at {level:?}");
            }
        }
        // A voiceless ファ is not a ヴァ, and a large vowel after ヴ stays a vowel.
        assert_ne!(fold("ファン", Level::Name), fold("ヴァン", Level::Name));
        assert_eq!(fold("ヴア", Level::Name), "フア");
        assert_eq!(fold("ヴァ", Level::Name), "ハ");
    }

    #[test]
    fn dashes_and_ignorables() {
        assert_eq!(fold("1‐2—3−4－5", Level::Text), "1-2-3-4-5");
        assert_eq!(fold("a\u{200B}b\u{FEFF}c\u{0}d", Level::Text), "abcd");
        assert_eq!(fold("10〜20", Level::Text), "10~20");
        assert_eq!(fold("ア\u{3099}", Level::Text), "ア");
    }
}
