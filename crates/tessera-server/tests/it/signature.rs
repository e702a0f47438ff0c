//! `hooks::sign` and `hooks::verify`: the scheme, and every way a header can be refused.

use std::time::Duration;

use tessera::Secret;
use tessera_server::hooks::{VerifyError, sign, verify};

const T: u64 = 1_700_000_000;
const BODY: &[u8] = br#"{"hook":"jwt"}"#;
const TOLERANCE: Duration = Duration::from_secs(300);

fn secret() -> Secret {
    Secret::new("whsec a known-answer test secret")
}

#[test]
fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
    // Node: crypto.createHmac("sha256", secret).update("1700000000.").update(body).digest("hex")
    assert_eq!(
        sign(&secret(), T, BODY),
        "t=1700000000,v1=306dd77398a31c96c37033e235842b9ca8c2b9862a599b9a7f2cc0a25b528a13"
    );
}

#[test]
fn a_good_signature_verifies_within_the_tolerance_either_side() {
    let header = sign(&secret(), T, BODY);
    for now in [T, T + 300, T - 300] {
        assert_eq!(verify(&secret(), &header, BODY, now, TOLERANCE), Ok(()), "now {now}");
    }
}

#[test]
fn a_tampered_body_or_another_secret_is_a_mismatch() {
    let header = sign(&secret(), T, BODY);
    let tampered = br#"{"hook":"jwT"}"#;
    assert_eq!(
        verify(&secret(), &header, tampered, T, TOLERANCE),
        Err(VerifyError::Mismatch)
    );
    let other = Secret::new("whsec another secret entirely");
    assert_eq!(verify(&other, &header, BODY, T, TOLERANCE), Err(VerifyError::Mismatch));
    // The timestamp is signed too: moving it breaks the signature.
    let moved = header.replace("t=1700000000", "t=1700000001");
    assert_eq!(
        verify(&secret(), &moved, BODY, T, TOLERANCE),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn stale_and_future_timestamps_are_refused() {
    let header = sign(&secret(), T, BODY);
    assert_eq!(
        verify(&secret(), &header, BODY, T + 301, TOLERANCE),
        Err(VerifyError::Timestamp)
    );
    assert_eq!(
        verify(&secret(), &header, BODY, T - 301, TOLERANCE),
        Err(VerifyError::Timestamp)
    );
}

#[test]
fn malformed_headers_are_refused() {
    let good = sign(&secret(), T, BODY);
    let tag = good.split_once(",v1=").unwrap().1;
    for header in [
        String::new(),
        "garbage".to_owned(),
        format!("v1={tag}"),
        "t=1700000000".to_owned(),
        format!("t=,v1={tag}"),
        format!("t=abc,v1={tag}"),
        format!("t=-5,v1={tag}"),
        format!("t=99999999999999999999999,v1={tag}"),
        format!("t=1700000000,t=1700000000,v1={tag}"),
        "t=1700000000,v1=zz".to_owned(),
        format!("t=1700000000,v1={}", &tag[..62]),
        format!("t=1700000000,v1={tag}00"),
        format!("t=1700000000;v1={tag}"),
    ] {
        assert_eq!(
            verify(&secret(), &header, BODY, T, TOLERANCE),
            Err(VerifyError::Malformed),
            "{header:?}"
        );
    }
}

#[test]
fn any_v1_may_match_and_other_schemes_are_ignored() {
    let good = sign(&secret(), T, BODY);
    let tag = good.split_once(",v1=").unwrap().1;
    let zeros = "0".repeat(64);
    let header = format!("t={T}, v0=abc, v1={zeros}, v1={tag}");
    assert_eq!(verify(&secret(), &header, BODY, T, TOLERANCE), Ok(()));
    let header = format!("t={T},v1={zeros}");
    assert_eq!(
        verify(&secret(), &header, BODY, T, TOLERANCE),
        Err(VerifyError::Mismatch)
    );
}
