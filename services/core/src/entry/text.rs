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

/// The two kinds of text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// One line: no line break, no control, direction or invisible character.
    Line,
    /// Free text: line feeds allowed; control and direction characters refused.
    Text,
}

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

/// Characters that change the display direction of the text around them: the Arabic
/// letter mark, LRM/RLM, the embeddings and overrides (U+202A–U+202E) and the isolates
/// (U+2066–U+2069). Refused in every field.
pub const DIRECTION: [(char, char); 4] = [
    ('\u{061C}', '\u{061C}'),
    ('\u{200E}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2066}', '\u{2069}'),
];

/// Invisible characters: zero-width space, non-joiner, joiner, word joiner, BOM.
/// Refused in one-line fields; in free text the joiners are allowed.
pub const INVISIBLE: [(char, char); 3] = [
    ('\u{200B}', '\u{200D}'),
    ('\u{2060}', '\u{2060}'),
    ('\u{FEFF}', '\u{FEFF}'),
];

/// Line and paragraph separators other than the line feed (they break lines in some
/// displays). Refused in every field.
pub const SEPARATORS: [(char, char); 1] = [('\u{2028}', '\u{2029}')];

/// Why a character is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    LineBreak,
    Control,
    Direction,
    Invisible,
}

fn within(c: char, ranges: &[(char, char)]) -> bool {
    ranges.iter().any(|(low, high)| (*low..=*high).contains(&c))
}

fn refusal(c: char, kind: TextKind) -> Option<Refusal> {
    let free = kind == TextKind::Text;
    match c {
        '\n' if free => None,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' => Some(Refusal::LineBreak),
        _ if within(c, &SEPARATORS) => Some(Refusal::LineBreak),
        _ if c.is_control() => Some(Refusal::Control),
        _ if within(c, &DIRECTION) => Some(Refusal::Direction),
        '\u{200C}' | '\u{200D}' if free => None,
        _ if within(c, &INVISIBLE) => Some(Refusal::Invisible),
        _ => None,
    }
}

/// Every character a field of `kind` refuses, as inclusive ranges in ascending order
/// (what the schema's `pattern` excludes).
pub fn refused_ranges(kind: TextKind) -> Vec<(char, char)> {
    let mut ranges: Vec<(char, char)> = Vec::new();
    // Walk the candidates (C0, C1 and the listed blocks) and merge adjacent refusals.
    let candidates = ('\u{0}'..='\u{9F}')
        .chain(DIRECTION.iter().flat_map(|(l, h)| *l..=*h))
        .chain(INVISIBLE.iter().flat_map(|(l, h)| *l..=*h))
        .chain(SEPARATORS.iter().flat_map(|(l, h)| *l..=*h));
    let mut refused: Vec<char> = candidates.filter(|c| refusal(*c, kind).is_some()).collect();
    refused.sort_unstable();
    refused.dedup();
    for c in refused {
        match ranges.last_mut() {
            Some((_, high)) if u32::from(*high) + 1 == u32::from(c) => *high = c,
            _ => ranges.push((c, c)),
        }
    }
    ranges
}

/// `text` as a message may quote it: every character a one-line field refuses (line
/// breaks, controls, direction and invisible characters) written as `U+XXXX`, so that
/// the quote cannot reorder or break the message around it.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match refusal(c, TextKind::Line) {
            Some(_) => code(c),
            None => c.to_string(),
        })
        .collect()
}

/// `U+202E` for a character.
fn code(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// The message for the first refused character of a value (1-based position), and how
/// many more there are.
fn character_message(c: char, position: usize, more: usize, kind: TextKind) -> String {
    let at = format!("{}、{position}文字目", code(c));
    let mut message = match refusal(c, kind) {
        Some(Refusal::LineBreak) if kind == TextKind::Line => format!(
            "改行（{at}）は入力できません。1行で入力してください（改行できるのは備考などの自由記入欄だけです）"
        ),
        Some(Refusal::LineBreak) => format!(
            "使用できない改行文字（{at}）が含まれています。改行は通常の改行（U+000A）で入力してください"
        ),
        Some(Refusal::Direction) => format!(
            "文字の表示方向を変える制御文字（{at}）は使用できません。表示される文字の順序が入れ替わります"
        ),
        Some(Refusal::Invisible) => format!(
            "目に見えない文字（{at}）は使用できません。同じに見える別の文字列になり、検索や重複の判定ができなくなります"
        ),
        Some(Refusal::Control) | None => {
            format!("使用できない制御文字（{at}）が含まれています")
        }
    };
    if more > 0 {
        message.push_str(&format!("（ほかにも使用できない文字が{more}文字あります）"));
    }
    message
}

/// The character problem of one value, if any.
fn check_characters(field: &str, value: &str, kind: TextKind) -> Option<FieldError> {
    let mut refused = value
        .chars()
        .enumerate()
        .filter(|(_, c)| refusal(*c, kind).is_some());
    let (index, first) = refused.next()?;
    let more = refused.count();
    Some(FieldError::new(
        field,
        character_message(first, index + 1, more, kind),
    ))
}

/// The character and length problems of one field's value (at most one of each).
pub fn check_value(field: &str, kind: TextKind, max_chars: usize, value: &str) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = check_characters(field, value, kind).into_iter().collect();
    let count = value.chars().count();
    if count > max_chars {
        errors.push(FieldError::new(
            field,
            format!("{max_chars}文字以内で入力してください（現在{count}文字）"),
        ));
    }
    errors
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
    fn refused_ranges_follow_the_rules() {
        let line = refused_ranges(TextKind::Line);
        let text = refused_ranges(TextKind::Text);
        let holds = |ranges: &[(char, char)], c: char| within(c, ranges);
        for c in [
            '\n', '\r', '\t', '\u{7F}', '\u{85}', '\u{202E}', '\u{200B}', '\u{200D}',
        ] {
            assert!(holds(&line, c), "{c:?}");
        }
        for c in [
            '\r', '\t', '\u{202E}', '\u{2066}', '\u{200E}', '\u{061C}', '\u{200B}',
        ] {
            assert!(holds(&text, c), "{c:?}");
        }
        for c in ['\n', '\u{200C}', '\u{200D}', 'あ', ' ', '　'] {
            assert!(!holds(&text, c), "{c:?}");
        }
        assert_eq!(line[0], ('\u{0}', '\u{1F}'));
        assert_eq!(text[0], ('\u{0}', '\u{9}'));
        assert_eq!(text[1], ('\u{B}', '\u{1F}'));
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
