//! `anpi inquiry`: register an inquiry, identify the person asked about, answer
//! (Form 5) or refuse, show and list. R: Q-01..Q-06.

use anpi_proto::v1;
use anyhow::Context;

use crate::InquiryCmd;
use crate::client::{self, explain};
use crate::output::{emit, jst_time};
use crate::table::render;

/// The incident line of an inquiry (T-04): a drill is said to be one.
fn incident_line(v: &v1::InquiryView) -> String {
    match &v.incident {
        Some(i) if i.mode == "drill" => format!(
            "事案: {}（{}）　※ 訓練の照会です。訓練の安否情報だけを使います\n",
            i.name, i.mode_label
        ),
        Some(i) => format!("事案: {}（{}）\n", i.name, i.mode_label),
        None if v.incident_id.is_empty() => "事案: （指定なし）\n".to_string(),
        None => format!("事案: {}\n", v.incident_id),
    }
}

fn summary(v: &v1::InquiryView) -> String {
    let mut text = incident_line(v);
    text += &format!(
        "照会 {}　状態: {}\n照会者: {}（{}、{}）　被照会者: {}\n受付: {} {}\n",
        v.inquiry_id,
        v.status_label,
        v.inquirer,
        v.relationship_label,
        v.channel_label,
        if v.target_name.is_empty() {
            "（氏名なし）"
        } else {
            &v.target_name
        },
        jst_time(&v.registered_at),
        v.registered_by
    );
    match v.status.as_str() {
        "registered" => {
            text += &format!(
                "次に `anpi inquiry identify {}` で被照会者を特定します\n",
                v.inquiry_id
            )
        }
        "identified" => {
            text += &format!(
                "被照会者を特定しました: 安否情報 {}\n回答は `anpi inquiry answer {}` で行います\n",
                v.record_id, v.inquiry_id
            )
        }
        "not_identified" => {
            text += &format!(
                "被照会者を特定できません（候補 {}人）。照会者に次の情報を求めてください: {}\n候補者の情報は照会者に伝えないでください（第5 3(3)イ）\n",
                v.candidates,
                v.ask_for.join("、")
            )
        }
        "not_held" => {
            text += &format!(
                "該当する安否情報はありません。`anpi inquiry answer {}` で「非該当」と回答します\n",
                v.inquiry_id
            )
        }
        "refused" => text += &format!("回答を拒否しました。理由: {}\n", v.refusal_reason),
        "answered" => {
            text += &format!(
                "回答済み: {} {}{}\n\n{}",
                jst_time(&v.answered_at),
                v.answered_by,
                if v.answer_channel_label.is_empty() {
                    String::new()
                } else {
                    format!("（{}で回答）", v.answer_channel_label)
                },
                v.form5
            );
            if !v.form5.ends_with('\n') {
                text.push('\n');
            }
            if !v.officer_notes.is_empty() {
                text += "\n■ 担当者への注意（回答書には記載されません）\n";
                for note in &v.officer_notes {
                    text += &format!("・{note}\n");
                }
            }
        }
        _ => {}
    }
    text
}

pub async fn run(client: &mut client::NodeClient, command: InquiryCmd) -> anyhow::Result<()> {
    match command {
        InquiryCmd::Register {
            file,
            incident,
            json,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("{} を読めません", file.display()))?;
            // T-04: an inquiry belongs to one incident (the only one, or --incident).
            let incident = crate::lookup::pick_incident(client, incident).await?;
            let view = client
                .register_inquiry(v1::RegisterInquiryRequest {
                    incident_id: incident.id,
                    draft_json: text,
                })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &view, |v| {
                format!("照会を受け付けました。\n{}", summary(v))
            })
        }
        InquiryCmd::Identify { id, json } => {
            let view = client
                .identify_inquiry(v1::InquiryRequest { inquiry_id: id })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &view, summary)
        }
        InquiryCmd::Answer {
            id,
            refuse,
            channel,
            json,
        } => {
            let view = client
                .answer_inquiry(v1::AnswerInquiryRequest {
                    inquiry_id: id,
                    refuse_reason: refuse.unwrap_or_default(),
                    answer_channel: channel.unwrap_or_default(),
                })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &view, summary)
        }
        InquiryCmd::Show { id, json } => {
            let view = client
                .get_inquiry(v1::InquiryRequest { inquiry_id: id })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &view, summary)
        }
        InquiryCmd::List { limit, json } => {
            let list = client
                .list_inquiries(v1::ListInquiriesRequest {
                    limit: limit.unwrap_or(0),
                })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &list, |l| {
                if l.inquiries.is_empty() {
                    return "照会はまだありません\n".to_string();
                }
                let rows: Vec<Vec<String>> = l
                    .inquiries
                    .iter()
                    .map(|v| {
                        vec![
                            jst_time(&v.registered_at),
                            v.incident
                                .as_ref()
                                .map(|i| i.mode_label.clone())
                                .unwrap_or_default(),
                            v.status_label.clone(),
                            v.inquirer.clone(),
                            v.relationship_label.clone(),
                            v.target_name.clone(),
                            v.inquiry_id.clone(),
                        ]
                    })
                    .collect();
                render(
                    &[
                        "受付日時",
                        "種別",
                        "状態",
                        "照会者",
                        "関係",
                        "被照会者",
                        "照会ID",
                    ],
                    &rows,
                )
            })
        }
    }
}
