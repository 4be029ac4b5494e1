//! Webhook settings view logic, tested on the host: the event-type picker (exact types,
//! families such as `organisation.*`, or everything), the delivery log's filters, the replay
//! date (at most 14 days back) and how latencies and statuses read.

use crate::i18n::{self, Lang};
use crate::state::encode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use relais_domain::webhooks::{DeliveryStatus, DisabledReason};
use relais_types::{EventTypeOut, WebhookIn, WebhookOut};
use std::collections::BTreeSet;

/// Everything, present and future.
pub const ALL: &str = "*";
/// How far back a replay may reach (the API's limit).
pub const REPLAY_MAX_DAYS: i64 = 14;
/// Deliveries per page of the log.
pub const LOG_PAGE: u32 = 25;

/// The families of event types in catalogue order, each with its types. The `webhook`
/// family (test messages, the audit of endpoint changes) is not offered: it is never
/// delivered by subscription.
pub fn families(catalogue: &[EventTypeOut]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for t in catalogue.iter().filter(|t| t.family != "webhook") {
        match out.iter_mut().find(|(f, _)| *f == t.family) {
            Some((_, types)) => types.push(t.name.clone()),
            None => out.push((t.family.clone(), vec![t.name.clone()])),
        }
    }
    out
}

fn family_of(event_type: &str) -> &str {
    event_type.split_once('.').map_or(event_type, |(f, _)| f)
}

fn wildcard(family: &str) -> String {
    format!("{family}.*")
}

/// What an endpoint subscribes to, as the picker edits it: `*`, families (`person.*`) and
/// exact types, never redundant (a family replaces its types; `*` replaces everything).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventPicker(BTreeSet<String>);

impl EventPicker {
    pub fn from_patterns(patterns: &[String]) -> Self {
        let mut p = Self::default();
        for s in patterns {
            p.0.insert(s.trim().to_owned());
        }
        p.normalise();
        p
    }

    fn normalise(&mut self) {
        if self.0.contains(ALL) {
            self.0.retain(|s| s == ALL);
            return;
        }
        let families: Vec<String> = self
            .0
            .iter()
            .filter_map(|s| s.strip_suffix(".*").map(str::to_owned))
            .collect();
        self.0
            .retain(|s| s.ends_with(".*") || !families.iter().any(|f| f == family_of(s)));
    }

    pub fn all(&self) -> bool {
        self.0.contains(ALL)
    }

    pub fn family(&self, family: &str) -> bool {
        self.all() || self.0.contains(&wildcard(family))
    }

    /// Whether `event_type` is delivered (by itself or through a wildcard).
    pub fn covers(&self, event_type: &str) -> bool {
        self.family(family_of(event_type)) || self.0.contains(event_type)
    }

    /// Whether a wildcard already covers `event_type` (its own box is then ticked and locked).
    pub fn implied(&self, event_type: &str) -> bool {
        self.family(family_of(event_type))
    }

    pub fn toggle_all(&mut self) {
        if self.all() {
            self.0.clear();
        } else {
            self.0.insert(ALL.to_owned());
            self.normalise();
        }
    }

    pub fn toggle_family(&mut self, family: &str) {
        if self.all() {
            return;
        }
        let w = wildcard(family);
        if !self.0.remove(&w) {
            self.0.insert(w);
            self.normalise();
        }
    }

    pub fn toggle_type(&mut self, event_type: &str) {
        if self.implied(event_type) {
            return;
        }
        if !self.0.remove(event_type) {
            self.0.insert(event_type.to_owned());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The list sent to the API: `*` first, then families, then exact types.
    pub fn patterns(&self) -> Vec<String> {
        let mut v: Vec<String> = self.0.iter().cloned().collect();
        v.sort_by_key(|s| (s.as_str() != ALL, !s.ends_with(".*"), s.clone()));
        v
    }

    /// A short summary for the list of endpoints: at most `max` patterns, then "+n".
    pub fn summary(patterns: &[String], max: usize) -> (Vec<String>, usize) {
        let shown: Vec<String> = patterns.iter().take(max).cloned().collect();
        (shown, patterns.len().saturating_sub(max))
    }
}

/// The message key for a field the API refused, where the generic one would say too little
/// (or nothing in French): a refused address, a scheme, the event types, the rate limit.
pub fn field_error_key(field: &str, code: &str) -> Option<&'static str> {
    match (field, code) {
        ("url", "invalid_url_scheme") => Some("webhooks.error.url_scheme"),
        ("url", "forbidden_address") => Some("webhooks.error.forbidden_address"),
        ("event_types", _) => Some("webhooks.error.events_required"),
        (f, _) if f.starts_with("event_types[") => Some("webhooks.error.unknown_event_type"),
        ("rate_limit", _) => Some("webhooks.rate_limit_invalid"),
        _ => None,
    }
}

/// What the endpoint form holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointDraft {
    pub url: String,
    pub description: String,
    pub events: EventPicker,
    /// As typed: empty means no limit.
    pub rate_limit: String,
}

/// A rate limit that is not a whole number of deliveries per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadRateLimit;

impl EndpointDraft {
    pub fn from_endpoint(e: &WebhookOut) -> Self {
        Self {
            url: e.url.clone(),
            description: e.description.clone(),
            events: EventPicker::from_patterns(&e.event_types),
            rate_limit: e.rate_limit.map(|n| n.to_string()).unwrap_or_default(),
        }
    }

    pub fn rate_limit(&self) -> Result<Option<u32>, BadRateLimit> {
        let t = self.rate_limit.trim();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse::<u32>().map(Some).map_err(|_| BadRateLimit)
    }

    /// The body of `POST /api/v1/webhooks`.
    pub fn to_input(&self, active: bool) -> Result<WebhookIn, BadRateLimit> {
        Ok(WebhookIn {
            url: self.url.trim().to_owned(),
            description: Some(self.description.trim().to_owned()).filter(|d| !d.is_empty()),
            event_types: self.events.patterns(),
            active: Some(active),
            rate_limit: self.rate_limit()?,
        })
    }

    /// The body of `PATCH /api/v1/webhooks/{id}`: only what changed; a removed rate limit
    /// is `null`.
    pub fn patch(&self, before: &WebhookOut) -> Result<serde_json::Value, BadRateLimit> {
        use serde_json::{Value, json};
        let mut out = serde_json::Map::new();
        let url = self.url.trim();
        if url != before.url {
            out.insert("url".into(), json!(url));
        }
        let description = self.description.trim();
        if description != before.description {
            out.insert("description".into(), json!(description));
        }
        let events = self.events.patterns();
        if events != EventPicker::from_patterns(&before.event_types).patterns() {
            out.insert("event_types".into(), json!(events));
        }
        let rate = self.rate_limit()?;
        if rate != before.rate_limit {
            out.insert("rate_limit".into(), rate.map_or(Value::Null, |n| json!(n)));
        }
        Ok(Value::Object(out))
    }
}

/// The delivery log's filters and the page reached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogQuery {
    /// `pending`, `succeeded`, `failed` or empty.
    pub status: String,
    /// A type, a family (`organisation.*`) or empty.
    pub event_type: String,
    /// Cursors of the pages before the current one; the last is the current page's.
    pub cursors: Vec<String>,
}

impl LogQuery {
    pub fn set_status(&mut self, status: &str) {
        let s = DeliveryStatus::from_code(status).map_or("", DeliveryStatus::code);
        if self.status != s {
            self.status = s.to_owned();
            self.cursors.clear();
        }
    }

    pub fn set_event_type(&mut self, event_type: &str) {
        let t = event_type.trim();
        if self.event_type != t {
            self.event_type = t.to_owned();
            self.cursors.clear();
        }
    }

    pub fn next(&mut self, cursor: String) {
        self.cursors.push(cursor);
    }

    pub fn previous(&mut self) {
        self.cursors.pop();
    }

    pub fn page_number(&self) -> usize {
        self.cursors.len() + 1
    }

    /// The query string of `GET /api/v1/webhooks/{id}/deliveries`.
    pub fn to_query(&self) -> String {
        let mut parts = vec![format!("limit={LOG_PAGE}")];
        if !self.status.is_empty() {
            parts.push(format!("status={}", self.status));
        }
        if !self.event_type.is_empty() {
            parts.push(format!("event_type={}", encode(&self.event_type)));
        }
        if let Some(c) = self.cursors.last() {
            parts.push(format!("cursor={}", encode(c)));
        }
        parts.join("&")
    }
}

/// Why a replay date is refused before asking the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayError {
    TooOld,
    Future,
}

impl ReplayError {
    pub fn key(self) -> &'static str {
        match self {
            ReplayError::TooOld => "webhooks.replay_too_old",
            ReplayError::Future => "webhooks.replay_future",
        }
    }
}

/// The oldest day a replay can start from, in the user's calendar.
pub fn replay_min_day(now: DateTime<Utc>, tz_offset_minutes: i32) -> NaiveDate {
    local_day(now - Duration::days(REPLAY_MAX_DAYS), tz_offset_minutes)
}

pub fn local_day(at: DateTime<Utc>, tz_offset_minutes: i32) -> NaiveDate {
    (at + Duration::minutes(i64::from(tz_offset_minutes))).date_naive()
}

/// The instant a replay "since `day`" starts from: the start of that day for the user, but
/// never further back than the API allows (the oldest allowed day is only partly in range).
pub fn replay_since(
    day: NaiveDate,
    now: DateTime<Utc>,
    tz_offset_minutes: i32,
) -> Result<DateTime<Utc>, ReplayError> {
    if day > local_day(now, tz_offset_minutes) {
        return Err(ReplayError::Future);
    }
    if day < replay_min_day(now, tz_offset_minutes) {
        return Err(ReplayError::TooOld);
    }
    let start = crate::search::start_of_day(day, tz_offset_minutes);
    // A minute inside the window, so that the request still qualifies when it arrives.
    let oldest = now - Duration::days(REPLAY_MAX_DAYS) + Duration::minutes(1);
    Ok(start.max(oldest).min(now))
}

/// A latency as people read it: `87 ms`, `1,2 s` / `1.2 s`.
pub fn latency(lang: Lang, ms: i32) -> String {
    if ms < 1000 {
        format!("{ms}\u{a0}ms")
    } else {
        let s = format!("{:.1}", f64::from(ms) / 1000.0);
        let s = if lang == Lang::Fr {
            s.replace('.', ",")
        } else {
            s
        };
        format!("{s}\u{a0}s")
    }
}

/// The badge class of a delivery status.
pub fn status_class(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Pending => "badge hook-pending",
        DeliveryStatus::Succeeded => "badge hook-succeeded",
        DeliveryStatus::Failed => "badge hook-failed",
    }
}

pub fn status_key(s: DeliveryStatus) -> String {
    format!("webhooks.status.{}", s.code())
}

pub fn disabled_key(r: Option<DisabledReason>) -> String {
    format!(
        "webhooks.disabled.{}",
        r.unwrap_or(DisabledReason::Manual).code()
    )
}

/// An event type's description in `lang`, else the catalogue's (English) one.
pub fn describe(lang: Lang, t: &EventTypeOut) -> String {
    i18n::lookup(lang, &format!("webhooks.event.{}", t.name))
        .map_or_else(|| t.description.clone(), str::to_owned)
}

/// The name of a family of records (`organisation` → "Organisations").
pub fn family_label(lang: Lang, family: &str) -> String {
    i18n::lookup(lang, &format!("webhooks.family.{family}"))
        .unwrap_or(family)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_domain::webhooks::EVENT_TYPES;
    use relais_types::{Actor, EventOut};

    fn ty(family: &str, action: &str) -> String {
        format!("{family}.{action}")
    }

    fn catalogue() -> Vec<EventTypeOut> {
        EVENT_TYPES
            .iter()
            .map(|t| EventTypeOut {
                name: t.name.into(),
                family: t.name.split('.').next().unwrap().into(),
                description: t.description.into(),
                example: EventOut {
                    id: "evt_1".into(),
                    type_: t.name.into(),
                    occurred_at: Utc::now(),
                    tenant: "acme".into(),
                    actor: Actor {
                        type_: "user".into(),
                        id: None,
                    },
                    data: serde_json::json!({}),
                },
            })
            .collect()
    }

    #[test]
    fn families_come_in_catalogue_order_without_the_system_ones() {
        let f = families(&catalogue());
        let names: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "organisation",
                "person",
                "mandate",
                "task",
                "interaction",
                "product",
                "document"
            ]
        );
        assert!(f[0].1.contains(&ty("organisation", "stage_changed")));
        assert!(
            f.iter()
                .all(|(fam, types)| types.iter().all(|t| family_of(t) == fam))
        );
    }

    #[test]
    fn the_picker_never_keeps_redundant_patterns() {
        let signed = ty("mandate", "signed");
        let created = ty("organisation", "created");
        let mut p = EventPicker::default();
        assert!(p.is_empty());
        p.toggle_type(&signed);
        p.toggle_type(&created);
        assert!(p.covers(&signed) && !p.implied(&signed));
        assert!(!p.covers(&ty("mandate", "created")));
        // A family replaces its exact types and locks them.
        p.toggle_family("organisation");
        assert_eq!(p.patterns(), ["organisation.*".to_owned(), signed.clone()]);
        assert!(p.implied(&created) && p.covers(&ty("organisation", "purged")));
        p.toggle_type(&created);
        assert_eq!(p.patterns().len(), 2, "a locked type does not toggle");
        p.toggle_family("organisation");
        assert!(!p.covers(&created), "unticking the family frees its types");
        // Everything replaces the rest; unticking it leaves nothing.
        p.toggle_family("task");
        p.toggle_all();
        assert_eq!(p.patterns(), [ALL]);
        assert!(p.family("person") && p.covers(&ty("document", "created")));
        p.toggle_family("person");
        p.toggle_type(&signed);
        assert_eq!(p.patterns(), [ALL]);
        p.toggle_all();
        assert!(p.is_empty());
        // Stored lists are read back the same way.
        let stored = vec![
            signed.clone(),
            "mandate.*".to_owned(),
            created.clone(),
            " person.* ".to_owned(),
        ];
        let p = EventPicker::from_patterns(&stored);
        assert_eq!(
            p.patterns(),
            ["mandate.*".to_owned(), "person.*".to_owned(), created]
        );
        let everything = EventPicker::from_patterns(&[signed, ALL.to_owned()]);
        assert_eq!(everything.patterns(), [ALL]);
        let (shown, more) = EventPicker::summary(&p.patterns(), 2);
        assert_eq!((shown.len(), more), (2, 1));
    }

    #[test]
    fn the_form_sends_what_changed_only() {
        let before: WebhookOut = serde_json::from_value(serde_json::json!({
            "id": "0190a000-0000-7000-8000-000000000001", "url": "https://hooks.example/in",
            "description": "ERP", "event_types": ["organisation.*", ty("mandate", "signed")],
            "active": true, "disabled_reason": null, "disabled_at": null, "rate_limit": 5,
            "failing_since": null, "previous_secret_expires_at": null,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}))
        .unwrap();
        let mut d = EndpointDraft::from_endpoint(&before);
        assert_eq!(d.rate_limit, "5");
        assert_eq!(d.patch(&before).unwrap(), serde_json::json!({}));
        d.url = " https://hooks.example/v2 ".into();
        d.rate_limit = String::new();
        d.events.toggle_family("task");
        assert_eq!(
            d.patch(&before).unwrap(),
            serde_json::json!({"url": "https://hooks.example/v2", "rate_limit": null,
                "event_types": ["organisation.*", "task.*", ty("mandate", "signed")]})
        );
        d.rate_limit = "ten".into();
        assert_eq!(d.patch(&before), Err(BadRateLimit));
        let fresh = EndpointDraft {
            url: "https://a.example".into(),
            description: "  ".into(),
            events: EventPicker::from_patterns(&[ALL.to_owned()]),
            rate_limit: " 20 ".into(),
        };
        let input = fresh.to_input(false).unwrap();
        assert_eq!(input.description, None);
        assert_eq!(input.event_types, [ALL]);
        assert_eq!((input.active, input.rate_limit), (Some(false), Some(20)));
    }

    #[test]
    fn refused_fields_have_their_own_words() {
        for (field, code) in [
            ("url", "invalid_url_scheme"),
            ("url", "forbidden_address"),
            ("event_types", "out_of_range"),
            ("event_types[2]", "unknown_event_type"),
            ("rate_limit", "out_of_range"),
        ] {
            let key = field_error_key(field, code).expect(field);
            for lang in Lang::ALL {
                assert!(i18n::lookup(lang, key).is_some(), "{lang:?} lacks {key}");
            }
        }
        assert_eq!(
            field_error_key("url", "invalid_url"),
            None,
            "the generic message"
        );
        assert_eq!(field_error_key("description", "too_long"), None);
    }

    #[test]
    fn log_filters_reset_the_pages() {
        let mut q = LogQuery::default();
        assert_eq!(q.to_query(), "limit=25");
        q.next("c1".into());
        q.set_status("failed");
        assert_eq!(q.page_number(), 1);
        q.next("c2".into());
        q.set_status("failed");
        assert_eq!(q.page_number(), 2, "the same value keeps the page");
        q.set_event_type(" organisation.* ");
        assert_eq!(q.page_number(), 1);
        q.next("a+b".into());
        assert_eq!(
            q.to_query(),
            "limit=25&status=failed&event_type=organisation.%2A&cursor=a%2Bb"
        );
        q.previous();
        q.set_status("bogus");
        q.set_event_type("");
        assert_eq!(q.to_query(), "limit=25");
    }

    #[test]
    fn replays_reach_back_fourteen_days_at_most() {
        let now: DateTime<Utc> = "2026-03-20T10:30:00Z".parse().unwrap();
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(replay_min_day(now, 60), day("2026-03-06"));
        // Yesterday from midnight, Paris time (UTC+1).
        assert_eq!(
            replay_since(day("2026-03-19"), now, 60).unwrap(),
            "2026-03-18T23:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // The oldest day starts partly outside the window: clamped inside it.
        assert_eq!(
            replay_since(day("2026-03-06"), now, 60).unwrap(),
            "2026-03-06T10:31:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            replay_since(day("2026-03-05"), now, 60),
            Err(ReplayError::TooOld)
        );
        assert_eq!(
            replay_since(day("2026-03-21"), now, 60),
            Err(ReplayError::Future)
        );
        // Today: from midnight.
        assert_eq!(
            replay_since(day("2026-03-20"), now, 0).unwrap(),
            "2026-03-20T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // Just after midnight east of UTC, "today" is still yesterday in UTC.
        let late: DateTime<Utc> = "2026-03-20T23:30:00Z".parse().unwrap();
        assert_eq!(local_day(late, 120), day("2026-03-21"));
        assert!(replay_since(day("2026-03-21"), late, 120).is_ok());
        for e in [ReplayError::TooOld, ReplayError::Future] {
            assert!(i18n::lookup(Lang::Fr, e.key()).is_some());
        }
    }

    #[test]
    fn latencies_and_labels_read_well() {
        assert_eq!(latency(Lang::Fr, 87), "87\u{a0}ms");
        assert_eq!(latency(Lang::Fr, 1234), "1,2\u{a0}s");
        assert_eq!(latency(Lang::En, 15000), "15.0\u{a0}s");
        for lang in Lang::ALL {
            for s in DeliveryStatus::ALL {
                assert!(i18n::lookup(lang, &status_key(*s)).is_some(), "{s:?}");
            }
            for r in DisabledReason::ALL {
                assert!(i18n::lookup(lang, &disabled_key(Some(*r))).is_some());
            }
        }
        assert_eq!(status_class(DeliveryStatus::Failed), "badge hook-failed");
    }

    #[test]
    fn every_event_type_and_family_is_translated() {
        let cat = catalogue();
        for lang in Lang::ALL {
            for t in &cat {
                let key = format!("webhooks.event.{}", t.name);
                assert!(i18n::lookup(lang, &key).is_some(), "{lang:?} lacks {key}");
                assert_ne!(describe(lang, t), "");
            }
            for (f, _) in families(&cat) {
                assert_ne!(family_label(lang, &f), f, "{lang:?} lacks the family {f}");
            }
        }
        let mut odd = cat[0].clone();
        odd.name = ty("organisation", "teleported");
        odd.description = "English only".into();
        assert_eq!(describe(Lang::Fr, &odd), "English only");
    }
}
