//! An in-process browser: a cookie jar in front of `Auth::handle`, and the replies it
//! gets. Shared with other crates' tests through
//! `#[path = "…/crates/tessera/tests/it/common/browser.rs"] mod browser;`.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use tessera::Auth;

#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub(crate) fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
    pub(crate) fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(http::header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
    pub(crate) fn location(&self) -> Option<&str> {
        self.header("location")
    }
}

#[derive(Debug)]
pub(crate) struct Browser {
    pub auth: Auth,
    pub jar: BTreeMap<String, String>,
    pub extra_headers: Vec<(String, String)>,
}

impl Browser {
    pub(crate) fn new(auth: Auth) -> Self {
        Browser {
            auth,
            jar: BTreeMap::new(),
            extra_headers: Vec::new(),
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) async fn send(&mut self, req: http::request::Builder, body: Bytes) -> Reply {
        let mut req = req;
        if !self.jar.is_empty() {
            req = req.header("cookie", self.cookie_header());
        }
        for (k, v) in &self.extra_headers {
            req = req.header(k, v);
        }
        let res: Response<Bytes> = self.auth.handle(req.body(body).unwrap()).await;
        let (parts, body) = res.into_parts();
        let reply = Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        };
        for c in reply.set_cookies() {
            let (pair, attrs) = c.split_once(';').unwrap_or((&c, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        reply
    }

    pub(crate) async fn get(&mut self, path: &str) -> Reply {
        self.send(Request::get(path), Bytes::new()).await
    }

    pub(crate) async fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let req = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        self.send(req, Bytes::from(body)).await
    }

    pub(crate) async fn post_json(&mut self, path: &str, json: serde_json::Value) -> Reply {
        let req = Request::post(path).header("content-type", "application/json");
        self.send(req, Bytes::from(json.to_string())).await
    }

    pub(crate) async fn csrf(&mut self) -> String {
        self.get("/api/auth/csrf").await.json()["csrfToken"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Signs in with the credentials provider and returns the reply.
    pub(crate) async fn sign_in(&mut self) -> Reply {
        let csrf = self.csrf().await;
        self.post_form(
            "/api/auth/callback/credentials",
            &[
                ("username", "a"),
                ("password", "pw"),
                ("csrfToken", &csrf),
                ("json", "true"),
            ],
        )
        .await
    }
}
