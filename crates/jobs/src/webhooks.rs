//! Webhook workers (SPEC §7). Two stages, both safe to run in any number of processes:
//!
//! * the **dispatcher** reads each tenant's event outbox past its cursor (only events whose
//!   transactions have all finished, see migration 0008) and creates one delivery per matching
//!   active endpoint, advancing the cursor in the same transaction: nothing is lost or doubled
//!   when a worker dies;
//! * the **sender** claims due deliveries (`FOR UPDATE SKIP LOCKED`, with a lease), POSTs the
//!   signed event and records the attempt, then schedules the next one (backoff with jitter),
//!   or disables an endpoint that answered 410 or kept failing for days.
//!
//! Workers are woken by `NOTIFY relais_webhooks` (new events, new or retried deliveries) and
//! poll as a fallback. Scheduling reads time from a [`Clock`], so tests move time by hand; the
//! `webhook-timestamp` header uses the real time, which receivers compare with theirs.
//!
//! Errors: anyhow with context (worker code).

use anyhow::Context;
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use relais_domain::{
    TenantId,
    webhooks::{
        self as rules, AddressPolicy, DISABLE_AFTER, DisabledReason, ENDPOINT_DISABLED_EVENT,
        Outcome,
    },
};
use relais_store::{
    Db,
    events::{self, ActorRef},
    webhooks::{
        self as store, AttemptRecord, ClaimedDelivery, Cursor, Delivery, Endpoint, NewDelivery,
        NextState, SecretCipher,
    },
};
use sha2::Sha256;
use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::{sync::Semaphore, sync::watch, task::JoinSet};
use uuid::Uuid;

// ---- Clock -----------------------------------------------------------------------------------

/// Where scheduling gets "now" from.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real time.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told (tests).
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().expect("clock lock");
        *t += chrono::Duration::from_std(by).expect("duration in range");
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

// ---- Configuration ---------------------------------------------------------------------------

/// Webhook worker settings.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// Decrypts endpoint secrets (`RELAIS_SECRETS_KEY`).
    pub cipher: SecretCipher,
    /// Which addresses deliveries may reach.
    pub policy: AddressPolicy,
    /// Whole-request timeout (connect, send, answer): 15 s.
    pub timeout: Duration,
    /// A claimed delivery whose worker went silent this long is claimed again. Longer than
    /// `timeout` so a live attempt is never sent twice at once.
    pub lease: Duration,
    pub poll_interval: Duration,
    /// Deliveries in flight per process.
    pub concurrency: usize,
    /// Events read per dispatch transaction.
    pub dispatch_batch: u64,
}

impl WebhookConfig {
    pub fn new(cipher: SecretCipher, policy: AddressPolicy) -> Self {
        Self::with_timeout(cipher, policy, Duration::from_secs(15))
    }

    /// Settings around another request timeout; the lease is four times as long.
    pub fn with_timeout(cipher: SecretCipher, policy: AddressPolicy, timeout: Duration) -> Self {
        Self {
            cipher,
            policy,
            timeout,
            lease: timeout * 4,
            poll_interval: Duration::from_secs(1),
            concurrency: 64,
            dispatch_batch: 1000,
        }
    }
}

/// Largest part of an answer kept in the log.
pub const MAX_RESPONSE_BYTES: usize = 4096;

// ---- Signatures ------------------------------------------------------------------------------

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>` (Standard Webhooks).
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: one signature per valid secret, space-separated (the new
/// secret first; during a rotation the previous one too).
pub fn signature_header(
    secrets: &[String],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> anyhow::Result<String> {
    let mut out = Vec::with_capacity(secrets.len());
    for s in secrets {
        let key = store::secret_key_bytes(s).context("decode webhook secret")?;
        out.push(sign(&key, id, timestamp, body));
    }
    Ok(out.join(" "))
}

// ---- Address checks at connect time ----------------------------------------------------------

/// Resolves host names and keeps only the addresses the policy allows, so a name that
/// resolves (or is re-pointed, "DNS rebinding") to an internal address is never connected to.
#[derive(Debug)]
struct PolicyResolver {
    policy: AddressPolicy,
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match policy.check(a.ip()) {
                    Ok(()) => true,
                    Err(why) => {
                        refused.get_or_insert(why);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let why = refused.unwrap_or_else(|| "no address".into());
                return Err(Box::new(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("refused address for {host}: {why}"),
                ))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client of deliveries: no redirects, no proxy (it would bypass the address
/// checks), the policy resolver, a whole-request timeout.
pub fn http_client(cfg: &WebhookConfig) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(PolicyResolver {
            policy: cfg.policy.clone(),
        }))
        .user_agent(concat!("Relais-Webhooks/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .context("build webhook HTTP client")
}

// ---- The worker ------------------------------------------------------------------------------

/// Dispatcher and sender, sharing a database pool and an HTTP client. Per-endpoint rate limits
/// live in the database (`Endpoint::take_rate_token`), shared by every process.
#[derive(Clone)]
pub struct WebhookWorker {
    db: Db,
    cfg: Arc<WebhookConfig>,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    /// Tenant slugs (the `tenant` field of bodies), read once a minute at most.
    slugs: Arc<Mutex<HashMap<Uuid, (String, Instant)>>>,
}

/// How long a tenant's slug is reused before it is read again.
const SLUG_TTL: Duration = Duration::from_secs(60);

impl WebhookWorker {
    pub fn new(db: Db, cfg: WebhookConfig, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let client = http_client(&cfg)?;
        Ok(Self {
            db,
            cfg: Arc::new(cfg),
            client,
            clock,
            slugs: Arc::default(),
        })
    }

    async fn tenant_slug(
        &self,
        tx: &relais_store::TenantTx,
        tenant: Uuid,
    ) -> anyhow::Result<String> {
        if let Some((slug, at)) = self.slugs.lock().expect("slug cache lock").get(&tenant)
            && at.elapsed() < SLUG_TTL
        {
            return Ok(slug.clone());
        }
        let slug = store::tenant_slug(&**tx, tenant).await?;
        self.slugs
            .lock()
            .expect("slug cache lock")
            .insert(tenant, (slug.clone(), Instant::now()));
        Ok(slug)
    }

    /// Fan out every event that is ready, for every tenant. Returns deliveries created.
    pub async fn dispatch_once(&self) -> anyhow::Result<u64> {
        let ptx = self.db.platform_tx().await.context("begin candidates")?;
        let tenants = store::dispatch_candidates(&*ptx, 100)
            .await
            .context("dispatch candidates")?;
        ptx.commit().await?;
        let mut created = 0;
        for tenant in tenants {
            created += self
                .dispatch_tenant(tenant)
                .await
                .with_context(|| format!("dispatch tenant {tenant}"))?;
        }
        Ok(created)
    }

    async fn dispatch_tenant(&self, tenant: Uuid) -> anyhow::Result<u64> {
        let mut created = 0;
        loop {
            let tx = self.db.tenant_tx(TenantId(tenant)).await?;
            // Another dispatcher holds this tenant: it will do the work.
            let Some(cursor) = Cursor::lock(&*tx, tenant).await? else {
                return Ok(created);
            };
            let batch = cursor
                .next_events(&*tx, tenant, self.cfg.dispatch_batch)
                .await?;
            let Some(last) = batch.last() else {
                tx.commit().await?;
                return Ok(created);
            };
            let endpoints = Endpoint::list_active(&*tx, tenant).await?;
            let rows: Vec<NewDelivery> = batch
                .iter()
                .filter(|e| rules::is_fanned_out(&e.event_type))
                .flat_map(|e| {
                    endpoints
                        .iter()
                        .filter(|ep| {
                            e.occurred_at >= ep.created_at
                                && rules::matches_any(&ep.event_types, &e.event_type)
                        })
                        .map(|ep| NewDelivery {
                            endpoint_id: ep.id,
                            event_id: e.id,
                            event_type: e.event_type.clone(),
                        })
                })
                .collect();
            created += Delivery::insert_many(&*tx, tenant, &rows, self.clock.now()).await?;
            Cursor::advance(&*tx, tenant, last).await?;
            tx.commit().await?;
            if (batch.len() as u64) < self.cfg.dispatch_batch {
                return Ok(created);
            }
        }
    }

    /// Claim up to `limit` due deliveries (platform transaction; ids only).
    async fn claim(&self, limit: usize) -> anyhow::Result<Vec<ClaimedDelivery>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let ptx = self.db.platform_tx().await.context("begin claim")?;
        let claimed = Delivery::claim(&*ptx, self.clock.now(), limit as i32, self.cfg.lease)
            .await
            .context("claim deliveries")?;
        ptx.commit().await?;
        Ok(claimed)
    }

    /// Claim what is due now and send it all, waiting for every attempt. Returns how many
    /// deliveries were claimed. (The long-running loop does not wait; tests do.)
    pub async fn deliver_once(&self) -> anyhow::Result<usize> {
        let claimed = self.claim(self.cfg.concurrency).await?;
        let n = claimed.len();
        let mut set = JoinSet::new();
        for c in claimed {
            let w = self.clone();
            set.spawn(async move { w.deliver_logged(c).await });
        }
        while set.join_next().await.is_some() {}
        Ok(n)
    }

    async fn deliver_logged(&self, c: ClaimedDelivery) {
        if let Err(e) = self.deliver(&c).await {
            // The lease lapses and the delivery is tried again.
            tracing::error!(delivery = %c.id, tenant = %c.tenant_id, error = ?e,
                "webhook delivery failed to run");
        }
    }

    /// One attempt of one claimed delivery.
    async fn deliver(&self, c: &ClaimedDelivery) -> anyhow::Result<()> {
        let tenant = c.tenant_id;
        let now = self.clock.now();
        let tx = self.db.tenant_tx(TenantId(tenant)).await?;
        let Some((d, ep, event)) = Delivery::load_attempt(&*tx, tenant, c.id).await? else {
            return Ok(());
        };
        if !ep.active {
            Delivery::abandon(&*tx, tenant, d.id, c.lock_token, "endpoint disabled", now).await?;
            tx.commit().await?;
            return Ok(());
        }
        if ep.rate_limit.is_some()
            && let Err(wait) = Endpoint::take_rate_token(&*tx, tenant, ep.id, now).await?
        {
            let at = now + chrono::Duration::from_std(wait).unwrap_or_default();
            Delivery::release(&*tx, tenant, d.id, c.lock_token, at).await?;
            tx.commit().await?;
            return Ok(());
        }
        let event = event.context("the delivery's event is gone")?;
        let slug = self.tenant_slug(&tx, tenant).await?;
        tx.commit().await?;

        let body = serde_json::to_vec(&store::event_wire(&event, &slug))?;
        let webhook_id = store::event_wire_id(event.id);
        let attempt = match self.secrets(&ep, now) {
            Ok(secrets) => self.post(&ep.url, &webhook_id, &secrets, body).await,
            // A secret that no longer decrypts (the key changed) fails like any attempt, so
            // the delivery ends and the endpoint is switched off in time; rotating the secret
            // repairs it.
            Err(e) => Sent {
                outcome: Outcome::Failed,
                status: None,
                latency: Duration::ZERO,
                error: Some(format!("{e:#}")),
                body: None,
            },
        };

        let outcome = attempt.outcome;
        let record = AttemptRecord {
            attempt: c.attempts,
            started_at: now,
            duration_ms: attempt.latency.as_millis().min(i32::MAX as u128) as i32,
            status_code: attempt.status.map(i32::from),
            error: attempt.error.clone(),
            response_body: attempt.body,
            succeeded: outcome == Outcome::Delivered,
        };
        let tx = self.db.tenant_tx(TenantId(tenant)).await?;
        let (next, switch_off) = match outcome {
            Outcome::Delivered => {
                // Read with the delivery: a run of failures that started since is ended by
                // the next success.
                if ep.failing_since.is_some() {
                    Endpoint::note_success(&*tx, tenant, ep.id).await?;
                }
                (NextState::Succeeded, None)
            }
            Outcome::Gone => (NextState::Failed, Some(DisabledReason::Gone)),
            Outcome::Throttled { .. } | Outcome::Failed => {
                let since = Endpoint::note_failure(&*tx, tenant, ep.id, now).await?;
                let failing_for = since.map(|s| now - s).unwrap_or_default();
                if failing_for.to_std().unwrap_or_default() >= DISABLE_AFTER {
                    (NextState::Failed, Some(DisabledReason::Failing))
                } else {
                    let jitter = rand::random::<f64>() * 2.0 - 1.0;
                    let next = match rules::retry_delay(c.attempts, outcome, jitter) {
                        Some(wait) => NextState::RetryAt(
                            now + chrono::Duration::from_std(wait).unwrap_or_default(),
                        ),
                        None => NextState::Failed,
                    };
                    (next, None)
                }
            }
        };
        // Record this attempt first: switching the endpoint off gives up its other deliveries.
        let kept = Delivery::finish(&*tx, tenant, &d, c.lock_token, &record, next).await?;
        if let Some(reason) = switch_off {
            self.disable(&tx, &ep, reason, now).await?;
        }
        tx.commit().await?;
        if !kept {
            tracing::warn!(delivery = %d.id, "webhook lease lost during the attempt; another worker has it");
        }
        Ok(())
    }

    /// The secrets that sign now: the current one, and the previous one during a rotation.
    fn secrets(&self, ep: &Endpoint, now: DateTime<Utc>) -> anyhow::Result<Vec<String>> {
        let aad = store::secret_aad(ep.tenant_id, ep.id);
        let mut secrets = vec![self.cfg.cipher.decrypt(&ep.secret_enc, &aad)?];
        if let (Some(prev), Some(until)) = (&ep.previous_secret_enc, ep.previous_secret_expires_at)
            && until > now
        {
            secrets.push(self.cfg.cipher.decrypt(prev, &aad)?);
        }
        Ok(secrets)
    }

    /// Switch an endpoint off, give up its pending deliveries and store the event the
    /// notifications turn into a message to the tenant's administrators.
    async fn disable(
        &self,
        tx: &relais_store::TenantTx,
        ep: &Endpoint,
        reason: DisabledReason,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let tenant = ep.tenant_id;
        if !Endpoint::disable(&**tx, tenant, ep.id, reason.code(), now).await? {
            return Ok(());
        }
        let why = match reason {
            DisabledReason::Gone => "the receiver answered 410 Gone",
            DisabledReason::Failing => "every attempt failed for 5 days",
            DisabledReason::Manual => "switched off",
        };
        Delivery::fail_pending(
            &**tx,
            tenant,
            ep.id,
            &format!("endpoint disabled: {why}"),
            now,
        )
        .await?;
        let after = Endpoint::find(&**tx, tenant, ep.id)
            .await?
            .context("endpoint vanished")?;
        let before = serde_json::to_value(ep.wire())?;
        let mut after = serde_json::to_value(after.wire())?;
        after["reason_text"] = why.into();
        events::record(
            &**tx,
            tenant,
            ENDPOINT_DISABLED_EVENT,
            "webhook_endpoint",
            ep.id,
            ActorRef {
                kind: "system",
                id: None,
            },
            Some(&before),
            Some(&after),
        )
        .await?;
        tracing::warn!(tenant = %tenant, endpoint = %ep.id, reason = reason.code(), "webhook endpoint disabled");
        Ok(())
    }

    /// POST the body; never fails, the result says what happened.
    async fn post(&self, url: &str, id: &str, secrets: &[String], body: Vec<u8>) -> Sent {
        let started = Instant::now();
        let failed = |error: String, timed_out: bool| Sent {
            outcome: Outcome::classify(None, timed_out, None),
            status: None,
            latency: started.elapsed(),
            error: Some(error),
            body: None,
        };
        // IP literals never reach the resolver: check them here, with the policy in force now
        // (the URL was checked when saved, perhaps under another policy). Names are checked
        // after resolution, by the resolver.
        let parsed = match url::Url::parse(url) {
            Ok(u) => u,
            Err(e) => return failed(format!("invalid URL: {e}"), false),
        };
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => return failed("the URL has no host".into(), false),
        };
        if let Some(ip) = literal
            && let Err(why) = self.cfg.policy.check(ip)
        {
            return failed(format!("refused address: {why}"), false);
        }
        let timestamp = Utc::now().timestamp();
        let signature = match signature_header(secrets, id, timestamp, &body) {
            Ok(s) => s,
            Err(e) => return failed(format!("{e:#}"), false),
        };
        let res = self
            .client
            .post(parsed)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let mut res = match res {
            Ok(r) => r,
            Err(e) => return failed(error_chain(&e), e.is_timeout()),
        };
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| rules::parse_retry_after(v, std::time::SystemTime::now()));
        let mut kept = Vec::new();
        let mut read_error = None;
        while kept.len() < MAX_RESPONSE_BYTES {
            match res.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    read_error = Some(error_chain(&e));
                    break;
                }
            }
        }
        kept.truncate(MAX_RESPONSE_BYTES);
        let mut text = String::from_utf8_lossy(&kept).into_owned();
        // Replacement characters can make the text longer than the bytes it came from.
        while text.len() > MAX_RESPONSE_BYTES {
            text.pop();
        }
        Sent {
            outcome: Outcome::classify(Some(status), false, retry_after),
            status: Some(status),
            latency: started.elapsed(),
            error: read_error
                .or_else(|| (!(200..300).contains(&status)).then(|| format!("HTTP {status}"))),
            body: Some(text),
        }
    }
}

/// What one POST came to.
struct Sent {
    outcome: Outcome,
    status: Option<u16>,
    latency: Duration,
    error: Option<String>,
    body: Option<String>,
}

/// An error and its causes on one line ("error sending request: …: refused address …").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// Run the dispatcher and the sender until `shutdown` turns true. Attempts run concurrently
/// (up to `concurrency`); a slow receiver holds one slot, not the loop.
pub async fn run(worker: WebhookWorker, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("webhook worker started");
    let mut listener = match worker.db.listen(store::CHANNEL).await {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!(error = %e, "LISTEN failed; webhook worker polls");
            None
        }
    };
    let slots = Arc::new(Semaphore::new(worker.cfg.concurrency));
    let mut in_flight = JoinSet::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        while in_flight.try_join_next().is_some() {}
        if let Err(e) = worker.dispatch_once().await {
            tracing::error!(error = ?e, "webhook dispatch failed");
        }
        let free = slots.available_permits();
        if free == 0 {
            tokio::select! {
                _ = in_flight.join_next() => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        let claimed = match worker.claim(free).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = ?e, "webhook claim failed");
                Vec::new()
            }
        };
        let busy = !claimed.is_empty() && claimed.len() == free;
        for c in claimed {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            let w = worker.clone();
            in_flight.spawn(async move {
                w.deliver_logged(c).await;
                drop(permit);
            });
        }
        if busy {
            // Every slot was used: wait for one to free up, then claim again.
            tokio::select! {
                _ = in_flight.join_next() => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(worker.cfg.poll_interval) => {}
            _ = shutdown.changed() => {}
            n = async {
                match listener.as_mut() {
                    Some(l) => l.recv().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            } => {
                if let Err(e) = n {
                    tracing::warn!(error = %e, "LISTEN connection lost; webhook worker polls");
                    listener = None;
                }
            }
        }
    }
    // Let attempts in progress finish (each is bounded by the timeout).
    while in_flight.join_next().await.is_some() {}
    tracing::info!("webhook worker stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn rotation_signs_with_every_secret() {
        let a = store::new_secret();
        let b = store::new_secret();
        let h = signature_header(&[a.clone(), b.clone()], "evt_1", 5, b"{}").unwrap();
        let parts: Vec<&str> = h.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            sign(&store::secret_key_bytes(&a).unwrap(), "evt_1", 5, b"{}")
        );
        assert_eq!(
            parts[1],
            sign(&store::secret_key_bytes(&b).unwrap(), "evt_1", 5, b"{}")
        );
    }

    #[test]
    fn manual_clock_moves_when_told() {
        let t0 = Utc::now();
        let c = ManualClock::new(t0);
        c.advance(Duration::from_secs(5));
        assert_eq!(c.now(), t0 + chrono::Duration::seconds(5));
    }

    #[tokio::test]
    async fn resolver_refuses_names_of_private_addresses() {
        use reqwest::dns::Resolve;
        let r = PolicyResolver {
            policy: AddressPolicy::default(),
        };
        let err = match r.resolve("localhost".parse().unwrap()).await {
            Ok(_) => panic!("localhost resolved through the policy"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("refused address"), "{err}");
        let open = PolicyResolver {
            policy: AddressPolicy {
                allow_private: true,
                allowed: vec![],
            },
        };
        let addrs: Vec<_> = open
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }
}
