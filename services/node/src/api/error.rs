//! The one place that makes gRPC statuses: every failure of a handler is an
//! [`AppError`] (the application layer's typed failure), mapped here kind by kind, with
//! its Japanese message; field problems also travel as a `google.rpc.BadRequest`
//! detail. `grep -rn 'Status::' services/node/src` finds constructions only here.

use anpi_core::validation::{FieldError, summarize};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::app::AppError;
use crate::store::{self, writer::Rejection};

impl From<AppError> for Status {
    fn from(error: AppError) -> Status {
        match error {
            AppError::Unauthenticated(message) => Status::unauthenticated(message),
            AppError::LoginExpired => Status::unauthenticated(
                "ログインの有効期限が切れたか、無効です。もう一度 `anpi login` してください",
            ),
            AppError::MustChangePassword(message) => {
                Status::permission_denied(format!("{message}（`anpi password` で変更できます）"))
            }
            AppError::Forbidden(message) => Status::permission_denied(message),
            AppError::Invalid(errors) => invalid_status(&errors),
            AppError::NotFound(message) => Status::not_found(message),
            AppError::Conflict(message) => Status::failed_precondition(message),
            AppError::Unavailable(message) => Status::unavailable(message),
            AppError::Internal(message) => Status::internal(message),
        }
    }
}

/// INVALID_ARGUMENT with every field problem: a summary in the message and a
/// `google.rpc.BadRequest` detail listing each field, so clients can show them.
fn invalid_status(errors: &[FieldError]) -> Status {
    let mut details = ErrorDetails::new();
    for error in errors {
        details.add_bad_request_violation(
            error.field.clone(),
            format!("{}: {}", error.label, error.message),
        );
    }
    Status::with_error_details(Code::InvalidArgument, summarize(errors), details)
}

/// Every field problem of an input.
pub fn invalid(errors: &[FieldError]) -> AppError {
    AppError::Invalid(errors.to_vec())
}

/// A command the writer refused.
pub fn rejection(rejection: Rejection) -> AppError {
    AppError::from(rejection)
}

/// The database could not be used.
pub fn store(error: store::Error) -> AppError {
    AppError::from(error)
}

/// An ID that does not parse.
pub fn bad_id(field: &str, text: &str) -> AppError {
    AppError::bad_id(field, text)
}
