//! The user's own settings: name, language, theme and password (SPEC §11 "settings").

use crate::api;
use crate::app::{ctx, tr};
use crate::components::{ErrorAlert, FieldError, LangSelect, ThemeSelect, invalid};
use crate::problem::ApiError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use relais_types::{ChangePasswordIn, MePatch};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let c = ctx();
    let name = RwSignal::new(
        c.me.with_untracked(|m| m.as_ref().map(|m| m.full_name.clone()).unwrap_or_default()),
    );
    let profile_error = RwSignal::new(None::<ApiError>);
    let save_profile = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        profile_error.set(None);
        let patch = MePatch {
            full_name: Some(name.get_untracked().trim().to_owned()),
            ..MePatch::default()
        };
        spawn_local(async move {
            match api::update_me(&patch).await {
                Ok(me) => {
                    c.me.set(Some(me));
                    c.toast(c.t("settings.saved"), false);
                }
                Err(e) => profile_error.set(Some(e)),
            }
        });
    };

    let current = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let password_error = RwSignal::new(None::<ApiError>);
    let change_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        password_error.set(None);
        let input = ChangePasswordIn {
            current_password: current.get_untracked(),
            new_password: new_password.get_untracked(),
        };
        spawn_local(async move {
            match api::change_password(&input).await {
                Ok(()) => {
                    current.set(String::new());
                    new_password.set(String::new());
                    c.toast(c.t("password.changed"), false);
                }
                Err(e) => password_error.set(Some(e)),
            }
        });
    };

    view! {
        <div class="page-head">
            <h1>{tr("settings.title")}</h1>
        </div>
        <div class="settings">
            <form class="card" id="profile-form" on:submit=save_profile novalidate>
                <h2>{tr("settings.profile")}</h2>
                <ErrorAlert error=profile_error/>
                <div class="field">
                    <label for="settings-name">{tr("settings.full_name")}</label>
                    <input
                        id="settings-name"
                        type="text"
                        autocomplete="name"
                        bind:value=name
                        aria-invalid=invalid(profile_error, "full_name")
                        aria-describedby="settings-name-error"
                    />
                    <FieldError id="settings-name-error" field="full_name" error=profile_error/>
                </div>
                <p class="muted">
                    {move || c.me.with(|m| m.as_ref().map(|m| format!("{} · {} · {}", m.email, m.role.name, m.tenant.name)))}
                </p>
                <button type="submit" class="btn primary" id="profile-save">
                    {tr("common.save")}
                </button>
            </form>
            <section class="card" aria-labelledby="prefs-title">
                <h2 id="prefs-title">{tr("settings.preferences")}</h2>
                <div class="prefs-grid">
                    <p>{tr("theme.label")}</p>
                    <ThemeSelect id="settings-theme"/>
                    <p>{tr("lang.label")}</p>
                    <LangSelect id="settings-lang"/>
                </div>
                <p class="muted">{tr("settings.preferences_help")}</p>
            </section>
            <Show when=crate::pages::webhooks::visible>
                <section class="card" aria-labelledby="integrations-title">
                    <h2 id="integrations-title">{tr("webhooks.settings_card")}</h2>
                    <p class="muted">{tr("webhooks.settings_card_help")}</p>
                    <a class="btn" id="settings-webhooks" href="/settings/webhooks">{tr("webhooks.title")}</a>
                </section>
            </Show>
            <form class="card" id="password-form" on:submit=change_password novalidate>
                <h2>{tr("settings.password")}</h2>
                <ErrorAlert error=password_error/>
                <div class="field">
                    <label for="settings-current">{tr("password.current")}</label>
                    <input
                        id="settings-current"
                        type="password"
                        autocomplete="current-password"
                        bind:value=current
                        aria-invalid=invalid(password_error, "current_password")
                        aria-describedby="settings-current-error"
                    />
                    <FieldError id="settings-current-error" field="current_password" error=password_error/>
                </div>
                <div class="field">
                    <label for="settings-new">{tr("password.new")}</label>
                    <input
                        id="settings-new"
                        type="password"
                        autocomplete="new-password"
                        bind:value=new_password
                        aria-invalid=invalid(password_error, "new_password")
                        aria-describedby="settings-new-help settings-new-error"
                    />
                    <p class="help" id="settings-new-help">{tr("password.rules")}</p>
                    <FieldError id="settings-new-error" field="new_password" error=password_error/>
                </div>
                <button type="submit" class="btn primary" id="password-save">
                    {tr("password.change_submit")}
                </button>
            </form>
        </div>
    }
}
