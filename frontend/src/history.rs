//! A record's history entry in words: which fields changed, from what to what, with values
//! formatted for the reader (stage names, amounts, dates) rather than wire codes.

use crate::format;
use crate::i18n::{Lang, lookup, t, t_args};
use chrono::{DateTime, Utc};
use relais_domain::crm::{Category, OrganisationType, PipelineStage};
use serde_json::Value;

/// Bookkeeping fields that every change touches or that mean nothing to a reader.
const HIDDEN: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "deleted_at",
    "stage_changed_at",
    "owner_id",
    "last_contact_at",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub field: String,
    /// `None` for a creation (there was no value before).
    pub before: Option<String>,
    pub after: String,
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// One value of `field`, as a reader expects it.
pub fn show(lang: Lang, tz_offset: i32, field: &str, v: &Value) -> String {
    let label = |key: String, code: &str| lookup(lang, &key).unwrap_or(code).to_owned();
    match v {
        Value::Null => "—".to_owned(),
        Value::Bool(b) => t(lang, if *b { "common.yes" } else { "common.no" }),
        Value::Number(n) if field.ends_with("amount") => n
            .as_f64()
            .map_or_else(|| n.to_string(), |a| format::amount(lang, a)),
        Value::Number(n) => n.to_string(),
        Value::String(s) => match field {
            "pipeline_stage" if PipelineStage::from_code(s).is_some() => {
                label(format!("org.stage.{s}"), s)
            }
            "type" if OrganisationType::from_code(s).is_some() => label(format!("org.type.{s}"), s),
            "category" if Category::from_code(s).is_some() => label(format!("org.category.{s}"), s),
            _ => match s.parse::<DateTime<Utc>>() {
                Ok(d) => format::date_time(lang, d, tz_offset),
                Err(_) if s.is_empty() => "—".to_owned(),
                Err(_) => s.clone(),
            },
        },
        Value::Array(items) if items.is_empty() => "—".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|i| show(lang, tz_offset, field, i))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => v.to_string(),
    }
}

/// The changes an event's `data` (`{before, after}`) describes, in the fields' order.
pub fn changes(lang: Lang, tz_offset: i32, data: &Value) -> Vec<Change> {
    let Some(after) = data.get("after").and_then(Value::as_object) else {
        return Vec::new();
    };
    let before = data.get("before").and_then(Value::as_object);
    let creation = before.is_none_or(|b| b.is_empty());
    let mut out = Vec::new();
    for (field, new) in after {
        if HIDDEN.contains(&field.as_str()) {
            continue;
        }
        let old = before.and_then(|b| b.get(field)).unwrap_or(&Value::Null);
        if creation && is_empty(new) || !creation && old == new {
            continue;
        }
        let name = lookup(lang, &format!("org.field.{field}"))
            .or_else(|| lookup(lang, &format!("person.{field}")))
            .map(str::to_owned)
            .unwrap_or_else(|| field.clone());
        out.push(Change {
            field: name,
            before: (!creation).then(|| show(lang, tz_offset, field, old)),
            after: show(lang, tz_offset, field, new),
        });
    }
    out
}

/// Whether an entry repeats its neighbour: a change of stage is written as two events
/// (`….updated` for every subscriber and `….stage_changed` for those who only follow the
/// pipeline) with the same `before`/`after`; the history shows it once, as a change of stage.
/// `types` and `datas` are the entries in the order shown; returns the indices to keep.
pub fn distinct_entries(types: &[&str], datas: &[&Value]) -> Vec<usize> {
    let same_change = |i: usize, j: usize| {
        datas[i].get("before") == datas[j].get("before")
            && datas[i].get("after") == datas[j].get("after")
    };
    (0..types.len())
        .filter(|&i| {
            if !types[i].ends_with(".updated") {
                return true;
            }
            let family = &types[i][..types[i].len() - ".updated".len()];
            let twin = |j: usize| {
                types[j].strip_suffix(".stage_changed") == Some(family) && same_change(i, j)
            };
            !((i > 0 && twin(i - 1)) || (i + 1 < types.len() && twin(i + 1)))
        })
        .collect()
}

/// Where a change came from when an import wrote it: "Importé depuis « x.csv », ligne 12".
pub fn source(lang: Lang, data: &Value) -> Option<String> {
    let s = data.get("source")?;
    if s.get("type")?.as_str()? != "import" {
        return None;
    }
    let file = s.get("file_name")?.as_str()?;
    let line = s
        .get("line")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .to_string();
    Some(t_args(
        lang,
        "import.history.source",
        &[("file", file), ("line", &line)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_creation_lists_the_filled_fields_only() {
        let data = json!({"id": "x", "after": {
            "id": "0190", "name": "Amundi", "type": "issuer", "pipeline_stage": "prospect",
            "city": null, "tags": [], "expected_amount": 1250000.0, "active": true,
            "created_at": "2026-11-22T03:07:09Z", "owner_id": "0191"}});
        let c = changes(Lang::Fr, 0, &data);
        let fields: Vec<&str> = c.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            ["Active", "Montant attendu", "Nom", "Étape", "Type"]
        );
        assert!(c.iter().all(|c| c.before.is_none()));
        assert_eq!(c[1].after, "1\u{202f}250\u{202f}000\u{a0}€");
        assert_eq!(c[3].after, "Prospect");
        assert_eq!(c[4].after, "Émetteur");
        assert_eq!(c[0].after, "Oui");
    }

    #[test]
    fn an_update_shows_before_and_after_in_the_language() {
        let data = json!({
            "before": {"pipeline_stage": "prospect", "tags": ["a"], "updated_at": "2026-01-01T00:00:00Z"},
            "after": {"pipeline_stage": "proposition", "tags": ["a", "b"], "updated_at": "2026-01-02T00:00:00Z"}});
        let c = changes(Lang::En, 0, &data);
        assert_eq!(
            c,
            vec![
                Change {
                    field: "Stage".into(),
                    before: Some("Prospect".into()),
                    after: "Proposal".into()
                },
                Change {
                    field: "Tags".into(),
                    before: Some("a".into()),
                    after: "a, b".into()
                },
            ]
        );
    }

    #[test]
    fn a_change_of_stage_shows_once() {
        let stage = json!({"before": {"pipeline_stage": "prospect"},
                           "after": {"pipeline_stage": "qualification"}});
        let more = json!({"before": {"pipeline_stage": "prospect", "city": "Paris"},
                          "after": {"pipeline_stage": "qualification", "city": "Lyon"}});
        let other = json!({"before": {"city": "Lyon"}, "after": {"city": "Nice"}});
        // Newest first, as the API sends them.
        let types = [
            "organisation.stage_changed",
            "organisation.updated",
            "organisation.updated",
            "organisation.stage_changed",
            "organisation.updated",
            "organisation.created",
        ];
        let datas = [&stage, &stage, &more, &more, &other, &other];
        assert_eq!(
            distinct_entries(&types, &datas),
            [0, 3, 4, 5],
            "the twin `updated` entries go, whichever side they are on"
        );
        // A stage event next to an update that also changed other fields keeps both.
        let types = ["organisation.stage_changed", "organisation.updated"];
        assert_eq!(distinct_entries(&types, &[&stage, &more]), [0, 1]);
        // Another kind's events are left alone.
        let types = ["product.updated", "organisation.stage_changed"];
        assert_eq!(distinct_entries(&types, &[&stage, &stage]), [0, 1]);
    }

    #[test]
    fn imported_changes_say_from_which_file() {
        let data = json!({"after": {"name": "A"}, "source": {"type": "import",
            "import_id": "x", "file_name": "prospects.csv", "line": 12}});
        assert_eq!(
            source(Lang::Fr, &data).as_deref(),
            Some("Importé depuis « prospects.csv », ligne 12")
        );
        assert_eq!(
            source(Lang::En, &data).as_deref(),
            Some("Imported from “prospects.csv”, line 12")
        );
        assert_eq!(source(Lang::Fr, &json!({"after": {}})), None);
    }

    #[test]
    fn unknown_fields_and_odd_values_still_read() {
        let data = json!({"before": {"mystery": null, "when": "2026-11-22T13:05:00Z"},
                          "after": {"mystery": 3, "when": "2026-11-23T13:05:00Z"}});
        let c = changes(Lang::Fr, 60, &data);
        assert_eq!(c[0].field, "mystery");
        assert_eq!(c[0].before.as_deref(), Some("—"));
        assert_eq!(c[0].after, "3");
        assert_eq!(c[1].after, "23 nov. 2026 à 14:05");
        assert!(changes(Lang::Fr, 0, &json!({"id": "x"})).is_empty());
    }
}
