//! Tasks: mine (open), overdue, or all I may see; each open task can be marked done, and
//! each opens its page (the edit form, where it is also assigned).

use crate::api;
use crate::app::{ctx, tr};
use crate::format;
use crate::i18n::{self, Lang};
use crate::widgets::{load_failed, loading};
use leptos::prelude::*;
use leptos::task::spawn_local;
use relais_domain::access::{Action, Resource};
use relais_domain::tasks::{TaskRecordType, TaskStatus};
use relais_types::{TaskBulkAction, TaskOut};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum View {
    Mine,
    Overdue,
    All,
}

impl View {
    const ALL: [View; 3] = [View::Mine, View::Overdue, View::All];

    fn query(self) -> &'static str {
        match self {
            View::Mine => "mine=true&status=todo,in_progress&limit=100",
            View::Overdue => "overdue=true&limit=100",
            View::All => "limit=100",
        }
    }

    fn label(self) -> &'static str {
        match self {
            View::Mine => "tasks.mine",
            View::Overdue => "tasks.overdue",
            View::All => "tasks.all",
        }
    }

    fn id(self) -> &'static str {
        match self {
            View::Mine => "tasks-mine",
            View::Overdue => "tasks-overdue",
            View::All => "tasks-all",
        }
    }
}

fn label(lang: Lang, prefix: &str, code: &str) -> String {
    i18n::t(lang, &format!("{prefix}{code}"))
}

#[component]
pub fn TasksPage() -> impl IntoView {
    let c = ctx();
    let view_sel = RwSignal::new(View::Mine);
    let tasks = LocalResource::new(move || {
        let q = view_sel.get().query();
        async move { api::tasks(q).await }
    });
    let can_update = move || c.can(Resource::Tasks, Action::Update);
    let complete = move |t: TaskOut| {
        spawn_local(async move {
            let action = TaskBulkAction::Complete { ids: vec![t.id] };
            match api::bulk_tasks(&action).await {
                Ok(_) => {
                    c.toast(c.ta("tasks.completed", &[("title", &t.title)]), false);
                    tasks.refetch();
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    };
    let row = move |t: TaskOut| {
        let lang = c.lang.get();
        let link = match (t.record_type, t.record_id) {
            (Some(TaskRecordType::Organisation), Some(id)) => Some(
                view! {
                    <a href=format!("/organisations/{id}")>{tr("tasks.open_record")}</a>
                }
                .into_any(),
            ),
            (Some(TaskRecordType::Person), Some(id)) => Some(
                view! {
                    <a href=format!("/people/{id}")>{tr("task_form.open_record")}</a>
                }
                .into_any(),
            ),
            (Some(TaskRecordType::Mandate), Some(id)) => Some(
                view! {
                    <a href=format!("/mandates/{id}")>{tr("task_form.open_record")}</a>
                }
                .into_any(),
            ),
            _ => None,
        };
        let open = !matches!(t.status, TaskStatus::Done | TaskStatus::Cancelled);
        let done_label = c.ta("tasks.complete_one", &[("title", &t.title)]);
        let task = t.clone();
        view! {
            <tr>
                <td>
                    <a class="row-link" href=format!("/tasks/{}", t.id)>{t.title.clone()}</a>
                    {t.description.clone().map(|d| view! { <p class="muted small">{d}</p> })}
                </td>
                <td>{link}</td>
                <td>{label(lang, "task.statuses.", t.status.code())}</td>
                <td>{label(lang, "task.priorities.", t.priority.code())}</td>
                <td class="nowrap">
                    {t.due_at.map(|d| format::date(lang, d, c.tz_offset)).unwrap_or_default()}
                    {t.overdue.then(|| view! { <span class="badge overdue">{tr("task.overdue")}</span> })}
                </td>
                <td>
                    {(open && can_update())
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="btn small"
                                    aria-label=done_label
                                    on:click=move |_| complete(task.clone())
                                >
                                    {tr("tasks.complete")}
                                </button>
                            }
                        })}
                </td>
            </tr>
        }
    };
    view! {
        <div class="page-head">
            <h1>{tr("tasks.title")}</h1>
            <Show when=move || c.can(Resource::Tasks, Action::Create)>
                <a class="btn primary" id="task-new" href="/tasks/new">{tr("task_form.new")}</a>
            </Show>
        </div>
        <div class="segmented" role="group" aria-label=tr("tasks.views")>
            {View::ALL
                .iter()
                .map(|v| {
                    let v = *v;
                    view! {
                        <button
                            type="button"
                            id=v.id()
                            class="btn"
                            aria-pressed=move || (view_sel.get() == v).to_string()
                            on:click=move |_| view_sel.set(v)
                        >
                            {tr(v.label())}
                        </button>
                    }
                })
                .collect_view()}
        </div>
        <Transition fallback=loading>
            <ErrorBoundary fallback=move |e| load_failed(e, Some(Callback::new(move |()| tasks.refetch())))>
                {move || {
                    tasks
                        .get()
                        .map(|r| {
                            r.map(|p| {
                                if p.items.is_empty() {
                                    return view! { <p class="empty" id="tasks-empty">{tr("tasks.empty")}</p> }
                                        .into_any();
                                }
                                view! {
                                    <div class="table-wrap">
                                        <table class="data" id="tasks-table">
                                            <thead>
                                                <tr>
                                                    <th scope="col">{tr("task.title")}</th>
                                                    <th scope="col">{tr("tasks.record")}</th>
                                                    <th scope="col">{tr("task.status")}</th>
                                                    <th scope="col">{tr("task.priority")}</th>
                                                    <th scope="col">{tr("task.due_at")}</th>
                                                    <th scope="col">
                                                        <span class="sr-only">{tr("tasks.actions")}</span>
                                                    </th>
                                                </tr>
                                            </thead>
                                            <tbody>{p.items.into_iter().map(row).collect_view()}</tbody>
                                        </table>
                                    </div>
                                }
                                    .into_any()
                            })
                        })
                }}
            </ErrorBoundary>
        </Transition>
    }
}
