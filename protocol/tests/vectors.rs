//! Test vectors published in docs/protocol.md. If this test fails, either the
//! code or the document is wrong: other implementations check themselves
//! against these exact values.

use telecenter_protocol::catalog::CatalogDoc;
use telecenter_protocol::validate::ProfileInput;
use telecenter_protocol::{DocId, Identity, SignedChange};

/// The vector's secret key: bytes 0x00, 0x01, ..., 0x1f.
fn vector_identity() -> Identity {
    let mut secret = [0u8; 32];
    for (i, byte) in secret.iter_mut().enumerate() {
        *byte = i as u8;
    }
    Identity::from_secret_bytes(&secret)
}

fn vector_genesis() -> SignedChange {
    let profile = ProfileInput {
        name: Some("Telecenter Kota Malang".into()),
        region: Some("Kota Malang".into()),
        contact: Some("".into()),
    }
    .validate_new()
    .unwrap();
    CatalogDoc::create(&vector_identity(), &profile, 1_795_392_000_000)
        .unwrap()
        .1
}

#[test]
fn center_id_vector() {
    let identity = vector_identity();
    let id = identity.center_id();
    println!("center id: {id}");
    println!("public key: {}", hex_string(id.as_bytes()));
    assert_eq!(id.to_string(), CENTER_ID);
    assert_eq!(hex_string(id.as_bytes()), PUBLIC_KEY_HEX);
}

#[test]
fn genesis_envelope_vector() {
    let signed = vector_genesis();
    let bytes = signed.to_bytes();
    println!("envelope ({} bytes): {}", bytes.len(), hex_string(&bytes));
    assert_eq!(hex_string(&bytes), GENESIS_ENVELOPE_HEX);
    let doc = DocId::catalog(vector_identity().center_id());
    let verified = SignedChange::from_bytes(&bytes)
        .unwrap()
        .verify(&doc)
        .unwrap();
    println!("change hash: {}", verified.hash());
    assert_eq!(verified.hash().to_string(), GENESIS_CHANGE_HASH);
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const CENTER_ID: &str = "tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9";
const PUBLIC_KEY_HEX: &str = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
const GENESIS_ENVELOPE_HEX: &str = "010103a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b803a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b87a0ef9b78859430ca29372ab27f0c6ddd1fe05b92597e6bcc66787d9edad97e64f41ecac45f5072e4047361dac99feb6fcf8f1fe4097f2b9ff16af92f93f2901856f4a839aa85aca01fe01002003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8010180a0cfada03400000801060206153a34014207560c576570020002050000010002050200017806736368656d610663656e746572026964046e616d6506726567696f6e07636f6e746163740a757064617465645f6174086c697374696e6773087e010005017f00781300d607e602b601066900017463317177737330306c6e65636774753874736d357677776a37716e396e37663433736e776a73366863616d6a727867796a347878757163706d677a3954656c6563656e746572204b6f7461204d616c616e674b6f7461204d616c616e6780a0cfada0340800";
const GENESIS_CHANGE_HASH: &str =
    "9aa85acadee905851aed03fa89650618bf7c0f59e03e8590f5069f9bb0038d5f";
