//! The end of an incident's retention (issue 21 item 4, ADR 0019; guideline 第4 3(2)※,
//! 第5 2(1)※, 第5 4(5)): 千代田区 records people in two incidents, answers an inquiry
//! about one of them and reports to 東京都. The administrator sets the first incident's
//! retention end; the purge is refused before that day, before the end is reported and
//! without the incident ID typed again, and then done. Afterwards no personal field of
//! the purged incident is found anywhere in 千代田区's database — in no text or JSON
//! column of any table, and in no raw file of the database — while the other
//! incident's are; the hash chain still verifies, a replay of the log equals the live
//! read model, and nothing new can be recorded about the purged incident. R: L-05,
//! U-01, A-06.
//!
//! The same in the console (保存期間・消去, administrator): mistakes named beside their
//! fields, the end set, the purge form only for an incident whose end has come, a purge
//! refused until reported and without the ID typed again, then done. Checked with
//! axe-core and photographed into `docs/console/retention.png` and
//! `docs/console/retention-purged.png`.

use std::path::PathBuf;

use anpi_e2e::console_site::{ConsoleNode, Site};
use anpi_e2e::{Deadline, Member, network};
use anpi_harness::NatsServer;
use anpi_proto::v1;
use chrono::{Duration, Utc};

const TOKYO: &str = "130001";
const CHIYODA: &str = "131016";

/// What identifies the people of the purged incident: the names, kana, address and the
/// inquirer's phone (of `fixtures::evacuee`, `fixtures::deceased` and
/// `inquiry-family.json`).
const PURGED: [&str; 5] = ["消防", "ショウボウ", "霞が関", "5320-0000", "良子"];
/// The person of the other incident.
const KEPT: &str = "残留";

fn example(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../schemas/json/examples")
            .join(name),
    )
    .unwrap()
}

async fn connect(member: &Member) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&member.db.url, tokio_postgres::NoTls)
        .await
        .expect("connecting to the node database");
    tokio::spawn(connection);
    client
}

/// Every `table.column` of text or JSON (any schema but PostgreSQL's) whose value
/// contains `needle`.
async fn columns_holding(client: &tokio_postgres::Client, needle: &str) -> Vec<String> {
    let columns = client
        .query(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
               AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')
               AND table_name IN (SELECT table_name FROM information_schema.tables
                                  WHERE table_type = 'BASE TABLE' AND table_schema = columns.table_schema)",
            &[],
        )
        .await
        .unwrap();
    let mut found = Vec::new();
    for c in &columns {
        let (schema, table, column): (&str, &str, &str) = (c.get(0), c.get(1), c.get(2));
        let sql = format!(
            "SELECT count(*) FROM \"{schema}\".\"{table}\" WHERE \"{column}\"::text LIKE '%' || $1 || '%'"
        );
        let n: i64 = client.query_one(&sql, &[&needle]).await.unwrap().get(0);
        if n > 0 {
            found.push(format!("{schema}.{table}.{column} ({n})"));
        }
    }
    found
}

/// The files of the node's database (every table, index and TOAST file on disk, after a
/// checkpoint) whose bytes contain `needle` in UTF-8: what `strings` would find.
async fn files_holding(client: &tokio_postgres::Client, needle: &str) -> Vec<PathBuf> {
    client.batch_execute("CHECKPOINT").await.unwrap();
    let row = client
        .query_one(
            "SELECT current_setting('data_directory'),
                    (SELECT oid FROM pg_database WHERE datname = current_database())::text",
            &[],
        )
        .await
        .unwrap();
    let (data, oid): (String, String) = (row.get(0), row.get(1));
    let dir = PathBuf::from(data).join("base").join(oid);
    let needle = needle.as_bytes();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if bytes.windows(needle.len()).any(|w| w == needle) {
            found.push(path);
        }
    }
    found
}

/// Waits until every report 千代田区 recorded was applied by 東京都 (acknowledged).
async fn wait_acknowledged(member: &Member) {
    let deadline = Deadline::new("reports acknowledged", std::time::Duration::from_secs(60));
    while member
        .count("SELECT count(*) FROM reports_sent WHERE acknowledged_at IS NULL")
        .await
        > 0
    {
        deadline.tick().await;
    }
}

async fn set_retention(
    member: &mut Member,
    incident: &str,
    until: &str,
) -> Result<v1::RetentionResponse, tonic::Status> {
    let request = member.client.req(v1::SetRetentionRequest {
        incident_id: incident.into(),
        until: until.into(),
    });
    Ok(member
        .client
        .node
        .set_retention(request)
        .await?
        .into_inner())
}

async fn purge(
    member: &mut Member,
    incident: &str,
    confirm: &str,
) -> Result<v1::RetentionResponse, tonic::Status> {
    let request = member.client.req(v1::PurgeIncidentRequest {
        incident_id: incident.into(),
        confirm: confirm.into(),
    });
    Ok(member
        .client
        .node
        .purge_incident(request)
        .await?
        .into_inner())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_its_retention_an_incident_is_purged_and_nothing_personal_of_it_remains() {
    let nats = NatsServer::start();
    let ([mut tokyo, mut chiyoda], incident) = network(&nats, [TOKYO, CHIYODA]).await;
    let other = anpi_e2e::incident_id();
    tokyo.client.create_incident(&other).await;
    chiyoda.client.create_incident(&other).await;

    // The purged incident: 消防 太郎 (evacuee), 消防 次郎 (deceased, 消防 良子 named as
    // bereaved) whose entry is then deleted, an inquiry about 太郎 answered (the copy of
    // Form 5), and reads of his record in the read log.
    let taro = chiyoda
        .client
        .record(&incident, &anpi_core::entry::fixtures::evacuee(), None)
        .await
        .unwrap();
    let mut jiro = anpi_core::entry::fixtures::deceased();
    jiro.name = "消防　次郎".into();
    jiro.furigana = "ショウボウ　ジロウ".into();
    jiro.birth_date = "1950-02-03".into();
    let deceased = chiyoda.client.record(&incident, &jiro, None).await.unwrap();
    chiyoda
        .client
        .delete(&deceased.record_id, "消防 良子さんの届出と重複")
        .await;
    // The other incident: 残留 花子.
    let mut hanako = anpi_e2e::evacuee(1);
    hanako.name = "残留　花子".into();
    hanako.furigana = "ザンリュウ　ハナコ".into();
    let hanako = chiyoda.client.record(&other, &hanako, None).await.unwrap();

    let answered = chiyoda
        .client
        .inquire_and_answer(&incident, example("inquiry-family.json"), "phone")
        .await;
    assert!(answered.form5.contains("消防"), "{answered:?}");
    assert!(chiyoda.client.record_state(&taro.record_id).await.is_some());
    // A search by name within the incident: the read log keeps what was asked.
    let request = chiyoda.client.req(v1::SearchRequest {
        name: "消防　太郎".into(),
        kana: "ショウボウ　タロウ".into(),
        incident_id: incident.clone(),
        ..Default::default()
    });
    let found = chiyoda
        .client
        .node
        .search(request)
        .await
        .expect("search")
        .into_inner();
    assert_eq!(found.records.len(), 1, "{found:?}");

    chiyoda.client.report().await;
    tokyo.wait_records(2).await;
    wait_acknowledged(&chiyoda).await;

    let db = connect(&chiyoda).await;
    // The search finds what it looks for (so that finding nothing later means something).
    for needle in PURGED {
        assert!(
            !columns_holding(&db, needle).await.is_empty(),
            "{needle} is stored before the purge"
        );
    }
    assert!(!files_holding(&db, "消防").await.is_empty());
    let asked = columns_holding(&db, "ショウボウ").await;
    assert!(
        asked.iter().any(|c| c.starts_with("public.read_log.query")),
        "{asked:?}"
    );
    // ... and the log holds none of it in the clear: personal fields are sealed.
    let clear: i64 = db
        .query_one(
            "SELECT count(*) FROM events WHERE payload::text LIKE '%消防%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(clear, 0, "the log holds personal fields in the clear");

    // The purge waits for a retention end, for its day, for the end to be reported,
    // and for the incident ID typed again.
    let refused = purge(&mut chiyoda, &incident, &incident).await.unwrap_err();
    assert_eq!(
        refused.code(),
        tonic::Code::FailedPrecondition,
        "{refused:?}"
    );
    assert!(
        refused.message().contains("終了日が設定されていません"),
        "{}",
        refused.message()
    );
    let bad = set_retention(&mut chiyoda, &incident, "いつか")
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert!(
        bad.message().contains("保存期間の終了日"),
        "{}",
        bad.message()
    );
    let japan = Utc::now()
        .with_timezone(&anpi_core::entry::jst_offset())
        .date_naive();
    let before_creation = set_retention(&mut chiyoda, &incident, "2000-01-01")
        .await
        .unwrap_err();
    assert!(
        before_creation.message().contains("作成日"),
        "{}",
        before_creation.message()
    );
    let tomorrow = (japan + Duration::days(1)).to_string();
    set_retention(&mut chiyoda, &incident, &tomorrow)
        .await
        .unwrap();
    let early = purge(&mut chiyoda, &incident, &incident).await.unwrap_err();
    assert!(
        early.message().contains("まで続きます"),
        "{}",
        early.message()
    );
    let set = set_retention(&mut chiyoda, &incident, &japan.to_string())
        .await
        .unwrap();
    assert!(set.message.contains("設定しました"), "{}", set.message);
    let unreported = purge(&mut chiyoda, &incident, &incident).await.unwrap_err();
    assert!(
        unreported.message().contains("報告していない"),
        "{}",
        unreported.message()
    );
    chiyoda.client.report().await;
    wait_acknowledged(&chiyoda).await;
    // The parent holds the same retention end (reported upward).
    let deadline = Deadline::new(
        "東京都 to hold the retention end",
        std::time::Duration::from_secs(60),
    );
    while tokyo
        .count(&format!(
            "SELECT count(*) FROM incidents WHERE incident_id = '{incident}' AND retention_until = '{japan}'"
        ))
        .await
        == 0
    {
        deadline.tick().await;
    }
    let unconfirmed = purge(&mut chiyoda, &incident, "はい").await.unwrap_err();
    assert!(
        unconfirmed.message().contains("事案ID"),
        "{}",
        unconfirmed.message()
    );
    // A reader whose snapshot predates the purge (a slow export, a long report): the
    // table rewrite waits for it, or it would copy the names its snapshot still sees.
    let slow = connect(&chiyoda).await;
    slow.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM events")
        .await
        .unwrap();
    let reader = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        slow.batch_execute("COMMIT").await.unwrap();
    });
    let done = purge(&mut chiyoda, &incident, &incident).await.unwrap();
    reader.await.unwrap();
    assert!(done.message.contains("消去しました"), "{}", done.message);

    // Nothing personal of the purged incident is left anywhere in the database.
    for needle in PURGED {
        assert_eq!(
            columns_holding(&db, needle).await,
            Vec::<String>::new(),
            "{needle}"
        );
    }
    for needle in ["消防", "ショウボウ", "霞が関"] {
        assert_eq!(
            files_holding(&db, needle).await,
            Vec::<PathBuf>::new(),
            "{needle}"
        );
    }
    // The other incident is untouched, in the tables and on disk.
    assert!(!columns_holding(&db, KEPT).await.is_empty());
    assert!(!files_holding(&db, KEPT).await.is_empty());
    let kept = chiyoda
        .client
        .record_state(&hanako.record_id)
        .await
        .expect("kept");
    assert_eq!(kept.display_name, "残留　花子");
    assert!(chiyoda.client.record_state(&taro.record_id).await.is_none());

    // The chain still verifies; the purged events read as purged, naming what they were.
    let verified = chiyoda.client.verify_log().await;
    assert!(verified.ok, "{verified:?}");
    let events = chiyoda.client.events().await;
    let purged: Vec<_> = events.iter().filter(|e| e.kind == "Purged").collect();
    assert!(
        purged
            .iter()
            .any(|e| e.payload_json.contains("EntryRecorded"))
            && purged
                .iter()
                .any(|e| e.payload_json.contains("InquiryAnswered")),
        "{purged:?}"
    );
    assert!(events.iter().all(|e| !e.payload_json.contains("消防")));
    assert!(events.iter().any(|e| e.kind == "IncidentPurged"));

    // A replay of the log equals the live read model (records, inquiries, incidents).
    let last = chiyoda.client.replay_compared().await;
    assert_eq!((last.differences, last.records), (0, 1), "{last:?}");
    for table in [
        "inquiries",
        "incidents",
        "duplicate_flags",
        "publication_decisions",
    ] {
        let differing: i64 = db
            .query_one(
                &format!(
                    "SELECT count(*) FROM ((SELECT * FROM public.{table} EXCEPT SELECT * FROM {schema}.{table})
                     UNION ALL (SELECT * FROM {schema}.{table} EXCEPT SELECT * FROM public.{table})) d",
                    schema = last.schema
                ),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(differing, 0, "{table}");
    }

    // Nothing new is recorded about the purged incident; the other goes on.
    let refused = chiyoda
        .client
        .record(&incident, &anpi_core::entry::fixtures::evacuee(), None)
        .await
        .unwrap_err();
    assert!(
        refused.message().contains("消去されました"),
        "{}",
        refused.message()
    );
    let again = purge(&mut chiyoda, &incident, &incident).await.unwrap_err();
    assert!(again.message().contains("既に消去"), "{}", again.message());
    chiyoda
        .client
        .record(&other, &anpi_e2e::evacuee(2), None)
        .await
        .unwrap();
}

/// The state the retention table shows for `incident`.
fn row_state(site: &mut Site, incident: &str) -> String {
    site.browser
        .eval(&format!(
            "var tr = document.querySelector('#retention-table tr[data-incident=\"{incident}\"]'); \
             return tr ? tr.dataset.state : '';"
        ))
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_sets_the_end_and_purges_in_the_console() {
    let nats = NatsServer::start();
    let [_tokyo, mut chiyoda] = ConsoleNode::start_all(&nats, [TOKYO, CHIYODA]).await;
    let incident = chiyoda.incident.clone();
    chiyoda
        .node
        .client
        .record(&incident, &anpi_core::entry::fixtures::evacuee(), None)
        .await
        .unwrap();
    chiyoda.node.client.report().await;
    wait_acknowledged(&chiyoda.node).await;

    let mut site = Site::open(&chiyoda);
    site.login_admin(&chiyoda);
    site.goto("/");
    site.browser.submit("nav a[href='/retention']");
    assert_eq!(site.browser.path(), "/retention");
    assert_eq!(row_state(&mut site, &incident), "unset");
    assert!(site.browser.exists("#no-due"), "no purge form yet");

    // Mistakes, each beside its field, nothing saved.
    site.browser.submit("#retention-button");
    assert!(site.browser.exists("#err-incident_id"), "{}", site.body());
    site.browser
        .click(&format!("#field-incident_id option[value='{incident}']"));
    site.browser.fill("#field-retention_until", "いつか");
    site.browser.submit("#retention-button");
    assert!(
        site.browser.exists("#err-retention_until"),
        "{}",
        site.body()
    );
    assert_eq!(site.browser.value("#field-retention_until"), "いつか");
    assert_eq!(row_state(&mut site, &incident), "unset");

    // An end still to come: kept, nothing to purge.
    let japan = Utc::now()
        .with_timezone(&anpi_core::entry::jst_offset())
        .date_naive();
    site.browser
        .click(&format!("#field-incident_id option[value='{incident}']"));
    site.browser.fill(
        "#field-retention_until",
        &(japan + Duration::days(30)).to_string(),
    );
    site.browser.submit("#retention-button");
    assert!(site.notice().contains("設定しました"), "{}", site.body());
    assert_eq!(row_state(&mut site, &incident), "kept");
    assert!(site.browser.exists("#no-due"));

    // The end today: the purge form, refused until the end is reported and the ID typed.
    site.browser
        .click(&format!("#field-incident_id option[value='{incident}']"));
    site.browser
        .fill("#field-retention_until", &japan.to_string());
    site.browser.submit("#retention-button");
    assert_eq!(row_state(&mut site, &incident), "due");
    site.check("retention");
    site.browser
        .click(&format!("#field-purge_incident option[value='{incident}']"));
    site.browser.fill("#field-confirm", "はい");
    site.browser.submit("#purge-button");
    assert!(site.browser.exists("#err-confirm"), "{}", site.body());
    site.browser
        .click(&format!("#field-purge_incident option[value='{incident}']"));
    site.browser.fill("#field-confirm", &incident);
    site.browser.submit("#purge-button");
    assert!(
        site.browser
            .text("#err-purge_incident")
            .contains("報告していない"),
        "{}",
        site.body()
    );
    chiyoda.node.client.report().await;
    wait_acknowledged(&chiyoda.node).await;
    site.goto("/retention");
    site.browser
        .click(&format!("#field-purge_incident option[value='{incident}']"));
    site.browser.fill("#field-confirm", &incident);
    site.browser.submit("#purge-button");
    assert!(site.notice().contains("消去しました"), "{}", site.body());
    assert_eq!(row_state(&mut site, &incident), "purged");
    assert!(site.body().contains("消去済み"));
    site.check("retention-purged");
    assert_eq!(
        chiyoda
            .node
            .count(&format!(
                "SELECT count(*) FROM records WHERE incident_id = '{incident}'"
            ))
            .await,
        0
    );
}
