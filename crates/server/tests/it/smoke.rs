//! The server boots, an admin signs in, and errors are problem+json.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn admin_signs_in_and_reads_me() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let (status, me) = app.get("/api/v1/me", &t.admin.token).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "admin@acme.test");
    assert_eq!(me["tenant"]["slug"], "acme");
    assert_eq!(me["role"]["key"], "admin");
    let (status, body) = app.get("/api/v1/nope", &t.admin.token).await;
    assert_problem(status, &body, 404, "not_found");
    app.stop().await;
}
