//! People: the creation and edit forms, and the organisations a person is linked to (link,
//! change the role or the primary organisation, unlink) on the person's page.

use crate::api;
use crate::app::{ctx, tr};
use crate::components::{ConfirmDialog, ErrorAlert};
use crate::edit;
use crate::problem::ApiError;
use crate::widgets::{PickKind, RecordPicker, TextArea, TextField, local_error, not_allowed, text};
use crate::widgets::{edit_page, load_failed, loading};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::{NavigateOptions, hooks::use_navigate};
use relais_domain::access::{Action, Resource};
use relais_types::{PersonIn, PersonOrganisationIn, PersonOrganisationOut, PersonOut};
use serde_json::json;
use uuid::Uuid;

#[component]
pub fn NewPersonPage() -> impl IntoView {
    let c = ctx();
    view! {
        <Show when=move || c.can(Resource::People, Action::Create) fallback=not_allowed>
            <PersonForm initial=None/>
        </Show>
    }
}

#[component]
pub fn EditPersonPage() -> impl IntoView {
    let c = ctx();
    view! {
        <Show when=move || c.can(Resource::People, Action::Update) fallback=not_allowed>
            {edit_page(api::person_for_edit, |loaded| view! { <PersonForm initial=Some(loaded)/> })}
        </Show>
    }
}

#[component]
fn PersonForm(initial: Option<(PersonOut, String)>) -> impl IntoView {
    let c = ctx();
    let navigate = use_navigate();
    let editing = initial.is_some();
    let original = StoredValue::new(initial);
    let first = RwSignal::new(String::new());
    let last = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let job = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let active = RwSignal::new(true);
    let organisation = RwSignal::new(None::<Uuid>);
    let role = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);
    if let Some((p, _)) = original.get_value() {
        first.set(p.first_name.clone().unwrap_or_default());
        last.set(p.last_name.clone());
        email.set(p.email.clone().unwrap_or_default());
        phone.set(p.phone.clone().unwrap_or_default());
        job.set(p.job_title.clone().unwrap_or_default());
        notes.set(p.notes.clone().unwrap_or_default());
        active.set(p.active);
    }
    let submit = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if busy.get_untracked() {
                return;
            }
            let links = match organisation.get_untracked() {
                Some(o) => vec![PersonOrganisationIn {
                    organisation_id: o,
                    role: text(role),
                    is_primary: true,
                }],
                None if text(role).is_some() => {
                    error.set(Some(local_error(
                        "organisations[0].organisation_id",
                        "required",
                    )));
                    return;
                }
                None => Vec::new(),
            };
            let input = PersonIn {
                first_name: text(first),
                last_name: last.get_untracked().trim().to_owned(),
                email: text(email),
                phone: text(phone),
                job_title: text(job),
                notes: text(notes),
                owner_id: None,
                active: Some(active.get_untracked()),
                tags: Vec::new(),
                organisations: links,
            };
            busy.set(true);
            error.set(None);
            let navigate = navigate.clone();
            let before = original.get_value();
            spawn_local(async move {
                let outcome = match before {
                    Some((before, etag)) => {
                        let changes = edit::person_patch(&before, &input);
                        if changes.is_empty() {
                            Ok(before)
                        } else {
                            api::update_person(before.id, &changes, &etag)
                                .await
                                .map(|(p, _)| p)
                        }
                    }
                    None => api::create_person(&input, &Uuid::new_v4().to_string()).await,
                };
                match outcome {
                    Ok(p) => {
                        let key = if editing {
                            "person_form.saved"
                        } else {
                            "person.created"
                        };
                        c.toast(c.ta(key, &[("name", &p.full_name)]), false);
                        navigate(&format!("/people/{}", p.id), NavigateOptions::default());
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        }
    };
    let delete = Callback::new(move |()| {
        let Some((p, _)) = original.get_value() else {
            return;
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::delete_person(p.id).await {
                Ok(()) => {
                    c.toast(
                        c.ta("person_form.deleted", &[("name", &p.full_name)]),
                        false,
                    );
                    navigate("/people", NavigateOptions::default());
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    });
    let (title, back) = match original.get_value() {
        Some((p, _)) => (p.full_name.clone(), format!("/people/{}", p.id)),
        None => (c.t("person.new_title"), "/people".to_owned()),
    };
    view! {
        <div class="page-head">
            <div>
                <p class="crumbs"><a href="/people">{tr("people.title")}</a></p>
                <h1 id="person-form-title">{title}</h1>
            </div>
            <Show when=move || editing && c.can(Resource::People, Action::Delete)>
                <div class="head-actions">
                    <button
                        type="button"
                        class="btn danger"
                        id="person-delete"
                        on:click=move |_| confirm_delete.set(true)
                    >
                        {tr("common.delete")}
                    </button>
                </div>
            </Show>
        </div>
        <ConfirmDialog
            open=confirm_delete
            title="person_form.delete_title"
            text=Signal::derive(move || c.t("person_form.delete_text"))
            confirm="common.delete"
            on_confirm=delete
        />
        <form class="card form-grid" id="person-form" on:submit=submit novalidate>
            <ErrorAlert error=error/>
            <TextField id="person-first" field="first_name" label="person.first_name" value=first error=error/>
            <TextField id="person-last" field="last_name" label="person.last_name" value=last error=error required=true/>
            <TextField id="person-email" field="email" label="org.field.email" value=email error=error kind="email"/>
            <TextField id="person-phone" field="phone" label="org.field.phone" value=phone error=error kind="tel"/>
            <TextField id="person-job" field="job_title" label="person.job_title" value=job error=error/>
            <div class="field checkbox">
                <label>
                    <input type="checkbox" id="person-active" bind:checked=active/>
                    {tr("person_form.active")}
                </label>
            </div>
            {(!editing)
                .then(|| {
                    view! {
                        <RecordPicker
                            id="person-organisation"
                            field="organisations[0].organisation_id"
                            label="person_form.organisation"
                            kind=PickKind::Organisation
                            value=organisation
                            error=error
                        />
                        <TextField id="person-role" field="organisations[0].role" label="person.role" value=role error=error/>
                    }
                })}
            <TextArea id="person-notes" field="notes" label="org.field.notes" value=notes error=error/>
            <div class="form-actions span-2">
                <a class="btn" href=back>{tr("common.cancel")}</a>
                <button type="submit" class="btn primary" id="person-submit" disabled=busy>
                    {if editing { tr("common.save") } else { tr("common.create") }}
                </button>
            </div>
        </form>
    }
}

/// The organisations of a person, with the controls to link, change and unlink them for
/// those who may change people.
#[component]
pub fn PersonLinks(person: Uuid) -> impl IntoView {
    let c = ctx();
    let links = LocalResource::new(move || api::person_organisations(person));
    let retry = Callback::new(move |()| links.refetch());
    let can_update = move || c.can(Resource::People, Action::Update);
    let adding = RwSignal::new(false);
    let editing = RwSignal::new(None::<Uuid>);
    let target = RwSignal::new(None::<PersonOrganisationOut>);
    let confirm = RwSignal::new(false);
    let unlink = Callback::new(move |()| {
        let Some(l) = target.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match api::unlink_person(person, l.organisation_id).await {
                Ok(()) => {
                    c.toast(c.ta("person_links.unlinked", &[("name", &l.name)]), false);
                    links.refetch();
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    });
    let row = move |l: PersonOrganisationOut| {
        let org = l.organisation_id;
        let edit_label = c.ta("person_links.edit_one", &[("name", &l.name)]);
        let unlink_label = c.ta("person_links.unlink_one", &[("name", &l.name)]);
        let shown = move || {
            if editing.get() == Some(org) {
                return view! { <LinkEditor person=person link=l.clone() editing=editing on_saved=retry/> }
                    .into_any();
            }
            let for_unlink = l.clone();
            view! {
                <span>
                    <a href=format!("/organisations/{org}")>{l.name.clone()}</a>
                    {l.role.clone().map(|r| format!(" · {r}"))}
                    {l.is_primary.then(|| view! { <span class="badge">{tr("org.contacts.primary")}</span> })}
                </span>
                {can_update()
                    .then(|| {
                        view! {
                            <span class="row-actions">
                                <button
                                    type="button"
                                    class="btn small"
                                    aria-label=edit_label.clone()
                                    on:click=move |_| editing.set(Some(org))
                                >
                                    {tr("org.edit")}
                                </button>
                                <button
                                    type="button"
                                    class="btn small"
                                    aria-label=unlink_label.clone()
                                    on:click=move |_| {
                                        target.set(Some(for_unlink.clone()));
                                        confirm.set(true);
                                    }
                                >
                                    {tr("person_links.unlink")}
                                </button>
                            </span>
                        }
                    })}
            }
                .into_any()
        };
        view! { <li class="link-row">{shown}</li> }
    };
    view! {
        <Transition fallback=loading>
            <ErrorBoundary fallback=move |e| load_failed(e, Some(retry))>
                {move || {
                    links
                        .get()
                        .map(|r| {
                            r.map(|page| {
                                if page.items.is_empty() {
                                    view! { <p class="muted" id="person-no-organisation">{tr("person.no_organisation")}</p> }
                                        .into_any()
                                } else {
                                    view! {
                                        <ul class="links" id="person-organisations">
                                            {page.items.into_iter().map(row).collect_view()}
                                        </ul>
                                    }
                                        .into_any()
                                }
                            })
                        })
                }}
            </ErrorBoundary>
        </Transition>
        <ConfirmDialog
            open=confirm
            title="person_links.unlink_title"
            text=Signal::derive(move || {
                let name = target.with(|t| t.as_ref().map(|l| l.name.clone()).unwrap_or_default());
                c.ta("person_links.unlink_text", &[("name", &name)])
            })
            confirm="person_links.unlink"
            on_confirm=unlink
        />
        <Show when=can_update>
            <Show
                when=move || adding.get()
                fallback=move || {
                    view! {
                        <div class="tab-actions">
                            <button type="button" class="btn" id="link-add" on:click=move |_| adding.set(true)>
                                {tr("person_links.add")}
                            </button>
                        </div>
                    }
                }
            >
                <NewLink person=person open=adding on_linked=retry/>
            </Show>
        </Show>
    }
}

/// The interactions with a person, newest first, each opening its page.
#[component]
pub fn PersonInteractions(person: Uuid) -> impl IntoView {
    let c = ctx();
    let list = LocalResource::new(move || api::person_interactions(person));
    let retry = Callback::new(move |()| list.refetch());
    let rows = move |page: relais_types::Page<relais_types::InteractionOut>| {
        let lang = c.lang.get();
        if page.items.is_empty() {
            return view! { <p class="muted" id="person-interactions-empty">{tr("org.interactions.empty")}</p> }
                .into_any();
        }
        view! {
            <ul class="links" id="person-interactions">
                {page
                    .items
                    .into_iter()
                    .map(|i| {
                        let kind = crate::i18n::t(lang, &format!("interaction.kinds.{}", i.kind.code()));
                        view! {
                            <li>
                                <a href=format!("/interactions/{}", i.id)>
                                    {format!("{} · {kind}", crate::format::date(lang, i.occurred_at, c.tz_offset))}
                                </a>
                                " — "
                                {i.summary}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <Transition fallback=loading>
            <ErrorBoundary fallback=move |e| load_failed(e, Some(retry))>
                {move || list.get().map(|r| r.map(rows))}
            </ErrorBoundary>
        </Transition>
    }
}

/// Changes the role and the primary flag of one link.
#[component]
fn LinkEditor(
    person: Uuid,
    link: PersonOrganisationOut,
    editing: RwSignal<Option<Uuid>>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let c = ctx();
    let role = RwSignal::new(link.role.clone().unwrap_or_default());
    let primary = RwSignal::new(link.is_primary);
    let error = RwSignal::new(None::<ApiError>);
    let org = link.organisation_id;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut changes = serde_json::Map::new();
        let new_role = text(role);
        if new_role != link.role {
            changes.insert("role".into(), json!(new_role));
        }
        if primary.get_untracked() != link.is_primary {
            changes.insert("is_primary".into(), json!(primary.get_untracked()));
        }
        error.set(None);
        spawn_local(async move {
            if !changes.is_empty()
                && let Err(e) = api::update_link(person, org, &changes).await
            {
                error.set(Some(e));
                return;
            }
            c.toast(c.t("person_links.saved"), false);
            editing.set(None);
            on_saved.run(());
        });
    };
    view! {
        <form class="form-grid inline-form" id="link-edit-form" on:submit=submit novalidate>
            <p class="span-2 task-title">{link.name.clone()}</p>
            <ErrorAlert error=error/>
            <TextField id="link-edit-role" field="role" label="person.role" value=role error=error/>
            <div class="field checkbox">
                <label>
                    <input type="checkbox" id="link-edit-primary" bind:checked=primary/>
                    {tr("person_links.primary")}
                </label>
            </div>
            <div class="form-actions span-2">
                <button type="button" class="btn" on:click=move |_| editing.set(None)>
                    {tr("common.cancel")}
                </button>
                <button type="submit" class="btn primary" id="link-edit-submit">{tr("common.save")}</button>
            </div>
        </form>
    }
}

/// Links the person to another organisation.
#[component]
fn NewLink(person: Uuid, open: RwSignal<bool>, on_linked: Callback<()>) -> impl IntoView {
    let c = ctx();
    let organisation = RwSignal::new(None::<Uuid>);
    let role = RwSignal::new(String::new());
    let primary = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(organisation_id) = organisation.get_untracked() else {
            error.set(Some(local_error("organisation_id", "required")));
            return;
        };
        let link = PersonOrganisationIn {
            organisation_id,
            role: text(role),
            is_primary: primary.get_untracked(),
        };
        error.set(None);
        spawn_local(async move {
            match api::link_person(person, &link).await {
                Ok(l) => {
                    c.toast(c.ta("person_links.linked", &[("name", &l.name)]), false);
                    open.set(false);
                    on_linked.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="form-grid inline-form" id="link-form" on:submit=submit novalidate>
            <h3 class="span-2">{tr("person_links.add")}</h3>
            <ErrorAlert error=error/>
            <RecordPicker
                id="link-organisation"
                field="organisation_id"
                label="person_form.organisation"
                kind=PickKind::Organisation
                value=organisation
                error=error
                none="mandate_form.choose"
                required=true
            />
            <TextField id="link-role" field="role" label="person.role" value=role error=error/>
            <div class="field checkbox">
                <label>
                    <input type="checkbox" id="link-primary" bind:checked=primary/>
                    {tr("person_links.primary")}
                </label>
            </div>
            <div class="form-actions span-2">
                <button type="button" class="btn" on:click=move |_| open.set(false)>
                    {tr("common.cancel")}
                </button>
                <button type="submit" class="btn primary" id="link-submit">{tr("person_links.link")}</button>
            </div>
        </form>
    }
}
