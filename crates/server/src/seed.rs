//! `relais seed-demo`: a realistic French firm to explore Relais with — teams, users,
//! organisations of every type across the pipeline. Deterministic (same data every time) and
//! idempotent (does nothing when the tenant already has organisations). Writes go through the
//! store's query functions, so every record also gets its `*.created` event.

use anyhow::Context;
use relais_api::routes;
use relais_domain::{
    TenantId,
    crm::{Category, OrganisationType, PipelineStage},
};
use relais_store::{
    Db, TenantTx,
    events::{self, ActorRef},
    interactions::{self, InteractionFields},
    mandates::{self, MandateFields},
    organisations::{self, OrgFields},
    people::{self, PersonFields},
    products::{self, ProductFields},
    roles::Role,
    tasks::{self, TaskFields},
    teams::Team,
    tenants::Tenant,
    users::{NewUser, User},
};
use uuid::Uuid;

/// A small deterministic generator (xorshift64*), so the demo is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const PREFIXES: &[&str] = &[
    "Banque",
    "Gestion",
    "Patrimoine",
    "Capital",
    "Conseil",
    "Finance",
    "Assurances",
    "Partenaires",
    "Investissements",
    "Épargne",
];
const ROOTS: &[&str] = &[
    "Lumière",
    "Horizon",
    "Saint-Honoré",
    "Rivoli",
    "Garonne",
    "Vauban",
    "Mistral",
    "Azur",
    "Bellecour",
    "Haussmann",
    "Loire",
    "Océane",
    "Alpes",
    "Provence",
    "Étoile",
    "Concorde",
    "Montaigne",
    "Cévennes",
    "Armor",
    "Vendôme",
];
const SUFFIXES: &[&str] = &[
    "SA",
    "SAS",
    "& Associés",
    "Privée",
    "Gestion",
    "Partners",
    "AM",
    "Conseil",
];
const CITIES: &[(&str, &str)] = &[
    ("Paris", "75008"),
    ("Lyon", "69002"),
    ("Marseille", "13001"),
    ("Bordeaux", "33000"),
    ("Lille", "59000"),
    ("Nantes", "44000"),
    ("Toulouse", "31000"),
    ("Strasbourg", "67000"),
    ("Nice", "06000"),
    ("Rennes", "35000"),
];
const STREETS: &[&str] = &[
    "rue de la Paix",
    "avenue des Champs-Élysées",
    "boulevard Haussmann",
    "quai des Chartrons",
    "place Bellecour",
    "rue Sainte-Catherine",
    "cours Mirabeau",
    "rue Nationale",
];
const NOTES: &[&str] = &[
    "Rencontré au salon Patrimonia, intéressé par les SCPI de rendement.",
    "Souhaite diversifier son allocation vers le private equity.",
    "Comité d'investissement trimestriel ; relancer avant la fin du mois.",
    "Partenaire historique, renouvellement de la convention de distribution en cours.",
    "Demande de documentation sur les fonds ETF ESG.",
    "Contact recommandé par le cabinet de Lyon.",
];
const TAGS: &[&str] = &[
    "VIP",
    "ESG",
    "Patrimonia",
    "Relance",
    "Grand compte",
    "Nouveau",
];
const FIRST: &[&str] = &[
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Julie", "Claire", "Sophie", "Hugo", "Louis",
    "Lucas", "Jules", "Arthur", "Thomas", "Nicolas", "Antoine",
];
const LAST: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Moreau", "Laurent", "Simon", "Michel",
    "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry",
];

/// Password given to every demo user besides the administrator.
pub const DEMO_USER_PASSWORD: &str = "demo-relais-2026";

fn ascii_slug(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
            'à' | 'â' => 'a',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Seed the tenant `slug`. Returns the number of organisations created (0 if already seeded).
pub async fn seed_demo(db: &Db, slug: &str, password_hash: &str) -> anyhow::Result<usize> {
    let ptx = db.platform_tx().await?;
    let tenant = Tenant::find_by_slug(&*ptx, slug)
        .await?
        .with_context(|| format!("no tenant {slug:?}: create it first (relais tenant create)"))?;
    ptx.commit().await?;
    let t = tenant.id;
    let tx = db.tenant_tx(TenantId(t)).await?;
    let existing = organisations::count(
        &*tx,
        t,
        organisations::Visibility::All,
        &organisations::OrgFilter::default(),
    )
    .await?;
    if existing > 0 {
        return Ok(0);
    }
    let mut rng = Rng(0x5EED_DE4E_1A15);

    // Teams and people of the firm.
    let mut roles = Vec::new();
    for key in ["manager", "user", "viewer"] {
        roles.push(
            Role::find_by_key(&*tx, t, key)
                .await?
                .with_context(|| format!("built-in role {key} missing"))?,
        );
    }
    let (manager, user, viewer) = (&roles[0], &roles[1], &roles[2]);
    let mut owners: Vec<Uuid> = Vec::new();
    for (i, team_name) in ["Paris", "Lyon", "Bordeaux"].iter().enumerate() {
        let team = Team::insert(
            &*tx,
            t,
            team_name,
            &format!("Équipe commerciale de {team_name}"),
        )
        .await?;
        for (j, role) in [manager, user, user].into_iter().enumerate() {
            let first = FIRST[(i * 3 + j) % FIRST.len()];
            let last = LAST[(i * 5 + j * 3) % LAST.len()];
            let email = format!(
                "{}.{}@{}.relais.test",
                ascii_slug(first),
                ascii_slug(last),
                slug
            );
            if User::find_by_email(&*tx, t, &email).await?.is_some() {
                continue;
            }
            let u = User::insert(
                &*tx,
                t,
                &NewUser {
                    email: &email,
                    full_name: &format!("{first} {last}"),
                    password_hash,
                    role_id: role.id,
                    team_id: Some(team.id),
                    locale: "fr",
                    must_change_password: false,
                },
            )
            .await?;
            owners.push(u.id);
        }
    }
    let lecteur = format!("lecteur@{slug}.relais.test");
    if User::find_by_email(&*tx, t, &lecteur).await?.is_none() {
        User::insert(
            &*tx,
            t,
            &NewUser {
                email: &lecteur,
                full_name: "Lecture Seule",
                password_hash,
                role_id: viewer.id,
                team_id: None,
                locale: "fr",
                must_change_password: false,
            },
        )
        .await?;
    }

    // Organisations: every type, category and stage.
    let mut orgs = Vec::new();
    let types = OrganisationType::ALL;
    let categories = Category::ALL;
    let stages = PipelineStage::ALL;
    let mut created = 0;
    for i in 0..200 {
        let name = format!(
            "{} {} {}",
            rng.pick(PREFIXES),
            rng.pick(ROOTS),
            rng.pick(SUFFIXES)
        );
        let name = if i >= 100 {
            format!("{name} {}", i - 99)
        } else {
            name
        };
        let (city, postcode) = *rng.pick(CITIES);
        let tag_count = rng.below(3);
        let mut tags: Vec<String> = (0..tag_count)
            .map(|_| (*rng.pick(TAGS)).to_owned())
            .collect();
        tags.dedup();
        let domain = ascii_slug(&name);
        let fields = OrgFields {
            name: name.clone(),
            org_type: types[i % types.len()].code().into(),
            category: Some(categories[rng.below(categories.len())].code().into()),
            pipeline_stage: stages[rng.below(stages.len())].code().into(),
            email: Some(format!("contact@{domain}.fr")),
            phone: Some(format!(
                "+33 1 {:02} {:02} {:02} {:02}",
                rng.below(100),
                rng.below(100),
                rng.below(100),
                rng.below(100)
            )),
            website: Some(format!("https://www.{domain}.fr")),
            address: Some(format!("{} {}", 1 + rng.below(120), rng.pick(STREETS))),
            city: Some(city.into()),
            postcode: Some(postcode.into()),
            country: Some("FR".into()),
            notes: Some((*rng.pick(NOTES)).into()),
            owner_id: Some(*rng.pick(&owners)),
            active: rng.below(10) != 0,
            expected_amount: Some((rng.below(500) as f64) * 10_000.0),
            tags,
        };
        let org = organisations::insert(&*tx, t, &fields, None).await?;
        let record = serde_json::to_value(routes::organisations::out(org.clone()))?;
        created_event(&tx, t, "organisation", org.id, &record).await?;
        created += 1;
        orgs.push(org);
    }
    seed_people_and_activity(&tx, t, &mut rng, &orgs, &owners).await?;
    tx.commit().await?;
    Ok(created)
}

async fn created_event(
    tx: &TenantTx,
    tenant: Uuid,
    record_type: &str,
    id: Uuid,
    record: &serde_json::Value,
) -> anyhow::Result<()> {
    let system = ActorRef {
        kind: "system",
        id: None,
    };
    let ty = format!("{record_type}.created");
    events::record(
        &**tx,
        tenant,
        &ty,
        record_type,
        id,
        system,
        None,
        Some(record),
    )
    .await?;
    Ok(())
}

const JOBS: &[&str] = &[
    "Directeur financier",
    "Gérant de portefeuille",
    "Responsable des partenariats",
    "Conseiller en gestion de patrimoine",
    "Directrice générale",
    "Analyste",
    "Responsable conformité",
    "Chargée d'affaires",
];
const PRODUCTS: &[(&str, &str, &str)] = &[
    ("Azur Rendement SCPI", "SCPI-AZUR", "scpi"),
    ("Horizon Actions Europe", "FR0010135103", "opcvm"),
    ("Étoile Obligations 2030", "OBL-ETOILE-2030", "opcvm"),
    ("Tracker CAC 40", "FR0007052782", "etf"),
    ("Vauban Private Equity III", "PE-VAUBAN-3", "private_equity"),
    ("Assurance Vie Sérénité", "AV-SERENITE", "life_insurance"),
    ("Garonne Immobilier SCI", "SCI-GARONNE", "sci"),
    ("Mistral Monde ESG", "ESG-MISTRAL", "opcvm"),
];
const SUMMARIES: &[(&str, &str)] = &[
    (
        "call",
        "Appel de suivi : intéressé par une présentation détaillée.",
    ),
    (
        "meeting",
        "Rendez-vous au bureau : revue de l'allocation et des frais.",
    ),
    (
        "email",
        "Envoi de la documentation réglementaire (DIC, prospectus).",
    ),
    (
        "note",
        "Le comité d'investissement se réunit le mois prochain.",
    ),
    ("call", "Relance téléphonique, rappeler après les congés."),
];
const TASKS: &[&str] = &[
    "Envoyer la proposition commerciale",
    "Relancer pour la signature du mandat",
    "Préparer le rendez-vous annuel",
    "Mettre à jour la fiche KYC",
    "Transmettre le reporting trimestriel",
];

/// 500 people linked to the organisations, the product range, mandates for the organisations
/// in proposition or signed, and a history of interactions and tasks.
async fn seed_people_and_activity(
    tx: &TenantTx,
    t: Uuid,
    rng: &mut Rng,
    orgs: &[organisations::Organisation],
    owners: &[Uuid],
) -> anyhow::Result<()> {
    let mut people_ids = Vec::new();
    for i in 0..500 {
        let org = &orgs[i % orgs.len()];
        let (first, last) = (*rng.pick(FIRST), *rng.pick(LAST));
        let fields = PersonFields {
            first_name: Some(first.into()),
            last_name: last.into(),
            email: Some(format!(
                "{}.{}{}@{}.fr",
                ascii_slug(first),
                ascii_slug(last),
                i,
                ascii_slug(&org.name)
            )),
            phone: Some(format!(
                "+33 6 {:02} {:02} {:02} {:02}",
                rng.below(100),
                rng.below(100),
                rng.below(100),
                rng.below(100)
            )),
            job_title: Some((*rng.pick(JOBS)).into()),
            notes: None,
            owner_id: org.owner_id,
            active: true,
            tags: Vec::new(),
        };
        let person = people::insert(&**tx, t, &fields).await?;
        people::insert_link(
            &**tx,
            t,
            person.id,
            org.id,
            fields.job_title.as_deref(),
            true,
        )
        .await?;
        let record = serde_json::to_value(routes::people::out(person.clone()))?;
        created_event(tx, t, "person", person.id, &record).await?;
        people_ids.push((person.id, org.id, org.owner_id));
    }
    let mut product_ids = Vec::new();
    for (name, code, category) in PRODUCTS {
        let p = products::insert(
            &**tx,
            t,
            &ProductFields {
                name: (*name).into(),
                code: (*code).into(),
                category: Some((*category).into()),
                active: true,
                notes: None,
            },
        )
        .await?;
        let record = serde_json::to_value(routes::products::out(p.clone()))?;
        created_event(tx, t, "product", p.id, &record).await?;
        product_ids.push(p.id);
    }
    for org in orgs
        .iter()
        .filter(|o| matches!(o.pipeline_stage.as_str(), "signed" | "proposition"))
    {
        let signed = org.pipeline_stage == "signed";
        let fields = MandateFields {
            number: mandates::next_number(&**tx, t).await?,
            organisation_id: org.id,
            status: if signed { "active" } else { "proposed" }.into(),
            signed_at: signed.then(chrono::Utc::now),
            start_date: signed.then(|| chrono::Utc::now().date_naive()),
            end_date: None,
            amount: Some((1 + rng.below(200)) as f64 * 25_000.0),
            owner_id: org.owner_id,
            notes: None,
        };
        let m = mandates::insert(&**tx, t, &fields).await?;
        let covered: std::collections::BTreeSet<Uuid> = (0..1 + rng.below(3))
            .map(|_| *rng.pick(&product_ids))
            .collect();
        let covered: Vec<Uuid> = covered.into_iter().collect();
        let m = mandates::set_products(&**tx, t, m.id, &covered).await?;
        let record = serde_json::to_value(routes::mandates::out(m.clone()))?;
        created_event(tx, t, "mandate", m.id, &record).await?;
    }
    let now = chrono::Utc::now();
    let mut touched_orgs = Vec::new();
    let mut touched_people = Vec::new();
    for i in 0..400 {
        let (person, org, owner) = people_ids[rng.below(people_ids.len())];
        let (kind, summary) = *rng.pick(SUMMARIES);
        let fields = InteractionFields {
            kind: kind.into(),
            occurred_at: Some(
                now - chrono::Duration::days(rng.below(120) as i64) - chrono::Duration::minutes(i),
            ),
            author_id: owner.unwrap_or(owners[0]),
            summary: summary.into(),
            organisation_id: Some(org),
            person_id: Some(person),
        };
        let it = interactions::insert(&**tx, t, &fields).await?;
        let record = serde_json::to_value(routes::interactions::out(it.clone()))?;
        created_event(tx, t, "interaction", it.id, &record).await?;
        touched_orgs.push(org);
        touched_people.push(person);
    }
    touched_orgs.sort();
    touched_orgs.dedup();
    touched_people.sort();
    touched_people.dedup();
    interactions::refresh_last_contact(&**tx, t, &touched_orgs, &touched_people).await?;
    for i in 0..150 {
        let org = &orgs[rng.below(orgs.len())];
        let status = ["todo", "todo", "in_progress", "done"][rng.below(4)];
        let fields = TaskFields {
            title: (*rng.pick(TASKS)).into(),
            description: Some(org.name.clone()),
            due_at: Some(
                now + chrono::Duration::days(rng.below(40) as i64 - 10)
                    + chrono::Duration::minutes(i),
            ),
            priority: ["low", "normal", "normal", "high", "urgent"][rng.below(5)].into(),
            status: status.into(),
            assignee_id: org.owner_id,
            record_type: Some("organisation".into()),
            record_id: Some(org.id),
        };
        let task = tasks::insert(&**tx, t, &fields, org.owner_id).await?;
        let record = serde_json::to_value(routes::tasks::out(task.clone()))?;
        created_event(tx, t, "task", task.id, &record).await?;
    }
    Ok(())
}
