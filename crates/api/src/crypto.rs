//! Tokens: access JWTs (HS256 only, issuer, audience and expiry checked) and opaque secrets
//! (refresh tokens, reset tokens, API keys) stored as SHA-256 digests.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::ApiConfig;

/// Audience of tokens for tenant users.
pub const AUD_TENANT: &str = "relais-api";
/// Audience of tokens for platform operators; never accepted on tenant routes.
pub const AUD_OPERATOR: &str = "relais-operator";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// User (or operator) id.
    pub sub: Uuid,
    /// Tenant id; absent for operators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<Uuid>,
    /// Refresh-token family (the login session) this token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
}

pub fn issue_jwt(
    cfg: &ApiConfig,
    aud: &str,
    sub: Uuid,
    tid: Option<Uuid>,
    sid: Option<Uuid>,
) -> Result<String, jsonwebtoken::errors::Error> {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: cfg.jwt_issuer.clone(),
        aud: aud.to_owned(),
        sub,
        tid,
        sid,
        jti: Uuid::now_v7(),
        iat: now,
        exp: now + cfg.access_ttl.as_secs() as i64,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(cfg.jwt_secret.expose_secret().as_bytes()),
    )
}

/// Decode and check a token: signature (HS256 only: `alg: none` and others are refused),
/// issuer, audience, expiry (no leeway).
pub fn verify_jwt(cfg: &ApiConfig, aud: &str, token: &str) -> Option<Claims> {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[cfg.jwt_issuer.as_str()]);
    v.set_audience(&[aud]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.leeway = 0;
    jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(cfg.jwt_secret.expose_secret().as_bytes()),
        &v,
    )
    .ok()
    .map(|d| d.claims)
}

/// `n` random bytes, URL-safe base64 without padding.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn sha256(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

/// Compare digests without leaking the position of the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A parsed API key: `rk_<prefix>_<secret>`.
pub struct ApiKeyParts<'a> {
    pub prefix: &'a str,
    pub secret: &'a str,
}

pub fn parse_api_key(key: &str) -> Option<ApiKeyParts<'_>> {
    let rest = key.strip_prefix("rk_")?;
    let (prefix, secret) = rest.split_once('_')?;
    let ok =
        prefix.len() == 12 && prefix.chars().all(|c| c.is_ascii_hexdigit()) && secret.len() >= 32;
    ok.then_some(ApiKeyParts { prefix, secret })
}

/// A new API key and its parts: (full key, prefix, secret digest).
pub fn new_api_key() -> (String, String, Vec<u8>) {
    let prefix = random_hex(6);
    let secret = random_token(32);
    let digest = sha256(&secret);
    (format!("rk_{prefix}_{secret}"), prefix, digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn cfg() -> ApiConfig {
        ApiConfig::new(SecretString::from(
            "0123456789abcdef0123456789abcdef".to_owned(),
        ))
    }

    #[test]
    fn jwt_round_trip_and_audience() {
        let c = cfg();
        let t = issue_jwt(&c, AUD_TENANT, Uuid::now_v7(), Some(Uuid::now_v7()), None).unwrap();
        assert!(verify_jwt(&c, AUD_TENANT, &t).is_some());
        assert!(
            verify_jwt(&c, AUD_OPERATOR, &t).is_none(),
            "audience is checked"
        );
        let mut other = cfg();
        other.jwt_secret = SecretString::from("another-secret-another-secret-000".to_owned());
        assert!(
            verify_jwt(&other, AUD_TENANT, &t).is_none(),
            "signature is checked"
        );
    }

    #[test]
    fn api_keys_parse() {
        let (key, prefix, digest) = new_api_key();
        let parts = parse_api_key(&key).unwrap();
        assert_eq!(parts.prefix, prefix);
        assert!(constant_time_eq(&sha256(parts.secret), &digest));
        assert!(parse_api_key("rk_short_x").is_none());
        assert!(parse_api_key("nope").is_none());
    }
}
