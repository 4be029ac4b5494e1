//! Exports: CSV (BOM, `;`, formula injection neutralised), XLSX (data and statistics sheets,
//! chart, frozen header), PDF (pages); the list's filters; scope, permission and tenants.

use crate::helpers::*;
use crate::imports::{counts, read_xlsx, run, upload, wait_job};
use calamine::{Reader, Xlsx};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::io::Read;
use std::time::{Duration, SystemTime};

async fn fetch(app: &TestApp, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let res = app
        .req(Method::GET, path, Some(token))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, res.bytes().await.unwrap().to_vec())
}

fn csv_rows(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(&bytes[3..]);
    rdr.records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn org(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, o) = app.post("/api/v1/organisations", Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    o
}

async fn mandate(app: &TestApp, token: &str, organisation_id: &str) -> Value {
    let (status, m) = app
        .post(
            "/api/v1/mandates",
            Some(token),
            json!({"organisation_id": organisation_id, "amount": 1000.0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    m
}

#[tokio::test]
async fn csv_exports_follow_the_list_filters_and_neutralise_formulas() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    org(&app, tok, json!({"name": "=HYPERLINK(\"http://evil.example\",\"cliquez\")", "type": "investor", "pipeline_stage": "qualification", "phone": "+33 1 42 00 00 00", "notes": "@SUM(A1:A2)"})).await;
    org(&app, tok, json!({"name": "Banque Lumière", "type": "distributor", "pipeline_stage": "qualification", "expected_amount": 2500000.5, "tags": ["a", "b"]})).await;
    org(
        &app,
        tok,
        json!({"name": "Caisse du Centre", "type": "issuer"}),
    )
    .await;

    let (status, ct, body) = fetch(
        &app,
        tok,
        "/api/v1/exports/organisations?stage=qualification&sort=name",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "text/csv; charset=utf-8");
    let rows = csv_rows(&body, b',');
    assert_eq!(
        rows.len(),
        3,
        "header + the two organisations in qualification"
    );
    assert_eq!(&rows[0][..4], ["Nom", "Type", "Catégorie", "Étape"]);
    assert_eq!(
        rows[1][0], "'=HYPERLINK(\"http://evil.example\",\"cliquez\")",
        "neutralised"
    );
    assert_eq!(rows[1][5], "'+33 1 42 00 00 00");
    assert!(
        rows.iter()
            .flatten()
            .all(|c| !c.starts_with(['=', '+', '@']))
    );
    assert_eq!(rows[2][0], "Banque Lumière");
    assert_eq!(rows[2][1], "Distributeur");
    assert_eq!(rows[2][3], "Qualification");
    assert_eq!(rows[2][11], t.admin.email);
    assert_eq!(rows[2][13], "2500000.50");
    assert_eq!(rows[2][14], "a, b");

    // Semicolons for French Excel; the list's sort applies.
    let (_, _, body) = fetch(
        &app,
        tok,
        "/api/v1/exports/organisations?delimiter=semicolon&sort=-name",
    )
    .await;
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(text.contains("Nom;Type;"), "{text}");
    let rows = csv_rows(&body, b';');
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1][0], "Caisse du Centre");

    // Mistakes are problems, not files.
    for (path, field) in [
        ("/api/v1/exports/organisations?format=docx", "format"),
        ("/api/v1/exports/organisations?delimiter=pipe", "delimiter"),
        ("/api/v1/exports/organisations?stage=bogus", "stage"),
        ("/api/v1/exports/organisations?sort=password", "sort"),
    ] {
        let (status, body) = app.get(path, tok).await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], field, "{path}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_exported_csv_imports_back_unchanged() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    org(&app, tok, json!({"name": "Banque Lumière", "type": "distributor", "category": "scpi", "pipeline_stage": "signed", "phone": "+33 1 42 00 00 00", "city": "Paris", "country": "FR", "expected_amount": 12.5, "tags": ["vip"], "active": false})).await;
    org(
        &app,
        tok,
        json!({"name": "Caisse du Centre", "type": "issuer", "website": "https://crc.example.fr"}),
    )
    .await;
    let (_, _, body) = fetch(
        &app,
        tok,
        "/api/v1/exports/organisations?delimiter=semicolon",
    )
    .await;
    let imp = upload(&app, tok, "organisations", "export.csv", &body).await;
    assert_eq!(imp["upsert_key"], "name");
    let mapped: Vec<&Value> = imp["mapping"].as_array().unwrap().iter().take(15).collect();
    assert!(mapped.iter().all(|m| !m.is_null()), "{imp}");
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(
        counts(&done, &["unchanged", "created", "error_rows"]),
        [Some(2), Some(0), Some(0)],
        "{done}"
    );
    app.stop().await;
}

#[tokio::test]
async fn xlsx_has_data_statistics_chart_and_text_cells() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    org(
        &app,
        tok,
        json!({"name": "=HYPERLINK(\"http://evil.example\",\"x\")", "type": "investor"}),
    )
    .await;
    org(&app, tok, json!({"name": "Alpha", "type": "investor", "pipeline_stage": "signed", "expected_amount": 10.0})).await;
    org(
        &app,
        tok,
        json!({"name": "Beta", "type": "investor", "pipeline_stage": "signed"}),
    )
    .await;
    let (status, ct, bytes) = fetch(&app, tok, "/api/v1/exports/organisations?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ct,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let rows = read_xlsx(&bytes);
    assert_eq!(rows[0][0], "Nom");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1][0], "=HYPERLINK(\"http://evil.example\",\"x\")");
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    assert_eq!(wb.sheet_names(), ["Données", "Statistiques"]);
    let formulas = wb.worksheet_formula("Données").unwrap();
    assert!(
        formulas.used_cells().next().is_none(),
        "text, never a formula"
    );
    let stats = wb.worksheet_range("Statistiques").unwrap();
    let stats: Vec<(String, String)> = stats
        .rows()
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    assert_eq!(
        stats,
        [
            ("Étape du pipeline".into(), "Nombre".into()),
            ("Prospect".into(), "1".into()),
            ("Qualification".into(), "0".into()),
            ("Proposition".into(), "0".into()),
            ("Signé".into(), "2".into()),
            ("Perdu".into(), "0".into()),
        ]
    );
    // The parts: a chart, a frozen first row, column widths.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    assert!(zip.by_name("xl/charts/chart1.xml").is_ok(), "a chart");
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    assert!(sheet.contains("state=\"frozen\""), "frozen header");
    assert!(sheet.contains("<col "), "column widths");
    // No temporary file is left behind.
    let tmp = std::env::temp_dir()
        .join(format!("relais-test-{}", app.db_name))
        .join("tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    app.stop().await;
}

#[tokio::test]
async fn pdf_report_has_pages() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let mut csv = String::from("nom;ville;etape\n");
    for i in 0..150 {
        csv.push_str(&format!(
            "Société n° {i};Orléans;{}\n",
            if i % 3 == 0 { "signé" } else { "prospect" }
        ));
    }
    let imp = upload(&app, tok, "organisations", "beaucoup.csv", csv.as_bytes()).await;
    run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    let (status, ct, bytes) = fetch(
        &app,
        tok,
        "/api/v1/exports/organisations?format=pdf&city=Orléans",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/pdf");
    assert!(bytes.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&bytes);
    let pages = text.matches("/Type /Page").count() + text.matches("/Type/Page").count();
    assert!(pages >= 4, "150 rows take several pages");
    app.stop().await;
}

#[tokio::test]
async fn other_lists_export_too() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(
        &app,
        tok,
        json!({"name": "Banque Lumière", "type": "investor"}),
    )
    .await;
    let oid = o["id"].as_str().unwrap();
    let (s, p) = app
        .post(
            "/api/v1/people",
            Some(tok),
            json!({"first_name": "Claire", "last_name": "Martin", "email": "claire@lumiere.fr"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    mandate(&app, tok, oid).await;
    let (s, _) = app
        .post(
            "/api/v1/tasks",
            Some(tok),
            json!({"title": "Rappeler Claire", "record_type": "organisation", "record_id": oid}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.post("/api/v1/interactions", Some(tok), json!({"kind": "call", "summary": "Premier appel", "organisation_id": oid, "person_id": p["id"]})).await;
    assert_eq!(s, StatusCode::CREATED);
    for (path, first_header, cell, value) in [
        ("/api/v1/exports/people", "Prénom", 2, "claire@lumiere.fr"),
        ("/api/v1/exports/mandates", "Numéro", 1, "Banque Lumière"),
        ("/api/v1/exports/tasks", "Titre", 0, "Rappeler Claire"),
        ("/api/v1/exports/interactions", "Date", 4, "Claire Martin"),
    ] {
        let (status, _, body) = fetch(&app, tok, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let rows = csv_rows(&body, b',');
        assert_eq!(rows.len(), 2, "{path}: {rows:?}");
        assert_eq!(rows[0][0], first_header, "{path}");
        assert_eq!(rows[1][cell], value, "{path}: {rows:?}");
        for format in ["xlsx", "pdf"] {
            let (status, _, _) = fetch(&app, tok, &format!("{path}?format={format}")).await;
            assert_eq!(status, StatusCode::OK, "{path} as {format}");
        }
    }
    // An organisation in the trash still names its mandates and interactions.
    let (status, _) = app
        .delete(&format!("/api/v1/organisations/{oid}"), tok)
        .await;
    assert!(status.is_success(), "{status}");
    for (path, cell) in [
        ("/api/v1/exports/mandates", 1),
        ("/api/v1/exports/interactions", 3),
    ] {
        let (status, _, body) = fetch(&app, tok, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let rows = csv_rows(&body, b',');
        assert_eq!(rows[1][cell], "Banque Lumière", "{path}: {rows:?}");
    }
    app.stop().await;
}

/// `RELAIS_EXPORT_MAX_ROWS` caps a CSV, chunks smaller than the cap included, for a kind
/// with and a kind without names of other records (mandates carry their organisation's), and
/// the rows kept are the first in the list's order.
#[tokio::test]
async fn csv_exports_stop_at_the_row_cap_in_list_order() {
    let app = spawn_app_with(|c| {
        c.api.imports.export_max_rows = 3;
        c.api.imports.export_page_rows = 2;
    })
    .await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let mut ids = Vec::new();
    for name in ["Epsilon", "Alpha", "Delta", "Beta", "Gamma"] {
        let o = org(&app, tok, json!({"name": name, "type": "investor"})).await;
        ids.push(o["id"].as_str().unwrap().to_owned());
    }
    for oid in &ids {
        mandate(&app, tok, oid).await;
    }
    let (status, _, body) = fetch(&app, tok, "/api/v1/exports/organisations?sort=name").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<String> = csv_rows(&body, b',')
        .into_iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(names, ["Alpha", "Beta", "Delta"]);
    let (status, _, body) = fetch(&app, tok, "/api/v1/exports/mandates").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        csv_rows(&body, b',').len(),
        1 + 3,
        "header and three mandates"
    );
    // The other way round, the first rows of that order.
    let (status, _, body) = fetch(&app, tok, "/api/v1/exports/organisations?sort=-name").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv_rows(&body, b',')[1][0], "Gamma");
    app.stop().await;
}

#[tokio::test]
async fn exports_respect_scope_permission_and_tenant() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let other = app.create_tenant("rival").await;
    let user = app.create_user(&t, "vendeur@acme.test", "user", None).await;
    let viewer = app
        .create_user(&t, "lecteur@acme.test", "viewer", None)
        .await;
    org(
        &app,
        &t.admin.token,
        json!({"name": "Du patron", "type": "investor"}),
    )
    .await;
    org(
        &app,
        &user.token,
        json!({"name": "À moi", "type": "investor"}),
    )
    .await;
    org(
        &app,
        &other.admin.token,
        json!({"name": "Chez le concurrent", "type": "investor"}),
    )
    .await;
    let names = |body: &[u8]| -> Vec<String> {
        csv_rows(body, b',')
            .into_iter()
            .skip(1)
            .map(|r| r[0].clone())
            .collect()
    };
    let (_, _, body) = fetch(&app, &t.admin.token, "/api/v1/exports/organisations").await;
    assert_eq!(names(&body), ["Du patron", "À moi"]);
    let (_, _, body) = fetch(&app, &user.token, "/api/v1/exports/organisations").await;
    assert_eq!(
        names(&body),
        ["À moi"],
        "a user exports their own records only"
    );
    let (_, _, body) = fetch(&app, &other.admin.token, "/api/v1/exports/organisations").await;
    assert_eq!(names(&body), ["Chez le concurrent"]);
    for format in ["csv", "xlsx", "pdf"] {
        let (status, body) = app
            .get(
                &format!("/api/v1/exports/organisations?format={format}"),
                &viewer.token,
            )
            .await;
        assert_problem(status, &body, 403, "forbidden");
    }
    let (status, _) = app
        .get("/api/v1/exports/organisations", "not-a-token")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

/// Start a background export; returns the status and the job.
async fn start_job(app: &TestApp, token: &str, kind: &str, query: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/exports/{kind}/jobs?{query}"),
        Some(token),
        json!({}),
    )
    .await
}

/// Start a background export, wait for it to succeed and download its file.
async fn exported(app: &TestApp, token: &str, kind: &str, query: &str) -> (Value, Vec<u8>) {
    let (status, job) = start_job(app, token, kind, query).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["kind"], "export");
    assert!(job["result"].is_null(), "no file before it is written");
    let id = job["id"].as_str().unwrap();
    let j = wait_job(app, token, id).await;
    assert_eq!(j["status"], "succeeded", "{j}");
    let result = j["result"].as_str().unwrap().to_owned();
    assert_eq!(result, format!("/api/v1/exports/files/{id}"));
    let res = app
        .req(Method::GET, &result, Some(token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cd = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cd.starts_with("attachment"), "{cd}");
    assert!(
        cd.contains(&format!(
            "{}-",
            if kind == "people" { "contacts" } else { kind }
        )),
        "{cd}"
    );
    (j, res.bytes().await.unwrap().to_vec())
}

fn export_dir(app: &TestApp, tenant: uuid::Uuid, job: &str) -> std::path::PathBuf {
    std::env::temp_dir()
        .join(format!("relais-test-{}", app.db_name))
        .join(tenant.to_string())
        .join("exports")
        .join(job)
}

#[tokio::test]
async fn background_exports_give_what_the_stream_gives_to_their_creator_only() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let other = app.create_tenant("rival").await;
    let user = app.create_user(&t, "vendeur@acme.test", "user", None).await;
    let colleague = app
        .create_user(&t, "collegue@acme.test", "user", None)
        .await;
    let viewer = app
        .create_user(&t, "lecteur@acme.test", "viewer", None)
        .await;
    let admin = &t.admin.token;
    org(
        &app,
        admin,
        json!({"name": "Du patron", "type": "investor", "pipeline_stage": "qualification"}),
    )
    .await;
    org(
        &app,
        admin,
        json!({"name": "Autre du patron", "type": "issuer"}),
    )
    .await;
    org(
        &app,
        &user.token,
        json!({"name": "À moi", "type": "investor", "pipeline_stage": "qualification"}),
    )
    .await;
    org(
        &app,
        &user.token,
        json!({"name": "Aussi à moi", "type": "supplier", "pipeline_stage": "signed"}),
    )
    .await;
    org(&app, &other.admin.token, json!({"name": "Chez le concurrent", "type": "investor", "pipeline_stage": "qualification"})).await;

    // The list's filters and sort, the delimiter: the same file as the streamed export.
    let q = "stage=qualification&sort=-name&delimiter=semicolon";
    let (job, file) = exported(&app, admin, "organisations", q).await;
    assert_eq!(job["progress"]["done"], 2, "{job}");
    assert_eq!(job["progress"]["total"], 2, "{job}");
    let (_, _, streamed) = fetch(&app, admin, &format!("/api/v1/exports/organisations?{q}")).await;
    let rows = csv_rows(&file, b';');
    assert_eq!(rows, csv_rows(&streamed, b';'));
    let names: Vec<&str> = rows.iter().skip(1).map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["À moi", "Du patron"]);

    // A user with the own scope gets their records only, in every format.
    let (_, file) = exported(&app, &user.token, "organisations", "format=xlsx").await;
    let rows = read_xlsx(&file);
    let names: Vec<&str> = rows.iter().skip(1).map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["Aussi à moi", "À moi"]);
    let (_, pdf) = exported(&app, &user.token, "organisations", "format=pdf").await;
    assert!(pdf.starts_with(b"%PDF-"));
    let (job, file) = exported(&app, &user.token, "organisations", "").await;
    let names: Vec<String> = csv_rows(&file, b',')
        .into_iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(names, ["Aussi à moi", "À moi"]);

    // Nobody else sees the job or its file: a colleague, the other firm, not even the admin.
    let id = job["id"].as_str().unwrap();
    let file_path = format!("/api/v1/exports/files/{id}");
    for tok in [&colleague.token, &other.admin.token, admin] {
        let (status, body) = app.get(&format!("/api/v1/jobs/{id}"), tok).await;
        assert_problem(status, &body, 404, "not_found");
        let (status, body) = app.get(&file_path, tok).await;
        assert_problem(status, &body, 404, "not_found");
        let (status, body) = app
            .post(&format!("/api/v1/jobs/{id}/cancel"), Some(tok), json!({}))
            .await;
        assert_problem(status, &body, 404, "not_found");
    }
    let (status, _) = app.get(&file_path, &user.token).await;
    assert_eq!(status, StatusCode::OK, "still there for its creator");
    // Other lists run as jobs too.
    let (_, file) = exported(&app, admin, "people", "").await;
    assert_eq!(csv_rows(&file, b',')[0][0], "Prénom");

    // Refused at once, as the GET would be.
    let (status, body) = start_job(&app, &viewer.token, "organisations", "").await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = start_job(&app, admin, "organisations", "format=docx").await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "format");
    let (status, body) = start_job(&app, admin, "organisations", "stage=bogus").await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = start_job(&app, admin, "passwords", "").await;
    assert_problem(status, &body, 404, "not_found");
    let (status, body) = app
        .get(
            &format!("/api/v1/exports/files/{}", uuid::Uuid::now_v7()),
            admin,
        )
        .await;
    assert_problem(status, &body, 404, "not_found");
    app.stop().await;
}

#[tokio::test]
async fn export_jobs_can_be_cancelled() {
    // Queued (no worker): cancelled at once, nothing written.
    let app = spawn_app_with(|c| c.embedded_worker = false).await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let (status, job) = start_job(&app, tok, "organisations", "").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["status"], "queued");
    let id = job["id"].as_str().unwrap();
    let (status, j) = app
        .post(&format!("/api/v1/jobs/{id}/cancel"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(j["status"], "cancelled");
    assert!(j["result"].is_null());
    let (status, _) = app.get(&format!("/api/v1/exports/files/{id}"), tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;

    // Running: it stops at its next page and leaves no file. (A workbook, one row a page:
    // 30,000 hand-offs to the blocking pool, 1.5–3.5 s here, while the cancellation below
    // comes after the first tick and is seen at the next, a quarter of a second later; one
    // that arrives during the last pages is honoured when the job ends. The rows are written
    // directly: importing them would take longer than the export.)
    let app = spawn_app_with(|c| c.api.imports.export_page_rows = 1).await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let mut su = app.superuser().await;
    sqlx::query(
        "INSERT INTO organisations (tenant_id, id, name, type, city, owner_id)
         SELECT $1, gen_random_uuid(), 'Société ' || i, 'investor', 'Ville ' || i, $2
         FROM generate_series(1, 30000) AS i",
    )
    .bind(t.id)
    .bind(t.admin.id)
    .execute(&mut su)
    .await
    .unwrap();
    let (status, job) = start_job(&app, tok, "organisations", "format=xlsx").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    for _ in 0..400 {
        let (_, j) = app.get(&format!("/api/v1/jobs/{id}"), tok).await;
        if j["progress"]["done"].as_u64().unwrap_or(0) > 0 {
            assert_eq!(j["progress"]["total"], 30_000, "{j}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, _) = app
        .post(&format!("/api/v1/jobs/{id}/cancel"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let j = wait_job(&app, tok, &id).await;
    assert_eq!(j["status"], "cancelled", "{j}");
    assert!(j["result"].is_null());
    assert!(j["progress"]["done"].as_u64().unwrap() < 30_000, "{j}");
    let (status, _) = app.get(&format!("/api/v1/exports/files/{id}"), tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!export_dir(&app, t.id, &id).exists(), "no file left");
    app.stop().await;
}

#[tokio::test]
async fn expired_export_files_are_gone() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    org(&app, tok, json!({"name": "Alpha", "type": "investor"})).await;
    let (old, _) = exported(&app, tok, "organisations", "format=xlsx").await;
    let (fresh, _) = exported(&app, tok, "organisations", "").await;
    let (old, fresh) = (old["id"].as_str().unwrap(), fresh["id"].as_str().unwrap());
    let old_dir = export_dir(&app, t.id, old);
    assert!(old_dir.is_dir());

    // Past `RELAIS_EXPORT_FILE_DAYS` (7 by default) the link is dead…
    let mut su = app.superuser().await;
    sqlx::query("UPDATE jobs SET finished_at = now() - interval '8 days' WHERE id = $1")
        .bind(uuid::Uuid::parse_str(old).unwrap())
        .execute(&mut su)
        .await
        .unwrap();
    let (status, body) = app.get(&format!("/api/v1/exports/files/{old}"), tok).await;
    assert_problem(status, &body, 404, "not_found");
    // …and the sweep removes the file; recent ones stay.
    let eight_days_ago = SystemTime::now() - Duration::from_secs(8 * 24 * 3600);
    std::fs::File::open(&old_dir)
        .unwrap()
        .set_modified(eight_days_ago)
        .unwrap();
    let data_dir = std::env::temp_dir().join(format!("relais-test-{}", app.db_name));
    let removed =
        relais_api::routes::exports::sweep_expired(&data_dir, Duration::from_secs(7 * 24 * 3600))
            .await;
    assert_eq!(removed, 1);
    assert!(!old_dir.exists());
    assert!(export_dir(&app, t.id, fresh).is_dir());
    let (status, _) = app
        .get(&format!("/api/v1/exports/files/{fresh}"), tok)
        .await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}
