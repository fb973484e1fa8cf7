//! Roll-call through the real `anpi` and `anpi-node` binaries, a real PostgreSQL and a
//! real SMTP server (`deploy/smtp/sink.py`) on loopback: the directory from the example
//! CSV files, a broadcast reaching exactly one organisation's subtree, a proxy answer,
//! a resend to the unconfirmed only, close; and a node killed with -9 mid-broadcast
//! that resumes after restart with at most the stated in-flight window (4, ADR 0017)
//! of mails delivered twice. R: K-01..K-04, K-06, K-09.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anpi_harness::smtp::{SinkOptions, SmtpSink};
use anpi_harness::{TestDb, TestNode, workspace_bin};

mod support;

use support::Cli;

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/csv/examples")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

fn mail_set(cli: &Cli, sink: &SmtpSink) {
    cli.ok(&[
        "rollcall",
        "mail",
        "set",
        "--sender",
        "anpi@city.example.lg.jp",
        "--sender-name",
        "試験市 安否確認",
        "--host",
        "127.0.0.1",
        "--port",
        &sink.port.to_string(),
        "--security",
        "none",
        "--external-url",
        "https://anpi.city.example.lg.jp",
    ]);
}

/// Member code → progress, from `anpi rollcall status ID --json`.
fn progress(cli: &Cli, id: &str) -> BTreeMap<String, String> {
    let status = cli.json(&["rollcall", "status", id, "--json"]);
    status["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["code"].as_str().unwrap().to_string(),
                m["progress"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_roll_call_from_the_command_line() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let sink = SmtpSink::start();
    let node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let cli = Cli::logged_in(&node);
    let dir = node.dir.path();

    // A file with a bad row imports nothing and names the line and column.
    let bad = dir.join("bad_members.csv");
    std::fs::write(
        &bad,
        "職員番号,氏名,所属組織コード,メールアドレス\r\nS1,山田 太郎,soumu,taro@example.jp\r\nS2,,soumu,hanako＠example.jp\r\n",
    )
    .unwrap();
    let refused = cli.run(&["rollcall", "member", "import", bad.to_str().unwrap()]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr).to_string()
        + &String::from_utf8_lossy(&refused.stdout);
    assert!(
        message.contains("3行目") && message.contains("メールアドレス"),
        "{message}"
    );

    cli.ok(&["rollcall", "org", "import", &example("rollcall_orgs.csv")]);
    cli.ok(&[
        "rollcall",
        "member",
        "import",
        &example("rollcall_members.csv"),
    ]);
    let members = cli.json(&["rollcall", "member", "list", "--json"]);
    assert_eq!(
        members.as_array().unwrap().len(),
        10,
        "the bad file added nobody"
    );
    mail_set(&cli, &sink);

    // 防災危機管理課 and the two 係 below it: four members, five addresses.
    let sent = cli.json(&[
        "rollcall",
        "send",
        "--org",
        "soumu.bousai",
        "--title",
        "震度5強の地震",
        "--drill",
        "--json",
    ]);
    let id = sent["rollcall_id"].as_str().unwrap().to_string();
    assert_eq!(sent["recipients"], 4);
    assert_eq!(sent["mails"], 5);
    assert!(
        sink.wait_for_count(5, Duration::from_secs(30)),
        "{:?}",
        sink.per_recipient()
    );
    std::thread::sleep(Duration::from_millis(500));
    let got: Vec<String> = sink
        .per_recipient()
        .into_iter()
        .map(|(to, n)| format!("{to}={n}"))
        .collect();
    assert_eq!(
        got,
        [
            "sato.hanako@city.example.lg.jp=1",
            "sato.hanako@mobile.example.jp=1",
            "suzuki.ichiro@city.example.lg.jp=1",
            "takahashi.misaki@city.example.lg.jp=1",
            "yamada.taro@city.example.lg.jp=1"
        ]
    );
    assert!(
        sink.messages()
            .iter()
            .all(|m| m.subject().starts_with("【訓練】"))
    );

    let before = progress(&cli, &id);
    assert!(before.values().all(|p| p == "not_opened"), "{before:?}");
    cli.ok(&[
        "rollcall",
        "answer",
        &id,
        "--member",
        "S0012045",
        "--status",
        "無事",
        "--comment",
        "電話で確認",
    ]);
    let after = progress(&cli, &id);
    assert_eq!(after["S0012045"], "proxy");
    let status = cli.json(&["rollcall", "status", &id, "--json"]);
    assert_eq!(status["rollcall"]["mode"], "drill");
    assert_eq!(status["delivery"]["sent"], 5);
    let history = cli.json(&["rollcall", "history", &id, "--member", "S0012045", "--json"]);
    assert_eq!(history[0]["proxy"], "admin");
    let text = cli.ok(&["rollcall", "status", &id]);
    assert!(text.contains("訓練") && text.contains("代理"), "{text}");

    // Resend: the three unconfirmed members (four addresses), not the one answered for.
    cli.ok(&["rollcall", "resend", &id]);
    assert!(sink.wait_for_count(9, Duration::from_secs(30)));
    std::thread::sleep(Duration::from_millis(500));
    let counts = sink.per_recipient();
    assert_eq!(counts["yamada.taro@city.example.lg.jp"], 1);
    assert_eq!(counts["suzuki.ichiro@city.example.lg.jp"], 2);
    assert_eq!(sink.count(), 9);

    // K-08: an injured answer becomes a Form 1 draft file for the clerk; asking again
    // never overwrites a draft the clerk has begun to complete.
    cli.ok(&[
        "rollcall",
        "answer",
        &id,
        "--member",
        "S0015502",
        "--status",
        "軽傷",
        "--comment",
        "転倒",
    ]);
    let drafts = dir.join("drafts");
    let text = cli.ok(&["rollcall", "drafts", &id, "--out", drafts.to_str().unwrap()]);
    assert!(
        text.contains("下書き 1件") && text.contains("訓練の事案に登録"),
        "{text}"
    );
    let file = drafts.join("S0015502.json");
    let draft: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(draft["form"], "form1");
    assert_eq!(draft["name"], "高橋　美咲");
    assert_eq!(draft["injury"]["status"], "負傷");
    assert_eq!(draft["injury"]["severity"], "軽症");
    std::fs::write(&file, "{\"edited\": true}").unwrap();
    let again = cli.ok(&["rollcall", "drafts", &id, "--out", drafts.to_str().unwrap()]);
    assert!(again.contains("上書きしません"), "{again}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{\"edited\": true}"
    );

    cli.ok(&["rollcall", "close", &id]);
    let closed = cli.json(&["rollcall", "status", &id, "--json"]);
    assert_eq!(closed["rollcall"]["closed"], true);
    assert!(!cli.run(&["rollcall", "resend", &id]).status.success());
}

// R: K-01, K-09 — the in-flight window, counted.
#[test]
fn a_node_killed_mid_broadcast_resumes_with_at_most_the_in_flight_window_twice() {
    const MEMBERS: usize = 300;
    const WINDOW: usize = 4; // anpi_node::mail::SENDERS, ADR 0017
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let sink = SmtpSink::start_with(SinkOptions {
        delay_ms: 15,
        ..SinkOptions::default()
    });
    let mut node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let cli = Cli::logged_in(&node);
    let dir = node.dir.path().to_path_buf();
    let orgs = dir.join("orgs.csv");
    std::fs::write(&orgs, "組織コード,組織名,上位組織コード\r\nall,全庁,\r\n").unwrap();
    let members = dir.join("members.csv");
    let mut text = String::from("職員番号,氏名,所属組織コード,メールアドレス\r\n");
    for i in 0..MEMBERS {
        text.push_str(&format!("k{i:04},職員 {i},all,k{i:04}@example.jp\r\n"));
    }
    std::fs::write(&members, text).unwrap();
    cli.ok(&["rollcall", "org", "import", orgs.to_str().unwrap()]);
    cli.ok(&["rollcall", "member", "import", members.to_str().unwrap()]);
    mail_set(&cli, &sink);
    cli.ok(&["rollcall", "send", "--org", "all", "--title", "地震"]);
    assert!(sink.wait_for_count(50, Duration::from_secs(60)));
    node.process.kill9();
    let at_kill = sink.count();
    assert!(
        at_kill < MEMBERS,
        "the node was killed mid-broadcast ({at_kill} delivered)"
    );
    node.process.restart();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while sink.per_recipient().len() < MEMBERS && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(1));
    let counts = sink.per_recipient();
    assert_eq!(counts.len(), MEMBERS, "every member got the mail");
    let twice = sink.count() - MEMBERS;
    eprintln!(
        "killed after {at_kill} mails; delivered twice after the restart: {twice} (window {WINDOW})"
    );
    assert!(
        twice <= WINDOW,
        "{twice} mails delivered twice, more than the window of {WINDOW}"
    );
    assert!(counts.values().all(|n| *n <= 2));
}
