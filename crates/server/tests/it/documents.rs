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

/// Where the server keeps a document's bytes (see `helpers::test_config`).
fn file_path(app: &TestApp, tenant: &TestTenant, id: &str) -> std::path::PathBuf {
    test_config(&app.db_name)
        .data_dir
        .join(tenant.id.to_string())
        .join("documents")
        .join(id)
}

async fn event_count(app: &TestApp, kind: &str, id: &str) -> i64 {
    let mut su = app.superuser().await;
    sqlx::query_scalar("SELECT count(*) FROM events WHERE type = $1 AND record_id = $2::uuid")
        .bind(kind)
        .bind(id)
        .fetch_one(&mut su)
        .await
        .unwrap()
}

#[tokio::test]
async fn trash_restore_and_purge_removes_the_file() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let claire = app.create_user(&t, "claire@acme.test", "user", None).await;
    let o = org(&app, &claire.token, "Banque Lumière Gestion").await;
    let (status, doc) = upload(
        &app,
        &claire.token,
        "organisation",
        &o,
        "Mandat signé.pdf",
        PDF,
        "application/pdf",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let id = doc["id"].as_str().unwrap().to_owned();
    let u = format!("/api/v1/documents/{id}");
    let path = file_path(&app, &t, &id);
    assert!(path.exists());
    let list_url = format!("/api/v1/documents?record_type=organisation&record_id={o}");
    let trash_url = format!("{list_url}&deleted=true");

    let (status, _) = app.delete(&u, &claire.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(path.exists(), "a document in the trash keeps its file");
    let (_, live) = app.get(&list_url, tok).await;
    assert_eq!(live["items"], json!([]));
    let (status, trash) = app.get(&trash_url, tok).await;
    assert_eq!(status, StatusCode::OK, "{trash}");
    assert_eq!(trash["items"][0]["id"], id.as_str());
    assert!(trash["items"][0]["deleted_at"].is_string());
    // The trash, restore and purge need the manage permission on documents.
    let (status, body) = app.get(&trash_url, &claire.token).await;
    assert_problem(status, &body, 403, "forbidden");
    for action in ["restore", "purge"] {
        let (status, body) = app
            .post(&format!("{u}/{action}"), Some(&claire.token), json!({}))
            .await;
        assert_problem(status, &body, 403, "forbidden");
    }

    // Restore: the document and its content are back.
    let (status, restored) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["file_name"], "Mandat signé.pdf");
    assert!(restored.get("deleted_at").is_none());
    let (status, _) = app.get(&format!("{u}/content"), &claire.token).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not in the trash");
    assert_eq!(event_count(&app, "document.restored", &id).await, 1);

    // While its organisation is in the trash, a document cannot come back.
    app.delete(&u, tok).await;
    let org_url = format!("/api/v1/organisations/{o}");
    app.delete(&org_url, tok).await;
    let (status, body) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_problem(status, &body, 409, "parent_deleted");
    let (status, _) = app
        .post(&format!("{org_url}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Purge erases the row, then the file; it works on a live document too.
    let (status, _) = app.post(&format!("{u}/purge"), Some(tok), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        !path.exists(),
        "the file is removed once the purge is committed"
    );
    let (status, _) = app.get(&u, tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post(&format!("{u}/restore"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post(&format!("{u}/purge"), Some(tok), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(event_count(&app, "document.purged", &id).await, 1);
    let (_, trash) = app.get(&trash_url, tok).await;
    assert_eq!(trash["items"], json!([]));

    // Deleted more than 30 days ago: no longer restorable.
    let (_, doc2) = upload(
        &app,
        tok,
        "organisation",
        &o,
        "b.pdf",
        PDF,
        "application/pdf",
    )
    .await;
    let id2 = doc2["id"].as_str().unwrap();
    app.delete(&format!("/api/v1/documents/{id2}"), tok).await;
    let mut su = app.superuser().await;
    sqlx::query("UPDATE documents SET deleted_at = now() - interval '31 days' WHERE id = $1::uuid")
        .bind(id2)
        .execute(&mut su)
        .await
        .unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/documents/{id2}/restore"),
            Some(tok),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn other_tenants_cannot_restore_or_purge() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("bravo").await;
    let o = org(&app, &a.admin.token, "Secret").await;
    let (_, live) = upload(
        &app,
        &a.admin.token,
        "organisation",
        &o,
        "a.pdf",
        PDF,
        "application/pdf",
    )
    .await;
    let (_, gone) = upload(
        &app,
        &a.admin.token,
        "organisation",
        &o,
        "b.pdf",
        PDF,
        "application/pdf",
    )
    .await;
    let live_id = live["id"].as_str().unwrap();
    let gone_id = gone["id"].as_str().unwrap();
    app.delete(&format!("/api/v1/documents/{gone_id}"), &a.admin.token)
        .await;
    for (id, action) in [(live_id, "purge"), (gone_id, "restore"), (gone_id, "purge")] {
        let (status, body) = app
            .post(
                &format!("/api/v1/documents/{id}/{action}"),
                Some(&b.admin.token),
                json!({}),
            )
            .await;
        assert_problem(status, &body, 404, "not_found");
    }
    let (status, _) = app
        .get(
            &format!("/api/v1/documents?record_type=organisation&record_id={o}&deleted=true"),
            &b.admin.token,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "A's record is unknown to B"
    );
    for id in [live_id, gone_id] {
        assert!(file_path(&app, &a, id).exists());
    }
    let (status, _) = app
        .get(&format!("/api/v1/documents/{live_id}"), &a.admin.token)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, trash) = app
        .get(
            &format!("/api/v1/documents?record_type=organisation&record_id={o}&deleted=true"),
            &a.admin.token,
        )
        .await;
    assert_eq!(trash["items"][0]["id"], gone_id);
    app.stop().await;
}

#[tokio::test]
async fn purging_a_record_erases_its_documents_and_files() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, "Banque Azur").await;
    let (status, doc) = upload(
        &app,
        tok,
        "organisation",
        &o,
        "a.pdf",
        PDF,
        "application/pdf",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let id = doc["id"].as_str().unwrap();
    let file = std::env::temp_dir()
        .join(format!("relais-test-{}", app.db_name))
        .join(t.id.to_string())
        .join("documents")
        .join(id);
    assert!(file.exists());
    let (status, _) = app
        .post(
            &format!("/api/v1/organisations/{o}/purge"),
            Some(tok),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&format!("/api/v1/documents/{id}"), tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!file.exists(), "the file went with its record");
    app.stop().await;
}
