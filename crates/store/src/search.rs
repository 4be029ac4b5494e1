//! Global search (SPEC SRCH-1…4): ranked full-text search with highlighted snippets, and
//! autocomplete suggestions, over organisations, people, mandates and interactions.
//!
//! Two steps per kind of record. First a SECURITY DEFINER function of migration 0007
//! (`search_ids`, `autocomplete_ids`) finds candidate ids through the
//! GIN and trigram indexes, which row-level security would otherwise keep the planner from
//! using; it is confined to the transaction's tenant and returns at most `cap` ids per kind of
//! match; typos are first corrected against the tenant's vocabulary of name words
//! (`search_words`, migration 0014, kept by triggers) and then looked up as exact words.
//! Search candidates come with their score (migration 0020), computed while the look-up has
//! the row in hand. Then the statement here keeps the best, reads those rows through row-level
//! security, applies the caller's scope ([`Visibility`], the same SQL as the lists) and the
//! trash rule again, and highlights them (autocomplete ranks its candidates here). Nothing is
//! indexed by the application: the vectors are generated columns, so a write is searchable by
//! the next statement.

use crate::{Db, error::Result, interactions::owned_by, organisations::Visibility, sql::Sql};
use chrono::{DateTime, Utc};
use relais_domain::{TenantId, search::SearchType};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use uuid::Uuid;

/// Start and end of a highlighted span in snippets: private-use characters, which the server
/// turns into `<mark>` after escaping the text.
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// Matches of each kind considered for ranking, per kind of match (words, typo-tolerant
/// names); also the most a group's `total` counts to.
pub const CANDIDATE_CAP: i32 = 100;
/// Word-prefix and typo-tolerant name candidates considered for autocomplete, per kind.
pub const SUGGESTION_CAP: i32 = 50;

/// `ts_headline` options: a short excerpt around the matches.
const HEADLINE_OPTIONS: &str = "StartSel=\u{E000}, StopSel=\u{E001}, MaxWords=24, MinWords=10, ShortWord=2, MaxFragments=2, \
     FragmentDelimiter=\" … \"";

/// The text as typed (already cleaned by `relais_domain::search::parse_query`) and whether
/// it uses web-search syntax (matched exactly as written, without the looser word matching
/// and typo tolerance).
#[derive(Clone, Copy, Debug)]
pub struct Query<'a> {
    pub text: &'a str,
    pub web: bool,
}

/// Filters that combine with the text. Each applies to the kinds of records that have the
/// field (the caller leaves out the kinds a filter cannot apply to).
#[derive(Clone, Debug, Default)]
pub struct SearchFilter {
    /// Organisation categories.
    pub categories: Vec<String>,
    /// Mandate statuses.
    pub statuses: Vec<String>,
    /// Organisation city (case-insensitive, exact).
    pub city: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
}

/// One result: what to show and why it matched.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Hit {
    pub id: Uuid,
    pub title: String,
    pub subtitle: Option<String>,
    pub score: f64,
    /// The first field (in weight order) the words match; `None` for a typo-tolerant match
    /// on the name only.
    pub matched_field: Option<String>,
    /// `ts_headline` of that field, spans between [`MARK_START`] and [`MARK_END`].
    pub snippet: Option<String>,
    /// Matches within the caller's scope (bounded by the candidate cap).
    pub total: i64,
}

/// One autocomplete suggestion.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Suggestion {
    pub id: Uuid,
    pub label: String,
    pub detail: Option<String>,
    pub score: f64,
}

/// What differs between the kinds of records.
struct Kind {
    table: &'static str,
    alias: &'static str,
    owner_col: &'static str,
    title: &'static str,
    subtitle: &'static str,
    /// `(field, shown text, searchable text)`, strongest weight first: the first whose
    /// searchable text matches is the hit's `matched_field`, its shown text the snippet's.
    fields: &'static [(&'static str, &'static str, &'static str)],
}

fn kind(t: SearchType) -> Kind {
    match t {
        SearchType::Organisation => Kind {
            table: "organisations",
            alias: "o",
            owner_col: "owner_id",
            title: "o.name",
            subtitle: "NULLIF(concat_ws(' · ', o.city, o.email), '')",
            fields: &[
                ("name", "o.name", "o.name"),
                ("email", "o.email", "relais_search_email(o.email)"),
                ("website", "o.website", "o.website"),
                ("city", "o.city", "o.city"),
                ("address", "o.address", "o.address"),
                ("postcode", "o.postcode", "o.postcode"),
                (
                    "tags",
                    "relais_search_tags(o.tags)",
                    "relais_search_tags(o.tags)",
                ),
                ("notes", "o.notes", "o.notes"),
            ],
        },
        SearchType::Person => Kind {
            table: "people",
            alias: "p",
            owner_col: "owner_id",
            title: "concat_ws(' ', p.first_name, p.last_name)",
            subtitle: "NULLIF(concat_ws(' · ', p.job_title, p.email), '')",
            fields: &[
                (
                    "name",
                    "concat_ws(' ', p.first_name, p.last_name)",
                    "concat_ws(' ', p.first_name, p.last_name)",
                ),
                ("email", "p.email", "relais_search_email(p.email)"),
                ("job_title", "p.job_title", "p.job_title"),
                (
                    "tags",
                    "relais_search_tags(p.tags)",
                    "relais_search_tags(p.tags)",
                ),
                ("notes", "p.notes", "p.notes"),
            ],
        },
        SearchType::Mandate => Kind {
            table: "mandates",
            alias: "m",
            owner_col: "owner_id",
            title: "m.number",
            subtitle: "m.status",
            fields: &[
                (
                    "number",
                    "m.number",
                    "m.number || ' ' || translate(m.number, '-/._', '    ')",
                ),
                ("notes", "m.notes", "m.notes"),
            ],
        },
        SearchType::Interaction => Kind {
            table: "interactions",
            alias: "i",
            owner_col: "author_id",
            title: "CASE WHEN length(i.summary) > 80 THEN left(i.summary, 79) || '…' \
                    ELSE i.summary END",
            subtitle: "i.kind || ' · ' || to_char(i.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
            fields: &[("summary", "i.summary", "i.summary")],
        },
    }
}

/// `(user, team)` arguments of the candidate functions for a scope.
fn scope_args(v: Visibility) -> (Option<Uuid>, Option<Uuid>) {
    match v {
        Visibility::All => (None, None),
        Visibility::Own { user } => (Some(user), None),
        Visibility::Team { user, team } => (Some(user), team),
    }
}

fn text_array(v: &[String]) -> Value {
    if v.is_empty() {
        Value::Array(sea_orm::sea_query::ArrayType::String, None)
    } else {
        v.to_vec().into()
    }
}

/// The best `limit` matches of one kind of record, within the caller's scope, with the
/// number of matches (counted up to the candidate cap).
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per part of a search: tenant, kind, text, scope, filters, sizes"
)]
pub async fn search(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    t: SearchType,
    q: Query<'_>,
    vis: Visibility,
    filter: &SearchFilter,
    cap: i32,
    limit: u64,
) -> Result<Vec<Hit>> {
    let k = kind(t);
    let a = k.alias;
    let (user, team) = scope_args(vis);
    // $1 = web syntax, $2 = text: referenced again below by number.
    let mut sql = Sql::new("WITH qs AS MATERIALIZED (SELECT CASE WHEN ");
    sql.bind(q.web)
        .push(" THEN websearch_to_tsquery('relais_french', ")
        .bind(q.text.to_owned())
        .push(
            ") ELSE relais_search_loose_query($2) END AS loose), \
             c AS MATERIALIZED (SELECT record_id, score FROM search_ids(",
        )
        .bind(t.code())
        .push(", $2, $1, ")
        .bind(limit as i32)
        .push(", ")
        .bind(cap)
        .push(", ")
        .bind(user)
        .push(", ")
        .bind(team)
        .push(", ")
        .bind(text_array(&filter.categories))
        .push(", ")
        .bind(text_array(&filter.statuses))
        .push(", ")
        .bind(filter.city.clone())
        .push(", ")
        .bind(filter.created_from)
        .push(", ")
        .bind(filter.created_to)
        .push(")");
    // The candidates come ranked (migration 0020): only the rows shown are read, through
    // row-level security, with the caller's scope and the trash rule applied again.
    sql.push(
        "), hits AS (SELECT c.record_id AS id, c.score, count(*) OVER () AS total FROM c \
         ORDER BY c.score DESC, c.record_id LIMIT ",
    )
    .bind(limit as i64);
    sql.push(&format!(
        ") SELECT h.id, {title} AS title, {subtitle} AS subtitle, h.score, h.total, \
         (ARRAY[{names}])[f.ord] AS matched_field, \
         CASE WHEN f.body IS NOT NULL THEN ts_headline('relais_french', f.body, qs.loose, ",
        title = k.title,
        subtitle = k.subtitle,
        names = k
            .fields
            .iter()
            .map(|(field, _, _)| format!("'{field}'"))
            .collect::<Vec<_>>()
            .join(", "),
    ));
    sql.bind(HEADLINE_OPTIONS);
    sql.push(&format!(
        ") END AS snippet \
         FROM hits h CROSS JOIN qs JOIN {tb} {a} ON {a}.tenant_id = ",
        tb = k.table
    ));
    sql.bind(tenant);
    // The first field that matches, tried in weight order: CASE stops at the first, where a
    // list of fields would parse every one of them before picking.
    let (mut first, mut shown) = (String::new(), String::new());
    for (n, (_, show, doc)) in k.fields.iter().enumerate() {
        first.push_str(&format!(
            " WHEN to_tsvector('relais_french', {doc}) @@ qs.loose THEN {}",
            n + 1
        ));
        shown.push_str(&format!(" WHEN {} THEN {show}", n + 1));
    }
    sql.push(&format!(
        " AND {a}.id = h.id \
         CROSS JOIN LATERAL (SELECT fo.ord, CASE fo.ord{shown} END AS body \
         FROM (SELECT CASE{first} END AS ord) fo) f \
         WHERE {a}.deleted_at IS NULL"
    ));
    owned_by(&mut sql, vis, a, k.owner_col);
    sql.push(" ORDER BY h.score DESC, h.id");
    let rows = db.query_all_raw(sql.build()).await?;
    rows.iter()
        .map(|r| Ok(Hit::from_query_result(r, "")?))
        .collect()
}

/// Up to `limit` suggestions of one kind of record for search-as-you-type, best first: names
/// (or numbers) starting with the text, a later word starting with it, emails; or, when
/// `typos`, the near misses on names alone (the costliest part; organisations and people
/// only). Interactions have no name and are not suggested.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per part of a look-up: tenant, kind, text, typos, scope, sizes"
)]
pub async fn autocomplete(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    t: SearchType,
    text: &str,
    typos: bool,
    vis: Visibility,
    cap: i32,
    limit: u64,
) -> Result<Vec<Suggestion>> {
    let (user, team) = scope_args(vis);
    let (select, from) = match t {
        SearchType::Organisation => (
            "o.id, o.name AS label, NULLIF(concat_ws(' · ', o.city, o.email), '') AS detail, \
             (CASE WHEN starts_with(o.search_name, qs.norm) THEN 2 + relais_search_similarity(qs.norm, o.search_name) \
                   WHEN strpos(' ' || o.search_name, ' ' || qs.norm) > 0 \
                        THEN 1 + relais_search_similarity(qs.norm, o.search_name) \
                   WHEN qs.email ~ '[@.]' AND strpos(lower(o.email), qs.email) > 0 THEN 1.5 \
                   ELSE relais_search_word_similarity(qs.norm, o.search_name) END)::float8 AS score",
            "organisations o",
        ),
        SearchType::Person => (
            "p.id, concat_ws(' ', p.first_name, p.last_name) AS label, \
             NULLIF(concat_ws(' · ', p.job_title, p.email), '') AS detail, \
             (CASE WHEN starts_with(p.search_name, qs.norm) \
                        OR starts_with(relais_search_norm(p.last_name), qs.norm) \
                        THEN 2 + relais_search_similarity(qs.norm, p.search_name) \
                   WHEN strpos(' ' || p.search_name, ' ' || qs.norm) > 0 \
                        THEN 1 + relais_search_similarity(qs.norm, p.search_name) \
                   WHEN qs.email ~ '[@.]' AND strpos(p.email, qs.email) > 0 THEN 1.5 \
                   ELSE relais_search_word_similarity(qs.norm, p.search_name) END)::float8 AS score",
            "people p",
        ),
        SearchType::Mandate => (
            "m.id, m.number AS label, m.status AS detail, \
             (2 + relais_search_similarity(upper(qs.email), m.number))::float8 AS score",
            "mandates m",
        ),
        SearchType::Interaction => return Ok(Vec::new()),
    };
    let a = &from[from.len() - 1..];
    let owner_col = "owner_id";
    let mut sql = Sql::new("WITH qs AS MATERIALIZED (SELECT relais_search_norm(");
    sql.bind(text.to_owned())
        .push(
            ") AS norm, lower(btrim($1)) AS email), \
               c AS MATERIALIZED (SELECT record_id FROM autocomplete_ids(",
        )
        .bind(t.code())
        .push(", $1, ")
        .bind(typos)
        .push(", ")
        .bind(limit as i32)
        .push(", ")
        .bind(cap)
        .push(", ")
        .bind(user)
        .push(", ")
        .bind(team)
        .push(&format!(
            "))SELECT {select} FROM c JOIN {from} ON {a}.tenant_id = "
        ));
    sql.bind(tenant);
    sql.push(&format!(
        " AND {a}.id = c.record_id CROSS JOIN qs WHERE {a}.deleted_at IS NULL"
    ));
    owned_by(&mut sql, vis, a, owner_col);
    sql.push(" ORDER BY score DESC, label, id LIMIT ")
        .bind(limit as i64);
    let rows = db.query_all_raw(sql.build()).await?;
    rows.iter()
        .map(|r| Ok(Suggestion::from_query_result(r, "")?))
        .collect()
}

/// Search several kinds of records, each within its scope, results in the order of `kinds`:
/// what `GET /search` runs. The kinds are searched at the same time, each in its own
/// read-only transaction confined to `tenant` (one pooled connection per kind), so a request
/// costs about its slowest kind rather than their sum.
pub async fn search_all(
    db: &Db,
    tenant: TenantId,
    kinds: &[(SearchType, Visibility)],
    q: Query<'_>,
    filter: &SearchFilter,
    limit: u64,
) -> Result<Vec<(SearchType, Vec<Hit>)>> {
    let per_kind = kinds.iter().map(|&(t, vis)| async move {
        let tx = db.tenant_tx(tenant).await?;
        let hits = search(&*tx, tenant.0, t, q, vis, filter, CANDIDATE_CAP, limit).await?;
        tx.commit().await?;
        Ok::<_, crate::StoreError>((t, hits))
    });
    futures_util::future::try_join_all(per_kind).await
}

/// Copies the planner's statistics of the text columns (their most common words and the share
/// of rows each is in, migration 0028) where the search functions read them to choose, per
/// statement, between one word look-up and the eighth-first one. Returns the number of words.
/// The job worker runs it every hour; until it has run, every look-up is the single one.
pub async fn refresh_word_frequencies(db: &Db) -> Result<i32> {
    let tx = db.platform_tx().await?;
    let row = tx
        .query_one_raw(crate::stmt(
            "SELECT relais_search_refresh_frequencies() AS n",
            [],
        ))
        .await?;
    tx.commit().await?;
    Ok(row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
}

/// Whether near misses (typos) can add suggestions of this kind: names only.
fn has_names(t: SearchType) -> bool {
    matches!(t, SearchType::Organisation | SearchType::Person)
}

/// Suggestions across several kinds, best first (ties in the order of `kinds`), at most
/// `limit`: what `GET /search/autocomplete` runs. Near misses are looked for only when names
/// starting like the text (or with a word that does) are fewer than `limit` in all kinds
/// together, and only of the kinds with names (organisations, people); they are added to
/// what the first pass found. Each pass asks its kinds at the same time, as [`search_all`] does.
pub async fn autocomplete_all(
    db: &Db,
    tenant: TenantId,
    kinds: &[(SearchType, Visibility)],
    text: &str,
    limit: u64,
) -> Result<Vec<(SearchType, Suggestion)>> {
    let mut out: Vec<(SearchType, Suggestion)> = Vec::new();
    for typos in [false, true] {
        let asked: Vec<_> = kinds
            .iter()
            .filter(|(t, _)| !typos || has_names(*t))
            .collect();
        if asked.is_empty() {
            break;
        }
        let per_kind = asked.iter().map(|&&(t, vis)| async move {
            let tx = db.tenant_tx(tenant).await?;
            let found =
                autocomplete(&*tx, tenant.0, t, text, typos, vis, SUGGESTION_CAP, limit).await?;
            tx.commit().await?;
            Ok::<_, crate::StoreError>(found.into_iter().map(move |s| (t, s)))
        });
        let found = futures_util::future::try_join_all(per_kind).await?;
        // The second pass returns the near misses alone (migration 0026): they join the first
        // pass's suggestions, each record once.
        for (t, s) in found.into_iter().flatten() {
            if !out.iter().any(|(k, o)| *k == t && o.id == s.id) {
                out.push((t, s));
            }
        }
        if out.len() as u64 >= limit {
            break;
        }
    }
    // Best first; equal scores in the order of `kinds`.
    let rank = |t: SearchType| kinds.iter().position(|(k, _)| *k == t);
    out.sort_by(|a, b| {
        b.1.score
            .total_cmp(&a.1.score)
            .then_with(|| rank(a.0).cmp(&rank(b.0)))
    });
    out.truncate(limit as usize);
    Ok(out)
}
