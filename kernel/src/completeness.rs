//! `is_complete`: whether a cell is ready to run, from a real parse.
//!
//! The cell is parsed as the body of a function with rust-analyzer's
//! error-tolerant parser. Errors at the very end of the input (an unclosed
//! brace, a dangling operator, an unterminated string) mean the user is
//! still typing; errors anywhere else mean the code is invalid.

use jupyter_protocol::IsCompleteReply;
use ra_ap_syntax::{Edition, SourceFile, SyntaxKind, TextSize};

const PREFIX: &str = "fn __fireside_cell() {\n";
const SUFFIX: &str = "\n}";

pub fn check(code: &str) -> IsCompleteReply {
    // evcxr commands (`:dep ...`) are one line each and always complete.
    let rust: String =
        code.lines().filter(|line| !line.trim_start().starts_with(':')).collect::<Vec<_>>().join("\n");
    if rust.trim().is_empty() {
        return IsCompleteReply::complete();
    }
    let wrapped = format!("{PREFIX}{rust}{SUFFIX}");
    let parse = SourceFile::parse(&wrapped, Edition::CURRENT);
    let errors = parse.errors();
    if errors.is_empty() {
        return IsCompleteReply::complete();
    }
    // The user's code ends where our closing brace begins.
    let start_of_user_code = TextSize::try_from(PREFIX.len()).unwrap_or_default();
    let end_of_user_code = TextSize::try_from(PREFIX.len() + rust.len()).unwrap_or_default();
    // A closer without its opener can never be completed by typing more.
    let mut depth = 0i32;
    for token in parse.syntax_node().descendants_with_tokens().filter_map(|e| e.into_token()) {
        let start = token.text_range().start();
        if start < start_of_user_code || start >= end_of_user_code {
            continue;
        }
        match token.kind() {
            SyntaxKind::L_CURLY | SyntaxKind::L_PAREN | SyntaxKind::L_BRACK => depth += 1,
            SyntaxKind::R_CURLY | SyntaxKind::R_PAREN | SyntaxKind::R_BRACK => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return IsCompleteReply::invalid();
        }
    }
    let at_end = errors.iter().any(|error| error.range().start() >= end_of_user_code);
    let unterminated = errors.iter().any(|error| error.to_string().contains("Missing trailing"));
    if at_end || unterminated {
        IsCompleteReply::incomplete(next_indent(&rust))
    } else {
        IsCompleteReply::invalid()
    }
}

/// The indentation of the last line, one level deeper after an opener.
fn next_indent(code: &str) -> String {
    let last = code.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("");
    let mut indent: String = last.chars().take_while(|c| c.is_whitespace()).collect();
    if last.trim_end().ends_with(['{', '(', '[']) {
        indent.push_str("    ");
    }
    indent
}

#[cfg(test)]
mod tests {
    use super::*;
    use jupyter_protocol::IsCompleteReplyStatus as Status;

    fn status(code: &str) -> Status {
        check(code).status
    }

    #[test]
    fn finished_statements_and_items_are_complete() {
        assert_eq!(status("let x = 1;"), Status::Complete);
        assert_eq!(status("fn f() -> i32 { 1 }\nf()"), Status::Complete);
        assert_eq!(status("use std::collections::HashMap;"), Status::Complete);
        assert_eq!(status(":dep rand = \"0.9\""), Status::Complete);
        assert_eq!(status(""), Status::Complete);
    }

    #[test]
    fn unfinished_code_is_incomplete_with_an_indent() {
        let reply = check("fn f() {");
        assert_eq!(reply.status, Status::Incomplete);
        assert_eq!(reply.indent, "    ");
        assert_eq!(status("let x = 1 +"), Status::Incomplete);
        assert_eq!(status("let s = \"abc"), Status::Incomplete);
        assert_eq!(status("vec![1, 2,"), Status::Incomplete);
    }

    #[test]
    fn broken_code_is_invalid() {
        assert_eq!(status("let x = ;\nlet y = 2;"), Status::Invalid);
        assert_eq!(status("fn f() { } }"), Status::Invalid);
    }
}
