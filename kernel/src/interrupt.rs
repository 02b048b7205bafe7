//! Interrupting a running cell without losing the notebook's variables.
//!
//! The first step is cooperative: the kernel creates a flag file whose path
//! the evaluation process knows (`FIRESIDE_INTERRUPT_FILE`); the toolkit's
//! loops (`fit`, progress bars) and `fireside::interrupted()` look at it and
//! stop, so the cell ends normally and every variable survives. A cell that
//! is still compiling has its build stopped instead (evcxr's
//! `cancel_build`): it never runs, and the evaluation process is untouched.
//! Only a running cell that ignores the flag for `GRACE` is stopped the hard
//! way, by killing the evaluation process, which loses the variables (the
//! kernel names them).

use std::path::PathBuf;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a cell may run after an interrupt before its process is killed.
pub const GRACE: Duration = Duration::from_secs(5);

#[derive(Default)]
struct State {
    flag_file: Option<PathBuf>,
    child: Option<Arc<Mutex<Child>>>,
    running_cell: Option<u64>,
    next_cell: u64,
    requested: bool,
    killed: bool,
    stopping: bool,
}

/// What happened to a cell in the way of interrupts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CellInterrupt {
    pub requested: bool,
    pub killed: bool,
}

#[derive(Default)]
pub struct Interrupter {
    state: Arc<Mutex<State>>,
}

impl Interrupter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_flag_file(&self, path: PathBuf) {
        self.state.lock().unwrap().flag_file = Some(path);
    }

    /// The evaluation process to kill if a cell ignores the flag; evcxr
    /// starts a new one after a crash, so this is updated after each cell.
    pub fn set_child(&self, child: Arc<Mutex<Child>>) {
        self.state.lock().unwrap().child = Some(child);
    }

    pub fn begin_cell(&self) {
        let mut state = self.state.lock().unwrap();
        if let Some(flag) = &state.flag_file {
            let _ = std::fs::remove_file(flag);
        }
        state.next_cell += 1;
        state.running_cell = Some(state.next_cell);
        state.requested = false;
        state.killed = false;
    }

    pub fn end_cell(&self) -> CellInterrupt {
        let mut state = self.state.lock().unwrap();
        state.running_cell = None;
        if let Some(flag) = &state.flag_file {
            let _ = std::fs::remove_file(flag);
        }
        CellInterrupt { requested: state.requested, killed: state.killed }
    }

    /// Whether the running cell has been asked to stop.
    pub fn is_requested(&self) -> bool {
        self.state.lock().unwrap().requested
    }

    /// The kernel is shutting down: the running cell (build or code) is
    /// stopped at once, since its variables are about to go anyway.
    pub fn stop_now(&self) {
        let mut state = self.state.lock().unwrap();
        state.stopping = true;
        // Also the toolkit's build at start-up, which is no cell.
        evcxr::cancel_build();
        if state.running_cell.is_none() {
            return;
        }
        state.requested = true;
        state.killed = true;
        if let Some(child) = &state.child {
            let _ = child.lock().unwrap().kill();
        }
    }

    /// Whether the kernel is shutting down (`stop_now`).
    pub fn is_stopping(&self) -> bool {
        self.state.lock().unwrap().stopping
    }

    /// Asks the running cell to stop; kills its process after `GRACE`.
    pub fn interrupt(&self) {
        let mut state = self.state.lock().unwrap();
        let Some(cell) = state.running_cell else {
            return;
        };
        state.requested = true;
        if let Some(flag) = &state.flag_file
            && let Err(error) = std::fs::write(flag, b"interrupt")
        {
            eprintln!("fireside: could not write the interrupt flag {}: {error}", flag.display());
        }
        evcxr::cancel_build();
        let shared = self.state.clone();
        std::thread::spawn(move || {
            // The cell may still be analysed, then built, then run: each
            // build is stopped as it starts, and the process holding the
            // variables only once the cell's code has run for `GRACE`
            // without stopping at the flag.
            let mut running_since = None;
            loop {
                std::thread::sleep(Duration::from_millis(100));
                let mut state = shared.lock().unwrap();
                if state.running_cell != Some(cell) {
                    return;
                }
                if evcxr::cancel_build() || !evcxr::code_running() {
                    continue;
                }
                let since = *running_since.get_or_insert_with(std::time::Instant::now);
                if since.elapsed() >= GRACE {
                    state.killed = true;
                    if let Some(child) = &state.child {
                        let _ = child.lock().unwrap().kill();
                    }
                    return;
                }
            }
        });
    }
}
