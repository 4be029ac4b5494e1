//! The trash: deleted records of each type, restorable for 30 days, or erased for good after
//! a confirmation. Shown to those who may manage a record type (the server decides each call).

use crate::api;
use crate::app::{ctx, tr};
use crate::components::ConfirmDialog;
use crate::format;
use crate::trash::{self, TrashItem};
use crate::widgets::{load_failed, loading, not_allowed};
use leptos::prelude::*;
use leptos::task::spawn_local;
use relais_types::Page;

const PAGE_SIZE: u32 = 50;

/// Whether the trash entry belongs in the menu.
pub fn visible() -> bool {
    let c = ctx();
    c.me.with(|m| {
        m.as_ref()
            .is_some_and(|m| !trash::visible_kinds(&m.grants).is_empty())
    })
}

#[component]
pub fn TrashPage() -> impl IntoView {
    let c = ctx();
    let kinds = c.me.with_untracked(|m| {
        m.as_ref()
            .map(|m| trash::visible_kinds(&m.grants))
            .unwrap_or_default()
    });
    if kinds.is_empty() {
        return not_allowed().into_any();
    }
    let kind = RwSignal::new(kinds[0]);
    let cursors = RwSignal::new(Vec::<String>::new());
    let page = LocalResource::new(move || {
        let k = kind.get();
        let q = k.query(PAGE_SIZE, cursors.get().last().map(String::as_str));
        async move { api::trash(k.path(), &q).await }
    });
    let retry = Callback::new(move |()| page.refetch());
    let target = RwSignal::new(None::<TrashItem>);
    let confirm_purge = RwSignal::new(false);
    let restore = move |it: TrashItem| {
        let k = kind.get_untracked();
        spawn_local(async move {
            match api::restore(k.path(), it.id).await {
                Ok(()) => {
                    c.toast(c.ta("trash.restored", &[("name", &it.label)]), false);
                    page.refetch();
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    };
    let purge = Callback::new(move |()| {
        let Some(it) = target.get_untracked() else {
            return;
        };
        let k = kind.get_untracked();
        spawn_local(async move {
            match api::purge(k.path(), it.id).await {
                Ok(()) => {
                    c.toast(c.ta("trash.purged", &[("name", &it.label)]), false);
                    page.refetch();
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    });
    let table = move |p: Page<serde_json::Value>| {
        let lang = c.lang.get();
        let k = kind.get_untracked();
        let items: Vec<TrashItem> = p.items.iter().filter_map(|v| trash::item(k, v)).collect();
        if items.is_empty() {
            return view! { <p class="empty" id="trash-empty">{tr("trash.empty")}</p> }.into_any();
        }
        let now = crate::widgets::now();
        let next = p.next_cursor.clone();
        let rows = items
            .into_iter()
            .map(|it| {
                let restore_label = c.ta("trash.restore_one", &[("name", &it.label)]);
                let purge_label = c.ta("trash.purge_one", &[("name", &it.label)]);
                let left = it
                    .deleted_at
                    .map(|d| trash::days_left(d, now).to_string())
                    .unwrap_or_default();
                let for_restore = it.clone();
                let for_purge = it.clone();
                view! {
                    <tr>
                        <td>
                            <span class="task-title">{it.label.clone()}</span>
                            {it.detail.clone().map(|d| view! { <p class="muted small">{d}</p> })}
                        </td>
                        <td class="nowrap">
                            {it.deleted_at.map(|d| format::date_time(lang, d, c.tz_offset)).unwrap_or_default()}
                        </td>
                        <td class="num">{left}</td>
                        <td class="nowrap">
                            <button
                                type="button"
                                class="btn small"
                                aria-label=restore_label
                                on:click=move |_| restore(for_restore.clone())
                            >
                                {tr("trash.restore")}
                            </button>
                            " "
                            <button
                                type="button"
                                class="btn small danger"
                                aria-label=purge_label
                                on:click=move |_| {
                                    target.set(Some(for_purge.clone()));
                                    confirm_purge.set(true);
                                }
                            >
                                {tr("trash.purge")}
                            </button>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="data" id="trash-table">
                    <caption class="sr-only">{move || c.t(kind.get().label())}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{tr("trash.record")}</th>
                            <th scope="col">{tr("trash.deleted_at")}</th>
                            <th scope="col" class="num">{tr("trash.days_left")}</th>
                            <th scope="col"><span class="sr-only">{tr("tasks.actions")}</span></th>
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
            <div>
                <h1>{tr("trash.title")}</h1>
                <p class="muted">{tr("trash.intro")}</p>
            </div>
        </div>
        <div class="segmented" role="group" aria-label=tr("trash.kinds")>
            {kinds
                .into_iter()
                .map(|k| {
                    view! {
                        <button
                            type="button"
                            class="btn"
                            id=format!("trash-{}", k.path())
                            aria-pressed=move || (kind.get() == k).to_string()
                            on:click=move |_| {
                                cursors.set(Vec::new());
                                kind.set(k);
                            }
                        >
                            {tr(k.label())}
                        </button>
                    }
                })
                .collect_view()}
        </div>
        <ConfirmDialog
            open=confirm_purge
            title="trash.purge_title"
            text=Signal::derive(move || {
                let name = target.with(|t| t.as_ref().map(|i| i.label.clone()).unwrap_or_default());
                c.ta("trash.purge_text", &[("name", &name)])
            })
            confirm="trash.purge"
            on_confirm=purge
        />
        <Transition fallback=loading>
            <ErrorBoundary fallback=move |e| load_failed(e, Some(retry))>
                {move || page.get().map(|r| r.map(table))}
            </ErrorBoundary>
        </Transition>
    }
    .into_any()
}
