//! The one place that maps failures to gRPC statuses with Japanese messages.

use anpi_core::validation::{FieldError, summarize};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::store::{self, writer::Rejection};

/// INVALID_ARGUMENT with every field problem: a summary in the message and a
/// `google.rpc.BadRequest` detail listing each field, so clients can show them.
pub fn invalid(errors: &[FieldError]) -> Status {
    let mut details = ErrorDetails::new();
    for error in errors {
        details.add_bad_request_violation(
            error.field.clone(),
            format!("{}: {}", error.label, error.message),
        );
    }
    Status::with_error_details(Code::InvalidArgument, summarize(errors), details)
}

pub fn rejection(rejection: Rejection) -> Status {
    match rejection {
        Rejection::NotFound(error) => Status::not_found(error.message),
        Rejection::Conflict(error) => Status::failed_precondition(error.message),
        Rejection::Invalid(error) => invalid(&[error]),
        Rejection::Paused(message) | Rejection::Precondition(message) => {
            Status::failed_precondition(message)
        }
        Rejection::Unavailable(detail) => {
            tracing::error!(%detail, "command not written");
            Status::unavailable(
                "データベースに書き込めませんでした。入力内容は保存されていません。しばらくしてから再度送信してください",
            )
        }
    }
}

pub fn store(error: store::Error) -> Status {
    tracing::error!(%error, "store error");
    Status::unavailable("データベースに接続できません。しばらくしてから再度お試しください")
}

pub fn bad_id(field: &str, text: &str) -> Status {
    invalid(&[FieldError::new(
        field,
        format!("IDの形式が正しくありません（入力: {text}）"),
    )])
}
