//! Keras's `Sequential`: layers in a row, and a real burn `Module`, so it
//! saves, loads and runs on any backend.
//!
//! ```no_run
//! use fireside::prelude::*;
//! // seed A 4.1: the Keras CNN on MNIST
//! let model = Sequential::new()
//!     .add(Conv2d::new(32, 3).activation(Activation::Relu).input_shape([1, 28, 28]))
//!     .add(MaxPool2d::new(2))
//!     .add(Conv2d::new(64, 3).activation(Activation::Relu))
//!     .add(MaxPool2d::new(2))
//!     .add(Flatten)
//!     .add(Dense::new(64).activation(Activation::Relu))
//!     .add(Dense::new(10).activation(Activation::Softmax));
//! model.summary()
//! # ;
//! ```

use crate::display::{MimeBundle, Rich, escape};
use crate::layers::{Batch, Layer, LayerError, LayerSpec};
use burn::module::Module;
use burn::tensor::{Device, Tensor};

/// A stack of layers, each feeding the next.
#[derive(Module, Debug)]
pub struct Sequential {
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
    pub fn new() -> Self {
        Sequential { layers: Vec::new(), shapes: Vec::new(), specs: Vec::new() }
    }

    /// An empty model whose inputs have `shape` (one example, no batch dimension).
    pub fn with_input(shape: impl Into<Vec<usize>>) -> Self {
        Sequential { shapes: vec![shape.into()], ..Self::new() }
    }

    /// Adds a layer, creating its weights on the toolkit's device. Panics
    /// with the reason if the layer cannot take the previous layer's output.
    // Keras's name for it, though not `std::ops::Add`.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, layer: impl Into<LayerSpec>) -> Self {
        self.try_add(layer).unwrap_or_else(|error| panic!("{error}"))
    }

    /// [`add`](Self::add), returning the error instead of panicking.
    pub fn try_add(self, layer: impl Into<LayerSpec>) -> Result<Self, LayerError> {
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
    pub fn fresh_copy(&self) -> Self {
        let mut copy =
            Sequential { shapes: self.shapes.first().cloned().into_iter().collect(), ..Self::new() };
        for spec in &self.specs {
            copy = copy.add(spec.clone());
        }
        copy
    }

    pub fn input_shape(&self) -> &[usize] {
        self.shapes.first().map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn output_shape(&self) -> &[usize] {
        self.shapes.last().map(Vec::as_slice).unwrap_or(&[])
    }

    /// Runs the layers on a batch.
    pub fn forward(&self, x: impl Into<Batch>) -> Batch {
        self.layers.iter().fold(x.into(), |batch, layer| layer.forward(batch))
    }

    /// Runs the layers on a batch and returns (N, outputs).
    pub fn forward_flat(&self, x: impl Into<Batch>) -> Tensor<2> {
        self.forward(x).into_flat()
    }

    /// The sum of the layers' regularization penalties.
    pub fn penalty(&self) -> Option<Tensor<1>> {
        self.layers.iter().filter_map(Layer::penalty).reduce(|a, b| a + b)
    }

    /// Keras's `model.summary()`: each layer's output shape and parameter count.
    pub fn summary(&self) -> Summary {
        let rows = self
            .layers
            .iter()
            .zip(self.shapes.iter().skip(1))
            .map(|(layer, shape)| (layer.kind().to_owned(), shape.clone(), layer.num_params()))
            .collect();
        Summary { input: self.input_shape().to_vec(), rows, total: self.num_params() }
    }
}

/// The table [`Sequential::summary`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub input: Vec<usize>,
    /// (layer type, output shape without the batch, parameters)
    pub rows: Vec<(String, Vec<usize>, usize)>,
    pub total: usize,
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
        write!(f, "Total params: {}", self.total)
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
            "<tr><th colspan=\"2\" style=\"text-align:left\">Total params</th><th>{}</th></tr></table>",
            self.total
        ));
        MimeBundle::text(self.to_string()).with("text/html", html)
    }
}

impl Rich for Sequential {
    fn to_mime(&self) -> MimeBundle {
        self.summary().to_mime()
    }
}
