//! A heat map with the value in each cell: confusion matrices, attention
//! weights, feature maps.
//!
//! ```
//! use fireside::prelude::*;
//! let words = ["the", "cat"];
//! let map = HeatMap::new("Attention", vec![vec![0.7, 0.3], vec![0.2, 0.8]]).labels(&words, &words);
//! assert!(map.to_svg().contains("0.70"));
//! ```

use crate::display::{MimeBundle, Rich, display, escape};
use std::fmt::Write;

/// A matrix drawn as coloured cells, dark for large values.
///
/// ```no_run
/// use fireside::prelude::*;
/// HeatMap::new("weights", vec![vec![0.1, 0.9], vec![0.5, 0.5]]).show();
/// ```
#[derive(Debug, Clone)]
pub struct HeatMap {
    title: String,
    values: Vec<Vec<f32>>,
    row_labels: Vec<String>,
    column_labels: Vec<String>,
    x_name: String,
    y_name: String,
}

impl HeatMap {
    /// A heat map of `values`, given row by row; rows and columns are labelled 0, 1, 2, ...
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let map = HeatMap::new("Counts", vec![vec![9.0, 1.0], vec![2.0, 8.0]]);
    /// assert!(map.to_svg().contains("Counts"));
    /// ```
    pub fn new(title: impl Into<String>, values: Vec<Vec<f32>>) -> Self {
        let rows = values.len();
        let columns = values.first().map_or(0, Vec::len);
        HeatMap {
            title: title.into(),
            values,
            row_labels: (0..rows).map(|r| r.to_string()).collect(),
            column_labels: (0..columns).map(|c| c.to_string()).collect(),
            x_name: String::new(),
            y_name: String::new(),
        }
    }

    /// Names for the rows and the columns instead of their numbers.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let classes = ["cat", "dog"];
    /// let map = HeatMap::new("Confusion", vec![vec![9.0, 1.0], vec![2.0, 8.0]]).labels(&classes, &classes);
    /// assert!(map.to_svg().contains("dog"));
    /// ```
    pub fn labels(mut self, rows: &[impl AsRef<str>], columns: &[impl AsRef<str>]) -> Self {
        self.row_labels = rows.iter().map(|l| l.as_ref().to_owned()).collect();
        self.column_labels = columns.iter().map(|l| l.as_ref().to_owned()).collect();
        self
    }

    /// Names of the column (x) and row (y) axes.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let counts = vec![vec![9.0, 1.0], vec![2.0, 8.0]];
    /// let map = HeatMap::new("Confusion", counts).axis_names("predicted", "actual");
    /// assert!(map.to_svg().contains("predicted"));
    /// ```
    pub fn axis_names(mut self, x: impl Into<String>, y: impl Into<String>) -> Self {
        self.x_name = x.into();
        self.y_name = y.into();
        self
    }

    /// Shows the heat map now (a cell can show several).
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let counts = vec![vec![9.0, 1.0], vec![2.0, 8.0]];
    /// HeatMap::new("Confusion", counts).axis_names("predicted", "actual").show();
    /// ```
    pub fn show(&self) {
        display(self);
    }

    /// The heat map as an SVG document, each cell with its value written in it.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let svg = HeatMap::new("Weights", vec![vec![0.25, 1.0]]).to_svg();
    /// assert!(svg.starts_with("<svg") && svg.contains("0.25"));
    /// ```
    pub fn to_svg(&self) -> String {
        let rows = self.values.len();
        let columns = self.values.first().map_or(0, Vec::len);
        let cell = if rows.max(columns) > 16 { 18 } else { 36 };
        let (left, top) = (70, 50);
        let (width, height) = (left + columns * cell + 20, top + rows * cell + 50);
        let max = self.values.iter().flatten().fold(f32::MIN, |m, &v| m.max(v));
        let min = self.values.iter().flatten().fold(f32::MAX, |m, &v| m.min(v));
        let span = (max - min).max(1e-12);
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\">\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\
             <text x=\"{}\" y=\"22\" font-size=\"16\" text-anchor=\"middle\">{}</text>",
            width / 2,
            escape(&self.title)
        );
        for (r, row) in self.values.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                let t = (v - min) / span;
                let shade = (255.0 - t * 200.0) as u8;
                let (x, y) = (left + c * cell, top + r * cell);
                let _ = write!(
                    svg,
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"rgb({shade},{shade},255)\" stroke=\"white\"/>"
                );
                if cell >= 30 {
                    let text = if v.fract() == 0.0 { format!("{v}") } else { format!("{v:.2}") };
                    let colour = if t > 0.6 { "white" } else { "black" };
                    let _ = write!(
                        svg,
                        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"{colour}\">{text}</text>",
                        x + cell / 2,
                        y + cell / 2 + 4
                    );
                }
            }
        }
        for (c, label) in self.column_labels.iter().enumerate() {
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
                left + c * cell + cell / 2,
                top - 6,
                escape(label)
            );
        }
        for (r, label) in self.row_labels.iter().enumerate() {
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
                left - 6,
                top + r * cell + cell / 2 + 4,
                escape(label)
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"middle\">{}</text>",
            left + columns * cell / 2,
            top + rows * cell + 30,
            escape(&self.x_name)
        );
        let _ = write!(
            svg,
            "<text x=\"14\" y=\"{}\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\">{}</text>",
            top + rows * cell / 2,
            top + rows * cell / 2,
            escape(&self.y_name)
        );
        svg.push_str("</svg>");
        svg
    }
}

impl Rich for HeatMap {
    fn to_mime(&self) -> MimeBundle {
        MimeBundle::text(format!(
            "<HeatMap \"{}\" {}x{}>",
            self.title,
            self.values.len(),
            self.values.first().map_or(0, Vec::len)
        ))
        .with("image/svg+xml", self.to_svg())
    }
}
