//! Completions answered without rust-analyzer.
//!
//! rust-analyzer needs about half a minute after a kernel starts to load
//! burn's crates, and JupyterLab asks for completions as the user types. A
//! completion waits for it at most `ANALYSIS_WAIT`; after that the kernel
//! answers from the names it knows without analysis: the notebook's
//! variables and items, the toolkit's prelude and Rust's keywords and
//! common std names. Once the analysis is warm, its answers take over.

use ra_ap_syntax::ast::{self, HasName, HasVisibility};
use ra_ap_syntax::{AstNode, Edition, SourceFile};
use std::path::Path;
use std::time::Duration;

/// How long a completion waits for rust-analyzer, so that the reply comes
/// within a second (JupyterLab asks as the user types).
pub const ANALYSIS_WAIT: Duration = Duration::from_millis(700);

/// How long an inspection (Shift+Tab: asked for, not sent while typing)
/// waits: a warm analysis can take a few seconds for an item's first docs.
pub const INSPECTION_WAIT: Duration = Duration::from_secs(10);

const RUST_NAMES: &[&str] = &[
    "as",
    "break",
    "const",
    "continue",
    "else",
    "enum",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "Self",
    "static",
    "struct",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "Box",
    "Err",
    "HashMap",
    "None",
    "Ok",
    "Option",
    "Result",
    "Some",
    "String",
    "Vec",
    "assert",
    "assert_eq",
    "eprintln",
    "format",
    "print",
    "println",
    "vec",
];

/// The names a cell can use without analysis.
pub struct QuickNames {
    prelude: Vec<String>,
}

/// What to put where: the replaced range of the code (bytes) and the names.
#[derive(Debug, PartialEq)]
pub struct QuickCompletion {
    pub start: usize,
    pub end: usize,
    pub matches: Vec<String>,
}

impl QuickNames {
    /// The names that `toolkit_dir/src/prelude.rs` brings into scope.
    pub fn from_toolkit(toolkit_dir: &Path) -> QuickNames {
        let text = std::fs::read_to_string(toolkit_dir.join("src/prelude.rs")).unwrap_or_default();
        QuickNames { prelude: exported_names(&text) }
    }

    /// Completes the identifier that ends at `cursor` (a byte offset), from
    /// `known` (the notebook's variables and items) and the fixed names.
    /// After `.` or `::` only analysis knows the members: no matches.
    pub fn complete<'a>(
        &'a self,
        code: &str,
        cursor: usize,
        known: impl Iterator<Item = &'a str>,
    ) -> QuickCompletion {
        let cursor = cursor.min(code.len());
        let before = &code[..cursor];
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map_or(cursor, |(index, _)| index);
        let prefix = &code[start..cursor];
        let mut matches = Vec::new();
        let after_path = before[..start].ends_with('.') || before[..start].ends_with("::");
        if !prefix.is_empty() && !after_path {
            let candidates =
                known.chain(self.prelude.iter().map(String::as_str)).chain(RUST_NAMES.iter().copied());
            for name in candidates {
                if name.starts_with(prefix) && !matches.iter().any(|m| m == name) {
                    matches.push(name.to_owned());
                }
            }
            matches.sort_by_key(|name| (name.len(), name.clone()));
        }
        QuickCompletion { start, end: cursor, matches }
    }
}

/// The names that the `pub use` items of a Rust file export (the last
/// segment of each imported path, or its alias; `_` imports name nothing).
fn exported_names(source: &str) -> Vec<String> {
    let file = SourceFile::parse(source, Edition::Edition2024).tree();
    let mut names = Vec::new();
    for item in file.syntax().children().filter_map(ast::Use::cast) {
        if item.visibility().is_none() {
            continue;
        }
        let Some(tree) = item.use_tree() else { continue };
        for leaf in tree.syntax().descendants().filter_map(ast::UseTree::cast) {
            if leaf.use_tree_list().is_some() || leaf.star_token().is_some() {
                continue;
            }
            let name = match leaf.rename() {
                Some(rename) => rename.name().map(|name| name.text().to_string()),
                None => leaf.path().and_then(|path| {
                    let segment = path.segment()?;
                    if segment.self_token().is_none() {
                        return Some(segment.to_string());
                    }
                    // `a::b::{self, ..}` names `b`: the enclosing tree's last segment.
                    let list = leaf.syntax().parent()?;
                    let enclosing = ast::UseTree::cast(list.parent()?)?;
                    enclosing.path()?.segment().map(|s| s.to_string())
                }),
            };
            if let Some(name) = name.filter(|name| name != "_") {
                names.push(name);
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> QuickNames {
        QuickNames {
            prelude: exported_names(
                "pub use burn;\npub use crate::layers::{Dense, Dropout as Drop};\npub use crate::losses::{self, Loss};\n\
                 pub use crate::display::ShowRich as _;\nuse crate::private::Hidden;\n",
            ),
        }
    }

    #[test]
    fn the_prelude_names_its_exports() {
        assert_eq!(names().prelude, ["burn", "Dense", "Drop", "losses", "Loss"]);
    }

    #[test]
    fn an_identifier_is_completed_from_variables_the_prelude_and_rust() {
        let code = "let y = mod";
        let completion = names().complete(code, code.len(), ["model", "x"].into_iter());
        assert_eq!(
            completion,
            QuickCompletion { start: 8, end: 11, matches: vec!["mod".into(), "model".into()] }
        );
        let completion = names().complete("De", 2, std::iter::empty());
        assert_eq!(completion.matches, ["Dense"]);
    }

    #[test]
    fn members_need_the_analysis() {
        let code = "model.su";
        assert!(names().complete(code, code.len(), ["summary"].into_iter()).matches.is_empty());
    }
}
