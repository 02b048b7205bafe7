//! The warm start: a prebuilt cell workspace, copied for each kernel.
//!
//! evcxr compiles every cell as a crate in its own directory. A fresh
//! directory would recompile or relink burn for every new kernel, so
//! `fireside install` builds one *template* workspace, with the toolkit
//! already compiled, and each kernel starts from a private copy of it (two
//! kernels must never share a cargo build directory). The copy hard-links
//! the compiled dependencies, which cargo never rewrites, and copies the few
//! files that do change (the cell crate's own outputs, cargo's lock files),
//! so a new kernel's directory costs milliseconds and no disk.
//!
//! The template is a cargo workspace with two members: `cell`, evcxr's crate,
//! and `anchor`, a crate that depends on the toolkit and is never built. The
//! anchor keeps the toolkit's dependency graph in `Cargo.lock` (evcxr rewrites
//! the cell's manifest on every cell), and the workspace's profile gives the
//! dependencies opt-level 3 while cells compile at opt-level 0.
//!
//! The template's `target` is seeded from the workspace build (`ci/build`
//! builds with the same flags as evcxr: `--target <host>`, `-Cprefer-dynamic`
//! and the profile below), so installing reuses that build of burn instead
//! of compiling it again.
//!
//! Only compiled libraries are shared as hard links: rustc and the linker
//! replace those files (a new inode) when they rebuild them. cargo's
//! fingerprints, dep-info and build-script outputs are rewritten in place,
//! so each copy owns them: a later build of the workspace (`ci/test` with
//! another environment, say) can never make the template stale.
//!
//! The template also records the build environment (`build_env.rs`), which
//! every kernel restores, and each kernel's cargo may compile only the
//! toolkit itself (`TOOLKIT_PACKAGES`): anything else would be burn compiled
//! again behind the user's back, so the kernel stops and says what to do.

use crate::build_env;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Must match the `[profile.dev*]` sections of the repository's `Cargo.toml`:
/// equal profiles give equal artifacts, which is what lets the template reuse
/// the workspace build. (A test checks each section.)
const SHARED_PROFILE: &str = r#"
[profile.dev]
opt-level = 3
debug = false
strip = "debuginfo"
rpath = true
lto = false
debug-assertions = true
codegen-units = 16
panic = "unwind"
incremental = true
overflow-checks = true

[profile.dev.build-override]
opt-level = 0

[profile.dev.package.burn-flex]
debug-assertions = false
overflow-checks = false

[profile.dev.package.burn-autodiff]
debug-assertions = false
overflow-checks = false

[profile.dev.package.macerator]
debug-assertions = false
overflow-checks = false

[profile.dev.package.gemm-common]
debug-assertions = false
overflow-checks = false

[profile.dev.package.gemm-f32]
debug-assertions = false
overflow-checks = false

[profile.dev.package.fireside]
debug-assertions = false
overflow-checks = false
"#;

/// The cells themselves (evcxr's crate `ctx`) compile at opt-level 0: fast to
/// compile, and the work they call runs in the optimized toolkit.
const CELL_PROFILE: &str = r#"
[profile.dev.package.ctx]
opt-level = 0
"#;

const INFO_FILE: &str = "fireside-template.json";

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "no cell template in {0}: run `fireside install` (it builds the template the kernel starts from)"
    )]
    Missing(PathBuf),
    #[error("the template in {dir} is unreadable ({reason}): run `fireside install` again")]
    Corrupt { dir: PathBuf, reason: String },
    #[error("{action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: io::Error },
    #[error("FIRESIDE_PRIVATE_DIR is not set: the kernel sets it before starting the evaluator")]
    NoPrivateDir,
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> TemplateError + 'a {
    move |source| TemplateError::Io { action, path: path.to_owned(), source }
}

/// The packages a kernel may compile: the toolkit, when its source changed
/// since `fireside install` (about 30 s, and the kernel says so).
pub const TOOLKIT_PACKAGES: &[&str] = &["fireside", "fireside-datasets", "fireside-seam"];

/// The toolkit's cargo feature that adds burn's GPU backend (wgpu).
/// `fireside install --gpu` builds the template with it; the workspace build
/// it reuses must have it too (`ci/build`, where `FIRESIDE_GPU` decides).
pub const GPU_FEATURE: &str = "gpu";

#[derive(serde::Serialize, serde::Deserialize)]
struct TemplateInfo {
    toolkit_dir: PathBuf,
    /// The toolkit's features the template was built with (`GPU_FEATURE` or none).
    #[serde(default)]
    toolkit_features: Vec<String>,
    kernel_version: String,
    /// The environment the template was built in (`build_env::record`).
    #[serde(default)]
    build_env: BTreeMap<String, Option<String>>,
}

pub fn template_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("template")
}

fn toml_string(path: &Path) -> String {
    let text = path.display().to_string();
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The toolkit as a cargo dependency: `{ path = "...", features = [...] }`.
fn toolkit_dependency(toolkit_dir: &Path, features: &[String]) -> String {
    let mut spec = format!("{{ path = {}", toml_string(toolkit_dir));
    if !features.is_empty() {
        let quoted: Vec<String> = features.iter().map(|f| format!("\"{f}\"")).collect();
        spec += &format!(", features = [{}]", quoted.join(", "));
    }
    spec + " }"
}

/// The cell every kernel runs first, in the background: exactly the
/// dependency line the template was built with, the prelude, and the hooks
/// that connect the toolkit to the kernel (panics, interrupts, displays).
pub fn preload_code(toolkit_dir: &Path, features: &[String]) -> String {
    format!(
        ":dep fireside = {}\nuse fireside::prelude::*;\n{}",
        toolkit_dependency(toolkit_dir, features),
        PREPARE_CELLS
    )
}

/// Run in each new kernel's first cell, in the process that runs cells:
/// panics reported to the kernel (the hook must be set from a cell's code,
/// since cells link their own standard library), and flex's allocator policy.
const PREPARE_CELLS: &str =
    "fireside::seam::runtime::report_panics();\nfireside::seam::runtime::keep_freed_memory();";

/// Builds the template in `data_dir/template`. `seed` is the cargo target
/// directory of the workspace build whose compiled dependencies to reuse.
pub fn build(
    data_dir: &Path,
    toolkit_dir: &Path,
    features: &[String],
    seed: Option<&Path>,
) -> anyhow::Result<()> {
    let root = template_dir(data_dir);
    if root.exists() {
        fs::remove_dir_all(&root).map_err(io_error("removing the old template", &root))?;
    }
    let cell = root.join("cell");
    let anchor = root.join("anchor");
    fs::create_dir_all(cell.join("src")).map_err(io_error("creating", &cell))?;
    fs::create_dir_all(&anchor).map_err(io_error("creating", &anchor))?;
    let write = |path: PathBuf, text: String| fs::write(&path, text).map_err(io_error("writing", &path));
    write(
        root.join("Cargo.toml"),
        format!(
            "[workspace]\nmembers = [\"cell\", \"anchor\"]\nresolver = \"3\"\n{SHARED_PROFILE}{CELL_PROFILE}"
        ),
    )?;
    write(
        anchor.join("Cargo.toml"),
        format!(
            "[package]\nname = \"fireside-anchor\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [lib]\npath = \"lib.rs\"\n\n[dependencies]\nfireside = {}\n",
            toolkit_dependency(toolkit_dir, features)
        ),
    )?;
    write(anchor.join("lib.rs"), String::new())?;
    // Read by evcxr through EVCXR_CONFIG_DIR: cells at opt-level 0, no network.
    write(
        root.join("evcxr.toml"),
        "[evcxr]\nopt_level = \"0\"\noffline_mode = true\npreserve_vars_on_panic = true\n".to_owned(),
    )?;
    // evcxr writes the real manifest; this keeps the workspace valid until then.
    write(
        cell.join("Cargo.toml"),
        "[package]\nname = \"ctx\"\nversion = \"1.0.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\npath = \"src/lib.rs\"\n"
            .to_owned(),
    )?;
    write(cell.join("src/lib.rs"), String::new())?;
    // The same versions as the workspace build, so its artifacts match.
    if let Some(lock) = toolkit_dir.parent().map(|repo| repo.join("Cargo.lock"))
        && lock.exists()
    {
        fs::copy(&lock, root.join("Cargo.lock")).map_err(io_error("copying", &lock))?;
    }
    if let Some(seed) = seed {
        let packages = template_packages(&root);
        seed_target(seed, &cell.join("target"), packages.as_ref())?;
    }
    write_info(
        &root,
        &TemplateInfo {
            toolkit_dir: toolkit_dir.to_owned(),
            toolkit_features: features.to_vec(),
            kernel_version: env!("CARGO_PKG_VERSION").to_owned(),
            build_env: BTreeMap::new(),
        },
    )?;
    Ok(())
}

fn write_info(root: &Path, info: &TemplateInfo) -> Result<(), TemplateError> {
    let path = root.join(INFO_FILE);
    let text = serde_json::to_string_pretty(info).expect("the template info serializes");
    fs::write(&path, text).map_err(io_error("writing", &path))
}

fn read_info(root: &Path) -> Result<TemplateInfo, TemplateError> {
    let path = root.join(INFO_FILE);
    let text = fs::read_to_string(&path).map_err(io_error("reading", &path))?;
    serde_json::from_str(&text)
        .map_err(|error| TemplateError::Corrupt { dir: root.to_owned(), reason: error.to_string() })
}

/// After the template is built: records the environment variables its
/// build depends on, with their values in this process.
pub fn record_build_env(data_dir: &Path) -> Result<BTreeMap<String, Option<String>>, TemplateError> {
    let root = template_dir(data_dir);
    let mut info = read_info(&root)?;
    info.build_env = build_env::record(&build_env::tracked_variables(&root.join("cell").join("target")));
    write_info(&root, &info)?;
    Ok(info.build_env)
}

/// The first cell of a kernel started from the installed template.
pub fn installed_preload_code(data_dir: &Path) -> Result<String, TemplateError> {
    let info = read_info(&template_dir(data_dir))?;
    Ok(preload_code(&info.toolkit_dir, &info.toolkit_features))
}

/// The toolkit's features in the installed template (none when there is none).
pub fn installed_toolkit_features(data_dir: &Path) -> Vec<String> {
    read_info(&template_dir(data_dir)).map(|info| info.toolkit_features).unwrap_or_default()
}

/// The build environment recorded with the installed template (empty when
/// there is no template: the kernel then reports that on the first cell).
pub fn installed_build_env(data_dir: &Path) -> BTreeMap<String, Option<String>> {
    read_info(&template_dir(data_dir)).map(|info| info.build_env).unwrap_or_default()
}

/// Makes evcxr build cells as the template was built: cargo sees the
/// recorded build environment, and may compile only the toolkit (burn and
/// the rest are prebuilt; compiling them here would take ten minutes or more).
pub fn use_the_template_as_built(context: &mut evcxr::CommandContext, data_dir: &std::path::Path) {
    let (set, remove) = build_env::changes(&installed_build_env(data_dir), std::env::vars());
    context.pin_build_environment(set, remove);
    context.guard_dependency_builds(TOOLKIT_PACKAGES);
}

/// What a kernel says when cargo began compiling a prebuilt dependency.
pub fn stale_template(crate_name: &str) -> String {
    format!(
        "The kernel's prebuilt toolkit is out of date: cargo began compiling `{crate_name}`, which \
         `fireside install` prebuilds (compiling burn in each kernel takes ten minutes or more), \
         so the kernel stopped it.\n\
         Fix: run `fireside install` again (in a fireside checkout: `bash ci/setup --no-run`), then \
         restart the kernel. `fireside doctor` checks the setup."
    )
}

/// Seeds the template's build directory from a cargo target directory, for
/// the host profile and the explicit-target profile. With `packages`, the
/// bookkeeping (`.fingerprint/`, `build/`) of other packages (the kernel's,
/// rust-analyzer's) is left out: every kernel copies the template's, so
/// fewer files make a kernel start sooner.
fn seed_target(seed: &Path, target: &Path, packages: Option<&BTreeSet<String>>) -> Result<(), TemplateError> {
    let unwanted = |path: &Path| {
        let in_bookkeeping = path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|dir| dir == ".fingerprint" || dir == "build");
        let package = path.file_name().and_then(|name| name.to_str()).and_then(|name| name.rsplit_once('-'));
        match (packages, package) {
            (Some(packages), Some((package, _hash))) if in_bookkeeping => !packages.contains(package),
            _ => false,
        }
    };
    for profile_dir in [PathBuf::from("debug"), PathBuf::from(crate::HOST_TRIPLE).join("debug")] {
        for kind in ["deps", "build", ".fingerprint"] {
            let from = seed.join(&profile_dir).join(kind);
            if from.is_dir() {
                copy_tree(&from, &target.join(&profile_dir).join(kind), &unwanted, &is_shared_artifact)?;
            }
        }
    }
    Ok(())
}

/// The packages the template's cells are built from, on this machine
/// (`cargo metadata`, offline: the set-up fetched them). `None` if cargo
/// cannot say, and then nothing is left out.
fn template_packages(root: &Path) -> Option<BTreeSet<String>> {
    let output = std::process::Command::new("cargo")
        .args(["metadata", "--offline", "--format-version", "1", "--filter-platform", crate::HOST_TRIPLE])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .stderr(std::process::Stdio::inherit())
        .output()
        .ok()?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let packages: BTreeSet<String> = metadata["packages"]
        .as_array()?
        .iter()
        .filter_map(|package| package["name"].as_str().map(str::to_owned))
        .collect();
    (output.status.success() && packages.contains("burn")).then_some(packages)
}

/// After the template's first build: removes from its build directory every
/// unit that the build did not use, going by the files cargo reported for
/// each unit (`artifacts`). The seed brings in whatever the workspace's build
/// directory holds (the kernel's packages, builds with other features,
/// older versions); every kernel copies the template when it starts, so each
/// file left out is a file less to copy. A unit whose files carry no hash
/// (the toolkit's dylib, the cell crate) is kept by its crate's name.
/// Returns how many entries went.
pub fn remove_unused_units(data_dir: &Path, artifacts: &[PathBuf]) -> Result<usize, TemplateError> {
    let used: BTreeSet<&str> = artifacts.iter().filter_map(|path| unit_hash(path)).collect();
    if used.is_empty() {
        return Ok(0); // cargo reported nothing: keep everything rather than guess.
    }
    let kept_by_name: BTreeSet<String> = artifacts
        .iter()
        .filter(|path| unit_hash(path).is_none())
        .filter_map(|path| path.file_name()?.to_str()?.split('.').next().map(crate_name))
        .collect();
    let unused = |name: &str| {
        unit_name_and_hash(name)
            .is_some_and(|(stem, hash)| !used.contains(hash) && !kept_by_name.contains(&crate_name(stem)))
    };
    let target = template_dir(data_dir).join("cell").join("target");
    let mut removed = 0;
    for profile_dir in [PathBuf::from("debug"), PathBuf::from(crate::HOST_TRIPLE).join("debug")] {
        for kind in ["deps", "build", ".fingerprint"] {
            let dir = target.join(&profile_dir).join(kind);
            let Ok(entries) = fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                if entry.file_name().to_str().is_some_and(unused) {
                    let path = entry.path();
                    let result =
                        if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
                    result.map_err(io_error("removing", &path))?;
                    removed += 1;
                }
            }
        }
    }
    Ok(removed)
}

/// `fireside_datasets` for `fireside-datasets` (a package, a fingerprint) or
/// `libfireside_datasets` (a library's file).
fn crate_name(stem: &str) -> String {
    let name = stem.replace('-', "_");
    name.strip_prefix("lib").map(str::to_owned).unwrap_or(name)
}

/// The unit a build file belongs to: the hash in the name of its entry in
/// `deps/`, `build/` or `.fingerprint/` (`libburn-0123456789abcdef.rlib`,
/// `build/zstd-sys-0123456789abcdef/out`).
fn unit_hash(path: &Path) -> Option<&str> {
    let names: Vec<&str> = path.components().filter_map(|c| c.as_os_str().to_str()).collect();
    names
        .windows(2)
        .rev()
        .find(|pair| matches!(pair[0], "deps" | "build" | ".fingerprint"))
        .and_then(|pair| hash_in_name(pair[1]))
}

/// `0123456789abcdef` in `libburn-0123456789abcdef.rlib` or
/// `burn-0123456789abcdef`; `None` for names without one (`libfireside.so`,
/// the cell crate's `libctx.so` and `code_3.so`).
fn hash_in_name(name: &str) -> Option<&str> {
    unit_name_and_hash(name).map(|(_, hash)| hash)
}

/// `("libburn", "0123456789abcdef")` for `libburn-0123456789abcdef.rlib`.
fn unit_name_and_hash(name: &str) -> Option<(&str, &str)> {
    let (stem, hash) = name.split('.').next()?.rsplit_once('-')?;
    (hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some((stem, hash))
}

fn copy_keeping_mtime(source: &Path, dest: &Path) -> Result<(), TemplateError> {
    fs::copy(source, dest).map_err(io_error("copying", source))?;
    let modified = fs::metadata(source).and_then(|m| m.modified()).map_err(io_error("reading", source))?;
    fs::File::options()
        .write(true)
        .open(dest)
        .and_then(|f| f.set_modified(modified))
        .map_err(io_error("setting the time of", dest))
}

/// Whether a file of a build directory can be shared as a hard link (by the
/// template with the workspace build, and by each kernel with the template): what
/// rustc and the linker write in `deps/` (libraries, metadata, executables:
/// replaced by a new file on a rebuild, never rewritten in place; rustc's
/// raw dep-info there is rewritten, but cargo does not read it back) and
/// compiled build scripts. cargo's fingerprints, the build scripts' outputs
/// and the cell crate's own files are rewritten in place and are copied:
/// cargo even empties the fingerprint of every unit it finds dirty before it
/// compiles anything, so a shared fingerprint would let one kernel whose
/// build is stale spoil the template for all.
fn is_shared_artifact(path: &Path) -> bool {
    let in_deps = path.parent().and_then(Path::file_name).is_some_and(|dir| dir == "deps");
    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
    let is_build_script = name == "build-script-build" || name.starts_with("build_script_build-");
    let belongs_to_cell = path.iter().any(|part| {
        let part = part.to_string_lossy();
        part.starts_with("ctx-")
            || part.starts_with("libctx")
            || part.starts_with("code_")
            || part == "incremental"
    });
    (in_deps || is_build_script) && !belongs_to_cell
}

/// A kernel's own copy of the template, removed when the kernel exits.
///
/// A live kernel holds an exclusive lock on its `lock` file; a directory
/// whose lock nobody holds belongs to a kernel that was killed. (A pid would
/// not do: pids are reused, and kernels in other PID namespaces, JupyterHub
/// containers sharing a home for instance, have pids that mean nothing here.)
pub struct PrivateDir {
    root: PathBuf,
    created: bool,
    lock: Option<fs::File>,
}

const LOCK_FILE: &str = "lock";

impl PrivateDir {
    /// The directory for a new kernel under `data_dir/kernels`.
    pub fn plan(data_dir: &Path) -> PrivateDir {
        let id = format!("{}-{}", std::process::id(), &uuid::Uuid::new_v4().to_string()[..8]);
        PrivateDir { root: data_dir.join("kernels").join(id), created: false, lock: None }
    }

    pub fn from_env() -> Result<PrivateDir, TemplateError> {
        let root = std::env::var_os(fireside_seam::env::PRIVATE_DIR).ok_or(TemplateError::NoPrivateDir)?;
        Ok(PrivateDir { root: PathBuf::from(root), created: false, lock: None })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// evcxr's crate directory (`EVCXR_TMPDIR`).
    pub fn cell_dir(&self) -> PathBuf {
        self.root.join("cell")
    }

    pub fn interrupt_flag(&self) -> PathBuf {
        self.root.join("interrupt")
    }

    /// Copies the template into this directory.
    pub fn create(&mut self, data_dir: &Path) -> Result<(), TemplateError> {
        let template = template_dir(data_dir);
        if !template.join(INFO_FILE).exists() {
            return Err(TemplateError::Missing(template));
        }
        // The lock goes in first: a kernel starting at the same moment (two
        // students on one server) must see this directory as alive, not as
        // the leftover of a crashed kernel, while it is being copied.
        fs::create_dir_all(&self.root).map_err(io_error("creating", &self.root))?;
        self.created = true;
        // Locked under another name, then renamed: a `lock` file that is
        // not locked is always a dead kernel's, never one being created.
        let pending = self.root.join("lock.new");
        let lock = fs::File::create(&pending).map_err(io_error("creating", &pending))?;
        if !try_lock(&lock) {
            return Err(io_error("locking", &pending)(io::Error::last_os_error()));
        }
        let lock_path = self.root.join(LOCK_FILE);
        fs::rename(&pending, &lock_path).map_err(io_error("renaming", &pending))?;
        self.lock = Some(lock);
        let skip_incremental = |path: &Path| path.file_name().is_some_and(|n| n == "incremental");
        copy_tree(&template, &self.root, &skip_incremental, &is_shared_artifact)?;
        Ok(())
    }

    /// The toolkit crate the template was built from.
    pub fn toolkit_dir(&self) -> Result<PathBuf, TemplateError> {
        Ok(read_info(&self.root)?.toolkit_dir)
    }

    pub fn preload_code(&self) -> Result<String, TemplateError> {
        let info = read_info(&self.root)?;
        Ok(preload_code(&info.toolkit_dir, &info.toolkit_features))
    }

    pub fn reattach_code(&self) -> Result<String, TemplateError> {
        Ok(PREPARE_CELLS.to_owned())
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        if self.created {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

/// Copies a tree without the paths `skip` accepts, sharing the files
/// `share` accepts as hard links and copying the rest with their
/// modification times, which cargo compares.
fn copy_tree(
    from: &Path,
    to: &Path,
    skip: &dyn Fn(&Path) -> bool,
    share: &dyn Fn(&Path) -> bool,
) -> Result<(), TemplateError> {
    fs::create_dir_all(to).map_err(io_error("creating", to))?;
    for entry in fs::read_dir(from).map_err(io_error("reading", from))? {
        let entry = entry.map_err(io_error("reading", from))?;
        let source = entry.path();
        if skip(&source) {
            continue;
        }
        let dest = to.join(entry.file_name());
        let kind = entry.file_type().map_err(io_error("reading", &source))?;
        if kind.is_dir() {
            copy_tree(&source, &dest, skip, share)?;
        } else if kind.is_file() {
            if share(&source) && fs::hard_link(&source, &dest).is_ok() {
                continue;
            }
            copy_keeping_mtime(&source, &dest)?;
        }
    }
    Ok(())
}

/// Removes, on a thread of its own, the directories of kernels whose
/// process is gone. Called once the toolkit is loaded: removing a killed
/// kernel's directory (thousands of files) takes seconds of disk work that
/// must not compete with this kernel's own copy of the template.
pub fn remove_stale_kernel_dirs_later(data_dir: &Path) {
    let kernels = data_dir.join("kernels");
    std::thread::spawn(move || remove_stale_kernel_dirs(&kernels));
}

/// Removes the directories of kernels that were killed (they cannot clean
/// up after themselves): those whose lock no process holds.
fn remove_stale_kernel_dirs(kernels: &Path) {
    let Ok(entries) = fs::read_dir(kernels) else { return };
    for entry in entries.flatten() {
        let stale = match fs::File::open(entry.path().join(LOCK_FILE)) {
            // Held while the directory is removed, so that no kernel takes it meanwhile.
            Ok(lock) => try_lock(&lock) && fs::remove_dir_all(entry.path()).is_ok(),
            // No lock yet: being created right now, unless it is old; or a
            // kernel of an earlier fireside, which wrote its pid instead.
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let pid =
                    fs::read_to_string(entry.path().join("pid")).ok().and_then(|p| p.trim().parse().ok());
                // SAFETY: kill(2) with signal 0 only checks that the process exists.
                let pid_alive = pid.is_some_and(|pid: i32| unsafe { libc::kill(pid, 0) } == 0);
                let age = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
                !pid_alive
                    && age.is_some_and(|age| age > BEING_CREATED)
                    && fs::remove_dir_all(entry.path()).is_ok()
            }
            // Unreadable: not ours to judge.
            Err(_) => false,
        };
        if stale {
            eprintln!("fireside: removed {}, left by a kernel that was killed", entry.path().display());
        }
    }
}

/// How long a kernel directory without a lock may be one that a kernel is
/// still creating (the lock comes a moment after the directory).
const BEING_CREATED: std::time::Duration = std::time::Duration::from_secs(60);

/// An exclusive, non-blocking lock on the whole file; the system releases it
/// when the process ends, however it ends.
fn try_lock(file: &fs::File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: flock(2) on a descriptor that `file` owns.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_matches_the_workspace() {
        // Another profile would give other artifacts: `fireside install`
        // would compile burn again instead of reusing the workspace build.
        let workspace = include_str!("../../Cargo.toml");
        for section in SHARED_PROFILE.trim().split("\n\n") {
            assert!(workspace.contains(section), "the workspace's Cargo.toml lacks:\n{section}");
        }
    }

    #[test]
    fn compiled_libraries_are_shared_and_bookkeeping_and_cell_files_copied() {
        let debug = Path::new("/t/cell/target/x86_64-unknown-linux-gnu/debug");
        assert!(is_shared_artifact(&debug.join("deps/libburn-0123.rlib")));
        assert!(is_shared_artifact(&debug.join("deps/libburn-0123.rmeta")));
        assert!(is_shared_artifact(&debug.join("deps/libfireside-0123.so")));
        assert!(is_shared_artifact(&debug.join("deps/fireside-0123")));
        // cargo rewrites these in place: shared, a later build would change the template.
        assert!(!is_shared_artifact(&debug.join(".fingerprint/burn-0123/lib-burn")));
        assert!(is_shared_artifact(&debug.join("build/stdx-0123/build-script-build")));
        assert!(!is_shared_artifact(&debug.join("build/stdx-0123/output")));
        assert!(!is_shared_artifact(&debug.join("deps/libctx.so")));
        assert!(!is_shared_artifact(&debug.join("deps/code_3.so")));
        assert!(!is_shared_artifact(&debug.join(".fingerprint/ctx-99/lib-ctx")));
        assert!(!is_shared_artifact(&debug.join(".cargo-lock")));
        assert!(!is_shared_artifact(Path::new("/t/cell/Cargo.toml")));
    }

    #[test]
    fn units_are_named_by_the_hash_in_their_build_files() {
        let debug = Path::new("/t/cell/target/x86_64-unknown-linux-gnu/debug");
        assert_eq!(
            unit_hash(&debug.join("deps/libburn_flex-0123456789abcdef.rlib")),
            Some("0123456789abcdef")
        );
        assert_eq!(unit_hash(&debug.join("build/zstd-sys-fedcba9876543210/out")), Some("fedcba9876543210"));
        assert_eq!(
            unit_hash(Path::new("/t/cell/target/debug/build/serde-00000000000000ff/build-script-build")),
            Some("00000000000000ff")
        );
        assert_eq!(unit_hash(&debug.join("deps/libfireside.so")), None);
        assert_eq!(hash_in_name("burn-0123456789abcdef"), Some("0123456789abcdef"));
        assert_eq!(hash_in_name("code_3.so"), None);
        assert_eq!(hash_in_name("build-script-build"), None);
    }

    #[test]
    fn unused_units_leave_the_template_and_used_ones_and_unhashed_files_stay() {
        let data_dir = std::env::temp_dir().join(format!("fireside-prune-test-{}", std::process::id()));
        let deps = template_dir(&data_dir).join("cell/target").join(crate::HOST_TRIPLE).join("debug/deps");
        let fingerprints = deps.with_file_name(".fingerprint");
        fs::create_dir_all(&deps).unwrap();
        fs::create_dir_all(fingerprints.join("burn-1111111111111111")).unwrap();
        fs::create_dir_all(fingerprints.join("burn-2222222222222222")).unwrap();
        fs::create_dir_all(fingerprints.join("fireside-3333333333333333")).unwrap();
        for file in ["libburn-1111111111111111.rlib", "libburn-2222222222222222.rlib", "libfireside.so"] {
            fs::write(deps.join(file), "").unwrap();
        }
        // The toolkit's dylib has no hash in its name: its unit is kept by name.
        let used = [deps.join("libburn-1111111111111111.rlib"), deps.join("libfireside.so")];
        assert_eq!(remove_unused_units(&data_dir, &used).unwrap(), 2);
        assert!(fingerprints.join("fireside-3333333333333333").exists());
        assert!(deps.join("libburn-1111111111111111.rlib").exists() && deps.join("libfireside.so").exists());
        assert!(!deps.join("libburn-2222222222222222.rlib").exists());
        assert!(fingerprints.join("burn-1111111111111111").exists());
        assert!(!fingerprints.join("burn-2222222222222222").exists());
        assert_eq!(remove_unused_units(&data_dir, &[]).unwrap(), 0, "no report from cargo: nothing removed");
        fs::remove_dir_all(&data_dir).unwrap();
    }

    #[test]
    fn a_kernel_dir_is_removed_only_when_no_process_holds_its_lock() {
        let kernels = std::env::temp_dir().join(format!("fireside-stale-test-{}", std::process::id()));
        let dir = |name: &str| {
            let dir = kernels.join(name);
            fs::create_dir_all(&dir).unwrap();
            dir
        };
        let age = |path: &Path| {
            let long_ago = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
            fs::File::open(path).unwrap().set_modified(long_ago).unwrap();
        };
        // Alive: its lock is held (here by another open file of this process,
        // as by a kernel whose pid means nothing in this PID namespace).
        let alive = dir("alive");
        let held = fs::File::create(alive.join(LOCK_FILE)).unwrap();
        assert!(try_lock(&held));
        age(&alive.join(LOCK_FILE));
        // Killed: a lock file nobody holds, even with a pid file of a live
        // process, and even a moment after it was made.
        let killed = dir("killed");
        fs::write(killed.join(LOCK_FILE), "").unwrap();
        fs::write(killed.join("pid"), std::process::id().to_string()).unwrap();
        // Being created: no lock file yet, or only the one being locked.
        let creating = dir("creating");
        let locking = dir("locking");
        fs::write(locking.join("lock.new"), "").unwrap();
        // Abandoned before its lock was made, long ago.
        let abandoned = dir("abandoned");
        age(&abandoned);
        // A live kernel of an earlier fireside, which wrote its pid, no lock.
        let earlier = dir("earlier-version");
        fs::write(earlier.join("pid"), std::process::id().to_string()).unwrap();
        age(&earlier);

        remove_stale_kernel_dirs(&kernels);
        assert!(alive.exists() && creating.exists() && locking.exists() && earlier.exists());
        assert!(!killed.exists() && !abandoned.exists());
        drop(held);
        fs::remove_dir_all(&kernels).unwrap();
    }

    #[test]
    fn the_preload_names_the_toolkit_and_the_prelude() {
        let code = preload_code(Path::new("/src/fireside/toolkit"), &[]);
        assert!(code.starts_with(":dep fireside = { path = \"/src/fireside/toolkit\" }\n"));
        assert!(code.contains("use fireside::prelude::*;"));
        let gpu = preload_code(Path::new("/src/fireside/toolkit"), &[GPU_FEATURE.to_owned()]);
        assert!(
            gpu.starts_with(":dep fireside = { path = \"/src/fireside/toolkit\", features = [\"gpu\"] }\n")
        );
    }
}
