//! Inquiries about a person's safety and their answers (照会・回答). R,
//! E-07, E-08, X-01.
//!
//! The guideline's 第5 in four steps, each a pure function:
//! - [`validate`] (Q-01, 第5 2): an inquiry as registered from Form 4 (様式第4号
//!   安否情報照会書) or taken by phone or orally — who asks (person, or organisation
//!   with its representative), why (親族・同居者 / 知人 / その他), how the inquirer's
//!   identity was checked (第5 3(1) a document, or 3(2) the alternative procedure), and
//!   what they know of the person they ask about;
//! - [`identify`] (Q-02, 第5 3(3)): which record the inquiry is about — all 4
//!   information matching (ア), else narrowing with every field given (イ);
//! - [`answer`] (Q-04, Q-05, 第5 4(2)(3)(5)): the status answers (該当/非該当,
//!   死亡/負傷/非該当) and the fields Form 5 discloses, by the person's consent
//!   (E-08) or, when it could not be asked (意思確認不可, E-07), by the public-interest
//!   rules of table 4-2 and 第5 4(3)イ; never more identity than the inquirer gave;
//! - [`render_text`] (Form 5, 様式第5号 安否情報回答書): the answer as text.
//!
//! The [`Answer`] is what the node keeps for each answer. The public existence
//! check is not here; like it, an answer never tells the inquirer which records
//! were candidates. Refusing an inquiry for an improper purpose is the officer's
//! decision, recorded by the node; [`answer`] only warns when the person refused every
//! answer.
//!
//! The data the inquiry events hold ([`Inquiry`], [`Identification`], [`Answer`] and
//! their parts) is `inquiry_types`, re-exported here: `event` holds it without
//! importing these rules.

pub mod answer;
pub mod draft;
pub mod form5;
pub mod identify;
pub mod state;

pub use crate::inquiry_types::{
    Answer, Basis, CasualtyAnswer, Channel, Disclosed, EvacueeAnswer, Identification, IdentifiedBy,
    IdentityCheck, IdentityDraft, Inquirer, InquirerDraft, Inquiry, InquiryDraft, Relationship,
    Target, TargetDraft, TargetField,
};
pub use answer::{AnswerContext, answer};
pub use draft::validate;
pub use form5::render_text;
pub use identify::identify_in;
pub use state::{InquiryState, InquiryStatus};

use chrono::{DateTime, Timelike, Utc};

use crate::entry::jst_offset;
use crate::era;

/// A moment in Japan time, era form: `令和8年11月21日 14時30分`.
pub fn era_date_time(moment: DateTime<Utc>) -> String {
    let local = moment.with_timezone(&jst_offset());
    format!(
        "{} {}時{}分",
        era::format_era(local.date_naive()),
        local.hour(),
        local.minute()
    )
}

/// The date of a moment in Japan time, era form: `令和8年11月21日`.
pub fn era_date(moment: DateTime<Utc>) -> String {
    era::format_era(moment.with_timezone(&jst_offset()).date_naive())
}

#[cfg(test)]
pub(crate) mod testing;
