//! The whole CRM of the seed documents through the API alone: create an investor, link its
//! contacts, sign a mandate covering two products, log a meeting, assign a follow-up task,
//! move the investor through the pipeline and read its full history.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, v) = app.post(path, Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {v}");
    v
}

#[tokio::test]
async fn an_investor_from_first_contact_to_signed_mandate() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let admin = &t.admin.token;
    let team = app.create_team(&t, "Paris").await;
    let claire = app
        .create_user(&t, "claire@acme.test", "user", Some(team))
        .await;
    let tok = &claire.token;

    let investor = created(
        &app,
        tok,
        "/api/v1/organisations",
        json!({"name": "Banque Lumière Gestion", "type": "investor", "category": "opcvm",
               "city": "Paris", "country": "FR", "expected_amount": 2500000}),
    )
    .await;
    let org = investor["id"].as_str().unwrap().to_owned();
    let org_url = format!("/api/v1/organisations/{org}");

    for (first, last, title, primary) in [
        ("Jean", "Dupont", "Directeur financier", true),
        ("Sophie", "Laurent", "Gérante de portefeuille", false),
    ] {
        created(
            &app,
            tok,
            "/api/v1/people",
            json!({"first_name": first, "last_name": last, "job_title": title,
                   "organisations": [{"organisation_id": org, "role": title, "is_primary": primary}]}),
        )
        .await;
    }
    let (_, contacts) = app.get(&format!("{org_url}/people"), tok).await;
    assert_eq!(contacts["items"].as_array().unwrap().len(), 2, "{contacts}");
    let jean = contacts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c.to_string().contains("Dupont"))
        .unwrap()
        .clone();
    let jean_id = jean["person_id"]
        .as_str()
        .or(jean["id"].as_str())
        .unwrap()
        .to_owned();

    // Products are the firm's catalogue: an administrator maintains them.
    let fund = created(
        &app,
        admin,
        "/api/v1/products",
        json!({"name": "Horizon Actions Europe", "code": "FR0010135103", "category": "opcvm"}),
    )
    .await;
    let etf = created(
        &app,
        admin,
        "/api/v1/products",
        json!({"name": "Tracker CAC 40", "code": "FR0007052782", "category": "etf"}),
    )
    .await;

    app.patch(&org_url, tok, json!({"pipeline_stage": "qualification"}))
        .await;
    app.patch(&org_url, tok, json!({"pipeline_stage": "proposition"}))
        .await;

    let mandate = created(
        &app,
        tok,
        "/api/v1/mandates",
        json!({"organisation_id": org, "amount": 2500000, "product_ids": [fund["id"], etf["id"]]}),
    )
    .await;
    assert_eq!(mandate["status"], "draft");
    assert!(
        mandate["number"].as_str().unwrap().starts_with("M-"),
        "{mandate}"
    );
    let m_url = format!("/api/v1/mandates/{}", mandate["id"].as_str().unwrap());
    let (status, signed) = app.patch(&m_url, tok, json!({"status": "signed"})).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert!(signed["signed_at"].is_string());
    let (_, covered) = app.get(&format!("{m_url}/products"), tok).await;
    assert_eq!(
        covered
            .as_array()
            .map_or_else(|| covered["items"].as_array().unwrap().len(), Vec::len),
        2,
        "{covered}"
    );

    let meeting = created(
        &app,
        tok,
        "/api/v1/interactions",
        json!({"kind": "meeting", "summary": "Signature du mandat au bureau de Paris",
               "organisation_id": org, "person_id": jean_id}),
    )
    .await;
    let task = created(
        &app,
        tok,
        "/api/v1/tasks",
        json!({"title": "Envoyer le premier reporting", "priority": "high",
               "due_at": "2030-01-15T09:00:00Z", "assignee_id": claire.id,
               "record_type": "organisation", "record_id": org}),
    )
    .await;
    let (status, _) = app
        .patch(&org_url, tok, json!({"pipeline_stage": "signed"}))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Everything is visible from the investor.
    let (_, o) = app.get(&org_url, tok).await;
    assert_eq!(o["pipeline_stage"], "signed");
    assert_eq!(o["last_contact_at"], meeting["occurred_at"]);
    let (_, tasks) = app.get(&format!("{org_url}/tasks"), tok).await;
    assert_eq!(tasks["items"][0]["id"], task["id"]);
    let (_, mandates) = app.get(&format!("{org_url}/mandates"), tok).await;
    assert_eq!(mandates["items"][0]["status"], "signed");
    let (_, hist) = app.get(&format!("{org_url}/history"), tok).await;
    let stages: Vec<(Value, Value)> = hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "organisation.stage_changed")
        .map(|e| {
            (
                e["data"]["before"]["pipeline_stage"].clone(),
                e["data"]["after"]["pipeline_stage"].clone(),
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            (json!("proposition"), json!("signed")),
            (json!("qualification"), json!("proposition")),
            (json!("prospect"), json!("qualification")),
        ]
    );
    assert!(
        hist["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"]["id"] == claire.id.to_string())
    );
    let (_, mhist) = app.get(&format!("{m_url}/history"), tok).await;
    assert!(
        mhist["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "mandate.signed"),
        "{mhist}"
    );
    let (_, timeline) = app.get(&format!("{org_url}/timeline"), tok).await;
    assert!(
        timeline.to_string().contains("Signature du mandat"),
        "{timeline}"
    );

    // Her manager sees it all (team scope); another user of the firm does not.
    let manager = app
        .create_user(&t, "manager@acme.test", "manager", Some(team))
        .await;
    let (status, _) = app.get(&org_url, &manager.token).await;
    assert_eq!(status, StatusCode::OK);
    let outsider = app
        .create_user(&t, "outsider@acme.test", "user", None)
        .await;
    let (status, _) = app.get(&org_url, &outsider.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}
