//! `/rollcall/directory`: the organisations (as a tree) and the members with their mail
//! addresses — a disaster-prevention administrator sees only the members of their
//! organisations (K-04) — the two CSV uploads (組織, 職員; every problem by line and
//! column, nothing saved from a file with one) and the two CSV downloads (CP932 by
//! default, UTF-8 with BOM on request). Files are read by `anpi_files::rollcall`.

use std::collections::BTreeSet;

use anpi_core::rollcall::{Member, OrgCode, OrgTree, Organisation};
use anpi_files::rollcall::{
    DirectoryFileError, MEMBER_COLUMNS, ORG_COLUMNS, parse_members, parse_orgs, write_members_csv,
    write_orgs_csv,
};
use anpi_files::{MAX_FILE_BYTES, OutEncoding};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{caller, encode_file_name, frame, problem, scope_note, shown, today_jst};
use crate::app::AppError;
use crate::console::pages::download::encoding_of;
use crate::console::{
    Clerk, FormErrors, Frame, PostedFile, Shared, Upload, fail, message_page, redirect_with, render,
};

/// Problems listed at most (a file with more is wrong throughout).
pub const PROBLEMS_SHOWN: usize = 500;

/// Which file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Orgs,
    Members,
}

impl Which {
    pub fn as_str(self) -> &'static str {
        match self {
            Which::Orgs => "orgs",
            Which::Members => "members",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Which::Orgs => "組織ファイル",
            Which::Members => "職員ファイル",
        }
    }
}

/// One organisation of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    pub code: String,
    pub name: String,
    pub parent: String,
    pub depth: usize,
    /// Members who belong to it directly (among those shown).
    pub members: usize,
}

impl OrgRow {
    pub fn depth_class(&self) -> String {
        format!("depth-{}", self.depth.min(5))
    }
}

/// One member of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub code: String,
    pub name: String,
    pub orgs: Vec<String>,
    pub mails: Vec<String>,
}

/// One problem of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// `3行目`, or `—` when the problem is the whole file's.
    pub line: String,
    pub column: String,
    pub message: String,
}

/// The result of an upload that saved nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadResult {
    pub which: &'static str,
    pub label: &'static str,
    pub file_name: String,
    pub problems: Vec<LineProblem>,
    pub total: usize,
}

#[derive(Template)]
#[template(path = "console/rollcall_directory.html")]
pub struct DirectoryPage {
    pub frame: Frame,
    pub orgs: Vec<OrgRow>,
    pub members: Vec<MemberRow>,
    pub without_mail: usize,
    pub can_manage: bool,
    pub scope_note: Option<String>,
    pub result: Option<UploadResult>,
    pub errors: FormErrors,
    pub max_mb: usize,
    pub max_bytes: usize,
    pub org_columns: String,
    pub member_columns: String,
}

impl DirectoryPage {
    pub fn here(&self) -> &'static str {
        "directory"
    }
}

fn org_rows(tree: &OrgTree, members: &[Member]) -> Vec<OrgRow> {
    tree.in_order()
        .into_iter()
        .map(|org| OrgRow {
            code: org.code.to_string(),
            name: org.name.clone(),
            parent: org
                .parent
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            depth: tree.depth(&org.code),
            members: members
                .iter()
                .filter(|m| m.orgs.contains(&org.code))
                .count(),
        })
        .collect()
}

fn member_rows(tree: &OrgTree, members: &[Member]) -> Vec<MemberRow> {
    let mut rows: Vec<MemberRow> = members
        .iter()
        .map(|m| MemberRow {
            code: m.code.to_string(),
            name: m.name.clone(),
            orgs: m.orgs.iter().map(|o| tree.path(o)).collect(),
            mails: m.mails.iter().map(|a| a.to_string()).collect(),
        })
        .collect();
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    rows
}

async fn show(
    state: &Shared,
    clerk: &Clerk,
    result: Option<UploadResult>,
    errors: FormErrors,
) -> Response {
    let who = match caller(state, clerk).await {
        Ok(who) => who,
        Err(response) => return response,
    };
    let (tree, members) = match state.node.rollcall_directory(&clerk.session).await {
        Ok(found) => found,
        Err(error) => return fail(error),
    };
    let refused = result.is_some() || !errors.list.is_empty();
    let page = DirectoryPage {
        frame: frame(state, clerk).await,
        orgs: org_rows(&tree, &members),
        without_mail: members.iter().filter(|m| m.mails.is_empty()).count(),
        members: member_rows(&tree, &members),
        can_manage: who.authority.may_manage_directory().is_ok(),
        scope_note: scope_note(&who.tree, &who.authority),
        result,
        errors,
        max_mb: MAX_FILE_BYTES / (1024 * 1024),
        max_bytes: MAX_FILE_BYTES,
        org_columns: ORG_COLUMNS.join(","),
        member_columns: MEMBER_COLUMNS.join(","),
    };
    let mut response = render(&page);
    if refused && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /rollcall/directory.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    show(&state, &clerk, None, FormErrors::default()).await
}

/// The physical line of each data row of a file that read without problems (the
/// rows `parse_orgs` / `parse_members` returned, in order).
pub fn data_lines(bytes: &[u8]) -> Vec<usize> {
    let Ok(text) = anpi_files::decode(bytes) else {
        return Vec::new();
    };
    let Ok(records) = anpi_files::read_csv(&text) else {
        return Vec::new();
    };
    records
        .into_iter()
        .filter(|record| !record.is_blank())
        .skip(1)
        .map(|record| record.line)
        .collect()
}

pub(super) fn line_text(line: Option<usize>) -> String {
    match line {
        Some(line) if line > 0 => format!("{line}行目"),
        _ => "—".into(),
    }
}

/// Parents that are neither in the file nor registered, by line.
pub fn unknown_parents(
    orgs: &[Organisation],
    lines: &[usize],
    stored: &OrgTree,
) -> Vec<LineProblem> {
    let in_file: BTreeSet<&OrgCode> = orgs.iter().map(|o| &o.code).collect();
    orgs.iter()
        .enumerate()
        .filter_map(|(index, org)| {
            let parent = org.parent.as_ref()?;
            (!in_file.contains(parent) && !stored.contains(parent)).then(|| LineProblem {
                line: line_text(lines.get(index).copied()),
                column: ORG_COLUMNS[2].into(),
                message: format!(
                    "上位組織コード「{parent}」は、このファイルにも登録済みの組織にもありません。先に上位組織を登録するか、同じファイルに含めてください"
                ),
            })
        })
        .collect()
}

/// Organisations of members that are not registered, by line.
pub fn unknown_member_orgs(
    members: &[Member],
    lines: &[usize],
    tree: &OrgTree,
) -> Vec<LineProblem> {
    let mut problems = Vec::new();
    for (index, member) in members.iter().enumerate() {
        for org in member.orgs.iter().filter(|o| !tree.contains(o)) {
            problems.push(LineProblem {
                line: line_text(lines.get(index).copied()),
                column: MEMBER_COLUMNS[2].into(),
                message: format!(
                    "組織コード「{org}」は登録されていません。先に組織ファイルで登録してください"
                ),
            });
        }
    }
    problems
}

fn result(which: Which, file_name: String, problems: Vec<LineProblem>) -> UploadResult {
    let total = problems.len();
    UploadResult {
        which: which.as_str(),
        label: which.label(),
        file_name,
        problems: problems.into_iter().take(PROBLEMS_SHOWN).collect(),
        total,
    }
}

pub(super) fn file_problems(error: DirectoryFileError) -> Result<Vec<LineProblem>, String> {
    match error {
        DirectoryFileError::Lines(lines) => Ok(lines
            .into_iter()
            .map(|e| LineProblem {
                line: line_text(Some(e.line)),
                column: e.column,
                message: e.message,
            })
            .collect()),
        other => Err(other.to_string()),
    }
}

/// What the clerk is told after a file was saved.
pub fn saved_notice(which: Which, file_name: &str, rows: usize, changed: usize) -> String {
    let what = match which {
        Which::Orgs => "組織",
        Which::Members => "職員",
    };
    if changed == 0 {
        format!(
            "{}（{file_name}）を読み込みました。{what} {rows}件はすべて登録済みの内容と同じでした。",
            which.label()
        )
    } else {
        format!(
            "{}（{file_name}）を読み込みました。{what} {rows}件のうち {changed}件を登録・更新しました。",
            which.label()
        )
    }
}

async fn upload(state: Shared, posted: PostedFile, which: Which) -> Response {
    let PostedFile { clerk, file, .. } = posted;
    let field = format!("{}-file", which.as_str());
    let refuse = |message: String| shown(&[problem(&field, which.label(), message)], "");
    let (file_name, bytes) = match file {
        Upload::Missing => {
            let errors = refuse(
                "ファイルが選ばれていません。CSVファイルを選んでから送信してください".into(),
            );
            return show(&state, &clerk, None, errors).await;
        }
        Upload::TooLarge { size } => {
            let error = anpi_files::FileError::TooLarge {
                size,
                limit: MAX_FILE_BYTES,
            };
            return show(&state, &clerk, None, refuse(error.to_string())).await;
        }
        Upload::Received { name, bytes } => (name, bytes),
    };
    let (tree, _) = match state.node.rollcall_directory(&clerk.session).await {
        Ok(found) => found,
        Err(error) => return fail(error),
    };
    let lines = data_lines(&bytes);
    let (orgs, members, problems) = match which {
        Which::Orgs => match parse_orgs(&bytes) {
            Ok(orgs) => {
                let problems = unknown_parents(&orgs, &lines, &tree);
                (orgs, Vec::new(), problems)
            }
            Err(error) => match file_problems(error) {
                Ok(problems) => (Vec::new(), Vec::new(), problems),
                Err(message) => {
                    return show(
                        &state,
                        &clerk,
                        None,
                        refuse(format!("{file_name}: {message}")),
                    )
                    .await;
                }
            },
        },
        Which::Members => match parse_members(&bytes) {
            Ok(members) => {
                let problems = unknown_member_orgs(&members, &lines, &tree);
                (Vec::new(), members, problems)
            }
            Err(error) => match file_problems(error) {
                Ok(problems) => (Vec::new(), Vec::new(), problems),
                Err(message) => {
                    return show(
                        &state,
                        &clerk,
                        None,
                        refuse(format!("{file_name}: {message}")),
                    )
                    .await;
                }
            },
        },
    };
    if !problems.is_empty() {
        return show(
            &state,
            &clerk,
            Some(result(which, file_name, problems)),
            FormErrors::default(),
        )
        .await;
    }
    let rows = orgs.len() + members.len();
    match state
        .node
        .rollcall_save_directory(&clerk.session, orgs, members)
        .await
    {
        Ok(written) => redirect_with(
            &state,
            &clerk,
            "/rollcall/directory",
            saved_notice(which, &file_name, rows, written.events),
        ),
        Err(AppError::Invalid(errors)) => {
            let problems = errors
                .into_iter()
                .map(|e| LineProblem {
                    line: line_text(None),
                    column: e.label,
                    message: e.message,
                })
                .collect();
            show(
                &state,
                &clerk,
                Some(result(which, file_name, problems)),
                FormErrors::default(),
            )
            .await
        }
        Err(error) => fail(error),
    }
}

/// POST /rollcall/directory/orgs (multipart: `csrf`, `file`).
pub async fn upload_orgs(State(state): State<Shared>, posted: PostedFile) -> Response {
    upload(state, posted, Which::Orgs).await
}

/// POST /rollcall/directory/members (multipart: `csrf`, `file`).
pub async fn upload_members(State(state): State<Shared>, posted: PostedFile) -> Response {
    upload(state, posted, Which::Members).await
}

#[derive(Default, Deserialize)]
struct DownloadQuery {
    #[serde(default)]
    encoding: String,
}

pub(crate) fn csv_response(bytes: Vec<u8>, encoding: OutEncoding, name: &str) -> Response {
    let content_type = match encoding {
        OutEncoding::Cp932 => "text/csv; charset=Shift_JIS",
        OutEncoding::Utf8Bom => "text/csv; charset=UTF-8",
    };
    let disposition = format!(
        "attachment; filename=\"rollcall.csv\"; filename*=UTF-8''{}",
        encode_file_name(name)
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The encoding a download's query asks for (`?encoding=utf8`; CP932 otherwise).
pub(crate) fn query_encoding(raw: Option<&str>) -> OutEncoding {
    let query: DownloadQuery =
        serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
    encoding_of(&query.encoding)
}

/// A roll-call CSV file named `安否確認_<what>_<date>.csv`, or the page that says why
/// it could not be written (a character CP932 cannot hold).
pub(super) fn csv_file(
    written: Result<Vec<u8>, String>,
    encoding: OutEncoding,
    what: &str,
) -> Response {
    match written {
        Ok(bytes) => csv_response(
            bytes,
            encoding,
            &format!("安否確認_{what}_{}.csv", today_jst(chrono::Utc::now())),
        ),
        Err(message) => message_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "ダウンロードできませんでした",
            &format!("{message}（「UTF-8（BOM付き）」でダウンロードしてください）"),
        ),
    }
}

async fn download(state: Shared, clerk: Clerk, raw: Option<String>, which: Which) -> Response {
    let encoding = query_encoding(raw.as_deref());
    let (tree, members) = match state.node.rollcall_directory(&clerk.session).await {
        Ok(found) => found,
        Err(error) => return fail(error),
    };
    let (written, what) = match which {
        Which::Orgs => (write_orgs_csv(&tree, encoding), "組織"),
        Which::Members => (write_members_csv(&members, encoding), "職員"),
    };
    csv_file(written, encoding, what)
}

/// GET /rollcall/directory/orgs.csv?encoding=cp932|utf8.
pub async fn download_orgs(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    clerk: Clerk,
) -> Response {
    download(state, clerk, raw, Which::Orgs).await
}

/// GET /rollcall/directory/members.csv?encoding=cp932|utf8.
pub async fn download_members(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    clerk: Clerk,
) -> Response {
    download(state, clerk, raw, Which::Members).await
}

#[cfg(test)]
mod tests {
    use super::super::tests::{frame, tree};
    use super::*;

    #[test]
    fn lines_and_unknown_codes_are_found_by_line() {
        let orgs_file =
            "組織コード,組織名,上位組織コード\r\n\r\nx,X課,soumu\r\ny,Y係,x\r\nz,Z係,nowhere\r\n";
        let orgs = parse_orgs(orgs_file.as_bytes()).unwrap();
        let lines = data_lines(orgs_file.as_bytes());
        assert_eq!(lines, [3, 4, 5], "the blank line is skipped");
        let problems = unknown_parents(&orgs, &lines, &tree());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, "5行目");
        assert_eq!(problems[0].column, "上位組織コード");
        assert!(problems[0].message.contains("nowhere"));

        let members_file = "職員番号,氏名,所属組織コード,メールアドレス\nm1,一,soumu,a@example.jp\nm2,二,soumu zz,\n";
        let members = parse_members(members_file.as_bytes()).unwrap();
        let problems = unknown_member_orgs(&members, &data_lines(members_file.as_bytes()), &tree());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, "3行目");
        assert!(problems[0].message.contains("「zz」"));
        assert!(saved_notice(Which::Members, "a.csv", 2, 0).contains("同じ"));
        assert!(saved_notice(Which::Orgs, "a.csv", 3, 2).contains("2件を登録・更新"));
    }

    #[test]
    fn the_page_lists_the_tree_members_and_a_bad_file_by_line() {
        let tree = tree();
        let members = vec![
            Member::parse("m1", "山田 太郎", "soumu.bousai", "taro@example.jp").unwrap(),
            Member::parse("m2", "<b>花子</b>", "kensetsu", "").unwrap(),
        ];
        let bad = parse_members("職員番号,氏名\n".as_bytes()).unwrap_err();
        let page = DirectoryPage {
            frame: frame(),
            orgs: org_rows(&tree, &members),
            members: member_rows(&tree, &members),
            without_mail: 1,
            can_manage: true,
            scope_note: None,
            result: Some(result(
                Which::Members,
                "職員.csv".into(),
                file_problems(bad).unwrap(),
            )),
            errors: FormErrors::default(),
            max_mb: 20,
            max_bytes: 20 << 20,
            org_columns: ORG_COLUMNS.join(","),
            member_columns: MEMBER_COLUMNS.join(","),
        };
        let html = page.render().unwrap();
        assert!(html.contains("id=\"upload-errors\""));
        assert!(html.contains("1行目"));
        assert!(html.contains("所属組織コード"));
        assert!(html.contains("taro@example.jp"));
        assert!(html.contains("class=\"depth-2\""));
        assert!(!html.contains("<b>花子"));
        for form in ["id=\"orgs-form\"", "id=\"members-form\""] {
            let rest = &html[html.find(form).unwrap()..];
            assert!(rest.find("name=\"csrf\"").unwrap() < rest.find("type=\"file\"").unwrap());
        }
        assert!(html.contains("href=\"/rollcall/directory/members.csv?encoding=utf8\""));
        assert!(!html.contains("style="));
    }
}
