//! Validated values. Each `parse` returns a stable error code that the API turns into a
//! field error (`{"field": "email", "code": "invalid_email"}`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was refused. `code` is stable and machine-readable; `message` is for humans.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    pub code: &'static str,
    pub message: String,
}

impl ValueError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// An email address, trimmed and lower-cased so that uniqueness is case-insensitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim().to_lowercase();
        let invalid = || ValueError::new("invalid_email", "not an email address");
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<EmailAddress> for String {
    fn from(e: EmailAddress) -> Self {
        e.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that satisfies the policy. Length is what matters (NIST SP 800-63B):
/// 12 to 128 characters, not only spaces, not a trivially repeated character.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(ValueError::new(
                "password_too_short",
                format!("at least {} characters", Self::MIN_CHARS),
            ));
        }
        if n > Self::MAX_CHARS {
            return Err(ValueError::new(
                "password_too_long",
                format!("at most {} characters", Self::MAX_CHARS),
            ));
        }
        let mut chars = raw.chars();
        let first = chars.next();
        if raw.trim().is_empty() || chars.all(|c| Some(c) == first) {
            return Err(ValueError::new("password_too_weak", "too easy to guess"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A display name (person, team, role, tenant): trimmed, 1–200 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ValueError::new("required", "must not be empty"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(ValueError::new(
                "too_long",
                format!("at most {} characters", Self::MAX_CHARS),
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(ValueError::new(
                "invalid_characters",
                "control characters are not allowed",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonName {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PersonName> for String {
    fn from(n: PersonName) -> Self {
        n.0
    }
}

/// A lower-case identifier used in URLs and role keys: `[a-z0-9][a-z0-9-]{1,62}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim();
        let ok = (2..=63).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !ok {
            return Err(ValueError::new(
                "invalid_slug",
                "2–63 characters: lower-case letters, digits, '-' or '_', starting with a letter or digit",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> Self {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            EmailAddress::parse("  Jean.Dupont@Example.FR ")
                .unwrap()
                .as_str(),
            "jean.dupont@example.fr"
        );
        for bad in [
            "", "a", "a@", "@b.fr", "a@b", "a@@b.fr", "a b@c.fr", "a@b..fr", "a@.b.fr", "a@b.fr.",
        ] {
            let err = EmailAddress::parse(bad).unwrap_err();
            assert_eq!(err.code, "invalid_email", "{bad:?}");
        }
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("correct horse battery").is_ok());
        assert_eq!(
            Password::parse("short").unwrap_err().code,
            "password_too_short"
        );
        assert_eq!(
            Password::parse("aaaaaaaaaaaaaaaa").unwrap_err().code,
            "password_too_weak"
        );
        assert_eq!(
            Password::parse(&"ab".repeat(65)).unwrap_err().code,
            "password_too_long"
        );
        assert_eq!(
            format!("{:?}", Password::parse("correct horse battery").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn names_and_slugs() {
        assert_eq!(
            PersonName::parse("  Équipe Paris ").unwrap().as_str(),
            "Équipe Paris"
        );
        assert_eq!(PersonName::parse("  ").unwrap_err().code, "required");
        assert_eq!(
            PersonName::parse("a\u{0}b").unwrap_err().code,
            "invalid_characters"
        );
        assert!(Slug::parse("acme-2").is_ok());
        for bad in ["A", "-acme", "acme corp", "x", "acmé"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
