//! The build environment of the cell template, recorded by `fireside
//! install` and restored in every kernel.
//!
//! cargo rebuilds a crate when anything its fingerprint covers differs:
//! cargo's own settings (`RUSTFLAGS`, `CARGO_PROFILE_*`, `CARGO_HOME`,
//! the toolchain), variables that crates read at compile time
//! (`option_env!("CI")`, recorded as `# env-dep:` in their dep-info files)
//! and variables that build scripts watch (`rerun-if-env-changed`). A
//! kernel started by JupyterLab, JupyterHub or a CI job has another
//! environment than the shell that ran `fireside install`, so without this
//! a new kernel would quietly recompile burn into its private directory.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::path::Path;

/// Variables cargo reads for every build, besides those found in the
/// build directory. Every variable starting with one of these prefixes
/// is pinned too: set as at install, or removed if it was not set then.
const CARGO_PREFIXES: &[&str] = &["CARGO_", "RUSTC", "RUSTUP_", "RUSTFLAGS", "RUSTDOCFLAGS"];

/// Who the user is and where their files are: a kernel keeps its own even
/// where a build script watches them (a rebuild is then reported, not hidden).
const NEVER_PINNED: &[&str] = &["HOME", "USER", "LOGNAME", "PATH", "PWD", "TMPDIR", "SHELL", "LANG"];

/// The variables whose values a build in `target` depends on: cargo's own,
/// those in dep-info files (`# env-dep:NAME`) and those that build scripts
/// watch (`cargo:rerun-if-env-changed=NAME`).
pub fn tracked_variables(target: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    // Set by cargo itself for each crate it compiles (`env!("OUT_DIR")`),
    // or by a build script for its own crate (`cargo:rustc-env=NAME=..`).
    let mut set_by_cargo = BTreeSet::new();
    let mut visit = |path: &Path| {
        let is_dep_info = path.extension() == Some(OsStr::new("d"));
        let is_build_output = path.file_name() == Some(OsStr::new("output"));
        if !(is_dep_info || is_build_output) {
            return;
        }
        let Ok(text) = fs::read_to_string(path) else { return };
        for line in text.lines() {
            if let Some(rest) =
                line.strip_prefix("cargo:rustc-env=").or_else(|| line.strip_prefix("cargo::rustc-env="))
            {
                set_by_cargo.insert(rest.split('=').next().unwrap_or(rest).to_owned());
            }
            let name = line
                .strip_prefix("# env-dep:")
                .or_else(|| line.strip_prefix("cargo:rerun-if-env-changed="))
                .or_else(|| line.strip_prefix("cargo::rerun-if-env-changed="))
                .map(|rest| rest.split('=').next().unwrap_or(rest).trim());
            if let Some(name) = name.filter(|name| !name.is_empty()) {
                names.insert(name.to_owned());
            }
        }
    };
    walk(target, &mut visit);
    names.retain(|name| {
        !NEVER_PINNED.contains(&name.as_str())
            && !set_by_cargo.contains(name)
            && !CARGO_SETS.iter().any(|prefix| name.starts_with(prefix))
    });
    names
}

/// What cargo sets for each crate or build script it runs: never the
/// user's to change, so not part of the environment to restore.
const CARGO_SETS: &[&str] = &[
    "CARGO_PKG_",
    "CARGO_MANIFEST_",
    "CARGO_CFG_",
    "CARGO_FEATURE_",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_RUSTC_CURRENT_DIR",
    "OUT_DIR",
];

fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => walk(&path, visit),
            Ok(kind) if kind.is_file() => visit(&path),
            _ => {}
        }
    }
}

/// The values, in this process, of `tracked` and of every variable with one
/// of cargo's prefixes; `None` for unset. `CARGO_HOME` is always recorded
/// as a path (where the registry the template was resolved against lives),
/// so that a kernel run with another `HOME` still finds it.
pub fn record(tracked: &BTreeSet<String>) -> BTreeMap<String, Option<String>> {
    let mut pinned: BTreeMap<String, Option<String>> =
        tracked.iter().map(|name| (name.clone(), std::env::var(name).ok())).collect();
    for (name, value) in std::env::vars() {
        if has_cargo_prefix(&name) {
            pinned.insert(name, Some(value));
        }
    }
    // Where the registry and the toolchain are: a kernel run with another
    // `HOME` (another user on a shared server) must still find them.
    for (name, default) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
        if !matches!(pinned.get(name), Some(Some(_)))
            && let Some(dir) = dirs::home_dir().map(|home| home.join(default)).filter(|dir| dir.is_dir())
        {
            pinned.insert(name.to_owned(), Some(dir.display().to_string()));
        }
    }
    if !matches!(pinned.get("RUSTUP_TOOLCHAIN"), Some(Some(_)))
        && let Some(toolchain) = rustup_toolchain()
    {
        // Else a `rust-toolchain.toml` beside a notebook would pick another compiler.
        pinned.insert("RUSTUP_TOOLCHAIN".to_owned(), Some(toolchain));
    }
    pinned
}

/// The rustup toolchain that `rustc` runs here, by name, when rustup manages it.
fn rustup_toolchain() -> Option<String> {
    let output = std::process::Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
    let sysroot = std::path::PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    let in_rustup = sysroot.parent()?.file_name()? == "toolchains";
    in_rustup.then(|| sysroot.file_name()?.to_str().map(str::to_owned)).flatten()
}

fn has_cargo_prefix(name: &str) -> bool {
    CARGO_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

/// What cargo's environment needs changed, from `current` (name, value),
/// to be the recorded one: the variables to set and those to remove.
pub fn changes(
    pinned: &BTreeMap<String, Option<String>>,
    current: impl IntoIterator<Item = (String, String)>,
) -> (Vec<(String, String)>, Vec<String>) {
    let current: BTreeMap<String, String> = current.into_iter().collect();
    let mut set = Vec::new();
    let mut remove = Vec::new();
    for (name, value) in pinned {
        match (value, current.get(name)) {
            (Some(value), now) if now != Some(value) => set.push((name.clone(), value.clone())),
            (None, Some(_)) => remove.push(name.clone()),
            _ => {}
        }
    }
    for name in current.keys() {
        if has_cargo_prefix(name) && !pinned.contains_key(name) {
            remove.push(name.clone());
        }
    }
    (set, remove)
}

/// Where cargo and rustup find the registry and the toolchain. The kernel
/// process itself needs them (evcxr finds `cargo` and `rustc` through
/// rustup); every other recorded variable is given to evcxr's cargo only
/// (`changes`), so cells keep the environment the kernel was started with.
const LOCATIONS: &[&str] = &["CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN"];

/// Gives this process the recorded `LOCATIONS`.
///
/// # Safety
/// Changes the process environment: call before any other thread starts.
pub unsafe fn apply_locations(pinned: &BTreeMap<String, Option<String>>) {
    for name in LOCATIONS {
        if let Some(Some(value)) = pinned.get(*name) {
            unsafe { std::env::set_var(name, value) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn dep_info_and_build_script_variables_are_found() {
        let target = std::env::temp_dir().join(format!("fireside-build-env-{}", std::process::id()));
        fs::create_dir_all(target.join("deps")).unwrap();
        fs::create_dir_all(target.join("build/stdx-1")).unwrap();
        fs::write(
            target.join("deps/stdx-1.d"),
            "/x/lib.rs:\n\n# env-dep:CI\n# env-dep:CARGO_PKG_NAME=stdx\n# env-dep:STDX_VERSION=1\n# env-dep:OUT_DIR=/o\n",
        )
        .unwrap();
        fs::write(
            target.join("build/stdx-1/output"),
            "cargo:rerun-if-env-changed=CC\ncargo::rerun-if-env-changed=HOME\ncargo:rustc-env=STDX_VERSION=1\n",
        )
        .unwrap();
        let names = tracked_variables(&target);
        fs::remove_dir_all(&target).unwrap();
        // CARGO_PKG_NAME, OUT_DIR and STDX_VERSION are set by cargo, HOME is the user's.
        assert_eq!(names.into_iter().collect::<Vec<_>>(), ["CC", "CI"]);
    }

    #[test]
    fn a_kernel_gets_the_install_values_and_loses_other_cargo_settings() {
        let pinned: BTreeMap<String, Option<String>> = [
            ("CI".to_owned(), None),
            ("CARGO_HOME".to_owned(), Some("/root/.cargo".to_owned())),
            ("CC".to_owned(), Some("cc".to_owned())),
        ]
        .into();
        let (set, remove) = changes(
            &pinned,
            env(&[
                ("CI", "true"),
                ("CC", "cc"),
                ("RUSTFLAGS", "-Copt-level=1"),
                ("CARGO_PROFILE_DEV_OPT_LEVEL", "1"),
                ("HOME", "/home/student"),
            ]),
        );
        assert_eq!(set, [("CARGO_HOME".to_owned(), "/root/.cargo".to_owned())]);
        assert_eq!(remove, ["CI", "CARGO_PROFILE_DEV_OPT_LEVEL", "RUSTFLAGS"]);
    }
}
