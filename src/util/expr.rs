//! Column references in DataFusion expressions.

use datafusion::logical_expr::{Expr, col};

/// A reference to column `name` taken literally, whatever its name (dots,
/// capitals, spaces and SQL keywords included): never parsed as SQL.
pub fn column(name: &str) -> Expr {
    col(datafusion::common::Column::new_unqualified(name))
}
