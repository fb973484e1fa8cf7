//! The mail server settings (K-06, source pages 03, 04), the personal answer link, and
//! how a mail that could not be delivered is retried.
//!
//! POP before SMTP is not offered: it authorised a sender by an earlier POP3 login
//! from the same IP address, which any host behind the same NAT shares; RFC 4954 SMTP
//! AUTH replaced it, and current mail services have switched it off. SMTP AUTH over
//! STARTTLS or implicit TLS is what this node speaks (`docs/adr/0017-rollcall.md`).

use serde::{Deserialize, Serialize};

use super::member::MailAddress;
use crate::validation::FieldError;

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the server does
    /// not offer it.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this host or the office network (port 25).
    None,
}

impl Security {
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Starttls => "starttls",
            Security::Tls => "tls",
            Security::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<Security> {
        match text.trim() {
            "starttls" => Some(Security::Starttls),
            "tls" => Some(Security::Tls),
            "none" => Some(Security::None),
            _ => None,
        }
    }
}

/// What the node sends mail with. The SMTP password is kept beside it, never in the
/// log or an event (`password_set` says whether there is one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSettings {
    /// メール送信元アドレス.
    pub sender: MailAddress,
    /// The name shown with it (差出人名), e.g. 〇〇市 安否確認.
    #[serde(default)]
    pub sender_name: String,
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// SMTP AUTH user; empty: no authentication.
    #[serde(default)]
    pub username: String,
    /// アクセスURL（内部）: how the office network reaches the roll-call pages.
    #[serde(default)]
    pub internal_url: String,
    /// アクセスURL（外部）: the answer links in mails start with it.
    pub external_url: String,
    /// CA certificates (PEM) trusted for the mail server besides the system's: for a
    /// server with a certificate of the office's own CA. Public data; empty: none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ca_pem: String,
}

/// The raw text of the settings form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsInput {
    pub sender: String,
    pub sender_name: String,
    pub host: String,
    pub port: String,
    pub security: String,
    pub username: String,
    pub internal_url: String,
    pub external_url: String,
    pub ca_pem: String,
}

/// The longest CA file accepted (a few certificates).
pub const CA_PEM_MAX: usize = 64 * 1024;

impl MailSettings {
    /// Checks the form: every problem at once, each naming its field.
    pub fn parse(input: &SettingsInput) -> Result<MailSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let sender = match MailAddress::parse(&input.sender) {
            Ok(a) => Some(a),
            Err(mut e) => {
                e.field = "mail_sender".into();
                e.label = crate::validation::label_of("mail_sender").into();
                errors.push(e);
                None
            }
        };
        errors.extend(crate::text::check_value(
            "mail_sender_name",
            crate::text::TextKind::Line,
            60,
            &input.sender_name,
        ));
        let host = input.host.trim();
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !host_ok {
            errors.push(FieldError::new(
                "smtp_host",
                "送信メールサーバーのホスト名（またはIPアドレス）を半角で入力してください",
            ));
        }
        let port = match input.port.trim().parse::<u16>() {
            Ok(p) if p > 0 => Some(p),
            _ => {
                errors.push(FieldError::new(
                    "smtp_port",
                    "ポート番号は1〜65535の数字で入力してください（通常 587、465 または 25）",
                ));
                None
            }
        };
        let security = Security::parse(&input.security);
        if security.is_none() {
            errors.push(FieldError::new(
                "smtp_security",
                "暗号化は starttls、tls、none のいずれかを選んでください",
            ));
        }
        let username = input.username.trim();
        if username.chars().any(|c| c.is_control()) || username.len() > 254 {
            errors.push(FieldError::new(
                "smtp_username",
                "SMTP認証のユーザー名が正しくありません",
            ));
        }
        let external = check_url("external_url", &input.external_url, true, &mut errors);
        let internal = check_url("internal_url", &input.internal_url, false, &mut errors);
        let ca_pem = input.ca_pem.trim();
        if !ca_pem.is_empty()
            && (!ca_pem.contains("-----BEGIN CERTIFICATE-----")
                || !ca_pem.is_ascii()
                || ca_pem.len() > CA_PEM_MAX)
        {
            errors.push(FieldError::new(
                "smtp_ca",
                "CA証明書は「-----BEGIN CERTIFICATE-----」で始まるPEM形式（64KB以内）で入力してください",
            ));
        }
        match (sender, port, security) {
            (Some(sender), Some(port), Some(security)) if errors.is_empty() => Ok(MailSettings {
                sender,
                sender_name: input.sender_name.trim().to_string(),
                host: host.to_string(),
                port,
                security,
                username: username.to_string(),
                internal_url: internal,
                external_url: external,
                ca_pem: ca_pem.to_string(),
            }),
            _ => Err(errors),
        }
    }

    /// The personal link of `token` (K-02): the external URL, then `/r/<token>`.
    pub fn answer_link(&self, token: &str) -> String {
        format!("{}/r/{token}", self.external_url.trim_end_matches('/'))
    }

    /// The personal link of a contact mail (K-05): the external URL, then `/c/<token>`.
    pub fn contact_link(&self, token: &str) -> String {
        format!("{}/c/{token}", self.external_url.trim_end_matches('/'))
    }
}

fn check_url(field: &str, text: &str, required: bool, errors: &mut Vec<FieldError>) -> String {
    let text = text.trim();
    if text.is_empty() {
        if required {
            errors.push(FieldError::new(
                field,
                "アクセスURL（外部）を入力してください。メールの回答用リンクはこのURLから始まります",
            ));
        }
        return String::new();
    }
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    let ok = match rest {
        Some(rest) => {
            let host = rest.split('/').next().unwrap_or("");
            !host.is_empty()
                && text.is_ascii()
                && !text.contains(['?', '#', ' ', '"', '<', '>'])
                && text.len() <= 200
        }
        None => false,
    };
    if !ok {
        errors.push(FieldError::new(
            field,
            format!(
                "URLは https:// で始まる半角の形式で入力してください（?や#は含めません。入力: {}）",
                crate::text::printable(text)
            ),
        ));
    }
    text.trim_end_matches('/').to_string()
}

/// What a failed delivery attempt means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The server refused this mail for good (5xx): recorded as failed with its reply.
    Permanent,
    /// Try again later (4xx, no connection, a time-out, TLS or login failure).
    Transient,
}

/// Classifies a failed attempt by the server's reply code (`None`: no reply, the
/// connection failed).
pub fn classify(code: Option<u16>) -> Failure {
    match code {
        Some(code) if (500..600).contains(&code) => Failure::Permanent,
        _ => Failure::Transient,
    }
}

/// Attempts before a transiently failing mail is given up as failed.
pub const MAX_ATTEMPTS: u32 = 12;

/// Seconds to wait after the `attempt`-th failed attempt (1-based): 15 s doubled each
/// time, at most 10 minutes; `None` when the mail is given up. Twelve attempts span
/// about an hour, long enough for a mail server restarted after a power cut.
pub fn retry_after(attempt: u32) -> Option<u64> {
    if attempt >= MAX_ATTEMPTS {
        return None;
    }
    let exponent = attempt.saturating_sub(1).min(10);
    Some((15u64 << exponent).min(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SettingsInput {
        SettingsInput {
            sender: "anpi@city.example.lg.jp".into(),
            sender_name: "〇〇市 安否確認".into(),
            host: "smtp.city.example.lg.jp".into(),
            port: "587".into(),
            security: "starttls".into(),
            username: "anpi".into(),
            internal_url: "https://anpi.intra.example.lg.jp/".into(),
            external_url: "https://anpi.city.example.lg.jp/".into(),
            ca_pem: String::new(),
        }
    }

    #[test]
    fn settings_are_parsed_and_the_link_uses_the_external_url() {
        let settings = MailSettings::parse(&input()).unwrap();
        assert_eq!(settings.port, 587);
        assert_eq!(
            settings.answer_link("tok"),
            "https://anpi.city.example.lg.jp/r/tok"
        );
        assert_eq!(settings.internal_url, "https://anpi.intra.example.lg.jp");
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = SettingsInput {
            sender: "anpi".into(),
            host: "smtp example".into(),
            port: "70000".into(),
            security: "ssl".into(),
            external_url: "ftp://x".into(),
            internal_url: "https://x/?a=1".into(),
            ..input()
        };
        let errors = MailSettings::parse(&bad).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "mail_sender",
                "smtp_host",
                "smtp_port",
                "smtp_security",
                "external_url",
                "internal_url"
            ]
        );
        let bad_ca = SettingsInput {
            ca_pem: "not a certificate".into(),
            ..input()
        };
        assert_eq!(
            MailSettings::parse(&bad_ca).unwrap_err()[0].field,
            "smtp_ca"
        );
        let no_url = SettingsInput {
            external_url: " ".into(),
            ..input()
        };
        assert_eq!(
            MailSettings::parse(&no_url).unwrap_err()[0].field,
            "external_url"
        );
    }

    #[test]
    fn retries_back_off_and_end() {
        assert_eq!(retry_after(1), Some(15));
        assert_eq!(retry_after(2), Some(30));
        assert_eq!(retry_after(7), Some(600));
        assert_eq!(retry_after(MAX_ATTEMPTS), None);
        let total: u64 = (1..MAX_ATTEMPTS).filter_map(retry_after).sum();
        assert!((3000..=5000).contains(&total), "{total}");
        assert_eq!(classify(Some(550)), Failure::Permanent);
        assert_eq!(classify(Some(451)), Failure::Transient);
        assert_eq!(classify(None), Failure::Transient);
    }
}
