//! Pipeline automation: stage actions run on stage changes (single and bulk), and the stuck
//! alert fires once per stay.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn types(history: &Value) -> Vec<String> {
    history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn stage_actions_create_tasks_and_request_notifications() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let claire = app.create_user(&t, "claire@acme.test", "user", None).await;

    // Managing actions is an administrator's job.
    let (status, body) = app.get("/api/v1/pipeline/actions", &claire.token).await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app
        .post(
            "/api/v1/pipeline/actions",
            Some(tok),
            json!({"stage": "proposition", "action": "create_task"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "task_title");
    let (status, body) = app
        .post(
            "/api/v1/pipeline/actions",
            Some(tok),
            json!({"stage": "proposition", "action": "create_task", "task_title": "Envoyer la proposition", "task_priority": "critical"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, action) = app
        .post(
            "/api/v1/pipeline/actions",
            Some(tok),
            json!({"stage": "proposition", "action": "create_task", "task_title": "Envoyer la proposition",
                   "task_due_days": 3, "task_priority": "high"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let (status, _) = app
        .post(
            "/api/v1/pipeline/actions",
            Some(tok),
            json!({"stage": "qualification", "action": "notify_owner"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Claire's organisation moves: the actions run for her record.
    let (_, org) = app
        .post(
            "/api/v1/organisations",
            Some(&claire.token),
            json!({"name": "Banque Azur", "type": "investor"}),
        )
        .await;
    let url = format!("/api/v1/organisations/{}", org["id"].as_str().unwrap());
    let (status, _) = app
        .patch(
            &url,
            &claire.token,
            json!({"pipeline_stage": "qualification"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, hist) = app.get(&format!("{url}/history"), tok).await;
    assert!(
        types(&hist).contains(&"notification.requested".to_owned()),
        "{hist}"
    );
    let note = hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "notification.requested")
        .unwrap();
    assert_eq!(note["data"]["after"]["audience"], "owner");
    assert_eq!(note["data"]["after"]["owner_id"], claire.id.to_string());

    let (status, _) = app
        .patch(
            &url,
            &claire.token,
            json!({"pipeline_stage": "proposition"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, mine) = app.get("/api/v1/tasks?mine=true", &claire.token).await;
    let tasks = mine["items"].as_array().unwrap();
    assert_eq!(tasks.len(), 1, "{mine}");
    assert_eq!(tasks[0]["title"], "Envoyer la proposition");
    assert_eq!(tasks[0]["priority"], "high");
    assert_eq!(tasks[0]["record_type"], "organisation");
    assert_eq!(tasks[0]["record_id"], org["id"]);
    let due: chrono::DateTime<chrono::Utc> = tasks[0]["due_at"].as_str().unwrap().parse().unwrap();
    let days = (due - chrono::Utc::now()).num_hours();
    assert!(
        (70..=73).contains(&days),
        "due in about 3 days, got {days} h"
    );

    // Moving back and forth runs the actions again; a disabled action does not run.
    let action_url = format!(
        "/api/v1/pipeline/actions/{}",
        action["id"].as_str().unwrap()
    );
    let (status, _) = app.patch(&action_url, tok, json!({"active": false})).await;
    assert_eq!(status, StatusCode::OK);
    app.patch(
        &url,
        &claire.token,
        json!({"pipeline_stage": "qualification"}),
    )
    .await;
    app.patch(
        &url,
        &claire.token,
        json!({"pipeline_stage": "proposition"}),
    )
    .await;
    let (_, mine) = app.get("/api/v1/tasks?mine=true", &claire.token).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);

    // Bulk stage changes run the actions too.
    let (status, _) = app.patch(&action_url, tok, json!({"active": true})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, other) = app
        .post(
            "/api/v1/organisations",
            Some(tok),
            json!({"name": "Gestion Rivoli", "type": "issuer"}),
        )
        .await;
    let (status, res) = app
        .post(
            "/api/v1/organisations/bulk",
            Some(tok),
            json!({"action": "change_stage", "stage": "proposition", "ids": [other["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    let (_, admin_tasks) = app.get("/api/v1/tasks?mine=true", tok).await;
    assert_eq!(admin_tasks["items"][0]["record_id"], other["id"]);

    let (status, _) = app.delete(&action_url, tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&action_url, tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn stuck_alert_fires_once_per_stay_and_per_tenant() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let mut ids = Vec::new();
    for (t, name, stage) in [
        (&a, "Old", "prospect"),
        (&a, "Closed", "signed"),
        (&a, "Recent", "prospect"),
        (&b, "Other firm", "qualification"),
    ] {
        let (_, o) = app
            .post(
                "/api/v1/organisations",
                Some(&t.admin.token),
                json!({"name": name, "type": "investor", "pipeline_stage": stage}),
            )
            .await;
        ids.push(o["id"].as_str().unwrap().to_owned());
    }
    let mut su = app.superuser().await;
    let age = |id: String| {
        sqlx::query("UPDATE organisations SET stage_changed_at = now() - interval '45 days' WHERE id = $1::uuid")
            .bind(id)
    };
    for i in [0, 1, 3] {
        age(ids[i].clone()).execute(&mut su).await.unwrap();
    }
    assert_eq!(
        relais_jobs::pipeline::scan_stuck(&app.db, 30)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        relais_jobs::pipeline::scan_stuck(&app.db, 30)
            .await
            .unwrap(),
        0,
        "once per stay"
    );
    let (_, hist) = app
        .get(
            &format!("/api/v1/organisations/{}/history", ids[0]),
            &a.admin.token,
        )
        .await;
    assert_eq!(types(&hist)[0], "organisation.stuck");
    assert_eq!(hist["items"][0]["actor"]["type"], "system");
    let (_, hist) = app
        .get(
            &format!("/api/v1/organisations/{}/history", ids[3]),
            &b.admin.token,
        )
        .await;
    assert_eq!(
        types(&hist)[0],
        "organisation.stuck",
        "each tenant gets its own alert"
    );
    let (_, hist) = app
        .get(
            &format!("/api/v1/organisations/{}/history", ids[1]),
            &a.admin.token,
        )
        .await;
    assert!(
        !types(&hist).contains(&"organisation.stuck".to_owned()),
        "closed stages never stick"
    );

    // A new stay that grows old alerts again.
    let url = format!("/api/v1/organisations/{}", ids[0]);
    app.patch(
        &url,
        &a.admin.token,
        json!({"pipeline_stage": "qualification"}),
    )
    .await;
    age(ids[0].clone()).execute(&mut su).await.unwrap();
    assert_eq!(
        relais_jobs::pipeline::scan_stuck(&app.db, 30)
            .await
            .unwrap(),
        1
    );
    app.stop().await;
}
