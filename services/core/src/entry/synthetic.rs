//! Synthetic safety entries: a seeded generator of realistic, valid [`EntryDraft`]s.
//! R: S-02, D-02, P-01.
//!
//! Purpose: the benchmark of issue 5 (the national read model over 1,000,000 and
//! 10,000,000 records, including deduplication) and tests that need many people. Every
//! draft passes [`crate::entry::validate`] at [`reference_now`] (2026-11-22 00:00 JST)
//! with no errors; a few carry warnings (a missing injury description, an unconfirmed
//! bereaved consent, a figure 4-1 consent inconsistency), as real entries do.
//!
//! # Determinism
//!
//! [`Generator::draft`]`(n)` is a pure function of `(seed, n)`: records can be made in
//! any order, in parallel or in batches, and a seed always gives the same data set on
//! every machine. The numbers come from splitmix64 (implemented here; no dependency).
//! Each group of fields draws from its own stream, keyed by `(seed, stream, number)`:
//! the person fields (name, furigana, birth date, sex, address, nationality, physical
//! traits) by the *person* number, the record fields (記入日時, injury, location,
//! consent, clothing, …) by the *record* number. A record that re-describes person `m`
//! therefore reproduces exactly the person fields of `draft(m)`.
//!
//! # Distribution (approximate shares of records or persons)
//!
//! - Duplicates: 4% of records (`n > 0`) re-describe an earlier person `m =
//!   person(j)`, `j < n` uniform, with identical person fields, a later 記入日時 and a
//!   different location (Form 1) or body location (Form 2); 1% more re-describe one in
//!   another notation (half-width or no space in the name and furigana, the other kanji
//!   variant of the surname, `1-2` for `1番2号`, the 丁目 moved into the lot, kanji
//!   numerals, 霞ヶ関 for 霞が関, 東京 for 東京都, the birth date in era form). The
//!   canonical keys (`name_key`, `address_key`) and the birth date are equal.
//! - Form 2 (deceased): 6% of persons; a person's records all have the form of its
//!   first record. Death on or after 2026-11-20 06:00 and not after that first record.
//! - Names: 116 common surnames (weighted towards the most common), 68 male and 69
//!   female given names (one to three kanji, a few in kana) in three generations chosen
//!   by birth year; `name` = surname + U+3000 + given name, `furigana` the same in
//!   full-width katakana. A quarter of the holders of a surname with a common variant
//!   (髙橋, 渡邊, 齋藤, 山﨑, 𠮷田, …) write it (≈4% of persons). 0.5% have no known name:
//!   name and furigana empty, usually the birth date and address too, rich identifying
//!   information, mostly 意思確認不可 and no contact.
//! - Birth date: 1930–2025 following a rough age pyramid; ISO `1981-11-25` (82%),
//!   `昭和56年11月25日` (10%), `1981年11月25日`, `S56.11.25`, `1981/11/25`; 2% empty.
//! - Sex: 男/女, 1% empty.
//! - Address: 51 real (prefecture, municipality, 町丁字) triples across Japan, with
//!   住居表示 (`1番2号`, `1-2`, `2-1-2`, `2丁目1番2号`, kanji numerals, some room
//!   numbers) or 地番 (`123番地4`, `123-4`, `123番地の4`) lots; 1% town only; ~1% a
//!   foreign address (foreign nationals); unknown for most persons without a name.
//! - Nationality: 96% Japan (`kind` empty, or 日本 in a fifth), 3% その他 with the
//!   country in katakana (チュウゴク, ベトナム, カンコク, フィリピン, …; names in the
//!   country's style), 1% 不明 (with identifying information, as validation requires).
//! - Identifying information: physical traits per person (height, build, hair, glasses,
//!   marks) and clothing/belongings per record, joined with `、`; always present and
//!   rich when a basic field is missing, otherwise empty for ~45% of Form 1 records.
//! - Form 1: 28% 負傷 (重症 10%, 中等症 25%, 軽症 55%, その他 10%) with a description;
//!   location 避難所/医療機関/自宅/その他 (医療機関 mostly for the injured), ~8% of the
//!   uninjured without one; 意思確認不可 for ~45% of 重症 (flag or marker); otherwise
//!   consent answers ⑫–⑭ and a few per-field choices; contact mostly a mobile number.
//! - Form 2: death date/time (35% time unknown)/place/circumstances, 診断書等無し 20%,
//!   発見された日時及び場所 25%; body location (5% not yet known); bereaved consent
//!   同意する/同意しない/不明 with name and relationship, 10% not confirmable.
//! - 記入日時: 2026-11-20 06:00 to 2026-11-21 23:59 JST, fewer at night, mostly
//!   `2026-11-21 14:30`, also RFC 3339, `令和8年11月21日 14時30分`, `2026/11/21 14:30`.

use std::fmt::Write as _;
use std::ops::Range;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use super::{
    AddressDraft, BereavedDraft, DeathDraft, EntryDraft, FormKind, InjuryDraft, LocationDraft,
    NationalityDraft, Sex,
};
use crate::consent::{ConsentDraft, FieldChoice};

/// The clock reading every generated draft validates against: 2026-11-22 00:00 JST.
pub fn reference_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 15, 0, 0)
        .single()
        .expect("a valid instant")
}

// ---------------------------------------------------------------------------------
// Shares, per 10,000.

/// Records (n > 0) that re-describe an earlier person in the same notation.
const SAME_PERSON: u64 = 400;
/// Records (n > 0) that re-describe an earlier person in another notation.
const VARIANT_PERSON: u64 = 100;
/// Persons whose records are Form 2 (deceased).
const FORM2: u64 = 600;
const UNKNOWN_NAME: u64 = 50;
const UNKNOWN_BIRTH: u64 = 200;
const UNKNOWN_SEX: u64 = 100;
const NATIONALITY_OTHER: u64 = 300;
const NATIONALITY_UNKNOWN: u64 = 100;
/// Of foreign nationals: living abroad (tourists, visitors).
const FOREIGN_ADDRESS: u64 = 3_300;
/// Of Japanese addresses: town only, no lot.
const LOTLESS: u64 = 100;
/// Of holders of a surname with a common kanji variant: those who write the variant.
const WRITES_VARIANT: u64 = 2_500;
const INJURED: u64 = 2_800;

// ---------------------------------------------------------------------------------
// splitmix64.

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The splitmix64 output function (a bijection of u64).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A splitmix64 sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GAMMA);
        mix(self.0)
    }

    /// Uniform in `0..bound` (multiply-shift; the bias is below 2^-40 for bounds up to
    /// 2^24, i.e. for every list here and for record numbers up to ~16 million).
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(bound)) >> 64) as u64
    }

    fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(u64::from(hi - lo) + 1) as u32
    }

    fn chance(&mut self, per_10k: u64) -> bool {
        self.below(10_000) < per_10k
    }

    /// An index drawn with the given weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.below(u64::from(total)) as u32;
        for (index, weight) in weights.iter().enumerate() {
            if x < *weight {
                return index;
            }
            x -= weight;
        }
        weights.len() - 1
    }
}

/// Independent streams of numbers; each is keyed by a person or a record number.
#[derive(Clone, Copy)]
enum Stream {
    /// Record: new person or re-description (and of whom).
    Kind,
    /// Person (= its first record): form and first 記入日時.
    First,
    /// Person: name, birth, sex, address, nationality, traits.
    Person,
    /// Person: death details (Form 2).
    Death,
    /// Record: 記入日時 text, identifying information, consent, contact, remarks.
    Record,
    /// Record: injury and 意思確認不可.
    Injury,
    /// Record: current location (Form 1).
    Location,
    /// Record: body location (Form 2).
    Body,
    /// Record: the notation of a re-description.
    Variant,
}

const STREAMS: usize = 9;

// ---------------------------------------------------------------------------------
// Public API.

/// A seeded generator of synthetic entries; see the module documentation.
#[derive(Debug, Clone)]
pub struct Generator {
    seed: u64,
    keys: [u64; STREAMS],
}

/// What record `n` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The first record of a new person (person number = record number).
    New,
    /// A re-description of the person of record `j`, same notation.
    Same(u64),
    /// A re-description of the person of record `j`, another notation.
    Variant(u64),
}

impl Generator {
    /// A generator for `seed`; cheap to create, immutable, shareable between threads.
    pub fn new(seed: u64) -> Self {
        let mut keys = [0; STREAMS];
        for (index, key) in keys.iter_mut().enumerate() {
            *key = mix(mix(seed ^ (index as u64 + 1).wrapping_mul(GAMMA)));
        }
        Generator { seed, keys }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The `n`-th synthetic entry; a pure function of `(seed, n)`.
    pub fn draft(&self, n: u64) -> EntryDraft {
        let (p, variant) = match self.kind(n) {
            Kind::New => (n, false),
            Kind::Same(j) => (self.person(j), false),
            Kind::Variant(j) => (self.person(j), true),
        };
        let person = self.person_fields(p);
        let first = self.first(p);
        let mut rec = self.rng(Stream::Record, n);
        let minute = if p == n {
            first.minute
        } else {
            later_minute(&mut rec, first.minute)
        };
        let mut draft = EntryDraft {
            form: first.form,
            written_at: written_text(&mut rec, minute),
            ..EntryDraft::default()
        };
        let style = if variant {
            self.variant_style(n, &person)
        } else {
            Style::of(&person)
        };
        person.fill(&mut draft, &style);
        match first.form {
            FormKind::Form1 => self.fill_form1(&mut draft, n, p, &person, &mut rec),
            FormKind::Form2 => self.fill_form2(&mut draft, n, p, &person, &mut rec, first.minute),
        }
        draft
    }

    /// The person the `n`-th record describes: `n` itself for a first record, else the
    /// number of that person's first record (always `< n`).
    pub fn person(&self, n: u64) -> u64 {
        let mut n = n;
        loop {
            match self.kind(n) {
                Kind::New => return n,
                Kind::Same(j) | Kind::Variant(j) => n = j,
            }
        }
    }

    /// The drafts of a range of records, in order.
    pub fn drafts(&self, range: Range<u64>) -> impl Iterator<Item = EntryDraft> + '_ {
        range.map(move |n| self.draft(n))
    }

    fn rng(&self, stream: Stream, n: u64) -> Rng {
        Rng(mix(self.keys[stream as usize] ^ n.wrapping_mul(GAMMA)))
    }

    fn kind(&self, n: u64) -> Kind {
        if n == 0 {
            return Kind::New;
        }
        let mut r = self.rng(Stream::Kind, n);
        let x = r.below(10_000);
        if x >= SAME_PERSON + VARIANT_PERSON {
            return Kind::New;
        }
        let j = r.below(n);
        if x < SAME_PERSON {
            Kind::Same(j)
        } else {
            Kind::Variant(j)
        }
    }

    fn first(&self, p: u64) -> First {
        let mut r = self.rng(Stream::First, p);
        let form = if r.chance(FORM2) {
            FormKind::Form2
        } else {
            FormKind::Form1
        };
        // One minute short of the end, so that a re-description can be later.
        let minute = minute_between(&mut r, 0, LAST_MINUTE - 1);
        First { form, minute }
    }
}

struct First {
    form: FormKind,
    minute: u32,
}

// ---------------------------------------------------------------------------------
// 記入日時.

/// Minutes from 2026-11-20 06:00 JST to 2026-11-21 23:59 JST.
const LAST_MINUTE: u32 = 42 * 60 - 1;
/// 2026-11-21 00:00–05:59 JST: fewer entries are written at night.
const NIGHT: Range<u32> = 18 * 60..24 * 60;

fn minute_between(r: &mut Rng, lo: u32, hi: u32) -> u32 {
    let minute = r.range(lo, hi);
    if NIGHT.contains(&minute) && r.chance(6_000) {
        r.range(lo, hi)
    } else {
        minute
    }
}

fn later_minute(r: &mut Rng, after: u32) -> u32 {
    minute_between(r, after + 1, LAST_MINUTE)
}

/// (day of November 2026, hour, minute) in JST.
fn clock(minute: u32) -> (u32, u32, u32) {
    let t = 6 * 60 + minute;
    (20 + t / 1440, t % 1440 / 60, t % 60)
}

fn written_text(r: &mut Rng, minute: u32) -> String {
    let (d, h, m) = clock(minute);
    match r.weighted(&[85, 8, 4, 3]) {
        0 => format!("2026-11-{d} {h:02}:{m:02}"),
        1 => format!("2026-11-{d}T{h:02}:{m:02}:00+09:00"),
        2 => format!("令和8年11月{d}日 {h}時{m}分"),
        _ => format!("2026/11/{d} {h:02}:{m:02}"),
    }
}

// ---------------------------------------------------------------------------------
// Word lists (written for this module).

type Words = (&'static str, &'static str);

/// Common surnames: (standard form, reading, a common kanji variant or "").
#[rustfmt::skip]
const SURNAMES: &[(&str, &str, &str)] = &[
    ("佐藤", "サトウ", ""), ("鈴木", "スズキ", ""), ("高橋", "タカハシ", "髙橋"), ("田中", "タナカ", ""),
    ("伊藤", "イトウ", ""), ("渡辺", "ワタナベ", "渡邊"), ("山本", "ヤマモト", ""), ("中村", "ナカムラ", ""),
    ("小林", "コバヤシ", ""), ("加藤", "カトウ", ""), ("吉田", "ヨシダ", "𠮷田"), ("山田", "ヤマダ", ""),
    ("佐々木", "ササキ", ""), ("山口", "ヤマグチ", ""), ("松本", "マツモト", ""), ("井上", "イノウエ", ""),
    ("木村", "キムラ", ""), ("林", "ハヤシ", ""), ("斎藤", "サイトウ", "齋藤"), ("清水", "シミズ", ""),
    ("山崎", "ヤマザキ", "山﨑"), ("森", "モリ", ""), ("池田", "イケダ", ""), ("橋本", "ハシモト", ""),
    ("阿部", "アベ", ""), ("石川", "イシカワ", ""), ("山下", "ヤマシタ", ""), ("中島", "ナカジマ", "中嶋"),
    ("石井", "イシイ", ""), ("小川", "オガワ", ""), ("前田", "マエダ", ""), ("岡田", "オカダ", ""),
    ("長谷川", "ハセガワ", ""), ("藤田", "フジタ", ""), ("後藤", "ゴトウ", ""), ("近藤", "コンドウ", ""),
    ("村上", "ムラカミ", ""), ("遠藤", "エンドウ", ""), ("青木", "アオキ", ""), ("坂本", "サカモト", ""),
    ("斉藤", "サイトウ", "齊藤"), ("福田", "フクダ", ""), ("太田", "オオタ", ""), ("西村", "ニシムラ", ""),
    ("藤井", "フジイ", ""), ("金子", "カネコ", ""), ("岡本", "オカモト", ""), ("藤原", "フジワラ", ""),
    ("中野", "ナカノ", ""), ("三浦", "ミウラ", ""), ("原田", "ハラダ", ""), ("中川", "ナカガワ", ""),
    ("松田", "マツダ", ""), ("竹内", "タケウチ", ""), ("小野", "オノ", ""), ("田村", "タムラ", ""),
    ("中山", "ナカヤマ", ""), ("和田", "ワダ", ""), ("石田", "イシダ", ""), ("森田", "モリタ", ""),
    ("上田", "ウエダ", ""), ("原", "ハラ", ""), ("内田", "ウチダ", ""), ("柴田", "シバタ", ""),
    ("酒井", "サカイ", ""), ("宮崎", "ミヤザキ", "宮﨑"), ("横山", "ヨコヤマ", ""), ("高木", "タカギ", "髙木"),
    ("安藤", "アンドウ", ""), ("宮本", "ミヤモト", ""), ("大野", "オオノ", ""), ("小島", "コジマ", "小嶋"),
    ("谷口", "タニグチ", ""), ("今井", "イマイ", ""), ("工藤", "クドウ", ""), ("高田", "タカダ", "髙田"),
    ("増田", "マスダ", ""), ("丸山", "マルヤマ", ""), ("杉山", "スギヤマ", ""), ("村田", "ムラタ", ""),
    ("大塚", "オオツカ", ""), ("新井", "アライ", ""), ("小山", "コヤマ", ""), ("平野", "ヒラノ", ""),
    ("藤本", "フジモト", ""), ("河野", "コウノ", ""), ("上野", "ウエノ", ""), ("野口", "ノグチ", ""),
    ("武田", "タケダ", ""), ("松井", "マツイ", ""), ("千葉", "チバ", ""), ("岩崎", "イワサキ", "岩﨑"),
    ("菅原", "スガワラ", ""), ("木下", "キノシタ", ""), ("久保", "クボ", ""), ("佐野", "サノ", ""),
    ("野村", "ノムラ", ""), ("松尾", "マツオ", ""), ("市川", "イチカワ", ""), ("菊地", "キクチ", ""),
    ("杉本", "スギモト", ""), ("古川", "フルカワ", ""), ("大西", "オオニシ", ""), ("島田", "シマダ", "嶋田"),
    ("水野", "ミズノ", ""), ("桜井", "サクライ", "櫻井"), ("高野", "タカノ", "髙野"), ("渡部", "ワタナベ", ""),
    ("吉川", "ヨシカワ", "𠮷川"), ("山内", "ヤマウチ", ""), ("浜田", "ハマダ", "濱田"), ("沢田", "サワダ", "澤田"),
    ("広瀬", "ヒロセ", "廣瀬"), ("富田", "トミタ", "冨田"), ("比嘉", "ヒガ", ""), ("金城", "キンジョウ", ""),
];

/// Male given names by generation: born before 1960, 1960–1989, from 1990.
#[rustfmt::skip]
const MALE: [&[Words]; 3] = [
    &[
        ("茂", "シゲル"), ("清", "キヨシ"), ("勇", "イサム"), ("進", "ススム"), ("博", "ヒロシ"), ("実", "ミノル"),
        ("修", "オサム"), ("隆", "タカシ"), ("正男", "マサオ"), ("和夫", "カズオ"), ("幸雄", "ユキオ"),
        ("昭", "アキラ"), ("義男", "ヨシオ"), ("正", "タダシ"), ("勝", "マサル"), ("武", "タケシ"),
        ("一郎", "イチロウ"), ("三郎", "サブロウ"), ("健一", "ケンイチ"), ("弘", "ヒロシ"), ("稔", "ミノル"),
        ("敏夫", "トシオ"),
    ],
    &[
        ("太郎", "タロウ"), ("大輔", "ダイスケ"), ("拓也", "タクヤ"), ("直樹", "ナオキ"), ("和也", "カズヤ"),
        ("達也", "タツヤ"), ("秀樹", "ヒデキ"), ("哲也", "テツヤ"), ("剛", "ツヨシ"), ("浩二", "コウジ"),
        ("雄一", "ユウイチ"), ("誠", "マコト"), ("健", "ケン"), ("亮", "リョウ"), ("学", "マナブ"),
        ("聡", "サトシ"), ("信之", "ノブユキ"), ("康弘", "ヤスヒロ"), ("隆之", "タカユキ"),
        ("慎太郎", "シンタロウ"), ("健太郎", "ケンタロウ"), ("英樹", "ヒデキ"),
    ],
    &[
        ("翔太", "ショウタ"), ("健太", "ケンタ"), ("陽翔", "ハルト"), ("蓮", "レン"), ("悠真", "ユウマ"),
        ("湊", "ミナト"), ("大翔", "ヒロト"), ("蒼", "アオイ"), ("樹", "イツキ"), ("颯太", "ソウタ"),
        ("陸", "リク"), ("悠人", "ユウト"), ("大和", "ヤマト"), ("智也", "トモヤ"), ("光", "ヒカル"),
        ("俊介", "シュンスケ"), ("裕太", "ユウタ"), ("駿", "シュン"), ("陽太", "ヨウタ"), ("蒼真", "ソウマ"),
        ("優斗", "ユウト"), ("龍之介", "リュウノスケ"), ("孝太郎", "コウタロウ"), ("翔", "ショウ"),
    ],
];

/// Female given names by generation: born before 1960, 1960–1989, from 1990.
#[rustfmt::skip]
const FEMALE: [&[Words]; 3] = [
    &[
        ("和子", "カズコ"), ("節子", "セツコ"), ("幸子", "サチコ"), ("文子", "フミコ"), ("清子", "キヨコ"),
        ("春子", "ハルコ"), ("美代子", "ミヨコ"), ("正子", "マサコ"), ("芳子", "ヨシコ"), ("洋子", "ヨウコ"),
        ("京子", "キョウコ"), ("恵子", "ケイコ"), ("花子", "ハナコ"), ("久子", "ヒサコ"), ("千代", "チヨ"),
        ("静江", "シズエ"), ("初枝", "ハツエ"), ("ハル", "ハル"), ("きよ", "キヨ"), ("弘子", "ヒロコ"),
        ("悦子", "エツコ"),
    ],
    &[
        ("恵", "メグミ"), ("優子", "ユウコ"), ("裕子", "ユウコ"), ("久美子", "クミコ"), ("由美子", "ユミコ"),
        ("真由美", "マユミ"), ("智子", "トモコ"), ("直美", "ナオミ"), ("明美", "アケミ"), ("由美", "ユミ"),
        ("美穂", "ミホ"), ("麻衣", "マイ"), ("愛", "アイ"), ("真理", "マリ"), ("香織", "カオリ"), ("綾", "アヤ"),
        ("瞳", "ヒトミ"), ("沙織", "サオリ"), ("絵美", "エミ"), ("美樹", "ミキ"), ("加奈子", "カナコ"),
        ("静香", "シズカ"),
    ],
    &[
        ("陽菜", "ヒナ"), ("美咲", "ミサキ"), ("結衣", "ユイ"), ("葵", "アオイ"), ("凛", "リン"), ("芽依", "メイ"),
        ("結菜", "ユイナ"), ("さくら", "サクラ"), ("陽葵", "ヒマリ"), ("紬", "ツムギ"), ("澪", "ミオ"),
        ("莉子", "リコ"), ("美羽", "ミウ"), ("舞", "マイ"), ("彩", "アヤ"), ("千尋", "チヒロ"), ("遥", "ハルカ"),
        ("彩花", "アヤカ"), ("奈々", "ナナ"), ("菜々子", "ナナコ"), ("杏", "アン"), ("心春", "コハル"),
        ("咲良", "サクラ"), ("朱里", "アカリ"), ("琴音", "コトネ"), ("楓", "カエデ"),
    ],
];

/// Names in the style of a country: surnames, male and female given names, and a
/// middle name by sex where the country uses one.
struct NameSet {
    family: &'static [Words],
    male: &'static [Words],
    female: &'static [Words],
    middle: Option<(Words, Words)>,
}

#[rustfmt::skip]
const WESTERN: NameSet = NameSet {
    family: &[("スミス", "スミス"), ("ジョンソン", "ジョンソン"), ("ブラウン", "ブラウン"), ("ウィリアムズ", "ウィリアムズ"),
        ("ミラー", "ミラー"), ("デイビス", "デイビス"), ("ウィルソン", "ウィルソン"), ("テイラー", "テイラー")],
    male: &[("ジョン", "ジョン"), ("マイケル", "マイケル"), ("デイビッド", "デイビッド"), ("ジェームズ", "ジェームズ"),
        ("ロバート", "ロバート"), ("ダニエル", "ダニエル")],
    female: &[("エミリー", "エミリー"), ("サラ", "サラ"), ("ジェシカ", "ジェシカ"), ("メアリー", "メアリー"),
        ("エマ", "エマ"), ("オリビア", "オリビア")],
    middle: None,
};

#[rustfmt::skip]
const VIETNAMESE: NameSet = NameSet {
    family: &[("グエン", "グエン"), ("チャン", "チャン"), ("レ", "レ"), ("ファム", "ファム"), ("ホアン", "ホアン"),
        ("ブイ", "ブイ")],
    male: &[("ナム", "ナム"), ("フン", "フン"), ("ミン", "ミン"), ("トゥアン", "トゥアン"), ("ドゥック", "ドゥック"),
        ("ハイ", "ハイ")],
    female: &[("ラン", "ラン"), ("フオン", "フオン"), ("マイ", "マイ"), ("ハー", "ハー"), ("リン", "リン"),
        ("トゥイ", "トゥイ")],
    middle: Some((("ヴァン", "ヴァン"), ("ティ", "ティ"))),
};

#[rustfmt::skip]
const CHINESE: NameSet = NameSet {
    family: &[("王", "ワン"), ("李", "リー"), ("張", "チャン"), ("劉", "リュウ"), ("陳", "チェン"), ("楊", "ヤン"),
        ("趙", "チャオ")],
    male: &[("偉", "ウェイ"), ("強", "チアン"), ("磊", "レイ"), ("軍", "ジュン"), ("浩", "ハオ"), ("明", "ミン")],
    female: &[("芳", "ファン"), ("娜", "ナー"), ("敏", "ミン"), ("静", "ジン"), ("麗", "リー"), ("婷", "ティン")],
    middle: None,
};

#[rustfmt::skip]
const KOREAN: NameSet = NameSet {
    family: &[("金", "キム"), ("李", "イ"), ("朴", "パク"), ("崔", "チェ"), ("鄭", "チョン"), ("姜", "カン")],
    male: &[("民俊", "ミンジュン"), ("志勲", "ジフン"), ("成浩", "ソンホ"), ("東賢", "ドンヒョン"), ("俊浩", "ジュノ")],
    female: &[("瑞妍", "ソヨン"), ("智恩", "ジウン"), ("秀賢", "スヒョン"), ("恩恵", "ウネ"), ("美善", "ミソン")],
    middle: None,
};

#[rustfmt::skip]
const FILIPINO: NameSet = NameSet {
    family: &[("サントス", "サントス"), ("レイエス", "レイエス"), ("クルス", "クルス"), ("ガルシア", "ガルシア"),
        ("メンドーサ", "メンドーサ"), ("バウティスタ", "バウティスタ")],
    male: &[("ホセ", "ホセ"), ("マーク", "マーク"), ("ミゲル", "ミゲル"), ("ラファエル", "ラファエル")],
    female: &[("マリア", "マリア"), ("アンジェリカ", "アンジェリカ"), ("クリスティン", "クリスティン"),
        ("ジャスミン", "ジャスミン")],
    middle: None,
};

#[rustfmt::skip]
const LATIN: NameSet = NameSet {
    family: &[("シルバ", "シルバ"), ("サントス", "サントス"), ("オリベイラ", "オリベイラ"), ("ソウザ", "ソウザ"),
        ("タナカ", "タナカ"), ("ナカムラ", "ナカムラ"), ("ゴンザレス", "ゴンザレス")],
    male: &[("マルコス", "マルコス"), ("ルーカス", "ルーカス"), ("ペドロ", "ペドロ"), ("カルロス", "カルロス")],
    female: &[("アナ", "アナ"), ("ジュリアナ", "ジュリアナ"), ("カミラ", "カミラ"), ("ルシア", "ルシア")],
    middle: None,
};

#[rustfmt::skip]
const NEPALI: NameSet = NameSet {
    family: &[("シュレスタ", "シュレスタ"), ("グルン", "グルン"), ("タマン", "タマン"), ("ライ", "ライ"),
        ("マガル", "マガル")],
    male: &[("ラム", "ラム"), ("ビシャル", "ビシャル"), ("スニル", "スニル"), ("ラジュ", "ラジュ")],
    female: &[("シタ", "シタ"), ("アニタ", "アニタ"), ("プジャ", "プジャ"), ("サビナ", "サビナ")],
    middle: None,
};

/// A nationality other than Japanese: its name in katakana (as the form asks), a
/// weight, the style of names, the language for an interpreter, and an address
/// abroad in English order (`#` is the house number).
struct Country {
    kana: &'static str,
    weight: u32,
    names: &'static NameSet,
    language: &'static str,
    address: &'static str,
}

#[rustfmt::skip]
const COUNTRIES: [Country; 10] = [
    Country { kana: "チュウゴク", weight: 25, names: &CHINESE, language: "中国語",
        address: "No. # Nanjing Road, Huangpu District, Shanghai 200001, China" },
    Country { kana: "ベトナム", weight: 20, names: &VIETNAMESE, language: "ベトナム語",
        address: "# Le Loi Street, Ben Thanh Ward, District 1, Ho Chi Minh City, Vietnam" },
    Country { kana: "カンコク", weight: 12, names: &KOREAN, language: "韓国語",
        address: "# Sejong-daero, Jung-gu, Seoul 04524, Republic of Korea" },
    Country { kana: "フィリピン", weight: 10, names: &FILIPINO, language: "タガログ語",
        address: "# Rizal Avenue, Santa Cruz, Manila 1003, Philippines" },
    Country { kana: "アメリカ", weight: 8, names: &WESTERN, language: "英語",
        address: "# Maple Street, Portland, OR 97205, USA" },
    Country { kana: "ブラジル", weight: 6, names: &LATIN, language: "ポルトガル語",
        address: "Rua Augusta #, Consolação, São Paulo - SP, 01305-000, Brazil" },
    Country { kana: "ネパール", weight: 6, names: &NEPALI, language: "ネパール語",
        address: "Ward No. #, Thamel, Kathmandu 44600, Nepal" },
    Country { kana: "オーストラリア", weight: 6, names: &WESTERN, language: "英語",
        address: "# George Street, Sydney NSW 2000, Australia" },
    Country { kana: "イギリス", weight: 5, names: &WESTERN, language: "英語",
        address: "# Baker Street, London NW1 6XE, United Kingdom" },
    Country { kana: "ペルー", weight: 2, names: &LATIN, language: "スペイン語",
        address: "Av. Arequipa #, Miraflores, Lima 15074, Peru" },
];

/// 通称 (alias) surnames some Korean residents use.
const ALIAS_FAMILY: [&str; 5] = ["金本", "金田", "新井", "岩本", "安田"];

/// A real 町丁字 of a real municipality: `city` owns schools and halls (市立, 区民),
/// `area` is the local name used for facilities, `chome` the number of 丁目 (0: none),
/// `banchi` whether lots are 地番 (`123番地4`) rather than 住居表示 (`1番2号`).
struct Place {
    pref: &'static str,
    muni: &'static str,
    city: &'static str,
    town: &'static str,
    area: &'static str,
    chome: u32,
    banchi: bool,
}

const fn place(
    pref: &'static str,
    muni: &'static str,
    city: &'static str,
    town: &'static str,
    area: &'static str,
    chome: u32,
    banchi: bool,
) -> Place {
    Place {
        pref,
        muni,
        city,
        town,
        area,
        chome,
        banchi,
    }
}

#[rustfmt::skip]
const PLACES: [Place; 51] = [
    place("北海道", "札幌市中央区", "札幌市", "北1条西", "大通", 9, false),
    place("北海道", "函館市", "函館市", "東雲町", "東雲", 0, false),
    place("岩手県", "盛岡市", "盛岡市", "内丸", "内丸", 0, false),
    place("宮城県", "仙台市青葉区", "仙台市", "国分町", "国分町", 3, false),
    place("福島県", "郡山市", "郡山市", "朝日", "朝日", 3, false),
    place("福島県", "双葉郡浪江町", "浪江町", "大字権現堂", "権現堂", 0, true),
    place("茨城県", "水戸市", "水戸市", "笠原町", "笠原", 0, true),
    place("栃木県", "宇都宮市", "宇都宮市", "旭", "旭", 2, false),
    place("群馬県", "前橋市", "前橋市", "大手町", "大手町", 3, false),
    place("埼玉県", "さいたま市浦和区", "さいたま市", "高砂", "高砂", 4, false),
    place("埼玉県", "川越市", "川越市", "元町", "元町", 2, false),
    place("千葉県", "千葉市中央区", "千葉市", "中央", "中央", 4, false),
    place("千葉県", "船橋市", "船橋市", "本町", "本町", 7, false),
    place("東京都", "千代田区", "千代田区", "霞が関", "霞が関", 3, false),
    place("東京都", "千代田区", "千代田区", "永田町", "永田町", 2, false),
    place("東京都", "新宿区", "新宿区", "西新宿", "西新宿", 8, false),
    place("東京都", "世田谷区", "世田谷区", "三軒茶屋", "三軒茶屋", 2, false),
    place("東京都", "練馬区", "練馬区", "光が丘", "光が丘", 7, false),
    place("東京都", "江戸川区", "江戸川区", "西葛西", "西葛西", 8, false),
    place("東京都", "八王子市", "八王子市", "元本郷町", "元本郷", 4, false),
    place("神奈川県", "横浜市中区", "横浜市", "山下町", "山下町", 0, true),
    place("神奈川県", "川崎市川崎区", "川崎市", "駅前本町", "駅前", 0, true),
    place("神奈川県", "相模原市中央区", "相模原市", "中央", "中央", 6, false),
    place("新潟県", "長岡市", "長岡市", "大手通", "大手通", 2, false),
    place("石川県", "金沢市", "金沢市", "広坂", "広坂", 2, false),
    place("石川県", "輪島市", "輪島市", "河井町", "河井", 0, true),
    place("長野県", "長野市", "長野市", "大字鶴賀緑町", "鶴賀", 0, true),
    place("静岡県", "静岡市葵区", "静岡市", "追手町", "追手町", 0, false),
    place("静岡県", "浜松市中央区", "浜松市", "元城町", "元城", 0, false),
    place("愛知県", "名古屋市中区", "名古屋市", "三の丸", "三の丸", 4, false),
    place("愛知県", "豊田市", "豊田市", "西町", "西町", 6, false),
    place("岐阜県", "岐阜市", "岐阜市", "司町", "司町", 0, false),
    place("三重県", "津市", "津市", "西丸之内", "丸之内", 0, false),
    place("京都府", "京都市中京区", "京都市", "寺町通御池上る上本能寺前町", "本能寺", 0, true),
    place("大阪府", "大阪市北区", "大阪市", "中之島", "中之島", 6, false),
    place("大阪府", "堺市堺区", "堺市", "南瓦町", "瓦町", 0, false),
    place("兵庫県", "神戸市中央区", "神戸市", "加納町", "加納町", 6, false),
    place("兵庫県", "姫路市", "姫路市", "安田", "安田", 4, false),
    place("奈良県", "奈良市", "奈良市", "二条大路南", "二条", 5, false),
    place("岡山県", "岡山市北区", "岡山市", "大供", "大供", 3, false),
    place("広島県", "広島市中区", "広島市", "国泰寺町", "国泰寺", 2, false),
    place("山口県", "下関市", "下関市", "南部町", "南部町", 0, false),
    place("香川県", "高松市", "高松市", "番町", "番町", 5, false),
    place("愛媛県", "松山市", "松山市", "二番町", "二番町", 4, false),
    place("高知県", "高知市", "高知市", "本町", "本町", 5, false),
    place("福岡県", "福岡市中央区", "福岡市", "天神", "天神", 5, false),
    place("福岡県", "北九州市小倉北区", "北九州市", "城内", "城内", 0, false),
    place("熊本県", "熊本市中央区", "熊本市", "手取本町", "手取", 0, false),
    place("鹿児島県", "鹿児島市", "鹿児島市", "山下町", "山下町", 0, false),
    place("沖縄県", "那覇市", "那覇市", "泉崎", "泉崎", 2, false),
    place("沖縄県", "石垣市", "石垣市", "美崎町", "美崎", 0, false),
];

/// The city's name without 市/区/町/村 (`横浜市` → `横浜`), for facility names.
fn city_stem(city: &str) -> &str {
    city.strip_suffix(['市', '区', '町', '村']).unwrap_or(city)
}

/// Birth decades (first year, last year) and their weights: a rough age pyramid.
#[rustfmt::skip]
const DECADES: [(u32, u32); 10] = [
    (1930, 1939), (1940, 1949), (1950, 1959), (1960, 1969), (1970, 1979),
    (1980, 1989), (1990, 1999), (2000, 2009), (2010, 2019), (2020, 2025),
];
const DECADE_WEIGHTS: [u32; 10] = [4, 8, 12, 13, 15, 13, 11, 9, 9, 4];

#[rustfmt::skip]
const BUILDS: [&str; 7] = ["やせ型", "中肉中背", "がっしりした体格", "小太り", "小柄", "大柄", "細身"];
/// Hair by sex: [under 60, 60 and over].
#[rustfmt::skip]
const HAIR_MALE: [&[&str]; 2] = [
    &["黒髪短髪", "茶髪短髪", "黒髪のツーブロック", "坊主頭", "黒髪の天然パーマ"],
    &["白髪短髪", "白髪交じりの短髪", "頭頂部が薄い", "白髪の坊主頭", "白髪をオールバック"],
];
#[rustfmt::skip]
const HAIR_FEMALE: [&[&str]; 2] = [
    &["黒髪セミロング", "黒髪ロング（後ろで一つに結んでいる）", "茶髪ショート", "黒髪ボブ", "茶髪ロング"],
    &["白髪のショートカット", "白髪交じりのパーマ", "灰色の短髪", "黒く染めたショートヘア"],
];
#[rustfmt::skip]
const GLASSES: [&str; 6] = [
    "黒縁メガネ", "銀縁メガネ", "赤いメガネをかけている", "縁なしメガネ", "老眼鏡を首から下げている",
    "べっ甲柄のメガネ",
];
#[rustfmt::skip]
const MARKS: [&str; 8] = [
    "右頬にほくろ", "左目の下にほくろ", "左手の甲にやけどの痕", "右腕に手術痕", "あごに古い傷痕",
    "右耳に補聴器", "左手首に数珠", "右手の薬指に指輪",
];
const HEIGHT_WORDS: [&str; 3] = ["程度", "くらい", "前後"];
#[rustfmt::skip]
const COLORS: [&str; 12] = [
    "青い", "黒い", "赤い", "白い", "灰色の", "紺色の", "緑色の", "茶色の", "ベージュの", "黄色い", "紫色の",
    "水色の",
];
#[rustfmt::skip]
const UPPERS: [&str; 10] = [
    "ジャンパー", "ダウンジャケット", "セーター", "トレーナー", "パーカー", "コート", "作業着", "フリース",
    "ウインドブレーカー", "カーディガン",
];
/// Trousers and skirts by sex: [male, female].
#[rustfmt::skip]
const LOWERS: [&[&str]; 2] = [
    &["ズボン", "ジーンズ", "ジャージ", "チノパン"],
    &["ズボン", "スカート", "ジーンズ", "ジャージ"],
];
#[rustfmt::skip]
const BAGS: [&str; 8] = [
    "リュック", "手提げかばん", "ショルダーバッグ", "ウエストポーチ", "帽子", "長靴", "スニーカー", "腕時計",
];
#[rustfmt::skip]
const BELONGINGS: [&str; 5] = [
    "杖をついている", "黒い携帯電話を所持", "母子手帳を所持", "保険証を所持", "お守りを所持",
];

/// Injury descriptions by severity (重症, 中等症, 軽症, その他).
#[rustfmt::skip]
const INJURIES: [&[&str]; 4] = [
    &["頭部外傷（意識障害あり）", "骨盤骨折", "全身熱傷（II度30%）", "腹部内臓損傷", "両下腿開放骨折",
        "胸部圧迫による呼吸不全"],
    &["左大腿骨骨折", "右上腕骨骨折", "肋骨骨折", "左大腿部裂傷", "煙を吸い込み呼吸困難", "腰椎圧迫骨折",
        "低体温症"],
    &["右手打撲", "左足首捻挫", "額の切り傷", "両膝擦過傷", "頭部打撲", "右手の軽い熱傷", "過呼吸"],
    &["持病（糖尿病）の悪化", "腰痛の訴え", "不眠・不安の訴え", "擦り傷（自己申告）",
        "常用薬（降圧剤）が切れている"],
];

#[rustfmt::skip]
const CIRCUMSTANCES: [&str; 7] = [
    "建物の倒壊に巻き込まれて死亡", "爆発に巻き込まれて死亡", "火災により死亡", "落下物の直撃を受けて死亡",
    "避難中に転倒し頭部を強打して死亡", "搬送先の病院で死亡", "車両の横転事故により死亡",
];
#[rustfmt::skip]
const DISCOVERED_CIRCUMSTANCES: [&str; 3] = [
    "がれきの下から心肺停止の状態で発見", "倒壊家屋の中から発見", "河川敷で倒れているところを発見",
];

#[rustfmt::skip]
const REMARKS: [&str; 10] = [
    "ペット（犬1匹）同伴", "車いす使用", "要介護2", "妊娠中（8か月）", "食物アレルギー（卵・乳）",
    "人工透析が必要（週3回）", "常用薬（血圧の薬）を持参していない", "ペット（猫2匹）を自宅に残している",
    "補聴器使用", "乳児同伴（ミルク・おむつが必要）",
];

const MOBILE: [&str; 3] = ["090", "080", "070"];

const KANJI_DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// 1..=99 in kanji numerals (`23` → `二十三`); larger numbers in Arabic.
fn push_kanji(out: &mut String, n: u32) {
    if !(1..100).contains(&n) {
        let _ = write!(out, "{n}");
        return;
    }
    let (tens, units) = (n / 10, n % 10);
    if tens > 1 {
        out.push(KANJI_DIGITS[tens as usize]);
    }
    if tens >= 1 {
        out.push('十');
    }
    if units > 0 {
        out.push(KANJI_DIGITS[units as usize]);
    }
}

/// `、` before every part but the first.
fn part(out: &mut String) -> &mut String {
    if !out.is_empty() {
        out.push('、');
    }
    out
}

// ---------------------------------------------------------------------------------
// Persons.

/// A person's name parts: family name (standard form, variant or "", reading), an
/// optional middle name, the given name, and whether the person writes the variant.
struct Name {
    family: Words,
    family_variant: &'static str,
    middle: Option<Words>,
    given: Words,
    writes_variant: bool,
}

impl Name {
    fn text(&self, sep: &str, variant: bool) -> String {
        let family = if variant && !self.family_variant.is_empty() {
            self.family_variant
        } else {
            self.family.0
        };
        let mut out = String::with_capacity(48);
        out.push_str(family);
        out.push_str(sep);
        if let Some(middle) = self.middle {
            out.push_str(middle.0);
            out.push_str(sep);
        }
        out.push_str(self.given.0);
        out
    }

    fn reading(&self, sep: &str) -> String {
        let mut out = String::with_capacity(64);
        out.push_str(self.family.1);
        out.push_str(sep);
        if let Some(middle) = self.middle {
            out.push_str(middle.1);
            out.push_str(sep);
        }
        out.push_str(self.given.1);
        out
    }
}

enum Nationality {
    /// `kind` as written: "" (the form's default) or 日本.
    Japan(&'static str),
    Other(&'static Country),
    Unknown,
}

/// A Japanese address: its numbers and how the person writes it.
#[derive(Clone, Copy)]
struct JapaneseHome {
    place: &'static Place,
    chome: u32,
    ban: u32,
    go: u32,
    room: u32,
    lotless: bool,
    style: u8,
}

enum Home {
    Japan(JapaneseHome),
    Foreign(String),
    Unknown,
}

struct Traits {
    height: u32,
    height_word: &'static str,
    build: &'static str,
    hair: &'static str,
    glasses: Option<&'static str>,
    mark: Option<&'static str>,
}

/// The person fields: everything that is the same in every record of a person.
struct Person {
    name: Option<Name>,
    sex: Option<Sex>,
    /// The sex used for names and traits, also when the field is left empty.
    body_sex: Sex,
    /// Drawn for everyone; written only when `birth_known`.
    birth: NaiveDate,
    birth_known: bool,
    birth_style: u8,
    nationality: Nationality,
    alias: Option<(&'static str, Words)>,
    home: Home,
    traits: Traits,
    phone: (&'static str, u32, u32),
}

/// How a record writes the person fields.
struct Style {
    sep: &'static str,
    kana_sep: &'static str,
    variant_kanji: bool,
    birth: u8,
    address: u8,
    short_prefecture: bool,
    swap_ga: bool,
}

impl Style {
    fn of(person: &Person) -> Self {
        Style {
            sep: "\u{3000}",
            kana_sep: "\u{3000}",
            variant_kanji: person.name.as_ref().is_some_and(|n| n.writes_variant),
            birth: person.birth_style,
            address: match &person.home {
                Home::Japan(home) => home.style,
                _ => 0,
            },
            short_prefecture: false,
            swap_ga: false,
        }
    }
}

/// Birth date notations: ISO, era in kanji, Gregorian in kanji, era initial, slashes.
const BIRTH_STYLE_WEIGHTS: [u32; 5] = [82, 10, 3, 3, 2];

impl Person {
    /// Age on the day of the incident (approximate: by year).
    fn age(&self) -> u32 {
        2026 - year_of(self.birth)
    }

    fn generation(&self) -> usize {
        generation(year_of(self.birth))
    }

    /// Whether a basic field is missing, so that identifying information is needed
    /// (E-03) and written in detail.
    fn rich(&self) -> bool {
        self.name.is_none()
            || !self.birth_known
            || self.sex.is_none()
            || matches!(self.nationality, Nationality::Unknown)
            || matches!(self.home, Home::Unknown)
    }

    fn fill(&self, draft: &mut EntryDraft, style: &Style) {
        if let Some(name) = &self.name {
            draft.name = name.text(style.sep, style.variant_kanji);
            draft.furigana = name.reading(style.kana_sep);
        }
        if let Some((family, given)) = self.alias {
            let mut alias = String::with_capacity(32);
            alias.push_str(family);
            alias.push('\u{3000}');
            alias.push_str(given.0);
            draft.alias = alias;
        }
        if self.birth_known {
            draft.birth_date = birth_text(self.birth, style.birth);
        }
        if let Some(sex) = self.sex {
            draft.sex = sex.label_ja().to_string();
        }
        match &self.home {
            Home::Japan(home) => {
                draft.address = home.render(style.address, style.short_prefecture, style.swap_ga);
            }
            Home::Foreign(text) => draft.address.foreign = text.clone(),
            Home::Unknown => {}
        }
        draft.nationality = match self.nationality {
            Nationality::Japan(kind) => NationalityDraft {
                kind: kind.to_string(),
                other: String::new(),
            },
            Nationality::Other(country) => NationalityDraft {
                kind: "その他".to_string(),
                other: country.kana.to_string(),
            },
            Nationality::Unknown => NationalityDraft {
                kind: "不明".to_string(),
                other: String::new(),
            },
        };
    }

    fn phone_text(&self) -> String {
        let (prefix, a, b) = self.phone;
        format!("{prefix}-{a:04}-{b:04}")
    }
}

fn year_of(date: NaiveDate) -> u32 {
    date.year() as u32
}

/// 0: born before 1960, 1: 1960–1989, 2: from 1990.
fn generation(year: u32) -> usize {
    match year {
        ..1960 => 0,
        1960..1990 => 1,
        _ => 2,
    }
}

fn given_name(r: &mut Rng, sex: Sex, generation: usize) -> Words {
    let generation = if r.chance(1_500) {
        r.index(3)
    } else {
        generation
    };
    let lists = match sex {
        Sex::Male => &MALE,
        Sex::Female => &FEMALE,
    };
    r.pick(lists[generation])
}

/// The birth date in notation `style` (see `BIRTH_STYLE_WEIGHTS`); era forms for the
/// eras of 1930–2025 only (昭和, 平成, 令和).
fn birth_text(date: NaiveDate, style: u8) -> String {
    let (y, m, d) = (date.year(), date.month(), date.day());
    match style {
        0 => format!("{y:04}-{m:02}-{d:02}"),
        1 | 3 => {
            let (era, initial, year) = if (y, m, d) >= (2019, 5, 1) {
                ("令和", 'R', y - 2018)
            } else if (y, m, d) >= (1989, 1, 8) {
                ("平成", 'H', y - 1988)
            } else {
                ("昭和", 'S', y - 1925)
            };
            if style == 3 {
                format!("{initial}{year}.{m}.{d}")
            } else if year == 1 {
                format!("{era}元年{m}月{d}日")
            } else {
                format!("{era}{year}年{m}月{d}日")
            }
        }
        2 => format!("{y}年{m}月{d}日"),
        _ => format!("{y}/{m:02}/{d:02}"),
    }
}

impl JapaneseHome {
    /// The notations this address can be written in (see `render`).
    fn styles(&self) -> &'static [u8] {
        match (self.place.banchi, self.place.chome > 0, self.lotless) {
            (true, _, false) => &[0, 1, 2],
            (_, true, true) => &[0, 3],
            (_, _, true) => &[0],
            (false, true, false) => &[0, 1, 2, 3, 4, 5],
            (false, false, false) => &[0, 1, 4],
        }
    }

    fn style_weights(&self) -> &'static [u32] {
        match (self.place.banchi, self.place.chome > 0, self.lotless) {
            (true, _, false) => &[55, 35, 10],
            (_, true, true) => &[85, 15],
            (_, _, true) => &[1],
            (false, true, false) => &[45, 22, 10, 10, 3, 10],
            (false, false, false) => &[60, 35, 5],
        }
    }

    /// Writes the address in notation `style`:
    /// - 住居表示 with 丁目: 0 `X2丁目`+`1番2号`, 1 `X2丁目`+`1-2`, 2 `X`+`2-1-2`,
    ///   3 `X二丁目`+`1番2号`, 4 `X二丁目`+`一番二号`, 5 `X`+`2丁目1番2号`;
    ///   without 丁目: 0 `1番2号`, 1 `1-2`, 4 `一番二号`; a room number as `-305`.
    /// - 地番: 0 `123番地4`, 1 `123-4`, 2 `123番地の4` (or `123番地`, `123`).
    fn render(&self, style: u8, short_prefecture: bool, swap_ga: bool) -> AddressDraft {
        let p = self.place;
        let prefecture = if short_prefecture && p.pref != "北海道" {
            p.pref.strip_suffix(['都', '府', '県']).unwrap_or(p.pref)
        } else {
            p.pref
        };
        let mut town = String::with_capacity(48);
        if swap_ga && p.town.contains('が') {
            town.push_str(&p.town.replace('が', "ヶ"));
        } else {
            town.push_str(p.town);
        }
        let (c, b, g) = (self.chome, self.ban, self.go);
        let mut lot = if self.lotless {
            String::new()
        } else if p.banchi {
            match (style, g) {
                (0 | 2, 0) => format!("{b}番地"),
                (1, 0) => format!("{b}"),
                (0, _) => format!("{b}番地{g}"),
                (1, _) => format!("{b}-{g}"),
                _ => format!("{b}番地の{g}"),
            }
        } else {
            match style {
                1 => format!("{b}-{g}"),
                2 if c > 0 => format!("{c}-{b}-{g}"),
                4 => {
                    let mut lot = String::with_capacity(24);
                    push_kanji(&mut lot, b);
                    lot.push('番');
                    push_kanji(&mut lot, g);
                    lot.push('号');
                    lot
                }
                5 if c > 0 => format!("{c}丁目{b}番{g}号"),
                _ => format!("{b}番{g}号"),
            }
        };
        if !p.banchi && c > 0 && !matches!(style, 2 | 5) {
            if matches!(style, 3 | 4) {
                push_kanji(&mut town, c);
            } else {
                let _ = write!(town, "{c}");
            }
            town.push_str("丁目");
        }
        if !lot.is_empty() && self.room > 0 {
            let _ = write!(lot, "-{}", self.room);
        }
        AddressDraft {
            prefecture: prefecture.to_string(),
            municipality: p.muni.to_string(),
            town,
            lot,
            ..AddressDraft::default()
        }
    }

    /// The address on one line, as written in the base notation.
    fn line(&self) -> String {
        let a = self.render(self.style, false, false);
        let mut out = String::with_capacity(64);
        for part in [&a.prefecture, &a.municipality, &a.town, &a.lot] {
            out.push_str(part);
        }
        out
    }
}

fn japanese_home(r: &mut Rng, place: &'static Place) -> JapaneseHome {
    let mut home = JapaneseHome {
        place,
        chome: if place.chome > 0 {
            r.range(1, place.chome)
        } else {
            0
        },
        ban: 0,
        go: 0,
        room: 0,
        lotless: r.chance(LOTLESS),
        style: 0,
    };
    if place.banchi {
        home.ban = r.range(1, 2_400);
        home.go = if r.chance(6_000) { r.range(1, 15) } else { 0 };
    } else {
        home.ban = r.range(1, 30);
        home.go = r.range(1, 25);
        if r.chance(1_200) {
            home.room = r.range(1, 12) * 100 + r.range(1, 8);
        }
    }
    let styles = home.styles();
    home.style = styles[r.weighted(home.style_weights())];
    home
}

impl Generator {
    fn person_fields(&self, p: u64) -> Person {
        let mut r = self.rng(Stream::Person, p);
        let sex_roll = r.below(10_000);
        let female = if sex_roll < 10_000 - UNKNOWN_SEX {
            sex_roll % 2 == 1
        } else {
            r.chance(5_000)
        };
        let body_sex = if female { Sex::Female } else { Sex::Male };
        let sex = (sex_roll < 10_000 - UNKNOWN_SEX).then_some(body_sex);

        let (first_year, last_year) = DECADES[r.weighted(&DECADE_WEIGHTS)];
        let year = r.range(first_year, last_year);
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let ordinal = r.range(1, if leap { 366 } else { 365 });
        let birth = NaiveDate::from_yo_opt(year as i32, ordinal).expect("a valid day of the year");
        let mut birth_known = !r.chance(UNKNOWN_BIRTH);
        let birth_style = r.weighted(&BIRTH_STYLE_WEIGHTS) as u8;

        let nationality_roll = r.below(10_000);
        let mut nationality = if nationality_roll < NATIONALITY_OTHER {
            let weights: [u32; COUNTRIES.len()] = std::array::from_fn(|i| COUNTRIES[i].weight);
            Nationality::Other(&COUNTRIES[r.weighted(&weights)])
        } else if nationality_roll < NATIONALITY_OTHER + NATIONALITY_UNKNOWN {
            Nationality::Unknown
        } else if r.chance(2_000) {
            Nationality::Japan("日本")
        } else {
            Nationality::Japan("")
        };

        let name_known = !r.chance(UNKNOWN_NAME);
        let name = match nationality {
            Nationality::Other(country) => {
                let names = country.names;
                let given = match body_sex {
                    Sex::Male => r.pick(names.male),
                    Sex::Female => r.pick(names.female),
                };
                Name {
                    family: r.pick(names.family),
                    family_variant: "",
                    middle: names.middle.map(|(male, female)| match body_sex {
                        Sex::Male => male,
                        Sex::Female => female,
                    }),
                    given,
                    writes_variant: false,
                }
            }
            _ => {
                // The smaller of two uniform indices: the most common names come first.
                let index = r.index(SURNAMES.len()).min(r.index(SURNAMES.len()));
                let (family, reading, variant) = SURNAMES[index];
                Name {
                    family: (family, reading),
                    family_variant: variant,
                    middle: None,
                    writes_variant: !variant.is_empty() && r.chance(WRITES_VARIANT),
                    given: given_name(&mut r, body_sex, generation(year)),
                }
            }
        };
        let alias = match nationality {
            Nationality::Other(country) if country.kana == "カンコク" && r.chance(3_000) => {
                Some((r.pick(&ALIAS_FAMILY), given_name(&mut r, body_sex, 1)))
            }
            _ => None,
        };

        let place = &PLACES[r.index(PLACES.len())];
        let mut home = Home::Japan(japanese_home(&mut r, place));
        if let Nationality::Other(country) = nationality
            && r.chance(FOREIGN_ADDRESS)
        {
            let number = r.range(1, 2_000).to_string();
            home = Home::Foreign(country.address.replace('#', &number));
        }

        let name = if name_known {
            Some(name)
        } else {
            // A person nobody could name: usually no birth date or address either.
            birth_known = !r.chance(8_500);
            if r.chance(9_500) {
                home = Home::Unknown;
            }
            if r.chance(5_000) {
                nationality = Nationality::Unknown;
            }
            None
        };

        let age = 2026 - year;
        let height = match (age, body_sex) {
            (..6, _) => r.range(16, 22) * 5,
            (6..13, _) => r.range(23, 30) * 5,
            (13..18, Sex::Male) => r.range(30, 35) * 5,
            (13..18, Sex::Female) => r.range(29, 33) * 5,
            (_, Sex::Male) => r.range(31, 37) * 5 - if age >= 75 { 5 } else { 0 },
            (_, Sex::Female) => r.range(29, 34) * 5 - if age >= 75 { 5 } else { 0 },
        };
        let old = usize::from(age >= 60);
        let traits = Traits {
            height,
            height_word: r.pick(&HEIGHT_WORDS),
            build: r.pick(&BUILDS),
            hair: match body_sex {
                Sex::Male => r.pick(HAIR_MALE[old]),
                Sex::Female => r.pick(HAIR_FEMALE[old]),
            },
            glasses: r.chance(3_000).then(|| r.pick(&GLASSES)),
            mark: r.chance(2_000).then(|| r.pick(&MARKS)),
        };
        let phone = (
            r.pick(&MOBILE),
            r.below(10_000) as u32,
            r.below(10_000) as u32,
        );
        Person {
            name,
            sex,
            body_sex,
            birth,
            birth_known,
            birth_style,
            nationality,
            alias,
            home,
            traits,
            phone,
        }
    }

    /// The notation of a re-description in another notation: at least one of the
    /// name, the address or the birth date is written differently where possible.
    fn variant_style(&self, n: u64, person: &Person) -> Style {
        let mut r = self.rng(Stream::Variant, n);
        let mut style = Style::of(person);
        let home = match &person.home {
            Home::Japan(home) => Some(home),
            _ => None,
        };
        let what = r.below(4);
        let mut name = what != 1 && person.name.is_some();
        let mut address = matches!(what, 1 | 2) && home.is_some();
        let mut birth = what == 3 && person.birth_known;
        if !(name || address || birth) {
            name = person.name.is_some();
            address = !name && home.is_some();
            birth = !name && !address && person.birth_known;
        }
        if let (true, Some(parts)) = (name, &person.name) {
            match r.below(10) {
                0..5 => style.sep = " ",
                5..8 => style.sep = "",
                _ if !parts.family_variant.is_empty() => {
                    style.variant_kanji = !style.variant_kanji;
                }
                _ => style.sep = " ",
            }
            if style.sep != "\u{3000}" && r.chance(5_000) {
                style.kana_sep = style.sep;
            }
        }
        if let (true, Some(home)) = (address, home) {
            let styles = home.styles();
            if styles.len() > 1 {
                let offset = 1 + r.index(styles.len() - 1);
                let base = styles.iter().position(|s| *s == home.style).unwrap_or(0);
                style.address = styles[(base + offset) % styles.len()];
            }
            style.swap_ga = home.place.town.contains('が') && r.chance(5_000);
            style.short_prefecture =
                home.place.pref != "北海道" && (styles.len() == 1 || r.chance(2_500));
        }
        if birth {
            style.birth = (person.birth_style + 1 + r.below(4) as u8) % 5;
        }
        style
    }
}

// ---------------------------------------------------------------------------------
// Record fields.

/// Injury of a Form 1 record and whether the person's wishes can be confirmed.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Injury {
    /// Index into `Severity::LABELS`, `None` for 非該当.
    severity: Option<usize>,
    description: &'static str,
    /// 意思確認不可: 0 no, 1 the consent flag, 2 the marker in identifying information.
    not_confirmable: u8,
}

impl Generator {
    fn injury(&self, n: u64) -> Injury {
        let mut r = self.rng(Stream::Injury, n);
        if !r.chance(INJURED) {
            return Injury {
                severity: None,
                description: "",
                not_confirmable: 0,
            };
        }
        let severity = r.weighted(&[10, 25, 55, 10]);
        let description = if r.chance(200) {
            ""
        } else {
            r.pick(INJURIES[severity])
        };
        let not_confirmable = match severity {
            0 if r.chance(4_500) => 1 + r.below(2) as u8,
            1 if r.chance(500) => 1 + r.below(2) as u8,
            _ => 0,
        };
        Injury {
            severity: Some(severity),
            description,
            not_confirmable,
        }
    }

    fn location(&self, n: u64, person: &Person, injury: &Injury) -> LocationDraft {
        let mut r = self.rng(Stream::Location, n);
        location_draw(&mut r, person, injury)
    }

    fn fill_form1(&self, d: &mut EntryDraft, n: u64, p: u64, person: &Person, rec: &mut Rng) {
        let injury = self.injury(n);
        // Someone who cannot give their name can seldom say whom to tell.
        let not_confirmable = match injury.not_confirmable {
            0 if person.name.is_none() && rec.chance(8_000) => 1 + rec.below(2) as u8,
            other => other,
        };
        let mut r = self.rng(Stream::Location, n);
        let mut location = location_draw(&mut r, person, &injury);
        if p != n {
            // A re-description: the person has moved (or their state has changed).
            let before = self.location(p, person, &self.injury(p));
            for _ in 0..8 {
                if location != before {
                    break;
                }
                location = location_draw(&mut r, person, &injury);
            }
        }
        d.injury = match injury.severity {
            None => InjuryDraft {
                status: "非該当".to_string(),
                ..InjuryDraft::default()
            },
            Some(severity) => InjuryDraft {
                status: "負傷".to_string(),
                severity: super::Severity::LABELS[severity].to_string(),
                description: injury.description.to_string(),
            },
        };
        d.identifying_info = identifying(rec, person, FormKind::Form1, not_confirmable == 2);
        d.location = location;
        d.consent = match not_confirmable {
            0 => consent(rec),
            1 => ConsentDraft {
                not_confirmable: true,
                ..ConsentDraft::default()
            },
            _ => ConsentDraft::default(),
        };
        d.contact = contact(rec, person);
        if rec.chance(600) {
            d.remarks = rec.pick(&REMARKS).to_string();
        }
    }

    fn body_location(&self, n: u64, person: &Person) -> String {
        let mut r = self.rng(Stream::Body, n);
        body_location_draw(&mut r, person)
    }

    fn fill_form2(
        &self,
        d: &mut EntryDraft,
        n: u64,
        p: u64,
        person: &Person,
        rec: &mut Rng,
        first_minute: u32,
    ) {
        d.death = self.death(p, person, first_minute);
        d.identifying_info = identifying(rec, person, FormKind::Form2, false);
        let mut r = self.rng(Stream::Body, n);
        let mut body = body_location_draw(&mut r, person);
        if p != n {
            // A re-description: the body has been moved.
            let before = self.body_location(p, person);
            for _ in 0..8 {
                if body != before {
                    break;
                }
                body = body_location_draw(&mut r, person);
            }
        }
        d.body_location = body;
        d.bereaved = bereaved(rec, person);
        d.contact = match rec.weighted(&[60, 20, 20]) {
            0 => String::new(),
            1 => "遺族への連絡は同意回答者の連絡先へ".to_string(),
            _ => "身元は所持品及び遺族の確認による".to_string(),
        };
    }

    /// Death details of a person whose first record is Form 2; the death lies between
    /// the start of the incident and that first record.
    fn death(&self, p: u64, person: &Person, first_minute: u32) -> DeathDraft {
        let mut r = self.rng(Stream::Death, p);
        let early = r.range(0, first_minute);
        let minute = early.min(r.range(0, first_minute));
        let (day, h, m) = clock(minute);
        let date = if r.chance(8_500) {
            format!("2026-11-{day}")
        } else {
            format!("令和8年11月{day}日")
        };
        let time = match r.weighted(&[55, 10, 35]) {
            0 => format!("{h:02}:{m:02}"),
            1 => format!("{h}時{m}分"),
            _ => String::new(),
        };
        let discovered = r.chance(2_500);
        let no_medical_certificate = r.chance(2_000);
        let place = near_place(&mut r, person);
        let (area, stem) = (place.area, city_stem(place.city));
        let place_text = match (r.below(7), &person.home) {
            (0 | 1, _) if place.chome > 0 => {
                let chome = r.range(1, place.chome);
                format!("{}{}{chome}丁目付近", place.muni, place.town)
            }
            (2, _) => format!("{area}公民館前の路上"),
            (3, Home::Japan(home)) => format!("自宅（{}）", home.line()),
            (4, _) => format!("{stem}駅構内"),
            (5, _) => format!("{area}付近の河川敷"),
            (6, _) => format!("搬送先の{stem}赤十字病院"),
            _ => format!("{}{}付近", place.muni, place.town),
        };
        let circumstances = if r.chance(300) {
            ""
        } else if discovered {
            r.pick(&DISCOVERED_CIRCUMSTANCES)
        } else {
            r.pick(&CIRCUMSTANCES)
        };
        DeathDraft {
            date,
            time,
            place: place_text,
            circumstances: circumstances.to_string(),
            no_medical_certificate,
            discovered,
        }
    }
}

/// The person's home town most of the time, else anywhere.
fn near_place(r: &mut Rng, person: &Person) -> &'static Place {
    match &person.home {
        Home::Japan(home) if r.chance(9_000) => home.place,
        _ => &PLACES[r.index(PLACES.len())],
    }
}

/// Location categories, in the order of `LOCATION_CATEGORIES`.
const SHELTER: usize = 0;
const HOSPITAL: usize = 1;
const HOME: usize = 2;
const OTHER_PLACE: usize = 3;

fn location_draw(r: &mut Rng, person: &Person, injury: &Injury) -> LocationDraft {
    let injured = injury.severity.is_some_and(|s| s < 3);
    let weights: &[u32] = if injured {
        &[25, 65, 5, 5, 0]
    } else {
        &[62, 5, 15, 10, 8]
    };
    let mut category = r.weighted(weights);
    if category > OTHER_PLACE {
        return LocationDraft::default();
    }
    let home = match &person.home {
        Home::Japan(home) => Some(home),
        _ => None,
    };
    if category == HOME && home.is_none() {
        category = SHELTER;
    }
    let category_label = super::validate::LOCATION_CATEGORIES[category].to_string();
    if let (HOME, Some(home)) = (category, home) {
        let address = home.render(home.style, false, false);
        return LocationDraft {
            prefecture: address.prefecture,
            municipality: address.municipality,
            town: address.town,
            lot: address.lot,
            place_name: match r.below(10) {
                0..7 => String::new(),
                7..9 => "自宅（一部損壊）".to_string(),
                _ => "自宅（ライフライン停止）".to_string(),
            },
            category: category_label,
        };
    }
    let place = near_place(r, person);
    let (pref, city, stem, area) = (place.pref, place.city, city_stem(place.city), place.area);
    let name = match (category, r.below(7)) {
        (SHELTER, 0) => {
            let number = KANJI_DIGITS[r.range(1, 9) as usize];
            format!("{city}立第{number}小学校")
        }
        (SHELTER, 1) => format!("{city}立{area}小学校"),
        (SHELTER, 2) => format!("{city}立{area}中学校"),
        (SHELTER, 3) => format!("{area}公民館"),
        (SHELTER, 4) => format!("{city}総合体育館"),
        (SHELTER, 5) => format!("{pref}立{stem}高等学校"),
        (SHELTER, _) => format!("{area}コミュニティセンター"),
        (HOSPITAL, 0 | 1) => format!("{stem}赤十字病院"),
        (HOSPITAL, 2) => format!("{area}中央病院"),
        (HOSPITAL, 3) => format!("{pref}立{stem}医療センター"),
        (HOSPITAL, 4) => format!("{city}立病院"),
        (HOSPITAL, 5) => format!("{stem}総合病院"),
        (HOSPITAL, _) => format!("{area}クリニック"),
        (_, 0 | 1) => "親戚宅".to_string(),
        (_, 2) => "知人宅".to_string(),
        (_, 3) => format!("車中泊（{city}総合運動公園駐車場）"),
        (_, 4) => format!("勤務先（{area}）"),
        (_, _) => format!("{stem}駅前のホテル"),
    };
    let mut location = LocationDraft {
        prefecture: place.pref.to_string(),
        municipality: place.muni.to_string(),
        place_name: name,
        category: category_label,
        ..LocationDraft::default()
    };
    if r.chance(3_500) {
        let mut town = String::from(place.town);
        if place.chome > 0 {
            let _ = write!(town, "{}丁目", r.range(1, place.chome));
        }
        location.town = town;
        if r.chance(5_000) {
            location.lot = if place.banchi {
                format!("{}番地", r.range(1, 2_400))
            } else {
                format!("{}番{}号", r.range(1, 30), r.range(1, 25))
            };
        }
    }
    location
}

fn body_location_draw(r: &mut Rng, person: &Person) -> String {
    if r.chance(500) {
        return String::new();
    }
    let place = near_place(r, person);
    let stem = city_stem(place.city);
    match r.below(5) {
        0 => format!("{}総合体育館（遺体安置所）", place.city),
        1 => format!("{stem}赤十字病院霊安室"),
        2 => format!("{stem}斎場"),
        3 => format!("{stem}警察署"),
        _ => format!("{}公民館（臨時遺体安置所）", place.area),
    }
}

/// ⑦: physical traits of the person, clothing and belongings of the day. Rich when a
/// basic field is missing; otherwise often empty on Form 1.
fn identifying(r: &mut Rng, person: &Person, form: FormKind, not_confirmable: bool) -> String {
    let t = &person.traits;
    let mut out = String::with_capacity(128);
    let rich = person.rich();
    let empty_share = match form {
        FormKind::Form1 => 4_500,
        FormKind::Form2 => 2_000,
    };
    if rich || !r.chance(empty_share) {
        // Which categories to give: everything when rich, else a few.
        let take = |r: &mut Rng, per_10k: u64| rich || r.chance(per_10k);
        if rich && !person.birth_known {
            let age = person.age();
            let year = year_of(person.birth);
            let out = part(&mut out);
            match r.below(4) {
                0 if age >= 10 => {
                    let _ = write!(out, "西暦{year}年生");
                }
                _ if age < 10 => {
                    let _ = write!(out, "推定{age}歳前後");
                }
                _ => {
                    let _ = write!(out, "推定{}歳代", age / 10 * 10);
                }
            }
        }
        if take(r, 3_500) {
            let _ = write!(part(&mut out), "身長{}cm{}", t.height, t.height_word);
        }
        if take(r, 3_000) {
            part(&mut out).push_str(t.build);
        }
        if take(r, 3_000) {
            part(&mut out).push_str(t.hair);
        }
        if let Some(glasses) = t.glasses
            && take(r, 6_000)
        {
            part(&mut out).push_str(glasses);
        }
        if let Some(mark) = t.mark
            && take(r, 5_000)
        {
            part(&mut out).push_str(mark);
        }
        if take(r, 4_000) || out.is_empty() {
            let out = part(&mut out);
            out.push_str(r.pick(&COLORS));
            out.push_str(r.pick(&UPPERS));
            if r.chance(5_000) {
                let lower = LOWERS[usize::from(person.body_sex == Sex::Female)];
                part(out).push_str(r.pick(&COLORS));
                out.push_str(r.pick(lower));
            }
        }
        if take(r, 2_500) {
            let out = part(&mut out);
            if r.chance(7_000) {
                out.push_str(r.pick(&COLORS));
                out.push_str(r.pick(&BAGS));
            } else {
                out.push_str(r.pick(&BELONGINGS));
            }
        }
    }
    if not_confirmable {
        part(&mut out).push_str("意思確認不可");
    }
    out
}

/// ⑫–⑭ answers of a person whose wishes could be asked.
fn consent(r: &mut Rng) -> ConsentDraft {
    let yes_no = |r: &mut Rng, weights: &[u32]| match r.weighted(weights) {
        0 => None,
        1 => Some(true),
        _ => Some(false),
    };
    let others = r.weighted(&[25, 40, 25, 10]);
    // Someone who agrees to answers to anyone does not refuse family or acquaintances
    // (that would be the figure 4-1 inconsistency, kept for the per-field case below).
    let (family, acquaintance): (&[u32], &[u32]) = if others == 1 {
        (&[75, 25, 0], &[60, 40, 0])
    } else {
        (&[70, 25, 5], &[55, 35, 10])
    };
    let mut draft = ConsentDraft {
        family: yes_no(r, family),
        acquaintance: yes_no(r, acquaintance),
        others: match others {
            0 => String::new(),
            1 => "同意する".to_string(),
            2 => "同意しない".to_string(),
            _ => "不明".to_string(),
        },
        ..ConsentDraft::default()
    };
    if r.chance(300) {
        // A per-field restriction, e.g. "do not tell anyone where I am".
        let key = r.pick(&["contact", "location", "address", "injury_state"]);
        let choice = match r.below(3) {
            0 => FieldChoice {
                others: Some(false),
                ..FieldChoice::default()
            },
            1 => FieldChoice {
                acquaintance: Some(false),
                others: Some(false),
                ..FieldChoice::default()
            },
            // Figure 4-1: refused to family although others may be told (a warning).
            _ => FieldChoice {
                family: Some(false),
                ..FieldChoice::default()
            },
        };
        draft.fields.insert(key.to_string(), choice);
    }
    draft
}

/// Form 1 ⑪.
fn contact(r: &mut Rng, person: &Person) -> String {
    if person.name.is_none() {
        return if r.chance(3_000) {
            "身元確認中（警察に照会済み）".to_string()
        } else {
            String::new()
        };
    }
    match r.weighted(&[50, 10, 10, 5, 25]) {
        0 => person.phone_text(),
        1 => {
            let mut text = person.phone_text();
            text.push_str(r.pick(&["（本人）", "（長男）", "（長女）", "（妻）", "（夫）"]));
            text
        }
        2 => r
            .pick(&[
                "携帯電話を紛失。避難所の受付で呼び出し可",
                "家族が迎えに来る予定",
                "勤務先に連絡済み",
            ])
            .to_string(),
        3 => match person.nationality {
            Nationality::Other(country) => format!("通訳（{}）が必要", country.language),
            _ => person.phone_text(),
        },
        _ => String::new(),
    }
}

/// Relationships of the bereaved who answers, by the deceased's age: (label, sex of the
/// relative, or `None` for the spouse; generation offset).
const RELATIVES_CHILD: [(&str, Option<Sex>, i8); 4] = [
    ("父", Some(Sex::Male), -1),
    ("母", Some(Sex::Female), -1),
    ("祖父", Some(Sex::Male), -2),
    ("祖母", Some(Sex::Female), -2),
];
const RELATIVES_ADULT: [(&str, Option<Sex>, i8); 7] = [
    ("配偶者", None, 0),
    ("父", Some(Sex::Male), -1),
    ("母", Some(Sex::Female), -1),
    ("兄", Some(Sex::Male), 0),
    ("姉", Some(Sex::Female), 0),
    ("弟", Some(Sex::Male), 0),
    ("妹", Some(Sex::Female), 0),
];
const RELATIVES_OLDER: [(&str, Option<Sex>, i8); 6] = [
    ("配偶者", None, 0),
    ("長男", Some(Sex::Male), 1),
    ("長女", Some(Sex::Female), 1),
    ("次男", Some(Sex::Male), 1),
    ("次女", Some(Sex::Female), 1),
    ("孫", Some(Sex::Female), 2),
];

/// Form 2 ⑪.
fn bereaved(r: &mut Rng, person: &Person) -> BereavedDraft {
    let Some(name) = &person.name else {
        return BereavedDraft::default();
    };
    if r.chance(1_000) {
        // Nobody could be asked yet: registered as 意思確認不可 (a warning).
        return BereavedDraft::default();
    }
    let consent = match r.weighted(&[30, 45, 25]) {
        0 => "同意する",
        1 => "同意しない",
        _ => "不明",
    };
    let age = person.age();
    let (label, sex, offset) = match age {
        ..18 => r.pick(&RELATIVES_CHILD),
        18..50 => r.pick(&RELATIVES_ADULT),
        _ => r.pick(&RELATIVES_OLDER),
    };
    let (relationship, sex) = match (label, sex, person.body_sex) {
        ("配偶者", _, Sex::Male) => ("妻", Sex::Female),
        ("配偶者", _, Sex::Female) => ("夫", Sex::Male),
        (label, Some(sex), _) => (label, sex),
        (label, None, _) => (label, Sex::Female),
    };
    let mut out = BereavedDraft {
        consent: consent.to_string(),
        relationship: relationship.to_string(),
        ..BereavedDraft::default()
    };
    if consent != "不明" || r.chance(5_000) {
        let generation = (person.generation() as i8 + offset).clamp(0, 2) as usize;
        let given = match person.nationality {
            Nationality::Other(country) => match sex {
                Sex::Male => r.pick(country.names.male),
                Sex::Female => r.pick(country.names.female),
            },
            _ => given_name(r, sex, generation),
        };
        let mut text = String::with_capacity(32);
        text.push_str(if name.writes_variant && !name.family_variant.is_empty() {
            name.family_variant
        } else {
            name.family.0
        });
        text.push('\u{3000}');
        text.push_str(given.0);
        out.name = text;
    }
    if r.chance(7_000) {
        out.contact = format!(
            "{}-{:04}-{:04}",
            r.pick(&MOBILE),
            r.below(10_000),
            r.below(10_000)
        );
    }
    if let Home::Japan(home) = &person.home {
        out.address = match r.weighted(&[40, 30, 30]) {
            0 => "同上".to_string(),
            1 => home.line(),
            _ => String::new(),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::canon;
    use crate::entry::validate;
    use crate::era;

    const RECORDS: u64 = 20_000;

    fn address_key(d: &EntryDraft) -> String {
        let a = &d.address;
        if a.foreign.is_empty() {
            canon::address_key(&a.prefecture, &a.municipality, &a.town, &a.lot)
        } else {
            canon::text_key(&a.foreign)
        }
    }

    #[test]
    fn same_seed_and_number_give_the_same_draft() {
        let a = Generator::new(42);
        let b = Generator::new(42);
        for n in (0..2_000).chain([1_000_003, 9_999_999, u64::MAX / 3]) {
            assert_eq!(a.draft(n), b.draft(n), "record {n}");
            assert_eq!(a.person(n), b.person(n), "record {n}");
        }
        // Any order, any batch: the same draft.
        let forward: Vec<_> = a.drafts(100..110).collect();
        let backward: Vec<_> = (100..110).rev().map(|n| b.draft(n)).collect();
        assert!(forward.iter().eq(backward.iter().rev()));
    }

    #[test]
    fn different_seeds_give_different_drafts() {
        let a = Generator::new(1);
        let b = Generator::new(2);
        let differ = (0..1_000).filter(|n| a.draft(*n) != b.draft(*n)).count();
        assert!(differ >= 995, "only {differ} of 1000 drafts differ");
    }

    #[test]
    fn every_draft_validates() {
        let generator = Generator::new(7);
        let now = reference_now();
        for n in 0..RECORDS {
            let draft = generator.draft(n);
            if let Err(errors) = validate(&draft, now) {
                let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!(
                    "record {n} is invalid: {}\n{draft:#?}",
                    messages.join(" / ")
                );
            }
        }
    }

    #[test]
    fn duplicates_re_describe_their_person() {
        let generator = Generator::new(11);
        let now = reference_now();
        let mut duplicates = 0;
        let mut variants = 0;
        let mut raw_differs = 0;
        for n in 0..RECORDS {
            let p = generator.person(n);
            assert!(p <= n);
            assert_eq!(
                generator.person(p),
                p,
                "record {n}: person {p} is not a first record"
            );
            if p == n {
                continue;
            }
            duplicates += 1;
            let (dup, first) = (generator.draft(n), generator.draft(p));
            assert_eq!(
                canon::name_key(&dup.name),
                canon::name_key(&first.name),
                "record {n}"
            );
            assert_eq!(
                canon::kana_key(&dup.furigana),
                canon::kana_key(&first.furigana)
            );
            assert_eq!(
                era::parse_date(&dup.birth_date).ok(),
                era::parse_date(&first.birth_date).ok(),
                "record {n}: {} / {}",
                dup.birth_date,
                first.birth_date
            );
            assert_eq!(dup.sex, first.sex, "record {n}");
            assert_eq!(
                address_key(&dup),
                address_key(&first),
                "record {n}: {:?} / {:?}",
                dup.address,
                first.address
            );
            assert_eq!(dup.nationality, first.nationality);
            assert_eq!(dup.form, first.form, "record {n}");
            let (later, earlier) = (
                validate(&dup, now).unwrap().parsed.written_at,
                validate(&first, now).unwrap().parsed.written_at,
            );
            assert!(
                later > earlier,
                "record {n}: {later} is not after {earlier}"
            );
            assert!(
                dup.location != first.location || dup.body_location != first.body_location,
                "record {n}: same location as record {p}"
            );
            match generator.kind(n) {
                Kind::Same(_) => {
                    assert_eq!(
                        (&dup.name, &dup.furigana, &dup.birth_date, &dup.address),
                        (
                            &first.name,
                            &first.furigana,
                            &first.birth_date,
                            &first.address
                        ),
                        "record {n}"
                    );
                    assert_eq!(dup.alias, first.alias);
                }
                Kind::Variant(_) => {
                    variants += 1;
                    if (&dup.name, &dup.furigana, &dup.birth_date, &dup.address)
                        != (
                            &first.name,
                            &first.furigana,
                            &first.birth_date,
                            &first.address,
                        )
                    {
                        raw_differs += 1;
                    }
                }
                Kind::New => unreachable!(),
            }
        }
        let share = f64::from(duplicates) / RECORDS as f64;
        assert!((0.03..=0.07).contains(&share), "duplicates: {share}");
        assert!(variants > 100, "variants: {variants}");
        assert!(
            raw_differs * 100 >= variants * 95,
            "only {raw_differs} of {variants} variants are written differently"
        );
    }

    #[test]
    fn every_birth_notation_reads_back() {
        let mut date = NaiveDate::from_ymd_opt(1930, 1, 1).unwrap();
        let last = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        while date <= last {
            for style in 0..BIRTH_STYLE_WEIGHTS.len() as u8 {
                let text = birth_text(date, style);
                assert_eq!(era::parse_date(&text), Ok(date), "{text}");
            }
            date = date.succ_opt().unwrap();
        }
    }

    #[test]
    fn every_address_notation_has_the_same_key() {
        let key =
            |a: &AddressDraft| canon::address_key(&a.prefecture, &a.municipality, &a.town, &a.lot);
        for place in &PLACES {
            for (ban, go, room) in [
                (1, 2, 0),
                (10, 20, 0),
                (21, 11, 305),
                (30, 9, 1208),
                (1_234, 0, 0),
            ] {
                for lotless in [false, true] {
                    let mut home = JapaneseHome {
                        place,
                        chome: place.chome.min(2),
                        ban: if place.banchi { ban } else { ban.min(30) },
                        go,
                        room: if place.banchi { 0 } else { room },
                        lotless,
                        style: 0,
                    };
                    if !place.banchi && home.go == 0 {
                        home.go = 1;
                    }
                    let expected = key(&home.render(0, false, false));
                    for style in home.styles() {
                        for (short, swap) in
                            [(false, false), (true, false), (false, true), (true, true)]
                        {
                            let address = home.render(*style, short, swap);
                            assert_eq!(key(&address), expected, "{address:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn names_and_birth_dates_are_mostly_distinct() {
        let generator = Generator::new(3);
        let pairs: HashSet<(String, String)> = generator
            .drafts(0..RECORDS)
            .map(|d| (d.name, d.birth_date))
            .collect();
        assert!(pairs.len() >= 18_000, "only {} distinct pairs", pairs.len());
    }

    /// The shares the module documentation promises, loosely.
    #[test]
    fn distribution() {
        let generator = Generator::new(5);
        let now = reference_now();
        let mut count = std::collections::BTreeMap::<&str, u32>::new();
        for draft in generator.drafts(0..RECORDS) {
            let entry = validate(&draft, now).expect("valid");
            let mut bump = |key, yes: bool| *count.entry(key).or_default() += u32::from(yes);
            bump("form2", draft.form == FormKind::Form2);
            bump("no name", draft.name.is_empty());
            bump(
                "variant kanji",
                draft
                    .name
                    .chars()
                    .any(|c| canon::variants::standard_form(c) != c),
            );
            bump("no birth date", draft.birth_date.is_empty());
            bump(
                "era birth date",
                draft.birth_date.contains('和') || draft.birth_date.contains('成'),
            );
            bump("no sex", draft.sex.is_empty());
            bump("foreign address", !draft.address.foreign.is_empty());
            bump(
                "no lot",
                !draft.address.town.is_empty() && draft.address.lot.is_empty(),
            );
            bump(
                "kanji lot",
                draft.address.lot.contains('番') && draft.address.lot.contains('一'),
            );
            bump("nationality other", draft.nationality.kind == "その他");
            bump("nationality unknown", draft.nationality.kind == "不明");
            bump("injured", draft.injury.status == "負傷");
            bump("identifying", !draft.identifying_info.is_empty());
            bump("not confirmable", entry.parsed.consent_not_confirmable);
            bump("warnings", !entry.warnings.is_empty());
        }
        let share = |key: &str| f64::from(count[key]) / RECORDS as f64;
        for (key, low, high) in [
            ("form2", 0.04, 0.08),
            ("no name", 0.002, 0.01),
            ("variant kanji", 0.015, 0.06),
            ("no birth date", 0.01, 0.035),
            ("era birth date", 0.08, 0.18),
            ("no sex", 0.005, 0.02),
            ("foreign address", 0.005, 0.02),
            ("no lot", 0.005, 0.02),
            ("nationality other", 0.02, 0.04),
            ("nationality unknown", 0.007, 0.02),
            ("injured", 0.2, 0.32),
        ] {
            let value = share(key);
            assert!((low..=high).contains(&value), "{key}: {value}");
        }
        eprintln!("{count:#?}");
    }
}
