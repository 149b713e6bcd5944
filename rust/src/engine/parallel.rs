//! Splitting kernels over threads without changing any result.
//!
//! Kernels split only work whose per-element order does not depend on the split (rows of
//! a matrix, or columns of an activation), so results are bit-identical whatever the
//! thread count. Threads are scoped to one call: nothing lives between calls, which keeps
//! the engine safe in processes that fork (e.g. a `ProcessPoolExecutor`).
use std::sync::OnceLock;

/// Below this much work (in weight operations) a kernel stays on the calling thread.
pub const MIN_PARALLEL_WORK: usize = 1 << 18;

/// How many threads a kernel may use: `PROTOBRAIN_THREADS` when set (1 disables
/// threading), otherwise the available cores, at most 8.
pub fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        std::env::var("PROTOBRAIN_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n >= 1)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
    })
}

/// Runs `f` over `items` split into contiguous chunks, one per thread, when `work` is large
/// enough; otherwise over all items on the calling thread. `f` gets its chunk and the
/// chunk's offset in `items`.
pub fn for_chunks<T: Send>(items: &mut [T], work: usize, f: impl Fn(&mut [T], usize) + Sync) {
    let n = threads().min(items.len());
    if n <= 1 || work < MIN_PARALLEL_WORK {
        f(items, 0);
        return;
    }
    let chunk = items.len().div_ceil(n);
    std::thread::scope(|scope| {
        let mut chunks = items.chunks_mut(chunk).enumerate();
        let (_, first) = chunks.next().expect("at least one chunk");
        for (k, rest) in chunks {
            let f = &f;
            scope.spawn(move || f(rest, k * chunk));
        }
        f(first, 0);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_item_once_with_their_offsets() {
        let mut items: Vec<usize> = vec![0; 1000];
        for_chunks(&mut items, usize::MAX, |chunk, offset| {
            for (k, x) in chunk.iter_mut().enumerate() {
                *x += offset + k + 1;
            }
        });
        assert_eq!(items, (1..=1000).collect::<Vec<_>>());
    }
}
