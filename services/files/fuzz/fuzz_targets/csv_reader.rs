//! Fuzz target for the upload path of CSV registration (R: C-01, C-02).
//!
//! Arbitrary bytes go through `decode_detected`, `read_csv` (on the decoded text, and
//! on the raw bytes when they are UTF-8) and `check_file`. Checked:
//! - nothing panics;
//! - `decode_detected` says what it did: UTF-8 gives the bytes back, a BOM is removed,
//!   CP932 keeps every CR, LF, quote and comma of the input (so the reader sees the
//!   structure the bytes show); a refusal names a byte of the input that explains it,
//!   and an undecodable byte's line is the line the reader gives that position (CRLF,
//!   LF and a lone CR each end a line);
//! - a `read_csv` error names a line within the text's line count; its records start
//!   on line 1 and each next record starts one line after the line breaks of the
//!   last one's quoted fields (every physical line belongs to exactly one record); no
//!   field holds a CR; written back as CSV (fields holding a comma, quote, CR or LF, or
//!   starting with U+FEFF, quoted; CRLF after each record) and read again, the records
//!   are the same, line numbers included;
//! - `check_file` fails exactly when `decode_detected` does, with the same error;
//!   every error names a line within the text's line count and says it in its
//!   message, is sorted by line, and names a column only if it is a template column,
//!   a header cell of the file (on the header line) or the label of a whole-entry
//!   check; `bad_lines` counts the lines with errors; valid rows are on other lines;
//! - the valid rows, written by `write_entries_csv` (UTF-8 and CP932) and read again
//!   by `parse_entries`, give the same drafts, but for the CP932 encoder's
//!   substitutions (`¥` → `\`, `‾` → `~`, U+2212 → U+FF0D) and a cell typed with a
//!   leading `'` before `=`, `+`, `-`, `@` or tab, which the import takes for the
//!   formula neutralisation and strips; a CP932 write is refused only for a character
//!   CP932 cannot hold.

#![no_main]

mod common;

use anpi_core::validation::label_of;
use anpi_files::template::COLUMNS;
use anpi_files::{
    CsvRecord, ExportRow, FileError, HEADING_PREFIX, MAX_FILE_BYTES, OutEncoding, TextEncoding,
    check_file, decode_detected, export_heading, parse_entries, read_csv, write_entries_csv,
};
use chrono::{DateTime, TimeZone, Utc};
use common::{
    check_imported_draft, check_unrepresentable, ends_with_break, has_control, line_breaks,
};
use libfuzzer_sys::fuzz_target;

const BOM: &[u8] = b"\xEF\xBB\xBF";

fuzz_target!(|data: &[u8]| {
    let decoded = decode_detected(data);
    check_decoded(data, &decoded);
    if let Ok(raw) = std::str::from_utf8(data) {
        check_reader(raw);
    }
    if let Ok((text, _)) = &decoded {
        check_reader(text);
    }
    check_checker(data, &decoded);
});

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0).unwrap()
}

fn check_decoded(data: &[u8], decoded: &Result<(String, TextEncoding), FileError>) {
    match decoded {
        Ok((text, encoding)) => {
            assert!(!data.is_empty(), "empty input decoded");
            assert!(!text.contains('\0'), "NUL decoded");
            match encoding {
                TextEncoding::Utf8WithBom => {
                    assert_eq!(Some(text.as_bytes()), data.strip_prefix(BOM));
                }
                TextEncoding::Utf8 => {
                    assert!(!data.starts_with(BOM));
                    assert_eq!(text.as_bytes(), data);
                }
                TextEncoding::Cp932 => {
                    assert!(!data.starts_with(BOM) && std::str::from_utf8(data).is_err());
                    for byte in [b'\r', b'\n', b'"', b','] {
                        assert_eq!(
                            text.bytes().filter(|&b| b == byte).count(),
                            data.iter().filter(|&&b| b == byte).count(),
                            "count of {:?} changed by CP932 decoding",
                            byte as char
                        );
                    }
                }
            }
        }
        Err(FileError::Empty) => assert!(data.is_empty()),
        Err(FileError::TooLarge { size, limit }) => {
            assert!(*size == data.len() && *size > *limit && *limit == MAX_FILE_BYTES);
        }
        Err(FileError::Binary { offset }) => {
            assert!(has_control(&data[*offset..=*offset]), "Binary at {offset}");
        }
        Err(error @ FileError::Undecodable { offset, line, byte }) => {
            assert_eq!(data.get(*offset), Some(byte), "{error:?}");
            assert!(*byte >= 0x80, "ASCII byte named undecodable: {error:?}");
            assert_eq!(
                *line,
                line_breaks(&data[..*offset]) + 1,
                "line of the undecodable byte at {offset}"
            );
            assert!(*line <= line_breaks(data) + 1);
            assert!(error.to_string().contains(&format!("{line}行目")));
        }
        Err(other) => panic!("decode gave {other:?}"),
    }
}

fn check_reader(text: &str) {
    let lines = line_breaks(text.as_bytes()) + 1;
    let records = match read_csv(text) {
        Ok(records) => records,
        Err(error) => {
            let line = error.line();
            assert!((1..=lines).contains(&line), "{error:?} of {lines} lines");
            assert!(error.to_string().contains(&format!("{line}行目")));
            return;
        }
    };
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if body.is_empty() {
        assert_eq!(records, Vec::new());
        return;
    }
    let mut next_line = 1;
    for record in &records {
        assert_eq!(record.line, next_line, "record {record:?}");
        assert!(!record.fields.is_empty());
        assert!(record.fields.iter().all(|field| !field.contains('\r')));
        let breaks: usize = record.fields.iter().map(|f| f.matches('\n').count()).sum();
        next_line += breaks + 1;
    }
    // Every line break ends a record or is inside a quoted field, and every record but
    // an unterminated last one ends with one.
    let expected = line_breaks(body.as_bytes()) + usize::from(!ends_with_break(body.as_bytes()));
    assert_eq!(next_line - 1, expected, "lines of {records:?}");

    let written = write_csv(&records);
    assert_eq!(read_csv(&written).as_ref(), Ok(&records), "{written:?}");
}

/// A minimal RFC 4180 writer: CRLF after each record; a field quoted when it holds a
/// comma, a quote, CR or LF, or starts with U+FEFF (which the reader takes for a byte
/// order mark at the start of the text).
fn write_csv(records: &[CsvRecord]) -> String {
    let mut out = String::new();
    for record in records {
        let fields: Vec<String> = record
            .fields
            .iter()
            .map(|field| {
                if field.contains([',', '"', '\r', '\n']) || field.starts_with('\u{feff}') {
                    format!("\"{}\"", field.replace('"', "\"\""))
                } else {
                    field.clone()
                }
            })
            .collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The line and the trimmed cells of the header record `parse_entries` reads.
fn header_of(records: &[CsvRecord]) -> Option<(usize, Vec<&str>)> {
    let mut records = records
        .iter()
        .filter(|record| !record.is_blank())
        .peekable();
    if records
        .peek()
        .is_some_and(|record| record.fields[0].starts_with(HEADING_PREFIX))
    {
        records.next();
    }
    records.next().map(|record| {
        (
            record.line,
            record.fields.iter().map(|f| f.trim()).collect(),
        )
    })
}

fn check_checker(data: &[u8], decoded: &Result<(String, TextEncoding), FileError>) {
    let checked = check_file(data, now());
    let (text, encoding) = match (decoded, checked.as_ref()) {
        (Err(expected), Err(error)) => {
            assert_eq!(error, expected);
            return;
        }
        (Ok((text, encoding)), Ok(_)) => (text, *encoding),
        (decoded, checked) => panic!("decode {decoded:?} but check_file {checked:?}"),
    };
    let checked = checked.unwrap();
    assert_eq!(checked.encoding, encoding);
    let lines = line_breaks(text.as_bytes()) + 1;
    let records = read_csv(text).unwrap_or_default();
    let header = header_of(&records);
    let whole_entry = [label_of("entry"), label_of("consent.fields")];
    for pair in checked.errors.windows(2) {
        assert!(pair[0].line <= pair[1].line, "errors not sorted");
    }
    for error in &checked.errors {
        assert!(
            (1..=lines).contains(&error.line),
            "{error:?} of {lines} lines"
        );
        assert!(!error.message.trim().is_empty(), "{error:?}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("{}行目", error.line))
        );
        let column = error.column.as_str();
        let on_header = header
            .as_ref()
            .is_some_and(|(line, cells)| *line == error.line && cells.contains(&column));
        assert!(
            column.is_empty()
                || COLUMNS.iter().any(|c| c.header == column)
                || whole_entry.contains(&column)
                || on_header,
            "column of {error:?}"
        );
    }
    let mut bad: Vec<usize> = checked.errors.iter().map(|e| e.line).collect();
    bad.dedup();
    assert_eq!(checked.bad_lines, bad.len());
    for pair in checked.valid.windows(2) {
        assert!(pair[0].line < pair[1].line, "valid rows not in order");
    }
    for row in &checked.valid {
        assert!((1..=lines).contains(&row.line));
        assert!(!bad.contains(&row.line), "line {} valid and bad", row.line);
    }
    if !checked.valid.is_empty() {
        check_download(&checked.valid);
    }
}

/// Writes the valid rows as downloads and reads them back.
fn check_download(valid: &[anpi_files::Row]) {
    let rows: Vec<ExportRow> = valid
        .iter()
        .enumerate()
        .map(|(index, row)| ExportRow {
            state: "避難".to_string(),
            record_id: format!("R-{index}"),
            received_at: "2026-12-05 09:00".to_string(),
            draft: row.draft.clone(),
            ..ExportRow::default()
        })
        .collect();
    let heading = export_heading("訓練：地震", true, "2026-12-05 10:00");
    for encoding in [OutEncoding::Utf8Bom, OutEncoding::Cp932] {
        let cp932 = encoding == OutEncoding::Cp932;
        let bytes = match write_entries_csv(&rows, encoding, &heading) {
            Ok(bytes) => bytes,
            Err(error) => {
                assert!(cp932, "UTF-8 write refused: {error:?}");
                check_unrepresentable(&error);
                continue;
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
            Err(FileError::Binary { .. }) if has_control(&bytes) => continue,
            Err(error) => panic!("download not readable: {error:?}"),
        };
        let (read, errors) = parse_entries(&text);
        assert_eq!(errors, Vec::new(), "{encoding:?} download of {rows:?}");
        assert_eq!(read.len(), rows.len());
        for (read, row) in read.iter().zip(&rows) {
            check_imported_draft(&row.draft, &read.draft, cp932);
        }
    }
}
