//! The `probity` command: arguments, output, exit codes. Everything it runs
//! is the `probity` library's; this binary (`src/cli/`) is the only code that
//! prints or decides an exit code.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
