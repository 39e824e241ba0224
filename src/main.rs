//! The `probity` binary: all of it lives in `probity::cli`.

fn main() -> std::process::ExitCode {
    probity::cli::main()
}
