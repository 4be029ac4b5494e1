use crate::{config::ApiConfig, error::ApiError, password::Hasher};
use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use relais_store::Db;
use std::{net::IpAddr, num::NonZeroU32, sync::Arc};

/// Shared by every request. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub cfg: Arc<ApiConfig>,
    pub hasher: Hasher,
    pub login_limiter: Arc<LoginLimiter>,
}

impl AppState {
    pub fn new(db: Db, cfg: ApiConfig) -> Self {
        let hasher = Hasher::new(cfg.hash_concurrency);
        let login_limiter = Arc::new(LoginLimiter::new(cfg.login_rate_per_minute));
        Self {
            db,
            cfg: Arc::new(cfg),
            hasher,
            login_limiter,
        }
    }
}

/// Per-client-IP limit on credential endpoints (login, password-reset requests), in process.
pub struct LoginLimiter {
    limiter: DefaultKeyedRateLimiter<(&'static str, IpAddr)>,
    clock: DefaultClock,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).expect("non-zero");
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
            clock: DefaultClock::default(),
        }
    }

    /// Count one attempt for `bucket` from `ip`; 429 with Retry-After when over the limit.
    pub fn check(&self, bucket: &'static str, ip: IpAddr) -> Result<(), ApiError> {
        match self.limiter.check_key(&(bucket, ip)) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(ApiError::TooManyRequests {
                    retry_after_secs: wait.as_secs().max(1),
                })
            }
        }
    }

    /// Forget idle keys; called periodically so the map does not grow without bound.
    pub fn prune(&self) {
        self.limiter.retain_recent();
    }
}
