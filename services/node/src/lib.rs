//! anpi-node: one jurisdiction's node. R: T-02.
//!
//! `config` (layered settings) → `store` (PostgreSQL: event log with a single writer,
//! projections, accounts) → `api` (tonic services). `server` wires them together; the
//! binary (`main.rs`) only parses the command line.

pub mod api;
pub mod app;
pub mod bus;
pub mod config;
pub mod console;
pub mod contact_page;
pub(crate) mod convert;
pub mod jma_feed;
pub mod mail;
pub mod metrics;
pub mod metrics_listener;
pub mod public;
pub mod rollcall_info_page;
pub mod rollcall_page;
pub mod server;
pub mod store;
pub(crate) mod tls_client;
pub mod trust;
pub mod wire;
