//! The characters a text field may hold, and text quoted in messages. R: E-03, E-15
//! (issue 13 item 5).
//!
//! A field is one line ([`TextKind::Line`]: no line break, no control, direction or
//! invisible character) or free text ([`TextKind::Text`]: line feeds and the
//! zero-width joiners allowed, the rest refused as in one line). Which field of an
//! entry is of which kind, and how long each may be, is listed in `entry::text`, which
//! checks them with [`check_value`]; [`printable`] quotes any text in a message so
//! that it cannot reorder or break the message around it.

use crate::validation::FieldError;

/// The two kinds of text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// One line: no line break, no control, direction or invisible character.
    Line,
    /// Free text: line feeds allowed; control and direction characters refused.
    Text,
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
pub(crate) fn check_characters(field: &str, value: &str, kind: TextKind) -> Option<FieldError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
