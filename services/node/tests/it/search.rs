//! Search in SQL agrees with the reference predicate, on synthetic data and on the
//! guideline's examples. R: S-01, S-02, S-04, P-04, N-04.

use std::collections::BTreeSet;

use anpi_core::command::Command as DomainCommand;
use anpi_core::entry::fixtures::evacuee as taro;
use anpi_core::entry::synthetic::{Generator, reference_now};
use anpi_core::entry::{EntryDraft, validate};
use anpi_core::ids::IncidentId;
use anpi_core::private_area::RecordState;
use anpi_core::search::{Indexed, Query, QueryDraft};
use anpi_harness::TestDb;
use anpi_node::store::search::{self as queries, Table};
use anpi_node::store::writer::Writer;
use anpi_node::store::{self, reader};
use futures::future::join_all;
use uuid::Uuid;

use crate::support::{actor, create_incident, start_writer};

async fn enter_all(writer: &Writer, incident: IncidentId, drafts: &[EntryDraft]) {
    for chunk in drafts.chunks(200) {
        let submissions = chunk.iter().map(|draft| {
            let entry = validate(draft, reference_now()).expect("valid draft");
            writer.submit(
                actor(),
                DomainCommand::RecordEntry {
                    incident,
                    entry: Box::new(entry),
                    supersedes: None,
                    confirm_same_person: false,
                },
            )
        });
        for outcome in join_all(submissions).await {
            outcome.expect("recorded");
        }
    }
}

async fn all_records(client: &tokio_postgres::Client) -> Vec<RecordState> {
    reader::list_records(client, None, true, 0, 100_000)
        .await
        .unwrap()
}

/// A node's database holding `n` synthetic records (seed 2026).
struct Loaded {
    _db: TestDb,
    _writer: (Writer, tokio::task::JoinHandle<()>),
    client: tokio_postgres::Client,
    incident: IncidentId,
    drafts: Vec<EntryDraft>,
    /// Every record with its search columns (`Indexed::of`), in the reader's order.
    records: Vec<(RecordState, Indexed)>,
}

async fn load_synthetic(n: u64) -> Loaded {
    let db = TestDb::create().await;
    let (writer, task) = start_writer(&db.url).await;
    let client = store::connect(&db.url).await.unwrap();
    let incident = create_incident(&writer).await;
    let drafts: Vec<EntryDraft> = Generator::new(2026).drafts(0..n).collect();
    enter_all(&writer, incident, &drafts).await;
    let records = all_records(&client)
        .await
        .into_iter()
        .map(|state| {
            let indexed = Indexed::of(&state.entry);
            (state, indexed)
        })
        .collect();
    Loaded {
        _db: db,
        _writer: (writer, task),
        client,
        incident,
        drafts,
        records,
    }
}

/// Runs `draft` through SQL and through `Query::matches`; both must give the same set.
async fn check(
    client: &tokio_postgres::Client,
    records: &[(RecordState, Indexed)],
    draft: QueryDraft,
) -> usize {
    let query = Query::parse(&draft).unwrap_or_else(|e| panic!("{draft:?}: {e:?}"));
    let (found, truncated) = queries::search(client, Table::Records, &query, None, 100_000)
        .await
        .unwrap();
    assert!(!truncated);
    let sql: BTreeSet<Uuid> = found.iter().map(|s| s.record_id.as_uuid()).collect();
    let expected: BTreeSet<Uuid> = records
        .iter()
        .filter(|(_, indexed)| query.matches(indexed))
        .map(|(state, _)| state.record_id.as_uuid())
        .collect();
    assert_eq!(sql, expected, "{draft:?}");
    sql.len()
}

#[tokio::test]
async fn sql_search_matches_the_reference_predicate_on_synthetic_data() {
    // `_db` and `_writer` are bound so that they live to the end of the test.
    let Loaded {
        _db,
        _writer,
        client,
        drafts,
        records,
        ..
    } = load_synthetic(2_000).await;
    assert_eq!(records.len(), 2_000);

    let mut hits = 0;
    for sample in drafts.iter().step_by(97).filter(|d| !d.name.is_empty()) {
        let given: String = sample.name.split('\u{3000}').nth(1).unwrap_or("").into();
        let first: String = given.chars().take(1).collect();
        let kana_tail: String = sample
            .furigana
            .chars()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let town: String = sample.address.town.chars().take(3).collect();
        for draft in [
            QueryDraft {
                name: sample.name.clone(),
                ..Default::default()
            },
            QueryDraft {
                name: sample.name.replace('\u{3000}', ""),
                ..Default::default()
            },
            QueryDraft {
                name: given.clone(),
                fuzzy: true,
                ..Default::default()
            },
            QueryDraft {
                name: first,
                fuzzy: true,
                ..Default::default()
            },
            QueryDraft {
                kana: kana_tail,
                fuzzy: true,
                ..Default::default()
            },
            QueryDraft {
                address: town,
                fuzzy: true,
                ..Default::default()
            },
            QueryDraft {
                birth: sample.birth_date.clone(),
                sex: sample.sex.clone(),
                ..Default::default()
            },
            QueryDraft {
                name: given,
                fuzzy: true,
                red_cross: true,
                ..Default::default()
            },
        ] {
            let has_criteria = [
                &draft.name,
                &draft.kana,
                &draft.address,
                &draft.birth,
                &draft.sex,
            ]
            .iter()
            .any(|c| !c.trim().is_empty());
            if has_criteria {
                hits += check(&client, &records, draft).await;
            }
        }
    }
    for text in ["メガネ", "めがね", "黒", "身長", "リュック"] {
        hits += check(
            &client,
            &records,
            QueryDraft {
                text: text.into(),
                ..Default::default()
            },
        )
        .await;
    }
    for nationality in ["日本", "不明", "ベトナム", "ﾁｭｳｺﾞｸ"] {
        check(
            &client,
            &records,
            QueryDraft {
                nationality: nationality.into(),
                ..Default::default()
            },
        )
        .await;
    }
    check(
        &client,
        &records,
        QueryDraft {
            nationality: "日本".into(),
            red_cross: true,
            ..Default::default()
        },
    )
    .await;
    assert!(hits > 500, "the queries find something ({hits})");
}

#[tokio::test]
async fn the_guideline_search_examples_are_found() {
    let db = TestDb::create().await;
    let (writer, _task) = start_writer(&db.url).await;
    let client = store::connect(&db.url).await.unwrap();
    let incident = create_incident(&writer).await;
    let mut glasses = crate::support::evacuee(1);
    glasses.identifying_info = "赤いメガネをかけている".into();
    let mut hiragana = crate::support::evacuee(2);
    hiragana.name = "しょうぼう　じろう".into();
    enter_all(&writer, incident, &[taro(), glasses, hiragana]).await;
    let found = |draft: QueryDraft| {
        let client = &client;
        async move {
            let query = Query::parse(&draft).unwrap();
            queries::search(client, Table::Records, &query, Some(incident), 10)
                .await
                .unwrap()
                .0
                .iter()
                .map(|s| s.entry.draft.name.clone())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found(QueryDraft {
            name: "太郎".into(),
            fuzzy: true,
            ..Default::default()
        })
        .await,
        ["消防　太郎"]
    );
    assert_eq!(
        found(QueryDraft {
            name: "消防太郎".into(),
            ..Default::default()
        })
        .await,
        ["消防　太郎"]
    );
    assert_eq!(
        found(QueryDraft {
            text: "メガネ".into(),
            ..Default::default()
        })
        .await,
        ["試験　1郎"]
    );
    assert_eq!(
        found(QueryDraft {
            name: "ショウボウ".into(),
            fuzzy: true,
            ..Default::default()
        })
        .await,
        ["しょうぼう　じろう"]
    );
    assert!(
        found(QueryDraft {
            name: "太郎".into(),
            ..Default::default()
        })
        .await
        .is_empty()
    );
}

/// A partial search whose grams are all common reads the newest records first
/// (`window_rows`), then, when that window holds no more than `limit` hits, a larger
/// window sized from the hits it held (`next_window_rows`), and the gram index when
/// windows are not worth it. Whichever answers, the records returned are the first
/// `limit` hits of the whole table, newest 記入日時 first, and `truncated` says whether
/// more matched. R: S-02, P-04.
#[tokio::test]
async fn the_newest_window_returns_the_first_hits_of_the_whole_table() {
    let Loaded {
        _db,
        _writer,
        client,
        incident,
        records: mut ordered,
        ..
    } = load_synthetic(1_500).await;
    client.batch_execute("ANALYZE records").await.unwrap();
    // The order `search` returns: newest 記入日時 first, then record ID.
    ordered.sort_by(|(a, _), (b, _)| {
        (b.entry.parsed.written_at, a.record_id.as_uuid())
            .cmp(&(a.entry.parsed.written_at, b.record_id.as_uuid()))
    });
    let text = |text: &str| {
        Query::parse(&QueryDraft {
            text: text.into(),
            ..Default::default()
        })
        .unwrap()
    };

    // Common grams (from the statistics ANALYZE gathered) take the window first;
    // an unknown gram does not.
    let common = text("身長");
    let statistics = |query: Query| {
        let client = &client;
        async move {
            queries::gram_statistics(client, Table::Records, &query.required_grams())
                .await
                .unwrap()
        }
    };
    let share = statistics(common.clone()).await.rarest_share;
    assert!(
        share >= queries::COMMON_GRAM_SHARE,
        "身長 is common: {share}"
    );
    assert_eq!(statistics(common.clone()).await.table_rows, 1_500.0);
    let first_window = |query: Query| {
        let client = &client;
        async move {
            queries::plan(client, Table::Records, &query, None, 10, 200)
                .await
                .unwrap()
                .window
        }
    };
    assert!(first_window(common.clone()).await.is_some());
    assert!(first_window(text("ゑゐ")).await.is_none());

    // A window answers when it holds more than `limit` hits, a later window when the
    // first came short but the density it showed makes walking worth it, and the gram
    // index otherwise (`cm身長`: common grams that never occur together).
    let (mut by_window, mut by_next_window, mut by_index) = (0, 0, 0);
    for query in [
        common,
        text("cm前後"),
        text("メガネ"),
        text("意思確認不可"),
        text("cm身長"),
        // Half the rows of its gram's share: a first window comes short more often,
        // and the next is sized from the hits it held.
        Query::parse(&QueryDraft {
            text: "身長".into(),
            sex: "女".into(),
            ..Default::default()
        })
        .unwrap(),
        Query::parse(&QueryDraft {
            text: "メガネ".into(),
            sex: "男".into(),
            ..Default::default()
        })
        .unwrap(),
    ] {
        let hits: Vec<Uuid> = ordered
            .iter()
            .filter(|(_, indexed)| query.matches(indexed))
            .map(|(state, _)| state.record_id.as_uuid())
            .collect();
        let stats = statistics(query.clone()).await;
        let in_window = |rows: i64| {
            ordered
                .iter()
                .take(rows as usize)
                .filter(|(_, indexed)| query.matches(indexed))
                .count() as i64
        };
        for limit in [1, 10, 100] {
            for window in [5, 200, 1_000, queries::NEWEST_WINDOW] {
                let (found, truncated) = queries::search_with_window(
                    &client,
                    Table::Records,
                    &query,
                    Some(incident),
                    limit,
                    window,
                )
                .await
                .unwrap();
                let found: Vec<Uuid> = found.iter().map(|s| s.record_id.as_uuid()).collect();
                let expected: Vec<Uuid> = hits.iter().take(limit as usize).copied().collect();
                assert_eq!(found, expected, "{query:?}, limit {limit}, window {window}");
                assert_eq!(truncated, hits.len() > limit as usize, "{query:?}");
                // Which statement answered: the windows in turn, as the search reads them.
                let mut rows =
                    queries::window_rows(stats.rarest_share, limit, stats.table_rows, window);
                let mut windows_read = 0;
                let answered_by = loop {
                    let Some(read) = rows else { break None };
                    windows_read += 1;
                    let hits = in_window(read);
                    if hits > limit {
                        break Some(windows_read);
                    }
                    rows = queries::next_window_rows(read, hits, limit, stats.table_rows, window);
                };
                match answered_by {
                    Some(1) => by_window += 1,
                    Some(_) => by_next_window += 1,
                    None => by_index += 1,
                }
            }
        }
    }
    assert!(
        by_window > 10 && by_next_window >= 3 && by_index > 10,
        "{by_window} by the first window, {by_next_window} by a later one, {by_index} by index"
    );
}
