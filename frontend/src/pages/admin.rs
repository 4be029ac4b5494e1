//! Administration of the firm: users (create, edit, disable, reset the password), teams, roles
//! (the editor is in `roles.rs`) and API keys. Shown to those
//! whose grants allow it; the server still decides every call.

use crate::api;
use crate::app::{ctx, tr};
use crate::components::{ConfirmDialog, ErrorAlert, FieldError, invalid};
use crate::format;
use crate::pages::admin_edit::{PasswordResetDialog, TeamActions, UserEditDialog};
use crate::pages::roles::RolesSection;
use crate::problem::ApiError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use relais_domain::access::{Action, Resource};
use relais_types::{ApiKeyIn, ApiKeyOut, RoleOut, TeamIn, TeamOut, UserIn, UserOut};
use uuid::Uuid;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Users,
    Teams,
    Roles,
    ApiKeys,
}

impl Section {
    const ALL: [Section; 4] = [
        Section::Users,
        Section::Teams,
        Section::Roles,
        Section::ApiKeys,
    ];

    fn id(self) -> &'static str {
        match self {
            Section::Users => "users",
            Section::Teams => "teams",
            Section::Roles => "roles",
            Section::ApiKeys => "api-keys",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Section::Users => "admin.users",
            Section::Teams => "admin.teams",
            Section::Roles => "admin.roles",
            Section::ApiKeys => "admin.api_keys",
        }
    }

    fn resource(self) -> Resource {
        match self {
            Section::Users => Resource::Users,
            Section::Teams => Resource::Teams,
            Section::Roles => Resource::Roles,
            Section::ApiKeys => Resource::ApiKeys,
        }
    }
}

/// Whether the administration entry belongs in the menu.
pub fn visible() -> bool {
    let c = ctx();
    Section::ALL
        .iter()
        .any(|s| c.can(s.resource(), Action::Read))
}

fn text(s: RwSignal<String>) -> String {
    s.get_untracked().trim().to_owned()
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let c = ctx();
    // `?section=roles` opens a section directly (the role editor links back to it).
    let asked = leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("section"))
        .and_then(|id| Section::ALL.into_iter().find(|s| s.id() == id));
    let first = asked
        .into_iter()
        .chain(Section::ALL)
        .find(|s| c.can(s.resource(), Action::Read))
        .unwrap_or(Section::Users);
    let section = RwSignal::new(first);
    // Role and team names are needed by several sections.
    let roles = LocalResource::new(api::roles);
    let teams = LocalResource::new(api::teams);
    view! {
        <div class="page-head">
            <h1>{tr("admin.title")}</h1>
        </div>
        <div class="segmented" role="group" aria-label=tr("admin.sections")>
            {Section::ALL
                .iter()
                .filter(|s| c.can(s.resource(), Action::Read))
                .map(|s| {
                    let s = *s;
                    view! {
                        <button
                            type="button"
                            class="btn"
                            id=format!("admin-{}", s.id())
                            aria-pressed=move || (section.get() == s).to_string()
                            on:click=move |_| section.set(s)
                        >
                            {tr(s.label())}
                        </button>
                    }
                })
                .collect_view()}
        </div>
        {move || match section.get() {
            Section::Users => view! { <Users roles=roles teams=teams/> }.into_any(),
            Section::Teams => view! { <Teams teams=teams/> }.into_any(),
            Section::Roles => view! { <RolesSection roles=roles/> }.into_any(),
            Section::ApiKeys => view! { <ApiKeys roles=roles/> }.into_any(),
        }}
    }
}

fn role_name(roles: &LocalResource<Result<Vec<RoleOut>, ApiError>>, id: Uuid) -> String {
    roles
        .get()
        .and_then(|r| r.ok())
        .and_then(|r| r.into_iter().find(|x| x.id == id).map(|x| x.name))
        .unwrap_or_default()
}

fn role_options(roles: LocalResource<Result<Vec<RoleOut>, ApiError>>) -> impl IntoView {
    move || {
        roles
            .get()
            .and_then(|r| r.ok())
            .unwrap_or_default()
            .into_iter()
            .map(|r| view! { <option value=r.id.to_string()>{r.name}</option> })
            .collect_view()
    }
}

#[component]
fn Users(
    roles: LocalResource<Result<Vec<RoleOut>, ApiError>>,
    teams: LocalResource<Result<Vec<TeamOut>, ApiError>>,
) -> impl IntoView {
    let c = ctx();
    let users = LocalResource::new(api::users);
    let can_create = move || c.can(Resource::Users, Action::Create);
    let can_update = move || c.can(Resource::Users, Action::Update);
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let team = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let confirm = RwSignal::new(false);
    let target = RwSignal::new(None::<UserOut>);
    let editing = RwSignal::new(false);
    let resetting = RwSignal::new(false);
    let refetch_users = Callback::new(move |()| users.refetch());

    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let role_id = role.get_untracked().parse::<Uuid>().ok().or_else(|| {
            roles
                .get_untracked()
                .and_then(|r| r.ok())
                .and_then(|r| r.into_iter().find(|x| x.key == "user").map(|x| x.id))
        });
        let Some(role_id) = role_id else { return };
        let input = UserIn {
            email: text(email),
            full_name: text(name),
            password: password.get_untracked(),
            role_id,
            team_id: team.get_untracked().parse().ok(),
            locale: None,
        };
        spawn_local(async move {
            match api::create_user(&input).await {
                Ok(u) => {
                    c.toast(c.ta("admin.user_created", &[("email", &u.email)]), false);
                    for s in [email, name, password] {
                        s.set(String::new());
                    }
                    users.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let set_active = move |u: UserOut, active: bool| {
        spawn_local(async move {
            let patch = serde_json::json!({ "active": active });
            match api::update_user(u.id, &patch).await {
                Ok(_) => {
                    let key = if active {
                        "admin.user_enabled"
                    } else {
                        "admin.user_disabled"
                    };
                    c.toast(c.ta(key, &[("email", &u.email)]), false);
                    users.refetch();
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    };
    let disable = Callback::new(move |()| {
        if let Some(u) = target.get_untracked() {
            set_active(u, false);
        }
    });

    let row = move |u: UserOut| {
        let lang = c.lang.get();
        let team_name = u.team_id.and_then(|t| {
            teams
                .get()
                .and_then(|r| r.ok())
                .and_then(|ts| ts.into_iter().find(|x| x.id == t).map(|x| x.name))
        });
        let status = if !u.active {
            "admin.status.disabled"
        } else if u.locked_until.is_some() {
            "admin.status.locked"
        } else if u.must_change_password {
            "admin.status.pending"
        } else {
            "admin.status.active"
        };
        let is_me = c.me.with(|m| m.as_ref().is_some_and(|m| m.id == u.id));
        let action_label = c.ta(
            if u.active {
                "admin.disable_one"
            } else {
                "admin.enable_one"
            },
            &[("email", &u.email)],
        );
        let user = u.clone();
        let for_edit = u.clone();
        let for_reset = u.clone();
        let edit_label = c.ta("user_edit.edit_one", &[("email", &u.email)]);
        let reset_label = c.ta("user_password.reset_one", &[("email", &u.email)]);
        view! {
            <tr>
                <td>
                    <span class="task-title">{u.full_name.clone()}</span>
                    <p class="muted small">{u.email.clone()}</p>
                </td>
                <td>{role_name(&roles, u.role_id)}</td>
                <td>{team_name.unwrap_or_default()}</td>
                <td><span class="badge">{tr(status)}</span></td>
                <td class="nowrap">
                    {u.last_login_at.map(|d| format::date(lang, d, c.tz_offset)).unwrap_or_default()}
                </td>
                <td>
                    {(can_update() && !is_me)
                        .then(|| {
                            let active = u.active;
                            view! {
                                <button
                                    type="button"
                                    class="btn small"
                                    aria-label=action_label
                                    on:click=move |_| {
                                        if active {
                                            target.set(Some(user.clone()));
                                            confirm.set(true);
                                        } else {
                                            set_active(user.clone(), true);
                                        }
                                    }
                                >
                                    {if active { tr("admin.disable") } else { tr("admin.enable") }}
                                </button>
                                " "
                                <button
                                    type="button"
                                    class="btn small"
                                    aria-label=edit_label.clone()
                                    on:click=move |_| {
                                        target.set(Some(for_edit.clone()));
                                        editing.set(true);
                                    }
                                >
                                    {tr("org.edit")}
                                </button>
                                " "
                                <button
                                    type="button"
                                    class="btn small"
                                    aria-label=reset_label.clone()
                                    on:click=move |_| {
                                        target.set(Some(for_reset.clone()));
                                        resetting.set(true);
                                    }
                                >
                                    {tr("user_password.reset")}
                                </button>
                            }
                        })}
                </td>
            </tr>
        }
    };

    view! {
        <Show when=can_create>
            <form class="card form-grid inline-form" id="user-form" on:submit=create novalidate>
                <h2 class="span-2">{tr("admin.new_user")}</h2>
                <ErrorAlert error=error/>
                <div class="field">
                    <label for="user-email">{tr("login.email")}</label>
                    <input id="user-email" type="email" bind:value=email aria-invalid=invalid(error, "email") aria-describedby="user-email-error"/>
                    <FieldError id="user-email-error" field="email" error=error/>
                </div>
                <div class="field">
                    <label for="user-name">{tr("settings.full_name")}</label>
                    <input id="user-name" type="text" bind:value=name aria-invalid=invalid(error, "full_name") aria-describedby="user-name-error"/>
                    <FieldError id="user-name-error" field="full_name" error=error/>
                </div>
                <div class="field">
                    <label for="user-password">{tr("admin.temporary_password")}</label>
                    <input
                        id="user-password"
                        type="text"
                        autocomplete="off"
                        bind:value=password
                        aria-invalid=invalid(error, "password")
                        aria-describedby="user-password-help user-password-error"
                    />
                    <p class="help" id="user-password-help">{tr("admin.temporary_password_help")}</p>
                    <FieldError id="user-password-error" field="password" error=error/>
                </div>
                <div class="field">
                    <label for="user-role">{tr("admin.role")}</label>
                    <select id="user-role" on:change=move |ev| role.set(event_target_value(&ev))>
                        <option value="">{tr("admin.default_role")}</option>
                        {role_options(roles)}
                    </select>
                </div>
                <div class="field">
                    <label for="user-team">{tr("admin.team")}</label>
                    <select id="user-team" on:change=move |ev| team.set(event_target_value(&ev))>
                        <option value="">{tr("common.none")}</option>
                        {move || {
                            teams
                                .get()
                                .and_then(|r| r.ok())
                                .unwrap_or_default()
                                .into_iter()
                                .map(|t| view! { <option value=t.id.to_string()>{t.name}</option> })
                                .collect_view()
                        }}
                    </select>
                </div>
                <div class="form-actions span-2">
                    <button type="submit" class="btn primary" id="user-submit">{tr("common.create")}</button>
                </div>
            </form>
        </Show>
        <ConfirmDialog
            open=confirm
            title="admin.disable_title"
            text=Signal::derive(move || {
                let email = target.with(|t| t.as_ref().map(|u| u.email.clone()).unwrap_or_default());
                c.ta("admin.disable_text", &[("email", &email)])
            })
            confirm="admin.disable"
            on_confirm=disable
        />
        <UserEditDialog open=editing target=target roles=roles teams=teams on_saved=refetch_users/>
        <PasswordResetDialog open=resetting target=target/>
        <Transition fallback=move || view! { <p class="loading">{tr("common.loading")}</p> }>
            {move || {
                users
                    .get()
                    .map(|r| match r {
                        Ok(p) => {
                            view! {
                                <div class="table-wrap">
                                    <table class="data" id="users-table">
                                        <thead>
                                            <tr>
                                                <th scope="col">{tr("person.name")}</th>
                                                <th scope="col">{tr("admin.role")}</th>
                                                <th scope="col">{tr("admin.team")}</th>
                                                <th scope="col">{tr("admin.status")}</th>
                                                <th scope="col">{tr("admin.last_login")}</th>
                                                <th scope="col"><span class="sr-only">{tr("tasks.actions")}</span></th>
                                            </tr>
                                        </thead>
                                        <tbody>{p.items.into_iter().map(row).collect_view()}</tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <div class="alert error" role="alert">{move || e.message(c.lang.get())}</div> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn Teams(teams: LocalResource<Result<Vec<TeamOut>, ApiError>>) -> impl IntoView {
    let c = ctx();
    let refetch_teams = Callback::new(move |()| teams.refetch());
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let input = TeamIn {
            name: text(name),
            description: text(description),
        };
        spawn_local(async move {
            match api::create_team(&input).await {
                Ok(t) => {
                    c.toast(c.ta("admin.team_created", &[("name", &t.name)]), false);
                    name.set(String::new());
                    description.set(String::new());
                    teams.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <Show when=move || c.can(Resource::Teams, Action::Create)>
            <form class="card form-grid inline-form" id="team-form" on:submit=create novalidate>
                <h2 class="span-2">{tr("admin.new_team")}</h2>
                <ErrorAlert error=error/>
                <div class="field">
                    <label for="team-name">{tr("org.field.name")}</label>
                    <input id="team-name" type="text" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="team-name-error"/>
                    <FieldError id="team-name-error" field="name" error=error/>
                </div>
                <div class="field">
                    <label for="team-description">{tr("admin.description")}</label>
                    <input id="team-description" type="text" bind:value=description/>
                </div>
                <div class="form-actions span-2">
                    <button type="submit" class="btn primary" id="team-submit">{tr("common.create")}</button>
                </div>
            </form>
        </Show>
        <Transition fallback=move || view! { <p class="loading">{tr("common.loading")}</p> }>
            {move || {
                teams
                    .get()
                    .map(|r| match r {
                        Ok(list) if list.is_empty() => view! { <p class="empty">{tr("admin.no_teams")}</p> }.into_any(),
                        Ok(list) => {
                            view! {
                                <div class="table-wrap">
                                    <table class="data" id="teams-table">
                                        <thead>
                                            <tr>
                                                <th scope="col">{tr("org.field.name")}</th>
                                                <th scope="col">{tr("admin.description")}</th>
                                                <th scope="col" class="num">{tr("admin.members")}</th>
                                                <th scope="col"><span class="sr-only">{tr("tasks.actions")}</span></th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list
                                                .into_iter()
                                                .map(|t| view! {
                                                    <tr>
                                                        <td class="task-title">{t.name.clone()}</td>
                                                        <td>{t.description.clone()}</td>
                                                        <td class="num">{t.member_count}</td>
                                                        <td class="nowrap">
                                                            <TeamActions team=t.clone() on_changed=refetch_teams/>
                                                        </td>
                                                    </tr>
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <div class="alert error" role="alert">{move || e.message(c.lang.get())}</div> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn ApiKeys(roles: LocalResource<Result<Vec<RoleOut>, ApiError>>) -> impl IntoView {
    let c = ctx();
    let keys = LocalResource::new(api::api_keys);
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let secret = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(false);
    let target = RwSignal::new(None::<ApiKeyOut>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let role_id = role.get_untracked().parse::<Uuid>().ok().or_else(|| {
            roles
                .get_untracked()
                .and_then(|r| r.ok())
                .and_then(|r| r.into_iter().find(|x| x.key == "viewer").map(|x| x.id))
        });
        let Some(role_id) = role_id else { return };
        let input = ApiKeyIn {
            name: text(name),
            role_id,
            expires_at: None,
        };
        spawn_local(async move {
            match api::create_api_key(&input).await {
                Ok(k) => {
                    secret.set(Some(k.key));
                    name.set(String::new());
                    keys.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let revoke = Callback::new(move |()| {
        let Some(k) = target.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match api::revoke_api_key(k.id).await {
                Ok(()) => {
                    c.toast(c.ta("admin.key_revoked", &[("name", &k.name)]), false);
                    keys.refetch();
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    });
    let row = move |k: ApiKeyOut| {
        let lang = c.lang.get();
        let revoked = k.revoked_at.is_some();
        let label = c.ta("admin.revoke_one", &[("name", &k.name)]);
        let key = k.clone();
        view! {
            <tr>
                <td class="task-title">{k.name.clone()}</td>
                <td><code>{format!("{}…", k.prefix)}</code></td>
                <td>{role_name(&roles, k.role_id)}</td>
                <td class="nowrap">{format::date(lang, k.created_at, c.tz_offset)}</td>
                <td class="nowrap">{k.last_used_at.map(|d| format::date(lang, d, c.tz_offset)).unwrap_or_default()}</td>
                <td>
                    {if revoked {
                        view! { <span class="badge">{tr("admin.revoked")}</span> }.into_any()
                    } else if c.can(Resource::ApiKeys, Action::Delete) {
                        view! {
                            <button
                                type="button"
                                class="btn small"
                                aria-label=label
                                on:click=move |_| {
                                    target.set(Some(key.clone()));
                                    confirm.set(true);
                                }
                            >
                                {tr("admin.revoke")}
                            </button>
                        }
                            .into_any()
                    } else {
                        ().into_any()
                    }}
                </td>
            </tr>
        }
    };
    view! {
        <Show when=move || c.can(Resource::ApiKeys, Action::Create)>
            <form class="card form-grid inline-form" id="key-form" on:submit=create novalidate>
                <h2 class="span-2">{tr("admin.new_key")}</h2>
                <ErrorAlert error=error/>
                <div class="field">
                    <label for="key-name">{tr("org.field.name")}</label>
                    <input id="key-name" type="text" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="key-name-error"/>
                    <FieldError id="key-name-error" field="name" error=error/>
                </div>
                <div class="field">
                    <label for="key-role">{tr("admin.role")}</label>
                    <select id="key-role" on:change=move |ev| role.set(event_target_value(&ev))>
                        <option value="">{tr("admin.default_key_role")}</option>
                        {role_options(roles)}
                    </select>
                </div>
                <div class="form-actions span-2">
                    <button type="submit" class="btn primary" id="key-submit">{tr("common.create")}</button>
                </div>
            </form>
        </Show>
        <Show when=move || secret.with(Option::is_some)>
            <div class="alert success" role="status" id="key-secret">
                <p>{tr("admin.key_once")}</p>
                <p><code class="secret">{move || secret.get().unwrap_or_default()}</code></p>
                <button type="button" class="btn" on:click=move |_| secret.set(None)>{tr("common.close")}</button>
            </div>
        </Show>
        <ConfirmDialog
            open=confirm
            title="admin.revoke_title"
            text=Signal::derive(move || {
                let name = target.with(|t| t.as_ref().map(|k| k.name.clone()).unwrap_or_default());
                c.ta("admin.revoke_text", &[("name", &name)])
            })
            confirm="admin.revoke"
            on_confirm=revoke
        />
        <Transition fallback=move || view! { <p class="loading">{tr("common.loading")}</p> }>
            {move || {
                keys.get()
                    .map(|r| match r {
                        Ok(list) if list.is_empty() => view! { <p class="empty">{tr("admin.no_keys")}</p> }.into_any(),
                        Ok(list) => {
                            view! {
                                <div class="table-wrap">
                                    <table class="data" id="keys-table">
                                        <thead>
                                            <tr>
                                                <th scope="col">{tr("org.field.name")}</th>
                                                <th scope="col">{tr("admin.prefix")}</th>
                                                <th scope="col">{tr("admin.role")}</th>
                                                <th scope="col">{tr("org.field.created_at")}</th>
                                                <th scope="col">{tr("admin.last_used")}</th>
                                                <th scope="col"><span class="sr-only">{tr("tasks.actions")}</span></th>
                                            </tr>
                                        </thead>
                                        <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <div class="alert error" role="alert">{move || e.message(c.lang.get())}</div> }.into_any(),
                    })
            }}
        </Transition>
    }
}
