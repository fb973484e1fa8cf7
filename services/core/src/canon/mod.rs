//! Canonical forms (表記ゆれ). R: N-01..N-04, E-15.
//!
//! PLACEHOLDER: replaced by the canonical-forms work (issue 3). Only the public
//! signatures below are relied on elsewhere.

/// Version of the canonicalisation rules, stored beside every canonical value.
pub const CANON_VERSION: u32 = 0;

/// Canonical key of a person's name for tolerant exact match.
pub fn name_key(text: &str) -> String {
    text.split_whitespace().collect()
}

/// Canonical key of furigana for tolerant exact match.
pub fn kana_key(text: &str) -> String {
    text.split_whitespace().collect()
}

/// Canonical key of free text (identifying information, remarks, place names).
pub fn text_key(text: &str) -> String {
    text.trim().to_string()
}

/// Canonical key of a Japanese address given as its parts.
pub fn address_key(prefecture: &str, municipality: &str, town: &str, lot: &str) -> String {
    [prefecture, municipality, town, lot].concat()
}

/// Display form of furigana: full-width katakana, one full-width space between family
/// and given name. `None` when the text holds characters that are not kana.
pub fn furigana_display(text: &str) -> Option<String> {
    Some(text.split_whitespace().collect::<Vec<_>>().join("\u{3000}"))
}
