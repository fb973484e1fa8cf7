//! `anpi organise [merge]`, `anpi search`, `anpi replay`. R: D-04, D-05, R-05,
//! S-01..S-04, P-03, P-04, U-01.

use anpi_proto::v1;

use crate::client::{self, explain};
use crate::output::{emit, follow_progress, jst_time, records_table};
use crate::table::{render, truncate};
use crate::{OrganiseCmd, SearchArgs};

pub async fn organise(
    client: &mut client::NodeClient,
    command: Option<OrganiseCmd>,
    incident: Option<String>,
    limit: Option<i32>,
    json: bool,
) -> anyhow::Result<()> {
    if let Some(OrganiseCmd::Merge { keep, remove, json }) = command {
        let record = client
            .merge_duplicate(v1::MergeDuplicateRequest { keep, remove })
            .await
            .map_err(explain)?
            .into_inner();
        return emit(json, &record, |r| {
            format!(
                "重複として削除しました: {} {}（理由: {}）\n次回の報告で報告先へ報告されます。\n",
                r.display_name, r.record_id, r.deleted_reason
            )
        });
    }
    let screen = client
        .organise(v1::OrganiseRequest {
            incident_id: incident.unwrap_or_default(),
            limit: limit.unwrap_or(0),
            offset: 0,
        })
        .await
        .map_err(explain)?
        .into_inner();
    emit(json, &screen, organise_text)
}

fn organise_text(s: &v1::OrganiseResponse) -> String {
    let mut text = format!(
        "■ 重複検索・報告（{}件、うち未報告 {}件、自動重複除去: {}）\n",
        s.total,
        s.unreported,
        if s.dedup_mode == "strict" {
            "厳密（入力どおりの文字列で比較）"
        } else {
            "表記ゆれを許容"
        }
    );
    let rows: Vec<Vec<String>> = s
        .rows
        .iter()
        .map(|row| {
            let r = row.record.clone().unwrap_or_default();
            let mut marks = Vec::new();
            if !row.reported {
                marks.push("未報告".to_string());
            }
            if row.suspect_group > 0 {
                marks.push(format!("★2情報一致#{}", row.suspect_group));
            }
            if row.flagged {
                marks.push("⚠要確認".to_string());
            }
            vec![
                marks.join(" "),
                r.incident
                    .as_ref()
                    .map(|i| i.mode_label.clone())
                    .unwrap_or_default(),
                row.state_label.clone(),
                row.status_label.clone(),
                truncate(&r.display_name, 20),
                r.birth_date_era.clone(),
                r.sex.clone(),
                truncate(&r.address, 28),
                jst_time(&r.written_at),
                jst_time(&r.received_at),
                r.record_id.clone(),
            ]
        })
        .collect();
    text += &render(
        &[
            "",
            "種別",
            "状態",
            "区分",
            "氏名",
            "生年月日",
            "性別",
            "住所",
            "記入日時",
            "受信日時",
            "ID",
        ],
        &rows,
    );
    if (s.rows.len() as i64) < s.total {
        text += &format!(
            "（{}件中 {}件を表示。--limit で件数を指定できます）\n",
            s.total,
            s.rows.len()
        );
    }
    if !s.groups.is_empty() {
        text += "\n■ 同一人物の疑い（氏名と出生の年月日が一致）\n";
        for g in &s.groups {
            text += &format!(
                "#{} {} {}: {}\n",
                g.number,
                g.name,
                g.birth_date,
                g.record_ids.join(", ")
            );
        }
        text += "同一人物と確認できた場合は `anpi organise merge 残すID 削除するID` で統合してください\n";
    }
    if !s.flags.is_empty() {
        text += "\n■ 自動重複除去を行わなかった組（要確認）\n";
        for f in &s.flags {
            text += &format!("{} / {}: {}\n", f.older, f.newer, f.message);
        }
    }
    text
}

pub async fn search(client: &mut client::NodeClient, args: SearchArgs) -> anyhow::Result<()> {
    let json = args.json;
    let reply = client
        .search(v1::SearchRequest {
            name: args.name.unwrap_or_default(),
            kana: args.kana.unwrap_or_default(),
            birth: args.birth.unwrap_or_default(),
            sex: args.sex.unwrap_or_default(),
            address: args.address.unwrap_or_default(),
            nationality: args.nationality.unwrap_or_default(),
            text: args.text.unwrap_or_default(),
            fuzzy: args.fuzzy,
            shared: args.shared,
            red_cross: args.red_cross,
            incident_id: args.incident.unwrap_or_default(),
            limit: args.limit.unwrap_or(0),
        })
        .await
        .map_err(explain)?
        .into_inner();
    emit(json, &reply, |r| {
        let scope = if r.scope == "shared" {
            format!(
                "共用領域（第{}版、公開 {}、このノードで受信 {}）",
                r.dataset_version,
                jst_time(&r.dataset_published_at),
                jst_time(&r.dataset_received_at)
            )
        } else {
            "専用領域".to_string()
        };
        let mut text = format!("検索対象: {scope}　該当: {}件", r.records.len());
        if r.truncated {
            text += "以上（--limit で件数を増やすか条件を絞ってください）";
        }
        text += "\n";
        if !r.records.is_empty() {
            text += &records_table(&r.records);
        }
        text
    })
}

pub async fn replay(
    client: &mut client::NodeClient,
    until: Option<String>,
    into: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let stream = client
        .replay(v1::ReplayRequest {
            until: until.unwrap_or_default(),
            into: into.unwrap_or_default(),
        })
        .await
        .map_err(explain)?
        .into_inner();
    let done = follow_progress(
        stream,
        json,
        "再構築中",
        |p| p.done,
        |p| (p.position, p.through),
    )
    .await?;
    emit(json, &done, |d| {
        let mut text = format!(
            "再構築しました: スキーマ {}、イベント {}件（位置 {} まで）、安否情報 {}件、{:.1}秒\n",
            d.schema, d.events, d.through, d.records, d.seconds
        );
        if d.compared {
            if d.differences == 0 {
                text += "現在の読み取りモデルと1行ずつ比較し、すべて一致しました。\n";
            } else {
                text += &format!(
                    "現在の読み取りモデルと一致しない行が {}行あります: {}\n",
                    d.differences,
                    d.differing_records.join(", ")
                );
            }
        }
        text
    })?;
    if done.compared && done.differences > 0 {
        anyhow::bail!("the replayed read model differs from the live one");
    }
    Ok(())
}
