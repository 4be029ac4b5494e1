//! `cargo xtask run`: Relais on this machine with a demo tenant, from a fresh clone.
//!
//! Everything it creates lives in `<root>/.data` (ignored by git) and is reused by the next
//! run: the PostgreSQL cluster, uploaded files, the JWT secret (so sessions survive a restart)
//! and the demo password (so the one printed last time keeps working).

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::apt::{self, Tool};
use crate::pg::{self, PgCluster};
use crate::{Result, random, sys};

const DEFAULT_PG_PORT: u16 = 54329;
const DEFAULT_BIND: &str = "127.0.0.1:8080";
const DATABASE: &str = "relais";
const DEMO_TENANT: &str = "demo";
const DEMO_TENANT_NAME: &str = "Démo Conseil";
const DEMO_EMAIL: &str = "admin@demo.relais.test";
const DEMO_PASSWORD_KEY: &str = "RELAIS_DEMO_PASSWORD";
/// How long the server may take to shut down gracefully after Ctrl+C before it is killed.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs the whole sequence; returns the server's exit status (success after Ctrl+C).
pub fn run(root: &Path) -> Result<ExitCode> {
    let interrupted = sys::interrupt_flag()?;
    apt::ensure_packages(&[Tool::Postgres])?;
    let data_dir = root.join(".data");
    let cluster = PgCluster::new(data_dir.join("pg"), pg_port()?)?;
    cluster.init_if_missing()?;
    sys::check_interrupted(&interrupted)?;
    cluster.start("")?;
    let outcome = run_with_database(root, &data_dir, &cluster, &interrupted);
    println!("stopping PostgreSQL");
    sys::with_cleanup(outcome, cluster.stop("fast"))
}

/// The steps that need the running cluster; the caller stops it whatever happens here.
fn run_with_database(
    root: &Path,
    data_dir: &Path,
    cluster: &PgCluster,
    interrupted: &AtomicBool,
) -> Result<ExitCode> {
    cluster.ensure_roles_and_db(DATABASE)?;
    sys::check_interrupted(interrupted)?;

    let relais = build_server(root)?;
    sys::check_interrupted(interrupted)?;
    let web_dir = crate::web::build(root)?;
    sys::check_interrupted(interrupted)?;

    let env = ServerEnv::prepare(data_dir, cluster)?;
    sys::run(env.command(&relais).arg("migrate"))?;
    sys::check_interrupted(interrupted)?;

    let demo_env_path = data_dir.join("demo.env");
    let password = demo_password(&demo_env_path)?;
    sys::run(env.command(&relais).args([
        "tenant",
        "create",
        "--slug",
        DEMO_TENANT,
        "--name",
        DEMO_TENANT_NAME,
        "--admin-email",
        DEMO_EMAIL,
        "--admin-password",
        &password,
        "--if-not-exists",
    ]))?;
    // Realistic French demo data, once (the command does nothing when data exists).
    sys::run(
        env.command(&relais)
            .args(["seed-demo", "--tenant", DEMO_TENANT]),
    )?;
    write_private_file(&demo_env_path, &demo_env(&env, &password))?;
    sys::check_interrupted(interrupted)?;

    println!(
        "{}",
        render_box(&[
            "Relais is starting".to_string(),
            String::new(),
            format!("  URL       {}", browse_url(&env.bind)),
            format!("  Tenant    {DEMO_TENANT}"),
            format!("  Email     {DEMO_EMAIL}"),
            format!("  Password  {password}"),
            String::new(),
            "Ctrl+C to stop".to_string(),
        ])
    );
    let mut server = env
        .command(&relais)
        .env("RELAIS_WEB_DIR", &web_dir)
        .arg("serve")
        .spawn()
        .map_err(|err| format!("could not start {}: {err}", relais.display()))?;
    let status = wait_for_server(&mut server, interrupted)?;
    if interrupted.load(Ordering::SeqCst) {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(exit_code(status))
    }
}

/// The PostgreSQL port: `RELAIS_PG_PORT` if set, so two checkouts can run side by side.
fn pg_port() -> Result<u16> {
    match std::env::var("RELAIS_PG_PORT") {
        Ok(value) => value
            .trim()
            .parse()
            .map_err(|_| format!("RELAIS_PG_PORT must be a TCP port number, not `{value}`")),
        Err(_) => Ok(DEFAULT_PG_PORT),
    }
}

/// Builds the server binary and returns its path.
pub fn build_server(root: &Path) -> Result<PathBuf> {
    sys::run(sys::cargo(root).args(["build", "-p", "relais-server", "--bin", "relais"]))?;
    let target_dir = target_dir(root, std::env::var_os("CARGO_TARGET_DIR"));
    Ok(target_dir.join("debug").join("relais"))
}

/// Cargo's target directory: `configured` (the value of `CARGO_TARGET_DIR`, relative to the
/// root, where cargo runs) when set, `<root>/target` otherwise.
fn target_dir(root: &Path, configured: Option<OsString>) -> PathBuf {
    match configured {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// The configuration handed to every `relais` invocation. Variables the caller set and that
/// are not listed here (SMTP_URL, REDIS_URL, RUST_LOG, …) are inherited unchanged.
struct ServerEnv {
    database_url: String,
    admin_url: String,
    bind: String,
    files_dir: PathBuf,
    jwt_secret: String,
}

impl ServerEnv {
    fn prepare(data_dir: &Path, cluster: &PgCluster) -> Result<Self> {
        let files_dir = data_dir.join("files");
        sys::create_dir_all(&files_dir)?;
        Ok(Self {
            database_url: cluster.url(pg::APP_ROLE, DATABASE),
            admin_url: cluster.url(pg::OWNER_ROLE, DATABASE),
            bind: std::env::var("RELAIS_BIND").unwrap_or_else(|_| DEFAULT_BIND.to_string()),
            files_dir,
            jwt_secret: jwt_secret(&data_dir.join("jwt.secret"))?,
        })
    }

    fn command(&self, relais: &Path) -> Command {
        let mut cmd = Command::new(relais);
        cmd.env("DATABASE_URL", &self.database_url)
            .env("DATABASE_ADMIN_URL", &self.admin_url)
            .env("RELAIS_BIND", &self.bind)
            .env("RELAIS_DATA_DIR", &self.files_dir)
            .env("RELAIS_JWT_SECRET", &self.jwt_secret)
            .env("RELAIS_MIGRATE_ON_START", "true");
        cmd
    }
}

/// The JWT signing secret, generated on first use and then kept so that logins survive a
/// restart of the server.
fn jwt_secret(path: &Path) -> Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim();
        if !existing.is_empty() {
            return Ok(existing.to_string());
        }
    }
    let secret = random::hex(48)?;
    write_private_file(path, &format!("{secret}\n"))?;
    Ok(secret)
}

/// The demo administrator's password: the one recorded by an earlier run, so that it keeps
/// matching the account already in the database, or a new random one.
fn demo_password(demo_env: &Path) -> Result<String> {
    let recorded = std::fs::read_to_string(demo_env)
        .ok()
        .and_then(|text| env_file_value(&text, DEMO_PASSWORD_KEY));
    match recorded {
        Some(password) if !password.is_empty() => Ok(password),
        _ => random::alphanumeric(16),
    }
}

/// The value of `key` in a `KEY=VALUE` file; blank lines and `#` comments are skipped and
/// the last assignment wins, as in a shell.
fn env_file_value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .rev()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .find(|(name, _)| name.trim() == key)
        .map(|(_, value)| value.trim().to_string())
}

/// The contents of `.data/demo.env`: how to reach the running instance, for people and for
/// scripts (e.g. API tests) that want to log in as the demo administrator.
fn demo_env(env: &ServerEnv, password: &str) -> String {
    format!(
        "DATABASE_URL={}\nRELAIS_BIND={}\nRELAIS_DEMO_TENANT={DEMO_TENANT}\n\
         RELAIS_DEMO_EMAIL={DEMO_EMAIL}\n{DEMO_PASSWORD_KEY}={password}\n",
        env.database_url, env.bind
    )
}

/// Writes a file readable only by its owner, since it holds a secret.
fn write_private_file(path: &Path, contents: &str) -> Result {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| file.write_all(contents.as_bytes()))
        .map_err(|err| format!("could not write {}: {err}", path.display()))
}

/// The address to open in a browser: a wildcard bind address is not one you can browse to.
fn browse_url(bind: &str) -> String {
    let host_port = if let Some(port) = bind.strip_prefix("0.0.0.0:") {
        format!("127.0.0.1:{port}")
    } else if let Some(port) = bind.strip_prefix("[::]:") {
        format!("[::1]:{port}")
    } else {
        bind.to_string()
    };
    format!("http://{host_port}")
}

/// Frames `lines` in a box so the login details stand out from the build and server logs.
fn render_box(lines: &[String]) -> String {
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let rule = "─".repeat(width + 2);
    let mut out = format!("┌{rule}┐\n");
    for line in lines {
        let padding = " ".repeat(width - line.chars().count());
        out += &format!("│ {line}{padding} │\n");
    }
    out += &format!("└{rule}┘");
    out
}

/// Waits for the server to exit. After Ctrl+C (which the server receives from the terminal
/// too) it gets [`SHUTDOWN_GRACE`] to finish its requests before being killed.
fn wait_for_server(server: &mut Child, interrupted: &AtomicBool) -> Result<ExitStatus> {
    let mut interrupted_at: Option<Instant> = None;
    loop {
        if let Some(status) = server
            .try_wait()
            .map_err(|err| format!("could not wait for the relais server: {err}"))?
        {
            return Ok(status);
        }
        if interrupted.load(Ordering::SeqCst) {
            let since = *interrupted_at.get_or_insert_with(Instant::now);
            if since.elapsed() > SHUTDOWN_GRACE {
                eprintln!(
                    "relais did not stop within {} s; killing it",
                    SHUTDOWN_GRACE.as_secs()
                );
                // It may have exited meanwhile: `wait` below reports the real outcome.
                let _ = server.kill();
                return server
                    .wait()
                    .map_err(|err| format!("could not wait for the relais server: {err}"));
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Our exit code mirrors the server's; a signal death maps to 128 + signal, like a shell.
fn exit_code(status: ExitStatus) -> ExitCode {
    let code = status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_value_skips_comments_and_takes_the_last_assignment() {
        let text = "# demo\nRELAIS_DEMO_TENANT=demo\n\nRELAIS_DEMO_PASSWORD=old\n\
                    RELAIS_DEMO_PASSWORD = s3cret=x \n";
        assert_eq!(
            env_file_value(text, "RELAIS_DEMO_PASSWORD").as_deref(),
            Some("s3cret=x")
        );
        assert_eq!(
            env_file_value(text, "RELAIS_DEMO_TENANT").as_deref(),
            Some("demo")
        );
        assert_eq!(env_file_value(text, "MISSING"), None);
        assert_eq!(
            env_file_value("#RELAIS_DEMO_PASSWORD=x", "RELAIS_DEMO_PASSWORD"),
            None
        );
    }

    #[test]
    fn demo_env_round_trips_the_password() {
        let env = ServerEnv {
            database_url: "postgres://relais_app:relais_app@127.0.0.1:54329/relais".into(),
            admin_url: String::new(),
            bind: DEFAULT_BIND.into(),
            files_dir: PathBuf::new(),
            jwt_secret: String::new(),
        };
        let text = demo_env(&env, "Abc123");
        assert!(text.starts_with("DATABASE_URL=postgres://relais_app:"));
        assert!(text.contains("\nRELAIS_DEMO_EMAIL=admin@demo.relais.test\n"));
        assert_eq!(
            env_file_value(&text, DEMO_PASSWORD_KEY).as_deref(),
            Some("Abc123")
        );
        assert_eq!(
            env_file_value(&text, "RELAIS_BIND").as_deref(),
            Some(DEFAULT_BIND)
        );
    }

    #[test]
    fn browse_url_replaces_wildcard_addresses() {
        assert_eq!(browse_url("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(browse_url("0.0.0.0:3000"), "http://127.0.0.1:3000");
        assert_eq!(browse_url("[::]:3000"), "http://[::1]:3000");
    }

    #[test]
    fn box_lines_have_equal_width_with_accents() {
        let rendered = render_box(&["Démo Conseil".to_string(), "ab".to_string()]);
        let widths: Vec<usize> = rendered.lines().map(|l| l.chars().count()).collect();
        assert_eq!(widths, vec![16; 4]);
        assert!(rendered.contains("│ ab           │"));
    }

    #[test]
    fn target_dir_honours_cargo_target_dir() {
        let root = Path::new("/repo");
        assert_eq!(target_dir(root, None), PathBuf::from("/repo/target"));
        assert_eq!(
            target_dir(root, Some("".into())),
            PathBuf::from("/repo/target")
        );
        assert_eq!(
            target_dir(root, Some("out".into())),
            PathBuf::from("/repo/out")
        );
        assert_eq!(
            target_dir(root, Some("/tmp/t".into())),
            PathBuf::from("/tmp/t")
        );
    }
}
