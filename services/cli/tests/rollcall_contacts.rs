//! Emergency contacts (緊急連絡先) through the real `anpi` and `anpi-node` binaries, a
//! real PostgreSQL and a real SMTP sink (`deploy/smtp/sink.py`) on loopback, as a
//! disaster-prevention administrator of one organisation: the list, a proxy setting, a
//! contact file refused by line and column (by the node for a member of another
//! organisation, by the CLI itself for a bad phone number), the download of the
//! members without contacts, and the request and check mails. R: K-05.

use std::path::Path;
use std::time::Duration;

use anpi_harness::smtp::SmtpSink;
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

fn stderr_and_stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string() + &String::from_utf8_lossy(&output.stdout)
}

/// Member codes of `anpi rollcall contacts list --json`.
fn codes(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["member_code"].as_str().unwrap().to_string())
        .collect()
}

/// The entry of one member in `anpi rollcall contacts list --json`.
fn entry<'a>(list: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e["member_code"] == code)
        .unwrap_or_else(|| panic!("{code} not listed: {list}"))
}

/// A disaster-prevention administrator of `org`: an account issued by the node's
/// administrator, logged in with its own home, its first password changed.
fn disaster_prevention_admin(admin: &Cli, node: &TestNode, org: &str) -> Cli {
    let issued = admin.json(&[
        "account",
        "create",
        "--id",
        "bousai1",
        "--holder",
        "防災 花子",
        "--affiliation",
        "防災危機管理課",
        "--contact",
        "内線 1234",
        "--role",
        "input",
        "--json",
    ]);
    let dir = node.dir.path();
    let initial = dir.join("bousai1-initial");
    let new = dir.join("bousai1-new");
    std::fs::write(
        &initial,
        format!("{}\n", issued["initial_password"].as_str().unwrap()),
    )
    .unwrap();
    std::fs::write(&new, "Bousai-2026-pass\n").unwrap();
    let cli = Cli {
        binary: admin.binary.clone(),
        home: dir.join("bousai1-home"),
        node: admin.node.clone(),
        work: None,
    };
    cli.ok(&[
        "login",
        "--user",
        "bousai1",
        "--password-file",
        initial.to_str().unwrap(),
    ]);
    cli.ok(&[
        "password",
        "--current-file",
        initial.to_str().unwrap(),
        "--new-file",
        new.to_str().unwrap(),
    ]);
    admin.ok(&[
        "rollcall",
        "admin",
        "assign",
        "bousai1",
        "--disaster-prevention",
        "--org",
        org,
    ]);
    cli
}

// R: K-05 — a disaster-prevention administrator sees, sets, imports, downloads and
// mails only their organisations' members' contacts.
#[test]
fn contacts_from_the_command_line_stay_within_the_administrators_organisations() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let sink = SmtpSink::start();
    let node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let admin = Cli::logged_in(&node);
    let dir = node.dir.path().to_path_buf();
    admin.ok(&["rollcall", "org", "import", &example("rollcall_orgs.csv")]);
    admin.ok(&[
        "rollcall",
        "member",
        "import",
        &example("rollcall_members.csv"),
    ]);
    admin.ok(&[
        "rollcall",
        "mail",
        "set",
        "--sender",
        "anpi@city.example.lg.jp",
        "--host",
        "127.0.0.1",
        "--port",
        &sink.port.to_string(),
        "--security",
        "none",
        "--external-url",
        "https://anpi.city.example.lg.jp",
    ]);
    // 防災危機管理課 and the two 係 below it: S0012045, S0013310, S0014127, S0015502.
    let bousai = disaster_prevention_admin(&admin, &node, "soumu.bousai");

    // The system administrator sets a member of 土木課 (another organisation) and one
    // of 防災危機管理課 on their behalf.
    admin.ok(&[
        "rollcall",
        "contacts",
        "set",
        "--member",
        "S0020118",
        "--phone",
        "090-9999-0000",
        "--mail",
        "kobayashi.home@example.jp",
    ]);
    let set = admin.ok(&[
        "rollcall",
        "contacts",
        "set",
        "--member",
        "S0012045",
        "--phone",
        "090-1111-2222",
        "--mail",
        "yamada.home@example.jp",
    ]);
    assert!(set.contains("代理で設定しました"), "{set}");

    // R: K-05 — the list never shows another organisation's member, phone or address.
    let list = bousai.json(&["rollcall", "contacts", "list", "--json"]);
    assert_eq!(
        codes(&list),
        ["S0012045", "S0013310", "S0014127", "S0015502"]
    );
    let yamada = entry(&list, "S0012045");
    assert_eq!(yamada["phones"][0], "090-1111-2222");
    assert_eq!(yamada["mails"][0]["address"], "yamada.home@example.jp");
    assert_eq!(yamada["mails"][0]["state"], "not_checked");
    assert_eq!(yamada["set_by"], "admin");
    assert_eq!(entry(&list, "S0013310")["missing"], true);
    let text = bousai.ok(&["rollcall", "contacts", "list"]);
    for hidden in ["S0020118", "小林", "090-9999-0000", "kobayashi"] {
        assert!(!text.contains(hidden), "{hidden} shown:\n{text}");
    }
    assert!(
        text.contains("職員番号")
            && text.contains("メールアドレス（確認）")
            && text.contains("yamada.home@example.jp（未送信）")
            && text.contains("代理（admin）"),
        "{text}"
    );
    let missing = bousai.json(&["rollcall", "contacts", "list", "--missing", "--json"]);
    assert_eq!(codes(&missing), ["S0013310", "S0014127", "S0015502"]);

    // R: K-05 — another organisation's member cannot be set, and nothing is written.
    let refused = bousai.run(&[
        "rollcall",
        "contacts",
        "set",
        "--member",
        "S0020118",
        "--phone",
        "03-1234-5678",
    ]);
    assert!(!refused.status.success());
    let message = stderr_and_stdout(&refused);
    assert!(
        message.contains("S0020118") && message.contains("担当組織"),
        "{message}"
    );
    let all = admin.json(&["rollcall", "contacts", "list", "--json"]);
    assert_eq!(entry(&all, "S0020118")["phones"][0], "090-9999-0000");
    assert_eq!(
        entry(&all, "S0020118")["mails"][0]["address"],
        "kobayashi.home@example.jp"
    );

    // R: K-05 — a file naming another organisation's member is refused by the node,
    // naming the line and the 職員番号 column; nothing of it is saved.
    let outside = dir.join("contacts_outside.csv");
    std::fs::write(
        &outside,
        "職員番号,氏名,電話番号,緊急連絡先メールアドレス\r\nS0013310,佐藤　花子,080-3333-4444,sato.home@example.jp\r\nS0020118,小林　大輔,03-5555-6666,\r\n",
    )
    .unwrap();
    let refused = bousai.run(&["rollcall", "contacts", "import", outside.to_str().unwrap()]);
    assert!(!refused.status.success());
    let message = stderr_and_stdout(&refused);
    assert!(
        message.contains("3行目 職員番号: ") && message.contains("S0020118"),
        "{message}"
    );
    assert!(message.contains("何も登録していません"), "{message}");
    let after = bousai.json(&["rollcall", "contacts", "list", "--json"]);
    assert_eq!(entry(&after, "S0013310")["missing"], true, "nothing saved");
    let all = admin.json(&["rollcall", "contacts", "list", "--json"]);
    assert_eq!(entry(&all, "S0020118")["phones"][0], "090-9999-0000");

    // R: K-05 — a bad phone number is refused by the CLI itself, by line and column,
    // before any node is reached (this one is not there at all).
    let bad = dir.join("contacts_bad_phone.csv");
    std::fs::write(
        &bad,
        "職員番号,氏名,電話番号,緊急連絡先メールアドレス\r\nS0013310,佐藤　花子,abc,sato.home@example.jp\r\n",
    )
    .unwrap();
    let offline = Cli {
        binary: bousai.binary.clone(),
        home: bousai.home.clone(),
        node: "http://127.0.0.1:9".into(),
        work: None,
    };
    let refused = offline.run(&["rollcall", "contacts", "import", bad.to_str().unwrap()]);
    assert!(!refused.status.success());
    let message = stderr_and_stdout(&refused);
    assert!(
        message.contains("2行目") && message.contains("電話番号"),
        "{message}"
    );
    assert!(!message.contains("接続できません"), "{message}");

    // A good file is saved (代理設定).
    let good = dir.join("contacts_good.csv");
    std::fs::write(
        &good,
        "職員番号,氏名,電話番号,緊急連絡先メールアドレス\r\nS0013310,佐藤　花子,080-3333-4444,sato.home@example.jp\r\n",
    )
    .unwrap();
    let saved = bousai.ok(&["rollcall", "contacts", "import", good.to_str().unwrap()]);
    assert!(saved.contains("1人の緊急連絡先を登録・更新"), "{saved}");

    // R: K-05 — the download of members without contacts (CP932, the import's
    // format) holds only this administrator's members without contacts; it never
    // replaces a file.
    let out = dir.join("missing.csv");
    bousai.ok(&[
        "rollcall",
        "contacts",
        "export",
        "--missing",
        "--out",
        out.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&out).unwrap();
    let (text, _, malformed) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!malformed && !bytes.starts_with(b"\xEF\xBB\xBF"), "CP932");
    assert!(
        text.starts_with("職員番号,氏名,電話番号,緊急連絡先メールアドレス\r\n"),
        "{text}"
    );
    assert!(text.contains("鈴木　一郎"), "{text}");
    // The import reads it back: the two members still without contacts, no other.
    let rows = anpi_files::rollcall::parse_contacts(&bytes).unwrap();
    let listed: Vec<&str> = rows.iter().map(|r| r.member.as_str()).collect();
    assert_eq!(listed, ["S0014127", "S0015502"], "{text}");
    assert!(rows.iter().all(|r| r.contacts.is_empty()));
    let again = bousai.run(&[
        "rollcall",
        "contacts",
        "export",
        "--missing",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(stderr_and_stdout(&again).contains("既にあります"));

    // R: K-05 — the request goes to those two members' directory addresses only.
    let sent = bousai.ok(&["rollcall", "contacts", "request"]);
    assert!(sent.contains("2人に送信します（2通）"), "{sent}");
    assert!(
        sink.wait_for_count(2, Duration::from_secs(30)),
        "{:?}",
        sink.per_recipient()
    );
    // The check: every contact address of this administrator's members.
    let checked = bousai.ok(&["rollcall", "contacts", "check"]);
    assert!(checked.contains("2人に送信します（2通）"), "{checked}");
    assert!(
        sink.wait_for_count(4, Duration::from_secs(30)),
        "{:?}",
        sink.per_recipient()
    );
    std::thread::sleep(Duration::from_millis(500));
    let got: Vec<String> = sink.per_recipient().into_keys().collect();
    assert_eq!(
        got,
        [
            "sato.home@example.jp",
            "suzuki.ichiro@city.example.lg.jp",
            "takahashi.misaki@city.example.lg.jp",
            "yamada.home@example.jp",
        ]
    );

    // The check results as the console downloads them (UTF-8 with BOM on request).
    let checks = dir.join("checks.csv");
    bousai.ok(&[
        "rollcall",
        "contacts",
        "export",
        "--checks",
        "--encoding",
        "utf8",
        "--out",
        checks.to_str().unwrap(),
    ]);
    let text = String::from_utf8(std::fs::read(&checks).unwrap()).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a byte order mark");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "職員番号,氏名,所属,緊急連絡先メールアドレス,確認状況,送信日時,確認日時"
    );
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].starts_with("S0012045,山田　太郎,")
            && lines[1].contains("防災危機管理課")
            && lines[1].contains("yamada.home@example.jp"),
        "{text}"
    );
    assert!(lines[2].contains("sato.home@example.jp"), "{text}");
    assert!(!text.contains("kobayashi"), "{text}");
}
