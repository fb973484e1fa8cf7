//! `anpi account`, `anpi password`, `anpi audit reads`. R.

use std::path::PathBuf;

use anpi_proto::v1;

use crate::client::{self, explain};
use crate::commands::{emit, jst_time, read_secret};
use crate::table::render;
use crate::{AccountCmd, AuditCmd};

fn account_line(a: &v1::AccountInfo) -> String {
    let mut state = Vec::new();
    if !a.withdrawn_at.is_empty() {
        state.push(format!("返却 {}", jst_time(&a.withdrawn_at)));
    }
    if !a.locked_at.is_empty() {
        state.push(format!("ロック中（{}）", jst_time(&a.locked_at)));
    }
    if a.initial_password {
        state.push("初期パスワード".to_string());
    }
    format!(
        "{}　{}（{}）　{}　連絡先: {}{}\n",
        a.account_id,
        a.holder,
        a.affiliation,
        a.role_label,
        a.contact,
        if state.is_empty() {
            String::new()
        } else {
            format!("　[{}]", state.join("、"))
        }
    )
}

fn issued(p: &v1::IssuedPassword) -> String {
    let account = p.account.clone().unwrap_or_default();
    format!(
        "{}\n{}初期パスワード: {}\n",
        p.message,
        account_line(&account),
        p.initial_password
    )
}

pub async fn run(client: &mut client::NodeClient, command: AccountCmd) -> anyhow::Result<()> {
    match command {
        AccountCmd::Create {
            id,
            holder,
            affiliation,
            contact,
            role,
            terminal,
            json,
        } => {
            let reply = client
                .create_account(v1::CreateAccountRequest {
                    account_id: id,
                    holder,
                    affiliation,
                    contact,
                    role,
                    terminal,
                })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &reply, issued)
        }
        AccountCmd::List { json } => {
            let reply = client
                .list_accounts(v1::ListAccountsRequest {})
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &reply, |r| {
                let rows: Vec<Vec<String>> = r
                    .accounts
                    .iter()
                    .map(|a| {
                        vec![
                            a.account_id.clone(),
                            a.holder.clone(),
                            a.affiliation.clone(),
                            a.contact.clone(),
                            a.role_label.clone(),
                            a.terminal.clone(),
                            jst_time(&a.issued_at),
                            jst_time(&a.withdrawn_at),
                            if a.locked_at.is_empty() {
                                ""
                            } else {
                                "ロック中"
                            }
                            .to_string(),
                        ]
                    })
                    .collect();
                render(
                    &[
                        "ユーザーID",
                        "担当者",
                        "所属",
                        "連絡先",
                        "区分",
                        "端末",
                        "発行日",
                        "返却日",
                        "状態",
                    ],
                    &rows,
                )
            })
        }
        AccountCmd::Withdraw { id, json } => {
            let reply = client
                .withdraw_account(v1::AccountRequest { account_id: id })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &reply, |a| {
                format!("返却しました。\n{}", account_line(a))
            })
        }
        AccountCmd::Unlock { id, json } => {
            let reply = client
                .unlock_account(v1::AccountRequest { account_id: id })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &reply, |a| {
                format!("ロックを解除しました。\n{}", account_line(a))
            })
        }
        AccountCmd::Reset { id, json } => {
            let reply = client
                .reset_password(v1::AccountRequest { account_id: id })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &reply, issued)
        }
    }
}

pub async fn change_password(
    client: &mut client::NodeClient,
    current_file: Option<PathBuf>,
    new_file: Option<PathBuf>,
) -> anyhow::Result<()> {
    let current_password = read_secret(current_file.as_deref(), "現在のパスワード")?;
    let new_password = read_secret(new_file.as_deref(), "新しいパスワード")?;
    let reply = client
        .change_password(v1::ChangePasswordRequest {
            current_password,
            new_password,
        })
        .await
        .map_err(explain)?
        .into_inner();
    println!("{}", reply.message);
    Ok(())
}

pub async fn audit(client: &mut client::NodeClient, command: AuditCmd) -> anyhow::Result<()> {
    let AuditCmd::Reads {
        account,
        limit,
        json,
    } = command;
    let reply = client
        .list_reads(v1::ListReadsRequest {
            account_id: account.unwrap_or_default(),
            limit: limit.unwrap_or(0),
        })
        .await
        .map_err(explain)?
        .into_inner();
    emit(json, &reply, |r| {
        let rows: Vec<Vec<String>> = r
            .reads
            .iter()
            .map(|e| {
                vec![
                    jst_time(&e.at),
                    e.account.clone(),
                    e.role.clone(),
                    e.operation.clone(),
                    e.results.to_string(),
                    e.query_json.clone(),
                ]
            })
            .collect();
        render(
            &["日時", "ユーザーID", "区分", "操作", "件数", "条件"],
            &rows,
        )
    })
}
