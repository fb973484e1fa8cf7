//! `anpi rollcall`: the organisation roll-call (安否確認) over the node's Rollcall
//! service. R: K-01..K-06, K-08, K-09.
//!
//! - `org` / `member`: the directory as CSV files (`anpi_files::rollcall`): an import
//!   checks the whole file first and sends nothing if any row is wrong; an export
//!   writes what the node holds (CP932, or UTF-8 with BOM with `--utf8`);
//! - `admin`: function and disaster-prevention administrators (K-04);
//! - `mail`, `template`: the mail server, the access URLs and the four mails (K-06);
//! - `send`, `list`, `status`, `resend`, `clear`, `close`, `answer`, `history`: a
//!   roll-call, its dashboard and each member's answers (K-01..K-03, K-09);
//! - `drafts`: the answers saying injured or evacuated as Form 1 drafts (JSON files)
//!   for the clerk to complete and enter (K-08);
//! - `contacts`: the members' emergency contacts (K-05; `contacts`, in
//!   `rollcall/contacts.rs`): list, proxy setting, the contact file (checked here
//!   first), the three CSV downloads and the request and check mails;
//! - `jma evaluate`: what the meteorological agency's earthquake telegrams would
//!   dispatch or cancel, and why (K-08; `crate::jma`, no node needed).
//!
//! Tables for people; `--json` prints the reply's protobuf fields as JSON.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anpi_core::rollcall::{MailAddress, Member, MemberCode, OrgCode, OrgTree, Organisation};
use anpi_files::OutEncoding;
use anpi_proto::v1;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::client::{RollcallClient, explain};
use crate::out_file::OutFile;
use crate::output::{emit, jst_time, print_json};
use crate::secret::read_secret;
use crate::table::{render, truncate};

mod contacts;

/// The kinds of mail a template is for (K-06).
const TEMPLATE_KINDS: [&str; 4] = ["safety", "safety_drill", "contact_check", "contact_request"];

#[derive(Subcommand)]
pub enum RollcallCmd {
    /// Organisations (組織, 部・課・班 at any depth): import, list, export, remove.
    Org {
        #[command(subcommand)]
        command: DirectoryCmd,
    },
    /// Members (職員) with their organisations and mail addresses: import, list,
    /// export, remove.
    Member {
        #[command(subcommand)]
        command: DirectoryCmd,
    },
    /// Roll-call administrators (K-04): function administrators (every organisation)
    /// and disaster-prevention administrators (their organisations only).
    Admin {
        #[command(subcommand)]
        command: AdminCmd,
    },
    /// The mail server and the access URLs (K-06; set and test: system administrator).
    Mail {
        #[command(subcommand)]
        command: MailCmd,
    },
    /// The four editable mails (K-06).
    Template {
        #[command(subcommand)]
        command: TemplateCmd,
    },
    /// Send a roll-call to the members of the chosen organisations and of every
    /// organisation below them (K-01).
    Send(SendArgs),
    /// Roll-calls, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// The dashboard of a roll-call (K-03): delivery, counts per organisation, and
    /// each member's progress, answer and mails.
    Status {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Mail again to the members who have not answered (K-03).
    Resend { id: String },
    /// Clear the results and start over (a new round, K-03).
    Clear { id: String },
    /// Close a roll-call: its links no longer open.
    Close { id: String },
    /// Answer on a member's behalf (代理回答, K-02).
    Answer {
        id: String,
        /// The member's code (職員番号).
        #[arg(long)]
        member: String,
        /// One of the roll-call's answers (e.g. 無事).
        #[arg(long)]
        status: String,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Every answer of a member to a roll-call, all rounds (K-09).
    History {
        id: String,
        /// The member's code (職員番号).
        #[arg(long)]
        member: String,
        #[arg(long)]
        json: bool,
    },
    /// Form 1 drafts from the answers saying injured or evacuated (K-08): with --out,
    /// one file per member in the entry format (schemas/json/entry.schema.json) for the
    /// clerk to complete and enter with `anpi entry add`; an existing file is never
    /// overwritten. Records nothing.
    Drafts {
        id: String,
        /// Directory to write <member>.json into (created).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The members' emergency contacts (緊急連絡先, K-05): list, set on a member's
    /// behalf, import and export CSV files, and the request and check mails.
    Contacts {
        #[command(subcommand)]
        command: contacts::ContactsCmd,
    },
    /// Automatic roll-calls from the meteorological agency's earthquake telegrams
    /// (気象庁防災情報XML, K-08): what they would dispatch or cancel, and why. Sends
    /// nothing and needs no node.
    Jma {
        #[command(subcommand)]
        command: crate::jma::JmaCmd,
    },
}

/// The same four commands for organisations and members.
#[derive(Subcommand)]
pub enum DirectoryCmd {
    /// Add or change the rows of a CSV file (CP932 or UTF-8). The whole file is
    /// checked first; if any row is wrong, every problem is listed and nothing is sent.
    Import { file: PathBuf },
    /// What the node holds (members: those you may see).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Write what the node holds as a CSV file that `import` reads back.
    Export {
        /// The file to write (default: 組織_<date>.csv / 職員_<date>.csv); an existing
        /// file is never replaced.
        #[arg(long)]
        out: Option<PathBuf>,
        /// UTF-8 with BOM instead of Shift_JIS (CP932).
        #[arg(long)]
        utf8: bool,
    },
    /// Remove one (an organisation only when no member and no organisation is in it).
    Remove { code: String },
}

/// Which role `admin assign` gives: exactly one of the two.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct RoleFlags {
    /// 機能管理者: every organisation.
    #[arg(long)]
    function: bool,
    /// 防災管理者: only the organisations given with --org and those below them.
    #[arg(long, requires = "org")]
    disaster_prevention: bool,
}

#[derive(Subcommand)]
pub enum AdminCmd {
    /// Give an account (a node account) a roll-call role, replacing any it had.
    Assign {
        /// The account ID (an account of this node, `anpi account list`).
        account: String,
        #[command(flatten)]
        role: RoleFlags,
        /// The organisations of a disaster-prevention administrator.
        #[arg(long = "org", num_args = 1.., conflicts_with = "function")]
        org: Vec<String>,
    },
    /// Take an account's roll-call role away.
    Remove {
        /// The account ID.
        account: String,
    },
    /// Every account with a roll-call role.
    List {
        #[arg(long)]
        json: bool,
    },
}

/// `mail set`: the settings as saved (the node checks every field).
#[derive(Args)]
pub struct MailSetArgs {
    /// The sender's address (送信元アドレス).
    #[arg(long)]
    sender: String,
    /// The sender's name (差出人名).
    #[arg(long, default_value = "")]
    sender_name: String,
    /// SMTP server (host name or IP address).
    #[arg(long)]
    host: String,
    #[arg(long)]
    port: String,
    #[arg(long, value_parser = ["starttls", "tls", "none"])]
    security: String,
    /// SMTP authentication user (none: no authentication).
    #[arg(long, default_value = "")]
    user: String,
    #[command(flatten)]
    password: PasswordFlags,
    /// Answer links start with this URL (reachable from the members' phones).
    #[arg(long)]
    external_url: String,
    /// The URL inside the organisation's network.
    #[arg(long, default_value = "")]
    internal_url: String,
    /// A PEM file of CA certificates trusted for the mail server besides the system's
    /// (a server certified by the office's own CA).
    #[arg(long)]
    ca_file: Option<std::path::PathBuf>,
}

/// `mail test`: any setting not given is the stored one.
#[derive(Args)]
pub struct MailTestArgs {
    /// Where the test mail goes.
    #[arg(long)]
    to: String,
    /// The sender's address (default: the stored one, as every setting below).
    #[arg(long)]
    sender: Option<String>,
    #[arg(long)]
    sender_name: Option<String>,
    #[arg(long)]
    host: Option<String>,
    #[arg(long)]
    port: Option<String>,
    #[arg(long, value_parser = ["starttls", "tls", "none"])]
    security: Option<String>,
    #[arg(long)]
    user: Option<String>,
    #[command(flatten)]
    password: PasswordFlags,
    #[arg(long)]
    external_url: Option<String>,
    #[arg(long)]
    internal_url: Option<String>,
    /// A PEM file of CA certificates for the mail server (default: the stored ones).
    #[arg(long)]
    ca_file: Option<std::path::PathBuf>,
}

/// The SMTP password: from a file, typed at a prompt, or (neither) the stored one.
#[derive(Args)]
#[group(required = false, multiple = false)]
pub struct PasswordFlags {
    /// Read the SMTP password from this file (first line).
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// Type the SMTP password at a prompt.
    #[arg(long)]
    password_prompt: bool,
}

#[derive(Subcommand)]
pub enum MailCmd {
    /// The stored settings (the password only as set or not).
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Save the settings; without --password-file / --password-prompt the stored
    /// password is kept.
    Set(MailSetArgs),
    /// Send a test mail with these settings (or the stored ones); nothing is saved.
    Test(MailTestArgs),
}

#[derive(Subcommand)]
pub enum TemplateCmd {
    /// A mail's subject and body (the saved ones, or the defaults).
    Show {
        #[arg(value_parser = TEMPLATE_KINDS)]
        kind: String,
        #[arg(long)]
        json: bool,
    },
    /// Save a mail's subject and body (UTF-8 text file); with --preview only show what
    /// it makes for an example member.
    Set {
        #[arg(value_parser = TEMPLATE_KINDS)]
        kind: String,
        #[arg(long)]
        subject: String,
        #[arg(long)]
        body_file: PathBuf,
        /// Show the rendered example only; save nothing.
        #[arg(long)]
        preview: bool,
    },
}

#[derive(Args)]
pub struct SendArgs {
    /// The organisations (codes); those below them are included.
    #[arg(long = "org", required = true, num_args = 1..)]
    org: Vec<String>,
    /// The subject (e.g. 震度5強の地震).
    #[arg(long)]
    title: String,
    /// A drill (防災訓練): marked 訓練 on every mail and page.
    #[arg(long)]
    drill: bool,
    /// The answers offered, 2 to 8 (default: 無事 軽傷 重傷 その他).
    #[arg(long = "status", num_args = 1..)]
    status: Vec<String>,
    #[arg(long)]
    json: bool,
}

/// Runs a roll-call command; `connect` reaches the node (after a file to import has
/// been checked, so that a wrong file needs no node).
pub async fn run<F, C>(command: RollcallCmd, connect: F) -> anyhow::Result<ExitCode>
where
    F: FnOnce() -> C,
    C: Future<Output = anyhow::Result<RollcallClient>>,
{
    // Telegrams are evaluated here, without the node.
    let command = match command {
        RollcallCmd::Jma { command } => return crate::jma::run(command),
        command => command,
    };
    let import = match &command {
        RollcallCmd::Org {
            command: DirectoryCmd::Import { file },
        } => Some(read_orgs(file)),
        RollcallCmd::Member {
            command: DirectoryCmd::Import { file },
        } => Some(read_members(file)),
        _ => None,
    };
    if let Some(import) = import {
        let Some(request) = import? else {
            return Ok(ExitCode::FAILURE);
        };
        let mut client = connect().await?;
        return import_directory(&mut client, request).await;
    }
    if let RollcallCmd::Contacts {
        command: contacts::ContactsCmd::Import { file },
    } = &command
    {
        let Some(bytes) = contacts::read_contacts(file)? else {
            return Ok(ExitCode::FAILURE);
        };
        let mut client = connect().await?;
        return contacts::import(&mut client, file, bytes).await;
    }
    let mut client = connect().await?;
    let client = &mut client;
    match command {
        RollcallCmd::Org { command } => directory(client, Which::Orgs, command).await?,
        RollcallCmd::Member { command } => directory(client, Which::Members, command).await?,
        RollcallCmd::Admin { command } => admin(client, command).await?,
        RollcallCmd::Mail { command } => mail(client, command).await?,
        RollcallCmd::Template { command } => template(client, command).await?,
        RollcallCmd::Send(args) => send(client, args).await?,
        RollcallCmd::List { json } => {
            let list = client
                .list(v1::ListRollcallsRequest {})
                .await
                .map_err(explain)?
                .into_inner()
                .rollcalls;
            emit(json, &list, |list| list_text(list))?;
        }
        RollcallCmd::Status { id, json } => {
            let board = client
                .status(v1::RollcallRequest { rollcall_id: id })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &board, dashboard_text)?;
        }
        RollcallCmd::Resend { id } => {
            let w = client
                .resend(v1::RollcallRequest { rollcall_id: id })
                .await
                .map_err(explain)?
                .into_inner();
            if w.mails == 0 {
                println!(
                    "再送するメールはありません（全員が回答済みか、メールアドレスがありません）"
                );
            } else {
                println!("未回答の職員にメールを再送します（{}通）", w.mails);
            }
        }
        RollcallCmd::Clear { id } => {
            client
                .clear(v1::RollcallRequest {
                    rollcall_id: id.clone(),
                })
                .await
                .map_err(explain)?;
            println!(
                "安否確認 {id} の回答結果をクリアしました。これからの回答は新しい回として集計します"
            );
        }
        RollcallCmd::Close { id } => {
            client
                .close(v1::RollcallRequest {
                    rollcall_id: id.clone(),
                })
                .await
                .map_err(explain)?;
            println!("安否確認 {id} を締め切りました。回答用リンクは使えなくなりました");
        }
        RollcallCmd::Answer {
            id,
            member,
            status,
            comment,
        } => {
            client
                .proxy_answer(v1::ProxyAnswerRequest {
                    rollcall_id: id,
                    member: member.clone(),
                    status: status.clone(),
                    comment,
                })
                .await
                .map_err(explain)?;
            println!("職員 {member} の代理回答「{status}」を登録しました");
        }
        RollcallCmd::History { id, member, json } => {
            let answers = client
                .history(v1::RollcallHistoryRequest {
                    rollcall_id: id,
                    member: member.clone(),
                })
                .await
                .map_err(explain)?
                .into_inner()
                .answers;
            emit(json, &answers, |answers| history_text(&member, answers))?;
        }
        RollcallCmd::Drafts { id, out, json } => {
            let reply = client
                .form1_drafts(v1::RollcallRequest { rollcall_id: id })
                .await
                .map_err(explain)?
                .into_inner();
            if json {
                print_json(&reply)?;
            } else {
                print!("{}", drafts_text(&reply));
            }
            if let Some(dir) = out {
                write_drafts(&dir, &reply)?;
            }
        }
        RollcallCmd::Contacts { command } => contacts::run(client, command).await?,
        RollcallCmd::Jma { .. } => unreachable!("evaluated before connecting"),
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- directory

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Orgs,
    Members,
}

impl Which {
    fn label(self) -> &'static str {
        match self {
            Which::Orgs => "組織",
            Which::Members => "職員",
        }
    }
}

/// The bytes of a file to import (at most the size `anpi-files` decodes).
fn read_file(file: &Path) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("{} を読み取れません", file.display()))?
        .len();
    if size > anpi_files::MAX_FILE_BYTES as u64 {
        bail!(
            "{}: ファイルが大きすぎます（{size}バイト）。{}MB以下に分割してください",
            file.display(),
            anpi_files::MAX_FILE_BYTES / (1024 * 1024)
        );
    }
    std::fs::read(file).with_context(|| format!("{} を読み取れません", file.display()))
}

/// Prints every problem of a file that was not accepted.
fn refuse_file(file: &Path, error: &anpi_files::rollcall::DirectoryFileError) {
    eprintln!("{}:", file.display());
    eprintln!("{error}");
    eprintln!("誤りがあるため、何も登録していません。ファイルを直して再度実行してください");
}

/// The organisations of a file as a request; `None` when the file was refused.
fn read_orgs(file: &Path) -> anyhow::Result<Option<v1::ImportDirectoryRequest>> {
    let bytes = read_file(file)?;
    match anpi_files::rollcall::parse_orgs(&bytes) {
        Ok(orgs) => {
            eprintln!("{}: 組織 {}件", file.display(), orgs.len());
            Ok(Some(v1::ImportDirectoryRequest {
                orgs: orgs.iter().map(org_to_proto).collect(),
                members: Vec::new(),
            }))
        }
        Err(error) => {
            refuse_file(file, &error);
            Ok(None)
        }
    }
}

fn read_members(file: &Path) -> anyhow::Result<Option<v1::ImportDirectoryRequest>> {
    let bytes = read_file(file)?;
    match anpi_files::rollcall::parse_members(&bytes) {
        Ok(members) => {
            eprintln!("{}: 職員 {}件", file.display(), members.len());
            Ok(Some(v1::ImportDirectoryRequest {
                orgs: Vec::new(),
                members: members.iter().map(member_to_proto).collect(),
            }))
        }
        Err(error) => {
            refuse_file(file, &error);
            Ok(None)
        }
    }
}

fn org_to_proto(org: &Organisation) -> v1::RollcallOrganisation {
    v1::RollcallOrganisation {
        code: org.code.to_string(),
        name: org.name.clone(),
        parent: org
            .parent
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        ..Default::default()
    }
}

fn member_to_proto(member: &Member) -> v1::RollcallMember {
    v1::RollcallMember {
        code: member.code.to_string(),
        name: member.name.clone(),
        orgs: member.orgs.iter().map(|o| o.to_string()).collect(),
        mails: member.mails.iter().map(|a| a.to_string()).collect(),
    }
}

/// The organisation tree of a directory reply, checked again.
fn tree_of(orgs: &[v1::RollcallOrganisation]) -> anyhow::Result<OrgTree> {
    let orgs = orgs
        .iter()
        .map(|o| {
            let parent = if o.parent.is_empty() {
                None
            } else {
                Some(OrgCode::parse(&o.parent)?)
            };
            Ok(Organisation {
                code: OrgCode::parse(&o.code)?,
                name: o.name.clone(),
                parent,
            })
        })
        .collect::<Result<Vec<_>, anpi_core::validation::FieldError>>()
        .map_err(|e| anyhow::anyhow!("ノードから受け取った組織を読めません: {e}"))?;
    OrgTree::new(orgs).map_err(|e| anyhow::anyhow!("ノードから受け取った組織を読めません: {e}"))
}

/// The members of a directory reply, checked again.
fn members_of(members: &[v1::RollcallMember]) -> anyhow::Result<Vec<Member>> {
    members
        .iter()
        .map(|m| {
            Ok(Member {
                code: MemberCode::parse(&m.code)?,
                name: m.name.clone(),
                orgs: m
                    .orgs
                    .iter()
                    .map(|o| OrgCode::parse(o))
                    .collect::<Result<_, _>>()?,
                mails: m
                    .mails
                    .iter()
                    .map(|a| MailAddress::parse(a))
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect::<Result<Vec<_>, anpi_core::validation::FieldError>>()
        .map_err(|e| anyhow::anyhow!("ノードから受け取った職員を読めません: {e}"))
}

async fn import_directory(
    client: &mut RollcallClient,
    request: v1::ImportDirectoryRequest,
) -> anyhow::Result<ExitCode> {
    let what = if request.orgs.is_empty() {
        format!("職員 {}件", request.members.len())
    } else {
        format!("組織 {}件", request.orgs.len())
    };
    let w = client
        .import_directory(request)
        .await
        .map_err(explain)?
        .into_inner();
    if w.events == 0 {
        println!("{what}を読み込みました。登録済みの内容と同じため、変更はありません");
    } else {
        println!("{what}を読み込み、登録しました（変更 {}件）", w.events);
    }
    Ok(ExitCode::SUCCESS)
}

async fn directory(
    client: &mut RollcallClient,
    which: Which,
    command: DirectoryCmd,
) -> anyhow::Result<()> {
    match command {
        DirectoryCmd::Import { .. } => unreachable!("imports are sent by `run`"),
        DirectoryCmd::List { json } => {
            let reply = get_directory(client).await?;
            match which {
                Which::Orgs => emit(json, &reply.orgs, |orgs| orgs_text(orgs)),
                Which::Members => emit(json, &reply.members, |members| members_text(members)),
            }
        }
        DirectoryCmd::Export { out, utf8 } => export(client, which, out, utf8).await,
        DirectoryCmd::Remove { code } => {
            let w = match which {
                Which::Orgs => client
                    .remove_organisation(v1::RemoveOrganisationRequest { code: code.clone() })
                    .await
                    .map_err(explain)?,
                Which::Members => client
                    .remove_member(v1::RemoveMemberRequest { code: code.clone() })
                    .await
                    .map_err(explain)?,
            }
            .into_inner();
            if w.events == 0 {
                println!(
                    "{}「{code}」は登録されていません（変更なし）",
                    which.label()
                );
            } else {
                println!("{}「{code}」を削除しました", which.label());
            }
            Ok(())
        }
    }
}

async fn get_directory(client: &mut RollcallClient) -> anyhow::Result<v1::RollcallDirectory> {
    Ok(client
        .get_directory(v1::GetDirectoryRequest {})
        .await
        .map_err(explain)?
        .into_inner())
}

/// The default name of an export: `組織_YYYYMMDD.csv`, `職員_YYYYMMDD.csv` (Japan's date).
fn default_export_name(which: Which, date: &str) -> PathBuf {
    PathBuf::from(format!("{}_{date}.csv", which.label()))
}

async fn export(
    client: &mut RollcallClient,
    which: Which,
    out: Option<PathBuf>,
    utf8: bool,
) -> anyhow::Result<()> {
    let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("offset");
    let today = chrono::Utc::now()
        .with_timezone(&jst)
        .format("%Y%m%d")
        .to_string();
    let file = out.unwrap_or_else(|| default_export_name(which, &today));
    let encoding = if utf8 {
        OutEncoding::Utf8Bom
    } else {
        OutEncoding::Cp932
    };
    // The file first (members' addresses are personal data: mode 600); half a file
    // is never left behind.
    let handle = OutFile::create(&file, which == Which::Members, false)?;
    let reply = get_directory(client).await?;
    let (bytes, count) = match which {
        Which::Orgs => {
            let tree = tree_of(&reply.orgs)?;
            let bytes = anpi_files::rollcall::write_orgs_csv(&tree, encoding)
                .map_err(anyhow::Error::msg)?;
            (bytes, tree.len())
        }
        Which::Members => {
            let members = members_of(&reply.members)?;
            let bytes = anpi_files::rollcall::write_members_csv(&members, encoding)
                .map_err(anyhow::Error::msg)?;
            (bytes, members.len())
        }
    };
    handle.finish(&bytes)?;
    println!(
        "{}{count}件を {} に書き出しました（{}）",
        which.label(),
        file.display(),
        if utf8 { "UTF-8" } else { "Shift_JIS" }
    );
    Ok(())
}

fn orgs_text(orgs: &[v1::RollcallOrganisation]) -> String {
    if orgs.is_empty() {
        return "組織はまだ登録されていません（`anpi rollcall org import FILE.csv`）\n".into();
    }
    let rows: Vec<Vec<String>> = orgs
        .iter()
        .map(|o| {
            vec![
                o.code.clone(),
                format!("{}{}", "  ".repeat(o.depth.max(0) as usize), o.name),
                o.parent.clone(),
            ]
        })
        .collect();
    format!(
        "{}{}件\n",
        render(&["組織コード", "組織名", "上位組織コード"], &rows),
        orgs.len()
    )
}

fn members_text(members: &[v1::RollcallMember]) -> String {
    if members.is_empty() {
        return "職員はまだ登録されていません（`anpi rollcall member import FILE.csv`）\n".into();
    }
    let rows: Vec<Vec<String>> = members
        .iter()
        .map(|m| {
            vec![
                m.code.clone(),
                m.name.clone(),
                m.orgs.join(" "),
                if m.mails.is_empty() {
                    "（なし）".into()
                } else {
                    m.mails.join(" ")
                },
            ]
        })
        .collect();
    let without = members.iter().filter(|m| m.mails.is_empty()).count();
    let mut text = render(
        &["職員番号", "氏名", "所属組織コード", "メールアドレス"],
        &rows,
    );
    text += &format!("{}件", members.len());
    if without > 0 {
        text += &format!("（うちメールアドレスなし {without}件）");
    }
    text.push('\n');
    text
}

// ---------------------------------------------------------------- admin

/// The role and organisations `admin assign` sends.
fn role_request(flags: &RoleFlags, orgs: Vec<String>) -> anyhow::Result<(String, Vec<String>)> {
    match (flags.function, flags.disaster_prevention) {
        (true, false) if orgs.is_empty() => Ok(("function".into(), orgs)),
        (true, false) => {
            bail!("機能管理者はすべての組織を担当します。--org は指定しないでください")
        }
        (false, true) if orgs.is_empty() => {
            bail!("防災管理者には担当する組織を --org で1つ以上指定してください")
        }
        (false, true) => Ok(("disaster_prevention".into(), orgs)),
        _ => bail!("--function か --disaster-prevention のどちらか一方を指定してください"),
    }
}

async fn admin(client: &mut RollcallClient, command: AdminCmd) -> anyhow::Result<()> {
    match command {
        AdminCmd::Assign { account, role, org } => {
            let (role, orgs) = role_request(&role, org)?;
            client
                .assign_role(v1::AssignRoleRequest {
                    account: account.clone(),
                    role: role.clone(),
                    orgs: orgs.clone(),
                })
                .await
                .map_err(explain)?;
            if role == "function" {
                println!("{account} を機能管理者にしました");
            } else {
                println!(
                    "{account} を防災管理者（担当: {}）にしました",
                    orgs.join("、")
                );
            }
            Ok(())
        }
        AdminCmd::Remove { account } => {
            let w = client
                .assign_role(v1::AssignRoleRequest {
                    account: account.clone(),
                    role: String::new(),
                    orgs: Vec::new(),
                })
                .await
                .map_err(explain)?
                .into_inner();
            if w.events == 0 {
                println!("{account} には安否確認の役割がありません（変更なし）");
            } else {
                println!("{account} の安否確認の役割を解除しました");
            }
            Ok(())
        }
        AdminCmd::List { json } => {
            let roles = client
                .list_roles(v1::ListRolesRequest {})
                .await
                .map_err(explain)?
                .into_inner()
                .roles;
            emit(json, &roles, |roles| {
                let rows: Vec<Vec<String>> = roles
                    .iter()
                    .map(|r| vec![r.account.clone(), r.role_label.clone(), r.orgs.join(" ")])
                    .collect();
                format!(
                    "{}ノードの管理者（administrator）はシステム管理者として、すべての操作ができます\n",
                    render(&["アカウント", "役割", "担当組織"], &rows)
                )
            })
        }
    }
}

// ---------------------------------------------------------------- mail

impl PasswordFlags {
    /// The password to send, or `None`: keep (use) the stored one.
    fn read(&self) -> anyhow::Result<Option<String>> {
        if self.password_file.is_some() || self.password_prompt {
            Ok(Some(read_secret(
                self.password_file.as_deref(),
                "SMTP認証パスワード",
            )?))
        } else {
            Ok(None)
        }
    }
}

/// The stored settings as typed input.
fn stored_input(view: &v1::MailSettingsView) -> v1::MailSettingsInput {
    if !view.configured {
        return v1::MailSettingsInput::default();
    }
    v1::MailSettingsInput {
        sender: view.sender.clone(),
        sender_name: view.sender_name.clone(),
        host: view.host.clone(),
        port: view.port.to_string(),
        security: view.security.clone(),
        username: view.username.clone(),
        internal_url: view.internal_url.clone(),
        external_url: view.external_url.clone(),
        ca_pem: view.ca_pem.clone(),
    }
}

/// The test's settings: each flag given replaces the stored value.
fn test_input(stored: v1::MailSettingsInput, args: &MailTestArgs) -> v1::MailSettingsInput {
    let pick = |flag: &Option<String>, stored: String| flag.clone().unwrap_or(stored);
    v1::MailSettingsInput {
        sender: pick(&args.sender, stored.sender),
        sender_name: pick(&args.sender_name, stored.sender_name),
        host: pick(&args.host, stored.host),
        port: pick(&args.port, stored.port),
        security: pick(&args.security, stored.security),
        username: pick(&args.user, stored.username),
        internal_url: pick(&args.internal_url, stored.internal_url),
        external_url: pick(&args.external_url, stored.external_url),
        ca_pem: stored.ca_pem,
    }
}

/// The text of a `--ca-file`.
fn read_ca(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("CA証明書のファイル {} を読めません: {e}", path.display()))
}

fn settings_text(s: &v1::MailSettingsView) -> String {
    if !s.configured {
        return "配信メールサーバーはまだ設定されていません（`anpi rollcall mail set` で設定します）\n"
            .into();
    }
    let or_none = |text: &str| {
        if text.is_empty() {
            "（なし）".to_string()
        } else {
            text.to_string()
        }
    };
    let sender = if s.sender_name.is_empty() {
        s.sender.clone()
    } else {
        format!("{} <{}>", s.sender_name, s.sender)
    };
    format!(
        "送信元: {sender}\n送信メールサーバー: {}:{}（暗号化 {}）\nSMTP認証ユーザー名: {}\nSMTP認証パスワード: {}\nアクセスURL（外部）: {}\nアクセスURL（内部）: {}\n",
        s.host,
        s.port,
        s.security,
        or_none(&s.username),
        if s.password_set {
            "設定済み"
        } else {
            "未設定"
        },
        s.external_url,
        or_none(&s.internal_url)
    )
}

async fn mail(client: &mut RollcallClient, command: MailCmd) -> anyhow::Result<()> {
    match command {
        MailCmd::Show { json } => {
            let view = client
                .get_mail_settings(v1::GetMailSettingsRequest {})
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &view, settings_text)
        }
        MailCmd::Set(args) => {
            let password = args.password.read()?;
            client
                .set_mail_settings(v1::SetMailSettingsRequest {
                    settings: Some(v1::MailSettingsInput {
                        sender: args.sender,
                        sender_name: args.sender_name,
                        host: args.host,
                        port: args.port,
                        security: args.security,
                        username: args.user,
                        internal_url: args.internal_url,
                        external_url: args.external_url,
                        ca_pem: match &args.ca_file {
                            Some(path) => read_ca(path)?,
                            None => String::new(),
                        },
                    }),
                    keep_password: password.is_none(),
                    password: password.unwrap_or_default(),
                })
                .await
                .map_err(explain)?;
            println!("配信メールサーバーの設定を保存しました");
            Ok(())
        }
        MailCmd::Test(args) => {
            let password = args.password.read()?;
            let stored = client
                .get_mail_settings(v1::GetMailSettingsRequest {})
                .await
                .map_err(explain)?
                .into_inner();
            let mut settings = test_input(stored_input(&stored), &args);
            if let Some(path) = &args.ca_file {
                settings.ca_pem = read_ca(path)?;
            }
            let reply = client
                .test_mail(v1::TestMailRequest {
                    settings: Some(settings),
                    keep_password: password.is_none(),
                    password: password.unwrap_or_default(),
                    to: args.to.clone(),
                })
                .await
                .map_err(explain)?
                .into_inner()
                .reply;
            println!(
                "テストメールを {} に送信しました。サーバーの応答: {reply}\n設定は保存していません",
                args.to
            );
            Ok(())
        }
    }
}

// ---------------------------------------------------------------- templates

/// A body file's text: UTF-8, without a BOM, line ends as line feeds.
fn body_text(file: &Path) -> anyhow::Result<String> {
    let bytes =
        std::fs::read(file).with_context(|| format!("{} を読み取れません", file.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{}: 本文のファイルは UTF-8 で保存してください",
            file.display()
        )
    })?;
    Ok(normalise_body(&text))
}

fn normalise_body(text: &str) -> String {
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

fn template_text(t: &v1::RollcallTemplate) -> String {
    format!(
        "{}（{}）: {}\n件名: {}\n本文:\n{}{}",
        t.kind_label,
        t.kind,
        if t.saved {
            "保存された内容"
        } else {
            "既定の内容（未変更）"
        },
        t.subject,
        t.body,
        if t.body.ends_with('\n') { "" } else { "\n" }
    )
}

async fn template(client: &mut RollcallClient, command: TemplateCmd) -> anyhow::Result<()> {
    match command {
        TemplateCmd::Show { kind, json } => {
            let t = client
                .get_template(v1::GetTemplateRequest { kind })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &t, template_text)
        }
        TemplateCmd::Set {
            kind,
            subject,
            body_file,
            preview,
        } => {
            let t = v1::RollcallTemplate {
                kind,
                subject,
                body: body_text(&body_file)?,
                ..Default::default()
            };
            if preview {
                let r = client
                    .preview_template(t)
                    .await
                    .map_err(explain)?
                    .into_inner();
                println!(
                    "（例）件名: {}\n本文:\n{}{}\n--preview のため保存していません",
                    r.subject,
                    r.body,
                    if r.body.ends_with('\n') { "" } else { "\n" }
                );
            } else {
                let kind = t.kind.clone();
                client.save_template(t).await.map_err(explain)?;
                println!("配信メール（{kind}）を保存しました");
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------- roll-calls

async fn send(client: &mut RollcallClient, args: SendArgs) -> anyhow::Result<()> {
    let reply = client
        .start(v1::StartRollcallRequest {
            orgs: args.org,
            title: args.title,
            drill: args.drill,
            statuses: args.status,
        })
        .await
        .map_err(explain)?
        .into_inner();
    if args.json {
        return print_json(&reply);
    }
    println!(
        "{}安否確認を開始しました: ID {}\n配信先 {}人、送信するメール {}通",
        if args.drill { "【訓練】" } else { "" },
        reply.rollcall_id,
        reply.recipients,
        reply.mails
    );
    if reply.without_mail > 0 {
        println!(
            "メールアドレスが登録されていない職員が {}人います（メールは届きません。電話などで確認してください）",
            reply.without_mail
        );
    }
    println!(
        "回答状況は `anpi rollcall status {}` で確認できます",
        reply.rollcall_id
    );
    Ok(())
}

fn state_label(item: &v1::RollcallItem) -> String {
    if item.cancelled {
        "取消".into()
    } else if item.closed {
        "締切".into()
    } else {
        "受付中".into()
    }
}

fn list_text(list: &[v1::RollcallItem]) -> String {
    if list.is_empty() {
        return "安否確認はまだありません\n".into();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|i| {
            vec![
                jst_time(&i.started_at),
                i.mode_label.clone(),
                truncate(&i.title, 30),
                format!("第{}回", i.round),
                state_label(i),
                format!("{}/{}", i.answered, i.recipients),
                i.rollcall_id.clone(),
            ]
        })
        .collect();
    render(
        &["開始日時", "種別", "件名", "回", "状態", "回答/対象", "ID"],
        &rows,
    )
}

/// 未開封 3 / 開封・未回答 1 / 回答済み 5 / 代理回答 0 (無事 4、軽傷 2)
fn counts_line(c: &v1::RollcallCounts) -> String {
    let statuses: Vec<String> = c
        .statuses
        .iter()
        .map(|s| format!("{} {}", s.status, s.count))
        .collect();
    format!(
        "対象 {}人: 未開封 {} / 開封・未回答 {} / 回答済み {} / 代理回答 {}（{}）",
        c.total,
        c.not_opened,
        c.opened,
        c.answered,
        c.proxy,
        statuses.join("、")
    )
}

/// A member's mails: 送信済み 2, or what waits and what failed with the reply.
fn mails_cell(m: &v1::RollcallMemberRow) -> String {
    let mut parts = Vec::new();
    if m.mails_sent > 0 {
        parts.push(format!("送信済み{}", m.mails_sent));
    }
    if m.mails_pending > 0 {
        parts.push(format!("送信待ち{}", m.mails_pending));
    }
    if m.mails_failed > 0 {
        let reply = if m.last_reply.is_empty() {
            String::new()
        } else {
            format!("（{}）", truncate(&m.last_reply, 40))
        };
        parts.push(format!("失敗{}{reply}", m.mails_failed));
    }
    if parts.is_empty() {
        "なし".into()
    } else {
        parts.join(" ")
    }
}

fn dashboard_text(d: &v1::RollcallDashboard) -> String {
    let item = d.rollcall.clone().unwrap_or_default();
    let mut text = format!(
        "{}安否確認: {}（{}）\nID: {}　第{}回　{}",
        if item.mode == "drill" {
            "【訓練】"
        } else {
            ""
        },
        item.title,
        item.mode_label,
        item.rollcall_id,
        item.round,
        state_label(&item)
    );
    if item.cancelled && !item.cancelled_at.is_empty() {
        text += &format!("（{}）", jst_time(&item.cancelled_at));
    } else if !item.closed_at.is_empty() {
        text += &format!("（{}）", jst_time(&item.closed_at));
    }
    text.push('\n');
    if item.cancelled && !item.cancel_reason.is_empty() {
        text += &format!("取消の理由: {}\n", item.cancel_reason);
    }
    if !item.started_at.is_empty() {
        text += &format!(
            "開始: {} {}　配信先の組織: {}\n",
            jst_time(&item.started_at),
            item.started_by,
            item.orgs.join(" ")
        );
    }
    text += &format!("回答の選択肢: {}\n", item.statuses.join("、"));
    let delivery = d.delivery.unwrap_or_default();
    text += &format!(
        "メール配信: 送信待ち {} / 送信済み {} / 失敗 {}\n",
        delivery.pending, delivery.sent, delivery.failed
    );
    if let Some(whole) = &d.whole {
        text += &format!("全体: {}\n", counts_line(whole));
    }
    if !d.per_org.is_empty() {
        text += "\n組織別:\n";
        let mut headers = vec![
            "組織",
            "対象",
            "未開封",
            "開封・未回答",
            "回答済み",
            "代理回答",
        ];
        let statuses: Vec<String> = d
            .whole
            .as_ref()
            .map(|w| w.statuses.iter().map(|s| s.status.clone()).collect())
            .unwrap_or_default();
        headers.extend(statuses.iter().map(String::as_str));
        let rows: Vec<Vec<String>> = d
            .per_org
            .iter()
            .map(|o| {
                let c = o.counts.clone().unwrap_or_default();
                let mut row = vec![
                    o.path.clone(),
                    c.total.to_string(),
                    c.not_opened.to_string(),
                    c.opened.to_string(),
                    c.answered.to_string(),
                    c.proxy.to_string(),
                ];
                row.extend(statuses.iter().map(|s| {
                    c.statuses
                        .iter()
                        .find(|x| &x.status == s)
                        .map_or(0, |x| x.count)
                        .to_string()
                }));
                row
            })
            .collect();
        text += &render(&headers, &rows);
    }
    text += "\n職員:\n";
    if d.members.is_empty() {
        text += "（表示できる職員はいません）\n";
        return text;
    }
    let rows: Vec<Vec<String>> = d
        .members
        .iter()
        .map(|m| {
            vec![
                m.code.clone(),
                m.name.clone(),
                truncate(&m.org_paths.join("、"), 30),
                m.progress_label.clone(),
                m.status.clone(),
                truncate(&m.comment, 30),
                jst_time(&m.first_answered_at),
                jst_time(&m.last_answered_at),
                m.proxy.clone(),
                mails_cell(m),
            ]
        })
        .collect();
    text += &render(
        &[
            "職員番号",
            "氏名",
            "所属",
            "状況",
            "安否",
            "コメント",
            "初回回答",
            "最終回答",
            "代理回答者",
            "メール",
        ],
        &rows,
    );
    text
}

fn drafts_text(reply: &v1::Form1DraftsResponse) -> String {
    let drill = reply.mode == "drill";
    let mut text = format!(
        "安否確認「{}」{}: 様式第1号の下書き {}件（負傷・避難の回答から。記録はまだありません）\n",
        reply.title,
        if drill { "（訓練）" } else { "" },
        reply.drafts.len()
    );
    if reply.drafts.is_empty() {
        return text;
    }
    let rows: Vec<Vec<String>> = reply
        .drafts
        .iter()
        .map(|d| vec![d.member.clone(), jst_time(&d.answered_at), d.status.clone()])
        .collect();
    text.push_str(&render(&["職員番号", "回答日時", "安否"], &rows));
    text.push_str(
        "生年月日・性別・住所・居所・同意を確認して補い、`anpi entry add --incident 事案ID ファイル` で登録してください\n",
    );
    if drill {
        text.push_str("訓練の安否確認です: 訓練の事案に登録してください\n");
    }
    text
}

/// Writes each draft to `dir/<member>.json` (pretty JSON), never over an existing file:
/// a draft the clerk has begun to complete is not lost by asking again.
fn write_drafts(dir: &Path, reply: &v1::Form1DraftsResponse) -> anyhow::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir).with_context(|| format!("{} を作成できません", dir.display()))?;
    for draft in &reply.drafts {
        let value: serde_json::Value = serde_json::from_str(&draft.draft_json)
            .context("the node sent a draft that is not JSON")?;
        let path = dir.join(format!("{}.json", draft.member));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                let text = serde_json::to_string_pretty(&value)? + "\n";
                file.write_all(text.as_bytes())
                    .with_context(|| format!("{} に書き込めません", path.display()))?;
                println!("{} に書き出しました", path.display());
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                println!("{} は既にあります（上書きしません）", path.display());
            }
            Err(error) => {
                return Err(error).with_context(|| format!("{} を作成できません", path.display()));
            }
        }
    }
    Ok(())
}

fn history_text(member: &str, answers: &[v1::RollcallAnswer]) -> String {
    if answers.is_empty() {
        return format!("職員 {member} の回答はまだありません\n");
    }
    let rows: Vec<Vec<String>> = answers
        .iter()
        .map(|a| {
            vec![
                format!("第{}回", a.round),
                jst_time(&a.answered_at),
                a.status.clone(),
                a.comment.clone(),
                if a.proxy.is_empty() {
                    "本人".into()
                } else {
                    format!("代理（{}）", a.proxy)
                },
            ]
        })
        .collect();
    render(&["回", "回答日時", "安否", "コメント", "回答者"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<RollcallCmd, clap::Error> {
        let mut all = vec!["anpi", "rollcall"];
        all.extend_from_slice(args);
        match crate::Cli::try_parse_from(all)?.command {
            crate::Cmd::Rollcall { command } => Ok(command),
            _ => panic!("not a rollcall command"),
        }
    }

    fn assigned(args: &[&str]) -> anyhow::Result<(String, Vec<String>)> {
        match parse(args).map_err(|e| anyhow::anyhow!("{e}"))? {
            RollcallCmd::Admin {
                command: AdminCmd::Assign { role, org, .. },
            } => role_request(&role, org),
            _ => panic!("not admin assign"),
        }
    }

    #[test]
    fn the_role_flags_name_one_role() {
        assert_eq!(
            assigned(&["admin", "assign", "clerk1", "--function"]).unwrap(),
            ("function".to_string(), vec![])
        );
        assert_eq!(
            assigned(&[
                "admin",
                "assign",
                "clerk1",
                "--disaster-prevention",
                "--org",
                "soumu",
                "kensetsu"
            ])
            .unwrap(),
            (
                "disaster_prevention".to_string(),
                vec!["soumu".to_string(), "kensetsu".to_string()]
            )
        );
        // Refused by the parser: neither, both, --org with --function, no --org.
        assert!(assigned(&["admin", "assign", "clerk1"]).is_err());
        assert!(
            assigned(&[
                "admin",
                "assign",
                "clerk1",
                "--function",
                "--disaster-prevention"
            ])
            .is_err()
        );
        assert!(assigned(&["admin", "assign", "clerk1", "--function", "--org", "a"]).is_err());
        assert!(assigned(&["admin", "assign", "clerk1", "--disaster-prevention"]).is_err());
        // And by the conversion, should the parser let one through.
        let flags = RoleFlags {
            function: true,
            disaster_prevention: false,
        };
        assert!(role_request(&flags, vec!["a".into()]).is_err());
        let none = RoleFlags {
            function: false,
            disaster_prevention: false,
        };
        assert!(role_request(&none, vec![]).is_err());
    }

    #[test]
    fn send_takes_several_organisations_and_statuses() {
        let RollcallCmd::Send(args) = parse(&[
            "send",
            "--org",
            "soumu",
            "kensetsu",
            "--title",
            "訓練",
            "--drill",
            "--status",
            "無事",
            "要支援",
            "--json",
        ])
        .unwrap() else {
            panic!("not send")
        };
        assert_eq!(args.org, ["soumu", "kensetsu"]);
        assert_eq!(args.status, ["無事", "要支援"]);
        assert!(args.drill && args.json);
        assert!(
            parse(&["send", "--title", "x"]).is_err(),
            "--org is required"
        );
    }

    // R: K-08 — a withdrawn roll-call reads 取消, with when and why.
    #[test]
    fn a_cancelled_roll_call_reads_cancelled_with_when_and_why() {
        let item = v1::RollcallItem {
            rollcall_id: "0190".into(),
            title: "東京都２３区で震度5強の地震".into(),
            mode: "actual".into(),
            mode_label: "災害".into(),
            round: 1,
            started_at: "2026-12-06T00:00:00Z".into(),
            cancelled: true,
            cancelled_at: "2026-12-06T00:30:00Z".into(),
            cancel_reason: "地震情報が取り消されました".into(),
            ..Default::default()
        };
        assert_eq!(state_label(&item), "取消");
        let text = dashboard_text(&v1::RollcallDashboard {
            rollcall: Some(item.clone()),
            ..Default::default()
        });
        assert!(text.contains("取消（2026-12-06 09:30）"), "{text}");
        assert!(
            text.contains("取消の理由: 地震情報が取り消されました"),
            "{text}"
        );
        assert!(list_text(&[item]).contains("取消"));
    }

    #[test]
    fn a_test_mail_uses_the_stored_settings_where_no_flag_is_given() {
        let stored = v1::MailSettingsView {
            configured: true,
            sender: "anpi@city.example.lg.jp".into(),
            host: "smtp.example.lg.jp".into(),
            port: 587,
            security: "starttls".into(),
            external_url: "https://anpi.example.lg.jp".into(),
            password_set: true,
            ..Default::default()
        };
        let RollcallCmd::Mail {
            command: MailCmd::Test(args),
        } = parse(&[
            "mail",
            "test",
            "--to",
            "me@example.jp",
            "--port",
            "465",
            "--security",
            "tls",
        ])
        .unwrap()
        else {
            panic!("not mail test")
        };
        let input = test_input(stored_input(&stored), &args);
        assert_eq!(input.port, "465");
        assert_eq!(input.security, "tls");
        assert_eq!(input.host, "smtp.example.lg.jp");
        assert_eq!(input.sender, "anpi@city.example.lg.jp");
        assert_eq!(args.password.read().unwrap(), None, "the stored password");
        assert_eq!(
            stored_input(&v1::MailSettingsView::default()),
            v1::MailSettingsInput::default()
        );
        assert!(
            parse(&[
                "mail",
                "set",
                "--sender",
                "a@b.jp",
                "--host",
                "h",
                "--port",
                "25",
                "--security",
                "none",
                "--external-url",
                "https://x",
                "--password-file",
                "f",
                "--password-prompt"
            ])
            .is_err(),
            "one password source at most"
        );
        assert!(
            parse(&["template", "show", "weekly"]).is_err(),
            "unknown kind"
        );
    }

    #[test]
    fn a_body_file_is_read_with_line_feeds() {
        assert_eq!(normalise_body("\u{feff}a\r\nb\rc\n"), "a\nb\nc\n");
    }

    #[test]
    fn a_directory_reply_is_rebuilt_for_the_export() {
        let orgs = vec![
            v1::RollcallOrganisation {
                code: "soumu".into(),
                name: "総務部".into(),
                ..Default::default()
            },
            v1::RollcallOrganisation {
                code: "soumu.bousai".into(),
                name: "防災課".into(),
                parent: "soumu".into(),
                path: "総務部 / 防災課".into(),
                depth: 1,
            },
        ];
        let tree = tree_of(&orgs).unwrap();
        assert_eq!(
            tree.path(&OrgCode::parse("soumu.bousai").unwrap()),
            "総務部 / 防災課"
        );
        let back: Vec<v1::RollcallOrganisation> =
            tree.in_order().into_iter().map(org_to_proto).collect();
        assert_eq!(back[1].parent, "soumu");
        let members = vec![v1::RollcallMember {
            code: "S001".into(),
            name: "山田 太郎".into(),
            orgs: vec!["soumu.bousai".into()],
            mails: vec!["taro@example.jp".into()],
        }];
        let rebuilt = members_of(&members).unwrap();
        assert_eq!(member_to_proto(&rebuilt[0]), members[0]);
        let broken = vec![v1::RollcallMember {
            mails: vec!["not an address".into()],
            ..members[0].clone()
        }];
        assert!(members_of(&broken).is_err());
        assert_eq!(
            default_export_name(Which::Members, "20260401"),
            PathBuf::from("職員_20260401.csv")
        );
    }

    #[test]
    fn a_failed_mail_shows_the_server_reply() {
        let row = v1::RollcallMemberRow {
            mails_sent: 1,
            mails_failed: 1,
            last_reply: "550 no such user".into(),
            ..Default::default()
        };
        assert_eq!(mails_cell(&row), "送信済み1 失敗1（550 no such user）");
        assert_eq!(mails_cell(&v1::RollcallMemberRow::default()), "なし");
    }
}
