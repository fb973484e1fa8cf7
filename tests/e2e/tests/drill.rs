//! Drill data never crosses into actual use (T-04, T-06), through every path: the
//! same person in a drill and in the actual incident, a person who exists only in a
//! drill, and a municipality's own practice drill. The actual incident is created at
//! the national tier and reaches every node over NATS; a municipality may not create
//! one. Private area, shared replica, public page, inquiry (identification and Form 5)
//! and reporting are each checked for crossing. Found by a hostile test (issue 13,
//! items 1 and 4).

use anpi_core::entry::fixtures::evacuee;
use anpi_e2e::{Member, network_with};
use anpi_harness::NatsServer;
use anpi_harness::free_port;
use anpi_proto::v1;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NATIONAL: &str = "000001";
const TOKYO: &str = "130001";
const CHIYODA: &str = "131016";
const SHINJUKU: &str = "131041";

/// Percent-encodes a form value (UTF-8).
fn form_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Asks the public page (POST /check) about `name`; returns the page.
async fn public_check(port: u16, name: &str) -> String {
    let body = format!("name={}&birth=", form_value(name));
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("the public page");
    let request = format!(
        "POST /check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

async fn search(member: &mut Member, name: &str, incident: &str, shared: bool) -> Vec<v1::Record> {
    let request = member.client.req(v1::SearchRequest {
        name: name.into(),
        incident_id: incident.into(),
        shared,
        ..Default::default()
    });
    member
        .client
        .node
        .search(request)
        .await
        .expect("a search")
        .into_inner()
        .records
}

async fn inquire(member: &mut Member, incident: &str) -> v1::InquiryView {
    let draft = serde_json::json!({
        "channel": "form4",
        "inquirer": {"name": "消防 花子", "address": "東京都新宿区西新宿2-8-1"},
        "reason": "family",
        "identity": {"method": "document", "document": "運転免許証"},
        "target": {
            "name": "消防 太郎", "birth_date": "昭和56年11月25日", "sex": "男",
            "address": "東京都千代田区霞が関2丁目1番2号"
        }
    });
    member
        .client
        .inquire_and_answer(incident, draft.to_string(), "")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drill_data_never_answers_an_actual_inquiry_or_the_public_page() {
    let nats = NatsServer::start();
    let port = free_port();
    let ([mut national, mut tokyo, mut chiyoda, mut shinjuku], drill) =
        network_with(&nats, [NATIONAL, TOKYO, CHIYODA, SHINJUKU], |code| {
            if code == NATIONAL {
                format!("public_listen = \"127.0.0.1:{port}\"\npublic_rate_per_minute = 100\n")
            } else {
                String::new()
            }
        })
        .await;

    // T-06: a municipality may not create an actual incident; the national tier's
    // actual incident reaches every node over NATS.
    let refused = chiyoda
        .client
        .new_incident("千代田区で作った実事案", "actual")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().contains("国"), "{}", refused.message());
    let actual = national
        .client
        .new_incident("首都直下地震", "actual")
        .await
        .unwrap();
    for member in [&mut tokyo, &mut chiyoda, &mut shinjuku] {
        let arrived = member.wait_incident(&actual.id).await;
        assert_eq!(arrived.mode, "actual");
        assert_eq!(arrived.name, "首都直下地震");
    }

    // 消防 太郎 in the actual incident, and again in the drill with a newer 記入日時
    // and another shelter; 訓練 花子 only in the drill.
    let mut real = evacuee();
    real.location.place_name = "永田町小学校".into();
    real.location.category = "避難所".into();
    let real = chiyoda
        .client
        .record(&actual.id, &real, None)
        .await
        .unwrap();
    let mut practice = evacuee();
    practice.written_at = "2026-11-21 20:00".into();
    practice.location.place_name = "訓練用避難所".into();
    practice.location.category = "避難所".into();
    let practice = chiyoda
        .client
        .record(&drill, &practice, None)
        .await
        .unwrap();
    let mut hanako = evacuee();
    hanako.name = "訓練　花子".into();
    hanako.furigana = "クンレン　ハナコ".into();
    hanako.sex = "女".into();
    chiyoda.client.record(&drill, &hanako, None).await.unwrap();
    // Chiyoda's own practice drill stays in Chiyoda.
    let own = chiyoda
        .client
        .new_incident("千代田区の入力練習", "drill")
        .await
        .unwrap();
    let mut local = evacuee();
    local.name = "練習　一郎".into();
    chiyoda.client.record(&own.id, &local, None).await.unwrap();

    chiyoda.client.report().await;
    tokyo.wait_records(3).await;
    tokyo.client.report().await;
    national.wait_records(3).await;
    assert!(national.client.publish().await.unwrap().published);
    shinjuku.wait_shared_version(1).await;
    national.wait_shared_version(1).await;

    // Reporting: the practice drill (incident and records) never left Chiyoda.
    for member in [&mut tokyo, &mut national] {
        assert_eq!(
            member.count("SELECT count(*) FROM records").await,
            3,
            "{}",
            member.code
        );
        assert!(
            !member
                .client
                .incidents()
                .await
                .iter()
                .any(|i| i.id == own.id),
            "{} holds Chiyoda's practice drill",
            member.code
        );
    }

    // Report history shows the modes each report carried.
    let history = tokyo.client.history().await;
    let received = &history.received[0];
    assert_eq!(received.mode_labels, ["実事案", "訓練"], "{received:?}");
    let history = chiyoda.client.history().await;
    assert_eq!(history.sent[0].mode_labels, ["実事案", "訓練"]);
    assert_eq!(
        history.unreported_events, 0,
        "the practice drill waits for nothing"
    );
    let request = chiyoda.client.req(v1::OrganiseRequest {
        incident_id: own.id.clone(),
        ..Default::default()
    });
    let screen = chiyoda
        .client
        .node
        .organise(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!((screen.total, screen.unreported), (1, 0));
    assert!(screen.rows.iter().all(|row| row.reported), "never 未報告");

    // Private area and shared replica: each incident answers with its own records.
    let found = search(&mut national, "消防太郎", &actual.id, false).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].record_id, real.record_id);
    let found = search(&mut shinjuku, "消防太郎", &actual.id, true).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].record_id, real.record_id);
    assert_eq!(found[0].incident.as_ref().unwrap().mode_label, "実事案");
    let found = search(&mut shinjuku, "消防太郎", &drill, true).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].record_id, practice.record_id);
    assert!(
        search(&mut shinjuku, "訓練花子", &actual.id, true)
            .await
            .is_empty()
    );

    // Inquiries: the actual inquiry is answered from the actual record, never from
    // the newer drill one; the drill inquiry's Form 5 says it is a drill.
    let answered = inquire(&mut shinjuku, &actual.id).await;
    assert_eq!(answered.record_id, real.record_id, "{answered:?}");
    assert!(
        answered.form5.contains("永田町小学校"),
        "{}",
        answered.form5
    );
    assert!(!answered.form5.contains("訓練"), "{}", answered.form5);
    assert_eq!(answered.incident.as_ref().unwrap().mode, "actual");
    let answered = inquire(&mut shinjuku, &drill).await;
    assert_eq!(answered.record_id, practice.record_id, "{answered:?}");
    assert!(answered.form5.starts_with("【訓練】"), "{}", answered.form5);
    assert_eq!(answered.incident.as_ref().unwrap().mode, "drill");
    // An inquiry names its incident.
    let request = shinjuku.client.req(v1::RegisterInquiryRequest {
        incident_id: String::new(),
        draft_json: "{}".into(),
    });
    let missing = shinjuku
        .client
        .node
        .register_inquiry(request)
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::InvalidArgument);

    // The public page: held only through the actual incident.
    let page = public_check(port, "消防太郎").await;
    assert!(page.contains("保有しています"), "{page}");
    let page = public_check(port, "訓練花子").await;
    assert!(page.contains("保有していません"), "{page}");
    assert!(!page.contains("保有しています"), "{page}");
}
