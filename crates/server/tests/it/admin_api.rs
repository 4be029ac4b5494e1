//! Administration of users, roles and teams (AUTH-5…7), the permission matrix and record
//! scopes through the API, and privilege escalation.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

const TEMP_PASSWORD: &str = "temporary password 2024";

fn grant(resource: &str, action: &str, scope: &str) -> Value {
    json!({"resource": resource, "action": action, "scope": scope})
}

/// Send with optional If-Match; (status, body, ETag header).
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    if_match: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value, Option<String>) {
    let mut r = app.req(method, path, Some(token));
    if let Some(e) = if_match {
        r = r.header("if-match", e);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let res = r.send().await.unwrap();
    let status = res.status();
    let etag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, res.json().await.unwrap_or(Value::Null), etag)
}

/// GET a record and return it with its ETag.
async fn read(app: &TestApp, path: &str, token: &str) -> (Value, String) {
    let (s, body, etag) = send(app, Method::GET, path, token, None, None).await;
    assert_eq!(s, StatusCode::OK, "GET {path}: {body}");
    (body, etag.expect("ETag on GET"))
}

/// The first field error of a 422 answer, as (field, code).
fn field_error(status: StatusCode, body: &Value) -> (String, String) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "validation_failed", "{body}");
    let e = &body["errors"][0];
    (
        e["field"].as_str().unwrap_or_default().to_owned(),
        e["code"].as_str().unwrap_or_default().to_owned(),
    )
}

fn assert_field(status: StatusCode, body: &Value, field: &str, code: &str) {
    let (f, c) = field_error(status, body);
    assert_eq!((f.as_str(), c.as_str()), (field, code), "{body}");
}

fn ids(list: &Value) -> BTreeSet<String> {
    list.get("items")
        .unwrap_or(list)
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[&Uuid]) -> BTreeSet<String> {
    items.iter().map(|u| u.to_string()).collect()
}

async fn create_role(app: &TestApp, token: &str, key: &str, grants: Value) -> Uuid {
    let (s, body) = app
        .post(
            "/api/v1/roles",
            Some(token),
            json!({"key": key, "name": key, "grants": grants}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().parse().unwrap()
}

/// Active users with the built-in admin role, as the database sees them.
async fn active_admins(app: &TestApp, tenant: Uuid) -> i64 {
    let mut su = app.superuser().await;
    sqlx::query_scalar(
        "SELECT count(*) FROM users u JOIN roles r ON r.tenant_id = u.tenant_id \
         AND r.id = u.role_id WHERE u.tenant_id = $1 AND u.active AND r.key = 'admin'",
    )
    .bind(tenant)
    .fetch_one(&mut su)
    .await
    .unwrap()
}

#[tokio::test]
async fn user_lifecycle() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.as_str();
    let user_role = app.role_id(&t, "user").await;
    let manager_role = app.role_id(&t, "manager").await;

    // Create.
    let res = app
        .req(Method::POST, "/api/v1/users", Some(tok))
        .json(
            &json!({"email": "  Jane.Doe@Example.COM ", "full_name": " Jane Doe ",
                      "password": TEMP_PASSWORD, "role_id": user_role, "locale": "en"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let text = res.text().await.unwrap();
    let jane: Value = serde_json::from_str(&text).unwrap();
    let jane_id = jane["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/users/{jane_id}"));
    assert!(created_etag.starts_with('"') && created_etag.len() > 2);
    assert_eq!(jane["email"], "jane.doe@example.com");
    assert_eq!(jane["full_name"], "Jane Doe");
    assert_eq!(jane["role_id"], user_role.to_string());
    assert_eq!(jane["team_id"], Value::Null);
    assert_eq!(jane["locale"], "en");
    assert_eq!(jane["active"], true);
    assert_eq!(jane["must_change_password"], true);
    assert!(jane["created_at"].is_string() && jane["updated_at"].is_string());
    assert!(
        !text.contains("password_hash")
            && !text.contains("argon2")
            && !text.contains(TEMP_PASSWORD),
        "{text}"
    );

    // Read: same record, same ETag.
    let (read_back, etag) = read(&app, &location, tok).await;
    assert_eq!(read_back, jane);
    assert_eq!(etag, created_etag);

    // Jane signs in with the temporary password and must change it first.
    let (s, login) = app
        .login("jane.doe@example.com", TEMP_PASSWORD, Some("acme"))
        .await;
    assert_eq!(s, StatusCode::OK, "{login}");
    assert_eq!(login["user"]["must_change_password"], true);
    let jane_token = login["access_token"].as_str().unwrap();
    let (s, body) = app.get("/api/v1/users", jane_token).await;
    assert_problem(s, &body, 403, "password_change_required");

    // Duplicates and invalid input on create.
    let (s, body) = app
        .post(
            "/api/v1/users",
            Some(tok),
            json!({"email": "JANE.DOE@example.com", "full_name": "Other Jane",
                   "password": TEMP_PASSWORD, "role_id": user_role}),
        )
        .await;
    assert_field(s, &body, "email", "taken");
    let (s, body) = app
        .post(
            "/api/v1/users",
            Some(tok),
            json!({"email": "not-an-email", "full_name": "X", "password": TEMP_PASSWORD,
                   "role_id": user_role}),
        )
        .await;
    assert_field(s, &body, "email", "invalid_email");
    let (s, body) = app
        .post(
            "/api/v1/users",
            Some(tok),
            json!({"email": "x@acme.test", "full_name": "X", "password": TEMP_PASSWORD,
                   "role_id": Uuid::now_v7()}),
        )
        .await;
    assert_field(s, &body, "role_id", "not_found");
    let (s, body) = app
        .post(
            "/api/v1/users",
            Some(tok),
            json!({"email": "x@acme.test", "full_name": "X", "password": "short",
                   "role_id": user_role}),
        )
        .await;
    assert_field(s, &body, "password", "password_too_short");
    let (s, body) = app
        .post(
            "/api/v1/users",
            Some(tok),
            json!({"email": "x@acme.test", "full_name": "X", "password": TEMP_PASSWORD,
                   "role_id": user_role, "team_id": Uuid::now_v7()}),
        )
        .await;
    assert_field(s, &body, "team_id", "not_found");
    // Several invalid fields are reported together.
    let (s, body) = app
        .post(
            "/api/v1/users",
            Some(tok),
            json!({"email": "nope", "full_name": " ", "password": "short", "role_id": user_role}),
        )
        .await;
    field_error(s, &body);
    assert_eq!(body["errors"].as_array().unwrap().len(), 3, "{body}");

    // Update needs If-Match: 428 without, 412 when stale, 200 with the current ETag.
    let patch = json!({"full_name": "Jane Martin"});
    let (s, body, _) = send(
        &app,
        Method::PATCH,
        &location,
        tok,
        None,
        Some(patch.clone()),
    )
    .await;
    assert_problem(s, &body, 428, "precondition_required");
    let (s, body, _) = send(
        &app,
        Method::PATCH,
        &location,
        tok,
        Some("\"0000-stale\""),
        Some(patch.clone()),
    )
    .await;
    assert_problem(s, &body, 412, "precondition_failed");
    let (s, body, new_etag) = send(
        &app,
        Method::PATCH,
        &location,
        tok,
        Some(&etag),
        Some(patch.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["full_name"], "Jane Martin");
    let new_etag = new_etag.expect("ETag on PATCH");
    assert_ne!(new_etag, etag);
    assert_eq!(read(&app, &location, tok).await.1, new_etag);
    // The old ETag is now stale.
    let (s, body, _) = send(
        &app,
        Method::PATCH,
        &location,
        tok,
        Some(&etag),
        Some(json!({"full_name": "Lost Update"})),
    )
    .await;
    assert_problem(s, &body, 412, "precondition_failed");
    assert_eq!(
        read(&app, &location, tok).await.0["full_name"],
        "Jane Martin"
    );

    // Invalid values on update.
    let (s, body) = app
        .patch(&location, tok, json!({"email": "jane at example"}))
        .await;
    assert_field(s, &body, "email", "invalid_email");
    let (s, body) = app
        .patch(&location, tok, json!({"role_id": Uuid::now_v7()}))
        .await;
    assert_field(s, &body, "role_id", "not_found");
    let (s, body) = app
        .patch(&location, tok, json!({"email": "admin@acme.test"}))
        .await;
    assert_field(s, &body, "email", "taken");
    let (s, body) = app
        .patch(&location, tok, json!({"team_id": Uuid::now_v7()}))
        .await;
    assert_field(s, &body, "team_id", "not_found");

    // Role and team.
    let team = app.create_team(&t, "Ventes").await;
    let (s, body) = app
        .patch(
            &location,
            tok,
            json!({"team_id": team, "role_id": manager_role}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["team_id"], team.to_string());
    assert_eq!(body["role_id"], manager_role.to_string());
    // A patch without team_id keeps the team; null removes it.
    let (s, body) = app.patch(&location, tok, json!({"locale": "fr"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["team_id"], team.to_string());
    assert_eq!(body["locale"], "fr");
    let (s, body) = app.patch(&location, tok, json!({"team_id": null})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["team_id"], Value::Null);

    // The admin cannot deactivate themself, by DELETE or by PATCH.
    let me = format!("/api/v1/users/{}", t.admin.id);
    let (s, body) = app.delete(&me, tok).await;
    assert_problem(s, &body, 409, "cannot_deactivate_self");
    let (s, body) = app.patch(&me, tok, json!({"active": false})).await;
    assert_problem(s, &body, 409, "cannot_deactivate_self");
    assert_eq!(read(&app, &me, tok).await.0["active"], true);

    // Deactivate Jane: she can no longer sign in; reactivate her.
    let (s, body) = app.delete(&location, tok).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(read(&app, &location, tok).await.0["active"], false);
    let (s, _) = app
        .login("jane.doe@example.com", TEMP_PASSWORD, Some("acme"))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, body) = app.get("/api/v1/me", jane_token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    let (s, body) = app.patch(&location, tok, json!({"active": true})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["active"], true);
    let (s, _) = app
        .login("jane.doe@example.com", TEMP_PASSWORD, Some("acme"))
        .await;
    assert_eq!(s, StatusCode::OK);

    // Unknown ids.
    let ghost = format!("/api/v1/users/{}", Uuid::now_v7());
    let (s, body) = app.get(&ghost, tok).await;
    assert_problem(s, &body, 404, "not_found");
    let (s, body, _) = send(
        &app,
        Method::PATCH,
        &ghost,
        tok,
        Some("*"),
        Some(json!({"full_name": "Ghost"})),
    )
    .await;
    assert_problem(s, &body, 404, "not_found");
    let (s, body) = app.delete(&ghost, tok).await;
    assert_problem(s, &body, 404, "not_found");
    app.stop().await;
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.as_str();
    let me = format!("/api/v1/users/{}", t.admin.id);
    let admin_role = app.role_id(&t, "admin").await;
    let manager_role = app.role_id(&t, "manager").await;

    // Demoting oneself as the only admin.
    let (s, body) = app.patch(&me, tok, json!({"role_id": manager_role})).await;
    assert_problem(s, &body, 409, "last_admin");
    assert_eq!(
        read(&app, &me, tok).await.0["role_id"],
        admin_role.to_string()
    );

    // A custom role with every grant may manage the admin, but not remove the last one.
    let (_, roles) = app.get("/api/v1/roles", tok).await;
    let all_grants = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "admin")
        .unwrap()["grants"]
        .clone();
    create_role(&app, tok, "super", all_grants).await;
    let sup = app.create_user(&t, "sup@acme.test", "super", None).await;
    let (s, body) = app.delete(&me, &sup.token).await;
    assert_problem(s, &body, 409, "last_admin");
    let (s, body) = app.patch(&me, &sup.token, json!({"active": false})).await;
    assert_problem(s, &body, 409, "last_admin");
    let (s, body) = app
        .patch(&me, &sup.token, json!({"role_id": manager_role}))
        .await;
    assert_problem(s, &body, 409, "last_admin");
    let (admin, _) = read(&app, &me, tok).await;
    assert_eq!(admin["active"], true);
    assert_eq!(admin["role_id"], admin_role.to_string());
    assert_eq!(active_admins(&app, t.id).await, 1);

    // With a second admin, either may be demoted, but not both.
    let second = app.create_user(&t, "second@acme.test", "admin", None).await;
    let second_path = format!("/api/v1/users/{}", second.id);
    let (s, body) = app
        .patch(&second_path, tok, json!({"role_id": manager_role}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app.patch(&me, tok, json!({"role_id": manager_role})).await;
    assert_problem(s, &body, 409, "last_admin");
    let (s, body) = app
        .patch(&second_path, tok, json!({"role_id": admin_role}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // An inactive admin does not count.
    let (s, body) = app.delete(&second_path, tok).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, body) = app.patch(&me, tok, json!({"role_id": manager_role})).await;
    assert_problem(s, &body, 409, "last_admin");
    let (s, body) = app.patch(&second_path, tok, json!({"active": true})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app.patch(&me, tok, json!({"role_id": manager_role})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(active_admins(&app, t.id).await, 1);
    app.stop().await;
}

/// Two admins demote themselves at the same moment: one of them must stay admin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_demotions_keep_an_admin() {
    let app = spawn_app().await;
    for round in 0..8 {
        let t = app.create_tenant(&format!("race{round}")).await;
        let manager_role = app.role_id(&t, "manager").await;
        let second = app
            .create_user(&t, &format!("second@race{round}.test"), "admin", None)
            .await;
        let first_path = format!("/api/v1/users/{}", t.admin.id);
        let second_path = format!("/api/v1/users/{}", second.id);
        let (_, first_etag) = read(&app, &first_path, &t.admin.token).await;
        let (_, second_etag) = read(&app, &second_path, &second.token).await;
        let body = json!({"role_id": manager_role});
        let (r1, r2) = tokio::join!(
            send(
                &app,
                Method::PATCH,
                &first_path,
                &t.admin.token,
                Some(&first_etag),
                Some(body.clone())
            ),
            send(
                &app,
                Method::PATCH,
                &second_path,
                &second.token,
                Some(&second_etag),
                Some(body.clone())
            ),
        );
        for (s, b, _) in [&r1, &r2] {
            assert!(
                *s == StatusCode::OK || (*s == StatusCode::CONFLICT && b["code"] == "last_admin"),
                "round {round}: {s} {b}"
            );
        }
        assert_eq!(
            active_admins(&app, t.id).await,
            1,
            "round {round}: {:?} {:?}",
            r1.0,
            r2.0
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn admin_resets_a_password() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.as_str();
    let jane = app.create_user(&t, "jane@acme.test", "user", None).await;
    let path = format!("/api/v1/users/{}/password", jane.id);

    let (s, body) = app
        .post(&path, Some(tok), json!({"new_password": "short"}))
        .await;
    assert_field(s, &body, "new_password", "password_too_short");
    let (s, body) = app
        .post(
            &format!("/api/v1/users/{}/password", Uuid::now_v7()),
            Some(tok),
            json!({"new_password": TEMP_PASSWORD}),
        )
        .await;
    assert_problem(s, &body, 404, "not_found");

    let res = app
        .req(Method::POST, &path, Some(tok))
        .json(&json!({"new_password": TEMP_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.text().await.unwrap().is_empty());

    // The old password is gone; the new one works and must be changed at once.
    let (s, _) = app.login("jane@acme.test", PASSWORD, Some("acme")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, login) = app
        .login("jane@acme.test", TEMP_PASSWORD, Some("acme"))
        .await;
    assert_eq!(s, StatusCode::OK, "{login}");
    assert_eq!(login["user"]["must_change_password"], true);
    let token = login["access_token"].as_str().unwrap().to_owned();
    let (s, body) = app.get("/api/v1/users", &token).await;
    assert_problem(s, &body, 403, "password_change_required");
    let (user, _) = read(&app, &format!("/api/v1/users/{}", jane.id), tok).await;
    assert_eq!(user["must_change_password"], true);
    // Her refresh token from before the reset no longer works.
    let (s, body) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": jane.refresh_token}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");

    // Once changed, the flag is cleared.
    let (s, body) = app
        .post(
            "/api/v1/auth/password/change",
            Some(&token),
            json!({"current_password": TEMP_PASSWORD, "new_password": "my very own passphrase"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, login) = app
        .login("jane@acme.test", "my very own passphrase", Some("acme"))
        .await;
    assert_eq!(s, StatusCode::OK, "{login}");
    assert_eq!(login["user"]["must_change_password"], false);
    app.stop().await;
}

#[tokio::test]
async fn user_list_filters_and_cursor_pagination() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.as_str();
    let t1 = app.create_team(&t, "One").await;
    let t2 = app.create_team(&t, "Two").await;
    let user_role = app.role_id(&t, "user").await;
    let manager_role = app.role_id(&t, "manager").await;
    let (s, alice) = app
        .post(
            "/api/v1/users",
            Some(tok),
            json!({"email": "alice@acme.test", "full_name": "Alice Martin",
                   "password": TEMP_PASSWORD, "role_id": user_role, "team_id": t1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{alice}");
    let alice: Uuid = alice["id"].as_str().unwrap().parse().unwrap();
    let bob = app
        .create_user(&t, "bob@acme.test", "manager", Some(t1))
        .await
        .id;
    let carol = app
        .create_user(&t, "carol@acme.test", "viewer", Some(t2))
        .await
        .id;
    let dave = app
        .create_user(&t, "dave@other.test", "user", None)
        .await
        .id;
    let (s, body) = app.delete(&format!("/api/v1/users/{dave}"), tok).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let admin = t.admin.id;

    let list = |q: String| {
        let app = &app;
        async move {
            let (s, body) = app.get(&format!("/api/v1/users{q}"), tok).await;
            assert_eq!(s, StatusCode::OK, "{q}: {body}");
            ids(&body)
        }
    };
    assert_eq!(
        list(String::new()).await,
        set(&[&admin, &alice, &bob, &carol, &dave])
    );
    assert_eq!(list("?q=MARTIN".into()).await, set(&[&alice]));
    assert_eq!(list("?q=other.test".into()).await, set(&[&dave]));
    assert_eq!(list("?q=zzz".into()).await, set(&[]));
    assert_eq!(list("?active=false".into()).await, set(&[&dave]));
    assert_eq!(
        list("?active=true".into()).await,
        set(&[&admin, &alice, &bob, &carol])
    );
    assert_eq!(list(format!("?team_id={t1}")).await, set(&[&alice, &bob]));
    assert_eq!(list(format!("?team_id={t2}")).await, set(&[&carol]));
    assert_eq!(
        list(format!("?role_id={user_role}")).await,
        set(&[&alice, &dave])
    );
    assert_eq!(list(format!("?role_id={manager_role}")).await, set(&[&bob]));
    assert_eq!(
        list(format!(
            "?team_id={t1}&role_id={user_role}&active=true&q=alice"
        ))
        .await,
        set(&[&alice])
    );

    // limit=1 walks every user exactly once, in id order.
    for (filter, expected) in [
        ("", set(&[&admin, &alice, &bob, &carol, &dave])),
        ("&active=true", set(&[&admin, &alice, &bob, &carol])),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..20 {
            let path = match &cursor {
                Some(c) => format!("/api/v1/users?limit=1{filter}&cursor={c}"),
                None => format!("/api/v1/users?limit=1{filter}"),
            };
            let (s, page) = app.get(&path, tok).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            let items = page["items"].as_array().unwrap();
            assert_eq!(items.len(), 1, "{path}: {page}");
            seen.push(items[0]["id"].as_str().unwrap().to_owned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => {
                    cursor = None;
                    break;
                }
            }
        }
        assert!(cursor.is_none(), "pagination did not end");
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "a user came twice: {seen:?}");
        assert_eq!(unique, expected);
        let mut sorted = seen.clone();
        sorted.sort_by_key(|s| s.parse::<Uuid>().unwrap());
        assert_eq!(seen, sorted, "pages are not in id order");
    }

    // A full page ends the list.
    let (_, page) = app.get("/api/v1/users?limit=5", tok).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert_eq!(page["next_cursor"], Value::Null);
    let (_, page) = app.get("/api/v1/users?limit=200", tok).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5);

    for bad in ["0", "201", "100000"] {
        let (s, body) = app.get(&format!("/api/v1/users?limit={bad}"), tok).await;
        assert_field(s, &body, "limit", "out_of_range");
    }
    for bad in ["garbage!", "AAAA", "bm90LWEtdXVpZA"] {
        let (s, body) = app.get(&format!("/api/v1/users?cursor={bad}"), tok).await;
        assert_field(s, &body, "cursor", "invalid_cursor");
    }
    app.stop().await;
}

#[tokio::test]
async fn roles_administration() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.as_str();

    let (s, roles) = app.get("/api/v1/roles", tok).await;
    assert_eq!(s, StatusCode::OK, "{roles}");
    let roles = roles.as_array().unwrap().clone();
    let keys: Vec<&str> = roles.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["admin", "manager", "user", "viewer"]);
    assert!(roles.iter().all(|r| r["builtin"] == true));
    assert_eq!(roles[0]["grants"].as_array().unwrap().len(), 15 * 7);

    // Built-in roles cannot be changed or deleted.
    for r in &roles {
        let path = format!("/api/v1/roles/{}", r["id"].as_str().unwrap());
        let (before, etag) = read(&app, &path, tok).await;
        let (s, body, _) = send(
            &app,
            Method::PATCH,
            &path,
            tok,
            Some(&etag),
            Some(json!({"name": "Renamed", "grants": []})),
        )
        .await;
        assert_problem(s, &body, 409, "builtin_role");
        let (s, body) = app.delete(&path, tok).await;
        assert_problem(s, &body, 409, "builtin_role");
        assert_eq!(read(&app, &path, tok).await.0, before);
    }

    // Create a custom role.
    let grants = json!([grant("users", "read", "team")]);
    let res = app
        .req(Method::POST, "/api/v1/roles", Some(tok))
        .json(&json!({"key": "direction", "name": "Direction",
                      "description": "Comité de direction", "grants": grants}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(res.headers().contains_key("etag"));
    let role: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/roles/{}", role["id"].as_str().unwrap())
    );
    assert_eq!(role["key"], "direction");
    assert_eq!(role["name"], "Direction");
    assert_eq!(role["description"], "Comité de direction");
    assert_eq!(role["builtin"], false);
    assert_eq!(role["grants"], grants);
    assert_eq!(read(&app, &location, tok).await.0, role);

    // Invalid input.
    let create = |body: Value| async { app.post("/api/v1/roles", Some(tok), body).await };
    let (s, body) = create(json!({"key": "direction", "name": "Other", "grants": []})).await;
    assert_field(s, &body, "key", "taken");
    for bad_key in [
        "Direction",
        "a",
        "with space",
        "-dash",
        "é",
        &"k".repeat(64),
    ] {
        let (s, body) = create(json!({"key": bad_key, "name": "X", "grants": []})).await;
        assert_field(s, &body, "key", "invalid_slug");
    }
    let (s, body) = create(json!({"key": "empty-name", "name": "  ", "grants": []})).await;
    assert_field(s, &body, "name", "required");
    let (s, body) = create(
        json!({"key": "long", "name": "X", "description": "d".repeat(2001),
                                  "grants": []}),
    )
    .await;
    assert_field(s, &body, "description", "too_long");
    for (g, field) in [
        (grant("spaceships", "read", "all"), "grants[0].resource"),
        (grant("users", "fly", "all"), "grants[0].action"),
        (grant("users", "read", "galaxy"), "grants[0].scope"),
        (
            json!({"resource": "users", "action": "read"}),
            "grants[0].scope",
        ),
        (
            json!({"resource": "users", "action": "read", "scope": "all", "x": 1}),
            "grants[0].x",
        ),
        (json!("users:read"), "grants[0]"),
    ] {
        let (s, body) = create(json!({"key": "bad-grants", "name": "X", "grants": [g]})).await;
        let (f, _) = field_error(s, &body);
        assert_eq!(f, field, "{body}");
    }
    let (s, body) = create(json!({"key": "bad-grants", "name": "X", "grants": {}})).await;
    assert_field(s, &body, "grants", "invalid_type");
    let (s, body) = create(json!({"key": "no-grants", "name": "X"})).await;
    assert_field(s, &body, "grants", "required");

    // Update a custom role.
    let (s, body, _) = send(
        &app,
        Method::PATCH,
        &location,
        tok,
        None,
        Some(json!({"name": "Direction générale"})),
    )
    .await;
    assert_problem(s, &body, 428, "precondition_required");
    let new_grants = json!([grant("users", "read", "all"), grant("teams", "read", "all")]);
    let (s, body) = app
        .patch(
            &location,
            tok,
            json!({"name": "Direction générale", "grants": new_grants}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Direction générale");
    assert_eq!(body["key"], "direction");
    assert_eq!(body["description"], "Comité de direction");
    assert_eq!(body["grants"], new_grants);
    let (s, body) = app
        .patch(&location, tok, json!({"description": "d".repeat(2001)}))
        .await;
    assert_field(s, &body, "description", "too_long");
    let (s, body) = app
        .patch(
            &location,
            tok,
            json!({"grants": [grant("users", "read", "everywhere")]}),
        )
        .await;
    assert_eq!(field_error(s, &body).0, "grants[0].scope");
    assert_eq!(read(&app, &location, tok).await.0["grants"], new_grants);

    // A role in use by a user or an API key cannot be deleted.
    let direction: Uuid = role["id"].as_str().unwrap().parse().unwrap();
    let (s, body) = app
        .post(
            "/api/v1/users",
            Some(tok),
            json!({"email": "dg@acme.test", "full_name": "DG", "password": TEMP_PASSWORD,
                   "role_id": direction}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let dg = body["id"].as_str().unwrap().to_owned();
    let (s, body) = app.delete(&location, tok).await;
    assert_problem(s, &body, 409, "role_in_use");
    let integration = create_role(
        &app,
        tok,
        "integration",
        json!([grant("users", "read", "all")]),
    )
    .await;
    let (s, body) = app
        .post(
            "/api/v1/api-keys",
            Some(tok),
            json!({"name": "ERP", "role_id": integration}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app
        .delete(&format!("/api/v1/roles/{integration}"), tok)
        .await;
    assert_problem(s, &body, 409, "role_in_use");

    // Once unused, it can be deleted.
    let user_role = app.role_id(&t, "user").await;
    let (s, body) = app
        .patch(
            &format!("/api/v1/users/{dg}"),
            tok,
            json!({"role_id": user_role}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app.delete(&location, tok).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, body) = app.get(&location, tok).await;
    assert_problem(s, &body, 404, "not_found");
    let (s, body) = app.delete(&location, tok).await;
    assert_problem(s, &body, 404, "not_found");
    let (_, roles) = app.get("/api/v1/roles", tok).await;
    assert!(!ids(&roles).contains(&direction.to_string()));
    // The key may be reused.
    create_role(&app, tok, "direction", json!([])).await;
    app.stop().await;
}

#[tokio::test]
async fn teams_administration() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.as_str();

    let res = app
        .req(Method::POST, "/api/v1/teams", Some(tok))
        .json(&json!({"name": "Ventes", "description": "Équipe commerciale"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(res.headers().contains_key("etag"));
    let ventes: Value = res.json().await.unwrap();
    let ventes_id: Uuid = ventes["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(location, format!("/api/v1/teams/{ventes_id}"));
    assert_eq!(ventes["name"], "Ventes");
    assert_eq!(ventes["description"], "Équipe commerciale");
    assert_eq!(ventes["member_count"], 0);
    assert_eq!(read(&app, &location, tok).await.0, ventes);

    // Names are unique, case-insensitively, on create and on rename.
    let (s, body) = app
        .post("/api/v1/teams", Some(tok), json!({"name": "VENTES"}))
        .await;
    assert_field(s, &body, "name", "taken");
    let (s, body) = app
        .post("/api/v1/teams", Some(tok), json!({"name": "Gestion"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let gestion = format!("/api/v1/teams/{}", body["id"].as_str().unwrap());
    let (s, body) = app.patch(&gestion, tok, json!({"name": "ventes"})).await;
    assert_field(s, &body, "name", "taken");
    let (s, body) = app
        .post("/api/v1/teams", Some(tok), json!({"name": ""}))
        .await;
    assert_field(s, &body, "name", "required");
    let (s, body) = app
        .post("/api/v1/teams", Some(tok), json!({"name": "n".repeat(201)}))
        .await;
    assert_field(s, &body, "name", "too_long");

    // Rename with If-Match.
    let (_, etag) = read(&app, &gestion, tok).await;
    let (s, body, _) = send(
        &app,
        Method::PATCH,
        &gestion,
        tok,
        None,
        Some(json!({"name": "Gestion privée"})),
    )
    .await;
    assert_problem(s, &body, 428, "precondition_required");
    let (s, body, _) = send(
        &app,
        Method::PATCH,
        &gestion,
        tok,
        Some(&etag),
        Some(json!({"name": "Gestion privée"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Gestion privée");
    let (s, body, _) = send(
        &app,
        Method::PATCH,
        &gestion,
        tok,
        Some(&etag),
        Some(json!({"name": "Again"})),
    )
    .await;
    assert_problem(s, &body, 412, "precondition_failed");

    // Members.
    let m1 = app
        .create_user(&t, "m1@acme.test", "user", Some(ventes_id))
        .await;
    let m2 = app
        .create_user(&t, "m2@acme.test", "manager", Some(ventes_id))
        .await;
    assert_eq!(read(&app, &location, tok).await.0["member_count"], 2);
    let (_, list) = app.get("/api/v1/teams", tok).await;
    let counts: Vec<(String, i64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["member_count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [("Gestion privée".to_owned(), 0), ("Ventes".to_owned(), 2)]
    );

    // Deleting the team keeps its members, without a team.
    let (s, body) = app.delete(&location, tok).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, body) = app.get(&location, tok).await;
    assert_problem(s, &body, 404, "not_found");
    for m in [&m1, &m2] {
        let (u, _) = read(&app, &format!("/api/v1/users/{}", m.id), tok).await;
        assert_eq!(u["team_id"], Value::Null, "{u}");
        assert_eq!(u["active"], true);
    }
    let (s, body) = app.delete(&location, tok).await;
    assert_problem(s, &body, 404, "not_found");
    // The name is free again.
    let (s, body) = app
        .post("/api/v1/teams", Some(tok), json!({"name": "ventes"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    app.stop().await;
}

/// One table: for each operation, the expected status for admin, manager, user, viewer.
#[tokio::test]
async fn permission_matrix() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.clone();
    let team = app.create_team(&t, "Fixture").await;
    let victim_team = app.create_team(&t, "Victim").await;
    let fixture_user = app
        .create_user(&t, "fixture@acme.test", "user", None)
        .await
        .id;
    let victim_user = app
        .create_user(&t, "victim@acme.test", "user", None)
        .await
        .id;
    let role = create_role(
        &app,
        &tok,
        "fixture",
        json!([grant("users", "read", "own")]),
    )
    .await;
    let victim_role = create_role(&app, &tok, "victim", json!([])).await;
    let viewer_role = app.role_id(&t, "viewer").await;
    let mut keys = Vec::new();
    for name in ["fixture", "victim"] {
        let (s, k) = app
            .post(
                "/api/v1/api-keys",
                Some(&tok),
                json!({"name": name, "role_id": viewer_role}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{k}");
        keys.push(k["id"].as_str().unwrap().to_owned());
    }
    let tokens = [
        ("admin", tok.clone()),
        (
            "manager",
            app.create_user(&t, "manager@acme.test", "manager", Some(team))
                .await
                .token,
        ),
        (
            "user",
            app.create_user(&t, "user@acme.test", "user", Some(team))
                .await
                .token,
        ),
        (
            "viewer",
            app.create_user(&t, "viewer@acme.test", "viewer", None)
                .await
                .token,
        ),
    ];

    use Method as M;
    let new_user = json!({"email": "new@acme.test", "full_name": "New", "password": TEMP_PASSWORD,
                          "role_id": viewer_role});
    let new_role = json!({"key": "new-role", "name": "New", "grants": []});
    let new_key = json!({"name": "new key", "role_id": viewer_role});
    let password = json!({"new_password": TEMP_PASSWORD});
    #[rustfmt::skip]
    let table: Vec<(M, &str, Option<Value>, [u16; 4])> = vec![
        //                                                            admin manager user viewer
        (M::GET,    "/api/v1/users",                     None,                 [200, 200, 200, 200]),
        (M::GET,    "/api/v1/users/{user}",              None,                 [200, 200, 200, 200]),
        (M::POST,   "/api/v1/users",                     Some(new_user),       [201, 403, 403, 403]),
        (M::PATCH,  "/api/v1/users/{victim_user}",       Some(json!({"full_name": "Renamed"})), [200, 403, 403, 403]),
        (M::POST,   "/api/v1/users/{victim_user}/password", Some(password),    [204, 403, 403, 403]),
        (M::DELETE, "/api/v1/users/{victim_user}",       None,                 [204, 403, 403, 403]),
        (M::GET,    "/api/v1/roles",                     None,                 [200, 200, 200, 200]),
        (M::GET,    "/api/v1/roles/{role}",              None,                 [200, 200, 200, 200]),
        (M::POST,   "/api/v1/roles",                     Some(new_role),       [201, 403, 403, 403]),
        (M::PATCH,  "/api/v1/roles/{victim_role}",       Some(json!({"name": "Renamed"})), [200, 403, 403, 403]),
        (M::DELETE, "/api/v1/roles/{victim_role}",       None,                 [204, 403, 403, 403]),
        (M::GET,    "/api/v1/teams",                     None,                 [200, 200, 200, 200]),
        (M::GET,    "/api/v1/teams/{team}",              None,                 [200, 200, 200, 200]),
        (M::POST,   "/api/v1/teams",                     Some(json!({"name": "New"})), [201, 403, 403, 403]),
        (M::PATCH,  "/api/v1/teams/{victim_team}",       Some(json!({"name": "Renamed"})), [200, 403, 403, 403]),
        (M::DELETE, "/api/v1/teams/{victim_team}",       None,                 [204, 403, 403, 403]),
        (M::GET,    "/api/v1/api-keys",                  None,                 [200, 403, 403, 403]),
        (M::GET,    "/api/v1/api-keys/{key}",            None,                 [200, 403, 403, 403]),
        (M::POST,   "/api/v1/api-keys",                  Some(new_key),        [201, 403, 403, 403]),
        (M::DELETE, "/api/v1/api-keys/{victim_key}",     None,                 [204, 403, 403, 403]),
        (M::GET,    "/api/v1/me",                        None,                 [200, 200, 200, 200]),
    ];
    let fill = |p: &str| {
        p.replace("{victim_user}", &victim_user.to_string())
            .replace("{user}", &fixture_user.to_string())
            .replace("{victim_role}", &victim_role.to_string())
            .replace("{role}", &role.to_string())
            .replace("{victim_team}", &victim_team.to_string())
            .replace("{team}", &team.to_string())
            .replace("{victim_key}", &keys[1])
            .replace("{key}", &keys[0])
    };
    // Refused writes change nothing, so every other role runs first and the admin last, on
    // records kept for it.
    let mut failures = Vec::new();
    for who in [1, 2, 3, 0] {
        let (role_key, token) = &tokens[who];
        for (method, path, body, expected) in &table {
            let path = fill(path);
            let want = expected[who];
            let (status, answer) = if *method == M::PATCH {
                app.patch(&path, token, body.clone().unwrap()).await
            } else {
                app.call(method.clone(), &path, Some(token), body.clone())
                    .await
            };
            let code_ok = want != 403 || answer["code"] == "forbidden";
            if status.as_u16() != want || !code_ok {
                failures.push(format!(
                    "{role_key} {method} {path}: want {want}, got {status} {answer}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The refused writes really changed nothing: the admin's were the only ones.
    let mut su = app.superuser().await;
    let (users, roles, teams, keys): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM roles), \
         (SELECT count(*) FROM teams), (SELECT count(*) FROM api_keys)",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    // users: admin, fixture, victim, manager, user, viewer + 1 created by the admin.
    assert_eq!(
        (users, roles, teams, keys),
        (7, 4 + 2 + 1 - 1, 2 + 1 - 1, 2 + 1)
    );
    app.stop().await;
}

#[tokio::test]
async fn record_scope_of_custom_roles() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.as_str();
    let t1 = app.create_team(&t, "One").await;
    let t2 = app.create_team(&t, "Two").await;
    for (key, scope) in [
        ("own-reader", "own"),
        ("team-reader", "team"),
        ("all-reader", "all"),
    ] {
        create_role(&app, tok, key, json!([grant("users", "read", scope)])).await;
    }
    let own = app
        .create_user(&t, "own@acme.test", "own-reader", Some(t1))
        .await;
    let team = app
        .create_user(&t, "team@acme.test", "team-reader", Some(t1))
        .await;
    let loner = app
        .create_user(&t, "loner@acme.test", "team-reader", None)
        .await;
    let all = app
        .create_user(&t, "all@acme.test", "all-reader", Some(t2))
        .await;
    let mate = app
        .create_user(&t, "mate@acme.test", "user", Some(t1))
        .await;
    let other = app
        .create_user(&t, "other@acme.test", "user", Some(t2))
        .await;
    let admin = t.admin.id;

    let list = |token: &str, q: &str| {
        let (app, path) = (&app, format!("/api/v1/users{q}"));
        let token = token.to_owned();
        async move {
            let (s, body) = app.get(&path, &token).await;
            assert_eq!(s, StatusCode::OK, "{path}: {body}");
            ids(&body)
        }
    };
    let everyone = set(&[
        &admin, &own.id, &team.id, &loner.id, &all.id, &mate.id, &other.id,
    ]);

    // own: only the caller.
    assert_eq!(list(&own.token, "").await, set(&[&own.id]));
    // team: the members of the caller's team; without a team, only the caller.
    assert_eq!(
        list(&team.token, "").await,
        set(&[&own.id, &team.id, &mate.id])
    );
    assert_eq!(list(&loner.token, "").await, set(&[&loner.id]));
    // all: everyone.
    assert_eq!(list(&all.token, "").await, everyone);

    // Pagination stays within the scope.
    let (_, page) = app.get("/api/v1/users?limit=2", &team.token).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page2) = app
        .get(
            &format!("/api/v1/users?limit=2&cursor={cursor}"),
            &team.token,
        )
        .await;
    let mut walked = ids(&page);
    walked.extend(ids(&page2));
    assert_eq!(walked, set(&[&own.id, &team.id, &mate.id]));
    assert_eq!(page2["next_cursor"], Value::Null);

    // Filters apply within the scope, and never widen it.
    let team_filter_other = format!("?team_id={t2}");
    assert_eq!(list(&team.token, &team_filter_other).await, set(&[]));
    assert_eq!(list(&team.token, "?q=mate").await, set(&[&mate.id]));
    assert_eq!(list(&team.token, "?q=other").await, set(&[]));
    assert_eq!(list(&own.token, "?q=own").await, set(&[&own.id]));
    assert_eq!(list(&own.token, "?q=mate").await, set(&[]));
    assert_eq!(list(&own.token, "?active=false").await, set(&[]));
    assert_eq!(list(&own.token, &team_filter_other).await, set(&[]));
    assert_eq!(list(&loner.token, "?q=nobody").await, set(&[]));

    // Single reads outside the scope are not found.
    let get = |token: String, id: Uuid| {
        let app = &app;
        async move { app.get(&format!("/api/v1/users/{id}"), &token).await }
    };
    for (who, token, visible) in [
        ("own", &own.token, vec![own.id]),
        ("team", &team.token, vec![own.id, team.id, mate.id]),
        ("loner", &loner.token, vec![loner.id]),
        (
            "all",
            &all.token,
            everyone.iter().map(|s| s.parse().unwrap()).collect(),
        ),
    ] {
        for id in everyone.iter().map(|s| s.parse::<Uuid>().unwrap()) {
            let (s, body) = get(token.clone(), id).await;
            if visible.contains(&id) {
                assert_eq!(s, StatusCode::OK, "{who} reading {id}: {body}");
            } else {
                assert_problem(s, &body, 404, "not_found");
            }
        }
    }
    // Without users:update, nobody of them can write, whatever the scope.
    let (s, body) = app
        .patch(
            &format!("/api/v1/users/{}", own.id),
            &own.token,
            json!({"full_name": "Me"}),
        )
        .await;
    assert_problem(s, &body, 403, "forbidden");
    app.stop().await;
}

#[tokio::test]
async fn no_privilege_escalation() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.as_str();
    let admin_role = app.role_id(&t, "admin").await;
    let manager_role = app.role_id(&t, "manager").await;
    let ua_grants = json!([
        grant("users", "read", "all"),
        grant("users", "create", "all"),
        grant("users", "update", "all"),
        grant("users", "delete", "all"),
        grant("roles", "read", "all"),
        grant("roles", "create", "all"),
        grant("roles", "update", "all"),
        grant("teams", "read", "all"),
    ]);
    let ua_role = create_role(&app, tok, "user-admin", ua_grants.clone()).await;
    let ua = app
        .create_user(&t, "ua@acme.test", "user-admin", None)
        .await;
    let narrow = create_role(&app, tok, "narrow", json!([grant("users", "read", "own")])).await;
    let victim = app
        .create_user(&t, "victim@acme.test", "narrow", None)
        .await;
    let victim_path = format!("/api/v1/users/{}", victim.id);
    let new_user = |email: &str, role: Uuid| json!({"email": email, "full_name": "X", "password": TEMP_PASSWORD, "role_id": role});

    // Users with a wider role cannot be created...
    for role in [admin_role, manager_role] {
        let (s, body) = app
            .post(
                "/api/v1/users",
                Some(&ua.token),
                new_user("x@acme.test", role),
            )
            .await;
        assert_field(s, &body, "role_id", "exceeds_own_grants");
    }
    // ...nor can a wider role be given, to someone else or to oneself.
    let (s, body) = app
        .patch(&victim_path, &ua.token, json!({"role_id": admin_role}))
        .await;
    assert_field(s, &body, "role_id", "exceeds_own_grants");
    let (s, body) = app
        .patch(
            &format!("/api/v1/users/{}", ua.id),
            &ua.token,
            json!({"role_id": admin_role}),
        )
        .await;
    assert_field(s, &body, "role_id", "exceeds_own_grants");

    // Roles wider than one's own cannot be created or edited into existence.
    for extra in [
        grant("users", "manage", "all"),
        grant("settings", "manage", "all"),
        grant("roles", "delete", "all"),
        grant("api_keys", "create", "all"),
    ] {
        let mut grants = ua_grants.as_array().unwrap().clone();
        grants.push(extra);
        let (s, body) = app
            .post(
                "/api/v1/roles",
                Some(&ua.token),
                json!({"key": "wider", "name": "Wider", "grants": grants}),
            )
            .await;
        assert_field(s, &body, "grants", "exceeds_own_grants");
    }
    let (s, body) = app
        .patch(
            &format!("/api/v1/roles/{narrow}"),
            &ua.token,
            json!({"grants": [grant("organisations", "read", "all")]}),
        )
        .await;
    assert_field(s, &body, "grants", "exceeds_own_grants");
    let (s, body) = app
        .patch(
            &format!("/api/v1/roles/{ua_role}"),
            &ua.token,
            json!({"grants": [grant("users", "read", "all"), grant("settings", "read", "all")]}),
        )
        .await;
    assert_field(s, &body, "grants", "exceeds_own_grants");
    let (s, body) = app
        .post(
            "/api/v1/api-keys",
            Some(&ua.token),
            json!({"name": "k", "role_id": narrow}),
        )
        .await;
    assert_problem(s, &body, 403, "forbidden");

    // Within their own rights, they work.
    let (s, body) = app
        .post(
            "/api/v1/roles",
            Some(&ua.token),
            json!({"key": "readers", "name": "Readers", "grants": [grant("users", "read", "team")]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app
        .post(
            "/api/v1/users",
            Some(&ua.token),
            new_user("peer@acme.test", ua_role),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app
        .patch(&victim_path, &ua.token, json!({"full_name": "Victor"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // An account that holds more rights than the caller cannot be taken over: no password
    // reset, no email change, no deactivation of an administrator.
    let admin_path = format!("/api/v1/users/{}", t.admin.id);
    let (before, _) = read(&app, &admin_path, tok).await;
    let (s, body) = app
        .post(
            &format!("{admin_path}/password"),
            Some(&ua.token),
            json!({"new_password": "i own this firm now"}),
        )
        .await;
    assert_problem(s, &body, 403, "forbidden");
    let (s, body) = app
        .patch(
            &admin_path,
            &ua.token,
            json!({"email": "ua+admin@acme.test"}),
        )
        .await;
    assert_problem(s, &body, 403, "forbidden");
    let (s, body) = app.delete(&admin_path, &ua.token).await;
    assert_problem(s, &body, 403, "forbidden");
    assert_eq!(read(&app, &admin_path, tok).await.0, before);
    app.sign_in("admin@acme.test", Some("acme")).await;

    // Nothing moved: one admin, and ua still holds exactly its role.
    assert_eq!(active_admins(&app, t.id).await, 1);
    let (_, me) = app.get("/api/v1/me", &ua.token).await;
    assert_eq!(me["role"]["key"], "user-admin");
    let (_, role) = app.get(&format!("/api/v1/roles/{ua_role}"), tok).await;
    assert_eq!(role["grants"].as_array().unwrap().len(), 8);
    app.stop().await;
}
