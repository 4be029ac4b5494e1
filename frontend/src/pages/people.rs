//! People: the searchable list and a person's page with their organisations (linked and
//! unlinked there, see `person_form.rs`) and history.

use crate::api;
use crate::app::{ctx, tr};
use crate::format;
use crate::history;
use crate::i18n;
use crate::pages::person_form::{PersonInteractions, PersonLinks};
use crate::problem::ApiError;
use crate::state::encode;
use crate::widgets::{load_failed, loading};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use relais_domain::access::{Action, Resource};
use relais_types::{EventOut, Page, PersonOut};
use uuid::Uuid;

const PAGE_SIZE: u32 = 25;

#[component]
pub fn PeoplePage() -> impl IntoView {
    let c = ctx();
    let q = RwSignal::new(String::new());
    // Cursors of the pages before the current one (see OrgListQuery for the same idea).
    let cursors = RwSignal::new(Vec::<String>::new());
    let people = LocalResource::new(move || {
        let mut query = format!("limit={PAGE_SIZE}&sort=last_name");
        let text = q.get();
        if !text.is_empty() {
            query += &format!("&q={}", encode(&text));
        }
        if let Some(cur) = cursors.get().last() {
            query += &format!("&cursor={}", encode(cur));
        }
        async move { api::people(&query).await }
    });
    let retry = Callback::new(move |()| people.refetch());
    let table = move |p: Page<PersonOut>| {
        let lang = c.lang.get();
        if p.items.is_empty() {
            return view! { <p class="empty" id="people-empty">{tr("people.empty")}</p> }
                .into_any();
        }
        let next = p.next_cursor.clone();
        let rows = p
            .items
            .into_iter()
            .map(|person| {
                view! {
                    <tr>
                        <td>
                            <a class="row-link" href=format!("/people/{}", person.id)>
                                {person.full_name.clone()}
                            </a>
                        </td>
                        <td>{person.job_title.clone().unwrap_or_default()}</td>
                        <td>{person.email.clone().unwrap_or_default()}</td>
                        <td class="nowrap">{person.phone.clone().unwrap_or_default()}</td>
                        <td class="nowrap">{format::date(lang, person.updated_at, c.tz_offset)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="data" id="people-table">
                    <thead>
                        <tr>
                            <th scope="col">{tr("person.name")}</th>
                            <th scope="col">{tr("person.job_title")}</th>
                            <th scope="col">{tr("org.field.email")}</th>
                            <th scope="col">{tr("org.field.phone")}</th>
                            <th scope="col">{tr("org.field.updated_at")}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <nav class="pager" aria-label=tr("list.pagination")>
                <button
                    type="button"
                    class="btn"
                    disabled=move || cursors.with(Vec::is_empty)
                    on:click=move |_| cursors.update(|c| {
                        c.pop();
                    })
                >
                    {tr("list.previous")}
                </button>
                <span>{move || c.ta("list.page", &[("n", &(cursors.with(Vec::len) + 1).to_string())])}</span>
                <button
                    type="button"
                    class="btn"
                    disabled=next.is_none()
                    on:click=move |_| {
                        if let Some(n) = next.clone() {
                            cursors.update(|c| c.push(n));
                        }
                    }
                >
                    {tr("list.next")}
                </button>
            </nav>
        }
            .into_any()
    };
    view! {
        <div class="page-head">
            <h1>{tr("people.title")}</h1>
            <Show when=move || c.can(Resource::People, Action::Create)>
                <a class="btn primary" id="person-new" href="/people/new">{tr("person_form.new")}</a>
            </Show>
            <crate::pages::imports::ExportButtons
                resource="people"
                query=Signal::derive(move || {
                    let text = q.get();
                    if text.is_empty() {
                        "sort=last_name".to_owned()
                    } else {
                        format!("sort=last_name&q={}", encode(&text))
                    }
                })
            />
        </div>
        <form class="filters single" role="search" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="people-q">{tr("people.search")}</label>
                <input
                    id="people-q"
                    type="search"
                    on:change=move |ev| {
                        q.set(event_target_value(&ev).trim().to_owned());
                        cursors.set(Vec::new());
                    }
                />
            </div>
        </form>
        <Transition fallback=loading>
            <ErrorBoundary fallback=move |e| load_failed(e, Some(retry))>
                {move || people.get().map(|r| r.map(table))}
            </ErrorBoundary>
        </Transition>
    }
}

type PersonData = (PersonOut, Page<EventOut>);

async fn load_person(id: Option<Uuid>) -> Result<PersonData, ApiError> {
    let id = id.ok_or_else(|| ApiError::from_response(404, ""))?;
    let (p, events) = futures::join!(api::person(id), api::person_history(id));
    Ok((p?, events?))
}

#[component]
pub fn PersonPage() -> impl IntoView {
    let c = ctx();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<Uuid>().ok())));
    let data = LocalResource::new(move || load_person(id.get()));
    let retry = Callback::new(move |()| data.refetch());
    let body = move |(p, events): PersonData| {
        let lang = c.lang.get();
        let dash = || "—".to_owned();
        let pid = p.id;
        let events = events
            .items
            .into_iter()
            .map(|e| {
                let title = i18n::lookup(lang, &format!("event.{}", e.type_))
                    .map(str::to_owned)
                    .unwrap_or_else(|| e.type_.clone());
                let lines = history::changes(lang, c.tz_offset, &e.data)
                    .into_iter()
                    .map(|ch| {
                        let text = match ch.before {
                            Some(before) => format!("{before} → {}", ch.after),
                            None => ch.after,
                        };
                        view! { <li><span class="change-field">{ch.field}</span>" "{text}</li> }
                    })
                    .collect_view();
                view! {
                    <li class="event">
                        <p>
                            <strong>{title}</strong>
                            " · "
                            {format::date_time(lang, e.occurred_at, c.tz_offset)}
                        </p>
                        {history::source(lang, &e.data)
                            .map(|s| view! { <p class="small muted import-source">{s}</p> })}
                        <ul class="changes">{lines}</ul>
                    </li>
                }
            })
            .collect_view();
        view! {
            <div class="page-head">
                <div>
                    <p class="crumbs"><a href="/people">{tr("people.title")}</a></p>
                    <h1>{p.full_name.clone()}</h1>
                    <p class="muted">{p.job_title.clone()}</p>
                </div>
                <div class="head-actions">
                    <Show when=move || c.can(Resource::People, Action::Update)>
                        <a class="btn primary" id="person-edit" href=format!("/people/{pid}/edit")>
                            {tr("org.edit")}
                        </a>
                    </Show>
                    <Show when=move || c.can(Resource::Interactions, Action::Create)>
                        <a class="btn" id="person-new-interaction" href=format!("/interactions/new?person={pid}")>
                            {tr("interaction_form.new")}
                        </a>
                    </Show>
                    <Show when=move || c.can(Resource::Tasks, Action::Create)>
                        <a class="btn" id="person-new-task" href=format!("/tasks/new?record_type=person&record_id={pid}")>
                            {tr("task_form.new")}
                        </a>
                    </Show>
                </div>
            </div>
            <div class="settings">
                <section class="card" aria-labelledby="person-details">
                    <h2 id="person-details">{tr("org.tab.general")}</h2>
                    <dl class="kv-list">
                        <div class="kv"><dt>{tr("org.field.email")}</dt><dd>{p.email.clone().unwrap_or_else(dash)}</dd></div>
                        <div class="kv"><dt>{tr("org.field.phone")}</dt><dd>{p.phone.clone().unwrap_or_else(dash)}</dd></div>
                        <div class="kv">
                            <dt>{tr("org.field.last_contact_at")}</dt>
                            <dd>{p.last_contact_at.map(|d| format::date(lang, d, c.tz_offset)).unwrap_or_else(dash)}</dd>
                        </div>
                        <div class="kv"><dt>{tr("org.field.notes")}</dt><dd>{p.notes.clone().unwrap_or_else(dash)}</dd></div>
                    </dl>
                </section>
                <section class="card" aria-labelledby="person-orgs">
                    <h2 id="person-orgs">{tr("person.organisations")}</h2>
                    <PersonLinks person=pid/>
                </section>
            </div>
            <section class="card history-card" aria-labelledby="person-interactions-title">
                <h2 id="person-interactions-title">{tr("org.tab.interactions")}</h2>
                <PersonInteractions person=pid/>
            </section>
            <section class="card history-card" aria-labelledby="person-history">
                <h2 id="person-history">{tr("org.tab.history")}</h2>
                <ol class="timeline">{events}</ol>
            </section>
        }
            .into_any()
    };
    view! {
        <Transition fallback=loading>
            <ErrorBoundary fallback=move |e| load_failed(e, Some(retry))>
                {move || data.get().map(|r| r.map(body))}
            </ErrorBoundary>
        </Transition>
    }
}
