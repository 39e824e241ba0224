//! Small helpers every layer may use; they import nothing of probity's
//! (ARCHITECTURE.md, "Layers").

pub mod expr;
pub mod files;
pub mod numbers;
pub mod types;
