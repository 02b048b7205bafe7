//! The live loss and accuracy curves of `fit`.

use super::{Callback, Flow};
use crate::display::{DisplayHandle, display};
use crate::training::{EpochStats, History};

/// The loss (and accuracy) curves, shown after the first epoch and redrawn
/// in place after each one (from a [`History`] of its own). `fit` adds them unless
/// [`Fit::quiet`](crate::training::Fit::quiet).
///
/// ```
/// use fireside::callbacks::LiveCurves;
/// let curves = LiveCurves::default();   // nothing is shown until an epoch ends
/// # drop(curves);
/// ```
#[derive(Debug, Default)]
pub struct LiveCurves {
    history: History,
    shown: Option<DisplayHandle>,
}

impl Callback for LiveCurves {
    fn on_train_begin(&mut self, _epochs: usize, _steps_per_epoch: usize) {
        *self = LiveCurves::default();
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &EpochStats) -> Flow {
        self.history.on_epoch_end(epoch, logs);
        match &self.shown {
            Some(handle) => handle.update(&self.history),
            None => self.shown = Some(display(&self.history)),
        }
        Flow::Continue
    }
}
