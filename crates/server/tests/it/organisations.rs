//! Organisations over HTTP: CRUD with ETags, validation, lists, pipeline, scopes, bulk,
//! idempotency, duplication, trash and history.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, org) = app.post("/api/v1/organisations", Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    org
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn crud_with_etags_trash_and_history() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let res = app
        .req(Method::POST, "/api/v1/organisations", Some(tok))
        .json(
            &json!({"name": "Société Générale Gestion", "type": "issuer", "category": "opcvm",
                      "email": "Contact@SGG.fr", "city": "Paris", "country": "fr",
                      "expected_amount": 1250000.5, "tags": ["VIP", "vip", "Paris"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(res.headers().contains_key("etag"));
    let org: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/organisations/{}", org["id"].as_str().unwrap())
    );
    assert_eq!(org["email"], "contact@sgg.fr");
    assert_eq!(org["country"], "FR");
    assert_eq!(org["pipeline_stage"], "prospect");
    assert_eq!(org["owner_id"], t.admin.id.to_string());
    assert_eq!(org["tags"], json!(["VIP", "Paris"]));
    assert_eq!(org["expected_amount"], 1250000.5);

    // PATCH needs If-Match: 428 without, 412 when stale.
    let res = app
        .req(Method::PATCH, &location, Some(tok))
        .json(&json!({"city": "Lyon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_REQUIRED);
    let res = app
        .req(Method::PATCH, &location, Some(tok))
        .header("if-match", "\"stale\"")
        .json(&json!({"city": "Lyon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let (status, updated) = app
        .patch(
            &location,
            tok,
            json!({"city": "Lyon", "pipeline_stage": "qualification", "notes": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["city"], "Lyon");
    assert_eq!(updated["pipeline_stage"], "qualification");

    // History: newest first, with who and the changed fields.
    let (status, hist) = app.get(&format!("{location}/history"), tok).await;
    assert_eq!(status, StatusCode::OK, "{hist}");
    let types: Vec<&str> = hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "organisation.stage_changed",
            "organisation.updated",
            "organisation.created"
        ]
    );
    let upd = &hist["items"][1];
    assert_eq!(upd["data"]["before"]["city"], "Paris");
    assert_eq!(upd["data"]["after"]["city"], "Lyon");
    assert_eq!(upd["data"]["before"]["pipeline_stage"], "prospect");
    assert_eq!(upd["actor"]["type"], "user");
    assert_eq!(upd["actor"]["id"], t.admin.id.to_string());
    assert_eq!(upd["tenant"], "acme");
    assert!(upd["id"].as_str().unwrap().starts_with("evt_"));
    assert!(
        upd["data"]["before"].get("name").is_none(),
        "unchanged fields are left out"
    );

    // Trash: deleted records disappear, an admin restores them, purge erases.
    let (status, _) = app.delete(&location, tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&location, tok).await;
    assert_problem(status, &body, 404, "not_found");
    let (_, trash) = app.get("/api/v1/organisations?deleted=true", tok).await;
    assert_eq!(ids(&trash), [org["id"].as_str().unwrap()]);
    let (status, restored) = app
        .post(&format!("{location}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["deleted_at"], Value::Null);
    let (status, _) = app.get(&location, tok).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(&format!("{location}/purge"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .post(&format!("{location}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn validation_reports_every_bad_field() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let (status, body) = app
        .post(
            "/api/v1/organisations",
            Some(&t.admin.token),
            json!({"name": " ", "type": "investor", "email": "nope", "phone": "12",
                   "country": "France", "expected_amount": -5, "website": "not a site"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "name",
        "email",
        "phone",
        "country",
        "expected_amount",
        "website",
    ] {
        assert!(fields.contains(&f), "{f} missing from {body}");
    }
    let (status, body) = app
        .post(
            "/api/v1/organisations",
            Some(&t.admin.token),
            json!({"name": "X", "type": "bank"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "type");
    let (_, list) = app.get("/api/v1/organisations", &t.admin.token).await;
    assert_eq!(list["items"], json!([]), "nothing was created");
    app.stop().await;
}

#[tokio::test]
async fn lists_filter_sort_and_page() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let specs = [
        ("Alpha", "investor", "paris", 300.0, "prospect", "vip"),
        ("Bravo", "investor", "lyon", 100.0, "signed", "vip"),
        ("charlie", "supplier", "Paris", 200.0, "prospect", "x"),
        ("Delta", "issuer", "paris", 100.0, "lost", "vip"),
        ("Echo", "distributor", "nice", 0.0, "qualification", "x"),
    ];
    for (name, ty, city, amount, stage, tag) in specs {
        create(
            &app,
            tok,
            json!({"name": name, "type": ty, "city": city, "expected_amount": amount,
                   "pipeline_stage": stage, "tags": [tag]}),
        )
        .await;
    }
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, p) = app.get("/api/v1/organisations", tok).await;
    assert_eq!(
        names(&p),
        ["Alpha", "Bravo", "charlie", "Delta", "Echo"],
        "default sort is name, case-insensitive"
    );
    let (_, p) = app
        .get("/api/v1/organisations?type=investor,issuer&city=PARIS", tok)
        .await;
    assert_eq!(names(&p), ["Alpha", "Delta"]);
    let (_, p) = app
        .get("/api/v1/organisations?tag=vip&stage=prospect,signed", tok)
        .await;
    assert_eq!(names(&p), ["Alpha", "Bravo"]);
    let (_, p) = app.get("/api/v1/organisations?q=LTA&count=true", tok).await;
    assert_eq!(names(&p), ["Delta"]);
    assert_eq!(p["total"], 1);

    // Walk a mixed-direction sort one row at a time: every row exactly once, in order.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = "/api/v1/organisations?limit=2&sort=-expected_amount,name".to_owned();
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.get(&url, tok).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        walked.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, ["Alpha", "charlie", "Bravo", "Delta", "Echo"]);

    let (status, body) = app.get("/api/v1/organisations?sort=password", tok).await;
    assert_problem(status, &body, 422, "validation_failed");
    let (_, p1) = app.get("/api/v1/organisations?limit=1", tok).await;
    let c = p1["next_cursor"].as_str().unwrap();
    let (status, body) = app
        .get(
            &format!("/api/v1/organisations?limit=1&sort=-name&cursor={c}"),
            tok,
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = app.get("/api/v1/organisations?stage=won", tok).await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = app.get("/api/v1/organisations?limit=500", tok).await;
    assert_problem(status, &body, 422, "validation_failed");
    app.stop().await;
}

#[tokio::test]
async fn stuck_records_and_stage_history() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let old = create(&app, tok, json!({"name": "Old", "type": "investor"})).await;
    create(&app, tok, json!({"name": "Fresh", "type": "investor"})).await;
    let signed = create(
        &app,
        tok,
        json!({"name": "Done", "type": "investor", "pipeline_stage": "signed"}),
    )
    .await;
    let mut su = app.superuser().await;
    for id in [&old["id"], &signed["id"]] {
        sqlx::query("UPDATE organisations SET stage_changed_at = now() - interval '45 days' WHERE id = $1::uuid")
            .bind(id.as_str().unwrap())
            .execute(&mut su)
            .await
            .unwrap();
    }
    let (_, p) = app.get("/api/v1/organisations?stuck_days=30", tok).await;
    assert_eq!(
        ids(&p),
        [old["id"].as_str().unwrap()],
        "closed stages are never stuck"
    );
    app.stop().await;
}

#[tokio::test]
async fn scopes_apply_to_lists_reads_writes_and_bulk() {
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
    let mine = create(
        &app,
        &mate.token,
        json!({"name": "Mate's", "type": "investor"}),
    )
    .await;
    let theirs = create(
        &app,
        &other.token,
        json!({"name": "Other's", "type": "investor"}),
    )
    .await;
    let boss = create(
        &app,
        &t.admin.token,
        json!({"name": "Admin's", "type": "investor"}),
    )
    .await;

    let (_, p) = app.get("/api/v1/organisations", &mate.token).await;
    assert_eq!(
        ids(&p),
        [mine["id"].as_str().unwrap()],
        "user: own records only"
    );
    let (_, p) = app.get("/api/v1/organisations", &manager.token).await;
    assert_eq!(
        ids(&p),
        [mine["id"].as_str().unwrap()],
        "manager: the team's records"
    );
    let (_, p) = app.get("/api/v1/organisations", &viewer.token).await;
    assert_eq!(ids(&p).len(), 3, "viewer: reads all");
    let (_, p) = app.get("/api/v1/organisations", &t.admin.token).await;
    assert_eq!(ids(&p).len(), 3);

    let theirs_url = format!("/api/v1/organisations/{}", theirs["id"].as_str().unwrap());
    let (status, _) = app.get(&theirs_url, &mate.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "out of scope looks absent");
    let (status, _) = app
        .patch(&theirs_url, &mate.token, json!({"name": "Hijack"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .post(
            "/api/v1/organisations",
            Some(&viewer.token),
            json!({"name": "V", "type": "investor"}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app
        .post(
            "/api/v1/organisations",
            Some(&mate.token),
            json!({"name": "Gift", "type": "investor", "owner_id": other.id}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "owner_id");

    // Bulk is all or nothing: one record out of scope rejects the batch.
    let (status, _) = app
        .post(
            "/api/v1/organisations/bulk",
            Some(&mate.token),
            json!({"action": "change_stage", "stage": "signed", "ids": [mine["id"], theirs["id"]]}),
        )
        .await;
    assert!(
        status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::FORBIDDEN,
        "{status}"
    );
    let (_, still) = app
        .get(
            &format!("/api/v1/organisations/{}", mine["id"].as_str().unwrap()),
            &mate.token,
        )
        .await;
    assert_eq!(still["pipeline_stage"], "prospect", "nothing changed");
    let (status, res) = app
        .post(
            "/api/v1/organisations/bulk",
            Some(&t.admin.token),
            json!({"action": "add_tag", "tag": "salon-2026", "ids": [mine["id"], theirs["id"], boss["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["affected"], 3);
    let (_, p) = app
        .get("/api/v1/organisations?tag=salon-2026", &t.admin.token)
        .await;
    assert_eq!(ids(&p).len(), 3);
    let (status, res) = app
        .post(
            "/api/v1/organisations/bulk",
            Some(&t.admin.token),
            json!({"action": "delete", "ids": [mine["id"], theirs["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    let (_, p) = app.get("/api/v1/organisations", &t.admin.token).await;
    assert_eq!(ids(&p), [boss["id"].as_str().unwrap()]);
    app.stop().await;
}

#[tokio::test]
async fn other_tenants_get_404_and_change_nothing() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let org = create(
        &app,
        &a.admin.token,
        json!({"name": "Secret", "type": "investor"}),
    )
    .await;
    let url = format!("/api/v1/organisations/{}", org["id"].as_str().unwrap());
    let (status, _) = app.get(&url, &b.admin.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&format!("{url}/history"), &b.admin.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let etag = app
        .req(Method::GET, &url, Some(&a.admin.token))
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let res = app
        .req(Method::PATCH, &url, Some(&b.admin.token))
        .header("if-match", &etag)
        .json(&json!({"name": "Pwned"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&url, &b.admin.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for action in ["restore", "purge", "duplicate"] {
        let (status, _) = app
            .post(&format!("{url}/{action}"), Some(&b.admin.token), json!({}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}");
    }
    let (status, _) = app
        .post(
            "/api/v1/organisations/bulk",
            Some(&b.admin.token),
            json!({"action": "delete", "ids": [org["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = app.get("/api/v1/organisations", &b.admin.token).await;
    assert_eq!(list["items"], json!([]));
    let (_, again) = app.get(&url, &a.admin.token).await;
    assert_eq!(again["name"], "Secret");
    assert_eq!(again["updated_at"], org["updated_at"]);
    app.stop().await;
}

#[tokio::test]
async fn idempotency_key_and_duplicate() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let send = |body: Value, key: &'static str| {
        app.req(Method::POST, "/api/v1/organisations", Some(tok))
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let body = json!({"name": "Once", "type": "investor"});
    let first = send(body.clone(), "k-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first_loc = first.headers()["location"].clone();
    let first_body: Value = first.json().await.unwrap();
    let second = send(body.clone(), "k-1").await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["location"], first_loc);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second_body: Value = second.json().await.unwrap();
    assert_eq!(second_body, first_body);
    let (_, list) = app.get("/api/v1/organisations", tok).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "one row");
    let third = send(json!({"name": "Other", "type": "investor"}), "k-1")
        .await
        .unwrap();
    assert_eq!(third.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let url = format!(
        "/api/v1/organisations/{}/duplicate",
        first_body["id"].as_str().unwrap()
    );
    let (status, copy) = app.post(&url, Some(tok), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_eq!(copy["name"], "Once (copie)");
    assert_ne!(copy["id"], first_body["id"]);
    app.stop().await;
}

/// Keyset pages stay exact while rows are written between fetches: every row that existed
/// when the walk began comes back exactly once, whether the new rows sort before or after
/// the cursor, and no row (old or new) is ever repeated.
#[tokio::test]
async fn pages_have_no_gaps_or_repeats_while_rows_are_inserted() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    // Names leave room on both sides of each other: "M05", "M10", … "M60".
    let mut initial = std::collections::BTreeSet::new();
    for i in (5..=60).step_by(5) {
        let o = create(
            &app,
            tok,
            json!({"name": format!("M{i:02}"), "type": "investor"}),
        )
        .await;
        initial.insert(o["id"].as_str().unwrap().to_owned());
    }

    for sort in ["name", "-name", "-created_at,name"] {
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut round = 0;
        loop {
            let mut url = format!("/api/v1/organisations?limit=3&sort={sort}");
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let (status, page) = app.get(&url, tok).await;
            assert_eq!(status, StatusCode::OK, "{sort}: {page}");
            seen.extend(ids(&page));
            // Between two fetches, insert one row that sorts before the cursor and one
            // that sorts after it (by name: "A…" before everything, "Z…" after; in
            // `-created_at` order every new row comes before the cursor).
            round += 1;
            for name in [format!("A{sort}{round:02}"), format!("Z{sort}{round:02}")] {
                create(&app, tok, json!({"name": name, "type": "issuer"})).await;
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
            assert!(round < 50, "{sort}: the walk does not end");
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{sort}: a row came back twice: {seen:?}"
        );
        for id in &initial {
            assert!(seen.contains(id), "{sort}: row {id} was skipped");
        }
    }
    app.stop().await;
}
