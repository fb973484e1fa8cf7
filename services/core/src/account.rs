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
//! 自動的にパスワードの変更を促される. The register follows 表3-5 (ID及びパスワード管理簿):
//! ユーザID, 区分, 担当者の氏名・所属・連絡先. Everything here is decided without I/O: callers
//! pass `now`, and hashing and sessions live in the node.

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
    /// Every role.
    ChangeOwnPassword,
    /// Administrator: show this node's report-signing key, register children's (A-05).
    ManageTrust,
    /// Administrator at the national tier only: disable an account at any node (A-04).
    RevokeAnywhere,
    /// Administrator: purge the private area (A-04, after a compromised ID).
    PurgePrivateArea,
}

impl Operation {
    pub const ALL: [Operation; 25] = [
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
        Operation::ChangeOwnPassword,
        Operation::ManageTrust,
        Operation::RevokeAnywhere,
        Operation::PurgePrivateArea,
    ];

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
            Operation::ChangeOwnPassword => "change_own_password",
            Operation::ManageTrust => "manage_trust",
            Operation::RevokeAnywhere => "revoke_anywhere",
            Operation::PurgePrivateArea => "purge_private_area",
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
            Operation::ChangeOwnPassword => "自分のパスワードを変更",
            Operation::ManageTrust => "団体間の署名鍵を管理",
            Operation::RevokeAnywhere => "全国のアカウントを無効化",
            Operation::PurgePrivateArea => "個別領域を消去",
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
        Operation::ManageAccounts | Operation::ManageTrust | Operation::PurgePrivateArea => {
            role == Role::Administrator
        }
        Operation::RevokeAnywhere => tier == Tier::National && role == Role::Administrator,
        Operation::ReadAccessLog => matches!(role, Role::Auditor | Role::Administrator),
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
/// Failed logins in a row that lock an account.
pub const LOCKOUT_AFTER_FAILURES: i32 = 5;
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

/// After a failed login: whether the account is now locked (failures in a row reached the
/// limit, `LOCKOUT_AFTER_FAILURES`).
pub fn locks_after(failures_in_a_row: i32) -> bool {
    failures_in_a_row >= LOCKOUT_AFTER_FAILURES
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
    const TABLE: [(Operation, &str, &str); 25] = [
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
        (Operation::ChangeOwnPassword, "IPOARUB", "IPOARUB"),
        (Operation::ManageTrust, "...A...", "...A..."),
        (Operation::RevokeAnywhere, ".......", "...A..."),
        (Operation::PurgePrivateArea, "...A...", "...A..."),
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

    #[test]
    fn accounts_lock_at_the_fifth_failure_in_a_row() {
        assert!(!locks_after(0));
        assert!(!locks_after(4));
        assert!(locks_after(5));
        assert!(locks_after(6));
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
