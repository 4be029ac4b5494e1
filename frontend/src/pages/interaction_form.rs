//! An interaction (call, meeting, email, note) with an organisation and/or a person: the
//! creation form (opened from the record it is about) and the edit form.

use crate::api;
use crate::app::{ctx, tr};
use crate::components::{ConfirmDialog, ErrorAlert};
use crate::edit;
use crate::problem::ApiError;
use crate::widgets::edit_page;
use crate::widgets::{
    ChoiceField, PickKind, RecordPicker, TextArea, TextField, local_error, local_to_utc,
    not_allowed, now, utc_to_local,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_query_map},
};
use relais_domain::access::{Action, Resource};
use relais_domain::interactions::InteractionKind;
use relais_types::{InteractionIn, InteractionOut};
use uuid::Uuid;

#[component]
pub fn NewInteractionPage() -> impl IntoView {
    let c = ctx();
    view! {
        <Show when=move || c.can(Resource::Interactions, Action::Create) fallback=not_allowed>
            <InteractionForm initial=None/>
        </Show>
    }
}

#[component]
pub fn InteractionPage() -> impl IntoView {
    edit_page(
        api::interaction_for_edit,
        |loaded| view! { <InteractionForm initial=Some(loaded)/> },
    )
}

/// Where to go after creating or deleting: the record the interaction is about.
fn record_page(organisation: Option<Uuid>, person: Option<Uuid>) -> String {
    match (organisation, person) {
        (Some(o), _) => format!("/organisations/{o}"),
        (None, Some(p)) => format!("/people/{p}"),
        (None, None) => "/organisations".to_owned(),
    }
}

#[component]
fn InteractionForm(initial: Option<(InteractionOut, String)>) -> impl IntoView {
    let c = ctx();
    let navigate = use_navigate();
    let query = use_query_map();
    let editing = initial.is_some();
    let original = RwSignal::new(initial);
    let kind = RwSignal::new(InteractionKind::Call.code().to_owned());
    let occurred = RwSignal::new(utc_to_local(now()));
    let summary = RwSignal::new(String::new());
    let organisation = RwSignal::new(None::<Uuid>);
    let person = RwSignal::new(None::<Uuid>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);
    let fill = move |i: &InteractionOut| {
        kind.set(i.kind.code().to_owned());
        occurred.set(utc_to_local(i.occurred_at));
        summary.set(i.summary.clone());
        organisation.set(i.organisation_id);
        person.set(i.person_id);
    };
    match original.get_untracked() {
        Some((i, _)) => fill(&i),
        None => query.with_untracked(|q| {
            organisation.set(q.get("organisation").and_then(|s| s.parse().ok()));
            person.set(q.get("person").and_then(|s| s.parse().ok()));
        }),
    }
    let can_write = move || {
        let action = if editing {
            Action::Update
        } else {
            Action::Create
        };
        c.can(Resource::Interactions, action)
    };
    let kinds = Signal::derive(|| {
        InteractionKind::ALL
            .iter()
            .map(|k| {
                (
                    k.code().to_owned(),
                    format!("interaction.kinds.{}", k.code()),
                )
            })
            .collect::<Vec<_>>()
    });
    let submit = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if busy.get_untracked() {
                return;
            }
            let raw = occurred.get_untracked();
            let occurred_at = if raw.trim().is_empty() {
                None
            } else {
                match local_to_utc(&raw) {
                    Some(at) => Some(at),
                    None => {
                        error.set(Some(local_error("occurred_at", "invalid_date")));
                        return;
                    }
                }
            };
            let input = InteractionIn {
                kind: InteractionKind::from_code(&kind.get_untracked())
                    .unwrap_or(InteractionKind::Note),
                summary: summary.get_untracked().trim().to_owned(),
                occurred_at,
                author_id: None,
                organisation_id: organisation.get_untracked(),
                person_id: person.get_untracked(),
            };
            busy.set(true);
            error.set(None);
            let navigate = navigate.clone();
            let before = original.get_untracked();
            spawn_local(async move {
                match before {
                    Some((before, etag)) => {
                        let changes = edit::interaction_patch(&before, &input);
                        let outcome = if changes.is_empty() {
                            Ok((before.clone(), etag))
                        } else {
                            api::update_interaction(before.id, &changes, &etag).await
                        };
                        match outcome {
                            Ok(saved) => {
                                c.toast(c.t("interaction_form.saved"), false);
                                fill(&saved.0);
                                original.set(Some(saved));
                            }
                            Err(e) => error.set(Some(e)),
                        }
                    }
                    None => {
                        let key = Uuid::new_v4().to_string();
                        match api::create_interaction(&input, &key).await {
                            Ok(i) => {
                                c.toast(c.t("interaction_form.created"), false);
                                navigate(
                                    &record_page(i.organisation_id, i.person_id),
                                    NavigateOptions::default(),
                                );
                            }
                            Err(e) => error.set(Some(e)),
                        }
                    }
                }
                busy.set(false);
            });
        }
    };
    let delete = Callback::new(move |()| {
        let Some((i, _)) = original.get_untracked() else {
            return;
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::delete_interaction(i.id).await {
                Ok(()) => {
                    c.toast(c.t("interaction_form.deleted"), false);
                    navigate(
                        &record_page(i.organisation_id, i.person_id),
                        NavigateOptions::default(),
                    );
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    });
    let title = move || {
        if editing {
            c.t("interaction_form.edit_title")
        } else {
            c.t("interaction_form.new_title")
        }
    };
    let back = move || record_page(organisation.get(), person.get());
    view! {
        <div class="page-head">
            <div>
                <p class="crumbs"><a href=back id="interaction-back">{tr("interaction_form.back")}</a></p>
                <h1 id="interaction-title">{title}</h1>
            </div>
            <Show when=move || editing && c.can(Resource::Interactions, Action::Delete)>
                <div class="head-actions">
                    <button
                        type="button"
                        class="btn danger"
                        id="interaction-delete"
                        on:click=move |_| confirm_delete.set(true)
                    >
                        {tr("common.delete")}
                    </button>
                </div>
            </Show>
        </div>
        <ConfirmDialog
            open=confirm_delete
            title="interaction_form.delete_title"
            text=Signal::derive(move || c.t("interaction_form.delete_text"))
            confirm="common.delete"
            on_confirm=delete
        />
        <form class="card" id="interaction-form" on:submit=submit novalidate>
            <fieldset class="form-grid plain" disabled=move || !can_write()>
                <legend class="sr-only">{title}</legend>
                <ErrorAlert error=error/>
                <ChoiceField
                    id="interaction-kind"
                    field="kind"
                    label="interaction.kind"
                    value=kind
                    error=error
                    choices=kinds
                />
                <TextField
                    id="interaction-occurred"
                    field="occurred_at"
                    label="interaction.occurred_at"
                    value=occurred
                    error=error
                    kind="datetime-local"
                />
                <RecordPicker
                    id="interaction-organisation"
                    field="organisation_id"
                    label="interaction_form.organisation"
                    kind=PickKind::Organisation
                    value=organisation
                    error=error
                />
                <RecordPicker
                    id="interaction-person"
                    field="person_id"
                    label="interaction_form.person"
                    kind=PickKind::Person
                    value=person
                    error=error
                />
                <p class="help span-2">{tr("interaction_form.link_help")}</p>
                <TextArea
                    id="interaction-summary"
                    field="summary"
                    label="interaction.summary"
                    value=summary
                    error=error
                    required=true
                />
                <Show when=can_write>
                    <div class="form-actions span-2">
                        <a class="btn" href=back>{tr("common.cancel")}</a>
                        <button type="submit" class="btn primary" id="interaction-submit" disabled=busy>
                            {if editing { tr("common.save") } else { tr("common.create") }}
                        </button>
                    </div>
                </Show>
            </fieldset>
        </form>
    }
}
