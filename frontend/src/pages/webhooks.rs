//! Settings → webhooks (administrators): the endpoints, their creation and edit with an
//! event-type picker, the signing secret (shown once on creation, revealed or rotated on
//! request), test messages, and the delivery log with retry and replay. The logic is in
//! `crate::webhooks`; every control follows the user's grants on the `webhooks` resource.

use crate::api::webhooks as api;
use crate::app::{ctx, tr};
use crate::components::{ConfirmDialog, ErrorAlert, FieldError, invalid};
use crate::format;
use crate::problem::ApiError;
use crate::webhooks::{self as logic, EndpointDraft, EventPicker, LogQuery};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_params_map},
};
use relais_domain::access::{Action, Resource};
use relais_domain::webhooks::{DeliveryStatus, MAX_ATTEMPTS};
use relais_types::{
    DeliveryDetailOut, DeliveryOut, EventTypeOut, ReplayIn, WebhookCreatedOut, WebhookOut,
};
use std::time::Duration;
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

type Catalogue = LocalResource<Result<Vec<EventTypeOut>, ApiError>>;

/// The browser's clock (`chrono::Utc::now` has no clock on wasm32).
fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

fn can(action: Action) -> bool {
    ctx().can(Resource::Webhooks, action)
}

/// Whether the webhooks settings exist for this user.
pub fn visible() -> bool {
    can(Action::Read)
}

/// The message of a failed call; a disabled endpoint says what to do.
fn message(e: &ApiError) -> String {
    let c = ctx();
    if e.code() == "endpoint_disabled" {
        c.t("webhooks.error_disabled")
    } else {
        e.message(c.lang.get_untracked())
    }
}

fn not_allowed() -> impl IntoView {
    view! { <p class="alert error" role="alert" id="not-allowed">{tr("error.code.forbidden")}</p> }
}

fn crumbs() -> impl IntoView {
    view! {
        <p class="crumbs">
            <a href="/settings">{tr("settings.title")}</a>
            " › "
            <a href="/settings/webhooks">{tr("webhooks.title")}</a>
        </p>
    }
}

fn status_badge(e: &WebhookOut) -> impl IntoView + use<> {
    if e.active {
        view! { <span class="badge hook-succeeded">{tr("webhooks.active")}</span> }.into_any()
    } else {
        let key = logic::disabled_key(e.disabled_reason);
        view! { <span class="badge hook-failed">{move || ctx().t(&key)}</span> }.into_any()
    }
}

/// Copies `text` with the asynchronous clipboard API.
async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let get = |o: &wasm_bindgen::JsValue, k: &str| js_sys::Reflect::get(o, &k.into()).ok();
    let Some(clipboard) = get(&window, "navigator")
        .and_then(|n| get(&n, "clipboard"))
        .filter(|c| !c.is_undefined())
    else {
        return false;
    };
    let Some(write) =
        get(&clipboard, "writeText").and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    else {
        return false;
    };
    match write
        .call1(&clipboard, &text.into())
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
    {
        Some(p) => JsFuture::from(p).await.is_ok(),
        None => false,
    }
}

/// The message under one field of the endpoint form (see `webhooks::field_error_key`).
#[component]
fn HookFieldError(
    id: &'static str,
    field: &'static str,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let c = ctx();
    let message = move || {
        error.with(|e| {
            let e = e.as_ref()?;
            let f = e
                .field_errors()
                .iter()
                .find(|f| f.field == field || f.field.starts_with(&format!("{field}[")))?;
            Some(match logic::field_error_key(&f.field, &f.code) {
                Some(key) => c.t(key),
                None => e.field_message(c.lang.get(), &f.field)?,
            })
        })
    };
    view! {
        <p class="field-error" id=id>
            {message}
        </p>
    }
}

/// A secret on screen with a copy button.
#[component]
fn SecretValue(secret: String, id: &'static str) -> impl IntoView {
    let c = ctx();
    let copy = {
        let secret = secret.clone();
        move |_| {
            let secret = secret.clone();
            spawn_local(async move {
                if copy_text(&secret).await {
                    c.toast(c.t("webhooks.copied"), false);
                } else {
                    c.toast(c.t("webhooks.copy_failed"), true);
                }
            });
        }
    };
    view! {
        <div class="secret-row">
            <code class="secret" id=id>{secret}</code>
            <button type="button" class="btn small" id=format!("{id}-copy") on:click=copy>
                {tr("webhooks.copy")}
            </button>
        </div>
    }
}

/// Settings → webhooks: the list of endpoints.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let c = ctx();
    let list = LocalResource::new(move || {
        let allowed = can(Action::Read);
        async move {
            if allowed {
                Some(api::list().await)
            } else {
                None
            }
        }
    });
    let row = move |e: WebhookOut| {
        let lang = c.lang.get();
        let (shown, more) = EventPicker::summary(&e.event_types, 3);
        let failing = e.failing_since.map(|d| {
            let when = format::date_time(lang, d, c.tz_offset);
            view! { <p class="small hook-warning">{move || c.ta("webhooks.failing_since", &[("date", &when)])}</p> }
        });
        view! {
            <tr>
                <td>
                    <a class="row-link url" href=format!("/settings/webhooks/{}", e.id)>{e.url.clone()}</a>
                    {(!e.description.is_empty()).then(|| view! { <p class="muted small">{e.description.clone()}</p> })}
                </td>
                <td>
                    <span class="chips">
                        {shown.into_iter().map(|p| view! { <code class="chip">{p}</code> }).collect_view()}
                        {(more > 0).then(|| view! { <span class="muted small">{format!("+{more}")}</span> })}
                    </span>
                </td>
                <td>{status_badge(&e)} {failing}</td>
                <td class="nowrap">{format::date(lang, e.created_at, c.tz_offset)}</td>
            </tr>
        }
    };
    view! {
        <div class="page-head">
            <div>
                <p class="crumbs"><a href="/settings">{tr("settings.title")}</a></p>
                <h1>{tr("webhooks.title")}</h1>
            </div>
            <Show when=move || can(Action::Create)>
                <a class="btn primary" href="/settings/webhooks/new" id="webhook-new">{tr("webhooks.new")}</a>
            </Show>
        </div>
        <Show when=move || can(Action::Read) fallback=not_allowed>
            <p class="muted intro">{tr("webhooks.intro")}</p>
            <Transition fallback=move || view! { <p class="loading">{tr("common.loading")}</p> }>
                {move || {
                    list.get()
                        .flatten()
                        .map(|r| match r {
                            Ok(p) if p.items.is_empty() => view! { <p class="empty" id="webhooks-empty">{tr("webhooks.empty")}</p> }.into_any(),
                            Ok(p) => view! {
                                <div class="table-wrap">
                                    <table class="data" id="webhooks-table">
                                        <thead>
                                            <tr>
                                                <th scope="col">{tr("webhooks.url")}</th>
                                                <th scope="col">{tr("webhooks.events")}</th>
                                                <th scope="col">{tr("webhooks.state")}</th>
                                                <th scope="col">{tr("webhooks.created_at")}</th>
                                            </tr>
                                        </thead>
                                        <tbody>{p.items.into_iter().map(row).collect_view()}</tbody>
                                    </table>
                                </div>
                            }.into_any(),
                            Err(e) => view! { <div class="alert error" role="alert">{message(&e)}</div> }.into_any(),
                        })
                }}
            </Transition>
        </Show>
    }
}

/// The event-type picker: everything, whole families, or single types.
#[component]
fn EventPickerField(
    picker: RwSignal<EventPicker>,
    catalogue: Catalogue,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let c = ctx();
    let body = move |types: Vec<EventTypeOut>| {
        let lang = c.lang.get();
        logic::families(&types)
            .into_iter()
            .map(|(family, names)| {
                let fam = family.clone();
                let fam_id = format!("event-family-{family}");
                let label = logic::family_label(lang, &family);
                let items = names
                    .into_iter()
                    .map(|name| {
                        let id = format!("event-type-{}", name.replace('.', "-"));
                        let description = types
                            .iter()
                            .find(|t| t.name == name)
                            .map(|t| logic::describe(lang, t))
                            .unwrap_or_default();
                        let for_id = id.clone();
                        let n1 = name.clone();
                        let n2 = name.clone();
                        let n3 = name.clone();
                        view! {
                            <label class="check event-type" for=for_id>
                                <input
                                    type="checkbox"
                                    id=id
                                    value=name.clone()
                                    prop:checked=move || picker.with(|p| p.covers(&n1))
                                    prop:disabled=move || picker.with(|p| p.implied(&n2))
                                    on:change=move |_| picker.update(|p| p.toggle_type(&n3))
                                />
                                <span>
                                    <code>{name.clone()}</code>
                                    <span class="muted small block">{description}</span>
                                </span>
                            </label>
                        }
                    })
                    .collect_view();
                let f1 = fam.clone();
                let fam_for = fam_id.clone();
                view! {
                    <fieldset class="picker-family">
                        <legend>
                            <label class="check" for=fam_for>
                                <input
                                    type="checkbox"
                                    id=fam_id
                                    prop:checked=move || picker.with(|p| p.family(&fam))
                                    prop:disabled=move || picker.with(EventPicker::all)
                                    on:change=move |_| picker.update(|p| p.toggle_family(&f1))
                                />
                                <span>
                                    <strong>{label}</strong>
                                    " "
                                    <code class="muted">{format!("{family}.*")}</code>
                                </span>
                            </label>
                        </legend>
                        <div class="picker-types">{items}</div>
                    </fieldset>
                }
            })
            .collect_view()
    };
    view! {
        <fieldset class="field span-2 picker" aria-describedby="events-help events-error">
            <legend>{tr("webhooks.events")} <span aria-hidden="true">" *"</span></legend>
            <p class="help" id="events-help">{tr("webhooks.events_help")}</p>
            <HookFieldError id="events-error" field="event_types" error=error/>
            <label class="check picker-all" for="event-all">
                <input
                    type="checkbox"
                    id="event-all"
                    prop:checked=move || picker.with(EventPicker::all)
                    on:change=move |_| picker.update(EventPicker::toggle_all)
                />
                <span><strong>{tr("webhooks.all_events")}</strong> " " <code class="muted">"*"</code></span>
            </label>
            <Transition fallback=move || view! { <p class="loading">{tr("common.loading")}</p> }>
                {move || {
                    catalogue
                        .get()
                        .map(|r| match r {
                            Ok(types) => body(types).into_any(),
                            Err(e) => view! { <div class="alert error" role="alert">{message(&e)}</div> }.into_any(),
                        })
                }}
            </Transition>
        </fieldset>
    }
}

/// Creation and edit of an endpoint. `before` is the endpoint being edited.
#[component]
fn EndpointForm(
    before: Option<WebhookOut>,
    catalogue: Catalogue,
    on_created: Callback<WebhookCreatedOut>,
    on_saved: Callback<WebhookOut>,
    #[prop(optional)] on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let c = ctx();
    let initial = before
        .as_ref()
        .map(EndpointDraft::from_endpoint)
        .unwrap_or_default();
    let editing = before.is_some();
    let url = RwSignal::new(initial.url.clone());
    let description = RwSignal::new(initial.description.clone());
    let rate = RwSignal::new(initial.rate_limit.clone());
    let picker = RwSignal::new(initial.events.clone());
    let active = RwSignal::new(true);
    let error = RwSignal::new(None::<ApiError>);
    let rate_error = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let before = StoredValue::new(before);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        rate_error.set(false);
        let draft = EndpointDraft {
            url: url.get_untracked(),
            description: description.get_untracked(),
            events: picker.get_untracked(),
            rate_limit: rate.get_untracked(),
        };
        let before = before.get_value();
        busy.set(true);
        spawn_local(async move {
            match before {
                None => match draft.to_input(active.get_untracked()) {
                    Err(_) => rate_error.set(true),
                    Ok(input) => match api::create(&input).await {
                        Ok(created) => on_created.run(created),
                        Err(e) => error.set(Some(e)),
                    },
                },
                Some(b) => match draft.patch(&b) {
                    Err(_) => rate_error.set(true),
                    Ok(patch) => match api::update(b.id, &patch).await {
                        Ok(saved) => {
                            c.toast(c.t("webhooks.saved"), false);
                            on_saved.run(saved);
                        }
                        Err(e) => error.set(Some(e)),
                    },
                },
            }
            busy.set(false);
        });
    };
    view! {
        <form class="card form-grid webhook-form" id="webhook-form" on:submit=submit novalidate>
            <ErrorAlert error=error/>
            <div class="field span-2">
                <label for="webhook-url">{tr("webhooks.url")} <span aria-hidden="true">" *"</span></label>
                <input
                    id="webhook-url"
                    type="url"
                    inputmode="url"
                    placeholder="https://"
                    bind:value=url
                    aria-invalid=invalid(error, "url")
                    aria-describedby="webhook-url-help webhook-url-error"
                />
                <p class="help" id="webhook-url-help">{tr("webhooks.url_help")}</p>
                <HookFieldError id="webhook-url-error" field="url" error=error/>
            </div>
            <div class="field span-2">
                <label for="webhook-description">{tr("admin.description")}</label>
                <input
                    id="webhook-description"
                    type="text"
                    bind:value=description
                    aria-invalid=invalid(error, "description")
                    aria-describedby="webhook-description-error"
                />
                <FieldError id="webhook-description-error" field="description" error=error/>
            </div>
            <EventPickerField picker=picker catalogue=catalogue error=error/>
            <div class="field">
                <label for="webhook-rate">{tr("webhooks.rate_limit")}</label>
                <input
                    id="webhook-rate"
                    type="number"
                    min="1"
                    max="10000"
                    step="1"
                    bind:value=rate
                    aria-invalid=move || (rate_error.get() || invalid(error, "rate_limit")() == "true").to_string()
                    aria-describedby="webhook-rate-help webhook-rate-error"
                />
                <p class="help" id="webhook-rate-help">{tr("webhooks.rate_limit_help")}</p>
                <Show when=move || rate_error.get()>
                    <p class="field-error">{tr("webhooks.rate_limit_invalid")}</p>
                </Show>
                <HookFieldError id="webhook-rate-error" field="rate_limit" error=error/>
            </div>
            <Show when=move || !editing>
                <div class="field checkbox">
                    <label for="webhook-active">
                        <input id="webhook-active" type="checkbox" bind:checked=active/>
                        {tr("webhooks.active_on_create")}
                    </label>
                </div>
            </Show>
            <div class="form-actions span-2">
                {on_cancel.map(|cancel| view! {
                    <button type="button" class="btn" id="webhook-cancel" on:click=move |_| cancel.run(())>
                        {tr("common.cancel")}
                    </button>
                })}
                <button type="submit" class="btn primary" id="webhook-submit" disabled=move || busy.get()>
                    {if editing { tr("common.save") } else { tr("common.create") }}
                </button>
            </div>
        </form>
    }
}

/// Settings → webhooks → new endpoint; the secret is shown once the endpoint exists.
#[component]
pub fn NewWebhookPage() -> impl IntoView {
    let catalogue: Catalogue = LocalResource::new(move || {
        let allowed = can(Action::Create);
        async move {
            if allowed {
                api::event_types().await
            } else {
                Err(ApiError::from_response(403, ""))
            }
        }
    });
    let created = RwSignal::new(None::<WebhookCreatedOut>);
    let on_created = Callback::new(move |w: WebhookCreatedOut| created.set(Some(w)));
    let on_saved = Callback::new(|_: WebhookOut| {});
    view! {
        <div class="page-head">
            <div>
                {crumbs()}
                <h1>{tr("webhooks.new_title")}</h1>
            </div>
        </div>
        <Show when=move || can(Action::Create) fallback=not_allowed>
            {move || match created.get() {
                None => view! { <EndpointForm before=None catalogue=catalogue on_created=on_created on_saved=on_saved/> }.into_any(),
                Some(w) => view! {
                    <div class="alert success" role="status" id="webhook-created">
                        <p><strong>{tr("webhooks.created")}</strong></p>
                        <p>{tr("webhooks.secret_once")}</p>
                        <SecretValue secret=w.secret.clone() id="new-secret"/>
                        <p>
                            <a class="btn primary" id="webhook-open" href=format!("/settings/webhooks/{}", w.webhook.id)>
                                {tr("webhooks.open")}
                            </a>
                        </p>
                    </div>
                }.into_any(),
            }}
        </Show>
    }
}

/// One endpoint: state, edit, secret, test, replay and the delivery log.
#[component]
pub fn WebhookPage() -> impl IntoView {
    let c = ctx();
    let params = use_params_map();
    let navigate = use_navigate();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<Uuid>().ok())));
    let tick = RwSignal::new(0u32);
    let endpoint = LocalResource::new(move || {
        tick.track();
        let id = id.get();
        let allowed = can(Action::Read);
        async move {
            match id {
                Some(id) if allowed => api::one(id).await,
                Some(_) => Err(ApiError::from_response(403, "")),
                None => Err(ApiError::from_response(404, "")),
            }
        }
    });
    let catalogue: Catalogue = LocalResource::new(move || {
        let allowed = can(Action::Read);
        async move {
            if allowed {
                api::event_types().await
            } else {
                Err(ApiError::from_response(403, ""))
            }
        }
    });
    // Any change to the endpoint also reloads the log (a test message, a re-enable…).
    let log_tick = RwSignal::new(0u32);
    let refresh = move || {
        tick.update(|t| *t += 1);
        log_tick.update(|t| *t += 1);
    };
    let editing = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);
    let confirm_rotate = RwSignal::new(false);
    let secret = RwSignal::new(None::<(String, bool)>);
    let busy = RwSignal::new(false);

    let send_test = move |_| {
        let Some(eid) = id.get_untracked() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            match api::send_test(eid).await {
                Ok(_) => {
                    c.toast(c.t("webhooks.test_sent"), false);
                    log_tick.update(|t| *t += 1);
                }
                Err(e) => c.toast(message(&e), true),
            }
            busy.set(false);
        });
    };
    let enable = move |_| {
        let Some(eid) = id.get_untracked() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            match api::enable(eid).await {
                Ok(_) => {
                    c.toast(c.t("webhooks.enabled"), false);
                    refresh();
                }
                Err(e) => c.toast(message(&e), true),
            }
            busy.set(false);
        });
    };
    let set_active = move |on: bool| {
        let Some(eid) = id.get_untracked() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let patch = serde_json::json!({ "active": on });
            match api::update(eid, &patch).await {
                Ok(_) => {
                    c.toast(
                        c.t(if on {
                            "webhooks.enabled"
                        } else {
                            "webhooks.disabled_now"
                        }),
                        false,
                    );
                    refresh();
                }
                Err(e) => c.toast(message(&e), true),
            }
            busy.set(false);
        });
    };
    let reveal = move |_| {
        let Some(eid) = id.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match api::reveal_secret(eid).await {
                Ok(s) => secret.set(Some((s.secret, false))),
                Err(e) => c.toast(message(&e), true),
            }
        });
    };
    let rotate = Callback::new(move |()| {
        let Some(eid) = id.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match api::rotate_secret(eid).await {
                Ok(s) => {
                    secret.set(Some((s.secret, true)));
                    c.toast(c.t("webhooks.rotated"), false);
                    tick.update(|t| *t += 1);
                }
                Err(e) => c.toast(message(&e), true),
            }
        });
    });
    let delete = Callback::new(move |()| {
        let Some(eid) = id.get_untracked() else {
            return;
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::delete(eid).await {
                Ok(()) => {
                    c.toast(c.t("webhooks.deleted"), false);
                    navigate("/settings/webhooks", NavigateOptions::default());
                }
                Err(e) => c.toast(message(&e), true),
            }
        });
    });
    let on_saved = Callback::new(move |_: WebhookOut| {
        editing.set(false);
        tick.update(|t| *t += 1);
    });
    let on_created = Callback::new(|_: WebhookCreatedOut| {});
    let on_cancel = Callback::new(move |()| editing.set(false));

    let body = move |e: WebhookOut| {
        let lang = c.lang.get();
        let eid = e.id;
        let active = e.active;
        let disabled_note = (!e.active).then(|| {
            let reason = logic::disabled_key(e.disabled_reason);
            let when = e
                .disabled_at
                .map(|d| format::date_time(lang, d, c.tz_offset))
                .unwrap_or_default();
            view! {
                <div class="alert error" role="status" id="webhook-disabled">
                    <p>{move || c.ta("webhooks.disabled_note", &[("reason", &c.t(&reason)), ("date", &when)])}</p>
                    <Show when=move || can(Action::Update)>
                        <button type="button" class="btn" id="webhook-enable" on:click=enable disabled=move || busy.get()>
                            {tr("webhooks.enable")}
                        </button>
                    </Show>
                </div>
            }
        });
        let failing = e.failing_since.map(|d| {
            let when = format::date_time(lang, d, c.tz_offset);
            view! { <p class="alert error" id="webhook-failing">{move || c.ta("webhooks.failing_since", &[("date", &when)])}</p> }
        });
        let overlap = e
            .previous_secret_expires_at
            .filter(|d| *d > now())
            .map(|d| format::date_time(lang, d, c.tz_offset));
        let (shown, _) = EventPicker::summary(&e.event_types, usize::MAX);
        let edit_before = e.clone();
        view! {
            <div class="page-head">
                <div class="minw0">
                    {crumbs()}
                    <h1 class="url" id="webhook-title">{e.url.clone()}</h1>
                    <p class="badges">
                        {status_badge(&e)}
                        {e.rate_limit.map(|n| view! { <span class="badge">{move || c.ta("webhooks.rate_badge", &[("n", &n.to_string())])}</span> })}
                    </p>
                    {(!e.description.is_empty()).then(|| view! { <p class="muted">{e.description.clone()}</p> })}
                </div>
                <div class="head-actions">
                    <Show when=move || can(Action::Update)>
                        <button type="button" class="btn primary" id="webhook-test" on:click=send_test disabled=move || busy.get() || !active>
                            {tr("webhooks.send_test")}
                        </button>
                        <button type="button" class="btn" id="webhook-edit" aria-expanded=move || editing.get().to_string() on:click=move |_| editing.update(|v| *v = !*v)>
                            {tr("webhooks.edit")}
                        </button>
                        <label class="btn switch" for="webhook-active-toggle">
                            <input
                                type="checkbox"
                                role="switch"
                                id="webhook-active-toggle"
                                prop:checked=active
                                disabled=move || busy.get()
                                on:change=move |ev| set_active(event_target_checked(&ev))
                            />
                            {tr("webhooks.active")}
                        </label>
                    </Show>
                    <Show when=move || can(Action::Delete)>
                        <button type="button" class="btn" id="webhook-delete" on:click=move |_| confirm_delete.set(true)>
                            {tr("common.delete")}
                        </button>
                    </Show>
                </div>
            </div>
            {disabled_note}
            {failing}
            <Show when=move || editing.get()>
                <EndpointForm before=Some(edit_before.clone()) catalogue=catalogue on_created=on_created on_saved=on_saved on_cancel=on_cancel/>
            </Show>
            <div class="hook-grid">
                <section class="card" aria-labelledby="events-title">
                    <h2 id="events-title">{tr("webhooks.events")}</h2>
                    <p class="chips" id="webhook-events">
                        {shown.into_iter().map(|p| view! { <code class="chip">{p}</code> }).collect_view()}
                    </p>
                </section>
                <Show when=move || can(Action::Manage)>
                    <section class="card" aria-labelledby="secret-title" id="secret-card">
                        <h2 id="secret-title">{tr("webhooks.secret")}</h2>
                        <p class="muted small">{tr("webhooks.secret_help")}</p>
                        {overlap.clone().map(|d| view! { <p class="small" id="secret-overlap">{move || c.ta("webhooks.overlap", &[("date", &d)])}</p> })}
                        {move || match secret.get() {
                            Some((s, rotated)) => view! {
                                {rotated.then(|| view! { <p class="alert success" role="status" id="secret-rotated">{tr("webhooks.rotated_help")}</p> })}
                                <SecretValue secret=s id="secret-value"/>
                                <button type="button" class="btn small" id="secret-hide" on:click=move |_| secret.set(None)>{tr("webhooks.hide")}</button>
                            }.into_any(),
                            None => view! {
                                <p><code class="secret masked" aria-label=tr("webhooks.secret_hidden")>"whsec_••••••••••••"</code></p>
                                <button type="button" class="btn small" id="secret-reveal" on:click=reveal>{tr("webhooks.reveal")}</button>
                            }.into_any(),
                        }}
                        " "
                        <button type="button" class="btn small" id="secret-rotate" on:click=move |_| confirm_rotate.set(true)>
                            {tr("webhooks.rotate")}
                        </button>
                    </section>
                </Show>
                <Show when=move || can(Action::Update)>
                    <Replay id=eid on_done=Callback::new(move |()| log_tick.update(|t| *t += 1))/>
                </Show>
            </div>
        }
    };
    // The log lives outside the endpoint's view so that reloading the endpoint (after a
    // change) keeps its filters and page.
    let loaded = Memo::new(move |prev: Option<&Option<Uuid>>| match endpoint.get() {
        Some(Ok(e)) => Some(e.id),
        Some(Err(_)) => None,
        None => prev.copied().flatten(),
    });

    view! {
        <ConfirmDialog
            open=confirm_delete
            title="webhooks.delete_title"
            text=Signal::derive(move || c.t("webhooks.delete_text"))
            confirm="common.delete"
            on_confirm=delete
        />
        <ConfirmDialog
            open=confirm_rotate
            title="webhooks.rotate_title"
            text=Signal::derive(move || c.t("webhooks.rotate_text"))
            confirm="webhooks.rotate"
            on_confirm=rotate
        />
        <Show when=move || can(Action::Read) fallback=not_allowed>
            <Transition fallback=move || view! { <p class="loading">{tr("common.loading")}</p> }>
                {move || {
                    endpoint
                        .get()
                        .map(|r| match r {
                            Ok(e) => body(e).into_any(),
                            Err(e) => view! {
                                {crumbs()}
                                <div class="alert error" role="alert" id="webhook-error">{message(&e)}</div>
                            }.into_any(),
                        })
                }}
            </Transition>
            {move || loaded.get().map(|eid| view! { <DeliveryLog id=eid catalogue=catalogue tick=log_tick/> })}
        </Show>
    }
}

/// Replays the failed deliveries since a day (at most 14 days back).
#[component]
fn Replay(id: Uuid, on_done: Callback<()>) -> impl IntoView {
    let c = ctx();
    let now = now();
    let today = logic::local_day(now, c.tz_offset);
    let min = logic::replay_min_day(now, c.tz_offset);
    let day = RwSignal::new(
        today
            .pred_opt()
            .unwrap_or(today)
            .max(min)
            .format("%Y-%m-%d")
            .to_string(),
    );
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let Ok(d) = chrono::NaiveDate::parse_from_str(&day.get_untracked(), "%Y-%m-%d") else {
            error.set(Some(c.t("webhooks.replay_date_required")));
            return;
        };
        let since = match logic::replay_since(d, self::now(), c.tz_offset) {
            Ok(s) => s,
            Err(e) => {
                error.set(Some(c.t(e.key())));
                return;
            }
        };
        busy.set(true);
        spawn_local(async move {
            match api::replay(id, &ReplayIn { since }).await {
                Ok(r) => {
                    c.toast(
                        c.ta("webhooks.replayed", &[("n", &r.replayed.to_string())]),
                        false,
                    );
                    on_done.run(());
                }
                Err(e) => error.set(Some(message(&e))),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="card" id="replay-form" on:submit=submit novalidate aria-labelledby="replay-title">
            <h2 id="replay-title">{tr("webhooks.replay")}</h2>
            <p class="muted small" id="replay-help">{tr("webhooks.replay_help")}</p>
            <div class="field">
                <label for="replay-since">{tr("webhooks.replay_since")}</label>
                <input
                    id="replay-since"
                    type="date"
                    min=min.format("%Y-%m-%d").to_string()
                    max=today.format("%Y-%m-%d").to_string()
                    bind:value=day
                    aria-describedby="replay-help replay-error"
                    aria-invalid=move || error.with(Option::is_some).to_string()
                />
                <p class="field-error" id="replay-error">{move || error.get()}</p>
            </div>
            <button type="submit" class="btn" id="replay-submit" disabled=move || busy.get()>
                {tr("webhooks.replay_submit")}
            </button>
        </form>
    }
}

/// The delivery log of one endpoint, newest first, with filters, details, retry and pages.
/// While deliveries are pending it reloads itself every few seconds.
#[component]
fn DeliveryLog(id: Uuid, catalogue: Catalogue, tick: RwSignal<u32>) -> impl IntoView {
    let c = ctx();
    let query = RwSignal::new(LogQuery::default());
    let log = LocalResource::new(move || {
        tick.track();
        let q = query.with(LogQuery::to_query);
        async move { api::deliveries(id, &q).await }
    });
    let open = RwSignal::new(None::<Uuid>);
    // One timer at a time, however often the log reloads meanwhile.
    let waiting = RwSignal::new(false);
    Effect::new(move |_| {
        let pending = log.get().is_some_and(|r| {
            r.as_ref()
                .is_ok_and(|p| p.items.iter().any(|d| d.status == DeliveryStatus::Pending))
        });
        if pending && !waiting.get_untracked() {
            waiting.update_untracked(|w| *w = true);
            set_timeout(
                move || {
                    if waiting.try_update_untracked(|w| *w = false).is_some() {
                        tick.try_update(|t| *t += 1);
                    }
                },
                Duration::from_secs(2),
            );
        }
    });
    let retry = move |d: DeliveryOut| {
        spawn_local(async move {
            match api::retry(id, d.id).await {
                Ok(_) => {
                    c.toast(c.t("webhooks.retry_sent"), false);
                    tick.update(|t| *t += 1);
                }
                Err(e) => c.toast(message(&e), true),
            }
        });
    };
    let row = move |d: DeliveryOut| {
        let lang = c.lang.get();
        let did = d.id;
        let when = format::date_time(lang, d.created_at, c.tz_offset);
        let retry_label = c.ta(
            "webhooks.retry_one",
            &[("event", &d.event_type), ("date", &when)],
        );
        let details_label = c.ta(
            "webhooks.details_one",
            &[("event", &d.event_type), ("date", &when)],
        );
        let next = (d.status == DeliveryStatus::Pending)
            .then_some(d.next_attempt_at)
            .flatten()
            .map(|n| format::date_time(lang, n, c.tz_offset))
            .unwrap_or_default();
        let status_key = logic::status_key(d.status);
        let delivery = d.clone();
        view! {
            <tr id=format!("delivery-{did}") class="delivery" data-status=d.status.code()>
                <td class="when">{when.clone()}</td>
                <td><code>{d.event_type.clone()}</code></td>
                <td><span class=logic::status_class(d.status)>{move || c.t(&status_key)}</span></td>
                <td class="num attempts">{format!("{} / {MAX_ATTEMPTS}", d.attempts)}</td>
                <td class="num code">{d.last_status_code.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                <td class="num latency">{d.last_latency_ms.map(|ms| logic::latency(lang, ms)).unwrap_or_else(|| "—".into())}</td>
                <td class="when next">{next}</td>
                <td class="row-actions">
                    <button
                        type="button"
                        class="btn small"
                        aria-expanded=move || (open.get() == Some(did)).to_string()
                        aria-controls=format!("attempts-{did}")
                        aria-label=details_label
                        on:click=move |_| open.update(|o| *o = if *o == Some(did) { None } else { Some(did) })
                    >
                        {tr("webhooks.details")}
                    </button>
                    <Show when=move || can(Action::Update)>
                        {
                            let delivery = delivery.clone();
                            let label = retry_label.clone();
                            view! {
                                <button type="button" class="btn small retry" aria-label=label on:click=move |_| retry(delivery.clone())>
                                    {tr("webhooks.retry")}
                                </button>
                            }
                        }
                    </Show>
                </td>
            </tr>
            <Show when=move || open.get() == Some(did)>
                <tr class="attempts-row">
                    <td colspan="8" id=format!("attempts-{did}")>
                        <Attempts endpoint=id delivery=did tick=tick/>
                    </td>
                </tr>
            </Show>
        }
    };
    let filter_options = move || {
        let lang = c.lang.get();
        let types = catalogue.get().and_then(Result::ok).unwrap_or_default();
        let mut opts = vec![(String::new(), c.t("webhooks.any_event"))];
        for (family, names) in logic::families(&types) {
            opts.push((
                format!("{family}.*"),
                format!("{} ({family}.*)", logic::family_label(lang, &family)),
            ));
            opts.extend(names.into_iter().map(|n| (n.clone(), n)));
        }
        opts.extend(
            types
                .iter()
                .filter(|t| t.family == "webhook")
                .map(|t| (t.name.clone(), t.name.clone())),
        );
        opts.into_iter()
            .map(|(v, label)| {
                let sel = v.clone();
                view! { <option value=v selected=move || query.with(|q| q.event_type == sel)>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <section class="card log" aria-labelledby="log-title" id="delivery-log">
            <div class="log-head">
                <h2 id="log-title">{tr("webhooks.log")}</h2>
                <div class="log-filters">
                    <div class="field">
                        <label for="log-status">{tr("webhooks.state")}</label>
                        <select id="log-status" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            query.update(|q| q.set_status(&v));
                        }>
                            <option value="">{tr("webhooks.any_status")}</option>
                            {DeliveryStatus::ALL
                                .iter()
                                .map(|s| {
                                    let key = logic::status_key(*s);
                                    view! { <option value=s.code()>{move || c.t(&key)}</option> }
                                })
                                .collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="log-event-type">{tr("webhooks.event_type")}</label>
                        <select id="log-event-type" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            query.update(|q| q.set_event_type(&v));
                        }>
                            {filter_options}
                        </select>
                    </div>
                    <button type="button" class="btn" id="log-refresh" on:click=move |_| tick.update(|t| *t += 1)>
                        {tr("webhooks.refresh")}
                    </button>
                </div>
            </div>
            <Transition fallback=move || view! { <p class="loading">{tr("common.loading")}</p> }>
                {move || {
                    log.get().map(|r| match r {
                        Ok(p) if p.items.is_empty() && query.with(|q| q.page_number() == 1) => {
                            view! { <p class="empty" id="deliveries-empty">{tr("webhooks.log_empty")}</p> }.into_any()
                        }
                        Ok(p) => {
                            let next = p.next_cursor.clone();
                            view! {
                                <div class="table-wrap">
                                    <table class="data" id="deliveries-table">
                                        <caption class="sr-only">{tr("webhooks.log")}</caption>
                                        <thead>
                                            <tr>
                                                <th scope="col">{tr("webhooks.date")}</th>
                                                <th scope="col">{tr("webhooks.event_type")}</th>
                                                <th scope="col">{tr("webhooks.state")}</th>
                                                <th scope="col" class="num">{tr("webhooks.attempts")}</th>
                                                <th scope="col" class="num">{tr("webhooks.code")}</th>
                                                <th scope="col" class="num">{tr("webhooks.latency")}</th>
                                                <th scope="col">{tr("webhooks.next_attempt")}</th>
                                                <th scope="col"><span class="sr-only">{tr("tasks.actions")}</span></th>
                                            </tr>
                                        </thead>
                                        <tbody>{p.items.into_iter().map(row).collect_view()}</tbody>
                                    </table>
                                </div>
                                <div class="pager">
                                    <span class="muted">{move || c.ta("webhooks.page", &[("n", &query.with(LogQuery::page_number).to_string())])}</span>
                                    <button type="button" class="btn" id="log-prev" disabled=move || query.with(|q| q.page_number() == 1) on:click=move |_| query.update(LogQuery::previous)>
                                        {tr("list.previous")}
                                    </button>
                                    <button type="button" class="btn" id="log-next" disabled=next.is_none() on:click=move |_| {
                                        if let Some(cur) = next.clone() {
                                            query.update(|q| q.next(cur));
                                        }
                                    }>
                                        {tr("list.next")}
                                    </button>
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <div class="alert error" role="alert">{message(&e)}</div> }.into_any(),
                    })
                }}
            </Transition>
        </section>
    }
}

/// Every attempt of one delivery, with the receiver's answer.
#[component]
fn Attempts(endpoint: Uuid, delivery: Uuid, tick: RwSignal<u32>) -> impl IntoView {
    let c = ctx();
    let detail = LocalResource::new(move || {
        tick.track();
        async move { api::delivery(endpoint, delivery).await }
    });
    let table = move |d: DeliveryDetailOut| {
        let lang = c.lang.get();
        if d.attempts_log.is_empty() {
            return view! { <p class="muted">{tr("webhooks.no_attempts")}</p> }.into_any();
        }
        view! {
            <table class="data attempts-table">
                <thead>
                    <tr>
                        <th scope="col" class="num">"#"</th>
                        <th scope="col">{tr("webhooks.date")}</th>
                        <th scope="col" class="num">{tr("webhooks.code")}</th>
                        <th scope="col" class="num">{tr("webhooks.latency")}</th>
                        <th scope="col">{tr("webhooks.answer")}</th>
                    </tr>
                </thead>
                <tbody>
                    {d.attempts_log
                        .into_iter()
                        .map(|a| view! {
                            <tr>
                                <td class="num">{a.attempt}</td>
                                <td class="nowrap">{format::date_time(lang, a.started_at, c.tz_offset)}</td>
                                <td class="num">{a.status_code.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                                <td class="num">{logic::latency(lang, a.latency_ms)}</td>
                                <td>
                                    {a.error.map(|e| view! { <p class="small hook-warning">{e}</p> })}
                                    {a.response_body.filter(|b| !b.is_empty()).map(|b| view! { <pre class="answer">{b}</pre> })}
                                </td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <Transition fallback=move || view! { <p class="loading">{tr("common.loading")}</p> }>
            {move || {
                detail.get().map(|r| match r {
                    Ok(d) => table(d),
                    Err(e) => view! { <div class="alert error" role="alert">{message(&e)}</div> }.into_any(),
                })
            }}
        </Transition>
    }
}
