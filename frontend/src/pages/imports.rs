//! The import wizard (SPEC IMP-1…5, UI-3): choose what to import and a file, check what was
//! detected, the mapping of columns onto fields and the first rows, dry-run, import with a
//! progress bar, read the report and download the bad rows; plus the export buttons that lists
//! show (EXP-1).

use crate::api;
use crate::app::{ctx, tr};
use crate::i18n::{self, Lang};
use crate::imports::{self as logic, ExportFormat};
use crate::problem::ApiError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use relais_domain::access::{Action, Resource};
use relais_domain::imports::{ImportMode, UpsertKey};
use relais_types::{ImportOut, ImportPatch, ImportReport, JobOut};
use uuid::Uuid;

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn today() -> String {
    js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default()
        .chars()
        .take(10)
        .collect()
}

/// A failure in words: the file's own problem when the server named one.
fn problem_text(lang: Lang, e: &ApiError) -> String {
    let fields: Vec<String> = e
        .field_errors()
        .iter()
        .map(|f| {
            i18n::lookup(lang, &format!("import.error.{}", f.code))
                .map(str::to_owned)
                .unwrap_or_else(|| f.message.clone())
        })
        .collect();
    if !fields.is_empty() {
        return fields.join(" ");
    }
    i18n::lookup(lang, &format!("import.error.{}", e.code()))
        .map(str::to_owned)
        .unwrap_or_else(|| e.message(lang))
}

fn resource_of(kind: &str) -> Resource {
    match kind {
        "people" => Resource::People,
        "products" => Resource::Products,
        _ => Resource::Organisations,
    }
}

fn field_label(lang: Lang, key: &str) -> String {
    i18n::t(lang, &format!("import.field.{key}"))
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let c = ctx();
    let may = move |kind: &str| c.can(resource_of(kind), Action::Import);
    let kind = RwSignal::new(String::new());
    // The first kind the user may import.
    Effect::new(move |_| {
        if kind.with_untracked(String::is_empty) {
            let first = ["organisations", "people", "products"]
                .into_iter()
                .find(|k| may(k));
            kind.set(first.unwrap_or("organisations").to_owned());
        }
    });
    let current = RwSignal::new(None::<ImportOut>);
    let job = RwSignal::new(None::<JobOut>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let file = NodeRef::<leptos::html::Input>::new();

    let upload = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(input) = file.get_untracked() else {
            return;
        };
        let Some(f) = input.files().and_then(|l| l.get(0)) else {
            error.set(Some(c.t("import.choose_file")));
            return;
        };
        busy.set(true);
        error.set(None);
        job.set(None);
        let k = kind.get_untracked();
        spawn_local(async move {
            match api::upload_import(&k, &f).await {
                Ok(i) => {
                    let _ = current.try_set(Some(i));
                }
                Err(e) => {
                    let _ = error.try_set(Some(problem_text(c.lang.get_untracked(), &e)));
                }
            }
            let _ = busy.try_set(false);
        });
    };

    let patch = move |p: ImportPatch| {
        let Some(id) = current.with_untracked(|i| i.as_ref().map(|i| i.id)) else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            match api::update_import(id, &p).await {
                Ok(i) => {
                    let _ = current.try_set(Some(i));
                    let _ = error.try_set(None);
                }
                Err(e) => {
                    let _ = error.try_set(Some(problem_text(c.lang.get_untracked(), &e)));
                }
            }
            let _ = busy.try_set(false);
        });
    };

    // Follow the job until it ends, then read the import's report.
    let follow = move |job_id: Uuid, import_id: Uuid| {
        spawn_local(async move {
            loop {
                match api::job(job_id).await {
                    Ok(j) => {
                        let over = logic::finished(&j.status);
                        if job.try_set(Some(j)).is_some() {
                            return; // the page is gone
                        }
                        if over {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = error.try_set(Some(problem_text(c.lang.get_untracked(), &e)));
                        break;
                    }
                }
                sleep(400).await;
            }
            if let Ok(i) = api::import(import_id).await {
                let _ = current.try_set(Some(i));
            }
            let _ = busy.try_set(false);
        });
    };

    let start = move |dry: bool| {
        let Some(id) = current.with_untracked(|i| i.as_ref().map(|i| i.id)) else {
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::start_import(id, dry).await {
                Ok(i) => {
                    let job_id = i.job_id;
                    let _ = current.try_set(Some(i));
                    if let Some(j) = job_id {
                        follow(j, id);
                    } else {
                        let _ = busy.try_set(false);
                    }
                }
                Err(e) => {
                    let _ = error.try_set(Some(problem_text(c.lang.get_untracked(), &e)));
                    let _ = busy.try_set(false);
                }
            }
        });
    };

    let cancel = move |_| {
        let Some(id) = job.with_untracked(|j| j.as_ref().map(|j| j.id)) else {
            return;
        };
        spawn_local(async move {
            if let Err(e) = api::cancel_job(id).await {
                let _ = error.try_set(Some(problem_text(c.lang.get_untracked(), &e)));
            }
        });
    };

    let template = move |format: &'static str| {
        let k = kind.get_untracked();
        spawn_local(async move {
            let path = format!("/api/v1/imports/templates/{k}?format={format}");
            if let Err(e) = api::download(&path, &format!("modele-{k}.{format}")).await {
                c.toast(problem_text(c.lang.get_untracked(), &e), true);
            }
        });
    };

    let start_over = move |_| {
        current.set(None);
        job.set(None);
        error.set(None);
        if let Some(input) = file.get_untracked() {
            input.set_value("");
        }
    };

    let running = move || {
        current.with(|i| {
            i.as_ref()
                .is_some_and(|i| matches!(i.status.as_str(), "validating" | "running"))
        })
    };
    let editable = move || {
        current.with(|i| {
            i.as_ref().is_some_and(|i| {
                !i.committed
                    && matches!(
                        i.status.as_str(),
                        "ready" | "validated" | "failed" | "cancelled"
                    )
            })
        })
    };

    view! {
        <div class="page-head">
            <h1>{tr("import.title")}</h1>
        </div>
        <Show
            when=move || may("organisations") || may("people") || may("products")
            fallback=move || view! { <p class="empty">{tr("import.forbidden")}</p> }
        >
            <section class="card import-step" aria-labelledby="import-step-file">
                <h2 id="import-step-file">{tr("import.step.file")}</h2>
                <form class="import-upload" on:submit=upload>
                    <div class="field">
                        <label for="import-kind">{tr("import.kind")}</label>
                        <select
                            id="import-kind"
                            disabled=move || current.with(Option::is_some)
                            on:change=move |ev| kind.set(event_target_value(&ev))
                        >
                            <Show when=move || may("organisations")>
                                <option value="organisations" selected=move || kind.get() == "organisations">
                                    {tr("import.kind.organisations")}
                                </option>
                            </Show>
                            <Show when=move || may("people")>
                                <option value="people" selected=move || kind.get() == "people">
                                    {tr("import.kind.people")}
                                </option>
                            </Show>
                            <Show when=move || may("products")>
                                <option value="products" selected=move || kind.get() == "products">
                                    {tr("import_products.kind")}
                                </option>
                            </Show>
                        </select>
                    </div>
                    <div class="field">
                        <label for="import-file">{tr("import.file")}</label>
                        <input
                            id="import-file"
                            type="file"
                            node_ref=file
                            accept=".csv,.txt,.tsv,.xlsx,.xls,.ods"
                            disabled=move || current.with(Option::is_some)
                            aria-describedby="import-file-help"
                        />
                        <p class="help" id="import-file-help">{tr("import.file.help")}</p>
                    </div>
                    <div class="form-actions import-actions">
                        <button type="button" class="btn" id="import-template-xlsx" on:click=move |_| template("xlsx")>
                            {tr("import.template.xlsx")}
                        </button>
                        <button type="button" class="btn" id="import-template-csv" on:click=move |_| template("csv")>
                            {tr("import.template.csv")}
                        </button>
                        <Show
                            when=move || current.with(Option::is_some)
                            fallback=move || {
                                view! {
                                    <button type="submit" class="btn primary" id="import-upload" disabled=busy>
                                        {tr("import.upload")}
                                    </button>
                                }
                            }
                        >
                            <button type="button" class="btn" id="import-again" on:click=start_over>
                                {tr("import.again")}
                            </button>
                        </Show>
                    </div>
                </form>
            </section>
            <Show when=move || error.with(Option::is_some)>
                <div class="alert error" role="alert" id="import-error">
                    {move || error.get()}
                </div>
            </Show>
            {move || {
                current
                    .get()
                    .map(|i| {
                        view! {
                            <Detected import=i.clone() editable=Signal::derive(editable) busy=busy on_patch=Callback::new(patch)/>
                            <section class="card import-step" aria-labelledby="import-step-run">
                                <h2 id="import-step-run">{tr("import.step.run")}</h2>
                                <p class="muted" id="import-status">
                                    {move || {
                                        current
                                            .with(|i| {
                                                i.as_ref().map(|i| c.t(logic::status_key(&i.status)))
                                            })
                                    }}
                                </p>
                                <div class="form-actions import-actions">
                                    <button
                                        type="button"
                                        class="btn"
                                        id="import-dry-run"
                                        disabled=move || busy.get() || !editable()
                                        on:click=move |_| start(true)
                                    >
                                        {tr("import.dry_run")}
                                    </button>
                                    <button
                                        type="button"
                                        class="btn primary"
                                        id="import-run"
                                        disabled=move || busy.get() || !editable()
                                        on:click=move |_| start(false)
                                    >
                                        {tr("import.run")}
                                    </button>
                                    <Show when=running>
                                        <button type="button" class="btn danger" id="import-cancel" on:click=cancel>
                                            {tr("import.cancel")}
                                        </button>
                                    </Show>
                                </div>
                                <Progress job=job/>
                                {move || {
                                    current
                                        .with(|i| i.as_ref().and_then(|i| i.report.clone().map(|r| (i.id, i.file_name.clone(), r, i.error.clone()))))
                                        .map(|(id, name, r, err)| view! { <Report id=id file_name=name report=r error=err/> })
                                }}
                            </section>
                        }
                    })
            }}
        </Show>
    }
}

/// What was detected, the mapping and options, and the preview.
#[component]
fn Detected(
    import: ImportOut,
    editable: Signal<bool>,
    busy: RwSignal<bool>,
    on_patch: Callback<ImportPatch>,
) -> impl IntoView {
    let c = ctx();
    let i = import;
    let lang = c.lang.get_untracked();
    let mapping = i.mapping.clone();
    let fields = i.fields.clone();
    let detected = {
        let mut parts = vec![format!(
            "{} : {}",
            c.t("import.format"),
            i.format.to_uppercase()
        )];
        if let Some(e) = &i.encoding {
            parts.push(format!("{} : {e}", c.t("import.encoding")));
        }
        if let Some(d) = &i.delimiter {
            parts.push(format!(
                "{} : {}",
                c.t("import.delimiter"),
                c.t(logic::delimiter_key(d))
            ));
        }
        if let Some(s) = &i.sheet {
            parts.push(format!("{} : {s}", c.t("import.sheet")));
        }
        parts.join(" · ")
    };
    let columns = i
        .headers
        .iter()
        .enumerate()
        .map(|(col, header)| {
            let current = mapping.get(col).cloned().flatten().unwrap_or_default();
            let all = mapping.clone();
            let id = format!("import-map-{col}");
            let options = fields
                .iter()
                .map(|f| {
                    let selected = f.key == current;
                    let label = format!("{}{}", field_label(lang, &f.key), if f.required { " *" } else { "" });
                    view! { <option value=f.key.clone() selected=selected>{label}</option> }
                })
                .collect_view();
            view! {
                <div class="field import-map">
                    <label for=id.clone()>{header.clone()}</label>
                    <select
                        id=id
                        disabled=move || !editable.get() || busy.get()
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            let mut m = all.clone();
                            if let Some(slot) = m.get_mut(col) {
                                *slot = (!v.is_empty()).then_some(v);
                            }
                            on_patch.run(ImportPatch { mapping: Some(m), ..ImportPatch::default() });
                        }
                    >
                        <option value="" selected=current.is_empty()>{tr("import.ignore")}</option>
                        {options}
                    </select>
                </div>
            }
        })
        .collect_view();
    let key = i.upsert_key;
    let keys = i
        .upsert_keys
        .iter()
        .map(|k| {
            let k = *k;
            view! {
                <option value=k.code() selected=k == key>{tr(match k {
                    UpsertKey::None => "import.key.none",
                    UpsertKey::Name => "import.key.name",
                    UpsertKey::Email => "import.key.email",
                    UpsertKey::Code => "import_products.key.code",
                })}</option>
            }
        })
        .collect_view();
    // How the file is read: encoding and delimiter (CSV) or the sheet (workbooks).
    let reading = {
        let csv = i.format == "csv";
        let encoding = i.encoding.clone().unwrap_or_default();
        let delimiter = i.delimiter.clone().unwrap_or_default();
        let sheet = i.sheet.clone().unwrap_or_default();
        let sheets = i.sheets.clone();
        let disabled = move || !editable.get() || busy.get();
        if csv {
            let encodings = ["utf-8", "windows-1252"]
                .into_iter()
                .map(|e| view! { <option value=e selected=e == encoding>{e}</option> })
                .collect_view();
            let delimiters = [(",", "comma"), (";", "semicolon"), ("\t", "tab")]
                .into_iter()
                .map(|(d, code)| {
                    view! {
                        <option value=code selected=d == delimiter>{tr(logic::delimiter_key(d))}</option>
                    }
                })
                .collect_view();
            view! {
                <div class="field">
                    <label for="import-encoding">{tr("import.encoding")}</label>
                    <select
                        id="import-encoding"
                        disabled=disabled
                        on:change=move |ev| {
                            on_patch.run(ImportPatch { encoding: Some(event_target_value(&ev)), ..ImportPatch::default() });
                        }
                    >
                        {encodings}
                    </select>
                </div>
                <div class="field">
                    <label for="import-delimiter">{tr("import.delimiter")}</label>
                    <select
                        id="import-delimiter"
                        disabled=disabled
                        on:change=move |ev| {
                            on_patch.run(ImportPatch { delimiter: Some(event_target_value(&ev)), ..ImportPatch::default() });
                        }
                    >
                        {delimiters}
                    </select>
                </div>
            }
                .into_any()
        } else if sheets.len() > 1 {
            let options = sheets
                .into_iter()
                .map(|name| {
                    let selected = name == sheet;
                    view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                })
                .collect_view();
            view! {
                <div class="field">
                    <label for="import-sheet">{tr("import.sheet")}</label>
                    <select
                        id="import-sheet"
                        disabled=disabled
                        on:change=move |ev| {
                            on_patch.run(ImportPatch { sheet: Some(event_target_value(&ev)), ..ImportPatch::default() });
                        }
                    >
                        {options}
                    </select>
                </div>
            }
                .into_any()
        } else {
            ().into_any()
        }
    };
    let mode = i.mode;
    let people = i.type_ == relais_domain::imports::ImportKind::People;
    let create_orgs = i.create_missing_organisations;
    // Columns shown in the preview: the mapped ones, in file order.
    let shown: Vec<String> = mapping.iter().flatten().cloned().collect();
    let head = shown
        .iter()
        .map(|k| view! { <th scope="col">{field_label(lang, k)}</th> })
        .collect_view();
    let rows = i
        .preview
        .iter()
        .map(|r| {
            let cells = shown
                .iter()
                .map(|k| view! { <td>{r.values.get(k).cloned().unwrap_or_default()}</td> })
                .collect_view();
            let problems = r
                .errors
                .iter()
                .map(|e| {
                    let text = i18n::lookup(lang, &format!("import.error.{}", e.code))
                        .map(str::to_owned)
                        .unwrap_or_else(|| e.message.clone());
                    format!("{} : {text}", e.column.clone().unwrap_or_default())
                })
                .collect::<Vec<_>>()
                .join(" ; ");
            let bad = !r.errors.is_empty();
            view! {
                <tr class:import-bad=bad>
                    <td class="num">{r.line}</td>
                    {cells}
                    <td>{problems}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card import-step" aria-labelledby="import-step-map">
            <h2 id="import-step-map">{tr("import.step.map")}</h2>
            <p class="muted" id="import-detected">{detected}</p>
            <div class="import-grid" id="import-mapping">{columns}</div>
            <div class="import-grid">
                {reading}
                <div class="field">
                    <label for="import-key">{tr("import.key")}</label>
                    <select
                        id="import-key"
                        disabled=move || !editable.get() || busy.get()
                        on:change=move |ev| {
                            if let Some(k) = UpsertKey::from_code(&event_target_value(&ev)) {
                                on_patch.run(ImportPatch { upsert_key: Some(k), ..ImportPatch::default() });
                            }
                        }
                    >
                        {keys}
                    </select>
                </div>
                <div class="field">
                    <label for="import-mode">{tr("import.mode")}</label>
                    <select
                        id="import-mode"
                        disabled=move || !editable.get() || busy.get()
                        on:change=move |ev| {
                            if let Some(m) = ImportMode::from_code(&event_target_value(&ev)) {
                                on_patch.run(ImportPatch { mode: Some(m), ..ImportPatch::default() });
                            }
                        }
                    >
                        <option value="all_or_nothing" selected=mode == ImportMode::AllOrNothing>
                            {tr("import.mode.all_or_nothing")}
                        </option>
                        <option value="skip_errors" selected=mode == ImportMode::SkipErrors>
                            {tr("import.mode.skip_errors")}
                        </option>
                    </select>
                </div>
                <Show when=move || people>
                    <div class="field import-check">
                        <label>
                            <input
                                type="checkbox"
                                id="import-create-orgs"
                                prop:checked=create_orgs
                                disabled=move || !editable.get() || busy.get()
                                on:change=move |ev| {
                                    on_patch.run(ImportPatch {
                                        create_missing_organisations: Some(event_target_checked(&ev)),
                                        ..ImportPatch::default()
                                    });
                                }
                            />
                            " "
                            {tr("import.create_organisations")}
                        </label>
                    </div>
                </Show>
            </div>
            <h3>{tr("import.preview")}</h3>
            <div class="table-wrap">
                <table class="data" id="import-preview">
                    <thead>
                        <tr>
                            <th scope="col">{tr("import.line")}</th>
                            {head}
                            <th scope="col">{tr("import.problems")}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}

/// The job's progress bar, while there is a job.
#[component]
fn Progress(job: RwSignal<Option<JobOut>>) -> impl IntoView {
    let c = ctx();
    view! {
        {move || {
            job.get()
                .map(|j| {
                    let done = j.progress.as_ref().map_or(0, |p| p.done);
                    let total = j.progress.as_ref().and_then(|p| p.total);
                    let pct = logic::percent(done, total);
                    let label = c.ta(
                        "import.progress",
                        &[
                            ("done", &done.to_string()),
                            ("total", &total.map_or_else(|| "…".to_owned(), |t| t.to_string())),
                        ],
                    );
                    view! {
                        <div class="import-progress">
                            <label for="import-progress">{label.clone()}</label>
                            <progress id="import-progress" max="100" value=pct.to_string() aria-valuetext=label>
                                {format!("{pct} %")}
                            </progress>
                        </div>
                    }
                })
        }}
    }
}

/// The last run's counts and first errors, and the error report.
#[component]
fn Report(
    id: Uuid,
    file_name: String,
    report: ImportReport,
    error: Option<String>,
) -> impl IntoView {
    let c = ctx();
    let lang = c.lang.get_untracked();
    let counts = [
        ("import.report.total", report.total_rows),
        ("import.report.processed", report.processed),
        ("import.report.created", report.created),
        ("import.report.updated", report.updated),
        ("import.report.unchanged", report.unchanged),
        ("import.report.skipped", report.skipped),
        ("import.report.errors", report.error_rows),
    ]
    .into_iter()
    .chain(
        (report.organisations_created > 0)
            .then_some(("import.report.organisations", report.organisations_created)),
    )
    .map(|(key, n)| {
        view! {
            <div>
                <dt>{tr(key)}</dt>
                <dd class="num">{n}</dd>
            </div>
        }
    })
    .collect_view();
    let heading = if report.dry_run {
        "import.report.dry_title"
    } else {
        "import.report.title"
    };
    let errors = report
        .errors
        .iter()
        .take(50)
        .map(|e| {
            view! {
                <tr>
                    <td class="num">{e.line}</td>
                    <td>{e.column.clone().unwrap_or_default()}</td>
                    <td>
                        {i18n::lookup(lang, &format!("import.error.{}", e.code))
                            .map(str::to_owned)
                            .unwrap_or_else(|| e.message.clone())}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let has_errors = !report.errors.is_empty();
    let has_file = report.has_error_report;
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name.clone(), |(s, _)| s.to_owned());
    let download = move |_| {
        let name = format!("erreurs-{stem}.xlsx");
        spawn_local(async move {
            if let Err(e) = api::download(&format!("/api/v1/imports/{id}/errors.xlsx"), &name).await
            {
                c.toast(problem_text(c.lang.get_untracked(), &e), true);
            }
        });
    };
    let nothing_written =
        !report.dry_run && report.mode == Some(ImportMode::AllOrNothing) && report.error_rows > 0;
    view! {
        <div class="import-report" id="import-report" role="status">
            <h3>{tr(heading)}</h3>
            {error.map(|e| view! { <p class="alert error">{e}</p> })}
            <Show when=move || nothing_written>
                <p class="alert error" id="import-nothing">{tr("import.report.nothing_written")}</p>
            </Show>
            <Show when=move || report.cancelled>
                <p class="alert">{tr("import.report.cancelled")}</p>
            </Show>
            <dl class="kv-list import-counts">{counts}</dl>
            <Show when=move || has_errors>
                <div class="table-wrap">
                    <table class="data" id="import-errors">
                        <thead>
                            <tr>
                                <th scope="col">{tr("import.line")}</th>
                                <th scope="col">{tr("import.column")}</th>
                                <th scope="col">{tr("import.problems")}</th>
                            </tr>
                        </thead>
                        <tbody>{errors.clone()}</tbody>
                    </table>
                </div>
            </Show>
            <Show when=move || has_file>
                <button type="button" class="btn" id="import-error-report" on:click=download.clone()>
                    {tr("import.report.download")}
                </button>
            </Show>
        </div>
    }
}

/// Export buttons for a list shown with `query` (its filters and sort): CSV, CSV with `;`,
/// Excel, PDF. Shown to those who may read and export the records. The file downloads at once
/// (streamed); with "in the background" ticked, for large lists, the server writes it as a
/// job whose progress shows here, then offers it for download.
#[component]
pub fn ExportButtons(resource: &'static str, #[prop(into)] query: Signal<String>) -> impl IntoView {
    let c = ctx();
    let res = match resource {
        "people" => Resource::People,
        "mandates" => Resource::Mandates,
        "tasks" => Resource::Tasks,
        "interactions" => Resource::Interactions,
        _ => Resource::Organisations,
    };
    let busy = RwSignal::new(false);
    let background = RwSignal::new(false);
    let job: RwSignal<Option<JobOut>> = RwSignal::new(None);
    let job_format = RwSignal::new(ExportFormat::Csv);
    let buttons = ExportFormat::ALL
        .iter()
        .map(|f| {
            let f = *f;
            view! {
                <button
                    type="button"
                    class="btn"
                    id=f.id()
                    disabled=busy
                    on:click=move |_| {
                        let list = query.get_untracked();
                        busy.set(true);
                        if background.get_untracked() {
                            job_format.set(f);
                            spawn_local(async move {
                                run_export_job(c, logic::export_job_path(resource, &list, f), job).await;
                                let _ = busy.try_set(false);
                            });
                            return;
                        }
                        let path = logic::export_path(resource, &list, f);
                        let name = logic::export_file_name(resource, &today(), f);
                        spawn_local(async move {
                            if let Err(e) = api::download(&path, &name).await {
                                c.toast(problem_text(c.lang.get_untracked(), &e), true);
                            }
                            let _ = busy.try_set(false);
                        });
                    }
                >
                    {tr(f.label_key())}
                </button>
            }
        })
        .collect_view();
    let download = move |_| {
        let Some(path) = job.get_untracked().and_then(|j| j.result) else {
            return;
        };
        let name = logic::export_file_name(resource, &today(), job_format.get_untracked());
        spawn_local(async move {
            if let Err(e) = api::download(&path, &name).await {
                c.toast(problem_text(c.lang.get_untracked(), &e), true);
            }
        });
    };
    let cancel = move |_| {
        let Some(id) = job.get_untracked().map(|j| j.id) else {
            return;
        };
        spawn_local(async move {
            if let Err(e) = api::cancel_job(id).await {
                c.toast(problem_text(c.lang.get_untracked(), &e), true);
            }
        });
    };
    let status = move || job.get().map(|j| j.status).unwrap_or_default();
    view! {
        <Show when=move || c.can(res, Action::Export) && c.can(res, Action::Read)>
            <div class="export-area">
                <div class="head-actions export-buttons" role="group" aria-label=tr("export.label")>
                    {buttons.clone()}
                    <label class="export-background" title=tr("export_job.background_hint")>
                        <input
                            type="checkbox"
                            id="export-background"
                            prop:checked=background
                            on:change=move |ev| background.set(event_target_checked(&ev))
                        />
                        {tr("export_job.background")}
                    </label>
                </div>
                <Show when=move || job.with(Option::is_some)>
                    <div class="export-job" id="export-job" aria-live="polite">
                        <Show when=move || !logic::finished(&status())>
                            <Progress job=job />
                            <button type="button" class="btn" id="export-job-cancel" on:click=cancel>
                                {tr("export_job.cancel")}
                            </button>
                        </Show>
                        <Show when=move || status() == "succeeded">
                            <p>{tr("export_job.ready")}</p>
                            <button type="button" class="btn primary" id="export-job-download" on:click=download>
                                {tr("export_job.download")}
                            </button>
                        </Show>
                        <Show when=move || status() == "cancelled">
                            <p>{tr("export_job.cancelled")}</p>
                        </Show>
                        <Show when=move || status() == "failed">
                            <p class="error">
                                {move || {
                                    let error = job.get().and_then(|j| j.last_error).unwrap_or_default();
                                    c.ta("export_job.failed", &[("error", &error)])
                                }}
                            </p>
                        </Show>
                    </div>
                </Show>
            </div>
        </Show>
    }
}

/// Start a background export and follow its job until it ends.
/// `c` is taken from the component: there is no reactive owner to ask for it here.
async fn run_export_job(c: crate::app::Ctx, path: String, job: RwSignal<Option<JobOut>>) {
    let started = match api::start_export_job(&path).await {
        Ok(j) => j,
        Err(e) => {
            c.toast(problem_text(c.lang.get_untracked(), &e), true);
            return;
        }
    };
    let id = started.id;
    let _ = job.try_set(Some(started));
    loop {
        sleep(400).await;
        match api::job(id).await {
            Ok(j) => {
                let over = logic::finished(&j.status);
                if job.try_set(Some(j)).is_some() || over {
                    return;
                }
            }
            Err(e) => {
                c.toast(problem_text(c.lang.get_untracked(), &e), true);
                return;
            }
        }
    }
}
