//! Splitting an address written in one line into its parts. R: E-15.
//!
//! Municipality names follow the patterns of 全国地方公共団体コード (総務省): `X郡Y町/村`,
//! `X市Y区` for the 20 指定都市 (地方自治法 第252条の19), and `X市/区/町/村`, where the
//! suffix is the first 市/区/町/村 after a non-empty stem of at most 7 characters.
//! Municipalities whose stem itself holds one of those characters are listed in
//! `STEM_EXCEPTIONS`. When no municipality is found, everything after the prefecture is
//! left in `rest`: nothing is guessed. The key (`address_key`) never depends on how
//! an address was split.

use serde::{Deserialize, Serialize};

use super::lot::{is_digit_like, is_number_start, lot_end, number_end};
use crate::prefecture;

/// The parts of an address. Each field holds the text as written (trimmed). R: E-15.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressParts {
    /// Full prefecture name (`東京都`), empty when the text did not start with one.
    pub prefecture: String,
    /// `千代田区`, `横浜市中区`, `西多摩郡奥多摩町` …
    pub municipality: String,
    /// 町・丁目・字 with the 丁目 if written with one (`霞が関2丁目`).
    pub town: String,
    /// 番地・号 (`1番2号`, `2-1-2`).
    pub lot: String,
    /// What follows the lot (building, room) or what could not be parsed.
    pub rest: String,
}

/// Municipalities whose stem contains 市/区/町/村 past its first character.
const STEM_EXCEPTIONS: [&str; 11] = [
    "東村山市",
    "武蔵村山市",
    "羽村市",
    "田村市",
    "大村市",
    "十日町市",
    "大町市",
    "玉村町",
    "上市町",
    "下市町",
    "余市町",
];

/// The 20 designated cities (指定都市), whose wards follow the city name.
const DESIGNATED_CITIES: [&str; 20] = [
    "札幌市",
    "仙台市",
    "さいたま市",
    "千葉市",
    "横浜市",
    "川崎市",
    "相模原市",
    "新潟市",
    "静岡市",
    "浜松市",
    "名古屋市",
    "京都市",
    "大阪市",
    "堺市",
    "神戸市",
    "岡山市",
    "広島市",
    "北九州市",
    "福岡市",
    "熊本市",
];

const MAX_STEM: usize = 7;

/// Splits an address into prefecture / municipality / town / lot / rest. R: E-15.
pub fn split_address(text: &str) -> AddressParts {
    let mut parts = AddressParts::default();
    let mut rest = text.trim();
    if let Some((code, after)) = prefecture::split_prefix(rest) {
        parts.prefecture = prefecture::name_of(code).unwrap_or_default().to_string();
        rest = after.trim_start();
    }
    let chars: Vec<char> = rest.chars().collect();
    let Some(municipality) = municipality_len(&chars) else {
        parts.rest = rest.to_string();
        return parts;
    };
    parts.municipality = chars[..municipality].iter().collect();
    let chars: Vec<char> = chars[municipality..]
        .iter()
        .copied()
        .skip_while(|c| c.is_whitespace())
        .collect();
    let mut town_end = (0..chars.len())
        .find(|index| is_number_start(&chars, *index))
        .unwrap_or(chars.len());
    if let Some(end) = number_end(&chars, town_end)
        && chars[end..].starts_with(&['丁', '目'])
    {
        town_end = end + 2;
    }
    parts.town = chars[..town_end]
        .iter()
        .collect::<String>()
        .trim()
        .to_string();
    let lot_start = town_end
        + chars[town_end..]
            .iter()
            .take_while(|c| c.is_whitespace())
            .count();
    let lot_stop = lot_end(&chars, lot_start).unwrap_or(lot_start);
    parts.lot = chars[lot_start..lot_stop].iter().collect();
    parts.rest = chars[lot_stop..]
        .iter()
        .collect::<String>()
        .trim()
        .to_string();
    parts
}

/// Length in characters of the municipality at the start of `chars`. R: E-15.
fn municipality_len(chars: &[char]) -> Option<usize> {
    if let Some(gun) = chars.iter().take(MAX_STEM + 1).position(|c| *c == '郡')
        && gun > 0
        && !chars[..gun].iter().any(|c| is_digit_like(*c))
        && let Some(town) = suffix_len(&chars[gun + 1..], &['町', '村'], &['市', '区', '郡'])
    {
        return Some(gun + 1 + town);
    }
    let city = suffix_len(chars, &['市', '区', '町', '村'], &[])?;
    let name: String = chars[..city].iter().collect();
    let ward = chars[city..]
        .iter()
        .take(MAX_STEM + 1)
        .position(|c| *c == '区');
    if DESIGNATED_CITIES.contains(&name.as_str())
        && let Some(ward) = ward
        && ward > 0
        && !chars[city..city + ward].iter().any(|c| is_digit_like(*c))
    {
        return Some(city + ward + 1);
    }
    Some(city)
}

/// Length of a name at the start of `chars` ending in one of `suffixes`; `None` when
/// a digit, a space or one of `stops` comes first. R: E-15.
fn suffix_len(chars: &[char], suffixes: &[char], stops: &[char]) -> Option<usize> {
    let text: String = chars.iter().take(MAX_STEM + 2).collect();
    if let Some(name) = STEM_EXCEPTIONS.iter().find(|name| text.starts_with(**name)) {
        return suffixes
            .iter()
            .any(|s| name.ends_with(*s))
            .then(|| name.chars().count());
    }
    for (index, c) in chars.iter().enumerate().take(MAX_STEM + 1) {
        if is_digit_like(*c) || c.is_whitespace() || stops.contains(c) {
            return None;
        }
        if index > 0 && suffixes.contains(c) {
            let doubled = chars.get(index + 1) == Some(c);
            return Some(index + 1 + usize::from(doubled));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> [String; 5] {
        let p = split_address(text);
        [p.prefecture, p.municipality, p.town, p.lot, p.rest]
    }

    #[test]
    fn table() {
        let cases: &[(&str, [&str; 5])] = &[
            (
                "東京都千代田区霞が関2丁目1番2号",
                ["東京都", "千代田区", "霞が関2丁目", "1番2号", ""],
            ),
            (
                "東京都千代田区霞が関2-1-2",
                ["東京都", "千代田区", "霞が関", "2-1-2", ""],
            ),
            (
                "東京都千代田区霞が関二丁目一番二号",
                ["東京都", "千代田区", "霞が関二丁目", "一番二号", ""],
            ),
            (
                "東京都　千代田区　霞が関２－１－２　霞ビル5階",
                ["東京都", "千代田区", "霞が関", "２－１－２", "霞ビル5階"],
            ),
            (
                "北海道札幌市中央区北1条西2丁目1番地",
                ["北海道", "札幌市中央区", "北1条西2丁目", "1番地", ""],
            ),
            (
                "神奈川県横浜市中区日本大通1",
                ["神奈川県", "横浜市中区", "日本大通", "1", ""],
            ),
            (
                "愛知県名古屋市中村区名駅1-1-4",
                ["愛知県", "名古屋市中村区", "名駅", "1-1-4", ""],
            ),
            (
                "東京都新宿区市谷加賀町1-2",
                ["東京都", "新宿区", "市谷加賀町", "1-2", ""],
            ),
            (
                "東京都東村山市本町1丁目2番3号 ハイツ101",
                ["東京都", "東村山市", "本町1丁目", "2番3号", "ハイツ101"],
            ),
            (
                "三重県四日市市諏訪町1番5号",
                ["三重県", "四日市市", "諏訪町", "1番5号", ""],
            ),
            (
                "東京都西多摩郡奥多摩町氷川215",
                ["東京都", "西多摩郡奥多摩町", "氷川", "215", ""],
            ),
            (
                "北海道余市郡余市町黒川町1丁目",
                ["北海道", "余市郡余市町", "黒川町1丁目", "", ""],
            ),
            (
                "奈良県大和郡山市北郡山町248-4",
                ["奈良県", "大和郡山市", "北郡山町", "248-4", ""],
            ),
            (
                "東京都町田市森野2-2-22",
                ["東京都", "町田市", "森野", "2-2-22", ""],
            ),
            (
                "東京都千代田区一番町",
                ["東京都", "千代田区", "一番町", "", ""],
            ),
            (
                "東京都新宿区四谷三丁目",
                ["東京都", "新宿区", "四谷三丁目", "", ""],
            ),
            (
                "東京都千代田区九段南一丁目二番一号",
                ["東京都", "千代田区", "九段南一丁目", "二番一号", ""],
            ),
            (
                "東京都八王子市元本郷町三丁目24番1号",
                ["東京都", "八王子市", "元本郷町三丁目", "24番1号", ""],
            ),
            (
                "群馬県玉村町下新田201",
                ["群馬県", "玉村町", "下新田", "201", ""],
            ),
            (
                "大阪府大阪市北区中之島1丁目3番20号",
                ["大阪府", "大阪市北区", "中之島1丁目", "3番20号", ""],
            ),
            (
                "京都府京都市中京区寺町通御池上る上本能寺前町488",
                [
                    "京都府",
                    "京都市中京区",
                    "寺町通御池上る上本能寺前町",
                    "488",
                    "",
                ],
            ),
            (
                "千代田区霞が関1番地の2",
                ["", "千代田区", "霞が関", "1番地の2", ""],
            ),
            ("霞が関2-1-2", ["", "", "", "", "霞が関2-1-2"]),
            ("東京都霞が関", ["東京都", "", "", "", "霞が関"]),
            ("東京都1-2-3", ["東京都", "", "", "", "1-2-3"]),
            ("", ["", "", "", "", ""]),
        ];
        for (text, expected) in cases {
            assert_eq!(split(text), expected.map(str::to_string), "{text}");
        }
    }

    #[test]
    fn exceptions_end_with_a_suffix() {
        for name in STEM_EXCEPTIONS {
            let chars: Vec<char> = name.chars().collect();
            let all = ['市', '区', '町', '村'];
            assert_eq!(suffix_len(&chars, &all, &[]), Some(chars.len()), "{name}");
        }
    }
}
