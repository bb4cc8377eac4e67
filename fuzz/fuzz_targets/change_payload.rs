//! The fuzz input is the Automerge change inside an envelope signed with a fixed
//! key, so it gets past the signature: the bounded pre-parse, Automerge's decoder,
//! applying to a catalog (empty, and holding its genesis) and reading it back.
//! A second pass recomputes the chunk checksum so the fuzzer reaches the columns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telecenter_fuzz::{genesis_doc, read_all, sender, sender_doc, signed_by_sender, with_fixed_checksum};
use telecenter_protocol::envelope::bounds;
use telecenter_protocol::CatalogDoc;

fn run(change: Vec<u8>) {
    let measured = bounds::measure(&change);
    let Ok(verified) = signed_by_sender(change).verify(&sender_doc()) else {
        return;
    };
    // Whatever verify accepts, the pre-parse accepted.
    assert!(measured.is_ok(), "verify accepted a change the pre-parse refused");
    let mut empty = CatalogDoc::empty(sender().center_id());
    if empty.apply(&verified).is_ok() {
        read_all(&empty);
    }
    let mut doc = genesis_doc();
    if doc.apply(&verified).is_ok() {
        let _ = doc.touched_by(&verified.change);
        read_all(&doc);
        // What was applied survives a save and a load.
        let saved = doc.save();
        let loaded = CatalogDoc::load(sender().center_id(), &saved).expect("a saved catalog loads");
        assert_eq!(loaded.heads(), doc.heads());
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(fixed) = with_fixed_checksum(data) {
        if fixed != data {
            run(fixed);
        }
    }
    run(data.to_vec());
});
