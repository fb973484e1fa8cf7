//! The disaster information pages (災害情報ページ, K-07; source document
//! `000_fc4f8c7d0442128d.txt` pages 08, 09, 11): what an organisation tells its members
//! in a disaster, shown to each member from their roll-call link.
//!
//! - [`InfoSettings`]: the organisation's emergency contacts (災害時の緊急連絡先, each
//!   with a phone number) and useful links (リンク集: the meteorological agency, the
//!   Cabinet Office, …), saved together as one form;
//! - [`Route`]: an evacuation route (避難経路) — name, the map service chosen, origin and
//!   destination — with the link to the map service built from them ([`Route::map_url`]);
//! - [`Notice`]: a post on the bulletin board (お知らせ掲示板), kept in time order; a post
//!   is withdrawn (取り下げ) by a later event, never deleted, so the history stays.
//!
//! Every text is checked with the character rules of `crate::text`; links are `http` or
//! `https` only (a `javascript:` or `data:` link would run in the member's browser).
//! Each problem is a [`FieldError`] whose field names the row (`contact_phone.2`) and
//! whose label names it in Japanese (緊急連絡先 3行目の電話番号), so a form can put the
//! message beside the field that was typed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::AccountId;
use crate::text::TextKind;
use crate::validation::FieldError;

/// At most this many emergency contacts, links and routes.
pub const MAX_CONTACTS: usize = 30;
pub const MAX_LINKS: usize = 30;
pub const MAX_ROUTES: usize = 50;

/// Length limits, in characters.
pub const NAME_MAX: usize = 40;
pub const PHONE_MAX: usize = 20;
pub const NOTE_MAX: usize = 100;
pub const LINK_TITLE_MAX: usize = 60;
pub const URL_MAX: usize = 500;
pub const PLACE_MAX: usize = 100;
pub const NOTICE_TITLE_MAX: usize = 60;
pub const NOTICE_BODY_MAX: usize = 2000;
pub const REASON_MAX: usize = 200;

/// One emergency contact of the organisation (災害時の緊急連絡先).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyContact {
    /// Who or what answers (本社 総務部, 災害対策本部).
    pub name: String,
    /// As typed, in half-width characters (`03-1234-5678`).
    pub phone: String,
    /// Optional: hours, extension, what to call about.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl EmergencyContact {
    /// The `tel:` link of the phone number (digits and a leading `+` only).
    pub fn tel_uri(&self) -> String {
        let mut uri = String::from("tel:");
        for (i, c) in self.phone.chars().enumerate() {
            if c.is_ascii_digit() || (c == '+' && i == 0) {
                uri.push(c);
            }
        }
        uri
    }
}

/// One useful link (リンク).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsefulLink {
    pub title: String,
    /// `http://` or `https://` only (checked by [`check_url`]).
    pub url: String,
}

/// The organisation's emergency contacts and links (source page 08), saved as one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoSettings {
    #[serde(default)]
    pub contacts: Vec<EmergencyContact>,
    #[serde(default)]
    pub links: Vec<UsefulLink>,
}

/// One contact row as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactInput {
    pub name: String,
    pub phone: String,
    pub note: String,
}

/// One link row as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkInput {
    pub title: String,
    pub url: String,
}

/// The contacts and links form as typed; rows left wholly blank are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InfoInput {
    pub contacts: Vec<ContactInput>,
    pub links: Vec<LinkInput>,
}

/// A problem with the field `field` (row `row`, 0-based) labelled `what` of `table`.
fn row_error(table: &str, row: usize, field: &str, what: &str, message: String) -> FieldError {
    FieldError {
        field: format!("{field}.{row}"),
        label: format!("{table} {}行目の{what}", row + 1),
        message,
    }
}

/// A required one-line text of at most `max` characters, trimmed.
fn line(
    errors: &mut Vec<FieldError>,
    field: String,
    label: String,
    what: &str,
    text: &str,
    max: usize,
    required: bool,
) -> String {
    let text = text.trim();
    if text.is_empty() {
        if required {
            errors.push(FieldError {
                field,
                label,
                message: format!("{what}を入力してください"),
            });
        }
        return String::new();
    }
    for mut error in crate::text::check_value(&field, TextKind::Line, max, text) {
        error.label = label.clone();
        errors.push(error);
    }
    text.to_string()
}

/// Full-width digits and hyphens as half-width (clerks often type them so).
fn half_width_phone(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - 0xFF10 + u32::from('0')).unwrap_or(c),
            '－' | 'ー' | '‐' | '−' | '―' | '–' => '-',
            '（' => '(',
            '）' => ')',
            '＋' => '+',
            '　' => ' ',
            c => c,
        })
        .collect()
}

/// A phone number: half-width digits with `-`, `(`, `)`, spaces and a leading `+`;
/// at least 3 digits (110, 119, 171 are numbers too).
fn check_phone(text: &str) -> Result<String, String> {
    let phone = half_width_phone(text);
    if phone.is_empty() {
        return Err("電話番号を入力してください".into());
    }
    let allowed = phone.chars().enumerate().all(|(i, c)| {
        c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | ' ') || (c == '+' && i == 0)
    });
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !allowed || digits < 3 || phone.chars().count() > PHONE_MAX {
        return Err(format!(
            "電話番号は数字と「-」で{PHONE_MAX}文字以内で入力してください（例: 03-1234-5678。入力: {}）",
            crate::text::printable(text.trim())
        ));
    }
    Ok(phone)
}

/// A link to open from the page: `http://` or `https://`, a host, no spaces, quotes or
/// angle brackets, at most [`URL_MAX`] characters. Characters outside ASCII after the
/// host (a Japanese path) are percent-encoded; the host must be ASCII. Anything else —
/// `javascript:`, `data:`, `file:`, a relative path — is refused: the page opens the
/// link in the member's browser.
pub fn check_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let refuse = |why: &str| {
        Err(format!(
            "URLは http:// か https:// で始まる形で入力してください（{why}。入力: {}）",
            crate::text::printable(text)
        ))
    };
    let lower = text.to_ascii_lowercase();
    let scheme_len = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return refuse("ほかの形式のリンクは開けません");
    };
    let (scheme, rest) = text.split_at(scheme_len);
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(host_end);
    if host.is_empty() || !host.is_ascii() || host.contains('@') {
        return refuse("ホスト名が正しくありません");
    }
    if text
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\\' | '`'))
    {
        return refuse("空白や「\"」「<」「>」は使えません");
    }
    let mut url = String::with_capacity(text.len());
    url.push_str(&scheme.to_ascii_lowercase());
    url.push_str(host);
    for c in tail.chars() {
        if c.is_ascii() {
            url.push(c);
        } else {
            let mut buffer = [0u8; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                url.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    if url.len() > URL_MAX {
        return refuse(&format!("{URL_MAX}文字以内にしてください"));
    }
    Ok(url)
}

impl InfoSettings {
    /// Checks the form: every problem at once, each naming its row and field.
    pub fn parse(input: &InfoInput) -> Result<InfoSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut contacts = Vec::new();
        for (row, typed) in input.contacts.iter().enumerate() {
            if [&typed.name, &typed.phone, &typed.note]
                .iter()
                .all(|t| t.trim().is_empty())
            {
                continue;
            }
            let table = "緊急連絡先";
            let name = line(
                &mut errors,
                format!("contact_name.{row}"),
                format!("{table} {}行目の名称", row + 1),
                "名称",
                &typed.name,
                NAME_MAX,
                true,
            );
            let phone = match check_phone(&typed.phone) {
                Ok(phone) => phone,
                Err(message) => {
                    errors.push(row_error(table, row, "contact_phone", "電話番号", message));
                    String::new()
                }
            };
            let note = line(
                &mut errors,
                format!("contact_note.{row}"),
                format!("{table} {}行目の備考", row + 1),
                "備考",
                &typed.note,
                NOTE_MAX,
                false,
            );
            contacts.push(EmergencyContact { name, phone, note });
        }
        let mut links = Vec::new();
        for (row, typed) in input.links.iter().enumerate() {
            if typed.title.trim().is_empty() && typed.url.trim().is_empty() {
                continue;
            }
            let table = "リンク";
            let title = line(
                &mut errors,
                format!("link_title.{row}"),
                format!("{table} {}行目の表示名", row + 1),
                "表示名",
                &typed.title,
                LINK_TITLE_MAX,
                true,
            );
            let url = if typed.url.trim().is_empty() {
                errors.push(row_error(
                    table,
                    row,
                    "link_url",
                    "URL",
                    "URLを入力してください".into(),
                ));
                String::new()
            } else {
                match check_url(&typed.url) {
                    Ok(url) => url,
                    Err(message) => {
                        errors.push(row_error(table, row, "link_url", "URL", message));
                        String::new()
                    }
                }
            };
            links.push(UsefulLink { title, url });
        }
        if contacts.len() > MAX_CONTACTS {
            errors.push(FieldError {
                field: "contacts".into(),
                label: "緊急連絡先".into(),
                message: format!(
                    "緊急連絡先は{MAX_CONTACTS}件までです（{}件あります）",
                    contacts.len()
                ),
            });
        }
        if links.len() > MAX_LINKS {
            errors.push(FieldError {
                field: "links".into(),
                label: "リンク".into(),
                message: format!("リンクは{MAX_LINKS}件までです（{}件あります）", links.len()),
            });
        }
        if errors.is_empty() {
            Ok(InfoSettings { contacts, links })
        } else {
            Err(errors)
        }
    }

    /// Checks stored or received settings again (the writer's own check).
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let input = InfoInput {
            contacts: self
                .contacts
                .iter()
                .map(|c| ContactInput {
                    name: c.name.clone(),
                    phone: c.phone.clone(),
                    note: c.note.clone(),
                })
                .collect(),
            links: self
                .links
                .iter()
                .map(|l| LinkInput {
                    title: l.title.clone(),
                    url: l.url.clone(),
                })
                .collect(),
        };
        match InfoSettings::parse(&input) {
            Ok(parsed) if parsed == *self => Ok(()),
            Ok(_) => Err(vec![FieldError {
                field: "info".into(),
                label: "災害情報".into(),
                message: "空の行や前後の空白は保存できません".into(),
            }]),
            Err(errors) => Err(errors),
        }
    }
}

/// The map service an evacuation route opens in (source page 09: 使用する地図).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MapService {
    /// Google マップ.
    Google,
    /// OpenStreetMap (no account, no tracking cookies).
    OpenStreetMap,
}

impl MapService {
    pub const ALL: [MapService; 2] = [MapService::Google, MapService::OpenStreetMap];

    pub fn as_str(self) -> &'static str {
        match self {
            MapService::Google => "google",
            MapService::OpenStreetMap => "open_street_map",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MapService::Google => "Google マップ",
            MapService::OpenStreetMap => "OpenStreetMap",
        }
    }

    pub fn parse(text: &str) -> Option<MapService> {
        MapService::ALL
            .into_iter()
            .find(|m| m.as_str() == text.trim())
    }
}

/// Percent-encodes a query value: everything but `A–Z a–z 0–9 - . _ ~` (RFC 3986's
/// unreserved characters), UTF-8 bytes for the rest; a space is `%20`.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An evacuation route (避難経路, source page 09): to a shelter, or home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// Numbered by the writer in the order routes are added (1, 2, …), never reused.
    pub id: u32,
    pub name: String,
    pub map: MapService,
    /// 出発地 and 目的地: an address, a place name or coordinates, as the map service
    /// searches them.
    pub origin: String,
    pub destination: String,
}

/// A route as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteInput {
    pub name: String,
    pub map: String,
    pub origin: String,
    pub destination: String,
}

impl Route {
    /// Checks a typed route; `id` is the number it gets (or has).
    pub fn parse(id: u32, input: &RouteInput) -> Result<Route, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = line(
            &mut errors,
            "route_name".into(),
            "経路名".into(),
            "経路名",
            &input.name,
            NAME_MAX,
            true,
        );
        let map = MapService::parse(&input.map);
        if map.is_none() {
            errors.push(FieldError {
                field: "route_map".into(),
                label: "使用する地図".into(),
                message: "使用する地図を選んでください".into(),
            });
        }
        let origin = line(
            &mut errors,
            "route_origin".into(),
            "出発地".into(),
            "出発地",
            &input.origin,
            PLACE_MAX,
            true,
        );
        let destination = line(
            &mut errors,
            "route_destination".into(),
            "目的地".into(),
            "目的地",
            &input.destination,
            PLACE_MAX,
            true,
        );
        match map {
            Some(map) if errors.is_empty() => Ok(Route {
                id,
                name,
                map,
                origin,
                destination,
            }),
            _ => Err(errors),
        }
    }

    /// Checks a stored or received route again (the writer's own check).
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let again = Route::parse(
            self.id,
            &RouteInput {
                name: self.name.clone(),
                map: self.map.as_str().into(),
                origin: self.origin.clone(),
                destination: self.destination.clone(),
            },
        )?;
        if again == *self {
            Ok(())
        } else {
            Err(vec![FieldError {
                field: "route_name".into(),
                label: "経路名".into(),
                message: "前後の空白は保存できません".into(),
            }])
        }
    }

    /// The route on the chosen map service, on foot:
    /// - Google マップ: `https://www.google.com/maps/dir/?api=1&origin=…&destination=…&travelmode=walking`
    ///   (the documented Maps URLs form);
    /// - OpenStreetMap: `https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&from=…&to=…`.
    ///   `engine` is beyond the brief's `from`/`to`: without it the site plans for a
    ///   car, and an evacuation route is walked.
    ///
    /// Origin and destination are percent-encoded ([`encode_component`]).
    pub fn map_url(&self) -> String {
        let origin = encode_component(&self.origin);
        let destination = encode_component(&self.destination);
        match self.map {
            MapService::Google => format!(
                "https://www.google.com/maps/dir/?api=1&origin={origin}&destination={destination}&travelmode=walking"
            ),
            MapService::OpenStreetMap => format!(
                "https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&from={origin}&to={destination}"
            ),
        }
    }
}

/// A post on the bulletin board (お知らせ, source page 11): instructions in a disaster,
/// the state of the trains, … Posted by a function or disaster-prevention administrator
/// (or the system administrator); shown to members newest first until withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Numbered by the writer in posting order (1, 2, …).
    pub id: u32,
    pub title: String,
    pub body: String,
    pub posted_at: DateTime<Utc>,
    pub posted_by: AccountId,
}

/// A post as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeDraft {
    pub title: String,
    pub body: String,
}

impl NoticeDraft {
    /// The checked draft (title trimmed; the body's line ends as `\n`, its blank edges
    /// trimmed).
    pub fn check(&self) -> Result<NoticeDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = line(
            &mut errors,
            "notice_title".into(),
            "件名".into(),
            "件名",
            &self.title,
            NOTICE_TITLE_MAX,
            true,
        );
        let body = self.body.replace("\r\n", "\n");
        let body = body.trim_matches(|c: char| c.is_whitespace()).to_string();
        if body.is_empty() {
            errors.push(FieldError {
                field: "notice_body".into(),
                label: "本文".into(),
                message: "本文を入力してください".into(),
            });
        } else {
            for mut error in
                crate::text::check_value("notice_body", TextKind::Text, NOTICE_BODY_MAX, &body)
            {
                error.label = "本文".into();
                errors.push(error);
            }
        }
        if errors.is_empty() {
            Ok(NoticeDraft { title, body })
        } else {
            Err(errors)
        }
    }

    /// The post it makes.
    pub fn post(self, id: u32, posted_at: DateTime<Utc>, posted_by: AccountId) -> Notice {
        Notice {
            id,
            title: self.title,
            body: self.body,
            posted_at,
            posted_by,
        }
    }
}

/// Why a post is withdrawn: required, one line, at most [`REASON_MAX`] characters. The
/// post stays in the history with it (administrators see both).
pub fn check_withdraw_reason(text: &str) -> Result<String, Vec<FieldError>> {
    let mut errors = Vec::new();
    let reason = line(
        &mut errors,
        "withdraw_reason".into(),
        "取り下げの理由".into(),
        "取り下げの理由",
        text,
        REASON_MAX,
        true,
    );
    if errors.is_empty() {
        Ok(reason)
    } else {
        Err(errors)
    }
}

/// The posts members see: not withdrawn, newest first (ties: the later number first).
pub fn for_members<'a>(notices: impl IntoIterator<Item = (&'a Notice, bool)>) -> Vec<&'a Notice> {
    let mut shown: Vec<&Notice> = notices
        .into_iter()
        .filter(|(_, withdrawn)| !withdrawn)
        .map(|(notice, _)| notice)
        .collect();
    shown.sort_by(|a, b| b.posted_at.cmp(&a.posted_at).then(b.id.cmp(&a.id)));
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(name: &str, phone: &str, note: &str) -> ContactInput {
        ContactInput {
            name: name.into(),
            phone: phone.into(),
            note: note.into(),
        }
    }

    fn link(title: &str, url: &str) -> LinkInput {
        LinkInput {
            title: title.into(),
            url: url.into(),
        }
    }

    #[test]
    fn contacts_and_links_are_checked_row_by_row_and_blank_rows_skipped() {
        let input = InfoInput {
            contacts: vec![
                contact(" 災害対策本部 ", "０３－１２３４－５６７８", "24時間"),
                contact("", "", ""),
                contact("総務課", "171", ""),
            ],
            links: vec![
                link(
                    "気象庁 防災情報",
                    "https://www.jma.go.jp/bosai/#pattern=default",
                ),
                link("", " "),
                link("内閣府 防災", "HTTPS://www.bousai.go.jp/"),
            ],
        };
        let info = InfoSettings::parse(&input).unwrap();
        assert_eq!(info.contacts.len(), 2);
        assert_eq!(info.contacts[0].name, "災害対策本部");
        assert_eq!(info.contacts[0].phone, "03-1234-5678");
        assert_eq!(info.contacts[0].tel_uri(), "tel:0312345678");
        assert_eq!(info.contacts[1].tel_uri(), "tel:171");
        assert_eq!(info.links.len(), 2);
        assert_eq!(info.links[1].url, "https://www.bousai.go.jp/");
        assert!(info.check().is_ok());
        assert_eq!(
            InfoSettings::parse(&InfoInput::default()),
            Ok(InfoSettings::default())
        );
    }

    #[test]
    fn each_problem_names_its_row_and_field_in_japanese() {
        let input = InfoInput {
            contacts: vec![
                contact("", "03-1234-5678", ""),
                contact("本社", "電話して", ""),
                contact("支社", "+81 3 1234 5678", &"あ".repeat(NOTE_MAX + 1)),
            ],
            links: vec![
                link("危険", "javascript:alert(1)"),
                link("", "https://example.jp/"),
                link("データ", "data:text/html,<b>x</b>"),
                link("URLなし", ""),
                link("改\n行", "https://exa mple.jp/"),
            ],
        };
        let errors = InfoSettings::parse(&input).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "contact_name.0",
                "contact_phone.1",
                "contact_note.2",
                "link_url.0",
                "link_title.1",
                "link_url.2",
                "link_url.3",
                "link_title.4",
                "link_url.4"
            ]
        );
        assert_eq!(errors[0].label, "緊急連絡先 1行目の名称");
        assert_eq!(errors[0].message, "名称を入力してください");
        assert_eq!(errors[1].label, "緊急連絡先 2行目の電話番号");
        assert!(
            errors[1].message.contains("電話して"),
            "{}",
            errors[1].message
        );
        assert!(errors[2].message.contains("100文字以内"));
        assert_eq!(errors[3].label, "リンク 1行目のURL");
        assert!(
            errors[3].message.contains("http://"),
            "{}",
            errors[3].message
        );
        assert!(errors[7].message.contains("改行"), "{}", errors[7].message);
    }

    #[test]
    fn only_web_links_are_kept_and_a_japanese_path_is_encoded() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript://%0aalert(1)",
            "vbscript:x",
            "data:text/html,x",
            "file:///etc/passwd",
            "//evil.example/",
            "/relative",
            "https://",
            "https:///path",
            "https://user@evil.example/",
            "https://例え.jp/",
            "https://example.jp/\"onmouseover=",
            "https://example.jp/<script>",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert_eq!(
            check_url("https://example.jp/防災?q=避難 ").unwrap(),
            "https://example.jp/%E9%98%B2%E7%81%BD?q=%E9%81%BF%E9%9B%A3"
        );
        assert_eq!(check_url("http://a.example").unwrap(), "http://a.example");
        let long = format!("https://example.jp/{}", "a".repeat(URL_MAX));
        assert!(check_url(&long).unwrap_err().contains("500文字以内"));
    }

    #[test]
    fn too_many_rows_are_refused() {
        let input = InfoInput {
            contacts: (0..=MAX_CONTACTS)
                .map(|i| contact(&format!("連絡先{i}"), "03-0000-0000", ""))
                .collect(),
            links: vec![],
        };
        let errors = InfoSettings::parse(&input).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "contacts");
        assert!(errors[0].message.contains("31件"));
    }

    fn route(map: &str) -> RouteInput {
        RouteInput {
            name: "本庁舎から第一避難所".into(),
            map: map.into(),
            origin: "東京都千代田区九段南1-2-1".into(),
            destination: "千代田区立九段小学校 & 体育館".into(),
        }
    }

    #[test]
    fn a_route_opens_on_foot_in_the_chosen_map_with_its_places_encoded() {
        let google = Route::parse(1, &route("google")).unwrap();
        assert_eq!(
            google.map_url(),
            "https://www.google.com/maps/dir/?api=1\
             &origin=%E6%9D%B1%E4%BA%AC%E9%83%BD%E5%8D%83%E4%BB%A3%E7%94%B0%E5%8C%BA%E4%B9%9D%E6%AE%B5%E5%8D%971-2-1\
             &destination=%E5%8D%83%E4%BB%A3%E7%94%B0%E5%8C%BA%E7%AB%8B%E4%B9%9D%E6%AE%B5%E5%B0%8F%E5%AD%A6%E6%A0%A1%20%26%20%E4%BD%93%E8%82%B2%E9%A4%A8\
             &travelmode=walking"
        );
        let osm = Route::parse(2, &route("open_street_map")).unwrap();
        let url = osm.map_url();
        assert!(
            url.starts_with(
                "https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&from=%E6%9D%B1"
            ),
            "{url}"
        );
        assert!(
            url.contains("&to=%E5%8D%83") && url.contains("%20%26%20"),
            "{url}"
        );
        assert!(!url.contains(' ') && !url.contains("& "));
        assert!(google.check().is_ok() && osm.check().is_ok());
        assert_eq!(encode_component("a b/c?d=e&f#"), "a%20b%2Fc%3Fd%3De%26f%23");
    }

    #[test]
    fn a_route_needs_a_name_a_map_and_both_places() {
        let errors = Route::parse(
            1,
            &RouteInput {
                name: " ".into(),
                map: "bing".into(),
                origin: "".into(),
                destination: "x\u{202E}y".into(),
            },
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "route_name",
                "route_map",
                "route_origin",
                "route_destination"
            ]
        );
        assert_eq!(errors[1].message, "使用する地図を選んでください");
        assert_eq!(errors[2].label, "出発地");
        assert!(errors[3].message.contains("U+202E"));
    }

    #[test]
    fn notices_are_checked_and_members_see_the_live_ones_newest_first() {
        let draft = NoticeDraft {
            title: " 本日の出社について ".into(),
            body: "\r\n本日は自宅待機としてください。\r\n電車は運休中です。\r\n".into(),
        }
        .check()
        .unwrap();
        assert_eq!(draft.title, "本日の出社について");
        assert_eq!(
            draft.body,
            "本日は自宅待機としてください。\n電車は運休中です。"
        );
        let empty = NoticeDraft::default().check().unwrap_err();
        let fields: Vec<&str> = empty.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["notice_title", "notice_body"]);
        let long = NoticeDraft {
            title: "t".into(),
            body: "あ".repeat(NOTICE_BODY_MAX + 1),
        };
        assert!(
            long.check().unwrap_err()[0]
                .message
                .contains("2000文字以内")
        );

        let admin = AccountId::parse("admin").unwrap();
        let at = |minute: u32| {
            chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, 1, 9, minute, 0).unwrap()
        };
        let first = draft.clone().post(1, at(0), admin.clone());
        let second = draft.clone().post(2, at(5), admin.clone());
        let third = draft.clone().post(3, at(5), admin.clone());
        let fourth = draft.post(4, at(10), admin);
        let shown: Vec<u32> = for_members([
            (&first, false),
            (&second, false),
            (&third, false),
            (&fourth, true),
        ])
        .into_iter()
        .map(|n| n.id)
        .collect();
        assert_eq!(shown, [3, 2, 1], "newest first, the withdrawn one hidden");
        assert_eq!(check_withdraw_reason(" 誤記 ").unwrap(), "誤記");
        assert_eq!(
            check_withdraw_reason("").unwrap_err()[0].field,
            "withdraw_reason"
        );
    }
}
