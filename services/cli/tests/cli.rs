//! The operator's walk-through, driven through the real `anpi` and `anpi-node`
//! binaries against a real PostgreSQL: log in, add the Form 1 and Form 2 examples,
//! refuse the invalid ones, delete one, mark one departed, list them with their states.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anpi_harness::{TestCa, TestDb, TestNode, workspace_bin};

mod support;

use support::Cli;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/json/examples")
}

#[test]
fn an_operator_records_deletes_departs_and_lists() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let password = &node.password_file;
    let cli = Cli::for_node(&node);

    assert_eq!(cli.ok(&["health"]).trim(), "SERVING");
    let denied = cli.run(&["incident", "list"]);
    assert!(!denied.status.success());
    assert!(String::from_utf8_lossy(&denied.stderr).contains("ログイン"));
    cli.ok(&[
        "login",
        "--user",
        "admin",
        "--password-file",
        password.to_str().unwrap(),
    ]);
    let incident = cli.json(&[
        "incident",
        "create",
        "--name",
        "訓練：首都直下地震",
        "--mode",
        "drill",
        "--json",
    ]);
    assert_eq!(incident["mode_label"], "訓練");

    for file in [
        "form1-evacuee.json",
        "form1-injured.json",
        "form1-unidentified-child.json",
        "form2-deceased.json",
        "batch.json",
    ] {
        let path = examples().join(file);
        cli.ok(&["entry", "add", path.to_str().unwrap()]);
    }
    for (file, field) in [
        ("missing-required.json", "birth_date"),
        ("partial-birth-date.json", "西暦1980年生"),
        ("bad-sex-and-severity.json", "injury.severity"),
        ("form2-without-death.json", "death"),
    ] {
        let path = examples().join("invalid").join(file);
        let output = cli.run(&["entry", "add", path.to_str().unwrap()]);
        assert!(!output.status.success(), "{file} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("入力エラー") && stderr.contains(field),
            "{file}: {stderr}"
        );
    }

    let records = cli.json(&["entry", "list", "--json"]);
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 6);
    let find = |name: &str| {
        records.iter().find(|r| r["display_name"] == name).unwrap()["record_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let taro = find("消防　太郎");
    let jiro = find("山田 次郎");
    cli.ok(&["entry", "depart", &taro, "--date", "2026-11-22"]);
    cli.ok(&["entry", "delete", &jiro, "--reason", "重複登録"]);
    let again = cli.run(&["entry", "delete", &jiro, "--reason", "重複登録"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("既に削除"));

    let all = cli.json(&["entry", "list", "--all", "--json"]);
    let mut states: Vec<String> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state_label"].as_str().unwrap().to_string())
        .collect();
    states.sort();
    assert_eq!(states, ["削除", "死亡", "負傷", "退去", "避難", "避難"]);
    let live = cli.json(&["entry", "list", "--json"]);
    assert_eq!(live.as_array().unwrap().len(), 5);
    let table = cli.ok(&["entry", "list", "--all"]);
    assert!(
        table.contains("退去") && table.contains("削除") && table.contains("記入日時"),
        "{table}"
    );
    let shown = cli.ok(&["entry", "show", &taro]);
    assert!(
        shown.contains("昭和56年11月25日") && shown.contains("退去日: 2026-11-22"),
        "{shown}"
    );

    let events = cli.json(&["events", "--json"]);
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "EntryRecorded").count(), 6);
    assert_eq!(kinds.last(), Some(&"EntryDeleted"));
    let since = cli.json(&["events", "--since", "3", "--json"]);
    assert_eq!(since.as_array().unwrap()[0]["position"], 4);

    // U-01: an auditor's filters — by kind, record, actor and time received.
    let count = |args: &[&str]| {
        let mut all = vec!["events"];
        all.extend_from_slice(args);
        all.push("--json");
        cli.json(&all).as_array().unwrap().len()
    };
    assert_eq!(count(&["--kind", "EntryDeleted"]), 1);
    assert_eq!(count(&["--kind", "EntryDeleted,DepartureRecorded"]), 2);
    let jiro_events = cli.json(&["events", "--record", &jiro, "--json"]);
    let kinds: Vec<&str> = jiro_events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["EntryRecorded", "EntryDeleted"]);
    let everything = events.as_array().unwrap().len();
    assert_eq!(
        count(&["--actor", "admin"]),
        everything - 1,
        "all but the node's own key event"
    );
    assert_eq!(count(&["--actor", "131016/admin"]), everything - 1);
    assert_eq!(count(&["--actor", "someone"]), 0);
    assert_eq!(count(&["--from", "2099-01-01 00:00"]), 0);
    assert_eq!(count(&["--until", "2099-01-01 00:00"]), everything);
    let bad = cli.run(&["events", "--record", "not-an-id", "--from", "昨日"]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("record_id") && stderr.contains("from"),
        "{stderr}"
    );
}

/// Polls `probe` every 200 ms for up to 60 s.
fn eventually(what: &str, mut probe: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !probe() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn an_operator_reports_pauses_and_reads_the_history() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let nats = anpi_harness::NatsServer::start();
    let node_bin = workspace_bin("anpi-node");
    let (muni_db, pref_db) =
        runtime.block_on(async { (TestDb::create().await, TestDb::create().await) });
    let muni = TestNode::start_in_network(&node_bin, "131016", &muni_db.url, &nats.url);
    let pref = TestNode::start_in_network(&node_bin, "130001", &pref_db.url, &nats.url);
    let (chiyoda, tokyo) = (Cli::logged_in(&muni), Cli::logged_in(&pref));
    // A-05: the prefecture's administrator registers 千代田区's report-signing key, as
    // `anpi trust key` printed it there; only direct children are accepted.
    let key = chiyoda.json(&["trust", "key", "--json"]);
    let public_key = key["public_key"].as_str().unwrap().to_string();
    assert_eq!(public_key.len(), 64);
    assert!(chiyoda.ok(&["trust", "key"]).contains(&public_key));
    let wrong = tokyo.run(&["trust", "add", "271004", &public_key]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("報告する団体"));
    let bad = tokyo.run(&["trust", "add", "131016", "12345"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("16進数64桁"));
    assert!(
        tokyo
            .ok(&["trust", "add", "131016", &public_key])
            .contains("登録しました")
    );
    let listed = tokyo.ok(&["trust", "list"]);
    assert!(
        listed.contains("131016") && listed.contains(key["fingerprint"].as_str().unwrap()),
        "{listed}"
    );
    let id = uuid::Uuid::now_v7().to_string();
    for cli in [&chiyoda, &tokyo] {
        cli.ok(&[
            "incident",
            "create",
            "--name",
            "訓練：報告",
            "--mode",
            "drill",
            "--id",
            &id,
        ]);
    }
    // Creating the announced incident again changes nothing.
    chiyoda.ok(&[
        "incident",
        "create",
        "--name",
        "訓練：報告",
        "--mode",
        "drill",
        "--id",
        &id,
    ]);
    assert_eq!(
        chiyoda
            .json(&["incident", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let path = examples().join("form1-evacuee.json");
    chiyoda.ok(&["entry", "add", path.to_str().unwrap()]);
    let reply = chiyoda.json(&["report", "--json"]);
    assert_eq!(reply["reported"], true);
    assert_eq!(reply["report"]["event_count"], 2);
    assert!(
        chiyoda
            .ok(&["report"])
            .contains("未報告の安否情報はありません")
    );
    eventually("the prefecture to apply the report", || {
        tokyo.json(&["reports", "history", "--json"])["received"]
            .as_array()
            .is_some_and(|r| r.len() == 1)
    });
    let history = tokyo.ok(&["reports", "history"]);
    assert!(
        history.contains("131016") && history.contains("★未報告"),
        "{history}"
    );
    eventually("the receipt", || {
        chiyoda
            .ok(&["reports", "history"])
            .contains("報告先で受理済み")
    });

    assert!(
        tokyo
            .ok(&["intake", "pause", "--reports"])
            .contains("一時停止しました")
    );
    assert_eq!(
        tokyo.json(&["intake", "status", "--json"])["reports"]["paused"],
        true
    );
    tokyo.ok(&["intake", "resume", "--reports"]);
    let both = tokyo.run(&["intake", "pause", "--own", "--reports"]);
    assert!(!both.status.success(), "one scope at a time");

    chiyoda.ok(&["intake", "pause", "--own"]);
    let refused = chiyoda.run(&["entry", "add", path.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("一時停止"));
    chiyoda.ok(&["intake", "resume", "--own"]);
    chiyoda.ok(&["entry", "add", path.to_str().unwrap()]);
    let info = chiyoda.ok(&["info"]);
    assert!(info.contains("未報告の件数: 1"), "{info}");
}

#[test]
fn an_organiser_sees_duplicates_merges_searches_and_replays() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let cli = Cli::logged_in(&node);
    cli.ok(&[
        "incident",
        "create",
        "--name",
        "訓練：整理",
        "--mode",
        "drill",
    ]);
    let evacuee = examples().join("form1-evacuee.json");
    let injured = examples().join("form1-injured.json");
    // The same form entered twice: the automatic removal keeps the later one (例1).
    let first = cli.json(&["entry", "add", evacuee.to_str().unwrap(), "--json"]);
    let second = cli.json(&["entry", "add", evacuee.to_str().unwrap(), "--json"]);
    cli.ok(&["entry", "add", injured.to_str().unwrap()]);
    let first_id = first[0]["record_id"].as_str().unwrap().to_string();
    let second_id = second[0]["record_id"].as_str().unwrap().to_string();

    let screen = cli.json(&["organise", "--json"]);
    assert_eq!(screen["total"], 3, "{screen}");
    let removed = screen["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["record"]["record_id"] == first_id.as_str())
        .unwrap();
    assert_eq!(removed["state_label"], "削除");
    assert_eq!(removed["duplicate_of"], second_id.as_str());
    let text = cli.ok(&["organise"]);
    assert!(
        text.contains("重複検索・報告") && text.contains("未報告"),
        "{text}"
    );

    let found = cli.ok(&["search", "--fuzzy", "--name", "花子"]);
    assert!(
        found.contains("消防　花子") && found.contains("該当: 1件"),
        "{found}"
    );
    let found = cli.json(&["search", "--name", "消防太郎", "--json"]);
    assert_eq!(found["records"].as_array().unwrap().len(), 2, "{found}");
    let refused = cli.run(&["search", "--birth", "昭和99年1月1日"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("出生の年月日"));

    // The operator deletes the injured record as a duplicate of the kept evacuee.
    let injured_id =
        cli.json(&["search", "--fuzzy", "--name", "花子", "--json"])["records"][0]["record_id"]
            .as_str()
            .unwrap()
            .to_string();
    let merged = cli.ok(&["organise", "merge", &second_id, &injured_id]);
    assert!(merged.contains("重複として削除しました"), "{merged}");
    let again = cli.run(&["organise", "merge", &second_id, &injured_id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("既に削除"));

    let replay = cli.ok(&["replay"]);
    assert!(replay.contains("すべて一致しました"), "{replay}");
    let audit = cli.json(&[
        "replay",
        "--into",
        "audit_2000",
        "--until",
        "2000-01-01 00:00",
        "--json",
    ]);
    assert_eq!(
        (audit["records"].as_i64(), audit["through"].as_i64()),
        (Some(0), Some(0)),
        "{audit}"
    );
    let bad = cli.run(&["replay", "--into", "Bad-Name"]);
    assert!(!bad.status.success());
}

#[test]
fn national_staff_publish_and_every_operator_sees_the_version() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let nats = anpi_harness::NatsServer::start();
    let db = runtime.block_on(TestDb::create());
    let node =
        TestNode::start_in_network(&workspace_bin("anpi-node"), "000001", &db.url, &nats.url);
    let cli = Cli::logged_in(&node);
    cli.ok(&[
        "incident",
        "create",
        "--name",
        "訓練：公開",
        "--mode",
        "drill",
    ]);

    let none = cli.ok(&["shared"]);
    assert!(none.contains("まだ受信していません"), "{none}");
    let refused = cli.run(&["search", "--shared", "--name", "消防太郎"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("共用領域"));
    let empty = cli.ok(&["publish"]);
    assert!(
        empty.contains("公開する安否情報がまだありません"),
        "{empty}"
    );

    let evacuee = examples().join("form1-evacuee.json");
    cli.ok(&["entry", "add", evacuee.to_str().unwrap()]);
    let published = cli.ok(&["publish"]);
    assert!(
        published.contains("第1版を公開しました") && published.contains("配信を終えました"),
        "{published}"
    );
    let status = cli.ok(&["shared"]);
    assert!(
        status.contains("第1版") && status.contains("保持 1件") && status.contains("配信済み"),
        "{status}"
    );
    let found = cli.ok(&["search", "--shared", "--name", "消防太郎"]);
    assert!(
        found.contains("共用領域（第1版") && found.contains("該当: 1件"),
        "{found}"
    );
    let again = cli.json(&["publish", "--json"]);
    assert_eq!(again["published"], false, "{again}");
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("新しい版は作りません")
    );
}

#[test]
fn an_administrator_issues_accounts_and_an_auditor_reads_the_log() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let admin = Cli::logged_in(&node);
    admin.ok(&[
        "incident",
        "create",
        "--name",
        "訓練：権限",
        "--mode",
        "drill",
    ]);
    let evacuee = examples().join("form1-evacuee.json");
    admin.ok(&["entry", "add", evacuee.to_str().unwrap()]);

    let issued = admin.json(&[
        "account",
        "create",
        "--id",
        "audit01",
        "--holder",
        "監査 太郎",
        "--affiliation",
        "監査室",
        "--contact",
        "内線 9000",
        "--role",
        "auditor",
        "--json",
    ]);
    let initial = issued["initial_password"].as_str().unwrap().to_string();
    let text = admin.ok(&["account", "list"]);
    assert!(
        text.contains("audit01") && text.contains("監査室") && text.contains("監査"),
        "{text}"
    );

    // The auditor logs in with the one-time password, must change it, then reads the log.
    let auditor = Cli {
        binary: admin.binary.clone(),
        home: node.dir.path().join("auditor-home"),
        node: admin.node.clone(),
        work: None,
    };
    let dir = node.dir.path();
    std::fs::write(dir.join("initial"), format!("{initial}\n")).unwrap();
    std::fs::write(dir.join("new"), "Audit-2026-pass\n").unwrap();
    let initial_file = dir.join("initial");
    let new_file = dir.join("new");
    let login = auditor.ok(&[
        "login",
        "--user",
        "audit01",
        "--password-file",
        initial_file.to_str().unwrap(),
    ]);
    assert!(login.contains("初期パスワード"), "{login}");
    let blocked = auditor.run(&["audit", "reads"]);
    assert!(!blocked.status.success());
    auditor.ok(&[
        "password",
        "--current-file",
        initial_file.to_str().unwrap(),
        "--new-file",
        new_file.to_str().unwrap(),
    ]);
    admin.ok(&["search", "--name", "消防太郎"]);
    let reads = auditor.json(&["audit", "reads", "--json"]);
    let first = &reads["reads"][0];
    assert_eq!(
        (first["operation"].as_str(), first["account"].as_str()),
        (Some("search"), Some("admin"))
    );
    assert_eq!(first["results"], 1);
    // The auditor may not enter data; the refusal says why.
    let refused = auditor.run(&["entry", "add", evacuee.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("監査"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let withdrawn = admin.ok(&["account", "withdraw", "audit01"]);
    assert!(withdrawn.contains("返却しました"), "{withdrawn}");
}

/// A-05, issue 7 item 7: the CLI reaches a node that serves gRPC over TLS only through
/// the CA given with `--ca` / `ANPI_CA` (or saved with the login); a certificate of
/// another CA, plaintext to the TLS port and `https` without a CA all fail before any
/// password is sent, and nothing is saved.
#[test]
fn the_cli_reaches_a_tls_node_only_through_its_ca() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let ca = TestCa::new("anpi");
    let unrelated = TestCa::new("unrelated");
    let node = TestNode::start_tls(&workspace_bin("anpi-node"), "131016", &db.url, &ca);
    let https = node.addr().to_string();
    assert_eq!(https, format!("https://127.0.0.1:{}", node.process.port));
    let home = node.dir.path().join("home");
    let logins = home.join("logins.json");
    let password_file = node.password_file.to_str().unwrap().to_string();
    // Only what the arguments say: no node, token or CA from the environment.
    let anpi = |args: &[&str], ca_env: Option<&Path>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_anpi"));
        command
            .args(args)
            .env("ANPI_HOME", &home)
            .env_remove("ANPI_NODE")
            .env_remove("ANPI_TOKEN")
            .env_remove("ANPI_CA");
        if let Some(ca) = ca_env {
            command.env("ANPI_CA", ca);
        }
        command.output().expect("running anpi")
    };
    let text = |output: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let login = |node: &str, ca: Option<&Path>| {
        let mut args = vec!["--node", node];
        if let Some(ca) = ca {
            args.extend(["--ca", ca.to_str().unwrap()]);
        }
        args.extend([
            "login",
            "--user",
            "admin",
            "--password-file",
            &password_file,
        ]);
        anpi(&args, None)
    };

    // https without a CA: refused with the clear message, nothing attempted.
    for output in [
        login(&https, None),
        anpi(&["--node", &https, "health"], None),
    ] {
        assert!(!output.status.success());
        assert!(
            text(&output).contains("https node needs --ca or ANPI_CA"),
            "{}",
            text(&output)
        );
    }

    // The node's certificate does not verify with another CA: a certificate error,
    // the password never sent (nor shown), no login saved.
    for output in [
        login(&https, Some(&unrelated.cert)),
        anpi(&["--node", &https, "health"], Some(&unrelated.cert)),
    ] {
        assert!(!output.status.success());
        let shown = text(&output);
        assert!(shown.contains("certificate"), "{shown}");
        assert!(shown.contains("証明書を検証できません"), "{shown}");
        assert!(!shown.contains(&node.password), "{shown}");
    }
    assert!(!logins.exists(), "a failed TLS login saved something");

    // Plaintext to the TLS port fails too.
    let plain = https.replacen("https://", "http://", 1);
    for output in [
        login(&plain, None),
        anpi(&["--node", &plain, "health"], None),
    ] {
        assert!(!output.status.success(), "{}", text(&output));
        assert!(text(&output).contains("--ca"), "{}", text(&output));
        assert!(!text(&output).contains(&node.password));
    }
    assert!(!logins.exists(), "a failed plaintext login saved something");

    // A CA file that is not a certificate is named in the error.
    let garbage = node.dir.path().join("not-a-ca.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let output = anpi(&["--node", &https, "health"], Some(&garbage));
    assert!(!output.status.success());
    assert!(text(&output).contains("not-a-ca.pem"), "{}", text(&output));

    // The right CA, by flag: the login works and the CA is saved with it…
    let output = login(&https, Some(&ca.cert));
    assert!(output.status.success(), "{}", text(&output));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&logins).unwrap()).unwrap();
    assert_eq!(saved["current"], https.as_str());
    assert_eq!(
        saved["nodes"][https.as_str()]["ca"],
        ca.cert.to_str().unwrap()
    );
    // …so later commands need neither --node nor --ca.
    let output = anpi(&["info", "--json"], None);
    assert!(output.status.success(), "{}", text(&output));
    let info: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(info["jurisdiction"], "131016");
    let output = anpi(&["health"], None);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "SERVING");
    assert!(node.log().contains("tls=true"), "{}", node.log());
    // ANPI_CA works as the flag does; a flag or ANPI_CA overrides the saved CA.
    let output = anpi(&["--node", &https, "health"], Some(&ca.cert));
    assert!(output.status.success(), "{}", text(&output));
    let output = anpi(&["info"], Some(&unrelated.cert));
    assert!(!output.status.success());
    assert!(text(&output).contains("certificate"), "{}", text(&output));
}

/// A-04, the incident procedure after a compromised ID: the administrator exports the
/// private area (entry-file format, mode 600), purges it (an event naming who and why;
/// the log keeps every record) and registers the export again; a replay of the log
/// still equals the read model.
#[test]
fn an_administrator_exports_purges_and_reuploads_the_private_area() {
    use std::os::unix::fs::PermissionsExt;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let cli = Cli::logged_in(&node);
    cli.ok(&[
        "incident",
        "create",
        "--name",
        "訓練：ID漏えい",
        "--mode",
        "drill",
    ]);
    for file in [
        "form1-evacuee.json",
        "form1-injured.json",
        "form2-deceased.json",
    ] {
        cli.ok(&["entry", "add", examples().join(file).to_str().unwrap()]);
    }
    let names = |cli: &Cli| {
        let mut names: Vec<String> = cli
            .json(&["entry", "list", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["display_name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    let before = names(&cli);
    assert_eq!(before.len(), 3);

    let file = node.dir.path().join("export.json");
    let exported = cli.ok(&["entry", "export", file.to_str().unwrap()]);
    assert!(exported.contains("3件"), "{exported}");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let again = cli.run(&["entry", "export", file.to_str().unwrap()]);
    assert!(!again.status.success(), "an export never overwrites a file");
    // T-04: the file says which incident it holds and that it is a drill; A-06: the
    // export is in the read log as an export, with its row count.
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written["export"]["mode"], "drill");
    assert_eq!(written["export"]["incident_name"], "訓練：ID漏えい");
    assert_eq!(written["entries"].as_array().unwrap().len(), 3);
    let exports: i64 = runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .query_one(
                "SELECT COALESCE(sum(results), 0)::bigint FROM read_log WHERE operation = 'export_records'",
                &[],
            )
            .await
            .unwrap()
            .get(0)
    });
    assert_eq!(exports, 3);
    // An export of a drill is never registered under an incident of the other mode.
    let mut relabelled = written.clone();
    relabelled["export"]["mode"] = "actual".into();
    let actual_file = node.dir.path().join("as-actual.json");
    std::fs::write(&actual_file, relabelled.to_string()).unwrap();
    let crossed = cli.run(&["entry", "add", actual_file.to_str().unwrap()]);
    assert!(!crossed.status.success());
    assert!(
        String::from_utf8_lossy(&crossed.stderr).contains("訓練と実事案の安否情報は混ぜません"),
        "{}",
        String::from_utf8_lossy(&crossed.stderr)
    );

    let unconfirmed = cli.run(&[
        "entry",
        "purge",
        "--reason",
        "ID漏えい",
        "--confirm",
        "131041",
    ]);
    assert!(!unconfirmed.status.success());
    assert!(String::from_utf8_lossy(&unconfirmed.stderr).contains("131016"));
    assert_eq!(names(&cli).len(), 3, "nothing purged without confirmation");
    let purged = cli.ok(&[
        "entry",
        "purge",
        "--reason",
        "ID漏えいによる再登録",
        "--confirm",
        "131016",
    ]);
    assert!(purged.contains("3 件を消去"), "{purged}");
    assert!(names(&cli).is_empty());
    let events = cli.json(&["events", "--json"]);
    let purge = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "PrivateAreaPurged")
        .expect("the purge is an event");
    assert_eq!(purge["actor"], "131016/admin");
    assert!(
        purge["payload_json"]
            .as_str()
            .unwrap()
            .contains("ID漏えいによる再登録")
    );

    cli.ok(&["entry", "add", file.to_str().unwrap()]);
    assert_eq!(names(&cli), before);
    let replay = cli.ok(&["replay"]);
    assert!(replay.contains("すべて一致しました"), "{replay}");
}

/// Issue 13 item 5: entry files that serde_json alone would take wrongly (a duplicate
/// key, last wins), describe badly (a type error without its field, a 10 MB field as
/// the transport's "decoded message length too large") or let through (a line feed,
/// U+202E or U+200B in a name) are refused naming the field by JSON pointer and form
/// label, before anything is sent; the node refuses the same characters from any gRPC
/// client (it calls `entry::validate`). Issue 13 item 6b: a Form 2 restriction by the
/// bereaved is recorded, and ⑭ does not widen ⑬. R: E-03, E-08, E-09, E-15.
#[test]
fn hostile_entry_files_are_refused_by_field_and_consent_is_kept_as_given() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let cli = Cli::logged_in(&node);
    cli.ok(&[
        "incident",
        "create",
        "--name",
        "訓練：入力検査",
        "--mode",
        "drill",
    ]);

    let entry = |name: &str| {
        format!(
            r#"{{"form":"form1","written_at":"2026-11-21 14:30","name":"{name}","furigana":"ショウボウ　タロウ","birth_date":"1981-11-25","sex":"男","address":{{"prefecture":"東京都","municipality":"千代田区"}},"injury":{{"status":"非該当"}}}}"#
        )
    };
    let big = "x".repeat(10 * 1024 * 1024);
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "duplicate.json",
            entry("消防　太郎").replace(r#""sex":"男""#, r#""sex":"男","sex":"女""#),
            vec!["/sex", "男女の別", "2回"],
        ),
        (
            "type.json",
            format!(
                "[{}]",
                entry("消防　太郎")
                    .replace(r#""injury""#, r#""consent":{"family":"yes"},"injury""#,)
            ),
            vec![
                "/0/consent/family",
                "親族・同居者への回答",
                "「true」または「false」",
            ],
        ),
        (
            "number.json",
            entry("消防　太郎").replace(r#""消防　太郎""#, "123"),
            vec!["/name", "氏名", "文字列"],
        ),
        (
            "big.json",
            entry(&big),
            vec!["/name", "氏名", "100文字以内"],
        ),
        (
            "newline.json",
            entry(r"消防\n太郎"),
            vec!["/name", "氏名", "改行"],
        ),
        (
            "override.json",
            entry(r"消防\u202e太郎"),
            vec!["/name", "氏名", "U+202E"],
        ),
        (
            "zwsp.json",
            entry(r"消防\u200b太郎"),
            vec!["/name", "氏名", "U+200B"],
        ),
    ];
    for (file, text, expected) in cases {
        let path = node.dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        let output = cli.run(&["entry", "add", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{file} was accepted");
        for words in expected {
            assert!(stderr.contains(words), "{file}: {words}: {stderr}");
        }
        assert!(stderr.contains("入力エラー"), "{file}: {stderr}");
        assert!(!stderr.contains("too large"), "{file}: {stderr}");
    }
    let invalid = examples().join("invalid").join("hidden-characters.json");
    let output = cli.run(&["entry", "add", invalid.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/name")
            && stderr.contains("/furigana")
            && stderr.contains("/address/municipality"),
        "{stderr}"
    );
    assert_eq!(
        cli.json(&["entry", "list", "--json"]),
        serde_json::json!([]),
        "nothing was sent"
    );

    // The node itself refuses them from any client, naming the field.
    runtime.block_on(async {
        use anpi_proto::v1;
        let password = std::fs::read_to_string(&node.password_file).unwrap();
        let channel = tonic::transport::Channel::from_shared(node.addr().to_string())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let token = v1::auth_client::AuthClient::new(channel.clone())
            .login(v1::LoginRequest {
                account: "admin".into(),
                password: password.lines().next().unwrap().into(),
            })
            .await
            .unwrap()
            .into_inner()
            .token;
        let mut client = v1::node_client::NodeClient::new(channel);
        fn authorized<T>(token: &str, message: T) -> tonic::Request<T> {
            let mut request = tonic::Request::new(message);
            let value = format!("Bearer {token}").parse().unwrap();
            request.metadata_mut().insert("authorization", value);
            request
        }
        let incidents = client
            .list_incidents(authorized(&token, v1::ListIncidentsRequest::default()))
            .await
            .unwrap()
            .into_inner()
            .incidents;
        for (name, code) in [
            ("消防\u{202E}太郎", "U+202E"),
            ("消防\n太郎", "U+000A"),
            ("消防\u{200B}太郎", "U+200B"),
        ] {
            let draft: anpi_core::entry::EntryDraft =
                serde_json::from_str(&entry("消防　太郎")).unwrap();
            let mut wire = anpi_proto::draft_to_proto(&draft);
            wire.name = name.into();
            let status = client
                .record_entry(authorized(
                    &token,
                    v1::RecordEntryRequest {
                        incident_id: incidents[0].id.clone(),
                        draft: Some(wire),
                        ..Default::default()
                    },
                ))
                .await
                .expect_err("the node refuses it");
            assert_eq!(status.code(), tonic::Code::InvalidArgument, "{name:?}");
            assert!(
                status.message().contains("氏名") && status.message().contains(code),
                "{name:?}: {}",
                status.message()
            );
        }
    });
    assert_eq!(
        cli.json(&["entry", "list", "--json"]),
        serde_json::json!([])
    );

    // Form 2: the bereaved's restriction of single items is recorded as given.
    let restricted = examples().join("form2-restricted.json");
    cli.ok(&["entry", "add", restricted.to_str().unwrap()]);
    // Form 1: ⑭ 同意する with ⑬ at its default is flagged for re-confirmation.
    let evacuee = examples().join("form1-evacuee.json");
    let added = cli.ok(&["entry", "add", evacuee.to_str().unwrap()]);
    assert!(
        added.contains("注意") && added.contains("再確認"),
        "{added}"
    );
    let records = cli.json(&["entry", "list", "--json"]);
    let consent = |name: &str| -> serde_json::Value {
        let record = records
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["display_name"] == name)
            .unwrap_or_else(|| panic!("{name}: {records}"));
        serde_json::from_str(record["consent_json"].as_str().unwrap()).unwrap()
    };
    let deceased = consent("消防　花子");
    for audience in ["family", "acquaintance", "others"] {
        let fields = deceased[audience].as_array().unwrap();
        assert!(
            !fields.contains(&serde_json::json!("location")),
            "{deceased}"
        );
        assert!(
            fields.contains(&serde_json::json!("injury_state")),
            "{deceased}"
        );
    }
    assert!(
        !deceased["others"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("contact"))
    );
    let evacuee = consent("消防　太郎");
    assert_eq!(
        evacuee["acquaintance"],
        serde_json::json!(["name", "identifying_info", "injury_flag"]),
        "⑭ does not widen ⑬: {evacuee}"
    );
}
