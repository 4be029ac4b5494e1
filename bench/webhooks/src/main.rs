//! Webhook delivery benchmark (issue 7, SPEC HOOK-3). Run it with `cargo xtask bench webhooks`,
//! which starts a private PostgreSQL cluster, creates a fresh database and passes the URLs; it
//! is never part of `cargo xtask test`.
//!
//! Everything runs on this machine: PostgreSQL, a local HTTP receiver (a bare actix-web sink on
//! its own thread that answers 204 and notes when each `webhook-id` arrived), and the very
//! worker `relais serve` runs (`relais_jobs::webhooks::run`: dispatcher + sender, signing every
//! request) as the application role through row-level security.
//!
//! 1. **Baseline**: a plain reqwest loop posts the same body to the same receiver, first with as
//!    many requests in flight as the worker allows (the receiver's ceiling), then one at a time
//!    (the round trip that no delivery can beat).
//! 2. **Throughput**: `--events` events are written to the outbox (100 per transaction) while
//!    the worker is stopped, then the worker starts and the time until the receiver has seen
//!    every one of them gives the sustained deliveries per second.
//! 3. **Latency**: the worker running and idle, events are written one per transaction (as an
//!    API request writes them) at `--rate` per second for `--seconds`; each event's latency runs
//!    from its transaction's commit to its first arrival at the receiver.
//!
//! Every event must arrive (at least once); the run fails otherwise.
#![forbid(unsafe_code)]

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use relais_domain::{TenantId, webhooks::AddressPolicy};
use relais_jobs::webhooks::{self as worker, SystemClock, WebhookConfig, WebhookWorker};
use relais_store::{
    Db, DbConfig,
    events::{self, ActorRef},
    webhooks::{self as store, Endpoint, EndpointFields, SecretCipher},
};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::{sync::watch, task::JoinSet};
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(about = "Webhook delivery benchmark (see the crate documentation)")]
struct Args {
    /// Owner role URL: migrations and the tenant row.
    #[arg(long, env = "BENCH_ADMIN_URL")]
    admin_url: String,
    /// Application role URL (no BYPASSRLS): the worker and the event writers.
    #[arg(long, env = "BENCH_APP_URL")]
    app_url: String,
    /// Events of the throughput phase.
    #[arg(long, default_value_t = 20_000)]
    events: usize,
    /// Events per second of the latency phase.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Length of the latency phase.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// Deliveries in flight in the worker (and requests in flight in the baseline).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
}

const TENANT: Uuid = Uuid::from_u128(0xbe9c_0000_0000_0000_0000_0000_0000_00a1);
const EVENT_TYPE: &str = "organisation.updated";

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(args.events >= 100, "--events must be at least 100");
    ensure!(
        (1..=5_000).contains(&args.rate),
        "--rate must be in 1..=5000"
    );
    ensure!(args.seconds >= 1, "--seconds must be at least 1");
    ensure!(
        (1..=512).contains(&args.concurrency),
        "--concurrency must be in 1..=512"
    );
    println!("migrating");
    relais_store::migrate::run(&args.admin_url, Some("relais_app"))
        .await
        .context("migrations")?;
    let mut admin = PgConnection::connect(&args.admin_url).await?;
    sqlx::query("INSERT INTO tenants (id, slug, name) VALUES ($1, 'bench-hooks', 'Webhooks (bench)') ON CONFLICT DO NOTHING")
        .bind(TENANT)
        .execute(&mut admin)
        .await?;
    admin.close().await?;

    let receiver = Receiver::start()?;
    let url = format!("http://{}/hook", receiver.addr);
    let body = serde_json::to_vec(&sample_event(Uuid::now_v7()))?;
    println!(
        "receiver on {url}; event body {} bytes; concurrency {}",
        body.len(),
        args.concurrency
    );

    // 1. Baseline.
    let raw_rate = raw_loop(&url, &body, args.events, args.concurrency).await?;
    let raw_rtt = raw_sequential(&url, &body, 2_000).await?;
    receiver.reset();

    let db = Db::connect(&DbConfig {
        url: args.app_url.clone(),
        max_connections: 24,
        acquire_timeout: Duration::from_secs(30),
    })
    .await?;
    db.assert_restricted_role().await?;
    let cipher = SecretCipher::new(rand_key());
    let endpoint = create_endpoint(&db, &cipher, &url).await?;
    println!("endpoint {endpoint} subscribed to organisation.*");
    let mut cfg = WebhookConfig::new(
        cipher,
        AddressPolicy {
            allow_private: true,
            allowed: vec![],
        },
    );
    cfg.concurrency = args.concurrency;

    // 2. Throughput: a backlog, then the worker.
    println!(
        "writing {} events to the outbox (worker stopped)",
        args.events
    );
    let started = Instant::now();
    let mut backlog = Vec::with_capacity(args.events);
    for chunk in 0..args.events.div_ceil(100) {
        let n = 100.min(args.events - chunk * 100);
        let tx = db.tenant_tx(TenantId(TENANT)).await?;
        for _ in 0..n {
            backlog.push(write_event(&tx).await?);
        }
        tx.commit().await?;
    }
    let write_rate = args.events as f64 / started.elapsed().as_secs_f64();
    let (stop, stopped) = watch::channel(false);
    let w = WebhookWorker::new(db.clone(), cfg.clone(), Arc::new(SystemClock))?;
    let started = Instant::now();
    let handle = tokio::spawn(worker::run(w, stopped));
    receiver
        .wait_for(&backlog, Duration::from_secs(600))
        .await
        .context("throughput phase")?;
    let drain = started.elapsed();
    let hook_rate = args.events as f64 / drain.as_secs_f64();
    let dup_throughput = receiver.duplicates();

    // 3. Latency: paced writes, one per transaction, the worker idle between them.
    receiver.reset();
    let total = (args.rate * args.seconds) as usize;
    println!(
        "latency: {} events at {}/s, one per transaction",
        total, args.rate
    );
    let period = Duration::from_secs_f64(1.0 / f64::from(args.rate));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let committed: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let mut writers = JoinSet::new();
    for _ in 0..total {
        tick.tick().await;
        let db = db.clone();
        let committed = committed.clone();
        writers.spawn(async move {
            let tx = db.tenant_tx(TenantId(TENANT)).await?;
            let id = write_event(&tx).await?;
            tx.commit().await?;
            committed.lock().expect("lock").push((id, Instant::now()));
            anyhow::Ok(())
        });
    }
    while let Some(r) = writers.join_next().await {
        r??;
    }
    let committed = std::mem::take(&mut *committed.lock().expect("lock"));
    let ids: Vec<String> = committed.iter().map(|(id, _)| id.clone()).collect();
    receiver
        .wait_for(&ids, Duration::from_secs(120))
        .await
        .context("latency phase")?;
    let arrivals = receiver.first_arrivals();
    let mut latencies: Vec<f64> = committed
        .iter()
        .map(|(id, at)| {
            arrivals[id]
                .checked_duration_since(*at)
                .unwrap_or_default()
                .as_secs_f64()
                * 1e3
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let _ = stop.send(true);
    handle.await?;
    db.close().await;

    let p = |q: f64| percentile(&latencies, q);
    println!();
    println!(
        "## Webhook delivery ({} events, concurrency {})",
        args.events, args.concurrency
    );
    println!();
    println!("| measurement | value | against the baseline |");
    println!("|---|---:|---:|");
    println!(
        "| raw reqwest loop, {} in flight (receiver ceiling) | {:.0} req/s | 100 % |",
        args.concurrency, raw_rate
    );
    println!(
        "| Relais deliveries (outbox → dispatcher → signed POST → attempt recorded) | {:.0} /s | {:.0} % |",
        hook_rate,
        100.0 * hook_rate / raw_rate
    );
    println!("| outbox writes (100 events per transaction) | {write_rate:.0} /s | |");
    println!(
        "| raw round trip, one at a time, p50 | {:.2} ms | 1× |",
        raw_rtt
    );
    println!(
        "| enqueue → first attempt p50 ({}/s, one event per transaction) | {:.2} ms | {:.0}× |",
        args.rate,
        p(0.50),
        p(0.50) / raw_rtt
    );
    println!(
        "| enqueue → first attempt p95 | {:.2} ms | {:.0}× |",
        p(0.95),
        p(0.95) / raw_rtt
    );
    println!(
        "| enqueue → first attempt p99 | {:.2} ms | {:.0}× |",
        p(0.99),
        p(0.99) / raw_rtt
    );
    println!(
        "| enqueue → first attempt max | {:.2} ms | |",
        latencies.last().copied().unwrap_or(0.0)
    );
    println!("| duplicates received (throughput phase) | {dup_throughput} | |");
    println!();
    println!(
        "targets: ≥ 1,000 deliveries/s ({}), p50 ≤ 50 ms ({})",
        if hook_rate >= 1000.0 { "met" } else { "missed" },
        if p(0.50) <= 50.0 { "met" } else { "missed" }
    );
    Ok(())
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn rand_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    key[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    key
}

async fn create_endpoint(db: &Db, cipher: &SecretCipher, url: &str) -> Result<Uuid> {
    let tx = db.tenant_tx(TenantId(TENANT)).await?;
    let id = Uuid::now_v7();
    let secret = store::new_secret();
    let enc = cipher.encrypt(&secret, &store::secret_aad(TENANT, id));
    let fields = EndpointFields {
        url: url.to_owned(),
        description: "bench receiver".into(),
        event_types: vec!["organisation.*".into()],
        active: true,
        disabled_reason: None,
        rate_limit: None,
    };
    Endpoint::insert(&*tx, TENANT, id, &fields, enc, None).await?;
    tx.commit().await?;
    Ok(id)
}

/// A realistic organisation record, as the API stores it in `data.record`.
fn sample_record(id: Uuid) -> Value {
    json!({
        "id": id,
        "name": "Cabinet Moreau Gestion Privée",
        "kind": "investor",
        "category": "opcvm",
        "pipeline_stage": "qualification",
        "email": "contact@moreau-gestion.fr",
        "phone": "+33 1 42 68 53 00",
        "website": "https://moreau-gestion.fr",
        "address": "12 rue de la Paix",
        "city": "Paris",
        "postcode": "75002",
        "country": "FR",
        "notes": "Rendez-vous trimestriel avec la direction financière ; intéressé par les SCPI.",
        "active": true,
        "expected_amount": "250000.00",
        "tags": ["patrimoine", "prioritaire"],
        "owner_id": Uuid::from_u128(7),
        "created_at": "2026-11-02T09:14:00Z",
        "updated_at": "2026-12-01T16:42:20Z",
    })
}

fn sample_event(id: Uuid) -> Value {
    json!({
        "id": store::event_wire_id(id),
        "type": EVENT_TYPE,
        "occurred_at": "2026-12-01T16:42:20Z",
        "tenant": "bench-hooks",
        "actor": {"type": "user", "id": Uuid::from_u128(7)},
        "data": {"id": id, "before": {"pipeline_stage": "prospect"},
                 "after": {"pipeline_stage": "qualification"}, "record": sample_record(id)},
    })
}

/// One `organisation.updated` event in the outbox; returns its `webhook-id`.
async fn write_event(tx: &relais_store::TenantTx) -> Result<String> {
    let record = Uuid::now_v7();
    let after = sample_record(record);
    let mut before = after.clone();
    before["pipeline_stage"] = "prospect".into();
    let id = events::record(
        &**tx,
        TENANT,
        EVENT_TYPE,
        "organisation",
        record,
        ActorRef {
            kind: "user",
            id: Some(Uuid::from_u128(7)),
        },
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(store::event_wire_id(id))
}

// ---- Baseline --------------------------------------------------------------------------------

/// Requests per second of a plain client keeping `concurrency` requests in flight.
async fn raw_loop(url: &str, body: &[u8], n: usize, concurrency: usize) -> Result<f64> {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut set = JoinSet::new();
    for _ in 0..concurrency {
        let (client, next, url, body) =
            (client.clone(), next.clone(), url.to_owned(), body.to_vec());
        set.spawn(async move {
            while (next.fetch_add(1, Ordering::Relaxed) as usize) < n {
                let id = format!("raw_{}", Uuid::now_v7());
                let res = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("webhook-id", id)
                    .body(body.clone())
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!("receiver answered {}", res.status());
                }
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Median round trip of one request at a time, in milliseconds.
async fn raw_sequential(url: &str, body: &[u8], n: usize) -> Result<f64> {
    let client = reqwest::Client::new();
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", format!("raw_{}", Uuid::now_v7()))
            .body(body.to_vec())
            .send()
            .await?
            .error_for_status()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(percentile(&times, 0.5))
}

// ---- Receiver --------------------------------------------------------------------------------

#[derive(Default)]
struct Seen {
    /// First arrival of each webhook-id.
    first: HashMap<String, Instant>,
    duplicates: u64,
}

/// A bare HTTP sink on its own thread and runtime: answers 204 at once.
struct Receiver {
    addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
}

impl Receiver {
    fn start() -> Result<Self> {
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = seen.clone();
        std::thread::spawn(move || {
            let sys = actix_web::rt::System::new();
            let started = tx.clone();
            let result = sys.block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(shared.clone()))
                        .route("/hook", web::post().to(receive))
                })
                .workers(1)
                .bind(("127.0.0.1", 0))?;
                let addr = server.addrs()[0];
                let _ = started.send(Ok(addr));
                server.run().await
            });
            if let Err(e) = result {
                let _ = tx.send(Err(e));
            }
        });
        let addr = rx.recv().context("receiver thread")??;
        Ok(Self { addr, seen })
    }

    fn reset(&self) {
        *self.seen.lock().expect("lock") = Seen::default();
    }

    fn duplicates(&self) -> u64 {
        self.seen.lock().expect("lock").duplicates
    }

    fn first_arrivals(&self) -> HashMap<String, Instant> {
        self.seen.lock().expect("lock").first.clone()
    }

    /// Wait until every id has arrived at least once.
    async fn wait_for(&self, ids: &[String], limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            let missing = {
                let seen = self.seen.lock().expect("lock");
                ids.iter()
                    .filter(|id| !seen.first.contains_key(*id))
                    .count()
            };
            if missing == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "{missing} of {} events never reached the receiver",
                    ids.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(if missing > 1000 { 20 } else { 2 })).await;
        }
    }
}

async fn receive(
    req: HttpRequest,
    _body: web::Bytes,
    seen: web::Data<Arc<Mutex<Seen>>>,
) -> HttpResponse {
    let now = Instant::now();
    if let Some(id) = req
        .headers()
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
    {
        let mut seen = seen.lock().expect("lock");
        if seen.first.contains_key(id) {
            seen.duplicates += 1;
        } else {
            seen.first.insert(id.to_owned(), now);
        }
    }
    HttpResponse::NoContent().finish()
}
