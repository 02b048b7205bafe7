//! Compiles in where the shipped data sets are: this crate's `data/`
//! folder, as `FIRESIDE_DATASETS_DATA`.
//!
//! Not `env!("CARGO_MANIFEST_DIR")` in the code: cargo does not rebuild a
//! crate whose checkout has moved (its fingerprints hold paths relative to
//! the package), so with one build directory for every checkout (ci/env.sh)
//! a fresh clone would read the data of whichever checkout built the crate
//! first, and fail once that one is deleted. This script runs again when
//! the folder it names changes or is gone.
fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let data = std::path::Path::new(&manifest_dir).join("data");
    println!("cargo::rustc-env=FIRESIDE_DATASETS_DATA={}", data.display());
    println!("cargo::rerun-if-changed={}", data.display());
}
