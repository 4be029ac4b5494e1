//! Global search: the palette (Ctrl+K or `/`) with live suggestions as you type, and the full
//! results page with filters (`/search?q=`). The logic is in `crate::search`.

use crate::api;
use crate::app::{ctx, tr};
use crate::i18n::{self, Lang};
use crate::search::{
    self as logic, Choice, Palette, PaletteCmd, ResultsQuery, Segment, Suggestion,
};
use crate::state::encode;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_params_map, use_query_map},
};
use relais_domain::crm::Category;
use relais_domain::mandates::MandateStatus;
use relais_domain::search::SearchType;
use relais_types::{SearchGroupOut, SearchHitOut};
use std::time::Duration;
use uuid::Uuid;
use wasm_bindgen::JsCast;

/// Results per kind on the full page.
const PAGE_LIMIT: u32 = 20;

fn recent_key() -> Option<String> {
    let c = ctx();
    c.me.with_untracked(|m| {
        m.as_ref()
            .map(|m| format!("relais.recent_searches.{}", m.id))
    })
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// This user's recent searches on this browser.
fn load_recent() -> Vec<String> {
    let raw = recent_key().and_then(|k| storage()?.get_item(&k).ok()?);
    logic::recent_from_json(raw.as_deref())
}

fn save_recent(list: &[String]) {
    if let (Some(k), Some(s)) = (recent_key(), storage()) {
        let _ = s.set_item(&k, &logic::recent_to_json(list));
    }
}

/// Puts `text` at the top of the recent searches.
fn remember(text: &str) {
    let mut list = load_recent();
    logic::remember(&mut list, text);
    save_recent(&list);
}

fn type_label(t: SearchType) -> String {
    format!("search.type.{}", t.code())
}

/// A small picture of the kind of record (decorative: the group heading names it).
pub fn type_icon(t: SearchType) -> impl IntoView {
    let path = match t {
        SearchType::Organisation => {
            "M4 21V6l8-3 8 3v15M4 21h16M9 21v-4h6v4M8 9h2M14 9h2M8 13h2M14 13h2"
        }
        SearchType::Person => "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21c0-4 4-6 8-6s8 2 8 6",
        SearchType::Mandate => "M6 3h9l4 4v14H6zM14 3v5h5M9 13h7M9 17h5",
        SearchType::Interaction => "M4 5h16v11H9l-5 4z M8 9h8M8 12h5",
    };
    view! {
        <svg class=format!("icon type-icon type-{}", t.code()) viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
            <path d=path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"></path>
        </svg>
    }
}

/// A highlighted excerpt: text nodes, with the matching words in `<mark>`.
pub fn snippet_view(segments: Vec<Segment>) -> impl IntoView {
    segments
        .into_iter()
        .map(|s| {
            if s.marked {
                view! { <mark>{s.text}</mark> }.into_any()
            } else {
                s.text.into_any()
            }
        })
        .collect_view()
}

/// Runs what the palette asked for: a debounce timer, then the two requests.
fn perform(palette: RwSignal<Palette>, cmd: PaletteCmd) {
    match cmd {
        PaletteCmd::Nothing => {}
        PaletteCmd::Wait(generation) => set_timeout(
            move || {
                if let Some(next) = palette.try_update(|p| p.timer_fired(generation)) {
                    perform(palette, next);
                }
            },
            Duration::from_millis(logic::DEBOUNCE_MS),
        ),
        PaletteCmd::Fetch { generation, text } => spawn_local(async move {
            let full = format!("q={}&limit={}", encode(&text), logic::PER_TYPE);
            let (ac, sr) =
                futures::future::join(api::search::autocomplete(&text), api::search::search(&full))
                    .await;
            let result = match (&ac, &sr) {
                (Err(_), Err(_)) => Err(()),
                _ => Ok(logic::merge(ac.as_ref().ok(), sr.as_ref().ok())),
            };
            palette.try_update(|p| p.answered(generation, result));
        }),
    }
}

fn focus(id: &str) {
    if let Some(el) = document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// The search palette: a combobox whose suggestions come as you type (after a short pause,
/// answers to older text dropped), grouped by kind; arrows and Enter open a record, Esc
/// closes; with nothing typed it offers the recent searches.
#[component]
pub fn SearchPalette() -> impl IntoView {
    let c = ctx();
    let navigate = use_navigate();
    let palette = RwSignal::new(Palette::default());
    let recent = RwSignal::new(Vec::<String>::new());
    let input = NodeRef::<leptos::html::Input>::new();

    // A fresh palette each time it opens (Ctrl+K again while open keeps what is typed).
    Effect::new(move |was_open: Option<bool>| {
        let open = c.search_open.get();
        if open && was_open != Some(true) {
            palette.set(Palette::default());
            recent.set(load_recent());
        }
        if open && let Some(el) = input.get() {
            let _ = el.focus();
        }
        open
    });
    // Keep the active option in view.
    Effect::new(move |_| {
        if let Some(i) = palette.with(|p| p.active)
            && let Some(el) = document().get_element_by_id(&Palette::option_id(i))
        {
            el.scroll_into_view_with_bool(false);
        }
    });

    let close = move || c.search_open.set(false);
    let set_text = move |text: String| {
        let cmd = palette.try_update(|p| p.input(text));
        if let Some(cmd) = cmd {
            perform(palette, cmd);
        }
    };
    let choose = {
        let navigate = navigate.clone();
        move |choice: Choice| match choice {
            Choice::Open(s) => {
                remember(&palette.with_untracked(|p| p.text.clone()));
                close();
                navigate(
                    &logic::record_href(s.type_, s.id),
                    NavigateOptions::default(),
                );
            }
            Choice::AllResults(text) => {
                remember(&text);
                close();
                let q = ResultsQuery {
                    q: text,
                    ..ResultsQuery::default()
                };
                navigate(&q.to_url(), NavigateOptions::default());
            }
            Choice::Recent(text) => {
                set_text(text);
                if let Some(el) = input.get_untracked() {
                    let _ = el.focus();
                }
            }
        }
    };
    let on_keydown = {
        let choose = choose.clone();
        move |ev: web_sys::KeyboardEvent| {
            let r = recent.get_untracked();
            match ev.key().as_str() {
                "ArrowDown" | "ArrowUp" => {
                    ev.prevent_default();
                    let step = if ev.key() == "ArrowDown" { 1 } else { -1 };
                    palette.update(|p| p.move_active(step, &r));
                }
                // In the field, Home and End move the caret until an option is chosen.
                "Home" | "End" if palette.with_untracked(|p| p.active.is_some()) => {
                    ev.prevent_default();
                    palette.update(|p| p.jump(ev.key() == "End", &r));
                }
                "Enter" => {
                    ev.prevent_default();
                    if let Some(choice) = palette.with_untracked(|p| p.enter(&r)) {
                        choose(choice);
                    }
                }
                "Escape" => {
                    ev.prevent_default();
                    close();
                }
                _ => {}
            }
        }
    };
    // Tab stays inside the dialog: from the last control back to the field and round.
    let trap = move |ev: web_sys::KeyboardEvent| {
        if ev.key() != "Tab" {
            return;
        }
        let active = document()
            .active_element()
            .map(|e| e.id())
            .unwrap_or_default();
        if ev.shift_key() && active == "search-input" {
            ev.prevent_default();
            focus("search-close");
        } else if !ev.shift_key() && active == "search-close" {
            ev.prevent_default();
            focus("search-input");
        }
    };

    let option = {
        let choose = choose.clone();
        move |index: usize, body: AnyView| {
            let choose = choose.clone();
            view! {
                <div
                    role="option"
                    class="palette-option"
                    id=Palette::option_id(index)
                    aria-selected=move || (palette.with(|p| p.active) == Some(index)).to_string()
                    on:mousemove=move |_| {
                        if palette.with_untracked(|p| p.active) != Some(index) {
                            palette.update(|p| p.active = Some(index));
                        }
                    }
                    on:click=move |_| {
                        let r = recent.get_untracked();
                        if let Some(choice) = palette.with_untracked(|p| p.choice(index, &r)) {
                            choose(choice);
                        }
                    }
                >
                    {body}
                </div>
            }
        }
    };

    let suggestion_body = move |s: &Suggestion| {
        let lang = c.lang.get_untracked();
        let detail = s
            .detail
            .as_deref()
            .map(|d| logic::detail_text(lang, s.type_, d));
        let snippet = s.snippet.clone().map(|(field, segs)| {
            view! {
                <span class="palette-snippet">
                    <span class="muted">{logic::field_label(lang, &field)}" : "</span>
                    {snippet_view(segs)}
                </span>
            }
        });
        view! {
            {type_icon(s.type_)}
            <span class="palette-text">
                <span class="palette-title">{s.title.clone()}</span>
                {detail.map(|d| view! { <span class="palette-detail">{d}</span> })}
                {snippet}
            </span>
        }
        .into_any()
    };

    let list = {
        let option = option.clone();
        move || {
            let p = palette.get();
            let r = recent.get();
            if p.text.trim().is_empty() {
                if r.is_empty() {
                    return view! { <p class="muted palette-hint">{tr("search.hint")}</p> }
                        .into_any();
                }
                let options = r
                    .iter()
                    .enumerate()
                    .map(|(i, text)| {
                        let body = view! {
                            <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                                <path d="M12 7v5l3 2M4 12a8 8 0 1 0 2.3-5.7M4 4v3h3" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"></path>
                            </svg>
                            <span class="palette-title">{text.clone()}</span>
                        }
                        .into_any();
                        option(i, body)
                    })
                    .collect_view();
                return view! {
                    <div id="search-listbox" role="listbox" aria-label=tr("search.recent")>
                        <div role="group" aria-labelledby="search-group-recent">
                            <div role="presentation" class="palette-group" id="search-group-recent">
                                {tr("search.recent")}
                            </div>
                            {options}
                        </div>
                    </div>
                    <button type="button" class="btn small link-btn" id="search-clear-recent" on:click=move |_| {
                        save_recent(&[]);
                        recent.set(Vec::new());
                        palette.update(|p| p.active = None);
                    }>
                        {tr("search.clear_recent")}
                    </button>
                }
                .into_any();
            }
            let Some(text) = logic::searchable(&p.text).map(str::to_owned) else {
                return view! { <p class="muted palette-hint">{tr("search.too_short")}</p> }
                    .into_any();
            };
            let groups = logic::groups(&p.items)
                .into_iter()
                .map(|(t, items)| {
                    let label_id = format!("search-group-{}", t.code());
                    let labelled_by = label_id.clone();
                    let options = items
                        .into_iter()
                        .map(|(i, s)| option(i, suggestion_body(s)))
                        .collect_view();
                    view! {
                        <div role="group" aria-labelledby=labelled_by>
                            <div role="presentation" class="palette-group" id=label_id>
                                {tr_key(type_label(t))}
                            </div>
                            {options}
                        </div>
                    }
                })
                .collect_view();
            let all_index = p.items.len();
            let all = option(
                all_index,
                view! {
                    <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                        <circle cx="10.5" cy="10.5" r="6.5" fill="none" stroke="currentColor" stroke-width="1.8"></circle>
                        <path d="M15.5 15.5L21 21" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"></path>
                    </svg>
                    <span class="palette-title">
                        {move || c.ta("search.all_results", &[("q", &text)])}
                    </span>
                }
                .into_any(),
            );
            let empty = (p.items.is_empty() && p.shown_for.is_some() && !p.loading)
                .then(|| view! { <p class="muted palette-hint" id="search-empty">{tr("search.no_results")}</p> });
            let failed = p
                .failed
                .then(|| view! { <p class="alert error palette-hint" id="search-failed">{tr("search.failed")}</p> });
            view! {
                {failed}
                {empty}
                <div id="search-listbox" role="listbox" aria-label=tr("search.results_label")>
                    {groups}
                    {all}
                </div>
            }
            .into_any()
        }
    };

    // Announced to screen readers: searching, or how many suggestions.
    let status = move || {
        palette.with(|p| {
            if p.loading {
                c.t("search.searching")
            } else if p.shown_for.is_some() {
                c.ta("search.count", &[("n", &p.items.len().to_string())])
            } else {
                String::new()
            }
        })
    };

    view! {
        <Show when=move || c.search_open.get()>
            <div class="dialog-backdrop" on:click=move |_| close()></div>
            <div
                class="dialog palette"
                role="dialog"
                aria-modal="true"
                aria-labelledby="search-title"
                id="search-dialog"
                on:keydown=trap
            >
                <h2 id="search-title">{tr("search.title")}</h2>
                <label class="sr-only" for="search-input">
                    {tr("search.title")}
                </label>
                <div class="palette-field" class:busy=move || palette.with(|p| p.loading)>
                    <input
                        id="search-input"
                        type="text"
                        role="combobox"
                        aria-autocomplete="list"
                        aria-controls="search-listbox"
                        aria-expanded=move || {
                            let r = recent.get();
                            palette.with(|p| (p.option_count(&r) > 0).to_string())
                        }
                        aria-activedescendant=move || palette.with(|p| p.active.map(Palette::option_id))
                        node_ref=input
                        placeholder=tr("search.placeholder")
                        autocomplete="off"
                        spellcheck="false"
                        prop:value=move || palette.with(|p| p.text.clone())
                        on:input=move |ev| set_text(event_target_value(&ev))
                        on:keydown=on_keydown.clone()
                    />
                </div>
                <p class="sr-only" role="status" aria-live="polite" id="search-status">{status}</p>
                <div class="palette-results">{list.clone()}</div>
                <div class="dialog-actions palette-keys">
                    <p class="muted small hide-phone">{tr("search.keys")}</p>
                    <button type="button" class="btn" id="search-close" on:click=move |_| close()>
                        {tr("common.close")}
                        <kbd>"Esc"</kbd>
                    </button>
                </div>
            </div>
        </Show>
    }
}

/// A translated text for a key built at run time.
fn tr_key(key: String) -> impl Fn() -> String + Send + Sync + 'static {
    let lang = ctx().lang;
    move || i18n::t(lang.get(), &key)
}

fn category_label(lang: Lang, c: Category) -> String {
    i18n::t(lang, &format!("org.category.{}", c.code()))
}

fn status_label(lang: Lang, s: MandateStatus) -> String {
    i18n::t(lang, &format!("mandate.state.{}", s.code()))
}

/// The full results page: every kind of record with counts and highlighted excerpts, and
/// the filters the API takes (kinds, category, status, city, creation dates).
#[component]
pub fn SearchPage() -> impl IntoView {
    let c = ctx();
    let params = use_query_map();
    let navigate = use_navigate();
    let query = Memo::new(move |_| params.with(|p| ResultsQuery::from_params(|k| p.get(k))));
    // The form edits a draft; submitting puts it in the URL, which runs the search.
    let draft = RwSignal::new(query.get_untracked());
    Effect::new(move |_| draft.set(query.get()));
    let results = LocalResource::new(move || {
        let q = query.get();
        let runnable = logic::searchable(&q.q).is_some() && !q.dates_reversed();
        let api_query = q.to_api_query(PAGE_LIMIT, c.tz_offset);
        async move {
            if runnable {
                Some(api::search::search(&api_query).await)
            } else {
                None
            }
        }
    });
    let submit = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let d = draft.get_untracked();
            if logic::searchable(&d.q).is_some() {
                remember(&d.q);
            }
            navigate(&d.to_url(), NavigateOptions::default());
        }
    };
    let reset = move |_| {
        let q = ResultsQuery {
            q: draft.with_untracked(|d| d.q.clone()),
            ..ResultsQuery::default()
        };
        navigate(&q.to_url(), NavigateOptions::default());
    };
    let text_field = move |get: fn(&ResultsQuery) -> String, set: fn(&mut ResultsQuery, String)| {
        (
            move || draft.with(get),
            move |ev: leptos::ev::Event| {
                let v = event_target_value(&ev);
                draft.update(|d| set(d, v));
            },
        )
    };
    let (q_value, q_input) = text_field(|d| d.q.clone(), |d, v| d.q = v);
    let (city_value, city_input) =
        text_field(|d| d.city.clone(), |d, v| d.city = v.trim().to_owned());
    let date_value = move |get: fn(&ResultsQuery) -> Option<chrono::NaiveDate>| {
        move || {
            draft.with(|d| {
                get(d)
                    .map(|x| x.format("%Y-%m-%d").to_string())
                    .unwrap_or_default()
            })
        }
    };
    let parse_date = |v: &str| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();

    let lang = c.lang.get_untracked();
    let categories: Vec<(&'static str, String)> = Category::ALL
        .iter()
        .map(|x| (x.code(), category_label(lang, *x)))
        .collect();
    let statuses: Vec<(&'static str, String)> = MandateStatus::ALL
        .iter()
        .map(|x| (x.code(), status_label(lang, *x)))
        .collect();

    let hit_view = move |h: SearchHitOut| {
        let lang = c.lang.get();
        let detail = h
            .subtitle
            .as_deref()
            .map(|d| logic::detail_text(lang, h.type_, d));
        // A match in the title needs no excerpt: the title says it.
        let excerpt = (h.matched_field != logic::title_field(h.type_)).then(|| {
            let field = logic::field_label(lang, &h.matched_field);
            let segs = logic::parse_snippet(&h.snippet);
            view! {
                <p class="snippet">
                    <span class="muted">{field}" : "</span>
                    {snippet_view(segs)}
                </p>
            }
        });
        view! {
            <li class="result">
                {type_icon(h.type_)}
                <div>
                    <a class="row-link" href=logic::record_href(h.type_, h.id)>{h.title.clone()}</a>
                    {detail.map(|d| view! { <p class="muted small">{d}</p> })}
                    {excerpt}
                </div>
            </li>
        }
    };
    let group_view = move |g: SearchGroupOut| {
        let t = g.type_;
        let count = if g.total_capped {
            c.ta("search.count_capped", &[("n", &g.total.to_string())])
        } else {
            c.ta("search.count", &[("n", &g.total.to_string())])
        };
        let heading = format!("results-{}", t.code());
        let labelled_by = heading.clone();
        view! {
            <section class="card result-group" aria-labelledby=labelled_by id=format!("group-{}", t.code())>
                <h2 id=heading>
                    {type_icon(t)}
                    {tr_key(type_label(t))}
                    <span class="badge">{count}</span>
                </h2>
                {if g.items.is_empty() {
                    view! { <p class="muted">{tr("search.none_of_kind")}</p> }.into_any()
                } else {
                    view! { <ul class="results">{g.items.into_iter().map(hit_view).collect_view()}</ul> }.into_any()
                }}
            </section>
        }
    };

    view! {
        <div class="page-head">
            <h1>{tr("search.page_title")}</h1>
        </div>
        <form class="search-form card" id="search-form" on:submit=submit novalidate role="search">
            <div class="field search-q">
                <label for="search-q">{tr("search.query")}</label>
                <input id="search-q" type="search" prop:value=q_value on:input=q_input autocomplete="off"/>
            </div>
            <fieldset class="search-types">
                <legend>{tr("search.types")}</legend>
                <div class="type-checks">
                {SearchType::ALL
                    .iter()
                    .map(|t| {
                        let t = *t;
                        let id = format!("search-type-{}", t.code());
                        let for_id = id.clone();
                        view! {
                            <label class="check" for=for_id>
                                <input
                                    type="checkbox"
                                    id=id
                                    prop:checked=move || draft.with(|d| d.types.contains(&t))
                                    on:change=move |_| draft.update(|d| d.toggle_type(t))
                                />
                                {tr_key(type_label(t))}
                            </label>
                        }
                    })
                    .collect_view()}
                </div>
                <p class="help">{tr("search.types_help")}</p>
            </fieldset>
            <div class="search-filters">
                <div class="field">
                    <label for="search-category">{tr("org.field.category")}</label>
                    <select id="search-category" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        draft.update(|d| d.category = v);
                    }>
                        <option value="" selected=move || draft.with(|d| d.category.is_empty())>{tr("search.any")}</option>
                        {categories
                            .into_iter()
                            .map(|(code, label)| view! {
                                <option value=code selected=move || draft.with(|d| d.category == code)>{label}</option>
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="search-status">{tr("search.mandate_status")}</label>
                    <select id="search-status" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        draft.update(|d| d.status = v);
                    }>
                        <option value="" selected=move || draft.with(|d| d.status.is_empty())>{tr("search.any")}</option>
                        {statuses
                            .into_iter()
                            .map(|(code, label)| view! {
                                <option value=code selected=move || draft.with(|d| d.status == code)>{label}</option>
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="search-city">{tr("org.field.city")}</label>
                    <input id="search-city" type="text" prop:value=city_value on:input=city_input/>
                </div>
                <div class="field">
                    <label for="search-from">{tr("search.created_from")}</label>
                    <input id="search-from" type="date" prop:value=date_value(|d| d.created_from) on:change=move |ev| {
                        let v = parse_date(&event_target_value(&ev));
                        draft.update(|d| d.created_from = v);
                    }/>
                </div>
                <div class="field">
                    <label for="search-to">{tr("search.created_to")}</label>
                    <input id="search-to" type="date" prop:value=date_value(|d| d.created_to) on:change=move |ev| {
                        let v = parse_date(&event_target_value(&ev));
                        draft.update(|d| d.created_to = v);
                    }/>
                </div>
            </div>
            <p class="help">{tr("search.filters_help")}</p>
            <div class="form-actions">
                <Show when=move || query.with(ResultsQuery::has_filters)>
                    <button type="button" class="btn" id="search-reset" on:click=reset.clone()>
                        {tr("search.reset")}
                    </button>
                </Show>
                <button type="submit" class="btn primary" id="search-submit">{tr("search.button")}</button>
            </div>
        </form>
        <Show when=move || query.with(ResultsQuery::dates_reversed)>
            <p class="alert error" role="alert" id="search-dates-error">{tr("search.dates_reversed")}</p>
        </Show>
        <div id="search-results" aria-live="polite">
            <Transition fallback=move || view! { <p class="loading">{tr("common.loading")}</p> }>
                {move || {
                    results
                        .get()
                        .map(|r| match r {
                            None => view! { <p class="empty" id="search-prompt">{tr("search.prompt")}</p> }.into_any(),
                            Some(Ok(found)) if found.groups.iter().all(|g| g.items.is_empty()) => {
                                view! { <p class="empty" id="search-none">{tr("search.no_results")}</p> }.into_any()
                            }
                            Some(Ok(found)) => {
                                found.groups.into_iter().filter(|g| !g.items.is_empty()).map(group_view).collect_view().into_any()
                            }
                            Some(Err(e)) => view! { <div class="alert error" role="alert">{move || e.message(c.lang.get())}</div> }.into_any(),
                        })
                }}
            </Transition>
        </div>
    }
}

/// Opens a mandate or an interaction on the page of its organisation (or person): they have
/// no page of their own.
#[component]
pub fn OpenRecordPage() -> impl IntoView {
    let c = ctx();
    let params = use_params_map();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let (kind, id) = params.with(|p| {
            (
                p.get("kind").unwrap_or_default(),
                p.get("id").and_then(|s| s.parse::<Uuid>().ok()),
            )
        });
        let navigate = navigate.clone();
        spawn_local(async move {
            let target = match (kind.as_str(), id) {
                ("mandate", Some(id)) => api::search::mandate(id)
                    .await
                    .map(|m| format!("/organisations/{}?tab=mandates", m.organisation_id)),
                ("interaction", Some(id)) => api::search::interaction(id).await.map(|i| {
                    match (i.organisation_id, i.person_id) {
                        (Some(o), _) => format!("/organisations/{o}?tab=interactions"),
                        (None, Some(p)) => format!("/people/{p}"),
                        (None, None) => "/organisations".to_owned(),
                    }
                }),
                _ => Err(crate::problem::ApiError::from_response(404, "")),
            };
            match target {
                Ok(path) => navigate(
                    &path,
                    NavigateOptions {
                        replace: true,
                        ..NavigateOptions::default()
                    },
                ),
                Err(e) => error.set(Some(e.message(c.lang.get_untracked()))),
            }
        });
    });
    view! {
        {move || match error.get() {
            Some(e) => view! { <div class="alert error" role="alert" id="open-error">{e}</div> }.into_any(),
            None => view! { <p class="loading" role="status">{tr("common.loading")}</p> }.into_any(),
        }}
    }
}
