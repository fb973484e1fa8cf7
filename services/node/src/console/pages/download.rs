//! 安否検索（ダウンロード） (C-02): the private area's records of the chosen incident as a
//! CSV file in the template's columns (`anpi_files::write_entries_csv`), CP932 for Excel
//! or UTF-8 with BOM. The incident and its mode are in the file name and the first line;
//! the rows come from the `list_records` use case as an export, so every download is in
//! the read log (A-06: who, which incident, how many rows).

use anpi_core::incident::IncidentMode;
use anpi_files::{ExportRow, OutEncoding, export_heading, write_entries_csv};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::app::entries::{RecordQuery, RecordView};
use crate::console::{Clerk, Shared, fail, jst, message_page};

/// Records per page asked of the use case.
const PAGE: i32 = 5_000;

#[derive(Deserialize)]
pub struct DownloadQuery {
    #[serde(default)]
    encoding: String,
}

/// `GET /download?encoding=cp932|utf8`.
pub async fn download(
    State(state): State<Shared>,
    clerk: Clerk,
    RawQuery(query): RawQuery,
) -> Response {
    let query: DownloadQuery = serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
        .unwrap_or(DownloadQuery {
            encoding: String::new(),
        });
    let incidents = match state.node.list_incidents(&clerk.session).await {
        Ok(incidents) => incidents,
        Err(error) => return fail(error),
    };
    let Some(incident) = clerk
        .console
        .incident
        .and_then(|id| incidents.iter().find(|i| i.id == id))
    else {
        return message_page(
            StatusCode::CONFLICT,
            "事案を選んでください",
            "ダウンロードする事案を「事案の選択」で選んでから、もう一度お試しください。",
        );
    };
    let encoding = encoding_of(&query.encoding);
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let page = match state
            .node
            .list_records(
                &clerk.session,
                RecordQuery {
                    incident: Some(incident.id),
                    include_deleted: true,
                    after_position: after,
                    limit: PAGE,
                    export: true,
                },
            )
            .await
        {
            Ok(page) => page,
            Err(error) => return fail(error),
        };
        let Some(last) = page.last() else { break };
        after = last.state.recorded_position;
        let full = page.len() as i32 == PAGE;
        rows.extend(page.into_iter().map(export_row));
        if !full {
            break;
        }
    }
    let now = chrono::Utc::now();
    let drill = incident.mode == IncidentMode::Drill;
    let heading = export_heading(&incident.name, drill, &format!("{}（日本時間）", jst(now)));
    csv_download(
        &rows,
        encoding,
        &heading,
        &incident.name,
        incident.mode,
        now,
    )
}

/// A record as a row of a download.
pub fn export_row(view: RecordView) -> ExportRow {
    ExportRow {
        state: view.state.label().label_ja().to_string(),
        record_id: view.state.record_id.to_string(),
        received_at: jst(view.state.received_at),
        departed_on: (view.state.departure.as_ref())
            .map(|d| d.date.to_string())
            .unwrap_or_default(),
        deleted_reason: (view.state.deletion.as_ref())
            .map(|d| d.reason.clone())
            .unwrap_or_default(),
        duplicate: view.state.duplicate_of.is_some(),
        draft: view.state.entry.draft,
    }
}

/// `utf8` is UTF-8 with BOM; anything else CP932 (Excel's default).
pub fn encoding_of(text: &str) -> OutEncoding {
    match text {
        "utf8" => OutEncoding::Utf8Bom,
        _ => OutEncoding::Cp932,
    }
}

/// The rows written as a CSV attachment named after `name` and the incident's mode
/// ([`file_name`]); a character CP932 cannot hold is refused by record and column.
pub fn csv_download(
    rows: &[ExportRow],
    encoding: OutEncoding,
    heading: &str,
    name: &str,
    mode: IncidentMode,
    now: chrono::DateTime<chrono::Utc>,
) -> Response {
    let bytes = match write_entries_csv(rows, encoding, heading) {
        Ok(bytes) => bytes,
        Err(error) => {
            let hint = match error {
                anpi_files::FileError::Unrepresentable { .. } => {
                    "（この画面では「UTF-8（BOM付き）でダウンロード」を使ってください）"
                }
                _ => "",
            };
            return message_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ダウンロードできませんでした",
                &format!("{error}{hint}"),
            );
        }
    };
    let name = file_name(
        name,
        mode.label_ja(),
        &now.with_timezone(&anpi_core::entry::jst_offset())
            .format("%Y%m%d")
            .to_string(),
    );
    let content_type = match encoding {
        OutEncoding::Cp932 => "text/csv; charset=Shift_JIS",
        OutEncoding::Utf8Bom => "text/csv; charset=UTF-8",
    };
    let disposition = format!(
        "attachment; filename=\"anpi.csv\"; filename*=UTF-8''{}",
        percent_encode(&name)
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `安否情報_<incident>_<mode>_<YYYYMMDD>.csv`, with characters unsafe in file names
/// replaced.
pub fn file_name(incident: &str, mode: &str, date: &str) -> String {
    let safe: String = incident
        .chars()
        .map(|c| {
            if c.is_control() || "\\/:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    format!("安否情報_{safe}_{mode}_{date}.csv")
}

/// RFC 5987 percent-encoding of a file name (UTF-8).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_holds_the_incident_and_its_mode_and_nothing_unsafe() {
        let name = file_name("訓練：首都/直下*地震", "訓練", "20261205");
        assert_eq!(name, "安否情報_訓練：首都_直下_地震_訓練_20261205.csv");
        let encoded = percent_encode(&name);
        assert!(encoded.is_ascii() && !encoded.contains('/') && !encoded.contains('"'));
        assert!(encoded.ends_with(".csv"));
    }
}
