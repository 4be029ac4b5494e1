//! The web app: building `frontend/` into `frontend/dist/`, and its browser tests.
//!
//! The build needs nothing but the package registries: the wasm32 target comes from rustup,
//! wasm-bindgen-cli from crates.io at exactly the version in `frontend/Cargo.lock` (the CLI
//! and the library must match), installed once into `~/.cargo/bin` and reused. Assets get a
//! content hash in their names so the server can let browsers cache them for a year.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::apt::{self, Tool};
use crate::pg::{self, PgCluster};
use crate::{Result, dev, newman, random, sys};

const TARGET: &str = "wasm32-unknown-unknown";
/// The crate's binary, as cargo names the wasm file.
const WASM_NAME: &str = "relais-web";
/// The base name wasm-bindgen gives the JavaScript glue and the processed wasm.
const OUT_NAME: &str = "relais_web";

/// Builds the SPA into `frontend/dist` and returns that directory.
pub fn build(root: &Path) -> Result<PathBuf> {
    let frontend = root.join("frontend");
    ensure_wasm_target()?;
    let version = wasm_bindgen_version(
        &std::fs::read_to_string(frontend.join("Cargo.lock"))
            .map_err(|e| format!("cannot read frontend/Cargo.lock: {e}"))?,
    )
    .ok_or("frontend/Cargo.lock names no wasm-bindgen version")?;
    let wasm_bindgen = ensure_wasm_bindgen(&version)?;

    // `RELAIS_WEB_DEBUG=1`: a debug build, not shrunk, whose panics name the reactive value
    // at fault ("defined at …"); for chasing a bug in the browser tests, never for serving.
    let debug = std::env::var_os("RELAIS_WEB_DEBUG").is_some_and(|v| v == "1");
    let profile = if debug { "debug" } else { "release" };
    println!("building the web app ({profile}, {TARGET})");
    let mut build = sys::cargo(root);
    build.args([
        "build",
        "--manifest-path",
        "frontend/Cargo.toml",
        "--target",
        TARGET,
    ]);
    if !debug {
        build.arg("--release");
    }
    sys::run(&mut build)?;
    let wasm = frontend_target_dir(root)
        .join(TARGET)
        .join(profile)
        .join(format!("{WASM_NAME}.wasm"));

    let staging = frontend.join("target").join("web-staging");
    let _ = std::fs::remove_dir_all(&staging);
    sys::create_dir_all(&staging)?;
    sys::run(
        Command::new(&wasm_bindgen)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                OUT_NAME,
                "--out-dir",
            ])
            .arg(&staging)
            .arg(&wasm),
    )?;

    let wasm_bg = staging.join(format!("{OUT_NAME}_bg.wasm"));
    if !debug {
        optimise(root, &wasm_bg)?;
    }

    let dist = frontend.join("dist");
    let assets = dist.join("assets");
    let _ = std::fs::remove_dir_all(&dist);
    sys::create_dir_all(&assets)?;
    let js = copy_hashed(
        &staging.join(format!("{OUT_NAME}.js")),
        &assets,
        OUT_NAME,
        "js",
    )?;
    let wasm_out = copy_hashed(&wasm_bg, &assets, &format!("{OUT_NAME}_bg"), "wasm")?;
    let css = copy_hashed(
        &frontend.join("style").join("app.css"),
        &assets,
        "app",
        "css",
    )?;
    let template = read(&frontend.join("index.html"))?;
    let index = render_index(&template, &js, &wasm_out, &css)?;
    std::fs::write(dist.join("index.html"), index)
        .map_err(|e| format!("cannot write {}: {e}", dist.join("index.html").display()))?;
    let size = std::fs::metadata(assets.join(&wasm_out)).map_or(0, |m| m.len());
    println!(
        "web app built in {} (wasm {} KiB)",
        dist.display(),
        size / 1024
    );
    Ok(dist)
}

/// Shrinks the wasm with binaryen's `wasm-opt -Oz` (about half the size). It comes from npm
/// (`binaryen`), installed once under `.data/tools`: Debian's binaryen is too old and produces
/// a module Chromium rejects. The feature flags are those rustc enables for wasm32 by default.
fn optimise(root: &Path, wasm: &Path) -> Result {
    apt::ensure_packages(&[Tool::Node])?;
    let tools = ensure_npm(root, &[BINARYEN])?;
    let before = std::fs::metadata(wasm).map_or(0, |m| m.len());
    sys::run(
        Command::new(tools.join("node_modules").join(".bin").join("wasm-opt"))
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-reference-types",
                "--enable-mutable-globals",
                "--enable-multivalue",
                "-o",
            ])
            .arg(wasm)
            .arg(wasm),
    )?;
    let after = std::fs::metadata(wasm).map_or(0, |m| m.len());
    println!("wasm-opt: {} KiB -> {} KiB", before / 1024, after / 1024);
    Ok(())
}

/// Where cargo puts the frontend's build: `CARGO_TARGET_DIR` when set (shared with the
/// server build), `frontend/target` otherwise.
fn frontend_target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("frontend").join("target"),
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn ensure_wasm_target() -> Result {
    let installed = sys::output(Command::new("rustup").args(["target", "list", "--installed"]))
        .unwrap_or_default();
    if installed.lines().any(|l| l.trim() == TARGET) {
        return Ok(());
    }
    println!("adding the {TARGET} target with rustup (once)");
    sys::run(Command::new("rustup").args(["target", "add", TARGET]))
}

/// The `wasm-bindgen` version locked in a Cargo.lock.
fn wasm_bindgen_version(lock: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_owned);
        }
    }
    None
}

/// The wasm-bindgen CLI at `version`, installed with cargo when missing or different.
/// `--locked` is left out on purpose: the CLI's own lockfile pins a crate version that the
/// registry no longer serves.
fn ensure_wasm_bindgen(version: &str) -> Result<PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin");
    let candidates = [
        Some(cargo_bin.join("wasm-bindgen")),
        sys::which("wasm-bindgen"),
    ];
    for bin in candidates.into_iter().flatten() {
        let reported = Command::new(&bin)
            .arg("--version")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        if reported.is_some_and(|r| r.split_whitespace().nth(1) == Some(version)) {
            return Ok(bin);
        }
    }
    println!("installing wasm-bindgen-cli {version} (once; takes a few minutes)");
    sys::run(Command::new("cargo").args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        version,
        "--force",
    ]))?;
    Ok(cargo_bin.join("wasm-bindgen"))
}

/// FNV-1a, 64 bits: enough to tell two builds apart, and std-only.
fn content_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Copies `src` to `<dir>/<stem>-<hash>.<ext>` and returns the file name.
fn copy_hashed(src: &Path, dir: &Path, stem: &str, ext: &str) -> Result<String> {
    let bytes = std::fs::read(src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
    let name = format!("{stem}-{}.{ext}", content_hash(&bytes));
    std::fs::write(dir.join(&name), &bytes)
        .map_err(|e| format!("cannot write {}: {e}", dir.join(&name).display()))?;
    Ok(name)
}

/// Fills the `{{JS}}`, `{{WASM}}` and `{{CSS}}` placeholders of `frontend/index.html`.
fn render_index(template: &str, js: &str, wasm: &str, css: &str) -> Result<String> {
    for hole in ["{{JS}}", "{{WASM}}", "{{CSS}}"] {
        if !template.contains(hole) {
            return Err(format!("frontend/index.html lacks the {hole} placeholder"));
        }
    }
    Ok(template
        .replace("{{JS}}", js)
        .replace("{{WASM}}", wasm)
        .replace("{{CSS}}", css))
}

/// npm packages, installed once under `.data/tools` (like newman): the browser tests' driver
/// and accessibility engine, and binaryen for wasm-opt.
const E2E_TOOLS: &[(&str, &str)] = &[("playwright-core", "1.65.1"), ("axe-core", "4.14.1")];
const BINARYEN: (&str, &str) = ("binaryen", "132.0.0");

const E2E_DB: &str = "relais_web_e2e";
const E2E_TENANT: &str = "e2e";
const E2E_ADMIN: &str = "admin@e2e.relais.test";
const E2E_VIEWER: &str = "viewer@e2e.relais.test";
const E2E_NEWCOMER: &str = "newcomer@e2e.relais.test";

/// Installs the missing `packages` (at their exact versions) and returns the tools directory.
fn ensure_npm(root: &Path, packages: &[(&str, &str)]) -> Result<PathBuf> {
    let tools = root.join(".data").join("tools");
    let missing: Vec<String> = packages
        .iter()
        .filter(|(name, version)| {
            let manifest = tools.join("node_modules").join(name).join("package.json");
            !std::fs::read_to_string(manifest)
                .is_ok_and(|m| m.contains(&format!("\"version\": \"{version}\"")))
        })
        .map(|(name, version)| format!("{name}@{version}"))
        .collect();
    if !missing.is_empty() {
        println!(
            "installing {} (once, under {})",
            missing.join(", "),
            tools.display()
        );
        sys::create_dir_all(&tools)?;
        sys::run(
            Command::new("npm")
                .args(["install", "--prefix"])
                .arg(&tools)
                .args(["--no-audit", "--no-fund", "--save-exact"])
                .args(&missing),
        )?;
    }
    Ok(tools)
}

/// The web app's checks in `cargo xtask test`: its view-logic tests on the host, its release
/// build, then the browser journeys and accessibility checks against a live server on the
/// test cluster (fresh database, a tenant, a viewer and a user who must change password).
pub fn test(root: &Path, cluster: &PgCluster, work_dir: &Path, interrupted: &AtomicBool) -> Result {
    sys::run(sys::cargo(root).args([
        "fmt",
        "--manifest-path",
        "frontend/Cargo.toml",
        "--",
        "--check",
    ]))?;
    sys::run(sys::cargo(root).args(["test", "--manifest-path", "frontend/Cargo.toml"]))?;
    sys::check_interrupted(interrupted)?;
    let dist = build(root)?;
    let tools = ensure_npm(root, E2E_TOOLS)?;
    let relais = dev::build_server(root)?;
    sys::check_interrupted(interrupted)?;

    cluster.psql_super(&format!("DROP DATABASE IF EXISTS {E2E_DB}"))?;
    cluster.psql_super(&format!(
        "CREATE DATABASE {E2E_DB} OWNER {}",
        pg::OWNER_ROLE
    ))?;
    let port = sys::free_ports(1)?[0];
    let admin_password = format!("Ad-{}", random::alphanumeric(16)?);
    let viewer_password = format!("Vw-{}", random::alphanumeric(16)?);
    let newcomer_password = format!("Nc-{}", random::alphanumeric(16)?);
    let env = [
        ("DATABASE_URL", cluster.url(pg::APP_ROLE, E2E_DB)),
        ("DATABASE_ADMIN_URL", cluster.url(pg::OWNER_ROLE, E2E_DB)),
        ("RELAIS_BIND", format!("127.0.0.1:{port}")),
        ("RELAIS_JWT_SECRET", random::hex(32)?),
        (
            "RELAIS_DATA_DIR",
            work_dir.join("web-files").to_string_lossy().into_owned(),
        ),
        ("RELAIS_WEB_DIR", dist.to_string_lossy().into_owned()),
        // The journeys sign in many times in a few seconds from one address.
        ("RELAIS_LOGIN_RATE_PER_MINUTE", "1000".into()),
        ("RELAIS_MIGRATE_ON_START", "false".into()),
        // The webhook journey's receiver listens on loopback, refused by default (SSRF guard).
        ("RELAIS_WEBHOOK_ALLOWED_CIDRS", "127.0.0.1/32".into()),
    ];
    let relais_cmd = |args: &[&str]| {
        let mut cmd = Command::new(&relais);
        cmd.args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
        cmd
    };
    sys::run(&mut relais_cmd(&["migrate"]))?;
    sys::run(&mut relais_cmd(&[
        "tenant",
        "create",
        "--slug",
        E2E_TENANT,
        "--name",
        "Cabinet E2E",
        "--admin-email",
        E2E_ADMIN,
        "--admin-password",
        &admin_password,
        "--admin-name",
        "Claire Martin",
    ]))?;
    sys::run(&mut relais_cmd(&[
        "user",
        "create",
        "--tenant",
        E2E_TENANT,
        "--email",
        E2E_VIEWER,
        "--password",
        &viewer_password,
        "--name",
        "Victor Lecteur",
        "--role",
        "viewer",
    ]))?;
    sys::run(&mut relais_cmd(&[
        "user",
        "create",
        "--tenant",
        E2E_TENANT,
        "--email",
        E2E_NEWCOMER,
        "--password",
        &newcomer_password,
        "--name",
        "Nina Nouvelle",
        "--role",
        "user",
        "--must-change-password",
    ]))?;

    let log_path = work_dir.join("web-server.log");
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let mut server = relais_cmd(&["serve"])
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err))
        .spawn()
        .map_err(|e| format!("cannot start relais serve: {e}"))?;
    if let Err(e) = newman::wait_ready(port, &mut server, Duration::from_secs(30)) {
        newman::stop(server);
        return Err(e);
    }
    let outcome = sys::status(
        Command::new("node")
            .current_dir(root)
            .arg("frontend/e2e/run.mjs")
            .env("RELAIS_TOOLS", &tools)
            .env("BASE_URL", format!("http://127.0.0.1:{port}"))
            .env("E2E_TENANT", E2E_TENANT)
            .env("E2E_ADMIN_EMAIL", E2E_ADMIN)
            .env("E2E_ADMIN_PASSWORD", &admin_password)
            .env("E2E_VIEWER_EMAIL", E2E_VIEWER)
            .env("E2E_VIEWER_PASSWORD", &viewer_password)
            .env("E2E_NEWCOMER_EMAIL", E2E_NEWCOMER)
            .env("E2E_NEWCOMER_PASSWORD", &newcomer_password)
            .env("E2E_SCREENSHOTS", root.join("docs").join("screenshots"))
            .env("E2E_WORK_DIR", work_dir),
    );
    newman::stop(server);
    match outcome {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!(
            "the browser tests failed ({s}); server log: {}",
            log_path.display()
        )),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wasm_bindgen_version_comes_from_the_lockfile() {
        let lock = "[[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.1\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(wasm_bindgen_version(lock).as_deref(), Some("0.2.130"));
        assert_eq!(wasm_bindgen_version("[[package]]\nname = \"x\"\n"), None);
    }

    #[test]
    fn hashes_are_stable_and_content_dependent() {
        assert_eq!(content_hash(b""), "cbf29ce484222325");
        assert_eq!(content_hash(b"a").len(), 16);
        assert_ne!(content_hash(b"a"), content_hash(b"b"));
    }

    #[test]
    fn the_index_names_the_hashed_assets() {
        let html = render_index(
            "<link href=\"/assets/{{CSS}}\"><script>import i from \"/assets/{{JS}}\"; \
             i({module_or_path: \"/assets/{{WASM}}\"})</script>",
            "a-1.js",
            "b-2.wasm",
            "c-3.css",
        )
        .unwrap();
        assert!(html.contains("/assets/c-3.css") && html.contains("/assets/a-1.js"));
        assert!(html.contains("/assets/b-2.wasm") && !html.contains("{{"));
        assert!(render_index("no holes", "a", "b", "c").is_err());
    }
}
