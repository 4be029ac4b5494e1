//! Platform operations shared by the operator API and the command line: creating a tenant
//! with its built-in roles and first administrator, and creating operators.

use crate::{
    error::{ApiError, ApiResult, Validator},
    password::Hasher,
};
use relais_domain::{BuiltinRole, EmailAddress, Password, PersonName, Slug, TenantId};
use relais_store::{
    Db,
    operators::Operator,
    roles::Role,
    tenants::{NewTenant, Tenant},
    users::{NewUser, User},
};
use relais_types::{Locale, TenantIn};

/// Create a tenant, its four built-in roles and its first administrator (who must change the
/// password at first sign-in unless `must_change_password` is false, as for the demo).
pub async fn create_tenant(
    db: &Db,
    hasher: &Hasher,
    input: &TenantIn,
    must_change_password: bool,
) -> ApiResult<(Tenant, User)> {
    let mut v = Validator::new();
    let slug = v.check("slug", Slug::parse(&input.slug));
    let name = v.check("name", PersonName::parse(&input.name));
    let email = v.check("admin_email", EmailAddress::parse(&input.admin_email));
    let password = v.check("admin_password", Password::parse(&input.admin_password));
    let full_name = v.check(
        "admin_full_name",
        PersonName::parse(input.admin_full_name.as_deref().unwrap_or("Administrateur")),
    );
    let tz = input
        .time_zone
        .clone()
        .unwrap_or_else(|| "Europe/Paris".into());
    if tz.is_empty() || tz.len() > 64 {
        v.push(
            "time_zone",
            "invalid",
            "an IANA time zone such as Europe/Paris",
        );
    }
    v.finish()?;
    let (slug, name, email, password, full_name) = (
        slug.unwrap(),
        name.unwrap(),
        email.unwrap(),
        password.unwrap(),
        full_name.unwrap(),
    );
    let locale = input.locale.unwrap_or(Locale::Fr);
    let hash = hasher.hash(password.expose()).await?;

    let ptx = db.platform_tx().await?;
    let tenant = Tenant::insert(
        &*ptx,
        &NewTenant {
            slug: slug.as_str(),
            name: name.as_str(),
            locale: locale.code(),
            time_zone: &tz,
        },
    )
    .await?;
    ptx.commit().await?;

    let result: ApiResult<User> = async {
        let tx = db.tenant_tx(TenantId(tenant.id)).await?;
        let roles = Role::insert_builtins(&*tx, tenant.id).await?;
        let admin = roles
            .iter()
            .find(|r| r.key == BuiltinRole::Admin.key())
            .ok_or_else(|| ApiError::internal("admin role missing"))?;
        let user = User::insert(
            &*tx,
            tenant.id,
            &NewUser {
                email: email.as_str(),
                full_name: full_name.as_str(),
                password_hash: &hash,
                role_id: admin.id,
                team_id: None,
                locale: locale.code(),
                must_change_password,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }
    .await;
    match result {
        Ok(user) => Ok((tenant, user)),
        Err(e) => {
            // Do not leave a tenant without an administrator behind.
            if let Ok(ptx) = db.platform_tx().await {
                let _ = relais_store::tenants::delete_empty(&*ptx, tenant.id).await;
                let _ = ptx.commit().await;
            }
            Err(e)
        }
    }
}

/// Create an operator, or reset the password of an existing one.
pub async fn upsert_operator(
    db: &Db,
    hasher: &Hasher,
    email: &str,
    password: &str,
) -> ApiResult<Operator> {
    let mut v = Validator::new();
    let email = v.check("email", EmailAddress::parse(email));
    let password = v.check("password", Password::parse(password));
    v.finish()?;
    let hash = hasher.hash(password.unwrap().expose()).await?;
    let tx = db.platform_tx().await?;
    let op = Operator::upsert(&*tx, email.unwrap().as_str(), &hash).await?;
    tx.commit().await?;
    Ok(op)
}
