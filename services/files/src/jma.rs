//! Reading the Japan Meteorological Agency's earthquake telegrams (気象庁防災情報XML)
//! into `anpi_core::rollcall::jma::Telegram` (K-08). R: issue 20 item 3.
//!
//! [`parse_telegram`] reads one telegram: UTF-8 only, at most [`MAX_TELEGRAM_BYTES`],
//! no DOCTYPE (so no entity declarations and no external entities: only the five
//! predefined entities and character references are taken). Elements are matched by
//! their local name, whatever namespace prefix they carry (the telegrams put `Head`
//! and `Body` in namespaces of their own and write `jmx_eb:Magnitude`); the path
//! from the root decides what an element is:
//!
//! - `Report/Control/Title` decides the kind (`TelegramKind::from_title`),
//!   `Report/Control/Status` the status (通常, 訓練, 試験);
//! - `Report/Head/InfoType` (発表, 訂正, 取消), `EventID`, `Serial`, `ReportDateTime`
//!   and `Headline/Text`;
//! - `Report/Body/Earthquake/Hypocenter/Area/Name` and `Report/Body/Earthquake/Magnitude`
//!   (its `description` attribute, else its value);
//! - `Report/Body/Intensity/Observation/MaxInt` and `…/Observation/Pref`, its `Area`
//!   and their `City` elements, each with `Name`, `Code`, `MaxInt` and `Condition`
//!   (「震度５弱以上未入電」); `IntensityStation` and everything else is skipped.
//!
//! [`parse_atom`] reads the agency's Atom feed (RFC 4287) that lists the telegrams as
//! they are published, with the same limits: per entry its `id`, `title`, `updated`
//! and the `link` to the telegram. [`parse_conditions`] reads a roll-call conditions
//! file (JSON) and checks it with `anpi_core::rollcall::jma::check_conditions`.
//!
//! Every error names what is wrong in Japanese with the byte offset or the element
//! path. The format facts and their sources: `schemas/jma/README.md`.

use std::fmt;

use anpi_core::rollcall::jma::{
    AreaIntensity, CityIntensity, Condition, InfoType, Intensity, PrefectureIntensity, Telegram,
    TelegramKind, TelegramStatus, check_conditions,
};
use chrono::{DateTime, Utc};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// The largest telegram read (2 MiB). The largest real ones, 震源・震度に関する情報 of
/// a great earthquake listing every station, are a few hundred kilobytes.
pub const MAX_TELEGRAM_BYTES: usize = 2 * 1024 * 1024;

/// The largest Atom feed read (4 MiB). The agency's long-term feeds of a few days hold
/// a few thousand entries, well under a megabyte.
pub const MAX_FEED_BYTES: usize = 4 * 1024 * 1024;

/// The largest conditions file read (1 MiB).
pub const MAX_CONDITIONS_BYTES: usize = 1024 * 1024;

/// Why a telegram could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JmaError {
    /// Over [`MAX_TELEGRAM_BYTES`].
    TooLarge { bytes: usize },
    /// Not UTF-8 from this byte on.
    NotUtf8 { position: usize },
    /// The XML declaration names another encoding.
    Encoding { declared: String },
    /// Not well-formed XML (the parser's message) near this byte.
    Malformed { position: u64, message: String },
    /// A DOCTYPE (and so entity declarations) at this byte.
    Doctype { position: u64 },
    /// An entity reference other than the five predefined ones.
    Entity { position: u64, name: String },
    /// The root element is not `Report` (or there is none).
    NotReport { found: String },
    /// An Atom feed over [`MAX_FEED_BYTES`].
    FeedTooLarge { bytes: usize },
    /// The root element of a feed is not Atom's `feed` (or there is none).
    NotFeed { found: String },
    /// A required element is missing or empty (its path).
    Missing { path: String },
    /// An element's value cannot be read.
    Value {
        path: String,
        position: u64,
        value: String,
        expected: &'static str,
    },
}

impl fmt::Display for JmaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JmaError::TooLarge { bytes } => write!(
                f,
                "ファイルが大きすぎます（{bytes}バイト）。気象庁の電文として読めるのは{MAX_TELEGRAM_BYTES}バイト（2MB）までです"
            ),
            JmaError::NotUtf8 { position } => write!(
                f,
                "{position}バイト目から UTF-8 として読めません。気象庁の電文は UTF-8 です"
            ),
            JmaError::Encoding { declared } => write!(
                f,
                "XML宣言の文字コードが「{declared}」です。UTF-8 の電文だけを読みます"
            ),
            JmaError::Malformed { position, message } => {
                write!(
                    f,
                    "XMLとして正しくありません（{position}バイト目付近）: {message}"
                )
            }
            JmaError::Doctype { position } => write!(
                f,
                "{position}バイト目に DOCTYPE 宣言があります。実体宣言や外部実体を含みうるため読みません（気象庁の電文には DOCTYPE はありません）"
            ),
            JmaError::Entity { position, name } => write!(
                f,
                "{position}バイト目の実体参照「&{name};」は定義されていません（使えるのは &amp; &lt; &gt; &quot; &apos; と文字参照だけです）"
            ),
            JmaError::NotReport { found } => write!(
                f,
                "気象庁防災情報XMLの電文ではありません（ルート要素が Report ではなく {found}）"
            ),
            JmaError::FeedTooLarge { bytes } => write!(
                f,
                "フィードが大きすぎます（{bytes}バイト）。読めるのは{MAX_FEED_BYTES}バイト（4MB）までです"
            ),
            JmaError::NotFeed { found } => write!(
                f,
                "Atom フィードではありません（ルート要素が feed ではなく {found}）"
            ),
            JmaError::Missing { path } => write!(f, "{path} がありません"),
            JmaError::Value {
                path,
                position,
                value,
                expected,
            } => write!(
                f,
                "{path}（{position}バイト目付近）の値「{value}」は読めません（{expected}）"
            ),
        }
    }
}

impl std::error::Error for JmaError {}

/// What is collected while reading, before the required parts are checked.
#[derive(Default)]
struct Draft {
    title: Option<String>,
    status: Option<(String, u64)>,
    control_time: Option<(String, u64)>,
    info_type: Option<(String, u64)>,
    event_id: Option<String>,
    serial: Option<String>,
    report_time: Option<(String, u64)>,
    headline: Option<String>,
    hypocentre: Option<String>,
    magnitude: Option<String>,
    magnitude_description: Option<String>,
    max_intensity: Option<Intensity>,
    prefectures: Vec<PrefectureIntensity>,
}

/// Where the observed intensities are (local names from the root).
const OBSERVATION: [&str; 4] = ["Report", "Body", "Intensity", "Observation"];

/// The part of a path below `Report/Body/Intensity/Observation`, if it is there.
fn observation_tail<'a>(path: &'a [&'a str]) -> Option<&'a [&'a str]> {
    path.strip_prefix(OBSERVATION.as_slice())
        .filter(|tail| !tail.is_empty())
}

/// 「震度５弱以上未入電」 (in any width of digit): an intensity of 5弱 or more was measured
/// and its value has not arrived.
fn unreceived(value: &str) -> bool {
    let normal: String = value
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            _ => c,
        })
        .collect();
    normal.contains("5弱以上未入電")
}

fn path_text(path: &[&str]) -> String {
    path.join("/")
}

/// Reads one telegram.
pub fn parse_telegram(bytes: &[u8]) -> Result<Telegram, JmaError> {
    if bytes.len() > MAX_TELEGRAM_BYTES {
        return Err(JmaError::TooLarge { bytes: bytes.len() });
    }
    let mut draft = Draft::default();
    read_xml(bytes, &mut draft)?;
    finish(draft)
}

/// What one kind of document (a telegram, an Atom feed) does with its elements while
/// [`read_xml`] walks it.
trait Handler {
    /// The root element's local name.
    const ROOT: &'static str;
    /// The error for another root element (`found`: its name, or a note that there
    /// is none).
    fn wrong_root(found: String) -> JmaError;
    /// An element opened; `path`: the local names from the root down to it.
    fn open(
        &mut self,
        path: &[&str],
        start: &BytesStart<'_>,
        position: u64,
    ) -> Result<(), JmaError>;
    /// An element closed, with its text (trimmed); `path` as for `open`.
    fn close(&mut self, path: &[&str], value: &str, position: u64) -> Result<(), JmaError>;
}

/// Walks a document with quick-xml's pull reader: UTF-8 only (an XML declaration
/// naming another encoding is refused), no DOCTYPE, only the five predefined entities
/// and character references, one root element named `H::ROOT`, nothing but
/// whitespace outside it. Elements are given to `handler` by their local names.
fn read_xml<H: Handler>(bytes: &[u8], handler: &mut H) -> Result<(), JmaError> {
    let source = std::str::from_utf8(bytes).map_err(|error| JmaError::NotUtf8 {
        position: error.valid_up_to(),
    })?;
    let mut reader = Reader::from_str(source);
    // An end tag must close the element it names (the default, kept explicit).
    reader.config_mut().check_end_names = true;

    // The local names from the root to the element being read.
    let mut stack: Vec<String> = Vec::new();
    // The element's text so far: it may come in pieces around references, and is
    // trimmed when the element ends.
    let mut text = String::new();
    let mut root_seen = false;
    let opened = |stack: &mut Vec<String>,
                  handler: &mut H,
                  start: &BytesStart<'_>,
                  root_seen: bool,
                  position: u64|
     -> Result<(), JmaError> {
        let name = start.local_name().as_ref().to_string();
        if stack.is_empty() {
            if root_seen {
                return Err(JmaError::Malformed {
                    position,
                    message: format!("ルート要素の後にもう一つの要素 {name} があります"),
                });
            }
            if name != H::ROOT {
                return Err(H::wrong_root(name));
            }
        }
        stack.push(name);
        let path: Vec<&str> = stack.iter().map(String::as_str).collect();
        handler.open(&path, start, position)
    };
    let closed = |stack: &mut Vec<String>,
                  handler: &mut H,
                  value: &str,
                  position: u64|
     -> Result<(), JmaError> {
        let path: Vec<&str> = stack.iter().map(String::as_str).collect();
        handler.close(&path, value, position)?;
        stack.pop();
        Ok(())
    };
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|error| JmaError::Malformed {
            position: reader.error_position(),
            message: japanese(&error),
        })?;
        match event {
            Event::Start(start) => {
                opened(&mut stack, handler, &start, root_seen, position)?;
                root_seen = true;
                text.clear();
            }
            Event::Empty(start) => {
                opened(&mut stack, handler, &start, root_seen, position)?;
                root_seen = true;
                text.clear();
                closed(&mut stack, handler, "", reader.buffer_position())?;
            }
            Event::End(_) => {
                closed(&mut stack, handler, text.trim(), reader.buffer_position())?;
                text.clear();
            }
            Event::Text(content) => {
                if stack.is_empty() && !content.xml10_content().trim().is_empty() {
                    return Err(JmaError::Malformed {
                        position,
                        message: "要素の外に文字があります".into(),
                    });
                }
                text.push_str(&content.xml10_content());
            }
            Event::CData(content) => {
                if stack.is_empty() {
                    return Err(JmaError::Malformed {
                        position,
                        message: "要素の外に CDATA があります".into(),
                    });
                }
                text.push_str(&content.xml10_content());
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match &*reference {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        name => {
                            return Err(JmaError::Entity {
                                position,
                                name: name.to_string(),
                            });
                        }
                    },
                    Err(error) => {
                        return Err(JmaError::Malformed {
                            position,
                            message: japanese(&error),
                        });
                    }
                };
                if stack.is_empty() {
                    return Err(JmaError::Malformed {
                        position,
                        message: "要素の外に文字参照があります".into(),
                    });
                }
                text.push(resolved);
            }
            Event::DocType(_) => return Err(JmaError::Doctype { position }),
            Event::Decl(declaration) => {
                if let Some(encoding) = declaration.encoding() {
                    let encoding = encoding
                        .map_err(|error| JmaError::Malformed {
                            position,
                            message: format!("XML宣言の属性が正しくありません（{error}）"),
                        })?
                        .to_string();
                    if !encoding.eq_ignore_ascii_case("utf-8")
                        && !encoding.eq_ignore_ascii_case("utf8")
                    {
                        return Err(JmaError::Encoding { declared: encoding });
                    }
                }
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(JmaError::Malformed {
            position: text_len(bytes),
            message: format!("要素 {open} が閉じられないまま終わっています"),
        });
    }
    if !root_seen {
        return Err(H::wrong_root("（要素がありません）".into()));
    }
    Ok(())
}

/// The XML reader's error in Japanese.
fn japanese(error: &quick_xml::Error) -> String {
    use quick_xml::errors::{IllFormedError as Ill, SyntaxError as Syntax};
    match error {
        quick_xml::Error::Syntax(syntax) => match syntax {
            Syntax::InvalidBangMarkup => "「<!」で始まる記述が正しくありません".into(),
            Syntax::UnclosedPI => "処理命令（<?…?>）が閉じられていません".into(),
            Syntax::UnclosedXmlDecl => "XML宣言が閉じられていません".into(),
            Syntax::UnclosedComment => "コメント（<!--…-->）が閉じられていません".into(),
            Syntax::UnclosedDoctype => "DOCTYPE 宣言が閉じられていません".into(),
            Syntax::UnclosedCData => "CDATA セクションが閉じられていません".into(),
            Syntax::UnclosedTag => "タグが「>」で閉じられていません".into(),
            Syntax::UnclosedSingleQuotedAttributeValue
            | Syntax::UnclosedDoubleQuotedAttributeValue => {
                "属性値の引用符が閉じられていません".into()
            }
        },
        quick_xml::Error::IllFormed(ill) => match ill {
            Ill::MissingDeclVersion(_) => "XML宣言の最初に version がありません".into(),
            Ill::UnknownVersion => "XML宣言の version が 1.0 でも 1.1 でもありません".into(),
            Ill::MissingDoctypeName => "DOCTYPE 宣言に名前がありません".into(),
            Ill::MissingEndTag(name) => format!("終了タグ </{name}> がありません"),
            Ill::UnmatchedEndTag(name) => {
                format!("対応する開始タグのない終了タグ </{name}> があります")
            }
            Ill::MismatchedEndTag { expected, found } => {
                format!("終了タグ </{found}> の前に <{expected}> が閉じられていません")
            }
            Ill::DoubleHyphenInComment => "コメントの中に「--」があります".into(),
            Ill::UnclosedReference => "「&」で始まる参照が「;」で閉じられていません".into(),
        },
        quick_xml::Error::InvalidAttr(error) => format!("属性が正しくありません（{error}）"),
        quick_xml::Error::Escape(error) => {
            format!("実体参照・文字参照が正しくありません（{error}）")
        }
        quick_xml::Error::Encoding(error) => format!("文字コードの誤りです（{error}）"),
        quick_xml::Error::Namespace(error) => format!("名前空間の誤りです（{error}）"),
        quick_xml::Error::Io(error) => format!("読み取れません（{error}）"),
    }
}

fn text_len(bytes: &[u8]) -> u64 {
    bytes.len() as u64
}

impl Handler for Draft {
    const ROOT: &'static str = "Report";

    fn wrong_root(found: String) -> JmaError {
        JmaError::NotReport { found }
    }

    fn open(
        &mut self,
        path: &[&str],
        start: &BytesStart<'_>,
        position: u64,
    ) -> Result<(), JmaError> {
        open(self, path, start, position)
    }

    fn close(&mut self, path: &[&str], value: &str, position: u64) -> Result<(), JmaError> {
        close(self, path, value, position)
    }
}

/// A start tag of a telegram: opens the intensity entries, reads the magnitude's
/// description.
fn open(
    draft: &mut Draft,
    path: &[&str],
    start: &BytesStart<'_>,
    position: u64,
) -> Result<(), JmaError> {
    match observation_tail(path) {
        Some(["Pref"]) => draft.prefectures.push(PrefectureIntensity {
            code: String::new(),
            name: String::new(),
            max: None,
            unreceived: false,
            areas: Vec::new(),
        }),
        Some(["Pref", "Area"]) => {
            if let Some(pref) = draft.prefectures.last_mut() {
                pref.areas.push(AreaIntensity {
                    code: String::new(),
                    name: String::new(),
                    max: None,
                    unreceived: false,
                    cities: Vec::new(),
                });
            }
        }
        Some(["Pref", "Area", "City"]) => {
            if let Some(area) = draft
                .prefectures
                .last_mut()
                .and_then(|pref| pref.areas.last_mut())
            {
                area.cities.push(CityIntensity {
                    code: String::new(),
                    name: String::new(),
                    max: None,
                    unreceived: false,
                });
            }
        }
        _ => {}
    }
    if path == ["Report", "Body", "Earthquake", "Magnitude"] {
        let description =
            start
                .try_get_attribute("description")
                .map_err(|error| JmaError::Malformed {
                    position,
                    message: format!("属性が正しくありません（{error}）"),
                })?;
        if let Some(description) = description {
            let value = description
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|error| JmaError::Malformed {
                    position,
                    message: japanese(&error),
                })?;
            let value = value.trim();
            if !value.is_empty() {
                draft.magnitude_description = Some(value.to_string());
            }
        }
    }
    Ok(())
}

/// The fields of an intensity entry (prefecture, area or city).
struct Fields<'a> {
    code: &'a mut String,
    name: &'a mut String,
    max: &'a mut Option<Intensity>,
    unreceived: &'a mut bool,
}

/// The entry an element of the observation belongs to: `depth` 0 the prefecture, 1 its
/// last area, 2 that area's last city.
fn entry(draft: &mut Draft, depth: usize) -> Option<Fields<'_>> {
    let pref = draft.prefectures.last_mut()?;
    if depth == 0 {
        return Some(Fields {
            code: &mut pref.code,
            name: &mut pref.name,
            max: &mut pref.max,
            unreceived: &mut pref.unreceived,
        });
    }
    let area = pref.areas.last_mut()?;
    if depth == 1 {
        return Some(Fields {
            code: &mut area.code,
            name: &mut area.name,
            max: &mut area.max,
            unreceived: &mut area.unreceived,
        });
    }
    let city = area.cities.last_mut()?;
    Some(Fields {
        code: &mut city.code,
        name: &mut city.name,
        max: &mut city.max,
        unreceived: &mut city.unreceived,
    })
}

/// Reads a `MaxInt`; an error names the element's path and the place it is of.
fn intensity(path: &[&str], of: &str, position: u64, value: &str) -> Result<Intensity, JmaError> {
    Intensity::from_code(value).ok_or_else(|| JmaError::Value {
        path: if of.is_empty() {
            path_text(path)
        } else {
            format!("{}（{of}）", path_text(path))
        },
        position,
        value: value.to_string(),
        expected: "震度は 1, 2, 3, 4, 5-, 5+, 6-, 6+, 7 のいずれか",
    })
}

/// An end tag of a telegram: stores the element's text where its path says.
fn close(draft: &mut Draft, path: &[&str], value: &str, position: u64) -> Result<(), JmaError> {
    let owned = || Some(value.to_string());
    match path {
        ["Report", "Control", "Title"] => draft.title = owned(),
        ["Report", "Control", "Status"] => draft.status = Some((value.to_string(), position)),
        ["Report", "Control", "DateTime"] => {
            draft.control_time = Some((value.to_string(), position))
        }
        ["Report", "Head", "InfoType"] => draft.info_type = Some((value.to_string(), position)),
        ["Report", "Head", "EventID"] => draft.event_id = owned(),
        ["Report", "Head", "Serial"] => draft.serial = owned(),
        ["Report", "Head", "ReportDateTime"] => {
            draft.report_time = Some((value.to_string(), position))
        }
        ["Report", "Head", "Headline", "Text"] => draft.headline = owned(),
        ["Report", "Body", "Earthquake", "Hypocenter", "Area", "Name"] => {
            draft.hypocentre = Some(value.to_string()).filter(|v| !v.is_empty())
        }
        ["Report", "Body", "Earthquake", "Magnitude"] => {
            draft.magnitude = Some(value.to_string()).filter(|v| !v.is_empty())
        }
        _ => {}
    }
    match observation_tail(path) {
        Some(["MaxInt"]) if !value.is_empty() => {
            draft.max_intensity = Some(intensity(path, "", position, value)?);
        }
        Some([rest @ .., field])
            if matches!(rest, ["Pref"] | ["Pref", "Area"] | ["Pref", "Area", "City"])
                && matches!(*field, "Name" | "Code" | "MaxInt" | "Condition") =>
        {
            let depth = rest.len() - 1;
            let read = match *field {
                "MaxInt" if !value.is_empty() => {
                    let of = entry(draft, depth)
                        .map(|fields| fields.name.clone())
                        .unwrap_or_default();
                    Some(intensity(path, &of, position, value)?)
                }
                _ => None,
            };
            if let Some(fields) = entry(draft, depth) {
                match *field {
                    "Name" => *fields.name = value.to_string(),
                    "Code" => *fields.code = value.to_string(),
                    "MaxInt" => *fields.max = read,
                    _ => {
                        if unreceived(value) {
                            *fields.unreceived = true;
                        }
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn time(path: &str, (value, position): (String, u64)) -> Result<DateTime<Utc>, JmaError> {
    DateTime::parse_from_rfc3339(&value)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| JmaError::Value {
            path: path.to_string(),
            position,
            value,
            expected: "日時は 2026-12-06T09:17:00+09:00 の形",
        })
}

/// Checks the required parts and builds the telegram.
fn finish(draft: Draft) -> Result<Telegram, JmaError> {
    let missing = |path: &str| JmaError::Missing {
        path: path.to_string(),
    };
    let title = draft
        .title
        .filter(|t| !t.is_empty())
        .ok_or_else(|| missing("Report/Control/Title"))?;
    let kind = TelegramKind::from_title(&title);
    let (status_text, status_at) = draft
        .status
        .filter(|(s, _)| !s.is_empty())
        .ok_or_else(|| missing("Report/Control/Status"))?;
    let status = TelegramStatus::parse(&status_text).ok_or(JmaError::Value {
        path: "Report/Control/Status".into(),
        position: status_at,
        value: status_text.clone(),
        expected: "通常・訓練・試験のいずれか",
    })?;
    let earthquake = kind.is_earthquake_information();
    let info_type = match draft.info_type.filter(|(s, _)| !s.is_empty()) {
        Some((text, at)) => match InfoType::parse(&text) {
            Some(info_type) => info_type,
            // Other telegrams are only logged: an InfoType the rules do not know is not
            // a reason to refuse them.
            None if matches!(kind, TelegramKind::Other(_)) => InfoType::Issued,
            None => {
                return Err(JmaError::Value {
                    path: "Report/Head/InfoType".into(),
                    position: at,
                    value: text,
                    expected: "発表・訂正・取消のいずれか",
                });
            }
        },
        None if matches!(kind, TelegramKind::Other(_)) => InfoType::Issued,
        None => return Err(missing("Report/Head/InfoType")),
    };
    let event_id = draft.event_id.unwrap_or_default();
    if earthquake && event_id.is_empty() {
        return Err(JmaError::Missing {
            path: format!("Report/Head/EventID（{}の電文には必要です）", kind.label()),
        });
    }
    let report_time = match (draft.report_time, draft.control_time) {
        (Some(report), _) if !report.0.is_empty() => time("Report/Head/ReportDateTime", report)?,
        (_, Some(control)) if !earthquake && !control.0.is_empty() => {
            time("Report/Control/DateTime", control)?
        }
        _ => return Err(missing("Report/Head/ReportDateTime")),
    };
    Ok(Telegram {
        kind,
        title,
        status,
        info_type,
        event_id,
        serial: draft.serial.unwrap_or_default(),
        report_time,
        headline: draft.headline.unwrap_or_default(),
        hypocentre: draft.hypocentre,
        magnitude: draft.magnitude_description.or(draft.magnitude),
        max_intensity: draft.max_intensity,
        prefectures: draft.prefectures,
    })
}

// ---------------------------------------------------------------------------------
// The Atom feed

/// One entry of an Atom feed: in the agency's feeds, one telegram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// `atom:id`: the entry's identity, unique and kept (the agency's is the telegram's
    /// address).
    pub id: String,
    /// `atom:title`: the telegram's Control/Title (震度速報, 震源・震度に関する情報 …).
    pub title: String,
    /// `atom:updated`, when it reads as RFC 3339.
    pub updated: Option<DateTime<Utc>>,
    /// `href` of the first `atom:link` that is the entry itself (`rel` absent or
    /// `alternate`), as written: it may be relative to the feed's address.
    pub link: Option<String>,
}

impl FeedEntry {
    /// Whether the title names an earthquake telegram that the roll-call rules read
    /// (震度速報, 震源に関する情報, 震源・震度に関する情報: VXSE51–53); the others are
    /// not fetched.
    pub fn is_earthquake_information(&self) -> bool {
        TelegramKind::from_title(&self.title).is_earthquake_information()
    }
}

/// What is collected while an Atom feed is read.
#[derive(Default)]
struct FeedDraft {
    entries: Vec<FeedEntry>,
    /// The `updated` text of the entry being read.
    updated: Option<String>,
}

impl Handler for FeedDraft {
    const ROOT: &'static str = "feed";

    fn wrong_root(found: String) -> JmaError {
        JmaError::NotFeed { found }
    }

    fn open(
        &mut self,
        path: &[&str],
        start: &BytesStart<'_>,
        position: u64,
    ) -> Result<(), JmaError> {
        match path {
            ["feed", "entry"] => {
                self.entries.push(FeedEntry {
                    id: String::new(),
                    title: String::new(),
                    updated: None,
                    link: None,
                });
                self.updated = None;
            }
            ["feed", "entry", "link"] => {
                let attribute = |name: &str| -> Result<Option<String>, JmaError> {
                    let Some(value) =
                        start
                            .try_get_attribute(name)
                            .map_err(|error| JmaError::Malformed {
                                position,
                                message: format!("属性が正しくありません（{error}）"),
                            })?
                    else {
                        return Ok(None);
                    };
                    let value =
                        value
                            .normalized_value(XmlVersion::Implicit1_0)
                            .map_err(|error| JmaError::Malformed {
                                position,
                                message: japanese(&error),
                            })?;
                    Ok(Some(value.trim().to_string()))
                };
                let rel = attribute("rel")?;
                let href = attribute("href")?.filter(|href| !href.is_empty());
                let itself = rel.as_deref().is_none_or(|rel| rel == "alternate");
                if let (Some(entry), Some(href), true) = (self.entries.last_mut(), href, itself)
                    && entry.link.is_none()
                {
                    entry.link = Some(href);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn close(&mut self, path: &[&str], value: &str, _position: u64) -> Result<(), JmaError> {
        let Some(entry) = self.entries.last_mut() else {
            return Ok(());
        };
        match path {
            ["feed", "entry", "id"] => entry.id = value.to_string(),
            ["feed", "entry", "title"] => entry.title = value.to_string(),
            ["feed", "entry", "updated"] => self.updated = Some(value.to_string()),
            ["feed", "entry"] => {
                entry.updated = self
                    .updated
                    .take()
                    .and_then(|text| DateTime::parse_from_rfc3339(&text).ok())
                    .map(|time| time.with_timezone(&Utc));
            }
            _ => {}
        }
        Ok(())
    }
}

/// Reads an Atom feed (RFC 4287) as the agency publishes its telegrams: the entries in
/// the order written (the agency's newest first). Elements are matched by local name
/// (`feed`, `entry`, `id`, `title`, `updated`, `link`), whatever their namespace
/// prefix; everything else (the feed's own title, `author`, `content` …) is skipped.
/// An entry without `id` is dropped (nothing could remember it); an entry without a
/// link is kept with `link: None`, for the caller to log. UTF-8 only, at most
/// [`MAX_FEED_BYTES`], no DOCTYPE, as for telegrams.
pub fn parse_atom(bytes: &[u8]) -> Result<Vec<FeedEntry>, JmaError> {
    if bytes.len() > MAX_FEED_BYTES {
        return Err(JmaError::FeedTooLarge { bytes: bytes.len() });
    }
    let mut draft = FeedDraft::default();
    read_xml(bytes, &mut draft)?;
    Ok(draft
        .entries
        .into_iter()
        .filter(|entry| !entry.id.is_empty())
        .collect())
}

// ---------------------------------------------------------------------------------
// The conditions file

/// Reads a conditions file's text (a JSON array of conditions, UTF-8; a leading BOM
/// as some editors write is skipped) and checks it: every problem at once, in
/// Japanese (`check_conditions`), or the line and column where the JSON is wrong.
/// The format: `schemas/jma/README.md`.
pub fn parse_conditions(text: &str) -> Result<Vec<Condition>, Vec<String>> {
    if text.len() > MAX_CONDITIONS_BYTES {
        return Err(vec![format!(
            "条件ファイルが大きすぎます（{}バイト、{MAX_CONDITIONS_BYTES}バイトまで）",
            text.len()
        )]);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let conditions: Vec<Condition> = serde_json::from_str(text).map_err(|error| {
        vec![format!(
            "{}行{}列: JSON として読めません（{error}）",
            error.line(),
            error.column()
        )]
    })?;
    let problems = check_conditions(&conditions);
    if problems.is_empty() {
        Ok(conditions)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests;
