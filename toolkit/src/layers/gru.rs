//! Keras's `GRU`, the gated recurrent unit of seed A §3.4.2 (Cho et al.
//! 2014). For each step, with σ the recurrent activation (sigmoid):
//!
//! ```text
//! z_t = σ(x_t W_z + h_{t−1} U_z + b_z)                 update gate
//! r_t = σ(x_t W_r + h_{t−1} U_r + b_r)                 reset gate
//! h̃_t = tanh(x_t W_h + (r_t ⊙ h_{t−1}) U_h + b_h)      candidate
//! h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ h̃_t
//! ```
//!
//! This is Keras's `GRU(reset_after=False)`, the variant of the paper and
//! of the seed: the reset gate acts before the product with U_h. The
//! weights sit side by side in Keras's order **[z, r, h]**: kernel
//! (features, 3·units), recurrent kernel (units, 3·units), bias (3·units),
//! so 3·units·(units + features + 1) parameters.
//!
//! `.reset_after(true)` is Keras 2's default and PyTorch's `nn.GRU`: the
//! reset gate multiplies (h_{t−1} U_h + b'_h), and the recurrent part has
//! its own bias b' (3·units more parameters). Keras (and PyTorch, whose
//! update gate is the same z) keeps the old state with z; the seed writes
//! h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t, the same cell with z replaced by
//! 1 − z (the update gate's weights and bias negated).
//!
//! ```
//! use fireside::prelude::*;
//! let model = Sequential::with_input([28, 28]).add(Gru::new(64))?;
//! assert_eq!(model.num_params(), 3 * 64 * (64 + 28 + 1));   // Keras's GRU(64, reset_after=False)
//! let keras2 = Sequential::with_input([28, 28]).add(Gru::new(64).reset_after(true))?;
//! assert_eq!(keras2.num_params(), 3 * 64 * (64 + 28 + 2));  // Keras 2's default GRU(64)
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::lstm::gate_block;
use super::simple_rnn::{project_inputs, recurrent_output_shape, recurrent_weights, sequence_shape};
use super::{Batch, BuiltLayer, LayerDescription, LayerError};
use crate::activations::Activation;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

/// A gated recurrent unit layer with `units` hidden units.
///
/// ```
/// use fireside::prelude::*;
/// // Keras: GRU(32, return_sequences=True, input_shape=(10, 8)), then GRU(16)
/// let model = Sequential::new()
///     .add(Gru::new(32).return_sequences(true).input_shape([10, 8]))?
///     .add(Gru::new(16))?;
/// assert_eq!(model.output_shape(), [16]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Gru {
    /// The size of the hidden state h.
    pub units: usize,
    /// Applied to the candidate state (default `Tanh`).
    pub activation: Activation,
    /// Applied to the gates z and r (default `Sigmoid`; Keras's `recurrent_activation`).
    pub recurrent_activation: Activation,
    /// Return every step's state (N, steps, units) instead of the last (N, units) (default false).
    pub return_sequences: bool,
    /// Apply the reset gate after the product with U_h (default false; see the module docs).
    pub reset_after: bool,
    /// `[steps, features]` of one input example, for a model's first layer.
    pub input_shape: Option<Vec<usize>>,
}

impl Gru {
    /// A GRU with `units` units, as in the seed and Keras's `GRU(units, reset_after=False)`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let gru = Gru::new(64);
    /// assert_eq!((gru.units, gru.reset_after, gru.activation), (64, false, Activation::Tanh));
    /// ```
    pub fn new(units: usize) -> Self {
        Gru {
            units,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            return_sequences: false,
            reset_after: false,
            input_shape: None,
        }
    }

    /// The activation of the candidate state (default tanh).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Gru::new(8).activation(Activation::Relu).activation, Activation::Relu);
    /// ```
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// The activation of the gates (Keras's `recurrent_activation`, default sigmoid).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Gru::new(8).recurrent_activation(Activation::Sigmoid).recurrent_activation, Activation::Sigmoid);
    /// ```
    pub fn recurrent_activation(mut self, activation: Activation) -> Self {
        self.recurrent_activation = activation;
        self
    }

    /// Whether to return the state of every step (Keras's `return_sequences`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([5, 3]).add(Gru::new(4).return_sequences(true))?;
    /// assert_eq!(model.output_shape(), [5, 4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn return_sequences(mut self, return_sequences: bool) -> Self {
        self.return_sequences = return_sequences;
        self
    }

    /// Keras 2's / PyTorch's variant: r_t ⊙ (h_{t−1} U_h + b'_h), with a recurrent bias.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Gru::new(4).reset_after(true).build(3, &device());
    /// assert!(layer.recurrent_bias.is_some());
    /// ```
    pub fn reset_after(mut self, reset_after: bool) -> Self {
        self.reset_after = reset_after;
        self
    }

    /// The shape of one input sequence, `[steps, features]`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::new().add(Gru::new(4).input_shape([28, 28]))?;
    /// assert_eq!(model.input_shape(), [28, 28]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn input_shape(mut self, shape: [usize; 2]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// The layer's weights for `features` inputs per step, initialized as
    /// Keras does: Glorot-uniform kernel, orthogonal recurrent kernel, zero biases.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Gru::new(2).build(3, &device());
    /// assert_eq!(layer.kernel.val().dims(), [3, 6]);   // [W_z W_r W_h]
    /// assert_eq!(layer.num_params(), 3 * 2 * (2 + 3 + 1));
    /// ```
    pub fn build(&self, features: usize, device: &Device) -> GruLayer {
        let (kernel, recurrent_kernel) = recurrent_weights(features, self.units, 3, device);
        let zeros = || Param::from_tensor(Tensor::zeros([3 * self.units], device));
        GruLayer {
            kernel,
            recurrent_kernel,
            bias: zeros(),
            recurrent_bias: self.reset_after.then(zeros),
            activation: self.activation,
            recurrent_activation: self.recurrent_activation,
            return_sequences: self.return_sequences,
        }
    }
}

impl LayerDescription for Gru {
    type Built = GruLayer;

    fn input_shape(&self) -> Option<Vec<usize>> {
        self.input_shape.clone()
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        recurrent_output_shape("GRU", input, self.units, self.return_sequences)
    }

    fn build(&self, input: &[usize], device: &Device) -> Result<GruLayer, LayerError> {
        let [_, features] = sequence_shape("GRU", input)?;
        Ok(Gru::build(self, features, device))
    }
}

/// A built [`Gru`]. The weights are public, so that a notebook can copy
/// them into its own equations; [`gate`](Self::gate) cuts out one gate's.
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::with_input([10, 3]).add(Gru::new(4))?;
/// let Layer::Gru(gru) = &model.layers[0] else { unreachable!() };
/// assert_eq!(gru.recurrent_kernel.val().dims(), [4, 12]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Module, Debug)]
pub struct GruLayer {
    /// [W_z W_r W_h], (features, 3·units).
    pub kernel: Param<Tensor<2>>,
    /// [U_z U_r U_h], (units, 3·units).
    pub recurrent_kernel: Param<Tensor<2>>,
    /// [b_z b_r b_h], (3·units): the input part's bias.
    pub bias: Param<Tensor<1>>,
    /// [b'_z b'_r b'_h], (3·units): the recurrent part's bias (only with `reset_after`).
    pub recurrent_bias: Option<Param<Tensor<1>>>,
    /// Applied to the candidate state.
    #[module(skip)]
    pub activation: Activation,
    /// Applied to the gates.
    #[module(skip)]
    pub recurrent_activation: Activation,
    /// Whether [`forward`](Self::forward) returns every step's state.
    #[module(skip)]
    pub return_sequences: bool,
}

impl GruLayer {
    /// The index of the update gate's block in the weights (Keras's order z, r, h).
    pub const UPDATE: usize = 0;
    /// The index of the reset gate's block.
    pub const RESET: usize = 1;
    /// The index of the candidate state's block.
    pub const CANDIDATE: usize = 2;

    /// The size of the hidden state.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Gru::new(8).build(3, &device()).units(), 8);
    /// ```
    pub fn units(&self) -> usize {
        self.recurrent_kernel.dims()[0]
    }

    /// One block's (W, U, b): (features, units), (units, units), (units).
    /// `block` is [`UPDATE`](Self::UPDATE), [`RESET`](Self::RESET) or [`CANDIDATE`](Self::CANDIDATE).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Gru::new(4).build(3, &device());
    /// let (w_z, u_z, b_z) = layer.gate(GruLayer::UPDATE);
    /// assert_eq!((w_z.dims(), u_z.dims(), b_z.dims()), ([3, 4], [4, 4], [4]));
    /// ```
    pub fn gate(&self, block: usize) -> (Tensor<2>, Tensor<2>, Tensor<1>) {
        gate_block(&self.kernel, &self.recurrent_kernel, &self.bias, block, 3)
    }

    /// Runs the layer over (N, steps, features): the last state as `Batch::Flat`
    /// (N, units), or every state as `Batch::Sequence` with `return_sequences`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Gru::new(8).build(3, &device());
    /// let y = layer.forward(Tensor::<3>::ones([2, 5, 3], &device()));
    /// assert_eq!(y.dims(), [2, 8]);
    /// ```
    pub fn forward(&self, x: Tensor<3>) -> Batch {
        let (states, last) = self.forward_with_state(x, None);
        if self.return_sequences { Batch::Sequence(states) } else { Batch::Flat(last) }
    }

    /// Every step's state (N, steps, units) and the last (N, units), from
    /// `initial` (zeros when `None`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Gru::new(4).build(2, &device());
    /// let (states, last) = layer.forward_with_state(Tensor::<3>::ones([1, 3, 2], &device()), None);
    /// assert_eq!(states.slice([0..1, 2..3, 0..4]).values(), last.values());
    /// ```
    pub fn forward_with_state(&self, x: Tensor<3>, initial: Option<Tensor<2>>) -> (Tensor<3>, Tensor<2>) {
        let [n, _, _] = x.dims();
        let units = self.units();
        let mut h = initial.unwrap_or_else(|| Tensor::zeros([n, units], &x.device()));
        let recurrent = self.recurrent_kernel.val();
        let recurrent_bias = self.recurrent_bias.as_ref().map(|b| b.val().unsqueeze::<2>());
        // Without reset_after the candidate's product needs r_t first: z and r
        // share one product, the candidate gets its own.
        let u_zr = recurrent.clone().narrow(1, 0, 2 * units);
        let u_h = recurrent.clone().narrow(1, 2 * units, units);
        let gate = |a| self.recurrent_activation.apply(a);
        let mut states = Vec::new();
        for xw in project_inputs(x, self.kernel.val(), self.bias.val()) {
            let mut x_blocks = xw.split(units, 1).into_iter();
            let (x_z, x_r, x_h) = (
                x_blocks.next().expect("3 blocks"),
                x_blocks.next().expect("3 blocks"),
                x_blocks.next().expect("3 blocks"),
            );
            let (z, candidate) = match &recurrent_bias {
                Some(b) => {
                    let mut h_blocks =
                        (h.clone().matmul(recurrent.clone()) + b.clone()).split(units, 1).into_iter();
                    let (h_z, h_r, h_h) = (
                        h_blocks.next().expect("3 blocks"),
                        h_blocks.next().expect("3 blocks"),
                        h_blocks.next().expect("3 blocks"),
                    );
                    let r = gate(x_r + h_r);
                    (gate(x_z + h_z), self.activation.apply(x_h + r * h_h))
                }
                None => {
                    let mut h_blocks = h.clone().matmul(u_zr.clone()).split(units, 1).into_iter();
                    let (h_z, h_r) = (h_blocks.next().expect("2 blocks"), h_blocks.next().expect("2 blocks"));
                    let r = gate(x_r + h_r);
                    (gate(x_z + h_z), self.activation.apply(x_h + (r * h.clone()).matmul(u_h.clone())))
                }
            };
            // h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃_t, written as h̃ + z ⊙ (h − h̃): one product fewer.
            h = candidate.clone() + z * (h - candidate);
            states.push(h.clone());
        }
        (Tensor::stack(states, 1), h)
    }
}

impl BuiltLayer for GruLayer {
    const KIND: &'static str = "GRU";

    fn forward(&self, x: Batch) -> Batch {
        match x {
            Batch::Sequence(t) => GruLayer::forward(self, t),
            x => self.wrong_batch(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::simple_rnn::reference::*;
    use super::*;
    use crate::model::Sequential;
    use crate::tensor_view::Values;
    use burn::tensor::Distribution;

    /// The GRU equations of the module docs (both variants), plain f32, every step's h.
    fn by_hand(layer: &GruLayer, x: Tensor<3>) -> Vec<f32> {
        let units = layer.units();
        let (w, u, b) =
            (rows(layer.kernel.val()), rows(layer.recurrent_kernel.val()), layer.bias.val().values());
        let b_rec = layer.recurrent_bias.as_ref().map(|b| b.val().values());
        let x_part = |g: usize, x_t: &[f32]| add(&times(x_t, &block(&w, g, units)), &b[g * units..][..units]);
        let h_part = |g: usize, h: &[f32]| {
            let product = times(h, &block(&u, g, units));
            match &b_rec {
                Some(b_rec) => add(&product, &b_rec[g * units..][..units]),
                None => product,
            }
        };
        let mut out = Vec::new();
        for sequence in sequences(x) {
            let mut h = vec![0.0; units];
            for x_t in sequence {
                let z = map(&add(&x_part(0, &x_t), &h_part(0, &h)), sigmoid);
                let r = map(&add(&x_part(1, &x_t), &h_part(1, &h)), sigmoid);
                let recurrent =
                    if b_rec.is_some() { mul(&r, &h_part(2, &h)) } else { h_part(2, &mul(&r, &h)) };
                let candidate = map(&add(&x_part(2, &x_t), &recurrent), f32::tanh);
                h = add(&mul(&z, &h), &mul(&map(&z, |z| 1.0 - z), &candidate));
                out.extend(h.clone());
            }
        }
        out
    }

    #[test]
    fn follows_its_equations_in_both_variants() {
        let device = crate::device::device();
        for reset_after in [false, true] {
            let mut layer = Gru::new(3).reset_after(reset_after).return_sequences(true).build(2, &device);
            let random = || Param::from_tensor(Tensor::random([9], Distribution::Normal(0.0, 1.0), &device));
            layer.bias = random();
            if reset_after {
                layer.recurrent_bias = Some(random());
            }
            let x = Tensor::<3>::random([2, 4, 2], Distribution::Normal(0.0, 1.0), &device);
            let Batch::Sequence(hs) = layer.forward(x.clone()) else { panic!("a sequence") };
            assert_close(hs.values(), by_hand(&layer, x));
        }
    }

    #[test]
    fn counts_parameters_as_keras() {
        let model = Sequential::with_input([28, 28]).add(Gru::new(64)).unwrap();
        assert_eq!(model.summary().rows[0], ("GRU".to_owned(), vec![64], 3 * 64 * (64 + 28 + 1)));
        let keras2 = Sequential::with_input([28, 28]).add(Gru::new(64).reset_after(true)).unwrap();
        assert_eq!(keras2.num_params(), 3 * 64 * (64 + 28) + 2 * 3 * 64);
    }

    #[test]
    fn gradients_reach_every_weight() {
        let device = crate::device::device();
        let layer = Gru::new(3).build(2, &device);
        let x = Tensor::<3>::random([2, 5, 2], Distribution::Normal(0.0, 1.0), &device);
        let grads = layer.forward(x).into_flat().sum().backward();
        for weight in [layer.kernel.val(), layer.recurrent_kernel.val()] {
            assert!(weight.grad(&grads).expect("a gradient").values().iter().any(|g| g.abs() > 0.0));
        }
    }
}
