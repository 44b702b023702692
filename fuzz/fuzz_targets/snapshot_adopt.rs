//! Stored or shared session snapshots, taken in by a signed-out or signed-in client, and the
//! refresh leases written into them.
#![no_main]

use frontegg_auth_wasm::core::session::Lease;
use frontegg_auth_wasm::core::AuthCore;
use frontegg_auth_wasm_fuzz::{assert_signs_in, mode, options, same_instant, signed_in, NOW};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mode = mode(pick);
    let mut core = if pick & 1 == 0 {
        AuthCore::new(options(), mode)
    } else {
        signed_in(mode)
    };
    let before = core.session().cloned();
    if core.adopt_snapshot(text, 0.0) {
        let session = core.session().cloned().expect("adopted");
        // Only a newer session is taken, and so the same one is not taken twice.
        assert!(before.as_ref().is_none_or(|b| session.is_newer_than(b)));
        assert!(!core.adopt_snapshot(text, 0.0));
        // What is taken in is stored again as a snapshot that a fresh client takes in.
        let again = core.snapshot().expect("signed in, so there is a snapshot");
        let mut fresh = AuthCore::new(options(), mode);
        assert!(
            fresh.adopt_snapshot(&again, 0.0),
            "own snapshot refused: {again}"
        );
        let held = fresh.session().expect("adopted");
        assert_eq!(held.access_token, session.access_token);
        assert!(same_instant(held.expires_at, session.expires_at));
        assert_eq!(held.user, session.user);
        // The same user's snapshot without a refresh cookie leaves the one held before in place
        // (server mode), so its stored copy may carry a refresh token the session didn't show;
        // another user's replaces every credential, so nothing of the previous user's is stored.
        let same_user = before
            .as_ref()
            .is_some_and(|b| b.user.id == session.user.id);
        if session.refresh_token.is_some() || !same_user {
            assert_eq!(held.refresh_token, session.refresh_token);
        }
    } else {
        assert_eq!(core.session(), before.as_ref());
    }
    let lease = Lease {
        by: "me".into(),
        until: NOW + 1_000.0,
    };
    if let Some(written) = lease.written_into(text) {
        assert_eq!(Lease::held_by_another(&written, "you", NOW), Some(lease));
        assert_eq!(Lease::held_by_another(&written, "me", NOW), None);
    }
    assert_signs_in(&mut core);
});
