//! One module per page.

pub mod admin;
pub mod admin_edit;
pub mod auth;
pub mod catalogue;
pub mod imports;
pub mod interaction_form;
pub mod mandate_form;
pub mod not_found;
pub mod organisations;
pub mod people;
pub mod person_form;
pub mod pipeline;
pub mod product_form;
pub mod roles;
pub mod search;
pub mod settings;
pub mod task_form;
pub mod tasks;
pub mod trash;
pub mod webhooks;
