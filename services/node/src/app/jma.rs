//! Automatic roll-calls from the meteorological agency's earthquake telegrams (K-08,
//! issue 20 item 3): what the node does, as itself (`jurisdiction/system`), with a
//! telegram its feed task read (`crate::jma_feed`) and with the dispatches that come
//! due. No session and no authority check: the node's operator chose the feed and
//! the conditions in its configuration; everything it starts is an event of
//! `jurisdiction/system` with the rules' reason (`Started.trigger`).
//!
//! The rules decide (`anpi_core::rollcall::jma::Evaluator`, its state kept in
//! PostgreSQL); each dispatch is planned and rendered by the same function as a
//! roll-call someone sends (`prepare_broadcast`: `call::plan`, the templates, the
//! links); the writer stores the telegram, the state and the roll-calls in one
//! transaction (`store/writer/jma.rs`).
//!
//! What becomes of a dispatch (`jma_dispatches.state`):
//! - due now, the mail server set, somebody to ask: it **starts** with the telegram;
//! - due later (a condition's delay): **pending**, started by [`NodeState::jma_start_due`]
//!   when due (the feed task calls it), also after a restart;
//! - no mail server set yet: **pending** too, logged as an error at each try; it
//!   starts as soon as one is set, unless a 取消 comes first or it expires;
//! - more than `EXPIRY_MINUTES` (3 hours) past due without starting: **failed**
//!   (too late to help);
//! - refused by the planning rules (an organisation of the conditions that is not in
//!   the directory, nobody with an address): **failed**, with the reason;
//! - everybody it names already asked by this condition for the same earthquake
//!   (a member in two organisations): **skipped**;
//! - a 取消 of the earthquake: pending ones **cancelled**, started roll-calls
//!   withdrawn (`RollcallCancelled`) with a notice to every address they reached.

use std::collections::BTreeSet;

use anpi_core::rollcall::jma::{self, Condition, Decision, Evaluator, Telegram};
use anpi_core::rollcall::{Member, OrgCode};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::{AppError, NodeState};
use crate::store::jma as tables;
pub use crate::store::jma::{SourceKind, TelegramSource};
use crate::store::rollcall as rollcall_tables;
use crate::store::writer::{
    CancelOrder, DispatchKey, Dispatching, JmaTelegram, NewDispatch, RollcallChange,
    RollcallWritten, system_actor,
};

/// How long the rules remember an earthquake after their last dispatch for it: a
/// week (a 取消 comes within minutes; the longest suppression window is a day).
const REMEMBER_DAYS: i64 = 7;

/// How often a telegram is evaluated again when the rules' state moved meanwhile
/// (only another writer of the same state could move it: never in one node).
const ATTEMPTS: usize = 3;

/// What the members are told a withdrawn roll-call was withdrawn for.
const CANCEL_WHY: &str = "気象庁が地震情報を取り消したため";

/// A telegram as the feed task read it.
#[derive(Debug, Clone)]
pub struct TelegramRead {
    pub source: TelegramSource,
    /// The telegram, or why it could not be read (Japanese, as `JmaError` says it).
    pub telegram: Result<Telegram, String>,
}

/// What became of a telegram.
#[derive(Debug, Clone)]
pub struct Processed {
    /// Read before: nothing was done.
    pub known: bool,
    /// The same bytes were read before from this other source: remembered, not
    /// evaluated again.
    pub repeat_of: Option<String>,
    /// The rules' decisions (empty when unreadable or a repeat).
    pub decisions: Vec<Decision>,
    /// What became of each dispatch decided, in order: (condition, state, note);
    /// state `started`, `pending`, `failed` or `skipped`.
    pub dispatches: Vec<(String, &'static str, String)>,
    pub written: RollcallWritten,
}

/// What became of a dispatch that came due.
#[derive(Debug, Clone)]
pub struct DueOutcome {
    pub dispatch: tables::Dispatch,
    /// started, pending, failed, skipped.
    pub state: &'static str,
    pub note: String,
    pub written: RollcallWritten,
}

fn state_of(then: &Dispatching) -> (&'static str, String) {
    match then {
        Dispatching::Start(_) => ("started", String::new()),
        Dispatching::Wait(note) => ("pending", note.clone()),
        Dispatching::Fail(note) => ("failed", note.clone()),
        Dispatching::Skip(note) => ("skipped", note.clone()),
    }
}

impl NodeState {
    /// Whether an Atom entry (by its id) was read before: then it is not fetched.
    pub async fn jma_entry_known(&self, id: &str) -> Result<bool, AppError> {
        let client = self.pool.get().await?;
        Ok(tables::entry_known(&**client, id).await?)
    }

    /// The files of the watched directory read before, with their bytes' hashes.
    pub async fn jma_files_read(&self) -> Result<BTreeSet<(String, Vec<u8>)>, AppError> {
        let client = self.pool.get().await?;
        Ok(tables::files_read(&**client).await?)
    }

    /// When the next pending dispatch falls due after `now`, if any.
    pub async fn jma_next_due(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, AppError> {
        let client = self.pool.get().await?;
        Ok(tables::next_due(&**client, now).await?)
    }

    /// One telegram read by the feed task, at `now`: remembered with what the rules
    /// decide under `conditions`, in one transaction with the roll-calls it starts and
    /// withdraws. A telegram read before does nothing; the same bytes under another
    /// name are remembered as a repeat; an unreadable one is remembered with its
    /// error. Every decision's reason is in the reply (and the feed task logs it).
    pub async fn jma_telegram(
        &self,
        conditions: &[Condition],
        read: &TelegramRead,
        now: DateTime<Utc>,
    ) -> Result<Processed, AppError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.jma_telegram_once(conditions, read, now).await {
                Err(AppError::Conflict(message)) if attempt < ATTEMPTS => {
                    tracing::warn!(%message, "earthquake telegram: evaluating again");
                }
                other => return other,
            }
        }
    }

    async fn jma_telegram_once(
        &self,
        conditions: &[Condition],
        read: &TelegramRead,
        now: DateTime<Utc>,
    ) -> Result<Processed, AppError> {
        let mut processed = Processed {
            known: false,
            repeat_of: None,
            decisions: Vec::new(),
            dispatches: Vec::new(),
            written: RollcallWritten::default(),
        };
        let (known, repeat_of, stored) = {
            let client = self.pool.get().await?;
            (
                tables::known(&**client, &read.source).await?,
                tables::same_bytes(&**client, &read.source.hash).await?,
                tables::state(&**client).await?,
            )
        };
        if known {
            processed.known = true;
            return Ok(processed);
        }
        let mut record = JmaTelegram {
            source: read.source.clone(),
            kind: String::new(),
            event_id: String::new(),
            report_time: None,
            summary: read.source.name.clone(),
            outcome: serde_json::Value::Null,
            state: None,
            dispatches: Vec::new(),
            cancels: Vec::new(),
        };
        if let Ok(telegram) = &read.telegram {
            record.kind = kind_code(telegram);
            record.event_id = telegram.event_id.clone();
            record.report_time = Some(telegram.report_time);
            record.summary = telegram.describe();
        }
        match (&repeat_of, &read.telegram) {
            (Some(first), _) => {
                record.outcome = json!({ "repeat_of": first });
                processed.repeat_of = Some(first.clone());
            }
            (None, Err(error)) => record.outcome = json!({ "error": error }),
            (None, Ok(telegram)) => {
                let (mut evaluator, version) = match stored {
                    Some((value, version)) => (
                        serde_json::from_value::<Evaluator>(value)
                            .map_err(crate::store::Error::from)?,
                        version,
                    ),
                    None => (Evaluator::new(), 0),
                };
                evaluator.forget_before(now - Duration::days(REMEMBER_DAYS));
                let decisions = evaluator.evaluate(conditions, telegram, now);
                for decision in &decisions {
                    match decision {
                        Decision::Dispatch {
                            condition,
                            event_id,
                            orgs,
                            mode,
                            title,
                            at,
                            reason,
                        } => {
                            let key = DispatchKey {
                                condition: condition.clone(),
                                event_id: event_id.clone(),
                                mode: *mode,
                            };
                            let then = self
                                .dispatching(&key, orgs, title, *at, reason, now)
                                .await?;
                            let (state, note) = state_of(&then);
                            processed.dispatches.push((condition.clone(), state, note));
                            record.dispatches.push(NewDispatch {
                                key,
                                orgs: orgs.clone(),
                                title: title.clone(),
                                due_at: *at,
                                reason: reason.clone(),
                                then,
                            });
                        }
                        Decision::Cancel {
                            condition,
                            event_id,
                            mode,
                            reason,
                        } => record.cancels.push(CancelOrder {
                            key: DispatchKey {
                                condition: condition.clone(),
                                event_id: event_id.clone(),
                                mode: *mode,
                            },
                            reason: reason.clone(),
                            why: format!("{CANCEL_WHY}（EventID {event_id}）"),
                        }),
                        Decision::Ignore { .. } => {}
                    }
                }
                record.outcome = json!({ "decisions": decisions });
                record.state = Some((
                    serde_json::to_value(&evaluator).map_err(crate::store::Error::from)?,
                    version,
                ));
                processed.decisions = decisions;
            }
        }
        let written = self
            .writer
            .ask::<RollcallWritten>(
                system_actor(&self.config.jurisdiction),
                crate::store::writer::Command::Rollcall(RollcallChange::JmaTelegram(Box::new(
                    record,
                ))),
            )
            .await?;
        processed.known = written.known;
        if written.known {
            processed.decisions.clear();
            processed.dispatches.clear();
        }
        processed.written = written;
        Ok(processed)
    }

    /// What becomes of a dispatch at `now` (see the module's comment): it waits
    /// until due and until a mail server is set, fails when expired or refused by
    /// the planning rules, is skipped when everybody it names was asked already, or
    /// starts with the broadcast planned like any other.
    async fn dispatching(
        &self,
        key: &DispatchKey,
        orgs: &[OrgCode],
        title: &str,
        due: DateTime<Utc>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Dispatching, AppError> {
        if due > now {
            return Ok(Dispatching::Wait(format!(
                "{} に送信します",
                anpi_core::rollcall::template::mail_time(due)
            )));
        }
        if jma::expired(due, now) {
            return Ok(Dispatching::Fail(format!(
                "送信予定（{}）から{}分以上過ぎたため、送信しません",
                anpi_core::rollcall::template::mail_time(due),
                jma::EXPIRY_MINUTES
            )));
        }
        let (settings, tree, members, asked) = {
            let client = self.pool.get().await?;
            (
                rollcall_tables::settings(&**client).await?,
                rollcall_tables::org_tree(&**client).await?,
                crate::store::rollcall_contacts::members_to_mail(&**client).await?,
                tables::asked(&**client, &key.condition, &key.event_id, key.mode).await?,
            )
        };
        if settings.is_none() {
            tracing::error!(
                condition = %key.condition,
                event_id = %key.event_id,
                "earthquake roll-call waits: no mail server is set (安否確認の送信メールサーバーが未設定)"
            );
            return Ok(Dispatching::Wait(
                "配信メールサーバーが設定されていないため、設定されるまで待ちます".into(),
            ));
        }
        // Empty: every organisation, that is every top-level one with those below.
        let chosen: Vec<OrgCode> = if orgs.is_empty() {
            tree.roots()
        } else {
            orgs.to_vec()
        };
        let scope = tree.with_descendants(&chosen);
        let reachable: Vec<&Member> = members
            .iter()
            .filter(|m| m.belongs_to_any(&scope) && !m.mails.is_empty())
            .collect();
        if !reachable.is_empty() && reachable.iter().all(|m| asked.contains(&m.code)) {
            return Ok(Dispatching::Skip(
                "対象の職員は全員、この地震で既に安否確認を受けています".into(),
            ));
        }
        let left: Vec<Member> = members
            .into_iter()
            .filter(|m| !asked.contains(&m.code))
            .collect();
        match self
            .prepare_broadcast(&tree, &left, &chosen, title, key.mode, &[])
            .await
        {
            Ok((mut broadcast, _)) => {
                if let anpi_core::rollcall::RollcallEvent::Started { trigger, .. } =
                    &mut broadcast.event
                {
                    *trigger = Some(reason.to_string());
                }
                Ok(Dispatching::Start(Box::new(broadcast)))
            }
            Err(AppError::Invalid(errors)) => Ok(Dispatching::Fail(
                errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
            )),
            Err(AppError::NotFound(message)) | Err(AppError::Conflict(message)) => {
                Ok(Dispatching::Fail(message))
            }
            Err(other) => Err(other),
        }
    }

    /// Starts (or waits on, or gives up) the pending dispatches due at `now`, each in
    /// a transaction of its own: a 取消 written meanwhile wins (the writer checks the
    /// dispatch is still pending).
    pub async fn jma_start_due(&self, now: DateTime<Utc>) -> Result<Vec<DueOutcome>, AppError> {
        let due = {
            let client = self.pool.get().await?;
            tables::due(&**client, now).await?
        };
        let mut outcomes = Vec::with_capacity(due.len());
        for dispatch in due {
            let key = DispatchKey {
                condition: dispatch.condition.clone(),
                event_id: dispatch.event_id.clone(),
                mode: dispatch.mode,
            };
            let then = self
                .dispatching(
                    &key,
                    &dispatch.orgs,
                    &dispatch.title,
                    dispatch.due_at,
                    &dispatch.reason,
                    now,
                )
                .await?;
            let (state, note) = state_of(&then);
            if state == "pending" && note == dispatch.note {
                // Still waiting for the same reason: nothing to write.
                outcomes.push(DueOutcome {
                    dispatch,
                    state,
                    note,
                    written: RollcallWritten::default(),
                });
                continue;
            }
            let written = self
                .rollcall_write(
                    system_actor(&self.config.jurisdiction),
                    RollcallChange::JmaDue {
                        dispatch: dispatch.id,
                        then,
                    },
                )
                .await?;
            outcomes.push(DueOutcome {
                dispatch,
                state,
                note,
                written,
            });
        }
        Ok(outcomes)
    }
}

/// The kind of a telegram as kept (`VXSE51` …, `early_warning`, `other`).
fn kind_code(telegram: &Telegram) -> String {
    use anpi_core::rollcall::jma::TelegramKind;
    match &telegram.kind {
        TelegramKind::EarlyWarning => "early_warning".into(),
        TelegramKind::Other(_) => "other".into(),
        kind => kind.code().into(),
    }
}
