//! The names of the shared replica's tables (schema `shared`), used by the replica
//! itself (`shared`), the canonical-key rebuild (`projection`) and the public page.

/// The replica's record table (the private area's shape, in the schema `shared`).
pub const REPLICA_RECORDS: &str = "shared.records";
/// The replica's incident table.
pub const REPLICA_INCIDENTS: &str = "shared.incidents";
