//! A-04 round trip through the real `anpi` and `anpi-node` binaries: a jurisdiction
//! downloads its private area as CSV, purges it, and uploads the file again; every
//! record comes back with its state — departures, deaths, deletions by hand and by
//! automatic duplicate removal — and the read model compares equal before and after
//! (record IDs, positions and times aside, which a re-upload makes anew, and with them
//! the wording of duplicate removal's reason, which compares reception times).

use std::path::Path;

use anpi_harness::{TestDb, TestNode, workspace_bin};
use serde_json::Value;

mod support;

use support::Cli;

/// The read model of an incident, in log order, without what a re-upload makes anew:
/// each record's entry as typed, its state, its departure date, whether it is a
/// removed duplicate, and its deletion reason with record IDs blanked.
async fn read_model(url: &str, incident: &str) -> Vec<Value> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let incident: uuid::Uuid = incident.parse().unwrap();
    let rows = client
        .query(
            "SELECT data FROM records WHERE incident_id = $1 ORDER BY recorded_position",
            &[&incident],
        )
        .await
        .unwrap();
    let uuid = |text: &str| {
        text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
            .fold(text.to_string(), |out, word| {
                if uuid::Uuid::parse_str(word).is_ok() {
                    out.replace(word, "<ID>")
                } else {
                    out
                }
            })
    };
    rows.iter()
        .map(|row| {
            let data: Value = row.get(0);
            let duplicate = data["duplicate_of"].is_string();
            // Duplicate removal's reason tells how the reception times compared; a
            // re-upload is received anew, so only the removal itself is compared.
            let reason = match data["deletion"]["reason"].as_str() {
                Some(reason) if duplicate => {
                    assert!(reason.starts_with("自動重複除去"), "{reason}");
                    Some("自動重複除去".to_string())
                }
                other => other.map(uuid),
            };
            serde_json::json!({
                "draft": data["entry"]["draft"],
                "status": data["entry"]["parsed"]["status"],
                "departed_on": data["departure"]["date"],
                "deleted_reason": reason,
                "duplicate": duplicate,
            })
        })
        .collect()
}

#[test]
fn a_csv_download_purged_and_uploaded_again_keeps_every_records_state() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let work = node.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let cli = Cli {
        work: Some(work.clone()),
        ..Cli::logged_in(&node)
    };
    let incident = cli.incident("訓練：再登録");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/csv/examples");
    let import = |file: &str| {
        cli.ok(&["entry", "import", file, "--incident", &incident]);
    };
    import(examples.join("form1.csv").to_str().unwrap());
    import(examples.join("form2.csv").to_str().unwrap());
    // The same evacuees again: automatic duplicate removal deletes one of each pair.
    import(examples.join("form1.csv").to_str().unwrap());

    let list = cli.json(&["entry", "list", "--incident", &incident, "--json"]);
    let live: Vec<&Value> = list.as_array().unwrap().iter().collect();
    let id_of = |state: &str| {
        live.iter()
            .find(|r| r["state"] == state)
            .unwrap_or_else(|| panic!("no {state} record in {list}"))["record_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let evacuee = id_of("evacuated");
    let injured = id_of("injured");
    cli.ok(&["entry", "depart", &evacuee, "--date", "2026-11-22"]);
    // A reason beginning with "-" travels through the download's formula neutralising.
    cli.ok(&["entry", "delete", &injured, "--reason=-誤登録（別人）"]);

    let before = runtime.block_on(read_model(&db.url, &incident));
    let states: Vec<_> = before.iter().map(|r| r["status"].clone()).collect();
    assert!(states.contains(&Value::from("dead")), "{before:#?}");
    assert!(
        before.iter().any(|r| r["duplicate"] == true),
        "a removed duplicate: {before:#?}"
    );
    assert!(before.iter().any(|r| r["departed_on"] == "2026-11-22"));
    assert!(
        before
            .iter()
            .any(|r| r["deleted_reason"] == "-誤登録（別人）")
    );

    cli.ok(&[
        "entry",
        "export",
        "--csv",
        "--out",
        "download.csv",
        "--incident",
        &incident,
    ]);
    cli.ok(&[
        "entry",
        "purge",
        "--reason",
        "ID漏えいによる再登録",
        "--confirm",
        "131016",
    ]);
    assert_eq!(
        runtime.block_on(read_model(&db.url, &incident)),
        Vec::<Value>::new()
    );

    let out = cli.ok(&["entry", "import", "download.csv", "--incident", &incident]);
    assert!(
        out.contains(&format!("{}件を登録しました", before.len())),
        "{out}"
    );
    let after = runtime.block_on(read_model(&db.url, &incident));
    assert_eq!(after, before);
}
