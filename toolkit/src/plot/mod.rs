//! Plots that show inline, with titles, axis labels and legends by default:
//! line plots and scatter plots ([`Plot`]), histograms, heat maps (a
//! confusion matrix) and grids of images (digits).

mod chart;
mod heatmap;
mod image_grid;
mod png;

pub use chart::Plot;
pub use heatmap::HeatMap;
pub use image_grid::ImageGrid;
pub use png::encode_png;
