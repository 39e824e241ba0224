//! Pure statistical tests and distributions for drift checks: no IO, no
//! DataFusion; inputs are the compact summaries the engine produces.
