//! The input of every fairness computation: weighted counts of (group, label,
//! prediction) cells from one GROUP BY, and their per-group tallies.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::FairnessError;
use super::rates::Rate;

/// One value per group column; `None` is a null group value, which forms its
/// own group (several columns = intersectional groups).
pub type GroupKey = Vec<Option<String>>;

/// How a null group value is displayed in group labels.
pub const NULL_DISPLAY: &str = "(null)";

/// One row of the GROUP BY (group columns, label, prediction): how many rows
/// fell into it and their total weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub group: GroupKey,
    /// `None` when there is no label column, or the row's label is null: such
    /// rows count towards size and selection rate only.
    pub label: Option<bool>,
    /// `true` = the favourable decision.
    pub prediction: bool,
    /// Number of rows (`count(*)`): the sample size for Wilson intervals and
    /// the bootstrap, even when the rows carry weights.
    pub rows: u64,
    /// Sum of the weight column, or `rows` as f64 when there is none.
    pub weight: f64,
}

impl Cell {
    /// A cell of unweighted rows: weight = row count.
    pub fn counted(group: GroupKey, label: Option<bool>, prediction: bool, rows: u64) -> Self {
        Cell { group, label, prediction, rows, weight: rows as f64 }
    }

    /// A cell of rows carrying weights that sum to `weight`.
    pub fn weighted(group: GroupKey, label: Option<bool>, prediction: bool, rows: u64, weight: f64) -> Self {
        Cell { group, label, prediction, rows, weight }
    }

    fn outcome(&self) -> usize {
        match (self.label, self.prediction) {
            (Some(true), true) => TP,
            (Some(false), true) => FP,
            (Some(false), false) => TN,
            (Some(true), false) => FN,
            (None, true) => SELECTED_UNLABELLED,
            (None, false) => REJECTED_UNLABELLED,
        }
    }
}

/// A group's display label: values joined by ", ", nulls shown as "(null)".
pub fn group_label(key: &[Option<String>]) -> String {
    let parts: Vec<&str> = key.iter().map(|v| v.as_deref().unwrap_or(NULL_DISPLAY)).collect();
    parts.join(", ")
}

/// Orders group keys value by value, nulls after every non-null value.
pub fn compare_keys(a: &[Option<String>], b: &[Option<String>]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let ord = match (x, y) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

// Outcome slots of a tally.
pub(crate) const TP: usize = 0;
pub(crate) const FP: usize = 1;
pub(crate) const TN: usize = 2;
pub(crate) const FN: usize = 3;
pub(crate) const SELECTED_UNLABELLED: usize = 4;
pub(crate) const REJECTED_UNLABELLED: usize = 5;
pub(crate) const OUTCOMES: usize = 6;

/// Weighted confusion counts of one group (or of the whole population).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Tally {
    pub weight: [f64; OUTCOMES],
    pub rows: [u64; OUTCOMES],
}

impl Tally {
    pub fn add(&mut self, other: &Tally) {
        for k in 0..OUTCOMES {
            self.weight[k] += other.weight[k];
            self.rows[k] += other.rows[k];
        }
    }

    pub fn size(&self) -> f64 {
        self.weight.iter().sum()
    }

    pub fn total_rows(&self) -> u64 {
        self.rows.iter().sum()
    }

    pub fn selected(&self) -> f64 {
        self.weight[TP] + self.weight[FP] + self.weight[SELECTED_UNLABELLED]
    }

    pub fn rejected(&self) -> f64 {
        self.weight[TN] + self.weight[FN] + self.weight[REJECTED_UNLABELLED]
    }

    pub fn positives(&self) -> f64 {
        self.weight[TP] + self.weight[FN]
    }

    pub fn negatives(&self) -> f64 {
        self.weight[FP] + self.weight[TN]
    }

    /// True when every weight equals its row count (no weight column).
    pub fn is_unweighted(&self) -> bool {
        (0..OUTCOMES).all(|k| self.weight[k] == self.rows[k] as f64)
    }

    /// (numerator slots, denominator slots) of a rate.
    fn slots(rate: Rate) -> (&'static [usize], &'static [usize]) {
        const ALL: &[usize] = &[TP, FP, TN, FN, SELECTED_UNLABELLED, REJECTED_UNLABELLED];
        const LABELLED: &[usize] = &[TP, FP, TN, FN];
        match rate {
            Rate::SelectionRate => (&[TP, FP, SELECTED_UNLABELLED], ALL),
            Rate::TruePositiveRate => (&[TP], &[TP, FN]),
            Rate::FalseNegativeRate => (&[FN], &[TP, FN]),
            Rate::FalsePositiveRate => (&[FP], &[FP, TN]),
            Rate::TrueNegativeRate => (&[TN], &[FP, TN]),
            Rate::Precision => (&[TP], &[TP, FP]),
            Rate::Accuracy => (&[TP, TN], LABELLED),
        }
    }

    /// The rate, or `None` when its denominator weight is zero.
    pub fn rate(&self, rate: Rate) -> Option<f64> {
        let (num, den) = Self::slots(rate);
        let den: f64 = den.iter().map(|&k| self.weight[k]).sum();
        if den > 0.0 {
            let num: f64 = num.iter().map(|&k| self.weight[k]).sum();
            Some(num / den)
        } else {
            None
        }
    }

    /// Rows in the rate's denominator: the sample size of its interval.
    pub fn denominator_rows(&self, rate: Rate) -> u64 {
        Self::slots(rate).1.iter().map(|&k| self.rows[k]).sum()
    }
}

/// Cells summed per group, groups in display order.
pub(crate) struct Grouped {
    pub keys: Vec<GroupKey>,
    pub tallies: Vec<Tally>,
    pub overall: Tally,
    pub has_labels: bool,
}

pub(crate) fn group_cells(cells: &[Cell]) -> Result<Grouped, FairnessError> {
    let arity = cells.first().map_or(0, |c| c.group.len());
    let mut index: HashMap<&GroupKey, usize> = HashMap::new();
    let mut keys: Vec<GroupKey> = Vec::new();
    let mut tallies: Vec<Tally> = Vec::new();
    let mut has_labels = false;
    for cell in cells {
        if cell.group.len() != arity {
            return Err(FairnessError::GroupArity { expected: arity, found: cell.group.len() });
        }
        if !cell.weight.is_finite() || cell.weight < 0.0 || (cell.rows == 0 && cell.weight != 0.0) {
            return Err(FairnessError::InvalidWeight {
                group: group_label(&cell.group),
                rows: cell.rows,
                weight: cell.weight,
            });
        }
        has_labels |= cell.label.is_some();
        let slot = *index.entry(&cell.group).or_insert_with(|| {
            keys.push(cell.group.clone());
            tallies.push(Tally::default());
            keys.len() - 1
        });
        let outcome = cell.outcome();
        tallies[slot].weight[outcome] += cell.weight;
        tallies[slot].rows[outcome] += cell.rows;
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| compare_keys(&keys[a], &keys[b]));
    let keys: Vec<GroupKey> = order.iter().map(|&i| keys[i].clone()).collect();
    let tallies: Vec<Tally> = order.iter().map(|&i| tallies[i]).collect();
    let mut overall = Tally::default();
    for t in &tallies {
        overall.add(t);
    }
    Ok(Grouped { keys, tallies, overall, has_labels })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(values: &[Option<&str>]) -> GroupKey {
        values.iter().map(|v| v.map(str::to_string)).collect()
    }

    #[test]
    fn labels_show_nulls_and_join_columns() {
        assert_eq!(group_label(&key(&[Some("F"), None])), "F, (null)");
        assert_eq!(group_label(&key(&[Some("F")])), "F");
    }

    #[test]
    fn groups_sort_with_nulls_last_and_sum_duplicates() {
        let cells = vec![
            Cell::counted(key(&[None]), Some(true), true, 2),
            Cell::counted(key(&[Some("b")]), Some(true), true, 1),
            Cell::counted(key(&[Some("a")]), Some(false), true, 3),
            Cell::counted(key(&[Some("a")]), Some(false), true, 4),
        ];
        let g = group_cells(&cells).unwrap();
        assert_eq!(g.keys, vec![key(&[Some("a")]), key(&[Some("b")]), key(&[None])]);
        assert_eq!(g.tallies[0].weight[FP], 7.0);
        assert_eq!(g.tallies[0].rows[FP], 7);
        assert_eq!(g.overall.size(), 10.0);
        assert!(g.has_labels);
    }

    #[test]
    fn zero_denominator_is_undefined() {
        let cells = vec![Cell::counted(key(&[Some("a")]), Some(false), true, 3)];
        let g = group_cells(&cells).unwrap();
        assert_eq!(g.tallies[0].rate(Rate::TruePositiveRate), None);
        assert_eq!(g.tallies[0].rate(Rate::FalsePositiveRate), Some(1.0));
    }

    #[test]
    fn rejects_bad_weights_and_ragged_groups() {
        let bad = vec![Cell::weighted(key(&[Some("a")]), None, true, 1, f64::NAN)];
        assert!(matches!(group_cells(&bad), Err(FairnessError::InvalidWeight { .. })));
        let no_rows = vec![Cell::weighted(key(&[Some("a")]), None, true, 0, 2.0)];
        assert!(matches!(group_cells(&no_rows), Err(FairnessError::InvalidWeight { .. })));
        let ragged = vec![
            Cell::counted(key(&[Some("a")]), None, true, 1),
            Cell::counted(key(&[Some("a"), None]), None, true, 1),
        ];
        assert_eq!(group_cells(&ragged).err(), Some(FairnessError::GroupArity { expected: 1, found: 2 }));
    }
}
