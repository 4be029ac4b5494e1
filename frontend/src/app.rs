//! The router, the app-wide context (user, language, theme, dialogs, toasts) and the layout
//! of signed-in pages.

use crate::api;
use crate::components::Toasts;
use crate::i18n::{self, Lang};
use crate::pages::{
    admin, auth, catalogue, not_found::NotFound, organisations, people, pipeline, search, settings,
    tasks, webhooks,
};
use crate::pages::{
    interaction_form, mandate_form, person_form, product_form, roles, task_form, trash,
};
use crate::state::{self, Shortcut};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::{
    NavigateOptions,
    components::{Outlet, ParentRoute, Redirect, Route, Router, Routes},
    hooks::{use_location, use_navigate},
    path,
};
use relais_domain::access::{Action, Resource};
use relais_types::{MeOut, MePatch, Theme};
use wasm_bindgen::JsCast;

const LANG_KEY: &str = "relais.lang";
const THEME_KEY: &str = "relais.theme";

/// A short message shown in the corner after an action.
#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub id: u32,
    pub text: String,
    pub error: bool,
}

/// What every component may read: copied freely (all fields are signals).
#[derive(Clone, Copy)]
pub struct Ctx {
    pub lang: RwSignal<Lang>,
    pub theme: RwSignal<Theme>,
    pub me: RwSignal<Option<MeOut>>,
    pub search_open: RwSignal<bool>,
    pub toasts: RwSignal<Vec<Toast>>,
    /// The browser's UTC offset in minutes, for dates.
    pub tz_offset: i32,
}

impl Ctx {
    /// The text for `key` in the current language (reactive when called in a view).
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.lang.get(), key)
    }

    pub fn ta(&self, key: &str, args: &[(&str, &str)]) -> String {
        i18n::t_args(self.lang.get(), key, args)
    }

    pub fn can(&self, resource: Resource, action: Action) -> bool {
        self.me.with(|me| {
            me.as_ref()
                .is_some_and(|m| state::can(&m.grants, resource, action))
        })
    }

    pub fn toast(&self, text: String, error: bool) {
        let toasts = self.toasts;
        let id = toasts.with_untracked(|t| t.iter().map(|t| t.id).max().unwrap_or(0) + 1);
        toasts.update(|t| t.push(Toast { id, text, error }));
        set_timeout(
            move || toasts.update(|t| t.retain(|x| x.id != id)),
            std::time::Duration::from_secs(6),
        );
    }

    /// Adopts the signed-in user's language and theme.
    pub fn sign_in(&self, me: MeOut) {
        self.lang.set(Lang::from_locale(me.locale));
        self.theme.set(me.theme);
        self.me.set(Some(me));
    }

    pub fn set_lang(&self, lang: Lang) {
        self.lang.set(lang);
        store(LANG_KEY, lang.code());
        self.persist(MePatch {
            locale: Some(lang.locale()),
            ..MePatch::default()
        });
    }

    pub fn set_theme(&self, theme: Theme) {
        self.theme.set(theme);
        store(THEME_KEY, theme.code());
        self.persist(MePatch {
            theme: Some(theme),
            ..MePatch::default()
        });
    }

    /// Saves a preference on the user's profile when signed in.
    fn persist(&self, patch: MePatch) {
        if self.me.with_untracked(Option::is_none) {
            return;
        }
        let c = *self;
        spawn_local(async move {
            match api::update_me(&patch).await {
                Ok(me) => c.me.set(Some(me)),
                Err(e) => c.toast(e.message(c.lang.get_untracked()), true),
            }
        });
    }
}

pub fn ctx() -> Ctx {
    expect_context::<Ctx>()
}

/// A reactive translated text, for views: `{tr("org.new")}`.
pub fn tr(key: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let lang = ctx().lang;
    move || i18n::t(lang.get(), key)
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn stored(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok()?
}

fn store(key: &str, value: &str) {
    if let Some(s) = local_storage() {
        let _ = s.set_item(key, value);
    }
}

fn prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Whether the operating system is in dark mode, kept current while the app runs (the
/// "system" theme follows a change at once, without a reload).
fn system_dark_signal() -> RwSignal<bool> {
    let dark = RwSignal::new(prefers_dark());
    if let Some(query) =
        web_sys::window().and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
    {
        let on_change = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::MediaQueryListEvent)>::new(
            move |ev: web_sys::MediaQueryListEvent| dark.set(ev.matches()),
        );
        let _ =
            query.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        // Listens for the life of the page.
        on_change.forget();
    }
    dark
}

/// The language before sign-in: the last one chosen on this browser, else French (the
/// product's default, whatever the browser's language).
fn initial_lang() -> Lang {
    stored(LANG_KEY)
        .map(|c| Lang::from_tag(&c))
        .unwrap_or_default()
}

#[component]
pub fn App() -> impl IntoView {
    let c = Ctx {
        lang: RwSignal::new(initial_lang()),
        theme: RwSignal::new(
            stored(THEME_KEY)
                .map(|t| Theme::from_code(&t))
                .unwrap_or_default(),
        ),
        me: RwSignal::new(None),
        search_open: RwSignal::new(false),
        toasts: RwSignal::new(Vec::new()),
        tz_offset: -(js_sys::Date::new_0().get_timezone_offset() as i32),
    };
    provide_context(c);
    crate::focus::install();
    let system_dark = system_dark_signal();

    // The theme and language live on <html> so that CSS and screen readers follow them.
    Effect::new(move |_| {
        let theme = state::effective_theme(c.theme.get(), system_dark.get());
        let lang = c.lang.get();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", theme);
            let _ = root.set_attribute("lang", lang.code());
        }
        document().set_title(&i18n::t(lang, "app.title"));
    });

    view! {
        <Toasts/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/login") view=auth::LoginPage/>
                <Route path=path!("/forgot-password") view=auth::ForgotPasswordPage/>
                <Route path=path!("/reset-password") view=auth::ResetPasswordPage/>
                <Route path=path!("/change-password") view=auth::ChangePasswordPage/>
                <ParentRoute path=path!("") view=Layout>
                    <Route path=path!("") view=|| view! { <Redirect path="/organisations"/> }/>
                    <Route path=path!("organisations") view=organisations::OrganisationsPage/>
                    <Route path=path!("organisations/new") view=organisations::NewOrganisationPage/>
                    <Route path=path!("organisations/:id") view=organisations::OrganisationPage/>
                    <Route
                        path=path!("organisations/:id/edit")
                        view=organisations::EditOrganisationPage
                    />
                    <Route path=path!("pipeline") view=pipeline::PipelinePage/>
                    <Route path=path!("people") view=people::PeoplePage/>
                    <Route path=path!("people/new") view=person_form::NewPersonPage/>
                    <Route path=path!("people/:id") view=people::PersonPage/>
                    <Route path=path!("people/:id/edit") view=person_form::EditPersonPage/>
                    <Route path=path!("tasks") view=tasks::TasksPage/>
                    <Route path=path!("tasks/new") view=task_form::NewTaskPage/>
                    <Route path=path!("tasks/:id") view=task_form::TaskPage/>
                    <Route path=path!("mandates") view=catalogue::MandatesPage/>
                    <Route path=path!("mandates/new") view=mandate_form::NewMandatePage/>
                    <Route path=path!("mandates/:id") view=mandate_form::MandatePage/>
                    <Route path=path!("products") view=catalogue::ProductsPage/>
                    <Route path=path!("products/new") view=product_form::NewProductPage/>
                    <Route path=path!("products/:id") view=product_form::ProductPage/>
                    <Route path=path!("interactions/new") view=interaction_form::NewInteractionPage/>
                    <Route path=path!("interactions/:id") view=interaction_form::InteractionPage/>
                    <Route path=path!("trash") view=trash::TrashPage/>
                    <Route path=path!("admin/roles/new") view=roles::NewRolePage/>
                    <Route path=path!("admin/roles/:id") view=roles::RolePage/>
                    <Route path=path!("imports") view=crate::pages::imports::ImportPage/>
                    <Route path=path!("settings") view=settings::SettingsPage/>
                    <Route path=path!("settings/webhooks") view=webhooks::WebhooksPage/>
                    <Route path=path!("settings/webhooks/new") view=webhooks::NewWebhookPage/>
                    <Route path=path!("settings/webhooks/:id") view=webhooks::WebhookPage/>
                    <Route path=path!("search") view=search::SearchPage/>
                    <Route path=path!("search/open/:kind/:id") view=search::OpenRecordPage/>
                    <Route path=path!("admin") view=admin::AdminPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Whether a key press happened while typing in a field.
fn typing_in_field(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.has_attribute("contenteditable")
        })
}

/// The frame of signed-in pages: sidebar, top bar, and the page. Sends visitors without a
/// session to the sign-in page and users who must change their password to that form.
#[component]
pub fn Layout() -> impl IntoView {
    let c = ctx();
    let navigate = use_navigate();
    let location = use_location();
    let nav_open = RwSignal::new(false);
    let menu_open = RwSignal::new(false);
    let load_error = RwSignal::new(None::<String>);

    {
        let navigate = navigate.clone();
        // Leave the signed-in pages first: clearing the user while they are mounted would
        // re-run their views against half-disposed state.
        api::on_session_end(move || {
            navigate("/login", NavigateOptions::default());
            c.me.set(None);
        });
    }

    // Load the profile once per session (after a reload the tokens are still stored).
    {
        let navigate = navigate.clone();
        Effect::new(move |_| {
            if c.me.with(Option::is_some) {
                return;
            }
            if api::session().is_none() {
                let here = location.pathname.get_untracked();
                navigate(
                    &format!("/login?next={}", state::encode(&here)),
                    NavigateOptions::default(),
                );
                return;
            }
            let navigate = navigate.clone();
            spawn_local(async move {
                match api::me().await {
                    Ok(me) => {
                        let must_change = me.must_change_password;
                        c.sign_in(me);
                        if must_change {
                            navigate("/change-password", NavigateOptions::default());
                        }
                    }
                    Err(e) if e.status() == 401 => {
                        api::clear_session();
                        navigate("/login", NavigateOptions::default());
                    }
                    Err(e) => load_error.set(Some(e.message(c.lang.get_untracked()))),
                }
            });
        });
    }

    // Close the mobile menu after navigating.
    Effect::new(move |_| {
        location.pathname.track();
        nav_open.set(false);
        menu_open.set(false);
    });

    let _keys = {
        let navigate = navigate.clone();
        window_event_listener(leptos::ev::keydown, move |ev| {
            let ctrl = ev.ctrl_key() || ev.meta_key();
            match state::shortcut(&ev.key(), ctrl, typing_in_field(&ev)) {
                Some(Shortcut::Search) => {
                    ev.prevent_default();
                    c.search_open.set(true);
                }
                Some(Shortcut::NewRecord) => {
                    let here = location.pathname.get_untracked();
                    if let Some((form, resource)) = crate::edit::new_record_route(&here)
                        && c.can(resource, Action::Create)
                    {
                        ev.prevent_default();
                        navigate(form, NavigateOptions::default());
                    }
                }
                Some(Shortcut::CloseDialog) => {
                    c.search_open.set(false);
                    menu_open.set(false);
                    nav_open.set(false);
                }
                None => {}
            }
        })
    };

    let logout = move |_| {
        spawn_local(async move {
            api::logout().await;
            // A full reload drops every page and cached answer of the signed-out user.
            let _ = window().location().set_href("/login");
        });
    };
    let current = move |prefix: &'static str| {
        move || {
            location
                .pathname
                .with(|p| p.starts_with(prefix))
                .then_some("page")
        }
    };

    view! {
        <a class="skip-link" href="#main">{tr("layout.skip")}</a>
        <div class="shell" class:nav-open=nav_open>
            <aside class="sidebar" id="sidebar">
                <div class="brand">
                    <span class="brand-mark" aria-hidden="true">"R"</span>
                    {tr("app.name")}
                </div>
                <nav aria-label=tr("nav.label")>
                    <ul>
                        <li>
                            <a href="/organisations" aria-current=current("/organisations")>
                                {tr("nav.organisations")}
                            </a>
                        </li>
                        <li>
                            <a href="/people" aria-current=current("/people")>
                                {tr("nav.people")}
                            </a>
                        </li>
                        <li>
                            <a href="/pipeline" aria-current=current("/pipeline")>
                                {tr("nav.pipeline")}
                            </a>
                        </li>
                        <li>
                            <a href="/mandates" aria-current=current("/mandates")>
                                {tr("nav.mandates")}
                            </a>
                        </li>
                        <li>
                            <a href="/products" aria-current=current("/products")>
                                {tr("nav.products")}
                            </a>
                        </li>
                        <li>
                            <a href="/tasks" aria-current=current("/tasks")>
                                {tr("nav.tasks")}
                            </a>
                        </li>
                        <Show when=move || {
                            c.can(Resource::Organisations, Action::Import)
                                || c.can(Resource::People, Action::Import)
                        }>
                            <li>
                                <a href="/imports" aria-current=current("/imports")>
                                    {tr("import.nav")}
                                </a>
                            </li>
                        </Show>
                        <li>
                            <a href="/settings" aria-current=current("/settings")>
                                {tr("nav.settings")}
                            </a>
                        </li>
                        <Show when=admin::visible>
                            <li>
                                <a href="/admin" aria-current=current("/admin")>
                                    {tr("nav.admin")}
                                </a>
                            </li>
                        </Show>
                        <Show when=trash::visible>
                            <li>
                                <a href="/trash" aria-current=current("/trash")>
                                    {tr("nav.trash")}
                                </a>
                            </li>
                        </Show>
                    </ul>
                </nav>
            </aside>
            <div
                class="backdrop"
                class:visible=nav_open
                on:click=move |_| nav_open.set(false)
                aria-hidden="true"
            ></div>
            <div class="main-col">
                <header class="topbar">
                    <button
                        type="button"
                        class="icon-btn nav-toggle"
                        aria-controls="sidebar"
                        aria-expanded=move || nav_open.get().to_string()
                        aria-label=tr("nav.menu")
                        on:click=move |_| nav_open.update(|o| *o = !*o)
                    >
                        <span aria-hidden="true">"☰"</span>
                    </button>
                    <button
                        type="button"
                        id="search-button"
                        class="search-btn"
                        on:click=move |_| c.search_open.set(true)
                    >
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" width="18" height="18">
                            <circle cx="10.5" cy="10.5" r="6.5" fill="none" stroke="currentColor" stroke-width="2"></circle>
                            <path d="M15.5 15.5L21 21" stroke="currentColor" stroke-width="2" stroke-linecap="round"></path>
                        </svg>
                        <span class="search-label">{tr("search.button")}</span>
                        <kbd class="hide-phone">"Ctrl K"</kbd>
                    </button>
                    <div class="spacer"></div>
                    <div class="prefs hide-phone">
                        <crate::components::ThemeSelect id="theme-select"/>
                        <crate::components::LangSelect id="lang-select"/>
                    </div>
                    <div class="profile">
                        <button
                            type="button"
                            id="profile-button"
                            class="profile-btn"
                            aria-haspopup="true"
                            aria-expanded=move || menu_open.get().to_string()
                            aria-controls="profile-menu"
                            on:click=move |_| menu_open.update(|o| *o = !*o)
                        >
                            <span class="avatar" aria-hidden="true">
                                {move || {
                                    c.me
                                        .with(|m| {
                                            m.as_ref()
                                                .and_then(|m| m.full_name.chars().next())
                                                .unwrap_or('?')
                                                .to_string()
                                        })
                                }}
                            </span>
                            <span class="sr-only">{tr("profile.menu")}</span>
                        </button>
                        <Show when=move || menu_open.get()>
                            <div class="menu" id="profile-menu">
                                <p class="menu-name">
                                    {move || c.me.with(|m| m.as_ref().map(|m| m.full_name.clone()))}
                                </p>
                                <p class="menu-sub">
                                    {move || c.me.with(|m| m.as_ref().map(|m| m.email.clone()))}
                                </p>
                                <p class="menu-sub">
                                    {move || {
                                        c.me
                                            .with(|m| {
                                                m.as_ref()
                                                    .map(|m| format!("{} · {}", m.role.name, m.tenant.name))
                                            })
                                    }}
                                </p>
                                // On phones the preferences live here, the top bar being too narrow.
                                <div class="menu-prefs show-phone">
                                    <crate::components::ThemeSelect id="menu-theme-select"/>
                                    <crate::components::LangSelect id="menu-lang-select"/>
                                </div>
                                <a class="btn" id="settings-link" href="/settings">
                                    {tr("nav.settings")}
                                </a>
                                <button type="button" id="logout-button" class="btn" on:click=logout>
                                    {tr("profile.logout")}
                                </button>
                            </div>
                        </Show>
                    </div>
                </header>
                <main id="main" tabindex="-1">
                    <Show
                        when=move || c.me.with(Option::is_some)
                        fallback=move || {
                            view! {
                                <p class="loading" role="status">
                                    {move || load_error.get().unwrap_or_else(|| c.t("common.loading"))}
                                </p>
                            }
                        }
                    >
                        <Outlet/>
                    </Show>
                </main>
            </div>
        </div>
        <search::SearchPalette/>
    }
}
