//! The disaster information pages (K-07) through the application layer and the writer,
//! against a real PostgreSQL, and the member's page over HTTP with a real roll-call
//! link (mailed through `deploy/smtp/sink.py`): contacts and links saved, routes added
//! and removed, posts made and withdrawn, who may do it, what a member sees, and which
//! links are refused. R: K-07, K-04.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use anpi_core::account::{AccountDraft, LoginState, Role};
use anpi_core::ids::AccountId;
use anpi_core::rollcall::info::{ContactInput, InfoInput, LinkInput, NoticeDraft, RouteInput};
use anpi_core::rollcall::mail::SettingsInput;
use anpi_core::rollcall::{Member, Mode, OrgCode, Organisation, RollcallRole};
use anpi_harness::TestDb;
use anpi_harness::smtp::SmtpSink;
use anpi_node::app::{AppError, NodeState};
use anpi_node::store::accounts::{Accounts, Session};

use crate::support::{config, start_writer};

pub(crate) struct Node {
    pub(crate) state: Arc<NodeState>,
    _db: TestDb,
    pub(crate) tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Node {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

pub(crate) async fn node() -> Node {
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
        tasks: vec![mailer],
    }
}

pub(crate) fn session(account: &str, role: Role) -> Session {
    Session {
        account: AccountId::parse(account).unwrap(),
        role,
        state: LoginState::Active,
        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
    }
}

pub(crate) fn admin() -> Session {
    session("admin", Role::Administrator)
}

pub(crate) async fn issue(node: &Node, account: &str) {
    node.state
        .create_account(
            &admin(),
            AccountDraft {
                account_id: account.into(),
                holder: "担当 者".into(),
                affiliation: "総務課".into(),
                contact: "内線 100".into(),
                role: "input".into(),
                terminal: String::new(),
            },
        )
        .await
        .unwrap();
}

async fn kinds(node: &Node) -> Vec<String> {
    let client = node.state.pool.get().await.unwrap();
    client
        .query(
            "SELECT kind FROM events WHERE kind LIKE 'Rollcall%' AND kind NOT LIKE 'RollcallOrg%'
               AND kind NOT LIKE 'RollcallMember%' AND kind NOT LIKE 'RollcallRole%'
             ORDER BY position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn info_input() -> InfoInput {
    InfoInput {
        contacts: vec![
            ContactInput {
                name: "災害対策本部".into(),
                phone: "０３－１２３４－５６７８".into(),
                note: "24時間".into(),
            },
            ContactInput::default(),
            ContactInput {
                name: "総務課".into(),
                phone: "03-1234-0000".into(),
                note: String::new(),
            },
        ],
        links: vec![LinkInput {
            title: "気象庁 防災情報".into(),
            url: "https://www.jma.go.jp/bosai/".into(),
        }],
    }
}

fn route(name: &str, map: &str) -> RouteInput {
    RouteInput {
        name: name.into(),
        map: map.into(),
        origin: "東京都千代田区九段南1-2-1".into(),
        destination: "九段小学校".into(),
    }
}

fn notice(title: &str) -> NoticeDraft {
    NoticeDraft {
        title: title.into(),
        body: format!("{title}の本文です。\n自宅で待機してください。"),
    }
}

/// GET `path` from the member's router on `port`: (status line, headers and body).
pub(crate) fn get(port: u16, path: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.lines().next().unwrap_or_default().to_string();
    (status, response)
}

// R: K-07, K-04 — administrators edit, a clerk without roll-call authority cannot; a
// member reads through their link, newest post first, the withdrawn one hidden; a
// wrong or closed link is refused; reading neither opens the link nor answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disaster_information_is_edited_by_administrators_and_read_through_a_roll_call_link() {
    let sink = SmtpSink::start();
    let mut node = node().await;
    let orgs = [("soumu", "総務部", ""), ("soumu.bousai", "防災課", "soumu")]
        .map(|(c, n, p)| Organisation::parse(c, n, p).unwrap());
    let members = [
        ("m01", "総務 部長", "soumu", "m01@example.jp"),
        ("m02", "防災 花子", "soumu.bousai", "m02@example.jp"),
    ]
    .map(|(c, n, o, m)| Member::parse(c, n, o, m).unwrap());
    node.state
        .rollcall_save_directory(&admin(), orgs.to_vec(), members.to_vec())
        .await
        .unwrap();

    // A clerk without a roll-call role may neither read nor edit (K-04's second gate).
    issue(&node, "clerk1").await;
    let clerk = session("clerk1", Role::Input);
    for refused in [
        node.state.rollcall_info_admin(&clerk).await.err(),
        node.state
            .rollcall_save_info(&clerk, &info_input())
            .await
            .err(),
        node.state
            .rollcall_post_notice(&clerk, &notice("無断"))
            .await
            .err(),
        node.state
            .rollcall_add_route(&clerk, &route("無断", "google"))
            .await
            .err(),
    ] {
        assert!(
            matches!(refused, Some(AppError::Forbidden(_))),
            "{refused:?}"
        );
    }
    // A disaster-prevention administrator of one section edits the whole page.
    issue(&node, "bousai1").await;
    node.state
        .rollcall_assign(
            &admin(),
            AccountId::parse("bousai1").unwrap(),
            Some(RollcallRole::DisasterPrevention {
                orgs: vec![OrgCode::parse("soumu.bousai").unwrap()],
            }),
        )
        .await
        .unwrap();
    let dp = session("bousai1", Role::Input);

    // Contacts and links: every problem at once, nothing written; then saved.
    let mut bad = info_input();
    bad.contacts[2].phone = "電話".into();
    bad.links[0].url = "javascript:alert(1)".into();
    let invalid = node.state.rollcall_save_info(&dp, &bad).await.err();
    let Some(AppError::Invalid(errors)) = invalid else {
        panic!("{invalid:?}");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["contact_phone.2", "link_url.0"]);
    assert!(kinds(&node).await.is_empty(), "nothing was written");
    let saved = node
        .state
        .rollcall_save_info(&dp, &info_input())
        .await
        .unwrap();
    assert_eq!(saved.events, 1);
    let again = node
        .state
        .rollcall_save_info(&admin(), &info_input())
        .await
        .unwrap();
    assert_eq!(again.events, 0, "the same list again writes nothing");

    // Routes: two added, one removed (numbers are not reused).
    let invalid = node
        .state
        .rollcall_add_route(&admin(), &route("", "bing"))
        .await
        .err();
    assert!(
        matches!(&invalid, Some(AppError::Invalid(e)) if e.len() == 2),
        "{invalid:?}"
    );
    node.state
        .rollcall_add_route(&admin(), &route("第一避難所", "google"))
        .await
        .unwrap();
    node.state
        .rollcall_add_route(&dp, &route("帰宅経路", "open_street_map"))
        .await
        .unwrap();
    node.state.rollcall_remove_route(&dp, 1).await.unwrap();
    let gone = node.state.rollcall_remove_route(&dp, 1).await.err();
    assert!(matches!(gone, Some(AppError::NotFound(_))), "{gone:?}");
    node.state
        .rollcall_add_route(&admin(), &route("第二避難所", "google"))
        .await
        .unwrap();

    // Posts by the system and the disaster-prevention administrator; one withdrawn.
    for (who, title) in [
        (admin(), "第一報"),
        (dp.clone(), "第二報（誤り）"),
        (dp.clone(), "第三報"),
    ] {
        node.state
            .rollcall_post_notice(&who, &notice(title))
            .await
            .unwrap();
        // Distinct posting times (the writer's clock is microseconds).
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let no_reason = node.state.rollcall_withdraw_notice(&dp, 2, " ").await.err();
    assert!(
        matches!(&no_reason, Some(AppError::Invalid(e)) if e[0].field == "withdraw_reason"),
        "{no_reason:?}"
    );
    node.state
        .rollcall_withdraw_notice(&dp, 2, "内容に誤りがあったため")
        .await
        .unwrap();
    let twice = node
        .state
        .rollcall_withdraw_notice(&admin(), 2, "重ねて")
        .await
        .err();
    assert!(matches!(twice, Some(AppError::Conflict(_))), "{twice:?}");

    // The administrators' page keeps the whole history, newest first.
    let page = node.state.rollcall_info_admin(&dp).await.unwrap();
    let history: Vec<(u32, bool)> = page
        .notices
        .iter()
        .map(|n| (n.notice.id, n.withdrawn.is_some()))
        .collect();
    assert_eq!(history, [(3, false), (2, true), (1, false)]);
    let withdrawal = page.notices[1].withdrawn.as_ref().unwrap();
    assert_eq!(withdrawal.by, "bousai1");
    assert_eq!(withdrawal.reason, "内容に誤りがあったため");
    assert_eq!(page.notices[0].notice.posted_by.as_str(), "bousai1");
    let routes: Vec<(u32, &str)> = page
        .routes
        .iter()
        .map(|r| (r.id, r.name.as_str()))
        .collect();
    assert_eq!(routes, [(2, "帰宅経路"), (3, "第二避難所")]);
    assert_eq!(page.info.contacts.len(), 2, "the blank row is skipped");
    assert_eq!(page.info.contacts[0].phone, "03-1234-5678");
    assert!(page.can_edit);
    assert_eq!(
        kinds(&node).await,
        [
            "RollcallInfoSaved",
            "RollcallRouteSaved",
            "RollcallRouteSaved",
            "RollcallRouteRemoved",
            "RollcallRouteSaved",
            "RollcallNoticePosted",
            "RollcallNoticePosted",
            "RollcallNoticePosted",
            "RollcallNoticeWithdrawn",
        ],
        "each change one event of the log"
    );

    // A member's link from a real roll-call mail.
    node.state
        .rollcall_set_settings(
            &admin(),
            &SettingsInput {
                sender: "anpi@city.example.lg.jp".into(),
                sender_name: String::new(),
                host: "127.0.0.1".into(),
                port: sink.port.to_string(),
                security: "none".into(),
                username: String::new(),
                internal_url: String::new(),
                external_url: "https://anpi.city.example.lg.jp".into(),
                ca_pem: String::new(),
            },
            None,
        )
        .await
        .unwrap();
    let (started, _) = node
        .state
        .rollcall_start(
            &admin(),
            vec![OrgCode::parse("soumu").unwrap()],
            "地震",
            Mode::Actual,
            &[],
        )
        .await
        .unwrap();
    let id = started.rollcall.unwrap();
    assert!(
        sink.wait_for_count(2, Duration::from_secs(30)),
        "{}",
        sink.log()
    );
    let mail = sink
        .messages()
        .into_iter()
        .find(|m| m.to == ["m02@example.jp"])
        .unwrap();
    let body = mail.body();
    let prefix = "https://anpi.city.example.lg.jp/r/";
    let at = body.find(prefix).unwrap();
    let token: String = body[at + prefix.len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 48);

    let seen = node.state.rollcall_info_page(&token).await.unwrap();
    assert_eq!(seen.member_name, "防災 花子");
    let titles: Vec<&str> = seen.notices.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(
        titles,
        ["第三報", "第一報"],
        "newest first, the withdrawn post hidden"
    );
    assert_eq!(seen.routes.len(), 2);
    assert_eq!(seen.info.links[0].url, "https://www.jma.go.jp/bosai/");

    // Over HTTP: the page, never cached; the answer page's refusal for a bad link.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = anpi_node::rollcall_info_page::router(node.state.clone());
    node.tasks.push(tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    }));
    let (status, response) =
        tokio::task::spawn_blocking(move || get(port, &format!("/r/{token}/info")))
            .await
            .unwrap();
    assert!(status.contains("200"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("cache-control: no-store")
    );
    let third = response.find("第三報").expect("the newest post");
    assert!(third < response.find("第一報").expect("the first post"));
    assert!(
        !response.contains("第二報"),
        "the withdrawn post is not shown"
    );
    assert!(response.contains("href=\"tel:0312345678\""));
    assert!(response.contains("rel=\"noopener noreferrer\""));
    assert!(response.contains("https://www.google.com/maps/dir/?api=1&amp;origin="));
    let unknown = "0".repeat(48);
    for bad in [unknown.as_str(), "not-a-token", "../../etc/passwd"] {
        let path = format!("/r/{bad}/info");
        let (status, response) = tokio::task::spawn_blocking(move || get(port, &path))
            .await
            .unwrap();
        if bad.contains('/') {
            assert!(status.contains("404"), "{bad}: {response}");
            continue;
        }
        assert!(status.contains("404"), "{bad}: {response}");
        assert!(
            response.contains("このリンクは無効か、期限が切れています。"),
            "{response}"
        );
    }

    // Reading the page opened nothing and answered nothing.
    let client = node.state.pool.get().await.unwrap();
    let opened: i64 = client
        .query_one(
            "SELECT count(*) FROM rollcall_recipients WHERE opened_at IS NOT NULL OR last_status IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(opened, 0);
    assert!(!kinds(&node).await.iter().any(|k| k == "RollcallLinkOpened"));

    // A closed roll-call's link is refused like the answer page's.
    node.state.rollcall_close(&admin(), id).await.unwrap();
    let token_again: String = body[at + prefix.len()..at + prefix.len() + 48].to_string();
    let closed = node.state.rollcall_info_page(&token_again).await.err();
    assert!(matches!(closed, Some(AppError::NotFound(_))), "{closed:?}");
    let path = format!("/r/{token_again}/info");
    let (status, response) = tokio::task::spawn_blocking(move || get(port, &path))
        .await
        .unwrap();
    assert!(status.contains("404"), "{response}");
    assert!(response.contains("このリンクは無効か、期限が切れています。"));
}
