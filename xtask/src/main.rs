//! Project automation for Relais, invoked as `cargo xtask <command>`.
//!
//! The tasks live in Rust rather than shell scripts so that they behave the same on every
//! developer machine and in CI, and so that cleanup (stopping the throwaway PostgreSQL and
//! Redis servers) is reliable. The crate depends only on `std` and `ctrlc` to keep it quick to
//! build on a cold cache: CI compiles it before anything else.

mod apt;
mod bench;
mod ci;
mod dev;
mod newman;
mod pg;
mod random;
mod redis;
mod sys;
mod web;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Every failure here ends up in front of a person at a terminal and is never matched on by
/// code, so errors are plain, complete messages.
pub type Result<T = ()> = std::result::Result<T, String>;

const USAGE: &str = "\
Usage: cargo xtask <command>

Commands:
  run     Start PostgreSQL, migrate, create the demo tenant and serve Relais on this machine
  test    Run fmt, clippy and every workspace test against throwaway PostgreSQL and Redis
  test-web  Only the web app's checks of `test` (E2E_ONLY=<regex> picks browser journeys)
  web     Build the web app into frontend/dist (served by `relais serve`)
  bench   `bench search`: search latency on millions of generated rows; `bench webhooks`:
          delivery rate and latency to a local receiver; `bench import`: imports and exports
          end to end against `psql \\copy` (not part of `test`)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.as_slice() {
        [cmd] if cmd == "run" => dev::run(&project_root()),
        [cmd] if cmd == "test" => ci::run(&project_root()),
        [cmd] if cmd == "test-web" => ci::run_web(&project_root()),
        [cmd] if cmd == "web" => web::build(&project_root()).map(|_| ExitCode::SUCCESS),
        [cmd, rest @ ..] if cmd == "bench" => bench::run(&project_root(), rest),
        [cmd, ..] if cmd == "-h" || cmd == "--help" || cmd == "help" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        [cmd, ..] if cmd == "run" || cmd == "test" || cmd == "test-web" || cmd == "web" => {
            Err(format!("`cargo xtask {cmd}` takes no arguments\n\n{USAGE}"))
        }
        [cmd, ..] => Err(format!("unknown command `{cmd}`\n\n{USAGE}")),
        [] => Err(format!("missing command\n\n{USAGE}")),
    };
    match outcome {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {}", message.trim_end());
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask always sits one level below it, and resolving it at compile time
/// makes `cargo xtask` work from any sub-directory.
fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}
