//! The hop `Authorization` header: `HopAuth::parse` and `verify` for a fixed
//! audience and request. A header signed here for a fuzzed path and body must
//! verify for exactly that request and for no other path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telecenter_fuzz::{recipient, sender};
use telecenter_protocol::hop::HopAuth;

const AT_MS: i64 = 1_763_860_000_000;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let to = recipient().center_id();
    if which % 2 == 0 {
        let Ok(header) = std::str::from_utf8(rest) else {
            return;
        };
        if let Ok(auth) = HopAuth::parse(header) {
            let _ = auth.expires_at_ms();
            let _ = auth.verify(&to, auth.at_ms, "POST", "/api/v1/sync/summary", b"{}");
            let _ = auth.verify(&auth.to, AT_MS, "GET", "/", &[]);
        }
    } else {
        // The rest is "path \n body": a real header for that request.
        let text = String::from_utf8_lossy(rest);
        let (path, body) = text.split_once('\n').unwrap_or((&text, ""));
        let Ok(header) = HopAuth::sign(sender(), to, AT_MS, [7; 16], "POST", path, body.as_bytes())
        else {
            return;
        };
        let auth = HopAuth::parse(&header).expect("a header made by sign parses");
        assert_eq!(auth.verify(&to, AT_MS, "POST", path, body.as_bytes()), Ok(()));
        let other = format!("{path}x");
        assert!(auth.verify(&to, AT_MS, "POST", &other, body.as_bytes()).is_err());
    }
});
