//! People over HTTP: CRUD with ETags, validation, lists, links to organisations (both sides),
//! scopes, tenant isolation, bulk, idempotency, duplication, trash and history.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, person) = app.post("/api/v1/people", Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{person}");
    person
}

async fn create_org(app: &TestApp, token: &str, name: &str) -> Value {
    let (status, org) = app
        .post(
            "/api/v1/organisations",
            Some(token),
            json!({"name": name, "type": "investor"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    org
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|o| o["full_name"].as_str().unwrap().to_owned())
        .collect()
}

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {body}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

fn event_types(hist: &Value) -> Vec<String> {
    hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn count_rows(app: &TestApp, sql: &str) -> i64 {
    let mut su = app.superuser().await;
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&mut su)
        .await
        .unwrap()
}

#[tokio::test]
async fn crud_with_etags_trash_and_history() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let org = create_org(&app, tok, "Amundi").await;
    let res = app
        .req(Method::POST, "/api/v1/people", Some(tok))
        .json(&json!({"first_name": " Anne ", "last_name": "Dupont", "email": "Anne.Dupont@Amundi.FR",
                      "phone": "+33 1 42 00 00 00", "job_title": "Gérante", "tags": ["VIP", "vip"],
                      "organisations": [{"organisation_id": org["id"], "role": "CIO", "is_primary": true}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let person: Value = res.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/people/{}", id(&person)));
    assert_eq!(person["first_name"], "Anne");
    assert_eq!(person["full_name"], "Anne Dupont");
    assert_eq!(person["email"], "anne.dupont@amundi.fr");
    assert_eq!(person["owner_id"], t.admin.id.to_string());
    assert_eq!(person["tags"], json!(["VIP"]));
    assert_eq!(person["active"], true);

    let res = app
        .req(Method::GET, &location, Some(tok))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);

    // The link made on creation.
    let (status, links) = app.get(&format!("{location}/organisations"), tok).await;
    assert_eq!(status, StatusCode::OK, "{links}");
    assert_eq!(
        links["items"],
        json!([{"person_id": person["id"], "organisation_id": org["id"], "name": "Amundi",
                "type": "investor", "role": "CIO", "is_primary": true,
                "created_at": links["items"][0]["created_at"]}])
    );

    // PATCH needs If-Match: 428 without, 412 when stale; nothing changes either way.
    let res = app
        .req(Method::PATCH, &location, Some(tok))
        .json(&json!({"last_name": "Martin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_REQUIRED);
    let res = app
        .req(Method::PATCH, &location, Some(tok))
        .header("if-match", "\"stale\"")
        .json(&json!({"last_name": "Martin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let (_, still) = app.get(&location, tok).await;
    assert_eq!(still["last_name"], "Dupont");

    let res = app
        .req(Method::PATCH, &location, Some(tok))
        .header("if-match", &etag)
        .json(&json!({"last_name": "Martin", "first_name": null, "phone": null, "active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["last_name"], "Martin");
    assert_eq!(updated["first_name"], Value::Null);
    assert_eq!(updated["full_name"], "Martin");
    assert_eq!(updated["phone"], Value::Null);
    assert_eq!(updated["active"], false);
    assert_eq!(
        updated["email"], "anne.dupont@amundi.fr",
        "absent fields stay"
    );
    // The old ETag is stale now.
    let res = app
        .req(Method::PATCH, &location, Some(tok))
        .header("if-match", &etag)
        .json(&json!({"last_name": "Again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);

    // History: newest first, with who and the changed fields.
    let (status, hist) = app.get(&format!("{location}/history"), tok).await;
    assert_eq!(status, StatusCode::OK, "{hist}");
    assert_eq!(
        event_types(&hist),
        [
            "person.updated",
            "person.organisation_linked",
            "person.created"
        ]
    );
    let upd = &hist["items"][0];
    assert_eq!(upd["data"]["before"]["last_name"], "Dupont");
    assert_eq!(upd["data"]["after"]["last_name"], "Martin");
    assert_eq!(upd["data"]["before"]["first_name"], "Anne");
    assert_eq!(upd["data"]["after"]["first_name"], Value::Null);
    assert!(
        upd["data"]["before"].get("email").is_none(),
        "unchanged fields are left out"
    );
    assert_eq!(upd["data"]["record"]["last_name"], "Martin");
    assert_eq!(upd["actor"]["type"], "user");
    assert_eq!(upd["actor"]["id"], t.admin.id.to_string());
    assert_eq!(upd["tenant"], "acme");
    let linked = &hist["items"][1];
    assert_eq!(linked["data"]["after"]["organisation_id"], org["id"]);
    assert_eq!(linked["data"]["after"]["is_primary"], true);
    // History pages.
    let (_, h1) = app.get(&format!("{location}/history?limit=2"), tok).await;
    assert_eq!(h1["items"].as_array().unwrap().len(), 2);
    let c = h1["next_cursor"].as_str().unwrap();
    let (_, h2) = app
        .get(&format!("{location}/history?limit=2&cursor={c}"), tok)
        .await;
    assert_eq!(event_types(&h2), ["person.created"]);
    assert_eq!(h2["next_cursor"], Value::Null);

    // Trash: a deleted person disappears (from lists and from the organisation's contacts),
    // an admin restores them, purge erases them with their links.
    let contacts = format!("/api/v1/organisations/{}/people", id(&org));
    let (status, _) = app.delete(&location, tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&location, tok).await;
    assert_problem(status, &body, 404, "not_found");
    let (_, list) = app.get("/api/v1/people", tok).await;
    assert_eq!(list["items"], json!([]));
    let (_, c) = app.get(&contacts, tok).await;
    assert_eq!(c["items"], json!([]));
    let (_, trash) = app.get("/api/v1/people?deleted=true", tok).await;
    assert_eq!(ids(&trash), [id(&person)]);
    let (status, restored) = app
        .post(&format!("{location}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["deleted_at"], Value::Null);
    let (_, c) = app.get(&contacts, tok).await;
    assert_eq!(
        ids_of(&c, "person_id"),
        [id(&person)],
        "links survive the trash"
    );
    let (status, _) = app
        .post(&format!("{location}/purge"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .post(&format!("{location}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM person_organisations").await,
        0,
        "purge removes the links"
    );
    let (_, c) = app.get(&contacts, tok).await;
    assert_eq!(c["items"], json!([]));
    assert_eq!(
        count_rows(
            &app,
            &format!(
                "SELECT count(*) FROM events WHERE record_id = '{}' AND type IN \
                 ('person.deleted', 'person.restored', 'person.purged')",
                id(&person)
            )
        )
        .await,
        3,
        "delete, restore and purge are recorded"
    );
    app.stop().await;
}

fn ids_of(page: &Value, key: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|o| o[key].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn validation_reports_every_bad_field() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let org = create_org(&app, tok, "Amundi").await;
    let (status, body) = app
        .post(
            "/api/v1/people",
            Some(tok),
            json!({"last_name": " ", "first_name": "x".repeat(101), "email": "nope",
            "phone": "12", "job_title": "t".repeat(201), "notes": "n".repeat(20_001),
            "tags": [""],
            "organisations": [
                {"organisation_id": org["id"], "is_primary": true, "role": "r".repeat(201)},
                {"organisation_id": org["id"], "is_primary": true},
                {"organisation_id": "018f0000-0000-7000-8000-000000000000"}
            ]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let got = fields(&body);
    for f in [
        "last_name",
        "first_name",
        "email",
        "phone",
        "job_title",
        "notes",
        "tags",
    ] {
        assert!(got.contains(&f.to_owned()), "{f} missing from {body}");
    }
    // The links are checked once the fields are valid.
    let (status, body) = app
        .post(
            "/api/v1/people",
            Some(tok),
            json!({"last_name": "Dupont",
            "organisations": [
                {"organisation_id": org["id"], "is_primary": true, "role": "r".repeat(201)},
                {"organisation_id": org["id"], "is_primary": true},
                {"organisation_id": "018f0000-0000-7000-8000-000000000000"}
            ]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let errors = body["errors"].as_array().unwrap();
    for (field, code) in [
        ("organisations[0].role", "too_long"),
        ("organisations[1].organisation_id", "duplicate"),
        ("organisations[1].is_primary", "multiple_primary"),
        ("organisations[2].organisation_id", "not_found"),
    ] {
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{field}/{code} missing from {body}"
        );
    }
    // Missing, mistyped and unknown fields.
    let (status, body) = app
        .post("/api/v1/people", Some(tok), json!({"first_name": "Anne"}))
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "last_name");
    assert_eq!(body["errors"][0]["code"], "required");
    let (status, body) = app
        .post(
            "/api/v1/people",
            Some(tok),
            json!({"last_name": "X", "surname": "Y"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "unknown_field");
    let (status, body) = app
        .post(
            "/api/v1/people",
            Some(tok),
            json!({"last_name": "X", "owner_id": "018f0000-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "owner_id");
    let (_, list) = app.get("/api/v1/people", tok).await;
    assert_eq!(list["items"], json!([]), "nothing was created");
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM events WHERE record_type = 'person'"
        )
        .await,
        0
    );

    // PATCH validates the same way and changes nothing when refused.
    let p = create(&app, tok, json!({"last_name": "Dupont"})).await;
    let url = format!("/api/v1/people/{}", id(&p));
    let (status, body) = app
        .patch(
            &url,
            tok,
            json!({"last_name": "", "email": "bad@", "phone": "abc", "tags": ["x".repeat(51)]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let got = fields(&body);
    for f in ["last_name", "email", "phone", "tags"] {
        assert!(got.contains(&f.to_owned()), "{f} missing from {body}");
    }
    let (_, again) = app.get(&url, tok).await;
    assert_eq!(again["updated_at"], p["updated_at"]);
    app.stop().await;
}

#[tokio::test]
async fn lists_filter_sort_and_page() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let other = app.create_user(&t, "other@acme.test", "user", None).await;
    let org = create_org(&app, tok, "Amundi").await;
    let specs = [
        ("Anne", "Dupont", "anne@amundi.fr", "vip", true),
        ("Bernard", "dupont", "b@x.fr", "x", true),
        ("Claire", "Martin", "claire@amundi.fr", "vip", false),
        ("Albert", "Zola", "az@y.fr", "x", true),
    ];
    let mut created = Vec::new();
    for (first, last, email, tag, active) in specs {
        let mut body = json!({"first_name": first, "last_name": last, "email": email,
                              "tags": [tag], "active": active});
        if email.ends_with("amundi.fr") {
            body["organisations"] = json!([{"organisation_id": org["id"]}]);
        }
        created.push(create(&app, tok, body).await);
    }
    // No first name: sorts before every first name of the same last name.
    created.push(
        create(
            &app,
            &other.token,
            json!({"last_name": "Martin", "tags": ["x"]}),
        )
        .await,
    );

    let (status, p) = app.get("/api/v1/people", tok).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(
        names(&p),
        [
            "Anne Dupont",
            "Bernard dupont",
            "Martin",
            "Claire Martin",
            "Albert Zola"
        ],
        "default sort: last name then first name, case-insensitive"
    );
    let (_, p) = app.get("/api/v1/people?sort=-last_name", tok).await;
    assert_eq!(
        names(&p),
        [
            "Albert Zola",
            "Claire Martin",
            "Martin",
            "Bernard dupont",
            "Anne Dupont"
        ]
    );
    let (_, p) = app.get("/api/v1/people?sort=first_name&limit=2", tok).await;
    assert_eq!(names(&p), ["Martin", "Albert Zola"]);
    let (_, p) = app
        .get("/api/v1/people?sort=-created_at&limit=1", tok)
        .await;
    assert_eq!(names(&p), ["Martin"]);

    let (_, p) = app.get("/api/v1/people?q=DUPONT%20anne", tok).await;
    assert_eq!(names(&p), ["Anne Dupont"], "last name first");
    let (_, p) = app.get("/api/v1/people?q=anne%20dup", tok).await;
    assert_eq!(names(&p), ["Anne Dupont"], "first name first");
    let (_, p) = app.get("/api/v1/people?q=AMUNDI.fr&count=true", tok).await;
    assert_eq!(names(&p), ["Anne Dupont", "Claire Martin"], "email");
    assert_eq!(p["total"], 2);
    let (_, p) = app
        .get(&format!("/api/v1/people?organisation_id={}", id(&org)), tok)
        .await;
    assert_eq!(names(&p), ["Anne Dupont", "Claire Martin"]);
    let (_, p) = app.get("/api/v1/people?tag=vip&active=true", tok).await;
    assert_eq!(names(&p), ["Anne Dupont"]);
    let (_, p) = app
        .get("/api/v1/people?owner_id=me&count=true", &other.token)
        .await;
    assert_eq!(names(&p), ["Martin"]);
    assert_eq!(p["total"], 1);
    let (_, p) = app
        .get(&format!("/api/v1/people?owner_id={}", other.id), tok)
        .await;
    assert_eq!(names(&p), ["Martin"]);
    let (_, p) = app.get("/api/v1/people?owner_id=me", tok).await;
    assert_eq!(names(&p).len(), 4);

    // Last contact: never, or older than N days.
    let mut su = app.superuser().await;
    for (i, days) in [(0usize, 3), (1, 90)] {
        sqlx::query(
            "UPDATE people SET last_contact_at = now() - make_interval(days => $2) WHERE id = $1::uuid",
        )
        .bind(id(&created[i]))
        .bind(days)
        .execute(&mut su)
        .await
        .unwrap();
    }
    let (_, p) = app.get("/api/v1/people?no_contact_days=30", tok).await;
    assert_eq!(
        names(&p),
        ["Bernard dupont", "Martin", "Claire Martin", "Albert Zola"]
    );
    // Created ranges.
    sqlx::query("UPDATE people SET created_at = '2020-01-15T00:00:00Z' WHERE id = $1::uuid")
        .bind(id(&created[3]))
        .execute(&mut su)
        .await
        .unwrap();
    let (_, p) = app
        .get(
            "/api/v1/people?created_from=2020-01-01T00:00:00Z&created_to=2020-02-01T00:00:00Z",
            tok,
        )
        .await;
    assert_eq!(names(&p), ["Albert Zola"]);
    let (_, p) = app
        .get(
            "/api/v1/people?created_from=2021-01-01T00:00:00Z&count=true",
            tok,
        )
        .await;
    assert_eq!(p["total"], 4);
    let (_, p) = app
        .get("/api/v1/people?updated_to=2000-01-01T00:00:00Z", tok)
        .await;
    assert_eq!(p["items"], json!([]));

    // Walk each sort one row at a time: every row exactly once, in order.
    for (sort, want) in [
        (
            "last_name",
            vec![
                "Anne Dupont",
                "Bernard dupont",
                "Martin",
                "Claire Martin",
                "Albert Zola",
            ],
        ),
        (
            "-first_name",
            vec![
                "Claire Martin",
                "Bernard dupont",
                "Anne Dupont",
                "Albert Zola",
                "Martin",
            ],
        ),
        (
            "created_at",
            vec![
                "Albert Zola",
                "Anne Dupont",
                "Bernard dupont",
                "Claire Martin",
                "Martin",
            ],
        ),
    ] {
        let mut walked = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("/api/v1/people?limit=2&sort={sort}");
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
        assert_eq!(walked, want, "sort {sort}");
    }

    for bad in [
        "sort=email",
        "limit=500",
        "limit=0",
        "owner_id=someone",
        "organisation_id=nope",
        "no_contact_days=-1",
        "cursor=garbage",
    ] {
        let (status, body) = app.get(&format!("/api/v1/people?{bad}"), tok).await;
        assert_problem(status, &body, 422, "validation_failed");
    }
    let (_, p1) = app.get("/api/v1/people?limit=1", tok).await;
    let c = p1["next_cursor"].as_str().unwrap();
    let (status, body) = app
        .get(
            &format!("/api/v1/people?limit=1&sort=-created_at&cursor={c}"),
            tok,
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "cursor");
    let (status, body) = app.get("/api/v1/people?active=maybe", tok).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn links_primary_reverse_view_and_unlink() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let amundi = create_org(&app, tok, "Amundi").await;
    let bnp = create_org(&app, tok, "BNP Paribas").await;
    let carmignac = create_org(&app, tok, "Carmignac").await;
    let anne = create(
        &app,
        tok,
        json!({"first_name": "Anne", "last_name": "Dupont",
               "organisations": [{"organisation_id": amundi["id"], "is_primary": true}]}),
    )
    .await;
    let links_url = format!("/api/v1/people/{}/organisations", id(&anne));

    // A second link, made primary: the first one stays, no longer primary.
    let res = app
        .req(Method::POST, &links_url, Some(tok))
        .json(&json!({"organisation_id": bnp["id"], "role": " Directrice ", "is_primary": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let loc = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(loc, format!("{links_url}/{}", id(&bnp)));
    let link: Value = res.json().await.unwrap();
    assert_eq!(link["role"], "Directrice");
    assert_eq!(link["is_primary"], true);
    assert_eq!(link["name"], "BNP Paribas");
    let (status, one) = app.get(&loc, tok).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one, link);
    let (status, _) = app
        .post(
            &links_url,
            Some(tok),
            json!({"organisation_id": carmignac["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, links) = app.get(&links_url, tok).await;
    assert_eq!(
        ids_of(&links, "name"),
        ["BNP Paribas", "Amundi", "Carmignac"],
        "primary first, then by name"
    );
    let primaries: Vec<bool> = links["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["is_primary"].as_bool().unwrap())
        .collect();
    assert_eq!(primaries, [true, false, false]);
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM person_organisations WHERE is_primary"
        )
        .await,
        1
    );

    // Linking twice is refused.
    let (status, body) = app
        .post(
            &links_url,
            Some(tok),
            json!({"organisation_id": amundi["id"]}),
        )
        .await;
    assert_problem(status, &body, 409, "already_linked");
    // Unknown, deleted, or malformed organisations are refused.
    let (status, body) = app
        .post(
            &links_url,
            Some(tok),
            json!({"organisation_id": "018f0000-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "organisation_id");
    let gone = create_org(&app, tok, "Gone").await;
    app.delete(&format!("/api/v1/organisations/{}", id(&gone)), tok)
        .await;
    let (status, body) = app
        .post(
            &links_url,
            Some(tok),
            json!({"organisation_id": gone["id"]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = app
        .post(
            &links_url,
            Some(tok),
            json!({"organisation_id": amundi["id"], "role": "r".repeat(201), "extra": 1}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");

    // PATCH a link: role, then primary back to Amundi (BNP loses it).
    let amundi_link = format!("{links_url}/{}", id(&amundi));
    let (status, l) = app
        .call(
            Method::PATCH,
            &amundi_link,
            Some(tok),
            Some(json!({"role": "Analyste", "is_primary": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{l}");
    assert_eq!(l["role"], "Analyste");
    assert_eq!(l["is_primary"], true);
    let (_, links) = app.get(&links_url, tok).await;
    assert_eq!(
        ids_of(&links, "name"),
        ["Amundi", "BNP Paribas", "Carmignac"]
    );
    assert_eq!(links["items"][1]["is_primary"], false);
    assert_eq!(links["items"][1]["role"], "Directrice", "role kept");
    let (status, l) = app
        .call(
            Method::PATCH,
            &amundi_link,
            Some(tok),
            Some(json!({"role": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{l}");
    assert_eq!(l["role"], Value::Null);
    assert_eq!(l["is_primary"], true);
    let (status, body) = app
        .call(
            Method::PATCH,
            &amundi_link,
            Some(tok),
            Some(json!({"is_primary": "yes"})),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");

    // The organisation's contacts tab.
    let bernard = create(
        &app,
        tok,
        json!({"first_name": "Bernard", "last_name": "Arnaud",
               "organisations": [{"organisation_id": amundi["id"], "role": "PDG"}]}),
    )
    .await;
    let contacts = format!("/api/v1/organisations/{}/people", id(&amundi));
    let (status, c) = app.get(&contacts, tok).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(ids_of(&c, "full_name"), ["Bernard Arnaud", "Anne Dupont"]);
    assert_eq!(c["items"][0]["role"], "PDG");
    assert_eq!(c["items"][0]["is_primary"], false);
    assert_eq!(c["items"][1]["is_primary"], true);
    assert_eq!(c["items"][1]["organisation_id"], amundi["id"]);
    let (_, c1) = app.get(&format!("{contacts}?limit=1"), tok).await;
    assert_eq!(ids_of(&c1, "person_id"), [id(&bernard)]);
    let cur = c1["next_cursor"].as_str().unwrap();
    let (_, c2) = app
        .get(&format!("{contacts}?limit=1&cursor={cur}"), tok)
        .await;
    assert_eq!(ids_of(&c2, "person_id"), [id(&anne)]);
    assert_eq!(c2["next_cursor"], Value::Null);
    let (status, body) = app.get(&format!("{contacts}?cursor=xyz"), tok).await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, _) = app
        .get(
            "/api/v1/organisations/018f0000-0000-7000-8000-000000000000/people",
            tok,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A deleted organisation drops out of the person's links.
    app.delete(&format!("/api/v1/organisations/{}", id(&carmignac)), tok)
        .await;
    let (_, links) = app.get(&links_url, tok).await;
    assert_eq!(ids_of(&links, "name"), ["Amundi", "BNP Paribas"]);

    // Unlink.
    let (status, _) = app.delete(&amundi_link, tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.delete(&amundi_link, tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&amundi_link, tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, c) = app.get(&contacts, tok).await;
    assert_eq!(ids_of(&c, "person_id"), [id(&bernard)]);
    let (_, links) = app.get(&links_url, tok).await;
    assert_eq!(ids_of(&links, "name"), ["BNP Paribas"]);
    assert_eq!(links["items"][0]["is_primary"], false, "no primary left");
    let (status, body) = app
        .call(
            Method::PATCH,
            &amundi_link,
            Some(tok),
            Some(json!({"role": "x"})),
        )
        .await;
    assert_problem(status, &body, 404, "not_found");

    // Every link change is in the person's history, with the link as data.
    let (_, hist) = app
        .get(&format!("/api/v1/people/{}/history", id(&anne)), tok)
        .await;
    assert_eq!(
        event_types(&hist),
        [
            "person.organisation_unlinked",
            "person.organisation_updated",
            "person.organisation_updated",
            "person.organisation_updated",
            "person.organisation_linked",
            "person.organisation_linked",
            "person.organisation_updated",
            "person.organisation_linked",
            "person.created",
        ]
    );
    let unlinked = &hist["items"][0]["data"];
    assert_eq!(unlinked["before"]["organisation_id"], amundi["id"]);
    assert_eq!(unlinked["after"], json!({}));
    let cleared = &hist["items"][3]["data"];
    assert_eq!(cleared["record"]["organisation_id"], bnp["id"]);
    assert_eq!(cleared["before"], json!({"is_primary": true}));
    assert_eq!(cleared["after"], json!({"is_primary": false}));
    app.stop().await;
}

#[tokio::test]
async fn scopes_apply_to_lists_reads_writes_links_and_bulk() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let admin = &t.admin.token;
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
    let mate_org = create_org(&app, &mate.token, "Mate Org").await;
    let other_org = create_org(&app, &other.token, "Other Org").await;
    let mine = create(
        &app,
        &mate.token,
        json!({"last_name": "Mate's", "organisations": [{"organisation_id": mate_org["id"]}]}),
    )
    .await;
    let theirs = create(
        &app,
        &other.token,
        json!({"last_name": "Other's", "organisations": [{"organisation_id": other_org["id"]}]}),
    )
    .await;
    let boss = create(&app, admin, json!({"last_name": "Admin's"})).await;

    // Lists.
    let (_, p) = app.get("/api/v1/people", &mate.token).await;
    assert_eq!(ids(&p), [id(&mine)], "user: own records only");
    let (_, p) = app.get("/api/v1/people", &manager.token).await;
    assert_eq!(ids(&p), [id(&mine)], "manager: the team's records");
    let (_, p) = app.get("/api/v1/people?count=true", &viewer.token).await;
    assert_eq!(p["total"], 3, "viewer: reads all");
    let (_, p) = app.get("/api/v1/people?count=true", admin).await;
    assert_eq!(p["total"], 3);
    let (status, body) = app.get("/api/v1/people?deleted=true", &manager.token).await;
    assert_problem(status, &body, 403, "forbidden");

    // Reads and writes outside the scope look absent.
    let theirs_url = format!("/api/v1/people/{}", id(&theirs));
    for path in ["", "/history", "/organisations"] {
        let (status, _) = app.get(&format!("{theirs_url}{path}"), &mate.token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
    }
    let (status, _) = app
        .patch(&theirs_url, &mate.token, json!({"last_name": "Hijack"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&theirs_url, &manager.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post(
            &format!("{theirs_url}/organisations"),
            Some(&mate.token),
            json!({"organisation_id": mate_org["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The manager writes a teammate's record; the viewer reads everything and writes nothing.
    let mine_url = format!("/api/v1/people/{}", id(&mine));
    let (status, body) = app
        .patch(&mine_url, &manager.token, json!({"job_title": "CFO"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app.get(&theirs_url, &viewer.token).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .patch(&theirs_url, &viewer.token, json!({"last_name": "V"}))
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app
        .post(
            "/api/v1/people",
            Some(&viewer.token),
            json!({"last_name": "V"}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app
        .post(
            &format!("{theirs_url}/organisations"),
            Some(&viewer.token),
            json!({"organisation_id": mate_org["id"]}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app
        .post(
            "/api/v1/people/bulk",
            Some(&viewer.token),
            json!({"action": "add_tag", "tag": "x", "ids": [theirs["id"]]}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    for action in ["restore", "purge"] {
        let (status, body) = app
            .post(
                &format!("{mine_url}/{action}"),
                Some(&manager.token),
                json!({}),
            )
            .await;
        assert_problem(status, &body, 403, "forbidden");
    }

    // Owners must be within the caller's scope.
    let (status, body) = app
        .post(
            "/api/v1/people",
            Some(&mate.token),
            json!({"last_name": "Gift", "owner_id": other.id}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "owner_id");
    assert_eq!(body["errors"][0]["code"], "out_of_scope");

    // Links need read access to the organisation.
    let (status, body) = app
        .post(
            &format!("{mine_url}/organisations"),
            Some(&mate.token),
            json!({"organisation_id": other_org["id"]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "organisation_id");
    let (status, body) = app
        .post(
            "/api/v1/people",
            Some(&mate.token),
            json!({"last_name": "New", "organisations": [{"organisation_id": other_org["id"]}]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        body["errors"][0]["field"],
        "organisations[0].organisation_id"
    );
    // The administrator links Mate's person to Other's organisation and Other's person to
    // Mate's organisation: each side shows only what the caller may read.
    let (status, _) = app
        .post(
            &format!("{mine_url}/organisations"),
            Some(admin),
            json!({"organisation_id": other_org["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .post(
            &format!("{theirs_url}/organisations"),
            Some(admin),
            json!({"organisation_id": mate_org["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, links) = app
        .get(&format!("{mine_url}/organisations"), &mate.token)
        .await;
    assert_eq!(ids_of(&links, "name"), ["Mate Org"]);
    let (_, links) = app.get(&format!("{mine_url}/organisations"), admin).await;
    assert_eq!(ids_of(&links, "name"), ["Mate Org", "Other Org"]);
    let (status, _) = app
        .delete(
            &format!("{mine_url}/organisations/{}", id(&other_org)),
            &mate.token,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "an unreadable organisation's link"
    );
    let mate_contacts = format!("/api/v1/organisations/{}/people", id(&mate_org));
    let (_, c) = app.get(&mate_contacts, &mate.token).await;
    assert_eq!(ids_of(&c, "person_id"), [id(&mine)]);
    let (_, c) = app.get(&mate_contacts, admin).await;
    assert_eq!(c["items"].as_array().unwrap().len(), 2);
    let (status, _) = app
        .get(
            &format!("/api/v1/organisations/{}/people", id(&other_org)),
            &mate.token,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, c) = app
        .get(
            &format!("/api/v1/organisations/{}/people", id(&other_org)),
            &viewer.token,
        )
        .await;
    assert_eq!(c["items"].as_array().unwrap().len(), 2, "viewer reads all");

    // Bulk is all or nothing: one record out of scope rejects the batch.
    let (status, body) = app
        .post(
            "/api/v1/people/bulk",
            Some(&mate.token),
            json!({"action": "add_tag", "tag": "salon", "ids": [mine["id"], theirs["id"]]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (_, still) = app.get(&mine_url, &mate.token).await;
    assert_eq!(still["tags"], json!([]), "nothing changed");
    let (status, res) = app
        .post(
            "/api/v1/people/bulk",
            Some(&mate.token),
            json!({"action": "add_tag", "tag": "salon", "ids": [mine["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    let (status, res) = app
        .post(
            "/api/v1/people/bulk",
            Some(admin),
            json!({"action": "add_tag", "tag": "salon", "ids": [mine["id"], theirs["id"], boss["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["affected"], 3);
    let (_, p) = app.get("/api/v1/people?tag=salon&count=true", admin).await;
    assert_eq!(p["total"], 3);
    // The manager cannot hand a teammate's record to someone outside the team.
    let (status, body) = app
        .post(
            "/api/v1/people/bulk",
            Some(&manager.token),
            json!({"action": "assign_owner", "owner_id": other.id, "ids": [mine["id"]]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "owner_id");
    let (status, _) = app
        .post(
            "/api/v1/people/bulk",
            Some(&manager.token),
            json!({"action": "assign_owner", "owner_id": manager.id, "ids": [mine["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, p) = app.get("/api/v1/people", &mate.token).await;
    assert_eq!(p["items"], json!([]), "no longer Mate's");
    let (_, p) = app.get("/api/v1/people", &manager.token).await;
    assert_eq!(ids(&p), [id(&mine)]);
    app.stop().await;
}

#[tokio::test]
async fn other_tenants_get_404_and_change_nothing() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let a_org = create_org(&app, &a.admin.token, "Acme Org").await;
    let b_org = create_org(&app, &b.admin.token, "Bravo Org").await;
    let person = create(
        &app,
        &a.admin.token,
        json!({"last_name": "Secret", "organisations": [{"organisation_id": a_org["id"], "is_primary": true}]}),
    )
    .await;
    let b_person = create(&app, &b.admin.token, json!({"last_name": "Bravo"})).await;
    let events_before = count_rows(&app, "SELECT count(*) FROM events").await;
    let url = format!("/api/v1/people/{}", id(&person));
    let link_url = format!("{url}/organisations/{}", id(&a_org));
    let bt = &b.admin.token;

    for path in [
        url.clone(),
        format!("{url}/history"),
        format!("{url}/organisations"),
        link_url.clone(),
        format!("/api/v1/organisations/{}/people", id(&a_org)),
    ] {
        let (status, body) = app.get(&path, bt).await;
        assert_problem(status, &body, 404, "not_found");
    }
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
        .req(Method::PATCH, &url, Some(bt))
        .header("if-match", &etag)
        .json(&json!({"last_name": "Pwned"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&url, bt).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for action in ["restore", "purge", "duplicate"] {
        let (status, _) = app
            .post(&format!("{url}/{action}"), Some(bt), json!({}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}");
    }
    // A's person with B's organisation, B's person with A's organisation: refused.
    let (status, _) = app
        .post(
            &format!("{url}/organisations"),
            Some(bt),
            json!({"organisation_id": b_org["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .post(
            &format!("/api/v1/people/{}/organisations", id(&b_person)),
            Some(bt),
            json!({"organisation_id": a_org["id"]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = app
        .post(
            &format!("{url}/organisations"),
            Some(&a.admin.token),
            json!({"organisation_id": b_org["id"]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = app
        .post(
            "/api/v1/people",
            Some(bt),
            json!({"last_name": "Sneaky", "organisations": [{"organisation_id": a_org["id"]}]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, _) = app
        .call(
            Method::PATCH,
            &link_url,
            Some(bt),
            Some(json!({"role": "Pwned"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&link_url, bt).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post(
            "/api/v1/people/bulk",
            Some(bt),
            json!({"action": "delete", "ids": [person["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = app.get("/api/v1/people", bt).await;
    assert_eq!(ids(&list), [id(&b_person)]);
    let (_, list) = app
        .get(
            &format!("/api/v1/people?organisation_id={}", id(&a_org)),
            bt,
        )
        .await;
    assert_eq!(list["items"], json!([]));

    // Nothing changed on A's side.
    let (_, again) = app.get(&url, &a.admin.token).await;
    assert_eq!(again["last_name"], "Secret");
    assert_eq!(again["updated_at"], person["updated_at"]);
    let (_, links) = app
        .get(&format!("{url}/organisations"), &a.admin.token)
        .await;
    assert_eq!(ids_of(&links, "organisation_id"), [id(&a_org)]);
    assert_eq!(links["items"][0]["is_primary"], true);
    assert_eq!(links["items"][0]["role"], Value::Null);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM person_organisations").await,
        1
    );
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM events").await,
        events_before,
        "no event was written"
    );
    app.stop().await;
}

#[tokio::test]
async fn bulk_is_all_or_nothing() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let user = app.create_user(&t, "user@acme.test", "user", None).await;
    let mut people = Vec::new();
    for name in ["Alpha", "Bravo", "Charlie"] {
        people.push(create(&app, tok, json!({"last_name": name, "tags": ["old"]})).await);
    }
    let all: Vec<Value> = people.iter().map(|p| p["id"].clone()).collect();
    let bulk = |body: Value| app.post("/api/v1/people/bulk", Some(tok), body);

    let (status, body) =
        bulk(json!({"action": "change_stage", "stage": "signed", "ids": all})).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "unsupported_action");
    let (status, body) = bulk(json!({"action": "explode", "ids": all})).await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = bulk(json!({"action": "delete", "ids": []})).await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = bulk(json!({"action": "add_tag", "tag": " ", "ids": all})).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "tag");
    let mut with_unknown = all.clone();
    with_unknown.push(json!("018f0000-0000-7000-8000-000000000000"));
    let (status, body) =
        bulk(json!({"action": "add_tag", "tag": "new", "ids": with_unknown})).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "ids");
    let (_, p) = app.get("/api/v1/people?tag=new", tok).await;
    assert_eq!(p["items"], json!([]), "nothing changed");
    let (status, body) = bulk(json!({"action": "assign_owner", "owner_id": "018f0000-0000-7000-8000-000000000000", "ids": all})).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "owner_id");

    let (status, res) = bulk(json!({"action": "add_tag", "tag": "new", "ids": all})).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["affected"], 3);
    let (status, _) = bulk(json!({"action": "remove_tag", "tag": "OLD", "ids": all})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, p) = app.get("/api/v1/people", tok).await;
    for item in p["items"].as_array().unwrap() {
        assert_eq!(item["tags"], json!(["new"]), "{item}");
    }
    let (status, _) =
        bulk(json!({"action": "assign_owner", "owner_id": user.id, "ids": [all[0], all[1]]})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, p) = app.get("/api/v1/people", &user.token).await;
    assert_eq!(names(&p), ["Alpha", "Bravo"]);
    let (_, hist) = app
        .get(&format!("/api/v1/people/{}/history", id(&people[0])), tok)
        .await;
    assert_eq!(hist["items"][0]["type"], "person.updated");
    assert_eq!(
        hist["items"][0]["data"]["after"]["owner_id"],
        user.id.to_string()
    );

    let (status, _) = bulk(json!({"action": "delete", "ids": [all[0], all[2]]})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, p) = app.get("/api/v1/people", tok).await;
    assert_eq!(names(&p), ["Bravo"]);
    let (_, trash) = app.get("/api/v1/people?deleted=true&count=true", tok).await;
    assert_eq!(trash["total"], 2);
    // Deleted ids are unknown to further bulk actions.
    let (status, _) = bulk(json!({"action": "delete", "ids": [all[0]]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

#[tokio::test]
async fn idempotency_key_and_duplicate() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let org = create_org(&app, tok, "Amundi").await;
    let send = |body: Value, key: &'static str| {
        app.req(Method::POST, "/api/v1/people", Some(tok))
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let body = json!({"first_name": "Anne", "last_name": "Once",
                      "organisations": [{"organisation_id": org["id"], "role": "CIO", "is_primary": true}]});
    let first = send(body.clone(), "k-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first_loc = first.headers()["location"].clone();
    let first_etag = first.headers()["etag"].clone();
    let first_body: Value = first.json().await.unwrap();
    let second = send(body.clone(), "k-1").await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["location"], first_loc);
    assert_eq!(second.headers()["etag"], first_etag);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second_body: Value = second.json().await.unwrap();
    assert_eq!(second_body, first_body);
    let (_, list) = app.get("/api/v1/people?count=true", tok).await;
    assert_eq!(list["total"], 1, "one row");
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM person_organisations").await,
        1,
        "one link"
    );
    let third = send(json!({"last_name": "Other"}), "k-1").await.unwrap();
    assert_eq!(third.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A refused request is replayed as refused, too.
    let bad = send(json!({"last_name": ""}), "k-2").await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad_again = send(json!({"last_name": ""}), "k-2").await.unwrap();
    assert_eq!(bad_again.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let user = app.create_user(&t, "user@acme.test", "user", None).await;
    let url = format!("/api/v1/people/{}/duplicate", id(&first_body));
    let (status, _) = app.post(&url, Some(&user.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not the user's to copy");
    let (status, copy) = app.post(&url, Some(tok), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_eq!(copy["last_name"], "Once (copie)");
    assert_eq!(copy["first_name"], "Anne");
    assert_ne!(copy["id"], first_body["id"]);
    let (_, links) = app
        .get(&format!("/api/v1/people/{}/organisations", id(&copy)), tok)
        .await;
    assert_eq!(ids_of(&links, "organisation_id"), [id(&org)]);
    assert_eq!(links["items"][0]["role"], "CIO");
    assert_eq!(links["items"][0]["is_primary"], true);
    let (_, c) = app
        .get(&format!("/api/v1/organisations/{}/people", id(&org)), tok)
        .await;
    assert_eq!(ids_of(&c, "full_name"), ["Anne Once", "Anne Once (copie)"]);
    let long = create(&app, tok, json!({"last_name": "L".repeat(100)})).await;
    let (status, copy) = app
        .post(
            &format!("/api/v1/people/{}/duplicate", id(&long)),
            Some(tok),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_eq!(copy["last_name"].as_str().unwrap().chars().count(), 100);
    app.stop().await;
}
