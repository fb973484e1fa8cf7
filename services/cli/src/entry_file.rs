//! Reading an entry file: one JSON entry or an array of entries
//! (`schemas/json/entry.schema.json`). Each entry's problems name its number, and each
//! problem its field: the JSON pointer in the file (`/0/consent/family`) and the label
//! on the form (親族・同居者への回答), in Japanese. R: E-03, E-15 (issue 13 item 5).
//!
//! Three passes, so that nothing in the file is silently dropped or left to the node's
//! transport to refuse:
//! 1. syntax, finding duplicate keys while the text is read (serde_json alone keeps the
//!    last of two equal keys without a word);
//! 2. shape: every key known, every value of the JSON type the schema declares; the
//!    schema itself (compiled in) is the table, so the CLI and the format cannot drift;
//! 3. text: `anpi_core::entry::text::check`, the node's own length and character rules,
//!    so an entry the node would refuse for its size or characters is never sent.

use std::fmt;
use std::sync::OnceLock;

use anpi_core::entry::{EntryDraft, text};
use anpi_core::validation::label_of;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// One entry of a file: its 1-based number, and the draft or why it could not be read.
pub type Numbered = (usize, Result<EntryDraft, String>);

/// The largest entry file read (about 30,000 ordinary entries); larger files are to be
/// split.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// The entry format, as `anpi entry add` reads it.
const SCHEMA: &str = include_str!("../../../schemas/json/entry.schema.json");

/// What an export file (`anpi entry export`) says of its incident (T-04): entries of a
/// drill are never registered under an actual incident, nor the other way round.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExportMeta {
    pub incident_id: String,
    pub incident_name: String,
    /// `actual` or `drill`.
    pub mode: String,
    pub jurisdiction: String,
    pub exported_at: String,
}

/// An entry file: its entries and, for an export, what it was exported from.
#[derive(Debug)]
pub struct EntryFile {
    pub export: Option<ExportMeta>,
    pub entries: Vec<Numbered>,
}

/// Entries parsed from a file, in file order.
#[cfg(test)]
pub fn parse(text: &str) -> Result<Vec<Numbered>, String> {
    parse_file(text).map(|file| file.entries)
}

/// Reads an entry file: one entry, an array of entries, or an export
/// (`{"export": {...}, "entries": [...]}`).
pub fn parse_file(text: &str) -> Result<EntryFile, String> {
    if text.len() > MAX_FILE_BYTES {
        return Err(format!(
            "ファイルが大きすぎます（{}バイト）。{}MiB以下のファイルに分けてください",
            text.len(),
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let syntax = |error: serde_json::Error| {
        format!(
            "JSONとして読み取れません（{}行目 {}文字目）: {error}",
            error.line(),
            error.column()
        )
    };
    let mut duplicates = Vec::new();
    let mut reader = serde_json::Deserializer::from_str(text);
    let value = Tree {
        path: Vec::new(),
        duplicates: &mut duplicates,
    }
    .deserialize(&mut reader)
    .map_err(syntax)?;
    reader.end().map_err(syntax)?;

    let (export, value) = match value {
        Value::Object(mut object) if object.contains_key("export") => {
            let meta = object.remove("export").unwrap_or_default();
            let entries = object.remove("entries");
            if let Some(extra) = object.keys().next() {
                return Err(format!(
                    "書き出しファイルには export と entries だけを記載してください（「{}」は使えません）",
                    printable(extra)
                ));
            }
            let meta: ExportMeta = serde_json::from_value(meta).map_err(|e| {
                format!("書き出しファイルの export を読み取れません（/export）: {e}")
            })?;
            if !matches!(meta.mode.as_str(), "actual" | "drill") {
                return Err(format!(
                    "書き出しファイルの事案の種別（/export/mode）は actual か drill です（入力: {}）",
                    printable(&meta.mode)
                ));
            }
            // Duplicate keys count in the entries as in any file; in `export` they
            // are refused outright.
            let mut inner = Vec::new();
            for path in duplicates.drain(..) {
                match path.split_first() {
                    Some((first, rest)) if first == "entries" => inner.push(rest.to_vec()),
                    _ => {
                        return Err(format!(
                            "書き出しファイルの「{}」が2回以上記載されています（/{}）",
                            printable(path.last().map(String::as_str).unwrap_or_default()),
                            path.join("/")
                        ));
                    }
                }
            }
            duplicates = inner;
            match entries {
                Some(array @ Value::Array(_)) => (Some(meta), array),
                _ => {
                    return Err(
                        "書き出しファイルには安否情報の配列（/entries）を記載してください".into(),
                    );
                }
            }
        }
        other => (None, other),
    };
    let (items, in_array) = match value {
        Value::Array(items) => (items, true),
        object @ Value::Object(_) => (vec![object], false),
        _ => {
            return Err(
                "ファイルには安否情報のオブジェクト1件か、その配列を記載してください".into(),
            );
        }
    };
    if items.is_empty() {
        return Err("ファイルに安否情報が1件もありません".into());
    }
    let shape = Shape::embedded();
    let entries = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let root = if export.is_some() { "/entries" } else { "" };
            let prefix = if in_array {
                format!("{root}/{index}")
            } else {
                String::new()
            };
            let mut problems: Vec<Problem> = duplicates
                .iter()
                .filter_map(|path| {
                    let fields = if in_array {
                        (path.first()? == &index.to_string()).then(|| path[1..].to_vec())?
                    } else {
                        path.clone()
                    };
                    let key = printable(fields.last()?);
                    Some(Problem::new(
                        &prefix,
                        fields,
                        format!(
                            "「{key}」が2回以上記載されています。どちらを登録するか決められないため、1回だけ記載してください"
                        ),
                    ))
                })
                .collect();
            let mut text_problems = Vec::new();
            shape.entry(&item, &prefix, &mut problems, &mut text_problems);
            // A well-shaped entry is read and checked whole; otherwise every problem found
            // is reported at once, the text of the fields that could be read included.
            let result = if problems.is_empty() {
                read_draft(&item, &prefix)
            } else {
                problems.extend(text_problems);
                Err(problems)
            };
            (index + 1, result.map_err(|problems| describe(&problems)))
        })
        .collect();
    Ok(EntryFile { export, entries })
}

/// The draft of a well-shaped entry, checked against the node's text rules.
fn read_draft(item: &Value, prefix: &str) -> Result<EntryDraft, Vec<Problem>> {
    let draft = EntryDraft::deserialize(item).map_err(|error| {
        vec![Problem::new(
            prefix,
            Vec::new(),
            format!("項目の形式が正しくありません: {error}"),
        )]
    })?;
    let refused = text::check(&draft);
    if refused.is_empty() {
        return Ok(draft);
    }
    Err(refused
        .into_iter()
        .map(|error| {
            let fields = match error.field.as_str() {
                "entry" => Vec::new(),
                path => path.split('.').map(str::to_string).collect(),
            };
            Problem {
                pointer: pointer(prefix, &fields),
                label: error.label,
                message: error.message,
            }
        })
        .collect())
}

/// One problem with one field of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    /// JSON pointer into the file (RFC 6901), e.g. `/0/consent/family`; empty for a
    /// file of one entry, when the problem is the entry as a whole.
    pointer: String,
    /// The field's label on the form.
    label: String,
    message: String,
}

impl Problem {
    /// A problem at `fields` (keys below the entry) of the entry at `prefix`.
    fn new(prefix: &str, fields: Vec<String>, message: String) -> Self {
        Problem {
            pointer: pointer(prefix, &fields),
            label: label(&fields).to_string(),
            message,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "{}: {}", self.label, self.message)
        } else {
            write!(f, "{}（{}）: {}", self.label, self.pointer, self.message)
        }
    }
}

/// Every problem of one entry, as one message (the same form as the node's).
fn describe(problems: &[Problem]) -> String {
    let mut text = format!(
        "入力エラー: 入力内容に誤りがあります（{}件、送信していません）。",
        problems.len()
    );
    for problem in problems {
        text.push_str("\n- ");
        text.push_str(&problem.to_string());
    }
    text
}

/// The JSON pointer of `fields` below the entry at `prefix`.
fn pointer(prefix: &str, fields: &[String]) -> String {
    let mut text = prefix.to_string();
    for field in fields {
        text.push('/');
        text.push_str(&field.replace('~', "~0").replace('/', "~1"));
    }
    text
}

/// The form label of the field at `fields`, or of the nearest enclosing field that has
/// one (an unknown key is named by the object it is in).
fn label(fields: &[String]) -> &'static str {
    (1..=fields.len())
        .rev()
        .map(|n| label_of(&fields[..n].join(".")))
        .find(|label| *label != "項目")
        .unwrap_or("安否情報")
}

/// `text` as a message may quote it (`anpi_core::text::printable`), cut to 40
/// characters.
fn printable(text: &str) -> String {
    let mut shown: String = anpi_core::text::printable(&text.chars().take(40).collect::<String>());
    if text.chars().nth(40).is_some() {
        shown.push('…');
    }
    shown
}

/// Builds the JSON value while reading, noting the path of every key that appears a
/// second time in its object (the first value is kept; the entry is refused anyway).
struct Tree<'a> {
    path: Vec<String>,
    duplicates: &'a mut Vec<Vec<String>>,
}

impl<'de> DeserializeSeed<'de> for Tree<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Tree<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let Tree { path, duplicates } = self;
        let mut values = Vec::new();
        loop {
            let mut here = path.clone();
            here.push(values.len().to_string());
            let seed = Tree {
                path: here,
                duplicates: &mut *duplicates,
            };
            match items.next_element_seed(seed)? {
                Some(value) => values.push(value),
                None => return Ok(Value::Array(values)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        let Tree { path, duplicates } = self;
        let mut object = Map::new();
        while let Some(key) = entries.next_key::<String>()? {
            let mut here = path.clone();
            here.push(key.clone());
            let value = entries.next_value_seed(Tree {
                path: here.clone(),
                duplicates: &mut *duplicates,
            })?;
            if object.contains_key(&key) {
                duplicates.push(here);
            } else {
                object.insert(key, value);
            }
        }
        Ok(Value::Object(object))
    }
}

/// The entry format's definitions, read from the schema: which keys each object has
/// and which JSON types each property takes. Walking an entry finds shape problems
/// (`problems`) and, for the text values met on the way, the node's text problems
/// (`text`).
struct Shape {
    defs: &'static Map<String, Value>,
}

impl Shape {
    fn embedded() -> Shape {
        static SCHEMA_VALUE: OnceLock<Value> = OnceLock::new();
        let schema = SCHEMA_VALUE
            .get_or_init(|| serde_json::from_str(SCHEMA).expect("the entry schema is JSON"));
        Shape {
            defs: schema["$defs"]
                .as_object()
                .expect("the entry schema has $defs"),
        }
    }

    /// One item of the file (an entry object).
    fn entry(
        &self,
        item: &Value,
        prefix: &str,
        problems: &mut Vec<Problem>,
        text: &mut Vec<Problem>,
    ) {
        if !item.is_object() {
            problems.push(Problem::new(
                prefix,
                Vec::new(),
                format!(
                    "安否情報はオブジェクト（{{…}}）で記載してください（入力: {}）",
                    given(item)
                ),
            ));
            return;
        }
        self.object("entry", item, prefix, &[], problems, text);
    }

    fn object(
        &self,
        def: &str,
        value: &Value,
        prefix: &str,
        at: &[String],
        problems: &mut Vec<Problem>,
        text: &mut Vec<Problem>,
    ) {
        let Some(map) = value.as_object() else {
            problems.push(wrong_type(prefix, at, &["object"], value));
            return;
        };
        let empty = Map::new();
        let known = self.defs[def]["properties"].as_object().unwrap_or(&empty);
        for (key, inner) in map {
            let here: Vec<String> = at.iter().cloned().chain([key.clone()]).collect();
            match known.get(key) {
                Some(property) => self.property(property, inner, prefix, &here, problems, text),
                None => {
                    let names: Vec<&str> = known.keys().map(String::as_str).collect();
                    problems.push(Problem::new(
                        prefix,
                        here,
                        format!(
                            "「{}」という項目はありません（ここで使える項目: {}）",
                            printable(key),
                            names.join(", ")
                        ),
                    ));
                }
            }
        }
    }

    fn property(
        &self,
        property: &Value,
        value: &Value,
        prefix: &str,
        at: &[String],
        problems: &mut Vec<Problem>,
        text: &mut Vec<Problem>,
    ) {
        if let Some(def) = reference(property) {
            return self.object(def, value, prefix, at, problems, text);
        }
        if let Some(def) = property.get("additionalProperties").and_then(reference) {
            // A map (consent.fields): its keys are the node's to judge, its values are
            // objects of `def`.
            let Some(map) = value.as_object() else {
                problems.push(wrong_type(prefix, at, &["object"], value));
                return;
            };
            for (key, inner) in map {
                let here: Vec<String> = at.iter().cloned().chain([key.clone()]).collect();
                self.object(def, inner, prefix, &here, problems, text);
            }
            return;
        }
        let declared: Vec<&str> = match &property["type"] {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => return,
        };
        if !declared.contains(&json_type(value)) {
            problems.push(wrong_type(prefix, at, &declared, value));
            return;
        }
        let field = at.join(".");
        if let (Some(value), Some((kind, max_chars))) = (value.as_str(), text::limit(&field)) {
            text.extend(
                anpi_core::text::check_value(&field, kind, max_chars, value)
                    .into_iter()
                    .map(|error| Problem {
                        pointer: pointer(prefix, at),
                        label: error.label,
                        message: error.message,
                    }),
            );
        }
    }
}

/// The definition a `{"$ref": "#/$defs/NAME"}` names.
fn reference(property: &Value) -> Option<&str> {
    property.get("$ref")?.as_str()?.strip_prefix("#/$defs/")
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A value as the message shows it: its JSON type in Japanese and a short excerpt.
fn given(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => format!("数値 {number}"),
        Value::String(text) => format!("文字列 \"{}\"", printable(text)),
        Value::Array(_) => "配列 […]".to_string(),
        Value::Object(_) => "オブジェクト {…}".to_string(),
    }
}

fn wrong_type(prefix: &str, at: &[String], declared: &[&str], value: &Value) -> Problem {
    // null (the same as leaving the key out) is not worth proposing.
    let wanted: Vec<&str> = declared
        .iter()
        .filter(|kind| **kind != "null" || declared.len() == 1)
        .map(|kind| match *kind {
            "string" => "文字列（\"…\"）",
            "boolean" => "「true」または「false」",
            "null" => "null",
            "object" => "オブジェクト（{…}）",
            "array" => "配列（[…]）",
            _ => "数値",
        })
        .collect();
    let wanted = match wanted.as_slice() {
        [one] => one.to_string(),
        many => format!("{}のいずれか", many.join("、")),
    };
    Problem::new(
        prefix,
        at.to_vec(),
        format!("{wanted}で入力してください（入力: {}）", given(value)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_or_many() {
        let one = parse(r#"{"form":"form1","name":"消防　太郎"}"#).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].1.as_ref().unwrap().name, "消防　太郎");
        let many = parse("\u{feff}[{\"form\":\"form2\"},{\"nmae\":\"x\"}]").unwrap();
        assert_eq!(many.len(), 2);
        assert!(many[1].1.as_ref().unwrap_err().contains("nmae"));
    }

    // R: T-04 — an export says which incident and mode it holds; its entries are read
    // as any file's, duplicate keys named under /entries.
    #[test]
    fn an_export_file_carries_its_incident_and_mode() {
        let entry = serde_json::json!({"form": "form1", "name": "消防　太郎", "sex": "男"});
        let file = serde_json::json!({
            "export": {
                "incident_id": "0190aaaa-0000-7000-8000-000000000001",
                "incident_name": "訓練：首都直下地震",
                "mode": "drill",
                "jurisdiction": "131016",
                "exported_at": "2026-12-04T00:00:00Z"
            },
            "entries": [entry.clone(), entry]
        });
        let parsed = parse_file(&file.to_string()).unwrap();
        assert_eq!(parsed.export.unwrap().mode, "drill");
        assert_eq!(parsed.entries.len(), 2);
        assert!(parsed.entries.iter().all(|(_, e)| e.is_ok()));

        let text = file
            .to_string()
            .replacen("\"sex\":", "\"sex\":\"女\",\"sex\":", 1);
        let parsed = parse_file(&text).unwrap();
        let problem = parsed.entries[0].1.as_ref().unwrap_err();
        assert!(problem.contains("/entries/0/sex"), "{problem}");

        let mut bad = file.clone();
        bad["export"]["mode"] = "exercise".into();
        assert!(
            parse_file(&bad.to_string())
                .unwrap_err()
                .contains("/export/mode")
        );
        let mut extra = file;
        extra["more"] = 1.into();
        assert!(parse_file(&extra.to_string()).is_err());
    }

    /// The one problem of entry `index` (0-based) of `text`.
    fn refused(text: &str, index: usize) -> String {
        let entries = parse(text).expect("the file is read");
        entries[index].1.clone().expect_err("the entry is refused")
    }

    #[test]
    fn a_duplicate_key_is_refused_naming_the_field() {
        // serde_json keeps the last of two equal keys; the clerk would never know which.
        let error = refused(r#"[{"form":"form1","name":"消防　太郎","name":"別人"}]"#, 0);
        assert!(
            error.contains("/0/name") && error.contains("氏名"),
            "{error}"
        );
        assert!(error.contains("2回"), "{error}");
        let error = refused(
            r#"{"consent":{"family":false,"family":true},"address":{"lot":"1","lot":"2"}}"#,
            0,
        );
        assert!(error.contains("/consent/family"), "{error}");
        assert!(
            error.contains("/address/lot") && error.contains("住所（地番）"),
            "{error}"
        );
        // Only the entry with the duplicate is refused.
        let entries = parse(r#"[{"name":"a"},{"name":"b","sex":"男","sex":"女"}]"#).unwrap();
        assert!(entries[0].1.is_ok());
        assert!(entries[1].1.as_ref().unwrap_err().contains("/1/sex"));
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_naming_the_field() {
        let error = refused(r#"[{"consent":{"family":"yes"}}]"#, 0);
        assert!(
            error.contains("/0/consent/family") && error.contains("親族・同居者への回答"),
            "{error}"
        );
        assert!(error.contains("「true」または「false」"), "{error}");
        let error = refused(r#"{"name":123}"#, 0);
        assert!(error.contains("/name") && error.contains("氏名"), "{error}");
        assert!(error.contains("文字列") && error.contains("123"), "{error}");
        let error = refused(r#"{"address":"東京都千代田区"}"#, 0);
        assert!(
            error.contains("/address") && error.contains("住所"),
            "{error}"
        );
        let error = refused(r#"{"consent":{"fields":{"contact":{"others":"no"}}}}"#, 0);
        assert!(error.contains("/consent/fields/contact/others"), "{error}");
        let error = refused(r#"{"address":{"prefectur":"東京都"}}"#, 0);
        assert!(
            error.contains("/address/prefectur") && error.contains("prefecture"),
            "{error}"
        );
        let error = refused(r#"[{"name":"a"}, 7]"#, 1);
        assert!(error.contains("/1"), "{error}");
    }

    #[test]
    fn text_the_node_would_refuse_is_refused_before_sending() {
        // A 10 MB field is a field error here, not a transport error from the node.
        let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(10 * 1024 * 1024));
        let error = refused(&big, 0);
        assert!(
            error.contains("/name") && error.contains("100文字以内"),
            "{error}"
        );
        for name in [r"消防\n太郎", r"消防\u202e太郎", r"消防\u200b太郎"] {
            let error = refused(&format!(r#"[{{"name":"{name}"}}]"#), 0);
            assert!(
                error.contains("/0/name") && error.contains("氏名"),
                "{name}: {error}"
            );
        }
        // Line feeds are fine in free text.
        let entries = parse(r#"{"remarks":"一行目\n二行目"}"#).unwrap();
        assert!(entries[0].1.is_ok(), "{:?}", entries[0].1);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let error = parse("[\n{\"form\": }\n]").unwrap_err();
        assert!(error.contains("2行目"), "{error}");
        assert!(parse("[]").is_err());
        assert!(parse("42").is_err());
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the file holds, reading it never panics and every entry is either a
        /// draft or a reason.
        #[test]
        fn reading_any_file_never_panics(text in prop_oneof![
            any::<String>(),
            "\\[?\\{\"(form|name|birth_date|address|nmae)\": ?(\"[^\"]{0,8}\"|\\{\\}|\\[\\]|1|true|null)\\}\\]?",
        ]) {
            if let Ok(entries) = super::parse(&text) {
                prop_assert!(!entries.is_empty());
                for (index, (number, _)) in entries.iter().enumerate() {
                    prop_assert_eq!(*number, index + 1);
                }
            }
        }
    }
}
