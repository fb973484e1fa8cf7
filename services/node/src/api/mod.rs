//! The tonic services of a node. Thin: authenticate, parse, call the domain and the
//! store, convert. R: T-02, A-01, E-01..E-13, L-02, T-04.

mod accounts;
pub mod error;
mod inquiry;
mod organise;
mod reports;
mod shared;
mod trust;

/// Domain → wire conversions, shared with the bus (`crate::convert`).
pub(crate) use crate::convert;

use std::sync::Arc;

use anpi_core::account::{self, Operation};
use anpi_core::entry;
use anpi_core::event::Actor;
use anpi_core::ids::{AccountId, IncidentId, RecordId};
use anpi_core::incident::{self, Incident};
use anpi_core::validation::FieldError;
use anpi_proto::{draft_from_proto, v1};
use chrono::{SecondsFormat, Utc};
use deadpool_postgres::Pool;
use tonic::{Request, Response, Status};

use crate::app::{AppError, ReadLog};
use crate::config::Config;
use crate::store::accounts::{Accounts, Session};
use crate::store::accounts::{Login, Refusal};
use crate::store::reader;
use crate::store::writer::{Outcome, Writer};
use anpi_core::command::Command as DomainCommand;

/// Who is calling, with what rights, and — for an operation that reads personal
/// data — the request's read log entry, written even if the handler forgets.
pub struct Caller {
    pub actor: Actor,
    pub session: Session,
    pub reads: Option<ReadLog>,
}

/// Shared state of the services.
pub struct NodeState {
    pub config: Config,
    pub writer: Writer,
    pub pool: Pool,
    pub accounts: Arc<Accounts>,
    /// The NATS side (reports); used here only to show what waits in JetStream.
    pub bus: Option<Arc<crate::bus::Bus>>,
}

impl NodeState {
    /// The caller of an authenticated request, if its role may do `operation` at this
    /// node. Refused with UNAUTHENTICATED (no valid login) or PERMISSION_DENIED
    /// (the role may not; or only the password change is allowed, A-03).
    async fn authorize<T>(
        &self,
        request: &Request<T>,
        operation: Operation,
    ) -> Result<Caller, AppError> {
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
        let session = self
            .accounts
            .authenticate(token.trim())
            .await
            .map_err(error::store)?
            .ok_or_else(|| {
                AppError::Unauthenticated(String::from(
                    "ログインの有効期限が切れたか、無効です。もう一度 `anpi login` してください",
                ))
            })?;
        if let Some(message) = account::must_change_message(session.state)
            && !matches!(
                operation,
                Operation::ChangeOwnPassword | Operation::NodeInfo
            )
        {
            return Err(AppError::Forbidden(format!(
                "{message}（`anpi password` で変更できます）"
            )));
        }
        if !account::permits(session.role, operation, self.config.tier) {
            return Err(AppError::Forbidden(account::denial_message(
                session.role,
                operation,
            )));
        }
        Ok(Caller {
            actor: Actor {
                jurisdiction: self.config.jurisdiction.clone(),
                account: session.account.clone(),
            },
            reads: ReadLog::of(&self.accounts, &session, operation),
            session,
        })
    }

    /// Records what a read of personal data asked and found. Only the guard
    /// made by `authorize` writes the entry; an operation that reads no personal data
    /// has none, which the tests catch.
    async fn log_read(
        &self,
        caller: &Caller,
        operation: &str,
        query: serde_json::Value,
        results: usize,
    ) {
        match &caller.reads {
            Some(reads) => reads.record(operation, query, results).await,
            None => tracing::error!(
                operation,
                "a read of personal data under an operation not marked as reading it"
            ),
        }
    }

    async fn incident_map(&self) -> Result<Vec<Incident>, AppError> {
        let client = self.pool.get().await.map_err(|e| error::store(e.into()))?;
        reader::list_incidents(&**client)
            .await
            .map_err(error::store)
    }

    fn record_response(outcome: Outcome) -> Result<(v1::Record, i64), AppError> {
        let Outcome::Record {
            record,
            incident,
            position,
        } = outcome
        else {
            return Err(AppError::internal("unexpected outcome"));
        };
        Ok((convert::record(&record, incident.as_ref()), position))
    }
}

fn parse_record_id(text: &str) -> Result<RecordId, AppError> {
    text.parse().map_err(|_| error::bad_id("record_id", text))
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
        let account = AccountId::parse(&request.account).ok();
        let login = self
            .0
            .accounts
            .login(
                account.as_ref(),
                &request.password,
                client,
                &self.0.config.login_throttle,
            )
            .await
            .map_err(error::store)?;
        let (token, session) = match login {
            Login::Ok(token, session) => (token, session),
            Login::Refused(reason) => {
                log_refusal(account.as_ref(), client, reason);
                // One answer for every reason: IDs and their state cannot be probed.
                return Err(AppError::Unauthenticated(String::from(
                    account::LOGIN_REFUSED_MESSAGE,
                ))
                .into());
            }
        };
        let account = session.account.clone();
        tracing::info!(account = %account, role = session.role.as_str(), "login");
        let notice = account::must_change_message(session.state)
            .map(|m| format!("{m}（`anpi password` で変更してください）"))
            .unwrap_or_default();
        Ok(Response::new(v1::LoginResponse {
            token,
            expires_at: session
                .expires_at
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            account: account.to_string(),
            jurisdiction: self.0.config.jurisdiction.to_string(),
            role: session.role.as_str().into(),
            role_label: session.role.long_label_ja().into(),
            must_change_password: session.state != account::LoginState::Active,
            notice,
        }))
    }
}

/// The node's own record of a refused login (never shown to the caller): a warning when
/// an account or an address starts to be slowed down, otherwise at debug level.
fn log_refusal(account: Option<&AccountId>, client: Option<std::net::IpAddr>, reason: Refusal) {
    let account = account.map(AccountId::as_str).unwrap_or("(malformed)");
    let client = client.map(|ip| ip.to_string()).unwrap_or_default();
    match reason {
        Refusal::WrongPassword {
            failures,
            throttled_until: Some(until),
        } => tracing::warn!(
            account,
            client = %client,
            failures,
            until = %until,
            "failed logins: the account is slowed down"
        ),
        Refusal::Gate(account::Gate::AddressThrottled { until }) => {
            tracing::debug!(client = %client, until = %until, "login refused: the address is slowed down")
        }
        reason => tracing::debug!(account, client = %client, ?reason, "login refused"),
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
        self.0.authorize(&request, Operation::NodeInfo).await?;
        let client = self
            .0
            .pool
            .get()
            .await
            .map_err(|e| error::store(e.into()))?;
        let head = reader::head_position(&**client)
            .await
            .map_err(error::store)?;
        let config = &self.0.config;
        let (own_intake_paused, report_intake_paused, unreported_events) =
            reports::node_summary(&self.0).await?;
        Ok(Response::new(v1::NodeInfo {
            own_intake_paused,
            report_intake_paused,
            unreported_events,
            tier: config.tier.as_str().to_string(),
            jurisdiction: config.jurisdiction.to_string(),
            parent: config
                .parent
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            head_position: head,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }))
    }

    async fn create_incident(
        &self,
        request: Request<v1::CreateIncidentRequest>,
    ) -> Result<Response<v1::Incident>, Status> {
        let actor = self
            .0
            .authorize(&request, Operation::CreateIncident)
            .await?
            .actor;
        let request = request.into_inner();
        let (name, mode) = incident::validate_new_incident(&request.name, &request.mode)
            .map_err(|e| error::invalid(&e))?;
        let id = optional_id::<IncidentId>("incident_id", &request.incident_id)?;
        // T-06: actual incidents come from the national tier; a drill made here for
        // practice stays here.
        let local = incident::decide_create(self.0.config.tier, mode, id.is_some())
            .map_err(|e| error::invalid(&[e]))?;
        let outcome = self
            .0
            .writer
            .submit(
                actor,
                DomainCommand::CreateIncident {
                    name,
                    mode,
                    id,
                    local,
                },
            )
            .await
            .map_err(error::rejection)?;
        if let Some(bus) = &self.0.bus {
            // T-06: the national tier's incidents go to every node.
            bus.incidents_ready.notify_one();
        }
        match outcome {
            Outcome::Incident { incident, .. } => Ok(Response::new(convert::incident(&incident))),
            _ => Err(AppError::internal("unexpected outcome").into()),
        }
    }

    async fn list_incidents(
        &self,
        request: Request<v1::ListIncidentsRequest>,
    ) -> Result<Response<v1::ListIncidentsResponse>, Status> {
        self.0.authorize(&request, Operation::ListIncidents).await?;
        let incidents = self.0.incident_map().await?;
        Ok(Response::new(v1::ListIncidentsResponse {
            incidents: incidents.iter().map(convert::incident).collect(),
        }))
    }

    async fn record_entry(
        &self,
        request: Request<v1::RecordEntryRequest>,
    ) -> Result<Response<v1::RecordEntryResponse>, Status> {
        let caller = self.0.authorize(&request, Operation::RecordEntry).await?;
        let request = request.into_inner();
        let supersedes = optional_id::<RecordId>("supersedes", &request.supersedes)?;
        // A supersede deletes the replaced record: it needs the delete right too (A-02,
        // E-10), checked before anything about the record is looked up.
        if supersedes.is_some()
            && !account::permits(
                caller.session.role,
                Operation::DeleteEntry,
                self.0.config.tier,
            )
        {
            return Err(AppError::Forbidden(format!(
                "既存の安否情報の置き換え（--supersedes）は削除を伴うため、削除の権限が必要です。{}",
                account::denial_message(caller.session.role, Operation::DeleteEntry)
            ))
            .into());
        }
        let actor = caller.actor;
        let incident: IncidentId = request.incident_id.parse().map_err(|_| {
            error::invalid(&[FieldError::new(
                "incident_id",
                "事案IDを指定してください（`anpi incident list` で確認できます）",
            )])
        })?;
        let draft = draft_from_proto(request.draft.unwrap_or_default()).map_err(|form| {
            error::invalid(&[FieldError::new(
                "form",
                format!("様式は form1（様式第1号）または form2（様式第2号）です（入力: {form}）"),
            )])
        })?;
        let entry =
            entry::validate(&draft, Utc::now()).map_err(|errors| error::invalid(&errors))?;
        let outcome = self
            .0
            .writer
            .submit(
                actor,
                DomainCommand::RecordEntry {
                    incident,
                    entry: Box::new(entry),
                    supersedes,
                    confirm_same_person: request.confirm_same_person,
                },
            )
            .await
            .map_err(error::rejection)?;
        let (record, position) = NodeState::record_response(outcome)?;
        Ok(Response::new(v1::RecordEntryResponse {
            record: Some(record),
            position,
        }))
    }

    async fn delete_entry(
        &self,
        request: Request<v1::DeleteEntryRequest>,
    ) -> Result<Response<v1::Record>, Status> {
        let actor = self
            .0
            .authorize(&request, Operation::DeleteEntry)
            .await?
            .actor;
        let request = request.into_inner();
        let record = parse_record_id(&request.record_id)?;
        let outcome = self
            .0
            .writer
            .submit(
                actor,
                DomainCommand::DeleteEntry {
                    record,
                    reason: request.reason,
                },
            )
            .await
            .map_err(error::rejection)?;
        Ok(Response::new(NodeState::record_response(outcome)?.0))
    }

    async fn record_departure(
        &self,
        request: Request<v1::RecordDepartureRequest>,
    ) -> Result<Response<v1::Record>, Status> {
        let actor = self
            .0
            .authorize(&request, Operation::RecordDeparture)
            .await?
            .actor;
        let request = request.into_inner();
        let record = parse_record_id(&request.record_id)?;
        let today = Utc::now().with_timezone(&entry::jst_offset()).date_naive();
        let outcome = self
            .0
            .writer
            .submit(
                actor,
                DomainCommand::RecordDeparture {
                    record,
                    date: request.date,
                    today,
                },
            )
            .await
            .map_err(error::rejection)?;
        Ok(Response::new(NodeState::record_response(outcome)?.0))
    }

    async fn list_records(
        &self,
        request: Request<v1::ListRecordsRequest>,
    ) -> Result<Response<v1::ListRecordsResponse>, Status> {
        let caller = self.0.authorize(&request, Operation::ListRecords).await?;
        let request = request.into_inner();
        let incident = if request.incident_id.trim().is_empty() {
            None
        } else {
            Some(
                request
                    .incident_id
                    .parse::<IncidentId>()
                    .map_err(|_| error::bad_id("incident_id", &request.incident_id))?,
            )
        };
        let limit = match request.limit {
            0 => 1000,
            n => i64::from(n.clamp(1, 10_000)),
        };
        let incidents = self.0.incident_map().await?;
        let client = self
            .0
            .pool
            .get()
            .await
            .map_err(|e| error::store(e.into()))?;
        let records = reader::list_records(
            &**client,
            incident,
            request.include_deleted,
            request.after_position,
            limit,
        )
        .await
        .map_err(error::store)?;
        let records: Vec<v1::Record> = records
            .iter()
            .map(|r| convert::record(r, incidents.iter().find(|i| i.id == r.incident)))
            .collect();
        self.0
            .log_read(
                &caller,
                // an export is logged as one, with its row count per page.
                if request.export {
                    "export_records"
                } else {
                    "list_records"
                },
                serde_json::json!({
                    "incident_id": request.incident_id,
                    "include_deleted": request.include_deleted,
                    "after_position": request.after_position,
                }),
                records.len(),
            )
            .await;
        Ok(Response::new(v1::ListRecordsResponse { records }))
    }

    async fn get_record(
        &self,
        request: Request<v1::GetRecordRequest>,
    ) -> Result<Response<v1::Record>, Status> {
        let caller = self.0.authorize(&request, Operation::GetRecord).await?;
        let record = parse_record_id(&request.into_inner().record_id)?;
        let client = self
            .0
            .pool
            .get()
            .await
            .map_err(|e| error::store(e.into()))?;
        let found = reader::records_by_id(&**client, &[record.as_uuid()])
            .await
            .map_err(error::store)?;
        // P-04: a Red Cross account sees only persons of non-Japanese or unknown
        // nationality; anyone else's record is "not found" to it.
        let visible = found.into_iter().next().filter(|state| {
            !account::red_cross_only(caller.session.role)
                || state.entry.parsed.nationality != anpi_core::entry::Nationality::Japan
        });
        self.0
            .log_read(
                &caller,
                "get_record",
                serde_json::json!({ "record_id": record.to_string() }),
                usize::from(visible.is_some()),
            )
            .await;
        let state = visible.ok_or_else(|| {
            AppError::NotFound(String::from(
                "指定された安否情報が見つかりません。IDを確認してください",
            ))
        })?;
        let incidents = self.0.incident_map().await?;
        Ok(Response::new(convert::record(
            &state,
            incidents.iter().find(|i| i.id == state.incident),
        )))
    }

    async fn read_events(
        &self,
        request: Request<v1::ReadEventsRequest>,
    ) -> Result<Response<v1::ReadEventsResponse>, Status> {
        let caller = self.0.authorize(&request, Operation::ReadEvents).await?;
        let request = request.into_inner();
        let limit = match request.limit {
            0 => 1000,
            n => i64::from(n.clamp(1, 10_000)),
        };
        let client = self
            .0
            .pool
            .get()
            .await
            .map_err(|e| error::store(e.into()))?;
        let events = reader::read_events(&**client, request.after_position.max(0), limit)
            .await
            .map_err(error::store)?;
        let head = reader::head_position(&**client)
            .await
            .map_err(error::store)?;
        self.0
            .log_read(
                &caller,
                "read_events",
                serde_json::json!({ "after_position": request.after_position, "limit": limit }),
                events.len(),
            )
            .await;
        Ok(Response::new(v1::ReadEventsResponse {
            events: events.iter().map(crate::wire::event_to_proto).collect(),
            head_position: head,
        }))
    }

    async fn report(
        &self,
        request: Request<v1::ReportRequest>,
    ) -> Result<Response<v1::ReportResponse>, Status> {
        let actor = self.0.authorize(&request, Operation::Report).await?.actor;
        Ok(Response::new(reports::report(&self.0, actor).await?))
    }

    async fn set_intake(
        &self,
        request: Request<v1::SetIntakeRequest>,
    ) -> Result<Response<v1::IntakeStatus>, Status> {
        let actor = self
            .0
            .authorize(&request, Operation::SetIntake)
            .await?
            .actor;
        Ok(Response::new(
            reports::set_intake(&self.0, actor, request.into_inner()).await?,
        ))
    }

    async fn get_intake(
        &self,
        request: Request<v1::GetIntakeRequest>,
    ) -> Result<Response<v1::IntakeStatus>, Status> {
        self.0.authorize(&request, Operation::GetIntake).await?;
        Ok(Response::new(reports::get_intake(&self.0).await?))
    }

    async fn report_history(
        &self,
        request: Request<v1::ReportHistoryRequest>,
    ) -> Result<Response<v1::ReportHistoryResponse>, Status> {
        self.0.authorize(&request, Operation::ReportHistory).await?;
        Ok(Response::new(
            reports::history(&self.0, request.into_inner()).await?,
        ))
    }

    async fn organise(
        &self,
        request: Request<v1::OrganiseRequest>,
    ) -> Result<Response<v1::OrganiseResponse>, Status> {
        let caller = self.0.authorize(&request, Operation::Organise).await?;
        let screen = organise::organise(&self.0, request.into_inner()).await?;
        self.0
            .log_read(
                &caller,
                "organise",
                serde_json::json!({}),
                screen.rows.len(),
            )
            .await;
        Ok(Response::new(screen))
    }

    async fn merge_duplicate(
        &self,
        request: Request<v1::MergeDuplicateRequest>,
    ) -> Result<Response<v1::Record>, Status> {
        let actor = self.0.authorize(&request, Operation::Organise).await?.actor;
        Ok(Response::new(
            organise::merge(&self.0, actor, request.into_inner()).await?,
        ))
    }

    async fn search(
        &self,
        request: Request<v1::SearchRequest>,
    ) -> Result<Response<v1::SearchResponse>, Status> {
        let caller = self.0.authorize(&request, Operation::Search).await?;
        let mut request = request.into_inner();
        // P-04: the Red Cross view is forced for a Red Cross account.
        request.red_cross |= account::red_cross_only(caller.session.role);
        let query = serde_json::to_value(&request).unwrap_or_default();
        let found = organise::search(&self.0, request).await?;
        self.0
            .log_read(&caller, "search", query, found.records.len())
            .await;
        Ok(Response::new(found))
    }

    type ReplayStream = organise::ReplayStream;

    async fn replay(
        &self,
        request: Request<v1::ReplayRequest>,
    ) -> Result<Response<Self::ReplayStream>, Status> {
        self.0.authorize(&request, Operation::Replay).await?;
        Ok(Response::new(
            organise::replay(&self.0, request.into_inner()).await?,
        ))
    }

    async fn publish(
        &self,
        request: Request<v1::PublishRequest>,
    ) -> Result<Response<v1::PublishResponse>, Status> {
        let actor = self.0.authorize(&request, Operation::Publish).await?.actor;
        Ok(Response::new(shared::publish(&self.0, actor).await?))
    }

    async fn get_shared_status(
        &self,
        request: Request<v1::GetSharedStatusRequest>,
    ) -> Result<Response<v1::SharedStatus>, Status> {
        self.0.authorize(&request, Operation::SharedStatus).await?;
        Ok(Response::new(shared::status(&self.0).await?))
    }

    async fn register_inquiry(
        &self,
        request: Request<v1::RegisterInquiryRequest>,
    ) -> Result<Response<v1::InquiryView>, Status> {
        let actor = self.0.authorize(&request, Operation::Inquiry).await?.actor;
        Ok(Response::new(
            inquiry::register(&self.0, actor, request.into_inner()).await?,
        ))
    }

    async fn identify_inquiry(
        &self,
        request: Request<v1::InquiryRequest>,
    ) -> Result<Response<v1::InquiryView>, Status> {
        let actor = self.0.authorize(&request, Operation::Inquiry).await?.actor;
        Ok(Response::new(
            inquiry::identify(&self.0, actor, request.into_inner()).await?,
        ))
    }

    async fn answer_inquiry(
        &self,
        request: Request<v1::AnswerInquiryRequest>,
    ) -> Result<Response<v1::InquiryView>, Status> {
        let actor = self.0.authorize(&request, Operation::Inquiry).await?.actor;
        Ok(Response::new(
            inquiry::answer(&self.0, actor, request.into_inner()).await?,
        ))
    }

    async fn get_inquiry(
        &self,
        request: Request<v1::InquiryRequest>,
    ) -> Result<Response<v1::InquiryView>, Status> {
        let caller = self.0.authorize(&request, Operation::Inquiry).await?;
        let request = request.into_inner();
        let query = serde_json::json!({ "inquiry_id": request.inquiry_id });
        let view = inquiry::get(&self.0, request).await?;
        self.0.log_read(&caller, "get_inquiry", query, 1).await;
        Ok(Response::new(view))
    }

    async fn list_inquiries(
        &self,
        request: Request<v1::ListInquiriesRequest>,
    ) -> Result<Response<v1::ListInquiriesResponse>, Status> {
        let caller = self.0.authorize(&request, Operation::Inquiry).await?;
        let list = inquiry::list(&self.0, request.into_inner()).await?;
        self.0
            .log_read(
                &caller,
                "list_inquiries",
                serde_json::json!({}),
                list.inquiries.len(),
            )
            .await;
        Ok(Response::new(list))
    }

    async fn create_account(
        &self,
        request: Request<v1::CreateAccountRequest>,
    ) -> Result<Response<v1::IssuedPassword>, Status> {
        let caller = self
            .0
            .authorize(&request, Operation::ManageAccounts)
            .await?;
        Ok(Response::new(
            accounts::create(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_accounts(
        &self,
        request: Request<v1::ListAccountsRequest>,
    ) -> Result<Response<v1::ListAccountsResponse>, Status> {
        self.0
            .authorize(&request, Operation::ManageAccounts)
            .await?;
        Ok(Response::new(accounts::list(&self.0).await?))
    }

    async fn withdraw_account(
        &self,
        request: Request<v1::AccountRequest>,
    ) -> Result<Response<v1::AccountInfo>, Status> {
        let caller = self
            .0
            .authorize(&request, Operation::ManageAccounts)
            .await?;
        Ok(Response::new(
            accounts::withdraw(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn unlock_account(
        &self,
        request: Request<v1::AccountRequest>,
    ) -> Result<Response<v1::AccountInfo>, Status> {
        let caller = self
            .0
            .authorize(&request, Operation::ManageAccounts)
            .await?;
        Ok(Response::new(
            accounts::unlock(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn reset_password(
        &self,
        request: Request<v1::AccountRequest>,
    ) -> Result<Response<v1::IssuedPassword>, Status> {
        let caller = self
            .0
            .authorize(&request, Operation::ManageAccounts)
            .await?;
        Ok(Response::new(
            accounts::reset(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn change_password(
        &self,
        request: Request<v1::ChangePasswordRequest>,
    ) -> Result<Response<v1::ChangePasswordResponse>, Status> {
        let caller = self
            .0
            .authorize(&request, Operation::ChangeOwnPassword)
            .await?;
        Ok(Response::new(
            accounts::change_password(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_reads(
        &self,
        request: Request<v1::ListReadsRequest>,
    ) -> Result<Response<v1::ListReadsResponse>, Status> {
        self.0.authorize(&request, Operation::ReadAccessLog).await?;
        Ok(Response::new(
            accounts::reads(&self.0, request.into_inner()).await?,
        ))
    }
    async fn get_node_key(
        &self,
        request: Request<v1::GetNodeKeyRequest>,
    ) -> Result<Response<v1::NodeKeyInfo>, Status> {
        self.0.authorize(&request, Operation::ManageTrust).await?;
        Ok(Response::new(trust::node_key(&self.0).await?))
    }

    async fn register_child_key(
        &self,
        request: Request<v1::RegisterChildKeyRequest>,
    ) -> Result<Response<v1::ChildKey>, Status> {
        let caller = self.0.authorize(&request, Operation::ManageTrust).await?;
        Ok(Response::new(
            trust::register_child(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_child_keys(
        &self,
        request: Request<v1::ListChildKeysRequest>,
    ) -> Result<Response<v1::ListChildKeysResponse>, Status> {
        self.0.authorize(&request, Operation::ManageTrust).await?;
        Ok(Response::new(trust::child_keys(&self.0).await?))
    }

    async fn revoke_account(
        &self,
        request: Request<v1::RevokeAccountRequest>,
    ) -> Result<Response<v1::RevokeAccountResponse>, Status> {
        let caller = self
            .0
            .authorize(&request, Operation::RevokeAnywhere)
            .await?;
        Ok(Response::new(
            trust::revoke(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn purge_private_area(
        &self,
        request: Request<v1::PurgePrivateAreaRequest>,
    ) -> Result<Response<v1::PurgePrivateAreaResponse>, Status> {
        let caller = self
            .0
            .authorize(&request, Operation::PurgePrivateArea)
            .await?;
        Ok(Response::new(
            trust::purge(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_revocations(
        &self,
        request: Request<v1::ListRevocationsRequest>,
    ) -> Result<Response<v1::ListRevocationsResponse>, Status> {
        self.0
            .authorize(&request, Operation::RevokeAnywhere)
            .await?;
        Ok(Response::new(trust::revocations(&self.0).await?))
    }
}
