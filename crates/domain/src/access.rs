//! Access control: roles grant actions on resources with a record scope.
//!
//! Policy: this module is the only place that decides whether a subject may act. Handlers call
//! [`Grants::authorize`] (one record) or [`Grants::scope`] (lists: which rows to keep) and never
//! re-implement the rule. Deny is the default: a missing grant means no access.

use crate::ids::{TeamId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

code_enum!(
    /// What a grant is about.
    Resource {
        Organisations => "organisations",
        People => "people",
        Mandates => "mandates",
        Products => "products",
        Interactions => "interactions",
        Tasks => "tasks",
        Documents => "documents",
        Users => "users",
        Roles => "roles",
        Teams => "teams",
        ApiKeys => "api_keys",
        Webhooks => "webhooks",
        Settings => "settings",
        Reports => "reports",
        Backups => "backups",
    }
);

code_enum!(
    /// What a grant allows.
    Action {
        Read => "read",
        Create => "create",
        Update => "update",
        Delete => "delete",
        Export => "export",
        Import => "import",
        Manage => "manage",
    }
);

code_enum!(
    /// Which records a grant reaches. Ordered: `Own < Team < All`.
    Scope {
        Own => "own",
        Team => "team",
        All => "all",
    }
);

impl Resource {
    /// Business records that carry an owner, where own/team scopes mean something.
    pub const OWNED: &'static [Resource] = &[
        Resource::Organisations,
        Resource::People,
        Resource::Mandates,
        Resource::Interactions,
        Resource::Tasks,
        Resource::Documents,
    ];
}

/// One permission: `action` on `resource` for records within `scope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub resource: Resource,
    pub action: Action,
    pub scope: Scope,
}

/// Who is asking: the user (or the API key's creator) and their team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub user_id: UserId,
    pub team_id: Option<TeamId>,
}

/// Who a record belongs to, as far as scopes are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordOwner {
    pub owner_id: Option<UserId>,
    /// The team of the owner at the time of the check.
    pub owner_team: Option<TeamId>,
}

/// The effective grants of a role: for each (resource, action), the widest scope granted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants(BTreeMap<(Resource, Action), Scope>);

impl Grants {
    pub fn new(list: impl IntoIterator<Item = Grant>) -> Self {
        let mut map = BTreeMap::new();
        for g in list {
            map.entry((g.resource, g.action))
                .and_modify(|s: &mut Scope| *s = (*s).max(g.scope))
                .or_insert(g.scope);
        }
        Self(map)
    }

    /// The widest scope granted for `action` on `resource`, if any. Lists keep the rows
    /// within this scope; `None` means the caller gets 403.
    pub fn scope(&self, resource: Resource, action: Action) -> Option<Scope> {
        self.0.get(&(resource, action)).copied()
    }

    /// May `subject` perform `action` on `resource`? With `record = None` the question is about
    /// the collection (create, list): any scope is enough. With a record, its owner must fall
    /// within the granted scope.
    pub fn authorize(
        &self,
        subject: &Subject,
        resource: Resource,
        action: Action,
        record: Option<&RecordOwner>,
    ) -> bool {
        let Some(scope) = self.scope(resource, action) else {
            return false;
        };
        match record {
            None => true,
            Some(r) => scope_covers(scope, subject, r),
        }
    }

    /// Is every grant of `self` also held by `other` with at least the same scope? Used to stop
    /// an administrator from minting an API key or role wider than their own.
    pub fn is_subset_of(&self, other: &Grants) -> bool {
        self.0
            .iter()
            .all(|(k, s)| other.0.get(k).is_some_and(|o| o >= s))
    }

    pub fn to_list(&self) -> Vec<Grant> {
        self.0
            .iter()
            .map(|(&(resource, action), &scope)| Grant {
                resource,
                action,
                scope,
            })
            .collect()
    }
}

/// Does `scope` reach a record owned as `record` for `subject`?
pub fn scope_covers(scope: Scope, subject: &Subject, record: &RecordOwner) -> bool {
    let own = record.owner_id == Some(subject.user_id);
    match scope {
        Scope::All => true,
        Scope::Team => own || (subject.team_id.is_some() && record.owner_team == subject.team_id),
        Scope::Own => own,
    }
}

/// The roles every tenant starts with. Their keys are stable; their grants cannot be edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuiltinRole {
    Admin,
    Manager,
    User,
    Viewer,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 4] = [Self::Admin, Self::Manager, Self::User, Self::Viewer];

    pub fn key(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::User => "user",
            Self::Viewer => "viewer",
        }
    }

    /// French display name (the SPA translates by key).
    pub fn name(self) -> &'static str {
        match self {
            Self::Admin => "Administrateur",
            Self::Manager => "Responsable d'équipe",
            Self::User => "Utilisateur",
            Self::Viewer => "Lecteur",
        }
    }

    pub fn grants(self) -> Vec<Grant> {
        use Action::*;
        let g = |resource, action, scope| Grant {
            resource,
            action,
            scope,
        };
        let mut out = Vec::new();
        match self {
            Self::Admin => {
                for &r in Resource::ALL {
                    for &a in Action::ALL {
                        out.push(g(r, a, Scope::All));
                    }
                }
            }
            Self::Manager | Self::User => {
                let scope = if self == Self::Manager {
                    Scope::Team
                } else {
                    Scope::Own
                };
                for &r in Resource::OWNED {
                    for a in [Read, Create, Update, Delete, Export] {
                        out.push(g(r, a, scope));
                    }
                }
                if self == Self::Manager {
                    for &r in Resource::OWNED {
                        out.push(g(r, Import, Scope::Team));
                    }
                    out.push(g(Resource::Reports, Read, Scope::Team));
                }
                out.push(g(Resource::Products, Read, Scope::All));
                out.push(g(Resource::Users, Read, Scope::All));
                out.push(g(Resource::Teams, Read, Scope::All));
                out.push(g(Resource::Roles, Read, Scope::All));
            }
            Self::Viewer => {
                for &r in Resource::OWNED {
                    out.push(g(r, Read, Scope::All));
                }
                for r in [
                    Resource::Products,
                    Resource::Users,
                    Resource::Teams,
                    Resource::Roles,
                    Resource::Reports,
                ] {
                    out.push(g(r, Read, Scope::All));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(team: Option<TeamId>) -> Subject {
        Subject {
            user_id: UserId::new(),
            team_id: team,
        }
    }

    /// One table drives the whole matrix: role, action, whose record, expected answer.
    #[test]
    fn permission_matrix() {
        #[derive(Clone, Copy, Debug)]
        enum Whose {
            Collection,
            Mine,
            Teammate,
            Stranger,
            Unowned,
        }
        use Action::*;
        use BuiltinRole::*;
        use Whose::*;
        let cases: &[(BuiltinRole, Action, Whose, bool)] = &[
            (Admin, Read, Stranger, true),
            (Admin, Delete, Stranger, true),
            (Admin, Manage, Collection, true),
            (Manager, Read, Mine, true),
            (Manager, Read, Teammate, true),
            (Manager, Update, Teammate, true),
            (Manager, Read, Stranger, false),
            (Manager, Delete, Stranger, false),
            (Manager, Import, Collection, true),
            (Manager, Manage, Collection, false),
            (User, Read, Mine, true),
            (User, Update, Mine, true),
            (User, Create, Collection, true),
            (User, Read, Teammate, false),
            (User, Read, Stranger, false),
            (User, Read, Unowned, false),
            (User, Import, Collection, false),
            (Viewer, Read, Stranger, true),
            (Viewer, Read, Collection, true),
            (Viewer, Create, Collection, false),
            (Viewer, Update, Mine, false),
            (Viewer, Delete, Mine, false),
            (Viewer, Export, Collection, false),
        ];
        let team = TeamId::new();
        for &(role, action, whose, expected) in cases {
            let me = subject(Some(team));
            let teammate = UserId::new();
            let record = match whose {
                Collection => None,
                Mine => Some(RecordOwner {
                    owner_id: Some(me.user_id),
                    owner_team: Some(team),
                }),
                Teammate => Some(RecordOwner {
                    owner_id: Some(teammate),
                    owner_team: Some(team),
                }),
                Stranger => Some(RecordOwner {
                    owner_id: Some(UserId::new()),
                    owner_team: Some(TeamId::new()),
                }),
                Unowned => Some(RecordOwner {
                    owner_id: None,
                    owner_team: None,
                }),
            };
            let grants = Grants::new(role.grants());
            assert_eq!(
                grants.authorize(&me, Resource::Organisations, action, record.as_ref()),
                expected,
                "{role:?} {action:?} {whose:?}"
            );
        }
    }

    #[test]
    fn only_admins_manage_users_roles_and_keys() {
        let me = subject(None);
        for role in BuiltinRole::ALL {
            let grants = Grants::new(role.grants());
            for r in [
                Resource::Users,
                Resource::Roles,
                Resource::Teams,
                Resource::ApiKeys,
            ] {
                assert_eq!(
                    grants.authorize(&me, r, Action::Create, None),
                    role == BuiltinRole::Admin,
                    "{role:?} {r:?}"
                );
            }
        }
    }

    #[test]
    fn team_scope_without_a_team_is_own_scope() {
        let me = subject(None);
        let other = RecordOwner {
            owner_id: Some(UserId::new()),
            owner_team: None,
        };
        assert!(!scope_covers(Scope::Team, &me, &other));
        let mine = RecordOwner {
            owner_id: Some(me.user_id),
            owner_team: None,
        };
        assert!(scope_covers(Scope::Team, &me, &mine));
    }

    #[test]
    fn widest_scope_wins_and_subset() {
        let read = |scope| Grant {
            resource: Resource::People,
            action: Action::Read,
            scope,
        };
        let g = Grants::new([read(Scope::Own), read(Scope::Team)]);
        assert_eq!(g.scope(Resource::People, Action::Read), Some(Scope::Team));
        assert_eq!(g.scope(Resource::People, Action::Delete), None);
        let admin = Grants::new(BuiltinRole::Admin.grants());
        assert!(g.is_subset_of(&admin));
        assert!(!admin.is_subset_of(&g));
        let viewer = Grants::new(BuiltinRole::Viewer.grants());
        assert!(!Grants::new([read(Scope::All)]).is_subset_of(&Grants::new([read(Scope::Team)])));
        assert!(viewer.is_subset_of(&admin));
    }

    #[test]
    fn codes_round_trip() {
        for &r in Resource::ALL {
            assert_eq!(Resource::from_code(r.code()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.code())
            );
        }
        for &a in Action::ALL {
            assert_eq!(Action::from_code(a.code()), Some(a));
        }
        assert_eq!(Resource::from_code("nope"), None);
    }
}
