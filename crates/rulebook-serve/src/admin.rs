//! Admin authentication: the endpoints that change what is served (reload,
//! rollback) or read the decision log need `Authorization: Bearer TOKEN`
//! with the token the server was started with. Without a configured token
//! they answer 403 (disabled); with a wrong or absent one 401, and nothing
//! changes. Tokens are compared in constant time.

use super::{error, AppState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The shortest admin token accepted, in bytes.
pub const MIN_TOKEN_BYTES: usize = 16;

/// The admin token.
#[derive(Clone)]
pub struct AdminToken(Vec<u8>);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(..)")
    }
}

impl AdminToken {
    /// A token from the text of a token file (one trailing line break is
    /// not part of it). Refuses short tokens and ones with whitespace inside.
    pub fn from_file_text(text: &str) -> Result<AdminToken, String> {
        let token = text
            .strip_suffix('\n')
            // one final line end (\n or \r\n) is not part of the token; none is fine too
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(text);
        if token.len() < MIN_TOKEN_BYTES {
            return Err(format!(
                "the admin token is {} bytes long; it must have at least {MIN_TOKEN_BYTES}",
                token.len()
            ));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the admin token must not contain spaces or control characters".into());
        }
        Ok(AdminToken(token.as_bytes().to_vec()))
    }

    fn matches(&self, given: &[u8]) -> bool {
        // compares MACs of both under a fixed key: constant time in the
        // token's content, whatever the lengths
        let mac = |b: &[u8]| {
            let mut m =
                <Hmac<Sha256> as Mac>::new_from_slice(b"rulebook admin token").map_err(|_| ())?;
            m.update(b);
            Ok::<_, ()>(m.finalize().into_bytes())
        };
        match (mac(&self.0), mac(given)) {
            (Ok(a), Ok(b)) => {
                let mut diff = 0u8;
                for (x, y) in a.iter().zip(b.iter()) {
                    diff |= x ^ y;
                }
                diff == 0
            }
            _ => false,
        }
    }
}

/// Lets an admin request through, or answers it (403 disabled, 401 wrong token).
pub(super) fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    action: &'static str,
) -> Result<(), Box<Response>> {
    let Some(token) = &state.admin else {
        state.metrics.admin(action, "disabled");
        return Err(Box::new(error(
            StatusCode::FORBIDDEN,
            "admin endpoints are disabled: start the server with --admin-token-file".into(),
            None,
        )));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if given.is_some_and(|g| token.matches(g.as_bytes())) {
        return Ok(());
    }
    state.metrics.admin(action, "unauthorized");
    let mut response = error(
        StatusCode::UNAUTHORIZED,
        match given {
            None => "this endpoint needs `Authorization: Bearer TOKEN` with the admin token",
            Some(_) => "the admin token is wrong",
        }
        .into(),
        None,
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"rulebook admin\""),
    );
    Err(Box::new(response))
}
