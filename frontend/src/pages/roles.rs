//! Roles: the list in administration, and the role editor: a custom role's name,
//! description and grants (resource × action, each with a scope). Built-in roles are shown
//! read only; nobody is offered a scope beyond their own grants.

use crate::api;
use crate::app::{ctx, tr};
use crate::components::{ConfirmDialog, ErrorAlert};
use crate::grants::{self, GrantMatrix};
use crate::i18n;
use crate::problem::ApiError;
use crate::widgets::edit_page;
use crate::widgets::{TextField, load_failed, loading, not_allowed};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::{NavigateOptions, hooks::use_navigate};
use relais_domain::access::{Action, Resource, Scope};
use relais_types::{RoleIn, RoleOut};
use serde_json::json;
use uuid::Uuid;

/// The roles section of the administration page.
#[component]
pub fn RolesSection(roles: LocalResource<Result<Vec<RoleOut>, ApiError>>) -> impl IntoView {
    let c = ctx();
    let retry = Callback::new(move |()| roles.refetch());
    let table = move |list: Vec<RoleOut>| {
        view! {
            <div class="table-wrap">
                <table class="data" id="roles-table">
                    <thead>
                        <tr>
                            <th scope="col">{tr("org.field.name")}</th>
                            <th scope="col">{tr("admin.description")}</th>
                            <th scope="col" class="num">{tr("admin.grants")}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {list
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <tr>
                                        <td>
                                            <a class="row-link" href=format!("/admin/roles/{}", r.id)>{r.name}</a>
                                            {r.builtin.then(|| view! { <span class="badge">{tr("admin.builtin")}</span> })}
                                        </td>
                                        <td>{r.description}</td>
                                        <td class="num">{r.grants.len()}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
    };
    view! {
        <Show when=move || c.can(Resource::Roles, Action::Create)>
            <div class="tab-actions">
                <a class="btn primary" id="role-new" href="/admin/roles/new">{tr("role_editor.new")}</a>
            </div>
        </Show>
        <Transition fallback=loading>
            <ErrorBoundary fallback=move |e| load_failed(e, Some(retry))>
                {move || roles.get().map(|r| r.map(table))}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
pub fn NewRolePage() -> impl IntoView {
    let c = ctx();
    view! {
        <Show when=move || c.can(Resource::Roles, Action::Create) fallback=not_allowed>
            <RoleEditor initial=None/>
        </Show>
    }
}

#[component]
pub fn RolePage() -> impl IntoView {
    edit_page(
        api::role_for_edit,
        |loaded| view! { <RoleEditor initial=Some(loaded)/> },
    )
}

fn resource_label(r: Resource) -> String {
    format!("role_editor.resource.{}", r.code())
}

fn action_label(a: Action) -> String {
    format!("role_editor.action.{}", a.code())
}

#[component]
fn RoleEditor(initial: Option<(RoleOut, String)>) -> impl IntoView {
    let c = ctx();
    let navigate = use_navigate();
    let editing = initial.is_some();
    let builtin = initial.as_ref().is_some_and(|(r, _)| r.builtin);
    let original = RwSignal::new(initial);
    let key = RwSignal::new(String::new());
    // The key follows the name until the user types a key of their own.
    let key_touched = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let matrix = RwSignal::new(GrantMatrix::default());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);
    let others = LocalResource::new(api::roles);
    if let Some((r, _)) = original.get_untracked() {
        key.set(r.key.clone());
        name.set(r.name.clone());
        description.set(r.description.clone());
        matrix.set(GrantMatrix::from_grants(&r.grants));
    }
    Effect::new(move |_| {
        let n = name.get();
        if !editing && !key_touched.get_untracked() {
            key.set(grants::key_from_name(&n));
        }
    });
    let mine = move || {
        c.me.with(|m| m.as_ref().map(|m| m.grants.clone()).unwrap_or_default())
    };
    let can_write = move || {
        !builtin
            && if editing {
                c.can(Resource::Roles, Action::Update)
            } else {
                c.can(Resource::Roles, Action::Create)
            }
    };

    let submit = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if busy.get_untracked() {
                return;
            }
            let grants = matrix.with_untracked(GrantMatrix::to_grants);
            busy.set(true);
            error.set(None);
            let navigate = navigate.clone();
            let before = original.get_untracked();
            let name_v = name.get_untracked().trim().to_owned();
            let description_v = description.get_untracked().trim().to_owned();
            spawn_local(async move {
                match before {
                    Some((before, etag)) => {
                        let mut changes = serde_json::Map::new();
                        if name_v != before.name {
                            changes.insert("name".into(), json!(name_v));
                        }
                        if description_v != before.description {
                            changes.insert("description".into(), json!(description_v));
                        }
                        if GrantMatrix::from_grants(&before.grants).to_grants() != grants {
                            changes.insert("grants".into(), json!(grants));
                        }
                        let outcome = if changes.is_empty() {
                            Ok((before.clone(), etag))
                        } else {
                            api::update_role(before.id, &changes, &etag).await
                        };
                        match outcome {
                            Ok(saved) => {
                                c.toast(
                                    c.ta("role_editor.saved", &[("name", &saved.0.name)]),
                                    false,
                                );
                                matrix.set(GrantMatrix::from_grants(&saved.0.grants));
                                original.set(Some(saved));
                            }
                            Err(e) => error.set(Some(e)),
                        }
                    }
                    None => {
                        let input = RoleIn {
                            key: key.get_untracked().trim().to_owned(),
                            name: name_v,
                            description: description_v,
                            grants,
                        };
                        match api::create_role(&input).await {
                            Ok(r) => {
                                c.toast(c.ta("role_editor.created", &[("name", &r.name)]), false);
                                navigate(
                                    &format!("/admin/roles/{}", r.id),
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
        let Some((r, _)) = original.get_untracked() else {
            return;
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::delete_role(r.id).await {
                Ok(()) => {
                    c.toast(c.ta("role_editor.deleted", &[("name", &r.name)]), false);
                    navigate("/admin?section=roles", NavigateOptions::default());
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    });
    // Start from another role's grants (those the editor may give).
    let copy_from = move |ev: leptos::ev::Event| {
        let Ok(id) = event_target_value(&ev).parse::<Uuid>() else {
            return;
        };
        let Some(source) = others
            .get_untracked()
            .and_then(|r| r.ok())
            .and_then(|list| list.into_iter().find(|r| r.id == id))
        else {
            return;
        };
        let held = mine();
        let mut m = GrantMatrix::default();
        for g in source.grants {
            let offered = grants::offered_scopes(&held, g.resource, g.action);
            let scope = offered.iter().copied().filter(|s| *s <= g.scope).max();
            m.set(g.resource, g.action, scope);
        }
        matrix.set(m);
    };

    let cell = move |resource: Resource, action: Action| {
        let id = format!("grant-{}-{}", resource.code(), action.code());
        let label = move || {
            let lang = c.lang.get();
            format!(
                "{} — {}",
                i18n::t(lang, &resource_label(resource)),
                i18n::t(lang, &action_label(action))
            )
        };
        let options = move || {
            let current = matrix.with(|m| m.get(resource, action));
            let mut offered = grants::offered_scopes(&mine(), resource, action);
            if let Some(s) = current
                && !offered.contains(&s)
            {
                offered.push(s);
                offered.sort();
            }
            offered
                .into_iter()
                .map(|s| {
                    view! {
                        <option value=s.code() selected=move || matrix.with(|m| m.get(resource, action)) == Some(s)>
                            {tr(match s {
                                Scope::Own => "role_editor.scope.own",
                                Scope::Team => "role_editor.scope.team",
                                Scope::All => "role_editor.scope.all",
                            })}
                        </option>
                    }
                })
                .collect_view()
        };
        view! {
            <td class="grant">
                <select
                    id=id
                    class="compact"
                    disabled=move || !can_write()
                    aria-label=label
                    prop:value=move || {
                        matrix.with(|m| m.get(resource, action)).map(|s| s.code()).unwrap_or("")
                    }
                    on:change=move |ev| {
                        let scope = Scope::from_code(&event_target_value(&ev));
                        matrix.update(|m| m.set(resource, action, scope));
                    }
                >
                    <option value="" selected=move || matrix.with(|m| m.get(resource, action)).is_none()>
                        "—"
                    </option>
                    {options}
                </select>
            </td>
        }
    };
    let heading = move || {
        original.with(|o| match o {
            Some((r, _)) => r.name.clone(),
            None => c.t("role_editor.new_title"),
        })
    };
    view! {
        <div class="page-head">
            <div>
                <p class="crumbs"><a href="/admin?section=roles">{tr("admin.roles")}</a></p>
                <h1 id="role-title">{heading}</h1>
                {builtin.then(|| view! { <p class="muted" id="role-builtin">{tr("role_editor.builtin_note")}</p> })}
            </div>
            <Show when=move || editing && !builtin && c.can(Resource::Roles, Action::Delete)>
                <div class="head-actions">
                    <button
                        type="button"
                        class="btn danger"
                        id="role-delete"
                        on:click=move |_| confirm_delete.set(true)
                    >
                        {tr("common.delete")}
                    </button>
                </div>
            </Show>
        </div>
        <ConfirmDialog
            open=confirm_delete
            title="role_editor.delete_title"
            text=Signal::derive(move || c.t("role_editor.delete_text"))
            confirm="common.delete"
            on_confirm=delete
        />
        <form class="card" id="role-form" on:submit=submit novalidate>
            <fieldset class="plain" disabled=move || !can_write()>
                <legend class="sr-only">{heading}</legend>
                <div class="form-grid">
                    <ErrorAlert error=error/>
                    <TextField id="role-name" field="name" label="org.field.name" value=name error=error required=true/>
                    {(!editing)
                        .then(|| {
                            view! {
                                <div class="field">
                                    <label for="role-key">{tr("role_editor.key")}</label>
                                    <input
                                        id="role-key"
                                        type="text"
                                        prop:value=move || key.get()
                                        on:input=move |ev| {
                                            key_touched.set(true);
                                            key.set(event_target_value(&ev));
                                        }
                                        aria-invalid=crate::components::invalid(error, "key")
                                        aria-describedby="role-key-help role-key-error"
                                    />
                                    <p class="help" id="role-key-help">{tr("role_editor.key_help")}</p>
                                    <p class="field-error" id="role-key-error">
                                        {move || error.with(|e| e.as_ref().and_then(|e| e.field_message(c.lang.get(), "key")))}
                                    </p>
                                </div>
                            }
                        })}
                    <TextField id="role-description" field="description" label="admin.description" value=description error=error wide=true/>
                    {(!editing)
                        .then(|| {
                            view! {
                                <div class="field">
                                    <label for="role-copy">{tr("role_editor.copy_from")}</label>
                                    <select id="role-copy" on:change=copy_from>
                                        <option value="">{tr("common.none")}</option>
                                        {move || {
                                            others
                                                .get()
                                                .and_then(|r| r.ok())
                                                .unwrap_or_default()
                                                .into_iter()
                                                .map(|r| view! { <option value=r.id.to_string()>{r.name}</option> })
                                                .collect_view()
                                        }}
                                    </select>
                                </div>
                            }
                        })}
                </div>
            </fieldset>
            // The grid stays outside the fieldset: a read-only grid must remain scrollable
            // from the keyboard, so its wrapper keeps its focus and each select is disabled.
            <h2 id="grants-title">{tr("admin.grants")}</h2>
            <p class="help" id="grants-help">
                {move || c.ta("role_editor.grants_help", &[("n", &matrix.with(GrantMatrix::len).to_string())])}
            </p>
            <p class="field-error" id="grants-error" role="alert">
                {move || error.with(|e| e.as_ref().and_then(|e| e.field_message(c.lang.get(), "grants")))}
            </p>
            // Focusable, so that the keyboard can scroll the grid when it is wider than
            // the screen (its selects are disabled for a read-only role).
            <div class="table-wrap" tabindex="0" role="region" aria-labelledby="grants-title">
                <table class="data grants" id="grants-table" aria-describedby="grants-help">
                    <caption class="sr-only">{tr("admin.grants")}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{tr("role_editor.resource")}</th>
                            {Action::ALL
                                .iter()
                                .map(|a| view! { <th scope="col">{tr_owned(action_label(*a))}</th> })
                                .collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {Resource::ALL
                            .iter()
                            .map(|r| {
                                let r = *r;
                                view! {
                                    <tr>
                                        <th scope="row">{tr_owned(resource_label(r))}</th>
                                        {Action::ALL.iter().map(|a| cell(r, *a)).collect_view()}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            <Show when=can_write>
                <div class="form-actions">
                    <a class="btn" href="/admin?section=roles">{tr("common.cancel")}</a>
                    <button type="submit" class="btn primary" id="role-submit" disabled=busy>
                        {if editing { tr("common.save") } else { tr("common.create") }}
                    </button>
                </div>
            </Show>
        </form>
    }
}

/// A reactive translation of a key built at run time.
fn tr_owned(key: String) -> impl Fn() -> String + Send + Sync + 'static {
    let lang = ctx().lang;
    move || i18n::t(lang.get(), &key)
}
