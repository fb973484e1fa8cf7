//! Automatic roll-calls from earthquake telegrams (K-08, issue 20 item 3) against real
//! servers: PostgreSQL, the SMTP sink (`deploy/smtp/sink.py`) and an HTTP server on
//! 127.0.0.1 started here (axum) serving an Atom feed and telegrams. The telegrams are
//! the examples of `schemas/jma/examples/` with their report time moved to now (the
//! rules do not dispatch for a telegram read hours after it was due), and, where a
//! second earthquake is needed, another EventID.
//!
//! In-process tests drive the feed task's poll (`Feed::poll`, `Feed::start_due`) step
//! by step over a node state, and "restart" the node by stopping its writer and
//! starting a new one on the same database; the last test runs the `anpi-node`
//! binary with `jma_feed` in its configuration and kills it with -9.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anpi_core::account::{LoginState, Role};
use anpi_core::ids::AccountId;
use anpi_core::rollcall::jma::Condition;
use anpi_core::rollcall::mail::SettingsInput;
use anpi_core::rollcall::{Member, Organisation};
use anpi_harness::smtp::{SinkMail, SmtpSink};
use anpi_harness::{TempDir, TestDb, TestNode};
use anpi_node::app::NodeState;
use anpi_node::config::{JmaFeed, JmaSettings};
use anpi_node::jma_feed::Feed;
use anpi_node::store::accounts::{Accounts, Session};
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};

use crate::support::{CODE, config, start_writer};

// --- the telegrams ---------------------------------------------------------------

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/jma/examples")
}

fn example_conditions() -> Vec<Condition> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/jma/conditions.example.json");
    anpi_files::jma::parse_conditions(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Replaces the text of every element `tag`, with or without a namespace prefix
/// (`<ReportDateTime>`, `<ib:ReportDateTime>`).
fn replace_element(text: &str, tag: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(found) = rest.find(&format!("{tag}>")) {
        let after = found + tag.len() + 1;
        let before = &rest[..found];
        // A start tag: `<tag>` or `<prefix:tag>` (not `</…>`).
        let opening = before
            .rfind('<')
            .is_some_and(|lt| !before[lt..].starts_with("</") && !before[lt..].contains('>'));
        out.push_str(&rest[..after]);
        rest = &rest[after..];
        if opening {
            let end = rest.find("</").expect("a closing tag");
            out.push_str(value);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// An example telegram reported `minutes_ago` minutes ago (negative: later), with
/// another EventID if given.
fn telegram(name: &str, minutes_ago: i64, event_id: Option<&str>) -> Vec<u8> {
    let text = std::fs::read_to_string(examples().join(name)).unwrap();
    let at: DateTime<Utc> = Utc::now() - chrono::Duration::minutes(minutes_ago);
    let jst = at.with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap());
    let mut text = replace_element(
        &text,
        "ReportDateTime",
        &jst.format("%Y-%m-%dT%H:%M:%S+09:00").to_string(),
    );
    if let Some(id) = event_id {
        text = replace_element(&text, "EventID", id);
    }
    text.into_bytes()
}

// --- the HTTP server with the feed -----------------------------------------------

#[derive(Default)]
struct Served {
    /// Newest first, as the agency lists them: (id, title, updated, file).
    entries: Vec<(String, String, DateTime<Utc>, String)>,
    files: BTreeMap<String, Vec<u8>>,
    hits: BTreeMap<String, usize>,
}

/// An HTTP server on 127.0.0.1 serving `/feed.xml` (Atom) and `/data/<file>`.
struct FeedServer {
    url: String,
    served: Arc<Mutex<Served>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn feed_xml(State(served): State<Arc<Mutex<Served>>>) -> Response {
    let served = served.lock().unwrap();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" lang=\"ja\">\n<title>高頻度（地震火山）</title>\n<id>http://127.0.0.1/feed.xml</id>\n<link href=\"feed.xml\" rel=\"self\"/>\n",
    );
    for (i, (id, title, updated, file)) in served.entries.iter().enumerate() {
        // Relative and absolute links both occur.
        let link = if i % 2 == 0 {
            format!("data/{file}")
        } else {
            format!("/data/{file}")
        };
        xml.push_str(&format!(
            "<entry>\n<title>{title}</title>\n<id>{id}</id>\n<updated>{}</updated>\n<author><name>気象庁</name></author>\n<link type=\"application/xml\" href=\"{link}\"/>\n<content type=\"text\">【{title}】</content>\n</entry>\n",
            updated.to_rfc3339()
        ));
    }
    xml.push_str("</feed>\n");
    ([(header::CONTENT_TYPE, "application/atom+xml")], xml).into_response()
}

async fn data(
    State(served): State<Arc<Mutex<Served>>>,
    UrlPath(file): UrlPath<String>,
) -> Response {
    let mut served = served.lock().unwrap();
    *served.hits.entry(file.clone()).or_insert(0) += 1;
    match served.files.get(&file) {
        Some(bytes) => ([(header::CONTENT_TYPE, "application/xml")], bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The feed's old address: a permanent redirect to `/feed.xml`.
async fn moved() -> Response {
    (
        StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, "/feed.xml")],
    )
        .into_response()
}

impl FeedServer {
    async fn start() -> FeedServer {
        let served = Arc::new(Mutex::new(Served::default()));
        let router = axum::Router::new()
            .route("/feed.xml", get(feed_xml))
            .route("/old/eqvol.xml", get(moved))
            .route("/data/{file}", get(data))
            .with_state(served.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/feed.xml", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        FeedServer { url, served, task }
    }

    /// The feed's old address, redirected to [`FeedServer::url`].
    fn moved_url(&self) -> String {
        self.url.replace("/feed.xml", "/old/eqvol.xml")
    }

    /// Lists a telegram in the feed (newest first) and serves its file; `bytes`
    /// `None`: listed, but its file is not there (404).
    fn publish(&self, file: &str, title: &str, bytes: Option<Vec<u8>>) {
        let mut served = self.served.lock().unwrap();
        let id = format!("urn:uuid:anpi-test-{file}");
        served
            .entries
            .insert(0, (id, title.to_string(), Utc::now(), file.to_string()));
        if let Some(bytes) = bytes {
            served.files.insert(file.to_string(), bytes);
        }
    }

    fn serve(&self, file: &str, bytes: Vec<u8>) {
        self.served
            .lock()
            .unwrap()
            .files
            .insert(file.to_string(), bytes);
    }

    fn hits(&self, file: &str) -> usize {
        self.served
            .lock()
            .unwrap()
            .hits
            .get(file)
            .copied()
            .unwrap_or(0)
    }
}

// --- the node ----------------------------------------------------------------------

struct Node {
    state: Arc<NodeState>,
    writer: tokio::task::JoinHandle<()>,
    mailer: tokio::task::JoinHandle<()>,
}

async fn start(db: &TestDb) -> Node {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("anpi_node=debug")
        .try_init();
    let (writer, writer_task) = start_writer(&db.url).await;
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
        writer: writer_task,
        mailer,
    }
}

/// Stops the node as a restart would: the mailer, then the writer (once nothing holds
/// it any more).
async fn stop(node: Node, feed: Feed) {
    drop(feed);
    node.mailer.abort();
    let _ = node.mailer.await;
    drop(node.state);
    tokio::time::timeout(Duration::from_secs(10), node.writer)
        .await
        .expect("the writer stops")
        .unwrap();
}

fn feed(node: &Node, source: JmaFeed, conditions: Vec<Condition>) -> Feed {
    Feed::new(
        node.state.clone(),
        JmaSettings {
            feed: source,
            conditions,
            conditions_file: None,
            poll: Duration::from_secs(10),
        },
    )
}

fn admin() -> Session {
    Session {
        account: AccountId::parse("admin").unwrap(),
        role: Role::Administrator,
        state: LoginState::Active,
        expires_at: Utc::now() + chrono::Duration::hours(1),
    }
}

/// The organisations of `conditions.example.json` (honsha with a section, tama,
/// yokohama) and their members; `hy` belongs to both honsha and yokohama.
async fn directory(node: &Node) {
    let orgs = [
        ("honsha", "本社", ""),
        ("honsha.soumu", "総務課", "honsha"),
        ("tama", "多摩支店", ""),
        ("yokohama", "横浜支店", ""),
    ]
    .map(|(c, n, p)| Organisation::parse(c, n, p).unwrap());
    let members = [
        ("h1", "本社 一郎", "honsha", "h1@example.jp"),
        ("h2", "総務 二郎", "honsha.soumu", "h2@example.jp"),
        ("hy", "兼務 三郎", "honsha yokohama", "hy@example.jp"),
        ("t1", "多摩 四郎", "tama", "t1@example.jp"),
        ("y1", "横浜 五郎", "yokohama", "y1@example.jp"),
    ]
    .map(|(c, n, o, m)| Member::parse(c, n, o, m).unwrap());
    node.state
        .rollcall_save_directory(&admin(), orgs.to_vec(), members.to_vec())
        .await
        .unwrap();
}

async fn mail_server(node: &Node, sink: &SmtpSink) {
    node.state
        .rollcall_set_settings(
            &admin(),
            &SettingsInput {
                sender: "anpi@city.example.lg.jp".into(),
                sender_name: "試験市 安否確認".into(),
                host: "127.0.0.1".into(),
                port: sink.port.to_string(),
                security: "none".into(),
                username: String::new(),
                internal_url: "https://anpi.intra.example.lg.jp".into(),
                external_url: "https://anpi.city.example.lg.jp/".into(),
                ca_pem: String::new(),
            },
            None,
        )
        .await
        .unwrap();
}

/// The personal link's token in a mail.
fn token_of(mail: &SinkMail) -> String {
    let body = mail.body();
    let prefix = "https://anpi.city.example.lg.jp/r/";
    let start = body
        .find(prefix)
        .unwrap_or_else(|| panic!("no link in {body}"));
    body[start + prefix.len()..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

/// Waits for exactly `n` mails: at least `n` within 20 s, and no more a moment later.
fn expect_mails(sink: &SmtpSink, n: usize) -> Vec<SinkMail> {
    assert!(
        sink.wait_for_count(n, Duration::from_secs(20)),
        "expected {n} mails, the sink has {}: {:?}\n{}",
        sink.count(),
        sink.per_recipient(),
        sink.log()
    );
    std::thread::sleep(Duration::from_millis(800));
    let mails = sink.messages();
    assert_eq!(mails.len(), n, "{:?}", sink.per_recipient());
    mails
}

fn recipients(mails: &[SinkMail]) -> Vec<String> {
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    to
}

/// (state, orgs, rollcall started) of every dispatch, oldest first.
async fn dispatches(node: &Node) -> Vec<(String, Vec<String>, bool)> {
    let client = node.state.pool.get().await.unwrap();
    anpi_node::store::jma::dispatches(&**client)
        .await
        .unwrap()
        .into_iter()
        .map(|d| {
            (
                d.state,
                d.orgs.iter().map(|o| o.to_string()).collect(),
                d.rollcall.is_some(),
            )
        })
        .collect()
}

async fn telegrams_read(node: &Node) -> usize {
    let client = node.state.pool.get().await.unwrap();
    anpi_node::store::jma::telegrams(&**client)
        .await
        .unwrap()
        .len()
}

// --- the tests -----------------------------------------------------------------------

// R: K-08, K-01 — a 震度速報 on a loopback feed starts one broadcast, whose mails reach
// the SMTP server; polling again and restarting the node send nothing more, and the
// telegram is fetched once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_on_loopback_starts_one_broadcast_and_polling_again_or_restarting_sends_nothing_more()
 {
    let sink = SmtpSink::start();
    let server = FeedServer::start().await;
    let db = TestDb::create().await;
    let node = start(&db).await;
    directory(&node).await;
    mail_server(&node, &sink).await;
    server.publish(
        "01.xml",
        "震度速報",
        Some(telegram("01-vxse51-shindo-sokuhou.xml", 4, None)),
    );

    // The feed configured at its old address: redirected, and the entries' relative
    // links resolved against where it was found.
    let mut task = feed(
        &node,
        JmaFeed::Atom(server.moved_url()),
        example_conditions(),
    );
    let polled = task.poll().await.unwrap();
    assert_eq!((polled.telegrams, polled.started), (1, 1), "{polled:?}");
    // 首都圏 震度5弱以上: 東京都２３区 5強 → honsha (and its section); 関東 6弱: no.
    let mails = expect_mails(&sink, 3);
    assert_eq!(
        recipients(&mails),
        ["h1@example.jp", "h2@example.jp", "hy@example.jp"]
    );
    assert!(
        mails[0]
            .subject()
            .contains("東京都２３区で震度5強の地震（安否確認）"),
        "{}",
        mails[0].subject()
    );

    // Polling again: the entry is known and not fetched again; nothing is sent.
    assert_eq!(task.poll().await.unwrap(), Default::default());
    assert_eq!(task.start_due().await.unwrap(), 0);
    expect_mails(&sink, 3);
    assert_eq!(server.hits("01.xml"), 1);

    // The node itself started it, with the rules' reason in its event.
    {
        let client = node.state.pool.get().await.unwrap();
        let row = client
            .query_one(
                "SELECT actor, payload::text FROM events WHERE kind = 'RollcallStarted'",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), format!("{CODE}/system"));
        let payload: String = row.get(1);
        assert!(payload.contains("trigger"), "{payload}");
        assert!(payload.contains("首都圏 震度5弱以上"), "{payload}");
    }
    let list = node.state.rollcall_list(&admin()).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].started_by, format!("{CODE}/system"));

    // Restart: a new writer and state on the same database, a new feed task.
    stop(node, task).await;
    let node = start(&db).await;
    let mut task = feed(
        &node,
        JmaFeed::Atom(server.url.clone()),
        example_conditions(),
    );
    assert_eq!(task.poll().await.unwrap(), Default::default());
    assert_eq!(task.start_due().await.unwrap(), 0);
    expect_mails(&sink, 3);
    assert_eq!(server.hits("01.xml"), 1, "never fetched again");
    assert_eq!(node.state.rollcall_list(&admin()).await.unwrap().len(), 1);
    assert_eq!(telegrams_read(&node).await, 1);
    stop(node, task).await;
}

// R: K-08 — a later telegram of the same EventID asks only the organisations that
// newly qualify (and not a member already asked); a telegram that cannot be fetched
// holds back the ones after it; 取消 withdraws both roll-calls, their links say so
// and the members are told by a 【取消】 mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_telegram_asks_only_new_organisations_and_a_cancel_withdraws_and_notifies() {
    let sink = SmtpSink::start();
    let server = FeedServer::start().await;
    let db = TestDb::create().await;
    let node = start(&db).await;
    directory(&node).await;
    mail_server(&node, &sink).await;
    let mut task = feed(
        &node,
        JmaFeed::Atom(server.url.clone()),
        example_conditions(),
    );

    server.publish(
        "01.xml",
        "震度速報",
        Some(telegram("01-vxse51-shindo-sokuhou.xml", 6, None)),
    );
    task.poll().await.unwrap();
    let first = expect_mails(&sink, 3);

    // 震源に関する情報 (ignored), then 震源・震度に関する情報 whose file is not there
    // yet, and a 取消 after it: the poll stops at the missing file, the 取消 waits.
    server.publish(
        "02.xml",
        "震源に関する情報",
        Some(telegram("02-vxse52-shingen.xml", 4, None)),
    );
    server.publish("03.xml", "震源・震度に関する情報", None);
    let error = task.poll().await.unwrap_err();
    assert!(error.to_string().contains("404"), "{error}");
    assert_eq!(telegrams_read(&node).await, 2, "01 and 02 only");

    // 03 arrives: 横浜中区 5弱 qualifies yokohama; hy (honsha too) was asked already.
    server.serve("03.xml", telegram("03-vxse53-shingen-shindo.xml", 2, None));
    let polled = task.poll().await.unwrap();
    assert_eq!((polled.telegrams, polled.started), (1, 1), "{polled:?}");
    let mails = expect_mails(&sink, 4);
    let second: Vec<&SinkMail> = mails[3..].iter().collect();
    assert_eq!(second[0].to, ["y1@example.jp"]);
    assert!(
        second[0]
            .subject()
            .contains("横浜中区で震度5弱の地震（安否確認）"),
        "{}",
        second[0].subject()
    );
    assert_eq!(
        dispatches(&node).await,
        [
            ("started".to_string(), vec!["honsha".to_string()], true),
            ("started".to_string(), vec!["yokohama".to_string()], true),
        ]
    );

    // 取消 of the earthquake: both roll-calls are withdrawn; the 4 addresses are told.
    server.publish(
        "04.xml",
        "震源・震度に関する情報",
        Some(telegram("04-vxse53-torikeshi.xml", 0, None)),
    );
    let polled = task.poll().await.unwrap();
    assert_eq!(polled.cancelled, 2, "{polled:?}");
    let mails = expect_mails(&sink, 8);
    let notices: Vec<&SinkMail> = mails[4..].iter().collect();
    let mut told: Vec<String> = notices.iter().map(|m| m.to[0].clone()).collect();
    told.sort();
    assert_eq!(
        told,
        [
            "h1@example.jp",
            "h2@example.jp",
            "hy@example.jp",
            "y1@example.jp"
        ]
    );
    for notice in &notices {
        assert!(
            notice.subject().starts_with("【取消】"),
            "{}",
            notice.subject()
        );
        let body = notice.body();
        assert!(body.contains("取り消されました"), "{body}");
        assert!(body.contains("回答の必要はありません"), "{body}");
        assert!(!body.contains("/r/"), "no link in a notice: {body}");
    }
    // The links say the roll-call was cancelled, and take no answer.
    let token = token_of(first.iter().find(|m| m.to[0] == "h1@example.jp").unwrap());
    let page = node.state.rollcall_open_link(&token).await.unwrap();
    assert!(page.call.cancelled);
    assert!(
        node.state
            .rollcall_answer_link(&token, "無事", "")
            .await
            .is_err()
    );
    // The list shows them withdrawn, with the reason.
    let list = node.state.rollcall_list(&admin()).await.unwrap();
    assert_eq!(list.len(), 2);
    for listed in &list {
        assert!(listed.call.cancelled);
        assert!(listed.cancelled_at.is_some());
        assert!(
            listed.cancel_reason.contains("地震情報が取り消されました"),
            "{}",
            listed.cancel_reason
        );
    }
    let client = node.state.pool.get().await.unwrap();
    let cancelled: i64 = client
        .query_one(
            "SELECT count(*) FROM events WHERE kind = 'RollcallCancelled'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(cancelled, 2);
    drop(client);
    assert!(
        dispatches(&node)
            .await
            .iter()
            .all(|(state, _, _)| state == "cancelled")
    );
    // Polled again: nothing more.
    assert_eq!(task.poll().await.unwrap(), Default::default());
    expect_mails(&sink, 8);
    stop(node, task).await;
}

// R: K-08 — a 訓練 telegram starts a drill (【訓練】) only under a condition with
// drill_on_training; under the built-in condition it starts nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_training_telegram_starts_a_drill_only_when_the_condition_says_so() {
    let sink = SmtpSink::start();
    let server = FeedServer::start().await;
    server.publish(
        "05.xml",
        "震度速報",
        Some(telegram("05-vxse51-kunren.xml", 1, None)),
    );

    // The built-in 震度5弱以上（全国）: drill_on_training is false.
    let db = TestDb::create().await;
    let node = start(&db).await;
    directory(&node).await;
    mail_server(&node, &sink).await;
    let mut task = feed(
        &node,
        JmaFeed::Atom(server.url.clone()),
        vec![Condition::nationwide()],
    );
    let polled = task.poll().await.unwrap();
    assert_eq!((polled.telegrams, polled.started), (1, 0));
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(sink.count(), 0);
    assert!(dispatches(&node).await.is_empty());
    stop(node, task).await;

    // The example conditions: 首都圏 starts a drill for honsha.
    let db = TestDb::create().await;
    let node = start(&db).await;
    directory(&node).await;
    mail_server(&node, &sink).await;
    let mut task = feed(
        &node,
        JmaFeed::Atom(server.url.clone()),
        example_conditions(),
    );
    let polled = task.poll().await.unwrap();
    assert_eq!(polled.started, 1);
    let mails = expect_mails(&sink, 3);
    for mail in &mails {
        assert!(mail.subject().starts_with("【訓練】"), "{}", mail.subject());
    }
    let list = node.state.rollcall_list(&admin()).await.unwrap();
    assert_eq!(list[0].call.mode, anpi_core::rollcall::Mode::Drill);
    stop(node, task).await;
}

// R: K-08 — a watched directory: a malformed file, an early warning and a 試験
// telegram are remembered and ignored, a later good file still dispatches (to every
// organisation under the built-in condition), a file rewritten with the same
// earthquake dispatches nothing more, and a restart reads nothing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_feed_ignores_malformed_files_and_later_good_ones_still_work() {
    let sink = SmtpSink::start();
    let dir = TempDir::new("anpi-jma-dir");
    let db = TestDb::create().await;
    let node = start(&db).await;
    directory(&node).await;
    mail_server(&node, &sink).await;
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    write(
        "20261206-1-malformed.xml",
        &std::fs::read(examples().join("08-malformed.xml")).unwrap(),
    );
    write(
        "20261206-2-warning.xml",
        &telegram("07-vxse44-kinkyu-jishin-sokuhou.xml", 3, None),
    );
    write(
        "20261206-3-test.xml",
        &telegram("06-vxse51-shiken.xml", 3, None),
    );
    write("notes.txt", b"not a telegram");
    let mut task = feed(
        &node,
        JmaFeed::Directory(dir.path().to_path_buf()),
        vec![Condition::nationwide()],
    );
    let polled = task.poll().await.unwrap();
    assert_eq!((polled.telegrams, polled.started), (3, 0), "{polled:?}");
    assert_eq!(telegrams_read(&node).await, 3);
    {
        let client = node.state.pool.get().await.unwrap();
        let read = anpi_node::store::jma::telegrams(&**client).await.unwrap();
        let malformed = read
            .iter()
            .find(|t| t.source == "20261206-1-malformed.xml")
            .unwrap();
        assert!(
            malformed.outcome["error"]
                .as_str()
                .unwrap()
                .contains("XMLとして正しくありません"),
            "{:?}",
            malformed.outcome
        );
        assert_eq!(malformed.kind, "");
    }

    // A good 震度速報 afterwards: every organisation (the top-level ones and below).
    write(
        "20261206-4-shindo.xml",
        &telegram("01-vxse51-shindo-sokuhou.xml", 2, Some("20261206140000")),
    );
    let polled = task.poll().await.unwrap();
    assert_eq!((polled.telegrams, polled.started), (1, 1), "{polled:?}");
    let mails = expect_mails(&sink, 5);
    assert_eq!(
        recipients(&mails),
        [
            "h1@example.jp",
            "h2@example.jp",
            "hy@example.jp",
            "t1@example.jp",
            "y1@example.jp"
        ]
    );
    let list = node.state.rollcall_list(&admin()).await.unwrap();
    let mut orgs: Vec<String> = list[0].call.orgs.iter().map(|o| o.to_string()).collect();
    orgs.sort();
    assert_eq!(orgs, ["honsha", "tama", "yokohama"]);

    // The same earthquake's telegram rewritten (other bytes): read, nothing new.
    write(
        "20261206-4-shindo.xml",
        &telegram("01-vxse51-shindo-sokuhou.xml", 1, Some("20261206140000")),
    );
    let polled = task.poll().await.unwrap();
    assert_eq!((polled.telegrams, polled.started), (1, 0));
    // The malformed file fixed under the same name is read again (other bytes).
    write(
        "20261206-1-malformed.xml",
        &telegram("02-vxse52-shingen.xml", 1, Some("20261206140000")),
    );
    assert_eq!(task.poll().await.unwrap().telegrams, 1);
    expect_mails(&sink, 5);

    // A restart reads every file again, and finds each read before.
    stop(node, task).await;
    let node = start(&db).await;
    let mut task = feed(
        &node,
        JmaFeed::Directory(dir.path().to_path_buf()),
        vec![Condition::nationwide()],
    );
    assert_eq!(task.poll().await.unwrap(), Default::default());
    expect_mails(&sink, 5);
    assert_eq!(telegrams_read(&node).await, 6);
    stop(node, task).await;
}

// R: K-08 — a condition's delay: the dispatch is kept pending, survives a restart and
// starts when due; before that, without a mail server, it waits for one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_dispatch_waits_across_a_restart_and_for_the_mail_server_then_starts() {
    let sink = SmtpSink::start();
    let dir = TempDir::new("anpi-jma-delay");
    let db = TestDb::create().await;
    let node = start(&db).await;
    directory(&node).await;
    let delayed: Vec<Condition> = anpi_files::jma::parse_conditions(
        r#"[{"name": "東京 1分後", "min_intensity": "5弱",
             "targets": [{"prefectures": ["13"], "orgs": ["tama"]}], "delay_minutes": 1}]"#,
    )
    .unwrap();
    // Reported 50 seconds ago: due 10 seconds from now.
    let text = String::from_utf8(telegram("01-vxse51-shindo-sokuhou.xml", 0, None)).unwrap();
    let at = (Utc::now() - chrono::Duration::seconds(50))
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap());
    let text = replace_element(
        &text,
        "ReportDateTime",
        &at.format("%Y-%m-%dT%H:%M:%S+09:00").to_string(),
    );
    std::fs::write(dir.path().join("01.xml"), text).unwrap();
    let mut task = feed(
        &node,
        JmaFeed::Directory(dir.path().to_path_buf()),
        delayed.clone(),
    );
    assert_eq!(task.poll().await.unwrap().started, 0);
    assert_eq!(
        dispatches(&node).await,
        [("pending".to_string(), vec!["tama".to_string()], false)]
    );
    let due = node.state.jma_next_due(Utc::now()).await.unwrap().unwrap();
    assert!(due > Utc::now(), "due in about 10 seconds: {due}");

    // Restarted before it is due; due now, but no mail server is set: it waits.
    stop(node, task).await;
    let node = start(&db).await;
    let task = feed(
        &node,
        JmaFeed::Directory(dir.path().to_path_buf()),
        delayed.clone(),
    );
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(task.start_due().await.unwrap(), 0);
    assert_eq!(dispatches(&node).await[0].0, "pending");
    assert_eq!(sink.count(), 0);

    // The mail server set: it starts, once.
    mail_server(&node, &sink).await;
    assert_eq!(task.start_due().await.unwrap(), 1);
    assert_eq!(task.start_due().await.unwrap(), 0);
    let mails = expect_mails(&sink, 1);
    assert_eq!(mails[0].to, ["t1@example.jp"]);
    assert_eq!(dispatches(&node).await[0].0, "started");

    // Another earthquake, due in a minute, cancelled (取消) before: never sent.
    let mut task = task;
    std::fs::write(
        dir.path().join("02.xml"),
        telegram("01-vxse51-shindo-sokuhou.xml", 0, Some("20261206150000")),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("03.xml"),
        telegram("04-vxse53-torikeshi.xml", 0, Some("20261206150000")),
    )
    .unwrap();
    let polled = task.poll().await.unwrap();
    assert_eq!((polled.telegrams, polled.started), (2, 0), "{polled:?}");
    assert_eq!(
        dispatches(&node).await[1],
        ("cancelled".to_string(), vec!["tama".to_string()], false)
    );
    assert_eq!(node.state.jma_next_due(Utc::now()).await.unwrap(), None);
    assert_eq!(task.start_due().await.unwrap(), 0);
    expect_mails(&sink, 1);
    stop(node, task).await;
}

// R: K-08 — the node process with `jma_feed` in its configuration: a feed on loopback
// starts a real broadcast to the SMTP sink once, not twice — also after kill -9 and a
// restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_process_sends_the_feeds_roll_call_once_across_kill_9() {
    let sink = SmtpSink::start();
    let server = FeedServer::start().await;
    let db = TestDb::create().await;
    // The directory and the mail server, written through the node's own code first.
    {
        let node = start(&db).await;
        directory(&node).await;
        mail_server(&node, &sink).await;
        node.mailer.abort();
        let _ = node.mailer.await;
        drop(node.state);
        node.writer.await.unwrap();
    }
    server.publish(
        "01.xml",
        "震度速報",
        Some(telegram("01-vxse51-shindo-sokuhou.xml", 3, None)),
    );
    let conditions =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/jma/conditions.example.json");
    let mut node = TestNode::start_with(
        Path::new(env!("CARGO_BIN_EXE_anpi-node")),
        CODE,
        &db.url,
        &format!(
            "jma_feed = \"{}\"\njma_conditions = \"{}\"\njma_poll_seconds = 10\n",
            server.url,
            conditions.display()
        ),
    );
    let mails = {
        let sink = &sink;
        tokio::task::block_in_place(|| {
            assert!(
                sink.wait_for_count(3, Duration::from_secs(30)),
                "no broadcast: {}\n--- node log ---\n{}",
                sink.count(),
                node.log()
            );
            sink.messages()
        })
    };
    assert_eq!(
        recipients(&mails),
        ["h1@example.jp", "h2@example.jp", "hy@example.jp"]
    );
    // Killed once every mail is marked sent (a kill between a server's 250 and that
    // mark sends that mail again: the mailer's in-flight window, ADR 0017, not ours).
    let client = anpi_node::store::connect(&db.url).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let sent: i64 = client
            .query_one("SELECT count(*) FROM mail_outbox WHERE state = 'sent'", &[])
            .await
            .unwrap()
            .get(0);
        if sent == 3 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "marked sent: {sent}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // kill -9 and start again: the first poll at start finds the entry read.
    node.process.kill9();
    node.process.restart();
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(
        sink.count(),
        3,
        "sent again after the restart:\n{}",
        node.log()
    );
    assert_eq!(server.hits("01.xml"), 1);
    assert!(
        node.log().contains("earthquake telegram decision"),
        "{}",
        node.log()
    );
}
