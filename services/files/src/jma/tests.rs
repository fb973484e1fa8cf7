//! The parser over the example telegrams of `schemas/jma/examples/` and hand-made
//! broken ones, and the example sequence of `schemas/jma/README.md` (parse +
//! evaluate).

use std::path::{Path, PathBuf};

use anpi_core::rollcall::Mode;
use anpi_core::rollcall::jma::{Condition, Decision, Evaluator};
use chrono::{TimeZone, Utc};

use super::*;

fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/jma")
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(schemas().join("examples").join(name)).unwrap()
}

fn example(name: &str) -> Telegram {
    parse_telegram(&bytes(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// 2026-12-06 `hour:minute` JST.
fn jst(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, hour, minute, 0).unwrap() - chrono::Duration::hours(9)
}

/// A minimal telegram around `body` (inside Report, after Control).
fn telegram(title: &str, head: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Report xmlns="http://xml.kishou.go.jp/jmaxml1/">
<Control><Title>{title}</Title><Status>通常</Status></Control>
<Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/">{head}</Head>
<Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/seismology1/">{body}</Body>
</Report>"#
    )
}

const HEAD: &str = "<ReportDateTime>2026-12-06T09:00:00+09:00</ReportDateTime>\
<EventID>20261206085812</EventID><InfoType>発表</InfoType><Serial>1</Serial>";

fn error(text: &str) -> JmaError {
    parse_telegram(text.as_bytes()).expect_err("should be refused")
}

// --- the examples ------------------------------------------------------------------

#[test]
fn the_shindo_sokuhou_gives_prefectures_and_areas() {
    let t = example("01-vxse51-shindo-sokuhou.xml");
    assert_eq!(t.kind, TelegramKind::Vxse51);
    assert_eq!(t.title, "震度速報");
    assert_eq!(t.status, TelegramStatus::Normal);
    assert_eq!(t.info_type, InfoType::Issued);
    assert_eq!(t.event_id, "20261206085812");
    assert_eq!(t.serial, "1");
    assert_eq!(t.report_time, jst(9, 0));
    assert!(
        t.headline
            .starts_with("６日０８時５８分ころ、強い揺れを観測しました")
    );
    assert_eq!(t.hypocentre, None);
    assert_eq!(t.magnitude, None);
    assert_eq!(t.max_intensity, Some(Intensity::FiveUpper));
    // The Headline's own Areas (Head/Headline/Information) are not intensities.
    assert_eq!(t.prefectures.len(), 2);
    let tokyo = &t.prefectures[0];
    assert_eq!(
        (tokyo.code.as_str(), tokyo.name.as_str(), tokyo.max),
        ("13", "東京都", Some(Intensity::FiveUpper))
    );
    let areas: Vec<(&str, &str, Option<Intensity>)> = tokyo
        .areas
        .iter()
        .map(|a| (a.code.as_str(), a.name.as_str(), a.max))
        .collect();
    assert_eq!(
        areas,
        [
            ("350", "東京都２３区", Some(Intensity::FiveUpper)),
            ("351", "東京都多摩東部", Some(Intensity::Four)),
        ]
    );
    assert!(tokyo.areas.iter().all(|a| a.cities.is_empty()));
    let kanagawa = &t.prefectures[1];
    assert_eq!(kanagawa.code, "14");
    assert_eq!(kanagawa.areas[0].code, "360");
    assert_eq!(kanagawa.areas[0].max, Some(Intensity::Four));
}

#[test]
fn the_shingen_information_has_a_hypocentre_and_no_intensities() {
    let t = example("02-vxse52-shingen.xml");
    assert_eq!(t.kind, TelegramKind::Vxse52);
    assert_eq!(t.hypocentre.as_deref(), Some("東京湾"));
    assert_eq!(t.magnitude.as_deref(), Some("Ｍ６．１"));
    assert_eq!(t.max_intensity, None);
    assert!(t.prefectures.is_empty());
}

#[test]
fn the_shingen_shindo_information_gives_cities_and_skips_stations_whatever_the_prefixes() {
    // This example writes Report, Control and Head with namespace prefixes.
    let t = example("03-vxse53-shingen-shindo.xml");
    assert_eq!(t.kind, TelegramKind::Vxse53);
    assert_eq!(t.event_id, "20261206085812");
    assert_eq!(t.report_time, jst(9, 5));
    assert_eq!(t.hypocentre.as_deref(), Some("東京湾"));
    assert_eq!(t.magnitude.as_deref(), Some("Ｍ６．１"));
    let cities: Vec<(&str, &str, &str, Option<Intensity>)> = t
        .prefectures
        .iter()
        .flat_map(|p| p.areas.iter())
        .flat_map(|a| a.cities.iter().map(move |c| (a.code.as_str(), c)))
        .map(|(area, c)| (area, c.code.as_str(), c.name.as_str(), c.max))
        .collect();
    assert_eq!(
        cities,
        [
            ("350", "1310100", "東京千代田区", Some(Intensity::FiveUpper)),
            ("351", "1320800", "調布市", Some(Intensity::Four)),
            ("360", "1410400", "横浜中区", Some(Intensity::FiveLower)),
            ("360", "1413100", "川崎川崎区", Some(Intensity::Four)),
        ]
    );
    // The station's Name and Code did not overwrite the city's.
    assert_eq!(t.prefectures[0].areas[0].cities[0].code, "1310100");
}

#[test]
fn a_cancellation_is_read_with_its_event() {
    let t = example("04-vxse53-torikeshi.xml");
    assert_eq!(t.kind, TelegramKind::Vxse53);
    assert_eq!(t.info_type, InfoType::Cancelled);
    assert_eq!(t.event_id, "20261206085812");
    assert_eq!(t.serial, "2");
    assert!(t.prefectures.is_empty());
}

#[test]
fn drill_test_and_early_warning_telegrams_are_read_as_such() {
    let drill = example("05-vxse51-kunren.xml");
    assert_eq!(drill.status, TelegramStatus::Drill);
    assert_eq!(drill.event_id, "20261206100005");
    assert_eq!(drill.max_intensity, Some(Intensity::SixLower));
    let test = example("06-vxse51-shiken.xml");
    assert_eq!(test.status, TelegramStatus::Test);
    let warning = example("07-vxse44-kinkyu-jishin-sokuhou.xml");
    assert_eq!(warning.kind, TelegramKind::EarlyWarning);
    assert_eq!(warning.title, "緊急地震速報（予報）");
    assert_eq!(warning.hypocentre.as_deref(), Some("千葉県北西部"));
    // Forecast intensities are not observations.
    assert!(warning.prefectures.is_empty());
    assert_eq!(warning.max_intensity, None);
}

#[test]
fn the_malformed_example_is_refused_with_its_position() {
    let error = parse_telegram(&bytes("08-malformed.xml")).unwrap_err();
    let JmaError::Malformed { position, .. } = &error else {
        panic!("expected malformed, got {error:?}")
    };
    assert!(*position > 0);
    let message = error.to_string();
    assert!(
        message.starts_with("XMLとして正しくありません（"),
        "{message}"
    );
    assert!(message.contains("バイト目付近"), "{message}");
}

// --- what is refused ----------------------------------------------------------------------

#[test]
fn only_utf8_up_to_2_mb_is_read() {
    let mut big = telegram("震度速報", HEAD, "").into_bytes();
    big.resize(MAX_TELEGRAM_BYTES + 1, b' ');
    assert_eq!(
        parse_telegram(&big),
        Err(JmaError::TooLarge {
            bytes: MAX_TELEGRAM_BYTES + 1
        })
    );
    let mut shift_jis = telegram("震度速報", HEAD, "").into_bytes();
    let at = shift_jis.iter().position(|&b| b == b'<').unwrap() + 60;
    shift_jis[at] = 0x82;
    assert!(matches!(
        parse_telegram(&shift_jis),
        Err(JmaError::NotUtf8 { position }) if position == at
    ));
    let declared =
        telegram("震度速報", HEAD, "").replace("encoding=\"UTF-8\"", "encoding=\"Shift_JIS\"");
    assert_eq!(
        error(&declared),
        JmaError::Encoding {
            declared: "Shift_JIS".into()
        }
    );
    assert!(error(&declared).to_string().contains("UTF-8 の電文だけ"));
}

#[test]
fn doctype_and_entity_declarations_are_refused() {
    let external = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Report [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Report><Control><Title>&x;</Title></Control></Report>"#;
    let refused = error(external);
    assert!(
        matches!(refused, JmaError::Doctype { position: 39 }),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("DOCTYPE"), "{refused}");
    // An entity that was never declared is refused too; the predefined ones and
    // character references are read.
    let undeclared = telegram("震度速報&x;", HEAD, "");
    assert!(matches!(error(&undeclared), JmaError::Entity { ref name, .. } if name == "x"));
    let escaped = telegram(
        "震源&#12539;震度に関する情報",
        HEAD,
        "<Text>&lt;&amp;&gt;</Text>",
    );
    assert_eq!(
        parse_telegram(escaped.as_bytes()).unwrap().kind,
        TelegramKind::Vxse53
    );
}

#[test]
fn a_file_that_is_not_a_report_is_named() {
    assert_eq!(
        error("<?xml version=\"1.0\"?><feed><entry/></feed>"),
        JmaError::NotReport {
            found: "feed".into()
        }
    );
    assert!(matches!(error(""), JmaError::NotReport { .. }));
    assert!(
        error("<feed/>")
            .to_string()
            .contains("気象庁防災情報XMLの電文ではありません")
    );
    let two_roots = format!("{}<Report/>", telegram("震度速報", HEAD, ""));
    assert!(matches!(error(&two_roots), JmaError::Malformed { .. }));
    let unclosed = "<Report><Control><Title>震度速報</Title>";
    let refused = error(unclosed);
    assert!(
        refused.to_string().contains("閉じられないまま"),
        "{refused}"
    );
}

#[test]
fn missing_parts_are_named_by_path() {
    let no_title = telegram("", HEAD, "");
    assert_eq!(
        error(&no_title),
        JmaError::Missing {
            path: "Report/Control/Title".into()
        }
    );
    assert_eq!(
        error(&no_title).to_string(),
        "Report/Control/Title がありません"
    );
    let no_event = telegram(
        "震源・震度に関する情報",
        "<ReportDateTime>2026-12-06T09:00:00+09:00</ReportDateTime><InfoType>発表</InfoType>",
        "",
    );
    assert!(error(&no_event).to_string().starts_with(
        "Report/Head/EventID（震源・震度に関する情報の電文には必要です） がありません"
    ));
    let no_time = telegram(
        "震度速報",
        "<EventID>1</EventID><InfoType>発表</InfoType>",
        "",
    );
    assert_eq!(
        error(&no_time),
        JmaError::Missing {
            path: "Report/Head/ReportDateTime".into()
        }
    );
    let no_status = telegram("震度速報", HEAD, "").replace("<Status>通常</Status>", "");
    assert_eq!(
        error(&no_status),
        JmaError::Missing {
            path: "Report/Control/Status".into()
        }
    );
}

#[test]
fn values_that_cannot_be_read_are_named_with_path_and_position() {
    let body = "<Intensity><Observation><MaxInt>5+</MaxInt><Pref><Name>東京都</Name>\
<Code>13</Code><MaxInt>5+</MaxInt><Area><Name>東京都２３区</Name><Code>350</Code>\
<MaxInt>5.5</MaxInt></Area></Pref></Observation></Intensity>";
    let refused = error(&telegram("震度速報", HEAD, body));
    let JmaError::Value {
        path,
        position,
        value,
        ..
    } = &refused
    else {
        panic!("expected a value error, got {refused:?}")
    };
    assert_eq!(
        path,
        "Report/Body/Intensity/Observation/Pref/Area/MaxInt（東京都２３区）"
    );
    assert_eq!(value, "5.5");
    assert!(*position > 0);
    assert!(
        refused
            .to_string()
            .contains("の値「5.5」は読めません（震度は 1, 2, 3, 4, 5-, 5+, 6-, 6+, 7 のいずれか）"),
        "{refused}"
    );
    let status = telegram("震度速報", HEAD, "").replace("通常", "本番");
    assert!(
        matches!(error(&status), JmaError::Value { ref path, .. } if path == "Report/Control/Status")
    );
    let info = telegram("震度速報", &HEAD.replace("発表", "遅延"), "");
    assert!(
        matches!(error(&info), JmaError::Value { ref path, .. } if path == "Report/Head/InfoType")
    );
    let time = telegram(
        "震度速報",
        &HEAD.replace("2026-12-06T09:00:00+09:00", "6日9時"),
        "",
    );
    assert!(
        matches!(error(&time), JmaError::Value { ref path, .. } if path == "Report/Head/ReportDateTime")
    );
}

#[test]
fn an_unreceived_city_and_other_telegrams_are_read_leniently() {
    let body = "<Intensity><Observation><MaxInt>4</MaxInt><Pref><Name>神奈川県</Name>\
<Code>14</Code><MaxInt>4</MaxInt><Area><Name>神奈川県東部</Name><Code>360</Code>\
<MaxInt>4</MaxInt><City><Name>横浜中区</Name><Code>1410400</Code>\
<Condition>震度５弱以上未入電</Condition></City></Area></Pref></Observation></Intensity>";
    let t = parse_telegram(telegram("震源・震度に関する情報", HEAD, body).as_bytes()).unwrap();
    let city = &t.prefectures[0].areas[0].cities[0];
    assert_eq!(city.max, None);
    assert!(city.unreceived);
    // Another telegram needs no EventID and no InfoType the rules know; its time may
    // come from Control/DateTime.
    let other = r#"<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"><Control>
<Title>気象警報・注意報</Title><DateTime>2026-12-06T00:00:00Z</DateTime><Status>通常</Status>
</Control><Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/"><InfoType>遅延</InfoType></Head></Report>"#;
    let t = parse_telegram(other.as_bytes()).unwrap();
    assert_eq!(t.kind, TelegramKind::Other("気象警報・注意報".into()));
    assert_eq!(t.report_time, jst(9, 0));
    assert_eq!(t.event_id, "");
}

// --- the example sequence of schemas/jma/README.md -------------------------------------------

fn example_conditions() -> Vec<Condition> {
    let text = std::fs::read_to_string(schemas().join("conditions.example.json")).unwrap();
    let conditions: Vec<Condition> = serde_json::from_str(&text).unwrap();
    assert!(anpi_core::rollcall::jma::check_conditions(&conditions).is_empty());
    conditions
}

fn orgs(decision: &Decision) -> Vec<String> {
    match decision {
        Decision::Dispatch { orgs, .. } => orgs.iter().map(|o| o.to_string()).collect(),
        other => panic!("expected a dispatch, got {other:#?}"),
    }
}

fn is_ignore(decision: &Decision, because: &str) -> bool {
    matches!(decision, Decision::Ignore { reason } if reason.contains(because))
}

#[test]
fn the_readme_sequence_decides_as_documented() {
    let conditions = example_conditions();
    let mut evaluator = Evaluator::new();
    let mut step = |name: &str| {
        let t = example(name);
        evaluator.evaluate(&conditions, &t, t.report_time)
    };

    // 1. 震度速報 09:00: 東京都２３区 5強 → honsha; the 6弱 condition is not met.
    let d = step("01-vxse51-shindo-sokuhou.xml");
    assert_eq!(d.len(), 2);
    assert_eq!(orgs(&d[0]), ["honsha"]);
    let Decision::Dispatch {
        mode, title, at, ..
    } = &d[0]
    else {
        unreachable!()
    };
    assert_eq!(*mode, Mode::Actual);
    assert_eq!(title, "東京都２３区で震度5強の地震（安否確認）");
    assert_eq!(*at, jst(9, 0));
    assert!(
        is_ignore(
            &d[1],
            "最も大きいのは東京都（震度5強）で、震度6弱に達していない"
        ),
        "{d:#?}"
    );

    // 2. 震源に関する情報 09:02: no intensities.
    let d = step("02-vxse52-shingen.xml");
    assert_eq!(d.len(), 1);
    assert!(is_ignore(&d[0], "震度の観測値がない"), "{d:#?}");

    // 3. 震源・震度に関する情報 09:05: 横浜中区 5弱 adds yokohama only.
    let d = step("03-vxse53-shingen-shindo.xml");
    assert_eq!(orgs(&d[0]), ["yokohama"]);
    assert!(d[0].reason().contains("横浜中区（震度5弱）"), "{d:#?}");
    assert!(
        matches!(&d[0], Decision::Dispatch { title, .. } if title == "横浜中区で震度5弱の地震（安否確認）"),
        "{d:#?}"
    );
    assert!(is_ignore(&d[1], "震度6弱に達していない"), "{d:#?}");

    // 4. 取消 09:30: the first condition's roll-calls are cancelled.
    let d = step("04-vxse53-torikeshi.xml");
    assert!(
        matches!(&d[0], Decision::Cancel { condition, event_id, reason, .. }
            if condition == "首都圏 震度5弱以上" && event_id == "20261206085812"
                && reason.contains("honsha、yokohama")),
        "{d:#?}"
    );
    assert!(is_ignore(&d[1], "送信していません"), "{d:#?}");

    // 5. 訓練 10:01: a drill for the condition that allows it, nothing for the other.
    let d = step("05-vxse51-kunren.xml");
    let Decision::Dispatch {
        mode,
        orgs: asked,
        title,
        ..
    } = &d[0]
    else {
        panic!("expected a drill, got {d:#?}")
    };
    assert_eq!(*mode, Mode::Drill);
    assert_eq!(asked.len(), 1);
    assert_eq!(title, "東京都２３区で震度6弱の地震（安否確認）");
    assert!(is_ignore(&d[1], "drill_on_training が false"), "{d:#?}");

    // 6. 試験 and 7. 緊急地震速報: nothing.
    let d = step("06-vxse51-shiken.xml");
    assert!(d.len() == 1 && is_ignore(&d[0], "試験電文"), "{d:#?}");
    let d = step("07-vxse44-kinkyu-jishin-sokuhou.xml");
    assert!(
        d.len() == 1 && is_ignore(&d[0], "緊急地震速報は予測"),
        "{d:#?}"
    );
}

#[test]
fn the_sequence_without_conditions_uses_the_nationwide_one() {
    let conditions = [Condition::nationwide()];
    let mut evaluator = Evaluator::new();
    let mut decisions = Vec::new();
    for name in [
        "01-vxse51-shindo-sokuhou.xml",
        "03-vxse53-shingen-shindo.xml",
        "04-vxse53-torikeshi.xml",
    ] {
        let t = example(name);
        decisions.extend(evaluator.evaluate(&conditions, &t, t.report_time));
    }
    assert_eq!(orgs(&decisions[0]), Vec::<String>::new()); // every organisation
    assert!(
        is_ignore(&decisions[1], "既に全組織に送信"),
        "{decisions:#?}"
    );
    assert!(
        matches!(decisions[2], Decision::Cancel { .. }),
        "{decisions:#?}"
    );
}

// --- the Atom feed ---------------------------------------------------------------------

const FEED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" lang="ja">
  <title>高頻度（地震火山）</title>
  <updated>2026-12-06T00:05:30Z</updated>
  <id>https://feed.example.jp/eqvol.xml</id>
  <link href="https://feed.example.jp/eqvol.xml" rel="self"/>
  <entry>
    <title>震源・震度に関する情報</title>
    <id>urn:uuid:0d6f3b7e-0000-4000-8000-000000000003</id>
    <updated>2026-12-06T00:05:00Z</updated>
    <author><name>気象庁</name></author>
    <link rel="related" href="https://www.example.jp/"/>
    <link type="application/xml" href="data/03-vxse53.xml"/>
    <link type="application/xml" href="data/other.xml"/>
    <content type="text">【震源・震度に関する情報】６日０８時５８分ころ、地震がありました。</content>
  </entry>
  <entry>
    <title>噴火に関する火山観測報</title>
    <id>https://feed.example.jp/data/vfvo60.xml</id>
    <updated>not a time</updated>
    <link rel="alternate" type="application/xml" href="https://feed.example.jp/data/vfvo60.xml"/>
  </entry>
  <entry>
    <title>震度速報</title>
    <id>https://feed.example.jp/data/01-vxse51.xml</id>
    <updated>2026-12-06T09:00:00+09:00</updated>
  </entry>
  <entry>
    <title>震度速報</title>
    <link href="https://feed.example.jp/data/no-id.xml"/>
  </entry>
</feed>"#;

#[test]
fn the_atom_feed_gives_each_entry_with_its_identity_title_time_and_link() {
    let entries = parse_atom(FEED.as_bytes()).unwrap();
    assert_eq!(entries.len(), 3, "the entry without an id is dropped");
    assert_eq!(
        entries[0],
        FeedEntry {
            id: "urn:uuid:0d6f3b7e-0000-4000-8000-000000000003".into(),
            title: "震源・震度に関する情報".into(),
            updated: Some(jst(9, 5)),
            // The first link that is the entry itself, as written (relative).
            link: Some("data/03-vxse53.xml".into()),
        }
    );
    assert!(entries[0].is_earthquake_information());
    assert_eq!(entries[1].updated, None);
    assert_eq!(
        entries[1].link.as_deref(),
        Some("https://feed.example.jp/data/vfvo60.xml")
    );
    assert!(!entries[1].is_earthquake_information());
    assert_eq!(entries[2].link, None);
    assert_eq!(entries[2].updated, Some(jst(9, 0)));
    assert!(entries[2].is_earthquake_information());
    // Prefixed Atom elements are read by their local names; an empty feed is no error.
    let prefixed = r#"<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:entry><a:id>x</a:id>
        <a:title>震度速報</a:title><a:link href="x.xml"/></a:entry></a:feed>"#;
    assert_eq!(
        parse_atom(prefixed.as_bytes()).unwrap()[0].link.as_deref(),
        Some("x.xml")
    );
    assert!(parse_atom(b"<feed/>").unwrap().is_empty());
}

#[test]
fn a_feed_is_refused_as_a_telegram_is_when_it_is_not_one_or_not_safe() {
    assert_eq!(
        parse_atom(bytes("01-vxse51-shindo-sokuhou.xml").as_slice()).unwrap_err(),
        JmaError::NotFeed {
            found: "Report".into()
        }
    );
    assert!(
        parse_atom(b"")
            .unwrap_err()
            .to_string()
            .contains("Atom フィードではありません")
    );
    let doctype = "<?xml version=\"1.0\"?><!DOCTYPE feed [<!ENTITY x \"y\">]><feed/>";
    assert!(matches!(
        parse_atom(doctype.as_bytes()),
        Err(JmaError::Doctype { .. })
    ));
    let entity = "<feed><entry><id>&x;</id></entry></feed>";
    assert!(matches!(
        parse_atom(entity.as_bytes()),
        Err(JmaError::Entity { .. })
    ));
    let cut = &FEED.as_bytes()[..FEED.len() / 2];
    assert!(matches!(parse_atom(cut), Err(JmaError::Malformed { .. })));
    assert!(matches!(
        parse_atom(&[0xff, 0xfe]),
        Err(JmaError::NotUtf8 { position: 0 })
    ));
    let huge = vec![b' '; MAX_FEED_BYTES + 1];
    assert_eq!(
        parse_atom(&huge).unwrap_err(),
        JmaError::FeedTooLarge {
            bytes: MAX_FEED_BYTES + 1
        }
    );
}

// --- the conditions file ---------------------------------------------------------------

#[test]
fn the_conditions_file_is_read_and_checked_whole() {
    let text = std::fs::read_to_string(schemas().join("conditions.example.json")).unwrap();
    let conditions = parse_conditions(&format!("\u{feff}{text}")).unwrap();
    assert_eq!(conditions, example_conditions());
    let problems = parse_conditions("[{\"name\": \"x\",").unwrap_err();
    assert!(problems[0].starts_with("1行"), "{problems:?}");
    let problems = parse_conditions(
        r#"[{"name": "x", "min_intensity": "3", "targets": [{"areas": ["9"]}]},
            {"name": "x", "min_intensity": "5弱", "targets": [{"areas": ["350"]}], "delay_minutes": 2000}]"#,
    )
    .unwrap_err();
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(
        problems.iter().any(|p| p.contains("同じ名前")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("delay_minutes")),
        "{problems:#?}"
    );
    let huge = " ".repeat(MAX_CONDITIONS_BYTES + 1);
    assert!(parse_conditions(&huge).unwrap_err()[0].contains("大きすぎます"));
}
