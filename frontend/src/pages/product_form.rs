//! A product's page: the creation form, or the edit form (read only without the right to
//! change products).

use crate::api;
use crate::app::{ctx, tr};
use crate::components::{ConfirmDialog, ErrorAlert};
use crate::edit;
use crate::problem::ApiError;
use crate::widgets::edit_page;
use crate::widgets::{ChoiceField, TextArea, TextField, not_allowed, text};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::{NavigateOptions, hooks::use_navigate};
use relais_domain::access::{Action, Resource};
use relais_domain::crm::Category;
use relais_types::{ProductIn, ProductOut};
use uuid::Uuid;

#[component]
pub fn NewProductPage() -> impl IntoView {
    let c = ctx();
    view! {
        <Show when=move || c.can(Resource::Products, Action::Create) fallback=not_allowed>
            <ProductForm initial=None/>
        </Show>
    }
}

#[component]
pub fn ProductPage() -> impl IntoView {
    edit_page(
        api::product_for_edit,
        |loaded| view! { <ProductForm initial=Some(loaded)/> },
    )
}

#[component]
fn ProductForm(initial: Option<(ProductOut, String)>) -> impl IntoView {
    let c = ctx();
    let navigate = use_navigate();
    let editing = initial.is_some();
    let original = RwSignal::new(initial);
    let name = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let active = RwSignal::new(true);
    let notes = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);
    let fill = move |p: &ProductOut| {
        name.set(p.name.clone());
        code.set(p.code.clone());
        category.set(p.category.map(|k| k.code().to_owned()).unwrap_or_default());
        active.set(p.active);
        notes.set(p.notes.clone().unwrap_or_default());
    };
    if let Some((p, _)) = original.get_untracked() {
        fill(&p);
    }
    let can_write = move || {
        let action = if editing {
            Action::Update
        } else {
            Action::Create
        };
        c.can(Resource::Products, action)
    };
    let categories = Signal::derive(|| {
        Category::ALL
            .iter()
            .map(|k| (k.code().to_owned(), format!("org.category.{}", k.code())))
            .collect::<Vec<_>>()
    });

    let submit = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if busy.get_untracked() {
                return;
            }
            let input = ProductIn {
                name: name.get_untracked().trim().to_owned(),
                code: code.get_untracked().trim().to_owned(),
                category: Category::from_code(&category.get_untracked()),
                active: Some(active.get_untracked()),
                notes: text(notes),
            };
            busy.set(true);
            error.set(None);
            let navigate = navigate.clone();
            spawn_local(async move {
                match original.get_untracked() {
                    Some((before, etag)) => {
                        let changes = edit::product_patch(&before, &input);
                        let outcome = if changes.is_empty() {
                            Ok((before.clone(), etag))
                        } else {
                            api::update_product(before.id, &changes, &etag).await
                        };
                        match outcome {
                            Ok(saved) => {
                                c.toast(
                                    c.ta("product_form.saved", &[("name", &saved.0.name)]),
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
                        match api::create_product(&input, &key).await {
                            Ok(p) => {
                                c.toast(c.ta("product_form.created", &[("name", &p.name)]), false);
                                navigate(
                                    &format!("/products/{}", p.id),
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
        let Some((p, _)) = original.get_untracked() else {
            return;
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::delete_product(p.id).await {
                Ok(()) => {
                    c.toast(c.ta("product_form.deleted", &[("name", &p.name)]), false);
                    navigate("/products", NavigateOptions::default());
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    });
    let title = move || {
        original.with(|o| match o {
            Some((p, _)) => p.name.clone(),
            None => c.t("product_form.new_title"),
        })
    };
    view! {
        <div class="page-head">
            <div>
                <p class="crumbs"><a href="/products">{tr("products.title")}</a></p>
                <h1 id="product-title">{title}</h1>
            </div>
            <Show when=move || editing && c.can(Resource::Products, Action::Delete)>
                <div class="head-actions">
                    <button
                        type="button"
                        class="btn danger"
                        id="product-delete"
                        on:click=move |_| confirm_delete.set(true)
                    >
                        {tr("common.delete")}
                    </button>
                </div>
            </Show>
        </div>
        <ConfirmDialog
            open=confirm_delete
            title="product_form.delete_title"
            text=Signal::derive(move || c.t("product_form.delete_text"))
            confirm="common.delete"
            on_confirm=delete
        />
        <form class="card" id="product-form" on:submit=submit novalidate>
            <fieldset class="form-grid plain" disabled=move || !can_write()>
                <legend class="sr-only">{title}</legend>
                <ErrorAlert error=error/>
                <TextField id="product-name" field="name" label="org.field.name" value=name error=error required=true/>
                <TextField
                    id="product-code"
                    field="code"
                    label="products.code"
                    value=code
                    error=error
                    required=true
                    help="product_form.code_help"
                />
                <ChoiceField
                    id="product-category"
                    field="category"
                    label="org.field.category"
                    value=category
                    error=error
                    choices=categories
                    none="common.none"
                />
                <div class="field checkbox">
                    <label>
                        <input type="checkbox" id="product-active" bind:checked=active/>
                        {tr("product_form.active")}
                    </label>
                </div>
                <TextArea id="product-notes" field="notes" label="org.field.notes" value=notes error=error/>
                <Show when=can_write>
                    <div class="form-actions span-2">
                        <a class="btn" href="/products">{tr("common.cancel")}</a>
                        <button type="submit" class="btn primary" id="product-submit" disabled=busy>
                            {if editing { tr("common.save") } else { tr("common.create") }}
                        </button>
                    </div>
                </Show>
            </fieldset>
        </form>
    }
}
