//! `anpi publication` through the real binaries: a decision refused
//! without its reason (named), recorded with it and shown with its basis; a person who
//! refused publication cannot be published; the publication list as a table, JSON and
//! a CSV file with the incident's mode in its first line; the minimal information only.

use anpi_harness::{TempDir, TestDb, TestNode, workspace_bin};

mod support;

use support::Cli;

#[test]
fn decisions_are_recorded_with_their_reason_and_make_the_publication_list() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let cli = Cli::logged_in(&node);
    cli.imported_incident("訓練：公表");
    let records = cli.json(&["entry", "list", "--json"]);
    let find = |name: &str| {
        records
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["display_name"] == name)
            .unwrap_or_else(|| panic!("{name} in {records}"))["record_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let taro = find("消防　太郎"); // ⑭ 同意する

    // Nothing decided yet; the list is empty.
    let shown = cli.ok(&["publication", "show", &taro]);
    assert!(shown.contains("公表の判断: まだありません"), "{shown}");
    let list = cli.json(&["publication", "list", "--json"]);
    assert_eq!(list["people"].as_array().map_or(0, Vec::len), 0, "{list}");

    // Refused without a reason or without a choice, named in Japanese.
    let refused = cli.run(&["publication", "decide", &taro, "--publish"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("判断の理由"), "{stderr}");
    let refused = cli.run(&["publication", "decide", &taro, "--reason", "x"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--publish"));

    let status = cli.json(&[
        "publication",
        "decide",
        &taro,
        "--publish",
        "--reason",
        "本人が公表に同意（防災課長判断）",
        "--json",
    ]);
    assert_eq!(status["collected_here"], true);
    assert_eq!(status["history"][0]["basis"], "consent", "{status}");
    assert_eq!(status["history"][0]["label"], "公表する");
    let shown = cli.ok(&["publication", "show", &taro]);
    assert!(
        shown.contains("公表の判断: 公表する") && shown.contains("防災課長判断"),
        "{shown}"
    );

    // The list: name, age, municipality only.
    let list = cli.json(&["publication", "list", "--json"]);
    let people = list["people"].as_array().unwrap();
    assert_eq!(people.len(), 1, "{list}");
    assert_eq!(people[0]["name"], "消防　太郎");
    assert_eq!(people[0]["municipality"], "東京都千代田区");
    assert!(people[0]["age"].as_i64().unwrap() >= 45, "{list}");
    let table = cli.ok(&["publication", "list"]);
    assert!(
        table.contains("公表一覧") && table.contains("東京都千代田区"),
        "{table}"
    );
    assert!(!table.contains("霞が関"), "{table}");

    let dir = TempDir::new("anpi-publication");
    let file = dir.path().join("公表一覧.csv");
    cli.ok(&[
        "publication",
        "list",
        "--csv",
        file.to_str().unwrap(),
        "--encoding",
        "utf8",
    ]);
    let bytes = std::fs::read(&file).unwrap();
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert!(
        lines[0].starts_with("公表一覧 【訓練】 訓練：公表"),
        "{text}"
    );
    assert_eq!(lines[1], "氏名,年齢,市区町村");
    assert!(lines[2].starts_with("消防　太郎,") && lines[2].ends_with(",東京都千代田区"));
    assert_eq!(lines.len(), 4, "{text}");

    // Withholding replaces the decision: the list is empty again, the history kept.
    cli.ok(&[
        "publication",
        "decide",
        &taro,
        "--withhold",
        "--reason",
        "家族から公表しないよう申出",
    ]);
    let list = cli.json(&["publication", "list", "--json"]);
    assert_eq!(list["people"].as_array().map_or(0, Vec::len), 0, "{list}");
    let status = cli.json(&["publication", "show", &taro, "--json"]);
    assert_eq!(status["history"].as_array().unwrap().len(), 2);
    assert_eq!(status["history"][1]["publish"], false);
}
