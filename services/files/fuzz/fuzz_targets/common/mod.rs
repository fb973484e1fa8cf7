//! Helpers shared by the targets: line counting as the reader counts, the expected
//! cells of a download read back, and the CP932 checks.

#![allow(dead_code)]

use anpi_core::entry::EntryDraft;
use anpi_files::template::{COLUMNS, get_cell, set_cell};
use anpi_files::{FileError, neutralise, unneutralise};
use encoding_rs::SHIFT_JIS;

/// Line breaks as the reader counts them: CRLF, LF and a lone CR are one each.
pub fn line_breaks(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

/// Whether the text ends with a line break.
pub fn ends_with_break(bytes: &[u8]) -> bool {
    matches!(bytes.last(), Some(b'\r' | b'\n'))
}

/// Whether CP932 (the encoder of `write_entries_csv`) cannot represent `c`.
pub fn unmappable(c: char) -> bool {
    let mut buffer = [0; 4];
    SHIFT_JIS.encode(c.encode_utf8(&mut buffer)).2
}

/// The substitutions of the Shift_JIS encoder (WHATWG Encoding Standard): `¥` and `‾`
/// are written as the ASCII bytes 0x5C and 0x7E, which read back as `\` and `~`, and
/// MINUS SIGN U+2212 as FULLWIDTH HYPHEN-MINUS U+FF0D.
pub fn cp932_substitute(c: char) -> char {
    match c {
        '\u{A5}' => '\\',
        '\u{203E}' => '~',
        '\u{2212}' => '\u{FF0D}',
        other => other,
    }
}

/// A cell of a download as the reader gives it back: neutralised against formulas,
/// passed through the CP932 substitutions if written in CP932, and with a quoted CR
/// or CRLF read as LF.
pub fn read_back(cell: &str, cp932: bool) -> String {
    let cell = neutralise(cell);
    let cell: String = if cp932 {
        cell.chars().map(cp932_substitute).collect()
    } else {
        cell
    };
    cell.replace("\r\n", "\n").replace('\r', "\n")
}

/// A cell of a download as the import takes it: read back, then `unneutralise`d.
pub fn imported(cell: &str, cp932: bool) -> String {
    unneutralise(&read_back(cell, cp932)).to_string()
}

/// Whether the import cannot give `cell` back as typed: a cell typed with a leading
/// `'` before a formula character (`'=x`) looks neutralised and loses the `'`; a cell
/// beginning with CR is neutralised, but the CR is read as LF and the `'` is kept
/// (the entry validation refuses CR in every field, so no stored record has one).
pub fn ambiguous(cell: &str) -> bool {
    cell.starts_with('\r')
        || cell
            .strip_prefix('\'')
            .is_some_and(|rest| rest.starts_with(['=', '+', '-', '@', '\t', '\r']))
}

/// A cell of a download as typed, but for the CP932 substitutions and CR read as LF:
/// what the import gives back unless the cell is [`ambiguous`].
pub fn as_typed(cell: &str, cp932: bool) -> String {
    let cell: String = if cp932 {
        cell.chars().map(cp932_substitute).collect()
    } else {
        cell.to_string()
    };
    cell.replace("\r\n", "\n").replace('\r', "\n")
}

/// Checks one imported cell against the cell written: it is [`imported`], and unless
/// [`ambiguous`], [`as_typed`].
pub fn check_imported_cell(written: &str, read: &str, cp932: bool, what: &str) {
    assert_eq!(read, imported(written, cp932), "{what}: {written:?}");
    if !ambiguous(written) {
        assert_eq!(
            read,
            as_typed(written, cp932),
            "{what}: {written:?} not as typed"
        );
    }
}

/// Checks the draft an import of a download of `draft` gives, column by column.
pub fn check_imported_draft(draft: &EntryDraft, read: &EntryDraft, cp932: bool) {
    for column in COLUMNS.iter() {
        check_imported_cell(
            &get_cell(draft, column),
            &get_cell(read, column),
            cp932,
            column.header,
        );
    }
    // The columns cover the whole draft: set cell by cell, it is the same draft.
    let mut rebuilt = EntryDraft::default();
    for column in COLUMNS.iter() {
        let cell = get_cell(read, column);
        set_cell(&mut rebuilt, column, &cell)
            .unwrap_or_else(|message| panic!("{}: {cell:?}: {message}", column.header));
    }
    assert_eq!(&rebuilt, read);
}

/// Checks a refusal of a CP932 download: the character is one CP932 cannot hold.
pub fn check_unrepresentable(error: &FileError) {
    match error {
        FileError::Unrepresentable {
            column, character, ..
        } => {
            assert!(
                unmappable(*character),
                "{character:?} in {column} is mappable"
            );
        }
        other => panic!("unexpected write error {other:?}"),
    }
}

/// Whether the bytes hold a byte the binary check counts (NUL or a control byte
/// other than tab, CR and LF).
pub fn has_control(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7F)
}
