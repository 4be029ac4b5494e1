//! Mandates over HTTP: numbering (generated, concurrent, explicit), the status flow with
//! `signed_at` and `mandate.signed`, covered products, lists, scopes, ETags, idempotency,
//! trash and history, the organisation's mandates tab, and tenant isolation.

use crate::helpers::*;
use chrono::Datelike;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn org(app: &TestApp, token: &str, name: &str) -> String {
    let (status, o) = app
        .post(
            "/api/v1/organisations",
            Some(token),
            json!({"name": name, "type": "investor"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    o["id"].as_str().unwrap().to_owned()
}

async fn product(app: &TestApp, token: &str, code: &str) -> String {
    let (status, p) = app
        .post(
            "/api/v1/products",
            Some(token),
            json!({"name": format!("Product {code}"), "code": code}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_str().unwrap().to_owned()
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, m) = app.post("/api/v1/mandates", Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    m
}

fn url(m: &Value) -> String {
    format!("/api/v1/mandates/{}", m["id"].as_str().unwrap())
}

fn numbers(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["number"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

fn first_error(body: &Value) -> (String, String) {
    (
        body["errors"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["errors"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn history_types(app: &TestApp, m: &Value, token: &str) -> Vec<String> {
    let (status, hist) = app.get(&format!("{}/history", url(m)), token).await;
    assert_eq!(status, StatusCode::OK, "{hist}");
    hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn numbers_are_generated_per_year_and_unique() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Acme").await;

    // Two creations at the same time get distinct, consecutive numbers.
    let body = json!({"organisation_id": o});
    let (a, b) = tokio::join!(
        app.post("/api/v1/mandates", Some(tok), body.clone()),
        app.post("/api/v1/mandates", Some(tok), body.clone()),
    );
    assert_eq!(a.0, StatusCode::CREATED, "{}", a.1);
    assert_eq!(b.0, StatusCode::CREATED, "{}", b.1);
    let mut got = vec![
        a.1["number"].as_str().unwrap().to_owned(),
        b.1["number"].as_str().unwrap().to_owned(),
    ];
    got.sort();
    let year: i32 = got[0].split('-').nth(1).unwrap().parse().unwrap();
    let now = chrono::Utc::now().year();
    assert!(year == now || year == now + 1, "the current year: {got:?}");
    assert_eq!(
        got,
        [format!("M-{year}-001"), format!("M-{year}-002")],
        "consecutive"
    );
    assert_eq!(a.1["status"], "draft");
    assert_eq!(a.1["owner_id"], t.admin.id.to_string());

    // An explicit number is normalised and must be free, trash included.
    let explicit = create(
        &app,
        tok,
        json!({"organisation_id": o, "number": format!(" m-{year}-003 ")}),
    )
    .await;
    assert_eq!(explicit["number"], format!("M-{year}-003"));
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(tok),
            json!({"organisation_id": o, "number": format!("M-{year}-001")}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(first_error(&body), ("number".into(), "taken".into()));
    // Generation skips numbers taken by hand.
    let next = create(&app, tok, json!({"organisation_id": o})).await;
    assert_eq!(next["number"], format!("M-{year}-004"));
    let (status, _) = app.delete(&url(&next), tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(tok),
            json!({"organisation_id": o, "number": format!("M-{year}-004")}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    // Renumbering onto a used number is refused too.
    let (status, body) = app
        .patch(
            &url(&explicit),
            tok,
            json!({"number": format!("M-{year}-002")}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(first_error(&body), ("number".into(), "taken".into()));
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(tok),
            json!({"organisation_id": o, "number": "M 2026"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("number".into(), "invalid_number".into())
    );

    // Another tenant numbers from 1.
    let b = app.create_tenant("bravo").await;
    let ob = org(&app, &b.admin.token, "Bravo").await;
    let mb = create(&app, &b.admin.token, json!({"organisation_id": ob})).await;
    assert_eq!(mb["number"], format!("M-{year}-001"));
    // A time zone PostgreSQL does not know falls back to UTC instead of failing.
    let mut su = app.superuser().await;
    sqlx::query("UPDATE tenants SET time_zone = 'Mars/Olympus' WHERE slug = 'bravo'")
        .execute(&mut su)
        .await
        .unwrap();
    let mb2 = create(&app, &b.admin.token, json!({"organisation_id": ob})).await;
    assert!(mb2["number"].as_str().unwrap().ends_with("-002"), "{mb2}");
    app.stop().await;
}

#[tokio::test]
async fn status_flow_is_enforced() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Acme").await;
    let m = create(
        &app,
        tok,
        json!({"organisation_id": o, "amount": 250000.5, "start_date": "2026-01-01"}),
    )
    .await;
    assert_eq!(m["signed_at"], Value::Null);
    let u = url(&m);

    let (status, body) = app.patch(&u, tok, json!({"status": "active"})).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("status".into(), "invalid_transition".into())
    );
    let msg = body["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("draft") && msg.contains("active"), "{msg}");

    for step in ["proposed", "draft", "proposed"] {
        let (status, body) = app.patch(&u, tok, json!({"status": step})).await;
        assert_eq!(status, StatusCode::OK, "{step}: {body}");
        assert_eq!(body["status"], step);
        assert_eq!(body["signed_at"], Value::Null);
    }
    let (status, signed) = app.patch(&u, tok, json!({"status": "signed"})).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(signed["status"], "signed");
    let signed_at = signed["signed_at"]
        .as_str()
        .expect("signed_at set")
        .to_owned();
    let types = history_types(&app, &m, tok).await;
    assert_eq!(types[..2], ["mandate.signed", "mandate.updated"]);
    let (_, hist) = app.get(&format!("{u}/history"), tok).await;
    assert_eq!(hist["items"][0]["data"]["before"]["status"], "proposed");
    assert_eq!(hist["items"][0]["data"]["after"]["status"], "signed");

    for (to, from) in [("proposed", "signed"), ("draft", "signed")] {
        let (status, body) = app.patch(&u, tok, json!({"status": to})).await;
        assert_problem(status, &body, 422, "validation_failed");
        let msg = body["errors"][0]["message"].as_str().unwrap();
        assert!(msg.contains(from) && msg.contains(to), "{msg}");
    }
    // A signed mandate keeps a signature date.
    let (status, body) = app.patch(&u, tok, json!({"signed_at": null})).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(first_error(&body), ("signed_at".into(), "required".into()));

    let (status, body) = app.patch(&u, tok, json!({"status": "active"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["signed_at"], signed_at.as_str(), "kept");
    let (status, body) = app.patch(&u, tok, json!({"status": "terminated"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for to in ["active", "draft", "signed"] {
        let (status, body) = app.patch(&u, tok, json!({"status": to})).await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["code"], "invalid_transition");
    }
    let types = history_types(&app, &m, tok).await;
    assert_eq!(
        types.iter().filter(|t| *t == "mandate.signed").count(),
        1,
        "signed once: {types:?}"
    );
    assert_eq!(types.last().unwrap(), "mandate.created");

    // draft → signed directly, and a mandate created signed.
    let d = create(&app, tok, json!({"organisation_id": o})).await;
    let (status, body) = app
        .patch(
            &url(&d),
            tok,
            json!({"status": "signed", "signed_at": "2026-01-15T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["signed_at"], "2026-01-15T10:00:00Z");
    let s = create(&app, tok, json!({"organisation_id": o, "status": "signed"})).await;
    assert!(s["signed_at"].is_string());
    assert_eq!(
        history_types(&app, &s, tok).await,
        ["mandate.signed", "mandate.created"]
    );
    // A draft has no signature date; a draft → terminated is allowed.
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(tok),
            json!({"organisation_id": o, "signed_at": "2026-01-15T10:00:00Z"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("signed_at".into(), "not_signed".into())
    );
    let x = create(&app, tok, json!({"organisation_id": o})).await;
    let (status, body) = app
        .patch(&url(&x), tok, json!({"status": "terminated"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["signed_at"], Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn validation_reports_every_bad_field() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Acme").await;
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(tok),
            json!({"organisation_id": o, "amount": -1, "start_date": "2026-06-01",
                   "end_date": "2026-01-01", "number": "no spaces"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["amount", "end_date", "number"] {
        assert!(fields.contains(&f), "{f} missing from {body}");
    }
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(tok),
            json!({"organisation_id": o, "status": "won"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "status");
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(tok),
            json!({"organisation_id": o, "start_date": "31/12/2026"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "start_date");
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(tok),
            json!({"organisation_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("organisation_id".into(), "not_found".into())
    );
    let (status, body) = app.post("/api/v1/mandates", Some(tok), json!({})).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("organisation_id".into(), "required".into())
    );
    let (_, list) = app.get("/api/v1/mandates", tok).await;
    assert_eq!(list["items"], json!([]), "nothing was created");

    // The end date is checked against the stored start date on PATCH.
    let m = create(
        &app,
        tok,
        json!({"organisation_id": o, "start_date": "2026-01-01", "end_date": "2026-12-31"}),
    )
    .await;
    let (status, body) = app
        .patch(&url(&m), tok, json!({"end_date": "2025-12-31"}))
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("end_date".into(), "before_start".into())
    );
    let (status, body) = app
        .patch(
            &url(&m),
            tok,
            json!({"start_date": null, "end_date": "2025-12-31"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["start_date"], Value::Null);
    assert_eq!(body["end_date"], "2025-12-31");
    app.stop().await;
}

#[tokio::test]
async fn covered_products_are_replaced_as_a_set() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Acme").await;
    let p1 = product(&app, tok, "P-1").await;
    let p2 = product(&app, tok, "P-2").await;
    let p3 = product(&app, tok, "P-3").await;
    let m = create(
        &app,
        tok,
        json!({"organisation_id": o, "product_ids": [p1, p1]}),
    )
    .await;
    assert_eq!(m["product_ids"], json!([p1]));
    let purl = format!("{}/products", url(&m));
    let (status, covered) = app.get(&purl, tok).await;
    assert_eq!(status, StatusCode::OK, "{covered}");
    assert_eq!(covered["items"][0]["code"], "P-1");

    let (status, covered) = app
        .call(
            Method::PUT,
            &purl,
            Some(tok),
            Some(json!({"product_ids": [p3, p2]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{covered}");
    let codes: Vec<&str> = covered["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["P-2", "P-3"]);
    let (_, again) = app.get(&url(&m), tok).await;
    let mut want = vec![p2.clone(), p3.clone()];
    want.sort();
    assert_eq!(again["product_ids"], json!(want));
    let (_, hist) = app.get(&format!("{}/history", url(&m)), tok).await;
    assert_eq!(hist["items"][0]["type"], "mandate.updated");
    assert_eq!(
        hist["items"][0]["data"]["before"]["product_ids"],
        json!([p1])
    );

    // Filter by product.
    let other = create(&app, tok, json!({"organisation_id": o})).await;
    let (_, page) = app
        .get(&format!("/api/v1/mandates?product_id={p2}"), tok)
        .await;
    assert_eq!(ids(&page), [m["id"].as_str().unwrap()]);
    let (_, page) = app
        .get(&format!("/api/v1/mandates?product_id={p1}"), tok)
        .await;
    assert_eq!(ids(&page), Vec::<String>::new());
    assert_ne!(other["id"], m["id"]);

    // Unknown or deleted products are refused and nothing changes.
    let unknown = uuid::Uuid::now_v7().to_string();
    let (status, body) = app
        .call(
            Method::PUT,
            &purl,
            Some(tok),
            Some(json!({"product_ids": [p1, unknown]})),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("product_ids".into(), "not_found".into())
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&unknown)
    );
    let (status, _) = app.delete(&format!("/api/v1/products/{p1}"), tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app
        .call(
            Method::PUT,
            &purl,
            Some(tok),
            Some(json!({"product_ids": [p1]})),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(tok),
            json!({"organisation_id": o, "product_ids": [p1]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("product_ids".into(), "not_found".into())
    );
    let (_, again) = app.get(&url(&m), tok).await;
    assert_eq!(again["product_ids"], json!(want));

    // If-Match is honoured when sent; an empty set clears.
    let res = app
        .req(Method::PUT, &purl, Some(tok))
        .header("if-match", "\"stale\"")
        .json(&json!({"product_ids": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let (status, covered) = app
        .call(
            Method::PUT,
            &purl,
            Some(tok),
            Some(json!({"product_ids": []})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{covered}");
    assert_eq!(covered["items"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn etags_and_idempotency() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Acme").await;
    let send = |body: Value, key: &'static str| {
        app.req(Method::POST, "/api/v1/mandates", Some(tok))
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let body = json!({"organisation_id": o, "amount": 1000});
    let first = send(body.clone(), "m-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let loc = first.headers()["location"].to_str().unwrap().to_owned();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let first_body: Value = first.json().await.unwrap();
    let second = send(body.clone(), "m-1").await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.headers()["location"].to_str().unwrap(), loc);
    let second_body: Value = second.json().await.unwrap();
    assert_eq!(second_body, first_body, "same number, same record");
    let (_, list) = app.get("/api/v1/mandates", tok).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "one row");
    let third = send(json!({"organisation_id": o}), "m-1").await.unwrap();
    assert_eq!(third.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let res = app
        .req(Method::PATCH, &loc, Some(tok))
        .json(&json!({"amount": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_REQUIRED);
    let res = app
        .req(Method::PATCH, &loc, Some(tok))
        .header("if-match", &etag)
        .json(&json!({"amount": 5, "notes": "ok"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["amount"], 5.0);
    let res = app
        .req(Method::PATCH, &loc, Some(tok))
        .header("if-match", &etag)
        .json(&json!({"amount": 6}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED, "stale");
    let res = app
        .req(Method::DELETE, &loc, Some(tok))
        .header("if-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::PRECONDITION_FAILED,
        "stale delete"
    );
    let (_, again) = app.get(&loc, tok).await;
    assert_eq!(again["amount"], 5.0);
    app.stop().await;
}

#[tokio::test]
async fn lists_filter_sort_and_page() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let user = app.create_user(&t, "user@acme.test", "user", None).await;
    let o1 = org(&app, tok, "One").await;
    let o2 = org(&app, tok, "Two").await;
    for (number, o, status, amount, start) in [
        ("A-1", &o1, "draft", Some(300.0), Some("2026-03-01")),
        ("A-2", &o1, "signed", Some(100.0), None),
        ("B-1", &o2, "active", None, Some("2026-01-01")),
        ("B-2", &o2, "proposed", Some(200.0), Some("2026-02-01")),
    ] {
        create(
            &app,
            tok,
            json!({"organisation_id": o, "number": number, "status": status,
                   "amount": amount, "start_date": start,
                   "signed_at": if status == "active" { json!("2026-01-02T00:00:00Z") } else { Value::Null }}),
        )
        .await;
    }
    let (_, p) = app.get("/api/v1/mandates", tok).await;
    assert_eq!(numbers(&p), ["B-2", "B-1", "A-2", "A-1"], "newest first");
    let (_, p) = app
        .get("/api/v1/mandates?status=draft,active&sort=number", tok)
        .await;
    assert_eq!(numbers(&p), ["A-1", "B-1"]);
    let (_, p) = app
        .get(
            &format!("/api/v1/mandates?organisation_id={o2}&sort=-number"),
            tok,
        )
        .await;
    assert_eq!(numbers(&p), ["B-2", "B-1"]);
    let (_, p) = app
        .get("/api/v1/mandates?q=a-&count=true&sort=number", tok)
        .await;
    assert_eq!(numbers(&p), ["A-1", "A-2"]);
    assert_eq!(p["total"], 2);
    let (_, p) = app
        .get(
            "/api/v1/mandates?signed_from=2026-01-01T00:00:00Z&signed_to=2026-01-03T00:00:00Z",
            tok,
        )
        .await;
    assert_eq!(numbers(&p), ["B-1"]);
    let (_, p) = app.get("/api/v1/mandates?owner_id=me", tok).await;
    assert_eq!(p["items"].as_array().unwrap().len(), 4);
    let (_, p) = app
        .get(&format!("/api/v1/mandates?owner_id={}", user.id), tok)
        .await;
    assert_eq!(numbers(&p), Vec::<String>::new());
    let (_, p) = app
        .get("/api/v1/mandates?sort=start_date,number", tok)
        .await;
    assert_eq!(numbers(&p), ["A-2", "B-1", "B-2", "A-1"], "no date first");

    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut u = "/api/v1/mandates?limit=1&sort=-amount,number".to_owned();
        if let Some(c) = &cursor {
            u.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.get(&u, tok).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        walked.extend(numbers(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, ["A-1", "B-2", "A-2", "B-1"]);

    // The organisation's mandates tab.
    let (status, p) = app
        .get(
            &format!("/api/v1/organisations/{o1}/mandates?sort=number"),
            tok,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(numbers(&p), ["A-1", "A-2"]);
    let (_, p) = app
        .get(
            &format!("/api/v1/organisations/{o1}/mandates?status=signed"),
            tok,
        )
        .await;
    assert_eq!(numbers(&p), ["A-2"]);

    for bad in [
        "/api/v1/mandates?status=won",
        "/api/v1/mandates?sort=name",
        "/api/v1/mandates?owner_id=someone",
        "/api/v1/mandates?limit=0",
        "/api/v1/mandates?organisation_id=nope",
    ] {
        let (status, body) = app.get(bad, tok).await;
        assert_eq!(status.as_u16() / 100, 4, "{bad}: {body}");
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn scopes_apply_to_lists_reads_and_writes() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let team = app.create_team(&t, "Paris").await;
    let manager = app
        .create_user(&t, "manager@acme.test", "manager", Some(team))
        .await;
    let mate = app
        .create_user(&t, "mate@acme.test", "user", Some(team))
        .await;
    let other = app.create_user(&t, "other@acme.test", "user", None).await;
    let viewer = app
        .create_user(&t, "viewer@acme.test", "viewer", None)
        .await;
    let mate_org = org(&app, &mate.token, "Mate's org").await;
    let other_org = org(&app, &other.token, "Other's org").await;
    let admin_org = org(&app, &t.admin.token, "Admin's org").await;

    let mine = create(&app, &mate.token, json!({"organisation_id": mate_org})).await;
    assert_eq!(mine["owner_id"], mate.id.to_string());
    let theirs = create(&app, &other.token, json!({"organisation_id": other_org})).await;
    let boss = create(&app, &t.admin.token, json!({"organisation_id": admin_org})).await;

    // The organisation must be readable by the caller.
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(&mate.token),
            json!({"organisation_id": other_org}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("organisation_id".into(), "not_found".into())
    );
    let (status, body) = app
        .patch(
            &url(&mine),
            &mate.token,
            json!({"organisation_id": other_org}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("organisation_id".into(), "not_found".into())
    );
    // … and the owner within the caller's scope.
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(&mate.token),
            json!({"organisation_id": mate_org, "owner_id": other.id}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("owner_id".into(), "out_of_scope".into())
    );

    let (_, p) = app.get("/api/v1/mandates", &mate.token).await;
    assert_eq!(ids(&p), [mine["id"].as_str().unwrap()], "user: own");
    let (_, p) = app.get("/api/v1/mandates", &manager.token).await;
    assert_eq!(ids(&p), [mine["id"].as_str().unwrap()], "manager: team");
    let (_, p) = app.get("/api/v1/mandates", &viewer.token).await;
    assert_eq!(ids(&p).len(), 3, "viewer: all");
    let (_, p) = app.get("/api/v1/mandates", &t.admin.token).await;
    assert_eq!(ids(&p).len(), 3);

    let theirs_url = url(&theirs);
    for u in [&mate, &manager] {
        let (status, _) = app.get(&theirs_url, &u.token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", u.email);
        let (status, _) = app
            .patch(&theirs_url, &u.token, json!({"status": "proposed"}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", u.email);
        let (status, _) = app.delete(&theirs_url, &u.token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", u.email);
        let (status, _) = app.get(&format!("{theirs_url}/history"), &u.token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", u.email);
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("{theirs_url}/products"),
                Some(&u.token),
                Some(json!({"product_ids": []})),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", u.email);
    }
    // A manager updates a teammate's mandate.
    let (status, body) = app
        .patch(&url(&mine), &manager.token, json!({"status": "proposed"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A viewer reads everything and writes nothing.
    let (status, _) = app.get(&theirs_url, &viewer.token).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .patch(&theirs_url, &viewer.token, json!({"status": "proposed"}))
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(&viewer.token),
            json!({"organisation_id": admin_org}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    // Trash needs manage.
    let (status, body) = app
        .post(
            &format!("{}/restore", url(&mine)),
            Some(&mate.token),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app.get("/api/v1/mandates?deleted=true", &mate.token).await;
    assert_problem(status, &body, 403, "forbidden");

    // The organisation tab: 404 for an unreadable organisation, else the visible mandates.
    let (status, _) = app
        .get(
            &format!("/api/v1/organisations/{other_org}/mandates"),
            &mate.token,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, p) = app
        .get(
            &format!("/api/v1/organisations/{other_org}/mandates"),
            &viewer.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(ids(&p), [theirs["id"].as_str().unwrap()]);
    let (_, still) = app.get(&theirs_url, &t.admin.token).await;
    assert_eq!(still["status"], "draft", "nothing changed");
    assert_eq!(still["updated_at"], theirs["updated_at"]);
    assert_ne!(boss["id"], theirs["id"]);
    app.stop().await;
}

#[tokio::test]
async fn trash_restore_purge_and_events() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Acme").await;
    let p1 = product(&app, tok, "P-1").await;
    let m = create(
        &app,
        tok,
        json!({"organisation_id": o, "product_ids": [p1]}),
    )
    .await;
    let u = url(&m);

    // An organisation with mandates cannot be purged.
    let (status, body) = app
        .post(
            &format!("/api/v1/organisations/{o}/purge"),
            Some(tok),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 409, "has_dependents");
    let (status, _) = app.get(&format!("/api/v1/organisations/{o}"), tok).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = app.delete(&u, tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&u, tok).await;
    assert_problem(status, &body, 404, "not_found");
    let (_, live) = app.get("/api/v1/mandates", tok).await;
    assert_eq!(live["items"], json!([]));
    let (_, trash) = app.get("/api/v1/mandates?deleted=true", tok).await;
    assert_eq!(ids(&trash), [m["id"].as_str().unwrap()]);
    let (status, restored) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["number"], m["number"]);
    assert_eq!(restored["product_ids"], json!([p1]));
    assert_eq!(
        history_types(&app, &m, tok).await,
        ["mandate.restored", "mandate.deleted", "mandate.created"]
    );
    let (status, _) = app.post(&format!("{u}/purge"), Some(tok), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut su = app.superuser().await;
    let links: i64 =
        sqlx::query_scalar("SELECT count(*) FROM mandate_products WHERE mandate_id = $1::uuid")
            .bind(m["id"].as_str().unwrap())
            .fetch_one(&mut su)
            .await
            .unwrap();
    assert_eq!(links, 0, "covered products go with the mandate");
    let purged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE type = 'mandate.purged' AND record_id = $1::uuid",
    )
    .bind(m["id"].as_str().unwrap())
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(purged, 1);
    // Now the organisation can go.
    let (status, body) = app
        .post(
            &format!("/api/v1/organisations/{o}/purge"),
            Some(tok),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn other_tenants_get_404_and_change_nothing() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let oa = org(&app, &a.admin.token, "Secret org").await;
    let pa = product(&app, &a.admin.token, "SECRET").await;
    let m = create(
        &app,
        &a.admin.token,
        json!({"organisation_id": oa, "product_ids": [pa]}),
    )
    .await;
    let u = url(&m);
    let bt = &b.admin.token;
    for path in [
        u.clone(),
        format!("{u}/history"),
        format!("{u}/products"),
        format!("/api/v1/organisations/{oa}/mandates"),
    ] {
        let (status, _) = app.get(&path, bt).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let res = app
        .req(Method::PATCH, &u, Some(bt))
        .header("if-match", "*")
        .json(&json!({"status": "signed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("{u}/products"),
            Some(bt),
            Some(json!({"product_ids": []})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&u, bt).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for action in ["restore", "purge"] {
        let (status, _) = app
            .post(&format!("{u}/{action}"), Some(bt), json!({}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}");
    }
    let (_, list) = app.get("/api/v1/mandates", bt).await;
    assert_eq!(list["items"], json!([]));
    let (_, list) = app
        .get(&format!("/api/v1/mandates?organisation_id={oa}"), bt)
        .await;
    assert_eq!(list["items"], json!([]));

    // B cannot point a mandate at A's organisation or products.
    let (status, body) = app
        .post("/api/v1/mandates", Some(bt), json!({"organisation_id": oa}))
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("organisation_id".into(), "not_found".into())
    );
    let ob = org(&app, bt, "Bravo org").await;
    let (status, body) = app
        .post(
            "/api/v1/mandates",
            Some(bt),
            json!({"organisation_id": ob, "product_ids": [pa]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("product_ids".into(), "not_found".into())
    );
    let mb = create(&app, bt, json!({"organisation_id": ob})).await;
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("{}/products", url(&mb)),
            Some(bt),
            Some(json!({"product_ids": [pa]})),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = app
        .patch(&url(&mb), bt, json!({"organisation_id": oa}))
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (_, list) = app.get("/api/v1/mandates", bt).await;
    assert_eq!(
        ids(&list),
        [mb["id"].as_str().unwrap()],
        "only B's own mandate"
    );
    assert_eq!(list["items"][0]["product_ids"], json!([]));
    assert_eq!(list["items"][0]["organisation_id"], ob.as_str());

    let (_, again) = app.get(&u, &a.admin.token).await;
    assert_eq!(again["status"], "draft");
    assert_eq!(again["updated_at"], m["updated_at"]);
    assert_eq!(again["product_ids"], json!([pa]));
    assert_eq!(
        history_types(&app, &m, &a.admin.token).await,
        ["mandate.created"]
    );
    app.stop().await;
}

async fn get_mandate(app: &TestApp, token: &str, m: &Value) -> Value {
    let (status, body) = app.get(&url(m), token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn bulk_change_status_follows_the_flow_all_or_nothing() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Banque Lumière Gestion").await;
    let draft = create(&app, tok, json!({"organisation_id": o})).await;
    let proposed = create(
        &app,
        tok,
        json!({"organisation_id": o, "status": "proposed"}),
    )
    .await;
    let active = create(&app, tok, json!({"organisation_id": o, "status": "active"})).await;

    // draft → signed and proposed → signed are allowed: both sign, with `mandate.signed`.
    let (status, res) = app
        .post(
            "/api/v1/mandates/bulk",
            Some(tok),
            json!({"action": "change_status", "status": "signed",
                   "ids": [draft["id"], proposed["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["affected"], 2);
    for m in [&draft, &proposed] {
        let now = get_mandate(&app, tok, m).await;
        assert_eq!(now["status"], "signed");
        assert!(now["signed_at"].is_string());
        assert_eq!(
            history_types(&app, m, tok).await[..2],
            ["mandate.signed", "mandate.updated"]
        );
    }

    // signed → draft is not: every refused mandate is reported, and nothing changes.
    let (status, body) = app
        .post(
            "/api/v1/mandates/bulk",
            Some(tok),
            json!({"action": "change_status", "status": "draft",
                   "ids": [draft["id"], proposed["id"], active["id"]]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{body}");
    for e in errors {
        assert_eq!(e["field"], "status");
        assert_eq!(e["code"], "invalid_transition");
    }
    let messages: Vec<&str> = errors
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains(active["number"].as_str().unwrap()) && m.contains("active")),
        "{messages:?}"
    );
    // One mandate that can move and one that cannot: still nothing changes.
    let terminated = o_mandate_terminated(&app, tok, &o).await;
    let (status, body) = app
        .post(
            "/api/v1/mandates/bulk",
            Some(tok),
            json!({"action": "change_status", "status": "active",
                   "ids": [draft["id"], active["id"], terminated["id"]]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(get_mandate(&app, tok, &draft).await["status"], "signed");

    // Staying put is not a move: only the signed ones are counted.
    let (status, res) = app
        .post(
            "/api/v1/mandates/bulk",
            Some(tok),
            json!({"action": "change_status", "status": "active",
                   "ids": [draft["id"], proposed["id"], active["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["affected"], 2);
    let (_, page) = app.get("/api/v1/mandates?status=active", tok).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let (status, body) = app
        .post(
            "/api/v1/mandates/bulk",
            Some(tok),
            json!({"action": "change_status", "status": "won", "ids": [draft["id"]]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    app.stop().await;
}

async fn o_mandate_terminated(app: &TestApp, tok: &str, o: &str) -> Value {
    create(
        app,
        tok,
        json!({"organisation_id": o, "status": "terminated", "signed_at": "2025-01-15T10:00:00Z"}),
    )
    .await
}

#[tokio::test]
async fn bulk_assign_owner_and_delete_follow_scopes() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let team = app.create_team(&t, "Paris").await;
    let manager = app
        .create_user(&t, "manager@acme.test", "manager", Some(team))
        .await;
    let mate = app
        .create_user(&t, "mate@acme.test", "user", Some(team))
        .await;
    let other = app.create_user(&t, "other@acme.test", "user", None).await;
    let viewer = app
        .create_user(&t, "viewer@acme.test", "viewer", None)
        .await;
    let mate_org = org(&app, &mate.token, "Mate's org").await;
    let other_org = org(&app, &other.token, "Other's org").await;
    let mine = create(&app, &mate.token, json!({"organisation_id": mate_org})).await;
    let mine2 = create(&app, &mate.token, json!({"organisation_id": mate_org})).await;
    let theirs = create(&app, &other.token, json!({"organisation_id": other_org})).await;

    let (status, body) = app
        .post(
            "/api/v1/mandates/bulk",
            Some(&mate.token),
            json!({"action": "delete", "ids": [mine["id"], theirs["id"]]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(first_error(&body), ("ids".into(), "not_found".into()));
    get_mandate(&app, &mate.token, &mine).await;
    let (status, body) = app
        .post(
            "/api/v1/mandates/bulk",
            Some(&viewer.token),
            json!({"action": "assign_owner", "owner_id": viewer.id, "ids": [mine["id"]]}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app
        .post(
            "/api/v1/mandates/bulk",
            Some(&manager.token),
            json!({"action": "assign_owner", "owner_id": other.id, "ids": [mine["id"]]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("owner_id".into(), "out_of_scope".into())
    );
    let (status, res) = app
        .post(
            "/api/v1/mandates/bulk",
            Some(&manager.token),
            json!({"action": "assign_owner", "owner_id": manager.id,
                   "ids": [mine["id"], mine2["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["affected"], 2);
    let (_, p) = app
        .get("/api/v1/mandates?owner_id=me", &manager.token)
        .await;
    assert_eq!(ids(&p).len(), 2);
    let (_, p) = app.get("/api/v1/mandates", &mate.token).await;
    assert_eq!(p["items"], json!([]), "no longer the mate's");
    let (_, hist) = app
        .get(&format!("{}/history", url(&mine)), &manager.token)
        .await;
    assert_eq!(hist["items"][0]["type"], "mandate.updated");
    assert_eq!(
        hist["items"][0]["data"]["after"]["owner_id"],
        manager.id.to_string()
    );

    let (status, res) = app
        .post(
            "/api/v1/mandates/bulk",
            Some(&manager.token),
            json!({"action": "delete", "ids": [mine["id"], mine2["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["affected"], 2);
    let (_, p) = app.get("/api/v1/mandates", &manager.token).await;
    assert_eq!(p["items"], json!([]));
    let (_, trash) = app
        .get("/api/v1/mandates?deleted=true", &t.admin.token)
        .await;
    let mut got = ids(&trash);
    got.sort();
    let mut want = vec![
        mine["id"].as_str().unwrap().to_owned(),
        mine2["id"].as_str().unwrap().to_owned(),
    ];
    want.sort();
    assert_eq!(got, want);
    app.stop().await;
}

#[tokio::test]
async fn duplicate_is_a_new_numbered_draft() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let user = app.create_user(&t, "claire@acme.test", "user", None).await;
    let other = app.create_user(&t, "other@acme.test", "user", None).await;
    let o = org(&app, &user.token, "Banque Lumière Gestion").await;
    let p1 = product(&app, tok, "FR0010135103").await;
    let p2 = product(&app, tok, "SCPI-PP").await;
    let src = create(
        &app,
        &user.token,
        json!({"organisation_id": o, "number": "M-2026-001", "status": "signed",
               "start_date": "2026-02-01", "end_date": "2027-01-31", "amount": 1500000.0,
               "notes": "Mandat de distribution", "product_ids": [p1, p2]}),
    )
    .await;
    // A deleted product is not copied.
    let (status, _) = app.delete(&format!("/api/v1/products/{p2}"), tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, copy) = app
        .post(
            &format!("{}/duplicate", url(&src)),
            Some(&user.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_ne!(copy["id"], src["id"]);
    let year = chrono::Utc::now().year();
    let number = copy["number"].as_str().unwrap();
    assert!(number.starts_with(&format!("M-{year}-")), "{number}");
    assert_ne!(
        copy["number"], src["number"],
        "a generated number, never the source's"
    );
    assert_eq!(copy["status"], "draft");
    assert_eq!(copy["signed_at"], Value::Null);
    assert_eq!(copy["organisation_id"], src["organisation_id"]);
    assert_eq!(copy["product_ids"], json!([p1]));
    assert_eq!(copy["start_date"], "2026-02-01");
    assert_eq!(copy["end_date"], "2027-01-31");
    assert_eq!(copy["amount"], 1500000.0);
    assert_eq!(copy["notes"], "Mandat de distribution");
    assert_eq!(copy["owner_id"], user.id.to_string());
    assert_eq!(
        history_types(&app, &copy, &user.token).await,
        ["mandate.created"]
    );
    let (status, again) = app
        .post(
            &format!("{}/duplicate", url(&src)),
            Some(&user.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_ne!(
        again["number"], copy["number"],
        "every copy gets its own number"
    );

    let (status, _) = app
        .post(
            &format!("{}/duplicate", url(&src)),
            Some(&other.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "out of scope looks absent");
    let (status, _) = app.delete(&format!("/api/v1/organisations/{o}"), tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app
        .post(
            &format!("{}/duplicate", url(&src)),
            Some(&user.token),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        first_error(&body),
        ("organisation_id".into(), "not_found".into())
    );
    app.stop().await;
}

#[tokio::test]
async fn other_tenants_cannot_duplicate_or_bulk() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let o = org(&app, &a.admin.token, "Secret").await;
    let m = create(&app, &a.admin.token, json!({"organisation_id": o})).await;
    let (status, body) = app
        .post(
            &format!("{}/duplicate", url(&m)),
            Some(&b.admin.token),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 404, "not_found");
    for body in [
        json!({"action": "delete", "ids": [m["id"]]}),
        json!({"action": "assign_owner", "owner_id": b.admin.id, "ids": [m["id"]]}),
        json!({"action": "change_status", "status": "proposed", "ids": [m["id"]]}),
    ] {
        let (status, res) = app
            .post("/api/v1/mandates/bulk", Some(&b.admin.token), body)
            .await;
        assert_problem(status, &res, 422, "validation_failed");
    }
    let again = get_mandate(&app, &a.admin.token, &m).await;
    assert_eq!(again["status"], "draft");
    assert_eq!(again["updated_at"], m["updated_at"]);
    let (_, all) = app.get("/api/v1/mandates", &a.admin.token).await;
    assert_eq!(ids(&all), [m["id"].as_str().unwrap()], "no copy was made");
    app.stop().await;
}
