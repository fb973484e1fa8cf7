//! Node-to-node trust and national revocation, against a real
//! nats-server configured by `anpi-node nats-config` and real node processes, each
//! logging in to NATS as its own jurisdiction with its NKEY, over TLS verified against
//! the network's CA (issue 22).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anpi_e2e::{Deadline, Member, evacuee, incident_id, trust};
use anpi_harness::{NatsServer, TestCa, TestDb};
use anpi_proto::v1;
use bytes::Bytes;
use tonic::Code;

const NATIONAL: &str = "000001";
const TOKYO: &str = "130001";
const CHIYODA: &str = "131016";
const SHINJUKU: &str = "131041";

fn seed(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{file}.nk")))
        .unwrap()
        .trim()
        .to_string()
}

/// The network's NATS over TLS with NKEY users: the server's certificate is the CA's.
fn secured_nats(auth: &Path) -> (NatsServer, TestCa) {
    let ca = TestCa::new("nats");
    let nats = NatsServer::start_secured(auth, &ca);
    (nats, ca)
}

/// A node logging in to NATS as its own jurisdiction's user, over TLS.
async fn secured(code: &str, nats: &NatsServer, auth: &Path, ca: &TestCa) -> Member {
    let name = anpi_e2e::NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
        .unwrap_or("試験");
    let extra = format!(
        "name = \"{name}\"\nnats_nkey_file = \"{}\"\nnats_ca = \"{}\"\n",
        auth.join(format!("{code}.nk")).display(),
        ca.cert.display()
    );
    Member::start_with(code, TestDb::create().await, nats, &extra).await
}

/// A NATS client logged in with the seed `seed`, over TLS, recording the server's
/// errors (permission violations arrive that way).
async fn nats_as(
    nats: &NatsServer,
    ca: &TestCa,
    seed: String,
    inbox: &str,
) -> (async_nats::Client, Arc<Mutex<Vec<String>>>) {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = errors.clone();
    let client = async_nats::ConnectOptions::new()
        .nkey(seed)
        .require_tls(true)
        .add_root_certificates(ca.cert.clone())
        .custom_inbox_prefix(inbox)
        .event_callback(move |event| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(event.to_string());
            }
        })
        .connect(&nats.url)
        .await
        .expect("connecting to NATS");
    (client, errors)
}

async fn refused_parts(member: &Member) -> i64 {
    member
        .count("SELECT count(*) FROM events WHERE kind = 'ReportPartRefused'")
        .await
}

async fn wait_records(member: &mut Member, n: i64) {
    member.wait_records(n).await;
}

/// with per-jurisdiction NATS users the network reports as usual; a
/// municipality's user cannot publish as another municipality, past its parent, or
/// orders, nor read another node's subjects (nats-server refuses); and a part on its
/// own subject that is unsigned, signed by another key or altered after signing is
/// refused by the parent and logged, while a child without a registered key waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_node_speaks_only_as_itself_and_forged_parts_are_refused_and_logged() {
    let auth = anpi_e2e::nats_users(&[NATIONAL, TOKYO, CHIYODA, SHINJUKU]);
    let (nats, ca) = secured_nats(auth.path());
    // The national node creates the streams (no other node's user may).
    let mut national = secured(NATIONAL, &nats, auth.path(), &ca).await;
    let mut tokyo = secured(TOKYO, &nats, auth.path(), &ca).await;
    let mut chiyoda = secured(CHIYODA, &nats, auth.path(), &ca).await;
    let mut shinjuku = secured(SHINJUKU, &nats, auth.path(), &ca).await;
    let incident = incident_id();
    for member in [&mut national, &mut tokyo, &mut chiyoda, &mut shinjuku] {
        member.client.create_incident(&incident).await;
    }
    trust(&mut national, &mut tokyo).await;
    trust(&mut tokyo, &mut chiyoda).await;

    // Reports travel up with each node's own credentials and signatures.
    chiyoda
        .client
        .record(&incident, &evacuee(1), None)
        .await
        .unwrap();
    assert!(chiyoda.client.report().await.reported);
    wait_records(&mut tokyo, 1).await;
    assert!(tokyo.client.report().await.reported);
    wait_records(&mut national, 1).await;
    // The national user publishes the shared dataset; every node's user reads it.
    national
        .client
        .publish()
        .await
        .expect("publishing version 1");
    for member in [&mut tokyo, &mut chiyoda, &mut shinjuku] {
        member.wait_shared_version(1).await;
    }
    // The national user reads how far every node's replica has got (the publish
    // screen's per-node progress); a municipality's user may not.
    let (client, _) = nats_as(
        &nats,
        &ca,
        seed(auth.path(), NATIONAL),
        &format!("_INBOX_{NATIONAL}"),
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let receivers =
            anpi_node::bus::shared::receivers(&async_nats::jetstream::new(client.clone()))
                .await
                .expect("the national user may read the shared consumers");
        let received: Vec<&str> = receivers
            .iter()
            .filter(|r| r.waiting == 0 && r.acknowledged_through == r.last_sequence)
            .map(|r| r.code.as_str())
            .collect();
        if [TOKYO, CHIYODA, SHINJUKU]
            .iter()
            .all(|c| received.contains(c))
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{receivers:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (client, _) = nats_as(
        &nats,
        &ca,
        seed(auth.path(), CHIYODA),
        &format!("_INBOX_{CHIYODA}"),
    )
    .await;
    let mut js = async_nats::jetstream::new(client);
    js.set_timeout(Duration::from_secs(2));
    assert_eq!(
        anpi_node::bus::shared::receivers(&js).await,
        None,
        "a municipality does not see the other nodes' consumers"
    );

    // 新宿区's key is not registered at 東京都: its report waits in JetStream.
    shinjuku
        .client
        .record(&incident, &evacuee(2), None)
        .await
        .unwrap();
    assert!(shinjuku.client.report().await.reported);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(tokyo.count("SELECT count(*) FROM records").await, 1);
    assert!(
        tokyo.node.log().contains("not registered"),
        "{}",
        tokyo.node.log()
    );
    trust(&mut tokyo, &mut shinjuku).await;
    tokyo.wait_records(2).await;

    // 千代田区's NATS user, as a compromised node would use it.
    let (client, errors) = nats_as(
        &nats,
        &ca,
        seed(auth.path(), CHIYODA),
        &format!("_INBOX_{CHIYODA}"),
    )
    .await;
    let mut js = async_nats::jetstream::new(client.clone());
    js.set_timeout(Duration::from_secs(2));
    for subject in [
        format!("anpi.report.{TOKYO}.{SHINJUKU}"), // as another municipality
        format!("anpi.report.{NATIONAL}.{CHIYODA}"), // past its parent
        format!("anpi.order.{SHINJUKU}"),          // an order
        format!("anpi.receipt.{SHINJUKU}.{TOKYO}"), // a receipt as the prefecture
        "anpi.shared.99".to_string(),              // a shared-dataset version
    ] {
        let stored = async {
            js.publish(subject.clone(), Bytes::from_static(b"x"))
                .await
                .map_err(|e| e.to_string())?
                .await
                .map_err(|e| e.to_string())
        };
        assert!(
            stored.await.is_err(),
            "JetStream stored a message {CHIYODA} may not publish on {subject}"
        );
    }
    // Reading another node's inbound subject is refused too.
    let _sub = client
        .subscribe(format!("anpi.report.{TOKYO}.>"))
        .await
        .unwrap();
    client.flush().await.unwrap();
    let deadline = Deadline::new("the permission violations", Duration::from_secs(10));
    loop {
        let seen = errors.lock().unwrap().join("\n");
        if seen.contains("Permissions Violation for Publish to \"anpi.report.130001.131041\"")
            && seen.contains("Permissions Violation for Subscription to \"anpi.report.130001.>\"")
        {
            break;
        }
        if deadline.expired() {
            panic!("nats-server did not refuse: {seen}");
        }
        deadline.tick().await;
    }

    // On its own subject NATS lets it publish, but 東京都 checks the signature.
    let pkcs8: Vec<u8> = {
        let (db, connection) = tokio_postgres::connect(&chiyoda.db.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        db.query_one("SELECT pkcs8 FROM node_key", &[])
            .await
            .unwrap()
            .get(0)
    };
    let own_key = anpi_node::trust::NodeKey::from_pkcs8(&pkcs8).unwrap();
    let other_key =
        anpi_node::trust::NodeKey::from_pkcs8(&anpi_node::trust::generate_pkcs8().unwrap())
            .unwrap();
    let subject = format!("anpi.report.{TOKYO}.{CHIYODA}");
    let forged_body = |report_id: &str| {
        let part = v1::ReportPart {
            report_id: report_id.into(),
            from: CHIYODA.into(),
            to: TOKYO.into(),
            log_id: uuid::Uuid::now_v7().to_string(),
            seq: 1,
            part: 0,
            last: true,
            event_count: 0,
            ..Default::default()
        };
        anpi_node::wire::encode(&part)
    };
    let js = async_nats::jetstream::new(client.clone());
    let before = refused_parts(&tokyo).await;
    for case in ["unsigned", "another key", "altered"] {
        let report_id = uuid::Uuid::now_v7().to_string();
        let message_id = format!("{report_id}.0");
        let body = forged_body(&report_id);
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", message_id.as_str());
        headers.insert(anpi_node::wire::ENCODING_HEADER, anpi_node::wire::ENCODING);
        let body = match case {
            "unsigned" => body,
            "another key" => {
                let signature = other_key.sign(&subject, &message_id, &body);
                headers.insert(anpi_core::trust::SIGNATURE_HEADER, signature.as_str());
                body
            }
            _ => {
                let signature = own_key.sign(&subject, &message_id, &body);
                headers.insert(anpi_core::trust::SIGNATURE_HEADER, signature.as_str());
                let mut altered = body.clone();
                let last = altered.len() - 1;
                altered[last] ^= 1;
                altered
            }
        };
        js.publish_with_headers(subject.clone(), headers, body.into())
            .await
            .unwrap()
            .await
            .unwrap_or_else(|e| {
                panic!("{case}: NATS refused a publish on the node's own subject: {e}")
            });
    }
    let deadline = Deadline::new("the forged parts to be refused", Duration::from_secs(30));
    while refused_parts(&tokyo).await < before + 3 {
        deadline.tick().await;
    }
    let reasons = tokyo
        .client
        .events()
        .await
        .into_iter()
        .filter(|e| e.kind == "ReportPartRefused")
        .map(|e| e.payload_json)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        reasons.contains("unsigned message from 131016"),
        "{reasons}"
    );
    assert_eq!(
        reasons
            .matches("does not match the sender's registered key")
            .count(),
        2,
        "{reasons}"
    );
    assert_eq!(
        tokyo.count("SELECT count(*) FROM records").await,
        2,
        "nothing forged applied"
    );
    assert_eq!(tokyo.client.intake().await.waiting_messages, 0);
}

async fn login(addr: &str, account: &str, password: &str) -> Result<String, tonic::Status> {
    let mut auth = v1::auth_client::AuthClient::connect(addr.to_string())
        .await
        .unwrap();
    auth.login(v1::LoginRequest {
        account: account.into(),
        password: password.into(),
    })
    .await
    .map(|r| r.into_inner().token)
}

async fn issue(member: &mut Member, id: &str) -> String {
    let request = member.client.req(v1::CreateAccountRequest {
        account_id: id.into(),
        holder: "消防 花子".into(),
        affiliation: "千代田区 防災課".into(),
        contact: "03-0000-0000".into(),
        role: "input".into(),
        terminal: "避難所".into(),
    });
    member
        .client
        .node
        .create_account(request)
        .await
        .expect("issuing an account")
        .into_inner()
        .initial_password
}

async fn wait_login_refused(
    member: &Member,
    id: &str,
    password: &str,
    within: Duration,
) -> Duration {
    let started = Instant::now();
    loop {
        match login(member.node.addr(), id, password).await {
            Err(status) => {
                assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
                return started.elapsed();
            }
            Ok(_) if started.elapsed() > within => {
                panic!(
                    "{id} could still log in after {within:?}:\n{}",
                    member.node.log()
                )
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// the national administrator disables an account of 千代田区; the order travels
/// over NATS and takes effect there within seconds (its sessions end), and an order
/// given while 千代田区's node is down takes effect when it is back. Only the national
/// administrator may order it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_national_revocation_reaches_the_node_also_after_it_was_offline() {
    let auth = anpi_e2e::nats_users(&[NATIONAL, CHIYODA]);
    let (nats, ca) = secured_nats(auth.path());
    let mut national = secured(NATIONAL, &nats, auth.path(), &ca).await;
    let mut chiyoda = secured(CHIYODA, &nats, auth.path(), &ca).await;
    // 千代田区 carries out only orders signed with the national key registered there.
    trust(&mut chiyoda, &mut national).await;
    let first = issue(&mut chiyoda, "clerk-a").await;
    let second = issue(&mut chiyoda, "clerk-b").await;
    let token = login(chiyoda.node.addr(), "clerk-a", &first).await.unwrap();
    let mut node = v1::node_client::NodeClient::connect(chiyoda.node.addr().to_string())
        .await
        .unwrap();
    let info = |token: &str| {
        let mut request = tonic::Request::new(v1::GetNodeInfoRequest {});
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    };
    // The clerk's session works (with the one-time password it may only see the node
    // and change the password, A-03).
    node.get_node_info(info(&token))
        .await
        .expect("the session works");

    // Only the national administrator orders revocations.
    let request = chiyoda.client.req(v1::RevokeAccountRequest {
        jurisdiction: CHIYODA.into(),
        account_id: "clerk-a".into(),
        reason: "不正利用の疑い".into(),
    });
    assert_eq!(
        chiyoda
            .client
            .node
            .revoke_account(request)
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    let request = national.client.req(v1::RevokeAccountRequest {
        jurisdiction: CHIYODA.into(),
        account_id: "clerk-a".into(),
        reason: " ".into(),
    });
    let missing = national
        .client
        .node
        .revoke_account(request)
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::InvalidArgument);
    assert!(missing.message().contains("理由"), "{}", missing.message());

    let request = national.client.req(v1::RevokeAccountRequest {
        jurisdiction: CHIYODA.into(),
        account_id: "clerk-a".into(),
        reason: "不正利用の疑い".into(),
    });
    let ordered = national
        .client
        .node
        .revoke_account(request)
        .await
        .unwrap()
        .into_inner();
    assert!(!ordered.order_id.is_empty());
    let took = wait_login_refused(&chiyoda, "clerk-a", &first, Duration::from_secs(5)).await;
    eprintln!("revocation effective at the node after {took:?}");
    assert_eq!(
        node.get_node_info(info(&token)).await.unwrap_err().code(),
        Code::Unauthenticated,
        "the revoked account's session ended"
    );

    // An order that the national key did not sign is refused and logged, even when
    // it comes through NATS with the operator's all-powerful user.
    let (operator, _) = nats_as(&nats, &ca, seed(auth.path(), "admin"), "_INBOX").await;
    let forged_key =
        anpi_node::trust::NodeKey::from_pkcs8(&anpi_node::trust::generate_pkcs8().unwrap())
            .unwrap();
    let order_id = uuid::Uuid::now_v7().to_string();
    let body = serde_json::json!({
        "order_id": order_id,
        "account": "admin",
        "reason": "偽の指示",
        "ordered_by": "000001/admin",
    })
    .to_string();
    let order_subject = format!("anpi.order.{CHIYODA}");
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", order_id.as_str());
    headers.insert(
        anpi_core::trust::SIGNATURE_HEADER,
        forged_key
            .sign(&order_subject, &order_id, body.as_bytes())
            .as_str(),
    );
    async_nats::jetstream::new(operator)
        .publish_with_headers(order_subject, headers, body.into())
        .await
        .unwrap()
        .await
        .unwrap();
    let deadline = Deadline::new("the forged order to be refused", Duration::from_secs(30));
    while chiyoda
        .count("SELECT count(*) FROM events WHERE kind = 'OrderRefused'")
        .await
        == 0
    {
        deadline.tick().await;
    }
    login(chiyoda.node.addr(), "admin", &chiyoda.node.password)
        .await
        .expect("a forged order disables nothing");

    // 千代田区's node is down when the next order is given.
    chiyoda.node.process.kill9();
    let request = national.client.req(v1::RevokeAccountRequest {
        jurisdiction: CHIYODA.into(),
        account_id: "clerk-b".into(),
        reason: "端末の紛失".into(),
    });
    national.client.node.revoke_account(request).await.unwrap();
    let deadline = Deadline::new(
        "the order to be stored in JetStream",
        Duration::from_secs(30),
    );
    loop {
        let request = national.client.req(v1::ListRevocationsRequest {});
        let list = national
            .client
            .node
            .list_revocations(request)
            .await
            .unwrap()
            .into_inner()
            .revocations;
        assert_eq!(list.len(), 2);
        if list.iter().all(|r| !r.sent_at.is_empty()) {
            break;
        }
        deadline.tick().await;
    }
    chiyoda.node.process.restart();
    chiyoda.reconnect().await;
    wait_login_refused(&chiyoda, "clerk-b", &second, Duration::from_secs(30)).await;

    // Each revocation is an event of 千代田区's log, naming the order and its reason.
    let revoked: Vec<String> = chiyoda
        .client
        .events()
        .await
        .into_iter()
        .filter(|e| e.kind == "AccountRevoked")
        .map(|e| format!("{} {}", e.actor, e.payload_json))
        .collect();
    assert_eq!(revoked.len(), 2, "{revoked:?}");
    assert!(revoked[0].contains(&ordered.order_id) && revoked[0].contains("不正利用の疑い"));
    assert!(revoked[1].contains("端末の紛失"));
    // The administrator still logs in: only the ordered accounts were disabled.
    login(chiyoda.node.addr(), "admin", &chiyoda.node.password)
        .await
        .unwrap();
}
