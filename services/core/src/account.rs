//! Staff accounts: roles and what they may do, the password policy, login states and
//! the account register. R: A-01, A-02, A-03, A-06, P-04, U-01.
//!
//! The guideline (第3 2(2), 表3-2) sorts terminals by use: 整理・報告端末 (every function),
//! 提供（照会・回答）端末 (input, inquiries and answers, documents) and 入力端末 (入力に限定して
//! 利用できる端末; the SSL-VPN terminals at shelters are input terminals too). Here a
//! terminal class is the role of an account, beside the roles the guideline leaves to the
//! system: the jurisdiction's administrator (管理責任者), the Red Cross viewer (第9, 日本赤十字社
//! の端末から閲覧・検索), the auditor and the national publisher.
//!
//! Passwords follow 第3 3(2): 8～32文字; 半角の「英文字」「英記号」「数字」, 2種類以上; IDを含まない;
//! 初期パスワードと同じものを用いない; 全て同じ文字のものとしない; 設定してから180日間経過すると
//! 自動的にパスワードの変更を促される. Failed logins slow further attempts down per account
//! and per client address (`LoginThrottle`) rather than locking the account, and every
//! refusal reads the same (`LOGIN_REFUSED_MESSAGE`). The register follows 表3-5 (ID及びパスワード管理簿):
//! ユーザID, 区分, 担当者の氏名・所属・連絡先. Everything here is decided without I/O: callers
//! pass `now`, and hashing and sessions live in the node.

use std::net::{IpAddr, Ipv6Addr};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::AccountId;
use crate::jurisdiction::Tier;
use crate::validation::{FieldError, check_text};

/// A-02: terminal classes / roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 入力端末: entries only (also field/remote terminals, SSL-VPN).
    Input,
    /// 提供（照会・回答）端末: entries, inquiries and answers.
    Provision,
    /// 整理・報告端末: everything of the jurisdiction's data.
    Organise,
    /// 管理者 (管理責任者): the jurisdiction's accounts, and everything `Organise` may do.
    Administrator,
    /// 日本赤十字社: read-only search of non-Japanese / unknown-nationality records (P-04).
    RedCross,
    /// 監査: read-only event log, replay, access log (U-01).
    Auditor,
    /// 国の公開担当: publishes the shared dataset (national tier only).
    Publisher,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Input,
        Role::Provision,
        Role::Organise,
        Role::Administrator,
        Role::RedCross,
        Role::Auditor,
        Role::Publisher,
    ];

    /// The wire and file name (the same as serde's).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Input => "input",
            Role::Provision => "provision",
            Role::Organise => "organise",
            Role::Administrator => "administrator",
            Role::RedCross => "red_cross",
            Role::Auditor => "auditor",
            Role::Publisher => "publisher",
        }
    }

    /// Accepts `as_str` values (ASCII case and `-` for `_` tolerated), the Japanese labels
    /// and the longer labels of `long_label_ja`.
    pub fn parse(text: &str) -> Option<Role> {
        let text = text.trim();
        let ascii = text.to_ascii_lowercase().replace('-', "_");
        let wide = text.replace('(', "（").replace(')', "）");
        Role::ALL.into_iter().find(|role| {
            ascii == role.as_str() || wide == role.label_ja() || wide == role.long_label_ja()
        })
    }

    /// The short Japanese label (表3-5 区分).
    pub fn label_ja(self) -> &'static str {
        match self {
            Role::Input => "入力",
            Role::Provision => "提供",
            Role::Organise => "整理・報告",
            Role::Administrator => "管理者",
            Role::RedCross => "日本赤十字社",
            Role::Auditor => "監査",
            Role::Publisher => "公開",
        }
    }

    /// The Japanese name of the holder's authority, as used in messages
    /// (「入力端末の権限では…」); it always contains `label_ja`.
    pub fn long_label_ja(self) -> &'static str {
        match self {
            Role::Input => "入力端末",
            Role::Provision => "提供（照会・回答）端末",
            Role::Organise => "整理・報告端末",
            Role::Administrator => "管理者",
            Role::RedCross => "日本赤十字社の端末",
            Role::Auditor => "監査担当",
            Role::Publisher => "公開担当",
        }
    }
}

/// What a request does (one per RPC of the node; some RPCs map to two, see the node).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// GetNodeInfo, health — every role.
    NodeInfo,
    /// Every role.
    ListIncidents,
    /// Organise, administrator.
    CreateIncident,
    /// Input, provision, organise, administrator.
    RecordEntry,
    /// Organise, administrator (D-05: deletion from the organise screen / detail).
    DeleteEntry,
    /// Provision, organise, administrator.
    RecordDeparture,
    /// Provision, organise, administrator (input terminals do not browse data, A-06).
    ListRecords,
    /// Provision, organise, administrator, red cross (filtered by the node).
    GetRecord,
    /// Organise, administrator, auditor.
    ReadEvents,
    /// Organise, administrator.
    Report,
    /// Organise, administrator.
    SetIntake,
    /// Every role except red cross.
    GetIntake,
    /// Organise, administrator, auditor.
    ReportHistory,
    /// Organise, administrator (the organise/report screen, merge).
    Organise,
    /// Provision, organise, administrator, red cross (forced Red Cross view); not auditor.
    Search,
    /// Organise, administrator, auditor.
    Replay,
    /// Publisher and administrator, at the national tier only.
    Publish,
    /// Every role.
    SharedStatus,
    /// Provision, organise, administrator (register, identify, answer, show, list).
    Inquiry,
    /// Administrator (issue, list, withdraw, unlock, reset).
    ManageAccounts,
    /// Auditor, administrator.
    ReadAccessLog,
    /// Auditor, administrator: walk the log's hash chain and the children's reported
    /// heads (L-05, U-01).
    VerifyLog,
    /// Every role.
    ChangeOwnPassword,
    /// Administrator: show this node's report-signing key, register children's (A-05).
    ManageTrust,
    /// Administrator at the national tier only: disable an account at any node (A-04).
    RevokeAnywhere,
    /// Administrator: purge the private area (A-04, after a compromised ID).
    PurgePrivateArea,
    /// Roll-call (K-01..K-09): every role but the Red Cross's may open it; what each
    /// account may do there is its roll-call authority (`rollcall::Authority`, K-04).
    Rollcall,
    /// Administrator: set an incident's retention end and purge it after (issue 21).
    Retention,
}

impl Operation {
    pub const ALL: [Operation; 28] = [
        Operation::NodeInfo,
        Operation::ListIncidents,
        Operation::CreateIncident,
        Operation::RecordEntry,
        Operation::DeleteEntry,
        Operation::RecordDeparture,
        Operation::ListRecords,
        Operation::GetRecord,
        Operation::ReadEvents,
        Operation::Report,
        Operation::SetIntake,
        Operation::GetIntake,
        Operation::ReportHistory,
        Operation::Organise,
        Operation::Search,
        Operation::Replay,
        Operation::Publish,
        Operation::SharedStatus,
        Operation::Inquiry,
        Operation::ManageAccounts,
        Operation::ReadAccessLog,
        Operation::VerifyLog,
        Operation::ChangeOwnPassword,
        Operation::ManageTrust,
        Operation::RevokeAnywhere,
        Operation::PurgePrivateArea,
        Operation::Rollcall,
        Operation::Retention,
    ];

    /// Whether the operation shows personal data of the persons recorded (names,
    /// records, events, inquiries), so that every use of it is written to the read log
    /// (A-06). The node logs it when it authorises the call, whatever the handler does.
    pub fn reads_personal_data(self) -> bool {
        matches!(
            self,
            Operation::ListRecords
                | Operation::GetRecord
                | Operation::ReadEvents
                | Operation::Organise
                | Operation::Search
                | Operation::Inquiry
        )
    }

    /// The wire name (the same as serde's).
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::NodeInfo => "node_info",
            Operation::ListIncidents => "list_incidents",
            Operation::CreateIncident => "create_incident",
            Operation::RecordEntry => "record_entry",
            Operation::DeleteEntry => "delete_entry",
            Operation::RecordDeparture => "record_departure",
            Operation::ListRecords => "list_records",
            Operation::GetRecord => "get_record",
            Operation::ReadEvents => "read_events",
            Operation::Report => "report",
            Operation::SetIntake => "set_intake",
            Operation::GetIntake => "get_intake",
            Operation::ReportHistory => "report_history",
            Operation::Organise => "organise",
            Operation::Search => "search",
            Operation::Replay => "replay",
            Operation::Publish => "publish",
            Operation::SharedStatus => "shared_status",
            Operation::Inquiry => "inquiry",
            Operation::ManageAccounts => "manage_accounts",
            Operation::ReadAccessLog => "read_access_log",
            Operation::VerifyLog => "verify_log",
            Operation::ChangeOwnPassword => "change_own_password",
            Operation::ManageTrust => "manage_trust",
            Operation::RevokeAnywhere => "revoke_anywhere",
            Operation::PurgePrivateArea => "purge_private_area",
            Operation::Rollcall => "rollcall",
            Operation::Retention => "retention",
        }
    }

    /// What the operation does, in Japanese, as a phrase that takes 「できません」
    /// (「安否情報の一覧を表示」).
    pub fn label_ja(self) -> &'static str {
        match self {
            Operation::NodeInfo => "ノードの情報を表示",
            Operation::ListIncidents => "事案の一覧を表示",
            Operation::CreateIncident => "事案を登録",
            Operation::RecordEntry => "安否情報を入力",
            Operation::DeleteEntry => "安否情報を削除",
            Operation::RecordDeparture => "退去を登録",
            Operation::ListRecords => "安否情報の一覧を表示",
            Operation::GetRecord => "安否情報の詳細を表示",
            Operation::ReadEvents => "イベントログを表示",
            Operation::Report => "上位の団体へ報告",
            Operation::SetIntake => "報告の受付を停止・再開",
            Operation::GetIntake => "報告の受付状況を表示",
            Operation::ReportHistory => "報告の履歴を表示",
            Operation::Organise => "安否情報を整理（重複の統合）",
            Operation::Search => "安否情報を検索",
            Operation::Replay => "履歴を再現（リプレイ）",
            Operation::Publish => "共用領域へ公開",
            Operation::SharedStatus => "共用領域の状況を表示",
            Operation::Inquiry => "照会を受付・回答",
            Operation::ManageAccounts => "アカウントを管理",
            Operation::ReadAccessLog => "閲覧記録を表示",
            Operation::VerifyLog => "ログの改ざんを検査",
            Operation::ChangeOwnPassword => "自分のパスワードを変更",
            Operation::ManageTrust => "団体間の署名鍵を管理",
            Operation::RevokeAnywhere => "全国のアカウントを無効化",
            Operation::PurgePrivateArea => "個別領域を消去",
            Operation::Rollcall => "安否確認（職員の安否確認）を操作",
            Operation::Retention => "保存期間の設定・個人情報の消去",
        }
    }
}

/// Whether `role` may do `operation` at a node of `tier` (the table on `Operation`;
/// Publish only at `Tier::National`, every other operation at every tier). A-02.
///
/// Input terminals record entries and nothing of the data beyond (表3-2: 入力に限定して
/// 利用できる端末; A-06). Provision adds inquiries and what answering needs (browsing,
/// search, departures). Organise is 整理・報告機能を含む全ての機能 of the jurisdiction; the
/// administrator may do all of that plus accounts, access log and (national) publishing.
pub fn permits(role: Role, operation: Operation, tier: Tier) -> bool {
    let organiser = matches!(role, Role::Organise | Role::Administrator);
    match operation {
        Operation::NodeInfo
        | Operation::ListIncidents
        | Operation::SharedStatus
        | Operation::ChangeOwnPassword => true,
        Operation::GetIntake => role != Role::RedCross,
        Operation::CreateIncident
        | Operation::DeleteEntry
        | Operation::Report
        | Operation::SetIntake
        | Operation::Organise => organiser,
        Operation::RecordEntry => organiser || matches!(role, Role::Input | Role::Provision),
        Operation::RecordDeparture | Operation::ListRecords | Operation::Inquiry => {
            organiser || role == Role::Provision
        }
        Operation::GetRecord | Operation::Search => {
            organiser || matches!(role, Role::Provision | Role::RedCross)
        }
        Operation::ReadEvents | Operation::ReportHistory | Operation::Replay => {
            organiser || role == Role::Auditor
        }
        Operation::Publish => {
            tier == Tier::National && matches!(role, Role::Publisher | Role::Administrator)
        }
        Operation::ManageAccounts
        | Operation::ManageTrust
        | Operation::PurgePrivateArea
        | Operation::Retention => role == Role::Administrator,
        Operation::RevokeAnywhere => tier == Tier::National && role == Role::Administrator,
        Operation::Rollcall => role != Role::RedCross,
        Operation::ReadAccessLog | Operation::VerifyLog => {
            matches!(role, Role::Auditor | Role::Administrator)
        }
    }
}

/// The Japanese message for a refusal, naming the role and what it may not do, then who
/// may: 「入力端末の権限では安否情報の一覧を表示できません。この操作ができるのは…です。」
pub fn denial_message(role: Role, operation: Operation) -> String {
    let allowed: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|r| permits(*r, operation, Tier::National))
        .map(Role::long_label_ja)
        .collect();
    let place = if matches!(operation, Operation::Publish | Operation::RevokeAnywhere) {
        "国（消防庁）のノードの"
    } else {
        ""
    };
    format!(
        "{}の権限では{}できません。この操作ができるのは{place}{}の権限です。",
        role.long_label_ja(),
        operation.label_ja(),
        allowed.join("、"),
    )
}

/// Whether the Red Cross view must be forced (P-04): true only for `Role::RedCross`.
/// The guideline (第9): 日本国籍以外の国籍を有する者及び国籍不明者の情報について、日本赤十字社の
/// 端末から閲覧・検索ができる.
pub fn red_cross_only(role: Role) -> bool {
    role == Role::RedCross
}

/// Days after which a password must be changed (A-03).
pub const PASSWORD_MAX_AGE_DAYS: i64 = 180;
/// Shortest password (A-03, 第3 3(2)ア).
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password (A-03, 第3 3(2)ア).
pub const PASSWORD_MAX_CHARS: usize = 32;

/// One rule of 第3 3(2), in the order problems are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PasswordRule {
    /// ア: 8～32 characters.
    Length,
    /// イ: half-width letters, symbols and digits only.
    Characters,
    /// イ: 2種類以上.
    Kinds,
    /// ウ: IDを含まないこと.
    ContainsId,
    /// エ: 初期パスワードと同じものを用いないこと.
    SameAsInitial,
    /// オ: 全て同じ文字のものとしないこと.
    OneRepeated,
}

fn broken_rules(password: &str, account: &str, initial: Option<&str>) -> Vec<PasswordRule> {
    let mut broken = Vec::new();
    let count = password.chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&count) {
        broken.push(PasswordRule::Length);
    }
    // Printable ASCII without the space: 0x21..=0x7E.
    if !password.chars().all(|c| c.is_ascii_graphic()) {
        broken.push(PasswordRule::Characters);
    }
    // Kinds are counted over the half-width characters only: a full-width letter is not
    // an 英文字 of rule イ.
    let kinds = [
        password.chars().any(|c| c.is_ascii_alphabetic()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| c.is_ascii_punctuation()),
    ];
    if kinds.into_iter().filter(|kind| *kind).count() < 2 {
        broken.push(PasswordRule::Kinds);
    }
    let account = account.trim();
    if !account.is_empty() && password.to_lowercase().contains(&account.to_lowercase()) {
        broken.push(PasswordRule::ContainsId);
    }
    if initial.is_some_and(|initial| password == initial) {
        broken.push(PasswordRule::SameAsInitial);
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        broken.push(PasswordRule::OneRepeated);
    }
    broken
}

fn rule_message(rule: PasswordRule, password: &str) -> String {
    match rule {
        PasswordRule::Length => format!(
            "パスワードは{PASSWORD_MIN_CHARS}〜{PASSWORD_MAX_CHARS}文字にしてください（現在{}文字）",
            password.chars().count()
        ),
        PasswordRule::Characters => "パスワードに使用できるのは半角の英字・数字・記号だけです（全角文字や空白は使用できません）".into(),
        PasswordRule::Kinds => "英字・数字・記号のうち2種類以上を組み合わせてください".into(),
        PasswordRule::ContainsId => "パスワードにユーザーIDを含めないでください（大文字・小文字の違いも同じとみなします）".into(),
        PasswordRule::SameAsInitial => "初期パスワードと同じパスワードは使用できません".into(),
        PasswordRule::OneRepeated => "全て同じ文字のパスワードは使用できません".into(),
    }
}

/// A-03 password rules (第3 3(2)). Every broken rule is reported (Japanese), in this order:
/// - 8–32 characters (counted as characters, not bytes);
/// - only half-width letters, digits and symbols (printable ASCII, no space);
/// - at least two of: letters, digits, symbols (counted over the half-width characters);
/// - must not contain the account ID (case-insensitive; an empty ID is not checked);
/// - must not be the initial password (`initial`, when given; compared exactly);
/// - must not be one character repeated.
///
/// The messages never repeat the password.
pub fn check_password(
    password: &str,
    account: &str,
    initial: Option<&str>,
) -> Result<(), Vec<String>> {
    let broken = broken_rules(password, account, initial);
    if broken.is_empty() {
        Ok(())
    } else {
        Err(broken
            .into_iter()
            .map(|rule| rule_message(rule, password))
            .collect())
    }
}

/// What a successful login may do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginState {
    /// Normal use.
    Active,
    /// Only the password change is allowed: the initial (one-time) password is still in use.
    MustChangeInitial,
    /// Only the password change is allowed: the password is older than 180 days.
    MustChangeExpired,
}

/// `initial`: the account still has the password the administrator issued;
/// `changed_at`: when the password was last set.
///
/// The initial password comes first. Otherwise the password expires once
/// `PASSWORD_MAX_AGE_DAYS` × 24 hours have passed since `changed_at` (設定してから180日間
/// 経過すると…変更を促される): at exactly 180 days it must be changed. A `changed_at` in the
/// future (clock skew) counts as fresh.
pub fn login_state(initial: bool, changed_at: DateTime<Utc>, now: DateTime<Utc>) -> LoginState {
    if initial {
        LoginState::MustChangeInitial
    } else if now - changed_at >= Duration::days(PASSWORD_MAX_AGE_DAYS) {
        LoginState::MustChangeExpired
    } else {
        LoginState::Active
    }
}

/// The Japanese message shown when only the password change is allowed (`None` for
/// `Active`).
pub fn must_change_message(state: LoginState) -> Option<String> {
    match state {
        LoginState::Active => None,
        LoginState::MustChangeInitial => Some(
            "初期パスワードのままです。パスワードを変更するまで、ほかの操作はできません。".into(),
        ),
        LoginState::MustChangeExpired => Some(format!(
            "パスワードを設定してから{PASSWORD_MAX_AGE_DAYS}日が経過しました。パスワードを変更するまで、ほかの操作はできません。"
        )),
    }
}

// Login throttling (A-03; docs/adr/0012-login-throttling.md). Failed logins slow further
// attempts down, per account and per client address, instead of locking the account:
// a lock after N failures let anyone lock any account, administrators included. The
// node keeps the counters; everything below is decided here, with `now` passed in.

/// Failures of one account that cost no wait (typing mistakes). R: A-03
pub const ACCOUNT_FREE_FAILURES: u32 = 3;
/// Failures from one client address that cost no wait. An office or a shelter often
/// shares one address, so it gets more than one account does. R: A-03
pub const ADDRESS_FREE_FAILURES: u32 = 10;
/// An account's failures are forgotten a day after the last one.
pub const ACCOUNT_FORGET_AFTER_HOURS: i64 = 24;
/// An address's failures are forgotten an hour after the last one.
pub const ADDRESS_FORGET_AFTER_MINUTES: i64 = 60;
/// The default wait after the first failure beyond the free ones (then doubling).
pub const DEFAULT_FIRST_DELAY_MS: i64 = 1_000;
/// The default longest wait.
pub const DEFAULT_MAX_DELAY_SECONDS: i64 = 900;
/// The longest wait a node may configure: no longer than an address is remembered.
pub const MAX_DELAY_LIMIT_SECONDS: i64 = ADDRESS_FORGET_AFTER_MINUTES * 60;
/// Client addresses remembered per account: a login from one of them is not slowed by
/// the account's own failures (only by its address's), so failures caused from
/// elsewhere cannot keep the holder out of their usual terminal.
pub const KNOWN_ADDRESSES: usize = 4;

/// The one answer to every refused login, whether the ID is unknown, the password wrong,
/// the account or the address throttled, or the account locked: neither IDs nor their
/// state can be probed (same text, same gRPC code). R: A-03
pub const LOGIN_REFUSED_MESSAGE: &str = "ユーザーIDまたはパスワードが正しくありません。誤りが続いたときは、しばらく待ってからやり直してください（急ぐときは管理者に解除を依頼してください）";

/// Failed logins in a row of one account or one client address, and when the last was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub last: Option<DateTime<Utc>>,
}

impl Failures {
    /// After a correct password from an address: the attempt, counted before the
    /// password was checked, is taken back (the address's other failures stay).
    pub fn take_back_one(self) -> Failures {
        Failures {
            count: self.count.saturating_sub(1),
            last: self.last,
        }
    }
}

/// How failures slow the next attempt down, for one kind of counter. R: A-03
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Failures in a row that cost no wait.
    pub free_failures: u32,
    /// The wait after the first failure beyond the free ones.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// Failures are forgotten this long after the last one.
    pub forget_after: Duration,
}

impl Backoff {
    /// The wait after `failures` in a row: none up to `free_failures`, then
    /// `first_delay`, doubling with each further failure, at most `max_delay`.
    pub fn delay(&self, failures: u32) -> Duration {
        if failures <= self.free_failures {
            return Duration::zero();
        }
        let doublings = (failures - self.free_failures - 1).min(40);
        let millis = self
            .first_delay
            .num_milliseconds()
            .saturating_mul(1_i64 << doublings);
        Duration::milliseconds(millis).min(self.max_delay)
    }

    /// The failures that still count at `now`: none once `forget_after` has passed since
    /// the last one (or when its time is unknown).
    pub fn current(&self, failures: Failures, now: DateTime<Utc>) -> u32 {
        match failures.last {
            Some(last) if now - last < self.forget_after => failures.count,
            _ => 0,
        }
    }

    /// The counter after one more failure at `now`.
    pub fn after_failure(&self, failures: Failures, now: DateTime<Utc>) -> Failures {
        Failures {
            count: self.current(failures, now).saturating_add(1),
            last: Some(now),
        }
    }

    /// Until when the next attempt must wait (`None`: it may be made now). The wait runs
    /// from the last failure.
    pub fn throttled_until(&self, failures: Failures, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let last = failures.last?;
        let until = last + self.delay(self.current(failures, now));
        (until > now).then_some(until)
    }
}

/// The back-off of accounts and of client addresses. R: A-03
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    pub account: Backoff,
    pub address: Backoff,
}

impl LoginThrottle {
    /// Both counters with the given first and longest wait (a node's configuration; tests
    /// use short ones). The first wait must be positive and not above the longest, which
    /// must not exceed `MAX_DELAY_LIMIT_SECONDS`.
    pub fn new(first_delay: Duration, max_delay: Duration) -> Result<LoginThrottle, String> {
        if first_delay <= Duration::zero() {
            return Err("the first login back-off must be positive".into());
        }
        if max_delay < first_delay {
            return Err("the longest login back-off must not be shorter than the first".into());
        }
        if max_delay > Duration::seconds(MAX_DELAY_LIMIT_SECONDS) {
            return Err(format!(
                "the longest login back-off must not exceed {MAX_DELAY_LIMIT_SECONDS} seconds"
            ));
        }
        Ok(LoginThrottle {
            account: Backoff {
                free_failures: ACCOUNT_FREE_FAILURES,
                first_delay,
                max_delay,
                forget_after: Duration::hours(ACCOUNT_FORGET_AFTER_HOURS),
            },
            address: Backoff {
                free_failures: ADDRESS_FREE_FAILURES,
                first_delay,
                max_delay,
                forget_after: Duration::minutes(ADDRESS_FORGET_AFTER_MINUTES),
            },
        })
    }
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(
            Duration::milliseconds(DEFAULT_FIRST_DELAY_MS),
            Duration::seconds(DEFAULT_MAX_DELAY_SECONDS),
        )
        .expect("the default back-off is valid")
    }
}

/// Whether a login attempt may have its password checked. Every refusal is answered the
/// same way (`LOGIN_REFUSED_MESSAGE`); the variants are for the node's own log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// Too many failures from the client's address lately, whatever the IDs.
    AddressThrottled {
        until: DateTime<Utc>,
    },
    /// Too many failures of the account lately, from an address it is not known at.
    AccountThrottled {
        until: DateTime<Utc>,
    },
    /// Locked (only accounts locked before throttling replaced the lockout) until an
    /// administrator unlocks it or the node's operator recovers it.
    Locked,
}

impl Gate {
    pub fn is_open(self) -> bool {
        self == Gate::Open
    }
}

/// The first check of every attempt, before the account is looked up (so it tells
/// nothing about the ID and costs no hashing). R: A-03
pub fn address_gate(throttle: &LoginThrottle, address: Failures, now: DateTime<Utc>) -> Gate {
    match throttle.address.throttled_until(address, now) {
        Some(until) => Gate::AddressThrottled { until },
        None => Gate::Open,
    }
}

/// The second check, for an existing account: locked, or throttled by its own failures
/// unless `known_address` (the client's address is one the account logged in from
/// before, `remember_address`). R: A-03
///
/// Counting (the node's part): an attempt that passes the address gate counts as one
/// failure of its address, and one that passes this gate as one of its account, before
/// the password is checked, so attempts made at once cannot slip through together. A
/// correct password then resets the account's failures and takes the address's one back
/// (`Failures::take_back_one`). An attempt refused by a gate does not count for that
/// gate's own counter: hammering does not lengthen the wait.
pub fn account_gate(
    throttle: &LoginThrottle,
    locked: bool,
    account: Failures,
    known_address: bool,
    now: DateTime<Utc>,
) -> Gate {
    if locked {
        return Gate::Locked;
    }
    if known_address {
        return Gate::Open;
    }
    match throttle.account.throttled_until(account, now) {
        Some(until) => Gate::AccountThrottled { until },
        None => Gate::Open,
    }
}

/// The key a client address is counted and remembered under: an IPv4 address as is
/// (also when written as IPv4-mapped IPv6); an IPv6 address by its /64 network, since
/// one subscriber usually holds a whole /64.
pub fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let network = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{network}/64")
        }
    }
}

/// The known addresses after a successful login from `key`: it comes first, earlier
/// ones follow without repeats, at most `KNOWN_ADDRESSES`.
pub fn remember_address(known: &[String], key: &str) -> Vec<String> {
    std::iter::once(key.to_string())
        .chain(known.iter().filter(|k| k.as_str() != key).cloned())
        .take(KNOWN_ADDRESSES)
        .collect()
}

/// Whether an administrator's unlock has anything to clear: a lock, or account failures
/// not yet forgotten (`ACCOUNT_FORGET_AFTER_HOURS`). R: A-03
pub fn needs_unlock(locked: bool, account: Failures, now: DateTime<Utc>) -> bool {
    locked
        || (account.count > 0
            && account
                .last
                .is_some_and(|last| now - last < Duration::hours(ACCOUNT_FORGET_AFTER_HOURS)))
}

/// A-01 register entry as typed by the administrator (表3-5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountDraft {
    /// ユーザID: what `AccountId::parse` accepts.
    #[serde(default)]
    pub account_id: String,
    /// 氏名 of the holder (required).
    #[serde(default)]
    pub holder: String,
    /// 所属 (required).
    #[serde(default)]
    pub affiliation: String,
    /// 連絡先 (required).
    #[serde(default)]
    pub contact: String,
    /// 区分: `Role::parse` (required).
    #[serde(default)]
    pub role: String,
    /// 端末の区分 / 設置場所 (optional free text, e.g. 「LGWAN端末（国民保護室）」).
    #[serde(default)]
    pub terminal: String,
}

/// A validated register entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSpec {
    pub account_id: AccountId,
    pub holder: String,
    pub affiliation: String,
    pub contact: String,
    pub role: Role,
    pub terminal: String,
}

/// Longest holder, affiliation, contact and terminal text, in characters.
pub const REGISTER_TEXT_MAX_CHARS: usize = 100;

/// The register's label of a field (表3-5 columns).
fn register_label(field: &str) -> &'static str {
    match field {
        "account_id" => "ユーザーID",
        "holder" => "担当者の氏名",
        "affiliation" => "所属",
        "contact" => "連絡先",
        "role" => "区分",
        "terminal" => "端末（接続回線・設置場所）",
        _ => "項目",
    }
}

fn register_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        label: register_label(field).to_string(),
        message: message.into(),
    }
}

/// A trimmed free-text field of the register: required when `required`, no control
/// characters, at most `REGISTER_TEXT_MAX_CHARS`.
fn register_text(errors: &mut Vec<FieldError>, field: &str, value: &str, required: bool) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        errors.push(register_error(
            field,
            format!("{}を入力してください", register_label(field)),
        ));
    }
    let mut found = Vec::new();
    check_text(&mut found, field, value, REGISTER_TEXT_MAX_CHARS);
    // `check_text` labels fields as an entry's; relabel them as the register's.
    errors.extend(
        found
            .into_iter()
            .map(|e| register_error(&e.field, e.message)),
    );
    value.to_string()
}

/// Every problem named by field (`account_id`, `holder`, `affiliation`, `contact`, `role`,
/// and `terminal` when too long). `tier` refuses Publisher below the national tier;
/// RedCross is allowed anywhere. Text is trimmed.
///
/// The account ID must pass `AccountId::parse` (3–32 half-width letters, digits, `.`, `_`,
/// `-`, starting with a letter or digit), since the spec holds an `AccountId`.
pub fn validate_account(draft: &AccountDraft, tier: Tier) -> Result<AccountSpec, Vec<FieldError>> {
    let mut errors = Vec::new();

    let account_id = if draft.account_id.trim().is_empty() {
        errors.push(register_error("account_id", "ユーザーIDを入力してください"));
        None
    } else {
        match AccountId::parse(&draft.account_id) {
            Ok(id) => Some(id),
            Err(message) => {
                errors.push(register_error("account_id", message));
                None
            }
        }
    };

    let holder = register_text(&mut errors, "holder", &draft.holder, true);
    let affiliation = register_text(&mut errors, "affiliation", &draft.affiliation, true);
    let contact = register_text(&mut errors, "contact", &draft.contact, true);

    let role = if draft.role.trim().is_empty() {
        errors.push(register_error("role", "区分を選んでください"));
        None
    } else {
        match Role::parse(&draft.role) {
            None => {
                let known: Vec<String> = Role::ALL
                    .into_iter()
                    .map(|r| format!("{}（{}）", r.label_ja(), r.as_str()))
                    .collect();
                errors.push(register_error(
                    "role",
                    format!(
                        "区分「{}」はありません。次のいずれかを指定してください: {}",
                        draft.role.trim(),
                        known.join("、")
                    ),
                ));
                None
            }
            Some(Role::Publisher) if tier != Tier::National => {
                errors.push(register_error(
                    "role",
                    format!(
                        "公開担当は国（消防庁）のノードでのみ登録できます（このノードは{}です）",
                        tier.label_ja()
                    ),
                ));
                None
            }
            Some(role) => Some(role),
        }
    };

    let terminal = register_text(&mut errors, "terminal", &draft.terminal, false);

    match (account_id, role) {
        (Some(account_id), Some(role)) if errors.is_empty() => Ok(AccountSpec {
            account_id,
            holder,
            affiliation,
            contact,
            role,
            terminal,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PasswordRule::{Characters, ContainsId, Kinds, Length, OneRepeated, SameAsInitial};
    use chrono::TimeZone;

    const BELOW_NATIONAL: [Tier; 2] = [Tier::Municipality, Tier::Prefecture];

    /// The expected permission table, written out by hand (not derived from `permits`).
    /// Each string has one column per role in `Role::ALL` order — I(nput), P(rovision),
    /// O(rganise), A(dministrator), R(ed cross), U (aUditor), B (puBlisher) — holding the
    /// role's letter when permitted and `.` when refused. The first string is for
    /// municipalities and prefectures, the second for the national tier.
    const TABLE: [(Operation, &str, &str); 28] = [
        (Operation::NodeInfo, "IPOARUB", "IPOARUB"),
        (Operation::ListIncidents, "IPOARUB", "IPOARUB"),
        (Operation::CreateIncident, "..OA...", "..OA..."),
        (Operation::RecordEntry, "IPOA...", "IPOA..."),
        (Operation::DeleteEntry, "..OA...", "..OA..."),
        (Operation::RecordDeparture, ".POA...", ".POA..."),
        (Operation::ListRecords, ".POA...", ".POA..."),
        (Operation::GetRecord, ".POAR..", ".POAR.."),
        (Operation::ReadEvents, "..OA.U.", "..OA.U."),
        (Operation::Report, "..OA...", "..OA..."),
        (Operation::SetIntake, "..OA...", "..OA..."),
        (Operation::GetIntake, "IPOA.UB", "IPOA.UB"),
        (Operation::ReportHistory, "..OA.U.", "..OA.U."),
        (Operation::Organise, "..OA...", "..OA..."),
        (Operation::Search, ".POAR..", ".POAR.."),
        (Operation::Replay, "..OA.U.", "..OA.U."),
        (Operation::Publish, ".......", "...A..B"),
        (Operation::SharedStatus, "IPOARUB", "IPOARUB"),
        (Operation::Inquiry, ".POA...", ".POA..."),
        (Operation::ManageAccounts, "...A...", "...A..."),
        (Operation::ReadAccessLog, "...A.U.", "...A.U."),
        (Operation::VerifyLog, "...A.U.", "...A.U."),
        (Operation::ChangeOwnPassword, "IPOARUB", "IPOARUB"),
        (Operation::ManageTrust, "...A...", "...A..."),
        (Operation::RevokeAnywhere, ".......", "...A..."),
        (Operation::PurgePrivateArea, "...A...", "...A..."),
        (Operation::Rollcall, "IPOA.UB", "IPOA.UB"),
        (Operation::Retention, "...A...", "...A..."),
    ];

    #[test]
    fn the_permission_table_holds_for_every_role_operation_and_tier() {
        for operation in Operation::ALL {
            let rows: Vec<_> = TABLE.iter().filter(|row| row.0 == operation).collect();
            assert_eq!(rows.len(), 1, "{operation:?} must have exactly one row");
        }
        let mut checked = 0;
        for (operation, below, national) in TABLE {
            for (tier, expected) in [
                (Tier::Municipality, below),
                (Tier::Prefecture, below),
                (Tier::National, national),
            ] {
                assert_eq!(expected.chars().count(), Role::ALL.len());
                for (role, mark) in Role::ALL.into_iter().zip(expected.chars()) {
                    assert_eq!(
                        permits(role, operation, tier),
                        mark != '.',
                        "{role:?} × {operation:?} at {tier:?} (expected {expected})"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, Operation::ALL.len() * 7 * 3);
    }

    #[test]
    fn publish_is_refused_below_the_national_tier() {
        for tier in BELOW_NATIONAL {
            for role in Role::ALL {
                assert!(
                    !permits(role, Operation::Publish, tier),
                    "{role:?} {tier:?}"
                );
            }
        }
        assert!(permits(Role::Publisher, Operation::Publish, Tier::National));
        assert!(permits(
            Role::Administrator,
            Operation::Publish,
            Tier::National
        ));
        assert!(!permits(Role::Organise, Operation::Publish, Tier::National));
    }

    #[test]
    fn every_role_may_change_its_password_and_read_node_info() {
        for tier in [Tier::Municipality, Tier::Prefecture, Tier::National] {
            for role in Role::ALL {
                assert!(permits(role, Operation::ChangeOwnPassword, tier));
                assert!(permits(role, Operation::NodeInfo, tier));
            }
        }
    }

    #[test]
    fn the_red_cross_view_is_forced_only_for_the_red_cross() {
        for role in Role::ALL {
            assert_eq!(red_cross_only(role), role == Role::RedCross, "{role:?}");
        }
    }

    #[test]
    fn denial_messages_name_the_role_and_the_operation() {
        for role in Role::ALL {
            assert!(role.long_label_ja().contains(role.label_ja()), "{role:?}");
            for operation in Operation::ALL {
                let message = denial_message(role, operation);
                assert!(
                    message.starts_with(&format!("{}の権限では", role.long_label_ja())),
                    "{message}"
                );
                assert!(message.contains(role.label_ja()), "{message}");
                assert!(
                    message.contains(&format!("{}できません。", operation.label_ja())),
                    "{message}"
                );
            }
        }
        assert_eq!(
            denial_message(Role::Input, Operation::ListRecords),
            "入力端末の権限では安否情報の一覧を表示できません。\
             この操作ができるのは提供（照会・回答）端末、整理・報告端末、管理者の権限です。"
        );
        assert_eq!(
            denial_message(Role::Organise, Operation::ManageAccounts),
            "整理・報告端末の権限ではアカウントを管理できません。\
             この操作ができるのは管理者の権限です。"
        );
        let publish = denial_message(Role::Administrator, Operation::Publish);
        assert!(publish.contains("国（消防庁）のノードの管理者、公開担当の権限"));
    }

    #[test]
    fn operation_labels_are_distinct() {
        for (i, a) in Operation::ALL.into_iter().enumerate() {
            for b in &Operation::ALL[i + 1..] {
                assert_ne!(a, *b);
                assert_ne!(a.label_ja(), b.label_ja());
            }
        }
    }

    #[test]
    fn names_match_serde_and_parse_back() {
        for role in Role::ALL {
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(Role::parse(role.label_ja()), Some(role));
            assert_eq!(Role::parse(role.long_label_ja()), Some(role));
        }
        assert_eq!(Role::parse(" Red-Cross "), Some(Role::RedCross));
        assert_eq!(Role::parse("提供(照会・回答)端末"), Some(Role::Provision));
        assert_eq!(Role::parse("整理"), None);
        assert_eq!(Role::parse(""), None);
        for operation in Operation::ALL {
            let json = serde_json::to_string(&operation).unwrap();
            assert_eq!(json, format!("\"{}\"", operation.as_str()));
        }
        let state = serde_json::to_string(&LoginState::MustChangeExpired).unwrap();
        assert_eq!(state, "\"must_change_expired\"");
    }

    #[test]
    fn password_rules_broken() {
        let id = "tanaka";
        let initial = Some("anpi1234");
        // (password, account, initial, the rules broken, in reporting order)
        let cases: &[(&str, &str, Option<&str>, &[PasswordRule])] = &[
            ("abc1234", id, initial, &[Length]),
            ("abcd1234", id, initial, &[]),
            ("abcd1234abcd1234abcd1234abcd1234", id, initial, &[]),
            ("abcd1234abcd1234abcd1234abcd1234x", id, initial, &[Length]),
            ("ｐａｓｓｗｏｒｄ１２", id, initial, &[Characters, Kinds]),
            ("passワード1234", id, initial, &[Characters]),
            ("pass word1", id, initial, &[Characters]),
            ("password", id, initial, &[Kinds]),
            ("12345678", id, initial, &[Kinds]),
            ("!#$%&()=", id, initial, &[Kinds]),
            ("passw0rd", id, initial, &[]),
            ("pass-word", id, initial, &[]),
            ("1234-5678", id, initial, &[]),
            ("x-TANAKA-2026", id, initial, &[ContainsId]),
            ("Tanaka99", id, initial, &[ContainsId]),
            ("anpi1234", id, initial, &[SameAsInitial]),
            ("ANPI1234", id, initial, &[]),
            ("anpi1234", id, None, &[]),
            ("aaaaaaaa", id, initial, &[Kinds, OneRepeated]),
            ("11111111", id, initial, &[Kinds, OneRepeated]),
            ("", id, initial, &[Length, Kinds]),
            (
                "ａａａ",
                id,
                initial,
                &[Length, Characters, Kinds, OneRepeated],
            ),
            (
                "tanaka",
                id,
                Some("tanaka"),
                &[Length, Kinds, ContainsId, SameAsInitial],
            ),
            ("tanaka-1", "", initial, &[]),
        ];
        for (password, account, initial, expected) in cases {
            let broken = broken_rules(password, account, *initial);
            assert_eq!(&broken, expected, "{password:?}");
            match check_password(password, account, *initial) {
                Ok(()) => assert!(expected.is_empty(), "{password:?}"),
                Err(messages) => {
                    let wanted: Vec<String> = expected
                        .iter()
                        .map(|rule| rule_message(*rule, password))
                        .collect();
                    assert_eq!(messages, wanted, "{password:?}");
                    for message in &messages {
                        assert!(password.is_empty() || !message.contains(*password));
                    }
                }
            }
        }
    }

    #[test]
    fn password_messages_are_japanese_and_specific() {
        let messages = check_password("abc", "clerk", None).unwrap_err();
        assert_eq!(
            messages[0],
            "パスワードは8〜32文字にしてください（現在3文字）"
        );
        assert!(messages[1].contains("2種類以上"));
        let messages = check_password("clerk-01", "CLERK", None).unwrap_err();
        assert_eq!(messages.len(), 1);
        assert!(messages[0].contains("ユーザーID"));
        let messages = check_password("anpi5678", "clerk", Some("anpi5678")).unwrap_err();
        assert_eq!(messages, ["初期パスワードと同じパスワードは使用できません"]);
        let messages = check_password("zzzzzzzzz", "clerk", None).unwrap_err();
        assert!(messages.last().unwrap().contains("全て同じ文字"));
        let messages = check_password("ｐａｓｓ１２３４", "clerk", None).unwrap_err();
        assert!(messages[0].contains("半角"));
    }

    #[test]
    fn login_states_follow_the_180_day_rule_and_the_initial_password() {
        let set = Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap();
        let after = |days: i64| set + Duration::days(days);
        assert_eq!(login_state(false, set, after(0)), LoginState::Active);
        assert_eq!(login_state(false, set, after(179)), LoginState::Active);
        assert_eq!(
            login_state(false, set, after(180) - Duration::seconds(1)),
            LoginState::Active
        );
        assert_eq!(
            login_state(false, set, after(180)),
            LoginState::MustChangeExpired
        );
        assert_eq!(
            login_state(false, set, after(181)),
            LoginState::MustChangeExpired
        );
        assert_eq!(
            login_state(true, set, after(1)),
            LoginState::MustChangeInitial
        );
        assert_eq!(
            login_state(true, set, after(181)),
            LoginState::MustChangeInitial,
            "the initial password comes first"
        );
        assert_eq!(
            login_state(false, after(3), set),
            LoginState::Active,
            "set in the future (clock skew)"
        );
        assert_eq!(must_change_message(LoginState::Active), None);
        assert!(
            must_change_message(LoginState::MustChangeInitial)
                .unwrap()
                .contains("初期パスワード")
        );
        assert!(
            must_change_message(LoginState::MustChangeExpired)
                .unwrap()
                .contains("180日")
        );
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap() + Duration::seconds(seconds)
    }

    fn failed(count: u32, last: DateTime<Utc>) -> Failures {
        Failures {
            count,
            last: Some(last),
        }
    }

    #[test]
    fn the_wait_is_free_then_doubles_up_to_the_longest() {
        let account = LoginThrottle::default().account;
        let waits: Vec<i64> = (0..=16).map(|n| account.delay(n).num_seconds()).collect();
        assert_eq!(
            waits,
            [
                0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900
            ]
        );
        assert_eq!(account.delay(u32::MAX), Duration::seconds(900));
        let address = LoginThrottle::default().address;
        assert_eq!(address.delay(ADDRESS_FREE_FAILURES), Duration::zero());
        assert_eq!(
            address.delay(ADDRESS_FREE_FAILURES + 1),
            Duration::seconds(1)
        );
        let short = LoginThrottle::new(Duration::milliseconds(200), Duration::seconds(1)).unwrap();
        assert_eq!(short.account.delay(4), Duration::milliseconds(200));
        assert_eq!(short.account.delay(6), Duration::milliseconds(800));
        assert_eq!(short.account.delay(7), Duration::seconds(1));
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_period() {
        let throttle = LoginThrottle::default();
        let (account, address) = (throttle.account, throttle.address);
        let day = ACCOUNT_FORGET_AFTER_HOURS * 3600;
        assert_eq!(account.current(failed(7, at(0)), at(day - 1)), 7);
        assert_eq!(account.current(failed(7, at(0)), at(day)), 0);
        let hour = ADDRESS_FORGET_AFTER_MINUTES * 60;
        assert_eq!(address.current(failed(12, at(0)), at(hour - 1)), 12);
        assert_eq!(address.current(failed(12, at(0)), at(hour)), 0);
        // A count without a time (rows from before throttling) counts for nothing.
        let legacy = Failures {
            count: 4,
            last: None,
        };
        assert_eq!(account.current(legacy, at(0)), 0);
        assert_eq!(account.throttled_until(legacy, at(0)), None);
    }

    #[test]
    fn a_failure_adds_one_or_starts_again_after_forgetting() {
        let account = LoginThrottle::default().account;
        assert_eq!(
            account.after_failure(Failures::default(), at(5)),
            failed(1, at(5))
        );
        assert_eq!(
            account.after_failure(failed(3, at(0)), at(5)),
            failed(4, at(5))
        );
        let day = ACCOUNT_FORGET_AFTER_HOURS * 3600;
        assert_eq!(
            account.after_failure(failed(9, at(0)), at(day)),
            failed(1, at(day))
        );
        assert_eq!(
            account.after_failure(failed(u32::MAX, at(0)), at(1)).count,
            u32::MAX
        );
    }

    #[test]
    fn the_wait_runs_from_the_last_failure() {
        let account = LoginThrottle::default().account;
        assert_eq!(account.throttled_until(Failures::default(), at(0)), None);
        assert_eq!(account.throttled_until(failed(3, at(0)), at(0)), None);
        // The 5th failure in a row: 2 seconds.
        assert_eq!(
            account.throttled_until(failed(5, at(0)), at(0)),
            Some(at(2))
        );
        assert_eq!(
            account.throttled_until(failed(5, at(0)), at(1)),
            Some(at(2))
        );
        assert_eq!(account.throttled_until(failed(5, at(0)), at(2)), None);
        assert_eq!(
            account.throttled_until(failed(50, at(0)), at(899)),
            Some(at(900))
        );
        assert_eq!(account.throttled_until(failed(50, at(0)), at(900)), None);
    }

    #[test]
    fn the_configured_waits_are_checked() {
        let ms = Duration::milliseconds;
        assert!(LoginThrottle::new(ms(1), ms(1)).is_ok());
        assert!(LoginThrottle::new(ms(0), ms(10)).is_err());
        assert!(LoginThrottle::new(ms(500), ms(100)).is_err());
        assert!(LoginThrottle::new(ms(500), Duration::seconds(MAX_DELAY_LIMIT_SECONDS)).is_ok());
        assert!(
            LoginThrottle::new(ms(500), Duration::seconds(MAX_DELAY_LIMIT_SECONDS + 1)).is_err()
        );
        let default = LoginThrottle::default();
        assert_eq!(default.account.free_failures, ACCOUNT_FREE_FAILURES);
        assert_eq!(default.address.free_failures, ADDRESS_FREE_FAILURES);
        assert!(default.address.forget_after >= default.address.max_delay);
        assert!(default.account.forget_after >= default.account.max_delay);
    }

    #[test]
    fn the_address_gate_depends_only_on_the_address() {
        let throttle = LoginThrottle::default();
        let free = failed(ADDRESS_FREE_FAILURES, at(0));
        assert_eq!(address_gate(&throttle, free, at(0)), Gate::Open);
        let over = failed(ADDRESS_FREE_FAILURES + 2, at(0));
        assert_eq!(
            address_gate(&throttle, over, at(1)),
            Gate::AddressThrottled { until: at(2) }
        );
        assert!(address_gate(&throttle, over, at(2)).is_open());
    }

    #[test]
    fn the_account_gate_locks_throttles_and_lets_known_addresses_through() {
        let throttle = LoginThrottle::default();
        let hammered = failed(40, at(0));
        assert_eq!(
            account_gate(&throttle, false, hammered, false, at(10)),
            Gate::AccountThrottled { until: at(900) }
        );
        // The holder's usual address is not slowed by failures caused elsewhere.
        assert_eq!(
            account_gate(&throttle, false, hammered, true, at(10)),
            Gate::Open
        );
        // A lock (from before throttling) holds everywhere until it is lifted.
        for known in [false, true] {
            assert_eq!(
                account_gate(&throttle, true, Failures::default(), known, at(0)),
                Gate::Locked
            );
        }
        assert_eq!(
            account_gate(
                &throttle,
                false,
                failed(ACCOUNT_FREE_FAILURES, at(0)),
                false,
                at(0)
            ),
            Gate::Open
        );
        assert!(account_gate(&throttle, false, hammered, false, at(900)).is_open());
    }

    #[test]
    fn a_correct_password_takes_the_addresss_attempt_back() {
        assert_eq!(failed(4, at(3)).take_back_one(), failed(3, at(3)));
        assert_eq!(Failures::default().take_back_one(), Failures::default());
    }

    #[test]
    fn an_attacker_elsewhere_gets_few_guesses_and_never_keeps_the_holder_out() {
        // The attacker tries whenever the account lets them, for a day, from addresses
        // the account is not known at; the holder logs in from their usual terminal.
        let throttle = LoginThrottle::default();
        let mut account = Failures::default();
        let mut guesses = 0;
        let mut now = at(0);
        let end = at(24 * 3600);
        while now < end {
            match account_gate(&throttle, false, account, false, now) {
                Gate::Open => {
                    account = throttle.account.after_failure(account, now);
                    guesses += 1;
                }
                Gate::AccountThrottled { until } => now = until,
                other => panic!("{other:?}"),
            }
            assert!(account_gate(&throttle, false, account, true, now).is_open());
        }
        assert!((90..=120).contains(&guesses), "{guesses} guesses a day");
    }

    #[test]
    fn addresses_are_counted_per_ipv4_host_and_per_ipv6_64() {
        let key = |text: &str| address_key(text.parse().unwrap());
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_ne!(key("127.0.0.1"), key("127.0.0.2"));
    }

    #[test]
    fn known_addresses_keep_the_latest_few_without_repeats() {
        let known = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(remember_address(&[], "10.0.0.1"), known(&["10.0.0.1"]));
        assert_eq!(
            remember_address(&known(&["10.0.0.1", "10.0.0.2"]), "10.0.0.2"),
            known(&["10.0.0.2", "10.0.0.1"])
        );
        let full = known(&["a", "b", "c", "d"]);
        assert_eq!(remember_address(&full, "e"), known(&["e", "a", "b", "c"]));
        assert_eq!(remember_address(&full, "c"), known(&["c", "a", "b", "d"]));
        assert_eq!(remember_address(&full, "e").len(), KNOWN_ADDRESSES);
    }

    #[test]
    fn unlocking_needs_a_lock_or_failures_not_yet_forgotten() {
        assert!(!needs_unlock(false, Failures::default(), at(0)));
        assert!(needs_unlock(true, Failures::default(), at(0)));
        assert!(needs_unlock(false, failed(1, at(0)), at(60)));
        let day = ACCOUNT_FORGET_AFTER_HOURS * 3600;
        assert!(!needs_unlock(false, failed(30, at(0)), at(day)));
    }

    #[test]
    fn every_refusal_reads_the_same_and_gives_nothing_away() {
        let message = LOGIN_REFUSED_MESSAGE;
        assert!(message.contains("ユーザーIDまたはパスワード"));
        assert!(message.contains("しばらく待って"));
        assert!(!message.contains("ロック"));
    }

    fn good() -> AccountDraft {
        AccountDraft {
            account_id: " shobo.ichiro ".into(),
            holder: "消防 一郎".into(),
            affiliation: "国民保護運用室".into(),
            contact: "（内線）12-34".into(),
            role: "整理・報告".into(),
            terminal: "LGWAN端末".into(),
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_good_register_entry_is_accepted() {
        let spec = validate_account(&good(), Tier::Municipality).unwrap();
        assert_eq!(
            spec,
            AccountSpec {
                account_id: AccountId::parse("shobo.ichiro").unwrap(),
                holder: "消防 一郎".into(),
                affiliation: "国民保護運用室".into(),
                contact: "（内線）12-34".into(),
                role: Role::Organise,
                terminal: "LGWAN端末".into(),
            }
        );
        let no_terminal = AccountDraft {
            terminal: String::new(),
            role: "red_cross".into(),
            ..good()
        };
        let spec = validate_account(&no_terminal, Tier::Municipality).unwrap();
        assert_eq!((spec.role, spec.terminal.as_str()), (Role::RedCross, ""));
    }

    #[test]
    fn every_missing_field_is_named() {
        let errors = validate_account(&AccountDraft::default(), Tier::National).unwrap_err();
        assert_eq!(
            fields(&errors),
            ["account_id", "holder", "affiliation", "contact", "role"]
        );
        let labels: Vec<&str> = errors.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(
            labels,
            ["ユーザーID", "担当者の氏名", "所属", "連絡先", "区分"]
        );
        let blank = AccountDraft {
            holder: "　 ".into(),
            ..good()
        };
        let errors = validate_account(&blank, Tier::Municipality).unwrap_err();
        assert_eq!(fields(&errors), ["holder"]);
        assert_eq!(errors[0].message, "担当者の氏名を入力してください");
    }

    #[test]
    fn invalid_fields_are_named() {
        let cases: &[(AccountDraft, &str)] = &[
            (
                AccountDraft {
                    account_id: "管理者".into(),
                    ..good()
                },
                "account_id",
            ),
            (
                AccountDraft {
                    account_id: "ab".into(),
                    ..good()
                },
                "account_id",
            ),
            (
                AccountDraft {
                    account_id: "a".repeat(33),
                    ..good()
                },
                "account_id",
            ),
            (
                AccountDraft {
                    role: "viewer".into(),
                    ..good()
                },
                "role",
            ),
            (
                AccountDraft {
                    holder: "あ".repeat(101),
                    ..good()
                },
                "holder",
            ),
            (
                AccountDraft {
                    affiliation: "国民保護室\u{7}".into(),
                    ..good()
                },
                "affiliation",
            ),
            (
                AccountDraft {
                    contact: "9".repeat(101),
                    ..good()
                },
                "contact",
            ),
            (
                AccountDraft {
                    terminal: "端".repeat(101),
                    ..good()
                },
                "terminal",
            ),
        ];
        for (draft, field) in cases {
            let errors = validate_account(draft, Tier::Municipality).unwrap_err();
            assert_eq!(fields(&errors), [*field], "{draft:?}");
            assert_eq!(errors[0].label, register_label(field));
        }
        let unknown = validate_account(
            &AccountDraft {
                role: "viewer".into(),
                ..good()
            },
            Tier::Municipality,
        )
        .unwrap_err();
        assert!(unknown[0].message.contains("viewer"));
        assert!(unknown[0].message.contains("整理・報告（organise）"));
    }

    #[test]
    fn publishers_are_registered_only_at_the_national_tier() {
        let publisher = AccountDraft {
            role: "publisher".into(),
            ..good()
        };
        for tier in BELOW_NATIONAL {
            let errors = validate_account(&publisher, tier).unwrap_err();
            assert_eq!(fields(&errors), ["role"]);
            assert!(errors[0].message.contains(tier.label_ja()));
        }
        let spec = validate_account(&publisher, Tier::National).unwrap();
        assert_eq!(spec.role, Role::Publisher);
        for tier in [Tier::Municipality, Tier::Prefecture, Tier::National] {
            for role in ["red_cross", "administrator", "auditor", "入力", "提供"] {
                let draft = AccountDraft {
                    role: role.into(),
                    ..good()
                };
                assert!(validate_account(&draft, tier).is_ok(), "{role} at {tier:?}");
            }
        }
    }

    #[test]
    fn drafts_refuse_unknown_fields_and_default_missing_ones() {
        let draft: AccountDraft =
            serde_json::from_str(r#"{"account_id": "clerk", "role": "input"}"#).unwrap();
        assert_eq!(draft.holder, "");
        assert_eq!(draft.role, "input");
        let refused = serde_json::from_str::<AccountDraft>(r#"{"password": "x"}"#);
        assert!(refused.is_err());
    }
}
