//! Search over the private area and the shared dataset: what is indexed per record,
//! what a query means, and the reference matcher. R: S-01, S-02, S-03, S-04, P-04,
//! N-04, D-04.
//!
//! [`Indexed::of`] derives every stored search column of a record from its entry with
//! the canonical keys (N-04): exact keys for tolerant exact search (S-01), search keys
//! and their n-grams for partial search (S-02). A query is checked and folded once by
//! [`Query::parse`]; the node turns it into SQL over the stored columns, and
//! [`Query::matches`] is the same predicate in memory, the oracle its tests compare
//! the SQL against.
//!
//! Partial search uses an n-gram array under a GIN index (ADR 0006): each searchable
//! field contributes its distinct characters and character pairs, tagged with the
//! field (`n` name, `k` furigana, `a` address, `t` identifying information). A query
//! of one character looks up that character, a longer one every pair in it; the index
//! narrows the rows and the substring check on the search key decides.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::canon;
use crate::dedup::{self, DedupMode};
use crate::entry::{Entry, Nationality, Sex};
use crate::era;
use crate::validation::FieldError;

/// A searchable field with an n-gram tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Kana,
    Address,
    Text,
}

impl Field {
    fn tag(self) -> char {
        match self {
            Field::Name => 'n',
            Field::Kana => 'k',
            Field::Address => 'a',
            Field::Text => 't',
        }
    }
}

/// The distinct tagged n-grams of `key` (a [`canon::search_key`]): every character and
/// every pair of adjacent characters.
pub fn grams(field: Field, key: &str) -> BTreeSet<String> {
    let chars: Vec<char> = key.chars().collect();
    let tag = field.tag();
    let mut grams = BTreeSet::new();
    for (index, c) in chars.iter().enumerate() {
        let mut gram = String::with_capacity(9);
        gram.push(tag);
        gram.push(*c);
        if let Some(next) = chars.get(index + 1) {
            let mut pair = gram.clone();
            pair.push(*next);
            grams.insert(pair);
        }
        grams.insert(gram);
    }
    grams
}

/// The n-grams a stored record must hold to contain the query `key`: the character
/// itself for a one-character query, every adjacent pair for a longer one.
pub fn query_grams(field: Field, key: &str) -> BTreeSet<String> {
    let chars: Vec<char> = key.chars().collect();
    let tag = field.tag();
    if chars.len() == 1 {
        return BTreeSet::from([format!("{tag}{}", chars[0])]);
    }
    chars
        .windows(2)
        .map(|pair| format!("{tag}{}{}", pair[0], pair[1]))
        .collect()
}

/// Nationality as stored for filtering (S-01, P-04).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NationalityClass {
    Japan,
    Other,
    Unknown,
}

impl NationalityClass {
    pub fn as_str(self) -> &'static str {
        match self {
            NationalityClass::Japan => "japan",
            NationalityClass::Other => "other",
            NationalityClass::Unknown => "unknown",
        }
    }
}

/// Every search and organising column stored for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indexed {
    pub name_key: String,
    pub kana_key: String,
    pub birth_date: Option<NaiveDate>,
    /// `male` / `female`.
    pub sex: Option<&'static str>,
    pub address_key: String,
    pub nationality: NationalityClass,
    /// Canonical country name for `other`, empty otherwise.
    pub nationality_key: String,
    pub name_search: String,
    pub kana_search: String,
    pub address_search: String,
    pub text_search: String,
    pub grams: Vec<String>,
    /// 4-information keys (D-01) in both modes.
    pub dedup_key: Option<String>,
    pub dedup_key_strict: Option<String>,
    /// 2-information key (D-04).
    pub suspect_key: Option<String>,
}

fn sex_str(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "male",
        Sex::Female => "female",
    }
}

fn address_exact_key(entry: &Entry) -> String {
    let a = &entry.draft.address;
    if !a.foreign.trim().is_empty() {
        canon::text_key(&a.foreign)
    } else if [&a.prefecture, &a.municipality, &a.town, &a.lot]
        .iter()
        .all(|p| p.trim().is_empty())
    {
        String::new()
    } else {
        canon::address_key(&a.prefecture, &a.municipality, &a.town, &a.lot)
    }
}

impl Indexed {
    pub fn of(entry: &Entry) -> Indexed {
        let draft = &entry.draft;
        let parsed = &entry.parsed;
        let furigana = parsed.furigana.clone().unwrap_or_default();
        let name_search = canon::search_key(&draft.name);
        let kana_search = canon::search_key(&furigana);
        let address_search = canon::search_key(&entry.address_line());
        let text_search = canon::search_key(&parsed.identifying_info);
        let mut all = BTreeSet::new();
        for (field, key) in [
            (Field::Name, &name_search),
            (Field::Kana, &kana_search),
            (Field::Address, &address_search),
            (Field::Text, &text_search),
        ] {
            all.extend(grams(field, key));
        }
        let (nationality, nationality_key) = match &parsed.nationality {
            Nationality::Japan => (NationalityClass::Japan, String::new()),
            Nationality::Other(name) => (NationalityClass::Other, canon::kana_key(name)),
            Nationality::Unknown => (NationalityClass::Unknown, String::new()),
        };
        let name_key = canon::name_key(&draft.name);
        let address_key = address_exact_key(entry);
        Indexed {
            dedup_key: dedup::canonical_key_from(entry, &name_key, &address_key),
            suspect_key: dedup::suspect_key_from(entry, &name_key),
            name_key,
            kana_key: canon::kana_key(&furigana),
            birth_date: parsed.birth_date,
            sex: parsed.sex.map(sex_str),
            address_key,
            nationality,
            nationality_key,
            name_search,
            kana_search,
            address_search,
            text_search,
            grams: all.into_iter().collect(),
            dedup_key_strict: dedup::four_info_key(entry, DedupMode::Strict),
        }
    }
}

/// Which records a search looks at (S-03).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The node's own private area (専用領域).
    #[default]
    Private,
    /// The latest published national shared dataset (共用領域).
    Shared,
}

/// A search as typed (S-01, S-02): every criterion optional, at least one required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryDraft {
    pub name: String,
    pub kana: String,
    pub birth: String,
    pub sex: String,
    pub address: String,
    pub nationality: String,
    pub text: String,
    /// 曖昧検索: partial match on name, furigana, address and text.
    pub fuzzy: bool,
    /// Red Cross view (P-04): only non-Japanese or unknown nationality.
    pub red_cross: bool,
}

/// Nationality criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NationalityQuery {
    Japan,
    Unknown,
    /// A country, by its canonical key.
    Other(String),
}

/// A checked, folded query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Exact keys (`name_key`, …) or search keys when `fuzzy`.
    pub name: Option<String>,
    pub kana: Option<String>,
    pub address: Option<String>,
    /// Always partial: identifying information is free text.
    pub text: Option<String>,
    pub birth: Option<NaiveDate>,
    pub sex: Option<&'static str>,
    pub nationality: Option<NationalityQuery>,
    pub fuzzy: bool,
    pub red_cross: bool,
}

fn non_empty(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty()).then_some(text)
}

impl Query {
    /// Checks and folds a query; every problem names its field, in Japanese.
    pub fn parse(draft: &QueryDraft) -> Result<Query, Vec<FieldError>> {
        let mut errors = Vec::new();
        let fuzzy = draft.fuzzy;
        let mut folded = |field: &str, raw: &str, exact: fn(&str) -> String| {
            let raw = non_empty(raw)?;
            if raw.chars().count() > 200 || raw.chars().any(char::is_control) {
                errors.push(FieldError::new(
                    field,
                    "検索語は制御文字を含まない200文字以内で入力してください",
                ));
                return None;
            }
            let key = if fuzzy || field == "text" {
                canon::search_key(raw)
            } else {
                exact(raw)
            };
            if key.is_empty() {
                errors.push(FieldError::new(
                    field,
                    format!("検索語「{raw}」には検索に使える文字がありません"),
                ));
                return None;
            }
            Some(key)
        };
        let name = folded("name", &draft.name, canon::name_key);
        let kana = folded("kana", &draft.kana, canon::kana_key);
        let address = folded("address", &draft.address, |raw| {
            let parts = canon::split_address(raw);
            canon::address_key(
                &parts.prefecture,
                &parts.municipality,
                &parts.town,
                &parts.lot,
            )
        });
        let text = folded("text", &draft.text, canon::text_key);
        let birth = non_empty(&draft.birth).and_then(|raw| match era::parse_date(raw) {
            Ok(date) => Some(date),
            Err(error) => {
                errors.push(FieldError::new(
                    "birth",
                    format!("出生の年月日を読み取れません: {error}"),
                ));
                None
            }
        });
        let sex = non_empty(&draft.sex).and_then(|raw| match Sex::parse(raw) {
            Some(sex) => Some(sex_str(sex)),
            None => {
                errors.push(FieldError::new(
                    "sex",
                    format!("男女の別は「男」か「女」で指定してください（入力: {raw}）"),
                ));
                None
            }
        });
        let nationality = non_empty(&draft.nationality).map(|raw| match raw {
            "日本" | "japan" => NationalityQuery::Japan,
            "不明" | "unknown" => NationalityQuery::Unknown,
            other => NationalityQuery::Other(canon::kana_key(other)),
        });
        if errors.is_empty()
            && [&name, &kana, &address, &text].iter().all(|c| c.is_none())
            && birth.is_none()
            && sex.is_none()
            && nationality.is_none()
        {
            errors.push(FieldError::new(
                "query",
                "検索条件を1つ以上入力してください（氏名、フリガナ、出生の年月日、男女の別、住所、国籍、その他識別情報）",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Query {
            name,
            kana,
            address,
            text,
            birth,
            sex,
            nationality,
            fuzzy,
            red_cross: draft.red_cross,
        })
    }

    /// The n-grams a matching record must hold (partial criteria only).
    pub fn required_grams(&self) -> Vec<String> {
        let mut all = BTreeSet::new();
        if self.fuzzy {
            for (field, key) in [
                (Field::Name, &self.name),
                (Field::Kana, &self.kana),
                (Field::Address, &self.address),
            ] {
                if let Some(key) = key {
                    all.extend(query_grams(field, key));
                }
            }
        }
        if let Some(text) = &self.text {
            all.extend(query_grams(Field::Text, text));
        }
        all.into_iter().collect()
    }

    /// The reference predicate: whether a record with these columns is a hit.
    pub fn matches(&self, record: &Indexed) -> bool {
        let exact_or_partial = |query: &Option<String>, exact: &str, partial: &str| match query {
            None => true,
            Some(q) if self.fuzzy => partial.contains(q.as_str()),
            Some(q) => exact == q,
        };
        exact_or_partial(&self.name, &record.name_key, &record.name_search)
            && exact_or_partial(&self.kana, &record.kana_key, &record.kana_search)
            && exact_or_partial(&self.address, &record.address_key, &record.address_search)
            && self
                .text
                .as_ref()
                .is_none_or(|q| record.text_search.contains(q.as_str()))
            && self.birth.is_none_or(|b| record.birth_date == Some(b))
            && self.sex.is_none_or(|s| record.sex == Some(s))
            && self.nationality.as_ref().is_none_or(|n| match n {
                NationalityQuery::Japan => record.nationality == NationalityClass::Japan,
                NationalityQuery::Unknown => record.nationality == NationalityClass::Unknown,
                NationalityQuery::Other(key) => {
                    record.nationality == NationalityClass::Other && record.nationality_key == *key
                }
            })
            && (!self.red_cross || record.nationality != NationalityClass::Japan)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::entry::fixtures::evacuee;
    use crate::entry::{EntryDraft, validate};

    fn indexed(draft: &EntryDraft) -> Indexed {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
        Indexed::of(&validate(draft, now).expect("valid"))
    }

    fn query(edit: impl FnOnce(&mut QueryDraft)) -> Query {
        let mut draft = QueryDraft::default();
        edit(&mut draft);
        Query::parse(&draft).expect("a valid query")
    }

    /// The record must hold every gram the query needs whenever it matches.
    fn assert_hit(q: &Query, record: &Indexed) {
        assert!(q.matches(record), "{q:?} should match {record:?}");
        for gram in q.required_grams() {
            assert!(record.grams.contains(&gram), "missing gram {gram}");
        }
    }

    #[test]
    fn guideline_search_examples() {
        let taro = indexed(&evacuee());
        // 曖昧検索: `太郎` finds `消防 太郎`.
        assert_hit(
            &query(|q| {
                q.name = "太郎".into();
                q.fuzzy = true;
            }),
            &taro,
        );
        // Tolerant exact search: `消防太郎` finds `消防 太郎`.
        assert_hit(&query(|q| q.name = "消防太郎".into()), &taro);
        assert!(!query(|q| q.name = "太郎".into()).matches(&taro));
        // `メガネ` finds `赤いメガネをかけている`.
        let mut glasses = evacuee();
        glasses.identifying_info = "赤いメガネをかけている".into();
        assert_hit(&query(|q| q.text = "メガネ".into()), &indexed(&glasses));
        assert_hit(&query(|q| q.text = "めがね".into()), &indexed(&glasses));
        // `ショウボウ` finds `しょうぼう`.
        let mut hiragana = evacuee();
        hiragana.name = "しょうぼう　たろう".into();
        let hiragana = indexed(&hiragana);
        assert_hit(
            &query(|q| {
                q.name = "ショウボウ".into();
                q.fuzzy = true;
            }),
            &hiragana,
        );
        assert_hit(
            &query(|q| {
                q.kana = "しょうぼう".into();
                q.fuzzy = true;
            }),
            &taro,
        );
    }

    #[test]
    fn stored_dedup_keys_equal_the_dedup_functions() {
        let generator = crate::entry::synthetic::Generator::new(7);
        for n in 0..2_000 {
            let entry = validate(
                &generator.draft(n),
                crate::entry::synthetic::reference_now(),
            )
            .expect("valid");
            let x = Indexed::of(&entry);
            assert_eq!(
                x.dedup_key,
                dedup::four_info_key(&entry, DedupMode::Canonical)
            );
            assert_eq!(
                x.dedup_key_strict,
                dedup::four_info_key(&entry, DedupMode::Strict)
            );
            assert_eq!(x.suspect_key, dedup::suspect_key(&entry));
        }
    }

    #[test]
    fn grams_cover_one_two_and_more_characters() {
        let taro = indexed(&evacuee());
        for text in ["郎", "太郎", "防太郎", "消防太郎"] {
            assert_hit(
                &query(|q| {
                    q.name = text.into();
                    q.fuzzy = true;
                }),
                &taro,
            );
        }
        assert!(
            !query(|q| {
                q.name = "次郎".into();
                q.fuzzy = true;
            })
            .matches(&taro)
        );
        assert_eq!(
            query_grams(Field::Name, "消防太郎"),
            BTreeSet::from(["n消防".into(), "n防太".into(), "n太郎".into()])
        );
        assert_eq!(
            query_grams(Field::Text, "郎"),
            BTreeSet::from(["t郎".into()])
        );
    }

    #[test]
    fn exact_criteria() {
        let taro = indexed(&evacuee());
        assert!(query(|q| q.birth = "昭和56年11月25日".into()).matches(&taro));
        assert!(!query(|q| q.birth = "1981-11-26".into()).matches(&taro));
        assert!(query(|q| q.sex = "男".into()).matches(&taro));
        assert!(!query(|q| q.sex = "女".into()).matches(&taro));
        assert!(query(|q| q.address = "東京都千代田区霞ヶ関二丁目1-2".into()).matches(&taro));
        assert!(!query(|q| q.address = "東京都千代田区霞ヶ関2丁目".into()).matches(&taro));
        assert!(query(|q| q.nationality = "日本".into()).matches(&taro));
        assert!(!query(|q| q.nationality = "アメリカ".into()).matches(&taro));
    }

    #[test]
    fn red_cross_sees_only_non_japanese_or_unknown() {
        let japanese = indexed(&evacuee());
        let mut american = evacuee();
        american.nationality.kind = "その他".into();
        american.nationality.other = "アメリカ".into();
        let american = indexed(&american);
        let mut unknown = evacuee();
        unknown.nationality.kind = "不明".into();
        unknown.identifying_info = "身長170cm程度".into();
        let unknown = indexed(&unknown);
        let q = query(|q| {
            q.name = "消防太郎".into();
            q.red_cross = true;
        });
        assert!(!q.matches(&japanese));
        assert!(q.matches(&american));
        assert!(q.matches(&unknown));
        assert!(query(|q| q.nationality = "ｱﾒﾘｶ".into()).matches(&american));
    }

    #[test]
    fn bad_queries_name_their_field() {
        let errors = Query::parse(&QueryDraft::default()).unwrap_err();
        assert_eq!(errors[0].field, "query");
        let errors = Query::parse(&QueryDraft {
            birth: "昭和99年".into(),
            sex: "不明".into(),
            name: "、、".into(),
            fuzzy: true,
            ..QueryDraft::default()
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "birth", "sex"]);
    }

    mod props {
        use proptest::prelude::*;
        use proptest::test_runner::RngSeed;

        use super::super::*;

        const ALPHABET: &str = "あいうえおがぎっゃアイウエオガヴッャーｰ・ 　々佐木高髙崎﨑辺邊霞関一二三丁目番地号の-－0123０１ａＢｶﾞﾊﾟ、。(（メガネ太郎花子消防";

        fn text() -> impl Strategy<Value = String> {
            let alphabet: Vec<char> = ALPHABET.chars().collect();
            proptest::collection::vec(proptest::sample::select(alphabet), 0..20)
                .prop_map(|chars| chars.into_iter().collect())
        }

        fn config() -> ProptestConfig {
            ProptestConfig {
                cases: 512,
                rng_seed: RngSeed::Fixed(0x7365_6172),
                failure_persistence: None,
                ..ProptestConfig::default()
            }
        }

        proptest! {
            #![proptest_config(config())]

            /// Any input is either a query or field errors; never a panic.
            #[test]
            fn parsing_any_query_never_panics(
                name in any::<String>(), kana in text(), birth in any::<String>(),
                sex in any::<String>(), address in text(), nationality in any::<String>(),
                body in any::<String>(), fuzzy in any::<bool>(), red_cross in any::<bool>(),
            ) {
                let draft = QueryDraft { name, kana, birth, sex, address, nationality, text: body, fuzzy, red_cross };
                if let Err(errors) = Query::parse(&draft) {
                    prop_assert!(!errors.is_empty());
                    prop_assert!(errors.iter().all(|e| !e.field.is_empty() && !e.message.is_empty()));
                }
            }

            /// A piece of a stored text is found in it: its folded key is a substring
            /// of the text's, and every gram the query needs is among the text's grams
            /// (so the GIN index never hides a hit).
            #[test]
            fn a_piece_of_a_text_is_always_found(text in text(), start in 0usize..20, len in 1usize..6) {
                let chars: Vec<char> = text.chars().collect();
                prop_assume!(start < chars.len());
                let piece: String = chars[start..(start + len).min(chars.len())].iter().collect();
                let stored = canon::search_key(&text);
                let key = canon::search_key(&piece);
                prop_assume!(!key.is_empty());
                prop_assert!(stored.contains(&key), "{stored} / {key}");
                let have = grams(Field::Text, &stored);
                for gram in query_grams(Field::Text, &key) {
                    prop_assert!(have.contains(&gram), "{gram} not in {have:?}");
                }
            }
        }
    }
}
