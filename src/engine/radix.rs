//! A least-significant-byte-first radix sort of items by a `u64` key, for
//! the accumulators that sort millions of keys at the end of a pass (the
//! drift distributions' runs, duplicate keys' hashes): a few sequential
//! passes instead of a comparison sort.

/// Sorts items by a `u64` key, a byte at a time from the least significant
/// (a byte all keys share is skipped): a few sequential passes instead of a
/// comparison sort.
pub fn radix_sort<T: Copy + Default>(items: &mut Vec<T>, scratch: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    let n = items.len();
    if n < 1024 {
        items.sort_unstable_by_key(|t| key(t));
        return;
    }
    let mut histograms = [[0usize; 256]; 8];
    for t in items.iter() {
        let k = key(t);
        for (byte, h) in histograms.iter_mut().enumerate() {
            h[((k >> (8 * byte)) & 0xff) as usize] += 1;
        }
    }
    scratch.clear();
    scratch.resize(n, T::default());
    for (byte, h) in histograms.iter().enumerate() {
        if h.contains(&n) {
            continue;
        }
        let mut next = [0usize; 256];
        let mut start = 0;
        for (slot, &count) in next.iter_mut().zip(h) {
            *slot = start;
            start += count;
        }
        for t in items.iter() {
            let b = ((key(t) >> (8 * byte)) & 0xff) as usize;
            scratch[next[b]] = *t;
            next[b] += 1;
        }
        std::mem::swap(items, scratch);
    }
}
