//! The command line (docs/language.md section 18): the only place that prints or exits.

mod batch;
mod diff;
mod explain;
mod fmt;
mod interview;
mod lint;
mod new;
mod serve;

use clap::{Parser, Subcommand};
use rulebook::{Date, Engine, Policy};
use rulebook_testing as testing;
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
    /// Find a policy's own mistakes: clauses no input reaches, requires
    /// that never fail (or never pass), unused names, params read before
    /// their first value, divisions some input makes by zero.
    Lint {
        /// .rules files or folders containing them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Exit 1 when there is any warning.
        #[arg(long)]
        deny_warnings: bool,
        #[arg(long, value_enum, default_value_t = lint::Format::Text)]
        format: lint::Format,
    },
    /// Rewrite rule files (or folders of them) in the one canonical layout, keeping comments.
    Fmt {
        /// .rules files or folders containing them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write nothing: list the files that would change, and exit 1 when there is any.
        #[arg(long)]
        check: bool,
    },
    /// Run the language server (LSP 3.17 over stdin and stdout) for an editor: docs/editors.md.
    Lsp,
    /// Start a policy: write NAME.rules and NAME.test.yaml from a commented example that passes its tests.
    New {
        /// The policy's name, optionally in a folder (`rules/winter_support`).
        name: PathBuf,
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
    /// Evaluate a whole caseload (JSONL or CSV) on every core, results in input order.
    Batch {
        /// The .rules file.
        policy: PathBuf,
        /// The records: .jsonl (one facts object a line) or .csv (a header of input names).
        #[arg(long)]
        input: PathBuf,
        /// Where the results go (the same format); stdout when absent.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Where bad records go, one {"line", "error"} object a line; stderr when absent.
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Evaluation date YYYY-MM-DD (default: today).
        #[arg(long = "as-of")]
        as_of: Option<String>,
        /// Worker threads (default: every core).
        #[arg(long)]
        jobs: Option<usize>,
        /// The input's format, when its name does not say (.jsonl, .ndjson, .csv).
        #[arg(long, value_enum)]
        format: Option<batch::Format>,
    },
    /// What changed between two versions of a policy, and (with --cases) what it does to real cases.
    Diff {
        /// The version in force.
        old: PathBuf,
        /// The candidate.
        new: PathBuf,
        /// Cases to replay: one {"as_of", "input"} object a line, or a decision log of `rulebook serve`.
        #[arg(long)]
        cases: Option<PathBuf>,
        /// Date for cases that do not give one (default: today).
        #[arg(long = "as-of")]
        as_of: Option<String>,
        /// Text for a reviewer, or the JSON of LANGUAGE.md section 12.
        #[arg(long, value_enum, default_value = "text")]
        format: diff::Format,
        /// Worker threads for the cases (default: every core).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Explain each decision: the clauses that decided, and what would change it.
    Explain {
        /// The .rules file.
        policy: PathBuf,
        /// Facts JSON file; read from stdin when absent.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Evaluation date YYYY-MM-DD (default: today).
        #[arg(long = "as-of")]
        as_of: Option<String>,
        /// Plain sentences for the person decided about, or JSON.
        #[arg(long, value_enum, default_value = "text")]
        format: explain::Format,
        /// Text: with the rule file's line numbers.
        #[arg(long)]
        verbose: bool,
    },
    /// Print the next question for one person facing all the named policies (JSON).
    Next {
        /// The .rules files of the policies put to the person.
        #[arg(required = true)]
        policies: Vec<PathBuf>,
        /// Facts JSON file (absent: not asked; null: asked, not known); stdin when absent.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Evaluation date YYYY-MM-DD (default: today).
        #[arg(long = "as-of")]
        as_of: Option<String>,
        /// Print the JSON on one line.
        #[arg(long)]
        compact: bool,
        /// Hypothetical evaluations spent looking ahead when choosing a question (0: one answer ahead only).
        #[arg(long = "look-ahead", value_name = "EVALUATIONS", default_value_t = rulebook::DEFAULT_BUDGET)]
        look_ahead: usize,
    },
    /// Put the questions of the named policies to a person, one at a time (stdin may be a script).
    Interview {
        /// The .rules files of the policies put to the person.
        #[arg(required = true)]
        policies: Vec<PathBuf>,
        /// Facts already known (a JSON file), asked again never.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Evaluation date YYYY-MM-DD (default: today).
        #[arg(long = "as-of")]
        as_of: Option<String>,
        /// Write the facts JSON to FILE at the end.
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
    },
    /// Compile a policy to a sandboxed WebAssembly module.
    Compile {
        /// The .rules file.
        policy: PathBuf,
        /// Where to write the module.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Serve the policies of a folder over HTTP, reloading them live when they change.
    Serve(serve::ServeArgs),
    /// Decision logs.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Run *.test.yaml files (or folders of them): cases, properties, coverage.
    Test {
        /// Test files (*.test.yaml) or folders containing them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Only run cases and properties whose name contains TEXT.
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
        /// Report clause coverage per policy.
        #[arg(long)]
        coverage: bool,
        /// Fail when a policy's clause coverage is below P percent (implies --coverage).
        #[arg(long, value_name = "P")]
        min_coverage: Option<f64>,
        /// Seed for property generators (default: fixed, so runs repeat).
        #[arg(long)]
        seed: Option<u64>,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Check a decision log's hash chain (with its rotated files FILE.NNNNNN); report the first broken link.
    Verify {
        /// The decision log (its rotated files FILE.NNNNNN are found beside it).
        file: PathBuf,
        /// The sha256 of the last entry as recorded elsewhere (detects truncation).
        #[arg(long)]
        head: Option<String>,
        /// The key of a keyed log (the file's bytes, less one trailing newline; at least 16).
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
    },
    /// Cut a torn last line (an interrupted write) off a decision log; never a line that verifies.
    Repair {
        /// The decision log.
        file: PathBuf,
        /// The key of a keyed log.
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum EngineArg {
    Wasm,
    Interp,
}

/// A command whose reader stops early (`rulebook eval ... | head`) ends
/// there, quietly, as other command-line tools do, instead of failing on
/// its next write: the default action of SIGPIPE, which Rust's runtime
/// sets aside. Not for the servers, `serve` (a client that goes away ends
/// its own connection) and `lsp` (an editor that goes away ends the
/// session, as an error of its channel).
fn end_quietly_when_output_closes() {
    #[cfg(unix)]
    // SAFETY: `signal` with a valid signal number and the default action,
    // made before this process starts any thread.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_) | Command::Lsp) {
        end_quietly_when_output_closes();
    }
    match cli.command {
        Command::Check { paths } => check(&paths),
        Command::Lint {
            paths,
            deny_warnings,
            format,
        } => lint::run(&paths, deny_warnings, format),
        Command::Fmt { paths, check } => fmt::run(&paths, check),
        Command::New { name } => new::run(&name),
        Command::Lsp => lsp(),
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
        Command::Batch {
            policy,
            input,
            output,
            rejects,
            as_of,
            jobs,
            format,
        } => batch::run(&batch::Options {
            policy: &policy,
            input: &input,
            output: output.as_deref(),
            rejects: rejects.as_deref(),
            as_of: as_of.as_deref(),
            jobs,
            format,
        }),
        Command::Diff {
            old,
            new,
            cases,
            as_of,
            format,
            jobs,
        } => diff::run(&diff::Options {
            old: &old,
            new: &new,
            cases: cases.as_deref(),
            as_of: as_of.as_deref(),
            format,
            jobs,
        }),
        Command::Explain {
            policy,
            input,
            as_of,
            format,
            verbose,
        } => explain::explain(&policy, input.as_deref(), as_of.as_deref(), format, verbose),
        Command::Next {
            policies,
            input,
            as_of,
            compact,
            look_ahead,
        } => interview::next(
            &policies,
            input.as_deref(),
            as_of.as_deref(),
            compact,
            look_ahead,
        ),
        Command::Interview {
            policies,
            input,
            as_of,
            save,
        } => interview::interview(
            &policies,
            input.as_deref(),
            as_of.as_deref(),
            save.as_deref(),
        ),
        Command::Serve(args) => serve::run(args),
        Command::Log {
            command:
                LogCommand::Verify {
                    file,
                    head,
                    key_file,
                },
        } => verify_log(&file, head.as_deref(), key_file.as_deref()),
        Command::Log {
            command: LogCommand::Repair { file, key_file },
        } => repair_log(&file, key_file.as_deref()),
        Command::Test {
            paths,
            format,
            filter,
            coverage,
            min_coverage,
            seed,
        } => {
            let options = testing::RunOptions {
                filter,
                coverage: coverage || min_coverage.is_some(),
                // no --seed: the documented fixed seed
                seed: seed.unwrap_or(testing::properties::DEFAULT_SEED),
                ..testing::RunOptions::default()
            };
            test(&paths, format, &options, min_coverage)
        }
    }
}

/// The `.rules` files under the paths a command was given, sorted, and
/// whether some path was missing; each missing path is reported on stderr.
/// With no file at all and no missing path: an error, and the exit code.
fn rule_files_of(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, bool), ExitCode> {
    let mut problems = Vec::new();
    let files = rule_files(paths, &mut problems);
    for p in &problems {
        eprintln!("error: {p}");
    }
    if files.is_empty() && problems.is_empty() {
        eprintln!("error: no .rules files found");
        return Err(ExitCode::FAILURE);
    }
    Ok((files, !problems.is_empty()))
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

/// `rulebook lsp`: serves an editor until it exits (0 after `shutdown`,
/// 1 when it exits without, as the LSP specification says).
fn lsp() -> ExitCode {
    match rulebook_lsp::run_stdio() {
        Ok(rulebook_lsp::Ended::Shutdown) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: rulebook lsp: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let (files, mut failed) = match rule_files_of(paths) {
        Ok(found) => found,
        Err(code) => return code,
    };
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
                eprintln!("error: {}", with_causes(&e));
            }
        }
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

/// `--as-of DATE`, or today when it is not given.
pub(crate) fn as_of_or_today(as_of: Option<&str>) -> Result<Date, ExitCode> {
    match as_of {
        None => Ok(Date::today()),
        Some(s) => Date::parse(s).map_err(|_| {
            eprintln!("error: --as-of {s:?} is not a date YYYY-MM-DD");
            ExitCode::FAILURE
        }),
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
            e => eprintln!("error: {}", with_causes(&e)),
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
    // compiled to native code (and cached) before anything is written: a
    // module wasmtime would refuse is never written
    if let Err(e) = policy.warm_cache() {
        eprintln!(
            "error: {}: the compiled module cannot be loaded, so nothing was written: {e}",
            policy.path()
        );
        return ExitCode::FAILURE;
    }
    match std::fs::write(output, policy.wasm()) {
        Ok(()) => {
            println!(
                "wrote {} ({} bytes, policy {}, module sha256 {}, source sha256 {})",
                output.display(),
                policy.wasm().len(),
                policy.name(),
                rulebook::sha256_hex(policy.wasm()),
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
    let as_of = match as_of_or_today(as_of) {
        Ok(d) => d,
        Err(c) => return c,
    };
    let policy = match load(policy, wasm) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let facts = match read_facts(input) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut ignored = Vec::new();
    let result = policy
        .parse_facts_noting(&facts, &mut ignored)
        .map_err(rulebook::Error::from)
        .and_then(|f| Ok(policy.evaluate_with(engine, &f, as_of)?));
    // facts meant for other policies are accepted, but a typo should not
    // pass unnoticed: every decision it feeds would just say "missing"
    for fact in &ignored {
        let hint = policy
            .did_you_mean(fact)
            .map_or(String::new(), |d| format!("; did you mean `{d}`?"));
        eprintln!(
            "warning: fact `{fact}` is not an input of {}{hint}",
            policy.name()
        );
    }
    match result {
        Ok(outcome) => {
            let out = policy.report(&outcome, as_of).with_ignored(&ignored);
            print_json(&out, compact)
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The facts text from FILE, or from stdin.
fn read_facts(input: Option<&Path>) -> Result<String, String> {
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
    facts.and_then(|b| {
        String::from_utf8(b).map_err(|_| "the facts are not valid UTF-8 text".to_string())
    })
}

fn test(
    paths: &[PathBuf],
    format: Format,
    options: &testing::RunOptions,
    min_coverage: Option<f64>,
) -> ExitCode {
    let files = testing::find_test_files(paths);
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut errors: Vec<String> = Vec::new();
    for p in paths.iter().filter(|p| !p.exists()) {
        errors.push(format!("{}: no such file or folder", p.display()));
    }
    if files.is_empty() && errors.is_empty() {
        errors.push("no *.test.yaml files found".to_string());
    }
    let mut reports = Vec::new();
    let mut coverage: Vec<testing::coverage::Coverage> = Vec::new();
    for f in &files {
        match testing::run_file_with(f, options) {
            Ok(report) => {
                for case in &report.cases {
                    if case.passed() {
                        passed += 1;
                    } else {
                        failed += 1;
                        if format == Format::Text {
                            println!(
                                "FAIL {}:{}: {}",
                                report.test_file.display(),
                                case.line,
                                case.name
                            );
                            for m in &case.mismatches {
                                let what = match &m.decision {
                                    Some(d) => format!("{d}.{}", m.field),
                                    None => m.field.clone(),
                                };
                                println!(
                                    "    {what}:\n      expected: {}\n      got:      {}",
                                    m.expected, m.got
                                );
                            }
                        }
                    }
                }
                for prop in &report.properties {
                    if prop.passed {
                        passed += 1;
                    } else {
                        failed += 1;
                        if format == Format::Text {
                            println!(
                                "FAIL {}:{}: property {} ({} cases)",
                                report.test_file.display(),
                                prop.line,
                                prop.name,
                                prop.cases
                            );
                            if let Some(m) = &prop.message {
                                println!("    {m}");
                            }
                            if let Some(c) = &prop.counterexample {
                                println!(
                                    "    shrunk counterexample, ready to paste under `cases:`:"
                                );
                                print!("{c}");
                            }
                        }
                    }
                }
                if let Some(c) = &report.coverage {
                    match coverage.iter_mut().find(|x| x.policy == c.policy) {
                        Some(existing) => existing.merge(c),
                        None => coverage.push(c.clone()),
                    }
                }
                reports.push(report);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    failed += errors.len();
    let mut below = Vec::new();
    for c in &coverage {
        if let Some(min) = min_coverage {
            if c.percent() + 1e-9 < min {
                below.push(format!(
                    "coverage of {} is {:.1}%, below the minimum of {min}%",
                    c.policy,
                    c.percent()
                ));
            }
        }
    }
    match format {
        Format::Text => {
            for e in &errors {
                println!("ERROR {e}");
            }
            for c in &coverage {
                let unreachable = c.goals.len() - c.reachable();
                println!(
                    "coverage {}: {:.1}% ({}/{} goals{})",
                    c.policy,
                    c.percent(),
                    c.covered(),
                    c.reachable(),
                    if unreachable > 0 {
                        format!(", {unreachable} unreachable")
                    } else {
                        String::new()
                    }
                );
                for g in c.uncovered().chain(c.unreachable()) {
                    println!("    {}", g.describe());
                }
            }
            for b in &below {
                println!("FAIL {b}");
            }
            println!("{passed} passed, {failed} failed");
        }
        Format::Json => {
            let doc = serde_json::json!({
                "files": reports.iter().map(|r| serde_json::json!({
                    "file": r.test_file.display().to_string(),
                    "policy": r.policy_file.display().to_string(),
                    "cases": r.cases,
                    "properties": r.properties,
                })).collect::<Vec<_>>(),
                "errors": errors,
                "coverage": coverage.iter().map(|c| serde_json::json!({
                    "policy": c.policy,
                    "percent": c.percent(),
                    "covered": c.covered(),
                    "goals": c.reachable(),
                    "uncovered": c.uncovered().collect::<Vec<_>>(),
                    "unreachable": c.unreachable().collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "below_min_coverage": below,
                "passed": passed,
                "failed": failed,
            });
            // a Value always serialises (string keys only)
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
    }
    if failed > 0 || !below.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn log_key(key_file: Option<&Path>) -> Result<Option<Vec<u8>>, ExitCode> {
    match key_file
        .map(rulebook_serve::decision_log::read_key_file)
        .transpose()
    {
        Ok(key) => Ok(key),
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::FAILURE)
        }
    }
}

fn verify_log(file: &Path, head: Option<&str>, key_file: Option<&Path>) -> ExitCode {
    use rulebook_serve::decision_log as dl;
    let key = match log_key(key_file) {
        Ok(key) => key,
        Err(code) => return code,
    };
    let options = dl::VerifyOptions {
        expected_head: head,
        key: key.as_deref(),
    };
    match dl::verify_with(file, options) {
        Ok(r) => {
            println!("{}", dl::render_report(&r));
            if r.is_intact() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn repair_log(file: &Path, key_file: Option<&Path>) -> ExitCode {
    use rulebook_serve::decision_log as dl;
    let key = match log_key(key_file) {
        Ok(key) => key,
        Err(code) => return code,
    };
    match dl::repair_with_key(file, key.as_deref()) {
        Ok(report) => {
            println!("{}", dl::render_repair(&report));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// An error's message followed by its causes' (`cannot read x.rules: No
/// such file or directory`): the library's errors keep each message once,
/// with the cause as `source()`.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// Prints `value` as JSON on stdout (one line when `compact`, else
/// indented): the output of `eval` and `next`.
pub(crate) fn print_json(value: &impl serde::Serialize, compact: bool) -> ExitCode {
    let text = if compact {
        serde_json::to_string(value)
    } else {
        serde_json::to_string_pretty(value)
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
