//! Automatic roll-call dispatch from the Japan Meteorological Agency's earthquake
//! telegrams (気象庁防災情報XML; K-08, issue 20 item 3): the rules only.
//!
//! The XML is read by `anpi_files::jma::parse_telegram` into a [`Telegram`]; this
//! module decides, per roll-call [`Condition`], whether a telegram starts a roll-call
//! ([`Decision::Dispatch`]), cancels one ([`Decision::Cancel`]) or changes nothing
//! ([`Decision::Ignore`]), and says why in Japanese. [`Evaluator`] keeps what was
//! decided before (serde, so that a node can store it); it does no I/O and reads no
//! clock: the caller passes `now`.
//!
//! The rules (issue 20; the conditions file is described in `schemas/jma/README.md`):
//! - only 震度速報 (VXSE51) and 震源・震度に関する情報 (VXSE53) carry observed
//!   intensities and can dispatch; 震源に関する情報 (VXSE52), earthquake early warnings
//!   (緊急地震速報, VXSE43–45) and every other telegram are ignored with the reason;
//! - a condition qualifies when an intensity at or above its `min_intensity` was
//!   observed in one of the prefectures, areas (地震情報／細分区域) or cities
//!   (市町村等) one of its targets names; a city reported as 「震度５弱以上未入電」
//!   (an intensity of 5弱 or more whose value has not arrived) counts as 5弱;
//! - one dispatch per EventID per condition; a later telegram of the same event
//!   (a VXSE53 after the VXSE51, or a 訂正) dispatches only for the organisations that
//!   newly qualify;
//! - 取消 cancels what this condition dispatched for that event ([`Decision::Cancel`],
//!   once), and is ignored where nothing was dispatched; a later 発表 of the same
//!   event after a 取消 is evaluated afresh;
//! - a telegram whose Control/Status is not 通常 never starts an actual roll-call:
//!   訓練 starts a drill only for a condition with `drill_on_training`, 試験 nothing;
//! - after a dispatch, a condition dispatches for no other event (of the same mode)
//!   for `suppress_minutes`, counted from that dispatch (cancelled ones do not count);
//! - a dispatch is due `delay_minutes` after the telegram's report time;
//! - a telegram read more than [`EXPIRY_MINUTES`] after a dispatch would have been due
//!   (a node that was down, or started on an old feed) dispatches nothing: the
//!   roll-call would come too late to help and would confuse (its 取消 still cancels).
//!
//! Format facts relied on (element names, values, codes) are listed with their
//! sources in `schemas/jma/README.md`.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::mode::Mode;
use super::org::OrgCode;

/// The longest roll-call title (`call::plan` refuses longer ones).
const TITLE_MAX: usize = 60;

/// The default title template of a condition's roll-call.
pub const DEFAULT_TITLE: &str = "{地域}で震度{震度}の地震";

/// The placeholders a title template may use.
pub const TITLE_PLACEHOLDERS: [&str; 4] = ["{地域}", "{震度}", "{震源}", "{条件}"];

/// The lowest level a condition may choose (issue 20: 4, 5弱, 5強, 6弱, 6強, 7).
pub const LOWEST_CONDITION: Intensity = Intensity::Four;

/// How long after it was due a dispatch may still start (3 hours): a telegram read
/// later than this after its report time plus the condition's delay dispatches
/// nothing, and a node gives up a dispatch it could not start within it ([`expired`]).
pub const EXPIRY_MINUTES: i64 = 180;

/// Whether a dispatch due at `due` is too late to start at `now` ([`EXPIRY_MINUTES`]).
pub fn expired(due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - due > Duration::minutes(EXPIRY_MINUTES)
}

// ---------------------------------------------------------------------------------
// Intensity

/// A seismic intensity of the JMA scale (気象庁震度階級) from 1 up, in order. The
/// telegrams write them `1` … `4`, `5-`, `5+`, `6-`, `6+`, `7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Intensity {
    One,
    Two,
    Three,
    Four,
    /// 5弱
    FiveLower,
    /// 5強
    FiveUpper,
    /// 6弱
    SixLower,
    /// 6強
    SixUpper,
    Seven,
}

impl Intensity {
    pub const ALL: [Intensity; 9] = [
        Intensity::One,
        Intensity::Two,
        Intensity::Three,
        Intensity::Four,
        Intensity::FiveLower,
        Intensity::FiveUpper,
        Intensity::SixLower,
        Intensity::SixUpper,
        Intensity::Seven,
    ];

    /// The form the telegrams use (`5-`).
    pub fn code(self) -> &'static str {
        match self {
            Intensity::One => "1",
            Intensity::Two => "2",
            Intensity::Three => "3",
            Intensity::Four => "4",
            Intensity::FiveLower => "5-",
            Intensity::FiveUpper => "5+",
            Intensity::SixLower => "6-",
            Intensity::SixUpper => "6+",
            Intensity::Seven => "7",
        }
    }

    /// The Japanese form without 「震度」 (`5弱`).
    pub fn label(self) -> &'static str {
        match self {
            Intensity::One => "1",
            Intensity::Two => "2",
            Intensity::Three => "3",
            Intensity::Four => "4",
            Intensity::FiveLower => "5弱",
            Intensity::FiveUpper => "5強",
            Intensity::SixLower => "6弱",
            Intensity::SixUpper => "6強",
            Intensity::Seven => "7",
        }
    }

    /// Exactly the telegrams' form (`1`…`4`, `5-`, `5+`, `6-`, `6+`, `7`).
    pub fn from_code(text: &str) -> Option<Intensity> {
        Intensity::ALL
            .into_iter()
            .find(|intensity| intensity.code() == text)
    }

    /// The telegrams' form or Japanese: `5-`, `5弱`, `震度5弱`, `震度５弱`, `６強`;
    /// surrounding spaces and full-width characters are allowed.
    pub fn parse(text: &str) -> Option<Intensity> {
        let text: String = text.nfkc().filter(|c| !c.is_whitespace()).collect();
        let text = text.strip_prefix("震度").unwrap_or(&text);
        Intensity::ALL
            .into_iter()
            .find(|intensity| intensity.code() == text || intensity.label() == text)
    }
}

impl fmt::Display for Intensity {
    /// 「震度5弱」
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "震度{}", self.label())
    }
}

impl Serialize for Intensity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Intensity {
    /// A string [`Intensity::parse`] reads (`"5弱"`, `"5-"`), or a whole number 1–4, 7.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Intensity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("震度（\"4\"、\"5弱\"、\"5強\"、\"6弱\"、\"6強\"、\"7\" など）")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Intensity, E> {
                Intensity::parse(text).ok_or_else(|| {
                    E::custom(format!(
                        "震度「{}」は読めません（1〜4、5弱、5強、6弱、6強、7 のいずれか）",
                        crate::text::printable(text)
                    ))
                })
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Intensity, E> {
                self.visit_str(&n.to_string())
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Intensity, E> {
                self.visit_str(&n.to_string())
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

// ---------------------------------------------------------------------------------
// Telegram

/// Which telegram it is, decided by its Control/Title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TelegramKind {
    /// 震度速報: the intensities of 3 and above by prefecture and area, minutes after
    /// the shaking.
    #[serde(rename = "VXSE51")]
    Vxse51,
    /// 震源に関する情報: hypocentre and magnitude, no intensities.
    #[serde(rename = "VXSE52")]
    Vxse52,
    /// 震源・震度に関する情報: hypocentre, magnitude and intensities down to cities and
    /// stations.
    #[serde(rename = "VXSE53")]
    Vxse53,
    /// 緊急地震速報（警報）（予報）（地震動予報）, VXSE43–45: forecasts, not observations.
    #[serde(rename = "early_warning")]
    EarlyWarning,
    /// Any other telegram; its Control/Title.
    #[serde(rename = "other")]
    Other(String),
}

impl TelegramKind {
    /// The kind a Control/Title names (compared after NFKC, so that half-width
    /// parentheses are taken too).
    pub fn from_title(title: &str) -> TelegramKind {
        let normal: String = title.trim().nfkc().collect();
        match normal.as_str() {
            "震度速報" => TelegramKind::Vxse51,
            "震源に関する情報" => TelegramKind::Vxse52,
            "震源・震度に関する情報" => TelegramKind::Vxse53,
            "緊急地震速報(警報)" | "緊急地震速報(予報)" | "緊急地震速報(地震動予報)" => {
                TelegramKind::EarlyWarning
            }
            _ => TelegramKind::Other(title.trim().to_string()),
        }
    }

    /// The data type code (`VXSE51`); early warnings `VXSE43-45`, others empty.
    pub fn code(&self) -> &'static str {
        match self {
            TelegramKind::Vxse51 => "VXSE51",
            TelegramKind::Vxse52 => "VXSE52",
            TelegramKind::Vxse53 => "VXSE53",
            TelegramKind::EarlyWarning => "VXSE43-45",
            TelegramKind::Other(_) => "",
        }
    }

    /// Japanese name of the kind.
    pub fn label(&self) -> String {
        match self {
            TelegramKind::Vxse51 => "震度速報".into(),
            TelegramKind::Vxse52 => "震源に関する情報".into(),
            TelegramKind::Vxse53 => "震源・震度に関する情報".into(),
            TelegramKind::EarlyWarning => "緊急地震速報".into(),
            TelegramKind::Other(title) => format!("その他の電文（{title}）"),
        }
    }

    /// The earthquake information that needs an EventID (VXSE51–53).
    pub fn is_earthquake_information(&self) -> bool {
        matches!(
            self,
            TelegramKind::Vxse51 | TelegramKind::Vxse52 | TelegramKind::Vxse53
        )
    }
}

/// Control/Status: 通常 (real), 訓練 (exercise) or 試験 (test of the line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TelegramStatus {
    Normal,
    Drill,
    Test,
}

impl TelegramStatus {
    pub fn parse(text: &str) -> Option<TelegramStatus> {
        match text.trim() {
            "通常" => Some(TelegramStatus::Normal),
            "訓練" => Some(TelegramStatus::Drill),
            "試験" => Some(TelegramStatus::Test),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TelegramStatus::Normal => "通常",
            TelegramStatus::Drill => "訓練",
            TelegramStatus::Test => "試験",
        }
    }
}

/// Head/InfoType: 発表, 訂正 (a correction of an earlier telegram) or 取消.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InfoType {
    Issued,
    Corrected,
    Cancelled,
}

impl InfoType {
    pub fn parse(text: &str) -> Option<InfoType> {
        match text.trim() {
            "発表" => Some(InfoType::Issued),
            "訂正" => Some(InfoType::Corrected),
            "取消" => Some(InfoType::Cancelled),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InfoType::Issued => "発表",
            InfoType::Corrected => "訂正",
            InfoType::Cancelled => "取消",
        }
    }
}

/// A city (市町村等) and its highest observed intensity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CityIntensity {
    pub code: String,
    pub name: String,
    /// None when no value has arrived (then `unreceived` may say why).
    pub max: Option<Intensity>,
    /// The telegram says 「震度５弱以上未入電」: a station measured 5弱 or more and its
    /// value has not arrived.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreceived: bool,
}

/// An area (地震情報／細分区域) with its highest intensity and its cities (VXSE53).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaIntensity {
    pub code: String,
    pub name: String,
    pub max: Option<Intensity>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreceived: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cities: Vec<CityIntensity>,
}

/// A prefecture with its highest intensity and its areas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefectureIntensity {
    pub code: String,
    pub name: String,
    pub max: Option<Intensity>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreceived: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub areas: Vec<AreaIntensity>,
}

/// What a telegram says, as far as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Telegram {
    pub kind: TelegramKind,
    /// Control/Title as written.
    pub title: String,
    pub status: TelegramStatus,
    pub info_type: InfoType,
    /// Head/EventID (the earthquake's identity across its telegrams); empty when the
    /// telegram has none.
    pub event_id: String,
    /// Head/Serial (情報番号); empty when the telegram has none.
    pub serial: String,
    /// Head/ReportDateTime.
    pub report_time: DateTime<Utc>,
    /// Head/Headline/Text.
    pub headline: String,
    /// Body/Earthquake/Hypocenter/Area/Name (震央地名).
    pub hypocentre: Option<String>,
    /// Body/Earthquake/Magnitude: its description (「Ｍ６．３」) or value.
    pub magnitude: Option<String>,
    /// Body/Intensity/Observation/MaxInt.
    pub max_intensity: Option<Intensity>,
    /// Body/Intensity/Observation/Pref, with their areas and (VXSE53) cities.
    pub prefectures: Vec<PrefectureIntensity>,
}

/// A time in Japan time, as the reasons show it.
fn jst(time: DateTime<Utc>) -> String {
    let japan = FixedOffset::east_opt(9 * 3600).expect("a valid offset");
    time.with_timezone(&japan)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

impl Telegram {
    /// The telegram as the reasons name it: 「震度速報」（EventID 20261206091503、情報番号1、
    /// 2026-12-06 09:17 発表）, with 訓練/試験 and 訂正/取消 when they apply.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.status != TelegramStatus::Normal {
            parts.push(format!("{}電文", self.status.label()));
        }
        if !self.event_id.is_empty() {
            parts.push(format!("EventID {}", self.event_id));
        }
        if !self.serial.is_empty() {
            parts.push(format!("情報番号{}", self.serial));
        }
        parts.push(format!(
            "{} {}",
            jst(self.report_time),
            self.info_type.label()
        ));
        format!("「{}」（{}）", self.title, parts.join("、"))
    }

    /// Every place the telegram gives an intensity for, with its level.
    fn places(&self) -> Vec<Place<'_>> {
        let mut out = Vec::new();
        for pref in &self.prefectures {
            out.push(Place {
                level: Level::Prefecture,
                code: &pref.code,
                name: &pref.name,
                max: pref.max,
                unreceived: pref.unreceived,
            });
            for area in &pref.areas {
                out.push(Place {
                    level: Level::Area,
                    code: &area.code,
                    name: &area.name,
                    max: area.max,
                    unreceived: area.unreceived,
                });
                for city in &area.cities {
                    out.push(Place {
                        level: Level::City,
                        code: &city.code,
                        name: &city.name,
                        max: city.max,
                        unreceived: city.unreceived,
                    });
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Prefecture,
    Area,
    City,
}

/// One place of a telegram.
#[derive(Debug, Clone, Copy)]
struct Place<'a> {
    level: Level,
    code: &'a str,
    name: &'a str,
    max: Option<Intensity>,
    unreceived: bool,
}

impl Place<'_> {
    /// The intensity the rules use: the observed one, or 5弱 for 「震度５弱以上未入電」.
    fn effective(&self) -> Option<Intensity> {
        self.max.or(self.unreceived.then_some(Intensity::FiveLower))
    }

    /// 「東京都２３区（震度5強）」, 「東京千代田区（震度5弱以上未入電）」.
    fn describe(&self) -> String {
        match (self.max, self.unreceived) {
            (Some(max), _) => format!("{}（{max}）", self.name),
            (None, true) => format!("{}（震度5弱以上未入電）", self.name),
            (None, false) => format!("{}（震度なし）", self.name),
        }
    }
}

// ---------------------------------------------------------------------------------
// Conditions

/// Where a condition looks and whom it asks: any listed prefecture, area or city
/// reaching the condition's level qualifies the target's organisations.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Prefecture codes as the telegrams write them (`13` 東京都, `01` 北海道).
    #[serde(default)]
    pub prefectures: Vec<String>,
    /// Area codes (地震情報／細分区域, `350` 東京都２３区).
    #[serde(default)]
    pub areas: Vec<String>,
    /// City codes (地震情報／市町村等, seven digits, `1310100` 東京千代田区); only
    /// 震源・震度に関する情報 (VXSE53) gives cities.
    #[serde(default)]
    pub cities: Vec<String>,
    /// The roll-call organisations to ask (with those below them, as every roll-call).
    /// Empty: every organisation.
    #[serde(default)]
    pub orgs: Vec<OrgCode>,
}

impl Target {
    fn names(&self, place: &Place<'_>) -> bool {
        let list = match place.level {
            Level::Prefecture => &self.prefectures,
            Level::Area => &self.areas,
            Level::City => &self.cities,
        };
        list.iter().any(|code| code.trim() == place.code.trim())
    }
}

/// A roll-call condition (自動送信の条件), read from the conditions file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Unique among the conditions; decisions and the kept state name it.
    pub name: String,
    /// Dispatch at this intensity or above (4, 5弱, 5強, 6弱, 6強, 7).
    pub min_intensity: Intensity,
    pub targets: Vec<Target>,
    /// A 訓練 telegram starts a drill roll-call (default: it starts nothing).
    #[serde(default)]
    pub drill_on_training: bool,
    /// After a dispatch, no other earthquake dispatches this condition again for this
    /// many minutes (default 0: no suppression).
    #[serde(default)]
    pub suppress_minutes: u32,
    /// The roll-call is due this many minutes after the telegram's report time
    /// (default 0: at once).
    #[serde(default)]
    pub delay_minutes: u32,
    /// The roll-call's title: [`DEFAULT_TITLE`] unless given; placeholders
    /// [`TITLE_PLACEHOLDERS`].
    #[serde(default = "default_title")]
    pub title: String,
}

fn default_title() -> String {
    DEFAULT_TITLE.to_string()
}

/// The longest delay or suppression window a condition may set (one day).
pub const MAX_MINUTES: u32 = 24 * 60;

impl Condition {
    /// The condition used when none is configured: 震度5弱以上 in any of the 47
    /// prefectures asks every organisation.
    pub fn nationwide() -> Condition {
        Condition {
            name: "震度5弱以上（全国）".into(),
            min_intensity: Intensity::FiveLower,
            targets: vec![Target {
                prefectures: (1..=crate::prefecture::PREFECTURES.len())
                    .map(|code| format!("{code:02}"))
                    .collect(),
                ..Target::default()
            }],
            drill_on_training: false,
            suppress_minutes: 0,
            delay_minutes: 0,
            title: default_title(),
        }
    }
}

/// Checks a list of conditions; returns every problem (Japanese, naming the condition).
pub fn check_conditions(conditions: &[Condition]) -> Vec<String> {
    let mut problems = Vec::new();
    if conditions.is_empty() {
        problems.push("条件が1つもありません".to_string());
    }
    for (index, condition) in conditions.iter().enumerate() {
        let name = condition.name.trim();
        let who = if name.is_empty() {
            format!("{}番目の条件", index + 1)
        } else {
            format!("条件「{}」", crate::text::printable(name))
        };
        if name.is_empty() {
            problems.push(format!("{who}: name（条件名）を入力してください"));
        } else if conditions[..index].iter().any(|c| c.name.trim() == name) {
            problems.push(format!("{who}: 同じ名前の条件がほかにもあります"));
        } else if let Some(error) =
            crate::text::check_value("name", crate::text::TextKind::Line, 60, name)
                .into_iter()
                .next()
        {
            problems.push(format!("{who}: {}", error.message));
        }
        if condition.min_intensity < LOWEST_CONDITION {
            problems.push(format!(
                "{who}: min_intensity は震度4以上（4、5弱、5強、6弱、6強、7）にしてください（{}）",
                condition.min_intensity
            ));
        }
        if condition.targets.is_empty() {
            problems.push(format!(
                "{who}: targets（対象地域と組織）を1つ以上入れてください"
            ));
        }
        for (t, target) in condition.targets.iter().enumerate() {
            let at = format!("{who}の targets[{t}]");
            if target.prefectures.is_empty() && target.areas.is_empty() && target.cities.is_empty()
            {
                problems.push(format!(
                    "{at}: prefectures、areas、cities のいずれかに地域コードを入れてください"
                ));
            }
            for (list, field, digits, what) in [
                (&target.prefectures, "prefectures", 2, "都道府県コード"),
                (&target.areas, "areas", 3, "細分区域コード"),
                (&target.cities, "cities", 7, "市町村等コード"),
            ] {
                for code in list {
                    let code = code.trim();
                    if code.len() != digits || !code.bytes().all(|b| b.is_ascii_digit()) {
                        problems.push(format!(
                            "{at}.{field}: {what}は半角数字{digits}桁です（「{}」）",
                            crate::text::printable(code)
                        ));
                    }
                }
            }
        }
        for (value, field) in [
            (condition.suppress_minutes, "suppress_minutes"),
            (condition.delay_minutes, "delay_minutes"),
        ] {
            if value > MAX_MINUTES {
                problems.push(format!(
                    "{who}: {field} は{MAX_MINUTES}分（1日）以内にしてください（{value}）"
                ));
            }
        }
        problems.extend(
            check_title(&condition.title)
                .into_iter()
                .map(|problem| format!("{who}: {problem}")),
        );
    }
    problems
}

/// Checks a title template: not blank, one line, only known `{…}` placeholders.
fn check_title(title: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if title.trim().is_empty() {
        problems.push("title（件名）が空です".to_string());
        return problems;
    }
    if let Some(error) = crate::text::check_value("title", crate::text::TextKind::Line, 200, title)
        .into_iter()
        .next()
    {
        problems.push(format!("title: {}", error.message));
    }
    let mut rest = title;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            problems.push("title: 「{」に対応する「}」がありません".to_string());
            break;
        };
        let placeholder = &rest[start..start + len + 1];
        if !TITLE_PLACEHOLDERS.contains(&placeholder) {
            problems.push(format!(
                "title: 差し込み「{placeholder}」は使えません（使えるのは {}）",
                TITLE_PLACEHOLDERS.join(" ")
            ));
        }
        rest = &rest[start + len + 1..];
    }
    problems
}

// ---------------------------------------------------------------------------------
// Decisions

/// What the rules decided for one condition (or for the whole telegram).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Start a roll-call.
    Dispatch {
        condition: String,
        event_id: String,
        /// The organisations to ask: only those not asked before for this event and
        /// condition. Empty: every organisation.
        orgs: Vec<OrgCode>,
        mode: Mode,
        title: String,
        /// When it is due: report time + the condition's delay (not before `now`).
        at: DateTime<Utc>,
        reason: String,
    },
    /// Cancel the roll-calls this condition started for the event (a 取消 telegram),
    /// of this mode (a 訓練 取消 cancels the drills).
    Cancel {
        condition: String,
        event_id: String,
        mode: Mode,
        reason: String,
    },
    /// Nothing to do; the reason says why (for the caller's log).
    Ignore { reason: String },
}

impl Decision {
    pub fn reason(&self) -> &str {
        match self {
            Decision::Dispatch { reason, .. }
            | Decision::Cancel { reason, .. }
            | Decision::Ignore { reason } => reason,
        }
    }
}

// ---------------------------------------------------------------------------------
// Evaluator

/// What one condition dispatched for one earthquake (EventID) in one mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Dispatched {
    event_id: String,
    condition: String,
    mode: Mode,
    /// The organisations asked so far.
    orgs: BTreeSet<OrgCode>,
    /// Every organisation was asked.
    every_org: bool,
    cancelled: bool,
    /// When the first roll-call was due.
    first_at: DateTime<Utc>,
    /// When the last dispatch was decided (the suppression window counts from it).
    last_decided: DateTime<Utc>,
}

/// The evaluator's memory: per (EventID, condition, mode) the organisations dispatched
/// and whether they were cancelled; the last dispatch time of a condition is the latest
/// `last_decided` of its records that were not cancelled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluator {
    dispatched: Vec<Dispatched>,
}

/// The organisations a set of qualifying targets asks.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Orgs {
    Every,
    Some(BTreeSet<OrgCode>),
}

fn org_list(orgs: &BTreeSet<OrgCode>) -> String {
    orgs.iter()
        .map(|org| org.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

impl Evaluator {
    pub fn new() -> Evaluator {
        Evaluator::default()
    }

    /// Forgets earthquakes whose last dispatch was decided before `before` (at least
    /// the longest suppression window ago), so that the state does not grow forever.
    pub fn forget_before(&mut self, before: DateTime<Utc>) {
        self.dispatched.retain(|d| d.last_decided >= before);
    }

    /// The last time `condition` dispatched in `mode` (cancelled dispatches left out).
    pub fn last_dispatch(&self, condition: &str, mode: Mode) -> Option<DateTime<Utc>> {
        self.dispatched
            .iter()
            .filter(|d| d.condition == condition && d.mode == mode && !d.cancelled)
            .map(|d| d.last_decided)
            .max()
    }

    /// The organisations dispatched for an event and condition so far, and whether
    /// they were cancelled (`None`: nothing was dispatched). Empty list: every
    /// organisation.
    pub fn dispatched(
        &self,
        event_id: &str,
        condition: &str,
        mode: Mode,
    ) -> Option<(Vec<OrgCode>, bool)> {
        self.record(event_id, condition, mode).map(|d| {
            let orgs = if d.every_org {
                Vec::new()
            } else {
                d.orgs.iter().cloned().collect()
            };
            (orgs, d.cancelled)
        })
    }

    fn record(&self, event_id: &str, condition: &str, mode: Mode) -> Option<&Dispatched> {
        self.dispatched
            .iter()
            .find(|d| d.event_id == event_id && d.condition == condition && d.mode == mode)
    }

    fn record_mut(
        &mut self,
        event_id: &str,
        condition: &str,
        mode: Mode,
    ) -> Option<&mut Dispatched> {
        self.dispatched
            .iter_mut()
            .find(|d| d.event_id == event_id && d.condition == condition && d.mode == mode)
    }

    /// Evaluates one telegram against every condition, in order; remembers what it
    /// dispatched and cancelled. Returns one decision per condition, or one `Ignore`
    /// for a telegram no condition looks at.
    pub fn evaluate(
        &mut self,
        conditions: &[Condition],
        telegram: &Telegram,
        now: DateTime<Utc>,
    ) -> Vec<Decision> {
        let about = telegram.describe();
        let ignore = |why: &str| {
            vec![Decision::Ignore {
                reason: format!("{about}: {why}"),
            }]
        };
        match telegram.kind {
            TelegramKind::EarlyWarning => {
                return ignore(
                    "緊急地震速報は予測のため、安否確認の自動送信には使いません（震度速報・震源・震度に関する情報の観測震度で判断します）",
                );
            }
            TelegramKind::Other(_) => {
                return ignore(
                    "震度速報・震源・震度に関する情報ではないため、安否確認の自動送信の対象外です",
                );
            }
            TelegramKind::Vxse52 => {
                return ignore(
                    "震源に関する情報には震度の観測値がないため、送信の判断に使いません",
                );
            }
            TelegramKind::Vxse51 | TelegramKind::Vxse53 => {}
        }
        if telegram.status == TelegramStatus::Test {
            return ignore("試験電文のため、安否確認は送信しません");
        }
        if telegram.event_id.trim().is_empty() {
            return ignore("EventID がないため、判断できません");
        }
        if conditions.is_empty() {
            return ignore("条件が設定されていません");
        }
        conditions
            .iter()
            .map(|condition| match telegram.info_type {
                InfoType::Cancelled => self.cancel(condition, telegram, &about, now),
                InfoType::Issued | InfoType::Corrected => {
                    self.issue(condition, telegram, &about, now)
                }
            })
            .collect()
    }

    /// The mode a telegram starts for a condition, or why it starts nothing.
    fn mode(condition: &Condition, telegram: &Telegram) -> Result<Mode, &'static str> {
        match telegram.status {
            TelegramStatus::Normal => Ok(Mode::Actual),
            TelegramStatus::Drill if condition.drill_on_training => Ok(Mode::Drill),
            TelegramStatus::Drill => Err(
                "訓練電文です。この条件は訓練電文で安否確認を始めない設定です（drill_on_training が false）",
            ),
            TelegramStatus::Test => Err("試験電文のため、安否確認は送信しません"),
        }
    }

    fn cancel(
        &mut self,
        condition: &Condition,
        telegram: &Telegram,
        about: &str,
        now: DateTime<Utc>,
    ) -> Decision {
        let who = format!("条件「{}」", condition.name);
        let ignore = |why: String| Decision::Ignore {
            reason: format!("{about}: {who}: {why}"),
        };
        let mode = match Self::mode(condition, telegram) {
            Ok(mode) => mode,
            Err(why) => return ignore(format!("取消ですが、{why}")),
        };
        let event_id = telegram.event_id.trim();
        let Some(record) = self.record_mut(event_id, &condition.name, mode) else {
            return ignore("取消ですが、この地震でこの条件の安否確認は送信していません".into());
        };
        if record.cancelled {
            return ignore("この地震でこの条件の安否確認は既に取り消しています".into());
        }
        record.cancelled = true;
        let whom = if record.every_org {
            "全組織".to_string()
        } else {
            org_list(&record.orgs)
        };
        let what = if now < record.first_at {
            format!(
                "{} に送信予定だった安否確認（{whom}）を送信しません",
                jst(record.first_at)
            )
        } else {
            format!("送信した安否確認（{whom}）を取り消し、取消を知らせます")
        };
        Decision::Cancel {
            condition: condition.name.clone(),
            event_id: event_id.to_string(),
            mode,
            reason: format!("{about}: {who}: 地震情報が取り消されました。{what}"),
        }
    }

    fn issue(
        &mut self,
        condition: &Condition,
        telegram: &Telegram,
        about: &str,
        now: DateTime<Utc>,
    ) -> Decision {
        let who = format!("条件「{}」", condition.name);
        let ignore = |why: String| Decision::Ignore {
            reason: format!("{about}: {who}: {why}"),
        };
        let mode = match Self::mode(condition, telegram) {
            Ok(mode) => mode,
            Err(why) => return ignore(why.to_string()),
        };
        let event_id = telegram.event_id.trim().to_string();
        let due = telegram.report_time + Duration::minutes(i64::from(condition.delay_minutes));
        if expired(due, now) {
            return ignore(format!(
                "{} に送信するはずの安否確認ですが、{}分以上過ぎてから受け取ったため送信しません",
                jst(due),
                EXPIRY_MINUTES
            ));
        }
        let places = telegram.places();

        // Which targets qualify, through which places.
        let mut hits: Vec<Place<'_>> = Vec::new();
        let mut qualified: Vec<(&Target, Vec<Place<'_>>)> = Vec::new();
        let mut qualifying = Orgs::Some(BTreeSet::new());
        for target in &condition.targets {
            let reached: Vec<Place<'_>> = places
                .iter()
                .filter(|place| target.names(place))
                .filter(|place| {
                    place
                        .effective()
                        .is_some_and(|intensity| intensity >= condition.min_intensity)
                })
                .copied()
                .collect();
            if reached.is_empty() {
                continue;
            }
            add_places(&mut hits, &reached);
            qualified.push((target, reached));
            qualifying = match qualifying {
                Orgs::Every => Orgs::Every,
                Orgs::Some(_) if target.orgs.is_empty() => Orgs::Every,
                Orgs::Some(mut orgs) => {
                    orgs.extend(target.orgs.iter().cloned());
                    Orgs::Some(orgs)
                }
            };
        }
        if hits.is_empty() {
            return ignore(shortfall(condition, &places));
        }
        let observed = format!(
            "{}で{}以上",
            hits.iter()
                .map(Place::describe)
                .collect::<Vec<_>>()
                .join("、"),
            condition.min_intensity
        );

        // Organisations not asked before for this event.
        let record = self
            .record(&event_id, &condition.name, mode)
            .filter(|record| !record.cancelled);
        let (new, every_org) = match (&qualifying, record) {
            (_, Some(record)) if record.every_org => {
                return ignore(format!(
                    "{observed}。この地震では既に全組織に送信しているため、新たに送信する組織はありません"
                ));
            }
            (Orgs::Every, _) => (BTreeSet::new(), true),
            (Orgs::Some(orgs), Some(record)) => {
                let new: BTreeSet<OrgCode> = orgs.difference(&record.orgs).cloned().collect();
                if new.is_empty() {
                    return ignore(format!(
                        "{observed}。この地震では既に送信済みで（{}）、新たに対象となる組織はありません",
                        org_list(&record.orgs)
                    ));
                }
                (new, false)
            }
            (Orgs::Some(orgs), None) => (orgs.clone(), false),
        };
        let follow_up = record.is_some();

        // Suppression: another earthquake dispatched this condition within the window.
        if !follow_up && condition.suppress_minutes > 0 {
            let window = Duration::minutes(i64::from(condition.suppress_minutes));
            let recent = self
                .dispatched
                .iter()
                .filter(|d| {
                    d.condition == condition.name
                        && d.mode == mode
                        && !d.cancelled
                        && d.event_id != event_id
                        && d.last_decided <= now
                        && now - d.last_decided < window
                })
                .max_by_key(|d| d.last_decided);
            if let Some(recent) = recent {
                return ignore(format!(
                    "{observed}ですが、{} に別の地震（EventID {}）で送信しており、抑止時間（{}分）内のため送信しません",
                    jst(recent.last_decided),
                    recent.event_id,
                    condition.suppress_minutes
                ));
            }
        }

        let at = due.max(now);
        // The title names the places that qualified the organisations asked now.
        let mut named: Vec<Place<'_>> = Vec::new();
        for (target, reached) in &qualified {
            if every_org || target.orgs.iter().any(|org| new.contains(org)) {
                add_places(&mut named, reached);
            }
        }
        let title = render_title(&condition.title, condition, telegram, &named);
        let whom = if every_org {
            if follow_up {
                "全組織（既に送信した組織を含む）".to_string()
            } else {
                "全組織".to_string()
            }
        } else {
            org_list(&new)
        };
        let when = if condition.delay_minutes > 0 {
            format!("{}（発表から{}分後）に", jst(at), condition.delay_minutes)
        } else {
            String::new()
        };
        let kind = match mode {
            Mode::Actual => "安否確認",
            Mode::Drill => "訓練の安否確認",
        };
        let lead = if follow_up {
            "この地震で新たに対象となった組織"
        } else {
            "組織"
        };
        let reason = format!(
            "{about}: {who}: {observed}。{lead} {whom} に{when}{kind}「{title}」を送信します"
        );

        match self.record_mut(&event_id, &condition.name, mode) {
            Some(record) if !record.cancelled => {
                record.orgs.extend(new.iter().cloned());
                record.every_org |= every_org;
                record.last_decided = now;
            }
            Some(record) => {
                // A new 発表 after a 取消: evaluated afresh.
                *record = Dispatched {
                    event_id: event_id.clone(),
                    condition: condition.name.clone(),
                    mode,
                    orgs: new.clone(),
                    every_org,
                    cancelled: false,
                    first_at: at,
                    last_decided: now,
                };
            }
            None => self.dispatched.push(Dispatched {
                event_id: event_id.clone(),
                condition: condition.name.clone(),
                mode,
                orgs: new.clone(),
                every_org,
                cancelled: false,
                first_at: at,
                last_decided: now,
            }),
        }
        Decision::Dispatch {
            condition: condition.name.clone(),
            event_id,
            orgs: new.into_iter().collect(),
            mode,
            title,
            at,
            reason,
        }
    }
}

/// Adds places not yet in `list` (by level and code), in order.
fn add_places<'a>(list: &mut Vec<Place<'a>>, places: &[Place<'a>]) {
    for place in places {
        if !list
            .iter()
            .any(|known| known.level == place.level && known.code == place.code)
        {
            list.push(*place);
        }
    }
}

/// Why no target of a condition qualified: the highest intensity seen in its places,
/// or that the telegram has none of them.
fn shortfall(condition: &Condition, places: &[Place<'_>]) -> String {
    let seen = places
        .iter()
        .filter(|place| condition.targets.iter().any(|target| target.names(place)))
        .filter(|place| place.effective().is_some())
        .max_by_key(|place| place.effective());
    match seen {
        Some(place) => format!(
            "対象地域で最も大きいのは{}で、{}に達していないため送信しません",
            place.describe(),
            condition.min_intensity
        ),
        None => format!(
            "この電文に対象地域の震度はないため送信しません（{}以上が条件）",
            condition.min_intensity
        ),
    }
}

/// Fills a title template: `{地域}` the places that qualified (at most three, then
/// 「ほか」), `{震度}` the highest of their intensities (「5弱以上」 when only an
/// unreceived 5弱 or more is known), `{震源}` the hypocentre (「震源未発表」 until
/// a telegram gives it), `{条件}` the condition's name. Cut to 60 characters.
fn render_title(
    template: &str,
    condition: &Condition,
    telegram: &Telegram,
    hits: &[Place<'_>],
) -> String {
    let mut names: Vec<&str> = hits.iter().map(|hit| hit.name).collect();
    let more = names.len() > 3;
    names.truncate(3);
    let mut region = names.join("、");
    if more {
        region.push_str("ほか");
    }
    let intensity = match hits.iter().filter_map(|hit| hit.max).max() {
        Some(max) => max.label().to_string(),
        None => "5弱以上".to_string(),
    };
    let hypocentre = telegram
        .hypocentre
        .clone()
        .unwrap_or_else(|| "震源未発表".to_string());
    let title = template
        .replace("{地域}", &region)
        .replace("{震度}", &intensity)
        .replace("{震源}", &hypocentre)
        .replace("{条件}", &condition.name);
    let title = title.trim();
    if title.chars().count() > TITLE_MAX {
        let mut cut: String = title.chars().take(TITLE_MAX - 1).collect();
        cut.push('…');
        cut
    } else {
        title.to_string()
    }
}

#[cfg(test)]
mod tests;
