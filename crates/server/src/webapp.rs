//! Serving the web app (the built `frontend/dist`) next to the API.
//!
//! Policy: the API namespace (`/api`, `/healthz`, `/readyz`, `/metrics`) never falls back to
//! the app, so an unknown API path stays a problem+json 404. Any other GET is a file of the
//! app or, failing that, `index.html` (the app's router decides what the path shows). Files
//! whose name carries a content hash are cached for a year; `index.html` is revalidated on
//! every load so a new release is picked up at once. Compression is the Compress middleware's.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{Method, header},
    web,
};
use std::path::{Path, PathBuf};

/// Where the built app lives (`RELAIS_WEB_DIR`).
#[derive(Clone, Debug)]
pub struct WebDir(pub PathBuf);

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
/// Unhashed files other than index.html (a favicon, robots.txt): short-lived.
const SHORT: &str = "public, max-age=3600";

const NOT_BUILT: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Relais</title></head><body style=\"font-family:sans-serif;max-width:40rem;margin:3rem auto\">\
<h1>Relais</h1><p>The web app is not built. Build it with <code>cargo xtask run</code> \
(which builds and serves it) or point <code>RELAIS_WEB_DIR</code> at a built \
<code>frontend/dist</code>.</p><p>The API is available: see <a href=\"/api/docs/\">/api/docs/</a>.</p>\
</body></html>\n";

/// Paths that belong to the server itself and never fall back to the app.
pub fn is_backend_path(path: &str) -> bool {
    ["/api", "/healthz", "/readyz", "/metrics"].iter().any(|p| {
        path == *p
            || path
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// The file a URL path names inside the web directory, or `None` when the path could
/// escape it (`..`, hidden files, backslashes, encoded characters) or names the root.
pub fn relative_file(path: &str) -> Option<PathBuf> {
    let rel = path.trim_start_matches('/');
    if rel.is_empty() {
        return None;
    }
    let mut out = PathBuf::new();
    for seg in rel.split('/') {
        let ok = !seg.is_empty()
            && !seg.starts_with('.')
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !ok {
            return None;
        }
        out.push(seg);
    }
    Some(out)
}

/// `name-<16 hex>.ext`: the names the build gives assets whose content decides their name.
pub fn is_hashed(file_name: &str) -> bool {
    let stem = file_name.split('.').next().unwrap_or("");
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn read_file(path: &Path) -> Option<Vec<u8>> {
    let path = path.to_owned();
    web::block(move || {
        if !std::fs::metadata(&path).ok()?.is_file() {
            return None;
        }
        std::fs::read(&path).ok()
    })
    .await
    .ok()
    .flatten()
}

fn respond(req: &HttpRequest, body: Vec<u8>, content_type: &str, cache: &str) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, cache));
    if req.method() == Method::HEAD {
        res.insert_header((header::CONTENT_LENGTH, body.len()));
        return res.finish();
    }
    res.body(body)
}

/// The default service: the app's files, the SPA fallback, or the API's 404.
pub async fn serve(req: HttpRequest, dir: web::Data<WebDir>) -> HttpResponse {
    let path = req.path();
    let readable = req.method() == Method::GET || req.method() == Method::HEAD;
    if !readable || is_backend_path(path) {
        return relais_api::middleware::not_found().await;
    }
    let root = &dir.0;
    if let Some(rel) = relative_file(path) {
        let file = root.join(&rel);
        if let Some(body) = read_file(&file).await {
            let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let cache = if is_hashed(name) {
                IMMUTABLE
            } else if name == "index.html" {
                REVALIDATE
            } else {
                SHORT
            };
            return respond(&req, body, content_type(&file), cache);
        }
    }
    match read_file(&root.join("index.html")).await {
        Some(index) => respond(&req, index, "text/html; charset=utf-8", REVALIDATE),
        // Without a build, only the home page explains what to do; other paths stay 404s.
        None if path == "/" => respond(
            &req,
            NOT_BUILT.as_bytes().to_vec(),
            "text/html; charset=utf-8",
            REVALIDATE,
        ),
        None => relais_api::middleware::not_found().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_paths_never_fall_back() {
        for p in [
            "/api",
            "/api/",
            "/api/v1/nope",
            "/healthz",
            "/readyz",
            "/metrics",
            "/metrics/x",
        ] {
            assert!(is_backend_path(p), "{p}");
        }
        for p in ["/", "/apidocs", "/organisations", "/healthzz", "/login"] {
            assert!(!is_backend_path(p), "{p}");
        }
    }

    #[test]
    fn only_plain_paths_map_to_files() {
        assert_eq!(
            relative_file("/assets/app-0123456789abcdef.css"),
            Some(PathBuf::from("assets/app-0123456789abcdef.css"))
        );
        for bad in [
            "/",
            "/../etc/passwd",
            "/assets/../../x",
            "/.env",
            "/a//b",
            "/a%2e%2e/b",
            "/a\\b",
        ] {
            assert_eq!(relative_file(bad), None, "{bad}");
        }
    }

    #[test]
    fn hashed_names() {
        assert!(is_hashed("relais_web-0123456789abcdef.js"));
        assert!(is_hashed("relais_web_bg-0123456789ABCDEF.wasm"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("app-1234.css"));
        assert!(!is_hashed("favicon.ico"));
    }

    #[test]
    fn mime_types() {
        assert_eq!(content_type(Path::new("a.wasm")), "application/wasm");
        assert_eq!(
            content_type(Path::new("a.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("a.css")), "text/css; charset=utf-8");
        assert_eq!(
            content_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x.bin")), "application/octet-stream");
    }
}
