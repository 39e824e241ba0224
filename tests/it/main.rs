//! The one integration-test binary (faster to link than many), a module per
//! topic. Tests run with the crate root as the working directory, so the
//! relative paths in checks/ and tests/golden/ resolve as they do for users.

mod cli;
mod common;
mod delta;
mod examples;
mod fusion;
mod golden;
mod history;
mod kinds;
mod layers;
mod names;
mod reports;
mod sources;
