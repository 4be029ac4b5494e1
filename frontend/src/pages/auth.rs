//! Sign-in, password recovery and the forced password change (SPEC UI-1).

use crate::api;
use crate::app::{ctx, tr};
use crate::components::{AuthFrame, ErrorAlert, FieldError, invalid};
use crate::problem::ApiError;
use crate::state;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_query_map},
};
use relais_types::{ChangePasswordIn, ForgotPasswordIn, LoginIn, ResetPasswordIn};

fn optional(s: String) -> Option<String> {
    let s = s.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// A client-side refusal shaped like the server's, so that it renders the same way.
fn local_error(field: &str, code: &str) -> ApiError {
    ApiError::Problem(relais_types::Problem {
        type_: "/problems/validation-failed".into(),
        title: "Invalid request".into(),
        status: 422,
        code: "validation_failed".into(),
        detail: None,
        request_id: None,
        errors: vec![relais_types::FieldError {
            field: field.into(),
            code: code.into(),
            message: code.into(),
        }],
    })
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let c = ctx();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let tenant = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let query = use_query_map();
    let navigate = use_navigate();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let input = LoginIn {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            tenant: optional(tenant.get_untracked()),
        };
        let next = state::safe_redirect(query.with_untracked(|q| q.get("next")).as_deref());
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::login(&input).await {
                Ok(me) => {
                    let must_change = me.must_change_password;
                    c.sign_in(me);
                    let to = if must_change {
                        "/change-password"
                    } else {
                        &next
                    };
                    navigate(to, NavigateOptions::default());
                }
                Err(e) => {
                    password.set(String::new());
                    error.set(Some(e));
                }
            }
            busy.set(false);
        });
    };

    view! {
        <AuthFrame title="login.title">
            <form on:submit=submit novalidate>
                <ErrorAlert error=error/>
                <div class="field">
                    <label for="login-email">{tr("login.email")}</label>
                    <input
                        id="login-email"
                        type="email"
                        autocomplete="username"
                        required
                        bind:value=email
                        aria-invalid=invalid(error, "email")
                        aria-describedby="login-email-error"
                    />
                    <FieldError id="login-email-error" field="email" error=error/>
                </div>
                <div class="field">
                    <label for="login-password">{tr("login.password")}</label>
                    <input
                        id="login-password"
                        type="password"
                        autocomplete="current-password"
                        required
                        bind:value=password
                        aria-invalid=invalid(error, "password")
                        aria-describedby="login-password-error"
                    />
                    <FieldError id="login-password-error" field="password" error=error/>
                </div>
                <div class="field">
                    <label for="login-tenant">{tr("login.tenant")}</label>
                    <input
                        id="login-tenant"
                        type="text"
                        autocomplete="organization"
                        bind:value=tenant
                        aria-describedby="login-tenant-help"
                    />
                    <p class="help" id="login-tenant-help">
                        {tr("login.tenant_help")}
                    </p>
                </div>
                <button type="submit" id="login-submit" class="btn primary wide" disabled=busy>
                    {move || if busy.get() { c.t("login.signing_in") } else { c.t("login.submit") }}
                </button>
            </form>
            <p class="auth-links">
                <a href="/forgot-password">{tr("login.forgot")}</a>
            </p>
        </AuthFrame>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let tenant = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let sent = RwSignal::new(false);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let input = ForgotPasswordIn {
            email: email.get_untracked().trim().to_owned(),
            tenant: optional(tenant.get_untracked()),
        };
        spawn_local(async move {
            match api::forgot_password(&input).await {
                Ok(()) => sent.set(true),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <AuthFrame title="forgot.title">
            <Show
                when=move || !sent.get()
                fallback=|| {
                    view! {
                        <p class="alert success" role="status" id="forgot-sent">
                            {tr("forgot.sent")}
                        </p>
                    }
                }
            >
                <p class="muted">{tr("forgot.intro")}</p>
                <form on:submit=submit novalidate>
                    <ErrorAlert error=error/>
                    <div class="field">
                        <label for="forgot-email">{tr("login.email")}</label>
                        <input
                            id="forgot-email"
                            type="email"
                            autocomplete="username"
                            required
                            bind:value=email
                            aria-invalid=invalid(error, "email")
                            aria-describedby="forgot-email-error"
                        />
                        <FieldError id="forgot-email-error" field="email" error=error/>
                    </div>
                    <div class="field">
                        <label for="forgot-tenant">{tr("login.tenant")}</label>
                        <input id="forgot-tenant" type="text" bind:value=tenant/>
                    </div>
                    <button type="submit" class="btn primary wide" disabled=busy>
                        {tr("forgot.submit")}
                    </button>
                </form>
            </Show>
            <p class="auth-links">
                <a href="/login">{tr("forgot.back")}</a>
            </p>
        </AuthFrame>
    }
}

/// Shared by the reset (from the emailed link) and the forced change: a new password typed
/// twice. Returns the field error when the two differ.
fn confirm_mismatch(new: &str, confirm: &str) -> Option<ApiError> {
    (new != confirm).then(|| local_error("confirm_password", "mismatch"))
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let new_password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let done = RwSignal::new(false);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(e) = confirm_mismatch(&new_password.get_untracked(), &confirm.get_untracked()) {
            error.set(Some(e));
            return;
        }
        busy.set(true);
        error.set(None);
        let input = ResetPasswordIn {
            token: query.with_untracked(|q| q.get("token")).unwrap_or_default(),
            new_password: new_password.get_untracked(),
        };
        spawn_local(async move {
            match api::reset_password(&input).await {
                Ok(()) => done.set(true),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <AuthFrame title="reset.title">
            <Show
                when=move || !done.get()
                fallback=|| {
                    view! {
                        <p class="alert success" role="status">
                            {tr("reset.done")}
                        </p>
                        <p class="auth-links">
                            <a href="/login">{tr("reset.sign_in")}</a>
                        </p>
                    }
                }
            >
                <form on:submit=submit novalidate>
                    <ErrorAlert error=error/>
                    <NewPasswordFields new_password=new_password confirm=confirm error=error/>
                    <button type="submit" class="btn primary wide" disabled=busy>
                        {tr("reset.submit")}
                    </button>
                </form>
            </Show>
        </AuthFrame>
    }
}

#[component]
fn NewPasswordFields(
    new_password: RwSignal<String>,
    confirm: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for="new-password">{tr("password.new")}</label>
            <input
                id="new-password"
                type="password"
                autocomplete="new-password"
                required
                minlength="12"
                bind:value=new_password
                aria-invalid=invalid(error, "new_password")
                aria-describedby="new-password-help new-password-error"
            />
            <p class="help" id="new-password-help">
                {tr("password.rules")}
            </p>
            <FieldError id="new-password-error" field="new_password" error=error/>
        </div>
        <div class="field">
            <label for="confirm-password">{tr("password.confirm")}</label>
            <input
                id="confirm-password"
                type="password"
                autocomplete="new-password"
                required
                bind:value=confirm
                aria-invalid=invalid(error, "confirm_password")
                aria-describedby="confirm-password-error"
            />
            <FieldError id="confirm-password-error" field="confirm_password" error=error/>
        </div>
    }
}

/// The first sign-in with a temporary password ends here: nothing else works until the user
/// has chosen their own.
#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let c = ctx();
    let navigate = use_navigate();
    let current = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    if api::session().is_none() {
        navigate("/login", NavigateOptions::default());
    }

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(e) = confirm_mismatch(&new_password.get_untracked(), &confirm.get_untracked()) {
            error.set(Some(e));
            return;
        }
        busy.set(true);
        error.set(None);
        let input = ChangePasswordIn {
            current_password: current.get_untracked(),
            new_password: new_password.get_untracked(),
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            let outcome = match api::change_password(&input).await {
                Ok(()) => api::me().await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(me) => {
                    c.sign_in(me);
                    c.toast(c.t("password.changed"), false);
                    navigate("/organisations", NavigateOptions::default());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <AuthFrame title="password.change_title">
            <p class="muted">{tr("password.change_intro")}</p>
            <form on:submit=submit novalidate>
                <ErrorAlert error=error/>
                <div class="field">
                    <label for="current-password">{tr("password.current")}</label>
                    <input
                        id="current-password"
                        type="password"
                        autocomplete="current-password"
                        required
                        bind:value=current
                        aria-invalid=invalid(error, "current_password")
                        aria-describedby="current-password-error"
                    />
                    <FieldError id="current-password-error" field="current_password" error=error/>
                </div>
                <NewPasswordFields new_password=new_password confirm=confirm error=error/>
                <button type="submit" id="change-password-submit" class="btn primary wide" disabled=busy>
                    {tr("password.change_submit")}
                </button>
            </form>
        </AuthFrame>
    }
}
