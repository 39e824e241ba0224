//! `probity_key_hash(k1, k2, ...)`: a 64-bit hash of a row's key columns,
//! for counting duplicate keys without holding the keys.
//!
//! Grouping 10M distinct strings keeps every string in the hash table (about
//! 1 GB for `application_id`); grouping their 64-bit hashes keeps 8 bytes a
//! key. A hash seen once is a key seen once. Rows whose hash is seen more
//! than once (a duplicate key, or two keys whose hashes collide) are then
//! grouped by their real keys, so the counts stay exact.
//!
//! The hash is `DataFusion`'s own (`create_hashes`, as its joins and
//! aggregations use), with a fixed seed.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, UInt64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::hash_utils::{RandomState, create_hashes};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
struct KeyHash {
    signature: Signature,
}

impl ScalarUDFImpl for KeyHash {
    fn name(&self) -> &'static str {
        "probity_key_hash"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut hashes = vec![0u64; args.number_rows];
        hash_rows(&arrays, &mut hashes)?;
        Ok(ColumnarValue::Array(Arc::new(UInt64Array::from(hashes))))
    }
}

/// The hash of each row of `keys` (all of one length) into `hashes` (as
/// long): the same function everywhere keys are hashed.
pub fn hash_rows(keys: &[ArrayRef], hashes: &mut [u64]) -> Result<()> {
    create_hashes(keys, &RandomState::with_seed(0), hashes)?;
    Ok(())
}

/// The hash of `keys`.
pub fn expr(keys: Vec<Expr>) -> Expr {
    ScalarUDF::from(KeyHash { signature: Signature::variadic_any(Volatility::Immutable) }).call(keys)
}

/// Whether grouping `types` by their hash saves memory: keys of variable
/// width, or more than one column.
pub fn pays(types: &[DataType]) -> bool {
    types.len() > 1
        || types.iter().any(|t| {
            matches!(
                t,
                DataType::Utf8
                    | DataType::Utf8View
                    | DataType::LargeUtf8
                    | DataType::Binary
                    | DataType::BinaryView
                    | DataType::LargeBinary
            )
        })
}
