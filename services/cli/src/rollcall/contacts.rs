//! `anpi rollcall contacts`: the members' emergency contacts (緊急連絡先, K-05) over the
//! Rollcall service's `ListContacts`, `SetContacts`, `ImportContacts` and
//! `SendContactMails`. What the console's `/rollcall/contacts` does, for the members
//! the caller sees (a disaster-prevention administrator: their organisations' only):
//!
//! - `list`: each member's phone numbers and contact addresses with where each
//!   address's check stands, and who set them when;
//! - `set`: one member's contacts on their behalf (代理設定; none clears them);
//! - `import`: a contact file, checked here with `anpi_files::rollcall::parse_contacts`
//!   first (every problem by line and column, nothing sent), then by the node (members
//!   outside the caller's organisations named by line the same way, nothing saved);
//! - `export`: the console's three downloads (members without contacts in the import's
//!   format, every member's contacts, the check results), CP932 or UTF-8 with BOM,
//!   never over an existing file;
//! - `request`, `check`: the two mails.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anpi_core::rollcall::contact::{Contacts, PhoneNumber};
use anpi_core::rollcall::{MailAddress, Member, MemberCode};
use anpi_files::OutEncoding;
use anpi_files::rollcall::{CHECK_COLUMNS, parse_contacts, write_checks_csv, write_contacts_csv};
use anpi_proto::v1;
use anyhow::bail;
use clap::{Args, Subcommand};

use crate::client::{RollcallClient, explain};
use crate::out_file::OutFile;
use crate::output::{emit, jst_time};
use crate::table::{render, truncate};

/// The largest file the node takes in one request (tonic's default message limit,
/// less room for the request around it).
const MAX_SENT_BYTES: u64 = 4 * 1024 * 1024 - 4096;

#[derive(Subcommand)]
pub enum ContactsCmd {
    /// Each member's phone numbers and contact addresses with their checks (確認).
    List {
        /// Only the members with neither a phone number nor an address (未設定).
        #[arg(long)]
        missing: bool,
        #[arg(long)]
        json: bool,
    },
    /// Set a member's contacts on their behalf (代理設定), replacing theirs; no
    /// --phone and no --mail clears them.
    Set {
        /// The member's code (職員番号).
        #[arg(long)]
        member: String,
        /// A phone number (e.g. 090-1234-5678); up to 3, one per --phone.
        #[arg(long = "phone")]
        phone: Vec<String>,
        /// A contact mail address; up to 3, one per --mail.
        #[arg(long = "mail")]
        mail: Vec<String>,
    },
    /// Set the contacts of the members in a CSV file (CP932 or UTF-8; the columns of
    /// `export --missing`). The whole file is checked first; if any line is wrong,
    /// every problem is listed and nothing is saved.
    Import { file: PathBuf },
    /// Write a CSV file as the console's downloads do; an existing file is never
    /// replaced.
    Export(ExportArgs),
    /// Mail the members without contacts (or, with --everyone, every member) a link
    /// to set theirs (設定のお願い), at their directory addresses.
    Request {
        /// Also the members who have set theirs.
        #[arg(long)]
        everyone: bool,
    },
    /// Mail every contact address a link that confirms it receives mail (連絡先の確認).
    Check,
}

/// Which file `export` writes: exactly one of the three.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct ExportWhich {
    /// The members without contacts, in the import's format (to fill in).
    #[arg(long)]
    missing: bool,
    /// Every member with their contacts (the import's format).
    #[arg(long)]
    all: bool,
    /// The check of every contact address (確認結果).
    #[arg(long)]
    checks: bool,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    which: ExportWhich,
    /// The file to write (default: 緊急連絡先未設定_<date>.csv, 緊急連絡先_<date>.csv or
    /// 緊急連絡先確認結果_<date>.csv).
    #[arg(long)]
    out: Option<PathBuf>,
    /// cp932 (Shift_JIS, the default) or utf8 (UTF-8 with BOM).
    #[arg(long, value_parser = ["cp932", "utf8"], default_value = "cp932")]
    encoding: String,
}

/// The contact file to send, checked whole; `None` when it was refused (every problem
/// printed).
pub fn read_contacts(file: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    let bytes = super::read_file(file)?;
    if bytes.len() as u64 > MAX_SENT_BYTES {
        bail!(
            "{}: ファイルが大きすぎます（{}バイト）。ノードに送れるのは{}MB未満です。ファイルを分けてください",
            file.display(),
            bytes.len(),
            (MAX_SENT_BYTES + 4096) / (1024 * 1024)
        );
    }
    match parse_contacts(&bytes) {
        Ok(rows) => {
            eprintln!("{}: 緊急連絡先 {}人", file.display(), rows.len());
            Ok(Some(bytes))
        }
        Err(error) => {
            super::refuse_file(file, &error);
            Ok(None)
        }
    }
}

/// The problems of a refused file as the node lists them (`N行目 列名: message`),
/// from its INVALID_ARGUMENT message (`- 緊急連絡先ファイル（file[3]…）: 3行目 …`).
fn node_problems(message: &str) -> Vec<String> {
    let problems: Vec<String> = message
        .lines()
        .filter_map(|line| line.strip_prefix("- "))
        .map(|line| match line.split_once("）: ") {
            Some((_, problem)) => problem.to_string(),
            None => line.to_string(),
        })
        .collect();
    if problems.is_empty() {
        vec![message.to_string()]
    } else {
        problems
    }
}

/// Sends a checked contact file; the node's refusals printed like the file's own.
pub async fn import(
    client: &mut RollcallClient,
    file: &Path,
    bytes: Vec<u8>,
) -> anyhow::Result<ExitCode> {
    let rows = parse_contacts(&bytes).map_or(0, |rows| rows.len());
    match client
        .import_contacts(v1::ImportContactsRequest { file: bytes })
        .await
    {
        Ok(reply) => {
            let w = reply.into_inner();
            if w.events == 0 {
                println!(
                    "緊急連絡先 {rows}人を読み込みました。登録済みの内容と同じため、変更はありません"
                );
            } else {
                println!(
                    "緊急連絡先 {rows}人を読み込み、{}人の緊急連絡先を登録・更新しました（代理設定）",
                    w.events
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            eprintln!("{}:", file.display());
            for problem in node_problems(status.message()) {
                eprintln!("{problem}");
            }
            eprintln!("誤りがあるため、何も登録していません。ファイルを直して再度実行してください");
            Ok(ExitCode::FAILURE)
        }
        Err(status) => Err(explain(status)),
    }
}

/// Every command but `import` (sent by `super::run` after the file is checked).
pub async fn run(client: &mut RollcallClient, command: ContactsCmd) -> anyhow::Result<()> {
    match command {
        ContactsCmd::Import { .. } => unreachable!("imports are sent by `run`"),
        ContactsCmd::List { missing, json } => {
            let list = list(client, missing).await?;
            emit(json, &list.entries, |entries| list_text(entries, missing))
        }
        ContactsCmd::Set {
            member,
            phone,
            mail,
        } => {
            let clears = phone.is_empty() && mail.is_empty();
            let w = client
                .set_contacts(v1::SetContactsRequest {
                    member_code: member.clone(),
                    phones: phone,
                    mails: mail,
                })
                .await
                .map_err(explain)?
                .into_inner();
            if w.events == 0 {
                println!("職員 {member} の緊急連絡先に変更はありませんでした");
            } else if clears {
                println!("職員 {member} の緊急連絡先を削除しました（代理設定）");
            } else {
                println!("職員 {member} の緊急連絡先を代理で設定しました");
            }
            Ok(())
        }
        ContactsCmd::Export(args) => export(client, args).await,
        ContactsCmd::Request { everyone } => send(client, "request", everyone).await,
        ContactsCmd::Check => send(client, "check", false).await,
    }
}

async fn list(client: &mut RollcallClient, only_missing: bool) -> anyhow::Result<v1::ContactList> {
    Ok(client
        .list_contacts(v1::ListContactsRequest { only_missing })
        .await
        .map_err(explain)?
        .into_inner())
}

/// 本人 2026-12-01 09:30 / 代理（admin1） 2026-12-01 09:30 / 未設定.
fn setting_cell(e: &v1::ContactEntry) -> String {
    if e.missing {
        return "未設定".into();
    }
    let who = if e.set_by.is_empty() {
        "本人".to_string()
    } else {
        format!("代理（{}）", e.set_by)
    };
    format!("{who} {}", jst_time(&e.set_at))
}

/// a@example.jp（確認済み） b@example.jp（送信失敗: 550 …）.
fn mails_cell(e: &v1::ContactEntry) -> String {
    e.mails
        .iter()
        .map(|m| {
            if m.reply.is_empty() {
                format!("{}（{}）", m.address, m.state_label)
            } else {
                format!(
                    "{}（{}: {}）",
                    m.address,
                    m.state_label,
                    truncate(&m.reply, 30)
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn list_text(entries: &[v1::ContactEntry], only_missing: bool) -> String {
    if entries.is_empty() {
        return if only_missing {
            "緊急連絡先が未設定の職員はいません\n".into()
        } else {
            "表示できる職員はいません\n".into()
        };
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.member_code.clone(),
                e.name.clone(),
                e.phones.join("、"),
                mails_cell(e),
                setting_cell(e),
            ]
        })
        .collect();
    let mut text = render(
        &[
            "職員番号",
            "氏名",
            "電話番号",
            "メールアドレス（確認）",
            "設定",
        ],
        &rows,
    );
    let missing = entries.iter().filter(|e| e.missing).count();
    text += &format!("{}人", entries.len());
    if !only_missing && missing > 0 {
        text += &format!("（うち未設定 {missing}人）");
    }
    text.push('\n');
    text
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Which {
    Missing,
    All,
    Checks,
}

impl Which {
    fn of(flags: &ExportWhich) -> Which {
        if flags.missing {
            Which::Missing
        } else if flags.checks {
            Which::Checks
        } else {
            Which::All
        }
    }

    /// What the file holds, as the console's download names it.
    fn label(self) -> &'static str {
        match self {
            Which::Missing => "緊急連絡先未設定",
            Which::All => "緊急連絡先",
            Which::Checks => "緊急連絡先確認結果",
        }
    }
}

/// A member and their contacts as the file writer takes them (only the code and the
/// name of the member are written).
fn contact_row(e: &v1::ContactEntry) -> anyhow::Result<(Member, Contacts)> {
    let unreadable = |e: anpi_core::validation::FieldError| {
        anyhow::anyhow!("ノードから受け取った緊急連絡先を読めません: {e}")
    };
    let member = Member {
        code: MemberCode::parse(&e.member_code).map_err(unreadable)?,
        name: e.name.clone(),
        orgs: Vec::new(),
        mails: Vec::new(),
    };
    let contacts = Contacts {
        phones: e
            .phones
            .iter()
            .map(|p| PhoneNumber::parse(p))
            .collect::<Result<_, _>>()
            .map_err(unreadable)?,
        mails: e
            .mails
            .iter()
            .map(|m| MailAddress::parse(&m.address))
            .collect::<Result<_, _>>()
            .map_err(unreadable)?,
    };
    Ok((member, contacts))
}

/// The check rows of a reply, as the console's download writes them.
fn check_cells(list: &v1::ContactList) -> anyhow::Result<Vec<[String; 7]>> {
    list.checks
        .iter()
        .map(|row| {
            <[String; 7]>::try_from(row.cells.clone()).map_err(|cells| {
                anyhow::anyhow!(
                    "ノードから受け取った確認結果の行が {}列ではありません（{}列）",
                    CHECK_COLUMNS.len(),
                    cells.len()
                )
            })
        })
        .collect()
}

/// A cell CP932 cannot hold (named by the writer), with what to do.
fn unwritable(message: String, utf8: bool) -> anyhow::Error {
    if utf8 {
        anyhow::anyhow!(message)
    } else {
        anyhow::anyhow!("{message}（--encoding utf8 で書き出してください）")
    }
}

async fn export(client: &mut RollcallClient, args: ExportArgs) -> anyhow::Result<()> {
    let which = Which::of(&args.which);
    let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("offset");
    let today = chrono::Utc::now()
        .with_timezone(&jst)
        .format("%Y%m%d")
        .to_string();
    let file = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{}_{today}.csv", which.label())));
    let utf8 = args.encoding == "utf8";
    let encoding = if utf8 {
        OutEncoding::Utf8Bom
    } else {
        OutEncoding::Cp932
    };
    // The file first (phone numbers and addresses are personal data: mode 600); half
    // a file is never left behind.
    let handle = OutFile::create(&file, true, false)?;
    let list = list(client, which == Which::Missing).await?;
    let (bytes, count, unit) = match which {
        Which::Missing | Which::All => {
            let rows = list
                .entries
                .iter()
                .map(contact_row)
                .collect::<anyhow::Result<Vec<_>>>()?;
            let refs: Vec<(&Member, Option<&Contacts>)> = rows
                .iter()
                .map(|(member, contacts)| (member, Some(contacts)))
                .collect();
            let bytes = write_contacts_csv(&refs, encoding).map_err(|e| unwritable(e, utf8))?;
            (bytes, rows.len(), "人")
        }
        Which::Checks => {
            let cells = check_cells(&list)?;
            let bytes = write_checks_csv(&cells, encoding).map_err(|e| unwritable(e, utf8))?;
            (bytes, cells.len(), "件")
        }
    };
    handle.finish(&bytes)?;
    println!(
        "{} {count}{unit}を {} に書き出しました（{}）",
        which.label(),
        file.display(),
        if utf8 { "UTF-8" } else { "Shift_JIS" }
    );
    Ok(())
}

async fn send(client: &mut RollcallClient, purpose: &str, everyone: bool) -> anyhow::Result<()> {
    let reply = client
        .send_contact_mails(v1::SendContactMailsRequest {
            purpose: purpose.into(),
            everyone,
        })
        .await
        .map_err(explain)?
        .into_inner();
    let what = if purpose == "request" {
        "緊急連絡先の設定のお願い"
    } else {
        "緊急連絡先の確認メール"
    };
    println!(
        "{what}を {}人に送信します（{}通）",
        reply.members, reply.mails
    );
    if reply.without_mail > 0 {
        println!(
            "メールアドレスが登録されていない職員 {}人には送れませんでした",
            reply.without_mail
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<ContactsCmd, clap::Error> {
        let mut all = vec!["anpi", "rollcall", "contacts"];
        all.extend_from_slice(args);
        match crate::Cli::try_parse_from(all)?.command {
            crate::Cmd::Rollcall {
                command: super::super::RollcallCmd::Contacts { command },
            } => Ok(command),
            _ => panic!("not a contacts command"),
        }
    }

    use clap::Parser;

    #[test]
    fn set_takes_each_phone_and_mail_and_export_one_file() {
        let ContactsCmd::Set {
            member,
            phone,
            mail,
        } = parse(&[
            "set",
            "--member",
            "S001",
            "--phone",
            "(03) 1234 5678",
            "--phone",
            "090-1111-2222",
            "--mail",
            "a@example.jp",
        ])
        .unwrap()
        else {
            panic!("not set")
        };
        assert_eq!(member, "S001");
        assert_eq!(phone, ["(03) 1234 5678", "090-1111-2222"]);
        assert_eq!(mail, ["a@example.jp"]);
        let ContactsCmd::Set { phone, mail, .. } = parse(&["set", "--member", "S001"]).unwrap()
        else {
            panic!("not set")
        };
        assert!(phone.is_empty() && mail.is_empty(), "clears");
        let ContactsCmd::Export(args) = parse(&["export", "--checks"]).unwrap() else {
            panic!("not export")
        };
        assert_eq!(Which::of(&args.which), Which::Checks);
        assert_eq!(args.encoding, "cp932");
        assert!(parse(&["export"]).is_err(), "one of the three");
        assert!(parse(&["export", "--missing", "--all"]).is_err());
        assert!(parse(&["export", "--all", "--encoding", "utf16"]).is_err());
    }

    #[test]
    fn the_node_problems_read_by_line_and_column() {
        let message = "入力内容に誤りがあります（2件）。\n- 緊急連絡先ファイル（file[3].member_code）: 3行目 職員番号: 職員番号「S9」の職員は登録されていないか、担当組織の職員ではありません\n- 緊急連絡先ファイル（file）: ファイルが空です";
        assert_eq!(
            node_problems(message),
            [
                "3行目 職員番号: 職員番号「S9」の職員は登録されていないか、担当組織の職員ではありません",
                "ファイルが空です"
            ]
        );
        assert_eq!(node_problems("壊れています"), ["壊れています"]);
    }

    #[test]
    fn the_list_shows_each_address_with_its_check() {
        let entries = vec![
            v1::ContactEntry {
                member_code: "m1".into(),
                name: "山田 太郎".into(),
                phones: vec!["090-1111-2222".into()],
                mails: vec![
                    v1::ContactAddress {
                        address: "a@example.jp".into(),
                        state_label: "確認済み".into(),
                        ..Default::default()
                    },
                    v1::ContactAddress {
                        address: "b@example.jp".into(),
                        state_label: "送信失敗".into(),
                        reply: "550 no such user".into(),
                        ..Default::default()
                    },
                ],
                set_by: "admin1".into(),
                set_at: "2026-12-01T00:30:00Z".into(),
                ..Default::default()
            },
            v1::ContactEntry {
                member_code: "m2".into(),
                name: "花子".into(),
                missing: true,
                ..Default::default()
            },
        ];
        let text = list_text(&entries, false);
        assert!(
            text.contains("a@example.jp（確認済み） b@example.jp（送信失敗: 550 no such user）"),
            "{text}"
        );
        assert!(text.contains("代理（admin1） 2026-12-01 09:30"), "{text}");
        assert!(text.contains("未設定"), "{text}");
        assert!(text.contains("2人（うち未設定 1人）"), "{text}");
        let (member, contacts) = contact_row(&entries[0]).unwrap();
        assert_eq!(member.code.as_str(), "m1");
        assert_eq!(contacts.mails.len(), 2);
        let list = v1::ContactList {
            checks: vec![v1::ContactCheckRow {
                cells: vec!["m1".into(); 6],
            }],
            ..Default::default()
        };
        assert!(check_cells(&list).is_err(), "seven cells or nothing");
    }
}
