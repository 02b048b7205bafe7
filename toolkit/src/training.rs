//! Keras's `compile` / `fit` / `evaluate` / `predict`, over a plain burn
//! training loop: forward, loss, `backward`, optimizer step.
//!
//! While `fit` runs, the notebook shows a progress bar and the loss and
//! accuracy curves, updated in place (two [callbacks](crate::callbacks),
//! which `Fit::callback` adds to); the Interrupt button stops it at the
//! next batch and the model keeps the weights it has learned so far.
//!
//! ```no_run
//! use fireside::prelude::*;
//! let d = device();
//! let x = Tensor::<2>::random([256, 4], Distribution::Normal(0.0, 1.0), &d);
//! let y = x.clone().sum_dim(1).greater_elem(0.0).int().flatten::<1>(0, 1);
//! let mut model = Sequential::new()
//!     .add(Dense::new(8).activation(Activation::Relu).input_dim(4))?
//!     .add(Dense::new(2).activation(Activation::Softmax))?
//!     .compile(Optimizer::adam(), Loss::SparseCategoricalCrossEntropy { from_logits: false }, &[Metric::Accuracy]);
//! let history = model.fit(x.clone(), y.clone(), Fit::epochs(5).batch_size(32))?;
//! let result = model.evaluate(x, y)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::callbacks::{BatchLogs, Callback, Flow, LiveCurves, ProgbarLogger};
use crate::display::{MimeBundle, Rich, escape};
use crate::layers::Batch;
use crate::losses::{self, Loss};
use crate::metrics;
use crate::model::Sequential;
use crate::optimizers::Optimizer;
use crate::plot::Plot;
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Int, Tensor};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What to measure besides the loss (Keras's `metrics=['accuracy']`).
///
/// ```
/// use fireside::prelude::*;
/// let loss = Loss::BinaryCrossEntropy { from_logits: false };
/// let model = Sequential::with_input([4]).add(Dense::new(1).activation(Activation::Sigmoid))?;
/// let model = model.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
/// assert_eq!(model.metrics, [Metric::Accuracy]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// The fraction of examples whose predicted class is right.
    Accuracy,
}

/// Training targets: class indices (N) or values / one-hot rows (N, k).
/// `fit` and `evaluate` take either tensor and convert it.
///
/// ```
/// use fireside::prelude::*;
/// let classes: Targets = Tensor::<1, Int>::from_ints([0, 2, 1], &device()).into();
/// let one_hot: Targets = Tensor::<2>::from_floats([[1.0, 0.0], [0.0, 1.0]], &device()).into();
/// assert!(matches!(classes, Targets::Classes(_)) && matches!(one_hot, Targets::Values(_)));
/// ```
#[derive(Debug, Clone)]
pub enum Targets {
    /// One class index per example (for sparse categorical cross-entropy).
    Classes(Tensor<1, Int>),
    /// One row of values per example: regression targets or one-hot classes.
    Values(Tensor<2>),
}

impl Targets {
    /// The number of examples.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let y: Targets = Tensor::<1, Int>::from_ints([0, 2, 1], &device()).into();
    /// assert_eq!(y.len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        match self {
            Targets::Classes(t) => t.dims()[0],
            Targets::Values(t) => t.dims()[0],
        }
    }

    /// Whether there are no examples.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let y: Targets = Tensor::<2>::zeros([4, 1], &device()).into();
    /// assert!(!y.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn select(&self, indices: Tensor<1, Int>) -> Targets {
        match self {
            Targets::Classes(t) => Targets::Classes(t.clone().select(0, indices)),
            Targets::Values(t) => Targets::Values(t.clone().select(0, indices)),
        }
    }
}

impl From<Tensor<1, Int>> for Targets {
    fn from(t: Tensor<1, Int>) -> Self {
        Targets::Classes(t)
    }
}

impl From<Tensor<2>> for Targets {
    fn from(t: Tensor<2>) -> Self {
        Targets::Values(t)
    }
}

/// Where [`Model::fit_generator`] and [`Model::evaluate_generator`] take
/// their batches from: an endless stream of `(examples, targets)`, like the
/// Python generators of Keras 2 (`flow`, `flow_from_directory`) or a
/// `keras.utils.Sequence`. [`ImageFlow`](crate::augment::ImageFlow)
/// implements it; so can a notebook's own type.
///
/// ```
/// use fireside::prelude::*;
/// /// Batches of random points, labelled by the sign of their sum: endless fresh data.
/// struct Points { batch: usize }
/// impl BatchSource for Points {
///     fn next_batch(&mut self) -> (Batch, Targets) {
///         let x = Tensor::<2>::random([self.batch, 2], Distribution::Normal(0.0, 1.0), &device());
///         let y = x.clone().sum_dim(1).greater_elem(0.0).int().flatten::<1>(0, 1);
///         (x.into(), y.into())
///     }
///     fn len(&self) -> usize { 10 }   // an "epoch" is 10 batches
/// }
/// let (x, y) = Points { batch: 8 }.next_batch();
/// assert_eq!((x.len(), y.len()), (8, 8));
/// ```
pub trait BatchSource {
    /// The next batch of examples and their targets; a source never runs
    /// dry (it starts over, reshuffled, after its last batch).
    fn next_batch(&mut self) -> (Batch, Targets);

    /// The number of batches in one pass over the data (Keras's `len(generator)`),
    /// the default `steps_per_epoch` and `validation_steps`.
    fn len(&self) -> usize;

    /// Whether one pass has no batch.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Called by `fit_generator` after each epoch (Keras's `Sequence.on_epoch_end`);
    /// by default nothing happens and the stream simply goes on.
    fn on_epoch_end(&mut self) {}
}

/// Why [`Model::fit`], `evaluate`, `predict` or `train_on_batch` cannot use
/// what it was given. Each message names the fix.
///
/// ```
/// use fireside::prelude::*;
/// use fireside::training::FitError;
/// # let network = Sequential::with_input([4]).add(Dense::new(1))?;
/// let mut model = network.compile(Optimizer::adam(), Loss::MeanSquaredError, &[]);
/// let x = Tensor::<2>::zeros([8, 3], &device());   // 3 features, the model takes 4
/// let error = model.predict(x).unwrap_err();
/// assert!(matches!(error, FitError::InputShape { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The examples and the targets differ in number.
    #[error("{examples} examples but {targets} targets: give one target per example")]
    TargetCount { examples: usize, targets: usize },
    /// The examples do not have the shape of the model's input.
    #[error(
        "the model takes examples of shape {expected:?}, but these have shape {got:?}; reshape them (images are [channels, height, width]) or change the first layer's input_shape"
    )]
    InputShape { expected: Vec<usize>, got: Vec<usize> },
    /// One-hot (float) targets for a loss that takes class indices.
    #[error(
        "sparse categorical cross-entropy takes class indices (a Tensor<1, Int>); for one-hot targets use Loss::CategoricalCrossEntropy"
    )]
    SparseTargets,
    /// `Fit::batch_size(0)`.
    #[error("batch_size must be at least 1")]
    ZeroBatchSize,
    /// `Fit::validation_split` outside [0, 1).
    #[error("validation_split is a fraction in [0, 1), got {0}")]
    ValidationSplit(f32),
    /// `validation_split` with `fit_generator`, whose source cannot be split.
    #[error(
        "validation_split needs the examples in memory; with fit_generator pass a validation source: model.fit_generator(&mut train, options, Some(&mut validation)).unwrap()"
    )]
    SplitOfASource,
    /// An epoch of no batch.
    #[error("an epoch needs at least one batch: set Fit::steps_per_epoch or give a non-empty source")]
    EmptyEpoch,
}

/// The options of [`Model::fit`], Keras's keyword arguments.
///
/// ```
/// use fireside::prelude::*;
/// // Keras: model.fit(x, y, epochs=10, batch_size=64, validation_split=0.1)?
/// let options = Fit::epochs(10).batch_size(64).validation_split(0.1);
/// assert_eq!((options.epochs, options.batch_size, options.shuffle), (10, 64, true));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Fit {
    /// How many passes over the training data.
    pub epochs: usize,
    /// Examples per gradient step (default 32).
    pub batch_size: usize,
    /// Whether each epoch visits the examples in a new random order (default true).
    pub shuffle: bool,
    /// The seed of the shuffling (default 0), so that runs repeat.
    pub seed: u64,
    /// The fraction of the data, taken from its end as Keras does, kept
    /// aside to validate after each epoch.
    pub validation_split: f32,
    /// Separate validation examples and targets (instead of a split).
    pub validation_data: Option<(Batch, Targets)>,
    /// At most this many batches per epoch (Keras's `steps_per_epoch`); for
    /// [`Model::fit_generator`], the batches per epoch (default: the source's `len()`).
    pub steps_per_epoch: Option<usize>,
    /// Batches drawn from the validation source after each epoch of
    /// [`Model::fit_generator`] (Keras's `validation_steps`; default: its `len()`).
    pub validation_steps: Option<usize>,
    /// Show the progress bar and live curves (default true).
    pub live: bool,
    /// Callbacks besides the progress bar and live curves (Keras's `callbacks=[...]`).
    pub callbacks: Callbacks,
}

/// The callbacks of a [`Fit`]. A clone of the options shares them, as
/// Keras's callback objects are shared between the `fit` calls they are given to.
#[derive(Clone, Default)]
pub struct Callbacks(Vec<Arc<Mutex<dyn Callback>>>);

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} callback(s)", self.0.len())
    }
}

impl Fit {
    /// Options for `epochs` epochs, the rest as Keras's defaults: batches of
    /// 32, shuffled, no validation.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let options = Fit::epochs(5);   // Keras: model.fit(x, y, epochs=5)?
    /// assert_eq!((options.epochs, options.batch_size), (5, 32));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn epochs(epochs: usize) -> Self {
        Fit {
            epochs,
            batch_size: 32,
            shuffle: true,
            seed: 0,
            validation_split: 0.0,
            validation_data: None,
            steps_per_epoch: None,
            validation_steps: None,
            live: true,
            callbacks: Callbacks::default(),
        }
    }

    /// Examples per gradient step (Keras's `batch_size`, default 32; at least 1,
    /// which `fit` checks).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Fit::epochs(5).batch_size(128).batch_size, 128);
    /// ```
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Whether to shuffle the examples before each epoch (default true).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let options = Fit::epochs(5).shuffle(false);   // the data's own order, every epoch
    /// assert!(!options.shuffle);
    /// ```
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// The seed of the shuffling order (default 0). The weights' seed is
    /// `fireside::device::seed`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Fit::epochs(5).seed(42).seed, 42);
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Keeps the last `fraction` of the examples aside and reports
    /// `val_loss` (and `val_accuracy`) after each epoch; 0 ≤ fraction < 1,
    /// which `fit` checks.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let options = Fit::epochs(5).validation_split(0.2);   // Keras: validation_split=0.2
    /// assert_eq!(options.validation_split, 0.2);
    /// ```
    pub fn validation_split(mut self, fraction: f32) -> Self {
        self.validation_split = fraction;
        self
    }

    /// Validates on these examples after each epoch (Keras's `validation_data=(x_val, y_val)`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let x_val = Tensor::<2>::zeros([10, 4], &device());
    /// let y_val = Tensor::<1, Int>::zeros([10], &device());
    /// assert!(Fit::epochs(5).validation_data(x_val, y_val).validation_data.is_some());
    /// ```
    pub fn validation_data(mut self, x: impl Into<Batch>, y: impl Into<Targets>) -> Self {
        self.validation_data = Some((x.into(), y.into()));
        self
    }

    /// At most `steps` batches per epoch (Keras's `steps_per_epoch`): quick trial runs.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Fit::epochs(1).steps_per_epoch(10).steps_per_epoch, Some(10));
    /// ```
    pub fn steps_per_epoch(mut self, steps: usize) -> Self {
        self.steps_per_epoch = Some(steps);
        self
    }

    /// Batches of the validation source to evaluate after each epoch of
    /// [`Model::fit_generator`] (Keras's `validation_steps`, e.g. `2000 // 32`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let options = Fit::epochs(10).steps_per_epoch(8000 / 32).validation_steps(2000 / 32);
    /// assert_eq!((options.steps_per_epoch, options.validation_steps), (Some(250), Some(62)));
    /// ```
    pub fn validation_steps(mut self, steps: usize) -> Self {
        self.validation_steps = Some(steps);
        self
    }

    /// No progress bar or live curves (Keras's `verbose=0`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert!(!Fit::epochs(5).quiet().live);
    /// ```
    pub fn quiet(mut self) -> Self {
        self.live = false;
        self
    }

    /// Adds a [callback](crate::callbacks) (Keras's `callbacks=[...]`), such
    /// as [`EarlyStopping`](crate::callbacks::EarlyStopping).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// use fireside::callbacks::EarlyStopping;
    /// // Keras: model.fit(x, y, epochs=100, validation_split=0.2, callbacks=[EarlyStopping(patience=3)])?
    /// let options = Fit::epochs(100).validation_split(0.2).callback(EarlyStopping::new().patience(3));
    /// assert_eq!(format!("{:?}", options.callbacks), "1 callback(s)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn callback(mut self, callback: impl Callback + 'static) -> Self {
        self.callbacks.0.push(Arc::new(Mutex::new(callback)));
        self
    }
}

/// Loss and metrics of one epoch: an entry of [`History::epochs`].
///
/// ```
/// use fireside::training::EpochStats;
/// // e.g. history.last().unwrap() after model.fit(...)?
/// let epoch =
///     EpochStats { loss: 0.5, accuracy: Some(0.75), val_loss: None, val_accuracy: None, seconds: 2.0 };
/// assert_eq!(epoch.accuracy, Some(0.75));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EpochStats {
    /// The mean training loss over the epoch's batches.
    pub loss: f32,
    /// The training accuracy, when `Metric::Accuracy` was asked for.
    pub accuracy: Option<f32>,
    /// The loss on the validation data, when there is some.
    pub val_loss: Option<f32>,
    /// The accuracy on the validation data, when there is some and it is measured.
    pub val_accuracy: Option<f32>,
    /// How long the epoch took.
    pub seconds: f32,
}

/// What [`Model::fit`] returns: the metrics of every epoch. It plots itself.
/// Keras's `History` (`history.history['loss']` is `history.loss()` here).
///
/// ```no_run
/// use fireside::prelude::*;
/// # let x = Tensor::<2>::zeros([8, 4], &device());
/// # let y = Tensor::<2>::zeros([8, 1], &device());
/// # let network = Sequential::with_input([4]).add(Dense::new(1))?;
/// # let mut model = network.compile(Optimizer::adam(), Loss::MeanSquaredError, &[]);
/// let history = model.fit(x, y, Fit::epochs(10).validation_split(0.2))?;
/// println!("final loss {:?}", history.loss().last());
/// history   // as a cell's last expression: the loss (and accuracy) curves
/// # ;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// One entry per completed epoch.
    pub epochs: Vec<EpochStats>,
    /// Training stopped early because the user interrupted the kernel.
    pub interrupted: bool,
    /// Training stopped early because a callback said so (`EarlyStopping`).
    pub stopped_early: bool,
}

impl History {
    /// The training loss of each epoch (Keras's `history.history['loss']`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # use fireside::training::EpochStats;
    /// # let epoch = |loss: f32| EpochStats { loss, accuracy: Some(0.9), val_loss: Some(loss + 0.25),
    /// #     val_accuracy: Some(0.75), seconds: 1.0 };
    /// # let history = History { epochs: vec![epoch(0.75), epoch(0.5)], interrupted: false, stopped_early: false };
    /// // let history = model.fit(x, y, Fit::epochs(2).validation_split(0.1))?;
    /// assert_eq!(history.loss(), vec![0.75, 0.5]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn loss(&self) -> Vec<f32> {
        self.epochs.iter().map(|e| e.loss).collect()
    }

    /// The training accuracy of each epoch; empty unless compiled with `Metric::Accuracy`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # use fireside::training::EpochStats;
    /// # let epoch = |loss: f32| EpochStats { loss, accuracy: Some(0.9), val_loss: Some(loss + 0.25),
    /// #     val_accuracy: Some(0.75), seconds: 1.0 };
    /// # let history = History { epochs: vec![epoch(0.75), epoch(0.5)], interrupted: false, stopped_early: false };
    /// // let history = model.fit(x, y, Fit::epochs(2).validation_split(0.1))?;
    /// assert_eq!(history.accuracy(), vec![0.9, 0.9]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accuracy(&self) -> Vec<f32> {
        self.epochs.iter().filter_map(|e| e.accuracy).collect()
    }

    /// The validation loss of each epoch; empty without validation data.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # use fireside::training::EpochStats;
    /// # let epoch = |loss: f32| EpochStats { loss, accuracy: Some(0.9), val_loss: Some(loss + 0.25),
    /// #     val_accuracy: Some(0.75), seconds: 1.0 };
    /// # let history = History { epochs: vec![epoch(0.75), epoch(0.5)], interrupted: false, stopped_early: false };
    /// // let history = model.fit(x, y, Fit::epochs(2).validation_split(0.1))?;
    /// assert_eq!(history.val_loss(), vec![1.0, 0.75]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn val_loss(&self) -> Vec<f32> {
        self.epochs.iter().filter_map(|e| e.val_loss).collect()
    }

    /// The validation accuracy of each epoch; empty without validation data or `Metric::Accuracy`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # use fireside::training::EpochStats;
    /// # let epoch = |loss: f32| EpochStats { loss, accuracy: Some(0.9), val_loss: Some(loss + 0.25),
    /// #     val_accuracy: Some(0.75), seconds: 1.0 };
    /// # let history = History { epochs: vec![epoch(0.75), epoch(0.5)], interrupted: false, stopped_early: false };
    /// // let history = model.fit(x, y, Fit::epochs(2).validation_split(0.1))?;
    /// assert_eq!(history.val_accuracy(), vec![0.75, 0.75]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn val_accuracy(&self) -> Vec<f32> {
        self.epochs.iter().filter_map(|e| e.val_accuracy).collect()
    }

    /// The last epoch's figures (`None` if no epoch completed).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # use fireside::training::EpochStats;
    /// # let epoch = |loss: f32| EpochStats { loss, accuracy: Some(0.9), val_loss: Some(loss + 0.25),
    /// #     val_accuracy: Some(0.75), seconds: 1.0 };
    /// # let history = History { epochs: vec![epoch(0.75), epoch(0.5)], interrupted: false, stopped_early: false };
    /// // let history = model.fit(x, y, Fit::epochs(2).validation_split(0.1))?;
    /// assert_eq!(history.last().unwrap().loss, 0.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn last(&self) -> Option<&EpochStats> {
        self.epochs.last()
    }

    /// The loss curves (training and validation) per epoch.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # use fireside::training::EpochStats;
    /// # let epoch = |loss: f32| EpochStats { loss, accuracy: Some(0.9), val_loss: Some(loss + 0.25),
    /// #     val_accuracy: Some(0.75), seconds: 1.0 };
    /// # let history = History { epochs: vec![epoch(0.75), epoch(0.5)], interrupted: false, stopped_early: false };
    /// // let history = model.fit(x, y, Fit::epochs(2).validation_split(0.1))?;
    /// let plot = history.loss_plot();   // leave it last in a cell, or call .show()
    /// assert!(plot.to_svg().contains("validation"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn loss_plot(&self) -> Plot {
        let mut plot =
            Plot::new("Loss").x_label("epoch").y_label("loss").size(460, 320).curve("train", &self.loss());
        if !self.val_loss().is_empty() {
            plot = plot.curve("validation", &self.val_loss());
        }
        plot
    }

    /// The accuracy curves per epoch.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # use fireside::training::EpochStats;
    /// # let epoch = |loss: f32| EpochStats { loss, accuracy: Some(0.9), val_loss: Some(loss + 0.25),
    /// #     val_accuracy: Some(0.75), seconds: 1.0 };
    /// # let history = History { epochs: vec![epoch(0.75), epoch(0.5)], interrupted: false, stopped_early: false };
    /// // let history = model.fit(x, y, Fit::epochs(2).validation_split(0.1))?;
    /// let plot = history.accuracy_plot().y_range(0.0, 1.0);
    /// assert!(plot.to_svg().contains("accuracy"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accuracy_plot(&self) -> Plot {
        let mut plot = Plot::new("Accuracy")
            .x_label("epoch")
            .y_label("accuracy")
            .size(460, 320)
            .curve("train", &self.accuracy());
        if !self.val_accuracy().is_empty() {
            plot = plot.curve("validation", &self.val_accuracy());
        }
        plot
    }

    fn table(&self) -> String {
        let mut text = String::new();
        for (i, e) in self.epochs.iter().enumerate() {
            text.push_str(&format!("epoch {:>3}  loss {:.4}", i + 1, e.loss));
            if let Some(a) = e.accuracy {
                text.push_str(&format!("  accuracy {a:.4}"));
            }
            if let Some(l) = e.val_loss {
                text.push_str(&format!("  val_loss {l:.4}"));
            }
            if let Some(a) = e.val_accuracy {
                text.push_str(&format!("  val_accuracy {a:.4}"));
            }
            text.push_str(&format!("  ({:.1} s)\n", e.seconds));
        }
        if self.interrupted {
            text.push_str("interrupted: the model keeps the weights learned so far\n");
        }
        text
    }
}

impl Rich for History {
    fn to_mime(&self) -> MimeBundle {
        let mut html = String::from("<div style=\"display:flex;flex-wrap:wrap;gap:8px\">");
        html.push_str(&self.loss_plot().to_svg());
        if !self.accuracy().is_empty() {
            html.push_str(&self.accuracy_plot().to_svg());
        }
        html.push_str("</div>");
        if let Some(last) = self.last() {
            html.push_str(&format!(
                "<pre>{}</pre>",
                escape(&self.table().lines().last().map(str::to_owned).unwrap_or_default())
            ));
            let _ = last;
        }
        MimeBundle::text(self.table()).with("text/html", html)
    }
}

/// The result of [`Model::evaluate`]; it prints as `loss 0.2500, accuracy 0.9000`.
///
/// ```
/// use fireside::prelude::*;
/// let result = Evaluation { loss: 0.25, accuracy: Some(0.5) };   // as model.evaluate(x, y)? returns
/// assert_eq!(result.to_string(), "loss 0.2500, accuracy 0.5000");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// The mean loss over the examples.
    pub loss: f32,
    /// The accuracy, when the model was compiled with `Metric::Accuracy`.
    pub accuracy: Option<f32>,
}

impl std::fmt::Display for Evaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "loss {:.4}", self.loss)?;
        if let Some(a) = self.accuracy {
            write!(f, ", accuracy {a:.4}")?;
        }
        Ok(())
    }
}

impl Rich for Evaluation {
    fn to_mime(&self) -> MimeBundle {
        MimeBundle::text(self.to_string())
    }
}

/// A network with its optimizer, loss and metrics (Keras's compiled model).
/// [`Sequential::compile`] makes one.
///
/// ```no_run
/// use fireside::prelude::*;
/// # let x_train = Tensor::<2>::zeros([8, 4], &device());
/// # let y_train = Tensor::<1, Int>::zeros([8], &device());
/// # let (x_test, y_test) = (x_train.clone(), y_train.clone());
/// let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
/// let network = Sequential::with_input([4]).add(Dense::new(3).activation(Activation::Softmax))?;
/// let mut model = network.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
/// model.fit(x_train, y_train, Fit::epochs(10))?;
/// println!("test: {}", model.evaluate(x_test, y_test)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Model {
    /// `None` only for the instant an optimizer step owns the network.
    network: Option<Sequential>,
    /// The update rule and its learning rate.
    pub optimizer: Optimizer,
    state: ModuleOptimizer,
    /// The loss `fit` minimizes.
    pub loss: Loss,
    /// What `fit` and `evaluate` report besides the loss.
    pub metrics: Vec<Metric>,
}

impl Sequential {
    /// Keras's `model.compile(optimizer, loss, metrics)`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// // Keras: compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    /// let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    /// let network = Sequential::with_input([4]).add(Dense::new(3).activation(Activation::Softmax))?;
    /// let model = network.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
    /// assert_eq!(model.loss.name(), "sparse_categorical_crossentropy");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(self, optimizer: Optimizer, loss: Loss, metrics: &[Metric]) -> Model {
        Model { network: Some(self), state: optimizer.init(), optimizer, loss, metrics: metrics.to_vec() }
    }
}

/// Evaluation runs in batches of this size, whatever the training batch.
const EVAL_BATCH: usize = 256;

impl Model {
    /// The burn module being trained.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    /// # let network = Sequential::with_input([4]).add(Dense::new(3).activation(Activation::Softmax))?;
    /// # let model = network.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
    /// assert_eq!(model.network().output_shape(), [3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn network(&self) -> &Sequential {
        self.network.as_ref().expect("the network is back after every step")
    }

    /// The trained network, without optimizer (e.g. to step down to plain burn).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    /// # let network = Sequential::with_input([4]).add(Dense::new(3).activation(Activation::Softmax))?;
    /// # let model = network.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
    /// let network: Sequential = model.into_network();
    /// assert_eq!(network.layers.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_network(self) -> Sequential {
        self.network.expect("the network is back after every step")
    }

    /// The network's [`summary`](Sequential::summary) (Keras's `model.summary()`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    /// # let network = Sequential::with_input([4]).add(Dense::new(3).activation(Activation::Softmax))?;
    /// # let model = network.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
    /// assert_eq!(model.summary().total, 4 * 3 + 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn summary(&self) -> crate::model::Summary {
        self.network().summary()
    }

    fn threshold(&self) -> f32 {
        match self.loss {
            Loss::BinaryCrossEntropy { from_logits: true } => 0.0,
            _ => 0.5,
        }
    }

    fn loss_of(&self, outputs: Tensor<2>, targets: &Targets) -> Tensor<1> {
        use Loss::*;
        let classes_as_values = |t: &Targets| match t {
            Targets::Values(v) => v.clone(),
            Targets::Classes(c) => c.clone().float().unsqueeze_dim(1),
        };
        let one_hot = |t: &Targets, classes: usize| match t {
            Targets::Values(v) => v.clone(),
            Targets::Classes(c) => c.clone().one_hot::<2>(classes).float(),
        };
        let classes = outputs.dims()[1];
        match (self.loss, targets) {
            (MeanSquaredError, t) => losses::mse(outputs, classes_as_values(t)),
            (HalfMeanSquaredError, t) => losses::half_mse(outputs, classes_as_values(t)),
            (BinaryCrossEntropy { from_logits: false }, t) => {
                losses::binary_cross_entropy(outputs, classes_as_values(t))
            }
            (BinaryCrossEntropy { from_logits: true }, t) => {
                losses::binary_cross_entropy_with_logits(outputs, classes_as_values(t))
            }
            (CategoricalCrossEntropy { from_logits: false }, t) => {
                losses::categorical_cross_entropy(outputs, one_hot(t, classes))
            }
            (CategoricalCrossEntropy { from_logits: true }, t) => {
                losses::categorical_cross_entropy_with_logits(outputs, one_hot(t, classes))
            }
            (SparseCategoricalCrossEntropy { from_logits }, Targets::Classes(c)) => {
                if from_logits {
                    losses::sparse_categorical_cross_entropy_with_logits(outputs, c.clone())
                } else {
                    losses::sparse_categorical_cross_entropy(outputs, c.clone())
                }
            }
            (SparseCategoricalCrossEntropy { .. }, Targets::Values(_)) => {
                unreachable!("check_targets refuses float targets for this loss")
            }
        }
    }

    /// Whether `x` and `y` can be given to this model: one target per
    /// example, examples of the model's input shape, targets of the loss's kind.
    fn check(&self, x: &Batch, y: Option<&Targets>) -> Result<(), FitError> {
        let expected = self.network().input_shape().to_vec();
        let got = x.dims()[1..].to_vec();
        if got != expected {
            return Err(FitError::InputShape { expected, got });
        }
        if let Some(y) = y {
            if y.len() != x.len() {
                return Err(FitError::TargetCount { examples: x.len(), targets: y.len() });
            }
            if matches!((self.loss, y), (Loss::SparseCategoricalCrossEntropy { .. }, Targets::Values(_))) {
                return Err(FitError::SparseTargets);
            }
        }
        Ok(())
    }

    /// Trains for `options.epochs` epochs and returns the metrics of each.
    /// Keras's `model.fit(x, y, epochs=..., batch_size=...)`.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let x = Tensor::<2>::random([256, 4], Distribution::Normal(0.0, 1.0), &device());
    /// let y = x.clone().sum_dim(1);   // (256, 1) targets: learn the sum
    /// let network = Sequential::with_input([4]).add(Dense::new(1))?;
    /// let mut model = network.compile(Optimizer::adam().learning_rate(0.01), Loss::MeanSquaredError, &[]);
    /// let history = model.fit(x, y, Fit::epochs(20).batch_size(16))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit(
        &mut self,
        x: impl Into<Batch>,
        y: impl Into<Targets>,
        options: Fit,
    ) -> Result<History, FitError> {
        let (x, y) = (x.into(), y.into());
        self.check(&x, Some(&y))?;
        if options.batch_size == 0 {
            return Err(FitError::ZeroBatchSize);
        }
        if !(0.0..1.0).contains(&options.validation_split) {
            return Err(FitError::ValidationSplit(options.validation_split));
        }
        if let Some((x_val, y_val)) = &options.validation_data {
            self.check(x_val, Some(y_val))?;
        }
        let n = x.len();
        let held_out = (n as f32 * options.validation_split).round() as usize;
        let train_n = n - held_out;
        let validation = match (&options.validation_data, held_out) {
            (Some(data), _) => Validation::Data(Box::new(data.clone())),
            (None, 0) => Validation::None,
            (None, _) => {
                let indices = index_tensor(&(train_n..n).collect::<Vec<_>>(), &x);
                Validation::Data(Box::new((x.select(indices.clone()), y.select(indices))))
            }
        };
        let mut batches_per_epoch = train_n.div_ceil(options.batch_size);
        if let Some(steps) = options.steps_per_epoch {
            batches_per_epoch = batches_per_epoch.min(steps);
        }
        if batches_per_epoch == 0 {
            return Err(FitError::EmptyEpoch);
        }
        let mut train = InMemory::new(x, y, train_n, &options);
        self.run_epochs(&mut train, batches_per_epoch, &options, validation)
    }

    /// Trains on batches drawn from `train`, such as an augmenting
    /// [`ImageFlow`](crate::augment::ImageFlow): Keras 2's
    /// `model.fit_generator(train_generator, steps_per_epoch, epochs, validation_data, validation_steps)`.
    ///
    /// Each epoch is `options.steps_per_epoch` batches (default: `train.len()`,
    /// one pass). After each epoch the model is evaluated on
    /// `options.validation_steps` batches of `validation` (default: its
    /// `len()`), or on `options.validation_data` when there is no source.
    /// Progress bar, live curves, [`History`] and the Interrupt button work
    /// as in [`fit`](Self::fit); `batch_size`, `shuffle` and `seed` of
    /// `options` are the source's business and are not used.
    ///
    /// An error if `options.validation_split` is set (a source cannot be
    /// split: pass a validation source) or if an epoch would have no batch.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// # let x_train = Tensor::<4>::zeros([64, 1, 8, 8], &device());
    /// # let y_train = Tensor::<1, Int>::zeros([64], &device());
    /// # let (x_test, y_test) = (x_train.clone(), y_train.clone());
    /// # let network = Sequential::with_input([1, 8, 8]).add(Flatten)?.add(Dense::new(2).activation(Activation::Softmax))?;
    /// # let mut model = network.compile(Optimizer::adam(), Loss::SparseCategoricalCrossEntropy { from_logits: false }, &[Metric::Accuracy]);
    /// let augment = ImageDataGenerator::new().horizontal_flip(true).zoom_range(0.2);
    /// let mut train = augment.flow(x_train, y_train, 32)?;
    /// let mut test = ImageDataGenerator::new().flow(x_test, y_test, 32)?;
    /// let options = Fit::epochs(10).steps_per_epoch(2).validation_steps(2);
    /// let history = model.fit_generator(&mut train, options, Some(&mut test))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit_generator(
        &mut self,
        train: &mut impl BatchSource,
        options: Fit,
        validation: Option<&mut dyn BatchSource>,
    ) -> Result<History, FitError> {
        if options.validation_split != 0.0 {
            return Err(FitError::SplitOfASource);
        }
        let steps = options.steps_per_epoch.unwrap_or_else(|| train.len());
        if steps == 0 {
            return Err(FitError::EmptyEpoch);
        }
        if let Some((x_val, y_val)) = &options.validation_data {
            self.check(x_val, Some(y_val))?;
        }
        let validation = match (validation, &options.validation_data) {
            (Some(source), _) => {
                let steps = options.validation_steps.unwrap_or_else(|| source.len());
                Validation::Source(source, steps)
            }
            (None, Some(data)) => Validation::Data(Box::new(data.clone())),
            (None, None) => Validation::None,
        };
        self.run_epochs(train, steps, &options, validation)
    }

    /// One gradient step on one batch (Keras's `model.train_on_batch(x, y)`):
    /// the batch's loss and accuracy, measured before the update.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    /// # let network = Sequential::with_input([4]).add(Dense::new(3).activation(Activation::Softmax))?;
    /// # let mut model = network.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
    /// let (x, y) = (Tensor::<2>::ones([2, 4], &device()), Tensor::<1, Int>::from_ints([0, 2], &device()));
    /// let before = model.train_on_batch(x, y)?;
    /// assert!(before.loss > 0.0 && before.accuracy.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn train_on_batch(
        &mut self,
        x: impl Into<Batch>,
        y: impl Into<Targets>,
    ) -> Result<Evaluation, FitError> {
        let (x, y) = (x.into(), y.into());
        self.check(&x, Some(&y))?;
        Ok(self.step(x, y))
    }

    /// One gradient step on a batch already checked.
    fn step(&mut self, x: Batch, y: Targets) -> Evaluation {
        // On flex the step runs as one job on one of rayon's threads: each
        // operation's parallel part then wakes only the other core, where
        // from this thread it woke both and then this one again.
        if crate::device::backend() == crate::device::Backend::Flex {
            return rayon::join(|| self.step_here(x, y), || ()).0;
        }
        self.step_here(x, y)
    }

    /// [`step`](Self::step), on the calling thread.
    fn step_here(&mut self, x: Batch, y: Targets) -> Evaluation {
        let network = self.network.take().expect("the network is back after every step");
        let outputs = network.forward_flat(x);
        let mut loss = self.loss_of(outputs.clone(), &y);
        if let Some(penalty) = network.penalty() {
            loss = loss + penalty;
        }
        let grads = GradientsParams::from_grads(loss.backward(), &network);
        self.network = Some(self.state.step(self.optimizer.learning_rate, network, grads));
        let accuracy = self
            .metrics
            .contains(&Metric::Accuracy)
            .then(|| metrics::accuracy(outputs.detach(), &y, self.threshold()));
        Evaluation { loss: loss.into_scalar(), accuracy }
    }

    /// The epochs of `fit` and `fit_generator`: `steps` batches from `train`
    /// each, with validation, interrupt and the callbacks (the progress bar
    /// and live curves first, unless `quiet`).
    fn run_epochs(
        &mut self,
        train: &mut dyn BatchSource,
        steps: usize,
        options: &Fit,
        mut validation: Validation<'_>,
    ) -> Result<History, FitError> {
        let track_accuracy = self.metrics.contains(&Metric::Accuracy);
        let mut history = History::default();
        let mut callbacks: Vec<Arc<Mutex<dyn Callback>>> = Vec::new();
        if options.live {
            callbacks.push(Arc::new(Mutex::new(ProgbarLogger::default())));
            callbacks.push(Arc::new(Mutex::new(LiveCurves::default())));
        }
        callbacks.extend(options.callbacks.0.iter().cloned());
        // A callback that panicked in an earlier fit is still usable.
        let each = |call: &mut dyn FnMut(&mut dyn Callback)| {
            for callback in &callbacks {
                call(&mut *callback.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
            }
        };
        each(&mut |callback| callback.on_train_begin(options.epochs, steps));

        'epochs: for epoch in 0..options.epochs {
            let started = Instant::now();
            each(&mut |callback| callback.on_epoch_begin(epoch));
            let mut running = Running::default();
            for step in 0..steps {
                if crate::kernel::interrupted() {
                    history.interrupted = true;
                    break 'epochs;
                }
                let (xb, yb) = train.next_batch();
                let examples = xb.len();
                // Checked batch by batch: a source's batches are only seen here.
                running.add(examples, self.train_on_batch(xb, yb)?);
                let so_far = running.stats();
                let logs =
                    BatchLogs { loss: so_far.loss, accuracy: so_far.accuracy.filter(|_| track_accuracy) };
                each(&mut |callback| callback.on_batch_end(step, &logs));
            }
            let mut stats = running.stats();
            if !track_accuracy {
                stats.accuracy = None;
            }
            let evaluation = match &mut validation {
                Validation::None => None,
                Validation::Data(data) => Some(self.measure(data.0.clone(), &data.1)),
                Validation::Source(source, steps) => {
                    Some(self.evaluate_generator(&mut **source, Some(*steps))?)
                }
            };
            if let Some(evaluation) = evaluation {
                stats.val_loss = Some(evaluation.loss);
                stats.val_accuracy = evaluation.accuracy;
            }
            stats.seconds = started.elapsed().as_secs_f32();
            // The History that fit returns is a callback too, the first.
            let mut flow = history.on_epoch_end(epoch, &stats);
            each(&mut |callback| {
                if callback.on_epoch_end(epoch, &stats) == Flow::Stop {
                    flow = Flow::Stop;
                }
            });
            train.on_epoch_end();
            if flow == Flow::Stop {
                history.stopped_early = true;
                break;
            }
        }
        each(&mut |callback| callback.on_train_end(&history));
        Ok(history)
    }

    /// The outputs for `x`, in evaluation mode (no dropout, no gradients).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    /// # let network = Sequential::with_input([4]).add(Dense::new(3).activation(Activation::Softmax))?;
    /// # let model = network.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
    /// let probabilities = model.predict(Tensor::<2>::ones([5, 4], &device()))?;
    /// assert_eq!(probabilities.dims(), [5, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict(&self, x: impl Into<Batch>) -> Result<Tensor<2>, FitError> {
        let x = x.into();
        self.check(&x, None)?;
        Ok(predict(self.network(), x))
    }

    /// Loss and metrics on `x`, `y` in evaluation mode (Keras's `model.evaluate(x_test, y_test)`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    /// # let network = Sequential::with_input([4]).add(Dense::new(3).activation(Activation::Softmax))?;
    /// # let model = network.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
    /// let (x, y) = (Tensor::<2>::ones([2, 4], &device()), Tensor::<1, Int>::from_ints([0, 2], &device()));
    /// let result = model.evaluate(x, y)?;
    /// assert!(result.loss > 0.0 && result.accuracy.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate(&self, x: impl Into<Batch>, y: impl Into<Targets>) -> Result<Evaluation, FitError> {
        let (x, y) = (x.into(), y.into());
        self.check(&x, Some(&y))?;
        Ok(self.measure(x, &y))
    }

    /// Loss and metrics on a batch already checked.
    fn measure(&self, x: Batch, y: &Targets) -> Evaluation {
        let y = y.clone();
        let outputs = predict(self.network(), x);
        let accuracy = self
            .metrics
            .contains(&Metric::Accuracy)
            .then(|| metrics::accuracy(outputs.clone(), &y, self.threshold()));
        let loss: f32 = self.loss_of(outputs, &y).into_scalar();
        Evaluation { loss, accuracy }
    }

    /// Loss and metrics over `steps` batches of `source` (default: its
    /// `len()`, one pass), in evaluation mode: Keras's
    /// `model.evaluate_generator(test_generator, steps)`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    /// # let network = Sequential::with_input([1, 4, 4]).add(Flatten)?.add(Dense::new(3).activation(Activation::Softmax))?;
    /// # let model = network.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
    /// let (x, y) = (Tensor::<4>::ones([10, 1, 4, 4], &device()), Tensor::<1, Int>::zeros([10], &device()));
    /// let mut test = ImageDataGenerator::new().flow(x, y, 4)?;   // 3 batches: 4, 4 and 2 images
    /// let result = model.evaluate_generator(&mut test, None)?;
    /// assert!(result.loss > 0.0 && result.accuracy.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_generator(
        &self,
        source: &mut dyn BatchSource,
        steps: Option<usize>,
    ) -> Result<Evaluation, FitError> {
        let steps = steps.unwrap_or_else(|| source.len());
        let mut running = Running::default();
        for _ in 0..steps {
            let (x, y) = source.next_batch();
            let examples = x.len();
            running.add(examples, self.evaluate(x, y)?);
        }
        let stats = running.stats();
        Ok(Evaluation {
            loss: stats.loss,
            accuracy: stats.accuracy.filter(|_| self.metrics.contains(&Metric::Accuracy)),
        })
    }

    /// The predicted class of each example: the most probable output, or
    /// output ≥ 0.5 for a single sigmoid output.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    /// # let network = Sequential::with_input([4]).add(Dense::new(3).activation(Activation::Softmax))?;
    /// # let model = network.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
    /// let classes = model.predict_classes(Tensor::<2>::ones([2, 4], &device()))?;
    /// assert!(classes.len() == 2 && classes.iter().all(|&c| c < 3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict_classes(&self, x: impl Into<Batch>) -> Result<Vec<usize>, FitError> {
        let classes = metrics::predicted_classes(self.predict(x)?, self.threshold());
        Ok(classes.try_into_vec_as::<i64>().unwrap_or_default().into_iter().map(|c| c as usize).collect())
    }

    /// Saves the weights (burn's burnpack format; `.bpk` is added).
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// # let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    /// # let network = Sequential::with_input([4]).add(Dense::new(3).activation(Activation::Softmax))?;
    /// # let model = network.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
    /// model.save("my-model").expect("saved");   // writes my-model.bpk
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<(), burn::store::RecordError> {
        self.network().clone().save_file(path.as_ref())
    }

    /// Loads weights saved by [`save`](Self::save) into this model's architecture.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// # let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    /// # let network = Sequential::with_input([4]).add(Dense::new(3).activation(Activation::Softmax))?;
    /// # let model = network.compile(Optimizer::adam(), loss, &[Metric::Accuracy]);
    /// let restored = model.network().fresh_copy()
    ///     .compile(Optimizer::adam(), model.loss, &model.metrics)
    ///     .load("my-model")
    ///     .expect("my-model.bpk, written by model.save");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(mut self, path: impl AsRef<std::path::Path>) -> Result<Self, burn::store::RecordError> {
        let network = self.network.take().expect("the network is back after every step");
        self.network = Some(network.try_load_file(path.as_ref())?);
        Ok(self)
    }
}

/// Evaluation-mode outputs in batches (no dropout, no autodiff graph).
fn predict(network: &Sequential, x: Batch) -> Tensor<2> {
    let network = network.valid();
    let n = x.len();
    let outputs: Vec<Tensor<2>> = (0..n)
        .step_by(EVAL_BATCH)
        .map(|start| {
            let indices: Vec<usize> = (start..(start + EVAL_BATCH).min(n)).collect();
            let batch = x.select(index_tensor(&indices, &x));
            network.forward_flat(batch.without_autodiff())
        })
        .collect();
    Tensor::cat(outputs, 0)
}

/// Where the validation figures of each epoch come from.
enum Validation<'a> {
    None,
    /// Examples in memory (`validation_data` or `validation_split`).
    Data(Box<(Batch, Targets)>),
    /// A batch source and the number of batches to draw from it.
    Source(&'a mut dyn BatchSource, usize),
}

/// Running means of loss and accuracy, weighted by batch size (the last
/// batch of an epoch may be smaller).
#[derive(Default)]
struct Running {
    loss_sum: f64,
    correct: f64,
    seen: usize,
}

impl Running {
    fn add(&mut self, examples: usize, batch: Evaluation) {
        self.loss_sum += batch.loss as f64 * examples as f64;
        self.correct += batch.accuracy.unwrap_or(0.0) as f64 * examples as f64;
        self.seen += examples;
    }

    /// The means so far; `accuracy` is always `Some` (callers drop it when not tracked).
    fn stats(&self) -> EpochStats {
        let seen = self.seen.max(1) as f64;
        EpochStats {
            loss: (self.loss_sum / seen) as f32,
            accuracy: Some((self.correct / seen) as f32),
            val_loss: None,
            val_accuracy: None,
            seconds: 0.0,
        }
    }
}

/// The examples of [`Model::fit`] as a batch source: the first `train_n`
/// rows in a new shuffled order each epoch (`Fit::shuffle`, `Fit::seed`).
struct InMemory {
    x: Batch,
    y: Targets,
    order: Vec<usize>,
    position: usize,
    batch_size: usize,
    shuffle: bool,
    rng: rand::rngs::StdRng,
}

impl InMemory {
    fn new(x: Batch, y: Targets, train_n: usize, options: &Fit) -> Self {
        let mut source = InMemory {
            x,
            y,
            order: (0..train_n).collect(),
            position: 0,
            batch_size: options.batch_size,
            shuffle: options.shuffle,
            rng: rand::rngs::StdRng::seed_from_u64(options.seed),
        };
        source.on_epoch_end();
        source
    }
}

impl BatchSource for InMemory {
    fn next_batch(&mut self) -> (Batch, Targets) {
        if self.position >= self.order.len() {
            self.on_epoch_end();
        }
        let end = (self.position + self.batch_size).min(self.order.len());
        let indices = index_tensor(&self.order[self.position..end], &self.x);
        self.position = end;
        (self.x.select(indices.clone()), self.y.select(indices))
    }

    fn len(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    /// A new order for the next epoch, which starts from its first batch
    /// even when `steps_per_epoch` stopped this one early.
    fn on_epoch_end(&mut self) {
        if self.shuffle {
            self.order.shuffle(&mut self.rng);
        }
        self.position = 0;
    }
}

fn index_tensor(indices: &[usize], like: &Batch) -> Tensor<1, Int> {
    let device = like.device();
    let values: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
    Tensor::<1, Int>::from_data(burn::tensor::TensorData::new(values, [indices.len()]), &device)
}

impl Rich for Model {
    fn to_mime(&self) -> MimeBundle {
        let summary = self.summary();
        let settings = format!(
            "optimizer {} (lr {}), loss {}",
            self.optimizer.name(),
            self.optimizer.learning_rate,
            self.loss.name()
        );
        let bundle = summary.to_mime();
        MimeBundle::text(format!("{}\n{settings}", bundle.plain_text())).with(
            "text/html",
            format!("{}<p>{}</p>", bundle.get("text/html").unwrap_or_default(), escape(&settings)),
        )
    }
}
