//! Accounts against a node served in process: each role's boundary on every
//! operation, the one-time password and the password policy, 180 days, login throttling
//! instead of a lockout (per account and per client address, one refusal for every
//! reason), unlock by another administrator, `anpi-node recover-admin`, withdrawal and
//! reset, the Red Cross view, and the read log. R: A-01..A-03, A-06, P-04.

use std::time::Duration;

use anpi_core::account::{self, Operation, Role};
use anpi_core::ids::AccountId;
use anpi_core::jurisdiction::Tier;
use anpi_harness::{NatsServer, TempDir, TestDb};
use anpi_node::config::{Config, NodeArgs};
use anpi_node::store::accounts::recover_admin;
use anpi_proto::{draft_to_proto, v1};
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::api::{Api, as_token, example_draft};
use crate::support::evacuee;

/// Issues an account of `role`, logs in with the one-time password, changes it, and
/// returns a token with full use of the role.
pub(crate) async fn account_of(api: &mut Api, id: &str, role: Role) -> String {
    let issued = api
        .node
        .create_account(api.req(v1::CreateAccountRequest {
            account_id: id.into(),
            holder: "試験 担当".into(),
            affiliation: "防災課".into(),
            contact: "内線 1234".into(),
            role: role.as_str().into(),
            terminal: "本庁舎 2F".into(),
        }))
        .await
        .expect("issued")
        .into_inner();
    let initial = issued.initial_password;
    let login = api
        .auth
        .login(v1::LoginRequest {
            account: id.into(),
            password: initial.clone(),
        })
        .await
        .expect("login with the initial password")
        .into_inner();
    assert!(login.must_change_password);
    let new = format!("Chosen-pass-{}", id.len());
    api.node
        .change_password(as_token(
            &login.token,
            v1::ChangePasswordRequest {
                current_password: initial,
                new_password: new.clone(),
            },
        ))
        .await
        .expect("password changed");
    api.auth
        .login(v1::LoginRequest {
            account: id.into(),
            password: new,
        })
        .await
        .expect("login")
        .into_inner()
        .token
}

/// Calls the RPC of `operation` with harmless arguments; the status code (OK as Ok).
pub(crate) async fn call(api: &mut Api, token: &str, operation: Operation, incident: &str) -> Code {
    let node = &mut api.node;
    let random = uuid::Uuid::now_v7().to_string();
    let result: Result<(), tonic::Status> = match operation {
        Operation::NodeInfo => node
            .get_node_info(as_token(token, v1::GetNodeInfoRequest {}))
            .await
            .map(drop),
        Operation::ListIncidents => node
            .list_incidents(as_token(token, v1::ListIncidentsRequest {}))
            .await
            .map(drop),
        Operation::CreateIncident => node
            .create_incident(as_token(
                token,
                v1::CreateIncidentRequest {
                    name: "訓練：権限".into(),
                    mode: "drill".into(),
                    incident_id: incident.into(),
                },
            ))
            .await
            .map(drop),
        Operation::RecordEntry => node
            .record_entry(as_token(
                token,
                v1::RecordEntryRequest {
                    incident_id: incident.into(),
                    draft: Some(draft_to_proto(&evacuee(7))),
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        Operation::DeleteEntry => node
            .delete_entry(as_token(
                token,
                v1::DeleteEntryRequest {
                    record_id: random,
                    reason: "試験".into(),
                },
            ))
            .await
            .map(drop),
        Operation::RecordDeparture => node
            .record_departure(as_token(
                token,
                v1::RecordDepartureRequest {
                    record_id: random,
                    date: "2026-11-22".into(),
                },
            ))
            .await
            .map(drop),
        Operation::ListRecords => node
            .list_records(as_token(token, v1::ListRecordsRequest::default()))
            .await
            .map(drop),
        Operation::GetRecord => node
            .get_record(as_token(token, v1::GetRecordRequest { record_id: random }))
            .await
            .map(drop),
        Operation::ReadEvents => node
            .read_events(as_token(token, v1::ReadEventsRequest::default()))
            .await
            .map(drop),
        Operation::Report => node
            .report(as_token(token, v1::ReportRequest {}))
            .await
            .map(drop),
        Operation::SetIntake => node
            .set_intake(as_token(
                token,
                v1::SetIntakeRequest {
                    scope: "reports".into(),
                    paused: false,
                },
            ))
            .await
            .map(drop),
        Operation::GetIntake => node
            .get_intake(as_token(token, v1::GetIntakeRequest {}))
            .await
            .map(drop),
        Operation::ReportHistory => node
            .report_history(as_token(token, v1::ReportHistoryRequest::default()))
            .await
            .map(drop),
        Operation::Organise => node
            .organise(as_token(token, v1::OrganiseRequest::default()))
            .await
            .map(drop),
        Operation::Search => node
            .search(as_token(
                token,
                v1::SearchRequest {
                    name: "消防太郎".into(),
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        Operation::Replay => node
            .replay(as_token(
                token,
                v1::ReplayRequest {
                    into: "role_check".into(),
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        Operation::Publish => node
            .publish(as_token(token, v1::PublishRequest {}))
            .await
            .map(drop),
        Operation::SharedStatus => node
            .get_shared_status(as_token(token, v1::GetSharedStatusRequest {}))
            .await
            .map(drop),
        Operation::Inquiry => node
            .list_inquiries(as_token(token, v1::ListInquiriesRequest::default()))
            .await
            .map(drop),
        Operation::ManageAccounts => node
            .list_accounts(as_token(token, v1::ListAccountsRequest {}))
            .await
            .map(drop),
        Operation::ReadAccessLog => node
            .list_reads(as_token(token, v1::ListReadsRequest::default()))
            .await
            .map(drop),
        Operation::VerifyLog => node
            .verify_log(as_token(
                token,
                v1::VerifyLogRequest {
                    from: 0,
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        Operation::ManageTrust => node
            .list_child_keys(as_token(token, v1::ListChildKeysRequest {}))
            .await
            .map(drop),
        // The first of two gates; the second (the account's roll-call authority, K-04)
        // is tested in rollcall.rs.
        Operation::Rollcall => api
            .rollcall
            .list(as_token(token, v1::ListRollcallsRequest {}))
            .await
            .map(drop),
        Operation::PurgePrivateArea => node
            .purge_private_area(as_token(
                token,
                v1::PurgePrivateAreaRequest {
                    reason: String::new(),
                    confirm: "wrong".into(),
                },
            ))
            .await
            .map(drop),
        Operation::Retention => node
            .purge_incident(as_token(
                token,
                v1::PurgeIncidentRequest {
                    incident_id: uuid::Uuid::now_v7().to_string(),
                    confirm: "wrong".into(),
                },
            ))
            .await
            .map(drop),
        Operation::RevokeAnywhere => node
            .list_revocations(as_token(token, v1::ListRevocationsRequest {}))
            .await
            .map(drop),
        Operation::ChangeOwnPassword => node
            .change_password(as_token(
                token,
                v1::ChangePasswordRequest {
                    current_password: "wrong-password-0".into(),
                    new_password: "Another-pass-1".into(),
                },
            ))
            .await
            .map(drop),
    };
    match result {
        Ok(()) => Code::Ok,
        Err(status) => status.code(),
    }
}

#[tokio::test]
async fn every_role_can_do_exactly_what_its_terminal_class_allows() {
    for (code, tier) in [("131016", Tier::Municipality), ("000001", Tier::National)] {
        check_every_role(code, tier).await;
    }
}

async fn check_every_role(code: &str, tier: Tier) {
    let mut api = Api::start_at(code).await;
    let incident = api.incident().await;
    for (n, role) in Role::ALL.into_iter().enumerate() {
        if role == Role::Publisher && tier != Tier::National {
            continue; // only the national tier registers publishers
        }
        let id = format!("user{n}{}", role.as_str().replace('_', ""));
        let token = account_of(&mut api, &id, role).await;
        for operation in Operation::ALL {
            if operation == Operation::Rollcall {
                continue; // its second gate is each account's roll-call role: rollcall.rs
            }
            let code = call(&mut api, &token, operation, &incident).await;
            let allowed = account::permits(role, operation, tier);
            if allowed {
                assert_ne!(
                    code,
                    Code::PermissionDenied,
                    "{role:?} may {operation:?} at the {tier:?} tier"
                );
            } else {
                assert_eq!(
                    code,
                    Code::PermissionDenied,
                    "{role:?} may not {operation:?} at the {tier:?} tier"
                );
            }
        }
    }
    // The refusal names the role and what it may not do.
    let token = account_of(&mut api, "fieldclerk", Role::Input).await;
    let refused = api
        .node
        .list_records(as_token(&token, v1::ListRecordsRequest::default()))
        .await
        .unwrap_err();
    assert!(refused.message().contains("入力"), "{}", refused.message());
}

#[tokio::test]
async fn initial_passwords_policy_no_lockout_withdrawal_and_reset() {
    let mut api = Api::start().await;
    let issued = api
        .node
        .create_account(api.req(v1::CreateAccountRequest {
            account_id: "clerk01".into(),
            holder: "試験 花子".into(),
            affiliation: "防災課".into(),
            contact: "内線 2345".into(),
            role: "organise".into(),
            terminal: String::new(),
        }))
        .await
        .unwrap()
        .into_inner();
    let initial = issued.initial_password.clone();
    assert!(account::check_password(&initial, "clerk01", None).is_ok());
    // The register shows holder, affiliation, contact, role and the issuing date.
    let register = api
        .node
        .list_accounts(api.req(v1::ListAccountsRequest {}))
        .await
        .unwrap()
        .into_inner()
        .accounts;
    let row = register.iter().find(|a| a.account_id == "clerk01").unwrap();
    assert_eq!(
        (row.holder.as_str(), row.affiliation.as_str()),
        ("試験 花子", "防災課")
    );
    assert!(row.initial_password && !row.issued_at.is_empty() && row.withdrawn_at.is_empty());
    let duplicate = api
        .node
        .create_account(api.req(v1::CreateAccountRequest {
            account_id: "clerk01".into(),
            holder: "別人".into(),
            affiliation: "x".into(),
            contact: "x".into(),
            role: "input".into(),
            terminal: String::new(),
        }))
        .await
        .unwrap_err();
    assert_eq!(duplicate.code(), Code::FailedPrecondition, "{duplicate:?}");
    assert!(duplicate.message().contains("既に使われています"));

    // The one-time password only lets its holder change it.
    let login = |password: &str| v1::LoginRequest {
        account: "clerk01".into(),
        password: password.into(),
    };
    let first = api.auth.login(login(&initial)).await.unwrap().into_inner();
    assert!(first.must_change_password && first.notice.contains("初期パスワード"));
    let blocked = api
        .node
        .list_incidents(as_token(&first.token, v1::ListIncidentsRequest {}))
        .await
        .unwrap_err();
    assert_eq!(blocked.code(), Code::PermissionDenied);
    assert!(
        blocked.message().contains("パスワードを変更"),
        "{}",
        blocked.message()
    );
    for (bad, rule) in [
        ("short1!", "8〜32文字"),
        ("abcdefghij", "2種類"),
        ("xxclerk01xx", "ユーザーID"),
        ("ｐａｓｓｗｏｒｄ１", "半角"),
    ] {
        let refused = api
            .node
            .change_password(as_token(
                &first.token,
                v1::ChangePasswordRequest {
                    current_password: initial.clone(),
                    new_password: bad.into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{bad}");
        assert!(
            refused.message().contains(rule),
            "{bad}: {}",
            refused.message()
        );
    }
    api.node
        .change_password(as_token(
            &first.token,
            v1::ChangePasswordRequest {
                current_password: initial.clone(),
                new_password: "Shelter-2026".into(),
            },
        ))
        .await
        .unwrap();
    let normal = api
        .auth
        .login(login("Shelter-2026"))
        .await
        .unwrap()
        .into_inner();
    assert!(!normal.must_change_password);
    assert_eq!(normal.role, "organise");

    // 180 days after the change, only the change is allowed again.
    let client = anpi_node::store::connect(&api.db.url).await.unwrap();
    client
        .execute(
            "UPDATE accounts SET password_changed_at = now() - interval '181 days' WHERE account_id = 'clerk01'",
            &[],
        )
        .await
        .unwrap();
    let old = api
        .auth
        .login(login("Shelter-2026"))
        .await
        .unwrap()
        .into_inner();
    assert!(
        old.must_change_password && old.notice.contains("180日"),
        "{old:?}"
    );
    client
        .execute(
            "UPDATE accounts SET password_changed_at = now() WHERE account_id = 'clerk01'",
            &[],
        )
        .await
        .unwrap();

    // Wrong passwords do not lock the account (docs/adr/0012): from the address its
    // holder logged in from, the right password still works and the sessions stay.
    for _ in 0..6 {
        let refused = api.auth.login(login("Wrong-pass-1")).await.unwrap_err();
        assert_eq!(refused.message(), account::LOGIN_REFUSED_MESSAGE);
    }
    let again = api
        .auth
        .login(login("Shelter-2026"))
        .await
        .expect("not locked")
        .into_inner();
    api.node
        .list_incidents(as_token(&normal.token, v1::ListIncidentsRequest {}))
        .await
        .expect("the sessions stay");

    // A reset issues a new one-time password and ends the holder's sessions.
    let reset = api
        .node
        .reset_password(api.req(v1::AccountRequest {
            account_id: "clerk01".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(reset.initial_password, initial);
    assert_eq!(
        api.node
            .list_incidents(as_token(&again.token, v1::ListIncidentsRequest {}))
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    let fresh = api
        .auth
        .login(login(&reset.initial_password))
        .await
        .unwrap()
        .into_inner();
    assert!(fresh.must_change_password);

    // Withdrawal: no more logins, and the register shows the return date.
    let withdrawn = api
        .node
        .withdraw_account(api.req(v1::AccountRequest {
            account_id: "clerk01".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(!withdrawn.withdrawn_at.is_empty());
    assert_eq!(
        api.auth
            .login(login(&reset.initial_password))
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    let own = api
        .node
        .withdraw_account(api.req(v1::AccountRequest {
            account_id: "admin".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(own.code(), Code::FailedPrecondition);

    // Every change is an event of the log (without any password).
    let events = api
        .node
        .read_events(api.req(v1::ReadEventsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .events;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    for kind in ["AccountCreated", "PasswordSet", "AccountWithdrawn"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert!(
        !kinds.contains(&"AccountLocked"),
        "nothing locks: {kinds:?}"
    );
    assert!(
        events
            .iter()
            .all(|e| !e.payload_json.contains("Shelter-2026") && !e.payload_json.contains("argon2")),
        "no password or hash in the log"
    );
}

#[tokio::test]
async fn the_red_cross_sees_only_foreign_or_unknown_nationality_and_every_read_is_logged() {
    let mut api = Api::start().await;
    let incident = api.incident().await;
    let japanese = api
        .node
        .record_entry(api.req(v1::RecordEntryRequest {
            incident_id: incident.clone(),
            draft: Some(example_draft("form1-evacuee.json")),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .record
        .unwrap();
    let mut foreign = anpi_core::entry::fixtures::evacuee();
    foreign.nationality.kind = "その他".into();
    foreign.nationality.other = "アメリカ".into();
    foreign.written_at = "2026-11-21 15:00".into();
    foreign.address.lot = "9-9".into();
    let foreign = api
        .node
        .record_entry(api.req(v1::RecordEntryRequest {
            incident_id: incident.clone(),
            draft: Some(draft_to_proto(&foreign)),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .record
        .unwrap();

    let red_cross = account_of(&mut api, "jrc01", Role::RedCross).await;
    let found = api
        .node
        .search(as_token(
            &red_cross,
            v1::SearchRequest {
                name: "消防太郎".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .records;
    let ids: Vec<&str> = found.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(ids, [foreign.record_id.as_str()]);
    let hidden = api
        .node
        .get_record(as_token(
            &red_cross,
            v1::GetRecordRequest {
                record_id: japanese.record_id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    api.node
        .get_record(as_token(
            &red_cross,
            v1::GetRecordRequest {
                record_id: foreign.record_id.clone(),
            },
        ))
        .await
        .unwrap();

    // The auditor reads who searched what and how many results came back.
    let auditor = account_of(&mut api, "audit01", Role::Auditor).await;
    let reads = api
        .node
        .list_reads(as_token(
            &auditor,
            v1::ListReadsRequest {
                account_id: "jrc01".into(),
                limit: 10,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .reads;
    let seen: Vec<(&str, i32)> = reads
        .iter()
        .map(|r| (r.operation.as_str(), r.results))
        .collect();
    assert_eq!(seen, [("get_record", 1), ("get_record", 0), ("search", 1)]);
    assert!(reads[2].query_json.contains("消防太郎") && reads[2].role == "red_cross");
}

// --- Login throttling and recovery (A-03, docs/adr/0012-login-throttling.md) ---

const ADMIN_PASSWORD: &str = "test-password-1";
/// The test nodes' back-off: 2 s after the first failure beyond the free ones (long
/// enough that a refusal observed right after a failure is certain), at most 4 s.
const FIRST_DELAY: Duration = Duration::from_secs(2);

/// A node served in process with short back-offs, reachable from several loopback
/// addresses (127.0.0.x), that can be stopped and served again.
struct Node {
    db: TestDb,
    config: Config,
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _nats: NatsServer,
}

impl Node {
    async fn start() -> Node {
        let db = TestDb::create().await;
        let nats = NatsServer::start();
        let config = anpi_node::config::load(&NodeArgs {
            jurisdiction: Some(crate::support::CODE.into()),
            database_url: Some(db.url.clone()),
            nats_url: Some(nats.url.clone()),
            listen: Some("127.0.0.1:0".into()),
            login_backoff_first_ms: Some(FIRST_DELAY.as_millis() as u64),
            login_backoff_max_seconds: Some(4),
            ..Default::default()
        })
        .unwrap();
        anpi_node::server::init(&config, &AccountId::parse("admin").unwrap(), ADMIN_PASSWORD)
            .await
            .unwrap();
        let mut node = Node {
            db,
            config,
            addr: "127.0.0.1:0".parse().unwrap(),
            stop: None,
            served: None,
            _nats: nats,
        };
        node.serve().await;
        node
    }

    async fn serve(&mut self) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        self.served = Some(tokio::spawn(anpi_node::server::serve(
            self.config.clone(),
            listener,
            async {
                let _ = stopped.await;
            },
        )));
        self.stop = Some(stop);
    }

    /// Stops serving and waits until the node has let go of its log.
    async fn stop(&mut self) {
        drop(self.stop.take());
        self.served.take().unwrap().await.unwrap().unwrap();
    }

    /// Clients connected from the loopback address `from`.
    async fn from(&self, from: &str) -> Clients {
        let channel = Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .local_address(Some(from.parse().unwrap()))
            .connect()
            .await
            .unwrap();
        Clients {
            auth: v1::auth_client::AuthClient::new(channel.clone()),
            node: v1::node_client::NodeClient::new(channel),
        }
    }

    async fn sql(&self) -> tokio_postgres::Client {
        anpi_node::store::connect(&self.db.url).await.unwrap()
    }
}

struct Clients {
    auth: v1::auth_client::AuthClient<Channel>,
    node: v1::node_client::NodeClient<Channel>,
}

impl Clients {
    async fn login(&mut self, id: &str, password: &str) -> Result<v1::LoginResponse, Status> {
        self.auth
            .login(v1::LoginRequest {
                account: id.into(),
                password: password.into(),
            })
            .await
            .map(|r| r.into_inner())
    }

    async fn token(&mut self, id: &str, password: &str) -> String {
        self.login(id, password)
            .await
            .unwrap_or_else(|e| panic!("login of {id}: {e:?}"))
            .token
    }

    /// Issues `id` with `role` (as the administrator `token`); its holder logs in from
    /// here and sets `Chosen-pass-<id>`, which is returned.
    async fn issue(&mut self, token: &str, id: &str, role: Role) -> String {
        let initial = self
            .node
            .create_account(as_token(
                token,
                v1::CreateAccountRequest {
                    account_id: id.into(),
                    holder: "試験 担当".into(),
                    affiliation: "防災課".into(),
                    contact: "内線 1234".into(),
                    role: role.as_str().into(),
                    terminal: String::new(),
                },
            ))
            .await
            .expect("issued")
            .into_inner()
            .initial_password;
        let first = self.token(id, &initial).await;
        let chosen = format!("Own-pass-{}", id.len() * 7);
        self.node
            .change_password(as_token(
                &first,
                v1::ChangePasswordRequest {
                    current_password: initial,
                    new_password: chosen.clone(),
                },
            ))
            .await
            .expect("password changed");
        chosen
    }

    async fn events(&mut self, token: &str) -> Vec<v1::Event> {
        self.node
            .read_events(as_token(token, v1::ReadEventsRequest::default()))
            .await
            .unwrap()
            .into_inner()
            .events
    }
}

/// Every refused login: UNAUTHENTICATED with the one message.
fn assert_refused(result: Result<v1::LoginResponse, Status>, what: &str) {
    let status = result.expect_err(what);
    assert_eq!(
        (status.code(), status.message()),
        (Code::Unauthenticated, account::LOGIN_REFUSED_MESSAGE),
        "{what}"
    );
}

/// The account's failures in a row as stored.
async fn failures_of(node: &Node, id: &str) -> i32 {
    node.sql()
        .await
        .query_one(
            "SELECT failed_logins FROM accounts WHERE account_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn wrong_logins_against_an_administrator_only_slow_down_and_never_keep_them_out() {
    let node = Node::start().await;
    let mut usual = node.from("127.0.0.1").await;
    usual.token("admin", ADMIN_PASSWORD).await;
    let mut attacker = node.from("127.0.0.2").await;

    // Free failures, then the one that starts the back-off; attempts while it runs are
    // refused without a check and do not lengthen it.
    for n in 1..=account::ACCOUNT_FREE_FAILURES + 2 {
        assert_refused(
            attacker.login("admin", &format!("Guess-{n}-x")).await,
            "a wrong password",
        );
    }
    assert_eq!(
        failures_of(&node, "admin").await,
        account::ACCOUNT_FREE_FAILURES as i32 + 1,
        "the attempt refused while slowed down is not counted"
    );
    // From an address the administrator never used, even the right password waits...
    let mut elsewhere = node.from("127.0.0.3").await;
    assert_refused(
        elsewhere.login("admin", ADMIN_PASSWORD).await,
        "slowed down: refused like a wrong password",
    );
    // ...but the usual terminal is not slowed down by failures caused elsewhere.
    let ok = usual
        .login("admin", ADMIN_PASSWORD)
        .await
        .expect("usual terminal");
    assert!(!ok.must_change_password && ok.role == "administrator");

    // The attacker again, then the back-off elapses: the right password works from
    // anywhere, and nothing was locked.
    for n in 0..account::ACCOUNT_FREE_FAILURES + 2 {
        let _ = attacker.login("admin", &format!("Again-{n}-x")).await;
    }
    assert_refused(elsewhere.login("admin", ADMIN_PASSWORD).await, "waiting");
    tokio::time::sleep(FIRST_DELAY + Duration::from_millis(300)).await;
    let token = elsewhere.token("admin", ADMIN_PASSWORD).await;
    assert_eq!(failures_of(&node, "admin").await, 0);
    let kinds: Vec<String> = elsewhere
        .events(&token)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(!kinds.iter().any(|k| k == "AccountLocked"), "{kinds:?}");
}

#[tokio::test]
async fn every_refused_login_reads_the_same_and_takes_as_long() {
    let node = Node::start().await;
    let mut admin = node.from("127.0.0.1").await;
    let token = admin.token("admin", ADMIN_PASSWORD).await;
    let clerk = admin.issue(&token, "clerk01", Role::Organise).await;
    let old = admin.issue(&token, "locked01", Role::Organise).await;
    let gone = admin.issue(&token, "gone01", Role::Input).await;
    admin
        .node
        .withdraw_account(as_token(
            &token,
            v1::AccountRequest {
                account_id: "gone01".into(),
            },
        ))
        .await
        .unwrap();
    // A lock from before throttling replaced the lockout.
    node.sql()
        .await
        .execute(
            "UPDATE accounts SET locked_at = now() WHERE account_id = 'locked01'",
            &[],
        )
        .await
        .unwrap();
    // clerk01 slowed down by failures from another address.
    let mut attacker = node.from("127.0.0.2").await;
    for n in 0..=account::ACCOUNT_FREE_FAILURES {
        assert_refused(
            attacker.login("clerk01", &format!("Guess-{n}-x")).await,
            "wrong",
        );
    }

    // Each kind from its own address (so no address is slowed down), three times.
    let kinds: [(&str, &str, String); 6] = [
        ("127.0.0.11", "nobody01", "Whatever-1".into()),
        ("127.0.0.12", "管理者", "Whatever-1".into()),
        ("127.0.0.13", "admin", "Wrong-pass-1".into()),
        ("127.0.0.14", "clerk01", clerk.clone()),
        ("127.0.0.15", "locked01", old),
        ("127.0.0.16", "gone01", gone),
    ];
    let mut fastest = Vec::new();
    for (from, id, password) in &kinds {
        let mut client = node.from(from).await;
        let mut times = Vec::new();
        for _ in 0..3 {
            let started = std::time::Instant::now();
            let result = client.login(id, password).await;
            times.push(started.elapsed());
            assert_refused(result, &format!("{id} from {from}"));
        }
        fastest.push((*id, times.into_iter().min().unwrap()));
    }
    // Every refusal verified one argon2 hash: none is markedly faster than a wrong
    // password (the bound is loose: the machine is shared).
    let wrong = fastest[2].1;
    for (id, time) in &fastest {
        assert!(
            *time * 3 >= wrong,
            "{id}: {time:?} against {wrong:?} for a wrong password"
        );
    }
    // And the right password, from the holder's own address, still works.
    admin.token("clerk01", &clerk).await;
}

#[tokio::test]
async fn failures_from_one_address_slow_down_every_id_tried_from_it() {
    let node = Node::start().await;
    let mut admin = node.from("127.0.0.1").await;
    let token = admin.token("admin", ADMIN_PASSWORD).await;
    let clerk = admin.issue(&token, "clerk01", Role::Provision).await;
    let other = admin.issue(&token, "clerk02", Role::Input).await;

    // One wrong password each for many IDs (no account reaches its back-off).
    let mut spray = node.from("127.0.0.4").await;
    for n in 0..=account::ADDRESS_FREE_FAILURES {
        let id = match n {
            0 => "clerk02".to_string(),
            1 => "admin".to_string(),
            n => format!("nobody{n:02}"),
        };
        assert_refused(spray.login(&id, "Password-1").await, "sprayed");
    }
    assert!(failures_of(&node, "clerk02").await <= 1);
    // Now even an untried ID with its right password waits, from that address only.
    assert_refused(spray.login("clerk01", &clerk).await, "address slowed down");
    assert_refused(spray.login("clerk02", &other).await, "address slowed down");
    node.from("127.0.0.5").await.token("clerk01", &clerk).await;
    tokio::time::sleep(FIRST_DELAY + Duration::from_millis(300)).await;
    spray.token("clerk01", &clerk).await;
}

#[tokio::test]
async fn an_administrator_unlocks_another_administrator() {
    let node = Node::start().await;
    let mut admin = node.from("127.0.0.1").await;
    let token = admin.token("admin", ADMIN_PASSWORD).await;
    let second = admin.issue(&token, "admin2", Role::Administrator).await;

    // Slowed down by an attacker: unlocking lets the holder in at once, from anywhere.
    let mut attacker = node.from("127.0.0.2").await;
    for n in 0..=account::ACCOUNT_FREE_FAILURES {
        assert_refused(
            attacker.login("admin2", &format!("Guess-{n}-x")).await,
            "wrong",
        );
    }
    let mut elsewhere = node.from("127.0.0.3").await;
    assert_refused(elsewhere.login("admin2", &second).await, "slowed down");
    let unlock = |token: &str| {
        as_token(
            token,
            v1::AccountRequest {
                account_id: "admin2".into(),
            },
        )
    };
    admin
        .node
        .unlock_account(unlock(&token))
        .await
        .expect("unlocked");
    let token2 = elsewhere.token("admin2", &second).await;

    // A lock from before throttling holds everywhere until another administrator lifts
    // it (`anpi account unlock admin2`).
    node.sql()
        .await
        .execute(
            "UPDATE accounts SET locked_at = now() WHERE account_id = 'admin2'",
            &[],
        )
        .await
        .unwrap();
    assert_refused(admin.login("admin2", &second).await, "locked");
    let unlocked = admin
        .node
        .unlock_account(unlock(&token))
        .await
        .expect("unlocked")
        .into_inner();
    assert!(unlocked.locked_at.is_empty());
    admin.token("admin2", &second).await;
    // Nothing left to unlock.
    let nothing = admin.node.unlock_account(unlock(&token)).await.unwrap_err();
    assert_eq!(nothing.code(), Code::FailedPrecondition, "{nothing:?}");

    let unlocks: Vec<String> = admin
        .events(&token2)
        .await
        .into_iter()
        .filter(|e| e.kind == "AccountUnlocked")
        .map(|e| e.actor)
        .collect();
    assert_eq!(unlocks, ["131016/admin", "131016/admin"]);
}

#[tokio::test]
async fn recover_admin_gives_a_locked_out_node_an_administrator_back() {
    let mut node = Node::start().await;
    let mut admin = node.from("127.0.0.1").await;
    let token = admin.token("admin", ADMIN_PASSWORD).await;
    admin.issue(&token, "clerk01", Role::Organise).await;
    admin.issue(&token, "gone01", Role::Administrator).await;
    admin
        .node
        .withdraw_account(as_token(
            &token,
            v1::AccountRequest {
                account_id: "gone01".into(),
            },
        ))
        .await
        .unwrap();
    // The only administrator locked (as the lockout used to do it).
    node.sql()
        .await
        .execute(
            "UPDATE accounts SET locked_at = now() WHERE account_id = 'admin'",
            &[],
        )
        .await
        .unwrap();
    assert_refused(admin.login("admin", ADMIN_PASSWORD).await, "locked");

    // While the node serves, the recovery refuses (it writes to the log itself).
    let running = recover_admin(
        node.config.database_url.expose(),
        &node.config.jurisdiction,
        node.config.tier,
        node.config.name.as_deref(),
        &AccountId::parse("admin").unwrap(),
        None,
    )
    .await
    .unwrap_err();
    assert!(
        format!("{running:#}").contains("stop `anpi-node serve`"),
        "{running:#}"
    );
    drop(admin);
    node.stop().await;

    // `anpi-node recover-admin` with a password file, as the README documents it.
    let dir = TempDir::new("anpi-recover");
    let file = dir.path().join("password");
    std::fs::write(&file, "Recover-2026\n").unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_anpi-node"))
        .args(["recover-admin", "--admin-id", "admin", "--password-file"])
        .arg(&file)
        .args([
            "--jurisdiction",
            crate::support::CODE,
            "--database-url",
            &node.db.url,
        ])
        .env("ANPI_LOG", "warn")
        .env_remove("ANPI_CONFIG")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("one-time password: Recover-2026"),
        "{stdout}"
    );
    // Refused: an account of another role, a withdrawn ID, a password off the policy.
    for (id, password, why) in [
        ("clerk01", None, "管理者ではありません"),
        ("gone01", None, "返却済み"),
        ("admin", Some("short"), "password"),
    ] {
        let refused = recover_admin(
            node.config.database_url.expose(),
            &node.config.jurisdiction,
            node.config.tier,
            node.config.name.as_deref(),
            &AccountId::parse(id).unwrap(),
            password.map(str::to_string),
        )
        .await
        .unwrap_err();
        assert!(format!("{refused:#}").contains(why), "{id}: {refused:#}");
    }
    // A new administrator for an unused ID, with a random one-time password.
    let issued = recover_admin(
        node.config.database_url.expose(),
        &node.config.jurisdiction,
        node.config.tier,
        node.config.name.as_deref(),
        &AccountId::parse("admin9").unwrap(),
        None,
    )
    .await
    .unwrap();
    assert!(issued.created);
    assert!(account::check_password(&issued.one_time_password, "admin9", None).is_ok());

    node.serve().await;
    let mut admin = node.from("127.0.0.1").await;
    let first = admin
        .login("admin", "Recover-2026")
        .await
        .expect("recovered");
    assert!(first.must_change_password, "a one-time password");
    admin
        .node
        .change_password(as_token(
            &first.token,
            v1::ChangePasswordRequest {
                current_password: "Recover-2026".into(),
                new_password: "Back-again-7".into(),
            },
        ))
        .await
        .unwrap();
    let token = admin.token("admin", "Back-again-7").await;
    let nine = admin
        .login("admin9", &issued.one_time_password)
        .await
        .unwrap();
    assert!(nine.must_change_password && nine.role == "administrator");

    let events = admin.events(&token).await;
    let recovered: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e.kind == "AdministratorRecovered")
        .map(|e| (e.actor.as_str(), e.payload_json.as_str()))
        .collect();
    assert_eq!(recovered.len(), 2, "{recovered:?}");
    for (actor, _) in &recovered {
        assert_eq!(*actor, "131016/system");
    }
    assert!(recovered[0].1.contains("\"admin\"") && recovered[0].1.contains("\"created\":false"));
    assert!(recovered[1].1.contains("\"admin9\"") && recovered[1].1.contains("\"created\":true"));
    let created = events
        .iter()
        .find(|e| e.kind == "AccountCreated" && e.payload_json.contains("admin9"))
        .expect("the new administrator's AccountCreated");
    assert_eq!(created.actor, "131016/system");
    assert!(
        events
            .iter()
            .all(|e| !e.payload_json.contains("Recover-2026") && !e.payload_json.contains("argon2")),
        "no password or hash in the log"
    );
}
