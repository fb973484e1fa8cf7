//! Text encoding detection for uploaded files. R: C-01.
//!
//! A byte order mark means UTF-8; text that is valid UTF-8 is UTF-8; anything else is
//! read as Shift_JIS in its Windows form (CP932, what Excel writes), and refused if any
//! byte sequence is not CP932. Binary data and over-size files are refused before any
//! decoding.

use std::fmt;

use encoding_rs::{DecoderResult, SHIFT_JIS};

/// The largest file accepted, in bytes (20 MB).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// Control bytes (other than tab, CR and LF) allowed per this many bytes before a file
/// is taken for binary data.
const CONTROL_BYTES_PER: usize = 100;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf8WithBom,
    /// Shift_JIS / CP932 (Windows-31J).
    Cp932,
}

impl TextEncoding {
    pub fn label_ja(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8WithBom => "UTF-8（BOM付き）",
            TextEncoding::Cp932 => "Shift_JIS（CP932）",
        }
    }
}

/// Why a file could not be read as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// The file is empty.
    Empty,
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge { size: usize, limit: usize },
    /// NUL bytes or many control bytes: not a text file. Offsets are 0-based.
    Binary { offset: usize },
    /// Neither UTF-8 nor CP932: the first byte sequence that is not CP932.
    Undecodable {
        offset: usize,
        line: usize,
        byte: u8,
    },
    /// A download in CP932 holds a character CP932 cannot represent (C-02).
    Unrepresentable {
        /// Which record (e.g. `2件目（安否情報ID …）`).
        record: String,
        /// The column's header text.
        column: String,
        character: char,
    },
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Empty => write!(f, "ファイルが空です"),
            FileError::TooLarge { size, limit } => write!(
                f,
                "ファイルが大きすぎます（{size}バイト）。{limit}バイト（{}MB）以下に分割してください",
                limit / (1024 * 1024)
            ),
            FileError::Binary { offset } => write!(
                f,
                "テキストファイルではありません（{}バイト目に制御文字があります）。CSV形式（Shift_JISまたはUTF-8）で保存してください",
                offset + 1
            ),
            FileError::Undecodable { offset, line, byte } => write!(
                f,
                "文字コードを判別できません。{line}行目（{}バイト目、0x{byte:02X}）はUTF-8でもShift_JIS（CP932）でもありません。表せない文字（機種依存文字等）を確認し、Shift_JISまたはUTF-8で保存し直してください",
                offset + 1
            ),
            FileError::Unrepresentable {
                record,
                column,
                character,
            } => write!(
                f,
                "{record}の「{column}」列の文字「{character}」（U+{:04X}）はShift_JIS（CP932）で表せません。UTF-8（--encoding utf8）で書き出してください",
                u32::from(*character)
            ),
        }
    }
}

impl std::error::Error for FileError {}

/// Decodes an uploaded text file. See the module documentation.
pub fn decode(bytes: &[u8]) -> Result<String, FileError> {
    decode_detected(bytes).map(|(text, _)| text)
}

/// Decodes an uploaded text file and says which encoding it was in.
pub fn decode_detected(bytes: &[u8]) -> Result<(String, TextEncoding), FileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileError::TooLarge {
            size: bytes.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    check_binary(bytes)?;
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return match std::str::from_utf8(rest) {
            Ok(text) => Ok((text.to_string(), TextEncoding::Utf8WithBom)),
            Err(error) => {
                let offset = UTF8_BOM.len() + error.valid_up_to();
                Err(FileError::Undecodable {
                    offset,
                    line: line_of(bytes, offset),
                    byte: bytes[offset],
                })
            }
        };
    }
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), TextEncoding::Utf8));
    }
    decode_cp932(bytes).map(|text| (text, TextEncoding::Cp932))
}

fn check_binary(bytes: &[u8]) -> Result<(), FileError> {
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(FileError::Binary { offset });
    }
    let is_control = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7F;
    let controls = bytes.iter().filter(|&&b| is_control(b)).count();
    if controls > 0 && controls * CONTROL_BYTES_PER >= bytes.len() {
        let offset = bytes.iter().position(|&b| is_control(b)).unwrap_or(0);
        return Err(FileError::Binary { offset });
    }
    Ok(())
}

fn decode_cp932(bytes: &[u8]) -> Result<String, FileError> {
    let mut decoder = SHIFT_JIS.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 3);
    let mut text = String::with_capacity(capacity);
    let mut read_total = 0;
    loop {
        let (result, read) =
            decoder.decode_to_string_without_replacement(&bytes[read_total..], &mut text, true);
        read_total += read;
        match result {
            DecoderResult::InputEmpty => return Ok(text),
            DecoderResult::OutputFull => text.reserve(bytes.len() - read_total + 16),
            DecoderResult::Malformed(bad, extra) => {
                let offset = read_total
                    .saturating_sub(extra as usize)
                    .saturating_sub(bad as usize);
                return Err(FileError::Undecodable {
                    offset,
                    line: line_of(bytes, offset),
                    byte: bytes.get(offset).copied().unwrap_or(0),
                });
            }
        }
    }
}

/// The 1-based line of a byte offset, counted as the CSV reader counts lines: CRLF,
/// LF and a lone CR each end one (a file saved with CR line ends, as "CSV
/// (Macintosh)" is, names the same line here as in the reader's errors).
fn line_of(bytes: &[u8], offset: usize) -> usize {
    let before = &bytes[..offset.min(bytes.len())];
    before
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
        + 1
}
