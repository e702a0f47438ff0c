//! The look of the built-in pages and of the verification email: [`Theme`].

/// Light, dark, or following the visitor's system setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorScheme {
    /// Follow `prefers-color-scheme` (default).
    #[default]
    Auto,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// The look of the built-in pages.
///
/// ```
/// use tessera::pages::{Theme, ColorScheme};
/// let theme = Theme {
///     color_scheme: ColorScheme::Dark,
///     brand_color: Some("#7c3aed".into()),
///     logo: Some("/logo.svg".into()),
///     button_text: Some("#ffffff".into()),
/// };
/// let auth = tessera::Auth::builder().secret("0123456789abcdef").theme(theme).build();
/// assert!(auth.is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Theme {
    /// Colour scheme.
    pub color_scheme: ColorScheme,
    /// Accent colour of buttons and links (a CSS colour such as `#346df1`).
    pub brand_color: Option<String>,
    /// URL of a logo shown above the card.
    pub logo: Option<String>,
    /// Text colour on brand-coloured buttons.
    pub button_text: Option<String>,
}

impl Theme {
    /// The first value that could break out of its CSS or HTML context, if any (the
    /// builder reports it as [`ConfigError::InvalidTheme`](crate::ConfigError::InvalidTheme)).
    pub(crate) fn invalid(&self) -> Option<&str> {
        let css_ok = |v: &str| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"#(),.% ".contains(&b))
        };
        for c in [&self.brand_color, &self.button_text].into_iter().flatten() {
            if !css_ok(c) {
                return Some(c);
            }
        }
        if let Some(logo) = &self.logo
            && !crate::redirect::is_valid_callback_url(logo)
        {
            return Some(logo);
        }
        None
    }

    pub(super) fn scheme(&self) -> &'static str {
        match self.color_scheme {
            ColorScheme::Auto => "auto",
            ColorScheme::Light => "light",
            ColorScheme::Dark => "dark",
        }
    }
}
