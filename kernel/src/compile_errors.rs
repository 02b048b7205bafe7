//! Compile errors as a reader expects them: rustc's layout, pointing into the
//! cell the user wrote, without terminal colour codes.

use evcxr::CompilationError;
use std::fmt::Write;

/// One traceback line per line of output, as Jupyter's `error` message wants.
pub fn render(errors: &[CompilationError], code: &str) -> Vec<String> {
    let mut text = String::new();
    for error in errors {
        render_one(&mut text, error, code);
        text.push('\n');
    }
    strip_ansi(&text).lines().map(str::to_owned).collect()
}

fn render_one(out: &mut String, error: &CompilationError, code: &str) {
    let level = match error.level() {
        "" => "error",
        level => level,
    };
    match error.code() {
        Some(code) => writeln!(out, "{level}[{code}]: {}", error.message()).unwrap(),
        None => writeln!(out, "{level}: {}", error.message()).unwrap(),
    }
    let lines: Vec<&str> = code.lines().collect();
    let mut shown_any = false;
    for spanned in error.spanned_messages() {
        let Some(span) = &spanned.span else { continue };
        let Some(source_line) = lines.get(span.start_line.saturating_sub(1)) else { continue };
        let number = span.start_line.to_string();
        let pad = " ".repeat(number.len());
        if !shown_any {
            writeln!(out, "{pad}--> cell:{}:{}", span.start_line, span.start_column).unwrap();
        }
        shown_any = true;
        writeln!(out, "{pad} |").unwrap();
        writeln!(out, "{number} | {source_line}").unwrap();
        let start = span.start_column.saturating_sub(1);
        let width = if span.end_line == span.start_line {
            span.end_column.saturating_sub(span.start_column).max(1)
        } else {
            source_line.chars().count().saturating_sub(start).max(1)
        };
        let marker = if spanned.is_primary { "^" } else { "-" };
        let label = spanned.label.trim();
        writeln!(out, "{pad} | {}{} {label}", " ".repeat(start), marker.repeat(width)).unwrap();
    }
    if !shown_any {
        // Spans only in generated code: fall back to rustc's own rendering.
        let rendered = error.rendered();
        if !rendered.trim().is_empty() {
            out.push_str(&rendered);
        }
    }
    for help in error.help() {
        writeln!(out, "help: {help}").unwrap();
    }
    if let Some(hint) = error.evcxr_extra_hint() {
        writeln!(out, "note: {hint}").unwrap();
    }
}

/// Removes terminal escape sequences (colours, cursor moves).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // CSI: parameters and intermediates, then one final byte in @..~
                for next in chars.by_ref() {
                    if ('@'..='~').contains(&next) {
                        break;
                    }
                }
            } else {
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_are_removed() {
        let coloured = "\u{1b}[31me\u{1b}[0m\u{1b}[31mr\u{1b}[0mror: \u{1b}[1;38;5;9mbad\u{1b}[0m";
        assert_eq!(strip_ansi(coloured), "error: bad");
    }
}
