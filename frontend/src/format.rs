//! Dates, numbers and euro amounts as French or English readers expect them.
//!
//! Pure functions of (language, value, time-zone offset) so that they are tested on the host;
//! the browser only supplies its UTC offset.

use crate::i18n::Lang;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Utc};

/// French groups digits with a narrow no-break space and puts the unit after a no-break space.
const FR_GROUP: char = '\u{202f}';
const NBSP: char = '\u{a0}';

const MONTHS_FR: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn local(at: DateTime<Utc>, offset_minutes: i32) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(offset_minutes * 60)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    at.with_timezone(&offset)
}

/// A calendar date: `22 nov. 2026` / `Nov 22, 2026`.
pub fn date(lang: Lang, at: DateTime<Utc>, offset_minutes: i32) -> String {
    let d = local(at, offset_minutes);
    let m = d.month0() as usize;
    match lang {
        Lang::Fr => format!("{} {} {}", d.day(), MONTHS_FR[m], d.year()),
        Lang::En => format!("{} {}, {}", MONTHS_EN[m], d.day(), d.year()),
    }
}

/// A calendar day without time zone (a mandate's start): `1 mars 2026` / `Mar 1, 2026`.
pub fn day(lang: Lang, d: NaiveDate) -> String {
    let m = d.month0() as usize;
    match lang {
        Lang::Fr => format!("{} {} {}", d.day(), MONTHS_FR[m], d.year()),
        Lang::En => format!("{} {}, {}", MONTHS_EN[m], d.day(), d.year()),
    }
}

/// A date and time: `22 nov. 2026 à 14:05` / `Nov 22, 2026, 2:05 PM`.
pub fn date_time(lang: Lang, at: DateTime<Utc>, offset_minutes: i32) -> String {
    let d = local(at, offset_minutes);
    let day = date(lang, at, offset_minutes);
    match lang {
        Lang::Fr => format!("{day} à {:02}:{:02}", d.hour(), d.minute()),
        Lang::En => {
            let (pm, h) = d.hour12();
            let suffix = if pm { "PM" } else { "AM" };
            format!("{day}, {h}:{:02}{NBSP}{suffix}", d.minute())
        }
    }
}

/// Digits grouped by thousands.
fn group(int: u64, sep: char) -> String {
    let digits = int.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A number with up to `decimals` decimals (trailing zeros dropped): `1 234,5` / `1,234.5`.
pub fn number(lang: Lang, value: f64, decimals: u32) -> String {
    let (sep, point) = match lang {
        Lang::Fr => (FR_GROUP, ','),
        Lang::En => (',', '.'),
    };
    let scale = 10u64.pow(decimals);
    let scaled = (value.abs() * scale as f64).round() as u64;
    let (int, frac) = (scaled / scale, scaled % scale);
    let mut out = String::new();
    if value < 0.0 && scaled != 0 {
        out.push('-');
    }
    out += &group(int, sep);
    if frac != 0 {
        let frac = format!("{frac:0width$}", width = decimals as usize);
        out.push(point);
        out += frac.trim_end_matches('0');
    }
    out
}

/// A euro amount; cents only when there are some: `1 250 000 €`, `12,50 €` / `€1,250,000`,
/// `€12.50`.
pub fn amount(lang: Lang, euros: f64) -> String {
    let cents = (euros.abs() * 100.0).round() as u64;
    let sign = if euros < 0.0 && cents != 0 { "-" } else { "" };
    let (int, frac) = (cents / 100, cents % 100);
    match lang {
        Lang::Fr => {
            let frac = if frac == 0 {
                String::new()
            } else {
                format!(",{frac:02}")
            };
            format!("{sign}{}{frac}{NBSP}€", group(int, FR_GROUP))
        }
        Lang::En => {
            let frac = if frac == 0 {
                String::new()
            } else {
                format!(".{frac:02}")
            };
            format!("{sign}€{}{frac}", group(int, ','))
        }
    }
}

/// A file size: `812 o`, `12,3 Ko`, `4,5 Mo` / `812 B`, `12.3 KB`, `4.5 MB`.
pub fn bytes(lang: Lang, n: i64) -> String {
    let units: [&str; 4] = match lang {
        Lang::Fr => ["o", "Ko", "Mo", "Go"],
        Lang::En => ["B", "KB", "MB", "GB"],
    };
    let mut value = n.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let decimals = if unit == 0 { 0 } else { 1 };
    format!("{}{NBSP}{}", number(lang, value, decimals), units[unit])
}

/// Reads an amount typed by a person: spaces and the other language's separators are
/// tolerated (`1 250 000`, `1250000,5`, `1,250,000.50`, `12 €`). `None` when it is not a
/// number.
pub fn parse_amount(lang: Lang, raw: &str) -> Option<f64> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != FR_GROUP && *c != NBSP && *c != '€')
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    let normalised = match lang {
        // In French the comma is the decimal mark; a dot may still be used as one.
        Lang::Fr => cleaned.replace(',', "."),
        // In English commas only group digits.
        Lang::En => cleaned.replace(',', ""),
    };
    if normalised.matches('.').count() > 1
        || !normalised
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (c == '-' && i == 0))
    {
        return None;
    }
    normalised.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn dates_follow_the_language() {
        let t = at(2026, 11, 22, 13, 5);
        assert_eq!(date(Lang::Fr, t, 0), "22 nov. 2026");
        assert_eq!(date(Lang::En, t, 0), "Nov 22, 2026");
        assert_eq!(date_time(Lang::Fr, t, 60), "22 nov. 2026 à 14:05");
        assert_eq!(date_time(Lang::En, t, 60), "Nov 22, 2026, 2:05\u{a0}PM");
        assert_eq!(
            date_time(Lang::En, at(2026, 1, 1, 0, 7), 0),
            "Jan 1, 2026, 12:07\u{a0}AM"
        );
    }

    #[test]
    fn days_have_no_time_zone() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(day(Lang::Fr, d), "1 mars 2026");
        assert_eq!(day(Lang::En, d), "Mar 1, 2026");
    }

    #[test]
    fn dates_use_the_local_offset_across_midnight() {
        let t = at(2026, 12, 31, 23, 30);
        assert_eq!(date(Lang::Fr, t, 60), "1 janv. 2027");
        assert_eq!(date(Lang::En, t, -300), "Dec 31, 2026");
    }

    #[test]
    fn amounts_in_euros() {
        assert_eq!(
            amount(Lang::Fr, 1_250_000.0),
            "1\u{202f}250\u{202f}000\u{a0}€"
        );
        assert_eq!(amount(Lang::En, 1_250_000.0), "€1,250,000");
        assert_eq!(amount(Lang::Fr, 12.5), "12,50\u{a0}€");
        assert_eq!(amount(Lang::En, 12.5), "€12.50");
        assert_eq!(amount(Lang::Fr, 0.0), "0\u{a0}€");
        assert_eq!(amount(Lang::En, -999.999), "-€1,000");
        assert_eq!(amount(Lang::Fr, -0.001), "0\u{a0}€");
    }

    #[test]
    fn file_sizes() {
        assert_eq!(bytes(Lang::Fr, 812), "812\u{a0}o");
        assert_eq!(bytes(Lang::En, 12_595), "12.3\u{a0}KB");
        assert_eq!(bytes(Lang::Fr, 12_595), "12,3\u{a0}Ko");
        assert_eq!(bytes(Lang::En, 4_718_592), "4.5\u{a0}MB");
        assert_eq!(bytes(Lang::En, 2048), "2\u{a0}KB");
    }

    #[test]
    fn numbers_group_thousands() {
        assert_eq!(number(Lang::Fr, 1234.5, 2), "1\u{202f}234,5");
        assert_eq!(number(Lang::En, 1234.5, 2), "1,234.5");
        assert_eq!(number(Lang::En, 999.0, 0), "999");
        assert_eq!(number(Lang::En, 1000.0, 0), "1,000");
        assert_eq!(
            number(Lang::Fr, -1_000_000.0, 0),
            "-1\u{202f}000\u{202f}000"
        );
    }

    #[test]
    fn typed_amounts_are_read_leniently() {
        assert_eq!(parse_amount(Lang::Fr, "1 250 000"), Some(1_250_000.0));
        assert_eq!(parse_amount(Lang::Fr, "12,5 €"), Some(12.5));
        assert_eq!(parse_amount(Lang::Fr, "12.5"), Some(12.5));
        assert_eq!(parse_amount(Lang::En, "1,250,000.50"), Some(1_250_000.5));
        assert_eq!(parse_amount(Lang::En, "€12"), Some(12.0));
        assert_eq!(parse_amount(Lang::Fr, ""), None);
        assert_eq!(parse_amount(Lang::Fr, "douze"), None);
        assert_eq!(parse_amount(Lang::Fr, "1,2,3"), None);
        assert_eq!(parse_amount(Lang::En, "1.2.3"), None);
        assert_eq!(parse_amount(Lang::En, "1-2"), None);
    }

    #[test]
    fn formatted_amounts_read_back() {
        for lang in [Lang::Fr, Lang::En] {
            for v in [0.0, 12.5, 1_250_000.0, 987_654.32] {
                assert_eq!(
                    parse_amount(lang, &amount(lang, v)),
                    Some(v),
                    "{lang:?} {v}"
                );
            }
        }
    }
}
