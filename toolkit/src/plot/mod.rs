//! Plots that show inline, with titles, axis labels and legends by default:
//! line plots and scatter plots ([`Plot`]), histograms, heat maps (a
//! confusion matrix), grids of images (digits) and trees ([`Tree::to_svg`](crate::models::tree::Tree::to_svg)).
//!
//! ```
//! use fireside::prelude::*;
//! let plot = Plot::new("Loss").x_label("epoch").curve("train", &[0.9, 0.4, 0.2]);
//! let map = HeatMap::new("Confusion", vec![vec![9.0, 1.0], vec![2.0, 8.0]]);
//! assert!(plot.to_svg().starts_with("<svg") && map.to_svg().starts_with("<svg"));
//! ```

mod chart;
mod heatmap;
mod image_grid;
mod png;
mod tree;

pub use chart::Plot;
pub use heatmap::HeatMap;
pub use image_grid::ImageGrid;
pub use png::encode_png;
