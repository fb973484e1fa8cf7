//! Inquiries across the network: a person collected by 千代田区 is asked about at 新宿区,
//! found there through the published shared dataset, and answered within the person's
//! consent; the answer copy is an event of 新宿区's log. A namesake makes a vaguer
//! inquiry unidentifiable; an improper one is refused with its reason. R: Q-01..Q-06,
//! S-03, A-06.

use std::path::Path;

use anpi_core::event::Payload;
use anpi_e2e::{Member, network};
use anpi_harness::NatsServer;
use anpi_proto::v1;

const NATIONAL: &str = "000001";
const TOKYO: &str = "130001";
const CHIYODA: &str = "131016";
const SHINJUKU: &str = "131041";

fn example(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../schemas/json/examples")
            .join(name),
    )
    .unwrap()
}

async fn register(member: &mut Member, incident: &str, draft_json: String) -> v1::InquiryView {
    let request = member.client.req(v1::RegisterInquiryRequest {
        incident_id: incident.into(),
        draft_json,
    });
    member
        .client
        .node
        .register_inquiry(request)
        .await
        .expect("registered")
        .into_inner()
}

async fn identify(member: &mut Member, id: &str) -> v1::InquiryView {
    let request = member.client.req(v1::InquiryRequest {
        inquiry_id: id.into(),
    });
    member
        .client
        .node
        .identify_inquiry(request)
        .await
        .expect("identified")
        .into_inner()
}

async fn answer(
    member: &mut Member,
    id: &str,
    refuse: &str,
) -> Result<v1::InquiryView, tonic::Status> {
    let request = member.client.req(v1::AnswerInquiryRequest {
        inquiry_id: id.into(),
        refuse_reason: refuse.into(),
        answer_channel: "phone".into(),
    });
    Ok(member
        .client
        .node
        .answer_inquiry(request)
        .await?
        .into_inner())
}

/// The inquiry events of a node's log, decoded.
async fn inquiry_events(member: &mut Member) -> Vec<Payload> {
    member
        .client
        .events()
        .await
        .into_iter()
        .filter(|e| e.kind.starts_with("Inquiry"))
        .map(|e| serde_json::from_str(&e.payload_json).expect("a payload"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_collected_elsewhere_is_found_through_the_shared_dataset_and_answered() {
    let nats = NatsServer::start();
    let ([mut national, mut tokyo, mut chiyoda, mut shinjuku], incident) =
        network(&nats, [NATIONAL, TOKYO, CHIYODA, SHINJUKU]).await;

    // 消防 太郎 at a Chiyoda shelter (table 4-3 consent), with where he is and a contact.
    let mut taro = anpi_core::entry::fixtures::evacuee();
    taro.location.prefecture = "東京都".into();
    taro.location.municipality = "千代田区".into();
    taro.location.place_name = "永田町小学校".into();
    taro.location.category = "避難所".into();
    taro.contact = "避難所電話 03-0000-0000".into();
    let taro = chiyoda.client.record(&incident, &taro, None).await.unwrap();
    // A namesake in Shinjuku's own area: another birth date and address.
    let mut namesake = anpi_core::entry::fixtures::evacuee();
    namesake.birth_date = "1990-04-01".into();
    namesake.address.municipality = "新宿区".into();
    namesake.address.town = "西新宿2丁目".into();
    namesake.address.lot = "8-1".into();
    shinjuku
        .client
        .record(&incident, &namesake, None)
        .await
        .unwrap();

    chiyoda.client.report().await;
    tokyo.wait_records(1).await;
    tokyo.client.report().await;
    national.wait_records(1).await;
    assert!(national.client.publish().await.unwrap().published);
    shinjuku.wait_shared_version(1).await;

    // The family inquiry (Form 4, all 4 information): identified through the shared
    // dataset, answered within table 4-3's family column.
    let family = register(&mut shinjuku, &incident, example("inquiry-family.json")).await;
    assert_eq!(family.status, "registered");
    let premature = answer(&mut shinjuku, &family.inquiry_id, "")
        .await
        .unwrap_err();
    assert_eq!(premature.code(), tonic::Code::FailedPrecondition);
    let identified = identify(&mut shinjuku, &family.inquiry_id).await;
    assert_eq!(identified.status, "identified", "{identified:?}");
    assert_eq!(identified.record_id, taro.record_id);
    let answered = answer(&mut shinjuku, &family.inquiry_id, "").await.unwrap();
    assert_eq!(
        answered.answer_channel_label, "電話",
        "how it was answered is kept"
    );
    assert_eq!(answered.status, "answered");
    let form5 = &answered.form5;
    for expected in [
        "安否情報回答書",
        "該当",
        "消防　太郎",
        "永田町小学校",
        "避難所電話 03-0000-0000",
        "現在",
        "新宿区長",
        "消防 花子",
    ] {
        assert!(
            form5.contains(expected),
            "Form 5 lacks {expected}:\n{form5}"
        );
    }
    let again = answer(&mut shinjuku, &family.inquiry_id, "")
        .await
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);
    assert!(again.message().contains("回答済み"), "{}", again.message());

    // The answer copy and the reads behind it are in Shinjuku's log.
    let events = inquiry_events(&mut shinjuku).await;
    let searched = events
        .iter()
        .find_map(|p| match p {
            Payload::InquiryIdentified { searched, .. } => Some(searched.clone()),
            _ => None,
        })
        .expect("the identification");
    assert!(
        searched.shared >= 1 && searched.dataset_version == Some(1),
        "{searched:?}"
    );
    let (record_id, disclosed) = events
        .iter()
        .find_map(|p| match p {
            Payload::InquiryAnswered {
                record_id, answer, ..
            } => Some((*record_id, answer.clone())),
            _ => None,
        })
        .expect("the answer copy");
    assert_eq!(record_id.unwrap().to_string(), taro.record_id);
    assert!(
        disclosed
            .value(anpi_core::consent::ConsentField::Location)
            .is_some()
    );

    // A vaguer inquiry by phone (name and sex only) matches both namesakes: not
    // identified, the officer is told what to ask for, and nothing can be answered.
    let vague = register(
        &mut shinjuku,
        &incident,
        example("inquiry-phone-acquaintance.json"),
    )
    .await;
    let vague = identify(&mut shinjuku, &vague.inquiry_id).await;
    assert_eq!(vague.status, "not_identified", "{vague:?}");
    assert_eq!(vague.candidates, 2);
    assert!(
        vague.ask_for.iter().any(|f| f == "出生の年月日"),
        "{:?}",
        vague.ask_for
    );
    assert!(vague.record_id.is_empty());
    let refused = answer(&mut shinjuku, &vague.inquiry_id, "")
        .await
        .unwrap_err();
    assert!(
        refused.message().contains("特定できていない"),
        "{}",
        refused.message()
    );

    // An acquaintance who gives what identifies him gets only table 4-3's
    // acquaintance column: the name and the injury flag, no location or contact.
    let mut draft: serde_json::Value =
        serde_json::from_str(&example("inquiry-phone-acquaintance.json")).unwrap();
    draft["target"]["birth_date"] = "1981-11-25".into();
    draft["target"]["address"] = "東京都千代田区霞が関2丁目1番2号".into();
    let acquaintance = register(&mut shinjuku, &incident, draft.to_string()).await;
    assert_eq!(
        identify(&mut shinjuku, &acquaintance.inquiry_id)
            .await
            .status,
        "identified"
    );
    let answered = answer(&mut shinjuku, &acquaintance.inquiry_id, "")
        .await
        .unwrap();
    assert!(answered.form5.contains("消防　太郎"), "{}", answered.form5);
    for hidden in ["永田町小学校", "03-0000-0000"] {
        assert!(
            !answered.form5.contains(hidden),
            "{hidden}:\n{}",
            answered.form5
        );
    }

    // An improper purpose is refused with its reason, and the refusal is logged.
    let organisation = register(
        &mut shinjuku,
        &incident,
        example("inquiry-organisation.json"),
    )
    .await;
    let refused = answer(
        &mut shinjuku,
        &organisation.inquiry_id,
        "名簿を作成し販売するおそれ",
    )
    .await
    .unwrap();
    assert_eq!(refused.status, "refused");
    assert!(inquiry_events(&mut shinjuku).await.iter().any(|p| matches!(
        p,
        Payload::InquiryRefused { reason, .. } if reason == "名簿を作成し販売するおそれ"
    )));
    // Inquiries stay where they were made: none reached Chiyoda or the national log.
    assert!(inquiry_events(&mut chiyoda).await.is_empty());
    let listed = shinjuku
        .client
        .node
        .list_inquiries(shinjuku.client.req(v1::ListInquiriesRequest { limit: 10 }))
        .await
        .unwrap()
        .into_inner()
        .inquiries;
    assert_eq!(listed.len(), 4);
}
