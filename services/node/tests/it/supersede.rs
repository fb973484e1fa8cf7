//! Replacing a record (E-10, E-11) deletes it: only a role with the delete right may,
//! only with an entry of the same person (or the operator's recorded confirmation),
//! and a refusal never tells whether an ID exists. Found by a hostile test: an
//! `input` clerk replaced another person's record with `--supersedes` and so deleted it
//! (issue 13, item 2). R: A-02, E-10, D-01.

use anpi_core::account::Role;
use anpi_proto::{draft_to_proto, v1};
use tonic::Code;

use crate::api::{Api, as_token};
use crate::support::evacuee;

async fn replace(
    api: &mut Api,
    token: &str,
    incident: &str,
    draft: &anpi_core::entry::EntryDraft,
    old: &str,
    confirm: bool,
) -> Result<v1::Record, tonic::Status> {
    api.node
        .record_entry(as_token(
            token,
            v1::RecordEntryRequest {
                incident_id: incident.into(),
                draft: Some(draft_to_proto(draft)),
                supersedes: old.into(),
                confirm_same_person: confirm,
            },
        ))
        .await
        .map(|r| r.into_inner().record.expect("a record"))
}

async fn state_of(api: &mut Api, id: &str) -> String {
    api.node
        .get_record(api.req(v1::GetRecordRequest {
            record_id: id.into(),
        }))
        .await
        .expect("the record")
        .into_inner()
        .state
}

#[tokio::test]
async fn only_the_delete_right_replaces_and_only_the_same_person() {
    let mut api = Api::start().await;
    let incident = api.incident().await;
    let admin = api.token.clone();
    let clerk = crate::accounts::account_of(&mut api, "clerk01", Role::Input).await;
    let organiser = crate::accounts::account_of(&mut api, "organiser01", Role::Organise).await;

    let record = |n: usize| evacuee(n);
    let smith = {
        let mut draft = record(1);
        draft.name = "スミス　ジョン".into();
        api.node
            .record_entry(api.req(v1::RecordEntryRequest {
                incident_id: incident.clone(),
                draft: Some(draft_to_proto(&draft)),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner()
            .record
            .unwrap()
    };

    // An input clerk may enter, but not replace: refused before anything is looked
    // up, and John Smith's record stays.
    let refused = replace(
        &mut api,
        &clerk,
        &incident,
        &record(2),
        &smith.record_id,
        true,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("削除"), "{}", refused.message());
    let unknown = uuid::Uuid::now_v7().to_string();
    let probe = replace(&mut api, &clerk, &incident, &record(2), &unknown, true)
        .await
        .unwrap_err();
    assert_eq!(
        (probe.code(), probe.message()),
        (refused.code(), refused.message())
    );
    assert_ne!(state_of(&mut api, &smith.record_id).await, "deleted");

    // The organiser replaces only with the same person, unless confirming.
    let other = replace(
        &mut api,
        &organiser,
        &incident,
        &record(2),
        &smith.record_id,
        false,
    )
    .await
    .unwrap_err();
    assert_eq!(other.code(), Code::InvalidArgument);
    assert!(other.message().contains("4情報"), "{}", other.message());
    assert_ne!(state_of(&mut api, &smith.record_id).await, "deleted");
    let mut update = record(1);
    update.name = "スミス ジョン".into(); // 表記ゆれ: the same person
    update.location.place_name = "第二避難所".into();
    let updated = replace(
        &mut api,
        &organiser,
        &incident,
        &update,
        &smith.record_id,
        false,
    )
    .await
    .unwrap();
    assert_eq!(state_of(&mut api, &smith.record_id).await, "deleted");

    // Unknown and deleted IDs are refused alike (no probing which IDs exist).
    let gone = replace(&mut api, &admin, &incident, &update, &smith.record_id, true)
        .await
        .unwrap_err();
    let never = replace(&mut api, &admin, &incident, &update, &unknown, true)
        .await
        .unwrap_err();
    assert_eq!(
        (gone.code(), gone.message()),
        (never.code(), never.message())
    );

    // A confirmed replacement of another person is recorded as confirmed.
    let confirmed = replace(
        &mut api,
        &admin,
        &incident,
        &record(3),
        &updated.record_id,
        true,
    )
    .await
    .unwrap();
    assert_ne!(confirmed.record_id, updated.record_id);
    let events = api
        .node
        .read_events(api.req(v1::ReadEventsRequest {
            after_position: 0,
            limit: 1000,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(
        events.iter().any(|e| e.kind == "EntryDeleted"
            && e.payload_json.contains("同一人物であることを記入者が確認")),
        "the confirmation is recorded"
    );
}
