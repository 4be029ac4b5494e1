//! Store rows to wire types.

use relais_store::{
    api_keys::ApiKey,
    roles::Role,
    teams::Team,
    tenants::Tenant,
    users::{AuthUser, User},
};
use relais_types::{
    ApiKeyOut, Locale, MeOut, RoleOut, RoleRef, TeamOut, TenantOut, TenantRef, TenantStatus, Theme,
    UserOut,
};

pub fn user_out(u: User) -> UserOut {
    UserOut {
        id: u.id,
        email: u.email,
        full_name: u.full_name,
        role_id: u.role_id,
        team_id: u.team_id,
        locale: Locale::from_code(&u.locale),
        theme: Theme::from_code(&u.theme),
        active: u.active,
        must_change_password: u.must_change_password,
        locked_until: u.locked_until.filter(|t| *t > chrono::Utc::now()),
        last_login_at: u.last_login_at,
        created_at: u.created_at,
        updated_at: u.updated_at,
    }
}

pub fn me_out(u: &AuthUser) -> MeOut {
    MeOut {
        id: u.id,
        tenant: TenantRef {
            id: u.tenant_id,
            slug: u.tenant_slug.clone(),
            name: u.tenant_name.clone(),
        },
        email: u.email.clone(),
        full_name: u.full_name.clone(),
        role: RoleRef {
            id: u.role_id,
            key: u.role_key.clone(),
            name: u.role_name.clone(),
        },
        team_id: u.team_id,
        locale: Locale::from_code(&u.locale),
        theme: Theme::from_code(&u.theme),
        must_change_password: u.must_change_password,
        grants: u.grant_list(),
        last_login_at: u.last_login_at,
    }
}

pub fn role_out(r: Role) -> RoleOut {
    RoleOut {
        grants: r.grant_list(),
        id: r.id,
        key: r.key,
        name: r.name,
        description: r.description,
        builtin: r.builtin,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

pub fn team_out(t: Team) -> TeamOut {
    TeamOut {
        id: t.id,
        name: t.name,
        description: t.description,
        member_count: t.member_count,
        created_at: t.created_at,
        updated_at: t.updated_at,
    }
}

pub fn api_key_out(k: ApiKey) -> ApiKeyOut {
    ApiKeyOut {
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        role_id: k.role_id,
        created_by: k.created_by,
        created_at: k.created_at,
        expires_at: k.expires_at,
        revoked_at: k.revoked_at,
        last_used_at: k.last_used_at,
    }
}

pub fn tenant_out(t: Tenant) -> TenantOut {
    TenantOut {
        id: t.id,
        locale: Locale::from_code(&t.locale),
        status: TenantStatus::from_code(&t.status),
        slug: t.slug,
        name: t.name,
        time_zone: t.time_zone,
        created_at: t.created_at,
        updated_at: t.updated_at,
    }
}
