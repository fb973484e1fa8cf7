//! The tonic services of a node. Thin: authenticate, parse, call the domain and the
//! store, convert. R: T-02, A-01, E-01..E-13, L-02, T-04.

mod accounts;
mod audit;
pub mod error;
mod inquiry;
mod organise;
mod publication;
mod reports;
mod rollcall;
mod shared;
mod trust;

/// Domain → wire conversions, shared with the bus (`crate::convert`).
pub(crate) use crate::convert;

use std::sync::Arc;

use anpi_core::account;
use anpi_core::ids::{IncidentId, InquiryId, RecordId};
use anpi_proto::{draft_from_proto, v1};
use chrono::SecondsFormat;
use tonic::{Request, Response, Status};

use crate::app::AppError;
use crate::app::entries::{BulkEntry, NewEntry, NewIncident, RecordQuery};
use crate::app::replay::ReplayInput;
use crate::app::trust::RevocationInput;
pub use crate::app::{Caller, NodeState};
use crate::store::accounts::Session;
use crate::store::writer::RecordWritten;
pub use rollcall::RollcallService;

/// The session of a request's bearer token, or UNAUTHENTICATED.
async fn session<T>(state: &NodeState, request: &Request<T>) -> Result<Session, AppError> {
    let header = request
        .metadata()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            AppError::Unauthenticated(String::from("ログインしてください（`anpi login`）"))
        })?;
    let token = header.strip_prefix("Bearer ").ok_or_else(|| {
        AppError::Unauthenticated(String::from(
            "認証情報の形式が正しくありません（Bearer トークン）",
        ))
    })?;
    state.session(token).await
}

fn record_reply(written: RecordWritten) -> v1::Record {
    convert::record(&written.record, written.incident.as_ref())
}

fn parse_record_id(text: &str) -> Result<RecordId, AppError> {
    parse_id("record_id", text)
}

/// A required ID field.
fn parse_id<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, AppError> {
    text.parse().map_err(|_| AppError::bad_id(field, text))
}

/// An optional ID field: empty is `None`, anything else must parse.
fn optional_id<T: std::str::FromStr>(field: &str, text: &str) -> Result<Option<T>, AppError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| error::bad_id(field, text))
}

/// The Auth service: login only.
pub struct AuthService(pub Arc<NodeState>);

#[tonic::async_trait]
impl v1::auth_server::Auth for AuthService {
    async fn login(
        &self,
        request: Request<v1::LoginRequest>,
    ) -> Result<Response<v1::LoginResponse>, Status> {
        // R: A-03. The peer address for the per-address back-off (`None` without TCP).
        let client = request.remote_addr().map(|addr| addr.ip());
        let request = request.into_inner();
        let (token, session) = self
            .0
            .login(&request.account, &request.password, client)
            .await?;
        let notice = account::must_change_message(session.state)
            .map(|m| format!("{m}（`anpi password` で変更してください）"))
            .unwrap_or_default();
        Ok(Response::new(v1::LoginResponse {
            token,
            expires_at: session
                .expires_at
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            account: session.account.to_string(),
            jurisdiction: self.0.config.jurisdiction.to_string(),
            role: session.role.as_str().into(),
            role_label: session.role.long_label_ja().into(),
            must_change_password: session.state != account::LoginState::Active,
            notice,
        }))
    }
}

/// The Node service.
pub struct NodeService(pub Arc<NodeState>);

#[tonic::async_trait]
impl v1::node_server::Node for NodeService {
    async fn get_node_info(
        &self,
        request: Request<v1::GetNodeInfoRequest>,
    ) -> Result<Response<v1::NodeInfo>, Status> {
        let session = session(&self.0, &request).await?;
        let info = self.0.node_info(&session).await?;
        Ok(Response::new(v1::NodeInfo {
            own_intake_paused: info.own_intake_paused,
            report_intake_paused: info.report_intake_paused,
            unreported_events: info.unreported_events,
            tier: info.tier.as_str().to_string(),
            jurisdiction: info.jurisdiction.to_string(),
            parent: info.parent.map(|p| p.to_string()).unwrap_or_default(),
            head_position: info.head_position,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }))
    }

    async fn create_incident(
        &self,
        request: Request<v1::CreateIncidentRequest>,
    ) -> Result<Response<v1::Incident>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let new = NewIncident {
            id: optional_id::<IncidentId>("incident_id", &request.incident_id)?,
            name: request.name,
            mode: request.mode,
        };
        let written = self.0.create_incident(&session, new).await?;
        Ok(Response::new(convert::incident(&written.incident)))
    }

    async fn list_incidents(
        &self,
        request: Request<v1::ListIncidentsRequest>,
    ) -> Result<Response<v1::ListIncidentsResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let incidents = self.0.list_incidents(&session).await?;
        let retention = self.0.incident_retention(&session).await?;
        Ok(Response::new(v1::ListIncidentsResponse {
            incidents: incidents
                .iter()
                .map(|incident| {
                    let mut shown = convert::incident(incident);
                    if let Some(row) = retention
                        .iter()
                        .find(|r| r.incident == incident.id.as_uuid())
                    {
                        shown.retention_until =
                            row.until.map(|d| d.to_string()).unwrap_or_default();
                        shown.purged_at =
                            row.purged_at.map(crate::wire::rfc3339).unwrap_or_default();
                    }
                    shown
                })
                .collect(),
        }))
    }

    async fn record_entry(
        &self,
        request: Request<v1::RecordEntryRequest>,
    ) -> Result<Response<v1::RecordEntryResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let supersedes = optional_id::<RecordId>("supersedes", &request.supersedes)?;
        let incident: IncidentId = request.incident_id.parse().map_err(|_| {
            AppError::field(
                "incident_id",
                "事案IDを指定してください（`anpi incident list` で確認できます）",
            )
        })?;
        let draft = draft_from_proto(request.draft.unwrap_or_default()).map_err(|form| {
            AppError::field(
                "form",
                format!("様式は form1（様式第1号）または form2（様式第2号）です（入力: {form}）"),
            )
        })?;
        let written = self
            .0
            .record_entry(
                &session,
                NewEntry {
                    incident,
                    draft,
                    supersedes,
                    confirm_same_person: request.confirm_same_person,
                },
            )
            .await?;
        let position = written.position;
        Ok(Response::new(v1::RecordEntryResponse {
            record: Some(record_reply(written)),
            position,
        }))
    }

    async fn record_entries(
        &self,
        request: Request<v1::RecordEntriesRequest>,
    ) -> Result<Response<v1::RecordEntriesResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let incident: IncidentId = request.incident_id.parse().map_err(|_| {
            AppError::field(
                "incident_id",
                "事案IDを指定してください（`anpi incident list` で確認できます）",
            )
        })?;
        let mut entries = Vec::with_capacity(request.entries.len());
        for (index, entry) in request.entries.into_iter().enumerate() {
            let draft = draft_from_proto(entry.draft.unwrap_or_default()).map_err(|form| {
                AppError::field(
                    &format!("entries[{index}].form"),
                    format!(
                        "様式は form1（様式第1号）または form2（様式第2号）です（入力: {form}）"
                    ),
                )
            })?;
            let given = |text: String| Some(text).filter(|t| !t.trim().is_empty());
            entries.push(BulkEntry {
                draft,
                departed_on: given(entry.departed_on),
                deleted_reason: given(entry.deleted_reason),
                removed_duplicate: entry.removed_duplicate,
            });
        }
        let results = self.0.record_entries(&session, incident, entries).await?;
        let results = results
            .into_iter()
            .map(|result| {
                let position = result.written.as_ref().map_or(0, |w| w.position);
                v1::BulkEntryResult {
                    record: result.written.map(record_reply),
                    position,
                    error: (result.error.as_ref())
                        .map(AppError::message_ja)
                        .unwrap_or_default(),
                    error_code: (result.error.as_ref())
                        .map(|e| e.code().to_string())
                        .unwrap_or_default(),
                }
            })
            .collect();
        Ok(Response::new(v1::RecordEntriesResponse { results }))
    }

    async fn delete_entry(
        &self,
        request: Request<v1::DeleteEntryRequest>,
    ) -> Result<Response<v1::Record>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let record = parse_record_id(&request.record_id)?;
        let written = self
            .0
            .delete_entry(&session, record, request.reason)
            .await?;
        Ok(Response::new(record_reply(written)))
    }

    async fn record_departure(
        &self,
        request: Request<v1::RecordDepartureRequest>,
    ) -> Result<Response<v1::Record>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let record = parse_record_id(&request.record_id)?;
        let written = self
            .0
            .record_departure(&session, record, request.date)
            .await?;
        Ok(Response::new(record_reply(written)))
    }

    async fn list_records(
        &self,
        request: Request<v1::ListRecordsRequest>,
    ) -> Result<Response<v1::ListRecordsResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let query = RecordQuery {
            incident: optional_id::<IncidentId>("incident_id", &request.incident_id)?,
            include_deleted: request.include_deleted,
            after_position: request.after_position,
            limit: request.limit,
            export: request.export,
        };
        let records = self.0.list_records(&session, query).await?;
        Ok(Response::new(v1::ListRecordsResponse {
            records: records
                .iter()
                .map(|r| convert::record(&r.state, r.incident.as_ref()))
                .collect(),
        }))
    }

    async fn get_record(
        &self,
        request: Request<v1::GetRecordRequest>,
    ) -> Result<Response<v1::Record>, Status> {
        let session = session(&self.0, &request).await?;
        let record = parse_record_id(&request.into_inner().record_id)?;
        let view = self.0.get_record(&session, record).await?;
        Ok(Response::new(convert::record(
            &view.state,
            view.incident.as_ref(),
        )))
    }

    async fn read_events(
        &self,
        request: Request<v1::ReadEventsRequest>,
    ) -> Result<Response<v1::ReadEventsResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let filter = crate::app::entries::EventQuery {
            kind: request.kind,
            record_id: request.record_id,
            actor: request.actor,
            from: request.from,
            until: request.until,
        };
        let (events, head) = self
            .0
            .read_events(&session, request.after_position, request.limit, &filter)
            .await?;
        Ok(Response::new(v1::ReadEventsResponse {
            events: events.iter().map(crate::wire::event_to_proto).collect(),
            head_position: head,
        }))
    }

    async fn report(
        &self,
        request: Request<v1::ReportRequest>,
    ) -> Result<Response<v1::ReportResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let made = self.0.report(&session).await?;
        Ok(Response::new(reports::report_response(made)))
    }

    async fn set_intake(
        &self,
        request: Request<v1::SetIntakeRequest>,
    ) -> Result<Response<v1::IntakeStatus>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let scope = crate::app::reports::parse_scope(&request.scope)?;
        let view = self.0.set_intake(&session, scope, request.paused).await?;
        Ok(Response::new(reports::intake_status(&view)))
    }

    async fn get_intake(
        &self,
        request: Request<v1::GetIntakeRequest>,
    ) -> Result<Response<v1::IntakeStatus>, Status> {
        let session = session(&self.0, &request).await?;
        let view = self.0.get_intake(&session).await?;
        Ok(Response::new(reports::intake_status(&view)))
    }

    async fn report_history(
        &self,
        request: Request<v1::ReportHistoryRequest>,
    ) -> Result<Response<v1::ReportHistoryResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let history = self
            .0
            .report_history(&session, request.into_inner().limit)
            .await?;
        Ok(Response::new(reports::history(&history)))
    }

    async fn organise(
        &self,
        request: Request<v1::OrganiseRequest>,
    ) -> Result<Response<v1::OrganiseResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let incident = optional_id::<IncidentId>("incident_id", &request.incident_id)?;
        let screen = self
            .0
            .organise(&session, incident, request.limit, request.offset)
            .await?;
        Ok(Response::new(organise::organise_response(&screen)))
    }

    async fn merge_duplicate(
        &self,
        request: Request<v1::MergeDuplicateRequest>,
    ) -> Result<Response<v1::Record>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let keep = parse_id::<RecordId>("keep", &request.keep)?;
        let remove = parse_id::<RecordId>("remove", &request.remove)?;
        let written = self.0.merge_duplicate(&session, keep, remove).await?;
        Ok(Response::new(record_reply(written)))
    }

    async fn search(
        &self,
        request: Request<v1::SearchRequest>,
    ) -> Result<Response<v1::SearchResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let input = organise::search_input(request.into_inner())?;
        let found = self.0.search(&session, input).await?;
        Ok(Response::new(organise::search_response(&found)))
    }

    type ReplayStream = organise::ReplayStream;

    async fn replay(
        &self,
        request: Request<v1::ReplayRequest>,
    ) -> Result<Response<Self::ReplayStream>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let input = ReplayInput {
            into: request.into,
            until: request.until,
        };
        let progress = self.0.replay(&session, input).await?;
        Ok(Response::new(organise::replay_stream(progress)))
    }

    type VerifyLogStream = audit::VerifyStream;

    async fn verify_log(
        &self,
        request: Request<v1::VerifyLogRequest>,
    ) -> Result<Response<Self::VerifyLogStream>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let progress = self
            .0
            .verify_log(&session, request.from, &request.expect)
            .await?;
        Ok(Response::new(audit::verify_stream(progress)))
    }

    async fn publish(
        &self,
        request: Request<v1::PublishRequest>,
    ) -> Result<Response<v1::PublishResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let publication = self.0.publish(&session).await?;
        Ok(Response::new(shared::publish_response(publication)))
    }

    async fn get_shared_status(
        &self,
        request: Request<v1::GetSharedStatusRequest>,
    ) -> Result<Response<v1::SharedStatus>, Status> {
        let session = session(&self.0, &request).await?;
        let status = self.0.shared_status(&session).await?;
        Ok(Response::new(shared::status(&status)))
    }

    async fn register_inquiry(
        &self,
        request: Request<v1::RegisterInquiryRequest>,
    ) -> Result<Response<v1::InquiryView>, Status> {
        let session = session(&self.0, &request).await?;
        let (incident, draft) = inquiry::register_input(request.into_inner())?;
        let view = self.0.register_inquiry(&session, incident, draft).await?;
        Ok(Response::new(inquiry::view(&view)))
    }

    async fn identify_inquiry(
        &self,
        request: Request<v1::InquiryRequest>,
    ) -> Result<Response<v1::InquiryView>, Status> {
        let session = session(&self.0, &request).await?;
        let id = parse_id::<InquiryId>("inquiry_id", &request.into_inner().inquiry_id)?;
        let view = self.0.identify_inquiry(&session, id).await?;
        Ok(Response::new(inquiry::view(&view)))
    }

    async fn answer_inquiry(
        &self,
        request: Request<v1::AnswerInquiryRequest>,
    ) -> Result<Response<v1::InquiryView>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let id = parse_id::<InquiryId>("inquiry_id", &request.inquiry_id)?;
        // A reason refuses to answer; without one, the inquiry is answered.
        let view = if request.refuse_reason.trim().is_empty() {
            let channel = match request.answer_channel.trim() {
                "" => None,
                text => Some(
                    anpi_core::inquiry_types::AnswerChannel::parse(text).ok_or_else(|| {
                        crate::app::AppError::field(
                            "answer_channel",
                            format!("回答の方法は written（書面）・oral（口頭）・phone（電話）のいずれかです（入力: {text}）"),
                        )
                    })?,
                ),
            };
            self.0.answer_inquiry(&session, id, channel).await?
        } else {
            self.0
                .refuse_inquiry(&session, id, request.refuse_reason)
                .await?
        };
        Ok(Response::new(inquiry::view(&view)))
    }

    async fn get_inquiry(
        &self,
        request: Request<v1::InquiryRequest>,
    ) -> Result<Response<v1::InquiryView>, Status> {
        let session = session(&self.0, &request).await?;
        let id = parse_id::<InquiryId>("inquiry_id", &request.into_inner().inquiry_id)?;
        let view = self.0.get_inquiry(&session, id).await?;
        Ok(Response::new(inquiry::view(&view)))
    }

    async fn list_inquiries(
        &self,
        request: Request<v1::ListInquiriesRequest>,
    ) -> Result<Response<v1::ListInquiriesResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let views = self
            .0
            .list_inquiries(&session, request.into_inner().limit)
            .await?;
        Ok(Response::new(v1::ListInquiriesResponse {
            inquiries: views.iter().map(inquiry::view).collect(),
        }))
    }

    async fn decide_publication(
        &self,
        request: Request<v1::DecidePublicationRequest>,
    ) -> Result<Response<v1::PublicationStatus>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let record = parse_id::<RecordId>("record_id", &request.record_id)?;
        let draft = publication::draft(&request)?;
        self.0.decide_publication(&session, record, draft).await?;
        let status = self.0.publication_status(&session, record).await?;
        Ok(Response::new(publication::status(record, &status)))
    }

    async fn get_publication(
        &self,
        request: Request<v1::GetPublicationRequest>,
    ) -> Result<Response<v1::PublicationStatus>, Status> {
        let session = session(&self.0, &request).await?;
        let record = parse_id::<RecordId>("record_id", &request.into_inner().record_id)?;
        let status = self.0.publication_status(&session, record).await?;
        Ok(Response::new(publication::status(record, &status)))
    }

    async fn list_publication(
        &self,
        request: Request<v1::ListPublicationRequest>,
    ) -> Result<Response<v1::ListPublicationResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let incident = parse_id::<IncidentId>("incident_id", &request.into_inner().incident_id)?;
        let listed = self.0.publication_list(&session, incident).await?;
        Ok(Response::new(publication::people(&listed)))
    }

    async fn create_account(
        &self,
        request: Request<v1::CreateAccountRequest>,
    ) -> Result<Response<v1::IssuedPassword>, Status> {
        let session = session(&self.0, &request).await?;
        let draft = accounts::draft(request.into_inner());
        let issued = self.0.create_account(&session, draft).await?;
        Ok(Response::new(accounts::issued(issued)))
    }

    async fn list_accounts(
        &self,
        request: Request<v1::ListAccountsRequest>,
    ) -> Result<Response<v1::ListAccountsResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let register = self.0.list_accounts(&session).await?;
        Ok(Response::new(v1::ListAccountsResponse {
            accounts: register.iter().map(accounts::info).collect(),
        }))
    }

    async fn withdraw_account(
        &self,
        request: Request<v1::AccountRequest>,
    ) -> Result<Response<v1::AccountInfo>, Status> {
        let session = session(&self.0, &request).await?;
        let account = accounts::account_id(&request.into_inner().account_id)?;
        let registered = self.0.withdraw_account(&session, account).await?;
        Ok(Response::new(accounts::info(&registered)))
    }

    async fn unlock_account(
        &self,
        request: Request<v1::AccountRequest>,
    ) -> Result<Response<v1::AccountInfo>, Status> {
        let session = session(&self.0, &request).await?;
        let account = accounts::account_id(&request.into_inner().account_id)?;
        let registered = self.0.unlock_account(&session, account).await?;
        Ok(Response::new(accounts::info(&registered)))
    }

    async fn reset_password(
        &self,
        request: Request<v1::AccountRequest>,
    ) -> Result<Response<v1::IssuedPassword>, Status> {
        let session = session(&self.0, &request).await?;
        let account = accounts::account_id(&request.into_inner().account_id)?;
        let issued = self.0.reset_password(&session, account).await?;
        Ok(Response::new(accounts::issued(issued)))
    }

    async fn change_password(
        &self,
        request: Request<v1::ChangePasswordRequest>,
    ) -> Result<Response<v1::ChangePasswordResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let message = self
            .0
            .change_password(&session, &request.current_password, &request.new_password)
            .await?;
        Ok(Response::new(v1::ChangePasswordResponse { message }))
    }

    async fn list_reads(
        &self,
        request: Request<v1::ListReadsRequest>,
    ) -> Result<Response<v1::ListReadsResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let entries = self
            .0
            .read_log(&session, &request.account_id, request.limit)
            .await?;
        Ok(Response::new(accounts::reads(entries)))
    }

    async fn get_node_key(
        &self,
        request: Request<v1::GetNodeKeyRequest>,
    ) -> Result<Response<v1::NodeKeyInfo>, Status> {
        let session = session(&self.0, &request).await?;
        let key = self.0.node_key(&session).await?;
        Ok(Response::new(trust::node_key(&key)))
    }

    async fn register_child_key(
        &self,
        request: Request<v1::RegisterChildKeyRequest>,
    ) -> Result<Response<v1::ChildKey>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let key = self
            .0
            .register_child_key(&session, &request.child, &request.public_key)
            .await?;
        Ok(Response::new(trust::child_key(key)))
    }

    async fn list_child_keys(
        &self,
        request: Request<v1::ListChildKeysRequest>,
    ) -> Result<Response<v1::ListChildKeysResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let keys = self.0.child_keys(&session).await?;
        Ok(Response::new(v1::ListChildKeysResponse {
            keys: keys.into_iter().map(trust::child_key).collect(),
        }))
    }

    async fn revoke_account(
        &self,
        request: Request<v1::RevokeAccountRequest>,
    ) -> Result<Response<v1::RevokeAccountResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let input = RevocationInput {
            jurisdiction: request.jurisdiction,
            account: request.account_id,
            reason: request.reason,
        };
        let revoked = self.0.revoke_account(&session, input).await?;
        Ok(Response::new(trust::revoked(revoked)))
    }

    async fn purge_private_area(
        &self,
        request: Request<v1::PurgePrivateAreaRequest>,
    ) -> Result<Response<v1::PurgePrivateAreaResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let purged = self
            .0
            .purge_private_area(&session, &request.reason, &request.confirm)
            .await?;
        Ok(Response::new(trust::purged(purged)))
    }

    async fn set_retention(
        &self,
        request: Request<v1::SetRetentionRequest>,
    ) -> Result<Response<v1::RetentionResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let incident = parse_id::<IncidentId>("incident_id", &request.incident_id)?;
        let done = self
            .0
            .set_retention(&session, incident, &request.until)
            .await?;
        Ok(Response::new(v1::RetentionResponse {
            position: done.position,
            message: done.message,
        }))
    }

    async fn purge_incident(
        &self,
        request: Request<v1::PurgeIncidentRequest>,
    ) -> Result<Response<v1::RetentionResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let incident = parse_id::<IncidentId>("incident_id", &request.incident_id)?;
        let done = self
            .0
            .purge_incident(&session, incident, &request.confirm)
            .await?;
        Ok(Response::new(v1::RetentionResponse {
            position: done.position,
            message: done.message,
        }))
    }

    async fn list_revocations(
        &self,
        request: Request<v1::ListRevocationsRequest>,
    ) -> Result<Response<v1::ListRevocationsResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let orders = self.0.revocations(&session).await?;
        Ok(Response::new(v1::ListRevocationsResponse {
            revocations: orders.iter().map(trust::revocation).collect(),
        }))
    }
}
