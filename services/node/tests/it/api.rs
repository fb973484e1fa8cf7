//! The gRPC API in process: authentication, field-level rejection, state changes.
//! R: E-03, E-12, D-05, A-01, T-04.

use anpi_core::ids::AccountId;
use anpi_harness::TestDb;
use anpi_proto::{draft_to_proto, v1};
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

use crate::support::{evacuee, example};

const PASSWORD: &str = "test-password-1";

/// A node served in process, logged in as its administrator.
pub struct Api {
    pub node: v1::node_client::NodeClient<Channel>,
    pub rollcall: v1::rollcall_client::RollcallClient<Channel>,
    pub auth: v1::auth_client::AuthClient<Channel>,
    pub token: String,
    pub db: TestDb,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    /// Its own nats-server: what one test reports or publishes never reaches another.
    _nats: anpi_harness::NatsServer,
}

impl Api {
    pub async fn start() -> Api {
        Api::start_at(crate::support::CODE).await
    }

    /// A node of jurisdiction `code`.
    pub async fn start_at(code: &str) -> Api {
        let db = TestDb::create().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let nats = anpi_harness::NatsServer::start();
        let config = anpi_node::config::load(&anpi_node::config::NodeArgs {
            jurisdiction: Some(code.into()),
            database_url: Some(db.url.clone()),
            listen: Some(addr.to_string()),
            nats_url: Some(nats.url.clone()),
            ..Default::default()
        })
        .unwrap();
        anpi_node::server::init(&config, &AccountId::parse("admin").unwrap(), PASSWORD)
            .await
            .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(anpi_node::server::serve(config, listener, async {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut auth = v1::auth_client::AuthClient::new(channel.clone());
        let token = auth
            .login(v1::LoginRequest {
                account: "admin".into(),
                password: PASSWORD.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .token;
        Api {
            rollcall: v1::rollcall_client::RollcallClient::new(channel.clone()),
            node: v1::node_client::NodeClient::new(channel),
            auth,
            token,
            db,
            _shutdown: stop,
            _nats: nats,
        }
    }

    pub fn req<T>(&self, message: T) -> tonic::Request<T> {
        as_token(&self.token, message)
    }

    pub async fn incident(&mut self) -> String {
        let request = self.req(v1::CreateIncidentRequest {
            name: "訓練：試験".into(),
            mode: "drill".into(),
            ..Default::default()
        });
        self.node
            .create_incident(request)
            .await
            .unwrap()
            .into_inner()
            .id
    }

    async fn head(&mut self) -> i64 {
        let request = self.req(v1::GetNodeInfoRequest {});
        self.node
            .get_node_info(request)
            .await
            .unwrap()
            .into_inner()
            .head_position
    }

    async fn add(
        &mut self,
        incident: &str,
        draft: v1::EntryDraft,
    ) -> Result<v1::Record, tonic::Status> {
        let request = self.req(v1::RecordEntryRequest {
            incident_id: incident.into(),
            draft: Some(draft),
            ..Default::default()
        });
        self.node
            .record_entry(request)
            .await
            .map(|r| r.into_inner().record.unwrap())
    }
}

/// A request carrying `token`.
pub fn as_token<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

pub fn example_draft(name: &str) -> v1::EntryDraft {
    draft_to_proto(&serde_json::from_value(example(name)).unwrap())
}

fn violated_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_rpc_needs_a_valid_token() {
    let mut api = Api::start().await;
    let status = api
        .node
        .list_incidents(v1::ListIncidentsRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    let mut request = tonic::Request::new(v1::ListIncidentsRequest {});
    request
        .metadata_mut()
        .insert("authorization", "Bearer 00ff".parse().unwrap());
    assert_eq!(
        api.node.list_incidents(request).await.unwrap_err().code(),
        Code::Unauthenticated
    );

    let listed = api
        .node
        .list_incidents(api.req(v1::ListIncidentsRequest {}))
        .await
        .unwrap();
    assert!(listed.into_inner().incidents.is_empty());
}

#[tokio::test]
async fn invalid_entries_are_rejected_field_by_field_and_nothing_is_written() {
    let mut api = Api::start().await;
    let incident = api.incident().await;
    let head = api.head().await;
    let cases: [(&str, &[&str]); 4] = [
        (
            "invalid/missing-required.json",
            &["furigana", "birth_date", "sex", "address"],
        ),
        ("invalid/partial-birth-date.json", &["birth_date"]),
        (
            "invalid/bad-sex-and-severity.json",
            &["sex", "injury.severity"],
        ),
        ("invalid/form2-without-death.json", &["death"]),
    ];
    for (file, fields) in cases {
        let status = api.add(&incident, example_draft(file)).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{file}");
        assert_eq!(
            violated_fields(&status),
            fields,
            "{file}: {}",
            status.message()
        );
        assert!(
            status.message().starts_with("入力内容に誤りがあります"),
            "{file}"
        );
    }
    let partial = api
        .add(&incident, example_draft("invalid/partial-birth-date.json"))
        .await
        .unwrap_err();
    assert!(
        partial.message().contains("西暦1980年生"),
        "{}",
        partial.message()
    );
    assert_eq!(api.head().await, head, "a rejected entry wrote an event");

    let unknown = api
        .add(
            "0190d3c2-0000-7000-8000-000000000000",
            draft_to_proto(&evacuee(1)),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(api.head().await, head);
}

#[tokio::test]
async fn delete_and_departure_change_the_state_once() {
    let mut api = Api::start().await;
    let incident = api.incident().await;
    let evacuee = api
        .add(&incident, draft_to_proto(&evacuee(1)))
        .await
        .unwrap();
    assert_eq!(evacuee.state_label, "避難");
    assert_eq!(evacuee.collected_by, "131016");
    assert_eq!(evacuee.entered_by, "131016/admin");
    let deceased = api
        .add(&incident, example_draft("form2-deceased.json"))
        .await
        .unwrap();
    assert_eq!(deceased.state_label, "死亡");
    let other = api
        .add(&incident, draft_to_proto(&crate::support::evacuee(2)))
        .await
        .unwrap();

    let depart = |id: &str, date: &str| v1::RecordDepartureRequest {
        record_id: id.into(),
        date: date.into(),
    };
    let departed = api
        .node
        .record_departure(api.req(depart(&evacuee.record_id, "2026-11-21")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (departed.state_label.as_str(), departed.departed_on.as_str()),
        ("退去", "2026-11-21")
    );
    let twice = api
        .node
        .record_departure(api.req(depart(&evacuee.record_id, "2026-11-21")))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);
    let dead = api
        .node
        .record_departure(api.req(depart(&deceased.record_id, "2026-11-21")))
        .await
        .unwrap_err();
    assert_eq!(dead.code(), Code::FailedPrecondition);
    let before = api
        .node
        .record_departure(api.req(depart(&other.record_id, "2026-11-20")))
        .await
        .unwrap_err();
    assert_eq!(before.code(), Code::InvalidArgument);

    let delete = |id: &str, reason: &str| v1::DeleteEntryRequest {
        record_id: id.into(),
        reason: reason.into(),
    };
    let no_reason = api
        .node
        .delete_entry(api.req(delete(&other.record_id, " ")))
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), Code::InvalidArgument);
    let deleted = api
        .node
        .delete_entry(api.req(delete(&other.record_id, "重複登録")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            deleted.state_label.as_str(),
            deleted.deleted_reason.as_str()
        ),
        ("削除", "重複登録")
    );
    let again = api
        .node
        .delete_entry(api.req(delete(&other.record_id, "重複登録")))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);

    let list = |all| v1::ListRecordsRequest {
        incident_id: String::new(),
        include_deleted: all,
        limit: 0,
        after_position: 0,
        export: false,
    };
    let live = api
        .node
        .list_records(api.req(list(false)))
        .await
        .unwrap()
        .into_inner()
        .records;
    let states: Vec<_> = live.iter().map(|r| r.state_label.as_str()).collect();
    assert_eq!(states, ["退去", "死亡"]);
    let all = api
        .node
        .list_records(api.req(list(true)))
        .await
        .unwrap()
        .into_inner()
        .records;
    assert_eq!(all.len(), 3);

    let events = api
        .node
        .read_events(api.req(v1::ReadEventsRequest {
            after_position: 0,
            limit: 0,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let kinds: Vec<_> = events.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "AccountCreated",
            "NodeKeyCreated",
            "IncidentCreated",
            "EntryRecorded",
            "EntryRecorded",
            "EntryRecorded",
            "DepartureRecorded",
            "EntryDeleted"
        ]
    );
    let positions: Vec<_> = events.events.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=8).collect::<Vec<_>>());
    assert!(events.events.iter().all(|e| {
        uuid::Uuid::parse_str(&e.event_id)
            .unwrap()
            .get_version_num()
            == 7
    }));
}
