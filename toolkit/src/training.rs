//! Keras's `compile` / `fit` / `evaluate` / `predict`, over a plain burn
//! training loop: forward, loss, `backward`, optimizer step.
//!
//! While `fit` runs, the notebook shows a progress bar and the loss and
//! accuracy curves, updated in place; the Interrupt button stops it at the
//! next batch and the model keeps the weights it has learned so far.
//!
//! ```no_run
//! use fireside::prelude::*;
//! let d = device();
//! let x = Tensor::<2>::random([256, 4], Distribution::Normal(0.0, 1.0), &d);
//! let y = x.clone().sum_dim(1).greater_elem(0.0).int().flatten::<1>(0, 1);
//! let mut model = Sequential::new()
//!     .add(Dense::new(8).activation(Activation::Relu).input_dim(4))
//!     .add(Dense::new(2).activation(Activation::Softmax))
//!     .compile(Optimizer::adam(), Loss::SparseCategoricalCrossEntropy { from_logits: false }, &[Metric::Accuracy]);
//! let history = model.fit(x.clone(), y.clone(), Fit::epochs(5).batch_size(32));
//! let result = model.evaluate(x, y);
//! ```

use crate::display::{DisplayHandle, MimeBundle, ProgressBar, Rich, display, escape};
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
use std::time::Instant;

/// What to measure besides the loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Accuracy,
}

/// Training targets: class indices (N) or values / one-hot rows (N, k).
#[derive(Debug, Clone)]
pub enum Targets {
    Classes(Tensor<1, Int>),
    Values(Tensor<2>),
}

impl Targets {
    pub fn len(&self) -> usize {
        match self {
            Targets::Classes(t) => t.dims()[0],
            Targets::Values(t) => t.dims()[0],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn select(&self, indices: Tensor<1, Int>) -> Targets {
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

/// The options of [`Model::fit`], Keras's keyword arguments.
#[derive(Debug, Clone)]
pub struct Fit {
    pub epochs: usize,
    pub batch_size: usize,
    pub shuffle: bool,
    pub seed: u64,
    /// The fraction of the data, taken from its end as Keras does, kept
    /// aside to validate after each epoch.
    pub validation_split: f32,
    pub validation_data: Option<(Batch, Targets)>,
    /// At most this many batches per epoch (Keras's `steps_per_epoch`).
    pub steps_per_epoch: Option<usize>,
    /// Show the progress bar and live curves (default true).
    pub live: bool,
}

impl Fit {
    pub fn epochs(epochs: usize) -> Self {
        Fit {
            epochs,
            batch_size: 32,
            shuffle: true,
            seed: 0,
            validation_split: 0.0,
            validation_data: None,
            steps_per_epoch: None,
            live: true,
        }
    }

    pub fn batch_size(mut self, batch_size: usize) -> Self {
        assert!(batch_size > 0, "batch_size must be at least 1");
        self.batch_size = batch_size;
        self
    }

    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn validation_split(mut self, fraction: f32) -> Self {
        assert!((0.0..1.0).contains(&fraction), "validation_split is a fraction in [0, 1), got {fraction}");
        self.validation_split = fraction;
        self
    }

    pub fn validation_data(mut self, x: impl Into<Batch>, y: impl Into<Targets>) -> Self {
        self.validation_data = Some((x.into(), y.into()));
        self
    }

    pub fn steps_per_epoch(mut self, steps: usize) -> Self {
        self.steps_per_epoch = Some(steps);
        self
    }

    /// No progress bar or live curves.
    pub fn quiet(mut self) -> Self {
        self.live = false;
        self
    }
}

/// Loss and metrics of one epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochStats {
    pub loss: f32,
    pub accuracy: Option<f32>,
    pub val_loss: Option<f32>,
    pub val_accuracy: Option<f32>,
    pub seconds: f32,
}

/// What [`Model::fit`] returns: the metrics of every epoch. It plots itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub epochs: Vec<EpochStats>,
    /// Training stopped early because the user interrupted the kernel.
    pub interrupted: bool,
}

impl History {
    pub fn loss(&self) -> Vec<f32> {
        self.epochs.iter().map(|e| e.loss).collect()
    }

    pub fn accuracy(&self) -> Vec<f32> {
        self.epochs.iter().filter_map(|e| e.accuracy).collect()
    }

    pub fn val_loss(&self) -> Vec<f32> {
        self.epochs.iter().filter_map(|e| e.val_loss).collect()
    }

    pub fn val_accuracy(&self) -> Vec<f32> {
        self.epochs.iter().filter_map(|e| e.val_accuracy).collect()
    }

    pub fn last(&self) -> Option<&EpochStats> {
        self.epochs.last()
    }

    /// The loss curves (training and validation) per epoch.
    pub fn loss_plot(&self) -> Plot {
        let mut plot =
            Plot::new("Loss").x_label("epoch").y_label("loss").size(460, 320).curve("train", &self.loss());
        if !self.val_loss().is_empty() {
            plot = plot.curve("validation", &self.val_loss());
        }
        plot
    }

    /// The accuracy curves per epoch.
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

/// The result of [`Model::evaluate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    pub loss: f32,
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
pub struct Model {
    /// `None` only for the instant an optimizer step owns the network.
    network: Option<Sequential>,
    pub optimizer: Optimizer,
    state: ModuleOptimizer,
    pub loss: Loss,
    pub metrics: Vec<Metric>,
}

impl Sequential {
    /// Keras's `model.compile(optimizer, loss, metrics)`.
    pub fn compile(self, optimizer: Optimizer, loss: Loss, metrics: &[Metric]) -> Model {
        Model { network: Some(self), state: optimizer.init(), optimizer, loss, metrics: metrics.to_vec() }
    }
}

/// Evaluation runs in batches of this size, whatever the training batch.
const EVAL_BATCH: usize = 256;

impl Model {
    /// The burn module being trained.
    pub fn network(&self) -> &Sequential {
        self.network.as_ref().expect("the network is back after every step")
    }

    pub fn into_network(self) -> Sequential {
        self.network.expect("the network is back after every step")
    }

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
            (SparseCategoricalCrossEntropy { .. }, Targets::Values(_)) => panic!(
                "sparse categorical cross-entropy takes class indices (a Tensor<1, Int>); for one-hot targets use Loss::CategoricalCrossEntropy"
            ),
        }
    }

    /// Trains for `options.epochs` epochs and returns the metrics of each.
    pub fn fit(&mut self, x: impl Into<Batch>, y: impl Into<Targets>, options: Fit) -> History {
        let (x, y) = (x.into(), y.into());
        assert_eq!(x.len(), y.len(), "as many targets as examples");
        let n = x.len();
        let held_out = (n as f32 * options.validation_split).round() as usize;
        let train_n = n - held_out;
        let validation = match (&options.validation_data, held_out) {
            (Some((vx, vy)), _) => Some((vx.clone(), vy.clone())),
            (None, 0) => None,
            (None, _) => {
                let indices = index_tensor(&(train_n..n).collect::<Vec<_>>(), &x);
                Some((x.select(indices.clone()), y.select(indices)))
            }
        };
        let mut batches_per_epoch = train_n.div_ceil(options.batch_size);
        if let Some(steps) = options.steps_per_epoch {
            batches_per_epoch = batches_per_epoch.min(steps);
        }
        let track_accuracy = self.metrics.contains(&Metric::Accuracy);
        let mut history = History::default();
        let mut curves: Option<DisplayHandle> = None;
        let mut rng = rand::rngs::StdRng::seed_from_u64(options.seed);
        let mut order: Vec<usize> = (0..train_n).collect();

        'epochs: for epoch in 0..options.epochs {
            let started = Instant::now();
            if options.shuffle {
                order.shuffle(&mut rng);
            }
            let mut bar = options.live.then(|| {
                ProgressBar::new(batches_per_epoch).with_label(format!(
                    "epoch {}/{}",
                    epoch + 1,
                    options.epochs
                ))
            });
            let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0.0f64, 0usize);
            for (step, chunk) in order.chunks(options.batch_size).take(batches_per_epoch).enumerate() {
                if crate::kernel::interrupted() {
                    history.interrupted = true;
                    break 'epochs;
                }
                let indices = index_tensor(chunk, &x);
                let (xb, yb) = (x.select(indices.clone()), y.select(indices));
                let network = self.network.take().expect("the network is back after every step");
                let outputs = network.forward_flat(xb);
                let mut loss = self.loss_of(outputs.clone(), &yb);
                if let Some(penalty) = network.penalty() {
                    loss = loss + penalty;
                }
                let grads = GradientsParams::from_grads(loss.backward(), &network);
                self.network = Some(self.state.step(self.optimizer.learning_rate, network, grads));

                let batch_loss: f32 = loss.into_scalar();
                loss_sum += batch_loss as f64 * chunk.len() as f64;
                seen += chunk.len();
                if track_accuracy {
                    correct += metrics::accuracy(outputs.detach(), &yb, self.threshold()) as f64
                        * chunk.len() as f64;
                }
                if let Some(bar) = bar.as_mut() {
                    let mut postfix = format!("loss {:.4}", loss_sum / seen as f64);
                    if track_accuracy {
                        postfix.push_str(&format!(" accuracy {:.4}", correct / seen as f64));
                    }
                    bar.set_postfix(postfix);
                    bar.inc(1);
                }
                let _ = step;
            }
            if let Some(bar) = bar.as_mut() {
                bar.finish();
            }
            let mut stats = EpochStats {
                loss: (loss_sum / seen.max(1) as f64) as f32,
                accuracy: track_accuracy.then_some((correct / seen.max(1) as f64) as f32),
                val_loss: None,
                val_accuracy: None,
                seconds: 0.0,
            };
            if let Some((vx, vy)) = &validation {
                let evaluation = self.evaluate(vx.clone(), vy.clone());
                stats.val_loss = Some(evaluation.loss);
                stats.val_accuracy = evaluation.accuracy;
            }
            stats.seconds = started.elapsed().as_secs_f32();
            history.epochs.push(stats);
            if options.live {
                match &curves {
                    Some(handle) => handle.update(&history),
                    None => curves = Some(display(&history)),
                }
            }
        }
        if history.interrupted && options.live {
            println!(
                "Interrupted: training stopped after {} complete epoch(s); the model keeps its weights.",
                history.epochs.len()
            );
        }
        history
    }

    /// The outputs for `x`, in evaluation mode (no dropout, no gradients).
    pub fn predict(&self, x: impl Into<Batch>) -> Tensor<2> {
        predict(self.network(), x.into())
    }

    /// Loss and metrics on `x`, `y` in evaluation mode.
    pub fn evaluate(&self, x: impl Into<Batch>, y: impl Into<Targets>) -> Evaluation {
        let (x, y) = (x.into(), y.into());
        let outputs = predict(self.network(), x);
        let accuracy = self
            .metrics
            .contains(&Metric::Accuracy)
            .then(|| metrics::accuracy(outputs.clone(), &y, self.threshold()));
        let loss: f32 = self.loss_of(outputs, &y).into_scalar();
        Evaluation { loss, accuracy }
    }

    /// The predicted class of each example.
    pub fn predict_classes(&self, x: impl Into<Batch>) -> Vec<usize> {
        let classes = metrics::predicted_classes(self.predict(x), self.threshold());
        classes.try_into_vec_as::<i64>().unwrap_or_default().into_iter().map(|c| c as usize).collect()
    }

    /// Saves the weights (burn's burnpack format; `.bpk` is added).
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<(), burn::store::RecordError> {
        self.network().clone().save_file(path.as_ref())
    }

    /// Loads weights saved by [`save`](Self::save) into this model's architecture.
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
