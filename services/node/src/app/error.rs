//! Why a use case failed, typed: the front doors map the kind, never the words
//! (issue 14). Messages are for the clerk, in Japanese; details for the log stay in
//! the log.

use anpi_core::refusal::Refusal;
use anpi_core::validation::FieldError;

use crate::store::{self, writer::Rejection};

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// No valid login.
    #[error("{0}")]
    Unauthenticated(String),
    /// The login (token, console session) is unknown or expired: log in again.
    #[error("the login is unknown or expired")]
    LoginExpired,
    /// Only the password change is allowed until the password is changed; the
    /// message says why (one-time password, 180 days).
    #[error("{0}")]
    MustChangePassword(String),
    /// The role may not, or only the password change is allowed.
    #[error("{0}")]
    Forbidden(String),
    /// The input is wrong: every field problem.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// What the request names does not exist here.
    #[error("{0}")]
    NotFound(String),
    /// The state does not allow it now (answered, paused, already deleted …).
    #[error("{0}")]
    Conflict(String),
    /// The database or the log could not be reached or written; nothing was changed.
    #[error("{0}")]
    Unavailable(String),
    /// A fault of the node itself (logged); the clerk is told to look at the log.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// One field's problem.
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    /// An ID that does not parse.
    pub fn bad_id(field: &str, text: &str) -> AppError {
        AppError::field(field, format!("IDの形式が正しくありません（入力: {text}）"))
    }

    /// A short name of the kind of failure, for clients that sort results.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) | AppError::LoginExpired => "unauthenticated",
            AppError::MustChangePassword(_) | AppError::Forbidden(_) => "permission_denied",
            AppError::Invalid(_) => "invalid",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// What to tell the user, in Japanese (one line per field problem).
    pub fn message_ja(&self) -> String {
        match self {
            AppError::LoginExpired => {
                "ログインの有効期限が切れたか、無効です。もう一度ログインしてください".into()
            }
            AppError::Invalid(errors) => anpi_core::validation::summarize(errors),
            AppError::Unauthenticated(message)
            | AppError::MustChangePassword(message)
            | AppError::Forbidden(message)
            | AppError::NotFound(message)
            | AppError::Conflict(message)
            | AppError::Unavailable(message)
            | AppError::Internal(message) => message.clone(),
        }
    }

    /// A fault of the node: logged with its detail; the clerk gets a plain message.
    pub fn internal(detail: impl std::fmt::Display) -> AppError {
        tracing::error!(%detail, "internal error");
        AppError::Internal("内部エラーが発生しました（ノードのログを確認してください）".into())
    }
}

impl From<Rejection> for AppError {
    fn from(rejection: Rejection) -> AppError {
        match rejection {
            Rejection::NotFound(error) => AppError::NotFound(error.message),
            Rejection::Conflict(error) => AppError::Conflict(error.message),
            Rejection::Invalid(error) => AppError::Invalid(vec![error]),
            Rejection::Paused(message) | Rejection::Precondition(message) => {
                AppError::Conflict(message)
            }
            Rejection::Unavailable(detail) => {
                tracing::error!(%detail, "command not written");
                AppError::Unavailable(
                    "データベースに書き込めませんでした。入力内容は保存されていません。しばらくしてから再度送信してください".into(),
                )
            }
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> AppError {
        AppError::from(Rejection::from(refusal))
    }
}

impl From<deadpool_postgres::PoolError> for AppError {
    fn from(error: deadpool_postgres::PoolError) -> AppError {
        AppError::from(store::Error::from(error))
    }
}

impl From<store::Error> for AppError {
    fn from(error: store::Error) -> AppError {
        tracing::error!(%error, "store error");
        AppError::Unavailable(
            "データベースに接続できません。しばらくしてから再度お試しください".into(),
        )
    }
}
