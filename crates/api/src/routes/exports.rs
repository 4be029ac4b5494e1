//! Exports (SPEC EXP-1): any list the caller can read — organisations, people, mandates,
//! tasks, interactions — with the same filters and sort as the list itself, as CSV (UTF-8
//! with BOM for Excel, `,` or `;`), XLSX (a data sheet with a bold frozen header and set
//! widths, and a statistics sheet with a chart) or a PDF report (title, filters, summary,
//! table, page numbers).
//!
//! Exports need both the `read` and the `export` permission on the resource and show only the
//! records within the narrower of the two scopes. The whole list is read in one transaction
//! (one snapshot) with one statement streamed to its end, which carries the names of the
//! records that mandates and interactions belong to: a CSV is streamed to the client as the
//! rows come; an XLSX is written in constant-memory mode to a temporary file on the blocking
//! pool while the next rows are read, then streamed; a PDF holds at most
//! `RELAIS_EXPORT_PDF_MAX_ROWS` rows.
//! Text that a spreadsheet would run as a formula is neutralised in CSV (`'=…`); XLSX cells
//! are text cells, never formulas.
//!
//! Large exports run as background jobs (`POST /api/v1/exports/{kind}/jobs`, kind `export`,
//! run by the import worker): the same plan and the same writers as a streamed export, into
//! `<data_dir>/<tenant>/exports/<job id>/`, then downloaded by whoever started the job from
//! `/api/v1/exports/files/{job id}` for `RELAIS_EXPORT_FILE_DAYS` days.

use crate::{
    ApiResult, AppState,
    auth::{Auth, Credential, Principal},
    error::ApiError,
    files,
    records::visibility,
    routes::{interactions, jobs::job_out, mandates, organisations, people, tasks},
};
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::{DateTime, Utc};
use relais_domain::{Action, Resource, TenantId, crm::PipelineStage};
use relais_sheets::{self as sheets, CellValue, Column, ColumnKind, SheetError, SheetLabels};
use relais_store::{
    ConnectionTrait, Db, TenantTx,
    interactions::{self as istore, InteractionFilter},
    jobs::{self, ClaimedJob, ExportPayload, KIND_EXPORT},
    mandates::{self as mstore, MandateFilter},
    organisations::{self as ostore, OrgFilter, Visibility},
    people::{self as pstore, PersonFilter},
    sql::SortKey,
    tasks::{self as tstore, TaskFilter},
    users::{User, UserFilter},
};
use relais_types::{JobOut, Problem};
use sea_orm::{FromQueryResult, QueryResult, Statement, StreamTrait};
use serde::Deserialize;
use serde_json::json;
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::{Duration, Instant, SystemTime},
};
use tokio::io::AsyncWriteExt;
use utoipa::IntoParams;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/exports/files/{id}").route(web::get().to(download_file)));
    cfg.service(web::resource("/exports/{kind}/jobs").route(web::post().to(start_job)));
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fmt {
    Csv(u8),
    Xlsx,
    Pdf,
}

impl Fmt {
    fn extension(self) -> &'static str {
        match self {
            Fmt::Csv(_) => "csv",
            Fmt::Xlsx => "xlsx",
            Fmt::Pdf => "pdf",
        }
    }
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
    /// Rows handed to the writer at a time (at least 1): a job reports progress and checks
    /// for cancellation after each page.
    page_rows: u64,
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

    /// The transaction an export reads its list in, with [`Plan::streamed_statement`] and
    /// [`next_lines`]: one statement, one snapshot.
    async fn begin(&self) -> Result<TenantTx, ApiError> {
        Ok(self
            .db
            .tenant_tx(relais_domain::TenantId(self.tenant))
            .await?)
    }

    /// How many rows the export has (at most `max_rows`): the total a job's progress shows.
    async fn count(&self) -> Result<u64, ApiError> {
        let tx = self
            .db
            .tenant_tx(relais_domain::TenantId(self.tenant))
            .await?;
        let query = self.statement();
        let row = tx
            .query_one_raw(Statement {
                sql: format!("SELECT count(*) AS n FROM ({}) AS export", query.sql),
                ..query
            })
            .await?;
        tx.commit().await?;
        let n: i64 = match row {
            Some(r) => r.try_get("", "n").map_err(ApiError::internal)?,
            None => 0,
        };
        Ok((n.max(0) as u64).min(self.max_rows))
    }

    /// The list's query, within the caller's scope.
    fn statement(&self) -> Statement {
        match &self.filter {
            Filter::Organisations(f) => {
                ostore::export_statement(self.tenant, self.vis, f, &self.sort)
            }
            Filter::People(f) => pstore::export_statement(self.tenant, self.vis, f, &self.sort),
            Filter::Mandates(f) => mstore::export_statement(self.tenant, self.vis, f, &self.sort),
            Filter::Tasks(f) => tstore::export_statement(self.tenant, self.vis, f, &self.sort),
            Filter::Interactions(f) => {
                istore::export_statement(self.tenant, self.vis, f, &self.sort)
            }
        }
    }

    /// The list's query for one streamed read: at most `max_rows` rows, in the list's order.
    /// Run to its end (no cursor), it is planned for its last row: a scan and a sort rather
    /// than the table read in the sort index's order (random reads, half again as long for
    /// 320,000 rows here); the sort spills to temporary files past `work_mem`, and the
    /// socket's buffers hold the database back when the server falls behind, so memory stays
    /// flat.
    fn streamed_statement(&self) -> Statement {
        let query = self.statement();
        Statement {
            sql: format!("{} LIMIT {}", query.sql, self.max_rows),
            ..query
        }
    }

    /// The lines of rows of the export's statement (which carries the names of the records
    /// that mandates and interactions belong to).
    fn lines(&self, rows: &[QueryResult]) -> Result<Vec<Line>, ApiError> {
        let fr = self.fr;
        let lines = match &self.filter {
            Filter::Organisations(_) => from_rows::<ostore::Organisation>(rows)?
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
            Filter::People(_) => from_rows::<pstore::Person>(rows)?
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
            Filter::Tasks(_) => from_rows::<tstore::Task>(rows)?
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
            Filter::Mandates(_) => rows
                .iter()
                .map(|r| {
                    let m = mstore::Mandate::from_query_result(r, "")?;
                    let organisation: Option<String> = r.try_get("", "organisation_name")?;
                    Ok(Line {
                        group: code_label(fr, &m.status),
                        cells: vec![
                            CellValue::text(m.number),
                            CellValue::opt_text(organisation),
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
                })
                .collect::<Result<_, sea_orm::DbErr>>()?,
            Filter::Interactions(_) => rows
                .iter()
                .map(|r| {
                    let i = istore::Interaction::from_query_result(r, "")?;
                    let organisation: Option<String> = r.try_get("", "organisation_name")?;
                    let person: Option<String> = r.try_get("", "person_name")?;
                    Ok(Line {
                        group: code_label(fr, &i.kind),
                        cells: vec![
                            when(Some(i.occurred_at)),
                            CellValue::text(code_label(fr, &i.kind)),
                            CellValue::text(i.summary),
                            CellValue::opt_text(organisation),
                            CellValue::opt_text(person),
                            self.user(Some(i.author_id)),
                            when(Some(i.created_at)),
                        ],
                    })
                })
                .collect::<Result<_, sea_orm::DbErr>>()?,
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
fn filters_used(query: &str) -> Vec<String> {
    let pairs: Vec<(String, String)> = web::Query::<Vec<(String, String)>>::from_query(query)
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

fn sheet_err(e: SheetError) -> ApiError {
    ApiError::internal(e.message)
}

/// Progress of a background export: rows written out of the total, recorded at most every
/// quarter of a second, and whether the job was cancelled meanwhile. A streamed export has
/// no job: its ticker records nothing and never stops the writer.
struct Ticker {
    job: Option<TickJob>,
}

struct TickJob {
    db: Db,
    tenant: Uuid,
    id: Uuid,
    total: u64,
    last: Option<Instant>,
}

impl Ticker {
    fn none() -> Self {
        Self { job: None }
    }

    /// As [`Ticker::rows`], without waiting for the next tick.
    async fn now(&mut self, done: u64) -> ApiResult<bool> {
        if let Some(j) = self.job.as_mut() {
            j.last = None;
        }
        self.rows(done).await
    }

    /// `done` rows are written; `false` once the job was asked to stop.
    async fn rows(&mut self, done: u64) -> ApiResult<bool> {
        let Some(j) = self.job.as_mut() else {
            return Ok(true);
        };
        if j.last
            .is_some_and(|t| t.elapsed() < Duration::from_millis(250))
        {
            return Ok(true);
        }
        j.last = Some(Instant::now());
        let tx = j.db.tenant_tx(TenantId(j.tenant)).await?;
        let cancel = jobs::progress(
            &*tx,
            j.tenant,
            j.id,
            &json!({"done": done, "total": j.total}),
        )
        .await?;
        tx.commit().await?;
        Ok(!cancel)
    }
}

/// Where the CSV goes as its pages are encoded: the HTTP response, or a job's file.
enum CsvSink {
    Stream {
        body: tokio::sync::mpsc::Sender<Result<web::Bytes, std::io::Error>>,
        /// Told when the first chunk is ready (`None`) or the export failed before it (the
        /// error): until then the handler can still answer with a problem.
        started: Option<tokio::sync::oneshot::Sender<Option<ApiError>>>,
    },
    File(tokio::fs::File),
}

impl CsvSink {
    /// `false` when nobody listens any more (the client went away).
    async fn send(&mut self, chunk: web::Bytes) -> ApiResult<bool> {
        match self {
            Self::Stream { body, started } => {
                if let Some(started) = started.take() {
                    let _ = started.send(None);
                }
                Ok(body.send(Ok(chunk)).await.is_ok())
            }
            Self::File(f) => {
                f.write_all(&chunk).await.map_err(ApiError::internal)?;
                Ok(true)
            }
        }
    }
}

/// The next lines of a list read with [`Plan::streamed_statement`]: up to `page_rows` rows,
/// and whether the statement has no more.
async fn next_lines<S>(plan: &Plan, rows: &mut S) -> ApiResult<(Vec<Line>, bool)>
where
    S: futures_util::Stream<Item = Result<QueryResult, sea_orm::DbErr>> + Unpin,
{
    use futures_util::StreamExt;
    let n = plan.page_rows as usize;
    let mut page = Vec::with_capacity(n);
    while page.len() < n {
        match rows.next().await.transpose()? {
            Some(row) => page.push(row),
            None => return Ok((plan.lines(&page)?, true)),
        }
    }
    Ok((plan.lines(&page)?, false))
}

/// Write the CSV of `plan` from `tx`, opened by [`Plan::begin`]: the one writer of streamed
/// and background CSV exports. The list is read with one statement, whose rows the database
/// keeps sending while the server encodes those it has (a cursor's pages would make the two
/// take turns, each idle half of the time), `page_rows` rows to a chunk. Returns the rows
/// written, or `None` when the client went away or the job was cancelled.
async fn write_csv(
    plan: &Plan,
    tx: &TenantTx,
    delimiter: u8,
    sink: &mut CsvSink,
    ticker: &mut Ticker,
) -> ApiResult<Option<u64>> {
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
    let mut head = true;
    let mut sent: u64 = 0;
    let mut rows = (**tx).stream_raw(plan.streamed_statement()).await?;
    loop {
        let (lines, end) = next_lines(plan, &mut rows).await?;
        let chunk = encode(&lines, head).map_err(sheet_err)?;
        head = false;
        sent += lines.len() as u64;
        if !sink.send(chunk).await? || !ticker.rows(sent).await? {
            return Ok(None);
        }
        if end {
            return Ok(Some(sent));
        }
    }
}

/// Stream the CSV as it is read: the client sees the first rows while later ones are read.
/// The response starts once the first chunk is ready, so that a failure before it is still
/// answered with a problem.
async fn csv_response(plan: Plan, delimiter: u8) -> ApiResult<HttpResponse> {
    let tx = plan.begin().await?;
    let name = plan.file_name("csv");
    let (body, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(4);
    let (started, first) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut sink = CsvSink::Stream {
            body: body.clone(),
            started: Some(started),
        };
        match write_csv(&plan, &tx, delimiter, &mut sink, &mut Ticker::none()).await {
            // Read only: ending the transaction either way is fine.
            Ok(_) => {
                let _ = tx.commit().await;
            }
            Err(e) => {
                let not_started = match &mut sink {
                    CsvSink::Stream { started, .. } => started.take(),
                    CsvSink::File(_) => None,
                };
                match not_started {
                    Some(started) => {
                        let _ = started.send(Some(e));
                    }
                    None => {
                        tracing::error!(error = %e, "export page failed");
                        let _ = body.send(Err(std::io::Error::other("export failed"))).await;
                    }
                }
            }
        }
    });
    if let Ok(Some(e)) = first.await {
        return Err(e);
    }
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, files::CSV))
        .insert_header(files::attachment(&name))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body))
}

/// Write the workbook to `out` page by page on the blocking pool (rows go to temporary
/// files as they come): the one writer of streamed and background XLSX exports. Returns the
/// rows written, or `None` when the job was cancelled.
async fn write_xlsx(
    state: &AppState,
    plan: &Plan,
    out: &Path,
    ticker: &mut Ticker,
) -> ApiResult<Option<u64>> {
    let tmp = state.cfg.data_dir.join("tmp");
    tokio::fs::create_dir_all(&tmp)
        .await
        .map_err(ApiError::internal)?;
    let mut report = {
        let (columns, labels, tmp) = (plan.columns.clone(), plan.labels(), tmp.clone());
        web::block(move || sheets::XlsxReport::new(columns, labels, &tmp))
            .await
            .map_err(ApiError::internal)?
            .map_err(sheet_err)?
    };
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut sent: u64 = 0;
    let tx = plan.begin().await?;
    let mut rows = (*tx).stream_raw(plan.streamed_statement()).await?;
    let mut next = next_lines(plan, &mut rows).await?;
    loop {
        let (lines, end) = next;
        for l in &lines {
            *counts.entry(l.group.clone()).or_default() += 1;
        }
        sent += lines.len() as u64;
        let push = web::block(move || -> Result<_, SheetError> {
            for l in &lines {
                report.push(&l.cells)?;
            }
            Ok(report)
        });
        // The workbook takes these rows on the blocking pool while the next ones are read.
        let (pushed, read) = if end {
            (push.await, Ok((Vec::new(), true)))
        } else {
            tokio::join!(push, next_lines(plan, &mut rows))
        };
        report = pushed
            .map_err(ApiError::internal)?
            .map_err(|e| match e.code {
                "too_many_rows" => ApiError::field("format", e.code, e.message),
                _ => sheet_err(e),
            })?;
        next = read?;
        if !ticker.rows(sent).await? {
            return Ok(None);
        }
        if end {
            break;
        }
    }
    drop(rows);
    tx.commit().await?;
    let stats = plan.stats(&counts);
    let path = out.to_owned();
    web::block(move || report.finish(&stats, &path))
        .await
        .map_err(ApiError::internal)?
        .map_err(sheet_err)?;
    Ok(Some(sent))
}

/// Write the workbook to a temporary file, then stream it (the file is gone once sent).
async fn xlsx_response(state: &AppState, plan: Plan) -> ApiResult<HttpResponse> {
    let out = state
        .cfg
        .data_dir
        .join("tmp")
        .join(format!("export-{}.xlsx", Uuid::now_v7()));
    write_xlsx(state, &plan, &out, &mut Ticker::none()).await?;
    files::download(out, files::XLSX, &plan.file_name("xlsx"), true).await
}

/// Render the PDF report (at most `RELAIS_EXPORT_PDF_MAX_ROWS` rows, every row counted): the
/// one writer of streamed and background PDF exports. Returns the document and the rows
/// counted, or `None` when the job was cancelled.
async fn write_pdf(
    state: &AppState,
    p: &Principal,
    query: &str,
    plan: &Plan,
    ticker: &mut Ticker,
) -> ApiResult<Option<(Vec<u8>, u64)>> {
    let cap = state.cfg.imports.pdf_max_rows;
    let fr = plan.fr;
    let (yes, no) = (tr(fr, "oui", "yes"), tr(fr, "non", "no"));
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut total: u64 = 0;
    let tx = plan.begin().await?;
    let mut read = (*tx).stream_raw(plan.streamed_statement()).await?;
    loop {
        let (lines, end) = next_lines(plan, &mut read).await?;
        for l in lines {
            total += 1;
            *counts.entry(l.group).or_default() += 1;
            if rows.len() < cap {
                rows.push(l.cells.iter().map(|c| c.display(&yes, &no)).collect());
            }
        }
        if !ticker.rows(total).await? {
            return Ok(None);
        }
        if end {
            break;
        }
    }
    drop(read);
    tx.commit().await?;
    let filters = filters_used(query);
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
    Ok(Some((bytes, total)))
}

async fn pdf_response(
    state: &AppState,
    p: &Principal,
    query: &str,
    plan: Plan,
) -> ApiResult<HttpResponse> {
    let (bytes, _) = write_pdf(state, p, query, &plan, &mut Ticker::none())
        .await?
        .ok_or_else(|| ApiError::internal("export stopped"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, files::PDF))
        .insert_header(files::attachment(&plan.file_name("pdf")))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// Stream an export of `kind` as the query string asks. (The handlers' query extractors
/// refuse a malformed query string as the lists do and document the parameters; the plan
/// reads the same string again, as an export job does.)
async fn stream(
    state: &AppState,
    p: Principal,
    kind: ExportKind,
    req: &HttpRequest,
) -> ApiResult<HttpResponse> {
    let query = req.query_string();
    let (fmt, plan) = plan_of(state, &p, kind, query).await?;
    match fmt {
        Fmt::Csv(delimiter) => csv_response(plan, delimiter).await,
        Fmt::Xlsx => xlsx_response(state, plan).await,
        Fmt::Pdf => pdf_response(state, &p, query, plan).await,
    }
}

/// What can be exported: the lists, by their path segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Organisations,
    People,
    Mandates,
    Tasks,
    Interactions,
}

impl ExportKind {
    pub const ALL: [ExportKind; 5] = [
        Self::Organisations,
        Self::People,
        Self::Mandates,
        Self::Tasks,
        Self::Interactions,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Organisations => "organisations",
            Self::People => "people",
            Self::Mandates => "mandates",
            Self::Tasks => "tasks",
            Self::Interactions => "interactions",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

fn parse_query<T: serde::de::DeserializeOwned>(query: &str) -> ApiResult<T> {
    web::Query::<T>::from_query(query)
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::BadRequest("invalid_query", format!("invalid query string: {e}")))
}

/// The format and plan of an export of `kind` asked with `query` (the format, delimiter and
/// the list's filters and sort), for `p`: checks the read and export permissions and fixes
/// the scope. Streamed exports and export jobs (at enqueue and again when they run) all go
/// through here.
async fn plan_of(
    state: &AppState,
    p: &Principal,
    kind: ExportKind,
    query: &str,
) -> ApiResult<(Fmt, Plan)> {
    let fmt = format_of(&parse_query::<ExportQuery>(query)?)?;
    let plan = match kind {
        ExportKind::Organisations => organisations_plan(state, p, parse_query(query)?).await?,
        ExportKind::People => people_plan(state, p, parse_query(query)?).await?,
        ExportKind::Mandates => mandates_plan(state, p, parse_query(query)?).await?,
        ExportKind::Tasks => tasks_plan(state, p, parse_query(query)?).await?,
        ExportKind::Interactions => interactions_plan(state, p, parse_query(query)?).await?,
    };
    Ok((fmt, plan))
}

/// `<data_dir>/<tenant>/exports/<job id>/`: where an export job writes its file.
pub fn job_dir(state: &AppState, tenant: Uuid, job: Uuid) -> PathBuf {
    state
        .cfg
        .data_dir
        .join(tenant.to_string())
        .join("exports")
        .join(job.to_string())
}

/// Name of the file while a job writes it; renamed to the export's name once complete, so
/// a half-written file is never served.
const PARTIAL: &str = ".partial";

/// Start a large export in the background: the same query parameters as
/// `GET /api/v1/exports/{kind}` (`format`, `delimiter`, and the list's filters and sort),
/// no body. The format, filters and permissions (`read` and `export` on the resource) are
/// checked now; the job then reads as the caller, within the caller's scope, reports
/// progress (rows written out of the total) at `GET /api/v1/jobs/{id}` and can be cancelled
/// there. Once it succeeded, the job's `result` is the download path
/// (`/api/v1/exports/files/{job id}`), valid for `RELAIS_EXPORT_FILE_DAYS` days.
#[utoipa::path(post, path = "/api/v1/exports/{kind}/jobs", tag = "exports",
    operation_id = "v1.export.job.start", security(("bearer" = [])),
    params(
        ("kind" = String, Path, description = "`organisations`, `people`, `mandates`, `tasks` or `interactions`"),
        ExportQuery,
    ),
    responses(
        (status = 202, description = "The export job, queued (`Location` is the job)", body = JobOut),
        (status = 403, description = "No read or export permission", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a list that exports", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid format, filter or sort", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn start_job(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    kind: web::Path<String>,
    _export: web::Query<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let kind = ExportKind::from_code(&kind).ok_or(ApiError::NotFound)?;
    let query = req.query_string();
    // Everything the GET would refuse is refused now, not in the job.
    plan_of(&state, &p, kind, query).await?;
    let tenant = p.tenant_uuid();
    let payload = ExportPayload {
        kind: kind.code().to_owned(),
        query: query.to_owned(),
        user_id: p.user.id,
        api_key_id: match p.credential {
            Credential::ApiKey { id } => Some(id),
            Credential::Session { .. } => None,
        },
    };
    let tx = state.db.tenant_tx(p.tenant).await?;
    let id = jobs::enqueue_by(
        &*tx,
        tenant,
        KIND_EXPORT,
        &serde_json::to_value(payload).map_err(ApiError::internal)?,
        p.user.id,
        1,
    )
    .await?;
    let job = jobs::find(&*tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/jobs/{id}")))
        .json(job_out(job)))
}

/// Download the file of a finished export job. Only whoever started the job gets it, for
/// `RELAIS_EXPORT_FILE_DAYS` days after it finished; anyone else, or later, gets 404.
#[utoipa::path(get, path = "/api/v1/exports/files/{id}", tag = "exports",
    operation_id = "v1.export.file", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The export job's id")),
    responses(
        (status = 200, description = "The file (CSV, XLSX or PDF, with its name in Content-Disposition)", content_type = "application/octet-stream"),
        (status = 404, description = "No such finished export (not yours, not finished, or expired)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn download_file(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let tenant = p.tenant_uuid();
    let tx = state.db.tenant_tx(p.tenant).await?;
    let job = jobs::find(&*tx, tenant, *id)
        .await?
        .filter(|j| {
            j.kind == KIND_EXPORT && j.status == "succeeded" && j.created_by == Some(p.user.id)
        })
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let ttl = chrono::Duration::from_std(state.cfg.imports.export_file_ttl())
        .map_err(ApiError::internal)?;
    if job.finished_at.is_none_or(|t| t + ttl < Utc::now()) {
        return Err(ApiError::NotFound);
    }
    let name = job
        .progress
        .as_ref()
        .and_then(|p| p.get("file"))
        .and_then(serde_json::Value::as_str)
        .filter(|n| !n.is_empty() && !n.contains(['/', '\\']) && !n.starts_with('.'))
        .ok_or(ApiError::NotFound)?
        .to_owned();
    let content_type = match name.rsplit('.').next() {
        Some("csv") => files::CSV,
        Some("xlsx") => files::XLSX,
        Some("pdf") => files::PDF,
        _ => return Err(ApiError::NotFound),
    };
    let path = job_dir(&state, tenant, job.id).join(&name);
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Err(ApiError::NotFound);
    }
    files::download(path, content_type, &name, false).await
}

/// How an export job ended.
enum JobEnd {
    Done { rows: u64, total: u64, file: String },
    Cancelled,
}

/// Run one `export` job: as the user who started it (their permissions and scope, checked
/// again now), with the writers of streamed exports, into `<data_dir>/<tenant>/exports/<job
/// id>/`. A failed or cancelled job leaves no file.
pub async fn run_job(state: &AppState, job: ClaimedJob) {
    let dir = job_dir(state, job.tenant_id, job.id);
    let ended = export_job(state, &job, &dir).await;
    let (status, error, progress) = match ended {
        Ok(JobEnd::Done { rows, total, file }) => (
            "succeeded",
            None,
            Some(json!({"done": rows, "total": total.max(rows), "file": file})),
        ),
        Ok(JobEnd::Cancelled) => ("cancelled", None, None),
        Err(e) => ("failed", Some(e), None),
    };
    if status != "succeeded" {
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
    let recorded = async {
        let tx = state.db.tenant_tx(TenantId(job.tenant_id)).await?;
        jobs::finish(
            &*tx,
            job.tenant_id,
            job.id,
            status,
            error.as_deref(),
            progress.as_ref(),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, ApiError>(())
    };
    if let Err(e) = recorded.await {
        tracing::error!(job = %job.id, error = %e, "could not record the end of an export");
    }
}

async fn export_job(state: &AppState, job: &ClaimedJob, dir: &Path) -> Result<JobEnd, String> {
    if job.attempts > 1 {
        return Err(
            "the export was interrupted (the server stopped while it ran); start it again".into(),
        );
    }
    let payload: ExportPayload = serde_json::from_value(job.payload.clone())
        .map_err(|_| "unreadable job payload".to_owned())?;
    let kind = ExportKind::from_code(&payload.kind).ok_or("unknown kind of export")?;
    let tenant = job.tenant_id;
    let tx = state
        .db
        .tenant_tx(TenantId(tenant))
        .await
        .map_err(|e| e.to_string())?;
    let p = crate::importer::acting_as(
        &*tx,
        tenant,
        payload.user_id,
        payload.api_key_id,
        "started the export",
    )
    .await??;
    tx.commit().await.map_err(|e| e.to_string())?;
    let (fmt, plan) = plan_of(state, &p, kind, &payload.query)
        .await
        .map_err(|e| match e {
            ApiError::Forbidden(..) => {
                "the user who started the export no longer has the read and export permissions"
                    .to_owned()
            }
            e => e.to_string(),
        })?;
    let failed = |e: ApiError| e.to_string();
    let total = plan.count().await.map_err(failed)?;
    let mut ticker = Ticker {
        job: Some(TickJob {
            db: state.db.clone(),
            tenant,
            id: job.id,
            total,
            last: None,
        }),
    };
    if !ticker.rows(0).await.map_err(failed)? {
        return Ok(JobEnd::Cancelled);
    }
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| format!("cannot create the export folder: {e}"))?;
    let part = dir.join(PARTIAL);
    let file = plan.file_name(fmt.extension());
    let written = match fmt {
        Fmt::Csv(delimiter) => {
            let out = tokio::fs::File::create(&part)
                .await
                .map_err(|e| format!("cannot write the export: {e}"))?;
            let tx = plan.begin().await.map_err(failed)?;
            let mut sink = CsvSink::File(out);
            let n = write_csv(&plan, &tx, delimiter, &mut sink, &mut ticker)
                .await
                .map_err(failed)?;
            tx.commit().await.map_err(|e| e.to_string())?;
            if let CsvSink::File(mut f) = sink {
                f.flush()
                    .await
                    .map_err(|e| format!("cannot write the export: {e}"))?;
            }
            n
        }
        Fmt::Xlsx => write_xlsx(state, &plan, &part, &mut ticker)
            .await
            .map_err(failed)?,
        Fmt::Pdf => match write_pdf(state, &p, &payload.query, &plan, &mut ticker)
            .await
            .map_err(failed)?
        {
            Some((bytes, n)) => {
                tokio::fs::write(&part, bytes)
                    .await
                    .map_err(|e| format!("cannot write the export: {e}"))?;
                Some(n)
            }
            None => None,
        },
    };
    let Some(rows) = written else {
        return Ok(JobEnd::Cancelled);
    };
    // A cancellation asked for while the last pages were written (between two ticks) still
    // counts: the file is not kept.
    if !ticker.now(rows).await.map_err(failed)? {
        return Ok(JobEnd::Cancelled);
    }
    tokio::fs::rename(&part, dir.join(&file))
        .await
        .map_err(|e| format!("cannot write the export: {e}"))?;
    Ok(JobEnd::Done { rows, total, file })
}

/// Remove the files of export jobs older than `ttl`: the `<data_dir>/<tenant>/exports/<job
/// id>/` folders last changed before then. Returns how many were removed.
pub async fn sweep_expired(data_dir: &Path, ttl: Duration) -> usize {
    let root = data_dir.to_owned();
    tokio::task::spawn_blocking(move || {
        let Some(cutoff) = SystemTime::now().checked_sub(ttl) else {
            return 0;
        };
        let Ok(tenants) = std::fs::read_dir(&root) else {
            return 0;
        };
        let mut removed = 0;
        for t in tenants.flatten() {
            let Ok(exports) = std::fs::read_dir(t.path().join("exports")) else {
                continue;
            };
            for e in exports.flatten() {
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|m| m < cutoff);
                if old && std::fs::remove_dir_all(e.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        if removed > 0 {
            tracing::info!(removed, "expired export files removed");
        }
        removed
    })
    .await
    .unwrap_or(0)
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
        page_rows: state.cfg.imports.export_page_rows.max(1),
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
    _export: web::Query<ExportQuery>,
    _query: web::Query<organisations::OrgQuery>,
) -> ApiResult<HttpResponse> {
    stream(&state, auth.0, ExportKind::Organisations, &req).await
}

async fn organisations_plan(
    state: &AppState,
    p: &Principal,
    q: organisations::OrgQuery,
) -> ApiResult<Plan> {
    let sort = ostore::parse_sort(q.sort.as_deref().unwrap_or("name")).map_err(bad_sort)?;
    let filter = organisations::list_filter(p, &q, false)?;
    let mut plan = base_plan(
        state,
        p,
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
    Ok(plan)
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
    _export: web::Query<ExportQuery>,
    _query: web::Query<people::PersonQuery>,
) -> ApiResult<HttpResponse> {
    stream(&state, auth.0, ExportKind::People, &req).await
}

async fn people_plan(state: &AppState, p: &Principal, q: people::PersonQuery) -> ApiResult<Plan> {
    let sort = pstore::parse_sort(q.sort.as_deref().unwrap_or("last_name")).map_err(bad_sort)?;
    let filter = people::list_filter(p, &q, false)?;
    let mut plan = base_plan(state, p, Resource::People, Filter::People(filter), sort).await?;
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
    Ok(plan)
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
    _export: web::Query<ExportQuery>,
    _query: web::Query<mandates::MandateQuery>,
) -> ApiResult<HttpResponse> {
    stream(&state, auth.0, ExportKind::Mandates, &req).await
}

async fn mandates_plan(
    state: &AppState,
    p: &Principal,
    q: mandates::MandateQuery,
) -> ApiResult<Plan> {
    let sort = mstore::parse_sort(q.sort.as_deref().unwrap_or("-created_at")).map_err(bad_sort)?;
    let filter = mandates::list_filter(p, &q, false)?;
    let mut plan = base_plan(state, p, Resource::Mandates, Filter::Mandates(filter), sort).await?;
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
    Ok(plan)
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
    _export: web::Query<ExportQuery>,
    _query: web::Query<tasks::TaskQuery>,
) -> ApiResult<HttpResponse> {
    stream(&state, auth.0, ExportKind::Tasks, &req).await
}

async fn tasks_plan(state: &AppState, p: &Principal, q: tasks::TaskQuery) -> ApiResult<Plan> {
    let sort = tstore::parse_sort(q.sort.as_deref().unwrap_or("due_at")).map_err(bad_sort)?;
    let filter = tasks::list_filter(p, &q, false, None)?;
    let mut plan = base_plan(state, p, Resource::Tasks, Filter::Tasks(filter), sort).await?;
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
    Ok(plan)
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
    _export: web::Query<ExportQuery>,
    _query: web::Query<interactions::InteractionQuery>,
) -> ApiResult<HttpResponse> {
    stream(&state, auth.0, ExportKind::Interactions, &req).await
}

async fn interactions_plan(
    state: &AppState,
    p: &Principal,
    q: interactions::InteractionQuery,
) -> ApiResult<Plan> {
    let sort = istore::parse_sort(q.sort.as_deref().unwrap_or("-occurred_at")).map_err(bad_sort)?;
    let filter = interactions::list_filter(p, &q, false, None)?;
    let mut plan = base_plan(
        state,
        p,
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
    Ok(plan)
}
