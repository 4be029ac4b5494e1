//! The custom-role editor's matrix: for each resource × action, no grant or a scope.
//!
//! Own and team scopes only mean something for records that have an owner; other resources
//! (users, settings…) are granted firm-wide or not at all. The editor offers no scope wider
//! than the editor's own grants, since the server refuses a role that exceeds them.

use relais_domain::access::{Action, Grant, Resource, Scope};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GrantMatrix(BTreeMap<(Resource, Action), Scope>);

impl GrantMatrix {
    /// The matrix of a list of grants; a pair granted twice keeps the widest scope.
    pub fn from_grants(grants: &[Grant]) -> Self {
        let mut m = BTreeMap::new();
        for g in grants {
            m.entry((g.resource, g.action))
                .and_modify(|s: &mut Scope| *s = (*s).max(g.scope))
                .or_insert(g.scope);
        }
        Self(m)
    }

    pub fn get(&self, resource: Resource, action: Action) -> Option<Scope> {
        self.0.get(&(resource, action)).copied()
    }

    /// Sets one cell; `None` removes the grant.
    pub fn set(&mut self, resource: Resource, action: Action, scope: Option<Scope>) {
        match scope {
            Some(s) => {
                self.0.insert((resource, action), s);
            }
            None => {
                self.0.remove(&(resource, action));
            }
        }
    }

    /// The grants to send, in a stable order (resource, then action).
    pub fn to_grants(&self) -> Vec<Grant> {
        self.0
            .iter()
            .map(|(&(resource, action), &scope)| Grant {
                resource,
                action,
                scope,
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The scopes that make sense for `resource`, narrowest first.
pub fn scopes_for(resource: Resource) -> &'static [Scope] {
    if Resource::OWNED.contains(&resource) {
        &[Scope::Own, Scope::Team, Scope::All]
    } else {
        &[Scope::All]
    }
}

/// The scopes the editor may grant on a cell: those of [`scopes_for`] up to what the
/// editor holds. Empty when the editor lacks the grant.
pub fn offered_scopes(mine: &[Grant], resource: Resource, action: Action) -> Vec<Scope> {
    let held = mine
        .iter()
        .filter(|g| g.resource == resource && g.action == action)
        .map(|g| g.scope)
        .max();
    match held {
        None => Vec::new(),
        Some(max) => scopes_for(resource)
            .iter()
            .copied()
            .filter(|s| *s <= max)
            .collect(),
    }
}

/// A key suggested from a display name (`Direction commerciale` → `direction-commerciale`),
/// in the server's slug alphabet; the user may change it before creating the role.
pub fn key_from_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(63);
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_domain::Slug;
    use relais_domain::access::BuiltinRole;

    fn g(resource: Resource, action: Action, scope: Scope) -> Grant {
        Grant {
            resource,
            action,
            scope,
        }
    }

    #[test]
    fn the_matrix_round_trips_and_keeps_the_widest_scope() {
        let list = [
            g(Resource::Tasks, Action::Read, Scope::Own),
            g(Resource::Organisations, Action::Read, Scope::Team),
            g(Resource::Tasks, Action::Read, Scope::All),
        ];
        let mut m = GrantMatrix::from_grants(&list);
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(Resource::Tasks, Action::Read), Some(Scope::All));
        assert_eq!(m.get(Resource::Tasks, Action::Delete), None);
        m.set(Resource::Tasks, Action::Delete, Some(Scope::Own));
        m.set(Resource::Organisations, Action::Read, None);
        assert_eq!(
            m.to_grants(),
            [
                g(Resource::Tasks, Action::Read, Scope::All),
                g(Resource::Tasks, Action::Delete, Scope::Own),
            ]
        );
        let admin = GrantMatrix::from_grants(&BuiltinRole::Admin.grants());
        assert_eq!(admin.len(), Resource::ALL.len() * Action::ALL.len());
        assert!(GrantMatrix::default().is_empty());
    }

    #[test]
    fn only_owned_records_have_own_and_team_scopes() {
        assert_eq!(scopes_for(Resource::People).len(), 3);
        assert_eq!(scopes_for(Resource::Users), [Scope::All]);
        assert_eq!(scopes_for(Resource::Products), [Scope::All]);
    }

    #[test]
    fn nobody_is_offered_more_than_they_hold() {
        let admin = BuiltinRole::Admin.grants();
        assert_eq!(
            offered_scopes(&admin, Resource::Mandates, Action::Manage),
            [Scope::Own, Scope::Team, Scope::All]
        );
        let manager = BuiltinRole::Manager.grants();
        assert_eq!(
            offered_scopes(&manager, Resource::Mandates, Action::Update),
            [Scope::Own, Scope::Team]
        );
        assert!(offered_scopes(&manager, Resource::Mandates, Action::Manage).is_empty());
        assert_eq!(
            offered_scopes(&manager, Resource::Users, Action::Read),
            [Scope::All]
        );
        assert!(offered_scopes(&[], Resource::Users, Action::Read).is_empty());
    }

    #[test]
    fn every_resource_action_and_scope_has_a_label() {
        use crate::i18n::{Lang, lookup};
        for lang in Lang::ALL {
            for r in Resource::ALL {
                let key = format!("role_editor.resource.{}", r.code());
                assert!(lookup(lang, &key).is_some(), "{lang:?} lacks {key}");
            }
            for a in Action::ALL {
                let key = format!("role_editor.action.{}", a.code());
                assert!(lookup(lang, &key).is_some(), "{lang:?} lacks {key}");
            }
            for s in Scope::ALL {
                let key = format!("role_editor.scope.{}", s.code());
                assert!(lookup(lang, &key).is_some(), "{lang:?} lacks {key}");
            }
        }
    }

    #[test]
    fn keys_suggested_from_names_are_valid_slugs() {
        assert_eq!(
            key_from_name("Direction commerciale"),
            "direction-commerciale"
        );
        assert_eq!(key_from_name("  Comptabilité & Paie "), "comptabilite-paie");
        assert_eq!(key_from_name("---"), "");
        for name in ["Direction", "Équipe Lyon 2", &"Équipe ".repeat(20)] {
            let key = key_from_name(name);
            assert!(Slug::parse(&key).is_ok(), "{name:?} gave {key:?}");
        }
    }
}
