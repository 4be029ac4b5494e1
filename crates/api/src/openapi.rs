//! The OpenAPI 3.1 document, generated from the handlers' annotations. `relais openapi`
//! writes it to `openapi/openapi.json`; a test fails when the committed file drifts.

use crate::routes::{
    admin, api_keys, auth, documents, exports, health, imports, interactions, jobs, mandates, me,
    organisations, people, pipeline, products, roles, search, tasks, teams, users, webhooks,
};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Relais API",
        description = "Multi-tenant CRM for firms that distribute financial products.\n\n\
            Sign in with `POST /api/v1/auth/login`, then send `Authorization: Bearer <access_token>` \
            (or an API key `rk_…`). Errors are RFC 9457 `application/problem+json` documents with a \
            stable `code` and per-field `errors`. Updates need `If-Match` with the ETag of the last \
            read (412 when stale, 428 when missing). Lists take `limit` (≤ 200) and `cursor` and \
            answer `{items, next_cursor}`.",
        license(name = "AGPL-3.0-or-later"),
    ),
    paths(
        auth::login, auth::refresh, auth::logout, auth::forgot_password, auth::reset_password,
        auth::change_password,
        me::get_me, me::update_me,
        users::list_users, users::create_user, users::get_user, users::update_user,
        users::deactivate_user, users::reset_user_password,
        roles::list_roles, roles::create_role, roles::get_role, roles::update_role, roles::delete_role,
        teams::list_teams, teams::create_team, teams::get_team, teams::update_team, teams::delete_team,
        api_keys::list_api_keys, api_keys::create_api_key, api_keys::get_api_key,
        api_keys::revoke_api_key,
        admin::operator_login, admin::list_tenants, admin::create_tenant, admin::get_tenant,
        admin::update_tenant,
        health::healthz, health::readyz,
        pipeline::list_stage_actions, pipeline::create_stage_action, pipeline::get_stage_action,
        pipeline::update_stage_action, pipeline::delete_stage_action,
        documents::upload_document, documents::list_documents, documents::get_document,
        documents::download_document, documents::delete_document,
        documents::organisation_documents, documents::restore_document,
        documents::purge_document,
        organisations::list_organisations, organisations::create_organisation,
        organisations::get_organisation, organisations::update_organisation,
        organisations::delete_organisation, organisations::duplicate_organisation,
        organisations::bulk_organisations, organisations::restore_organisation,
        organisations::purge_organisation, organisations::organisation_history,
        interactions::list_interactions, interactions::create_interaction,
        interactions::get_interaction, interactions::update_interaction,
        interactions::delete_interaction, interactions::interaction_history,
        interactions::organisation_interactions, interactions::organisation_timeline,
        interactions::bulk_interactions, interactions::duplicate_interaction,
        interactions::restore_interaction, interactions::purge_interaction,
        tasks::list_tasks, tasks::create_task, tasks::get_task, tasks::update_task,
        tasks::delete_task, tasks::bulk_tasks, tasks::task_history, tasks::organisation_tasks,
        tasks::duplicate_task, tasks::restore_task, tasks::purge_task,
        products::list_products, products::create_product, products::get_product,
        products::update_product, products::delete_product, products::product_history,
        products::bulk_products, products::duplicate_product, products::restore_product,
        products::purge_product,
        mandates::list_mandates, mandates::create_mandate, mandates::get_mandate,
        mandates::update_mandate, mandates::delete_mandate, mandates::restore_mandate,
        mandates::purge_mandate, mandates::mandate_history, mandates::list_mandate_products,
        mandates::set_mandate_products, mandates::list_organisation_mandates,
        mandates::bulk_mandates, mandates::duplicate_mandate,
        people::list_people, people::create_person, people::get_person, people::update_person,
        people::delete_person, people::duplicate_person, people::bulk_people,
        people::restore_person, people::purge_person, people::person_history,
        webhooks::list_event_types, webhooks::list_webhooks, webhooks::create_webhook,
        webhooks::get_webhook, webhooks::update_webhook, webhooks::delete_webhook,
        webhooks::enable_webhook, webhooks::reveal_webhook_secret, webhooks::rotate_webhook_secret,
        webhooks::test_webhook, webhooks::replay_webhook, webhooks::list_webhook_deliveries,
        webhooks::get_webhook_delivery, webhooks::retry_webhook_delivery,
        webhooks::list_event_deliveries,
        people::list_person_organisations, people::link_person_organisation,
        people::get_person_organisation, people::update_person_organisation,
        people::unlink_person_organisation, people::list_organisation_people,
        search::search, search::autocomplete,
        imports::create_import, imports::list_imports, imports::get_import,
        imports::update_import, imports::delete_import, imports::dry_run_import,
        imports::run_import, imports::import_error_report, imports::import_template,
        jobs::get_job, jobs::cancel_job,
        exports::export_organisations, exports::export_people, exports::export_mandates,
        exports::export_tasks, exports::export_interactions, exports::start_job,
        exports::download_file,
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign-in, tokens and passwords"),
        (name = "me", description = "The signed-in user"),
        (name = "users", description = "User administration"),
        (name = "roles", description = "Roles and their grants"),
        (name = "teams", description = "Teams"),
        (name = "api-keys", description = "API keys for integrators"),
        (name = "admin", description = "Platform operators: tenants"),
        (name = "organisations", description = "Organisations: investors, suppliers, distributors, issuers"),
        (name = "interactions", description = "Calls, meetings, emails and notes with organisations and people; organisation timelines"),
        (name = "tasks", description = "Tasks: due dates, priorities, assignees, overdue and completed work"),
        (name = "people", description = "People (contacts) and their links to organisations"),
        (name = "products", description = "Products the firm distributes, by ISIN or internal code"),
        (name = "mandates", description = "Mandates: numbered agreements with organisations, their status flow and covered products"),
        (name = "documents", description = "Files attached to organisations, people and mandates"),
        (name = "webhooks", description = "Webhook endpoints, signing secrets, the event catalogue and the delivery log (see docs/WEBHOOKS.md)"),
        (name = "pipeline", description = "Pipeline automation: actions run when a record enters a stage"),
        (name = "search", description = "Global search (French full text, accents and typos tolerated) and autocomplete"),
        (name = "imports", description = "Imports of organisations and people from CSV, XLSX, XLS and ODS files: detection, mapping, dry run, run, error report, templates"),
        (name = "jobs", description = "Background jobs: status, progress, cancellation"),
        (name = "exports", description = "Exports of filtered lists as CSV, XLSX (with statistics and a chart) and PDF reports"),
        (name = "operations", description = "Health checks"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or rk_ API key")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "operator",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("operator JWT")
                    .build(),
            ),
        );
    }
}

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn document_json() -> String {
    let mut s = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed `openapi/openapi.json` must be what the code generates. Regenerate with
    /// `cargo run -p relais-server -- openapi`.
    #[test]
    fn committed_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json");
        let committed = std::fs::read_to_string(path).expect("openapi/openapi.json exists");
        assert!(
            committed == document_json(),
            "openapi/openapi.json is out of date: run `cargo run -p relais-server -- openapi`"
        );
    }

    /// The CRM's request and record schemas carry a realistic example, and every example is
    /// a valid instance of its Rust type (so a renamed field cannot leave a stale example).
    #[test]
    fn crm_schemas_have_examples_that_parse() {
        use relais_types::*;
        use serde::de::DeserializeOwned;
        let doc: serde_json::Value = serde_json::from_str(&document_json()).unwrap();
        fn check<T: DeserializeOwned>(doc: &serde_json::Value, name: &str) {
            let examples = doc["components"]["schemas"][name]["examples"]
                .as_array()
                .unwrap_or_else(|| panic!("{name} has no example"));
            assert!(!examples.is_empty(), "{name} has no example");
            for e in examples {
                if let Err(err) = serde_json::from_value::<T>(e.clone()) {
                    panic!("the example of {name} does not parse: {err}");
                }
            }
        }
        macro_rules! all {
            ($($t:ident),* $(,)?) => { $(check::<$t>(&doc, stringify!($t));)* };
        }
        all!(
            OrganisationIn,
            OrganisationPatch,
            OrganisationOut,
            BulkAction,
            PersonIn,
            PersonPatch,
            PersonOut,
            PersonOrganisationIn,
            PersonOrganisationPatch,
            PersonOrganisationOut,
            OrganisationPersonOut,
            ProductIn,
            ProductPatch,
            ProductOut,
            ProductBulkAction,
            MandateIn,
            MandatePatch,
            MandateOut,
            MandateProductsIn,
            MandateBulkAction,
            InteractionIn,
            InteractionPatch,
            InteractionOut,
            InteractionBulkAction,
            TaskIn,
            TaskPatch,
            TaskOut,
            TaskBulkAction,
            DocumentOut,
            StageActionIn,
            StageActionPatch,
            StageActionOut,
            ImportOut,
            ImportPatch,
            JobOut,
        );
    }

    #[test]
    fn every_operation_has_an_id_and_documents_errors() {
        let doc: serde_json::Value = serde_json::from_str(&document_json()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let mut ids = std::collections::HashSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_default();
                assert!(!id.is_empty(), "{method} {path} has no operationId");
                assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
                let responses = op["responses"].as_object().unwrap();
                let secured = op.get("security").is_some();
                if secured {
                    assert!(
                        responses.keys().any(|k| k.starts_with('4')),
                        "{method} {path} documents no error response"
                    );
                }
            }
        }
    }
}
