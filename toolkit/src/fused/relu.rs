//! ReLU inside the fused layers (the convolution and the dense layer): in
//! place after their product, and its backward mask.

use super::matrix::vectorized;

vectorized! {
    /// ReLU in place: 0 below 0 (NaN stays NaN, as in burn).
    pub(crate) fn rectify(y: &mut [f32]) => rectify_loop
}

#[inline(always)]
fn rectify_loop(y: &mut [f32]) {
    for v in y.iter_mut() {
        *v = if *v < 0.0 { 0.0 } else { *v };
    }
}

vectorized! {
    /// `grad` into `masked`, with 0 wherever ReLU's output `y` is at most 0
    /// (it cut there, or its input was 0: burn's ReLU has no gradient at 0
    /// either). In vector registers: as a branch per value (what the
    /// compiler made of a plain loop over three slices) it was a fifth of
    /// the seed CNN's step.
    pub(crate) fn mask_where_cut(masked: &mut [f32], grad: &[f32], y: &[f32]) => mask_where_cut_loop
}

#[inline(always)]
fn mask_where_cut_loop(masked: &mut [f32], grad: &[f32], y: &[f32]) {
    let n = masked.len().min(grad.len()).min(y.len());
    let (masked, grad, y) = (&mut masked[..n], &grad[..n], &y[..n]);
    for i in 0..n {
        let (g, y) = (grad[i], y[i]);
        masked[i] = if y <= 0.0 { 0.0 } else { g };
    }
}
