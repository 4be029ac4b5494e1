//! Global search and autocomplete.

use super::get;
use crate::problem::ApiError;
use crate::state::encode;
use relais_types::{AutocompleteOut, InteractionOut, MandateOut, SearchResultsOut};
use uuid::Uuid;

pub async fn autocomplete(text: &str) -> Result<AutocompleteOut, ApiError> {
    get(&format!("/api/v1/search/autocomplete?q={}", encode(text))).await
}

/// `query` from `search::ResultsQuery::to_api_query`.
pub async fn search(query: &str) -> Result<SearchResultsOut, ApiError> {
    get(&format!("/api/v1/search?{query}")).await
}

pub async fn mandate(id: Uuid) -> Result<MandateOut, ApiError> {
    get(&format!("/api/v1/mandates/{id}")).await
}

pub async fn interaction(id: Uuid) -> Result<InteractionOut, ApiError> {
    get(&format!("/api/v1/interactions/{id}")).await
}
