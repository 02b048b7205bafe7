//! Plots that show inline: line plots of functions and curves, scatter
//! plots; SVG, with a title, axis labels and a legend by default.
//!
//! ```no_run
//! use fireside::prelude::*;
//! let xs: Vec<f32> = (0..100).map(|i| i as f32 / 10.0).collect();
//! let plot = Plot::new("A sine")
//!     .x_label("x").y_label("sin x")
//!     .line("sin", &xs, &xs.iter().map(|x| x.sin()).collect::<Vec<_>>());
//! plot.show();   // or leave `plot` as the cell's last expression
//! ```

use crate::display::{MimeBundle, Rich, display};
use plotters::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Line,
    Points,
    /// Bars of the given width centred on xs.
    Bars(f32),
}

#[derive(Debug, Clone)]
struct Series {
    label: String,
    kind: Kind,
    xs: Vec<f32>,
    ys: Vec<f32>,
    /// Palette entry; `None`: the series' position in the plot.
    color: Option<usize>,
}

/// A 2-D plot of one or more series (matplotlib's `plt.plot`, `plt.scatter`,
/// `plt.hist`). A cell that ends with a `Plot` shows it.
///
/// ```
/// use fireside::prelude::*;
/// let plot = Plot::new("Loss").x_label("epoch").y_label("loss").curve("train", &[0.9, 0.5, 0.3]);
/// assert!(plot.to_svg().contains("epoch"));
/// ```
#[derive(Debug, Clone)]
pub struct Plot {
    title: String,
    x_label: String,
    y_label: String,
    series: Vec<Series>,
    size: (u32, u32),
    y_range: Option<(f32, f32)>,
}

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

impl Plot {
    /// An empty plot with a title; axes labelled "x" and "y", 640 x 400 pixels.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let plot = Plot::new("Activation functions");   // matplotlib: plt.title(...)
    /// assert!(plot.to_svg().contains("Activation functions"));
    /// ```
    pub fn new(title: impl Into<String>) -> Self {
        Plot {
            title: title.into(),
            x_label: "x".to_owned(),
            y_label: "y".to_owned(),
            series: Vec::new(),
            size: (640, 400),
            y_range: None,
        }
    }

    /// The x axis's label (matplotlib's `plt.xlabel`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let plot = Plot::new("Loss").x_label("epoch").curve("train", &[0.9, 0.5]);
    /// assert!(plot.to_svg().contains("epoch"));
    /// ```
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// The y axis's label (matplotlib's `plt.ylabel`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let plot = Plot::new("Loss").y_label("cross-entropy").curve("train", &[0.9, 0.5]);
    /// assert!(plot.to_svg().contains("cross-entropy"));
    /// ```
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// Pixel size of the picture (default 640 x 400).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let plot = Plot::new("Small").size(320, 200).curve("y", &[1.0, 2.0]);
    /// assert!(plot.to_svg().contains("viewBox=\"0 0 320 200\""));
    /// ```
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// Fixes the y axis instead of fitting it to the data (matplotlib's `plt.ylim`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let plot = Plot::new("Accuracy").y_range(0.0, 1.0).curve("validation", &[0.81, 0.9, 0.93]);
    /// assert!(plot.to_svg().starts_with("<svg"));
    /// ```
    pub fn y_range(mut self, low: f32, high: f32) -> Self {
        self.y_range = Some((low, high));
        self
    }

    /// Adds a curve through the points (`xs[i]`, `ys[i]`), labelled in the legend.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let xs: Vec<f32> = (0..=40).map(|i| -4.0 + i as f32 * 0.2).collect();
    /// let ys: Vec<f32> = xs.iter().map(|x| x.tanh()).collect();
    /// let plot = Plot::new("tanh").line("tanh", &xs, &ys);
    /// assert!(plot.to_svg().contains("tanh"));
    /// ```
    pub fn line(mut self, label: impl Into<String>, xs: &[f32], ys: &[f32]) -> Self {
        self.series.push(Series {
            label: label.into(),
            kind: Kind::Line,
            xs: xs.to_vec(),
            ys: ys.to_vec(),
            color: None,
        });
        self
    }

    /// Adds a curve through (1, `ys[0]`), (2, `ys[1]`), ... (an epoch axis).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let losses = [0.9, 0.5, 0.35, 0.3];   // e.g. history.loss()
    /// let plot = Plot::new("Loss").x_label("epoch").curve("train", &losses);
    /// assert!(plot.to_svg().contains("train"));
    /// ```
    pub fn curve(self, label: impl Into<String>, ys: &[f32]) -> Self {
        let xs: Vec<f32> = (1..=ys.len()).map(|i| i as f32).collect();
        self.line(label, &xs, ys)
    }

    /// Adds points without lines (matplotlib's `plt.scatter`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let plot = Plot::new("Data").scatter("class 0", &[0.1, 0.4, 0.2], &[0.3, 0.8, 0.5]);
    /// assert!(plot.to_svg().contains("class 0"));
    /// ```
    pub fn scatter(mut self, label: impl Into<String>, xs: &[f32], ys: &[f32]) -> Self {
        self.series.push(Series {
            label: label.into(),
            kind: Kind::Points,
            xs: xs.to_vec(),
            ys: ys.to_vec(),
            color: None,
        });
        self
    }

    /// Adds a histogram of `values` in `bins` equal-width bins.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// Plot::new("weights").x_label("value").y_label("count").histogram("layer 1", &[0.1, 0.2, 0.2, 0.9], 4);
    /// ```
    pub fn histogram(mut self, label: impl Into<String>, values: &[f32], bins: usize) -> Self {
        let bins = bins.max(1);
        let finite: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let low = finite.iter().copied().fold(f32::INFINITY, f32::min);
        let high = finite.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let (low, high) =
            if low.is_finite() && high > low { (low, high) } else { (low.min(0.0), low.max(0.0) + 1.0) };
        let width = (high - low) / bins as f32;
        let mut counts = vec![0f32; bins];
        for v in finite {
            let bin = (((v - low) / width) as usize).min(bins - 1);
            counts[bin] += 1.0;
        }
        let centres: Vec<f32> = (0..bins).map(|b| low + (b as f32 + 0.5) * width).collect();
        self.y_range.get_or_insert((0.0, counts.iter().copied().fold(1.0, f32::max) * 1.05));
        self.series.push(Series {
            label: label.into(),
            kind: Kind::Bars(width),
            xs: centres,
            ys: counts,
            color: None,
        });
        self
    }

    /// Gives the last series added the palette's colour `index` (0 blue,
    /// 1 orange, 2 green, 3 red, …, 7 gray; it wraps around), so that several
    /// series share one colour. A series with an empty label has no legend
    /// entry: many curves of one colour can share the first one's label.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let plot = Plot::new("Clusters")
    ///     .scatter("cluster 0", &[0.0, 0.2], &[0.1, 0.0]).color(0)
    ///     .line("", &[-1.0, 1.0], &[0.0, 0.0]).color(0);   // same colour, no legend entry
    /// assert!(plot.to_svg().contains("cluster 0"));
    /// ```
    pub fn color(mut self, index: usize) -> Self {
        if let Some(series) = self.series.last_mut() {
            series.color = Some(index);
        }
        self
    }

    /// Shows the plot now (a cell can show several).
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// Plot::new("Loss").curve("train", &[0.9, 0.5, 0.3]).show();
    /// Plot::new("Accuracy").curve("train", &[0.6, 0.8, 0.9]).show();
    /// ```
    pub fn show(&self) {
        display(self);
    }

    fn bounds(&self) -> ((f32, f32), (f32, f32)) {
        let finite = |v: &&f32| v.is_finite();
        let xs = self.series.iter().flat_map(|s| s.xs.iter()).filter(finite);
        let ys = self.series.iter().flat_map(|s| s.ys.iter()).filter(finite);
        let span = |values: &mut dyn Iterator<Item = &f32>| {
            let (lo, hi) =
                values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            if !lo.is_finite() {
                (0.0, 1.0)
            } else if hi - lo < 1e-12 {
                (lo - 0.5, hi + 0.5)
            } else {
                (lo, hi)
            }
        };
        let x = span(&mut xs.into_iter());
        let y = self.y_range.unwrap_or_else(|| {
            let (lo, hi) = span(&mut ys.into_iter());
            let pad = (hi - lo) * 0.05;
            (lo - pad, hi + pad)
        });
        (x, y)
    }

    /// The plot as an SVG document (to save it, or to put it into HTML).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let svg = Plot::new("Loss").curve("train", &[0.9, 0.5]).to_svg();
    /// assert!(svg.starts_with("<svg"));
    /// ```
    pub fn to_svg(&self) -> String {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, self.size).into_drawing_area();
            // Drawing into a String cannot fail for I/O reasons; a plot
            // without data still renders its axes.
            let _ = self.draw(&root);
        }
        svg
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let ((mut x0, mut x1), (y0, y1)) = self.bounds();
        // Bars extend half a width beyond their centres.
        for series in &self.series {
            if let Kind::Bars(width) = series.kind {
                x0 = x0.min(series.xs.first().copied().unwrap_or(x0) - width / 2.0);
                x1 = x1.max(series.xs.last().copied().unwrap_or(x1) + width / 2.0);
            }
        }
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        for (index, series) in self.series.iter().enumerate() {
            let color = COLORS[series.color.unwrap_or(index) % COLORS.len()];
            let points = series
                .xs
                .iter()
                .zip(&series.ys)
                .map(|(&x, &y)| (x, y))
                .filter(|(x, y)| x.is_finite() && y.is_finite());
            let drawn = match series.kind {
                Kind::Line => chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?,
                Kind::Points => chart.draw_series(points.map(|p| Circle::new(p, 3, color.filled())))?,
                Kind::Bars(width) => chart.draw_series(points.map(|(x, y)| {
                    Rectangle::new([(x - width / 2.0, 0.0), (x + width / 2.0, y)], color.mix(0.7).filled())
                }))?,
            };
            if !series.label.is_empty() {
                drawn
                    .label(series.label.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
            }
        }
        if self.series.iter().any(|s| !s.label.is_empty()) {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .draw()?;
        }
        root.present()
    }
}

impl Rich for Plot {
    fn to_mime(&self) -> MimeBundle {
        let names: Vec<&str> =
            self.series.iter().map(|s| s.label.as_str()).filter(|label| !label.is_empty()).collect();
        MimeBundle::text(format!("<Plot \"{}\": {}>", self.title, names.join(", ")))
            .with("image/svg+xml", self.to_svg())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plot_renders_its_title_labels_and_legend() {
        let svg =
            Plot::new("Loss").x_label("epoch").y_label("loss").curve("train", &[1.0, 0.5, 0.25]).to_svg();
        assert!(svg.starts_with("<svg"));
        for text in ["Loss", "epoch", "loss", "train"] {
            assert!(svg.contains(text), "{text} missing");
        }
    }
}
