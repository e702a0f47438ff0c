//! The `update(data)` fields a client may change without a `jwt` hook
//! ([`HookSettings::update_fields`](super::HookSettings::update_fields)), and the checks
//! their values pass.

use serde_json::Value;

use super::{HookConfigError, UpdateField};

/// A field `update()` may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    /// The display name: the `name` claim, `user.name`.
    Name,
    /// The avatar URL: the `picture` claim, `user.image`.
    Image,
}

impl Field {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "name" => Some(Field::Name),
            "image" => Some(Field::Image),
            _ => None,
        }
    }

    /// Its key in the `update()` data.
    pub(super) fn key(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Image => "image",
        }
    }

    /// Its claim in a JWT (next-auth's default claims).
    pub(super) fn claim(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Image => "picture",
        }
    }
}

/// The checked [`UpdateField`]s.
#[derive(Debug, Default)]
pub(super) struct UpdatePolicy(Vec<(Field, usize)>);

impl UpdatePolicy {
    pub(super) fn new(fields: &[UpdateField]) -> Result<Self, HookConfigError> {
        let mut checked: Vec<(Field, usize)> = Vec::with_capacity(fields.len());
        for f in fields {
            let field = Field::parse(&f.name).ok_or_else(|| HookConfigError::UnknownUpdateField(f.name.clone()))?;
            if checked.iter().any(|(seen, _)| *seen == field) {
                return Err(HookConfigError::DuplicateUpdateField(f.name.clone()));
            }
            if f.max_chars == 0 {
                return Err(HookConfigError::ZeroMaxChars(f.name.clone()));
            }
            checked.push((field, f.max_chars));
        }
        Ok(UpdatePolicy(checked))
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The valid values `data` asks for, trimmed. Invalid ones are left out, with an
    /// `info` log naming the field and the rule (never the value).
    pub(super) fn requested(&self, data: Option<&Value>) -> Vec<(Field, String)> {
        let Some(data) = data.and_then(Value::as_object) else {
            return Vec::new();
        };
        let mut accepted = Vec::new();
        for &(field, max_chars) in &self.0 {
            let Some(value) = data.get(field.key()) else {
                continue;
            };
            match check(field, max_chars, value) {
                Ok(value) => accepted.push((field, value.to_owned())),
                Err(rule) => tracing::info!(field = field.key(), "update() ignored: {rule}"),
            }
        }
        accepted
    }
}

/// `value` trimmed, when it is valid for `field`; else the rule it breaks.
fn check(field: Field, max_chars: usize, value: &Value) -> Result<&str, String> {
    let Some(value) = value.as_str().map(str::trim) else {
        return Err("the value must be a string".into());
    };
    let chars = value.chars().count();
    if chars == 0 || chars > max_chars {
        return Err(format!("the value must be 1 to {max_chars} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("the value must not contain control characters".into());
    }
    if field == Field::Image && !is_http_url(value) {
        return Err("the value must be an http or https URL".into());
    }
    Ok(value)
}

fn is_http_url(value: &str) -> bool {
    reqwest::Url::parse(value).is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn policy() -> UpdatePolicy {
        UpdatePolicy::new(&[UpdateField::new("name", 5), UpdateField::new("image", 100)]).expect("valid fields")
    }

    #[test]
    fn valid_values_are_trimmed_and_invalid_ones_left_out() {
        let data = json!({"name": "  Bob ", "image": "https://img.example/b.png", "email": "x@example.com"});
        assert_eq!(
            policy().requested(Some(&data)),
            vec![
                (Field::Name, "Bob".to_owned()),
                (Field::Image, "https://img.example/b.png".to_owned())
            ]
        );
        for bad in [
            json!({"name": "too long"}),
            json!({"name": "   "}),
            json!({"name": 5}),
            json!({"name": "a\nb"}),
            json!({"image": "javascript:alert(1)"}),
            json!({"image": "/relative.png"}),
            json!("name"),
        ] {
            assert_eq!(policy().requested(Some(&bad)), Vec::new(), "{bad}");
        }
        assert_eq!(policy().requested(None), Vec::new());
    }

    #[test]
    fn only_name_and_image_once_each_with_a_length() {
        let err = |fields: &[UpdateField]| UpdatePolicy::new(fields).unwrap_err();
        assert_eq!(
            err(&[UpdateField::new("email", 64)]),
            HookConfigError::UnknownUpdateField("email".into())
        );
        assert_eq!(
            err(&[UpdateField::new("name", 64), UpdateField::new("name", 10)]),
            HookConfigError::DuplicateUpdateField("name".into())
        );
        assert_eq!(
            err(&[UpdateField::new("image", 0)]),
            HookConfigError::ZeroMaxChars("image".into())
        );
    }
}
