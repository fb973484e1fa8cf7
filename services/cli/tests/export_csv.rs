//! CSV downloads (C-02) through the real `anpi` and `anpi-node` binaries: the Form 1
//! example imported, then downloaded as CP932 under the default file name; the file
//! decodes, holds the heading with the incident and its mode, and the same rows.

use std::path::{Path, PathBuf};

use anpi_harness::{TestDb, TestNode, workspace_bin};

mod support;

use support::Cli;

#[test]
fn an_imported_file_downloads_as_cp932_with_its_heading_and_rows() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let node = TestNode::start(&workspace_bin("anpi-node"), "131016", &db.url);
    let work = node.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let cli = Cli {
        work: Some(work.clone()),
        ..Cli::logged_in(&node)
    };
    let run = |args: &[&str]| cli.ok(args);
    let incident = cli.incident("訓練：CSV書出し");
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/csv/examples/form1.csv");
    run(&[
        "entry",
        "import",
        example.to_str().unwrap(),
        "--incident",
        &incident,
    ]);

    run(&["entry", "export", "--csv", "--incident", &incident]);
    let files: Vec<PathBuf> = std::fs::read_dir(&work)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("安否情報_訓練：CSV書出し_訓練_") && name.ends_with(".csv"),
        "{name}"
    );
    let bytes = std::fs::read(&files[0]).unwrap();
    assert!(!bytes.starts_with(b"\xEF\xBB\xBF"), "CP932 has no BOM");
    let (text, encoding) = anpi_files::decode_detected(&bytes).unwrap();
    assert_eq!(encoding, anpi_files::TextEncoding::Cp932);
    let records = anpi_files::read_csv(&text).unwrap();
    assert!(
        records[0].fields[0].contains("【訓練】"),
        "{:?}",
        records[0]
    );
    assert!(records[0].fields[0].contains("訓練：CSV書出し"));
    assert_eq!(records[1].fields, anpi_files::export_header());
    let rows = &records[2..];
    assert_eq!(rows.len(), 3);
    // The same fields as the example's rows, after the leading columns.
    let expected = anpi_files::check_file(&std::fs::read(&example).unwrap(), chrono::Utc::now())
        .unwrap()
        .valid;
    let mut got: Vec<_> = anpi_files::check_file(&bytes, chrono::Utc::now())
        .unwrap()
        .valid
        .into_iter()
        .map(|row| row.draft)
        .collect();
    let mut want: Vec<_> = expected.into_iter().map(|row| row.draft).collect();
    got.sort_by(|a, b| a.name.cmp(&b.name));
    want.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(got, want);
    for row in rows {
        assert!(
            ["避難", "負傷"].contains(&row.fields[0].as_str()),
            "{row:?}"
        );
        assert!(!row.fields[1].is_empty(), "安否情報ID");
    }

    // UTF-8 with BOM on request, to the given file.
    run(&[
        "entry",
        "export",
        "--csv",
        "--encoding",
        "utf8",
        "--out",
        "utf8.csv",
        "--incident",
        &incident,
    ]);
    assert!(
        std::fs::read(work.join("utf8.csv"))
            .unwrap()
            .starts_with(b"\xEF\xBB\xBF")
    );
}
