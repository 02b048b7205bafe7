//! Keras's `SimpleRNN` (PyTorch's `nn.RNN`, batch-first): the plain
//! recurrent layer of seed E §3.2.1,
//!
//! h_t = activation(x_t W + h_{t−1} U + b),   h_0 = 0,
//!
//! over a batch of sequences (N, steps, features). It returns the last
//! state h_T (N, units), or every state (N, steps, units) with
//! `return_sequences(true)`, e.g. to feed another recurrent layer.
//!
//! ```
//! use fireside::prelude::*;
//! // seed A 4.2: MNIST rows as 28 steps of 28 pixels, 256 hidden units, 10 classes
//! let model = Sequential::new()
//!     .add(SimpleRnn::new(256).input_shape([28, 28]))?
//!     .add(Dense::new(10))?;
//! assert_eq!(model.output_shape(), [10]);
//! assert_eq!(model.summary().rows[0].2, 256 * (256 + 28 + 1));   // as Keras counts
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{Batch, BuiltLayer, LayerDescription, LayerError};
use crate::activations::Activation;
use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::{Device, Tensor};

/// A simple recurrent layer with `units` hidden units.
///
/// ```
/// use fireside::prelude::*;
/// // Keras: SimpleRNN(32, return_sequences=True, input_shape=(10, 8))
/// let rnn = SimpleRnn::new(32).return_sequences(true).input_shape([10, 8]);
/// let model = Sequential::new().add(rnn)?.add(SimpleRnn::new(16))?;   // stacked
/// assert_eq!(model.summary().rows[0].1, vec![10, 32]);
/// assert_eq!(model.output_shape(), [16]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleRnn {
    /// The size of the hidden state h.
    pub units: usize,
    /// Applied to x_t W + h_{t−1} U + b (default `Tanh`, as Keras).
    pub activation: Activation,
    /// Return every step's state (N, steps, units) instead of the last (N, units) (default false).
    pub return_sequences: bool,
    /// `[steps, features]` of one input example, for a model's first layer.
    pub input_shape: Option<Vec<usize>>,
}

impl SimpleRnn {
    /// A layer with `units` hidden units, tanh, returning the last state (Keras: `SimpleRNN(units)`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let rnn = SimpleRnn::new(64);
    /// assert_eq!((rnn.units, rnn.activation, rnn.return_sequences), (64, Activation::Tanh, false));
    /// ```
    pub fn new(units: usize) -> Self {
        SimpleRnn { units, activation: Activation::Tanh, return_sequences: false, input_shape: None }
    }

    /// The activation of the state (Keras's `activation`, default tanh).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(SimpleRnn::new(8).activation(Activation::Relu).activation, Activation::Relu);
    /// ```
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Whether to return the state of every step (Keras's `return_sequences`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([5, 3]).add(SimpleRnn::new(4).return_sequences(true))?;
    /// assert_eq!(model.output_shape(), [5, 4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn return_sequences(mut self, return_sequences: bool) -> Self {
        self.return_sequences = return_sequences;
        self
    }

    /// The shape of one input sequence, `[steps, features]` (Keras's `input_shape=(steps, features)`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::new().add(SimpleRnn::new(4).input_shape([28, 28]))?;
    /// assert_eq!(model.input_shape(), [28, 28]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn input_shape(mut self, shape: [usize; 2]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// The layer's weights for `features` inputs per step, initialized as
    /// Keras does: Glorot-uniform W, orthogonal U, zero b.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = SimpleRnn::new(4).build(3, &device());
    /// assert_eq!(layer.kernel.val().dims(), [3, 4]);             // W
    /// assert_eq!(layer.recurrent_kernel.val().dims(), [4, 4]);   // U
    /// assert_eq!(layer.num_params(), 4 * (4 + 3 + 1));
    /// ```
    pub fn build(&self, features: usize, device: &Device) -> SimpleRnnLayer {
        let (kernel, recurrent_kernel) = recurrent_weights(features, self.units, 1, device);
        SimpleRnnLayer {
            kernel,
            recurrent_kernel,
            bias: Param::from_tensor(Tensor::zeros([self.units], device)),
            activation: self.activation,
            return_sequences: self.return_sequences,
        }
    }
}

impl LayerDescription for SimpleRnn {
    type Built = SimpleRnnLayer;

    fn input_shape(&self) -> Option<Vec<usize>> {
        self.input_shape.clone()
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        recurrent_output_shape("SimpleRNN", input, self.units, self.return_sequences)
    }

    fn build(&self, input: &[usize], device: &Device) -> Result<SimpleRnnLayer, LayerError> {
        let [_, features] = sequence_shape("SimpleRNN", input)?;
        Ok(SimpleRnn::build(self, features, device))
    }
}

/// A built [`SimpleRnn`]. The weights are public so that a notebook can
/// copy them into its own equations.
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::with_input([28, 28]).add(SimpleRnn::new(16))?;
/// let Layer::SimpleRnn(rnn) = &model.layers[0] else { unreachable!() };
/// assert_eq!(rnn.units(), 16);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Module, Debug)]
pub struct SimpleRnnLayer {
    /// W, (features, units): x_t W.
    pub kernel: Param<Tensor<2>>,
    /// U, (units, units): h_{t−1} U.
    pub recurrent_kernel: Param<Tensor<2>>,
    /// b, (units).
    pub bias: Param<Tensor<1>>,
    /// Applied to x_t W + h_{t−1} U + b.
    #[module(skip)]
    pub activation: Activation,
    /// Whether [`forward`](Self::forward) returns every step's state.
    #[module(skip)]
    pub return_sequences: bool,
}

impl SimpleRnnLayer {
    /// The size of the hidden state.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(SimpleRnn::new(8).build(3, &device()).units(), 8);
    /// ```
    pub fn units(&self) -> usize {
        self.recurrent_kernel.dims()[0]
    }

    /// Runs the layer over (N, steps, features): the last state as `Batch::Flat`
    /// (N, units), or all states as `Batch::Sequence` with `return_sequences`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = SimpleRnn::new(8).build(3, &device());
    /// let y = layer.forward(Tensor::<3>::ones([2, 5, 3], &device()));
    /// assert_eq!(y.dims(), [2, 8]);
    /// ```
    pub fn forward(&self, x: Tensor<3>) -> Batch {
        let (states, last) = self.forward_with_state(x, None);
        if self.return_sequences { Batch::Sequence(states) } else { Batch::Flat(last) }
    }

    /// Every step's state (N, steps, units) and the last state (N, units),
    /// starting from `initial` (zeros when `None`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = SimpleRnn::new(4).build(2, &device());
    /// let (states, last) = layer.forward_with_state(Tensor::<3>::ones([1, 3, 2], &device()), None);
    /// assert_eq!(states.dims(), [1, 3, 4]);
    /// assert_eq!(states.slice([0..1, 2..3, 0..4]).values(), last.values());
    /// ```
    pub fn forward_with_state(&self, x: Tensor<3>, initial: Option<Tensor<2>>) -> (Tensor<3>, Tensor<2>) {
        let [n, _, _] = x.dims();
        let units = self.units();
        let recurrent = self.recurrent_kernel.val();
        let mut h = initial.unwrap_or_else(|| Tensor::zeros([n, units], &x.device()));
        let mut states = Vec::new();
        for xw in project_inputs(x, self.kernel.val(), self.bias.val()) {
            h = self.activation.apply(xw + h.matmul(recurrent.clone()));
            states.push(h.clone());
        }
        (Tensor::stack(states, 1), h)
    }
}

impl BuiltLayer for SimpleRnnLayer {
    const KIND: &'static str = "SimpleRNN";

    fn forward(&self, x: Batch) -> Batch {
        match x {
            Batch::Sequence(t) => SimpleRnnLayer::forward(self, t),
            x => self.wrong_batch(x),
        }
    }
}

/// The input as (steps, features), or the error a recurrent layer reports.
pub(crate) fn sequence_shape(layer: &'static str, input: &[usize]) -> Result<[usize; 2], LayerError> {
    match input {
        [steps, features] => Ok([*steps, *features]),
        other => Err(LayerError::WrongRank {
            layer,
            expected: "sequences [steps, features] (an Embedding before it turns word indices into sequences)",
            got: other.to_vec(),
        }),
    }
}

pub(crate) fn recurrent_output_shape(
    layer: &'static str,
    input: &[usize],
    units: usize,
    return_sequences: bool,
) -> Result<Vec<usize>, LayerError> {
    let [steps, _] = sequence_shape(layer, input)?;
    Ok(if return_sequences { vec![steps, units] } else { vec![units] })
}

/// Keras's initial weights of a recurrent layer with `gates` blocks:
/// Glorot-uniform kernel (features, gates·units), orthogonal recurrent
/// kernel (units, gates·units).
pub(crate) fn recurrent_weights(
    features: usize,
    units: usize,
    gates: usize,
    device: &Device,
) -> (Param<Tensor<2>>, Param<Tensor<2>>) {
    let width = gates * units;
    let kernel = Initializer::XavierUniform { gain: 1.0 }.init_with(
        [features, width],
        Some(features),
        Some(width),
        device,
    );
    let recurrent = Initializer::Orthogonal { gain: 1.0 }.init([units, width], device);
    (kernel, recurrent)
}

/// x_t W + b for every step at once, one matrix product instead of one per
/// step (the input does not depend on the state): (steps·N, width), step-major,
/// so that each step's N rows are contiguous.
pub(crate) fn project_all_inputs(x: Tensor<3>, kernel: Tensor<2>, bias: Tensor<1>) -> Tensor<2> {
    let [n, steps, features] = x.dims();
    assert!(
        n > 0 && steps > 0,
        "a recurrent layer needs at least one sequence of at least one step, got shape {:?}",
        [n, steps, features]
    );
    x.swap_dims(0, 1).reshape([steps * n, features]).matmul(kernel) + bias.unsqueeze::<2>()
}

/// [`project_all_inputs`], cut into one (N, width) tensor per step.
pub(crate) fn project_inputs(x: Tensor<3>, kernel: Tensor<2>, bias: Tensor<1>) -> Vec<Tensor<2>> {
    let [n, steps, _] = x.dims();
    let projected = project_all_inputs(x, kernel, bias);
    // The gradient of each slice is a zero tensor of the sliced tensor's full
    // size with the slice written in, so cutting `steps` slices straight out
    // of `projected` costs steps² rows of memory traffic in the backward pass
    // (7x slower than Keras on 100 steps). Cutting √steps chunks first, then
    // the steps out of each chunk, costs 2·steps^1.5 rows.
    let chunk = (steps as f64).sqrt().ceil() as usize;
    if chunk < 3 {
        return projected.split(n, 0);
    }
    projected.split(n * chunk, 0).into_iter().flat_map(|rows| rows.split(n, 0)).collect()
}

/// Plain-`f32` versions of the equations, to check the layers against.
#[cfg(test)]
pub(crate) mod reference {
    use crate::tensor_view::Values;
    use burn::tensor::Tensor;

    /// A matrix as rows of values.
    pub fn rows(t: Tensor<2>) -> Vec<Vec<f32>> {
        let [_, cols] = t.dims();
        t.values().chunks(cols).map(<[f32]>::to_vec).collect()
    }

    /// x W for a row vector x and W given as rows.
    pub fn times(x: &[f32], w: &[Vec<f32>]) -> Vec<f32> {
        let mut out = vec![0.0; w[0].len()];
        for (xi, row) in x.iter().zip(w) {
            for (o, wij) in out.iter_mut().zip(row) {
                *o += xi * wij;
            }
        }
        out
    }

    pub fn add(a: &[f32], b: &[f32]) -> Vec<f32> {
        a.iter().zip(b).map(|(a, b)| a + b).collect()
    }

    pub fn mul(a: &[f32], b: &[f32]) -> Vec<f32> {
        a.iter().zip(b).map(|(a, b)| a * b).collect()
    }

    pub fn map(a: &[f32], f: impl Fn(f32) -> f32) -> Vec<f32> {
        a.iter().map(|&v| f(v)).collect()
    }

    pub fn sigmoid(v: f32) -> f32 {
        1.0 / (1.0 + (-v).exp())
    }

    /// Columns `block·units .. (block+1)·units` of each row.
    pub fn block(w: &[Vec<f32>], block: usize, units: usize) -> Vec<Vec<f32>> {
        w.iter().map(|row| row[block * units..(block + 1) * units].to_vec()).collect()
    }

    /// The example-major sequences of x (N, steps, features): x[example][step].
    pub fn sequences(x: Tensor<3>) -> Vec<Vec<Vec<f32>>> {
        let [n, steps, features] = x.dims();
        let values = x.values();
        (0..n)
            .map(|e| (0..steps).map(|s| values[(e * steps + s) * features..][..features].to_vec()).collect())
            .collect()
    }

    /// Asserts that the tensor equals the nested values to 1e-5, relative
    /// to the value where it is above 1: summed gradients reach tens, where
    /// f32 steps by 4e-6 and two summation orders differ by a few steps.
    pub fn assert_close(got: Vec<f32>, expected: Vec<f32>) {
        assert_eq!(got.len(), expected.len());
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert!((g - e).abs() < 1e-5 * e.abs().max(1.0), "value {i}: layer {g}, equations {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reference::*;
    use super::*;
    use crate::model::Sequential;
    use crate::tensor_view::Values;
    use burn::tensor::Distribution;

    #[test]
    fn matches_the_equations() {
        let device = crate::device::device();
        let layer = SimpleRnn::new(3).return_sequences(true).build(2, &device);
        let x = Tensor::<3>::random([2, 4, 2], Distribution::Normal(0.0, 1.0), &device);
        let (w, u, b) =
            (rows(layer.kernel.val()), rows(layer.recurrent_kernel.val()), layer.bias.val().values());
        let mut expected = Vec::new();
        for sequence in sequences(x.clone()) {
            let mut h = vec![0.0; 3];
            for x_t in sequence {
                h = map(&add(&add(&times(&x_t, &w), &times(&h, &u)), &b), f32::tanh);
                expected.extend(h.clone());
            }
        }
        let Batch::Sequence(states) = layer.forward(x) else { panic!("return_sequences gives a sequence") };
        assert_close(states.values(), expected);
    }

    #[test]
    fn counts_parameters_as_keras_and_stacks() {
        let model = Sequential::with_input([7, 5])
            .add(SimpleRnn::new(4).return_sequences(true))
            .unwrap()
            .add(SimpleRnn::new(3))
            .unwrap();
        let summary = model.summary();
        assert_eq!(summary.rows[0], ("SimpleRNN".to_owned(), vec![7, 4], 4 * (4 + 5 + 1)));
        assert_eq!(summary.rows[1], ("SimpleRNN".to_owned(), vec![3], 3 * (3 + 4 + 1)));
        let y = model.forward_flat(Tensor::<3>::ones([2, 7, 5], &crate::device::device()));
        assert_eq!(y.dims(), [2, 3]);
    }

    #[test]
    fn rejects_flat_input() {
        let error = Sequential::with_input([5]).add(SimpleRnn::new(4)).unwrap_err();
        assert!(error.to_string().contains("sequences [steps, features]"), "{error}");
    }

    #[test]
    fn gradients_reach_every_weight() {
        let device = crate::device::device();
        let layer = SimpleRnn::new(3).build(2, &device);
        let x = Tensor::<3>::random([2, 5, 2], Distribution::Normal(0.0, 1.0), &device);
        let grads = layer.forward(x).into_flat().sum().backward();
        for weight in [layer.kernel.val(), layer.recurrent_kernel.val()] {
            let grad = weight.grad(&grads).expect("a gradient");
            assert!(grad.values().iter().any(|g| g.abs() > 0.0));
        }
        assert!(layer.bias.val().grad(&grads).is_some());
    }
}
