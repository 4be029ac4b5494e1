//! CRM values: organisation kinds, categories, the pipeline, contact details, tags, amounts.

use crate::values::ValueError;
use serde::{Deserialize, Serialize};

code_enum!(
    /// What an organisation is to the firm.
    OrganisationType {
        Investor => "investor",
        Supplier => "supplier",
        Distributor => "distributor",
        Issuer => "issuer",
    }
);

code_enum!(
    /// Product family an organisation deals in.
    Category {
        Opcvm => "opcvm",
        Etf => "etf",
        Scpi => "scpi",
        Sci => "sci",
        LifeInsurance => "life_insurance",
        PrivateEquity => "private_equity",
        Other => "other",
    }
);

code_enum!(
    /// Sales pipeline: PROSPECT → QUALIFICATION → PROPOSITION → SIGNED, or LOST. Any move,
    /// including backwards, is allowed and recorded.
    PipelineStage {
        Prospect => "prospect",
        Qualification => "qualification",
        Proposition => "proposition",
        Signed => "signed",
        Lost => "lost",
    }
);

impl PipelineStage {
    /// Position in the funnel (LOST sits apart, after SIGNED).
    pub fn rank(self) -> u8 {
        match self {
            Self::Prospect => 0,
            Self::Qualification => 1,
            Self::Proposition => 2,
            Self::Signed => 3,
            Self::Lost => 4,
        }
    }

    /// Closed stages do not count as "stuck".
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Signed | Self::Lost)
    }

    /// A move to an earlier stage of the funnel (recorded like any other change).
    pub fn is_backwards(from: Self, to: Self) -> bool {
        !from.is_closed() && !to.is_closed() && to.rank() < from.rank()
            || from.is_closed() && !to.is_closed()
    }
}

fn check_len(s: &str, max: usize) -> Result<(), ValueError> {
    if s.chars().count() > max {
        return Err(ValueError::new(
            "too_long",
            format!("at most {max} characters"),
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ValueError::new(
            "invalid_characters",
            "control characters are not allowed",
        ));
    }
    Ok(())
}

/// Optional free text: trimmed, `None` when empty, at most `max` characters.
pub fn optional_text(raw: Option<&str>, max: usize) -> Result<Option<String>, ValueError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            check_len(s, max)?;
            Ok(Some(s.to_owned()))
        }
    }
}

/// A phone number as people write it: digits with spaces, dots, dashes, parentheses and an
/// optional leading `+`; 6 to 20 digits.
pub fn parse_phone(raw: &str) -> Result<String, ValueError> {
    let s = raw.trim();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let ok = s
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " .-()/".contains(c) || (c == '+' && i == 0));
    if !ok || !(6..=20).contains(&digits) {
        return Err(ValueError::new("invalid_phone", "not a phone number"));
    }
    Ok(s.to_owned())
}

/// A web site: `http(s)://host…`; a bare host gets `https://`.
pub fn parse_website(raw: &str) -> Result<String, ValueError> {
    let s = raw.trim();
    let full = if s.starts_with("http://") || s.starts_with("https://") {
        s.to_owned()
    } else {
        format!("https://{s}")
    };
    let host = full
        .split_once("://")
        .map(|(_, r)| r.split(['/', '?', '#']).next().unwrap_or(""))
        .unwrap_or("");
    let ok = host.contains('.')
        && !host.starts_with('.')
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || ".-:".contains(c))
        && full.len() <= 500
        && !full.chars().any(char::is_whitespace);
    if !ok {
        return Err(ValueError::new("invalid_url", "not a web address"));
    }
    Ok(full)
}

/// ISO 3166-1 alpha-2 country code, upper-cased (`FR`).
pub fn parse_country(raw: &str) -> Result<String, ValueError> {
    let s = raw.trim().to_ascii_uppercase();
    if s.len() != 2 || !s.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(ValueError::new(
            "invalid_country",
            "a two-letter ISO country code such as FR",
        ));
    }
    Ok(s)
}

/// Tags: trimmed, 1–50 characters each, at most 20, duplicates (case-insensitive) removed.
pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, ValueError> {
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > 50 || t.chars().any(char::is_control) {
            return Err(ValueError::new("invalid_tag", "tags are 1–50 characters"));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            out.push(t.to_owned());
        }
    }
    if out.len() > 20 {
        return Err(ValueError::new("too_many_tags", "at most 20 tags"));
    }
    Ok(out)
}

/// A money amount in euros: ≥ 0, at most 2 decimals, below 10^15.
pub fn check_amount(v: f64) -> Result<f64, ValueError> {
    if !v.is_finite() || v < 0.0 {
        return Err(ValueError::new("invalid_amount", "a positive amount"));
    }
    if v >= 1e15 {
        return Err(ValueError::new("invalid_amount", "the amount is too large"));
    }
    let cents = (v * 100.0).round();
    if ((cents / 100.0) - v).abs() > 1e-6 {
        return Err(ValueError::new("invalid_amount", "at most 2 decimals"));
    }
    Ok(cents / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages() {
        use PipelineStage::*;
        assert!(PipelineStage::is_backwards(Proposition, Qualification));
        assert!(!PipelineStage::is_backwards(Prospect, Qualification));
        assert!(PipelineStage::is_backwards(Lost, Prospect));
        assert!(!PipelineStage::is_backwards(Proposition, Lost));
        assert!(Signed.is_closed() && Lost.is_closed() && !Prospect.is_closed());
        assert_eq!(
            PipelineStage::from_code("qualification"),
            Some(Qualification)
        );
        assert_eq!(
            Category::from_code("life_insurance"),
            Some(Category::LifeInsurance)
        );
    }

    #[test]
    fn contact_details() {
        assert_eq!(
            parse_phone(" +33 1 42 00 00 00 ").unwrap(),
            "+33 1 42 00 00 00"
        );
        assert_eq!(parse_phone("01.42.00.00.00").unwrap(), "01.42.00.00.00");
        for bad in [
            "12",
            "abc",
            "1+2345678",
            "+33 1 42 00 00 00 00 00 00 00 00 00",
        ] {
            assert_eq!(parse_phone(bad).unwrap_err().code, "invalid_phone", "{bad}");
        }
        assert_eq!(parse_website("acme.fr").unwrap(), "https://acme.fr");
        assert_eq!(
            parse_website("http://acme.fr/x").unwrap(),
            "http://acme.fr/x"
        );
        assert!(parse_website("not a url").is_err());
        assert!(parse_website("https://localhost").is_err());
        assert_eq!(parse_country("fr").unwrap(), "FR");
        assert!(parse_country("France").is_err());
    }

    #[test]
    fn tags_and_amounts() {
        let tags = parse_tags(&["VIP".into(), " vip ".into(), "Paris".into()]).unwrap();
        assert_eq!(tags, vec!["VIP", "Paris"]);
        assert!(parse_tags(&["".into()]).is_err());
        assert!(parse_tags(&(0..21).map(|i| i.to_string()).collect::<Vec<_>>()).is_err());
        assert_eq!(check_amount(1250.5).unwrap(), 1250.5);
        assert!(check_amount(-1.0).is_err());
        assert!(check_amount(1.005).is_err());
        assert!(check_amount(f64::NAN).is_err());
        assert_eq!(optional_text(Some("  "), 10).unwrap(), None);
        assert_eq!(
            optional_text(Some(" a "), 10).unwrap().as_deref(),
            Some("a")
        );
        assert!(optional_text(Some("abcdefghijk"), 10).is_err());
    }
}
