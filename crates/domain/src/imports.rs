//! Imports (SPEC IMP-1…5): which fields each importable kind has, how column headers in
//! French or English map onto them, and how one row of text cells becomes validated values.
//!
//! Policy: cells are text as people type it in a spreadsheet ("2 500 000,50 €", "Oui",
//! "Investisseur", "France"); this module accepts those forms and reports every invalid cell
//! of a row at once with a stable code. An empty cell means "no value": on a creation the
//! default applies, on an update the current value stays.

use crate::{
    EmailAddress, PersonName,
    crm::{self, Category, OrganisationType, PipelineStage},
    people,
    products::ProductCode,
    values::ValueError,
};
use serde::{Deserialize, Serialize};

code_enum!(
    /// What a file imports.
    ImportKind {
        Organisations => "organisations",
        People => "people",
        Products => "products",
    }
);

code_enum!(
    /// What happens to a file with bad rows: `all_or_nothing` writes nothing when any row
    /// is bad; `skip_errors` writes the good rows and reports the bad ones.
    ImportMode {
        AllOrNothing => "all_or_nothing",
        SkipErrors => "skip_errors",
    }
);

code_enum!(
    /// How an imported row finds the record it updates: `none` (every row creates a record),
    /// `name` (organisation name, or a person's last and first name, case-insensitive),
    /// `email` (case-insensitive) or `code` (a product's code or ISIN, case-insensitive;
    /// products only).
    UpsertKey {
        None => "none",
        Name => "name",
        Email => "email",
        Code => "code",
    }
);

/// One importable field.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    /// Stable key, used in mappings and reports.
    pub key: &'static str,
    /// Template header (French) and English label.
    pub fr: &'static str,
    pub en: &'static str,
    /// Normalised headers that map to this field (see [`normalise`]).
    pub synonyms: &'static [&'static str],
    pub required: bool,
    /// Two example values for the templates.
    pub examples: [&'static str; 2],
}

/// Headers of a free-text notes column (organisations and products; a person's "description"
/// is more often a job description).
const NOTES_SYNONYMS: &[&str] = &[
    "notes",
    "note",
    "commentaire",
    "commentaires",
    "remarques",
    "comments",
    "description",
];

const fn f(
    key: &'static str,
    fr: &'static str,
    en: &'static str,
    synonyms: &'static [&'static str],
    examples: [&'static str; 2],
) -> FieldSpec {
    FieldSpec {
        key,
        fr,
        en,
        synonyms,
        required: false,
        examples,
    }
}

const ORG_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "name",
        fr: "nom",
        en: "Name",
        synonyms: &[
            "nom",
            "name",
            "raison_sociale",
            "societe",
            "organisation",
            "organization",
            "entreprise",
            "company",
            "company_name",
            "organisation_nom",
            "nom_organisation",
            "nom_de_l_organisation",
            "organisation_name",
            "organization_name",
            "denomination",
        ],
        required: true,
        examples: ["Banque Lumière Gestion", "Caisse Régionale du Centre"],
    },
    f(
        "type",
        "type",
        "Type",
        &[
            "type",
            "type_organisation",
            "type_d_organisation",
            "organisation_type",
            "kind",
        ],
        ["investisseur", "distributeur"],
    ),
    f(
        "category",
        "categorie",
        "Category",
        &[
            "categorie",
            "category",
            "categorie_produit",
            "famille",
            "product_category",
        ],
        ["OPCVM", "SCPI"],
    ),
    f(
        "pipeline_stage",
        "etape",
        "Pipeline stage",
        &[
            "etape",
            "etape_pipeline",
            "etape_du_pipeline",
            "pipeline",
            "pipeline_stage",
            "stage",
            "phase",
            "statut_commercial",
        ],
        ["prospect", "qualification"],
    ),
    f(
        "email",
        "email",
        "Email",
        &[
            "email",
            "e_mail",
            "courriel",
            "mail",
            "adresse_email",
            "adresse_mail",
            "adresse_e_mail",
        ],
        ["contact@lumiere-gestion.fr", "accueil@crc-centre.fr"],
    ),
    f(
        "phone",
        "telephone",
        "Phone",
        &[
            "telephone",
            "tel",
            "phone",
            "standard",
            "numero_de_telephone",
            "phone_number",
        ],
        ["+33 1 42 68 53 00", "02 38 00 00 00"],
    ),
    f(
        "website",
        "site_web",
        "Website",
        &["site_web", "site", "site_internet", "website", "web", "url"],
        ["https://www.lumiere-gestion.fr", "crc-centre.fr"],
    ),
    f(
        "address",
        "adresse",
        "Address",
        &["adresse", "address", "rue", "adresse_postale", "street"],
        ["12 rue de la Paix", "3 place du Martroi"],
    ),
    f(
        "city",
        "ville",
        "City",
        &["ville", "city", "commune", "localite", "town"],
        ["Paris", "Orléans"],
    ),
    f(
        "postcode",
        "code_postal",
        "Postcode",
        &[
            "code_postal",
            "cp",
            "postcode",
            "postal_code",
            "zip",
            "zip_code",
            "code_post",
        ],
        ["75002", "45000"],
    ),
    f(
        "country",
        "pays",
        "Country",
        &["pays", "country", "code_pays", "country_code"],
        ["FR", "France"],
    ),
    f(
        "notes",
        "notes",
        "Notes",
        NOTES_SYNONYMS,
        ["Rencontrée au salon Patrimonia", ""],
    ),
    f(
        "active",
        "actif",
        "Active",
        &["actif", "active", "actif_ve", "is_active"],
        ["oui", "oui"],
    ),
    f(
        "expected_amount",
        "montant_attendu",
        "Expected amount",
        &[
            "montant_attendu",
            "montant",
            "montant_prevu",
            "montant_potentiel",
            "expected_amount",
            "amount",
            "potentiel",
        ],
        ["2 500 000", "750 000,50"],
    ),
    f(
        "tags",
        "etiquettes",
        "Tags",
        &[
            "etiquettes",
            "etiquette",
            "tags",
            "tag",
            "mots_cles",
            "labels",
        ],
        ["institutionnel, Paris", "régional"],
    ),
    f(
        "owner_email",
        "proprietaire_email",
        "Owner email",
        &[
            "proprietaire_email",
            "proprietaire",
            "email_proprietaire",
            "responsable",
            "commercial",
            "owner",
            "owner_email",
            "charge_de_clientele",
        ],
        ["", ""],
    ),
];

const PERSON_FIELDS: &[FieldSpec] = &[
    f(
        "first_name",
        "prenom",
        "First name",
        &[
            "prenom",
            "first_name",
            "firstname",
            "given_name",
            "prenom_contact",
        ],
        ["Claire", "Jean"],
    ),
    FieldSpec {
        key: "last_name",
        fr: "nom",
        en: "Last name",
        synonyms: &[
            "nom",
            "nom_de_famille",
            "last_name",
            "lastname",
            "surname",
            "family_name",
            "nom_contact",
        ],
        required: true,
        examples: ["Martin", "Dupont"],
    },
    f(
        "email",
        "email_personnel",
        "Email",
        &[
            "email_personnel",
            "email",
            "e_mail",
            "courriel",
            "mail",
            "adresse_email",
            "adresse_mail",
            "personal_email",
            "email_address",
        ],
        [
            "claire.martin@lumiere-gestion.fr",
            "jean.dupont@crc-centre.fr",
        ],
    ),
    f(
        "phone",
        "telephone",
        "Phone",
        &[
            "telephone",
            "tel",
            "phone",
            "mobile",
            "portable",
            "telephone_portable",
            "telephone_personnel",
            "numero_de_telephone",
            "phone_number",
        ],
        ["+33 6 12 34 56 78", "06 98 76 54 32"],
    ),
    f(
        "job_title",
        "fonction",
        "Job title",
        &[
            "fonction",
            "poste",
            "titre",
            "job_title",
            "title",
            "intitule_de_poste",
            "position",
            "role",
        ],
        ["Directrice des investissements", "Responsable partenariats"],
    ),
    f(
        "organisation_name",
        "organisation_nom",
        "Organisation",
        &[
            "organisation_nom",
            "organisation",
            "nom_organisation",
            "nom_de_l_organisation",
            "societe",
            "entreprise",
            "company",
            "company_name",
            "organisation_name",
            "organization",
            "organization_name",
            "raison_sociale",
            "employeur",
            "employer",
        ],
        ["Banque Lumière Gestion", "Caisse Régionale du Centre"],
    ),
    f(
        "notes",
        "notes",
        "Notes",
        &[
            "notes",
            "note",
            "commentaire",
            "commentaires",
            "remarques",
            "comments",
        ],
        ["Préfère être contactée le matin", ""],
    ),
    f(
        "active",
        "actif",
        "Active",
        &["actif", "active", "is_active"],
        ["oui", "oui"],
    ),
    f(
        "tags",
        "etiquettes",
        "Tags",
        &[
            "etiquettes",
            "etiquette",
            "tags",
            "tag",
            "mots_cles",
            "labels",
        ],
        ["décideur", ""],
    ),
    f(
        "owner_email",
        "proprietaire_email",
        "Owner email",
        &[
            "proprietaire_email",
            "proprietaire",
            "email_proprietaire",
            "responsable",
            "commercial",
            "owner",
            "owner_email",
        ],
        ["", ""],
    ),
];

const PRODUCT_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "code",
        fr: "code",
        en: "Code",
        synonyms: &[
            "code",
            "isin",
            "code_isin",
            "code_produit",
            "reference",
            "ref",
            "product_code",
            "code_interne",
            "identifiant",
        ],
        required: true,
        examples: ["FR0010135103", "SCPI-PIERRE-1"],
    },
    FieldSpec {
        key: "name",
        fr: "nom",
        en: "Name",
        synonyms: &[
            "nom",
            "name",
            "libelle",
            "nom_produit",
            "nom_du_produit",
            "produit",
            "product",
            "product_name",
            "designation",
            "intitule",
        ],
        required: true,
        examples: ["Carmignac Patrimoine A EUR Acc", "Pierre Rendement"],
    },
    f(
        "category",
        "categorie",
        "Category",
        &[
            "categorie",
            "category",
            "categorie_produit",
            "famille",
            "type",
            "type_de_produit",
            "product_category",
        ],
        ["OPCVM", "SCPI"],
    ),
    f(
        "active",
        "actif",
        "Active",
        &["actif", "active", "is_active", "commercialise"],
        ["oui", "non"],
    ),
    f(
        "notes",
        "notes",
        "Notes",
        NOTES_SYNONYMS,
        ["Fonds patrimonial flexible", ""],
    ),
];

impl ImportKind {
    /// The fields of this kind, in template order.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Self::Organisations => ORG_FIELDS,
            Self::People => PERSON_FIELDS,
            Self::Products => PRODUCT_FIELDS,
        }
    }

    pub fn field(self, key: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|f| f.key == key)
    }

    /// Keys an import of this kind can upsert by.
    pub fn upsert_keys(self) -> &'static [UpsertKey] {
        match self {
            Self::Organisations | Self::People => {
                &[UpsertKey::None, UpsertKey::Name, UpsertKey::Email]
            }
            Self::Products => &[UpsertKey::None, UpsertKey::Code],
        }
    }

    /// The key chosen when the user has not chosen one.
    pub fn default_key(self) -> UpsertKey {
        match self {
            Self::Organisations => UpsertKey::Name,
            Self::People => UpsertKey::Email,
            Self::Products => UpsertKey::Code,
        }
    }

    /// The record type used in events (`organisation`, `person`, `product`).
    pub fn record_type(self) -> &'static str {
        match self {
            Self::Organisations => "organisation",
            Self::People => "person",
            Self::Products => "product",
        }
    }
}

/// A header as a comparable key: lower case, accents removed, runs of anything other than a
/// letter or a digit turned into one `_`. "Code postal" → `code_postal`, "E-mail" → `e_mail`,
/// "Nom de l'organisation" → `nom_de_l_organisation`.
pub fn normalise(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    let mut gap = false;
    for c in header.trim().chars().flat_map(char::to_lowercase) {
        let base: &str = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => "o",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'œ' => "oe",
            'æ' => "ae",
            _ => "",
        };
        if !base.is_empty() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push_str(base);
        } else if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c);
        } else {
            gap = true;
        }
    }
    out
}

/// The field each column maps to, guessed from its header. A field is given to the first
/// column that names it; unknown headers map to nothing (the column is ignored).
pub fn detect_mapping(kind: ImportKind, headers: &[String]) -> Vec<Option<&'static str>> {
    let mut used: Vec<&'static str> = Vec::new();
    headers
        .iter()
        .map(|h| {
            let n = normalise(h);
            let field = kind
                .fields()
                .iter()
                .find(|f| f.key == n || f.synonyms.contains(&n.as_str()))
                .map(|f| f.key)
                .filter(|k| !used.contains(k));
            if let Some(k) = field {
                used.push(k);
            }
            field
        })
        .collect()
}

/// A problem with a mapping: the column at fault (`None` for a missing required field).
pub type MappingError = (Option<usize>, ValueError);

/// Check a mapping chosen by a person (one entry per column, `None` to ignore the column):
/// known fields, none twice, the required ones present. Errors carry the column index
/// (`None` for a missing required field).
pub fn check_mapping(
    kind: ImportKind,
    mapping: &[Option<String>],
) -> Result<Vec<Option<&'static str>>, Vec<MappingError>> {
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(mapping.len());
    for (i, m) in mapping.iter().enumerate() {
        match m.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => out.push(None),
            Some(key) => match kind.field(key) {
                None => {
                    errors.push((
                        Some(i),
                        ValueError::new("unknown_field", format!("no field {key:?} to import")),
                    ));
                    out.push(None);
                }
                Some(spec) => {
                    if out.contains(&Some(spec.key)) {
                        errors.push((
                            Some(i),
                            ValueError::new(
                                "duplicate",
                                format!("{key:?} is mapped to more than one column"),
                            ),
                        ));
                    }
                    out.push(Some(spec.key));
                }
            },
        }
    }
    for spec in kind.fields().iter().filter(|f| f.required) {
        if !out.contains(&Some(spec.key)) {
            errors.push((
                None,
                ValueError::new(
                    "required",
                    format!("map a column to {:?} ({})", spec.key, spec.fr),
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// One invalid cell of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellError {
    /// Index of the column in the file, when the error is about one.
    pub column: Option<usize>,
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

/// The values an organisation row provides (`None`: the cell was empty or not mapped).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrgValues {
    pub name: Option<String>,
    pub org_type: Option<OrganisationType>,
    pub category: Option<Category>,
    pub pipeline_stage: Option<PipelineStage>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub notes: Option<String>,
    pub active: Option<bool>,
    pub expected_amount: Option<f64>,
    pub tags: Option<Vec<String>>,
    pub owner_email: Option<String>,
}

/// The values a person row provides.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PersonValues {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_title: Option<String>,
    pub organisation_name: Option<String>,
    pub notes: Option<String>,
    pub active: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub owner_email: Option<String>,
}

/// The values a product row provides.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductValues {
    /// Upper-cased; a code shaped like an ISIN is a valid ISIN.
    pub code: Option<String>,
    pub name: Option<String>,
    pub category: Option<Category>,
    pub active: Option<bool>,
    pub notes: Option<String>,
}

/// A validated row.
#[derive(Clone, Debug, PartialEq)]
pub enum RowValues {
    Organisation(OrgValues),
    Person(PersonValues),
    Product(ProductValues),
}

impl RowValues {
    /// The (field, value) pairs the row provides, as text, for previews.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        fn push<T: ToString>(
            out: &mut Vec<(&'static str, String)>,
            k: &'static str,
            v: &Option<T>,
        ) {
            if let Some(v) = v {
                out.push((k, v.to_string()));
            }
        }
        let mut out = Vec::new();
        match self {
            Self::Organisation(o) => {
                push(&mut out, "name", &o.name);
                push(&mut out, "type", &o.org_type.map(OrganisationType::code));
                push(&mut out, "category", &o.category.map(Category::code));
                push(
                    &mut out,
                    "pipeline_stage",
                    &o.pipeline_stage.map(PipelineStage::code),
                );
                push(&mut out, "email", &o.email);
                push(&mut out, "phone", &o.phone);
                push(&mut out, "website", &o.website);
                push(&mut out, "address", &o.address);
                push(&mut out, "city", &o.city);
                push(&mut out, "postcode", &o.postcode);
                push(&mut out, "country", &o.country);
                push(&mut out, "notes", &o.notes);
                push(&mut out, "active", &o.active);
                push(&mut out, "expected_amount", &o.expected_amount);
                push(&mut out, "tags", &o.tags.as_ref().map(|t| t.join(", ")));
                push(&mut out, "owner_email", &o.owner_email);
            }
            Self::Person(p) => {
                push(&mut out, "first_name", &p.first_name);
                push(&mut out, "last_name", &p.last_name);
                push(&mut out, "email", &p.email);
                push(&mut out, "phone", &p.phone);
                push(&mut out, "job_title", &p.job_title);
                push(&mut out, "organisation_name", &p.organisation_name);
                push(&mut out, "notes", &p.notes);
                push(&mut out, "active", &p.active);
                push(&mut out, "tags", &p.tags.as_ref().map(|t| t.join(", ")));
                push(&mut out, "owner_email", &p.owner_email);
            }
            Self::Product(p) => {
                push(&mut out, "code", &p.code);
                push(&mut out, "name", &p.name);
                push(&mut out, "category", &p.category.map(Category::code));
                push(&mut out, "active", &p.active);
                push(&mut out, "notes", &p.notes);
            }
        }
        out
    }
}

/// Parse one row: `mapping[i]` is the field of column `i`. Every invalid cell is reported.
pub fn parse_row(
    kind: ImportKind,
    mapping: &[Option<&'static str>],
    cells: &[String],
) -> Result<RowValues, Vec<CellError>> {
    let mut errors = Vec::new();
    let mut org = OrgValues::default();
    let mut person = PersonValues::default();
    let mut product = ProductValues::default();
    for (i, field) in mapping.iter().enumerate() {
        let Some(field) = *field else { continue };
        let raw = cells.get(i).map(|s| s.trim()).unwrap_or("");
        // A leading apostrophe protecting a formula-looking value (as exports write
        // "'+33 1 42…") is not part of the value.
        let raw = raw
            .strip_prefix('\'')
            .filter(|r| r.starts_with(['=', '+', '-', '@']))
            .unwrap_or(raw);
        if raw.is_empty() {
            continue;
        }
        let mut check = |r: Result<(), ValueError>| {
            if let Err(e) = r {
                errors.push(CellError {
                    column: Some(i),
                    field,
                    code: e.code,
                    message: e.message,
                });
            }
        };
        match kind {
            ImportKind::Organisations => check(set_org(&mut org, field, raw)),
            ImportKind::People => check(set_person(&mut person, field, raw)),
            ImportKind::Products => check(set_product(&mut product, field, raw)),
        }
    }
    let required: &[(&'static str, bool)] = match kind {
        ImportKind::Organisations => &[("name", org.name.is_some())],
        ImportKind::People => &[("last_name", person.last_name.is_some())],
        ImportKind::Products => &[
            ("code", product.code.is_some()),
            ("name", product.name.is_some()),
        ],
    };
    for &(field, present) in required {
        if !present && !errors.iter().any(|e| e.field == field) {
            errors.push(CellError {
                column: mapping.iter().position(|m| *m == Some(field)),
                field,
                code: "required",
                message: "must not be empty".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(match kind {
        ImportKind::Organisations => RowValues::Organisation(org),
        ImportKind::People => RowValues::Person(person),
        ImportKind::Products => RowValues::Product(product),
    })
}

fn email(raw: &str) -> Result<String, ValueError> {
    EmailAddress::parse(raw).map(|e| e.as_str().to_owned())
}

fn text(raw: &str, max: usize) -> Result<Option<String>, ValueError> {
    crm::optional_text(Some(raw), max)
}

fn set_org(o: &mut OrgValues, field: &str, raw: &str) -> Result<(), ValueError> {
    match field {
        "name" => o.name = Some(PersonName::parse(raw)?.as_str().to_owned()),
        "type" => o.org_type = Some(parse_type(raw)?),
        "category" => o.category = Some(parse_category(raw)?),
        "pipeline_stage" => o.pipeline_stage = Some(parse_stage(raw)?),
        "email" => o.email = Some(email(raw)?),
        "phone" => o.phone = Some(crm::parse_phone(raw)?),
        "website" => o.website = Some(crm::parse_website(raw)?),
        "address" => o.address = text(raw, 500)?,
        "city" => o.city = text(raw, 120)?,
        "postcode" => o.postcode = text(raw, 20)?,
        "country" => o.country = Some(parse_country(raw)?),
        "notes" => o.notes = text(raw, 20_000)?,
        "active" => o.active = Some(parse_bool(raw)?),
        "expected_amount" => o.expected_amount = Some(parse_amount(raw)?),
        "tags" => o.tags = Some(parse_tag_list(raw)?),
        "owner_email" => o.owner_email = Some(email(raw)?),
        _ => {}
    }
    Ok(())
}

fn set_person(p: &mut PersonValues, field: &str, raw: &str) -> Result<(), ValueError> {
    match field {
        "first_name" => p.first_name = people::parse_first_name(Some(raw))?,
        "last_name" => p.last_name = Some(people::parse_last_name(raw)?),
        "email" => p.email = Some(email(raw)?),
        "phone" => p.phone = Some(crm::parse_phone(raw)?),
        "job_title" => p.job_title = text(raw, people::TITLE_MAX_CHARS)?,
        "organisation_name" => {
            p.organisation_name = Some(PersonName::parse(raw)?.as_str().to_owned())
        }
        "notes" => p.notes = text(raw, 20_000)?,
        "active" => p.active = Some(parse_bool(raw)?),
        "tags" => p.tags = Some(parse_tag_list(raw)?),
        "owner_email" => p.owner_email = Some(email(raw)?),
        _ => {}
    }
    Ok(())
}

fn set_product(p: &mut ProductValues, field: &str, raw: &str) -> Result<(), ValueError> {
    match field {
        "code" => p.code = Some(ProductCode::parse(raw)?.as_str().to_owned()),
        "name" => p.name = Some(PersonName::parse(raw)?.as_str().to_owned()),
        "category" => p.category = Some(parse_category(raw)?),
        "active" => p.active = Some(parse_bool(raw)?),
        "notes" => p.notes = text(raw, 20_000)?,
        _ => {}
    }
    Ok(())
}

fn choice<T: Copy>(raw: &str, table: &[(&[&str], T)], what: &str) -> Result<T, ValueError> {
    let n = normalise(raw);
    table
        .iter()
        .find(|(names, _)| names.contains(&n.as_str()))
        .map(|(_, v)| *v)
        .ok_or_else(|| ValueError::new("invalid_choice", format!("unknown {what} {raw:?}")))
}

/// `investor`, `Investisseur`, `fournisseur`… (French or English, any case, with or without
/// accents).
pub fn parse_type(raw: &str) -> Result<OrganisationType, ValueError> {
    use OrganisationType::*;
    choice(
        raw,
        &[
            (&["investor", "investisseur", "investisseurs"], Investor),
            (&["supplier", "fournisseur", "fournisseurs"], Supplier),
            (
                &["distributor", "distributeur", "distributeurs"],
                Distributor,
            ),
            (&["issuer", "emetteur", "emetteurs"], Issuer),
        ],
        "type",
    )
}

pub fn parse_category(raw: &str) -> Result<Category, ValueError> {
    use Category::*;
    choice(
        raw,
        &[
            (&["opcvm", "ucits"], Opcvm),
            (&["etf", "tracker"], Etf),
            (&["scpi"], Scpi),
            (&["sci"], Sci),
            (
                &["life_insurance", "assurance_vie", "assurancevie"],
                LifeInsurance,
            ),
            (
                &["private_equity", "capital_investissement", "pe"],
                PrivateEquity,
            ),
            (&["other", "autre", "autres"], Other),
        ],
        "category",
    )
}

pub fn parse_stage(raw: &str) -> Result<PipelineStage, ValueError> {
    use PipelineStage::*;
    choice(
        raw,
        &[
            (&["prospect", "prospection"], Prospect),
            (&["qualification", "qualifie", "qualified"], Qualification),
            (&["proposition", "proposal", "offre"], Proposition),
            (&["signed", "signe", "gagne", "won"], Signed),
            (&["lost", "perdu"], Lost),
        ],
        "pipeline stage",
    )
}

/// `oui`/`non`, `yes`/`no`, `vrai`/`faux`, `true`/`false`, `1`/`0`, `x`, `actif`/`inactif`.
pub fn parse_bool(raw: &str) -> Result<bool, ValueError> {
    choice(
        raw,
        &[
            (
                &[
                    "oui", "yes", "vrai", "true", "1", "x", "o", "y", "actif", "active",
                ],
                true,
            ),
            (
                &[
                    "non", "no", "faux", "false", "0", "n", "inactif", "inactive",
                ],
                false,
            ),
        ],
        "yes/no value",
    )
}

/// An amount as typed in France or elsewhere: `2 500 000`, `2.500.000,50`, `750000.5`,
/// `1,250.00`, with or without `€`/`EUR`.
pub fn parse_amount(raw: &str) -> Result<f64, ValueError> {
    let invalid = || ValueError::new("invalid_amount", format!("not an amount: {raw:?}"));
    let mut s: String = raw
        .trim()
        .trim_end_matches("EUR")
        .trim_end_matches("eur")
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '€' | '\''))
        .collect();
    let commas = s.matches(',').count();
    let dots = s.matches('.').count();
    match (commas, dots) {
        (0, 0) => {}
        (_, 0) if commas == 1 && s.rsplit(',').next().is_some_and(|d| d.len() <= 2) => {
            s = s.replace(',', ".");
        }
        (_, 0) => s = s.replace(',', ""),
        (0, d) if d > 1 => s = s.replace('.', ""),
        (0, _) => {}
        _ => {
            let last_comma = s.rfind(',').unwrap_or(0);
            let last_dot = s.rfind('.').unwrap_or(0);
            s = if last_comma > last_dot {
                s.replace('.', "").replace(',', ".")
            } else {
                s.replace(',', "")
            };
        }
    }
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Err(invalid());
    }
    let v: f64 = s.parse().map_err(|_| invalid())?;
    crm::check_amount(v)
}

/// A country as a two-letter code or a common French or English name.
pub fn parse_country(raw: &str) -> Result<String, ValueError> {
    const NAMES: &[(&[&str], &str)] = &[
        (&["france"], "FR"),
        (&["belgique", "belgium"], "BE"),
        (&["suisse", "switzerland"], "CH"),
        (&["luxembourg"], "LU"),
        (&["monaco"], "MC"),
        (&["allemagne", "germany"], "DE"),
        (&["espagne", "spain"], "ES"),
        (&["italie", "italy"], "IT"),
        (&["portugal"], "PT"),
        (&["pays_bas", "netherlands", "hollande"], "NL"),
        (&["royaume_uni", "united_kingdom", "uk", "angleterre"], "GB"),
        (&["irlande", "ireland"], "IE"),
        (&["etats_unis", "united_states", "usa"], "US"),
        (&["canada"], "CA"),
        (&["autriche", "austria"], "AT"),
    ];
    if raw.trim().chars().count() == 2 {
        return crm::parse_country(raw);
    }
    let n = normalise(raw);
    NAMES
        .iter()
        .find(|(names, _)| names.contains(&n.as_str()))
        .map(|(_, code)| (*code).to_owned())
        .ok_or_else(|| {
            ValueError::new(
                "invalid_country",
                "a two-letter ISO country code such as FR (or a country name)",
            )
        })
}

/// Tags separated by `,` `;` or `|`.
pub fn parse_tag_list(raw: &str) -> Result<Vec<String>, ValueError> {
    let parts: Vec<String> = raw
        .split([',', ';', '|'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    crm::parse_tags(&parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn normalises_headers() {
        assert_eq!(normalise("Code postal"), "code_postal");
        assert_eq!(normalise(" E-mail "), "e_mail");
        assert_eq!(normalise("Nom de l'organisation"), "nom_de_l_organisation");
        assert_eq!(normalise("Téléphone"), "telephone");
        assert_eq!(normalise("ÉTAPE (pipeline)"), "etape_pipeline");
        assert_eq!(normalise("Prénom"), "prenom");
    }

    #[test]
    fn products_map_and_parse_by_code() {
        let fr = detect_mapping(
            ImportKind::Products,
            &headers(&["Code ISIN", "Libellé", "Catégorie", "Actif", "Commentaire"]),
        );
        assert_eq!(
            fr,
            [
                Some("code"),
                Some("name"),
                Some("category"),
                Some("active"),
                Some("notes")
            ]
        );
        let en = detect_mapping(
            ImportKind::Products,
            &headers(&["Product code", "Product name", "Category"]),
        );
        assert_eq!(en, [Some("code"), Some("name"), Some("category")]);
        assert_eq!(ImportKind::Products.default_key(), UpsertKey::Code);
        assert!(
            !ImportKind::Products
                .upsert_keys()
                .contains(&UpsertKey::Email)
        );
        assert!(
            !ImportKind::Organisations
                .upsert_keys()
                .contains(&UpsertKey::Code)
        );
        let mapping = [Some("code"), Some("name"), Some("category")];
        let row = |cells: &[&str]| parse_row(ImportKind::Products, &mapping, &headers(cells));
        assert_eq!(
            row(&["fr0010135103", "Carmignac", "OPCVM"]),
            Ok(RowValues::Product(ProductValues {
                code: Some("FR0010135103".into()),
                name: Some("Carmignac".into()),
                category: Some(Category::Opcvm),
                ..ProductValues::default()
            }))
        );
        let errs = row(&["FR0010135104", "", "bogus"]).unwrap_err();
        let codes: Vec<(&str, &str)> = errs.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            codes,
            [
                ("code", "invalid_isin"),
                ("category", "invalid_choice"),
                ("name", "required")
            ]
        );
    }

    #[test]
    fn detects_french_and_english_mappings() {
        let fr = detect_mapping(
            ImportKind::Organisations,
            &headers(&[
                "Nom",
                "Ville",
                "Code postal",
                "Téléphone",
                "Catégorie",
                "Divers",
                "Montant",
            ]),
        );
        assert_eq!(
            fr,
            vec![
                Some("name"),
                Some("city"),
                Some("postcode"),
                Some("phone"),
                Some("category"),
                None,
                Some("expected_amount")
            ]
        );
        let en = detect_mapping(
            ImportKind::Organisations,
            &headers(&["Name", "City", "Zip code", "Phone", "Website", "Country"]),
        );
        assert_eq!(
            en,
            vec![
                Some("name"),
                Some("city"),
                Some("postcode"),
                Some("phone"),
                Some("website"),
                Some("country")
            ]
        );
        let people = detect_mapping(
            ImportKind::People,
            &headers(&[
                "prenom",
                "nom",
                "email_personnel",
                "telephone",
                "organisation_nom",
                "Nom",
            ]),
        );
        assert_eq!(
            people,
            vec![
                Some("first_name"),
                Some("last_name"),
                Some("email"),
                Some("phone"),
                Some("organisation_name"),
                None
            ],
            "a field goes to the first column naming it"
        );
        let en = detect_mapping(
            ImportKind::People,
            &headers(&["First name", "Last name", "E-mail", "Company", "Job title"]),
        );
        assert_eq!(
            en,
            vec![
                Some("first_name"),
                Some("last_name"),
                Some("email"),
                Some("organisation_name"),
                Some("job_title")
            ]
        );
    }

    #[test]
    fn checks_chosen_mappings() {
        let ok = check_mapping(
            ImportKind::Organisations,
            &[Some("name".into()), None, Some("city".into())],
        )
        .unwrap();
        assert_eq!(ok, vec![Some("name"), None, Some("city")]);
        let errs = check_mapping(
            ImportKind::Organisations,
            &[
                Some("city".into()),
                Some("city".into()),
                Some("password".into()),
            ],
        )
        .unwrap_err();
        let codes: Vec<_> = errs.iter().map(|(i, e)| (*i, e.code)).collect();
        assert_eq!(
            codes,
            vec![
                (Some(1), "duplicate"),
                (Some(2), "unknown_field"),
                (None, "required")
            ]
        );
    }

    #[test]
    fn parses_french_cells() {
        assert_eq!(parse_amount("2 500 000").unwrap(), 2_500_000.0);
        assert_eq!(parse_amount("750 000,50 €").unwrap(), 750_000.5);
        assert_eq!(parse_amount("2.500.000,25").unwrap(), 2_500_000.25);
        assert_eq!(parse_amount("1,250.00").unwrap(), 1250.0);
        assert_eq!(parse_amount("1,000,000").unwrap(), 1_000_000.0);
        assert_eq!(parse_amount("12.5").unwrap(), 12.5);
        assert!(parse_amount("beaucoup").is_err());
        assert!(parse_amount("-5").is_err());
        assert_eq!(
            parse_type("Investisseur").unwrap(),
            OrganisationType::Investor
        );
        assert_eq!(parse_type("ÉMETTEUR").unwrap(), OrganisationType::Issuer);
        assert_eq!(
            parse_category("Assurance vie").unwrap(),
            Category::LifeInsurance
        );
        assert_eq!(parse_stage("Signé").unwrap(), PipelineStage::Signed);
        assert!(parse_bool("Oui").unwrap());
        assert!(!parse_bool("non").unwrap());
        assert!(parse_bool("peut-être").is_err());
        assert_eq!(parse_country("France").unwrap(), "FR");
        assert_eq!(parse_country("be").unwrap(), "BE");
        assert!(parse_country("Atlantide").is_err());
        assert_eq!(parse_tag_list("a, b; a |c").unwrap(), vec!["a", "b", "c"]);
    }

    #[test]
    fn parses_rows_and_reports_every_bad_cell() {
        let mapping = [Some("name"), Some("email"), Some("expected_amount"), None];
        let row = |cells: &[&str]| {
            parse_row(
                ImportKind::Organisations,
                &mapping,
                &cells.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
            )
        };
        let ok = row(&["  Azur ", "", "10", "ignored"]).unwrap();
        let quoted = parse_row(
            ImportKind::People,
            &[Some("last_name"), Some("phone")],
            &["Martin".into(), "'+33 6 12 34 56 78".into()],
        )
        .unwrap();
        assert_eq!(quoted.pairs()[1], ("phone", "+33 6 12 34 56 78".into()));
        assert_eq!(
            ok,
            RowValues::Organisation(OrgValues {
                name: Some("Azur".into()),
                expected_amount: Some(10.0),
                ..Default::default()
            })
        );
        let errs = row(&["", "not-an-email", "abc"]).unwrap_err();
        let codes: Vec<_> = errs.iter().map(|e| (e.column, e.field, e.code)).collect();
        assert_eq!(
            codes,
            vec![
                (Some(1), "email", "invalid_email"),
                (Some(2), "expected_amount", "invalid_amount"),
                (Some(0), "name", "required"),
            ]
        );
        let p = parse_row(
            ImportKind::People,
            &[Some("last_name"), Some("organisation_name")],
            &["Martin".into(), "Azur".into()],
        )
        .unwrap();
        assert_eq!(
            p.pairs(),
            vec![
                ("last_name", "Martin".into()),
                ("organisation_name", "Azur".into())
            ]
        );
    }
}
