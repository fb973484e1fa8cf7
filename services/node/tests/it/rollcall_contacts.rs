//! Emergency contacts (K-05) through the application layer and the writer, against a
//! real PostgreSQL, with the contact mails delivered to (or refused by)
//! `deploy/smtp/sink.py` and the member's pages over HTTP: who sees and sets whose
//! contacts, the file's problems by line and column, the request and check mails, the
//! confirmation link, and roll-call mails going to the contact addresses. R: K-05, K-04.

use std::io::{Read, Write};
use std::time::Duration;

use anpi_core::account::Role;
use anpi_core::ids::AccountId;
use anpi_core::rollcall::contact::{CheckState, ContactPurpose};
use anpi_core::rollcall::mail::SettingsInput;
use anpi_core::rollcall::{Member, MemberCode, Mode, OrgCode, Organisation, RollcallRole};
use anpi_files::rollcall::DirectoryFileError;
use anpi_harness::smtp::{SinkOptions, SmtpSink};
use anpi_node::app::AppError;
use anpi_node::app::rollcall_contacts::{ContactEntry, ContactImport};

use crate::rollcall_info::{Node, admin, get, issue, node, session};

const SITE: &str = "https://anpi.city.example.lg.jp";

fn code(text: &str) -> MemberCode {
    MemberCode::try_from(text.to_string()).unwrap()
}

/// POST a form to the member's router on `port`: (status line, whole response).
fn post(port: u16, path: &str, body: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.lines().next().unwrap_or_default().to_string();
    (status, response)
}

/// The token of the first link under `SITE/<kind>/` in a mail body.
fn token_in(body: &str, kind: &str) -> String {
    let prefix = format!("{SITE}/{kind}/");
    let at = body
        .find(&prefix)
        .unwrap_or_else(|| panic!("no link in {body}"));
    body[at + prefix.len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

fn codes(entries: &[ContactEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.member.code.as_str()).collect()
}

async fn setup(node: &Node, sink: &SmtpSink) {
    let orgs = [
        ("soumu", "総務部", ""),
        ("soumu.bousai", "防災課", "soumu"),
        ("kensetsu", "建設部", ""),
    ]
    .map(|(c, n, p)| Organisation::parse(c, n, p).unwrap());
    let members = [
        ("m01", "防災 一郎", "soumu.bousai", "m01@example.jp"),
        ("m02", "建設 二郎", "kensetsu", "m02@example.jp"),
        ("m03", "防災 三子", "soumu.bousai", "m03@example.jp"),
        ("m04", "防災 四郎", "soumu.bousai", "m04@example.jp"),
        ("m05", "防災 五郎", "soumu.bousai", ""),
    ]
    .map(|(c, n, o, m)| Member::parse(c, n, o, m).unwrap());
    node.state
        .rollcall_save_directory(&admin(), orgs.to_vec(), members.to_vec())
        .await
        .unwrap();
    issue(node, "bousai1").await;
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
                external_url: SITE.into(),
                ca_pem: String::new(),
            },
            None,
        )
        .await
        .unwrap();
}

async fn contact_events(node: &Node) -> Vec<String> {
    let client = node.state.pool.get().await.unwrap();
    client
        .query(
            "SELECT kind FROM events WHERE kind LIKE 'RollcallContact%' ORDER BY position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Waits until the check of `address` of `member` is `state` (the mailer works apart).
async fn wait_for_check(node: &Node, member: &str, address: &str, state: CheckState) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, entries) = node.state.rollcall_contact_list(&admin()).await.unwrap();
        let now = entries
            .iter()
            .find(|e| e.member.code.as_str() == member)
            .and_then(|e| e.checks.iter().find(|(a, _)| a == address))
            .map(|(_, c)| c.state);
        if now == Some(state) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{member} {address}: {now:?}, not {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// R: K-05, K-04 — a disaster-prevention administrator sees and sets only their
// organisations' members; a member outside is answered as unknown, in the list, the
// proxy form and the file alike; problems name line and column; nothing is written
// from a refused file or form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_see_and_set_only_the_contacts_of_members_they_may_see() {
    let sink = SmtpSink::start();
    let node = node().await;
    setup(&node, &sink).await;
    let dp = session("bousai1", Role::Input);

    let (_, everyone) = node.state.rollcall_contact_list(&admin()).await.unwrap();
    assert_eq!(codes(&everyone), ["m01", "m02", "m03", "m04", "m05"]);
    let (_, theirs) = node.state.rollcall_contact_list(&dp).await.unwrap();
    assert_eq!(
        codes(&theirs),
        ["m01", "m03", "m04", "m05"],
        "not m02 of 建設部"
    );
    assert!(theirs.iter().all(ContactEntry::is_missing));

    // Outside their organisations: unknown, whatever the way in.
    let outside = node
        .state
        .rollcall_member_contacts(&dp, &code("m02"))
        .await
        .err();
    assert!(
        matches!(outside, Some(AppError::NotFound(_))),
        "{outside:?}"
    );
    let outside = node
        .state
        .rollcall_set_contacts(&dp, &code("m02"), "090-0000-0000", "x@example.jp")
        .await
        .err();
    assert!(
        matches!(outside, Some(AppError::NotFound(_))),
        "{outside:?}"
    );
    let file = "職員番号,氏名,電話番号,緊急連絡先メールアドレス\r\nm01,防災 一郎,090-1111-2222,\r\nm02,建設 二郎,090-0000-0000,\r\n";
    match node
        .state
        .rollcall_import_contacts(&dp, file.as_bytes())
        .await
        .unwrap()
    {
        ContactImport::Refused(DirectoryFileError::Lines(lines)) => {
            assert_eq!(lines.len(), 1);
            assert_eq!((lines[0].line, lines[0].column.as_str()), (3, "職員番号"));
            assert!(lines[0].message.contains("m02"), "{}", lines[0].message);
        }
        _ => panic!("a member outside the organisations is refused by line"),
    }
    // Bad values: every problem by line and column.
    let file = "職員番号,氏名,電話番号,緊急連絡先メールアドレス\nm01,防災 一郎,電話なし,\nm03,防災 三子,,not-an-address\n";
    match node
        .state
        .rollcall_import_contacts(&dp, file.as_bytes())
        .await
        .unwrap()
    {
        ContactImport::Refused(DirectoryFileError::Lines(lines)) => {
            let at: Vec<(usize, &str)> =
                lines.iter().map(|l| (l.line, l.column.as_str())).collect();
            assert_eq!(at, [(2, "電話番号"), (3, "緊急連絡先メールアドレス")]);
        }
        _ => panic!("bad values are refused by line and column"),
    }
    let invalid = node
        .state
        .rollcall_set_contacts(&dp, &code("m01"), "abc", "")
        .await
        .err();
    let Some(AppError::Invalid(errors)) = invalid else {
        panic!("{invalid:?}");
    };
    assert_eq!(errors[0].field, "contact_phone");
    assert!(
        contact_events(&node).await.is_empty(),
        "nothing was written"
    );

    // Set on a member's behalf, and by file.
    let written = node
        .state
        .rollcall_set_contacts(
            &dp,
            &code("m01"),
            "090-1111-2222",
            "m01.home@example.jp, bounce@example.jp",
        )
        .await
        .unwrap();
    assert_eq!(written.events, 1);
    let file = "職員番号,氏名,電話番号,緊急連絡先メールアドレス\nm04,防災 四郎,０３－１２３４－５６７８,m04.home@example.jp\nm01,防災 一郎,090-1111-2222,m01.home@example.jp bounce@example.jp\n";
    match node
        .state
        .rollcall_import_contacts(&dp, file.as_bytes())
        .await
        .unwrap()
    {
        ContactImport::Saved { rows, written } => {
            assert_eq!(rows, 2);
            assert_eq!(written.events, 1, "m01 is unchanged");
        }
        ContactImport::Refused(error) => panic!("{error}"),
    }
    let m04 = node
        .state
        .rollcall_member_contacts(&dp, &code("m04"))
        .await
        .unwrap();
    let stored = m04.stored.unwrap();
    assert_eq!(stored.contacts.phones[0].as_str(), "03-1234-5678");
    assert_eq!(stored.set_by.as_deref(), Some("bousai1"), "a proxy setting");
    // The system administrator sets m02's; the disaster-prevention one still sees
    // nothing of it.
    node.state
        .rollcall_set_contacts(&admin(), &code("m02"), "", "m02.home@example.jp")
        .await
        .unwrap();
    let (_, theirs) = node.state.rollcall_contact_list(&dp).await.unwrap();
    assert!(!codes(&theirs).contains(&"m02"));
    let missing: Vec<&str> = theirs
        .iter()
        .filter(|e| e.is_missing())
        .map(|e| e.member.code.as_str())
        .collect();
    assert_eq!(missing, ["m03", "m05"]);
    assert_eq!(
        contact_events(&node).await,
        [
            "RollcallContactsSet",
            "RollcallContactsSet",
            "RollcallContactsSet"
        ]
    );

    // A clerk without a roll-call role sees nothing.
    issue(&node, "clerk1").await;
    let clerk = session("clerk1", Role::Input);
    let refused = node.state.rollcall_contact_list(&clerk).await.err();
    assert!(
        matches!(refused, Some(AppError::Forbidden(_))),
        "{refused:?}"
    );
}

// R: K-05 — the request mail reaches members without contacts (not those outside the
// sender's organisations); its link opens only that member's contacts; the check mail
// goes to each contact address, its button confirms the address, a refused address is
// 送信失敗; a roll-call then mails the contact addresses, and the answer link opens the
// member's own contacts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_mails_links_and_checks_reach_only_their_own_member() {
    let sink = SmtpSink::start_with(SinkOptions {
        reject: vec!["bounce".into()],
        ..SinkOptions::default()
    });
    let mut node = node().await;
    setup(&node, &sink).await;
    let dp = session("bousai1", Role::Input);
    node.state
        .rollcall_set_contacts(
            &dp,
            &code("m01"),
            "090-1111-2222",
            "m01.home@example.jp bounce@example.jp",
        )
        .await
        .unwrap();
    node.state
        .rollcall_set_contacts(&admin(), &code("m02"), "", "m02.home@example.jp")
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = anpi_node::contact_page::router(node.state.clone());
    node.tasks.push(tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    }));

    // The request: to m03 (m04 and m05 too have none, m05 has no address at all).
    let (written, without) = node
        .state
        .rollcall_send_contact_mails(&dp, ContactPurpose::Request, false)
        .await
        .unwrap();
    assert_eq!(
        (written.mails, without),
        (2, 1),
        "m03 and m04; m05 has no address"
    );
    assert!(
        sink.wait_for_count(2, Duration::from_secs(30)),
        "{}",
        sink.log()
    );
    let to: Vec<Vec<String>> = sink.messages().into_iter().map(|m| m.to).collect();
    assert!(to.contains(&vec!["m03@example.jp".to_string()]), "{to:?}");
    assert!(!to.iter().flatten().any(|a| a.contains("m02")), "{to:?}");
    let mail = sink
        .messages()
        .into_iter()
        .find(|m| m.to == ["m03@example.jp"])
        .unwrap();
    let token = token_in(&mail.body(), "c");
    assert_eq!(token.len(), 48);

    // The member's page: their own name and contacts, nobody else's.
    let path = format!("/c/{token}");
    let (status, page) = tokio::task::spawn_blocking(move || get(port, &path))
        .await
        .unwrap();
    assert!(status.contains("200"), "{page}");
    assert!(page.contains("防災 三子"));
    for other in ["防災 一郎", "090-1111-2222", "m01.home", "m02.home", "建設"] {
        assert!(!page.contains(other), "{other} shown to m03");
    }
    let path = format!("/c/{token}");
    let (status, page) =
        tokio::task::spawn_blocking(move || post(port, &path, "phones=090-3333-4444&mails=oops"))
            .await
            .unwrap();
    assert!(status.contains("422"), "{page}");
    assert!(page.contains(">oops</textarea>"), "what was typed is kept");
    let path = format!("/c/{token}");
    let (status, page) = tokio::task::spawn_blocking(move || {
        post(
            port,
            &path,
            "phones=090-3333-4444&mails=m03.mobile%40example.jp",
        )
    })
    .await
    .unwrap();
    assert!(status.contains("200"), "{page}");
    let m03 = node
        .state
        .rollcall_member_contacts(&admin(), &code("m03"))
        .await
        .unwrap();
    let stored = m03.stored.unwrap();
    assert_eq!(stored.set_by, None, "set by the member");
    assert_eq!(stored.contacts.mails[0].as_str(), "m03.mobile@example.jp");
    // A request link confirms nothing.
    let path = format!("/c/{token}/confirm");
    let (status, _) = tokio::task::spawn_blocking(move || post(port, &path, ""))
        .await
        .unwrap();
    assert!(status.contains("404"), "{status}");

    // The check: one mail per contact address of the sender's members.
    let before = sink.count();
    let (written, _) = node
        .state
        .rollcall_send_contact_mails(&dp, ContactPurpose::Check, false)
        .await
        .unwrap();
    assert_eq!(written.mails, 3, "m01 ×2, m03 ×1; not m02's");
    wait_for_check(&node, "m01", "bounce@example.jp", CheckState::Failed).await;
    wait_for_check(&node, "m01", "m01.home@example.jp", CheckState::NotOpened).await;
    wait_for_check(&node, "m03", "m03.mobile@example.jp", CheckState::NotOpened).await;
    assert!(sink.wait_for_count(before + 2, Duration::from_secs(30)));
    let check = sink
        .messages()
        .into_iter()
        .find(|m| m.to == ["m01.home@example.jp"])
        .unwrap();
    let check_token = token_in(&check.body(), "c");
    let path = format!("/c/{check_token}");
    let (status, page) = tokio::task::spawn_blocking(move || get(port, &path))
        .await
        .unwrap();
    assert!(status.contains("200"), "{page}");
    assert!(page.contains("m01.home@example.jp"));
    assert!(page.contains("id=\"confirm\""));
    // Opening the link is not confirming (mail scanners open links).
    wait_for_check(&node, "m01", "m01.home@example.jp", CheckState::NotOpened).await;
    let path = format!("/c/{check_token}/confirm");
    let (status, page) = tokio::task::spawn_blocking(move || post(port, &path, ""))
        .await
        .unwrap();
    assert!(status.contains("200"), "{page}");
    assert!(page.contains("id=\"confirmed\""));
    wait_for_check(&node, "m01", "m01.home@example.jp", CheckState::Confirmed).await;
    let m01 = node
        .state
        .rollcall_member_contacts(&dp, &code("m01"))
        .await
        .unwrap();
    assert_eq!(
        m01.state,
        CheckState::Failed,
        "the worst of the member's addresses"
    );
    assert_eq!(
        contact_events(&node).await,
        [
            "RollcallContactsSet",
            "RollcallContactsSet",
            "RollcallContactMailsSent",
            "RollcallContactsSet",
            "RollcallContactMailsSent",
            "RollcallContactConfirmed",
        ]
    );

    // An expired link is refused.
    {
        let client = node.state.pool.get().await.unwrap();
        client
            .execute(
                "UPDATE rollcall_contact_links SET expires_at = now() - interval '1 minute'",
                &[],
            )
            .await
            .unwrap();
    }
    let expired = node.state.contact_link_page(&token).await.err();
    assert!(
        matches!(expired, Some(AppError::NotFound(_))),
        "{expired:?}"
    );

    // A roll-call goes to the contact addresses (else the directory's).
    let before = sink.count();
    node.state
        .rollcall_start(
            &admin(),
            vec![
                OrgCode::parse("soumu").unwrap(),
                OrgCode::parse("kensetsu").unwrap(),
            ],
            "地震",
            Mode::Actual,
            &[],
        )
        .await
        .unwrap();
    // m01.home, m02.home, m03.mobile, m04 (bounce is refused, m05 has none).
    assert!(
        sink.wait_for_count(before + 4, Duration::from_secs(30)),
        "{}",
        sink.log()
    );
    let roll: Vec<String> = sink.messages()[before..]
        .iter()
        .flat_map(|m| m.to.clone())
        .collect();
    for address in [
        "m01.home@example.jp",
        "m02.home@example.jp",
        "m03.mobile@example.jp",
        "m04@example.jp",
    ] {
        assert!(roll.iter().any(|a| a == address), "{address}: {roll:?}");
    }
    assert!(
        !roll
            .iter()
            .any(|a| a == "m01@example.jp" || a == "m03@example.jp")
    );
    let answer = sink.messages()[before..]
        .iter()
        .find(|m| m.to == ["m04@example.jp"])
        .unwrap()
        .body();
    let answer_token = token_in(&answer, "r");
    let page = node
        .state
        .rollcall_link_contacts(&answer_token)
        .await
        .unwrap();
    assert_eq!(page.member_name, "防災 四郎");
    let path = format!("/r/{answer_token}/contacts");
    let (status, page) = tokio::task::spawn_blocking(move || {
        post(port, &path, "phones=&mails=m04.home%40example.jp")
    })
    .await
    .unwrap();
    assert!(status.contains("200"), "{page}");
    assert!(!page.contains("防災 一郎"));
    let m04 = node
        .state
        .rollcall_member_contacts(&dp, &code("m04"))
        .await
        .unwrap();
    assert_eq!(
        m04.stored.unwrap().contacts.mails[0].as_str(),
        "m04.home@example.jp"
    );
}
