//! The text of an entry's fields: how long each may be and which characters it may
//! hold. R: E-03, E-15 (issue 13 item 5).
//!
//! Every text field of the entry format is one of two kinds:
//!
//! - **one line** ([`TextKind::Line`]): names, furigana, dates, address parts, places,
//!   the bereaved's particulars, the closed-list values. No line break, no control
//!   character, no character that changes the display direction (bidi overrides,
//!   isolates and marks), no invisible character (zero-width space, joiners, word
//!   joiner, BOM). A line feed would break every table the value is shown in, a
//!   right-to-left override shows the name reversed, and an invisible character makes
//!   two equal-looking names differ.
//! - **free text** ([`TextKind::Text`]): other identifying information, the injury or
//!   illness description, contact and other necessary information, the circumstances
//!   of death, remarks. Line feeds (LF) are allowed; the rest is refused as above,
//!   except the zero-width joiners (U+200C, U+200D), which emoji and some scripts need.
//!
//! The kinds and the characters each refuses are [`crate::text`]; this module lists
//! which field is of which kind and how long each may be.
//!
//! Limits, in characters (Unicode scalar values, as JSON Schema's `maxLength` counts):
//! names and other short values [`SHORT`] (100), one-line places and addresses
//! [`LINE`] (200), free text [`FREE_TEXT`] (2,000), the whole entry
//! [`ENTRY_MAX_CHARS`] (8,000), and at most [`MAX_FIELD_CHOICES`] per-field consent
//! choices. A gRPC message of the largest valid entry stays far below the transport's
//! 4 MiB, so an oversized field is always refused here, by name, and never by the
//! transport. `schemas/json/entry.schema.json` states the same limits (`maxLength`)
//! and characters (`pattern`); `tests/entry_schema.rs` keeps them in step.

use super::EntryDraft;
use crate::consent::ConsentField;
use crate::text::{TextKind, check_characters, check_value};
use crate::validation::FieldError;

/// Names and other short one-line values.
pub const SHORT: usize = 100;
/// One-line places and addresses (foreign address, place names, the body's place).
pub const LINE: usize = 200;
/// Free-text fields.
pub const FREE_TEXT: usize = 2_000;
/// All the text of one entry together (every field and per-field consent key).
pub const ENTRY_MAX_CHARS: usize = 8_000;
/// Per-field consent choices: one per field of the consent matrix.
pub const MAX_FIELD_CHOICES: usize = ConsentField::ALL.len();

/// One text field of a draft: its path in the entry format, kind, limit and value.
#[derive(Debug, Clone, Copy)]
pub struct TextField<'a> {
    pub field: &'static str,
    pub kind: TextKind,
    pub max_chars: usize,
    pub value: &'a str,
}

/// Every text field of `d`, in the order of the entry format. The one table of kinds
/// and limits: [`limit`] reads it too.
pub fn fields(d: &EntryDraft) -> [TextField<'_>; 38] {
    use TextKind::{Line, Text};
    let f = |field, kind, max_chars, value| TextField {
        field,
        kind,
        max_chars,
        value,
    };
    [
        f("written_at", Line, SHORT, &d.written_at),
        f("name", Line, SHORT, &d.name),
        f("alias", Line, SHORT, &d.alias),
        f("furigana", Line, SHORT, &d.furigana),
        f("birth_date", Line, SHORT, &d.birth_date),
        f("sex", Line, SHORT, &d.sex),
        f("address.postal_code", Line, SHORT, &d.address.postal_code),
        f("address.prefecture", Line, SHORT, &d.address.prefecture),
        f("address.municipality", Line, SHORT, &d.address.municipality),
        f("address.town", Line, SHORT, &d.address.town),
        f("address.lot", Line, SHORT, &d.address.lot),
        f("address.foreign", Line, LINE, &d.address.foreign),
        f("nationality.kind", Line, SHORT, &d.nationality.kind),
        f("nationality.other", Line, SHORT, &d.nationality.other),
        f("identifying_info", Text, FREE_TEXT, &d.identifying_info),
        f("injury.status", Line, SHORT, &d.injury.status),
        f("injury.severity", Line, SHORT, &d.injury.severity),
        f("injury.description", Text, FREE_TEXT, &d.injury.description),
        f("location.prefecture", Line, SHORT, &d.location.prefecture),
        f(
            "location.municipality",
            Line,
            SHORT,
            &d.location.municipality,
        ),
        f("location.town", Line, SHORT, &d.location.town),
        f("location.lot", Line, SHORT, &d.location.lot),
        f("location.place_name", Line, LINE, &d.location.place_name),
        f("location.category", Line, SHORT, &d.location.category),
        f("contact", Text, FREE_TEXT, &d.contact),
        f("consent.others", Line, SHORT, &d.consent.others),
        f("death.date", Line, SHORT, &d.death.date),
        f("death.time", Line, SHORT, &d.death.time),
        f("death.place", Line, LINE, &d.death.place),
        f(
            "death.circumstances",
            Text,
            FREE_TEXT,
            &d.death.circumstances,
        ),
        f("body_location", Line, LINE, &d.body_location),
        f("bereaved.consent", Line, SHORT, &d.bereaved.consent),
        f("bereaved.name", Line, SHORT, &d.bereaved.name),
        f("bereaved.contact", Line, LINE, &d.bereaved.contact),
        f("bereaved.address", Line, LINE, &d.bereaved.address),
        f(
            "bereaved.relationship",
            Line,
            SHORT,
            &d.bereaved.relationship,
        ),
        f("remarks", Text, FREE_TEXT, &d.remarks),
        // The keys of the per-field consent choices are checked one by one in
        // `check`; this row only names their kind and limit.
        f("consent.fields", Line, SHORT, ""),
    ]
}

/// The kind and limit of the text field at `field` (e.g. `address.town`), if it is one.
pub fn limit(field: &str) -> Option<(TextKind, usize)> {
    fields(&EntryDraft::default())
        .into_iter()
        .find(|f| f.field == field)
        .map(|f| (f.kind, f.max_chars))
}

/// Length and characters of every text field, the per-field consent keys and the whole
/// entry. R: E-03, E-15. Used by `validate` (every front door) and by the CLI before
/// sending.
pub fn check(d: &EntryDraft) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut total = 0;
    let mut field_too_long = false;
    for TextField {
        field,
        kind,
        max_chars,
        value,
    } in fields(d)
    {
        let count = value.chars().count();
        total += count;
        field_too_long |= count > max_chars;
        errors.extend(check_value(field, kind, max_chars, value));
    }

    let choices = &d.consent.fields;
    if choices.len() > MAX_FIELD_CHOICES {
        errors.push(FieldError::new(
            "consent.fields",
            format!(
                "項目別の回答の意向は{MAX_FIELD_CHOICES}項目までです（現在{}項目）",
                choices.len()
            ),
        ));
    }
    for key in choices.keys() {
        let count = key.chars().count();
        total += count;
        let problem = if count > SHORT {
            Some(format!("項目名は{SHORT}文字以内です（現在{count}文字）"))
        } else {
            check_characters("consent.fields", key, TextKind::Line).map(|e| e.message)
        };
        if let Some(message) = problem {
            field_too_long |= count > SHORT;
            errors.push(FieldError::new("consent.fields", message));
            break;
        }
    }

    // The whole entry, unless a field over its own limit already explains it.
    if total > ENTRY_MAX_CHARS && !field_too_long {
        errors.push(FieldError::new(
            "entry",
            format!(
                "安否情報1件の文字数は合計{ENTRY_MAX_CHARS}文字以内にしてください（現在{total}文字）。自由記入欄を短くしてください"
            ),
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_listed_once_and_labelled() {
        let draft = EntryDraft::default();
        let all = fields(&draft);
        for (i, f) in all.iter().enumerate() {
            assert!(
                all[..i].iter().all(|g| g.field != f.field),
                "{} twice",
                f.field
            );
            assert_ne!(crate::validation::label_of(f.field), "項目", "{}", f.field);
        }
        assert_eq!(limit("name"), Some((TextKind::Line, SHORT)));
        assert_eq!(limit("remarks"), Some((TextKind::Text, FREE_TEXT)));
        assert_eq!(limit("no_such_field"), None);
        assert_ne!(crate::validation::label_of("entry"), "項目");
    }

    #[test]
    fn one_message_per_field_naming_the_first_character() {
        let errors = check(&EntryDraft {
            name: "a\u{202E}b\u{200B}\n".into(),
            ..EntryDraft::default()
        });
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "name");
        assert!(errors[0].message.contains("U+202E、2文字目"));
        assert!(
            errors[0]
                .message
                .contains("ほかにも使用できない文字が2文字")
        );
    }
}
