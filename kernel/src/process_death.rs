//! Why the process running the cells died, in words a student understands:
//! evcxr says only "Subprocess terminated with status: signal: 6 (SIGABRT)".

/// The cause of the death, from evcxr's `reason` (which ends with the exit
/// status) and the last lines the process wrote to stderr.
pub fn cause_of_death(reason: &str, stderr_tail: &[String]) -> String {
    let said = |text: &str| stderr_tail.iter().rev().find(|line| line.contains(text));
    let status = reason.rsplit_once("terminated with status: ").map_or(reason, |(_, status)| status).trim();
    if said("overflowed its stack").or_else(|| said("stack overflow")).is_some() {
        return "stack overflow in this cell: a recursion too deep or without end, or a large array \
                on the stack (put large data in a Vec or a Box)"
            .to_owned();
    }
    if let Some(failed) = said("memory allocation of") {
        return format!(
            "out of memory: {}; use smaller batches or less data, or free what earlier cells hold",
            failed.trim()
        );
    }
    if status.contains("SIGKILL") {
        return "the process was killed (SIGKILL), most likely by the system because the machine ran \
                out of memory; use smaller batches or less data"
            .to_owned();
    }
    if status.contains("SIGSEGV") || status.contains("SIGBUS") {
        return "segmentation fault: the cell, or native code it called, read or wrote memory it does \
                not own (look at `unsafe` code)"
            .to_owned();
    }
    if status.contains("SIGILL") {
        return "illegal instruction: native code the cell called used an instruction this CPU lacks"
            .to_owned();
    }
    if status.contains("SIGABRT") {
        return "the process aborted: std::process::abort, or a fatal error in native code".to_owned();
    }
    if let Some(code) = status.strip_prefix("exit status: ") {
        return format!("the cell ended the process (std::process::exit({code}))");
    }
    reason.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "Subprocess terminated with status: ";

    #[test]
    fn each_fault_is_named() {
        let backtrace = ["stack backtrace:", "   0: std::backtrace", "note: Some details are omitted"];
        let cases = [
            (
                "signal: 6 (SIGABRT) (core dumped)",
                "fatal runtime error: stack overflow, aborting",
                "stack overflow",
            ),
            ("signal: 6 (SIGABRT)", "memory allocation of 8000000000000 bytes failed", "out of memory"),
            ("signal: 9 (SIGKILL)", "", "ran out of memory"),
            ("signal: 11 (SIGSEGV) (core dumped)", "", "segmentation fault"),
            ("signal: 6 (SIGABRT)", "", "aborted"),
            ("exit status: 3", "", "std::process::exit(3)"),
        ];
        for (status, said, expected) in cases {
            // What the process said, followed by a backtrace.
            let tail: Vec<String> = std::iter::once(said).chain(backtrace).map(str::to_owned).collect();
            let cause = cause_of_death(&format!("{PREFIX}{status}"), &tail);
            assert!(cause.contains(expected), "{status}: {cause}");
        }
    }
}
