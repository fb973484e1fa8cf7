//! The ministerial forms of the 安否情報省令 as A4 PDF, printed in a Japanese font
//! embedded as a subset. R: C-03, R-06, T-04.
//!
//! - [`collection_form`]: 様式第1号 安否情報収集様式（避難住民・負傷住民） and 様式第2号
//!   （死亡住民）, blank for a shelter to print and fill in by hand, or filled in from an
//!   entry draft or a stored record, the chosen options circled;
//! - [`form3`]: 様式第3号 安否情報報告書, the report sent by other means when the system
//!   cannot be used (guideline 第4 5(2)イ), one row per record, landscape, as many
//!   pages as needed;
//! - [`form4`]: 様式第4号 安否情報照会書, blank or filled in from an inquiry;
//! - [`form5`]: 様式第5号 安否情報回答書, the answer as given (the same rows and values as
//!   `anpi_core::inquiry::form5::render_text`).
//!
//! Every page of a form about a drill (訓練) incident carries the 【訓練】 banner
//! (T-04); a form about an actual incident is the form as the ordinance gives it.
//!
//! The functions are pure: domain values and the font in, PDF bytes out. The layers:
//! `layout` (pages, measured and wrapped text, grids, tables across pages) knows no
//! form; the form modules map the domain to rows; `pdf` writes the pages.

mod collection;
mod common;
pub mod font;
mod form3;
mod form4;
mod form5;
pub mod layout;
mod pdf;

pub use collection::{Filled, collection_document};
pub use font::{FontError, FormFont};
pub use form3::{Form3Header, form3_document};
pub use form4::form4_document;
pub use form5::form5_document;

use anpi_core::entry::FormKind;
use anpi_core::incident::Incident;
use anpi_core::inquiry::{Answer, Inquiry};
use anpi_core::private_area::RecordState;
use chrono::{DateTime, Utc};

/// Why a form could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error(transparent)]
    FontLoad(#[from] FontError),
    #[error("{0}")]
    Font(String),
    #[error("the document uses more distinct characters than a PDF font can hold")]
    TooManyCharacters,
}

impl FormError {
    /// The same in Japanese, for the operator.
    pub fn message_ja(&self) -> String {
        match self {
            FormError::FontLoad(error) => error.message_ja(),
            FormError::Font(reason) => format!("帳票のフォントを埋め込めません: {reason}"),
            FormError::TooManyCharacters => {
                "帳票に使われている文字の種類が多すぎます。対象を分けて出力してください".into()
            }
        }
    }
}

/// Form 1 or Form 2 (by `kind`), blank or filled in. A filled form takes its kind
/// from the entry: `kind` is then only the default for `Filled::Blank`.
pub fn collection_form(
    font: &FormFont,
    kind: FormKind,
    filled: Filled<'_>,
    incident: Option<&Incident>,
) -> Result<Vec<u8>, FormError> {
    let doc = collection_document(&font.metrics(), kind, filled, incident);
    pdf::write(&doc, font)
}

/// Form 3: the report of `records` (in the order given).
pub fn form3(
    font: &FormFont,
    header: &Form3Header,
    records: &[RecordState],
    incident: &Incident,
) -> Result<Vec<u8>, FormError> {
    let doc = form3_document(&font.metrics(), header, records, incident);
    pdf::write(&doc, font)
}

/// Form 4: blank (`None`) or filled in from a registered inquiry.
pub fn form4(
    font: &FormFont,
    inquiry: Option<&Inquiry>,
    incident: Option<&Incident>,
) -> Result<Vec<u8>, FormError> {
    let doc = form4_document(&font.metrics(), inquiry, incident);
    pdf::write(&doc, font)
}

/// Form 5: the answer to `inquiry` as given by `answering_body` at `answered_at`.
pub fn form5(
    font: &FormFont,
    inquiry: &Inquiry,
    answer: &Answer,
    incident: &Incident,
    answering_body: &str,
    answered_at: DateTime<Utc>,
) -> Result<Vec<u8>, FormError> {
    let doc = form5_document(
        &font.metrics(),
        inquiry,
        answer,
        incident,
        answering_body,
        answered_at,
    );
    pdf::write(&doc, font)
}
