//! anpi-core: the pure domain of anpi.
//!
//! Invariant: this crate does no I/O (no tokio, no database, no network, no clock
//! reads — callers pass `now`). Everything here is unit-tested without servers.

pub mod account;
pub mod canon;
pub mod chain;
pub mod command;
pub mod consent;
pub mod dedup;
pub mod entry;
pub mod era;
pub mod event;
pub mod ids;
pub mod incident;
pub mod inquiry;
pub mod inquiry_types;
pub mod jurisdiction;
pub mod kinds;
pub mod prefecture;
pub mod private_area;
pub mod public;
pub mod publication;
pub mod publication_types;
pub mod refusal;
pub mod report;
pub mod retention;
pub mod rollcall;
pub mod seal;
pub mod search;
pub mod shared;
pub mod text;
pub mod trust;
pub mod validation;
