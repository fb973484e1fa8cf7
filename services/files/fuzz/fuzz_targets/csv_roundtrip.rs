//! Fuzz target for the CSV download and its import back (R: C-01, C-02).
//!
//! Structured input (`arbitrary`): records whose cells are built from pieces chosen to
//! hit the writer's cases (quotes, commas, CR, LF, CRLF, a leading `=` `+` `-` `@` or
//! tab, a BOM character, CP932-only and non-CP932 characters, the characters the
//! CP932 encoder substitutes) and arbitrary text. They are written by
//! `write_entries_csv` in UTF-8 with BOM or CP932, decoded by `decode_detected`, read
//! by `read_csv` and by `parse_entries`. Checked:
//! - nothing panics;
//! - a UTF-8 write always succeeds; a CP932 write is refused exactly when a cell holds
//!   a character CP932 cannot represent, and the refusal names the first such cell
//!   (heading, then record by record, column by column) and its first such character;
//! - the file decodes in the encoding it was written in (or is refused as binary, only
//!   when a cell holds a control character);
//! - `read_csv` gives the heading, the header row, then one record per row starting on
//!   the expected line, every cell as written except the documented formula
//!   neutralisation (`'` before `=`, `+`, `-`, `@`, tab, CR), a quoted CR or CRLF read
//!   as LF and, in CP932, the encoder's substitutions (`¥` → `\`, `‾` → `~`,
//!   U+2212 → U+FF0D);
//! - `parse_entries` skips the heading, reads the header and gives one row per record
//!   on the same line, and no error; each cell of the draft is the cell written,
//!   neutralised, read and `unneutralise`d, which is the cell as typed (but for CR read
//!   as LF and the CP932 substitutions) unless it begins with CR or with `'` before a
//!   formula character (`'=x` is imported as `=x`); 退去日 and 削除理由 are restored the
//!   same way, trimmed, `None` when blank, and 重複除去 as the flag written.

#![no_main]

mod common;

use anpi_core::entry::{EntryDraft, FormKind};
use anpi_files::template::{COLUMNS, CellKind, get_cell, set_cell};
use anpi_files::{
    DELETED_COLUMN, DEPARTED_COLUMN, DUPLICATE_COLUMN, ExportRow, FileError, LEADING_COLUMNS,
    OutEncoding, TextEncoding, decode_detected, export_header, export_heading, neutralise,
    parse_entries, read_csv, write_entries_csv,
};
use common::{check_imported_draft, has_control, imported, read_back, unmappable};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Piece {
    Text(String),
    Ascii(u8),
    Quote,
    Comma,
    Cr,
    Lf,
    CrLf,
    FormulaStart(u8),
    Bom,
    Kanji,
    HalfwidthKana,
    Cp932Only,
    NotCp932,
    Substituted(u8),
    Space,
}

impl Piece {
    fn push_to(&self, out: &mut String) {
        match self {
            Piece::Text(text) => out.push_str(text),
            Piece::Ascii(byte) => out.push(char::from(byte & 0x7F)),
            Piece::Quote => out.push('"'),
            Piece::Comma => out.push(','),
            Piece::Cr => out.push('\r'),
            Piece::Lf => out.push('\n'),
            Piece::CrLf => out.push_str("\r\n"),
            Piece::FormulaStart(which) => out.push(['=', '+', '-', '@', '\t'][*which as usize % 5]),
            Piece::Bom => out.push('\u{feff}'),
            Piece::Kanji => out.push_str("消防　太郎"),
            Piece::HalfwidthKana => out.push_str("ｼｮｳﾎﾞｳ"),
            Piece::Cp932Only => out.push_str("①～髙"),
            Piece::NotCp932 => out.push_str("🙂〜"),
            Piece::Substituted(which) => {
                out.push(['\u{A5}', '\u{203E}', '\u{2212}'][*which as usize % 3]);
            }
            Piece::Space => out.push(' '),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Cell(Vec<Piece>);

impl Cell {
    fn text(&self) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            piece.push_to(&mut out);
        }
        out
    }
}

#[derive(Debug, Arbitrary)]
struct Record {
    state: Cell,
    record_id: Cell,
    received_at: Cell,
    departed_on: Cell,
    deleted_reason: Cell,
    duplicate: bool,
    form2: bool,
    /// Bits for the ⑫⑬ and check-box columns.
    flags: u32,
    /// The text columns' cells, in order; missing ones are empty.
    cells: Vec<Cell>,
}

impl Record {
    fn export_row(&self) -> ExportRow {
        let mut draft = EntryDraft {
            form: if self.form2 {
                FormKind::Form2
            } else {
                FormKind::Form1
            },
            ..EntryDraft::default()
        };
        let mut cells = self.cells.iter();
        let mut bits = self.flags;
        for column in COLUMNS.iter() {
            let cell = match column.kind {
                CellKind::Form => continue,
                CellKind::Text => cells.next().map(Cell::text).unwrap_or_default(),
                CellKind::Wish => {
                    let wish = ["", "希望する", "希望しない"][(bits % 3) as usize];
                    bits /= 3;
                    wish.to_string()
                }
                CellKind::Check => {
                    let check = if bits & 1 == 1 { "○" } else { "" };
                    bits >>= 1;
                    check.to_string()
                }
            };
            set_cell(&mut draft, column, &cell).expect("a cell the template reads");
        }
        ExportRow {
            state: self.state.text(),
            record_id: self.record_id.text(),
            received_at: self.received_at.text(),
            departed_on: self.departed_on.text(),
            deleted_reason: self.deleted_reason.text(),
            duplicate: self.duplicate,
            draft,
        }
    }
}

/// The cell a download writes in a leading column for `row`.
fn leading_cell(row: &ExportRow, header: &str) -> String {
    match header {
        "状態" => row.state.clone(),
        "安否情報ID" => row.record_id.clone(),
        "受信日時" => row.received_at.clone(),
        DEPARTED_COLUMN => row.departed_on.clone(),
        DELETED_COLUMN => row.deleted_reason.clone(),
        DUPLICATE_COLUMN => if row.duplicate { "○" } else { "" }.to_string(),
        other => panic!("leading column {other} not known to the fuzz target"),
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    utf8: bool,
    drill: bool,
    incident: Cell,
    at: Cell,
    records: Vec<Record>,
}

fuzz_target!(|input: Input| {
    let heading = export_heading(&input.incident.text(), input.drill, &input.at.text());
    let rows: Vec<ExportRow> = input.records.iter().map(Record::export_row).collect();
    let (encoding, cp932) = if input.utf8 {
        (OutEncoding::Utf8Bom, false)
    } else {
        (OutEncoding::Cp932, true)
    };

    // Every cell as written (before neutralisation), labelled as the writer labels it.
    let mut cells: Vec<(String, String, String)> =
        vec![(heading.clone(), "見出し行".into(), "見出し".into())];
    let mut records: Vec<Vec<String>> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let label = if row.record_id.is_empty() {
            format!("{}件目", index + 1)
        } else {
            format!("{}件目（安否情報ID {}）", index + 1, row.record_id)
        };
        let mut record: Vec<String> = LEADING_COLUMNS
            .iter()
            .map(|header| leading_cell(row, header))
            .collect();
        record.extend(COLUMNS.iter().map(|column| get_cell(&row.draft, column)));
        let headers = LEADING_COLUMNS
            .iter()
            .copied()
            .chain(COLUMNS.iter().map(|c| c.header));
        for (cell, header) in record.iter().zip(headers) {
            cells.push((cell.clone(), label.clone(), header.to_string()));
        }
        records.push(record);
    }

    let bytes = match write_entries_csv(&rows, encoding, &heading) {
        Ok(bytes) => {
            assert!(
                !cp932
                    || !cells
                        .iter()
                        .any(|(cell, _, _)| neutralise(cell).chars().any(unmappable)),
                "an unmappable character was written"
            );
            bytes
        }
        Err(error) => {
            assert!(cp932, "UTF-8 write refused: {error:?}");
            let (cell, record, column) = cells
                .iter()
                .find(|(cell, _, _)| cell.chars().any(unmappable))
                .unwrap_or_else(|| panic!("{error:?} but every cell is mappable"));
            let character = cell.chars().find(|c| unmappable(*c)).unwrap();
            assert_eq!(
                error,
                FileError::Unrepresentable {
                    record: record.clone(),
                    column: column.clone(),
                    character,
                }
            );
            return;
        }
    };

    let text = match decode_detected(&bytes) {
        Ok((text, detected)) => {
            let expected = if cp932 {
                TextEncoding::Cp932
            } else {
                TextEncoding::Utf8WithBom
            };
            assert_eq!(detected, expected);
            text
        }
        Err(FileError::Binary { .. }) if has_control(&bytes) => return,
        Err(error) => panic!("download not readable: {error:?}"),
    };

    let read = read_csv(&text).expect("a download reads as CSV");
    let mut expected: Vec<Vec<String>> = vec![vec![read_back(&heading, cp932)]];
    expected.push(export_header().into_iter().map(String::from).collect());
    expected.extend(
        records
            .iter()
            .map(|record| record.iter().map(|cell| read_back(cell, cp932)).collect()),
    );
    let fields: Vec<&Vec<String>> = read.iter().map(|record| &record.fields).collect();
    assert_eq!(fields, expected.iter().collect::<Vec<_>>());
    let mut line = 1;
    for record in &read {
        assert_eq!(record.line, line);
        line += record
            .fields
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>()
            + 1;
    }

    let (parsed, errors) = parse_entries(&text);
    assert_eq!(errors, Vec::new());
    assert_eq!(parsed.len(), rows.len());
    for ((parsed, row), record) in parsed.iter().zip(&rows).zip(&read[2..]) {
        assert_eq!(parsed.line, record.line);
        check_imported_draft(&row.draft, &parsed.draft, cp932);
        let restored =
            |cell: &str| Some(imported(cell, cp932).trim().to_string()).filter(|c| !c.is_empty());
        assert_eq!(parsed.restore.departed_on, restored(&row.departed_on));
        assert_eq!(parsed.restore.deleted_reason, restored(&row.deleted_reason));
        assert_eq!(parsed.restore.duplicate, row.duplicate);
    }
});
