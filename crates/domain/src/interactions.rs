//! Interactions (SPEC CRM-4): what kind of contact it was and what was said.

use crate::values::ValueError;
use serde::{Deserialize, Serialize};

code_enum!(
    /// How the firm was in touch.
    InteractionKind {
        Call => "call",
        Meeting => "meeting",
        Email => "email",
        Note => "note",
    }
);

/// Longest summary, in characters.
pub const SUMMARY_MAX_CHARS: usize = 5000;

/// A summary: trimmed, 1–5000 characters; line breaks and tabs are kept, other control
/// characters are refused.
pub fn parse_summary(raw: &str) -> Result<String, ValueError> {
    required_text(raw, SUMMARY_MAX_CHARS)
}

/// Trimmed, non-empty, at most `max` characters, no control characters but line breaks and tabs.
pub(crate) fn required_text(raw: &str, max: usize) -> Result<String, ValueError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ValueError::new("required", "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(ValueError::new(
            "too_long",
            format!("at most {max} characters"),
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ValueError::new(
            "invalid_characters",
            "control characters are not allowed",
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for &k in InteractionKind::ALL {
            assert_eq!(InteractionKind::from_code(k.code()), Some(k));
        }
        assert_eq!(InteractionKind::from_code("visit"), None);
    }

    #[test]
    fn summaries() {
        assert_eq!(
            parse_summary("  Called about the SCPI fund.\nFollow up in May. ").unwrap(),
            "Called about the SCPI fund.\nFollow up in May."
        );
        assert_eq!(parse_summary(" \n ").unwrap_err().code, "required");
        assert!(parse_summary(&"x".repeat(5000)).is_ok());
        assert_eq!(
            parse_summary(&"é".repeat(5001)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            parse_summary("bell\u{7}").unwrap_err().code,
            "invalid_characters"
        );
    }
}
