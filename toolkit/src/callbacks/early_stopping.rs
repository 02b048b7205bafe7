//! Keras's `EarlyStopping`.

use super::{Callback, Flow};
use crate::training::History;

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

    fn on_epoch_end(&mut self, _epoch: usize, history: &History) -> Flow {
        let Some(last) = history.last() else { return Flow::Continue };
        let monitored = last.val_loss.unwrap_or(last.loss);
        if monitored < self.best - self.min_delta {
            (self.best, self.waited) = (monitored, 0);
            return Flow::Continue;
        }
        self.waited += 1;
        if self.waited > self.patience { Flow::Stop } else { Flow::Continue }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::EpochStats;

    fn history(losses: &[f32]) -> History {
        let epoch = |&loss: &f32| EpochStats {
            loss,
            accuracy: None,
            val_loss: None,
            val_accuracy: None,
            seconds: 1.0,
        };
        History { epochs: losses.iter().map(epoch).collect(), ..History::default() }
    }

    #[test]
    fn stops_after_patience_epochs_without_improvement() {
        let mut stop = EarlyStopping::new().patience(2);
        stop.on_train_begin(10, 1);
        let losses = [1.0, 0.5, 0.6, 0.55, 0.7];
        let flows: Vec<Flow> =
            (1..=losses.len()).map(|n| stop.on_epoch_end(n - 1, &history(&losses[..n]))).collect();
        assert_eq!(flows, [Flow::Continue, Flow::Continue, Flow::Continue, Flow::Continue, Flow::Stop]);
    }

    #[test]
    fn a_decrease_smaller_than_min_delta_is_no_improvement() {
        let mut stop = EarlyStopping::new().min_delta(0.1);
        stop.on_train_begin(10, 1);
        assert_eq!(stop.on_epoch_end(0, &history(&[1.0])), Flow::Continue);
        assert_eq!(stop.on_epoch_end(1, &history(&[1.0, 0.95])), Flow::Stop);
    }
}
