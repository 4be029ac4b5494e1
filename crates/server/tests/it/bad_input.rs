//! Bad input of every kind is answered with an RFC 9457 problem document, never a 500
//! (API-2), and the operational endpoints answer (API-1, health checks).

use crate::helpers::*;
use reqwest::{Method, RequestBuilder, StatusCode, header};
use serde_json::{Value, json};
use uuid::Uuid;

/// An answer as seen on the wire.
struct Answer {
    status: StatusCode,
    headers: header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Assert a problem document with this status and code, and the conventions every error
    /// follows. Returns the document.
    fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status, "{body}");
        assert!(
            body["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("/problems/")),
            "{body}"
        );
        assert!(
            body["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{body}"
        );
        let request_id = self.header("x-request-id").expect("X-Request-Id header");
        assert!(!request_id.is_empty());
        assert_eq!(body["request_id"], request_id, "{body}");
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
        body
    }

    /// A 422 naming this field with this code.
    fn field(&self, field: &str, code: &str) -> Value {
        let body = self.problem(422, "validation_failed");
        let errors = body["errors"].as_array().expect("errors");
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "want {field}/{code}: {body}"
        );
        body
    }
}

async fn send(r: RequestBuilder) -> Answer {
    let res = r.send().await.expect("request sent");
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        text: res.text().await.unwrap(),
    }
}

/// A POST with a raw body and content type.
fn raw(
    app: &TestApp,
    path: &str,
    token: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> RequestBuilder {
    let mut r = app.req(Method::POST, path, Some(token)).body(body);
    if let Some(ct) = content_type {
        r = r.header(header::CONTENT_TYPE, ct);
    }
    r
}

const JSON: Option<&str> = Some("application/json");

#[tokio::test]
async fn malformed_and_mistyped_bodies() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.as_str();
    let user_role = app.role_id(&t, "user").await;

    // Not JSON at all, or broken JSON.
    for body in [
        &b"{not json"[..],
        b"{\"name\": ",
        b"{\"name\": \"x\",}",
        b"{\"name\": \"Ventes\"} trailing",
        b"{\"name\": \"Ventes\"}}",
        b"{\"name\": \"\xff\xfe\"}",
        b"",
        b"   ",
    ] {
        let a = send(raw(&app, "/api/v1/teams", tok, JSON, body.to_vec())).await;
        let p = a.problem(400, "malformed_json");
        assert!(p["detail"].is_string(), "{p}");
    }
    // Deep nesting is refused (400 or 422 depending on where serde stops), never a crash.
    for deep in [
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!("{}{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)),
        format!(
            "{{\"key\": \"deep\", \"name\": \"Deep\", \"grants\": {}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    ] {
        let a = send(raw(&app, "/api/v1/roles", tok, JSON, deep.into_bytes())).await;
        let code = if a.status == StatusCode::BAD_REQUEST {
            "malformed_json"
        } else {
            "validation_failed"
        };
        a.problem(a.status.as_u16(), code);
    }

    // Well-formed JSON of the wrong shape: 422 with the field path.
    let post = |path: &'static str, body: Value| {
        let app = &app;
        async move { send(app.req(Method::POST, path, Some(tok)).json(&body)).await }
    };
    post(
        "/api/v1/users",
        json!({"email": 3, "full_name": "X", "password": "temporary password", "role_id": user_role}),
    )
    .await
    .field("email", "invalid_type");
    post(
        "/api/v1/users",
        json!({"email": "x@acme.test", "full_name": "X", "password": "temporary password",
               "role_id": "not-a-uuid"}),
    )
    .await
    .field("role_id", "invalid");
    post(
        "/api/v1/users",
        json!({"email": "x@acme.test", "full_name": "X", "password": "temporary password",
               "role_id": user_role, "locale": "klingon"}),
    )
    .await
    .field("locale", "invalid");
    post(
        "/api/v1/roles",
        json!({"key": "k1", "name": "K", "grants": [{"resource": 3, "action": "read", "scope": "all"}]}),
    )
    .await
    .field("grants[0].resource", "invalid_type");
    post("/api/v1/teams", json!({"name": "Ventes", "colour": "red"}))
        .await
        .field("colour", "unknown_field");
    post("/api/v1/teams", json!({"description": "no name"}))
        .await
        .field("name", "required");
    post("/api/v1/teams", json!({"name": null}))
        .await
        .field("name", "invalid_type");
    post("/api/v1/teams", json!({"name": ["Ventes"]}))
        .await
        .field("name", "invalid_type");
    for top in [json!([]), json!("Ventes"), json!(42), Value::Null] {
        let a = post("/api/v1/teams", top).await;
        a.problem(422, "validation_failed");
    }
    let a = send(
        app.req(
            Method::PATCH,
            &format!("/api/v1/users/{}", t.admin.id),
            Some(tok),
        )
        .header("if-match", "*")
        .json(&json!({"active": "yes"})),
    )
    .await;
    a.field("active", "invalid_type");

    // Content types.
    let team = br#"{"name": "Ventes"}"#.to_vec();
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonx"),
    ] {
        send(raw(&app, "/api/v1/teams", tok, ct, team.clone()))
            .await
            .problem(415, "unsupported_media_type");
    }
    let a = send(raw(
        &app,
        "/api/v1/teams",
        tok,
        Some("application/json; charset=utf-8"),
        team.clone(),
    ))
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.header("content-type"), Some("application/json"));

    // Strings that are far too long, and characters Postgres cannot store: 422, not 500.
    let huge = "x".repeat(100_000);
    post("/api/v1/teams", json!({"name": huge}))
        .await
        .field("name", "too_long");
    post(
        "/api/v1/teams",
        json!({"name": "Long", "description": huge}),
    )
    .await
    .field("description", "too_long");
    post(
        "/api/v1/roles",
        json!({"key": "k2", "name": huge, "grants": []}),
    )
    .await
    .field("name", "too_long");
    post(
        "/api/v1/roles",
        json!({"key": huge, "name": "K", "grants": []}),
    )
    .await
    .field("key", "invalid_slug");
    post(
        "/api/v1/users",
        json!({"email": format!("{huge}@acme.test"), "full_name": huge, "password": huge,
               "role_id": user_role}),
    )
    .await
    .field("email", "invalid_email");
    post(
        "/api/v1/users",
        json!({"email": "long@acme.test", "full_name": huge, "password": "temporary password",
               "role_id": user_role}),
    )
    .await
    .field("full_name", "too_long");
    post(
        "/api/v1/users",
        json!({"email": "long@acme.test", "full_name": "Long", "password": huge,
               "role_id": user_role}),
    )
    .await
    .field("password", "password_too_long");
    post("/api/v1/teams", json!({"name": "Nul\u{0}byte"}))
        .await
        .field("name", "invalid_characters");
    for (path, body, field) in [
        (
            "/api/v1/teams",
            json!({"name": "Nul", "description": "a\u{0}b"}),
            "description",
        ),
        (
            "/api/v1/roles",
            json!({"key": "nul", "name": "Nul", "description": "a\u{0}b", "grants": []}),
            "description",
        ),
        (
            "/api/v1/users",
            json!({"email": "nul@acme.test", "full_name": "Nul",
                   "password": "temporary\u{0}password", "role_id": user_role}),
            "password",
        ),
    ] {
        let a = post(path, body).await;
        assert_ne!(
            a.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}: {}",
            a.text
        );
        if a.status.is_client_error() {
            a.field(field, "invalid_characters");
        } else {
            assert_eq!(a.status, StatusCode::CREATED, "{path}: {}", a.text);
        }
    }
    // Query strings: the same.
    for q in ["?q=%00", "?q=a%00b", "?q=%00&active=true"] {
        send(app.req(Method::GET, &format!("/api/v1/users{q}"), Some(tok)))
            .await
            .problem(400, "invalid_characters");
    }
    let (s, body) = app
        .get(&format!("/api/v1/users?q={}", "y".repeat(10_000)), tok)
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["items"], json!([]));

    // A body larger than the default 256 kB of actix, but within max_json_bytes (1 MiB by
    // default), reaches validation.
    let big = "d".repeat(400_000);
    post("/api/v1/teams", json!({"name": "Big", "description": big}))
        .await
        .field("description", "too_long");
    app.stop().await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let app = spawn_app_with(|cfg| cfg.api.max_json_bytes = 1024).await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.as_str();
    let over = json!({"name": "Big", "description": "d".repeat(2_000)});
    let a = send(
        app.req(Method::POST, "/api/v1/teams", Some(tok))
            .json(&over),
    )
    .await;
    a.problem(413, "payload_too_large");
    // Also when the Content-Type is right but the body is not even JSON.
    send(raw(&app, "/api/v1/teams", tok, JSON, vec![b'x'; 5_000]))
        .await
        .problem(413, "payload_too_large");
    // And on routes that do not need authentication.
    let login = json!({"email": "a@acme.test", "password": "p".repeat(5_000)});
    send(
        app.req(Method::POST, "/api/v1/auth/login", None)
            .json(&login),
    )
    .await
    .problem(413, "payload_too_large");
    // Under the limit, the same route works.
    let under = json!({"name": "Small", "description": "d".repeat(500)});
    let a = send(
        app.req(Method::POST, "/api/v1/teams", Some(tok))
            .json(&under),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let (s, teams) = app.get("/api/v1/teams", tok).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(teams.as_array().unwrap().len(), 1, "{teams}");
    app.stop().await;
}

#[tokio::test]
async fn paths_queries_methods_and_routes() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.as_str();
    let get = |path: String| {
        let app = &app;
        async move { send(app.req(Method::GET, &path, Some(tok))).await }
    };

    // Malformed ids in paths.
    for path in [
        "/api/v1/users/not-a-uuid",
        "/api/v1/users/1",
        "/api/v1/roles/%FF",
        "/api/v1/teams/00000000-0000-0000-0000-00000000000g",
        "/api/v1/api-keys/' OR 1=1 --",
    ] {
        get(path.into()).await.problem(400, "invalid_id");
    }
    send(app.req(Method::DELETE, "/api/v1/teams/nope", Some(tok)))
        .await
        .problem(400, "invalid_id");
    send(
        app.req(Method::PATCH, "/api/v1/roles/nope", Some(tok))
            .header("if-match", "*")
            .json(&json!({"name": "X"})),
    )
    .await
    .problem(400, "invalid_id");
    send(
        app.req(Method::POST, "/api/v1/users/nope/password", Some(tok))
            .json(&json!({"new_password": "temporary password"})),
    )
    .await
    .problem(400, "invalid_id");
    // A well-formed id that does not exist is a 404.
    get(format!("/api/v1/users/{}", Uuid::now_v7()))
        .await
        .problem(404, "not_found");

    // Bad query strings.
    for q in [
        "limit=abc",
        "limit=-1",
        "limit=1.5",
        "limit=99999999999999999999999",
        "active=maybe",
        "team_id=nope",
        "role_id=1",
    ] {
        get(format!("/api/v1/users?{q}"))
            .await
            .problem(400, "invalid_query");
    }

    // Unknown routes and methods.
    for path in [
        "/api/v1/nope",
        "/api/v2/users",
        "/nope",
        "/api/v1/users/x/y/z",
    ] {
        get(path.into()).await.problem(404, "not_found");
        send(app.req(Method::GET, path, None))
            .await
            .problem(404, "not_found");
    }
    for (method, path) in [
        (Method::PUT, "/api/v1/users".to_owned()),
        (Method::DELETE, "/api/v1/users".to_owned()),
        (Method::PUT, format!("/api/v1/users/{}", t.admin.id)),
        (
            Method::PATCH,
            format!("/api/v1/api-keys/{}", Uuid::now_v7()),
        ),
        (Method::GET, "/api/v1/auth/login".to_owned()),
        (Method::POST, "/healthz".to_owned()),
    ] {
        send(app.req(method.clone(), &path, Some(tok)))
            .await
            .problem(405, "method_not_allowed");
    }

    // Authentication problems are problems too.
    send(app.req(Method::GET, "/api/v1/users", None))
        .await
        .problem(401, "unauthorized");
    for auth in [
        "Bearer",
        "Bearer ",
        "Basic YTpi",
        "Bearer not.a.jwt",
        "Bearer rk_x_y",
    ] {
        let a = send(
            app.client
                .get(app.url("/api/v1/users"))
                .header(header::AUTHORIZATION, auth),
        )
        .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{auth}: {}", a.text);
        a.problem(401, a.json()["code"].as_str().unwrap());
    }
    app.stop().await;
}

#[tokio::test]
async fn request_ids_and_security_headers() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = t.admin.token.as_str();

    // A sane client id is echoed, on success and on error.
    for (path, status) in [("/api/v1/users", 200), ("/api/v1/nope", 404)] {
        let a = send(
            app.req(Method::GET, path, Some(tok))
                .header("x-request-id", "client-42_a.b:c"),
        )
        .await;
        assert_eq!(a.status.as_u16(), status, "{}", a.text);
        assert_eq!(a.header("x-request-id"), Some("client-42_a.b:c"));
        if status >= 400 {
            assert_eq!(
                a.problem(status, "not_found")["request_id"],
                "client-42_a.b:c"
            );
        }
    }
    // An unsafe one is replaced by a fresh id.
    let long = "a".repeat(300);
    for bad in ["has space", "<script>", "a\"b", long.as_str(), ""] {
        let a = send(
            app.req(Method::GET, "/api/v1/nope", Some(tok))
                .header("x-request-id", bad),
        )
        .await;
        let id = a.header("x-request-id").unwrap().to_owned();
        assert_ne!(id, bad);
        assert!(!id.is_empty());
        assert_eq!(a.problem(404, "not_found")["request_id"], id);
    }
    // Without one, each response gets its own.
    let a = send(app.req(Method::GET, "/api/v1/users", Some(tok))).await;
    let b = send(app.req(Method::GET, "/api/v1/users", Some(tok))).await;
    assert_ne!(a.header("x-request-id"), b.header("x-request-id"));

    // Security headers on every kind of response.
    for (method, path, token) in [
        (Method::GET, "/api/v1/users", Some(tok)),
        (Method::GET, "/api/v1/users", None),
        (Method::GET, "/healthz", None),
        (Method::GET, "/api/openapi.json", None),
        (Method::DELETE, "/api/v1/users", Some(tok)),
        (Method::GET, "/nope", None),
    ] {
        let a = send(app.req(method.clone(), path, token)).await;
        assert_eq!(
            a.header("x-content-type-options"),
            Some("nosniff"),
            "{method} {path}"
        );
        assert_eq!(a.header("x-frame-options"), Some("DENY"), "{method} {path}");
        assert!(a.header("x-request-id").is_some(), "{method} {path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn health_and_api_documents() {
    let app = spawn_app().await;
    let a = send(app.req(Method::GET, "/healthz", None)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["status"], "ok");

    let a = send(app.req(Method::GET, "/readyz", None)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let ready = a.json();
    assert_eq!(ready["status"], "ok");
    let db = ready["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "database")
        .unwrap_or_else(|| panic!("no database check: {ready}"));
    assert_eq!(db["ok"], true, "{ready}");
    assert!(db["latency_ms"].as_f64().is_some());

    let a = send(app.req(Method::GET, "/api/openapi.json", None)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let doc = a.json();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "openapi = {}",
        doc["openapi"]
    );
    for path in [
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/roles",
        "/api/v1/teams",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the document"
        );
    }
    assert!(doc["paths"]["/api/v1/users"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/users"]["post"].is_object());

    let a = send(app.req(Method::GET, "/api/docs/", None)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.header("content-type").unwrap().starts_with("text/html"),
        "{:?}",
        a.headers
    );
    assert!(a.text.to_lowercase().contains("<html"), "{}", a.text);
    let a = send(app.req(Method::GET, "/api/docs", None)).await;
    assert!(a.status.is_redirection(), "{}", a.status);
    assert_eq!(a.header("location"), Some("/api/docs/"));
    app.stop().await;
}
