//! `anpi report`, `anpi intake`, `anpi reports history`. R.

use anpi_proto::v1;

use crate::client::{self, explain};
use crate::output::{emit, jst_time};
use crate::table::render;
use crate::{IntakeCmd, IntakeTarget, ReportsCmd};

pub async fn report(client: &mut client::NodeClient, json: bool) -> anyhow::Result<()> {
    let reply = client
        .report(v1::ReportRequest {})
        .await
        .map_err(explain)?
        .into_inner();
    emit(json, &reply, |r| format!("{}\n", r.message))
}

fn scope(target: &IntakeTarget) -> &'static str {
    if target.own { "own" } else { "reports" }
}

fn intake_text(status: &v1::IntakeStatus) -> String {
    let line = |title: &str, s: &Option<v1::IntakeScopeStatus>| {
        let s = s.clone().unwrap_or_default();
        let since = if s.changed_at.is_empty() {
            String::new()
        } else {
            format!("（{} {}）", jst_time(&s.changed_at), s.actor)
        };
        format!("{title}: {}{since}\n", s.label)
    };
    let mut text = line("自団体での登録", &status.own);
    text += &line("下位団体からの報告の受付", &status.reports);
    match status.waiting_messages {
        0 => {}
        -1 => text += "JetStreamで待機中の報告: 不明（NATSに接続できません）\n",
        n => text += &format!("JetStreamで待機中の報告: {n}件（再開後に順に取り込みます）\n"),
    }
    text
}

pub async fn intake(client: &mut client::NodeClient, command: IntakeCmd) -> anyhow::Result<()> {
    let (request, json) = match command {
        IntakeCmd::Status { json } => {
            let status = client
                .get_intake(v1::GetIntakeRequest {})
                .await
                .map_err(explain)?
                .into_inner();
            return emit(json, &status, intake_text);
        }
        IntakeCmd::Pause { target, json } => (
            v1::SetIntakeRequest {
                scope: scope(&target).into(),
                paused: true,
            },
            json,
        ),
        IntakeCmd::Resume { target, json } => (
            v1::SetIntakeRequest {
                scope: scope(&target).into(),
                paused: false,
            },
            json,
        ),
    };
    let verb = if request.paused {
        "一時停止しました"
    } else {
        "再開しました"
    };
    let what = if request.scope == "own" {
        "自団体での登録の受付"
    } else {
        "下位団体からの報告の受付"
    };
    let status = client
        .set_intake(request)
        .await
        .map_err(explain)?
        .into_inner();
    emit(json, &status, |s| {
        format!("{what}を{verb}。\n{}", intake_text(s))
    })
}

pub async fn history(client: &mut client::NodeClient, command: ReportsCmd) -> anyhow::Result<()> {
    let ReportsCmd::History { limit, json } = command;
    let history = client
        .report_history(v1::ReportHistoryRequest {
            limit: limit.unwrap_or(0),
        })
        .await
        .map_err(explain)?
        .into_inner();
    emit(json, &history, |h| {
        let mut text = String::new();
        if !h.parent.is_empty() {
            text += &format!(
                "報告先: {}　未報告の件数: {}（うち下位団体から受けて未報告: {}）\n\n",
                h.parent, h.unreported_events, h.unforwarded_received_events
            );
            text += "■ 送信した報告\n";
            let rows: Vec<Vec<String>> = h
                .sent
                .iter()
                .map(|s| {
                    vec![
                        s.seq.to_string(),
                        jst_time(&s.created_at),
                        s.to.clone(),
                        s.mode_labels.join("・"),
                        s.event_count.to_string(),
                        s.status_label.clone(),
                        s.report_id.clone(),
                    ]
                })
                .collect();
            text += &render(
                &[
                    "番号",
                    "報告日時",
                    "報告先",
                    "種別",
                    "件数",
                    "状態",
                    "報告ID",
                ],
                &rows,
            );
            text += "\n";
        }
        text += "■ 受けた報告\n";
        let rows: Vec<Vec<String>> = h
            .received
            .iter()
            .map(|r| {
                vec![
                    if r.forwarded { "" } else { "★未報告" }.to_string(),
                    format!("{} {}", r.from, r.from_name).trim().to_string(),
                    r.seq.to_string(),
                    jst_time(&r.applied_at),
                    r.mode_labels.join("・"),
                    r.event_count.to_string(),
                    r.duplicates.to_string(),
                    r.notices.len().to_string(),
                ]
            })
            .collect();
        text += &render(
            &[
                "",
                "報告団体",
                "番号",
                "受信日時",
                "種別",
                "件数",
                "既受信",
                "通知",
            ],
            &rows,
        );
        for r in &h.received {
            for n in &r.notices {
                text += &format!("通知（{} 報告番号{}）: {}\n", r.from, r.seq, n.message);
            }
        }
        if h.received.iter().any(|r| !r.forwarded) {
            text += "★ 上位団体へまだ報告していない受信分があります。`anpi report` で報告してください\n";
        }
        text
    })
}
