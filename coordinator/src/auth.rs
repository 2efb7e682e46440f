//! The bearer token that guards the API calls that change the world (`move-cell`, `drain`)
//! when one is configured (`mmo-coordinator run --api-token`, `MMO_API_TOKEN`). Reads stay
//! open (the dashboard's view, monitoring). Compared in constant time.

use crate::api::ApiError;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Fewer characters than this is a guessable token: refused at start.
pub const MIN_TOKEN_LEN: usize = 16;

/// A configured API token (its value never printed).
#[derive(Clone)]
pub struct ApiToken(Arc<str>);

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(..)")
    }
}

impl FromStr for ApiToken {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() < MIN_TOKEN_LEN || !s.chars().all(|c| c.is_ascii_graphic()) {
            return Err(format!("at least {MIN_TOKEN_LEN} printable characters, no spaces"));
        }
        Ok(ApiToken(s.into()))
    }
}

impl ApiToken {
    /// Whether an `Authorization` header value is `Bearer <this token>`.
    fn admits(&self, header: Option<&[u8]>) -> bool {
        let Some(given) = header.and_then(|h| h.strip_prefix(b"Bearer ")) else { return false };
        bool::from(given.ct_eq(self.0.as_bytes()))
    }
}

/// Lets a request through only with the right bearer token (401 `unauthorized` otherwise).
pub async fn require(State(token): State<ApiToken>, request: Request, next: Next) -> Response {
    if token.admits(request.headers().get(AUTHORIZATION).map(|v| v.as_bytes())) {
        next.run(request).await
    } else {
        ApiError::unauthorized().into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_is_admitted() {
        let token: ApiToken = "0123456789abcdef".parse().unwrap();
        assert!(token.admits(Some(b"Bearer 0123456789abcdef")));
        assert!(!token.admits(Some(b"Bearer 0123456789abcdeX")));
        assert!(!token.admits(Some(b"Bearer 0123456789abcdef0")));
        assert!(!token.admits(Some(b"0123456789abcdef")));
        assert!(!token.admits(None));
        assert!("short".parse::<ApiToken>().is_err());
        assert!("with a space in it ok".parse::<ApiToken>().is_err());
        assert_eq!(format!("{token:?}"), "ApiToken(..)");
    }
}
