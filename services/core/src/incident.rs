//! Incidents (事案) with actual/drill mode. R: T-04.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::IncidentId;
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
