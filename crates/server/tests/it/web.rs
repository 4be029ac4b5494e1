//! The web app is served at `/` with an SPA fallback, cache headers by kind of file and
//! compression, while the API namespace keeps its problem+json 404s.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use std::path::PathBuf;

const INDEX: &str = "<!doctype html><html><head><script type=\"module\" \
    src=\"/assets/relais_web-0123456789abcdef.js\"></script></head><body></body></html>";
const JS_NAME: &str = "relais_web-0123456789abcdef.js";
const WASM_NAME: &str = "relais_web_bg-fedcba9876543210.wasm";

/// A built app in a temp dir: index.html, hashed JS and wasm, an unhashed extra file.
fn fake_dist(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relais-web-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    // Large and repetitive enough for the compressor to bother.
    let js = "export default function init() { return 42; }\n".repeat(200);
    std::fs::write(dir.join("assets").join(JS_NAME), js).unwrap();
    std::fs::write(dir.join("assets").join(WASM_NAME), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("robots.txt"), "User-agent: *\n").unwrap();
    dir
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn fetch(app: &TestApp, method: Method, path: &str, encoding: Option<&str>) -> Answer {
    let mut req = app.req(method, path, None);
    if let Some(e) = encoding {
        req = req.header("accept-encoding", e);
    }
    let res = req.send().await.unwrap();
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.bytes().await.unwrap().to_vec(),
    }
}

#[tokio::test]
async fn the_built_app_is_served_with_fallback_and_cache_headers() {
    let dist = fake_dist("built");
    let dir = dist.clone();
    let app = spawn_app_with(move |cfg| cfg.web_dir = dir).await;

    // The home page and any app route answer index.html, revalidated on every load.
    for path in [
        "/",
        "/index.html",
        "/organisations",
        "/organisations/0190-x/contacts",
        "/login?next=%2F",
    ] {
        let a = fetch(&app, Method::GET, path, None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.text(), INDEX, "{path}");
        assert_eq!(
            a.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        assert_eq!(a.header("cache-control"), Some("no-cache"), "{path}");
        assert_eq!(
            a.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }

    // Hashed assets: their MIME type and a year of caching.
    let js = fetch(&app, Method::GET, &format!("/assets/{JS_NAME}"), None).await;
    assert_eq!(js.status, StatusCode::OK);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        js.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(js.text().starts_with("export default function init()"));
    let wasm = fetch(&app, Method::GET, &format!("/assets/{WASM_NAME}"), None).await;
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.body, b"\0asm\x01\0\0\0");
    assert_eq!(
        wasm.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let robots = fetch(&app, Method::GET, "/robots.txt", None).await;
    assert_eq!(
        robots.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(robots.header("cache-control"), Some("public, max-age=3600"));

    // HEAD answers the headers without a body.
    let head = fetch(&app, Method::HEAD, &format!("/assets/{JS_NAME}"), None).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());

    // Compression when the browser accepts it.
    let br = fetch(&app, Method::GET, &format!("/assets/{JS_NAME}"), Some("br")).await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert!(br.body.len() < js.body.len() / 4, "{} bytes", br.body.len());
    let gz = fetch(
        &app,
        Method::GET,
        &format!("/assets/{JS_NAME}"),
        Some("gzip"),
    )
    .await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gz.body.len() < js.body.len() / 4);

    // Paths that try to leave the directory get the app, never a file outside it.
    for path in [
        "/assets/../../etc/passwd",
        "/..%2F..%2Fetc%2Fpasswd",
        "/.hidden",
    ] {
        let a = fetch(&app, Method::GET, path, None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.text(), INDEX, "{path}");
    }

    // The API namespace never falls back to the app.
    for path in [
        "/api/v1/nope",
        "/api",
        "/api/v2/users",
        "/metrics/nope",
        "/healthz/x",
    ] {
        let a = fetch(&app, Method::GET, path, None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            a.header("content-type")
                .is_some_and(|c| c.starts_with("application/problem+json")),
            "{path}"
        );
        let body: serde_json::Value = serde_json::from_slice(&a.body).unwrap();
        assert_eq!(body["code"], "not_found", "{path}");
    }
    // Writes to app paths are not pages.
    let post = fetch(&app, Method::POST, "/organisations", None).await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    // The API itself still works alongside.
    let health = fetch(&app, Method::GET, "/healthz", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert!(
        health
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );

    app.stop().await;
    let _ = std::fs::remove_dir_all(dist);
}

#[tokio::test]
async fn without_a_build_the_home_page_says_how_to_build_it() {
    let dir = std::env::temp_dir().join(format!("relais-web-test-missing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let app = spawn_app_with(move |cfg| cfg.web_dir = dir).await;
    let home = fetch(&app, Method::GET, "/", None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(
        home.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let text = home.text();
    assert!(text.contains("not built"), "{text}");
    assert!(text.contains("cargo xtask run"), "{text}");
    // Other paths stay plain 404s, and the API is unaffected.
    let other = fetch(&app, Method::GET, "/organisations", None).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let api = fetch(&app, Method::GET, "/api/v1/nope", None).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    app.stop().await;
}
