//! `relais seed-demo` fills a tenant once with consistent data the API then serves.

use crate::helpers::*;
use relais_api::password::Hasher;
use reqwest::StatusCode;

#[tokio::test]
async fn demo_seed_is_complete_consistent_and_idempotent() {
    let app = spawn_app().await;
    let t = app.create_tenant("demo").await;
    let hash = Hasher::new(1)
        .hash(relais_server::seed::DEMO_USER_PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        relais_server::seed::seed_demo(&app.db, "demo", &hash)
            .await
            .unwrap(),
        200
    );
    assert_eq!(
        relais_server::seed::seed_demo(&app.db, "demo", &hash)
            .await
            .unwrap(),
        0
    );
    let tok = &t.admin.token;
    for (path, at_least) in [
        ("/api/v1/organisations?count=true", 200),
        ("/api/v1/people?count=true", 500),
        ("/api/v1/tasks?count=true", 150),
    ] {
        let (status, page) = app.get(path, tok).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        assert!(
            page["total"].as_i64().unwrap() >= at_least,
            "{path}: {}",
            page["total"]
        );
    }
    for stage in ["prospect", "qualification", "proposition", "signed", "lost"] {
        let (_, page) = app
            .get(
                &format!("/api/v1/organisations?stage={stage}&count=true"),
                tok,
            )
            .await;
        assert!(
            page["total"].as_i64().unwrap() > 0,
            "no organisation in {stage}"
        );
    }
    for ty in ["investor", "supplier", "distributor", "issuer"] {
        let (_, page) = app
            .get(&format!("/api/v1/organisations?type={ty}&count=true"), tok)
            .await;
        assert!(page["total"].as_i64().unwrap() > 0, "no {ty}");
    }
    let (_, mandates) = app.get("/api/v1/mandates", tok).await;
    assert!(!mandates["items"].as_array().unwrap().is_empty());
    let (_, interactions) = app.get("/api/v1/interactions", tok).await;
    assert!(!interactions["items"].as_array().unwrap().is_empty());
    // A seeded record has its history, and the demo users can sign in.
    let id = interactions["items"][0]["organisation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, hist) = app
        .get(&format!("/api/v1/organisations/{id}/history"), tok)
        .await;
    assert!(!hist["items"].as_array().unwrap().is_empty());
    let (_, org) = app.get(&format!("/api/v1/organisations/{id}"), tok).await;
    assert!(org["last_contact_at"].is_string(), "{org}");
    let (_, users) = app.get("/api/v1/users?limit=200", tok).await;
    let email = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .find(|e| *e != "admin@demo.test")
        .unwrap()
        .to_owned();
    let (status, _) = app
        .login(
            &email,
            relais_server::seed::DEMO_USER_PASSWORD,
            Some("demo"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}
