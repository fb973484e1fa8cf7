//! Accounts, passwords and the read log on the wire. The use cases
//! are `crate::app::accounts`.

use anpi_core::account::{AccountDraft, Role};
use anpi_core::ids::AccountId;
use anpi_proto::v1;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::app::AppError;
use crate::app::accounts::IssuedPassword;
use crate::store::accounts::{ReadEntry, Registered};

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn info(r: &Registered) -> v1::AccountInfo {
    v1::AccountInfo {
        account_id: r.account.clone(),
        holder: r.holder.clone(),
        affiliation: r.affiliation.clone(),
        contact: r.contact.clone(),
        role: r.role.clone(),
        role_label: Role::parse(&r.role)
            .map(|role| role.long_label_ja().to_string())
            .unwrap_or_default(),
        terminal: r.terminal.clone(),
        issued_at: time(r.issued_at),
        issued_by: r.issued_by.clone(),
        withdrawn_at: r.withdrawn_at.map(time).unwrap_or_default(),
        locked_at: r.locked_at.map(time).unwrap_or_default(),
        initial_password: r.initial_password,
        password_changed_at: time(r.password_changed_at),
    }
}

pub fn issued(issued: IssuedPassword) -> v1::IssuedPassword {
    v1::IssuedPassword {
        account: Some(info(&issued.account)),
        message: issued.message,
        initial_password: issued.initial_password,
    }
}

/// The account ID a request names.
pub fn account_id(text: &str) -> Result<AccountId, AppError> {
    AccountId::parse(text).map_err(|message| AppError::field("account_id", message))
}

/// A register entry as typed (checked by the use case).
pub fn draft(request: v1::CreateAccountRequest) -> AccountDraft {
    AccountDraft {
        account_id: request.account_id,
        holder: request.holder,
        affiliation: request.affiliation,
        contact: request.contact,
        role: request.role,
        terminal: request.terminal,
    }
}

pub fn reads(entries: Vec<ReadEntry>) -> v1::ListReadsResponse {
    v1::ListReadsResponse {
        reads: entries
            .into_iter()
            .map(|e| v1::ReadEntry {
                at: time(e.at),
                account: e.account,
                role: e.role,
                operation: e.operation,
                query_json: e.query,
                results: e.results,
            })
            .collect(),
    }
}
