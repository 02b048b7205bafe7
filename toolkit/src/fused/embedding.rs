//! A word-embedding lookup, forward and backward, split over the cores.
//! burn's runs on the calling thread while the other cores wait, and its
//! backward pass makes its zero gradient table twice (zeros, then an aligned
//! copy of them): a tenth of the benchmark's LSTM step (BENCHMARKS.md, "CPU
//! training"). Here:
//! - forward: each core copies the table rows of its part of the words;
//! - backward: each core owns a range of the table's rows, zeroes it and
//!   adds into it the gradient of every word in its range, so that no two
//!   cores write the same row.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::{FloatTensor, IntTensor};
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{DType, Int, Tensor, TensorData};

use super::matrix::{
    add_into, batch_parts, contiguous, in_parallel, per_part, per_part_mut, unwritten, write_copy, written,
    zeros,
};

/// The backends that have the fused lookup: flex, with or without autodiff.
#[backend_extension(Flex, Autodiff)]
pub trait EmbeddingBackend: Backend {
    /// The table (words, width) and word indices (N, steps) → each word's
    /// row (N, steps, width).
    fn embedding(table: FloatTensor<Self>, words: IntTensor<Self>) -> FloatTensor<Self>;
}

/// Each word's row of `table` (words, width), for word indices (N, steps):
/// (N, steps, width). Only where [`available`](super::available) says so.
///
/// ```
/// use fireside::prelude::*;
/// let device = device();
/// let table = Tensor::<2>::from_floats([[0.0, 0.5], [1.0, 1.5], [2.0, 2.5]], &device);
/// let words = Tensor::<2, Int>::from_ints([[2, 0]], &device);
/// if fireside::fused::available(&table) {
///     assert_eq!(fireside::fused::embedding(table, words).values(), [2.0, 2.5, 0.0, 0.5]);
/// }
/// ```
pub fn embedding(table: Tensor<2>, words: Tensor<2, Int>) -> Tensor<3> {
    Tensor::from_dispatch(<Dispatch as EmbeddingBackend>::embedding(
        table.into_dispatch(),
        words.into_dispatch(),
    ))
}

impl EmbeddingBackend for Flex {
    fn embedding(table: FlexTensor, words: FlexTensor) -> FlexTensor {
        forward(&table, &Words::of(&words, &table)).0
    }
}

/// What the backward pass reads: the words, and the table's shape.
#[derive(Clone, Debug)]
struct Saved {
    words: Vec<usize>,
    table_rows: usize,
    width: usize,
}

/// Word indices (N, steps) as table rows, in order.
struct Words {
    rows: Vec<usize>,
    shape: [usize; 2],
}

#[derive(Debug)]
struct EmbeddingBackward;

impl Backward<Flex, 1> for EmbeddingBackward {
    type State = Saved;

    fn backward(self, ops: Ops<Saved, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let [table] = ops.parents;
        if let Some(node) = table {
            let Saved { words, table_rows, width } = &ops.state;
            let d_table = backward(words, &contiguous(&grad), *table_rows, *width);
            grads.register::<Flex>(
                node.id,
                FlexTensor::from_data(TensorData::new(d_table, [*table_rows, *width])),
            );
        }
    }
}

impl<C: CheckpointStrategy> EmbeddingBackend for Autodiff<Flex, C> {
    fn embedding(table: FloatTensor<Self>, words: IntTensor<Self>) -> FloatTensor<Self> {
        // Memory-bound, but the words are all it keeps.
        let prep = EmbeddingBackward.prepare::<C>([table.node()]).compute_bound().stateful();
        let table = Self::inner(table);
        let words = Words::of(&words, &table);
        match prep {
            OpsKind::Tracked(prep) => {
                let (output, width) = forward(&table, &words);
                let table_rows = table.layout().shape()[0];
                prep.finish(Saved { words: words.rows, table_rows, width }, output)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(&table, &words).0),
        }
    }
}

impl Words {
    /// The word indices (N, steps), each checked against the table's rows (words, width).
    fn of(words: &FlexTensor, table: &FlexTensor) -> Self {
        let (shape, table_shape) = (words.layout().shape(), table.layout().shape());
        assert!(
            shape.num_dims() == 2 && table_shape.num_dims() == 2,
            "an embedding looks up (N, steps) word indices in a (words, width) table; got {:?} and {:?}",
            shape,
            table_shape
        );
        let words = words.to_contiguous();
        let values: Vec<i64> = match words.dtype() {
            DType::I64 => words.storage::<i64>().to_vec(),
            DType::I32 => words.storage::<i32>().iter().map(|&w| i64::from(w)).collect(),
            DType::U32 => words.storage::<u32>().iter().map(|&w| i64::from(w)).collect(),
            other => panic!("word indices are integers; got {other:?}"),
        };
        let table_rows = table_shape[0];
        let rows = values
            .into_iter()
            .map(|word| {
                usize::try_from(word).ok().filter(|&w| w < table_rows).unwrap_or_else(|| {
                    panic!(
                        "word index {word} is outside the embedding's {table_rows} rows: indices go from 0 to {} \
                         (raise the Embedding's input_dim, or map rarer words to one index below it)",
                        table_rows - 1
                    )
                })
            })
            .collect();
        Words { rows, shape: [shape[0], shape[1]] }
    }
}

/// Each word's row (N, steps, width), and the width.
fn forward(table: &FlexTensor, words: &Words) -> (FlexTensor, usize) {
    let (table_shape, batch, [n, steps]) = (table.layout().shape(), words.rows.len(), words.shape);
    let width = table_shape[1];
    let table = contiguous(table);
    let mut output = unwritten(batch * width);
    let parts = batch_parts(batch);
    let table = &table[..];
    let jobs = per_part(&words.rows, 1, &parts)
        .into_iter()
        .zip(per_part_mut(&mut output, width, &parts))
        .map(|(words, output)| {
            move || {
                for (row, &word) in output.chunks_exact_mut(width).zip(words) {
                    write_copy(row, &table[word * width..][..width]);
                }
            }
        });
    in_parallel(jobs.collect());
    // SAFETY: the parts cover the words, and each job wrote every word's row of its part.
    let output = unsafe { written(output) };
    (FlexTensor::from_data(TensorData::new(output, [n, steps, width])), width)
}

/// The table's gradient (table_rows, width): each word's row of `grad`
/// (one row per word, in order) added into the word's row.
fn backward(words: &[usize], grad: &[f32], table_rows: usize, width: usize) -> Vec<f32> {
    let mut d_table = zeros(table_rows * width);
    let parts = batch_parts(table_rows);
    let jobs = parts.iter().zip(per_part_mut(&mut d_table, width, &parts)).map(|(rows, d_rows)| {
        move || {
            for (word, grad) in words.iter().zip(grad.chunks_exact(width)) {
                if rows.contains(word) {
                    add_into(&mut d_rows[(word - rows.start) * width..][..width], grad);
                }
            }
        }
    });
    in_parallel(jobs.collect());
    d_table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn the_fused_lookup_matches_burns() {
        let device = crate::device::device();
        // 40 rows: two parts of the table on two cores; every word more than once.
        let table = Tensor::<2>::random([40, 5], Distribution::Normal(0.0, 1.0), &device).require_grad();
        if !crate::fused::available(&table) {
            return; // the fused lookup runs on flex, the tests' backend on a machine without a GPU
        }
        let indices: Vec<i64> = (0..3 * 30).map(|i| (i * 7 % 40) as i64).collect();
        let words = Tensor::<2, Int>::from_data(TensorData::new(indices, [3, 30]), &device);
        let general = burn::tensor::module::embedding(table.clone(), words.clone());
        let fused = embedding(table.clone(), words);
        assert_eq!(fused.clone().values(), general.clone().values());
        let weights = Tensor::<3>::random([3, 30, 5], Distribution::Normal(0.0, 1.0), &device);
        let fused_grads = (fused * weights.clone()).sum().backward();
        let general_grads = (general * weights).sum().backward();
        let (fused, general) =
            (table.grad(&fused_grads).unwrap().values(), table.grad(&general_grads).unwrap().values());
        for (i, (f, g)) in fused.iter().zip(&general).enumerate() {
            assert!((f - g).abs() <= 1e-5 * (1.0 + g.abs()), "element {i}: fused {f}, general {g}");
        }
    }

    #[test]
    #[should_panic(expected = "word index 10 is outside the embedding's 10 rows")]
    fn a_word_outside_the_table_is_named() {
        let device = crate::device::device();
        let table = Tensor::<2>::zeros([10, 2], &device);
        if !crate::fused::available(&table) {
            panic!("word index 10 is outside the embedding's 10 rows (no fused lookup here)");
        }
        embedding(table, Tensor::<2, Int>::from_ints([[3, 10]], &device));
    }
}
