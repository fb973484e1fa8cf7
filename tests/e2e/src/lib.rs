//! Multi-node end-to-end support: a network of `anpi-node` processes, each with its
//! own PostgreSQL database, reporting over one real nats-server. R: R-01..R-04, T-05.

pub mod console_site;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anpi_core::entry::EntryDraft;
use anpi_harness::{NatsServer, TestDb, TestNode, workspace_bin};
use anpi_proto::{draft_to_proto, v1};
use tonic::transport::Channel;

/// The reportable kinds (what travels upward).
pub const REPORTABLE: [&str; 5] = anpi_core::event::REPORTABLE_KINDS;

/// The names of the jurisdictions the tests use (their nodes sign answers with them).
pub const NAMES: [(&str, &str); 6] = [
    ("000001", "国"),
    ("130001", "東京都"),
    ("270008", "大阪府"),
    ("131016", "千代田区"),
    ("131041", "新宿区"),
    ("271004", "大阪市"),
];

/// One node of the test network.
pub struct Member {
    pub code: String,
    pub db: TestDb,
    pub node: TestNode,
    pub client: Client,
}

impl Member {
    /// Initialises and starts a node process for `code` on `nats`.
    pub async fn start(code: &str, nats: &NatsServer) -> Member {
        let db = TestDb::create().await;
        Member::start_on(code, db, nats).await
    }

    /// Starts a node on an existing (possibly pre-filled) database.
    pub async fn start_on(code: &str, db: TestDb, nats: &NatsServer) -> Member {
        Member::start_named(code, db, nats, "").await
    }

    /// Starts a node under its name (as the local network names it), with `extra`
    /// lines in its `node.toml`.
    pub async fn start_named(code: &str, db: TestDb, nats: &NatsServer, extra: &str) -> Member {
        let name = NAMES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, name)| format!("name = \"{name}\"\n"))
            .unwrap_or_default();
        Member::start_with(code, db, nats, &format!("{name}{extra}")).await
    }

    /// Starts a node with `extra` lines in its `node.toml`.
    pub async fn start_with(code: &str, db: TestDb, nats: &NatsServer, extra: &str) -> Member {
        Member::start_at(code, db, &nats.url, extra).await
    }

    /// Starts a node talking to the NATS server(s) at `nats_url` (a list for a
    /// cluster), with `extra` lines in its `node.toml`.
    pub async fn start_at(code: &str, db: TestDb, nats_url: &str, extra: &str) -> Member {
        let node = TestNode::start_with(
            &workspace_bin("anpi-node"),
            code,
            &db.url,
            &format!("nats_url = \"{nats_url}\"\n{extra}"),
        );
        let client = Client::connect(node.addr(), &node.password).await;
        Member {
            code: code.to_string(),
            db,
            node,
            client,
        }
    }

    /// After `node.process.restart()`: a new connection and login.
    pub async fn reconnect(&mut self) {
        self.client = Client::connect(self.node.addr(), &self.node.password).await;
    }

    /// Runs one query returning one bigint against the node's database.
    pub async fn count(&self, sql: &str) -> i64 {
        let (client, connection) = tokio_postgres::connect(&self.db.url, tokio_postgres::NoTls)
            .await
            .expect("connecting to the node database");
        tokio::spawn(connection);
        client.query_one(sql, &[]).await.expect(sql).get(0)
    }

    /// Waits (up to a minute) until the node's private area holds at least `n` records;
    /// panics with the node's log otherwise.
    pub async fn wait_records(&mut self, n: i64) {
        let deadline = Deadline::new(
            format!("{} to hold {n} records", self.code),
            Duration::from_secs(60),
        );
        while self.count("SELECT count(*) FROM records").await < n {
            if deadline.expired() {
                panic!(
                    "{} did not get {n} records; its log:\n{}",
                    self.code,
                    self.node.log()
                );
            }
            deadline.tick().await;
        }
    }

    /// Waits (up to a minute) until the node holds the incident `id` (T-06: incidents
    /// come from the national tier over NATS).
    pub async fn wait_incident(&mut self, id: &str) -> v1::Incident {
        let deadline = Deadline::new(
            format!("{} to hold incident {id}", self.code),
            Duration::from_secs(60),
        );
        loop {
            if let Some(found) = self
                .client
                .incidents()
                .await
                .into_iter()
                .find(|i| i.id == id)
            {
                return found;
            }
            if deadline.expired() {
                panic!(
                    "{} did not get incident {id}:\n{}",
                    self.code,
                    self.node.log()
                );
            }
            deadline.tick().await;
        }
    }

    /// Waits (up to a minute) until the node's shared-dataset replica holds `version`
    /// or a later one; panics with the node's log otherwise.
    pub async fn wait_shared_version(&mut self, version: i64) -> v1::SharedStatus {
        let deadline = Deadline::new(
            format!("{} to hold shared version {version}", self.code),
            Duration::from_secs(60),
        );
        loop {
            let status = self.client.shared_status().await;
            if status
                .replica
                .as_ref()
                .is_some_and(|r| r.version >= version)
            {
                return status;
            }
            if deadline.expired() {
                panic!(
                    "{} did not receive version {version}:\n{}",
                    self.code,
                    self.node.log()
                );
            }
            deadline.tick().await;
        }
    }

    /// The IDs of the reportable events in this node's log collected by `origins`.
    pub async fn reportable_ids(&mut self, origins: &[&str]) -> HashSet<String> {
        self.client
            .events()
            .await
            .into_iter()
            .filter(|e| {
                REPORTABLE.contains(&e.kind.as_str()) && origins.contains(&e.origin.as_str())
            })
            .map(|e| e.event_id)
            .collect()
    }
}

/// Starts a node for each of `codes` on `nats`, in order, and files them all under one
/// new incident; returns the members and the incident ID.
pub async fn network<const N: usize>(nats: &NatsServer, codes: [&str; N]) -> ([Member; N], String) {
    network_with(nats, codes, |_| String::new()).await
}

/// [`network`], with `extra(code)` lines in each node's `node.toml`.
pub async fn network_with<const N: usize>(
    nats: &NatsServer,
    codes: [&str; N],
    extra: impl Fn(&str) -> String,
) -> ([Member; N], String) {
    let incident = incident_id();
    let mut members = Vec::with_capacity(N);
    for code in codes {
        let mut member =
            Member::start_named(code, TestDb::create().await, nats, &extra(code)).await;
        member.client.create_incident(&incident).await;
        members.push(member);
    }
    // each parent registers its children's report-signing keys.
    for child in 0..members.len() {
        let parent = anpi_core::jurisdiction::JurisdictionCode::parse(&members[child].code)
            .expect("a test code")
            .natural_parent();
        if let Some(p) = members
            .iter()
            .position(|m| Some(m.code.as_str()) == parent.as_ref().map(|c| c.as_str()))
        {
            let (parent, child) = pair_mut(&mut members, p, child);
            trust(parent, child).await;
        }
    }
    // every other node registers the national key, which signs orders.
    if let Some(n) = members.iter().position(|m| m.code == "000001") {
        for other in 0..members.len() {
            if other == n {
                continue;
            }
            let (at, national) = pair_mut(&mut members, other, n);
            trust(at, national).await;
        }
    }
    let Ok(members) = <[Member; N]>::try_from(members) else {
        unreachable!("one member per code")
    };
    (members, incident)
}

/// Two different members, both mutable.
fn pair_mut(members: &mut [Member], a: usize, b: usize) -> (&mut Member, &mut Member) {
    assert_ne!(a, b, "two different members");
    if a < b {
        let (left, right) = members.split_at_mut(b);
        (&mut left[a], &mut right[0])
    } else {
        let (left, right) = members.split_at_mut(a);
        (&mut right[0], &mut left[b])
    }
}

/// Registers `child`'s signing key at `parent`, as the parent's administrator
/// does with `anpi trust add`; with the national node as `child`, registers the
/// national key (which signs orders, A-04) at `parent`.
pub async fn trust(parent: &mut Member, child: &mut Member) {
    let key = child.client.node_key().await;
    let request = parent.client.req(v1::RegisterChildKeyRequest {
        child: child.code.clone(),
        public_key: key.public_key,
    });
    parent
        .client
        .node
        .register_child_key(request)
        .await
        .expect("registering a child's key");
}

/// A logged-in gRPC client of one node.
pub struct Client {
    pub node: v1::node_client::NodeClient<Channel>,
    token: String,
}

impl Client {
    pub async fn connect(addr: &str, password: &str) -> Client {
        let channel = Channel::from_shared(addr.to_string())
            .expect("node address")
            .connect()
            .await
            .expect("connecting to the node");
        let token = v1::auth_client::AuthClient::new(channel.clone())
            .login(v1::LoginRequest {
                account: "admin".into(),
                password: password.into(),
            })
            .await
            .expect("login")
            .into_inner()
            .token;
        Client {
            node: v1::node_client::NodeClient::new(channel)
                .max_decoding_message_size(64 * 1024 * 1024),
            token,
        }
    }

    pub fn req<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {}", self.token).parse().expect("header"),
        );
        request
    }

    /// This node's report-signing key.
    pub async fn node_key(&mut self) -> v1::NodeKeyInfo {
        let request = self.req(v1::GetNodeKeyRequest {});
        self.node
            .get_node_key(request)
            .await
            .expect("the node's key")
            .into_inner()
    }

    pub async fn create_incident(&mut self, id: &str) {
        let request = self.req(v1::CreateIncidentRequest {
            name: "訓練：報告試験".into(),
            mode: "drill".into(),
            incident_id: id.into(),
        });
        self.node.create_incident(request).await.expect("incident");
    }

    /// Creates an incident as an operator would (T-06: the node decides whether it may).
    pub async fn new_incident(
        &mut self,
        name: &str,
        mode: &str,
    ) -> Result<v1::Incident, tonic::Status> {
        let request = self.req(v1::CreateIncidentRequest {
            name: name.into(),
            mode: mode.into(),
            incident_id: String::new(),
        });
        Ok(self.node.create_incident(request).await?.into_inner())
    }

    /// The incidents this node holds.
    pub async fn incidents(&mut self) -> Vec<v1::Incident> {
        let request = self.req(v1::ListIncidentsRequest {});
        self.node
            .list_incidents(request)
            .await
            .expect("the incidents")
            .into_inner()
            .incidents
    }

    pub async fn record(
        &mut self,
        incident: &str,
        draft: &EntryDraft,
        supersedes: Option<&str>,
    ) -> Result<v1::Record, tonic::Status> {
        let request = self.req(v1::RecordEntryRequest {
            incident_id: incident.into(),
            draft: Some(draft_to_proto(draft)),
            supersedes: supersedes.unwrap_or_default().into(),
            ..Default::default()
        });
        Ok(self
            .node
            .record_entry(request)
            .await?
            .into_inner()
            .record
            .expect("a record"))
    }

    pub async fn delete(&mut self, record: &str, reason: &str) -> v1::Record {
        let request = self.req(v1::DeleteEntryRequest {
            record_id: record.into(),
            reason: reason.into(),
        });
        self.node
            .delete_entry(request)
            .await
            .expect("delete")
            .into_inner()
    }

    pub async fn depart(&mut self, record: &str, date: &str) -> v1::Record {
        let request = self.req(v1::RecordDepartureRequest {
            record_id: record.into(),
            date: date.into(),
        });
        self.node
            .record_departure(request)
            .await
            .expect("departure")
            .into_inner()
    }

    pub async fn record_state(&mut self, record: &str) -> Option<v1::Record> {
        let request = self.req(v1::GetRecordRequest {
            record_id: record.into(),
        });
        self.node
            .get_record(request)
            .await
            .ok()
            .map(|r| r.into_inner())
    }

    /// P-02: publish the read model (national node).
    pub async fn publish(&mut self) -> Result<v1::PublishResponse, tonic::Status> {
        let request = self.req(v1::PublishRequest {});
        Ok(self.node.publish(request).await?.into_inner())
    }

    pub async fn shared_status(&mut self) -> v1::SharedStatus {
        let request = self.req(v1::GetSharedStatusRequest {});
        self.node
            .get_shared_status(request)
            .await
            .expect("shared status")
            .into_inner()
    }

    pub async fn report(&mut self) -> v1::ReportResponse {
        let request = self.req(v1::ReportRequest {});
        self.node
            .report(request)
            .await
            .expect("report")
            .into_inner()
    }

    pub async fn set_intake(
        &mut self,
        scope: &str,
        paused: bool,
    ) -> Result<v1::IntakeStatus, tonic::Status> {
        let request = self.req(v1::SetIntakeRequest {
            scope: scope.into(),
            paused,
        });
        Ok(self.node.set_intake(request).await?.into_inner())
    }

    pub async fn intake(&mut self) -> v1::IntakeStatus {
        let request = self.req(v1::GetIntakeRequest {});
        self.node
            .get_intake(request)
            .await
            .expect("intake")
            .into_inner()
    }

    pub async fn history(&mut self) -> v1::ReportHistoryResponse {
        let request = self.req(v1::ReportHistoryRequest { limit: 1000 });
        self.node
            .report_history(request)
            .await
            .expect("history")
            .into_inner()
    }

    /// `anpi audit verify`: the walk's last message (L-05).
    pub async fn verify_log(&mut self) -> v1::VerifyLogProgress {
        let request = self.req(v1::VerifyLogRequest {
            from: 0,
            ..Default::default()
        });
        let mut stream = self
            .node
            .verify_log(request)
            .await
            .expect("verify")
            .into_inner();
        while let Some(progress) = stream.message().await.expect("verify progress") {
            if progress.done {
                return progress;
            }
        }
        panic!("the verify stream ended without a result");
    }

    /// Q-01..Q-04: registers an inquiry (`draft_json`, Form 4) about `incident`, looks
    /// for the person and answers within their consent over `channel`; the answered view.
    pub async fn inquire_and_answer(
        &mut self,
        incident: &str,
        draft_json: String,
        channel: &str,
    ) -> v1::InquiryView {
        let request = self.req(v1::RegisterInquiryRequest {
            incident_id: incident.into(),
            draft_json,
        });
        let registered = self
            .node
            .register_inquiry(request)
            .await
            .expect("registered")
            .into_inner();
        let request = self.req(v1::InquiryRequest {
            inquiry_id: registered.inquiry_id.clone(),
        });
        self.node
            .identify_inquiry(request)
            .await
            .expect("identified");
        let request = self.req(v1::AnswerInquiryRequest {
            inquiry_id: registered.inquiry_id,
            refuse_reason: String::new(),
            answer_channel: channel.into(),
        });
        self.node
            .answer_inquiry(request)
            .await
            .expect("answered")
            .into_inner()
    }

    /// P-03: replays the whole log and compares it with the live read model; the last
    /// progress message (with the comparison).
    pub async fn replay_compared(&mut self) -> v1::ReplayProgress {
        let request = self.req(v1::ReplayRequest::default());
        let mut stream = self
            .node
            .replay(request)
            .await
            .expect("replay")
            .into_inner();
        let mut done = None;
        while let Some(progress) = stream.message().await.expect("progress") {
            if progress.done {
                done = Some(progress);
            }
        }
        let done = done.expect("a final message");
        assert!(done.compared, "{done:?}");
        done
    }

    /// The whole log, in order.
    pub async fn events(&mut self) -> Vec<v1::Event> {
        let mut all = Vec::new();
        loop {
            let after = all.last().map(|e: &v1::Event| e.position).unwrap_or(0);
            let request = self.req(v1::ReadEventsRequest {
                after_position: after,
                limit: 10_000,
                ..Default::default()
            });
            let page = self
                .node
                .read_events(request)
                .await
                .expect("events")
                .into_inner()
                .events;
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }
}

/// A time limit for polling loops: `tick` sleeps 100 ms, and panics naming what was
/// awaited once the limit has passed.
pub struct Deadline {
    what: String,
    end: Instant,
}

impl Deadline {
    pub fn new(what: impl Into<String>, timeout: Duration) -> Deadline {
        Deadline {
            what: what.into(),
            end: Instant::now() + timeout,
        }
    }

    pub fn expired(&self) -> bool {
        Instant::now() >= self.end
    }

    pub async fn tick(&self) {
        assert!(
            Instant::now() < self.end,
            "timed out waiting for {}",
            self.what
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub use anpi_core::entry::fixtures::{numbered_deceased as deceased, numbered_evacuee as evacuee};

/// Fills a new municipality database with `entries` entries (and the incident)
/// through the node's own writer, in process, as fast as it takes them.
pub async fn prefilled_municipality(
    code: &str,
    incident: &str,
    entries: usize,
) -> anpi_harness::TestDb {
    use anpi_core::command::Command as DomainCommand;
    use anpi_core::jurisdiction::JurisdictionCode;
    use anpi_node::store::writer::{Writer, system_actor};
    let db = anpi_harness::TestDb::create().await;
    let config = anpi_node::config::load(&anpi_node::config::NodeArgs {
        jurisdiction: Some(code.into()),
        database_url: Some(db.url.clone()),
        ..Default::default()
    })
    .unwrap();
    anpi_node::server::prepare_database(&config).await.unwrap();
    let code = JurisdictionCode::parse(code).unwrap();
    let (writer, task) = Writer::start(&db.url, code.clone()).await.unwrap();
    let incident_id = incident.parse().unwrap();
    writer
        .submit(
            system_actor(&code),
            DomainCommand::CreateIncident {
                name: "訓練：報告試験".into(),
                mode: anpi_core::incident::IncidentMode::Drill,
                id: Some(incident_id),
                local: false,
            },
        )
        .await
        .unwrap();
    let template = anpi_core::entry::validate(&evacuee(0), chrono::Utc::now()).unwrap();
    let tasks = 64;
    let mut running = Vec::new();
    for t in 0..tasks {
        let writer = writer.clone();
        let code = code.clone();
        let template = template.clone();
        running.push(tokio::spawn(async move {
            for i in (t..entries).step_by(tasks) {
                let mut entry = template.clone();
                entry.draft.name = format!("試験　{i}郎");
                writer
                    .submit(
                        system_actor(&code),
                        DomainCommand::RecordEntry {
                            incident: incident_id,
                            entry: Box::new(entry),
                            supersedes: None,
                            confirm_same_person: false,
                        },
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for task in running {
        task.await.unwrap();
    }
    drop(writer);
    task.await.unwrap();
    db
}

/// The NATS users of a network of `codes`, written by `anpi-node nats-config`:
/// `auth.conf` (public keys) and a seed `<code>.nk` per node.
pub fn nats_users(codes: &[&str]) -> anpi_harness::TempDir {
    let dir = anpi_harness::TempDir::new("anpi-nats-auth");
    let output = std::process::Command::new(workspace_bin("anpi-node"))
        .arg("nats-config")
        .arg("--out")
        .arg(dir.path())
        .args(codes)
        .output()
        .expect("running anpi-node nats-config");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir
}

/// A fresh incident ID, as the national tier would announce it.
pub fn incident_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
