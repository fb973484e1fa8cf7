//! Actual or drill: a drill roll-call is marked 訓練 on every mail and page (T-04).

use serde::{Deserialize, Serialize};

/// Actual (災害時) or drill (防災訓練).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Actual,
    Drill,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Actual => "actual",
            Mode::Drill => "drill",
        }
    }

    pub fn parse(text: &str) -> Option<Mode> {
        match text.trim() {
            "actual" => Some(Mode::Actual),
            "drill" => Some(Mode::Drill),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Actual => "災害",
            Mode::Drill => "訓練",
        }
    }
}
