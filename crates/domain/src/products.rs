//! Products (SPEC CRM-3): the ISIN and the product code a product is known by.

use crate::values::ValueError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An International Securities Identification Number (ISO 6166): a 2-letter country prefix,
/// 9 alphanumerics and a check digit computed with the Luhn algorithm over the digits
/// obtained by writing each letter as its number (A = 10 … Z = 35).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Isin(String);

impl Isin {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        let shape = b.len() == 12
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..11].iter().all(u8::is_ascii_alphanumeric)
            && b[11].is_ascii_digit();
        if !shape {
            return Err(ValueError::new(
                "invalid_isin",
                "an ISIN is 2 letters, 9 letters or digits and a check digit",
            ));
        }
        if !luhn_ok(&s) {
            return Err(ValueError::new(
                "invalid_isin",
                "the ISIN check digit does not match",
            ));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ISO 3166-1 country (or `XS`, `EU`…) prefix.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}

/// Luhn over the ISIN's characters expanded to digits (letters become two digits).
fn luhn_ok(s: &str) -> bool {
    let mut digits: Vec<u32> = Vec::with_capacity(24);
    for c in s.chars() {
        match c.to_digit(36) {
            Some(v) if v >= 10 => {
                digits.push(v / 10);
                digits.push(v % 10);
            }
            Some(v) => digits.push(v),
            None => return false,
        }
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl TryFrom<String> for Isin {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Isin> for String {
    fn from(i: Isin) -> Self {
        i.0
    }
}

impl fmt::Display for Isin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a product is known by: its ISIN, or a firm-internal code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ProductCode {
    Isin(Isin),
    /// 1–40 characters of `A–Z`, `0–9`, `-`, `_`, `.`.
    Internal(String),
}

impl ProductCode {
    pub const MAX_CHARS: usize = 40;

    /// Trim and upper-case. A code that looks like an ISIN (12 letters or digits, the first two
    /// letters) must be a valid one, so a mistyped ISIN is caught rather than stored as an
    /// internal code; anything else must be a well-formed internal code.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim().to_ascii_uppercase();
        if s.is_empty() {
            return Err(ValueError::new("required", "a code is required"));
        }
        if Self::looks_like_isin(&s) {
            return Isin::parse(&s).map(Self::Isin);
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(ValueError::new(
                "too_long",
                format!("at most {} characters", Self::MAX_CHARS),
            ));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "-_.".contains(c))
        {
            return Err(ValueError::new(
                "invalid_code",
                "an ISIN, or letters, digits, `-`, `_` and `.`",
            ));
        }
        Ok(Self::Internal(s))
    }

    fn looks_like_isin(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 12
            && b[..2].iter().all(u8::is_ascii_alphabetic)
            && b.iter().all(u8::is_ascii_alphanumeric)
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Isin(i) => i.as_str(),
            Self::Internal(s) => s,
        }
    }

    pub fn is_isin(&self) -> bool {
        matches!(self, Self::Isin(_))
    }
}

/// The code of the `attempt`-th copy of a product coded `code` (attempt 1, 2, …): the code
/// suffixed `-COPY`, then `-COPY2`, `-COPY3`…, cutting the original so the result stays within
/// [`ProductCode::MAX_CHARS`]. The result is always a well-formed internal code (an ISIN's
/// copy is not an ISIN); the caller picks the first attempt that is free.
pub fn copy_code(code: &str, attempt: u32) -> String {
    let suffix = if attempt <= 1 {
        "-COPY".to_owned()
    } else {
        format!("-COPY{attempt}")
    };
    let keep = ProductCode::MAX_CHARS.saturating_sub(suffix.len());
    let base: String = code
        .trim()
        .to_ascii_uppercase()
        .chars()
        .filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "-_.".contains(*c))
        .take(keep)
        .collect();
    format!("{base}{suffix}")
}

impl fmt::Display for ProductCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isin_check_digit() {
        for ok in [
            "FR0000120271", // TotalEnergies
            "US0378331005", // Apple
            "US5949181045", // Microsoft
            "GB0002634946", // BAE Systems
            "DE000BAY0017", // Bayer
            "LU0274208692",
            " fr0000120271 ",
        ] {
            let isin = Isin::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(isin.as_str(), ok.trim().to_ascii_uppercase());
        }
        assert_eq!(Isin::parse("FR0000120271").unwrap().country(), "FR");
        for bad in [
            "FR0000120272", // wrong check digit
            "US0378331006",
            "FR000012027",   // 11 characters
            "FR00001202711", // 13
            "120000120271",  // no country prefix
            "FR000012027X",  // check character not a digit
            "FR00001202-1",
            "",
        ] {
            assert_eq!(Isin::parse(bad).unwrap_err().code, "invalid_isin", "{bad}");
        }
    }

    #[test]
    fn copies_get_a_suffixed_internal_code() {
        assert_eq!(copy_code("FR0010135103", 1), "FR0010135103-COPY");
        assert_eq!(copy_code("FR0010135103", 2), "FR0010135103-COPY2");
        let long = "A".repeat(40);
        let c = copy_code(&long, 12);
        assert_eq!(c.len(), ProductCode::MAX_CHARS);
        assert!(c.ends_with("-COPY12"));
        for code in ["FR0010135103", "ab", &long, "X.Y_Z-1"] {
            for n in 1..4 {
                let c = copy_code(code, n);
                let parsed = ProductCode::parse(&c).unwrap_or_else(|e| panic!("{c}: {e}"));
                assert!(!parsed.is_isin(), "{c}");
                assert_eq!(parsed.as_str(), c);
            }
        }
    }

    #[test]
    fn isin_serde_validates() {
        let i: Isin = serde_json::from_str("\"us0378331005\"").unwrap();
        assert_eq!(i.to_string(), "US0378331005");
        assert!(serde_json::from_str::<Isin>("\"US0378331006\"").is_err());
    }

    #[test]
    fn product_codes() {
        let c = ProductCode::parse("fr0000120271").unwrap();
        assert!(c.is_isin());
        assert_eq!(c.as_str(), "FR0000120271");
        // Looks like an ISIN, so it must be one.
        assert_eq!(
            ProductCode::parse("FR0000120272").unwrap_err().code,
            "invalid_isin"
        );
        assert_eq!(
            ProductCode::parse("ABCDEFGHIJKL").unwrap_err().code,
            "invalid_isin"
        );
        let c = ProductCode::parse(" scpi-rivoli_2.0 ").unwrap();
        assert!(!c.is_isin());
        assert_eq!(c.as_str(), "SCPI-RIVOLI_2.0");
        // 12 characters but not all alphanumeric: an internal code.
        assert_eq!(
            ProductCode::parse("AB-123456789").unwrap().as_str(),
            "AB-123456789"
        );
        assert_eq!(ProductCode::parse("12345").unwrap().as_str(), "12345");
        assert_eq!(ProductCode::parse("  ").unwrap_err().code, "required");
        assert_eq!(
            ProductCode::parse("code with spaces").unwrap_err().code,
            "invalid_code"
        );
        assert_eq!(ProductCode::parse("é").unwrap_err().code, "invalid_code");
        assert_eq!(
            ProductCode::parse(&"A".repeat(41)).unwrap_err().code,
            "too_long"
        );
        assert!(ProductCode::parse(&"A".repeat(40)).is_ok());
    }
}
