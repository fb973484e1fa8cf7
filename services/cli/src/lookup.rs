//! Lookups several commands share: the incident to work on, every record page by page.

use anpi_proto::v1;
use anyhow::{Context, bail};

use crate::client::{self, explain};

pub(crate) async fn pick_incident(
    client: &mut client::NodeClient,
    given: Option<String>,
) -> anyhow::Result<v1::Incident> {
    let incidents = client
        .list_incidents(v1::ListIncidentsRequest {})
        .await
        .map_err(explain)?
        .into_inner()
        .incidents;
    match given {
        Some(id) => incidents
            .into_iter()
            .find(|i| i.id == id.trim())
            .with_context(|| {
                format!("事案 {id} が見つかりません。`anpi incident list` で確認してください")
            }),
        None if incidents.len() == 1 => Ok(incidents.into_iter().next().expect("one incident")),
        None if incidents.is_empty() => {
            bail!("事案がありません。先に `anpi incident create` で作成してください")
        }
        None => bail!(
            "事案が複数あります。--incident で事案IDを指定してください（`anpi incident list`）"
        ),
    }
}

/// Every record of the private area (of `incident`, or all when empty), page by page;
/// `progress` is told the count after each page.
pub(crate) async fn all_records(
    client: &mut client::NodeClient,
    incident: String,
    include_deleted: bool,
    export: bool,
    mut progress: impl FnMut(usize),
) -> anyhow::Result<Vec<v1::Record>> {
    let mut records = Vec::new();
    let mut after = 0;
    loop {
        let page = client
            .list_records(v1::ListRecordsRequest {
                incident_id: incident.clone(),
                include_deleted,
                limit: 1000,
                after_position: after,
                export,
            })
            .await
            .map_err(explain)?
            .into_inner()
            .records;
        let Some(last) = page.last() else { break };
        after = last.recorded_position;
        records.extend(page);
        progress(records.len());
    }
    Ok(records)
}
