//! anpi.v1 protocol: generated code plus the mapping between wire drafts and domain
//! drafts, shared by the node and the CLI.

pub mod v1 {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("anpi.v1");

    /// Encoded file descriptors, for gRPC server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("anpi_v1_descriptor");
}

mod draft;

pub use draft::{draft_from_proto, draft_to_proto};
