//! One module per page.

pub mod admin;
pub mod auth;
pub mod catalogue;
pub mod imports;
pub mod not_found;
pub mod organisations;
pub mod people;
pub mod pipeline;
pub mod settings;
pub mod tasks;
