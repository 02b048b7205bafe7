//! The progress bar of `fit`.

use super::{BatchLogs, Callback};
use crate::display::ProgressBar;
use crate::training::{EpochStats, History};
use std::time::{Duration, Instant};

/// An epoch starts a bar of its own only this long after the last bar
/// appeared; a quicker one redraws the last bar in place. Epochs of a few
/// milliseconds would otherwise add thousands of outputs a second, which
/// Jupyter Server drops (its limit is 1,000 messages a second).
const NEW_BAR_AFTER: Duration = Duration::from_secs(1);

/// A progress bar per epoch, with the running loss (and accuracy), as
/// Keras's `ProgbarLogger` (`verbose=1`). `fit` adds one unless
/// [`Fit::quiet`](crate::training::Fit::quiet). Epochs shorter than a
/// second share a bar, which shows the latest of them.
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
    bar_shown_at: Option<Instant>,
}

impl Callback for ProgbarLogger {
    fn on_train_begin(&mut self, epochs: usize, steps_per_epoch: usize) {
        // A logger used again starts with a bar of its own, never one of an earlier fit.
        *self = ProgbarLogger { epochs, steps: steps_per_epoch, ..ProgbarLogger::default() };
    }

    fn on_epoch_begin(&mut self, epoch: usize) {
        let label = format!("epoch {}/{}", epoch + 1, self.epochs);
        let recent = self.bar_shown_at.is_some_and(|at| at.elapsed() < NEW_BAR_AFTER);
        match self.bar.as_mut() {
            Some(bar) if recent => bar.restart(label),
            _ => {
                // The last epoch's bar, dropped here, draws its final state.
                self.bar = Some(ProgressBar::new(self.steps).with_label(label));
                self.bar_shown_at = Some(Instant::now());
            }
        }
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
        // Not finished here: a bar that the next epoch restarts would draw
        // once more for nothing. A replaced bar finishes as it is dropped,
        // the last one at the end of training.
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
