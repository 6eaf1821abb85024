//! `rulebook serve`: the command line of the HTTP service (options, start-up
//! checks, signals); the service itself is `rulebook::serve`.

use rulebook_serve::decision_log::{DecisionLog, LogOptions};
use rulebook_serve::store::{Change, PolicyStore, ReloadReport, StoreOptions};
use rulebook_serve::{AdminToken, AppState, Limits, LogFacts, Logging};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Folder of .rules (and .wasm) files, each with its NAME.test.yaml.
    dir: PathBuf,
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Append every decision to this tamper-evident log (JSON lines); a
    /// decision is answered only once its entry is on disk.
    #[arg(long, value_name = "FILE")]
    decision_log: Option<PathBuf>,
    /// What the log keeps of the facts: the declared facts as parsed, or
    /// only a digest of them.
    #[arg(long, value_enum, default_value = "all")]
    log_facts: LogFactsArg,
    /// Key (at least 16 bytes) for the log: the chain is sealed with
    /// HMAC-SHA256 under it (an appended forged line fails verification),
    /// `personal` facts are kept as keyed hashes, and so is the facts'
    /// digest with `--log-facts none`.
    #[arg(long, value_name = "FILE")]
    log_key_file: Option<PathBuf>,
    /// Most bytes of log entries waiting to be written; beyond it decisions
    /// get 503 (the log cannot keep up) instead of waiting.
    #[arg(long, default_value_t = rulebook_serve::decision_log::DEFAULT_MAX_QUEUE_BYTES)]
    log_queue_bytes: usize,
    /// Start a new log file when the current one is larger than this; the
    /// old one is renamed FILE.000001, ... and the chain continues.
    #[arg(long, value_name = "BYTES")]
    log_rotate_bytes: Option<u64>,
    /// File holding the admin token (at least 16 characters); without it the
    /// admin endpoints (reload, rollback) answer 403.
    #[arg(long, value_name = "FILE")]
    admin_token_file: Option<PathBuf>,
    /// Serve policies that have no NAME.test.yaml (never in place of a tested version).
    #[arg(long)]
    allow_untested: bool,
    /// Do not watch the folder (reload only on POST /v1/reload).
    #[arg(long)]
    no_watch: bool,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    max_body: usize,
    /// Most records in one batch request.
    #[arg(long, default_value_t = 10_000)]
    max_batch: usize,
    /// Most list elements in the facts of one request.
    #[arg(long, default_value_t = 100_000)]
    max_list_elements: usize,
    /// Longest time one request may take, in milliseconds; its work stops then.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// Threads that evaluate (default: one per core).
    #[arg(long)]
    eval_threads: Option<usize>,
    /// Evaluations that may wait for a thread before requests get 503.
    #[arg(long, default_value_t = 1024)]
    eval_queue: usize,
    /// Batch requests evaluated at once (default: one per core); more get 503.
    #[arg(long)]
    max_concurrent_batches: Option<usize>,
    /// Connections open at once; further clients wait to be accepted.
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// Time a connection has to send a request head, in milliseconds (also
    /// the longest idle time of a keep-alive connection).
    #[arg(long, default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// Requests that may wait for a shadow candidate's evaluation; beyond
    /// it, requests are not shadowed (and are counted as dropped).
    #[arg(long, default_value_t = rulebook_serve::shadow::DEFAULT_QUEUE)]
    shadow_queue: usize,
    /// Largest policy file compiled, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_policy_bytes: u64,
    /// Longest time compiling a new version and running its tests may take,
    /// in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    load_budget_ms: u64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum LogFactsArg {
    All,
    None,
}

fn read_secret(path: &Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

fn print_reload(report: &ReloadReport) {
    for c in &report.changes {
        match c {
            Change::Added { policy, hash } => eprintln!("loaded {policy} ({hash})"),
            Change::Updated { policy, from, to } => eprintln!("updated {policy}: {from} -> {to}"),
            Change::Removed { policy, reason } => eprintln!("removed {policy}: {reason}"),
            Change::Rejected { file, reason } => eprintln!("rejected {file}:\n{reason}"),
        }
    }
}

pub fn run(args: ServeArgs) -> ExitCode {
    match start(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn start(args: ServeArgs) -> Result<ExitCode, String> {
    let admin = match &args.admin_token_file {
        None => None,
        Some(path) => Some(
            AdminToken::from_file_text(&read_secret(path, "admin token file")?)
                .map_err(|e| format!("{}: {e}", path.display()))?,
        ),
    };
    let key = match &args.log_key_file {
        None => None,
        Some(path) => {
            Some(rulebook_serve::decision_log::read_key_file(path).map_err(|e| e.to_string())?)
        }
    };
    let options = StoreOptions {
        allow_untested: args.allow_untested,
        max_policy_bytes: args.max_policy_bytes,
        load_budget: Duration::from_millis(args.load_budget_ms),
        // the shared runtime: the RULEBOOK_* environment overrides apply
        ..StoreOptions::default()
    };
    let (store, report) = PolicyStore::open_with(&args.dir, options).map_err(|e| e.to_string())?;
    print_reload(&report);
    let store = Arc::new(store);
    let logging = match &args.decision_log {
        None => None,
        Some(path) => Some(Logging {
            log: Arc::new(
                DecisionLog::open_with(
                    path,
                    LogOptions {
                        max_queue_bytes: args.log_queue_bytes,
                        chain_key: key.clone(),
                        rotate_bytes: args.log_rotate_bytes,
                    },
                )
                .map_err(|e| e.to_string())?,
            ),
            facts: match args.log_facts {
                LogFactsArg::All => LogFacts::All,
                LogFactsArg::None => LogFacts::None,
            },
            key,
        }),
    };
    if let Some(l) = &logging {
        if l.key.is_none() {
            // personal values are never logged in the clear: refuse now
            // rather than refuse every decision of such a policy
            for (name, v) in &store.snapshot().policies {
                let personal = v.policy.meta().input.personal_paths();
                if !personal.is_empty() {
                    return Err(format!(
                        "policy `{name}` marks {} personal: with --decision-log, give \
                         --log-key-file so that the log keeps keyed hashes of them",
                        personal.join(", ")
                    ));
                }
            }
        }
    }
    let log = logging.as_ref().map(|l| l.log.clone());
    let defaults = Limits::default();
    let limits = Limits {
        max_body: args.max_body,
        max_batch: args.max_batch,
        max_list_elements: args.max_list_elements,
        timeout: Duration::from_millis(args.timeout_ms),
        // options not given take the documented defaults
        eval_threads: args.eval_threads.unwrap_or(defaults.eval_threads),
        eval_queue: args.eval_queue,
        max_concurrent_batches: args
            .max_concurrent_batches
            // not given: the documented default
            .unwrap_or(defaults.max_concurrent_batches),
        max_connections: args.max_connections,
        header_timeout: Duration::from_millis(args.header_timeout_ms),
        shadow_queue: args.shadow_queue,
    };
    let state = AppState::with_events(store.clone(), logging, limits, admin, |event| {
        eprintln!("{event}")
    })
    .map_err(|e| format!("cannot start the evaluation threads: {e}"))?;
    rulebook_serve::record_start(&state);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server runtime: {e}"))?;
    let _watch = if args.no_watch {
        None
    } else {
        let state = state.clone();
        Some(
            store
                .watch(
                    Duration::from_millis(100),
                    Duration::from_millis(150),
                    move |report| {
                        rulebook_serve::record_reload(&state, "reload (file change)", report)
                    },
                )
                .map_err(|e| e.to_string())?,
        )
    };
    let addr = args.addr.clone();
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        let local = listener.local_addr()?;
        println!("listening on http://{local}");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        rulebook_serve::serve(listener, state.clone(), shutdown_signal()).await
    });
    rulebook_serve::record_stop(&state);
    drop(_watch);
    if let Some(log) = &log {
        if let Err(e) = log.flush() {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    }
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => Err(format!("{addr}: {e}")),
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM: the server then stops accepting,
/// finishes the requests in flight and syncs the decision log.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                eprintln!("warning: cannot listen for SIGTERM ({e}); stop the server with Ctrl-C");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    eprintln!("stopping: finishing the requests in flight");
}
