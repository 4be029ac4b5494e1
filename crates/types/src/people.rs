//! People (contacts) and their links to organisations.

use chrono::{DateTime, Utc};
use relais_domain::crm::OrganisationType;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"id": "0194b8a3-7e12-7f3a-9b4c-5d6e7f809a11", "first_name": "Claire", "last_name": "Martin", "full_name": "Claire Martin", "email": "claire.martin@lumiere-gestion.fr", "phone": "+33 6 12 34 56 78", "job_title": "Directrice des investissements", "notes": "Préfère être contactée le matin.", "owner_id": "0194b8a0-1f2e-7a3b-8c4d-5e6f70819201", "tags": ["décideur"], "active": true, "last_contact_at": "2026-02-03T10:00:00Z", "created_at": "2026-01-12T09:20:00Z", "updated_at": "2026-01-12T09:20:00Z"}))))]
pub struct PersonOut {
    pub id: Uuid,
    pub first_name: Option<String>,
    pub last_name: String,
    /// "First Last" (or the last name alone), for display.
    pub full_name: String,
    /// Lower-case.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_title: Option<String>,
    pub notes: Option<String>,
    pub owner_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub active: bool,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while the record is in the trash (restorable for 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Create a person. `owner_id` defaults to the caller; `organisations` links the new person
/// in the same transaction (at most one of them primary).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"first_name": "Claire", "last_name": "Martin", "email": "claire.martin@lumiere-gestion.fr", "phone": "+33 6 12 34 56 78", "job_title": "Directrice des investissements", "notes": "Préfère être contactée le matin.", "tags": ["décideur"], "organisations": [{"organisation_id": "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01", "role": "Directrice des investissements", "is_primary": true}]}))))]
#[serde(deny_unknown_fields)]
pub struct PersonIn {
    #[serde(default)]
    pub first_name: Option<String>,
    pub last_name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub organisations: Vec<PersonOrganisationIn>,
}

/// Change a person: absent fields stay, `null` clears an optional field.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"job_title": "Directrice générale déléguée", "phone": "+33 6 98 76 54 32", "notes": null}))))]
#[serde(deny_unknown_fields)]
pub struct PersonPatch {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub first_name: Option<Option<String>>,
    pub last_name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub phone: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub job_title: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub notes: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub owner_id: Option<Option<Uuid>>,
    pub active: Option<bool>,
    pub tags: Option<Vec<String>>,
}

/// Link a person to an organisation. Setting `is_primary` makes any other primary link of the
/// person non-primary.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"organisation_id": "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01", "role": "Directrice des investissements", "is_primary": true}))))]
#[serde(deny_unknown_fields)]
pub struct PersonOrganisationIn {
    pub organisation_id: Uuid,
    /// Job title or role at this organisation.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub is_primary: bool,
}

/// Change a link: absent fields stay, `role: null` clears the role.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"role": "Membre du comité d'investissement", "is_primary": false}))))]
#[serde(deny_unknown_fields)]
pub struct PersonOrganisationPatch {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::iam::double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub role: Option<Option<String>>,
    pub is_primary: Option<bool>,
}

/// One organisation a person is linked to, as seen from the person.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"person_id": "0194b8a3-7e12-7f3a-9b4c-5d6e7f809a11", "organisation_id": "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01", "name": "Banque Lumière Gestion", "type": "investor", "role": "Directrice des investissements", "is_primary": true, "created_at": "2026-01-12T09:20:00Z"}))))]
pub struct PersonOrganisationOut {
    pub person_id: Uuid,
    pub organisation_id: Uuid,
    /// The organisation's name.
    pub name: String,
    /// The organisation's type.
    #[serde(rename = "type")]
    pub type_: OrganisationType,
    /// Job title or role at this organisation.
    pub role: Option<String>,
    pub is_primary: bool,
    /// When the link was made.
    pub created_at: DateTime<Utc>,
}

/// One person linked to an organisation, as seen from the organisation (its contacts).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(json!({"person_id": "0194b8a3-7e12-7f3a-9b4c-5d6e7f809a11", "organisation_id": "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01", "first_name": "Claire", "last_name": "Martin", "full_name": "Claire Martin", "email": "claire.martin@lumiere-gestion.fr", "phone": "+33 6 12 34 56 78", "job_title": "Directrice des investissements", "active": true, "role": "Directrice des investissements", "is_primary": true, "created_at": "2026-01-12T09:20:00Z"}))))]
pub struct OrganisationPersonOut {
    pub person_id: Uuid,
    pub organisation_id: Uuid,
    pub first_name: Option<String>,
    pub last_name: String,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The person's own job title.
    pub job_title: Option<String>,
    pub active: bool,
    /// Role at this organisation.
    pub role: Option<String>,
    /// Whether this organisation is the person's primary one.
    pub is_primary: bool,
    /// When the link was made.
    pub created_at: DateTime<Utc>,
}
