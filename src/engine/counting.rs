//! A table wrapper that counts scans, so that the one-scan-per-dataset
//! invariant is observable (`probity plan`, and a test that proves it).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{ScanArgs, ScanResult, Session, TableProvider};
use datafusion::common::{Constraints, Statistics};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, LogicalPlan, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;

/// Scan counters per dataset name.
#[derive(Debug, Default, Clone)]
pub struct ScanCounts(Arc<Mutex<BTreeMap<String, Arc<AtomicUsize>>>>);

impl ScanCounts {
    pub fn counter(&self, dataset: &str) -> Arc<AtomicUsize> {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(map.entry(dataset.to_string()).or_default())
    }

    pub fn snapshot(&self) -> BTreeMap<String, usize> {
        let map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.iter().map(|(k, v)| (k.clone(), v.load(Ordering::Relaxed))).collect()
    }

    pub fn reset(&self) {
        let map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for v in map.values() {
            v.store(0, Ordering::Relaxed);
        }
    }
}

#[derive(Debug)]
pub struct CountingTable {
    inner: Arc<dyn TableProvider>,
    scans: Arc<AtomicUsize>,
}

impl CountingTable {
    pub fn new(inner: Arc<dyn TableProvider>, scans: Arc<AtomicUsize>) -> Self {
        Self { inner, scans }
    }
}

#[async_trait]
impl TableProvider for CountingTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn constraints(&self) -> Option<&Constraints> {
        self.inner.constraints()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn get_logical_plan(&'_ self) -> Option<Cow<'_, LogicalPlan>> {
        self.inner.get_logical_plan()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.scans.fetch_add(1, Ordering::Relaxed);
        self.inner.scan(state, projection, filters, limit).await
    }

    async fn scan_with_args<'a>(&self, state: &dyn Session, args: ScanArgs<'a>) -> Result<ScanResult> {
        self.scans.fetch_add(1, Ordering::Relaxed);
        self.inner.scan_with_args(state, args).await
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }

    fn statistics(&self) -> Option<Statistics> {
        self.inner.statistics()
    }
}
