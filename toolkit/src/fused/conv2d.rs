//! A 2-D convolution with its bias as one operation, forward and backward:
//!
//! ```text
//! y[n, o, p] = b[o] + Σ_k W[o, k] · cols_n[k, p]
//! ```
//!
//! where `cols_n` (C·kh·kw, OH·OW) holds, for every output pixel p, the
//! window of image n under it (im2col). flex's general convolution does the
//! same product, but the backward pass goes through a transposed convolution
//! and a convolution of the weights, with layout changes and copies around
//! each (two thirds of the seed CNN's step, BENCHMARKS.md "CPU training").
//!
//! Here the batch is cut into one part per core, as for the LSTM, and each
//! part runs on its own thread, image after image, with one windows buffer
//! that stays in the core's cache:
//! - forward: the windows of image n, then y_n = b + W · cols_n (one product),
//!   and ReLU in place when asked (Keras's `Conv2D(activation="relu")`: one
//!   pass and one autodiff node fewer than a separate activation);
//! - backward: after ReLU, dy_n masked where y_n is 0; the windows again
//!   (cheaper than keeping them), then
//!   dW += dy_n · cols_nᵀ and db += Σ_p dy_n, and, where the inputs need a
//!   gradient, dcols = Wᵀ · dy_n added back into dx_n through the windows
//!   (col2im). The parts' dW and db are summed at the end.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{Tensor, TensorData};

use super::matrix::{
    View, ViewMut, add_into, batch_parts_for, contiguous, in_parallel, per_part, per_part_mut, product,
    unwritten, write_rows, written, zeros,
};
use super::relu::{mask_where_cut, rectify};

/// Where the windows of a convolution sit: their step, the zero rows and
/// columns added above and to the left of the image, and the output's size
/// (which fixes the padding below and to the right).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Rows, columns between windows.
    pub stride: [usize; 2],
    /// Zero rows above, zero columns to the left.
    pub padding: [usize; 2],
    /// Output rows, columns.
    pub output: [usize; 2],
}

/// The backends that have the fused convolution: flex, with or without autodiff.
#[backend_extension(Flex, Autodiff)]
pub trait Conv2dBackend: Backend {
    /// Images x (N, C, H, W), kernels (O, C, kh, kw) and bias (O) → (N, O,
    /// OH, OW), through ReLU when `relu`.
    fn conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        window: Window,
        relu: bool,
    ) -> FloatTensor<Self>;
}

/// Convolves images x (N, C, H, W) with kernels (O, C, kh, kw) and adds the
/// bias (O): (N, O, OH, OW), the sizes in `window`; then max(0, ·) where
/// `relu`. Only where
/// [`available`](super::available) says so.
///
/// ```
/// use fireside::prelude::*;
/// use fireside::fused::Window;
/// let device = device();
/// let x = Tensor::<4>::ones([1, 1, 3, 3], &device);
/// let (weight, bias) = (Tensor::<4>::ones([1, 1, 2, 2], &device), Tensor::<1>::from_floats([0.5], &device));
/// if fireside::fused::available(&x) {
///     let window = Window { stride: [1, 1], padding: [0, 0], output: [2, 2] };
///     let y = fireside::fused::conv2d(x, weight, bias, window, false);
///     assert_eq!(y.values(), [4.5; 4]); // four ones under each 2×2 window, plus 0.5
/// }
/// ```
pub fn conv2d(x: Tensor<4>, weight: Tensor<4>, bias: Tensor<1>, window: Window, relu: bool) -> Tensor<4> {
    let ([_, channels, ..], [out_channels, in_channels, ..]) = (x.dims(), weight.dims());
    assert!(
        channels == in_channels
            && bias.dims() == [out_channels]
            && window.stride.iter().chain(&window.output).all(|&size| size > 0),
        "a convolution takes (N, C, H, W) images, (O, C, kh, kw) kernels, an (O) bias, strides \
         and an output size of at least 1; got {:?}, {:?}, {:?} and {window:?}",
        x.dims(),
        weight.dims(),
        bias.dims(),
    );
    Tensor::from_dispatch(<Dispatch as Conv2dBackend>::conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        window,
        relu,
    ))
}

impl Conv2dBackend for Flex {
    fn conv2d(x: FlexTensor, weight: FlexTensor, bias: FlexTensor, window: Window, relu: bool) -> FlexTensor {
        forward(&x, &weight, &bias, window, relu)
    }
}

/// What the backward pass reads: the images, the kernels and, after ReLU,
/// the output (0 where ReLU cut).
#[derive(Clone, Debug)]
struct Saved {
    x: FlexTensor,
    weight: FlexTensor,
    window: Window,
    relu_output: Option<FlexTensor>,
}

#[derive(Debug)]
struct Conv2dBackward;

impl Backward<Flex, 3> for Conv2dBackward {
    type State = Saved;

    fn backward(self, ops: Ops<Saved, 3>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let [x, weight, bias] = ops.parents;
        let dims = Dims::of(&ops.state.x, &ops.state.weight, ops.state.window);
        let all = backward(&ops.state, &grad, x.is_some());
        let tensor = |values, shape: &[usize]| FlexTensor::from_data(TensorData::new(values, shape.to_vec()));
        if let Some(node) = x {
            grads.register::<Flex>(node.id, tensor(all.x, &[dims.n, dims.c, dims.h, dims.w]));
        }
        if let Some(node) = weight {
            grads.register::<Flex>(node.id, tensor(all.weight, &[dims.o, dims.c, dims.kh, dims.kw]));
        }
        if let Some(node) = bias {
            grads.register::<Flex>(node.id, tensor(all.bias, &[dims.o]));
        }
    }
}

impl<C: CheckpointStrategy> Conv2dBackend for Autodiff<Flex, C> {
    fn conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        window: Window,
        relu: bool,
    ) -> FloatTensor<Self> {
        // Compute-bound: the inputs are kept rather than the convolution being run again.
        let prep =
            Conv2dBackward.prepare::<C>([x.node(), weight.node(), bias.node()]).compute_bound().stateful();
        let (x, weight, bias) = (Self::inner(x), Self::inner(weight), Self::inner(bias));
        match prep {
            OpsKind::Tracked(prep) => {
                let y = forward(&x, &weight, &bias, window, relu);
                let relu_output = relu.then(|| y.clone()); // shares y's buffer
                prep.finish(Saved { x, weight, window, relu_output }, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(&x, &weight, &bias, window, relu)),
        }
    }
}

/// The sizes: batch n, channels c in and o out, image h × w, kernel kh × kw.
#[derive(Clone, Copy, Debug)]
struct Dims {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    o: usize,
    kh: usize,
    kw: usize,
    window: Window,
}

impl Dims {
    fn of(x: &FlexTensor, weight: &FlexTensor, window: Window) -> Self {
        let (x, weight) = (x.layout().shape(), weight.layout().shape());
        Dims { n: x[0], c: x[1], h: x[2], w: x[3], o: weight[0], kh: weight[2], kw: weight[3], window }
    }

    /// Values in one image.
    fn image(&self) -> usize {
        self.c * self.h * self.w
    }

    /// Values in one window, the rows of the windows' matrix.
    fn patch(&self) -> usize {
        self.c * self.kh * self.kw
    }

    /// Output pixels of one image, the columns of the windows' matrix.
    fn pixels(&self) -> usize {
        self.window.output[0] * self.window.output[1]
    }
}

fn forward(x: &FlexTensor, weight: &FlexTensor, bias: &FlexTensor, window: Window, relu: bool) -> FlexTensor {
    let dims = Dims::of(x, weight, window);
    let (x, weight, bias) = (contiguous(x), contiguous(weight), contiguous(bias));
    let (patch, pixels) = (dims.patch(), dims.pixels());
    let mut y = unwritten(dims.n * dims.o * pixels);
    let parts = batch_parts_for(dims.n, 2 * dims.n * dims.o * dims.pixels() * dims.patch());
    let (weight, bias) = (&weight[..], &bias[..]);
    let jobs = per_part(&x, dims.image(), &parts)
        .into_iter()
        .zip(per_part_mut(&mut y, dims.o * pixels, &parts))
        .map(|(x, y)| {
            move || {
                let mut cols = vec![0.0f32; patch * pixels];
                for (image, y) in x.chunks_exact(dims.image()).zip(y.chunks_exact_mut(dims.o * pixels)) {
                    windows(image, &mut cols, &dims);
                    // Each output channel's row starts as its bias.
                    let y = write_rows(y, pixels, bias);
                    product(
                        ViewMut::row_major(y, dims.o, pixels),
                        View::row_major(weight, dims.o, patch),
                        View::row_major(&cols, patch, pixels),
                        true,
                    );
                    if relu {
                        rectify(y);
                    }
                }
            }
        });
    in_parallel(jobs.collect());
    // SAFETY: the parts cover the batch, and each job wrote every image of its part.
    let y = unsafe { written(y) };
    let [oh, ow] = window.output;
    FlexTensor::from_data(TensorData::new(y, [dims.n, dims.o, oh, ow]))
}

/// The gradients of the images (empty when not asked for), kernels and bias.
struct AllGradients {
    x: Vec<f32>,
    weight: Vec<f32>,
    bias: Vec<f32>,
}

fn backward(saved: &Saved, grad: &FlexTensor, with_x: bool) -> AllGradients {
    let dims = Dims::of(&saved.x, &saved.weight, saved.window);
    let (x, weight, grad) = (contiguous(&saved.x), contiguous(&saved.weight), contiguous(grad));
    let relu_output = saved.relu_output.as_ref().map(contiguous);
    let (patch, pixels) = (dims.patch(), dims.pixels());
    let mut d_x = zeros(if with_x { dims.n * dims.image() } else { 0 });
    let parts = batch_parts_for(dims.n, 2 * dims.n * dims.o * dims.pixels() * dims.patch());
    let d_x_parts = match with_x {
        true => per_part_mut(&mut d_x, dims.image(), &parts).into_iter().map(Some).collect(),
        false => parts.iter().map(|_| None).collect::<Vec<_>>(),
    };
    let weight = &weight[..];
    let relu_output_parts = match &relu_output {
        Some(y) => per_part(y, dims.o * pixels, &parts).into_iter().map(Some).collect(),
        None => parts.iter().map(|_| None).collect::<Vec<_>>(),
    };
    let jobs = per_part(&x, dims.image(), &parts)
        .into_iter()
        .zip(per_part(&grad, dims.o * pixels, &parts))
        .zip(d_x_parts)
        .zip(relu_output_parts)
        .map(|(((x, grad), mut d_x), relu_output)| {
            move || {
                // After ReLU, each image's gradient masked where it cut, into a
                // buffer that stays in cache (not a copy of the whole batch's).
                let mut masked = vec![0.0f32; if relu_output.is_some() { dims.o * pixels } else { 0 }];
                let mut cols = vec![0.0f32; patch * pixels];
                let mut d_cols = vec![0.0f32; if d_x.is_some() { patch * pixels } else { 0 }];
                let mut d_weight = vec![0.0f32; dims.o * patch];
                let mut d_bias = vec![0.0f32; dims.o];
                for (i, (image, grad)) in
                    x.chunks_exact(dims.image()).zip(grad.chunks_exact(dims.o * pixels)).enumerate()
                {
                    let grad = match relu_output {
                        Some(y) => {
                            mask_where_cut(&mut masked, grad, &y[i * dims.o * pixels..][..dims.o * pixels]);
                            &masked[..]
                        }
                        None => grad,
                    };
                    windows(image, &mut cols, &dims);
                    // dW += dy_n · cols_nᵀ
                    product(
                        ViewMut::row_major(&mut d_weight, dims.o, patch),
                        View::row_major(grad, dims.o, pixels),
                        View::row_major(&cols, patch, pixels).transposed(),
                        true,
                    );
                    for (row, d_b) in grad.chunks_exact(pixels).zip(&mut d_bias) {
                        *d_b += sum(row);
                    }
                    if let Some(d_x) = d_x.as_deref_mut() {
                        // dcols = Wᵀ · dy_n, added back where each window came from.
                        product(
                            ViewMut::row_major(&mut d_cols, patch, pixels),
                            View::row_major(weight, dims.o, patch).transposed(),
                            View::row_major(grad, dims.o, pixels),
                            false,
                        );
                        let image = &mut d_x[i * dims.image()..][..dims.image()];
                        add_windows_back(&d_cols, image, &dims);
                    }
                }
                (d_weight, d_bias)
            }
        });
    let mut sums = in_parallel(jobs.collect()).into_iter();
    let (mut d_weight, mut d_bias) = sums.next().expect("at least one part");
    for (part_weight, part_bias) in sums {
        add_into(&mut d_weight, &part_weight);
        d_bias.iter_mut().zip(part_bias).for_each(|(sum, v)| *sum += v);
    }
    AllGradients { x: d_x, weight: d_weight, bias: d_bias }
}

/// Σ values, in 16 lanes: a plain `.sum()` is one long chain of dependent
/// additions that the compiler may not reorder (it was 4 % of the seed CNN's step).
fn sum(values: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 16];
    let mut chunks = values.chunks_exact(16);
    for chunk in &mut chunks {
        lanes.iter_mut().zip(chunk).for_each(|(lane, v)| *lane += v);
    }
    lanes.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
}

/// The output positions `o` in `0..out` whose input `o·stride + k − pad`
/// lies inside `0..size`.
fn inside(out: usize, size: usize, stride: usize, k: usize, pad: usize) -> std::ops::Range<usize> {
    let first = pad.saturating_sub(k).div_ceil(stride);
    let end = (size + pad).saturating_sub(k).div_ceil(stride).min(out);
    first.min(end)..end
}

/// im2col: the windows of one image (C, H, W) as the columns of `cols`
/// (C·kh·kw, OH·OW), zeros where a window hangs over the padding.
fn windows(image: &[f32], cols: &mut [f32], dims: &Dims) {
    let Window { stride: [sy, sx], padding: [pad_y, pad_x], output: [oh, ow] } = dims.window;
    let mut rows = cols.chunks_exact_mut(oh * ow);
    for plane in image.chunks_exact(dims.h * dims.w) {
        for ky in 0..dims.kh {
            let ys = inside(oh, dims.h, sy, ky, pad_y);
            for kx in 0..dims.kw {
                let xs = inside(ow, dims.w, sx, kx, pad_x);
                let row = rows.next().expect("one row per channel and kernel position");
                for (oy, out) in row.chunks_exact_mut(ow).enumerate() {
                    if !ys.contains(&oy) || xs.is_empty() {
                        out.fill(0.0);
                        continue;
                    }
                    let line = &plane[(oy * sy + ky - pad_y) * dims.w..][..dims.w];
                    out[..xs.start].fill(0.0);
                    out[xs.end..].fill(0.0);
                    let first = xs.start * sx + kx - pad_x;
                    if sx == 1 {
                        out[xs.clone()].copy_from_slice(&line[first..first + xs.len()]);
                    } else {
                        for (o, v) in out[xs.clone()].iter_mut().zip(line[first..].iter().step_by(sx)) {
                            *o = *v;
                        }
                    }
                }
            }
        }
    }
}

/// col2im, the transpose of [`windows`]: adds every column of `d_cols`
/// (C·kh·kw, OH·OW) back onto the pixels of its window in `d_image` (C, H, W).
fn add_windows_back(d_cols: &[f32], d_image: &mut [f32], dims: &Dims) {
    let Window { stride: [sy, sx], padding: [pad_y, pad_x], output: [oh, ow] } = dims.window;
    let mut rows = d_cols.chunks_exact(oh * ow);
    for plane in d_image.chunks_exact_mut(dims.h * dims.w) {
        for ky in 0..dims.kh {
            let ys = inside(oh, dims.h, sy, ky, pad_y);
            for kx in 0..dims.kw {
                let xs = inside(ow, dims.w, sx, kx, pad_x);
                let row = rows.next().expect("one row per channel and kernel position");
                if xs.is_empty() {
                    continue;
                }
                for oy in ys.clone() {
                    let line = &mut plane[(oy * sy + ky - pad_y) * dims.w..][..dims.w];
                    let from = &row[oy * ow..][xs.clone()];
                    let first = xs.start * sx + kx - pad_x;
                    if sx == 1 {
                        line[first..first + xs.len()].iter_mut().zip(from).for_each(|(d, v)| *d += v);
                    } else {
                        line[first..].iter_mut().step_by(sx).zip(from).for_each(|(d, v)| *d += v);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use burn::tensor::module::conv2d as general_conv2d;
    use burn::tensor::ops::ConvOptions;

    /// The fused convolution against burn's, outputs and every gradient, for
    /// a shape, stride and padding (top, bottom, left, right), with and
    /// without ReLU after it.
    fn check(x: [usize; 4], kernel: [usize; 4], stride: [usize; 2], pad: [usize; 4]) {
        let device = crate::device::device();
        let random = |shape: [usize; 4]| Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
        let x = random(x).require_grad();
        let weight = random(kernel).require_grad();
        let bias = Tensor::<1>::random([kernel[0]], Distribution::Normal(0.0, 1.0), &device).require_grad();
        if !crate::fused::available(&x) {
            return; // the fused convolution runs on flex, the tests' backend on a machine without a GPU
        }
        for relu in [false, true] {
            let options =
                ConvOptions::new_with_padding(stride, [(pad[0], pad[1]), (pad[2], pad[3])], [1, 1], 1);
            let mut general = general_conv2d(x.clone(), weight.clone(), Some(bias.clone()), options);
            if relu {
                general = burn::tensor::activation::relu(general);
            }
            let [_, _, oh, ow] = general.dims();
            let window = Window { stride, padding: [pad[0], pad[2]], output: [oh, ow] };
            let fused = conv2d(x.clone(), weight.clone(), bias.clone(), window, relu);
            assert_eq!(fused.dims(), general.dims());
            assert_close(fused.values(), general.values());
            // A loss that weighs every output differently, so that a gradient in
            // the wrong place shows.
            let weights = Tensor::<4>::random(general.dims(), Distribution::Normal(0.0, 1.0), &device);
            let general_grads = (general * weights.clone()).sum().backward();
            let fused_grads = (fused * weights).sum().backward();
            assert_close(x.grad(&fused_grads).unwrap().values(), x.grad(&general_grads).unwrap().values());
            assert_close(
                weight.grad(&fused_grads).unwrap().values(),
                weight.grad(&general_grads).unwrap().values(),
            );
            assert_close(
                bias.grad(&fused_grads).unwrap().values(),
                bias.grad(&general_grads).unwrap().values(),
            );
        }
    }

    /// Equal up to float rounding: relative to each value, and to the
    /// tensor's largest, since a weight's gradient sums thousands of products
    /// (2,057 for the second convolution's) and one that cancels to near zero
    /// keeps their rounding: a CI run failed on 0.030700 against 0.030588, and
    /// fifteen runs of the seed CNN's check came within 0.94 of the first
    /// bound alone, with gradients up to 190–350. A value in the wrong place
    /// is off by the values' own size.
    fn assert_close(fast: Vec<f32>, general: Vec<f32>) {
        assert_eq!(fast.len(), general.len());
        let scale = general.iter().fold(0.0f32, |largest, g| largest.max(g.abs()));
        for (i, (f, g)) in fast.iter().zip(&general).enumerate() {
            assert!(
                (f - g).abs() <= 1e-4 * (1.0 + g.abs()) + 1e-5 * scale,
                "element {i}: fused {f}, general {g} (the largest {scale})"
            );
        }
    }

    #[test]
    fn the_seed_cnns_convolutions_match_burns() {
        // 17 images: two parts on two cores, one of them odd.
        check([17, 1, 28, 28], [32, 1, 3, 3], [1, 1], [0; 4]);
        check([17, 32, 13, 13], [64, 32, 3, 3], [1, 1], [0; 4]);
    }

    #[test]
    fn strides_and_padding_match_burns() {
        check([3, 2, 9, 8], [4, 2, 3, 3], [2, 2], [1, 1, 1, 1]); // "same" at stride 2
        check([3, 2, 7, 6], [3, 2, 2, 3], [1, 1], [0, 1, 1, 1]); // "same" with an even kernel
        check([2, 3, 10, 9], [2, 3, 5, 5], [3, 2], [2, 2, 0, 0]);
        check([2, 1, 4, 4], [2, 1, 4, 4], [1, 1], [0; 4]); // one window
    }

    #[test]
    fn first_layer_inputs_get_no_gradient() {
        let device = crate::device::device();
        let x = Tensor::<4>::ones([2, 1, 4, 4], &device); // not tracked
        let weight = Tensor::<4>::ones([1, 1, 3, 3], &device).require_grad();
        let bias = Tensor::<1>::zeros([1], &device).require_grad();
        if crate::fused::available(&x) {
            let window = Window { stride: [1, 1], padding: [0, 0], output: [2, 2] };
            let grads = conv2d(x.clone(), weight.clone(), bias.clone(), window, false).sum().backward();
            assert!(x.grad(&grads).is_none());
            assert_eq!(weight.grad(&grads).unwrap().values(), [8.0; 9]); // 2 images × 4 windows
            assert_eq!(bias.grad(&grads).unwrap().values(), [8.0]);
        }
    }
}
