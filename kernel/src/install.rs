//! `fireside install`: the kernelspec Jupyter reads, a copy of the kernel
//! binary, and the prebuilt cell template every kernel starts from.

use crate::paths::{self, InstallLocation};
use anyhow::{Context, bail};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub struct InstallOptions {
    pub prefix: InstallLocation,
    /// The toolkit crate whose prebuilt copy the kernel loads.
    pub toolkit_dir: PathBuf,
    /// A cargo target directory to reuse compiled dependencies from.
    pub seed: Option<PathBuf>,
    /// Build the toolkit with burn's GPU backend (`template::GPU_FEATURE`).
    pub gpu: bool,
}

pub fn install(options: InstallOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let data_dir = paths::data_dir(&options.prefix)?;
    let kernelspec_dir = paths::kernelspec_dir(&options.prefix)?.join("fireside");
    let toolkit_dir = options
        .toolkit_dir
        .canonicalize()
        .with_context(|| format!("the toolkit crate is not at {}", options.toolkit_dir.display()))?;
    if !toolkit_dir.join("Cargo.toml").exists() {
        bail!(
            "{} has no Cargo.toml: pass --toolkit with the path of fireside's toolkit/ folder",
            toolkit_dir.display()
        );
    }

    let binary = copy_binary(&data_dir)?;
    println!("kernel binary   {}", binary.display());

    let seed = options.seed.or_else(workspace_target_dir);
    match &seed {
        Some(seed) => println!("reusing the build in {}", seed.display()),
        None => println!("no workspace build found to reuse: compiling the toolkit from scratch (slow)"),
    }
    let features: Vec<String> =
        if options.gpu { vec![crate::template::GPU_FEATURE.to_owned()] } else { Vec::new() };
    println!(
        "toolkit         {}",
        if options.gpu {
            "with burn's GPU backend (wgpu) and the CPU one (flex)"
        } else {
            "CPU backend (flex) only"
        }
    );
    crate::template::build(&data_dir, &toolkit_dir, &features, seed.as_deref())?;
    // Build the template by running a kernel's preload in it: the same cargo
    // invocation as a kernel's first cell, so nothing is left to compile.
    let artifacts = warm_template(&data_dir)?;
    let removed = crate::template::remove_unused_units(&data_dir, &artifacts)?;
    println!("  {removed} build units that the cells do not use left out of the template");
    println!("cell template   {}", crate::template::template_dir(&data_dir).display());
    let pinned = crate::template::record_build_env(&data_dir)?;
    println!(
        "build environment restored in every kernel: {}",
        pinned.keys().cloned().collect::<Vec<_>>().join(", ")
    );

    write_kernelspec(&kernelspec_dir, &binary, &data_dir)?;
    println!("kernelspec      {}", kernelspec_dir.display());
    println!(
        "installed in {:.0} s; start it with: jupyter lab (kernel \"Rust (fireside)\")",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The kernel runs from a copy, so rebuilding the workspace never changes
/// a running kernel's binary underneath it.
fn copy_binary(data_dir: &Path) -> anyhow::Result<PathBuf> {
    let bin_dir = data_dir.join("bin");
    std::fs::create_dir_all(&bin_dir).with_context(|| format!("creating {}", bin_dir.display()))?;
    let current = std::env::current_exe()?;
    let target = bin_dir.join("fireside");
    if current != target {
        let staging = bin_dir.join(".fireside.new");
        std::fs::copy(&current, &staging).with_context(|| format!("copying {}", current.display()))?;
        std::fs::rename(&staging, &target)?;
    }
    Ok(target)
}

/// `target/` of the cargo build this binary came from, when run from there:
/// `<target>/<host triple>/debug/fireside`.
fn workspace_target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?;
    let target = profile_dir.parent()?.parent()?;
    target.join(crate::HOST_TRIPLE).join("debug").join("deps").is_dir().then(|| target.to_owned())
}

/// Runs the first cells of a kernel in the template; returns the files of
/// the units cargo built them from.
fn warm_template(data_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let preload = crate::template::installed_preload_code(data_dir)?;
    let started = Instant::now();
    println!("building the cell template (reuses the workspace build; the toolkit itself compiles once)...");
    let (mut context, outputs) =
        evcxr::CommandContext::new().map_err(|e| anyhow::anyhow!("evcxr could not start: {e}"))?;
    // evcxr waits until someone has read a cell's output.
    std::thread::spawn(move || outputs.stdout.iter().for_each(|line| println!("  {line}")));
    std::thread::spawn(move || outputs.stderr.iter().for_each(|line| eprintln!("  {line}")));
    context
        .execute(&preload)
        .map_err(|e| anyhow::anyhow!("building the toolkit for notebooks failed:\n{e}"))?;
    let mut artifacts = context.take_build_artifacts();
    // A first layer, so what a notebook's first cell needs is compiled too.
    context
        .execute("let warm_up = fireside::kernel::warm_up();")
        .map_err(|e| anyhow::anyhow!("the warm-up cell failed:\n{e}"))?;
    artifacts.extend(context.take_build_artifacts());
    println!("  template built in {:.0} s", started.elapsed().as_secs_f64());
    Ok(artifacts)
}

fn write_kernelspec(dir: &Path, binary: &Path, data_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let spec = json!({
        "argv": [binary, "kernel", "--data-dir", data_dir, "-f", "{connection_file}"],
        "display_name": "Rust (fireside)",
        "language": "rust",
        "interrupt_mode": "message",
        "env": {},
        "metadata": { "debugger": false },
    });
    std::fs::write(dir.join("kernel.json"), serde_json::to_string_pretty(&spec)?)?;
    std::fs::write(dir.join("logo-svg.svg"), LOGO_SVG)?;
    Ok(())
}

const LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#2b1d14"/><path d="M32 8c6 10 16 16 16 30a16 16 0 0 1-32 0c0-8 4-12 8-16 0 6 3 9 6 10-2-8 0-16 2-24z" fill="#f28c28"/><path d="M32 30c3 5 8 8 8 14a8 8 0 0 1-16 0c0-4 2-6 4-8 0 3 2 4 3 5-1-4 0-8 1-11z" fill="#ffd166"/></svg>"##;
