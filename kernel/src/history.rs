//! Input history, kept across kernel restarts in `<data dir>/history.jsonl`
//! (one JSON object per executed cell), answering `history_request` with
//! `tail`, `range` and `search` as IPython does.

use jupyter_protocol::{HistoryEntry, HistoryReply};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Older entries are not loaded; the file keeps them.
const LOADED_ENTRIES: usize = 20_000;

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Entry {
    session: usize,
    line: usize,
    input: String,
}

pub struct History {
    file: Option<PathBuf>,
    session: usize,
    entries: Mutex<Vec<Entry>>,
}

impl History {
    /// Loads the history file; this kernel's cells form a new session.
    pub fn open(data_dir: &Path) -> History {
        let file = data_dir.join("history.jsonl");
        let entries: Vec<Entry> = std::fs::read_to_string(&file)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        let entries = entries[entries.len().saturating_sub(LOADED_ENTRIES)..].to_vec();
        let session = entries.iter().map(|e| e.session).max().unwrap_or(0) + 1;
        History { file: Some(file), session, entries: Mutex::new(entries) }
    }

    #[cfg(test)]
    fn in_memory() -> History {
        History { file: None, session: 1, entries: Mutex::new(Vec::new()) }
    }

    pub fn record(&self, line: usize, input: &str) {
        let entry = Entry { session: self.session, line, input: input.to_owned() };
        if let Some(file) = &self.file {
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .and_then(|mut f| writeln!(f, "{}", serde_json::to_string(&entry).unwrap()));
            if let Err(error) = appended {
                eprintln!("fireside: could not save history to {}: {error}", file.display());
            }
        }
        self.entries.lock().unwrap().push(entry);
    }

    /// Answers a `history_request` given its content.
    pub fn answer(&self, request: &Value) -> HistoryReply {
        let entries = self.entries.lock().unwrap();
        let n = request["n"].as_u64().map(|n| n as usize);
        let selected: Vec<&Entry> = match request["hist_access_type"].as_str().unwrap_or("tail") {
            "range" => {
                // Session 0 is this one; negative numbers count back from it.
                let session = match request["session"].as_i64().unwrap_or(0) {
                    0 => self.session,
                    s if s < 0 => self.session.saturating_sub(s.unsigned_abs() as usize),
                    s => s as usize,
                };
                let start = request["start"].as_u64().unwrap_or(0) as usize;
                let stop = request["stop"].as_u64().map(|s| s as usize);
                entries
                    .iter()
                    .filter(|e| {
                        e.session == session && e.line >= start && stop.is_none_or(|stop| e.line < stop)
                    })
                    .collect()
            }
            "search" => {
                let pattern = request["pattern"].as_str().unwrap_or("*");
                let unique = request["unique"].as_bool().unwrap_or(false);
                let pattern = glob_pattern(pattern);
                let mut found: Vec<&Entry> = entries.iter().filter(|e| pattern.matches(&e.input)).collect();
                if unique {
                    let mut seen = std::collections::HashSet::new();
                    found.reverse();
                    found.retain(|e| seen.insert(e.input.as_str()));
                    found.reverse();
                }
                tail(found, n)
            }
            _ => tail(entries.iter().collect(), n.or(Some(10))),
        };
        let output = request["output"].as_bool().unwrap_or(false);
        HistoryReply::new(
            selected
                .into_iter()
                .map(|e| {
                    if output {
                        HistoryEntry::InputOutput(e.session, e.line, (e.input.clone(), String::new()))
                    } else {
                        HistoryEntry::Input(e.session, e.line, e.input.clone())
                    }
                })
                .collect(),
        )
    }
}

fn tail(entries: Vec<&Entry>, n: Option<usize>) -> Vec<&Entry> {
    match n {
        Some(n) => entries[entries.len().saturating_sub(n)..].to_vec(),
        None => entries,
    }
}

/// IPython's history search, a glob over the whole input as SQLite's GLOB:
/// `*` matches any run of characters (a literal `*` too), `?` one, `[…]` a
/// class. A pattern that is not a valid glob is matched literally.
fn glob_pattern(pattern: &str) -> glob::Pattern {
    glob::Pattern::new(pattern).unwrap_or_else(|_| {
        glob::Pattern::new(&glob::Pattern::escape(pattern)).expect("an escaped pattern is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inputs(reply: HistoryReply) -> Vec<String> {
        reply
            .history
            .into_iter()
            .map(|e| match e {
                HistoryEntry::Input(_, _, input) => input,
                HistoryEntry::InputOutput(_, _, (input, _)) => input,
            })
            .collect()
    }

    #[test]
    fn tail_range_and_search() {
        let history = History::in_memory();
        for (line, input) in ["let a = 1;", "a + 1", "let b = a * 2;", "a + 1"].iter().enumerate() {
            history.record(line + 1, input);
        }
        assert_eq!(
            inputs(history.answer(&json!({"hist_access_type": "tail", "n": 2}))),
            ["let b = a * 2;", "a + 1"]
        );
        assert_eq!(
            inputs(
                history.answer(&json!({"hist_access_type": "range", "session": 0, "start": 2, "stop": 4}))
            ),
            ["a + 1", "let b = a * 2;"]
        );
        assert_eq!(
            inputs(history.answer(&json!({"hist_access_type": "search", "pattern": "let*"}))),
            ["let a = 1;", "let b = a * 2;"]
        );
        assert_eq!(
            inputs(history.answer(&json!({"hist_access_type": "search", "pattern": "zzz*"}))).len(),
            0
        );
        assert_eq!(
            inputs(history.answer(&json!({"hist_access_type": "search", "pattern": "*a*", "unique": true}))),
            ["let a = 1;", "let b = a * 2;", "a + 1"]
        );
        // A `*` of the pattern over a literal `*` of the code (the hand-written
        // matcher this replaced found nothing here).
        assert_eq!(
            inputs(history.answer(&json!({"hist_access_type": "search", "pattern": "let b = a *;"}))),
            ["let b = a * 2;"]
        );
        assert_eq!(
            inputs(history.answer(&json!({"hist_access_type": "search", "pattern": "let [ab] = *"}))),
            ["let a = 1;", "let b = a * 2;"]
        );
        assert_eq!(
            inputs(history.answer(&json!({"hist_access_type": "search", "pattern": "a [+"}))).len(),
            0
        );
    }

    #[test]
    fn history_survives_a_restart() {
        let dir = std::env::temp_dir().join(format!("fireside-history-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        History::open(&dir).record(1, "let kept = 42;");
        let reopened = History::open(&dir);
        assert_eq!(reopened.session, 2);
        assert_eq!(inputs(reopened.answer(&json!({"hist_access_type": "tail", "n": 1}))), ["let kept = 42;"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
