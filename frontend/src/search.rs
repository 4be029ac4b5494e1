//! Search view logic, tested on the host: the palette's debounced query state (answers to
//! an older text are dropped), suggestions merged from autocomplete and full-text search,
//! highlighted snippets turned into plain text and marks, recent searches, and the results
//! page's filters as URL and API query strings.

use crate::format;
use crate::i18n::{self, Lang};
use crate::state::encode;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use relais_domain::search::SearchType;
use relais_types::{AutocompleteOut, SearchResultsOut};
use uuid::Uuid;

/// Wait this long after the last key press before asking the server.
pub const DEBOUNCE_MS: u64 = 150;
/// Shorter texts are not searched (one letter matches half the directory).
pub const MIN_CHARS: usize = 2;
/// Suggestions shown per kind of record in the palette.
pub const PER_TYPE: usize = 5;
/// Recent searches kept on this browser.
pub const RECENT_MAX: usize = 8;

/// A piece of a highlighted snippet: plain text, marked or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub marked: bool,
}

/// Reads the API's snippet (escaped text with the matching words in `<mark>…</mark>`) back
/// into text pieces. Only those two tags mean anything; any other `<` is text, and entities
/// are decoded, so the pieces can be rendered as text nodes: nothing in a record can become
/// markup.
pub fn parse_snippet(html: &str) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut text = String::new();
    let mut marked = false;
    let mut rest = html;
    let flush = |out: &mut Vec<Segment>, text: &mut String, marked: bool| {
        if !text.is_empty() {
            match out.last_mut() {
                Some(last) if last.marked == marked => last.text.push_str(text),
                _ => out.push(Segment {
                    text: std::mem::take(text),
                    marked,
                }),
            }
            text.clear();
        }
    };
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("<mark>") {
            flush(&mut out, &mut text, marked);
            marked = true;
            rest = r;
        } else if let Some(r) = rest.strip_prefix("</mark>") {
            flush(&mut out, &mut text, marked);
            marked = false;
            rest = r;
        } else if c == '&'
            && let Some((decoded, len)) = entity(rest)
        {
            text.push(decoded);
            rest = &rest[len..];
        } else {
            text.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    flush(&mut out, &mut text, marked);
    out
}

/// The character of the entity at the start of `s` and the entity's length.
fn entity(s: &str) -> Option<(char, usize)> {
    let end = s.find(';').filter(|&e| e <= 10)?;
    let name = &s[1..end];
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code).filter(|c| !c.is_control() || c.is_whitespace())?
        }
    };
    Some((c, end + 1))
}

/// One record offered by the palette.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub type_: SearchType,
    pub id: Uuid,
    pub title: String,
    /// The API's second line (city and email, job title, status code, kind and date).
    pub detail: Option<String>,
    /// Where the words were found, when not in the title (a note, an email…).
    pub snippet: Option<(String, Vec<Segment>)>,
}

/// The palette's suggestions: per kind (in the API's order), the autocomplete matches (names
/// by prefix, with typos) first, then full-text matches not already there, at most
/// [`PER_TYPE`] per kind.
pub fn merge(ac: Option<&AutocompleteOut>, full: Option<&SearchResultsOut>) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = Vec::new();
    for &t in SearchType::ALL {
        let mut of_type: Vec<Suggestion> = Vec::new();
        for s in ac.iter().flat_map(|a| &a.items).filter(|s| s.type_ == t) {
            if !of_type.iter().any(|x| x.id == s.id) {
                of_type.push(Suggestion {
                    type_: t,
                    id: s.id,
                    title: s.label.clone(),
                    detail: s.detail.clone(),
                    snippet: None,
                });
            }
        }
        let hits = full
            .iter()
            .flat_map(|r| &r.groups)
            .filter(|g| g.type_ == t)
            .flat_map(|g| &g.items);
        for h in hits {
            // No excerpt of the title, nor one the second line already shows in full.
            let snippet = (h.matched_field != title_field(t))
                .then(|| (h.matched_field.clone(), parse_snippet(&h.snippet)))
                .filter(|(_, segs)| {
                    let plain: String = segs.iter().map(|s| s.text.as_str()).collect();
                    let shown = h.subtitle.as_deref().unwrap_or("");
                    !shown.contains(plain.trim()) || plain.trim().is_empty()
                });
            match of_type.iter_mut().find(|x| x.id == h.id) {
                Some(x) => {
                    if x.snippet.is_none() {
                        x.snippet = snippet;
                    }
                }
                None => of_type.push(Suggestion {
                    type_: t,
                    id: h.id,
                    title: h.title.clone(),
                    detail: h.subtitle.clone(),
                    snippet,
                }),
            }
        }
        of_type.truncate(PER_TYPE);
        out.extend(of_type);
    }
    out
}

/// The field that is the record's title (a match there needs no snippet).
pub fn title_field(t: SearchType) -> &'static str {
    match t {
        SearchType::Organisation | SearchType::Person => "name",
        SearchType::Mandate => "number",
        SearchType::Interaction => "summary",
    }
}

/// Suggestions grouped by kind, each with its position in the flat list (for the arrow keys
/// and `aria-activedescendant`).
pub fn groups(items: &[Suggestion]) -> Vec<(SearchType, Vec<(usize, &Suggestion)>)> {
    let mut out: Vec<(SearchType, Vec<(usize, &Suggestion)>)> = Vec::new();
    for (i, s) in items.iter().enumerate() {
        match out.last_mut() {
            Some((t, list)) if *t == s.type_ => list.push((i, s)),
            _ => out.push((s.type_, vec![(i, s)])),
        }
    }
    out
}

/// Where a result opens. Organisations and people have pages; mandates and interactions open
/// on their organisation (or person), found by the `/search/open/…` page.
pub fn record_href(t: SearchType, id: Uuid) -> String {
    match t {
        SearchType::Organisation => format!("/organisations/{id}"),
        SearchType::Person => format!("/people/{id}"),
        SearchType::Mandate => format!("/search/open/mandate/{id}"),
        SearchType::Interaction => format!("/search/open/interaction/{id}"),
    }
}

/// The second line in words: a mandate's status and an interaction's kind are codes.
pub fn detail_text(lang: Lang, t: SearchType, raw: &str) -> String {
    match t {
        SearchType::Mandate => i18n::lookup(lang, &format!("mandate.state.{raw}"))
            .unwrap_or(raw)
            .to_owned(),
        SearchType::Interaction => {
            let (kind, day) = raw.split_once(" · ").unwrap_or((raw, ""));
            let kind = i18n::lookup(lang, &format!("interaction.kinds.{kind}")).unwrap_or(kind);
            match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
                Ok(d) => format!("{kind} · {}", format::day(lang, d)),
                Err(_) if day.is_empty() => kind.to_owned(),
                Err(_) => format!("{kind} · {day}"),
            }
        }
        _ => raw.to_owned(),
    }
}

/// The name of a matched field (`notes` → "Notes"), or the field itself when unknown.
pub fn field_label(lang: Lang, field: &str) -> String {
    i18n::lookup(lang, &format!("search.field.{field}"))
        .unwrap_or(field)
        .to_owned()
}

/// The text worth searching: trimmed, and long enough.
pub fn searchable(text: &str) -> Option<&str> {
    let t = text.trim();
    (t.chars().count() >= MIN_CHARS).then_some(t)
}

/// The palette: what is typed, which request is the latest, what is shown, which option has
/// the keyboard focus. Every key press starts a new generation; a timer or an answer that
/// belongs to an older generation is ignored, so a slow answer never replaces a newer one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Palette {
    pub text: String,
    generation: u64,
    /// The text the shown suggestions answer.
    pub shown_for: Option<String>,
    pub items: Vec<Suggestion>,
    pub loading: bool,
    pub failed: bool,
    /// The option under the keyboard, an index into [`Palette::option_count`].
    pub active: Option<usize>,
}

/// What the palette asks the page to do after a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaletteCmd {
    Nothing,
    /// Start a timer of [`DEBOUNCE_MS`] then call [`Palette::timer_fired`] with this.
    Wait(u64),
    /// Ask the server for `text`, then call [`Palette::answered`] with the generation.
    Fetch {
        generation: u64,
        text: String,
    },
}

/// What Enter (or a click) on an option means.
#[derive(Clone, Debug, PartialEq)]
pub enum Choice {
    Open(Suggestion),
    /// The full results page for this text.
    AllResults(String),
    /// A recent search: put it back in the field.
    Recent(String),
}

impl Palette {
    /// The text changed (a key press).
    pub fn input(&mut self, text: String) -> PaletteCmd {
        self.generation += 1;
        self.active = None;
        self.text = text;
        self.failed = false;
        if searchable(&self.text).is_none() {
            self.loading = false;
            self.items.clear();
            self.shown_for = None;
            return PaletteCmd::Nothing;
        }
        self.loading = true;
        PaletteCmd::Wait(self.generation)
    }

    /// The debounce timer of `generation` ran out: fetch if nothing was typed since.
    pub fn timer_fired(&mut self, generation: u64) -> PaletteCmd {
        match searchable(&self.text) {
            Some(t) if generation == self.generation => PaletteCmd::Fetch {
                generation,
                text: t.to_owned(),
            },
            _ => PaletteCmd::Nothing,
        }
    }

    /// The server answered the request of `generation`: shown only if it is still the
    /// latest. Returns whether it was applied.
    pub fn answered(&mut self, generation: u64, result: Result<Vec<Suggestion>, ()>) -> bool {
        if generation != self.generation {
            return false;
        }
        self.loading = false;
        match result {
            Ok(items) => {
                self.items = items;
                self.failed = false;
                self.shown_for = searchable(&self.text).map(str::to_owned);
            }
            Err(()) => {
                self.items.clear();
                self.failed = true;
                self.shown_for = None;
            }
        }
        self.active = None;
        true
    }

    /// Options in the list: the recent searches while nothing is typed, else the
    /// suggestions and a last "all results" option.
    pub fn option_count(&self, recent: &[String]) -> usize {
        if self.text.trim().is_empty() {
            recent.len()
        } else if searchable(&self.text).is_some() {
            self.items.len() + 1
        } else {
            0
        }
    }

    /// Arrow keys: `step` is +1 or -1, wrapping around; `Home`/`End` use [`Palette::jump`].
    pub fn move_active(&mut self, step: i32, recent: &[String]) {
        let n = self.option_count(recent);
        if n == 0 {
            self.active = None;
            return;
        }
        let n = n as i64;
        let next = match self.active {
            None if step >= 0 => 0,
            None => n - 1,
            Some(i) => (i as i64 + i64::from(step)).rem_euclid(n),
        };
        self.active = Some(next as usize);
    }

    pub fn jump(&mut self, to_end: bool, recent: &[String]) {
        let n = self.option_count(recent);
        self.active = match (n, to_end) {
            (0, _) => None,
            (_, false) => Some(0),
            (n, true) => Some(n - 1),
        };
    }

    /// What option `index` stands for.
    pub fn choice(&self, index: usize, recent: &[String]) -> Option<Choice> {
        if self.text.trim().is_empty() {
            return recent.get(index).cloned().map(Choice::Recent);
        }
        let text = searchable(&self.text)?;
        match self.items.get(index) {
            Some(s) => Some(Choice::Open(s.clone())),
            None if index == self.items.len() => Some(Choice::AllResults(text.to_owned())),
            None => None,
        }
    }

    /// Enter: the active option, or the full results when none is active.
    pub fn enter(&self, recent: &[String]) -> Option<Choice> {
        match self.active {
            Some(i) => self.choice(i, recent),
            None => searchable(&self.text).map(|t| Choice::AllResults(t.to_owned())),
        }
    }

    /// The `id` of option `index` (for `aria-activedescendant`).
    pub fn option_id(index: usize) -> String {
        format!("search-option-{index}")
    }
}

/// Adds `text` at the top of the recent searches (no duplicates whatever the case, at most
/// [`RECENT_MAX`]).
pub fn remember(recent: &mut Vec<String>, text: &str) {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        return;
    }
    let key = t.to_lowercase();
    recent.retain(|r| r.to_lowercase() != key);
    recent.insert(0, t);
    recent.truncate(RECENT_MAX);
}

/// The stored list (a JSON array of strings); anything unreadable counts as empty.
pub fn recent_from_json(raw: Option<&str>) -> Vec<String> {
    let values: Vec<serde_json::Value> = raw
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default();
    let mut out = Vec::new();
    for v in values.iter().rev() {
        if let Some(s) = v.as_str() {
            remember(&mut out, s);
        }
    }
    out
}

pub fn recent_to_json(recent: &[String]) -> String {
    serde_json::to_string(recent).unwrap_or_else(|_| "[]".into())
}

/// The results page's query: the text and the filters the API takes. Kept in the URL so that
/// the page can be reloaded, shared and navigated back to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResultsQuery {
    pub q: String,
    /// Empty: every kind the user may read.
    pub types: Vec<SearchType>,
    pub category: String,
    pub status: String,
    pub city: String,
    pub created_from: Option<NaiveDate>,
    pub created_to: Option<NaiveDate>,
}

impl ResultsQuery {
    /// From the page's URL parameters (unknown values are dropped).
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        let text = |k: &str| get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
        let date = |k: &str| get(k).and_then(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok());
        let mut types: Vec<SearchType> = text("types")
            .split(',')
            .filter_map(|c| SearchType::from_code(c.trim()))
            .collect();
        types.sort();
        types.dedup();
        Self {
            q: text("q"),
            types,
            category: text("category"),
            status: text("status"),
            city: text("city"),
            created_from: date("created_from"),
            created_to: date("created_to"),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("q", self.q.clone())];
        if !self.types.is_empty() {
            let codes: Vec<&str> = self.types.iter().map(|t| t.code()).collect();
            out.push(("types", codes.join(",")));
        }
        for (k, v) in [
            ("category", &self.category),
            ("status", &self.status),
            ("city", &self.city),
        ] {
            if !v.is_empty() {
                out.push((k, v.clone()));
            }
        }
        out
    }

    /// The page's own address.
    pub fn to_url(&self) -> String {
        let mut pairs = self.pairs();
        for (k, d) in [
            ("created_from", self.created_from),
            ("created_to", self.created_to),
        ] {
            if let Some(d) = d {
                pairs.push((k, d.format("%Y-%m-%d").to_string()));
            }
        }
        let qs: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", encode(&v)))
            .collect();
        format!("/search?{}", qs.join("&"))
    }

    /// The query string of `GET /api/v1/search`. Days are the user's: from the start of
    /// `created_from` to the end of `created_to`, in their time zone.
    pub fn to_api_query(&self, limit: u32, tz_offset_minutes: i32) -> String {
        let mut parts: Vec<String> = self
            .pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", encode(&v)))
            .collect();
        parts.push(format!("limit={limit}"));
        if let Some(d) = self.created_from {
            parts.push(format!(
                "created_from={}",
                encode(&start_of_day(d, tz_offset_minutes).to_rfc3339())
            ));
        }
        if let Some(d) = self.created_to {
            let next = d.succ_opt().unwrap_or(d);
            parts.push(format!(
                "created_to={}",
                encode(&start_of_day(next, tz_offset_minutes).to_rfc3339())
            ));
        }
        parts.join("&")
    }

    /// Whether the dates are the wrong way round (the API would refuse them).
    pub fn dates_reversed(&self) -> bool {
        matches!((self.created_from, self.created_to), (Some(f), Some(t)) if f > t)
    }

    pub fn has_filters(&self) -> bool {
        !(self.types.is_empty()
            && self.category.is_empty()
            && self.status.is_empty()
            && self.city.is_empty()
            && self.created_from.is_none()
            && self.created_to.is_none())
    }

    /// Ticks or unticks one kind of record.
    pub fn toggle_type(&mut self, t: SearchType) {
        if let Some(i) = self.types.iter().position(|x| *x == t) {
            self.types.remove(i);
        } else {
            self.types.push(t);
            self.types.sort();
        }
    }
}

/// Midnight of `day` in a time zone `offset_minutes` east of UTC, as a UTC instant.
pub fn start_of_day(day: NaiveDate, offset_minutes: i32) -> DateTime<Utc> {
    let local = day.and_time(NaiveTime::MIN);
    DateTime::<Utc>::from_naive_utc_and_offset(local, Utc)
        - Duration::minutes(i64::from(offset_minutes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_types::{SearchGroupOut, SearchHitOut, SuggestionOut};

    fn seg(text: &str, marked: bool) -> Segment {
        Segment {
            text: text.into(),
            marked,
        }
    }

    #[test]
    fn snippets_become_text_and_marks_never_markup() {
        assert_eq!(
            parse_snippet("Société <mark>Générale</mark> &amp; fils"),
            [
                seg("Société ", false),
                seg("Générale", true),
                seg(" & fils", false)
            ]
        );
        // What a record's notes could hold arrives escaped and stays text.
        assert_eq!(
            parse_snippet("&lt;img src=x onerror=alert(1)&gt; <mark>dupont</mark>"),
            [
                seg("<img src=x onerror=alert(1)> ", false),
                seg("dupont", true)
            ]
        );
        // Even unescaped tags (not what the API sends) are only text.
        assert_eq!(
            parse_snippet("<script>x</script><b>y</b>"),
            [seg("<script>x</script><b>y</b>", false)]
        );
        assert_eq!(
            parse_snippet("&quot;a&#39;b&#x41;&apos;&unknown; &#0; &"),
            [seg("\"a'bA'&unknown; &#0; &", false)]
        );
        // Unbalanced or adjacent marks.
        assert_eq!(
            parse_snippet("<mark>a</mark><mark>b</mark>c<mark>d"),
            [seg("ab", true), seg("c", false), seg("d", true)]
        );
        assert_eq!(parse_snippet(""), []);
        assert_eq!(parse_snippet("</mark>x"), [seg("x", false)]);
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn ac(items: &[(SearchType, u128, &str)]) -> AutocompleteOut {
        AutocompleteOut {
            query: "q".into(),
            items: items
                .iter()
                .map(|(t, n, label)| SuggestionOut {
                    type_: *t,
                    id: id(*n),
                    label: (*label).into(),
                    detail: None,
                    score: 1.0,
                })
                .collect(),
        }
    }

    fn hit(t: SearchType, n: u128, title: &str, field: &str, snippet: &str) -> SearchHitOut {
        SearchHitOut {
            type_: t,
            id: id(n),
            title: title.into(),
            subtitle: Some("Lyon".into()),
            rank: 0.5,
            matched_field: field.into(),
            snippet: snippet.into(),
        }
    }

    #[test]
    fn suggestions_merge_by_kind_without_duplicates() {
        use SearchType::*;
        let a = ac(&[(Person, 2, "Hélène Dupont"), (Organisation, 1, "Dupont SA")]);
        let full = SearchResultsOut {
            query: "q".into(),
            groups: vec![
                SearchGroupOut {
                    type_: Organisation,
                    total: 2,
                    total_capped: false,
                    items: vec![
                        hit(
                            Organisation,
                            1,
                            "Dupont SA",
                            "notes",
                            "chez <mark>Dupont</mark>",
                        ),
                        hit(
                            Organisation,
                            3,
                            "Martin",
                            "notes",
                            "voir <mark>Dupont</mark>",
                        ),
                    ],
                },
                SearchGroupOut {
                    type_: Interaction,
                    total: 1,
                    total_capped: false,
                    items: vec![hit(Interaction, 4, "Appel", "summary", "Appel")],
                },
            ],
        };
        let m = merge(Some(&a), Some(&full));
        let ids: Vec<u128> = m.iter().map(|s| s.id.as_u128()).collect();
        assert_eq!(
            ids,
            [1, 3, 2, 4],
            "organisations, then people, then interactions"
        );
        // The autocomplete entry gains the full-text snippet; a title match has none.
        assert_eq!(m[0].snippet.as_ref().unwrap().0, "notes");
        assert_eq!(m[1].detail.as_deref(), Some("Lyon"));
        assert!(m[3].snippet.is_none());
        let g = groups(&m);
        assert_eq!(g.len(), 3);
        assert_eq!(g[1].0, Person);
        assert_eq!(g[1].1[0].0, 2, "flat positions carry over groups");
        // Either answer alone is enough.
        assert_eq!(merge(Some(&a), None).len(), 2);
        assert_eq!(merge(None, Some(&full)).len(), 3);
        // An excerpt the second line already holds is left out.
        let mut email = hit(
            Person,
            5,
            "Hélène Dupont",
            "email",
            "<mark>helene</mark>@x.fr",
        );
        email.subtitle = Some("Directrice · helene@x.fr".into());
        let only = SearchResultsOut {
            query: "q".into(),
            groups: vec![SearchGroupOut {
                type_: Person,
                total: 1,
                total_capped: false,
                items: vec![email],
            }],
        };
        assert!(merge(None, Some(&only))[0].snippet.is_none());
        // At most PER_TYPE per kind.
        let many: Vec<(SearchType, u128, &str)> = (0..9).map(|n| (Person, n, "x")).collect();
        assert_eq!(merge(Some(&ac(&many)), None).len(), PER_TYPE);
    }

    fn sugg(n: u128) -> Suggestion {
        Suggestion {
            type_: SearchType::Person,
            id: id(n),
            title: format!("P{n}"),
            detail: None,
            snippet: None,
        }
    }

    #[test]
    fn the_palette_debounces_and_drops_stale_answers() {
        let mut p = Palette::default();
        assert_eq!(p.input("d".into()), PaletteCmd::Nothing, "too short");
        let PaletteCmd::Wait(g1) = p.input("du".into()) else {
            panic!("a timer");
        };
        assert!(p.loading);
        let PaletteCmd::Wait(g2) = p.input("dup".into()) else {
            panic!("a timer");
        };
        // The first timer is superseded by the second key press.
        assert_eq!(p.timer_fired(g1), PaletteCmd::Nothing);
        assert_eq!(
            p.timer_fired(g2),
            PaletteCmd::Fetch {
                generation: g2,
                text: "dup".into()
            }
        );
        // Typing on while the request runs: its answer is stale when it comes.
        let PaletteCmd::Wait(g3) = p.input("dupo ".into()) else {
            panic!("a timer");
        };
        assert!(!p.answered(g2, Ok(vec![sugg(1)])));
        assert!(p.items.is_empty());
        assert_eq!(
            p.timer_fired(g3),
            PaletteCmd::Fetch {
                generation: g3,
                text: "dupo".into()
            }
        );
        assert!(p.answered(g3, Ok(vec![sugg(2), sugg(3)])));
        assert!(!p.loading);
        assert_eq!(p.shown_for.as_deref(), Some("dupo"));
        assert_eq!(p.items.len(), 2);
        // An older answer arriving after the newest is ignored too.
        assert!(!p.answered(g1, Ok(vec![sugg(9)])));
        assert_eq!(p.items[0].id, id(2));
        // Failures say so; clearing the field clears everything.
        let PaletteCmd::Wait(g4) = p.input("dupon".into()) else {
            panic!("a timer");
        };
        assert!(p.answered(g4, Err(())));
        assert!(p.failed && p.items.is_empty());
        assert_eq!(p.input(String::new()), PaletteCmd::Nothing);
        assert!(!p.failed && !p.loading && p.shown_for.is_none());
    }

    #[test]
    fn arrows_move_through_suggestions_then_all_results() {
        let recent: Vec<String> = vec!["amundi".into(), "lyon".into()];
        let mut p = Palette::default();
        // Nothing typed: the recent searches are the options.
        assert_eq!(p.option_count(&recent), 2);
        p.move_active(1, &recent);
        assert_eq!(p.enter(&recent), Some(Choice::Recent("amundi".into())));
        p.move_active(-1, &recent);
        assert_eq!(p.active, Some(1));
        let PaletteCmd::Wait(g) = p.input("dupont".into()) else {
            panic!("a timer");
        };
        assert_eq!(p.active, None, "typing resets the focus");
        assert_eq!(p.enter(&recent), Some(Choice::AllResults("dupont".into())));
        p.answered(g, Ok(vec![sugg(1), sugg(2)]));
        assert_eq!(p.option_count(&recent), 3);
        p.move_active(1, &recent);
        assert_eq!(p.enter(&recent), Some(Choice::Open(sugg(1))));
        p.move_active(1, &recent);
        p.move_active(1, &recent);
        assert_eq!(p.enter(&recent), Some(Choice::AllResults("dupont".into())));
        p.move_active(1, &recent);
        assert_eq!(p.active, Some(0), "wraps around");
        p.move_active(-1, &recent);
        assert_eq!(p.active, Some(2));
        p.jump(false, &recent);
        assert_eq!(p.active, Some(0));
        p.jump(true, &recent);
        assert_eq!(p.active, Some(2));
        assert_eq!(p.choice(7, &recent), None);
        let mut empty = Palette::default();
        empty.move_active(1, &[]);
        assert_eq!(empty.active, None);
        assert_eq!(empty.enter(&[]), None);
        assert_eq!(Palette::option_id(3), "search-option-3");
    }

    #[test]
    fn recent_searches_are_unique_newest_first_and_capped() {
        let mut r = Vec::new();
        remember(&mut r, "  Dupont  ");
        remember(&mut r, "Amundi");
        remember(&mut r, "dupont");
        remember(&mut r, "   ");
        assert_eq!(r, ["dupont", "Amundi"]);
        for i in 0..20 {
            remember(&mut r, &format!("q{i}"));
        }
        assert_eq!(r.len(), RECENT_MAX);
        assert_eq!(r[0], "q19");
        let json = recent_to_json(&r);
        assert_eq!(recent_from_json(Some(&json)), r);
        assert_eq!(recent_from_json(Some("not json")), Vec::<String>::new());
        assert_eq!(recent_from_json(None), Vec::<String>::new());
        assert_eq!(
            recent_from_json(Some(r#"["a", 3, null, "A", "b"]"#)),
            ["a", "b"]
        );
    }

    #[test]
    fn the_results_query_round_trips_through_the_url() {
        let params = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let q = ResultsQuery::from_params(params(&[
            ("q", " société générale "),
            ("types", "person,organisation,nope,person"),
            ("city", "Lyon"),
            ("created_from", "2026-01-01"),
            ("created_to", "2026-01-31"),
            ("status", ""),
        ]));
        assert_eq!(q.q, "société générale");
        assert_eq!(q.types, [SearchType::Organisation, SearchType::Person]);
        assert!(q.has_filters() && !q.dates_reversed());
        assert_eq!(
            q.to_url(),
            "/search?q=soci%C3%A9t%C3%A9%20g%C3%A9n%C3%A9rale&types=organisation%2Cperson\
             &city=Lyon&created_from=2026-01-01&created_to=2026-01-31"
        );
        // Paris in winter is UTC+1: the days start an hour earlier in UTC, and the last day
        // is included.
        assert_eq!(
            q.to_api_query(20, 60),
            "q=soci%C3%A9t%C3%A9%20g%C3%A9n%C3%A9rale&types=organisation%2Cperson&city=Lyon\
             &limit=20&created_from=2025-12-31T23%3A00%3A00%2B00%3A00\
             &created_to=2026-01-31T23%3A00%3A00%2B00%3A00"
        );
        let bad = ResultsQuery::from_params(params(&[
            ("q", "x"),
            ("created_from", "2026-02-01"),
            ("created_to", "2026-01-01"),
        ]));
        assert!(bad.dates_reversed());
        let plain = ResultsQuery::from_params(params(&[("q", "x"), ("created_to", "junk")]));
        assert!(!plain.has_filters());
        assert_eq!(plain.to_url(), "/search?q=x");
        let mut t = plain.clone();
        t.toggle_type(SearchType::Mandate);
        t.toggle_type(SearchType::Person);
        assert_eq!(t.types, [SearchType::Person, SearchType::Mandate]);
        t.toggle_type(SearchType::Person);
        assert_eq!(t.types, [SearchType::Mandate]);
    }

    #[test]
    fn details_and_links_read_as_words() {
        assert_eq!(
            detail_text(Lang::Fr, SearchType::Mandate, "signed"),
            i18n::t(Lang::Fr, &format!("mandate.state.{}", "signed"))
        );
        assert_eq!(
            detail_text(Lang::En, SearchType::Interaction, "meeting · 2026-02-03"),
            format!(
                "{} · Feb 3, 2026",
                i18n::t(Lang::En, &format!("interaction.kinds.{}", "meeting"))
            )
        );
        assert_eq!(
            detail_text(Lang::Fr, SearchType::Organisation, "Lyon · a@b.fr"),
            "Lyon · a@b.fr"
        );
        assert_eq!(detail_text(Lang::Fr, SearchType::Mandate, "odd"), "odd");
        assert_ne!(field_label(Lang::Fr, "notes"), "notes");
        assert_eq!(field_label(Lang::Fr, "unheard_of"), "unheard_of");
        let u = id(7);
        assert_eq!(record_href(SearchType::Person, u), format!("/people/{u}"));
        assert_eq!(
            record_href(SearchType::Interaction, u),
            format!("/search/open/interaction/{u}")
        );
        assert_eq!(searchable("  a "), None);
        assert_eq!(searchable(" ab "), Some("ab"));
    }
}
