//! The roll-call directory files (安否確認の組織・職員ファイル). R: K-01.
//!
//! Two CSV files bring an organisation's directory into the node and take it out
//! again: the organisations ([`ORG_COLUMNS`]: code, name, the code of the organisation
//! above) and the members ([`MEMBER_COLUMNS`]: member code, name, the codes of the
//! organisations they belong to, their mail addresses). Reading ([`parse_orgs`],
//! [`parse_members`]) decodes the file as [`decode`] does (UTF-8 with or
//! without BOM, or CP932; 20 MB at most), reads it with [`read_csv`],
//! finds the columns by their header text, takes off the `'` a download put before a
//! formula-like cell and checks each row with the domain's own parsing
//! ([`Organisation::parse`], [`Member::parse`]). Every problem of every row is reported
//! with its physical line and the column's header text; nothing is returned unless the
//! whole file is good. The same code twice in one file is an error; parents need not
//! be in the file (an import may name organisations the node already holds, and the
//! node checks the merged tree).
//!
//! Writing ([`write_orgs_csv`], [`write_members_csv`]) gives the header line and one
//! row per organisation in tree order or per member by code, with several codes or
//! addresses in one cell separated by a single space; lines end with CRLF, every cell
//! is neutralised against formula injection, and the file is CP932 (a character CP932
//! cannot represent is refused, naming the row and the column) or UTF-8 with a byte
//! order mark. What is written reads back to the same values.

use std::collections::BTreeMap;
use std::fmt;

use anpi_core::rollcall::contact::Contacts;
use anpi_core::rollcall::{Member, MemberCode, OrgCode, OrgTree, Organisation};
use anpi_core::validation::FieldError;
use encoding_rs::SHIFT_JIS;

use crate::write::quote;
use crate::{
    CsvError, CsvRecord, FileError, OutEncoding, decode, neutralise, read_csv, unneutralise,
};

/// The header of the organisation file, in the order it is written.
pub const ORG_COLUMNS: [&str; 3] = ["組織コード", "組織名", "上位組織コード"];

/// The header of the member file, in the order it is written.
pub const MEMBER_COLUMNS: [&str; 4] = ["職員番号", "氏名", "所属組織コード", "メールアドレス"];

/// The header of the emergency-contact file (K-05): what the download of members
/// without contacts writes and what the import reads (氏名 is there for the person
/// filling it in; the import does not read it). Several phone numbers or addresses in
/// one cell are separated by commas (in a quoted cell) or spaces (addresses only).
pub const CONTACT_COLUMNS: [&str; 4] = ["職員番号", "氏名", "電話番号", "緊急連絡先メールアドレス"];

/// The header of the contact check results (K-05, page 07 ②): one line per address.
pub const CHECK_COLUMNS: [&str; 7] = [
    "職員番号",
    "氏名",
    "所属",
    "緊急連絡先メールアドレス",
    "確認状況",
    "送信日時",
    "確認日時",
];

/// One problem of one line of a directory file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based physical line (the header is line 1 unless blank lines precede it).
    pub line: usize,
    /// The column's header text; empty when the problem is the whole line's.
    pub column: String,
    /// What is wrong and what to do, in Japanese.
    pub message: String,
}

/// Why a directory file was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryFileError {
    /// The file could not be read as text (size, binary, encoding).
    File(FileError),
    /// The text is not well-formed CSV.
    Csv(CsvError),
    /// Problems of the header or of rows, sorted by line.
    Lines(Vec<LineError>),
}

impl fmt::Display for DirectoryFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirectoryFileError::File(error) => error.fmt(f),
            DirectoryFileError::Csv(error) => error.fmt(f),
            DirectoryFileError::Lines(errors) => {
                for (index, error) in errors.iter().enumerate() {
                    if index > 0 {
                        f.write_str("\n")?;
                    }
                    if error.column.is_empty() {
                        write!(f, "{}行目: {}", error.line, error.message)?;
                    } else {
                        write!(
                            f,
                            "{}行目「{}」: {}",
                            error.line, error.column, error.message
                        )?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for DirectoryFileError {}

fn line_error(line: usize, column: &str, message: impl Into<String>) -> LineError {
    LineError {
        line,
        column: column.to_string(),
        message: message.into(),
    }
}

/// The header text of the column a domain field is read from.
fn column_of(error: &FieldError) -> &str {
    match error.field.as_str() {
        "org_code" => ORG_COLUMNS[0],
        "org_name" => ORG_COLUMNS[1],
        "org_parent" => ORG_COLUMNS[2],
        "member_code" => MEMBER_COLUMNS[0],
        "member_name" => MEMBER_COLUMNS[1],
        "member_orgs" => MEMBER_COLUMNS[2],
        "mail" => MEMBER_COLUMNS[3],
        "contact_phone" => CONTACT_COLUMNS[2],
        "contact_mail" => CONTACT_COLUMNS[3],
        _ => &error.label,
    }
}

/// The data rows of a file, each with its cells in the order of `columns` (neutralising
/// `'` taken off), or every problem of the file's text and header.
fn read_rows<const N: usize>(
    bytes: &[u8],
    columns: &[&str; N],
) -> Result<Vec<(usize, [String; N])>, DirectoryFileError> {
    let text = decode(bytes).map_err(DirectoryFileError::File)?;
    let records = read_csv(&text).map_err(DirectoryFileError::Csv)?;
    let mut records = records.into_iter().filter(|record| !record.is_blank());
    let Some(header) = records.next() else {
        return Err(DirectoryFileError::Lines(vec![line_error(
            1,
            "",
            format!(
                "見出し行がありません。1行目に見出し行（{}）、2行目以降に1件ずつ記入してください",
                columns.join(",")
            ),
        )]));
    };
    let places = read_header(&header, columns).map_err(DirectoryFileError::Lines)?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in records {
        if record.fields.len() != header.fields.len() {
            errors.push(line_error(
                record.line,
                "",
                format!(
                    "列の数が見出し行と合いません（見出し{}列、この行{}列）。項目中の「,」は項目全体を「\"」で囲んでください",
                    header.fields.len(),
                    record.fields.len()
                ),
            ));
            continue;
        }
        let cells = places.map(|place| unneutralise(&record.fields[place]).to_string());
        rows.push((record.line, cells));
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(line_error(
            header.line,
            "",
            "データ行がありません。見出し行の次の行から1件ずつ記入してください",
        ));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(DirectoryFileError::Lines(errors))
    }
}

/// Where each of `columns` is in the header: every one once, nothing else.
fn read_header<const N: usize>(
    header: &CsvRecord,
    columns: &[&str; N],
) -> Result<[usize; N], Vec<LineError>> {
    let mut places: [Option<usize>; N] = [None; N];
    let mut errors = Vec::new();
    for (index, cell) in header.fields.iter().enumerate() {
        let text = cell.trim();
        match columns.iter().position(|column| *column == text) {
            Some(at) if places[at].is_some() => errors.push(line_error(
                header.line,
                text,
                format!("見出し「{text}」が2回以上あります（{}列目）", index + 1),
            )),
            Some(at) => places[at] = Some(index),
            None if text.is_empty() => errors.push(line_error(
                header.line,
                "",
                format!(
                    "{}列目の見出しが空です。使える見出しは {} だけです（余分な列は削除してください）",
                    index + 1,
                    columns.join("・")
                ),
            )),
            None => errors.push(line_error(
                header.line,
                text,
                format!(
                    "見出し「{text}」（{}列目）はこのファイルにない列です。使える見出しは {} だけです",
                    index + 1,
                    columns.join("・")
                ),
            )),
        }
    }
    for (column, place) in columns.iter().zip(&places) {
        if place.is_none() {
            errors.push(line_error(
                header.line,
                column,
                format!("見出し行に「{column}」の列がありません"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(places.map(|place| place.unwrap_or_default()))
    } else {
        Err(errors)
    }
}

/// Errors for a code that is on more than one line: each later line names the first.
fn duplicates<K: Ord + fmt::Display>(
    codes: impl IntoIterator<Item = (usize, K)>,
    column: &str,
) -> Vec<LineError> {
    let mut first: BTreeMap<K, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    for (line, code) in codes {
        match first.get(&code) {
            Some(&at) => errors.push(line_error(
                line,
                column,
                format!("{column}「{code}」が{at}行目と{line}行目にあります。1つのファイルには1回だけ記入してください"),
            )),
            None => {
                first.insert(code, line);
            }
        }
    }
    errors
}

/// The rows as the domain reads them, or every problem sorted by line.
fn finish<T>(
    parsed: Vec<(usize, Result<T, Vec<FieldError>>)>,
    mut errors: Vec<LineError>,
) -> Result<Vec<T>, DirectoryFileError> {
    let mut good = Vec::new();
    for (line, result) in parsed {
        match result {
            Ok(value) => good.push(value),
            Err(field_errors) => errors.extend(field_errors.into_iter().map(|error| LineError {
                line,
                column: column_of(&error).to_string(),
                message: error.message,
            })),
        }
    }
    if errors.is_empty() {
        Ok(good)
    } else {
        errors.sort_by_key(|error| error.line);
        Err(DirectoryFileError::Lines(errors))
    }
}

/// Reads an organisation file. See the module documentation.
pub fn parse_orgs(bytes: &[u8]) -> Result<Vec<Organisation>, DirectoryFileError> {
    let rows = read_rows(bytes, &ORG_COLUMNS)?;
    let codes = rows
        .iter()
        .filter_map(|(line, [code, _, _])| OrgCode::parse(code).ok().map(|code| (*line, code)));
    let errors = duplicates(codes, ORG_COLUMNS[0]);
    let parsed = rows
        .iter()
        .map(|(line, [code, name, parent])| (*line, Organisation::parse(code, name, parent)))
        .collect();
    finish(parsed, errors)
}

/// Reads a member file. See the module documentation.
pub fn parse_members(bytes: &[u8]) -> Result<Vec<Member>, DirectoryFileError> {
    let rows = read_rows(bytes, &MEMBER_COLUMNS)?;
    let codes = rows
        .iter()
        .filter_map(|(line, [code, ..])| MemberCode::parse(code).ok().map(|code| (*line, code)));
    let errors = duplicates(codes, MEMBER_COLUMNS[0]);
    let parsed = rows
        .iter()
        .map(|(line, [code, name, orgs, mails])| (*line, Member::parse(code, name, orgs, mails)))
        .collect();
    finish(parsed, errors)
}

/// One row of an emergency-contact file: the member's code and contacts, with the
/// row's physical line (for the node's own checks: the member exists and the caller
/// may set their contacts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub line: usize,
    pub member: MemberCode,
    pub contacts: Contacts,
}

/// Reads an emergency-contact file (K-05), as the directory files are read: every
/// problem of every row by line and column, nothing unless the whole file is good.
/// Empty phone and address cells take the member's contacts away.
pub fn parse_contacts(bytes: &[u8]) -> Result<Vec<ContactRow>, DirectoryFileError> {
    let rows = read_rows(bytes, &CONTACT_COLUMNS)?;
    let codes = rows
        .iter()
        .filter_map(|(line, [code, ..])| MemberCode::parse(code).ok().map(|code| (*line, code)));
    let errors = duplicates(codes, CONTACT_COLUMNS[0]);
    let parsed = rows
        .iter()
        .map(|(line, [code, _name, phones, mails])| {
            let code = MemberCode::parse(code);
            let contacts = Contacts::parse(phones, mails);
            let row = match (code, contacts) {
                (Ok(member), Ok(contacts)) => Ok(ContactRow {
                    line: *line,
                    member,
                    contacts,
                }),
                (code, contacts) => Err(code
                    .err()
                    .into_iter()
                    .chain(contacts.err().into_iter().flatten())
                    .collect()),
            };
            (*line, row)
        })
        .collect();
    finish(parsed, errors)
}

/// Writes members with their contacts in the import's format, ordered by member code
/// (the download of members without contacts: filled in, it imports back).
pub fn write_contacts_csv(
    rows: &[(&Member, Option<&Contacts>)],
    encoding: OutEncoding,
) -> Result<Vec<u8>, String> {
    let mut sorted: Vec<&(&Member, Option<&Contacts>)> = rows.iter().collect();
    sorted.sort_by(|a, b| a.0.code.cmp(&b.0.code));
    let mut writer = Writer::new(encoding, &CONTACT_COLUMNS);
    for (index, (member, contacts)) in sorted.into_iter().enumerate() {
        let record = format!(
            "{}件目（職員番号 {}、{}）",
            index + 1,
            member.code,
            member.name
        );
        let phones = contacts.map_or(String::new(), |c| {
            c.phones
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        });
        let mails = contacts.map_or(String::new(), |c| {
            c.mails
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        });
        let cells = [member.code.to_string(), member.name.clone(), phones, mails];
        writer.line(&record, &CONTACT_COLUMNS, &cells)?;
    }
    Ok(writer.out)
}

/// Writes the contact check results, one line per address, as given (cells in the
/// order of [`CHECK_COLUMNS`]).
pub fn write_checks_csv(rows: &[[String; 7]], encoding: OutEncoding) -> Result<Vec<u8>, String> {
    let mut writer = Writer::new(encoding, &CHECK_COLUMNS);
    for (index, cells) in rows.iter().enumerate() {
        let record = format!("{}件目（職員番号 {}、{}）", index + 1, cells[0], cells[1]);
        writer.line(&record, &CHECK_COLUMNS, cells)?;
    }
    Ok(writer.out)
}

/// A file being written: its bytes so far.
pub(crate) struct Writer {
    encoding: OutEncoding,
    pub(crate) out: Vec<u8>,
}

impl Writer {
    /// An empty file (the BOM only, for UTF-8).
    pub(crate) fn start(encoding: OutEncoding) -> Writer {
        let out = match encoding {
            OutEncoding::Utf8Bom => b"\xEF\xBB\xBF".to_vec(),
            OutEncoding::Cp932 => Vec::new(),
        };
        Writer { encoding, out }
    }

    pub(crate) fn new(encoding: OutEncoding, header: &[&str]) -> Writer {
        let mut writer = Writer::start(encoding);
        let cells: Vec<String> = header.iter().map(|cell| cell.to_string()).collect();
        // The header is plain Japanese that CP932 holds.
        let _ = writer.line("見出し行", header, &cells);
        writer
    }

    /// Writes one line of `cells` (as typed) under `header`; `record` names the row in
    /// an error.
    pub(crate) fn line(
        &mut self,
        record: &str,
        header: &[&str],
        cells: &[String],
    ) -> Result<(), String> {
        let mut text = cells
            .iter()
            .map(|cell| quote(&neutralise(cell)))
            .collect::<Vec<_>>()
            .join(",");
        text.push_str("\r\n");
        match self.encoding {
            OutEncoding::Utf8Bom => self.out.extend_from_slice(text.as_bytes()),
            OutEncoding::Cp932 => {
                let (bytes, _, unmappable) = SHIFT_JIS.encode(&text);
                if unmappable {
                    let not_cp932 = |c: &char| {
                        let mut buffer = [0; 4];
                        SHIFT_JIS.encode(c.encode_utf8(&mut buffer)).2
                    };
                    for (column, cell) in header.iter().zip(cells) {
                        if let Some(character) = cell.chars().find(not_cp932) {
                            return Err(format!(
                                "{record}の「{column}」列の文字「{character}」（U+{:04X}）はShift_JIS（CP932）で表せません。UTF-8（BOM付き）で書き出すか、表せる文字に直してください",
                                u32::from(character)
                            ));
                        }
                    }
                }
                self.out.extend_from_slice(&bytes);
            }
        }
        Ok(())
    }
}

/// Writes the organisations of `tree`, in tree order. See the module documentation.
pub fn write_orgs_csv(tree: &OrgTree, encoding: OutEncoding) -> Result<Vec<u8>, String> {
    let mut writer = Writer::new(encoding, &ORG_COLUMNS);
    for (index, org) in tree.in_order().into_iter().enumerate() {
        let record = format!("{}件目（組織コード {}、{}）", index + 1, org.code, org.name);
        let parent = org
            .parent
            .as_ref()
            .map(OrgCode::to_string)
            .unwrap_or_default();
        let cells = [org.code.to_string(), org.name.clone(), parent];
        writer.line(&record, &ORG_COLUMNS, &cells)?;
    }
    Ok(writer.out)
}

/// Writes the members, ordered by member code. See the module documentation.
pub fn write_members_csv(members: &[Member], encoding: OutEncoding) -> Result<Vec<u8>, String> {
    let mut sorted: Vec<&Member> = members.iter().collect();
    sorted.sort_by(|a, b| a.code.cmp(&b.code));
    let mut writer = Writer::new(encoding, &MEMBER_COLUMNS);
    for (index, member) in sorted.into_iter().enumerate() {
        let record = format!(
            "{}件目（職員番号 {}、{}）",
            index + 1,
            member.code,
            member.name
        );
        let join = |items: Vec<&str>| items.join(" ");
        let cells = [
            member.code.to_string(),
            member.name.clone(),
            join(member.orgs.iter().map(OrgCode::as_str).collect()),
            join(member.mails.iter().map(|mail| mail.as_str()).collect()),
        ];
        writer.line(&record, &MEMBER_COLUMNS, &cells)?;
    }
    Ok(writer.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TextEncoding, decode_detected};

    const ORGS: &[u8] = include_bytes!("../../../schemas/csv/examples/rollcall_orgs.csv");
    const MEMBERS: &[u8] = include_bytes!("../../../schemas/csv/examples/rollcall_members.csv");

    const MEMBER_HEADER: &str = "職員番号,氏名,所属組織コード,メールアドレス";
    const ORG_HEADER: &str = "組織コード,組織名,上位組織コード";

    fn cp932(text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = SHIFT_JIS.encode(text);
        assert!(!unmappable, "the text is not representable in CP932");
        bytes.into_owned()
    }

    /// The lines joined with CRLF, as a UTF-8 file without BOM.
    fn file(lines: &[&str]) -> Vec<u8> {
        let mut text = lines.join("\r\n");
        text.push_str("\r\n");
        text.into_bytes()
    }

    fn line_errors(error: DirectoryFileError) -> Vec<LineError> {
        match error {
            DirectoryFileError::Lines(errors) => errors,
            other => panic!("expected line errors, got {other:?}"),
        }
    }

    /// (line, column) of each error.
    fn places(errors: &[LineError]) -> Vec<(usize, &str)> {
        errors.iter().map(|e| (e.line, e.column.as_str())).collect()
    }

    fn code(text: &str) -> OrgCode {
        OrgCode::parse(text).unwrap()
    }

    #[test]
    fn the_examples_parse() {
        let orgs = parse_orgs(ORGS).unwrap();
        assert_eq!(orgs.len(), 11);
        let tree = OrgTree::new(orgs).expect("the example holds every parent");
        assert_eq!(
            tree.path(&code("soumu.bousai.bousai")),
            "総務部 / 防災危機管理課 / 防災係"
        );

        let members = parse_members(MEMBERS).unwrap();
        assert!((8..=12).contains(&members.len()));
        for member in &members {
            member.check_orgs(&tree).unwrap();
        }
        let by_name = |name: &str| members.iter().find(|m| m.name == name).unwrap();
        assert_eq!(
            by_name("鈴木　一郎").orgs.len(),
            2,
            "one member in two organisations"
        );
        assert_eq!(
            by_name("佐藤　花子").mails.len(),
            2,
            "one member with two addresses"
        );
        assert!(
            by_name("中村　由美").mails.is_empty(),
            "one member without an address"
        );
        assert_eq!(
            decode_detected(MEMBERS).unwrap().1,
            TextEncoding::Utf8WithBom
        );
        assert_eq!(decode_detected(ORGS).unwrap().1, TextEncoding::Utf8WithBom);
    }

    #[test]
    fn written_files_read_back_to_the_same_values() {
        let tree = OrgTree::new(parse_orgs(ORGS).unwrap()).unwrap();
        let orgs: Vec<Organisation> = tree.in_order().into_iter().cloned().collect();
        let members = parse_members(MEMBERS).unwrap();
        for (encoding, detected) in [
            (OutEncoding::Cp932, TextEncoding::Cp932),
            (OutEncoding::Utf8Bom, TextEncoding::Utf8WithBom),
        ] {
            let bytes = write_orgs_csv(&tree, encoding).unwrap();
            assert_eq!(decode_detected(&bytes).unwrap().1, detected);
            assert_eq!(parse_orgs(&bytes).unwrap(), orgs, "{encoding:?}");

            let bytes = write_members_csv(&members, encoding).unwrap();
            assert_eq!(decode_detected(&bytes).unwrap().1, detected);
            assert_eq!(parse_members(&bytes).unwrap(), members, "{encoding:?}");
        }
        // The member example is sorted by code with single spaces: writing it gives it back.
        assert_eq!(
            write_members_csv(&members, OutEncoding::Utf8Bom).unwrap(),
            MEMBERS
        );
    }

    #[test]
    fn writing_orders_rows_and_ends_lines_with_crlf() {
        let tree = OrgTree::new(parse_orgs(ORGS).unwrap()).unwrap();
        let bytes = write_orgs_csv(&tree, OutEncoding::Utf8Bom).unwrap();
        let text = decode(&bytes).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        assert!(text.ends_with("\r\n"));
        assert!(!text.replace("\r\n", "").contains(['\r', '\n']));
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        assert_eq!(lines[0], ORG_HEADER);
        assert_eq!(lines[1], "kenkou,健康福祉部,");
        assert_eq!(lines[2], "kenkou.fukushi,福祉課,kenkou");
        assert_eq!(lines.len(), 12);

        let mut members = parse_members(MEMBERS).unwrap();
        members.reverse();
        let text = decode(&write_members_csv(&members, OutEncoding::Cp932).unwrap()).unwrap();
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        assert_eq!(lines[0], MEMBER_HEADER);
        assert!(lines[1].starts_with("S0012045,"), "by code: {}", lines[1]);
        assert!(
            text.contains(
                ",soumu.bousai.bousai kensetsu.doboku,suzuki.ichiro@city.example.lg.jp\r\n"
            ),
            "several codes in one cell, one space apart"
        );
    }

    #[test]
    fn a_cp932_file_with_japanese_parses() {
        let text = decode(MEMBERS).unwrap();
        let sjis = cp932(&text);
        assert_eq!(decode_detected(&sjis).unwrap().1, TextEncoding::Cp932);
        assert_eq!(
            parse_members(&sjis).unwrap(),
            parse_members(MEMBERS).unwrap()
        );
        let orgs = cp932(&decode(ORGS).unwrap());
        assert_eq!(parse_orgs(&orgs).unwrap(), parse_orgs(ORGS).unwrap());
    }

    #[test]
    fn every_bad_member_row_is_named_by_line_and_column() {
        let bytes = file(&[
            MEMBER_HEADER,
            "S001,山田　太郎,soumu,taro@example.jp",
            "S002,佐藤　花子,soumu,hanako＠example.jp",
            "",
            "S00 3,,soumu,",
            "S004,鈴木　一郎,,ichiro@example.jp ichiro@",
            "S005,田中　健二,soumu,a@example.jp b@example.jp c@example.jp d@example.jp e@example.jp f@example.jp",
        ]);
        let errors = line_errors(parse_members(&bytes).unwrap_err());
        assert_eq!(
            places(&errors),
            [
                (3, "メールアドレス"),
                (5, "職員番号"),
                (5, "氏名"),
                (6, "所属組織コード"),
                (6, "メールアドレス"),
                (7, "メールアドレス"),
            ],
            "{errors:?}"
        );
        assert!(errors[0].message.contains("全角"), "{}", errors[0].message);
        assert!(
            errors[1].message.contains("半角英数字"),
            "{}",
            errors[1].message
        );
        assert!(errors[2].message.contains("氏名を入力してください"));
        assert!(errors[3].message.contains("所属組織を1つ以上"));
        assert!(errors[4].message.contains("ichiro@"));
        assert!(errors[5].message.contains("5件まで"));
    }

    #[test]
    fn every_bad_org_row_is_named_by_line_and_column() {
        let bytes = file(&[
            ORG_HEADER,
            "soumu.bousai,防災危機管理課,soumu",
            "総務,総務部,",
            "kensetsu,,",
            "kenkou,健康福祉部,kenkou",
            "kikaku,企画部,企画",
            "shoubou,消防本部,",
        ]);
        let errors = line_errors(parse_orgs(&bytes).unwrap_err());
        assert_eq!(
            places(&errors),
            [
                (3, "組織コード"),
                (4, "組織名"),
                (5, "上位組織コード"),
                (6, "上位組織コード"),
            ],
            "{errors:?}"
        );
        assert!(
            errors[0].message.contains("「総務」"),
            "{}",
            errors[0].message
        );
        assert!(errors[1].message.contains("組織名を入力してください"));
        assert!(errors[2].message.contains("自分自身"));
        assert!(errors[3].message.contains("「企画」"));
    }

    #[test]
    fn parents_need_not_be_in_the_file() {
        let bytes = file(&[ORG_HEADER, "soumu.bousai.bousai,防災係,soumu.bousai"]);
        let orgs = parse_orgs(&bytes).unwrap();
        assert_eq!(orgs[0].parent, Some(code("soumu.bousai")));
    }

    #[test]
    fn the_same_code_twice_names_both_lines() {
        let bytes = file(&[
            ORG_HEADER,
            "soumu,総務部,",
            "kensetsu,建設部,",
            "kenkou,健康福祉部,",
            "kensetsu,建設局,",
        ]);
        let errors = line_errors(parse_orgs(&bytes).unwrap_err());
        assert_eq!(places(&errors), [(5, "組織コード")]);
        assert!(
            errors[0].message.contains("「kensetsu」が3行目と5行目"),
            "{}",
            errors[0].message
        );

        // Codes are compared as the domain reads them (spaces around are not part).
        let bytes = file(&[
            MEMBER_HEADER,
            "S001,山田　太郎,soumu,",
            "S002,佐藤　花子,soumu,",
            "S003,鈴木　一郎,soumu,",
            " S002 ,佐藤　花子,kenkou,",
        ]);
        let errors = line_errors(parse_members(&bytes).unwrap_err());
        assert_eq!(places(&errors), [(5, "職員番号")]);
        assert!(
            errors[0].message.contains("3行目と5行目"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn unknown_missing_and_repeated_columns_are_named() {
        let bytes = file(&["組織コード,組織名,上位組織,備考", "soumu,総務部,,"]);
        let errors = line_errors(parse_orgs(&bytes).unwrap_err());
        assert_eq!(
            places(&errors),
            [(1, "上位組織"), (1, "備考"), (1, "上位組織コード")],
            "{errors:?}"
        );
        assert!(errors[0].message.contains("3列目"));
        assert!(
            errors[2]
                .message
                .contains("「上位組織コード」の列がありません")
        );

        let bytes = file(&["職員番号,氏名,所属組織コード", "S001,山田　太郎,soumu"]);
        let errors = line_errors(parse_members(&bytes).unwrap_err());
        assert_eq!(places(&errors), [(1, "メールアドレス")]);

        let bytes = file(&["組織コード,組織名,組織名,上位組織コード,", "a,A,A,,"]);
        let errors = line_errors(parse_orgs(&bytes).unwrap_err());
        assert_eq!(places(&errors), [(1, "組織名"), (1, "")], "{errors:?}");
        assert!(errors[0].message.contains("2回以上"));
        assert!(errors[1].message.contains("5列目の見出しが空"));
    }

    #[test]
    fn columns_may_come_in_any_order_and_blank_lines_are_skipped() {
        let bytes = file(&[
            "",
            " メールアドレス ,所属組織コード,氏名,職員番号",
            ",,,",
            "taro@example.jp,soumu kenkou,山田　太郎,S001",
            "",
            "hanako＠example.jp,soumu,佐藤　花子,S002",
        ]);
        let errors = line_errors(parse_members(&bytes).unwrap_err());
        assert_eq!(places(&errors), [(6, "メールアドレス")], "physical lines");
        let good = file(&[
            "上位組織コード,組織コード,組織名",
            "soumu,soumu.soumu,総務課",
        ]);
        let orgs = parse_orgs(&good).unwrap();
        assert_eq!(orgs[0].code, code("soumu.soumu"));
        assert_eq!(orgs[0].name, "総務課");
    }

    #[test]
    fn wrong_column_counts_and_broken_csv_are_reported() {
        let bytes = file(&[
            ORG_HEADER,
            "soumu,総務部,",
            "kensetsu,建設部",
            "kenkou,健康,福祉部,",
        ]);
        let errors = line_errors(parse_orgs(&bytes).unwrap_err());
        assert_eq!(places(&errors), [(3, ""), (4, "")]);
        assert!(
            errors[0].message.contains("見出し3列、この行2列"),
            "{}",
            errors[0].message
        );

        let broken = file(&[ORG_HEADER, "soumu,\"総務部,"]);
        let error = parse_orgs(&broken).unwrap_err();
        assert_eq!(
            error,
            DirectoryFileError::Csv(CsvError::UnterminatedQuote { line: 2 })
        );
        assert_eq!(
            error.to_string(),
            CsvError::UnterminatedQuote { line: 2 }.to_string()
        );
    }

    #[test]
    fn empty_files_and_files_without_rows_are_refused() {
        assert_eq!(
            parse_members(b""),
            Err(DirectoryFileError::File(FileError::Empty))
        );
        let errors = line_errors(parse_orgs(&file(&[ORG_HEADER, "", ",,"])).unwrap_err());
        assert_eq!(places(&errors), [(1, "")]);
        assert!(errors[0].message.starts_with("データ行がありません"));
        let errors = line_errors(parse_orgs(b"\r\n,,\r\n").unwrap_err());
        assert!(errors[0].message.starts_with("見出し行がありません"));
        let binary = parse_orgs(b"\x00\x01\x02").unwrap_err();
        assert!(matches!(
            binary,
            DirectoryFileError::File(FileError::Binary { .. })
        ));
        assert!(
            binary
                .to_string()
                .contains("テキストファイルではありません")
        );
    }

    #[test]
    fn errors_read_one_per_line() {
        let bytes = file(&[MEMBER_HEADER, "S001,山田　太郎,soumu,taro", "S002,,soumu,"]);
        let error = parse_members(&bytes).unwrap_err();
        let text = error.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("2行目「メールアドレス」: "), "{text}");
        assert!(lines[1].starts_with("3行目「氏名」: "), "{text}");
        let whole = DirectoryFileError::Lines(vec![line_error(4, "", "列の数")]);
        assert_eq!(whole.to_string(), "4行目: 列の数");
    }

    #[test]
    fn a_character_cp932_lacks_is_refused_naming_the_member() {
        let members = vec![
            Member::parse("S001", "山田　太郎", "soumu", "").unwrap(),
            Member::parse("S002", "\u{20BB7}田　花子", "soumu", "").unwrap(),
        ];
        let error = write_members_csv(&members, OutEncoding::Cp932).unwrap_err();
        assert!(error.contains("職員番号 S002"), "{error}");
        assert!(error.contains("「氏名」列"), "{error}");
        assert!(error.contains("U+20BB7"), "{error}");
        let bytes = write_members_csv(&members, OutEncoding::Utf8Bom).unwrap();
        assert_eq!(parse_members(&bytes).unwrap(), members);

        let tree = OrgTree::new([Organisation::parse("a", "\u{2600}対策室", "").unwrap()]).unwrap();
        let error = write_orgs_csv(&tree, OutEncoding::Cp932).unwrap_err();
        assert!(error.contains("組織コード a"), "{error}");
        assert!(error.contains("「組織名」列"), "{error}");
    }

    #[test]
    fn formula_cells_round_trip() {
        let tree = OrgTree::new([
            Organisation::parse("-top", "=cmd|' /C calc'!A0", "").unwrap(),
            Organisation::parse("sub", "+総務部,企画課", "-top").unwrap(),
            Organisation::parse("other", "@SUM(1+1)", "").unwrap(),
        ])
        .unwrap();
        let members = vec![
            Member::parse(
                "-1",
                "=HYPERLINK(\"x\")",
                "-top sub",
                "-a@example.jp +b@example.jp",
            )
            .unwrap(),
            Member::parse("S2", "'引用符で始まる名前", "other", "=c@example.lg.jp").unwrap(),
        ];
        for encoding in [OutEncoding::Cp932, OutEncoding::Utf8Bom] {
            let bytes = write_orgs_csv(&tree, encoding).unwrap();
            let text = decode(&bytes).unwrap();
            for cell in [
                "'-top,'=cmd|' /C calc'!A0,",
                "sub,\"'+総務部,企画課\",'-top",
            ] {
                assert!(text.contains(cell), "{text}");
            }
            let orgs: Vec<Organisation> = tree.in_order().into_iter().cloned().collect();
            assert_eq!(parse_orgs(&bytes).unwrap(), orgs);

            let bytes = write_members_csv(&members, encoding).unwrap();
            let text = decode(&bytes).unwrap();
            assert!(
                text.contains(
                    "'-1,\"'=HYPERLINK(\"\"x\"\")\",'-top sub,'-a@example.jp +b@example.jp"
                ),
                "{text}"
            );
            let mut sorted = members.clone();
            sorted.sort_by(|a, b| a.code.cmp(&b.code));
            assert_eq!(parse_members(&bytes).unwrap(), sorted);
        }
        // A hand-made file: the `'` before a formula character is taken off, others stay.
        let bytes = file(&[MEMBER_HEADER, "S9,'=1+2,'-x,'abc@example.jp"]);
        let member = &parse_members(&bytes).unwrap()[0];
        assert_eq!(
            (member.name.as_str(), member.orgs[0].as_str()),
            ("=1+2", "-x")
        );
        assert_eq!(
            member.mails[0].as_str(),
            "'abc@example.jp",
            "not before a formula character"
        );
    }

    const CONTACTS: &[u8] = include_bytes!("../../../schemas/csv/examples/rollcall_contacts.csv");

    #[test]
    fn the_example_contact_file_reads_and_a_missing_list_imports_back() {
        let rows = parse_contacts(CONTACTS).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].member.as_str(), "S0013310");
        assert_eq!(rows[1].line, 3);
        let phones: Vec<&str> = rows[1].contacts.phones.iter().map(|p| p.as_str()).collect();
        assert_eq!(phones, ["080-2345-6789", "03-3456-7890"]);
        assert!(rows[2].contacts.mails.is_empty());
        // The same file as CP932 reads the same.
        let text = decode(CONTACTS).unwrap();
        assert_eq!(parse_contacts(&cp932(&text)).unwrap(), rows);

        let members = parse_members(MEMBERS).unwrap();
        let set = Contacts::parse("+81 90 1111 2222, 03-1111-2222", "x@example.jp").unwrap();
        let listed: Vec<(&Member, Option<&Contacts>)> = members
            .iter()
            .map(|m| (m, (m.code.as_str() == "S0012045").then_some(&set)))
            .collect();
        for encoding in [OutEncoding::Cp932, OutEncoding::Utf8Bom] {
            let bytes = write_contacts_csv(&listed, encoding).unwrap();
            let text = decode(&bytes).unwrap();
            assert!(text.starts_with("職員番号,氏名,電話番号,緊急連絡先メールアドレス\r\n"));
            assert!(
                text.contains(
                    "S0012045,山田　太郎,\"'+81 90 1111 2222, 03-1111-2222\",x@example.jp\r\n"
                ),
                "{text}"
            );
            assert!(text.contains("S0019034,中村　由美,,\r\n"), "{text}");
            let back = parse_contacts(&bytes).unwrap();
            assert_eq!(back.len(), members.len());
            assert_eq!(back[0].contacts, set);
            assert!(back[1].contacts.is_empty());
        }
    }

    #[test]
    fn a_bad_contact_file_names_each_line_and_column() {
        let bytes = file(&[
            "職員番号,氏名,電話番号,緊急連絡先メールアドレス",
            "S1,一,090-1234-5678,a@example.jp",
            ",二,12,b@example",
            "S1,三,,",
            "S4,四,03-1234-5678 内線5,",
        ]);
        let errors = line_errors(parse_contacts(&bytes).unwrap_err());
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            got,
            [
                (3, "職員番号"),
                (3, "電話番号"),
                (3, "緊急連絡先メールアドレス"),
                (4, "職員番号"),
                (5, "電話番号"),
            ],
            "{errors:?}"
        );
        assert!(errors[3].message.contains("2行目と4行目"), "{errors:?}");
        let missing = line_errors(
            parse_contacts(&file(&["職員番号,電話番号", "S1,090-1234-5678"])).unwrap_err(),
        );
        assert!(
            missing
                .iter()
                .any(|e| e.column == "緊急連絡先メールアドレス"),
            "{missing:?}"
        );
    }
}
