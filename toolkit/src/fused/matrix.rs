//! What the fused operations share: a flex tensor's values as a slice, the
//! batch cut into one part per core, matrices inside slices and their
//! product on one thread (gemm, the matrix library under flex), and loops
//! compiled for the CPU's widest vectors.

use std::mem::MaybeUninit;
use std::ops::Range;

use burn::backend::flex::FlexTensor;
use rayon::iter::{IntoParallelIterator, ParallelIterator};
use rayon::slice::ParallelSliceMut;

/// A flex tensor's values in row-major order: a view when it is contiguous, else a copy.
pub(crate) fn contiguous(tensor: &FlexTensor) -> std::borrow::Cow<'_, [f32]> {
    match tensor.as_slice::<f32>() {
        Some(values) => values.into(),
        None => tensor.to_contiguous().storage::<f32>().to_vec().into(),
    }
}

/// `len` zeros, written by all of rayon's threads: an operation's output
/// buffer zeroed by `vec![0.0; len]` on the calling thread kept the other
/// cores waiting (the LSTM's three, 11 MB at batch 64, were a tenth of its
/// step).
pub(crate) fn zeros(len: usize) -> Vec<f32> {
    // Below this many floats (256 KiB) one thread is as fast.
    const CHUNK: usize = 1 << 16;
    let mut values = Vec::with_capacity(len);
    values.spare_capacity_mut().par_chunks_mut(CHUNK).for_each(|chunk| {
        for value in chunk {
            value.write(0.0);
        }
    });
    // SAFETY: the capacity is `len`, and every element of it was written above.
    unsafe { values.set_len(len) };
    values
}

/// A buffer of `len` floats that is written whole before it is read, with
/// no zeros written first (that pass over memory was a twentieth of the
/// CNN's step): the jobs initialize their parts with [`write_rows`] or
/// [`write_copy`], and [`written`] then gives the floats.
pub(crate) fn unwritten(len: usize) -> Vec<MaybeUninit<f32>> {
    let mut values = Vec::with_capacity(len);
    // SAFETY: the capacity is `len`, and a `MaybeUninit` needs no initialization.
    unsafe { values.set_len(len) };
    values
}

/// `block`, its rows `row_len` long each filled with its value of `values`
/// (one value a row, as many as there are rows), initialized.
pub(crate) fn write_rows<'a>(
    block: &'a mut [MaybeUninit<f32>],
    row_len: usize,
    values: &[f32],
) -> &'a mut [f32] {
    assert_eq!(block.len(), row_len * values.len(), "one value for each row of the block");
    for (row, value) in block.chunks_exact_mut(row_len).zip(values) {
        row.iter_mut().for_each(|element| {
            element.write(*value);
        });
    }
    // SAFETY: every row, which together are the whole block (asserted
    // above), was written; `MaybeUninit<f32>` has `f32`'s layout.
    unsafe { &mut *(block as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// `part` with `values` (as long) copied in, initialized.
pub(crate) fn write_copy<'a>(part: &'a mut [MaybeUninit<f32>], values: &[f32]) -> &'a mut [f32] {
    assert_eq!(part.len(), values.len(), "a copy into a part of the same length");
    part.iter_mut().zip(values).for_each(|(element, value)| {
        element.write(*value);
    });
    // SAFETY: every element was written above; `MaybeUninit<f32>` has `f32`'s layout.
    unsafe { &mut *(part as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// The floats of an [`unwritten`] buffer.
///
/// # Safety
/// Every element has been written.
pub(crate) unsafe fn written(values: Vec<MaybeUninit<f32>>) -> Vec<f32> {
    let mut values = std::mem::ManuallyDrop::new(values);
    let (pointer, len, capacity) = (values.as_mut_ptr(), values.len(), values.capacity());
    // SAFETY: the same allocation, of a type with the same layout; every
    // element is initialized (the caller's promise).
    unsafe { Vec::from_raw_parts(pointer.cast::<f32>(), len, capacity) }
}

/// The batch's rows cut into one part per thread of rayon's pool (one per
/// core unless `RAYON_NUM_THREADS` says otherwise).
pub(crate) fn batch_parts(n: usize) -> Vec<Range<usize>> {
    // Below this many rows a part costs more in hand-offs than it saves.
    const MIN_ROWS: usize = 8;
    let parts = rayon::current_num_threads().min(n / MIN_ROWS).max(1);
    (0..parts).map(|part| part * n / parts..(part + 1) * n / parts).collect()
}

/// [`batch_parts`], or the whole batch as one part when its work (`flop`,
/// about) is too small to pay for waking another core (some 10 µs: the
/// MLP's last layer, 64 × 128 × 10, is 0.16 MFLOP).
pub(crate) fn batch_parts_for(n: usize, flop: usize) -> Vec<Range<usize>> {
    const WORTH_A_CORE: usize = 2_000_000;
    if flop < WORTH_A_CORE { std::iter::once(0..n).collect() } else { batch_parts(n) }
}

/// A batch-major buffer, `per_row` values a row of the batch, cut into the parts' rows.
pub(crate) fn per_part<'a, T>(buffer: &'a [T], per_row: usize, parts: &[Range<usize>]) -> Vec<&'a [T]> {
    parts.iter().map(|rows| &buffer[rows.start * per_row..rows.end * per_row]).collect()
}

/// [`per_part`] for a buffer to write.
pub(crate) fn per_part_mut<'a, T>(
    mut buffer: &'a mut [T],
    per_row: usize,
    parts: &[Range<usize>],
) -> Vec<&'a mut [T]> {
    parts
        .iter()
        .map(|rows| {
            let (these, rest) = std::mem::take(&mut buffer).split_at_mut(rows.len() * per_row);
            buffer = rest;
            these
        })
        .collect()
}

/// Runs the jobs on rayon's pool, one thread each while there are free
/// threads; their results in order.
pub(crate) fn in_parallel<T: Send>(jobs: Vec<impl FnOnce() -> T + Send>) -> Vec<T> {
    jobs.into_par_iter().map(|job| job()).collect()
}

/// A matrix inside a slice: element (i, j) at `offset + i·row_stride + j·col_stride`.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) values: &'a [f32],
    pub(crate) offset: usize,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) row_stride: usize,
    pub(crate) col_stride: usize,
}

impl<'a> View<'a> {
    pub(crate) fn row_major(values: &'a [f32], rows: usize, cols: usize) -> Self {
        View { values, offset: 0, rows, cols, row_stride: cols, col_stride: 1 }
    }

    /// In a batch-major (rows·steps, width) buffer, the first `cols` values
    /// of every row's step `t`.
    pub(crate) fn step_rows(values: &'a [f32], steps: usize, t: usize, cols: usize, width: usize) -> Self {
        let rows = values.len() / (steps * width);
        View { values, offset: t * width, rows, cols, row_stride: steps * width, col_stride: 1 }
    }

    pub(crate) fn transposed(self) -> Self {
        View {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Whether every element lies inside `values`.
    pub(crate) fn fits(&self) -> bool {
        self.offset + (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
            < self.values.len()
    }
}

/// A matrix to write inside a slice, its rows apart: element (i, j) at
/// `offset + i·row_stride + j`.
pub(crate) struct ViewMut<'a> {
    pub(crate) values: &'a mut [f32],
    pub(crate) offset: usize,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) row_stride: usize,
}

impl<'a> ViewMut<'a> {
    pub(crate) fn row_major(values: &'a mut [f32], rows: usize, cols: usize) -> Self {
        ViewMut { values, offset: 0, rows, cols, row_stride: cols }
    }

    /// [`View::step_rows`], to write.
    pub(crate) fn step_rows(
        values: &'a mut [f32],
        steps: usize,
        t: usize,
        cols: usize,
        width: usize,
    ) -> Self {
        let rows = values.len() / (steps * width);
        ViewMut { values, offset: t * width, rows, cols, row_stride: steps * width }
    }
}

/// `dst = lhs · rhs`, or `dst += lhs · rhs` when `accumulate`, on this thread.
pub(crate) fn product(dst: ViewMut, lhs: View, rhs: View, accumulate: bool) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert!(rhs.rows == k && dst.rows == m && dst.cols == n, "a product of mismatched shapes");
    assert!(m > 0 && k > 0 && n > 0, "a product with an empty side");
    let dst_fits = dst.row_stride >= n && dst.offset + (m - 1) * dst.row_stride + n <= dst.values.len();
    assert!(lhs.fits() && rhs.fits() && dst_fits, "a product outside its buffers");
    // SAFETY: every element gemm reads or writes lies inside its slice
    // (checked above), the written rows do not overlap (row_stride ≥ n), and
    // `dst` is borrowed mutably, so it shares no memory with `lhs` or `rhs`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.values.as_mut_ptr().add(dst.offset),
            1,
            dst.row_stride as isize,
            accumulate,
            lhs.values.as_ptr().add(lhs.offset),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.values.as_ptr().add(rhs.offset),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Defines `fn $name(args)`, which calls `$body(args)` compiled for AVX-512
/// where the CPU has it, else for AVX2, else for the baseline x86-64 (16, 8
/// or 4 numbers an instruction), checked at each call.
///
/// Each copy is a function of its own that is not inlined and takes the
/// slices it writes as `&mut` arguments: only then does the compiler know
/// that they overlap nothing, and vectorize the loops of `$body` (inlined
/// into a caller that took them from a struct, the backward loop stayed
/// scalar behind runtime overlap checks).
macro_rules! vectorized {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $type:ty),* $(,)?) => $body:ident) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $type),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                #[inline(never)]
                #[allow(clippy::too_many_arguments)]
                fn avx512($($arg: $type),*) {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2")]
                #[inline(never)]
                #[allow(clippy::too_many_arguments)]
                fn avx2($($arg: $type),*) {
                    $body($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has AVX-512, checked on the line above.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2, checked on the line above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            #[inline(never)]
            #[allow(clippy::too_many_arguments)]
            fn baseline($($arg: $type),*) {
                $body($($arg),*)
            }
            baseline($($arg),*)
        }
    };
}
pub(crate) use vectorized;

vectorized! {
    /// `sum += values`, element by element: the parts' gradients of a
    /// weight added up (as a plain loop it stayed scalar, 7 % of the MLP's step).
    pub(crate) fn add_into(sum: &mut [f32], values: &[f32]) => add_into_loop
}

#[inline(always)]
fn add_into_loop(sum: &mut [f32], values: &[f32]) {
    let n = sum.len().min(values.len());
    let (sum, values) = (&mut sum[..n], &values[..n]);
    for i in 0..n {
        sum[i] += values[i];
    }
}

/// Asks the CPU to bring `values` into its caches, ahead of their use. The
/// LSTM's step rows lie a whole sequence apart, a pattern the CPU's own
/// prefetcher does not follow: its step loops waited on memory for a third
/// of their time before they asked for the next step's rows (BENCHMARKS.md,
/// "CPU training").
pub(crate) fn prefetch(values: &[f32]) {
    /// Floats in a cache line.
    const LINE: usize = 16;
    for line in values.chunks(LINE) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch only hints the CPU: it reads nothing into the
        // program and cannot fault; the address lies inside `values`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(line.as_ptr().cast())
        };
        #[cfg(not(target_arch = "x86_64"))]
        let _ = line;
    }
}
