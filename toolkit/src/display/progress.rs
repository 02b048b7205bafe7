//! A progress bar that updates in place in the notebook, and stops its
//! loop cleanly when the user interrupts the kernel (Python's `tqdm`).
//!
//! ```no_run
//! use fireside::prelude::*;
//! for epoch in progress(0..10).with_label("epochs") {
//!     // ... one epoch of training ...
//! }
//! ```

use super::{DisplayHandle, MimeBundle, Rich, display};
use std::time::{Duration, Instant};

/// Redraws are limited to this rate: a frontend cannot use more, and each
/// redraw is a message.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// A progress bar shown below the cell.
///
/// ```no_run
/// use fireside::prelude::*;
/// let mut bar = ProgressBar::new(100).with_label("training");
/// for step in 0..100 {
///     bar.set_postfix(format!("loss {:.3}", 1.0 / (step + 1) as f32));
///     bar.inc(1);
/// }
/// bar.finish();
/// ```
#[derive(Debug)]
pub struct ProgressBar {
    label: String,
    total: Option<usize>,
    done: usize,
    postfix: String,
    started: Instant,
    last_drawn: Option<Instant>,
    handle: Option<DisplayHandle>,
    finished: bool,
    restarted: bool,
}

impl ProgressBar {
    /// A bar for `total` steps (`tqdm(total=n)`). Nothing is shown until the
    /// first [`inc`](Self::inc).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let bar = ProgressBar::new(100);
    /// assert_eq!(bar.position(), 0);
    /// ```
    pub fn new(total: usize) -> Self {
        Self::with_total(Some(total))
    }

    /// A counter for a loop of unknown length.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let mut bar = ProgressBar::unbounded().with_label("batches");
    /// while !fireside::interrupted() {
    ///     bar.inc(1);
    /// }
    /// ```
    pub fn unbounded() -> Self {
        Self::with_total(None)
    }

    fn with_total(total: Option<usize>) -> Self {
        ProgressBar {
            label: String::new(),
            total,
            done: 0,
            postfix: String::new(),
            started: Instant::now(),
            last_drawn: None,
            handle: None,
            finished: false,
            restarted: false,
        }
    }

    /// The text shown before the bar (`tqdm(desc=...)`).
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let mut bar = ProgressBar::new(3).with_label("downloading");
    /// bar.inc(3);
    /// ```
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Steps done so far.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let mut bar = ProgressBar::new(10);
    /// bar.inc(4);
    /// assert_eq!(bar.position(), 4);
    /// ```
    pub fn position(&self) -> usize {
        self.done
    }

    /// Text shown after the counts, such as the current loss (tqdm's
    /// `set_postfix_str`); it appears at the next redraw.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let mut bar = ProgressBar::new(100);
    /// bar.set_postfix(format!("loss {:.3}", 0.25));
    /// bar.inc(1);
    /// ```
    pub fn set_postfix(&mut self, text: impl Into<String>) {
        self.postfix = text.into();
    }

    /// Advances by `steps` and redraws if enough time has passed (at most ten
    /// redraws a second, and always at the last step).
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let mut bar = ProgressBar::new(60_000);
    /// for _batch in 0..1875 {
    ///     bar.inc(32);   // one batch of 32 examples
    /// }
    /// ```
    pub fn inc(&mut self, steps: usize) {
        self.done += steps;
        let due = self.last_drawn.is_none_or(|at| at.elapsed() >= REDRAW_EVERY);
        if due || (self.total == Some(self.done) && !self.restarted) {
            self.draw();
        }
    }

    /// Draws the final state. A bar dropped early (by `break` or an
    /// interrupt) does this itself.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let mut bar = ProgressBar::new(10);
    /// bar.inc(7);
    /// bar.finish();   // stays at 7/10
    /// ```
    pub fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            self.draw();
        }
    }

    /// Starts again from zero under a new label, in the same output: for
    /// loops of short rounds (`fit`'s epochs, when each takes milliseconds),
    /// which would otherwise add an output per round. Redraws keep their
    /// rate limit across a restart, also at a round's last step:
    /// [`finish`](Self::finish) draws the final state.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let mut bar = ProgressBar::new(10).with_label("round 1");
    /// bar.inc(10);
    /// bar.restart("round 2");
    /// assert_eq!(bar.position(), 0);
    /// ```
    pub fn restart(&mut self, label: impl Into<String>) {
        self.label = label.into();
        self.done = 0;
        self.postfix.clear();
        self.started = Instant::now();
        self.finished = false;
        self.restarted = true;
    }

    fn draw(&mut self) {
        self.last_drawn = Some(Instant::now());
        let view = self.view();
        match &self.handle {
            Some(handle) => handle.update(&view),
            None => self.handle = Some(display(&view)),
        }
    }

    fn view(&self) -> ProgressView {
        let elapsed = self.started.elapsed().as_secs_f64();
        let rate = if elapsed > 0.0 { self.done as f64 / elapsed } else { 0.0 };
        let fraction = self.total.filter(|&t| t > 0).map(|t| (self.done as f64 / t as f64).min(1.0));
        let remaining = match (self.total, rate > 0.0) {
            (Some(total), true) => Some(total.saturating_sub(self.done) as f64 / rate),
            _ => None,
        };
        ProgressView {
            label: self.label.clone(),
            done: self.done,
            total: self.total,
            fraction,
            elapsed,
            remaining,
            rate,
            postfix: self.postfix.clone(),
        }
    }
}

impl Drop for ProgressBar {
    fn drop(&mut self) {
        // A bar dropped early (interrupt, `break`) still shows where it stopped.
        if self.handle.is_some() {
            self.finish();
        }
    }
}

struct ProgressView {
    label: String,
    done: usize,
    total: Option<usize>,
    fraction: Option<f64>,
    elapsed: f64,
    remaining: Option<f64>,
    rate: f64,
    postfix: String,
}

fn clock(seconds: f64) -> String {
    let s = seconds.round() as u64;
    format!("{:02}:{:02}", s / 60, s % 60)
}

impl Rich for ProgressView {
    fn to_mime(&self) -> MimeBundle {
        let counts = match self.total {
            Some(total) => format!("{}/{}", self.done, total),
            None => self.done.to_string(),
        };
        let timing = match self.remaining {
            Some(left) => format!("{}<{}, {:.1} it/s", clock(self.elapsed), clock(left), self.rate),
            None => format!("{}, {:.1} it/s", clock(self.elapsed), self.rate),
        };
        let width = 30;
        let filled = (self.fraction.unwrap_or(0.0) * width as f64).round() as usize;
        let bar = format!("{}{}", "█".repeat(filled), " ".repeat(width - filled));
        let percent = self.fraction.map(|f| format!("{:3.0}%", f * 100.0)).unwrap_or_default();
        let text =
            format!("{} {percent}|{bar}| {counts} [{timing}] {}", self.label, self.postfix).trim().to_owned();
        let html = format!(
            "<div style=\"font-family:monospace;display:flex;gap:0.6em;align-items:center\">\
             <span>{}</span><progress value=\"{}\" max=\"{}\" style=\"width:16em\"></progress>\
             <span>{percent} {counts} [{timing}] {}</span></div>",
            escape(&self.label),
            self.done,
            self.total.unwrap_or(0).max(self.done).max(1),
            escape(&self.postfix)
        );
        MimeBundle::text(text).with("text/html", html)
    }
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Wraps an iterator with a progress bar; the loop ends early, cleanly,
/// when the user interrupts the kernel.
///
/// ```no_run
/// use fireside::prelude::*;
/// let mut total = 0u64;
/// for i in progress(0..1_000_000u64) {
///     total += i;
/// }
/// ```
pub fn progress<I: IntoIterator>(items: I) -> Progress<I::IntoIter> {
    let iter = items.into_iter();
    let (low, high) = iter.size_hint();
    let bar = if high == Some(low) { ProgressBar::new(low) } else { ProgressBar::unbounded() };
    Progress { iter, bar }
}

/// The iterator returned by [`progress`]: the items of the wrapped iterator,
/// with a bar that advances as they are taken.
///
/// ```no_run
/// use fireside::prelude::*;
/// let squares: Vec<u64> = progress(1..=3u64).map(|i| i * i).collect();
/// assert_eq!(squares, vec![1, 4, 9]);
/// ```
pub struct Progress<I> {
    iter: I,
    bar: ProgressBar,
}

impl<I> Progress<I> {
    /// The text shown before the bar (`tqdm(items, desc=...)`).
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// for _epoch in progress(0..5).with_label("epochs") {}
    /// ```
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.bar.label = label.into();
        self
    }
}

impl<I: Iterator> Iterator for Progress<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        if crate::kernel::interrupted() {
            self.bar.set_postfix("interrupted");
            self.bar.finish();
            return None;
        }
        if self.bar.last_drawn.is_none() {
            self.bar.draw();
        }
        match self.iter.next() {
            Some(item) => {
                self.bar.inc(1);
                Some(item)
            }
            None => {
                self.bar.finish();
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_shows_counts_and_percent() {
        let mut bar = ProgressBar::new(4).with_label("demo");
        bar.done = 2;
        let text = bar.view().to_mime().plain_text().to_owned();
        assert!(text.starts_with("demo  50%|"), "{text}");
        assert!(text.contains("2/4"), "{text}");
    }

    #[test]
    fn a_restarted_bar_counts_from_zero_under_its_new_label() {
        let mut bar = ProgressBar::new(4).with_label("epoch 1/2");
        bar.done = 4;
        bar.set_postfix("loss 0.5");
        bar.restart("epoch 2/2");
        let text = bar.view().to_mime().plain_text().to_owned();
        assert!(text.starts_with("epoch 2/2   0%|"), "{text}");
        assert!(text.contains("0/4") && !text.contains("loss"), "{text}");
    }

    #[test]
    fn progress_yields_every_item() {
        let items: Vec<u32> = progress(0..5).collect();
        assert_eq!(items, vec![0, 1, 2, 3, 4]);
    }
}
