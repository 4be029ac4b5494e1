//! Imports: encodings, delimiters and formats; mapping detection in French and English; dry
//! runs that write nothing; all-or-nothing and skip modes with line numbers; upserts; people
//! linked to organisations by name; malformed files; permissions; isolation between tenants.

use crate::helpers::*;
use relais_domain::TenantId;
use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use std::{io::Write, ops::ControlFlow, time::Duration};
use uuid::Uuid;

/// PATCH without If-Match (imports carry no ETag).
pub trait PatchJson {
    async fn patch_json(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value);
}

impl PatchJson for TestApp {
    async fn patch_json(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }
}

pub async fn upload_with(
    app: &TestApp,
    token: &str,
    kind: &str,
    name: &str,
    bytes: &[u8],
    extra: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = Form::new().text("type", kind.to_owned());
    for (k, v) in extra {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    form = form.part(
        "file",
        Part::bytes(bytes.to_vec())
            .file_name(name.to_owned())
            .mime_str("application/octet-stream")
            .unwrap(),
    );
    let res = app
        .req(Method::POST, "/api/v1/imports", Some(token))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub async fn upload(app: &TestApp, token: &str, kind: &str, name: &str, bytes: &[u8]) -> Value {
    let (status, body) = upload_with(app, token, kind, name, bytes, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Poll the job until it ends; returns the job.
pub async fn wait_job(app: &TestApp, token: &str, job: &str) -> Value {
    for _ in 0..600 {
        let (status, j) = app.get(&format!("/api/v1/jobs/{job}"), token).await;
        assert_eq!(status, StatusCode::OK, "{j}");
        if ["succeeded", "failed", "cancelled"].contains(&j["status"].as_str().unwrap()) {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {job} did not finish");
}

/// Start a dry run or a run and wait for it; returns the import afterwards.
/// The counts `keys` of a finished import's report, in that order.
pub fn counts(done: &Value, keys: &[&str]) -> Vec<Option<u64>> {
    keys.iter().map(|k| done["report"][*k].as_u64()).collect()
}

pub async fn run(app: &TestApp, token: &str, id: &str, what: &str) -> Value {
    let (status, started) = app
        .post(
            &format!("/api/v1/imports/{id}/{what}"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let job = started["job_id"].as_str().unwrap().to_owned();
    wait_job(app, token, &job).await;
    let (status, imp) = app.get(&format!("/api/v1/imports/{id}"), token).await;
    assert_eq!(status, StatusCode::OK);
    imp
}

async fn count(app: &TestApp, tenant: Uuid, sql: &str) -> i64 {
    let tx = app.db.tenant_tx(TenantId(tenant)).await.unwrap();
    let n = tx
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    tx.commit().await.unwrap();
    n
}

async fn org_count(app: &TestApp, tenant: Uuid) -> i64 {
    count(app, tenant, "SELECT count(*) AS n FROM organisations").await
}

async fn orgs_by_name(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, page) = app
        .get("/api/v1/organisations?limit=200&sort=name", token)
        .await;
    assert_eq!(status, StatusCode::OK);
    page["items"].as_array().unwrap().clone()
}

fn xlsx(headers: &[&str], rows: &[Vec<&str>]) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("relais-it-xlsx-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("f.xlsx");
    let headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    let mut t = relais_sheets::TableXlsx::new("Feuille1", &headers, &[], false, &dir).unwrap();
    for r in rows {
        t.push(r).unwrap();
    }
    t.finish(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

/// A minimal OpenDocument spreadsheet.
fn ods(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut table = String::new();
    for r in rows {
        table.push_str("<table:table-row>");
        for c in r {
            table.push_str(&format!(
                "<table:table-cell office:value-type=\"string\"><text:p>{c}</text:p></table:table-cell>"
            ));
        }
        table.push_str("</table:table-row>");
    }
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
         xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\">\
         <office:body><office:spreadsheet><table:table table:name=\"Feuille1\">{table}\
         </table:table></office:spreadsheet></office:body></office:document-content>"
    );
    let manifest = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\">\
        <manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>\
        <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\
        </manifest:manifest>";
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        z.start_file("mimetype", stored).unwrap();
        z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        z.start_file("content.xml", stored).unwrap();
        z.write_all(content.as_bytes()).unwrap();
        z.start_file("META-INF/manifest.xml", stored).unwrap();
        z.write_all(manifest.as_bytes()).unwrap();
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[tokio::test]
async fn csv_utf8_bom_semicolons_dry_run_then_run() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let csv = "\u{feff}Nom;Type;Catégorie;Ville;Code postal;Montant attendu;Étiquettes;Notes\r\n\
               Banque Lumière;Investisseur;OPCVM;Paris;75002;2 500 000;institutionnel, Paris;\"Vue au salon;\r\nà rappeler\"\r\n\
               Caisse du Centre;distributeur;SCPI;Orléans;45000;750 000,50;;\r\n";
    let imp = upload(&app, tok, "organisations", "prospects.csv", csv.as_bytes()).await;
    assert_eq!(imp["format"], "csv");
    assert_eq!(imp["encoding"], "utf-8");
    assert_eq!(imp["delimiter"], ";");
    assert_eq!(imp["status"], "ready");
    assert_eq!(
        imp["headers"],
        json!([
            "Nom",
            "Type",
            "Catégorie",
            "Ville",
            "Code postal",
            "Montant attendu",
            "Étiquettes",
            "Notes"
        ])
    );
    assert_eq!(
        imp["mapping"],
        json!([
            "name",
            "type",
            "category",
            "city",
            "postcode",
            "expected_amount",
            "tags",
            "notes"
        ])
    );
    assert_eq!(imp["upsert_key"], "name");
    let preview = imp["preview"].as_array().unwrap();
    assert_eq!(preview.len(), 2);
    assert_eq!(preview[0]["line"], 2);
    assert_eq!(preview[0]["values"]["type"], "investor");
    assert_eq!(preview[0]["values"]["expected_amount"], "2500000");
    assert_eq!(preview[0]["values"]["notes"], "Vue au salon;\nà rappeler");
    assert_eq!(
        preview[1]["line"], 4,
        "the quoted newline moves the next record down"
    );
    assert_eq!(preview[1]["values"]["expected_amount"], "750000.5");
    let id = imp["id"].as_str().unwrap();

    // The dry run validates and counts, and writes nothing.
    let events_before = count(&app, t.id, "SELECT count(*) AS n FROM events").await;
    let dry = run(&app, tok, id, "dry-run").await;
    assert_eq!(dry["status"], "validated", "{dry}");
    let r = &dry["report"];
    assert_eq!(r["dry_run"], true);
    assert_eq!(r["total_rows"], 2);
    assert_eq!(
        (r["created"].as_u64(), r["error_rows"].as_u64()),
        (Some(2), Some(0)),
        "{dry}"
    );
    assert_eq!(org_count(&app, t.id).await, 0, "a dry run writes nothing");
    assert_eq!(
        count(&app, t.id, "SELECT count(*) AS n FROM events").await,
        events_before
    );
    assert_eq!(
        count(
            &app,
            t.id,
            "SELECT count(*) AS n FROM organisation_stage_changes"
        )
        .await,
        0
    );

    let done = run(&app, tok, id, "run").await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["committed"], true);
    assert_eq!(done["report"]["created"], 2);
    let orgs = orgs_by_name(&app, tok).await;
    assert_eq!(orgs.len(), 2);
    let azur = &orgs[0];
    assert_eq!(azur["name"], "Banque Lumière");
    assert_eq!(azur["type"], "investor");
    assert_eq!(azur["category"], "opcvm");
    assert_eq!(azur["expected_amount"], 2_500_000.0);
    assert_eq!(azur["tags"], json!(["institutionnel", "Paris"]));
    assert_eq!(azur["owner_id"], t.admin.id.to_string());
    assert_eq!(orgs[1]["expected_amount"], 750_000.5);
    // History says where the record came from.
    let (_, hist) = app
        .get(
            &format!(
                "/api/v1/organisations/{}/history",
                azur["id"].as_str().unwrap()
            ),
            tok,
        )
        .await;
    let created = &hist["items"][0];
    assert_eq!(created["type"], "organisation.created");
    assert_eq!(created["data"]["source"]["type"], "import");
    assert_eq!(created["data"]["source"]["file_name"], "prospects.csv");
    assert_eq!(created["data"]["source"]["line"], 2);
    assert_eq!(created["data"]["source"]["import_id"], id);
    // The stage history starts like any created record's.
    assert_eq!(
        count(
            &app,
            t.id,
            "SELECT count(*) AS n FROM organisation_stage_changes"
        )
        .await,
        2
    );
    // A real run happens once.
    let (status, body) = app
        .post(&format!("/api/v1/imports/{id}/run"), Some(tok), json!({}))
        .await;
    assert_problem(status, &body, 409, "import_locked");
    app.stop().await;
}

#[tokio::test]
async fn windows_1252_commas_and_tabs() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let latin: &[u8] = b"name,city,phone,country\r\nSoci\xe9t\xe9 G\xe9n\xe9rale Priv\xe9e,Orl\xe9ans,02 38 00 00 00,France\r\n";
    let imp = upload(&app, tok, "organisations", "export-excel.csv", latin).await;
    assert_eq!(imp["encoding"], "windows-1252");
    assert_eq!(imp["delimiter"], ",");
    assert_eq!(imp["mapping"], json!(["name", "city", "phone", "country"]));
    assert_eq!(
        imp["preview"][0]["values"]["name"],
        "Société Générale Privée"
    );
    assert_eq!(imp["preview"][0]["values"]["country"], "FR");
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(done["status"], "completed", "{done}");
    let orgs = orgs_by_name(&app, tok).await;
    assert_eq!(orgs[0]["name"], "Société Générale Privée");
    assert_eq!(orgs[0]["city"], "Orléans");

    let tabs = "Nom\tVille\tNotes\nAlpha Gestion\tLyon\t\"deux\nlignes\"\nBeta Conseil\tLille\t\n";
    let imp = upload(&app, tok, "organisations", "liste.tsv", tabs.as_bytes()).await;
    assert_eq!(imp["delimiter"], "\t");
    assert_eq!(imp["encoding"], "utf-8");
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(done["report"]["created"], 2, "{done}");
    let orgs = orgs_by_name(&app, tok).await;
    let alpha = orgs.iter().find(|o| o["name"] == "Alpha Gestion").unwrap();
    assert_eq!(alpha["notes"], "deux\nlignes");

    // The encoding can be forced, which reads the file again.
    let imp = upload(&app, tok, "organisations", "again.csv", latin).await;
    let (status, changed) = app
        .patch_json(
            &format!("/api/v1/imports/{}", imp["id"].as_str().unwrap()),
            tok,
            json!({"encoding": "utf-8"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["encoding"], "utf-8");
    assert_eq!(
        changed["preview"].as_array().unwrap().len(),
        0,
        "invalid UTF-8 rows are not previewed as values"
    );
    app.stop().await;
}

#[tokio::test]
async fn xlsx_xls_and_ods() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let book = xlsx(
        &["Name", "Type", "City", "Expected amount", "Website"],
        &[
            vec![
                "Azur Patrimoine",
                "distributor",
                "Nice",
                "1200000",
                "azur-patrimoine.fr",
            ],
            vec!["Boréal Invest", "Investor", "Brest", "", ""],
        ],
    );
    let imp = upload(&app, tok, "organisations", "clients.xlsx", &book).await;
    assert_eq!(imp["format"], "xlsx");
    assert_eq!(imp["sheets"], json!(["Feuille1"]));
    assert_eq!(imp["sheet"], "Feuille1");
    assert_eq!(imp["encoding"], Value::Null);
    assert_eq!(
        imp["mapping"],
        json!(["name", "type", "city", "expected_amount", "website"])
    );
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(done["report"]["created"], 2, "{done}");
    assert_eq!(done["report"]["total_rows"], 2);

    let xls = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/organisations.xls"
    ))
    .unwrap();
    let imp = upload(&app, tok, "organisations", "ancien.xls", &xls).await;
    assert_eq!(imp["format"], "xls");
    assert_eq!(imp["sheets"], json!(["Organisations", "Notes"]));
    assert_eq!(imp["preview"][1]["values"]["expected_amount"], "300000.5");
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(done["report"]["created"], 2, "{done}");
    // Another sheet can be chosen; this one has no data rows.
    let (status, body) = app
        .patch_json(
            &format!(
                "/api/v1/imports/{}",
                upload(&app, tok, "organisations", "b.xls", &xls).await["id"]
                    .as_str()
                    .unwrap()
            ),
            tok,
            json!({"sheet": "Nope"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "sheet_not_found");

    let sheet = ods(&[vec!["nom", "ville"], vec!["Cèdre Gestion", "Annecy"]]);
    let imp = upload(&app, tok, "organisations", "libre.ods", &sheet).await;
    assert_eq!(imp["format"], "ods");
    assert_eq!(imp["preview"][0]["values"]["name"], "Cèdre Gestion");
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(done["report"]["created"], 1, "{done}");
    let names: Vec<String> = orgs_by_name(&app, tok)
        .await
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "Azur Patrimoine",
            "Boréal Invest",
            "Caisse Mutuelle de l'Ouest",
            "Cèdre Gestion",
            "Gestion Privée Loire"
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn all_or_nothing_leaves_nothing_and_skip_mode_reports_lines() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let csv = "nom;email;montant;notes\n\
               Alpha;contact@alpha.fr;10;\n\
               Beta;pas-un-email;20;\"sur deux\nlignes\"\n\
               Gamma;;beaucoup;\n\
               ;orphelin@x.fr;;\n\
               Delta;delta@d.fr;30;\n";
    let imp = upload(&app, tok, "organisations", "mixte.csv", csv.as_bytes()).await;
    let id = imp["id"].as_str().unwrap().to_owned();
    assert_eq!(imp["mode"], "all_or_nothing");
    // A bad row is previewed with its cells and what is wrong with it.
    assert_eq!(imp["preview"][1]["line"], 3);
    assert_eq!(imp["preview"][1]["values"]["name"], "Beta");
    assert_eq!(imp["preview"][1]["values"]["email"], "pas-un-email");
    assert_eq!(imp["preview"][1]["errors"][0]["code"], "invalid_email");
    let failed = run(&app, tok, &id, "run").await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["committed"], false);
    let r = &failed["report"];
    assert_eq!(r["processed"], 5);
    assert_eq!(r["error_rows"], 3);
    assert_eq!(r["created"], 0);
    assert_eq!(r["skipped"], 5);
    assert_eq!(org_count(&app, t.id).await, 0, "all or nothing: nothing");
    assert_eq!(
        count(&app, t.id, "SELECT count(*) AS n FROM events").await,
        0
    );
    let lines: Vec<(u64, &str, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["code"].as_str().unwrap(),
                e["column"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (3, "invalid_email", "email"),
            (5, "invalid_amount", "montant"),
            (6, "required", "nom")
        ]
    );
    let (_, job) = app
        .get(
            &format!("/api/v1/jobs/{}", failed["job_id"].as_str().unwrap()),
            tok,
        )
        .await;
    assert_eq!(job["status"], "failed");
    assert_eq!(job["progress"], json!({"done": 5, "total": 5}));

    // Skip mode: the good rows go in, the bad ones are reported.
    let (status, body) = app
        .patch_json(
            &format!("/api/v1/imports/{id}"),
            tok,
            json!({"mode": "skip_errors"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let done = run(&app, tok, &id, "run").await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        counts(&done, &["created", "skipped", "error_rows"]),
        [Some(2), Some(3), Some(3)],
        "{done}"
    );
    assert_eq!(done["report"]["has_error_report"], true);
    let names: Vec<Value> = orgs_by_name(&app, tok)
        .await
        .iter()
        .map(|o| o["name"].clone())
        .collect();
    assert_eq!(names, [json!("Alpha"), json!("Delta")]);

    // The error report: the bad rows as they were, with their line and errors.
    let res = app
        .req(
            Method::GET,
            &format!("/api/v1/imports/{id}/errors.xlsx"),
            Some(tok),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("erreurs-mixte.xlsx")
    );
    let bytes = res.bytes().await.unwrap();
    let rows = read_xlsx(&bytes);
    assert_eq!(
        rows[0],
        ["Ligne", "nom", "email", "montant", "notes", "Erreurs"]
    );
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1][0], "3");
    assert_eq!(rows[1][1], "Beta");
    assert_eq!(rows[1][4], "sur deux\nlignes");
    assert!(rows[1][5].contains("email"), "{:?}", rows[1]);
    assert_eq!(rows[3][0], "6");
    assert_eq!(rows[3][2], "orphelin@x.fr");
    app.stop().await;
}

pub fn read_xlsx(bytes: &[u8]) -> Vec<Vec<String>> {
    let dir = std::env::temp_dir().join(format!("relais-it-read-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("r.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let mut rows = Vec::new();
    relais_sheets::read(
        &path,
        relais_sheets::Format::Xlsx,
        &Default::default(),
        &Default::default(),
        |item| {
            match item {
                relais_sheets::Item::Header(r) | relais_sheets::Item::Row(r) => rows.push(r.cells),
                relais_sheets::Item::Size(_) => {}
                relais_sheets::Item::Bad(b) => panic!("{b:?}"),
            }
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    rows
}

#[tokio::test]
async fn upserts_update_instead_of_duplicating() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let first = "nom;ville;etape\nAlpha;Lyon;prospect\nBeta;Lille;prospect\n";
    let imp = upload(&app, tok, "organisations", "v1.csv", first.as_bytes()).await;
    run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    let alpha = orgs_by_name(&app, tok).await[0].clone();
    // Same names in another case, a new city for one, a new stage for the other, a new row,
    // and a row repeating a name created earlier in the same file.
    let second = "NOM;Ville;Étape;notes\nALPHA;Marseille;;\nBeta;Lille;qualification;\nGamma;Nice;;\nGamma;;;vu deux fois\n";
    let imp = upload(&app, tok, "organisations", "v2.csv", second.as_bytes()).await;
    assert_eq!(imp["upsert_key"], "name");
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(
        counts(&done, &["created", "updated", "unchanged"]),
        [Some(1), Some(3), Some(0)],
        "{done}"
    );
    let orgs = orgs_by_name(&app, tok).await;
    assert_eq!(orgs.len(), 3, "no duplicates");
    assert_eq!(orgs[0]["id"], alpha["id"]);
    assert_eq!(orgs[0]["name"], "ALPHA");
    assert_eq!(orgs[0]["city"], "Marseille");
    assert_eq!(
        orgs[0]["pipeline_stage"], "prospect",
        "an empty cell keeps the value"
    );
    assert_eq!(orgs[1]["pipeline_stage"], "qualification");
    assert_eq!(orgs[2]["city"], "Nice");
    assert_eq!(orgs[2]["notes"], "vu deux fois");
    let (_, hist) = app
        .get(
            &format!(
                "/api/v1/organisations/{}/history",
                orgs[1]["id"].as_str().unwrap()
            ),
            tok,
        )
        .await;
    let types: Vec<&str> = hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "organisation.stage_changed",
            "organisation.updated",
            "organisation.created"
        ]
    );
    assert_eq!(
        hist["items"][1]["data"]["before"]["pipeline_stage"],
        "prospect"
    );
    assert_eq!(
        hist["items"][1]["data"]["after"]["pipeline_stage"],
        "qualification"
    );
    assert_eq!(hist["items"][1]["data"]["source"]["file_name"], "v2.csv");
    // The same file again changes nothing.
    let imp = upload(
        &app,
        tok,
        "organisations",
        "v2-bis.csv",
        second.replace("Gamma;;;vu deux fois\n", "").as_bytes(),
    )
    .await;
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(done["report"]["unchanged"], 3, "{done}");
    // Upsert by email: the same address (any case) updates, whatever the name.
    let by_email = "nom;email\nAlpha Gestion;contact@alpha.fr\n";
    let imp = upload(&app, tok, "organisations", "e1.csv", by_email.as_bytes()).await;
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/imports/{}", imp["id"].as_str().unwrap()),
            tok,
            json!({"upsert_key": "email"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    let renamed = "nom;email\nAlpha Gestion Privée;CONTACT@alpha.fr\n";
    let imp = upload(&app, tok, "organisations", "e2.csv", renamed.as_bytes()).await;
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/imports/{}", imp["id"].as_str().unwrap()),
            tok,
            json!({"upsert_key": "email"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(done["report"]["updated"], 1, "{done}");
    assert!(
        orgs_by_name(&app, tok)
            .await
            .iter()
            .any(|o| o["name"] == "Alpha Gestion Privée")
    );
    assert!(
        !orgs_by_name(&app, tok)
            .await
            .iter()
            .any(|o| o["name"] == "Alpha Gestion")
    );
    // Upsert by email needs an email column.
    let (status, body) = app
        .patch_json(
            &format!(
                "/api/v1/imports/{}",
                upload(&app, tok, "organisations", "x.csv", first.as_bytes()).await["id"]
                    .as_str()
                    .unwrap()
            ),
            tok,
            json!({"upsert_key": "email"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "upsert_key");
    app.stop().await;
}

#[tokio::test]
async fn people_link_to_organisations_by_name() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let (status, lum) = app
        .post(
            "/api/v1/organisations",
            Some(tok),
            json!({"name": "Banque Lumière", "type": "investor"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let csv = "prenom;nom;email_personnel;telephone;fonction;organisation_nom\n\
               Claire;Martin;claire@lumiere.fr;06 12 34 56 78;Directrice;banque lumière\n\
               Jean;Dupont;jean@nouvelle.fr;;Gérant;Nouvelle Gestion\n\
               Lucie;Bernard;LUCIE@nouvelle.fr;;;Nouvelle Gestion\n";
    let imp = upload(&app, tok, "people", "contacts.csv", csv.as_bytes()).await;
    assert_eq!(
        imp["mapping"],
        json!([
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "organisation_name"
        ])
    );
    assert_eq!(imp["upsert_key"], "email");
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    let r = &done["report"];
    assert_eq!(r["created"], 3, "{done}");
    assert_eq!(r["organisations_created"], 1);
    let orgs = orgs_by_name(&app, tok).await;
    assert_eq!(orgs.len(), 2, "one new organisation for two rows");
    let nouvelle = orgs
        .iter()
        .find(|o| o["name"] == "Nouvelle Gestion")
        .unwrap();
    let (_, contacts) = app
        .get(
            &format!(
                "/api/v1/organisations/{}/people",
                nouvelle["id"].as_str().unwrap()
            ),
            tok,
        )
        .await;
    assert_eq!(contacts["items"].as_array().unwrap().len(), 2, "{contacts}");
    let (_, contacts) = app
        .get(
            &format!(
                "/api/v1/organisations/{}/people",
                lum["id"].as_str().unwrap()
            ),
            tok,
        )
        .await;
    let claire = &contacts["items"][0];
    assert_eq!(claire["email"], "claire@lumiere.fr");
    assert_eq!(claire["is_primary"], true);
    assert_eq!(claire["role"], "Directrice");
    // Again, with a new phone: updated by email, links kept.
    let again = "email;telephone\nclaire@lumiere.fr;01 42 00 00 00\nlucie@nouvelle.fr;\n";
    let imp = upload(&app, tok, "people", "maj.csv", again.as_bytes()).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/imports/{}/run", imp["id"].as_str().unwrap()),
            Some(tok),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        body["errors"][0]["field"], "mapping",
        "last_name must be mapped: {body}"
    );
    let again = "nom;email;telephone\nMartin;claire@lumiere.fr;01 42 00 00 00\nBernard;lucie@nouvelle.fr;\n";
    let imp = upload(&app, tok, "people", "maj.csv", again.as_bytes()).await;
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(
        counts(&done, &["updated", "unchanged"]),
        [Some(1), Some(1)],
        "{done}"
    );
    assert_eq!(
        count(&app, t.id, "SELECT count(*) AS n FROM people").await,
        3
    );
    // By name: last and first name together (case-insensitive); no first name is a key too.
    let by_name = "prenom;nom;fonction\nclaire;MARTIN;Directrice générale\n;Sans Prénom;\n;sans prénom;Gérant\n";
    let imp = upload(&app, tok, "people", "noms.csv", by_name.as_bytes()).await;
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/imports/{}", imp["id"].as_str().unwrap()),
            tok,
            json!({"upsert_key": "name"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(
        counts(&done, &["created", "updated"]),
        [Some(1), Some(2)],
        "{done}"
    );
    assert_eq!(
        count(&app, t.id, "SELECT count(*) AS n FROM people").await,
        4
    );
    assert_eq!(
        count(&app, t.id, "SELECT count(*) AS n FROM people WHERE job_title = 'Directrice générale' AND email = 'claire@lumiere.fr'").await,
        1
    );
    // Without the right to create organisations, unknown names are errors.
    let imp = upload(
        &app,
        tok,
        "people",
        "inconnue.csv",
        "nom;organisation\nPetit;Inconnue SA\n".as_bytes(),
    )
    .await;
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/imports/{}", imp["id"].as_str().unwrap()),
            tok,
            json!({"create_missing_organisations": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(done["report"]["errors"][0]["code"], "not_found", "{done}");
    assert_eq!(done["report"]["errors"][0]["column"], "organisation");
    app.stop().await;
}

#[tokio::test]
async fn mapping_can_be_edited_and_is_checked() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let csv = "Raison sociale;Localité;Divers\nAlpha;Lyon;x\n";
    let imp = upload(&app, tok, "organisations", "m.csv", csv.as_bytes()).await;
    assert_eq!(imp["mapping"], json!(["name", "city", null]));
    assert!(
        imp["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key"] == "postcode")
    );
    let path = format!("/api/v1/imports/{}", imp["id"].as_str().unwrap());
    for (mapping, field, code) in [
        (json!(["name", "city"]), "mapping", "invalid_length"),
        (
            json!(["name", "city", "password"]),
            "mapping[2]",
            "unknown_field",
        ),
        (json!(["city", "city", null]), "mapping[1]", "duplicate"),
    ] {
        let (status, body) = app
            .patch_json(&path, tok, json!({"mapping": mapping}))
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], field, "{body}");
        assert_eq!(body["errors"][0]["code"], code, "{body}");
    }
    let (status, body) = app
        .patch_json(&path, tok, json!({"mapping": ["name", "notes", "postcode"], "mode": "skip_errors", "upsert_key": "none"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["preview"][0]["values"],
        json!({"name": "Alpha", "notes": "Lyon", "postcode": "x"})
    );
    assert_eq!(body["mode"], "skip_errors");
    assert_eq!(body["upsert_key"], "none");
    let (status, body) = app.patch_json(&path, tok, json!({"bogus": 1})).await;
    assert_problem(status, &body, 422, "validation_failed");
    app.stop().await;
}

#[tokio::test]
async fn malformed_files_get_clear_errors() {
    let app = spawn_app_with(|c| c.api.imports.max_bytes = 64 * 1024).await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let cases: Vec<(&str, Vec<u8>, u16, &str, &str)> = vec![
        (
            "vide.csv",
            Vec::new(),
            422,
            "validation_failed",
            "empty_file",
        ),
        (
            "entete.csv",
            b"nom;ville\n".to_vec(),
            422,
            "validation_failed",
            "no_rows",
        ),
        (
            "blanc.csv",
            b"\n\n  \n".to_vec(),
            422,
            "validation_failed",
            "no_header",
        ),
        (
            "binaire.csv",
            (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect(),
            415,
            "unsupported_file_type",
            "",
        ),
        (
            "tronque.xlsx",
            {
                let b = xlsx(&["nom"], &[vec!["Alpha"]]);
                b[..b.len() / 2].to_vec()
            },
            422,
            "validation_failed",
            "corrupt_file",
        ),
        (
            "faux.xlsx",
            b"PK\x03\x04pas vraiment un zip".to_vec(),
            422,
            "validation_failed",
            "corrupt_file",
        ),
    ];
    for (name, bytes, status_code, code, field_code) in cases {
        let (status, body) = upload_with(&app, tok, "organisations", name, &bytes, &[]).await;
        assert_problem(status, &body, status_code, code);
        if !field_code.is_empty() {
            assert_eq!(body["errors"][0]["field"], "file", "{name}: {body}");
            assert_eq!(body["errors"][0]["code"], field_code, "{name}: {body}");
        }
    }
    // Larger than the limit while streaming.
    let big = format!("nom\n{}", "Alpha Gestion Privée\n".repeat(5_000));
    let (status, body) =
        upload_with(&app, tok, "organisations", "gros.csv", big.as_bytes(), &[]).await;
    assert_problem(status, &body, 413, "payload_too_large");
    // A workbook whose part claims to expand to 2 GiB is refused before anything inflates.
    let mut bomb = xlsx(&["nom"], &[vec!["Alpha"]]);
    claim_size(&mut bomb, "xl/worksheets/sheet1.xml", 2_147_483_648);
    let (status, body) = upload_with(&app, tok, "organisations", "bombe.xlsx", &bomb, &[]).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "file_too_large", "{body}");
    // A body announcing 2 GB is refused from its headers.
    let reply = raw_post_claiming(&app, tok, 2_000_000_000).await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("payload_too_large"), "{reply}");
    // Form mistakes.
    let (status, body) = upload_with(&app, tok, "contrats", "a.csv", b"nom\nA\n", &[]).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "type");
    let (status, body) = upload_with(
        &app,
        tok,
        "organisations",
        "a.csv",
        b"nom\nA\n",
        &[("delimiter", "|")],
    )
    .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "delimiter");
    // Nothing was kept of the refused uploads.
    assert_eq!(
        count(&app, t.id, "SELECT count(*) AS n FROM imports").await,
        0
    );
    let dir = std::env::temp_dir()
        .join(format!("relais-test-{}", app.db_name))
        .join(t.id.to_string())
        .join("imports");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "staged files removed: {left:?}");
    app.stop().await;
}

/// Rewrite the uncompressed size a zip's central directory declares for `name`.
fn claim_size(zip_bytes: &mut [u8], name: &str, size: u32) {
    let sig = [0x50, 0x4b, 0x01, 0x02];
    let mut i = 0;
    while i + 46 < zip_bytes.len() {
        if zip_bytes[i..i + 4] == sig {
            let n = u16::from_le_bytes([zip_bytes[i + 28], zip_bytes[i + 29]]) as usize;
            if &zip_bytes[i + 46..i + 46 + n] == name.as_bytes() {
                zip_bytes[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
                return;
            }
        }
        i += 1;
    }
    panic!("{name} not in the archive");
}

/// POST headers announcing `length` bytes, then read the answer without sending the body.
async fn raw_post_claiming(app: &TestApp, token: &str, length: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/imports HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {length}\r\n\r\n--xyz\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("answered without waiting for the body")
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn templates_per_type() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let res = app
        .req(
            Method::GET,
            "/api/v1/imports/templates/people?format=csv",
            Some(tok),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("modele-people.csv")
    );
    let body = res.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "Excel-friendly BOM");
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("prenom;nom;email_personnel;telephone;fonction;organisation_nom;"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 3);
    // A filled template imports as is, with the mapping detected.
    let imp = upload(&app, tok, "people", "modele.csv", &body).await;
    assert!(
        imp["mapping"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| !m.is_null()),
        "{imp}"
    );
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "dry-run").await;
    assert_eq!(done["report"]["error_rows"], 0, "{done}");
    assert_eq!(done["report"]["created"], 2);

    let res = app
        .req(
            Method::GET,
            "/api/v1/imports/templates/organisations",
            Some(tok),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let rows = read_xlsx(&res.bytes().await.unwrap());
    assert_eq!(rows[0][0], "nom");
    assert_eq!(rows[1][0], "Banque Lumière Gestion");
    let imp = upload(
        &app,
        tok,
        "organisations",
        "modele.xlsx",
        &xlsx(
            &rows[0].iter().map(String::as_str).collect::<Vec<_>>(),
            &rows[1..]
                .iter()
                .map(|r| r.iter().map(String::as_str).collect())
                .collect::<Vec<_>>(),
        ),
    )
    .await;
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "dry-run").await;
    assert_eq!(done["report"]["error_rows"], 0, "{done}");
    let (status, _) = app.get("/api/v1/imports/templates/contrats", tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn permissions_and_ownership() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let team = app.create_team(&t, "Paris").await;
    let manager = app
        .create_user(&t, "chef@acme.test", "manager", Some(team))
        .await;
    let user = app
        .create_user(&t, "vendeur@acme.test", "user", Some(team))
        .await;
    let viewer = app
        .create_user(&t, "lecteur@acme.test", "viewer", None)
        .await;
    let csv = b"nom\nAlpha\n";
    for who in [&user, &viewer] {
        let (status, body) =
            upload_with(&app, &who.token, "organisations", "a.csv", csv, &[]).await;
        assert_problem(status, &body, 403, "forbidden");
        let (status, _) = app.get("/api/v1/imports", &who.token).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // The manager imports within the team's scope.
    let imp = upload(&app, &manager.token, "organisations", "a.csv", csv).await;
    let id = imp["id"].as_str().unwrap();
    // Not the admin's to run, but visible to them (import scope `all`).
    let (status, _) = app
        .get(&format!("/api/v1/imports/{id}"), &t.admin.token)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            &format!("/api/v1/imports/{id}/run"),
            Some(&t.admin.token),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let done = run(&app, &manager.token, id, "run").await;
    assert_eq!(done["status"], "completed", "{done}");
    let (_, list) = app.get("/api/v1/imports", &manager.token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // An owner outside the manager's team is refused for that row.
    let other = app
        .create_user(&t, "ailleurs@acme.test", "user", None)
        .await;
    let imp = upload(
        &app,
        &manager.token,
        "organisations",
        "b.csv",
        format!(
            "nom;proprietaire\nBeta;{}\nGamma;{}\n",
            other.email, user.email
        )
        .as_bytes(),
    )
    .await;
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/imports/{}", imp["id"].as_str().unwrap()),
            &manager.token,
            json!({"mode": "skip_errors"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let done = run(&app, &manager.token, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(
        done["report"]["errors"][0]["code"], "out_of_scope",
        "{done}"
    );
    assert_eq!(done["report"]["created"], 1);
    let (_, orgs) = app
        .get("/api/v1/organisations?q=Gamma", &t.admin.token)
        .await;
    assert_eq!(orgs["items"][0]["owner_id"], user.id.to_string());
    // A job is its starter's only.
    let (status, _) = app
        .get(
            &format!("/api/v1/jobs/{}", done["job_id"].as_str().unwrap()),
            &user.token,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn another_tenant_sees_no_import_job_or_report() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("rival").await;
    let imp = upload(
        &app,
        &a.admin.token,
        "organisations",
        "a.csv",
        b"nom;email\nAlpha;x\n",
    )
    .await;
    let id = imp["id"].as_str().unwrap();
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/imports/{id}"),
            &a.admin.token,
            json!({"mode": "skip_errors"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let done = run(&app, &a.admin.token, id, "run").await;
    assert_eq!(done["report"]["has_error_report"], true, "{done}");
    let job = done["job_id"].as_str().unwrap();
    let tok = &b.admin.token;
    for path in [
        format!("/api/v1/imports/{id}"),
        format!("/api/v1/imports/{id}/errors.xlsx"),
        format!("/api/v1/jobs/{job}"),
    ] {
        let (status, body) = app.get(&path, tok).await;
        assert_problem(status, &body, 404, "not_found");
    }
    for path in [
        format!("/api/v1/imports/{id}/run"),
        format!("/api/v1/imports/{id}/dry-run"),
        format!("/api/v1/jobs/{job}/cancel"),
    ] {
        let (status, body) = app.post(&path, Some(tok), json!({})).await;
        assert_problem(status, &body, 404, "not_found");
    }
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/imports/{id}"),
            tok,
            json!({"mode": "all_or_nothing"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&format!("/api/v1/imports/{id}"), tok).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/api/v1/imports", tok).await;
    assert_eq!(list["items"], json!([]));
    // Row-level security: B's transaction sees none of A's rows.
    assert_eq!(
        count(&app, b.id, "SELECT count(*) AS n FROM imports").await,
        0
    );
    assert_eq!(
        count(
            &app,
            b.id,
            &format!("SELECT count(*) AS n FROM jobs WHERE id = '{job}'")
        )
        .await,
        0
    );
    // Files live under the tenant's own directory.
    let root = std::env::temp_dir().join(format!("relais-test-{}", app.db_name));
    assert!(
        root.join(a.id.to_string())
            .join("imports")
            .join(id)
            .join("source")
            .exists()
    );
    assert!(
        root.join(a.id.to_string())
            .join("imports")
            .join(id)
            .join("errors.xlsx")
            .exists()
    );
    assert!(
        !root
            .join(b.id.to_string())
            .join("imports")
            .join(id)
            .exists()
    );
    // A's import still stands after B's attempts, and its owner can delete it and its files.
    let (status, _) = app
        .delete(&format!("/api/v1/imports/{id}"), &a.admin.token)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        !root
            .join(a.id.to_string())
            .join("imports")
            .join(id)
            .exists()
    );
    app.stop().await;
}

#[tokio::test]
async fn cancel_a_queued_and_a_running_import() {
    // No worker: the job stays queued, and cancelling it makes the import editable again.
    let app = spawn_app_with(|c| c.embedded_worker = false).await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let imp = upload(&app, tok, "organisations", "a.csv", b"nom\nAlpha\n").await;
    let id = imp["id"].as_str().unwrap();
    let (status, started) = app
        .post(&format!("/api/v1/imports/{id}/run"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(started["status"], "running");
    let (status, body) = app
        .patch_json(
            &format!("/api/v1/imports/{id}"),
            tok,
            json!({"mode": "skip_errors"}),
        )
        .await;
    assert_problem(status, &body, 409, "import_locked");
    let job = started["job_id"].as_str().unwrap();
    let (status, j) = app
        .post(&format!("/api/v1/jobs/{job}/cancel"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(j["status"], "cancelled");
    assert_eq!(j["cancel_requested"], true);
    let (_, imp) = app.get(&format!("/api/v1/imports/{id}"), tok).await;
    assert_eq!(imp["status"], "cancelled");
    assert_eq!(imp["committed"], false);
    app.stop().await;

    // A running import stops after its current batch; skip mode keeps what it wrote.
    let app = spawn_app_with(|c| c.api.imports.batch_rows = 20).await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let mut csv = String::from("nom;ville\n");
    for i in 0..6000 {
        csv.push_str(&format!("Société {i};Ville {i}\n"));
    }
    let imp = upload(&app, tok, "organisations", "long.csv", csv.as_bytes()).await;
    let id = imp["id"].as_str().unwrap();
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/imports/{id}"),
            tok,
            json!({"mode": "skip_errors", "upsert_key": "none"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, started) = app
        .post(&format!("/api/v1/imports/{id}/run"), Some(tok), json!({}))
        .await;
    let job = started["job_id"].as_str().unwrap().to_owned();
    // Wait until it has written something, then cancel.
    for _ in 0..200 {
        let (_, j) = app.get(&format!("/api/v1/jobs/{job}"), tok).await;
        if j["progress"]["done"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, _) = app
        .post(&format!("/api/v1/jobs/{job}/cancel"), Some(tok), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let j = wait_job(&app, tok, &job).await;
    assert_eq!(j["status"], "cancelled", "{j}");
    let (_, imp) = app.get(&format!("/api/v1/imports/{id}"), tok).await;
    assert_eq!(imp["status"], "cancelled");
    let r = &imp["report"];
    assert_eq!(r["cancelled"], true);
    let created = r["created"].as_u64().unwrap();
    assert!(created > 0 && created < 6000, "{r}");
    assert_eq!(org_count(&app, t.id).await, created as i64);
    assert_eq!(imp["committed"], true);
    app.stop().await;
}

async fn products_by_code(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/products?sort=code&limit=100", token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn products_import_by_code_and_update_on_a_second_run() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let other = app.create_tenant("rival").await;
    let tok = &t.admin.token;
    let csv = "Code ISIN;Libellé;Catégorie;Actif;Commentaire\n\
               FR0010135103;Carmignac Patrimoine;OPCVM;oui;Fonds flexible\n\
               scpi-pierre-1;Pierre Rendement;SCPI;;\n";
    let imp = upload(&app, tok, "products", "produits.csv", csv.as_bytes()).await;
    assert_eq!(imp["type"], "products");
    assert_eq!(
        imp["mapping"],
        json!(["code", "name", "category", "active", "notes"])
    );
    assert_eq!(imp["upsert_key"], "code", "products match by code");
    assert_eq!(imp["upsert_keys"], json!(["none", "code"]));
    let id = imp["id"].as_str().unwrap().to_owned();
    let done = run(&app, tok, &id, "run").await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["report"]["created"], 2, "{done}");
    let products = products_by_code(&app, tok).await;
    assert_eq!(products.len(), 2);
    assert_eq!(products[0]["code"], "FR0010135103");
    assert_eq!(products[0]["category"], "opcvm");
    assert_eq!(products[0]["notes"], "Fonds flexible");
    assert_eq!(
        products[1]["code"], "SCPI-PIERRE-1",
        "codes are upper-cased"
    );
    assert_eq!(products[1]["active"], true);
    // History says where the product came from.
    let pid = products[0]["id"].as_str().unwrap().to_owned();
    let (_, hist) = app
        .get(&format!("/api/v1/products/{pid}/history"), tok)
        .await;
    let created = &hist["items"][0];
    assert_eq!(created["type"], "product.created", "{hist}");
    assert_eq!(created["data"]["source"]["type"], "import");
    assert_eq!(created["data"]["source"]["file_name"], "produits.csv");
    assert_eq!(created["data"]["source"]["line"], 2);
    assert_eq!(created["data"]["source"]["import_id"], id.as_str());

    // The same codes again (any case): updates and unchanged rows, no duplicates.
    let csv = "code;nom;categorie\n\
               fr0010135103;Carmignac Patrimoine A EUR Acc;OPCVM\n\
               SCPI-PIERRE-1;Pierre Rendement;SCPI\n\
               ETF-MONDE;Tracker Monde;ETF\n";
    let imp = upload(&app, tok, "products", "produits-v2.csv", csv.as_bytes()).await;
    let done = run(&app, tok, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(
        counts(&done, &["created", "updated", "unchanged"]),
        [Some(1), Some(1), Some(1)],
        "{done}"
    );
    let products = products_by_code(&app, tok).await;
    assert_eq!(products.len(), 3, "no duplicate: {products:?}");
    assert_eq!(products[1]["id"], pid.as_str(), "the same product, updated");
    assert_eq!(products[1]["name"], "Carmignac Patrimoine A EUR Acc");
    assert_eq!(
        products[1]["notes"], "Fonds flexible",
        "empty cells keep values"
    );
    let (_, hist) = app
        .get(&format!("/api/v1/products/{pid}/history"), tok)
        .await;
    let updated = &hist["items"][0];
    assert_eq!(updated["type"], "product.updated", "{hist}");
    assert_eq!(updated["data"]["source"]["file_name"], "produits-v2.csv");

    // Bad rows are reported with their line; good ones are written in skip mode. Without the
    // `code` key, a code already taken is a bad row, not a duplicate.
    let csv =
        "code;nom\n;Sans code\nFR0010135104;ISIN faux\nOK-1;\nNEUF-1;Nouveau\nETF-MONDE;Encore\n";
    let imp = upload(&app, tok, "products", "mauvais.csv", csv.as_bytes()).await;
    let iid = imp["id"].as_str().unwrap();
    let (status, body) = app
        .patch_json(
            &format!("/api/v1/imports/{iid}"),
            tok,
            json!({"mode": "skip_errors", "upsert_key": "none"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let done = run(&app, tok, iid, "run").await;
    let r = &done["report"];
    assert_eq!(r["created"], 1, "{done}");
    assert_eq!(r["error_rows"], 4, "{done}");
    let errors: Vec<(u64, String, String)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap_or("").to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (2, "code".into(), "required".into()),
            (3, "code".into(), "invalid_isin".into()),
            (4, "name".into(), "required".into()),
            (6, "code".into(), "taken".into()),
        ],
        "{done}"
    );
    assert_eq!(products_by_code(&app, tok).await.len(), 4);

    // Keys belong to their kind: 422, nothing changed.
    let fresh = upload(&app, tok, "products", "p.csv", b"code;nom\nX-1;X\n").await;
    let iid = fresh["id"].as_str().unwrap();
    let (status, body) = app
        .patch_json(
            &format!("/api/v1/imports/{iid}"),
            tok,
            json!({"upsert_key": "email"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "upsert_key");
    assert_eq!(body["errors"][0]["code"], "invalid_choice");
    let orgs = upload(&app, tok, "organisations", "o.csv", b"nom\nAlpha\n").await;
    let (status, body) = app
        .patch_json(
            &format!("/api/v1/imports/{}", orgs["id"].as_str().unwrap()),
            tok,
            json!({"upsert_key": "code"}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "upsert_key");
    let (_, still) = app
        .get(
            &format!("/api/v1/imports/{}", orgs["id"].as_str().unwrap()),
            tok,
        )
        .await;
    assert_eq!(still["upsert_key"], "name");

    // Templates.
    let res = app
        .req(
            Method::GET,
            "/api/v1/imports/templates/products?format=csv",
            Some(tok),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(text.contains("code;nom;categorie;actif;notes"), "{text}");
    let res = app
        .req(
            Method::GET,
            "/api/v1/imports/templates/products?format=xlsx",
            Some(tok),
        )
        .send()
        .await
        .unwrap();
    let rows = read_xlsx(&res.bytes().await.unwrap());
    assert_eq!(rows[0][..2], ["code", "nom"]);
    assert_eq!(rows.len(), 3);

    // Another firm sees none of it, and its own import of the same codes creates its own.
    assert!(products_by_code(&app, &other.admin.token).await.is_empty());
    let (status, body) = app
        .get(&format!("/api/v1/imports/{id}"), &other.admin.token)
        .await;
    assert_problem(status, &body, 404, "not_found");
    let imp = upload(
        &app,
        &other.admin.token,
        "products",
        "p.csv",
        b"code;nom\nFR0010135103;Chez nous\n",
    )
    .await;
    let done = run(&app, &other.admin.token, imp["id"].as_str().unwrap(), "run").await;
    assert_eq!(done["report"]["created"], 1, "{done}");
    assert_eq!(
        products_by_code(&app, tok).await[1]["name"],
        "Carmignac Patrimoine A EUR Acc"
    );
    // Importing products takes the products import permission (managers do not have it).
    let manager = app.create_user(&t, "chef@acme.test", "manager", None).await;
    let (status, body) = upload_with(
        &app,
        &manager.token,
        "products",
        "p.csv",
        b"code;nom\nX-1;X\n",
        &[],
    )
    .await;
    assert_problem(status, &body, 403, "forbidden");
    app.stop().await;
}
