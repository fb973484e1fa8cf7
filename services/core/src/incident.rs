//! Incidents (事案) with actual/drill mode. R: T-04.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::IncidentId;
use crate::jurisdiction::Tier;
use crate::validation::{FieldError, check_text};

/// 実事案 or 訓練. Drill data never mixes with actual data: every record and event
/// belongs to exactly one incident, and the mode is shown with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentMode {
    Actual,
    Drill,
}

impl IncidentMode {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "actual" | "実事案" => Some(IncidentMode::Actual),
            "drill" | "訓練" => Some(IncidentMode::Drill),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentMode::Actual => "actual",
            IncidentMode::Drill => "drill",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            IncidentMode::Actual => "実事案",
            IncidentMode::Drill => "訓練",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub name: String,
    pub mode: IncidentMode,
    pub created_at: DateTime<Utc>,
}

/// Where a new incident may be created, and whether it stays local (T-04, T-06;
/// docs/adr/0013-incidents-come-from-above.md).
///
/// - An actual incident (実事案) is created only by the national tier: under the Civil
///   Protection Act the national government recognises an armed-attack or emergency
///   situation (事態認定), and the national node's incidents reach every node over NATS.
///   No other node may create one, with an announced ID or without (found by a hostile
///   test: a municipality's organise clerk created an actual incident, which travelled
///   to the prefecture and the national tier with the next report).
/// - A drill (訓練) may be created anywhere: the guideline asks every body to practise
///   (第4 1(2) ④ 平素より安否情報の収集及び入力訓練を実施しておく; the cover note asks the
///   prefectures for 訓練又は自然災害時等における安否情報システムの積極的な活用). A drill a
///   node creates for itself is local: its events are never reported upward. A drill
///   created with the ID its parent announced (`announced`) is the parent's drill,
///   reported upward as usual.
///
/// Returns whether the incident is local.
pub fn decide_create(tier: Tier, mode: IncidentMode, announced: bool) -> Result<bool, FieldError> {
    match (tier, mode) {
        (Tier::National, _) => Ok(false),
        (_, IncidentMode::Actual) => Err(FieldError::new(
            "mode",
            "実事案は国（消防庁）が作成し、各団体へ自動的に届きます。この団体で作成できるのは訓練の事案だけです",
        )),
        (_, IncidentMode::Drill) => Ok(!announced),
    }
}

/// Checks a new incident's name and mode; returns every problem at once.
pub fn validate_new_incident(
    name: &str,
    mode: &str,
) -> Result<(String, IncidentMode), Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = name.trim();
    if name.is_empty() {
        errors.push(FieldError::new("name", "事案名を入力してください"));
    }
    check_text(&mut errors, "name", name, 200);
    let parsed_mode = IncidentMode::parse(mode);
    if parsed_mode.is_none() {
        errors.push(FieldError::new(
            "mode",
            "事案の種別は「actual（実事案）」または「drill（訓練）」を指定してください",
        ));
    }
    match parsed_mode {
        Some(mode) if errors.is_empty() => Ok((name.to_string(), mode)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // R: T-06 — actual incidents only at the national tier; drills anywhere, local
    // unless the parent announced them.
    #[test]
    fn actual_incidents_come_from_the_national_tier() {
        use IncidentMode::{Actual, Drill};
        assert_eq!(decide_create(Tier::National, Actual, false), Ok(false));
        assert_eq!(decide_create(Tier::National, Drill, true), Ok(false));
        for tier in [Tier::Prefecture, Tier::Municipality] {
            for announced in [false, true] {
                assert_eq!(
                    decide_create(tier, Actual, announced).unwrap_err().field,
                    "mode"
                );
            }
            assert_eq!(decide_create(tier, Drill, false), Ok(true), "own practice");
            assert_eq!(
                decide_create(tier, Drill, true),
                Ok(false),
                "the parent's drill"
            );
        }
    }

    #[test]
    fn incident_validation() {
        assert_eq!(
            validate_new_incident(" 首都直下地震 ", "drill").unwrap(),
            ("首都直下地震".to_string(), IncidentMode::Drill)
        );
        let errors = validate_new_incident("", "exercise").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "mode"]);
    }
}
