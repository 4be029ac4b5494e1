//! The trash (SPEC CRM-9): which record types it shows, where their deleted records are
//! listed, and how long each stays restorable.

use chrono::{DateTime, Utc};
use relais_domain::access::{Action, Grant, Resource};
use serde_json::Value;
use uuid::Uuid;

/// How long a deleted record stays restorable.
pub const RETENTION_DAYS: i64 = 30;

/// A record type with a trash of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrashKind {
    Organisations,
    People,
    Mandates,
    Products,
    Interactions,
    Tasks,
}

impl TrashKind {
    pub const ALL: [TrashKind; 6] = [
        TrashKind::Organisations,
        TrashKind::People,
        TrashKind::Mandates,
        TrashKind::Products,
        TrashKind::Interactions,
        TrashKind::Tasks,
    ];

    /// The collection's path under `/api/v1`, also the kind's id in the page.
    pub fn path(self) -> &'static str {
        match self {
            TrashKind::Organisations => "organisations",
            TrashKind::People => "people",
            TrashKind::Mandates => "mandates",
            TrashKind::Products => "products",
            TrashKind::Interactions => "interactions",
            TrashKind::Tasks => "tasks",
        }
    }

    pub fn from_path(path: &str) -> Option<TrashKind> {
        TrashKind::ALL.into_iter().find(|k| k.path() == path)
    }

    pub fn resource(self) -> Resource {
        match self {
            TrashKind::Organisations => Resource::Organisations,
            TrashKind::People => Resource::People,
            TrashKind::Mandates => Resource::Mandates,
            TrashKind::Products => Resource::Products,
            TrashKind::Interactions => Resource::Interactions,
            TrashKind::Tasks => Resource::Tasks,
        }
    }

    /// The translation key of the kind's name.
    pub fn label(self) -> &'static str {
        match self {
            TrashKind::Organisations => "nav.organisations",
            TrashKind::People => "nav.people",
            TrashKind::Mandates => "nav.mandates",
            TrashKind::Products => "nav.products",
            TrashKind::Interactions => "trash.kind.interactions",
            TrashKind::Tasks => "nav.tasks",
        }
    }

    /// The query string of one page of the trash, most recently changed first.
    pub fn query(self, limit: u32, cursor: Option<&str>) -> String {
        let sort = match self {
            TrashKind::Mandates | TrashKind::Tasks | TrashKind::Interactions => "-created_at",
            _ => "-updated_at",
        };
        let mut q = format!("deleted=true&limit={limit}&sort={sort}");
        if let Some(c) = cursor {
            q += &format!("&cursor={}", crate::state::encode(c));
        }
        q
    }
}

/// One deleted record as the trash lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct TrashItem {
    pub id: Uuid,
    /// What names the record: an organisation's name, a mandate's number, a task's title…
    pub label: String,
    /// A second line: a product's code, an interaction's kind code.
    pub detail: Option<String>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Longest label shown for an interaction's summary.
const SUMMARY_CHARS: usize = 80;

/// Reads one record of a trash page (each kind has its own shape).
pub fn item(kind: TrashKind, v: &Value) -> Option<TrashItem> {
    let s = |field: &str| v.get(field).and_then(Value::as_str).map(str::to_owned);
    let id = s("id")?.parse().ok()?;
    let (label, detail) = match kind {
        TrashKind::Organisations => (s("name")?, s("city")),
        TrashKind::People => (s("full_name")?, s("email")),
        TrashKind::Mandates => (s("number")?, None),
        TrashKind::Products => (s("name")?, s("code")),
        TrashKind::Interactions => {
            let summary = s("summary")?;
            let short: String = summary.chars().take(SUMMARY_CHARS).collect();
            let label = if short.len() < summary.len() {
                format!("{short}…")
            } else {
                short
            };
            (label, s("kind"))
        }
        TrashKind::Tasks => (s("title")?, None),
    };
    let deleted_at = s("deleted_at").and_then(|d| d.parse().ok());
    Some(TrashItem {
        id,
        label,
        detail,
        deleted_at,
    })
}

/// The kinds whose trash the user may open (listing, restoring and purging all need the
/// manage permission).
pub fn visible_kinds(grants: &[Grant]) -> Vec<TrashKind> {
    TrashKind::ALL
        .into_iter()
        .filter(|k| crate::state::can(grants, k.resource(), Action::Manage))
        .collect()
}

/// Days left before a record deleted at `deleted_at` can no longer be restored, counting a
/// started day as a day: 30 just after the deletion, 1 on the last day, 0 once expired.
pub fn days_left(deleted_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let left = (deleted_at + chrono::Duration::days(RETENTION_DAYS) - now).num_seconds();
    if left <= 0 {
        0
    } else {
        (left + 86_399) / 86_400
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use relais_domain::access::BuiltinRole;

    #[test]
    fn kinds_know_their_paths() {
        for k in TrashKind::ALL {
            assert_eq!(TrashKind::from_path(k.path()), Some(k));
        }
        assert_eq!(TrashKind::from_path("documents"), None);
        assert_eq!(
            TrashKind::Products.query(50, None),
            "deleted=true&limit=50&sort=-updated_at"
        );
        assert_eq!(
            TrashKind::Tasks.query(50, Some("a+b")),
            "deleted=true&limit=50&sort=-created_at&cursor=a%2Bb"
        );
    }

    #[test]
    fn only_managers_of_a_resource_see_its_trash() {
        assert_eq!(visible_kinds(&BuiltinRole::Admin.grants()), TrashKind::ALL);
        for role in [BuiltinRole::Manager, BuiltinRole::User, BuiltinRole::Viewer] {
            assert!(visible_kinds(&role.grants()).is_empty(), "{role:?}");
        }
        let one = [Grant {
            resource: Resource::Tasks,
            action: Action::Manage,
            scope: relais_domain::access::Scope::Own,
        }];
        assert_eq!(visible_kinds(&one), [TrashKind::Tasks]);
    }

    #[test]
    fn records_of_every_kind_have_a_label() {
        let id = "0194b8a2-3c41-7d5e-8f60-1a2b3c4d5e01";
        let at = "2026-03-01T12:00:00Z";
        let cases = [
            (
                TrashKind::Organisations,
                serde_json::json!({"id": id, "name": "Lumière", "city": "Lyon", "deleted_at": at}),
                "Lumière",
                Some("Lyon"),
            ),
            (
                TrashKind::People,
                serde_json::json!({"id": id, "full_name": "Claire Martin", "email": null, "deleted_at": at}),
                "Claire Martin",
                None,
            ),
            (
                TrashKind::Mandates,
                serde_json::json!({"id": id, "number": "M-2026-001", "deleted_at": at}),
                "M-2026-001",
                None,
            ),
            (
                TrashKind::Products,
                serde_json::json!({"id": id, "name": "Carmignac", "code": "FR0010135103", "deleted_at": at}),
                "Carmignac",
                Some("FR0010135103"),
            ),
            (
                TrashKind::Tasks,
                serde_json::json!({"id": id, "title": "Relancer", "deleted_at": at}),
                "Relancer",
                None,
            ),
        ];
        for (kind, v, label, detail) in cases {
            let it = item(kind, &v).unwrap();
            assert_eq!(it.id.to_string(), id);
            assert_eq!((it.label.as_str(), it.detail.as_deref()), (label, detail));
            assert_eq!(
                it.deleted_at,
                Some(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap())
            );
        }
        let long = "é".repeat(100);
        let it = item(
            TrashKind::Interactions,
            &serde_json::json!({"id": id, "summary": long, "kind": "call"}),
        )
        .unwrap();
        assert_eq!(it.label.chars().count(), SUMMARY_CHARS + 1);
        assert!(it.label.ends_with('…'));
        assert_eq!(it.deleted_at, None);
        assert_eq!(
            item(TrashKind::Tasks, &serde_json::json!({"title": "x"})),
            None
        );
        assert_eq!(item(TrashKind::Tasks, &serde_json::json!({"id": id})), None);
    }

    #[test]
    fn restorable_days_count_down_to_zero() {
        let deleted = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let after = |h: i64| deleted + chrono::Duration::hours(h);
        assert_eq!(days_left(deleted, deleted), 30);
        assert_eq!(days_left(deleted, after(1)), 30);
        assert_eq!(days_left(deleted, after(24)), 29);
        assert_eq!(days_left(deleted, after(29 * 24 + 23)), 1);
        assert_eq!(days_left(deleted, after(30 * 24)), 0);
        assert_eq!(days_left(deleted, after(40 * 24)), 0);
    }
}
