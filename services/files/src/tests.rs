use anpi_core::entry::FormKind;
use chrono::{TimeZone, Utc};
use encoding_rs::SHIFT_JIS;
use proptest::prelude::*;

use super::*;

const FORM1: &[u8] = include_bytes!("../../../schemas/csv/examples/form1.csv");
const FORM2: &[u8] = include_bytes!("../../../schemas/csv/examples/form2.csv");

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
}

fn form1_text() -> String {
    decode(FORM1).unwrap()
}

fn cp932(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = SHIFT_JIS.encode(text);
    assert!(!unmappable, "the text is not representable in CP932");
    bytes.into_owned()
}

fn with_bom(text: &str) -> Vec<u8> {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// The header and the data lines of the Form 1 example, split at CRLF (no cell of the
/// example holds a CRLF, only an LF).
fn form1_lines() -> (String, Vec<String>) {
    let text = form1_text();
    let mut lines = text
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .map(str::to_string);
    let header = lines.next().unwrap();
    (header, lines.collect())
}

fn join(lines: &[String]) -> String {
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    text
}

#[test]
fn the_examples_validate_row_by_row() {
    let form1 = check_file(FORM1, now()).unwrap();
    assert_eq!(form1.encoding, TextEncoding::Utf8WithBom);
    assert_eq!(form1.errors, Vec::new());
    assert_eq!(form1.valid.len(), 3);
    assert!(
        form1
            .valid
            .iter()
            .all(|row| row.draft.form == FormKind::Form1)
    );
    assert_eq!(
        form1.valid[1].draft.remarks, "付添い: 夫\n連絡は病院経由で",
        "a quoted line break is kept"
    );
    assert_eq!(
        form1.valid.iter().map(|row| row.line).collect::<Vec<_>>(),
        vec![2, 3, 5],
        "the third row starts after the two-line cell"
    );
    assert!(form1.valid[2].draft.consent.not_confirmable);

    let form2 = check_file(FORM2, now()).unwrap();
    assert_eq!(form2.errors, Vec::new());
    assert_eq!(form2.valid.len(), 2);
    assert!(
        form2
            .valid
            .iter()
            .all(|row| row.draft.form == FormKind::Form2)
    );
    assert!(form2.valid[1].draft.death.discovered);
    assert!(form2.valid[1].draft.death.no_medical_certificate);
}

#[test]
fn cp932_and_utf8_with_bom_give_equal_drafts() {
    let text = form1_text();
    let sjis = check_file(&cp932(&text), now()).unwrap();
    let bom = check_file(&with_bom(&text), now()).unwrap();
    let plain = check_file(text.as_bytes(), now()).unwrap();
    assert_eq!(sjis.encoding, TextEncoding::Cp932);
    assert_eq!(bom.encoding, TextEncoding::Utf8WithBom);
    assert_eq!(plain.encoding, TextEncoding::Utf8);
    assert_eq!(sjis.valid.len(), 3);
    assert_eq!(sjis.valid, bom.valid);
    assert_eq!(plain.valid, bom.valid);
}

#[test]
fn three_bad_rows_are_named_by_line() {
    let (header, rows) = form1_lines();
    // Lines: 1 header, 2 good, 3 bad sex, 4 good, 5 too few columns, 6 bad 様式.
    let good = rows[0].clone();
    let bad_sex = good.replacen(",男,", ",おとこ,", 1);
    let short = good.rsplit_once(',').unwrap().0.to_string();
    let bad_form = format!("3{}", &good[1..]);
    let text = join(&[header, good.clone(), bad_sex, good, short, bad_form]);
    let checked = check_file(&cp932(&text), now()).unwrap();
    assert_eq!(checked.valid.len(), 2);
    let lines: Vec<usize> = checked.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 5, 6], "{:?}", checked.errors);
    assert_eq!(checked.bad_lines, 3);
    assert_eq!(checked.errors[0].column, "男女の別");
    assert!(checked.errors[0].message.contains("おとこ"));
    assert!(checked.errors[1].message.contains("列の数"));
    assert_eq!(checked.errors[2].column, "様式");
    assert!(
        checked.errors[0]
            .to_string()
            .starts_with("3行目「男女の別」列: ")
    );
}

#[test]
fn validation_errors_name_the_column_of_the_field() {
    let (header, rows) = form1_lines();
    let row = rows[0].replacen(
        "東京都,千代田区,霞が関2丁目",
        "東京県,千代田区,霞が関2丁目",
        1,
    );
    let checked = check_file(join(&[header, row]).as_bytes(), now()).unwrap();
    assert_eq!(checked.errors.len(), 1, "{:?}", checked.errors);
    assert_eq!(checked.errors[0].column, "住所（都道府県）");
    assert_eq!(checked.errors[0].line, 2);
    // Every column's path is its own column; group paths fall on their first column.
    for column in template::COLUMNS.iter() {
        assert_eq!(template::column_of_field(column.path), Some(column));
    }
    assert_eq!(
        template::column_of_field("death").unwrap().header,
        "死亡の日付"
    );
    assert_eq!(
        template::column_of_field("consent").unwrap().header,
        "親族・同居者への回答"
    );
}

#[test]
fn quoted_fields_hold_commas_quotes_and_line_breaks() {
    let text = "a,\"b,\"\"c\"\"\r\nd\",e\r\n\"\"\nlast,\"x\ry\"";
    let records = read_csv(text).unwrap();
    assert_eq!(
        records,
        vec![
            CsvRecord {
                line: 1,
                fields: vec!["a".into(), "b,\"c\"\nd".into(), "e".into()]
            },
            CsvRecord {
                line: 3,
                fields: vec!["".into()]
            },
            CsvRecord {
                line: 4,
                fields: vec!["last".into(), "x\ny".into()]
            },
        ]
    );
    assert_eq!(read_csv("a,b\n").unwrap(), read_csv("a,b").unwrap());
    assert_eq!(read_csv("").unwrap(), Vec::new());
    assert_eq!(read_csv("a,\n").unwrap()[0].fields, vec!["a", ""]);
}

#[test]
fn an_unterminated_quote_names_its_line() {
    let text = "a,b\r\nc,\"d\r\ne,f\r\n";
    assert_eq!(read_csv(text), Err(CsvError::UnterminatedQuote { line: 2 }));
    let (rows, errors) = parse_entries(text);
    assert!(rows.is_empty());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 2);
    assert!(errors[0].message.contains("閉じられていません"));
    assert_eq!(
        read_csv("\"a\"b"),
        Err(CsvError::TextAfterQuote { line: 1 })
    );
}

#[test]
fn a_wrong_column_count_is_a_row_error() {
    let (header, rows) = form1_lines();
    let long = format!("{},余分", rows[0]);
    let (parsed, errors) = parse_entries(&join(&[header, long, rows[2].clone()]));
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].line, 3);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 2);
    assert!(errors[0].message.contains("見出し43列、この行44列"));
}

#[test]
fn unknown_and_missing_header_columns_are_named() {
    let (header, rows) = form1_lines();
    let renamed = header.replacen("氏名", "名前", 1);
    let (parsed, errors) = parse_entries(&join(&[renamed, rows[0].clone()]));
    assert!(parsed.is_empty());
    let named: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(named, vec!["名前", "氏名"]);
    assert!(errors.iter().all(|e| e.line == 1));
    let (_, errors) = parse_entries("\r\n,,\r\n");
    assert!(errors[0].message.contains("データがありません"));
    // Columns in another order are read by their headers.
    let mut cells: Vec<&str> = header.split(',').collect();
    cells.swap(0, 2);
    let mut values: Vec<&str> = rows[0].split(',').collect();
    values.swap(0, 2);
    let (parsed, errors) = parse_entries(&join(&[cells.join(","), values.join(",")]));
    assert_eq!(errors, Vec::new());
    assert_eq!(parsed[0].draft.name, "消防　太郎");
}

#[test]
fn garbage_and_binary_files_are_refused() {
    // 10 MB of pseudo-random bytes.
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let garbage: Vec<u8> = (0..10 * 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 56) as u8
        })
        .collect();
    assert!(matches!(decode(&garbage), Err(FileError::Binary { .. })));
    assert!(matches!(
        decode(b"PK\x03\x04\x14\x00\x06\x00"),
        Err(FileError::Binary { offset: 5 })
    ));
    assert!(matches!(
        decode(b"abc\x01\x02\x03\x04def"),
        Err(FileError::Binary { offset: 3 })
    ));
    assert_eq!(decode(b""), Err(FileError::Empty));
    // Neither UTF-8 nor CP932: the first bad byte is named with its line.
    let error = decode(b"ab\ncd\xFFe").unwrap_err();
    assert_eq!(
        error,
        FileError::Undecodable {
            offset: 5,
            line: 2,
            byte: 0xFF
        }
    );
    let message = error.to_string();
    assert!(
        message.contains("2行目") && message.contains("0xFF"),
        "{message}"
    );
    // A BOM promises UTF-8.
    assert!(matches!(
        decode(b"\xEF\xBB\xBFab\x82\xA0"),
        Err(FileError::Undecodable { offset: 5, .. })
    ));
}

#[test]
fn over_size_files_are_refused_before_decoding() {
    let big = vec![b'a'; MAX_FILE_BYTES + 1];
    let error = decode(&big).unwrap_err();
    assert!(matches!(error, FileError::TooLarge { .. }));
    assert!(error.to_string().contains("20MB"));
    assert!(decode(&big[..MAX_FILE_BYTES]).is_ok());
}

#[test]
fn cp932_specific_characters_decode() {
    // ① and ～ are CP932 (Windows-31J) extensions of Shift_JIS.
    let bytes = cp932("①～髙");
    assert_eq!(decode(&bytes).unwrap(), "①～髙");
}

fn write_record(fields: &[String]) -> String {
    fields
        .iter()
        .map(|field| format!("\"{}\"", field.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(",")
}

proptest! {
    #[test]
    fn the_reader_never_panics_on_strings(text in any::<String>()) {
        let _ = read_csv(&text);
        let _ = parse_entries(&text);
    }

    #[test]
    fn the_checker_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = check_file(&bytes, now());
    }

    #[test]
    fn quoted_records_read_back(records in proptest::collection::vec(
        proptest::collection::vec("[a-z,\"\n 　あ]{0,6}", 1..5), 1..5)
    ) {
        let text: String = records.iter().map(|r| write_record(r) + "\r\n").collect();
        let read = read_csv(&text).unwrap();
        let fields: Vec<Vec<String>> = read.into_iter().map(|r| r.fields).collect();
        prop_assert_eq!(fields, records);
    }
}

// R: C-02 — CSV downloads.

fn export_rows() -> Vec<ExportRow> {
    let form1 = check_file(FORM1, now()).unwrap();
    form1
        .valid
        .into_iter()
        .enumerate()
        .map(|(index, row)| ExportRow {
            state: if index == 1 { "退去" } else { "避難" }.to_string(),
            record_id: format!("R-{index}"),
            received_at: "2026-12-01 09:00".to_string(),
            departed_on: if index == 1 { "2026-12-02" } else { "" }.to_string(),
            deleted_reason: String::new(),
            duplicate: false,
            draft: row.draft,
        })
        .collect()
}

#[test]
fn a_cp932_download_decodes_and_reads_back_to_the_same_fields() {
    let rows = export_rows();
    let heading = export_heading("訓練：地震", true, "2026-12-05 10:00");
    let bytes = write_entries_csv(&rows, OutEncoding::Cp932, &heading).unwrap();
    let (text, encoding) = decode_detected(&bytes).unwrap();
    assert_eq!(encoding, TextEncoding::Cp932);
    let records = read_csv(&text).unwrap();
    assert_eq!(records[0].fields, vec![heading.clone()]);
    assert!(heading.contains("【訓練】") && heading.contains("訓練：地震"));
    assert_eq!(records[1].fields, export_header());
    assert_eq!(records.len(), 2 + rows.len());
    for (record, row) in records[2..].iter().zip(&rows) {
        assert_eq!(record.fields[0], row.state);
        assert_eq!(record.fields[1], row.record_id);
        assert_eq!(record.fields[2], row.received_at);
        assert_eq!(record.fields[3], row.departed_on);
        assert_eq!(record.fields[4], row.deleted_reason);
        assert_eq!(record.fields[5], "");
        let mut draft = EntryDraft::default();
        for (column, cell) in COLUMNS.iter().zip(&record.fields[LEADING_COLUMNS.len()..]) {
            template::set_cell(&mut draft, column, cell).unwrap();
        }
        assert_eq!(draft, row.draft);
    }
    // And the whole file imports back as the template.
    let checked = check_file(&bytes, now()).unwrap();
    assert_eq!(checked.errors, Vec::new());
    let drafts: Vec<_> = checked.valid.into_iter().map(|row| row.draft).collect();
    let expected: Vec<_> = rows.into_iter().map(|row| row.draft).collect();
    assert_eq!(drafts, expected);
    assert_eq!(
        export_heading("地震", false, "x"),
        format!("{HEADING_PREFIX} 【実事案】 地震 書出し日時 x")
    );
}

#[test]
fn downloads_end_lines_with_crlf_and_quote_what_needs_it() {
    let mut rows = export_rows();
    rows[0].draft.remarks = "a,b \"c\"\nd\re".to_string();
    let bytes = write_entries_csv(&rows, OutEncoding::Utf8Bom, "見出し").unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.ends_with("\r\n"));
    assert!(text.contains(",\"a,b \"\"c\"\"\nd\re\"\r\n"), "{text}");
    // Every line end outside quoted fields is CRLF: strip the quoted fields, then no
    // lone LF or CR is left.
    let mut outside = String::new();
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted {
            outside.push(c);
        }
    }
    assert_eq!(
        outside.matches('\n').count(),
        outside.matches("\r\n").count()
    );
    assert_eq!(
        outside.matches('\r').count(),
        outside.matches("\r\n").count()
    );
    assert_eq!(outside.matches("\r\n").count(), 2 + rows.len());
    let records = read_csv(text).unwrap();
    // The reader keeps a quoted line break as LF.
    assert_eq!(records[2].fields.last().unwrap(), "a,b \"c\"\nd\ne");
    // UTF-8 reads back through the import too (without the CR, which the entry
    // validation refuses).
    rows[0].draft.remarks = "a,b \"c\"\nd".to_string();
    let heading = export_heading("地震", false, "2026-12-05 10:00");
    let bytes = write_entries_csv(&rows, OutEncoding::Utf8Bom, &heading).unwrap();
    let checked = check_file(&bytes, now()).unwrap();
    assert_eq!(checked.errors, Vec::new());
    assert_eq!(checked.encoding, TextEncoding::Utf8WithBom);
    assert_eq!(checked.valid.len(), rows.len());
}

#[test]
fn formula_cells_are_neutralised() {
    for cell in ["=1+1", "+81-3-1234", "-2", "@SUM(A1)", "\tx", "\rx"] {
        assert_eq!(neutralise(cell), format!("'{cell}"));
    }
    for cell in ["", "山田", "1=1", "'=x", " =x"] {
        assert_eq!(neutralise(cell), cell);
    }
    let mut rows = export_rows();
    rows[0].draft.remarks = "=HYPERLINK(\"http://x\")".to_string();
    rows[0].draft.contact = "+81 90".to_string();
    rows[0].draft.name = "@山田".to_string();
    rows[0].state = "-".to_string();
    let bytes = write_entries_csv(&rows, OutEncoding::Utf8Bom, "=見出し").unwrap();
    let records = read_csv(std::str::from_utf8(&bytes[3..]).unwrap()).unwrap();
    assert_eq!(records[0].fields[0], "'=見出し");
    let cell = |header: &str| {
        let index = export_header().iter().position(|h| *h == header).unwrap();
        records[2].fields[index].clone()
    };
    assert_eq!(cell("備考"), "'=HYPERLINK(\"http://x\")");
    assert_eq!(cell("連絡先その他必要情報"), "'+81 90");
    assert_eq!(cell("氏名"), "'@山田");
    assert_eq!(cell("状態"), "'-");
    for record in &records {
        for field in &record.fields {
            assert!(
                !field.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{field:?}"
            );
        }
    }
}

// R: A-04 — a download imports back with its states and its cells as typed.

#[test]
fn a_download_imports_back_with_departures_deletions_and_formula_cells_as_typed() {
    let mut rows = export_rows();
    rows[0].draft.contact = "+81 90-1234-5678".to_string();
    rows[0].draft.remarks = "=本人申告".to_string();
    rows[0].state = "削除".to_string();
    rows[0].deleted_reason = "-重複のため".to_string();
    rows[0].duplicate = true;
    let heading = export_heading("地震", false, "2026-12-05 10:00");
    let bytes = write_entries_csv(&rows, OutEncoding::Cp932, &heading).unwrap();
    let checked = check_file(&bytes, now()).unwrap();
    assert_eq!(checked.errors, Vec::new());
    assert_eq!(checked.valid.len(), rows.len());
    let first = &checked.valid[0];
    assert_eq!(first.draft, rows[0].draft);
    assert_eq!(first.restore.deleted_reason.as_deref(), Some("-重複のため"));
    assert_eq!(first.restore.departed_on, None);
    assert!(first.restore.duplicate);
    assert!(!checked.valid[1].restore.duplicate);
    let second = &checked.valid[1];
    assert_eq!(second.restore.departed_on.as_deref(), Some("2026-12-02"));
    assert_eq!(second.restore.deleted_reason, None);
    // A template file (no state columns) restores nothing.
    assert!(
        check_file(FORM1, now())
            .unwrap()
            .valid
            .iter()
            .all(|row| row.restore == Restore::default())
    );
    // Only the neutralising quote is taken off.
    assert_eq!(unneutralise("'=x"), "=x");
    assert_eq!(unneutralise("'\tx"), "\tx");
    assert_eq!(unneutralise("'x"), "'x");
    assert_eq!(unneutralise("x'=y"), "x'=y");
}

#[test]
fn a_character_cp932_cannot_hold_is_refused_naming_the_column() {
    let mut rows = export_rows();
    rows[1].draft.remarks = "🙂".to_string();
    let error = write_entries_csv(&rows, OutEncoding::Cp932, "見出し").unwrap_err();
    assert_eq!(
        error,
        FileError::Unrepresentable {
            record: "2件目（安否情報ID R-1）".to_string(),
            column: "備考".to_string(),
            character: '🙂',
        }
    );
    assert!(error.to_string().contains("「備考」列"), "{error}");
    // UTF-8 holds it.
    let bytes = write_entries_csv(&rows, OutEncoding::Utf8Bom, "見出し").unwrap();
    assert!(String::from_utf8(bytes).unwrap().contains("🙂"));
}

#[test]
fn an_undecodable_byte_is_named_on_the_line_the_reader_counts() {
    // Found by the `csv_reader` fuzz target (fuzz/seeds/csv_reader/cr-then-bad-byte):
    // a lone CR ends a line for the reader ("CSV (Macintosh)" files), so the decoder
    // must count it too.
    assert_eq!(
        decode(b"\r\xFF"),
        Err(FileError::Undecodable {
            offset: 1,
            line: 2,
            byte: 0xFF
        })
    );
    let error = decode(b"a,b\rc,d\r\ne\n\xFF").unwrap_err();
    assert!(
        matches!(error, FileError::Undecodable { line: 4, .. }),
        "{error:?}"
    );
    assert_eq!(read_csv("a,b\rc,d\r\ne\nf").unwrap()[3].line, 4);
}
