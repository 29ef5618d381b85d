//! Durations as users write them (`500ms`, `30s`, `5m`, `1h30m`, or seconds) and as the tool
//! prints them; inputs, the policy and the steps all read them the same way.

use std::time::Duration;

/// `500ms`, `30s`, `5m`, `1h`, `1h30m`, or a bare number of seconds.
pub fn parse_duration(raw: &str) -> Option<Duration> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = raw;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        total += match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            _ => return None,
        };
    }
    Some(total)
}

/// `90s` → `1m30s`.
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// CloudWatch's periods: 1, 5, 10 or 30 seconds (high resolution) or whole minutes.
pub fn is_cloudwatch_period(d: Duration) -> bool {
    let ms = d.as_millis();
    [1_000, 5_000, 10_000, 30_000].contains(&ms) || (ms > 0 && ms.is_multiple_of(60_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("5 minutes"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(human(Duration::from_secs(5400)), "1h30m");
        assert_eq!(human(Duration::ZERO), "0s");
        assert!(is_cloudwatch_period(Duration::from_secs(120)));
        assert!(is_cloudwatch_period(Duration::from_secs(10)));
        assert!(!is_cloudwatch_period(Duration::from_secs(90)));
        assert!(!is_cloudwatch_period(Duration::from_millis(500)));
    }
}
