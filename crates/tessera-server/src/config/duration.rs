//! Lifetimes and timeouts in the file: a number of seconds (`3600`) or a number with a unit
//! (`"500ms"`, `"45s"`, `"15m"`, `"24h"`, `"30d"`).

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// A duration read from the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileDuration(pub Duration);

/// The longest duration the file accepts (10 years, as the engine).
const MAX_SECS: u64 = tessera::MAX_DURATION_SECS as u64;

const EXPECTED: &str = "a number of seconds, or a string such as \"500ms\", \"45s\", \"15m\", \"24h\" or \"30d\"";

/// Parses `"30d"`, `"24h"`, `"15m"`, `"45s"`, `"500ms"` (a whole number and one unit).
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not {EXPECTED}"))?;
    let per_unit_ms: u64 = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{text:?} is not {EXPECTED}")),
    };
    let ms = number
        .checked_mul(per_unit_ms)
        .filter(|ms| *ms / 1_000 <= MAX_SECS)
        .ok_or_else(|| format!("{text:?} is longer than 10 years"))?;
    Ok(Duration::from_millis(ms))
}

impl<'de> serde::Deserialize<'de> for FileDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FileDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(EXPECTED)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FileDuration, E> {
                let secs = u64::try_from(v).map_err(|_| E::custom(format!("{v} is negative; expected {EXPECTED}")))?;
                if secs > MAX_SECS {
                    return Err(E::custom(format!("{v} seconds is longer than 10 years")));
                }
                Ok(FileDuration(Duration::from_secs(secs)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FileDuration, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FileDuration, E> {
                parse(v).map(FileDuration).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("45s"), Ok(Duration::from_secs(45)));
        assert_eq!(parse("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse("30d"), Ok(Duration::from_secs(2_592_000)));
        assert_eq!(parse(" 7 d "), Ok(Duration::from_secs(604_800)));
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "d",
            "1.5h",
            "-1s",
            "10",
            "10 years",
            "1w",
            "99999999999999999999d",
            "4000d",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
