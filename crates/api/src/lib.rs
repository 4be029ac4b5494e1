//! Relais HTTP API: routes, extractors, authentication, problem+json errors and the OpenAPI
//! document. See `error` for the error policy.
#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
pub mod convert;
pub mod crypto;
pub mod error;
pub mod extract;
pub mod files;
pub mod http;
pub mod idempotency;
pub mod importer;
pub mod middleware;
pub mod openapi;
pub mod password;
pub mod provision;
pub mod records;
pub mod routes;
mod state;

pub use config::ApiConfig;
pub use error::{ApiError, ApiResult};
pub use state::{AppState, LoginLimiter};

use actix_web::web;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// Register every route. The caller wraps the app with [`middleware::request_context`] and
/// provides `web::Data<AppState>`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PathConfig::default().error_handler(extract::path_error))
        .app_data(web::QueryConfig::default().error_handler(extract::query_error))
        .configure(routes::health::configure)
        .service(
            web::scope("/api/v1")
                .configure(routes::auth::configure)
                .configure(routes::me::configure)
                .configure(routes::users::configure)
                .configure(routes::roles::configure)
                .configure(routes::teams::configure)
                .configure(routes::api_keys::configure)
                .configure(routes::admin::configure)
                .configure(routes::organisations::configure)
                .configure(routes::search::configure)
                .configure(routes::pipeline::configure)
                .configure(routes::interactions::configure)
                .configure(routes::tasks::configure)
                .configure(routes::products::configure)
                .configure(routes::mandates::configure)
                .configure(routes::people::configure)
                .configure(routes::documents::configure)
                .configure(routes::webhooks::configure)
                .configure(routes::imports::configure)
                .configure(routes::exports::configure)
                .configure(routes::jobs::configure),
        )
        .service(
            SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", openapi::ApiDoc::openapi()),
        )
        .route("/api/docs", web::get().to(docs_redirect));
}

async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/api/docs/"))
        .finish()
}
