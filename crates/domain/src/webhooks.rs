//! Webhooks (SPEC §7): which events exist, which of them an endpoint receives, when a failed
//! delivery is tried again, and which network addresses a delivery may reach.
//!
//! Policy: SSRF protection is decided here and applied twice by the caller: on the URL when an
//! endpoint is saved (IP literals, forbidden names) and on every address a host name resolves
//! to when a delivery connects (so DNS rebinding cannot reach an internal address). Anything
//! that is not a public unicast address is refused unless the operator allowed it.

use crate::values::ValueError;
use serde::{Deserialize, Serialize};
use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    time::Duration,
};

code_enum!(
    /// Where a delivery stands: waiting for its next attempt, done, or given up.
    DeliveryStatus {
        Pending => "pending",
        Succeeded => "succeeded",
        Failed => "failed",
    }
);

code_enum!(
    /// Why an endpoint is inactive: switched off by an administrator, the receiver answered
    /// 410 Gone, or it failed continuously for [`DISABLE_AFTER`].
    DisabledReason {
        Manual => "manual",
        Gone => "gone",
        Failing => "failing",
    }
);

/// One kind of event a partner can subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventType {
    /// `record.action`, e.g. `organisation.stage_changed`.
    pub name: &'static str,
    pub description: &'static str,
}

const fn et(name: &'static str, description: &'static str) -> EventType {
    EventType { name, description }
}

/// Sent by "send test event"; only ever to the endpoint being tested.
pub const TEST_EVENT: &str = "webhook.test";
/// Stored (not delivered) when an endpoint is switched off automatically, for the
/// notifications to tell the tenant's administrators.
pub const ENDPOINT_DISABLED_EVENT: &str = "webhook.endpoint_disabled";

/// Every event type delivered to webhooks. A unit test in relais-api checks that each type the
/// code records is listed.
pub const EVENT_TYPES: &[EventType] = &[
    et(
        "organisation.created",
        "An organisation was created (or duplicated).",
    ),
    et("organisation.updated", "Fields of an organisation changed."),
    et(
        "organisation.stage_changed",
        "An organisation moved to another pipeline stage (also sent with organisation.updated).",
    ),
    et(
        "organisation.deleted",
        "An organisation was moved to the trash.",
    ),
    et(
        "organisation.restored",
        "An organisation was restored from the trash.",
    ),
    et(
        "organisation.purged",
        "An organisation was erased for good.",
    ),
    et(
        "organisation.stuck",
        "An organisation stayed longer than the alert threshold (30 days by default) in an open pipeline stage; sent once per stay.",
    ),
    et("person.created", "A person (contact) was created."),
    et("person.updated", "Fields of a person changed."),
    et("person.deleted", "A person was moved to the trash."),
    et("person.restored", "A person was restored from the trash."),
    et("person.purged", "A person was erased for good."),
    et(
        "person.organisation_linked",
        "A person was linked to an organisation.",
    ),
    et(
        "person.organisation_updated",
        "The role or primary flag of a person's link to an organisation changed.",
    ),
    et(
        "person.organisation_unlinked",
        "A person's link to an organisation was removed.",
    ),
    et("mandate.created", "A mandate was created."),
    et(
        "mandate.updated",
        "Fields, status or products of a mandate changed.",
    ),
    et("mandate.signed", "A mandate reached the signed status."),
    et("mandate.deleted", "A mandate was moved to the trash."),
    et("mandate.restored", "A mandate was restored from the trash."),
    et("mandate.purged", "A mandate was erased for good."),
    et("task.created", "A task was created."),
    et("task.updated", "Fields of a task changed."),
    et("task.assigned", "A task was given to an assignee."),
    et("task.completed", "A task was marked done."),
    et("task.deleted", "A task was deleted."),
    et("task.restored", "A task was restored from the trash."),
    et("task.purged", "A task was erased for good."),
    et(
        "interaction.created",
        "A call, meeting, email or note was recorded.",
    ),
    et("interaction.updated", "An interaction changed."),
    et("interaction.deleted", "An interaction was deleted."),
    et(
        "interaction.restored",
        "An interaction was restored from the trash.",
    ),
    et("interaction.purged", "An interaction was erased for good."),
    et("product.created", "A product was created."),
    et("product.updated", "A product changed."),
    et("product.deleted", "A product was deleted."),
    et("product.restored", "A product was restored from the trash."),
    et("product.purged", "A product was erased for good."),
    et("document.created", "A file was attached to a record."),
    et("document.deleted", "An attached file was deleted."),
    et(
        "document.restored",
        "An attached file was restored from the trash.",
    ),
    et("document.purged", "An attached file was erased for good."),
    et(
        TEST_EVENT,
        "A test message sent on request to one endpoint (\"send test event\").",
    ),
];

/// Is `name` a known event type?
pub fn is_event_type(name: &str) -> bool {
    EVENT_TYPES.iter().any(|t| t.name == name)
}

/// Events fanned out to subscribed endpoints. `webhook.*` events are the system's own
/// (audit of endpoint changes, tests sent to one endpoint, automatic disabling).
pub fn is_fanned_out(event_type: &str) -> bool {
    !event_type.starts_with("webhook.")
}

/// A subscription: `*` (everything), `family.*` (e.g. `organisation.*`) or an exact type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFilter(String);

impl EventFilter {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim();
        if s == "*" || is_event_type(s) {
            return Ok(Self(s.to_owned()));
        }
        if let Some(family) = s.strip_suffix(".*")
            && EVENT_TYPES
                .iter()
                .any(|t| t.name.split_once('.').is_some_and(|(f, _)| f == family))
        {
            return Ok(Self(s.to_owned()));
        }
        Err(ValueError::new(
            "unknown_event_type",
            format!("{s:?} is not an event type, a family such as `organisation.*`, or `*`"),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, event_type: &str) -> bool {
        matches(&self.0, event_type)
    }
}

/// Does the stored pattern `filter` select `event_type`?
pub fn matches(filter: &str, event_type: &str) -> bool {
    if filter == "*" {
        return true;
    }
    match filter.strip_suffix(".*") {
        Some(family) => event_type.split_once('.').is_some_and(|(f, _)| f == family),
        None => filter == event_type,
    }
}

/// Does any of an endpoint's filters select `event_type`?
pub fn matches_any<S: AsRef<str>>(filters: &[S], event_type: &str) -> bool {
    filters.iter().any(|f| matches(f.as_ref(), event_type))
}

// ---- Retries ---------------------------------------------------------------------------------

/// Waits after failed attempt 1, 2, … 7: the first attempt is immediate, then 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h (eight attempts over about 28 hours).
pub const RETRY_DELAYS: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i32 = RETRY_DELAYS.len() as i32 + 1;

/// An endpoint whose attempts have failed without a success for this long is switched off.
pub const DISABLE_AFTER: Duration = Duration::from_secs(5 * 24 * 3600);

/// The shortest wait after a 429 or a timeout.
pub const THROTTLE_MIN_DELAY: Duration = Duration::from_secs(60);

/// Jitter applied to each wait: ±20 %.
pub const JITTER: f64 = 0.2;

/// What one attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Delivered,
    /// 410: the receiver says the endpoint is gone for good; it is disabled.
    Gone,
    /// 429 or a timeout: wait longer (at least a minute) and honour `Retry-After`.
    Throttled { retry_after: Option<Duration> },
    /// Anything else: another status, a connection error, a refused address.
    Failed,
}

impl Outcome {
    /// Classify an answer (`status`) or its absence (`timed_out` or another error).
    pub fn classify(status: Option<u16>, timed_out: bool, retry_after: Option<Duration>) -> Self {
        match status {
            Some(s) if (200..300).contains(&s) => Outcome::Delivered,
            Some(410) => Outcome::Gone,
            Some(429) => Outcome::Throttled { retry_after },
            None if timed_out => Outcome::Throttled { retry_after: None },
            _ => Outcome::Failed,
        }
    }
}

/// How long to wait after failed attempt number `attempt` (1-based), or `None` when that was
/// the last one. `jitter` in [-1, 1] scales the ±20 % spread (the caller draws it at random).
/// After a 429 or a timeout the wait is at least [`THROTTLE_MIN_DELAY`], and a `Retry-After`
/// is honoured within [wait, 2 × wait].
pub fn retry_delay(attempt: i32, outcome: Outcome, jitter: f64) -> Option<Duration> {
    if !(1..MAX_ATTEMPTS).contains(&attempt) {
        return None;
    }
    let base = RETRY_DELAYS[(attempt - 1) as usize];
    let factor = 1.0 + JITTER * jitter.clamp(-1.0, 1.0);
    let delay = base.mul_f64(factor);
    match outcome {
        Outcome::Delivered | Outcome::Gone => None,
        Outcome::Failed => Some(delay),
        Outcome::Throttled { retry_after } => {
            let delay = delay.max(THROTTLE_MIN_DELAY);
            Some(match retry_after {
                Some(ra) => ra.clamp(delay, delay * 2),
                None => delay,
            })
        }
    }
}

/// An endpoint's delivery budget (`rate_limit` per second, bursts of one second), kept in the
/// database so every worker process draws from the same bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TokenBucket {
    /// Tokens left; `None` before the first delivery (a full bucket).
    pub tokens: Option<f64>,
    /// Seconds since the bucket was last drawn from (negative values count as zero, so a
    /// clock that went back never mints tokens).
    pub elapsed_secs: f64,
}

impl TokenBucket {
    /// Draw one token at `per_sec`: the tokens left afterwards, and `Err(wait)` with how long
    /// until one is available when the bucket is empty (nothing is drawn then).
    pub fn take(self, per_sec: i32) -> (f64, Result<(), Duration>) {
        let rate = f64::from(per_sec.max(1));
        let tokens = match self.tokens {
            None => rate,
            Some(t) => (t + self.elapsed_secs.max(0.0) * rate).min(rate),
        };
        if tokens >= 1.0 {
            (tokens - 1.0, Ok(()))
        } else {
            (tokens, Err(Duration::from_secs_f64((1.0 - tokens) / rate)))
        }
    }
}

/// Parse a `Retry-After` value (RFC 9110 §10.2.3): delay seconds, or an HTTP date read
/// against `now` (a date already past means "now", zero). `None` when it is neither.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

// ---- Addresses (SSRF) ------------------------------------------------------------------------

/// An address range, `10.0.0.0/8` or `fd00::/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let bad = || {
            ValueError::new(
                "invalid_cidr",
                format!("{s:?} is not a range like 10.0.0.0/8"),
            )
        };
        let (a, p) = s.trim().split_once('/').unwrap_or((s.trim(), ""));
        let addr: IpAddr = a.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if p.is_empty() {
            max
        } else {
            p.parse::<u8>().map_err(|_| bad())?
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(Self { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = (bits / 8) as usize;
    if a[..full] != b[..full] {
        return false;
    }
    let rest = bits % 8;
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[full] & mask == b[full] & mask
    }
}

/// Why an address is not a public unicast one, or `None` when it is.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

/// Cloud metadata services: refused even when private addresses are allowed.
fn is_metadata(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4 == Ipv4Addr::new(169, 254, 169, 254) || v4 == Ipv4Addr::new(100, 100, 100, 200)
        }
        // AWS's IPv6 instance metadata service.
        IpAddr::V6(v6) => v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "unspecified (0.0.0.0/8)",
        (127, _, _) => "loopback",
        (10, _, _) => "private (10.0.0.0/8)",
        (172, 16..=31, _) => "private (172.16.0.0/12)",
        (192, 168, _) => "private (192.168.0.0/16)",
        (169, 254, _) => "link-local (169.254.0.0/16, cloud metadata)",
        (100, 64..=127, _) => "shared address space (CGNAT, 100.64.0.0/10)",
        (192, 0, 0) => "IETF protocol assignments (192.0.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation range",
        (198, 18..=19, _) => "benchmarking (198.18.0.0/15)",
        (192, 88, 99) => "6to4 relay anycast",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved or broadcast",
        _ => return None,
    })
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified (::)");
    }
    if ip.is_loopback() {
        return Some("loopback (::1)");
    }
    Some(match s[0] {
        _ if s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff => "IPv4-mapped IPv6 (::ffff:0:0/96)",
        _ if s[..6] == [0, 0, 0, 0, 0, 0] => "IPv4-compatible IPv6 (::/96)",
        0x64 if s[1] == 0xff9b => "NAT64 (64:ff9b::/32)",
        0x100 if s[1..4] == [0, 0, 0] => "discard-only (100::/64)",
        0x2001 if s[1] == 0 => "Teredo (2001::/32)",
        0x2001 if s[1] == 0xdb8 => "documentation (2001:db8::/32)",
        0x2001 if s[1] < 0x200 => "IETF protocol assignments (2001::/23)",
        0x2002 => "6to4 (2002::/16)",
        x if x & 0xfe00 == 0xfc00 => "unique local (fc00::/7)",
        x if x & 0xffc0 == 0xfe80 => "link-local (fe80::/10)",
        x if x & 0xffc0 == 0xfec0 => "site-local (fec0::/10)",
        x if x & 0xff00 == 0xff00 => "multicast (ff00::/8)",
        _ => return None,
    })
}

/// Which addresses deliveries may reach. The default refuses every non-public address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// `RELAIS_ALLOW_PRIVATE_WEBHOOKS`: allow loopback, private, link-local … (tests, receivers
    /// on the same network). Unspecified, multicast, broadcast and metadata addresses stay
    /// refused.
    pub allow_private: bool,
    /// `RELAIS_WEBHOOK_ALLOWED_CIDRS`: ranges allowed even though they are not public.
    pub allowed: Vec<Cidr>,
}

impl AddressPolicy {
    /// `Err(reason)` when a delivery must not connect to `ip`.
    pub fn check(&self, ip: IpAddr) -> Result<(), String> {
        if self.allowed.iter().any(|c| c.contains(ip)) {
            return Ok(());
        }
        if is_metadata(ip) {
            return Err(format!("{ip} is a cloud metadata address"));
        }
        let Some(reason) = non_public_reason(ip) else {
            return Ok(());
        };
        let never = ip.is_unspecified()
            || ip.is_multicast()
            || matches!(ip, IpAddr::V4(v4) if v4.octets()[0] >= 224 || v4.octets()[0] == 0);
        if self.allow_private && !never {
            return Ok(());
        }
        Err(format!("{ip} is not a public address: {reason}"))
    }
}

/// Host names that always mean "this machine" or a metadata service.
pub fn forbidden_host_name(host: &str) -> Option<&'static str> {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    if h == "localhost" || h.ends_with(".localhost") || h == "ip6-localhost" || h == "ip6-loopback"
    {
        return Some("names the local machine");
    }
    if matches!(
        h.as_str(),
        "metadata"
            | "metadata.google.internal"
            | "metadata.goog"
            | "instance-data"
            | "instance-data.ec2.internal"
    ) {
        return Some("names a cloud metadata service");
    }
    None
}

/// A checked endpoint URL: http or https, a host, no credentials, and (for IP literals and
/// well-known names) not a refused address. Host names are checked again, after resolution,
/// when a delivery connects.
pub fn parse_endpoint_url(raw: &str, policy: &AddressPolicy) -> Result<url::Url, ValueError> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 2000 {
        return Err(ValueError::new(
            "invalid_url",
            "an http(s) URL of at most 2000 characters",
        ));
    }
    // The WHATWG parser normalises IPv4 written as one number, in hex or octal
    // (`http://2130706433/`, `http://0x7f000001/`) to a dotted address, so the checks below
    // see 127.0.0.1.
    let url = url::Url::parse(raw)
        .map_err(|e| ValueError::new("invalid_url", format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ValueError::new(
            "invalid_url_scheme",
            "only http and https URLs are allowed",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ValueError::new(
            "invalid_url",
            "credentials in the URL are not allowed; authenticate with the signature",
        ));
    }
    check_url_host(&url, policy).map_err(|m| ValueError::new("forbidden_address", m))?;
    Ok(url)
}

/// The address part of the checks on a parsed URL (also run before each delivery).
pub fn check_url_host(url: &url::Url, policy: &AddressPolicy) -> Result<(), String> {
    match url.host() {
        None => Err("the URL has no host".into()),
        Some(url::Host::Ipv4(ip)) => policy.check(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => policy.check(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => match forbidden_host_name(name) {
            Some(why) if !policy.allow_private => Err(format!("{name} {why}")),
            _ => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_exact_family_and_all() {
        assert!(matches("*", "mandate.signed"));
        assert!(matches("organisation.*", "organisation.stage_changed"));
        assert!(!matches("organisation.*", "person.created"));
        assert!(!matches("organisation.*", "organisations.created"));
        assert!(matches("mandate.signed", "mandate.signed"));
        assert!(!matches("mandate.signed", "mandate.updated"));
        assert!(matches_any(
            &["task.completed", "person.*"],
            "person.updated"
        ));
        assert!(!matches_any::<&str>(&[], "person.updated"));
    }

    #[test]
    fn filters_parse_known_types_only() {
        for ok in [
            "*",
            "organisation.*",
            "mandate.signed",
            " task.completed ",
            "webhook.test",
        ] {
            assert!(EventFilter::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "organisation",
            "organisation.nope",
            "nope.*",
            "*.created",
            "**",
        ] {
            assert_eq!(
                EventFilter::parse(bad).unwrap_err().code,
                "unknown_event_type",
                "{bad}"
            );
        }
    }

    #[test]
    fn catalogue_has_unique_well_formed_names() {
        let mut names: Vec<_> = EVENT_TYPES.iter().map(|t| t.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), EVENT_TYPES.len());
        for n in names {
            let (f, a) = n.split_once('.').unwrap();
            assert!(!f.is_empty() && !a.is_empty() && n == n.to_ascii_lowercase());
        }
        assert!(!is_fanned_out(TEST_EVENT) && !is_fanned_out(ENDPOINT_DISABLED_EVENT));
        assert!(is_fanned_out("organisation.created"));
    }

    #[test]
    fn retry_schedule_without_jitter() {
        let f = Outcome::Failed;
        let want = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
        for (i, secs) in want.iter().enumerate() {
            assert_eq!(
                retry_delay(i as i32 + 1, f, 0.0),
                Some(Duration::from_secs(*secs))
            );
        }
        assert_eq!(retry_delay(MAX_ATTEMPTS, f, 0.0), None);
        assert_eq!(MAX_ATTEMPTS, 8);
        let total: Duration = RETRY_DELAYS.iter().sum();
        assert!(
            total > Duration::from_secs(24 * 3600),
            "retries span more than a day"
        );
        assert_eq!(retry_delay(1, Outcome::Delivered, 0.0), None);
        assert_eq!(retry_delay(1, Outcome::Gone, 0.0), None);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let f = Outcome::Failed;
        assert_eq!(retry_delay(2, f, 1.0), Some(Duration::from_secs(360)));
        assert_eq!(retry_delay(2, f, -1.0), Some(Duration::from_secs(240)));
        assert_eq!(
            retry_delay(2, f, 7.0),
            Some(Duration::from_secs(360)),
            "clamped"
        );
    }

    #[test]
    fn throttling_waits_a_minute_and_honours_retry_after_within_bounds() {
        let t = |ra| Outcome::Throttled { retry_after: ra };
        assert_eq!(retry_delay(1, t(None), 0.0), Some(Duration::from_secs(60)));
        assert_eq!(
            retry_delay(1, t(Some(Duration::from_secs(90))), 0.0),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            retry_delay(1, t(Some(Duration::from_secs(1))), 0.0),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_delay(1, t(Some(Duration::from_secs(9999))), 0.0),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_delay(3, t(Some(Duration::from_secs(1))), 0.0),
            Some(Duration::from_secs(1800))
        );
        assert_eq!(
            retry_delay(3, t(Some(Duration::from_secs(86_400))), 0.0),
            Some(Duration::from_secs(3600))
        );
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past"
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn token_bucket_allows_bursts_of_one_second_then_refills() {
        let fresh = TokenBucket {
            tokens: None,
            elapsed_secs: 0.0,
        };
        let (left, ok) = fresh.take(2);
        assert_eq!((left, ok), (1.0, Ok(())));
        let (left, ok) = TokenBucket {
            tokens: Some(left),
            elapsed_secs: 0.0,
        }
        .take(2);
        assert_eq!((left, ok), (0.0, Ok(())));
        let (left, wait) = TokenBucket {
            tokens: Some(left),
            elapsed_secs: 0.1,
        }
        .take(2);
        assert!((left - 0.2).abs() < 1e-9, "nothing drawn: {left}");
        let wait = wait.unwrap_err();
        assert!(
            wait > Duration::from_millis(390) && wait <= Duration::from_millis(400),
            "{wait:?}"
        );
        // Refills up to one second's worth, never more, and a clock going back mints nothing.
        let (left, _) = TokenBucket {
            tokens: Some(0.0),
            elapsed_secs: 3600.0,
        }
        .take(5);
        assert_eq!(left, 4.0);
        let (_, r) = TokenBucket {
            tokens: Some(0.0),
            elapsed_secs: -10.0,
        }
        .take(5);
        assert!(r.is_err());
    }

    #[test]
    fn outcomes_from_answers() {
        assert_eq!(
            Outcome::classify(Some(204), false, None),
            Outcome::Delivered
        );
        assert_eq!(Outcome::classify(Some(410), false, None), Outcome::Gone);
        assert_eq!(
            Outcome::classify(Some(429), false, None),
            Outcome::Throttled { retry_after: None }
        );
        assert_eq!(
            Outcome::classify(None, true, None),
            Outcome::Throttled { retry_after: None }
        );
        assert_eq!(Outcome::classify(None, false, None), Outcome::Failed);
        assert_eq!(Outcome::classify(Some(301), false, None), Outcome::Failed);
        assert_eq!(Outcome::classify(Some(500), false, None), Outcome::Failed);
    }

    #[test]
    fn ssrf_refuses_non_public_literals() {
        let p = AddressPolicy::default();
        for url in [
            "http://127.0.0.1/",
            "http://0.0.0.0/",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.1/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:8.8.8.8]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[ff02::1]/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://localhost:8080/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://metadata.google.internal/",
        ] {
            let e = parse_endpoint_url(url, &p).unwrap_err();
            assert_eq!(e.code, "forbidden_address", "{url}: {}", e.message);
        }
        for url in [
            "https://example.com/hooks",
            "http://8.8.8.8:8080/x",
            "https://[2606:4700::1111]/",
        ] {
            assert!(parse_endpoint_url(url, &p).is_ok(), "{url}");
        }
    }

    #[test]
    fn urls_must_be_http_without_credentials() {
        let p = AddressPolicy::default();
        assert_eq!(
            parse_endpoint_url("ftp://example.com/", &p)
                .unwrap_err()
                .code,
            "invalid_url_scheme"
        );
        assert_eq!(
            parse_endpoint_url("file:///etc/passwd", &p)
                .unwrap_err()
                .code,
            "invalid_url_scheme"
        );
        assert_eq!(
            parse_endpoint_url("not a url", &p).unwrap_err().code,
            "invalid_url"
        );
        assert_eq!(
            parse_endpoint_url("https://u:p@example.com/", &p)
                .unwrap_err()
                .code,
            "invalid_url"
        );
        assert_eq!(parse_endpoint_url("", &p).unwrap_err().code, "invalid_url");
    }

    #[test]
    fn operators_can_allow_private_ranges() {
        let open = AddressPolicy {
            allow_private: true,
            allowed: vec![],
        };
        for ip in ["127.0.0.1", "10.1.2.3", "::1", "192.168.0.10"] {
            assert!(open.check(ip.parse().unwrap()).is_ok(), "{ip}");
        }
        for ip in ["0.0.0.0", "169.254.169.254", "224.0.0.1", "::", "ff02::1"] {
            assert!(open.check(ip.parse().unwrap()).is_err(), "{ip}");
        }
        assert!(parse_endpoint_url("http://localhost:9/", &open).is_ok());
        let list = AddressPolicy {
            allow_private: false,
            allowed: vec![
                Cidr::parse("10.20.0.0/16").unwrap(),
                Cidr::parse("fd12::/16").unwrap(),
            ],
        };
        assert!(list.check("10.20.3.4".parse().unwrap()).is_ok());
        assert!(list.check("10.21.3.4".parse().unwrap()).is_err());
        assert!(list.check("fd12::5".parse().unwrap()).is_ok());
        assert!(list.check("127.0.0.1".parse().unwrap()).is_err());
    }

    #[test]
    fn cidrs_parse_and_contain() {
        let c = Cidr::parse("172.16.0.0/12").unwrap();
        assert!(c.contains("172.31.255.255".parse().unwrap()));
        assert!(!c.contains("172.32.0.0".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        assert!(
            Cidr::parse("10.0.0.1")
                .unwrap()
                .contains("10.0.0.1".parse().unwrap())
        );
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        for bad in ["10.0.0.0/33", "nope/8", "10.0.0.0/x", "::/129"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn public_addresses_are_public() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "2606:4700::1111",
            "2a00:1450::1",
        ] {
            assert_eq!(non_public_reason(ip.parse().unwrap()), None, "{ip}");
        }
    }
}
