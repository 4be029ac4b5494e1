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
