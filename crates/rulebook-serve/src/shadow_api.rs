//! The admin endpoints of shadow evaluation (LANGUAGE.md section 12):
//! `PUT /v1/policies/NAME/shadow` takes a candidate rule file, compiles and
//! tests it as a reload would, and holds it beside the served version;
//! `GET` gives the candidate's impact so far; `DELETE` drops it (with its
//! final figures). Promoting a candidate is a reload of its file.

use crate::store::CandidateError;
use crate::{admin, check_content_type, error, json_response, log_event, AppState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;

/// Media types a candidate rule file may be sent as.
const RULE_FILE_TYPES: &[&str] = &["text/plain", "application/octet-stream"];

pub(crate) async fn put(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = admin::authorize(&state, &headers, "shadow") {
        return *r;
    }
    if let Err(r) = check_content_type(&headers, RULE_FILE_TYPES) {
        return *r;
    }
    let s = state.clone();
    let n = name.clone();
    // compiling and testing take seconds: never on the async workers
    let made = tokio::task::spawn_blocking(move || {
        let candidate = s.store.candidate(&n, body.to_vec())?;
        let replaced = s.shadows.put(candidate.clone());
        let details = json!({
            "policy": n,
            "candidate": candidate.policy.hash(),
            "replaced": replaced,
        });
        s.event(&format!("shadow (admin request): {details}"));
        log_event(&s, "shadow", &details);
        Ok::<_, CandidateError>(replaced)
    })
    .await;
    match made {
        Ok(Ok(replaced)) => {
            state.metrics.admin("shadow", "ok");
            let status = if replaced {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            match state.shadows.get(&name) {
                Some(shadow) => json_response(status, shadow.status().to_string(), None),
                // dropped by a DELETE in between
                None => error(
                    StatusCode::CONFLICT,
                    format!("the shadow of `{name}` was dropped meanwhile"),
                    None,
                ),
            }
        }
        Ok(Err(e @ CandidateError::Unknown(_))) => {
            state.metrics.admin("shadow", "refused");
            error(StatusCode::NOT_FOUND, e.to_string(), None)
        }
        Ok(Err(CandidateError::Refused(reason))) => {
            state.metrics.admin("shadow", "refused");
            error(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the candidate is refused: {reason}"),
                None,
            )
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}

pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    // the examples show requests' facts: admin only
    if let Err(r) = admin::authorize(&state, &headers, "shadow_read") {
        return *r;
    }
    match state.shadows.get(&name) {
        Some(shadow) => json_response(StatusCode::OK, shadow.status().to_string(), None),
        None => no_shadow(&name),
    }
}

pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admin::authorize(&state, &headers, "shadow_delete") {
        return *r;
    }
    let Some(shadow) = state.shadows.remove(&name) else {
        return no_shadow(&name);
    };
    state.metrics.admin("shadow_delete", "ok");
    let status = shadow.status();
    let s = state.clone();
    let details = json!({"policy": name, "candidate": shadow.candidate().policy.hash()});
    // the log's write waits for the disk: not on the async workers
    let _ = tokio::task::spawn_blocking(move || {
        s.event(&format!("shadow dropped (admin request): {details}"));
        log_event(&s, "shadow_delete", &details);
    })
    .await;
    json_response(StatusCode::OK, status.to_string(), None)
}

fn no_shadow(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("`{name}` has no shadow: PUT a candidate rule file to /v1/policies/{name}/shadow"),
        None,
    )
}
