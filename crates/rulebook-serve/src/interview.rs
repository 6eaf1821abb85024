//! The interview over HTTP: `POST /v1/interview` (the next question for
//! one person facing several served policies, LANGUAGE.md section 10) and
//! the web page `GET /interview?policies=a,b` that asks the questions one
//! at a time through that endpoint. Nothing is kept between requests: the
//! facts so far travel with each request (in the page, in the browser).

use crate::{check_content_type, error, get_policy, json_response, list_elements, AppState};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rulebook::{Date, Interview, InterviewError};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::Arc;

/// Most policies one interview request may name.
pub const MAX_INTERVIEW_POLICIES: usize = 16;

/// The shape of an interview request, as its error messages describe it.
const SHAPE: &str = r#"{"policies": ["name", ...], "facts": {...}, "as_of": "YYYY-MM-DD"} (facts and as_of optional)"#;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request<'a> {
    policies: Vec<String>,
    #[serde(default)]
    as_of: Option<String>,
    #[serde(borrow, default)]
    facts: Option<&'a RawValue>,
}

/// What one interview request came to.
enum Outcome {
    Ok(String),
    Refused(StatusCode, String),
}

/// `POST /v1/interview`.
pub(crate) async fn interview(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = check_content_type(&headers, &["application/json"]) {
        return *r;
    }
    let s = state.clone();
    let answer = match state.pool.run(move |_| answer(&s, &body)).await {
        Ok(a) => a,
        Err(e) => return crate::pool_refused(&state, &e, None),
    };
    match answer {
        Outcome::Ok(text) => json_response(StatusCode::OK, text, None),
        Outcome::Refused(status, message) => {
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                state.metrics.refused("too_large");
            }
            error(status, message, None)
        }
    }
}

fn answer(state: &AppState, body: &[u8]) -> Outcome {
    let bad = |m: String| Outcome::Refused(StatusCode::BAD_REQUEST, m);
    let Ok(text) = std::str::from_utf8(body) else {
        return bad("input error: the body is not UTF-8 text".into());
    };
    let req: Request = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => return bad(format!("input error: {e}; expected {SHAPE}")),
    };
    if req.policies.is_empty() {
        return bad(format!(
            "input error at policies: name at least one policy, as in {SHAPE}"
        ));
    }
    if req.policies.len() > MAX_INTERVIEW_POLICIES {
        return bad(format!(
            "input error at policies: {} policies named; an interview takes at most {MAX_INTERVIEW_POLICIES}",
            req.policies.len()
        ));
    }
    let as_of = match &req.as_of {
        None => Date::today(),
        Some(s) => match Date::parse(s) {
            Ok(d) => d,
            Err(_) => {
                return bad(format!(
                    "input error at as_of: expected a date \"YYYY-MM-DD\", got {s:?}"
                ))
            }
        },
    };
    let facts = req.facts.map_or("{}", RawValue::get);
    let mut policies = Vec::with_capacity(req.policies.len());
    // messages name files as the folder has them, never by the server's path
    let mut names: Vec<(String, String)> = Vec::new();
    for name in &req.policies {
        match get_policy(state, name) {
            Ok(v) => {
                // the list limit, as for an evaluation (errors in the
                // facts are reported below, by the interview)
                if let Ok(parsed) = v.policy.parse_facts(facts) {
                    let elements = list_elements(&parsed);
                    if elements > state.limits.max_list_elements {
                        return Outcome::Refused(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            format!(
                                "the facts have {elements} list elements; the limit is {}",
                                state.limits.max_list_elements
                            ),
                        );
                    }
                }
                names.push((v.policy.path().to_string(), v.file_name()));
                policies.push(v.policy.clone());
            }
            Err(_) => {
                return Outcome::Refused(
                    StatusCode::NOT_FOUND,
                    format!("no policy named `{name}` is served (GET /v1/policies lists them)"),
                )
            }
        }
    }
    let result = Interview::new(policies.clone()).and_then(|iv| iv.next(facts, as_of));
    match result {
        Ok(next) => {
            let mut json = match serde_json::to_value(&next) {
                Ok(j) => j,
                Err(e) => {
                    return Outcome::Refused(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
                }
            };
            // every question answered: what would change each decision
            // (`rulebook explain`'s sentences), for the outcome page
            if next.next.is_none() {
                if let Some(o) = json.as_object_mut() {
                    o.insert("would_change".into(), would_change(&policies, facts, as_of));
                }
            }
            Outcome::Ok(json.to_string())
        }
        Err(e @ InterviewError::Eval { .. }) => {
            Outcome::Refused(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        Err(e) => {
            let mut message = e.to_string();
            for (path, file) in &names {
                message = message.replace(path.as_str(), file);
            }
            bad(message)
        }
    }
}

/// `GET /interview`: the page (the policies are read by its script from
/// the address, so the page itself is the same for every interview).
pub(crate) async fn page() -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // the page loads nothing from elsewhere, and nothing may frame it
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    (StatusCode::OK, headers, PAGE).into_response()
}

/// `GET /interview/page.js`.
pub(crate) async fn script() -> Response {
    static_file("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /interview/page.css`.
pub(crate) async fn style() -> Response {
    static_file("text/css; charset=utf-8", STYLE)
}

fn static_file(kind: &'static str, body: &'static str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    (StatusCode::OK, headers, body).into_response()
}

const PAGE: &str = include_str!("interview/page.html");
const SCRIPT: &str = include_str!("interview/page.js");
const STYLE: &str = include_str!("interview/page.css");

/// Per policy, per decision: what would change it, as sentences for the
/// person (empty where the policy cannot be explained on these facts).
fn would_change(policies: &[rulebook::Policy], facts: &str, as_of: Date) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for p in policies {
        let Ok(parsed) = p.parse_facts(facts) else {
            continue;
        };
        let Ok(x) = rulebook::explain(p, &parsed, as_of) else {
            continue;
        };
        let mut per = serde_json::Map::new();
        for (d, lines) in x.change_sentences(p) {
            per.insert(d, lines.into());
        }
        out.insert(p.name().to_string(), per.into());
    }
    out.into()
}
