//! Exports (SPEC EXP-1).

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
