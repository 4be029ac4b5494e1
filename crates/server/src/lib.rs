//! The `relais` binary's library half: configuration, wiring and the server, so that the
//! integration tests boot exactly what production runs.
#![forbid(unsafe_code)]

pub mod config;
pub mod postman;
pub mod seed;
pub mod webapp;

use actix_web::{
    App, HttpServer,
    dev::ServerHandle,
    middleware::{Compress, from_fn},
    web,
};
use anyhow::Context;
use relais_api::AppState;
use relais_store::{Db, DbConfig};
use secrecy::ExposeSecret;
use std::{net::TcpListener, time::Duration};
use tokio::sync::watch;

pub use config::Config;

/// Connect the restricted pool and check that row-level security will apply to it.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
    let db = Db::connect(&DbConfig {
        url: url.to_owned(),
        max_connections,
        acquire_timeout: Duration::from_secs(10),
    })
    .await
    .context("connecting to DATABASE_URL")?;
    db.assert_restricted_role().await?;
    Ok(db)
}

/// Apply migrations with the admin URL (or the app URL when no admin URL is configured) and
/// grant the application role its rights.
pub async fn migrate(
    cfg_db: &secrecy::SecretString,
    admin: Option<&secrecy::SecretString>,
) -> anyhow::Result<()> {
    let app_url = cfg_db.expose_secret();
    let admin_url = admin.map_or(app_url, |a| a.expose_secret());
    let app_role = relais_store::migrate::role_of_url(app_url);
    relais_store::migrate::run(admin_url, app_role.as_deref())
        .await
        .context("running migrations")?;
    Ok(())
}

/// A running server: its address and what is needed to stop it.
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub handle: ServerHandle,
    pub shutdown: watch::Sender<bool>,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
    pub worker: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stop accepting, finish in-flight requests, stop the worker.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        self.handle.stop(true).await;
        let _ = self.server.await;
        if let Some(w) = self.worker {
            let _ = w.await;
        }
    }
}

/// Build the state and start serving on `listener`, with the job worker when configured.
pub async fn start(cfg: &Config, listener: TcpListener) -> anyhow::Result<Running> {
    if cfg.migrate_on_start {
        migrate(&cfg.database_url, cfg.database_admin_url.as_ref()).await?;
    }
    let db = connect(cfg.database_url.expose_secret(), cfg.db_max_connections).await?;
    let mut api = cfg.api.clone();
    api.data_dir = cfg.data_dir.clone();
    let state = AppState::new(db.clone(), api);
    let (shutdown, shutdown_rx) = watch::channel(false);

    let worker = if cfg.embedded_worker {
        let mailer = relais_jobs::Mailer::from_url(cfg.smtp_url(), &cfg.mail_from)?;
        let wcfg = relais_jobs::WorkerConfig {
            poll_interval: Duration::from_millis(500),
            ..Default::default()
        };
        let jobs = tokio::spawn(relais_jobs::run(
            db.clone(),
            mailer,
            wcfg,
            shutdown_rx.clone(),
        ));
        let mut hooks_cfg = webhook_config(cfg);
        hooks_cfg.poll_interval = Duration::from_millis(500);
        let hooks = relais_jobs::webhooks::WebhookWorker::new(
            db.clone(),
            hooks_cfg,
            std::sync::Arc::new(relais_jobs::webhooks::SystemClock),
        )?;
        let hooks = tokio::spawn(relais_jobs::webhooks::run(hooks, shutdown_rx.clone()));
        let imports = tokio::spawn(relais_api::importer::run_worker(
            state.clone(),
            Duration::from_millis(500),
            shutdown_rx.clone(),
        ));
        Some(tokio::spawn(async move {
            let _ = jobs.await;
            let _ = hooks.await;
            let _ = imports.await;
        }))
    } else {
        None
    };

    // Forget idle rate-limit keys now and then.
    {
        let limiter = state.login_limiter.clone();
        let mut rx = shutdown_rx.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tokio::select! {
                    _ = tick.tick() => limiter.prune(),
                    _ = rx.changed() => break,
                }
            }
        });
    }

    let addr = listener.local_addr()?;
    let data = web::Data::new(state);
    let max_body = cfg.api.max_json_bytes;
    let web_dir = web::Data::new(crate::webapp::WebDir(cfg.web_dir.clone()));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .wrap(Compress::default())
            .wrap(from_fn(relais_api::middleware::request_context))
            .configure(relais_api::configure)
            .app_data(web_dir.clone())
            // The web app and its SPA fallback; unknown API paths stay problem+json 404s.
            .default_service(web::to(crate::webapp::serve))
    })
    .listen(listener)?
    .shutdown_timeout(20)
    .disable_signals()
    .run();
    let handle = server.handle();
    let server = tokio::spawn(server);
    Ok(Running {
        addr,
        handle,
        shutdown,
        server,
        worker,
    })
}

/// Webhook worker settings from the configuration (secrets key, address policy).
pub fn webhook_config(cfg: &Config) -> relais_jobs::webhooks::WebhookConfig {
    relais_jobs::webhooks::WebhookConfig::with_timeout(
        cfg.api.secrets_cipher.clone(),
        cfg.api.webhook_policy.clone(),
        cfg.webhook_timeout,
    )
}

/// Initialise JSON logs (RUST_LOG filters; default `info`).
pub fn init_tracing() {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
