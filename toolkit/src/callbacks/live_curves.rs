//! The live loss and accuracy curves of `fit`.

use super::{Callback, Flow};
use crate::display::{DisplayHandle, display};
use crate::training::{EpochStats, History};
use std::time::{Duration, Instant};

/// A plot is tens of kilobytes: redrawn after every epoch of a few
/// milliseconds, it would flood the notebook.
const REDRAW_EVERY: Duration = Duration::from_millis(500);

/// The loss (and accuracy) curves, shown after the first epoch and redrawn
/// in place after later ones, at most twice a second, and once more at the
/// end (from a [`History`] of its own). `fit` adds them unless
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
    drawn_at: Option<Instant>,
    behind: bool,
}

impl LiveCurves {
    fn draw(&mut self) {
        match &self.shown {
            Some(handle) => handle.update(&self.history),
            None => self.shown = Some(display(&self.history)),
        }
        (self.drawn_at, self.behind) = (Some(Instant::now()), false);
    }
}

impl Callback for LiveCurves {
    fn on_train_begin(&mut self, _epochs: usize, _steps_per_epoch: usize) {
        *self = LiveCurves::default();
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &EpochStats) -> Flow {
        self.history.on_epoch_end(epoch, logs);
        self.behind = true;
        if self.drawn_at.is_none_or(|at| at.elapsed() >= REDRAW_EVERY) {
            self.draw();
        }
        Flow::Continue
    }

    fn on_train_end(&mut self, _history: &History) {
        if self.behind {
            self.draw();
        }
    }
}
