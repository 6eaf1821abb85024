//! `rulebook serve`: policies from a [`PolicyStore`] over HTTP (axum).
//! Every response to an evaluation names the version hash that produced it;
//! bad requests get 400 with the same messages as the CLI; nothing a client
//! sends can crash the server. See docs/serving.md.

use crate::decision_log::{DecisionLog, Entry};
use crate::store::{Change, PolicyStore, ReloadReport, Version};
use crate::{num, report, Date, Facts};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Limits on what a client may send.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body in bytes.
    pub max_body: usize,
    /// Most records in one batch.
    pub max_batch: usize,
    /// Longest time one request may take.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 16 * 1024 * 1024,
            max_batch: 10_000,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Everything the handlers share.
pub struct AppState {
    pub store: Arc<PolicyStore>,
    pub log: Option<Arc<DecisionLog>>,
    pub limits: Limits,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(
        store: Arc<PolicyStore>,
        log: Option<Arc<DecisionLog>>,
        limits: Limits,
    ) -> Arc<AppState> {
        Arc::new(AppState {
            store,
            log,
            limits,
            metrics: Metrics::default(),
        })
    }
}

/// The HTTP API.
pub fn router(state: Arc<AppState>) -> Router {
    let limits = state.limits.clone();
    Router::new()
        .route("/v1/policies", get(list))
        .route("/v1/policies/{name}/evaluate", post(evaluate))
        .route("/v1/policies/{name}/evaluate-batch", post(evaluate_batch))
        .route("/v1/policies/{name}/rollback", post(rollback))
        .route("/v1/reload", post(reload))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such endpoint (see docs/serving.md)".into(),
                None,
            )
        })
        .layer(axum::middleware::from_fn(
            move |req, next: axum::middleware::Next| {
                let timeout = limits.timeout;
                async move {
                    match tokio::time::timeout(timeout, next.run(req)).await {
                        Ok(r) => r,
                        Err(_) => error(
                            StatusCode::SERVICE_UNAVAILABLE,
                            format!("the request took longer than {} ms", timeout.as_millis()),
                            None,
                        ),
                    }
                }
            },
        ))
        .layer(DefaultBodyLimit::max(state.limits.max_body))
        .with_state(state)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // answers are small: send them at once rather than waiting to coalesce
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

fn json_response(status: StatusCode, body: String, hash: Option<&str>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(h) = hash.and_then(|h| HeaderValue::from_str(h).ok()) {
        headers.insert("x-policy-hash", h);
    }
    (status, headers, body).into_response()
}

fn error(status: StatusCode, message: String, version: Option<&Version>) -> Response {
    let mut body = json!({ "error": message });
    if let Some(v) = version {
        body["policy"] = json!(v.policy.name());
        body["hash"] = json!(v.policy.hash());
    }
    json_response(status, body.to_string(), version.map(|v| v.policy.hash()))
}

#[derive(Deserialize)]
struct EvalRequest<'a> {
    #[serde(borrow)]
    facts: &'a RawValue,
    #[serde(default)]
    as_of: Option<String>,
}

/// One evaluation of one record, as the handlers need it.
enum Answer {
    Decision(String),
    Input(String),
    Eval(String),
}

fn parse_request(text: &str) -> Result<(&RawValue, Date), String> {
    let req: EvalRequest = serde_json::from_str(text).map_err(|e| {
        format!("input error: expected {{\"facts\": {{...}}, \"as_of\": \"YYYY-MM-DD\"?}}: {e}")
    })?;
    let as_of = match &req.as_of {
        None => Date::today(),
        Some(s) => Date::parse(s).ok_or_else(|| {
            format!("input error at as_of: expected a date \"YYYY-MM-DD\", got {s:?}")
        })?,
    };
    Ok((req.facts, as_of))
}

fn get_policy(state: &AppState, name: &str) -> Result<Arc<Version>, Box<Response>> {
    state.store.get(name).ok_or_else(|| {
        let names: Vec<String> = state.store.snapshot().policies.keys().cloned().collect();
        Box::new(error(
            StatusCode::NOT_FOUND,
            format!("no policy named `{name}` (serving: {})", names.join(", ")),
            None,
        ))
    })
}

/// The policy a request names and its body as text.
fn request<'b>(
    state: &AppState,
    name: &str,
    body: &'b Bytes,
) -> Result<(Arc<Version>, &'b str), Box<Response>> {
    let version = get_policy(state, name)?;
    match std::str::from_utf8(body) {
        Ok(text) => Ok((version, text)),
        Err(_) => {
            state.metrics.decision(name, "input_error");
            Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                "input error: the body is not UTF-8 text".into(),
                Some(&version),
            )))
        }
    }
}

/// Logs a decision; an unwritable log refuses the decision rather than lose it.
fn log_decision(
    state: &AppState,
    v: &Version,
    as_of: Date,
    facts: &str,
    result: &str,
) -> Result<(), String> {
    let Some(log) = &state.log else { return Ok(()) };
    let as_of = num::format_date(as_of.0);
    log.append(Entry {
        policy: v.policy.name(),
        hash: v.policy.hash(),
        as_of: &as_of,
        facts,
        result,
    })
    .map_err(|e| format!("decision log unavailable: {e}"))
}

async fn evaluate(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let start = Instant::now();
    let (version, text) = match request(&state, &name, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let (facts_raw, as_of) = match parse_request(text) {
        Ok(x) => x,
        Err(e) => {
            state.metrics.decision(&name, "input_error");
            return error(StatusCode::BAD_REQUEST, e, Some(&version));
        }
    };
    let answer = match version.policy.parse_facts(facts_raw.get()) {
        Err(e) => Answer::Input(e.to_string()),
        Ok(facts) => match version.policy.evaluate_json_facts(&facts, as_of) {
            Ok(out) => Answer::Decision(out),
            Err(e) => Answer::Eval(e.to_string()),
        },
    };
    let response = match answer {
        Answer::Decision(out) => {
            if let Err(e) = log_decision(&state, &version, as_of, facts_raw.get(), &out) {
                state.metrics.decision(&name, "log_error");
                return error(StatusCode::SERVICE_UNAVAILABLE, e, Some(&version));
            }
            state.metrics.decision(&name, "ok");
            json_response(StatusCode::OK, out, Some(version.policy.hash()))
        }
        Answer::Input(e) => {
            state.metrics.decision(&name, "input_error");
            error(StatusCode::BAD_REQUEST, e, Some(&version))
        }
        Answer::Eval(e) => {
            state.metrics.decision(&name, "eval_error");
            error(StatusCode::UNPROCESSABLE_ENTITY, e, Some(&version))
        }
    };
    state.metrics.latency(start.elapsed());
    response
}

/// The records of a batch body: a JSON array, or NDJSON (one request per line).
fn batch_items(text: &str) -> Result<Vec<&str>, String> {
    if text.trim_start().starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(text)
            .map_err(|e| format!("input error: the batch is not a JSON array: {e}"))?;
        Ok(items.into_iter().map(RawValue::get).collect())
    } else {
        Ok(text.lines().filter(|l| !l.trim().is_empty()).collect())
    }
}

async fn evaluate_batch(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let start = Instant::now();
    let (version, text) = match request(&state, &name, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let items = match batch_items(text) {
        Ok(items) => items,
        Err(e) => return error(StatusCode::BAD_REQUEST, e, Some(&version)),
    };
    if items.len() > state.limits.max_batch {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the batch has {} records; the limit is {}",
                items.len(),
                state.limits.max_batch
            ),
            Some(&version),
        );
    }
    let state2 = state.clone();
    let v2 = version.clone();
    let owned: Vec<String> = items.iter().map(|s| (*s).to_string()).collect();
    let joined = tokio::task::spawn_blocking(move || batch_answers(&state2, &v2, &owned)).await;
    let answers = match joined {
        Ok(a) => a,
        Err(e) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("batch failed: {e}"),
                Some(&version),
            )
        }
    };
    let mut out = String::with_capacity(64 + answers.iter().map(String::len).sum::<usize>());
    out.push_str(&format!(
        "{{\"policy\":{},\"hash\":{},\"results\":[",
        Json::String(version.policy.name().to_string()),
        Json::String(version.policy.hash().to_string())
    ));
    out.push_str(&answers.join(","));
    out.push_str("]}");
    state.metrics.latency(start.elapsed());
    json_response(StatusCode::OK, out, Some(version.policy.hash()))
}

/// One JSON result per record, in order; a bad record gets its own error.
fn batch_answers(state: &AppState, version: &Version, items: &[String]) -> Vec<String> {
    let name = version.policy.name();
    let mut answers: Vec<Option<String>> = vec![None; items.len()];
    // records that parse, grouped by date so each group is one call into the module
    let mut groups: BTreeMap<i32, Vec<(usize, Facts, &str)>> = BTreeMap::new();
    for (i, text) in items.iter().enumerate() {
        let parsed = parse_request(text).and_then(|(facts, as_of)| {
            version
                .policy
                .parse_facts(facts.get())
                .map(|f| (f, as_of, facts.get()))
                .map_err(|e| e.to_string())
        });
        match parsed {
            Ok((f, as_of, raw)) => groups.entry(as_of.0).or_default().push((i, f, raw)),
            Err(e) => {
                state.metrics.decision(name, "input_error");
                answers[i] = Some(json!({ "error": e }).to_string());
            }
        }
    }
    for (as_of, group) in groups {
        let records: Vec<Facts> = group.iter().map(|(_, f, _)| f.clone()).collect();
        let mut results = crate::BatchResults::default();
        version
            .policy
            .evaluate_batch_into(&records, Date(as_of), &mut results);
        for ((i, _, raw), r) in group.into_iter().zip(results.iter()) {
            answers[i] = Some(match r {
                Ok(o) => {
                    let out = report::to_json_text(version.policy.meta(), as_of, &o);
                    match log_decision(state, version, Date(as_of), raw, &out) {
                        Ok(()) => {
                            state.metrics.decision(name, "ok");
                            out
                        }
                        Err(e) => {
                            state.metrics.decision(name, "log_error");
                            json!({ "error": e }).to_string()
                        }
                    }
                }
                Err(e) => {
                    state.metrics.decision(name, "eval_error");
                    json!({ "error": e.to_string() }).to_string()
                }
            });
        }
    }
    answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| json!({"error": "not evaluated"}).to_string()))
        .collect()
}

fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        num::format_date(i32::try_from(days).unwrap_or(0)),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

async fn list(State(state): State<Arc<AppState>>) -> Response {
    let snapshot = state.store.snapshot();
    let policies: Vec<Json> = snapshot
        .policies
        .values()
        .map(|v| {
            let meta = v.policy.meta();
            json!({
                "name": meta.policy,
                "title": meta.title,
                "version": meta.version,
                "hash": meta.hash,
                "file": v.file.display().to_string(),
                "loaded_at": rfc3339(v.loaded_at),
                "tests": v.tests,
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        json!({ "policies": policies }).to_string(),
        None,
    )
}

fn reload_response(state: &AppState, report: &ReloadReport) -> Response {
    let result = if report.rejected() > 0 {
        "rejected"
    } else if report.changes.is_empty() {
        "unchanged"
    } else {
        "changed"
    };
    state.metrics.reload(result);
    json_response(
        StatusCode::OK,
        serde_json::to_string(report).unwrap_or_default(),
        None,
    )
}

async fn reload(State(state): State<Arc<AppState>>) -> Response {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.reload()).await {
        Ok(Ok(report)) => reload_response(&state, &report),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}

async fn rollback(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    match state.store.rollback(&name) {
        Ok(change @ Change::Updated { .. }) => json_response(
            StatusCode::OK,
            serde_json::to_string(&change).unwrap_or_default(),
            None,
        ),
        Ok(other) => json_response(
            StatusCode::OK,
            serde_json::to_string(&other).unwrap_or_default(),
            None,
        ),
        Err(e) => error(StatusCode::NOT_FOUND, e.to_string(), None),
    }
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let policies = state.store.snapshot().policies.len();
    match state.log.as_ref().map(|l| l.status()) {
        Some(st) if !st.is_ok() => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({
                "status": "failing",
                "policies": policies,
                "decision_log": st.error,
            })
            .to_string(),
            None,
        ),
        Some(st) => json_response(
            StatusCode::OK,
            json!({
                "status": "ok",
                "policies": policies,
                "decision_log": { "entries": st.head.entries, "head_sha256": st.head.sha256 },
            })
            .to_string(),
            None,
        ),
        None => json_response(
            StatusCode::OK,
            json!({"status": "ok", "policies": policies}).to_string(),
            None,
        ),
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    (StatusCode::OK, headers, state.metrics.render()).into_response()
}

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
];

/// Counters for the Prometheus `/metrics` endpoint.
#[derive(Default)]
pub struct Metrics {
    decisions: Mutex<HashMap<(String, &'static str), u64>>,
    reloads: Mutex<HashMap<&'static str, u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Metrics {
    fn decision(&self, policy: &str, outcome: &'static str) {
        if let Ok(mut m) = self.decisions.lock() {
            *m.entry((policy.to_string(), outcome)).or_default() += 1;
        }
    }
    fn reload(&self, result: &'static str) {
        if let Ok(mut m) = self.reloads.lock() {
            *m.entry(result).or_default() += 1;
        }
    }
    fn latency(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }
    /// Prometheus text format.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        out.push_str("# HELP rulebook_decisions_total Evaluated records by policy and outcome.\n");
        out.push_str("# TYPE rulebook_decisions_total counter\n");
        if let Ok(m) = self.decisions.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort();
            for ((policy, outcome), n) in rows {
                let _ = writeln!(
                    out,
                    "rulebook_decisions_total{{policy=\"{}\",outcome=\"{outcome}\"}} {n}",
                    policy.replace('\\', "\\\\").replace('"', "\\\"")
                );
            }
        }
        out.push_str(
            "# HELP rulebook_request_duration_seconds Time to answer an evaluate request.\n",
        );
        out.push_str("# TYPE rulebook_request_duration_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "rulebook_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "rulebook_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "rulebook_request_duration_seconds_sum {}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "rulebook_request_duration_seconds_count {count}");
        out.push_str("# HELP rulebook_reloads_total Policy reloads by result.\n");
        out.push_str("# TYPE rulebook_reloads_total counter\n");
        if let Ok(m) = self.reloads.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort();
            for (result, n) in rows {
                let _ = writeln!(out, "rulebook_reloads_total{{result=\"{result}\"}} {n}");
            }
        }
        out
    }
}

/// Records a reload made outside a request (the file watcher).
pub fn record_reload(state: &AppState, report: &ReloadReport) {
    let _ = reload_response(state, report);
}
