//! Keras's `LSTM` (PyTorch's `nn.LSTM`, batch-first), optionally with the
//! peephole connections of seed A §3.4.1. For each step, with σ the
//! recurrent activation (sigmoid) and tanh the activation:
//!
//! ```text
//! i_t = σ(x_t W_i + h_{t−1} U_i + w_ci ⊙ c_{t−1} + b_i)     input gate
//! f_t = σ(x_t W_f + h_{t−1} U_f + w_cf ⊙ c_{t−1} + b_f)     forget gate
//! c_t = f_t ⊙ c_{t−1} + i_t ⊙ tanh(x_t W_c + h_{t−1} U_c + b_c)
//! o_t = σ(x_t W_o + h_{t−1} U_o + w_co ⊙ c_t + b_o)         output gate
//! h_t = o_t ⊙ tanh(c_t)
//! ```
//!
//! The peephole terms (w ⊙ c, diagonal weights: one per unit) are there only
//! with `.peephole(true)`; without them this is the standard LSTM of Keras
//! and PyTorch. The four gates' weights sit side by side in Keras's order
//! **[i, f, c, o]**: kernel (features, 4·units), recurrent kernel
//! (units, 4·units), bias (4·units), so the layer has
//! 4·units·(units + features + 1) parameters, as Keras counts, plus 3·units
//! with peepholes (Keras's `PeepholeLSTMCell`). PyTorch orders its gates
//! [i, f, g, o] too, but stores W transposed and has two biases.
//!
//! ```
//! use fireside::prelude::*;
//! // seed E 4.1.2: Embedding(10000, 64, input_length=100), LSTM(64), Dense(1, sigmoid)
//! let model = Sequential::new()
//!     .add(Embedding::new(10000, 64).input_length(100))?
//!     .add(Lstm::new(64))?
//!     .add(Dense::new(1).activation(Activation::Sigmoid))?;
//! assert_eq!(model.summary().rows[1].2, 4 * 64 * (64 + 64 + 1));   // 33024, as Keras
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::simple_rnn::{project_inputs, recurrent_output_shape, recurrent_weights, sequence_shape};
use super::{Batch, BuiltLayer, LayerDescription, LayerError};
use crate::activations::{self, Activation};
use crate::fused;
use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::{Device, Tensor};

/// A long short-term memory layer with `units` hidden units.
///
/// ```
/// use fireside::prelude::*;
/// // Keras: LSTM(32, return_sequences=True, input_shape=(10, 8)), then LSTM(16)
/// let model = Sequential::new()
///     .add(Lstm::new(32).return_sequences(true).input_shape([10, 8]))?
///     .add(Lstm::new(16))?;
/// assert_eq!(model.output_shape(), [16]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Lstm {
    /// The size of the hidden state h and of the cell state c.
    pub units: usize,
    /// Applied to the candidate cell and to c_t before the output gate (default `Tanh`).
    pub activation: Activation,
    /// Applied to the gates i, f, o (default `Sigmoid`; Keras's `recurrent_activation`).
    pub recurrent_activation: Activation,
    /// Return every step's h (N, steps, units) instead of the last (N, units) (default false).
    pub return_sequences: bool,
    /// Whether the gates see the cell state (peephole connections, default false).
    pub peephole: bool,
    /// Start the forget gate's bias at 1, as Keras does (default true), so
    /// that the cell remembers from the first step of training.
    pub unit_forget_bias: bool,
    /// `[steps, features]` of one input example, for a model's first layer.
    pub input_shape: Option<Vec<usize>>,
}

impl Lstm {
    /// A standard LSTM with `units` units (Keras: `LSTM(units)`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let lstm = Lstm::new(64);
    /// assert_eq!((lstm.activation, lstm.recurrent_activation), (Activation::Tanh, Activation::Sigmoid));
    /// assert!(!lstm.peephole && !lstm.return_sequences);
    /// ```
    pub fn new(units: usize) -> Self {
        Lstm {
            units,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            return_sequences: false,
            peephole: false,
            unit_forget_bias: true,
            input_shape: None,
        }
    }

    /// The activation of the candidate cell and of the output (default tanh).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Lstm::new(8).activation(Activation::Relu).activation, Activation::Relu);
    /// ```
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// The activation of the gates (Keras's `recurrent_activation`, default sigmoid).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let lstm = Lstm::new(8).recurrent_activation(Activation::Sigmoid);
    /// assert_eq!(lstm.recurrent_activation, Activation::Sigmoid);
    /// ```
    pub fn recurrent_activation(mut self, activation: Activation) -> Self {
        self.recurrent_activation = activation;
        self
    }

    /// Whether to return the h of every step (Keras's `return_sequences`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([5, 3]).add(Lstm::new(4).return_sequences(true))?;
    /// assert_eq!(model.output_shape(), [5, 4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn return_sequences(mut self, return_sequences: bool) -> Self {
        self.return_sequences = return_sequences;
        self
    }

    /// Peephole connections (seed A §3.4.1): the input and forget gates see
    /// c_{t−1}, the output gate sees c_t, through one weight per unit.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let plain = Sequential::with_input([5, 3]).add(Lstm::new(4))?;
    /// let peephole = Sequential::with_input([5, 3]).add(Lstm::new(4).peephole(true))?;
    /// assert_eq!(peephole.num_params(), plain.num_params() + 3 * 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn peephole(mut self, peephole: bool) -> Self {
        self.peephole = peephole;
        self
    }

    /// Whether the forget gate's bias starts at 1 (Keras's `unit_forget_bias`, default true).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Lstm::new(2).unit_forget_bias(false).build(3, &device());
    /// assert_eq!(layer.bias.val().values(), vec![0.0; 8]);
    /// ```
    pub fn unit_forget_bias(mut self, unit_forget_bias: bool) -> Self {
        self.unit_forget_bias = unit_forget_bias;
        self
    }

    /// The shape of one input sequence, `[steps, features]`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::new().add(Lstm::new(4).input_shape([28, 28]))?;
    /// assert_eq!(model.input_shape(), [28, 28]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn input_shape(mut self, shape: [usize; 2]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// The layer's weights for `features` inputs per step, initialized as
    /// Keras does: Glorot-uniform kernel, orthogonal recurrent kernel, zero
    /// bias except 1 for the forget gate.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Lstm::new(2).build(3, &device());
    /// assert_eq!(layer.kernel.val().dims(), [3, 8]);   // [W_i W_f W_c W_o]
    /// assert_eq!(layer.bias.val().values(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    /// ```
    pub fn build(&self, features: usize, device: &Device) -> LstmLayer {
        let units = self.units;
        let (kernel, recurrent_kernel) = recurrent_weights(features, units, 4, device);
        let mut bias = vec![0.0f32; 4 * units];
        if self.unit_forget_bias {
            bias[units..2 * units].fill(1.0);
        }
        // Keras's PeepholeLSTMCell draws the diagonal weights like a kernel:
        // Glorot-uniform of a vector of `units`, so ±sqrt(3 / units).
        let limit = (3.0 / units as f64).sqrt();
        let peephole =
            || self.peephole.then(|| Initializer::Uniform { min: -limit, max: limit }.init([units], device));
        LstmLayer {
            kernel,
            recurrent_kernel,
            bias: Param::from_tensor(Tensor::from_floats(bias.as_slice(), device)),
            peephole_i: peephole(),
            peephole_f: peephole(),
            peephole_o: peephole(),
            activation: self.activation,
            recurrent_activation: self.recurrent_activation,
            return_sequences: self.return_sequences,
        }
    }
}

impl LayerDescription for Lstm {
    type Built = LstmLayer;

    fn input_shape(&self) -> Option<Vec<usize>> {
        self.input_shape.clone()
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        recurrent_output_shape("LSTM", input, self.units, self.return_sequences)
    }

    fn build(&self, input: &[usize], device: &Device) -> Result<LstmLayer, LayerError> {
        let [_, features] = sequence_shape("LSTM", input)?;
        Ok(Lstm::build(self, features, device))
    }
}

/// The state an LSTM carries from step to step: h (the output) and c (the cell).
///
/// ```
/// use fireside::prelude::*;
/// use fireside::layers::LstmState;
/// let layer = Lstm::new(4).build(2, &device());
/// let (_, state): (_, LstmState) = layer.forward_with_state(Tensor::<3>::ones([3, 5, 2], &device()), None);
/// assert_eq!((state.h.dims(), state.c.dims()), ([3, 4], [3, 4]));
/// ```
#[derive(Debug, Clone)]
pub struct LstmState {
    /// The hidden state h_t, (N, units).
    pub h: Tensor<2>,
    /// The cell state c_t, (N, units).
    pub c: Tensor<2>,
}

/// A built [`Lstm`]. The weights are public, so that a notebook can copy
/// them into its own equations; [`gate`](Self::gate) cuts out one gate's.
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::with_input([10, 3]).add(Lstm::new(4).peephole(true))?;
/// let Layer::Lstm(lstm) = &model.layers[0] else { unreachable!() };
/// assert_eq!(lstm.peephole_i.as_ref().map(|w| w.dims()), Some([4]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Module, Debug)]
pub struct LstmLayer {
    /// [W_i W_f W_c W_o], (features, 4·units).
    pub kernel: Param<Tensor<2>>,
    /// [U_i U_f U_c U_o], (units, 4·units).
    pub recurrent_kernel: Param<Tensor<2>>,
    /// [b_i b_f b_c b_o], (4·units).
    pub bias: Param<Tensor<1>>,
    /// w_ci, (units): the input gate's view of c_{t−1} (peephole only).
    pub peephole_i: Option<Param<Tensor<1>>>,
    /// w_cf, (units): the forget gate's view of c_{t−1} (peephole only).
    pub peephole_f: Option<Param<Tensor<1>>>,
    /// w_co, (units): the output gate's view of c_t (peephole only).
    pub peephole_o: Option<Param<Tensor<1>>>,
    /// Applied to the candidate cell and to c_t.
    #[module(skip)]
    pub activation: Activation,
    /// Applied to the gates.
    #[module(skip)]
    pub recurrent_activation: Activation,
    /// Whether [`forward`](Self::forward) returns every step's h.
    #[module(skip)]
    pub return_sequences: bool,
}

impl LstmLayer {
    /// The index of the input gate's block in the weights (Keras's order i, f, c, o).
    pub const INPUT: usize = 0;
    /// The index of the forget gate's block.
    pub const FORGET: usize = 1;
    /// The index of the candidate cell's block.
    pub const CELL: usize = 2;
    /// The index of the output gate's block.
    pub const OUTPUT: usize = 3;

    /// The size of h and c.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Lstm::new(8).build(3, &device()).units(), 8);
    /// ```
    pub fn units(&self) -> usize {
        self.recurrent_kernel.dims()[0]
    }

    /// One block's (W, U, b): (features, units), (units, units), (units).
    /// `block` is [`INPUT`](Self::INPUT), [`FORGET`](Self::FORGET),
    /// [`CELL`](Self::CELL) or [`OUTPUT`](Self::OUTPUT).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Lstm::new(4).build(3, &device());
    /// let (w_f, u_f, b_f) = layer.gate(LstmLayer::FORGET);
    /// assert_eq!((w_f.dims(), u_f.dims(), b_f.values()), ([3, 4], [4, 4], vec![1.0; 4]));
    /// ```
    pub fn gate(&self, block: usize) -> (Tensor<2>, Tensor<2>, Tensor<1>) {
        gate_block(&self.kernel, &self.recurrent_kernel, &self.bias, block, 4)
    }

    /// Runs the layer over (N, steps, features): the last h as `Batch::Flat`
    /// (N, units), or every h as `Batch::Sequence` with `return_sequences`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Lstm::new(8).return_sequences(true).build(3, &device());
    /// let y = layer.forward(Tensor::<3>::ones([2, 5, 3], &device()));
    /// assert_eq!(y.dims(), [2, 5, 8]);
    /// ```
    pub fn forward(&self, x: Tensor<3>) -> Batch {
        match self.return_sequences {
            true => Batch::Sequence(self.forward_with_state(x, None).0),
            false => Batch::Flat(self.last_state(x, None).h),
        }
    }

    /// Every step's h (N, steps, units) and the last (h, c), from `initial`
    /// (zeros when `None`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Lstm::new(4).build(2, &device());
    /// let (hs, last) = layer.forward_with_state(Tensor::<3>::ones([1, 3, 2], &device()), None);
    /// assert_eq!(hs.slice([0..1, 2..3, 0..4]).values(), last.h.values());
    /// ```
    pub fn forward_with_state(&self, x: Tensor<3>, initial: Option<LstmState>) -> (Tensor<3>, LstmState) {
        let initial = self.initial_or_zeros(&x, initial);
        if !self.is_standard() {
            self.forward_general(x, initial)
        } else if fused::available(&x) {
            self.forward_fused(x, initial)
        } else {
            self.forward_standard(x, initial)
        }
    }

    /// The last (h, c) alone. On the fused path that is all the operation
    /// returns: every step's state is neither copied out nor, in the backward
    /// pass, given a gradient of zeros (BENCHMARKS.md, "CPU training").
    fn last_state(&self, x: Tensor<3>, initial: Option<LstmState>) -> LstmState {
        if !(self.is_standard() && fused::available(&x)) {
            return self.forward_with_state(x, initial).1;
        }
        let [n, _, _] = x.dims();
        let initial = self.initial_or_zeros(&x, initial);
        let last = self.fused(x, initial, false).reshape([n, 2 * self.units()]);
        self.split_state(last)
    }

    /// `initial`, or zeros for (h, c).
    fn initial_or_zeros(&self, x: &Tensor<3>, initial: Option<LstmState>) -> LstmState {
        let zeros = || Tensor::<2>::zeros([x.dims()[0], self.units()], &x.device());
        initial.unwrap_or_else(|| LstmState { h: zeros(), c: zeros() })
    }

    /// Keras's default activations and no peepholes: the equations the
    /// standard and fused paths implement.
    fn is_standard(&self) -> bool {
        self.recurrent_activation == Activation::Sigmoid
            && self.activation == Activation::Tanh
            && self.peephole_i.is_none()
    }

    /// The equations of the module docs, for any activations, with or without peepholes.
    fn forward_general(&self, x: Tensor<3>, initial: LstmState) -> (Tensor<3>, LstmState) {
        let units = self.units();
        let LstmState { mut h, mut c } = initial;
        let recurrent = self.recurrent_kernel.val();
        // (1, units) rows that broadcast over the batch.
        let peephole = |w: &Option<Param<Tensor<1>>>| w.as_ref().map(|w| w.val().unsqueeze::<2>());
        let (w_ci, w_cf, w_co) =
            (peephole(&self.peephole_i), peephole(&self.peephole_f), peephole(&self.peephole_o));
        let gate = |a| self.recurrent_activation.apply(a);
        let mut states = Vec::new();
        for xw in project_inputs(x, self.kernel.val(), self.bias.val()) {
            // All four blocks in one product: (N, 4·units).
            let mut blocks = (xw + h.matmul(recurrent.clone())).split(units, 1).into_iter();
            let (mut a_i, mut a_f, a_c, mut a_o) = (
                blocks.next().expect("4 blocks"),
                blocks.next().expect("4 blocks"),
                blocks.next().expect("4 blocks"),
                blocks.next().expect("4 blocks"),
            );
            if let (Some(w_ci), Some(w_cf)) = (&w_ci, &w_cf) {
                a_i = a_i + c.clone() * w_ci.clone();
                a_f = a_f + c.clone() * w_cf.clone();
            }
            c = gate(a_f) * c + gate(a_i) * self.activation.apply(a_c);
            if let Some(w_co) = &w_co {
                a_o = a_o + c.clone() * w_co.clone();
            }
            h = gate(a_o) * self.activation.apply(c.clone());
            states.push(h.clone());
        }
        (Tensor::stack(states, 1), LstmState { h, c })
    }

    /// The same equations for Keras's default activations (sigmoid gates,
    /// tanh), without peepholes, in fewer operations: all four blocks go
    /// through one sigmoid, the candidate's as tanh(a) = 2σ(2a) − 1 (its
    /// columns of the weights are doubled once per call, not per step).
    /// Activations on the four column blocks one by one work on strided
    /// views, four times forward and again in the backward pass; this is
    /// about 1.2x faster on the benchmark's LSTM (BENCHMARKS.md).
    fn forward_standard(&self, x: Tensor<3>, initial: LstmState) -> (Tensor<3>, LstmState) {
        let units = self.units();
        let device = x.device();
        // 1 for the gates' columns, 2 for the candidate's: σ(2a) gives tanh(a) = 2σ(2a) − 1.
        let mut scale = vec![1.0f32; 4 * units];
        scale[Self::CELL * units..(Self::CELL + 1) * units].fill(2.0);
        let scale = Tensor::<1>::from_floats(scale.as_slice(), &device);
        let kernel = self.kernel.val() * scale.clone().unsqueeze::<2>();
        let recurrent = self.recurrent_kernel.val() * scale.clone().unsqueeze::<2>();
        let bias = self.bias.val() * scale;
        let LstmState { mut h, mut c } = initial;
        let mut states = Vec::new();
        for xw in project_inputs(x, kernel, bias) {
            let mut blocks =
                activations::sigmoid(xw + h.matmul(recurrent.clone())).split(units, 1).into_iter();
            let mut block = || blocks.next().expect("4 blocks");
            let (i, f, candidate, o) = (block(), block(), block() * 2.0 - 1.0, block());
            c = f * c + i * candidate;
            h = o * activations::tanh(c.clone());
            states.push(h.clone());
        }
        (Tensor::stack(states, 1), LstmState { h, c })
    }

    /// The standard equations with the whole sequence in one operation
    /// (`fireside::fused::lstm_sequence`, the inputs' projection included),
    /// on flex: a training step of the benchmark's sentiment model is about
    /// 6x faster than with [`forward_standard`](Self::forward_standard) there
    /// (BENCHMARKS.md).
    fn forward_fused(&self, x: Tensor<3>, initial: LstmState) -> (Tensor<3>, LstmState) {
        let [n, steps, _] = x.dims();
        let units = self.units();
        let states = self.fused(x, initial, true);
        let hs = states.clone().narrow(2, 0, units);
        let last = states.narrow(1, steps - 1, 1).reshape([n, 2 * units]);
        (hs, self.split_state(last))
    }

    /// `fireside::fused::lstm_sequence` with this layer's weights.
    fn fused(&self, x: Tensor<3>, initial: LstmState, every_step: bool) -> Tensor<3> {
        let start = Tensor::cat(vec![initial.h, initial.c], 1);
        let (kernel, bias, recurrent_kernel) =
            (self.kernel.val(), self.bias.val(), self.recurrent_kernel.val());
        fused::lstm_sequence(x, kernel, bias, start, recurrent_kernel, every_step)
    }

    /// (h, c) from a state [h | c] (N, 2·units).
    fn split_state(&self, state: Tensor<2>) -> LstmState {
        let units = self.units();
        LstmState { h: state.clone().narrow(1, 0, units), c: state.narrow(1, units, units) }
    }
}

impl BuiltLayer for LstmLayer {
    const KIND: &'static str = "LSTM";

    fn forward(&self, x: Batch) -> Batch {
        match x {
            Batch::Sequence(t) => LstmLayer::forward(self, t),
            x => self.wrong_batch(x),
        }
    }
}

/// Block `block` of `blocks` side-by-side gates: its columns of the kernels and its part of the bias.
pub(crate) fn gate_block(
    kernel: &Param<Tensor<2>>,
    recurrent_kernel: &Param<Tensor<2>>,
    bias: &Param<Tensor<1>>,
    block: usize,
    blocks: usize,
) -> (Tensor<2>, Tensor<2>, Tensor<1>) {
    assert!(
        block < blocks,
        "gate block {block} does not exist: this layer has {blocks} (0 to {})",
        blocks - 1
    );
    let units = recurrent_kernel.dims()[0];
    let columns = block * units;
    (
        kernel.val().narrow(1, columns, units),
        recurrent_kernel.val().narrow(1, columns, units),
        bias.val().narrow(0, columns, units),
    )
}

#[cfg(test)]
mod tests {
    use super::super::simple_rnn::reference::*;
    use super::*;
    use crate::model::Sequential;
    use crate::tensor_view::Values;
    use burn::tensor::Distribution;

    /// The LSTM equations of the module docs, plain f32, every step's h.
    fn by_hand(layer: &LstmLayer, x: Tensor<3>) -> Vec<f32> {
        let units = layer.units();
        let (w, u, b) =
            (rows(layer.kernel.val()), rows(layer.recurrent_kernel.val()), layer.bias.val().values());
        let peep = |p: &Option<Param<Tensor<1>>>| p.as_ref().map_or(vec![0.0; units], |p| p.val().values());
        let (w_ci, w_cf, w_co) = (peep(&layer.peephole_i), peep(&layer.peephole_f), peep(&layer.peephole_o));
        let pre = |g: usize, x_t: &[f32], h: &[f32]| {
            add(
                &add(&times(x_t, &block(&w, g, units)), &times(h, &block(&u, g, units))),
                &b[g * units..][..units],
            )
        };
        let mut out = Vec::new();
        for sequence in sequences(x) {
            let (mut h, mut c) = (vec![0.0; units], vec![0.0; units]);
            for x_t in sequence {
                let i = map(&add(&pre(0, &x_t, &h), &mul(&w_ci, &c)), sigmoid);
                let f = map(&add(&pre(1, &x_t, &h), &mul(&w_cf, &c)), sigmoid);
                let candidate = map(&pre(2, &x_t, &h), f32::tanh);
                c = add(&mul(&f, &c), &mul(&i, &candidate));
                let o = map(&add(&pre(3, &x_t, &h), &mul(&w_co, &c)), sigmoid);
                h = mul(&o, &map(&c, f32::tanh));
                out.extend(h.clone());
            }
        }
        out
    }

    #[test]
    fn without_peepholes_is_the_standard_lstm() {
        let device = crate::device::device();
        let mut layer = Lstm::new(3).return_sequences(true).build(2, &device);
        // Non-zero biases, so that every term counts.
        layer.bias = Param::from_tensor(Tensor::random([12], Distribution::Normal(0.0, 1.0), &device));
        let x = Tensor::<3>::random([2, 4, 2], Distribution::Normal(0.0, 1.0), &device);
        let Batch::Sequence(hs) = layer.forward(x.clone()) else { panic!("a sequence") };
        assert_close(hs.values(), by_hand(&layer, x));
    }

    #[test]
    fn the_fast_paths_have_the_general_gradients() {
        // 3 units, and 64: the width of the fused path's per-step product kernel.
        for units in [3, 64] {
            fast_paths_have_the_general_gradients(units);
        }
    }

    fn fast_paths_have_the_general_gradients(units: usize) {
        let device = crate::device::device();
        let mut layer = Lstm::new(units).build(2, &device);
        layer.bias = Param::from_tensor(Tensor::random([4 * units], Distribution::Normal(0.0, 1.0), &device));
        // 17 sequences: the fused path cuts a batch this size in two parts on two cores.
        let x = Tensor::<3>::random([17, 5, 2], Distribution::Normal(0.0, 1.0), &device).require_grad();
        let start = LstmState {
            h: Tensor::random([17, units], Distribution::Normal(0.0, 1.0), &device).require_grad(),
            c: Tensor::random([17, units], Distribution::Normal(0.0, 1.0), &device).require_grad(),
        };
        // Every h and the last c count, so that each path of the gradient is checked.
        let loss = |(hs, last): (Tensor<3>, LstmState)| (hs.sum() + last.c.sum() * 0.5).backward();
        let general = loss(layer.forward_general(x.clone(), start.clone()));
        let mut fast = vec![loss(layer.forward_standard(x.clone(), start.clone()))];
        // The fused LSTM runs on flex, the backend of the tests on a machine without a GPU.
        if fused::available(&x) {
            fast.push(loss(layer.forward_fused(x.clone(), start.clone())));
        }
        for fast in fast {
            check_gradients(&layer, &x, &start, &fast, &general);
        }
        // With only the last state out (an LSTM without return_sequences, on
        // the fused path when there is one), against the general path's.
        let general = layer.forward_general(x.clone(), start.clone()).1;
        let fast = layer.last_state(x.clone(), Some(start.clone()));
        assert_close(fast.h.values(), general.h.values());
        assert_close(fast.c.values(), general.c.values());
        let last_only = |state: LstmState| (state.h.sum() + state.c.sum() * 0.5).backward();
        check_gradients(&layer, &x, &start, &last_only(fast), &last_only(general));
    }

    /// The gradients of the weights, the first state and the inputs in `fast` are those in `general`.
    fn check_gradients(
        layer: &LstmLayer,
        x: &Tensor<3>,
        start: &LstmState,
        fast: &burn::tensor::Gradients,
        general: &burn::tensor::Gradients,
    ) {
        for weight in [layer.kernel.val(), layer.recurrent_kernel.val()] {
            let grad = |grads| weight.grad(grads).expect("a gradient").values();
            assert_close(grad(fast), grad(general));
        }
        let grad = |grads| layer.bias.val().grad(grads).expect("a gradient").values();
        assert_close(grad(fast), grad(general));
        for state in [&start.h, &start.c] {
            let grad = |grads| state.grad(grads).expect("a gradient of the first state").values();
            assert_close(grad(fast), grad(general));
        }
        let grad = |grads| x.grad(grads).expect("a gradient of the inputs").values();
        assert_close(grad(fast), grad(general));
    }

    #[test]
    fn peepholes_follow_their_equations() {
        let device = crate::device::device();
        let layer = Lstm::new(3).peephole(true).return_sequences(true).build(2, &device);
        let x = Tensor::<3>::random([2, 4, 2], Distribution::Normal(0.0, 1.0), &device);
        let Batch::Sequence(hs) = layer.forward(x.clone()) else { panic!("a sequence") };
        let expected = by_hand(&layer, x.clone());
        assert_close(hs.values(), expected.clone());
        // Zero peephole weights give the plain LSTM back.
        let mut zeroed = Lstm::new(3).peephole(true).return_sequences(true).build(2, &device);
        zeroed.kernel = Param::from_tensor(layer.kernel.val());
        zeroed.recurrent_kernel = Param::from_tensor(layer.recurrent_kernel.val());
        let zero = || Some(Param::from_tensor(Tensor::zeros([3], &device)));
        (zeroed.peephole_i, zeroed.peephole_f, zeroed.peephole_o) = (zero(), zero(), zero());
        let mut plain = Lstm::new(3).return_sequences(true).build(2, &device);
        plain.kernel = Param::from_tensor(layer.kernel.val());
        plain.recurrent_kernel = Param::from_tensor(layer.recurrent_kernel.val());
        let Batch::Sequence(a) = zeroed.forward(x.clone()) else { panic!("a sequence") };
        let Batch::Sequence(b) = plain.forward(x) else { panic!("a sequence") };
        assert_close(a.values(), b.values());
    }

    #[test]
    fn counts_parameters_as_keras() {
        let model = Sequential::with_input([100, 64]).add(Lstm::new(64)).unwrap();
        assert_eq!(model.summary().rows[0], ("LSTM".to_owned(), vec![64], 4 * 64 * (64 + 64 + 1)));
        let peephole = Sequential::with_input([10, 5]).add(Lstm::new(4).peephole(true)).unwrap();
        assert_eq!(peephole.num_params(), 4 * 4 * (4 + 5 + 1) + 3 * 4);
    }

    #[test]
    fn gradients_reach_the_peepholes() {
        let device = crate::device::device();
        let layer = Lstm::new(3).peephole(true).build(2, &device);
        let x = Tensor::<3>::random([2, 6, 2], Distribution::Normal(0.0, 1.0), &device);
        let grads = layer.forward(x).into_flat().sum().backward();
        for weight in [layer.kernel.val(), layer.recurrent_kernel.val()] {
            assert!(weight.grad(&grads).expect("a gradient").values().iter().any(|g| g.abs() > 0.0));
        }
        for peephole in [&layer.peephole_i, &layer.peephole_f, &layer.peephole_o] {
            let grad = peephole.as_ref().expect("peepholes").val().grad(&grads).expect("a gradient");
            assert!(grad.values().iter().any(|g| g.abs() > 0.0));
        }
    }

    #[test]
    fn initial_state_is_used() {
        let device = crate::device::device();
        let layer = Lstm::new(2).build(1, &device);
        let x = Tensor::<3>::zeros([1, 1, 1], &device);
        let state = LstmState { h: Tensor::ones([1, 2], &device), c: Tensor::ones([1, 2], &device) };
        let (_, from_ones) = layer.forward_with_state(x.clone(), Some(state));
        let (_, from_zeros) = layer.forward_with_state(x, None);
        assert_ne!(from_ones.c.values(), from_zeros.c.values());
    }
}
