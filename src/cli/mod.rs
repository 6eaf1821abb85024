//! The command line (LANGUAGE.md section 7): the only place that prints or exits.

use clap::{Parser, Subcommand};
use rulebook::{testing, Date, Engine, Policy};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "rulebook",
    version,
    about = "Policy rules as programs: check, evaluate and test .rules files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check rule files (or folders of them); report every problem.
    Check {
        /// .rules files or folders containing them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Evaluate a policy on one facts object and print the decisions JSON.
    Eval {
        /// The .rules file (or use --wasm).
        #[arg(required_unless_present = "wasm", conflicts_with = "wasm")]
        policy: Option<PathBuf>,
        /// Evaluate a compiled module (from `rulebook compile`) instead of a .rules file.
        #[arg(long)]
        wasm: Option<PathBuf>,
        /// Which engine evaluates: the compiled Wasm module, or the reference interpreter.
        #[arg(long, value_enum, default_value = "wasm")]
        engine: EngineArg,
        /// Facts JSON file; read from stdin when absent.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Evaluation date YYYY-MM-DD (default: today).
        #[arg(long = "as-of")]
        as_of: Option<String>,
        /// Print the JSON on one line.
        #[arg(long)]
        compact: bool,
    },
    /// Compile a policy to a sandboxed WebAssembly module.
    Compile {
        /// The .rules file.
        policy: PathBuf,
        /// Where to write the module.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Run *.test.yaml files (or folders of them).
    Test {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum EngineArg {
    Wasm,
    Interp,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { paths } => check(&paths),
        Command::Eval {
            policy,
            wasm,
            engine,
            input,
            as_of,
            compact,
        } => {
            let engine = match engine {
                EngineArg::Wasm => Engine::Wasm,
                EngineArg::Interp => Engine::Interpreter,
            };
            eval(
                policy.as_deref(),
                wasm.as_deref(),
                engine,
                input.as_deref(),
                as_of.as_deref(),
                compact,
            )
        }
        Command::Compile { policy, output } => compile(&policy, &output),
        Command::Test { paths } => test(&paths),
    }
}

/// `.rules` files under the given paths, sorted.
fn rule_files(paths: &[PathBuf], missing: &mut Vec<String>) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(p) {
            let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            entries.sort();
            for e in entries {
                if e.is_dir() {
                    walk(&e, out);
                } else if e.extension().is_some_and(|x| x == "rules") {
                    out.push(e);
                }
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            missing.push(format!("{}: no such file or folder", p.display()));
        }
    }
    out
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let mut problems = Vec::new();
    let files = rule_files(paths, &mut problems);
    let mut failed = !problems.is_empty();
    for p in &problems {
        eprintln!("error: {p}");
    }
    let mut errors = 0;
    for f in &files {
        match Policy::from_file(f) {
            Ok(policy) => eprint!("{}", policy.warnings()),
            Err(rulebook::Error::Compile(e)) => {
                failed = true;
                errors += e.diagnostics.iter().filter(|d| d.is_error()).count();
                eprint!("{}", e.render());
            }
            Err(e) => {
                failed = true;
                errors += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if files.is_empty() && problems.is_empty() {
        eprintln!("error: no .rules files found");
        return ExitCode::FAILURE;
    }
    println!(
        "checked {} file{}: {}",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        if failed {
            format!("{errors} error{}", if errors == 1 { "" } else { "s" })
        } else {
            "ok".to_string()
        }
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn load(policy: Option<&Path>, wasm: Option<&Path>) -> Result<Policy, ExitCode> {
    let loaded = match (policy, wasm) {
        (_, Some(w)) => Policy::from_wasm_file(w),
        (Some(p), None) => Policy::from_file(p),
        (None, None) => {
            eprintln!("error: name a .rules file or --wasm FILE");
            return Err(ExitCode::FAILURE);
        }
    };
    loaded.map_err(|e| {
        match e {
            rulebook::Error::Compile(e) => eprint!("{}", e.render()),
            e => eprintln!("error: {e}"),
        }
        ExitCode::FAILURE
    })
}

fn compile(policy: &Path, output: &Path) -> ExitCode {
    let policy = match load(Some(policy), None) {
        Ok(p) => p,
        Err(code) => return code,
    };
    eprint!("{}", policy.warnings());
    match std::fs::write(output, policy.wasm()) {
        Ok(()) => {
            println!(
                "wrote {} ({} bytes, policy {}, sha256 {})",
                output.display(),
                policy.wasm().len(),
                policy.name(),
                policy.hash()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", output.display());
            ExitCode::FAILURE
        }
    }
}

fn eval(
    policy: Option<&Path>,
    wasm: Option<&Path>,
    engine: Engine,
    input: Option<&Path>,
    as_of: Option<&str>,
    compact: bool,
) -> ExitCode {
    let as_of = match as_of {
        None => Date::today(),
        Some(s) => match Date::parse(s) {
            Some(d) => d,
            None => {
                eprintln!("error: --as-of {s:?} is not a date YYYY-MM-DD");
                return ExitCode::FAILURE;
            }
        },
    };
    let policy = match load(policy, wasm) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let facts = match input {
        Some(path) => std::fs::read(path).map_err(|e| format!("{}: {e}", path.display())),
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map(|_| buf)
                .map_err(|e| format!("stdin: {e}"))
        }
    };
    let facts = match facts.and_then(|b| {
        String::from_utf8(b).map_err(|_| "the facts are not valid UTF-8 text".to_string())
    }) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = policy
        .parse_facts(&facts)
        .map_err(rulebook::Error::from)
        .and_then(|f| Ok(policy.evaluate_with(engine, &f, as_of)?))
        .map(|outcome| policy.report(&outcome, as_of));
    match result {
        Ok(out) => {
            let text = if compact {
                serde_json::to_string(&out)
            } else {
                serde_json::to_string_pretty(&out)
            };
            match text {
                Ok(t) => {
                    println!("{t}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn test(paths: &[PathBuf]) -> ExitCode {
    let files = testing::find_test_files(paths);
    let (mut passed, mut failed) = (0usize, 0usize);
    for p in paths.iter().filter(|p| !p.exists()) {
        eprintln!("error: {}: no such file or folder", p.display());
        failed += 1;
    }
    for f in &files {
        match testing::run_file(f) {
            Ok(report) => {
                for case in &report.cases {
                    if case.passed() {
                        passed += 1;
                    } else {
                        failed += 1;
                        println!(
                            "FAIL {}:{}: {}",
                            report.test_file.display(),
                            case.line,
                            case.name
                        );
                        for failure in &case.failures {
                            println!("    {failure}");
                        }
                    }
                }
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {e}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
