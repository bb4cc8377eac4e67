//! A WhatsApp number typed in any form (`normalize_phone`); the normal form is
//! a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telecenter_protocol::phone::{normalize_phone, wa_me_digits};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(normal) = normalize_phone("whatsapp", text) {
        let _ = wa_me_digits(&normal);
        assert_eq!(normalize_phone("whatsapp", &normal).ok(), Some(normal.clone()));
    }
});
