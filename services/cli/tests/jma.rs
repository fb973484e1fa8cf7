//! `anpi rollcall jma evaluate` through the real binary, over the example sequence of
//! `schemas/jma/README.md`: no node, no login, the decisions as JSON, exit 1 for the
//! malformed file while the others are still evaluated.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/jma")
}

fn examples() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(schemas().join("examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path().to_str().unwrap().to_string())
        .filter(|path| path.ends_with(".xml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 8);
    files
}

/// Runs `anpi` with a home of its own and no node: the command must not need one.
fn anpi(args: &[&str]) -> Output {
    let home = std::env::temp_dir().join(format!("anpi-jma-test-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_anpi"))
        .args(args)
        .env("ANPI_HOME", &home)
        .env_remove("ANPI_NODE")
        .env_remove("ANPI_TOKEN")
        .env_remove("ANPI_CA")
        .output()
        .unwrap()
}

fn decisions(outcome: &serde_json::Value) -> Vec<&str> {
    outcome["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["decision"].as_str().unwrap())
        .collect()
}

#[test]
fn the_example_sequence_is_evaluated_as_the_readme_says() {
    let conditions = schemas().join("conditions.example.json");
    let mut args = vec![
        "rollcall",
        "jma",
        "evaluate",
        "--conditions",
        conditions.to_str().unwrap(),
        "--json",
    ];
    let files = examples();
    args.extend(files.iter().map(String::as_str));
    let output = anpi(&args);
    // The malformed file makes it exit 1; everything else was evaluated.
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("1件のファイルを読めませんでした"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let outcomes = json.as_array().unwrap();
    assert_eq!(outcomes.len(), 8);
    for (outcome, file) in outcomes.iter().zip(&files) {
        assert_eq!(outcome["file"], file.as_str());
    }

    // 01 震度速報: honsha; the 6弱 condition is not met.
    let first = &outcomes[0];
    assert_eq!(first["telegram"]["kind"], "VXSE51");
    assert_eq!(first["telegram"]["status"], "normal");
    assert_eq!(first["telegram"]["event_id"], "20261206085812");
    assert_eq!(first["telegram"]["serial"], "1");
    assert_eq!(first["telegram"]["max_intensity"], "5+");
    assert_eq!(
        first["telegram"]["prefectures"][0]["areas"][0]["code"],
        "350"
    );
    assert_eq!(decisions(first), ["dispatch", "ignore"]);
    let dispatch = &first["decisions"][0];
    assert_eq!(dispatch["condition"], "首都圏 震度5弱以上");
    assert_eq!(dispatch["event_id"], "20261206085812");
    assert_eq!(dispatch["orgs"], serde_json::json!(["honsha"]));
    assert_eq!(dispatch["mode"], "actual");
    assert_eq!(dispatch["title"], "東京都２３区で震度5強の地震（安否確認）");
    assert_eq!(dispatch["at"], "2026-12-06T00:00:00Z");
    assert!(
        dispatch["reason"].as_str().unwrap().starts_with(
            "「震度速報」（EventID 20261206085812、情報番号1、2026-12-06 09:00 発表）"
        ),
        "{dispatch}"
    );
    assert!(
        first["decisions"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("震度6弱に達していない")
    );

    // 02 震源に関する情報: one ignore.
    assert_eq!(outcomes[1]["telegram"]["kind"], "VXSE52");
    assert_eq!(decisions(&outcomes[1]), ["ignore"]);

    // 03 震源・震度に関する情報: yokohama only.
    assert_eq!(outcomes[2]["telegram"]["kind"], "VXSE53");
    assert_eq!(decisions(&outcomes[2]), ["dispatch", "ignore"]);
    assert_eq!(
        outcomes[2]["decisions"][0]["orgs"],
        serde_json::json!(["yokohama"])
    );
    assert_eq!(
        outcomes[2]["decisions"][0]["title"],
        "横浜中区で震度5弱の地震（安否確認）"
    );

    // 04 取消: cancel, and nothing for the condition that sent nothing.
    assert_eq!(outcomes[3]["telegram"]["info_type"], "cancelled");
    assert_eq!(decisions(&outcomes[3]), ["cancel", "ignore"]);
    assert_eq!(outcomes[3]["decisions"][0]["event_id"], "20261206085812");

    // 05 訓練: a drill for the first condition only.
    assert_eq!(outcomes[4]["telegram"]["status"], "drill");
    assert_eq!(decisions(&outcomes[4]), ["dispatch", "ignore"]);
    assert_eq!(outcomes[4]["decisions"][0]["mode"], "drill");

    // 06 試験, 07 緊急地震速報: one ignore each.
    assert_eq!(outcomes[5]["telegram"]["status"], "test");
    assert_eq!(decisions(&outcomes[5]), ["ignore"]);
    assert_eq!(outcomes[6]["telegram"]["kind"], "early_warning");
    assert_eq!(decisions(&outcomes[6]), ["ignore"]);

    // 08: named with its error, no telegram.
    let malformed = &outcomes[7];
    assert!(malformed.get("telegram").is_none());
    assert!(
        malformed["error"]
            .as_str()
            .unwrap()
            .starts_with("XMLとして正しくありません（"),
        "{malformed}"
    );
}

#[test]
fn without_conditions_the_nationwide_condition_asks_every_organisation() {
    let files = examples();
    let output = anpi(&[
        "rollcall", "jma", "evaluate", &files[0], &files[2], &files[3], "--json",
    ]);
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let first = &json[0]["decisions"][0];
    assert_eq!(first["decision"], "dispatch");
    assert_eq!(first["condition"], "震度5弱以上（全国）");
    assert_eq!(first["orgs"], serde_json::json!([]));
    assert_eq!(json[1]["decisions"][0]["decision"], "ignore");
    assert_eq!(json[2]["decisions"][0]["decision"], "cancel");
}

#[test]
fn people_get_text_and_a_missing_file_is_named() {
    let files = examples();
    let output = anpi(&["rollcall", "jma", "evaluate", &files[0], "no-such-file.xml"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("震度速報（VXSE51）　通常・発表　EventID 20261206085812"),
        "{stdout}"
    );
    assert!(
        stdout.contains("→ 送信: 条件「震度5弱以上（全国）」 組織 全組織"),
        "{stdout}"
    );
    assert!(
        stdout.contains("■ no-such-file.xml\n  読めません: 読み取れません（"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("組み込みの「震度5弱以上（全国）」"),
        "{stderr}"
    );

    let bad = std::env::temp_dir().join(format!("anpi-jma-conditions-{}.json", std::process::id()));
    std::fs::write(
        &bad,
        r#"[{"name": "x", "min_intensity": "5弱", "targets": [{"areas": ["35"]}]}]"#,
    )
    .unwrap();
    let output = anpi(&[
        "rollcall",
        "jma",
        "evaluate",
        &files[0],
        "--conditions",
        bad.to_str().unwrap(),
    ]);
    std::fs::remove_file(&bad).ok();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("に誤りがあります"), "{stderr}");
    assert!(
        stderr.contains("細分区域コードは半角数字3桁です（「35」）"),
        "{stderr}"
    );
}
