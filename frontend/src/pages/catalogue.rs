//! The firm-wide lists of products and mandates: searchable, filtered, in pages; each row
//! opens the record's page (its edit form, read only without the right to change it).

use crate::api;
use crate::app::{ctx, tr};
use crate::format;
use crate::i18n;
use crate::state::encode;
use crate::widgets::{load_failed, loading};
use leptos::prelude::*;
use relais_domain::access::{Action, Resource};
use relais_domain::crm::Category;
use relais_domain::mandates::MandateStatus;
use relais_types::{MandateOut, Page, ProductOut};

const PAGE_SIZE: u32 = 25;

/// Search text, one filter and the cursors of the pages before the current one.
#[derive(Clone, Default, PartialEq)]
struct Query {
    q: String,
    filter: String,
    cursors: Vec<String>,
}

impl Query {
    fn to_query(&self, filter_name: &str, sort: &str) -> String {
        let mut out = format!("limit={PAGE_SIZE}&sort={sort}");
        if !self.q.is_empty() {
            out += &format!("&q={}", encode(&self.q));
        }
        if !self.filter.is_empty() {
            out += &format!("&{filter_name}={}", encode(&self.filter));
        }
        if let Some(c) = self.cursors.last() {
            out += &format!("&cursor={}", encode(c));
        }
        out
    }
}

fn pager(query: RwSignal<Query>, next: Option<String>) -> impl IntoView {
    let c = ctx();
    view! {
        <nav class="pager" aria-label=tr("list.pagination")>
            <button
                type="button"
                class="btn"
                disabled=move || query.with(|q| q.cursors.is_empty())
                on:click=move |_| query.update(|q| {
                    q.cursors.pop();
                })
            >
                {tr("list.previous")}
            </button>
            <span>
                {move || c.ta("list.page", &[("n", &query.with(|q| q.cursors.len() + 1).to_string())])}
            </span>
            <button
                type="button"
                class="btn"
                disabled=next.is_none()
                on:click=move |_| {
                    if let Some(n) = next.clone() {
                        query.update(|q| q.cursors.push(n));
                    }
                }
            >
                {tr("list.next")}
            </button>
        </nav>
    }
}

/// Search box and one select; any change goes back to the first page.
fn filters(
    query: RwSignal<Query>,
    search_label: &'static str,
    filter_label: &'static str,
    options: Vec<(&'static str, String)>,
) -> impl IntoView {
    view! {
        <form class="filters two" role="search" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="list-q">{tr(search_label)}</label>
                <input
                    id="list-q"
                    type="search"
                    on:change=move |ev| query.update(|q| {
                        q.q = event_target_value(&ev).trim().to_owned();
                        q.cursors.clear();
                    })
                />
            </div>
            <div class="field">
                <label for="list-filter">{tr(filter_label)}</label>
                <select
                    id="list-filter"
                    on:change=move |ev| query.update(|q| {
                        q.filter = event_target_value(&ev);
                        q.cursors.clear();
                    })
                >
                    <option value="">{tr("list.all")}</option>
                    {options
                        .into_iter()
                        .map(|(code, label)| view! { <option value=code>{label}</option> })
                        .collect_view()}
                </select>
            </div>
        </form>
    }
}

#[component]
pub fn ProductsPage() -> impl IntoView {
    let c = ctx();
    let query = RwSignal::new(Query::default());
    let products = LocalResource::new(move || {
        let q = query.with(|q| q.to_query("category", "name"));
        async move { api::products(&q).await }
    });
    let lang = c.lang.get_untracked();
    let options = Category::ALL
        .iter()
        .map(|k| {
            (
                k.code(),
                i18n::t(lang, &format!("org.category.{}", k.code())),
            )
        })
        .collect();
    let table = move |p: Page<ProductOut>| {
        let lang = c.lang.get();
        if p.items.is_empty() {
            return view! { <p class="empty" id="products-empty">{tr("products.empty")}</p> }
                .into_any();
        }
        let next = p.next_cursor.clone();
        let rows = p
            .items
            .into_iter()
            .map(|x| {
                view! {
                    <tr>
                        <td>
                            <a class="row-link" href=format!("/products/{}", x.id)>{x.name}</a>
                        </td>
                        <td><code>{x.code}</code>{x.is_isin.then(|| view! { <span class="badge">"ISIN"</span> })}</td>
                        <td>
                            {x.category
                                .map(|k| i18n::t(lang, &format!("org.category.{}", k.code())))
                                .unwrap_or_default()}
                        </td>
                        <td>
                            {if x.active { tr("admin.status.active") } else { tr("org.inactive") }}
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="data" id="products-table">
                    <thead>
                        <tr>
                            <th scope="col">{tr("org.field.name")}</th>
                            <th scope="col">{tr("products.code")}</th>
                            <th scope="col">{tr("org.field.category")}</th>
                            <th scope="col">{tr("admin.status")}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {pager(query, next)}
        }
        .into_any()
    };
    view! {
        <div class="page-head">
            <h1>{tr("products.title")}</h1>
            <Show when=move || c.can(Resource::Products, Action::Create)>
                <a class="btn primary" id="product-new" href="/products/new">{tr("product_form.new")}</a>
            </Show>
        </div>
        {filters(query, "products.search", "org.field.category", options)}
        <Transition fallback=loading>
            <ErrorBoundary fallback=move |e| load_failed(e, Some(Callback::new(move |()| products.refetch())))>
                {move || products.get().map(|r| r.map(table))}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
pub fn MandatesPage() -> impl IntoView {
    let c = ctx();
    let query = RwSignal::new(Query::default());
    let mandates = LocalResource::new(move || {
        let q = query.with(|q| q.to_query("status", "-created_at"));
        async move { api::mandates(&q).await }
    });
    let lang = c.lang.get_untracked();
    let options = MandateStatus::ALL
        .iter()
        .map(|s| {
            (
                s.code(),
                i18n::t(lang, &format!("mandate.state.{}", s.code())),
            )
        })
        .collect();
    let table = move |p: Page<MandateOut>| {
        let lang = c.lang.get();
        if p.items.is_empty() {
            return view! { <p class="empty" id="mandates-empty">{tr("mandates.empty")}</p> }
                .into_any();
        }
        let next = p.next_cursor.clone();
        let rows = p
            .items
            .into_iter()
            .map(|m| {
                view! {
                    <tr>
                        <td class="nowrap">
                            <a class="row-link" href=format!("/mandates/{}", m.id)>{m.number}</a>
                        </td>
                        <td>
                            <a href=format!("/organisations/{}", m.organisation_id)>
                                {tr("tasks.open_record")}
                            </a>
                        </td>
                        <td>
                            <span class="badge">
                                {i18n::t(lang, &format!("mandate.state.{}", m.status.code()))}
                            </span>
                        </td>
                        <td class="num">{m.amount.map(|a| format::amount(lang, a)).unwrap_or_default()}</td>
                        <td class="nowrap">
                            {m.signed_at.map(|d| format::date(lang, d, c.tz_offset)).unwrap_or_default()}
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="data" id="mandates-table">
                    <thead>
                        <tr>
                            <th scope="col">{tr("mandate.number")}</th>
                            <th scope="col">{tr("nav.organisations")}</th>
                            <th scope="col">{tr("mandate.status")}</th>
                            <th scope="col" class="num">{tr("mandate.amount")}</th>
                            <th scope="col">{tr("mandate.signed_at")}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {pager(query, next)}
        }
        .into_any()
    };
    view! {
        <div class="page-head">
            <h1>{tr("mandates.title")}</h1>
            <Show when=move || c.can(Resource::Mandates, Action::Create)>
                <a class="btn primary" id="mandate-new" href="/mandates/new">{tr("mandate_form.new")}</a>
            </Show>
        </div>
        {filters(query, "mandates.search", "mandate.status", options)}
        <Transition fallback=loading>
            <ErrorBoundary fallback=move |e| load_failed(e, Some(Callback::new(move |()| mandates.refetch())))>
                {move || mandates.get().map(|r| r.map(table))}
            </ErrorBoundary>
        </Transition>
    }
}
