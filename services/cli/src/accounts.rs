//! `anpi account`, `anpi password`, `anpi audit reads`. R.

use std::path::PathBuf;

use anpi_proto::v1;

use crate::client::{self, explain};
use crate::lookup::{all_records, pick_incident};
use crate::out_file::OutFile;
use crate::output::{emit, jst_time};
use crate::secret::read_secret;
use crate::table::render;
use crate::{AccountCmd, AuditCmd, TrustCmd};

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
                format!(
                    "ログインの待ち時間とロックを解除しました。\n{}",
                    account_line(a)
                )
            })
        }
        AccountCmd::Revoke {
            id,
            jurisdiction,
            reason,
            json,
        } => {
            let reply = client
                .revoke_account(v1::RevokeAccountRequest {
                    jurisdiction,
                    account_id: id,
                    reason,
                })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &reply, |r| {
                format!("{}\n指示番号: {}\n", r.message, r.order_id)
            })
        }
        AccountCmd::Revocations { json } => {
            let reply = client
                .list_revocations(v1::ListRevocationsRequest {})
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &reply, |r| {
                let rows: Vec<Vec<String>> = r
                    .revocations
                    .iter()
                    .map(|o| {
                        vec![
                            jst_time(&o.ordered_at),
                            o.jurisdiction.clone(),
                            o.account_id.clone(),
                            o.reason.clone(),
                            o.ordered_by.clone(),
                            if o.sent_at.is_empty() {
                                "未送信".to_string()
                            } else {
                                jst_time(&o.sent_at)
                            },
                        ]
                    })
                    .collect();
                render(
                    &["指示日時", "団体", "ユーザーID", "理由", "指示者", "送信"],
                    &rows,
                )
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
    let (account, limit, json) = match command {
        AuditCmd::Reads {
            account,
            limit,
            json,
        } => (account, limit, json),
        AuditCmd::Verify { from, expect, json } => {
            return crate::audit::verify(client, from, &expect, json).await;
        }
    };
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

/// `anpi trust key | add | list`.
pub async fn trust(client: &mut client::NodeClient, command: TrustCmd) -> anyhow::Result<()> {
    match command {
        TrustCmd::Key { json } => {
            let reply = client
                .get_node_key(v1::GetNodeKeyRequest {})
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &reply, |k| {
                format!(
                    "{} の報告署名鍵（公開鍵）:\n{}\n指紋: {}\n上位の団体の管理者に `anpi trust add {} {}` で登録してもらってください。\n",
                    k.jurisdiction, k.public_key, k.fingerprint, k.jurisdiction, k.public_key
                )
            })
        }
        TrustCmd::Add {
            child,
            public_key,
            json,
        } => {
            let reply = client
                .register_child_key(v1::RegisterChildKeyRequest { child, public_key })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &reply, |k| {
                let checks = if k.child == "000001" {
                    "国からの指示（アカウントの無効化）"
                } else {
                    "この団体からの報告"
                };
                format!(
                    "{} の公開鍵を登録しました（指紋 {}）。{checks}はこの鍵の署名で確認されます。\n",
                    k.child, k.fingerprint
                )
            })
        }
        TrustCmd::List { json } => {
            let reply = client
                .list_child_keys(v1::ListChildKeysRequest {})
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &reply, |r| {
                let rows: Vec<Vec<String>> = r
                    .keys
                    .iter()
                    .map(|k| {
                        vec![
                            k.child.clone(),
                            k.fingerprint.clone(),
                            k.registered_by.clone(),
                            jst_time(&k.registered_at),
                        ]
                    })
                    .collect();
                render(&["団体", "指紋", "登録者", "登録日時"], &rows)
            })
        }
    }
}

/// `anpi entry export FILE`: the live records this node collected, as drafts in
/// the entry-file format, written with mode 600 (personal data).
pub async fn export(
    client: &mut client::NodeClient,
    file: PathBuf,
    incident: Option<String>,
) -> anyhow::Result<()> {
    let me = client
        .get_node_info(v1::GetNodeInfoRequest {})
        .await
        .map_err(explain)?
        .into_inner()
        .jurisdiction;
    // T-04: an export is of one incident, and says which and whether it is a drill.
    let chosen = pick_incident(client, incident).await?;
    let incident = chosen.id.clone();
    eprintln!("事案: {}（{}）", chosen.name, chosen.mode_label);
    // The file first: nothing is read (and logged as exported, A-06) when it cannot be
    // written.
    let out = OutFile::create(&file, true, false)?;
    let written = async {
        let records = all_records(client, incident.clone(), false, true, |n| {
            eprintln!("読み込み中: {n}件");
        })
        .await?;
        let drafts = records
            .into_iter()
            .filter(|record| record.collected_by == me)
            .map(|record| {
                anpi_proto::draft_from_proto(record.draft.unwrap_or_default())
                    .map_err(|e| anyhow::anyhow!("record {}: {e}", record.record_id))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        // T-04: the file says which incident it holds and whether it is a drill.
        let file_body = serde_json::json!({
            "export": crate::entry_file::ExportMeta {
                incident_id: chosen.id.clone(),
                incident_name: chosen.name.clone(),
                mode: chosen.mode.clone(),
                jurisdiction: me.clone(),
                exported_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            },
            "entries": drafts,
        });
        anyhow::Ok((serde_json::to_string_pretty(&file_body)?, drafts.len()))
    }
    .await;
    // Half a file is never left behind.
    let (text, count) = written?;
    out.finish(text.as_bytes())?;
    println!(
        "{}件を {} に書き出しました（事案 {}（{}） {incident}）。再登録: anpi entry add {} --incident {incident}",
        count,
        file.display(),
        chosen.name,
        chosen.mode_label,
        file.display()
    );
    Ok(())
}
