//! Organisations: the filtered, sorted, paginated list; the creation form; the detail page
//! with its general, contacts and history tabs.

use crate::api;
use crate::app::{ctx, tr};
use crate::components::{ConfirmDialog, ErrorAlert, FieldError, invalid};
use crate::format;
use crate::history;
use crate::i18n::{self, Lang};
use crate::problem::ApiError;
use crate::state::{ListMsg, OrgListQuery, Selection};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_params_map},
};
use relais_domain::access::{Action, Resource};
use relais_domain::crm::{Category, OrganisationType, PipelineStage};
use relais_types::{
    BulkAction, DocumentOut, EventOut, InteractionOut, MandateOut, OrganisationIn, OrganisationOut,
    OrganisationPersonOut, Page, PersonIn, PersonOrganisationIn, TaskOut,
};
use uuid::Uuid;

const PAGE_SIZE: u32 = 25;

fn type_label(lang: Lang, t: OrganisationType) -> String {
    i18n::t(lang, &format!("org.type.{}", t.code()))
}

fn stage_label(lang: Lang, s: PipelineStage) -> String {
    i18n::t(lang, &format!("org.stage.{}", s.code()))
}

fn category_label(lang: Lang, c: Category) -> String {
    i18n::t(lang, &format!("org.category.{}", c.code()))
}

/// The error block of a failed load, with a retry button.
#[component]
fn LoadError(error: ApiError, retry: Callback<()>) -> impl IntoView {
    let c = ctx();
    view! {
        <div class="alert error" role="alert">
            <p>{move || error.message(c.lang.get())}</p>
            <button type="button" class="btn" on:click=move |_| retry.run(())>
                {tr("common.retry")}
            </button>
        </div>
    }
}

#[component]
pub fn OrganisationsPage() -> impl IntoView {
    let c = ctx();
    let query = RwSignal::new(OrgListQuery::default());
    let pending = RwSignal::new(false);
    let page = LocalResource::new(move || {
        let q = query.get().to_query(PAGE_SIZE);
        async move { api::organisations(&q).await }
    });
    let send = move |msg: ListMsg| query.update(|q| q.update(msg));
    let can_create = move || c.can(Resource::Organisations, Action::Create);
    let can_bulk = move || {
        c.can(Resource::Organisations, Action::Update)
            || c.can(Resource::Organisations, Action::Delete)
    };
    let retry = Callback::new(move |()| page.refetch());
    let selected = RwSignal::new(Selection::default());
    // A cursor, a filter or a sort changes what the ticks refer to.
    Effect::new(move |_| {
        query.with(|q| {
            (
                q.q.clone(),
                q.type_.clone(),
                q.stage.clone(),
                q.city.clone(),
            )
        });
        selected.set(Selection::default());
    });
    let bulk_stage = RwSignal::new(PipelineStage::Qualification.code().to_owned());
    let confirm_delete = RwSignal::new(false);
    let run_bulk = move |action: BulkAction| {
        spawn_local(async move {
            match api::bulk_organisations(&action).await {
                Ok(r) => {
                    let n = r.affected.to_string();
                    c.toast(c.ta("org.bulk.done", &[("n", &n)]), false);
                    selected.set(Selection::default());
                    page.refetch();
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    };
    let change_stage = move |_| {
        let ids = selected.with_untracked(Selection::ids);
        if let Some(stage) = PipelineStage::from_code(&bulk_stage.get_untracked()) {
            run_bulk(BulkAction::ChangeStage { ids, stage });
        }
    };
    let delete_selected = Callback::new(move |()| {
        run_bulk(BulkAction::Delete {
            ids: selected.with_untracked(Selection::ids),
        })
    });
    let bulk_bar = move || {
        let n = selected.with(|s| s.0.len());
        (n > 0).then(|| {
            view! {
                <div class="bulk-bar" id="bulk-bar" role="region" aria-label=tr("org.bulk.label")>
                    <span class="count">{move || c.ta("org.bulk.selected", &[("n", &n.to_string())])}</span>
                    <Show when=move || c.can(Resource::Organisations, Action::Update)>
                        <label class="sr-only" for="bulk-stage">{tr("org.field.stage")}</label>
                        <select
                            id="bulk-stage"
                            class="compact"
                            on:change=move |ev| bulk_stage.set(event_target_value(&ev))
                        >
                            {PipelineStage::ALL
                                .iter()
                                .map(|s| {
                                    let s = *s;
                                    view! {
                                        <option value=s.code() selected=move || bulk_stage.get() == s.code()>
                                            {move || stage_label(c.lang.get(), s)}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <button type="button" class="btn" id="bulk-stage-apply" on:click=change_stage>
                            {tr("org.bulk.change_stage")}
                        </button>
                    </Show>
                    <Show when=move || c.can(Resource::Organisations, Action::Delete)>
                        <button
                            type="button"
                            class="btn danger"
                            id="bulk-delete"
                            on:click=move |_| confirm_delete.set(true)
                        >
                            {tr("common.delete")}
                        </button>
                    </Show>
                    <button type="button" class="btn" on:click=move |_| selected.set(Selection::default())>
                        {tr("org.bulk.clear")}
                    </button>
                </div>
            }
        })
    };

    let header = move |col: &'static str, key: &'static str, class: &'static str| {
        view! {
            <th scope="col" class=class aria-sort=move || query.with(|q| q.aria_sort(col))>
                <button
                    type="button"
                    class="sort"
                    on:click=move |_| send(ListMsg::SortBy(col.to_owned()))
                >
                    {tr(key)}
                    <span class="sort-mark" aria-hidden="true">
                        {move || match query.with(|q| q.aria_sort(col)) {
                            "ascending" => "▲",
                            "descending" => "▼",
                            _ => "",
                        }}
                    </span>
                </button>
            </th>
        }
    };

    let table = move |p: api::OrganisationPage| {
        let lang = c.lang.get();
        if p.items.is_empty() {
            let filtered = query.with_untracked(OrgListQuery::has_filters);
            return view! {
                <div class="empty" id="org-empty">
                    <p class="empty-title">
                        {if filtered { c.t("org.list.no_match") } else { c.t("org.list.empty") }}
                    </p>
                    <Show when=move || filtered>
                        <button type="button" class="btn" on:click=move |_| send(ListMsg::Reset)>
                            {tr("list.reset")}
                        </button>
                    </Show>
                    <Show when=move || !filtered && can_create()>
                        <a class="btn primary" href="/organisations/new">
                            {tr("org.new")}
                        </a>
                    </Show>
                </div>
            }
            .into_any();
        }
        let next = p.next_cursor.clone();
        let page_ids: Vec<Uuid> = p.items.iter().map(|o| o.id).collect();
        let bulk = can_bulk();
        let rows = p
            .items
            .into_iter()
            .map(|o| {
                let href = format!("/organisations/{}", o.id);
                let id = o.id;
                let check_label = c.ta("org.bulk.select_one", &[("name", &o.name)]);
                view! {
                    <tr class:selected=move || selected.with(|s| s.0.contains(&id))>
                        {bulk
                            .then(|| {
                                view! {
                                    <td class="check">
                                        <input
                                            type="checkbox"
                                            aria-label=check_label.clone()
                                            prop:checked=move || selected.with(|s| s.0.contains(&id))
                                            on:change=move |_| selected.update(|s| s.toggle(id))
                                        />
                                    </td>
                                }
                            })}
                        <td>
                            <a href=href class="row-link">
                                {o.name.clone()}
                            </a>
                        </td>
                        <td>{type_label(lang, o.type_)}</td>
                        <td>
                            <span class=format!(
                                "badge stage-{}",
                                o.pipeline_stage.code(),
                            )>{stage_label(lang, o.pipeline_stage)}</span>
                        </td>
                        <td>{o.city.clone().unwrap_or_default()}</td>
                        <td class="num">
                            {o.expected_amount.map(|a| format::amount(lang, a)).unwrap_or_default()}
                        </td>
                        <td class="nowrap">{format::date(lang, o.updated_at, c.tz_offset)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="data" id="org-table">
                    <caption class="sr-only">{tr("org.list.title")}</caption>
                    <thead>
                        <tr>
                            {bulk
                                .then(|| {
                                    let ids = page_ids.clone();
                                    let ids2 = page_ids.clone();
                                    view! {
                                        <th scope="col" class="check">
                                            <input
                                                type="checkbox"
                                                id="select-page"
                                                aria-label=tr("org.bulk.select_page")
                                                prop:checked=move || selected.with(|s| s.covers(&ids))
                                                on:change=move |_| selected.update(|s| s.toggle_page(&ids2))
                                            />
                                        </th>
                                    }
                                })}
                            {header("name", "org.field.name", "")}
                            <th scope="col">{tr("org.field.type")}</th>
                            {header("pipeline_stage", "org.field.stage", "")}
                            {header("city", "org.field.city", "")}
                            {header("expected_amount", "org.field.expected_amount", "num")}
                            {header("updated_at", "org.field.updated_at", "")}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <nav class="pager" aria-label=tr("list.pagination")>
                <button
                    type="button"
                    class="btn"
                    id="page-prev"
                    disabled=move || query.with(|q| q.page_number() == 1)
                    on:click=move |_| send(ListMsg::Previous)
                >
                    {tr("list.previous")}
                </button>
                <span>
                    {move || c.ta("list.page", &[("n", &query.with(|q| q.page_number()).to_string())])}
                </span>
                <button
                    type="button"
                    class="btn"
                    id="page-next"
                    disabled=next.is_none()
                    on:click=move |_| {
                        if let Some(n) = next.clone() {
                            send(ListMsg::Next(n))
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
            <h1>{tr("org.list.title")}</h1>
            <crate::pages::imports::ExportButtons
                resource="organisations"
                query=Signal::derive(move || query.get().to_query(PAGE_SIZE))
            />
            <Show when=can_create>
                <a class="btn primary" id="org-new" href="/organisations/new">
                    {tr("org.new")}
                    <kbd class="hide-phone">"Ctrl N"</kbd>
                </a>
            </Show>
        </div>
        <form class="filters" role="search" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="filter-q">{tr("list.search")}</label>
                <input
                    id="filter-q"
                    type="search"
                    prop:value=move || query.with(|q| q.q.clone())
                    on:change=move |ev| send(ListMsg::Search(event_target_value(&ev)))
                />
            </div>
            <div class="field">
                <label for="filter-type">{tr("org.field.type")}</label>
                <select
                    id="filter-type"
                    prop:value=move || query.with(|q| q.type_.clone())
                    on:change=move |ev| send(ListMsg::Type(event_target_value(&ev)))
                >
                    <option value="">{tr("list.all")}</option>
                    {OrganisationType::ALL
                        .iter()
                        .map(|t| {
                            let t = *t;
                            view! {
                                <option value=t.code()>{move || type_label(c.lang.get(), t)}</option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-stage">{tr("org.field.stage")}</label>
                <select
                    id="filter-stage"
                    prop:value=move || query.with(|q| q.stage.clone())
                    on:change=move |ev| send(ListMsg::Stage(event_target_value(&ev)))
                >
                    <option value="">{tr("list.all")}</option>
                    {PipelineStage::ALL
                        .iter()
                        .map(|s| {
                            let s = *s;
                            view! {
                                <option value=s.code()>{move || stage_label(c.lang.get(), s)}</option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-city">{tr("org.field.city")}</label>
                <input
                    id="filter-city"
                    type="text"
                    prop:value=move || query.with(|q| q.city.clone())
                    on:change=move |ev| send(ListMsg::City(event_target_value(&ev)))
                />
            </div>
        </form>
        {bulk_bar}
        <ConfirmDialog
            open=confirm_delete
            title="org.bulk.delete_title"
            text=Signal::derive(move || {
                let n = selected.with(|s| s.0.len()).to_string();
                c.ta("org.bulk.delete_text", &[("n", &n)])
            })
            confirm="common.delete"
            on_confirm=delete_selected
        />
        <div class="list-region" aria-busy=move || pending.get().to_string()>
            <Transition
                fallback=move || view! { <p class="loading" role="status">{tr("common.loading")}</p> }
                set_pending=pending.write_only()
            >
                {move || {
                    page.get()
                        .map(|r| match r {
                            Ok(p) => table(p),
                            Err(e) => view! { <LoadError error=e retry=retry/> }.into_any(),
                        })
                }}
            </Transition>
        </div>
    }
}

/// Text typed in a form field: trimmed, `None` when blank.
fn text(s: RwSignal<String>) -> Option<String> {
    let v = s.get_untracked().trim().to_owned();
    (!v.is_empty()).then_some(v)
}

/// The local refusal of an amount the parser cannot read.
fn amount_error() -> ApiError {
    ApiError::Problem(relais_types::Problem {
        type_: "/problems/validation-failed".into(),
        title: "Invalid request".into(),
        status: 422,
        code: "validation_failed".into(),
        detail: None,
        request_id: None,
        errors: vec![relais_types::FieldError {
            field: "expected_amount".into(),
            code: "invalid_amount".into(),
            message: "invalid_amount".into(),
        }],
    })
}

#[component]
pub fn NewOrganisationPage() -> impl IntoView {
    view! { <OrganisationForm editing=false/> }
}

#[component]
pub fn EditOrganisationPage() -> impl IntoView {
    view! { <OrganisationForm editing=true/> }
}

/// The creation form, or with `editing` the edit form of the organisation in the URL (loaded
/// with its ETag; only changed fields are sent).
#[component]
fn OrganisationForm(editing: bool) -> impl IntoView {
    let c = ctx();
    let navigate = use_navigate();
    let params = use_params_map();
    let edit_id = editing
        .then(|| params.with_untracked(|p| p.get("id").and_then(|s| s.parse::<Uuid>().ok())))
        .flatten();
    // The record as loaded and its ETag, when editing.
    let original = RwSignal::new(None::<(OrganisationOut, String)>);
    let name = RwSignal::new(String::new());
    let type_ = RwSignal::new(OrganisationType::Investor.code().to_owned());
    let stage = RwSignal::new(PipelineStage::Prospect.code().to_owned());
    let category = RwSignal::new(String::new());
    let city = RwSignal::new(String::new());
    let postcode = RwSignal::new(String::new());
    let country = RwSignal::new("FR".to_owned());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let website = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let name_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = name_input.get() {
            let _ = el.focus();
        }
    });
    if let Some(id) = edit_id {
        spawn_local(async move {
            match api::organisation_for_edit(id).await {
                Ok((o, etag)) => {
                    let lang = c.lang.get_untracked();
                    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
                    name.set(o.name.clone());
                    type_.set(o.type_.code().to_owned());
                    stage.set(o.pipeline_stage.code().to_owned());
                    category.set(o.category.map(|k| k.code().to_owned()).unwrap_or_default());
                    city.set(opt(&o.city));
                    postcode.set(opt(&o.postcode));
                    country.set(opt(&o.country));
                    email.set(opt(&o.email));
                    phone.set(opt(&o.phone));
                    website.set(opt(&o.website));
                    amount.set(
                        o.expected_amount
                            .map(|a| format::number(lang, a, 2))
                            .unwrap_or_default(),
                    );
                    notes.set(opt(&o.notes));
                    original.set(Some((o, etag)));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    }

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let lang = c.lang.get_untracked();
        let expected_amount = match text(amount) {
            None => None,
            Some(raw) => match format::parse_amount(lang, &raw) {
                Some(v) => Some(v),
                None => {
                    error.set(Some(amount_error()));
                    return;
                }
            },
        };
        let input = OrganisationIn {
            name: name.get_untracked().trim().to_owned(),
            type_: OrganisationType::from_code(&type_.get_untracked())
                .unwrap_or(OrganisationType::Investor),
            category: Category::from_code(&category.get_untracked()),
            pipeline_stage: PipelineStage::from_code(&stage.get_untracked()),
            email: text(email),
            phone: text(phone),
            website: text(website),
            address: None,
            city: text(city),
            postcode: text(postcode),
            country: text(country),
            notes: text(notes),
            owner_id: None,
            active: None,
            expected_amount,
            tags: Vec::new(),
        };
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        if let Some((before, etag)) = original.get_untracked() {
            let patch = crate::state::organisation_patch(&before, &input);
            spawn_local(async move {
                let outcome = if patch.is_empty() {
                    Ok(before.clone())
                } else {
                    api::update_organisation(before.id, &patch, &etag).await
                };
                match outcome {
                    Ok(o) => {
                        c.toast(c.ta("org.saved", &[("name", &o.name)]), false);
                        navigate(
                            &format!("/organisations/{}", o.id),
                            NavigateOptions::default(),
                        );
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
            return;
        }
        let key = Uuid::new_v4().to_string();
        spawn_local(async move {
            match api::create_organisation(&input, &key).await {
                Ok(o) => {
                    c.toast(c.ta("org.created", &[("name", &o.name)]), false);
                    navigate(
                        &format!("/organisations/{}", o.id),
                        NavigateOptions::default(),
                    );
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    // One text input with its label and error; `field` is the API's field name.
    let input = move |id: &'static str,
                      field: &'static str,
                      label: &'static str,
                      kind: &'static str,
                      value: RwSignal<String>| {
        let error_id = format!("{id}-error");
        view! {
            <div class="field">
                <label for=id>{tr(label)}</label>
                <input
                    id=id
                    type=kind
                    bind:value=value
                    aria-invalid=invalid(error, field)
                    aria-describedby=error_id.clone()
                />
                <p class="field-error" id=error_id>
                    {move || error.with(|e| e.as_ref().and_then(|e| e.field_message(c.lang.get(), field)))}
                </p>
            </div>
        }
    };

    let allowed = move || {
        let action = if editing {
            Action::Update
        } else {
            Action::Create
        };
        c.can(Resource::Organisations, action)
    };
    let cancel_href = edit_id
        .map(|id| format!("/organisations/{id}"))
        .unwrap_or_else(|| "/organisations".to_owned());
    view! {
        <div class="page-head">
            <h1>{if editing { tr("org.edit_title") } else { tr("org.new_title") }}</h1>
        </div>
        <Show
            when=allowed
            fallback=|| view! { <p class="alert error" role="alert" id="not-allowed">{tr("error.code.forbidden")}</p> }
        >
        <form class="card form-grid" on:submit=submit.clone() novalidate id="org-form">
            <ErrorAlert error=error/>
            <div class="field span-2">
                <label for="org-name">{tr("org.field.name")} <span aria-hidden="true">" *"</span></label>
                <input
                    id="org-name"
                    type="text"
                    required
                    node_ref=name_input
                    bind:value=name
                    aria-invalid=invalid(error, "name")
                    aria-describedby="org-name-error"
                />
                <FieldError id="org-name-error" field="name" error=error/>
            </div>
            <div class="field">
                <label for="org-type">{tr("org.field.type")}</label>
                <select id="org-type" on:change=move |ev| type_.set(event_target_value(&ev))>
                    {OrganisationType::ALL
                        .iter()
                        .map(|t| {
                            let t = *t;
                            view! {
                                <option value=t.code() selected=move || type_.get() == t.code()>
                                    {move || type_label(c.lang.get(), t)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="org-stage">{tr("org.field.stage")}</label>
                <select id="org-stage" on:change=move |ev| stage.set(event_target_value(&ev))>
                    {PipelineStage::ALL
                        .iter()
                        .map(|s| {
                            let s = *s;
                            view! {
                                <option value=s.code() selected=move || stage.get() == s.code()>
                                    {move || stage_label(c.lang.get(), s)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="org-category">{tr("org.field.category")}</label>
                <select id="org-category" on:change=move |ev| category.set(event_target_value(&ev))>
                    <option value="">{tr("common.none")}</option>
                    {Category::ALL
                        .iter()
                        .map(|k| {
                            let k = *k;
                            view! {
                                <option value=k.code() selected=move || category.get() == k.code()>
                                    {move || category_label(c.lang.get(), k)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            {input("org-amount", "expected_amount", "org.field.expected_amount", "text", amount)}
            {input("org-city", "city", "org.field.city", "text", city)}
            {input("org-postcode", "postcode", "org.field.postcode", "text", postcode)}
            {input("org-country", "country", "org.field.country", "text", country)}
            {input("org-email", "email", "org.field.email", "email", email)}
            {input("org-phone", "phone", "org.field.phone", "tel", phone)}
            {input("org-website", "website", "org.field.website", "url", website)}
            <div class="field span-2">
                <label for="org-notes">{tr("org.field.notes")}</label>
                <textarea id="org-notes" rows="4" bind:value=notes></textarea>
            </div>
            <div class="form-actions span-2">
                <a class="btn" href=cancel_href.clone()>{tr("common.cancel")}</a>
                <button type="submit" class="btn primary" id="org-submit" disabled=busy>
                    {if editing { tr("common.save") } else { tr("common.create") }}
                </button>
            </div>
        </form>
        </Show>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    General,
    Contacts,
    Mandates,
    Interactions,
    Tasks,
    Documents,
    History,
}

impl Tab {
    const ALL: [Tab; 7] = [
        Tab::General,
        Tab::Contacts,
        Tab::Mandates,
        Tab::Interactions,
        Tab::Tasks,
        Tab::Documents,
        Tab::History,
    ];

    fn id(self) -> &'static str {
        match self {
            Tab::General => "general",
            Tab::Contacts => "contacts",
            Tab::Mandates => "mandates",
            Tab::Interactions => "interactions",
            Tab::Tasks => "tasks",
            Tab::Documents => "documents",
            Tab::History => "history",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::General => "org.tab.general",
            Tab::Contacts => "org.tab.contacts",
            Tab::Mandates => "org.tab.mandates",
            Tab::Interactions => "org.tab.interactions",
            Tab::Tasks => "org.tab.tasks",
            Tab::Documents => "org.tab.documents",
            Tab::History => "org.tab.history",
        }
    }
}

#[component]
pub fn OrganisationPage() -> impl IntoView {
    let c = ctx();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<Uuid>().ok())));
    // `?tab=mandates` opens on a tab (search results for a mandate or an interaction).
    let wanted = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("tab"));
    let tab = RwSignal::new(
        Tab::ALL
            .into_iter()
            .find(|t| wanted.as_deref() == Some(t.id()))
            .unwrap_or(Tab::General),
    );
    let org = LocalResource::new(move || {
        let id = id.get();
        async move {
            match id {
                Some(id) => api::organisation(id).await,
                None => Err(ApiError::from_response(404, "")),
            }
        }
    });
    let retry = Callback::new(move |()| org.refetch());
    let navigate = use_navigate();
    let confirm_delete = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let duplicate = {
        let navigate = navigate.clone();
        move |_| {
            let Some(oid) = id.get_untracked() else {
                return;
            };
            busy.set(true);
            let navigate = navigate.clone();
            spawn_local(async move {
                match api::duplicate_organisation(oid).await {
                    Ok(copy) => {
                        c.toast(c.ta("org.created", &[("name", &copy.name)]), false);
                        tab.set(Tab::General);
                        navigate(
                            &format!("/organisations/{}", copy.id),
                            NavigateOptions::default(),
                        );
                    }
                    Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
                }
                busy.set(false);
            });
        }
    };
    let delete = Callback::new(move |()| {
        let Some(oid) = id.get_untracked() else {
            return;
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::delete_organisation(oid).await {
                Ok(()) => {
                    c.toast(c.t("org.deleted"), false);
                    navigate("/organisations", NavigateOptions::default());
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    });

    let on_tab_key = move |ev: leptos::ev::KeyboardEvent| {
        let i = Tab::ALL
            .iter()
            .position(|t| *t == tab.get_untracked())
            .unwrap_or(0);
        let next = match ev.key().as_str() {
            "ArrowRight" => (i + 1) % Tab::ALL.len(),
            "ArrowLeft" => (i + Tab::ALL.len() - 1) % Tab::ALL.len(),
            "Home" => 0,
            "End" => Tab::ALL.len() - 1,
            _ => return,
        };
        ev.prevent_default();
        tab.set(Tab::ALL[next]);
        if let Some(el) = document().get_element_by_id(&format!("tab-{}", Tab::ALL[next].id()))
            && let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el)
        {
            let _ = el.focus();
        }
    };

    let body = move |o: OrganisationOut| {
        let lang = c.lang.get();
        let duplicate = duplicate.clone();
        let oid = o.id;
        let header = view! {
            <div class="page-head">
                <div>
                    <p class="crumbs">
                        <a href="/organisations">{tr("org.list.title")}</a>
                    </p>
                    <h1 id="org-title">{o.name.clone()}</h1>
                    <p class="badges">
                        <span class="badge">{type_label(lang, o.type_)}</span>
                        <span class=format!(
                            "badge stage-{}",
                            o.pipeline_stage.code(),
                        )>{stage_label(lang, o.pipeline_stage)}</span>
                        {(!o.active).then(|| view! { <span class="badge">{tr("org.inactive")}</span> })}
                    </p>
                </div>
                <div class="head-actions">
                    <Show when=move || c.can(Resource::Organisations, Action::Update)>
                        <a class="btn primary" id="org-edit" href=format!("/organisations/{oid}/edit")>
                            {tr("org.edit")}
                        </a>
                    </Show>
                    <Show when=move || c.can(Resource::Organisations, Action::Create)>
                        <button
                            type="button"
                            class="btn"
                            id="org-duplicate"
                            disabled=busy
                            on:click=duplicate.clone()
                        >
                            {tr("org.duplicate")}
                        </button>
                    </Show>
                    <Show when=move || c.can(Resource::Organisations, Action::Delete)>
                        <button
                            type="button"
                            class="btn danger"
                            id="org-delete"
                            on:click=move |_| confirm_delete.set(true)
                        >
                            {tr("common.delete")}
                        </button>
                    </Show>
                </div>
            </div>
            <ConfirmDialog
                open=confirm_delete
                title="org.delete_title"
                text=Signal::derive(move || c.t("org.delete_text"))
                confirm="common.delete"
                on_confirm=delete
            />
        };
        view! {
            {header}
            <div class="tabs" role="tablist" aria-label=tr("org.tabs") on:keydown=on_tab_key>
                {Tab::ALL
                    .iter()
                    .map(|t| {
                        let t = *t;
                        view! {
                            <button
                                type="button"
                                role="tab"
                                id=format!("tab-{}", t.id())
                                aria-controls=format!("panel-{}", t.id())
                                aria-selected=move || (tab.get() == t).to_string()
                                tabindex=move || if tab.get() == t { "0" } else { "-1" }
                                on:click=move |_| tab.set(t)
                            >
                                {tr(t.label())}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <div
                class="tab-panel card"
                role="tabpanel"
                id=move || format!("panel-{}", tab.get().id())
                aria-labelledby=move || format!("tab-{}", tab.get().id())
                tabindex="0"
            >
                {move || match tab.get() {
                    Tab::General => general(o.clone()).into_any(),
                    Tab::Contacts => view! { <Contacts id=oid/> }.into_any(),
                    Tab::Mandates => view! { <Mandates id=oid/> }.into_any(),
                    Tab::Interactions => view! { <Interactions id=oid/> }.into_any(),
                    Tab::Tasks => view! { <Tasks id=oid/> }.into_any(),
                    Tab::Documents => view! { <Documents id=oid/> }.into_any(),
                    Tab::History => view! { <History id=oid/> }.into_any(),
                }}
            </div>
        }
        .into_any()
    };

    view! {
        <Transition fallback=move || view! { <p class="loading" role="status">{tr("common.loading")}</p> }>
            {move || {
                org.get()
                    .map(|r| match r {
                        Ok(o) => body(o),
                        Err(e) => view! { <LoadError error=e retry=retry/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// The general tab: every field, formatted for the language.
fn general(o: OrganisationOut) -> impl IntoView {
    let c = ctx();
    let lang = c.lang.get();
    let dash = || "—".to_owned();
    let row = |key: &'static str, value: String| {
        view! {
            <div class="kv">
                <dt>{tr(key)}</dt>
                <dd>{value}</dd>
            </div>
        }
    };
    let address = [
        o.address.clone(),
        o.postcode.clone(),
        o.city.clone(),
        o.country.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    view! {
        <dl class="kv-list">
            {row(
                "org.field.category",
                o.category.map(|k| category_label(lang, k)).unwrap_or_else(dash),
            )}
            {row(
                "org.field.expected_amount",
                o.expected_amount.map(|a| format::amount(lang, a)).unwrap_or_else(dash),
            )}
            {row("org.field.address", if address.is_empty() { dash() } else { address })}
            {row("org.field.email", o.email.clone().unwrap_or_else(dash))}
            {row("org.field.phone", o.phone.clone().unwrap_or_else(dash))}
            {row("org.field.website", o.website.clone().unwrap_or_else(dash))}
            {row(
                "org.field.tags",
                if o.tags.is_empty() { dash() } else { o.tags.join(", ") },
            )}
            {row(
                "org.field.stage_changed_at",
                format::date_time(lang, o.stage_changed_at, c.tz_offset),
            )}
            {row(
                "org.field.last_contact_at",
                o.last_contact_at
                    .map(|d| format::date(lang, d, c.tz_offset))
                    .unwrap_or_else(dash),
            )}
            {row("org.field.created_at", format::date_time(lang, o.created_at, c.tz_offset))}
            {row("org.field.updated_at", format::date_time(lang, o.updated_at, c.tz_offset))}
            {row("org.field.notes", o.notes.clone().unwrap_or_else(dash))}
        </dl>
    }
}

/// The form that adds a contact to the organisation (a new person linked to it).
#[component]
fn NewContact(org: Uuid, open: RwSignal<bool>, on_created: Callback<()>) -> impl IntoView {
    let c = ctx();
    let first = RwSignal::new(String::new());
    let last = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let primary = RwSignal::new(true);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let first_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = first_input.get() {
            let _ = el.focus();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let input = PersonIn {
            first_name: text(first),
            last_name: last.get_untracked().trim().to_owned(),
            email: text(email),
            phone: text(phone),
            job_title: None,
            notes: None,
            owner_id: None,
            active: None,
            tags: Vec::new(),
            organisations: vec![PersonOrganisationIn {
                organisation_id: org,
                role: text(role),
                is_primary: primary.get_untracked(),
            }],
        };
        busy.set(true);
        error.set(None);
        let key = Uuid::new_v4().to_string();
        spawn_local(async move {
            match api::create_person(&input, &key).await {
                Ok(p) => {
                    c.toast(c.ta("person.created", &[("name", &p.full_name)]), false);
                    open.set(false);
                    on_created.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let field = move |id: &'static str,
                      api_field: &'static str,
                      label: &'static str,
                      kind: &'static str,
                      value: RwSignal<String>| {
        let error_id = format!("{id}-error");
        view! {
            <div class="field">
                <label for=id>{tr(label)}</label>
                <input
                    id=id
                    type=kind
                    bind:value=value
                    aria-invalid=invalid(error, api_field)
                    aria-describedby=error_id.clone()
                />
                <p class="field-error" id=error_id>
                    {move || {
                        error.with(|e| e.as_ref().and_then(|e| e.field_message(c.lang.get(), api_field)))
                    }}
                </p>
            </div>
        }
    };
    view! {
        <form class="form-grid inline-form" id="contact-form" on:submit=submit novalidate>
            <h2 class="span-2">{tr("person.new_title")}</h2>
            <ErrorAlert error=error/>
            <div class="field">
                <label for="contact-first">{tr("person.first_name")}</label>
                <input id="contact-first" type="text" node_ref=first_input bind:value=first/>
            </div>
            {field("contact-last", "last_name", "person.last_name", "text", last)}
            {field("contact-email", "email", "org.field.email", "email", email)}
            {field("contact-phone", "phone", "org.field.phone", "tel", phone)}
            {field("contact-role", "organisations[0].role", "person.role", "text", role)}
            <div class="field checkbox">
                <label>
                    <input type="checkbox" id="contact-primary" bind:checked=primary/>
                    {tr("person.primary_here")}
                </label>
            </div>
            <div class="form-actions span-2">
                <button type="button" class="btn" on:click=move |_| open.set(false)>
                    {tr("common.cancel")}
                </button>
                <button type="submit" class="btn primary" id="contact-submit" disabled=busy>
                    {tr("common.add")}
                </button>
            </div>
        </form>
    }
}

#[component]
fn Contacts(id: Uuid) -> impl IntoView {
    let c = ctx();
    let people = LocalResource::new(move || api::organisation_people(id));
    let retry = Callback::new(move |()| people.refetch());
    let adding = RwSignal::new(false);
    let can_add = move || c.can(Resource::People, Action::Create);
    let list = move |p: Page<OrganisationPersonOut>| {
        if p.items.is_empty() {
            return view! { <p class="empty" id="contacts-empty">{tr("org.contacts.empty")}</p> }
                .into_any();
        }
        let rows = p
            .items
            .into_iter()
            .map(|p| {
                view! {
                    <tr>
                        <td>
                            <a href=format!("/people/{}", p.person_id)>{p.full_name.clone()}</a>
                            {p.is_primary.then(|| view! { <span class="badge">{tr("org.contacts.primary")}</span> })}
                        </td>
                        <td>{p.role.clone().or(p.job_title.clone()).unwrap_or_default()}</td>
                        <td>{p.email.clone().unwrap_or_default()}</td>
                        <td>{p.phone.clone().unwrap_or_default()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="data">
                    <thead>
                        <tr>
                            <th scope="col">{tr("person.name")}</th>
                            <th scope="col">{tr("person.role")}</th>
                            <th scope="col">{tr("org.field.email")}</th>
                            <th scope="col">{tr("org.field.phone")}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <Show when=move || can_add() && !adding.get()>
            <div class="tab-actions">
                <button type="button" class="btn" id="contact-add" on:click=move |_| adding.set(true)>
                    {tr("person.add")}
                </button>
            </div>
        </Show>
        <Show when=move || adding.get()>
            <NewContact org=id open=adding on_created=retry/>
        </Show>
        <Transition fallback=move || view! { <p class="loading">{move || c.t("common.loading")}</p> }>
            {move || {
                people.get()
                    .map(|r| match r {
                        Ok(p) => list(p),
                        Err(e) => view! { <LoadError error=e retry=retry/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn History(id: Uuid) -> impl IntoView {
    let c = ctx();
    let events = LocalResource::new(move || api::organisation_history(id));
    let retry = Callback::new(move |()| events.refetch());
    let list = move |p: Page<EventOut>| {
        let lang = c.lang.get();
        if p.items.is_empty() {
            return view! { <p class="empty">{tr("org.history.empty")}</p> }.into_any();
        }
        let keep = {
            let types: Vec<&str> = p.items.iter().map(|e| e.type_.as_str()).collect();
            let datas: Vec<&serde_json::Value> = p.items.iter().map(|e| &e.data).collect();
            history::distinct_entries(&types, &datas)
        };
        let items = p
            .items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, e)| {
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
                        view! {
                            <li>
                                <span class="change-field">{ch.field}</span>
                                " "
                                {text}
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <li class="event">
                        <p>
                            <strong>{title}</strong>
                            " · "
                            <time datetime=e.occurred_at.to_rfc3339()>
                                {format::date_time(lang, e.occurred_at, c.tz_offset)}
                            </time>
                        </p>
                        {history::source(lang, &e.data)
                            .map(|s| view! { <p class="small muted import-source">{s}</p> })}
                        <ul class="changes">{lines}</ul>
                    </li>
                }
            })
            .collect_view();
        view! { <ol class="timeline" id="history-list">{items}</ol> }.into_any()
    };
    view! {
        <Transition fallback=move || view! { <p class="loading">{move || c.t("common.loading")}</p> }>
            {move || {
                events.get()
                    .map(|r| match r {
                        Ok(p) => list(p),
                        Err(e) => view! { <LoadError error=e retry=retry/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// The label of an enum value; `prefix` ends with a dot (`"task.statuses."`).
fn enum_label(lang: Lang, prefix: &str, code: &str) -> String {
    i18n::t(lang, &format!("{prefix}{code}"))
}

/// A tab that lists a page of related records, with loading, error and empty states.
fn related<T, V>(
    res: LocalResource<Result<Page<T>, ApiError>>,
    empty_key: &'static str,
    headers: &'static [&'static str],
    row: impl Fn(T) -> V + Copy + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + 'static,
    V: IntoView + 'static,
{
    let retry = Callback::new(move |()| res.refetch());
    view! {
        <Transition fallback=move || view! { <p class="loading">{tr("common.loading")}</p> }>
            {move || {
                res.get()
                    .map(|r| match r {
                        Ok(p) if p.items.is_empty() => {
                            view! { <p class="empty">{tr(empty_key)}</p> }.into_any()
                        }
                        Ok(p) => {
                            view! {
                                <div class="table-wrap">
                                    <table class="data">
                                        <thead>
                                            <tr>
                                                {headers
                                                    .iter()
                                                    .map(|h| view! { <th scope="col">{tr(h)}</th> })
                                                    .collect_view()}
                                            </tr>
                                        </thead>
                                        <tbody>{p.items.into_iter().map(row).collect_view()}</tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <LoadError error=e retry=retry/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

const MANDATE_HEADERS: &[&str] = &[
    "mandate.number",
    "mandate.status",
    "mandate.amount",
    "mandate.signed_at",
    "mandate.period",
];

#[component]
fn Mandates(id: Uuid) -> impl IntoView {
    let c = ctx();
    let res = LocalResource::new(move || api::organisation_mandates(id));
    let lang = c.lang.get_untracked();
    let list = related(
        res,
        "org.mandates.empty",
        MANDATE_HEADERS,
        move |m: MandateOut| {
            let period = match (m.start_date, m.end_date) {
                (None, None) => String::new(),
                (s, e) => format!(
                    "{} → {}",
                    s.map(|d| format::day(lang, d)).unwrap_or_default(),
                    e.map(|d| format::day(lang, d)).unwrap_or_default()
                ),
            };
            view! {
                <tr>
                    <td class="nowrap">
                        <a class="row-link" href=format!("/mandates/{}", m.id)>{m.number}</a>
                    </td>
                    <td>
                        <span class="badge">{enum_label(lang, "mandate.state.", m.status.code())}</span>
                    </td>
                    <td class="num">{m.amount.map(|a| format::amount(lang, a)).unwrap_or_default()}</td>
                    <td class="nowrap">
                        {m.signed_at.map(|d| format::date(lang, d, c.tz_offset)).unwrap_or_default()}
                    </td>
                    <td class="nowrap">{period}</td>
                </tr>
            }
        },
    );
    view! {
        <Show when=move || c.can(Resource::Mandates, Action::Create)>
            <div class="tab-actions">
                <a class="btn" id="org-new-mandate" href=format!("/mandates/new?organisation={id}")>
                    {tr("mandate_form.new")}
                </a>
            </div>
        </Show>
        {list}
    }
}

const INTERACTION_HEADERS: &[&str] = &[
    "interaction.occurred_at",
    "interaction.kind",
    "interaction.summary",
];

#[component]
fn Interactions(id: Uuid) -> impl IntoView {
    let c = ctx();
    let res = LocalResource::new(move || api::organisation_interactions(id));
    let lang = c.lang.get_untracked();
    let list = related(
        res,
        "org.interactions.empty",
        INTERACTION_HEADERS,
        move |i: InteractionOut| {
            view! {
                <tr>
                    <td class="nowrap">{format::date_time(lang, i.occurred_at, c.tz_offset)}</td>
                    <td>{enum_label(lang, "interaction.kinds.", i.kind.code())}</td>
                    <td class="summary">
                        <a href=format!("/interactions/{}", i.id)>{i.summary}</a>
                    </td>
                </tr>
            }
        },
    );
    view! {
        <Show when=move || c.can(Resource::Interactions, Action::Create)>
            <div class="tab-actions">
                <a class="btn" id="org-new-interaction" href=format!("/interactions/new?organisation={id}")>
                    {tr("interaction_form.new")}
                </a>
            </div>
        </Show>
        {list}
    }
}

const TASK_HEADERS: &[&str] = &["task.title", "task.status", "task.priority", "task.due_at"];

#[component]
fn Tasks(id: Uuid) -> impl IntoView {
    let c = ctx();
    let res = LocalResource::new(move || api::organisation_tasks(id));
    let lang = c.lang.get_untracked();
    let list = related(res, "org.tasks.empty", TASK_HEADERS, move |t: TaskOut| {
        view! {
            <tr>
                <td>
                    <a class="row-link" href=format!("/tasks/{}", t.id)>{t.title}</a>
                </td>
                <td>{enum_label(lang, "task.statuses.", t.status.code())}</td>
                <td>{enum_label(lang, "task.priorities.", t.priority.code())}</td>
                <td class="nowrap">
                    {t.due_at.map(|d| format::date(lang, d, c.tz_offset)).unwrap_or_default()}
                    {t.overdue.then(|| view! { <span class="badge overdue">{tr("task.overdue")}</span> })}
                </td>
            </tr>
        }
    });
    view! {
        <Show when=move || c.can(Resource::Tasks, Action::Create)>
            <div class="tab-actions">
                <a
                    class="btn"
                    id="org-new-task"
                    href=format!("/tasks/new?record_type=organisation&record_id={id}")
                >
                    {tr("task_form.new")}
                </a>
            </div>
        </Show>
        {list}
    }
}

#[component]
fn Documents(id: Uuid) -> impl IntoView {
    let c = ctx();
    let docs = LocalResource::new(move || api::organisation_documents(id));
    let retry = Callback::new(move |()| docs.refetch());
    let uploading = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let confirm = RwSignal::new(false);
    let target = RwSignal::new(None::<DocumentOut>);
    let can_upload = move || c.can(Resource::Documents, Action::Create);
    let can_delete = move || c.can(Resource::Documents, Action::Delete);
    let upload = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        uploading.set(true);
        error.set(None);
        spawn_local(async move {
            match api::upload_document(id, &file).await {
                Ok(d) => {
                    c.toast(c.ta("document.uploaded", &[("name", &d.file_name)]), false);
                    docs.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
            input.set_value("");
            uploading.set(false);
        });
    };
    let delete = Callback::new(move |()| {
        let Some(d) = target.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match api::delete_document(d.id).await {
                Ok(()) => {
                    c.toast(c.ta("document.deleted", &[("name", &d.file_name)]), false);
                    docs.refetch();
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    });
    let row = move |d: DocumentOut| {
        let lang = c.lang.get();
        let download_label = c.ta("document.download_one", &[("name", &d.file_name)]);
        let delete_label = c.ta("document.delete_one", &[("name", &d.file_name)]);
        let for_download = d.clone();
        let for_delete = d.clone();
        view! {
            <tr>
                <td class="task-title">{d.file_name.clone()}</td>
                <td>{d.content_type.clone()}</td>
                <td class="num">{format::bytes(lang, d.size_bytes)}</td>
                <td class="nowrap">{format::date_time(lang, d.created_at, c.tz_offset)}</td>
                <td class="nowrap">
                    <button
                        type="button"
                        class="btn small"
                        aria-label=download_label
                        on:click=move |_| {
                            let d = for_download.clone();
                            spawn_local(async move {
                                if let Err(e) = api::download_document(&d).await {
                                    c.toast(e.message(c.lang.get_untracked()), true);
                                }
                            });
                        }
                    >
                        {tr("document.download")}
                    </button>
                    {can_delete()
                        .then(|| {
                            view! {
                                " "
                                <button
                                    type="button"
                                    class="btn small"
                                    aria-label=delete_label
                                    on:click=move |_| {
                                        target.set(Some(for_delete.clone()));
                                        confirm.set(true);
                                    }
                                >
                                    {tr("common.delete")}
                                </button>
                            }
                        })}
                </td>
            </tr>
        }
    };
    view! {
        <Show when=can_upload>
            <div class="tab-actions upload">
                <label for="doc-file" class="btn">
                    {move || if uploading.get() { c.t("document.uploading") } else { c.t("document.upload") }}
                </label>
                <input
                    id="doc-file"
                    class="file-input"
                    type="file"
                    on:change=upload
                    disabled=uploading
                    aria-describedby="doc-help"
                />
                <p class="help" id="doc-help">{tr("document.help")}</p>
            </div>
        </Show>
        <ErrorAlert error=error/>
        <ConfirmDialog
            open=confirm
            title="document.delete_title"
            text=Signal::derive(move || {
                let name = target.with(|t| t.as_ref().map(|d| d.file_name.clone()).unwrap_or_default());
                c.ta("document.delete_text", &[("name", &name)])
            })
            confirm="common.delete"
            on_confirm=delete
        />
        <Transition fallback=move || view! { <p class="loading">{tr("common.loading")}</p> }>
            {move || {
                docs.get()
                    .map(|r| match r {
                        Ok(p) if p.items.is_empty() => {
                            view! { <p class="empty" id="documents-empty">{tr("document.empty")}</p> }.into_any()
                        }
                        Ok(p) => {
                            view! {
                                <div class="table-wrap">
                                    <table class="data" id="documents-table">
                                        <thead>
                                            <tr>
                                                <th scope="col">{tr("document.name")}</th>
                                                <th scope="col">{tr("document.type")}</th>
                                                <th scope="col" class="num">{tr("document.size")}</th>
                                                <th scope="col">{tr("document.added")}</th>
                                                <th scope="col"><span class="sr-only">{tr("tasks.actions")}</span></th>
                                            </tr>
                                        </thead>
                                        <tbody>{p.items.into_iter().map(row).collect_view()}</tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <LoadError error=e retry=retry/> }.into_any(),
                    })
            }}
        </Transition>
    }
}
