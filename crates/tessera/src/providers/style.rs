//! The brand style of an OAuth provider's button on the built-in sign-in page, after
//! NextAuth.js v4's provider `style: { logo, logoDark, bg, bgDark, text, textDark }`.
//!
//! See [`ProviderStyle`].

/// Where logos given as a root-relative path (`"/github.svg"`) are served from, as in
/// NextAuth.js v4's sign-in page.
pub const PROVIDER_LOGO_BASE: &str = "https://authjs.dev/img/providers";

/// How an OAuth provider's button looks on the built-in sign-in page: a logo and brand
/// colours, light and dark. Every field is optional; a provider without a style gets a
/// plain button in the theme's brand colour.
///
/// The dark values default to the light ones. Checked by [`crate::AuthBuilder::build`]:
///
/// * colours are CSS colour literals: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, a colour
///   name (`white`), or `rgb()`, `rgba()`, `hsl()`, `hsla()` of numbers, `%`, units,
///   `,` and `/`;
/// * logos are `https://` URLs, root-relative paths (served from
///   [`PROVIDER_LOGO_BASE`], NextAuth's logo set: `"/github.svg"` is
///   `https://authjs.dev/img/providers/github.svg`), or `data:image/svg+xml` /
///   `data:image/png` URLs (base64 or percent-encoded); none may contain quotes, angle
///   brackets, backslashes or whitespace.
///
/// ```
/// use tessera::providers::{OAuthProvider, ProviderStyle};
///
/// let acme = OAuthProvider::new("acme")
///     .name("Acme")
///     .issuer("https://login.acme.example")
///     .client_id("id")
///     .client_secret("secret")
///     .style(
///         ProviderStyle::new()
///             .logo("https://cdn.acme.example/logo.svg") // or "/github.svg": an authjs.dev logo
///             .bg("#fff")
///             .text("#e4002b")
///             .bg_dark("#e4002b")
///             .text_dark("#fff"),
///     );
/// let auth = tessera::Auth::builder().secret("0123456789abcdef").provider(acme).build();
/// assert!(auth.is_ok());
///
/// // A value that could leave its CSS or HTML context is refused at build.
/// let hostile = OAuthProvider::new("acme")
///     .issuer("https://login.acme.example")
///     .client_id("id")
///     .client_secret("secret")
///     .style(ProviderStyle::new().bg("red;}body{display:none"));
/// let refused = tessera::Auth::builder().secret("0123456789abcdef").provider(hostile).build();
/// assert!(matches!(refused, Err(tessera::ConfigError::InvalidProvider { .. })));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderStyle {
    /// Logo (24×24) shown before "Sign in with …".
    pub logo: Option<String>,
    /// Logo in the dark colour scheme (default: [`logo`](Self::logo)).
    pub logo_dark: Option<String>,
    /// Button background (`--provider-bg`).
    pub bg: Option<String>,
    /// Button background in the dark colour scheme (default: [`bg`](Self::bg)).
    pub bg_dark: Option<String>,
    /// Button text colour (`--provider-color`).
    pub text: Option<String>,
    /// Button text colour in the dark colour scheme (default: [`text`](Self::text)).
    pub text_dark: Option<String>,
}

impl ProviderStyle {
    /// An empty style; set the parts with the builder methods.
    pub fn new() -> Self {
        Self::default()
    }

    /// The logo: an `https://` URL, a path on [`PROVIDER_LOGO_BASE`] (`"/github.svg"`),
    /// or a `data:image/svg+xml` / `data:image/png` URL.
    pub fn logo(mut self, logo: impl Into<String>) -> Self {
        self.logo = Some(logo.into());
        self
    }

    /// The logo in the dark colour scheme.
    pub fn logo_dark(mut self, logo: impl Into<String>) -> Self {
        self.logo_dark = Some(logo.into());
        self
    }

    /// The button background, a CSS colour (`"#fff"`).
    pub fn bg(mut self, color: impl Into<String>) -> Self {
        self.bg = Some(color.into());
        self
    }

    /// The button background in the dark colour scheme.
    pub fn bg_dark(mut self, color: impl Into<String>) -> Self {
        self.bg_dark = Some(color.into());
        self
    }

    /// The button text colour, a CSS colour (`"#000"`).
    pub fn text(mut self, color: impl Into<String>) -> Self {
        self.text = Some(color.into());
        self
    }

    /// The button text colour in the dark colour scheme.
    pub fn text_dark(mut self, color: impl Into<String>) -> Self {
        self.text_dark = Some(color.into());
        self
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The first value that is not allowed, as `(field, value, what it must be)`.
    pub(crate) fn invalid(&self) -> Option<(&'static str, &str, &'static str)> {
        const COLOR: &str = "a CSS colour (#hex, a name, rgb() or hsl())";
        const LOGO: &str = "an https:// URL, a path starting with '/', or a data:image/svg+xml or data:image/png URL";
        let logos = [("logo", &self.logo), ("logo_dark", &self.logo_dark)];
        let colors = [
            ("bg", &self.bg),
            ("bg_dark", &self.bg_dark),
            ("text", &self.text),
            ("text_dark", &self.text_dark),
        ];
        let bad_logo = logos
            .into_iter()
            .find_map(|(field, v)| v.as_deref().filter(|v| !is_logo(v)).map(|v| (field, v, LOGO)));
        bad_logo.or_else(|| {
            colors
                .into_iter()
                .find_map(|(field, v)| v.as_deref().filter(|v| !is_css_color(v)).map(|v| (field, v, COLOR)))
        })
    }
}

/// Whether `s` is a CSS colour literal that cannot leave a declaration value or an HTML
/// attribute: `#` and 3, 4, 6 or 8 hex digits; a name of letters; or `rgb()`, `rgba()`,
/// `hsl()`, `hsla()` around numbers, units, `%`, `,`, `/` and spaces (no nested functions).
pub(crate) fn is_css_color(s: &str) -> bool {
    if s.is_empty() || s.len() > 64 {
        return false;
    }
    if let Some(hex) = s.strip_prefix('#') {
        return matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if s.bytes().all(|b| b.is_ascii_alphabetic()) {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    let Some(args) = ["rgb(", "rgba(", "hsl(", "hsla("]
        .iter()
        .find_map(|f| lower.strip_prefix(f))
        .and_then(|rest| rest.strip_suffix(')'))
    else {
        return false;
    };
    !args.trim().is_empty()
        && args
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b',' | b'%' | b'/' | b' ' | b'+' | b'-'))
}

/// Whether `s` is an allowed logo: an `https://` URL with a host and no credentials, a
/// root-relative path (not `//`), or a `data:image/svg+xml` / `data:image/png` URL; in
/// every case printable ASCII without quotes, angle brackets, backslashes or whitespace.
pub(crate) fn is_logo(s: &str) -> bool {
    let printable = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'<' | b'>' | b'\\' | b'`'));
    if !printable {
        return false;
    }
    if s.starts_with('/') {
        return !s.starts_with("//");
    }
    let lower = s.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("data:") {
        return ["image/svg+xml", "image/png"].iter().any(|mime| {
            rest.strip_prefix(mime)
                .is_some_and(|after| after.starts_with(',') || after.starts_with(';'))
        }) && s.contains(',');
    }
    url::Url::parse(s).is_ok_and(|u| {
        u.scheme() == "https" && u.host_str().is_some() && u.username().is_empty() && u.password().is_none()
    })
}

/// The logo's URL on the page: a root-relative path is served from [`PROVIDER_LOGO_BASE`].
pub(crate) fn logo_url(logo: &str) -> std::borrow::Cow<'_, str> {
    if logo.starts_with('/') {
        format!("{PROVIDER_LOGO_BASE}{logo}").into()
    } else {
        logo.into()
    }
}

/// `#rgb` or `#rrggbb` as `rgba(r, g, b, alpha)` (NextAuth's `--provider-bg-hover`);
/// `None` for other colours.
pub(crate) fn hex_to_rgba(color: &str, alpha: f32) -> Option<String> {
    let hex = color.strip_prefix('#')?;
    let digit = |i: usize| u8::from_str_radix(hex.get(i..=i)?, 16).ok();
    let (r, g, b) = match hex.len() {
        3 => (digit(0)? * 17, digit(1)? * 17, digit(2)? * 17),
        6 => {
            let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
            (byte(0)?, byte(2)?, byte(4)?)
        }
        _ => return None,
    };
    Some(format!("rgba({r}, {g}, {b}, {alpha})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logo_urls_resolve_root_relative_paths() {
        assert_eq!(logo_url("/github.svg"), "https://authjs.dev/img/providers/github.svg");
        assert_eq!(
            logo_url("https://cdn.example.com/x.svg"),
            "https://cdn.example.com/x.svg"
        );
    }

    #[test]
    fn colors() {
        for ok in [
            "#fff",
            "#7289DA",
            "#00000080",
            "white",
            "rgb(255, 0, 0)",
            "rgba(0 0 0 / 50%)",
            "hsl(120deg 50% 50%)",
            "HSLA(1, 2%, 3%, .5)",
        ] {
            assert!(is_css_color(ok), "{ok}");
        }
        for bad in [
            "",
            "#ff",
            "#ggg",
            "red;}body{display:none",
            "red; background:url(x)",
            "rgb(1,2,3);x",
            "rgb(var(--x))",
            "url(https://x)",
            "expression(alert(1))",
            "</style>",
            "\"#fff",
            "#fff'",
            "rgb()",
            "rgb(0 0 0",
            "white ",
        ] {
            assert!(!is_css_color(bad), "{bad}");
        }
    }

    #[test]
    fn logos() {
        for ok in [
            "/github.svg",
            "https://cdn.example.com/logo.svg?v=2",
            "data:image/svg+xml;base64,PHN2Zy8+",
            "data:image/svg+xml,%3Csvg%2F%3E",
            "data:image/png;base64,iVBORw0KGgo=",
        ] {
            assert!(is_logo(ok), "{ok}");
        }
        for bad in [
            "",
            "//evil.example/x.svg",
            "http://cdn.example.com/logo.svg",
            "javascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "data:image/svg+xml,<svg onload=alert(1)>",
            "data:image/svg+xmlfoo,x",
            "data:image/png;base64",
            "https://x.example/a\"onerror=\"alert(1)",
            "https://x.example/a b.svg",
            "https://user:pw@x.example/a.svg",
            "/a'b.svg",
            "/a\\b.svg",
            "github.svg",
        ] {
            assert!(!is_logo(bad), "{bad}");
        }
    }

    #[test]
    fn first_invalid_field_is_named() {
        let s = ProviderStyle::new().logo("/x.svg").bg("#fff").text_dark("red;}");
        assert_eq!(s.invalid().map(|(f, v, _)| (f, v)), Some(("text_dark", "red;}")));
        assert!(ProviderStyle::new().bg("#fff").invalid().is_none());
        assert!(ProviderStyle::new().is_empty());
    }

    #[test]
    fn hover_colors() {
        assert_eq!(hex_to_rgba("#fff", 0.8).as_deref(), Some("rgba(255, 255, 255, 0.8)"));
        assert_eq!(hex_to_rgba("#7289DA", 0.8).as_deref(), Some("rgba(114, 137, 218, 0.8)"));
        assert_eq!(hex_to_rgba("white", 0.8), None);
        assert_eq!(hex_to_rgba("#ffff", 0.8), None);
    }
}
