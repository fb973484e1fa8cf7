//! Field problems as a page shows them (issue 15; GOV.UK / DADS pattern): a summary at
//! the top linking to each field, and the same words below the field.

use anpi_core::validation::FieldError;

/// One problem of one field.
pub struct ShownError {
    pub field: String,
    pub label: String,
    pub message: String,
}

/// The problems of a submitted form (empty: none).
#[derive(Default)]
pub struct FormErrors {
    pub list: Vec<ShownError>,
}

impl FormErrors {
    pub fn of(errors: &[FieldError]) -> FormErrors {
        FormErrors {
            list: errors
                .iter()
                .map(|e| ShownError {
                    field: e.field.clone(),
                    label: e.label.clone(),
                    message: e.message.clone(),
                })
                .collect(),
        }
    }

    pub fn one(field: &str, message: impl Into<String>) -> FormErrors {
        FormErrors::of(&[FieldError::new(field, message)])
    }

    pub fn has(&self, field: &str) -> bool {
        self.list.iter().any(|e| e.field == field)
    }

    pub fn messages(&self, field: &str) -> Vec<&str> {
        self.list
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect()
    }
}
