//! `cargo xtask bench <name>`: the benchmarks of `bench/` against a private PostgreSQL cluster
//! under `<root>/.data/bench`. The cluster is kept between runs (the search data takes minutes
//! to generate) and the server is stopped at the end, including after a failure or Ctrl+C.
//! Never part of `cargo xtask test`.
//!
//! - `search` (`bench/search`): search latency on millions of generated rows; its database is
//!   kept and reused.
//! - `webhooks` (`bench/webhooks`): delivery rate and latency to a local receiver; its
//!   database is recreated on every run.
//! - `import` (`bench/import`): imports and exports end to end over HTTP against `psql \copy`
//!   of the same rows; its database is recreated on every run.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use crate::apt::{self, Tool};
use crate::pg::{self, PgCluster};
use crate::{Result, sys};

const DB: &str = "relais_bench";
const WEBHOOKS_DB: &str = "relais_bench_webhooks";

/// Server settings: shared buffers that hold the working set (the search benchmark's tables
/// and indexes, about 3 GB at scale 1, as on a server sized for its data) and memory for the
/// index builds; durability traded for load speed (the measurements only read, so they are
/// unaffected).
const PG_BENCH_OPTIONS: &str = "-c shared_buffers=4GB -c maintenance_work_mem=1GB \
     -c max_wal_size=8GB -c checkpoint_timeout=30min -c fsync=off -c synchronous_commit=off \
     -c full_page_writes=off";

pub const USAGE: &str = "\
Usage: cargo xtask bench search [--scale F] [--rounds N] [--concurrency N] [--per-kind] [--fresh]
       cargo xtask bench webhooks [--events N] [--rate N] [--seconds N] [--concurrency N]
       cargo xtask bench import [--rows N] [--export-rows N]

search:
  --scale F        multiply the row counts (1 = 1,000,000 organisations and 2,000,000 people
                   in one tenant plus 100,000 rows in a second one); default 1
  --rounds N       timed runs of each query of the mix; default 20
  --concurrency N  clients querying at the same time; default 1
  --per-kind       also time each kind of record alone for every query (where the time goes)
  --fresh          drop the generated data and start again (needed to change the scale)

webhooks:
  --events N       events of the throughput phase; default 20000
  --rate N         events per second of the latency phase; default 200
  --seconds N      length of the latency phase; default 10
  --concurrency N  deliveries in flight (and requests of the baseline loop); default 64

  import: builds `relais` in release mode, then imports generated files end to end over
  HTTP next to `psql \\copy` of the same rows, and times exports
  --rows N         rows of each imported file (organisations CSV and XLSX, people CSV);
                   default 100000
  --export-rows N  rows of the large CSV export; default 1000000
";

/// Which benchmark, with its options.
#[derive(Debug, PartialEq)]
enum Bench {
    Search(Options),
    Webhooks(Vec<String>),
    Import(Vec<String>),
}

/// Options of `bench import`, forwarded to the benchmark binary once checked.
fn parse_import(args: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--rows" | "--export-rows" => {
                let value = it
                    .next()
                    .ok_or_else(|| format!("{arg} needs a value\n\n{USAGE}"))?;
                if !value
                    .parse::<u64>()
                    .is_ok_and(|v| (1..=5_000_000).contains(&v))
                {
                    return Err(format!("invalid value {value:?} for {arg}\n\n{USAGE}"));
                }
                out.push(arg.clone());
                out.push(value.clone());
            }
            other => return Err(format!("unknown option `{other}`\n\n{USAGE}")),
        }
    }
    Ok(out)
}

/// Options of `bench search`, checked here so that mistakes fail before anything starts.
#[derive(Debug, Default, PartialEq)]
struct Options {
    fresh: bool,
    /// Passed on to the benchmark binary.
    forwarded: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut opts = Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--fresh" => opts.fresh = true,
            "--per-kind" => opts.forwarded.push(arg.clone()),
            "--scale" | "--rounds" | "--concurrency" => {
                let value = it
                    .next()
                    .ok_or_else(|| format!("{arg} needs a value\n\n{USAGE}"))?;
                let ok = if arg == "--scale" {
                    value.parse::<f64>().is_ok_and(|v| v > 0.0 && v <= 10.0)
                } else {
                    value.parse::<u32>().is_ok_and(|v| v >= 1)
                };
                if !ok {
                    return Err(format!("invalid value {value:?} for {arg}\n\n{USAGE}"));
                }
                opts.forwarded.push(arg.clone());
                opts.forwarded.push(value.clone());
            }
            other => return Err(format!("unknown option `{other}`\n\n{USAGE}")),
        }
    }
    Ok(opts)
}

/// Options of `bench webhooks`: every one takes a positive integer.
fn parse_webhooks(args: &[String]) -> Result<Vec<String>> {
    let mut forwarded = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--events" | "--rate" | "--seconds" | "--concurrency" => {
                let value = it
                    .next()
                    .ok_or_else(|| format!("{arg} needs a value\n\n{USAGE}"))?;
                if !value.parse::<u32>().is_ok_and(|v| v >= 1) {
                    return Err(format!("invalid value {value:?} for {arg}\n\n{USAGE}"));
                }
                forwarded.push(arg.clone());
                forwarded.push(value.clone());
            }
            other => return Err(format!("unknown option `{other}`\n\n{USAGE}")),
        }
    }
    Ok(forwarded)
}

fn parse_bench(args: &[String]) -> Result<Bench> {
    match args {
        [what, rest @ ..] if what == "search" => Ok(Bench::Search(parse(rest)?)),
        [what, rest @ ..] if what == "webhooks" => Ok(Bench::Webhooks(parse_webhooks(rest)?)),
        [what, rest @ ..] if what == "import" => Ok(Bench::Import(parse_import(rest)?)),
        [what, ..] => Err(format!("unknown benchmark `{what}`\n\n{USAGE}")),
        [] => Err(format!("which benchmark?\n\n{USAGE}")),
    }
}

pub fn run(root: &Path, args: &[String]) -> Result<ExitCode> {
    let bench = match parse_bench(args)? {
        // Builds and starts its own server and cluster.
        Bench::Import(forwarded) => return run_import(root, &forwarded),
        other => other,
    };
    let interrupted = sys::interrupt_flag()?;
    apt::ensure_packages(&[Tool::Postgres])?;
    let dir = root.join(".data").join("bench").join("pg");
    // A server left running by an interrupted run.
    if let Ok(stale) = PgCluster::new(dir.clone(), 0) {
        let _ = stale.stop("fast");
    }
    let port = sys::free_ports(1)?[0];
    let cluster = PgCluster::new(dir, port)?;
    let outcome = match &bench {
        Bench::Search(opts) => start_and_run(root, &cluster, opts, &interrupted),
        Bench::Webhooks(forwarded) => run_webhooks(root, &cluster, forwarded, &interrupted),
        Bench::Import(_) => Err("the import benchmark runs on its own".into()),
    };
    println!(
        "stopping PostgreSQL (the data stays in {})",
        cluster.dir.display()
    );
    sys::with_cleanup(outcome, cluster.stop("fast")).map(|()| ExitCode::SUCCESS)
}

fn run_import(root: &Path, forwarded: &[String]) -> Result<ExitCode> {
    let interrupted = sys::interrupt_flag()?;
    apt::ensure_packages(&[Tool::Postgres])?;
    let dir = root.join(".data").join("bench").join("pg");
    if let Ok(stale) = PgCluster::new(dir.clone(), 0) {
        let _ = stale.stop("fast");
    }
    let port = sys::free_ports(1)?[0];
    let cluster = PgCluster::new(dir, port)?;
    let outcome = (|| -> Result {
        cluster.init_if_missing()?;
        cluster.start(PG_IMPORT_OPTIONS)?;
        // Every run starts from an empty database: the timings then do not depend on what an
        // earlier run left.
        cluster.psql_super(&format!("DROP DATABASE IF EXISTS {IMPORT_DB} WITH (FORCE)"))?;
        cluster.ensure_roles_and_db(IMPORT_DB)?;
        sys::check_interrupted(&interrupted)?;
        println!("building relais and the benchmark (release)");
        let status = sys::status(sys::cargo(root).args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "relais-server",
            "-p",
            "relais-bench-import",
        ]))?;
        if !status.success() {
            return Err(format!("the release build failed ({status})"));
        }
        sys::check_interrupted(&interrupted)?;
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| root.join("target"))
            .join("release");
        let started = Instant::now();
        let mut cmd = std::process::Command::new(target.join("relais-bench-import"));
        cmd.current_dir(root)
            .args(forwarded)
            .env("BENCH_ADMIN_URL", cluster.url(pg::OWNER_ROLE, IMPORT_DB))
            .env("BENCH_APP_URL", cluster.url(pg::APP_ROLE, IMPORT_DB))
            .env("BENCH_RELAIS_BIN", target.join("relais"))
            .env("BENCH_PSQL", cluster.bin_dir.join("psql"))
            .env(
                "BENCH_WORK_DIR",
                root.join(".data").join("bench").join("import"),
            );
        let status = sys::status(&mut cmd);
        // The generated data is of no use afterwards: give the disk back.
        let _ = cluster.psql_super(&format!("DROP DATABASE IF EXISTS {IMPORT_DB} WITH (FORCE)"));
        let status = status?;
        sys::check_interrupted(&interrupted)?;
        if !status.success() {
            return Err(format!("the import benchmark failed ({status})"));
        }
        println!(
            "bench import: done in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    })();
    println!(
        "stopping PostgreSQL (the data stays in {})",
        cluster.dir.display()
    );
    sys::with_cleanup(outcome, cluster.stop("fast")).map(|()| ExitCode::SUCCESS)
}

/// The import benchmark's database, created for each run and dropped after it.
const IMPORT_DB: &str = "relais_bench_import";

/// Like [`PG_BENCH_OPTIONS`] with the WAL kept small: the import benchmark writes a few GB,
/// which must not sit in WAL segments on a shared disk.
const PG_IMPORT_OPTIONS: &str = "-c shared_buffers=512MB -c maintenance_work_mem=256MB \
     -c max_wal_size=1GB -c fsync=off -c synchronous_commit=off -c full_page_writes=off";

fn start_and_run(
    root: &Path,
    cluster: &PgCluster,
    opts: &Options,
    interrupted: &std::sync::atomic::AtomicBool,
) -> Result {
    cluster.init_if_missing()?;
    cluster.start(PG_BENCH_OPTIONS)?;
    if opts.fresh {
        println!("dropping database {DB}");
        cluster.psql_super(&format!("DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))?;
    }
    cluster.ensure_roles_and_db(DB)?;
    // The benchmark loads its tables into shared buffers before measuring (a production
    // database's working set is in memory); only a superuser may create the extension.
    cluster.psql_super_in(DB, "CREATE EXTENSION IF NOT EXISTS pg_prewarm")?;
    sys::check_interrupted(interrupted)?;
    let started = Instant::now();
    let mut cmd = sys::cargo(root);
    cmd.args([
        "run",
        "--quiet",
        "--release",
        "-p",
        "relais-bench-search",
        "--",
    ])
    .args(&opts.forwarded)
    .env("BENCH_ADMIN_URL", cluster.url(pg::OWNER_ROLE, DB))
    .env("BENCH_APP_URL", cluster.url(pg::APP_ROLE, DB));
    let status = sys::status(&mut cmd)?;
    sys::check_interrupted(interrupted)?;
    if !status.success() {
        return Err(format!("the search benchmark failed ({status})"));
    }
    println!(
        "bench search: done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A fresh database each time: the outbox and the delivery log start empty.
fn run_webhooks(
    root: &Path,
    cluster: &PgCluster,
    forwarded: &[String],
    interrupted: &std::sync::atomic::AtomicBool,
) -> Result {
    cluster.init_if_missing()?;
    cluster.start(PG_BENCH_OPTIONS)?;
    cluster.psql_super(&format!(
        "DROP DATABASE IF EXISTS {WEBHOOKS_DB} WITH (FORCE)"
    ))?;
    cluster.ensure_roles_and_db(WEBHOOKS_DB)?;
    sys::check_interrupted(interrupted)?;
    let started = Instant::now();
    let mut cmd = sys::cargo(root);
    cmd.args(["run", "--quiet", "-p", "relais-bench-webhooks", "--"])
        .args(forwarded)
        .env("BENCH_ADMIN_URL", cluster.url(pg::OWNER_ROLE, WEBHOOKS_DB))
        .env("BENCH_APP_URL", cluster.url(pg::APP_ROLE, WEBHOOKS_DB));
    let status = sys::status(&mut cmd)?;
    sys::check_interrupted(interrupted)?;
    if !status.success() {
        return Err(format!("the webhooks benchmark failed ({status})"));
    }
    println!(
        "bench webhooks: done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn options_are_checked_and_forwarded() {
        assert_eq!(parse(&[]).unwrap(), Options::default());
        let o = parse(&args(&[
            "--scale",
            "0.1",
            "--fresh",
            "--rounds",
            "5",
            "--per-kind",
        ]))
        .unwrap();
        assert!(o.fresh);
        assert_eq!(
            o.forwarded,
            args(&["--scale", "0.1", "--rounds", "5", "--per-kind"])
        );
        assert!(parse(&args(&["--scale"])).is_err());
        assert!(parse(&args(&["--scale", "0"])).is_err());
        assert!(parse(&args(&["--scale", "11"])).is_err());
        assert!(parse(&args(&["--rounds", "0"])).is_err());
        assert!(parse(&args(&["--concurrency", "x"])).is_err());
        assert!(parse(&args(&["--other"])).is_err());
    }

    #[test]
    fn benchmarks_are_named_and_their_options_checked() {
        assert_eq!(
            parse_bench(&args(&["search"])).unwrap(),
            Bench::Search(Options::default())
        );
        assert_eq!(
            parse_bench(&args(&["webhooks", "--events", "500", "--rate", "50"])).unwrap(),
            Bench::Webhooks(args(&["--events", "500", "--rate", "50"]))
        );
        assert!(parse_bench(&args(&["webhooks", "--events", "0"])).is_err());
        assert!(parse_bench(&args(&["webhooks", "--scale", "1"])).is_err());
        assert!(parse_bench(&args(&["webhooks", "--rate"])).is_err());
        assert!(parse_bench(&args(&["other"])).is_err());
        assert!(parse_bench(&[]).is_err());
    }

    #[test]
    fn import_options_are_checked() {
        assert_eq!(parse_import(&[]).unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_import(&args(&["--rows", "1000"])).unwrap(),
            args(&["--rows", "1000"])
        );
        assert!(parse_import(&args(&["--rows"])).is_err());
        assert!(parse_import(&args(&["--rows", "0"])).is_err());
        assert!(parse_import(&args(&["--export-rows", "x"])).is_err());
        assert!(parse_import(&args(&["--scale", "1"])).is_err());
    }
}
