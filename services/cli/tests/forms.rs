//! Printed forms through the real `anpi` and `anpi-node` binaries (C-03, R-06, T-04):
//! two entries of a drill recorded, Form 3 of the incident and of one record, an
//! inquiry registered, refused as Form 5 before it is answered, then identified,
//! answered and printed; Forms 1, 2 and 4 blank without a login and filled in from
//! files and a stored record. Every PDF is read back with pdftotext (poppler-utils,
//! `deploy/ensure-services.sh --browser`; the test fails without it).

use std::path::{Path, PathBuf};
use std::process::Command;

use anpi_harness::{TestDb, TestNode, workspace_bin};

mod support;

use support::Cli;

fn pdftotext(path: &Path) -> String {
    let output = Command::new("pdftotext")
        .args(["-raw", path.to_str().unwrap(), "-"])
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "pdftotext could not be run ({error}): run deploy/ensure-services.sh --browser (poppler-utils)"
            )
        });
    assert!(output.status.success(), "pdftotext {}", path.display());
    // Without the spaces and line breaks of the layout.
    String::from_utf8(output.stdout)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn pdfs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    files.sort();
    files
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/json/examples")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn forms_3_and_5_of_a_drill_and_forms_1_2_4() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let node = TestNode::start_with(
        &workspace_bin("anpi-node"),
        "131016",
        &db.url,
        "name = \"千代田区\"\n",
    );
    let work = node.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let cli = Cli {
        work: Some(work.clone()),
        ..Cli::logged_in(&node)
    };
    let incident = cli.incident("訓練：様式出力");
    let mut ids = Vec::new();
    for file in ["form1-injured.json", "form2-deceased.json"] {
        let recorded = cli.json(&[
            "entry",
            "add",
            &example(file),
            "--incident",
            &incident,
            "--json",
        ]);
        ids.push(recorded[0]["record_id"].as_str().unwrap().to_string());
    }

    // Form 3 of the whole incident, under the default name.
    let out = cli.ok(&["form3", "--incident", &incident]);
    let files = pdfs(&work);
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("様式第3号_安否情報報告書_訓練：様式出力_訓練_") && name.ends_with(".pdf"),
        "{name}"
    );
    assert!(out.contains(&name), "{out}");
    let text = pdftotext(&files[0]);
    for expected in [
        "【訓練】この帳票は訓練（訓練：様式出力）のものです。実際の安否情報ではありません。",
        "様式第3号（第2条関係）",
        "安否情報報告書",
        // The node does not tell the CLI its name: the body by its code (--body below).
        "報告者：市区町村長（131016）",
        "消防花子",
        "ショウボウハナコ",
        "平成10年10月10日",
        "東京都千代田区霞が関2丁目1-2",
        "中等症：右手打撲（転倒）",
        "1/1ページ",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
    let deceased = anpi_core_name(&example("form2-deceased.json"));
    assert!(text.contains(&deceased), "{deceased}:\n{text}");
    assert!(text.contains("死亡"), "{text}");

    // One record, chosen by ID, the incident by name, to a given file.
    cli.ok(&[
        "form3",
        "--incident",
        "訓練：様式出力",
        "--record",
        &ids[0],
        "--body",
        "千代田区長",
        "--officer",
        "防災課　安否",
        "--out",
        "one.pdf",
        "--csv",
        "one.csv",
    ]);
    let text = pdftotext(&work.join("one.pdf"));
    // the same report as a file the receiving body imports (CP932, the template).
    let csv = std::fs::read(work.join("one.csv")).unwrap();
    let checked = anpi_files::check_file(&csv, chrono::Utc::now()).unwrap();
    assert_eq!(checked.encoding, anpi_files::TextEncoding::Cp932);
    assert_eq!(checked.errors, Vec::new());
    assert_eq!(checked.valid.len(), 1);
    assert_eq!(checked.valid[0].draft.name, "消防　花子");
    let (text_csv, _) = anpi_files::decode_detected(&csv).unwrap();
    let heading = text_csv.lines().next().unwrap();
    assert!(
        heading.contains("【訓練】")
            && heading.contains("様式第3号")
            && heading.contains("千代田区長"),
        "{heading}"
    );
    assert!(
        text.contains("消防花子") && !text.contains(&deceased),
        "{text}"
    );
    assert!(text.contains("担当者：防災課安否"), "{text}");
    assert!(text.contains("報告者：千代田区長"), "{text}");
    // Never over an existing file.
    let again = cli.run(&["form3", "--record", &ids[0], "--out", "one.pdf"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("既にあります"));

    // Form 5: refused before the answer, then printed.
    let inquiry = work.join("inquiry.json");
    std::fs::write(
        &inquiry,
        serde_json::json!({
            "channel": "form4",
            "inquirer": {"name": "消防 次郎", "address": "東京都新宿区西新宿2-8-1"},
            "reason": "family",
            "identity": {"method": "document", "document": "運転免許証"},
            "target": {
                "name": "消防　花子", "birth_date": "平成10年10月10日", "sex": "女",
                "address": "東京都千代田区霞が関2丁目1-2"
            }
        })
        .to_string(),
    )
    .unwrap();
    let registered = cli.json(&[
        "inquiry",
        "register",
        inquiry.to_str().unwrap(),
        "--incident",
        &incident,
        "--json",
    ]);
    let inquiry_id = registered["inquiry_id"].as_str().unwrap().to_string();
    let early = cli.run(&["form5", &inquiry_id, "--out", "early.pdf"]);
    assert!(!early.status.success());
    assert!(
        String::from_utf8_lossy(&early.stderr).contains("まだ回答していません"),
        "{}",
        String::from_utf8_lossy(&early.stderr)
    );
    assert!(!work.join("early.pdf").exists());
    cli.ok(&["inquiry", "identify", &inquiry_id]);
    let bad = cli.run(&["inquiry", "answer", &inquiry_id, "--channel", "fax"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("回答の方法"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let answered = cli.ok(&["inquiry", "answer", &inquiry_id, "--channel", "written"]);
    assert!(answered.contains("書面で回答"), "{answered}");
    cli.ok(&["form5", &inquiry_id, "--out", "answer.pdf"]);
    let text = pdftotext(&work.join("answer.pdf"));
    for expected in [
        "【訓練】",
        "訓練：様式出力",
        "様式第5号（第4条関係）",
        "安否情報回答書",
        "消防次郎殿",
        "千代田区長",
        "付けで照会があった安否情報について、下記のとおり回答します。",
        "避難住民に該当するか否かの別該当",
        "氏名消防花子",
        "出生の年月日平成10年10月10日",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }

    // Form 1 blank needs no login; Forms 1, 2 and 4 filled in.
    let stranger = Cli {
        work: Some(work.clone()),
        ..Cli::for_node(&node)
    };
    stranger.ok(&["form", "1", "--out", "blank1.pdf"]);
    assert!(pdftotext(&work.join("blank1.pdf")).contains("安否情報収集様式（避難住民・負傷住民）"));
    stranger.ok(&["form", "4", "--out", "blank4.pdf"]);
    assert!(pdftotext(&work.join("blank4.pdf")).contains("安否情報照会書"));
    stranger.ok(&[
        "form",
        "1",
        "--entry",
        &example("form1-injured.json"),
        "--out",
        "entry1.pdf",
    ]);
    let text = pdftotext(&work.join("entry1.pdf"));
    assert!(
        text.contains("しょうぼうはなこ") && text.contains("平成10年10月10日"),
        "{text}"
    );
    stranger.ok(&[
        "form",
        "4",
        "--inquiry",
        inquiry.to_str().unwrap(),
        "--out",
        "inquiry4.pdf",
    ]);
    assert!(pdftotext(&work.join("inquiry4.pdf")).contains("消防次郎"));
    cli.ok(&["form", "2", "--record", &ids[1], "--out", "record2.pdf"]);
    let text = pdftotext(&work.join("record2.pdf"));
    assert!(
        text.contains("【訓練】") && text.contains("安否情報収集様式（死亡住民）"),
        "{text}"
    );
    assert!(text.contains(&format!("安否情報ID{}", ids[1])), "{text}");
    let wrong = cli.run(&["form", "1", "--record", &ids[1], "--out", "wrong.pdf"]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("様式第2号"));
    assert!(!work.join("wrong.pdf").exists());
}

/// The name in an entry example file, without spaces.
fn anpi_core_name(file: &str) -> String {
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    value["name"]
        .as_str()
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}
