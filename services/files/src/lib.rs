//! Files in and out of anpi. R: C-01, E-14.
//!
//! CSV registration (CSV登録): [`decode`] detects the encoding of an uploaded file
//! (UTF-8 with or without BOM, or Shift_JIS/CP932) and refuses binary, over-size and
//! undecodable files; [`read_csv`] reads RFC 4180 records with their line numbers;
//! [`parse_entries`] maps the rows of the published template (`schemas/csv/`,
//! [`template::COLUMNS`]) to entry drafts, and [`validate_rows`] runs the entry
//! validation on each, so that every bad row is named by line and column before
//! anything is sent. CSV downloads (C-02): [`write_entries_csv`] writes records in the
//! same template, after a heading line and the record's own columns, neutralised
//! against formula injection, as CP932 or UTF-8 with BOM. Roll-call directory files
//! (K-01): [`rollcall`] reads and writes the organisation and member CSV files of
//! 安否確認 with the same decoding, reader and neutralisation. Earthquake telegrams
//! (K-08): [`jma`] reads the meteorological agency's 防災情報XML (震度速報, 震源・震度に
//! 関する情報, …) into the roll-call rules' `Telegram`. Pure code: the caller reads the
//! file and passes the clock.

mod csv;
mod decode;
pub mod jma;
pub mod rollcall;
pub mod template;
#[cfg(test)]
mod tests;
mod write;

use std::fmt;

use anpi_core::entry::{EntryDraft, validate};
use chrono::{DateTime, Utc};

pub use csv::{CsvError, CsvRecord, read_csv};
pub use decode::{FileError, MAX_FILE_BYTES, TextEncoding, decode, decode_detected};
use template::{COLUMNS, Column};
pub use write::{
    DELETED_COLUMN, DEPARTED_COLUMN, DUPLICATE_COLUMN, ExportRow, HEADING_PREFIX, LEADING_COLUMNS,
    OutEncoding, PUBLICATION_COLUMNS, export_header, export_heading, neutralise,
    publication_heading, unneutralise, write_entries_csv, write_publication_csv,
};

/// One data row of the template and the physical line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub draft: EntryDraft,
    /// What a download's row says happened to the record after its entry.
    pub restore: Restore,
}

/// A download's record state, restored when the file is imported again: the
/// departure (退去日) and the deletion (削除理由). Empty for a template file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restore {
    /// As written in the download (YYYY-MM-DD).
    pub departed_on: Option<String>,
    pub deleted_reason: Option<String>,
    /// The deletion was automatic duplicate removal: the import lets duplicate removal
    /// delete it again when its duplicate comes in, and deletes it with the reason
    /// only if that did not happen.
    pub duplicate: bool,
}

/// A column of the file: one of the template's, or one of a download's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileColumn {
    Template(&'static Column),
    /// 状態, 安否情報ID, 受信日時: not entered.
    Skipped,
    Departed,
    Deleted,
    Duplicate,
}

/// A problem with one row (or with the whole file, then `column` is empty and no row
/// of the file is usable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based physical line.
    pub line: usize,
    /// The column's header text; empty when the problem is not one column's.
    pub column: String,
    /// What is wrong and what to do, in Japanese.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "{}行目: {}", self.line, self.message)
        } else {
            write!(
                f,
                "{}行目「{}」列: {}",
                self.line, self.column, self.message
            )
        }
    }
}

fn row_error(line: usize, column: &str, message: impl Into<String>) -> RowError {
    RowError {
        line,
        column: column.to_string(),
        message: message.into(),
    }
}

/// Reads the template's rows from decoded text: the first non-blank record is the
/// header, which must hold every column of [`template::COLUMNS`] once (in any order)
/// and nothing else; blank records are skipped. Returns the rows that could be read
/// and an error for every row that could not (sorted by line). A malformed file or
/// header gives errors and no rows.
pub fn parse_entries(text: &str) -> (Vec<Row>, Vec<RowError>) {
    let records = match read_csv(text) {
        Ok(records) => records,
        Err(error) => {
            return (
                Vec::new(),
                vec![row_error(error.line(), "", error.to_string())],
            );
        }
    };
    let mut records = records
        .into_iter()
        .filter(|record| !record.is_blank())
        .peekable();
    // A download's heading line (C-02) is skipped.
    if records
        .peek()
        .is_some_and(|record| record.fields[0].starts_with(HEADING_PREFIX))
    {
        records.next();
    }
    let Some(header) = records.next() else {
        return (
            Vec::new(),
            vec![row_error(
                1,
                "",
                "データがありません。1行目に見出し行、2行目以降に1件ずつ記入してください",
            )],
        );
    };
    let columns = match read_header(&header) {
        Ok(columns) => columns,
        Err(errors) => return (Vec::new(), errors),
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in records {
        if record.fields.len() != columns.len() {
            errors.push(row_error(
                record.line,
                "",
                format!(
                    "列の数が見出し行と合いません（見出し{}列、この行{}列）。項目中の「,」は項目全体を「\"」で囲んでください",
                    columns.len(),
                    record.fields.len()
                ),
            ));
            continue;
        }
        let mut draft = EntryDraft::default();
        let mut restore = Restore::default();
        let mut row_errors = Vec::new();
        for (column, cell) in columns.iter().zip(&record.fields) {
            let cell = unneutralise(cell);
            let filled = || Some(cell.trim().to_string()).filter(|c| !c.is_empty());
            match column {
                FileColumn::Template(column) => {
                    if let Err(message) = template::set_cell(&mut draft, column, cell) {
                        row_errors.push(row_error(record.line, column.header, message));
                    }
                }
                FileColumn::Skipped => {}
                FileColumn::Departed => restore.departed_on = filled(),
                FileColumn::Deleted => restore.deleted_reason = filled(),
                FileColumn::Duplicate => {
                    restore.duplicate = template::TRUE_WORDS.contains(&cell.trim())
                }
            }
        }
        if row_errors.is_empty() {
            rows.push(Row {
                line: record.line,
                draft,
                restore,
            });
        } else {
            errors.extend(row_errors);
        }
    }
    (rows, errors)
}

fn read_header(header: &CsvRecord) -> Result<Vec<FileColumn>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut columns: Vec<FileColumn> = Vec::new();
    for (index, cell) in header.fields.iter().enumerate() {
        let text = cell.trim();
        if LEADING_COLUMNS.contains(&text) {
            let column = match text {
                DEPARTED_COLUMN => FileColumn::Departed,
                DELETED_COLUMN => FileColumn::Deleted,
                DUPLICATE_COLUMN => FileColumn::Duplicate,
                _ => FileColumn::Skipped,
            };
            if column != FileColumn::Skipped && columns.contains(&column) {
                errors.push(row_error(
                    header.line,
                    text,
                    format!("見出し「{text}」が2回以上あります（{}列目）", index + 1),
                ));
            }
            columns.push(column);
            continue;
        }
        match COLUMNS.iter().find(|column| column.header == text) {
            Some(column) if columns.contains(&FileColumn::Template(column)) => {
                errors.push(row_error(
                    header.line,
                    column.header,
                    format!("見出し「{text}」が2回以上あります（{}列目）", index + 1),
                ))
            }
            Some(column) => columns.push(FileColumn::Template(column)),
            None => errors.push(row_error(
                header.line,
                text,
                format!(
                    "見出し「{text}」（{}列目）は取込様式にない列です。schemas/csv/README.md の見出しをそのまま使ってください",
                    index + 1
                ),
            )),
        }
    }
    for column in COLUMNS.iter() {
        if !columns.contains(&FileColumn::Template(column)) {
            errors.push(row_error(
                header.line,
                column.header,
                format!("見出し行に「{}」の列がありません", column.header),
            ));
        }
    }
    if errors.is_empty() {
        Ok(columns)
    } else {
        Err(errors)
    }
}

/// Validates every row against the clock reading `now`; returns the valid rows and an
/// error for each problem of the others, naming the row's line and the column.
pub fn validate_rows(rows: Vec<Row>, now: DateTime<Utc>) -> (Vec<Row>, Vec<RowError>) {
    let mut valid = Vec::new();
    let mut errors = Vec::new();
    for row in rows {
        match validate(&row.draft, now) {
            Ok(_) => valid.push(row),
            Err(field_errors) => errors.extend(field_errors.into_iter().map(|error| {
                let column = template::column_of_field(&error.field)
                    .map(|column| column.header.to_string())
                    .unwrap_or_else(|| error.label.clone());
                let message = if column == error.label {
                    error.message
                } else {
                    format!("{}: {}", error.label, error.message)
                };
                row_error(row.line, &column, message)
            })),
        }
    }
    (valid, errors)
}

/// A whole uploaded file checked: the valid rows, every error sorted by line, and the
/// encoding the file was read in.
#[derive(Debug, Clone)]
pub struct Checked {
    pub encoding: TextEncoding,
    pub valid: Vec<Row>,
    pub errors: Vec<RowError>,
    /// Lines with at least one error (rows that will not be imported).
    pub bad_lines: usize,
}

/// Decodes, reads and validates an uploaded template file.
pub fn check_file(bytes: &[u8], now: DateTime<Utc>) -> Result<Checked, FileError> {
    let (text, encoding) = decode_detected(bytes)?;
    let (rows, mut errors) = parse_entries(&text);
    let (valid, invalid) = validate_rows(rows, now);
    errors.extend(invalid);
    errors.sort_by_key(|error| error.line);
    let mut lines: Vec<usize> = errors.iter().map(|error| error.line).collect();
    lines.dedup();
    Ok(Checked {
        encoding,
        valid,
        errors,
        bad_lines: lines.len(),
    })
}
