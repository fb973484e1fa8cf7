//! How the commands print: JSON for machines or text for people, Japan time, the
//! records table.

use anpi_proto::v1;
use chrono::{DateTime, FixedOffset};

use crate::table::{render, truncate};

pub(crate) fn jst_time(rfc3339: &str) -> String {
    let jst = FixedOffset::east_opt(9 * 3600).expect("offset");
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&jst).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints `value` as JSON for machines, or `human(value)` for people.
pub(crate) fn emit<T: serde::Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    if json {
        print_json(value)
    } else {
        print!("{}", human(value));
        Ok(())
    }
}

pub(crate) fn records_table(records: &[v1::Record]) -> String {
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            vec![
                r.state_label.clone(),
                truncate(&r.display_name, 24),
                r.birth_date_era.clone(),
                r.sex.clone(),
                truncate(&r.address, 30),
                r.collected_by.clone(),
                jst_time(&r.written_at),
                jst_time(&r.received_at),
                r.incident
                    .as_ref()
                    .map(|i| i.mode_label.clone())
                    .unwrap_or_default(),
                r.record_id.clone(),
            ]
        })
        .collect();
    render(
        &[
            "状態",
            "氏名",
            "生年月日",
            "性別",
            "住所",
            "収集",
            "記入日時",
            "受信日時",
            "種別",
            "ID",
        ],
        &rows,
    )
}

/// Follows a node's progress stream (replay, log verification) to its last message,
/// the one `done` says ends it; unless `json`, shows `label: position / total（n%）` on
/// standard error meanwhile, `at` giving position and total.
pub(crate) async fn follow_progress<M>(
    mut stream: tonic::Streaming<M>,
    json: bool,
    label: &str,
    done: fn(&M) -> bool,
    at: fn(&M) -> (i64, i64),
) -> anyhow::Result<M> {
    use std::io::Write;
    let mut last = None;
    while let Some(progress) = stream.message().await.map_err(crate::client::explain)? {
        if done(&progress) {
            last = Some(progress);
            break;
        }
        if !json {
            let (position, total) = at(&progress);
            let percent = if total > 0 {
                position * 100 / total
            } else {
                100
            };
            eprint!("\r{label}: {position} / {total}（{percent}%）");
            let _ = std::io::stderr().flush();
        }
    }
    if !json {
        eprintln!();
    }
    last.ok_or_else(|| anyhow::anyhow!("the node ended the stream without a result"))
}
