//! fireside: a Jupyter kernel for Rust that starts warm, with the fireside
//! deep-learning toolkit already loaded.
//!
//! - `fireside install` writes the kernelspec and prebuilds the cell template;
//! - `fireside kernel -f CONNECTION_FILE` is what Jupyter runs;
//! - `fireside doctor` says what is wrong with a setup and how to fix it.

mod build_env;
mod child_output;
mod compile_errors;
mod completeness;
mod doctor;
mod evaluator;
mod history;
mod install;
mod interrupt;
mod paths;
mod process_death;
mod quick_complete;
mod server;
mod template;
mod wire;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub const PROTOCOL_VERSION: &str = "5.3";
pub const HOST_TRIPLE: &str = env!("FIRESIDE_HOST_TRIPLE");

pub fn rustc_version() -> String {
    env!("FIRESIDE_RUSTC_VERSION").to_owned()
}

#[derive(Parser)]
#[command(name = "fireside", version, about = "A Rust Jupyter kernel with a deep-learning toolkit loaded")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install the kernelspec and prebuild the cell template (a few minutes).
    Install {
        #[command(flatten)]
        prefix: PrefixArgs,
        /// The toolkit crate to load in notebooks.
        #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../toolkit"))]
        toolkit: PathBuf,
        /// A cargo target directory whose compiled dependencies to reuse
        /// (default: the one this binary was built in).
        #[arg(long)]
        reuse_build: Option<PathBuf>,
        /// Build the toolkit with burn's GPU backend (wgpu). The reused
        /// build must have it too: `FIRESIDE_GPU=1 bash ci/setup` does both.
        #[arg(long)]
        gpu: bool,
    },
    /// Run a kernel (Jupyter starts this with a connection file).
    Kernel {
        #[arg(short = 'f', long = "connection-file")]
        connection_file: PathBuf,
        /// fireside's data directory, with the cell template.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Check the setup: compiler, template, GPU adapter; say how to fix problems.
    Doctor {
        #[command(flatten)]
        prefix: PrefixArgs,
    },
}

#[derive(Args)]
#[group(multiple = false)]
struct PrefixArgs {
    /// Install for the current user (default).
    #[arg(long)]
    user: bool,
    /// Install into the active Python environment (sys.prefix).
    #[arg(long)]
    sys_prefix: bool,
    /// Install under DIR/share/jupyter/kernels.
    #[arg(long, value_name = "DIR")]
    prefix: Option<PathBuf>,
}

impl PrefixArgs {
    fn prefix(&self) -> paths::InstallLocation {
        match (&self.prefix, self.sys_prefix) {
            (Some(dir), _) => paths::InstallLocation::Dir(dir.clone()),
            (None, true) => paths::InstallLocation::SysPrefix,
            _ => paths::InstallLocation::User,
        }
    }
}

/// Points evcxr and the toolkit at a kernel's private directory.
///
/// # Safety
/// Changes the process environment: call before any other thread starts.
pub unsafe fn set_kernel_env(private: &template::PrivateDir) {
    unsafe {
        std::env::set_var(fireside_seam::env::PRIVATE_DIR, private.root());
        std::env::set_var("EVCXR_TMPDIR", private.cell_dir());
        std::env::set_var("EVCXR_CONFIG_DIR", private.root());
        std::env::set_var(fireside_seam::env::INTERRUPT_FILE, private.interrupt_flag());
    }
}

fn main() -> anyhow::Result<()> {
    // Must come first: evcxr re-runs this binary as the process that
    // executes cells, and this call takes over in that case.
    evcxr::runtime_hook();
    // Vulkan's window-system layer complains on every adapter query without
    // one. SAFETY: no other thread runs yet.
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir()) };
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Install { prefix, toolkit, reuse_build, gpu } => {
            let data_dir = paths::data_dir(&prefix.prefix())?;
            let template = template::template_dir(&data_dir);
            // SAFETY: no other thread runs yet.
            unsafe {
                std::env::set_var("EVCXR_TMPDIR", template.join("cell"));
                std::env::set_var("EVCXR_CONFIG_DIR", &template);
            }
            install::install(install::InstallOptions {
                prefix: prefix.prefix(),
                toolkit_dir: toolkit,
                seed: reuse_build,
                gpu,
            })
        }
        Command::Kernel { connection_file, data_dir } => {
            let data_dir = match data_dir {
                Some(dir) => dir,
                None => paths::data_dir(&paths::InstallLocation::User)?,
            };
            let text = std::fs::read_to_string(&connection_file)
                .with_context(|| format!("reading the connection file {}", connection_file.display()))?;
            let connection: jupyter_protocol::ConnectionInfo = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a Jupyter connection file", connection_file.display()))?;
            let private = template::PrivateDir::plan(&data_dir);
            // SAFETY: no other thread runs yet.
            unsafe {
                build_env::apply_locations(&template::installed_build_env(&data_dir));
                set_kernel_env(&private);
            }
            let runtime =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            let served = runtime.block_on(server::run(connection, server::KernelOptions { data_dir }));
            // Normally gone already (the evaluator removes it when it stops);
            // not if the evaluator did not stop in time: then its build first.
            evcxr::cancel_build();
            let _ = std::fs::remove_dir_all(private.root());
            served?;
            // Leave without waiting on blocked socket tasks.
            std::process::exit(0)
        }
        Command::Doctor { prefix } => {
            let healthy = doctor::doctor(prefix.prefix())?;
            std::process::exit(if healthy { 0 } else { 1 })
        }
    }
}
