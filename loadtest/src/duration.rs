//! Durations written the way k6 writes them: `500ms`, `10s`, `1m30s`, `2h`.

use serde::{Deserialize, Deserializer, Serializer};
use std::time::Duration;

/// Parses `1m30s`-style durations: one or more `<number><unit>` parts, unit one of `ms`, `s`,
/// `m`, `h`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("{text:?}: expected a number, like 10s or 1m30s"));
        }
        let n: u64 = rest[..digits].parse().map_err(|_| format!("{text:?}: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let too_long = || format!("{text:?}: too long");
        let part = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60).ok_or_else(too_long)?),
            "h" => Duration::from_secs(n.checked_mul(3600).ok_or_else(too_long)?),
            "" => return Err(format!("{text:?}: a unit is missing (ms, s, m or h)")),
            unit => return Err(format!("{text:?}: unknown unit {unit:?} (use ms, s, m or h)")),
        };
        total = total.checked_add(part).ok_or_else(too_long)?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// Writes a duration back in the same style (`1m30s`, `250ms`).
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    let (h, m, s, rest) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let mut out = String::new();
    for (v, unit) in [(h, "h"), (m, "m"), (s, "s"), (rest, "ms")] {
        if v > 0 {
            out.push_str(&format!("{v}{unit}"));
        }
    }
    out
}

/// Serde: a duration as a string like `10s`.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}

pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(*d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k6_style() {
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("1h2m3s4ms"), Ok(Duration::from_millis(3_723_004)));
        assert!(parse("10").unwrap_err().contains("unit is missing"));
        assert!(parse("10x").unwrap_err().contains("unknown unit"));
        assert!(parse("s").is_err());
        assert!(parse("").is_err());
    }

    /// Found by fuzzing (`fuzz/fuzz_targets/config_values.rs`): these panicked.
    #[test]
    fn a_duration_too_long_to_hold_is_an_error() {
        assert!(parse("18446744073709551615h").unwrap_err().contains("too long"));
        assert!(parse("307445734561825861m").unwrap_err().contains("too long"));
        let many = "18446744073709551615s".repeat(2);
        assert!(parse(&many).unwrap_err().contains("too long"));
    }

    #[test]
    fn formats_back() {
        for text in ["10s", "1m30s", "250ms", "1h2m3s4ms", "0s"] {
            assert_eq!(format(parse(text).unwrap()), text);
        }
    }
}
