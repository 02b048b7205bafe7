// Copyright 2020 The Evcxr Authors.
//
// Licensed under the Apache License, Version 2.0 <LICENSE or
// https://www.apache.org/licenses/LICENSE-2.0> or the MIT license <LICENSE
// or https://opensource.org/licenses/MIT>, at your option. This file may not be
// copied, modified, or distributed except according to those terms.

use crate::errors::Error;
use crate::errors::bail;
use crate::runtime;
use std::io::BufReader;
use std::process;
use std::sync::Arc;
use std::sync::Mutex;

pub(crate) struct ChildProcess {
    process_handle: Arc<Mutex<std::process::Child>>,
    /// Whether cleanup of `process_handle` is the responsibility of another
    /// instance.
    process_disowned: bool,
    // fireside: the runtime's stdout is read by a thread, which routes each
    // line (FIRESIDE.md, change 18).
    stdout: crossbeam_channel::Receiver<std::io::Result<String>>,
    stdout_router: Arc<Mutex<StdoutRouter>>,
    // Only none while in drop.
    stdin: Option<std::process::ChildStdin>,
    command: Arc<Mutex<process::Command>>,
    stderr_sender: Arc<Mutex<crossbeam_channel::Sender<String>>>,
}

impl ChildProcess {
    pub(crate) fn new(
        mut command: std::process::Command,
        stderr_sender: crossbeam_channel::Sender<String>,
        // fireside: where stdout goes while no cell runs (change 18).
        stdout_sender: crossbeam_channel::Sender<String>,
    ) -> Result<ChildProcess, Error> {
        // Avoid a fork bomb. We could call runtime_hook here but then all the work that we did up
        // to this point would be wasted. Also, it's possible that we could already have started
        // threads, which could get messy.
        if std::env::var(runtime::EVCXR_IS_RUNTIME_VAR).is_ok() {
            bail!("Our current binary doesn't call runtime_hook()");
        }
        // All arguments after -- get passed to the subprocess, which the user can then access via
        // std::env::args.
        let user_args = std::env::args().skip_while(|arg| arg != "--").skip(1);
        command
            .args(user_args)
            .env(runtime::EVCXR_IS_RUNTIME_VAR, "1")
            .env("RUST_BACKTRACE", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        ChildProcess::new_internal(
            Arc::new(Mutex::new(command)),
            None,
            Arc::new(Mutex::new(stderr_sender)),
            stdout_sender,
        )
    }

    fn new_internal(
        command: Arc<Mutex<std::process::Command>>,
        process_handle: Option<Arc<Mutex<std::process::Child>>>,
        stderr_sender: Arc<Mutex<crossbeam_channel::Sender<String>>>,
        stdout_sender: crossbeam_channel::Sender<String>,
    ) -> Result<ChildProcess, Error> {
        let process = command.lock().unwrap().spawn();
        let mut process = match process {
            Ok(c) => c,
            Err(error) => bail!("Failed to run '{:?}': {:?}", command, error),
        };

        let stdin = process.stdin.take();
        // Handle stderr by patching it through to a channel in our output struct.
        // fireside: read lossily, as stdout (change 18): upstream stopped
        // reading stderr at the first line that was not UTF-8.
        let mut child_stderr = BufReader::new(process.stderr.take().unwrap());
        let child_stdout = BufReader::new(process.stdout.take().unwrap());

        // If we already have an Arc<Mutex<>> wrapping an old process, then
        // reuse it, putting our new process into it. If we don't, then create a
        // new Arc<Mutex<>>. It's important to reuse an existing Arc<Mutex<>>,
        // in order to uphold the guarantees of the process_handle method.
        let process_handle = match process_handle {
            Some(handle) => {
                core::mem::swap(&mut *handle.lock().unwrap(), &mut process);
                // Ensure the old process is properly cleaned up.
                let _ = process.wait();
                handle
            }
            None => Arc::new(Mutex::new(process)),
        };

        std::thread::spawn({
            let stderr_sender = Arc::clone(&stderr_sender);
            move || {
                let stderr_sender = stderr_sender.lock().unwrap();
                while let Some(Ok(line)) = read_line_lossy(&mut child_stderr) {
                    // Ignore errors, since it just means that the user of the library has dropped the receive end.
                    let _ = stderr_sender.send(line);
                }
            }
        });

        let (stdout, stdout_router) = StdoutRouter::spawn(child_stdout, stdout_sender);

        Ok(ChildProcess {
            process_handle,
            process_disowned: false,
            stdout,
            stdout_router,
            stdin,
            command,
            stderr_sender,
        })
    }

    /// fireside: the runtime's stdout is the cell's until `cell_ends`: its
    /// messages and output are read with `recv_line` (change 18).
    pub(crate) fn cell_begins(&self) {
        self.stdout_router.lock().unwrap().cell_runs = true;
    }

    /// fireside: from now on the runtime's stdout is a background thread's
    /// output, and goes straight to the caller, as its stderr always does.
    /// What the cell did not read goes there too (change 18).
    pub(crate) fn cell_ends(&self) {
        let mut router = self.stdout_router.lock().unwrap();
        router.cell_runs = false;
        while let Ok(Ok(line)) = self.stdout.try_recv() {
            let _ = router.to_caller.send(line);
        }
    }

    /// Returns a handle to our subprocess. This handle may be used to terminate
    /// the subprocess. The returned handle is valid across restarts. i.e. if
    /// restart is called, then there is no need to call this method again to
    /// get a fresh handle - the previously returned handle will work for the
    /// new subprocess.
    pub(crate) fn process_handle(&self) -> Arc<Mutex<std::process::Child>> {
        self.process_handle.clone()
    }

    /// Terminates this process if it hasn't already, then restarts
    pub(crate) fn restart(&mut self) -> Result<ChildProcess, Error> {
        // If the process hasn't already terminated for some reason, kill it.
        let mut process = self.process_handle.lock().unwrap();
        if let Ok(None) = process.try_wait() {
            let _ = process.kill();
            let _ = process.wait();
        }
        self.process_disowned = true;
        // Unlock mutex, since ChildProcess::new_internal will need to lock it
        // again.
        drop(process);
        let to_caller = self.stdout_router.lock().unwrap().to_caller.clone();
        ChildProcess::new_internal(
            Arc::clone(&self.command),
            Some(self.process_handle.clone()),
            Arc::clone(&self.stderr_sender),
            to_caller,
        )
    }

    pub(crate) fn send(&mut self, command: &str) -> Result<(), Error> {
        use std::io::Write;
        writeln!(self.stdin.as_mut().unwrap(), "{command}")
            .map_err(|_| self.get_termination_error())?;
        self.stdin.as_mut().unwrap().flush()?;
        Ok(())
    }

    pub(crate) fn recv_line(&mut self) -> Result<String, Error> {
        match self.stdout.recv() {
            Ok(line) => Ok(line?),
            Err(_) => Err(self.get_termination_error()),
        }
    }

    fn get_termination_error(&mut self) -> Error {
        // Wait until the stderr handling thread has released its lock on stderr_sender, which it
        // will do when there's nothing more to read from stderr. We don't need to keep the lock,
        // just wait until we can aquire it, then drop it straight away.
        std::mem::drop(self.stderr_sender.lock().unwrap());
        let mut content = String::new();
        while let Ok(Ok(line)) = self.stdout.recv() {
            content.push_str(&line);
            content.push('\n');
        }
        Error::SubprocessTerminated(match self.process_handle.lock().unwrap().wait() {
            Ok(exit_status) => {
                #[cfg(target_os = "macos")]
                {
                    use std::os::unix::process::ExitStatusExt;
                    if Some(9) == exit_status.signal() {
                        return Error::SubprocessTerminated(
                            "Subprocess terminated with signal 9. This is known \
                            to happen when evcxr is installed via a Homebrew shell \
                            under emulation. Try installing rustup and evcxr without \
                            using Homebrew and see if that helps."
                                .to_owned(),
                        );
                    }
                }
                format!("{content}Subprocess terminated with status: {exit_status}",)
            }
            Err(wait_error) => format!("Subprocess didn't start: {wait_error}"),
        })
    }
}

/// fireside: routes the runtime's stdout lines (FIRESIDE.md, change 18).
/// While a cell runs they are its output and the runtime's messages, read
/// in order by `ChildProcess::recv_line`. Otherwise they come from a thread
/// that a cell left running: upstream left them in the pipe, and the next
/// cell showed them as its own output.
struct StdoutRouter {
    cell_runs: bool,
    /// Dropped when the pipe ends, which `recv_line` sees as the end.
    to_cell: Option<crossbeam_channel::Sender<std::io::Result<String>>>,
    to_caller: crossbeam_channel::Sender<String>,
}

impl StdoutRouter {
    fn spawn(
        mut stdout: BufReader<std::process::ChildStdout>,
        to_caller: crossbeam_channel::Sender<String>,
    ) -> (
        crossbeam_channel::Receiver<std::io::Result<String>>,
        Arc<Mutex<StdoutRouter>>,
    ) {
        let (to_cell, from_runtime) = crossbeam_channel::unbounded();
        let router = Arc::new(Mutex::new(StdoutRouter {
            cell_runs: false,
            to_cell: Some(to_cell),
            to_caller,
        }));
        std::thread::spawn({
            let router = Arc::clone(&router);
            move || {
                // Lines are read as bytes and decoded lossily: a cell that
                // prints bytes that are not UTF-8 gets them replaced, where
                // an error would have stopped the reading, and the runtime
                // with it once the pipe was full.
                while let Some(line) = read_line_lossy(&mut stdout) {
                    let router = router.lock().unwrap();
                    match (line, &router.to_cell) {
                        (Ok(line), _) if !router.cell_runs => {
                            let _ = router.to_caller.send(line);
                        }
                        (Ok(line), Some(to_cell)) => {
                            let _ = to_cell.send(Ok(line));
                        }
                        (Err(error), Some(to_cell)) => {
                            let _ = to_cell.send(Err(error));
                            break;
                        }
                        (_, None) => break,
                    }
                }
                router.lock().unwrap().to_cell = None;
            }
        });
        (from_runtime, router)
    }
}

/// fireside: the next line without its line ending, bytes that are not
/// UTF-8 replaced; `None` at the end of the pipe (change 18).
fn read_line_lossy(reader: &mut impl std::io::BufRead) -> Option<std::io::Result<String>> {
    let mut bytes = Vec::new();
    match reader.read_until(b'\n', &mut bytes) {
        Ok(0) => None,
        Ok(_) => {
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
                if bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
            }
            Some(Ok(String::from_utf8_lossy(&bytes).into_owned()))
        }
        Err(error) => Some(Err(error)),
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        // Drop child_stdin before we wait. Our subprocess uses stdin being
        // closed to know that it's time to terminate.
        self.stdin.take();
        if !self.process_disowned {
            // Wait for our subprocess to terminate. Otherwise we'll be left
            // with zombie processes.
            let _ = self.process_handle.lock().unwrap().wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::read_line_lossy;

    // fireside: a test of change 18.
    #[test]
    fn lines_are_read_whole_and_lossily() {
        let mut input: &[u8] = b"one\r\ntwo \xff\nlast";
        let lines: Vec<String> = std::iter::from_fn(|| read_line_lossy(&mut input))
            .map(|line| line.unwrap())
            .collect();
        assert_eq!(lines, ["one", "two \u{fffd}", "last"]);
    }
}
