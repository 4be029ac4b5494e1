//! Imports, exports and background jobs.

use chrono::{DateTime, Utc};
use relais_domain::imports::{ImportKind, ImportMode, UpsertKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The form of `POST /api/v1/imports` (multipart/form-data).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportUpload {
    /// `organisations`, `people` or `products`.
    #[serde(rename = "type")]
    pub type_: ImportKind,
    /// The file: CSV (UTF-8 or Windows-1252; `,` `;` or tab), XLSX, XLS or ODS.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Binary))]
    pub file: String,
    /// Force an encoding instead of detecting it: `utf-8` or `windows-1252`.
    #[serde(default)]
    pub encoding: Option<String>,
    /// Force a delimiter: `,`, `;` or `tab`.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// Worksheet to read (workbooks); the first one by default.
    #[serde(default)]
    pub sheet: Option<String>,
}

/// A field a column can be mapped to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportFieldOut {
    pub key: String,
    /// The French template header, e.g. `code_postal`.
    pub header: String,
    /// English label.
    pub label: String,
    pub required: bool,
}

/// A problem with one row (or one cell).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRowError {
    /// Line of the CSV file (1 is the header) or row of the sheet.
    pub line: u64,
    /// Header of the column at fault, when the error is about one cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Stable code, e.g. `invalid_email`, `required`, `ambiguous`, `out_of_scope`.
    pub code: String,
    pub message: String,
}

/// A row of the preview: the values as they will be imported, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportPreviewRow {
    pub line: u64,
    /// Field key → value, normalised as stored (`type` → `investor`, amounts as numbers).
    pub values: BTreeMap<String, String>,
    pub errors: Vec<ImportRowError>,
}

/// What a run did (or, for a dry run, would do).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub dry_run: bool,
    pub mode: Option<ImportMode>,
    pub upsert_key: Option<UpsertKey>,
    /// Data rows in the file.
    pub total_rows: u64,
    /// Rows looked at (all of them unless cancelled).
    pub processed: u64,
    pub created: u64,
    pub updated: u64,
    /// Rows that matched a record without changing it.
    pub unchanged: u64,
    /// Rows not written (bad rows; every row of a failed all-or-nothing run).
    pub skipped: u64,
    /// Rows with at least one error.
    pub error_rows: u64,
    /// Organisations created by a people import from `organisation_nom`.
    pub organisations_created: u64,
    /// The first errors (all of them are in the XLSX error report).
    pub errors: Vec<ImportRowError>,
    pub errors_truncated: bool,
    /// The run was cancelled before the end.
    pub cancelled: bool,
    /// `GET /api/v1/imports/{id}/errors.xlsx` has the bad rows.
    pub has_error_report: bool,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: u64,
}

/// An import: the uploaded file, what was detected, the options chosen and the last report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"id": "0194c1d2-0000-7000-8000-00000000a001", "type": "organisations", "status": "ready", "file_name": "prospects.csv", "format": "csv", "size_bytes": 1834, "encoding": "windows-1252", "delimiter": ";", "sheet": null, "sheets": [], "headers": ["Nom", "Ville", "Code postal"], "mapping": ["name", "city", "postcode"], "fields": [{"key": "name", "header": "nom", "label": "Name", "required": true}], "upsert_key": "name", "upsert_keys": ["none", "name", "email"], "mode": "all_or_nothing", "create_missing_organisations": true, "preview": [{"line": 2, "values": {"name": "Banque Lumière Gestion", "city": "Paris", "postcode": "75002"}, "errors": []}], "job_id": null, "report": null, "error": null, "committed": false, "created_by": "0194b8a0-1f2e-7a3b-8c4d-5e6f70819201", "created_at": "2026-02-03T10:00:00Z", "updated_at": "2026-02-03T10:00:00Z", "finished_at": null}))))]
pub struct ImportOut {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub type_: ImportKind,
    /// `ready` (mapping editable), `validating` (dry run running), `validated` (dry run
    /// done), `running`, `completed`, `failed`, `cancelled`.
    pub status: String,
    pub file_name: String,
    /// `csv`, `xlsx`, `xls` or `ods`, detected from the bytes.
    pub format: String,
    pub size_bytes: i64,
    /// CSV only: `utf-8` or `windows-1252`.
    pub encoding: Option<String>,
    /// CSV only: `,`, `;` or a tab.
    pub delimiter: Option<String>,
    /// Workbooks: the sheet read, and every sheet.
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
    pub headers: Vec<String>,
    /// For each column, the field it imports into (`null`: ignored).
    pub mapping: Vec<Option<String>>,
    /// The fields of this type.
    pub fields: Vec<ImportFieldOut>,
    pub upsert_key: UpsertKey,
    /// The keys this type can match records by: `none`, `name`, `email` (organisations,
    /// people); `none`, `code` (products).
    pub upsert_keys: Vec<UpsertKey>,
    pub mode: ImportMode,
    /// People imports: create organisations named in `organisation_nom` that do not exist.
    pub create_missing_organisations: bool,
    /// The first rows as they will be imported with the current mapping.
    pub preview: Vec<ImportPreviewRow>,
    /// The job of the current or last run (`GET /api/v1/jobs/{id}` for progress).
    pub job_id: Option<Uuid>,
    pub report: Option<ImportReport>,
    /// Why the last run failed as a whole (unreadable file, lost permission…).
    pub error: Option<String>,
    /// A real run wrote rows: the import cannot run again.
    pub committed: bool,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Change how a file is read or imported (only before a real run). Changing the encoding,
/// delimiter or sheet reads the file again and detects the mapping again.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"mapping": ["name", null, "city"], "upsert_key": "name", "mode": "skip_errors"}))))]
#[serde(deny_unknown_fields)]
pub struct ImportPatch {
    /// One entry per column: a field key, or `null` to ignore the column.
    pub mapping: Option<Vec<Option<String>>>,
    /// One of the import's `upsert_keys` (`code` for products only); another is 422.
    pub upsert_key: Option<UpsertKey>,
    pub mode: Option<ImportMode>,
    pub create_missing_organisations: Option<bool>,
    /// `utf-8` or `windows-1252`.
    pub encoding: Option<String>,
    /// `,`, `;` or `tab`.
    pub delimiter: Option<String>,
    pub sheet: Option<String>,
}

/// How far a job got.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobProgress {
    pub done: u64,
    /// `null` until known.
    pub total: Option<u64>,
}

/// A background job (imports and large exports run as jobs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"id": "0194c1d2-0000-7000-8000-00000000b001", "kind": "import.run", "status": "running", "progress": {"done": 12000, "total": 100000}, "attempts": 1, "last_error": null, "cancel_requested": false, "result": "/api/v1/imports/0194c1d2-0000-7000-8000-00000000a001", "created_at": "2026-02-03T10:00:00Z", "updated_at": "2026-02-03T10:00:02Z", "finished_at": null}))))]
pub struct JobOut {
    pub id: Uuid,
    /// `import.run` or `export`.
    pub kind: String,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    pub progress: Option<JobProgress>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub cancel_requested: bool,
    /// Where the result is: the import it runs, or, once an export succeeded, the file to
    /// download (`/api/v1/exports/files/{id}`).
    pub result: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}
