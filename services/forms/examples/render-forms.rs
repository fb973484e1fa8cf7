//! Renders every form from the test fixtures and page 1 of each as a PNG (80 dpi)
//! into `docs/forms/` (or the folder given), for people to look at:
//!
//! ```sh
//! cargo run -p anpi-forms --example render-forms [-- OUT_DIR]
//! ```
//!
//! Needs the form font (fonts-ipaexfont-gothic) and pdftoppm (poppler-utils):
//! `deploy/ensure-services.sh --browser` installs both.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use anpi_core::entry::{FormKind, fixtures};
use anpi_core::incident::IncidentMode;
use anpi_forms::{Filled, Form3Header, FormFont};

fn main() {
    if let Err(error) = run() {
        eprintln!("render-forms: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/forms"));
    std::fs::create_dir_all(&out)?;
    let pdfs = std::env::temp_dir().join(format!("anpi-forms-{}", std::process::id()));
    std::fs::create_dir_all(&pdfs)?;
    let font = FormFont::load()?;
    let actual = support::incident(IncidentMode::Actual);
    let drill = support::incident(IncidentMode::Drill);

    let mut filled = fixtures::injured();
    filled.address.postal_code = "100-8926".into();
    filled.consent.acquaintance = Some(false);
    filled.consent.others = "同意する".into();
    filled.remarks = "眼鏡を紛失。家族への連絡を希望".into();
    let (family, family_answer) = support::family_answer();
    let (acquaintance, withheld) = support::acquaintance_inquiry();
    let header = Form3Header {
        reported_at: support::now(),
        body: "千代田区長".into(),
        officer: Some("防災課　安否　一郎".into()),
    };

    let forms: Vec<(&str, Vec<u8>)> = vec![
        (
            "form1-blank",
            anpi_forms::collection_form(&font, FormKind::Form1, Filled::Blank, None)?,
        ),
        (
            "form1-filled",
            anpi_forms::collection_form(&font, FormKind::Form1, Filled::Draft(&filled), None)?,
        ),
        (
            "form2-blank",
            anpi_forms::collection_form(&font, FormKind::Form2, Filled::Blank, None)?,
        ),
        (
            "form2-filled",
            anpi_forms::collection_form(
                &font,
                FormKind::Form2,
                Filled::Record(&support::record(3, &fixtures::deceased())),
                Some(&actual),
            )?,
        ),
        (
            "form3",
            anpi_forms::form3(&font, &header, &support::form3_records(), &actual)?,
        ),
        ("form4-blank", anpi_forms::form4(&font, None, None)?),
        (
            "form4-filled",
            anpi_forms::form4(&font, Some(&family), Some(&actual))?,
        ),
        (
            "form5",
            anpi_forms::form5(
                &font,
                &family,
                &family_answer,
                &actual,
                "千代田区長",
                support::now(),
            )?,
        ),
        (
            "form5-drill",
            anpi_forms::form5(
                &font,
                &acquaintance,
                &withheld,
                &drill,
                "千代田区長",
                support::now(),
            )?,
        ),
    ];
    for (name, bytes) in forms {
        let pdf = pdfs.join(format!("{name}.pdf"));
        std::fs::write(&pdf, bytes)?;
        let png = out.join(format!("{name}.png"));
        support::png(&pdf, &png);
        println!("{}", png.display());
    }
    println!("PDF: {}", pdfs.display());
    Ok(())
}
