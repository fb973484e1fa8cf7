//! `anpi entry import FILE.csv`: CSV registration (CSV登録) in the published template
//! (`schemas/csv/`). R: C-01, E-14.
//!
//! The whole file is checked first, on this side and without the node: every bad row
//! is printed with its line and column. If any row is bad nothing is sent, unless the
//! operator gives `--valid-rows-only`; `--dry-run` stops after the check. The valid
//! rows are then sent one by one with RecordEntry, so each goes through the node's own
//! validation, dedup and projection like an `entry add`.

use std::path::Path;
use std::process::ExitCode;

use anpi_files::{Checked, MAX_FILE_BYTES, check_file};
use anpi_proto::{draft_to_proto, v1};
use anyhow::{Context, bail};

use crate::client::{self, explain};
use crate::lookup::pick_incident;

/// Progress is printed after this many rows sent.
const PROGRESS_EVERY: usize = 100;

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

/// Sends the valid rows one by one and prints the summary.
pub(crate) async fn send(
    client: &mut client::NodeClient,
    checked: Checked,
    incident: Option<String>,
) -> anyhow::Result<ExitCode> {
    let incident = pick_incident(client, incident).await?;
    eprintln!("事案: {}（{}）", incident.name, incident.mode_label);
    let total = checked.valid.len();
    let mut imported = 0;
    let mut failed = 0;
    for (index, row) in checked.valid.into_iter().enumerate() {
        let result = client
            .record_entry(v1::RecordEntryRequest {
                incident_id: incident.id.clone(),
                draft: Some(draft_to_proto(&row.draft)),
                supersedes: String::new(),
                confirm_same_person: false,
            })
            .await;
        match result {
            Ok(reply) => {
                imported += 1;
                let record = reply.into_inner().record.unwrap_or_default();
                for warning in &record.warnings {
                    println!(
                        "{}行目 {} 注意: {}: {}",
                        row.line, record.record_id, warning.label, warning.message
                    );
                }
            }
            Err(status) => {
                failed += 1;
                eprintln!(
                    "{}行目: 登録できませんでした。{}",
                    row.line,
                    explain(status)
                );
            }
        }
        let done = index + 1;
        if done % PROGRESS_EVERY == 0 || done == total {
            eprintln!("送信 {done}/{total}件");
        }
    }
    println!(
        "{imported}件を登録しました（誤りのため登録しなかった行 {}件、送信に失敗した行 {failed}件）",
        checked.bad_lines
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
