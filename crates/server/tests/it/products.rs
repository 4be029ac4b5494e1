//! Products over HTTP: ISIN and internal codes, code uniqueness, CRUD with ETags, lists,
//! permissions (read for all, write for admins), idempotency, history and tenant isolation.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, p) = app.post("/api/v1/products", Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p
}

fn codes(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["code"].as_str().unwrap().to_owned())
        .collect()
}

fn error_codes(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn crud_with_etags_and_history() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let res = app
        .req(Method::POST, "/api/v1/products", Some(tok))
        .json(
            &json!({"name": "TotalEnergies", "code": " fr0000120271 ", "category": "opcvm",
                      "notes": "Action"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let p: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/products/{}", p["id"].as_str().unwrap())
    );
    assert_eq!(p["code"], "FR0000120271");
    assert_eq!(p["is_isin"], true);
    assert_eq!(p["category"], "opcvm");
    assert_eq!(p["active"], true);

    let res = app
        .req(Method::GET, &location, Some(tok))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);

    // PATCH needs If-Match: 428 without, 412 when stale.
    let res = app
        .req(Method::PATCH, &location, Some(tok))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_REQUIRED);
    let res = app
        .req(Method::PATCH, &location, Some(tok))
        .header("if-match", "\"stale\"")
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let (status, updated) = app
        .patch(
            &location,
            tok,
            json!({"active": false, "notes": null, "code": "scpi-rivoli", "category": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["active"], false);
    assert_eq!(updated["notes"], Value::Null);
    assert_eq!(updated["code"], "SCPI-RIVOLI");
    assert_eq!(updated["is_isin"], false);
    assert_eq!(updated["category"], Value::Null);
    // The old ETag is now stale.
    let res = app
        .req(Method::PATCH, &location, Some(tok))
        .header("if-match", &etag)
        .json(&json!({"name": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);

    let (status, hist) = app.get(&format!("{location}/history"), tok).await;
    assert_eq!(status, StatusCode::OK, "{hist}");
    let types: Vec<&str> = hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["product.updated", "product.created"]);
    let upd = &hist["items"][0]["data"];
    assert_eq!(upd["before"]["code"], "FR0000120271");
    assert_eq!(upd["after"]["code"], "SCPI-RIVOLI");
    assert!(
        upd["before"].get("name").is_none(),
        "unchanged fields left out"
    );

    let (status, _) = app.delete(&location, tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&location, tok).await;
    assert_problem(status, &body, 404, "not_found");
    let (_, list) = app.get("/api/v1/products", tok).await;
    assert_eq!(list["items"], json!([]));
    let mut su = app.superuser().await;
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE type = 'product.deleted' AND record_id = $1::uuid",
    )
    .bind(p["id"].as_str().unwrap())
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(n, 1, "the deletion is recorded");
    app.stop().await;
}

#[tokio::test]
async fn isin_and_internal_codes_are_validated() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let (status, body) = app
        .post(
            "/api/v1/products",
            Some(tok),
            json!({"name": "Total", "code": "FR0000120272"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(error_codes(&body), [("code".into(), "invalid_isin".into())]);
    let (status, body) = app
        .post(
            "/api/v1/products",
            Some(tok),
            json!({"name": " ", "code": "bad code!", "category": "bonds"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(error_codes(&body), [("category".into(), "invalid".into())]);
    let (status, body) = app
        .post(
            "/api/v1/products",
            Some(tok),
            json!({"name": " ", "code": "bad code!"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        error_codes(&body),
        [
            ("name".into(), "required".into()),
            ("code".into(), "invalid_code".into())
        ]
    );
    let (status, body) = app
        .post(
            "/api/v1/products",
            Some(tok),
            json!({"name": "Long", "code": "A".repeat(41)}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (_, list) = app.get("/api/v1/products", tok).await;
    assert_eq!(list["items"], json!([]), "nothing was created");

    let apple = create(
        &app,
        tok,
        json!({"name": "Apple", "code": "US0378331005", "category": "other"}),
    )
    .await;
    assert_eq!(apple["is_isin"], true);
    let internal = create(&app, tok, json!({"name": "Maison", "code": "ab-123456789"})).await;
    assert_eq!(internal["code"], "AB-123456789");
    assert_eq!(internal["is_isin"], false);
    // A valid product refuses an invalid ISIN on PATCH too, and stays as it was.
    let url = format!("/api/v1/products/{}", apple["id"].as_str().unwrap());
    let (status, body) = app.patch(&url, tok, json!({"code": "US0378331006"})).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "invalid_isin");
    let (_, again) = app.get(&url, tok).await;
    assert_eq!(again["code"], "US0378331005");
    app.stop().await;
}

#[tokio::test]
async fn codes_are_unique_per_tenant_whatever_the_case() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let tok = &t.admin.token;
    let first = create(&app, tok, json!({"name": "One", "code": "ABC-1"})).await;
    let (status, body) = app
        .post(
            "/api/v1/products",
            Some(tok),
            json!({"name": "Two", "code": "abc-1"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(error_codes(&body), [("code".into(), "taken".into())]);
    // Another tenant may use the same code.
    create(
        &app,
        &b.admin.token,
        json!({"name": "One", "code": "ABC-1"}),
    )
    .await;
    let second = create(&app, tok, json!({"name": "Two", "code": "ABC-2"})).await;
    let url2 = format!("/api/v1/products/{}", second["id"].as_str().unwrap());
    let (status, body) = app.patch(&url2, tok, json!({"code": "Abc-1"})).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(error_codes(&body), [("code".into(), "taken".into())]);
    // Deleting a product frees its code.
    let url1 = format!("/api/v1/products/{}", first["id"].as_str().unwrap());
    let (status, _) = app.delete(&url1, tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.patch(&url2, tok, json!({"code": "abc-1"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["code"], "ABC-1");
    app.stop().await;
}

#[tokio::test]
async fn lists_filter_sort_and_page() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    for (name, code, category, active) in [
        ("Rivoli", "SCPI-RIV", "scpi", true),
        ("apple", "US0378331005", "other", true),
        ("Total", "FR0000120271", "opcvm", false),
        ("Bayer", "DE000BAY0017", "opcvm", true),
        ("Epargne", "AV-01", "life_insurance", true),
    ] {
        create(
            &app,
            tok,
            json!({"name": name, "code": code, "category": category, "active": active}),
        )
        .await;
    }
    let (_, p) = app.get("/api/v1/products", tok).await;
    assert_eq!(
        codes(&p),
        [
            "US0378331005",
            "DE000BAY0017",
            "AV-01",
            "SCPI-RIV",
            "FR0000120271"
        ],
        "default sort is the name, case-insensitive"
    );
    let (_, p) = app
        .get("/api/v1/products?category=opcvm,scpi&active=true", tok)
        .await;
    assert_eq!(codes(&p), ["DE000BAY0017", "SCPI-RIV"]);
    let (_, p) = app.get("/api/v1/products?q=riv&count=true", tok).await;
    assert_eq!(codes(&p), ["SCPI-RIV"]);
    assert_eq!(p["total"], 1);
    let (_, p) = app.get("/api/v1/products?q=fr00", tok).await;
    assert_eq!(codes(&p), ["FR0000120271"], "q matches the code too");

    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = "/api/v1/products?limit=2&sort=-code".to_owned();
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.get(&url, tok).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        walked.extend(codes(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        walked,
        [
            "US0378331005",
            "SCPI-RIV",
            "FR0000120271",
            "DE000BAY0017",
            "AV-01"
        ]
    );
    let (status, body) = app.get("/api/v1/products?sort=amount", tok).await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = app.get("/api/v1/products?category=bonds", tok).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "category");
    app.stop().await;
}

#[tokio::test]
async fn everyone_reads_only_admins_write() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let team = app.create_team(&t, "Paris").await;
    let manager = app
        .create_user(&t, "manager@acme.test", "manager", Some(team))
        .await;
    let user = app.create_user(&t, "user@acme.test", "user", None).await;
    let viewer = app
        .create_user(&t, "viewer@acme.test", "viewer", None)
        .await;
    let p = create(
        &app,
        &t.admin.token,
        json!({"name": "Rivoli", "code": "SCPI-RIV"}),
    )
    .await;
    let url = format!("/api/v1/products/{}", p["id"].as_str().unwrap());
    for u in [&manager, &user, &viewer] {
        let (status, list) = app.get("/api/v1/products", &u.token).await;
        assert_eq!(status, StatusCode::OK, "{}", u.email);
        assert_eq!(codes(&list), ["SCPI-RIV"], "{}", u.email);
        let (status, _) = app.get(&url, &u.token).await;
        assert_eq!(status, StatusCode::OK, "{}", u.email);
        let (status, _) = app.get(&format!("{url}/history"), &u.token).await;
        assert_eq!(status, StatusCode::OK, "{}", u.email);
        let (status, body) = app
            .post(
                "/api/v1/products",
                Some(&u.token),
                json!({"name": "Mine", "code": "MINE"}),
            )
            .await;
        assert_problem(status, &body, 403, "forbidden");
        let (status, body) = app.patch(&url, &u.token, json!({"name": "Hijack"})).await;
        assert_problem(status, &body, 403, "forbidden");
        let (status, body) = app.delete(&url, &u.token).await;
        assert_problem(status, &body, 403, "forbidden");
    }
    let (_, again) = app.get(&url, &t.admin.token).await;
    assert_eq!(again["name"], "Rivoli");
    assert_eq!(again["updated_at"], p["updated_at"], "nothing changed");
    app.stop().await;
}

#[tokio::test]
async fn other_tenants_get_404_and_change_nothing() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let p = create(
        &app,
        &a.admin.token,
        json!({"name": "Secret", "code": "SECRET-1"}),
    )
    .await;
    let url = format!("/api/v1/products/{}", p["id"].as_str().unwrap());
    let (status, _) = app.get(&url, &b.admin.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&format!("{url}/history"), &b.admin.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = app
        .req(Method::PATCH, &url, Some(&b.admin.token))
        .header("if-match", "*")
        .json(&json!({"name": "Pwned"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&url, &b.admin.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/api/v1/products", &b.admin.token).await;
    assert_eq!(list["items"], json!([]));
    let (_, again) = app.get(&url, &a.admin.token).await;
    assert_eq!(again["name"], "Secret");
    assert_eq!(again["updated_at"], p["updated_at"]);
    app.stop().await;
}

#[tokio::test]
async fn idempotency_key_replays_the_creation() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let send = |body: Value| {
        app.req(Method::POST, "/api/v1/products", Some(tok))
            .header("idempotency-key", "p-1")
            .json(&body)
            .send()
    };
    let body = json!({"name": "Once", "code": "ONCE"});
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first_body: Value = first.json().await.unwrap();
    let second = send(body).await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second_body: Value = second.json().await.unwrap();
    assert_eq!(second_body, first_body);
    let (_, list) = app.get("/api/v1/products", tok).await;
    assert_eq!(codes(&list), ["ONCE"], "one row");
    let third = send(json!({"name": "Other", "code": "OTHER"}))
        .await
        .unwrap();
    assert_eq!(third.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

async fn event_count(app: &TestApp, kind: &str, id: &str) -> i64 {
    let mut su = app.superuser().await;
    sqlx::query_scalar("SELECT count(*) FROM events WHERE type = $1 AND record_id = $2::uuid")
        .bind(kind)
        .bind(id)
        .fetch_one(&mut su)
        .await
        .unwrap()
}

#[tokio::test]
async fn duplicate_suffixes_the_code_and_bulk_is_all_or_nothing() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let user = app.create_user(&t, "user@acme.test", "user", None).await;
    let carmignac = create(
        &app,
        tok,
        json!({"name": "Carmignac Patrimoine A EUR Acc", "code": "FR0010135103",
               "category": "opcvm", "notes": "Fonds patrimonial"}),
    )
    .await;
    let scpi = create(
        &app,
        tok,
        json!({"name": "SCPI Pierre Plus", "code": "SCPI-PP"}),
    )
    .await;
    let url = |p: &Value| format!("/api/v1/products/{}", p["id"].as_str().unwrap());

    // Copies get `-COPY`, then `-COPY2`: codes stay unique, and an ISIN's copy is internal.
    let (status, copy) = app
        .post(
            &format!("{}/duplicate", url(&carmignac)),
            Some(tok),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_eq!(copy["code"], "FR0010135103-COPY");
    assert_eq!(copy["is_isin"], false);
    assert_eq!(copy["name"], "Carmignac Patrimoine A EUR Acc (copie)");
    assert_eq!(copy["category"], "opcvm");
    assert_eq!(copy["notes"], "Fonds patrimonial");
    let (status, copy2) = app
        .post(
            &format!("{}/duplicate", url(&carmignac)),
            Some(tok),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{copy2}");
    assert_eq!(copy2["code"], "FR0010135103-COPY2");
    assert_eq!(
        event_count(&app, "product.created", copy2["id"].as_str().unwrap()).await,
        1
    );

    // Everyone reads products; only administrators write them, in bulk too.
    let (status, body) = app
        .post(
            &format!("{}/duplicate", url(&scpi)),
            Some(&user.token),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app
        .post(
            "/api/v1/products/bulk",
            Some(&user.token),
            json!({"action": "set_active", "active": false, "ids": [scpi["id"]]}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");

    // set_active: counts what changed; an unknown id rejects the batch and changes nothing.
    let (status, res) = app
        .post(
            "/api/v1/products/bulk",
            Some(tok),
            json!({"action": "set_active", "active": false,
                   "ids": [carmignac["id"], scpi["id"], scpi["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["affected"], 2);
    let (_, inactive) = app.get("/api/v1/products?active=false", tok).await;
    assert_eq!(codes(&inactive), ["FR0010135103", "SCPI-PP"]);
    let (_, hist) = app.get(&format!("{}/history", url(&scpi)), tok).await;
    assert_eq!(hist["items"][0]["type"], "product.updated");
    assert_eq!(hist["items"][0]["data"]["after"]["active"], false);
    let (_, res) = app
        .post(
            "/api/v1/products/bulk",
            Some(tok),
            json!({"action": "set_active", "active": false, "ids": [scpi["id"]]}),
        )
        .await;
    assert_eq!(res["affected"], 0, "already inactive");
    let unknown = "0190c0de-0000-7000-8000-000000000000";
    let (status, body) = app
        .post(
            "/api/v1/products/bulk",
            Some(tok),
            json!({"action": "set_active", "active": true, "ids": [scpi["id"], unknown]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "ids");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(unknown)
    );
    let (_, still) = app.get(&url(&scpi), tok).await;
    assert_eq!(still["active"], false, "nothing changed");
    for bad in [
        json!({"action": "set_active", "ids": []}),
        json!({"action": "set_active", "active": true, "ids": []}),
        json!({"action": "change_stage", "stage": "signed", "ids": [scpi["id"]]}),
    ] {
        let (status, body) = app.post("/api/v1/products/bulk", Some(tok), bad).await;
        assert_eq!(status.as_u16(), 422, "{body}");
    }

    // Bulk delete goes to the trash, which only managers list.
    let (status, res) = app
        .post(
            "/api/v1/products/bulk",
            Some(tok),
            json!({"action": "delete", "ids": [copy["id"], copy2["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["affected"], 2);
    let (_, live) = app.get("/api/v1/products", tok).await;
    assert_eq!(codes(&live), ["FR0010135103", "SCPI-PP"]);
    let (_, trash) = app
        .get("/api/v1/products?deleted=true&sort=code", tok)
        .await;
    assert_eq!(codes(&trash), ["FR0010135103-COPY", "FR0010135103-COPY2"]);
    assert!(trash["items"][0]["deleted_at"].is_string());
    let (status, body) = app.get("/api/v1/products?deleted=true", &user.token).await;
    assert_problem(status, &body, 403, "forbidden");
    app.stop().await;
}

#[tokio::test]
async fn trash_restore_and_purge() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let user = app.create_user(&t, "user@acme.test", "user", None).await;
    let p = create(&app, tok, json!({"name": "Fonds Horizon", "code": "HZN-1"})).await;
    let id = p["id"].as_str().unwrap().to_owned();
    let u = format!("/api/v1/products/{id}");
    let (status, _) = app.delete(&u, tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for action in ["restore", "purge"] {
        let (status, body) = app
            .post(&format!("{u}/{action}"), Some(&user.token), json!({}))
            .await;
        assert_problem(status, &body, 403, "forbidden");
    }
    let (status, restored) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert!(restored.get("deleted_at").is_none());
    let (status, _) = app.get(&u, tok).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a live product is not in the trash"
    );
    let (_, hist) = app.get(&format!("{u}/history"), tok).await;
    let types: Vec<&str> = hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["product.restored", "product.deleted", "product.created"]
    );

    // A deleted product frees its code; restoring it while the code is taken is a conflict.
    app.delete(&u, tok).await;
    create(&app, tok, json!({"name": "Autre fonds", "code": "hzn-1"})).await;
    let (status, body) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_problem(status, &body, 409, "code_taken");

    // Deleted more than 30 days ago: no longer restorable.
    let mut su = app.superuser().await;
    sqlx::query("UPDATE products SET deleted_at = now() - interval '31 days' WHERE id = $1::uuid")
        .bind(&id)
        .execute(&mut su)
        .await
        .unwrap();
    let (_, other) = app.get("/api/v1/products?q=autre", tok).await;
    let other_id = other["items"][0]["id"].as_str().unwrap().to_owned();
    app.delete(&format!("/api/v1/products/{other_id}"), tok)
        .await;
    let (status, _) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A product covered by a mandate, even one in the trash, cannot be purged.
    let (_, o) = app
        .post(
            "/api/v1/organisations",
            Some(tok),
            json!({"name": "Banque Lumière Gestion", "type": "investor"}),
        )
        .await;
    let covered = create(&app, tok, json!({"name": "Couvert", "code": "COV-1"})).await;
    let (status, m) = app
        .post(
            "/api/v1/mandates",
            Some(tok),
            json!({"organisation_id": o["id"], "product_ids": [covered["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let mu = format!("/api/v1/mandates/{}", m["id"].as_str().unwrap());
    app.delete(&mu, tok).await;
    let cu = format!("/api/v1/products/{}", covered["id"].as_str().unwrap());
    let (status, body) = app.post(&format!("{cu}/purge"), Some(tok), json!({})).await;
    assert_problem(status, &body, 409, "has_dependents");
    let (status, _) = app.get(&cu, tok).await;
    assert_eq!(status, StatusCode::OK, "still there");
    let (status, _) = app.post(&format!("{mu}/purge"), Some(tok), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.post(&format!("{cu}/purge"), Some(tok), json!({})).await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "a live product can be purged too"
    );
    let (status, _) = app.get(&cu, tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post(&format!("{u}/purge"), Some(tok), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post(&format!("{u}/purge"), Some(tok), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(event_count(&app, "product.purged", &id).await, 1);
    assert_eq!(
        event_count(&app, "product.purged", covered["id"].as_str().unwrap()).await,
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn other_tenants_cannot_restore_purge_duplicate_or_bulk() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let live = create(
        &app,
        &a.admin.token,
        json!({"name": "Vivant", "code": "LIVE-1"}),
    )
    .await;
    let gone = create(
        &app,
        &a.admin.token,
        json!({"name": "Corbeille", "code": "BIN-1"}),
    )
    .await;
    let gone_url = format!("/api/v1/products/{}", gone["id"].as_str().unwrap());
    app.delete(&gone_url, &a.admin.token).await;
    let live_url = format!("/api/v1/products/{}", live["id"].as_str().unwrap());
    for (url, action) in [
        (&live_url, "duplicate"),
        (&live_url, "purge"),
        (&gone_url, "restore"),
        (&gone_url, "purge"),
    ] {
        let (status, body) = app
            .post(&format!("{url}/{action}"), Some(&b.admin.token), json!({}))
            .await;
        assert_problem(status, &body, 404, "not_found");
    }
    for body in [
        json!({"action": "set_active", "active": false, "ids": [live["id"]]}),
        json!({"action": "delete", "ids": [live["id"]]}),
    ] {
        let (status, res) = app
            .post("/api/v1/products/bulk", Some(&b.admin.token), body)
            .await;
        assert_problem(status, &res, 422, "validation_failed");
    }
    let (_, trash) = app
        .get("/api/v1/products?deleted=true", &b.admin.token)
        .await;
    assert_eq!(trash["items"], json!([]));
    let (_, again) = app.get(&live_url, &a.admin.token).await;
    assert_eq!(again["active"], true);
    assert_eq!(again["updated_at"], live["updated_at"]);
    let (_, trash) = app
        .get("/api/v1/products?deleted=true", &a.admin.token)
        .await;
    assert_eq!(codes(&trash), ["BIN-1"]);
    let (_, all) = app.get("/api/v1/products", &a.admin.token).await;
    assert_eq!(codes(&all), ["LIVE-1"], "no copy was made");
    app.stop().await;
}
