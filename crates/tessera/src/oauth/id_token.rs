//! The ID-token check of OpenID Connect Core §3.1.3.7: the signature against the
//! provider's JWKS (refetched once when a `kid` is unknown, for key rotation), then `iss`,
//! `aud`/`azp`, `exp`/`iat`/`nbf` with a 10 s tolerance, `sub`, `nonce` and `at_hash`.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use sha2::Digest;

use super::{FlowError, HttpClient};
use crate::secret::ct_eq;

/// Clock tolerance of the ID-token time claims, in seconds (openid-client's setting in NextAuth).
pub(crate) const CLOCK_TOLERANCE_SECS: i64 = 10;

/// After a refetch for an unknown `kid`, the next such refetch waits this long, so a
/// stream of forged tokens cannot turn the server into a JWKS request amplifier.
const FORCED_REFETCH_COOLDOWN: Duration = Duration::from_secs(30);

/// The signature algorithms accepted by default: asymmetric only.
pub(crate) const DEFAULT_ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// A provider's signing keys, fetched on first use.
#[derive(Debug, Default)]
pub(crate) struct JwksCache {
    keys: RwLock<Option<Arc<Vec<Jwk>>>>,
    last_forced: Mutex<Option<Instant>>,
}

impl JwksCache {
    fn cached(&self) -> Option<Arc<Vec<Jwk>>> {
        self.keys.read().ok().and_then(|k| k.clone())
    }

    async fn fetch(&self, http: &dyn HttpClient, uri: &str) -> Result<Arc<Vec<Jwk>>, FlowError> {
        let doc = super::http_client::get_json(http, uri, None).await?;
        let keys: Vec<Jwk> = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| FlowError::new("JWKS: no keys array"))?
            .iter()
            // Keys we cannot use (encryption keys, unknown curves) are skipped, not fatal.
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .filter(|k| !matches!(k.common.public_key_use, Some(PublicKeyUse::Encryption)))
            .collect();
        let keys = Arc::new(keys);
        if let Ok(mut slot) = self.keys.write() {
            *slot = Some(keys.clone());
        }
        Ok(keys)
    }

    /// May a refetch for an unknown `kid` happen now? Records it when so.
    fn may_force(&self) -> bool {
        let Ok(mut last) = self.last_forced.lock() else {
            return false;
        };
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < FORCED_REFETCH_COOLDOWN) {
            return false;
        }
        *last = Some(now);
        true
    }
}

/// What the token must say.
pub(crate) struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce of the check cookie (`None`: the token must carry none).
    pub nonce: Option<&'a str>,
    pub access_token: Option<&'a str>,
    pub algorithms: &'a [Algorithm],
    pub now: i64,
}

fn family_matches(alg: Algorithm, key: &Jwk) -> bool {
    match &key.algorithm {
        AlgorithmParameters::RSA(_) => matches!(
            alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        AlgorithmParameters::EllipticCurve(_) => matches!(alg, Algorithm::ES256 | Algorithm::ES384),
        AlgorithmParameters::OctetKeyPair(_) => alg == Algorithm::EdDSA,
        _ => false,
    }
}

/// The keys that could have signed a token with this header.
fn candidates<'k>(keys: &'k [Jwk], kid: Option<&str>, alg: Algorithm) -> Vec<&'k Jwk> {
    keys.iter()
        .filter(|k| match kid {
            Some(kid) => k.common.key_id.as_deref() == Some(kid),
            None => true,
        })
        .filter(|k| family_matches(alg, k))
        .filter(|k| k.common.key_algorithm.is_none_or(|ka| ka == KeyAlgorithm::from(alg)))
        .collect()
}

/// Verifies `token` and returns its claims.
pub(crate) async fn validate(
    http: &dyn HttpClient,
    jwks_uri: &str,
    cache: &JwksCache,
    token: &str,
    expected: &Expected<'_>,
) -> Result<Map<String, Value>, FlowError> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| FlowError::new(format!("ID token header: {e}")))?;
    let alg = header.alg;
    if !expected.algorithms.contains(&alg) {
        return Err(FlowError::new(format!("ID token: algorithm {alg:?} is not accepted")));
    }
    let kid = header.kid.as_deref();
    let keys = match cache.cached() {
        Some(k) => k,
        None => cache.fetch(http, jwks_uri).await?,
    };
    let mut found = candidates(&keys, kid, alg).into_iter().cloned().collect::<Vec<_>>();
    if found.is_empty() && kid.is_some() && cache.may_force() {
        // An unknown key id: the provider may have rotated its keys.
        let keys = cache.fetch(http, jwks_uri).await?;
        found = candidates(&keys, kid, alg).into_iter().cloned().collect();
    }
    if found.is_empty() {
        return Err(FlowError::new("ID token: no matching key in the provider's JWKS"));
    }
    let mut validation = Validation::new(alg);
    validation.algorithms = vec![alg];
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let mut claims = None;
    for jwk in &found {
        let Ok(key) = DecodingKey::from_jwk(jwk) else {
            continue;
        };
        if let Ok(data) = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation) {
            claims = Some(data.claims);
            break;
        }
    }
    let claims = claims.ok_or_else(|| FlowError::new("ID token: invalid signature"))?;
    check_claims(&claims, alg, expected)?;
    Ok(claims)
}

fn number(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, FlowError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| FlowError::new(format!("ID token: {name} is not a number"))),
    }
}

pub(crate) fn check_claims(claims: &Map<String, Value>, alg: Algorithm, e: &Expected<'_>) -> Result<(), FlowError> {
    let fail = |m: &str| Err(FlowError::new(format!("ID token: {m}")));
    if claims.get("iss").and_then(Value::as_str) != Some(e.issuer) {
        return fail("iss does not match the issuer");
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => return fail("aud is missing"),
    };
    if !audiences.contains(&e.client_id) {
        return fail("aud does not include the client id");
    }
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != e.client_id => return fail("azp is not the client id"),
        None if audiences.len() > 1 => return fail("azp is required with several audiences"),
        _ => {}
    }
    // The claims are the IdP's numbers, up to i64::MIN/MAX: saturating (security review I2).
    let (tol, late) = (CLOCK_TOLERANCE_SECS, e.now.saturating_add(CLOCK_TOLERANCE_SECS));
    match number(claims, "exp")? {
        Some(exp) if exp.saturating_add(tol) > e.now => {}
        Some(_) => return fail("expired"),
        None => return fail("exp is missing"),
    }
    match number(claims, "iat")? {
        Some(iat) if iat <= late => {}
        Some(_) => return fail("issued in the future"),
        None => return fail("iat is missing"),
    }
    if number(claims, "nbf")?.is_some_and(|nbf| nbf > late) {
        return fail("not valid yet (nbf)");
    }
    if claims.get("sub").and_then(Value::as_str).is_none_or(str::is_empty) {
        return fail("sub is missing");
    }
    match (e.nonce, claims.get("nonce").and_then(Value::as_str)) {
        (Some(want), Some(got)) if ct_eq(want, got) => {}
        (None, None) => {}
        _ => return fail("nonce mismatch"),
    }
    if let (Some(at_hash), Some(access_token)) = (claims.get("at_hash").and_then(Value::as_str), e.access_token)
        && !ct_eq(at_hash, &left_half_hash(alg, access_token))
    {
        return fail("at_hash does not match the access token");
    }
    Ok(())
}

/// `base64url(left half of HASH(value))`, HASH chosen by the signature algorithm.
fn left_half_hash(alg: Algorithm, value: &str) -> String {
    let digest: Vec<u8> = match alg {
        Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 | Algorithm::HS384 => {
            sha2::Sha384::digest(value.as_bytes()).to_vec()
        }
        Algorithm::RS512 | Algorithm::PS512 | Algorithm::HS512 | Algorithm::EdDSA => {
            sha2::Sha512::digest(value.as_bytes()).to_vec()
        }
        _ => sha2::Sha256::digest(value.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expected(nonce: Option<&str>) -> Expected<'_> {
        Expected {
            issuer: "https://idp.example",
            client_id: "cid",
            nonce,
            access_token: Some("at"),
            algorithms: DEFAULT_ALGORITHMS,
            now: 1_000_000,
        }
    }

    fn claims(extra: Value) -> Map<String, Value> {
        let mut m = json!({"iss":"https://idp.example","aud":"cid","sub":"u1","iat":1_000_000,"exp":1_000_600})
            .as_object()
            .unwrap()
            .clone();
        m.extend(serde_json::from_value::<Map<String, Value>>(extra).unwrap());
        m
    }

    #[test]
    fn claim_rules() {
        let ok = |c: Map<String, Value>, n: Option<&str>| check_claims(&c, Algorithm::RS256, &expected(n)).is_ok();
        assert!(ok(claims(json!({})), None));
        assert!(!ok(claims(json!({"iss":"https://evil.example"})), None));
        assert!(!ok(claims(json!({"aud":"other"})), None));
        assert!(!ok(claims(json!({"aud":["cid","other"]})), None));
        assert!(ok(claims(json!({"aud":["cid","other"],"azp":"cid"})), None));
        assert!(!ok(claims(json!({"azp":"other"})), None));
        assert!(ok(claims(json!({"exp":999_991})), None)); // within the 10 s tolerance
        assert!(!ok(claims(json!({"exp":999_990})), None));
        assert!(!ok(claims(json!({"iat":1_000_011})), None));
        assert!(!ok(claims(json!({"nbf":1_000_011})), None));
        assert!(!ok(claims(json!({"sub":""})), None));
        assert!(ok(claims(json!({"nonce":"n"})), Some("n")));
        assert!(!ok(claims(json!({"nonce":"x"})), Some("n")));
        assert!(!ok(claims(json!({})), Some("n")));
        assert!(!ok(claims(json!({"nonce":"n"})), None));
        let at_hash = left_half_hash(Algorithm::RS256, "at");
        assert!(ok(claims(json!({ "at_hash": at_hash })), None));
        assert!(!ok(claims(json!({"at_hash":"AAAA"})), None));
    }

    #[test]
    fn at_hash_vector() {
        // Computed independently: base64url(sha256(token)[..16]) with Python's hashlib.
        assert_eq!(
            left_half_hash(Algorithm::RS256, "jHkWEdUXMU1BwAsC4vtUsZwnNZ9Ia6gEGi6kGlBGlJ8"),
            "41UVGHoIv-YmqH4v_AhH6w"
        );
    }

    #[test]
    fn i2_extreme_claims_neither_panic_nor_pass_wrongly() {
        let check = |c: Map<String, Value>, now: i64| {
            let e = Expected { now, ..expected(None) };
            check_claims(&c, Algorithm::RS256, &e).is_ok()
        };
        let now = 1_000_000;
        // Far-future expiry: valid (the IdP said so), however it is written.
        assert!(check(claims(json!({"exp": i64::MAX})), now));
        assert!(check(claims(json!({"exp": 1e300})), now));
        assert!(check(claims(json!({"exp": u64::MAX})), now));
        // Far-past expiry or issue time.
        assert!(!check(claims(json!({"exp": i64::MIN})), now));
        assert!(!check(claims(json!({"exp": -1e300})), now));
        assert!(check(claims(json!({"iat": i64::MIN, "nbf": i64::MIN})), now));
        // Issued or valid only in the far future.
        assert!(!check(claims(json!({"iat": i64::MAX})), now));
        assert!(!check(claims(json!({"nbf": 1e300})), now));
        // The clock at its ends: no overflow (the result itself does not matter).
        let _ = check(
            claims(json!({"exp": i64::MAX, "iat": i64::MAX, "nbf": i64::MAX})),
            i64::MAX,
        );
        let _ = check(
            claims(json!({"exp": i64::MIN, "iat": i64::MIN, "nbf": i64::MIN})),
            i64::MIN,
        );
    }
}
