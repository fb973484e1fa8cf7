//! Emergency contacts (緊急連絡先, K-05; source document `000_fc4f8c7d0442128d.txt`
//! pages 06–07): the phone numbers and mail addresses a member is reached at in a
//! disaster. A member sets their own through a personal link (no login); an
//! administrator sets them on a member's behalf (代理設定), one by one or from a CSV
//! file. Roll-call mails go to the contact addresses; a member who has set none is
//! still reached at the addresses of the directory (the 「プロフィール」 address of the
//! source document, to which the mail asking them to set their contacts also goes).
//!
//! Two mails concern contacts: the request to set them (緊急連絡先設定確認通知メール)
//! with a link to the member's contact form, and the check (緊急連絡先通知メール) sent
//! to each contact address, whose link confirms that the address receives mail. The
//! state of a check per address is [`CheckState`].
//!
//! Members never see other members' contacts: the personal link opens only its own
//! member's; administrators see those of the members they may see
//! (`Authority::sees`).

use serde::{Deserialize, Serialize};

use super::member::{MailAddress, Member};
use crate::validation::FieldError;

/// At most this many phone numbers per member.
pub const MAX_PHONES: usize = 3;
/// At most this many contact addresses per member.
pub const MAX_MAILS: usize = 3;

/// A phone number as a clerk or a member types it: digits with optional hyphens,
/// spaces or parentheses, optionally beginning with `+` (an international number).
/// Full-width digits and hyphens are taken as half-width. Stored with the
/// separators as typed (after the half-width conversion); 10 to 15 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(text: &str) -> Result<PhoneNumber, FieldError> {
        let half: String = text
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                'ー' | '－' | '‐' | '−' | '―' => '-',
                '（' => '(',
                '）' => ')',
                '＋' => '+',
                '　' => ' ',
                other => other,
            })
            .collect();
        let refuse = |why: &str| {
            Err(FieldError::new(
                "contact_phone",
                format!("電話番号「{}」は{why}", crate::text::printable(text.trim())),
            ))
        };
        if half.is_empty() {
            return Err(FieldError::new(
                "contact_phone",
                "電話番号を入力してください",
            ));
        }
        let body = half.strip_prefix('+').unwrap_or(&half);
        if !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '(' | ')'))
        {
            return refuse("数字と「-」だけで入力してください（例: 090-1234-5678）");
        }
        let digits = body.chars().filter(char::is_ascii_digit).count();
        if !(10..=15).contains(&digits) {
            return refuse("市外局番から10〜15桁で入力してください（例: 03-1234-5678）");
        }
        Ok(PhoneNumber(half))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as a `tel:` link takes it: `+` and digits only.
    pub fn tel_uri(&self) -> String {
        let digits: String = self
            .0
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        format!("tel:{digits}")
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        PhoneNumber::parse(&text).map_err(|e| e.message)
    }
}

impl From<PhoneNumber> for String {
    fn from(phone: PhoneNumber) -> String {
        phone.0
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member's emergency contacts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contacts {
    #[serde(default)]
    pub phones: Vec<PhoneNumber>,
    #[serde(default)]
    pub mails: Vec<MailAddress>,
}

/// Splits a field holding several values (one per line, or separated by spaces,
/// commas or semicolons, half- or full-width).
fn split(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '、' | '，' | '；'))
        .filter(|s| !s.is_empty())
        .collect()
}

impl Contacts {
    /// Checks raw input (a form, a CSV row): every problem at once. Each field holds
    /// several values one per line or separated by commas, semicolons or spaces
    /// (phone numbers: commas, semicolons or lines only, as they may hold spaces).
    /// Both may be empty: a member may take their contacts away.
    pub fn parse(phones: &str, mails: &str) -> Result<Contacts, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut numbers = Vec::new();
        for text in phones
            .split([',', ';', '、', '，', '；', '\n', '\r'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match PhoneNumber::parse(text) {
                Ok(phone) if !numbers.contains(&phone) => numbers.push(phone),
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        if numbers.len() > MAX_PHONES {
            errors.push(FieldError::new(
                "contact_phone",
                format!("電話番号は{MAX_PHONES}件までです"),
            ));
        }
        let mut addresses = Vec::new();
        for text in split(mails) {
            match MailAddress::parse(text) {
                Ok(address) if !addresses.contains(&address) => addresses.push(address),
                Ok(_) => {}
                Err(mut e) => {
                    e.field = "contact_mail".into();
                    e.label = crate::validation::label_of("contact_mail").into();
                    errors.push(e);
                }
            }
        }
        if addresses.len() > MAX_MAILS {
            errors.push(FieldError::new(
                "contact_mail",
                format!("緊急連絡先のメールアドレスは{MAX_MAILS}件までです"),
            ));
        }
        if errors.is_empty() {
            Ok(Contacts {
                phones: numbers,
                mails: addresses,
            })
        } else {
            Err(errors)
        }
    }

    /// Neither a phone number nor an address (未設定).
    pub fn is_empty(&self) -> bool {
        self.phones.is_empty() && self.mails.is_empty()
    }
}

/// The addresses a roll-call mail to `member` goes to: their contact addresses, or,
/// when they have set none, the directory's.
pub fn rollcall_addresses<'a>(
    member: &'a Member,
    contacts: Option<&'a Contacts>,
) -> &'a [MailAddress] {
    match contacts {
        Some(c) if !c.mails.is_empty() => &c.mails,
        _ => &member.mails,
    }
}

/// What a contact mail asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactPurpose {
    /// Set your contacts (to the directory's addresses; the link opens the form).
    Request,
    /// Confirm this address receives mail (to each contact address).
    Check,
}

impl ContactPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactPurpose::Request => "contact_request",
            ContactPurpose::Check => "contact_check",
        }
    }

    /// The kind of its links (`rollcall_contact_links.purpose`).
    pub fn link_kind(self) -> &'static str {
        match self {
            ContactPurpose::Request => "request",
            ContactPurpose::Check => "check",
        }
    }

    /// How long its links work: a request is answered when the member finds the
    /// time; a check should be answered soon, or the address is in doubt.
    pub fn link_days(self) -> i64 {
        match self {
            ContactPurpose::Request => 30,
            ContactPurpose::Check => 14,
        }
    }

    pub fn parse(text: &str) -> Option<ContactPurpose> {
        [ContactPurpose::Request, ContactPurpose::Check]
            .into_iter()
            .find(|p| p.as_str() == text)
    }

    /// The addresses the mail goes to for `member`.
    pub fn addresses<'a>(
        self,
        member: &'a Member,
        contacts: Option<&'a Contacts>,
    ) -> &'a [MailAddress] {
        match self {
            ContactPurpose::Request => &member.mails,
            ContactPurpose::Check => contacts.map_or(&[], |c| &c.mails),
        }
    }
}

/// Where a check mail to one address stands (page 07: ✔ for those who opened the
/// link; others are to be checked again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CheckState {
    /// No check mail sent to this address (or the address was changed since).
    NotChecked,
    /// The mail is waiting to be sent or retried.
    Sending,
    /// Sent; the link not opened yet (未確認).
    NotOpened,
    /// The member opened the link: the address receives mail (確認済み).
    Confirmed,
    /// The mail server refused the mail, or every retry failed (送信失敗).
    Failed,
}

impl CheckState {
    /// From the outbox state of the latest check mail to the address and whether
    /// its link was confirmed.
    pub fn of(outbox: Option<&str>, confirmed: bool) -> CheckState {
        if confirmed {
            return CheckState::Confirmed;
        }
        match outbox {
            None | Some("withdrawn") => CheckState::NotChecked,
            Some("pending" | "sending") => CheckState::Sending,
            Some("failed") => CheckState::Failed,
            Some(_) => CheckState::NotOpened,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CheckState::NotChecked => "未送信",
            CheckState::Sending => "送信待ち",
            CheckState::NotOpened => "未確認",
            CheckState::Confirmed => "確認済み",
            CheckState::Failed => "送信失敗",
        }
    }

    /// The state of a member from those of their addresses: the worst one.
    pub fn of_member(states: &[CheckState]) -> CheckState {
        let rank = |s: &CheckState| match s {
            CheckState::Failed => 0,
            CheckState::NotChecked => 1,
            CheckState::Sending => 2,
            CheckState::NotOpened => 3,
            CheckState::Confirmed => 4,
        };
        states
            .iter()
            .copied()
            .min_by_key(rank)
            .unwrap_or(CheckState::NotChecked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_checked_as_people_type_them() {
        for (typed, stored, tel) in [
            ("090-1234-5678", "090-1234-5678", "tel:09012345678"),
            ("０３－１２３４－５６７８", "03-1234-5678", "tel:0312345678"),
            ("(03) 1234 5678", "(03) 1234 5678", "tel:0312345678"),
            ("+81 90 1234 5678", "+81 90 1234 5678", "tel:+819012345678"),
        ] {
            let phone = PhoneNumber::parse(typed).unwrap();
            assert_eq!(phone.as_str(), stored);
            assert_eq!(phone.tel_uri(), tel);
        }
        for (typed, want) in [
            ("", "入力してください"),
            ("090-1234", "10〜15桁"),
            ("1234567890123456", "10〜15桁"),
            ("090-1234-567a", "数字と「-」"),
            ("tel:0312345678", "数字と「-」"),
            ("03+1234-5678", "数字と「-」"),
        ] {
            let error = PhoneNumber::parse(typed).unwrap_err();
            assert_eq!(error.field, "contact_phone");
            assert!(error.message.contains(want), "{typed}: {error}");
        }
    }

    #[test]
    fn contacts_name_every_bad_value_and_drop_repeats() {
        let contacts = Contacts::parse(
            "090-1234-5678\n090-1234-5678, 03 1234 5678",
            "taro@mobile.example.jp taro@mobile.example.jp; taro@home.example.jp",
        )
        .unwrap();
        assert_eq!(contacts.phones.len(), 2, "{contacts:?}");
        assert_eq!(contacts.phones[1].as_str(), "03 1234 5678");
        assert_eq!(contacts.mails.len(), 2);
        assert!(Contacts::parse("", "").unwrap().is_empty());

        let errors = Contacts::parse("12, 090-1234-5678", "bad, ok@example.jp, x@y").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["contact_phone", "contact_mail", "contact_mail"]);
        let errors = Contacts::parse(
            "0311111111,0322222222,0333333333,0344444444",
            "a@x.jp b@x.jp c@x.jp d@x.jp",
        )
        .unwrap_err();
        assert!(errors[0].message.contains("3件まで"), "{errors:?}");
        assert!(errors[1].message.contains("3件まで"), "{errors:?}");
    }

    #[test]
    fn rollcall_mail_goes_to_contacts_else_to_the_directory() {
        let member = Member::parse("S1", "山田", "soumu", "work@city.example.jp").unwrap();
        assert_eq!(
            rollcall_addresses(&member, None)[0].as_str(),
            "work@city.example.jp"
        );
        let phones_only = Contacts::parse("090-1234-5678", "").unwrap();
        assert_eq!(
            rollcall_addresses(&member, Some(&phones_only))[0].as_str(),
            "work@city.example.jp"
        );
        let contacts = Contacts::parse("", "home@example.jp").unwrap();
        let to = rollcall_addresses(&member, Some(&contacts));
        assert_eq!(to.len(), 1);
        assert_eq!(to[0].as_str(), "home@example.jp");
        // The request to set contacts goes to the directory; the check to the contacts.
        assert_eq!(
            ContactPurpose::Request.addresses(&member, Some(&contacts))[0].as_str(),
            "work@city.example.jp"
        );
        assert_eq!(
            ContactPurpose::Check.addresses(&member, Some(&contacts))[0].as_str(),
            "home@example.jp"
        );
        assert!(ContactPurpose::Check.addresses(&member, None).is_empty());
    }

    #[test]
    fn a_check_is_confirmed_by_the_link_and_a_member_shows_the_worst_address() {
        assert_eq!(CheckState::of(None, false), CheckState::NotChecked);
        assert_eq!(CheckState::of(Some("pending"), false), CheckState::Sending);
        assert_eq!(CheckState::of(Some("sent"), false), CheckState::NotOpened);
        assert_eq!(CheckState::of(Some("sent"), true), CheckState::Confirmed);
        assert_eq!(CheckState::of(Some("failed"), false), CheckState::Failed);
        assert_eq!(
            CheckState::of_member(&[CheckState::Confirmed, CheckState::NotOpened]),
            CheckState::NotOpened
        );
        assert_eq!(
            CheckState::of_member(&[CheckState::Confirmed, CheckState::Failed]),
            CheckState::Failed
        );
        assert_eq!(
            CheckState::of_member(&[CheckState::Confirmed]),
            CheckState::Confirmed
        );
        assert_eq!(CheckState::of_member(&[]), CheckState::NotChecked);
    }
}
