//! CSV downloads (CSVダウンロード) of the private area. R: C-02.
//!
//! The first line is a heading (the incident, its mode and the time of the download);
//! then the header row: the record's own columns ([`LEADING_COLUMNS`]) followed by the
//! 43 columns of the registration template ([`COLUMNS`]), so that the file imports back
//! with `anpi entry import`, which skips the heading line and the leading columns.
//! Lines end with CRLF; a field holding a comma, a quote, CR or LF is quoted. A cell
//! that begins with `=`, `+`, `-`, `@`, a tab or CR gets a leading `'`, so that a
//! spreadsheet never takes it for a formula. CP932 (Excel's default) refuses a
//! character it cannot represent, naming the record and the column; UTF-8 starts with a
//! byte order mark so that Excel reads it as UTF-8.

use anpi_core::entry::EntryDraft;
use encoding_rs::SHIFT_JIS;

use crate::FileError;
use crate::template::{COLUMNS, get_cell};

/// The heading line of a download begins with this text; the import skips it.
pub const HEADING_PREFIX: &str = "安否情報書出し";

/// The columns before the template's: the record's state, its ID, when the node
/// received it, its departure date and the reason it was deleted. The import skips
/// the first three and restores the last two (A-04: a download re-uploaded after a
/// purge keeps every record's departure and deletion).
pub const LEADING_COLUMNS: [&str; 6] = [
    "状態",
    "安否情報ID",
    "受信日時",
    "退去日",
    "削除理由",
    "重複除去",
];

/// The leading column that holds the departure date (YYYY-MM-DD).
pub const DEPARTED_COLUMN: &str = "退去日";
/// The leading column that holds the reason of a deletion.
pub const DELETED_COLUMN: &str = "削除理由";
/// The leading column marked 「○」 when automatic duplicate removal deleted the record.
pub const DUPLICATE_COLUMN: &str = "重複除去";

/// The encoding of a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutEncoding {
    /// Shift_JIS / CP932, what Excel opens by default.
    Cp932,
    /// UTF-8 with a byte order mark.
    Utf8Bom,
}

/// One record of a download.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportRow {
    /// 状態 (避難 / 負傷 / 死亡 / 退去 / 削除).
    pub state: String,
    /// 安否情報ID.
    pub record_id: String,
    /// 受信日時, as the caller wants it shown.
    pub received_at: String,
    /// 退去日 (YYYY-MM-DD), empty when the person has not left.
    pub departed_on: String,
    /// 削除理由, empty when the record is not deleted.
    pub deleted_reason: String,
    /// Deleted by automatic duplicate removal (重複除去 「○」).
    pub duplicate: bool,
    /// The entry as typed.
    pub draft: EntryDraft,
}

/// The heading line: `安否情報書出し 【訓練】 <incident> 書出し日時 <at>`.
pub fn export_heading(incident_name: &str, drill: bool, at: &str) -> String {
    let mode = if drill {
        "【訓練】"
    } else {
        "【実事案】"
    };
    format!("{HEADING_PREFIX} {mode} {incident_name} 書出し日時 {at}")
}

/// A cell neutralised against formula injection: a leading `'` when it begins with
/// `=`, `+`, `-`, `@`, a tab or CR.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// The cell as typed, from a neutralised one: the `'` that [`neutralise`] put before
/// `=`, `+`, `-`, `@`, a tab or CR is taken off again on import.
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// A field as written: quoted when it holds a comma, a quote, CR or LF.
pub(crate) fn quote(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// The header row's cells.
pub fn export_header() -> Vec<&'static str> {
    LEADING_COLUMNS
        .iter()
        .copied()
        .chain(COLUMNS.iter().map(|column| column.header))
        .collect()
}

/// Writes the records as a download file. See the module documentation.
pub fn write_entries_csv(
    records: &[ExportRow],
    encoding: OutEncoding,
    heading: &str,
) -> Result<Vec<u8>, FileError> {
    let mut out = match encoding {
        OutEncoding::Utf8Bom => b"\xEF\xBB\xBF".to_vec(),
        OutEncoding::Cp932 => Vec::new(),
    };
    let mut line = |cells: &[(String, &str, &str)]| -> Result<(), FileError> {
        let text: Vec<String> = cells.iter().map(|(cell, _, _)| quote(cell)).collect();
        let mut text = text.join(",");
        text.push_str("\r\n");
        match encoding {
            OutEncoding::Utf8Bom => out.extend_from_slice(text.as_bytes()),
            OutEncoding::Cp932 => {
                let (bytes, _, unmappable) = SHIFT_JIS.encode(&text);
                if unmappable {
                    // Find the cell, and the character, to name them.
                    for (cell, record, column) in cells {
                        if let Some(character) = cell.chars().find(|c| {
                            let mut buffer = [0; 4];
                            SHIFT_JIS.encode(c.encode_utf8(&mut buffer)).2
                        }) {
                            return Err(FileError::Unrepresentable {
                                record: record.to_string(),
                                column: column.to_string(),
                                character,
                            });
                        }
                    }
                }
                out.extend_from_slice(&bytes);
            }
        }
        Ok(())
    };
    line(&[(neutralise(heading), "見出し行", "見出し")])?;
    let header: Vec<(String, &str, &str)> = export_header()
        .into_iter()
        .map(|header| (header.to_string(), "", header))
        .collect();
    line(&header)?;
    for (index, record) in records.iter().enumerate() {
        let label = if record.record_id.is_empty() {
            format!("{}件目", index + 1)
        } else {
            format!("{}件目（安否情報ID {}）", index + 1, record.record_id)
        };
        let leading: [&str; 6] = [
            &record.state,
            &record.record_id,
            &record.received_at,
            &record.departed_on,
            &record.deleted_reason,
            if record.duplicate { "○" } else { "" },
        ];
        let mut cells: Vec<(String, &str, &str)> = LEADING_COLUMNS
            .iter()
            .zip(leading)
            .map(|(column, value)| (neutralise(value), label.as_str(), *column))
            .collect();
        cells.extend(COLUMNS.iter().map(|column| {
            (
                neutralise(&get_cell(&record.draft, column)),
                label.as_str(),
                column.header,
            )
        }));
        line(&cells)?;
    }
    Ok(out)
}

/// The columns of the publication list.
pub const PUBLICATION_COLUMNS: [&str; 3] = ["氏名", "年齢", "市区町村"];

/// The publication list's heading line: `公表一覧 【訓練】 <incident> 作成日時 <at>`.
pub fn publication_heading(incident_name: &str, drill: bool, at: &str) -> String {
    let mode = if drill { "訓練" } else { "実事案" };
    format!("公表一覧 【{mode}】 {incident_name} 作成日時 {at}（日本時間）")
}

/// Writes the publication list (X-04, 第5 4(4)): the heading line (incident, mode,
/// when), the header, then one line per person of `rows` (氏名, 年齢, 市区町村) — the
/// minimal information and nothing more. A character CP932 cannot hold is refused,
/// naming the line and column.
pub fn write_publication_csv(
    rows: &[[String; 3]],
    encoding: OutEncoding,
    heading: &str,
) -> Result<Vec<u8>, String> {
    let mut writer = crate::rollcall::Writer::start(encoding);
    writer.line("見出し", &["見出し"], &[heading.to_string()])?;
    let header: Vec<String> = PUBLICATION_COLUMNS.iter().map(|c| c.to_string()).collect();
    writer.line("見出し行", &PUBLICATION_COLUMNS, &header)?;
    for (index, row) in rows.iter().enumerate() {
        writer.line(
            &format!("{}人目（{}）", index + 1, row[0]),
            &PUBLICATION_COLUMNS,
            row,
        )?;
    }
    Ok(writer.out)
}

#[cfg(test)]
mod publication_tests {
    use super::*;

    // R: X-04, C-02 — the list's file: heading, header, the three columns only, CRLF,
    // formula injection neutralised; CP932 refuses what it cannot hold by line.
    #[test]
    fn the_publication_list_file() {
        let rows = [
            [
                "消防 太郎".to_string(),
                "45".to_string(),
                "東京都千代田区".to_string(),
            ],
            [
                "=HYPERLINK(1)".to_string(),
                String::new(),
                "国外".to_string(),
            ],
        ];
        let bytes =
            write_publication_csv(&rows, OutEncoding::Utf8Bom, "公表一覧 【訓練】 事案").unwrap();
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(
            text,
            "公表一覧 【訓練】 事案\r\n氏名,年齢,市区町村\r\n消防 太郎,45,東京都千代田区\r\n'=HYPERLINK(1),,国外\r\n"
        );
        let cp932 = write_publication_csv(&rows, OutEncoding::Cp932, "公表一覧").unwrap();
        assert_eq!(SHIFT_JIS.decode(&cp932).0.lines().count(), 4);
        let odd = [[
            "𠮷野 花子".to_string(),
            "3".to_string(),
            "東京都".to_string(),
        ]];
        let error = write_publication_csv(&odd, OutEncoding::Cp932, "公表一覧").unwrap_err();
        assert!(error.contains("1人目") && error.contains("氏名"), "{error}");
    }
}
