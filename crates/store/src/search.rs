//! Global search (SPEC SRCH-1…4): ranked full-text search with highlighted snippets, and
//! autocomplete suggestions, over organisations, people, mandates and interactions.
//!
//! One statement per kind of record, a call of `relais_search_hits` or
//! `relais_autocomplete_hits` (migration 0033), sent outside a transaction: the function first
//! confines its own statement to the tenant (`app.tenant_id`, local to that statement's
//! transaction), which saves the three round trips of a tenant transaction around it. Inside,
//! two steps. First a SECURITY DEFINER function (`search_ids`, `autocomplete_ids`, migration
//! 0007 and later) finds candidate ids through the GIN and trigram indexes, which row-level
//! security would otherwise keep the planner from using; it is confined to the tenant and
//! returns at most `cap` ids per kind of match; typos are first corrected against the tenant's
//! vocabulary of name words (`search_words`, migration 0014, kept by triggers) and then looked
//! up as exact words. Search candidates come with their score (migration 0020), computed while
//! the look-up has the row in hand. Then the function keeps the best, reads those rows through
//! row-level security as the application role, applies the caller's scope ([`Visibility`]:
//! the whole tenant, one user's records, or theirs and their team's) and the trash rule again,
//! and highlights them (autocomplete ranks its candidates there). Nothing is indexed by the
//! application: the vectors are generated columns, so a write is searchable by the next
//! statement.

use crate::{Db, error::Result, organisations::Visibility};
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
/// number of matches (counted up to the candidate cap): one statement, confined to `tenant`
/// by the function it calls (`relais_search_hits`, migration 0033), which reads the rows shown
/// through row-level security with the scope and the trash rule applied again and highlights
/// them.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per part of a search: tenant, kind, text, scope, filters, sizes"
)]
pub async fn search(
    db: &Db,
    tenant: TenantId,
    t: SearchType,
    q: Query<'_>,
    vis: Visibility,
    filter: &SearchFilter,
    cap: i32,
    limit: u64,
) -> Result<Vec<Hit>> {
    let (user, team) = scope_args(vis);
    let call = crate::stmt(
        "SELECT id, title, subtitle, score, total, matched_field, snippet \
         FROM relais_search_hits($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        [
            tenant.0.into(),
            t.code().into(),
            q.text.into(),
            q.web.into(),
            (limit as i32).into(),
            cap.into(),
            user.into(),
            team.into(),
            text_array(&filter.categories),
            text_array(&filter.statuses),
            filter.city.clone().into(),
            filter.created_from.into(),
            filter.created_to.into(),
            HEADLINE_OPTIONS.into(),
        ],
    );
    let rows = db.query_confined(call).await?;
    rows.iter()
        .map(|r| Ok(Hit::from_query_result(r, "")?))
        .collect()
}

/// Up to `limit` suggestions of one kind of record for search-as-you-type, best first: names
/// (or numbers) starting with the text, a later word starting with it, emails; or, when
/// `typos`, the near misses on names alone (the costliest part; organisations and people
/// only). Interactions have no name and are not suggested. One statement, confined to
/// `tenant` by the function it calls (`relais_autocomplete_hits`, migration 0033).
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per part of a look-up: tenant, kind, text, typos, scope, sizes"
)]
pub async fn autocomplete(
    db: &Db,
    tenant: TenantId,
    t: SearchType,
    text: &str,
    typos: bool,
    vis: Visibility,
    cap: i32,
    limit: u64,
) -> Result<Vec<Suggestion>> {
    if t == SearchType::Interaction {
        return Ok(Vec::new());
    }
    let (user, team) = scope_args(vis);
    let call = crate::stmt(
        "SELECT id, label, detail, score FROM relais_autocomplete_hits($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            tenant.0.into(),
            t.code().into(),
            text.into(),
            typos.into(),
            (limit as i32).into(),
            cap.into(),
            user.into(),
            team.into(),
        ],
    );
    let rows = db.query_confined(call).await?;
    rows.iter()
        .map(|r| Ok(Suggestion::from_query_result(r, "")?))
        .collect()
}

/// Search several kinds of records, each within its scope, results in the order of `kinds`:
/// what `GET /search` runs. The kinds are searched at the same time, each in one statement
/// confined to `tenant` (one pooled connection per kind), so a request costs about its slowest
/// kind rather than their sum.
pub async fn search_all(
    db: &Db,
    tenant: TenantId,
    kinds: &[(SearchType, Visibility)],
    q: Query<'_>,
    filter: &SearchFilter,
    limit: u64,
) -> Result<Vec<(SearchType, Vec<Hit>)>> {
    let per_kind = kinds.iter().map(|&(t, vis)| async move {
        let hits = search(db, tenant, t, q, vis, filter, CANDIDATE_CAP, limit).await?;
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
            let found =
                autocomplete(db, tenant, t, text, typos, vis, SUGGESTION_CAP, limit).await?;
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
