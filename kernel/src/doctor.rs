//! `fireside doctor`: what a teacher needs to see when a student's setup
//! fails, each problem with what to do about it.

use crate::paths::{self, InstallLocation};
use crate::template::PrivateDir;
use std::path::Path;
use std::process::Command;

struct Report {
    problems: Vec<String>,
}

impl Report {
    fn line(&self, what: &str, value: impl std::fmt::Display) {
        println!("{what:<16}{value}");
    }

    fn problem(&mut self, what: &str, fix: &str) {
        println!("{:<16}PROBLEM: {what}", "");
        self.problems.push(format!("{what}\n    fix: {fix}"));
    }
}

fn version_of(program: &str) -> Option<String> {
    let output = Command::new(program).arg("--version").output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

pub fn doctor(prefix: InstallLocation) -> anyhow::Result<bool> {
    let mut report = Report { problems: Vec::new() };
    report.line("fireside", env!("CARGO_PKG_VERSION"));
    for tool in ["cargo", "rustc"] {
        match version_of(tool) {
            Some(version) => report.line(tool, version),
            None => {
                report.line(tool, "not found");
                report.problem(
                    &format!("{tool} is not on PATH"),
                    "install Rust with rustup (https://rustup.rs) and open a new terminal",
                );
            }
        }
    }
    if let Some(built_with) = option_env!("FIRESIDE_RUSTC_VERSION")
        && let Some(now) = version_of("rustc")
        && !now.contains(built_with)
    {
        report.problem(
            &format!("the kernel was built with rustc {built_with} but `rustc` is now {now}"),
            "run the set-up again (ci/setup) so the template matches the compiler",
        );
    }

    let data_dir = paths::data_dir(&prefix)?;
    report.line("data directory", data_dir.display());
    let kernelspec = paths::kernelspec_dir(&prefix)?.join("fireside/kernel.json");
    if kernelspec.exists() {
        report.line("kernelspec", kernelspec.display());
    } else {
        report.line("kernelspec", "not installed");
        report.problem("Jupyter cannot see the fireside kernel", "run `fireside install` (or ci/setup)");
    }
    let template = crate::template::template_dir(&data_dir);
    let template_ok = template.join("fireside-template.json").exists();
    report.line(
        "cell template",
        if template_ok { format!("{} (prebuilt)", template.display()) } else { "missing".to_owned() },
    );
    if !template_ok {
        report.problem(
            "there is no prebuilt cell template, so kernels cannot load the toolkit",
            "run `fireside install`",
        );
    }
    if template_ok {
        backends(&mut report, &data_dir);
        device(&mut report, &data_dir);
    }

    if report.problems.is_empty() {
        println!("\nNo problems found.");
        Ok(true)
    } else {
        println!("\n{} problem(s):", report.problems.len());
        for problem in &report.problems {
            println!("  - {problem}");
        }
        Ok(false)
    }
}

/// Which backends the installed toolkit has, and what the GPU one needs.
fn backends(report: &mut Report, data_dir: &Path) {
    let features = crate::template::installed_toolkit_features(data_dir);
    if features.iter().any(|feature| feature == crate::template::GPU_FEATURE) {
        report.line("backends", "wgpu (GPU) and flex (CPU)");
        vulkan_driver(report);
    } else {
        report.line("backends", "flex (CPU); built without the GPU backend");
        if let Some(device) = gpu_device_file() {
            report.problem(
                &format!("this machine has a GPU ({device}), but fireside was built without its GPU backend"),
                "run `FIRESIDE_GPU=1 bash ci/setup` (it builds burn's wgpu backend and installs again)",
            );
        }
    }
}

fn vulkan_driver(report: &mut Report) {
    let icd_dirs = ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d"];
    let drivers: Vec<String> = icd_dirs
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    if cfg!(target_os = "linux") {
        if drivers.is_empty() {
            report.line("vulkan drivers", "none");
            report.problem(
                "no Vulkan driver: the GPU backend cannot start (the CPU backend still works)",
                "install your GPU's driver, or `apt-get install mesa-vulkan-drivers libvulkan1` for the software one",
            );
        } else {
            report.line("vulkan drivers", drivers.join(", "));
        }
    }
}

/// A device file of a GPU driver: NVIDIA's, a DRM render node (AMD, Intel),
/// WSL's. The same test as `wants_gpu` in ci/env.sh.
fn gpu_device_file() -> Option<String> {
    let render_nodes =
        std::fs::read_dir("/dev/dri").into_iter().flatten().flatten().map(|entry| entry.path());
    ["/dev/nvidia0", "/dev/dxg"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .chain(
            render_nodes
                .filter(|path| path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("renderD"))),
        )
        .find(|path| path.exists())
        .map(|path| path.display().to_string())
}

/// Asks the toolkit, in a real evaluation process, which device it picked.
fn device(report: &mut Report, data_dir: &Path) {
    let mut private = PrivateDir::plan(data_dir);
    // SAFETY: doctor is single-threaded until evcxr starts below.
    unsafe {
        crate::build_env::apply_locations(&crate::template::installed_build_env(data_dir));
        crate::set_kernel_env(&private);
    }
    if let Err(error) = private.create(data_dir) {
        report.problem(&error.to_string(), "run `fireside install`");
        return;
    }
    let result = (|| -> Result<String, String> {
        let (mut context, outputs) = evcxr::CommandContext::new().map_err(|e| e.to_string())?;
        crate::template::use_the_template_as_built(&mut context, data_dir);
        // evcxr waits until someone has read a cell's output: collect it on the side.
        let (lines_tx, lines_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in outputs.stdout.iter() {
                let _ = lines_tx.send(line);
            }
        });
        std::thread::spawn(move || outputs.stderr.iter().for_each(drop));
        let preload = private.preload_code().map_err(|e| e.to_string())?;
        context.execute(&preload).map_err(|error| match error {
            evcxr::Error::DependencyRebuild { crate_name } => crate::template::stale_template(&crate_name),
            error => error.to_string(),
        })?;
        context.execute("println!(\"{}\", fireside::device::describe());").map_err(|e| e.to_string())?;
        Ok(lines_rx.try_iter().collect::<Vec<_>>().join("\n"))
    })();
    match result {
        Ok(text) => {
            for line in text.lines() {
                report.line("", line);
            }
        }
        Err(error) => report.problem(
            &format!("the toolkit did not load in a test kernel: {error}"),
            "run `fireside install` again; if it fails the same way, report the message above",
        ),
    }
}
