//! A drawing of a [`Tree`]: the root at the top, each node centred over its
//! children, the leaves in reading order along the bottom row.
//!
//! ```
//! use fireside::prelude::*;
//! let svg = Tree::parse("(+ 1 (* 2 3))").unwrap().to_svg();
//! assert_eq!(svg.matches("<line").count(), 4); // one edge per child
//! ```

use crate::display::{MimeBundle, Rich, escape};
use crate::models::tree::Tree;
use std::fmt::Write;

const COLUMN: f32 = 64.0;
const ROW: f32 = 56.0;
const MARGIN: f32 = 28.0;

/// A node's place in the drawing: its column (fractional for internal nodes)
/// and its row (its distance from the root).
struct Placed<'a> {
    label: &'a str,
    leaf: bool,
    x: f32,
    row: usize,
    parent: Option<usize>,
}

/// Places `tree` and its descendants; returns the index of `tree` in `placed`.
fn place<'a>(
    tree: &'a Tree,
    row: usize,
    parent: Option<usize>,
    next_leaf: &mut f32,
    placed: &mut Vec<Placed<'a>>,
) -> usize {
    let index = placed.len();
    placed.push(Placed { label: tree.label(), leaf: tree.is_leaf(), x: 0.0, row, parent });
    let x = if tree.is_leaf() {
        *next_leaf += 1.0;
        *next_leaf - 1.0
    } else {
        let children: Vec<usize> = tree
            .children()
            .iter()
            .map(|child| place(child, row + 1, Some(index), next_leaf, placed))
            .collect();
        children.iter().map(|&c| placed[c].x).sum::<f32>() / children.len() as f32
    };
    placed[index].x = x;
    index
}

impl Tree {
    /// An SVG drawing of the tree. Internal nodes are circles with their
    /// label (unlabelled ones, `_` or empty, a dot); leaves are their token.
    /// A cell whose last expression is a `Tree` shows this drawing.
    pub fn to_svg(&self) -> String {
        let mut placed = Vec::new();
        let mut leaves = 0.0;
        place(self, 0, None, &mut leaves, &mut placed);
        let rows = placed.iter().map(|p| p.row).max().unwrap_or(0) + 1;
        let (width, height) =
            (2.0 * MARGIN + leaves.max(1.0) * COLUMN, 2.0 * MARGIN + rows as f32 * ROW - ROW / 2.0);
        let at = |p: &Placed| (MARGIN + (p.x + 0.5) * COLUMN, MARGIN + p.row as f32 * ROW);
        let mut svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="14">"#
        );
        svg.push_str(r#"<rect width="100%" height="100%" fill="white"/>"#);
        for node in &placed {
            if let Some(parent) = node.parent {
                let ((x1, y1), (x2, y2)) = (at(&placed[parent]), at(node));
                let _ = write!(
                    svg,
                    r##"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="#888"/>"##
                );
            }
        }
        for node in &placed {
            let (x, y) = at(node);
            let label = escape(node.label);
            if node.leaf {
                let _ = write!(
                    svg,
                    r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="22" rx="4" fill="#e8f0fe" stroke="#4a78c2"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{label}</text>"##,
                    x - COLUMN / 2.0 + 4.0,
                    y - 11.0,
                    COLUMN - 8.0,
                    y + 5.0
                );
            } else if node.label.is_empty() || node.label == "_" {
                let _ = write!(svg, r##"<circle cx="{x:.1}" cy="{y:.1}" r="5" fill="#555"/>"##);
            } else {
                let _ = write!(
                    svg,
                    r##"<circle cx="{x:.1}" cy="{y:.1}" r="13" fill="#fff4e0" stroke="#c27a1a"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-weight="bold">{label}</text>"##,
                    y + 5.0
                );
            }
        }
        svg.push_str("</svg>");
        svg
    }
}

impl Rich for Tree {
    fn to_mime(&self) -> MimeBundle {
        MimeBundle::text(self.to_string()).with("image/svg+xml", self.to_svg())
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn every_node_is_drawn_once_and_leaves_keep_their_order() {
        let tree = Tree::parse("(1 (_ the movie) (_ is (_ not <bad>)))").unwrap();
        let svg = tree.to_svg();
        assert_eq!(svg.matches("<line").count(), tree.size() - 1);
        assert_eq!(svg.matches("<rect x").count(), tree.leaves().len());
        assert_eq!(svg.matches("<circle").count(), tree.size() - tree.leaves().len());
        // Leaves left to right in reading order, markup escaped.
        let order: Vec<usize> = ["the", "movie", "is", "not", "&lt;bad&gt;"]
            .iter()
            .map(|w| svg.find(&format!(">{w}<")).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{svg}");
        assert!(tree.to_mime().get("image/svg+xml").is_some());
        // The root sits over the mean of its children's places: (0.5 + 2.75) / 2 columns.
        assert!(svg.contains(r#"cx="164.0" cy="28.0""#), "{svg}");
    }
}
