//! Report, intake pause and report history RPCs. R.

use crate::app::AppError;
use anpi_core::event::Actor;
use anpi_core::jurisdiction::{JurisdictionCode, Tier};
use anpi_core::report::{IntakeScope, Notice};
use anpi_proto::v1;
use chrono::{DateTime, SecondsFormat, Utc};

use super::{NodeState, error};
use crate::store::reader::{self, ReceivedRow, SentRow};
use crate::store::writer::{Command, IntakeState, Outcome, ScopeState};
use anpi_core::command::Command as DomainCommand;

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(time).unwrap_or_default()
}

/// A display name for a jurisdiction code: 国, a prefecture's name, or the code.
pub fn jurisdiction_name(code: &str) -> String {
    match JurisdictionCode::parse(code) {
        Ok(code) if code.is_national() => "国（消防庁）".into(),
        Ok(code) if code.tier() == Tier::Prefecture => {
            anpi_core::prefecture::name_of(code.prefecture_number())
                .unwrap_or_default()
                .to_string()
        }
        _ => String::new(),
    }
}

fn sent(row: &SentRow) -> v1::SentReport {
    let (status, label) = if row.acknowledged_at.is_some() {
        ("acknowledged", "報告先で受理済み")
    } else if row.published_at.is_some() {
        ("delivered", "送信済み（報告先の受理待ち）")
    } else {
        ("pending", "送信待ち（NATSに未到達）")
    };
    v1::SentReport {
        report_id: row.report_id.to_string(),
        seq: row.seq,
        to: row.to.clone(),
        event_count: row.event_count,
        created_at: time(row.created_at),
        actor: row.actor.clone(),
        status: status.into(),
        status_label: label.into(),
        parts: row.parts.unwrap_or_default(),
        published_at: opt_time(row.published_at),
        acknowledged_at: opt_time(row.acknowledged_at),
        appended: row.appended.unwrap_or_default(),
        duplicates: row.duplicates.unwrap_or_default(),
        mode_labels: mode_labels(&row.modes),
    }
}

/// 実事案 / 訓練 for the modes a report carried (T-04).
fn mode_labels(modes: &[String]) -> Vec<String> {
    modes
        .iter()
        .filter_map(|m| anpi_core::incident::IncidentMode::parse(m))
        .map(|m| m.label_ja().to_string())
        .collect()
}

fn notice(notice: &Notice) -> v1::ReportNotice {
    match notice {
        Notice::DeathConversion {
            old_record,
            new_record,
            ..
        } => v1::ReportNotice {
            kind: "death_conversion".into(),
            message: notice.message_ja(),
            old_record_id: old_record.to_string(),
            new_record_id: new_record.to_string(),
        },
    }
}

fn received(row: &ReceivedRow, reported_through: i64, has_parent: bool) -> v1::ReceivedReport {
    v1::ReceivedReport {
        report_id: row.report_id.to_string(),
        from: row.from.clone(),
        from_name: jurisdiction_name(&row.from),
        seq: row.seq,
        event_count: row.event_count,
        duplicates: row.duplicates,
        parts: row.parts,
        applied_at: time(row.applied_at),
        forwarded: !has_parent
            || row
                .last_position
                .is_none_or(|last| last <= reported_through),
        notices: row.notices.iter().map(notice).collect(),
        mode_labels: mode_labels(&row.modes),
    }
}

fn scope_status(state: &ScopeState) -> v1::IntakeScopeStatus {
    v1::IntakeScopeStatus {
        paused: state.paused,
        changed_at: opt_time(state.changed_at),
        actor: state.actor.clone().unwrap_or_default(),
        label: if state.paused {
            "一時停止中"
        } else {
            "受付中"
        }
        .into(),
    }
}

async fn intake_status(state: &NodeState, intake: &IntakeState) -> v1::IntakeStatus {
    let waiting = match &state.bus {
        Some(bus) if state.config.tier != Tier::Municipality => {
            bus.waiting_reports().await.map_or(-1, |n| n as i64)
        }
        _ => 0,
    };
    v1::IntakeStatus {
        own: Some(scope_status(&intake.own)),
        reports: Some(scope_status(&intake.reports)),
        waiting_messages: waiting,
    }
}

pub async fn report(state: &NodeState, actor: Actor) -> Result<v1::ReportResponse, AppError> {
    let outcome = state
        .writer
        .submit(actor, Command::SendReport)
        .await
        .map_err(error::rejection)?;
    let Outcome::Reported(summary) = outcome else {
        return Err(AppError::internal("unexpected outcome"));
    };
    let Some(summary) = summary else {
        return Ok(v1::ReportResponse {
            reported: false,
            report: None,
            message: "未報告の安否情報はありません（報告は行っていません）".into(),
        });
    };
    let message = format!(
        "{}件の安否情報を{}へ報告しました（報告番号 {}）。報告先への配送は自動で行われます",
        summary.event_count,
        match jurisdiction_name(summary.to.as_str()) {
            name if name.is_empty() => summary.to.to_string(),
            name => name,
        },
        summary.seq
    );
    Ok(v1::ReportResponse {
        reported: true,
        report: Some(sent(&SentRow {
            report_id: summary.report_id.as_uuid(),
            seq: summary.seq,
            to: summary.to.to_string(),
            event_count: summary.event_count,
            created_at: summary.created_at,
            actor: String::new(),
            parts: None,
            published_at: None,
            acknowledged_at: None,
            appended: None,
            duplicates: None,
            // Shown in the history (`anpi reports history`).
            modes: Vec::new(),
        })),
        message,
    })
}

pub async fn set_intake(
    state: &NodeState,
    actor: Actor,
    request: v1::SetIntakeRequest,
) -> Result<v1::IntakeStatus, AppError> {
    let scope = IntakeScope::parse(&request.scope).ok_or_else(|| {
        error::invalid(&[anpi_core::validation::FieldError::new(
            "scope",
            format!(
                "停止・再開の対象は own（自団体での登録）または reports（下位団体からの報告）です（入力: {}）",
                request.scope
            ),
        )])
    })?;
    if scope == IntakeScope::Reports && state.config.tier == Tier::Municipality {
        return Err(AppError::Conflict(String::from(
            "市町村のノードは下位団体からの報告を受け付けません（停止・再開の対象は own です）",
        )));
    }
    let outcome = state
        .writer
        .submit(
            actor,
            DomainCommand::SetIntake {
                scope,
                paused: request.paused,
            },
        )
        .await
        .map_err(error::rejection)?;
    let Outcome::Intake(intake) = outcome else {
        return Err(AppError::internal("unexpected outcome"));
    };
    tracing::info!(
        scope = scope.as_str(),
        paused = request.paused,
        "intake changed"
    );
    Ok(intake_status(state, &intake).await)
}

pub async fn get_intake(state: &NodeState) -> Result<v1::IntakeStatus, AppError> {
    let intake = state.writer.intake().borrow().clone();
    Ok(intake_status(state, &intake).await)
}

pub async fn history(
    state: &NodeState,
    request: v1::ReportHistoryRequest,
) -> Result<v1::ReportHistoryResponse, AppError> {
    let limit = match request.limit {
        0 => 100,
        n => i64::from(n.clamp(1, 10_000)),
    };
    let client = state.pool.get().await.map_err(|e| error::store(e.into()))?;
    let sent_rows = reader::sent_reports(&**client, limit)
        .await
        .map_err(error::store)?;
    let received_rows = reader::received_reports(&**client, limit)
        .await
        .map_err(error::store)?;
    let (through, unreported, unforwarded) =
        reader::unreported(&**client, &state.config.jurisdiction)
            .await
            .map_err(error::store)?;
    let has_parent = state.config.parent.is_some();
    Ok(v1::ReportHistoryResponse {
        parent: state
            .config
            .parent
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        sent: sent_rows.iter().map(sent).collect(),
        received: received_rows
            .iter()
            .map(|row| received(row, through, has_parent))
            .collect(),
        unreported_events: if has_parent { unreported } else { 0 },
        unforwarded_received_events: if has_parent { unforwarded } else { 0 },
    })
}

/// For `GetNodeInfo`: (own paused, reports paused, unreported events).
pub async fn node_summary(state: &NodeState) -> Result<(bool, bool, i64), AppError> {
    let intake = state.writer.intake().borrow().clone();
    let unreported = if state.config.parent.is_some() {
        let client = state.pool.get().await.map_err(|e| error::store(e.into()))?;
        reader::unreported(&**client, &state.config.jurisdiction)
            .await
            .map_err(error::store)?
            .1
    } else {
        0
    };
    Ok((intake.own.paused, intake.reports.paused, unreported))
}
