//! Tasks (SPEC CRM-5): priorities, the status life cycle, what a task can be linked to, and
//! the rules for completion and assignment notices.

use crate::{access::Resource, ids::UserId, values::ValueError};
use serde::{Deserialize, Serialize};

code_enum!(
    /// How urgent a task is. Ordered from `low` to `urgent`.
    TaskPriority {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

code_enum!(
    /// Where a task stands. `done` and `cancelled` are closed; any move is allowed.
    TaskStatus {
        Todo => "todo",
        InProgress => "in_progress",
        Done => "done",
        Cancelled => "cancelled",
    }
);

code_enum!(
    /// The kind of record a task is about.
    TaskRecordType {
        Organisation => "organisation",
        Person => "person",
        Mandate => "mandate",
    }
);

impl TaskStatus {
    /// Open tasks can be overdue; closed ones never are.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Todo | Self::InProgress)
    }
}

impl TaskRecordType {
    /// The resource whose read permission decides whether the caller may link to the record.
    pub fn resource(self) -> Resource {
        match self {
            Self::Organisation => Resource::Organisations,
            Self::Person => Resource::People,
            Self::Mandate => Resource::Mandates,
        }
    }
}

/// Longest title, in characters.
pub const TITLE_MAX_CHARS: usize = 200;
/// Longest description, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 20_000;

/// A title: trimmed, 1–200 characters, no control characters.
pub fn parse_title(raw: &str) -> Result<String, ValueError> {
    let s = crate::interactions::required_text(raw, TITLE_MAX_CHARS)?;
    if s.contains(['\n', '\r', '\t']) {
        return Err(ValueError::new("invalid_characters", "a title is one line"));
    }
    Ok(s)
}

/// What a status change does to `completed_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// The task became done: stamp it now (and emit `task.completed`).
    Complete,
    /// The task left `done`: clear the stamp.
    Reopen,
    /// Nothing to do.
    Keep,
}

/// The completion effect of moving from `from` (`None` when the task is being created) to `to`.
pub fn completion(from: Option<TaskStatus>, to: TaskStatus) -> Completion {
    match (from, to) {
        (Some(TaskStatus::Done), TaskStatus::Done) => Completion::Keep,
        (_, TaskStatus::Done) => Completion::Complete,
        (Some(TaskStatus::Done), _) => Completion::Reopen,
        _ => Completion::Keep,
    }
}

/// Is this an assignment to notify (`task.assigned`)? When the task gets a new assignee who is
/// not the person making the change: nobody needs telling that they took a task themselves.
pub fn notifies_assignee(
    previous: Option<UserId>,
    assignee: Option<UserId>,
    actor: UserId,
) -> bool {
    match assignee {
        Some(a) => previous != Some(a) && a != actor,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskStatus::*;

    #[test]
    fn completion_follows_status() {
        assert_eq!(completion(None, Todo), Completion::Keep);
        assert_eq!(completion(None, Done), Completion::Complete);
        assert_eq!(completion(Some(Todo), Done), Completion::Complete);
        assert_eq!(completion(Some(Cancelled), Done), Completion::Complete);
        assert_eq!(completion(Some(Done), Done), Completion::Keep);
        assert_eq!(completion(Some(Done), InProgress), Completion::Reopen);
        assert_eq!(completion(Some(Done), Cancelled), Completion::Reopen);
        assert_eq!(completion(Some(Todo), InProgress), Completion::Keep);
        assert!(Todo.is_open() && InProgress.is_open());
        assert!(!Done.is_open() && !Cancelled.is_open());
    }

    #[test]
    fn assignment_notices() {
        let (me, you, them) = (UserId::new(), UserId::new(), UserId::new());
        assert!(
            notifies_assignee(None, Some(you), me),
            "new task for someone else"
        );
        assert!(!notifies_assignee(None, Some(me), me), "my own task");
        assert!(notifies_assignee(Some(me), Some(you), me), "handed over");
        assert!(
            notifies_assignee(Some(them), Some(you), me),
            "reassigned by a manager"
        );
        assert!(!notifies_assignee(Some(you), Some(you), me), "unchanged");
        assert!(!notifies_assignee(Some(you), Some(me), me), "taken back");
        assert!(!notifies_assignee(Some(you), None, me), "unassigned");
    }

    #[test]
    fn codes_and_titles() {
        assert_eq!(TaskStatus::from_code("in_progress"), Some(InProgress));
        assert_eq!(
            TaskPriority::from_code("urgent"),
            Some(TaskPriority::Urgent)
        );
        assert!(TaskPriority::Low < TaskPriority::Urgent);
        assert_eq!(
            TaskRecordType::from_code("person").map(TaskRecordType::resource),
            Some(Resource::People)
        );
        assert_eq!(TaskRecordType::from_code("product"), None);
        assert_eq!(parse_title("  Call back ").unwrap(), "Call back");
        assert_eq!(parse_title("").unwrap_err().code, "required");
        assert_eq!(parse_title(&"x".repeat(201)).unwrap_err().code, "too_long");
        assert_eq!(parse_title("a\nb").unwrap_err().code, "invalid_characters");
    }
}
