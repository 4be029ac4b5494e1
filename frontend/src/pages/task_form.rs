//! A task's page: the creation form (optionally about a record, prefilled from the page it
//! was opened on) and the edit form: title, description, due date, priority, status,
//! assignee and linked record.

use crate::api;
use crate::app::{ctx, tr};
use crate::components::{ConfirmDialog, ErrorAlert};
use crate::edit;
use crate::problem::ApiError;
use crate::widgets::edit_page;
use crate::widgets::{
    ChoiceField, PickKind, RecordPicker, TextArea, TextField, local_error, local_to_utc,
    not_allowed, text, utc_to_local,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_query_map},
};
use relais_domain::access::{Action, Resource};
use relais_domain::tasks::{TaskPriority, TaskRecordType, TaskStatus};
use relais_types::{TaskIn, TaskOut};
use uuid::Uuid;

#[component]
pub fn NewTaskPage() -> impl IntoView {
    let c = ctx();
    view! {
        <Show when=move || c.can(Resource::Tasks, Action::Create) fallback=not_allowed>
            <TaskForm initial=None/>
        </Show>
    }
}

#[component]
pub fn TaskPage() -> impl IntoView {
    edit_page(
        api::task_for_edit,
        |loaded| view! { <TaskForm initial=Some(loaded)/> },
    )
}

fn pick_kind(t: TaskRecordType) -> PickKind {
    match t {
        TaskRecordType::Organisation => PickKind::Organisation,
        TaskRecordType::Person => PickKind::Person,
        TaskRecordType::Mandate => PickKind::Mandate,
    }
}

/// The page of the record a task is about.
fn record_href(t: TaskRecordType, id: Uuid) -> String {
    match t {
        TaskRecordType::Organisation => format!("/organisations/{id}"),
        TaskRecordType::Person => format!("/people/{id}"),
        TaskRecordType::Mandate => format!("/mandates/{id}"),
    }
}

#[component]
fn TaskForm(initial: Option<(TaskOut, String)>) -> impl IntoView {
    let c = ctx();
    let navigate = use_navigate();
    let query = use_query_map();
    let editing = initial.is_some();
    let original = RwSignal::new(initial);
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let priority = RwSignal::new(TaskPriority::Normal.code().to_owned());
    let status = RwSignal::new(TaskStatus::Todo.code().to_owned());
    let assignee = RwSignal::new(String::new());
    let record_type = RwSignal::new(String::new());
    let record_id = RwSignal::new(None::<Uuid>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);
    let users = LocalResource::new(api::users);
    let fill = move |t: &TaskOut| {
        title.set(t.title.clone());
        description.set(t.description.clone().unwrap_or_default());
        due.set(t.due_at.map(utc_to_local).unwrap_or_default());
        priority.set(t.priority.code().to_owned());
        status.set(t.status.code().to_owned());
        assignee.set(t.assignee_id.map(|u| u.to_string()).unwrap_or_default());
        record_type.set(
            t.record_type
                .map(|r| r.code().to_owned())
                .unwrap_or_default(),
        );
        record_id.set(t.record_id);
    };
    match original.get_untracked() {
        Some((t, _)) => fill(&t),
        None => {
            assignee.set(
                c.me.with_untracked(|m| m.as_ref().map(|m| m.id.to_string()))
                    .unwrap_or_default(),
            );
            query.with_untracked(|q| {
                if let Some(t) = q
                    .get("record_type")
                    .and_then(|s| TaskRecordType::from_code(&s))
                {
                    record_type.set(t.code().to_owned());
                    record_id.set(q.get("record_id").and_then(|s| s.parse().ok()));
                }
            });
        }
    }
    // Another kind of record: the previous choice means nothing there.
    let on_type = move |ev: leptos::ev::Event| {
        record_type.set(event_target_value(&ev));
        record_id.set(None);
    };
    let can_write = move || {
        let action = if editing {
            Action::Update
        } else {
            Action::Create
        };
        c.can(Resource::Tasks, action)
    };
    let priorities = Signal::derive(|| {
        TaskPriority::ALL
            .iter()
            .map(|p| (p.code().to_owned(), format!("task.priorities.{}", p.code())))
            .collect::<Vec<_>>()
    });
    let statuses = Signal::derive(|| {
        TaskStatus::ALL
            .iter()
            .map(|s| (s.code().to_owned(), format!("task.statuses.{}", s.code())))
            .collect::<Vec<_>>()
    });
    let submit = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if busy.get_untracked() {
                return;
            }
            let raw = due.get_untracked();
            let due_at = if raw.trim().is_empty() {
                None
            } else {
                match local_to_utc(&raw) {
                    Some(at) => Some(at),
                    None => {
                        error.set(Some(local_error("due_at", "invalid_date")));
                        return;
                    }
                }
            };
            let kind = TaskRecordType::from_code(&record_type.get_untracked());
            let linked = kind.and(record_id.get_untracked());
            if kind.is_some() && linked.is_none() {
                error.set(Some(local_error("record_id", "required")));
                return;
            }
            let input = TaskIn {
                title: title.get_untracked().trim().to_owned(),
                description: text(description),
                due_at,
                priority: TaskPriority::from_code(&priority.get_untracked()),
                status: TaskStatus::from_code(&status.get_untracked()),
                assignee_id: assignee.get_untracked().parse().ok(),
                record_type: kind,
                record_id: linked,
            };
            busy.set(true);
            error.set(None);
            let navigate = navigate.clone();
            let before = original.get_untracked();
            spawn_local(async move {
                match before {
                    Some((before, etag)) => {
                        let changes = edit::task_patch(&before, &input);
                        let outcome = if changes.is_empty() {
                            Ok((before.clone(), etag))
                        } else {
                            api::update_task(before.id, &changes, &etag).await
                        };
                        match outcome {
                            Ok(saved) => {
                                c.toast(
                                    c.ta("task_form.saved", &[("title", &saved.0.title)]),
                                    false,
                                );
                                fill(&saved.0);
                                original.set(Some(saved));
                            }
                            Err(e) => error.set(Some(e)),
                        }
                    }
                    None => {
                        let key = Uuid::new_v4().to_string();
                        match api::create_task(&input, &key).await {
                            Ok(t) => {
                                c.toast(c.ta("task_form.created", &[("title", &t.title)]), false);
                                navigate(&format!("/tasks/{}", t.id), NavigateOptions::default());
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
        let Some((t, _)) = original.get_untracked() else {
            return;
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::delete_task(t.id).await {
                Ok(()) => {
                    c.toast(c.ta("task_form.deleted", &[("title", &t.title)]), false);
                    navigate("/tasks", NavigateOptions::default());
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    });
    let heading = move || {
        original.with(|o| match o {
            Some((t, _)) => t.title.clone(),
            None => c.t("task_form.new_title"),
        })
    };
    let linked_record = move || {
        original.with(|o| {
            o.as_ref().and_then(|(t, _)| match (t.record_type, t.record_id) {
                (Some(k), Some(id)) => Some(view! {
                    <a href=record_href(k, id) id="task-record-link">{tr("task_form.open_record")}</a>
                }),
                _ => None,
            })
        })
    };
    let picker = move || {
        TaskRecordType::from_code(&record_type.get()).map(|t| {
            view! {
                <RecordPicker
                    id="task-record"
                    field="record_id"
                    label="task_form.record"
                    kind=pick_kind(t)
                    value=record_id
                    error=error
                    none="mandate_form.choose"
                    required=true
                />
            }
        })
    };
    view! {
        <div class="page-head">
            <div>
                <p class="crumbs">
                    <a href="/tasks">{tr("tasks.title")}</a>
                    " "
                    {linked_record}
                </p>
                <h1 id="task-heading">{heading}</h1>
            </div>
            <Show when=move || editing && c.can(Resource::Tasks, Action::Delete)>
                <div class="head-actions">
                    <button
                        type="button"
                        class="btn danger"
                        id="task-delete"
                        on:click=move |_| confirm_delete.set(true)
                    >
                        {tr("common.delete")}
                    </button>
                </div>
            </Show>
        </div>
        <ConfirmDialog
            open=confirm_delete
            title="task_form.delete_title"
            text=Signal::derive(move || c.t("task_form.delete_text"))
            confirm="common.delete"
            on_confirm=delete
        />
        <form class="card" id="task-form" on:submit=submit novalidate>
            <fieldset class="form-grid plain" disabled=move || !can_write()>
                <legend class="sr-only">{heading}</legend>
                <ErrorAlert error=error/>
                <TextField id="task-title" field="title" label="task.title" value=title error=error required=true wide=true/>
                <TextField id="task-due" field="due_at" label="task.due_at" value=due error=error kind="datetime-local"/>
                <div class="field">
                    <label for="task-assignee">{tr("task_form.assignee")}</label>
                    <select
                        id="task-assignee"
                        on:change=move |ev| assignee.set(event_target_value(&ev))
                        prop:value=move || assignee.get()
                        aria-describedby="task-assignee-error"
                    >
                        <option value="" selected=move || assignee.get().is_empty()>{tr("task_form.unassigned")}</option>
                        {move || {
                            users
                                .get()
                                .and_then(|r| r.ok())
                                .map(|p| p.items)
                                .unwrap_or_default()
                                .into_iter()
                                .filter(|u| u.active || assignee.get_untracked() == u.id.to_string())
                                .map(|u| {
                                    let id = u.id.to_string();
                                    let sel = id.clone();
                                    view! { <option value=id selected=move || assignee.get() == sel>{u.full_name}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                    <p class="field-error" id="task-assignee-error">
                        {move || error.with(|e| e.as_ref().and_then(|e| e.field_message(c.lang.get(), "assignee_id")))}
                    </p>
                </div>
                <ChoiceField id="task-priority" field="priority" label="task.priority" value=priority error=error choices=priorities/>
                <ChoiceField id="task-status" field="status" label="task.status" value=status error=error choices=statuses/>
                <div class="field">
                    <label for="task-record-type">{tr("task_form.record_type")}</label>
                    <select id="task-record-type" on:change=on_type prop:value=move || record_type.get()>
                        <option value="" selected=move || record_type.get().is_empty()>{tr("common.none")}</option>
                        {TaskRecordType::ALL
                            .iter()
                            .map(|t| {
                                let code = t.code();
                                view! {
                                    <option value=code selected=move || record_type.get() == code>
                                        {tr(match t {
                                            TaskRecordType::Organisation => "task_form.type.organisation",
                                            TaskRecordType::Person => "task_form.type.person",
                                            TaskRecordType::Mandate => "task_form.type.mandate",
                                        })}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                {picker}
                <TextArea id="task-description" field="description" label="task_form.description" value=description error=error/>
                <Show when=can_write>
                    <div class="form-actions span-2">
                        <a class="btn" href="/tasks">{tr("common.cancel")}</a>
                        <button type="submit" class="btn primary" id="task-submit" disabled=busy>
                            {if editing { tr("common.save") } else { tr("common.create") }}
                        </button>
                    </div>
                </Show>
            </fieldset>
        </form>
    }
}
