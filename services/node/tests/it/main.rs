//! Integration tests of anpi-node against a real PostgreSQL (one binary, many modules).

mod accounts;
mod api;
mod chain;
mod crash;
mod gap_free;
mod jma;
mod organise;
mod pipeline;
mod reads;
mod rebuild;
mod replay;
mod rollcall;
mod rollcall_contacts;
mod rollcall_info;
mod search;
mod shared;
mod staging;
mod supersede;
mod support;
