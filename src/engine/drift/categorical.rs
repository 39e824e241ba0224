//! `probity_categories(value)`: a categorical column's value counts as text,
//! nulls left out ([`GroupedMetric::Categories`]), computed in the same pass
//! as the numeric distributions of its side instead of a `GROUP BY` of its own.
//!
//! Strings arrive as Arrow string views; one of at most 12 bytes is held
//! whole in its view, so such values (most categories) are counted by their
//! 16-byte view without touching their bytes. Other types are turned into
//! text as the drift check would (`true`/`false` for booleans).
//!
//! [`GroupedMetric::Categories`]: crate::compile::GroupedMetric::Categories

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, RecordBatch, StringArray, StringViewArray, StructArray, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, UInt64Type};
use datafusion::common::{HashMap, ScalarValue};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility};

use super::{list_of, one_list};
use crate::util::expr::column as ident;

/// Longest value held whole in an Arrow string view.
const INLINE: usize = 12;

/// The counts of one column.
#[derive(Debug, Default)]
pub struct CategoryAccumulator {
    /// Values of up to [`INLINE`] bytes, keyed by their view (length, bytes, zeros).
    short: HashMap<u128, u64>,
    /// Longer values, keyed by their bytes.
    long: HashMap<Box<[u8]>, u64>,
    /// A batch's counts by view, before they go into the maps.
    batch: ViewCounts,
}

/// Slots of [`ViewCounts`]; emptied into the maps when half are used.
const VIEW_SLOTS: usize = 1024;

/// Counts by view within one batch: a small open-addressing table, cheaper
/// per row than a general hash map when a column has few values.
#[derive(Debug, Default)]
pub(crate) struct ViewCounts {
    /// `(view, count, first row)`; a count of 0 marks a free slot.
    slots: Vec<(u128, u32, u32)>,
    used: usize,
}

impl ViewCounts {
    pub(crate) fn new() -> Self {
        Self { slots: vec![(0, 0, 0); VIEW_SLOTS], used: 0 }
    }

    /// Empties the table, giving each counted key and its count.
    pub(crate) fn drain(&mut self, mut f: impl FnMut(u128, u64)) {
        for slot in self.slots.iter_mut().filter(|s| s.1 > 0) {
            f(slot.0, u64::from(slot.1));
            *slot = (0, 0, 0);
        }
        self.used = 0;
    }

    /// Counts `view`, first seen at `row`; false when the table is half full.
    #[inline]
    pub(crate) fn count(&mut self, view: u128, row: usize) -> bool {
        let mix = (view as u64 ^ (view >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut i = (mix >> 54) as usize; // the top 10 bits: one of VIEW_SLOTS
        loop {
            let slot = &mut self.slots[i];
            if slot.1 == 0 {
                *slot = (view, 1, row as u32);
                self.used += 1;
                return self.used < VIEW_SLOTS / 2;
            }
            if slot.0 == view {
                slot.1 += 1;
                return true;
            }
            i = (i + 1) % VIEW_SLOTS;
        }
    }
}

/// The view of an inline value with the bytes past its length cleared.
fn inline_view(view: u128, len: usize) -> u128 {
    if len == INLINE { view } else { view & ((1u128 << (32 + 8 * len)) - 1) }
}

/// The view Arrow gives a value of at most [`INLINE`] bytes.
fn inline_key(bytes: &[u8]) -> u128 {
    let mut raw = [0u8; 16];
    raw[..4].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
    raw[4..4 + bytes.len()].copy_from_slice(bytes);
    u128::from_le_bytes(raw)
}

impl CategoryAccumulator {
    fn add(&mut self, bytes: &[u8], n: u64) {
        if bytes.len() <= INLINE {
            *self.short.entry(inline_key(bytes)).or_insert(0) += n;
        } else if let Some(count) = self.long.get_mut(bytes) {
            *count += n;
        } else {
            self.long.insert(bytes.into(), n);
        }
    }

    fn add_views(&mut self, array: &StringViewArray) {
        // Count by view first: equal short values have equal views, and long
        // values decoded from a Parquet dictionary share one view each, so
        // the bytes of a long value are read once per batch, not per row.
        if self.batch.slots.is_empty() {
            self.batch.slots = vec![(0, 0, 0); VIEW_SLOTS];
        }
        let views = array.views();
        let count = |s: &mut Self, i: usize| {
            let view = views[i];
            let len = view as u32 as usize;
            let key = if len <= INLINE { inline_view(view, len) } else { view };
            if !s.batch.count(key, i) {
                s.empty_batch(array);
            }
        };
        match array.nulls() {
            None => (0..views.len()).for_each(|i| count(self, i)),
            Some(nulls) => nulls.valid_indices().for_each(|i| count(self, i)),
        }
        self.empty_batch(array);
    }

    /// Moves the batch's counts into the maps.
    fn empty_batch(&mut self, array: &StringViewArray) {
        let mut slots = std::mem::take(&mut self.batch.slots);
        for slot in slots.iter_mut().filter(|s| s.1 > 0) {
            let (view, n, row) = std::mem::take(slot);
            if view as u32 as usize <= INLINE {
                *self.short.entry(view).or_insert(0) += u64::from(n);
            } else {
                self.add(array.value(row as usize).as_bytes(), u64::from(n));
            }
        }
        self.batch = ViewCounts { slots, used: 0 };
    }

    fn add_strings(&mut self, array: &StringArray) {
        for v in array.iter().flatten() {
            self.add(v.as_bytes(), 1);
        }
    }

    /// How many distinct values have been counted.
    pub(crate) fn distinct(&self) -> usize {
        self.short.len() + self.long.len()
    }

    /// `(value, count)` sorted by value.
    pub(crate) fn finish(&self) -> Vec<(String, u64)> {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let short = self.short.iter().map(|(&view, &n)| {
            let raw = view.to_le_bytes();
            (text(&raw[4..4 + (view as u32 as usize)]), n)
        });
        let mut out: Vec<(String, u64)> = short.chain(self.long.iter().map(|(b, &n)| (text(b), n))).collect();
        out.sort_unstable();
        out
    }

    fn arrays(&self) -> Vec<ArrayRef> {
        let (values, counts): (Vec<String>, Vec<u64>) = self.finish().into_iter().unzip();
        vec![
            Arc::new(one_list(Arc::new(StringArray::from(values)))),
            Arc::new(one_list(Arc::new(UInt64Array::from(counts)))),
        ]
    }
}

/// `values`, `counts`: the state between partial and final aggregation, and the result.
fn fields() -> Fields {
    Fields::from(vec![
        Field::new("values", list_of(DataType::Utf8), false),
        Field::new("counts", list_of(DataType::UInt64), false),
    ])
}

impl Accumulator for CategoryAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let array = &values[0];
        match array.data_type() {
            DataType::Utf8View => self.add_views(array.as_string_view()),
            DataType::Utf8 => self.add_strings(array.as_string::<i32>()),
            _ => {
                let text = datafusion::arrow::compute::cast(array, &DataType::Utf8)?;
                self.add_strings(text.as_string::<i32>());
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let unexpected = || DataFusionError::Internal("a category state has unexpected types".into());
        let values = states[0].as_list_opt::<i32>().ok_or_else(unexpected)?;
        let counts = states[1].as_list_opt::<i32>().ok_or_else(unexpected)?;
        for row in 0..values.len() {
            let (v, n) = (values.value(row), counts.value(row));
            let v = v.as_string_opt::<i32>().ok_or_else(unexpected)?;
            let n = n.as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
            for (v, &n) in v.iter().zip(n.values()) {
                self.add(v.ok_or_else(unexpected)?.as_bytes(), n);
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.arrays().iter().map(|a| ScalarValue::try_from_array(a, 0)).collect()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Struct(Arc::new(StructArray::new(fields(), self.arrays(), None))))
    }

    fn size(&self) -> usize {
        let long: usize = self.long.keys().map(|k| k.len()).sum();
        size_of::<Self>()
            + self.batch.slots.capacity() * size_of::<(u128, u32, u32)>()
            + self.short.capacity() * (size_of::<(u128, u64)>() + 1)
            + self.long.capacity() * (size_of::<(Box<[u8]>, u64)>() + 1)
            + long
    }
}

/// `probity_categories(value)`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CategoriesUdaf {
    signature: Signature,
}

impl AggregateUDFImpl for CategoriesUdaf {
    fn name(&self) -> &'static str {
        "probity_categories"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<CategoryAccumulator>::default())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(fields()
            .iter()
            .map(|f| Arc::new(f.as_ref().clone().with_name(format_state_name(args.name, f.name()))))
            .collect())
    }
}

/// The aggregate expression counting the values of `column`.
pub fn expr(column: &str) -> Expr {
    let udaf = CategoriesUdaf { signature: Signature::any(1, Volatility::Immutable) };
    AggregateUDF::from(udaf).call(vec![ident(column)])
}

/// Row `row` of the aggregate's result as the table the drift check reads:
/// `value` (text) and `n`, sorted by value.
pub fn table_from_result(array: &dyn Array, row: usize) -> Result<RecordBatch> {
    let unexpected = || DataFusionError::Internal("a category result has unexpected types".into());
    let s = array.as_struct_opt().ok_or_else(unexpected)?;
    let values = s.column(0).as_list_opt::<i32>().ok_or_else(unexpected)?.value(row);
    let counts = s.column(1).as_list_opt::<i32>().ok_or_else(unexpected)?.value(row);
    let counts = counts.as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
    let n: Int64Array = counts.values().iter().map(|&c| i64::try_from(c).unwrap_or(i64::MAX)).collect();
    let schema = Schema::new(vec![Field::new("value", DataType::Utf8, false), Field::new("n", DataType::Int64, false)]);
    Ok(RecordBatch::try_new(Arc::new(schema), vec![values, Arc::new(n)])?)
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::BooleanArray;

    use super::*;

    fn counted(acc: &mut CategoryAccumulator) -> Vec<(String, u64)> {
        let batch = table_from_result(&acc.evaluate().unwrap().to_array().unwrap(), 0).unwrap();
        let values = batch.column(0).as_string::<i32>();
        let n = batch.column(1).as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        (0..batch.num_rows()).map(|i| (values.value(i).to_string(), n.value(i) as u64)).collect()
    }

    fn pairs(p: &[(&str, u64)]) -> Vec<(String, u64)> {
        p.iter().map(|(v, n)| ((*v).to_string(), *n)).collect()
    }

    const WORDS: [Option<&str>; 8] = [
        Some("FR"),
        None,
        Some("debt_consolidation"),
        Some(""),
        Some("exactly12byt"),
        Some("FR"),
        Some("debt_consolidation"),
        Some("exactly13byte"),
    ];

    #[test]
    fn counts_short_and_long_strings_alike_from_views_and_plain_strings() {
        let expected =
            pairs(&[("", 1), ("FR", 2), ("debt_consolidation", 2), ("exactly12byt", 1), ("exactly13byte", 1)]);
        let views: ArrayRef = Arc::new(StringViewArray::from(WORDS.to_vec()));
        let strings: ArrayRef = Arc::new(StringArray::from(WORDS.to_vec()));
        for array in [views, strings] {
            let mut acc = CategoryAccumulator::default();
            acc.update_batch(&[array]).unwrap();
            assert_eq!(counted(&mut acc), expected);
        }
        // Views whose unused inline bytes are not zero count as the same value.
        let dirty = 2u128 | (u128::from(b'F') << 32) | (u128::from(b'R') << 40) | (0xAB << 100);
        assert_eq!(inline_view(dirty, 2), inline_key(b"FR"));
    }

    #[test]
    fn a_batch_with_many_values_counts_them_all() {
        // More distinct values than the batch table holds: it empties into the maps as it fills.
        let words: Vec<Option<String>> = (0..5000)
            .map(|i| (i % 7 != 0).then(|| format!("{}{}", if i % 2 == 0 { "v" } else { "a long value " }, i % 1500)))
            .collect();
        let mut acc = CategoryAccumulator::default();
        acc.update_batch(&[Arc::new(StringViewArray::from(words.clone())) as ArrayRef]).unwrap();
        let mut expected = std::collections::BTreeMap::<String, u64>::new();
        for w in words.into_iter().flatten() {
            *expected.entry(w).or_default() += 1;
        }
        assert_eq!(counted(&mut acc), expected.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn booleans_count_as_text() {
        let array: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None, Some(false), Some(true)]));
        let mut acc = CategoryAccumulator::default();
        acc.update_batch(&[array]).unwrap();
        assert_eq!(counted(&mut acc), pairs(&[("false", 1), ("true", 2)]));
    }

    #[test]
    fn merged_partial_states_equal_one_pass() {
        let mut parts = [CategoryAccumulator::default(), CategoryAccumulator::default()];
        parts[0].update_batch(&[Arc::new(StringViewArray::from(WORDS[..3].to_vec())) as ArrayRef]).unwrap();
        parts[1].update_batch(&[Arc::new(StringViewArray::from(WORDS[3..].to_vec())) as ArrayRef]).unwrap();
        let rows: Vec<Vec<ScalarValue>> = parts.iter_mut().map(|a| a.state().unwrap()).collect();
        let states: Vec<ArrayRef> =
            (0..2).map(|i| ScalarValue::iter_to_array(rows.iter().map(|r| r[i].clone())).unwrap()).collect();
        let mut merged = CategoryAccumulator::default();
        merged.merge_batch(&states).unwrap();
        let mut whole = CategoryAccumulator::default();
        whole.update_batch(&[Arc::new(StringViewArray::from(WORDS.to_vec())) as ArrayRef]).unwrap();
        assert_eq!(counted(&mut merged), counted(&mut whole));
        assert_eq!(counted(&mut CategoryAccumulator::default()), Vec::new());
    }
}
