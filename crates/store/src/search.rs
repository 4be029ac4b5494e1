//! Global search (SPEC SRCH-1…4): ranked full-text search with highlighted snippets, and
//! autocomplete suggestions, over organisations, people, mandates and interactions.
//!
//! One call per kind of record, of `relais_search_hits` or `relais_autocomplete_hits`
//! (migration 0033); the kinds of a request go in [`STATEMENTS_AT_ONCE`] statements sent at the
//! same time, outside a transaction: the function first confines its statement to the tenant
//! (`app.tenant_id`, local to that statement's transaction), which saves the three round trips
//! of a tenant transaction around it. Inside, two steps. First a SECURITY DEFINER function (`search_ids`, `autocomplete_ids`, migration
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

/// Statements a request sends at the same time, each for some of its kinds: as many as the
/// processors of the machine the benchmark targets (2). Four statements of one kind each kept
/// the two processors oversubscribed and paid a round trip (and a backend's wake-up) per kind;
/// two of two kinds each run the kinds of a statement one after the other in its backend.
pub const STATEMENTS_AT_ONCE: usize = 2;

/// Splits `kinds` into at most [`STATEMENTS_AT_ONCE`] groups, in turns (the first kind in the
/// first group, the second in the second, …), so that organisations and people, the largest,
/// go to different statements. Each group keeps its kinds' positions in `kinds`.
fn groups<T: Copy>(kinds: &[T]) -> Vec<Vec<(usize, T)>> {
    let n = kinds.len().min(STATEMENTS_AT_ONCE);
    (0..n)
        .map(|g| {
            kinds
                .iter()
                .copied()
                .enumerate()
                .skip(g)
                .step_by(n)
                .collect()
        })
        .collect()
}

/// One statement answering several kinds: `call(first)` for each kind, the arguments shared by
/// every kind first (`shared`), then each kind's own (`own`, `per_kind` of them, numbered from
/// `first`), the rows of each call tagged with its position (`part`) and kept in its order.
fn union_of_calls(
    columns: &str,
    call: impl Fn(usize) -> String,
    shared: Vec<Value>,
    own: Vec<Vec<Value>>,
) -> sea_orm::Statement {
    let first = shared.len() + 1;
    let per_kind = own.first().map_or(0, Vec::len);
    let sql = (0..own.len())
        .map(|part| {
            format!(
                "SELECT {part} AS part, h.ordinality AS n, {columns} FROM {} WITH ORDINALITY AS h",
                call(first + part * per_kind)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    crate::stmt(
        &format!("SELECT * FROM ({sql}) AS u ORDER BY part, n"),
        shared.into_iter().chain(own.into_iter().flatten()),
    )
}

/// The rows of a [`union_of_calls`] statement, call by call.
fn split_parts<T>(
    rows: &[sea_orm::QueryResult],
    parts: usize,
    read: impl Fn(&sea_orm::QueryResult) -> Result<T>,
) -> Result<Vec<Vec<T>>> {
    let mut out: Vec<Vec<T>> = (0..parts).map(|_| Vec::new()).collect();
    for r in rows {
        let part: i32 = r.try_get("", "part")?;
        let slot = out
            .get_mut(usize::try_from(part).unwrap_or(usize::MAX))
            .ok_or_else(|| {
                crate::StoreError::Db(sea_orm::DbErr::Custom(format!(
                    "search part {part} out of range"
                )))
            })?;
        slot.push(read(r)?);
    }
    Ok(out)
}

/// The best `limit` matches of each of `kinds`, within its scope, with the number of matches
/// (counted up to the candidate cap), in the order of `kinds`: one statement, a call of
/// `relais_search_hits` (migration 0033) per kind, each confined to `tenant` by the function
/// itself, which reads the rows shown through row-level security with the scope and the trash
/// rule applied again and highlights them.
pub async fn search(
    db: &Db,
    tenant: TenantId,
    kinds: &[(SearchType, Visibility)],
    q: Query<'_>,
    filter: &SearchFilter,
    cap: i32,
    limit: u64,
) -> Result<Vec<Vec<Hit>>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let shared = vec![
        tenant.0.into(),
        q.text.into(),
        q.web.into(),
        (limit as i32).into(),
        cap.into(),
        text_array(&filter.categories),
        text_array(&filter.statuses),
        filter.city.clone().into(),
        filter.created_from.into(),
        filter.created_to.into(),
        HEADLINE_OPTIONS.into(),
    ];
    let own = kinds
        .iter()
        .map(|&(t, vis)| {
            let (user, team) = scope_args(vis);
            vec![t.code().into(), user.into(), team.into()]
        })
        .collect();
    let call = union_of_calls(
        "h.id, h.title, h.subtitle, h.score, h.total, h.matched_field, h.snippet",
        |k| {
            format!(
                "relais_search_hits($1, ${k}, $2, $3, $4, $5, ${}, ${}, $6, $7, $8, $9, $10, $11)",
                k + 1,
                k + 2
            )
        },
        shared,
        own,
    );
    let rows = db.query_confined(call).await?;
    split_parts(&rows, kinds.len(), |r| Ok(Hit::from_query_result(r, "")?))
}

/// Up to `limit` suggestions of each of `kinds` for search-as-you-type, best first, in the
/// order of `kinds`: names (or numbers) starting with the text, a later word starting with it,
/// emails; or, when `typos`, the near misses on names alone (the costliest part; organisations
/// and people only). Interactions have no name and are not suggested. One statement, a call
/// of `relais_autocomplete_hits` (migration 0033) per kind, each confined to `tenant` by the
/// function itself.
pub async fn autocomplete(
    db: &Db,
    tenant: TenantId,
    kinds: &[(SearchType, Visibility)],
    text: &str,
    typos: bool,
    cap: i32,
    limit: u64,
) -> Result<Vec<Vec<Suggestion>>> {
    let asked: Vec<_> = kinds
        .iter()
        .filter(|(t, _)| *t != SearchType::Interaction)
        .collect();
    let mut out: Vec<Vec<Suggestion>> = kinds.iter().map(|_| Vec::new()).collect();
    if asked.is_empty() {
        return Ok(out);
    }
    let shared = vec![
        tenant.0.into(),
        text.into(),
        typos.into(),
        (limit as i32).into(),
        cap.into(),
    ];
    let own = asked
        .iter()
        .map(|&&(t, vis)| {
            let (user, team) = scope_args(vis);
            vec![t.code().into(), user.into(), team.into()]
        })
        .collect();
    let call = union_of_calls(
        "h.id, h.label, h.detail, h.score",
        |k| {
            format!(
                "relais_autocomplete_hits($1, ${k}, $2, $3, $4, $5, ${}, ${})",
                k + 1,
                k + 2
            )
        },
        shared,
        own,
    );
    let rows = db.query_confined(call).await?;
    let found = split_parts(&rows, asked.len(), |r| {
        Ok(Suggestion::from_query_result(r, "")?)
    })?;
    let mut found = found.into_iter();
    for (slot, (t, _)) in out.iter_mut().zip(kinds) {
        if *t != SearchType::Interaction {
            *slot = found.next().unwrap_or_default();
        }
    }
    Ok(out)
}

/// Search several kinds of records, each within its scope, results in the order of `kinds`:
/// what `GET /search` runs. The kinds go in [`STATEMENTS_AT_ONCE`] statements sent at the same
/// time (one pooled connection each), each confined to `tenant`.
pub async fn search_all(
    db: &Db,
    tenant: TenantId,
    kinds: &[(SearchType, Visibility)],
    q: Query<'_>,
    filter: &SearchFilter,
    limit: u64,
) -> Result<Vec<(SearchType, Vec<Hit>)>> {
    let per_group = groups(kinds).into_iter().map(|group| async move {
        let asked: Vec<_> = group.iter().map(|&(_, k)| k).collect();
        let hits = search(db, tenant, &asked, q, filter, CANDIDATE_CAP, limit).await?;
        Ok::<_, crate::StoreError>(
            group
                .into_iter()
                .zip(hits)
                .map(|((i, (t, _)), h)| (i, t, h))
                .collect::<Vec<_>>(),
        )
    });
    let mut found: Vec<_> = futures_util::future::try_join_all(per_group)
        .await?
        .into_iter()
        .flatten()
        .collect();
    found.sort_by_key(|(i, _, _)| *i);
    Ok(found.into_iter().map(|(_, t, h)| (t, h)).collect())
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
        let asked: Vec<_> = asked.into_iter().copied().collect();
        let per_group = groups(&asked).into_iter().map(|group| async move {
            let kinds: Vec<_> = group.iter().map(|&(_, k)| k).collect();
            let found =
                autocomplete(db, tenant, &kinds, text, typos, SUGGESTION_CAP, limit).await?;
            Ok::<_, crate::StoreError>(
                kinds
                    .into_iter()
                    .zip(found)
                    .flat_map(|((t, _), s)| s.into_iter().map(move |s| (t, s)))
                    .collect::<Vec<_>>(),
            )
        });
        let found = futures_util::future::try_join_all(per_group).await?;
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

#[cfg(test)]
mod tests {
    use super::groups;

    #[test]
    fn kinds_alternate_between_the_statements() {
        let positions = |n: usize| -> Vec<Vec<usize>> {
            let kinds: Vec<usize> = (0..n).collect();
            groups(&kinds)
                .into_iter()
                .map(|g| {
                    g.into_iter()
                        .map(|(i, k)| {
                            assert_eq!(i, k);
                            i
                        })
                        .collect()
                })
                .collect()
        };
        assert!(positions(0).is_empty());
        assert_eq!(positions(1), [vec![0]]);
        assert_eq!(positions(2), [vec![0], vec![1]]);
        assert_eq!(positions(3), [vec![0, 2], vec![1]]);
        // Organisations and people (first and second) in different statements.
        assert_eq!(positions(4), [vec![0, 2], vec![1, 3]]);
    }
}
