//! Search benchmark (issue 5, SPEC SRCH-1…4). Run it with `cargo xtask bench search`, which
//! starts a private PostgreSQL cluster, creates the database and passes the URLs; it is never
//! part of `cargo xtask test`.
//!
//! 1. Migrates the database, then (unless the same scale is already loaded) generates one big
//!    tenant — 1,000,000 organisations and 2,000,000 people with French names, cities and
//!    notes, plus 50,000 mandates and 200,000 interactions — and a second tenant with 100,000
//!    organisations and people (40,000 + 60,000, plus a few mandates and interactions), all
//!    multiplied by `--scale`. Rows come from `generate_series` in SQL (deterministic), with
//!    the secondary indexes dropped during the load and rebuilt afterwards from their own
//!    definitions, then `VACUUM ANALYZE`.
//! 2. Measures, as the application role through row-level security and with the very code the
//!    API runs (`relais_store::search::search_all` / `autocomplete_all`, which send the kinds
//!    as two statements at the same time, each confined to the tenant by the functions it
//!    calls), the latency of a fixed mix of queries — exact names, typos, prefixes of 2–4
//!    letters, common words, accents — next to a bare `SELECT 1` round trip measured in the
//!    same run, and prints p50/p95/p99 as a Markdown table.
#![forbid(unsafe_code)]

use anyhow::{Context, Result, bail};
use clap::Parser;
use relais_domain::{
    TenantId,
    search::{SearchType, parse_query, uses_web_syntax},
};
use relais_store::{
    Db, DbConfig,
    organisations::Visibility,
    search::{self, SearchFilter},
};
use sqlx::{Connection, PgConnection, Row};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(about = "Search benchmark (see the crate documentation)")]
struct Args {
    /// Owner role URL: migrations and data generation.
    #[arg(long, env = "BENCH_ADMIN_URL")]
    admin_url: String,
    /// Application role URL (no BYPASSRLS): the measurements.
    #[arg(long, env = "BENCH_APP_URL")]
    app_url: String,
    /// Multiplies every row count (1 = 1M organisations and 2M people).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Timed runs of each query of the mix, per measurement.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Clients sending queries at the same time.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Also time each kind of record on its own, one at a time, for every query of the mix
    /// (big tenant, all records): where a request's time goes.
    #[arg(long)]
    per_kind: bool,
}

const POOLS: &str = include_str!("../sql/pools.sql");
const ORGANISATIONS: &str = include_str!("../sql/organisations.sql");
const PEOPLE: &str = include_str!("../sql/people.sql");
const MANDATES: &str = include_str!("../sql/mandates.sql");
const INTERACTIONS: &str = include_str!("../sql/interactions.sql");

/// Rows inserted per statement (and per progress line).
const CHUNK: u64 = 100_000;

#[derive(Clone, Copy, Debug)]
struct Tenant {
    id: Uuid,
    slug: &'static str,
    name: &'static str,
    organisations: u64,
    people: u64,
    mandates: u64,
    interactions: u64,
    teams: u64,
    users: u64,
}

const BIG: Tenant = Tenant {
    id: Uuid::from_u128(0xbe9c_0000_0000_0000_0000_0000_0000_0001),
    slug: "bench-grand",
    name: "Grand Cabinet (bench)",
    organisations: 1_000_000,
    people: 2_000_000,
    mandates: 50_000,
    interactions: 200_000,
    teams: 5,
    users: 50,
};

const SMALL: Tenant = Tenant {
    id: Uuid::from_u128(0xbe9c_0000_0000_0000_0000_0000_0000_0002),
    slug: "bench-petit",
    name: "Petit Cabinet (bench)",
    organisations: 40_000,
    people: 60_000,
    mandates: 2_000,
    interactions: 10_000,
    teams: 2,
    users: 10,
};

impl Tenant {
    fn scaled(self, scale: f64) -> Tenant {
        let s = |n: u64| ((n as f64 * scale).round() as u64).max(1);
        Tenant {
            organisations: s(self.organisations),
            people: s(self.people),
            mandates: s(self.mandates),
            interactions: s(self.interactions),
            ..self
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Category {
    Exact,
    Typo,
    Prefix,
    Common,
    Accents,
}

impl Category {
    const ALL: [Category; 5] = [
        Category::Exact,
        Category::Typo,
        Category::Prefix,
        Category::Common,
        Category::Accents,
    ];

    fn label(self) -> &'static str {
        match self {
            Category::Exact => "exact names",
            Category::Typo => "typos",
            Category::Prefix => "prefixes (2–4 letters)",
            Category::Common => "common words",
            Category::Accents => "accents",
        }
    }
}

/// The fixed query mix.
const MIX: &[(Category, &str)] = &[
    (Category::Exact, "Dupont"),
    (Category::Exact, "Lefebvre"),
    (Category::Exact, "Jean Martin"),
    (Category::Exact, "Cabinet Moreau"),
    (Category::Exact, "Horizon Capital"),
    (Category::Exact, "Garnier Gestion Privée"),
    (Category::Typo, "Dupomt"),
    (Category::Typo, "Lefebre"),
    (Category::Typo, "Gauthiet"),
    (Category::Typo, "Rousseaux"),
    (Category::Typo, "Fontainne"),
    (Category::Typo, "Chevallier"),
    (Category::Prefix, "du"),
    (Category::Prefix, "le"),
    (Category::Prefix, "sa"),
    (Category::Prefix, "mar"),
    (Category::Prefix, "ber"),
    (Category::Prefix, "gest"),
    (Category::Prefix, "pat"),
    (Category::Prefix, "fonta"),
    (Category::Common, "paris"),
    (Category::Common, "gestion"),
    (Category::Common, "patrimoine"),
    (Category::Common, "capital"),
    (Category::Common, "finance"),
    (Category::Common, "directeur"),
    (Category::Accents, "société générale"),
    (Category::Accents, "societe generale"),
    (Category::Accents, "élodie"),
    (Category::Accents, "hélène lefèvre"),
    (Category::Accents, "nîmes"),
    (Category::Accents, "épargne méditerranée"),
];

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if !(args.scale > 0.0 && args.scale <= 10.0) {
        bail!("--scale must be in (0, 10]");
    }
    println!("migrating");
    relais_store::migrate::run(&args.admin_url, Some("relais_app"))
        .await
        .context("migrations")?;
    let mut admin = PgConnection::connect(&args.admin_url).await?;
    let big = BIG.scaled(args.scale);
    let small = SMALL.scaled(args.scale);
    generate(&mut admin, &args, &[big, small]).await?;
    // What the job worker does every hour (migration 0028): the planner's word frequencies,
    // by which search_ids() chooses a look-up.
    let words: i32 = sqlx::query_scalar("SELECT relais_search_refresh_frequencies()")
        .fetch_one(&mut admin)
        .await?;
    println!("word frequencies: {words} common lexemes");
    describe(&mut admin, &[big, small]).await?;
    prewarm(&mut admin).await?;
    let big_owner = users(&mut admin, big).await?[0];
    // The same user seen as a member of a team: the records owned by the team's 10 users
    // (a fifth of the tenant's).
    let big_team: Option<Uuid> = sqlx::query("SELECT team_id FROM users WHERE id = $1")
        .bind(big_owner)
        .fetch_one(&mut admin)
        .await?
        .get("team_id");
    admin.close().await?;

    let db = Db::connect(&DbConfig {
        url: args.app_url.clone(),
        // Each request searches its kinds on up to four connections at once.
        max_connections: args.concurrency as u32 * 4 + 1,
        acquire_timeout: Duration::from_secs(30),
    })
    .await?;
    db.assert_restricted_role().await?;
    let runs = [
        Run::Ping,
        Run::EmptyTx(big),
        Run::Search(big, Visibility::All),
        Run::Autocomplete(big, Visibility::All),
        Run::Search(big, Visibility::Own { user: big_owner }),
        Run::Autocomplete(big, Visibility::Own { user: big_owner }),
        Run::Search(
            big,
            Visibility::Team {
                user: big_owner,
                team: big_team,
            },
        ),
        Run::Autocomplete(
            big,
            Visibility::Team {
                user: big_owner,
                team: big_team,
            },
        ),
        Run::Search(small, Visibility::All),
        Run::Autocomplete(small, Visibility::All),
    ];
    let mut reports = Vec::new();
    for run in runs {
        println!("measuring: {}", run.label());
        // One untimed pass: a production database is warm.
        measure(&db, run, 1, 1).await?;
        reports.push((run, measure(&db, run, args.rounds, args.concurrency).await?));
    }
    let kinds = if args.per_kind {
        println!("measuring: each kind on its own");
        per_kind(&db, big, args.rounds).await?
    } else {
        Vec::new()
    };
    db.close().await;
    print_report(&args, &reports);
    print_per_kind(&kinds);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Data

async fn generate(admin: &mut PgConnection, args: &Args, tenants: &[Tenant]) -> Result<()> {
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_meta (scale float8 NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())")
        .execute(&mut *admin)
        .await?;
    let loaded: Option<f64> = sqlx::query("SELECT scale FROM bench_meta")
        .fetch_optional(&mut *admin)
        .await?
        .map(|r| r.get("scale"));
    if loaded == Some(args.scale) {
        println!("data for scale {} already loaded", args.scale);
        return Ok(());
    }
    let existing: i64 = sqlx::query("SELECT count(*) FROM tenants WHERE id = ANY($1)")
        .bind(tenants.iter().map(|t| t.id).collect::<Vec<_>>())
        .fetch_one(&mut *admin)
        .await?
        .get(0);
    if existing > 0 {
        bail!(
            "the database holds bench data of another scale or an interrupted load; \
             start again with `cargo xtask bench search --fresh`"
        );
    }
    let started = Instant::now();
    sqlx::query("SET maintenance_work_mem = '1GB'")
        .execute(&mut *admin)
        .await?;
    // Secondary indexes are rebuilt after the load (much faster than maintaining them row by
    // row), from their own definitions.
    let indexes: Vec<(String, String)> = sqlx::query(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
         WHERE t.relname IN ('organisations', 'people', 'mandates', 'interactions')
           AND t.relnamespace = 'public'::regnamespace
           AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
         ORDER BY 1",
    )
    .fetch_all(&mut *admin)
    .await?
    .iter()
    .map(|r| (r.get("name"), r.get("def")))
    .collect();
    for (name, _) in &indexes {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {name}")))
            .execute(&mut *admin)
            .await?;
    }
    for t in tenants {
        load_tenant(admin, *t).await?;
    }
    println!("rebuilding {} indexes", indexes.len());
    for (name, def) in &indexes {
        let t = Instant::now();
        sqlx::query(sqlx::AssertSqlSafe(def.clone()))
            .execute(&mut *admin)
            .await
            .with_context(|| format!("rebuilding {name}"))?;
        println!("  {name}: {:.1} s", t.elapsed().as_secs_f64());
    }
    println!("VACUUM ANALYZE");
    sqlx::query("VACUUM ANALYZE organisations, people, mandates, interactions, users")
        .execute(&mut *admin)
        .await?;
    sqlx::query("INSERT INTO bench_meta (scale) VALUES ($1)")
        .bind(args.scale)
        .execute(&mut *admin)
        .await?;
    println!("data generated in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

async fn load_tenant(admin: &mut PgConnection, t: Tenant) -> Result<()> {
    println!(
        "tenant {}: tenant, role, {} teams, {} users",
        t.slug, t.teams, t.users
    );
    let role = Uuid::from_u128(t.id.as_u128() ^ 0xff);
    sqlx::query("INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)")
        .bind(t.id)
        .bind(t.slug)
        .bind(t.name)
        .execute(&mut *admin)
        .await?;
    sqlx::query(
        "INSERT INTO roles (tenant_id, id, key, name, builtin) VALUES ($1, $2, 'admin', 'Administrateur', true)",
    )
    .bind(t.id)
    .bind(role)
    .execute(&mut *admin)
    .await?;
    sqlx::query(
        "INSERT INTO teams (tenant_id, id, name)
         SELECT $1, md5($1::text || ':team:' || i)::uuid, 'Équipe ' || i
         FROM generate_series(1, $2::int8) AS i",
    )
    .bind(t.id)
    .bind(t.teams as i64)
    .execute(&mut *admin)
    .await?;
    sqlx::query(
        "INSERT INTO users (tenant_id, id, email, full_name, password_hash, role_id, team_id)
         SELECT $1, md5($1::text || ':user:' || i)::uuid, 'user' || i || '@' || $3 || '.test',
                'Utilisateur ' || i, '!', $2, md5($1::text || ':team:' || (1 + i % $4::int8))::uuid
         FROM generate_series(1, $5::int8) AS i",
    )
    .bind(t.id)
    .bind(role)
    .bind(t.slug)
    .bind(t.teams as i64)
    .bind(t.users as i64)
    .execute(&mut *admin)
    .await?;
    let owners = users(admin, t).await?;
    for (what, body, n) in [
        ("organisations", ORGANISATIONS, t.organisations),
        ("people", PEOPLE, t.people),
        ("mandates", MANDATES, t.mandates),
        ("interactions", INTERACTIONS, t.interactions),
    ] {
        let sql = format!("WITH p AS (\n{POOLS}\n)\n{body}");
        let started = Instant::now();
        let mut from = 1;
        while from <= n {
            let to = (from + CHUNK - 1).min(n);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(t.id)
                .bind(from as i64)
                .bind(to as i64)
                .bind(&owners);
            if what == "mandates" || what == "interactions" {
                q = q.bind(t.organisations as i64);
            }
            q.execute(&mut *admin)
                .await
                .with_context(|| format!("generating {what}"))?;
            print!(
                "\r  {what}: {to}/{n} ({:.0} rows/s)   ",
                to as f64 / started.elapsed().as_secs_f64()
            );
            use std::io::Write;
            let _ = std::io::stdout().flush();
            from = to + 1;
        }
        println!();
    }
    Ok(())
}

/// The tenant's users, in a fixed order.
async fn users(admin: &mut PgConnection, t: Tenant) -> Result<Vec<Uuid>> {
    Ok(
        sqlx::query("SELECT id FROM users WHERE tenant_id = $1 ORDER BY email")
            .bind(t.id)
            .fetch_all(&mut *admin)
            .await?
            .iter()
            .map(|r| r.get("id"))
            .collect(),
    )
}

/// Row counts and sizes, printed before the measurements.
async fn describe(admin: &mut PgConnection, tenants: &[Tenant]) -> Result<()> {
    for t in tenants {
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM organisations WHERE tenant_id = $1) AS o,
                    (SELECT count(*) FROM people WHERE tenant_id = $1) AS p,
                    (SELECT count(*) FROM mandates WHERE tenant_id = $1) AS m,
                    (SELECT count(*) FROM interactions WHERE tenant_id = $1) AS i",
        )
        .bind(t.id)
        .fetch_one(&mut *admin)
        .await?;
        println!(
            "tenant {}: {} organisations, {} people, {} mandates, {} interactions",
            t.slug,
            row.get::<i64, _>("o"),
            row.get::<i64, _>("p"),
            row.get::<i64, _>("m"),
            row.get::<i64, _>("i"),
        );
    }
    for r in sqlx::query(
        "SELECT c.relname AS name, pg_size_pretty(pg_table_size(c.oid)) AS data,
                pg_size_pretty(pg_indexes_size(c.oid)) AS indexes
         FROM pg_class c
         WHERE c.relname IN ('organisations', 'people', 'mandates', 'interactions')
           AND c.relnamespace = 'public'::regnamespace ORDER BY 1",
    )
    .fetch_all(&mut *admin)
    .await?
    {
        println!(
            "  {}: table {}, indexes {}",
            r.get::<String, _>("name"),
            r.get::<String, _>("data"),
            r.get::<String, _>("indexes")
        );
    }
    Ok(())
}

/// Loads the searched tables and their indexes into shared buffers (`pg_prewarm`, created by
/// `cargo xtask bench search`): a production database has its working set in memory, and
/// the timings then do not depend on what earlier runs or the data load left in the caches.
async fn prewarm(admin: &mut PgConnection) -> Result<()> {
    let present: bool =
        sqlx::query("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_prewarm')")
            .fetch_one(&mut *admin)
            .await?
            .get(0);
    if !present {
        println!("pg_prewarm is not installed: measuring with the caches as they are");
        return Ok(());
    }
    let started = Instant::now();
    let blocks: i64 = sqlx::query(
        "SELECT coalesce(sum(pg_prewarm(c.oid)), 0)::int8
         FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')
           AND (c.oid IN (SELECT t.oid FROM pg_class t WHERE t.relname = ANY ($1))
                OR c.oid IN (SELECT i.indexrelid FROM pg_index i JOIN pg_class t
                             ON t.oid = i.indrelid WHERE t.relname = ANY ($1)))",
    )
    .bind(
        [
            "organisations",
            "people",
            "mandates",
            "interactions",
            "person_organisations",
            "search_words",
            "users",
        ]
        .map(String::from)
        .to_vec(),
    )
    .fetch_one(&mut *admin)
    .await?
    .get(0);
    println!(
        "prewarmed {} MB of tables and indexes in {:.1} s",
        blocks * 8 / 1024,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Measurements

#[derive(Clone, Copy, Debug)]
enum Run {
    /// A bare `SELECT 1` round trip.
    Ping,
    /// BEGIN, set the tenant, COMMIT: the fixed cost of every API request's transaction.
    EmptyTx(Tenant),
    Search(Tenant, Visibility),
    Autocomplete(Tenant, Visibility),
}

impl Run {
    fn label(&self) -> String {
        let scope = |v: &Visibility| match v {
            Visibility::All => "all records",
            Visibility::Team { .. } => "team records",
            Visibility::Own { .. } => "own records",
        };
        match self {
            Run::Ping => "SELECT 1 round trip".into(),
            Run::EmptyTx(_) => "empty tenant transaction (BEGIN, set tenant, COMMIT)".into(),
            Run::Search(t, v) => format!("search, {}, {}", t.slug, scope(v)),
            Run::Autocomplete(t, v) => format!("autocomplete, {}, {}", t.slug, scope(v)),
        }
    }
}

/// One timed operation.
#[derive(Clone, Debug)]
struct Sample {
    category: Option<Category>,
    query: &'static str,
    micros: u64,
}

async fn measure(db: &Db, run: Run, rounds: usize, concurrency: usize) -> Result<Vec<Sample>> {
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for _ in 0..rounds {
                match run {
                    Run::Ping | Run::EmptyTx(_) => {
                        for _ in 0..MIX.len() {
                            let started = Instant::now();
                            if let Run::EmptyTx(t) = run {
                                db.tenant_tx(TenantId(t.id)).await?.commit().await?;
                            } else {
                                db.ping().await?;
                            }
                            out.push(Sample {
                                category: None,
                                query: "",
                                micros: started.elapsed().as_micros() as u64,
                            });
                        }
                    }
                    Run::Search(t, vis) | Run::Autocomplete(t, vis) => {
                        for &(category, query) in MIX {
                            let started = Instant::now();
                            one_request(&db, run, t, vis, query).await?;
                            out.push(Sample {
                                category: Some(category),
                                query,
                                micros: started.elapsed().as_micros() as u64,
                            });
                        }
                    }
                }
            }
            anyhow::Ok(out)
        }));
    }
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await??);
    }
    Ok(samples)
}

/// What the handler does for one request, minus HTTP and JSON.
async fn one_request(db: &Db, run: Run, t: Tenant, vis: Visibility, query: &str) -> Result<()> {
    let text = parse_query(query).map_err(|e| anyhow::anyhow!(e.message))?;
    match run {
        Run::Search(..) => {
            let kinds: Vec<_> = SearchType::ALL.iter().map(|&k| (k, vis)).collect();
            let q = search::Query {
                text: &text,
                web: uses_web_syntax(&text),
            };
            let found =
                search::search_all(db, TenantId(t.id), &kinds, q, &SearchFilter::default(), 10)
                    .await?;
            std::hint::black_box(found);
        }
        _ => {
            let kinds: Vec<_> = [
                SearchType::Organisation,
                SearchType::Person,
                SearchType::Mandate,
            ]
            .iter()
            .map(|&k| (k, vis))
            .collect();
            let found = search::autocomplete_all(db, TenantId(t.id), &kinds, &text, 10).await?;
            std::hint::black_box(found);
        }
    }
    Ok(())
}

/// Median time of each kind alone (search, then autocomplete), per query of the mix.
type KindTimes = (&'static str, [f64; 7]);

async fn per_kind(db: &Db, t: Tenant, rounds: usize) -> Result<Vec<KindTimes>> {
    let tenant = TenantId(t.id);
    let vis = Visibility::All;
    let mut out = Vec::new();
    for &(_, query) in MIX {
        let text = parse_query(query).map_err(|e| anyhow::anyhow!(e.message))?;
        let q = search::Query {
            text: &text,
            web: uses_web_syntax(&text),
        };
        let mut medians = [0.0; 7];
        for (n, slot) in medians.iter_mut().enumerate() {
            let mut times = Vec::new();
            // One untimed pass, as for the mix.
            for round in 0..=rounds {
                let started = Instant::now();
                if n < 4 {
                    let kind = [(SearchType::ALL[n], vis)];
                    search::search_all(db, tenant, &kind, q, &SearchFilter::default(), 10).await?;
                } else {
                    let kind = [(
                        [
                            SearchType::Organisation,
                            SearchType::Person,
                            SearchType::Mandate,
                        ][n - 4],
                        vis,
                    )];
                    search::autocomplete_all(db, tenant, &kind, &text, 10).await?;
                }
                if round > 0 {
                    times.push(started.elapsed().as_micros() as u64);
                }
            }
            times.sort_unstable();
            *slot = percentile(&times, 50.0);
        }
        out.push((query, medians));
    }
    Ok(out)
}

fn print_per_kind(rows: &[KindTimes]) {
    if rows.is_empty() {
        return;
    }
    println!();
    println!("### Each kind on its own (bench-grand, all records, p50 ms)");
    println!();
    println!(
        "| query | search: organisations | people | mandates | interactions | sum | \
         autocomplete: organisations | people | mandates | sum |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let row = |label: &str, m: &[f64; 7]| {
        println!(
            "| {label} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            m[0],
            m[1],
            m[2],
            m[3],
            m[..4].iter().sum::<f64>(),
            m[4],
            m[5],
            m[6],
            m[4..].iter().sum::<f64>()
        );
    };
    let mut mean = [0.0; 7];
    for (q, m) in rows {
        row(q, m);
        for (t, v) in mean.iter_mut().zip(m) {
            *t += v / rows.len() as f64;
        }
    }
    row("mean", &mean);
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

fn stats(samples: &[&Sample]) -> (usize, f64, f64, f64, f64) {
    let mut v: Vec<u64> = samples.iter().map(|s| s.micros).collect();
    v.sort_unstable();
    (
        v.len(),
        percentile(&v, 50.0),
        percentile(&v, 95.0),
        percentile(&v, 99.0),
        v.last().copied().unwrap_or(0) as f64 / 1000.0,
    )
}

fn print_report(args: &Args, reports: &[(Run, Vec<Sample>)]) {
    println!();
    println!(
        "## Results (scale {}, {} rounds, {} concurrent client(s))",
        args.scale, args.rounds, args.concurrency
    );
    println!();
    println!("| measurement | n | p50 ms | p95 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (run, samples) in reports {
        let all: Vec<&Sample> = samples.iter().collect();
        let (n, p50, p95, p99, max) = stats(&all);
        println!(
            "| {} | {n} | {p50:.2} | {p95:.2} | {p99:.2} | {max:.2} |",
            run.label()
        );
    }
    for (run, samples) in reports {
        if matches!(run, Run::Ping | Run::EmptyTx(_)) {
            continue;
        }
        println!();
        println!("### {}", run.label());
        println!();
        println!("| queries | n | p50 ms | p95 ms | p99 ms | max ms |");
        println!("|---|---:|---:|---:|---:|---:|");
        for c in Category::ALL {
            let part: Vec<&Sample> = samples.iter().filter(|s| s.category == Some(c)).collect();
            let (n, p50, p95, p99, max) = stats(&part);
            println!(
                "| {} | {n} | {p50:.2} | {p95:.2} | {p99:.2} | {max:.2} |",
                c.label()
            );
        }
        // The slowest queries by their median.
        let mut per_query: Vec<(&str, f64, f64)> = MIX
            .iter()
            .map(|&(_, q)| {
                let part: Vec<&Sample> = samples.iter().filter(|s| s.query == q).collect();
                let (_, p50, _, _, max) = stats(&part);
                (q, p50, max)
            })
            .collect();
        per_query.sort_by(|a, b| b.1.total_cmp(&a.1));
        let worst: Vec<String> = per_query
            .iter()
            .take(3)
            .map(|(q, p50, max)| format!("\"{q}\" p50 {p50:.2} / max {max:.2}"))
            .collect();
        println!();
        println!("slowest: {}", worst.join(", "));
    }
}
