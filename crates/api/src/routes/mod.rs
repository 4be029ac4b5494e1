pub mod admin;
pub mod api_keys;
pub mod auth;
pub mod health;
pub mod me;
pub mod roles;
pub mod teams;
pub mod users;
