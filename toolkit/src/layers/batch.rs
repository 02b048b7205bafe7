//! What flows between the layers of a [`Sequential`](crate::model::Sequential):
//! a batch of feature vectors, of sequences, of images, or of word indices.
//!
//! A tensor turns into a `Batch` by its rank, so `fit`, `predict` and
//! `forward` take plain tensors:
//!
//! ```
//! use fireside::prelude::*;
//! let images: Batch = Tensor::<4>::zeros([8, 1, 28, 28], &device()).into();
//! assert!(matches!(images, Batch::Images(_)));
//! assert_eq!(images.len(), 8);
//! ```

use burn::tensor::{Int, Tensor};

/// A batch in one of the shapes layers consume. The batch is always the
/// first dimension; images are channels-first (N, C, H, W).
///
/// ```
/// use fireside::prelude::*;
/// let batch = Batch::from(Tensor::<2>::ones([32, 784], &device()));   // 32 flat MNIST digits
/// assert_eq!(batch.dims(), [32, 784]);
/// ```
#[derive(Debug, Clone)]
pub enum Batch {
    /// (N, features)
    Flat(Tensor<2>),
    /// (N, steps, features)
    Sequence(Tensor<3>),
    /// (N, channels, height, width)
    Images(Tensor<4>),
    /// (N, steps) word (token) indices, the input of an
    /// [`Embedding`](crate::layers::Embedding).
    Tokens(Tensor<2, Int>),
}

impl Batch {
    /// The shape, batch dimension first (like `Tensor::dims`, as a `Vec`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let batch = Batch::from(Tensor::<4>::zeros([2, 3, 8, 8], &device()));
    /// assert_eq!(batch.dims(), [2, 3, 8, 8]);
    /// ```
    pub fn dims(&self) -> Vec<usize> {
        match self {
            Batch::Flat(t) => t.dims().to_vec(),
            Batch::Sequence(t) => t.dims().to_vec(),
            Batch::Images(t) => t.dims().to_vec(),
            Batch::Tokens(t) => t.dims().to_vec(),
        }
    }

    /// The number of examples (the first dimension).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Batch::from(Tensor::<2>::zeros([5, 3], &device())).len(), 5);
    /// ```
    pub fn len(&self) -> usize {
        self.dims()[0]
    }

    /// Whether the batch has no examples.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert!(!Batch::from(Tensor::<2>::zeros([5, 3], &device())).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows at `indices` (a mini-batch).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let batch = Batch::from(Tensor::<2>::from_floats([[1.0], [2.0], [3.0]], &device()));
    /// let picked = batch.select(Tensor::<1, Int>::from_ints([0, 2], &device()));
    /// assert_eq!(picked.into_flat().values(), vec![1.0, 3.0]);
    /// ```
    pub fn select(&self, indices: Tensor<1, Int>) -> Batch {
        match self {
            Batch::Flat(t) => Batch::Flat(t.clone().select(0, indices)),
            Batch::Sequence(t) => Batch::Sequence(t.clone().select(0, indices)),
            Batch::Images(t) => Batch::Images(t.clone().select(0, indices)),
            Batch::Tokens(t) => Batch::Tokens(t.clone().select(0, indices)),
        }
    }

    /// The device the batch's tensor lives on.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let batch = Batch::from(Tensor::<2>::zeros([2, 3], &device()));
    /// let noise = Tensor::<2>::random([2, 3], Distribution::Default, &batch.device());
    /// ```
    pub fn device(&self) -> burn::tensor::Device {
        match self {
            Batch::Flat(t) => t.device(),
            Batch::Sequence(t) => t.device(),
            Batch::Images(t) => t.device(),
            Batch::Tokens(t) => t.device(),
        }
    }

    /// The same values outside the autodiff graph (for evaluation).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let batch = Batch::from(Tensor::<2>::ones([2, 3], &device())).without_autodiff();
    /// assert_eq!(batch.dims(), [2, 3]);
    /// ```
    pub fn without_autodiff(self) -> Batch {
        match self {
            Batch::Flat(t) => Batch::Flat(t.inner()),
            Batch::Sequence(t) => Batch::Sequence(t.inner()),
            Batch::Images(t) => Batch::Images(t.inner()),
            Batch::Tokens(t) => Batch::Tokens(t.inner()),
        }
    }

    /// The flat tensor; panics with the shape if the batch is not flat.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let x: Tensor<2> = Batch::from(Tensor::<2>::ones([2, 3], &device())).into_flat();
    /// assert_eq!(x.dims(), [2, 3]);
    /// ```
    pub fn into_flat(self) -> Tensor<2> {
        match self {
            Batch::Flat(t) => t,
            other => panic!(
                "expected a batch of feature vectors (N, features), got shape {:?}: add Flatten",
                other.dims()
            ),
        }
    }
}

impl From<Tensor<2>> for Batch {
    fn from(t: Tensor<2>) -> Self {
        Batch::Flat(t)
    }
}

impl From<Tensor<3>> for Batch {
    fn from(t: Tensor<3>) -> Self {
        Batch::Sequence(t)
    }
}

impl From<Tensor<4>> for Batch {
    fn from(t: Tensor<4>) -> Self {
        Batch::Images(t)
    }
}

/// Word indices (N, steps) become a [`Batch::Tokens`], for an `Embedding`.
///
/// ```
/// use fireside::prelude::*;
/// let words: Batch = Tensor::<2, Int>::from_ints([[4, 1, 7], [2, 2, 0]], &device()).into();
/// assert!(matches!(words, Batch::Tokens(_)));
/// assert_eq!(words.dims(), [2, 3]);
/// ```
impl From<Tensor<2, Int>> for Batch {
    fn from(t: Tensor<2, Int>) -> Self {
        Batch::Tokens(t)
    }
}
