//! The read log of one request, made when the request is authorised for an
//! operation that reads personal data (`Operation::reads_personal_data`), so no use
//! case can forget it (issue 14). The handler records what it read — the query and how
//! many results — with [`ReadLog::record`]; a request that ends without doing so (an
//! early refusal, a handler that forgot) is still logged when the guard is dropped,
//! under the operation's name with `"count_recorded": false`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anpi_core::account::Operation;

use crate::store::accounts::{Accounts, Session};

pub struct ReadLog {
    accounts: Arc<Accounts>,
    session: Session,
    operation: Operation,
    written: AtomicBool,
}

impl ReadLog {
    /// The guard of a request authorised for `operation`, or `None` when the operation
    /// reads no personal data.
    pub fn of(
        accounts: &Arc<Accounts>,
        session: &Session,
        operation: Operation,
    ) -> Option<ReadLog> {
        operation.reads_personal_data().then(|| ReadLog {
            accounts: accounts.clone(),
            session: session.clone(),
            operation,
            written: AtomicBool::new(false),
        })
    }

    /// Writes the entry: what was asked (`name`, `query`) and how many results it gave.
    /// A failure to log is logged, and the read still answered: the log must not stop
    /// the work.
    pub async fn record(&self, name: &str, query: serde_json::Value, results: usize) {
        self.written.store(true, Ordering::SeqCst);
        if let Err(error) = self
            .accounts
            .log_read(&self.session, name, query, results)
            .await
        {
            tracing::error!(%error, operation = name, "the read log could not be written");
        }
    }
}

impl Drop for ReadLog {
    fn drop(&mut self) {
        if self.written.load(Ordering::SeqCst) {
            return;
        }
        let accounts = self.accounts.clone();
        let session = self.session.clone();
        let name = self.operation.as_str();
        let write = async move {
            let query = serde_json::json!({ "count_recorded": false });
            if let Err(error) = accounts.log_read(&session, name, query, 0).await {
                tracing::error!(%error, operation = name, "the read log could not be written");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(write);
            }
            Err(_) => tracing::error!(operation = name, "read not logged: no runtime"),
        }
    }
}
