//! What flows between the layers of a [`Sequential`](crate::model::Sequential):
//! a batch of feature vectors, of sequences, or of images.

use burn::tensor::Tensor;

/// A batch in one of the shapes layers consume. The batch is always the
/// first dimension; images are channels-first (N, C, H, W).
#[derive(Debug, Clone)]
pub enum Batch {
    /// (N, features)
    Flat(Tensor<2>),
    /// (N, steps, features)
    Sequence(Tensor<3>),
    /// (N, channels, height, width)
    Images(Tensor<4>),
}

impl Batch {
    pub fn dims(&self) -> Vec<usize> {
        match self {
            Batch::Flat(t) => t.dims().to_vec(),
            Batch::Sequence(t) => t.dims().to_vec(),
            Batch::Images(t) => t.dims().to_vec(),
        }
    }

    pub fn len(&self) -> usize {
        self.dims()[0]
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows at `indices` (a mini-batch).
    pub fn select(&self, indices: burn::tensor::Tensor<1, burn::tensor::Int>) -> Batch {
        match self {
            Batch::Flat(t) => Batch::Flat(t.clone().select(0, indices)),
            Batch::Sequence(t) => Batch::Sequence(t.clone().select(0, indices)),
            Batch::Images(t) => Batch::Images(t.clone().select(0, indices)),
        }
    }

    pub fn device(&self) -> burn::tensor::Device {
        match self {
            Batch::Flat(t) => t.device(),
            Batch::Sequence(t) => t.device(),
            Batch::Images(t) => t.device(),
        }
    }

    /// The same values outside the autodiff graph (for evaluation).
    pub fn without_autodiff(self) -> Batch {
        match self {
            Batch::Flat(t) => Batch::Flat(t.inner()),
            Batch::Sequence(t) => Batch::Sequence(t.inner()),
            Batch::Images(t) => Batch::Images(t.inner()),
        }
    }

    /// The flat tensor; panics with the shape if the batch is not flat.
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
