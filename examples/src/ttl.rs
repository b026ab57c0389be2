//! Lifetimes as people type them: `90s`, `30m`, `1h`, `3d`, or plain seconds.

use std::time::Duration;

/// Why a lifetime could not be parsed. Never repeats the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtlParseError(&'static str);

impl std::fmt::Display for TtlParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid lifetime: {} (use a whole number with s, m, h or d, e.g. 90s, 30m, 1h, 3d)",
            self.0
        )
    }
}

impl std::error::Error for TtlParseError {}

/// Parses `<digits>[s|m|h|d]` (no unit means seconds). Surrounding whitespace
/// is ignored; zero and values beyond 100 years are refused.
pub fn parse_ttl(input: &str) -> Result<Duration, TtlParseError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(TtlParseError("empty"));
    }
    let (digits, unit_secs) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let unit = match c.to_ascii_lowercase() {
                's' => 1u64,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => return Err(TtlParseError("unknown unit")),
            };
            (s.get(..i).unwrap_or_default(), unit)
        }
        _ => (s, 1u64),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TtlParseError("not a whole number"));
    }
    let n: u64 = digits
        .parse()
        .map_err(|_| TtlParseError("number too large"))?;
    let secs = n
        .checked_mul(unit_secs)
        .filter(|&secs| secs <= 100 * 365 * 86_400)
        .ok_or(TtlParseError("longer than 100 years"))?;
    if secs == 0 {
        return Err(TtlParseError("must be more than zero"));
    }
    Ok(Duration::from_secs(secs))
}

/// Formats a lifetime the way [`parse_ttl`] reads it, in the largest whole unit.
pub fn format_ttl(ttl: Duration) -> String {
    let secs = ttl.as_secs();
    match secs {
        0 => "0s".to_owned(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format_unix_utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_ttl("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_ttl("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_ttl(" 1h ").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_ttl("3D").unwrap(), Duration::from_secs(259_200));
        assert_eq!(parse_ttl("120").unwrap(), Duration::from_secs(120));
        for bad in [
            "",
            "h",
            "0h",
            "-1h",
            "1.5h",
            "1w",
            "1 h",
            "99999999999999999999",
            "36500001d",
        ] {
            assert!(parse_ttl(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_ttl(Duration::from_secs(259_200)), "3d");
        assert_eq!(format_ttl(Duration::from_secs(90)), "90s");
    }

    #[test]
    fn formats_dates() {
        assert_eq!(format_unix_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_unix_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_unix_utc(1_764_073_416), "2025-11-25 12:23:36 UTC");
    }
}
