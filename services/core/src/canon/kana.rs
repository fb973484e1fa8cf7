//! Kana folding for tolerant matching, and the display form of furigana. R: N-02, N-03.
//!
//! Character classes and code points follow the Unicode blocks Hiragana (U+3040–309F),
//! Katakana (U+30A0–30FF) and Katakana Phonetic Extensions (U+31F0–31FF).

use unicode_normalization::UnicodeNormalization;

/// Long-vowel mark (長音符). R: N-02.
pub const CHOONPU: char = 'ー';

/// Hiragana → katakana (`あ` → `ア`, `ゝ` → `ヽ`); any other character unchanged. R: N-02.
pub fn to_katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => {
            char::from_u32(u32::from(c) + 0x60).unwrap_or(c)
        }
        _ => c,
    }
}

/// Whether `c` is hiragana or katakana proper (not the marks ー・ヽヾ゛゜). R: N-02.
pub fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | '\u{31F0}'..='\u{31FF}')
}

/// Folds one kana to its key form: katakana, large, without (han)dakuten. ヴ/ヂ/ヅ are
/// first read as ブ/ジ/ズ so that `ヂ` = `ジ` and `ヅ` = `ズ`; the obsolete ヰ/ヱ/ヲ
/// become イ/エ/オ. Any other character is returned unchanged. R: N-02, N-03.
pub fn fold_kana(c: char) -> char {
    match to_katakana(c) {
        'ァ' | 'ア' => 'ア',
        'ィ' | 'イ' | 'ヰ' | 'ヸ' => 'イ',
        'ゥ' | 'ウ' => 'ウ',
        'ェ' | 'エ' | 'ヱ' | 'ヹ' => 'エ',
        'ォ' | 'オ' | 'ヲ' | 'ヺ' => 'オ',
        'ヵ' | 'カ' | 'ガ' => 'カ',
        'キ' | 'ギ' => 'キ',
        'ク' | 'グ' | 'ㇰ' => 'ク',
        'ヶ' | 'ケ' | 'ゲ' => 'ケ',
        'コ' | 'ゴ' => 'コ',
        'サ' | 'ザ' => 'サ',
        'シ' | 'ジ' | 'ヂ' | 'ㇱ' => 'シ',
        'ス' | 'ズ' | 'ヅ' | 'ㇲ' => 'ス',
        'セ' | 'ゼ' => 'セ',
        'ソ' | 'ゾ' => 'ソ',
        'タ' | 'ダ' => 'タ',
        'ッ' | 'ツ' => 'ツ',
        'テ' | 'デ' => 'テ',
        'ト' | 'ド' | 'ㇳ' => 'ト',
        'ヌ' | 'ㇴ' => 'ヌ',
        'ハ' | 'バ' | 'パ' | 'ㇵ' => 'ハ',
        'ヒ' | 'ビ' | 'ピ' | 'ㇶ' => 'ヒ',
        'フ' | 'ブ' | 'プ' | 'ヴ' | 'ㇷ' => 'フ',
        'ヘ' | 'ベ' | 'ペ' | 'ㇸ' => 'ヘ',
        'ホ' | 'ボ' | 'ポ' | 'ㇹ' => 'ホ',
        'ム' | 'ㇺ' => 'ム',
        'ャ' | 'ヤ' => 'ヤ',
        'ュ' | 'ユ' => 'ユ',
        'ョ' | 'ヨ' => 'ヨ',
        'ラ' | 'ㇻ' => 'ラ',
        'リ' | 'ㇼ' => 'リ',
        'ル' | 'ㇽ' => 'ル',
        'レ' | 'ㇾ' => 'レ',
        'ロ' | 'ㇿ' => 'ロ',
        'ヮ' | 'ワ' | 'ヷ' => 'ワ',
        other => other,
    }
}

/// What `ヴ` (after [`to_katakana`]) stands for, given the character after it: with a
/// small vowel it is one b-row syllable (`ヴァ` = `バ`, `ヴィ` = `ビ`, `ヴェ` = `ベ`,
/// `ヴォ` = `ボ`, so `ヴィクトル` = `ビクトル`), `ヴュ` is `ビュ` (`レヴュー` = `レビュー`),
/// and otherwise `ヴ` alone is `ブ`. Returns the syllable and whether it took the next
/// character in. The next character is looked at as written, after NFKC and before
/// any other fold, so every key reads a `ヴ` the same way. R: N-02.
pub fn read_vu(next: Option<char>) -> (char, bool) {
    match next.map(to_katakana) {
        Some('ァ') => ('バ', true),
        Some('ィ') => ('ビ', true),
        Some('ェ') => ('ベ', true),
        Some('ォ') => ('ボ', true),
        Some('ュ') => ('ビ', false),
        _ => ('ブ', false),
    }
}

/// Small katakana → large (`ヶ` → `ケ`, `ッ` → `ツ`), keeping (han)dakuten; any other
/// character unchanged. Used by the address key, where `ガ` must stay `ガ`. R: E-15.
pub fn to_large(c: char) -> char {
    match c {
        'ァ' | 'ィ' | 'ゥ' | 'ェ' | 'ォ' | 'ッ' | 'ャ' | 'ュ' | 'ョ' | 'ヮ' => {
            char::from_u32(u32::from(c) + 1).unwrap_or(c)
        }
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        '\u{31F0}'..='\u{31FF}' => fold_kana(c),
        _ => c,
    }
}

/// Whether `c` is a (han)dakuten mark on its own: combining U+3099/U+309A or spacing
/// U+309B/U+309C. These are dropped from keys. R: N-02.
pub fn is_voicing_mark(c: char) -> bool {
    matches!(c, '\u{3099}'..='\u{309C}' | '\u{FF9E}' | '\u{FF9F}')
}

/// What a long-vowel mark after the folded kana `c` stands for in a key, following
/// kana orthography (現代仮名遣い): the a/i/u rows lengthen with ア/イ/ウ, the e row
/// with イ (`ケーコ` = `ケイコ`) and the o row with ウ (`ユーコ`, `コージ` = `コウジ`).
/// `None` for ン and non-kana. R: N-02.
pub fn long_vowel_after(c: char) -> Option<char> {
    match c {
        'ア' | 'カ' | 'サ' | 'タ' | 'ナ' | 'ハ' | 'マ' | 'ヤ' | 'ラ' | 'ワ' => Some('ア'),
        'イ' | 'キ' | 'シ' | 'チ' | 'ニ' | 'ヒ' | 'ミ' | 'リ' => Some('イ'),
        'ウ' | 'ク' | 'ス' | 'ツ' | 'ヌ' | 'フ' | 'ム' | 'ユ' | 'ル' => Some('ウ'),
        'エ' | 'ケ' | 'セ' | 'テ' | 'ネ' | 'ヘ' | 'メ' | 'レ' => Some('イ'),
        'オ' | 'コ' | 'ソ' | 'ト' | 'ノ' | 'ホ' | 'モ' | 'ヨ' | 'ロ' => Some('ウ'),
        _ => None,
    }
}

/// Display form of furigana: full-width katakana with the writer's (han)dakuten, small
/// kana and long-vowel marks kept, and exactly one U+3000 between the space-separated
/// parts (family and given name). Half-width katakana and hiragana are converted.
/// `None` when the text has no kana or holds anything but kana, `ー`, `・` and spaces
/// (ASCII, U+3000, tabs). R: N-02, N-03.
pub fn furigana_display(text: &str) -> Option<String> {
    let folded: String = text.nfkc().map(to_katakana).collect();
    let allowed = |c: char| is_kana(c) || matches!(c, CHOONPU | '・' | 'ヽ' | 'ヾ');
    if !folded.chars().all(|c| c.is_whitespace() || allowed(c)) {
        return None;
    }
    if !folded.chars().any(is_kana) {
        return None;
    }
    Some(
        folded
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("\u{3000}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_table() {
        let cases = [
            ('あ', 'ア'),
            ('ば', 'ハ'),
            ('パ', 'ハ'),
            ('バ', 'ハ'),
            ('ァ', 'ア'),
            ('っ', 'ツ'),
            ('ャ', 'ヤ'),
            ('ゅ', 'ユ'),
            ('ヴ', 'フ'),
            ('ゔ', 'フ'),
            ('ヂ', 'シ'),
            ('ヅ', 'ス'),
            ('ヶ', 'ケ'),
            ('ゕ', 'カ'),
            ('ヲ', 'オ'),
            ('ㇷ', 'フ'),
            ('漢', '漢'),
            ('a', 'a'),
        ];
        for (from, to) in cases {
            assert_eq!(fold_kana(from), to, "{from}");
        }
    }

    #[test]
    fn folding_is_idempotent_on_the_kana_blocks() {
        for code in 0x3040..=0x31FF {
            if let Some(c) = char::from_u32(code) {
                assert_eq!(fold_kana(fold_kana(c)), fold_kana(c), "U+{code:04X}");
            }
        }
    }

    #[test]
    fn vu_with_a_small_vowel_is_one_syllable() {
        let cases = [
            (Some('ァ'), ('バ', true)),
            (Some('ぃ'), ('ビ', true)),
            (Some('ェ'), ('ベ', true)),
            (Some('ォ'), ('ボ', true)),
            (Some('ュ'), ('ビ', false)),
            (Some('ア'), ('ブ', false)),
            (Some('ゥ'), ('ブ', false)),
            (None, ('ブ', false)),
        ];
        for (next, expected) in cases {
            assert_eq!(read_vu(next), expected, "{next:?}");
        }
    }

    #[test]
    fn display_forms() {
        let cases = [
            ("ショウボウ タロウ", Some("ショウボウ\u{3000}タロウ")),
            ("しょうぼう　たろう", Some("ショウボウ\u{3000}タロウ")),
            ("ｼｮｳﾎﾞｳ  ﾀﾛｳ", Some("ショウボウ\u{3000}タロウ")),
            ("\tヤマダ\t ハナコ ", Some("ヤマダ\u{3000}ハナコ")),
            ("ジョン・スミス", Some("ジョン・スミス")),
            ("ユーコ", Some("ユーコ")),
            ("アメリカ", Some("アメリカ")),
            ("山田 ハナコ", None),
            ("Yamada", None),
            ("ヤマダ1", None),
            ("", None),
            ("   ", None),
            ("・ー", None),
        ];
        for (text, expected) in cases {
            assert_eq!(furigana_display(text).as_deref(), expected, "{text:?}");
        }
    }
}
