//! The import runner: claims `import.run` jobs from the Postgres queue and runs them (and
//! `export` jobs, run by `routes::exports::run_job`; expired export files are swept hourly).
//!
//! A run streams the file row by row on a blocking thread (a bounded channel between it and
//! the writer keeps memory flat whatever the file size), validates each row with
//! `relais_domain::imports`, and writes in batches of `batch_rows` rows: one statement per
//! table and batch (`jsonb_to_recordset`), every record with its domain event carrying
//! `source: {type: "import", import_id, file_name, line}` so history shows where it came
//! from. All of it happens inside the tenant's RLS transaction, acting as the user who
//! uploaded the file, with that user's `import` scope.
//!
//! Modes: a dry run and an all-or-nothing run use one transaction for the whole file (rolled
//! back at the end of a dry run, or when any row is bad); `skip_errors` commits batch by
//! batch. Each batch is written under a savepoint; when the database refuses it, its rows
//! are retried one by one so the offending row is reported and the others kept. Rows whose
//! upsert key repeats an earlier row of the same batch start a new batch, so "created earlier
//! in the same file, updated later" behaves exactly as two runs would.
//!
//! Lives in relais-api (not relais-jobs) because it applies the same rules as the HTTP
//! handlers: permissions, validation, record events and pipeline stage actions.

use crate::{
    AppState,
    auth::{Credential, Principal},
    error::ApiError,
    records::actor,
    routes::{
        imports::{self as ui, error_report_path, import_dir, kind_of, source_path},
        organisations as org_routes, people as people_routes,
    },
};
use chrono::Utc;
use relais_domain::{
    Action, Grants, RecordOwner, Resource, Scope, TeamId, TenantId, UserId,
    access::scope_covers,
    crm::PipelineStage,
    imports::{
        self as rules, ImportKind, ImportMode, OrgValues, PersonValues, ProductValues, RowValues,
        UpsertKey,
    },
};
use relais_sheets::{self as sheets, Format, Item};
use relais_store::{
    ConnectionTrait, TransactionTrait,
    api_keys::ApiKey,
    events::{self, NewEvent},
    imports::{self as store, Import},
    jobs::{self, ClaimedJob, ImportPayload, KIND_EXPORT, KIND_IMPORT},
    organisations::{self as orgs, OrgFields, Organisation},
    people::{self as people, Person, PersonFields},
    products::{self as products, Product, ProductFields},
    roles::Role,
    users::{AuthUser, User},
};
use relais_types::{ImportReport, ImportRowError};
use serde_json::{Value, json};
use std::{
    collections::{HashMap, HashSet},
    ops::ControlFlow,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{
    io::AsyncWriteExt,
    sync::{Semaphore, watch},
};
use uuid::Uuid;

/// Claim and run import jobs until `shutdown` turns true; at most `imports.workers` at once.
pub async fn run_worker(state: AppState, poll: Duration, mut shutdown: watch::Receiver<bool>) {
    let name = format!("imports-{}", std::process::id());
    let workers = state.cfg.imports.workers.max(1);
    let slots = Arc::new(Semaphore::new(workers));
    let mut listener = state.db.listen("relais_jobs").await.ok();
    tracing::info!(worker = %name, "import worker started");
    let mut swept: Option<Instant> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        if swept.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
            swept = Some(Instant::now());
            let (dir, ttl) = (
                state.cfg.data_dir.clone(),
                state.cfg.imports.export_file_ttl(),
            );
            tokio::spawn(async move {
                crate::routes::exports::sweep_expired(&dir, ttl).await;
            });
        }
        let free = slots.available_permits();
        if free > 0 {
            match claim(&state, &name, free as i32).await {
                Ok(claimed) => {
                    for job in claimed {
                        let Ok(permit) = slots.clone().acquire_owned().await else {
                            break;
                        };
                        let st = state.clone();
                        let sd = shutdown.clone();
                        tokio::spawn(async move {
                            if job.kind == KIND_EXPORT {
                                crate::routes::exports::run_job(&st, job).await;
                            } else {
                                run_job(&st, job, sd).await;
                            }
                            drop(permit);
                        });
                    }
                }
                Err(e) => tracing::error!(error = %e, "claiming import jobs failed"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
            r = async {
                match listener.as_mut() {
                    Some(l) => l.recv().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            } => {
                if r.is_err() {
                    listener = None;
                }
            }
        }
    }
    // Let running imports reach their next checkpoint and record how they ended.
    let _ = slots.acquire_many(workers as u32).await;
    tracing::info!(worker = %name, "import worker stopped");
}

async fn claim(state: &AppState, name: &str, n: i32) -> Result<Vec<ClaimedJob>, ApiError> {
    let tx = state.db.platform_tx().await?;
    let claimed = jobs::claim(
        &*tx,
        name,
        &[KIND_IMPORT, KIND_EXPORT],
        n,
        Duration::from_secs(300),
    )
    .await?;
    tx.commit().await?;
    Ok(claimed)
}

/// How a run ended, for the import row and the job row.
struct Ending {
    import_status: &'static str,
    job_status: &'static str,
    report: Option<ImportReport>,
    error: Option<String>,
    committed: bool,
}

async fn run_job(state: &AppState, job: ClaimedJob, shutdown: watch::Receiver<bool>) {
    let tenant = job.tenant_id;
    let payload: Option<ImportPayload> = serde_json::from_value(job.payload.clone()).ok();
    let Some(payload) = payload else {
        finish_job_only(state, &job, "failed", "unreadable job payload").await;
        return;
    };
    let loaded = load(state, tenant, payload.import_id).await;
    let (imp, principal) = match loaded {
        Ok(Some(x)) => x,
        Ok(None) => {
            finish_job_only(state, &job, "failed", "the import no longer exists").await;
            return;
        }
        Err(e) => {
            // The import row stays as it was; the job says why.
            finish_job_only(state, &job, "failed", &e).await;
            return;
        }
    };
    let ending = if job.attempts > 1 {
        Ending {
            import_status: if payload.dry_run { "ready" } else { "failed" },
            job_status: "failed",
            report: None,
            error: Some(
                "the import was interrupted (the server stopped while it ran); in skip mode, \
                 the rows of completed batches were kept"
                    .into(),
            ),
            committed: false,
        }
    } else {
        match principal {
            Err(reason) => Ending {
                import_status: if payload.dry_run { "ready" } else { "failed" },
                job_status: "failed",
                report: None,
                error: Some(reason),
                committed: false,
            },
            Ok(p) => {
                let mut run = Run::new(state, &imp, p, payload.dry_run, job.id, shutdown);
                run.execute().await
            }
        }
    };
    if let Err(e) = record_ending(state, &job, &imp, &ending).await {
        tracing::error!(job = %job.id, error = %e, "could not record the end of an import");
    }
}

async fn finish_job_only(state: &AppState, job: &ClaimedJob, status: &str, error: &str) {
    let done = async {
        let tx = state.db.tenant_tx(TenantId(job.tenant_id)).await?;
        jobs::finish(&*tx, job.tenant_id, job.id, status, Some(error), None).await?;
        tx.commit().await?;
        Ok::<_, ApiError>(())
    };
    if let Err(e) = done.await {
        tracing::error!(job = %job.id, error = %e, "could not record a failed job");
    }
}

async fn record_ending(
    state: &AppState,
    job: &ClaimedJob,
    imp: &Import,
    e: &Ending,
) -> Result<(), ApiError> {
    let report = e
        .report
        .as_ref()
        .map(|r| serde_json::to_value(r).unwrap_or(Value::Null));
    let progress = e
        .report
        .as_ref()
        .map(|r| json!({"done": r.processed, "total": r.total_rows}));
    let job_error = match (e.job_status, &e.error, &e.report) {
        ("failed", Some(err), _) => Some(err.clone()),
        ("failed", None, Some(r)) => Some(format!(
            "{} rows have errors: nothing was imported",
            r.error_rows
        )),
        _ => None,
    };
    let tx = state.db.tenant_tx(TenantId(job.tenant_id)).await?;
    store::finish(
        &*tx,
        job.tenant_id,
        imp.id,
        e.import_status,
        report.as_ref(),
        e.error.as_deref(),
        e.committed,
    )
    .await?;
    jobs::finish(
        &*tx,
        job.tenant_id,
        job.id,
        e.job_status,
        job_error.as_deref(),
        progress.as_ref(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The import and the caller it runs as (or why it cannot run as them any more).
async fn load(
    state: &AppState,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<(Import, Result<Principal, String>)>, String> {
    let tx = state
        .db
        .tenant_tx(TenantId(tenant))
        .await
        .map_err(|e| e.to_string())?;
    let Some(imp) = store::find(&*tx, tenant, id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let principal = acting_as(
        &*tx,
        tenant,
        imp.created_by,
        imp.api_key_id,
        "uploaded the file",
    )
    .await?;
    tx.commit().await.map_err(|e| e.to_string())?;
    let principal = principal.and_then(|p| {
        p.require(ui::resource(kind_of(&imp)), Action::Import)
            .map(|_| p)
            .map_err(|_| "the uploader no longer has the import permission".to_owned())
    });
    Ok(Some((imp, principal)))
}

/// Who a background job acts as: the user who started it, with that user's grants, or the
/// role of the API key they used. `Err` inside says why it cannot act as them any more
/// (`what` completes "the user who …").
pub(crate) async fn acting_as(
    tx: &impl ConnectionTrait,
    tenant: Uuid,
    user_id: Uuid,
    api_key_id: Option<Uuid>,
    what: &str,
) -> Result<Result<Principal, String>, String> {
    let user = AuthUser::load(tx, tenant, user_id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(match user {
        None => Err(format!("the user who {what} no longer exists")),
        Some(u) if !u.active => Err(format!("the user who {what} is deactivated")),
        Some(u) if u.tenant_status != "active" => Err("the firm's account is suspended".to_owned()),
        Some(u) => match api_key_id {
            None => Ok(Principal {
                tenant: TenantId(tenant),
                grants: Grants::new(u.grant_list()),
                user: u,
                credential: Credential::Session { session: None },
            }),
            Some(key_id) => {
                let key = ApiKey::find(tx, tenant, key_id)
                    .await
                    .map_err(|e| e.to_string())?
                    .filter(|k| k.is_usable(Utc::now()));
                match key {
                    None => Err(format!("the API key that {what} was revoked")),
                    Some(k) => match Role::find(tx, tenant, k.role_id)
                        .await
                        .map_err(|e| e.to_string())?
                    {
                        None => Err("the API key's role no longer exists".to_owned()),
                        Some(role) => Ok(Principal {
                            tenant: TenantId(tenant),
                            grants: role.effective_grants(),
                            user: u,
                            credential: Credential::ApiKey { id: k.id },
                        }),
                    },
                }
            }
        },
    })
}

/// A row that passed validation, waiting to be written.
#[derive(Clone)]
struct Pending {
    line: u64,
    cells: Vec<String>,
    values: RowValues,
}

/// Counts of one written chunk, applied to the report only once the chunk is kept.
#[derive(Default)]
struct ChunkCounts {
    created: u64,
    updated: u64,
    unchanged: u64,
    organisations_created: u64,
    /// Rows refused for what the database holds (ambiguous key, out of scope…).
    refused: Vec<(usize, Vec<ImportRowError>)>,
}

/// Why a whole run stops.
enum Stop {
    Fatal(String),
    Cancelled,
}

struct Run<'a> {
    state: &'a AppState,
    imp: &'a Import,
    p: Principal,
    kind: ImportKind,
    key: UpsertKey,
    mode: ImportMode,
    mapping: Vec<Option<&'static str>>,
    headers: Vec<String>,
    dry_run: bool,
    job: Uuid,
    shutdown: watch::Receiver<bool>,
    scope: Scope,
    org_read: Option<Scope>,
    org_create: Option<Scope>,
    owners: HashMap<String, Option<(Uuid, Option<Uuid>)>>,
    report: ImportReport,
    dir: PathBuf,
    errors_file: Option<tokio::io::BufWriter<tokio::fs::File>>,
    /// Rows written when the statistics are next refreshed (doubling from 1,000).
    next_statistics: u64,
}

impl<'a> Run<'a> {
    fn new(
        state: &'a AppState,
        imp: &'a Import,
        p: Principal,
        dry_run: bool,
        job: Uuid,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let kind = kind_of(imp);
        let scope = p
            .grants
            .scope(ui::resource(kind), Action::Import)
            .unwrap_or(Scope::Own);
        let org_read = p.grants.scope(Resource::Organisations, Action::Read);
        let org_create = p.grants.scope(Resource::Organisations, Action::Import);
        let headers: Vec<String> = serde_json::from_value(imp.headers.clone()).unwrap_or_default();
        let key = UpsertKey::from_code(&imp.upsert_key).unwrap_or(UpsertKey::None);
        let mode = ImportMode::from_code(&imp.mode).unwrap_or(ImportMode::AllOrNothing);
        Self {
            state,
            imp,
            mapping: ui::stored_mapping(kind, imp),
            p,
            kind,
            key,
            mode,
            headers,
            dry_run,
            job,
            shutdown,
            scope,
            org_read,
            org_create,
            owners: HashMap::new(),
            report: ImportReport {
                dry_run,
                mode: Some(mode),
                upsert_key: Some(key),
                started_at: Some(Utc::now()),
                ..Default::default()
            },
            dir: import_dir(state, imp.tenant_id, imp.id),
            errors_file: None,
            next_statistics: 1_000,
        }
    }

    fn tenant(&self) -> Uuid {
        self.imp.tenant_id
    }

    async fn execute(&mut self) -> Ending {
        let started = Instant::now();
        let _ = tokio::fs::remove_file(error_report_path(&self.dir)).await;
        let outcome = self.stream().await;
        let flushed = self.finish_error_report().await;
        self.report.finished_at = Some(Utc::now());
        self.report.duration_ms = started.elapsed().as_millis() as u64;
        let wrote =
            self.report.created + self.report.updated + self.report.organisations_created > 0;
        if let Err(e) = flushed {
            tracing::warn!(import = %self.imp.id, error = %e, "error report not written");
        }
        let report = Some(self.report.clone());
        let skip = self.mode == ImportMode::SkipErrors;
        match (outcome, self.dry_run) {
            (Ok(()), true) => Ending {
                import_status: "validated",
                job_status: "succeeded",
                report,
                error: None,
                committed: false,
            },
            (Ok(()), false) if !skip && self.report.error_rows > 0 => Ending {
                import_status: "failed",
                job_status: "failed",
                report,
                error: None,
                committed: false,
            },
            (Ok(()), false) => Ending {
                import_status: "completed",
                job_status: "succeeded",
                report,
                error: None,
                committed: wrote,
            },
            (Err(Stop::Cancelled), dry) => Ending {
                import_status: if dry { "ready" } else { "cancelled" },
                job_status: "cancelled",
                report,
                error: None,
                committed: !dry && skip && wrote,
            },
            (Err(Stop::Fatal(msg)), dry) => Ending {
                import_status: if dry { "ready" } else { "failed" },
                job_status: "failed",
                report,
                error: Some(msg),
                committed: !dry && skip && wrote,
            },
        }
    }

    /// Read the file and write it, batch by batch.
    async fn stream(&mut self) -> Result<(), Stop> {
        let format = Format::from_code(&self.imp.format).unwrap_or(Format::Csv);
        let opts = ui::read_options(self.imp);
        let limits = ui::limits(self.state);
        let path = source_path(&self.dir);
        // A CSV is counted first (fast); a workbook declares its size as it is opened.
        let max_rows = self.state.cfg.imports.max_rows;
        let too_many = |n: u64| {
            Stop::Fatal(format!(
                "the file has {n} rows; at most {max_rows} can be imported at once"
            ))
        };
        if format == Format::Csv {
            let (path, opts, limits) = (path.clone(), opts.clone(), limits.clone());
            let total = tokio::task::spawn_blocking(move || {
                sheets::count_rows(&path, format, &opts, &limits)
            })
            .await
            .map_err(|e| Stop::Fatal(e.to_string()))?
            .map_err(|e| Stop::Fatal(e.message))?;
            if total > max_rows {
                return Err(too_many(total));
            }
            self.report.total_rows = total;
        }
        self.progress().await?;
        let batch = self.state.cfg.imports.batch_rows.max(1);
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Item>>(2);
        let reader = tokio::task::spawn_blocking(move || {
            let mut buf = Vec::with_capacity(batch);
            let result = sheets::read(&path, format, &opts, &limits, |item| {
                buf.push(item);
                if buf.len() >= batch && tx.blocking_send(std::mem::take(&mut buf)).is_err() {
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            });
            if !buf.is_empty() {
                let _ = tx.blocking_send(buf);
            }
            result
        });
        let whole = self.dry_run || self.mode == ImportMode::AllOrNothing;
        let mut single = if whole {
            Some(self.begin().await?)
        } else {
            None
        };
        let mut outcome = Ok(());
        while let Some(items) = rx.recv().await {
            let mut good = Vec::with_capacity(items.len());
            for item in items {
                if self.report.processed >= max_rows && matches!(item, Item::Row(_) | Item::Bad(_))
                {
                    outcome = Err(too_many(self.report.processed + 1));
                    break;
                }
                match item {
                    Item::Size(n) if n > max_rows => {
                        outcome = Err(too_many(n));
                        break;
                    }
                    Item::Size(n) => self.report.total_rows = n,
                    Item::Header(_) => {}
                    Item::Row(r) => {
                        self.report.processed += 1;
                        match rules::parse_row(self.kind, &self.mapping, &r.cells) {
                            Ok(values) => good.push(Pending {
                                line: r.line,
                                cells: r.cells,
                                values,
                            }),
                            Err(errs) => {
                                let errs = errs
                                    .into_iter()
                                    .map(|e| ImportRowError {
                                        line: r.line,
                                        column: e.column.map(|c| ui::column_name(&self.headers, c)),
                                        field: Some(e.field.to_owned()),
                                        code: e.code.to_owned(),
                                        message: e.message,
                                    })
                                    .collect();
                                self.bad_row(r.line, &r.cells, errs).await;
                            }
                        }
                    }
                    Item::Bad(b) => {
                        self.report.processed += 1;
                        let err = ImportRowError {
                            line: b.line,
                            column: None,
                            field: None,
                            code: b.code.to_owned(),
                            message: b.message,
                        };
                        self.bad_row(b.line, &[], vec![err]).await;
                    }
                }
            }
            if outcome.is_err() {
                break;
            }
            let written = match &single {
                Some(t) => match self.write_batch(t, good).await {
                    Ok(()) => self.refresh_statistics(t).await,
                    Err(e) => Err(e),
                },
                None => match self.begin().await {
                    Ok(t) => match self.write_batch(&t, good).await {
                        Ok(()) => match self.refresh_statistics(&t).await {
                            Ok(()) => t.commit().await.map_err(|e| Stop::Fatal(e.to_string())),
                            Err(e) => Err(e),
                        },
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e),
                },
            };
            if let Err(e) = written {
                outcome = Err(e);
                break;
            }
            if let Err(e) = self.progress().await {
                outcome = Err(e);
                break;
            }
        }
        drop(rx);
        if outcome.is_ok() && !self.report.cancelled {
            // A sheet's declared size counts blank rows; the rows read are the truth.
            self.report.total_rows = self.report.processed;
        }
        let read = reader.await.map_err(|e| Stop::Fatal(e.to_string()))?;
        if outcome.is_ok()
            && let Err(e) = read
        {
            outcome = Err(Stop::Fatal(e.message));
        }
        let keep = outcome.is_ok() && !self.dry_run && self.report.error_rows == 0;
        if let Some(t) = single.take() {
            if keep {
                t.commit().await.map_err(|e| Stop::Fatal(e.to_string()))?;
            } else {
                // Dropping a transaction rolls it back.
                drop(t);
            }
        }
        if whole && !keep && !self.dry_run {
            // Nothing was kept: the counts say what happened to each row.
            self.report.skipped = self.report.processed;
            self.report.created = 0;
            self.report.updated = 0;
            self.report.unchanged = 0;
            self.report.organisations_created = 0;
        } else {
            self.report.skipped = self.report.error_rows;
        }
        outcome
    }

    /// A transaction for writing batches. Its statements are planned for their values each
    /// time: a connection's cached generic plan may date from when the tenant's tables were
    /// empty, and would scan them for every batch of a later import.
    async fn begin(&self) -> Result<relais_store::TenantTx, Stop> {
        let fatal = |e: relais_store::StoreError| Stop::Fatal(e.to_string());
        let tx = self
            .state
            .db
            .tenant_tx(TenantId(self.tenant()))
            .await
            .map_err(fatal)?;
        tx.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await
            .map_err(|e| Stop::Fatal(e.to_string()))?;
        Ok(tx)
    }

    /// Refresh the planner's statistics each time the rows written double: the key look-ups
    /// and reads of the next batches are then planned for the tables as they are now.
    async fn refresh_statistics(&mut self, tx: &relais_store::TenantTx) -> Result<(), Stop> {
        let written = self.report.created + self.report.updated + self.report.organisations_created;
        if written < self.next_statistics {
            return Ok(());
        }
        self.next_statistics = written.saturating_mul(2);
        tx.execute_unprepared("SELECT import_refresh_statistics()")
            .await
            .map_err(|e| Stop::Fatal(e.to_string()))?;
        Ok(())
    }

    /// Publish progress; stop when cancelled (or the server is shutting down).
    async fn progress(&mut self) -> Result<(), Stop> {
        let progress = json!({"done": self.report.processed, "total": self.report.total_rows});
        let tenant = self.tenant();
        let cancel = async {
            let tx = self.state.db.tenant_tx(TenantId(tenant)).await?;
            let c = jobs::progress(&*tx, tenant, self.job, &progress).await?;
            tx.commit().await?;
            Ok::<_, ApiError>(c)
        }
        .await
        .map_err(|e| Stop::Fatal(e.to_string()))?;
        if cancel {
            self.report.cancelled = true;
            return Err(Stop::Cancelled);
        }
        if *self.shutdown.borrow() {
            return Err(Stop::Fatal(
                "the server stopped during the import; run it again".into(),
            ));
        }
        Ok(())
    }

    /// Count a bad row, keep its first errors for the report and its cells for the XLSX.
    async fn bad_row(&mut self, line: u64, cells: &[String], errors: Vec<ImportRowError>) {
        self.report.error_rows += 1;
        let message = errors
            .iter()
            .map(|e| match &e.column {
                Some(c) => format!("{c} : {}", e.message),
                None => e.message.clone(),
            })
            .collect::<Vec<_>>()
            .join(" ; ");
        for e in errors {
            if self.report.errors.len() < self.state.cfg.imports.report_errors {
                self.report.errors.push(e);
            } else {
                self.report.errors_truncated = true;
            }
        }
        if self.errors_file.is_none() {
            match tokio::fs::File::create(self.dir.join("errors.jsonl")).await {
                Ok(f) => self.errors_file = Some(tokio::io::BufWriter::new(f)),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot write the error report");
                    return;
                }
            }
        }
        if let Some(f) = self.errors_file.as_mut() {
            let mut line_json =
                json!({"line": line, "cells": cells, "message": message}).to_string();
            line_json.push('\n');
            let _ = f.write_all(line_json.as_bytes()).await;
        }
    }

    /// Turn the collected bad rows into `errors.xlsx`: line, original cells, errors.
    async fn finish_error_report(&mut self) -> Result<(), String> {
        let Some(mut f) = self.errors_file.take() else {
            return Ok(());
        };
        f.flush().await.map_err(|e| e.to_string())?;
        drop(f);
        let jsonl = self.dir.join("errors.jsonl");
        let out = error_report_path(&self.dir);
        let mut headers = vec!["Ligne".to_owned()];
        headers.extend(self.headers.iter().cloned());
        headers.push("Erreurs".into());
        let tmp = self.dir.clone();
        let built = tokio::task::spawn_blocking(move || -> Result<(), String> {
            use std::io::BufRead;
            let mut widths = vec![8.0];
            widths.extend(std::iter::repeat_n(18.0, headers.len() - 2));
            widths.push(60.0);
            let mut x = sheets::TableXlsx::new("Erreurs", &headers, &widths, true, &tmp)
                .map_err(|e| e.message)?;
            let n_cols = headers.len() - 2;
            let file = std::fs::File::open(&jsonl).map_err(|e| e.to_string())?;
            for line in std::io::BufReader::new(file).lines() {
                let line = line.map_err(|e| e.to_string())?;
                let v: Value = serde_json::from_str(&line).map_err(|e| e.to_string())?;
                let mut cells = vec![v["line"].to_string()];
                let original: Vec<String> =
                    serde_json::from_value(v["cells"].clone()).unwrap_or_default();
                for i in 0..n_cols {
                    cells.push(original.get(i).cloned().unwrap_or_default());
                }
                cells.push(v["message"].as_str().unwrap_or_default().to_owned());
                x.push(&cells).map_err(|e| e.message)?;
            }
            x.finish(&out).map_err(|e| e.message)?;
            let _ = std::fs::remove_file(&jsonl);
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())?;
        built?;
        self.report.has_error_report = true;
        Ok(())
    }

    /// The upsert key of a row (lower-cased), if it has one.
    fn key_of(&self, v: &RowValues) -> Option<String> {
        match (v, self.key) {
            (_, UpsertKey::None) => None,
            (RowValues::Organisation(o), UpsertKey::Name) => {
                o.name.as_ref().map(|n| n.to_lowercase())
            }
            (RowValues::Organisation(o), UpsertKey::Email) => {
                o.email.as_ref().map(|e| e.to_lowercase())
            }
            (RowValues::Person(p), UpsertKey::Name) => p.last_name.as_ref().map(|l| {
                format!(
                    "{}|{}",
                    l.to_lowercase(),
                    p.first_name.as_deref().unwrap_or("").to_lowercase()
                )
            }),
            (RowValues::Person(p), UpsertKey::Email) => p.email.clone(),
            (RowValues::Product(p), UpsertKey::Code) => p.code.as_ref().map(|c| c.to_lowercase()),
            // Keys of other kinds: refused before the run starts.
            (_, UpsertKey::Code) | (RowValues::Product(_), _) => None,
        }
    }

    /// Write a batch: chunks without repeated keys, each under a savepoint, retried row by
    /// row when the database refuses the chunk.
    async fn write_batch(
        &mut self,
        tx: &relais_store::TenantTx,
        rows: Vec<Pending>,
    ) -> Result<(), Stop> {
        let mut rest = rows;
        while !rest.is_empty() {
            let mut seen = HashSet::new();
            let mut split = rest.len();
            for (i, r) in rest.iter().enumerate() {
                if let Some(k) = self.key_of(&r.values)
                    && !seen.insert(k)
                {
                    split = i;
                    break;
                }
            }
            let tail = rest.split_off(split);
            let chunk = std::mem::replace(&mut rest, tail);
            let sp = tx.begin().await.map_err(|e| Stop::Fatal(e.to_string()))?;
            match self.write_chunk(&sp, &chunk).await {
                Ok(c) => {
                    sp.commit().await.map_err(|e| Stop::Fatal(e.to_string()))?;
                    self.apply(&chunk, c).await;
                }
                Err(_) => {
                    let _ = sp.rollback().await;
                    for row in chunk {
                        let one = std::slice::from_ref(&row);
                        let sp = tx.begin().await.map_err(|e| Stop::Fatal(e.to_string()))?;
                        match self.write_chunk(&sp, one).await {
                            Ok(c) => {
                                sp.commit().await.map_err(|e| Stop::Fatal(e.to_string()))?;
                                self.apply(one, c).await;
                            }
                            Err(e) => {
                                let _ = sp.rollback().await;
                                let err = ImportRowError {
                                    line: row.line,
                                    column: None,
                                    field: None,
                                    code: "not_written".into(),
                                    message: format!(
                                        "the row could not be written: {}",
                                        db_reason(&e)
                                    ),
                                };
                                self.bad_row(row.line, &row.cells, vec![err]).await;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    async fn apply(&mut self, chunk: &[Pending], c: ChunkCounts) {
        self.report.created += c.created;
        self.report.updated += c.updated;
        self.report.unchanged += c.unchanged;
        self.report.organisations_created += c.organisations_created;
        for (i, errs) in c.refused {
            let row = &chunk[i];
            self.bad_row(row.line, &row.cells, errs).await;
        }
    }

    fn source(&self, line: u64) -> Option<Value> {
        Some(json!({
            "type": "import",
            "import_id": self.imp.id,
            "file_name": self.imp.file_name,
            "line": line,
        }))
    }

    fn refusal(
        &self,
        row: &Pending,
        field: &str,
        code: &str,
        message: String,
    ) -> Vec<ImportRowError> {
        let column = self
            .mapping
            .iter()
            .position(|m| *m == Some(field))
            .map(|c| ui::column_name(&self.headers, c));
        vec![ImportRowError {
            line: row.line,
            column,
            field: Some(field.to_owned()),
            code: code.to_owned(),
            message,
        }]
    }

    /// Owners named by email: an active user of the firm within the import scope.
    async fn owner(
        &mut self,
        db: &impl ConnectionTrait,
        email: Option<&str>,
    ) -> Result<Option<Uuid>, (&'static str, String)> {
        let Some(email) = email else { return Ok(None) };
        if !self.owners.contains_key(email) {
            let u = User::find_by_email(db, self.tenant(), email)
                .await
                .map_err(|e| ("not_written", e.to_string()))?
                .filter(|u| u.active)
                .map(|u| (u.id, u.team_id));
            self.owners.insert(email.to_owned(), u);
        }
        match self.owners.get(email).copied().flatten() {
            None => Err(("not_found", format!("no active user has the email {email}"))),
            Some((id, team)) => {
                let rec = RecordOwner {
                    owner_id: Some(UserId(id)),
                    owner_team: team.map(TeamId),
                };
                if scope_covers(self.scope, &self.p.subject(), &rec) {
                    Ok(Some(id))
                } else {
                    Err((
                        "out_of_scope",
                        "you cannot give a record to someone outside your scope".into(),
                    ))
                }
            }
        }
    }

    fn covers(&self, scope: Scope, owner: Option<Uuid>, team: Option<Uuid>) -> bool {
        scope_covers(
            scope,
            &self.p.subject(),
            &RecordOwner {
                owner_id: owner.map(UserId),
                owner_team: team.map(TeamId),
            },
        )
    }

    async fn write_chunk(
        &mut self,
        db: &impl ConnectionTrait,
        rows: &[Pending],
    ) -> Result<ChunkCounts, ApiError> {
        match self.kind {
            ImportKind::Organisations => self.write_organisations(db, rows).await,
            ImportKind::People => self.write_people(db, rows).await,
            ImportKind::Products => self.write_products(db, rows).await,
        }
    }

    /// Products: a catalogue of hundreds, not millions: one statement per row. A row whose
    /// code matches a live product (with the `code` key) updates it; otherwise it creates one,
    /// and a code already taken is reported on the row.
    async fn write_products(
        &mut self,
        db: &impl ConnectionTrait,
        rows: &[Pending],
    ) -> Result<ChunkCounts, ApiError> {
        let tenant = self.tenant();
        let mut counts = ChunkCounts::default();
        let mut evs = Vec::new();
        let mut sources = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let RowValues::Product(v) = &row.values else {
                continue;
            };
            let code = v.code.clone().unwrap_or_default();
            let existing = match self.key {
                UpsertKey::Code => products::find_by_code(db, tenant, &code).await?,
                _ => None,
            };
            match existing {
                None => {
                    // With the `code` key the look-up above already says the code is free.
                    if !matches!(self.key, UpsertKey::Code)
                        && products::code_taken(db, tenant, &code).await?
                    {
                        counts.refused.push((
                            i,
                            self.refusal(
                                row,
                                "code",
                                "taken",
                                format!("a product is already coded {code}"),
                            ),
                        ));
                        continue;
                    }
                    let created = products::insert(db, tenant, &new_product(v)).await?;
                    evs.push(NewEvent {
                        type_: "product.created",
                        record_type: "product",
                        record_id: created.id,
                        before: None,
                        after: Some(crate::routes::products::record_json(&created)),
                    });
                    sources.push(self.source(row.line));
                    counts.created += 1;
                }
                Some(cur) => {
                    let merged = merge_product(&cur, v);
                    if same_product(&merged, &cur) {
                        counts.unchanged += 1;
                        continue;
                    }
                    let updated = products::update(db, tenant, cur.id, &merged).await?;
                    evs.push(NewEvent {
                        type_: "product.updated",
                        record_type: "product",
                        record_id: updated.id,
                        before: Some(crate::routes::products::record_json(&cur)),
                        after: Some(crate::routes::products::record_json(&updated)),
                    });
                    sources.push(self.source(row.line));
                    counts.updated += 1;
                }
            }
        }
        events::record_many(db, tenant, actor(&self.p), &evs, &sources).await?;
        Ok(counts)
    }

    async fn write_organisations(
        &mut self,
        db: &impl ConnectionTrait,
        rows: &[Pending],
    ) -> Result<ChunkCounts, ApiError> {
        let tenant = self.tenant();
        let mut counts = ChunkCounts::default();
        let keys: Vec<Option<String>> = rows.iter().map(|r| self.key_of(&r.values)).collect();
        let wanted: Vec<String> = keys.iter().flatten().cloned().collect();
        let existing = if wanted.is_empty() {
            Vec::new()
        } else {
            orgs::find_by_keys(db, tenant, self.key == UpsertKey::Email, &wanted).await?
        };
        let mut by_key: HashMap<String, Vec<&Organisation>> = HashMap::new();
        for o in &existing {
            let k = match self.key {
                UpsertKey::Email => o.email.clone().unwrap_or_default().to_lowercase(),
                _ => o.name.to_lowercase(),
            };
            by_key.entry(k).or_default().push(o);
        }
        let mut creates: Vec<(Uuid, OrgFields)> = Vec::new();
        let mut create_lines = Vec::new();
        let mut updates: Vec<(&Organisation, OrgFields)> = Vec::new();
        let mut update_lines = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let RowValues::Organisation(v) = &row.values else {
                continue;
            };
            let owner = match self.owner(db, v.owner_email.as_deref()).await {
                Ok(o) => o,
                Err((code, msg)) => {
                    counts
                        .refused
                        .push((i, self.refusal(row, "owner_email", code, msg)));
                    continue;
                }
            };
            match keys[i].as_ref().and_then(|k| by_key.get(k)) {
                None => {
                    creates.push((Uuid::now_v7(), new_org(v, owner.or(Some(self.p.user.id)))));
                    create_lines.push(row.line);
                }
                Some(found) if found.len() == 1 => {
                    let cur = found[0];
                    if !self.covers(self.scope, cur.owner_id, cur.owner_team_id) {
                        let field = if self.key == UpsertKey::Email {
                            "email"
                        } else {
                            "name"
                        };
                        counts.refused.push((
                            i,
                            self.refusal(
                                row,
                                field,
                                "out_of_scope",
                                "a matching organisation exists that you may not update".into(),
                            ),
                        ));
                        continue;
                    }
                    let merged = merge_org(cur, v, owner);
                    if same_org(&merged, cur) {
                        counts.unchanged += 1;
                    } else {
                        updates.push((cur, merged));
                        update_lines.push(row.line);
                    }
                }
                Some(found) => {
                    let field = if self.key == UpsertKey::Email {
                        "email"
                    } else {
                        "name"
                    };
                    counts.refused.push((
                        i,
                        self.refusal(
                            row,
                            field,
                            "ambiguous",
                            format!(
                                "{} organisations match this row; make the key unique",
                                found.len()
                            ),
                        ),
                    ));
                }
            }
        }
        let user = Some(self.p.user.id);
        let inserted = orgs::insert_many(db, tenant, &creates, user).await?;
        let updated = orgs::update_many(db, tenant, &updates, user).await?;
        let mut evs = Vec::with_capacity(inserted.len() + updated.len());
        let mut sources = Vec::with_capacity(evs.capacity());
        for (o, line) in inserted.iter().zip(&create_lines) {
            evs.push(NewEvent {
                type_: "organisation.created",
                record_type: "organisation",
                record_id: o.id,
                before: None,
                after: Some(org_json(o)),
            });
            sources.push(self.source(*line));
        }
        let mut moved = Vec::new();
        for ((cur, _), (new, line)) in updates.iter().zip(updated.iter().zip(&update_lines)) {
            let (before, after) = (org_json(cur), org_json(new));
            evs.push(NewEvent {
                type_: "organisation.updated",
                record_type: "organisation",
                record_id: new.id,
                before: Some(before.clone()),
                after: Some(after.clone()),
            });
            sources.push(self.source(*line));
            if cur.pipeline_stage != new.pipeline_stage {
                evs.push(NewEvent {
                    type_: "organisation.stage_changed",
                    record_type: "organisation",
                    record_id: new.id,
                    before: Some(before),
                    after: Some(after),
                });
                sources.push(self.source(*line));
                moved.push(new);
            }
        }
        events::record_many(db, tenant, actor(&self.p), &evs, &sources).await?;
        for o in moved {
            crate::routes::pipeline::run_stage_actions(db, &self.p, o).await?;
        }
        counts.created = inserted.len() as u64;
        counts.updated = updated.len() as u64;
        Ok(counts)
    }

    async fn write_people(
        &mut self,
        db: &impl ConnectionTrait,
        rows: &[Pending],
    ) -> Result<ChunkCounts, ApiError> {
        let tenant = self.tenant();
        let user = self.p.user.id;
        let mut counts = ChunkCounts::default();
        let keys: Vec<Option<String>> = rows.iter().map(|r| self.key_of(&r.values)).collect();
        let by_email = self.key == UpsertKey::Email;
        let lookups: Vec<String> = keys.iter().flatten().cloned().collect();
        let existing = if lookups.is_empty() {
            Vec::new()
        } else {
            people::find_by_keys(db, tenant, by_email, &lookups).await?
        };
        let mut by_key: HashMap<String, Vec<&Person>> = HashMap::new();
        for p in &existing {
            let k = if by_email {
                p.email.clone().unwrap_or_default()
            } else {
                format!(
                    "{}|{}",
                    p.last_name.to_lowercase(),
                    p.first_name.as_deref().unwrap_or("").to_lowercase()
                )
            };
            by_key.entry(k).or_default().push(p);
        }
        // Organisations named by the rows: existing ones the caller can read, or new ones.
        let names: Vec<String> = rows
            .iter()
            .filter_map(|r| match &r.values {
                RowValues::Person(p) => p.organisation_name.as_ref().map(|n| n.to_lowercase()),
                RowValues::Organisation(_) | RowValues::Product(_) => None,
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let found_orgs = if names.is_empty() {
            Vec::new()
        } else {
            orgs::find_by_keys(db, tenant, false, &names).await?
        };
        let mut org_by_name: HashMap<String, Vec<&Organisation>> = HashMap::new();
        for o in &found_orgs {
            let readable = self
                .org_read
                .is_some_and(|s| self.covers(s, o.owner_id, o.owner_team_id));
            if readable {
                org_by_name
                    .entry(o.name.to_lowercase())
                    .or_default()
                    .push(o);
            }
        }
        let may_create_orgs = self.imp.create_missing_organisations && self.org_create.is_some();
        let mut new_orgs: Vec<(Uuid, OrgFields)> = Vec::new();
        let mut new_org_lines = Vec::new();
        let mut new_org_ids: HashMap<String, Uuid> = HashMap::new();
        let mut creates: Vec<(Uuid, PersonFields)> = Vec::new();
        let mut create_lines = Vec::new();
        let mut updates: Vec<(Uuid, PersonFields)> = Vec::new();
        let mut update_from: Vec<&Person> = Vec::new();
        let mut update_lines = Vec::new();
        // (person, organisation, role, line, is new person)
        let mut wanted_links: Vec<(Uuid, Uuid, Option<String>, u64, bool)> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let RowValues::Person(v) = &row.values else {
                continue;
            };
            let owner = match self.owner(db, v.owner_email.as_deref()).await {
                Ok(o) => o,
                Err((code, msg)) => {
                    counts
                        .refused
                        .push((i, self.refusal(row, "owner_email", code, msg)));
                    continue;
                }
            };
            let org = match v.organisation_name.as_ref() {
                None => None,
                Some(name) => {
                    let k = name.to_lowercase();
                    match org_by_name.get(&k) {
                        Some(list) if list.len() == 1 => Some(list[0].id),
                        Some(list) => {
                            counts.refused.push((
                                i,
                                self.refusal(
                                    row,
                                    "organisation_name",
                                    "ambiguous",
                                    format!("{} organisations have this name", list.len()),
                                ),
                            ));
                            continue;
                        }
                        None if may_create_orgs => {
                            Some(*new_org_ids.entry(k).or_insert_with(|| {
                                let id = Uuid::now_v7();
                                new_orgs.push((
                                    id,
                                    new_org(
                                        &OrgValues {
                                            name: Some(name.clone()),
                                            ..Default::default()
                                        },
                                        Some(user),
                                    ),
                                ));
                                new_org_lines.push(row.line);
                                id
                            }))
                        }
                        None => {
                            counts.refused.push((
                                i,
                                self.refusal(
                                    row,
                                    "organisation_name",
                                    "not_found",
                                    format!("no organisation named {name:?}"),
                                ),
                            ));
                            continue;
                        }
                    }
                }
            };
            match keys[i].as_ref().and_then(|k| by_key.get(k)) {
                None => {
                    let id = Uuid::now_v7();
                    creates.push((id, new_person(v, owner.or(Some(user)))));
                    create_lines.push(row.line);
                    if let Some(o) = org {
                        wanted_links.push((id, o, v.job_title.clone(), row.line, true));
                    }
                }
                Some(found) if found.len() == 1 => {
                    let cur = found[0];
                    if !self.covers(self.scope, cur.owner_id, cur.owner_team_id) {
                        let field = if by_email { "email" } else { "last_name" };
                        counts.refused.push((
                            i,
                            self.refusal(
                                row,
                                field,
                                "out_of_scope",
                                "a matching person exists that you may not update".into(),
                            ),
                        ));
                        continue;
                    }
                    let merged = merge_person(cur, v, owner);
                    if let Some(o) = org {
                        wanted_links.push((cur.id, o, v.job_title.clone(), row.line, false));
                    }
                    if same_person(&merged, cur) {
                        if org.is_none() {
                            counts.unchanged += 1;
                        }
                    } else {
                        updates.push((cur.id, merged));
                        update_from.push(cur);
                        update_lines.push(row.line);
                    }
                }
                Some(found) => {
                    let field = if by_email { "email" } else { "last_name" };
                    counts.refused.push((
                        i,
                        self.refusal(
                            row,
                            field,
                            "ambiguous",
                            format!("{} people match this row; make the key unique", found.len()),
                        ),
                    ));
                }
            }
        }
        let inserted_orgs = orgs::insert_many(db, tenant, &new_orgs, Some(user)).await?;
        let inserted = people::insert_many(db, tenant, &creates).await?;
        let updated = people::update_many(db, tenant, &updates).await?;
        // Links that do not exist yet; primary when the person has none.
        let existing_people: Vec<Uuid> =
            wanted_links.iter().filter(|l| !l.4).map(|l| l.0).collect();
        let (linked, with_primary) = if existing_people.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            people::existing_links(db, tenant, &existing_people).await?
        };
        let mut primary: HashSet<Uuid> = with_primary.into_iter().collect();
        let mut link_rows = Vec::new();
        let mut link_lines = Vec::new();
        let mut linked_people: HashSet<Uuid> = HashSet::new();
        for (person, org, role, line, _) in &wanted_links {
            if linked.contains(&(*person, *org)) {
                continue;
            }
            let is_primary = primary.insert(*person);
            link_rows.push((*person, *org, role.clone(), is_primary));
            link_lines.push(*line);
            linked_people.insert(*person);
        }
        let mut linked_orgs: HashMap<Uuid, people::LinkedOrg> = HashMap::new();
        for o in found_orgs.iter().chain(&inserted_orgs) {
            linked_orgs.insert(
                o.id,
                people::LinkedOrg {
                    name: o.name.clone(),
                    org_type: o.org_type.clone(),
                    owner_id: o.owner_id,
                    owner_team_id: o.owner_team_id,
                },
            );
        }
        let links = people::insert_links_many(db, tenant, &link_rows, &linked_orgs).await?;
        let mut evs = Vec::new();
        let mut sources = Vec::new();
        for (o, line) in inserted_orgs.iter().zip(&new_org_lines) {
            evs.push(NewEvent {
                type_: "organisation.created",
                record_type: "organisation",
                record_id: o.id,
                before: None,
                after: Some(org_json(o)),
            });
            sources.push(self.source(*line));
        }
        for (p, line) in inserted.iter().zip(&create_lines) {
            evs.push(NewEvent {
                type_: "person.created",
                record_type: "person",
                record_id: p.id,
                before: None,
                after: Some(person_json(p)),
            });
            sources.push(self.source(*line));
        }
        for ((cur, new), line) in update_from.iter().zip(&updated).zip(&update_lines) {
            evs.push(NewEvent {
                type_: "person.updated",
                record_type: "person",
                record_id: new.id,
                before: Some(person_json(cur)),
                after: Some(person_json(new)),
            });
            sources.push(self.source(*line));
        }
        for (l, line) in links.iter().zip(&link_lines) {
            evs.push(NewEvent {
                type_: "person.organisation_linked",
                record_type: "person",
                record_id: l.person_id,
                before: None,
                after: Some(
                    serde_json::to_value(people_routes::link_out(l.clone())).unwrap_or_default(),
                ),
            });
            sources.push(self.source(*line));
        }
        events::record_many(db, tenant, actor(&self.p), &evs, &sources).await?;
        let updated_ids: HashSet<Uuid> = updated.iter().map(|p| p.id).collect();
        let link_only = linked_people
            .iter()
            .filter(|p| !updated_ids.contains(p) && !inserted.iter().any(|x| x.id == **p))
            .count() as u64;
        // Rows that matched a person and only added nothing new count as unchanged.
        let matched_links_only = wanted_links
            .iter()
            .filter(|l| !l.4 && !updated_ids.contains(&l.0) && !linked_people.contains(&l.0))
            .map(|l| l.0)
            .collect::<HashSet<_>>()
            .len() as u64;
        counts.created = inserted.len() as u64;
        counts.updated = updated.len() as u64 + link_only;
        counts.unchanged += matched_links_only;
        counts.organisations_created = inserted_orgs.len() as u64;
        Ok(counts)
    }
}

fn db_reason(e: &ApiError) -> String {
    match e {
        ApiError::Validation(errs) => errs
            .iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        ApiError::Conflict(_, d) | ApiError::BadRequest(_, d) => d.clone(),
        other => other.to_string(),
    }
}

fn org_json(o: &Organisation) -> Value {
    serde_json::to_value(org_routes::out(o.clone())).unwrap_or_default()
}

fn person_json(p: &Person) -> Value {
    serde_json::to_value(people_routes::out(p.clone())).unwrap_or_default()
}

fn new_org(v: &OrgValues, owner: Option<Uuid>) -> OrgFields {
    OrgFields {
        name: v.name.clone().unwrap_or_default(),
        org_type: v
            .org_type
            .unwrap_or(relais_domain::crm::OrganisationType::Investor)
            .code()
            .into(),
        category: v.category.map(|c| c.code().into()),
        pipeline_stage: v
            .pipeline_stage
            .unwrap_or(PipelineStage::Prospect)
            .code()
            .into(),
        email: v.email.clone(),
        phone: v.phone.clone(),
        website: v.website.clone(),
        address: v.address.clone(),
        city: v.city.clone(),
        postcode: v.postcode.clone(),
        country: v.country.clone(),
        notes: v.notes.clone(),
        owner_id: owner,
        active: v.active.unwrap_or(true),
        expected_amount: v.expected_amount,
        tags: v.tags.clone().unwrap_or_default(),
    }
}

/// The current fields with the row's non-empty cells over them.
fn merge_org(cur: &Organisation, v: &OrgValues, owner: Option<Uuid>) -> OrgFields {
    let mut f = OrgFields::from(cur);
    let over = |dst: &mut Option<String>, src: &Option<String>| {
        if src.is_some() {
            dst.clone_from(src);
        }
    };
    if let Some(n) = &v.name {
        f.name.clone_from(n);
    }
    if let Some(t) = v.org_type {
        f.org_type = t.code().into();
    }
    if let Some(c) = v.category {
        f.category = Some(c.code().into());
    }
    if let Some(s) = v.pipeline_stage {
        f.pipeline_stage = s.code().into();
    }
    over(&mut f.email, &v.email);
    over(&mut f.phone, &v.phone);
    over(&mut f.website, &v.website);
    over(&mut f.address, &v.address);
    over(&mut f.city, &v.city);
    over(&mut f.postcode, &v.postcode);
    over(&mut f.country, &v.country);
    over(&mut f.notes, &v.notes);
    if let Some(a) = v.active {
        f.active = a;
    }
    if v.expected_amount.is_some() {
        f.expected_amount = v.expected_amount;
    }
    if let Some(t) = &v.tags {
        f.tags.clone_from(t);
    }
    if owner.is_some() {
        f.owner_id = owner;
    }
    f
}

fn same_org(f: &OrgFields, cur: &Organisation) -> bool {
    let c = OrgFields::from(cur);
    f.name == c.name
        && f.org_type == c.org_type
        && f.category == c.category
        && f.pipeline_stage == c.pipeline_stage
        && f.email == c.email
        && f.phone == c.phone
        && f.website == c.website
        && f.address == c.address
        && f.city == c.city
        && f.postcode == c.postcode
        && f.country == c.country
        && f.notes == c.notes
        && f.owner_id == c.owner_id
        && f.active == c.active
        && f.expected_amount == c.expected_amount
        && f.tags == c.tags
}

fn new_person(v: &PersonValues, owner: Option<Uuid>) -> PersonFields {
    PersonFields {
        first_name: v.first_name.clone(),
        last_name: v.last_name.clone().unwrap_or_default(),
        email: v.email.clone(),
        phone: v.phone.clone(),
        job_title: v.job_title.clone(),
        notes: v.notes.clone(),
        owner_id: owner,
        active: v.active.unwrap_or(true),
        tags: v.tags.clone().unwrap_or_default(),
    }
}

fn merge_person(cur: &Person, v: &PersonValues, owner: Option<Uuid>) -> PersonFields {
    let mut f = PersonFields::from(cur);
    let over = |dst: &mut Option<String>, src: &Option<String>| {
        if src.is_some() {
            dst.clone_from(src);
        }
    };
    over(&mut f.first_name, &v.first_name);
    if let Some(l) = &v.last_name {
        f.last_name.clone_from(l);
    }
    over(&mut f.email, &v.email);
    over(&mut f.phone, &v.phone);
    over(&mut f.job_title, &v.job_title);
    over(&mut f.notes, &v.notes);
    if let Some(a) = v.active {
        f.active = a;
    }
    if let Some(t) = &v.tags {
        f.tags.clone_from(t);
    }
    if owner.is_some() {
        f.owner_id = owner;
    }
    f
}

fn same_person(f: &PersonFields, cur: &Person) -> bool {
    let c = PersonFields::from(cur);
    f.first_name == c.first_name
        && f.last_name == c.last_name
        && f.email == c.email
        && f.phone == c.phone
        && f.job_title == c.job_title
        && f.notes == c.notes
        && f.owner_id == c.owner_id
        && f.active == c.active
        && f.tags == c.tags
}

fn new_product(v: &ProductValues) -> ProductFields {
    ProductFields {
        name: v.name.clone().unwrap_or_default(),
        code: v.code.clone().unwrap_or_default(),
        category: v.category.map(|c| c.code().to_owned()),
        active: v.active.unwrap_or(true),
        notes: v.notes.clone(),
    }
}

/// The product after the row: empty cells keep the current values; the code is the key.
fn merge_product(cur: &Product, v: &ProductValues) -> ProductFields {
    ProductFields {
        name: v.name.clone().unwrap_or_else(|| cur.name.clone()),
        code: cur.code.clone(),
        category: v
            .category
            .map(|c| c.code().to_owned())
            .or_else(|| cur.category.clone()),
        active: v.active.unwrap_or(cur.active),
        notes: v.notes.clone().or_else(|| cur.notes.clone()),
    }
}

fn same_product(f: &ProductFields, cur: &Product) -> bool {
    f.name == cur.name
        && f.code == cur.code
        && f.category == cur.category
        && f.active == cur.active
        && f.notes == cur.notes
}
