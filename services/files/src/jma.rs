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
//! Every error names what is wrong in Japanese with the byte offset or the element
//! path. The format facts and their sources: `schemas/jma/README.md`.

use std::fmt;

use anpi_core::rollcall::jma::{
    AreaIntensity, CityIntensity, InfoType, Intensity, PrefectureIntensity, Telegram, TelegramKind,
    TelegramStatus,
};
use chrono::{DateTime, Utc};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// The largest telegram read (2 MiB). The largest real ones, 震源・震度に関する情報 of
/// a great earthquake listing every station, are a few hundred kilobytes.
pub const MAX_TELEGRAM_BYTES: usize = 2 * 1024 * 1024;

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

fn path_text(path: &[String]) -> String {
    path.join("/")
}

/// Reads one telegram.
pub fn parse_telegram(bytes: &[u8]) -> Result<Telegram, JmaError> {
    if bytes.len() > MAX_TELEGRAM_BYTES {
        return Err(JmaError::TooLarge { bytes: bytes.len() });
    }
    let source = std::str::from_utf8(bytes).map_err(|error| JmaError::NotUtf8 {
        position: error.valid_up_to(),
    })?;
    let mut reader = Reader::from_str(source);
    // An end tag must close the element it names (the default, kept explicit).
    reader.config_mut().check_end_names = true;

    let mut draft = Draft::default();
    // The local names from the root to the element being read.
    let mut stack: Vec<String> = Vec::new();
    // The element's text so far: it may come in pieces around references, and is
    // trimmed when the element ends.
    let mut text = String::new();
    let mut root_seen = false;
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|error| JmaError::Malformed {
            position: reader.error_position(),
            message: japanese(&error),
        })?;
        match event {
            Event::Start(start) => {
                open(&mut stack, &mut draft, &start, root_seen, position)?;
                root_seen = true;
                text.clear();
            }
            Event::Empty(start) => {
                open(&mut stack, &mut draft, &start, root_seen, position)?;
                root_seen = true;
                text.clear();
                close(&mut stack, &mut draft, "", reader.buffer_position())?;
            }
            Event::End(_) => {
                close(
                    &mut stack,
                    &mut draft,
                    text.trim(),
                    reader.buffer_position(),
                )?;
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
        return Err(JmaError::NotReport {
            found: "（要素がありません）".into(),
        });
    }
    finish(draft)
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

/// A start tag: checks the root, pushes the local name and opens the intensity
/// entries.
fn open(
    stack: &mut Vec<String>,
    draft: &mut Draft,
    start: &BytesStart<'_>,
    root_seen: bool,
    position: u64,
) -> Result<(), JmaError> {
    let local = start.local_name();
    let name = local.as_ref().to_string();
    if stack.is_empty() {
        if root_seen {
            return Err(JmaError::Malformed {
                position,
                message: format!("ルート要素の後にもう一つの要素 {name} があります"),
            });
        }
        if name != "Report" {
            return Err(JmaError::NotReport { found: name });
        }
    }
    stack.push(name);
    let path: Vec<&str> = stack.iter().map(String::as_str).collect();
    match observation_tail(&path) {
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
    if path.as_slice() == ["Report", "Body", "Earthquake", "Magnitude"] {
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
fn intensity(path: &[String], of: &str, position: u64, value: &str) -> Result<Intensity, JmaError> {
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

/// An end tag: stores the element's text where its path says, pops it.
fn close(
    stack: &mut Vec<String>,
    draft: &mut Draft,
    value: &str,
    position: u64,
) -> Result<(), JmaError> {
    let path: Vec<&str> = stack.iter().map(String::as_str).collect();
    let owned = || Some(value.to_string());
    match path.as_slice() {
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
    match observation_tail(&path) {
        Some(["MaxInt"]) if !value.is_empty() => {
            draft.max_intensity = Some(intensity(stack, "", position, value)?);
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
                    Some(intensity(stack, &of, position, value)?)
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
    stack.pop();
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

#[cfg(test)]
mod tests;
