//! The LSTM's per-step products, [x_t | h_{t−1}] [W; U] forward and
//! d_pre_t Uᵀ backward: a few dozen rows times a 128 × 256 matrix (or a
//! 256 × 64 one), a hundred times a step on each core. gemm packs its right-hand side again
//! on every call, which was a sixth of the LSTM's step (BENCHMARKS.md, "CPU
//! training"); this kernel reads it in place, a row of the right-hand side
//! at a time, for 4 rows × 64 columns of the result held in 16 vector
//! registers (AVX-512), so every value of the right-hand side that comes
//! from the cache is used 4 times and every one of the result stays in a
//! register until the end.
//!
//! Only for what it was written for: AVX-512, a right-hand side whose rows
//! are contiguous and whose width is a multiple of 64, a left-hand side
//! whose rows are contiguous. Everything else goes to [`product`].

use super::matrix::{View, ViewMut, product};

/// Columns of the result one tile covers: 4 vectors of 16.
const TILE_COLUMNS: usize = 64;

/// `dst = lhs · rhs`, or `dst += lhs · rhs` when `accumulate`, on this
/// thread: the kernel above where it applies, else gemm ([`product`]).
pub(crate) fn small_product(dst: ViewMut, lhs: View, rhs: View, accumulate: bool) {
    let fits = lhs.col_stride == 1
        && rhs.col_stride == 1
        && rhs.cols.is_multiple_of(TILE_COLUMNS)
        && lhs.cols == rhs.rows
        && dst.rows == lhs.rows
        && dst.cols == rhs.cols
        && lhs.rows > 0
        && lhs.cols > 0
        && lhs.fits()
        && rhs.fits()
        && dst.row_stride >= dst.cols
        && dst.offset + (dst.rows - 1) * dst.row_stride + dst.cols <= dst.values.len();
    #[cfg(target_arch = "x86_64")]
    if fits && std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512 (checked on the line above) and the
        // views fit their slices as `tiles` needs (`fits`).
        unsafe { tiles(dst, lhs, rhs, accumulate) };
        return;
    }
    let _ = fits;
    product(dst, lhs, rhs, accumulate)
}

/// The result 64 columns at a time and, in each such block, 4 rows at a
/// time (then the rows left over), each tile summed over the shared
/// dimension in 16 registers. Columns outside, rows inside: the block's
/// part of the right-hand side (16 KiB for the LSTM's 64 × 256 U) stays in
/// the first-level cache for every row, where row-outer read all of U from
/// the second level for every 4 rows.
///
/// # Safety
/// The CPU has AVX-512, and the views are as [`small_product`] checks them:
/// every element read or written lies inside its slice, rows contiguous, the
/// result's width a multiple of 64.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn tiles(dst: ViewMut, lhs: View, rhs: View, accumulate: bool) {
    use std::arch::x86_64::{
        __m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps,
    };
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    // SAFETY (every block below): the offsets and strides stay inside the
    // slices, as the caller guarantees; the loads and stores are unaligned ones.
    let (a_start, b_start, out_start) = unsafe {
        (
            lhs.values.as_ptr().add(lhs.offset),
            rhs.values.as_ptr().add(rhs.offset),
            dst.values.as_mut_ptr().add(dst.offset),
        )
    };
    for column in (0..n).step_by(TILE_COLUMNS) {
        let mut row = 0;
        while row < m {
            let rows = (m - row).min(4);
            // The tile's rows; a short tile repeats its last row (and
            // writes only its own).
            let a: [*const f32; 4] =
                std::array::from_fn(|r| unsafe { a_start.add((row + r.min(rows - 1)) * lhs.row_stride) });
            let out: [*mut f32; 4] = std::array::from_fn(|r| unsafe {
                out_start.add((row + r.min(rows - 1)) * dst.row_stride + column)
            });
            let mut sums: [[__m512; 4]; 4] = std::array::from_fn(|r| {
                std::array::from_fn(|v| match accumulate {
                    true => unsafe { _mm512_loadu_ps(out[r].add(16 * v)) },
                    false => _mm512_setzero_ps(),
                })
            });
            let mut b = unsafe { b_start.add(column) };
            for p in 0..k {
                let b_row: [__m512; 4] = std::array::from_fn(|v| unsafe { _mm512_loadu_ps(b.add(16 * v)) });
                for r in 0..4 {
                    let a = _mm512_set1_ps(unsafe { *a[r].add(p) });
                    for v in 0..4 {
                        sums[r][v] = _mm512_fmadd_ps(a, b_row[v], sums[r][v]);
                    }
                }
                b = b.wrapping_add(rhs.row_stride);
            }
            for (out, sums) in out.iter().zip(&sums).take(rows) {
                for (v, sum) in sums.iter().enumerate() {
                    unsafe { _mm512_storeu_ps(out.add(16 * v), *sum) };
                }
            }
            row += rows;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random-ish values, the same on every run.
    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32 / 16_777_216.0 - 0.5
            })
            .collect()
    }

    #[test]
    fn the_kernel_matches_gemm() {
        // (rows, shared, columns): the LSTM's two products per core, and rows
        // left over after the tiles of 4.
        for (m, k, n) in [(32, 64, 256), (32, 256, 64), (7, 5, 128), (1, 64, 64)] {
            for accumulate in [false, true] {
                // Rows of the left side and of the result spaced wider than
                // they are long, as the LSTM's step rows are.
                let (lhs, rhs) = (values(m * (k + 3), 1), values(k * n, 2));
                let start = values(m * (n + 5), 3);
                let (mut fast, mut general) = (start.clone(), start);
                let view =
                    |values| View { values, offset: 0, rows: m, cols: k, row_stride: k + 3, col_stride: 1 };
                let dst = |values| ViewMut { values, offset: 0, rows: m, cols: n, row_stride: n + 5 };
                small_product(dst(&mut fast), view(&lhs), View::row_major(&rhs, k, n), accumulate);
                product(dst(&mut general), view(&lhs), View::row_major(&rhs, k, n), accumulate);
                for (i, (f, g)) in fast.iter().zip(&general).enumerate() {
                    assert!(
                        (f - g).abs() <= 1e-5 * (1.0 + g.abs()),
                        "{m}x{k}x{n}, element {i}: {f} against {g}"
                    );
                }
            }
        }
    }
}
