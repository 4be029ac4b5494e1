//! Documents: multipart upload with type sniffing and limits, listing, download with the
//! original name, deletion, and access following the parent record.

use crate::helpers::*;
use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";

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

async fn upload(
    app: &TestApp,
    token: &str,
    record_type: &str,
    record_id: &str,
    name: &str,
    bytes: &[u8],
    claimed: &str,
) -> (StatusCode, Value) {
    let form = Form::new()
        .text("record_type", record_type.to_owned())
        .text("record_id", record_id.to_owned())
        .part(
            "file",
            Part::bytes(bytes.to_vec())
                .file_name(name.to_owned())
                .mime_str(claimed)
                .unwrap(),
        );
    let res = app
        .req(Method::POST, "/api/v1/documents", Some(token))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn upload_list_download_delete() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Banque Azur").await;
    let (status, doc) = upload(
        &app,
        tok,
        "organisation",
        &o,
        "Relevé été 2026.pdf",
        PDF,
        "text/plain",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    assert_eq!(
        doc["content_type"], "application/pdf",
        "detected, not trusted"
    );
    assert_eq!(doc["file_name"], "Relevé été 2026.pdf");
    assert_eq!(doc["size_bytes"], PDF.len());
    assert_eq!(doc["sha256"], hex::encode(Sha256::digest(PDF)));
    let id = doc["id"].as_str().unwrap();

    let (_, list) = app
        .get(&format!("/api/v1/organisations/{o}/documents"), tok)
        .await;
    assert_eq!(list["items"][0]["id"], id);
    let (_, list) = app
        .get(
            &format!("/api/v1/documents?record_type=organisation&record_id={o}"),
            tok,
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let res = app
        .req(
            Method::GET,
            &format!("/api/v1/documents/{id}/content"),
            Some(tok),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let cd = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cd.starts_with("attachment"), "{cd}");
    assert!(
        cd.contains("filename*=UTF-8''Relev%C3%A9%20%C3%A9t%C3%A9%202026.pdf"),
        "{cd}"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);

    let (status, _) = app.delete(&format!("/api/v1/documents/{id}"), tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&format!("/api/v1/documents/{id}"), tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app
        .get(&format!("/api/v1/organisations/{o}/documents"), tok)
        .await;
    assert_eq!(list["items"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn refused_uploads_store_nothing() {
    let app = spawn_app_with(|cfg| cfg.api.max_upload_bytes = 1000).await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Banque Azur").await;
    let (status, body) = upload(
        &app,
        tok,
        "organisation",
        &o,
        "page.pdf",
        b"<html><script>alert(1)</script></html>",
        "application/pdf",
    )
    .await;
    assert_problem(status, &body, 415, "unsupported_file_type");
    let (status, body) = upload(
        &app,
        tok,
        "organisation",
        &o,
        "big.txt",
        &vec![b'a'; 5000],
        "text/plain",
    )
    .await;
    assert_problem(status, &body, 413, "payload_too_large");
    let (status, body) = upload(
        &app,
        tok,
        "organisation",
        "not-an-id",
        "a.pdf",
        PDF,
        "application/pdf",
    )
    .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "record_id");
    let (status, body) = upload(&app, tok, "contract", &o, "a.pdf", PDF, "application/pdf").await;
    assert_problem(status, &body, 422, "validation_failed");
    let missing = uuid::Uuid::now_v7().to_string();
    let (status, body) = upload(
        &app,
        tok,
        "organisation",
        &missing,
        "a.pdf",
        PDF,
        "application/pdf",
    )
    .await;
    assert_problem(status, &body, 422, "validation_failed");
    let res = app
        .req(Method::POST, "/api/v1/documents", Some(tok))
        .json(&json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    assert_eq!(res.headers()["content-type"], "application/problem+json");

    let (_, list) = app
        .get(&format!("/api/v1/organisations/{o}/documents"), tok)
        .await;
    assert_eq!(list["items"], json!([]));
    // Nothing left on disk: not the refused files, not their temporary copies.
    let dir = std::env::temp_dir()
        .join(format!("relais-test-{}", app.db_name))
        .join(t.id.to_string())
        .join("documents");
    let leftovers = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(leftovers, 0, "files left in {}", dir.display());
    app.stop().await;
}

#[tokio::test]
async fn access_follows_the_parent_record_and_the_tenant() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let alice = app.create_user(&a, "alice@acme.test", "user", None).await;
    let bob = app.create_user(&a, "bob@acme.test", "user", None).await;
    let viewer = app
        .create_user(&a, "viewer@acme.test", "viewer", None)
        .await;
    let o = org(&app, &alice.token, "Alice's client").await;
    let (status, doc) = upload(
        &app,
        &alice.token,
        "organisation",
        &o,
        "a.pdf",
        PDF,
        "application/pdf",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let id = doc["id"].as_str().unwrap();
    let content = format!("/api/v1/documents/{id}/content");

    // Bob cannot see Alice's organisation, so neither its documents.
    let (status, _) = app
        .get(&format!("/api/v1/documents/{id}"), &bob.token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&content, &bob.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = upload(
        &app,
        &bob.token,
        "organisation",
        &o,
        "b.pdf",
        PDF,
        "application/pdf",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The viewer reads and downloads, but cannot upload or delete.
    let (status, _) = app.get(&content, &viewer.token).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = upload(
        &app,
        &viewer.token,
        "organisation",
        &o,
        "v.pdf",
        PDF,
        "application/pdf",
    )
    .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, _) = app
        .delete(&format!("/api/v1/documents/{id}"), &viewer.token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another firm sees nothing and cannot attach to A's records.
    for path in [format!("/api/v1/documents/{id}"), content.clone()] {
        let (status, _) = app.get(&path, &b.admin.token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = app
        .delete(&format!("/api/v1/documents/{id}"), &b.admin.token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = upload(
        &app,
        &b.admin.token,
        "organisation",
        &o,
        "x.pdf",
        PDF,
        "application/pdf",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.get(&content, &alice.token).await;
    assert_eq!(status, StatusCode::OK, "still there for its owner");
    app.stop().await;
}
