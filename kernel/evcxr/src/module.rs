// Copyright 2020 The Evcxr Authors.
//
// Licensed under the Apache License, Version 2.0 <LICENSE or
// https://www.apache.org/licenses/LICENSE-2.0> or the MIT license <LICENSE
// or https://opensource.org/licenses/MIT>, at your option. This file may not be
// copied, modified, or distributed except according to those terms.

use self::artifacts::read_artifacts;
use self::cache::CacheResult;
use crate::code_block::CodeBlock;
use crate::errors::CompilationError;
use crate::errors::Error;
use crate::errors::bail;
use crate::eval_context::Config;
use crate::eval_context::ContextState;
use anyhow::Context;
use anyhow::Result;
use anyhow::anyhow;
use once_cell::sync::Lazy;
use regex::Regex;
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;

mod artifacts;
// fireside: stopping a cell's build at an interrupt (FIRESIDE.md, change 11).
mod running_build;
pub(crate) use running_build::RunningCode;
pub use running_build::{cancel_build, code_running};
pub(crate) mod cache;

pub(crate) const CORE_EXTERN_ENV: &str = "EVCXR_CORE_EXTERN";
pub(crate) const CACHE_ENABLED_ENV: &str = "EVCXR_CACHE_ENABLED";
const EXECUTION_SO_PATH_FILE: &str = ".evcxr-execution-so";
const EXECUTION_SO_PATH_ENV: &str = "EVCXR_EXECUTION_SO_PATH";
/// fireside: where the rustc wrapper records how the cell crate was compiled.
const RUSTC_COMMAND_FILE: &str = ".evcxr-rustc-command.json";
const RUSTC_COMMAND_ENV: &str = "EVCXR_RUSTC_COMMAND";

pub(crate) fn shared_object_prefix() -> &'static str {
    if cfg!(target_os = "macos") {
        "lib"
    } else if cfg!(target_os = "windows") {
        ""
    } else {
        "lib"
    }
}

pub(crate) fn rlib_prefix() -> &'static str {
    // Rlibs are, fortunately consistent in that they always start with "lib" for all platforms.
    "lib"
}

pub(crate) fn shared_object_extension() -> &'static str {
    if cfg!(target_os = "macos") {
        "dylib"
    } else if cfg!(target_os = "windows") {
        "dll"
    } else {
        "so"
    }
}

fn shared_object_name_from_crate_name(crate_name: &str) -> String {
    let prefix = shared_object_prefix();
    let extension = shared_object_extension();
    format!("{prefix}{crate_name}.{extension}")
}

fn create_dir(dir: &Path) -> Result<(), Error> {
    if let Err(err) = fs::create_dir_all(dir) {
        bail!("Error creating directory '{:?}': {}", dir, err);
    }
    Ok(())
}

fn write_file(dir: &Path, basename: &str, contents: &str) -> Result<(), Error> {
    create_dir(dir)?;
    let filename = dir.join(basename);
    // If the file contents is already correct, then skip writing it again. This
    // is mostly to avoid rewriting Cargo.toml which should change relatively
    // little.
    if fs::read_to_string(&filename)
        .map(|c| c == contents)
        .unwrap_or(false)
    {
        return Ok(());
    }
    // fireside: written whole and renamed into place, because the analysis
    // thread may read Cargo.toml at any moment.
    let partial = dir.join(format!(".{basename}.partial"));
    if let Err(err) = fs::write(&partial, contents).and_then(|()| fs::rename(&partial, &filename)) {
        bail!("Error writing '{:?}': {}", filename, err);
    }
    Ok(())
}

/// On Mac, if we copy the dylib, we get intermittent failures where we end up
/// with the previous version of the file when we shouldn't. On windows, if
/// rename the file, we get errors subsequently when something (perhaps the
/// Windows linker) tries to delete the file that it expects to still be there.
/// On Linux either renaming or copying works, but renaming should be more
/// efficient, so we do that.
#[cfg(windows)]
fn rename_or_copy_so_file(src: &Path, dest: &Path) -> Result<(), Error> {
    // Copy file by reading and writing instead of using std::fs::copy. The src
    // is a hard-linked file and we want to make extra sure that we end up with
    // a completely independent copy.
    fn alt_copy(src: &Path, dest: &Path) -> Result<(), std::io::Error> {
        use std::fs::File;
        std::io::copy(&mut File::open(src)?, &mut File::create(dest)?)?;
        Ok(())
    }
    if let Err(err) = alt_copy(src, dest) {
        bail!("Error copying '{:?}' to '{:?}': {}", src, dest, err);
    }
    Ok(())
}

#[cfg(not(windows))]
fn rename_or_copy_so_file(src: &Path, dest: &Path) -> Result<(), Error> {
    if let Err(err) = fs::rename(src, dest) {
        bail!("Error renaming '{:?}' to '{:?}': {}", src, dest, err);
    }
    Ok(())
}

#[derive(Default)]
pub(crate) struct Module {
    build_num: i32,
    last_allow_static: Option<bool>,
    /// fireside: the rustc command that cargo last ran for the cell crate,
    /// and the build settings it was run under.
    direct: Option<DirectRustc>,
    /// fireside: the packages cargo may compile besides the cell crate;
    /// `None` allows all. See `CommandContext::guard_dependency_builds`.
    pub(crate) dependency_guard: Option<Vec<String>>,
    /// fireside: the packages cargo compiled besides the cell crate.
    pub(crate) compiled_dependencies: Vec<String>,
    /// fireside: the files of every unit of the last cargo build, compiled
    /// or fresh. See `CommandContext::take_build_artifacts`.
    pub(crate) build_artifacts: Vec<PathBuf>,
}

/// fireside: a cell is one crate, and between two cells only its source
/// changes while its dependencies, manifest and flags stay the same. cargo
/// would then check hundreds of dependency fingerprints (about a third of
/// a trivial cell's time with burn) only to run the same rustc command
/// again, so that command is run directly; anything else goes to cargo.
struct DirectRustc {
    settings: String,
    command: RecordedCommand,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct RecordedCommand {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    cwd: String,
}

impl RecordedCommand {
    /// The command this rustc wrapper process is about to run.
    fn of(command: &Command) -> Option<RecordedCommand> {
        let text = |s: &std::ffi::OsStr| s.to_str().map(str::to_owned);
        Some(RecordedCommand {
            program: text(command.get_program())?,
            args: command.get_args().map(text).collect::<Option<_>>()?,
            // Not cargo's jobserver: its pipe is not open when the command
            // runs again, and rustc would warn on every cell.
            env: std::env::vars_os()
                .filter(|(k, _)| {
                    !matches!(k.to_str(), Some("CARGO_MAKEFLAGS" | "MAKEFLAGS" | "MFLAGS"))
                })
                .map(|(k, v)| Some((text(&k)?, text(&v)?)))
                .collect::<Option<_>>()?,
            cwd: text(std::env::current_dir().ok()?.as_os_str())?,
        })
    }

    fn to_command(&self) -> Command {
        self.to_command_with_args(&self.args)
    }

    fn to_command_with_args<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.cwd);
        command
    }
}

/// fireside: what cargo's build of the cell depends on besides its source.
fn build_settings(command: &Command, config: &Config) -> String {
    let read = |path: PathBuf| fs::read_to_string(path).unwrap_or_default();
    format!(
        "{:?}\n{:?}\n{:?}\n{}\n{}",
        command.get_program(),
        command.get_args().collect::<Vec<_>>(),
        command.get_envs().collect::<Vec<_>>(),
        read(config.crate_dir().join("Cargo.toml")),
        read(config.crate_dir().join(".cargo").join("config.toml")),
    )
}

const CRATE_NAME: &str = "ctx";

impl Module {
    pub(crate) fn new() -> Result<Module, Error> {
        Ok(Module {
            build_num: 0,
            last_allow_static: None,
            // fireside: no rustc command recorded yet (FIRESIDE.md, change 4).
            direct: None,
            // fireside: no dependency guard (FIRESIDE.md, change 8).
            dependency_guard: None,
            compiled_dependencies: Vec::new(),
            // fireside: no build yet (FIRESIDE.md, change 10).
            build_artifacts: Vec::new(),
        })
    }

    // Writes Cargo.toml. Should be called before compile.
    pub(crate) fn write_cargo_toml(&self, state: &ContextState) -> Result<(), Error> {
        write_file(
            state.config.crate_dir(),
            "Cargo.toml",
            &self.get_cargo_toml_contents(state),
        )
    }

    // Writes .cargo/config.toml. Should be called before compile.
    pub(crate) fn write_config_toml(&self, state: &ContextState) -> Result<(), Error> {
        let dot_config_dir = state.config.crate_dir().join(".cargo");
        fs::create_dir_all(dot_config_dir.as_path())?;
        write_file(
            dot_config_dir.as_path(),
            "config.toml",
            &self.get_config_toml_contents(state),
        )
    }

    pub(crate) fn check(
        &mut self,
        code_block: &CodeBlock,
        config: &Config,
    ) -> Result<Vec<CompilationError>, Error> {
        self.write_code(code_block, config)?;
        let output = config.cargo_command("check").output();

        let cargo_output = match output {
            Ok(out) => out,
            Err(err) => bail!("Error running 'cargo check': {}", err),
        };
        let (errors, _non_json_error) = errors_from_cargo_output(&cargo_output, code_block);
        Ok(errors)
    }

    pub(crate) fn compile(
        &mut self,
        code_block: &CodeBlock,
        config: &Config,
    ) -> Result<SoFile, Error> {
        if self.last_allow_static == Some(!config.allow_static_linking) {
            // If allow_static_linking has changed, then we need to rebuild everything.
            config.cargo_command("clean").output()?;
        }
        self.last_allow_static = Some(config.allow_static_linking);
        let mut command = config.cargo_command("build");
        if config.time_passes && config.toolchain != "nightly" {
            bail!("time_passes option requires nightly compiler");
        }

        self.write_code(code_block, config)?;

        let next_build_num = self.build_num + 1;
        let so_path_file = config.crate_dir().join(EXECUTION_SO_PATH_FILE);
        command.env(EXECUTION_SO_PATH_ENV, &so_path_file);

        match fs::remove_file(&so_path_file) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error.into()),
        }

        // fireside: the same settings as the last cargo build: run its rustc command.
        let settings = build_settings(&command, config);
        let direct = self.direct.as_ref().filter(|direct| {
            direct.settings == settings && !config.time_passes && config.cache_bytes() == 0
        });
        let so_file = if let Some(direct) = direct {
            run_rustc(&direct.command, code_block)?
        } else {
            self.direct = None;
            let command_file = config.crate_dir().join(RUSTC_COMMAND_FILE);
            let _ = fs::remove_file(&command_file);
            command.env(RUSTC_COMMAND_ENV, &command_file);

            // fireside: the dependency guard (FIRESIDE.md, change 8).
            let cargo_output = run_cargo(
                command,
                code_block,
                self.dependency_guard.as_deref(),
                &mut self.compiled_dependencies,
            )?;
            if config.time_passes {
                let output = String::from_utf8_lossy(&cargo_output.stderr);
                eprintln!("{output}");
            }
            // fireside: the files of this build (FIRESIDE.md, change 10).
            self.build_artifacts = build_artifacts(&cargo_output.stdout);

            let so_file = match fs::read_to_string(&so_path_file) {
                Ok(path) => PathBuf::from(path),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    compiled_so_path(&cargo_output.stdout)?
                }
                Err(error) => return Err(error.into()),
            };
            // Recorded by the wrapper when cargo compiled the cell crate.
            self.direct = fs::read_to_string(&command_file)
                .ok()
                .and_then(|text| serde_json::from_str(&text).ok())
                .map(|command| DirectRustc { settings, command });
            so_file
        };

        let copied_so_file = so_file.with_file_name(shared_object_name_from_crate_name(&format!(
            "code_{next_build_num}"
        )));

        rename_or_copy_so_file(&so_file, &copied_so_file)?;
        self.build_num = next_build_num;

        if config.cache_bytes() > 0 {
            crate::module::cache::cleanup(config.cache_bytes())?;
        }

        Ok(SoFile {
            path: copied_so_file,
        })
    }

    /// fireside: see `probe_variable_types`.
    pub(crate) fn probe_variable_types(
        &self,
        source: &str,
        config: &Config,
    ) -> Option<std::collections::HashMap<String, crate::rust_analyzer::VariableInfo>> {
        probe_variable_types(&self.direct.as_ref()?.command, config.crate_dir(), source)
    }

    fn write_code(&self, code_block: &CodeBlock, config: &Config) -> Result<(), Error> {
        write_file(&config.src_dir(), "lib.rs", &code_block.code_string())?;
        self.maybe_bump_lib_mtime(config);
        Ok(())
    }

    #[cfg(not(target_os = "macos"))]
    fn maybe_bump_lib_mtime(&self, _config: &Config) {}

    #[cfg(target_os = "macos")]
    fn maybe_bump_lib_mtime(&self, config: &Config) {
        // Some Macs use a filesystem that only has 1 second precision on file modification
        // timestamps. Cargo uses these timestamps to see if it needs to recompile things, otherwise
        // it just reuses the previous output. We set the modification timestamp on our source file
        // to be 10 seconds in the future. That way it's guaranteed to be newer than any outputs
        // produced by previous runs. In the event that setting the mtime fails, we just ignore it,
        // as this mostly affects tests and we don't want inability to set mtime to break things for
        // users.
        let _ = filetime::set_file_mtime(
            config.src_dir().join("lib.rs"),
            filetime::FileTime::from_unix_time(filetime::FileTime::now().unix_seconds() + 10, 0),
        );
    }

    fn get_cargo_toml_contents(&self, state: &ContextState) -> String {
        let crate_imports = state.format_cargo_deps();
        format!(
            r#"
[package]
name = "{}"
version = "1.0.0"
edition = "2024"

[lib]
crate-type = ["cdylib"]
path = "src/lib.rs"

[profile.dev]
opt-level = {}
debug = false
strip = "debuginfo"
rpath = true
lto = false
debug-assertions = true
codegen-units = 16
panic = 'unwind'
incremental = true
overflow-checks = true

[dependencies]
{}
"#,
            CRATE_NAME,
            state.opt_level(),
            crate_imports
        )
    }

    // Pass offline mode to cargo through .cargo/config.toml
    fn get_config_toml_contents(&self, state: &ContextState) -> String {
        format!(
            r#"
[net]
offline = {}
"#,
            state.offline_mode()
        )
    }
}

pub(crate) fn wrap_rustc() {
    match wrap_rustc_helper() {
        Err(error) => {
            eprintln!("Failed to wrap rustc: {error}");
            std::process::exit(-1);
        }
        Ok(exit_code) => {
            std::process::exit(exit_code);
        }
    }
}

pub(crate) fn wrap_rustc_helper() -> Result<i32> {
    let mut command = rustc_command()?;

    let cache_result = cache::access_cache(&command)?;
    if matches!(cache_result, CacheResult::Hit) {
        report_execution_so(&command)?;
        return Ok(0);
    }

    let output = command.output()?;

    std::io::stdout().write_all(&output.stdout)?;
    std::io::stderr().write_all(&output.stderr)?;

    if output.status.code() == Some(0) {
        let stderr = std::str::from_utf8(&output.stderr).context("Rustc emitted invalid UTF-8")?;
        let artifacts = read_artifacts(stderr);
        if let CacheResult::Miss(cache_miss) = cache_result {
            cache_miss.update_cache(&artifacts)?;
        }
        report_execution_so(&command)?;
        // fireside: record how the cell crate was compiled (Module::compile).
        if let (Some(_), Some(file)) = (
            execution_so_source(&command),
            std::env::var_os(RUSTC_COMMAND_ENV),
        ) && let Some(recorded) = RecordedCommand::of(&command)
        {
            fs::write(file, serde_json::to_string(&recorded)?)?;
        }
    }

    Ok(output.status.code().unwrap_or(-1))
}

fn report_execution_so(command: &Command) -> Result<()> {
    let Some(source) = execution_so_source(command) else {
        return Ok(());
    };

    let Some(path_file) = std::env::var_os(EXECUTION_SO_PATH_ENV) else {
        return Ok(());
    };
    fs::write(path_file, source.to_string_lossy().as_bytes())?;

    Ok(())
}

/// fireside: what cargo's JSON messages say each unit of a build produced:
/// the files of each compiled (or fresh) target, and the output directory
/// of each build script it ran.
fn build_artifacts(cargo_stdout: &[u8]) -> Vec<PathBuf> {
    let mut artifacts = Vec::new();
    for line in String::from_utf8_lossy(cargo_stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        match message["reason"].as_str() {
            Some("compiler-artifact") => artifacts.extend(
                message["filenames"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|name| name.as_str())
                    .map(PathBuf::from),
            ),
            Some("build-script-executed") => {
                artifacts.extend(message["out_dir"].as_str().map(PathBuf::from))
            }
            _ => {}
        }
    }
    artifacts
}

fn compiled_so_path(cargo_stdout: &[u8]) -> Result<PathBuf, Error> {
    let expected_name = shared_object_name_from_crate_name(CRATE_NAME);

    for line in String::from_utf8_lossy(cargo_stdout).lines().rev() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };

        if message["reason"] != "compiler-artifact" || message["target"]["name"] != CRATE_NAME {
            continue;
        }

        let Some(filenames) = message["filenames"].as_array() else {
            continue;
        };

        if let Some(path) = filenames
            .iter()
            .filter_map(|filename| filename.as_str())
            .map(PathBuf::from)
            .find(|path| {
                path.file_name()
                    .is_some_and(|name| name == std::ffi::OsStr::new(&expected_name))
            })
        {
            return Ok(path);
        }
    }

    bail!(
        "Cargo did not report the path of the compiled shared object '{}'. Cargo stdout:\n{}",
        expected_name,
        String::from_utf8_lossy(cargo_stdout)
    );
}

fn execution_so_source(command: &Command) -> Option<PathBuf> {
    let mut args = command.get_args();
    let mut is_ctx = false;
    let mut out_dir = None;
    while let Some(arg) = args.next() {
        if arg == "--crate-name" {
            is_ctx = args.next().is_some_and(|name| name == CRATE_NAME);
        } else if arg == "--out-dir" {
            out_dir = args.next().map(PathBuf::from);
        }
    }
    if is_ctx {
        Some(out_dir?.join(shared_object_name_from_crate_name(CRATE_NAME)))
    } else {
        None
    }
}

fn rustc_command() -> Result<Command> {
    let mut args = std::env::args().peekable();
    args.next();
    let rustc = args.next().ok_or_else(|| anyhow!("Insufficient args"))?;
    let mut command = std::process::Command::new(rustc);

    if !should_force_dylibs() {
        command.args(args);
        return Ok(command);
    }

    let num_crate_types = std::env::args_os()
        .filter(|arg| arg == "--crate-type")
        .count();
    let core_extern = std::env::var(CORE_EXTERN_ENV)
        .with_context(|| format!("Internal env var {CORE_EXTERN_ENV}` not set"))?;

    let mut got_prefer_dynamic = false;
    while let Some(arg) = args.next() {
        if arg == "-C" {
            let next = args.peek();
            if next.map(|n| n == "prefer-dynamic").unwrap_or_default() {
                got_prefer_dynamic = true;
            }
        }
        if arg == "-Cprefer-dynamic" {
            got_prefer_dynamic = true;
        }

        // If a static library is being linked into this crate, then we modify the linker arguments
        // to make sure that the whole archive gets linked in, otherwise any symbol not referenced
        // by the functions in this crate (most of them) will be garbage collected by the linker.
        // This would be slightly nicer if we could just pass `-l static:+whole-archive=...` to
        // rustc, however rustc doesn't permit `+whole-archive` and `+bundle` at the same time which
        // is what we want.
        if arg == "-l" {
            let Some(next) = args.next() else { continue };
            if let Some(rest) = next.strip_prefix("static=") {
                command.arg("-Clink-arg=-Wl,--whole-archive");
                command.arg("-l").arg(rest);
                command.arg("-Clink-arg=-Wl,--no-whole-archive");
            } else {
                command.arg(arg);
                command.arg(next);
            }
            continue;
        }

        command.arg(&arg);

        // If we're compiling as a crate-type of lib and nothing else, then we tell rustc to also
        // compile as a dylib. We still need compile as type lib though, since otherwise cargo
        // recompiles every time - presumably because it detects that the lib file it asked for
        // isn't present.
        if arg == "--crate-type"
            && num_crate_types == 1
            && let Some(crate_type) = args.next()
        {
            command.arg(&crate_type);
            if crate_type == "lib" {
                command.arg("--crate-type");
                command.arg("dylib");
            }
        }
        // Make paths to our dependencies to use dylibs rather than rlibs.
        if arg == "--extern" {
            let ext = args.next().ok_or_else(|| anyhow!("Insufficient args"))?;
            let so_arg = map_extern_arg(&ext);
            command.arg(so_arg);
        }
    }
    command.arg("--extern").arg(core_extern);
    if !got_prefer_dynamic {
        command.arg("-C").arg("prefer-dynamic");
    }
    Ok(command)
}

fn should_force_dylibs() -> bool {
    std::env::var(crate::runtime::FORCE_DYLIB_ENV).is_ok()
}

fn map_extern_arg(ext: &str) -> OsString {
    if let Some((crate_name, path)) = ext.split_once('=') {
        let mut path = PathBuf::from(path);
        let mut so_arg = OsString::from(crate_name);
        // Remove the rlib prefix and add the shared object prefix (if any). On unix platforms this
        // is redundant because both are "lib", but it's necessary on Windows. We do it
        // unconditionally though because it's cheap and it makes sure the code always gets tested.
        if let Some(without_prefix) = path
            .file_name()
            .and_then(|f| f.to_str())
            .and_then(|f| f.strip_prefix(rlib_prefix()))
        {
            let prefix = shared_object_prefix();
            path = path.with_file_name(format!("{prefix}{without_prefix}"));
        }
        so_arg.push("=");
        let path = path.with_extension(shared_object_extension());
        // The shared object might not exist yet if we're doing a `cargo check`, so we only attempt
        // to use it if it actually exists.
        if path.exists() {
            so_arg.push(path);
            return so_arg;
        }
    }
    OsString::from(ext)
}

/// fireside: the rustc command of the last cell, changed to type-check
/// `source_file` into `out_dir` without generating code or touching the
/// cell crate's incremental state.
fn type_check_command(recorded: &RecordedCommand, source_file: &Path, out_dir: &Path) -> Command {
    recorded.to_command_with_args(&type_check_args(&recorded.args, source_file, out_dir))
}

fn type_check_args(recorded: &[String], source_file: &Path, out_dir: &Path) -> Vec<OsString> {
    let mut probe = Vec::new();
    let mut args = recorded.iter();
    while let Some(arg) = args.next() {
        if arg == "-C"
            && args
                .clone()
                .next()
                .is_some_and(|next| next.starts_with("incremental="))
        {
            args.next();
        } else if arg == "--out-dir" {
            args.next();
            probe.push("--out-dir".into());
            probe.push(out_dir.into());
        } else if arg.starts_with("--emit=") {
            probe.push("--emit=metadata".into());
        } else if !arg.starts_with('-') && arg.ends_with(".rs") {
            probe.push(source_file.into());
        } else {
            probe.push(arg.into());
        }
    }
    probe
}

/// fireside: names the types of the variables that `source` (a cell's
/// analysis code) stores, from rustc's own diagnostics. Each variable is
/// passed to a function that takes a `PhantomData<()>`, and rustc's note
/// "expected struct `PhantomData<()>`, found struct `T`" names `T`; with
/// `-Z trim-diagnostic-paths=false` as a path that code can write
/// (`fireside::prelude::Tensor<2>`, `std::collections::HashMap<i32, i32>`).
/// That takes a type-check, where rust-analyzer's first answer against the
/// toolkit takes tens of seconds. `None` when no cell has been compiled yet
/// or rustc could not run.
pub(crate) fn probe_variable_types(
    recorded: &RecordedCommand,
    crate_dir: &Path,
    source: &str,
) -> Option<std::collections::HashMap<String, crate::rust_analyzer::VariableInfo>> {
    const STORE: &str = "fn evcxr_variable_store<T: 'static>(_: T) {}";
    const PROBE: &str = "fn evcxr_variable_store(_: std::marker::PhantomData<()>) {}";
    let start = source.find(STORE)?;
    let probe_source = format!(
        "{}{PROBE}{}",
        &source[..start],
        &source[start + STORE.len()..]
    );
    // Offsets in the probe's source back to `source`'s.
    let shift = |offset: usize| {
        if offset > start {
            offset + STORE.len() - PROBE.len()
        } else {
            offset
        }
    };
    let probe_dir = crate_dir.join("type-probe");
    fs::create_dir_all(&probe_dir).ok()?;
    let source_file = probe_dir.join("lib.rs");
    fs::write(&source_file, &probe_source).ok()?;
    // Untrimmed paths need `-Z` (hence RUSTC_BOOTSTRAP, for this type-check
    // only); should a later rustc refuse it, the trimmed names still serve.
    for untrimmed in [true, false] {
        let mut command = type_check_command(recorded, &source_file, &probe_dir);
        if untrimmed {
            command
                .arg("-Ztrim-diagnostic-paths=false")
                .env("RUSTC_BOOTSTRAP", "1");
        }
        let output = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .output()
            .ok()?;
        let types =
            types_from_diagnostics(&String::from_utf8_lossy(&output.stderr), source, &shift);
        if !types.is_empty() || !untrimmed {
            return Some(types);
        }
    }
    None
}

fn types_from_diagnostics(
    stderr: &str,
    source: &str,
    shift: &dyn Fn(usize) -> usize,
) -> std::collections::HashMap<String, crate::rust_analyzer::VariableInfo> {
    let mut types = std::collections::HashMap::new();
    for line in stderr.lines() {
        let Ok(diagnostic) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if diagnostic["code"]["code"] != "E0308" {
            continue;
        }
        let note = diagnostic["children"].as_array().and_then(|children| {
            children
                .iter()
                .filter_map(|child| child["message"].as_str())
                .find(|message| message.contains("found "))
        });
        let Some(spans) = diagnostic["spans"].as_array() else {
            continue;
        };
        for span in spans.iter().filter(|span| span["is_primary"] == true) {
            let (Some(begin), Some(end), Some(label)) = (
                span["byte_start"].as_u64(),
                span["byte_end"].as_u64(),
                span["label"].as_str(),
            ) else {
                continue;
            };
            let (begin, end) = (shift(begin as usize), shift(end as usize));
            let Some(name) = source.get(begin..end) else {
                continue;
            };
            let is_store_call = source[..begin].ends_with("evcxr_variable_store(")
                && source[end..].starts_with(");");
            if is_store_call {
                let type_name = note
                    .map(type_from_mismatch_note)
                    .filter(|found| *found != crate::rust_analyzer::TypeName::Unknown)
                    .unwrap_or_else(|| type_from_mismatch_label(label));
                types.insert(
                    name.to_owned(),
                    crate::rust_analyzer::VariableInfo {
                        type_name,
                        is_mutable: false,
                    },
                );
            }
        }
    }
    types
}

/// fireside: the type in rustc's note "expected struct `E`\n found struct `T`".
fn type_from_mismatch_note(note: &str) -> crate::rust_analyzer::TypeName {
    static FOUND: Lazy<Regex> = Lazy::new(|| Regex::new(r"found [a-z ]+ `(.+)`\s*$").unwrap());
    let found = note.lines().last().unwrap_or_default().trim();
    match FOUND.captures(found) {
        Some(captures) => nameable(&captures[1]),
        None => crate::rust_analyzer::TypeName::Unknown,
    }
}

/// fireside: the type in rustc's label "expected `E`, found `T`", with the
/// integer and float types that rustc falls back to where nothing else
/// decided them (a store call is the cell's last use of a variable).
fn type_from_mismatch_label(label: &str) -> crate::rust_analyzer::TypeName {
    use crate::rust_analyzer::TypeName;
    let Some((_, found)) = label.split_once(", found ") else {
        return TypeName::Unknown;
    };
    match found {
        "integer" => TypeName::Named("i32".to_owned()),
        "floating-point number" => TypeName::Named("f64".to_owned()),
        "closure" => TypeName::Closure,
        quoted if quoted.len() > 2 && quoted.starts_with('`') && quoted.ends_with('`') => {
            nameable(&quoted[1..quoted.len() - 1])
        }
        _ => TypeName::Unknown,
    }
}

/// fireside: a type as rustc printed it, as code can write it, if it can.
fn nameable(printed: &str) -> crate::rust_analyzer::TypeName {
    use crate::rust_analyzer::TypeName;
    if printed.starts_with("{closure") {
        return TypeName::Closure;
    }
    let type_name = printed
        .replace("{integer}", "i32")
        .replace("{float}", "f64");
    // Shortened ("..."), or not nameable ({closure@..}, impl Trait).
    if type_name.contains("...")
        || type_name.contains('{')
        || type_name.contains("impl ")
        || !crate::rust_analyzer::is_type_valid(&type_name)
    {
        TypeName::Unknown
    } else {
        TypeName::Named(type_name)
    }
}

/// fireside: compiles the cell crate with the rustc command cargo used last,
/// returning the shared object it wrote. rustc's diagnostics are the JSON
/// that cargo would have passed on.
fn run_rustc(recorded: &RecordedCommand, code_block: &CodeBlock) -> Result<PathBuf, Error> {
    let mut command = recorded.to_command();
    let so_file = execution_so_source(&command)
        .ok_or_else(|| anyhow!("the recorded rustc command does not build the cell crate"))?;
    // fireside: in a process group of its own, which an interrupt may stop.
    let child = running_build::in_own_process_group(&mut command)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|error| anyhow!("Error running rustc: {error}"))?;
    let running = running_build::RunningBuild::started(&child);
    let output = child
        .wait_with_output()
        .map_err(|error| anyhow!("Error running rustc: {error}"))?;
    drop(running);
    if output.status.success() {
        return Ok(so_file);
    }
    let (errors, _) = errors_from_cargo_output(&output, code_block);
    if errors.is_empty() {
        bail!(Error::Message(format!(
            "Compilation failed, but no parsable errors were found. STDERR:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    bail!(Error::CompilationErrors(errors));
}

/// Run a cargo command prepared for the provided `code_block`, processing the
/// command's output.
fn run_cargo(
    mut command: std::process::Command,
    code_block: &CodeBlock,
    // fireside: the dependency guard (FIRESIDE.md, change 8).
    dependency_guard: Option<&[String]>,
    compiled_dependencies: &mut Vec<String>,
) -> Result<std::process::Output, Error> {
    use std::io::BufRead;
    use std::io::Read;

    // fireside: in a process group of its own, which an interrupt may stop.
    let mb_child = running_build::in_own_process_group(&mut command)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn();
    let mut child = match mb_child {
        Ok(out) => out,
        Err(err) => bail!("Error running 'cargo rustc': {}", err),
    };
    // fireside: what cancel_build stops (FIRESIDE.md, change 11).
    let running = running_build::RunningBuild::started(&child);

    // Collect stdout in a parallel thread
    let mut stdout = child.stdout.take().unwrap();
    let output_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf)?;
        Ok::<_, Error>(buf)
    });

    // Collect stderr synchronously
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut all_errors = Vec::new();
    for mb_line in stderr.split(10) {
        let mut line = mb_line?;
        tee_error_line(&line);
        // fireside: a dependency being compiled; stopped if not allowed.
        if let Some(crate_name) = compiling_package(&line) {
            compiled_dependencies.push(crate_name.clone());
            if dependency_guard.is_some_and(|allowed| !allowed.contains(&crate_name)) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::DependencyRebuild { crate_name });
            }
        }
        all_errors.append(&mut line);
        all_errors.push(10);
    }

    let status = child.wait()?;
    // fireside: the build is over, nothing for cancel_build to stop (FIRESIDE.md, change 11).
    drop(running);
    let all_output = output_thread.join().expect("Panic in child thread")?;

    let cargo_output = std::process::Output {
        status,
        stdout: all_output,
        stderr: all_errors,
    };
    if cargo_output.status.success() {
        Ok(cargo_output)
    } else {
        let (errors, non_json_error) = errors_from_cargo_output(&cargo_output, code_block);
        if errors.is_empty() {
            if let Some(error) = non_json_error {
                bail!(Error::Message(error));
            } else {
                bail!(Error::Message(format!(
                    "Compilation failed, but no parsable errors were found. STDERR:\n\
                     {}\nSTDOUT:{}\n",
                    String::from_utf8_lossy(&cargo_output.stderr),
                    String::from_utf8_lossy(&cargo_output.stdout)
                )));
            }
        } else {
            bail!(Error::CompilationErrors(errors));
        }
    }
}

/// fireside: the package in cargo's "Compiling NAME vX.Y.Z" line, unless it
/// is the cell crate. (`tee_error_line`'s pattern misses names with '-'.)
fn compiling_package(line: &[u8]) -> Option<String> {
    static COMPILING: Lazy<regex::bytes::Regex> =
        Lazy::new(|| regex::bytes::Regex::new(r"^\s*Compiling ([A-Za-z0-9_-]+) v").unwrap());
    let name = COMPILING.captures(line)?.get(1)?.as_bytes();
    let name = String::from_utf8_lossy(name).into_owned();
    (name != CRATE_NAME).then_some(name)
}

/// Process one line from cargo, either copying it to stderr or ignoring.
///
/// At this point it looks for messages about compiling dependency crates.
fn tee_error_line(line: &[u8]) {
    static CRATE_COMPILING: Lazy<regex::bytes::Regex> =
        Lazy::new(|| regex::bytes::Regex::new("^\\s*Compiling (\\w+)(?:\\s+.*)?$").unwrap());
    if let Some(captures) = CRATE_COMPILING.captures(line) {
        let crate_name = captures.get(1).unwrap().as_bytes();
        if crate_name != CRATE_NAME.as_bytes() {
            // write line and the following nl symbol as it was stripped before
            std::io::stderr()
                .write_all(line)
                .expect("Writing to stderr should not fail");
            eprintln!();
        }
    }
}

fn errors_from_cargo_output(
    cargo_output: &std::process::Output,
    code_block: &CodeBlock,
) -> (Vec<CompilationError>, Option<String>) {
    // Our compiler errors should all be in JSON format, but for errors from
    // Cargo errors, we need to add explicit matching for those errors that we
    // expect we might see.
    static KNOWN_NON_JSON_ERRORS: Lazy<Regex> =
        Lazy::new(|| Regex::new("(error: no matching package named)").unwrap());

    let stderr = String::from_utf8_lossy(&cargo_output.stderr);
    let stdout = String::from_utf8_lossy(&cargo_output.stdout);
    let mut non_json_error = None;
    let errors = stderr
        .lines()
        .chain(stdout.lines())
        .filter_map(|line| {
            serde_json::from_str(line)
                .ok()
                .and_then(|json| CompilationError::opt_new(json, code_block))
                .or_else(|| {
                    if KNOWN_NON_JSON_ERRORS.is_match(line) {
                        non_json_error = Some(line.to_owned());
                    }
                    None
                })
        })
        .collect();
    (errors, non_json_error)
}

pub(crate) struct SoFile {
    pub(crate) path: PathBuf,
}

// fireside: tests of the type probe (FIRESIDE.md, change 6).
#[cfg(test)]
mod type_probe_tests {
    use super::*;
    use crate::rust_analyzer::TypeName;

    #[test]
    fn types_are_read_from_rustc_mismatch_labels() {
        let named = |label: &str| type_from_mismatch_label(label);
        let e = "expected `PhantomData<()>`, found";
        assert_eq!(
            named(&format!("{e} `Vec<i32>`")),
            TypeName::Named("Vec<i32>".into())
        );
        assert_eq!(
            named(&format!("{e} `Vec<{{integer}}>`")),
            TypeName::Named("Vec<i32>".into())
        );
        assert_eq!(
            named(&format!("{e} integer")),
            TypeName::Named("i32".into())
        );
        assert_eq!(
            named(&format!("{e} floating-point number")),
            TypeName::Named("f64".into())
        );
        assert_eq!(named(&format!("{e} closure")), TypeName::Closure);
        assert_eq!(named(&format!("{e} `Foo<...>`")), TypeName::Unknown);
        assert_eq!(named(&format!("{e} fn item")), TypeName::Unknown);
        assert_eq!(
            named("arguments to this function are incorrect"),
            TypeName::Unknown
        );
    }

    #[test]
    fn full_paths_are_read_from_rustc_mismatch_notes() {
        let named = |found: &str| {
            type_from_mismatch_note(&format!(
                "expected struct `std::marker::PhantomData<()>`\n   found {found}"
            ))
        };
        assert_eq!(
            named("struct `std::collections::HashMap<i32, {float}>`"),
            TypeName::Named("std::collections::HashMap<i32, f64>".into())
        );
        assert_eq!(
            named("tuple `(u8, std::string::String)`"),
            TypeName::Named("(u8, std::string::String)".into())
        );
        assert_eq!(
            named("closure `{closure@src/lib.rs:3:9: 3:12}`"),
            TypeName::Closure
        );
        assert_eq!(
            type_from_mismatch_note("function defined here"),
            TypeName::Unknown
        );
    }

    #[test]
    fn the_type_check_replaces_source_emit_output_and_drops_incremental() {
        let recorded: Vec<String> = [
            "--crate-name",
            "ctx",
            "--edition=2024",
            "src/lib.rs",
            "--crate-type",
            "cdylib",
            "--emit=dep-info,link",
            "-C",
            "opt-level=0",
            "-C",
            "incremental=/k/target/incremental",
            "--out-dir",
            "/k/target/deps",
            "--extern",
            "fireside=/k/libfireside.so",
        ]
        .map(String::from)
        .to_vec();
        let args = type_check_args(
            &recorded,
            Path::new("/k/type-probe/lib.rs"),
            Path::new("/k/type-probe"),
        );
        let args: Vec<&str> = args.iter().map(|arg| arg.to_str().unwrap()).collect();
        assert_eq!(
            args,
            [
                "--crate-name",
                "ctx",
                "--edition=2024",
                "/k/type-probe/lib.rs",
                "--crate-type",
                "cdylib",
                "--emit=metadata",
                "-C",
                "opt-level=0",
                "--out-dir",
                "/k/type-probe",
                "--extern",
                "fireside=/k/libfireside.so",
            ]
        );
    }
}

// fireside: tests of the build's files (FIRESIDE.md, change 10).
#[cfg(test)]
mod build_artifact_tests {
    use super::build_artifacts;
    use std::path::PathBuf;

    #[test]
    fn artifacts_are_the_files_of_fresh_and_compiled_units_and_build_script_outputs() {
        let stdout = br#"{"reason":"compiler-artifact","fresh":true,"filenames":["/t/debug/deps/libburn-0123456789abcdef.rlib","/t/debug/deps/libburn-0123456789abcdef.rmeta"]}
{"reason":"build-script-executed","out_dir":"/t/debug/build/zstd-sys-fedcba9876543210/out"}
not json
{"reason":"compiler-message","message":{}}
{"reason":"compiler-artifact","fresh":false,"filenames":["/t/debug/deps/libctx.so"]}
{"reason":"build-finished","success":true}"#;
        let expected: Vec<PathBuf> = [
            "/t/debug/deps/libburn-0123456789abcdef.rlib",
            "/t/debug/deps/libburn-0123456789abcdef.rmeta",
            "/t/debug/build/zstd-sys-fedcba9876543210/out",
            "/t/debug/deps/libctx.so",
        ]
        .into_iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(build_artifacts(stdout), expected);
    }
}

// fireside: tests of the dependency guard (FIRESIDE.md, change 8).
#[cfg(test)]
mod dependency_guard_tests {
    use super::compiling_package;

    #[test]
    fn compiling_lines_name_the_package_but_not_the_cell_crate() {
        assert_eq!(
            compiling_package(b"   Compiling burn-core v0.22.1"),
            Some("burn-core".to_owned())
        );
        assert_eq!(
            compiling_package(b"   Compiling fireside v0.1.0 (/src/toolkit)"),
            Some("fireside".to_owned())
        );
        assert_eq!(
            compiling_package(b"   Compiling ctx v1.0.0 (/k/cell)"),
            None
        );
        assert_eq!(compiling_package(b"    Finished `dev` profile"), None);
    }
}
