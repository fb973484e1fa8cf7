//! Roll-call (安否確認): an organisation confirms that its members are safe, by mail
//! and personal answer links. R: K-01..K-04, K-06, K-09; source document
//! `000_fc4f8c7d0442128d.txt` pages 01–05, 10, 12, 13. Decisions:
//! `docs/adr/0017-rollcall.md`.
//!
//! - `org`: the organisation tree (部・課・班, any depth) and sub-organisations;
//! - `member`: members (not node accounts) with their mail addresses;
//! - `authority`: who may do what (K-04): system, function and disaster-prevention
//!   administrators;
//! - `template`: the four editable mails and their placeholders (K-06);
//! - `mail`: the mail server settings (K-06), the answer link, retry and back-off;
//! - `call`: a roll-call, its rounds, each member's progress and answers, the
//!   dashboard (K-01..K-03, K-09);
//! - `info`: the disaster information pages members read from their link (K-07):
//!   emergency contacts, links, evacuation routes with their map links, posts;
//! - `event`: the events a roll-call writes to the node's log;
//! - `form1`: an answer saying injured or evacuated as a Form 1 draft for the clerk
//!   (K-08);
//! - `jma`: automatic dispatch from the meteorological agency's earthquake telegrams
//!   (K-08): which roll-calls a 震度速報 or 震源・震度に関する情報 starts or cancels, per
//!   configured condition, and why.
//!
//! Pure: callers pass `now`, the stored state and random tokens.

pub mod authority;
pub mod call;
pub mod contact;
pub mod event;
pub mod form1;
pub mod info;
pub mod jma;
pub mod mail;
pub mod member;
pub mod mode;
pub mod org;
pub mod template;

pub use authority::{Authority, RollcallRole};
pub use call::{AnswerStatus, Mode, Progress, RollCall};
pub use event::RollcallEvent;
pub use member::{MailAddress, Member, MemberCode};
pub use org::{OrgCode, OrgTree, Organisation};
pub use template::{Template, TemplateKind};

use crate::validation::FieldError;

/// Checks a code (organisation or member): 1–32 half-width letters, digits, `.`, `_`
/// or `-`. Codes are what CSV files and commands name things by.
pub(crate) fn check_code(field: &str, what: &str, text: &str) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, format!("{what}を入力してください")));
    }
    let ok_len = text.len() <= 32;
    let ok_chars = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok_len || !ok_chars {
        return Err(FieldError::new(
            field,
            format!(
                "{what}は半角英数字と「.」「_」「-」で32文字以内にしてください（「{}」）",
                crate::text::printable(text)
            ),
        ));
    }
    Ok(text.to_string())
}

/// Checks a one-line name (organisation, member, roll-call title).
pub(crate) fn check_name(
    field: &str,
    what: &str,
    text: &str,
    max: usize,
) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, format!("{what}を入力してください")));
    }
    match crate::text::check_value(field, crate::text::TextKind::Line, max, text)
        .into_iter()
        .next()
    {
        Some(error) => Err(error),
        None => Ok(text.to_string()),
    }
}
