//! Integration tests: the real server over HTTP against a real PostgreSQL. Each test gets its
//! own database cloned from a migrated template (see `helpers`). Run through `cargo xtask
//! test`, which starts a throwaway cluster and sets RELAIS_TEST_PG_SUPER_URL.

mod admin_api;
mod auth;
mod bad_input;
mod documents;
mod exports;
mod helpers;
mod imports;
mod interactions;
mod journey;
mod mandates;
mod organisations;
mod people;
mod pipeline;
mod products;
mod search;
mod seed;
mod smoke;
mod smtp;
mod tasks;
mod tenancy;
mod web;
mod webhooks;
