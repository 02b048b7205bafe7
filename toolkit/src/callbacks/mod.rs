//! Callbacks: code that [`fit`](crate::training::Model::fit) runs as it
//! trains, as Keras's `keras.callbacks`. The progress bar and the live loss
//! curves a notebook shows are two of them ([`ProgbarLogger`],
//! [`LiveCurves`]), which `fit` adds unless [`Fit::quiet`](crate::training::Fit::quiet),
//! and the [`History`] it returns is one too, which records each epoch;
//! [`EarlyStopping`] ends training once the validation loss stops improving.
//!
//! A callback of your own implements [`Callback`] (each method does
//! nothing by default) and goes to [`Fit::callback`](crate::training::Fit::callback):
//!
//! ```
//! use fireside::prelude::*;
//! use fireside::callbacks::{Callback, Flow};
//! use fireside::training::EpochStats;
//!
//! /// Stops once the training loss is below a target.
//! struct StopBelow(f32);
//! impl Callback for StopBelow {
//!     fn on_epoch_end(&mut self, _epoch: usize, logs: &EpochStats) -> Flow {
//!         if logs.loss < self.0 { Flow::Stop } else { Flow::Continue }
//!     }
//! }
//! let x = Tensor::<2>::random([64, 2], Distribution::Normal(0.0, 1.0), &device());
//! let y = x.clone().sum_dim(1);
//! let mut model = Sequential::with_input([2]).add(Dense::new(1))?
//!     .compile(Optimizer::adam().learning_rate(0.1), Loss::MeanSquaredError, &[]);
//! let history = model.fit(x, y, Fit::epochs(200).quiet().callback(StopBelow(0.05)))?;
//! assert!(history.stopped_early && history.epochs.len() < 200);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod early_stopping;
mod live_curves;
mod progbar_logger;

pub use early_stopping::EarlyStopping;
pub use live_curves::LiveCurves;
pub use progbar_logger::ProgbarLogger;

use crate::training::{EpochStats, History};

/// Whether training goes on after an epoch (Keras's `model.stop_training`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Train the next epoch.
    Continue,
    /// Stop now; the model keeps the weights it has.
    Stop,
}

/// The running means of the epoch so far, after each batch (Keras's `logs`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchLogs {
    /// The mean training loss over the epoch's batches so far.
    pub loss: f32,
    /// The training accuracy so far, when `Metric::Accuracy` was asked for.
    pub accuracy: Option<f32>,
}

/// Keras's `Callback`: what `fit` calls as it trains. Every method does
/// nothing by default; implement those you need.
pub trait Callback: Send {
    /// Before the first epoch: how many epochs, of how many batches each.
    fn on_train_begin(&mut self, _epochs: usize, _steps_per_epoch: usize) {}

    /// Before each epoch (counted from 0).
    fn on_epoch_begin(&mut self, _epoch: usize) {}

    /// After each batch (`step` counted from 0 within the epoch).
    fn on_batch_end(&mut self, _step: usize, _logs: &BatchLogs) {}

    /// After each epoch, with its loss and metrics (Keras's `logs`).
    fn on_epoch_end(&mut self, _epoch: usize, _logs: &EpochStats) -> Flow {
        Flow::Continue
    }

    /// After training, with every epoch (also when it was interrupted or
    /// stopped early).
    fn on_train_end(&mut self, _history: &History) {}
}

/// Keras's `History` callback: it records each epoch. `fit` runs one and
/// returns it.
///
/// ```
/// use fireside::callbacks::{Callback, Flow};
/// use fireside::training::{EpochStats, History};
/// let mut history = History::default();
/// let epoch = EpochStats { loss: 0.5, accuracy: None, val_loss: None, val_accuracy: None, seconds: 1.0 };
/// assert_eq!(history.on_epoch_end(0, &epoch), Flow::Continue);
/// assert_eq!(history.loss(), [0.5]);
/// ```
impl Callback for History {
    fn on_epoch_end(&mut self, _epoch: usize, logs: &EpochStats) -> Flow {
        self.epochs.push(logs.clone());
        Flow::Continue
    }
}
