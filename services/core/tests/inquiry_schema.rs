//! Keeps `schemas/json/inquiry.schema.json` and the inquiry examples in step with
//! `InquiryDraft` (R: Q-01), without a schema-validator crate:
//!
//! - every `examples/inquiry-*.json` deserializes and passes `inquiry::validate`;
//! - at every level, the properties the schema lists are exactly the keys serde writes
//!   for a draft, and a made-up property is refused (deny_unknown_fields);
//! - every `enum` value the schema lists is accepted by the node's validation, and a
//!   value outside the list is refused.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anpi_core::inquiry::{InquiryDraft, validate};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

fn json_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/json")
}

fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn schema() -> Value {
    read(&json_dir().join("inquiry.schema.json"))
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
}

fn example() -> Value {
    read(&json_dir().join("examples/inquiry-family.json"))
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn every_example_is_a_valid_inquiry() {
    let mut seen = 0;
    for entry in std::fs::read_dir(json_dir().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("inquiry-") {
            continue;
        }
        let draft: InquiryDraft = serde_json::from_value(read(&path))
            .unwrap_or_else(|e| panic!("{name} does not fit InquiryDraft: {e}"));
        if let Err(errors) = validate(&draft, now()) {
            panic!("{name} is refused: {errors:?}");
        }
        seen += 1;
    }
    assert!(seen >= 3, "the inquiry examples are missing");
}

#[test]
fn the_schema_lists_exactly_the_fields_of_the_draft() {
    let schema = schema();
    let written = serde_json::to_value(InquiryDraft::default()).unwrap();
    assert_eq!(keys(&schema["properties"]), keys(&written));
    for nested in ["inquirer", "identity", "target"] {
        assert_eq!(
            keys(&schema["properties"][nested]["properties"]),
            keys(&written[nested]),
            "{nested}"
        );
        assert_eq!(schema["properties"][nested]["additionalProperties"], false);
        let mut value = example();
        value[nested]["no_such_property"] = json!("x");
        assert!(
            serde_json::from_value::<InquiryDraft>(value).is_err(),
            "{nested}"
        );
    }
    assert_eq!(schema["additionalProperties"], false);
    let mut value = example();
    value["no_such_property"] = json!("x");
    assert!(serde_json::from_value::<InquiryDraft>(value).is_err());
}

/// Sets `pointer` of the family example to `text` and validates it.
fn accepts(pointer: &str, text: &str) -> bool {
    let mut value = example();
    *value.pointer_mut(pointer).unwrap() = json!(text);
    // Fields that other values require.
    match (pointer, text) {
        ("/reason", "other" | "その他") => value["reason_text"] = json!("勤務先として"),
        ("/inquirer/kind", "organisation") => {
            value["inquirer"]["representative"] = json!("代表 者")
        }
        ("/identity/method", "alternative") => {
            value["identity"]["document"] = json!("");
            value["identity"]["confirmed_with"] = json!("新宿区");
        }
        _ => {}
    }
    let draft: InquiryDraft = serde_json::from_value(value).unwrap();
    validate(&draft, now()).is_ok()
}

#[test]
fn every_listed_value_is_accepted_and_others_are_refused() {
    let schema = schema();
    for (pointer, schema_path) in [
        ("/channel", "/properties/channel/enum"),
        ("/reason", "/properties/reason/enum"),
        (
            "/inquirer/kind",
            "/properties/inquirer/properties/kind/enum",
        ),
        (
            "/identity/method",
            "/properties/identity/properties/method/enum",
        ),
        ("/target/sex", "/properties/target/properties/sex/enum"),
    ] {
        let values = schema.pointer(schema_path).unwrap().as_array().unwrap();
        for value in values {
            let text = value.as_str().unwrap();
            assert!(
                accepts(pointer, text),
                "{pointer} = {text:?} is listed but refused"
            );
        }
        assert!(
            !accepts(pointer, "不明な値"),
            "{pointer} accepts an unlisted value"
        );
    }
}
