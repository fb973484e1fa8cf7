//! `anpi`: the operator command line. Talks to one node over gRPC.
//! R: E-01, E-02, E-12, D-04, D-05, T-04, L-02, A-01, R-01, R-03, R-04, R-05, S-01..S-04,
//! P-02, P-03, P-04, Q-01..Q-06, A-01..A-03, A-05 (TLS to the node), A-06, K-01..K-04,
//! K-06, K-08 (`rollcall jma evaluate`, no node), K-09.

mod accounts;
mod audit;
mod client;
mod commands;
mod entry_file;
mod export_csv;
mod forms;
mod import;
mod inquiry;
mod jma;
mod lookup;
mod organise;
mod out_file;
mod output;
mod publication;
mod reports;
mod rollcall;
mod secret;
mod session;
mod shared;
mod table;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "anpi", version, about = "anpi: 安否情報システムの操作コマンド")]
pub struct Cli {
    /// Node address (e.g. http://127.0.0.1:50061, or https://… with --ca); default: the
    /// node of the last login.
    #[arg(long, global = true, env = "ANPI_NODE")]
    node: Option<String>,
    /// PEM certificate of the CA that signed an `https://` node's certificate (the only
    /// CA trusted; A-05); default: the one saved with the login to that node.
    #[arg(long, global = true, env = "ANPI_CA")]
    ca: Option<PathBuf>,
    /// Bearer token; default: the saved login for the node.
    #[arg(long, global = true, env = "ANPI_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Log in to a node and save the token.
    Login {
        #[arg(long)]
        user: String,
        /// Read the password from this file (first line); default: standard input.
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Exit 0 when the node answers SERVING (no login needed).
    Health,
    /// The node's tier, jurisdiction, parent and log head.
    Info {
        #[arg(long)]
        json: bool,
    },
    /// Incidents (事案).
    Incident {
        #[command(subcommand)]
        command: IncidentCmd,
    },
    /// Safety entries (安否情報).
    Entry {
        #[command(subcommand)]
        command: EntryCmd,
    },
    /// Report every not-yet-reported entry, deletion and departure to the parent (報告).
    Report {
        #[arg(long)]
        json: bool,
    },
    /// Pause or resume intake (受付停止・再開).
    Intake {
        #[command(subcommand)]
        command: IntakeCmd,
    },
    /// Reports sent and received (報告履歴).
    Reports {
        #[command(subcommand)]
        command: ReportsCmd,
    },
    /// The organise/report screen (重複検索・報告): records not yet reported first,
    /// suspected duplicates and automatic-removal conflicts.
    Organise {
        #[command(subcommand)]
        command: Option<OrganiseCmd>,
        #[arg(long)]
        incident: Option<String>,
        /// At most this many records (default 500).
        #[arg(long)]
        limit: Option<i32>,
        #[arg(long)]
        json: bool,
    },
    /// Search (検索): tolerant exact match, or partial match with --fuzzy (曖昧検索).
    Search(SearchArgs),
    /// Rebuild the read model from the log into a separate schema (default `replay`,
    /// compared row by row with the live one), optionally as of a time.
    Replay {
        /// Only events appended up to this time (RFC 3339 or `YYYY-MM-DD HH:MM` JST).
        #[arg(long)]
        until: Option<String>,
        /// Schema to build into (replaced if it exists).
        #[arg(long)]
        into: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The account register (administrator): issue, list, withdraw, unlock, reset.
    Account {
        #[command(subcommand)]
        command: AccountCmd,
    },
    /// Change your own password.
    Password {
        /// Read the current password from this file (first line); default: prompt.
        #[arg(long)]
        current_file: Option<PathBuf>,
        /// Read the new password from this file (first line); default: prompt.
        #[arg(long)]
        new_file: Option<PathBuf>,
    },
    /// For auditors: the read log of personal data, and the check that the
    /// log was not altered (L-05, U-01).
    Audit {
        #[command(subcommand)]
        command: AuditCmd,
    },
    /// Node-to-node trust: this node's report-signing key; the parent registers
    /// its children's keys.
    Trust {
        #[command(subcommand)]
        command: TrustCmd,
    },
    /// Inquiries (照会) and answers (回答).
    Inquiry {
        #[command(subcommand)]
        command: InquiryCmd,
    },
    /// Publication (公表): decisions per record and the publication list.
    Publication {
        #[command(subcommand)]
        command: PublicationCmd,
    },
    /// (National) publish the read model as the next version of the shared dataset
    /// (共用領域) and follow its sending to the nodes.
    Publish {
        /// Return once the version is recorded, without following the sending.
        #[arg(long)]
        no_wait: bool,
        #[arg(long)]
        json: bool,
    },
    /// The shared-dataset version this node holds, when it came, and (national) the
    /// versions published.
    Shared {
        #[arg(long)]
        json: bool,
    },
    /// 様式第3号 安否情報報告書 as PDF: the records of an incident, for sending by other
    /// means when the system cannot be used.
    Form3(forms::Form3Args),
    /// 様式第5号 安否情報回答書 as PDF: the answer an inquiry was given.
    Form5(forms::Form5Args),
    /// 様式第1号・第2号・第4号 as PDF: blank (no login needed), or filled in from an
    /// entry file, a stored record or an inquiry file.
    Form(forms::FormArgs),
    /// Roll-call (安否確認) of an organisation's members by mail: the directory, the
    /// administrators, the mail settings and templates, sending and the dashboard.
    Rollcall {
        #[command(subcommand)]
        command: rollcall::RollcallCmd,
    },
    /// The node's event log in order.
    Events {
        /// Show events after this position.
        #[arg(long, default_value_t = 0)]
        since: i64,
        /// At most this many events (default: all).
        #[arg(long)]
        limit: Option<usize>,
        /// Only events of these kinds (e.g. EntryDeleted; several separated by commas).
        #[arg(long, default_value = "")]
        kind: String,
        /// Only events about this record (its ID).
        #[arg(long, default_value = "")]
        record: String,
        /// Only events by this account (`admin`, or `131016/admin`).
        #[arg(long, default_value = "")]
        actor: String,
        /// Only events received at or after this time (RFC 3339 or `YYYY-MM-DD HH:MM` JST).
        #[arg(long, default_value = "")]
        from: String,
        /// Only events received before this time.
        #[arg(long, default_value = "")]
        until: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum IncidentCmd {
    /// Create an incident.
    Create {
        #[arg(long)]
        name: String,
        /// actual (実事案) or drill (訓練).
        #[arg(long)]
        mode: String,
        /// The incident ID announced by the national tier (default: a new ID). Creating
        /// the same ID with the same name and mode again succeeds without change.
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List incidents.
    List {
        #[arg(long)]
        json: bool,
    },
    /// (Administrator) set the last day of the incident's retention period (保存期間,
    /// issue 21); reported upward so that every tier holds the same day.
    Retention {
        /// Incident ID.
        id: String,
        /// The last day: 2031-03-31 or 令和13年3月31日.
        #[arg(long)]
        until: String,
    },
    /// (Administrator) from the end of its retention period, make every personal field
    /// of the incident unreadable in this node (its log still verifies).
    Purge {
        /// Incident ID.
        id: String,
        /// The incident ID, typed again to confirm.
        #[arg(long)]
        confirm: String,
    },
}

#[derive(Subcommand)]
pub enum EntryCmd {
    /// Record entries from a JSON file (one entry or an array).
    Add {
        file: PathBuf,
        /// Incident ID; may be omitted when the node has exactly one incident.
        #[arg(long)]
        incident: Option<String>,
        /// Replace this record (an update, E-10; a Form 2 entry replacing a Form 1
        /// record records a death, E-11). The file must hold exactly one entry.
        #[arg(long)]
        supersedes: Option<String>,
        /// With --supersedes: you confirmed the replaced record is of the same person
        /// although the 4 information differ or are not all known (recorded).
        #[arg(long, requires = "supersedes")]
        confirm_same_person: bool,
        #[arg(long)]
        json: bool,
    },
    /// Record entries from a CSV file in the published template (CSV登録, C-01;
    /// `schemas/csv/README.md`), Shift_JIS/CP932 or UTF-8. The whole file is checked
    /// first and every bad row named by line and column; if any row is bad, nothing is
    /// recorded unless --valid-rows-only is given.
    Import {
        file: PathBuf,
        /// Incident ID; may be omitted when the node has exactly one incident.
        #[arg(long)]
        incident: Option<String>,
        /// Only check the file (no login needed); record nothing.
        #[arg(long)]
        dry_run: bool,
        /// Record the valid rows even if other rows are bad (the bad ones are listed).
        #[arg(long)]
        valid_rows_only: bool,
    },
    /// Delete an entry (the record stays in the log as 削除).
    Delete {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    /// Record a departure (退去) with its date.
    Depart {
        id: String,
        #[arg(long)]
        date: String,
        #[arg(long)]
        json: bool,
    },
    /// List the private area's records.
    List {
        #[arg(long)]
        incident: Option<String>,
        /// Include deleted records.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show one record in full.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Write the live records this node collected to FILE in the entry-file format
    /// (mode 600), so that `anpi entry add FILE` registers them again; with
    /// --csv, as a CSV download in the registration template (C-02).
    Export {
        /// The file to write (with --csv it may be omitted:
        /// 安否情報_<事案>_<訓練|実事案>_<日付>.csv).
        file: Option<std::path::PathBuf>,
        /// Incident ID; may be omitted when the node has exactly one incident.
        #[arg(long)]
        incident: Option<String>,
        /// Write CSV (the template of `anpi entry import`) instead of JSON.
        #[arg(long)]
        csv: bool,
        /// The CSV's encoding: cp932 (Excel's default) or utf8 (with BOM).
        #[arg(long, value_enum, default_value = "cp932", requires = "csv")]
        encoding: crate::export_csv::CsvEncoding,
        /// The file to write (same as FILE).
        #[arg(long, conflicts_with = "file")]
        out: Option<std::path::PathBuf>,
    },
    /// (Administrator) purge the private area after a compromised ID: every
    /// record leaves the read model; the event log keeps them and the fact.
    Purge {
        /// Why (e.g. ID漏えいによる再登録).
        #[arg(long)]
        reason: String,
        /// This node's jurisdiction code, typed again to confirm.
        #[arg(long)]
        confirm: String,
    },
}

#[derive(Subcommand)]
pub enum AccountCmd {
    /// Issue an account; prints its one-time password (shown only here).
    Create {
        #[arg(long)]
        id: String,
        /// 担当者の氏名
        #[arg(long)]
        holder: String,
        /// 所属
        #[arg(long)]
        affiliation: String,
        /// 連絡先
        #[arg(long)]
        contact: String,
        /// input | provision | organise | administrator | red_cross | auditor | publisher
        #[arg(long)]
        role: String,
        /// 端末（接続回線・設置場所）
        #[arg(long, default_value = "")]
        terminal: String,
        #[arg(long)]
        json: bool,
    },
    /// The register: holder, affiliation, contact, role, issued and returned dates.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Withdraw (返却) an account: it can no longer log in.
    Withdraw {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Clear an account's wait after wrong passwords (and any old lock) so its holder can
    /// log in at once; works on another administrator too.
    Unlock {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Issue a new one-time password (shown only here).
    Reset {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// (National administrator) disable an account at any node; the order
    /// reaches that node over NATS, also after it was offline.
    Revoke {
        id: String,
        /// The jurisdiction code of the node holding the account.
        #[arg(long)]
        jurisdiction: String,
        /// Why (e.g. 不正利用の疑い).
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    /// (National administrator) revocation orders and whether they were sent.
    Revocations {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum TrustCmd {
    /// This node's report-signing public key, to give to the parent's administrator.
    Key {
        #[arg(long)]
        json: bool,
    },
    /// Register a child jurisdiction's public key (as its `anpi trust key` prints it),
    /// or with 000001 the national key, which signs revocation orders.
    Add {
        child: String,
        public_key: String,
        #[arg(long)]
        json: bool,
    },
    /// The children's registered keys.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Who read which personal data, when, and how many results (newest first).
    Reads {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        limit: Option<i32>,
        #[arg(long)]
        json: bool,
    },
    /// Walk the log's hash chain (from --from, default the first event) and check the
    /// heads the children reported; prints OK with the head, or the first position
    /// where the chain breaks and why (altered, missing, reordered). Exits 1 when
    /// anything is found.
    Verify {
        /// The first position to check (the link before it is trusted).
        #[arg(long, default_value_t = 1)]
        from: i64,
        /// A head kept outside the node, `POSITION:LINK` as an earlier verify printed
        /// it: the log must still hold that link there (catches a log shortened at its
        /// end, or rewritten and re-linked as a whole).
        #[arg(long, default_value = "")]
        expect: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum InquiryCmd {
    /// Register an inquiry from a JSON file (Form 4, or taken by phone/orally).
    Register {
        file: PathBuf,
        /// The incident it concerns (T-04: an inquiry uses only that incident's
        /// records); may be omitted when the node has exactly one incident.
        #[arg(long)]
        incident: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Look for the person asked about in the private area and the shared dataset.
    Identify {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Answer (Form 5, kept as given), or refuse with --refuse REASON.
    Answer {
        id: String,
        /// Refuse to answer (improper purpose) for this reason.
        #[arg(long)]
        refuse: Option<String>,
        /// How the answer is given: written (書面), oral (口頭) or phone (電話).
        #[arg(long)]
        channel: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One inquiry in full (with the answer as given).
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Inquiries, newest first.
    List {
        #[arg(long)]
        limit: Option<i32>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum PublicationCmd {
    /// Record a decision about RECORD: this body's own about a record it
    /// collected, or the collecting body's, confirmed with it (then --contact).
    Decide {
        record: String,
        /// 公表する
        #[arg(long)]
        publish: bool,
        /// 公表しない
        #[arg(long)]
        withhold: bool,
        /// Why (required): who decided, on what grounds.
        #[arg(long)]
        reason: Option<String>,
        /// Another body's record: whom there the decision was confirmed with.
        #[arg(long)]
        contact: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The decisions about RECORD, oldest first (the last one stands).
    Show {
        record: String,
        #[arg(long)]
        json: bool,
    },
    /// The publication list of an incident: name, age, municipality.
    List {
        /// May be omitted when the node has exactly one incident.
        #[arg(long)]
        incident: Option<String>,
        /// Write the list to this CSV file instead (a new file).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// The CSV's encoding: cp932 (Excel's default) or utf8 (with BOM).
        #[arg(long, value_enum, default_value = "cp932")]
        encoding: crate::export_csv::CsvEncoding,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum OrganiseCmd {
    /// The operator confirmed REMOVE is the same person as KEEP: delete REMOVE with
    /// the reason (reported upward at the next report).
    Merge {
        keep: String,
        remove: String,
        #[arg(long)]
        json: bool,
    },
}

/// `anpi search`: every criterion optional, at least one required.
#[derive(clap::Args)]
pub struct SearchArgs {
    /// 氏名
    #[arg(long)]
    name: Option<String>,
    /// フリガナ
    #[arg(long)]
    kana: Option<String>,
    /// 出生の年月日 (era or Gregorian)
    #[arg(long)]
    birth: Option<String>,
    /// 男 / 女
    #[arg(long)]
    sex: Option<String>,
    /// 住所
    #[arg(long)]
    address: Option<String>,
    /// 日本 / 不明 / a country in katakana
    #[arg(long)]
    nationality: Option<String>,
    /// その他個人を識別するための情報 (always a partial match)
    #[arg(long)]
    text: Option<String>,
    /// Partial match (曖昧検索) on name, furigana and address.
    #[arg(long)]
    fuzzy: bool,
    /// Search the national shared dataset (共用領域) instead of the private area.
    #[arg(long)]
    shared: bool,
    /// Red Cross view: only persons of non-Japanese or unknown nationality (P-04).
    #[arg(long)]
    red_cross: bool,
    #[arg(long)]
    incident: Option<String>,
    /// At most this many records (default 100, at most 1000).
    #[arg(long)]
    limit: Option<i32>,
    #[arg(long)]
    json: bool,
}

/// What `anpi intake pause|resume` acts on: exactly one of the two.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct IntakeTarget {
    /// Registrations (entries, deletions, departures) at this node.
    #[arg(long)]
    own: bool,
    /// Reports from subordinate tiers (they wait in JetStream meanwhile).
    #[arg(long)]
    reports: bool,
}

#[derive(Subcommand)]
pub enum IntakeCmd {
    /// Pause intake.
    Pause {
        #[command(flatten)]
        target: IntakeTarget,
        #[arg(long)]
        json: bool,
    },
    /// Resume intake (what waited is taken in order).
    Resume {
        #[command(flatten)]
        target: IntakeTarget,
        #[arg(long)]
        json: bool,
    },
    /// Show whether intake is paused.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ReportsCmd {
    /// Reports this node sent (and whether the parent acknowledged them) and reports
    /// it received from below (highlighting those not yet forwarded).
    History {
        /// At most this many reports of each kind (default 100).
        #[arg(long)]
        limit: Option<i32>,
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match commands::run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
