//! A mandate's page: the creation form, or the edit form of an existing mandate with its
//! covered products and the status flow (only the moves the flow allows are offered). Read
//! only for those who may not change mandates.

use crate::api;
use crate::app::{ctx, tr};
use crate::components::{ConfirmDialog, ErrorAlert};
use crate::edit;
use crate::format;
use crate::problem::ApiError;
use crate::widgets::{
    ChoiceField, PickKind, RecordPicker, TextArea, TextField, local_error, not_allowed, text,
};
use crate::widgets::{edit_page, loading};
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_query_map},
};
use relais_domain::access::{Action, Resource};
use relais_domain::mandates::MandateStatus;
use relais_types::{MandateIn, MandateOut};
use uuid::Uuid;

#[component]
pub fn NewMandatePage() -> impl IntoView {
    let c = ctx();
    view! {
        <Show when=move || c.can(Resource::Mandates, Action::Create) fallback=not_allowed>
            <MandateForm initial=None/>
        </Show>
    }
}

#[component]
pub fn MandatePage() -> impl IntoView {
    edit_page(
        api::mandate_for_edit,
        |loaded| view! { <MandateForm initial=Some(loaded)/> },
    )
}

fn date(s: RwSignal<String>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.get_untracked().trim(), "%Y-%m-%d").ok()
}

#[component]
fn MandateForm(initial: Option<(MandateOut, String)>) -> impl IntoView {
    let c = ctx();
    let navigate = use_navigate();
    let query = use_query_map();
    let editing = initial.is_some();
    let original = RwSignal::new(initial);
    let number = RwSignal::new(String::new());
    let organisation = RwSignal::new(None::<Uuid>);
    let status = RwSignal::new(MandateStatus::Draft.code().to_owned());
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let products = RwSignal::new(Vec::<Uuid>::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);

    // The fields show the record as loaded (and again after each save).
    let fill = move |m: &MandateOut| {
        let lang = c.lang.get_untracked();
        number.set(m.number.clone());
        organisation.set(Some(m.organisation_id));
        status.set(m.status.code().to_owned());
        start.set(m.start_date.map(|d| d.to_string()).unwrap_or_default());
        end.set(m.end_date.map(|d| d.to_string()).unwrap_or_default());
        amount.set(
            m.amount
                .map(|a| format::number(lang, a, 2))
                .unwrap_or_default(),
        );
        notes.set(m.notes.clone().unwrap_or_default());
        products.set(m.product_ids.clone());
    };
    match original.get_untracked() {
        Some((m, _)) => fill(&m),
        None => organisation.set(
            query.with_untracked(|q| q.get("organisation").and_then(|s| s.parse::<Uuid>().ok())),
        ),
    }
    let can_write = move || {
        if editing {
            c.can(Resource::Mandates, Action::Update)
        } else {
            c.can(Resource::Mandates, Action::Create)
        }
    };
    let catalogue = LocalResource::new(|| api::products("limit=200&sort=name"));
    let status_choices = Signal::derive(move || {
        let current = original.with(|o| o.as_ref().map(|(m, _)| m.status));
        edit::mandate_status_choices(current)
            .into_iter()
            .map(|s| (s.code().to_owned(), format!("mandate.state.{}", s.code())))
            .collect::<Vec<_>>()
    });

    let submit = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if busy.get_untracked() {
                return;
            }
            let lang = c.lang.get_untracked();
            let Some(organisation_id) = organisation.get_untracked() else {
                error.set(Some(local_error("organisation_id", "required")));
                return;
            };
            let amount = match text(amount) {
                None => None,
                Some(raw) => match format::parse_amount(lang, &raw) {
                    Some(v) => Some(v),
                    None => {
                        error.set(Some(local_error("amount", "invalid_amount")));
                        return;
                    }
                },
            };
            let input = MandateIn {
                number: text(number),
                organisation_id,
                status: MandateStatus::from_code(&status.get_untracked()),
                signed_at: None,
                start_date: date(start),
                end_date: date(end),
                amount,
                owner_id: None,
                notes: text(notes),
                product_ids: products.get_untracked(),
            };
            busy.set(true);
            error.set(None);
            let navigate = navigate.clone();
            match original.get_untracked() {
                Some((before, etag)) => spawn_local(async move {
                    match save(&before, &etag, &input).await {
                        Ok(saved) => {
                            c.toast(
                                c.ta("mandate_form.saved", &[("number", &saved.0.number)]),
                                false,
                            );
                            fill(&saved.0);
                            original.set(Some(saved));
                        }
                        Err(e) => error.set(Some(e)),
                    }
                    busy.set(false);
                }),
                None => {
                    let key = Uuid::new_v4().to_string();
                    spawn_local(async move {
                        match api::create_mandate(&input, &key).await {
                            Ok(m) => {
                                c.toast(
                                    c.ta("mandate_form.created", &[("number", &m.number)]),
                                    false,
                                );
                                navigate(
                                    &format!("/mandates/{}", m.id),
                                    NavigateOptions::default(),
                                );
                            }
                            Err(e) => error.set(Some(e)),
                        }
                        busy.set(false);
                    });
                }
            }
        }
    };
    let delete = Callback::new(move |()| {
        let Some((m, _)) = original.get_untracked() else {
            return;
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::delete_mandate(m.id).await {
                Ok(()) => {
                    c.toast(
                        c.ta("mandate_form.deleted", &[("number", &m.number)]),
                        false,
                    );
                    navigate("/mandates", NavigateOptions::default());
                }
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    });

    let product_boxes = move || {
        catalogue.get().map(|r| match r {
            Err(e) => view! { <p class="alert error" role="alert">{move || e.message(c.lang.get())}</p> }
                .into_any(),
            Ok(page) if page.items.is_empty() => {
                view! { <p class="muted">{tr("mandate_form.no_products")}</p> }.into_any()
            }
            Ok(page) => page
                .items
                .into_iter()
                .map(|p| {
                    let id = p.id;
                    let box_id = format!("mandate-product-{id}");
                    let label_for = box_id.clone();
                    view! {
                        <label class="check-item" for=label_for>
                            <input
                                type="checkbox"
                                id=box_id
                                prop:checked=move || products.with(|ps| ps.contains(&id))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    products.update(|ps| {
                                        ps.retain(|x| *x != id);
                                        if on {
                                            ps.push(id);
                                        }
                                    });
                                }
                            />
                            <span>{p.name.clone()}</span>
                            <code class="muted">{p.code.clone()}</code>
                            {(!p.active).then(|| view! { <span class="badge">{tr("org.inactive")}</span> })}
                        </label>
                    }
                })
                .collect_view()
                .into_any(),
        })
    };

    let title = move || {
        original.with(|o| match o {
            Some((m, _)) => c.ta("mandate_form.edit_title", &[("number", &m.number)]),
            None => c.t("mandate_form.new_title"),
        })
    };
    let org_link = move || {
        organisation.get().map(|o| {
            view! { <a href=format!("/organisations/{o}") id="mandate-org-link">{tr("mandate_form.open_organisation")}</a> }
        })
    };
    let signed = move || {
        original.with(|o| {
            o.as_ref().and_then(|(m, _)| m.signed_at).map(|at| {
                let lang = c.lang.get();
                view! {
                    <p class="muted" id="mandate-signed-at">
                        {c.ta("mandate_form.signed_on", &[("date", &format::date(lang, at, c.tz_offset))])}
                    </p>
                }
            })
        })
    };

    view! {
        <div class="page-head">
            <div>
                <p class="crumbs">
                    <a href="/mandates">{tr("mandates.title")}</a>
                    " · "
                    {org_link}
                </p>
                <h1 id="mandate-title">{title}</h1>
                {signed}
            </div>
            <Show when=move || editing && c.can(Resource::Mandates, Action::Delete)>
                <div class="head-actions">
                    <button
                        type="button"
                        class="btn danger"
                        id="mandate-delete"
                        on:click=move |_| confirm_delete.set(true)
                    >
                        {tr("common.delete")}
                    </button>
                </div>
            </Show>
        </div>
        <ConfirmDialog
            open=confirm_delete
            title="mandate_form.delete_title"
            text=Signal::derive(move || c.t("mandate_form.delete_text"))
            confirm="common.delete"
            on_confirm=delete
        />
        <form class="card" id="mandate-form" on:submit=submit novalidate>
            <fieldset class="form-grid plain" disabled=move || !can_write()>
                <legend class="sr-only">{title}</legend>
                <ErrorAlert error=error/>
                <TextField
                    id="mandate-number"
                    field="number"
                    label="mandate.number"
                    value=number
                    error=error
                    help="mandate_form.number_help"
                />
                <RecordPicker
                    id="mandate-organisation"
                    field="organisation_id"
                    label="mandate_form.organisation"
                    kind=PickKind::Organisation
                    value=organisation
                    error=error
                    none="mandate_form.choose"
                    required=true
                />
                <ChoiceField
                    id="mandate-status"
                    field="status"
                    label="mandate.status"
                    value=status
                    error=error
                    choices=status_choices
                    help="mandate_form.flow_help"
                />
                <TextField id="mandate-amount" field="amount" label="mandate.amount" value=amount error=error/>
                <TextField id="mandate-start" field="start_date" label="mandate_form.start_date" value=start error=error kind="date"/>
                <TextField id="mandate-end" field="end_date" label="mandate_form.end_date" value=end error=error kind="date"/>
                <fieldset class="span-2 checks" id="mandate-products" aria-describedby="mandate-products-error">
                    <legend>{tr("mandate_form.products")}</legend>
                    <Transition fallback=loading>{product_boxes}</Transition>
                    <p class="field-error" id="mandate-products-error">
                        {move || error.with(|e| e.as_ref().and_then(|e| e.field_message(c.lang.get(), "product_ids")))}
                    </p>
                </fieldset>
                <TextArea id="mandate-notes" field="notes" label="org.field.notes" value=notes error=error/>
                <Show when=can_write>
                    <div class="form-actions span-2">
                        <a class="btn" href="/mandates">{tr("common.cancel")}</a>
                        <button type="submit" class="btn primary" id="mandate-submit" disabled=busy>
                            {if editing { tr("common.save") } else { tr("common.create") }}
                        </button>
                    </div>
                </Show>
            </fieldset>
        </form>
    }
}

/// Applies the form to a loaded mandate: the fields, then the covered products (each with
/// the ETag of the step before). Answers the mandate as saved and its ETag.
async fn save(
    before: &MandateOut,
    etag: &str,
    input: &MandateIn,
) -> Result<(MandateOut, String), ApiError> {
    let changes = edit::mandate_patch(before, input);
    let (mut m, mut etag) = if changes.is_empty() {
        (before.clone(), etag.to_owned())
    } else {
        api::update_mandate(before.id, &changes, etag).await?
    };
    if edit::products_changed(&m.product_ids, &input.product_ids) {
        etag = api::set_mandate_products(m.id, input.product_ids.clone(), &etag).await?;
        m.product_ids = input.product_ids.clone();
    }
    Ok((m, etag))
}
