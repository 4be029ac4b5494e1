//! Typed calls to the Relais API over the relais-types wire structs.
//!
//! The session (access and refresh tokens) is kept in `localStorage` so that a reload keeps
//! the user signed in. An expired access token is refreshed once and the call retried; the
//! refresh is shared by concurrent calls because a refresh token works only once and reusing
//! one signs the whole session out.

use crate::problem::ApiError;
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use relais_types::{
    ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut, BulkAction, BulkResult, ChangePasswordIn, DocumentOut,
    EventOut, ForgotPasswordIn, InteractionOut, LoginIn, MandateOut, MeOut, MePatch,
    OrganisationIn, OrganisationOut, OrganisationPersonOut, Page, PersonIn, PersonOrganisationOut,
    PersonOut, ProductOut, RefreshIn, ResetPasswordIn, RoleOut, TaskBulkAction, TaskOut, TeamIn,
    TeamOut, TokenOut, UserIn, UserOut,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::cell::RefCell;
use std::rc::Rc;
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

mod records;
pub mod search;
pub mod webhooks;
pub use records::*;

const SESSION_KEY: &str = "relais.session";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
}

/// A page of organisations; `total` only when asked for.
#[derive(Clone, Debug, Deserialize)]
pub struct OrganisationPage {
    pub items: Vec<OrganisationOut>,
    pub next_cursor: Option<String>,
    #[serde(default)]
    pub total: Option<i64>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn session() -> Option<Session> {
    let raw = storage()?.get_item(SESSION_KEY).ok()??;
    serde_json::from_str(&raw).ok()
}

fn save_session(tokens: &TokenOut) {
    let s = Session {
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone(),
    };
    if let (Some(st), Ok(json)) = (storage(), serde_json::to_string(&s)) {
        let _ = st.set_item(SESSION_KEY, &json);
    }
}

pub fn clear_session() {
    if let Some(st) = storage() {
        let _ = st.remove_item(SESSION_KEY);
    }
}

/// The refresh in flight, awaited by every call that found its token expired.
type PendingRefresh = Shared<LocalBoxFuture<'static, Result<(), ApiError>>>;

thread_local! {
    static REFRESHING: RefCell<Option<PendingRefresh>> = const { RefCell::new(None) };
    static ON_SESSION_END: RefCell<Option<Rc<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Called when the session cannot be renewed (signed out elsewhere, expired): the app then
/// returns to the sign-in page.
pub fn on_session_end(f: impl Fn() + 'static) {
    ON_SESSION_END.with(|h| *h.borrow_mut() = Some(Rc::new(f)));
}

fn session_ended() {
    clear_session();
    if let Some(f) = ON_SESSION_END.with(|h| h.borrow().clone()) {
        f();
    }
}

fn js_err(e: JsValue) -> ApiError {
    ApiError::Network(e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

struct Answer {
    status: u16,
    body: String,
    etag: Option<String>,
}

async fn send(
    method: &str,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
    headers: &[(&str, String)],
) -> Result<Answer, ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
    let h = Headers::new().map_err(js_err)?;
    h.set("accept", "application/json").map_err(js_err)?;
    if body.is_some() {
        h.set("content-type", "application/json").map_err(js_err)?;
    }
    if let Some(t) = token {
        h.set("authorization", &format!("Bearer {t}"))
            .map_err(js_err)?;
    }
    for (k, v) in headers {
        h.set(k, v).map_err(js_err)?;
    }
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(&h);
    if let Some(b) = body {
        init.set_body(&JsValue::from_str(b));
    }
    let req = Request::new_with_str_and_init(path, &init).map_err(js_err)?;
    let resp: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(js_err)?
        .dyn_into()
        .map_err(js_err)?;
    let text = JsFuture::from(resp.text().map_err(js_err)?)
        .await
        .map_err(js_err)?
        .as_string()
        .unwrap_or_default();
    Ok(Answer {
        status: resp.status(),
        body: text,
        etag: resp.headers().get("etag").ok().flatten(),
    })
}

fn decode<T: DeserializeOwned>(a: Answer) -> Result<T, ApiError> {
    if a.status >= 400 {
        return Err(ApiError::from_response(a.status, &a.body));
    }
    let body = if a.body.trim().is_empty() {
        "null"
    } else {
        &a.body
    };
    serde_json::from_str(body).map_err(|e| ApiError::Network(format!("unexpected answer: {e}")))
}

/// Exchanges the refresh token once, however many calls are waiting for it.
async fn refresh(used_token: Option<String>) -> Result<(), ApiError> {
    let current = session();
    // Another call refreshed while ours was in flight: just retry with the new token.
    if current.as_ref().map(|s| &s.access_token) != used_token.as_ref() {
        return if current.is_some() {
            Ok(())
        } else {
            Err(ApiError::from_response(401, ""))
        };
    }
    let fut = REFRESHING.with(|r| {
        r.borrow_mut()
            .get_or_insert_with(|| do_refresh().boxed_local().shared())
            .clone()
    });
    let out = fut.await;
    REFRESHING.with(|r| *r.borrow_mut() = None);
    out
}

async fn do_refresh() -> Result<(), ApiError> {
    let Some(s) = session() else {
        return Err(ApiError::from_response(401, ""));
    };
    let body = serde_json::to_string(&RefreshIn {
        refresh_token: s.refresh_token,
    })
    .map_err(|e| ApiError::Network(e.to_string()))?;
    let a = send("POST", "/api/v1/auth/refresh", Some(&body), None, &[]).await?;
    match decode::<TokenOut>(a) {
        Ok(tokens) => {
            save_session(&tokens);
            Ok(())
        }
        Err(e) => {
            if e.status() != 0 {
                session_ended();
            }
            Err(e)
        }
    }
}

/// An authenticated call that also returns the answer's ETag.
async fn call_with_etag<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<&(impl Serialize + ?Sized)>,
    headers: &[(&str, String)],
) -> Result<(T, Option<String>), ApiError> {
    let body = body
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let token = session().map(|s| s.access_token);
    let mut a = send(method, path, body.as_deref(), token.as_deref(), headers).await?;
    if a.status == 401
        && token.is_some()
        && ApiError::from_response(401, &a.body).is_expired_token()
    {
        refresh(token).await?;
        let token = session().map(|s| s.access_token);
        a = send(method, path, body.as_deref(), token.as_deref(), headers).await?;
        if a.status == 401 {
            session_ended();
        }
    }
    let etag = a.etag.clone();
    decode(a).map(|v| (v, etag))
}

/// An authenticated call; `body` is JSON-encoded when present.
async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<&(impl Serialize + ?Sized)>,
    headers: &[(&str, String)],
) -> Result<T, ApiError> {
    call_with_etag(method, path, body, headers)
        .await
        .map(|(v, _)| v)
}

/// For calls answered with 202/204: only the status matters.
fn check(a: Answer) -> Result<(), ApiError> {
    if a.status >= 400 {
        return Err(ApiError::from_response(a.status, &a.body));
    }
    Ok(())
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    call::<T>("GET", path, None::<&()>, &[]).await
}

/// A call that needs no token (sign-in, password recovery).
async fn public(path: &str, body: &impl Serialize) -> Result<Answer, ApiError> {
    let body = serde_json::to_string(body).map_err(|e| ApiError::Network(e.to_string()))?;
    send("POST", path, Some(&body), None, &[]).await
}

pub async fn login(input: &LoginIn) -> Result<MeOut, ApiError> {
    let tokens: TokenOut = decode(public("/api/v1/auth/login", input).await?)?;
    save_session(&tokens);
    Ok(tokens.user)
}

/// Ends the session on the server (best effort) and forgets it here.
pub async fn logout() {
    if let Some(s) = session() {
        let _ = public(
            "/api/v1/auth/logout",
            &RefreshIn {
                refresh_token: s.refresh_token,
            },
        )
        .await;
    }
    clear_session();
}

pub async fn forgot_password(input: &ForgotPasswordIn) -> Result<(), ApiError> {
    check(public("/api/v1/auth/password/forgot", input).await?)
}

pub async fn reset_password(input: &ResetPasswordIn) -> Result<(), ApiError> {
    check(public("/api/v1/auth/password/reset", input).await?)
}

pub async fn change_password(input: &ChangePasswordIn) -> Result<(), ApiError> {
    call::<serde::de::IgnoredAny>("POST", "/api/v1/auth/password/change", Some(input), &[])
        .await
        .map(drop)
}

pub async fn me() -> Result<MeOut, ApiError> {
    get("/api/v1/me").await
}

pub async fn update_me(patch: &MePatch) -> Result<MeOut, ApiError> {
    call("PATCH", "/api/v1/me", Some(patch), &[]).await
}

pub async fn organisations(query: &str) -> Result<OrganisationPage, ApiError> {
    get(&format!("/api/v1/organisations?{query}")).await
}

pub async fn organisation(id: Uuid) -> Result<OrganisationOut, ApiError> {
    get(&format!("/api/v1/organisations/{id}")).await
}

/// Creates an organisation; the idempotency key makes a double submit create one record.
pub async fn create_organisation(
    input: &OrganisationIn,
    idempotency_key: &str,
) -> Result<OrganisationOut, ApiError> {
    call(
        "POST",
        "/api/v1/organisations",
        Some(input),
        &[("idempotency-key", idempotency_key.to_owned())],
    )
    .await
}

pub async fn organisation_people(id: Uuid) -> Result<Page<OrganisationPersonOut>, ApiError> {
    get(&format!("/api/v1/organisations/{id}/people?limit=100")).await
}

pub async fn organisation_history(id: Uuid) -> Result<Page<EventOut>, ApiError> {
    get(&format!("/api/v1/organisations/{id}/history?limit=50")).await
}

pub async fn organisation_mandates(id: Uuid) -> Result<Page<MandateOut>, ApiError> {
    get(&format!("/api/v1/organisations/{id}/mandates?limit=100")).await
}

pub async fn organisation_interactions(id: Uuid) -> Result<Page<InteractionOut>, ApiError> {
    get(&format!(
        "/api/v1/organisations/{id}/interactions?limit=100"
    ))
    .await
}

pub async fn organisation_tasks(id: Uuid) -> Result<Page<TaskOut>, ApiError> {
    get(&format!("/api/v1/organisations/{id}/tasks?limit=100")).await
}

/// One action on many organisations, all or nothing.
pub async fn bulk_organisations(action: &BulkAction) -> Result<BulkResult, ApiError> {
    call("POST", "/api/v1/organisations/bulk", Some(action), &[]).await
}

pub async fn duplicate_organisation(id: Uuid) -> Result<OrganisationOut, ApiError> {
    call(
        "POST",
        &format!("/api/v1/organisations/{id}/duplicate"),
        None::<&()>,
        &[],
    )
    .await
}

/// Moves an organisation to the trash (restorable for 30 days).
pub async fn delete_organisation(id: Uuid) -> Result<(), ApiError> {
    call::<serde::de::IgnoredAny>(
        "DELETE",
        &format!("/api/v1/organisations/{id}"),
        None::<&()>,
        &[],
    )
    .await
    .map(drop)
}

/// Creates a person (linked to organisations in the same transaction).
pub async fn create_person(input: &PersonIn, idempotency_key: &str) -> Result<PersonOut, ApiError> {
    call(
        "POST",
        "/api/v1/people",
        Some(input),
        &[("idempotency-key", idempotency_key.to_owned())],
    )
    .await
}

/// The tasks list with its query string (`mine=true`, `overdue=true`, `status=…`).
pub async fn tasks(query: &str) -> Result<Page<TaskOut>, ApiError> {
    get(&format!("/api/v1/tasks?{query}")).await
}

pub async fn bulk_tasks(action: &TaskBulkAction) -> Result<BulkResult, ApiError> {
    call("POST", "/api/v1/tasks/bulk", Some(action), &[]).await
}

pub async fn people(query: &str) -> Result<Page<PersonOut>, ApiError> {
    get(&format!("/api/v1/people?{query}")).await
}

pub async fn person(id: Uuid) -> Result<PersonOut, ApiError> {
    get(&format!("/api/v1/people/{id}")).await
}

pub async fn person_organisations(id: Uuid) -> Result<Page<PersonOrganisationOut>, ApiError> {
    get(&format!("/api/v1/people/{id}/organisations")).await
}

pub async fn person_history(id: Uuid) -> Result<Page<EventOut>, ApiError> {
    get(&format!("/api/v1/people/{id}/history?limit=50")).await
}

pub async fn users() -> Result<Page<UserOut>, ApiError> {
    get("/api/v1/users?limit=200").await
}

pub async fn create_user(input: &UserIn) -> Result<UserOut, ApiError> {
    call("POST", "/api/v1/users", Some(input), &[]).await
}

/// Reads the user for its ETag, then applies the change with `If-Match`; a change made by
/// someone else in between answers 412. The patch is sent as built, not as a `UserPatch`:
/// serde writes that struct's absent `team_id` as `null`, which would remove the team.
pub async fn update_user(id: Uuid, patch: &serde_json::Value) -> Result<UserOut, ApiError> {
    let path = format!("/api/v1/users/{id}");
    let (_, etag) = call_with_etag::<UserOut>("GET", &path, None::<&()>, &[]).await?;
    let headers = [("if-match", etag.unwrap_or_default())];
    call("PATCH", &path, Some(patch), &headers).await
}

pub async fn roles() -> Result<Vec<RoleOut>, ApiError> {
    get("/api/v1/roles").await
}

pub async fn teams() -> Result<Vec<TeamOut>, ApiError> {
    get("/api/v1/teams").await
}

pub async fn create_team(input: &TeamIn) -> Result<TeamOut, ApiError> {
    call("POST", "/api/v1/teams", Some(input), &[]).await
}

pub async fn api_keys() -> Result<Vec<ApiKeyOut>, ApiError> {
    get("/api/v1/api-keys").await
}

/// Creates an API key; the answer is the only time the secret is shown.
pub async fn create_api_key(input: &ApiKeyIn) -> Result<ApiKeyCreatedOut, ApiError> {
    call("POST", "/api/v1/api-keys", Some(input), &[]).await
}

pub async fn revoke_api_key(id: Uuid) -> Result<(), ApiError> {
    call::<serde::de::IgnoredAny>(
        "DELETE",
        &format!("/api/v1/api-keys/{id}"),
        None::<&()>,
        &[],
    )
    .await
    .map(drop)
}

pub async fn organisation_documents(id: Uuid) -> Result<Page<DocumentOut>, ApiError> {
    get(&format!("/api/v1/organisations/{id}/documents?limit=100")).await
}

/// Sends a multipart form with the session token (refreshed once if it expired).
async fn send_form(path: &str, form: &web_sys::FormData) -> Result<Answer, ApiError> {
    let attempt = |token: Option<String>| async move {
        let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
        let h = Headers::new().map_err(js_err)?;
        h.set("accept", "application/json").map_err(js_err)?;
        if let Some(t) = &token {
            h.set("authorization", &format!("Bearer {t}"))
                .map_err(js_err)?;
        }
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_headers(&h);
        init.set_body(form);
        let req = Request::new_with_str_and_init(path, &init).map_err(js_err)?;
        let resp: Response = JsFuture::from(window.fetch_with_request(&req))
            .await
            .map_err(js_err)?
            .dyn_into()
            .map_err(js_err)?;
        let body = JsFuture::from(resp.text().map_err(js_err)?)
            .await
            .map_err(js_err)?
            .as_string()
            .unwrap_or_default();
        Ok::<_, ApiError>(Answer {
            status: resp.status(),
            body,
            etag: None,
        })
    };
    let token = session().map(|s| s.access_token);
    let a = attempt(token.clone()).await?;
    if a.status == 401 && ApiError::from_response(401, &a.body).is_expired_token() {
        refresh(token).await?;
        return attempt(session().map(|s| s.access_token)).await;
    }
    Ok(a)
}

/// Uploads a file to an organisation; the server detects its type from the content.
pub async fn upload_document(org: Uuid, file: &web_sys::File) -> Result<DocumentOut, ApiError> {
    let form = web_sys::FormData::new().map_err(js_err)?;
    form.append_with_str("record_type", "organisation")
        .map_err(js_err)?;
    form.append_with_str("record_id", &org.to_string())
        .map_err(js_err)?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(js_err)?;
    decode(send_form("/api/v1/documents", &form).await?)
}

/// Downloads a document (the link needs the token, so it goes through fetch) and hands it
/// to the browser under its original name.
pub async fn download_document(doc: &DocumentOut) -> Result<(), ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
    let fetch = |token: Option<String>| {
        let window = window.clone();
        let path = format!("/api/v1/documents/{}/content", doc.id);
        async move {
            let h = Headers::new().map_err(js_err)?;
            if let Some(t) = &token {
                h.set("authorization", &format!("Bearer {t}"))
                    .map_err(js_err)?;
            }
            let init = RequestInit::new();
            init.set_headers(&h);
            let req = Request::new_with_str_and_init(&path, &init).map_err(js_err)?;
            let resp: Response = JsFuture::from(window.fetch_with_request(&req))
                .await
                .map_err(js_err)?
                .dyn_into()
                .map_err(js_err)?;
            Ok::<_, ApiError>(resp)
        }
    };
    let token = session().map(|s| s.access_token);
    let mut resp = fetch(token.clone()).await?;
    if resp.status() == 401 {
        refresh(token).await?;
        resp = fetch(session().map(|s| s.access_token)).await?;
    }
    if resp.status() >= 400 {
        let body = JsFuture::from(resp.text().map_err(js_err)?)
            .await
            .map_err(js_err)?
            .as_string()
            .unwrap_or_default();
        return Err(ApiError::from_response(resp.status(), &body));
    }
    let blob: web_sys::Blob = JsFuture::from(resp.blob().map_err(js_err)?)
        .await
        .map_err(js_err)?
        .dyn_into()
        .map_err(js_err)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js_err)?;
    let document = window
        .document()
        .ok_or_else(|| ApiError::Network("no document".into()))?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(js_err)?
        .dyn_into()
        .map_err(|_| ApiError::Network("not an anchor".into()))?;
    a.set_href(&url);
    a.set_download(&doc.file_name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Moves a document to the trash.
pub async fn delete_document(id: Uuid) -> Result<(), ApiError> {
    call::<serde::de::IgnoredAny>(
        "DELETE",
        &format!("/api/v1/documents/{id}"),
        None::<&()>,
        &[],
    )
    .await
    .map(drop)
}

pub async fn products(query: &str) -> Result<Page<ProductOut>, ApiError> {
    get(&format!("/api/v1/products?{query}")).await
}

pub async fn mandates(query: &str) -> Result<Page<MandateOut>, ApiError> {
    get(&format!("/api/v1/mandates?{query}")).await
}

/// An organisation with its ETag, for an edit.
pub async fn organisation_for_edit(id: Uuid) -> Result<(OrganisationOut, String), ApiError> {
    let path = format!("/api/v1/organisations/{id}");
    let (o, etag) = call_with_etag::<OrganisationOut>("GET", &path, None::<&()>, &[]).await?;
    Ok((o, etag.unwrap_or_default()))
}

/// Applies the changed fields with `If-Match`: 412 when someone changed it meanwhile.
pub async fn update_organisation(
    id: Uuid,
    patch: &serde_json::Map<String, serde_json::Value>,
    etag: &str,
) -> Result<OrganisationOut, ApiError> {
    call(
        "PATCH",
        &format!("/api/v1/organisations/{id}"),
        Some(patch),
        &[("if-match", etag.to_owned())],
    )
    .await
}

// ---- Imports and exports ----------------------------------------------------------------

/// Uploads a file to import (`kind`: organisations or people); nothing is imported yet.
pub async fn upload_import(
    kind: &str,
    file: &web_sys::File,
) -> Result<relais_types::ImportOut, ApiError> {
    let form = web_sys::FormData::new().map_err(js_err)?;
    form.append_with_str("type", kind).map_err(js_err)?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(js_err)?;
    decode(send_form("/api/v1/imports", &form).await?)
}

pub async fn import(id: Uuid) -> Result<relais_types::ImportOut, ApiError> {
    get(&format!("/api/v1/imports/{id}")).await
}

pub async fn update_import(
    id: Uuid,
    patch: &relais_types::ImportPatch,
) -> Result<relais_types::ImportOut, ApiError> {
    call("PATCH", &format!("/api/v1/imports/{id}"), Some(patch), &[]).await
}

/// Starts a dry run (`dry`) or the real run; the answer names the job to follow.
pub async fn start_import(id: Uuid, dry: bool) -> Result<relais_types::ImportOut, ApiError> {
    let what = if dry { "dry-run" } else { "run" };
    call(
        "POST",
        &format!("/api/v1/imports/{id}/{what}"),
        None::<&()>,
        &[],
    )
    .await
}

pub async fn job(id: Uuid) -> Result<relais_types::JobOut, ApiError> {
    get(&format!("/api/v1/jobs/{id}")).await
}

pub async fn cancel_job(id: Uuid) -> Result<relais_types::JobOut, ApiError> {
    call(
        "POST",
        &format!("/api/v1/jobs/{id}/cancel"),
        None::<&()>,
        &[],
    )
    .await
}

/// Starts a background export (`path` from `imports::export_job_path`).
pub async fn start_export_job(path: &str) -> Result<relais_types::JobOut, ApiError> {
    call("POST", path, None::<&()>, &[]).await
}

/// Fetches a file with the session token and hands it to the browser as `file_name`.
pub async fn download(path: &str, file_name: &str) -> Result<(), ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
    let fetch = |token: Option<String>| {
        let window = window.clone();
        let path = path.to_owned();
        async move {
            let h = Headers::new().map_err(js_err)?;
            if let Some(t) = &token {
                h.set("authorization", &format!("Bearer {t}"))
                    .map_err(js_err)?;
            }
            let init = RequestInit::new();
            init.set_headers(&h);
            let req = Request::new_with_str_and_init(&path, &init).map_err(js_err)?;
            let resp: Response = JsFuture::from(window.fetch_with_request(&req))
                .await
                .map_err(js_err)?
                .dyn_into()
                .map_err(js_err)?;
            Ok::<_, ApiError>(resp)
        }
    };
    let token = session().map(|s| s.access_token);
    let mut resp = fetch(token.clone()).await?;
    if resp.status() == 401 {
        refresh(token).await?;
        resp = fetch(session().map(|s| s.access_token)).await?;
    }
    if resp.status() >= 400 {
        let body = JsFuture::from(resp.text().map_err(js_err)?)
            .await
            .map_err(js_err)?
            .as_string()
            .unwrap_or_default();
        return Err(ApiError::from_response(resp.status(), &body));
    }
    let blob: web_sys::Blob = JsFuture::from(resp.blob().map_err(js_err)?)
        .await
        .map_err(js_err)?
        .dyn_into()
        .map_err(js_err)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js_err)?;
    let document = window
        .document()
        .ok_or_else(|| ApiError::Network("no document".into()))?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(js_err)?
        .dyn_into()
        .map_err(|_| ApiError::Network("not an anchor".into()))?;
    a.set_href(&url);
    a.set_download(file_name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
