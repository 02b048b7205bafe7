//! The live loss and accuracy curves of `fit`.

use super::{Callback, Flow};
use crate::display::{DisplayHandle, display};
use crate::training::History;

/// The loss (and accuracy) curves, shown after the first epoch and redrawn
/// in place after each one. `fit` adds them unless
/// [`Fit::quiet`](crate::training::Fit::quiet).
///
/// ```
/// use fireside::callbacks::LiveCurves;
/// let curves = LiveCurves::default();   // nothing is shown until an epoch ends
/// # drop(curves);
/// ```
#[derive(Debug, Default)]
pub struct LiveCurves {
    shown: Option<DisplayHandle>,
}

impl Callback for LiveCurves {
    fn on_epoch_end(&mut self, _epoch: usize, history: &History) -> Flow {
        match &self.shown {
            Some(handle) => handle.update(history),
            None => self.shown = Some(display(history)),
        }
        Flow::Continue
    }
}
