//! Roll-call through the application layer, the writer and the mailer, against a real
//! PostgreSQL and a real SMTP server (`deploy/smtp/sink.py`, aiosmtpd) on loopback.
//! R: K-01..K-04, K-06, K-09.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anpi_core::account::{AccountDraft, LoginState, Role};
use anpi_core::ids::AccountId;
use anpi_core::rollcall::mail::SettingsInput;
use anpi_core::rollcall::{
    Member, MemberCode, Mode, OrgCode, Organisation, Progress, RollcallRole,
};
use anpi_harness::TestDb;
use anpi_harness::smtp::{SinkMail, SinkOptions, SmtpSink};
use anpi_node::app::{AppError, NodeState};
use anpi_node::store::accounts::{Accounts, Session};

use crate::support::{config, start_writer};

struct Node {
    state: Arc<NodeState>,
    _db: TestDb,
    mailer: tokio::task::JoinHandle<()>,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.mailer.abort();
    }
}

// The sink is polled with blocking sleeps (`wait_for_count`): the tests run on a
// multi-threaded runtime so that the mailer task goes on meanwhile.
async fn node() -> Node {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("anpi_node=debug")
        .try_init();
    let db = TestDb::create().await;
    let (writer, _task) = start_writer(&db.url).await;
    let pool = anpi_node::store::pool(&db.url, 4).unwrap();
    let mailer = tokio::spawn(anpi_node::mail::run(db.url.clone(), writer.mail_ready()));
    let state = Arc::new(NodeState {
        config: config(&db.url, "127.0.0.1:1"),
        writer,
        accounts: Arc::new(Accounts::new(pool.clone())),
        reads: anpi_node::store::standby::ReadPool::primary_only(pool.clone()),
        pool,
        bus: None,
    });
    Node {
        state,
        _db: db,
        mailer,
    }
}

fn session(account: &str, role: Role) -> Session {
    Session {
        account: AccountId::parse(account).unwrap(),
        role,
        state: LoginState::Active,
        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
    }
}

fn admin() -> Session {
    session("admin", Role::Administrator)
}

fn code(text: &str) -> OrgCode {
    OrgCode::parse(text).unwrap()
}

fn member(c: &str) -> MemberCode {
    MemberCode::parse(c).unwrap()
}

/// 総務部 with 企画課 and 防災課 (with 第一班), and 建設部; members in each, one in two
/// organisations, one with two addresses, one without any.
async fn directory(node: &Node) {
    let orgs = [
        ("soumu", "総務部", ""),
        ("soumu.kikaku", "企画課", "soumu"),
        ("soumu.bousai", "防災課", "soumu"),
        ("soumu.bousai.1", "第一班", "soumu.bousai"),
        ("kensetsu", "建設部", ""),
    ]
    .map(|(c, n, p)| Organisation::parse(c, n, p).unwrap());
    let members = [
        ("m01", "総務 部長", "soumu", "m01@example.jp"),
        (
            "m02",
            "企画 一郎",
            "soumu.kikaku",
            "m02@example.jp m02@phone.example.jp",
        ),
        ("m03", "防災 花子", "soumu.bousai", "m03@example.jp"),
        ("m04", "班員 次郎", "soumu.bousai.1", "m04@example.jp"),
        (
            "m05",
            "兼務 三郎",
            "kensetsu soumu.kikaku",
            "m05@example.jp",
        ),
        ("m06", "建設 四郎", "kensetsu", "m06@example.jp"),
        ("m07", "無連絡 五郎", "soumu.bousai", ""),
    ]
    .map(|(c, n, o, m)| Member::parse(c, n, o, m).unwrap());
    let written = node
        .state
        .rollcall_save_directory(&admin(), orgs.to_vec(), members.to_vec())
        .await
        .unwrap();
    assert_eq!(written.events, 12);
    // The same directory again changes nothing.
    let again = node
        .state
        .rollcall_save_directory(&admin(), orgs.to_vec(), members.to_vec())
        .await
        .unwrap();
    assert_eq!(again.events, 0);
}

fn settings(port: u16) -> SettingsInput {
    SettingsInput {
        sender: "anpi@city.example.lg.jp".into(),
        sender_name: "試験市 安否確認".into(),
        host: "127.0.0.1".into(),
        port: port.to_string(),
        security: "none".into(),
        username: String::new(),
        internal_url: "https://anpi.intra.example.lg.jp".into(),
        external_url: "https://anpi.city.example.lg.jp/".into(),
        ca_pem: String::new(),
    }
}

async fn configure(node: &Node, sink: &SmtpSink) {
    node.state
        .rollcall_set_settings(&admin(), &settings(sink.port), None)
        .await
        .unwrap();
}

/// The outbox as text, for a failure's message.
async fn outbox(node: &Node) -> String {
    let client = node.state.pool.get().await.unwrap();
    client
        .query(
            "SELECT id, recipient, state, attempts, last_reply FROM mail_outbox ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {}",
                r.get::<_, i64>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2),
                r.get::<_, i32>(3),
                r.get::<_, String>(4)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The personal link in a mail and its token.
fn token_of(mail: &SinkMail) -> String {
    let body = mail.body();
    let start = body
        .find("https://anpi.city.example.lg.jp/r/")
        .unwrap_or_else(|| panic!("no link in {body}"));
    body[start + "https://anpi.city.example.lg.jp/r/".len()..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

fn by_recipient(mails: &[SinkMail]) -> BTreeMap<String, &SinkMail> {
    mails.iter().map(|m| (m.to[0].clone(), m)).collect()
}

// R: K-01 — the chosen organisation and every organisation below it, nobody else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_reaches_exactly_the_members_of_the_organisation_and_those_below() {
    let sink = SmtpSink::start();
    let node = node().await;
    directory(&node).await;
    configure(&node, &sink).await;
    let (written, without_mail) = node
        .state
        .rollcall_start(
            &admin(),
            vec![code("soumu")],
            "震度5強の地震",
            Mode::Actual,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(without_mail, 1, "m07 has no address");
    assert_eq!(written.mails, 6);
    if !sink.wait_for_count(6, Duration::from_secs(30)) {
        panic!("{:?}\n{}", sink.per_recipient(), outbox(&node).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got: Vec<String> = sink
        .per_recipient()
        .into_iter()
        .map(|(to, n)| format!("{to}={n}"))
        .collect();
    assert_eq!(
        got,
        [
            "m01@example.jp=1",
            "m02@example.jp=1",
            "m02@phone.example.jp=1",
            "m03@example.jp=1",
            "m04@example.jp=1",
            "m05@example.jp=1"
        ]
    );
    let mails = sink.messages();
    let m04 = by_recipient(&mails)["m04@example.jp"];
    assert_eq!(m04.subject(), "【安否確認】震度5強の地震");
    let body = m04.body();
    assert!(body.contains("班員 次郎 様"), "{body}");
    assert!(body.contains("総務部 / 防災課 / 第一班"), "{body}");
    assert_eq!(token_of(m04).len(), 48);
    assert!(!body.contains("{{"), "{body}");
    // Both addresses of one member carry the same personal link.
    let by = by_recipient(&mails);
    assert_eq!(
        token_of(by["m02@example.jp"]),
        token_of(by["m02@phone.example.jp"])
    );
    assert_ne!(
        token_of(by["m01@example.jp"]),
        token_of(by["m02@example.jp"])
    );

    // A drill is marked 訓練 in the subject and uses the drill mail.
    node.state
        .rollcall_start(
            &admin(),
            vec![code("kensetsu")],
            "避難訓練",
            Mode::Drill,
            &[],
        )
        .await
        .unwrap();
    assert!(sink.wait_for_count(8, Duration::from_secs(30)));
    let drill: Vec<SinkMail> = sink
        .messages()
        .into_iter()
        .filter(|m| m.subject().contains("避難訓練"))
        .collect();
    assert_eq!(drill.len(), 2, "m05 and m06 of 建設部");
    assert!(drill.iter().all(|m| m.subject().starts_with("【訓練】")));
    assert!(drill[0].body().contains("これは防災訓練です"));
    let status = node
        .state
        .rollcall_status(&admin(), written.rollcall.unwrap())
        .await
        .unwrap();
    assert_eq!(status.delivery, (0, 6, 0));
}

// R: K-04 — a disaster-prevention administrator only within their organisations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disaster_prevention_administrator_cannot_send_to_another_organisation() {
    let sink = SmtpSink::start();
    let node = node().await;
    directory(&node).await;
    configure(&node, &sink).await;
    node.state
        .create_account(
            &admin(),
            AccountDraft {
                account_id: "bousai1".into(),
                holder: "防災 担当".into(),
                affiliation: "防災課".into(),
                contact: "内線 100".into(),
                role: "input".into(),
                terminal: String::new(),
            },
        )
        .await
        .unwrap();
    let dp = session("bousai1", Role::Input);
    // The Red Cross's role never opens roll-call (the operation's gate, A-02) …
    let red_cross = node
        .state
        .rollcall_list(&session("jrc", Role::RedCross))
        .await
        .err()
        .unwrap();
    assert!(matches!(red_cross, AppError::Forbidden(_)), "{red_cross:?}");
    // … and an account without a roll-call role gets nothing (the second gate, K-04).
    let none = node.state.rollcall_list(&dp).await.err().unwrap();
    assert!(matches!(none, AppError::Forbidden(_)), "{none:?}");
    node.state
        .rollcall_assign(
            &admin(),
            AccountId::parse("bousai1").unwrap(),
            Some(RollcallRole::DisasterPrevention {
                orgs: vec![code("soumu.bousai")],
            }),
        )
        .await
        .unwrap();
    let refused = node
        .state
        .rollcall_start(&dp, vec![code("kensetsu")], "地震", Mode::Actual, &[])
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&refused, AppError::Forbidden(m) if m.contains("建設部")),
        "{refused:?}"
    );
    let above = node
        .state
        .rollcall_start(&dp, vec![code("soumu")], "地震", Mode::Actual, &[])
        .await
        .err()
        .unwrap();
    assert!(matches!(above, AppError::Forbidden(_)), "{above:?}");
    assert_eq!(sink.count(), 0, "nothing was sent");
    // Their own organisation (and the team below it) is theirs.
    let (own, _) = node
        .state
        .rollcall_start(&dp, vec![code("soumu.bousai")], "地震", Mode::Actual, &[])
        .await
        .unwrap();
    assert_eq!(own.mails, 2, "m03 and m04");
    // They see only their organisations' members, and not a roll-call of the whole 総務部.
    let (_, seen) = node.state.rollcall_directory(&dp).await.unwrap();
    let seen: Vec<&str> = seen.iter().map(|m| m.code.as_str()).collect();
    assert_eq!(seen, ["m03", "m04", "m07"]);
    let (whole, _) = node
        .state
        .rollcall_start(&admin(), vec![code("soumu")], "地震", Mode::Actual, &[])
        .await
        .unwrap();
    let foreign = node
        .state
        .rollcall_status(&dp, whole.rollcall.unwrap())
        .await
        .err()
        .unwrap();
    assert!(matches!(foreign, AppError::Forbidden(_)), "{foreign:?}");
    let proxy = node
        .state
        .rollcall_proxy_answer(&dp, whole.rollcall.unwrap(), member("m03"), "無事", "")
        .await
        .err()
        .unwrap();
    assert!(matches!(proxy, AppError::Forbidden(_)), "{proxy:?}");
    // A function administrator may not make function administrators; may make
    // disaster-prevention ones.
    node.state
        .rollcall_assign(
            &admin(),
            AccountId::parse("bousai1").unwrap(),
            Some(RollcallRole::Function),
        )
        .await
        .unwrap();
    let function = session("bousai1", Role::Input);
    let escalate = node
        .state
        .rollcall_assign(
            &function,
            AccountId::parse("admin").unwrap(),
            Some(RollcallRole::Function),
        )
        .await
        .err()
        .unwrap();
    assert!(matches!(escalate, AppError::Forbidden(_)), "{escalate:?}");
    // Only the system administrator sets the mail server.
    let settings_refused = node
        .state
        .rollcall_set_settings(&function, &settings(sink.port), None)
        .await
        .err()
        .unwrap();
    assert!(matches!(settings_refused, AppError::Forbidden(_)));
}

// R: K-02, K-03, K-09 — link, answer again, proxy, dashboard, resend, clear, close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_by_link_and_proxy_reach_the_dashboard_and_resend_goes_to_the_unconfirmed() {
    let sink = SmtpSink::start();
    let node = node().await;
    directory(&node).await;
    configure(&node, &sink).await;
    let (written, _) = node
        .state
        .rollcall_start(
            &admin(),
            vec![code("soumu.bousai"), code("soumu.kikaku")],
            "地震",
            Mode::Actual,
            &[],
        )
        .await
        .unwrap();
    let id = written.rollcall.unwrap();
    // m02 (2 addresses), m03, m04, m05.
    assert!(sink.wait_for_count(5, Duration::from_secs(30)));
    let mails = sink.messages();
    let by = by_recipient(&mails);
    let m03 = token_of(by["m03@example.jp"]);
    let m04 = token_of(by["m04@example.jp"]);

    // m03 opens, answers, and answers again: the first answer time stays.
    let page = node.state.rollcall_open_link(&m03).await.unwrap();
    assert_eq!(page.member_name, "防災 花子");
    assert!(page.last_status.is_none());
    let first = node
        .state
        .rollcall_answer_link(&m03, "軽傷", "足を捻挫")
        .await
        .unwrap();
    assert_eq!(first.last_status.as_deref(), Some("軽傷"));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = node
        .state
        .rollcall_answer_link(&m03, "無事", "手当て済み")
        .await
        .unwrap();
    assert_eq!(second.last_status.as_deref(), Some("無事"));
    assert_eq!(second.first_answered_at, first.first_answered_at);
    assert!(second.last_answered_at > first.last_answered_at);
    // m04 only opens; m02 is answered for by the administrator.
    node.state.rollcall_open_link(&m04).await.unwrap();
    node.state
        .rollcall_proxy_answer(&admin(), id, member("m02"), "無事", "電話で確認")
        .await
        .unwrap();
    // A status the roll-call does not offer, and a wrong token.
    let wrong = node
        .state
        .rollcall_answer_link(&m04, "元気", "")
        .await
        .err()
        .unwrap();
    assert!(matches!(wrong, AppError::Invalid(_)), "{wrong:?}");
    let forged = "0".repeat(48);
    let refused = node.state.rollcall_open_link(&forged).await.err().unwrap();
    assert_eq!(
        refused.message_ja(),
        "このリンクは無効か、期限が切れています。"
    );

    let status = node.state.rollcall_status(&admin(), id).await.unwrap();
    let progress: BTreeMap<&str, (Progress, Option<&str>)> = status
        .recipients
        .iter()
        .map(|r| {
            (
                r.member.code.as_str(),
                (r.state.progress(), r.last_status.as_deref()),
            )
        })
        .collect();
    assert_eq!(progress["m02"], (Progress::Proxy, Some("無事")));
    assert_eq!(progress["m03"], (Progress::Answered, Some("無事")));
    assert_eq!(progress["m04"], (Progress::Opened, None));
    assert_eq!(progress["m05"], (Progress::NotOpened, None));
    assert_eq!(status.whole.total, 4);
    assert_eq!(status.whole.statuses["無事"], 2);
    let history = node
        .state
        .rollcall_history(&admin(), id, &member("m03"))
        .await
        .unwrap();
    let statuses: Vec<&str> = history.iter().map(|a| a.status.as_str()).collect();
    assert_eq!(statuses, ["軽傷", "無事"]);
    let m02 = &node
        .state
        .rollcall_history(&admin(), id, &member("m02"))
        .await
        .unwrap()[0];
    assert_eq!(m02.proxy.as_deref(), Some("admin"));

    // Resend: only m04 and m05, the unconfirmed.
    let before = sink.count();
    let resent = node.state.rollcall_resend(&admin(), id).await.unwrap();
    assert_eq!(resent.mails, 2);
    assert!(sink.wait_for_count(before + 2, Duration::from_secs(30)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again: Vec<String> = sink.messages()[before..]
        .iter()
        .map(|m| m.to[0].clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(again, ["m04@example.jp", "m05@example.jp"]);
    // The new link works as well as the old one.
    let new_m05 = token_of(
        sink.messages()[before..]
            .iter()
            .find(|m| m.to[0] == "m05@example.jp")
            .unwrap(),
    );
    node.state
        .rollcall_answer_link(&new_m05, "重傷", "")
        .await
        .unwrap();

    // Clear: a new round, everyone back to not opened; the old answers stay.
    node.state.rollcall_clear(&admin(), id).await.unwrap();
    let cleared = node.state.rollcall_status(&admin(), id).await.unwrap();
    assert_eq!(cleared.call.round, 2);
    assert!(
        cleared
            .recipients
            .iter()
            .all(|r| r.state.progress() == Progress::NotOpened)
    );
    assert_eq!(
        node.state
            .rollcall_history(&admin(), id, &member("m03"))
            .await
            .unwrap()
            .len(),
        2
    );
    node.state
        .rollcall_answer_link(&m03, "無事", "")
        .await
        .unwrap();
    let history = node
        .state
        .rollcall_history(&admin(), id, &member("m03"))
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|a| a.round).collect::<Vec<_>>(),
        [1, 1, 2]
    );

    // Close: the links expire with the same one sentence.
    node.state.rollcall_close(&admin(), id).await.unwrap();
    let expired = node.state.rollcall_open_link(&m04).await.err().unwrap();
    assert_eq!(
        expired.message_ja(),
        "このリンクは無効か、期限が切れています。"
    );
    assert!(
        node.state
            .rollcall_answer_link(&m03, "無事", "")
            .await
            .is_err()
    );
    assert!(node.state.rollcall_resend(&admin(), id).await.is_err());

    // Every step is an event of the node's log.
    let client = node.state.pool.get().await.unwrap();
    let kinds: Vec<String> = client
        .query(
            "SELECT kind FROM events WHERE kind LIKE 'Rollcall%' ORDER BY position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for kind in [
        "RollcallStarted",
        "RollcallLinkOpened",
        "RollcallAnswered",
        "RollcallResent",
        "RollcallCleared",
        "RollcallClosed",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} missing in {kinds:?}"
        );
    }
    // No token is kept in clear: neither in the log nor in the tables.
    let leaked: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM events WHERE payload::text LIKE '%' || $1 || '%')
                  + (SELECT count(*) FROM mail_outbox WHERE body LIKE '%' || $1 || '%')",
            &[&m03],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(leaked, 0, "the token of m03 is stored somewhere");
}

// R: K-01, K-09 — the mail server stopped mid-broadcast: every member gets exactly one
// mail once it is back (the mails it never answered are retried with back-off), except
// a member whose mail the server had stored but not yet answered when it died.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_server_stopped_mid_broadcast_delivers_every_mail_once_when_back() {
    let mut sink = SmtpSink::start_with(SinkOptions {
        delay_ms: 40,
        ..SinkOptions::default()
    });
    let node = node().await;
    let orgs = vec![Organisation::parse("all", "全庁", "").unwrap()];
    let members: Vec<Member> = (0..60)
        .map(|i| {
            Member::parse(
                &format!("s{i:03}"),
                &format!("職員{i}"),
                "all",
                &format!("s{i:03}@example.jp"),
            )
            .unwrap()
        })
        .collect();
    node.state
        .rollcall_save_directory(&admin(), orgs, members)
        .await
        .unwrap();
    configure(&node, &sink).await;
    node.state
        .rollcall_start(&admin(), vec![code("all")], "地震", Mode::Actual, &[])
        .await
        .unwrap();
    assert!(sink.wait_for_count(10, Duration::from_secs(30)));
    sink.kill();
    let during = sink.count();
    assert!(
        during < 60,
        "the server was stopped mid-broadcast ({during} delivered)"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    sink.start_again();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while sink.per_recipient().len() < 60 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        sink.per_recipient().len(),
        60,
        "not every member had a mail 120 s after the server came back"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let counts = sink.per_recipient();
    assert_eq!(counts.len(), 60);
    // A mail the sink stored just before it was killed, whose 250 never went out, is
    // rightly sent again (RFC 1047; docs/adr/0017-rollcall.md): that recipient has two.
    // Any other second copy is the node's fault.
    let unanswered: Vec<String> = sink
        .messages()
        .into_iter()
        .filter(|m| !m.answered)
        .flat_map(|m| m.to)
        .collect();
    // At most one unanswered mail per SMTP connection (the mailer opens 4), and every
    // mail after the restart answered: the marks are there.
    assert!(unanswered.len() <= 4, "unanswered: {unanswered:?}");
    let answered = sink.messages().iter().filter(|m| m.answered).count();
    assert!(answered >= 60 - unanswered.len(), "answered: {answered}");
    let twice: Vec<_> = counts
        .iter()
        .filter(|(to, n)| **n != 1 && !(**n == 2 && unanswered.contains(to)))
        .collect();
    assert!(
        twice.is_empty(),
        "delivered more than once: {twice:?} (stored but unanswered when killed: {unanswered:?})"
    );
}

// R: K-06 — SMTP AUTH, the test send (nothing saved), and a refused mail kept with the
// server's reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_auth_the_test_send_and_a_refused_mail_with_its_reply() {
    let sink = SmtpSink::start_with(SinkOptions {
        auth: Some(("anpi".into(), "Sm7p-secret".into())),
        reject: vec!["nobody@".into()],
        ..SinkOptions::default()
    });
    let node = node().await;
    let with_user = SettingsInput {
        username: "anpi".into(),
        ..settings(sink.port)
    };
    // A wrong password: the test send fails with the server's reply; nothing is saved.
    let wrong = node
        .state
        .rollcall_test_mail(
            &admin(),
            &with_user,
            Some("wrong".into()),
            "kakunin@example.jp",
        )
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&wrong, AppError::Conflict(m) if m.contains("535") && m.contains("保存されていません")),
        "{wrong:?}"
    );
    assert!(
        node.state
            .rollcall_settings(&admin())
            .await
            .unwrap()
            .is_none()
    );
    let reply = node
        .state
        .rollcall_test_mail(
            &admin(),
            &with_user,
            Some("Sm7p-secret".into()),
            "kakunin@example.jp",
        )
        .await
        .unwrap();
    assert!(reply.starts_with("250"), "{reply}");
    assert!(sink.wait_for_count(1, Duration::from_secs(10)));
    assert!(
        node.state
            .rollcall_settings(&admin())
            .await
            .unwrap()
            .is_none(),
        "a test send saves nothing"
    );

    // Saved with the password; a member whose address the server refuses (550) is
    // failed with that reply, the others are sent.
    node.state
        .rollcall_set_settings(&admin(), &with_user, Some("Sm7p-secret".into()))
        .await
        .unwrap();
    let (saved, password_set) = node
        .state
        .rollcall_settings(&admin())
        .await
        .unwrap()
        .unwrap();
    assert!(password_set);
    assert_eq!(saved.username, "anpi");
    let orgs = vec![Organisation::parse("all", "全庁", "").unwrap()];
    let members = vec![
        Member::parse("a1", "届く 職員", "all", "a1@example.jp").unwrap(),
        Member::parse("a2", "届かない 職員", "all", "nobody@example.jp").unwrap(),
    ];
    node.state
        .rollcall_save_directory(&admin(), orgs, members)
        .await
        .unwrap();
    let (written, _) = node
        .state
        .rollcall_start(&admin(), vec![code("all")], "地震", Mode::Actual, &[])
        .await
        .unwrap();
    assert!(sink.wait_for_count(2, Duration::from_secs(30)));
    let id = written.rollcall.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        let status = node.state.rollcall_status(&admin(), id).await.unwrap();
        if status.delivery.0 == 0 || std::time::Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status.delivery, (0, 1, 1), "{}", outbox(&node).await);
    let refused = status
        .recipients
        .iter()
        .find(|r| r.member.code.as_str() == "a2")
        .unwrap();
    assert_eq!(refused.mails_failed, 1);
    assert!(
        refused.last_reply.as_deref().unwrap_or("").contains("550"),
        "{:?}",
        refused.last_reply
    );
    // The log holds the settings without the password.
    let client = node.state.pool.get().await.unwrap();
    let leaked: i64 = client
        .query_one(
            "SELECT count(*) FROM events WHERE payload::text LIKE '%Sm7p-secret%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(leaked, 0);
}

// R: K-06 — STARTTLS with SMTP AUTH to a server certified by the office's own CA: the
// mails go encrypted; without that CA the server is not trusted and nothing is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_with_the_offices_own_ca() {
    let ca = anpi_harness::TestCa::new("smtp");
    let (cert, key) = ca.issue_server_cert("smtp");
    let sink = SmtpSink::start_with(SinkOptions {
        auth: Some(("anpi".into(), "Sm7p-secret".into())),
        tls: Some((cert, key)),
        ..SinkOptions::default()
    });
    let node = node().await;
    let ca_pem = std::fs::read_to_string(&ca.cert).unwrap();
    let starttls = SettingsInput {
        security: "starttls".into(),
        username: "anpi".into(),
        ..settings(sink.port)
    };
    // Not trusted without the CA: the test send says why.
    let untrusted = node
        .state
        .rollcall_test_mail(
            &admin(),
            &starttls,
            Some("Sm7p-secret".into()),
            "kakunin@example.jp",
        )
        .await
        .err()
        .unwrap();
    assert!(matches!(untrusted, AppError::Conflict(_)), "{untrusted:?}");
    let trusted = SettingsInput {
        ca_pem: ca_pem.clone(),
        ..starttls
    };
    let reply = node
        .state
        .rollcall_test_mail(
            &admin(),
            &trusted,
            Some("Sm7p-secret".into()),
            "kakunin@example.jp",
        )
        .await
        .unwrap();
    assert!(reply.starts_with("250"), "{reply}");
    node.state
        .rollcall_set_settings(&admin(), &trusted, Some("Sm7p-secret".into()))
        .await
        .unwrap();
    let orgs = vec![Organisation::parse("all", "全庁", "").unwrap()];
    let members = (0..3)
        .map(|i| {
            Member::parse(&format!("t{i}"), "職員", "all", &format!("t{i}@example.jp")).unwrap()
        })
        .collect();
    node.state
        .rollcall_save_directory(&admin(), orgs, members)
        .await
        .unwrap();
    node.state
        .rollcall_start(&admin(), vec![code("all")], "地震", Mode::Actual, &[])
        .await
        .unwrap();
    assert!(
        sink.wait_for_count(4, Duration::from_secs(30)),
        "{}",
        outbox(&node).await
    );
    assert!(sink.messages().iter().all(|m| m.tls), "every mail over TLS");
}

/// K-08: answers saying injured or evacuated become Form 1 drafts for the clerk —
/// only of members the caller sees, only for a caller who may enter Form 1, and
/// nothing is recorded by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injured_and_evacuated_answers_become_form1_drafts_for_the_clerk_only() {
    let sink = SmtpSink::start();
    let node = node().await;
    directory(&node).await;
    configure(&node, &sink).await;
    let (written, _) = node
        .state
        .rollcall_start(
            &admin(),
            vec![code("soumu.bousai"), code("soumu.kikaku")],
            "震度6弱",
            Mode::Actual,
            &["無事", "軽傷", "重傷", "避難中", "その他"].map(String::from),
        )
        .await
        .unwrap();
    let id = written.rollcall.unwrap();
    for (m, status, comment) in [
        ("m02", "重傷", "骨折"),
        ("m03", "無事", ""),
        ("m04", "軽傷", ""),
        ("m05", "避難中", "第一小学校"),
    ] {
        node.state
            .rollcall_proxy_answer(&admin(), id, member(m), status, comment)
            .await
            .unwrap();
    }
    let records = || async {
        let client = node.state.pool.get().await.unwrap();
        let row = client
            .query_one("SELECT count(*) FROM records", &[])
            .await
            .unwrap();
        row.get::<_, i64>(0)
    };
    let before = records().await;

    let (call, drafts) = node
        .state
        .rollcall_form1_drafts(&admin(), id)
        .await
        .unwrap();
    assert_eq!(call.title, "震度6弱");
    let by: BTreeMap<String, _> = drafts.iter().map(|d| (d.member.to_string(), d)).collect();
    assert_eq!(by.keys().collect::<Vec<_>>(), ["m02", "m04", "m05"]);
    let m02 = &by["m02"].draft;
    assert_eq!(m02.name, "企画 一郎");
    assert_eq!(
        (m02.injury.status.as_str(), m02.injury.severity.as_str()),
        ("負傷", "重症")
    );
    assert!(m02.injury.description.contains("重傷（骨折）"));
    assert_eq!(m02.contact, "メール m02@example.jp m02@phone.example.jp");
    assert_eq!(by["m04"].draft.injury.severity, "軽症");
    assert_eq!(by["m05"].draft.injury.status, "非該当");
    assert!(by["m05"].draft.remarks.contains("避難中（第一小学校）"));
    // Drafts are not records: the clerk completes and enters them.
    assert_eq!(records().await, before);

    // A disaster-prevention administrator of 防災課 gets no drafts of a roll-call that
    // reaches beyond its organisations (K-04's scope).
    node.state
        .create_account(
            &admin(),
            AccountDraft {
                account_id: "bousai2".into(),
                holder: "防災 担当".into(),
                affiliation: "防災課".into(),
                contact: "内線 101".into(),
                role: "input".into(),
                terminal: String::new(),
            },
        )
        .await
        .unwrap();
    node.state
        .rollcall_assign(
            &admin(),
            AccountId::parse("bousai2").unwrap(),
            Some(RollcallRole::DisasterPrevention {
                orgs: vec![code("soumu.bousai")],
            }),
        )
        .await
        .unwrap();
    let beyond = node
        .state
        .rollcall_form1_drafts(&session("bousai2", Role::Input), id)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&beyond, AppError::Forbidden(m) if m.contains("企画課")),
        "{beyond:?}"
    );
    // An account that may not enter Form 1 gets none, whatever its roll-call role.
    let auditor = node
        .state
        .rollcall_form1_drafts(&session("audit1", Role::Auditor), id)
        .await
        .err()
        .unwrap();
    assert!(matches!(auditor, AppError::Forbidden(_)), "{auditor:?}");
}

/// K-08, T-04: one member's draft is handed out only for an incident of the
/// roll-call's mode — a drill's answers into a drill incident, an actual roll-call's
/// never into a drill — and, completed by the clerk, it is recorded only through the
/// usual entry path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_draft_goes_only_into_an_incident_of_the_roll_calls_mode() {
    use anpi_node::app::entries::{NewEntry, NewIncident};
    let sink = SmtpSink::start();
    let node = node().await;
    directory(&node).await;
    configure(&node, &sink).await;
    let drill_incident = node
        .state
        .create_incident(
            &admin(),
            NewIncident {
                name: "総合防災訓練".into(),
                mode: "drill".into(),
                id: None,
            },
        )
        .await
        .unwrap()
        .incident;
    let start = |mode| {
        let state = node.state.clone();
        async move {
            let (written, _) = state
                .rollcall_start(
                    &admin(),
                    vec![code("soumu")],
                    "震度6弱",
                    mode,
                    &["無事", "重傷", "避難している", "その他"].map(String::from),
                )
                .await
                .unwrap();
            let id = written.rollcall.unwrap();
            for (m, status) in [("m03", "避難している"), ("m04", "重傷"), ("m01", "無事")]
            {
                state
                    .rollcall_proxy_answer(&admin(), id, member(m), status, "第一小学校")
                    .await
                    .unwrap();
            }
            id
        }
    };
    let drill = start(Mode::Drill).await;
    let actual = start(Mode::Actual).await;

    // An actual roll-call's answers never go into the drill incident.
    let crossing = node
        .state
        .rollcall_form1_draft(&admin(), actual, &member("m03"), drill_incident.id)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&crossing, AppError::Conflict(m) if m.contains("実事案にだけ")),
        "{crossing:?}"
    );

    // The drill's, into the drill incident: the evacuee's and the injured's drafts;
    // 無事 makes none.
    let found = node
        .state
        .rollcall_form1_draft(&admin(), drill, &member("m03"), drill_incident.id)
        .await
        .unwrap();
    assert_eq!(found.call.mode, Mode::Drill);
    assert_eq!(found.incident.id, drill_incident.id);
    let draft = found.draft.expect("m03's draft");
    assert_eq!(draft.status, "避難している");
    assert_eq!(draft.comment, "第一小学校");
    assert_eq!(draft.draft.injury.status, "非該当");
    let none = node
        .state
        .rollcall_form1_draft(&admin(), drill, &member("m01"), drill_incident.id)
        .await
        .unwrap();
    assert!(none.draft.is_none(), "無事 makes no draft");
    let injured = node
        .state
        .rollcall_form1_draft(&admin(), drill, &member("m04"), drill_incident.id)
        .await
        .unwrap()
        .draft
        .expect("m04's draft");
    assert_eq!(
        (
            injured.draft.injury.status.as_str(),
            injured.draft.injury.severity.as_str()
        ),
        ("負傷", "重症")
    );
    // Whoever may not enter Form 1 gets nothing, whatever the incident.
    let auditor = node
        .state
        .rollcall_form1_draft(
            &session("audit1", Role::Auditor),
            drill,
            &member("m03"),
            drill_incident.id,
        )
        .await
        .err()
        .unwrap();
    assert!(matches!(auditor, AppError::Forbidden(_)), "{auditor:?}");

    // Nothing is recorded until the clerk completes the draft and enters it: the
    // injured's draft, as it comes, is refused by the entry path.
    let mut completed = injured.draft.clone();
    let refused = node
        .state
        .record_entry(
            &admin(),
            NewEntry {
                incident: drill_incident.id,
                draft: completed.clone(),
                supersedes: None,
                confirm_same_person: false,
            },
        )
        .await
        .err()
        .unwrap();
    assert!(matches!(refused, AppError::Invalid(_)), "{refused:?}");
    completed.furigana = "ハンイン　ジロウ".into();
    completed.birth_date = "S56.11.25".into();
    completed.sex = "男".into();
    completed.address.prefecture = "東京都".into();
    completed.address.municipality = "千代田区".into();
    completed.address.town = "霞が関2丁目".into();
    completed.nationality.kind = "日本".into();
    completed.location.place_name = "第一小学校".into();
    completed.location.category = "避難所".into();
    let written = node
        .state
        .record_entry(
            &admin(),
            NewEntry {
                incident: drill_incident.id,
                draft: completed,
                supersedes: None,
                confirm_same_person: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(written.record.incident, drill_incident.id);
}
