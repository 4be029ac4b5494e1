//! Global search and autocomplete answers.

use relais_domain::search::SearchType;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Search results, one group per kind of record searched (in the order organisation, person,
/// mandate, interaction). Kinds the caller may not read, or that a filter cannot apply to,
/// are left out.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResultsOut {
    /// The query as searched (control characters removed, spaces collapsed).
    pub query: String,
    pub groups: Vec<SearchGroupOut>,
}

/// The best matches of one kind of record.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchGroupOut {
    #[serde(rename = "type")]
    pub type_: SearchType,
    /// How many records of this kind match within your scope, counted up to a cap.
    pub total: i64,
    /// `true` when `total` reached the cap: there may be more matches (refine the query).
    pub total_capped: bool,
    /// Best first.
    pub items: Vec<SearchHitOut>,
}

/// One matching record.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHitOut {
    #[serde(rename = "type")]
    pub type_: SearchType,
    pub id: Uuid,
    /// Name, number or summary of the record.
    pub title: String,
    /// A second line: city and email, job title, status, kind and date.
    pub subtitle: Option<String>,
    /// Relevance: higher is better. Name matches outrank email/code matches, which outrank
    /// notes; exact words outrank shorter stems and typo-tolerant name matches.
    pub rank: f64,
    /// The field the words were found in (`name`, `email`, `notes`, `number`, `summary`…).
    pub matched_field: String,
    /// An excerpt of that field as HTML: the text is escaped and the matching words are
    /// wrapped in `<mark>…</mark>`.
    pub snippet: String,
}

/// Autocomplete suggestions, best first.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutocompleteOut {
    pub query: String,
    /// At most 10.
    pub items: Vec<SuggestionOut>,
}

/// One suggestion.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestionOut {
    #[serde(rename = "type")]
    pub type_: SearchType,
    pub id: Uuid,
    /// Name or number (plain text).
    pub label: String,
    /// City and email, job title and email, or status (plain text).
    pub detail: Option<String>,
    /// Higher is better: names starting with the text first, then names with a word starting
    /// with it, then near misses.
    pub score: f64,
}
