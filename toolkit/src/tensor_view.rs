//! Tensors shown as a reader wants them: shape, element type and device,
//! then the values as a table (large tensors are abbreviated).
//!
//! ```no_run
//! use fireside::prelude::*;
//! let t = Tensor::<2>::from_floats([[1.0, 2.0], [3.0, 4.0]], &device());
//! display(&t);          // or `t` as the cell's last expression
//! ```

use crate::display::{MimeBundle, Rich, escape};
use burn::tensor::{Int, Tensor};

/// Rows and columns shown before abbreviating with "…".
const SHOWN: usize = 8;

/// The values and description of a tensor, ready to display. A tensor that
/// is a cell's last expression is shown through one.
///
/// ```
/// use fireside::prelude::*;
/// let t = Tensor::<2>::from_floats([[1.0, 2.0], [3.0, 4.0]], &device());
/// let view = TensorView::of(&t);
/// assert_eq!((view.shape, view.values), (vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TensorView {
    /// The tensor's dimensions, like PyTorch's `t.shape`.
    pub shape: Vec<usize>,
    /// The element type, such as "f32" or "i64".
    pub dtype: String,
    /// The device the tensor lives on, such as "flex" or "wgpu".
    pub device: String,
    /// All values, row-major.
    pub values: Vec<f64>,
    /// Whether the values are integers (shown without decimals).
    pub integer: bool,
}

impl TensorView {
    /// The view of a float tensor (reads its values from the device).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let view = TensorView::of(&Tensor::<1>::from_floats([0.5, 1.5], &device()));
    /// assert_eq!(view.values, vec![0.5, 1.5]);
    /// ```
    pub fn of<const D: usize>(tensor: &Tensor<D>) -> TensorView {
        TensorView {
            shape: tensor.dims().to_vec(),
            dtype: format!("{:?}", tensor.dtype()).to_lowercase(),
            device: device_name(tensor),
            values: tensor.clone().try_into_vec_as::<f64>().unwrap_or_default(),
            integer: false,
        }
    }

    /// The view of an integer tensor, such as class labels.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let view = TensorView::of_int(&Tensor::<1, Int>::from_ints([3, 1], &device()));
    /// assert!(view.integer && view.values == vec![3.0, 1.0]);
    /// ```
    pub fn of_int<const D: usize>(tensor: &Tensor<D, Int>) -> TensorView {
        TensorView {
            shape: tensor.dims().to_vec(),
            dtype: format!("{:?}", tensor.dtype()).to_lowercase(),
            device: format!("{:?}", tensor.device()),
            values: tensor
                .clone()
                .try_into_vec_as::<i64>()
                .unwrap_or_default()
                .into_iter()
                .map(|v| v as f64)
                .collect(),
            integer: true,
        }
    }

    fn format(&self, value: f64) -> String {
        if self.integer {
            format!("{value}")
        } else {
            let text = format!("{value:.4}");
            let trimmed = text.trim_end_matches('0');
            trimmed.strip_suffix('.').map(|t| format!("{t}.")).unwrap_or_else(|| trimmed.to_owned())
        }
    }

    /// The tensor as rows of a matrix: its last dimension is the columns,
    /// everything before it is flattened into rows.
    fn rows(&self) -> (usize, usize) {
        let columns = self.shape.last().copied().unwrap_or(1).max(1);
        (self.values.len() / columns, columns)
    }

    fn header(&self) -> String {
        format!("Tensor {:?} {} on {}", self.shape, self.dtype, self.device)
    }

    fn text(&self) -> String {
        let (rows, columns) = self.rows();
        let mut lines = vec![self.header()];
        for row in 0..rows.min(SHOWN) {
            let mut cells: Vec<String> =
                (0..columns.min(SHOWN)).map(|c| self.format(self.values[row * columns + c])).collect();
            if columns > SHOWN {
                cells.push("…".to_owned());
            }
            lines.push(format!("[{}]", cells.join(", ")));
        }
        if rows > SHOWN {
            lines.push(format!("… {} more rows", rows - SHOWN));
        }
        lines.join("\n")
    }

    fn html(&self) -> String {
        let (rows, columns) = self.rows();
        let mut html = format!("<div><code>{}</code><table>", escape(&self.header()));
        for row in 0..rows.min(SHOWN) {
            html.push_str("<tr>");
            for c in 0..columns.min(SHOWN) {
                html.push_str(&format!(
                    "<td style=\"text-align:right\">{}</td>",
                    self.format(self.values[row * columns + c])
                ));
            }
            if columns > SHOWN {
                html.push_str("<td>…</td>");
            }
            html.push_str("</tr>");
        }
        if rows > SHOWN {
            html.push_str(&format!(
                "<tr><td colspan=\"{}\">… {} more rows</td></tr>",
                columns.min(SHOWN) + 1,
                rows - SHOWN
            ));
        }
        html.push_str("</table></div>");
        html
    }
}

fn device_name<const D: usize>(tensor: &Tensor<D>) -> String {
    let debug = format!("{:?}", tensor.device());
    if debug.contains("Flex") {
        "flex".to_owned()
    } else if debug.contains("Wgpu") {
        "wgpu".to_owned()
    } else {
        debug
    }
}

impl Rich for TensorView {
    fn to_mime(&self) -> MimeBundle {
        MimeBundle::text(self.text()).with("text/html", self.html())
    }
}

/// A tensor's values as a `Vec`, row-major (reads them from the device).
///
/// ```no_run
/// use fireside::prelude::*;
/// let t = Tensor::<1>::from_floats([1.0, 2.0], &device());
/// assert_eq!(t.values(), vec![1.0, 2.0]);
/// ```
pub trait Values {
    /// `f32` for float tensors, `i64` for integer tensors.
    type Item;
    /// The values, row-major, like PyTorch's `t.flatten().tolist()`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let labels = Tensor::<1, Int>::from_ints([2, 0], &device());
    /// assert_eq!(labels.values(), vec![2, 0]);
    /// ```
    fn values(&self) -> Vec<Self::Item>;
}

impl<const D: usize> Values for Tensor<D> {
    type Item = f32;
    fn values(&self) -> Vec<f32> {
        self.clone().try_into_vec_as::<f32>().expect("a float tensor reads as f32")
    }
}

impl<const D: usize> Values for Tensor<D, Int> {
    type Item = i64;
    fn values(&self) -> Vec<i64> {
        self.clone().try_into_vec_as::<i64>().expect("an int tensor reads as i64")
    }
}

impl<const D: usize> Rich for Tensor<D> {
    fn to_mime(&self) -> MimeBundle {
        TensorView::of(self).to_mime()
    }
}

impl<const D: usize> Rich for Tensor<D, Int> {
    fn to_mime(&self) -> MimeBundle {
        TensorView::of_int(self).to_mime()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_shows_its_shape_and_values() {
        let view = TensorView {
            shape: vec![2, 2],
            dtype: "f32".to_owned(),
            device: "flex".to_owned(),
            values: vec![1.0, 2.5, -3.0, 4.0],
            integer: false,
        };
        let text = view.to_mime().plain_text().to_owned();
        assert_eq!(text, "Tensor [2, 2] f32 on flex\n[1., 2.5]\n[-3., 4.]");
    }
}
