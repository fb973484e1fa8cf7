//! An RFC 4180 CSV reader. R: C-01.
//!
//! Comma separated; a field may be enclosed in double quotes, inside which `""` is a
//! quote and commas and line breaks are text; records end with CRLF, LF or a lone CR;
//! the last record may lack its line end. A line break inside a quoted field is kept
//! as LF (Excel writes a cell's line break as LF; CRLF inside quotes becomes LF too).
//! A quote inside an unquoted field is taken literally, as Excel does. Every record
//! carries the physical line it starts on, for error messages.

use std::fmt;

/// One record and the 1-based physical line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRecord {
    pub line: usize,
    pub fields: Vec<String>,
}

impl CsvRecord {
    /// Only empty fields (a blank line, or `,,,` as spreadsheets write).
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|field| field.trim().is_empty())
    }
}

/// A file that is not well-formed CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvError {
    /// A quoted field opened on `line` is never closed.
    UnterminatedQuote { line: usize },
    /// Text follows the closing quote of a field on `line` (`"abc"d`).
    TextAfterQuote { line: usize },
}

impl CsvError {
    pub fn line(&self) -> usize {
        match self {
            CsvError::UnterminatedQuote { line } | CsvError::TextAfterQuote { line } => *line,
        }
    }
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvError::UnterminatedQuote { line } => write!(
                f,
                "{line}行目で始まる「\"」で囲まれた項目が閉じられていません。引用符（\"）の対応を確認してください"
            ),
            CsvError::TextAfterQuote { line } => write!(
                f,
                "{line}行目: 「\"」で囲まれた項目の後に文字があります。項目中の「\"」は「\"\"」と2つ重ねてください"
            ),
        }
    }
}

impl std::error::Error for CsvError {}

/// Reads every record of `text`. A leading byte order mark is skipped.
pub fn read_csv(text: &str) -> Result<Vec<CsvRecord>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut record_line = 1;
    let mut field_start = true;
    let mut in_record = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if field_start => {
                let quote_line = line;
                loop {
                    match chars.next() {
                        None => return Err(CsvError::UnterminatedQuote { line: quote_line }),
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some('\r') => {
                            if chars.peek() == Some(&'\n') {
                                chars.next();
                            }
                            field.push('\n');
                            line += 1;
                        }
                        Some('\n') => {
                            field.push('\n');
                            line += 1;
                        }
                        Some(other) => field.push(other),
                    }
                }
                match chars.peek() {
                    None | Some(',' | '\r' | '\n') => {}
                    Some(_) => return Err(CsvError::TextAfterQuote { line }),
                }
                field_start = false;
                in_record = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                field_start = true;
                in_record = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                fields.push(std::mem::take(&mut field));
                records.push(CsvRecord {
                    line: record_line,
                    fields: std::mem::take(&mut fields),
                });
                line += 1;
                record_line = line;
                field_start = true;
                in_record = false;
            }
            other => {
                field.push(other);
                field_start = false;
                in_record = true;
            }
        }
    }
    if in_record {
        fields.push(field);
        records.push(CsvRecord {
            line: record_line,
            fields,
        });
    }
    Ok(records)
}
