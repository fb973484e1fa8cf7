//! Generates the anpi.v1 code with the vendored protoc (no system protoc needed).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY of intent: build scripts are single-threaded; prost-build reads PROTOC.
    unsafe_set_protoc(&protoc);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let files = [
        "anpi/v1/records.proto",
        "anpi/v1/events.proto",
        "anpi/v1/node.proto",
        "anpi/v1/report.proto",
        "anpi/v1/shared.proto",
        "anpi/v1/rollcall.proto",
    ];
    let paths: Vec<_> = files.iter().map(|f| root.join(f)).collect();
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("anpi_v1_descriptor.bin"))
        .type_attribute(".anpi.v1", "#[derive(serde::Serialize)]")
        .compile_protos(&paths, std::slice::from_ref(&root))?;
    println!("cargo:rerun-if-changed={}", root.display());
    Ok(())
}

#[allow(unsafe_code)]
fn unsafe_set_protoc(path: &std::path::Path) {
    // SAFETY: called once at the start of a single-threaded build script.
    unsafe { std::env::set_var("PROTOC", path) };
}
