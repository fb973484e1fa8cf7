//! The commands. Each prints a table for people or JSON with `--json`.

use std::process::ExitCode;

use anpi_proto::{draft_to_proto, v1};
use anyhow::{Context, bail};

use crate::client::{self, explain};
use crate::lookup::{all_records, pick_incident};
use crate::output::{emit, jst_time, print_json, records_table};
use crate::secret::read_password;
use crate::session::{self, Logins, SavedLogin};
use crate::table::render;
use crate::{Cli, Cmd, EntryCmd, IncidentCmd};

fn record_detail(r: &v1::Record) -> String {
    let incident = r
        .incident
        .as_ref()
        .map(|i| format!("{}（{}）", i.name, i.mode_label))
        .unwrap_or_default();
    let mut lines = vec![
        ("ID", r.record_id.clone()),
        ("事案", incident),
        (
            "様式",
            if r.form == "form2" {
                "様式第2号（死亡住民）".into()
            } else {
                "様式第1号（避難住民・負傷住民）".into()
            },
        ),
        ("状態", r.state_label.clone()),
        ("氏名", r.display_name.clone()),
        ("フリガナ", r.furigana.clone()),
        ("出生の年月日", r.birth_date_era.clone()),
        ("男女の別", r.sex.clone()),
        ("住所", r.address.clone()),
        ("国籍", r.nationality.clone()),
        ("その他個人を識別するための情報", r.identifying_info.clone()),
        ("負傷の程度", r.injury_severity.clone()),
        ("収集した団体", r.collected_by.clone()),
        ("記入者", r.entered_by.clone()),
        ("記入日時", jst_time(&r.written_at)),
        ("受信日時", jst_time(&r.received_at)),
        ("記録位置", r.recorded_position.to_string()),
    ];
    if !r.deleted_reason.is_empty() {
        lines.push(("削除理由", r.deleted_reason.clone()));
    }
    if !r.departed_on.is_empty() {
        lines.push(("退去日", r.departed_on.clone()));
    }
    let mut out: String = lines
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}: {v}\n"))
        .collect();
    for warning in &r.warnings {
        out.push_str(&format!("注意: {}: {}\n", warning.label, warning.message));
    }
    out
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut logins = Logins::load()?;
    match cli.command {
        Cmd::Login {
            user,
            password_file,
        } => {
            let node = session::resolve_node(cli.node.as_deref(), &logins)?;
            let password = read_password(password_file.as_deref())?;
            // An https node's CA is saved with the login, absolute, so that later
            // commands (from any directory) need no --ca.
            let ca = session::resolve_ca(cli.ca.as_deref(), &node, &logins)
                .filter(|_| node.starts_with("https://"))
                .map(|path| std::path::absolute(&path).unwrap_or(path));
            let channel = client::channel(&node, ca.as_deref()).await?;
            let mut auth = v1::auth_client::AuthClient::new(channel);
            let reply = auth
                .login(v1::LoginRequest {
                    account: user.clone(),
                    password,
                })
                .await
                .map_err(explain)?
                .into_inner();
            logins.nodes.insert(
                node.clone(),
                SavedLogin {
                    account: reply.account.clone(),
                    token: reply.token,
                    expires_at: reply.expires_at.clone(),
                    ca,
                },
            );
            logins.current = Some(node.clone());
            logins.save()?;
            println!(
                "{node}（{}）に {}（{}）としてログインしました（有効期限 {}）",
                reply.jurisdiction,
                reply.account,
                reply.role_label,
                jst_time(&reply.expires_at)
            );
            if !reply.notice.is_empty() {
                println!("{}", reply.notice);
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Health => {
            let node = session::resolve_node(cli.node.as_deref(), &logins)?;
            let ca = session::resolve_ca(cli.ca.as_deref(), &node, &logins);
            let channel = client::channel(&node, ca.as_deref()).await?;
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            let reply = health
                .check(tonic_health::pb::HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map_err(explain)?
                .into_inner();
            let serving = reply.status
                == tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
            println!("{}", if serving { "SERVING" } else { "NOT_SERVING" });
            Ok(if serving {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::Entry {
            command:
                EntryCmd::Import {
                    file,
                    incident,
                    dry_run,
                    valid_rows_only,
                },
        } => {
            // The file is checked before the node is reached: a dry run needs no login.
            let args = crate::import::ImportArgs {
                dry_run,
                valid_rows_only,
            };
            let checked = crate::import::check(&file)?;
            if let Err(code) = crate::import::decide(&checked, &args) {
                return Ok(code);
            }
            let node = session::resolve_node(cli.node.as_deref(), &logins)?;
            let token = session::resolve_token(cli.token.as_deref(), &node, &logins)?;
            let ca = session::resolve_ca(cli.ca.as_deref(), &node, &logins);
            let mut client = client::node_client(&node, ca.as_deref(), &token).await?;
            crate::import::send(&mut client, checked, incident).await
        }
        Cmd::Rollcall { command } => {
            let logins = &logins;
            let (node, token, ca) = (cli.node, cli.token, cli.ca);
            crate::rollcall::run(command, || async move {
                let node = session::resolve_node(node.as_deref(), logins)?;
                let token = session::resolve_token(token.as_deref(), &node, logins)?;
                let ca = session::resolve_ca(ca.as_deref(), &node, logins);
                client::rollcall_client(&node, ca.as_deref(), &token).await
            })
            .await
        }
        // Forms 1, 2 and 4 blank or from a file need no node.
        Cmd::Form(args) if !args.needs_node() => crate::forms::local_form(args),
        command => {
            let node = session::resolve_node(cli.node.as_deref(), &logins)?;
            let token = session::resolve_token(cli.token.as_deref(), &node, &logins)?;
            let ca = session::resolve_ca(cli.ca.as_deref(), &node, &logins);
            let mut client = client::node_client(&node, ca.as_deref(), &token).await?;
            run_authenticated(&mut client, command).await
        }
    }
}

async fn run_authenticated(
    client: &mut client::NodeClient,
    command: Cmd,
) -> anyhow::Result<ExitCode> {
    match command {
        Cmd::Organise {
            command,
            incident,
            limit,
            json,
        } => crate::organise::organise(client, command, incident, limit, json).await?,
        Cmd::Search(args) => crate::organise::search(client, args).await?,
        Cmd::Replay { until, into, json } => {
            crate::organise::replay(client, until, into, json).await?
        }
        Cmd::Info { json } => {
            let info = client
                .get_node_info(v1::GetNodeInfoRequest {})
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &info, |i| {
                let paused = |p: bool| if p { "一時停止中" } else { "受付中" };
                format!(
                    "団体コード: {}\n階層: {}\n報告先: {}\nログ位置: {}\n未報告の件数: {}\n自団体の受付: {}\n下位団体からの報告の受付: {}\nバージョン: {}\n",
                    i.jurisdiction,
                    i.tier,
                    i.parent,
                    i.head_position,
                    i.unreported_events,
                    paused(i.own_intake_paused),
                    paused(i.report_intake_paused),
                    i.version
                )
            })?;
        }
        Cmd::Incident {
            command:
                IncidentCmd::Create {
                    name,
                    mode,
                    id,
                    json,
                },
        } => {
            let incident = client
                .create_incident(v1::CreateIncidentRequest {
                    name,
                    mode,
                    incident_id: id.unwrap_or_default(),
                })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &incident, |i| {
                format!(
                    "事案を作成しました: {}（{}） ID {}\n",
                    i.name, i.mode_label, i.id
                )
            })?;
        }
        Cmd::Incident {
            command: IncidentCmd::Retention { id, until },
        } => {
            let reply = client
                .set_retention(v1::SetRetentionRequest {
                    incident_id: id,
                    until,
                })
                .await
                .map_err(explain)?
                .into_inner();
            println!("{}", reply.message);
        }
        Cmd::Incident {
            command: IncidentCmd::Purge { id, confirm },
        } => {
            let reply = client
                .purge_incident(v1::PurgeIncidentRequest {
                    incident_id: id,
                    confirm,
                })
                .await
                .map_err(explain)?
                .into_inner();
            println!("{}", reply.message);
        }
        Cmd::Incident {
            command: IncidentCmd::List { json },
        } => {
            let incidents = client
                .list_incidents(v1::ListIncidentsRequest {})
                .await
                .map_err(explain)?
                .into_inner()
                .incidents;
            emit(json, &incidents, |incidents| {
                let rows: Vec<Vec<String>> = incidents
                    .iter()
                    .map(|i| {
                        let retention = if !i.purged_at.is_empty() {
                            format!("消去済み（{}）", jst_time(&i.purged_at))
                        } else if i.retention_until.is_empty() {
                            "未設定".to_string()
                        } else {
                            format!("{} まで", i.retention_until)
                        };
                        vec![
                            i.mode_label.clone(),
                            i.name.clone(),
                            jst_time(&i.created_at),
                            retention,
                            i.id.clone(),
                        ]
                    })
                    .collect();
                render(&["種別", "事案名", "作成日時", "保存期間", "ID"], &rows)
            })?;
        }
        Cmd::Entry {
            command:
                EntryCmd::Add {
                    file,
                    incident,
                    supersedes,
                    confirm_same_person,
                    json,
                },
        } => {
            let replace = supersedes.map(|id| (id, confirm_same_person));
            return add_entries(client, &file, incident, replace, json).await;
        }
        Cmd::Entry {
            command: EntryCmd::Delete { id, reason, json },
        } => {
            let record = client
                .delete_entry(v1::DeleteEntryRequest {
                    record_id: id,
                    reason,
                })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &record, |r| {
                format!(
                    "削除しました: {} {}（理由: {}）\n",
                    r.record_id, r.display_name, r.deleted_reason
                )
            })?;
        }
        Cmd::Entry {
            command: EntryCmd::Depart { id, date, json },
        } => {
            let record = client
                .record_departure(v1::RecordDepartureRequest {
                    record_id: id,
                    date,
                })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &record, |r| {
                format!(
                    "退去を登録しました: {} {}（退去日: {}）\n",
                    r.record_id, r.display_name, r.departed_on
                )
            })?;
        }
        Cmd::Entry {
            command:
                EntryCmd::List {
                    incident,
                    all,
                    json,
                },
        } => {
            let records =
                all_records(client, incident.unwrap_or_default(), all, false, |_| {}).await?;
            if json {
                print_json(&records)?;
            } else {
                print!("{}", records_table(&records));
                println!("{}件", records.len());
            }
        }
        Cmd::Entry {
            command:
                EntryCmd::Export {
                    file,
                    incident,
                    csv,
                    encoding,
                    out,
                },
        } => {
            let file = out.or(file);
            if csv {
                crate::export_csv::export_csv(client, file, incident, encoding).await?
            } else {
                let Some(file) = file else {
                    anyhow::bail!(
                        "書き出し先のファイルを指定してください（anpi entry export FILE）"
                    )
                };
                crate::accounts::export(client, file, incident).await?
            }
        }
        Cmd::Entry {
            command: EntryCmd::Purge { reason, confirm },
        } => {
            let reply = client
                .purge_private_area(v1::PurgePrivateAreaRequest { reason, confirm })
                .await
                .map_err(explain)?
                .into_inner();
            println!("{}", reply.message);
        }
        Cmd::Entry {
            command: EntryCmd::Show { id, json },
        } => {
            let record = client
                .get_record(v1::GetRecordRequest { record_id: id })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &record, record_detail)?;
        }
        Cmd::Events {
            since,
            limit,
            kind,
            record,
            actor,
            from,
            until,
            json,
        } => {
            let mut after = since;
            let mut events = Vec::new();
            let wanted = limit.unwrap_or(usize::MAX);
            while events.len() < wanted {
                let page = client
                    .read_events(v1::ReadEventsRequest {
                        after_position: after,
                        limit: 1000,
                        kind: kind.clone(),
                        record_id: record.clone(),
                        actor: actor.clone(),
                        from: from.clone(),
                        until: until.clone(),
                    })
                    .await
                    .map_err(explain)?
                    .into_inner()
                    .events;
                let Some(last) = page.last() else { break };
                after = last.position;
                events.extend(page);
            }
            events.truncate(wanted);
            if json {
                print_json(&events)?;
            } else {
                let rows: Vec<Vec<String>> = events
                    .iter()
                    .map(|e| {
                        vec![
                            e.position.to_string(),
                            e.kind.clone(),
                            e.origin.clone(),
                            e.actor.clone(),
                            jst_time(&e.received_at),
                            e.event_id.clone(),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    render(
                        &["位置", "種類", "発生元", "操作者", "受信日時", "イベントID"],
                        &rows
                    )
                );
            }
        }
        Cmd::Report { json } => crate::reports::report(client, json).await?,
        Cmd::Publish { no_wait, json } => crate::shared::publish(client, !no_wait, json).await?,
        Cmd::Shared { json } => crate::shared::status(client, json).await?,
        Cmd::Inquiry { command } => crate::inquiry::run(client, command).await?,
        Cmd::Publication { command } => crate::publication::run(client, command).await?,
        Cmd::Account { command } => crate::accounts::run(client, command).await?,
        Cmd::Password {
            current_file,
            new_file,
        } => crate::accounts::change_password(client, current_file, new_file).await?,
        Cmd::Audit { command } => crate::accounts::audit(client, command).await?,
        Cmd::Trust { command } => crate::accounts::trust(client, command).await?,
        Cmd::Intake { command } => crate::reports::intake(client, command).await?,
        Cmd::Reports { command } => crate::reports::history(client, command).await?,
        Cmd::Form3(args) => crate::forms::form3(client, args).await?,
        Cmd::Form5(args) => crate::forms::form5(client, args).await?,
        Cmd::Form(args) => crate::forms::record_form(client, args).await?,
        Cmd::Login { .. }
        | Cmd::Health
        | Cmd::Rollcall { .. }
        | Cmd::Entry {
            command: EntryCmd::Import { .. },
        } => unreachable!("handled before authentication"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `anpi entry add`: sends each entry; reports every failure with its number; exits
/// non-zero when any entry was not recorded.
async fn add_entries(
    client: &mut client::NodeClient,
    file: &std::path::Path,
    incident: Option<String>,
    supersedes: Option<(String, bool)>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("{} を読み取れません", file.display()))?;
    let parsed = crate::entry_file::parse_file(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let entries = parsed.entries;
    if supersedes.is_some() && entries.len() != 1 {
        bail!(
            "--supersedes は1件の安否情報を置き換えます。{} には{}件の記入があります",
            file.display(),
            entries.len()
        );
    }
    let incident = pick_incident(client, incident).await?;
    if !json {
        eprintln!("事案: {}（{}）", incident.name, incident.mode_label);
    }
    // T-04: an export of a drill is never registered under an actual incident, nor
    // an actual one under a drill.
    if let Some(export) = &parsed.export
        && export.mode != incident.mode
    {
        bail!(
            "{} は{}の事案「{}」から書き出したファイルです。{}の事案「{}」には登録できません（訓練と実事案の安否情報は混ぜません）",
            file.display(),
            if export.mode == "drill" {
                "訓練"
            } else {
                "実事案"
            },
            export.incident_name,
            incident.mode_label,
            incident.name
        );
    }
    let total = entries.len();
    let mut recorded = Vec::new();
    let mut failed = 0;
    for (number, draft) in entries {
        let result = match draft {
            Ok(draft) => client
                .record_entry(v1::RecordEntryRequest {
                    incident_id: incident.id.clone(),
                    draft: Some(draft_to_proto(&draft)),
                    supersedes: supersedes
                        .as_ref()
                        .map(|(id, _)| id.clone())
                        .unwrap_or_default(),
                    confirm_same_person: supersedes.as_ref().is_some_and(|(_, yes)| *yes),
                })
                .await
                .map(|r| r.into_inner())
                .map_err(|status| explain(status).to_string()),
            Err(reason) => Err(reason),
        };
        match result {
            Ok(reply) => {
                let record = reply.record.unwrap_or_default();
                if !json {
                    println!(
                        "{number}件目: 登録しました {} {}（{}）",
                        record.record_id, record.display_name, record.state_label
                    );
                    for warning in &record.warnings {
                        println!("  注意: {}: {}", warning.label, warning.message);
                    }
                    if record.state == "deleted" {
                        println!("  {}", record.deleted_reason);
                    }
                }
                recorded.push(record);
            }
            Err(reason) => {
                failed += 1;
                eprintln!("{number}件目: 登録できませんでした。{reason}");
            }
        }
    }
    if json {
        print_json(&recorded)?;
    } else {
        println!("{}件中{}件を登録しました", total, recorded.len());
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
