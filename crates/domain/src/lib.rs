//! Relais domain: value types, validation and access rules.
//!
//! Policy: nothing in this crate does I/O, is async, or knows a framework. Values are
//! validated once, at the edge, by `parse` constructors that return `Result`, so an invalid
//! value cannot exist past the edge. Rules (who may do what) are pure functions with unit
//! tests next to them.
#![forbid(unsafe_code)]

#[macro_use]
mod macros;

pub mod access;
pub mod crm;
pub mod ids;
pub mod imports;
pub mod interactions;
pub mod mandates;
pub mod people;
pub mod products;
pub mod search;
pub mod tasks;
pub mod values;
pub mod webhooks;

pub use access::{Action, BuiltinRole, Grant, Grants, RecordOwner, Resource, Scope, Subject};
pub use ids::*;
pub use values::{EmailAddress, Password, PersonName, Slug, ValueError};
