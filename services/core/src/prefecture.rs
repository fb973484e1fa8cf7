//! The 47 prefectures: code ↔ name. R: T-01.
//!
//! Codes and order follow JIS X 0401 (都道府県コード), which is also the first two
//! digits of every 全国地方公共団体コード (see `jurisdiction`). `PREFECTURES[i]` has
//! code `i + 1`.

/// Names of the 47 prefectures in JIS X 0401 order (code 1 = 北海道 … 47 = 沖縄県). R: T-01.
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県", // 1-7
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県", // 8-14
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県", // 15-20
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県", // 21-24
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県", // 25-30
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県", // 31-35
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県", // 36-39
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県", // 40-47
];

/// Name of the prefecture with this two-digit code (1..=47), e.g. 13 → `東京都`. R: T-01.
pub fn name_of(code: u8) -> Option<&'static str> {
    let index = usize::from(code).checked_sub(1)?;
    PREFECTURES.get(index).copied()
}

/// Two-digit code of the prefecture with this name (e.g. `東京都` → 13). Accepts the
/// name with or without its suffix (都/府/県: `東京`, `京都`, `大阪`, `神奈川`), surrounding
/// spaces and full-width/half-width differences. 北海道 is only accepted whole, since
/// `北海` is not a name anyone writes. R: T-01.
pub fn code_of(name: &str) -> Option<u8> {
    let folded: String = unicode_normalization::UnicodeNormalization::nfkc(name.trim()).collect();
    let folded = folded.trim();
    if folded.is_empty() {
        return None;
    }
    PREFECTURES
        .iter()
        .position(|full| *full == folded || short_name(full) == Some(folded))
        .and_then(|index| u8::try_from(index + 1).ok())
}

/// The name without its 都/府/県 suffix (`東京都` → `東京`); `None` for 北海道. R: T-01.
fn short_name(full: &str) -> Option<&str> {
    ["都", "府", "県"]
        .iter()
        .find_map(|suffix| full.strip_suffix(suffix))
}

/// Splits a prefecture written in full (`東京都…`, `北海道…`) off the start of `text`,
/// returning its code and the rest. Only full names are recognised here, because a
/// short name at the start of an address is ambiguous (`京都市…` is a city in 京都府,
/// not `京都` + `市…`). R: T-01, E-15.
pub fn split_prefix(text: &str) -> Option<(u8, &str)> {
    PREFECTURES.iter().enumerate().find_map(|(index, full)| {
        let rest = text.strip_prefix(full)?;
        Some((u8::try_from(index + 1).ok()?, rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for code in 1..=47u8 {
            let name = name_of(code).expect("every code in 1..=47 has a name");
            assert_eq!(code_of(name), Some(code), "{name}");
        }
        assert_eq!(name_of(0), None);
        assert_eq!(name_of(48), None);
        assert_eq!(name_of(255), None);
    }

    #[test]
    fn known_codes() {
        let cases = [
            (1, "北海道"),
            (2, "青森県"),
            (13, "東京都"),
            (14, "神奈川県"),
            (26, "京都府"),
            (27, "大阪府"),
            (28, "兵庫県"),
            (30, "和歌山県"),
            (40, "福岡県"),
            (46, "鹿児島県"),
            (47, "沖縄県"),
        ];
        for (code, name) in cases {
            assert_eq!(name_of(code), Some(name));
        }
    }

    #[test]
    fn short_and_spaced_names() {
        let cases = [
            ("東京", Some(13)),
            (" 東京都 ", Some(13)),
            ("\u{3000}大阪\u{3000}", Some(27)),
            ("大阪府", Some(27)),
            ("京都", Some(26)),
            ("京都府", Some(26)),
            ("北海道", Some(1)),
            ("北海", None),
            ("神奈川", Some(14)),
            ("沖縄", Some(47)),
            ("", None),
            ("   ", None),
            ("東京府", None),
            ("Tokyo", None),
            ("都", None),
        ];
        for (name, code) in cases {
            assert_eq!(code_of(name), code, "{name:?}");
        }
    }

    #[test]
    fn prefix_split() {
        assert_eq!(split_prefix("東京都千代田区"), Some((13, "千代田区")));
        assert_eq!(split_prefix("京都府京都市"), Some((26, "京都市")));
        assert_eq!(split_prefix("北海道札幌市"), Some((1, "札幌市")));
        assert_eq!(split_prefix("京都市中京区"), None);
        assert_eq!(split_prefix("千代田区"), None);
    }
}
