//! `rulebook serve`: policies from a [`PolicyStore`] over HTTP (axum).
//!
//! Every response to an evaluation names the version hash that produced it;
//! bad requests get 4xx with the same messages as the CLI; nothing a client
//! sends can crash the server or starve other clients: evaluations run on a
//! bounded pool ([`pool`]), batches are bounded in records, list elements and
//! concurrency, connections in number and in the time to send a request
//! head ([`listener`]). Admin endpoints need the admin token ([`admin`]).
//! With a decision log, a decision is answered only once its entry is
//! durably written. See docs/serving.md.

mod admin;
pub mod decision_log;
mod explain;
pub mod interview;
pub mod listener;
mod metrics;
pub mod pool;
pub mod shadow;
mod shadow_api;
pub mod store;

pub use admin::AdminToken;
pub use metrics::Metrics;

use crate::decision_log::{DecisionLog, Entry, Event, LogError, Pending};
use crate::store::{PolicyStore, ReloadReport, StoreError, Version};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use pool::{Cancel, EvalPool, PoolError};
use rulebook::__private::FactValue;
use rulebook::__private::LabelledKey;
use rulebook::{Date, Facts};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value as Json};
use shadow::{ExampleFacts, Shadows};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Limits on what a client may send and on what the server takes on at once.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body in bytes.
    pub max_body: usize,
    /// Most records in one batch.
    pub max_batch: usize,
    /// Most list elements in all the facts of one request.
    pub max_list_elements: usize,
    /// Longest time one request may take; its work stops when it is over.
    pub timeout: Duration,
    /// Threads that evaluate (default: one per core).
    pub eval_threads: usize,
    /// Evaluations that may wait for a thread before requests get 503.
    pub eval_queue: usize,
    /// Batch requests evaluated at once; more get 503.
    pub max_concurrent_batches: usize,
    /// Connections open at once; more wait to be accepted.
    pub max_connections: usize,
    /// Time a connection has to send a complete request head (also the
    /// longest a keep-alive connection may stay idle).
    pub header_timeout: Duration,
    /// Requests that may wait for a shadow evaluation; more are not
    /// shadowed (and are counted as dropped).
    pub shadow_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Limits {
            max_body: 16 * 1024 * 1024,
            max_batch: 10_000,
            max_list_elements: 100_000,
            timeout: Duration::from_secs(10),
            eval_threads: cores,
            eval_queue: 1024,
            max_concurrent_batches: cores,
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            shadow_queue: shadow::DEFAULT_QUEUE,
        }
    }
}

/// What the decision log keeps of the facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFacts {
    /// The declared facts as parsed.
    #[default]
    All,
    /// Only a digest of them.
    None,
}

/// The decision log and what goes into it.
pub struct Logging {
    pub log: Arc<DecisionLog>,
    pub facts: LogFacts,
    /// Keys the digests of facts (and, later, of personal values).
    pub key: Option<Vec<u8>>,
}

/// Everything the handlers share.
pub struct AppState {
    pub store: Arc<PolicyStore>,
    pub logging: Option<Logging>,
    pub limits: Limits,
    pub metrics: Metrics,
    pub admin: Option<AdminToken>,
    pool: EvalPool,
    /// Candidate versions evaluated beside the served ones.
    pub shadows: Shadows,
    batches: Arc<tokio::sync::Semaphore>,
    /// Told of every admin action and watcher reload (the CLI prints them).
    on_event: Option<EventSink>,
}

/// Where admin actions and reloads are announced, one line each.
type EventSink = Box<dyn Fn(&str) + Send + Sync>;

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Starts the evaluation pool; `admin` is the admin token (admin
    /// endpoints answer 403 without one).
    pub fn new(
        store: Arc<PolicyStore>,
        logging: Option<Logging>,
        limits: Limits,
        admin: Option<AdminToken>,
    ) -> std::io::Result<Arc<AppState>> {
        AppState::build(store, logging, limits, admin, None)
    }

    /// [`AppState::new`] with a callback told of every admin action and
    /// reload, as one line of text.
    pub fn with_events(
        store: Arc<PolicyStore>,
        logging: Option<Logging>,
        limits: Limits,
        admin: Option<AdminToken>,
        on_event: impl Fn(&str) + Send + Sync + 'static,
    ) -> std::io::Result<Arc<AppState>> {
        AppState::build(store, logging, limits, admin, Some(Box::new(on_event)))
    }

    fn build(
        store: Arc<PolicyStore>,
        logging: Option<Logging>,
        limits: Limits,
        admin: Option<AdminToken>,
        on_event: Option<EventSink>,
    ) -> std::io::Result<Arc<AppState>> {
        let pool = EvalPool::new(limits.eval_threads, limits.eval_queue)?;
        let examples = ExampleFacts {
            facts: logging.as_ref().map_or(LogFacts::All, |l| l.facts),
            key: logging.as_ref().and_then(|l| l.key.clone()),
        };
        let shadows = Shadows::new(limits.shadow_queue, examples)?;
        Ok(Arc::new(AppState {
            store,
            shadows,
            logging,
            batches: Arc::new(tokio::sync::Semaphore::new(
                limits.max_concurrent_batches.max(1),
            )),
            limits,
            metrics: Metrics::default(),
            admin,
            pool,
            on_event,
        }))
    }

    fn event(&self, text: &str) {
        if let Some(f) = &self.on_event {
            f(text);
        }
    }
}

/// The HTTP API.
pub fn router(state: Arc<AppState>) -> Router {
    let limits = state.limits.clone();
    let max_body = state.limits.max_body;
    let api = Router::new()
        .route("/v1/policies", get(list))
        .route("/v1/policies/{name}/evaluate", post(evaluate))
        .route("/v1/policies/{name}/evaluate-batch", post(evaluate_batch))
        .route("/v1/policies/{name}/rollback", post(rollback))
        .route(
            "/v1/policies/{name}/shadow",
            put(shadow_api::put)
                .get(shadow_api::get)
                .delete(shadow_api::delete),
        )
        .route("/v1/reload", post(reload))
        .route("/v1/policies/{name}/explain", post(explain::by_path))
        .route("/v1/explain", post(explain::by_query))
        .route("/v1/interview", post(interview::interview))
        .route("/interview", get(interview::page))
        .route("/interview/page.js", get(interview::script))
        .route("/interview/page.css", get(interview::style))
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
                // the handler's future, and with it its work, is dropped on time-out
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
        .with_state(state);
    // around the whole router, so that it sees answers as they leave it
    // (a 405 with its `Allow` header, which the router adds last)
    Router::new()
        .fallback_service(api)
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                json_errors(req, next, max_body)
            },
        ))
}

/// Makes every error answer a JSON `{"error": "..."}`: those the handlers
/// write already are; those axum writes itself (the body limit's 413, the
/// method router's 405, an extractor's 400) come as plain text or empty,
/// and are rewritten here in the API's words, keeping status and headers.
async fn json_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
    max_body: usize,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        // an unreadable or long body: the status's own words below
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                .map_or(String::new(), |v| {
                    format!("; use {}", v.replace(',', " or"))
                });
            format!("{method} is not allowed on {path}{allowed}")
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the body is larger than {max_body} bytes, the limit")
        }
        StatusCode::NOT_FOUND => format!("no such endpoint: {path} (see docs/serving.md)"),
        StatusCode::BAD_REQUEST if text.starts_with("Invalid URL") => {
            format!("the address {path} could not be read: a policy name is UTF-8 text")
        }
        _ if text.is_empty() => status
            .canonical_reason()
            // statuses without a standard reason phrase
            .unwrap_or("the request failed")
            .to_lowercase(),
        _ => format!("the request could not be read: {text}"),
    };
    let body = json!({ "error": message }).to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// Serves until `shutdown` completes, within the connection limits of `state`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = listener::ConnectionLimits {
        max_connections: state.limits.max_connections,
        header_timeout: state.limits.header_timeout,
        drain: state.limits.timeout + Duration::from_secs(1),
    };
    listener::serve(listener, router(state), limits, shutdown).await
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
    let mut response = json_response(status, body.to_string(), version.map(|v| v.policy.hash()));
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::CONFLICT {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// A JSON body must say it is one: this also keeps plain HTML forms of other
/// sites from posting to the service.
fn check_content_type(headers: &HeaderMap, accepted: &[&str]) -> Result<(), Box<Response>> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                // `split` yields at least one piece
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match given {
        Some(t) if accepted.contains(&t.as_str()) => Ok(()),
        other => Err(Box::new(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "the body must be sent as {} (Content-Type was {})",
                accepted.join(" or "),
                other.map_or("absent".to_string(), |t| format!("{t:?}"))
            ),
            None,
        ))),
    }
}

/// The shape of an evaluation request, as its error messages describe it.
const REQUEST_SHAPE: &str = r#"{"facts": {...}, "as_of": "YYYY-MM-DD"} (as_of optional)"#;

/// One evaluation request: its facts (parsed later, against the policy) and
/// its `as_of` text. Read by hand so every complaint is in the words of the
/// API, not of the Rust types behind it.
struct EvalRequest<'a> {
    facts: &'a RawValue,
    as_of: Option<Cow<'a, str>>,
}

impl<'de> Deserialize<'de> for EvalRequest<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = EvalRequest<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "a request object {REQUEST_SHAPE}")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                use serde::de::Error;
                let mut facts: Option<&'de RawValue> = None;
                let mut as_of: Option<Option<Cow<'de, str>>> = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match &*key {
                        "facts" if facts.is_some() => {
                            return Err(A::Error::custom("`facts` is given twice"))
                        }
                        "facts" => facts = Some(map.next_value()?),
                        "as_of" if as_of.is_some() => {
                            return Err(A::Error::custom("`as_of` is given twice"))
                        }
                        "as_of" => {
                            let raw: &RawValue = map.next_value()?;
                            let date = match serde_json::from_str::<Option<Cow<str>>>(raw.get()) {
                                Ok(d) => d,
                                Err(_) => {
                                    return Err(A::Error::custom(format!(
                                        "`as_of` must be a date \"YYYY-MM-DD\", got {}",
                                        raw.get()
                                    )))
                                }
                            };
                            as_of = Some(date);
                        }
                        other => {
                            return Err(A::Error::custom(format!(
                                "unknown key `{other}`: a request has only `facts` and `as_of`, as in {REQUEST_SHAPE}"
                            )))
                        }
                    }
                }
                let facts = facts.ok_or_else(|| {
                    A::Error::custom(format!(
                        "the request has no `facts`: expected {REQUEST_SHAPE}"
                    ))
                })?;
                Ok(EvalRequest {
                    facts,
                    as_of: as_of.flatten(),
                })
            }
        }
        d.deserialize_map(V)
    }
}

fn parse_request(text: &str) -> Result<(&RawValue, Date), String> {
    let req: EvalRequest =
        serde_json::from_str(text).map_err(|e| format!("input error: {}", json_problem(&e)))?;
    let as_of = match &req.as_of {
        None => Date::today(),
        Some(s) => Date::parse(s).map_err(|_| {
            format!("input error at as_of: expected a date \"YYYY-MM-DD\", got {s:?}")
        })?,
    };
    Ok((req.facts, as_of))
}

/// What is wrong with a request body, in the API's words: where the JSON
/// is broken, or what the request should have been.
fn json_problem(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("the body is not valid JSON ({e})")
        }
        serde_json::error::Category::Data if e.to_string().starts_with("invalid type") => {
            format!("expected a request object {REQUEST_SHAPE}")
        }
        _ => e.to_string(),
    }
}

/// The decisions JSON text of an answer with `"ignored"` (the facts given
/// that the policy does not declare) added as its last key, when there are
/// any. What the decision log keeps is the answer without them.
fn with_ignored(mut out: String, ignored: &[String]) -> String {
    if ignored.is_empty() || !out.ends_with('}') {
        return out;
    }
    match serde_json::to_string(ignored) {
        Ok(list) => {
            out.pop();
            out.push_str(",\"ignored\":");
            out.push_str(&list);
            out.push('}');
            out
        }
        Err(_) => out,
    }
}

fn get_policy(state: &AppState, name: &str) -> Result<Arc<Version>, Box<Response>> {
    state.store.get(name).ok_or_else(|| {
        Box::new(error(
            StatusCode::NOT_FOUND,
            format!("no policy named `{name}` is served (GET /v1/policies lists them)"),
            None,
        ))
    })
}

/// Elements of every list in some facts.
fn list_elements(facts: &Facts) -> usize {
    fn count(v: &FactValue) -> usize {
        match v {
            FactValue::List(items) => {
                items.len() + items.iter().flatten().flatten().map(count).sum::<usize>()
            }
            _ => 0,
        }
    }
    rulebook::__private::values(facts)
        .iter()
        .flatten()
        .map(count)
        .sum()
}

/// What the log keeps of some facts: the declared facts as parsed, with
/// personal values as keyed hashes, or only a digest of that.
fn logged_facts(logging: &Logging, version: &Version, facts: &Facts) -> Result<String, String> {
    let declared = version
        .policy
        .facts_for_log(facts, logging.key.as_deref())
        .map_err(|e| format!("{e}; start the server with --log-key-file"))?;
    match logging.facts {
        LogFacts::All => Ok(declared),
        LogFacts::None => {
            let digest = match &logging.key {
                Some(key) => {
                    // a label of its own keeps these hashes apart from the
                    // key's other uses (the chain, personal facts)
                    let digest = LabelledKey::derive(key, b"rulebook facts digest v1")
                        .ok_or("the log key is empty")?;
                    format!("hmac-sha256:{}", digest.hex(&[declared.as_bytes()]))
                }
                None => format!("sha256:{}", rulebook::sha256_hex(declared.as_bytes())),
            };
            Ok(json!({ "digest": digest }).to_string())
        }
    }
}

const UNLOGGED: &str = "the decision could not be logged, so it is not answered";

/// Queues one decision's log entry. The caller answers it only once the
/// returned [`Pending`] is durable; an entry that cannot be queued (the log
/// has failed, or cannot keep up) refuses the decision rather than answer it
/// unlogged. `None` without a log.
fn submit_decision(
    state: &AppState,
    v: &Version,
    as_of: Date,
    facts: &Facts,
    result: &str,
) -> Result<Option<Pending>, String> {
    let Some(logging) = &state.logging else {
        return Ok(None);
    };
    let as_of = as_of.to_string();
    let facts = logged_facts(logging, v, facts).map_err(|e| format!("{UNLOGGED}: {e}"))?;
    let pending = logging.log.submit(Entry {
        policy: v.policy.name(),
        hash: v.policy.hash(),
        as_of: &as_of,
        facts: &facts,
        result,
    });
    match pending {
        Ok(p) => Ok(Some(p)),
        Err(e) => {
            if matches!(e, LogError::Busy(_)) {
                state.metrics.refused("log_busy");
            }
            Err(format!("{UNLOGGED}: {e}"))
        }
    }
}

/// Writes an admin event (reload, rollback) to the log and waits until it
/// is on disk. Called from blocking threads only.
fn log_event(state: &AppState, kind: &str, details: &Json) {
    let Some(logging) = &state.logging else {
        return;
    };
    let details = details.to_string();
    let written = logging
        .log
        .submit_event(Event {
            kind,
            details: &details,
        })
        .and_then(Pending::wait);
    if let Err(e) = written {
        state.event(&format!("error: the {kind} event could not be logged: {e}"));
    }
}

/// One evaluated request, as the handlers answer it.
enum Answer {
    /// The decisions JSON, answered once its log entry (if any) is durable.
    Decision(String, Option<Pending>),
    Input(String),
    TooLarge(String),
    Eval(String),
    Unlogged(String),
}

fn evaluate_one(state: &AppState, version: &Arc<Version>, text: &str) -> Answer {
    let _busy = state.shadows.busy();
    let (facts_raw, as_of) = match parse_request(text) {
        Ok(x) => x,
        Err(e) => return Answer::Input(e),
    };
    let mut ignored = Vec::new();
    let facts = match version
        .policy
        .parse_facts_noting(facts_raw.get(), &mut ignored)
    {
        Ok(f) => f,
        Err(e) => return Answer::Input(e.to_string()),
    };
    let elements = list_elements(&facts);
    if elements > state.limits.max_list_elements {
        return Answer::TooLarge(format!(
            "the facts have {elements} list elements; the limit is {}",
            state.limits.max_list_elements
        ));
    }
    let answer = version.policy.evaluate_report(&facts, as_of, &[]);
    state.shadows.offer(version, facts_raw.get(), as_of);
    match answer {
        Err(e) => Answer::Eval(e.to_string()),
        Ok(out) => match submit_decision(state, version, as_of, &facts, &out) {
            Ok(pending) => Answer::Decision(with_ignored(out, &ignored), pending),
            Err(e) => Answer::Unlogged(e),
        },
    }
}

/// Largest body evaluated on the async worker that received it.
const SHORT_BODY: usize = 4 * 1024;

/// Whether evaluating this request is provably short: a small body, and a
/// policy with no list input, whose generated code therefore has no loop
/// (straight-line code over at most `SHORT_BODY` bytes of facts, even a text
/// search of one fact in another, takes
/// at most milliseconds). Such requests run where they arrive: handing them to the
/// pool would cost more than the evaluation (a quarter of the throughput
/// on two cores). Everything else, whose time grows with its input, runs on
/// the evaluation pool.
fn is_short_work(version: &Version, body_len: usize) -> bool {
    body_len <= SHORT_BODY && !version.policy.meta().input.has_lists()
}

fn pool_refused(state: &AppState, e: &PoolError, version: Option<&Version>) -> Response {
    state.metrics.refused("busy");
    error(StatusCode::SERVICE_UNAVAILABLE, e.to_string(), version)
}

async fn evaluate(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let start = Instant::now();
    if let Err(r) = check_content_type(&headers, &["application/json"]) {
        return *r;
    }
    let version = match get_policy(&state, &name) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        state.metrics.decision(&name, "input_error");
        return error(
            StatusCode::BAD_REQUEST,
            "input error: the body is not UTF-8 text".into(),
            Some(&version),
        );
    };
    let answer = if is_short_work(&version, text.len()) {
        evaluate_one(&state, &version, text)
    } else {
        let (s, v, text) = (state.clone(), version.clone(), text.to_owned());
        match state.pool.run(move |_| evaluate_one(&s, &v, &text)).await {
            Ok(a) => a,
            Err(e) => return pool_refused(&state, &e, Some(&version)),
        }
    };
    let response = match answer {
        Answer::Decision(out, pending) => {
            let logged = match pending {
                Some(p) => p.durable().await,
                None => Ok(()),
            };
            match logged {
                Ok(()) => {
                    state.metrics.decision(&name, "ok");
                    json_response(StatusCode::OK, out, Some(version.policy.hash()))
                }
                Err(e) => {
                    state.metrics.decision(&name, "log_error");
                    error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!("{UNLOGGED}: {e}"),
                        Some(&version),
                    )
                }
            }
        }
        Answer::Input(e) => {
            state.metrics.decision(&name, "input_error");
            error(StatusCode::BAD_REQUEST, e, Some(&version))
        }
        Answer::TooLarge(e) => {
            state.metrics.refused("too_large");
            error(StatusCode::PAYLOAD_TOO_LARGE, e, Some(&version))
        }
        Answer::Eval(e) => {
            state.metrics.decision(&name, "eval_error");
            error(StatusCode::UNPROCESSABLE_ENTITY, e, Some(&version))
        }
        Answer::Unlogged(e) => {
            state.metrics.decision(&name, "log_error");
            error(StatusCode::SERVICE_UNAVAILABLE, e, Some(&version))
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

/// Records evaluated per call into the module; the request's cancellation is
/// checked between chunks.
const BATCH_CHUNK: usize = 64;

enum BatchAnswer {
    Done(String),
    Refused(StatusCode, String),
    Cancelled,
}

async fn evaluate_batch(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let start = Instant::now();
    if let Err(r) = check_content_type(&headers, &["application/json", "application/x-ndjson"]) {
        return *r;
    }
    let version = match get_policy(&state, &name) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let Ok(_permit) = state.batches.clone().try_acquire_owned() else {
        state.metrics.refused("batches");
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the server is already evaluating {} batch requests; try again shortly",
                state.limits.max_concurrent_batches
            ),
            Some(&version),
        );
    };
    // read only once the batch may run: a refused batch costs no reading
    let body = match axum::body::to_bytes(body, state.limits.max_body).await {
        Ok(b) => b,
        Err(e) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return if too_large {
                state.metrics.refused("too_large");
                error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the body is larger than {} bytes, the limit",
                        state.limits.max_body
                    ),
                    Some(&version),
                )
            } else {
                error(
                    StatusCode::BAD_REQUEST,
                    format!("the body could not be read: {e}"),
                    Some(&version),
                )
            };
        }
    };
    let (s, v) = (state.clone(), version.clone());
    let answer = state
        .pool
        .run(move |cancel| batch_answer(&s, &v, &body, cancel))
        .await;
    let response = match answer {
        Err(e) => pool_refused(&state, &e, Some(&version)),
        Ok(BatchAnswer::Refused(status, e)) => {
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                state.metrics.refused("too_large");
            }
            error(status, e, Some(&version))
        }
        Ok(BatchAnswer::Cancelled) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the batch was stopped".into(),
            Some(&version),
        ),
        Ok(BatchAnswer::Done(out)) => {
            json_response(StatusCode::OK, out, Some(version.policy.hash()))
        }
    };
    state.metrics.latency(start.elapsed());
    response
}

/// Evaluates a batch body chunk by chunk into the response text.
fn batch_answer(
    state: &AppState,
    version: &Arc<Version>,
    body: &[u8],
    cancel: &Cancel,
) -> BatchAnswer {
    let Ok(text) = std::str::from_utf8(body) else {
        return BatchAnswer::Refused(
            StatusCode::BAD_REQUEST,
            "input error: the body is not UTF-8 text".into(),
        );
    };
    let items = match batch_items(text) {
        Ok(items) => items,
        Err(e) => return BatchAnswer::Refused(StatusCode::BAD_REQUEST, e),
    };
    if items.len() > state.limits.max_batch {
        return BatchAnswer::Refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the batch has {} records; the limit is {}",
                items.len(),
                state.limits.max_batch
            ),
        );
    }
    let mut out = format!(
        "{{\"policy\":{},\"hash\":{},\"results\":[",
        Json::String(version.policy.name().to_string()),
        Json::String(version.policy.hash().to_string())
    );
    let mut elements = 0usize;
    for (n, chunk) in items.chunks(BATCH_CHUNK).enumerate() {
        if cancel.is_cancelled() {
            return BatchAnswer::Cancelled;
        }
        let answers = match chunk_answers(state, version, chunk, &mut elements) {
            Ok(a) => a,
            Err(e) => return BatchAnswer::Refused(StatusCode::PAYLOAD_TOO_LARGE, e),
        };
        for (i, a) in answers.iter().enumerate() {
            if n > 0 || i > 0 {
                out.push(',');
            }
            out.push_str(a);
        }
    }
    out.push_str("]}");
    BatchAnswer::Done(out)
}

/// One JSON result per record of a chunk, in order; a bad record gets its
/// own error. `elements` counts list elements across the whole request.
fn chunk_answers(
    state: &AppState,
    version: &Arc<Version>,
    items: &[&str],
    elements: &mut usize,
) -> Result<Vec<String>, String> {
    let _busy = state.shadows.busy();
    let name = version.policy.name();
    let mut answers: Vec<Option<String>> = vec![None; items.len()];
    // records that parse, grouped by date so each group is one call into the module
    let mut groups: BTreeMap<i32, Vec<(usize, Facts)>> = BTreeMap::new();
    // the undeclared facts of each record, kept only for records that have some
    let mut ignored: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (i, text) in items.iter().enumerate() {
        let mut noted = Vec::new();
        let parsed = parse_request(text).and_then(|(facts, as_of)| {
            version
                .policy
                .parse_facts_noting(facts.get(), &mut noted)
                .map(|f| (f, as_of, facts))
                .map_err(|e| e.to_string())
        });
        if !noted.is_empty() {
            ignored.insert(i, noted);
        }
        match parsed {
            Ok((f, as_of, raw)) => {
                *elements += list_elements(&f);
                if *elements > state.limits.max_list_elements {
                    return Err(format!(
                        "the batch's facts have more than {} list elements, the limit",
                        state.limits.max_list_elements
                    ));
                }
                state.shadows.offer(version, raw.get(), as_of);
                groups.entry(as_of.0).or_default().push((i, f));
            }
            Err(e) => {
                state.metrics.decision(name, "input_error");
                answers[i] = Some(json!({ "error": e }).to_string());
            }
        }
    }
    let mut results = rulebook::BatchResults::default();
    // each answer with its log entry, answered once the entry is durable
    let mut pending: Vec<(usize, Pending)> = Vec::new();
    for (as_of, group) in groups {
        let (places, records): (Vec<usize>, Vec<Facts>) = group.into_iter().unzip();
        version
            .policy
            .evaluate_batch_into(&records, Date(as_of), &mut results);
        for ((i, facts), r) in places.iter().zip(&records).zip(results.iter()) {
            answers[*i] = Some(match r {
                Ok(o) => {
                    let out = version.policy.report(&o, Date(as_of)).to_string();
                    let submitted = submit_decision(state, version, Date(as_of), facts, &out);
                    let out = match ignored.get(i) {
                        Some(noted) => with_ignored(out, noted),
                        None => out,
                    };
                    match submitted {
                        Ok(Some(p)) => {
                            pending.push((*i, p));
                            out
                        }
                        Ok(None) => {
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
    // the chunk's entries share one write and one fsync (group commit)
    for (i, p) in pending {
        match p.wait() {
            Ok(()) => state.metrics.decision(name, "ok"),
            Err(e) => {
                state.metrics.decision(name, "log_error");
                answers[i] = Some(json!({ "error": format!("{UNLOGGED}: {e}") }).to_string());
            }
        }
    }
    Ok(answers
        .into_iter()
        // every line got an answer above; this only guards a missed one
        .map(|a| a.unwrap_or_else(|| json!({"error": "not evaluated"}).to_string()))
        .collect())
}

async fn list(State(state): State<Arc<AppState>>) -> Response {
    let snapshot = state.store.snapshot();
    let policies: Vec<Json> = snapshot
        .policies
        .values()
        .map(|v| {
            let meta = v.policy.meta();
            let rejected: Vec<&crate::store::Rejection> = snapshot
                .rejected
                .values()
                .filter(|r| r.policy.as_deref() == Some(meta.policy.as_str()))
                .collect();
            json!({
                "name": meta.policy,
                "title": meta.title,
                "version": meta.version,
                "hash": v.policy.hash(),
                "file": v.file_name(),
                "version_key": v.key,
                "loaded_at": decision_log::format_timestamp(v.loaded_at),
                "tests": v.tests,
                "rejected": rejected,
            })
        })
        .collect();
    let rejected: Vec<&crate::store::Rejection> = snapshot.rejected.values().collect();
    json_response(
        StatusCode::OK,
        json!({ "policies": policies, "rejected": rejected }).to_string(),
        None,
    )
}

fn reload_result(report: &ReloadReport) -> &'static str {
    if report.rejected() > 0 {
        "rejected"
    } else if report.changes.is_empty() {
        "unchanged"
    } else {
        "changed"
    }
}

/// Counts, announces and logs a reload (from a request or the watcher).
/// Blocks until the log has the event: call it from a blocking thread.
pub fn record_reload(state: &AppState, trigger: &str, report: &ReloadReport) {
    state.metrics.reload(reload_result(report));
    for change in &report.changes {
        state.event(&format!("{trigger}: {}", json!(change)));
    }
    if !report.changes.is_empty() {
        log_event(
            state,
            "reload",
            &json!({ "trigger": trigger, "changes": report.changes }),
        );
    }
}

async fn reload(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(r) = admin::authorize(&state, &headers, "reload") {
        return *r;
    }
    let s = state.clone();
    let done = tokio::task::spawn_blocking(move || {
        let report = s.store.try_reload()?;
        record_reload(&s, "reload (admin request)", &report);
        Ok::<_, StoreError>(report)
    })
    .await;
    match done {
        Ok(Ok(report)) => {
            state.metrics.admin("reload", "ok");
            json_response(StatusCode::OK, json!(report).to_string(), None)
        }
        Ok(Err(StoreError::Busy)) => {
            state.metrics.admin("reload", "busy");
            error(StatusCode::CONFLICT, StoreError::Busy.to_string(), None)
        }
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}

async fn rollback(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admin::authorize(&state, &headers, "rollback") {
        return *r;
    }
    let s = state.clone();
    let n = name.clone();
    let done = tokio::task::spawn_blocking(move || {
        let change = s.store.rollback(&n)?;
        s.event(&format!("rollback (admin request): {}", json!(change)));
        log_event(&s, "rollback", &json!(change));
        Ok::<_, StoreError>(change)
    })
    .await;
    match done {
        Ok(Ok(change)) => {
            state.metrics.admin("rollback", "ok");
            json_response(StatusCode::OK, json!(change).to_string(), None)
        }
        Ok(Err(StoreError::Busy)) => {
            state.metrics.admin("rollback", "busy");
            error(StatusCode::CONFLICT, StoreError::Busy.to_string(), None)
        }
        Ok(Err(e @ StoreError::Unknown(_))) => error(StatusCode::NOT_FOUND, e.to_string(), None),
        Ok(Err(e)) => error(StatusCode::CONFLICT, e.to_string(), None),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}

/// Logs that the server has stopped serving (after the requests in flight).
pub fn record_stop(state: &AppState) {
    log_event(state, "stop", &json!({}));
}

/// Logs that the server starts serving, with the versions it serves.
pub fn record_start(state: &AppState) {
    let served: BTreeMap<String, String> = state
        .store
        .snapshot()
        .policies
        .iter()
        .map(|(n, v)| (n.clone(), v.policy.hash().to_string()))
        .collect();
    log_event(state, "start", &json!({ "policies": served }));
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let policies = state.store.snapshot().policies.len();
    let Some(st) = state.logging.as_ref().map(|l| l.log.status()) else {
        return json_response(
            StatusCode::OK,
            json!({"status": "ok", "policies": policies}).to_string(),
            None,
        );
    };
    let log = json!({
        "entries": st.head.entries,
        "head_sha256": st.head.sha256,
        "queued_bytes": st.queued_bytes,
        "max_queue_bytes": st.max_queue_bytes,
        "syncs": st.syncs,
        "error": st.error,
    });
    // failing, or three quarters full: decisions are (or soon will be) refused
    let (status, code) = if !st.is_ok() {
        ("failing", StatusCode::SERVICE_UNAVAILABLE)
    } else if st.queued_bytes.saturating_mul(4) >= st.max_queue_bytes.saturating_mul(3) {
        ("log_behind", StatusCode::SERVICE_UNAVAILABLE)
    } else {
        ("ok", StatusCode::OK)
    };
    json_response(
        code,
        json!({ "status": status, "policies": policies, "decision_log": log }).to_string(),
        None,
    )
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    let mut text = state.metrics.render();
    text.push_str(&state.shadows.render_metrics());
    (StatusCode::OK, headers, text).into_response()
}
