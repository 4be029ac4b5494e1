//! Typed calls behind the edit screens: mandates (with their covered products), products,
//! interactions, tasks, people and their organisation links, the trash, and the
//! administration of roles, teams and users.
//!
//! Edits follow one protocol: read the record with its ETag, send only the changed fields
//! with `If-Match` (412 when someone changed it in between), keep the new ETag.

use super::{call, call_with_etag, get};
use crate::problem::ApiError;
use relais_types::{
    AdminPasswordResetIn, InteractionIn, InteractionOut, MandateIn, MandateOut, MandateProductsIn,
    Page, PersonOrganisationIn, PersonOrganisationOut, PersonOut, ProductIn, ProductOut, RoleIn,
    RoleOut, TaskIn, TaskOut, TeamOut, UserOut,
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use uuid::Uuid;

type Patch = Map<String, Value>;

/// A record and its ETag.
async fn for_edit<T: DeserializeOwned>(path: &str) -> Result<(T, String), ApiError> {
    let (v, etag) = call_with_etag::<T>("GET", path, None::<&()>, &[]).await?;
    Ok((v, etag.unwrap_or_default()))
}

/// Applies `patch` with `If-Match`; answers the record and its new ETag.
async fn patch<T: DeserializeOwned>(
    path: &str,
    patch: &Patch,
    etag: &str,
) -> Result<(T, String), ApiError> {
    let (v, etag) =
        call_with_etag::<T>("PATCH", path, Some(patch), &[("if-match", etag.to_owned())]).await?;
    Ok((v, etag.unwrap_or_default()))
}

/// Creates a record; the idempotency key makes a double submit create one.
async fn create<T: DeserializeOwned>(
    path: &str,
    body: &(impl Serialize + ?Sized),
    idempotency_key: &str,
) -> Result<T, ApiError> {
    call(
        "POST",
        path,
        Some(body),
        &[("idempotency-key", idempotency_key.to_owned())],
    )
    .await
}

/// A call answered with 204.
async fn no_content(method: &str, path: &str) -> Result<(), ApiError> {
    call::<serde::de::IgnoredAny>(method, path, None::<&()>, &[])
        .await
        .map(drop)
}

// Mandates.

pub async fn mandate_for_edit(id: Uuid) -> Result<(MandateOut, String), ApiError> {
    for_edit(&format!("/api/v1/mandates/{id}")).await
}

pub async fn create_mandate(input: &MandateIn, key: &str) -> Result<MandateOut, ApiError> {
    create("/api/v1/mandates", input, key).await
}

pub async fn update_mandate(
    id: Uuid,
    changes: &Patch,
    etag: &str,
) -> Result<(MandateOut, String), ApiError> {
    patch(&format!("/api/v1/mandates/{id}"), changes, etag).await
}

/// Replaces the covered products (checked against the mandate's ETag); answers the new ETag.
pub async fn set_mandate_products(
    id: Uuid,
    product_ids: Vec<Uuid>,
    etag: &str,
) -> Result<String, ApiError> {
    let (_, etag) = call_with_etag::<serde::de::IgnoredAny>(
        "PUT",
        &format!("/api/v1/mandates/{id}/products"),
        Some(&MandateProductsIn { product_ids }),
        &[("if-match", etag.to_owned())],
    )
    .await?;
    Ok(etag.unwrap_or_default())
}

pub async fn delete_mandate(id: Uuid) -> Result<(), ApiError> {
    no_content("DELETE", &format!("/api/v1/mandates/{id}")).await
}

// Products.

pub async fn product_for_edit(id: Uuid) -> Result<(ProductOut, String), ApiError> {
    for_edit(&format!("/api/v1/products/{id}")).await
}

pub async fn create_product(input: &ProductIn, key: &str) -> Result<ProductOut, ApiError> {
    create("/api/v1/products", input, key).await
}

pub async fn update_product(
    id: Uuid,
    changes: &Patch,
    etag: &str,
) -> Result<(ProductOut, String), ApiError> {
    patch(&format!("/api/v1/products/{id}"), changes, etag).await
}

pub async fn delete_product(id: Uuid) -> Result<(), ApiError> {
    no_content("DELETE", &format!("/api/v1/products/{id}")).await
}

// Interactions.

pub async fn interaction_for_edit(id: Uuid) -> Result<(InteractionOut, String), ApiError> {
    for_edit(&format!("/api/v1/interactions/{id}")).await
}

pub async fn create_interaction(
    input: &InteractionIn,
    key: &str,
) -> Result<InteractionOut, ApiError> {
    create("/api/v1/interactions", input, key).await
}

pub async fn update_interaction(
    id: Uuid,
    changes: &Patch,
    etag: &str,
) -> Result<(InteractionOut, String), ApiError> {
    patch(&format!("/api/v1/interactions/{id}"), changes, etag).await
}

pub async fn delete_interaction(id: Uuid) -> Result<(), ApiError> {
    no_content("DELETE", &format!("/api/v1/interactions/{id}")).await
}

/// A person's interactions, newest first.
pub async fn person_interactions(id: Uuid) -> Result<Page<InteractionOut>, ApiError> {
    get(&format!("/api/v1/interactions?person_id={id}&limit=100")).await
}

// Tasks.

pub async fn task_for_edit(id: Uuid) -> Result<(TaskOut, String), ApiError> {
    for_edit(&format!("/api/v1/tasks/{id}")).await
}

pub async fn create_task(input: &TaskIn, key: &str) -> Result<TaskOut, ApiError> {
    create("/api/v1/tasks", input, key).await
}

pub async fn update_task(
    id: Uuid,
    changes: &Patch,
    etag: &str,
) -> Result<(TaskOut, String), ApiError> {
    patch(&format!("/api/v1/tasks/{id}"), changes, etag).await
}

pub async fn delete_task(id: Uuid) -> Result<(), ApiError> {
    no_content("DELETE", &format!("/api/v1/tasks/{id}")).await
}

// People and their organisation links.

pub async fn person_for_edit(id: Uuid) -> Result<(PersonOut, String), ApiError> {
    for_edit(&format!("/api/v1/people/{id}")).await
}

pub async fn update_person(
    id: Uuid,
    changes: &Patch,
    etag: &str,
) -> Result<(PersonOut, String), ApiError> {
    patch(&format!("/api/v1/people/{id}"), changes, etag).await
}

pub async fn delete_person(id: Uuid) -> Result<(), ApiError> {
    no_content("DELETE", &format!("/api/v1/people/{id}")).await
}

pub async fn link_person(
    id: Uuid,
    link: &PersonOrganisationIn,
) -> Result<PersonOrganisationOut, ApiError> {
    call(
        "POST",
        &format!("/api/v1/people/{id}/organisations"),
        Some(link),
        &[],
    )
    .await
}

/// Changes a link's role or primary flag (links carry no ETag: last write wins).
pub async fn update_link(
    id: Uuid,
    organisation: Uuid,
    changes: &Patch,
) -> Result<PersonOrganisationOut, ApiError> {
    call(
        "PATCH",
        &format!("/api/v1/people/{id}/organisations/{organisation}"),
        Some(changes),
        &[],
    )
    .await
}

pub async fn unlink_person(id: Uuid, organisation: Uuid) -> Result<(), ApiError> {
    no_content(
        "DELETE",
        &format!("/api/v1/people/{id}/organisations/{organisation}"),
    )
    .await
}

// The trash: `collection` is the path under /api/v1 (`organisations`, `tasks`…).

/// A page of deleted records, as JSON (each kind has its own shape).
pub async fn trash(collection: &str, query: &str) -> Result<Page<Value>, ApiError> {
    get(&format!("/api/v1/{collection}?{query}")).await
}

pub async fn restore(collection: &str, id: Uuid) -> Result<(), ApiError> {
    call::<serde::de::IgnoredAny>(
        "POST",
        &format!("/api/v1/{collection}/{id}/restore"),
        None::<&()>,
        &[],
    )
    .await
    .map(drop)
}

/// Erases a record for good.
pub async fn purge(collection: &str, id: Uuid) -> Result<(), ApiError> {
    no_content("POST", &format!("/api/v1/{collection}/{id}/purge")).await
}

// Roles, teams, users.

pub async fn role_for_edit(id: Uuid) -> Result<(RoleOut, String), ApiError> {
    for_edit(&format!("/api/v1/roles/{id}")).await
}

pub async fn create_role(input: &RoleIn) -> Result<RoleOut, ApiError> {
    call("POST", "/api/v1/roles", Some(input), &[]).await
}

pub async fn update_role(
    id: Uuid,
    changes: &Patch,
    etag: &str,
) -> Result<(RoleOut, String), ApiError> {
    patch(&format!("/api/v1/roles/{id}"), changes, etag).await
}

pub async fn delete_role(id: Uuid) -> Result<(), ApiError> {
    no_content("DELETE", &format!("/api/v1/roles/{id}")).await
}

pub async fn team_for_edit(id: Uuid) -> Result<(TeamOut, String), ApiError> {
    for_edit(&format!("/api/v1/teams/{id}")).await
}

pub async fn update_team(
    id: Uuid,
    changes: &Patch,
    etag: &str,
) -> Result<(TeamOut, String), ApiError> {
    patch(&format!("/api/v1/teams/{id}"), changes, etag).await
}

/// Deletes a team; its members stay, without a team.
pub async fn delete_team(id: Uuid) -> Result<(), ApiError> {
    no_content("DELETE", &format!("/api/v1/teams/{id}")).await
}

pub async fn user_for_edit(id: Uuid) -> Result<(UserOut, String), ApiError> {
    for_edit(&format!("/api/v1/users/{id}")).await
}

pub async fn patch_user(
    id: Uuid,
    changes: &Patch,
    etag: &str,
) -> Result<(UserOut, String), ApiError> {
    patch(&format!("/api/v1/users/{id}"), changes, etag).await
}

/// Sets a temporary password; the user must change it at the next sign-in.
pub async fn reset_user_password(id: Uuid, new_password: &str) -> Result<(), ApiError> {
    call::<serde::de::IgnoredAny>(
        "POST",
        &format!("/api/v1/users/{id}/password"),
        Some(&AdminPasswordResetIn {
            new_password: new_password.to_owned(),
        }),
        &[],
    )
    .await
    .map(drop)
}
