//! Every form written as a PDF and read back with poppler (`pdftotext`, `pdfinfo`,
//! `pdffonts`): the title, the values of the records and inquiries, 訓練 on every page
//! of a drill's form, A4 (landscape for Form 3), the page count, the font embedded as
//! a subset with its ToUnicode map. Needs fonts-ipaexfont-gothic and poppler-utils
//! (`deploy/ensure-services.sh --browser`); fails, never skips, without them.

mod support;

use std::path::PathBuf;

use anpi_core::entry::{FormKind, fixtures};
use anpi_core::incident::IncidentMode;
use anpi_core::inquiry::form5::{ROWS, STATUS_ROWS, WITHHELD, rows};
use anpi_forms::{Filled, FontError, Form3Header, FormFont};
use support::{incident, pdffonts, pdfinfo, pdftotext, pdftotext_raw, squeezed};

fn font() -> FormFont {
    FormFont::load().unwrap_or_else(|error| {
        panic!("{error} — run deploy/ensure-services.sh --browser to install it")
    })
}

fn write(name: &str, bytes: Vec<u8>) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("anpi-forms-{name}.pdf"));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn header() -> Form3Header {
    Form3Header {
        reported_at: support::now(),
        body: "千代田区長".into(),
        officer: Some("防災課　安否　一郎".into()),
    }
}

fn support_pages(text: &str) -> Vec<&str> {
    pages(text)
}

/// The pages of pdftotext's output (form feeds between them).
fn pages(text: &str) -> Vec<&str> {
    let mut pages: Vec<&str> = text.split('\u{c}').collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

fn assert_a4(info: &str, landscape: bool) {
    let size = support::page_size(info);
    let expected = if landscape {
        "841.89 x 595.276 pts (A4)"
    } else {
        "595.276 x 841.89 pts (A4)"
    };
    assert_eq!(size, expected, "{info}");
}

#[test]
fn form_3_reports_each_record_with_its_state() {
    let records = support::form3_records();
    let path = write(
        "form3",
        anpi_forms::form3(
            &font(),
            &header(),
            &records,
            &incident(IncidentMode::Actual),
        )
        .unwrap(),
    );
    let info = pdfinfo(&path);
    assert_a4(&info, true);
    assert_eq!(support::page_count(&info), 1);

    let layout = pdftotext(&path);
    let flat = squeezed(&layout);
    for expected in [
        "様式第3号（第2条関係）",
        "安否情報報告書",
        "報告日時：令和8年11月22日12時0分",
        "報告者：千代田区長",
        "担当者：防災課安否一郎",
        "事案：首都直下地震",
        "①氏名",
        "1/1ページ",
    ] {
        assert!(flat.contains(expected), "{expected}:\n{layout}");
    }
    assert!(!layout.contains("訓練"), "{layout}");

    // Each record's values, cell by cell (raw order keeps a cell's lines together).
    let raw = squeezed(&pdftotext_raw(&path));
    for expected in [
        "消防太郎",
        "ショウボウタロウ",
        "昭和56年11月25日",
        "東京都千代田区霞が関2丁目1番2号",
        "身長170cm程度、青い上着",
        "重症：頭部打撲、意識不明",
        "千代田中央病院03-1234-5678",
        // The departed evacuee.
        "避難花子",
        "ヒナンハナコ",
        "昭和55年1月1日",
        "退去令和8年11月23日",
        "退去（令和8年11月23日）",
        // The deceased.
        "死亡（死亡の日時：令和8年11月21日9時40分、死亡の場所：千代田区永田町1丁目付近、状況：建物の倒壊に巻き込まれて死亡）",
        "千代田区総合体育館",
        "同意回答者：消防良子（妻）",
        "原則回答",
        // The deleted one.
        "重複四郎",
        "削除（重複登録）",
        // The long address, whole although it wraps.
        "〒100-8926東京都千代田区霞が関二丁目中央合同庁舎第二号館北側別館地下一階防災センター5-1",
        "平成2年4月1日",
        "記入日時：令和8年11月21日14時30分",
    ] {
        assert!(raw.contains(expected), "{expected}:\n{raw}");
    }
    // The long address wraps inside its cell: it is never on one line.
    assert!(
        !layout.contains(support::LONG_ADDRESS_TOWN),
        "the long address did not wrap:\n{layout}"
    );
}

#[test]
fn a_long_form_3_runs_over_pages_with_its_header_on_each() {
    let records = support::many_records(40);
    let path = write(
        "form3-long",
        anpi_forms::form3(
            &font(),
            &header(),
            &records,
            &incident(IncidentMode::Actual),
        )
        .unwrap(),
    );
    let info = pdfinfo(&path);
    assert_a4(&info, true);
    let count = support::page_count(&info);
    assert!(count >= 2, "{info}");
    let text = pdftotext(&path);
    let pages = pages(&text);
    assert_eq!(pages.len(), count);
    let raw = pdftotext_raw(&path);
    let raw_pages = support_pages(&raw);
    assert_eq!(raw_pages.len(), count);
    for (n, page) in pages.iter().enumerate() {
        let flat = squeezed(page);
        assert!(
            flat.contains(&format!("{}/{count}ページ", n + 1)),
            "page {}: {page}",
            n + 1
        );
        if !flat.contains("試験") {
            // The form's 備考 alone, when they did not fit under the last row.
            assert_eq!(n + 1, count, "{page}");
            assert!(flat.contains("備考1この用紙の大きさ"), "{page}");
            continue;
        }
        assert!(flat.contains("①氏名"), "page {}: {page}", n + 1);
        assert!(
            squeezed(raw_pages[n]).contains("⑭親族・同居者・知人以外への回答・公表の同意"),
            "page {}",
            n + 1
        );
    }
    assert!(squeezed(pages[0]).contains("安否情報報告書"));
    assert!(squeezed(pages[1]).contains("安否情報報告書（続き）"));
    // Every person once.
    let raw = squeezed(&pdftotext_raw(&path));
    for n in 1..=40 {
        assert_eq!(raw.matches(&format!("試験{n}郎")).count(), 1, "{n}");
    }
}

#[test]
fn every_page_of_a_drill_form_3_says_it_is_a_drill() {
    let records = support::many_records(40);
    let drill = incident(IncidentMode::Drill);
    let path = write(
        "form3-drill",
        anpi_forms::form3(&font(), &header(), &records, &drill).unwrap(),
    );
    let text = pdftotext(&path);
    let pages = pages(&text);
    assert!(pages.len() >= 2);
    for page in pages {
        let flat = squeezed(page);
        assert!(
            flat.contains("【訓練】この帳票は訓練（令和8年度千代田区総合防災訓練）のものです。実際の安否情報ではありません。"),
            "{page}"
        );
    }
}

#[test]
fn form_5_holds_the_rows_of_the_text_form_with_withheld_rows_dashed() {
    let (inquiry, answer) = support::acquaintance_inquiry();
    let actual = incident(IncidentMode::Actual);
    let path = write(
        "form5-withheld",
        anpi_forms::form5(
            &font(),
            &inquiry,
            &answer,
            &actual,
            "千代田区長",
            support::now(),
        )
        .unwrap(),
    );
    let info = pdfinfo(&path);
    assert_a4(&info, false);
    assert_eq!(support::page_count(&info), 1);
    let layout = pdftotext(&path);
    let flat = squeezed(&layout);
    for expected in [
        "様式第5号（第4条関係）",
        "安否情報回答書",
        "令和8年11月22日",
        "霞次郎殿",
        "千代田区長",
        "令和8年11月22日付けで照会があった安否情報について、下記のとおり回答します。",
        "記",
        "備考1この用紙の大きさは、日本工業規格A4とすること。",
        "5安否情報の収集時刻を「連絡先その他必要情報」に記入すること。",
    ] {
        assert!(flat.contains(expected), "{expected}:\n{layout}");
    }
    assert!(!layout.contains("訓練"), "{layout}");
    // The same rows and values as the text form, in its order.
    let raw = squeezed(&pdftotext_raw(&path));
    let mut at = 0;
    for (label, value) in rows(&answer) {
        let label = match label {
            "国籍" => "国籍（日本国籍を有しない者に限る。）",
            other => other,
        };
        let row = squeezed(&format!("{label}{value}"));
        let found = raw[at..]
            .find(&row)
            .unwrap_or_else(|| panic!("{row} after {at}:\n{raw}"));
        at += found + row.len();
    }
    let withheld = rows(&answer).iter().filter(|(_, v)| v == WITHHELD).count();
    assert!(withheld >= 7, "{withheld}");
    assert_eq!(raw.matches(WITHHELD).count(), withheld, "{raw}");
    assert_eq!(rows(&answer).len(), STATUS_ROWS.len() + ROWS.len());
}

#[test]
fn form_5_answered_in_full_shows_the_values_as_of_their_time() {
    let (inquiry, answer) = support::family_answer();
    let path = write(
        "form5-family",
        anpi_forms::form5(
            &font(),
            &inquiry,
            &answer,
            &incident(IncidentMode::Actual),
            "千代田区長",
            support::now(),
        )
        .unwrap(),
    );
    let raw = squeezed(&pdftotext_raw(&path));
    for expected in [
        "消防花子殿",
        "氏名消防太郎",
        "フリガナショウボウタロウ",
        "出生の年月日昭和56年11月25日",
        "男女の別男",
        "住所東京都千代田区霞が関2丁目1番2号",
        "負傷又は疾病の状況重症：頭部打撲、意識不明（記入日時令和8年11月21日14時30分現在）",
    ] {
        assert!(raw.contains(expected), "{expected}:\n{raw}");
    }
    let fonts = pdffonts(&path);
    let line = fonts
        .lines()
        .find(|l| l.contains("IPAexGothic"))
        .unwrap_or_else(|| panic!("{fonts}"));
    assert!(
        line.contains("CID TrueType") && line.contains("Identity-H"),
        "{line}"
    );
    // Embedded, subset, with a ToUnicode map (emb sub uni, before the object ID).
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        words[words.len() - 5..words.len() - 2],
        ["yes", "yes", "yes"],
        "{line}"
    );
}

#[test]
fn form_5_of_a_drill_says_so() {
    let (inquiry, answer) = support::acquaintance_inquiry();
    let drill = incident(IncidentMode::Drill);
    let path = write(
        "form5-drill",
        anpi_forms::form5(
            &font(),
            &inquiry,
            &answer,
            &drill,
            "千代田区長",
            support::now(),
        )
        .unwrap(),
    );
    let flat = squeezed(&pdftotext(&path));
    assert!(flat.starts_with("【訓練】"), "{flat}");
    assert!(flat.contains(
        "訓練（令和8年度千代田区総合防災訓練）のものです。実際の安否情報ではありません。"
    ));
    assert!(flat.contains("安否情報回答書"));
}

#[test]
fn forms_1_and_2_blank_have_every_numbered_row_and_the_notes() {
    for (kind, title, last) in [
        (
            FormKind::Form1,
            "安否情報収集様式（避難住民・負傷住民）",
            "⑭",
        ),
        (FormKind::Form2, "安否情報収集様式（死亡住民）", "⑪"),
    ] {
        let path = write(
            &format!("{}-blank", kind.as_str()),
            anpi_forms::collection_form(&font(), kind, Filled::Blank, None).unwrap(),
        );
        let info = pdfinfo(&path);
        assert_a4(&info, false);
        assert_eq!(support::page_count(&info), 1);
        let flat = squeezed(&pdftotext(&path));
        for expected in [
            title,
            "記入日時（年月日時分）",
            "①氏名",
            "②フリガナ",
            "③出生の年月日",
            "④男女の別",
            "男女",
            "⑤住所（郵便番号を含む。）",
            "⑥国籍",
            "日本その他（）",
            "⑦その他個人を識別するための情報",
            last,
            "同意する同意しない",
            "※備考",
            "（注1）",
            "（注4）",
        ] {
            assert!(flat.contains(expected), "{kind:?} {expected}:\n{flat}");
        }
        if kind == FormKind::Form1 {
            assert!(flat.contains("負傷非該当"));
            assert_eq!(flat.matches("回答を希望しない").count(), 4, "{flat}");
        } else {
            assert!(flat.contains("⑧死亡の日時、場所及び状況"));
            assert!(flat.contains("⑪の同意回答者名"));
            assert!(flat.contains("（注5）"));
        }
    }
}

#[test]
fn forms_1_and_2_filled_show_the_entry() {
    let mut draft = fixtures::injured();
    draft.consent.acquaintance = Some(false);
    let path = write(
        "form1-filled",
        anpi_forms::collection_form(&font(), FormKind::Form1, Filled::Draft(&draft), None).unwrap(),
    );
    let raw = squeezed(&pdftotext_raw(&path));
    for expected in [
        "記入日時（令和8年11月21日14時30分）",
        "消防太郎",
        "ショウボウタロウ",
        "昭和56年11月25日",
        "東京都千代田区霞が関2丁目1番2号",
        "重症：頭部打撲、意識不明",
        "千代田中央病院03-1234-5678",
    ] {
        assert!(raw.contains(expected), "{expected}:\n{raw}");
    }

    // Form 2 from a stored record of a drill: its ID, and 訓練.
    let record = support::record(3, &fixtures::deceased());
    let drill = incident(IncidentMode::Drill);
    let path = write(
        "form2-filled",
        anpi_forms::collection_form(
            &font(),
            FormKind::Form1,
            Filled::Record(&record),
            Some(&drill),
        )
        .unwrap(),
    );
    let raw = squeezed(&pdftotext_raw(&path));
    for expected in [
        "【訓練】",
        "安否情報収集様式（死亡住民）",
        "消防太郎",
        "令和8年11月21日9時40分",
        "建物の倒壊に巻き込まれて死亡",
        "千代田区総合体育館",
        "消防良子",
        "妻",
        &format!("安否情報ID{}", record.record_id),
        "状態：死亡",
    ] {
        assert!(raw.contains(expected), "{expected}:\n{raw}");
    }
}

#[test]
fn form_4_blank_and_filled() {
    let path = write(
        "form4-blank",
        anpi_forms::form4(&font(), None, None).unwrap(),
    );
    let info = pdfinfo(&path);
    assert_a4(&info, false);
    assert_eq!(support::page_count(&info), 1);
    let flat = squeezed(&pdftotext(&path));
    for expected in [
        "様式第4号（第3条関係）",
        "安否情報照会書",
        "総務大臣",
        "住所（居所）",
        "照会をする理由",
        "①被照会者の親族又は同居者であるため。",
        "②被照会者の知人（友人、職場関係者及び近隣住民）であるため。",
        "③その他",
        "※申請者の確認",
        "4※印の欄には記入しないで下さい。",
    ] {
        assert!(flat.contains(expected), "{expected}:\n{flat}");
    }

    let inquiry = support::family_inquiry();
    let path = write(
        "form4-filled",
        anpi_forms::form4(
            &font(),
            Some(&inquiry),
            Some(&incident(IncidentMode::Drill)),
        )
        .unwrap(),
    );
    let raw = squeezed(&pdftotext_raw(&path));
    for expected in [
        "【訓練】",
        "令和8年11月22日",
        "東京都新宿区西新宿2-8-1",
        "消防花子",
        "夫の安否を知りたい",
        "消防太郎",
        "ショウボウタロウ",
        "昭和56年11月25日",
        "東京都千代田区霞が関2-1-2",
        "書類の提示による確認（運転免許証）",
        "照会の方法：様式第4号の提出",
    ] {
        assert!(raw.contains(expected), "{expected}:\n{raw}");
    }
}

#[test]
fn a_missing_font_names_the_package_to_install() {
    let error = FormFont::from_file(std::path::Path::new("/nonexistent/ipaexg.ttf")).unwrap_err();
    assert!(matches!(error, FontError::Missing { .. }));
    assert!(
        error.to_string().contains("fonts-ipaexfont-gothic"),
        "{error}"
    );
    assert!(error.message_ja().contains("fonts-ipaexfont-gothic"));
    assert!(error.message_ja().contains("ANPI_FORM_FONT"));
    let error = FormFont::from_bytes(b"not a font".to_vec(), "test").unwrap_err();
    assert!(matches!(error, FontError::Invalid { .. }), "{error}");
}

#[test]
fn a_character_the_font_lacks_prints_as_geta_and_extracts_as_itself() {
    let mut draft = fixtures::evacuee();
    draft.name = "試験\u{1F600}太郎".into();
    let path = write(
        "form1-missing-glyph",
        anpi_forms::collection_form(&font(), FormKind::Form1, Filled::Draft(&draft), None).unwrap(),
    );
    let raw = squeezed(&pdftotext_raw(&path));
    assert!(raw.contains("試験\u{1F600}太郎"), "{raw}");
}
