//! Authentication (AUTH-1 to AUTH-4): sign-in, lockout and rate limit, refresh-token rotation,
//! access-token validation, password reset and change, API keys, deactivation, tenant
//! selection at sign-in, and platform operators.

use crate::{
    helpers::*,
    smtp::{Received, SmtpSink},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use relais_api::{password::Hasher, provision};
use relais_types::TenantIn;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

const NEW_PASSWORD: &str = "another long passphrase 42";

async fn refresh(app: &TestApp, refresh_token: &str) -> (StatusCode, Value) {
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": refresh_token }),
    )
    .await
}

async fn change_password(
    app: &TestApp,
    token: &str,
    current: &str,
    new: &str,
) -> (StatusCode, Value) {
    app.post(
        "/api/v1/auth/password/change",
        Some(token),
        json!({ "current_password": current, "new_password": new }),
    )
    .await
}

/// GET with a raw `Authorization` header (or none): status, content type and body.
async fn get_raw(
    app: &TestApp,
    path: &str,
    authorization: Option<&str>,
) -> (StatusCode, String, Value) {
    let mut r = app.client.get(app.url(path));
    if let Some(a) = authorization {
        r = r.header("authorization", a);
    }
    let res = r.send().await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, ct, body)
}

/// `GET path` with this Authorization header is refused with a 401 problem document.
async fn assert_refused(app: &TestApp, path: &str, authorization: Option<&str>, what: &str) {
    let (status, ct, body) = get_raw(app, path, authorization).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
    assert!(
        ct.starts_with("application/problem+json"),
        "{what}: content type {ct:?}"
    );
    assert_eq!(body["status"], 401, "{what}: {body}");
    assert!(
        matches!(
            body["code"].as_str(),
            Some("invalid_token" | "unauthorized")
        ),
        "{what}: {body}"
    );
}

/// JWT `iat` has one-second resolution and a password change invalidates tokens issued in an
/// earlier second: wait until the clock has left the second `since`.
async fn leave_second(since: i64) {
    let now = Utc::now();
    if now.timestamp() <= since {
        let ms = 1000 - u64::from(now.timestamp_subsec_millis()) + 20;
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// The `rp_…` token of a reset email.
fn reset_token_in(text: &str) -> Option<String> {
    let start = text.find("rp_")?;
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (token.len() > 20).then_some(token)
}

/// Wait up to `secs` until `n` messages to `to` have arrived.
async fn mails_to(sink: &SmtpSink, to: &str, n: usize, secs: u64) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let got: Vec<Received> = sink
            .messages()
            .into_iter()
            .filter(|m| m.rcpt.iter().any(|r| r.contains(to)))
            .collect();
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn forgot(app: &TestApp, email: &str) {
    let (status, body) = app
        .post(
            "/api/v1/auth/password/forgot",
            None,
            json!({ "email": email }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "forgot {email}: {body}");
}

async fn reset(app: &TestApp, token: &str, new_password: &str) -> (StatusCode, Value) {
    app.post(
        "/api/v1/auth/password/reset",
        None,
        json!({ "token": token, "new_password": new_password }),
    )
    .await
}

async fn wrong_password(app: &TestApp, email: &str) {
    let (status, body) = app.login(email, "wrong password here", None).await;
    assert_problem(status, &body, 401, "invalid_credentials");
}

fn field_error<'a>(body: &'a Value, field: &str) -> &'a Value {
    body["errors"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["field"] == field))
        .unwrap_or_else(|| panic!("no error on field {field}: {body}"))
}

#[tokio::test]
async fn wrong_password_and_unknown_email_answer_alike() {
    let app = spawn_app().await;
    let t = app.create_tenant("alike").await;

    let (s1, mut wrong) = app
        .login(&t.admin.email, "not the right password", None)
        .await;
    let (s2, mut unknown) = app
        .login("nobody@alike.test", "not the right password", None)
        .await;
    let (s3, mut other_firm) = app.login(&t.admin.email, PASSWORD, Some("elsewhere")).await;
    for (s, b) in [(s1, &wrong), (s2, &unknown), (s3, &other_firm)] {
        assert_problem(s, b, 401, "invalid_credentials");
        assert!(b["request_id"].is_string(), "{b}");
    }
    for b in [&mut wrong, &mut unknown, &mut other_firm] {
        b.as_object_mut().unwrap().remove("request_id");
    }
    assert_eq!(wrong, unknown, "an unknown email must not be recognisable");
    assert_eq!(wrong, other_firm);

    let (status, body) = app.login("not-an-email", PASSWORD, None).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(field_error(&body, "email")["code"], "invalid_email");

    // The account still signs in with the right password (and email case does not matter).
    app.sign_in("ADMIN@alike.test", None).await;
    app.stop().await;
}

#[tokio::test]
async fn failures_lock_the_account_and_a_success_resets_the_count() {
    let app = spawn_app().await;
    let t = app.create_tenant("lockout").await;
    let u = app
        .create_user(&t, "careless@lockout.test", "user", None)
        .await;

    // Four failures then a success, twice: the success clears the count each time.
    for _ in 0..2 {
        for _ in 0..4 {
            wrong_password(&app, &u.email).await;
        }
        app.sign_in(&u.email, None).await;
    }

    // Five in a row lock the account: the right password is refused, with the same answer.
    for _ in 0..5 {
        wrong_password(&app, &u.email).await;
    }
    let (status, body) = app.login(&u.email, PASSWORD, Some("lockout")).await;
    assert_problem(status, &body, 401, "invalid_credentials");
    let (status, body) = app.login(&u.email, PASSWORD, None).await;
    assert_problem(status, &body, 401, "invalid_credentials");

    // The lock is per account, and the admin sees it.
    app.sign_in(&t.admin.email, None).await;
    let (status, user) = app
        .get(&format!("/api/v1/users/{}", u.id), &t.admin.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert!(user["locked_until"].is_string(), "{user}");
    app.stop().await;
}

#[tokio::test]
async fn a_lockout_ends_after_its_duration() {
    let app = spawn_app_with(|cfg| cfg.api.lockout_duration = Duration::from_secs(2)).await;
    let t = app.create_tenant("short-lock").await;
    let u = app
        .create_user(&t, "careless@short-lock.test", "user", None)
        .await;
    for _ in 0..5 {
        let (s, b) = app.login(&u.email, "wrong password here", None).await;
        assert_problem(s, &b, 401, "invalid_credentials");
    }
    let locked = Instant::now();
    let (status, body) = app.login(&u.email, PASSWORD, None).await;
    assert_problem(status, &body, 401, "invalid_credentials");

    tokio::time::sleep_until((locked + Duration::from_millis(2200)).into()).await;
    // Once the lock has expired, one more failure starts a new count instead of re-locking.
    let (s, b) = app.login(&u.email, "wrong password here", None).await;
    assert_problem(s, &b, 401, "invalid_credentials");
    app.sign_in(&u.email, None).await;
    app.stop().await;
}

#[tokio::test]
async fn login_is_rate_limited_per_ip() {
    let app = spawn_app_with(|cfg| cfg.api.login_rate_per_minute = 3).await;
    // Provision directly: signing in would use up an attempt.
    let input = TenantIn {
        slug: "limited".into(),
        name: "Limited".into(),
        locale: None,
        time_zone: None,
        admin_email: "admin@limited.test".into(),
        admin_full_name: None,
        admin_password: PASSWORD.into(),
    };
    provision::create_tenant(&app.db, &Hasher::new(1), &input, false)
        .await
        .unwrap();

    let (s, b) = app
        .login("admin@limited.test", "wrong password here", None)
        .await;
    assert_problem(s, &b, 401, "invalid_credentials");
    let (s, b) = app.login("nobody@limited.test", PASSWORD, None).await;
    assert_problem(s, &b, 401, "invalid_credentials");
    let (s, b) = app.login("admin@limited.test", PASSWORD, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // The fourth attempt within the minute is refused even with the right password.
    let res = app
        .req(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({"email": "admin@limited.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = res.json().await.unwrap();
    assert_problem(status, &body, 429, "rate_limited");
    let secs: u64 = retry_after
        .expect("Retry-After header")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&secs), "Retry-After: {secs}");
    app.stop().await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let t = app.create_tenant("rotation").await;
    let first = &t.admin;
    let other_session = app.sign_in(&first.email, None).await;

    let (status, pair) = refresh(&app, &first.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    let new_refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let new_access = pair["access_token"].as_str().unwrap().to_owned();
    assert!(new_refresh.starts_with("rt_"), "{pair}");
    assert_ne!(new_refresh, first.refresh_token);
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    assert_eq!(pair["user"]["id"], first.id.to_string());
    let (status, me) = app.get("/api/v1/me", &new_access).await;
    assert_eq!(status, StatusCode::OK, "{me}");

    // The rotated token again: theft is assumed and the whole session is signed out.
    let (status, body) = refresh(&app, &first.refresh_token).await;
    assert_problem(status, &body, 401, "refresh_token_reused");
    let (status, body) = refresh(&app, &new_refresh).await;
    assert_problem(status, &body, 401, "invalid_refresh_token");

    // Another sign-in of the same user is a different family and keeps working.
    let (status, body) = refresh(&app, &other_session.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let current = body["refresh_token"].as_str().unwrap().to_owned();

    // Logout revokes; it answers 204 whatever the token.
    let (status, _) = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({ "refresh_token": current }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = refresh(&app, &current).await;
    assert_problem(status, &body, 401, "invalid_refresh_token");
    let (status, _) = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({ "refresh_token": "rt_nothing" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Garbage.
    for garbage in [
        "garbage",
        "",
        "rt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let (status, body) = refresh(&app, garbage).await;
        assert_problem(status, &body, 401, "invalid_refresh_token");
    }
    let (status, body) = app.post("/api/v1/auth/refresh", None, json!({})).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(field_error(&body, "refresh_token")["code"], "required");
    app.stop().await;
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_rotate_it_once() {
    let app = spawn_app().await;
    let t = app.create_tenant("race").await;
    let (a, b) = tokio::join!(
        refresh(&app, &t.admin.refresh_token),
        refresh(&app, &t.admin.refresh_token)
    );
    let ok = [a.0, b.0].iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(ok, 1, "exactly one refresh wins: {a:?} {b:?}");
    let loser = if a.0 == StatusCode::OK { &b } else { &a };
    assert_problem(loser.0, &loser.1, 401, "refresh_token_reused");
    app.stop().await;
}

fn claims(iss: &str, aud: &str, sub: Uuid, tid: Option<Uuid>, exp: i64) -> Value {
    let mut c = json!({
        "iss": iss, "aud": aud, "sub": sub, "jti": Uuid::now_v7(),
        "iat": Utc::now().timestamp(), "exp": exp,
    });
    if let Some(t) = tid {
        c["tid"] = json!(t);
    }
    c
}

fn sign(claims: &Value, alg: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn forged_expired_and_misdirected_access_tokens_are_refused() {
    let app = spawn_app().await;
    let t = app.create_tenant("tokens").await;
    let other = app.create_tenant("tokens-other").await;
    let now = Utc::now().timestamp();
    let me = "/api/v1/me";
    let bearer = |t: &str| format!("Bearer {t}");

    // A token crafted here is accepted: each refusal below is for the one thing changed.
    let good_claims = claims("relais", "relais-api", t.admin.id, Some(t.id), now + 600);
    let good = sign(&good_claims, Algorithm::HS256, JWT_SECRET);
    let (status, _, body) = get_raw(&app, me, Some(&bearer(&good))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], "admin@tokens.test");
    let (status, _, body) = get_raw(&app, me, Some(&format!("bearer {good}"))).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the scheme is case-insensitive: {body}"
    );

    let parts: Vec<&str> = good.split('.').collect();
    let mut sig: Vec<char> = parts[2].chars().collect();
    sig[10] = if sig[10] == 'A' { 'B' } else { 'A' };
    let tampered_sig = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        sig.iter().collect::<String>()
    );
    let mut stolen = good_claims.clone();
    stolen["sub"] = json!(other.admin.id);
    stolen["tid"] = json!(other.id);
    let tampered_payload = format!("{}.{}.{}", parts[0], b64(&stolen), parts[2]);
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&good_claims)
    );
    let alg_none_with_sig = format!(
        "{}.{}.{}",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&good_claims),
        parts[2]
    );
    let cases: Vec<(&str, Option<String>)> = vec![
        (
            "expired",
            Some(bearer(&sign(
                &claims("relais", "relais-api", t.admin.id, Some(t.id), now - 30),
                Algorithm::HS256,
                JWT_SECRET,
            ))),
        ),
        ("tampered signature", Some(bearer(&tampered_sig))),
        ("tampered payload", Some(bearer(&tampered_payload))),
        ("alg none", Some(bearer(&alg_none))),
        (
            "alg none with a signature",
            Some(bearer(&alg_none_with_sig)),
        ),
        (
            "HS512",
            Some(bearer(&sign(&good_claims, Algorithm::HS512, JWT_SECRET))),
        ),
        (
            "other secret",
            Some(bearer(&sign(
                &good_claims,
                Algorithm::HS256,
                "another-secret-another-secret-000000",
            ))),
        ),
        (
            "operator audience",
            Some(bearer(&sign(
                &claims(
                    "relais",
                    "relais-operator",
                    t.admin.id,
                    Some(t.id),
                    now + 600,
                ),
                Algorithm::HS256,
                JWT_SECRET,
            ))),
        ),
        (
            "wrong issuer",
            Some(bearer(&sign(
                &claims("evil", "relais-api", t.admin.id, Some(t.id), now + 600),
                Algorithm::HS256,
                JWT_SECRET,
            ))),
        ),
        (
            "user of another tenant",
            Some(bearer(&sign(
                &claims(
                    "relais",
                    "relais-api",
                    other.admin.id,
                    Some(t.id),
                    now + 600,
                ),
                Algorithm::HS256,
                JWT_SECRET,
            ))),
        ),
        (
            "unknown user",
            Some(bearer(&sign(
                &claims(
                    "relais",
                    "relais-api",
                    Uuid::now_v7(),
                    Some(t.id),
                    now + 600,
                ),
                Algorithm::HS256,
                JWT_SECRET,
            ))),
        ),
        (
            "no tenant",
            Some(bearer(&sign(
                &claims("relais", "relais-api", t.admin.id, None, now + 600),
                Algorithm::HS256,
                JWT_SECRET,
            ))),
        ),
        ("missing header", None),
        ("basic scheme", Some(format!("Basic {good}"))),
        ("token scheme", Some(format!("Token {good}"))),
        ("bare bearer", Some("Bearer".into())),
        ("empty bearer", Some("Bearer    ".into())),
        ("not a jwt", Some(bearer("not-a-jwt"))),
        ("refresh token", Some(bearer(&t.admin.refresh_token))),
        ("api key lookalike", Some(bearer("rk_0123456789ab_nope"))),
    ];
    for (what, header) in &cases {
        assert_refused(&app, me, header.as_deref(), what).await;
        assert_refused(&app, "/api/v1/users", header.as_deref(), what).await;
    }
    let res = app
        .client
        .get(app.url(me))
        .header(
            "authorization",
            reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "non-ASCII header");
    app.stop().await;
}

#[tokio::test]
async fn forgot_and_reset_password_by_email() {
    let sink = SmtpSink::start().await;
    let smtp = sink.url();
    let app = spawn_app_with(|cfg| cfg.smtp_url = Some(SecretString::from(smtp))).await;
    let t = app.create_tenant("forgot").await;
    let u = app
        .create_user(&t, "forgetful@forgot.test", "user", None)
        .await;
    let signed_in = Utc::now().timestamp();

    // Unknown and malformed emails first: jobs run in order, so once the real mail is in,
    // any mail for them would be too.
    forgot(&app, "ghost@forgot.test").await;
    forgot(&app, "not an email").await;
    forgot(&app, &u.email).await;
    let mail = sink
        .wait_for(&u.email, 10)
        .await
        .expect("a reset email arrives");
    assert_eq!(mail.rcpt.len(), 1, "{:?}", mail.rcpt);
    let text = mail.text();
    let token = reset_token_in(&text).unwrap_or_else(|| panic!("no rp_ token in {text}"));
    assert!(
        text.contains(&format!("reset-password?token={token}")),
        "{text}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "only the known account gets a mail"
    );

    // A refused password does not use the token up.
    let (status, body) = reset(&app, &token, "short").await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        field_error(&body, "new_password")["code"],
        "password_too_short"
    );

    leave_second(signed_in).await;
    let (status, body) = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let (status, body) = app.login(&u.email, PASSWORD, None).await;
    assert_problem(status, &body, 401, "invalid_credentials");
    let (status, body) = app.login(&u.email, NEW_PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Single use; unknown tokens alike.
    let (status, body) = reset(&app, &token, "yet another passphrase").await;
    assert_problem(status, &body, 400, "invalid_reset_token");
    let (status, body) = reset(&app, "rp_made_up_token_value_000000", NEW_PASSWORD).await;
    assert_problem(status, &body, 400, "invalid_reset_token");

    // Sessions from before the reset are over.
    let (status, body) = refresh(&app, &u.refresh_token).await;
    assert_problem(status, &body, 401, "invalid_refresh_token");
    assert_refused(
        &app,
        "/api/v1/me",
        Some(&format!("Bearer {}", u.token)),
        "access token from before the reset",
    )
    .await;

    // A newer request supersedes an older unused token.
    forgot(&app, &u.email).await;
    let older = reset_token_in(&mails_to(&sink, &u.email, 2, 10).await[1].text()).unwrap();
    forgot(&app, &u.email).await;
    let mails = mails_to(&sink, &u.email, 3, 10).await;
    let newer = reset_token_in(&mails[2].text()).unwrap();
    assert_ne!(older, newer);
    let (status, body) = reset(&app, &older, PASSWORD).await;
    assert_problem(status, &body, 400, "invalid_reset_token");
    let (status, body) = reset(&app, &newer, PASSWORD).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    app.sign_in(&u.email, None).await;
    app.stop().await;
}

#[tokio::test]
async fn expired_reset_and_refresh_tokens_are_refused() {
    let sink = SmtpSink::start().await;
    let smtp = sink.url();
    let app = spawn_app_with(|cfg| {
        cfg.smtp_url = Some(SecretString::from(smtp));
        cfg.api.reset_ttl = Duration::from_secs(1);
        cfg.api.refresh_ttl = Duration::from_secs(1);
    })
    .await;
    let t = app.create_tenant("expiry").await;
    let (status, me) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&t.admin.token),
            Some(json!({"locale": "en"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let asked = Instant::now();
    forgot(&app, &t.admin.email).await;
    let mail = sink.wait_for(&t.admin.email, 10).await.expect("reset mail");
    assert_eq!(mail.subject(), "Reset your Relais password (Firm expiry)");
    let token = reset_token_in(&mail.text()).expect("token in mail");
    tokio::time::sleep_until((asked + Duration::from_millis(1500)).into()).await;
    let (status, body) = reset(&app, &token, NEW_PASSWORD).await;
    assert_problem(status, &body, 400, "invalid_reset_token");
    // The refresh token from the sign-in before `asked` has outlived its second too.
    let (status, body) = refresh(&app, &t.admin.refresh_token).await;
    assert_problem(status, &body, 401, "invalid_refresh_token");
    app.sign_in(&t.admin.email, None).await;
    app.stop().await;
}

#[tokio::test]
async fn an_admin_created_user_must_change_the_password_first() {
    let app = spawn_app().await;
    let t = app.create_tenant("first-login").await;
    let (status, roles) = app.get("/api/v1/roles", &t.admin.token).await;
    assert_eq!(status, StatusCode::OK, "{roles}");
    let role_id = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "user")
        .expect("built-in user role")["id"]
        .clone();
    let temporary = "temporary password 1";
    let (status, created) = app
        .post(
            "/api/v1/users",
            Some(&t.admin.token),
            json!({"email": "newbie@first-login.test", "full_name": "New Bie",
                   "password": temporary, "role_id": role_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["must_change_password"], true);

    let (status, tokens) = app.login("newbie@first-login.test", temporary, None).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let signed_in = Utc::now().timestamp();
    assert_eq!(tokens["user"]["must_change_password"], true);
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();

    for path in ["/api/v1/users", "/api/v1/roles", "/api/v1/teams"] {
        let (status, body) = app.get(path, &access).await;
        assert_problem(status, &body, 403, "password_change_required");
    }
    let (status, me) = app.get("/api/v1/me", &access).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["must_change_password"], true);

    let (status, body) = change_password(&app, &access, "not my password", NEW_PASSWORD).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(field_error(&body, "current_password")["code"], "incorrect");
    let (status, body) = change_password(&app, &access, temporary, temporary).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(field_error(&body, "new_password")["code"], "unchanged");
    let (status, body) = change_password(&app, &access, temporary, "short").await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(
        field_error(&body, "new_password")["code"],
        "password_too_short"
    );

    leave_second(signed_in).await;
    let (status, body) = change_password(&app, &access, temporary, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // The access token predates the change; this session's refresh token carries on.
    assert_refused(
        &app,
        "/api/v1/users",
        Some(&format!("Bearer {access}")),
        "token issued before the change",
    )
    .await;
    let (status, pair) = refresh(&app, &refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    assert_eq!(pair["user"]["must_change_password"], false);
    let access = pair["access_token"].as_str().unwrap();
    let (status, users) = app.get("/api/v1/users", access).await;
    assert_eq!(status, StatusCode::OK, "{users}");

    let (status, body) = app.login("newbie@first-login.test", temporary, None).await;
    assert_problem(status, &body, 401, "invalid_credentials");
    let (status, body) = app
        .login("newbie@first-login.test", NEW_PASSWORD, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["must_change_password"], false);
    app.stop().await;
}

#[tokio::test]
async fn api_keys_authenticate_with_their_role_until_revoked() {
    let app = spawn_app().await;
    let t = app.create_tenant("keys").await;
    let admin = &t.admin.token;
    let viewer_role = app.role_id(&t, "viewer").await;

    let (status, created) = app
        .post(
            "/api/v1/api-keys",
            Some(admin),
            json!({"name": "CRM sync", "role_id": viewer_role}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("rk_"), "{key}");
    assert!(created["last_used_at"].is_null(), "{created}");
    let secret = key.splitn(3, '_').nth(2).unwrap().to_owned();
    let prefix = created["prefix"].as_str().unwrap().to_owned();
    assert!(
        key.starts_with(&format!("rk_{prefix}_")),
        "{key} / {prefix}"
    );

    // Shown once: neither the list nor the record holds the secret.
    for path in [
        "/api/v1/api-keys".to_owned(),
        format!("/api/v1/api-keys/{id}"),
    ] {
        let res = app
            .req(Method::GET, &path, Some(admin))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let text = res.text().await.unwrap();
        assert!(text.contains(&id), "{text}");
        assert!(!text.contains(&key) && !text.contains(&secret), "{text}");
    }

    // The key signs in with the viewer role's grants.
    let (status, me) = app.get("/api/v1/me", &key).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let grants = me["grants"].as_array().unwrap();
    assert!(!grants.is_empty());
    assert!(grants.iter().all(|g| g["action"] == "read"), "{me}");
    let (status, users) = app.get("/api/v1/users", &key).await;
    assert_eq!(status, StatusCode::OK, "{users}");
    let (status, body) = app
        .post("/api/v1/teams", Some(&key), json!({"name": "Sneaky"}))
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app
        .post(
            "/api/v1/api-keys",
            Some(&key),
            json!({"name": "child", "role_id": viewer_role}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = change_password(&app, &key, PASSWORD, NEW_PASSWORD).await;
    assert_problem(status, &body, 403, "not_a_person");

    let (status, record) = app.get(&format!("/api/v1/api-keys/{id}"), admin).await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert!(record["last_used_at"].is_string(), "use recorded: {record}");

    // A wrong secret behind a real prefix.
    let mut wrong: Vec<char> = secret.chars().collect();
    wrong[0] = if wrong[0] == 'A' { 'B' } else { 'A' };
    let wrong = format!("rk_{prefix}_{}", wrong.iter().collect::<String>());
    assert_refused(
        &app,
        "/api/v1/me",
        Some(&format!("Bearer {wrong}")),
        "wrong secret",
    )
    .await;
    let unknown = format!("rk_000000000000_{secret}");
    assert_refused(
        &app,
        "/api/v1/me",
        Some(&format!("Bearer {unknown}")),
        "unknown prefix",
    )
    .await;

    // Revocation takes effect at once.
    let (status, body) = app.delete(&format!("/api/v1/api-keys/{id}"), admin).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_refused(
        &app,
        "/api/v1/me",
        Some(&format!("Bearer {key}")),
        "revoked key",
    )
    .await;
    let (status, record) = app.get(&format!("/api/v1/api-keys/{id}"), admin).await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert!(record["revoked_at"].is_string(), "{record}");

    // Expiry: refused in the past at creation; honoured when it comes.
    let (status, body) = app
        .post(
            "/api/v1/api-keys",
            Some(admin),
            json!({"name": "old", "role_id": viewer_role,
                   "expires_at": (Utc::now() - chrono::Duration::minutes(1)).to_rfc3339()}),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(field_error(&body, "expires_at")["code"], "in_the_past");
    let expires = Utc::now() + chrono::Duration::milliseconds(1500);
    let (status, short) = app
        .post(
            "/api/v1/api-keys",
            Some(admin),
            json!({"name": "short-lived", "role_id": viewer_role, "expires_at": expires.to_rfc3339()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{short}");
    let short_key = short["key"].as_str().unwrap().to_owned();
    let (status, body) = app.get("/api/v1/me", &short_key).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Nobody mints a key wider than their own rights.
    let manager = app
        .create_user(&t, "manager@keys.test", "manager", None)
        .await;
    let admin_role = app.role_id(&t, "admin").await;
    let (status, body) = app
        .post(
            "/api/v1/api-keys",
            Some(&manager.token),
            json!({"name": "escalate", "role_id": admin_role}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, role) = app
        .post(
            "/api/v1/roles",
            Some(admin),
            json!({"key": "integrations", "name": "Integrations", "grants": [
                {"resource": "api_keys", "action": "create", "scope": "all"},
                {"resource": "api_keys", "action": "read", "scope": "all"},
                {"resource": "users", "action": "read", "scope": "all"},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    let integrator = app
        .create_user(&t, "integrator@keys.test", "integrations", None)
        .await;
    for wider in [admin_role, viewer_role] {
        let (status, body) = app
            .post(
                "/api/v1/api-keys",
                Some(&integrator.token),
                json!({"name": "escalate", "role_id": wider}),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(field_error(&body, "role_id")["code"], "exceeds_own_grants");
    }
    let (status, own) = app
        .post(
            "/api/v1/api-keys",
            Some(&integrator.token),
            json!({"name": "mine", "role_id": role["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    let own_key = own["key"].as_str().unwrap().to_owned();
    let (status, body) = app.get("/api/v1/users", &own_key).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A key stops working when its creator is deactivated.
    let (status, body) = app
        .delete(&format!("/api/v1/users/{}", integrator.id), admin)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_refused(
        &app,
        "/api/v1/users",
        Some(&format!("Bearer {own_key}")),
        "key of a deactivated user",
    )
    .await;

    let wait = expires + chrono::Duration::milliseconds(200) - Utc::now();
    if let Ok(wait) = wait.to_std() {
        tokio::time::sleep(wait).await;
    }
    assert_refused(
        &app,
        "/api/v1/me",
        Some(&format!("Bearer {short_key}")),
        "expired key",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_and_cannot_sign_in() {
    let app = spawn_app().await;
    let t = app.create_tenant("leavers").await;
    let u = app
        .create_user(&t, "leaver@leavers.test", "user", None)
        .await;
    let (status, body) = app.get("/api/v1/me", &u.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = app
        .delete(&format!("/api/v1/users/{}", u.id), &t.admin.token)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    assert_refused(
        &app,
        "/api/v1/me",
        Some(&format!("Bearer {}", u.token)),
        "token of a deactivated user",
    )
    .await;
    let (status, body) = app.login(&u.email, PASSWORD, None).await;
    assert_problem(status, &body, 401, "invalid_credentials");
    let (status, body) = refresh(&app, &u.refresh_token).await;
    assert_problem(status, &body, 401, "invalid_refresh_token");

    let (status, body) = app
        .delete(&format!("/api/v1/users/{}", t.admin.id), &t.admin.token)
        .await;
    assert_problem(status, &body, 409, "cannot_deactivate_self");
    app.stop().await;
}

#[tokio::test]
async fn changing_the_password_signs_out_the_other_sessions() {
    let app = spawn_app().await;
    let t = app.create_tenant("sessions").await;
    let u = app
        .create_user(&t, "busy@sessions.test", "user", None)
        .await;
    let one = app.sign_in(&u.email, None).await;
    let two = app.sign_in(&u.email, None).await;
    let signed_in = Utc::now().timestamp();

    leave_second(signed_in).await;
    let (status, body) = change_password(&app, &one.token, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    for stale in [&two.refresh_token, &u.refresh_token] {
        let (status, body) = refresh(&app, stale).await;
        assert_problem(status, &body, 401, "invalid_refresh_token");
    }
    assert_refused(
        &app,
        "/api/v1/me",
        Some(&format!("Bearer {}", two.token)),
        "other session's access token",
    )
    .await;

    let (status, pair) = refresh(&app, &one.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    let (status, me) = app
        .get("/api/v1/me", pair["access_token"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    app.stop().await;
}

#[tokio::test]
async fn the_same_email_in_two_firms_signs_into_the_matching_account() {
    let app = spawn_app().await;
    let a = app.create_tenant("firm-a").await;
    let b = app.create_tenant("firm-b").await;
    let email = "shared@example.test";
    let in_a = app.create_user(&a, email, "user", None).await;
    let in_b = app.create_user(&b, email, "user", None).await;
    let (status, body) = change_password(&app, &in_b.token, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let check = |body: &Value, slug: &str, id: Uuid| {
        assert_eq!(body["user"]["tenant"]["slug"], slug, "{body}");
        assert_eq!(body["user"]["id"], id.to_string(), "{body}");
    };
    // Without a tenant, each account is reached with its own password.
    let (status, body) = app.login(email, PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    check(&body, "firm-a", in_a.id);
    let (status, body) = app.login(email, NEW_PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    check(&body, "firm-b", in_b.id);

    // With a tenant, only that firm's account is tried.
    let (status, body) = app.login(email, NEW_PASSWORD, Some("firm-a")).await;
    assert_problem(status, &body, 401, "invalid_credentials");
    let (status, body) = app.login(email, PASSWORD, Some("firm-b")).await;
    assert_problem(status, &body, 401, "invalid_credentials");
    let (status, body) = app.login(email, NEW_PASSWORD, Some("firm-b")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    check(&body, "firm-b", in_b.id);

    // Signing into firm B without naming it is not a failed login of the firm A account:
    // doing it more times than the lockout threshold must not lock that account.
    for _ in 0..5 {
        let (status, body) = app.login(email, NEW_PASSWORD, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        check(&body, "firm-b", in_b.id);
    }
    let (status, body) = app.login(email, PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    check(&body, "firm-a", in_a.id);

    // A password that fits neither counts against both.
    for _ in 0..5 {
        let (status, body) = app.login(email, "neither of the two", None).await;
        assert_problem(status, &body, 401, "invalid_credentials");
    }
    let (status, body) = app.login(email, PASSWORD, Some("firm-a")).await;
    assert_problem(status, &body, 401, "invalid_credentials");
    let (status, body) = app.login(email, NEW_PASSWORD, Some("firm-b")).await;
    assert_problem(status, &body, 401, "invalid_credentials");
    app.stop().await;
}

async fn operator_login(app: &TestApp, password: &str) -> (StatusCode, Value) {
    app.post(
        "/api/v1/admin/auth/login",
        None,
        json!({"email": "ops@relais.test", "password": password}),
    )
    .await
}

#[tokio::test]
async fn operator_logins_lock_out_like_user_logins() {
    let app = spawn_app_with(|cfg| cfg.api.lockout_duration = Duration::from_secs(2)).await;
    provision::upsert_operator(&app.db, &Hasher::new(1), "ops@relais.test", PASSWORD)
        .await
        .unwrap();
    for _ in 0..5 {
        let (status, body) = operator_login(&app, "wrong password here").await;
        assert_problem(status, &body, 401, "invalid_credentials");
    }
    let locked = Instant::now();
    let (status, body) = operator_login(&app, PASSWORD).await;
    assert_problem(status, &body, 401, "invalid_credentials");

    tokio::time::sleep_until((locked + Duration::from_millis(2200)).into()).await;
    // After the lock, one slip starts a new count rather than locking again at once.
    let (status, body) = operator_login(&app, "wrong password here").await;
    assert_problem(status, &body, 401, "invalid_credentials");
    let (status, body) = operator_login(&app, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn operators_manage_tenants_and_suspension_locks_users_out() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme-ops").await;
    let (status, key) = app
        .post(
            "/api/v1/api-keys",
            Some(&t.admin.token),
            json!({"name": "sync", "role_id": app.role_id(&t, "viewer").await}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let key = key["key"].as_str().unwrap().to_owned();
    provision::upsert_operator(&app.db, &Hasher::new(1), "ops@relais.test", PASSWORD)
        .await
        .unwrap();

    let (status, body) = operator_login(&app, "not the password").await;
    assert_problem(status, &body, 401, "invalid_credentials");
    let (status, body) = operator_login(&app, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let op = body["access_token"].as_str().unwrap().to_owned();

    let (status, list) = app.get("/api/v1/admin/tenants", &op).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["slug"] == "acme-ops"),
        "{list}"
    );

    let (status, created) = app
        .post(
            "/api/v1/admin/tenants",
            Some(&op),
            json!({"slug": "newco", "name": "NewCo", "admin_email": "boss@newco.test",
                   "admin_password": "temporary pass 123"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "active");
    let (status, boss) = app
        .login("boss@newco.test", "temporary pass 123", Some("newco"))
        .await;
    assert_eq!(status, StatusCode::OK, "{boss}");
    assert_eq!(boss["user"]["must_change_password"], true);
    let boss = boss["access_token"].as_str().unwrap().to_owned();
    let (status, body) = app.get("/api/v1/users", &boss).await;
    assert_problem(status, &body, 403, "password_change_required");

    // Operator and tenant tokens do not cross over.
    for path in ["/api/v1/me", "/api/v1/users"] {
        assert_refused(&app, path, Some(&format!("Bearer {op}")), "operator token").await;
    }
    assert_refused(
        &app,
        "/api/v1/admin/tenants",
        Some(&format!("Bearer {}", t.admin.token)),
        "tenant admin token",
    )
    .await;
    assert_refused(
        &app,
        "/api/v1/admin/tenants",
        Some(&format!("Bearer {key}")),
        "api key",
    )
    .await;
    let (status, body) = app
        .post(
            "/api/v1/admin/tenants",
            Some(&t.admin.token),
            json!({"slug": "rogue", "name": "Rogue", "admin_email": "x@rogue.test",
                   "admin_password": "temporary pass 123"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // Suspension: If-Match is required, then every way in is closed.
    let path = format!("/api/v1/admin/tenants/{}", t.id);
    let res = app
        .req(Method::PATCH, &path, Some(&op))
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_REQUIRED);
    let (status, updated) = app.patch(&path, &op, json!({"status": "suspended"})).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["status"], "suspended");

    let (status, body) = app.get("/api/v1/me", &t.admin.token).await;
    assert_problem(status, &body, 403, "tenant_suspended");
    let (status, body) = app.get("/api/v1/me", &key).await;
    assert_problem(status, &body, 403, "tenant_suspended");
    let (status, body) = app.login(&t.admin.email, PASSWORD, None).await;
    assert_problem(status, &body, 401, "invalid_credentials");
    let (status, body) = app.login(&t.admin.email, PASSWORD, Some("acme-ops")).await;
    assert_problem(status, &body, 401, "invalid_credentials");
    let (status, body) = refresh(&app, &t.admin.refresh_token).await;
    assert_problem(status, &body, 403, "tenant_suspended");

    // Other firms are unaffected; reactivation lets the users back in.
    let (status, body) = app.get("/api/v1/me", &boss).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, updated) = app.patch(&path, &op, json!({"status": "active"})).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    app.sign_in(&t.admin.email, Some("acme-ops")).await;
    let (status, body) = app.get("/api/v1/me", &key).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
}
