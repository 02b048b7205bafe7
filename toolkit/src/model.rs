//! Keras's `Sequential`: layers in a row, and a real burn `Module`, so it
//! saves, loads and runs on any backend.
//!
//! ```no_run
//! use fireside::prelude::*;
//! // seed A 4.1: the Keras CNN on MNIST
//! let model = Sequential::new()
//!     .add(Conv2d::new(32, 3).activation(Activation::Relu).input_shape([1, 28, 28]))?
//!     .add(MaxPool2d::new(2))?
//!     .add(Conv2d::new(64, 3).activation(Activation::Relu))?
//!     .add(MaxPool2d::new(2))?
//!     .add(Flatten)?
//!     .add(Dense::new(64).activation(Activation::Relu))?
//!     .add(Dense::new(10).activation(Activation::Softmax))?;
//! model.summary()
//! # ;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::display::{MimeBundle, Rich, escape};
use crate::layers::{Batch, Layer, LayerError, LayerSpec};
use burn::module::Module;
use burn::tensor::{Device, Tensor};

/// A stack of layers, each feeding the next: Keras's `Sequential`, PyTorch's
/// `nn.Sequential`. Each layer is built (gets its weights) as it is added.
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::new()
///     .add(Dense::new(16).activation(Activation::Relu).input_dim(4))?
///     .add(Dense::new(3).activation(Activation::Softmax))?;
/// assert_eq!(model.num_params(), (4 * 16 + 16) + (16 * 3 + 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Module, Debug)]
pub struct Sequential {
    /// The built layers, in order.
    pub layers: Vec<Layer>,
    /// `shapes[0]` is one input example's shape, `shapes[i + 1]` layer i's output.
    #[module(skip)]
    shapes: Vec<Vec<usize>>,
    #[module(skip)]
    specs: Vec<LayerSpec>,
}

impl Default for Sequential {
    fn default() -> Self {
        Self::new()
    }
}

impl Sequential {
    /// An empty model; its first layer must declare its input shape.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::new().add(Dense::new(10).input_dim(784))?;
    /// assert_eq!(model.layers.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Self {
        Sequential { layers: Vec::new(), shapes: Vec::new(), specs: Vec::new() }
    }

    /// An empty model whose inputs have `shape` (one example, no batch dimension).
    /// Keras: `Sequential([keras.Input(shape=(784,)), ...])`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([784]).add(Dense::new(10))?;
    /// assert_eq!(model.input_shape(), [784]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_input(shape: impl Into<Vec<usize>>) -> Self {
        Sequential { shapes: vec![shape.into()], ..Self::new() }
    }

    /// Adds a layer, creating its weights on the toolkit's device, or says
    /// why the layer cannot take the previous layer's output.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([4])
    ///     .add(Dense::new(8))?   // Keras: model.add(Dense(8))?
    ///     .add(Activation::Relu)?
    ///     .add(Dropout::new(0.5))?;
    /// assert_eq!(model.layers.len(), 3);
    ///
    /// let error = Sequential::with_input([1, 28, 28]).add(Dense::new(10)).unwrap_err();
    /// assert!(error.to_string().contains("add Flatten"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    // Keras's name for it, though not `std::ops::Add`.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, layer: impl Into<LayerSpec>) -> Result<Self, LayerError> {
        self.try_add_on(layer, &crate::device::device())
    }

    fn try_add_on(mut self, layer: impl Into<LayerSpec>, device: &Device) -> Result<Self, LayerError> {
        let spec = layer.into();
        if self.shapes.is_empty() {
            self.shapes.push(spec.input_shape().ok_or(LayerError::NoInputShape)?);
        }
        let input = self.shapes.last().expect("set above").clone();
        let output = spec.output_shape(&input)?;
        self.layers.push(spec.build(&input, device)?);
        self.shapes.push(output);
        self.specs.push(spec);
        Ok(self)
    }

    /// The same architecture with fresh weights (for cross-validation, or to load saved weights into).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([4]).add(Dense::new(2))?;
    /// let copy = model.fresh_copy();
    /// assert_eq!((copy.output_shape(), copy.num_params()), (model.output_shape(), model.num_params()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fresh_copy(&self) -> Self {
        let mut copy =
            Sequential { shapes: self.shapes.first().cloned().into_iter().collect(), ..Self::new() };
        for spec in &self.specs {
            copy = copy.add(spec.clone()).expect("the layers fitted the same shapes before");
        }
        copy
    }

    /// The shape of one input example (no batch dimension); empty for an empty model.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::new().add(Conv2d::new(8, 3).input_shape([1, 28, 28]))?;
    /// assert_eq!(model.input_shape(), [1, 28, 28]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn input_shape(&self) -> &[usize] {
        self.shapes.first().map(Vec::as_slice).unwrap_or(&[])
    }

    /// The shape of one output example: the last layer's output, no batch dimension.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([1, 28, 28]).add(Conv2d::new(8, 3))?.add(Flatten)?;
    /// assert_eq!(model.output_shape(), [8 * 26 * 26]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn output_shape(&self) -> &[usize] {
        self.shapes.last().map(Vec::as_slice).unwrap_or(&[])
    }

    /// Runs the layers on a batch (a tensor whose first dimension is the batch).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([1, 8, 8]).add(Conv2d::new(4, 3))?;
    /// let y: Batch = model.forward(Tensor::<4>::ones([2, 1, 8, 8], &device()));
    /// assert_eq!(y.dims(), [2, 4, 6, 6]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forward(&self, x: impl Into<Batch>) -> Batch {
        self.layers.iter().fold(x.into(), |batch, layer| layer.forward(batch))
    }

    /// Runs the layers on a batch and returns (N, outputs); panics if the
    /// output is not flat (add `Flatten`). PyTorch's `model(x)`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([4]).add(Dense::new(3).activation(Activation::Softmax))?;
    /// let y = model.forward_flat(Tensor::<2>::ones([2, 4], &device()));
    /// assert_eq!(y.dims(), [2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forward_flat(&self, x: impl Into<Batch>) -> Tensor<2> {
        self.forward(x).into_flat()
    }

    /// The sum of the layers' regularization penalties (`None` without regularizers).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([4]).add(Dense::new(2).regularizer(Regularizer::L2(0.01)))?;
    /// assert!(model.penalty().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn penalty(&self) -> Option<Tensor<1>> {
        self.layers.iter().filter_map(Layer::penalty).reduce(|a, b| a + b)
    }

    /// Keras's `model.summary()`: each layer's output shape and parameter count.
    /// A cell that ends with it shows a table.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([784]).add(Dense::new(32))?.add(Dense::new(10))?;
    /// let summary = model.summary();
    /// assert_eq!(summary.total, (784 * 32 + 32) + (32 * 10 + 10));
    /// println!("{summary}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn summary(&self) -> Summary {
        let rows = self
            .layers
            .iter()
            .zip(self.shapes.iter().skip(1))
            .map(|(layer, shape)| (layer.kind().to_owned(), shape.clone(), layer.num_params()))
            .collect();
        Summary {
            input: self.input_shape().to_vec(),
            rows,
            total: self.num_params(),
            device: crate::device::info().headline(),
        }
    }
}

/// The table [`Sequential::summary`] returns.
///
/// ```
/// use fireside::prelude::*;
/// let summary = Sequential::with_input([1, 28, 28]).add(Conv2d::new(32, 3))?.summary();
/// assert_eq!(summary.rows[0], ("Conv2D".to_owned(), vec![32, 26, 26], 320));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The shape of one input example.
    pub input: Vec<usize>,
    /// (layer type, output shape without the batch, parameters)
    pub rows: Vec<(String, Vec<usize>, usize)>,
    /// The number of parameters of the whole model.
    pub total: usize,
    /// Where it computes and why, such as "flex on the CPU (2 threads),
    /// because …": every notebook that shows a model shows its device.
    pub device: String,
}

fn shape_text(shape: &[usize]) -> String {
    let dims: Vec<String> =
        std::iter::once("None".to_owned()).chain(shape.iter().map(usize::to_string)).collect();
    format!("({})", dims.join(", "))
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{:<22}{:<24}{:>10}", "Layer (type)", "Output Shape", "Param #")?;
        writeln!(f, "{}", "=".repeat(56))?;
        for (kind, shape, params) in &self.rows {
            writeln!(f, "{kind:<22}{:<24}{params:>10}", shape_text(shape))?;
        }
        writeln!(f, "{}", "=".repeat(56))?;
        writeln!(f, "Total params: {}", self.total)?;
        write!(f, "Computes on: {}", self.device)
    }
}

impl Rich for Summary {
    fn to_mime(&self) -> MimeBundle {
        let mut html = String::from(
            "<table><tr><th style=\"text-align:left\">Layer (type)</th><th style=\"text-align:left\">Output Shape</th><th>Param #</th></tr>",
        );
        for (kind, shape, params) in &self.rows {
            html.push_str(&format!(
                "<tr><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td><td>{params}</td></tr>",
                escape(kind),
                shape_text(shape)
            ));
        }
        html.push_str(&format!(
            "<tr><th colspan=\"2\" style=\"text-align:left\">Total params</th><th>{}</th></tr>\
             <tr><td colspan=\"3\" style=\"text-align:left\"><small>Computes on: {}</small></td></tr></table>",
            self.total,
            escape(&self.device)
        ));
        MimeBundle::text(self.to_string()).with("text/html", html)
    }
}

impl Rich for Sequential {
    fn to_mime(&self) -> MimeBundle {
        self.summary().to_mime()
    }
}
