//! The signed-in user's own profile.

use crate::{
    ApiResult, AppState,
    auth::AuthAny,
    convert,
    error::{ApiError, Validator},
    extract::Json,
};
use actix_web::{HttpResponse, web};
use relais_domain::PersonName;
use relais_store::users::{AuthUser, User, UserChanges};
use relais_types::{MeOut, MePatch, Problem};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/me")
            .route(web::get().to(get_me))
            .route(web::patch().to(update_me)),
    );
}

/// Who am I: profile, tenant, role and grants (the web app hides what these do not allow).
#[utoipa::path(get, path = "/api/v1/me", tag = "me", operation_id = "v1.me.get",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = MeOut),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_me(auth: AuthAny) -> ApiResult<HttpResponse> {
    let mut me = convert::me_out(&auth.0.user);
    me.grants = auth.0.grants.to_list();
    Ok(HttpResponse::Ok().json(me))
}

/// Update your name, language or theme.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", operation_id = "v1.me.update",
    security(("bearer" = [])), request_body = MePatch,
    responses(
        (status = 200, description = "Updated profile", body = MeOut),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_me(
    state: web::Data<AppState>,
    auth: AuthAny,
    body: Json<MePatch>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let input = body.0;
    let mut v = Validator::new();
    let full_name = input
        .full_name
        .as_deref()
        .and_then(|n| v.check("full_name", PersonName::parse(n)));
    v.finish()?;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let changes = UserChanges {
        full_name: full_name.map(String::from),
        locale: input.locale.map(|l| l.code().to_owned()),
        theme: input.theme.map(|t| t.code().to_owned()),
        ..Default::default()
    };
    User::update(&*tx, tenant, p.user_id(), &changes)
        .await?
        .ok_or(ApiError::NotFound)?;
    let me = AuthUser::load(&*tx, tenant, p.user_id())
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(convert::me_out(&me)))
}
