//! A dense layer's x W + b, and ReLU when asked, as one operation, forward
//! and backward. As burn operations it is a product, a broadcast addition
//! and an activation, each its own pass over memory and autodiff node, and
//! its backward pass adds the activation's mask, a sum for the bias and two
//! products on transposed views; on the MLP's small batches that overhead,
//! not the products, was most of the step (BENCHMARKS.md, "CPU training").
//!
//! The rows are cut into one part per core, as for the convolution, and
//! each part runs its products on its own thread (gemm on one thread):
//! - forward: y = b + x W, then ReLU in place;
//! - backward: dy masked where ReLU cut, dW += xᵀ dy and db += Σ dy per
//!   part (summed at the end), and dx = dy Wᵀ where the inputs need it.

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
};
use super::relu::{mask_where_cut, rectify};

/// The backends that have the fused dense layer: flex, with or without autodiff.
#[backend_extension(Flex, Autodiff)]
pub trait DenseBackend: Backend {
    /// Rows x (N, inputs), kernel W (inputs, units) and bias (units) →
    /// x W + b (N, units), through ReLU when `relu`.
    fn dense(
        x: FloatTensor<Self>,
        kernel: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        relu: bool,
    ) -> FloatTensor<Self>;
}

/// x W + b for rows x (N, inputs), kernel W (inputs, units) and bias
/// (units), then max(0, ·) where `relu`. Only where
/// [`available`](super::available) says so.
///
/// ```
/// use fireside::prelude::*;
/// let device = device();
/// let x = Tensor::<2>::from_floats([[1.0, 2.0]], &device);
/// let kernel = Tensor::<2>::from_floats([[1.0, -1.0], [1.0, -1.0]], &device);
/// let bias = Tensor::<1>::from_floats([0.5, 0.5], &device);
/// if fireside::fused::available(&x) {
///     assert_eq!(fireside::fused::dense(x.clone(), kernel.clone(), bias.clone(), false).values(), [3.5, -2.5]);
///     assert_eq!(fireside::fused::dense(x, kernel, bias, true).values(), [3.5, 0.0]);
/// }
/// ```
pub fn dense(x: Tensor<2>, kernel: Tensor<2>, bias: Tensor<1>, relu: bool) -> Tensor<2> {
    let ([_, inputs], [kernel_inputs, units]) = (x.dims(), kernel.dims());
    assert!(
        inputs == kernel_inputs && bias.dims() == [units],
        "a dense layer takes (N, inputs) rows, an (inputs, units) kernel and a (units) bias; got \
         {:?}, {:?} and {:?}",
        x.dims(),
        kernel.dims(),
        bias.dims()
    );
    Tensor::from_dispatch(<Dispatch as DenseBackend>::dense(
        x.into_dispatch(),
        kernel.into_dispatch(),
        bias.into_dispatch(),
        relu,
    ))
}

impl DenseBackend for Flex {
    fn dense(x: FlexTensor, kernel: FlexTensor, bias: FlexTensor, relu: bool) -> FlexTensor {
        forward(&x, &kernel, &bias, relu)
    }
}

/// What the backward pass reads: the rows, the kernel and, after ReLU, the output.
#[derive(Clone, Debug)]
struct Saved {
    x: FlexTensor,
    kernel: FlexTensor,
    relu_output: Option<FlexTensor>,
}

#[derive(Debug)]
struct DenseBackward;

impl Backward<Flex, 3> for DenseBackward {
    type State = Saved;

    fn backward(self, ops: Ops<Saved, 3>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let [x, kernel, bias] = ops.parents;
        let dims = Dims::of(&ops.state.x, &ops.state.kernel);
        let all = backward(&ops.state, &grad, x.is_some());
        let tensor = |values, shape: &[usize]| FlexTensor::from_data(TensorData::new(values, shape.to_vec()));
        if let Some(node) = x {
            grads.register::<Flex>(node.id, tensor(all.x, &[dims.n, dims.inputs]));
        }
        if let Some(node) = kernel {
            grads.register::<Flex>(node.id, tensor(all.kernel, &[dims.inputs, dims.units]));
        }
        if let Some(node) = bias {
            grads.register::<Flex>(node.id, tensor(all.bias, &[dims.units]));
        }
    }
}

impl<C: CheckpointStrategy> DenseBackend for Autodiff<Flex, C> {
    fn dense(
        x: FloatTensor<Self>,
        kernel: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        relu: bool,
    ) -> FloatTensor<Self> {
        // Compute-bound: the inputs are kept rather than the product being run again.
        let prep =
            DenseBackward.prepare::<C>([x.node(), kernel.node(), bias.node()]).compute_bound().stateful();
        let (x, kernel, bias) = (Self::inner(x), Self::inner(kernel), Self::inner(bias));
        match prep {
            OpsKind::Tracked(prep) => {
                let y = forward(&x, &kernel, &bias, relu);
                let relu_output = relu.then(|| y.clone()); // shares y's buffer
                prep.finish(Saved { x, kernel, relu_output }, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(&x, &kernel, &bias, relu)),
        }
    }
}

/// The sizes: rows n, inputs and units.
#[derive(Clone, Copy, Debug)]
struct Dims {
    n: usize,
    inputs: usize,
    units: usize,
}

impl Dims {
    fn of(x: &FlexTensor, kernel: &FlexTensor) -> Self {
        let (x, kernel) = (x.layout().shape(), kernel.layout().shape());
        Dims { n: x[0], inputs: x[1], units: kernel[1] }
    }
}

fn forward(x: &FlexTensor, kernel: &FlexTensor, bias: &FlexTensor, relu: bool) -> FlexTensor {
    let Dims { n, inputs, units } = Dims::of(x, kernel);
    let (x, kernel, bias) = (contiguous(x), contiguous(kernel), contiguous(bias));
    let mut y = vec![0.0f32; n * units];
    let parts = batch_parts_for(n, 2 * n * inputs * units);
    let (kernel, bias) = (&kernel[..], &bias[..]);
    let jobs =
        per_part(&x, inputs, &parts).into_iter().zip(per_part_mut(&mut y, units, &parts)).map(|(x, y)| {
            move || {
                let rows = x.len() / inputs;
                y.chunks_exact_mut(units).for_each(|row| row.copy_from_slice(bias));
                product(
                    ViewMut::row_major(y, rows, units),
                    View::row_major(x, rows, inputs),
                    View::row_major(kernel, inputs, units),
                    true,
                );
                if relu {
                    rectify(y);
                }
            }
        });
    in_parallel(jobs.collect());
    FlexTensor::from_data(TensorData::new(y, [n, units]))
}

/// The gradients of the rows (empty when not asked for), kernel and bias.
struct AllGradients {
    x: Vec<f32>,
    kernel: Vec<f32>,
    bias: Vec<f32>,
}

fn backward(saved: &Saved, grad: &FlexTensor, with_x: bool) -> AllGradients {
    let Dims { n, inputs, units } = Dims::of(&saved.x, &saved.kernel);
    let (x, kernel, grad) = (contiguous(&saved.x), contiguous(&saved.kernel), contiguous(grad));
    let relu_output = saved.relu_output.as_ref().map(contiguous);
    let mut d_x = vec![0.0f32; if with_x { n * inputs } else { 0 }];
    let parts = batch_parts_for(n, 2 * n * inputs * units);
    let d_x_parts = match with_x {
        true => per_part_mut(&mut d_x, inputs, &parts).into_iter().map(Some).collect(),
        false => parts.iter().map(|_| None).collect::<Vec<_>>(),
    };
    let relu_output_parts = match &relu_output {
        Some(y) => per_part(y, units, &parts).into_iter().map(Some).collect(),
        None => parts.iter().map(|_| None).collect::<Vec<_>>(),
    };
    let kernel = &kernel[..];
    let jobs = per_part(&x, inputs, &parts)
        .into_iter()
        .zip(per_part(&grad, units, &parts))
        .zip(d_x_parts)
        .zip(relu_output_parts)
        .map(|(((x, grad), d_x), relu_output)| {
            move || {
                let rows = x.len() / inputs;
                let mut masked = Vec::new();
                let grad = match relu_output {
                    Some(y) => {
                        masked.resize(grad.len(), 0.0);
                        mask_where_cut(&mut masked, grad, y);
                        &masked[..]
                    }
                    None => grad,
                };
                // dW = xᵀ dy over the part's rows.
                let mut d_kernel = vec![0.0f32; inputs * units];
                product(
                    ViewMut::row_major(&mut d_kernel, inputs, units),
                    View::row_major(x, rows, inputs).transposed(),
                    View::row_major(grad, rows, units),
                    false,
                );
                let mut d_bias = vec![0.0f32; units];
                for row in grad.chunks_exact(units) {
                    add_into(&mut d_bias, row);
                }
                if let Some(d_x) = d_x {
                    // dx = dy Wᵀ
                    product(
                        ViewMut::row_major(d_x, rows, inputs),
                        View::row_major(grad, rows, units),
                        View::row_major(kernel, inputs, units).transposed(),
                        false,
                    );
                }
                (d_kernel, d_bias)
            }
        });
    let mut sums = in_parallel(jobs.collect()).into_iter();
    let (mut d_kernel, mut d_bias) = sums.next().expect("at least one part");
    for (part_kernel, part_bias) in sums {
        add_into(&mut d_kernel, &part_kernel);
        d_bias.iter_mut().zip(part_bias).for_each(|(sum, v)| *sum += v);
    }
    AllGradients { x: d_x, kernel: d_kernel, bias: d_bias }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn assert_close(what: &str, fused: Vec<f32>, general: Vec<f32>) {
        assert_eq!(fused.len(), general.len(), "{what}");
        for (i, (f, g)) in fused.iter().zip(&general).enumerate() {
            assert!((f - g).abs() <= 1e-4 * (1.0 + g.abs()), "{what}, element {i}: fused {f}, general {g}");
        }
    }

    #[test]
    fn the_fused_dense_layer_matches_burns_operations() {
        let device = crate::device::device();
        // 17 rows × 300 inputs × 200 units: enough work for two parts on two
        // cores, one of them odd; 1 row × 7 × 5: one part.
        for (rows, inputs, units) in [(17, 300, 200), (1, 7, 5)] {
            let random =
                |shape: [usize; 2]| Tensor::<2>::random(shape, Distribution::Normal(0.0, 1.0), &device);
            let x = random([rows, inputs]).require_grad();
            let kernel = random([inputs, units]).require_grad();
            let bias = Tensor::<1>::random([units], Distribution::Normal(0.0, 1.0), &device).require_grad();
            if !crate::fused::available(&x) {
                return; // the fused layer runs on flex, the tests' backend on a machine without a GPU
            }
            for relu in [false, true] {
                let mut general = x.clone().matmul(kernel.clone()) + bias.clone().unsqueeze::<2>();
                if relu {
                    general = burn::tensor::activation::relu(general);
                }
                let fused = dense(x.clone(), kernel.clone(), bias.clone(), relu);
                assert_close("output", fused.clone().values(), general.clone().values());
                let weights = random(general.dims());
                let fused_grads = (fused * weights.clone()).sum().backward();
                let general_grads = (general * weights).sum().backward();
                let grad = |t: &Tensor<2>, grads| t.grad(grads).unwrap().values();
                assert_close("dx", grad(&x, &fused_grads), grad(&x, &general_grads));
                assert_close("dW", grad(&kernel, &fused_grads), grad(&kernel, &general_grads));
                let (f, g) =
                    (bias.grad(&fused_grads).unwrap().values(), bias.grad(&general_grads).unwrap().values());
                assert_close("db", f, g);
            }
        }
    }
}
