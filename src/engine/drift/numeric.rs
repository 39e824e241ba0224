//! `probity_distribution(value)`: a numeric column's value counts, exact
//! while it has at most `max_distinct` distinct values, otherwise on a grid
//! of [`GRID_BINS`] equal-width bins over both sides' range, fixed before the
//! pass ([`GroupedMetric::Distribution`]). NaN and infinities are left out,
//! as nulls are.
//!
//! The accumulator keeps the cheapest exact form that fits: integers of a
//! small range in an array; up to [`HASHED_MAX`] distinct values in a hash
//! map; more as sorted runs, fed by a buffer of keys that is sorted now and
//! then, with a bitmap of hashes whose count bounds the number of distinct
//! values from below. Past `max_distinct` distinct values (the bound proves it
//! early, the runs at the latest) the counts move onto the grid. The two sides
//! of a test and all partitions share a flag: once one accumulator is on the
//! grid the test's result will be, so the others stop counting exactly.
//!
//! [`GroupedMetric::Distribution`]: crate::compile::GroupedMetric::Distribution

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use datafusion::arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, BooleanArray, Float64Array, PrimitiveArray, StructArray, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type, Int32Type, Int64Type, UInt64Type};
use datafusion::common::{HashMap, ScalarValue};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility};

use super::{list_of, one_list};
use crate::compile::{Distribution, GRID_BINS};
use crate::engine::radix::radix_sort;
use crate::util::expr::column as ident;

/// `(min, max)` of a column's finite values on both sides of a drift test;
/// `(0, 0)` when there are none (nothing is then binned).
pub type Range = (f64, f64);

/// The grid a too-large distribution is counted on: [`GRID_BINS`] bins of
/// `width` from `lo`, bin `floor((v - lo) / width)`, the top edge folded into
/// the last bin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    pub lo: f64,
    pub width: f64,
}

impl Grid {
    /// The grid over `[lo, hi]`, both sides' range (a single value: bins of width 1).
    pub fn over((lo, hi): Range) -> Self {
        Self { lo, width: if hi > lo { (hi - lo) / GRID_BINS as f64 } else { 1.0 } }
    }

    /// The bin of a finite value in the range: `floor((v - lo) / width)` as
    /// SQL would compute it, the top edge folded into the last bin.
    #[inline]
    pub fn bin(self, v: f64) -> usize {
        // For a non-negative quotient the cast truncates, which is the floor;
        // it saturates, so a value below the range (never, when the range is
        // right) lands in bin 0 and one above it in the last bin.
        (((v - self.lo) / self.width) as usize).min(GRID_BINS - 1)
    }

    /// A bin's left edge: the value a binned distribution reports for it.
    pub fn left_edge(self, bin: usize) -> f64 {
        self.lo + bin as f64 * self.width
    }
}

/// One side's counts as the aggregate returns them, as a partial state and
/// as its result: in no order and with a value possibly repeated. Sorting
/// is left to [`combine`], which needs it only when the test stays exact.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SideCounts {
    /// Whether the side had more than `max_distinct` distinct values (or the
    /// other side of the test had).
    pub binned: bool,
    /// The values, or the bins (as numbers) when binned.
    pub keys: Vec<f64>,
    pub counts: Vec<u64>,
}

impl SideCounts {
    /// The distinct values with their counts, in order.
    fn distinct(self) -> Vec<(f64, u64)> {
        let mut pairs: Vec<(u64, u64)> = self.keys.iter().map(|&v| key(v)).zip(self.counts).collect();
        if !pairs.windows(2).all(|w| w[0].0 < w[1].0) {
            radix_sort(&mut pairs, &mut Vec::new(), |p| p.0);
            pairs.dedup_by(|next, kept| {
                let same = next.0 == kept.0;
                if same {
                    kept.1 += next.1;
                }
                same
            });
        }
        pairs.into_iter().map(|(k, n)| (value(k), n)).collect()
    }

    /// Counts per grid bin, in bin order.
    fn bins(self, grid: Grid) -> Vec<(f64, u64)> {
        let mut bins = vec![0u64; GRID_BINS];
        for (k, n) in self.keys.into_iter().zip(self.counts) {
            bins[if self.binned { k as usize } else { grid.bin(k) }] += n;
        }
        bins.into_iter().enumerate().filter(|(_, n)| *n > 0).map(|(i, n)| (grid.left_edge(i), n)).collect()
    }
}

/// Both sides as a [`Distribution`]: exact when each side has at most
/// `max_distinct` distinct values, otherwise both on the grid.
pub fn combine(current: SideCounts, reference: SideCounts, grid: Grid, max_distinct: usize) -> Distribution {
    if !current.binned && !reference.binned {
        let (c, r) = (current.distinct(), reference.distinct());
        if c.len() <= max_distinct && r.len() <= max_distinct {
            return Distribution { sides: [c, r], bin_width: None };
        }
        // Too many after all (the accumulators' bound can fall short): bin them.
        let side = |pairs: Vec<(f64, u64)>| {
            let (keys, counts) = pairs.into_iter().unzip();
            SideCounts { binned: false, keys, counts }.bins(grid)
        };
        return Distribution { sides: [side(c), side(r)], bin_width: Some(grid.width) };
    }
    Distribution { sides: [current.bins(grid), reference.bins(grid)], bin_width: Some(grid.width) }
}

/// Integer ranges up to this many values are counted in an array, without
/// hashing (4 MiB at most; pages never touched are never allocated).
const DENSE_MAX: usize = 1 << 20;

/// Counts per slot (an integer of the range, or a grid bin), randomly
/// accessed: the low 16 bits of each in a `u16` (a quarter of the cache
/// footprint of `u64`), what overflows them in a `u64` beside it.
#[derive(Debug)]
struct Slots {
    low: Vec<u16>,
    /// Multiples of 2^16; empty until a count first passes `u16::MAX`.
    high: Vec<u64>,
}

impl Slots {
    fn new(len: usize) -> Self {
        Self { low: vec![0; len], high: Vec::new() }
    }

    fn len(&self) -> usize {
        self.low.len()
    }

    fn carry(&mut self, i: usize, n: u64) {
        if self.high.is_empty() {
            self.high = vec![0; self.low.len()];
        }
        self.high[i] += n << 16;
    }

    /// Adds one.
    #[inline]
    fn bump(&mut self, i: usize) {
        let (low, carried) = self.low[i].overflowing_add(1);
        self.low[i] = low;
        if carried {
            self.carry(i, 1);
        }
    }

    fn add(&mut self, i: usize, n: u64) {
        let (low, carried) = self.low[i].overflowing_add((n & 0xFFFF) as u16);
        self.low[i] = low;
        let high = (n >> 16) + u64::from(carried);
        if high > 0 {
            self.carry(i, high);
        }
    }

    fn get(&self, i: usize) -> u64 {
        u64::from(self.low[i]) + self.high.get(i).copied().unwrap_or(0)
    }

    /// `(slot, count)` of the non-empty slots, in slot order.
    fn entries(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        (0..self.len()).map(|i| (i, self.get(i))).filter(|(_, n)| *n > 0)
    }

    fn size(&self) -> usize {
        self.low.capacity() * size_of::<u16>() + self.high.capacity() * size_of::<u64>()
    }
}

/// Past this many distinct values, exact counts are kept sorted rather than
/// hashed: a hash table that outgrows the CPU caches costs a cache miss per
/// row and page faults each time it doubles, where sorting a buffer of keys
/// now and then reads and writes memory in order.
const HASHED_MAX: usize = 1 << 16;

/// At most this many keys (32 MiB) are buffered before they are sorted
/// into the runs.
const PENDING_MAX: usize = 1 << 22;

/// A finite value's key: ordered as the values, `-0.0` counted as `0.0`.
fn key(v: f64) -> u64 {
    let bits = (v + 0.0).to_bits();
    if bits >> 63 == 1 { !bits } else { bits | (1 << 63) }
}

/// The value of a [`key`].
fn value(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 { key & !(1 << 63) } else { !key })
}

/// Merges two key-ordered sequences of `(key, count)`, adding the counts of
/// equal keys, into `out`.
fn merge_runs(a: impl Iterator<Item = (u64, u64)>, b: impl Iterator<Item = (u64, u64)>, out: &mut Vec<(u64, u64)>) {
    out.clear();
    let (mut a, mut b) = (a.peekable(), b.peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x.0 <= y.0 => a.next(),
            (Some(_) | None, Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, None) => break,
        };
        let (k, n) = next.expect("peeked");
        match out.last_mut() {
            Some(last) if last.0 == k => last.1 += n,
            _ => out.push((k, n)),
        }
    }
}

/// Keys in order, `(key, count)` for each run of equal keys.
fn runs_of(sorted: &[u64]) -> impl Iterator<Item = (u64, u64)> + '_ {
    sorted.chunk_by(|a, b| a == b).map(|run| (run[0], run.len() as u64))
}

/// Exact counts past [`HASHED_MAX`] distinct values: distinct keys with
/// their counts in key order, and keys not merged into them yet (sorted in
/// only when memory or the result needs it: a test that ends on the grid
/// never sorts them).
#[derive(Debug, Default)]
struct Sorted {
    runs: Vec<(u64, u64)>,
    /// Keys seen once each (rows).
    pending: Vec<u64>,
    /// Keys with counts (from partial states).
    weighted: Vec<(u64, u64)>,
    /// A bit per hash of every key seen, and how many bits are set: a lower
    /// bound on the number of distinct values (keys of equal hash only hide
    /// some), so passing `max_distinct` proves there are too many without
    /// sorting anything.
    seen: Vec<u64>,
    seen_count: usize,
    /// log2 of the bits in `seen`.
    seen_shift: u32,
    /// Buffers reused by the merges.
    spare: Vec<(u64, u64)>,
    scratch: Vec<u64>,
}

impl Sorted {
    fn new(runs: Vec<(u64, u64)>, max_distinct: usize) -> Self {
        // About 4 bits per distinct value allowed (512 KiB for a million,
        // small enough for the CPU caches): the bound passes `max_distinct`
        // once there are about 1.2 times as many distinct values.
        let bits = max_distinct.saturating_mul(4).clamp(1 << 16, 1 << 27).next_power_of_two();
        let mut sorted = Self { seen: vec![0; bits / 64], seen_shift: bits.trailing_zeros(), runs, ..Self::default() };
        for i in 0..sorted.runs.len() {
            sorted.mark(sorted.runs[i].0);
        }
        sorted
    }

    /// Marks a key as seen; returns the lower bound on distinct values.
    #[inline]
    fn mark(&mut self, key: u64) -> usize {
        let h = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - self.seen_shift)) as usize;
        let (word, bit) = (h / 64, 1u64 << (h % 64));
        if self.seen[word] & bit == 0 {
            self.seen[word] |= bit;
            self.seen_count += 1;
        }
        self.seen_count
    }

    /// Sorts the pending keys into the runs.
    fn merge(&mut self) {
        if !self.pending.is_empty() {
            radix_sort(&mut self.pending, &mut self.scratch, |&k| k);
            merge_runs(self.runs.iter().copied(), runs_of(&self.pending), &mut self.spare);
            std::mem::swap(&mut self.runs, &mut self.spare);
            self.pending.clear();
        }
        if !self.weighted.is_empty() {
            radix_sort(&mut self.weighted, &mut Vec::new(), |w| w.0);
            merge_runs(self.runs.iter().copied(), self.weighted.iter().copied(), &mut self.spare);
            std::mem::swap(&mut self.runs, &mut self.spare);
            self.weighted.clear();
        }
    }

    /// Every `(key, count)`, unordered and possibly repeated.
    fn entries(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.runs.iter().chain(&self.weighted).copied().chain(self.pending.iter().map(|&k| (k, 1)))
    }

    fn size(&self) -> usize {
        (self.runs.capacity() + self.spare.capacity()) * 2 * size_of::<u64>()
            + self.weighted.capacity() * 2 * size_of::<u64>()
            + (self.pending.capacity() + self.scratch.capacity() + self.seen.capacity()) * size_of::<u64>()
    }
}

/// A column's counts so far, in the cheapest form that is still exact.
#[derive(Debug)]
enum Counts {
    /// Integers `lo + i` counted at slot `i`, with the number of non-zero
    /// slots (kept only when there are more slots than `max_distinct`:
    /// otherwise it cannot be exceeded, and the loop is faster without it).
    Dense { counts: Slots, distinct: usize },
    /// Up to [`HASHED_MAX`] distinct values, by [`key`].
    Hashed(HashMap<u64, u64>),
    /// More, sorted.
    Sorted(Sorted),
    /// Counts per grid bin, past `max_distinct` distinct values.
    Binned(Slots),
}

/// The accumulator of `probity_distribution`: see the module docs.
#[derive(Debug)]
pub struct DistributionAccumulator {
    /// The range of the column on both sides (the grid's).
    lo: f64,
    grid: Grid,
    max_distinct: usize,
    counts: Counts,
    /// Set when any accumulator of the same drift test (either side, any
    /// partition) moves to the grid: the whole test then ends on the grid
    /// (see [`combine`]), so the others can stop counting exactly. It saves
    /// work only; results do not depend on when it is seen.
    binned: Arc<AtomicBool>,
}

impl DistributionAccumulator {
    /// An accumulator for a column whose values on both sides lie in `[lo, hi]`.
    pub fn new((lo, hi): Range, max_distinct: usize, binned: Arc<AtomicBool>) -> Self {
        const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0; // 2^53
        let integers = lo == lo.trunc() && hi == hi.trunc() && lo.abs() <= EXACT_INTEGERS && hi.abs() <= EXACT_INTEGERS;
        let counts = if integers && hi >= lo && hi - lo < DENSE_MAX as f64 {
            Counts::Dense { counts: Slots::new((hi - lo) as usize + 1), distinct: 0 }
        } else {
            Counts::Hashed(HashMap::default())
        };
        Self { lo, grid: Grid::over((lo, hi)), max_distinct, counts, binned }
    }

    /// Counts finite values, in the cheapest form that stays exact, then on the grid.
    fn add_all(&mut self, mut values: impl Iterator<Item = f64>) {
        let (lo, grid, max_distinct) = (self.lo, self.grid, self.max_distinct);
        loop {
            match &mut self.counts {
                Counts::Dense { counts, distinct } => {
                    let mut outside = None;
                    let track = counts.len() > max_distinct;
                    for v in values.by_ref() {
                        let offset = v - lo;
                        // An integer offset converts back exactly; a negative one
                        // wraps to a huge index.
                        let i = offset as i64;
                        if i as f64 != offset || i as u64 >= counts.len() as u64 {
                            outside = Some(v);
                            break;
                        }
                        let i = i as usize;
                        if track {
                            *distinct += usize::from(counts.get(i) == 0);
                        }
                        counts.bump(i);
                        if *distinct > max_distinct {
                            break;
                        }
                    }
                    match outside {
                        // Not an integer of the range after all: count by value.
                        Some(v) => {
                            self.move_to_hashed();
                            self.add(v);
                        }
                        None if *distinct > max_distinct => self.move_to_grid(),
                        None => return,
                    }
                }
                Counts::Hashed(map) => {
                    for v in values.by_ref() {
                        *map.entry(key(v)).or_insert(0) += 1;
                        if map.len() > max_distinct.min(HASHED_MAX) {
                            break;
                        }
                    }
                    if map.len() <= max_distinct.min(HASHED_MAX) {
                        return;
                    }
                    self.grow();
                }
                Counts::Sorted(sorted) => {
                    // Sorting is put off (memory allowing) until the bound on
                    // distinct values could have proved there are too many.
                    let due = max_distinct.saturating_mul(2).clamp(HASHED_MAX, PENDING_MAX).max(sorted.runs.len());
                    let mut too_many = false;
                    for v in values.by_ref() {
                        let k = key(v);
                        sorted.pending.push(k);
                        too_many = sorted.mark(k) > max_distinct;
                        if too_many || sorted.pending.len() >= due {
                            break;
                        }
                    }
                    if too_many {
                        self.move_to_grid();
                    } else if sorted.pending.len() >= due {
                        self.flush();
                    } else {
                        return;
                    }
                }
                Counts::Binned(bins) => {
                    for v in values {
                        bins.bump(grid.bin(v));
                    }
                    return;
                }
            }
        }
    }

    /// Counts an array's values as f64, leaving out nulls, NaN and infinities.
    fn add_primitive<T: ArrowPrimitiveType>(&mut self, array: &PrimitiveArray<T>, as_f64: impl Fn(T::Native) -> f64) {
        let values = array.values();
        match array.nulls().filter(|n| n.null_count() > 0) {
            None => self.add_all(values.iter().map(|&v| as_f64(v)).filter(|v| v.is_finite())),
            Some(nulls) => {
                self.add_all(nulls.valid_indices().map(|i| as_f64(values[i])).filter(|v| v.is_finite()));
            }
        }
    }

    /// Counts an integer array: straight into the dense counts while they
    /// last (no round trip through f64), else as f64.
    fn add_integers<T: ArrowPrimitiveType>(&mut self, array: &PrimitiveArray<T>)
    where
        T::Native: Into<i64>,
    {
        let mut rest = 0;
        if let (Counts::Dense { counts, distinct }, None) = (&mut self.counts, array.nulls()) {
            // The range is integral when counts are dense: lo is an integer of at most 2^53.
            let lo = self.lo as i64;
            let track = counts.len() > self.max_distinct;
            for &v in array.values() {
                let i = v.into().wrapping_sub(lo) as u64 as usize;
                if i >= counts.len() {
                    break; // outside the range: counted as f64 below
                }
                if track {
                    *distinct += usize::from(counts.get(i) == 0);
                }
                counts.bump(i);
                rest += 1;
                if *distinct > self.max_distinct {
                    self.move_to_grid();
                    break;
                }
            }
        }
        let rest = array.slice(rest, array.len() - rest);
        self.add_primitive(&rest, |v| v.into() as f64);
    }

    /// Adds one finite value.
    fn add(&mut self, v: f64) {
        self.add_all(std::iter::once(v));
    }

    /// Dense counts that met a value outside their range: hashed instead.
    fn move_to_hashed(&mut self) {
        if let Counts::Dense { counts, .. } = &self.counts {
            let map: HashMap<u64, u64> = counts.entries().map(|(i, n)| (key(self.lo + i as f64), n)).collect();
            self.counts = Counts::Hashed(map);
            self.grow();
        }
    }

    /// Exact counts as sorted runs (from any exact form).
    fn move_to_sorted(&mut self) {
        let runs: Vec<(u64, u64)> = match &self.counts {
            Counts::Dense { counts, .. } => counts.entries().map(|(i, n)| (key(self.lo + i as f64), n)).collect(),
            Counts::Hashed(map) => {
                let mut runs: Vec<(u64, u64)> = map.iter().map(|(&k, &n)| (k, n)).collect();
                runs.sort_unstable();
                runs
            }
            Counts::Sorted(_) | Counts::Binned(_) => return,
        };
        self.counts = Counts::Sorted(Sorted::new(runs, self.max_distinct));
    }

    /// A hash map past its size: on the grid when there are too many
    /// distinct values, else sorted.
    fn grow(&mut self) {
        if let Counts::Hashed(map) = &self.counts {
            if map.len() > self.max_distinct {
                self.move_to_grid();
            } else if map.len() > HASHED_MAX {
                self.move_to_sorted();
            }
        }
    }

    /// Sorts pending keys into the runs; on the grid when there are too many.
    fn flush(&mut self) {
        if let Counts::Sorted(sorted) = &mut self.counts {
            sorted.merge();
            if sorted.runs.len() > self.max_distinct {
                self.move_to_grid();
            }
        }
    }

    /// Past `max_distinct` values: fold the exact counts into the grid.
    fn move_to_grid(&mut self) {
        let (lo, grid) = (self.lo, self.grid);
        let mut bins = Slots::new(GRID_BINS);
        match &self.counts {
            Counts::Dense { counts, .. } => counts.entries().for_each(|(i, n)| bins.add(grid.bin(lo + i as f64), n)),
            Counts::Hashed(map) => map.iter().for_each(|(&k, &n)| bins.add(grid.bin(value(k)), n)),
            Counts::Sorted(sorted) => sorted.entries().for_each(|(k, n)| bins.add(grid.bin(value(k)), n)),
            Counts::Binned(_) => return,
        }
        self.counts = Counts::Binned(bins);
        self.binned.store(true, Ordering::Relaxed);
    }

    /// Moves to the grid if another accumulator of the test has.
    fn follow(&mut self) {
        if self.binned.load(Ordering::Relaxed) {
            self.move_to_grid();
        }
    }

    /// The counts (see [`SideCounts`]).
    fn summary(&self) -> SideCounts {
        let pairs: Vec<(f64, u64)> = match &self.counts {
            Counts::Binned(bins) => bins.entries().map(|(i, n)| (i as f64, n)).collect(),
            Counts::Dense { counts, .. } => counts.entries().map(|(i, n)| (self.lo + i as f64 + 0.0, n)).collect(),
            Counts::Hashed(map) => map.iter().map(|(&k, &n)| (value(k), n)).collect(),
            Counts::Sorted(sorted) => sorted.entries().map(|(k, n)| (value(k), n)).collect(),
        };
        let binned = matches!(self.counts, Counts::Binned(_));
        let (keys, counts) = pairs.into_iter().unzip();
        SideCounts { binned, keys, counts }
    }

    /// Adds `n` copies of a finite value (from a partial state).
    fn add_n(&mut self, v: f64, n: u64) {
        match &mut self.counts {
            Counts::Dense { counts, distinct } => {
                let offset = v - self.lo;
                let i = offset as usize;
                if i as f64 == offset && i < counts.len() {
                    *distinct += usize::from(counts.len() > self.max_distinct && counts.get(i) == 0);
                    counts.add(i, n);
                    if *distinct > self.max_distinct {
                        self.move_to_grid();
                    }
                } else {
                    self.move_to_hashed();
                    self.add_n(v, n);
                }
            }
            Counts::Hashed(map) => {
                *map.entry(key(v)).or_insert(0) += n;
                if map.len() > self.max_distinct.min(HASHED_MAX) {
                    self.grow();
                }
            }
            Counts::Sorted(sorted) => {
                let k = key(v);
                sorted.weighted.push((k, n));
                if sorted.mark(k) > self.max_distinct {
                    self.move_to_grid();
                } else if sorted.weighted.len() >= PENDING_MAX.max(sorted.runs.len()) {
                    self.flush();
                }
            }
            Counts::Binned(bins) => bins.add(self.grid.bin(v), n),
        }
    }

    /// Merges one partial state (see [`Self::summary`]).
    fn merge(&mut self, binned: bool, keys: &Float64Array, counts: &UInt64Array) {
        if binned {
            self.move_to_grid();
            if let Counts::Binned(bins) = &mut self.counts {
                for (&k, &n) in keys.values().iter().zip(counts.values()) {
                    bins.add(k as usize, n);
                }
            }
        } else {
            for (&v, &n) in keys.values().iter().zip(counts.values()) {
                self.add_n(v, n);
            }
        }
    }
}

/// `binned`, `keys`, `counts`: the state between partial and final
/// aggregation, and the result.
fn fields() -> Fields {
    Fields::from(vec![
        Field::new("binned", DataType::Boolean, false),
        Field::new("keys", list_of(DataType::Float64), false),
        Field::new("counts", list_of(DataType::UInt64), false),
    ])
}

impl SideCounts {
    fn into_arrays(self) -> Vec<ArrayRef> {
        vec![
            Arc::new(BooleanArray::from(vec![self.binned])),
            Arc::new(one_list(Arc::new(Float64Array::from(self.keys)))),
            Arc::new(one_list(Arc::new(UInt64Array::from(self.counts)))),
        ]
    }

    /// Reads row `row` of the aggregate's result column.
    pub fn from_result(array: &dyn Array, row: usize) -> Result<Self> {
        let unexpected = || DataFusionError::Internal("a distribution result has unexpected types".into());
        let s = array.as_struct_opt().ok_or_else(unexpected)?;
        let binned = s.column(0).as_boolean_opt().ok_or_else(unexpected)?.value(row);
        let keys = s.column(1).as_list_opt::<i32>().ok_or_else(unexpected)?.value(row);
        let counts = s.column(2).as_list_opt::<i32>().ok_or_else(unexpected)?.value(row);
        let keys = keys.as_primitive_opt::<Float64Type>().ok_or_else(unexpected)?;
        let counts = counts.as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
        Ok(Self { binned, keys: keys.values().to_vec(), counts: counts.values().to_vec() })
    }
}

impl Accumulator for DistributionAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.follow();
        // Common types are read as they are; others through a cast to f64.
        let array = &values[0];
        match array.data_type() {
            DataType::Float64 => self.add_primitive(array.as_primitive::<Float64Type>(), |v| v),
            DataType::Int64 => self.add_integers(array.as_primitive::<Int64Type>()),
            DataType::Int32 => self.add_integers(array.as_primitive::<Int32Type>()),
            _ => {
                let cast = datafusion::arrow::compute::cast(array, &DataType::Float64)?;
                self.add_primitive(cast.as_primitive::<Float64Type>(), |v| v);
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let unexpected = || DataFusionError::Internal("a distribution state has unexpected types".into());
        let binned = states[0].as_boolean_opt().ok_or_else(unexpected)?;
        let keys = states[1].as_list_opt::<i32>().ok_or_else(unexpected)?;
        let counts = states[2].as_list_opt::<i32>().ok_or_else(unexpected)?;
        self.follow();
        for row in 0..binned.len() {
            let (k, n) = (keys.value(row), counts.value(row));
            let k = k.as_primitive_opt::<Float64Type>().ok_or_else(unexpected)?;
            let n = n.as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
            self.merge(binned.value(row), k, n);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.follow();
        self.summary().into_arrays().iter().map(|a| ScalarValue::try_from_array(a, 0)).collect()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.follow();
        let s = StructArray::new(fields(), self.summary().into_arrays(), None);
        Ok(ScalarValue::Struct(Arc::new(s)))
    }

    fn size(&self) -> usize {
        let counts = match &self.counts {
            // A hashbrown entry plus its control byte.
            Counts::Hashed(map) => map.capacity() * (2 * size_of::<u64>() + 1),
            Counts::Sorted(sorted) => sorted.size(),
            Counts::Dense { counts: slots, .. } | Counts::Binned(slots) => slots.size(),
        };
        size_of::<Self>() + counts
    }
}

/// One `probity_distribution` call: a drift test's column on one side.
#[derive(Debug, Clone)]
pub struct Call {
    pub column: String,
    /// The column's range on both sides.
    pub range: Range,
    pub max_distinct: usize,
    /// The test's position among the plan's distributions (for its name).
    pub test: usize,
    /// Shared by both sides of the test (see [`DistributionAccumulator`]).
    pub binned: Flag,
}

/// A flag shared by the accumulators of one test; equal only to itself.
#[derive(Debug, Clone, Default)]
pub struct Flag(Arc<AtomicBool>);

impl PartialEq for Flag {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Flag {}

impl std::hash::Hash for Flag {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.0).hash(state);
    }
}

/// `probity_distribution(value)` for one [`Call`]; its parameters are in its
/// name, so that `probity plan` shows them.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DistributionUdaf {
    name: String,
    /// The range's bits.
    lo: u64,
    hi: u64,
    max_distinct: usize,
    binned: Flag,
    signature: Signature,
}

impl AggregateUDFImpl for DistributionUdaf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let range = (f64::from_bits(self.lo), f64::from_bits(self.hi));
        Ok(Box::new(DistributionAccumulator::new(range, self.max_distinct, Arc::clone(&self.binned.0))))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(fields()
            .iter()
            .map(|f| Arc::new(f.as_ref().clone().with_name(format_state_name(args.name, f.name()))))
            .collect())
    }
}

impl Call {
    /// The aggregate expression of this call.
    pub fn expr(&self) -> Expr {
        let (lo, hi) = self.range;
        let udaf = DistributionUdaf {
            name: format!(
                "probity_distribution[test {}: lo={lo}, hi={hi}, max_distinct={}]",
                self.test, self.max_distinct
            ),
            lo: lo.to_bits(),
            hi: hi.to_bits(),
            max_distinct: self.max_distinct,
            binned: self.binned.clone(),
            signature: Signature::any(1, Volatility::Immutable),
        };
        AggregateUDF::from(udaf).call(vec![ident(&self.column)])
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// An accumulator of its own test.
    fn new(range: Range, max_distinct: usize) -> DistributionAccumulator {
        DistributionAccumulator::new(range, max_distinct, Arc::default())
    }

    fn add(acc: &mut DistributionAccumulator, values: &[f64]) {
        let array: ArrayRef = Arc::new(Float64Array::from(values.to_vec()));
        acc.update_batch(&[array]).unwrap();
    }

    fn accumulate(range: Range, max_distinct: usize, values: &[f64]) -> DistributionAccumulator {
        let mut acc = new(range, max_distinct);
        add(&mut acc, values);
        acc
    }

    /// The states of `accs` as DataFusion passes them on: one row per partition.
    fn states(accs: &mut [DistributionAccumulator]) -> Vec<ArrayRef> {
        let rows: Vec<Vec<ScalarValue>> = accs.iter_mut().map(|a| a.state().unwrap()).collect();
        (0..3).map(|i| ScalarValue::iter_to_array(rows.iter().map(|r| r[i].clone())).unwrap()).collect()
    }

    /// The result, in order: distinct values, or bins.
    fn evaluated(acc: &mut DistributionAccumulator) -> SideCounts {
        let v = acc.evaluate().unwrap();
        let s = SideCounts::from_result(&v.to_array().unwrap(), 0).unwrap();
        let binned = s.binned;
        let pairs: Vec<(f64, u64)> = if binned {
            let bins = s.keys.iter().zip(&s.counts).fold(BTreeMap::<usize, u64>::new(), |mut m, (&k, &n)| {
                *m.entry(k as usize).or_default() += n;
                m
            });
            bins.into_iter().map(|(k, n)| (k as f64, n)).collect()
        } else {
            s.distinct()
        };
        let (keys, counts) = pairs.into_iter().unzip();
        SideCounts { binned, keys, counts }
    }

    /// What the grid makes of `values`: `(bin, count)` in bin order.
    fn binned(range: Range, values: &[f64]) -> SideCounts {
        let grid = Grid::over(range);
        let bins = values.iter().fold(BTreeMap::<usize, u64>::new(), |mut m, &v| {
            *m.entry(grid.bin(v)).or_default() += 1;
            m
        });
        SideCounts {
            binned: true,
            keys: bins.keys().map(|&k| k as f64).collect(),
            counts: bins.into_values().collect(),
        }
    }

    #[test]
    fn grid_bins_match_the_sql_the_engine_used_to_run() {
        // floor((v - lo) / width), the top edge in the last bin.
        let g = Grid::over((500.0, 50_000.0));
        assert_eq!(g.width, 0.495);
        assert_eq!(g.bin(500.0), 0);
        assert_eq!(g.bin(500.494), 0);
        assert_eq!(g.bin(500.495), ((500.495 - 500.0) / 0.495f64).floor() as usize);
        assert_eq!(g.bin(50_000.0), GRID_BINS - 1);
        assert_eq!(g.left_edge(2), 500.0 + 2.0 * 0.495);
        // A constant column (or none): bins of width 1.
        assert_eq!(Grid::over((3.0, 3.0)), Grid { lo: 3.0, width: 1.0 });
    }

    #[test]
    fn exact_while_small_with_nulls_nan_and_infinities_left_out() {
        for range in [(0.0, 10.0), (-0.0, 2.0), (0.0, 2.5), (0.0, 1e9)] {
            let mut acc = new(range, 3);
            let array: ArrayRef = Arc::new(Float64Array::from(vec![
                Some(2.0),
                None,
                Some(f64::NAN),
                Some(-0.0),
                Some(f64::INFINITY),
                Some(2.0),
                Some(0.0),
                Some(f64::NEG_INFINITY),
                Some(1.5),
            ]));
            acc.update_batch(&[array]).unwrap();
            let s = evaluated(&mut acc);
            assert!(!s.binned);
            // -0.0 and 0.0 are one value.
            assert_eq!(s.keys, vec![0.0, 1.5, 2.0], "{range:?}");
            assert!(s.keys[0].is_sign_positive());
            assert_eq!(s.counts, vec![2, 1, 2]);
        }
    }

    #[test]
    fn integers_of_a_small_range_are_counted_densely_and_exactly() {
        let values = [3.0, 7.0, 3.0, -2.0, 7.0, 7.0];
        let mut acc = accumulate((-2.0, 7.0), 10, &values);
        assert!(matches!(acc.counts, Counts::Dense { .. }));
        let s = evaluated(&mut acc);
        assert_eq!((s.binned, s.keys, s.counts), (false, vec![-2.0, 3.0, 7.0], vec![1, 2, 3]));
        // A fraction or a value out of the range: counted by value from then on.
        let mut acc = accumulate((-2.0, 7.0), 10, &[3.0, 3.5, 3.0, 9.0]);
        assert!(matches!(acc.counts, Counts::Hashed(_)));
        let s = evaluated(&mut acc);
        assert_eq!((s.keys, s.counts), (vec![3.0, 3.5, 9.0], vec![2, 1, 1]));
        // Past max_distinct: the grid, as from a hash map.
        let s = evaluated(&mut accumulate((-2.0, 7.0), 2, &values));
        assert_eq!(s, binned((-2.0, 7.0), &values));
        // Integer and other columns count as their f64 casts, nulls left out.
        let as_floats = evaluated(&mut accumulate((-2.0, 7.0), 10, &values));
        let ints: [ArrayRef; 3] = [
            Arc::new(datafusion::arrow::array::Int64Array::from(vec![
                Some(3),
                None,
                Some(7),
                Some(3),
                Some(-2),
                Some(7),
                Some(7),
            ])),
            Arc::new(datafusion::arrow::array::Int32Array::from(vec![3, 7, 3, -2, 7, 7])),
            Arc::new(datafusion::arrow::array::Int16Array::from(vec![3, 7, 3, -2, 7, 7])),
        ];
        for array in ints {
            let mut acc = new((-2.0, 7.0), 10);
            acc.update_batch(&[array]).unwrap();
            assert_eq!(evaluated(&mut acc), as_floats);
        }
        // Integers straight into dense counts, until one is out of range or there are too many.
        let ints = [3, 7, 3, -2, 7, 7, 9, 3];
        let floats: Vec<f64> = ints.iter().map(|&i| f64::from(i)).collect();
        for max_distinct in [2, 10] {
            let mut acc = new((-2.0, 7.0), max_distinct);
            let array: ArrayRef = Arc::new(datafusion::arrow::array::Int64Array::from(ints.map(i64::from).to_vec()));
            acc.update_batch(&[array]).unwrap();
            assert_eq!(evaluated(&mut acc), evaluated(&mut accumulate((-2.0, 7.0), max_distinct, &floats)));
        }
    }

    #[test]
    fn past_max_distinct_counts_move_to_the_grid() {
        let range = (0.0, 100.0);
        // Four distinct values with max_distinct 3: the fourth switches, later values go straight to bins.
        let values = [0.0, 0.0, 50.0, 99.999, 100.0, 25.0, 25.0, 0.0005];
        let s = evaluated(&mut accumulate(range, 3, &values));
        assert_eq!(s, binned(range, &values));
        assert_eq!(s.counts.iter().sum::<u64>(), 8);
        // Three distinct values stay exact.
        let s = evaluated(&mut accumulate(range, 3, &[0.0, 50.0, 50.0, 100.0]));
        assert!(!s.binned);
        assert_eq!((s.keys, s.counts), (vec![0.0, 50.0, 100.0], vec![1, 2, 1]));
    }

    #[test]
    fn merged_partial_states_equal_one_pass_over_all_rows() {
        let fractions: Vec<f64> = (0..1000).map(|i| f64::from(i % 37) * 0.25 - 4.5).collect();
        let integers: Vec<f64> = (0..1000).map(|i| f64::from(i % 37) - 20.0).collect();
        for (range, all) in [((-5.0, 5.0), fractions), ((-20.0, 16.0), integers)] {
            for max_distinct in [0, 5, 36, 37, 1000] {
                let whole = evaluated(&mut accumulate(range, max_distinct, &all));
                assert_eq!(whole.binned, max_distinct < 37, "37 distinct values");
                // Split unevenly: each part may be exact or binned on its own.
                for split in [0, 1, 100, 500, 999] {
                    let mut parts = [
                        accumulate(range, max_distinct, &all[..split]),
                        accumulate(range, max_distinct, &all[split..]),
                    ];
                    let mut merged = new(range, max_distinct);
                    merged.merge_batch(&states(&mut parts)).unwrap();
                    assert_eq!(evaluated(&mut merged), whole, "{range:?}, max_distinct {max_distinct}, split {split}");
                }
            }
        }
    }

    #[test]
    fn once_one_accumulator_of_a_test_bins_the_others_follow_with_the_same_result() {
        let range = (0.0, 10.0);
        let many: Vec<f64> = (0..100).map(|i| f64::from(i) * 0.1).collect();
        let few = [1.0, 2.5, 2.5];
        let alone = combine(
            evaluated(&mut accumulate(range, 50, &many)),
            evaluated(&mut accumulate(range, 50, &few)),
            Grid::over(range),
            50,
        );
        // Sharing a flag: the side with few values stops counting exactly once the other overflows.
        let flag: Arc<AtomicBool> = Arc::default();
        let mut current = DistributionAccumulator::new(range, 50, Arc::clone(&flag));
        let mut reference = DistributionAccumulator::new(range, 50, Arc::clone(&flag));
        add(&mut reference, &few[..1]);
        add(&mut current, &many);
        assert!(flag.load(Ordering::Relaxed));
        add(&mut reference, &few[1..]);
        assert!(matches!(reference.counts, Counts::Binned(_)));
        assert_eq!(combine(evaluated(&mut current), evaluated(&mut reference), Grid::over(range), 50), alone);
        assert_eq!(alone.bin_width, Some(Grid::over(range).width));
        // Partitions of one side share the flag too; their merge is unchanged.
        let flag: Arc<AtomicBool> = Arc::default();
        let mut parts = [
            DistributionAccumulator::new(range, 50, Arc::clone(&flag)),
            DistributionAccumulator::new(range, 50, Arc::clone(&flag)),
        ];
        add(&mut parts[1], &few);
        add(&mut parts[0], &many);
        let mut merged = DistributionAccumulator::new(range, 50, flag);
        merged.merge_batch(&states(&mut parts)).unwrap();
        let mut all = many.clone();
        all.extend(few);
        assert_eq!(evaluated(&mut merged), evaluated(&mut accumulate(range, 50, &all)));
    }

    #[test]
    fn many_distinct_values_are_kept_sorted_exactly_then_binned_past_max_distinct() {
        // More distinct values than a hash map holds: sorted runs, merged at the end.
        let n = HASHED_MAX * 2;
        let all: Vec<f64> = (0..3 * n).map(|i| ((i * 7919) % n) as f64 * -0.5).collect();
        let range = (-(n as f64) * 0.5, 0.0);
        let mut acc = accumulate(range, n, &all);
        assert!(matches!(acc.counts, Counts::Sorted(_)));
        let s = evaluated(&mut acc);
        assert!(!s.binned);
        let expected: Vec<f64> = (0..n).rev().map(|i| i as f64 * -0.5).collect();
        assert_eq!(s.keys, expected);
        assert!(s.counts.iter().all(|&c| c == 3));
        // One fewer allowed: the grid, found when the runs are merged.
        let s = evaluated(&mut accumulate(range, n - 1, &all));
        assert_eq!(s, binned(range, &all));
        // Far fewer: the bound on distinct values proves it before anything is sorted.
        let mut acc = accumulate(range, n * 3 / 4, &all[..n]);
        assert!(matches!(acc.counts, Counts::Binned(_)));
        assert_eq!(evaluated(&mut acc), binned(range, &all[..n]));
        // Partial states of either form merge to the same.
        for max_distinct in [n - 1, n] {
            let mut parts =
                [accumulate(range, max_distinct, &all[..n / 3]), accumulate(range, max_distinct, &all[n / 3..])];
            let mut merged = new(range, max_distinct);
            merged.merge_batch(&states(&mut parts)).unwrap();
            assert_eq!(evaluated(&mut merged), evaluated(&mut accumulate(range, max_distinct, &all)));
        }
    }

    #[test]
    fn keys_order_values_with_zero_counted_once() {
        let values = [f64::MIN, -1e300, -1.5, -f64::MIN_POSITIVE, 0.0, 5e-324, 1.0, f64::MAX];
        for pair in values.windows(2) {
            assert!(key(pair[0]) < key(pair[1]), "{pair:?}");
        }
        for v in values {
            assert_eq!(value(key(v)).to_bits(), v.to_bits());
        }
        assert_eq!(key(-0.0), key(0.0));
    }

    #[test]
    fn slot_counts_carry_past_sixteen_bits() {
        let mut slots = Slots::new(3);
        slots.add(1, 1 << 33);
        for _ in 0..70_000 {
            slots.bump(2);
        }
        slots.add(2, u64::from(u16::MAX));
        slots.add(0, 5);
        assert_eq!(slots.entries().collect::<Vec<_>>(), vec![(0, 5), (1, 1 << 33), (2, 70_000 + 65_535)]);
    }

    #[test]
    fn an_empty_side_is_exact_and_empty() {
        let s = evaluated(&mut accumulate((0.0, 0.0), 10, &[]));
        assert_eq!(s, SideCounts::default());
        let s = evaluated(&mut accumulate((0.0, 0.0), 0, &[f64::NAN]));
        assert_eq!(s, SideCounts::default());
    }

    #[test]
    fn one_binned_side_bins_the_other() {
        let grid = Grid::over((0.0, 10.0));
        let current = SideCounts { binned: false, keys: vec![0.0, 0.00001, 5.0, 10.0], counts: vec![1, 2, 3, 4] };
        let reference = SideCounts { binned: true, keys: vec![0.0, 99_999.0], counts: vec![7, 1] };
        let d = combine(current.clone(), reference.clone(), grid, 10);
        assert_eq!(d.bin_width, Some(grid.width));
        assert_eq!(d.sides[0], vec![(0.0, 3), (grid.left_edge(grid.bin(5.0)), 3), (grid.left_edge(GRID_BINS - 1), 4)]);
        assert_eq!(d.sides[1], vec![(0.0, 7), (grid.left_edge(GRID_BINS - 1), 1)]);
        // Both exact: the values themselves, sorted and merged.
        let exact = SideCounts { binned: false, keys: vec![99_999.0, 0.0, 99_999.0], counts: vec![1, 7, 2] };
        let d = combine(current.clone(), exact.clone(), grid, 4);
        assert_eq!(d.bin_width, None);
        assert_eq!(d.sides[0], vec![(0.0, 1), (0.00001, 2), (5.0, 3), (10.0, 4)]);
        assert_eq!(d.sides[1], vec![(0.0, 7), (99_999.0, 3)]);
        // A side the accumulators could not prove too large but is: both on the grid.
        let d = combine(current, exact, grid, 3);
        assert_eq!(d.bin_width, Some(grid.width));
        assert_eq!(d.sides[0], vec![(0.0, 3), (grid.left_edge(grid.bin(5.0)), 3), (grid.left_edge(GRID_BINS - 1), 4)]);
        assert_eq!(d.sides[1], vec![(0.0, 7), (grid.left_edge(GRID_BINS - 1), 3)]);
    }
}
