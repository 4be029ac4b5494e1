//! Documents attached to organisations, people and mandates.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentOut {
    pub id: Uuid,
    /// `organisation`, `person` or `mandate`.
    pub record_type: String,
    pub record_id: Uuid,
    /// The name the file was uploaded with; downloads use it.
    pub file_name: String,
    /// Detected from the content, not trusted from the client.
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    pub uploaded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// The multipart form of an upload (for the API reference).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentUpload {
    /// `organisation`, `person` or `mandate`.
    pub record_type: String,
    pub record_id: Uuid,
    /// The file (PDF, images, Office and OpenDocument files, CSV or plain text).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Binary))]
    pub file: Vec<u8>,
}
