//! Shared fixtures of the fuzz targets: fixed keys and a fixed genesis change,
//! so a target can sign what the fuzzer makes and get past the signature check.
//!
//! The seeds in `seeds/` are made with the same keys and genesis by the
//! `write_fuzz_seeds` test of `protocol/tests/decoders.rs`.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use telecenter_protocol::catalog::input::ProfileInput;
use telecenter_protocol::{CatalogDoc, DocId, Identity, SignedChange, VerifiedChange};

/// Secret of the signer of fuzzed catalog changes, pair messages and sealed mail.
pub const SENDER_SECRET: [u8; 32] = [0x42; 32];
/// Secret of the recipient of sealed mail and the audience of hop headers.
pub const RECIPIENT_SECRET: [u8; 32] = [0x43; 32];
/// Time of the genesis change of the sender's catalog.
pub const GENESIS_AT_MS: i64 = 1_763_860_000_000;

/// The sender's identity.
pub fn sender() -> &'static Identity {
    static SENDER: OnceLock<Identity> = OnceLock::new();
    SENDER.get_or_init(|| Identity::from_secret_bytes(&SENDER_SECRET))
}

/// The recipient's identity.
pub fn recipient() -> &'static Identity {
    static RECIPIENT: OnceLock<Identity> = OnceLock::new();
    RECIPIENT.get_or_init(|| Identity::from_secret_bytes(&RECIPIENT_SECRET))
}

/// The sender's catalog document id.
pub fn sender_doc() -> DocId {
    DocId::catalog(sender().center_id())
}

/// The genesis change of the sender's catalog, verified.
pub fn genesis() -> &'static VerifiedChange {
    static GENESIS: OnceLock<VerifiedChange> = OnceLock::new();
    GENESIS.get_or_init(|| {
        let profile = ProfileInput {
            name: Some("Telecenter Fuzz".into()),
            region: Some("Kota Malang".into()),
            contact: Some("0812-3456-7890".into()),
            ..Default::default()
        }
        .validate_new()
        .expect("the fixture profile is valid");
        let (_, signed) = CatalogDoc::create(sender(), &profile, GENESIS_AT_MS)
            .expect("the fixture catalog is created");
        signed.verify(&sender_doc()).expect("the genesis verifies")
    })
}

/// The sender's catalog holding only its genesis change.
pub fn genesis_doc() -> CatalogDoc {
    let mut doc = CatalogDoc::empty(sender().center_id());
    doc.apply(genesis()).expect("the genesis applies");
    doc
}

/// `chunk` with its checksum recomputed, when it has the header of an Automerge
/// chunk (magic, checksum, type, length); `None` otherwise. Lets the fuzzer get
/// past the checksum to the columns.
pub fn with_fixed_checksum(chunk: &[u8]) -> Option<Vec<u8>> {
    if chunk.len() < 10 || chunk[..4] != [0x85, 0x6f, 0x4a, 0x83] {
        return None;
    }
    let mut out = chunk.to_vec();
    let mut hasher = Sha256::new();
    // Chunk type, then the length and the body: everything after the checksum.
    hasher.update(&chunk[8..]);
    let hash = hasher.finalize();
    out[4..8].copy_from_slice(&hash[..4]);
    Some(out)
}

/// Reads everything a node reads of a catalog (profile, listings, vouches),
/// bounded: a document the fuzzer built may hold odd shapes but never panics.
pub fn read_all(doc: &CatalogDoc) {
    let _ = doc.seq();
    let _ = doc.heads();
    let _ = doc.profile();
    let _ = doc.vouches();
    if let Ok(keys) = doc.listing_keys() {
        for key in keys.iter().take(64) {
            if let Ok(id) = key.parse() {
                let _ = doc.listing(&id);
            }
        }
    }
}

/// Signs `change` as the sender for the sender's catalog.
pub fn signed_by_sender(change: Vec<u8>) -> SignedChange {
    SignedChange::sign(sender(), sender_doc(), change)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
