//! Throughput of the canonical keys and of date parsing, in elements per second on
//! one core. R: N-01, E-04, E-15.
//!
//! Criterion calls the measured closure on the benchmark's own thread, one call after
//! another, and `anpi-core` spawns no threads: every figure is for a single core.
//! Each group runs over a batch of about 1000 inputs generated here deterministically
//! (no randomness, no files), varied the way clerks' entries vary: widths, kana
//! scripts, kanji variants, spaces, kanji numerals, ヶ/が, lot and date notations.
//!
//! Run: `cargo bench -p anpi-core --bench canon`.

use std::hint::black_box;

use anpi_core::canon::{address_key, name_key, split_address};
use anpi_core::era::parse_date;
use chrono::{Datelike, NaiveDate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Size of each generated batch.
const BATCH: usize = 1000;

/// Family names: (as registered, with a kanji variant where one is common, reading).
const FAMILY: [(&str, &str, &str); 24] = [
    ("高橋", "髙橋", "たかはし"),
    ("渡辺", "渡邊", "わたなべ"),
    ("斎藤", "齋藤", "さいとう"),
    ("山崎", "山﨑", "やまざき"),
    ("浜田", "濱田", "はまだ"),
    ("沢田", "澤田", "さわだ"),
    ("佐々木", "佐佐木", "ささき"),
    ("鈴木", "鈴木", "すずき"),
    ("田中", "田中", "たなか"),
    ("伊藤", "伊藤", "いとう"),
    ("小林", "小林", "こばやし"),
    ("中村", "中村", "なかむら"),
    ("加藤", "加藤", "かとう"),
    ("吉田", "吉田", "よしだ"),
    ("山田", "山田", "やまだ"),
    ("松本", "松本", "まつもと"),
    ("井上", "井上", "いのうえ"),
    ("木村", "木村", "きむら"),
    ("大野", "大野", "おおの"),
    ("長谷川", "長谷川", "はせがわ"),
    ("消防", "消防", "しょうぼう"),
    ("辻", "辻", "つじ"),
    ("広瀬", "廣瀬", "ひろせ"),
    ("島田", "嶋田", "しまだ"),
];

/// Given names: (kanji, reading).
const GIVEN: [(&str, &str); 20] = [
    ("太郎", "たろう"),
    ("一郎", "いちろう"),
    ("花子", "はなこ"),
    ("優子", "ゆうこ"),
    ("翔太", "しょうた"),
    ("恵子", "けいこ"),
    ("浩二", "こうじ"),
    ("さくら", "さくら"),
    ("陽菜", "ひな"),
    ("蓮", "れん"),
    ("大輔", "だいすけ"),
    ("美咲", "みさき"),
    ("健", "けん"),
    ("千尋", "ちひろ"),
    ("悠真", "ゆうま"),
    ("由美", "ゆみ"),
    ("直樹", "なおき"),
    ("智子", "ともこ"),
    ("拓也", "たくや"),
    ("葵", "あおい"),
];

/// Names written in other scripts, in the forms they arrive in.
const FOREIGN: [&str; 12] = [
    "ジョン・スミス",
    "ｼﾞｮﾝ･ｽﾐｽ",
    "ＪＯＨＮ　ＳＭＩＴＨ",
    "John Smith",
    "マリー＝キュリー",
    "ｸﾞｴﾝ ｳﾞｧﾝ ｱﾝ",
    "グエン・ヴァン・アン",
    "ＭＡＲＩＡ ＳＩＬＶＡ",
    "ﾏﾘｱ ｼﾙｳﾞｧ",
    "キム・ミンジュン",
    "ヴィクトル・ユーゴー",
    "ビクトル ユーゴー",
];

/// Katakana for hiragana (the two blocks are 0x60 apart).
fn katakana(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(u32::from(c) + 0x60).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// Katakana with the long vowels of a reading written as ー (`ゆうこ` → `ユーコ`).
fn katakana_long(text: &str) -> String {
    katakana(
        &text
            .replace("ょう", "ょー")
            .replace("ゆう", "ゆー")
            .replace("こう", "こー"),
    )
}

/// About 1000 names: family × given in kanji (with and without variants, full-width,
/// half-width or no space), hiragana and katakana readings, and foreign names.
fn names() -> Vec<String> {
    (0..BATCH)
        .map(|i| {
            let (family, variant, reading) = FAMILY[i % FAMILY.len()];
            let (given, given_reading) = GIVEN[(i * 7 + i / FAMILY.len()) % GIVEN.len()];
            match i % 8 {
                0 => format!("{family}\u{3000}{given}"),
                1 => format!("{variant} {given}"),
                2 => format!("{variant}{given}"),
                3 => format!("{reading} {given_reading}"),
                4 => format!("{}\u{3000}{}", katakana(reading), katakana(given_reading)),
                5 => format!(
                    "{}・{}",
                    katakana_long(reading),
                    katakana_long(given_reading)
                ),
                6 => format!("  {family}　{given_reading} "),
                _ => FOREIGN[i / 8 % FOREIGN.len()].to_string(),
            }
        })
        .collect()
}

/// Kanji numeral for 1..=9999 (`23` → `二十三`, `10` → `十`).
fn kanji_number(n: u32) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let mut out = String::new();
    for (unit, name) in [(1000, "千"), (100, "百"), (10, "十")] {
        match n / unit % 10 {
            0 => {}
            1 => out.push_str(name),
            d => {
                out.push_str(DIGITS[d as usize]);
                out.push_str(name);
            }
        }
    }
    if !n.is_multiple_of(10) || n == 0 {
        out.push_str(DIGITS[(n % 10) as usize]);
    }
    out
}

/// Full-width digits for ASCII digits.
fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap_or(c),
            '-' => '－',
            c => c,
        })
        .collect()
}

/// Places: (prefecture, municipality, town names as written in various ways).
const PLACES: [(&str, &str, &[&str]); 12] = [
    (
        "東京都",
        "千代田区",
        &["霞が関", "霞ヶ関", "霞ケ関", "永田町"],
    ),
    (
        "東京都",
        "新宿区",
        &["四谷", "四ッ谷", "四ツ谷", "市谷加賀町"],
    ),
    ("北海道", "札幌市中央区", &["北1条西", "南3条東"]),
    ("大阪府", "大阪市北区", &["中之島", "梅田"]),
    ("神奈川県", "横浜市中区", &["日本大通", "山下町"]),
    ("京都府", "京都市中京区", &["寺町通御池上る上本能寺前町"]),
    ("東京都", "東村山市", &["本町", "久米川町"]),
    ("三重県", "四日市市", &["諏訪町"]),
    ("東京都", "西多摩郡奥多摩町", &["氷川"]),
    ("茨城県", "龍ケ崎市", &["馴柳町", "松ケ丘"]),
    ("埼玉県", "さいたま市緑区", &["大門", "大字大門", "字大門"]),
    ("大阪府", "堺市堺区", &["南花田口町"]),
];

/// One address of the batch as parts: prefecture (full, short or empty),
/// municipality, town with or without 丁目 (or 丁 before the lot), and a lot in one of
/// several notations, with Arabic, full-width or kanji numerals.
fn address_parts(i: usize) -> [String; 4] {
    let (prefecture, municipality, towns) = PLACES[i % PLACES.len()];
    let town = towns[i / PLACES.len() % towns.len()];
    let (chome, ban, go) = (1 + i % 5, 1 + i * 3 % 30, 1 + i * 7 % 20);
    let (chome, ban, go) = (chome as u32, ban as u32, go as u32);
    let prefecture = match i % 3 {
        0 => prefecture.to_string(),
        1 => prefecture
            .strip_suffix(['都', '府', '県'])
            .unwrap_or(prefecture)
            .to_string(),
        _ => String::new(),
    };
    let (town, lot) = match i / 3 % 7 {
        0 => (format!("{town}{chome}丁目"), format!("{ban}番{go}号")),
        1 => (town.to_string(), format!("{chome}-{ban}-{go}")),
        2 => (
            format!("{town}{}丁目", kanji_number(chome)),
            format!("{}番{}号", kanji_number(ban), kanji_number(go)),
        ),
        3 => (town.to_string(), full_width(&format!("{chome}-{ban}-{go}"))),
        4 => (town.to_string(), format!("{ban}番地の{go}")),
        5 => (
            full_width(&format!("{town}{chome}丁")),
            full_width(&format!("{ban}-{go}")),
        ),
        _ => (
            full_width(&format!("{town}{chome}丁目")),
            format!("{ban}番地{go}"),
        ),
    };
    [prefecture, municipality.to_string(), town, lot]
}

/// About 1000 addresses as parts.
fn addresses() -> Vec<[String; 4]> {
    (0..BATCH).map(address_parts).collect()
}

/// About 1000 one-line addresses: the parts above (the prefecture in full or left
/// out, as a one-line address is split only after a full name) joined with nothing,
/// half- or full-width spaces, some with a building after the lot.
fn address_lines() -> Vec<String> {
    (0..BATCH)
        .map(|i| {
            let [_, municipality, town, lot] = address_parts(i);
            let prefecture = match i % 3 {
                2 => "",
                _ => PLACES[i % PLACES.len()].0,
            };
            let gap = ["", " ", "\u{3000}"][i % 3];
            let building = match i % 4 {
                0 => " 霞ビル5階",
                1 => "　ハイツ１０１",
                _ => "",
            };
            format!("{prefecture}{gap}{municipality}{gap}{town}{lot}{building}")
        })
        .collect()
}

/// Eras: (first day, name, initial).
const ERAS: [((i32, u32, u32), &str, char); 5] = [
    ((2019, 5, 1), "令和", 'R'),
    ((1989, 1, 8), "平成", 'H'),
    ((1926, 12, 25), "昭和", 'S'),
    ((1912, 7, 30), "大正", 'T'),
    ((1868, 1, 25), "明治", 'M'),
];

/// About 1000 dates from 1900 to 2025 in era and Gregorian notations (names,
/// initials, kanji numerals, full-width, compact), with partial and impossible
/// dates mixed in as clerks would type them.
fn dates() -> Vec<String> {
    let start = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid start date");
    (0..BATCH)
        .map(|i| {
            let date = start + chrono::Days::new(i as u64 * 45_679 % 46_000);
            let (y, m, d) = (date.year(), date.month(), date.day());
            let ((first_year, _, _), name, initial) = ERAS
                .iter()
                .copied()
                .find(|(first, _, _)| (y, m, d) >= *first)
                .unwrap_or(ERAS[4]);
            let n = (y - first_year + 1) as u32;
            let era_year = if n == 1 {
                "元".to_string()
            } else {
                n.to_string()
            };
            match i % 10 {
                0 => format!("{name}{era_year}年{m}月{d}日"),
                1 => format!("{initial}{n}.{m}.{d}"),
                2 => format!("{y}-{m:02}-{d:02}"),
                3 => format!("{y}/{m}/{d}"),
                4 => full_width(&format!("{y}年{m}月{d}日")),
                5 => format!(
                    "{name}{}年{}月{}日生まれ",
                    if n == 1 {
                        "元".to_string()
                    } else {
                        kanji_number(n)
                    },
                    kanji_number(m),
                    kanji_number(d)
                ),
                6 => format!("{initial}{n:02}{m:02}{d:02}"),
                7 => match i / 10 % 3 {
                    0 => format!("{y}年"),
                    1 => format!("不明年{m}月{d}日"),
                    _ => format!("{name}{era_year}年{m}月"),
                },
                8 => format!("{y}年{}", ["2月30日", "4月31日"][i / 10 % 2]),
                _ => format!("西暦{y}年{m}月{d}日（月）"),
            }
        })
        .collect()
}

fn bench_name_key(c: &mut Criterion) {
    let names = names();
    let mut group = c.benchmark_group("name_key");
    group.throughput(Throughput::Elements(names.len() as u64));
    group.bench_function("names", |b| {
        b.iter(|| {
            for name in &names {
                black_box(name_key(black_box(name)));
            }
        })
    });
    group.finish();
}

fn bench_address_key(c: &mut Criterion) {
    let addresses = addresses();
    let mut group = c.benchmark_group("address_key");
    group.throughput(Throughput::Elements(addresses.len() as u64));
    group.bench_function("parts", |b| {
        b.iter(|| {
            for [prefecture, municipality, town, lot] in &addresses {
                black_box(address_key(
                    black_box(prefecture),
                    black_box(municipality),
                    black_box(town),
                    black_box(lot),
                ));
            }
        })
    });
    group.finish();
}

fn bench_split_address(c: &mut Criterion) {
    let lines = address_lines();
    let mut group = c.benchmark_group("split_address+address_key");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("lines", |b| {
        b.iter(|| {
            for line in &lines {
                let parts = split_address(black_box(line));
                let lot = format!("{} {}", parts.lot, parts.rest);
                black_box(address_key(
                    &parts.prefecture,
                    &parts.municipality,
                    &parts.town,
                    &lot,
                ));
            }
        })
    });
    group.finish();
}

fn bench_parse_date(c: &mut Criterion) {
    let dates = dates();
    let mut group = c.benchmark_group("parse_date");
    group.throughput(Throughput::Elements(dates.len() as u64));
    group.bench_function("dates", |b| {
        b.iter(|| {
            for date in &dates {
                let _ = black_box(parse_date(black_box(date)));
            }
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_name_key,
    bench_address_key,
    bench_split_address,
    bench_parse_date
);
criterion_main!(benches);
