//! `cargo xtask test`: every check CI runs (`.ci/run` calls it), runnable the same way on a
//! developer machine.
//!
//! The tests get a throwaway PostgreSQL cluster and Redis server on free ports under
//! `<root>/.data/test`, recreated on every run so no state leaks between runs, and always
//! stopped at the end, including after a failure or Ctrl+C.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::apt::{self, Tool};
use crate::pg::{self, PgCluster};
use crate::redis::{self, RedisServer};
use crate::{Result, sys};

/// Server settings that trade durability for speed: the cluster is deleted after the run.
/// The test harness creates a database per test, hence the generous connection limit.
const PG_TEST_OPTIONS: &str =
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";

/// `program` value for steps that run the cargo that launched xtask.
const CARGO: &str = "cargo";

/// One check: a command run from the project root with the test services' environment.
#[derive(Debug)]
struct Step {
    /// Short name for the failure summary, e.g. `cargo clippy`.
    name: &'static str,
    program: &'static str,
    args: &'static [&'static str],
}

/// The checks, in order; the run stops at the first failure, so cheap checks go first.
/// Append new steps here (browser tests, API collections, …).
const STEPS: &[Step] = &[
    Step {
        name: "cargo fmt",
        program: CARGO,
        args: &["fmt", "--all", "--", "--check"],
    },
    Step {
        name: "cargo clippy",
        program: CARGO,
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    },
    Step {
        name: "cargo test",
        program: CARGO,
        args: &["test", "--workspace"],
    },
];

impl Step {
    fn command(&self, root: &Path) -> Command {
        let mut cmd = if self.program == CARGO {
            sys::cargo(root)
        } else {
            let mut cmd = Command::new(self.program);
            cmd.current_dir(root);
            cmd
        };
        cmd.args(self.args);
        cmd
    }

    /// The command line as shown in the step header.
    fn display(&self) -> String {
        std::iter::once(self.program)
            .chain(self.args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn run(root: &Path) -> Result<ExitCode> {
    let interrupted = sys::interrupt_flag()?;
    apt::ensure_packages(&[Tool::Postgres, Tool::Redis, Tool::Node, Tool::Chromium])?;
    let test_dir = root.join(".data").join("test");
    remove_leftovers(&test_dir)?;

    let ports = sys::free_ports(2)?;
    let cluster = PgCluster::new(test_dir.join("pg"), ports[0])?;
    let redis = RedisServer::new(test_dir.clone(), ports[1]);
    let outcome = start_services_and_run_steps(root, &cluster, &redis, &interrupted);
    println!("stopping PostgreSQL and Redis");
    let cleanup = sys::with_cleanup(redis.stop(), cluster.stop("immediate"));
    match sys::with_cleanup(outcome, cleanup) {
        Ok(()) => {
            // Nothing in there is worth keeping after a green run.
            let _ = std::fs::remove_dir_all(&test_dir);
            println!("xtask test: all {} steps succeeded", STEPS.len() + 2);
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            println!(
                "server logs are kept in {} until the next run",
                test_dir.display()
            );
            Err(err)
        }
    }
}

/// `cargo xtask test-web`: only the web app's step of `cargo xtask test` (host tests, release
/// build, browser journeys and axe), on its own throwaway PostgreSQL under `.data/test-web`.
/// Quicker while working on the SPA; `E2E_ONLY=<regex>` keeps the journeys whose name
/// matches. `cargo xtask test` remains the gate.
pub fn run_web(root: &Path) -> Result<ExitCode> {
    let interrupted = sys::interrupt_flag()?;
    apt::ensure_packages(&[Tool::Postgres, Tool::Node, Tool::Chromium])?;
    let test_dir = root.join(".data").join("test-web");
    remove_leftovers(&test_dir)?;
    let port = sys::free_ports(1)?[0];
    let cluster = PgCluster::new(test_dir.join("pg"), port)?;
    let outcome = (|| {
        cluster.init_if_missing()?;
        cluster.start(PG_TEST_OPTIONS)?;
        cluster.ensure_roles_and_db("relais")?;
        sys::check_interrupted(&interrupted)?;
        let started = Instant::now();
        crate::web::test(root, &cluster, &test_dir, &interrupted)?;
        println!(
            "    web step ok in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    })();
    println!("stopping PostgreSQL");
    match sys::with_cleanup(outcome, cluster.stop("immediate")) {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&test_dir);
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            println!(
                "server logs are kept in {} until the next run",
                test_dir.display()
            );
            Err(err)
        }
    }
}

/// Stops servers left by an interrupted or killed earlier run, then deletes its files.
fn remove_leftovers(test_dir: &Path) -> Result {
    if !test_dir.exists() {
        return Ok(());
    }
    // The port is irrelevant for stopping; errors are ignored because the directory is
    // deleted next anyway, and a server that really survives shows up as a failed start.
    if let Ok(stale) = PgCluster::new(test_dir.join("pg"), 0) {
        let _ = stale.stop("immediate");
    }
    let _ = redis::stop_by_pid_file(test_dir);
    std::fs::remove_dir_all(test_dir)
        .map_err(|err| format!("could not delete {}: {err}", test_dir.display()))
}

fn start_services_and_run_steps(
    root: &Path,
    cluster: &PgCluster,
    redis: &RedisServer,
    interrupted: &AtomicBool,
) -> Result {
    cluster.init_if_missing()?;
    cluster.start(PG_TEST_OPTIONS)?;
    cluster.ensure_roles_and_db("relais")?;
    sys::check_interrupted(interrupted)?;
    redis.start()?;

    let env = test_env(cluster, redis);
    for step in STEPS {
        sys::check_interrupted(interrupted)?;
        println!("==> {}", step.display());
        let started = Instant::now();
        let status = sys::status(step.command(root).envs(env.iter().cloned()))?;
        let seconds = started.elapsed().as_secs_f64();
        if interrupted.load(Ordering::SeqCst) {
            return Err(format!("interrupted during step `{}`", step.name));
        }
        if !status.success() {
            println!("    failed after {seconds:.1} s");
            return Err(format!(
                "xtask test failed at step `{}` ({status})",
                step.name
            ));
        }
        println!("    ok in {seconds:.1} s");
    }
    // The Postman collection against a live server (SPEC API-4).
    sys::check_interrupted(interrupted)?;
    println!("==> newman run postman/relais.postman_collection.json (live server)");
    let started = Instant::now();
    let test_dir = cluster.dir.parent().unwrap_or(root).to_path_buf();
    crate::newman::run(root, cluster, &test_dir, interrupted)
        .map_err(|e| format!("xtask test failed at step `newman`: {e}"))?;
    println!("    ok in {:.1} s", started.elapsed().as_secs_f64());
    // The web app: view-logic tests, release build, browser journeys and axe (SPEC §11).
    sys::check_interrupted(interrupted)?;
    println!("==> web app: unit tests, build, browser tests in headless Chromium (live server)");
    let started = Instant::now();
    crate::web::test(root, cluster, &test_dir, interrupted)
        .map_err(|e| format!("xtask test failed at step `web`: {e}"))?;
    println!("    ok in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Where the tests find their services. The superuser URL lets the test harness create one
/// database per test from a migrated template; the application itself never gets it.
fn test_env(cluster: &PgCluster, redis: &RedisServer) -> Vec<(&'static str, String)> {
    vec![
        (
            "RELAIS_TEST_PG_SUPER_URL",
            cluster.url(pg::SUPERUSER, "postgres"),
        ),
        ("RELAIS_TEST_PG_HOST", "127.0.0.1".to_string()),
        ("RELAIS_TEST_PG_PORT", cluster.port.to_string()),
        ("REDIS_URL", redis.url()),
        ("RELAIS_TEST_REDIS_URL", redis.url()),
        ("RUST_BACKTRACE", "1".to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_start_with_the_cheap_checks_and_end_with_the_tests() {
        let names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
        assert_eq!(names, ["cargo fmt", "cargo clippy", "cargo test"]);
        assert_eq!(
            STEPS[1].display(),
            "cargo clippy --workspace --all-targets -- -D warnings"
        );
        assert!(STEPS[2].args.contains(&"--workspace"));
    }
}
