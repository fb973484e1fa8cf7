//! Canonical forms (表記ゆれ) for tolerant matching. R: N-01, N-02, N-03, N-04, E-15.
//!
//! Every key is a pure, deterministic function of its input, idempotent
//! (`key(key(x)) == key(x)`), and versioned by [`CANON_VERSION`]: stored keys must be
//! recomputed when it changes.
//!
//! - [`name_key`], [`kana_key`] (氏名, フリガナ; exact match): width (NFKC), case,
//!   spaces and `・`/`=` between name parts, kanji variants (髙→高, see `variants`),
//!   kana: hiragana→katakana; ヴ→ブ, ヂ→ジ, ヅ→ズ, then (han)dakuten removed
//!   (バ = ハ = パ); small→large (ァ→ア, ッ→ツ); ー → the vowel it lengthens.
//! - [`text_key`] (その他識別情報, 備考, 地名): the same, but punctuation and `・` are kept.
//! - [`search_key`] (partial search over all of these): the same, and `・`, `=` and
//!   common punctuation are dropped; see `search` for its guarantees.
//! - [`address_key`] (住所; exact match): width, kanji variants, ヶ/ケ/が and ツ between
//!   kanji, kanji numerals, lot notation; see `address`. [`split_address`] divides a
//!   one-line address into its parts.
//!
//! The long-vowel mark ー becomes the kana it stands for in kana orthography: ア/イ/ウ
//! after the a/i/u rows, イ after the e row and ウ after the o row (ユーコ = ユウコ,
//! ケーコ = ケイコ, コージ = コウジ; but オーノ = オウノ ≠ オオノ). After a Latin letter
//! or digit it is a dash (`-`); anywhere else it is dropped. 々 and ゝ/ヽ repeat the
//! character before them (佐々木 = 佐佐木, いすゞ = いすず).

mod address;
mod fold;
mod kana;
mod lot;
pub mod numerals;
mod search;
mod split;
pub mod variants;

#[cfg(test)]
mod props;

pub use search::{search_key, search_matches};
pub use split::{AddressParts, split_address};

use fold::{Level, fold};

/// Version of the canonicalisation rules, stored beside every canonical value.
/// R: N-01, E-15.
pub const CANON_VERSION: u32 = 1;

/// Canonical key of a person's name for tolerant exact match: `髙橋　一郎` =
/// `高橋一郎`, `ワタナベ` = `わたなべ`, `ｼﾞｮﾝ･ｽﾐｽ` = `ジョン スミス`. R: N-01, N-03, N-04.
pub fn name_key(text: &str) -> String {
    fold(text, Level::Name)
}

/// Canonical key of furigana for tolerant exact match: `ショウボウ　タロウ` =
/// `しょうぼうたろう` = `ｼｮｳﾎﾞｳ ﾀﾛｳ`, `バ` = `ハ` = `パ`, `ヂ` = `ジ`. Folds exactly like
/// [`name_key`], so a name written in kana in either field compares equal. R: N-02, N-03.
pub fn kana_key(text: &str) -> String {
    fold(text, Level::Name)
}

/// Canonical key of free text (identifying information, remarks, place names): width
/// and kana folded, full-width digits and units to ASCII (`身長１００ｃｍ以下` =
/// `身長100cm以下`), `メガネ` = `めがね`, whitespace dropped, punctuation kept. R: E-15.
pub fn text_key(text: &str) -> String {
    fold(text, Level::Text)
}

/// Canonical key of a Japanese address given as its parts; independent of how the
/// address was divided between the parts (see the `address` module). R: E-15.
pub fn address_key(prefecture: &str, municipality: &str, town: &str, lot: &str) -> String {
    address::address_key(prefecture, municipality, town, lot)
}

/// Display form of furigana: full-width katakana, one U+3000 between family and given
/// name. `None` if the text contains anything but kana, long-vowel mark, middle dot
/// and spaces, or no kana at all. R: N-02, N-03.
pub fn furigana_display(text: &str) -> Option<String> {
    kana::furigana_display(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let same = [
            ("消防 太郎", "消防　太郎"),
            ("消防\t太郎", "消防太郎"),
            ("髙橋一郎", "高橋一郎"),
            ("山﨑", "山崎"),
            ("渡邊", "渡辺"),
            ("渡邉", "渡辺"),
            ("齋藤", "斎藤"),
            ("齊藤", "斉藤"),
            ("濱田", "浜田"),
            ("澤田", "沢田"),
            ("ｼﾞｮﾝ･ｽﾐｽ", "ジョン スミス"),
            ("ジョン＝スミス", "ジョンスミス"),
            ("JOHN SMITH", "john smith"),
            ("ＪＯＨＮ", "john"),
            ("さくら", "サクラ"),
        ];
        for (a, b) in same {
            assert_eq!(name_key(a), name_key(b), "{a} / {b}");
        }
        assert_ne!(name_key("斎藤"), name_key("斉藤"));
        assert_ne!(name_key("齋藤"), name_key("齊藤"));
        assert_eq!(name_key("  消防　太郎  "), "消防太郎");
    }

    #[test]
    fn furigana() {
        let same = [
            ("ショウボウ タロウ", "しょうぼう　たろう"),
            ("ｼｮｳﾎﾞｳ ﾀﾛｳ", "ショウボウタロウ"),
            ("バ", "ハ"),
            ("パ", "ハ"),
            ("ァ", "ア"),
            ("ッ", "ツ"),
            ("ャ", "ヤ"),
            ("ヴ", "ブ"),
            ("ヂ", "ジ"),
            ("ヅ", "ズ"),
            ("ちぢみ", "チジミ"),
            ("ユーコ", "ユウコ"),
            ("ケーコ", "ケイコ"),
            ("カヲル", "カオル"),
            ("カ\u{3099}", "ガ"),
        ];
        for (a, b) in same {
            assert_eq!(kana_key(a), kana_key(b), "{a} / {b}");
        }
        assert_eq!(kana_key("ショウボウ　タロウ"), "シヨウホウタロウ");
        assert_ne!(kana_key("オオノ"), kana_key("オノ"));
    }

    #[test]
    fn free_text() {
        let same = [
            ("身長１００ｃｍ以下", "身長100cm以下"),
            ("身長100㎝以下", "身長100cm以下"),
            ("メガネ", "めがね"),
            ("ﾒｶﾞﾈ", "めがね"),
            ("赤い 帽子", "赤い帽子"),
            ("Ａ型", "a型"),
            ("１０～２０歳", "10〜20歳"),
        ];
        for (a, b) in same {
            assert_eq!(text_key(a), text_key(b), "{a} / {b}");
        }
        assert_eq!(text_key("青い服、黒い靴"), "青イ服、黒イ靴");
        assert_eq!(text_key("(株)"), "(株)");
    }

    #[test]
    fn furigana_display_examples() {
        assert_eq!(
            furigana_display("しょうぼう たろう").as_deref(),
            Some("ショウボウ\u{3000}タロウ")
        );
        assert_eq!(furigana_display("消防 太郎"), None);
    }

    #[test]
    fn split_and_key_agree() {
        let text = "東京都千代田区霞ヶ関二丁目1-2";
        let p = split_address(text);
        assert_eq!(
            address_key(&p.prefecture, &p.municipality, &p.town, &p.lot),
            address_key("東京", "千代田区", "霞が関", "2丁目1番2号")
        );
    }

    #[test]
    fn version() {
        assert_eq!(CANON_VERSION, 1);
    }
}
