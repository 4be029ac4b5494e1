//! People (contacts): names and the rules of their links to organisations.

use crate::values::ValueError;

/// Longest first or last name, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// Longest job title (on the person, or their role at one organisation).
pub const TITLE_MAX_CHARS: usize = 200;
/// How many organisations one person can be linked to.
pub const MAX_LINKS: usize = 100;

fn name(s: &str) -> Result<String, ValueError> {
    if s.chars().count() > NAME_MAX_CHARS {
        return Err(ValueError::new(
            "too_long",
            format!("at most {NAME_MAX_CHARS} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(ValueError::new(
            "invalid_characters",
            "control characters are not allowed",
        ));
    }
    Ok(s.to_owned())
}

/// A last name: trimmed, 1–100 characters, required.
pub fn parse_last_name(raw: &str) -> Result<String, ValueError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ValueError::new("required", "must not be empty"));
    }
    name(s)
}

/// A first name: trimmed, `None` when empty, at most 100 characters.
pub fn parse_first_name(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => name(s).map(Some),
    }
}

/// "First Last", or the last name alone.
pub fn full_name(first: Option<&str>, last: &str) -> String {
    match first.filter(|f| !f.is_empty()) {
        Some(f) => format!("{f} {last}"),
        None => last.to_owned(),
    }
}

/// Check a set of links (organisation ids with their primary flags) about to be written
/// together: no organisation twice, at most one primary. Returns the index and the code of
/// each offending entry.
pub fn check_links<T: PartialEq>(links: &[(T, bool)]) -> Vec<(usize, &'static str, ValueError)> {
    let mut errors = Vec::new();
    let mut primary_seen = false;
    for (i, (org, primary)) in links.iter().enumerate() {
        if links[..i].iter().any(|(o, _)| o == org) {
            errors.push((
                i,
                "organisation_id",
                ValueError::new("duplicate", "this organisation is listed twice"),
            ));
        }
        if *primary {
            if primary_seen {
                errors.push((
                    i,
                    "is_primary",
                    ValueError::new(
                        "multiple_primary",
                        "a person has at most one primary organisation",
                    ),
                ));
            }
            primary_seen = true;
        }
    }
    if links.len() > MAX_LINKS {
        errors.push((
            MAX_LINKS,
            "organisation_id",
            ValueError::new(
                "too_many_links",
                format!("at most {MAX_LINKS} organisations per person"),
            ),
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse_last_name("  Dupont ").unwrap(), "Dupont");
        assert_eq!(parse_last_name(" ").unwrap_err().code, "required");
        assert_eq!(
            parse_last_name(&"x".repeat(101)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            parse_last_name(&"é".repeat(100)).unwrap().chars().count(),
            100
        );
        assert_eq!(
            parse_last_name("A\u{7}B").unwrap_err().code,
            "invalid_characters"
        );
        assert_eq!(parse_first_name(Some("  ")).unwrap(), None);
        assert_eq!(parse_first_name(None).unwrap(), None);
        assert_eq!(
            parse_first_name(Some(" Anne ")).unwrap().as_deref(),
            Some("Anne")
        );
        assert!(parse_first_name(Some(&"y".repeat(101))).is_err());
        assert_eq!(full_name(Some("Anne"), "Dupont"), "Anne Dupont");
        assert_eq!(full_name(None, "Dupont"), "Dupont");
    }

    #[test]
    fn links() {
        assert!(check_links(&[(1, true), (2, false), (3, false)]).is_empty());
        let e = check_links(&[(1, true), (1, false), (2, true)]);
        let got: Vec<(usize, &str, &str)> = e.iter().map(|(i, f, v)| (*i, *f, v.code)).collect();
        assert_eq!(
            got,
            [
                (1, "organisation_id", "duplicate"),
                (2, "is_primary", "multiple_primary")
            ]
        );
        let many: Vec<(usize, bool)> = (0..=MAX_LINKS).map(|i| (i, false)).collect();
        assert_eq!(check_links(&many)[0].2.code, "too_many_links");
    }
}
