//! 2-D max pooling over windows inside the image (Keras's `"valid"`), as one
//! operation that keeps, for every output, which value of its window won:
//! the backward pass adds each output's gradient there.
//!
//! flex pools through its general 3-D pooling, which works out every
//! element's place with divisions; it was a third of the seed CNN's step
//! once the convolutions were fused (BENCHMARKS.md, "CPU training"). Here,
//! for each kernel position, the values under every window of a group of
//! planes are gathered and compared in one vector loop ([`pool_planes`]),
//! the planes cut into one part per core.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{Tensor, TensorData};

use super::matrix::{batch_parts, contiguous, in_parallel, per_part, per_part_mut, vectorized, zeros};

/// The backends that have the fused max pooling: flex, with or without autodiff.
#[backend_extension(Flex, Autodiff)]
pub trait MaxPool2dBackend: Backend {
    /// Images x (N, C, H, W) → the largest value of each `size` window,
    /// `strides` apart: (N, C, (H − size)/stride + 1, (W − size)/stride + 1).
    fn max_pool2d(x: FloatTensor<Self>, size: [usize; 2], strides: [usize; 2]) -> FloatTensor<Self>;
}

/// The largest value of each `size` window of images x (N, C, H, W), the
/// windows `strides` apart and inside the image. Only where
/// [`available`](super::available) says so.
///
/// ```
/// use fireside::prelude::*;
/// let x = Tensor::<4>::from_floats([[[[1.0, 5.0, 2.0], [3.0, 4.0, 0.0]]]], &device());
/// if fireside::fused::available(&x) {
///     let y = fireside::fused::max_pool2d(x, [2, 2], [1, 1]);
///     assert_eq!(y.values(), [5.0, 5.0]);
/// }
/// ```
pub fn max_pool2d(x: Tensor<4>, size: [usize; 2], strides: [usize; 2]) -> Tensor<4> {
    let [_, _, height, width] = x.dims();
    assert!(
        size.iter().chain(&strides).all(|&s| s > 0)
            && size[0] * size[1] <= 256
            && height >= size[0]
            && width >= size[1],
        "max pooling takes windows and strides of at least 1 and windows of at most 256 values \
         that fit in the image; got windows {size:?}, strides {strides:?} on images {:?}",
        x.dims()
    );
    Tensor::from_dispatch(<Dispatch as MaxPool2dBackend>::max_pool2d(x.into_dispatch(), size, strides))
}

impl MaxPool2dBackend for Flex {
    fn max_pool2d(x: FlexTensor, size: [usize; 2], strides: [usize; 2]) -> FlexTensor {
        forward(&x, size, strides).0
    }
}

/// What the backward pass reads: the pooling's sizes and, for every
/// output, which of its window's values was the largest (`ky·kw + kx`).
#[derive(Clone, Debug)]
struct Saved {
    plane: Plane,
    input: [usize; 4],
    winners: Vec<u8>,
}

#[derive(Debug)]
struct MaxPool2dBackward;

impl Backward<Flex, 1> for MaxPool2dBackward {
    type State = Saved;

    fn backward(self, ops: Ops<Saved, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let [Some(node)] = ops.parents else { return };
        let Saved { plane: p, input, winners } = &ops.state;
        let (p, grad) = (*p, contiguous(&grad));
        let (planes, plane, pooled) = (input[0] * input[1], input[2] * input[3], p.oh * p.ow);
        let mut d_x = zeros(planes * plane);
        let parts = batch_parts(planes);
        let jobs = per_part_mut(&mut d_x, plane, &parts)
            .into_iter()
            .zip(per_part(&grad, pooled, &parts))
            .zip(per_part(winners, pooled, &parts))
            .map(|((d_x, grad), winners)| {
                move || {
                    // Where each kernel position lies from its window's corner
                    // (a division per value to find ky and kx cost a fifth of the step).
                    let offsets: Vec<usize> = (0..p.kh * p.kw).map(|k| k / p.kw * p.w + k % p.kw).collect();
                    let planes = d_x.chunks_exact_mut(plane).zip(grad.chunks_exact(pooled));
                    for ((d_x, grad), winners) in planes.zip(winners.chunks_exact(pooled)) {
                        let rows = grad.chunks_exact(p.ow).zip(winners.chunks_exact(p.ow));
                        for (oy, (grad, winners)) in rows.enumerate() {
                            let corner = oy * p.sy * p.w;
                            for (ox, (g, &k)) in grad.iter().zip(winners).enumerate() {
                                d_x[corner + ox * p.sx + offsets[k as usize]] += g;
                            }
                        }
                    }
                }
            });
        in_parallel(jobs.collect());
        grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(d_x, input.to_vec())));
    }
}

impl<C: CheckpointStrategy> MaxPool2dBackend for Autodiff<Flex, C> {
    fn max_pool2d(x: FloatTensor<Self>, size: [usize; 2], strides: [usize; 2]) -> FloatTensor<Self> {
        // Memory-bound, but which values won is what the backward pass needs: kept.
        let prep = MaxPool2dBackward.prepare::<C>([x.node()]).compute_bound().stateful();
        let x = Self::inner(x);
        match prep {
            OpsKind::Tracked(prep) => {
                let (y, winners, plane) = forward(&x, size, strides);
                let input = x.layout().shape();
                prep.finish(Saved { plane, input: [input[0], input[1], input[2], input[3]], winners }, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(&x, size, strides).0),
        }
    }
}

/// The pooled images, which value of each window won, and the sizes.
fn forward(x: &FlexTensor, [kh, kw]: [usize; 2], [sy, sx]: [usize; 2]) -> (FlexTensor, Vec<u8>, Plane) {
    let shape = x.layout().shape();
    let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3]);
    let (oh, ow) = ((h - kh) / sy + 1, (w - kw) / sx + 1);
    let p = Plane { w, oh, ow, kh, kw, sy, sx };
    let x = contiguous(x);
    let mut y = zeros(planes * oh * ow);
    let mut winners = vec![0u8; planes * oh * ow];
    let parts = batch_parts(planes);
    let jobs = per_part(&x, h * w, &parts)
        .into_iter()
        .zip(per_part_mut(&mut y, oh * ow, &parts))
        .zip(per_part_mut(&mut winners, oh * ow, &parts))
        .map(|((x, y), winners)| {
            move || {
                // Planes in groups of at least 256 windows (see `pool_planes`).
                let group = 256usize.div_ceil(oh * ow);
                let mut under = vec![0.0f32; group * oh * ow];
                let planes = x.chunks(group * h * w).zip(y.chunks_mut(group * oh * ow));
                for ((x, y), winners) in planes.zip(winners.chunks_mut(group * oh * ow)) {
                    pool_planes(x, y, winners, &mut under, p);
                }
            }
        });
    in_parallel(jobs.collect());
    let y = FlexTensor::from_data(TensorData::new(y, [shape[0], shape[1], oh, ow]));
    (y, winners, p)
}

/// A plane's sizes: its width, the output's rows and columns, the window and the strides.
#[derive(Clone, Copy, Debug)]
struct Plane {
    w: usize,
    oh: usize,
    ow: usize,
    kh: usize,
    kw: usize,
    sy: usize,
    sx: usize,
}

/// Image planes' maxima and which value of each window they are. On real
/// feature maps which value of a window wins is a coin toss: as a branch
/// per comparison (what the compiler made of every scalar select), pooling
/// was a quarter of the seed CNN's step. So for each kernel position the
/// value under every window of the planes is gathered into `under`, and
/// [`keep_larger`] compares them all at once, in vector registers; a row
/// of windows alone (13 in the seed CNN) is too short for them.
fn pool_planes(x: &[f32], y: &mut [f32], winners: &mut [u8], under: &mut [f32], p: Plane) {
    let (pooled, plane) = (p.oh * p.ow, x.len() / (y.len() / p.oh / p.ow));
    let under = &mut under[..y.len()];
    for ky in 0..p.kh {
        for kx in 0..p.kw {
            for (x, under) in x.chunks_exact(plane).zip(under.chunks_exact_mut(pooled)) {
                for (oy, under) in under.chunks_exact_mut(p.ow).enumerate() {
                    let first = (oy * p.sy + ky) * p.w + kx;
                    let line = &x[first..first + (p.ow - 1) * p.sx + 1];
                    under.iter_mut().zip(line.iter().step_by(p.sx)).for_each(|(v, x)| *v = *x);
                }
            }
            let k = (ky * p.kw + kx) as u8;
            if k == 0 {
                y.copy_from_slice(under);
                winners.fill(0);
            } else {
                keep_larger(under, k, y, winners);
            }
        }
    }
}

vectorized! {
    /// See [`keep_larger_loop`].
    fn keep_larger(under: &[f32], k: u8, best: &mut [f32], winners: &mut [u8]) => keep_larger_loop
}

/// `best` becomes `under` where that is larger (or NaN: NaN wins and stays,
/// as in burn and PyTorch), and `winners` then becomes `k`.
#[inline(always)]
fn keep_larger_loop(under: &[f32], k: u8, best: &mut [f32], winners: &mut [u8]) {
    let n = under.len().min(best.len()).min(winners.len());
    let (under, best, winners) = (&under[..n], &mut best[..n], &mut winners[..n]);
    for i in 0..n {
        // Every value read first: a read inside a select kept the loop scalar.
        let (v, b, w) = (under[i], best[i], winners[i]);
        let take = (v > b) | (v.is_nan() & !b.is_nan());
        best[i] = if take { v } else { b };
        winners[i] = if take { k } else { w };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use burn::tensor::module::max_pool2d as general_max_pool2d;
    use burn::tensor::ops::MaxPoolOptions;

    /// The fused pooling against burn's, the output and the input's gradient.
    fn check(x: [usize; 4], size: [usize; 2], strides: [usize; 2]) {
        let device = crate::device::device();
        let x = Tensor::<4>::random(x, Distribution::Normal(0.0, 1.0), &device).require_grad();
        if !crate::fused::available(&x) {
            return; // the fused pooling runs on flex, the tests' backend on a machine without a GPU
        }
        let general =
            general_max_pool2d(x.clone(), MaxPoolOptions { stride: strides, ..MaxPoolOptions::new(size) });
        let fused = max_pool2d(x.clone(), size, strides);
        assert_eq!(fused.dims(), general.dims());
        assert_eq!(fused.clone().values(), general.clone().values());
        let weights = Tensor::<4>::random(general.dims(), Distribution::Normal(0.0, 1.0), &device);
        let general_grads = (general * weights.clone()).sum().backward();
        let fused_grads = (fused * weights).sum().backward();
        let (f, g) = (x.grad(&fused_grads).unwrap().values(), x.grad(&general_grads).unwrap().values());
        for (i, (f, g)) in f.iter().zip(&g).enumerate() {
            assert!((f - g).abs() <= 1e-5 * (1.0 + g.abs()), "element {i}: fused {f}, general {g}");
        }
    }

    #[test]
    fn max_pooling_matches_burns() {
        check([17, 3, 26, 26], [2, 2], [2, 2]); // the seed CNN's, odd planes per part
        check([2, 2, 11, 11], [2, 2], [2, 2]); // a row and a column left over
        check([2, 3, 7, 9], [3, 2], [1, 2]); // overlapping windows: gradients add up
    }

    #[test]
    fn nan_wins_as_in_burn() {
        let device = crate::device::device();
        let x = Tensor::<4>::from_floats([[[[1.0, f32::NAN], [3.0, 2.0]]]], &device);
        if crate::fused::available(&x) {
            assert!(max_pool2d(x, [2, 2], [2, 2]).values()[0].is_nan());
        }
    }
}
