//! Reusable pieces: dialogs, toasts, preference switches, form errors. (The search palette
//! lives with the search page, in `pages/search.rs`.)

use crate::app::{ctx, tr};
use crate::i18n::Lang;
use crate::problem::ApiError;
use leptos::prelude::*;
use relais_types::Theme;

#[component]
pub fn Toasts() -> impl IntoView {
    let c = ctx();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || c.toasts.get() key=|t| t.id let:toast>
                <div class="toast" class:error=toast.error>
                    {toast.text}
                </div>
            </For>
        </div>
    }
}

/// Light, dark or following the system; saved on the profile when signed in.
#[component]
pub fn ThemeSelect(id: &'static str) -> impl IntoView {
    let c = ctx();
    view! {
        <label class="sr-only" for=id>
            {tr("theme.label")}
        </label>
        <select
            id=id
            class="compact"
            title=tr("theme.label")
            on:change=move |ev| c.set_theme(Theme::from_code(&event_target_value(&ev)))
            prop:value=move || c.theme.get().code()
        >
            <option value="system" selected=move || c.theme.get() == Theme::System>
                {tr("theme.system")}
            </option>
            <option value="light" selected=move || c.theme.get() == Theme::Light>
                {tr("theme.light")}
            </option>
            <option value="dark" selected=move || c.theme.get() == Theme::Dark>
                {tr("theme.dark")}
            </option>
        </select>
    }
}

/// Français or English; saved on the profile when signed in.
#[component]
pub fn LangSelect(id: &'static str) -> impl IntoView {
    let c = ctx();
    view! {
        <label class="sr-only" for=id>
            {tr("lang.label")}
        </label>
        <select
            id=id
            class="compact"
            title=tr("lang.label")
            on:change=move |ev| c.set_lang(Lang::from_tag(&event_target_value(&ev)))
            prop:value=move || c.lang.get().code()
        >
            // Each language is named in itself, whatever the interface language.
            <option value="fr" lang="fr" selected=move || c.lang.get() == Lang::Fr>
                "Français"
            </option>
            <option value="en" lang="en" selected=move || c.lang.get() == Lang::En>
                "English"
            </option>
        </select>
    }
}

/// Asks before a destructive action. Esc or "Cancel" closes it; the cancel button has the
/// focus when it opens, so Enter never destroys by accident.
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    title: &'static str,
    #[prop(into)] text: Signal<String>,
    confirm: &'static str,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let cancel = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if open.get()
            && let Some(el) = cancel.get()
        {
            let _ = el.focus();
        }
    });
    view! {
        <Show when=move || open.get()>
            <div class="dialog-backdrop" on:click=move |_| open.set(false)></div>
            <div
                class="dialog"
                role="alertdialog"
                aria-modal="true"
                aria-labelledby="confirm-title"
                aria-describedby="confirm-text"
                id="confirm-dialog"
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        open.set(false);
                    }
                }
            >
                <h2 id="confirm-title">{tr(title)}</h2>
                <p id="confirm-text">{move || text.get()}</p>
                <div class="dialog-actions">
                    <button type="button" class="btn" node_ref=cancel on:click=move |_| open.set(false)>
                        {tr("common.cancel")}
                    </button>
                    <button
                        type="button"
                        class="btn danger"
                        id="confirm-button"
                        on:click=move |_| {
                            open.set(false);
                            on_confirm.run(());
                        }
                    >
                        {tr(confirm)}
                    </button>
                </div>
            </div>
        </Show>
    }
}

/// The error of a whole form, announced to screen readers.
#[component]
pub fn ErrorAlert(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let c = ctx();
    view! {
        <Show when=move || error.with(Option::is_some)>
            <div class="alert error" role="alert" id="form-error">
                {move || error.with(|e| e.as_ref().map(|e| e.message(c.lang.get())))}
            </div>
        </Show>
    }
}

/// The message under one field (`id` is `<input id>-error`, referenced by aria-describedby).
#[component]
pub fn FieldError(
    id: &'static str,
    field: &'static str,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let c = ctx();
    let message = move || {
        error.with(|e| {
            e.as_ref()
                .and_then(|e| e.field_message(c.lang.get(), field))
        })
    };
    view! {
        <p class="field-error" id=id>
            {message}
        </p>
    }
}

/// Whether the API refused this field (for `aria-invalid`).
pub fn invalid(
    error: RwSignal<Option<ApiError>>,
    field: &'static str,
) -> impl Fn() -> &'static str {
    move || {
        if error.with(|e| {
            e.as_ref()
                .is_some_and(|e| e.field_errors().iter().any(|f| f.field == field))
        }) {
            "true"
        } else {
            "false"
        }
    }
}

/// The centred card of the sign-in pages, with the language and theme switches.
#[component]
pub fn AuthFrame(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <main class="auth" id="main">
            <div class="auth-card">
                <div class="brand">
                    <span class="brand-mark" aria-hidden="true">"R"</span>
                    {tr("app.name")}
                </div>
                <h1>{tr(title)}</h1>
                {children()}
                <div class="auth-prefs">
                    <ThemeSelect id="auth-theme"/>
                    <LangSelect id="auth-lang"/>
                </div>
            </div>
        </main>
    }
}
