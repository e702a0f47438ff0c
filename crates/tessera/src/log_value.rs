//! [`Untrusted`]: a value from a request or an identity provider, made safe for a log line.
//!
//! `tracing-subscriber` writes `%` (Display) fields as they are, newlines included, so a
//! query parameter such as `?error=%0A<forged line>` could forge log lines (security
//! review L5). Log such values as `field = ?Untrusted(value)`: the Debug form escapes
//! them like a Rust string literal and cuts them at [`MAX_CHARS`] characters.

use std::fmt::{self, Write};

/// The most characters of an untrusted value that go into a log line.
pub(crate) const MAX_CHARS: usize = 200;

/// An untrusted value for a log line: its `Debug` form is the value's `Display`, quoted,
/// with newlines, control and non-printable characters escaped (`\n`, `\u{1b}`), and
/// cut after [`MAX_CHARS`] characters (marked with `…`). Formatting allocates nothing.
pub(crate) struct Untrusted<T>(pub T);

impl<T: fmt::Display> fmt::Debug for Untrusted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        let mut escaper = Escaper {
            out: f,
            left: MAX_CHARS,
            cut: false,
        };
        let written = write!(escaper, "{}", self.0);
        let cut = escaper.cut;
        match written {
            Err(_) if !cut => return Err(fmt::Error),
            _ => {}
        }
        if cut {
            f.write_char('…')?;
        }
        f.write_char('"')
    }
}

/// Escapes what it is given into `out`, and stops (with an error, which ends the value's
/// formatting) once `left` characters went through.
struct Escaper<'a, 'b> {
    out: &'a mut fmt::Formatter<'b>,
    left: usize,
    cut: bool,
}

impl Write for Escaper<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.left == 0 {
                self.cut = true;
                return Err(fmt::Error);
            }
            self.left -= 1;
            for e in c.escape_debug() {
                self.out.write_char(e)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(v: &str) -> String {
        format!("{:?}", Untrusted(v))
    }

    #[test]
    fn l5_newlines_and_controls_are_escaped() {
        assert_eq!(shown("plain"), r#""plain""#);
        assert_eq!(
            shown("a\nINFO forged line\r\n\u{1b}[31m\0"),
            r#""a\nINFO forged line\r\n\u{1b}[31m\0""#
        );
        assert_eq!(shown("quote\" and \\"), r#""quote\" and \\""#);
        // Unicode line and paragraph separators are not printable either.
        assert_eq!(shown("a\u{2028}b\u{2029}"), r#""a\u{2028}b\u{2029}""#);
        let out = shown("x\ny");
        assert!(!out.contains('\n') && !out.contains('\r'));
    }

    #[test]
    fn l5_long_values_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_CHARS + 50);
        let out = shown(&long);
        assert_eq!(out, format!("\"{}…\"", "é".repeat(MAX_CHARS)));
        // Exactly MAX_CHARS is not cut.
        assert_eq!(shown(&"a".repeat(MAX_CHARS)), format!("\"{}\"", "a".repeat(MAX_CHARS)));
        // An escaped character counts once.
        let newlines = "\n".repeat(MAX_CHARS + 1);
        assert_eq!(shown(&newlines), format!("\"{}…\"", r"\n".repeat(MAX_CHARS)));
    }

    #[test]
    fn l5_any_display_value_is_escaped() {
        let e = crate::oauth::FlowError::new("iss mismatch: x\ny (expected z)");
        assert_eq!(format!("{:?}", Untrusted(&e)), r#""iss mismatch: x\ny (expected z)""#);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            #[test]
            fn l5_no_line_break_and_a_bounded_length(value in any::<String>()) {
                let out = format!("{:?}", Untrusted(&value));
                let breaks = ['\n', '\r', '\u{2028}', '\u{2029}'];
                prop_assert!(!out.contains(breaks), "a line break in {}", out);
                // At most MAX_CHARS escapes of at most 10 characters (`\u{10ffff}`), quotes, `…`.
                prop_assert!(out.chars().count() <= MAX_CHARS * 10 + 3);
                if value.chars().count() <= MAX_CHARS {
                    prop_assert_eq!(out, format!("{value:?}").replace('\'', "\\'"));
                }
            }
        }
    }
}
