//! Report, intake pause and report history (R-01, R-03, R-04; guideline 第4 5).

use anpi_core::account::Operation;
use anpi_core::command::Command as DomainCommand;
use anpi_core::jurisdiction::{JurisdictionCode, Tier};
use anpi_core::report::IntakeScope;

use super::{AppError, NodeState};
use crate::store::accounts::Session;
use crate::store::reader::{self, ReceivedRow, SentRow};
use crate::store::writer::{Command, IntakeState, SentSummary};

/// A display name for a jurisdiction code: 国, a prefecture's name, or empty.
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

/// Where a sent report stands (R-04, figure 4-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Recorded here, not yet in NATS.
    Pending,
    /// In NATS, not yet applied by the parent.
    Delivered,
    /// The parent applied it.
    Acknowledged,
}

impl Delivery {
    pub fn of(row: &SentRow) -> Delivery {
        if row.acknowledged_at.is_some() {
            Delivery::Acknowledged
        } else if row.published_at.is_some() {
            Delivery::Delivered
        } else {
            Delivery::Pending
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Pending => "pending",
            Delivery::Delivered => "delivered",
            Delivery::Acknowledged => "acknowledged",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Delivery::Pending => "送信待ち（NATSに未到達）",
            Delivery::Delivered => "送信済み（報告先の受理待ち）",
            Delivery::Acknowledged => "報告先で受理済み",
        }
    }
}

/// 実事案 / 訓練 for the modes a report carried (T-04).
pub fn mode_labels(modes: &[String]) -> Vec<&'static str> {
    modes
        .iter()
        .filter_map(|m| anpi_core::incident::IncidentMode::parse(m))
        .map(|m| m.label_ja())
        .collect()
}

/// What "report" did.
#[derive(Debug, Clone)]
pub struct ReportMade {
    /// `None`: nothing was waiting (no report made).
    pub summary: Option<SentSummary>,
    /// For the user, in Japanese.
    pub message: String,
}

/// The intake state, with the reports waiting in JetStream (-1: unknown).
#[derive(Debug, Clone)]
pub struct IntakeView {
    pub intake: IntakeState,
    pub waiting_messages: i64,
}

/// A received report and whether its events have gone on upward.
#[derive(Debug, Clone)]
pub struct Received {
    pub row: ReceivedRow,
    pub forwarded: bool,
}

/// The report history (R-04, figure 4-12).
#[derive(Debug, Clone)]
pub struct History {
    pub parent: Option<JurisdictionCode>,
    pub sent: Vec<SentRow>,
    pub received: Vec<Received>,
    pub unreported_events: i64,
    pub unforwarded_received_events: i64,
}

/// Parses the scope of a pause as typed (`own` / `reports`).
pub fn parse_scope(text: &str) -> Result<IntakeScope, AppError> {
    IntakeScope::parse(text).ok_or_else(|| {
        AppError::field(
            "scope",
            format!(
                "停止・再開の対象は own（自団体での登録）または reports（下位団体からの報告）です（入力: {text}）"
            ),
        )
    })
}

impl NodeState {
    /// reports every not-yet-reported event upward.
    pub async fn report(&self, session: &Session) -> Result<ReportMade, AppError> {
        let caller = self.authorize(session, Operation::Report)?;
        let summary: Option<SentSummary> =
            self.writer.ask(caller.actor, Command::SendReport).await?;
        let message = match &summary {
            None => "未報告の安否情報はありません（報告は行っていません）".into(),
            Some(summary) => format!(
                "{}件の安否情報を{}へ報告しました（報告番号 {}）。報告先への配送は自動で行われます",
                summary.event_count,
                match jurisdiction_name(summary.to.as_str()) {
                    name if name.is_empty() => summary.to.to_string(),
                    name => name,
                },
                summary.seq
            ),
        };
        Ok(ReportMade { summary, message })
    }

    /// pauses or resumes the node's own registrations or its subordinates'
    /// reports.
    pub async fn set_intake(
        &self,
        session: &Session,
        scope: IntakeScope,
        paused: bool,
    ) -> Result<IntakeView, AppError> {
        let caller = self.authorize(session, Operation::SetIntake)?;
        if scope == IntakeScope::Reports && self.config.tier == Tier::Municipality {
            return Err(AppError::Conflict(String::from(
                "市町村のノードは下位団体からの報告を受け付けません（停止・再開の対象は own です）",
            )));
        }
        let intake: IntakeState = self
            .writer
            .ask(caller.actor, DomainCommand::SetIntake { scope, paused })
            .await?;
        tracing::info!(scope = scope.as_str(), paused, "intake changed");
        Ok(self.intake_view(intake).await)
    }

    pub async fn get_intake(&self, session: &Session) -> Result<IntakeView, AppError> {
        self.authorize(session, Operation::GetIntake)?;
        let intake = self.writer.intake().borrow().clone();
        Ok(self.intake_view(intake).await)
    }

    async fn intake_view(&self, intake: IntakeState) -> IntakeView {
        let waiting_messages = match &self.bus {
            Some(bus) if self.config.tier != Tier::Municipality => {
                bus.waiting_reports().await.map_or(-1, |n| n as i64)
            }
            _ => 0,
        };
        IntakeView {
            intake,
            waiting_messages,
        }
    }

    /// the reports sent and received, newest first (`limit`: 0 means 100).
    pub async fn report_history(&self, session: &Session, limit: i32) -> Result<History, AppError> {
        self.authorize(session, Operation::ReportHistory)?;
        let limit = match limit {
            0 => 100,
            n => i64::from(n.clamp(1, 10_000)),
        };
        let client = self.pool.get().await?;
        let sent = reader::sent_reports(&**client, limit).await?;
        let received_rows = reader::received_reports(&**client, limit).await?;
        let (through, unreported, unforwarded) =
            reader::unreported(&**client, &self.config.jurisdiction).await?;
        let has_parent = self.config.parent.is_some();
        let received = received_rows
            .into_iter()
            .map(|row| Received {
                forwarded: !has_parent || row.last_position.is_none_or(|last| last <= through),
                row,
            })
            .collect();
        Ok(History {
            parent: self.config.parent.clone(),
            sent,
            received,
            unreported_events: if has_parent { unreported } else { 0 },
            unforwarded_received_events: if has_parent { unforwarded } else { 0 },
        })
    }
}

/// One subordinate of this node and what the report history shows of it (R-04;
/// guideline 第4 5(2)ア: 管内の報告作業の進捗状況), listed even when it never reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subordinate {
    pub code: String,
    /// 国, a prefecture's name, or empty (a municipality: this node holds no names).
    pub name: String,
    /// A key is registered here for it (A-05: only then can its reports be applied).
    pub key_registered: bool,
    /// Its reports among those of the history.
    pub reports: i64,
    pub events: i64,
    pub last_seq: Option<i64>,
    pub last_applied_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Some of its reports' events are not yet forwarded upward.
    pub unforwarded: bool,
}

/// Every subordinate of `own` (at a `tier` node) with its reports in `received`: the
/// 47 prefectures at the national tier; at a prefecture the municipalities whose keys
/// are registered here (`registered`: the codes of the registered keys, the national
/// key's among them) — no other list of a prefecture's municipalities is held; and
/// whoever reported. Ordered by code.
pub fn subordinates_of(
    own: &JurisdictionCode,
    tier: Tier,
    registered: &[String],
    received: &[Received],
) -> Vec<Subordinate> {
    use std::collections::BTreeMap;
    let blank = |code: &str| Subordinate {
        code: code.to_string(),
        name: jurisdiction_name(code),
        key_registered: false,
        reports: 0,
        events: 0,
        last_seq: None,
        last_applied_at: None,
        unforwarded: false,
    };
    let mut all: BTreeMap<String, Subordinate> = BTreeMap::new();
    if tier == Tier::National {
        for number in 1..=47 {
            if let Some(code) = JurisdictionCode::prefecture(number) {
                all.insert(code.to_string(), blank(code.as_str()));
            }
        }
    }
    for code in registered {
        let child = JurisdictionCode::parse(code)
            .ok()
            .filter(|c| c.natural_parent().as_ref() == Some(own));
        if let Some(child) = child {
            all.entry(child.to_string())
                .or_insert_with(|| blank(child.as_str()))
                .key_registered = true;
        }
    }
    for received in received {
        let row = &received.row;
        let entry = all
            .entry(row.from.clone())
            .or_insert_with(|| blank(&row.from));
        entry.reports += 1;
        entry.events += row.event_count;
        entry.unforwarded |= !received.forwarded;
        if entry.last_seq.is_none_or(|seq| seq < row.seq) {
            entry.last_seq = Some(row.seq);
        }
        if entry.last_applied_at.is_none_or(|at| at < row.applied_at) {
            entry.last_applied_at = Some(row.applied_at);
        }
    }
    all.into_values().collect()
}

impl NodeState {
    /// R-04, 第4 5(2)ア: every subordinate of this node, including those that never
    /// reported, with what `history` (from [`NodeState::report_history`]) shows of
    /// its reports (the counts cover the reports the history holds). Empty at a
    /// municipality.
    pub async fn subordinates(
        &self,
        session: &Session,
        history: &History,
    ) -> Result<Vec<Subordinate>, AppError> {
        self.authorize(session, Operation::ReportHistory)?;
        if self.config.tier == Tier::Municipality {
            return Ok(Vec::new());
        }
        let registered: Vec<String> = crate::trust::registered_keys(&self.pool)
            .await
            .map_err(|e| AppError::internal(format!("registered keys: {e:#}")))?
            .into_iter()
            .map(|(code, ..)| code)
            .collect();
        Ok(subordinates_of(
            &self.config.jurisdiction,
            self.config.tier,
            &registered,
            &history.received,
        ))
    }
}

#[cfg(test)]
mod subordinate_tests {
    use super::*;

    fn received(from: &str, seq: i64, events: i64, forwarded: bool) -> Received {
        Received {
            row: ReceivedRow {
                report_id: uuid::Uuid::nil(),
                from: from.into(),
                seq,
                event_count: events,
                duplicates: 0,
                parts: 1,
                applied_at: chrono::Utc::now(),
                last_position: Some(seq),
                notices: Vec::new(),
                modes: Vec::new(),
            },
            forwarded,
        }
    }

    #[test]
    fn the_national_tier_lists_every_prefecture_even_silent_ones() {
        let tokyo = JurisdictionCode::prefecture(13).unwrap().to_string();
        let list = subordinates_of(
            &JurisdictionCode::national(),
            Tier::National,
            &[],
            &[received(&tokyo, 1, 3, true), received(&tokyo, 2, 4, false)],
        );
        assert_eq!(list.len(), 47);
        let row = list.iter().find(|s| s.code == tokyo).unwrap();
        assert_eq!((row.reports, row.events, row.last_seq), (2, 7, Some(2)));
        assert!(row.unforwarded);
        assert_eq!(row.name, "東京都");
        assert!(list.iter().filter(|s| s.reports == 0).count() == 46);
    }

    #[test]
    fn a_prefecture_lists_its_registered_children_but_not_the_national_key() {
        let own = JurisdictionCode::prefecture(13).unwrap();
        let child = "131016".to_string();
        let other_prefectures_town = "011002".to_string();
        let list = subordinates_of(
            &own,
            Tier::Prefecture,
            &["000001".into(), child.clone(), other_prefectures_town],
            &[],
        );
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].code, child);
        assert!(list[0].key_registered);
        assert_eq!(list[0].reports, 0);
    }
}
