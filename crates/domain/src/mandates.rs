//! Mandates (SPEC CRM-3): the status flow and mandate numbers.

use crate::values::ValueError;
use serde::{Deserialize, Serialize};

code_enum!(
    /// Where a mandate stands. The flow is draft → proposed → signed → active → terminated,
    /// with shortcuts; see [`MandateStatus::check_transition`].
    MandateStatus {
        Draft => "draft",
        Proposed => "proposed",
        Signed => "signed",
        Active => "active",
        Terminated => "terminated",
    }
);

/// A status change the flow does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a mandate cannot go from {} to {}", from.code(), to.code())]
pub struct InvalidTransition {
    pub from: MandateStatus,
    pub to: MandateStatus,
}

impl MandateStatus {
    /// Is moving from `self` to `to` allowed? Staying in the same status is not a move and is
    /// always fine. Allowed moves: draft → proposed → signed → active → terminated, draft →
    /// signed (signed without a proposal), proposed → draft (back to editing), and any status
    /// but terminated → terminated. Terminated is final.
    pub fn check_transition(self, to: Self) -> Result<(), InvalidTransition> {
        use MandateStatus::*;
        let ok = self == to
            || matches!(
                (self, to),
                (Draft, Proposed)
                    | (Draft, Signed)
                    | (Proposed, Draft)
                    | (Proposed, Signed)
                    | (Signed, Active)
            )
            || (to == Terminated && self != Terminated);
        if ok {
            Ok(())
        } else {
            Err(InvalidTransition { from: self, to })
        }
    }

    /// The statuses reachable from `self` in one move (not counting staying put).
    pub fn next(self) -> Vec<Self> {
        Self::ALL
            .iter()
            .copied()
            .filter(|&to| to != self && self.check_transition(to).is_ok())
            .collect()
    }

    /// Statuses in which the mandate has been signed (and so carries `signed_at`).
    pub fn is_signed(self) -> bool {
        matches!(self, Self::Signed | Self::Active | Self::Terminated)
    }
}

/// A mandate number as the firm writes it (`M-2026-001`): trimmed, upper-cased, 1–40
/// characters of letters, digits, `-`, `_`, `.` and `/`.
pub fn parse_mandate_number(raw: &str) -> Result<String, ValueError> {
    let s = raw.trim().to_ascii_uppercase();
    if s.is_empty() {
        return Err(ValueError::new("required", "a number is required"));
    }
    if s.chars().count() > 40 {
        return Err(ValueError::new("too_long", "at most 40 characters"));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "-_./".contains(c))
    {
        return Err(ValueError::new(
            "invalid_number",
            "letters, digits, `-`, `_`, `.` and `/` only",
        ));
    }
    Ok(s)
}

/// The generated number of the `n`-th mandate of `year`: `M-2026-001` (more digits past 999).
pub fn mandate_number(year: i32, n: i64) -> String {
    format!("M-{year}-{n:03}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use MandateStatus::*;

    #[test]
    fn the_flow() {
        let allowed = [
            (Draft, Proposed),
            (Proposed, Signed),
            (Signed, Active),
            (Active, Terminated),
            (Draft, Signed),
            (Proposed, Draft),
            (Draft, Terminated),
            (Proposed, Terminated),
            (Signed, Terminated),
        ];
        for &from in MandateStatus::ALL {
            assert!(from.check_transition(from).is_ok(), "{from:?} stays");
            for &to in MandateStatus::ALL {
                if from == to {
                    continue;
                }
                assert_eq!(
                    from.check_transition(to).is_ok(),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn refusals_name_both_ends() {
        let e = Active.check_transition(Draft).unwrap_err();
        assert_eq!(
            e,
            InvalidTransition {
                from: Active,
                to: Draft
            }
        );
        assert_eq!(e.to_string(), "a mandate cannot go from active to draft");
        for to in [Draft, Proposed, Signed, Active] {
            assert!(
                Terminated.check_transition(to).is_err(),
                "terminated is final"
            );
        }
        assert!(Signed.check_transition(Proposed).is_err(), "no un-signing");
        assert!(Draft.check_transition(Active).is_err(), "sign first");
        assert_eq!(Draft.next(), vec![Proposed, Signed, Terminated]);
        assert_eq!(Terminated.next(), vec![]);
        assert!(Active.is_signed() && !Proposed.is_signed());
    }

    #[test]
    fn numbers() {
        assert_eq!(mandate_number(2026, 1), "M-2026-001");
        assert_eq!(mandate_number(2026, 42), "M-2026-042");
        assert_eq!(mandate_number(2026, 1234), "M-2026-1234");
        assert_eq!(parse_mandate_number(" m-2025-007 ").unwrap(), "M-2025-007");
        assert_eq!(parse_mandate_number("2025/12").unwrap(), "2025/12");
        assert_eq!(parse_mandate_number("").unwrap_err().code, "required");
        assert_eq!(
            parse_mandate_number("M 2025").unwrap_err().code,
            "invalid_number"
        );
        assert_eq!(
            parse_mandate_number(&"1".repeat(41)).unwrap_err().code,
            "too_long"
        );
    }
}
