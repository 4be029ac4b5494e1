//! Tasks over HTTP: CRUD with ETags, completion and its events, assignment notices, the mine
//! and overdue filters, sorting with undated tasks last, scopes, bulk actions, links to
//! records, idempotency and tenant isolation.

use crate::helpers::*;
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, v) = app.post(path, Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {v}");
    v
}

async fn task(app: &TestApp, token: &str, body: Value) -> Value {
    create(app, token, "/api/v1/tasks", body).await
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

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(id)
        .collect()
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

fn in_days(n: i64) -> String {
    (Utc::now() + Duration::days(n)).to_rfc3339()
}

async fn history_types(app: &TestApp, token: &str, task: &Value) -> Vec<String> {
    let (status, hist) = app
        .get(&format!("/api/v1/tasks/{}/history", id(task)), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{hist}");
    hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn crud_completion_and_events() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Alpha").await;
    let res = app
        .req(Method::POST, "/api/v1/tasks", Some(tok))
        .json(
            &json!({"title": " Send the KID ", "description": "PDF of the fund",
                      "due_at": in_days(2), "priority": "high",
                      "record_type": "organisation", "record_id": o["id"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(res.headers().contains_key("etag"));
    let created: Value = res.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/tasks/{}", id(&created)));
    assert_eq!(created["title"], "Send the KID");
    assert_eq!(created["status"], "todo");
    assert_eq!(created["priority"], "high");
    assert_eq!(created["assignee_id"], t.admin.id.to_string());
    assert_eq!(created["created_by"], t.admin.id.to_string());
    assert_eq!(created["completed_at"], Value::Null);
    assert_eq!(created["overdue"], false);
    assert_eq!(created["record_type"], "organisation");
    assert_eq!(created["record_id"], o["id"]);

    // If-Match: 428 without, 412 when stale.
    let res = app
        .req(Method::PATCH, &location, Some(tok))
        .json(&json!({"status": "done"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_REQUIRED);
    let res = app
        .req(Method::PATCH, &location, Some(tok))
        .header("if-match", "\"stale\"")
        .json(&json!({"status": "done"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);

    let (status, done) = app.patch(&location, tok, json!({"status": "done"})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "done");
    let completed_at = done["completed_at"].as_str().expect("completed_at set");
    // Editing a done task keeps its completion time.
    let (_, still) = app
        .patch(&location, tok, json!({"description": null}))
        .await;
    assert_eq!(still["completed_at"], completed_at);
    assert_eq!(still["description"], Value::Null);
    assert_eq!(
        history_types(&app, tok, &created).await,
        [
            "task.updated",
            "task.completed",
            "task.updated",
            "task.created"
        ]
    );
    let (_, hist) = app.get(&format!("{location}/history"), tok).await;
    let completed = &hist["items"][1];
    assert_eq!(completed["data"]["before"]["status"], "todo");
    assert_eq!(completed["data"]["after"]["status"], "done");
    assert_eq!(completed["data"]["after"]["completed_at"], completed_at);
    assert_eq!(completed["actor"]["id"], t.admin.id.to_string());

    // Reopening clears it.
    let (_, reopened) = app
        .patch(&location, tok, json!({"status": "in_progress"}))
        .await;
    assert_eq!(reopened["completed_at"], Value::Null);
    // Unlinking both at once is fine; one without the other is not.
    let (status, body) = app.patch(&location, tok, json!({"record_id": null})).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "record_id");
    let (status, unlinked) = app
        .patch(
            &location,
            tok,
            json!({"record_id": null, "record_type": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{unlinked}");
    assert_eq!(unlinked["record_type"], Value::Null);

    let (status, _) = app.delete(&location, tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&location, tok).await;
    assert_problem(status, &body, 404, "not_found");
    let (_, list) = app.get("/api/v1/tasks", tok).await;
    assert_eq!(list["items"], json!([]));
    let mut su = app.superuser().await;
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM events WHERE type = 'task.deleted' AND record_id = $1::uuid",
    )
    .bind(id(&created))
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(n, 1);
    app.stop().await;
}

#[tokio::test]
async fn validation_and_record_links() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let other = app.create_tenant("bravo").await;
    let tok = &t.admin.token;
    let foreign = org(&app, &other.admin.token, "Theirs").await;
    let mine = org(&app, tok, "Mine").await;

    let (status, body) = app
        .post(
            "/api/v1/tasks",
            Some(tok),
            json!({"title": "", "description": "x".repeat(20_001), "record_type": "organisation"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "description", "record_id"], "{body}");

    for (record_type, record_id) in [
        ("organisation", foreign["id"].clone()),
        ("organisation", json!(uuid::Uuid::now_v7())),
        ("person", mine["id"].clone()),
        ("mandate", json!(uuid::Uuid::now_v7())),
    ] {
        let (status, body) = app
            .post(
                "/api/v1/tasks",
                Some(tok),
                json!({"title": "Linked", "record_type": record_type, "record_id": record_id}),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "record_id", "{body}");
        assert_eq!(body["errors"][0]["code"], "not_found", "{body}");
    }
    for bad in [
        json!({"title": "x", "priority": "asap"}),
        json!({"title": "x", "status": "blocked"}),
        json!({"title": "x", "record_type": "product", "record_id": mine["id"]}),
        json!({"title": "x", "due_at": "tomorrow"}),
        json!({"title": "x", "assignee_id": uuid::Uuid::now_v7()}),
        json!({"title": "line\nbreak"}),
        json!({"title": "x", "owner_id": t.admin.id}),
    ] {
        let (status, body) = app.post("/api/v1/tasks", Some(tok), bad.clone()).await;
        assert_problem(status, &body, 422, "validation_failed");
    }
    for bad in [
        "status=blocked",
        "priority=asap",
        "sort=title",
        "assignee_id=bob",
        "record_type=product",
        "limit=0",
    ] {
        let (status, body) = app.get(&format!("/api/v1/tasks?{bad}"), tok).await;
        assert_problem(status, &body, 422, "validation_failed");
    }
    let (_, list) = app.get("/api/v1/tasks", tok).await;
    assert_eq!(list["items"], json!([]), "nothing was created");

    // Linking to a live person and a live mandate of the tenant works.
    let (status, person) = app
        .post("/api/v1/people", Some(tok), json!({"last_name": "Durand"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{person}");
    task(
        &app,
        tok,
        json!({"title": "Call Durand", "record_type": "person", "record_id": person["id"]}),
    )
    .await;
    let (status, mandate) = app
        .post(
            "/api/v1/mandates",
            Some(tok),
            json!({"organisation_id": mine["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mandate}");
    task(
        &app,
        tok,
        json!({"title": "Sign", "record_type": "mandate", "record_id": mandate["id"]}),
    )
    .await;
    let (_, page) = app
        .get(
            &format!(
                "/api/v1/tasks?record_type=mandate&record_id={}",
                id(&mandate)
            ),
            tok,
        )
        .await;
    assert_eq!(titles(&page), ["Sign"]);
    app.stop().await;
}

#[tokio::test]
async fn mine_overdue_filters_and_sorting() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let bob = app.create_user(&t, "bob@acme.test", "user", None).await;
    let o = org(&app, tok, "Alpha").await;
    task(
        &app,
        tok,
        json!({"title": "T1 late", "due_at": in_days(-1), "priority": "urgent",
               "record_type": "organisation", "record_id": o["id"]}),
    )
    .await;
    let t2 = task(
        &app,
        tok,
        json!({"title": "T2 bob late", "due_at": in_days(-2), "assignee_id": bob.id,
               "status": "in_progress"}),
    )
    .await;
    task(
        &app,
        tok,
        json!({"title": "T3 soon", "due_at": in_days(1), "priority": "low",
               "record_type": "organisation", "record_id": o["id"]}),
    )
    .await;
    let t4 = task(
        &app,
        tok,
        json!({"title": "T4 done", "due_at": in_days(-3), "status": "done"}),
    )
    .await;
    task(&app, tok, json!({"title": "T5 someday"})).await;
    assert_eq!(t2["overdue"], true);
    assert_eq!(t4["overdue"], false, "done tasks are never overdue");
    assert!(t4["completed_at"].is_string());

    let (_, p) = app.get("/api/v1/tasks", tok).await;
    assert_eq!(
        titles(&p),
        ["T4 done", "T2 bob late", "T1 late", "T3 soon", "T5 someday"],
        "by due date, undated last"
    );
    let (_, p) = app.get("/api/v1/tasks?sort=-due_at", tok).await;
    assert_eq!(
        titles(&p),
        ["T3 soon", "T1 late", "T2 bob late", "T4 done", "T5 someday"],
        "undated last when descending too"
    );
    let (_, p) = app.get("/api/v1/tasks?sort=-priority,due_at", tok).await;
    assert_eq!(
        titles(&p),
        ["T1 late", "T4 done", "T2 bob late", "T5 someday", "T3 soon"]
    );
    let (_, p) = app.get("/api/v1/tasks?mine=true", tok).await;
    assert_eq!(titles(&p), ["T4 done", "T1 late", "T3 soon", "T5 someday"]);
    let (_, p) = app.get("/api/v1/tasks?mine=false", tok).await;
    assert_eq!(titles(&p), ["T2 bob late"]);
    let (_, p) = app.get("/api/v1/tasks?overdue=true", tok).await;
    assert_eq!(titles(&p), ["T2 bob late", "T1 late"]);
    let (_, p) = app.get("/api/v1/tasks?overdue=true&mine=true", tok).await;
    assert_eq!(titles(&p), ["T1 late"]);
    let (_, p) = app.get("/api/v1/tasks?overdue=false&count=true", tok).await;
    assert_eq!(titles(&p), ["T4 done", "T3 soon", "T5 someday"]);
    assert_eq!(p["total"], 3);
    let (_, p) = app
        .get(
            "/api/v1/tasks?status=todo,in_progress&priority=urgent,normal",
            tok,
        )
        .await;
    assert_eq!(titles(&p), ["T2 bob late", "T1 late", "T5 someday"]);
    let (_, p) = app
        .get(&format!("/api/v1/tasks?assignee_id={}", bob.id), tok)
        .await;
    assert_eq!(titles(&p), ["T2 bob late"]);
    let (_, p) = app.get("/api/v1/tasks?mine=true", &bob.token).await;
    assert_eq!(titles(&p), ["T2 bob late"]);
    let (_, p) = app.get("/api/v1/tasks?assignee_id=me&q=LATE", tok).await;
    assert_eq!(titles(&p), ["T1 late"]);
    let (from, to) = (in_days(-2), in_days(0));
    let url = format!(
        "/api/v1/tasks?due_from={}&due_to={}",
        urlencode(&from),
        urlencode(&to)
    );
    let (status, p) = app.get(&url, tok).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(titles(&p), ["T1 late"], "T2 fell due just before due_from");
    let (_, p) = app
        .get(
            &format!(
                "/api/v1/tasks?record_type=organisation&record_id={}",
                id(&o)
            ),
            tok,
        )
        .await;
    assert_eq!(titles(&p), ["T1 late", "T3 soon"]);
    let (status, p) = app
        .get(
            &format!("/api/v1/organisations/{}/tasks?sort=priority", id(&o)),
            tok,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(titles(&p), ["T3 soon", "T1 late"]);

    // A task given to someone else says so; one's own does not.
    let types = history_types(&app, &bob.token, &t2).await;
    assert_eq!(types, ["task.assigned", "task.created"]);
    let (_, hist) = app
        .get(&format!("/api/v1/tasks/{}/history", id(&t2)), &bob.token)
        .await;
    assert_eq!(
        hist["items"][0]["data"]["record"]["assignee_id"],
        bob.id.to_string()
    );
    assert_eq!(
        hist["items"][0]["data"]["after"]["assignee_id"],
        bob.id.to_string()
    );
    assert_eq!(
        history_types(&app, tok, &t4).await,
        ["task.completed", "task.created"],
        "created done"
    );

    // Walk the default sort two at a time.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = "/api/v1/tasks?limit=2".to_owned();
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.get(&url, tok).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        walked.extend(titles(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        walked,
        ["T4 done", "T2 bob late", "T1 late", "T3 soon", "T5 someday"]
    );
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn scopes_and_bulk_actions() {
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
    let mine = task(&app, &mate.token, json!({"title": "Mate's"})).await;
    let theirs = task(&app, &other.token, json!({"title": "Other's"})).await;
    let boss = task(&app, &t.admin.token, json!({"title": "Admin's"})).await;

    let (_, p) = app.get("/api/v1/tasks", &mate.token).await;
    assert_eq!(ids(&p), [id(&mine)], "user: own tasks");
    let (_, p) = app.get("/api/v1/tasks", &manager.token).await;
    assert_eq!(ids(&p), [id(&mine)], "manager: the team's");
    let (_, p) = app.get("/api/v1/tasks", &viewer.token).await;
    assert_eq!(ids(&p).len(), 3, "viewer: all");
    let theirs_url = format!("/api/v1/tasks/{}", id(&theirs));
    let (status, _) = app.get(&theirs_url, &mate.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .patch(&theirs_url, &mate.token, json!({"status": "done"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&theirs_url, &manager.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .post("/api/v1/tasks", Some(&viewer.token), json!({"title": "V"}))
        .await;
    assert_problem(status, &body, 403, "forbidden");

    // Users cannot hand tasks outside their scope; managers can within the team.
    let (status, body) = app
        .post(
            "/api/v1/tasks",
            Some(&mate.token),
            json!({"title": "Gift", "assignee_id": other.id}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "assignee_id");
    assert_eq!(body["errors"][0]["code"], "out_of_scope");
    let mine_url = format!("/api/v1/tasks/{}", id(&mine));
    let (status, body) = app
        .patch(&mine_url, &mate.token, json!({"assignee_id": null}))
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, handed) = app
        .patch(
            &mine_url,
            &manager.token,
            json!({"assignee_id": manager.id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{handed}");
    assert_eq!(
        history_types(&app, &manager.token, &mine).await,
        ["task.updated", "task.created"],
        "taking a task oneself notifies nobody"
    );
    let (status, back) = app
        .patch(&mine_url, &manager.token, json!({"assignee_id": mate.id}))
        .await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(
        history_types(&app, &mate.token, &mine).await[..2],
        ["task.assigned", "task.updated"]
    );

    // Bulk is all or nothing.
    let (status, body) = app
        .post(
            "/api/v1/tasks/bulk",
            Some(&mate.token),
            json!({"action": "complete", "ids": [mine["id"], theirs["id"]]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (_, still) = app.get(&mine_url, &mate.token).await;
    assert_eq!(still["status"], "todo", "nothing changed");
    let (status, body) = app
        .post(
            "/api/v1/tasks/bulk",
            Some(&viewer.token),
            json!({"action": "complete", "ids": [mine["id"]]}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app
        .post(
            "/api/v1/tasks/bulk",
            Some(&mate.token),
            json!({"action": "assign_owner", "assignee_id": other.id, "ids": [mine["id"]]}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "assignee_id");
    let (status, body) = app
        .post(
            "/api/v1/tasks/bulk",
            Some(&manager.token),
            json!({"action": "complete", "ids": [mine["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["affected"], 1);
    let (_, done) = app.get(&mine_url, &mate.token).await;
    assert_eq!(done["status"], "done");
    assert!(done["completed_at"].is_string());
    assert_eq!(
        history_types(&app, &mate.token, &mine).await[..2],
        ["task.completed", "task.updated"]
    );

    let (status, body) = app
        .post(
            "/api/v1/tasks/bulk",
            Some(&t.admin.token),
            json!({"action": "complete", "ids": [mine["id"], theirs["id"], boss["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["affected"], 2, "the done one is left alone");
    let (status, body) = app
        .post(
            "/api/v1/tasks/bulk",
            Some(&t.admin.token),
            json!({"action": "assign_owner", "owner_id": other.id,
                   "ids": [mine["id"], boss["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["affected"], 2);
    let (_, p) = app.get("/api/v1/tasks?mine=true", &other.token).await;
    assert_eq!(ids(&p).len(), 3);
    assert_eq!(
        history_types(&app, &other.token, &boss).await[..2],
        ["task.assigned", "task.updated"]
    );
    let (status, body) = app
        .post(
            "/api/v1/tasks/bulk",
            Some(&other.token),
            json!({"action": "delete", "ids": [mine["id"], boss["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, p) = app.get("/api/v1/tasks", &t.admin.token).await;
    assert_eq!(ids(&p), [id(&theirs)]);
    let (status, body) = app
        .post(
            "/api/v1/tasks/bulk",
            Some(&t.admin.token),
            json!({"action": "delete", "ids": []}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    app.stop().await;
}

#[tokio::test]
async fn other_tenants_get_404_and_change_nothing() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let o = org(&app, &a.admin.token, "Secret").await;
    let created = task(
        &app,
        &a.admin.token,
        json!({"title": "Secret task", "record_type": "organisation", "record_id": o["id"]}),
    )
    .await;
    let url = format!("/api/v1/tasks/{}", id(&created));
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
        .json(&json!({"status": "done"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&url, &b.admin.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for action in ["complete", "delete"] {
        let (status, _) = app
            .post(
                "/api/v1/tasks/bulk",
                Some(&b.admin.token),
                json!({"action": action, "ids": [created["id"]]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{action}");
    }
    let (status, _) = app
        .get(
            &format!("/api/v1/organisations/{}/tasks", id(&o)),
            &b.admin.token,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/api/v1/tasks", &b.admin.token).await;
    assert_eq!(list["items"], json!([]));
    let (_, again) = app.get(&url, &a.admin.token).await;
    assert_eq!(again["status"], "todo");
    assert_eq!(again["updated_at"], created["updated_at"]);
    assert_eq!(
        history_types(&app, &a.admin.token, &created).await,
        ["task.created"]
    );
    app.stop().await;
}

#[tokio::test]
async fn idempotency_key_replays_the_creation() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let send = |body: Value, key: &'static str| {
        app.req(Method::POST, "/api/v1/tasks", Some(tok))
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let body = json!({"title": "Once", "due_at": in_days(1)});
    let first = send(body.clone(), "k-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first_body: Value = first.json().await.unwrap();
    let second = send(body.clone(), "k-1").await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.json::<Value>().await.unwrap(), first_body);
    let (_, list) = app.get("/api/v1/tasks", tok).await;
    assert_eq!(ids(&list), [id(&first_body)], "one row");
    let third = send(json!({"title": "Other"}), "k-1").await.unwrap();
    assert_eq!(third.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

#[tokio::test]
async fn duplicate_trash_restore_and_purge() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let team = app.create_team(&t, "Paris").await;
    let claire = app
        .create_user(&t, "claire@acme.test", "user", Some(team))
        .await;
    let manager = app
        .create_user(&t, "manager@acme.test", "manager", Some(team))
        .await;
    let other = app.create_user(&t, "other@acme.test", "user", None).await;
    let viewer = app
        .create_user(&t, "viewer@acme.test", "viewer", None)
        .await;
    let o = org(&app, &claire.token, "Banque Lumière Gestion").await;
    let due = in_days(5);
    let src = task(
        &app,
        &claire.token,
        json!({"title": "Envoyer la proposition", "description": "Avec le DICI",
               "due_at": due, "priority": "high", "status": "done",
               "record_type": "organisation", "record_id": o["id"]}),
    )
    .await;
    let u = format!("/api/v1/tasks/{}", id(&src));

    // A manager copies a teammate's task: a fresh `todo` task for the manager.
    let (status, copy) = app
        .post(&format!("{u}/duplicate"), Some(&manager.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_eq!(copy["title"], "Envoyer la proposition (copie)");
    assert_eq!(copy["description"], "Avec le DICI");
    assert_eq!(copy["priority"], "high");
    assert_eq!(copy["due_at"], src["due_at"]);
    assert_eq!(copy["status"], "todo");
    assert_eq!(copy["completed_at"], Value::Null);
    assert_eq!(copy["assignee_id"], manager.id.to_string());
    assert_eq!(copy["created_by"], manager.id.to_string());
    assert_eq!(copy["record_type"], "organisation");
    assert_eq!(copy["record_id"], o["id"]);
    assert_eq!(
        history_types(&app, &manager.token, &copy).await,
        ["task.created"]
    );
    let (status, _) = app
        .post(&format!("{u}/duplicate"), Some(&other.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "out of scope looks absent");
    let (status, body) = app
        .post(&format!("{u}/duplicate"), Some(&viewer.token), json!({}))
        .await;
    assert_problem(status, &body, 403, "forbidden");

    // Trash: listed, restored and purged by administrators only.
    let (status, _) = app.delete(&u, &claire.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get("/api/v1/tasks?deleted=true", &claire.token).await;
    assert_problem(status, &body, 403, "forbidden");
    for action in ["restore", "purge"] {
        let (status, body) = app
            .post(&format!("{u}/{action}"), Some(&manager.token), json!({}))
            .await;
        assert_problem(status, &body, 403, "forbidden");
    }
    let (_, trash) = app.get("/api/v1/tasks?deleted=true", tok).await;
    assert_eq!(ids(&trash), [id(&src)]);
    assert!(trash["items"][0]["deleted_at"].is_string());
    let (_, trash) = app
        .get(
            &format!("/api/v1/organisations/{}/tasks?deleted=true", id(&o)),
            tok,
        )
        .await;
    assert_eq!(ids(&trash), [id(&src)]);
    let (_, live) = app.get("/api/v1/tasks", tok).await;
    assert_eq!(ids(&live), [id(&copy)]);
    let (status, restored) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["status"], "done", "restored as it was");
    assert!(restored.get("deleted_at").is_none());
    assert_eq!(
        history_types(&app, &claire.token, &src).await,
        [
            "task.restored",
            "task.deleted",
            "task.completed",
            "task.created"
        ]
    );
    let (status, _) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not in the trash");

    // A copy needs its linked record to be live.
    let (status, _) = app
        .delete(&format!("/api/v1/organisations/{}", id(&o)), tok)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app
        .post(&format!("{u}/duplicate"), Some(&claire.token), json!({}))
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "record_id");

    let (status, _) = app.post(&format!("{u}/purge"), Some(tok), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&u, tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut su = app.superuser().await;
    let purged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE type = 'task.purged' AND record_id = $1::uuid",
    )
    .bind(id(&src))
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(purged, 1);

    // More than 30 days in the trash: no longer restorable.
    let cu = format!("/api/v1/tasks/{}", id(&copy));
    app.delete(&cu, tok).await;
    sqlx::query("UPDATE tasks SET deleted_at = now() - interval '31 days' WHERE id = $1::uuid")
        .bind(id(&copy))
        .execute(&mut su)
        .await
        .unwrap();
    let (status, _) = app
        .post(&format!("{cu}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn other_tenants_cannot_restore_purge_or_duplicate() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let live = task(&app, &a.admin.token, json!({"title": "Vivante"})).await;
    let gone = task(&app, &a.admin.token, json!({"title": "Corbeille"})).await;
    let live_url = format!("/api/v1/tasks/{}", id(&live));
    let gone_url = format!("/api/v1/tasks/{}", id(&gone));
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
    let (_, trash) = app.get("/api/v1/tasks?deleted=true", &b.admin.token).await;
    assert_eq!(trash["items"], json!([]));
    let (_, trash) = app.get("/api/v1/tasks?deleted=true", &a.admin.token).await;
    assert_eq!(ids(&trash), [id(&gone)]);
    let (_, all) = app.get("/api/v1/tasks", &a.admin.token).await;
    assert_eq!(ids(&all), [id(&live)], "no copy was made");
    app.stop().await;
}
