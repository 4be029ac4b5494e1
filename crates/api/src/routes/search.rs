//! Global search (SPEC SRCH-1…4): ranked French full-text search over organisations, people,
//! mandates and interactions, grouped by kind, with highlighted snippets; and autocomplete
//! suggestions for search-as-you-type. Both answer within the caller's permissions: kinds
//! they may not read are skipped, and each kind is limited to their scope (own, team, all).

use crate::{
    ApiResult, AppState,
    auth::{Auth, Principal},
    error::{ApiError, Validator},
    records::visibility,
};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use relais_domain::{
    Action, Resource,
    crm::Category,
    mandates::MandateStatus,
    search::{self as domain, SearchType},
};
use relais_store::{
    organisations::Visibility,
    search::{self as store, CANDIDATE_CAP, MARK_END, MARK_START, SearchFilter},
};
use relais_types::{
    AutocompleteOut, Problem, SearchGroupOut, SearchHitOut, SearchResultsOut, SuggestionOut,
};
use serde::Deserialize;
use utoipa::IntoParams;

const DEFAULT_LIMIT: u64 = 10;
const MAX_LIMIT: u64 = 50;
const MAX_SUGGESTIONS: u64 = 10;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/search").route(web::get().to(search)));
    cfg.service(web::resource("/search/autocomplete").route(web::get().to(autocomplete)));
}

fn resource(t: SearchType) -> Resource {
    match t {
        SearchType::Organisation => Resource::Organisations,
        SearchType::Person => Resource::People,
        SearchType::Mandate => Resource::Mandates,
        SearchType::Interaction => Resource::Interactions,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to look for, 1–200 characters. Plain words match whatever their accents, case or
    /// French inflection ("societe generale" finds "Société Générale", "gestionnaires" finds
    /// "gestion"), and names also with a typo or two ("Dupond" finds "Dupont"). Web-search
    /// syntax is honoured and then matched exactly: `"exact phrase"`, `or`, `-excluded`.
    #[param(required = true, example = "societe generale")]
    pub q: Option<String>,
    /// Comma-separated kinds to search: organisation, person, mandate, interaction (default
    /// all that you may read).
    pub types: Option<String>,
    /// Results per kind, 1–50 (default 10).
    pub limit: Option<u64>,
    /// Comma-separated organisation categories. Only organisations have a category: with this
    /// filter, other kinds are not searched.
    pub category: Option<String>,
    /// Comma-separated mandate statuses. Only mandates have one: with this filter, other kinds
    /// are not searched.
    pub status: Option<String>,
    /// Organisation city (exact, case-insensitive). Only organisations have one.
    pub city: Option<String>,
    /// Created at or after this instant (RFC 3339).
    pub created_from: Option<DateTime<Utc>>,
    /// Created before this instant (RFC 3339).
    pub created_to: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AutocompleteQuery {
    /// The text typed so far, 1–200 characters.
    #[param(required = true, example = "dupon")]
    pub q: Option<String>,
    /// Comma-separated kinds: organisation, person, mandate (default all that you may read;
    /// interactions have no name and are never suggested).
    pub types: Option<String>,
    /// Suggestions, 1–10 (default 10).
    pub limit: Option<u64>,
}

fn parse_q(v: &mut Validator, raw: Option<&str>) -> Option<String> {
    v.check("q", domain::parse_query(raw.unwrap_or("")))
}

fn parse_limit(v: &mut Validator, raw: Option<u64>, default: u64, max: u64) -> u64 {
    match raw {
        None => default,
        Some(n) if (1..=max).contains(&n) => n,
        Some(_) => {
            v.push("limit", "out_of_range", format!("between 1 and {max}"));
            default
        }
    }
}

/// Comma-separated codes, each checked by `parse`.
fn codes<T>(
    v: &mut Validator,
    field: &str,
    raw: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Vec<T> {
    let mut out = Vec::new();
    for c in raw
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match parse(c) {
            Some(x) => out.push(x),
            None => v.push(field, "invalid_choice", format!("unknown value {c:?}")),
        }
    }
    out
}

/// The kinds to search: those asked for (default all), that the caller may read, in the
/// display order. Kinds without read permission are skipped without an error.
fn readable(p: &Principal, asked: &[SearchType]) -> Vec<SearchType> {
    SearchType::ALL
        .iter()
        .copied()
        .filter(|t| asked.is_empty() || asked.contains(t))
        .filter(|t| p.grants.scope(resource(*t), Action::Read).is_some())
        .collect()
}

/// Search text as safe HTML: escaped, with the highlight markers turned into `<mark>`.
fn snippet_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    let mut open = false;
    for c in raw.chars() {
        match c {
            MARK_START if !open => {
                out.push_str("<mark>");
                open = true;
            }
            MARK_END if open => {
                out.push_str("</mark>");
                open = false;
            }
            MARK_START | MARK_END => {}
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

/// Search organisations, people, mandates and interactions at once. Results come grouped by
/// kind, best first, each with its rank, the field that matched and an HTML snippet with the
/// matching words in `<mark>`. Only records you may read are searched (your own, your team's
/// or all, by role), never records in the trash; kinds you may not read are skipped. Filters
/// combine with the text; a filter only some kinds have (category, status, city) restricts
/// the search to those kinds. A record is findable as soon as the request that wrote it has
/// answered.
#[utoipa::path(get, path = "/api/v1/search", tag = "search",
    operation_id = "v1.search", security(("bearer" = [])), params(SearchQuery),
    responses(
        (status = 200, description = "Results grouped by kind", body = SearchResultsOut),
        (status = 400, description = "Malformed query string (e.g. a date that is not RFC 3339)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or overlong `q`, unknown type, category or status, bad `limit`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn search(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let q = query.into_inner();
    let mut v = Validator::new();
    let text = parse_q(&mut v, q.q.as_deref());
    let limit = parse_limit(&mut v, q.limit, DEFAULT_LIMIT, MAX_LIMIT);
    let asked = codes(&mut v, "types", q.types.as_deref(), SearchType::from_code);
    let categories = codes(
        &mut v,
        "category",
        q.category.as_deref(),
        Category::from_code,
    );
    let statuses = codes(
        &mut v,
        "status",
        q.status.as_deref(),
        MandateStatus::from_code,
    );
    let city = q
        .city
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if city.as_ref().is_some_and(|c| c.chars().count() > 200) {
        v.push("city", "too_long", "at most 200 characters");
    }
    if let (Some(from), Some(to)) = (q.created_from, q.created_to)
        && from >= to
    {
        v.push("created_to", "invalid_range", "must be after created_from");
    }
    v.finish()?;
    let text = text.ok_or_else(|| ApiError::internal("query validated"))?;
    let filter = SearchFilter {
        categories: categories.iter().map(|c| c.code().to_owned()).collect(),
        statuses: statuses.iter().map(|s| s.code().to_owned()).collect(),
        city,
        created_from: q.created_from,
        created_to: q.created_to,
    };
    // A filter on a field only some kinds have leaves the others out.
    let applies = |t: SearchType| {
        let organisation_only = !filter.categories.is_empty() || filter.city.is_some();
        let mandate_only = !filter.statuses.is_empty();
        (!organisation_only || t == SearchType::Organisation)
            && (!mandate_only || t == SearchType::Mandate)
    };
    let kinds: Vec<SearchType> = readable(&p, &asked)
        .into_iter()
        .filter(|t| applies(*t))
        .collect();
    let sq = store::Query {
        text: &text,
        web: domain::uses_web_syntax(&text),
    };
    let scoped = scoped(&p, &kinds)?;
    let found = store::search_all(&state.db, p.tenant, &scoped, sq, &filter, limit).await?;
    let groups = found
        .into_iter()
        .map(|(t, hits)| {
            let total = hits.first().map_or(0, |h| h.total);
            SearchGroupOut {
                type_: t,
                total: total.min(i64::from(CANDIDATE_CAP)),
                total_capped: total >= i64::from(CANDIDATE_CAP),
                items: hits.into_iter().map(|h| hit_out(t, h)).collect(),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(SearchResultsOut {
        query: text,
        groups,
    }))
}

/// Each kind with the caller's scope for reading it.
fn scoped(p: &Principal, kinds: &[SearchType]) -> ApiResult<Vec<(SearchType, Visibility)>> {
    kinds
        .iter()
        .map(|&t| Ok((t, visibility(p, p.require(resource(t), Action::Read)?))))
        .collect()
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn hit_out(t: SearchType, h: store::Hit) -> SearchHitOut {
    let (matched_field, snippet) = match (h.matched_field, h.snippet) {
        (Some(f), Some(s)) => (f, snippet_html(&s)),
        _ => (primary_field(t).to_owned(), snippet_html(&h.title)),
    };
    SearchHitOut {
        type_: t,
        id: h.id,
        title: h.title,
        subtitle: h.subtitle,
        rank: round(h.score),
        matched_field,
        snippet,
    }
}

/// The field a typo-tolerant match is on.
fn primary_field(t: SearchType) -> &'static str {
    match t {
        SearchType::Organisation | SearchType::Person => "name",
        SearchType::Mandate => "number",
        SearchType::Interaction => "summary",
    }
}

/// Up to 10 suggestions for search-as-you-type, across organisations, people and mandates,
/// best first: names (and mandate numbers) starting with the text, then names with a word
/// starting with it, then names one or two typos away, and emails containing the text when it
/// looks like one. Within your permissions, never from the trash.
#[utoipa::path(get, path = "/api/v1/search/autocomplete", tag = "search",
    operation_id = "v1.search.autocomplete", security(("bearer" = [])),
    params(AutocompleteQuery),
    responses(
        (status = 200, description = "Suggestions, best first", body = AutocompleteOut),
        (status = 422, description = "Empty or overlong `q`, unknown type, bad `limit`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn autocomplete(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<AutocompleteQuery>,
) -> ApiResult<HttpResponse> {
    let p = auth.0;
    let q = query.into_inner();
    let mut v = Validator::new();
    let text = parse_q(&mut v, q.q.as_deref());
    let limit = parse_limit(&mut v, q.limit, MAX_SUGGESTIONS, MAX_SUGGESTIONS);
    let asked = codes(&mut v, "types", q.types.as_deref(), SearchType::from_code);
    v.finish()?;
    let text = text.ok_or_else(|| ApiError::internal("query validated"))?;
    let kinds: Vec<SearchType> = readable(&p, &asked)
        .into_iter()
        .filter(|t| *t != SearchType::Interaction)
        .collect();
    let scoped = scoped(&p, &kinds)?;
    let found = store::autocomplete_all(&state.db, p.tenant, &scoped, &text, limit).await?;
    let items = found
        .into_iter()
        .map(|(t, s)| SuggestionOut {
            type_: t,
            id: s.id,
            label: s.label,
            detail: s.detail,
            score: round(s.score),
        })
        .collect();
    Ok(HttpResponse::Ok().json(AutocompleteOut { query: text, items }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_escaped_and_marked() {
        let raw = format!("a <b>&\"'{MARK_START}Société{MARK_END} x");
        assert_eq!(
            snippet_html(&raw),
            "a &lt;b&gt;&amp;&quot;&#39;<mark>Société</mark> x"
        );
        // Unbalanced or nested markers never leave an open tag.
        let raw = format!("{MARK_START}{MARK_START}a{MARK_END}{MARK_END}b{MARK_START}c");
        assert_eq!(snippet_html(&raw), "<mark>a</mark>b<mark>c</mark>");
    }
}
