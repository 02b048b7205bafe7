//! Keras's `EarlyStopping`.

use super::{Callback, Flow};
use crate::training::EpochStats;

/// Stops training once the monitored loss has not improved for `patience`
/// epochs, as Keras's `EarlyStopping(monitor='val_loss', patience=…)`. It
/// watches the validation loss when there is validation data, the training
/// loss otherwise. The model keeps its last weights (Keras's default,
/// `restore_best_weights=False`).
///
/// ```
/// use fireside::prelude::*;
/// use fireside::callbacks::EarlyStopping;
/// let options = Fit::epochs(100).validation_split(0.2).callback(EarlyStopping::new().patience(3));
/// # drop(options);
/// ```
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    /// Epochs without improvement before stopping (default 0: the first epoch that does not improve).
    pub patience: usize,
    /// The least decrease that counts as an improvement (default 0).
    pub min_delta: f32,
    best: f32,
    waited: usize,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping { patience: 0, min_delta: 0.0, best: f32::INFINITY, waited: 0 }
    }
}

impl EarlyStopping {
    /// Keras's defaults: patience 0, min_delta 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Epochs without improvement before stopping (Keras's `patience`).
    pub fn patience(mut self, epochs: usize) -> Self {
        self.patience = epochs;
        self
    }

    /// The least decrease that counts as an improvement (Keras's `min_delta`).
    pub fn min_delta(mut self, delta: f32) -> Self {
        self.min_delta = delta;
        self
    }
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self, _epochs: usize, _steps_per_epoch: usize) {
        (self.best, self.waited) = (f32::INFINITY, 0);
    }

    fn on_epoch_end(&mut self, _epoch: usize, logs: &EpochStats) -> Flow {
        let monitored = logs.val_loss.unwrap_or(logs.loss);
        if monitored < self.best - self.min_delta {
            (self.best, self.waited) = (monitored, 0);
            return Flow::Continue;
        }
        self.waited += 1;
        // As Keras: with patience p, the p-th epoch without improvement is the last.
        if self.waited >= self.patience.max(1) { Flow::Stop } else { Flow::Continue }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(loss: f32) -> EpochStats {
        EpochStats { loss, accuracy: None, val_loss: None, val_accuracy: None, seconds: 1.0 }
    }

    #[test]
    fn stops_after_patience_epochs_without_improvement() {
        let mut stop = EarlyStopping::new().patience(2);
        stop.on_train_begin(10, 1);
        // Two epochs without improvement after the best (0.5): the second stops.
        let losses = [1.0, 0.5, 0.6, 0.55];
        let flows: Vec<Flow> =
            losses.iter().enumerate().map(|(i, &loss)| stop.on_epoch_end(i, &epoch(loss))).collect();
        assert_eq!(flows, [Flow::Continue, Flow::Continue, Flow::Continue, Flow::Stop]);
    }

    #[test]
    fn a_decrease_smaller_than_min_delta_is_no_improvement() {
        let mut stop = EarlyStopping::new().min_delta(0.1);
        stop.on_train_begin(10, 1);
        assert_eq!(stop.on_epoch_end(0, &epoch(1.0)), Flow::Continue);
        assert_eq!(stop.on_epoch_end(1, &epoch(0.95)), Flow::Stop);
    }
}
