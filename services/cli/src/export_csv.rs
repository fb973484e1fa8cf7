//! `anpi entry export --csv`: the private area's records of one incident as a CSV
//! download (CSVダウンロード) in the registration template, CP932 for Excel by default
//! or UTF-8 with BOM. R: C-02, T-04, A-06.
//!
//! The records are read with `export: true`, so the node logs the download in the
//! read log (`export_records`: who, which incident, how many rows). The file is
//! written with mode 600 (personal data) and never left half written.

use std::path::PathBuf;

use anpi_files::{ExportRow, OutEncoding, export_heading, write_entries_csv};
use anpi_proto::v1;
use chrono::FixedOffset;

use crate::client::{self, explain};
use crate::lookup::{all_records, pick_incident};
use crate::out_file::OutFile;
use crate::output::jst_time;

/// `--encoding` of a CSV download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CsvEncoding {
    /// Shift_JIS / CP932 (Excel's default).
    Cp932,
    /// UTF-8 with a byte order mark.
    Utf8,
}

/// A file name safe on Windows and Unix: path and reserved characters become `_`.
fn file_name_part(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() || c.is_whitespace() => '_',
            c => c,
        })
        .collect()
}

/// The default file name: `安否情報_<incident>_<訓練|実事案>_<YYYYMMDD>.csv`.
pub(crate) fn default_file_name(incident: &v1::Incident, date: &str) -> String {
    let mode = if incident.mode == "drill" {
        "訓練"
    } else {
        "実事案"
    };
    format!(
        "安否情報_{}_{mode}_{date}.csv",
        file_name_part(&incident.name)
    )
}

/// A record as a download's row, with its state.
pub(crate) fn export_row(record: v1::Record) -> anyhow::Result<ExportRow> {
    let draft = anpi_proto::draft_from_proto(record.draft.unwrap_or_default())
        .map_err(|e| anyhow::anyhow!("record {}: {e}", record.record_id))?;
    Ok(ExportRow {
        state: record.state_label,
        received_at: jst_time(&record.received_at),
        departed_on: record.departed_on,
        deleted_reason: record.deleted_reason,
        duplicate: !record.duplicate_of.is_empty(),
        record_id: record.record_id,
        draft,
    })
}

pub(crate) async fn export_csv(
    client: &mut client::NodeClient,
    out: Option<PathBuf>,
    incident: Option<String>,
    encoding: CsvEncoding,
) -> anyhow::Result<()> {
    let me = client
        .get_node_info(v1::GetNodeInfoRequest {})
        .await
        .map_err(explain)?
        .into_inner()
        .jurisdiction;
    let chosen = pick_incident(client, incident).await?;
    eprintln!("事案: {}（{}）", chosen.name, chosen.mode_label);
    let jst = FixedOffset::east_opt(9 * 3600).expect("offset");
    let now = chrono::Utc::now().with_timezone(&jst);
    let file = out.unwrap_or_else(|| {
        PathBuf::from(default_file_name(
            &chosen,
            &now.format("%Y%m%d").to_string(),
        ))
    });
    // The file first: nothing is read (and logged as exported) when it cannot be
    // written.
    let handle = OutFile::create(&file, true, false)?;
    let written = async {
        let records = all_records(client, chosen.id.clone(), true, true, |n| {
            eprintln!("読み込み中: {n}件");
        })
        .await?;
        let rows = records
            .into_iter()
            .filter(|record| record.collected_by == me)
            .map(export_row)
            .collect::<anyhow::Result<Vec<_>>>()?;
        let heading = export_heading(
            &chosen.name,
            chosen.mode == "drill",
            &format!("{}（日本時間）", now.format("%Y-%m-%d %H:%M")),
        );
        let encoding = match encoding {
            CsvEncoding::Cp932 => OutEncoding::Cp932,
            CsvEncoding::Utf8 => OutEncoding::Utf8Bom,
        };
        let bytes =
            write_entries_csv(&rows, encoding, &heading).map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::Ok((bytes, rows.len()))
    }
    .await;
    // Half a file is never left behind.
    let (bytes, count) = written?;
    handle.finish(&bytes)?;
    println!(
        "{count}件を {} に書き出しました（事案 {}（{}） {}）",
        file.display(),
        chosen.name,
        chosen.mode_label,
        chosen.id
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_name_holds_incident_mode_and_date() {
        let incident = v1::Incident {
            name: "訓練：地震/津波".to_string(),
            mode: "drill".to_string(),
            ..Default::default()
        };
        assert_eq!(
            default_file_name(&incident, "20261205"),
            "安否情報_訓練：地震_津波_訓練_20261205.csv"
        );
    }
}
