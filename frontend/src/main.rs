fn main() {
    #[cfg(target_arch = "wasm32")]
    relais_web::start();
}
