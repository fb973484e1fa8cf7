//! `anpi entry import FILE.csv`: CSV registration (CSV登録) in the published template
//! (`schemas/csv/`). R: C-01, E-14.
//!
//! The whole file is checked first, on this side and without the node: every bad row
//! is printed with its line and column. If any row is bad nothing is sent, unless the
//! operator gives `--valid-rows-only`; `--dry-run` stops after the check. The valid
//! rows are then sent in batches with RecordEntries (the bulk path), where each goes
//! through the node's own validation, dedup and projection like an `entry add`. A
//! download of this node (`entry export --csv`, the console's download) carries each
//! record's departure and deletion, which are restored.

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anpi_files::{Checked, MAX_FILE_BYTES, Restore, Row, check_file};
use anpi_proto::{draft_to_proto, v1};
use anyhow::{Context, bail};

use crate::client::{self, explain};
use crate::lookup::pick_incident;

/// Rows sent in one RecordEntries call (the node takes up to 1,000).
const CHUNK: usize = 1000;
/// Batches sent before the first is answered (when no states are restored).
const IN_FLIGHT: usize = 2;

/// What the operator asked for.
pub(crate) struct ImportArgs {
    pub dry_run: bool,
    pub valid_rows_only: bool,
}

/// Reads and checks the file, printing every bad row on stderr.
pub(crate) fn check(file: &Path) -> anyhow::Result<Checked> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("{} を読み取れません", file.display()))?
        .len();
    if size > MAX_FILE_BYTES as u64 {
        bail!(
            "{}: ファイルが大きすぎます（{size}バイト）。{}MB以下に分割してください",
            file.display(),
            MAX_FILE_BYTES / (1024 * 1024)
        );
    }
    let bytes =
        std::fs::read(file).with_context(|| format!("{} を読み取れません", file.display()))?;
    let checked = check_file(&bytes, chrono::Utc::now())
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    eprintln!(
        "{}: 文字コード {}、正しい行 {}件、誤りのある行 {}件",
        file.display(),
        checked.encoding.label_ja(),
        checked.valid.len(),
        checked.bad_lines
    );
    for error in &checked.errors {
        eprintln!("{error}");
    }
    Ok(checked)
}

/// Whether to go on after the check; `Err` carries the exit code to stop with.
pub(crate) fn decide(checked: &Checked, args: &ImportArgs) -> Result<(), ExitCode> {
    let bad = !checked.errors.is_empty();
    if args.dry_run {
        eprintln!("確認のみ（--dry-run）: 何も登録していません");
        return Err(if bad {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }
    if bad && !args.valid_rows_only {
        eprintln!(
            "誤りのある行があるため、何も登録していません。誤りを直して再度実行するか、正しい行だけを登録する場合は --valid-rows-only を指定してください"
        );
        return Err(ExitCode::FAILURE);
    }
    if checked.valid.is_empty() {
        println!("登録できる行がありません（登録0件）");
        return Err(if bad {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }
    Ok(())
}

/// Sends the valid rows in batches of [`CHUNK`] (RecordEntries, the bulk path) and
/// prints the summary. A download's departures and deletions are restored.
pub(crate) async fn send(
    client: &mut client::NodeClient,
    checked: Checked,
    incident: Option<String>,
) -> anyhow::Result<ExitCode> {
    let incident = pick_incident(client, incident).await?;
    eprintln!("事案: {}（{}）", incident.name, incident.mode_label);
    let total = checked.valid.len();
    let restoring = checked
        .valid
        .iter()
        .filter(|row| row.restore != Restore::default())
        .count();
    if restoring > 0 {
        eprintln!("書出しファイルの状態（退去・削除）を{restoring}件について復元します");
    }
    // Two batches in flight, so that the node validates one while it writes the
    // other; one at a time when states are restored, which must follow the file's
    // order (duplicate removal sees what it saw when the rows were first entered).
    let window = if restoring > 0 { 1 } else { IN_FLIGHT };
    let mut progress = Progress::new(total);
    let (mut imported, mut failed) = (0, 0);
    let mut unsent: Vec<(usize, usize)> = Vec::new();
    let mut rows = checked.valid.into_iter().peekable();
    let mut flight: VecDeque<(Vec<Row>, Batch)> = VecDeque::new();
    loop {
        while flight.len() < window && unsent.is_empty() && rows.peek().is_some() {
            let chunk: Vec<Row> = rows.by_ref().take(CHUNK).collect();
            let request = v1::RecordEntriesRequest {
                incident_id: incident.id.clone(),
                entries: chunk.iter().map(bulk_entry).collect(),
            };
            let mut node = client.clone();
            let batch = tokio::spawn(async move { node.record_entries(request).await });
            flight.push_back((chunk, batch));
        }
        let Some((chunk, batch)) = flight.pop_front() else {
            break;
        };
        let lines = (
            chunk.first().map_or(0, |row| row.line),
            chunk.last().map_or(0, |row| row.line),
        );
        let results = match batch.await {
            Ok(Ok(reply)) => reply.into_inner().results,
            Ok(Err(status)) => {
                progress.say(&format!(
                    "{}〜{}行目を送信できませんでした。{}",
                    lines.0,
                    lines.1,
                    explain(status)
                ));
                unsent.push(lines);
                continue;
            }
            Err(panicked) => return Err(anyhow::anyhow!("sending a batch failed: {panicked}")),
        };
        for (row, result) in chunk.iter().zip(&results) {
            if let Some(record) = &result.record {
                imported += 1;
                for warning in &record.warnings {
                    progress.say(&format!(
                        "{}行目 {} 注意: {}: {}",
                        row.line, record.record_id, warning.label, warning.message
                    ));
                }
            }
            if !result.error.is_empty() {
                failed += 1;
                progress.say(&format!(
                    "{}行目: {}",
                    row.line,
                    if result.record.is_some() {
                        result.error.clone()
                    } else {
                        format!("登録できませんでした。{}", result.error)
                    }
                ));
            }
        }
        progress.advance(chunk.len());
    }
    progress.finish();
    println!(
        "{imported}件を登録しました（誤りのため登録しなかった行 {}件、登録時に問題のあった行 {failed}件）",
        checked.bad_lines
    );
    if !unsent.is_empty() {
        let ranges: Vec<String> = unsent
            .iter()
            .map(|(first, last)| format!("{first}〜{last}行目"))
            .collect();
        println!(
            "送信できなかった行: {}（以降の行は送っていません）。送信が途中で切れた場合は一部が登録されていることがあります。`anpi entry list` で確認し、未登録の行だけを取り込み直してください",
            ranges.join("、")
        );
    }
    Ok(if failed == 0 && unsent.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A batch on its way to the node.
type Batch =
    tokio::task::JoinHandle<Result<tonic::Response<v1::RecordEntriesResponse>, tonic::Status>>;

/// A row as the bulk call takes it, with the state a download carries.
fn bulk_entry(row: &Row) -> v1::BulkEntry {
    v1::BulkEntry {
        draft: Some(draft_to_proto(&row.draft)),
        departed_on: row.restore.departed_on.clone().unwrap_or_default(),
        deleted_reason: row.restore.deleted_reason.clone().unwrap_or_default(),
        removed_duplicate: row.restore.duplicate,
    }
}

/// The progress of a long import on stderr: a bar redrawn in place on a terminal, a
/// line per batch otherwise (logs, scripts).
struct Progress {
    total: usize,
    done: usize,
    terminal: bool,
    drawn: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            done: 0,
            terminal: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    fn advance(&mut self, rows: usize) {
        self.done += rows;
        if self.terminal {
            eprint!("\r{}", bar(self.done, self.total));
            self.drawn = true;
        } else {
            eprintln!("送信 {}/{}件", self.done, self.total);
        }
    }

    /// A message line, not torn by the bar.
    fn say(&mut self, line: &str) {
        if self.drawn {
            eprint!("\r\x1b[2K");
            self.drawn = false;
        }
        eprintln!("{line}");
        if self.terminal && self.done > 0 {
            eprint!("{}", bar(self.done, self.total));
            self.drawn = true;
        }
    }

    fn finish(&mut self) {
        if self.drawn {
            eprintln!();
            self.drawn = false;
        }
    }
}

/// `[##########··········]  50% 500/1000件`.
fn bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 30;
    let total = total.max(1);
    let filled = done.min(total) * WIDTH / total;
    format!(
        "[{}{}] {:>3}% {done}/{total}件",
        "#".repeat(filled),
        "·".repeat(WIDTH - filled),
        done.min(total) * 100 / total
    )
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn the_bar_fills_with_the_rows_sent() {
        assert_eq!(bar(0, 10), format!("[{}]   0% 0/10件", "·".repeat(30)));
        assert_eq!(
            bar(5, 10),
            format!("[{}{}]  50% 5/10件", "#".repeat(15), "·".repeat(15))
        );
        assert_eq!(bar(10, 10), format!("[{}] 100% 10/10件", "#".repeat(30)));
        assert!(bar(0, 0).contains("0/1件"));
    }
}
