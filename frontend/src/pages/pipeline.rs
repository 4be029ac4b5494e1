//! The pipeline board: one column per stage with its count and expected amount, cards moved
//! by drag and drop or, from the keyboard, with each card's previous/next stage buttons.
//! A move shows at once and is undone if the server refuses it.

use crate::api;
use crate::app::{ctx, tr};
use crate::format;
use crate::i18n::{self, Lang};
use crate::problem::ApiError;
use crate::state::{Board, Card, Column};
use leptos::prelude::*;
use leptos::task::spawn_local;
use relais_domain::access::{Action, Resource};
use relais_domain::crm::PipelineStage;
use relais_types::BulkAction;
use uuid::Uuid;

/// Cards loaded per column; the header says when a stage holds more.
const PER_COLUMN: u32 = 100;

async fn load() -> Result<Board, ApiError> {
    let columns = futures::future::join_all(PipelineStage::ALL.iter().map(|s| async move {
        let q = format!(
            "stage={}&sort=-expected_amount,name&limit={PER_COLUMN}&count=true",
            s.code()
        );
        api::organisations(&q).await.map(|p| Column {
            stage: *s,
            total: p
                .total
                .and_then(|t| usize::try_from(t).ok())
                .unwrap_or(p.items.len()),
            cards: p
                .items
                .into_iter()
                .map(|o| Card {
                    id: o.id,
                    name: o.name,
                    city: o.city,
                    amount: o.expected_amount,
                })
                .collect(),
        })
    }))
    .await;
    columns
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map(Board)
}

fn stage_label(lang: Lang, s: PipelineStage) -> String {
    i18n::t(lang, &format!("org.stage.{}", s.code()))
}

#[component]
pub fn PipelinePage() -> impl IntoView {
    let c = ctx();
    let board = RwSignal::new(None::<Result<Board, ApiError>>);
    let reload = move || {
        spawn_local(async move {
            board.set(Some(load().await));
        })
    };
    reload();
    let can_move = move || c.can(Resource::Organisations, Action::Update);
    let dragging = RwSignal::new(None::<Uuid>);
    let over = RwSignal::new(None::<PipelineStage>);

    // Optimistic: the card moves now, and back if the server says no.
    let move_card = move |id: Uuid, to: PipelineStage| {
        let mut from = None;
        board.update(|b| {
            if let Some(Ok(b)) = b {
                from = b.move_card(id, to);
            }
        });
        let Some(from) = from else { return };
        spawn_local(async move {
            let action = BulkAction::ChangeStage {
                ids: vec![id],
                stage: to,
            };
            match api::bulk_organisations(&action).await {
                Ok(_) => {
                    let lang = c.lang.get_untracked();
                    c.toast(
                        c.ta("pipeline.moved", &[("stage", &stage_label(lang, to))]),
                        false,
                    );
                    // Keep the moved card focusable from the keyboard in its new column.
                    if let Some(el) = document().get_element_by_id(&format!("card-{id}"))
                        && let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el)
                    {
                        let _ = el.focus();
                    }
                }
                Err(e) => {
                    board.update(|b| {
                        if let Some(Ok(b)) = b {
                            b.move_card(id, from);
                        }
                    });
                    c.toast(e.message(c.lang.get_untracked()), true);
                }
            }
        });
    };

    let card_view = move |card: Card, stage: PipelineStage| {
        let id = card.id;
        let lang = c.lang.get();
        let prev = Board::neighbour(stage, -1);
        let next = Board::neighbour(stage, 1);
        let movable = can_move();
        let move_button = move |target: Option<PipelineStage>, glyph: &'static str| {
            target.map(|to| {
                let label = c.ta("pipeline.move_to", &[("stage", &stage_label(lang, to))]);
                view! {
                    <button
                        type="button"
                        class="icon-btn small"
                        title=label.clone()
                        aria-label=label
                        on:click=move |_| move_card(id, to)
                    >
                        <span aria-hidden="true">{glyph}</span>
                    </button>
                }
            })
        };
        view! {
            <li
                class="card-item"
                class:dragging=move || dragging.get() == Some(id)
                id=format!("card-{id}")
                tabindex="-1"
                draggable=if movable { "true" } else { "false" }
                on:dragstart=move |ev: web_sys::DragEvent| {
                    if let Some(dt) = ev.data_transfer() {
                        let _ = dt.set_data("text/plain", &id.to_string());
                        dt.set_effect_allowed("move");
                    }
                    dragging.set(Some(id));
                }
                on:dragend=move |_| {
                    dragging.set(None);
                    over.set(None);
                }
            >
                <a href=format!("/organisations/{id}") class="card-name">
                    {card.name.clone()}
                </a>
                <p class="card-meta">
                    <span>{card.city.clone().unwrap_or_default()}</span>
                    <span class="num">
                        {card.amount.map(|a| format::amount(lang, a)).unwrap_or_default()}
                    </span>
                </p>
                {movable
                    .then(|| {
                        view! {
                            <div class="card-moves">
                                {move_button(prev, "←")}
                                {move_button(next, "→")}
                            </div>
                        }
                    })}
            </li>
        }
    };

    let column_view = move |col: Column| {
        let stage = col.stage;
        let lang = c.lang.get();
        let count = if col.truncated() {
            c.ta(
                "pipeline.count_partial",
                &[
                    ("n", &col.cards.len().to_string()),
                    ("total", &col.total.to_string()),
                ],
            )
        } else {
            c.ta("pipeline.count", &[("n", &col.total.to_string())])
        };
        let heading_id = format!("col-{}", stage.code());
        let labelled_by = heading_id.clone();
        view! {
            <section
                class=format!("column stage-col-{}", stage.code())
                class:drop-target=move || over.get() == Some(stage)
                aria-labelledby=labelled_by
                id=format!("column-{}", stage.code())
                on:dragover=move |ev: web_sys::DragEvent| {
                    if dragging.get_untracked().is_some() {
                        ev.prevent_default();
                        over.set(Some(stage));
                    }
                }
                on:dragleave=move |_| over.set(None)
                on:drop=move |ev: web_sys::DragEvent| {
                    ev.prevent_default();
                    over.set(None);
                    let id = ev
                        .data_transfer()
                        .and_then(|dt| dt.get_data("text/plain").ok())
                        .and_then(|s| s.parse::<Uuid>().ok())
                        .or(dragging.get_untracked());
                    dragging.set(None);
                    if let Some(id) = id {
                        move_card(id, stage);
                    }
                }
            >
                <header class="column-head">
                    <h2 id=heading_id>
                        <span class=format!("badge stage-{}", stage.code())>
                            {stage_label(lang, stage)}
                        </span>
                    </h2>
                    <p class="column-stats">
                        <span>{count}</span>
                        <strong class="column-total">{format::amount(lang, col.amount())}</strong>
                    </p>
                </header>
                {if col.cards.is_empty() {
                    view! { <p class="column-empty">{tr("pipeline.empty")}</p> }.into_any()
                } else {
                    view! {
                        <ul class="cards">
                            {col.cards.into_iter().map(|k| card_view(k, stage)).collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </section>
        }
    };

    view! {
        <div class="page-head">
            <div>
                <h1>{tr("pipeline.title")}</h1>
                <p class="muted">{tr("pipeline.help")}</p>
            </div>
        </div>
        {move || match board.get() {
            None => view! { <p class="loading" role="status">{tr("common.loading")}</p> }.into_any(),
            Some(Err(e)) => {
                view! {
                    <div class="alert error" role="alert">
                        <p>{move || e.message(c.lang.get())}</p>
                        <button type="button" class="btn" on:click=move |_| reload()>
                            {tr("common.retry")}
                        </button>
                    </div>
                }
                    .into_any()
            }
            Some(Ok(b)) => {
                view! {
                    <div class="board" id="board">
                        {b.0.into_iter().map(column_view).collect_view()}
                    </div>
                }
                    .into_any()
            }
        }}
    }
}
