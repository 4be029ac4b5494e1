//! `relais`: the Relais server and its administration commands.

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use relais_api::{password::Hasher, provision};
use relais_domain::{EmailAddress, Password, PersonName, TenantId};
use relais_server::Config;
use relais_store::{
    roles::Role,
    tenants::Tenant,
    users::{NewUser, User},
};
use relais_types::{Locale, TenantIn};
use secrecy::ExposeSecret;
use std::{path::PathBuf, process::ExitCode};

#[derive(Parser)]
#[command(name = "relais", version, about = "Relais — multi-tenant CRM server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and run the job worker) on RELAIS_BIND until SIGINT/SIGTERM.
    Serve,
    /// Run only the job worker (for scaling out).
    Worker,
    /// Apply database migrations (as DATABASE_ADMIN_URL, else DATABASE_URL).
    Migrate,
    /// Platform operators.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Tenants (firms).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Users of a tenant.
    #[command(subcommand)]
    User(UserCommand),
    /// Fill a tenant with realistic French demo data (teams, users, organisations …).
    /// Does nothing when the tenant already has organisations.
    SeedDemo {
        /// Tenant slug.
        #[arg(long, default_value = "demo")]
        tenant: String,
    },
    /// Write the Postman collection and environment generated from the OpenAPI document
    /// (or check that the committed ones are current).
    Postman {
        #[arg(long)]
        check: bool,
    },
    /// Write the OpenAPI document (or check that the committed one is current).
    Openapi {
        /// Fail if the file differs from what the code generates.
        #[arg(long)]
        check: bool,
        #[arg(long, default_value = "openapi/openapi.json")]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create an operator, or reset the password of an existing one.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, env = "RELAIS_OPERATOR_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant with its built-in roles and first administrator.
    Create(TenantCreate),
}

#[derive(Args)]
struct TenantCreate {
    #[arg(long)]
    slug: String,
    #[arg(long)]
    name: String,
    #[arg(long)]
    admin_email: String,
    #[arg(long, env = "RELAIS_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: String,
    #[arg(long, default_value = "Administrateur")]
    admin_name: String,
    /// fr or en.
    #[arg(long, default_value = "fr")]
    locale: String,
    /// Make the administrator choose a new password at first sign-in.
    #[arg(long)]
    must_change_password: bool,
    /// Succeed without changes when the slug already exists.
    #[arg(long)]
    if_not_exists: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user in a tenant.
    Create {
        /// Tenant slug.
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long, env = "RELAIS_USER_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        name: String,
        /// Role key: admin, manager, user, viewer or a custom role's key.
        #[arg(long, default_value = "user")]
        role: String,
        /// Make the user choose a new password at first sign-in.
        #[arg(long)]
        must_change_password: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    relais_server::init_tracing();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => serve().await,
        Command::Worker => worker().await,
        Command::Migrate => {
            let (url, admin) = Config::database_from_env()?;
            relais_server::migrate(&url, admin.as_ref()).await?;
            println!(
                "migrations applied (schema version {})",
                relais_store::migrate::latest_version()
            );
            Ok(())
        }
        Command::Operator(OperatorCommand::Create { email, password }) => {
            let db = cli_db().await?;
            let op = provision::upsert_operator(&db, &hasher(), &email, &password)
                .await
                .map_err(api_err)?;
            println!("operator {} ({})", op.email, op.id);
            Ok(())
        }
        Command::Tenant(TenantCommand::Create(t)) => tenant_create(t).await,
        Command::User(UserCommand::Create {
            tenant,
            email,
            password,
            name,
            role,
            must_change_password,
        }) => {
            let db = cli_db().await?;
            let email = EmailAddress::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let password =
                Password::parse(&password).map_err(|e| anyhow::anyhow!("--password: {e}"))?;
            let name = PersonName::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let hash = hasher().hash(password.expose()).await.map_err(api_err)?;
            let ptx = db.platform_tx().await?;
            let t = Tenant::find_by_slug(&*ptx, &tenant)
                .await?
                .with_context(|| format!("no tenant with slug {tenant:?}"))?;
            ptx.commit().await?;
            let tx = db.tenant_tx(TenantId(t.id)).await?;
            let r = Role::find_by_key(&*tx, t.id, &role)
                .await?
                .with_context(|| format!("no role {role:?} in tenant {tenant:?}"))?;
            let user = User::insert(
                &*tx,
                t.id,
                &NewUser {
                    email: email.as_str(),
                    full_name: name.as_str(),
                    password_hash: &hash,
                    role_id: r.id,
                    team_id: None,
                    locale: &t.locale,
                    must_change_password,
                },
            )
            .await
            .map_err(|e| api_err(e.into()))?;
            tx.commit().await?;
            println!(
                "user {} ({}) with role {} in {}",
                user.email, user.id, r.key, t.slug
            );
            Ok(())
        }
        Command::SeedDemo { tenant } => {
            let db = cli_db().await?;
            let hash = hasher()
                .hash(relais_server::seed::DEMO_USER_PASSWORD)
                .await
                .map_err(api_err)?;
            let n = relais_server::seed::seed_demo(&db, &tenant, &hash).await?;
            if n == 0 {
                println!("tenant {tenant} already has data; nothing seeded");
            } else {
                println!(
                    "seeded {n} organisations in {tenant}; demo users sign in with the password {}",
                    relais_server::seed::DEMO_USER_PASSWORD
                );
            }
            Ok(())
        }
        Command::Openapi { check, output } => openapi(check, &output),
        Command::Postman { check } => postman(check),
    }
}

fn api_err(e: relais_api::ApiError) -> anyhow::Error {
    let p = e.to_problem();
    let fields: Vec<String> = p
        .errors
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    if fields.is_empty() {
        anyhow::anyhow!("{}", p.detail.unwrap_or(p.title))
    } else {
        anyhow::anyhow!("{}", fields.join("; "))
    }
}

fn hasher() -> Hasher {
    Hasher::new(2)
}

async fn cli_db() -> anyhow::Result<relais_store::Db> {
    let (url, _) = Config::database_from_env()?;
    relais_server::connect(url.expose_secret(), 2).await
}

async fn tenant_create(t: TenantCreate) -> anyhow::Result<()> {
    let db = cli_db().await?;
    if t.if_not_exists {
        let ptx = db.platform_tx().await?;
        let existing = Tenant::find_by_slug(&*ptx, &t.slug).await?;
        ptx.commit().await?;
        if let Some(existing) = existing {
            println!("tenant {} already exists ({})", existing.slug, existing.id);
            return Ok(());
        }
    }
    let locale = match t.locale.as_str() {
        "fr" => Locale::Fr,
        "en" => Locale::En,
        other => bail!("--locale {other:?}: expected fr or en"),
    };
    let input = TenantIn {
        slug: t.slug,
        name: t.name,
        locale: Some(locale),
        time_zone: None,
        admin_email: t.admin_email,
        admin_full_name: Some(t.admin_name),
        admin_password: t.admin_password,
    };
    let (tenant, admin) = provision::create_tenant(&db, &hasher(), &input, t.must_change_password)
        .await
        .map_err(api_err)?;
    println!(
        "tenant {} ({}) created; administrator {}",
        tenant.slug, tenant.id, admin.email
    );
    Ok(())
}

fn openapi(check: bool, output: &std::path::Path) -> anyhow::Result<()> {
    let doc = relais_api::openapi::document_json();
    if check {
        let current = std::fs::read_to_string(output)
            .with_context(|| format!("reading {}", output.display()))?;
        if current != doc {
            bail!(
                "{} is out of date: run `relais openapi` (or `cargo run -p relais-server -- openapi`) and commit it",
                output.display()
            );
        }
        println!("{} is up to date", output.display());
    } else {
        if let Some(dir) = output.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(output, doc)?;
        println!("wrote {}", output.display());
    }
    Ok(())
}

fn postman(check: bool) -> anyhow::Result<()> {
    for (path, content) in relais_server::postman::files() {
        let path = std::path::Path::new(path);
        if check {
            let current = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            if current != content {
                bail!(
                    "{} is out of date: run `relais postman` and commit it",
                    path.display()
                );
            }
            println!("{} is up to date", path.display());
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, content)?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

async fn serve() -> anyhow::Result<()> {
    let cfg = Config::from_env()?;
    let listener = std::net::TcpListener::bind(cfg.bind)
        .with_context(|| format!("cannot listen on {}", cfg.bind))?;
    let running = relais_server::start(&cfg, listener).await?;
    tracing::info!(addr = %running.addr, "relais listening");
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

async fn worker() -> anyhow::Result<()> {
    let cfg = Config::from_env()?;
    let db = relais_server::connect(cfg.database_url.expose_secret(), 10).await?;
    let mailer = relais_jobs::Mailer::from_url(cfg.smtp_url(), &cfg.mail_from)?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let hooks = relais_jobs::webhooks::WebhookWorker::new(
        db.clone(),
        relais_server::webhook_config(&cfg),
        std::sync::Arc::new(relais_jobs::webhooks::SystemClock),
    )?;
    let hooks = tokio::spawn(relais_jobs::webhooks::run(hooks, rx.clone()));
    let mut api = cfg.api.clone();
    api.data_dir = cfg.data_dir.clone();
    let state = relais_api::AppState::new(db.clone(), api);
    let imports = tokio::spawn(relais_api::importer::run_worker(
        state,
        std::time::Duration::from_secs(2),
        rx.clone(),
    ));
    let handle = tokio::spawn(relais_jobs::run(db, mailer, Default::default(), rx));
    shutdown_signal().await;
    let _ = tx.send(true);
    let _ = handle.await;
    let _ = hooks.await;
    let _ = imports.await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
