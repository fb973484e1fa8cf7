//! PostgreSQL adapter: migrations, the event log (single writer), projections, accounts.
//! R: L-01, L-02, L-04, T-02.
//!
//! Business rules live in `anpi-core`; this module only stores and loads. Every SQL
//! statement of the node is here: `api`, `bus`, `trust` and `public` call its functions.

pub mod accounts;
pub mod chain;
pub mod intake;
pub mod jma;
mod migrate;
pub mod projection;
pub mod public;
pub mod publication;
pub mod reader;
pub mod replica;
pub mod reports;
pub mod retention;
pub mod rollcall;
pub mod rollcall_contacts;
pub mod rollcall_info;
pub mod seal;
pub mod search;
pub mod shared;
pub mod standby;
pub mod trust;
pub mod writer;

use anpi_core::jurisdiction::{JurisdictionCode, Tier};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

pub use migrate::migrate;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error("database pool error: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("stored data could not be decoded: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("{0}")]
    Identity(String),
    #[error("the event writer has stopped")]
    WriterGone,
    #[error("a staged report cannot be read: {0}")]
    Report(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// What a task returned: its panic goes on in the caller; a task cancelled (the
/// runtime is shutting down) means the writer is gone.
pub(crate) fn joined<T>(task: std::result::Result<Result<T>, tokio::task::JoinError>) -> Result<T> {
    match task {
        Ok(result) => result,
        Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
        Err(_) => Err(Error::WriterGone),
    }
}

/// Runs CPU work (decoding, folding, encoding) on a blocking thread, so that the
/// caller's task goes on with its I/O.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    joined(tokio::task::spawn_blocking(work).await)
}

/// Column `index` of `row`, a `json`/`jsonb` value, decoded straight from the bytes
/// PostgreSQL sent (no `serde_json::Value` tree in between: a search decodes up to
/// 101 records).
pub(crate) fn decoded<T: serde::de::DeserializeOwned>(
    row: &tokio_postgres::Row,
    index: usize,
) -> Result<T> {
    Ok(row.try_get::<_, tokio_postgres::types::Json<T>>(index)?.0)
}

/// Parses a database URL into a tokio-postgres configuration.
pub fn pg_config(url: &str) -> Result<tokio_postgres::Config> {
    Ok(url.parse::<tokio_postgres::Config>()?)
}

/// A connection pool for readers.
pub fn pool(url: &str, size: usize) -> Result<Pool> {
    pool_from(pg_config(url)?, size)
}

/// A connection pool for readers of `config`.
pub fn pool_from(config: tokio_postgres::Config, size: usize) -> Result<Pool> {
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .build()
        .map_err(|e| Error::Identity(format!("cannot build the database pool: {e}")))
}

/// Opens one dedicated connection, driving it on a background task.
pub async fn connect(url: &str) -> Result<tokio_postgres::Client> {
    let (client, connection) = pg_config(url)?.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(%error, "database connection closed");
        }
    });
    Ok(client)
}

/// Creates the database named in `url` when it does not exist (connecting to the
/// server's `postgres` database to do so).
pub async fn create_database_if_missing(url: &str) -> Result<bool> {
    let config = pg_config(url)?;
    let name = config
        .get_dbname()
        .ok_or_else(|| Error::Identity("the database URL names no database".into()))?
        .to_string();
    let mut admin = config.clone();
    admin.dbname("postgres");
    let (client, connection) = admin.connect(NoTls).await?;
    tokio::spawn(connection);
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    client
        .batch_execute(&format!("CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
        .await?;
    Ok(true)
}

/// Records which jurisdiction owns this database, or checks it is the same one: a
/// node must never write into another jurisdiction's log.
pub async fn claim_identity(
    client: &tokio_postgres::Client,
    code: &JurisdictionCode,
    tier: Tier,
) -> Result<()> {
    let row = client
        .query_opt("SELECT jurisdiction, tier FROM node_identity", &[])
        .await?;
    match row {
        None => {
            client
                .execute(
                    "INSERT INTO node_identity (jurisdiction, tier) VALUES ($1, $2)",
                    &[&code.as_str(), &tier.as_str()],
                )
                .await?;
            Ok(())
        }
        Some(row) => {
            let stored: String = row.get(0);
            let stored_tier: String = row.get(1);
            if stored == code.as_str() && stored_tier == tier.as_str() {
                Ok(())
            } else {
                Err(Error::Identity(format!(
                    "this database belongs to jurisdiction {stored} ({stored_tier}), not {code} ({}); refusing to use it",
                    tier.as_str()
                )))
            }
        }
    }
}
