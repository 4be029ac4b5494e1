//! Entry point of the browser build: mounts the app. Nothing else belongs here.

fn main() {
    #[cfg(target_arch = "wasm32")]
    relais_web::start();
}
