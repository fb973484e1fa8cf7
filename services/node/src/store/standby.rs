//! Where read-only work goes (issue 22, item 4): a streaming hot standby of the node's
//! database when one is configured (`standby_database_url`) and answering, else the
//! primary, with a warning. Searches, the public page and the audit reads (events, the
//! read log) use it; everything that writes, and every read that must see its own
//! writes, stays on the primary.
//!
//! A standby lags its primary by the replay lag (milliseconds in normal operation,
//! [`ReadPool::lag_seconds`]): what a clerk has just saved may appear in a search a
//! moment later.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use deadpool_postgres::{Object, Pool};

use super::Result;

/// How long a standby that failed is left alone before it is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(10);
/// How long a connection to the standby may take before the primary answers instead.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The read-only pool: the standby if any (falling back), else the primary.
#[derive(Clone)]
pub struct ReadPool {
    primary: Pool,
    standby: Option<Arc<Standby>>,
}

struct Standby {
    pool: Pool,
    /// Set while the standby fails: when to try it again.
    down_until: Mutex<Option<Instant>>,
}

impl ReadPool {
    /// No standby: every read goes to the primary.
    pub fn primary_only(primary: Pool) -> ReadPool {
        ReadPool {
            primary,
            standby: None,
        }
    }

    /// Reads go to the standby at `standby_url` while it answers.
    pub fn with_standby(primary: Pool, standby_url: &str, size: usize) -> Result<ReadPool> {
        let mut config = super::pg_config(standby_url)?;
        config.connect_timeout(CONNECT_TIMEOUT);
        let pool = super::pool_from(config, size)?;
        Ok(ReadPool {
            primary,
            standby: Some(Arc::new(Standby {
                pool,
                down_until: Mutex::new(None),
            })),
        })
    }

    pub fn has_standby(&self) -> bool {
        self.standby.is_some()
    }

    /// A connection for read-only work: the standby's unless it failed within the
    /// last [`RETRY_AFTER`], else the primary's.
    pub async fn get(&self) -> Result<Object> {
        if let Some(standby) = &self.standby
            && let Some(client) = standby.try_get().await
        {
            return Ok(client);
        }
        Ok(self.primary.get().await?)
    }

    /// The standby's replay lag in seconds (0 when it has replayed all it received),
    /// or `None` without a standby or when it does not answer.
    pub async fn lag_seconds(&self) -> Option<f64> {
        let standby = self.standby.as_ref()?;
        let client = standby.try_get().await?;
        let row = client
            .query_one(
                "SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL
                             WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                             ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END::float8",
                &[],
            )
            .await
            .ok()?;
        row.get::<_, Option<f64>>(0)
    }
}

impl Standby {
    async fn try_get(&self) -> Option<Object> {
        {
            let down = self.down_until.lock().unwrap_or_else(|e| e.into_inner());
            if down.is_some_and(|until| Instant::now() < until) {
                return None;
            }
        }
        let result = tokio::time::timeout(CONNECT_TIMEOUT, self.pool.get()).await;
        let mut down = self.down_until.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(Ok(client)) => {
                if down.take().is_some() {
                    tracing::info!("the standby answers again: read-only work goes to it");
                }
                Some(client)
            }
            Ok(Err(error)) => {
                if down.is_none() {
                    tracing::warn!(%error, "the standby does not answer: searches, the public page and audit reads fall back to the primary");
                }
                *down = Some(Instant::now() + RETRY_AFTER);
                None
            }
            Err(_) => {
                if down.is_none() {
                    tracing::warn!(
                        "the standby did not answer within 2 s: searches, the public page and audit reads fall back to the primary"
                    );
                }
                *down = Some(Instant::now() + RETRY_AFTER);
                None
            }
        }
    }
}
