//! Frontline's reference intake server.
//!
//! What it is for: receiving the structured requests the portal sends, on
//! loopback, for the run command, the tests, and partners to copy. What it is
//! not: a help desk. Partners point the portal at their own intake.

use axum::{routing::get, Json, Router};
use serde::Serialize;

/// What `GET /health` answers.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Health {
    /// Always `"ok"` when the server answers at all.
    pub status: &'static str,
    /// The server's version.
    pub version: &'static str,
}

/// The intake routes, ready to be served or tested in-process.
pub fn router() -> Router {
    Router::new().route("/health", get(health))
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[tokio::test]
    async fn health_answers_ok_with_the_version() {
        let response = router()
            .oneshot(Request::get("/health").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["status"], "ok");
        assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    }

    #[tokio::test]
    async fn unknown_paths_are_404() {
        let response = router()
            .oneshot(Request::get("/nope").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
