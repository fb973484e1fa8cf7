//! Members: the people a roll-call asks (職員・社員). They are not node accounts: they
//! never log in; their personal answer link is their only way in (K-02).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::org::{OrgCode, OrgTree};
use crate::validation::FieldError;

/// The code a member is named by in files and commands (職員番号, 社員番号).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemberCode(String);

impl MemberCode {
    pub fn parse(text: &str) -> Result<MemberCode, FieldError> {
        super::check_code("member_code", "職員番号", text).map(MemberCode)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MemberCode {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        MemberCode::parse(&text).map_err(|e| e.message)
    }
}

impl From<MemberCode> for String {
    fn from(code: MemberCode) -> String {
        code.0
    }
}

impl fmt::Display for MemberCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mail address as SMTP carries it: `local@domain`, ASCII, at most 254 characters,
/// no spaces, quotes or angle brackets (a deliberate subset of RFC 5321: what a
/// clerk types and a phone carrier accepts). Stored as typed; compared lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MailAddress(String);

impl MailAddress {
    pub fn parse(text: &str) -> Result<MailAddress, FieldError> {
        let text = text.trim();
        let refuse = |why: &str| {
            Err(FieldError::new(
                "mail",
                format!("メールアドレス「{}」は{why}", crate::text::printable(text)),
            ))
        };
        if text.is_empty() {
            return Err(FieldError::new("mail", "メールアドレスを入力してください"));
        }
        if !text.is_ascii() {
            return refuse("半角で入力してください（全角文字が含まれています）");
        }
        if text.len() > 254 {
            return refuse("254文字以内にしてください");
        }
        let Some((local, domain)) = text.rsplit_once('@') else {
            return refuse("「@」を含めてください");
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        if !local_ok {
            return refuse("「@」の前に使えない文字があるか、空です");
        }
        let labels_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !labels_ok {
            return refuse("「@」の後ろ（ドメイン）が正しくありません");
        }
        Ok(MailAddress(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MailAddress {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        MailAddress::parse(&text).map_err(|e| e.message)
    }
}

impl From<MailAddress> for String {
    fn from(address: MailAddress) -> String {
        address.0
    }
}

impl fmt::Display for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member: name, the organisations they belong to (one or more) and the addresses
/// a roll-call mail goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub code: MemberCode,
    pub name: String,
    pub orgs: Vec<OrgCode>,
    pub mails: Vec<MailAddress>,
}

impl Member {
    /// Checks raw input (a CSV row, a form): every problem at once. `orgs` and `mails`
    /// are each one field separated by spaces, commas or semicolons.
    pub fn parse(
        code: &str,
        name: &str,
        orgs: &str,
        mails: &str,
    ) -> Result<Member, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = MemberCode::parse(code).map_err(|e| errors.push(e)).ok();
        let name = super::check_name("member_name", "氏名", name, 60)
            .map_err(|e| errors.push(e))
            .ok();
        let split = |text: &str| -> Vec<String> {
            text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '、' | '，' | '；'))
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let mut org_codes = Vec::new();
        for text in split(orgs) {
            match OrgCode::parse(&text) {
                Ok(code) if !org_codes.contains(&code) => org_codes.push(code),
                Ok(_) => {}
                Err(mut e) => {
                    e.field = "member_orgs".into();
                    e.label = crate::validation::label_of("member_orgs").into();
                    errors.push(e);
                }
            }
        }
        if org_codes.is_empty() && errors.iter().all(|e| e.field != "member_orgs") {
            errors.push(FieldError::new(
                "member_orgs",
                "所属組織を1つ以上入力してください",
            ));
        }
        let mut addresses = Vec::new();
        for text in split(mails) {
            match MailAddress::parse(&text) {
                Ok(address) if !addresses.contains(&address) => addresses.push(address),
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        if addresses.len() > 5 {
            errors.push(FieldError::new("mail", "メールアドレスは5件までです"));
        }
        match (code, name) {
            (Some(code), Some(name)) if errors.is_empty() => Ok(Member {
                code,
                name,
                orgs: org_codes,
                mails: addresses,
            }),
            _ => Err(errors),
        }
    }

    /// Whether the member belongs to one of `orgs` (already expanded to descendants).
    pub fn belongs_to_any(&self, orgs: &std::collections::BTreeSet<OrgCode>) -> bool {
        self.orgs.iter().any(|o| orgs.contains(o))
    }

    /// Checks that the member's organisations exist in `tree`.
    pub fn check_orgs(&self, tree: &OrgTree) -> Result<(), FieldError> {
        tree.check_known("member_orgs", &self.orgs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_as_clerks_type_them() {
        for ok in [
            "taro@example.jp",
            "a.b+c@mail.city.example.lg.jp",
            "x_y@a-b.co",
        ] {
            assert!(MailAddress::parse(ok).is_ok(), "{ok}");
        }
        let cases = [
            ("", "入力してください"),
            ("taro＠example.jp", "全角"),
            ("taro.example.jp", "「@」を含めて"),
            ("@example.jp", "「@」の前"),
            ("ta ro@example.jp", "「@」の前"),
            ("taro@example", "ドメイン"),
            ("taro@-x.jp", "ドメイン"),
            ("taro@ex..jp", "ドメイン"),
        ];
        for (text, want) in cases {
            let error = MailAddress::parse(text).unwrap_err();
            assert_eq!(error.field, "mail");
            assert!(error.message.contains(want), "{text}: {error}");
        }
    }

    #[test]
    fn a_member_row_names_every_bad_field() {
        let errors = Member::parse("", "", "", "bad").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["member_code", "member_name", "member_orgs", "mail"]
        );
        let member = Member::parse(
            "S001",
            "山田 太郎",
            "soumu.kikaku, kensetsu soumu.kikaku",
            "taro@example.jp;taro@example.jp taro@phone.example.ne.jp",
        )
        .unwrap();
        assert_eq!(member.orgs.len(), 2, "duplicates dropped");
        assert_eq!(member.mails.len(), 2);
        assert!(
            Member::parse("S002", "花子", "soumu", "")
                .unwrap()
                .mails
                .is_empty()
        );
    }
}
