//! Configuration from the environment (`DATABASE_URL`, `RELAIS_*`, `SMTP_URL`), with defaults,
//! validated at start-up. Secrets are `SecretString` and never logged.

use anyhow::{Context, bail};
use relais_api::ApiConfig;
use secrecy::{ExposeSecret, SecretString};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

#[derive(Clone, Debug)]
pub struct Config {
    /// The restricted application role (no BYPASSRLS, owns nothing).
    pub database_url: SecretString,
    /// The owner role that runs migrations; defaults to `database_url` (then migrations must
    /// be run separately by an owner, see docs/ADMIN.md).
    pub database_admin_url: Option<SecretString>,
    pub db_max_connections: u32,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub migrate_on_start: bool,
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    /// Run the job worker inside `relais serve`.
    pub embedded_worker: bool,
    /// Whole-request timeout of a webhook delivery (`RELAIS_WEBHOOK_TIMEOUT_SECS`, 15 s).
    pub webhook_timeout: Duration,
    /// The built web app served at `/` (`RELAIS_WEB_DIR`, default `frontend/dist`).
    pub web_dir: PathBuf,
    pub api: ApiConfig,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={v:?} is invalid: {e}")),
    }
}

fn parse_bool(name: &str, default: bool) -> anyhow::Result<bool> {
    match var(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(v) => bail!("{name}={v:?} is not a boolean (true/false)"),
    }
}

impl Config {
    /// Only what the database commands need (migrate, tenant/user/operator create).
    pub fn database_from_env() -> anyhow::Result<(SecretString, Option<SecretString>)> {
        let url = var("DATABASE_URL").context(
            "DATABASE_URL is not set (e.g. postgres://relais_app:…@127.0.0.1:5432/relais); \
             `cargo xtask run` sets it up for you",
        )?;
        Ok((
            SecretString::from(url),
            var("DATABASE_ADMIN_URL").map(SecretString::from),
        ))
    }

    pub fn from_env() -> anyhow::Result<Self> {
        let (database_url, database_admin_url) = Self::database_from_env()?;
        let jwt_secret = match var("RELAIS_JWT_SECRET") {
            Some(s) if s.len() >= 32 => SecretString::from(s),
            Some(_) => bail!("RELAIS_JWT_SECRET must be at least 32 characters"),
            None => bail!(
                "RELAIS_JWT_SECRET is not set: generate one with `openssl rand -hex 32` \
                 (`cargo xtask run` makes and keeps one in .data/jwt.secret)"
            ),
        };
        let bind: SocketAddr = parse("RELAIS_BIND", "127.0.0.1:8080".parse().expect("valid"))?;
        let mut api = ApiConfig::new(jwt_secret);
        api.access_ttl = Duration::from_secs(parse("RELAIS_ACCESS_TTL_SECS", 15 * 60)?);
        api.refresh_ttl = Duration::from_secs(parse("RELAIS_REFRESH_TTL_SECS", 30 * 24 * 3600)?);
        api.lockout_threshold = parse("RELAIS_LOCKOUT_THRESHOLD", 5)?;
        api.lockout_duration = Duration::from_secs(parse("RELAIS_LOCKOUT_SECS", 15 * 60)?);
        api.login_rate_per_minute = parse("RELAIS_LOGIN_RATE_PER_MINUTE", 5)?;
        api.max_json_bytes = parse("RELAIS_MAX_JSON_BYTES", 1024 * 1024)?;
        api.max_upload_bytes = parse("RELAIS_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)?;
        api.public_url = var("RELAIS_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}"));
        if api.access_ttl.is_zero() || api.refresh_ttl <= api.access_ttl {
            bail!("RELAIS_REFRESH_TTL_SECS must exceed RELAIS_ACCESS_TTL_SECS, both > 0");
        }
        if let Some(key) = var("RELAIS_SECRETS_KEY") {
            api.secrets_cipher = relais_store::webhooks::SecretCipher::parse(&key)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        } else {
            tracing::warn!(
                "RELAIS_SECRETS_KEY is not set: webhook secrets are encrypted with a key derived \
                 from RELAIS_JWT_SECRET (set a separate key in production, see docs/ADMIN.md)"
            );
        }
        api.webhook_policy = relais_domain::webhooks::AddressPolicy {
            allow_private: parse_bool("RELAIS_ALLOW_PRIVATE_WEBHOOKS", false)?,
            allowed: var("RELAIS_WEBHOOK_ALLOWED_CIDRS")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| {
                    relais_domain::webhooks::Cidr::parse(c)
                        .map_err(|e| anyhow::anyhow!("RELAIS_WEBHOOK_ALLOWED_CIDRS: {}", e.message))
                })
                .collect::<anyhow::Result<_>>()?,
        };
        api.imports.max_bytes = parse("RELAIS_IMPORT_MAX_BYTES", api.imports.max_bytes)?;
        api.imports.max_rows = parse("RELAIS_IMPORT_MAX_ROWS", api.imports.max_rows)?;
        api.imports.batch_rows = parse("RELAIS_IMPORT_BATCH_ROWS", api.imports.batch_rows)?;
        api.imports.workers = parse("RELAIS_IMPORT_WORKERS", api.imports.workers)?;
        api.imports.pdf_max_rows = parse("RELAIS_EXPORT_PDF_MAX_ROWS", api.imports.pdf_max_rows)?;
        api.imports.export_max_rows = parse("RELAIS_EXPORT_MAX_ROWS", api.imports.export_max_rows)?;
        api.imports.export_file_days =
            parse("RELAIS_EXPORT_FILE_DAYS", api.imports.export_file_days)?;
        if api.imports.batch_rows == 0 || api.imports.batch_rows > 10_000 {
            bail!("RELAIS_IMPORT_BATCH_ROWS must be between 1 and 10000");
        }
        if api.imports.export_file_days == 0 {
            bail!("RELAIS_EXPORT_FILE_DAYS must be at least 1");
        }
        if api.imports.workers == 0 {
            bail!("RELAIS_IMPORT_WORKERS must be at least 1");
        }
        if api.lockout_threshold < 1 {
            bail!("RELAIS_LOCKOUT_THRESHOLD must be at least 1");
        }
        Ok(Self {
            database_url,
            database_admin_url,
            db_max_connections: parse("RELAIS_DB_MAX_CONNECTIONS", 20)?,
            bind,
            data_dir: PathBuf::from(
                var("RELAIS_DATA_DIR").unwrap_or_else(|| "./.data/files".into()),
            ),
            migrate_on_start: parse_bool("RELAIS_MIGRATE_ON_START", true)?,
            smtp_url: var("SMTP_URL").map(SecretString::from),
            mail_from: var("RELAIS_MAIL_FROM")
                .unwrap_or_else(|| "Relais <no-reply@relais.localhost>".into()),
            embedded_worker: parse_bool("RELAIS_EMBEDDED_WORKER", true)?,
            webhook_timeout: Duration::from_secs(parse("RELAIS_WEBHOOK_TIMEOUT_SECS", 15)?.max(1)),
            web_dir: PathBuf::from(var("RELAIS_WEB_DIR").unwrap_or_else(|| "frontend/dist".into())),
            api,
        })
    }

    pub fn smtp_url(&self) -> Option<&str> {
        self.smtp_url.as_ref().map(|s| s.expose_secret())
    }
}
