//! Keeps `schemas/json/entry.schema.json` in step with `EntryDraft`, without a
//! schema-validator crate: the schema is read as plain JSON and compared with what serde
//! (and, for the closed value lists, the node's validation) actually accepts.
//!
//! - every example file deserializes into `EntryDraft` (one entry or an array);
//! - every property the schema lists is accepted by serde with the JSON types the schema
//!   declares, and refused with the types it does not declare; a made-up property is
//!   refused at every level (deny_unknown_fields);
//! - every key of a fully populated `EntryDraft`, serialized, is listed by the schema,
//!   and every property the schema lists appears in it;
//! - the keys allowed in `consent.fields` are exactly `ConsentField::ALL`;
//! - every `enum` value is accepted by the node, and a value outside the list is refused
//!   (that the lists are complete is checked only where the code exposes its list:
//!   `Severity::LABELS`);
//! - every free-form text property states the node's limit (`maxLength`) and characters
//!   (`pattern`, built from `anpi_core::text::refused_ranges`), and the node refuses
//!   what the pattern excludes, naming the field; `consent.fields` allows as many
//!   choices as the node (`maxProperties`);
//! - the valid examples are accepted by the node and the invalid ones refused.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use anpi_core::consent::{ConsentDraft, ConsentField, FieldChoice};
use anpi_core::entry::text;
use anpi_core::entry::{
    AddressDraft, BereavedDraft, DeathDraft, EntryDraft, FormKind, InjuryDraft, LocationDraft,
    NationalityDraft, Severity, validate,
};
use anpi_core::text::{TextKind, refused_ranges};
use chrono::{TimeZone, Utc};
use serde_json::{Map, Value, json};

/// The definitions the schema must have (the entry and every nested object).
const DEFINITIONS: [&str; 9] = [
    "entry",
    "address",
    "nationality",
    "injury",
    "location",
    "consent",
    "fieldChoice",
    "death",
    "bereaved",
];

/// A property name that no definition has.
const MADE_UP: &str = "no_such_property";

fn json_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/json")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

fn schema() -> Value {
    read_json(&json_dir().join("entry.schema.json"))
}

fn def<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema
        .pointer(&format!("/$defs/{name}"))
        .unwrap_or_else(|| panic!("the schema has no $defs/{name}"))
}

fn properties<'a>(schema: &'a Value, name: &str) -> &'a Map<String, Value> {
    def(schema, name)
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("$defs/{name} has no properties"))
}

/// The definition a `{"$ref": "#/$defs/NAME"}` points at.
fn ref_target(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix("#/$defs/")
}

/// The keys a map property allows (`propertyNames.enum`).
fn map_keys(property: &Value) -> Vec<&str> {
    property
        .pointer("/propertyNames/enum")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A nested definition reached from a property: the property itself is an object of
/// that definition (`$ref`), or a map whose values are (`additionalProperties.$ref`).
enum Nested<'a> {
    Object(&'a str),
    MapOf(&'a str),
}

fn nested(property: &Value) -> Option<Nested<'_>> {
    if let Some(target) = ref_target(property) {
        return Some(Nested::Object(target));
    }
    property
        .get("additionalProperties")
        .and_then(ref_target)
        .map(Nested::MapOf)
}

/// For each definition, the keys leading to it from the entry (a map contributes one
/// of its allowed keys), found by walking the schema from `entry`.
fn def_paths(schema: &Value) -> BTreeMap<String, Vec<String>> {
    let mut paths = BTreeMap::from([("entry".to_string(), Vec::new())]);
    let mut queue = VecDeque::from(["entry".to_string()]);
    while let Some(name) = queue.pop_front() {
        let here = paths[&name].clone();
        for (key, property) in properties(schema, &name) {
            let (child, path) = match nested(property) {
                Some(Nested::Object(child)) => (child, [here.clone(), vec![key.clone()]].concat()),
                Some(Nested::MapOf(child)) => {
                    let map_key = map_keys(property).first().copied().unwrap_or("key");
                    let path = [here.clone(), vec![key.clone(), map_key.to_string()]].concat();
                    (child, path)
                }
                None => continue,
            };
            if !paths.contains_key(child) {
                paths.insert(child.to_string(), path);
                queue.push_back(child.to_string());
            }
        }
    }
    paths
}

/// `leaf` placed at `path` inside an entry object.
fn nest(path: &[String], leaf: Value) -> Value {
    path.iter()
        .rev()
        .fold(leaf, |inner, key| json!({ key.as_str(): inner }))
}

/// `value` placed at `path` inside a copy of `entry`.
fn with_value(entry: &Value, path: &[&str], value: Value) -> Value {
    let mut entry = entry.clone();
    let mut slot = &mut entry;
    for key in path {
        let object = slot.as_object_mut().expect("objects along the path");
        slot = object.entry(key.to_string()).or_insert_with(|| json!({}));
    }
    *slot = value;
    entry
}

fn parse(value: Value) -> Result<EntryDraft, String> {
    serde_json::from_value::<EntryDraft>(value).map_err(|error| error.to_string())
}

/// The JSON types a property's schema declares.
fn declared_types(property: &Value) -> BTreeSet<String> {
    if nested(property).is_some() {
        return BTreeSet::from(["object".to_string()]);
    }
    match property.get("type") {
        Some(Value::String(one)) => BTreeSet::from([one.clone()]),
        Some(Value::Array(many)) => many
            .iter()
            .map(|t| t.as_str().expect("type names").to_string())
            .collect(),
        _ => panic!("property without a type: {property}"),
    }
}

#[test]
fn schema_has_the_expected_shape() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    for key in ["$id", "title", "description"] {
        assert!(
            schema[key].as_str().is_some_and(|text| !text.is_empty()),
            "{key}"
        );
    }
    let description = schema["description"].as_str().unwrap();
    assert!(description.contains("様式第1号") && description.contains("様式第2号"));

    // One entry, or a non-empty array of entries.
    let one_of = schema["oneOf"].as_array().expect("oneOf");
    assert_eq!(one_of.len(), 3);
    assert_eq!(ref_target(&one_of[0]), Some("entry"));
    assert_eq!(one_of[1]["type"], "array");
    assert_eq!(one_of[1]["minItems"], 1);
    assert_eq!(ref_target(&one_of[1]["items"]), Some("entry"));
    // The export wrapper (T-04): its incident and mode, then the entries.
    assert_eq!(
        one_of[2]["required"],
        serde_json::json!(["export", "entries"])
    );
    assert_eq!(
        one_of[2]["properties"]["export"]["properties"]["mode"]["enum"],
        serde_json::json!(["actual", "drill"])
    );
    assert_eq!(
        ref_target(&one_of[2]["properties"]["entries"]["items"]),
        Some("entry")
    );

    let defs = schema["$defs"].as_object().expect("$defs");
    let names: BTreeSet<&str> = defs.keys().map(String::as_str).collect();
    assert_eq!(names, BTreeSet::from(DEFINITIONS));
    let paths = def_paths(&schema);
    for name in DEFINITIONS {
        let definition = def(&schema, name);
        assert_eq!(definition["type"], "object", "$defs/{name}");
        assert_eq!(
            definition["additionalProperties"], false,
            "$defs/{name}: serde denies unknown fields"
        );
        assert!(paths.contains_key(name), "$defs/{name} is not used");
        for (key, property) in properties(&schema, name) {
            assert!(
                property["description"]
                    .as_str()
                    .is_some_and(|text| !text.is_empty()),
                "$defs/{name}/properties/{key} has no description"
            );
        }
        check_clause_names(&schema, name, definition, &format!("$defs/{name}"));
    }

    // written_at is required; form defaults to form1 like FormKind::default().
    let entry = def(&schema, "entry");
    assert_eq!(entry["required"], json!(["written_at"]));
    assert_eq!(
        entry["properties"]["form"]["default"],
        serde_json::to_value(FormKind::default()).unwrap()
    );
}

/// The names in `required` and in the `properties` of conditional clauses (allOf,
/// if/then, ...) are properties of the definition, so that no clause is vacuous.
fn check_clause_names(schema: &Value, name: &str, clause: &Value, at: &str) {
    let known = properties(schema, name);
    if let Some(required) = clause.get("required").and_then(Value::as_array) {
        for key in required {
            let key = key.as_str().expect("required names");
            assert!(known.contains_key(key), "{at}: required {key} is unknown");
        }
    }
    // A definition's own `properties` are the list itself; only clauses are checked.
    let listed = match clause.get("properties").and_then(Value::as_object) {
        Some(listed) if !std::ptr::eq(clause, def(schema, name)) => listed.iter().collect(),
        _ => Vec::new(),
    };
    for (key, sub) in listed {
        let property = known
            .get(key)
            .unwrap_or_else(|| panic!("{at}: property {key} is unknown"));
        if let Some(Nested::Object(child)) = nested(property) {
            check_clause_names(schema, child, sub, &format!("{at}/{key}"));
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for (i, sub) in clause
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            check_clause_names(schema, name, sub, &format!("{at}/{key}/{i}"));
        }
    }
    for key in ["if", "then", "else", "not"] {
        if let Some(sub) = clause.get(key) {
            check_clause_names(schema, name, sub, &format!("{at}/{key}"));
        }
    }
}

#[test]
fn every_example_deserializes() {
    let mut count = 0;
    for dir in ["examples", "examples/invalid"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(json_dir().join(dir))
            .unwrap_or_else(|error| panic!("{dir}: {error}"))
            .map(|item| item.expect("directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            // Inquiry examples are checked by tests/inquiry_schema.rs.
            .filter(|path| {
                !path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with("inquiry-"))
            })
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no examples in {dir}");
        for path in files {
            let items = match read_json(&path) {
                Value::Array(items) => {
                    assert!(!items.is_empty(), "{}: empty array", path.display());
                    items
                }
                object @ Value::Object(_) => vec![object],
                other => panic!("{}: neither object nor array: {other}", path.display()),
            };
            for (i, item) in items.into_iter().enumerate() {
                if let Err(error) = parse(item) {
                    panic!("{} entry {}: {error}", path.display(), i + 1);
                }
                count += 1;
            }
        }
    }
    assert!(count >= 9, "only {count} example entries");
}

#[test]
fn every_listed_property_is_accepted_and_nothing_else() {
    let schema = schema();
    let paths = def_paths(&schema);
    let mut probed = 0;
    for name in DEFINITIONS {
        let path = &paths[name];
        let at = |key: &str| format!("$defs/{name}/properties/{key} (at {path:?})");
        for (key, property) in properties(&schema, name) {
            let declared = declared_types(property);
            for kind in &declared {
                assert!(
                    ["string", "boolean", "object", "null"].contains(&kind.as_str()),
                    "{}: type {kind} is not probed by this test",
                    at(key)
                );
            }
            let strings: Vec<Value> = match property.get("enum").and_then(Value::as_array) {
                Some(values) => values.clone(),
                None => vec![json!("x")],
            };
            let probes = [
                ("string", strings),
                ("boolean", vec![json!(true)]),
                ("object", vec![json!({})]),
                ("null", vec![Value::Null]),
            ];
            for (kind, values) in probes {
                for value in values {
                    let entry = nest(path, json!({ key.as_str(): value.clone() }));
                    let result = parse(entry);
                    if declared.contains(kind) {
                        if let Err(error) = result {
                            panic!("{}: serde refuses {value}: {error}", at(key));
                        }
                    } else {
                        assert!(
                            result.is_err(),
                            "{}: serde accepts {value}, but the schema does not declare {kind}",
                            at(key)
                        );
                    }
                }
            }
            // Numbers are never accepted. (Arrays are not probed: serde's derived
            // structs also accept their fields as a positional JSON array, which the
            // format deliberately does not document.)
            assert!(
                parse(nest(path, json!({ key.as_str(): 1 }))).is_err(),
                "{}",
                at(key)
            );
            probed += 1;
        }
        let error = parse(nest(path, json!({ MADE_UP: "x" })))
            .expect_err(&format!("$defs/{name}: serde accepts a made-up property"));
        assert!(error.contains("unknown field"), "{name}: {error}");
    }
    assert!(probed >= 40, "only {probed} properties probed");
}

/// Every field set: non-empty text, true flags, `Some` options, one per-field choice.
/// No `..Default::default()`, so that a new field fails to compile here until it is
/// set, and then fails the test until the schema lists it.
fn full_draft() -> EntryDraft {
    EntryDraft {
        form: FormKind::Form2,
        written_at: "2026-11-21 14:30".into(),
        name: "消防　太郎".into(),
        alias: "ショウボウ".into(),
        furigana: "ショウボウ　タロウ".into(),
        birth_date: "1981-11-25".into(),
        sex: "男".into(),
        address: AddressDraft {
            postal_code: "100-8927".into(),
            prefecture: "東京都".into(),
            municipality: "千代田区".into(),
            town: "霞が関2丁目".into(),
            lot: "1番2号".into(),
            foreign: "1-2-3 Main St, Springfield, USA".into(),
        },
        nationality: NationalityDraft {
            kind: "その他".into(),
            other: "アメリカ".into(),
        },
        identifying_info: "右頬にほくろ".into(),
        injury: InjuryDraft {
            status: "負傷".into(),
            severity: "軽症".into(),
            description: "右手打撲".into(),
        },
        location: LocationDraft {
            prefecture: "東京都".into(),
            municipality: "千代田区".into(),
            town: "永田町1丁目".into(),
            lot: "7番1号".into(),
            place_name: "永田町小学校".into(),
            category: "避難所".into(),
        },
        contact: "03-0000-0000".into(),
        consent: ConsentDraft {
            family: Some(true),
            acquaintance: Some(true),
            others: "同意する".into(),
            not_confirmable: true,
            fields: BTreeMap::from([(
                "contact".to_string(),
                FieldChoice {
                    family: Some(false),
                    acquaintance: Some(true),
                    others: Some(true),
                },
            )]),
        },
        death: DeathDraft {
            date: "2026-11-21".into(),
            time: "09:40".into(),
            place: "千代田区永田町1丁目付近".into(),
            circumstances: "建物の倒壊に巻き込まれて死亡".into(),
            no_medical_certificate: true,
            discovered: true,
        },
        body_location: "千代田区総合体育館".into(),
        bereaved: BereavedDraft {
            consent: "同意しない".into(),
            name: "消防　良子".into(),
            contact: "090-0000-0000".into(),
            address: "東京都千代田区永田町1丁目7番1号".into(),
            relationship: "妻".into(),
        },
        remarks: "備考".into(),
    }
}

/// Checks that every key of `value` is a property of definition `name`, recording
/// each (definition, property) seen.
fn check_keys(
    schema: &Value,
    name: &str,
    value: &Value,
    at: &str,
    seen: &mut BTreeSet<(String, String)>,
) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("{at} is not an object: {value}"));
    let listed = properties(schema, name);
    for (key, inner) in object {
        let path = format!("{at}.{key}");
        let property = listed
            .get(key)
            .unwrap_or_else(|| panic!("{path} is serialized, but $defs/{name} does not list it"));
        seen.insert((name.to_string(), key.clone()));
        match nested(property) {
            Some(Nested::Object(child)) => check_keys(schema, child, inner, &path, seen),
            Some(Nested::MapOf(child)) => {
                let allowed = map_keys(property);
                for (map_key, item) in inner.as_object().expect("a map") {
                    assert!(
                        allowed.contains(&map_key.as_str()),
                        "{path}.{map_key} is not an allowed key"
                    );
                    check_keys(schema, child, item, &format!("{path}.{map_key}"), seen);
                }
            }
            None => {}
        }
    }
}

#[test]
fn every_serialized_key_is_listed() {
    let schema = schema();
    let draft = full_draft();
    let value = serde_json::to_value(&draft).unwrap();
    assert_eq!(
        parse(value.clone()).as_ref(),
        Ok(&draft),
        "the full draft round-trips"
    );
    let mut seen = BTreeSet::new();
    check_keys(&schema, "entry", &value, "entry", &mut seen);

    // And the full draft really is full: it shows every listed property.
    let mut missing = Vec::new();
    for name in DEFINITIONS {
        for key in properties(&schema, name).keys() {
            if !seen.contains(&(name.to_string(), key.clone())) {
                missing.push(format!("$defs/{name}/properties/{key}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "listed but never serialized: {missing:?}"
    );
}

#[test]
fn consent_field_keys_are_the_code_s() {
    let schema = schema();
    let fields = &properties(&schema, "consent")["fields"];
    let listed = map_keys(fields);
    let code: Vec<&str> = ConsentField::ALL.map(|f| f.key()).to_vec();
    assert_eq!(listed, code);
    for field in ConsentField::ALL {
        assert_eq!(
            serde_json::to_value(field).unwrap(),
            field.key(),
            "serde name of {field:?}"
        );
    }
    assert_eq!(
        ref_target(&fields["additionalProperties"]),
        Some("fieldChoice")
    );
}

/// Properties only Form 2 has; the rest are checked on a Form 1 entry.
const FORM2_ONLY: [&str; 3] = ["death", "body_location", "bereaved"];

#[test]
fn enum_values_are_accepted_and_the_lists_are_closed() {
    let schema = schema();
    let paths = def_paths(&schema);
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
    // Minimal entries; ⑦ stands in for ①–⑥. Form 1 is injured without a severity, so
    // that both injury.status and injury.severity can be tried on it.
    let form1 = json!({
        "form": "form1",
        "written_at": "2026-11-21 14:30",
        "identifying_info": "幼児、赤い帽子",
        "injury": { "status": "負傷" },
    });
    let form2 = json!({
        "form": "form2",
        "written_at": "2026-11-21 14:30",
        "identifying_info": "成人男性、身長170cm程度",
        "death": { "date": "2026-11-21", "place": "千代田区永田町1丁目付近" },
    });
    // The fields the node names in its errors for `entry`.
    let refused = |entry: Value| -> Result<Vec<String>, String> {
        let draft = parse(entry)?;
        Ok(match validate(&draft, now) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|error| error.field).collect(),
        })
    };

    let mut checked = 0;
    for name in DEFINITIONS {
        for (key, property) in properties(&schema, name) {
            let Some(values) = property.get("enum").and_then(Value::as_array) else {
                continue;
            };
            let path: Vec<&str> = paths[name]
                .iter()
                .map(String::as_str)
                .chain([key.as_str()])
                .collect();
            let field = path.join(".");
            let base = if FORM2_ONLY.contains(&path[0]) {
                &form2
            } else {
                &form1
            };
            for value in values {
                match refused(with_value(base, &path, value.clone())) {
                    Ok(fields) => assert!(
                        !fields.contains(&field),
                        "{field} = {value} is listed, but the node refuses it"
                    ),
                    Err(error) => panic!("{field} = {value}: serde refuses it: {error}"),
                }
            }
            let outside = json!("一覧にない値");
            assert!(
                !values.contains(&outside),
                "{field}: pick another made-up value"
            );
            if let Ok(fields) = refused(with_value(base, &path, outside)) {
                assert!(
                    fields.contains(&field),
                    "{field}: the node accepts a value outside the enum: {fields:?}"
                );
            }
            checked += 1;
        }
    }
    // form, sex, nationality.kind, injury.status, injury.severity, location.category,
    // consent.others, bereaved.consent.
    assert_eq!(checked, 8);
    assert_eq!(
        properties(&schema, "injury")["severity"]["enum"],
        json!(Severity::LABELS)
    );
}

/// The `pattern` of a text property of `kind`: anything but the characters the node
/// refuses.
fn pattern(kind: TextKind) -> String {
    let mut class = String::new();
    for (low, high) in refused_ranges(kind) {
        class.push_str(&format!("\\u{:04X}", u32::from(low)));
        if high != low {
            class.push_str(&format!("-\\u{:04X}", u32::from(high)));
        }
    }
    format!("^[^{class}]*$")
}

/// A Form 1 or Form 2 entry the node accepts, for trying one text property at a time.
fn accepted_base(field: &str) -> Value {
    let form2 = ["death", "body_location", "bereaved"]
        .iter()
        .any(|prefix| field.starts_with(prefix));
    let mut entry = if form2 {
        json!({
            "form": "form2",
            "written_at": "2026-11-21 14:30",
            "identifying_info": "成人男性",
            "death": { "date": "2026-11-21", "place": "千代田区" },
            "bereaved": { "consent": "同意しない", "name": "消防　良子", "relationship": "妻" },
        })
    } else {
        json!({
            "form": "form1",
            "written_at": "2026-11-21 14:30",
            "identifying_info": "幼児",
            "injury": { "status": "負傷", "severity": "軽症" },
        })
    };
    if field == "nationality.other" {
        entry["nationality"] = json!({ "kind": "その他" });
    }
    if field.starts_with("address.") && field != "address.foreign" {
        entry["address"] = json!({ "prefecture": "東京都", "municipality": "千代田区" });
    }
    entry
}

/// A value the node parses for `field`, so that only the characters under test matter.
fn plain_value(field: &str) -> &'static str {
    match field {
        "written_at" => "2026-11-21 14:30",
        "birth_date" | "death.date" => "2000-01-01",
        "death.time" => "09:40",
        "furigana" => "タロウ",
        "nationality.other" => "アメリカ",
        "address.postal_code" => "1008927",
        "address.prefecture" | "location.prefecture" => "東京都",
        _ => "千代田",
    }
}

#[test]
fn text_limits_and_characters_are_the_node_s() {
    let schema = schema();
    let paths = def_paths(&schema);
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
    let refused_fields = |entry: Value| -> Vec<String> {
        let draft = parse(entry).expect("serde accepts it");
        match validate(&draft, now) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| e.field).collect(),
        }
    };
    let mut checked = Vec::new();
    for name in DEFINITIONS {
        for (key, property) in properties(&schema, name) {
            if property["type"] != "string" {
                continue;
            }
            let path: Vec<&str> = paths[name]
                .iter()
                .map(String::as_str)
                .chain([key.as_str()])
                .collect();
            let field = path.join(".");
            if field == "form" {
                continue;
            }
            let (kind, max) = text::limit(&field)
                .unwrap_or_else(|| panic!("{field}: the node has no text rule for it"));
            checked.push(field.clone());
            if property.get("enum").is_some() {
                // A closed list says more than a length and a pattern.
                assert_eq!(kind, TextKind::Line, "{field}");
                continue;
            }
            assert_eq!(property["maxLength"], json!(max), "{field}: maxLength");
            assert_eq!(
                property["pattern"],
                json!(pattern(kind)),
                "{field}: pattern"
            );

            // What the pattern excludes, the node refuses, naming the field.
            let base = accepted_base(&field);
            let plain = plain_value(&field);
            assert_eq!(
                refused_fields(with_value(&base, &path, json!(plain))),
                Vec::<String>::new(),
                "{field}: the base entry is accepted"
            );
            let mut tries = vec![
                (format!("{plain}\u{202E}"), true),
                (format!("{plain}\u{2066}"), true),
            ];
            tries.push((format!("{plain}\n"), kind == TextKind::Line));
            tries.push((format!("{plain}\u{200B}"), true));
            tries.push((format!("{plain}\u{200D}"), kind == TextKind::Line));
            tries.push(("あ".repeat(max + 1), true));
            for (value, refused) in tries {
                let fields = refused_fields(with_value(&base, &path, json!(value)));
                assert_eq!(
                    fields.contains(&field),
                    refused,
                    "{field} = {value:?}: {fields:?}"
                );
            }
        }
    }
    // Every text field of the node's table is described (map keys aside).
    let described: BTreeSet<&str> = checked.iter().map(String::as_str).collect();
    for f in text::fields(&EntryDraft::default()) {
        if f.field != "consent.fields" {
            assert!(
                described.contains(f.field),
                "{}: not in the schema",
                f.field
            );
        }
    }
    let fields = &properties(&schema, "consent")["fields"];
    assert_eq!(fields["maxProperties"], json!(text::MAX_FIELD_CHOICES));
    assert_eq!(fields["maxProperties"], json!(ConsentField::ALL.len()));
}

#[test]
fn the_node_accepts_the_examples_and_refuses_the_invalid_ones() {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
    for (dir, valid) in [("examples", true), ("examples/invalid", false)] {
        for item in std::fs::read_dir(json_dir().join(dir)).unwrap() {
            let path = item.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().to_string();
            if !file.ends_with(".json") || file.starts_with("inquiry-") {
                continue;
            }
            let entries = match read_json(&path) {
                Value::Array(items) => items,
                object => vec![object],
            };
            for entry in entries {
                let draft = parse(entry).unwrap();
                let result = validate(&draft, now);
                assert_eq!(result.is_ok(), valid, "{file}: {result:?}");
            }
        }
    }
    // The bereaved's restriction in form2-restricted.json is kept (様式第2号 注4).
    let draft = parse(read_json(
        &json_dir().join("examples/form2-restricted.json"),
    ))
    .unwrap();
    let entry = validate(&draft, now).unwrap();
    let consent = entry.parsed.consent;
    use anpi_core::consent::Audience;
    assert!(!consent.allows(Audience::Family, ConsentField::Location));
    assert!(consent.allows(Audience::Family, ConsentField::Contact));
    assert!(!consent.allows(Audience::Others, ConsentField::Contact));
    assert!(consent.allows(Audience::Others, ConsentField::InjuryState));
    assert!(entry.warnings.is_empty(), "{:?}", entry.warnings);
}
