//! Durations on the command line: `30d`, `12h`, `90m` in, `2h 5m` out.
//!
//! A dozen lines instead of a dependency, and deliberately strict: a purge deletes data, so only
//! one number and one unambiguous unit are accepted (no months or years of uncertain length, no
//! `M` that could be minutes or months).

use std::time::Duration;

const UNITS: [(&str, u64); 5] = [("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400), ("w", 604_800)];

/// Parses `<number><unit>` with unit `s`, `m`, `h`, `d` or `w`, e.g. `30d`; zero is refused.
///
/// ```
/// use std::time::Duration;
/// use webhook_outbox::ops::duration::parse;
///
/// assert_eq!(parse("90m"), Ok(Duration::from_secs(5_400)));
/// assert!(parse("1 month").is_err());
/// ```
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let help = "use a whole number and a unit: s, m, h, d or w (e.g. 30d, 12h, 90m)";
    let Some(&(_, secs_per_unit)) = UNITS.iter().find(|(name, _)| *name == unit) else {
        return Err(format!("{text:?} is not a duration: {help}"));
    };
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration: {help}"))?;
    if number == 0 {
        return Err(format!("{text:?} is zero: give a positive duration ({help})"));
    }
    number
        .checked_mul(secs_per_unit)
        .filter(|secs| i64::try_from(*secs).is_ok())
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

/// A rough, readable age: the two largest units, e.g. `3d 4h`, `2h 5m`, `45s`.
pub fn format_age(secs: f64) -> String {
    let total = secs.max(0.0) as u64;
    let parts = [(total / 86_400, "d"), (total / 3_600 % 24, "h"), (total / 60 % 60, "m"), (total % 60, "s")];
    let first = parts.iter().position(|(n, _)| *n > 0).unwrap_or(parts.len() - 1);
    parts[first..]
        .iter()
        .take(2)
        .filter(|(n, _)| *n > 0 || first == parts.len() - 1)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_is_understood() {
        let cases = [("45s", 45), ("90m", 5_400), ("12h", 43_200), ("30d", 2_592_000), ("2w", 1_209_600)];
        for (text, secs) in cases {
            assert_eq!(parse(text), Ok(Duration::from_secs(secs)), "{text}");
        }
    }

    #[test]
    fn surrounding_spaces_are_ignored() {
        assert_eq!(parse(" 7d "), Ok(Duration::from_secs(604_800)));
    }

    #[test]
    fn a_missing_or_unknown_unit_is_refused_with_the_units_to_use() {
        for text in ["30", "30M", "1y", "1mo", "30 d", "d", "", "-1d", "1.5h", "1h30m"] {
            let error = parse(text).expect_err(text);
            assert!(error.contains("s, m, h, d or w"), "{text}: {error}");
        }
    }

    #[test]
    fn zero_is_refused() {
        assert!(parse("0d").expect_err("zero").contains("positive"));
    }

    #[test]
    fn an_overflowing_duration_is_refused() {
        assert!(parse("99999999999999999w").is_err());
        assert!(parse("99999999999999999999d").is_err());
    }

    #[test]
    fn ages_show_the_two_largest_units() {
        assert_eq!(format_age(0.0), "0s");
        assert_eq!(format_age(45.9), "45s");
        assert_eq!(format_age(125.0), "2m 5s");
        assert_eq!(format_age(7_500.0), "2h 5m");
        assert_eq!(format_age(3.0 * 86_400.0 + 4.0 * 3_600.0 + 59.0), "3d 4h");
        assert_eq!(format_age(86_400.0 + 30.0), "1d");
    }
}
