//! JSON wire types shared by the API and the web app. One source of truth: the server
//! serialises these structs and the SPA deserialises the same ones.
//!
//! Naming: `XxxIn` creates, `XxxPatch` updates (every field optional), `XxxOut` is returned.
//! Input types reject unknown fields so a typo is an error, not a silent no-op.
#![forbid(unsafe_code)]

pub mod admin;
pub mod auth;
pub mod common;
pub mod crm;
pub mod documents;
pub mod iam;
pub mod imports;
pub mod interactions;
pub mod mandates;
pub mod people;
pub mod products;
pub mod search;
pub mod tasks;
pub mod webhooks;

pub use admin::*;
pub use auth::*;
pub use common::*;
pub use crm::*;
pub use documents::*;
pub use iam::*;
pub use imports::*;
pub use interactions::*;
pub use mandates::*;
pub use people::*;
pub use products::*;
pub use search::*;
pub use tasks::*;
pub use webhooks::*;
