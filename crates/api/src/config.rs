use secrecy::SecretString;
use std::time::Duration;

/// What the API needs to know. Built by the server from the environment and validated there.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// HMAC key for access tokens (HS256), at least 32 bytes.
    pub jwt_secret: SecretString,
    pub jwt_issuer: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub reset_ttl: Duration,
    /// Failed logins before an account locks, and for how long.
    pub lockout_threshold: i32,
    pub lockout_duration: Duration,
    /// Login (and password-reset request) attempts allowed per client IP and minute.
    pub login_rate_per_minute: u32,
    /// Largest JSON body accepted, in bytes.
    pub max_json_bytes: usize,
    /// Where the web app is reachable, for links in emails.
    pub public_url: String,
    /// Root of stored files (documents under `<data_dir>/<tenant>/documents/`).
    pub data_dir: std::path::PathBuf,
    /// Largest uploaded file, in bytes.
    pub max_upload_bytes: u64,
    /// Concurrent password hashes; each takes ~19 MiB and one core for tens of milliseconds.
    pub hash_concurrency: usize,
    /// Encrypts webhook signing secrets at rest (`RELAIS_SECRETS_KEY`; derived from the JWT
    /// secret when unset).
    pub secrets_cipher: relais_store::webhooks::SecretCipher,
    /// Which addresses webhook endpoints may point at (`RELAIS_ALLOW_PRIVATE_WEBHOOKS`,
    /// `RELAIS_WEBHOOK_ALLOWED_CIDRS`).
    pub webhook_policy: relais_domain::webhooks::AddressPolicy,
    /// Limits of imports and exports.
    pub imports: ImportLimits,
}

/// Bounds on imported files and exports (`RELAIS_IMPORT_*`, `RELAIS_EXPORT_*`).
#[derive(Clone, Debug)]
pub struct ImportLimits {
    /// Largest uploaded file (`RELAIS_IMPORT_MAX_BYTES`, 100 MiB).
    pub max_bytes: u64,
    /// Most data rows in one file (`RELAIS_IMPORT_MAX_ROWS`, 1,000,000).
    pub max_rows: u64,
    /// Rows written per statement batch (`RELAIS_IMPORT_BATCH_ROWS`, 1,000).
    pub batch_rows: usize,
    /// Columns per row.
    pub max_columns: usize,
    /// Largest uncompressed part of a workbook (zip bombs), 1 GiB.
    pub max_expanded_bytes: u64,
    /// Rows shown in a preview.
    pub preview_rows: usize,
    /// Errors kept in the report (every bad row is in the XLSX error report).
    pub report_errors: usize,
    /// Imports running at once in one process (`RELAIS_IMPORT_WORKERS`, 2).
    pub workers: usize,
    /// Rows of a PDF export; the rest is left out with a note (`RELAIS_EXPORT_PDF_MAX_ROWS`).
    pub pdf_max_rows: usize,
    /// Rows of one CSV or XLSX export (`RELAIS_EXPORT_MAX_ROWS`, 1,000,000).
    pub export_max_rows: u64,
    /// Days an export written by a background job stays downloadable
    /// (`RELAIS_EXPORT_FILE_DAYS`, 7).
    pub export_file_days: u32,
    /// Rows an export hands to its writer at a time (a job reports progress and checks for
    /// cancellation after each such page), 2,000.
    pub export_page_rows: u64,
}

impl ImportLimits {
    /// How long an export file is kept.
    pub fn export_file_ttl(&self) -> Duration {
        Duration::from_secs(u64::from(self.export_file_days) * 24 * 3600)
    }
}

impl Default for ImportLimits {
    fn default() -> Self {
        Self {
            max_bytes: 100 * 1024 * 1024,
            max_rows: 1_000_000,
            batch_rows: 1_000,
            max_columns: 200,
            max_expanded_bytes: 1 << 30,
            preview_rows: 10,
            report_errors: 1_000,
            workers: 2,
            pdf_max_rows: 5_000,
            export_max_rows: 1_000_000,
            export_file_days: 7,
            export_page_rows: 2_000,
        }
    }
}

impl ApiConfig {
    /// Sensible defaults around a secret; the server overrides from the environment.
    pub fn new(jwt_secret: SecretString) -> Self {
        let secrets_cipher = relais_store::webhooks::SecretCipher::derived_from(
            secrecy::ExposeSecret::expose_secret(&jwt_secret),
        );
        Self {
            jwt_secret,
            jwt_issuer: "relais".into(),
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            reset_ttl: Duration::from_secs(24 * 3600),
            lockout_threshold: 5,
            lockout_duration: Duration::from_secs(15 * 60),
            login_rate_per_minute: 5,
            max_json_bytes: 1024 * 1024,
            public_url: "http://127.0.0.1:8080".into(),
            data_dir: std::path::PathBuf::from("./.data/files"),
            max_upload_bytes: 20 * 1024 * 1024,
            hash_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            secrets_cipher,
            webhook_policy: Default::default(),
            imports: ImportLimits::default(),
        }
    }
}
