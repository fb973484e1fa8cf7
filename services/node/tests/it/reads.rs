//! Read-logging cannot be skipped (A-06, issue 14): every operation that reads
//! personal data writes the read log on every call — found by iterating over the
//! operations, not by listing handlers — and the others write nothing there.

use std::time::Duration;

use anpi_core::account::Operation;

use crate::accounts::call;
use crate::api::Api;

async fn read_log_rows(url: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .query_one("SELECT count(*) FROM read_log", &[])
        .await
        .unwrap()
        .get(0)
}

/// The read log's rows once it has taken `at_least` (an entry of a request that ended
/// without recording its count is written just after the answer), or as it is after a
/// few seconds.
async fn settled(url: &str, at_least: i64) -> i64 {
    for _ in 0..50 {
        let rows = read_log_rows(url).await;
        if rows >= at_least {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    read_log_rows(url).await
}

#[tokio::test]
async fn every_operation_that_reads_personal_data_writes_the_read_log() {
    let mut api = Api::start().await;
    let incident = api.incident().await;
    let token = api.token.clone();
    let url = api.db.url.clone();
    let readers: Vec<Operation> = Operation::ALL
        .into_iter()
        .filter(|o| o.reads_personal_data())
        .collect();
    assert!(readers.contains(&Operation::Search) && readers.contains(&Operation::GetRecord));
    for operation in Operation::ALL {
        if matches!(
            operation,
            Operation::PurgePrivateArea | Operation::RevokeAnywhere
        ) {
            continue; // would end the test's own data or need the national tier
        }
        let before = read_log_rows(&url).await;
        let _ = call(&mut api, &token, operation, &incident).await;
        if operation.reads_personal_data() {
            let after = settled(&url, before + 1).await;
            assert!(
                after > before,
                "{operation:?} reads personal data but wrote no read log entry"
            );
        } else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let after = read_log_rows(&url).await;
            assert_eq!(after, before, "{operation:?} reads no personal data");
        }
    }
}
