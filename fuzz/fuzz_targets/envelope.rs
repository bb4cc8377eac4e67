//! `SignedChange` as it arrives from a peer: framing, then verification for the
//! document it names and for another one. Framing must round-trip exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telecenter_fuzz::sender_doc;
use telecenter_protocol::SignedChange;

fuzz_target!(|data: &[u8]| {
    let Ok(signed) = SignedChange::from_bytes(data) else {
        return;
    };
    assert_eq!(signed.to_bytes(), data, "framing must round-trip");
    let named = signed.doc;
    if let Ok(verified) = signed.clone().verify(&named) {
        assert_eq!(verified.signed, signed);
    }
    let _ = signed.verify(&sender_doc());
});
