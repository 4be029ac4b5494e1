//! Test harness: a migrated template database per test process, a fresh database per test,
//! the real server on a random port, and helpers to create tenants and users.

#![allow(dead_code)]

use relais_api::{ApiConfig, password::Hasher, provision};
use relais_domain::TenantId;
use relais_server::{Config, Running};
use relais_store::{
    Db, DbConfig,
    roles::Role,
    teams::Team,
    users::{NewUser, User},
};
use relais_types::{Locale, TenantIn};
use reqwest::{Method, RequestBuilder, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use std::{net::TcpListener, time::Duration};
use tokio::sync::OnceCell;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

fn super_url() -> String {
    std::env::var("RELAIS_TEST_PG_SUPER_URL").expect(
        "RELAIS_TEST_PG_SUPER_URL is not set: run the tests with `cargo xtask test`, which \
         starts a throwaway PostgreSQL cluster",
    )
}

/// `postgres://user:pass@host:port/db` for another user and database on the same server.
pub fn url_for(user: &str, db: &str) -> String {
    let s = super_url();
    let rest = s.split_once("://").unwrap().1;
    let hostport = rest.split_once('@').map_or(rest, |(_, h)| h);
    let hostport = hostport.split('/').next().unwrap();
    format!("postgres://{user}:{user}@{hostport}/{db}")
}

async fn exec(conn: &mut PgConnection, sql: String) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(conn)
        .await
        .unwrap();
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("relais_tpl_{}", std::process::id());
            let mut conn = PgConnection::connect(&super_url()).await.unwrap();
            exec(&mut conn, format!("DROP DATABASE IF EXISTS {name}")).await;
            exec(
                &mut conn,
                format!("CREATE DATABASE {name} OWNER relais_owner"),
            )
            .await;
            conn.close().await.unwrap();
            relais_store::migrate::run(&url_for("relais_owner", &name), Some("relais_app"))
                .await
                .expect("migrations apply to the template");
            name
        })
        .await
}

/// A fresh database cloned from the migrated template.
pub async fn fresh_database() -> String {
    let tpl = template().await;
    let name = format!("relais_t_{}", Uuid::now_v7().simple());
    let mut conn = PgConnection::connect(&super_url()).await.unwrap();
    exec(
        &mut conn,
        format!("CREATE DATABASE {name} TEMPLATE {tpl} OWNER relais_owner"),
    )
    .await;
    conn.close().await.unwrap();
    name
}

pub fn test_config(db: &str) -> Config {
    let mut api = ApiConfig::new(SecretString::from(JWT_SECRET.to_owned()));
    api.login_rate_per_minute = 10_000;
    api.hash_concurrency = 2;
    Config {
        database_url: SecretString::from(url_for("relais_app", db)),
        database_admin_url: Some(SecretString::from(url_for("relais_owner", db))),
        db_max_connections: 8,
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: std::env::temp_dir().join(format!("relais-test-{db}")),
        migrate_on_start: false,
        smtp_url: None,
        mail_from: "Relais <no-reply@relais.test>".into(),
        embedded_worker: true,
        webhook_timeout: Duration::from_secs(15),
        // No web app unless a test provides one (see web.rs).
        web_dir: std::path::PathBuf::from("/nonexistent/relais-web"),
        api,
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db_name: String,
    /// A restricted (application-role) pool on the test database, for direct checks.
    pub db: Db,
    running: Option<Running>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    // Server logs go to the test's captured output (shown when a test fails).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
    let db_name = fresh_database().await;
    let mut cfg = test_config(&db_name);
    tweak(&mut cfg);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let running = relais_server::start(&cfg, listener)
        .await
        .expect("server starts");
    let db = Db::connect(&DbConfig {
        url: url_for("relais_app", &db_name),
        max_connections: 4,
        acquire_timeout: Duration::from_secs(10),
    })
    .await
    .unwrap();
    TestApp {
        base: format!("http://{}", running.addr),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        db_name,
        db,
        running: Some(running),
    }
}

/// A tenant with its administrator signed in.
#[derive(Clone, Debug)]
pub struct TestTenant {
    pub id: Uuid,
    pub slug: String,
    pub admin: TestUser,
}

#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub token: String,
    pub refresh_token: String,
}

static HASH: OnceCell<String> = OnceCell::const_new();

async fn password_hash() -> &'static str {
    HASH.get_or_init(|| async { Hasher::new(1).hash(PASSWORD).await.unwrap() })
        .await
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut r = self.client.request(method, self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r
    }

    /// Send and return (status, JSON body or Null).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self.req(method, path, token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("request sent");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// GET then PATCH with the ETag just read.
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .req(Method::GET, path, Some(token))
            .send()
            .await
            .unwrap();
        let etag = res
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let res = self
            .req(Method::PATCH, path, Some(token))
            .header("if-match", etag)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    pub async fn login(
        &self,
        email: &str,
        password: &str,
        tenant: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut body = json!({"email": email, "password": password});
        if let Some(t) = tenant {
            body["tenant"] = json!(t);
        }
        self.post("/api/v1/auth/login", None, body).await
    }

    /// Create a tenant (built-in roles, an admin who need not change the password) and sign
    /// the admin in.
    pub async fn create_tenant(&self, slug: &str) -> TestTenant {
        let input = TenantIn {
            slug: slug.into(),
            name: format!("Firm {slug}"),
            locale: Some(Locale::Fr),
            time_zone: None,
            admin_email: format!("admin@{slug}.test"),
            admin_full_name: Some("Admin".into()),
            admin_password: PASSWORD.into(),
        };
        let (tenant, admin) = provision::create_tenant(&self.db, &Hasher::new(1), &input, false)
            .await
            .expect("tenant created");
        let admin = self.sign_in(&admin.email, Some(slug)).await;
        TestTenant {
            id: tenant.id,
            slug: slug.into(),
            admin,
        }
    }

    pub async fn sign_in(&self, email: &str, tenant: Option<&str>) -> TestUser {
        let (status, body) = self.login(email, PASSWORD, tenant).await;
        assert_eq!(status, StatusCode::OK, "login of {email}: {body}");
        TestUser {
            id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            email: email.into(),
            token: body["access_token"].as_str().unwrap().into(),
            refresh_token: body["refresh_token"].as_str().unwrap().into(),
        }
    }

    /// Insert a user with a built-in or custom role (by key), optionally in a team, and sign
    /// them in. Uses the store directly: fast, and independent of the users API under test.
    pub async fn create_user(
        &self,
        tenant: &TestTenant,
        email: &str,
        role_key: &str,
        team: Option<Uuid>,
    ) -> TestUser {
        let hash = password_hash().await;
        let tx = self.db.tenant_tx(TenantId(tenant.id)).await.unwrap();
        let role = Role::find_by_key(&*tx, tenant.id, role_key)
            .await
            .unwrap()
            .expect("role exists");
        User::insert(
            &*tx,
            tenant.id,
            &NewUser {
                email,
                full_name: email,
                password_hash: hash,
                role_id: role.id,
                team_id: team,
                locale: "fr",
                must_change_password: false,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        self.sign_in(email, Some(&tenant.slug)).await
    }

    pub async fn create_team(&self, tenant: &TestTenant, name: &str) -> Uuid {
        let tx = self.db.tenant_tx(TenantId(tenant.id)).await.unwrap();
        let team = Team::insert(&*tx, tenant.id, name, "").await.unwrap();
        tx.commit().await.unwrap();
        team.id
    }

    pub async fn role_id(&self, tenant: &TestTenant, key: &str) -> Uuid {
        let tx = self.db.tenant_tx(TenantId(tenant.id)).await.unwrap();
        let role = Role::find_by_key(&*tx, tenant.id, key)
            .await
            .unwrap()
            .unwrap();
        tx.commit().await.unwrap();
        role.id
    }

    /// A superuser connection to this test's database, for catalog checks only.
    pub async fn superuser(&self) -> PgConnection {
        let url = super_url();
        let base = url.rsplit_once('/').unwrap().0;
        PgConnection::connect(&format!("{base}/{}", self.db_name))
            .await
            .unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// Assert a problem+json answer with this status and code.
pub fn assert_problem(status: StatusCode, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(
        status.as_u16(),
        want_status,
        "unexpected status; body: {body}"
    );
    assert_eq!(body["code"], want_code, "unexpected code; body: {body}");
    assert_eq!(
        body["status"], want_status,
        "problem status field; body: {body}"
    );
}
