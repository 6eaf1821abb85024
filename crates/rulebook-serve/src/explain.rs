//! `POST /v1/policies/NAME/explain` (also `POST /v1/explain?policy=NAME`):
//! the body of an evaluate request, answered with the decisions JSON in
//! which each decision has `why` and `would_change` (LANGUAGE.md section
//! 11), and `text`, the same explanation as sentences for the person.
//! An explanation is not a decision: it is not written to the decision log.

use crate::{check_content_type, error, get_policy, json_response, list_elements, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

/// `POST /v1/policies/{name}/explain`.
pub(crate) async fn by_path(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    explain(state, name, headers, body).await
}

/// `POST /v1/explain?policy=NAME`.
pub(crate) async fn by_query(
    State(state): State<Arc<AppState>>,
    Query(which): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(name) = which.get("policy").cloned() else {
        return error(
            StatusCode::BAD_REQUEST,
            "input error: name the policy: POST /v1/explain?policy=NAME (or /v1/policies/NAME/explain)"
                .into(),
            None,
        );
    };
    explain(state, name, headers, body).await
}

async fn explain(state: Arc<AppState>, name: String, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = check_content_type(&headers, &["application/json"]) {
        return *r;
    }
    let version = match get_policy(&state, &name) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "input error: the body is not UTF-8 text".into(),
            Some(&version),
        );
    };
    let (s, v, text) = (state.clone(), version.clone(), text.to_owned());
    let answer = state
        .pool
        .run(move |_| -> Result<String, (StatusCode, String)> {
            let (facts_raw, as_of) =
                crate::parse_request(&text).map_err(|e| (StatusCode::BAD_REQUEST, e))?;
            let facts = v
                .policy
                .parse_facts(facts_raw.get())
                .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
            let elements = list_elements(&facts);
            if elements > s.limits.max_list_elements {
                return Err((
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the facts have {elements} list elements; the limit is {}",
                        s.limits.max_list_elements
                    ),
                ));
            }
            let x = rulebook::explain(&v.policy, &facts, as_of)
                .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
            let mut json = x.to_json();
            if let Some(o) = json.as_object_mut() {
                o.insert("text".into(), x.to_text(&v.policy, false).into());
            }
            Ok(json.to_string())
        })
        .await;
    match answer {
        Ok(Ok(out)) => json_response(StatusCode::OK, out, Some(version.policy.hash())),
        Ok(Err((status, message))) => {
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                state.metrics.refused("too_large");
            }
            error(status, message, Some(&version))
        }
        Err(e) => crate::pool_refused(&state, &e, Some(&version)),
    }
}
