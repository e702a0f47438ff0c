//! Configuration, secrets and outbound HTTP: L2, L3, L4, L8, I3, I10, RSA signing (I7).

use bytes::Bytes;
use tessera::ConfigError;
use tessera::oauth::HttpClient;
use tessera::providers::{Check, OAuthProvider};

use crate::common::builder;

// ---------------------------------------------------------------------------------------
// L8: the default OAuth HTTP client ignores proxy environment variables
// ---------------------------------------------------------------------------------------

const L8_CHILD: &str = "TESSERA_L8_PROXY_CHILD";

/// Run by `l8_…` in a child process whose environment points every proxy variable at a
/// local listener (the environment is process-global, so never in this test process).
#[tokio::test]
#[ignore = "run by l8_default_http_client_ignores_proxy_variables, in a child process"]
async fn l8_child_requests_through_the_default_client() {
    if std::env::var_os(L8_CHILD).is_none() {
        return;
    }
    let client = tessera::oauth::ReqwestClient::new().unwrap();
    // `.invalid` never resolves: without a proxy this fails at DNS; through the proxy it
    // would reach the listener (which never answers, so the request would time out).
    let req = http::Request::post("http://tessera-l8.invalid/token").body(Bytes::from_static(b"client_secret=s3cr3t"));
    assert!(client.execute(req.unwrap()).await.is_err());
}

#[test]
fn l8_default_http_client_ignores_proxy_variables() {
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", proxy.local_addr().unwrap());
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "config::l8_child_requests_through_the_default_client",
            "--exact",
            "--ignored",
        ])
        .env(L8_CHILD, "1")
        .env("NO_PROXY", "")
        .env("no_proxy", "")
        .envs(
            [
                "HTTP_PROXY",
                "HTTPS_PROXY",
                "ALL_PROXY",
                "http_proxy",
                "https_proxy",
                "all_proxy",
            ]
            .map(|k| (k, &url)),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    proxy.set_nonblocking(true).unwrap();
    let contacted = proxy.accept();
    assert!(
        matches!(&contacted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the proxy from the environment was contacted: {contacted:?}"
    );
}

// ---------------------------------------------------------------------------------------
// I10: an OAuth provider must keep state or PKCE
// ---------------------------------------------------------------------------------------

fn plain_oauth(id: &str) -> OAuthProvider {
    OAuthProvider::new(id)
        .authorization("https://idp.example/authorize")
        .token("https://idp.example/token")
        .userinfo("https://idp.example/me")
        .client_id("cid")
        .client_secret("csec")
}

#[test]
fn i10_oauth_without_state_or_pkce_is_refused_at_build() {
    for checks in [vec![], vec![Check::Nonce]] {
        let err = builder()
            .provider(plain_oauth("corp").checks(checks))
            .build()
            .unwrap_err();
        let ConfigError::InvalidProvider { id, reason } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(id, "corp");
        assert!(reason.contains("neither state nor PKCE"), "{reason}");
    }
    for checks in [vec![Check::State], vec![Check::Pkce], vec![Check::Pkce, Check::Nonce]] {
        assert!(builder().provider(plain_oauth("corp").checks(checks)).build().is_ok());
    }
    // The defaults keep state.
    assert!(builder().provider(plain_oauth("corp")).build().is_ok());
}
