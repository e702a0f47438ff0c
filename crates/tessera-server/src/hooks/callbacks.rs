//! The engine's callbacks as hooks: `sign_in`, `jwt` and `session` (see the
//! [module docs](super) for the JSON); `redirect` keeps the engine's default. Without a
//! `jwt` hook, `update()` applies the configured update fields itself.

use serde::Serialize;
use serde_json::{Map, Value};
use tessera::adapter::UserUpdate;
use tessera::callbacks::{CallbackError, Callbacks, JwtArgs, JwtTrigger, SessionArgs, SignInArgs, SignInDecision};
use tessera::{Account, Session, Token};

use super::Hooks;
use super::update::Field;

/// The message of a failed `jwt` or `session` hook: `?error=Configuration` on a sign-in
/// (the error page's "problem with the server configuration").
const FAILED: &str = "Configuration";

fn failed() -> CallbackError {
    CallbackError::new(FAILED)
}

/// `value` as JSON. Only for the engine's types, whose serialisation cannot fail (string
/// keys, no custom serialisers that error).
fn json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("the engine's types serialise to JSON")
}

/// next-auth's name of a trigger.
fn trigger_name(trigger: JwtTrigger) -> &'static str {
    match trigger {
        JwtTrigger::SignIn => "signIn",
        JwtTrigger::SignUp => "signUp",
        JwtTrigger::Update => "update",
    }
}

/// Whether an account field holds a credential of the provider's (`access_token`,
/// `refresh_token`, `id_token`, `oauth_token_secret`…), left out of what hooks see.
fn is_provider_token(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key != "token_type" && (key.contains("token") || key.contains("secret"))
}

impl Hooks {
    /// The account as hooks see it: without the provider's tokens unless configured.
    fn account_json(&self, account: &Account) -> Value {
        let mut value = json(account);
        if !self.inner.send_provider_tokens
            && let Value::Object(fields) = &mut value
        {
            fields.retain(|key, _| !is_provider_token(key));
        }
        value
    }

    /// `update()` of a database session: the fields `data` validly asks for, written to the
    /// user and shown in `session`. An adapter failure fails the callback.
    async fn update_stored_user(
        &self,
        user_id: &str,
        data: Option<&Value>,
        session: &mut Session,
    ) -> Result<(), CallbackError> {
        let requested = self.inner.update.requested(data);
        if requested.is_empty() {
            return Ok(());
        }
        let Some(adapter) = &self.adapter else {
            tracing::warn!(
                "update() ignored: database sessions need the adapter (Hooks::with_adapter) to apply update fields"
            );
            return Ok(());
        };
        let mut update = UserUpdate {
            id: user_id.to_owned(),
            ..Default::default()
        };
        for (field, value) in &requested {
            match field {
                Field::Name => update.name = Some(Some(value.clone())),
                Field::Image => update.image = Some(Some(value.clone())),
            }
        }
        if let Err(e) = adapter.update_user(update).await {
            tracing::warn!(error = %e, "update(): the adapter could not update the user");
            return Err(failed());
        }
        if let Some(user) = session.user.as_mut() {
            for (field, value) in requested {
                match field {
                    Field::Name => user.name = Some(value),
                    Field::Image => user.image = Some(value),
                }
            }
        }
        Ok(())
    }
}

#[tessera::async_trait]
impl Callbacks for Hooks {
    async fn sign_in(&self, args: SignInArgs<'_>) -> Result<SignInDecision, CallbackError> {
        let Some(endpoint) = &self.inner.sign_in else {
            return Ok(SignInDecision::Allow);
        };
        let mut body = Map::new();
        body.insert("user".into(), json(args.user));
        body.insert("account".into(), self.account_json(args.account));
        if let Some(profile) = args.profile {
            body.insert("profile".into(), profile.clone());
        }
        if let Some(verification_request) = args.verification_request {
            body.insert("verification_request".into(), verification_request.into());
        }
        // A failed hook is logged by `call`: refused (`AccessDenied`).
        Ok(endpoint
            .call(&self.inner.client, body, parse_sign_in)
            .await
            .unwrap_or(SignInDecision::Deny))
    }

    async fn jwt(&self, mut args: JwtArgs<'_>) -> Result<Token, CallbackError> {
        let Some(endpoint) = &self.inner.jwt else {
            if args.trigger == Some(JwtTrigger::Update) {
                for (field, value) in self.inner.update.requested(args.session) {
                    args.token.set(field.claim(), value);
                }
            }
            return Ok(args.token);
        };
        let mut body = Map::new();
        body.insert("token".into(), json(&args.token));
        if let Some(user) = args.user {
            body.insert("user".into(), json(user));
        }
        if let Some(account) = args.account {
            body.insert("account".into(), self.account_json(account));
        }
        if let Some(profile) = args.profile {
            body.insert("profile".into(), profile.clone());
        }
        if let Some(trigger) = args.trigger {
            body.insert("trigger".into(), trigger_name(trigger).into());
        }
        if let Some(data) = args.session {
            body.insert("session".into(), data.clone());
        }
        if let Some(is_new_user) = args.is_new_user {
            body.insert("is_new_user".into(), is_new_user.into());
        }
        endpoint
            .call(&self.inner.client, body, parse_jwt)
            .await
            .ok_or_else(failed)
    }

    async fn session(&self, mut args: SessionArgs<'_>) -> Result<Session, CallbackError> {
        // Database sessions: the user is there (JWT sessions have the token instead).
        if args.trigger == Some(JwtTrigger::Update)
            && let Some(user) = args.user
        {
            self.update_stored_user(&user.id, args.new_session, &mut args.session)
                .await?;
        }
        let Some(endpoint) = &self.inner.session else {
            return Ok(args.session);
        };
        let mut body = Map::new();
        body.insert("session".into(), json(&args.session));
        if let Some(token) = args.token {
            body.insert("token".into(), json(token));
        }
        if let Some(user) = args.user {
            body.insert("user".into(), json(user));
        }
        if let Some(trigger) = args.trigger {
            body.insert("trigger".into(), trigger_name(trigger).into());
        }
        if let Some(data) = args.new_session {
            body.insert("new_session".into(), data.clone());
        }
        let mut session = endpoint
            .call(&self.inner.client, body, parse_session)
            .await
            .ok_or_else(failed)?;
        if session.expires.is_empty() {
            session.expires = args.session.expires;
        }
        Ok(session)
    }
}

/// `{"allow": true}`, `{"allow": false}` or `{"redirect": "…"}` (with `"allow": false` or
/// without `allow`).
fn parse_sign_in(mut answer: Map<String, Value>) -> Result<SignInDecision, &'static str> {
    match (answer.remove("allow"), answer.remove("redirect")) {
        (Some(Value::Bool(true)), None) => Ok(SignInDecision::Allow),
        (Some(Value::Bool(false)), None) => Ok(SignInDecision::Deny),
        (None | Some(Value::Bool(false)), Some(Value::String(target))) => Ok(SignInDecision::Redirect(target)),
        _ => Err(r#"expected {"allow": true}, {"allow": false} or {"redirect": "…"}"#),
    }
}

/// `{"token": {…}}`.
fn parse_jwt(mut answer: Map<String, Value>) -> Result<Token, &'static str> {
    match answer.remove("token") {
        Some(Value::Object(claims)) => Ok(Token::from_claims(claims)),
        _ => Err(r#"expected {"token": {…}}"#),
    }
}

/// `{"session": {…}}`.
fn parse_session(mut answer: Map<String, Value>) -> Result<Session, &'static str> {
    match answer.remove("session") {
        Some(session @ Value::Object(_)) => {
            serde_json::from_value(session).map_err(|_| "`session.user` must be an object with string fields")
        }
        _ => Err(r#"expected {"session": {…}}"#),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("an object literal"),
        }
    }

    #[test]
    fn sign_in_answers() {
        let parse = |v| parse_sign_in(object(v));
        assert_eq!(parse(json!({"allow": true})), Ok(SignInDecision::Allow));
        assert_eq!(parse(json!({"allow": false})), Ok(SignInDecision::Deny));
        assert_eq!(
            parse(json!({"redirect": "/blocked"})),
            Ok(SignInDecision::Redirect("/blocked".into()))
        );
        for bad in [
            json!({}),
            json!({"allow": "yes"}),
            json!({"allow": true, "redirect": "/x"}),
            json!({"redirect": 5}),
        ] {
            assert!(parse(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_account_goes_without_provider_tokens_unless_configured() {
        let mut account = Account {
            provider: "github".into(),
            kind: tessera::AccountType::OAuth,
            provider_account_id: "42".into(),
            user_id: None,
            extra: Map::new(),
        };
        for (key, value) in [
            ("access_token", json!("gho_live")),
            ("refresh_token", json!("ghr_live")),
            ("id_token", json!("eyJ")),
            ("token_type", json!("bearer")),
            ("expires_at", json!(1_700_000_000)),
            ("scope", json!("read:user")),
        ] {
            account.extra.insert(key.into(), value);
        }
        let hooks = |send_provider_tokens| {
            let mut settings = crate::hooks::HookSettings::new("0123456789abcdef");
            settings.send_provider_tokens = send_provider_tokens;
            Hooks::new(settings).expect("valid settings")
        };
        assert_eq!(
            hooks(false).account_json(&account),
            json!({
                "provider": "github",
                "type": "oauth",
                "providerAccountId": "42",
                "token_type": "bearer",
                "expires_at": 1_700_000_000,
                "scope": "read:user",
            })
        );
        assert_eq!(hooks(true).account_json(&account)["access_token"], "gho_live");
    }

    #[test]
    fn provider_tokens_are_recognised() {
        for key in [
            "access_token",
            "refresh_token",
            "id_token",
            "oauth_token_secret",
            "client_secret",
        ] {
            assert!(is_provider_token(key), "{key}");
        }
        for key in [
            "token_type",
            "expires_at",
            "scope",
            "provider",
            "providerAccountId",
            "type",
        ] {
            assert!(!is_provider_token(key), "{key}");
        }
    }
}
