//! The `rulebook` command line; all work is in [`rulebook::cli`]-like code in src/cli.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
