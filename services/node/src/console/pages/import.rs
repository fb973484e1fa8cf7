//! CSV取込 (C-01, E-14): a file in the published template (`schemas/csv/`) uploaded
//! into the chosen incident. The whole file is checked first with `anpi-files`
//! (encoding, size, every row by line and column, as `anpi entry import` does); the
//! clerk chooses to check only, to register only when every row is right (the
//! default: nothing of a bad file is half-imported), or to register the valid rows.
//! Valid rows go to the bulk use case (`record_entries`) [`BULK_MAX`] at a time, where
//! each goes through the same validation, dedup and projection as a typed entry; the
//! result page lists every problem by line. The upload is a `multipart/form-data` POST
//! accepted only with the session's token ([`PostedFile`]). `GET /import/template.csv`
//! serves the template's header row as an empty CSV in Shift_JIS (CP932), what Excel
//! opens and saves by default.

use anpi_core::account::Operation;
use anpi_core::incident::{Incident, IncidentMode};
use anpi_core::validation::FieldWarning;
use anpi_files::{Checked, MAX_FILE_BYTES, Row, check_file, template};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::AppError;
use crate::app::entries::{BULK_MAX, BulkEntry, BulkResult};
use crate::console::forms::ShownError;
use crate::console::pages::entry::BlockedPage;
use crate::console::{Clerk, Console, FormErrors, Frame, PostedFile, Shared, Upload, fail, render};

/// Errors listed on the page at most (a file with more is wrong throughout: the first
/// ones show the pattern).
pub const ERRORS_SHOWN: usize = 1000;

/// What the clerk asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// 確認のみ（登録しない）.
    CheckOnly,
    /// すべて正しい場合のみ登録 (the default).
    AllOrNothing,
    /// 正しい行だけ登録.
    ValidRows,
}

impl Choice {
    pub const ALL: [Choice; 3] = [Choice::CheckOnly, Choice::AllOrNothing, Choice::ValidRows];

    pub fn as_str(self) -> &'static str {
        match self {
            Choice::CheckOnly => "check",
            Choice::AllOrNothing => "all",
            Choice::ValidRows => "valid",
        }
    }

    /// Anything unknown is the default.
    pub fn parse(text: &str) -> Choice {
        Choice::ALL
            .into_iter()
            .find(|c| c.as_str() == text)
            .unwrap_or(Choice::AllOrNothing)
    }

    pub fn label(self) -> &'static str {
        match self {
            Choice::CheckOnly => "確認のみ（登録しない）",
            Choice::AllOrNothing => "すべて正しい場合のみ登録",
            Choice::ValidRows => "正しい行だけ登録",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Choice::CheckOnly => "ファイルの誤りを調べるだけで、何も登録しません。",
            Choice::AllOrNothing => "誤りのある行が1行でもあれば、何も登録しません（おすすめ）。",
            Choice::ValidRows => {
                "誤りのある行を除いて登録します。除いた行は直して、その行だけを取り込み直してください。"
            }
        }
    }
}

/// What to do with a checked file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// 確認のみ: nothing is sent.
    CheckOnly,
    /// A row is bad and the clerk asked for all or nothing.
    RefuseAll,
    /// No valid row.
    NothingToSend,
    /// The valid rows are sent.
    Send,
}

pub fn decide(checked: &Checked, choice: Choice) -> Decision {
    if choice == Choice::CheckOnly {
        Decision::CheckOnly
    } else if !checked.errors.is_empty() && choice == Choice::AllOrNothing {
        Decision::RefuseAll
    } else if checked.valid.is_empty() {
        Decision::NothingToSend
    } else {
        Decision::Send
    }
}

/// The valid rows as bulk entries, [`BULK_MAX`] to a call, each with its line; a
/// download's departure and deletion are carried.
pub fn chunks(rows: Vec<Row>) -> Vec<Vec<(usize, BulkEntry)>> {
    let mut out: Vec<Vec<(usize, BulkEntry)>> = Vec::new();
    for row in rows {
        if out.last().is_none_or(|chunk| chunk.len() == BULK_MAX) {
            out.push(Vec::with_capacity(BULK_MAX));
        }
        let entry = BulkEntry {
            draft: row.draft,
            departed_on: row.restore.departed_on,
            deleted_reason: row.restore.deleted_reason,
            removed_duplicate: row.restore.duplicate,
        };
        out.last_mut()
            .expect("pushed above")
            .push((row.line, entry));
    }
    out
}

/// One line of a table of problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: usize,
    /// The column's header (empty: the whole row).
    pub column: String,
    pub message: String,
    /// `注意` (registered with a warning) or `登録できず`; empty for a file error.
    pub kind: &'static str,
    /// A class: `warning` / `failed` / `error`.
    pub class: &'static str,
}

/// What the bulk calls did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    pub registered: usize,
    pub failed: usize,
    pub problems: Vec<LineProblem>,
    /// The rows not sent because a call failed as a whole: (first line, how many, why).
    pub stopped: Option<(usize, usize, String)>,
}

impl Tally {
    /// One row's result: written (with its warnings) and / or refused.
    pub fn note(
        &mut self,
        line: usize,
        written: Option<&[FieldWarning]>,
        error: Option<&AppError>,
    ) {
        if let Some(warnings) = written {
            self.registered += 1;
            for warning in warnings {
                self.problems.push(LineProblem {
                    line,
                    column: column_of(&warning.field, &warning.label),
                    message: warning.message.clone(),
                    kind: "注意",
                    class: "warning",
                });
            }
        }
        if let Some(error) = error {
            self.failed += 1;
            let message = error.message_ja();
            self.problems.push(LineProblem {
                line,
                column: String::new(),
                message: if written.is_some() {
                    format!("登録しましたが、状態（退去・削除）を復元できませんでした。{message}")
                } else {
                    message
                },
                kind: "登録できず",
                class: "failed",
            });
        }
    }
}

/// A field path as the template's column header.
fn column_of(field: &str, label: &str) -> String {
    template::column_of_field(field)
        .map(|column| column.header.to_string())
        .unwrap_or_else(|| label.to_string())
}

/// The sentence at the top of a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// `notice` (done), `warning` (checked / partly), `error-summary` (nothing written).
    pub class: &'static str,
    pub text: String,
}

pub fn summary(decision: Decision, checked: &Checked, tally: &Tally) -> Summary {
    let bad = checked.bad_lines;
    match decision {
        Decision::CheckOnly if bad == 0 => Summary {
            class: "notice",
            text: format!(
                "確認のみ：誤りはありませんでした（正しい行 {}件）。何も登録していません。登録するには、取込の方法を選んでもう一度送信してください。",
                checked.valid.len()
            ),
        },
        Decision::CheckOnly => Summary {
            class: "warning",
            text: format!(
                "確認のみ：誤りのある行が {bad}件あります。何も登録していません。下の表を見てファイルを直してください。"
            ),
        },
        Decision::RefuseAll => Summary {
            class: "error-summary",
            text: format!(
                "誤りのある行が {bad}件あるため、何も登録していません。ファイルを直してもう一度取り込むか、「正しい行だけ登録」を選んでください。"
            ),
        },
        Decision::NothingToSend => Summary {
            class: "error-summary",
            text: "登録できる行がありません。何も登録していません。".into(),
        },
        Decision::Send => {
            let mut text = format!("{}件を登録しました。", tally.registered);
            if bad > 0 {
                text.push_str(&format!("誤りのある {bad}行は登録していません。"));
            }
            if tally.failed > 0 {
                text.push_str(&format!(
                    "登録時に問題のあった行が {}件あります（下の表）。",
                    tally.failed
                ));
            }
            if let Some((line, rows, why)) = &tally.stopped {
                text.push_str(&format!(
                    "{line}行目以降の {rows}件は送信できず、登録していません（{why}）。登録済みの行を除いて取り込み直してください。"
                ));
            }
            let clean = bad == 0 && tally.failed == 0 && tally.stopped.is_none();
            Summary {
                class: if clean { "notice" } else { "warning" },
                text,
            }
        }
    }
}

/// The chosen incident as this page shows it.
pub struct Target {
    pub name: String,
    pub mode_label: &'static str,
    pub drill: bool,
}

/// The result of one upload.
pub struct Outcome {
    pub file_name: String,
    pub encoding: &'static str,
    pub valid: usize,
    pub bad: usize,
    pub summary: Summary,
    /// The file's errors (at most [`ERRORS_SHOWN`]).
    pub errors: Vec<LineProblem>,
    pub errors_total: usize,
    /// The rows were sent.
    pub sent: bool,
    pub registered: usize,
    /// Warnings and refusals of the registered rows.
    pub problems: Vec<LineProblem>,
}

impl Outcome {
    /// `valid`: the number of valid rows (those of `checked` may have been sent).
    pub fn of(
        file_name: String,
        checked: &Checked,
        valid: usize,
        decision: Decision,
        tally: Tally,
    ) -> Outcome {
        Outcome {
            file_name,
            encoding: checked.encoding.label_ja(),
            valid,
            bad: checked.bad_lines,
            summary: summary(decision, checked, &tally),
            errors: checked
                .errors
                .iter()
                .take(ERRORS_SHOWN)
                .map(|error| LineProblem {
                    line: error.line,
                    column: error.column.clone(),
                    message: error.message.clone(),
                    kind: "",
                    class: "error",
                })
                .collect(),
            errors_total: checked.errors.len(),
            sent: decision == Decision::Send,
            registered: tally.registered,
            problems: tally.problems,
        }
    }
}

#[derive(Template)]
#[template(path = "console/import.html")]
pub struct ImportPage {
    pub frame: Frame,
    pub target: Target,
    pub choice: Choice,
    pub choices: [Choice; 3],
    pub max_mb: usize,
    pub max_bytes: usize,
    /// The file could not be read (or none was chosen): nothing was written.
    pub errors: FormErrors,
    pub outcome: Option<Outcome>,
}

impl ImportPage {
    fn new(frame: Frame, incident: &Incident, choice: Choice) -> ImportPage {
        ImportPage {
            frame,
            target: Target {
                name: incident.name.clone(),
                mode_label: incident.mode.label_ja(),
                drill: incident.mode == IncidentMode::Drill,
            },
            choice,
            choices: Choice::ALL,
            max_mb: MAX_FILE_BYTES / (1024 * 1024),
            max_bytes: MAX_FILE_BYTES,
            errors: FormErrors::default(),
            outcome: None,
        }
    }

    /// The template's number of columns.
    pub fn columns(&self) -> usize {
        template::COLUMNS.len()
    }
}

/// The incidents, and the chosen one, or the page that says to choose one. The app
/// decides first whether this role may enter at all.
async fn prepare(state: &Console, clerk: &Clerk) -> Result<(Vec<Incident>, Incident), Response> {
    state
        .node
        .may(&clerk.session, Operation::RecordEntry)
        .map_err(fail)?;
    let incidents = state
        .node
        .list_incidents(&clerk.session)
        .await
        .map_err(fail)?;
    let chosen = clerk
        .console
        .incident
        .and_then(|id| incidents.iter().find(|i| i.id == id))
        .cloned();
    match chosen {
        Some(incident) => Ok((incidents, incident)),
        None => Err(render(&BlockedPage {
            frame: Frame::new(state, clerk, "/import", &incidents),
            title: "CSV取込".into(),
            message: "CSVファイルを取り込む事案が選ばれていません。先に事案を選んでください。"
                .into(),
            link: "/",
            link_label: "事案の選択へ",
        })),
    }
}

/// GET /import: the form.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    let (incidents, incident) = match prepare(&state, &clerk).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let frame = Frame::new(&state, &clerk, "/import", &incidents);
    render(&ImportPage::new(frame, &incident, Choice::AllOrNothing))
}

/// POST /import: check the file, register what was asked, show the result.
pub async fn upload(State(state): State<Shared>, posted: PostedFile) -> Response {
    let choice = Choice::parse(posted.field("choice"));
    let PostedFile { clerk, file, .. } = posted;
    let (incidents, incident) = match prepare(&state, &clerk).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut page = ImportPage::new(
        Frame::new(&state, &clerk, "/import", &incidents),
        &incident,
        choice,
    );
    let refuse = |mut page: ImportPage, status: StatusCode, message: String| {
        page.errors = FormErrors {
            list: vec![ShownError {
                field: "file".into(),
                label: "CSVファイル".into(),
                message,
            }],
        };
        let mut response = render(&page);
        if response.status() == StatusCode::OK {
            *response.status_mut() = status;
        }
        response
    };
    let (file_name, bytes) = match file {
        Upload::Missing => {
            return refuse(
                page,
                StatusCode::UNPROCESSABLE_ENTITY,
                "ファイルが選ばれていません。取り込むCSVファイルを選んでください".into(),
            );
        }
        Upload::TooLarge { size } => {
            let error = anpi_files::FileError::TooLarge {
                size,
                limit: MAX_FILE_BYTES,
            };
            return refuse(page, StatusCode::PAYLOAD_TOO_LARGE, error.to_string());
        }
        Upload::Received { name, bytes } => (name, bytes),
    };
    let mut checked = match check_file(&bytes, chrono::Utc::now()) {
        Ok(checked) => checked,
        Err(error) => {
            let message = format!("{file_name}: {error}");
            return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, message);
        }
    };
    drop(bytes);
    let decision = decide(&checked, choice);
    let total = checked.valid.len();
    let mut tally = Tally::default();
    if decision == Decision::Send {
        let mut sent = 0;
        for chunk in chunks(std::mem::take(&mut checked.valid)) {
            let lines: Vec<usize> = chunk.iter().map(|(line, _)| *line).collect();
            let entries: Vec<BulkEntry> = chunk.into_iter().map(|(_, entry)| entry).collect();
            let results: Vec<BulkResult> = match state
                .node
                .record_entries(&clerk.session, incident.id, entries)
                .await
            {
                Ok(results) => results,
                // Nothing written yet: the console's usual page (login, rights, …).
                Err(error) if tally.registered == 0 && tally.failed == 0 => return fail(error),
                Err(error) => {
                    tally.stopped = Some((lines[0], total - sent, error.message_ja()));
                    break;
                }
            };
            for (line, result) in lines.iter().zip(&results) {
                let warnings = result
                    .written
                    .as_ref()
                    .map(|written| written.record.entry.warnings.as_slice());
                tally.note(*line, warnings, result.error.as_ref());
            }
            sent += lines.len();
        }
    }
    let status = match decision {
        Decision::RefuseAll | Decision::NothingToSend => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    page.outcome = Some(Outcome::of(file_name, &checked, total, decision, tally));
    let mut response = render(&page);
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

/// The empty template: the header row of [`template::COLUMNS`], CRLF, in CP932.
pub fn template_csv() -> Vec<u8> {
    let mut line = template::header_row().join(",");
    line.push_str("\r\n");
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&line);
    debug_assert!(!unmappable, "every header is in CP932");
    bytes.into_owned()
}

/// GET /import/template.csv: the empty template (no personal data; logged-in clerks).
pub async fn template_file(_clerk: Clerk) -> Response {
    let mut response = template_csv().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=Shift_JIS"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(
            // 安否情報CSV取込様式.csv
            "attachment; filename=\"anpi-template.csv\"; filename*=UTF-8''%E5%AE%89%E5%90%A6%E6%83%85%E5%A0%B1CSV%E5%8F%96%E8%BE%BC%E6%A7%98%E5%BC%8F.csv",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use anpi_core::validation::FieldError;
    use anpi_files::{Restore, RowError, TextEncoding};

    use super::*;

    fn row(line: usize) -> Row {
        Row {
            line,
            draft: anpi_core::entry::EntryDraft::default(),
            restore: Restore::default(),
        }
    }

    fn checked(valid: usize, errors: &[(usize, &str)]) -> Checked {
        let mut lines: Vec<usize> = errors.iter().map(|(line, _)| *line).collect();
        lines.dedup();
        Checked {
            encoding: TextEncoding::Cp932,
            valid: (0..valid).map(|i| row(i + 2)).collect(),
            errors: errors
                .iter()
                .map(|(line, column)| RowError {
                    line: *line,
                    column: column.to_string(),
                    message: "誤り".into(),
                })
                .collect(),
            bad_lines: lines.len(),
        }
    }

    #[test]
    fn the_choice_defaults_to_all_or_nothing() {
        assert_eq!(Choice::parse("check"), Choice::CheckOnly);
        assert_eq!(Choice::parse("valid"), Choice::ValidRows);
        assert_eq!(Choice::parse(""), Choice::AllOrNothing);
        assert_eq!(Choice::parse("<script>"), Choice::AllOrNothing);
        for choice in Choice::ALL {
            assert_eq!(Choice::parse(choice.as_str()), choice);
        }
    }

    #[test]
    fn a_bad_row_stops_all_or_nothing_but_not_the_valid_rows_choice() {
        let clean = checked(3, &[]);
        let bad = checked(2, &[(3, "氏名"), (3, "男女の別"), (5, "")]);
        assert_eq!(bad.bad_lines, 2);
        assert_eq!(decide(&clean, Choice::CheckOnly), Decision::CheckOnly);
        assert_eq!(decide(&bad, Choice::CheckOnly), Decision::CheckOnly);
        assert_eq!(decide(&clean, Choice::AllOrNothing), Decision::Send);
        assert_eq!(decide(&bad, Choice::AllOrNothing), Decision::RefuseAll);
        assert_eq!(decide(&bad, Choice::ValidRows), Decision::Send);
        assert_eq!(
            decide(&checked(0, &[(2, "")]), Choice::ValidRows),
            Decision::NothingToSend
        );
        assert_eq!(
            decide(&checked(0, &[]), Choice::AllOrNothing),
            Decision::NothingToSend
        );
        let said = summary(Decision::RefuseAll, &bad, &Tally::default());
        assert_eq!(said.class, "error-summary");
        assert!(said.text.contains("2件") && said.text.contains("何も登録していません"));
        let said = summary(Decision::CheckOnly, &clean, &Tally::default());
        assert!(said.text.contains("何も登録していません"), "{}", said.text);
    }

    #[test]
    fn rows_go_in_chunks_of_bulk_max_with_their_lines_and_restore() {
        let mut rows: Vec<Row> = (0..2_501).map(|i| row(i + 2)).collect();
        rows[1].restore = Restore {
            departed_on: Some("2026-12-01".into()),
            deleted_reason: Some("重複".into()),
            duplicate: true,
        };
        let chunks = chunks(rows);
        assert_eq!(
            chunks.iter().map(Vec::len).collect::<Vec<_>>(),
            [BULK_MAX, BULK_MAX, 501]
        );
        assert_eq!(chunks[0][0].0, 2);
        assert_eq!(chunks[1][0].0, 2 + BULK_MAX);
        assert_eq!(chunks[2].last().unwrap().0, 2_502);
        let restored = &chunks[0][1].1;
        assert_eq!(restored.departed_on.as_deref(), Some("2026-12-01"));
        assert_eq!(restored.deleted_reason.as_deref(), Some("重複"));
        assert!(restored.removed_duplicate);
        assert!(super::chunks(Vec::new()).is_empty());
    }

    #[test]
    fn the_tally_counts_rows_and_names_each_problem_by_line() {
        let mut tally = Tally::default();
        tally.note(2, Some(&[]), None);
        let warning = FieldError {
            field: "injury.description".into(),
            label: "負傷又は疾病の状況".into(),
            message: "状況を記入してください".into(),
        };
        tally.note(3, Some(std::slice::from_ref(&warning)), None);
        tally.note(
            4,
            None,
            Some(&AppError::Conflict("受付を停止しています".into())),
        );
        tally.note(
            5,
            Some(&[]),
            Some(&AppError::Forbidden("退去の権限がありません".into())),
        );
        assert_eq!(tally.registered, 3);
        assert_eq!(tally.failed, 2);
        assert_eq!(tally.problems.len(), 3);
        assert_eq!(tally.problems[0].line, 3);
        assert_eq!(tally.problems[0].column, "負傷又は疾病の状況（内容）");
        assert_eq!(tally.problems[0].kind, "注意");
        assert_eq!(tally.problems[1].line, 4);
        assert_eq!(tally.problems[1].message, "受付を停止しています");
        assert!(tally.problems[2].message.starts_with("登録しましたが"));

        let bad = checked(3, &[(7, "氏名")]);
        let said = summary(Decision::Send, &bad, &tally);
        assert_eq!(said.class, "warning");
        assert!(
            said.text.starts_with("3件を登録しました。"),
            "{}",
            said.text
        );
        assert!(said.text.contains("誤りのある 1行"));
        let clean = Tally {
            registered: 3,
            ..Tally::default()
        };
        let said = summary(Decision::Send, &checked(3, &[]), &clean);
        assert_eq!(said.class, "notice");
        assert_eq!(said.text, "3件を登録しました。");
        let stopped = Tally {
            registered: 1000,
            stopped: Some((1002, 500, "接続できません".into())),
            ..Tally::default()
        };
        let said = summary(Decision::Send, &checked(1500, &[]), &stopped);
        assert!(said.text.contains("1002行目以降の 500件"), "{}", said.text);
    }

    #[test]
    fn the_error_table_is_capped_and_counts_every_error() {
        let errors: Vec<(usize, &str)> = (0..ERRORS_SHOWN + 5).map(|i| (i + 2, "氏名")).collect();
        let bad = checked(0, &errors);
        let outcome = Outcome::of(
            "a.csv".into(),
            &bad,
            bad.valid.len(),
            Decision::CheckOnly,
            Tally::default(),
        );
        assert_eq!(outcome.errors.len(), ERRORS_SHOWN);
        assert_eq!(outcome.errors_total, ERRORS_SHOWN + 5);
        assert_eq!(outcome.bad, ERRORS_SHOWN + 5);
        assert_eq!(outcome.encoding, "Shift_JIS（CP932）");
        assert!(!outcome.sent);
    }

    #[test]
    fn the_template_is_cp932_and_reads_back_as_an_empty_file() {
        let bytes = template_csv();
        assert!(bytes.ends_with(b"\r\n"));
        assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
        let read = check_file(&bytes, chrono::Utc::now()).expect("the template reads");
        assert_eq!(read.encoding, TextEncoding::Cp932);
        assert!(read.valid.is_empty() && read.errors.is_empty());
        let (text, _) = anpi_files::decode_detected(&bytes).unwrap();
        assert_eq!(text.trim_end().split(',').count(), template::COLUMNS.len());
    }

    fn frame() -> Frame {
        super::super::organise::tests::frame()
    }

    fn incident(mode: IncidentMode) -> Incident {
        Incident {
            id: anpi_core::ids::IncidentId::from_uuid(uuid::Uuid::from_u128(7)),
            name: "首都直下地震".into(),
            mode,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_page_marks_a_drill_keeps_the_choice_and_lists_errors_escaped() {
        let mut page = ImportPage::new(frame(), &incident(IncidentMode::Drill), Choice::ValidRows);
        let html = page.render().unwrap();
        assert!(html.contains("enctype=\"multipart/form-data\""));
        assert!(html.contains("id=\"target-mode\""));
        assert!(html.contains("【訓練】"));
        assert!(html.contains("value=\"valid\" checked"));
        assert!(!html.contains("value=\"all\" checked"));
        assert!(html.contains("href=\"/import/template.csv\""));
        // The token is the form's first field: the upload reads it before the file.
        let form = &html[html.find("id=\"import-form\"").unwrap()..];
        assert!(form.find("name=\"csrf\"").unwrap() < form.find("type=\"file\"").unwrap());
        assert!(!html.contains("id=\"import-result\""));

        let bad = Checked {
            errors: vec![RowError {
                line: 3,
                column: "出生の年月日".into(),
                message: "<script>alert(1)</script>".into(),
            }],
            ..checked(1, &[(3, "出生の年月日")])
        };
        page.outcome = Some(Outcome::of(
            "<b>file</b>.csv".into(),
            &bad,
            1,
            Decision::RefuseAll,
            Tally::default(),
        ));
        let html = page.render().unwrap();
        assert!(html.contains("id=\"import-result\""));
        assert!(html.contains("id=\"import-errors\""));
        assert!(html.contains("出生の年月日"));
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<b>file"));
        assert!(html.contains("何も登録していません"));

        let actual = ImportPage::new(
            frame(),
            &incident(IncidentMode::Actual),
            Choice::AllOrNothing,
        )
        .render()
        .unwrap();
        assert!(actual.contains("value=\"all\" checked"));
        assert!(!actual.contains("class=\"import-target drill\""));
    }
}
