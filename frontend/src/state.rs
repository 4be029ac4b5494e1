//! View state as plain data with reducers: the organisations list query, keyboard shortcuts,
//! the theme in force, what the user may do. The components only dispatch and render.

use relais_domain::access::{Action, Grant, Resource};
use relais_domain::crm::PipelineStage;
use relais_types::{OrganisationIn, OrganisationOut, Theme};
use std::collections::BTreeSet;
use uuid::Uuid;

/// A column the organisations list can be sorted by (the server's sort names).
pub const ORG_SORTS: &[&str] = &[
    "name",
    "city",
    "pipeline_stage",
    "expected_amount",
    "updated_at",
];

/// What the organisations list shows: filters, sort and the page reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgListQuery {
    pub q: String,
    pub type_: String,
    pub stage: String,
    pub city: String,
    pub sort: String,
    pub desc: bool,
    /// Cursors of the pages before the current one; the last is the current page's.
    pub cursors: Vec<String>,
}

impl Default for OrgListQuery {
    fn default() -> Self {
        Self {
            q: String::new(),
            type_: String::new(),
            stage: String::new(),
            city: String::new(),
            sort: "name".into(),
            desc: false,
            cursors: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListMsg {
    Search(String),
    Type(String),
    Stage(String),
    City(String),
    /// A click on a column header: the same column flips the direction, another one starts
    /// ascending.
    SortBy(String),
    /// Go to the page that starts at this cursor.
    Next(String),
    Previous,
    Reset,
}

impl OrgListQuery {
    /// Applies a message. Any change of filter or sort goes back to the first page, since a
    /// cursor is only valid for the query it came from.
    pub fn update(&mut self, msg: ListMsg) {
        match msg {
            ListMsg::Search(v) => self.set_filter(|s| &mut s.q, v),
            ListMsg::Type(v) => self.set_filter(|s| &mut s.type_, v),
            ListMsg::Stage(v) => self.set_filter(|s| &mut s.stage, v),
            ListMsg::City(v) => self.set_filter(|s| &mut s.city, v),
            ListMsg::SortBy(col) => {
                if !ORG_SORTS.contains(&col.as_str()) {
                    return;
                }
                if self.sort == col {
                    self.desc = !self.desc;
                } else {
                    self.sort = col;
                    self.desc = false;
                }
                self.cursors.clear();
            }
            ListMsg::Next(cursor) => self.cursors.push(cursor),
            ListMsg::Previous => {
                self.cursors.pop();
            }
            ListMsg::Reset => *self = Self::default(),
        }
    }

    fn set_filter(&mut self, field: fn(&mut Self) -> &mut String, value: String) {
        let value = value.trim().to_owned();
        if *field(self) != value {
            *field(self) = value;
            self.cursors.clear();
        }
    }

    pub fn page_number(&self) -> usize {
        self.cursors.len() + 1
    }

    pub fn has_filters(&self) -> bool {
        !(self.q.is_empty()
            && self.type_.is_empty()
            && self.stage.is_empty()
            && self.city.is_empty())
    }

    /// `aria-sort` of a column header.
    pub fn aria_sort(&self, col: &str) -> &'static str {
        match (self.sort == col, self.desc) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }

    /// The query string for `GET /api/v1/organisations`.
    pub fn to_query(&self, limit: u32) -> String {
        let mut parts = vec![
            format!("limit={limit}"),
            format!("sort={}{}", if self.desc { "-" } else { "" }, self.sort),
        ];
        for (name, value) in [
            ("q", &self.q),
            ("type", &self.type_),
            ("stage", &self.stage),
            ("city", &self.city),
        ] {
            if !value.is_empty() {
                parts.push(format!("{name}={}", encode(value)));
            }
        }
        if let Some(c) = self.cursors.last() {
            parts.push(format!("cursor={}", encode(c)));
        }
        parts.join("&")
    }
}

/// The rows ticked for a bulk action. Kept across pages of the same query; the list clears
/// it when the query changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection(pub BTreeSet<Uuid>);

impl Selection {
    pub fn toggle(&mut self, id: Uuid) {
        if !self.0.remove(&id) {
            self.0.insert(id);
        }
    }

    /// The header checkbox: ticks every row of the page, or unticks them when all are.
    pub fn toggle_page(&mut self, page: &[Uuid]) {
        if self.covers(page) {
            for id in page {
                self.0.remove(id);
            }
        } else {
            self.0.extend(page.iter().copied());
        }
    }

    pub fn covers(&self, page: &[Uuid]) -> bool {
        !page.is_empty() && page.iter().all(|id| self.0.contains(id))
    }

    pub fn ids(&self) -> Vec<Uuid> {
        self.0.iter().copied().collect()
    }
}

/// A card of the pipeline board.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub id: Uuid,
    pub name: String,
    pub city: Option<String>,
    pub amount: Option<f64>,
}

/// One column of the board: the cards loaded and how many the stage holds in all.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub stage: PipelineStage,
    pub cards: Vec<Card>,
    pub total: usize,
}

impl Column {
    /// The sum of the expected amounts of the loaded cards.
    pub fn amount(&self) -> f64 {
        self.cards.iter().filter_map(|c| c.amount).sum()
    }

    /// Whether some of the stage's records are not on the board.
    pub fn truncated(&self) -> bool {
        self.total > self.cards.len()
    }
}

/// The pipeline board, one column per stage in funnel order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Board(pub Vec<Column>);

impl Board {
    pub fn stage_of(&self, id: Uuid) -> Option<PipelineStage> {
        self.0
            .iter()
            .find(|c| c.cards.iter().any(|k| k.id == id))
            .map(|c| c.stage)
    }

    /// Moves a card to the top of another column; returns the stage it left, or `None` when
    /// nothing moved (unknown card, same column).
    pub fn move_card(&mut self, id: Uuid, to: PipelineStage) -> Option<PipelineStage> {
        let from = self.stage_of(id)?;
        if from == to || !self.0.iter().any(|c| c.stage == to) {
            return None;
        }
        let src = self.0.iter_mut().find(|c| c.stage == from)?;
        let pos = src.cards.iter().position(|k| k.id == id)?;
        let card = src.cards.remove(pos);
        src.total = src.total.saturating_sub(1);
        let dst = self.0.iter_mut().find(|c| c.stage == to)?;
        dst.cards.insert(0, card);
        dst.total += 1;
        Some(from)
    }

    /// The neighbouring stage for the keyboard moves (`step` is -1 or +1).
    pub fn neighbour(stage: PipelineStage, step: i32) -> Option<PipelineStage> {
        let i = PipelineStage::ALL.iter().position(|s| *s == stage)? as i32 + step;
        usize::try_from(i)
            .ok()
            .and_then(|i| PipelineStage::ALL.get(i).copied())
    }
}

/// The body of `PATCH /organisations/{id}` for a form edited from `before`: only the fields
/// that changed, a cleared field as `null`. Built by hand because serialising the wire
/// `OrganisationPatch` would send `null` for every untouched optional field, clearing it.
pub fn organisation_patch(
    before: &OrganisationOut,
    after: &OrganisationIn,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::{Value, json};
    let mut out = serde_json::Map::new();
    let mut put = |field: &str, changed: bool, value: Value| {
        if changed {
            out.insert(field.to_owned(), value);
        }
    };
    put("name", before.name != after.name, json!(after.name));
    put("type", before.type_ != after.type_, json!(after.type_));
    put(
        "category",
        before.category != after.category,
        json!(after.category),
    );
    if let Some(stage) = after.pipeline_stage {
        put(
            "pipeline_stage",
            before.pipeline_stage != stage,
            json!(stage),
        );
    }
    for (field, old, new) in [
        ("email", &before.email, &after.email),
        ("phone", &before.phone, &after.phone),
        ("website", &before.website, &after.website),
        ("city", &before.city, &after.city),
        ("postcode", &before.postcode, &after.postcode),
        ("country", &before.country, &after.country),
        ("notes", &before.notes, &after.notes),
    ] {
        put(field, old != new, json!(new));
    }
    put(
        "expected_amount",
        before.expected_amount != after.expected_amount,
        json!(after.expected_amount),
    );
    out
}

/// Percent-encodes a query-string value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out += &format!("%{b:02X}"),
        }
    }
    out
}

/// A keyboard shortcut of the app (SPEC UI-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    Search,
    NewRecord,
    CloseDialog,
}

/// Maps a key press to a shortcut. `/` and a plain `n` only count outside text fields, where
/// they are typed; the plain `n` exists because desktop Chrome keeps Ctrl+N for itself.
pub fn shortcut(key: &str, ctrl_or_meta: bool, in_text_field: bool) -> Option<Shortcut> {
    match (key, ctrl_or_meta) {
        ("Escape", _) => Some(Shortcut::CloseDialog),
        ("k" | "K", true) => Some(Shortcut::Search),
        ("n" | "N", true) => Some(Shortcut::NewRecord),
        ("/", false) if !in_text_field => Some(Shortcut::Search),
        ("n", false) if !in_text_field => Some(Shortcut::NewRecord),
        _ => None,
    }
}

/// The theme actually drawn: `system` follows the operating system's preference.
pub fn effective_theme(theme: Theme, system_prefers_dark: bool) -> &'static str {
    match theme {
        Theme::Light => "light",
        Theme::Dark => "dark",
        Theme::System if system_prefers_dark => "dark",
        Theme::System => "light",
    }
}

/// Whether the grants allow `action` on `resource` for at least some records (the server
/// still decides per record; this only hides buttons that could never work).
pub fn can(grants: &[Grant], resource: Resource, action: Action) -> bool {
    grants
        .iter()
        .any(|g| g.resource == resource && g.action == action)
}

/// Where to go after signing in: the page asked for, if it is one of ours.
pub fn safe_redirect(target: Option<&str>) -> String {
    match target {
        Some(t) if t.starts_with('/') && !t.starts_with("//") && !t.starts_with("/login") => {
            t.to_owned()
        }
        _ => "/organisations".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_domain::access::{BuiltinRole, Scope};

    #[test]
    fn filters_reset_the_pagination() {
        let mut q = OrgListQuery::default();
        q.update(ListMsg::Next("c1".into()));
        q.update(ListMsg::Next("c2".into()));
        assert_eq!(q.page_number(), 3);
        q.update(ListMsg::Previous);
        assert_eq!(q.page_number(), 2);
        q.update(ListMsg::City("  Lyon ".into()));
        assert_eq!(q.city, "Lyon");
        assert_eq!(q.page_number(), 1);
        assert!(q.has_filters());
        // The same value again keeps the page.
        q.update(ListMsg::Next("c3".into()));
        q.update(ListMsg::City("Lyon".into()));
        assert_eq!(q.page_number(), 2);
        q.update(ListMsg::Reset);
        assert_eq!(q, OrgListQuery::default());
        q.update(ListMsg::Previous);
        assert_eq!(q.page_number(), 1);
    }

    #[test]
    fn sorting_flips_then_switches_columns() {
        let mut q = OrgListQuery::default();
        assert_eq!(q.aria_sort("name"), "ascending");
        q.update(ListMsg::SortBy("name".into()));
        assert_eq!((q.sort.as_str(), q.desc), ("name", true));
        assert_eq!(q.aria_sort("name"), "descending");
        q.update(ListMsg::Next("c".into()));
        q.update(ListMsg::SortBy("city".into()));
        assert_eq!(
            (q.sort.as_str(), q.desc, q.page_number()),
            ("city", false, 1)
        );
        assert_eq!(q.aria_sort("name"), "none");
        q.update(ListMsg::SortBy("password".into()));
        assert_eq!(q.sort, "city");
    }

    #[test]
    fn the_query_string_carries_filters_sort_and_cursor() {
        let mut q = OrgListQuery::default();
        assert_eq!(q.to_query(25), "limit=25&sort=name");
        q.update(ListMsg::Search("Société Générale & co".into()));
        q.update(ListMsg::Type("investor".into()));
        q.update(ListMsg::Stage("prospect".into()));
        q.update(ListMsg::SortBy("updated_at".into()));
        q.update(ListMsg::SortBy("updated_at".into()));
        q.update(ListMsg::Next("ab+/=".into()));
        assert_eq!(
            q.to_query(25),
            "limit=25&sort=-updated_at&q=Soci%C3%A9t%C3%A9%20G%C3%A9n%C3%A9rale%20%26%20co\
             &type=investor&stage=prospect&cursor=ab%2B%2F%3D"
        );
    }

    #[test]
    fn selection_toggles_rows_and_pages() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut s = Selection::default();
        s.toggle(a);
        assert_eq!(s.ids(), [a]);
        assert!(!s.covers(&[a, b]));
        s.toggle_page(&[a, b]);
        assert!(s.covers(&[a, b]));
        s.toggle(c);
        s.toggle_page(&[a, b]);
        assert_eq!(s.ids(), [c]);
        s.toggle(c);
        assert!(s.0.is_empty());
        assert!(!s.covers(&[]));
    }

    fn board() -> Board {
        let card = |n: u128, amount| Card {
            id: Uuid::from_u128(n),
            name: format!("Org {n}"),
            city: None,
            amount,
        };
        Board(vec![
            Column {
                stage: PipelineStage::Prospect,
                cards: vec![card(1, Some(100.0)), card(2, None)],
                total: 5,
            },
            Column {
                stage: PipelineStage::Qualification,
                cards: vec![card(3, Some(50.5))],
                total: 1,
            },
        ])
    }

    #[test]
    fn cards_move_between_columns_with_their_totals() {
        let mut b = board();
        assert_eq!(b.0[0].amount(), 100.0);
        assert!(b.0[0].truncated());
        assert_eq!(
            b.move_card(Uuid::from_u128(1), PipelineStage::Qualification),
            Some(PipelineStage::Prospect)
        );
        assert_eq!(b.0[0].amount(), 0.0);
        assert_eq!(b.0[0].total, 4);
        assert_eq!(b.0[1].amount(), 150.5);
        assert_eq!(b.0[1].total, 2);
        assert_eq!(b.0[1].cards[0].id, Uuid::from_u128(1));
        assert_eq!(
            b.stage_of(Uuid::from_u128(1)),
            Some(PipelineStage::Qualification)
        );
        // Moving back undoes it (what a refused move does).
        b.move_card(Uuid::from_u128(1), PipelineStage::Prospect);
        assert_eq!(b.0[0].amount(), 100.0);
        // Nothing moves to the same column, to a missing one, or for an unknown card.
        assert_eq!(
            b.move_card(Uuid::from_u128(1), PipelineStage::Prospect),
            None
        );
        assert_eq!(b.move_card(Uuid::from_u128(1), PipelineStage::Lost), None);
        assert_eq!(
            b.move_card(Uuid::from_u128(9), PipelineStage::Qualification),
            None
        );
    }

    #[test]
    fn keyboard_moves_go_to_the_neighbouring_stage() {
        assert_eq!(
            Board::neighbour(PipelineStage::Prospect, 1),
            Some(PipelineStage::Qualification)
        );
        assert_eq!(Board::neighbour(PipelineStage::Prospect, -1), None);
        assert_eq!(
            Board::neighbour(PipelineStage::Signed, 1),
            Some(PipelineStage::Lost)
        );
        assert_eq!(Board::neighbour(PipelineStage::Lost, 1), None);
    }

    #[test]
    fn an_organisation_patch_carries_only_the_changes() {
        use relais_domain::crm::OrganisationType;
        let before: OrganisationOut = serde_json::from_value(serde_json::json!({
            "id": "0190a000-0000-7000-8000-000000000001", "name": "Amundi", "type": "issuer",
            "category": null, "pipeline_stage": "prospect",
            "stage_changed_at": "2026-01-01T00:00:00Z", "email": null, "phone": null,
            "website": null, "address": null, "city": "Paris", "postcode": null,
            "country": "FR", "notes": null, "owner_id": null, "active": true,
            "expected_amount": 1000.0, "tags": [], "last_contact_at": null,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}))
        .unwrap();
        let mut after = OrganisationIn {
            name: "Amundi".into(),
            type_: OrganisationType::Issuer,
            category: None,
            pipeline_stage: Some(PipelineStage::Prospect),
            email: None,
            phone: None,
            website: None,
            address: None,
            city: Some("Paris".into()),
            postcode: None,
            country: Some("FR".into()),
            notes: None,
            owner_id: None,
            active: None,
            expected_amount: Some(1000.0),
            tags: Vec::new(),
        };
        assert!(organisation_patch(&before, &after).is_empty());
        after.city = None;
        after.pipeline_stage = Some(PipelineStage::Signed);
        after.expected_amount = Some(2500.5);
        after.name = "Amundi AM".into();
        let patch = serde_json::Value::Object(organisation_patch(&before, &after));
        assert_eq!(
            patch,
            serde_json::json!({"city": null, "pipeline_stage": "signed",
                               "expected_amount": 2500.5, "name": "Amundi AM"})
        );
    }

    #[test]
    fn shortcuts() {
        assert_eq!(shortcut("k", true, true), Some(Shortcut::Search));
        assert_eq!(shortcut("K", true, false), Some(Shortcut::Search));
        assert_eq!(shortcut("/", false, false), Some(Shortcut::Search));
        assert_eq!(shortcut("/", false, true), None);
        assert_eq!(shortcut("n", true, true), Some(Shortcut::NewRecord));
        assert_eq!(shortcut("n", false, false), Some(Shortcut::NewRecord));
        assert_eq!(shortcut("n", false, true), None);
        assert_eq!(shortcut("N", false, false), None);
        assert_eq!(shortcut("Escape", false, true), Some(Shortcut::CloseDialog));
        assert_eq!(shortcut("a", true, false), None);
    }

    #[test]
    fn system_theme_follows_the_os() {
        assert_eq!(effective_theme(Theme::System, true), "dark");
        assert_eq!(effective_theme(Theme::System, false), "light");
        assert_eq!(effective_theme(Theme::Light, true), "light");
        assert_eq!(effective_theme(Theme::Dark, false), "dark");
    }

    #[test]
    fn viewers_cannot_create_organisations() {
        let viewer = BuiltinRole::Viewer.grants();
        let user = BuiltinRole::User.grants();
        assert!(can(&viewer, Resource::Organisations, Action::Read));
        assert!(!can(&viewer, Resource::Organisations, Action::Create));
        assert!(can(&user, Resource::Organisations, Action::Create));
        let own_only = [Grant {
            resource: Resource::Organisations,
            action: Action::Create,
            scope: Scope::Own,
        }];
        assert!(can(&own_only, Resource::Organisations, Action::Create));
    }

    #[test]
    fn redirects_stay_inside_the_app() {
        assert_eq!(safe_redirect(Some("/organisations/1")), "/organisations/1");
        assert_eq!(safe_redirect(Some("//evil.example")), "/organisations");
        assert_eq!(
            safe_redirect(Some("https://evil.example")),
            "/organisations"
        );
        assert_eq!(safe_redirect(Some("/login")), "/organisations");
        assert_eq!(safe_redirect(None), "/organisations");
    }
}
