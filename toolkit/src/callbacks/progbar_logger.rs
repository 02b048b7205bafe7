//! The progress bar of `fit`.

use super::{BatchLogs, Callback};
use crate::display::ProgressBar;
use crate::training::{EpochStats, History};

/// A progress bar per epoch, with the running loss (and accuracy), as
/// Keras's `ProgbarLogger` (`verbose=1`). `fit` adds one unless
/// [`Fit::quiet`](crate::training::Fit::quiet).
///
/// ```
/// use fireside::callbacks::{Callback, ProgbarLogger};
/// let mut logger = ProgbarLogger::default();
/// logger.on_train_begin(3, 10);   // what fit does before the first epoch
/// ```
#[derive(Debug, Default)]
pub struct ProgbarLogger {
    epochs: usize,
    steps: usize,
    bar: Option<ProgressBar>,
}

impl Callback for ProgbarLogger {
    fn on_train_begin(&mut self, epochs: usize, steps_per_epoch: usize) {
        (self.epochs, self.steps) = (epochs, steps_per_epoch);
    }

    fn on_epoch_begin(&mut self, epoch: usize) {
        self.bar =
            Some(ProgressBar::new(self.steps).with_label(format!("epoch {}/{}", epoch + 1, self.epochs)));
    }

    fn on_batch_end(&mut self, _step: usize, logs: &BatchLogs) {
        if let Some(bar) = self.bar.as_mut() {
            let mut postfix = format!("loss {:.4}", logs.loss);
            if let Some(accuracy) = logs.accuracy {
                postfix.push_str(&format!(" accuracy {accuracy:.4}"));
            }
            bar.set_postfix(postfix);
            bar.inc(1);
        }
    }

    fn on_epoch_end(&mut self, _epoch: usize, _logs: &EpochStats) -> super::Flow {
        if let Some(bar) = self.bar.as_mut() {
            bar.finish();
        }
        super::Flow::Continue
    }

    fn on_train_end(&mut self, history: &History) {
        if let Some(bar) = self.bar.as_mut() {
            bar.finish();
        }
        if history.interrupted {
            println!(
                "Interrupted: training stopped after {} complete epoch(s); the model keeps its weights.",
                history.epochs.len()
            );
        }
    }
}
