//! The per-IP attempt limit is on by default: a loop from one address is stopped at
//! `rateLimit.perIpPerMinute` (300) attempts a minute, whatever subjects it spreads them over.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

const PRELOGIN: &str = "/identity/resources/auth/v1/passwordless/magiclink/prelogin";
/// The documented default of `rateLimit.perIpPerMinute`.
const DEFAULT_PER_IP: usize = 300;

#[tokio::test]
async fn the_default_per_ip_limit_stops_a_loop_over_many_subjects() {
    let emu = start_none().await;
    assert_eq!(
        emu.get_json("/emulator/v1/config").await["rateLimit"]["perIpPerMinute"],
        DEFAULT_PER_IP
    );
    // Start at the top of a fresh window, so the loop cannot straddle two.
    let now = emu.now().await;
    emu.advance(60 - now.rem_euclid(60)).await;

    // A different email each time: the per-user limit never trips, only the per-IP one.
    let prelogin = |i: usize| {
        let body = json!({ "email": format!("nobody{i}@example.com") });
        let emu = &emu;
        async move { emu.post_json(PRELOGIN, &body).await }
    };
    for i in 0..DEFAULT_PER_IP {
        assert_eq!(prelogin(i).await.status(), StatusCode::OK, "attempt {i}");
    }
    let refused = prelogin(DEFAULT_PER_IP).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body = expect_error(refused, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["errorCode"], "ER-01008");

    // The next window starts afresh.
    emu.advance(60).await;
    assert_eq!(prelogin(0).await.status(), StatusCode::OK);
}
