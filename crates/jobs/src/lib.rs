//! Background workers. The runner claims due jobs from the Postgres queue (any number of
//! worker processes can run: claiming uses FOR UPDATE SKIP LOCKED), is woken by
//! LISTEN/NOTIFY, polls as a fallback, and finishes each job inside its tenant's RLS context.
//!
//! Errors: anyhow with context (this is worker code); a failed job is retried with
//! exponential backoff and its last error is stored on the row.
#![forbid(unsafe_code)]

pub mod mail;
pub mod pipeline;
pub mod webhooks;

use anyhow::Context;
use relais_domain::TenantId;
use relais_store::{
    Db,
    jobs::{self, ClaimedJob, EmailPayload, KIND_EMAIL},
};
use std::time::Duration;
use tokio::sync::watch;

pub use mail::Mailer;

/// Worker settings.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Name recorded on claimed jobs (host and pid by default).
    pub name: String,
    /// Fallback poll interval when no notification arrives.
    pub poll_interval: Duration,
    /// A running job whose worker went silent this long is claimed again.
    pub stale_after: Duration,
    pub batch: i32,
    /// Days in an open pipeline stage before an organisation is reported stuck.
    pub stuck_days: i32,
    /// How often the stuck scan (and the refresh of the search's word frequencies) runs.
    pub stuck_scan_every: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            name: format!("worker-{}", std::process::id()),
            poll_interval: Duration::from_secs(2),
            stale_after: Duration::from_secs(15 * 60),
            batch: 10,
            stuck_days: 30,
            stuck_scan_every: Duration::from_secs(3600),
        }
    }
}

const KINDS: &[&str] = &[KIND_EMAIL];

/// Run until `shutdown` turns true.
pub async fn run(db: Db, mailer: Mailer, cfg: WorkerConfig, mut shutdown: watch::Receiver<bool>) {
    tracing::info!(worker = %cfg.name, "job worker started");
    let mut listener = match db.listen("relais_jobs").await {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!(error = %e, "LISTEN failed; falling back to polling");
            None
        }
    };
    let mut last_scan: Option<std::time::Instant> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        if last_scan.is_none_or(|t| t.elapsed() >= cfg.stuck_scan_every) {
            last_scan = Some(std::time::Instant::now());
            match pipeline::scan_stuck(&db, cfg.stuck_days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(alerts = n, "stuck pipeline records reported"),
                Err(e) => tracing::error!(error = ?e, "stuck scan failed"),
            }
            // As often: the word frequencies the searches choose their look-ups by.
            match relais_store::search::refresh_word_frequencies(&db).await {
                Ok(n) => tracing::debug!(words = n, "search word frequencies refreshed"),
                Err(e) => tracing::error!(error = ?e, "search word frequencies refresh failed"),
            }
        }
        match run_once(&db, &mailer, &cfg).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = ?e, "job worker iteration failed"),
        }
        let wait = tokio::time::sleep(cfg.poll_interval);
        tokio::select! {
            _ = wait => {}
            _ = shutdown.changed() => {}
            n = async {
                match listener.as_mut() {
                    Some(l) => l.recv().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            } => {
                if let Err(e) = n {
                    tracing::warn!(error = %e, "LISTEN connection lost; polling");
                    listener = None;
                }
            }
        }
    }
    tracing::info!(worker = %cfg.name, "job worker stopped");
}

/// Claim and process one batch; returns how many jobs were handled.
pub async fn run_once(db: &Db, mailer: &Mailer, cfg: &WorkerConfig) -> anyhow::Result<usize> {
    let tx = db.platform_tx().await.context("begin claim")?;
    let claimed = jobs::claim(&*tx, &cfg.name, KINDS, cfg.batch, cfg.stale_after)
        .await
        .context("claim jobs")?;
    tx.commit().await.context("commit claim")?;
    let n = claimed.len();
    for job in claimed {
        let outcome = process(mailer, &job).await;
        let tx = db
            .tenant_tx(TenantId(job.tenant_id))
            .await
            .context("begin finish")?;
        match outcome {
            Ok(()) => jobs::succeed(&*tx, job.tenant_id, job.id).await?,
            Err(e) => {
                let retry_in = backoff(job.attempts);
                tracing::warn!(job = %job.id, kind = %job.kind, attempts = job.attempts,
                    error = %format!("{e:#}"), "job failed");
                jobs::fail(&*tx, job.tenant_id, job.id, &format!("{e:#}"), retry_in).await?;
            }
        }
        tx.commit().await.context("commit finish")?;
    }
    Ok(n)
}

async fn process(mailer: &Mailer, job: &ClaimedJob) -> anyhow::Result<()> {
    match job.kind.as_str() {
        KIND_EMAIL => {
            let payload: EmailPayload =
                serde_json::from_value(job.payload.clone()).context("email payload")?;
            mailer.send(&payload).await
        }
        other => anyhow::bail!("unknown job kind {other:?}"),
    }
}

/// 10 s, 20 s, 40 s … capped at one hour.
fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 12) as u32 - 1;
    Duration::from_secs((10u64 << exp).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_secs(10));
        assert_eq!(backoff(2), Duration::from_secs(20));
        assert_eq!(backoff(4), Duration::from_secs(80));
        assert_eq!(backoff(30), Duration::from_secs(3600));
    }
}
