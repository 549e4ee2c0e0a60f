//! (to come)

use axum::Router;

use crate::Shared;

pub(crate) const HINT: &str = "";

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
}
