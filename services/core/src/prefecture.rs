//! The 47 prefectures: code ↔ name. R: T-01.
//!
//! PLACEHOLDER: replaced by the canonical-forms work (issue 3).

/// Name of the prefecture with this two-digit code (1..=47).
pub fn name_of(code: u8) -> Option<&'static str> {
    match code {
        13 => Some("東京都"),
        _ => None,
    }
}

/// Two-digit code of the prefecture with this name (e.g. `東京都` → 13). Accepts the
/// name with or without its suffix (都/道/府/県) where that is unambiguous.
pub fn code_of(name: &str) -> Option<u8> {
    match name.trim() {
        "東京都" | "東京" => Some(13),
        _ => None,
    }
}
