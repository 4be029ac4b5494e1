//! The Relais web app (SPEC §11). The view logic (formatting, translations, problem
//! messages, list and shortcut reducers) is plain Rust compiled and tested on the host; the
//! Leptos components exist only in the wasm32 build.
#![forbid(unsafe_code)]

pub mod edit;
pub mod focus;
pub mod format;
pub mod grants;
pub mod history;
pub mod i18n;
pub mod imports;
pub mod problem;
pub mod search;
pub mod state;
pub mod trash;
pub mod webhooks;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod pages;
#[cfg(target_arch = "wasm32")]
mod widgets;

/// Mounts the app on `<body>`.
#[cfg(target_arch = "wasm32")]
pub fn start() {
    // A panic shows its message in the console instead of a bare "unreachable".
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
