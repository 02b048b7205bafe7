//! Keras's `Embedding`: each word index becomes a learned vector, so that a
//! batch of sentences (N, steps) becomes a batch of sequences (N, steps, output_dim)
//! for a recurrent layer. PyTorch's `nn.Embedding`.
//!
//! ```
//! use fireside::prelude::*;
//! // seed E 4.1.2: Embedding(input_dim=10000, output_dim=64, input_length=100)
//! let model = Sequential::new().add(Embedding::new(10000, 64).input_length(100))?;
//! assert_eq!(model.output_shape(), [100, 64]);
//! assert_eq!(model.num_params(), 10000 * 64);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{Batch, BuiltLayer, LayerDescription, LayerError};
use crate::fused;
use burn::module::Module;
use burn::nn::{Embedding as BurnEmbedding, EmbeddingConfig, Initializer};
use burn::tensor::{Device, Int, Tensor};

/// A lookup table of `input_dim` vectors of `output_dim` values: word `i`
/// becomes row `i` of the table.
///
/// ```
/// use fireside::prelude::*;
/// let layer = Embedding::new(50, 8).build(&device());
/// let words = Tensor::<2, Int>::from_ints([[3, 1, 4], [1, 5, 9]], &device());
/// assert_eq!(layer.forward(words).dims(), [2, 3, 8]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    /// The size of the vocabulary: indices run from 0 to `input_dim - 1`.
    pub input_dim: usize,
    /// The length of each word's vector.
    pub output_dim: usize,
    /// `[steps]` of one input example, for a model's first layer.
    pub input_shape: Option<Vec<usize>>,
}

impl Embedding {
    /// A table for `input_dim` words of `output_dim` values each (Keras: `Embedding(input_dim, output_dim)`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let embedding = Embedding::new(10000, 64);
    /// assert_eq!((embedding.input_dim, embedding.output_dim), (10000, 64));
    /// ```
    pub fn new(input_dim: usize, output_dim: usize) -> Self {
        Embedding { input_dim, output_dim, input_shape: None }
    }

    /// The number of words per example, when this is a model's first layer
    /// (Keras 2's `input_length`): the input shape is `[steps]`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::new().add(Embedding::new(100, 8).input_length(20))?;
    /// assert_eq!(model.input_shape(), [20]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn input_length(self, steps: usize) -> Self {
        self.input_shape([steps])
    }

    /// The shape of one input example, `[steps]`, when this is a model's
    /// first layer (Keras 3: `Input(shape=(steps,))`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::new().add(Embedding::new(100, 8).input_shape([20]))?;
    /// assert_eq!(model.input_shape(), [20]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn input_shape(mut self, shape: [usize; 1]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// The layer's table, initialized as Keras does: uniform in [−0.05, 0.05].
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Embedding::new(10, 4).build(&device());
    /// assert_eq!(layer.embedding.weight.val().dims(), [10, 4]);   // one row per word
    /// ```
    pub fn build(&self, device: &Device) -> EmbeddingLayer {
        let embedding = EmbeddingConfig::new(self.input_dim, self.output_dim)
            .with_initializer(Initializer::Uniform { min: -0.05, max: 0.05 })
            .init(device);
        EmbeddingLayer { embedding }
    }
}

impl LayerDescription for Embedding {
    type Built = EmbeddingLayer;

    fn input_shape(&self) -> Option<Vec<usize>> {
        self.input_shape.clone()
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        match input {
            [steps] => Ok(vec![*steps, self.output_dim]),
            other => Err(LayerError::WrongRank {
                layer: "Embedding",
                expected: "word indices [steps]",
                got: other.to_vec(),
            }),
        }
    }

    fn build(&self, input: &[usize], device: &Device) -> Result<EmbeddingLayer, LayerError> {
        self.output_shape(input)?;
        Ok(Embedding::build(self, device))
    }
}

/// A built [`Embedding`]: burn's `Embedding` module, whose `weight` is the
/// (input_dim, output_dim) table.
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::new().add(Embedding::new(10, 4).input_length(3))?;
/// let Layer::Embedding(layer) = &model.layers[0] else { unreachable!() };
/// assert_eq!(layer.shape(), (10, 4));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Module, Debug)]
pub struct EmbeddingLayer {
    /// burn's lookup table.
    pub embedding: BurnEmbedding,
}

impl EmbeddingLayer {
    /// Looks up each index of (N, steps): (N, steps, output_dim). Indices
    /// must be below `input_dim`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Embedding::new(10, 4).build(&device());
    /// let table = layer.embedding.weight.val();
    /// let y = layer.forward(Tensor::<2, Int>::from_ints([[7]], &device()));
    /// assert_eq!(y.values(), table.slice([7..8, 0..4]).values());   // word 7 is row 7
    /// ```
    pub fn forward(&self, words: Tensor<2, Int>) -> Tensor<3> {
        let table = self.embedding.weight.val();
        match fused::available(&table) {
            true => fused::embedding(table, words),
            false => self.embedding.forward(words),
        }
    }

    /// (input_dim, output_dim)
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Embedding::new(10000, 64).build(&device()).shape(), (10000, 64));
    /// ```
    pub fn shape(&self) -> (usize, usize) {
        let [words, width] = self.embedding.weight.val().dims();
        (words, width)
    }
}

impl BuiltLayer for EmbeddingLayer {
    const KIND: &'static str = "Embedding";

    fn forward(&self, x: Batch) -> Batch {
        match x {
            Batch::Tokens(t) => Batch::Sequence(EmbeddingLayer::forward(self, t)),
            // Word indices that arrive as floats (Keras casts them too).
            Batch::Flat(t) => Batch::Sequence(EmbeddingLayer::forward(self, t.int())),
            x => self.wrong_batch(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::Activation;
    use crate::layers::{Batch, Dense, Lstm};
    use crate::losses::Loss;
    use crate::model::Sequential;
    use crate::optimizers::Optimizer;
    use crate::tensor_view::Values;
    use crate::training::{Fit, Metric};

    #[test]
    fn looks_up_rows() {
        let device = crate::device::device();
        let layer = Embedding::new(5, 2).build(&device);
        let table = layer.embedding.weight.val().values();
        let y = layer.forward(Tensor::<2, Int>::from_ints([[4, 0]], &device));
        assert_eq!(y.values(), [&table[8..10], &table[0..2]].concat());
    }

    #[test]
    fn needs_word_indices() {
        let error = Sequential::with_input([3, 4]).add(Embedding::new(10, 2)).unwrap_err();
        assert!(error.to_string().contains("word indices [steps]"), "{error}");
    }

    /// Embedding + LSTM + Dense learns whether word 1 occurs in a sentence.
    #[test]
    fn trains_on_token_batches() {
        crate::device::seed(3);
        let device = crate::device::device();
        let sentences: Vec<i64> =
            (0..128).flat_map(|i| (0..6).map(move |s| ((i * 7 + s * 3) % 5 + 2) as i64)).collect();
        let mut words =
            Tensor::<2, Int>::from_data(burn::tensor::TensorData::new(sentences, [128, 6]), &device);
        // Half the sentences get word 1 at a position that varies.
        let mut labels = Vec::new();
        for i in 0..128 {
            let has = i % 2 == 0;
            if has {
                let position = i % 6;
                words = words.slice_assign([i..i + 1, position..position + 1], Tensor::ones([1, 1], &device));
            }
            labels.push(if has { 1.0f32 } else { 0.0 });
        }
        let labels = Tensor::<2>::from_data(burn::tensor::TensorData::new(labels, [128, 1]), &device);
        let network = Sequential::new()
            .add(Embedding::new(8, 8).input_length(6))
            .unwrap()
            .add(Lstm::new(8))
            .unwrap()
            .add(Dense::new(1).activation(Activation::Sigmoid))
            .unwrap();
        assert_eq!(network.summary().rows[0].2, 8 * 8);
        let mut model = network.compile(
            Optimizer::adam().learning_rate(0.02),
            Loss::BinaryCrossEntropy { from_logits: false },
            &[Metric::Accuracy],
        );
        let batch: Batch = words.clone().into();
        assert!(matches!(batch, Batch::Tokens(_)));
        let history =
            model.fit(words.clone(), labels.clone(), Fit::epochs(30).batch_size(32).quiet()).unwrap();
        let result = model.evaluate(words, labels).unwrap();
        assert!(result.accuracy.unwrap() > 0.95, "loss {:?}, {result:?}", history.loss());
    }
}
