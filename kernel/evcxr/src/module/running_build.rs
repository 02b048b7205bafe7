// fireside: the whole file (FIRESIDE.md, change 11).
//! The build of a cell that is running, so that an interrupt can stop it.
//!
//! A cell's build (cargo, or rustc alone) runs in a process group of its
//! own; `cancel_build` kills that group, cargo's rustc processes with it. The
//! runtime process, which holds the notebook's variables, is not touched:
//! the cell fails like one with a compile error, and nothing it defined runs.

use std::process::Child;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The process group of the build that is running, if one is.
static RUNNING: Mutex<Option<u32>> = Mutex::new(None);

/// Whether the runtime is running a cell's code now (between evcxr's
/// `LOAD_AND_RUN` and the runtime's completion line).
static CODE_RUNNING: AtomicBool = AtomicBool::new(false);

/// Marks the runtime as running a cell's code until dropped.
pub(crate) struct RunningCode;

impl RunningCode {
    pub(crate) fn started() -> RunningCode {
        CODE_RUNNING.store(true, Ordering::SeqCst);
        RunningCode
    }
}

impl Drop for RunningCode {
    fn drop(&mut self) {
        CODE_RUNNING.store(false, Ordering::SeqCst);
    }
}

/// Whether the runtime process is running a cell's code, as opposed to the
/// cell being analysed or built (or no cell at all): only then does
/// stopping the cell take stopping that process.
pub fn code_running() -> bool {
    CODE_RUNNING.load(Ordering::SeqCst)
}

/// Puts a build command in a process group of its own (its id is the
/// build's pid), so that `cancel_build` reaches every process it starts.
/// On Linux the build also dies with the kernel (a kernel killed by signal
/// does not reach it any more through its own process group).
pub(super) fn in_own_process_group(command: &mut Command) -> &mut Command {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl(2) is async-signal-safe, as pre_exec requires.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
    command
}

/// Registers a started build until the guard is dropped.
pub(super) struct RunningBuild;

impl RunningBuild {
    pub(super) fn started(child: &Child) -> RunningBuild {
        *RUNNING.lock().unwrap() = Some(child.id());
        RunningBuild
    }
}

impl Drop for RunningBuild {
    fn drop(&mut self) {
        *RUNNING.lock().unwrap() = None;
    }
}

/// Stops the cell's build that is running, if any, and says whether there
/// was one. The cell then fails with an error from its build.
pub fn cancel_build() -> bool {
    let running = RUNNING.lock().unwrap();
    let Some(group) = *running else {
        return false;
    };
    #[cfg(unix)]
    // SAFETY: a plain kill(2) of a process group this process started. (It
    // is unregistered just after it is reaped: a pid reused in that moment
    // is the only, tiny, risk.)
    unsafe {
        libc::killpg(group as libc::pid_t, libc::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = group;
    true
}

/// Whether a cell's build is running now.
#[cfg(test)]
fn build_running() -> bool {
    RUNNING.lock().unwrap().is_some()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn cancelling_stops_the_build_and_the_processes_it_started() {
        assert!(!cancel_build(), "no build is running yet");
        // A "build" whose own child would outlive a kill of the parent alone:
        // it writes a file a second later, unless it was killed too.
        let dir = tempfile::tempdir().unwrap();
        let written = dir.path().join("written");
        let mut command = Command::new("sh");
        command.args([
            "-c",
            &format!("(sleep 1; touch '{}') & wait", written.display()),
        ]);
        let mut child = in_own_process_group(&mut command).spawn().unwrap();
        {
            let _running = RunningBuild::started(&child);
            assert!(build_running());
            assert!(cancel_build());
            assert!(!child.wait().unwrap().success());
        }
        assert!(!build_running());
        std::thread::sleep(Duration::from_secs(2));
        assert!(
            !written.exists(),
            "a process of the cancelled build went on running"
        );
    }
}
