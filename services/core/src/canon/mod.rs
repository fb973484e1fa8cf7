//! Canonical forms (表記ゆれ) for tolerant matching. R: N-01, N-02, N-03, N-04, E-15.
//!
//! Every key is a pure, deterministic function of its input, idempotent
//! (`key(key(x)) == key(x)`), and versioned by [`CANON_VERSION`]: stored keys must be
//! recomputed when it changes.
//!
//! - [`name_key`], [`kana_key`] (氏名, フリガナ; exact match): width (NFKC), case,
//!   spaces and `・`/`=` between name parts, kanji variants (髙→高, see `variants`),
//!   kana: hiragana→katakana; ヴァ/ヴィ/ヴェ/ヴォ→バ/ビ/ベ/ボ, ヴュ→ビュ, other ヴ→ブ,
//!   ヂ→ジ, ヅ→ズ, then (han)dakuten removed
//!   (バ = ハ = パ); small→large (ァ→ア, ッ→ツ); ー → the vowel it lengthens.
//! - [`text_key`] (その他識別情報, 備考, 地名): the same, but punctuation and `・` are kept.
//! - [`search_key`] (partial search over all of these): the same, and `・`, `=` and
//!   common punctuation are dropped; see `search` for its guarantees.
//! - [`address_key`] (住所; exact match): width, kanji variants, ヴ as above, ヶ/ケ/が
//!   and ツ between kanji, 大字/字 before a town name, kanji numerals, lot notation
//!   (丁目 also written `N丁` before the lot); see `address`. [`split_address`] divides
//!   a one-line address into its parts; [`address_lot_known`] says whether an address
//!   names its lot (D-01), read the same way.
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
pub use split::{AddressParts, address_lot_known, split_address};

use fold::{Level, fold};

/// Version of the canonicalisation rules, stored beside every canonical value.
/// R: N-01, N-04, E-15.
///
/// - 1: the first rules (issue 3).
/// - 2: `ヴァ/ヴィ/ヴェ/ヴォ` = `バ/ビ/ベ/ボ` and `ヴュ` = `ビュ` in every key, `ヴ` = `ブ`
///   in addresses too; `大字`/`字` dropped where they begin a town name; `N丁` before
///   a number read as `N丁目` (issue 13).
///
/// A node recomputes its stored keys when this changes (`docs/adr/0004`).
pub const CANON_VERSION: u32 = 2;

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
        assert_eq!(
            name_key("ヴィクトル・ユーゴー"),
            name_key("ビクトル ユーゴー")
        );
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
            ("ヴィクトル", "ビクトル"),
            ("ヴァン", "バン"),
            ("ヴェ", "ベ"),
            ("ヴォ", "ボ"),
            ("ゔぃくとる", "ビクトル"),
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
    fn one_line_and_split_addresses_agree_on_the_issue_13_misses() {
        // R: N-03, D-03. Given real addresses written in one line and also in their
        // parts, when each is split and keyed, then the keys agree.
        let cases = [
            (
                "埼玉県さいたま市緑区大門120-1",
                ["埼玉県", "さいたま市緑区", "大字大門", "120-1"],
            ),
            (
                "埼玉県さいたま市緑区大字大門120-1",
                ["埼玉県", "さいたま市緑区", "大門", "120番地の1"],
            ),
            (
                "大阪府堺市堺区南花田口町２丁３－１０",
                ["大阪府", "堺市堺区", "南花田口町2丁目", "3番10号"],
            ),
        ];
        for (line, [p, m, t, l]) in cases {
            let parts = split_address(line);
            assert_eq!(
                address_key(
                    &parts.prefecture,
                    &parts.municipality,
                    &parts.town,
                    &parts.lot
                ),
                address_key(p, m, t, l),
                "{line}: {parts:?}"
            );
        }
    }

    #[test]
    fn version() {
        assert_eq!(CANON_VERSION, 2);
    }
}
