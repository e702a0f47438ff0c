//! Microsoft Entra ID, formerly Azure Active Directory (OpenID Connect), after
//! `next-auth/providers/azure-ad`.

use super::{OAuthProvider, env, oidc_profile};
use crate::Secret;
use crate::providers::{Check, ProviderStyle};

/// Azure AD, with `AUTH_AZURE_AD_ID`, `AUTH_AZURE_AD_SECRET` and
/// `AUTH_AZURE_AD_TENANT_ID` from the environment. See [`azure_ad_with`].
pub fn azure_ad() -> OAuthProvider {
    azure_ad_with(
        env("AZURE_AD", "TENANT_ID"),
        env("AZURE_AD", "ID"),
        env("AZURE_AD", "SECRET"),
    )
}

/// Azure Active Directory (id `azure-ad`, as in NextAuth v4): an app registration with the
/// Web redirect URI `<NEXTAUTH_URL>/api/auth/callback/azure-ad`. `tenant` is the
/// directory (tenant) **ID**, a GUID.
///
/// OpenID Connect discovery from `https://login.microsoftonline.com/<tenant>/v2.0`, scope
/// `openid profile email`, check `state`; the profile is the ID token's claims (id = `sub`,
/// `name`, `email`; `email` is only present when the `email` optional claim is configured).
///
/// Limitations: the multi-tenant endpoints (`common`, `organizations`, `consumers`) are not
/// supported, as their discovery document names the templated issuer
/// `https://login.microsoftonline.com/{tenantid}/v2.0`, which no ID token carries; and the
/// image is not set (NextAuth fetches the photo from Microsoft Graph in `profile`, an extra
/// request the synchronous mapping here cannot make).
pub fn azure_ad_with(
    tenant: impl Into<String>,
    client_id: impl Into<String>,
    client_secret: impl Into<Secret>,
) -> OAuthProvider {
    let tenant = tenant.into();
    OAuthProvider::new("azure-ad")
        .name("Azure Active Directory")
        .issuer(format!("https://login.microsoftonline.com/{}/v2.0", tenant.trim()))
        .scope("openid profile email")
        .id_token(true)
        .checks([Check::State])
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(oidc_profile)
        .style(
            ProviderStyle::new()
                .logo("/azure.svg")
                .logo_dark("/azure-dark.svg")
                .bg("#fff")
                .text("#0072c6")
                .bg_dark("#0072c6")
                .text_dark("#fff"),
        )
}

/// Microsoft Entra ID, with `AUTH_MICROSOFT_ENTRA_ID_ID`, `AUTH_MICROSOFT_ENTRA_ID_SECRET`
/// and `AUTH_MICROSOFT_ENTRA_ID_TENANT_ID` from the environment. See
/// [`microsoft_entra_id_with`].
pub fn microsoft_entra_id() -> OAuthProvider {
    microsoft_entra_id_with(
        env("MICROSOFT_ENTRA_ID", "TENANT_ID"),
        env("MICROSOFT_ENTRA_ID", "ID"),
        env("MICROSOFT_ENTRA_ID", "SECRET"),
    )
}

/// [`azure_ad_with`] under the id `microsoft-entra-id` and the name "Microsoft Entra ID"
/// (the Auth.js v5 naming): register `<NEXTAUTH_URL>/api/auth/callback/microsoft-entra-id`.
pub fn microsoft_entra_id_with(
    tenant: impl Into<String>,
    client_id: impl Into<String>,
    client_secret: impl Into<Secret>,
) -> OAuthProvider {
    azure_ad_with(tenant, client_id, client_secret)
        .id("microsoft-entra-id")
        .name("Microsoft Entra ID")
}
