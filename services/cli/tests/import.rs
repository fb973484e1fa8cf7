//! CSV registration (C-01) through the real `anpi` and `anpi-node` binaries against a
//! real PostgreSQL: a file with bad rows records nothing and names them, then its valid
//! rows with --valid-rows-only; a CP932 file records the same as its UTF-8 (BOM) twin.

use std::path::Path;

use anpi_harness::{TestDb, TestNode, workspace_bin};

mod support;

use support::Cli;

/// The records of an incident, as comparable text, sorted.
fn records(cli: &Cli, incident: &str) -> Vec<String> {
    let records = cli.json(&["entry", "list", "--incident", incident, "--json"]);
    let mut rows: Vec<String> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            [
                "display_name",
                "furigana",
                "birth_date_era",
                "sex",
                "address",
                "identifying_info",
                "state_label",
            ]
            .iter()
            .map(|key| r[*key].to_string())
            .collect::<Vec<_>>()
            .join("|")
        })
        .collect();
    rows.sort();
    rows
}

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/csv/examples")
        .join(name);
    let bytes = std::fs::read(path).unwrap();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn csv_files_are_checked_whole_and_cp932_imports_like_utf8() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let cli = Cli::for_node(&node);
    let password = node.password_file.to_str().unwrap().to_string();
    cli.ok(&["login", "--user", "admin", "--password-file", &password]);
    let dir = node.dir.path();

    // Lines: 1 header, 2 good, 3 bad sex, 4 good, 5 too few columns, 6 bad 様式.
    let text = example("form1.csv");
    let lines: Vec<String> = text
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect();
    let (header, first, child) = (lines[0].clone(), lines[1].clone(), lines[3].clone());
    let bad = [
        header.clone(),
        first.clone(),
        first.replacen(",男,", ",おとこ,", 1),
        child,
        first.rsplit_once(',').unwrap().0.to_string(),
        format!("3{}", &first[1..]),
    ]
    .join("\r\n");
    let bad_file = dir.join("bad.csv");
    std::fs::write(&bad_file, format!("\u{feff}{bad}\r\n")).unwrap();
    let bad_file = bad_file.to_str().unwrap();

    let drill = cli.incident("訓練：CSV登録");
    let refused = cli.run(&["entry", "import", bad_file, "--incident", &drill]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    for line in [
        "3行目「男女の別」列",
        "5行目",
        "6行目「様式」列",
        "何も登録していません",
    ] {
        assert!(stderr.contains(line), "{line} missing in:\n{stderr}");
    }
    assert!(
        !stderr.contains("2行目") && !stderr.contains("4行目"),
        "{stderr}"
    );
    let dry = cli.run(&["entry", "import", bad_file, "--dry-run"]);
    assert!(!dry.status.success());
    assert!(records(&cli, &drill).is_empty(), "a bad file recorded rows");

    let partial = cli.ok(&[
        "entry",
        "import",
        bad_file,
        "--incident",
        &drill,
        "--valid-rows-only",
    ]);
    assert!(partial.contains("2件を登録しました"), "{partial}");
    assert_eq!(records(&cli, &drill).len(), 2);

    // The examples, once as UTF-8 with BOM and once as CP932, into two incidents.
    let utf8 = cli.incident("訓練：UTF-8");
    let sjis = cli.incident("訓練：CP932");
    for name in ["form1.csv", "form2.csv"] {
        let text = example(name);
        let plain = text.trim_start_matches('\u{feff}');
        let (encoded, _, unmappable) = encoding_rs::SHIFT_JIS.encode(plain);
        assert!(!unmappable);
        let cp932 = dir.join(format!("cp932-{name}"));
        std::fs::write(&cp932, &encoded).unwrap();
        let original = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../schemas/csv/examples")
            .join(name);
        cli.ok(&[
            "entry",
            "import",
            original.to_str().unwrap(),
            "--incident",
            &utf8,
        ]);
        let output = cli.run(&[
            "entry",
            "import",
            cp932.to_str().unwrap(),
            "--incident",
            &sjis,
        ]);
        assert!(output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("Shift_JIS"));
    }
    let from_utf8 = records(&cli, &utf8);
    assert_eq!(from_utf8.len(), 5);
    assert_eq!(records(&cli, &sjis), from_utf8);
}
