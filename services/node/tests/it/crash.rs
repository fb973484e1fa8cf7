//! `kill -9` after acknowledged entries: every acknowledged entry survives the restart
//! with its position unchanged. R: L-01, L-02.

use anpi_harness::{TestDb, TestNode};
use anpi_proto::{draft_to_proto, v1};
use tonic::transport::Channel;

use crate::support::{CODE, evacuee};

async fn client(
    addr: &str,
    token: &str,
) -> v1::node_client::NodeClient<
    tonic::service::interceptor::InterceptedService<
        Channel,
        impl tonic::service::Interceptor + use<>,
    >,
> {
    let channel = Channel::from_shared(addr.to_string())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let header: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
    v1::node_client::NodeClient::with_interceptor(channel, move |mut request: tonic::Request<()>| {
        request
            .metadata_mut()
            .insert("authorization", header.clone());
        Ok(request)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_entries_survive_kill_9() {
    let db = TestDb::create().await;
    let mut node = TestNode::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_anpi-node")),
        CODE,
        &db.url,
    );
    let channel = Channel::from_shared(node.process.addr.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let token = v1::auth_client::AuthClient::new(channel)
        .login(v1::LoginRequest {
            account: "admin".into(),
            password: node.password.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .token;
    let mut api = client(&node.process.addr, &token).await;
    let incident = api
        .create_incident(v1::CreateIncidentRequest {
            name: "訓練".into(),
            mode: "drill".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .id;

    // Acknowledged entries from several concurrent clients.
    let mut tasks = Vec::new();
    for c in 0..4 {
        let mut api = client(&node.process.addr, &token).await;
        let incident = incident.clone();
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0..25 {
                let draft = draft_to_proto(&evacuee(c * 100 + i));
                let reply = api
                    .record_entry(v1::RecordEntryRequest {
                        incident_id: incident.clone(),
                        draft: Some(draft),
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .into_inner();
                acknowledged.push((reply.record.unwrap().record_id, reply.position));
            }
            acknowledged
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }
    let events_before = api
        .read_events(v1::ReadEventsRequest {
            after_position: 0,
            limit: 0,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;

    node.process.kill9();
    node.process.restart();

    let mut api = client(&node.process.addr, &token).await;
    let records = api
        .list_records(v1::ListRecordsRequest {
            incident_id: incident.clone(),
            include_deleted: true,
            limit: 0,
            after_position: 0,
            export: false,
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    for (record_id, position) in &acknowledged {
        let found = records
            .iter()
            .find(|r| &r.record_id == record_id)
            .unwrap_or_else(|| panic!("lost {record_id}"));
        assert_eq!(
            found.recorded_position, *position,
            "position of {record_id} changed"
        );
    }
    assert_eq!(records.len(), acknowledged.len());
    let events_after = api
        .read_events(v1::ReadEventsRequest {
            after_position: 0,
            limit: 0,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let ids = |events: &[v1::Event]| {
        events
            .iter()
            .map(|e| (e.position, e.event_id.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&events_after), ids(&events_before));

    // The restarted node goes on appending right after the old head.
    let reply = api
        .record_entry(v1::RecordEntryRequest {
            incident_id: incident,
            draft: Some(draft_to_proto(&evacuee(999))),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.position, events_before.last().unwrap().position + 1);
}
