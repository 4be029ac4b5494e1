//! Pieces shared by the edit screens: labelled fields with their API errors, record pickers
//! (search then choose), a modal dialog, and the error boundary's fallback for failed loads.

use crate::api;
use crate::app::{ctx, tr};
use crate::components::invalid;
use crate::problem::ApiError;
use leptos::error::Errors;
use leptos::prelude::*;
use relais_types::{FieldError, Problem};
use uuid::Uuid;

/// A refusal found before asking the server, shaped like the server's so that forms show it
/// the same way.
pub fn local_error(field: &str, code: &str) -> ApiError {
    ApiError::Problem(Problem {
        type_: "/problems/validation-failed".into(),
        title: "Invalid request".into(),
        status: 422,
        code: "validation_failed".into(),
        detail: None,
        request_id: None,
        errors: vec![FieldError {
            field: field.into(),
            code: code.into(),
            message: code.into(),
        }],
    })
}

/// The fallback of an `<ErrorBoundary>` around a load: each error in the reader's language,
/// and a retry when the page can reload its data.
pub fn load_failed(errors: ArcRwSignal<Errors>, retry: Option<Callback<()>>) -> impl IntoView {
    let c = ctx();
    let messages = move || {
        errors.with(|errs| {
            errs.iter()
                .map(|(_, e)| match e.downcast_ref::<ApiError>() {
                    Some(api) => api.message(c.lang.get()),
                    None => e.to_string(),
                })
                .map(|m| view! { <p>{m}</p> })
                .collect_view()
        })
    };
    view! {
        <div class="alert error" role="alert" id="load-error">
            {messages}
            {retry
                .map(|r| {
                    view! {
                        <button type="button" class="btn" on:click=move |_| r.run(())>
                            {tr("common.retry")}
                        </button>
                    }
                })}
        </div>
    }
}

/// The "loading" line of a `<Transition>`.
/// The page of one record at `/…/:id`: loads it (with its ETag) when the id changes, not on
/// every update of the route, and hands it to `form`. An id that does not parse is a 404; load
/// errors show with a retry.
pub fn edit_page<T, Fut, V>(
    load: impl Fn(Uuid) -> Fut + Copy + Send + Sync + 'static,
    form: impl Fn(T) -> V + Copy + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + 'static,
    Fut: std::future::Future<Output = Result<T, ApiError>> + 'static,
    V: IntoView + 'static,
{
    let params = leptos_router::hooks::use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<Uuid>().ok())));
    let record = LocalResource::new(move || {
        let id = id.get();
        async move {
            match id {
                Some(id) => load(id).await,
                None => Err(ApiError::from_response(404, "")),
            }
        }
    });
    let retry = Callback::new(move |()| record.refetch());
    view! {
        <Transition fallback=loading>
            <ErrorBoundary fallback=move |e| load_failed(e, Some(retry))>
                {move || record.get().map(|r| r.map(form))}
            </ErrorBoundary>
        </Transition>
    }
}

pub fn loading() -> impl IntoView {
    view! { <p class="loading" role="status">{tr("common.loading")}</p> }
}

/// The message of a page the user may not use.
pub fn not_allowed() -> impl IntoView {
    view! {
        <p class="alert error" role="alert" id="not-allowed">
            {tr("error.code.forbidden")}
        </p>
    }
}

/// The text under a field: the API's error for `field`, if any.
fn field_message(
    error: RwSignal<Option<ApiError>>,
    field: &'static str,
) -> impl Fn() -> Option<String> {
    let c = ctx();
    move || {
        error.with(|e| {
            e.as_ref()
                .and_then(|e| e.field_message(c.lang.get(), field))
        })
    }
}

/// A labelled `<input>` bound to `value`, showing the API's error for `field`.
#[component]
pub fn TextField(
    id: &'static str,
    field: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] help: Option<&'static str>,
    #[prop(optional)] wide: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let help_id = format!("{id}-help");
    let described = match help {
        Some(_) => format!("{help_id} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field" class:span-2=wide>
            <label for=id>
                {tr(label)}
                {required.then(|| view! { <span aria-hidden="true">" *"</span> })}
            </label>
            <input
                id=id
                type=kind
                required=required
                bind:value=value
                aria-invalid=invalid(error, field)
                aria-describedby=described
            />
            {help.map(|h| view! { <p class="help" id=help_id.clone()>{tr(h)}</p> })}
            <p class="field-error" id=error_id>
                {field_message(error, field)}
            </p>
        </div>
    }
}

/// A labelled `<textarea>` bound to `value`.
#[component]
pub fn TextArea(
    id: &'static str,
    field: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field span-2">
            <label for=id>
                {tr(label)}
                {required.then(|| view! { <span aria-hidden="true">" *"</span> })}
            </label>
            <textarea
                id=id
                rows="4"
                required=required
                bind:value=value
                aria-invalid=invalid(error, field)
                aria-describedby=error_id.clone()
            ></textarea>
            <p class="field-error" id=error_id>
                {field_message(error, field)}
            </p>
        </div>
    }
}

/// A labelled `<select>` over `(code, translation key)` choices, bound to `value`.
#[component]
pub fn ChoiceField(
    id: &'static str,
    field: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    #[prop(into)] choices: Signal<Vec<(String, String)>>,
    /// The translation key of an empty first choice, if the field may be left empty.
    #[prop(optional)]
    none: Option<&'static str>,
    #[prop(optional)] help: Option<&'static str>,
) -> impl IntoView {
    let c = ctx();
    let error_id = format!("{id}-error");
    let help_id = format!("{id}-help");
    let described = match help {
        Some(_) => format!("{help_id} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field">
            <label for=id>{tr(label)}</label>
            <select
                id=id
                on:change=move |ev| value.set(event_target_value(&ev))
                prop:value=move || value.get()
                aria-invalid=invalid(error, field)
                aria-describedby=described
            >
                {none.map(|k| view! { <option value="" selected=move || value.get().is_empty()>{tr(k)}</option> })}
                {move || {
                    let lang = c.lang.get();
                    choices
                        .get()
                        .into_iter()
                        .map(|(code, key)| {
                            let selected = code.clone();
                            view! {
                                <option value=code.clone() selected=move || value.get() == selected>
                                    {crate::i18n::t(lang, &key)}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
            {help.map(|h| view! { <p class="help" id=help_id.clone()>{tr(h)}</p> })}
            <p class="field-error" id=error_id>
                {field_message(error, field)}
            </p>
        </div>
    }
}

/// What a [`RecordPicker`] chooses among.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickKind {
    Organisation,
    Person,
    Mandate,
}

impl PickKind {
    fn search_label(self) -> &'static str {
        match self {
            PickKind::Organisation => "picker.search_organisations",
            PickKind::Person => "picker.search_people",
            PickKind::Mandate => "picker.search_mandates",
        }
    }
}

/// Up to 20 records matching `q`, as (id, label).
async fn search(kind: PickKind, q: String) -> Vec<(Uuid, String)> {
    let filter = if q.is_empty() {
        String::new()
    } else {
        format!("&q={}", crate::state::encode(&q))
    };
    match kind {
        PickKind::Organisation => api::organisations(&format!("limit=20&sort=name{filter}"))
            .await
            .map(|p| {
                p.items
                    .into_iter()
                    .map(|o| {
                        let label = match &o.city {
                            Some(city) => format!("{} · {city}", o.name),
                            None => o.name.clone(),
                        };
                        (o.id, label)
                    })
                    .collect()
            }),
        PickKind::Person => api::people(&format!("limit=20&sort=last_name{filter}"))
            .await
            .map(|p| {
                p.items
                    .into_iter()
                    .map(|x| (x.id, person_label(&x)))
                    .collect()
            }),
        PickKind::Mandate => api::mandates(&format!("limit=20&sort=-created_at{filter}"))
            .await
            .map(|p| p.items.into_iter().map(|m| (m.id, m.number)).collect()),
    }
    .unwrap_or_default()
}

fn person_label(p: &relais_types::PersonOut) -> String {
    match &p.email {
        Some(e) => format!("{} · {e}", p.full_name),
        None => p.full_name.clone(),
    }
}

/// The label of one record, for a value set before any search.
async fn label_of(kind: PickKind, id: Uuid) -> Option<String> {
    match kind {
        PickKind::Organisation => api::organisation(id).await.ok().map(|o| o.name),
        PickKind::Person => api::person(id).await.ok().map(|p| person_label(&p)),
        PickKind::Mandate => api::mandate_for_edit(id).await.ok().map(|(m, _)| m.number),
    }
}

/// Chooses a record: a search box narrows the list, a `<select>` picks from it (so the
/// keyboard and screen readers get a native control). The chosen record stays in the list
/// whatever the search.
#[component]
pub fn RecordPicker(
    id: &'static str,
    field: &'static str,
    label: &'static str,
    kind: PickKind,
    value: RwSignal<Option<Uuid>>,
    error: RwSignal<Option<ApiError>>,
    /// The translation key of the empty choice.
    #[prop(default = "common.none")]
    none: &'static str,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let c = ctx();
    let query = RwSignal::new(String::new());
    let typed = RwSignal::new(0u32);
    let results = LocalResource::new(move || search(kind, query.get()));
    // The chosen record's label, when it is not among the results.
    let chosen = RwSignal::new(None::<(Uuid, String)>);
    Effect::new(move |_| {
        let Some(v) = value.get() else { return };
        if chosen.with_untracked(|ch| ch.as_ref().is_some_and(|(i, _)| *i == v)) {
            return;
        }
        if let Some(found) = results
            .get_untracked()
            .and_then(|r| r.into_iter().find(|(i, _)| *i == v))
        {
            chosen.set(Some(found));
            return;
        }
        leptos::task::spawn_local(async move {
            if let Some(l) = label_of(kind, v).await {
                chosen.set(Some((v, l)));
            }
        });
    });
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev).trim().to_owned();
        let n = typed.get_untracked().wrapping_add(1);
        typed.set(n);
        // Search once typing pauses.
        set_timeout(
            move || {
                // The picker may be gone by then (the page changed).
                if typed.try_get_untracked() == Some(n) {
                    query.set(text);
                }
            },
            std::time::Duration::from_millis(250),
        );
    };
    let on_change = move |ev: leptos::ev::Event| {
        let raw = event_target_value(&ev);
        let picked = raw.parse::<Uuid>().ok();
        if let Some(p) = picked
            && let Some(found) = results
                .get_untracked()
                .and_then(|r| r.into_iter().find(|(i, _)| *i == p))
        {
            chosen.set(Some(found));
        }
        value.set(picked);
    };
    let error_id = format!("{id}-error");
    let search_id = format!("{id}-q");
    let options = move || {
        let current = value.get();
        let list = results.get().unwrap_or_default();
        let mut all: Vec<(Uuid, String)> = Vec::new();
        if let Some((i, l)) = chosen.get()
            && Some(i) == current
            && !list.iter().any(|(x, _)| *x == i)
        {
            all.push((i, l));
        }
        all.extend(list);
        all.into_iter()
            .map(|(i, l)| {
                view! {
                    <option value=i.to_string() selected=move || value.get() == Some(i)>
                        {l}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <div class="field picker">
            <label for=id>
                {tr(label)}
                {required.then(|| view! { <span aria-hidden="true">" *"</span> })}
            </label>
            <div class="picker-row">
                <input
                    id=search_id
                    type="search"
                    autocomplete="off"
                    aria-label=move || c.t(kind.search_label())
                    placeholder=move || c.t(kind.search_label())
                    on:input=on_input
                />
                <select
                    id=id
                    on:change=on_change
                    prop:value=move || value.get().map(|v| v.to_string()).unwrap_or_default()
                    aria-invalid=invalid(error, field)
                    aria-describedby=error_id.clone()
                >
                    <option value="" selected=move || value.get().is_none()>{tr(none)}</option>
                    {options}
                </select>
            </div>
            <p class="field-error" id=error_id>
                {field_message(error, field)}
            </p>
        </div>
    }
}

/// A modal dialog: Esc or the backdrop closes it; the app-wide watcher (`focus.rs`) keeps
/// Tab inside and gives the focus back to the opener on close.
#[component]
pub fn Modal(
    open: RwSignal<bool>,
    id: &'static str,
    title: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    let children = StoredValue::new(children);
    view! {
        <Show when=move || open.get()>
            <div class="dialog-backdrop" on:click=move |_| open.set(false)></div>
            <div
                class="dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby=title_id.clone()
                id=id
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        open.set(false);
                    }
                }
            >
                <h2 id=title_id.clone()>{tr(title)}</h2>
                {children.with_value(|c| c())}
            </div>
        </Show>
    }
}

/// The local time of a `datetime-local` value as a UTC instant, with the browser's offset
/// for that date (summer time included).
pub fn local_to_utc(raw: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let local = crate::edit::parse_local_input(raw)?;
    let js = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(
        &local.format("%Y-%m-%dT%H:%M:%S").to_string(),
    ));
    let offset = -(js.get_timezone_offset() as i32);
    Some(crate::edit::from_local(local, offset))
}

/// The `datetime-local` value of an instant in the browser's zone.
pub fn utc_to_local(at: chrono::DateTime<chrono::Utc>) -> String {
    let js = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        at.timestamp_millis() as f64
    ));
    let offset = -(js.get_timezone_offset() as i32);
    crate::edit::to_local_input(at, offset)
}

/// The current instant from the browser's clock (`Utc::now` has no clock on wasm32).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// Text typed in a field: trimmed, `None` when blank.
pub fn text(s: RwSignal<String>) -> Option<String> {
    crate::edit::optional(&s.get_untracked())
}
