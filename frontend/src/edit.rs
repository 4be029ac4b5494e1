//! What the edit forms send: the body of a `PATCH` built from the record as loaded and the
//! form as filled in (only the fields that changed, a cleared field as `null`), the statuses a
//! mandate may move to, and the conversion between `<input type="datetime-local">` values and
//! UTC instants.
//!
//! The bodies are built by hand rather than by serialising the wire `…Patch` structs: those
//! write every untouched optional field, and the server would then clear or re-validate it.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use relais_domain::mandates::MandateStatus;
use relais_types::{
    InteractionIn, InteractionOut, MandateIn, MandateOut, PersonIn, PersonOut, ProductIn,
    ProductOut, TaskIn, TaskOut,
};
use serde::Serialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// A patch body under construction.
#[derive(Default)]
struct Diff(Map<String, Value>);

impl Diff {
    /// Adds `field` when the value differs from the one loaded.
    fn put<T: PartialEq + Serialize>(&mut self, field: &str, before: &T, after: &T) {
        if before != after {
            self.0.insert(field.to_owned(), json!(after));
        }
    }

    /// Like [`Diff::put`] for a field the form always fills in (`None` means "unchanged").
    fn put_some<T: PartialEq + Serialize>(&mut self, field: &str, before: &T, after: &Option<T>) {
        if let Some(after) = after {
            self.put(field, before, after);
        }
    }
}

/// `PATCH /mandates/{id}`. The covered products go through their own call
/// (`PUT /mandates/{id}/products`), see [`products_changed`].
pub fn mandate_patch(before: &MandateOut, after: &MandateIn) -> Map<String, Value> {
    let mut d = Diff::default();
    if let Some(n) = &after.number {
        d.put("number", &before.number, n);
    }
    d.put(
        "organisation_id",
        &before.organisation_id,
        &after.organisation_id,
    );
    d.put_some("status", &before.status, &after.status);
    d.put("start_date", &before.start_date, &after.start_date);
    d.put("end_date", &before.end_date, &after.end_date);
    d.put("amount", &before.amount, &after.amount);
    d.put("notes", &before.notes, &after.notes);
    d.0
}

/// Whether the form's set of covered products differs from the mandate's (order aside).
pub fn products_changed(before: &[Uuid], after: &[Uuid]) -> bool {
    let mut a = before.to_vec();
    let mut b = after.to_vec();
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    a != b
}

/// The statuses a mandate form offers: any to start with; afterwards the current one and
/// those the flow allows from it (the server refuses the others).
pub fn mandate_status_choices(current: Option<MandateStatus>) -> Vec<MandateStatus> {
    match current {
        None => MandateStatus::ALL.to_vec(),
        Some(s) => {
            let mut out = vec![s];
            out.extend(s.next());
            // Funnel order, whatever the order of `next()`.
            out.sort_by_key(|x| MandateStatus::ALL.iter().position(|y| y == x));
            out
        }
    }
}

pub fn product_patch(before: &ProductOut, after: &ProductIn) -> Map<String, Value> {
    let mut d = Diff::default();
    d.put("name", &before.name, &after.name);
    // The server upper-cases codes; typing the same code in lower case is no change.
    if before.code != after.code.to_uppercase() {
        d.0.insert("code".into(), json!(after.code));
    }
    d.put("category", &before.category, &after.category);
    d.put_some("active", &before.active, &after.active);
    d.put("notes", &before.notes, &after.notes);
    d.0
}

pub fn task_patch(before: &TaskOut, after: &TaskIn) -> Map<String, Value> {
    let mut d = Diff::default();
    d.put("title", &before.title, &after.title);
    d.put("description", &before.description, &after.description);
    d.put("due_at", &before.due_at, &after.due_at);
    d.put_some("priority", &before.priority, &after.priority);
    d.put_some("status", &before.status, &after.status);
    d.put("assignee_id", &before.assignee_id, &after.assignee_id);
    // The link is one thing: both halves go together, or the server refuses a half.
    if before.record_type != after.record_type || before.record_id != after.record_id {
        d.0.insert("record_type".into(), json!(after.record_type));
        d.0.insert("record_id".into(), json!(after.record_id));
    }
    d.0
}

pub fn interaction_patch(before: &InteractionOut, after: &InteractionIn) -> Map<String, Value> {
    let mut d = Diff::default();
    d.put("kind", &before.kind, &after.kind);
    d.put("summary", &before.summary, &after.summary);
    d.put_some("occurred_at", &before.occurred_at, &after.occurred_at);
    d.put(
        "organisation_id",
        &before.organisation_id,
        &after.organisation_id,
    );
    d.put("person_id", &before.person_id, &after.person_id);
    d.0
}

pub fn person_patch(before: &PersonOut, after: &PersonIn) -> Map<String, Value> {
    let mut d = Diff::default();
    d.put("first_name", &before.first_name, &after.first_name);
    d.put("last_name", &before.last_name, &after.last_name);
    d.put("email", &before.email, &after.email);
    d.put("phone", &before.phone, &after.phone);
    d.put("job_title", &before.job_title, &after.job_title);
    d.put("notes", &before.notes, &after.notes);
    d.put_some("active", &before.active, &after.active);
    d.0
}

/// The user fields an administrator edits: name, role and team (`None` removes the team).
pub fn user_patch(
    before: &relais_types::UserOut,
    full_name: &str,
    role_id: Uuid,
    team_id: Option<Uuid>,
) -> Map<String, Value> {
    let mut d = Diff::default();
    d.put("full_name", &before.full_name.as_str(), &full_name);
    d.put("role_id", &before.role_id, &role_id);
    d.put("team_id", &before.team_id, &team_id);
    d.0
}

/// The creation form that Ctrl+N (or `n`) opens from a list page, with the resource the user
/// must be allowed to create.
pub fn new_record_route(path: &str) -> Option<(&'static str, relais_domain::access::Resource)> {
    use relais_domain::access::Resource;
    Some(match path.trim_end_matches('/') {
        "/organisations" => ("/organisations/new", Resource::Organisations),
        "/people" => ("/people/new", Resource::People),
        "/mandates" => ("/mandates/new", Resource::Mandates),
        "/products" => ("/products/new", Resource::Products),
        "/tasks" => ("/tasks/new", Resource::Tasks),
        _ => return None,
    })
}

/// Text typed in a field: trimmed, `None` when blank.
pub fn optional(raw: &str) -> Option<String> {
    let v = raw.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// The value of a `datetime-local` input (`2026-03-01T10:00`, seconds optional) for an
/// instant, in a zone `offset_minutes` east of UTC.
pub fn to_local_input(at: DateTime<Utc>, offset_minutes: i32) -> String {
    (at.naive_utc() + Duration::minutes(i64::from(offset_minutes)))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The local date-time of a `datetime-local` input, without zone.
pub fn parse_local_input(raw: &str) -> Option<NaiveDateTime> {
    let raw = raw.trim();
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

/// The instant a `datetime-local` value names, in a zone `offset_minutes` east of UTC at
/// that moment (the browser knows the offset of each date, summer time included).
pub fn from_local(local: NaiveDateTime, offset_minutes: i32) -> DateTime<Utc> {
    (local - Duration::minutes(i64::from(offset_minutes))).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use relais_domain::crm::Category;
    use relais_domain::interactions::InteractionKind;
    use relais_domain::tasks::{TaskPriority, TaskRecordType, TaskStatus};

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn mandate() -> MandateOut {
        MandateOut {
            id: Uuid::from_u128(1),
            number: "M-2026-001".into(),
            organisation_id: Uuid::from_u128(2),
            status: MandateStatus::Draft,
            signed_at: None,
            start_date: NaiveDate::from_ymd_opt(2026, 3, 1),
            end_date: None,
            amount: Some(1_000_000.0),
            owner_id: None,
            notes: Some("Exclusif".into()),
            product_ids: vec![Uuid::from_u128(5), Uuid::from_u128(6)],
            created_at: at(2026, 1, 1, 9),
            updated_at: at(2026, 1, 1, 9),
            deleted_at: None,
        }
    }

    fn mandate_form(m: &MandateOut) -> MandateIn {
        MandateIn {
            number: Some(m.number.clone()),
            organisation_id: m.organisation_id,
            status: Some(m.status),
            signed_at: None,
            start_date: m.start_date,
            end_date: m.end_date,
            amount: m.amount,
            owner_id: None,
            notes: m.notes.clone(),
            product_ids: m.product_ids.clone(),
        }
    }

    #[test]
    fn an_untouched_mandate_form_sends_nothing() {
        let m = mandate();
        assert!(mandate_patch(&m, &mandate_form(&m)).is_empty());
    }

    #[test]
    fn a_mandate_patch_carries_changes_and_clears() {
        let m = mandate();
        let mut f = mandate_form(&m);
        f.status = Some(MandateStatus::Proposed);
        f.notes = None;
        f.end_date = NaiveDate::from_ymd_opt(2027, 2, 28);
        f.amount = Some(1_250_000.5);
        let p = mandate_patch(&m, &f);
        assert_eq!(p["status"], json!("proposed"));
        assert_eq!(p["notes"], Value::Null);
        assert_eq!(p["end_date"], json!("2027-02-28"));
        assert_eq!(p["amount"], json!(1_250_000.5));
        assert_eq!(p.len(), 4, "{p:?}");
        // A blank number on the form keeps the mandate's number.
        f.number = None;
        assert!(!mandate_patch(&m, &f).contains_key("number"));
    }

    #[test]
    fn covered_products_compare_as_sets() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        assert!(!products_changed(&[a, b], &[b, a]));
        assert!(!products_changed(&[a, b], &[b, a, a]));
        assert!(products_changed(&[a, b], &[a]));
        assert!(products_changed(&[a], &[a, c]));
        assert!(!products_changed(&[], &[]));
    }

    #[test]
    fn the_status_choices_follow_the_flow() {
        use MandateStatus::*;
        assert_eq!(mandate_status_choices(None), MandateStatus::ALL);
        assert_eq!(
            mandate_status_choices(Some(Draft)),
            [Draft, Proposed, Signed, Terminated]
        );
        assert_eq!(
            mandate_status_choices(Some(Proposed)),
            [Draft, Proposed, Signed, Terminated]
        );
        assert_eq!(
            mandate_status_choices(Some(Signed)),
            [Signed, Active, Terminated]
        );
        assert_eq!(mandate_status_choices(Some(Active)), [Active, Terminated]);
        assert_eq!(mandate_status_choices(Some(Terminated)), [Terminated]);
        // Every offered move is one the domain accepts.
        for &from in MandateStatus::ALL {
            for to in mandate_status_choices(Some(from)) {
                assert!(from.check_transition(to).is_ok(), "{from:?} → {to:?}");
            }
        }
    }

    #[test]
    fn product_codes_compare_upper_cased() {
        let before = ProductOut {
            id: Uuid::from_u128(1),
            name: "Carmignac Patrimoine".into(),
            code: "FR0010135103".into(),
            is_isin: true,
            category: Some(Category::Opcvm),
            active: true,
            notes: None,
            created_at: at(2026, 1, 1, 9),
            updated_at: at(2026, 1, 1, 9),
            deleted_at: None,
        };
        let mut after = ProductIn {
            name: before.name.clone(),
            code: "fr0010135103".into(),
            category: before.category,
            active: Some(true),
            notes: None,
        };
        assert!(product_patch(&before, &after).is_empty());
        after.code = "CARM-A".into();
        after.active = Some(false);
        after.category = None;
        let p = product_patch(&before, &after);
        assert_eq!(p["code"], json!("CARM-A"));
        assert_eq!(p["active"], json!(false));
        assert_eq!(p["category"], Value::Null);
        assert_eq!(p.len(), 3);
    }

    fn task() -> TaskOut {
        TaskOut {
            id: Uuid::from_u128(1),
            title: "Relancer".into(),
            description: None,
            due_at: Some(at(2026, 2, 10, 9)),
            priority: TaskPriority::Normal,
            status: TaskStatus::Todo,
            assignee_id: Some(Uuid::from_u128(7)),
            created_by: None,
            completed_at: None,
            overdue: false,
            record_type: Some(TaskRecordType::Organisation),
            record_id: Some(Uuid::from_u128(2)),
            created_at: at(2026, 1, 1, 9),
            updated_at: at(2026, 1, 1, 9),
            deleted_at: None,
        }
    }

    fn task_form(t: &TaskOut) -> TaskIn {
        TaskIn {
            title: t.title.clone(),
            description: t.description.clone(),
            due_at: t.due_at,
            priority: Some(t.priority),
            status: Some(t.status),
            assignee_id: t.assignee_id,
            record_type: t.record_type,
            record_id: t.record_id,
        }
    }

    #[test]
    fn a_task_patch_reassigns_and_moves_the_link_as_one() {
        let t = task();
        assert!(task_patch(&t, &task_form(&t)).is_empty());
        let mut f = task_form(&t);
        f.assignee_id = Some(Uuid::from_u128(8));
        f.priority = Some(TaskPriority::Urgent);
        f.due_at = None;
        let p = task_patch(&t, &f);
        assert_eq!(p["assignee_id"], json!(Uuid::from_u128(8)));
        assert_eq!(p["priority"], json!("urgent"));
        assert_eq!(p["due_at"], Value::Null);
        assert!(!p.contains_key("record_type"));
        // Another record of the same type: both halves of the link are sent.
        let mut f = task_form(&t);
        f.record_id = Some(Uuid::from_u128(3));
        let p = task_patch(&t, &f);
        assert_eq!(p["record_type"], json!("organisation"));
        assert_eq!(p["record_id"], json!(Uuid::from_u128(3)));
        // Unlinking clears both.
        f.record_type = None;
        f.record_id = None;
        let p = task_patch(&t, &f);
        assert_eq!(
            (&p["record_type"], &p["record_id"]),
            (&Value::Null, &Value::Null)
        );
    }

    #[test]
    fn an_interaction_patch_changes_links_and_time() {
        let before = InteractionOut {
            id: Uuid::from_u128(1),
            kind: InteractionKind::Call,
            occurred_at: at(2026, 2, 3, 10),
            author_id: Uuid::from_u128(7),
            summary: "Appel".into(),
            organisation_id: Some(Uuid::from_u128(2)),
            person_id: None,
            created_at: at(2026, 2, 3, 10),
            updated_at: at(2026, 2, 3, 10),
            deleted_at: None,
        };
        let mut after = InteractionIn {
            kind: InteractionKind::Call,
            summary: "Appel".into(),
            occurred_at: Some(before.occurred_at),
            author_id: None,
            organisation_id: before.organisation_id,
            person_id: None,
        };
        assert!(interaction_patch(&before, &after).is_empty());
        after.kind = InteractionKind::Meeting;
        after.person_id = Some(Uuid::from_u128(4));
        after.occurred_at = Some(at(2026, 2, 4, 14));
        let p = interaction_patch(&before, &after);
        assert_eq!(p["kind"], json!("meeting"));
        assert_eq!(p["person_id"], json!(Uuid::from_u128(4)));
        assert_eq!(p["occurred_at"], json!("2026-02-04T14:00:00Z"));
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn a_person_patch_clears_blank_fields() {
        let before = PersonOut {
            id: Uuid::from_u128(1),
            first_name: Some("Claire".into()),
            last_name: "Martin".into(),
            full_name: "Claire Martin".into(),
            email: Some("claire@example.fr".into()),
            phone: None,
            job_title: Some("Directrice".into()),
            notes: None,
            owner_id: None,
            tags: vec![],
            active: true,
            last_contact_at: None,
            created_at: at(2026, 1, 1, 9),
            updated_at: at(2026, 1, 1, 9),
            deleted_at: None,
        };
        let after = PersonIn {
            first_name: optional(" Claire "),
            last_name: "Martin-Dupont".into(),
            email: optional("  "),
            phone: optional("+33 6 12 34 56 78"),
            job_title: before.job_title.clone(),
            notes: None,
            owner_id: None,
            active: Some(true),
            tags: vec![],
            organisations: vec![],
        };
        let p = person_patch(&before, &after);
        assert_eq!(p["last_name"], json!("Martin-Dupont"));
        assert_eq!(p["email"], Value::Null);
        assert_eq!(p["phone"], json!("+33 6 12 34 56 78"));
        assert_eq!(p.len(), 3, "{p:?}");
    }

    #[test]
    fn a_user_patch_can_remove_the_team() {
        let before = relais_types::UserOut {
            id: Uuid::from_u128(1),
            email: "bruno@example.fr".into(),
            full_name: "Bruno Petit".into(),
            role_id: Uuid::from_u128(10),
            team_id: Some(Uuid::from_u128(20)),
            locale: relais_types::Locale::Fr,
            theme: relais_types::Theme::System,
            active: true,
            must_change_password: false,
            locked_until: None,
            last_login_at: None,
            created_at: at(2026, 1, 1, 9),
            updated_at: at(2026, 1, 1, 9),
        };
        assert!(user_patch(&before, "Bruno Petit", before.role_id, before.team_id).is_empty());
        let p = user_patch(&before, "Bruno Petit", Uuid::from_u128(11), None);
        assert_eq!(p["role_id"], json!(Uuid::from_u128(11)));
        assert_eq!(p["team_id"], Value::Null);
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn ctrl_n_opens_the_creation_form_of_list_pages_only() {
        use relais_domain::access::Resource;
        assert_eq!(
            new_record_route("/mandates"),
            Some(("/mandates/new", Resource::Mandates))
        );
        assert_eq!(
            new_record_route("/tasks/"),
            Some(("/tasks/new", Resource::Tasks))
        );
        assert_eq!(
            new_record_route("/organisations").map(|r| r.0),
            Some("/organisations/new")
        );
        assert_eq!(new_record_route("/mandates/new"), None);
        assert_eq!(new_record_route("/pipeline"), None);
        assert_eq!(new_record_route("/"), None);
    }

    #[test]
    fn datetime_inputs_round_trip_through_the_zone() {
        let t = at(2026, 3, 1, 9);
        // Paris in winter: UTC+1.
        assert_eq!(to_local_input(t, 60), "2026-03-01T10:00");
        let local = parse_local_input("2026-03-01T10:00").unwrap();
        assert_eq!(from_local(local, 60), t);
        assert_eq!(
            parse_local_input("2026-03-01T10:00:30").map(|l| from_local(l, 0)),
            Some(Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 30).unwrap())
        );
        // West of UTC, across midnight.
        assert_eq!(to_local_input(at(2026, 1, 1, 2), -300), "2025-12-31T21:00");
        assert_eq!(parse_local_input("01/03/2026 10:00"), None);
        assert_eq!(parse_local_input(""), None);
        assert_eq!(optional("  a "), Some("a".into()));
        assert_eq!(optional(" "), None);
    }
}
