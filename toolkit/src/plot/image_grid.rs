//! A grid of small images with captions: digits, augmented samples,
//! misclassified examples.
//!
//! ```
//! use fireside::prelude::*;
//! let checker = [0.0, 1.0, 1.0, 0.0];   // a 2x2 gray image, row by row
//! let grid = ImageGrid::new("Samples").gray(2, 2, &checker, "first").gray(2, 2, &checker, "second");
//! assert_eq!(grid.len(), 2);
//! ```

use super::png::encode_png;
use crate::display::{MimeBundle, Rich, display, escape};
use base64::Engine;

/// Images (values in [0, 1]) shown side by side with captions.
///
/// ```no_run
/// use fireside::prelude::*;
/// let digits = fireside::datasets::Mnist::load().unwrap();
/// let mut grid = ImageGrid::new("First digits");
/// for i in 0..8 {
///     grid = grid.gray(28, 28, digits.train.image(i), format!("{}", digits.train.labels[i]));
/// }
/// grid.show();
/// ```
#[derive(Debug, Clone, Default)]
pub struct ImageGrid {
    title: String,
    /// (png bytes, width, caption)
    images: Vec<(Vec<u8>, usize, String)>,
    scale: usize,
}

fn to_byte(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

impl ImageGrid {
    /// An empty grid with a title; add images with [`gray`](Self::gray) or
    /// [`rgb_channels_first`](Self::rgb_channels_first).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let grid = ImageGrid::new("Misclassified digits");
    /// assert!(grid.is_empty());
    /// ```
    pub fn new(title: impl Into<String>) -> Self {
        ImageGrid { title: title.into(), images: Vec::new(), scale: 3 }
    }

    /// Display size multiplier (default 3: a 28x28 digit shows as 84x84).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let grid = ImageGrid::new("Big pixels").scale(8).gray(2, 2, &[0.0, 1.0, 1.0, 0.0], "checker");
    /// assert!(grid.to_mime().get("text/html").unwrap().contains("width=\"16\""));
    /// ```
    pub fn scale(mut self, scale: usize) -> Self {
        self.scale = scale.max(1);
        self
    }

    /// Adds a gray image, row-major values in [0, 1].
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let pixels: Vec<f32> = (0..28 * 28).map(|i| (i % 28) as f32 / 27.0).collect();   // a gradient
    /// let grid = ImageGrid::new("Gradient").gray(28, 28, &pixels, "left to right");
    /// assert_eq!(grid.len(), 1);
    /// ```
    pub fn gray(mut self, height: usize, width: usize, pixels: &[f32], caption: impl Into<String>) -> Self {
        let bytes: Vec<u8> = pixels.iter().map(|&v| to_byte(v)).collect();
        self.images.push((encode_png(width, height, 1, &bytes), width, caption.into()));
        self
    }

    /// Adds a colour image given channels-first (3, H, W) values in [0, 1].
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let red = [1.0, 0.0, 0.0];   // one pixel: the R, G and B planes
    /// let grid = ImageGrid::new("Colours").rgb_channels_first(1, 1, &red, "red");
    /// assert_eq!(grid.len(), 1);
    /// ```
    pub fn rgb_channels_first(
        mut self,
        height: usize,
        width: usize,
        pixels: &[f32],
        caption: impl Into<String>,
    ) -> Self {
        let plane = height * width;
        let mut bytes = Vec::with_capacity(plane * 3);
        for i in 0..plane {
            for c in 0..3 {
                bytes.push(to_byte(pixels[c * plane + i]));
            }
        }
        self.images.push((encode_png(width, height, 3, &bytes), width, caption.into()));
        self
    }

    /// The number of images.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(ImageGrid::new("One").gray(1, 1, &[0.5], "gray").len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether the grid has no images.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert!(ImageGrid::new("None yet").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// Shows the grid now (a cell can show several).
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// ImageGrid::new("Checker").gray(2, 2, &[0.0, 1.0, 1.0, 0.0], "2x2").show();
    /// ```
    pub fn show(&self) {
        display(self);
    }
}

impl Rich for ImageGrid {
    fn to_mime(&self) -> MimeBundle {
        let mut html =
            format!("<div><b>{}</b><div style=\"display:flex;flex-wrap:wrap;gap:6px\">", escape(&self.title));
        for (png, width, caption) in &self.images {
            let data = base64::engine::general_purpose::STANDARD.encode(png);
            html.push_str(&format!(
                "<figure style=\"margin:0;text-align:center\"><img src=\"data:image/png;base64,{data}\" width=\"{}\" style=\"image-rendering:pixelated\"/><figcaption style=\"font-size:small\">{}</figcaption></figure>",
                width * self.scale,
                escape(caption)
            ));
        }
        html.push_str("</div></div>");
        let captions: Vec<&str> = self.images.iter().map(|(_, _, c)| c.as_str()).collect();
        MimeBundle::text(format!("{}: {} images [{}]", self.title, self.images.len(), captions.join(", ")))
            .with("text/html", html)
    }
}
