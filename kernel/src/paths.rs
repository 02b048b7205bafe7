//! Where fireside installs things, following Jupyter's conventions.

use anyhow::{Context, bail};
use std::path::PathBuf;

/// Where `fireside install` puts the kernelspec and its data.
#[derive(Debug, Clone)]
pub enum InstallLocation {
    /// The user's Jupyter data directory (the default).
    User,
    /// The active Python environment (`sys.prefix`), e.g. a virtualenv.
    SysPrefix,
    /// `DIR/share/jupyter/kernels` and `DIR/share/fireside`.
    Dir(PathBuf),
}

fn python_prefix() -> anyhow::Result<PathBuf> {
    for python in ["python3", "python"] {
        if let Ok(output) =
            std::process::Command::new(python).args(["-c", "import sys; print(sys.prefix)"]).output()
            && output.status.success()
        {
            return Ok(PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
        }
    }
    bail!("--sys-prefix needs the Python that runs Jupyter on PATH (activate its virtual environment first)")
}

fn prefix_dir(prefix: &InstallLocation) -> anyhow::Result<Option<PathBuf>> {
    Ok(match prefix {
        InstallLocation::User => None,
        InstallLocation::SysPrefix => Some(python_prefix()?),
        InstallLocation::Dir(dir) => Some(dir.clone()),
    })
}

/// The directory holding `kernels/<name>/kernel.json`.
pub fn kernelspec_dir(prefix: &InstallLocation) -> anyhow::Result<PathBuf> {
    if let Some(dir) = prefix_dir(prefix)? {
        return Ok(dir.join("share/jupyter/kernels"));
    }
    if let Some(dir) = std::env::var_os("JUPYTER_DATA_DIR") {
        return Ok(PathBuf::from(dir).join("kernels"));
    }
    let home = dirs::home_dir().context("no home directory: pass --prefix DIR")?;
    Ok(if cfg!(target_os = "macos") {
        home.join("Library/Jupyter/kernels")
    } else {
        dirs::data_dir().unwrap_or_else(|| home.join(".local/share")).join("jupyter/kernels")
    })
}

/// fireside's own files: the kernel binary, the cell template, history.
pub fn data_dir(prefix: &InstallLocation) -> anyhow::Result<PathBuf> {
    if let Some(dir) = prefix_dir(prefix)? {
        return Ok(dir.join("share/fireside"));
    }
    if let Some(dir) = std::env::var_os("FIRESIDE_HOME") {
        return Ok(PathBuf::from(dir));
    }
    Ok(dirs::data_dir().context("no data directory: pass --prefix DIR")?.join("fireside"))
}
