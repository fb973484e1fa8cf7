//! `anpi audit verify` through the real binaries (L-05, U-01): OK with the head on an
//! untouched log; after a payload is changed with superuser SQL, exit 1 naming the
//! position, in Japanese and as JSON; an account without the auditor's role refused.

use anpi_harness::{TestDb, TestNode, workspace_bin};

mod support;

use support::Cli;

#[test]
fn verify_reports_the_head_then_the_altered_position() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let cli = Cli::logged_in(&node);
    cli.imported_incident("訓練：監査");

    let out = cli.ok(&["audit", "verify"]);
    assert!(out.contains("ハッシュの連鎖は保たれています"), "{out}");
    let ok = cli.json(&["audit", "verify", "--json"]);
    assert_eq!(ok["ok"], true);
    let head = ok["head_position"].as_i64().unwrap();
    assert!(head > 3, "{ok}");
    // The head printed in full, to keep outside the node, and checked later.
    let kept = out
        .lines()
        .find_map(|line| {
            line.split_once("照合できます）: ")
                .map(|(_, h)| h.trim().to_string())
        })
        .expect("the head line");
    assert!(kept.starts_with(&format!("{head}:")), "{kept}");
    let out = cli.ok(&["audit", "verify", "--expect", &kept]);
    assert!(
        out.contains("控えた末尾のハッシュは、いまもログにあります"),
        "{out}"
    );
    let output = cli.run(&["audit", "verify", "--expect", "12:abc"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("位置:ハッシュ"));

    let (client, connection) = runtime
        .block_on(tokio_postgres::connect(&db.url, tokio_postgres::NoTls))
        .unwrap();
    runtime.spawn(connection);
    // A superuser removes the last event: the log alone cannot tell, the kept head can.
    runtime
        .block_on(client.batch_execute(&format!(
            "BEGIN; ALTER TABLE events DISABLE TRIGGER USER;
             DELETE FROM events WHERE position = {head};
             ALTER TABLE events ENABLE TRIGGER USER; COMMIT;"
        )))
        .unwrap();
    assert_eq!(cli.json(&["audit", "verify", "--json"])["ok"], true);
    let output = cli.run(&["audit", "verify", "--expect", &kept]);
    assert!(!output.status.success());
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("末尾のイベントが削除されています"), "{out}");

    // A superuser changes one entry's name in place.
    let at: i64 = runtime.block_on(async {
        let at: i64 = client
            .query_one(
                "SELECT position FROM events WHERE kind = 'EntryRecorded' ORDER BY position LIMIT 1",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        client
            .batch_execute(&format!(
                "BEGIN; ALTER TABLE events DISABLE TRIGGER USER;
                 UPDATE events SET payload = jsonb_set(payload, '{{data,sealed}}', '\"5Yil5Lq6\"')
                 WHERE position = {at};
                 ALTER TABLE events ENABLE TRIGGER USER; COMMIT;"
            ))
            .await
            .unwrap();
        at
    });
    let output = cli.run(&["audit", "verify"]);
    assert!(!output.status.success());
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains(&format!("位置 {at} のイベントが改変されています")),
        "{out}"
    );
    let output = cli.run(&["audit", "verify", "--json"]);
    let found: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(found["ok"], false);
    assert_eq!(found["break"]["kind"], "altered");
    assert_eq!(found["break"]["position"], at);
    assert_eq!(found["head_position"], at - 1);

    // Starting after the altered event, the rest still holds.
    let rest = cli.json(&["audit", "verify", "--from", &(at + 1).to_string(), "--json"]);
    assert_eq!(rest["ok"], true, "{rest}");
    // A position past the end is a clear error.
    let output = cli.run(&["audit", "verify", "--from", "999999"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("末尾"));
}

/// Issue 21 item 4 through the real binaries: `anpi incident retention` sets the end of
/// the period, `anpi incident purge` refuses a wrong confirmation and then purges (a
/// national node: nothing to report upward first); the incident's records are gone and
/// the log still verifies.
#[test]
fn an_administrator_sets_the_retention_end_and_purges_the_incident() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let node = TestNode::start(&workspace_bin("anpi-node"), "000001", &db.url);
    let cli = Cli::logged_in(&node);
    let incident = cli.imported_incident("訓練：保存期間");
    let listed = |cli: &Cli| {
        cli.json(&["entry", "list", "--incident", &incident, "--json"])
            .as_array()
            .map_or(0, Vec::len)
    };
    assert!(listed(&cli) > 0);

    let output = cli.run(&["incident", "purge", &incident, "--confirm", &incident]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("終了日が設定されていません"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = cli.run(&["incident", "retention", &incident, "--until", "いつか"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("保存期間の終了日"));
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap())
        .date_naive()
        .to_string();
    let out = cli.ok(&["incident", "retention", &incident, "--until", &today]);
    assert!(out.contains("設定しました"), "{out}");
    let listed_incident = |cli: &Cli| {
        cli.json(&["incident", "list", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == incident.as_str())
            .cloned()
            .expect("the incident is listed")
    };
    assert_eq!(listed_incident(&cli)["retention_until"], today.as_str());
    assert!(
        cli.ok(&["incident", "list"])
            .contains(&format!("{today} まで"))
    );
    let output = cli.run(&["incident", "purge", &incident, "--confirm", "yes"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("事案ID"));
    assert!(listed(&cli) > 0, "a refused purge changes nothing");

    let out = cli.ok(&["incident", "purge", &incident, "--confirm", &incident]);
    assert!(out.contains("消去しました"), "{out}");
    assert_eq!(listed(&cli), 0);
    assert!(
        !listed_incident(&cli)["purged_at"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
    assert!(cli.ok(&["incident", "list"]).contains("消去済み"));
    assert_eq!(cli.json(&["audit", "verify", "--json"])["ok"], true);
}
