//! Password hashing: argon2id with OWASP parameters (m = 19 MiB, t = 2, p = 1), PHC strings.
//! Hashing runs on the blocking pool behind a semaphore so a burst of logins cannot starve the
//! async executor or exhaust memory.

use crate::error::ApiError;
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version,
    password_hash::SaltString,
};
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;

pub const M_COST_KIB: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password, verified when the account does not exist so that a
/// response's timing does not reveal whether an email is registered.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(b"relais-dummy-password-for-timing", &salt)
        .expect("hashing works")
        .to_string()
});

/// The outcome of a verification.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, and the stored hash should be replaced by this one (parameters changed).
    YesRehash(String),
}

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
}

impl Hasher {
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let password = password.to_owned();
        self.run(move || hash_blocking(&password)).await?
    }

    /// Verify `password` against `phc`; `None` runs a dummy verification and answers `No`.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> Result<Verified, ApiError> {
        let password = password.to_owned();
        let phc = phc.map(str::to_owned);
        self.run(move || match phc {
            Some(phc) => verify_blocking(&password, &phc),
            None => {
                let _ = verify_blocking(&password, &DUMMY_HASH);
                Ok(Verified::No)
            }
        })
        .await?
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::internal("hasher closed"))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| ApiError::internal(format!("hashing task failed: {e}")))
    }
}

fn hash_blocking(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

fn verify_blocking(password: &str, phc: &str) -> Result<Verified, ApiError> {
    let Ok(parsed) = PasswordHash::new(phc) else {
        // A corrupt stored hash: refuse the login, never accept.
        tracing::error!("stored password hash is not a valid PHC string");
        return Ok(Verified::No);
    };
    if argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return Ok(Verified::No);
    }
    if needs_rehash(&parsed) {
        return Ok(Verified::YesRehash(hash_blocking(password)?));
    }
    Ok(Verified::Yes)
}

/// True when the stored hash was made with another algorithm or weaker parameters.
fn needs_rehash(h: &PasswordHash<'_>) -> bool {
    if h.algorithm.as_str() != "argon2id" {
        return true;
    }
    match Params::try_from(h) {
        Ok(p) => p.m_cost() != M_COST_KIB || p.t_cost() != T_COST || p.p_cost() != P_COST,
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_verify_and_rehash() {
        let h = Hasher::new(2);
        let phc = h.hash("correct horse battery").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert_eq!(
            h.verify("correct horse battery", Some(&phc)).await.unwrap(),
            Verified::Yes
        );
        assert_eq!(h.verify("wrong", Some(&phc)).await.unwrap(), Verified::No);
        assert_eq!(h.verify("x", None).await.unwrap(), Verified::No);
        assert_eq!(h.verify("x", Some("garbage")).await.unwrap(), Verified::No);

        // A hash made with weaker parameters verifies and asks to be replaced.
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let old = weak
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        match h.verify("correct horse battery", Some(&old)).await.unwrap() {
            Verified::YesRehash(new) => assert!(new.contains("m=19456,t=2,p=1")),
            other => panic!("expected a rehash, got {other:?}"),
        }
    }
}
