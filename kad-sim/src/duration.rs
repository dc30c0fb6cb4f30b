//! Durations as people type them on the command line: `250ms`, `10s`, `30m`, `1h`, `2d`.

use std::time::Duration;

/// Parses a duration such as `250ms`, `10s`, `30m`, `1h`, `2d` or `1.5h` (a bare number is in
/// seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("bad duration {s:?}: expected a number and a unit"))?;
    let seconds = match unit {
        "" | "s" => 1.0,
        "ms" => 1e-3,
        "us" => 1e-6,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => return Err(format!("bad duration unit {unit:?} (use ms, s, m, h or d)")),
    };
    let total = value * seconds;
    if !total.is_finite() || !(0.0..1e12).contains(&total) {
        return Err(format!("duration {s:?} out of range"));
    }
    Ok(Duration::from_secs_f64(total))
}

/// Formats a duration in the unit [`parse_duration`] reads back, as short as it is exact.
pub fn format_duration(d: Duration) -> String {
    let us = d.as_micros();
    for (unit, size) in [
        ("d", 86_400_000_000u128),
        ("h", 3_600_000_000),
        ("m", 60_000_000),
        ("s", 1_000_000),
        ("ms", 1000),
    ] {
        if us >= size && us % size == 0 {
            return format!("{}{unit}", us / size);
        }
    }
    if us >= 1_000_000 {
        return format!("{}s", d.as_secs_f64());
    }
    format!("{us}us")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
        for d in ["1h", "90s", "250ms", "2d", "15m"] {
            assert_eq!(format_duration(parse_duration(d).unwrap()), d);
        }
    }
}
