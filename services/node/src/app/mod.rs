//! The application layer (issue 14): what every front door — gRPC today, the web
//! console next — shares. For now its typed failure, [`AppError`]: use cases and
//! handlers fail with it, and each front door maps it in one place (gRPC:
//! `api::error`, `impl From<AppError> for Status`); and the read log of every request
//! that reads personal data ([`ReadLog`], made when the request is authorised).

pub mod error;
pub mod reads;

pub use error::AppError;
pub use reads::ReadLog;
