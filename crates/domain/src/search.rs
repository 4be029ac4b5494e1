//! Search (SPEC SRCH-1…4): what can be searched and what a query may be.

use crate::values::ValueError;
use serde::{Deserialize, Serialize};

code_enum!(
    /// The kinds of records global search covers, in the order their groups are shown.
    SearchType {
        Organisation => "organisation",
        Person => "person",
        Mandate => "mandate",
        Interaction => "interaction",
    }
);

/// Longest query accepted, in characters (after trimming).
pub const MAX_QUERY_CHARS: usize = 200;

/// A search text as typed: control characters (NUL included, which PostgreSQL text cannot
/// hold) become spaces, runs of white space collapse to one, the ends are trimmed. Every other
/// character is kept: the database parses the text as plain words, never as query syntax, so
/// `'`, `&`, `:*`, `!` or `\` are just punctuation.
pub fn parse_query(raw: &str) -> Result<String, ValueError> {
    let cleaned: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let q = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if q.is_empty() {
        return Err(ValueError::new("required", "type something to search for"));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ValueError::new(
            "too_long",
            format!("at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    Ok(q)
}

/// Whether the text uses web-search syntax (`"exact phrase"`, `a or b`, `-excluded`), in
/// which case it is matched exactly as written rather than with the looser word matching.
pub fn uses_web_syntax(q: &str) -> bool {
    q.contains('"')
        || q.split_whitespace()
            .any(|w| w.eq_ignore_ascii_case("or") || (w.len() > 1 && w.starts_with('-')))
}

/// Escape `%`, `_` and `\` for a LIKE pattern (with the default `\` escape).
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_cleaned_and_bounded() {
        assert_eq!(
            parse_query("  Société   Générale ").unwrap(),
            "Société Générale"
        );
        assert_eq!(parse_query("a\0b\tc\n").unwrap(), "a b c");
        assert_eq!(parse_query("' & :* ! \\").unwrap(), "' & :* ! \\");
        assert_eq!(parse_query("").unwrap_err().code, "required");
        assert_eq!(parse_query(" \0 \t").unwrap_err().code, "required");
        assert_eq!(parse_query(&"é".repeat(200)).unwrap().chars().count(), 200);
        assert_eq!(parse_query(&"é".repeat(201)).unwrap_err().code, "too_long");
    }

    #[test]
    fn web_syntax_is_detected() {
        assert!(uses_web_syntax("\"société générale\""));
        assert!(uses_web_syntax("dupont or durand"));
        assert!(uses_web_syntax("dupont -jean"));
        assert!(!uses_web_syntax("jean-pierre dupont"));
        assert!(!uses_web_syntax("a - b"));
        assert!(!uses_web_syntax("gestionnaires orléans"));
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(escape_like("dupont"), "dupont");
    }

    #[test]
    fn search_types_have_stable_codes() {
        assert_eq!(SearchType::ALL.len(), 4);
        for t in SearchType::ALL {
            assert_eq!(SearchType::from_code(t.code()), Some(*t));
        }
        assert_eq!(SearchType::from_code("people"), None);
    }
}
