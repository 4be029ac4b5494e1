use crate::app::tr;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <main class="auth" id="main">
            <div class="auth-card">
                <h1>{tr("not_found.title")}</h1>
                <p class="muted">{tr("not_found.text")}</p>
                <p class="auth-links">
                    <a href="/organisations">{tr("not_found.home")}</a>
                </p>
            </div>
        </main>
    }
}
