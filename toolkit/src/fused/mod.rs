//! Operations the toolkit adds to burn for speed on the CPU: one operation,
//! with hand-written loops and a hand-written backward pass, where a chain of
//! burn's operations would each make a pass over memory, keep their own
//! autodiff node and, for sigmoid and tanh, compute the function again in the
//! backward pass:
//! - [`conv2d`]: a convolution, its bias and ReLU (`Conv2d`);
//! - [`max_pool2d`]: max pooling (`MaxPool2d`);
//! - [`dense`]: x W + b and ReLU (`Dense`);
//! - [`embedding`]: a word-embedding lookup (`Embedding`);
//! - [`lstm_sequence`]: a whole LSTM layer over a sequence (`Lstm`);
//! - [`adam_step`]: Adam's update of a parameter ([`FusedAdam`], what
//!   `Optimizer::adam()` builds).
//!
//! They run on burn's flex backend (the CPU) through burn's backend
//! extensions. Elsewhere (wgpu) the layers keep their plain burn
//! code, so [`available`] is asked first; each operation's tests compare its
//! outputs and gradients with that general path. `FIRESIDE_FUSED=0`
//! ([`SWITCH`]) turns them all off.
//!
//! ```
//! use fireside::prelude::*;
//! let x = Tensor::<2>::zeros([1, 4], &device());
//! assert_eq!(fireside::fused::available(&x), fireside::device::info().backend == fireside::device::Backend::Flex);
//! ```

mod adam;
mod conv2d;
mod dense;
mod embedding;
mod lstm_sequence;
mod matrix;
mod max_pool2d;
mod relu;
mod scratch;
mod small_product;

pub use adam::{AdamStep, AdamStepBackend, FusedAdam, adam_step};
pub use conv2d::{Conv2dBackend, Window, conv2d};
pub use dense::{DenseBackend, dense};
pub use embedding::{EmbeddingBackend, embedding};
pub use lstm_sequence::{LstmSequenceBackend, lstm_sequence};
pub use max_pool2d::{MaxPool2dBackend, max_pool2d};

use burn::backend::DispatchTensorKind;
use burn::tensor::{DType, Tensor};

/// The environment variable that turns the fused operations off:
/// `FIRESIDE_FUSED=0` runs burn's general path everywhere (to compare the
/// two, or to rule the fused ones out when a result looks wrong).
pub const SWITCH: &str = "FIRESIDE_FUSED";

/// Whether the fused operations can run on `tensor`: `f32` on flex, with or
/// without autodiff, unless [`SWITCH`] is `0`.
pub fn available<const D: usize>(tensor: &Tensor<D>) -> bool {
    static SWITCHED_OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *SWITCHED_OFF.get_or_init(|| std::env::var(SWITCH).is_ok_and(|value| value == "0")) {
        return false;
    }
    if tensor.dtype() != DType::F32 {
        return false;
    }
    match tensor.clone().into_dispatch().kind {
        DispatchTensorKind::Flex(_) => true,
        DispatchTensorKind::Autodiff(inner) => matches!(*inner, DispatchTensorKind::Flex(_)),
        #[allow(unreachable_patterns)] // every backend fireside compiles in is named above or not flex
        _ => false,
    }
}

/// e^x in `f32` without branches, so that a loop over a slice vectorizes:
/// libm's `expf` works one number at a time and was a quarter of the LSTM's
/// step. Cephes's `expf` polynomial; relative error under 3e-7 (tested).
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    // Adding 1.5·2²³ rounds x·log2(e) to the nearest integer n, which then
    // sits in the low bits of the sum's mantissa.
    const SHIFT: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * std::f32::consts::LOG2_E + SHIFT;
    let n = shifted - SHIFT;
    // r = x − n·ln 2, with ln 2 in two parts to keep r's precision.
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = ((((1.987_569_2e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let polynomial = p * r * r + r + 1.0;
    // 2ⁿ built from its exponent bits; n is in [−126, 127] after the clamp.
    let n_bits = (shifted.to_bits() as i32).wrapping_sub(SHIFT.to_bits() as i32);
    let two_to_n = f32::from_bits((n_bits.wrapping_add(127) as u32).wrapping_shl(23));
    polynomial * two_to_n
}

/// σ(x) = 1 / (1 + e^−x).
#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// tanh(x) = (1 − e^−2|x|) / (1 + e^−2|x|) with x's sign (e^−2|x| ≤ 1 never
/// overflows); near 0, where 1 − e^−2|x| would lose digits, its Taylor series.
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    let e = exp(-2.0 * x.abs());
    let far = ((1.0 - e) / (1.0 + e)).copysign(x);
    let x2 = x * x;
    let near =
        x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0 + x2 * (62.0 / 2835.0)))));
    // Both are computed, so that this is a blend, not a branch, in a vectorized loop.
    if x.abs() < 0.25 { near } else { far }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_sigmoid_and_tanh_match_the_standard_library() {
        let mut worst = [0.0f64; 3];
        for step in -90_000..=90_000 {
            let x = step as f32 * 1e-3;
            let pairs = [
                (exp(x) as f64, (x as f64).exp()),
                (sigmoid(x) as f64, 1.0 / (1.0 + (-x as f64).exp())),
                (tanh(x) as f64, (x as f64).tanh()),
            ];
            for (k, (fast, exact)) in pairs.into_iter().enumerate() {
                // Relative error, down to tanh's and σ's tiny values.
                let error = if exact.abs() > 1e-30 {
                    (fast - exact).abs() / exact.abs()
                } else {
                    (fast - exact).abs()
                };
                if x.abs() < 87.0 {
                    worst[k] = worst[k].max(error);
                }
            }
        }
        assert!(worst[0] < 3e-7, "exp: worst relative error {:e}", worst[0]);
        assert!(worst[1] < 3e-7, "sigmoid: worst relative error {:e}", worst[1]);
        assert!(worst[2] < 5e-7, "tanh: worst relative error {:e}", worst[2]);
        assert_eq!((tanh(0.0), sigmoid(0.0)), (0.0, 0.5));
        assert_eq!((tanh(100.0), tanh(-100.0), sigmoid(100.0)), (1.0, -1.0, 1.0));
        assert!((0.0..1e-37).contains(&sigmoid(-100.0)));
    }
}
