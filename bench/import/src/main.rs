//! Import and export benchmark (issue 6, SPEC IMP-4, EXP-1). Run it with `cargo xtask bench
//! import`, which starts a private PostgreSQL cluster, builds `relais` in release mode and
//! passes the URLs and paths; it is never part of `cargo xtask test`.
//!
//! 1. Generates, deterministically, `--rows` organisations (14 columns, French headers, `;`)
//!    as CSV and as XLSX, and as many people (6 columns) naming those organisations in
//!    `organisation_nom` (five people per organisation).
//! 2. Starts `relais serve` as its own process against a fresh tenant and measures, end to end
//!    over HTTP, upload + detection + the import job until it is done: the organisations CSV,
//!    the people CSV (upserts by email, organisation look-ups, links), the organisations XLSX
//!    (another tenant). The server's resident memory is sampled every 20 ms.
//! 3. Measures in the same run `psql \copy` of the same organisations CSV into a plain table
//!    (no RLS, no validation, no events, no indexes): the floor any import sits above.
//! 4. Measures exports: CSV and XLSX of the `--rows` organisations, and a CSV of
//!    `--export-rows` organisations inserted directly in a third tenant.
//!
//! Prints a Markdown table of times, rows/s, ratios and peak server memory per step.
#![forbid(unsafe_code)]

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde_json::{Value, json};
use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

#[derive(Parser, Debug)]
#[command(about = "Import and export benchmark (see the crate documentation)")]
struct Args {
    /// Owner role URL: migrations and direct inserts.
    #[arg(long, env = "BENCH_ADMIN_URL")]
    admin_url: String,
    /// Application role URL, what the server connects as.
    #[arg(long, env = "BENCH_APP_URL")]
    app_url: String,
    /// The `relais` binary (release build).
    #[arg(long, env = "BENCH_RELAIS_BIN")]
    relais: PathBuf,
    /// The `psql` binary.
    #[arg(long, env = "BENCH_PSQL")]
    psql: PathBuf,
    /// Where the generated files and the server's data go.
    #[arg(long, env = "BENCH_WORK_DIR")]
    work: PathBuf,
    /// Rows of each imported file.
    #[arg(long, default_value_t = 100_000)]
    rows: u64,
    /// Rows of the large CSV export.
    #[arg(long, default_value_t = 1_000_000)]
    export_rows: u64,
}

const PASSWORD: &str = "bench-relais-2026";
const SECRET: &str = "bench-secret-bench-secret-bench-secret-42";

const CITIES: &[(&str, &str)] = &[
    ("Paris", "75008"),
    ("Lyon", "69002"),
    ("Marseille", "13001"),
    ("Toulouse", "31000"),
    ("Nantes", "44000"),
    ("Orléans", "45000"),
    ("Lille", "59000"),
    ("Bordeaux", "33000"),
    ("Nice", "06000"),
    ("Strasbourg", "67000"),
];
const KINDS: &[&str] = &["investisseur", "distributeur", "fournisseur", "émetteur"];
const STAGES: &[&str] = &["prospect", "qualification", "proposition", "signé", "perdu"];
const CATEGORIES: &[&str] = &[
    "OPCVM",
    "ETF",
    "SCPI",
    "SCI",
    "assurance vie",
    "private equity",
];
const WORDS: &[&str] = &[
    "Gestion",
    "Patrimoine",
    "Conseil",
    "Finance",
    "Capital",
    "Partenaires",
    "Épargne",
    "Invest",
    "Privée",
    "Horizon",
];
const FIRST: &[&str] = &[
    "Claire", "Jean", "Élodie", "Hélène", "Luc", "Chloé", "Mathieu", "Inès", "Noël", "Zoé",
];
const LAST: &[&str] = &[
    "Martin",
    "Dupont",
    "Lefèvre",
    "Moreau",
    "Garnier",
    "Chevalier",
    "Fournier",
    "Girard",
    "Bonnet",
    "Mercier",
];

fn org_name(i: u64) -> String {
    format!(
        "{} {} {i}",
        LAST[(i % 10) as usize],
        WORDS[(i / 10 % 10) as usize]
    )
}

const ORG_HEADERS: [&str; 14] = [
    "nom",
    "type",
    "categorie",
    "etape",
    "email",
    "telephone",
    "site_web",
    "adresse",
    "ville",
    "code_postal",
    "pays",
    "notes",
    "montant_attendu",
    "etiquettes",
];

fn org_row(i: u64) -> [String; 14] {
    let (city, cp) = CITIES[(i % CITIES.len() as u64) as usize];
    [
        org_name(i),
        KINDS[(i % 4) as usize].into(),
        CATEGORIES[(i % 6) as usize].into(),
        STAGES[(i % 5) as usize].into(),
        format!("contact{i}@societe{i}.fr"),
        format!(
            "01 42 {:02} {:02} {:02}",
            i % 100,
            i / 100 % 100,
            i / 10_000 % 100
        ),
        format!("https://www.societe{i}.fr"),
        format!("{} rue de la République", i % 200 + 1),
        city.into(),
        cp.into(),
        "FR".into(),
        format!(
            "Rencontré au salon Patrimonia {}, à rappeler en septembre",
            2020 + i % 6
        ),
        format!("{} {:03} 000", i % 900 + 1, i % 1000),
        "institutionnel, bench".into(),
    ]
}

fn write_files(dir: &Path, rows: u64) -> Result<(PathBuf, PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let orgs = dir.join(format!("organisations-{rows}.csv"));
    let people = dir.join(format!("contacts-{rows}.csv"));
    let xlsx = dir.join(format!("organisations-{rows}.xlsx"));
    if !orgs.exists() {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&orgs)?);
        writeln!(w, "{}", ORG_HEADERS.join(";"))?;
        for i in 0..rows {
            writeln!(w, "{}", org_row(i).join(";"))?;
        }
        w.flush()?;
    }
    if !people.exists() {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&people)?);
        writeln!(
            w,
            "prenom;nom;email_personnel;telephone;fonction;organisation_nom"
        )?;
        let orgs = (rows / 5).max(1);
        for i in 0..rows {
            writeln!(
                w,
                "{};{};personne{i}@exemple.fr;06 {:02} {:02} {:02} {:02};Directrice des investissements;{}",
                FIRST[(i % 10) as usize],
                LAST[(i / 10 % 10) as usize],
                i % 100,
                i / 100 % 100,
                i / 10_000 % 100,
                i % 97,
                org_name(i % orgs)
            )?;
        }
        w.flush()?;
    }
    if !xlsx.exists() {
        let headers: Vec<String> = ORG_HEADERS.iter().map(|h| (*h).to_owned()).collect();
        let mut t = relais_sheets::TableXlsx::new("Organisations", &headers, &[], false, dir)?;
        for i in 0..rows {
            t.push(&org_row(i))?;
        }
        t.finish(&xlsx)?;
    }
    Ok((orgs, people, xlsx))
}

/// Peak resident memory of a process, sampled.
struct Sampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let peak = Arc::new(AtomicU64::new(rss_kb(pid)));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss_kb(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Self { peak, stop }
    }

    fn finish(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        self.peak.load(Ordering::Relaxed) as f64 / 1024.0
    }
}

/// CPU time (user + system) a process has used, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The fields after the command name, which is in parentheses: utime and stime are the
    // 14th and 15th fields of the line, the 12th and 13th after the name.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// CPU ticks used by the PostgreSQL backends connected to database `db`.
fn db_ticks(db: &str) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let needle = format!(" {db} ");
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let c = String::from_utf8_lossy(&c);
                c.starts_with("postgres: ") && c.contains(&needle)
            })
        })
        .map(cpu_ticks)
        .sum()
}

fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU seconds the server and its database's backends used during a step.
struct CpuMeter {
    pid: u32,
    db: String,
    server: u64,
    backends: u64,
}

impl CpuMeter {
    fn start(pid: u32, db: &str) -> Self {
        Self {
            pid,
            db: db.to_owned(),
            server: cpu_ticks(pid),
            backends: db_ticks(db),
        }
    }

    /// `server CPU s, PostgreSQL CPU s` since the start.
    fn finish(self) -> String {
        let hz = ticks_per_second();
        format!(
            "server CPU {:.1} s, PostgreSQL CPU {:.1} s",
            cpu_ticks(self.pid).saturating_sub(self.server) as f64 / hz,
            db_ticks(&self.db).saturating_sub(self.backends) as f64 / hz
        )
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn relais(args: &Args, data: &Path) -> Command {
    let mut c = Command::new(&args.relais);
    c.env("DATABASE_URL", &args.app_url)
        .env("DATABASE_ADMIN_URL", &args.admin_url)
        .env("RELAIS_JWT_SECRET", SECRET)
        .env("RELAIS_DATA_DIR", data)
        .env("RELAIS_LOGIN_RATE_PER_MINUTE", "10000")
        .env("RELAIS_IMPORT_MAX_BYTES", (1u64 << 30).to_string())
        .env("RELAIS_IMPORT_MAX_ROWS", "2000000")
        .env("RELAIS_EXPORT_MAX_ROWS", "2000000")
        .env("RELAIS_WEB_DIR", "/nonexistent")
        .env("RUST_LOG", "warn");
    c
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn start_server(args: &Args, client: &reqwest::Client) -> Result<Server> {
    let port = free_port()?;
    let data = args.work.join("data");
    let log = std::fs::File::create(args.work.join("server.log"))?;
    let child = relais(args, &data)
        .arg("serve")
        .env("RELAIS_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("starting relais serve")?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
            && r.status().is_success()
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!(
        "relais serve did not answer /healthz (see {})",
        args.work.join("server.log").display()
    )
}

fn tenant(args: &Args, slug: &str) -> Result<String> {
    let email = format!("admin@{slug}.bench");
    let out = relais(args, &args.work.join("data"))
        .args([
            "tenant",
            "create",
            "--slug",
            slug,
            "--name",
            slug,
            "--admin-email",
        ])
        .arg(&email)
        .args(["--admin-password", PASSWORD])
        .output()?;
    if !out.status.success() {
        bail!("tenant create: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(email)
}

async fn login(client: &reqwest::Client, base: &str, email: &str, slug: &str) -> Result<String> {
    let r: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD, "tenant": slug}))
        .send()
        .await?
        .json()
        .await?;
    r["access_token"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("login failed: {r}"))
}

struct Timing {
    upload: f64,
    total: f64,
    report: Value,
    peak_mb: f64,
}

async fn import(
    client: &reqwest::Client,
    server: &Server,
    token: &str,
    kind: &str,
    file: &Path,
) -> Result<Timing> {
    let pid = server.child.id();
    let sampler = Sampler::start(pid);
    let started = Instant::now();
    let bytes = tokio::fs::read(file).await?;
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let form = reqwest::multipart::Form::new()
        .text("type", kind.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
    let imp: Value = client
        .post(format!("{}/api/v1/imports", server.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await?
        .json()
        .await?;
    let upload = started.elapsed().as_secs_f64();
    let id = imp["id"]
        .as_str()
        .with_context(|| format!("upload: {imp}"))?;
    let run: Value = client
        .post(format!("{}/api/v1/imports/{id}/run", server.base))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    let job = run["job_id"]
        .as_str()
        .with_context(|| format!("run: {run}"))?;
    loop {
        let j: Value = client
            .get(format!("{}/api/v1/jobs/{job}", server.base))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        match j["status"].as_str() {
            Some("succeeded") => break,
            Some("failed" | "cancelled") => bail!("import {id} ended: {j}"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let total = started.elapsed().as_secs_f64();
    let imp: Value = client
        .get(format!("{}/api/v1/imports/{id}", server.base))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    Ok(Timing {
        upload,
        total,
        report: imp["report"].clone(),
        peak_mb: sampler.finish(),
    })
}

async fn export(
    args: &Args,
    client: &reqwest::Client,
    server: &Server,
    token: &str,
    query: &str,
) -> Result<(f64, u64, f64, String)> {
    let cpu = CpuMeter::start(server.child.id(), db_name(&args.admin_url));
    let sampler = Sampler::start(server.child.id());
    let started = Instant::now();
    let mut res = client
        .get(format!(
            "{}/api/v1/exports/organisations?{query}",
            server.base
        ))
        .bearer_auth(token)
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("export {query}: {}", res.text().await?);
    }
    let mut bytes = 0u64;
    while let Some(chunk) = res.chunk().await? {
        bytes += chunk.len() as u64;
    }
    let t = started.elapsed().as_secs_f64();
    Ok((t, bytes, sampler.finish(), cpu.finish()))
}

/// The database of a `postgres://…/db` URL.
fn db_name(url: &str) -> &str {
    let path = url.rsplit('/').next().unwrap_or_default();
    path.split('?').next().unwrap_or_default()
}

fn psql_copy(args: &Args, file: &Path) -> Result<f64> {
    let run = |sql: &str| -> Result<()> {
        let out = Command::new(&args.psql)
            .arg(&args.admin_url)
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
            .output()?;
        if !out.status.success() {
            bail!("psql: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    };
    let cols: Vec<String> = ORG_HEADERS.iter().map(|h| format!("{h} text")).collect();
    run("DROP TABLE IF EXISTS bench_copy")?;
    run(&format!("CREATE TABLE bench_copy ({})", cols.join(", ")))?;
    let started = Instant::now();
    run(&format!(
        "\\copy bench_copy FROM '{}' WITH (FORMAT csv, HEADER true, DELIMITER ';')",
        file.display()
    ))?;
    let t = started.elapsed().as_secs_f64();
    run("DROP TABLE bench_copy")?;
    Ok(t)
}

/// The large export's baseline: `psql \\copy` of the same rows, columns and order (the list's
/// default sort, `lower(name), id`) into a CSV file, as the application role under the
/// tenant's row-level security, as the server reads them.
fn psql_export(args: &Args, slug: &str, file: &Path) -> Result<f64> {
    let tenant = Command::new(&args.psql)
        .arg(&args.admin_url)
        .args(["-v", "ON_ERROR_STOP=1", "-At", "-c"])
        .arg(format!("SELECT id FROM tenants WHERE slug = '{slug}'"))
        .output()?;
    if !tenant.status.success() {
        bail!("psql: {}", String::from_utf8_lossy(&tenant.stderr));
    }
    let tenant = String::from_utf8_lossy(&tenant.stdout).trim().to_owned();
    let started = Instant::now();
    let out = Command::new(&args.psql)
        .arg(&args.app_url)
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c"])
        .arg(format!(
            "SELECT set_config('app.tenant_id', '{tenant}', false)"
        ))
        .arg("-c")
        .arg(format!(
            "\\copy (SELECT o.name, o.type, o.category, o.pipeline_stage, o.email, o.phone, \
             o.website, o.address, o.city, o.postcode, o.country, o.owner_id, o.active, \
             o.expected_amount, o.tags, o.last_contact_at, o.created_at, o.updated_at \
             FROM organisations o WHERE o.tenant_id = '{tenant}' AND o.deleted_at IS NULL \
             ORDER BY lower(o.name), o.id) TO '{}' WITH (FORMAT csv, HEADER true, DELIMITER ';')",
            file.display()
        ))
        .output()?;
    if !out.status.success() {
        bail!("psql: {}", String::from_utf8_lossy(&out.stderr));
    }
    let t = started.elapsed().as_secs_f64();
    std::fs::remove_file(file)?;
    Ok(t)
}

/// Insert `n` organisations straight into a tenant (owner role) for the large export; returns
/// the time the insert took (the vacuum after it is not counted).
async fn fill(args: &Args, slug: &str, n: u64) -> Result<f64> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&args.admin_url).await?;
    let sql = format!(
        "INSERT INTO organisations (tenant_id, id, name, type, category, pipeline_stage, email, \
         phone, city, postcode, country, notes, owner_id, expected_amount, tags) \
         SELECT t.id, gen_random_uuid(), 'Société ' || g, \
         (ARRAY['investor','supplier','distributor','issuer'])[1 + g % 4], 'opcvm', \
         (ARRAY['prospect','qualification','proposition','signed','lost'])[1 + g % 5], \
         'contact' || g || '@societe' || g || '.fr', '01 42 00 00 00', 'Paris', '75008', 'FR', \
         'Rencontrée au salon', u.id, (g % 1000) * 1000, ARRAY['bench'] \
         FROM tenants t JOIN users u ON u.tenant_id = t.id, generate_series(1, {n}) g \
         WHERE t.slug = '{slug}'"
    );
    let started = Instant::now();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await?;
    let t = started.elapsed().as_secs_f64();
    // As autovacuum leaves a table: the rows' hint bits and visibility set, statistics
    // fresh. Without it the first reads (the baseline's and the export's) would pay for
    // writing the hint bits, while autovacuum works through the same table.
    sqlx::raw_sql("VACUUM ANALYZE organisations")
        .execute(&mut conn)
        .await?;
    Ok(t)
}

fn row(out: &mut Vec<String>, what: &str, rows: u64, secs: f64, extra: &str, mb: f64) {
    out.push(format!(
        "| {what} | {rows} | {secs:.2} s | {:.0} | {extra} | {mb:.0} MB |",
        rows as f64 / secs
    ));
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.work)?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1800))
        .build()?;
    let out = relais(&args, &args.work.join("data"))
        .arg("migrate")
        .output()?;
    if !out.status.success() {
        bail!("migrate: {}", String::from_utf8_lossy(&out.stderr));
    }
    println!("generating {} rows of each file…", args.rows);
    let started = Instant::now();
    let (orgs, people, xlsx) = write_files(&args.work, args.rows)?;
    println!("  done in {:.1} s", started.elapsed().as_secs_f64());
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let run_id = &run_id[run_id.len() - 8..];
    let (a, b, c) = (
        format!("imp-a-{run_id}"),
        format!("imp-b-{run_id}"),
        format!("imp-c-{run_id}"),
    );
    let emails = (tenant(&args, &a)?, tenant(&args, &b)?, tenant(&args, &c)?);
    let server = start_server(&args, &client).await?;
    let idle_mb = rss_kb(server.child.id()) as f64 / 1024.0;
    let ta = login(&client, &server.base, &emails.0, &a).await?;
    let tb = login(&client, &server.base, &emails.1, &b).await?;
    let mut lines = vec![
        "| step | rows | time | rows/s | notes | peak server RSS |".to_owned(),
        "|---|---|---|---|---|---|".to_owned(),
    ];
    let copy = psql_copy(&args, &orgs)?;
    row(
        &mut lines,
        "`psql \\copy` of the organisations CSV (baseline)",
        args.rows,
        copy,
        "plain table, text columns",
        0.0,
    );
    println!("psql \\copy: {copy:.2} s");

    let csv = import(&client, &server, &ta, "organisations", &orgs).await?;
    println!("organisations CSV: {:.2} s ({})", csv.total, csv.report);
    row(
        &mut lines,
        "import organisations CSV (upload → job done)",
        args.rows,
        csv.total,
        &format!(
            "upload + detection {:.2} s; {:.1}× `\\copy`; created {}",
            csv.upload,
            csv.total / copy,
            csv.report["created"]
        ),
        csv.peak_mb,
    );
    let ppl = import(&client, &server, &ta, "people", &people).await?;
    println!("people CSV: {:.2} s ({})", ppl.total, ppl.report);
    row(
        &mut lines,
        "import people CSV, linked by `organisation_nom`",
        args.rows,
        ppl.total,
        &format!(
            "created {}, links to existing organisations",
            ppl.report["created"]
        ),
        ppl.peak_mb,
    );
    let x = import(&client, &server, &tb, "organisations", &xlsx).await?;
    println!("organisations XLSX: {:.2} s ({})", x.total, x.report);
    row(
        &mut lines,
        "import organisations XLSX (upload → job done)",
        args.rows,
        x.total,
        &format!(
            "upload + detection {:.2} s; created {}",
            x.upload, x.report["created"]
        ),
        x.peak_mb,
    );
    let (t, bytes, mb, cpu) = export(&args, &client, &server, &ta, "format=csv").await?;
    row(
        &mut lines,
        "export organisations CSV (18 columns)",
        args.rows,
        t,
        &format!("{:.1} MB; {cpu}", bytes as f64 / 1e6),
        mb,
    );
    let (t, bytes, mb, cpu) = export(&args, &client, &server, &ta, "format=xlsx").await?;
    row(
        &mut lines,
        "export organisations XLSX (18 columns, stats + chart)",
        args.rows,
        t,
        &format!("{:.1} MB; {cpu}", bytes as f64 / 1e6),
        mb,
    );
    println!(
        "filling {} organisations for the large export…",
        args.export_rows
    );
    let filled = fill(&args, &c, args.export_rows).await?;
    row(
        &mut lines,
        "`INSERT … SELECT generate_series` straight into `organisations` (the table's own cost)",
        args.export_rows,
        filled,
        "owner role: no RLS, no validation, no events; the same indexes and search columns",
        0.0,
    );
    let base = psql_export(&args, &c, &args.work.join("export-baseline.csv"))?;
    row(
        &mut lines,
        "`psql \\copy` of the same rows, columns and order to a CSV file (baseline)",
        args.export_rows,
        base,
        "application role, tenant's row-level security",
        0.0,
    );
    // A fresh server, so that its peak memory is the export's own and not what the imports
    // before it left allocated.
    drop(server);
    let server = start_server(&args, &client).await?;
    let tc = login(&client, &server.base, &emails.2, &c).await?;
    let (t, bytes, mb, cpu) = export(&args, &client, &server, &tc, "format=csv").await?;
    row(
        &mut lines,
        "export organisations CSV (18 columns), fresh server",
        args.export_rows,
        t,
        &format!(
            "{:.1} MB; {:.2}× `\\copy`; {cpu}",
            bytes as f64 / 1e6,
            t / base
        ),
        mb,
    );
    println!();
    println!("server RSS when idle: {idle_mb:.0} MB");
    for l in &lines {
        println!("{l}");
    }
    Ok(())
}
