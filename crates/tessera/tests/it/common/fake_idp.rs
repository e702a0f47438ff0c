//! One configurable fake identity provider for the OAuth tests, in the spirit of
//! oauth2-rs's request-asserting mocks: it answers by method and exact URL with canned
//! (or per-call computed) JSON, and records every request, so a test pins the exact token
//! request URL, headers and body. Plus the test signing keys and their JWKs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tessera::oauth::{HttpClient, HttpError, HttpRequest, HttpResponse};

// ---------------------------------------------------------------------------------------
// Test keys (generated with openssl for these tests only): RSA PKCS#1 DER, P-256 and
// Ed25519 PKCS#8 DER.
// ---------------------------------------------------------------------------------------

pub(crate) const RSA_1: &str = "MIIEogIBAAKCAQEAn/GoVETqpyjXmdOS5PZaz+c4EfdvN33ZchkHXb5WlsqwcWykfMFPOTXWhpd4UAvk+j4cO3L82zGqNyCCwkloF1whOvhbZIgbFOsEgaqSl5j04soNT4MpIl2T1n0Ww2vWTGrJMTxEzlecpIABccOgw8rTDagWsP32o6jkd1hqJYkC7pQ7In9N61UqPgwZC4Be7jeAX15ZDkyA42SjS1QIgTwDUk0khVoqbifkwcZvNcSNXvIaD6yQHkMLYpRGgdKCWEzo5FfU3/vJRu3cMIAmfBYIO357gtQbSlYRcQ1DbY8IW7gLWV9T5xmECsTgHET7fgxO9qTRBOK00U8PzBm5owIDAQABAoIBAAVK8TSOR6uUOB1wuTQwpZmqpgBzAGNFAilhHabJZSkkeCLdiWXqQ02T2mj/lMbyIp4k6J9CmcGqvffvPS4VUS39g2LMFCfAzBCgCrkI8Xfo/MJcFR7gxFkAR4oGzEMkPuYUqvRUcVYL445oAMqiD1OOhl4Cn9ma73EqZhqmINqw30eEpUBgDVp8UFb8NV8Rtd7s3OXuSSCFjqtw8kuZQFxVF8K0aYvTuml++bwt3dYYvB59nXyume4vfxGRXWq+9wDgLCYI2hbHSRmG5o2plLTz12Ln+D/scWVhpgKyE0y3af/1Sb+/K976kgDIC+BPopUBcIjiOz4ig1GUJT8IYBUCgYEA19SQkS5w8HonndgE22c16+f8xvG5J7QqZyLND4USepAOenOK2n2peDncKmvYgFamtY6+5TPnk0zdEPhW4H2JcxYUTHNCSlc25MocjrmX9hh2rI44c4GxZRB6DbGHTCR8x9VANPZXQHm9UqcC+Pjk3a8A+jc+dcwE3adN6iolPDcCgYEAvbZV95N2BuyDX+J2rbboiigUhdgfPhOFjYp6sBNqUc0S8LyNos462V486+5Pn6tDfzUHQv0SIJMjp7rlC4kS/XP3oyhVipPwYdYFz3tCPGPjZ8VJ6IXsULTCuA3Aihu9uzXwyJVf380Qh4sPWBk++4k7JUGU69QxX41RfvhfL/UCgYBHaTl8D9Wme4RoIXVZ8shQia2FVa1hiacOAOHAZNM8YjWoJlqm+DT+ZoaGMrCrpf/6yoQ26fmRLzllyAVWubKktYV51hj05+5tvMG+J4I0FtwNM/FRpnO/cLgxl6+gbeIrbE+WNnugBaeylTfSkOeIwcKdB3JPH3XssNKCy/cN+QKBgFX5/YnfHX1T0NIyqwBdRZPfSDXEVZxncn5MBQApPGToIK5TdYkUF52NVOTDsvg0wLk0yh603HNA28bXL5iDvcR5uwAJdoMAOs/MFAQM417FEjlkMvObRhbpZNnO+bRdkCX48y+karfdkqErB4AwqNeMQO7IgvpBx0J7pDR70X/FAoGANMtesltu3xipEhRDBL6Da1L6tRXhKRoU15qPkCyaw81bH8DbU9E0sR55jsM61WYQAtJ8xvrw7wYAB3ul16mR/1e1qRMUqSqQ4SBdglOzevP1+R46YuzYSS6CIEmcTQuBs5MFZSAHh1MRS6pqTIGC4zypI1vBPfk3QYvNALwik0g=";
pub(crate) const RSA_2: &str = "MIIEogIBAAKCAQEAnDzGiLv4e/cAXFSvw50AhFxQNx5YxQZYxK2yUoMadNHVg3H6dkpOmvf70Io6jyzdeDqffOSZF2KpHkVF5QmK2iY0EP8QItee1ozjtbepq1q1x/JN5eJv61KymA/GcqybrauMWVvxzoDja/ph2jZOwLN3ktt6N/AgFsJL6h7GhefqOZKAD1q4POlBSiF5oA09W1JTFG32WvB4VJ9lPR9OYnsVolUYUGlboU71utAbRCGNqrlG6GUqONpYi3q8cY9DkbP1wSVszqyyZ/3m2wgvvl+mgf81SwvcUbUU7HOLrPFUIyfqE76DmmsN3DM6f4IAtd4RNhkAVYvZxrFZAQ3H7wIDAQABAoIBADPohVW8jgwxvm7uvA7TxO409Xm6nWeoeimuRAbiBBI3/SZU4hAXFBKsvX9Fzbrv/w0I/SAzmyGH6ARko5o7F2TvOHFFLQlGdkF2QdmIEdkapDawLG1qVCDtMuUOqLJE4txKmLC/uZEQhX7Ei2pCjNu9RMcIII0hPKgTGcHJQ9AM/he3lNSvGn6NfASgYyahwBLNw9xJP56y5VZxhVRHl6Q1mMwadcwRaeg4g9ixwJCNAt9A/nqWK6DOc6vjZPPN3vFghx318o3hNBdD50E1W1HHn7LASAqAoo3SWbYw71edvxmkXR/7s629o8CwtEHSTbeutrNdDbltmTvdycsm94ECgYEA2HjRxrtWanJ3cm7dCo6d0Es7N6iLFKYp8+3dHVrOTfN5NoIzKOOjVAVUPKlRSDC/xw09ceG0h2h8QQ731Uo+G7Ot3rQHvQG2XdumTu/RvpZYqwJBU9gG0QugzINyAEMPHzHzs1hVumEUxUGYIYnrGaH9TCff9E+8e/f0Jxf49+ECgYEAuMQ8nT+/jsnPV1UE/rRy/e2GsrYzrYdQ+Adl/WqqNz9sYSO3KHbe1mv1UFhTPNzngiNyN8qCYYDXX2+i8WpMreJPQrwq0z0azR+60U3ZD4L+Mbfw671FFaNfjrwrH5IUit7efsaXp2q/ojCBCFQcO+rXK+HyxgPXwNUfdxQUec8CgYBWdetTtP+PBKkwy5b94Hin+WRtlqP2W2fmRdtLHjnIaLbBTr+gVUunA3nhwL72VoJCvscL9VpluxXl5lSWnFCyP9HyYXW1yDlOw6xpWuArf2Fq7DurgV03oa1YAihGcoJXs1vjBiU3jA7/unNI8g0077577HFG45Ik8aRS+QA4AQKBgDyhmMp5WuD+dJ3R9numt32Abo1CoR62oulhdCR+1jCfDW+rCrWqnGF8t9mPwnDchNP90cNhHvvkDcjxl2TlXxhIhX3+xYbgLGVXnjSE+U/Pyp6CH/sb9wmsvPTX5sbLZxZTIGw1uxpjO1N72zvibglzfPyXftVf+XL7/QFUg4udAoGAGACEHBosi377H7bigxHHms2EVVyqxwe7tyKflZYEkEDuPlNtRkfqPKAC3x0nIgp4rRowpRxdQuahbyZH6RW7m3i+6wHC4hG8uEwYO8Y6wDQMdWIzAuv01Cn6vb4cpFcBEBjaeyYM9JstHk5JtYv5kI6S55EQX9XjVdH9tAzJPhw=";
pub(crate) const EC_P256: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgu/yD2IlLDEIcs1irNx91lzzBfU21A+9uqpmc99YX6fehRANCAASqZDcBrDWC3pBW1THMnpguUPL8W6ft16ezyvU08K/EOVQWegQjbs0iTOQKGYGOfF/QQ0pB1Ic5nbRP+/Wmr/NO";
pub(crate) const ED25519: &str = "MC4CAQAwBQYDK2VwBCIEIDpKES0UVKDJMu9OmPitycL0DIoKnt5zxQ6c4TcSDwGZ";

/// A signing key of the fake provider, and its public JWK (with `kid`).
pub(crate) struct Key {
    pub kid: &'static str,
    pub alg: Algorithm,
    pub enc: EncodingKey,
    pub jwk: Jwk,
}

/// The key `der_b64` (base64 DER) for `alg`, published as `kid`.
pub(crate) fn key(kid: &'static str, alg: Algorithm, der_b64: &str) -> Key {
    let der = STANDARD.decode(der_b64).expect("base64 test key");
    let enc = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_der(&der),
        Algorithm::ES256 => EncodingKey::from_ec_der(&der),
        Algorithm::EdDSA => EncodingKey::from_ed_der(&der),
        _ => unreachable!("no test key for {alg:?}"),
    };
    let mut jwk = Jwk::from_encoding_key(&enc, alg).expect("JWK of a test key");
    jwk.common.key_id = Some(kid.to_owned());
    Key { kid, alg, enc, jwk }
}

/// The provider's usual key: RSA, `kid` "rsa-1".
pub(crate) fn rsa() -> Key {
    key("rsa-1", Algorithm::RS256, RSA_1)
}

impl Key {
    /// A JWT (an ID token) of `claims`, signed with this key, its `kid` in the header.
    pub(crate) fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.enc).expect("signed test token")
    }
}

// ---------------------------------------------------------------------------------------
// The fake provider
// ---------------------------------------------------------------------------------------

/// One request the fake provider received.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub method: String,
    pub url: String,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Recorded {
    /// Records `req` (its body as UTF-8).
    pub(crate) fn of(req: HttpRequest) -> Recorded {
        let (parts, body) = req.into_parts();
        Recorded {
            method: parts.method.to_string(),
            url: parts.uri.to_string(),
            headers: parts.headers,
            body: String::from_utf8(body.to_vec()).expect("UTF-8 request body"),
        }
    }

    /// The request's `name` header, if any.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("ASCII header"))
    }
}

/// A route's answer: status and JSON body, given the route's call number (1 for its
/// first request).
type Answer = Arc<dyn Fn(usize) -> (u16, Value) + Send + Sync>;

#[derive(Default)]
struct State {
    routes: HashMap<(String, String), Answer>,
    requests: Vec<Recorded>,
    delay: Option<Duration>,
}

/// The fake identity provider behind the injectable [`HttpClient`]: answers each request
/// by its method and exact URL (404 `{"error":"not_found"}` when nothing is routed), and
/// records every request. Clones share their routes and records.
#[derive(Clone, Default)]
pub(crate) struct FakeIdp(Arc<Mutex<State>>);

impl FakeIdp {
    /// Answers `method url` with 200 and `body` (replacing an earlier answer).
    pub(crate) fn on(&self, method: &str, url: &str, body: Value) -> &Self {
        self.on_status(method, url, 200, body)
    }

    /// Answers `method url` with `status` and `body`.
    pub(crate) fn on_status(&self, method: &str, url: &str, status: u16, body: Value) -> &Self {
        self.on_call(method, url, move |_| (status, body.clone()))
    }

    /// Answers `method url` with what `answer` computes from the route's call number
    /// (1 for its first request).
    pub(crate) fn on_call(
        &self,
        method: &str,
        url: &str,
        answer: impl Fn(usize) -> (u16, Value) + Send + Sync + 'static,
    ) -> &Self {
        self.state()
            .routes
            .insert((method.to_owned(), url.to_owned()), Arc::new(answer));
        self
    }

    /// Answers every request only after `delay`, so concurrent callers overlap.
    pub(crate) fn delay(&self, delay: Duration) -> &Self {
        self.state().delay = Some(delay);
        self
    }

    /// An OpenID provider at `issuer`: its discovery document (endpoints `authorize`,
    /// `token`, `userinfo` and `jwks` under it, overlaid with `extra`) and its JWKS
    /// (`keys`).
    pub(crate) fn openid(&self, issuer: &str, keys: &[&Key], extra: &Value) -> &Self {
        let base = issuer.trim_end_matches('/');
        let mut doc = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "userinfo_endpoint": format!("{base}/userinfo"),
            "jwks_uri": format!("{base}/jwks"),
        });
        if let (Some(doc), Some(extra)) = (doc.as_object_mut(), extra.as_object()) {
            doc.extend(extra.clone());
        }
        self.on("GET", &format!("{base}/.well-known/openid-configuration"), doc);
        self.jwks(&format!("{base}/jwks"), keys)
    }

    /// Publishes `keys` as the JWKS at `url`.
    pub(crate) fn jwks(&self, url: &str, keys: &[&Key]) -> &Self {
        let keys: Vec<&Jwk> = keys.iter().map(|k| &k.jwk).collect();
        self.on("GET", url, json!({ "keys": keys }))
    }

    /// Every request received, in order.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// The requests received for `url` (exactly), in order.
    pub(crate) fn requests_to(&self, url: &str) -> Vec<Recorded> {
        let s = self.state();
        s.requests.iter().filter(|r| r.url == url).cloned().collect()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().expect("fake IdP lock")
    }
}

#[tessera::async_trait]
impl HttpClient for FakeIdp {
    async fn execute(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let recorded = Recorded::of(req);
        let (status, body, delay) = {
            let mut s = self.state();
            let key = (recorded.method.clone(), recorded.url.clone());
            let n = 1 + s
                .requests
                .iter()
                .filter(|r| r.method == key.0 && r.url == key.1)
                .count();
            s.requests.push(recorded);
            let (status, body) = match s.routes.get(&key) {
                Some(answer) => answer(n),
                None => (404, json!({"error": "not_found"})),
            };
            (status, body, s.delay)
        };
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        Ok(json_response(status, &body))
    }
}

/// A JSON answer.
pub(crate) fn json_response(status: u16, body: &Value) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .expect("valid response")
}
