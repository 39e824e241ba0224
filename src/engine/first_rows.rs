//! The failing rows of `Rows` samples (`not_null`, `missing`, `condition`,
//! ...): for each failed check, its first offending rows in the order of the
//! data, all checks of a dataset in one pass that stops as soon as it has
//! them.
//!
//! The order of the data is the files in path order, and the rows of each
//! file in file order. Each partition of the scan reads a contiguous stretch
//! of it (files, and byte ranges of large files, in order). So a check's
//! first rows are found by taking, partition by partition in partition
//! order, the rows each partition found first, whatever the number of
//! partitions (invariant 5: the same answer on every machine). A partition stops reading for a check
//! once it has `limit` rows of it, or once an earlier partition has; it stops
//! reading once every check is settled. A check failing on most rows
//! therefore costs a few batches, not a pass, and memory holds `limit` rows
//! per check and partition, however many rows offend (invariant 10).
//!
//! Round-robin repartitioning, which would interleave batches, and the
//! stealing of files between partitions are turned off for the query, and
//! the scan's files are dealt out to the partitions in
//! path order ([`in_data_order`]); a plan that still does not keep the order
//! of its input (a repartition, merge, sort or union) runs in one partition.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::common::runtime::SpawnedTask;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::utils::disjunction;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties, replace_children_if_necessary};
use datafusion::prelude::lit;
use futures::StreamExt;

use crate::util::expr::column as ident;

/// The name of the column telling whether request `i`'s rows offend.
fn flag(i: usize) -> String {
    format!("__probity_offends_{i}")
}

/// For each request `(offending, columns)`, the first `limit` rows of `table`
/// where `offending` is true (null is not), showing `columns`, in the order
/// of the data (see the module documentation). One scan for all requests.
pub async fn first_rows(
    table: DataFrame,
    requests: Vec<(Expr, Vec<String>)>,
    limit: usize,
) -> Result<Vec<Vec<RecordBatch>>> {
    if limit == 0 || requests.is_empty() {
        return Ok(vec![Vec::new(); requests.len()]);
    }
    let shown: BTreeSet<&String> = requests.iter().flat_map(|(_, columns)| columns).collect();
    let mut select: Vec<Expr> = shown.iter().map(|c| ident(c)).collect();
    select.extend(requests.iter().enumerate().map(|(i, (offending, _))| offending.clone().alias(flag(i))));
    let any = disjunction(requests.iter().map(|(offending, _)| offending.clone())).unwrap_or(lit(true));
    let df = table.filter(any)?.select(select)?;

    let (mut state, logical) = df.into_parts();
    let options = state.config_mut().options_mut();
    options.optimizer.enable_round_robin_repartition = false;
    options.execution.enable_file_stream_work_stealing = false; // a partition reads its own files
    let plan = match in_data_order(state.create_physical_plan(&logical).await?)? {
        Some(plan) => plan,
        None => {
            state.config_mut().options_mut().execution.target_partitions = 1;
            in_data_order(state.create_physical_plan(&logical).await?)?.ok_or_else(|| {
                DataFusionError::Internal("the failing rows' query does not keep the order of the data".into())
            })?
        }
    };
    let task_ctx = state.task_ctx();
    let width = shown.len();
    let wanted: Arc<Vec<Vec<usize>>> = Arc::new(
        requests
            .iter()
            .map(|(_, columns)| columns.iter().map(|c| shown.iter().position(|s| *s == c).unwrap_or(0)).collect())
            .collect(),
    );
    // Per request, the first partition known to have `limit` rows of it:
    // later partitions need not look further.
    let complete: Arc<Vec<AtomicUsize>> = Arc::new(requests.iter().map(|_| AtomicUsize::new(usize::MAX)).collect());
    let partitions = plan.output_partitioning().partition_count();
    let mut tasks = Vec::with_capacity(partitions);
    for p in 0..partitions {
        let mut stream = plan.execute(p, Arc::clone(&task_ctx))?;
        let (complete, wanted) = (Arc::clone(&complete), Arc::clone(&wanted));
        tasks.push(SpawnedTask::spawn(async move {
            let mut found: Vec<(Vec<RecordBatch>, usize)> = vec![(Vec::new(), 0); wanted.len()];
            let open = |found: &[(Vec<RecordBatch>, usize)], i: usize| {
                found[i].1 < limit && complete[i].load(Ordering::Relaxed) > p
            };
            while (0..found.len()).any(|i| open(&found, i)) {
                let Some(batch) = stream.next().await.transpose()? else { break };
                for i in 0..found.len() {
                    if !open(&found, i) {
                        continue;
                    }
                    let offends = batch.column(width + i).as_boolean_opt().ok_or_else(|| {
                        DataFusionError::Internal(format!("a failing-rows condition is not boolean: {}", flag(i)))
                    })?;
                    if offends.true_count() == 0 {
                        continue;
                    }
                    let rows = filter_record_batch(&batch.project(&wanted[i])?, offends)?;
                    let take = rows.num_rows().min(limit - found[i].1);
                    found[i].1 += take;
                    found[i].0.push(rows.slice(0, take));
                    if found[i].1 == limit {
                        complete[i].fetch_min(p, Ordering::Relaxed);
                    }
                }
            }
            Ok::<_, DataFusionError>(found)
        }));
    }
    let mut out: Vec<(Vec<RecordBatch>, usize)> = vec![(Vec::new(), 0); requests.len()];
    for task in tasks {
        let found = task.join().await.map_err(|e| DataFusionError::External(Box::new(e)))??;
        for ((kept, rows), (batches, _)) in out.iter_mut().zip(found) {
            for batch in batches {
                let take = batch.num_rows().min(limit - *rows);
                if take > 0 {
                    kept.push(batch.slice(0, take));
                    *rows += take;
                }
            }
        }
    }
    Ok(out.into_iter().map(|(kept, _)| kept).collect())
}

/// `plan` with each partition reading a contiguous stretch of the data in
/// order: the file scan's files (and byte ranges of files) sorted by path
/// and start, and dealt out in consecutive runs of equal count, one run per
/// partition. `DataFusion`'s own grouping balances sizes and need not keep
/// that order. `None` when an operator above the scan reorders rows (a
/// repartition, merge, sort or union) or the scan reads something other
/// than files; one partition keeps the order then.
fn in_data_order(plan: Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    const REORDERING: [&str; 5] =
        ["RepartitionExec", "CoalescePartitionsExec", "SortPreservingMergeExec", "SortExec", "UnionExec"];
    let partitions = plan.output_partitioning().partition_count();
    if REORDERING.contains(&plan.name()) {
        return Ok(None);
    }
    if let Some(scan) = plan.downcast_ref::<DataSourceExec>() {
        let Some(files) = scan.data_source().downcast_ref::<FileScanConfig>() else {
            return Ok((partitions == 1).then_some(plan));
        };
        let mut all: Vec<PartitionedFile> = files.file_groups.iter().flat_map(|g| g.iter().cloned()).collect();
        all.sort_by(|a, b| {
            let start = |f: &PartitionedFile| f.range.as_ref().map_or(0, |r| r.start);
            a.path().cmp(b.path()).then(start(a).cmp(&start(b)))
        });
        let per = all.len().div_ceil(partitions.max(1)).max(1);
        let mut regrouped = files.clone();
        regrouped.preserve_order = true; // no stealing of files between partitions
        regrouped.file_groups = all.chunks(per).map(|c| FileGroup::new(c.to_vec())).collect();
        while regrouped.file_groups.len() < partitions {
            regrouped.file_groups.push(FileGroup::new(Vec::new())); // parents expect as many partitions
        }
        return Ok(Some(DataSourceExec::from_data_source(regrouped)));
    }
    let mut children = Vec::new();
    for child in plan.children() {
        match in_data_order(Arc::clone(child))? {
            Some(c) => children.push(c),
            None => return Ok(None),
        }
    }
    if children.is_empty() {
        return Ok((partitions == 1).then_some(plan));
    }
    Ok(Some(replace_children_if_necessary(plan, children)?))
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::file::properties::WriterProperties;
    use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext, col};

    use super::*;

    /// Three Parquet files of 1,000 rows in row groups of 64, written in a
    /// folder in an order other than their paths': `id` a permutation, `x`
    /// null on a scattered fifth of the rows, `s` a label.
    fn table() -> (tempfile::TempDir, Vec<RecordBatch>) {
        let dir = tempfile::tempdir().unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("x", DataType::Int64, true),
            Field::new("s", DataType::Utf8, false),
        ]));
        let mut in_order = Vec::new();
        for (f, name) in [(0i64, "b"), (1, "c"), (2, "a")] {
            let n = 1000i64;
            let ids: Vec<i64> = (0..n).map(|i| (i * 7919 + f * 13) % n + f * n).collect();
            let xs: Vec<Option<i64>> = ids.iter().map(|&id| (id * 31 % 5 != 0).then_some(id % 97)).collect();
            let labels: Vec<String> = ids.iter().map(|id| format!("{name}{}", id % 11)).collect();
            let batch = RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(Int64Array::from(ids)),
                    Arc::new(Int64Array::from(xs)),
                    Arc::new(StringArray::from(labels)),
                ],
            )
            .unwrap();
            let file = std::fs::File::create(dir.path().join(format!("{name}.parquet"))).unwrap();
            let props = WriterProperties::builder().set_max_row_group_row_count(Some(64)).build();
            let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(props)).unwrap();
            writer.write(&batch).unwrap();
            writer.close().unwrap();
            in_order.push((name, batch));
        }
        in_order.sort_by_key(|(name, _)| *name);
        (dir, in_order.into_iter().map(|(_, b)| b).collect())
    }

    /// The first `limit` rows of `batches` (in order) where `offends`, showing `columns`.
    fn expected(
        batches: &[RecordBatch],
        offends: impl Fn(&RecordBatch, usize) -> bool,
        columns: &[&str],
        limit: usize,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for b in batches {
            for row in (0..b.num_rows()).filter(|&r| offends(b, r)) {
                let cells: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        datafusion::arrow::util::display::array_value_to_string(b.column_by_name(c).unwrap(), row)
                            .unwrap()
                    })
                    .collect();
                out.push(cells.join(","));
            }
        }
        out.truncate(limit);
        out
    }

    fn rows_of(batches: &[RecordBatch]) -> Vec<String> {
        let mut out = Vec::new();
        for b in batches {
            for row in 0..b.num_rows() {
                let cells: Vec<String> = (0..b.num_columns())
                    .map(|c| datafusion::arrow::util::display::array_value_to_string(b.column(c), row).unwrap())
                    .collect();
                out.push(cells.join(","));
            }
        }
        out
    }

    /// A check's first offending rows are the data's first, in files by path
    /// and rows in file order, however many partitions read them (files
    /// split by byte range too) and whatever the limit; a request with no
    /// offending row gets none.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn first_rows_are_the_datas_first_whatever_the_partitions() {
        let (dir, batches) = table();
        let x_null = |b: &RecordBatch, r: usize| b.column_by_name("x").unwrap().is_null(r);
        let id_mod = |b: &RecordBatch, r: usize| {
            b.column_by_name("id").unwrap().as_primitive::<datafusion::arrow::datatypes::Int64Type>().value(r) % 7 == 3
        };
        for partitions in [1, 2, 3, 4, 7] {
            let mut config = SessionConfig::new().with_target_partitions(partitions);
            config.options_mut().optimizer.repartition_file_min_size = 0;
            let ctx = SessionContext::new_with_config(config);
            let path = format!("{}/", dir.path().display());
            ctx.register_parquet("t", &path, ParquetReadOptions::default()).await.unwrap();
            for limit in [1, 5, 70, 5000] {
                let requests = vec![
                    (col("x").is_null(), vec!["id".to_string(), "s".to_string()]),
                    ((col("id") % lit(7i64)).eq(lit(3i64)), vec!["id".to_string()]),
                    (col("id").lt(lit(0i64)), vec!["s".to_string()]),
                ];
                let found = first_rows(ctx.table("t").await.unwrap(), requests, limit).await.unwrap();
                let case = format!("{partitions} partitions, limit {limit}");
                assert_eq!(rows_of(&found[0]), expected(&batches, x_null, &["id", "s"], limit), "{case}");
                assert_eq!(rows_of(&found[1]), expected(&batches, id_mod, &["id"], limit), "{case}");
                assert!(found[2].is_empty(), "{case}");
            }
        }
    }
}
