//! Exports: CSV (BOM, `;`, formula injection neutralised), XLSX (data and statistics sheets,
//! chart, frozen header), PDF (pages); the list's filters; scope, permission and tenants.

use crate::helpers::*;
use crate::imports::{read_xlsx, run, upload};
use calamine::{Reader, Xlsx};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::io::Read;

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
    let r = &done["report"];
    assert_eq!(
        (
            r["unchanged"].as_u64(),
            r["created"].as_u64(),
            r["error_rows"].as_u64()
        ),
        (Some(2), Some(0), Some(0)),
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
    let (s, m) = app
        .post(
            "/api/v1/mandates",
            Some(tok),
            json!({"organisation_id": oid, "amount": 1000.0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
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
