//! Translations. Every user-facing string lives in `locales/fr.json` and `locales/en.json`
//! (flat `"area.key": "text"` maps, `{name}` placeholders); the code only names keys. Tests
//! check that both files have the same keys and that every key the code uses exists.

use relais_types::Locale;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The interface language. French is the default (SPEC UI-5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// From a stored code or a browser language tag (`en-GB` → English); French otherwise.
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Fr
        }
    }

    pub fn locale(self) -> Locale {
        match self {
            Lang::Fr => Locale::Fr,
            Lang::En => Locale::En,
        }
    }

    pub fn from_locale(locale: Locale) -> Lang {
        match locale {
            Locale::Fr => Lang::Fr,
            Locale::En => Lang::En,
        }
    }
}

pub const FR_JSON: &str = include_str!("../locales/fr.json");
pub const EN_JSON: &str = include_str!("../locales/en.json");

type Table = HashMap<String, String>;

fn table(lang: Lang) -> &'static Table {
    static FR: OnceLock<Table> = OnceLock::new();
    static EN: OnceLock<Table> = OnceLock::new();
    let (cell, json) = match lang {
        Lang::Fr => (&FR, FR_JSON),
        Lang::En => (&EN, EN_JSON),
    };
    // The files are compiled in and checked by the tests, so a parse failure cannot ship.
    cell.get_or_init(|| serde_json::from_str(json).unwrap_or_default())
}

/// The text for `key`, or the key itself when missing (visible, never a blank).
pub fn t(lang: Lang, key: &str) -> String {
    lookup(lang, key).unwrap_or(key).to_owned()
}

/// The text for `key` when there is one.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    table(lang).get(key).map(String::as_str)
}

/// The text for `key` with `{name}` placeholders replaced.
pub fn t_args(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = t(lang, key);
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_domain::crm::{Category, OrganisationType, PipelineStage};
    use relais_domain::interactions::InteractionKind;
    use relais_domain::mandates::MandateStatus;
    use relais_domain::tasks::{TaskPriority, TaskStatus};
    use std::collections::BTreeSet;
    use std::path::Path;

    fn keys(json: &str) -> BTreeSet<String> {
        let map: HashMap<String, String> = serde_json::from_str(json).expect("valid JSON map");
        for (k, v) in &map {
            assert!(!v.trim().is_empty(), "empty translation for {k}");
        }
        map.into_keys().collect()
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let fr = keys(FR_JSON);
        let en = keys(EN_JSON);
        let only_fr: Vec<_> = fr.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&fr).collect();
        assert!(only_fr.is_empty(), "missing in en.json: {only_fr:?}");
        assert!(only_en.is_empty(), "missing in fr.json: {only_en:?}");
    }

    #[test]
    fn placeholders_match_between_languages() {
        let holes = |s: &str| -> BTreeSet<String> {
            s.split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                .collect()
        };
        for key in keys(FR_JSON) {
            assert_eq!(
                holes(&t(Lang::Fr, &key)),
                holes(&t(Lang::En, &key)),
                "placeholders differ for {key}"
            );
        }
    }

    /// Every string literal in the sources shaped like a key of a known area (`"org.new"`,
    /// `"login.title"`) names an existing key, so a typo cannot show a raw key to a user.
    #[test]
    fn every_key_used_in_the_code_exists() {
        let fr = keys(FR_JSON);
        let areas: BTreeSet<&str> = fr.iter().filter_map(|k| k.split('.').next()).collect();
        let shaped = |s: &str| {
            s.contains('.')
                && !s.starts_with('.')
                && !s.ends_with('.')
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
        };
        let mut used = BTreeSet::new();
        let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // Odd-numbered pieces between quotes are literals (good enough here:
                    // the sources have no escaped quotes around keys).
                    for lit in text.split('"').skip(1).step_by(2) {
                        let area = lit.split('.').next().unwrap_or("");
                        if shaped(lit) && areas.contains(area) {
                            used.insert(lit.to_owned());
                        }
                    }
                }
            }
        }
        assert!(used.len() > 50, "the scan found only {} keys", used.len());
        let missing: Vec<_> = used.iter().filter(|k| !fr.contains(*k)).collect();
        assert!(
            missing.is_empty(),
            "keys used but not translated: {missing:?}"
        );
    }

    #[test]
    fn every_enum_value_has_a_label() {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(
            OrganisationType::ALL
                .iter()
                .map(|v| format!("org.type.{}", v.code())),
        );
        keys.extend(
            PipelineStage::ALL
                .iter()
                .map(|v| format!("org.stage.{}", v.code())),
        );
        keys.extend(
            Category::ALL
                .iter()
                .map(|v| format!("org.category.{}", v.code())),
        );
        keys.extend(
            MandateStatus::ALL
                .iter()
                .map(|v| format!("mandate.state.{}", v.code())),
        );
        keys.extend(
            InteractionKind::ALL
                .iter()
                .map(|v| format!("interaction.kinds.{}", v.code())),
        );
        keys.extend(
            TaskStatus::ALL
                .iter()
                .map(|v| format!("task.statuses.{}", v.code())),
        );
        keys.extend(
            TaskPriority::ALL
                .iter()
                .map(|v| format!("task.priorities.{}", v.code())),
        );
        for lang in Lang::ALL {
            for k in &keys {
                assert!(lookup(lang, k).is_some(), "{lang:?} lacks {k}");
            }
        }
    }

    #[test]
    fn language_tags_and_placeholders() {
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(Lang::from_tag("EN"), Lang::En);
        assert_eq!(Lang::from_tag("fr-FR"), Lang::Fr);
        assert_eq!(Lang::from_tag("de"), Lang::Fr);
        assert_eq!(Lang::from_tag(""), Lang::Fr);
        assert_eq!(
            t_args(Lang::En, "list.count", &[("n", "3")]),
            t(Lang::En, "list.count").replace("{n}", "3")
        );
        assert_eq!(t(Lang::Fr, "no.such.key"), "no.such.key");
    }
}
