//! Exports (SPEC EXP-1): any list the caller can read — organisations, people, mandates,
//! tasks, interactions — with the same filters and sort as the list itself, as CSV (UTF-8
//! with BOM for Excel, `,` or `;`), XLSX (a data sheet with a bold frozen header and set
//! widths, and a statistics sheet with a chart) or a PDF report (title, filters, summary,
//! table, page numbers).
//!
//! Exports need both the `read` and the `export` permission on the resource and show only the
//! records within the narrower of the two scopes. Rows are read in keyset pages: a CSV is
//! streamed to the client as the pages come; an XLSX is written in constant-memory mode to a
//! temporary file, then streamed; a PDF holds at most `RELAIS_EXPORT_PDF_MAX_ROWS` rows.
//! Text that a spreadsheet would run as a formula is neutralised in CSV (`'=…`); XLSX cells
//! are text cells, never formulas.

use crate::{
    ApiResult, AppState,
    auth::{Auth, Principal},
    error::ApiError,
    files,
    records::visibility,
    routes::{interactions, mandates, organisations, people, tasks},
};
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::{DateTime, Utc};
use relais_domain::{Action, Resource, crm::PipelineStage};
use relais_sheets::{self as sheets, CellValue, Column, ColumnKind, SheetError, SheetLabels};
use relais_store::{
    ConnectionTrait, Db, TenantTx,
    interactions::{self as istore, InteractionFilter},
    mandates::{self as mstore, MandateFilter},
    organisations::{self as ostore, OrgFilter, Visibility},
    people::{self as pstore, PersonFilter},
    sql::SortKey,
    tasks::{self as tstore, TaskFilter},
    users::{User, UserFilter},
};
use relais_types::Problem;
use sea_orm::{DbBackend, FromQueryResult, QueryResult, Statement};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::IntoParams;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/exports/organisations").route(web::get().to(export_organisations)));
    cfg.service(web::resource("/exports/people").route(web::get().to(export_people)));
    cfg.service(web::resource("/exports/mandates").route(web::get().to(export_mandates)));
    cfg.service(web::resource("/exports/tasks").route(web::get().to(export_tasks)));
    cfg.service(web::resource("/exports/interactions").route(web::get().to(export_interactions)));
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default), `xlsx` or `pdf`.
    pub format: Option<String>,
    /// CSV only: `comma` (default) or `semicolon` (what Excel expects in French).
    pub delimiter: Option<String>,
}

/// Rows read per page.
const PAGE: u64 = 2_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fmt {
    Csv(u8),
    Xlsx,
    Pdf,
}

fn format_of(q: &ExportQuery) -> ApiResult<Fmt> {
    let delimiter = match q.delimiter.as_deref().unwrap_or("comma") {
        "comma" | "," => b',',
        "semicolon" | ";" => b';',
        _ => {
            return Err(ApiError::field(
                "delimiter",
                "invalid_choice",
                "comma or semicolon",
            ));
        }
    };
    match q.format.as_deref().unwrap_or("csv") {
        "csv" => Ok(Fmt::Csv(delimiter)),
        "xlsx" => Ok(Fmt::Xlsx),
        "pdf" => Ok(Fmt::Pdf),
        _ => Err(ApiError::field(
            "format",
            "invalid_choice",
            "csv, xlsx or pdf",
        )),
    }
}

/// The filter of one resource's list.
#[derive(Clone)]
enum Filter {
    Organisations(OrgFilter),
    People(PersonFilter),
    Mandates(MandateFilter),
    Tasks(TaskFilter),
    Interactions(InteractionFilter),
}

/// One exported row: its cells and its statistics group.
struct Line {
    cells: Vec<CellValue>,
    group: String,
}

/// Everything an export needs, gathered before the first byte is sent.
#[derive(Clone)]
struct Plan {
    db: Db,
    tenant: Uuid,
    vis: Visibility,
    filter: Filter,
    sort: Vec<SortKey>,
    fr: bool,
    columns: Vec<Column>,
    /// Statistics groups in their natural order (others follow as met).
    groups: Vec<String>,
    title: String,
    stem: &'static str,
    group_header: String,
    chart_title: String,
    users: std::sync::Arc<HashMap<Uuid, String>>,
    max_rows: u64,
}

fn from_rows<T: FromQueryResult>(rows: &[QueryResult]) -> Result<Vec<T>, ApiError> {
    rows.iter()
        .map(|r| T::from_query_result(r, "").map_err(ApiError::from))
        .collect()
}

fn tr(fr: bool, f: &str, e: &str) -> String {
    if fr { f } else { e }.to_owned()
}

fn when(t: Option<DateTime<Utc>>) -> CellValue {
    t.map_or(CellValue::Empty, |t| CellValue::DateTime(t.timestamp()))
}

fn amount(a: Option<f64>) -> CellValue {
    a.map_or(CellValue::Empty, CellValue::Number)
}

fn stage_label(fr: bool, code: &str) -> String {
    let (f, e) = match code {
        "prospect" => ("Prospect", "Prospect"),
        "qualification" => ("Qualification", "Qualification"),
        "proposition" => ("Proposition", "Proposition"),
        "signed" => ("Signé", "Signed"),
        "lost" => ("Perdu", "Lost"),
        other => (other, other),
    };
    tr(fr, f, e)
}

fn code_label(fr: bool, code: &str) -> String {
    let (f, e) = match code {
        "investor" => ("Investisseur", "Investor"),
        "supplier" => ("Fournisseur", "Supplier"),
        "distributor" => ("Distributeur", "Distributor"),
        "issuer" => ("Émetteur", "Issuer"),
        "draft" => ("Brouillon", "Draft"),
        "proposed" => ("Proposé", "Proposed"),
        "signed" => ("Signé", "Signed"),
        "active" => ("Actif", "Active"),
        "terminated" => ("Résilié", "Terminated"),
        "todo" => ("À faire", "To do"),
        "in_progress" => ("En cours", "In progress"),
        "done" => ("Terminée", "Done"),
        "cancelled" => ("Annulée", "Cancelled"),
        "low" => ("Basse", "Low"),
        "normal" => ("Normale", "Normal"),
        "high" => ("Haute", "High"),
        "urgent" => ("Urgente", "Urgent"),
        "call" => ("Appel", "Call"),
        "meeting" => ("Rendez-vous", "Meeting"),
        "email" => ("E-mail", "Email"),
        "note" => ("Note", "Note"),
        "organisation" => ("Organisation", "Organisation"),
        "person" => ("Personne", "Person"),
        "mandate" => ("Mandat", "Mandate"),
        other => (other, other),
    };
    tr(fr, f, e)
}

fn col(fr: bool, f: &str, e: &str, width: f64, kind: ColumnKind) -> Column {
    Column::new(tr(fr, f, e), width, kind)
}

impl Plan {
    fn user(&self, id: Option<Uuid>) -> CellValue {
        CellValue::opt_text(id.and_then(|i| self.users.get(&i).cloned()))
    }

    /// One cursor name per kind of record: connections cache the prepared `FETCH` with the
    /// columns of its first answer, which must stay those of the same table.
    fn cursor_name(&self) -> &'static str {
        match &self.filter {
            Filter::Organisations(_) => "relais_export_organisations",
            Filter::People(_) => "relais_export_people",
            Filter::Mandates(_) => "relais_export_mandates",
            Filter::Tasks(_) => "relais_export_tasks",
            Filter::Interactions(_) => "relais_export_interactions",
        }
    }

    /// Open a transaction with the export's cursor declared in it: the whole list is read in
    /// one scan under one snapshot, `PAGE` rows at a time with [`Plan::page`].
    async fn open(&self) -> Result<TenantTx, ApiError> {
        let tx = self
            .db
            .tenant_tx(relais_domain::TenantId(self.tenant))
            .await?;
        let query = match &self.filter {
            Filter::Organisations(f) => {
                ostore::export_statement(self.tenant, self.vis, f, &self.sort)
            }
            Filter::People(f) => pstore::export_statement(self.tenant, self.vis, f, &self.sort),
            Filter::Mandates(f) => mstore::export_statement(self.tenant, self.vis, f, &self.sort),
            Filter::Tasks(f) => tstore::export_statement(self.tenant, self.vis, f, &self.sort),
            Filter::Interactions(f) => {
                istore::export_statement(self.tenant, self.vis, f, &self.sort)
            }
        };
        let declare = Statement {
            sql: format!(
                "DECLARE {} NO SCROLL CURSOR FOR {}",
                self.cursor_name(),
                query.sql
            ),
            ..query
        };
        tx.execute_raw(declare).await?;
        Ok(tx)
    }

    /// The next rows of the cursor opened by [`Plan::open`] (fewer than `PAGE` at the end).
    async fn page(&self, tx: &TenantTx) -> Result<Vec<Line>, ApiError> {
        let rows = tx
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("FETCH {PAGE} FROM {}", self.cursor_name()),
            ))
            .await?;
        let fr = self.fr;
        let lines = match &self.filter {
            Filter::Organisations(_) => from_rows::<ostore::Organisation>(&rows)?
                .into_iter()
                .map(|o| Line {
                    group: stage_label(fr, &o.pipeline_stage),
                    cells: vec![
                        CellValue::text(o.name),
                        CellValue::text(code_label(fr, &o.org_type)),
                        CellValue::opt_text(o.category),
                        CellValue::text(stage_label(fr, &o.pipeline_stage)),
                        CellValue::opt_text(o.email),
                        CellValue::opt_text(o.phone),
                        CellValue::opt_text(o.website),
                        CellValue::opt_text(o.address),
                        CellValue::opt_text(o.city),
                        CellValue::opt_text(o.postcode),
                        CellValue::opt_text(o.country),
                        self.user(o.owner_id),
                        CellValue::Bool(o.active),
                        amount(o.expected_amount),
                        CellValue::text(o.tags.join(", ")),
                        when(o.last_contact_at),
                        when(Some(o.created_at)),
                        when(Some(o.updated_at)),
                    ],
                })
                .collect(),
            Filter::People(_) => from_rows::<pstore::Person>(&rows)?
                .into_iter()
                .map(|p| Line {
                    group: if p.active {
                        tr(fr, "Actives", "Active")
                    } else {
                        tr(fr, "Inactives", "Inactive")
                    },
                    cells: vec![
                        CellValue::opt_text(p.first_name),
                        CellValue::text(p.last_name),
                        CellValue::opt_text(p.email),
                        CellValue::opt_text(p.phone),
                        CellValue::opt_text(p.job_title),
                        self.user(p.owner_id),
                        CellValue::Bool(p.active),
                        CellValue::text(p.tags.join(", ")),
                        when(p.last_contact_at),
                        when(Some(p.created_at)),
                        when(Some(p.updated_at)),
                    ],
                })
                .collect(),
            Filter::Mandates(_) => {
                let rows = from_rows::<mstore::Mandate>(&rows)?;
                let ids: Vec<Uuid> = rows.iter().map(|m| m.organisation_id).collect();
                let names: HashMap<Uuid, String> = ostore::find_many(&**tx, self.tenant, &ids)
                    .await?
                    .into_iter()
                    .map(|o| (o.id, o.name))
                    .collect();
                rows.into_iter()
                    .map(|m| Line {
                        group: code_label(fr, &m.status),
                        cells: vec![
                            CellValue::text(m.number),
                            CellValue::opt_text(names.get(&m.organisation_id).cloned()),
                            CellValue::text(code_label(fr, &m.status)),
                            when(m.signed_at),
                            CellValue::opt_text(m.start_date.map(|d| d.to_string())),
                            CellValue::opt_text(m.end_date.map(|d| d.to_string())),
                            amount(m.amount),
                            self.user(m.owner_id),
                            CellValue::opt_text(m.notes),
                            when(Some(m.created_at)),
                            when(Some(m.updated_at)),
                        ],
                    })
                    .collect()
            }
            Filter::Tasks(_) => from_rows::<tstore::Task>(&rows)?
                .into_iter()
                .map(|t| Line {
                    group: code_label(fr, &t.status),
                    cells: vec![
                        CellValue::text(t.title),
                        CellValue::text(code_label(fr, &t.status)),
                        CellValue::text(code_label(fr, &t.priority)),
                        when(t.due_at),
                        CellValue::Bool(t.overdue),
                        self.user(t.assignee_id),
                        CellValue::opt_text(t.record_type.as_deref().map(|r| code_label(fr, r))),
                        when(t.completed_at),
                        CellValue::opt_text(t.description),
                        when(Some(t.created_at)),
                    ],
                })
                .collect(),
            Filter::Interactions(_) => {
                let rows = from_rows::<istore::Interaction>(&rows)?;
                let org_ids: Vec<Uuid> = rows.iter().filter_map(|i| i.organisation_id).collect();
                let person_ids: Vec<Uuid> = rows.iter().filter_map(|i| i.person_id).collect();
                let orgs: HashMap<Uuid, String> = ostore::find_many(&**tx, self.tenant, &org_ids)
                    .await?
                    .into_iter()
                    .map(|o| (o.id, o.name))
                    .collect();
                let people: HashMap<Uuid, String> =
                    pstore::find_many(&**tx, self.tenant, &person_ids)
                        .await?
                        .into_iter()
                        .map(|p| {
                            (
                                p.id,
                                relais_domain::people::full_name(
                                    p.first_name.as_deref(),
                                    &p.last_name,
                                ),
                            )
                        })
                        .collect();
                rows.into_iter()
                    .map(|i| Line {
                        group: code_label(fr, &i.kind),
                        cells: vec![
                            when(Some(i.occurred_at)),
                            CellValue::text(code_label(fr, &i.kind)),
                            CellValue::text(i.summary),
                            CellValue::opt_text(
                                i.organisation_id.and_then(|o| orgs.get(&o).cloned()),
                            ),
                            CellValue::opt_text(i.person_id.and_then(|p| people.get(&p).cloned())),
                            self.user(Some(i.author_id)),
                            when(Some(i.created_at)),
                        ],
                    })
                    .collect()
            }
        };
        Ok(lines)
    }

    fn labels(&self) -> SheetLabels {
        let fr = self.fr;
        SheetLabels {
            data_sheet: tr(fr, "Données", "Data"),
            stats_sheet: tr(fr, "Statistiques", "Statistics"),
            group_header: self.group_header.clone(),
            count_header: tr(fr, "Nombre", "Count"),
            chart_title: self.chart_title.clone(),
            yes: tr(fr, "oui", "yes"),
            no: tr(fr, "non", "no"),
        }
    }

    fn file_name(&self, ext: &str) -> String {
        format!("{}-{}.{ext}", self.stem, Utc::now().format("%Y-%m-%d"))
    }

    fn stats(&self, counts: &HashMap<String, u64>) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = self
            .groups
            .iter()
            .map(|g| (g.clone(), counts.get(g).copied().unwrap_or(0) as f64))
            .collect();
        let mut others: Vec<_> = counts
            .iter()
            .filter(|(g, _)| !self.groups.contains(g))
            .collect();
        others.sort();
        out.extend(others.into_iter().map(|(g, n)| (g.clone(), *n as f64)));
        out
    }
}

/// The narrower of the read and export scopes, or 403.
fn scope_for(p: &Principal, res: Resource) -> ApiResult<Visibility> {
    let read = p.require(res, Action::Read)?;
    let export = p.require(res, Action::Export)?;
    Ok(visibility(p, read.min(export)))
}

async fn users_of(state: &AppState, p: &Principal) -> ApiResult<HashMap<Uuid, String>> {
    let tx = state.db.tenant_tx(p.tenant).await?;
    let mut out = HashMap::new();
    let mut after = None;
    loop {
        let page = User::list(&*tx, p.tenant_uuid(), &UserFilter::default(), after, 500).await?;
        let n = page.len();
        after = page.last().map(|u| u.id);
        // Emails, not names: unambiguous, and what an import maps back to an owner.
        out.extend(page.into_iter().map(|u| (u.id, u.email)));
        if n < 500 {
            break;
        }
    }
    tx.commit().await?;
    Ok(out)
}

fn bad_sort(f: String) -> ApiError {
    ApiError::field("sort", "invalid_sort", format!("cannot sort by {f:?}"))
}

/// What the PDF lists as "filters used": the query parameters other than the export's own.
fn filters_used(req: &HttpRequest) -> Vec<String> {
    let pairs: Vec<(String, String)> =
        web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map(|q| q.into_inner())
            .unwrap_or_default();
    pairs
        .into_iter()
        .filter(|(k, v)| {
            !v.is_empty()
                && !matches!(
                    k.as_str(),
                    "format" | "delimiter" | "limit" | "cursor" | "count"
                )
        })
        .map(|(k, v)| format!("{k} : {v}"))
        .collect()
}

async fn run(
    state: &AppState,
    p: &Principal,
    req: &HttpRequest,
    fmt: Fmt,
    plan: Plan,
) -> ApiResult<HttpResponse> {
    match fmt {
        Fmt::Csv(delimiter) => csv_response(plan, delimiter).await,
        Fmt::Xlsx => xlsx_response(state, plan).await,
        Fmt::Pdf => pdf_response(state, p, req, plan).await,
    }
}

fn sheet_err(e: SheetError) -> ApiError {
    ApiError::internal(e.message)
}

/// Stream the CSV page by page: the client sees the first rows while later ones are read.
async fn csv_response(plan: Plan, delimiter: u8) -> ApiResult<HttpResponse> {
    let cursor = plan.open().await?;
    let first = plan.page(&cursor).await?;
    let name = plan.file_name("csv");
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let encode = |lines: &[Line], head: bool| -> Result<web::Bytes, SheetError> {
            let mut w = sheets::CsvOut::new(Vec::new(), delimiter, head)?;
            if head {
                w.text_row(plan.columns.iter().map(|c| c.title.as_str()))?;
            }
            for l in lines {
                w.row(&l.cells)?;
            }
            Ok(web::Bytes::from(w.into_inner()?))
        };
        let mut lines = first;
        let mut head = true;
        let mut sent: u64 = 0;
        loop {
            let keep = (plan.max_rows.saturating_sub(sent) as usize).min(lines.len());
            let more = lines.len() as u64 == PAGE && keep == lines.len();
            let chunk = match encode(&lines[..keep], head) {
                Ok(b) => b,
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e.message))).await;
                    return;
                }
            };
            head = false;
            sent += keep as u64;
            if tx.send(Ok(chunk)).await.is_err() || !more {
                // Read only: ending the transaction either way is fine.
                let _ = cursor.commit().await;
                return;
            }
            lines = match plan.page(&cursor).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!(error = %e, "export page failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, files::CSV))
        .insert_header(files::attachment(&name))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body))
}

/// Write the workbook page by page on the blocking pool (rows go to temporary files as they
/// come), then stream it.
async fn xlsx_response(state: &AppState, plan: Plan) -> ApiResult<HttpResponse> {
    let tmp = state.cfg.data_dir.join("tmp");
    tokio::fs::create_dir_all(&tmp)
        .await
        .map_err(ApiError::internal)?;
    let out = tmp.join(format!("export-{}.xlsx", Uuid::now_v7()));
    let mut report = {
        let (columns, labels, tmp) = (plan.columns.clone(), plan.labels(), tmp.clone());
        web::block(move || sheets::XlsxReport::new(columns, labels, &tmp))
            .await
            .map_err(ApiError::internal)?
            .map_err(sheet_err)?
    };
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut sent: u64 = 0;
    let cursor = plan.open().await?;
    loop {
        let lines = plan.page(&cursor).await?;
        let keep = (plan.max_rows.saturating_sub(sent) as usize).min(lines.len());
        let more = lines.len() as u64 == PAGE && keep == lines.len();
        for l in &lines[..keep] {
            *counts.entry(l.group.clone()).or_default() += 1;
        }
        sent += keep as u64;
        report = web::block(move || -> Result<_, SheetError> {
            for l in &lines[..keep] {
                report.push(&l.cells)?;
            }
            Ok(report)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e.code {
            "too_many_rows" => ApiError::field("format", e.code, e.message),
            _ => sheet_err(e),
        })?;
        if !more {
            break;
        }
    }
    cursor.commit().await?;
    let stats = plan.stats(&counts);
    let path = out.clone();
    web::block(move || report.finish(&stats, &path))
        .await
        .map_err(ApiError::internal)?
        .map_err(sheet_err)?;
    files::download(out, files::XLSX, &plan.file_name("xlsx"), true).await
}

async fn pdf_response(
    state: &AppState,
    p: &Principal,
    req: &HttpRequest,
    plan: Plan,
) -> ApiResult<HttpResponse> {
    let cap = state.cfg.imports.pdf_max_rows;
    let fr = plan.fr;
    let (yes, no) = (tr(fr, "oui", "yes"), tr(fr, "non", "no"));
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut total: u64 = 0;
    let cursor = plan.open().await?;
    loop {
        let lines = plan.page(&cursor).await?;
        let more = lines.len() as u64 == PAGE;
        for l in lines {
            total += 1;
            *counts.entry(l.group).or_default() += 1;
            if rows.len() < cap {
                rows.push(l.cells.iter().map(|c| c.display(&yes, &no)).collect());
            }
        }
        if !more || total >= plan.max_rows {
            break;
        }
    }
    cursor.commit().await?;
    let filters = filters_used(req);
    let mut summary = vec![(tr(fr, "Total", "Total"), total.to_string())];
    summary.extend(
        plan.stats(&counts)
            .into_iter()
            .map(|(g, n)| (g, (n as u64).to_string())),
    );
    let shown = rows.len() as u64;
    let report = sheets::pdf::Report {
        title: plan.title.clone(),
        subtitle: format!(
            "{} · {} {} · {}",
            p.user.tenant_name,
            tr(fr, "exporté le", "exported on"),
            Utc::now().format("%Y-%m-%d %H:%M UTC"),
            p.user.full_name
        ),
        filters_title: tr(fr, "Filtres", "Filters"),
        filters: if filters.is_empty() {
            vec![tr(fr, "aucun : toute la liste", "none: the whole list")]
        } else {
            filters
        },
        summary_title: tr(fr, "Résumé", "Summary"),
        summary,
        columns: plan
            .columns
            .iter()
            .map(|c| (c.title.clone(), c.width as f32))
            .collect(),
        rows,
        note: (shown < total).then(|| {
            if fr {
                format!("{shown} premières lignes sur {total} ; exportez en CSV ou XLSX pour tout avoir.")
            } else {
                format!("First {shown} rows of {total}; export as CSV or XLSX for all of them.")
            }
        }),
        page_label: tr(fr, "Page {page} / {pages}", "Page {page} of {pages}"),
    };
    let bytes = web::block(move || report.render())
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, files::PDF))
        .insert_header(files::attachment(&plan.file_name("pdf")))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

async fn base_plan(
    state: &AppState,
    p: &Principal,
    res: Resource,
    filter: Filter,
    sort: Vec<SortKey>,
) -> ApiResult<Plan> {
    let vis = scope_for(p, res)?;
    let fr = p.user.locale != "en";
    Ok(Plan {
        db: state.db.clone(),
        tenant: p.tenant_uuid(),
        vis,
        filter,
        sort,
        fr,
        columns: Vec::new(),
        groups: Vec::new(),
        title: String::new(),
        stem: "",
        group_header: String::new(),
        chart_title: String::new(),
        users: std::sync::Arc::new(users_of(state, p).await?),
        max_rows: state.cfg.imports.export_max_rows,
    })
}

/// Export organisations: the same filters and sort as `GET /api/v1/organisations` (`limit`
/// and `cursor` are ignored: every matching row is exported). The statistics sheet counts
/// organisations per pipeline stage.
#[utoipa::path(get, path = "/api/v1/exports/organisations", tag = "exports",
    operation_id = "v1.export.organisations", security(("bearer" = [])),
    params(ExportQuery, organisations::OrgQuery),
    responses(
        (status = 200, description = "The file (CSV streamed as it is read)", content_type = "text/csv"),
        (status = 403, description = "No read or export permission", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid format, filter or sort", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn export_organisations(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    export: web::Query<ExportQuery>,
    query: web::Query<organisations::OrgQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let fmt = format_of(&export)?;
    let q = query.into_inner();
    let sort = ostore::parse_sort(q.sort.as_deref().unwrap_or("name")).map_err(bad_sort)?;
    let filter = organisations::list_filter(&p, &q, false)?;
    let mut plan = base_plan(
        &state,
        &p,
        Resource::Organisations,
        Filter::Organisations(filter),
        sort,
    )
    .await?;
    let fr = plan.fr;
    use ColumnKind::*;
    plan.columns = vec![
        col(fr, "Nom", "Name", 32.0, Text),
        col(fr, "Type", "Type", 14.0, Text),
        col(fr, "Catégorie", "Category", 14.0, Text),
        col(fr, "Étape", "Stage", 14.0, Text),
        col(fr, "E-mail", "Email", 28.0, Text),
        col(fr, "Téléphone", "Phone", 18.0, Text),
        col(fr, "Site web", "Website", 26.0, Text),
        col(fr, "Adresse", "Address", 28.0, Text),
        col(fr, "Ville", "City", 16.0, Text),
        col(fr, "Code postal", "Postcode", 11.0, Text),
        col(fr, "Pays", "Country", 7.0, Text),
        col(fr, "Propriétaire", "Owner", 26.0, Text),
        col(fr, "Actif", "Active", 7.0, Bool),
        col(fr, "Montant attendu", "Expected amount", 16.0, Amount),
        col(fr, "Étiquettes", "Tags", 22.0, Text),
        col(fr, "Dernier contact", "Last contact", 17.0, DateTime),
        col(fr, "Créée le", "Created", 17.0, DateTime),
        col(fr, "Modifiée le", "Updated", 17.0, DateTime),
    ];
    plan.groups = PipelineStage::ALL
        .iter()
        .map(|s| stage_label(fr, s.code()))
        .collect();
    plan.title = tr(fr, "Organisations", "Organisations");
    plan.stem = "organisations";
    plan.group_header = tr(fr, "Étape du pipeline", "Pipeline stage");
    plan.chart_title = tr(fr, "Organisations par étape", "Organisations per stage");
    run(&state, &p, &req, fmt, plan).await
}

/// Export people, with the filters and sort of `GET /api/v1/people`.
#[utoipa::path(get, path = "/api/v1/exports/people", tag = "exports",
    operation_id = "v1.export.people", security(("bearer" = [])),
    params(ExportQuery, people::PersonQuery),
    responses(
        (status = 200, description = "The file (CSV streamed as it is read)", content_type = "text/csv"),
        (status = 403, description = "No read or export permission", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid format, filter or sort", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn export_people(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    export: web::Query<ExportQuery>,
    query: web::Query<people::PersonQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let fmt = format_of(&export)?;
    let q = query.into_inner();
    let sort = pstore::parse_sort(q.sort.as_deref().unwrap_or("last_name")).map_err(bad_sort)?;
    let filter = people::list_filter(&p, &q, false)?;
    let mut plan = base_plan(&state, &p, Resource::People, Filter::People(filter), sort).await?;
    let fr = plan.fr;
    use ColumnKind::*;
    plan.columns = vec![
        col(fr, "Prénom", "First name", 16.0, Text),
        col(fr, "Nom", "Last name", 20.0, Text),
        col(fr, "E-mail", "Email", 30.0, Text),
        col(fr, "Téléphone", "Phone", 18.0, Text),
        col(fr, "Fonction", "Job title", 26.0, Text),
        col(fr, "Propriétaire", "Owner", 26.0, Text),
        col(fr, "Actif", "Active", 7.0, Bool),
        col(fr, "Étiquettes", "Tags", 20.0, Text),
        col(fr, "Dernier contact", "Last contact", 17.0, DateTime),
        col(fr, "Créée le", "Created", 17.0, DateTime),
        col(fr, "Modifiée le", "Updated", 17.0, DateTime),
    ];
    plan.groups = vec![tr(fr, "Actives", "Active"), tr(fr, "Inactives", "Inactive")];
    plan.title = tr(fr, "Contacts", "People");
    plan.stem = "contacts";
    plan.group_header = tr(fr, "Statut", "Status");
    plan.chart_title = tr(
        fr,
        "Contacts actifs et inactifs",
        "Active and inactive people",
    );
    run(&state, &p, &req, fmt, plan).await
}

/// Export mandates, with the filters and sort of `GET /api/v1/mandates`.
#[utoipa::path(get, path = "/api/v1/exports/mandates", tag = "exports",
    operation_id = "v1.export.mandates", security(("bearer" = [])),
    params(ExportQuery, mandates::MandateQuery),
    responses(
        (status = 200, description = "The file (CSV streamed as it is read)", content_type = "text/csv"),
        (status = 403, description = "No read or export permission", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid format, filter or sort", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn export_mandates(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    export: web::Query<ExportQuery>,
    query: web::Query<mandates::MandateQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let fmt = format_of(&export)?;
    let q = query.into_inner();
    let sort = mstore::parse_sort(q.sort.as_deref().unwrap_or("-created_at")).map_err(bad_sort)?;
    let filter = mandates::list_filter(&p, &q, false)?;
    let mut plan = base_plan(
        &state,
        &p,
        Resource::Mandates,
        Filter::Mandates(filter),
        sort,
    )
    .await?;
    let fr = plan.fr;
    use ColumnKind::*;
    plan.columns = vec![
        col(fr, "Numéro", "Number", 14.0, Text),
        col(fr, "Organisation", "Organisation", 30.0, Text),
        col(fr, "Statut", "Status", 12.0, Text),
        col(fr, "Signé le", "Signed", 17.0, DateTime),
        col(fr, "Début", "Start", 12.0, Text),
        col(fr, "Fin", "End", 12.0, Text),
        col(fr, "Montant", "Amount", 16.0, Amount),
        col(fr, "Propriétaire", "Owner", 26.0, Text),
        col(fr, "Notes", "Notes", 30.0, Text),
        col(fr, "Créé le", "Created", 17.0, DateTime),
        col(fr, "Modifié le", "Updated", 17.0, DateTime),
    ];
    plan.groups = ["draft", "proposed", "signed", "active", "terminated"]
        .iter()
        .map(|s| code_label(fr, s))
        .collect();
    plan.title = tr(fr, "Mandats", "Mandates");
    plan.stem = "mandats";
    plan.group_header = tr(fr, "Statut", "Status");
    plan.chart_title = tr(fr, "Mandats par statut", "Mandates per status");
    run(&state, &p, &req, fmt, plan).await
}

/// Export tasks, with the filters and sort of `GET /api/v1/tasks`.
#[utoipa::path(get, path = "/api/v1/exports/tasks", tag = "exports",
    operation_id = "v1.export.tasks", security(("bearer" = [])),
    params(ExportQuery, tasks::TaskQuery),
    responses(
        (status = 200, description = "The file (CSV streamed as it is read)", content_type = "text/csv"),
        (status = 403, description = "No read or export permission", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid format, filter or sort", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn export_tasks(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    export: web::Query<ExportQuery>,
    query: web::Query<tasks::TaskQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let fmt = format_of(&export)?;
    let q = query.into_inner();
    let sort = tstore::parse_sort(q.sort.as_deref().unwrap_or("due_at")).map_err(bad_sort)?;
    let filter = tasks::list_filter(&p, &q, false, None)?;
    let mut plan = base_plan(&state, &p, Resource::Tasks, Filter::Tasks(filter), sort).await?;
    let fr = plan.fr;
    use ColumnKind::*;
    plan.columns = vec![
        col(fr, "Titre", "Title", 32.0, Text),
        col(fr, "Statut", "Status", 12.0, Text),
        col(fr, "Priorité", "Priority", 10.0, Text),
        col(fr, "Échéance", "Due", 17.0, DateTime),
        col(fr, "En retard", "Overdue", 9.0, Bool),
        col(fr, "Assignée à", "Assignee", 26.0, Text),
        col(fr, "Liée à", "Linked to", 14.0, Text),
        col(fr, "Terminée le", "Completed", 17.0, DateTime),
        col(fr, "Description", "Description", 36.0, Text),
        col(fr, "Créée le", "Created", 17.0, DateTime),
    ];
    plan.groups = ["todo", "in_progress", "done", "cancelled"]
        .iter()
        .map(|s| code_label(fr, s))
        .collect();
    plan.title = tr(fr, "Tâches", "Tasks");
    plan.stem = "taches";
    plan.group_header = tr(fr, "Statut", "Status");
    plan.chart_title = tr(fr, "Tâches par statut", "Tasks per status");
    run(&state, &p, &req, fmt, plan).await
}

/// Export interactions, with the filters and sort of `GET /api/v1/interactions`.
#[utoipa::path(get, path = "/api/v1/exports/interactions", tag = "exports",
    operation_id = "v1.export.interactions", security(("bearer" = [])),
    params(ExportQuery, interactions::InteractionQuery),
    responses(
        (status = 200, description = "The file (CSV streamed as it is read)", content_type = "text/csv"),
        (status = 403, description = "No read or export permission", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid format, filter or sort", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn export_interactions(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    export: web::Query<ExportQuery>,
    query: web::Query<interactions::InteractionQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let fmt = format_of(&export)?;
    let q = query.into_inner();
    let sort = istore::parse_sort(q.sort.as_deref().unwrap_or("-occurred_at")).map_err(bad_sort)?;
    let filter = interactions::list_filter(&p, &q, false, None)?;
    let mut plan = base_plan(
        &state,
        &p,
        Resource::Interactions,
        Filter::Interactions(filter),
        sort,
    )
    .await?;
    let fr = plan.fr;
    use ColumnKind::*;
    plan.columns = vec![
        col(fr, "Date", "Date", 17.0, DateTime),
        col(fr, "Type", "Kind", 12.0, Text),
        col(fr, "Résumé", "Summary", 44.0, Text),
        col(fr, "Organisation", "Organisation", 28.0, Text),
        col(fr, "Personne", "Person", 22.0, Text),
        col(fr, "Auteur", "Author", 26.0, Text),
        col(fr, "Créée le", "Created", 17.0, DateTime),
    ];
    plan.groups = ["call", "meeting", "email", "note"]
        .iter()
        .map(|s| code_label(fr, s))
        .collect();
    plan.title = tr(fr, "Interactions", "Interactions");
    plan.stem = "interactions";
    plan.group_header = tr(fr, "Type", "Kind");
    plan.chart_title = tr(fr, "Interactions par type", "Interactions per kind");
    run(&state, &p, &req, fmt, plan).await
}
