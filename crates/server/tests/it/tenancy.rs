//! Tenant isolation (TEN-2, TEN-3): row-level security in the catalog, fail-closed
//! transactions, cross-tenant API access, and isolation under concurrency.

use crate::helpers::*;
use relais_domain::TenantId;
use relais_store::{ConnectionTrait, operators::Operator};
use reqwest::{Method, StatusCode};
use sea_orm::{DbBackend, Statement};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

/// Tables every tenant-owned table list must at least contain.
const KNOWN_TENANT_TABLES: &[&str] = &[
    "users",
    "roles",
    "teams",
    "api_keys",
    "refresh_tokens",
    "password_reset_tokens",
    "jobs",
];

/// Every ordinary or partitioned table of schema `public` with a `tenant_id` column.
async fn tenant_tables(conn: &mut sqlx::PgConnection) -> Vec<String> {
    sqlx::query_scalar::<_, String>(
        "SELECT c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') \
           AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY 1",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_tenant_table_forces_row_level_security() {
    let app = spawn_app().await;
    let mut conn = app.superuser().await;

    let tables = tenant_tables(&mut conn).await;
    assert!(!tables.is_empty(), "no tenant-owned table found");
    for known in KNOWN_TENANT_TABLES {
        assert!(
            tables.iter().any(|t| t == known),
            "{known} is missing from the tenant-owned tables {tables:?}"
        );
    }

    for table in &tables {
        let (rls, force): (bool, bool) = sqlx::query_as(
            "SELECT c.relrowsecurity, c.relforcerowsecurity FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relname = $1",
        )
        .bind(table)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert!(rls, "{table}: row-level security is not enabled");
        assert!(force, "{table}: row-level security is not forced");

        let policies: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT policyname::text, permissive, qual, with_check FROM pg_policies \
             WHERE schemaname = 'public' AND tablename = $1",
        )
        .bind(table)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert!(!policies.is_empty(), "{table}: no policy");
        // A permissive policy that does not compare with the current tenant would open the
        // table to every tenant (policies are OR-ed).
        for (name, permissive, qual, with_check) in &policies {
            if permissive == "PERMISSIVE" {
                assert!(
                    qual.as_deref()
                        .is_some_and(|q| q.contains("app_current_tenant()")
                            && !q.to_uppercase().contains(" OR ")),
                    "{table}.{name}: USING does not restrict to the current tenant: {qual:?}"
                );
                assert!(
                    with_check
                        .as_deref()
                        .is_none_or(|q| q.contains("app_current_tenant()")
                            && !q.to_uppercase().contains(" OR ")),
                    "{table}.{name}: WITH CHECK does not restrict to the current tenant: \
                     {with_check:?}"
                );
            }
        }
    }

    // Views and materialised views cannot carry row-level security: one exposing tenant_id
    // must at least run with the caller's rights (security_invoker); a materialised view with
    // tenant data would leak it.
    let leaky_views: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid \
         WHERE n.nspname = 'public' AND a.attname = 'tenant_id' AND NOT a.attisdropped \
           AND (c.relkind = 'm' OR (c.relkind = 'v' AND NOT coalesce( \
                'security_invoker=true' = ANY (c.reloptions) \
                OR 'security_invoker=on' = ANY (c.reloptions), false)))",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        leaky_views.is_empty(),
        "views bypassing RLS: {leaky_views:?}"
    );

    // The application role: not superuser, no BYPASSRLS, owns nothing, and cannot become an
    // owner either.
    let (superuser, bypass): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'relais_app'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(!superuser, "relais_app is a superuser");
    assert!(!bypass, "relais_app has BYPASSRLS");

    let owned_relations: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' \
           AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = 'relais_app')",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        owned_relations.is_empty(),
        "relais_app owns tables/sequences: {owned_relations:?}"
    );
    let owned_functions: Vec<String> = sqlx::query_scalar(
        "SELECT p.proname::text FROM pg_proc p \
         JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = 'public' \
           AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = 'relais_app')",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        owned_functions.is_empty(),
        "relais_app owns functions: {owned_functions:?}"
    );
    let owner_memberships: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT r.rolname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_roles r ON r.oid = c.relowner \
         WHERE n.nspname = 'public' AND c.relname = ANY ($1) \
           AND pg_has_role('relais_app', c.relowner, 'MEMBER')",
    )
    .bind(&tables)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        owner_memberships.is_empty(),
        "relais_app is a member of the table owner(s) {owner_memberships:?}"
    );
    app.stop().await;
}

fn sql(s: &str) -> Statement {
    Statement::from_string(DbBackend::Postgres, s)
}

fn sql_with(s: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, s, values)
}

async fn count(db: &impl ConnectionTrait, query: &str) -> i64 {
    db.query_one_raw(sql(query))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

#[tokio::test]
async fn transactions_fail_closed_without_a_tenant() {
    let app = spawn_app().await;
    let a = app.create_tenant("alpha").await;
    let b = app.create_tenant("bravo").await;
    app.create_user(&a, "ann@alpha.test", "user", None).await;
    app.create_team(&a, "Sales").await;
    app.create_team(&b, "Sales").await;

    // The superuser sees both tenants' rows.
    let mut su = app.superuser().await;
    let total_users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(total_users, 3);
    let tables = tenant_tables(&mut su).await;

    // No tenant set: every tenant-owned table looks empty.
    let tx = app.db.platform_tx().await.unwrap();
    assert_eq!(count(&*tx, "SELECT count(*) AS n FROM users").await, 0);
    for table in &tables {
        let n = count(&*tx, &format!("SELECT count(*) AS n FROM {table}")).await;
        assert_eq!(n, 0, "{table} visible without a tenant");
    }
    // Nor can a row be written without a tenant.
    let err = tx
        .execute_raw(sql_with(
            "INSERT INTO teams (tenant_id, id, name) VALUES ($1, $2, 'Intruders')",
            vec![a.id.into(), Uuid::now_v7().into()],
        ))
        .await
        .expect_err("insert without a tenant must fail");
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);

    // Tenant A: only A's users, even without a WHERE clause.
    let tx = app.db.tenant_tx(TenantId(a.id)).await.unwrap();
    assert_eq!(count(&*tx, "SELECT count(*) AS n FROM users").await, 2);
    let foreign = count(
        &*tx,
        &format!(
            "SELECT count(*) AS n FROM users WHERE tenant_id <> '{}'",
            a.id
        ),
    )
    .await;
    assert_eq!(foreign, 0);
    assert_eq!(count(&*tx, "SELECT count(*) AS n FROM teams").await, 1);
    assert_eq!(count(&*tx, "SELECT count(*) AS n FROM roles").await, 4);
    tx.commit().await.unwrap();

    // A row of tenant B cannot be written from A's transaction (WITH CHECK), even with
    // a role id that really exists in B.
    let b_role = app.role_id(&b, "user").await;
    let tx = app.db.tenant_tx(TenantId(a.id)).await.unwrap();
    let err = tx
        .execute_raw(sql_with(
            "INSERT INTO users (tenant_id, id, email, full_name, password_hash, role_id) \
             VALUES ($1, $2, 'mole@bravo.test', 'Mole', 'x', $3)",
            vec![b.id.into(), Uuid::now_v7().into(), b_role.into()],
        ))
        .await
        .expect_err("insert into another tenant must fail");
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);

    // Nor can A move its own row into B.
    let tx = app.db.tenant_tx(TenantId(a.id)).await.unwrap();
    let err = tx
        .execute_raw(sql_with(
            "UPDATE teams SET tenant_id = $1",
            vec![b.id.into()],
        ))
        .await
        .expect_err("moving a row to another tenant must fail");
    assert!(
        err.to_string().contains("row-level security") || err.to_string().contains("foreign key"),
        "{err}"
    );
    drop(tx);

    // And B's rows cannot be touched from A's transaction: they are invisible.
    let tx = app.db.tenant_tx(TenantId(a.id)).await.unwrap();
    let res = tx
        .execute_raw(sql_with(
            "UPDATE users SET full_name = 'pwned' WHERE tenant_id = $1",
            vec![b.id.into()],
        ))
        .await
        .unwrap();
    assert_eq!(res.rows_affected(), 0);
    let res = tx
        .execute_raw(sql_with(
            "DELETE FROM teams WHERE tenant_id = $1",
            vec![b.id.into()],
        ))
        .await
        .unwrap();
    assert_eq!(res.rows_affected(), 0);
    tx.commit().await.unwrap();

    let untouched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE full_name = 'pwned' OR email = 'mole@bravo.test'",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(untouched, 0);
    let b_teams: i64 = sqlx::query_scalar("SELECT count(*) FROM teams WHERE tenant_id = $1")
        .bind(b.id)
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(b_teams, 1);
    app.stop().await;
}

/// GET a record with `token`: (status, body, ETag).
async fn read(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value, Option<String>) {
    let res = app
        .req(Method::GET, path, Some(token))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let etag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, res.json().await.unwrap_or(Value::Null), etag)
}

fn ids_of(list: &Value) -> BTreeSet<String> {
    let items = list
        .get("items")
        .unwrap_or(list)
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"));
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn another_tenants_records_are_not_found() {
    let app = spawn_app().await;
    let a = app.create_tenant("alpha").await;
    let b = app.create_tenant("bravo").await;
    let at = a.admin.token.as_str();
    let bt = b.admin.token.as_str();

    // Tenant A's records, created through the API.
    let (s, team) = app
        .post("/api/v1/teams", Some(at), json!({"name": "Ventes"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{team}");
    let team_id = team["id"].as_str().unwrap().to_owned();
    let (s, role) = app
        .post(
            "/api/v1/roles",
            Some(at),
            json!({"key": "direction", "name": "Direction",
                   "grants": [{"resource": "users", "action": "read", "scope": "all"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{role}");
    let role_id = role["id"].as_str().unwrap().to_owned();
    let (s, user) = app
        .post(
            "/api/v1/users",
            Some(at),
            json!({"email": "ann@alpha.test", "full_name": "Ann", "password": PASSWORD,
                   "role_id": role_id, "team_id": team_id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{user}");
    let user_id = user["id"].as_str().unwrap().to_owned();
    let viewer_role = app.role_id(&a, "viewer").await;
    let (s, key) = app
        .post(
            "/api/v1/api-keys",
            Some(at),
            json!({"name": "ERP", "role_id": viewer_role}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{key}");
    let key_id = key["id"].as_str().unwrap().to_owned();
    let key_secret = key["key"].as_str().unwrap().to_owned();
    let admin_role = app.role_id(&a, "admin").await.to_string();

    // Tenant B has records of its own, so its lists are not trivially empty.
    app.create_team(&b, "Ventes").await;
    app.create_user(&b, "bob@bravo.test", "user", None).await;

    let records = [
        format!("/api/v1/users/{user_id}"),
        format!("/api/v1/users/{}", a.admin.id),
        format!("/api/v1/roles/{role_id}"),
        format!("/api/v1/roles/{admin_role}"),
        format!("/api/v1/teams/{team_id}"),
        format!("/api/v1/api-keys/{key_id}"),
    ];
    let patches = [
        json!({"full_name": "Pwned", "active": false}),
        json!({"full_name": "Pwned", "active": false}),
        json!({"name": "Pwned", "grants": []}),
        json!({"name": "Pwned", "grants": []}),
        json!({"name": "Pwned"}),
        json!({"name": "Pwned"}),
    ];
    for (path, patch) in records.iter().zip(patches) {
        let (s, before, etag) = read(&app, path, at).await;
        assert_eq!(s, StatusCode::OK, "{path}: {before}");
        let etag = etag.expect("ETag on GET");

        let (s, body) = app.get(path, bt).await;
        assert_problem(s, &body, 404, "not_found");

        let res = app
            .req(Method::PATCH, path, Some(bt))
            .header("if-match", &etag)
            .json(&patch)
            .send()
            .await
            .unwrap();
        let s = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if path.starts_with("/api/v1/api-keys/") {
            // Keys cannot be edited at all.
            assert_problem(s, &body, 405, "method_not_allowed");
        } else {
            assert_problem(s, &body, 404, "not_found");
        }

        let res = app
            .req(Method::DELETE, path, Some(bt))
            .header("if-match", &etag)
            .send()
            .await
            .unwrap();
        let s = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_problem(s, &body, 404, "not_found");
        let (s, body) = app.delete(path, bt).await;
        assert_problem(s, &body, 404, "not_found");

        let (s, after, etag_after) = read(&app, path, at).await;
        assert_eq!(s, StatusCode::OK, "{path}: {after}");
        assert_eq!(before, after, "{path} changed through another tenant");
        assert_eq!(Some(etag), etag_after, "{path}: ETag moved");
    }

    // Sub-resources: B cannot reset A's passwords.
    let (s, body) = app
        .post(
            &format!("/api/v1/users/{user_id}/password"),
            Some(bt),
            json!({"new_password": "a brand new password 42"}),
        )
        .await;
    assert_problem(s, &body, 404, "not_found");
    // Ann's password is the one A's admin gave her.
    let (s, body) = app.login("ann@alpha.test", PASSWORD, Some("alpha")).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // A's key still works.
    let (s, body) = app.get("/api/v1/users", &key_secret).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // B's lists never contain A's records.
    let a_ids: BTreeSet<String> = [
        user_id.clone(),
        a.admin.id.to_string(),
        role_id.clone(),
        admin_role.clone(),
        team_id.clone(),
        key_id.clone(),
    ]
    .into();
    let (s, b_key) = app
        .post(
            "/api/v1/api-keys",
            Some(bt),
            json!({"name": "B key", "role_id": app.role_id(&b, "viewer").await}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b_key}");
    for list in [
        "/api/v1/users?limit=200",
        "/api/v1/roles",
        "/api/v1/teams",
        "/api/v1/api-keys",
    ] {
        let (s, body) = app.get(list, bt).await;
        assert_eq!(s, StatusCode::OK, "{list}: {body}");
        let ids = ids_of(&body);
        assert!(!ids.is_empty(), "{list}: B sees nothing of its own");
        assert!(
            ids.is_disjoint(&a_ids),
            "{list} of B shows A's records: {body}"
        );
        let text = body.to_string();
        assert!(!text.contains("alpha.test"), "{list}: {text}");
    }
    // Filters naming A's ids find nothing either.
    for q in [
        format!("/api/v1/users?team_id={team_id}"),
        format!("/api/v1/users?role_id={role_id}"),
        "/api/v1/users?q=alpha".to_owned(),
    ] {
        let (s, body) = app.get(&q, bt).await;
        assert_eq!(s, StatusCode::OK, "{q}: {body}");
        assert_eq!(body["items"], json!([]), "{q}");
    }

    // B cannot point its own records at A's role or team.
    let (s, body) = app
        .post(
            "/api/v1/users",
            Some(bt),
            json!({"email": "carl@bravo.test", "full_name": "Carl", "password": PASSWORD,
                   "role_id": role_id}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "role_id", "{body}");
    let b_user_role = app.role_id(&b, "user").await;
    let (s, body) = app
        .post(
            "/api/v1/users",
            Some(bt),
            json!({"email": "carl@bravo.test", "full_name": "Carl", "password": PASSWORD,
                   "role_id": b_user_role, "team_id": team_id}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "team_id", "{body}");
    let (s, body) = app
        .post(
            "/api/v1/api-keys",
            Some(bt),
            json!({"name": "stolen", "role_id": admin_role}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "role_id", "{body}");
    let bob = format!(
        "/api/v1/users/{}",
        ids_of(&app.get("/api/v1/users?q=bob", bt).await.1)
            .into_iter()
            .next()
            .unwrap()
    );
    let (s, body) = app.patch(&bob, bt, json!({"team_id": team_id})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "team_id", "{body}");

    // A's team did not gain a member.
    let (_, team_after) = app.get(&format!("/api/v1/teams/{team_id}"), at).await;
    assert_eq!(team_after["member_count"], 1);
    app.stop().await;
}

#[tokio::test]
async fn operators_cannot_read_tenant_records() {
    let app = spawn_app().await;
    let a = app.create_tenant("alpha").await;
    let hash = relais_api::password::Hasher::new(1)
        .hash(PASSWORD)
        .await
        .unwrap();
    let tx = app.db.platform_tx().await.unwrap();
    Operator::upsert(&*tx, "ops@relais.test", &hash)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (s, body) = app
        .post(
            "/api/v1/admin/auth/login",
            None,
            json!({"email": "ops@relais.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let op = body["access_token"].as_str().unwrap().to_owned();
    let (s, body) = app.get("/api/v1/admin/tenants", &op).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.to_string().contains("alpha"), "{body}");
    for path in [
        "/api/v1/users".to_owned(),
        format!("/api/v1/users/{}", a.admin.id),
        "/api/v1/roles".to_owned(),
        "/api/v1/teams".to_owned(),
        "/api/v1/api-keys".to_owned(),
        "/api/v1/me".to_owned(),
    ] {
        let (s, body) = app.get(&path, &op).await;
        assert_problem(s, &body, 401, "invalid_token");
    }
    // And a tenant token does not open the operator routes.
    let (s, body) = app.get("/api/v1/admin/tenants", &a.admin.token).await;
    assert_problem(s, &body, 401, "invalid_token");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_of_two_tenants_never_mix() {
    let app = spawn_app_with(|cfg| cfg.db_max_connections = 2).await;
    let a = app.create_tenant("alpha").await;
    let b = app.create_tenant("bravo").await;
    for i in 0..3 {
        app.create_user(&a, &format!("a{i}@alpha.test"), "user", None)
            .await;
        app.create_user(&b, &format!("b{i}@bravo.test"), "user", None)
            .await;
    }
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let (token, own, other) = if i % 2 == 0 {
            (a.admin.token.clone(), "@alpha.test", "@bravo.test")
        } else {
            (b.admin.token.clone(), "@bravo.test", "@alpha.test")
        };
        // Alternate two routes so that authentication and listing interleave differently.
        let path = if i % 4 < 2 {
            "/api/v1/users?limit=200"
        } else {
            "/api/v1/me"
        };
        let req = app.req(Method::GET, path, Some(&token));
        tasks.spawn(async move {
            let res = req.send().await.expect("request sent");
            let status = res.status();
            let text = res.text().await.unwrap();
            (i, path, own, other, status, text)
        });
    }
    let mut done = 0;
    while let Some(r) = tasks.join_next().await {
        let (i, path, own, other, status, text) = r.unwrap();
        assert_eq!(status, StatusCode::OK, "request {i} {path}: {text}");
        assert!(
            !text.contains(other),
            "request {i} ({own}) {path} saw the other tenant: {text}"
        );
        assert!(text.contains(own), "request {i} {path}: {text}");
        if path.starts_with("/api/v1/users") {
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(body["items"].as_array().unwrap().len(), 4, "{text}");
        }
        done += 1;
    }
    assert_eq!(done, 200);
    app.stop().await;
}
