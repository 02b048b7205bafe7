//! Scaled dot-product attention (seed D §4, Vaswani et al. 2017):
//!
//! z = softmax(Q Kᵀ / √d_k) V
//!
//! Each query (a row of Q) scores every key (a row of K) by a dot product;
//! the softmax of a row of scores is that query's **attention weights**,
//! which sum to 1; the output is the weighted mean of the values (rows of V).
//! [`scaled_dot_product_attention`] computes it on (N, steps, d) batches;
//! [`Attention`] is the self-attention layer that learns the projections
//! Q = x W_Q, K = x W_K, V = x W_V (and an output projection), for a
//! [`Sequential`](crate::model::Sequential) or on its own.
//!
//! ```
//! use fireside::prelude::*;
//! let d = device();
//! let x = Tensor::<3>::random([2, 5, 8], Distribution::Normal(0.0, 1.0), &d);
//! let (z, weights) = scaled_dot_product_attention(x.clone(), x.clone(), x, None);
//! assert_eq!((z.dims(), weights.dims()), ([2, 5, 8], [2, 5, 5]));
//! ```

use super::{Batch, BuiltLayer, LayerDescription, LayerError};
use crate::plot::HeatMap;
use crate::tensor_view::Values;
use burn::module::{Module, Param};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Tensor, TensorData, activation};

/// softmax(Q Kᵀ / √d_k) V and the weights softmax(Q Kᵀ / √d_k).
///
/// - `q`: (N, queries, d_k), `k`: (N, keys, d_k), `v`: (N, keys, d_v);
/// - `mask`: (N or 1, queries, keys), **true where the query may look** at
///   the key (as Keras's `attention_mask` and PyTorch's boolean `attn_mask`);
///   masked keys get weight 0. See [`causal_mask`].
///
/// Returns the output (N, queries, d_v) and the weights (N, queries, keys),
/// each row of which sums to 1. Panics with the shapes if they do not fit.
///
/// ```
/// use fireside::prelude::*;
/// let d = device();
/// // One query that matches the second of two keys.
/// let q = Tensor::<3>::from_floats([[[0.0, 4.0]]], &d);
/// let k = Tensor::<3>::from_floats([[[1.0, 0.0], [0.0, 1.0]]], &d);
/// let v = Tensor::<3>::from_floats([[[10.0], [20.0]]], &d);
/// let (z, w) = scaled_dot_product_attention(q, k, v, None);
/// let w = w.values();
/// assert!((w[0] + w[1] - 1.0).abs() < 1e-6 && w[1] > 0.9);   // softmax([0, 4] / √2)
/// assert!((z.values()[0] - (10.0 * w[0] + 20.0 * w[1])).abs() < 1e-4);
/// ```
pub fn scaled_dot_product_attention(
    q: Tensor<3>,
    k: Tensor<3>,
    v: Tensor<3>,
    mask: Option<Tensor<3, Bool>>,
) -> (Tensor<3>, Tensor<3>) {
    let ([n, queries, d_k], [nk, keys, dk2], [nv, values, _]) = (q.dims(), k.dims(), v.dims());
    assert!(
        n == nk && n == nv && d_k == dk2 && keys == values,
        "attention needs q (N, queries, d_k), k (N, keys, d_k), v (N, keys, d_v); got q {:?}, k {:?}, v {:?}",
        q.dims(),
        k.dims(),
        v.dims()
    );
    let mut scores = q.matmul(k.swap_dims(1, 2)) / (d_k as f64).sqrt();
    if let Some(mask) = mask {
        let [mn, mq, mk] = mask.dims();
        assert!(
            (mn == n || mn == 1) && mq == queries && mk == keys,
            "the mask has shape {:?}; it needs ({n} or 1, {queries}, {keys}) (batch, queries, keys)",
            mask.dims()
        );
        // A large negative score rather than −∞: a row with every key masked
        // then gets uniform weights instead of NaN.
        scores = scores.mask_fill(mask.bool_not().expand([n, queries, keys]), -1.0e9);
    }
    let weights = activation::softmax(scores, 2);
    (weights.clone().matmul(v), weights)
}

/// The mask of causal (left-to-right) attention: query i may look at keys
/// 0..=i only, never at later steps. Shape (1, steps, steps).
///
/// ```
/// use fireside::prelude::*;
/// use fireside::attention::causal_mask;
/// let mask = causal_mask(3, &device());
/// let allowed: Vec<bool> = mask.into_data().iter::<bool>().collect();
/// assert_eq!(allowed, vec![true, false, false, true, true, false, true, true, true]);
/// ```
pub fn causal_mask(steps: usize, device: &Device) -> Tensor<3, Bool> {
    let allowed: Vec<bool> = (0..steps).flat_map(|i| (0..steps).map(move |j| j <= i)).collect();
    Tensor::from_data(TensorData::new(allowed, [1, steps, steps]), device)
}

/// A heat map of one example's attention weights: queries as rows, keys as
/// columns (`weights` is (N, queries, keys), as the functions here return).
/// Add `.labels(...)` to name the steps.
///
/// ```
/// use fireside::prelude::*;
/// use fireside::attention::heatmap;
/// let x = Tensor::<3>::random([1, 3, 4], Distribution::Default, &device());
/// let (_, weights) = scaled_dot_product_attention(x.clone(), x.clone(), x, None);
/// let words = ["the", "cat", "sat"];
/// let map = heatmap("Self-attention", &weights, 0).labels(&words, &words);
/// assert!(map.to_svg().contains("cat"));
/// ```
pub fn heatmap(title: impl Into<String>, weights: &Tensor<3>, example: usize) -> HeatMap {
    let [n, queries, keys] = weights.dims();
    assert!(example < n, "example {example} does not exist: the weights hold {n} examples");
    let values = weights.clone().slice([example..example + 1, 0..queries, 0..keys]).values();
    let rows = values.chunks(keys.max(1)).map(<[f32]>::to_vec).collect();
    HeatMap::new(title, rows).axis_names("key", "query")
}

/// Self-attention with learned projections: Q = x W_Q + b_Q, K = x W_K + b_K,
/// V = x W_V + b_V of width `d_model`, then softmax(Q Kᵀ / √d_model) V, then
/// an output projection. (N, steps, features) → (N, steps, d_model).
/// One head: Keras's `MultiHeadAttention(num_heads=1, key_dim=d_model)`
/// with `output_shape=d_model`, or PyTorch's `nn.MultiheadAttention(d_model, 1)`
/// when features = d_model. It has 3·(features·d + d) + (d·d + d) parameters.
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::new()
///     .add(Attention::new(16).causal(true).input_shape([10, 8]))?
///     .add(Flatten)?
///     .add(Dense::new(2))?;
/// assert_eq!(model.summary().rows[0], ("Attention".to_owned(), vec![10, 16], 3 * (8 * 16 + 16) + (16 * 16 + 16)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Attention {
    /// The width of the queries, keys, values and output.
    pub d_model: usize,
    /// Whether step i may only attend to steps 0..=i (default false).
    pub causal: bool,
    /// `[steps, features]` of one input example, for a model's first layer.
    pub input_shape: Option<Vec<usize>>,
}

impl Attention {
    /// Self-attention of width `d_model`, every step seeing every step.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let attention = Attention::new(32);
    /// assert_eq!((attention.d_model, attention.causal), (32, false));
    /// ```
    pub fn new(d_model: usize) -> Self {
        Attention { d_model, causal: false, input_shape: None }
    }

    /// Causal attention: no step sees later steps (see [`causal_mask`]).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert!(Attention::new(8).causal(true).causal);
    /// ```
    pub fn causal(mut self, causal: bool) -> Self {
        self.causal = causal;
        self
    }

    /// The shape of one input sequence, `[steps, features]`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::new().add(Attention::new(8).input_shape([5, 4]))?;
    /// assert_eq!(model.output_shape(), [5, 8]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn input_shape(mut self, shape: [usize; 2]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// The layer's projections for `features` inputs per step:
    /// Glorot-uniform weights, zero biases (as Keras).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Attention::new(8).build(4, &device());
    /// assert_eq!(layer.query.weight.val().dims(), [4, 8]);   // W_Q
    /// assert_eq!(layer.output.weight.val().dims(), [8, 8]);
    /// ```
    pub fn build(&self, features: usize, device: &Device) -> AttentionLayer {
        let linear = |inputs: usize| {
            let mut linear = LinearConfig::new(inputs, self.d_model)
                .with_initializer(Initializer::XavierUniform { gain: 1.0 })
                .init(device);
            linear.bias = linear.bias.map(|b| Param::from_tensor(b.val().zeros_like()));
            linear
        };
        AttentionLayer {
            query: linear(features),
            key: linear(features),
            value: linear(features),
            output: linear(self.d_model),
            causal: self.causal,
        }
    }
}

impl LayerDescription for Attention {
    type Built = AttentionLayer;

    fn input_shape(&self) -> Option<Vec<usize>> {
        self.input_shape.clone()
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        match input {
            [steps, _] => Ok(vec![*steps, self.d_model]),
            other => Err(LayerError::WrongRank {
                layer: "Attention",
                expected: "sequences [steps, features] (an Embedding or a recurrent layer with return_sequences before it)",
                got: other.to_vec(),
            }),
        }
    }

    fn build(&self, input: &[usize], device: &Device) -> Result<AttentionLayer, LayerError> {
        self.output_shape(input)?;
        Ok(Attention::build(self, input[1], device))
    }
}

/// A built [`Attention`] layer: four burn `Linear` projections.
///
/// ```
/// use fireside::prelude::*;
/// let layer = Attention::new(8).build(8, &device());
/// let x = Tensor::<3>::random([2, 5, 8], Distribution::Default, &device());
/// let weights = layer.attention_weights(x.clone());
/// assert_eq!((layer.forward(x).dims(), weights.dims()), ([2, 5, 8], [2, 5, 5]));
/// ```
#[derive(Module, Debug)]
pub struct AttentionLayer {
    /// W_Q, b_Q: the queries.
    pub query: Linear,
    /// W_K, b_K: the keys.
    pub key: Linear,
    /// W_V, b_V: the values.
    pub value: Linear,
    /// The output projection of z.
    pub output: Linear,
    /// Whether step i only sees steps 0..=i.
    #[module(skip)]
    pub causal: bool,
}

impl AttentionLayer {
    /// Self-attention over x (N, steps, features): (N, steps, d_model).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Attention::new(6).build(4, &device());
    /// assert_eq!(layer.forward(Tensor::<3>::ones([2, 3, 4], &device())).dims(), [2, 3, 6]);
    /// ```
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.forward_with_weights(x).0
    }

    /// The output and the attention weights (N, steps, steps), e.g. to plot them with [`heatmap`].
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Attention::new(4).causal(true).build(4, &device());
    /// let (_, weights) = layer.forward_with_weights(Tensor::<3>::ones([1, 3, 4], &device()));
    /// assert_eq!(weights.values()[1], 0.0);   // the first step cannot see the second
    /// ```
    pub fn forward_with_weights(&self, x: Tensor<3>) -> (Tensor<3>, Tensor<3>) {
        self.attend(x.clone(), x)
    }

    /// The attention weights for x (N, steps, steps): row i says how much
    /// step i draws from each step. Rows sum to 1.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Attention::new(4).build(4, &device());
    /// let weights = layer.attention_weights(Tensor::<3>::ones([1, 2, 4], &device()));
    /// assert_eq!(weights.values(), vec![0.5; 4]);   // identical steps: equal weights
    /// ```
    pub fn attention_weights(&self, x: Tensor<3>) -> Tensor<3> {
        self.forward_with_weights(x).1
    }

    /// Cross-attention: the queries come from `queries` (N, q_steps, features),
    /// the keys and values from `context` (N, steps, features). Returns the
    /// output (N, q_steps, d_model) and the weights (N, q_steps, steps).
    /// A causal layer needs q_steps = steps.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Attention::new(4).build(3, &device());
    /// let (z, w) = layer.attend(Tensor::<3>::ones([2, 1, 3], &device()), Tensor::<3>::ones([2, 6, 3], &device()));
    /// assert_eq!((z.dims(), w.dims()), ([2, 1, 4], [2, 1, 6]));
    /// ```
    pub fn attend(&self, queries: Tensor<3>, context: Tensor<3>) -> (Tensor<3>, Tensor<3>) {
        let steps = context.dims()[1];
        let mask = self.causal.then(|| causal_mask(steps, &context.device()));
        let (q, k, v) =
            (self.query.forward(queries), self.key.forward(context.clone()), self.value.forward(context));
        let (z, weights) = scaled_dot_product_attention(q, k, v, mask);
        (self.output.forward(z), weights)
    }
}

impl BuiltLayer for AttentionLayer {
    const KIND: &'static str = "Attention";

    fn forward(&self, x: Batch) -> Batch {
        match x {
            Batch::Sequence(t) => Batch::Sequence(AttentionLayer::forward(self, t)),
            x => self.wrong_batch(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{Dense, Flatten, Layer};
    use crate::model::Sequential;
    use burn::tensor::Distribution;

    fn random(shape: [usize; 3]) -> Tensor<3> {
        Tensor::random(shape, Distribution::Normal(0.0, 1.0), &crate::device::device())
    }

    #[test]
    fn matches_the_formula_and_rows_sum_to_one() {
        let (q, k, v) = (random([2, 3, 4]), random([2, 5, 4]), random([2, 5, 6]));
        let (z, weights) = scaled_dot_product_attention(q.clone(), k.clone(), v.clone(), None);
        assert_eq!((z.dims(), weights.dims()), ([2, 3, 6], [2, 3, 5]));
        for row in weights.values().chunks(5) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        // By hand for example 1, query 2.
        let (qv, kv, vv) = (q.values(), k.values(), v.values());
        let query = &qv[(3 + 2) * 4..][..4];
        let scores: Vec<f32> = (0..5)
            .map(|j| query.iter().zip(&kv[(5 + j) * 4..][..4]).map(|(a, b)| a * b).sum::<f32>() / 2.0)
            .collect();
        let max = scores.iter().copied().fold(f32::MIN, f32::max);
        let total: f32 = scores.iter().map(|s| (s - max).exp()).sum();
        let w: Vec<f32> = scores.iter().map(|s| (s - max).exp() / total).collect();
        let expected: Vec<f32> = (0..6).map(|c| (0..5).map(|j| w[j] * vv[(5 + j) * 6 + c]).sum()).collect();
        let got = &z.values()[(3 + 2) * 6..][..6];
        for (g, e) in got.iter().zip(&expected) {
            assert!((g - e).abs() < 1e-5, "{got:?} vs {expected:?}");
        }
    }

    #[test]
    fn masked_keys_get_no_weight() {
        let x = random([2, 4, 3]);
        let mask = causal_mask(4, &crate::device::device());
        let (_, weights) = scaled_dot_product_attention(x.clone(), x.clone(), x, Some(mask));
        let w = weights.values();
        for (index, value) in w.iter().enumerate() {
            let (i, j) = ((index / 4) % 4, index % 4);
            if j > i {
                assert_eq!(*value, 0.0, "query {i} sees the later key {j}");
            }
        }
        for row in w.chunks(4) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        // The first query sees only itself.
        assert!((w[0] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn works_in_a_sequential_and_learns() {
        let model = Sequential::with_input([5, 3])
            .add(Attention::new(4).causal(true))
            .unwrap()
            .add(Flatten)
            .unwrap()
            .add(Dense::new(1))
            .unwrap();
        let summary = model.summary();
        assert_eq!(summary.rows[0], ("Attention".to_owned(), vec![5, 4], 3 * (3 * 4 + 4) + (4 * 4 + 4)));
        let x = random([2, 5, 3]);
        let grads = model.forward_flat(x.clone()).sum().backward();
        let Layer::Attention(attention) = &model.layers[0] else { panic!("an attention layer") };
        let grad = attention.query.weight.val().grad(&grads).expect("a gradient");
        assert!(grad.values().iter().any(|g| g.abs() > 0.0));
        assert_eq!(attention.attention_weights(x).dims(), [2, 5, 5]);
    }

    #[test]
    fn rejects_wrong_shapes() {
        let error = Sequential::with_input([8]).add(Attention::new(4)).unwrap_err();
        assert!(error.to_string().contains("sequences [steps, features]"), "{error}");
        let result = std::panic::catch_unwind(|| {
            scaled_dot_product_attention(random([1, 2, 3]), random([1, 2, 4]), random([1, 2, 4]), None)
        });
        assert!(result.is_err());
    }

    #[test]
    fn heatmap_draws_one_example() {
        let x = random([2, 3, 4]);
        let (_, weights) = scaled_dot_product_attention(x.clone(), x.clone(), x, None);
        assert!(heatmap("weights", &weights, 1).to_svg().contains("weights"));
    }
}
