//! Reading an entry file: one JSON entry or an array of entries
//! (`schemas/json/entry.schema.json`). Each entry's problems name its number.

use anpi_core::entry::EntryDraft;
use serde::Deserialize;

/// One entry of a file: its 1-based number, and the draft or why it could not be read.
pub type Numbered = (usize, Result<EntryDraft, String>);

/// Entries parsed from a file, in file order.
pub fn parse(text: &str) -> Result<Vec<Numbered>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: serde_json::Value = serde_json::from_str(text).map_err(|error| {
        format!(
            "JSONとして読み取れません（{}行目 {}文字目）: {error}",
            error.line(),
            error.column()
        )
    })?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        object @ serde_json::Value::Object(_) => vec![object],
        _ => {
            return Err(
                "ファイルには安否情報のオブジェクト1件か、その配列を記載してください".into(),
            );
        }
    };
    if items.is_empty() {
        return Err("ファイルに安否情報が1件もありません".into());
    }
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let parsed = EntryDraft::deserialize(&item)
                .map_err(|error| format!("項目の形式が正しくありません: {error}"));
            (index + 1, parsed)
        })
        .collect())
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
