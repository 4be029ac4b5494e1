//! The API collection check of `cargo xtask test`: serve Relais on the test cluster with a
//! fresh database, a tenant and an operator, then run the committed Postman collection with
//! newman against it. newman is installed once under `.data/tools` and reused.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::pg::{self, PgCluster};
use crate::{Result, dev, random, sys};

const DB: &str = "relais_newman";
const TENANT: &str = "newman";
const EMAIL: &str = "admin@newman.relais.test";
const OPERATOR: &str = "operator@newman.relais.test";

/// newman's entry point, installed on first use.
fn ensure_newman(root: &Path) -> Result<PathBuf> {
    let tools = root.join(".data").join("tools");
    let bin = tools.join("node_modules").join(".bin").join("newman");
    if bin.exists() {
        return Ok(bin);
    }
    println!("installing newman (once, under {})", tools.display());
    sys::create_dir_all(&tools)?;
    sys::run(Command::new("npm").args([
        "install",
        "--prefix",
        &tools.to_string_lossy(),
        "--no-audit",
        "--no-fund",
        "newman@6",
    ]))?;
    Ok(bin)
}

/// Wait until `GET /readyz` answers 200.
pub fn wait_ready(port: u16, server: &mut Child, timeout: Duration) -> Result {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if let Ok(Some(status)) = server.try_wait() {
            return Err(format!("relais serve exited early ({status})"));
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n");
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200") {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err("relais serve did not become ready in time".into())
}

pub fn stop(mut server: Child) {
    let _ = Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = server.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = server.kill();
    let _ = server.wait();
}

pub fn run(root: &Path, cluster: &PgCluster, work_dir: &Path, interrupted: &AtomicBool) -> Result {
    let newman = ensure_newman(root)?;
    let relais = dev::build_server(root)?;
    sys::check_interrupted(interrupted)?;
    cluster.psql_super(&format!("DROP DATABASE IF EXISTS {DB}"))?;
    cluster.psql_super(&format!("CREATE DATABASE {DB} OWNER {}", pg::OWNER_ROLE))?;
    let port = sys::free_ports(1)?[0];
    let password = format!("Nm-{}", random::alphanumeric(16)?);
    let operator_password = format!("Op-{}", random::alphanumeric(16)?);
    let env = [
        ("DATABASE_URL", cluster.url(pg::APP_ROLE, DB)),
        ("DATABASE_ADMIN_URL", cluster.url(pg::OWNER_ROLE, DB)),
        ("RELAIS_BIND", format!("127.0.0.1:{port}")),
        ("RELAIS_JWT_SECRET", random::hex(32)?),
        (
            "RELAIS_DATA_DIR",
            work_dir.join("newman-files").to_string_lossy().into_owned(),
        ),
        ("RELAIS_LOGIN_RATE_PER_MINUTE", "1000".into()),
        ("RELAIS_MIGRATE_ON_START", "false".into()),
    ];
    let relais_cmd = |args: &[&str]| {
        let mut cmd = Command::new(&relais);
        cmd.args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
        cmd
    };
    sys::run(&mut relais_cmd(&["migrate"]))?;
    sys::run(&mut relais_cmd(&[
        "tenant",
        "create",
        "--slug",
        TENANT,
        "--name",
        "Newman",
        "--admin-email",
        EMAIL,
        "--admin-password",
        &password,
    ]))?;
    sys::run(&mut relais_cmd(&[
        "operator",
        "create",
        "--email",
        OPERATOR,
        "--password",
        &operator_password,
    ]))?;
    let log = std::fs::File::create(work_dir.join("newman-server.log"))
        .map_err(|e| format!("cannot create the server log: {e}"))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let mut server = relais_cmd(&["serve"])
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err))
        .spawn()
        .map_err(|e| format!("cannot start relais serve: {e}"))?;
    if let Err(e) = wait_ready(port, &mut server, Duration::from_secs(30)) {
        stop(server);
        return Err(e);
    }
    let outcome = sys::status(
        Command::new(&newman)
            .current_dir(root)
            .args([
                "run",
                "postman/relais.postman_collection.json",
                "-e",
                "postman/relais.postman_environment.json",
                "--color",
                "off",
                "--env-var",
            ])
            .arg(format!("baseUrl=http://127.0.0.1:{port}"))
            .args(["--env-var", &format!("tenant={TENANT}")])
            .args(["--env-var", &format!("email={EMAIL}")])
            .args(["--env-var", &format!("password={password}")])
            .args(["--env-var", &format!("operator_email={OPERATOR}")])
            .args([
                "--env-var",
                &format!("operator_password={operator_password}"),
            ]),
    );
    stop(server);
    match outcome {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!(
            "newman reported failures ({s}); server log: {}",
            work_dir.join("newman-server.log").display()
        )),
        Err(e) => Err(e),
    }
}
