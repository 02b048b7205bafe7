//! Large float buffers kept from one training step for the next. A step of
//! the benchmark's LSTM asks for the same 16 MB of buffers that its backward
//! pass then drops; zeroing fresh ones was a tenth of the step (perf,
//! BENCHMARKS.md "CPU training"). A buffer from here holds whatever its last
//! user left in it, so it serves only what is written whole before it is read.

use std::sync::Mutex;

/// The buffers waiting for their next use.
static POOL: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

/// At most this many floats (64 MiB) wait in the pool; more are freed.
const MAX_KEPT: usize = 16 << 20;

/// Below this many floats (256 KiB) a fresh buffer costs too little to keep.
const MIN_KEPT: usize = 1 << 16;

/// A buffer of `len` floats with unspecified values: the smallest one in the
/// pool that is large enough, or a new one (of zeros).
pub(crate) fn scratch(len: usize) -> Vec<f32> {
    let taken = {
        let mut pool = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let best = (0..pool.len()).filter(|&i| pool[i].capacity() >= len).min_by_key(|&i| pool[i].capacity());
        best.map(|i| pool.swap_remove(i))
    };
    match taken {
        Some(mut buffer) => {
            // Only a buffer shorter than `len` (not the steady case) fills its tail.
            buffer.resize(len, 0.0);
            buffer
        }
        None => super::matrix::zeros(len),
    }
}

/// Gives `buffer` back for a later [`scratch`], or frees it when it is small
/// or the pool is full.
pub(crate) fn recycle(buffer: Vec<f32>) {
    if buffer.capacity() < MIN_KEPT {
        return;
    }
    let mut pool = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let kept: usize = pool.iter().map(Vec::capacity).sum();
    if kept + buffer.capacity() <= MAX_KEPT {
        pool.push(buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_comes_back_with_the_length_asked_for() {
        let buffer = scratch(MIN_KEPT + 10);
        assert_eq!(buffer.len(), MIN_KEPT + 10);
        let pointer = buffer.as_ptr();
        recycle(buffer);
        // Another test may take it in between; then this one is new.
        let smaller = scratch(MIN_KEPT);
        assert_eq!(smaller.len(), MIN_KEPT);
        let reused = smaller.as_ptr() == pointer;
        recycle(smaller);
        let larger = scratch(2 * MIN_KEPT);
        assert_eq!(larger.len(), 2 * MIN_KEPT);
        if reused {
            assert!(larger.as_ptr() != pointer, "a buffer too small is not handed out");
        }
    }
}
