//! Administration dialogs: change a user's name, role and team; set a temporary password for
//! a user; rename or delete a team. Each reads the record with its ETag when it opens, so a
//! change made meanwhile by someone else is refused rather than overwritten.

use crate::api;
use crate::app::{ctx, tr};
use crate::components::{ConfirmDialog, ErrorAlert};
use crate::edit;
use crate::problem::ApiError;
use crate::widgets::{Modal, TextField};
use leptos::prelude::*;
use leptos::task::spawn_local;
use relais_domain::access::{Action, Resource};
use relais_types::{RoleOut, TeamOut, UserOut};
use serde_json::json;
use uuid::Uuid;

type Roles = LocalResource<Result<Vec<RoleOut>, ApiError>>;
type Teams = LocalResource<Result<Vec<TeamOut>, ApiError>>;

/// Edits the user in `target` (set it and open the dialog).
#[component]
pub fn UserEditDialog(
    open: RwSignal<bool>,
    target: RwSignal<Option<UserOut>>,
    roles: Roles,
    teams: Teams,
    on_saved: Callback<()>,
) -> impl IntoView {
    let c = ctx();
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let team = RwSignal::new(String::new());
    let loaded = RwSignal::new(None::<(UserOut, String)>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    // Each opening reads the user afresh, with its ETag.
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        let Some(u) = target.get_untracked() else {
            return;
        };
        error.set(None);
        loaded.set(None);
        name.set(u.full_name.clone());
        role.set(u.role_id.to_string());
        team.set(u.team_id.map(|t| t.to_string()).unwrap_or_default());
        spawn_local(async move {
            match api::user_for_edit(u.id).await {
                Ok((fresh, etag)) => {
                    name.set(fresh.full_name.clone());
                    role.set(fresh.role_id.to_string());
                    team.set(fresh.team_id.map(|t| t.to_string()).unwrap_or_default());
                    loaded.set(Some((fresh, etag)));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((before, etag)) = loaded.get_untracked() else {
            return;
        };
        let Ok(role_id) = role.get_untracked().parse::<Uuid>() else {
            return;
        };
        let changes = edit::user_patch(
            &before,
            name.get_untracked().trim(),
            role_id,
            team.get_untracked().parse().ok(),
        );
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let outcome = if changes.is_empty() {
                Ok(())
            } else {
                api::patch_user(before.id, &changes, &etag).await.map(drop)
            };
            match outcome {
                Ok(()) => {
                    c.toast(c.ta("user_edit.saved", &[("email", &before.email)]), false);
                    open.set(false);
                    on_saved.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let options = |list: Vec<(Uuid, String)>, value: RwSignal<String>| {
        list.into_iter()
            .map(|(id, label)| {
                let v = id.to_string();
                let sel = v.clone();
                view! { <option value=v selected=move || value.get() == sel>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <Modal open=open id="user-edit-dialog" title="user_edit.title">
            <form class="dialog-form" id="user-edit-form" on:submit=submit novalidate>
                <p class="muted">{move || target.with(|t| t.as_ref().map(|u| u.email.clone()))}</p>
                <ErrorAlert error=error/>
                <TextField id="user-edit-name" field="full_name" label="settings.full_name" value=name error=error/>
                <div class="field">
                    <label for="user-edit-role">{tr("admin.role")}</label>
                    <select
                        id="user-edit-role"
                        prop:value=move || role.get()
                        on:change=move |ev| role.set(event_target_value(&ev))
                        aria-describedby="user-edit-role-error"
                    >
                        {move || {
                            let list = roles
                                .get()
                                .and_then(|r| r.ok())
                                .unwrap_or_default()
                                .into_iter()
                                .map(|r| (r.id, r.name))
                                .collect();
                            options(list, role)
                        }}
                    </select>
                    <p class="field-error" id="user-edit-role-error">
                        {move || error.with(|e| e.as_ref().and_then(|e| e.field_message(c.lang.get(), "role_id")))}
                    </p>
                </div>
                <div class="field">
                    <label for="user-edit-team">{tr("admin.team")}</label>
                    <select
                        id="user-edit-team"
                        prop:value=move || team.get()
                        on:change=move |ev| team.set(event_target_value(&ev))
                    >
                        <option value="" selected=move || team.get().is_empty()>{tr("common.none")}</option>
                        {move || {
                            let list = teams
                                .get()
                                .and_then(|r| r.ok())
                                .unwrap_or_default()
                                .into_iter()
                                .map(|t| (t.id, t.name))
                                .collect();
                            options(list, team)
                        }}
                    </select>
                </div>
                <div class="dialog-actions">
                    <button type="button" class="btn" id="user-edit-cancel" on:click=move |_| open.set(false)>
                        {tr("common.cancel")}
                    </button>
                    <button
                        type="submit"
                        class="btn primary"
                        id="user-edit-submit"
                        disabled=move || busy.get() || loaded.with(Option::is_none)
                    >
                        {tr("common.save")}
                    </button>
                </div>
            </form>
        </Modal>
    }
}

/// Sets a temporary password for the user in `target`.
#[component]
pub fn PasswordResetDialog(
    open: RwSignal<bool>,
    target: RwSignal<Option<UserOut>>,
) -> impl IntoView {
    let c = ctx();
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        if open.get() {
            password.set(String::new());
            error.set(None);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(u) = target.get_untracked() else {
            return;
        };
        let new_password = password.get_untracked();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::reset_user_password(u.id, &new_password).await {
                Ok(()) => {
                    c.toast(c.ta("user_password.done", &[("email", &u.email)]), false);
                    open.set(false);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <Modal open=open id="password-dialog" title="user_password.title">
            <form class="dialog-form" id="password-reset-form" on:submit=submit novalidate>
                <p class="muted">{move || target.with(|t| t.as_ref().map(|u| u.email.clone()))}</p>
                <p>{tr("user_password.intro")}</p>
                <ErrorAlert error=error/>
                <TextField
                    id="user-new-password"
                    field="new_password"
                    label="admin.temporary_password"
                    value=password
                    error=error
                    help="admin.temporary_password_help"
                />
                <div class="dialog-actions">
                    <button type="button" class="btn" id="password-cancel" on:click=move |_| open.set(false)>
                        {tr("common.cancel")}
                    </button>
                    <button type="submit" class="btn primary" id="password-submit" disabled=busy>
                        {tr("user_password.submit")}
                    </button>
                </div>
            </form>
        </Modal>
    }
}

/// The edit and delete buttons of one team's row, with their dialogs.
#[component]
pub fn TeamActions(team: TeamOut, on_changed: Callback<()>) -> impl IntoView {
    let c = ctx();
    let open = RwSignal::new(false);
    let confirm = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let loaded = RwSignal::new(None::<(TeamOut, String)>);
    let error = RwSignal::new(None::<ApiError>);
    let id = team.id;
    let team_name = team.name.clone();
    let open_editor = move |_| {
        error.set(None);
        loaded.set(None);
        open.set(true);
        spawn_local(async move {
            match api::team_for_edit(id).await {
                Ok((t, etag)) => {
                    name.set(t.name.clone());
                    description.set(t.description.clone());
                    loaded.set(Some((t, etag)));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((before, etag)) = loaded.get_untracked() else {
            return;
        };
        let mut changes = serde_json::Map::new();
        let n = name.get_untracked().trim().to_owned();
        let d = description.get_untracked().trim().to_owned();
        if n != before.name {
            changes.insert("name".into(), json!(n));
        }
        if d != before.description {
            changes.insert("description".into(), json!(d));
        }
        error.set(None);
        spawn_local(async move {
            let outcome = if changes.is_empty() {
                Ok(before.name.clone())
            } else {
                api::update_team(id, &changes, &etag)
                    .await
                    .map(|(t, _)| t.name)
            };
            match outcome {
                Ok(saved) => {
                    c.toast(c.ta("team_edit.saved", &[("name", &saved)]), false);
                    open.set(false);
                    on_changed.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let delete = {
        let team_name = team_name.clone();
        Callback::new(move |()| {
            let team_name = team_name.clone();
            spawn_local(async move {
                match api::delete_team(id).await {
                    Ok(()) => {
                        c.toast(c.ta("team_edit.deleted", &[("name", &team_name)]), false);
                        on_changed.run(());
                    }
                    Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
                }
            });
        })
    };
    let edit_label = c.ta("team_edit.edit_one", &[("name", &team_name)]);
    let delete_label = c.ta("team_edit.delete_one", &[("name", &team_name)]);
    let confirm_text = c.ta("team_edit.delete_text", &[("name", &team_name)]);
    view! {
        <Show when=move || c.can(Resource::Teams, Action::Update)>
            <button type="button" class="btn small" aria-label=edit_label.clone() on:click=open_editor>
                {tr("org.edit")}
            </button>
        </Show>
        " "
        <Show when=move || c.can(Resource::Teams, Action::Delete)>
            <button
                type="button"
                class="btn small"
                aria-label=delete_label.clone()
                on:click=move |_| confirm.set(true)
            >
                {tr("common.delete")}
            </button>
        </Show>
        <ConfirmDialog
            open=confirm
            title="team_edit.delete_title"
            text=Signal::derive(move || confirm_text.clone())
            confirm="common.delete"
            on_confirm=delete
        />
        <Modal open=open id="team-edit-dialog" title="team_edit.title">
            <form class="dialog-form" id="team-edit-form" on:submit=submit novalidate>
                <ErrorAlert error=error/>
                <TextField id="team-edit-name" field="name" label="org.field.name" value=name error=error/>
                <TextField id="team-edit-description" field="description" label="admin.description" value=description error=error/>
                <div class="dialog-actions">
                    <button type="button" class="btn" on:click=move |_| open.set(false)>
                        {tr("common.cancel")}
                    </button>
                    <button
                        type="submit"
                        class="btn primary"
                        id="team-edit-submit"
                        disabled=move || loaded.with(Option::is_none)
                    >
                        {tr("common.save")}
                    </button>
                </div>
            </form>
        </Modal>
    }
}
