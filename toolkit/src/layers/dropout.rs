//! Keras's `Dropout`: zeroes a fraction of its inputs while training.
//! PyTorch's `nn.Dropout(p)`.
//!
//! ```
//! use fireside::prelude::*;
//! let model = Sequential::with_input([784]).add(Dense::new(512))?.add(Dropout::new(0.5))?;
//! assert_eq!(model.layers[1].kind(), "Dropout");
//! assert_eq!(model.output_shape(), [512]);   // it keeps the shape
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{Batch, BuiltLayer, LayerDescription, LayerError};
use burn::module::Module;
use burn::nn::{Dropout as BurnDropout, DropoutConfig};
use burn::tensor::Device;

/// Drops each input with probability `rate` during training (and scales
/// the rest by 1/(1 − rate)); does nothing in `evaluate` and `predict`.
///
/// ```no_run
/// use fireside::prelude::*;
/// let dropout = Dropout::new(0.5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dropout {
    /// The probability of dropping each input, in [0, 1).
    pub rate: f64,
}

impl Dropout {
    /// Drops inputs with probability `rate`, 0 ≤ rate < 1 (which `add` checks).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let dropout = Dropout::new(0.2);   // Keras: Dropout(0.2)
    /// assert_eq!(dropout.rate, 0.2);
    /// ```
    pub fn new(rate: f64) -> Self {
        Dropout { rate }
    }
}

impl LayerDescription for Dropout {
    type Built = DropoutLayer;

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        if !(0.0..1.0).contains(&self.rate) {
            return Err(LayerError::Argument {
                layer: "Dropout",
                reason: format!("the rate is a probability in [0, 1), got {}", self.rate),
            });
        }
        Ok(input.to_vec())
    }

    fn build(&self, _input: &[usize], _device: &Device) -> Result<DropoutLayer, LayerError> {
        Ok(DropoutLayer { dropout: DropoutConfig::new(self.rate).init() })
    }
}

/// A built [`Dropout`].
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::with_input([8]).add(Dropout::new(0.5))?;
/// let Layer::Dropout(layer) = &model.layers[0] else { unreachable!() };
/// assert_eq!(layer.dropout.prob, 0.5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Module, Debug)]
pub struct DropoutLayer {
    /// burn's `Dropout` module.
    pub dropout: BurnDropout,
}

impl BuiltLayer for DropoutLayer {
    const KIND: &'static str = "Dropout";

    fn forward(&self, x: Batch) -> Batch {
        match x {
            Batch::Flat(t) => Batch::Flat(self.dropout.forward(t)),
            Batch::Sequence(t) => Batch::Sequence(self.dropout.forward(t)),
            Batch::Images(t) => Batch::Images(self.dropout.forward(t)),
            x => self.wrong_batch(x),
        }
    }
}
