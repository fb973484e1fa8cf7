//! NATS between the nodes is encrypted and authenticated (A-05, issue 22): the nodes
//! reach nats-server over TLS verified against the network's CA and log in with their
//! NKEY (`anpi-node nats-config`). A capture of the loopback NATS port during a report
//! shows no report and no personal data in clear — and the same capture of a plaintext
//! server does, which shows the capture sees what crosses. A node with the wrong CA or
//! an unknown key is refused and its log says why.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anpi_e2e::{Deadline, Member, incident_id, trust};
use anpi_harness::{NatsServer, TempDir, TestCa, TestDb};

const NATIONAL: &str = "000001";
const TOKYO: &str = "130001";
const CHIYODA: &str = "131016";

/// A name and a lot number that occur nowhere else in the traffic.
const NAME: &str = "暗号　確認子";
const LOT: &str = "秘匿番地987";

fn settings(code: &str, auth: &Path, ca: Option<&Path>) -> String {
    let mut extra = format!(
        "nats_nkey_file = \"{}\"\n",
        auth.join(format!("{code}.nk")).display()
    );
    if let Some(ca) = ca {
        extra.push_str(&format!("nats_ca = \"{}\"\n", ca.display()));
    }
    extra
}

/// tcpdump on the loopback interface, writing every packet of `port` to a file.
struct Capture {
    child: Child,
    file: PathBuf,
    _dir: TempDir,
}

impl Capture {
    fn start(port: u16) -> Capture {
        let dir = TempDir::new("anpi-capture");
        let file = dir.path().join("nats.pcap");
        let child = Command::new("tcpdump")
            .args([
                "-i",
                "lo",
                "-U",
                "--immediate-mode",
                "-Z",
                "root",
                "-s",
                "0",
                "-w",
            ])
            .arg(&file)
            .arg(format!("tcp port {port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect(
                "starting tcpdump (deploy/ensure-services.sh --browser installs it; it needs root)",
            );
        // tcpdump says "listening on lo" once it captures.
        std::thread::sleep(Duration::from_millis(800));
        Capture {
            child,
            file,
            _dir: dir,
        }
    }

    /// Stops the capture and returns its bytes.
    fn finish(self) -> Vec<u8> {
        std::thread::sleep(Duration::from_millis(300));
        // SIGTERM: tcpdump flushes and closes the file.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let output = self.child.wait_with_output().unwrap();
        let bytes = std::fs::read(&self.file).unwrap_or_default();
        assert!(
            bytes.len() > 24,
            "tcpdump captured nothing: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        bytes
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// 千代田区 reports one evacuee to 東京都 on `nats` (whose streams the national node
/// creates: no other node's user may) while tcpdump captures its port; returns the
/// capture.
async fn report_captured(nats: &NatsServer, extra: impl Fn(&str) -> String) -> Vec<u8> {
    let capture = Capture::start(nats.port);
    let _national =
        Member::start_named(NATIONAL, TestDb::create().await, nats, &extra(NATIONAL)).await;
    let mut tokyo = Member::start_named(TOKYO, TestDb::create().await, nats, &extra(TOKYO)).await;
    let mut chiyoda =
        Member::start_named(CHIYODA, TestDb::create().await, nats, &extra(CHIYODA)).await;
    let incident = incident_id();
    for member in [&mut tokyo, &mut chiyoda] {
        member.client.create_incident(&incident).await;
    }
    trust(&mut tokyo, &mut chiyoda).await;
    let mut draft = anpi_core::entry::fixtures::evacuee();
    draft.name = NAME.into();
    draft.address.lot = LOT.into();
    chiyoda
        .client
        .record(&incident, &draft, None)
        .await
        .expect("recording the evacuee");
    assert!(chiyoda.client.report().await.reported);
    tokyo.wait_records(1).await;
    capture.finish()
}

/// Issue 22, done-when 1: no personal data in clear on the NATS port during a report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_over_tls_shows_no_personal_data_on_the_wire() {
    // The control: the same report over a plaintext server is readable in the capture.
    let auth = anpi_e2e::nats_users(&[NATIONAL, TOKYO, CHIYODA]);
    let plain = NatsServer::start_with_auth(auth.path());
    let clear = report_captured(&plain, |code| settings(code, auth.path(), None)).await;
    assert!(contains(&clear, b"INFO {"), "the capture sees NATS");
    assert!(
        contains(&clear, format!("anpi.report.{TOKYO}.{CHIYODA}").as_bytes()),
        "in clear, the report's subject crosses readable"
    );
    assert!(
        contains(&clear, NAME.as_bytes()) || contains(&clear, LOT.as_bytes()),
        "in clear, personal data crosses readable"
    );
    drop(plain);

    let auth = anpi_e2e::nats_users(&[NATIONAL, TOKYO, CHIYODA]);
    let ca = TestCa::new("nats-wire");
    let nats = NatsServer::start_secured(auth.path(), &ca);
    let sealed = report_captured(&nats, |code| settings(code, auth.path(), Some(&ca.cert))).await;
    // The server's greeting precedes the TLS handshake (it says TLS is required);
    // everything after it is encrypted.
    assert!(contains(&sealed, b"INFO {"), "the capture sees NATS");
    assert!(contains(&sealed, b"\"tls_required\":true"));
    for needle in [
        b"CONNECT {".as_slice(),
        b"anpi.report.",
        b"anpi.receipt.",
        b"$JS.API",
        NAME.as_bytes(),
        LOT.as_bytes(),
        "消防".as_bytes(),
        "千代田区".as_bytes(),
        b"1981-11-25",
    ] {
        assert!(
            !contains(&sealed, needle),
            "{} crossed in clear",
            String::from_utf8_lossy(needle)
        );
    }
}

/// A node with a CA that did not sign the server's certificate, or with a key the
/// server does not know, is refused, and its log says why; so is a client without TLS
/// or without a key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ca_or_an_unknown_key_is_refused_and_the_node_says_why() {
    let auth = anpi_e2e::nats_users(&[TOKYO, CHIYODA]);
    let ca = TestCa::new("nats-right");
    let nats = NatsServer::start_secured(auth.path(), &ca);

    let stranger = TestCa::new("nats-wrong");
    let wrong_ca = Member::start_named(
        TOKYO,
        TestDb::create().await,
        &nats,
        &settings(TOKYO, auth.path(), Some(&stranger.cert)),
    )
    .await;
    let other = anpi_e2e::nats_users(&[CHIYODA]); // a key pair the server never heard of
    let wrong_key = Member::start_named(
        CHIYODA,
        TestDb::create().await,
        &nats,
        &settings(CHIYODA, other.path(), Some(&ca.cert)),
    )
    .await;
    let deadline = Deadline::new("the refusals in the nodes' logs", Duration::from_secs(20));
    loop {
        let (a, b) = (wrong_ca.node.log(), wrong_key.node.log());
        if a.contains("nats: refused: TLS failed")
            && b.contains("nats: refused: the server does not accept this node's credentials")
        {
            assert!(
                a.contains("nats_ca"),
                "the log names the setting to check: {a}"
            );
            assert!(b.contains("nats_nkey_file"), "{b}");
            break;
        }
        assert!(!deadline.expired(), "logs:\n{a}\n---\n{b}");
        deadline.tick().await;
    }

    // A client that does not trust the network's CA cannot connect; one without a
    // key is refused by the server.
    let plaintext = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(3))
        .connect(nats.url.replace("tls://", "nats://"))
        .await;
    assert!(plaintext.is_err(), "a plaintext client was let in");
    let keyless = async_nats::ConnectOptions::new()
        .require_tls(true)
        .add_root_certificates(ca.cert.clone())
        .connection_timeout(Duration::from_secs(3))
        .connect(&nats.url)
        .await
        .expect_err("a client without a key was let in");
    assert_eq!(
        keyless.kind(),
        async_nats::ConnectErrorKind::AuthorizationViolation,
        "{keyless}"
    );
}

/// A server that asks for client certificates (`verify: true`, docs/operations.md):
/// a node with `nats_cert`/`nats_key` signed by the network's CA reports through it;
/// a node without a certificate is refused at the handshake and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_verifying_client_certificates_takes_only_nodes_with_one() {
    let auth = anpi_e2e::nats_users(&[NATIONAL, TOKYO, CHIYODA]);
    let ca = TestCa::new("nats-clients");
    let nats = NatsServer::start_verifying_clients(auth.path(), &ca);
    let with_cert = |code: &str| {
        let (cert, key) = ca.issue_client_cert(&format!("client-{code}"));
        format!(
            "{}nats_cert = \"{}\"\nnats_key = \"{}\"\n",
            settings(code, auth.path(), Some(&ca.cert)),
            cert.display(),
            key.display()
        )
    };
    let _national = Member::start_named(
        NATIONAL,
        TestDb::create().await,
        &nats,
        &with_cert(NATIONAL),
    )
    .await;
    let mut tokyo =
        Member::start_named(TOKYO, TestDb::create().await, &nats, &with_cert(TOKYO)).await;
    let mut chiyoda =
        Member::start_named(CHIYODA, TestDb::create().await, &nats, &with_cert(CHIYODA)).await;
    let incident = incident_id();
    for member in [&mut tokyo, &mut chiyoda] {
        member.client.create_incident(&incident).await;
    }
    trust(&mut tokyo, &mut chiyoda).await;
    chiyoda
        .client
        .record(&incident, &anpi_core::entry::fixtures::evacuee(), None)
        .await
        .expect("recording");
    assert!(chiyoda.client.report().await.reported);
    tokyo.wait_records(1).await;

    // The same node's settings without the certificate: refused, and it says why.
    let without = Member::start_named(
        CHIYODA,
        TestDb::create().await,
        &nats,
        &settings(CHIYODA, auth.path(), Some(&ca.cert)),
    )
    .await;
    let deadline = Deadline::new("the refusal in the node's log", Duration::from_secs(20));
    while !without.node.log().contains("nats: refused") {
        assert!(!deadline.expired(), "{}", without.node.log());
        deadline.tick().await;
    }
}
