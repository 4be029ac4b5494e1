//! Documents attached to organisations, people and mandates.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"id": "0194b8a8-8e9f-7a0b-8c1d-e2f3a4b5c661", "record_type": "mandate", "record_id": "0194b8a5-2a3b-7c4d-8e5f-60718293a421", "file_name": "Mandat M-2026-001 signé.pdf", "content_type": "application/pdf", "size_bytes": 184320, "sha256": "9f2c4e1a7b3d5f6e8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f", "uploaded_by": "0194b8a0-1f2e-7a3b-8c4d-5e6f70819201", "created_at": "2026-02-10T15:45:00Z"}))))]
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
    /// Set while the document is in the trash (restorable for 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
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
