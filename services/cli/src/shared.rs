//! `anpi publish` and `anpi shared`: the national shared dataset (共用領域). R: P-02,
//! S-03, T-05.

use std::io::Write;
use std::time::Duration;

use anpi_proto::v1;

use crate::client::{self, explain};
use crate::output::{emit, jst_time};
use crate::table::render;

/// How long `anpi publish` follows the sending before leaving it to the node.
const FOLLOW: Duration = Duration::from_secs(600);

pub async fn publish(
    client: &mut client::NodeClient,
    wait: bool,
    json: bool,
) -> anyhow::Result<()> {
    let reply = client
        .publish(v1::PublishRequest {})
        .await
        .map_err(explain)?
        .into_inner();
    let version = match (&reply.version, wait && reply.published) {
        (Some(version), true) => version.clone(),
        _ => return emit(json, &reply, |r| format!("{}\n", r.message)),
    };
    if !json {
        println!("{}", reply.message);
    }
    // Follow the sending until this node's own replica holds the version.
    let started = std::time::Instant::now();
    let status = loop {
        let status = client
            .get_shared_status(v1::GetSharedStatusRequest {})
            .await
            .map_err(explain)?
            .into_inner();
        let held = status.replica.as_ref().map_or(0, |r| r.version);
        if held >= version.version || started.elapsed() > FOLLOW {
            break status;
        }
        if !json {
            let sent = status
                .published
                .iter()
                .find(|p| p.version == version.version)
                .map_or(0, |p| p.sent_records);
            eprint!(
                "\r配信中: {sent} / {} 件をNATSへ送信",
                version.changed_count
            );
            let _ = std::io::stderr().flush();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    if !json {
        eprintln!();
    }
    let held = status.replica.as_ref().map_or(0, |r| r.version);
    emit(json, &status, |_| {
        if held >= version.version {
            format!(
                "第{}版の配信を終えました。各ノードは受信しだい検索できます（`anpi shared` で確認）\n",
                version.version
            )
        } else {
            "配信は続いています。`anpi shared` で進み具合を確認できます\n".to_string()
        }
    })
}

fn version_line(v: &v1::SharedVersion) -> String {
    format!(
        "第{}版（公開 {}、{}件、位置 {} まで）",
        v.version,
        jst_time(&v.published_at),
        v.record_count,
        v.through_position
    )
}

pub async fn status(client: &mut client::NodeClient, json: bool) -> anyhow::Result<()> {
    let status = client
        .get_shared_status(v1::GetSharedStatusRequest {})
        .await
        .map_err(explain)?
        .into_inner();
    emit(json, &status, |s| {
        let mut text = match &s.replica {
            Some(v) => format!(
                "このノードの共用領域: {}　受信 {}　保持 {}件\n",
                version_line(v),
                jst_time(&v.received_at),
                s.replica_records
            ),
            None => "このノードの共用領域: まだ受信していません（消防庁が公開すると届きます）\n"
                .to_string(),
        };
        if s.staged_parts > 0 {
            text += &format!(
                "受信途中の版があります（{}部分を受信済み。そろうと切り替わります）\n",
                s.staged_parts
            );
        }
        if !s.published.is_empty() {
            text += "\n■ 公開した版（国）\n";
            let rows: Vec<Vec<String>> = s
                .published
                .iter()
                .map(|p| {
                    let sending = if p.sent_at.is_empty() {
                        format!("配信中 {}/{}", p.sent_records, p.changed_count)
                    } else {
                        format!("配信済み {}", jst_time(&p.sent_at))
                    };
                    vec![
                        p.version.to_string(),
                        jst_time(&p.published_at),
                        p.record_count.to_string(),
                        p.changed_count.to_string(),
                        sending,
                        p.actor.clone(),
                    ]
                })
                .collect();
            text += &render(&["版", "公開日時", "件数", "変更", "配信", "公開者"], &rows);
        }
        text
    })
}
