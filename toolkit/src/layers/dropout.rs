//! Keras's `Dropout`: zeroes a fraction of its inputs while training.

use burn::module::Module;
use burn::nn::{Dropout as BurnDropout, DropoutConfig};

/// Drops each input with probability `rate` during training (and scales
/// the rest by 1/(1 − rate)); does nothing in `evaluate` and `predict`.
///
/// ```no_run
/// use fireside::prelude::*;
/// let dropout = Dropout::new(0.5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dropout {
    pub rate: f64,
}

impl Dropout {
    pub fn new(rate: f64) -> Self {
        assert!((0.0..1.0).contains(&rate), "Dropout rate must be in [0, 1), got {rate}");
        Dropout { rate }
    }

    pub(crate) fn build(&self) -> DropoutLayer {
        DropoutLayer { dropout: DropoutConfig::new(self.rate).init() }
    }
}

/// A built [`Dropout`].
#[derive(Module, Debug)]
pub struct DropoutLayer {
    pub dropout: BurnDropout,
}
