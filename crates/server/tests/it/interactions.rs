//! Interactions over HTTP: validation and links, `last_contact_at` upkeep (and the
//! organisations' `no_contact_days` filter that reads it), lists, scopes, ETags, idempotency,
//! tenant isolation and the organisation timeline.

use crate::helpers::*;
use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, v) = app.post(path, Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {v}");
    v
}

async fn org(app: &TestApp, token: &str, name: &str) -> Value {
    create(
        app,
        token,
        "/api/v1/organisations",
        json!({"name": name, "type": "investor"}),
    )
    .await
}

async fn person(app: &TestApp, token: &str, last_name: &str) -> Value {
    create(
        app,
        token,
        "/api/v1/people",
        json!({"last_name": last_name}),
    )
    .await
}

async fn interaction(app: &TestApp, token: &str, body: Value) -> Value {
    create(app, token, "/api/v1/interactions", body).await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().map(|s| s.parse().unwrap())
}

fn days_ago(n: i64) -> DateTime<Utc> {
    Utc::now() - Duration::days(n)
}

async fn last_contact(app: &TestApp, token: &str, path: &str) -> Option<DateTime<Utc>> {
    let (status, v) = app.get(path, token).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    time(&v["last_contact_at"])
}

fn close(a: Option<DateTime<Utc>>, b: DateTime<Utc>) -> bool {
    a.is_some_and(|a| (a - b).num_milliseconds().abs() < 1)
}

#[tokio::test]
async fn crud_last_contact_and_no_contact_filter() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let a = org(&app, tok, "Alpha").await;
    let b = org(&app, tok, "Bravo").await;
    let p = person(&app, tok, "Durand").await;
    let a_url = format!("/api/v1/organisations/{}", id(&a));
    let b_url = format!("/api/v1/organisations/{}", id(&b));
    let p_url = format!("/api/v1/people/{}", id(&p));
    assert_eq!(last_contact(&app, tok, &a_url).await, None);

    // Ten days ago: a call with Alpha and Durand.
    let when = days_ago(10);
    let res = app
        .req(Method::POST, "/api/v1/interactions", Some(tok))
        .json(
            &json!({"kind": "call", "summary": "  Discussed the SCPI allocation. ",
                      "occurred_at": when, "organisation_id": a["id"], "person_id": p["id"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(res.headers().contains_key("etag"));
    let first: Value = res.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/interactions/{}", id(&first)));
    assert_eq!(first["summary"], "Discussed the SCPI allocation.");
    assert_eq!(first["author_id"], t.admin.id.to_string());
    assert_eq!(first["kind"], "call");
    assert!(close(time(&first["occurred_at"]), when));
    assert!(close(last_contact(&app, tok, &a_url).await, when));
    assert!(close(last_contact(&app, tok, &p_url).await, when));
    assert_eq!(last_contact(&app, tok, &b_url).await, None);

    // The organisations' "no contact for N days" filter reads it.
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, list) = app
        .get("/api/v1/organisations?no_contact_days=5", tok)
        .await;
    assert_eq!(names(&list), ["Alpha", "Bravo"]);
    let (_, list) = app
        .get("/api/v1/organisations?no_contact_days=30", tok)
        .await;
    assert_eq!(names(&list), ["Bravo"], "Alpha was contacted 10 days ago");

    // A newer meeting moves it forward; an older note does not.
    let yesterday = days_ago(1);
    let second = interaction(
        &app,
        tok,
        json!({"kind": "meeting", "summary": "Lunch", "occurred_at": yesterday,
               "organisation_id": a["id"]}),
    )
    .await;
    interaction(
        &app,
        tok,
        json!({"kind": "note", "summary": "Old note", "occurred_at": days_ago(40),
               "organisation_id": a["id"]}),
    )
    .await;
    assert!(close(last_contact(&app, tok, &a_url).await, yesterday));
    assert!(
        close(last_contact(&app, tok, &p_url).await, when),
        "person unchanged"
    );
    let (_, list) = app
        .get("/api/v1/organisations?no_contact_days=5", tok)
        .await;
    assert_eq!(names(&list), ["Bravo"]);

    // PATCH needs If-Match; moving the meeting to Bravo recomputes both.
    let second_url = format!("/api/v1/interactions/{}", id(&second));
    let res = app
        .req(Method::PATCH, &second_url, Some(tok))
        .json(&json!({"organisation_id": b["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_REQUIRED);
    let res = app
        .req(Method::PATCH, &second_url, Some(tok))
        .header("if-match", "\"stale\"")
        .json(&json!({"organisation_id": b["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let (status, moved) = app
        .patch(&second_url, tok, json!({"organisation_id": b["id"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["organisation_id"], b["id"]);
    assert!(close(last_contact(&app, tok, &a_url).await, when));
    assert!(close(last_contact(&app, tok, &b_url).await, yesterday));
    // Moving it in time as well.
    let two_days_ago = days_ago(2);
    let (status, _) = app
        .patch(&second_url, tok, json!({"occurred_at": two_days_ago}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(close(last_contact(&app, tok, &b_url).await, two_days_ago));
    // Unlinking the last link is refused.
    let (status, body) = app
        .patch(&second_url, tok, json!({"organisation_id": null}))
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "organisation_id");

    // Deleting falls back to what is left (the 40-day-old note for Alpha, nothing for Durand).
    let (status, _) = app.delete(&location, tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&location, tok).await;
    assert_problem(status, &body, 404, "not_found");
    let a_contact = last_contact(&app, tok, &a_url).await.unwrap();
    assert!((a_contact - days_ago(40)).num_seconds().abs() < 60);
    assert_eq!(last_contact(&app, tok, &p_url).await, None);

    // History of the moved meeting: newest first, with before/after.
    let (status, hist) = app.get(&format!("{second_url}/history"), tok).await;
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
            "interaction.updated",
            "interaction.updated",
            "interaction.created"
        ]
    );
    assert_eq!(
        hist["items"][1]["data"]["before"]["organisation_id"],
        a["id"]
    );
    assert_eq!(
        hist["items"][1]["data"]["after"]["organisation_id"],
        b["id"]
    );
    let (status, _) = app.get(&format!("{location}/history"), tok).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "deleted records are gone from the API"
    );
    let mut su = app.superuser().await;
    let (kind, deleted_by): (String, Option<uuid::Uuid>) = sqlx::query_as(
        "SELECT e.type, i.deleted_by FROM events e JOIN interactions i ON i.id = e.record_id \
         WHERE e.record_id = $1::uuid ORDER BY e.seq DESC LIMIT 1",
    )
    .bind(id(&first))
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(kind, "interaction.deleted");
    assert_eq!(deleted_by, Some(t.admin.id), "soft delete keeps the row");
    app.stop().await;
}

#[tokio::test]
async fn validation_and_links_to_foreign_records() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let other = app.create_tenant("bravo").await;
    let tok = &t.admin.token;
    let foreign_org = org(&app, &other.admin.token, "Theirs").await;
    let foreign_person = person(&app, &other.admin.token, "Martin").await;
    let mine = org(&app, tok, "Mine").await;

    let (status, body) = app
        .post(
            "/api/v1/interactions",
            Some(tok),
            json!({"kind": "call", "summary": "No link"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "organisation_id");
    assert_eq!(body["errors"][0]["code"], "required");

    let (status, body) = app
        .post(
            "/api/v1/interactions",
            Some(tok),
            json!({"kind": "call", "summary": "x", "organisation_id": foreign_org["id"],
                   "person_id": foreign_person["id"]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let errs: Vec<(String, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().into(),
                e["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        errs.contains(&("organisation_id".into(), "not_found".into())),
        "{body}"
    );
    assert!(
        errs.contains(&("person_id".into(), "not_found".into())),
        "{body}"
    );

    // Every bad field at once.
    let (status, body) = app
        .post(
            "/api/v1/interactions",
            Some(tok),
            json!({"kind": "call", "summary": "x".repeat(5001), "organisation_id": mine["id"],
                   "author_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["summary", "author_id"], "{body}");

    for bad in [
        json!({"kind": "visit", "summary": "x", "organisation_id": mine["id"]}),
        json!({"kind": "call", "summary": " ", "organisation_id": mine["id"]}),
        json!({"kind": "call", "summary": "x", "organisation_id": "nope"}),
        json!({"kind": "call", "summary": "x", "organisation_id": mine["id"], "occurred_at": "yesterday"}),
        json!({"kind": "call", "summary": "x", "organisation_id": mine["id"], "extra": 1}),
    ] {
        let (status, body) = app
            .post("/api/v1/interactions", Some(tok), bad.clone())
            .await;
        assert_problem(status, &body, 422, "validation_failed");
    }
    // A deleted organisation cannot be linked either.
    let (status, _) = app
        .delete(&format!("/api/v1/organisations/{}", id(&mine)), tok)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app
        .post(
            "/api/v1/interactions",
            Some(tok),
            json!({"kind": "call", "summary": "x", "organisation_id": mine["id"]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "not_found");

    let (status, body) = app.get("/api/v1/interactions?kind=visit", tok).await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = app.get("/api/v1/interactions?sort=summary", tok).await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = app.get("/api/v1/interactions?author_id=bob", tok).await;
    assert_problem(status, &body, 422, "validation_failed");
    let (_, list) = app.get("/api/v1/interactions", tok).await;
    assert_eq!(list["items"], json!([]), "nothing was created");
    let (_, list) = app.get("/api/v1/interactions", &other.admin.token).await;
    assert_eq!(list["items"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn lists_filter_sort_and_page() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let bob = app.create_user(&t, "bob@acme.test", "admin", None).await;
    let a = org(&app, tok, "Alpha").await;
    let b = org(&app, tok, "Bravo").await;
    let p = person(&app, tok, "Durand").await;
    let specs = [
        ("call", "Call about ETF", 5, &a, false),
        ("email", "Sent the brochure", 4, &a, true),
        ("meeting", "Meeting in Lyon", 3, &b, false),
        ("note", "Note: prefers email", 2, &b, true),
        ("call", "Follow-up call", 1, &a, false),
    ];
    let mut made = Vec::new();
    for (kind, summary, days, o, with_person) in specs {
        let mut body = json!({"kind": kind, "summary": summary, "occurred_at": days_ago(days),
                              "organisation_id": o["id"]});
        if with_person {
            body["person_id"] = p["id"].clone();
        }
        let token = if kind == "meeting" { &bob.token } else { tok };
        made.push(id(&interaction(&app, token, body).await));
    }
    let (_, page) = app.get("/api/v1/interactions", tok).await;
    assert_eq!(
        ids(&page),
        [
            made[4].as_str(),
            made[3].as_str(),
            made[2].as_str(),
            made[1].as_str(),
            made[0].as_str()
        ],
        "newest first by default"
    );
    let (_, page) = app
        .get("/api/v1/interactions?kind=call,email&sort=occurred_at", tok)
        .await;
    assert_eq!(
        ids(&page),
        [made[0].as_str(), made[1].as_str(), made[4].as_str()]
    );
    let (_, page) = app
        .get(&format!("/api/v1/interactions?person_id={}", id(&p)), tok)
        .await;
    assert_eq!(ids(&page), [made[3].as_str(), made[1].as_str()]);
    let (_, page) = app
        .get(
            &format!("/api/v1/interactions?organisation_id={}&q=CALL", id(&a)),
            tok,
        )
        .await;
    assert_eq!(ids(&page), [made[4].as_str(), made[0].as_str()]);
    let (_, page) = app
        .get("/api/v1/interactions?author_id=me", &bob.token)
        .await;
    assert_eq!(ids(&page), [made[2].as_str()]);
    let (_, page) = app
        .get(
            &format!("/api/v1/interactions?author_id={}&count=true", t.admin.id),
            tok,
        )
        .await;
    assert_eq!(page["total"], 4);
    let from = days_ago(4) - Duration::hours(1);
    let to = days_ago(2) + Duration::hours(1);
    let (status, page) = app
        .get(
            &format!(
                "/api/v1/interactions?occurred_from={}&occurred_to={}",
                from.format("%Y-%m-%dT%H:%M:%SZ"),
                to.format("%Y-%m-%dT%H:%M:%SZ")
            ),
            tok,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        ids(&page),
        [made[3].as_str(), made[2].as_str(), made[1].as_str()]
    );
    // The organisation tab.
    let (status, page) = app
        .get(
            &format!("/api/v1/organisations/{}/interactions", id(&b)),
            tok,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(ids(&page), [made[3].as_str(), made[2].as_str()]);

    // Walk one row at a time: every row exactly once, in order.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = "/api/v1/interactions?limit=2&sort=-occurred_at".to_owned();
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.get(&url, tok).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        walked.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        walked,
        [
            made[4].as_str(),
            made[3].as_str(),
            made[2].as_str(),
            made[1].as_str(),
            made[0].as_str()
        ]
    );
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
    let mate_org = org(&app, &mate.token, "Mate's").await;
    let other_org = org(&app, &other.token, "Other's").await;
    let mine = interaction(
        &app,
        &mate.token,
        json!({"kind": "call", "summary": "mate", "organisation_id": mate_org["id"]}),
    )
    .await;
    let theirs = interaction(
        &app,
        &other.token,
        json!({"kind": "call", "summary": "other", "organisation_id": other_org["id"]}),
    )
    .await;
    let boss = interaction(
        &app,
        &t.admin.token,
        json!({"kind": "note", "summary": "admin", "organisation_id": mate_org["id"]}),
    )
    .await;

    let (_, p) = app.get("/api/v1/interactions", &mate.token).await;
    assert_eq!(ids(&p), [id(&mine)], "user: own interactions only");
    let (_, p) = app.get("/api/v1/interactions", &manager.token).await;
    assert_eq!(ids(&p), [id(&mine)], "manager: the team's");
    let (_, p) = app.get("/api/v1/interactions", &viewer.token).await;
    assert_eq!(ids(&p).len(), 3, "viewer: reads all");
    let (_, p) = app.get("/api/v1/interactions", &t.admin.token).await;
    assert_eq!(ids(&p).len(), 3);

    let theirs_url = format!("/api/v1/interactions/{}", id(&theirs));
    let (status, _) = app.get(&theirs_url, &mate.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "out of scope looks absent");
    let (status, _) = app
        .patch(&theirs_url, &mate.token, json!({"summary": "Hijack"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&theirs_url, &mate.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get(&format!("{theirs_url}/history"), &manager.token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let boss_url = format!("/api/v1/interactions/{}", id(&boss));
    let (status, _) = app.get(&boss_url, &mate.token).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the author owns it, not the organisation's owner"
    );

    // The manager edits a teammate's interaction; the viewer writes nothing.
    let mine_url = format!("/api/v1/interactions/{}", id(&mine));
    let (status, body) = app
        .patch(&mine_url, &manager.token, json!({"summary": "Reviewed"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .patch(&mine_url, &viewer.token, json!({"summary": "V"}))
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app
        .post(
            "/api/v1/interactions",
            Some(&viewer.token),
            json!({"kind": "call", "summary": "V", "organisation_id": mate_org["id"]}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");

    // Linking needs read access to the record; authorship stays within scope.
    let (status, body) = app
        .post(
            "/api/v1/interactions",
            Some(&mate.token),
            json!({"kind": "call", "summary": "x", "organisation_id": other_org["id"]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "organisation_id");
    assert_eq!(body["errors"][0]["code"], "not_found");
    let (status, body) = app
        .post(
            "/api/v1/interactions",
            Some(&mate.token),
            json!({"kind": "call", "summary": "x", "organisation_id": mate_org["id"],
                   "author_id": other.id}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "out_of_scope");
    let (status, body) = app
        .post(
            "/api/v1/interactions",
            Some(&manager.token),
            json!({"kind": "call", "summary": "for mate", "organisation_id": mate_org["id"],
                   "author_id": mate.id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The tab and the timeline hang off an organisation the caller can read.
    let (status, _) = app
        .get(
            &format!("/api/v1/organisations/{}/interactions", id(&other_org)),
            &mate.token,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get(
            &format!("/api/v1/organisations/{}/timeline", id(&other_org)),
            &mate.token,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, tl) = app
        .get(
            &format!("/api/v1/organisations/{}/timeline", id(&mate_org)),
            &mate.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tl}");
    let shown: Vec<String> = tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "interaction")
        .map(|e| id(&e["interaction"]))
        .collect();
    assert!(shown.contains(&id(&mine)), "{tl}");
    assert!(
        !shown.contains(&id(&boss)),
        "the admin's note is not mate's to read"
    );
    assert!(
        tl["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] == "interaction" || e["event"]["data"]["id"] != boss["id"]),
        "nor are its events"
    );
    app.stop().await;
}

#[tokio::test]
async fn other_tenants_get_404_and_change_nothing() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let o = org(&app, &a.admin.token, "Secret").await;
    let i = interaction(
        &app,
        &a.admin.token,
        json!({"kind": "meeting", "summary": "Confidential", "organisation_id": o["id"],
               "occurred_at": days_ago(3)}),
    )
    .await;
    let url = format!("/api/v1/interactions/{}", id(&i));
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
        .json(&json!({"summary": "Pwned"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&url, &b.admin.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for tab in ["interactions", "timeline"] {
        let (status, _) = app
            .get(
                &format!("/api/v1/organisations/{}/{tab}", id(&o)),
                &b.admin.token,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{tab}");
    }
    let (_, list) = app.get("/api/v1/interactions", &b.admin.token).await;
    assert_eq!(list["items"], json!([]));
    let (_, list) = app
        .get(
            &format!("/api/v1/interactions?organisation_id={}", id(&o)),
            &b.admin.token,
        )
        .await;
    assert_eq!(list["items"], json!([]));
    let (_, again) = app.get(&url, &a.admin.token).await;
    assert_eq!(again["summary"], "Confidential");
    assert_eq!(again["updated_at"], i["updated_at"]);
    let (_, hist) = app.get(&format!("{url}/history"), &a.admin.token).await;
    assert_eq!(hist["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn idempotency_key_replays_the_creation() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Once").await;
    let send = |body: Value, key: &'static str| {
        app.req(Method::POST, "/api/v1/interactions", Some(tok))
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let body = json!({"kind": "call", "summary": "Once", "organisation_id": o["id"]});
    let first = send(body.clone(), "k-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first_loc = first.headers()["location"].clone();
    let first_body: Value = first.json().await.unwrap();
    let second = send(body.clone(), "k-1").await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["location"], first_loc);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.json::<Value>().await.unwrap(), first_body);
    let (_, list) = app.get("/api/v1/interactions", tok).await;
    assert_eq!(ids(&list), [id(&first_body)], "one row");
    let third = send(
        json!({"kind": "call", "summary": "Twice", "organisation_id": o["id"]}),
        "k-1",
    )
    .await
    .unwrap();
    assert_eq!(third.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut su = app.superuser().await;
    let (n,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM events WHERE type = 'interaction.created'")
            .fetch_one(&mut su)
            .await
            .unwrap();
    assert_eq!(n, 1, "one event");
    app.stop().await;
}

#[tokio::test]
async fn timeline_merges_interactions_and_history_newest_first() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Alpha").await;
    let elsewhere = org(&app, tok, "Bravo").await;
    let o_url = format!("/api/v1/organisations/{}", id(&o));
    let old = interaction(
        &app,
        tok,
        json!({"kind": "call", "summary": "First call", "occurred_at": days_ago(3),
               "organisation_id": o["id"]}),
    )
    .await;
    let recent = interaction(
        &app,
        tok,
        json!({"kind": "meeting", "summary": "Meeting", "occurred_at": days_ago(1),
               "organisation_id": o["id"]}),
    )
    .await;
    interaction(
        &app,
        tok,
        json!({"kind": "note", "summary": "Not about Alpha", "organisation_id": elsewhere["id"]}),
    )
    .await;
    let (status, _) = app.patch(&o_url, tok, json!({"city": "Paris"})).await;
    assert_eq!(status, StatusCode::OK);
    let old_url = format!("/api/v1/interactions/{}", id(&old));
    let (status, _) = app
        .patch(&old_url, tok, json!({"summary": "First call (notes)"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .delete(&format!("/api/v1/interactions/{}", id(&recent)), tok)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let label = |e: &Value| -> String {
        match e["kind"].as_str().unwrap() {
            "interaction" => format!(
                "interaction:{}",
                e["interaction"]["summary"].as_str().unwrap()
            ),
            _ => e["event"]["type"].as_str().unwrap().to_owned(),
        }
    };
    let (status, tl) = app.get(&format!("{o_url}/timeline"), tok).await;
    assert_eq!(status, StatusCode::OK, "{tl}");
    let items = tl["items"].as_array().unwrap();
    let labels: Vec<String> = items.iter().map(label).collect();
    assert_eq!(
        labels,
        [
            "interaction.deleted",
            "interaction.updated",
            "organisation.updated",
            "interaction.created",
            "interaction.created",
            "organisation.created",
            "interaction:First call (notes)",
        ],
        "{tl}"
    );
    assert_eq!(tl["next_cursor"], Value::Null);
    let times: Vec<DateTime<Utc>> = items
        .iter()
        .map(|e| time(&e["occurred_at"]).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // Pages of three give the same entries, each once.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut url = format!("{o_url}/timeline?limit=3");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.get(&url, tok).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        walked.extend(page["items"].as_array().unwrap().iter().map(label));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, labels);
    assert_eq!(pages, 3);
    let (status, body) = app.get(&format!("{o_url}/timeline?cursor=zzz"), tok).await;
    assert_problem(status, &body, 422, "validation_failed");
    app.stop().await;
}

async fn events_of(app: &TestApp, kind: &str, record: &str) -> i64 {
    let mut su = app.superuser().await;
    sqlx::query_scalar("SELECT count(*) FROM events WHERE type = $1 AND record_id = $2::uuid")
        .bind(kind)
        .bind(record)
        .fetch_one(&mut su)
        .await
        .unwrap()
}

#[tokio::test]
async fn trash_restore_purge_and_last_contact() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let user = app.create_user(&t, "claire@acme.test", "user", None).await;
    let o = org(&app, &user.token, "Banque Lumière Gestion").await;
    let org_url = format!("/api/v1/organisations/{}", id(&o));
    let older = days_ago(10);
    let newer = days_ago(2);
    let first = interaction(
        &app,
        &user.token,
        json!({"kind": "meeting", "summary": "Présentation du fonds", "organisation_id": o["id"],
               "occurred_at": older}),
    )
    .await;
    let last = interaction(
        &app,
        &user.token,
        json!({"kind": "call", "summary": "Relance", "organisation_id": o["id"],
               "occurred_at": newer}),
    )
    .await;
    let u = format!("/api/v1/interactions/{}", id(&last));
    let (status, _) = app.delete(&u, &user.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(close(last_contact(&app, tok, &org_url).await, older));

    // The trash, restore and purge need the manage permission (administrators).
    let (status, body) = app
        .get("/api/v1/interactions?deleted=true", &user.token)
        .await;
    assert_problem(status, &body, 403, "forbidden");
    for action in ["restore", "purge"] {
        let (status, body) = app
            .post(&format!("{u}/{action}"), Some(&user.token), json!({}))
            .await;
        assert_problem(status, &body, 403, "forbidden");
    }
    let (status, trash) = app.get("/api/v1/interactions?deleted=true", tok).await;
    assert_eq!(status, StatusCode::OK, "{trash}");
    assert_eq!(ids(&trash), [id(&last)]);
    assert!(trash["items"][0]["deleted_at"].is_string());
    let (_, trash) = app
        .get(
            &format!("/api/v1/organisations/{}/interactions?deleted=true", id(&o)),
            tok,
        )
        .await;
    assert_eq!(
        ids(&trash),
        [id(&last)],
        "the organisation's tab has a trash too"
    );

    let (status, restored) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert!(restored.get("deleted_at").is_none());
    assert!(
        close(last_contact(&app, tok, &org_url).await, newer),
        "a restored interaction counts again"
    );
    let (_, hist) = app.get(&format!("{u}/history"), &user.token).await;
    assert_eq!(hist["items"][0]["type"], "interaction.restored");
    let (status, _) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not in the trash");

    // Purge erases a live interaction too, and last_contact_at follows.
    let (status, _) = app.post(&format!("{u}/purge"), Some(tok), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&u, tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(close(last_contact(&app, tok, &org_url).await, older));
    assert_eq!(events_of(&app, "interaction.purged", &id(&last)).await, 1);

    // Deleted more than 30 days ago: gone for restore.
    let fu = format!("/api/v1/interactions/{}", id(&first));
    app.delete(&fu, tok).await;
    let mut su = app.superuser().await;
    sqlx::query(
        "UPDATE interactions SET deleted_at = now() - interval '31 days' WHERE id = $1::uuid",
    )
    .bind(id(&first))
    .execute(&mut su)
    .await
    .unwrap();
    let (status, _) = app
        .post(&format!("{fu}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(last_contact(&app, tok, &org_url).await, None);
    app.stop().await;
}

#[tokio::test]
async fn bulk_and_duplicate_follow_scopes() {
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
    let mate_org = org(&app, &mate.token, "Banque Lumière Gestion").await;
    let other_org = org(&app, &other.token, "Assurances du Midi").await;
    let claire = person(&app, &mate.token, "Martin").await;
    let when = days_ago(3);
    let mine = interaction(
        &app,
        &mate.token,
        json!({"kind": "meeting", "summary": "Rendez-vous annuel", "organisation_id": mate_org["id"],
               "person_id": claire["id"], "occurred_at": when}),
    )
    .await;
    let mine2 = interaction(
        &app,
        &mate.token,
        json!({"kind": "email", "summary": "Envoi du DICI", "organisation_id": mate_org["id"]}),
    )
    .await;
    let theirs = interaction(
        &app,
        &other.token,
        json!({"kind": "call", "summary": "Appel", "organisation_id": other_org["id"]}),
    )
    .await;

    // Out-of-scope ids look unknown, and the batch changes nothing.
    let (status, body) = app
        .post(
            "/api/v1/interactions/bulk",
            Some(&mate.token),
            json!({"action": "delete", "ids": [mine["id"], theirs["id"]]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&id(&theirs))
    );
    let (status, _) = app
        .get(&format!("/api/v1/interactions/{}", id(&mine)), &mate.token)
        .await;
    assert_eq!(status, StatusCode::OK, "nothing deleted");
    let (status, body) = app
        .post(
            "/api/v1/interactions/bulk",
            Some(&viewer.token),
            json!({"action": "delete", "ids": [mine["id"]]}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");

    // A manager hands the team's interactions to a teammate, not to an outsider.
    let (status, body) = app
        .post(
            "/api/v1/interactions/bulk",
            Some(&manager.token),
            json!({"action": "assign_owner", "author_id": other.id, "ids": [mine["id"]]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "author_id");
    assert_eq!(body["errors"][0]["code"], "out_of_scope");
    let (status, res) = app
        .post(
            "/api/v1/interactions/bulk",
            Some(&manager.token),
            json!({"action": "assign_owner", "owner_id": manager.id,
                   "ids": [mine["id"], mine2["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["affected"], 2);
    let (_, p) = app
        .get("/api/v1/interactions?author_id=me", &manager.token)
        .await;
    assert_eq!(ids(&p).len(), 2);
    let (_, p) = app.get("/api/v1/interactions", &mate.token).await;
    assert_eq!(ids(&p), Vec::<String>::new(), "mate no longer authors them");
    let (_, hist) = app
        .get(
            &format!("/api/v1/interactions/{}/history", id(&mine)),
            &manager.token,
        )
        .await;
    assert_eq!(hist["items"][0]["type"], "interaction.updated");
    assert_eq!(
        hist["items"][0]["data"]["after"]["author_id"],
        manager.id.to_string()
    );

    // Duplicate: same kind, date, summary and links, authored by the caller.
    let (status, copy) = app
        .post(
            &format!("/api/v1/interactions/{}/duplicate", id(&mine)),
            Some(&manager.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_ne!(copy["id"], mine["id"]);
    assert_eq!(copy["kind"], "meeting");
    assert_eq!(copy["summary"], "Rendez-vous annuel");
    assert_eq!(copy["organisation_id"], mate_org["id"]);
    assert_eq!(copy["person_id"], claire["id"]);
    assert!(close(time(&copy["occurred_at"]), when));
    assert_eq!(copy["author_id"], manager.id.to_string());
    assert_eq!(events_of(&app, "interaction.created", &id(&copy)).await, 1);
    let (status, _) = app
        .post(
            &format!("/api/v1/interactions/{}/duplicate", id(&theirs)),
            Some(&manager.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "out of scope");
    let (status, body) = app
        .post(
            &format!("/api/v1/interactions/{}/duplicate", id(&theirs)),
            Some(&viewer.token),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");

    // A copy needs live links.
    let (status, _) = app
        .delete(&format!("/api/v1/people/{}", id(&claire)), &t.admin.token)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app
        .post(
            &format!("/api/v1/interactions/{}/duplicate", id(&mine)),
            Some(&manager.token),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "person_id");

    // Bulk delete moves to the trash and last_contact_at follows.
    let org_url = format!("/api/v1/organisations/{}", id(&mate_org));
    let (status, res) = app
        .post(
            "/api/v1/interactions/bulk",
            Some(&t.admin.token),
            json!({"action": "delete", "ids": [mine["id"], mine2["id"], copy["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["affected"], 3);
    assert_eq!(last_contact(&app, &t.admin.token, &org_url).await, None);
    let (_, trash) = app
        .get(
            "/api/v1/interactions?deleted=true&sort=created_at",
            &t.admin.token,
        )
        .await;
    assert_eq!(ids(&trash), [id(&mine), id(&mine2), id(&copy)]);
    app.stop().await;
}

#[tokio::test]
async fn other_tenants_cannot_restore_purge_duplicate_or_bulk() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let o = org(&app, &a.admin.token, "Secret").await;
    let live = interaction(
        &app,
        &a.admin.token,
        json!({"kind": "note", "summary": "confidentiel", "organisation_id": o["id"]}),
    )
    .await;
    let gone = interaction(
        &app,
        &a.admin.token,
        json!({"kind": "note", "summary": "corbeille", "organisation_id": o["id"]}),
    )
    .await;
    let live_url = format!("/api/v1/interactions/{}", id(&live));
    let gone_url = format!("/api/v1/interactions/{}", id(&gone));
    app.delete(&gone_url, &a.admin.token).await;
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
        json!({"action": "assign_owner", "author_id": b.admin.id, "ids": [live["id"]]}),
        json!({"action": "delete", "ids": [live["id"]]}),
    ] {
        let (status, res) = app
            .post("/api/v1/interactions/bulk", Some(&b.admin.token), body)
            .await;
        assert_problem(status, &res, 422, "validation_failed");
    }
    let (_, trash) = app
        .get("/api/v1/interactions?deleted=true", &b.admin.token)
        .await;
    assert_eq!(trash["items"], json!([]));
    let (_, again) = app.get(&live_url, &a.admin.token).await;
    assert_eq!(again["updated_at"], live["updated_at"]);
    let (_, trash) = app
        .get("/api/v1/interactions?deleted=true", &a.admin.token)
        .await;
    assert_eq!(ids(&trash), [id(&gone)]);
    let (_, all) = app.get("/api/v1/interactions", &a.admin.token).await;
    assert_eq!(ids(&all), [id(&live)], "no copy was made");
    app.stop().await;
}
