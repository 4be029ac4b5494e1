//! Webhook endpoints, their secrets and their delivery log (administrators).

use super::{call, call_with_etag, get};
use crate::problem::ApiError;
use relais_types::{
    DeliveryDetailOut, DeliveryOut, EventTypeOut, Page, ReplayIn, ReplayOut, WebhookCreatedOut,
    WebhookIn, WebhookOut, WebhookSecretOut,
};
use serde::de::IgnoredAny;
use uuid::Uuid;

fn path(id: Uuid) -> String {
    format!("/api/v1/webhooks/{id}")
}

async fn post<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    call("POST", path, None::<&()>, &[]).await
}

pub async fn event_types() -> Result<Vec<EventTypeOut>, ApiError> {
    get("/api/v1/event-types").await
}

pub async fn list() -> Result<Page<WebhookOut>, ApiError> {
    get("/api/v1/webhooks?limit=200").await
}

pub async fn one(id: Uuid) -> Result<WebhookOut, ApiError> {
    get(&path(id)).await
}

/// Registers an endpoint; the answer holds its signing secret.
pub async fn create(input: &WebhookIn) -> Result<WebhookCreatedOut, ApiError> {
    call("POST", "/api/v1/webhooks", Some(input), &[]).await
}

/// Reads the endpoint for its ETag, then applies `patch` with `If-Match` (built by hand so
/// that absent fields are not sent as `null`).
pub async fn update(id: Uuid, patch: &serde_json::Value) -> Result<WebhookOut, ApiError> {
    let p = path(id);
    let (_, etag) = call_with_etag::<WebhookOut>("GET", &p, None::<&()>, &[]).await?;
    call(
        "PATCH",
        &p,
        Some(patch),
        &[("if-match", etag.unwrap_or_default())],
    )
    .await
}

pub async fn delete(id: Uuid) -> Result<(), ApiError> {
    call::<IgnoredAny>("DELETE", &path(id), None::<&()>, &[])
        .await
        .map(drop)
}

pub async fn enable(id: Uuid) -> Result<WebhookOut, ApiError> {
    post(&format!("{}/enable", path(id))).await
}

pub async fn reveal_secret(id: Uuid) -> Result<WebhookSecretOut, ApiError> {
    post(&format!("{}/secret/reveal", path(id))).await
}

pub async fn rotate_secret(id: Uuid) -> Result<WebhookSecretOut, ApiError> {
    post(&format!("{}/secret/rotate", path(id))).await
}

pub async fn send_test(id: Uuid) -> Result<DeliveryOut, ApiError> {
    post(&format!("{}/test", path(id))).await
}

pub async fn replay(id: Uuid, input: &ReplayIn) -> Result<ReplayOut, ApiError> {
    call("POST", &format!("{}/replay", path(id)), Some(input), &[]).await
}

/// A page of the delivery log (`query` from `webhooks::LogQuery`).
pub async fn deliveries(id: Uuid, query: &str) -> Result<Page<DeliveryOut>, ApiError> {
    get(&format!("{}/deliveries?{query}", path(id))).await
}

pub async fn delivery(id: Uuid, delivery: Uuid) -> Result<DeliveryDetailOut, ApiError> {
    get(&format!("{}/deliveries/{delivery}", path(id))).await
}

pub async fn retry(id: Uuid, delivery: Uuid) -> Result<DeliveryOut, ApiError> {
    post(&format!("{}/deliveries/{delivery}/retry", path(id))).await
}
