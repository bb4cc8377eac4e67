//! Test vectors published in docs/protocol.md. If this test fails, either the
//! code or the document is wrong: other implementations check themselves
//! against these exact values.

use telecenter_protocol::catalog::CatalogDoc;
use telecenter_protocol::catalog::input::ProfileInput;
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
        ..Default::default()
    }
    .validate_new()
    .expect("valid profile");
    CatalogDoc::create(&vector_identity(), &profile, 1_795_392_000_000)
        .expect("genesis")
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

/// Issue 13: a profile change publishing a WhatsApp number, on the vector
/// catalog. The genesis above (without the field) is unchanged; the change
/// travels as bytes and reads back in its normal form on a replica.
#[test]
fn whatsapp_profile_change_vector() {
    let identity = vector_identity();
    let owner = identity.center_id();
    let genesis = vector_genesis();
    let doc_id = DocId::catalog(owner);
    let mut doc = CatalogDoc::empty(owner);
    doc.apply(&genesis.clone().verify(&doc_id).unwrap())
        .unwrap();
    assert_eq!(doc.profile().unwrap().whatsapp, None);
    let change = ProfileInput {
        whatsapp: Some("0812-0000-0000".into()),
        ..Default::default()
    }
    .validate()
    .expect("valid number");
    let signed = doc
        .set_profile(&identity, &change, 1_795_392_060_000)
        .expect("profile change");
    let bytes = signed.to_bytes();
    let verified = SignedChange::from_bytes(&bytes)
        .unwrap()
        .verify(&doc_id)
        .unwrap();
    println!("change hash: {}", verified.hash());
    assert_eq!(verified.hash().to_string(), WHATSAPP_CHANGE_HASH);
    let mut replica = CatalogDoc::empty(owner);
    replica.apply(&genesis.verify(&doc_id).unwrap()).unwrap();
    replica.apply(&verified).unwrap();
    assert_eq!(
        replica.profile().unwrap().whatsapp.as_deref(),
        Some("+6281200000000")
    );
}

const WHATSAPP_CHANGE_HASH: &str =
    "4fefc816bf0c736d31ed4e0047ab56fa9a56a4a85eea979ad33f744e3b8a7fb9";

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const CENTER_ID: &str = "tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9";
const PUBLIC_KEY_HEX: &str = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
const GENESIS_ENVELOPE_HEX: &str = "010103a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b803a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b881a4d60a1a7eb0e07c9716c21a2ba9caf375b526f387c95c95553d99e27ba42dd73be55c664809e72387e13ad104ab852e3e82e3209826a90020b849a37a2702856f4a8364b6b248018702002003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8010180a0cfada03400000801060206154234014207560d576570020002050000020002050200027706736368656d610663656e746572026964046e616d6506726567696f6e07636f6e746163740a757064617465645f6174086c697374696e677307766f7563686573097e010005010200791300d607e602b60106690200017463317177737330306c6e65636774753874736d357677776a37716e396e37663433736e776a73366863616d6a727867796a347878757163706d677a3954656c6563656e746572204b6f7461204d616c616e674b6f7461204d616c616e6780a0cfada0340900";
const GENESIS_CHANGE_HASH: &str =
    "64b6b2486b192a0f550637d8df1ad2d3b728ec7093f5483a9ec2a805ac6c6547";

#[test]
fn hop_authorization_vector() {
    use telecenter_protocol::hop::HopAuth;
    let mut receiver_secret = [0u8; 32];
    for (i, byte) in receiver_secret.iter_mut().enumerate() {
        *byte = 0x20 + i as u8;
    }
    let receiver = Identity::from_secret_bytes(&receiver_secret).center_id();
    let mut nonce = [0u8; 16];
    for (i, byte) in nonce.iter_mut().enumerate() {
        *byte = i as u8;
    }
    let header = HopAuth::sign(
        &vector_identity(),
        receiver,
        1_795_392_000_000,
        nonce,
        "POST",
        "/api/v1/sync/summary",
        br#"{"have":{}}"#,
    )
    .unwrap();
    println!("receiver: {receiver}");
    println!("header: {header}");
    assert_eq!(receiver.to_string(), HOP_RECEIVER);
    assert_eq!(header, HOP_HEADER);
    let auth = HopAuth::parse(&header).unwrap();
    auth.verify(
        &receiver,
        1_795_392_000_000,
        "POST",
        "/api/v1/sync/summary",
        br#"{"have":{}}"#,
    )
    .unwrap();
}

const HOP_RECEIVER: &str = "tc19xkt4c2phn90pv3wr22dxngtcumpu5ndp0lp9jyhjj7fxg5kdhtsu0ztnp";
const HOP_HEADER: &str = "Telecenter from=tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9,to=tc19xkt4c2phn90pv3wr22dxngtcumpu5ndp0lp9jyhjj7fxg5kdhtsu0ztnp,at=1795392000000,nonce=000102030405060708090a0b0c0d0e0f,sig=24091f1a6324fca8b87293fd9012065ac24f0d0e79ee3ff48df069962cfec900e910e281223c3029f0109af11562795cd41b5e88baaaa05b5c3cd17fe5468b0f";

/// The pair message vector: a `place` step by the vector key for the center
/// with secret 0x20..0x3f, signed over `PAIR_DOMAIN || body`.
fn vector_placement() -> telecenter_protocol::order::SignedMessage {
    use telecenter_protocol::fee::FeeTerms;
    use telecenter_protocol::order::*;
    let mut secret = [0u8; 32];
    for (i, byte) in secret.iter_mut().enumerate() {
        *byte = 0x20 + i as u8;
    }
    let seller = Identity::from_secret_bytes(&secret).center_id();
    let buyer = vector_identity().center_id();
    let body = Body::OrderEvent(OrderEvent {
        order: "q3k9v2m7xa4d".parse().expect("order id"),
        seq: 0,
        prev: None,
        by: buyer,
        at_ms: 1_795_392_000_000,
        action: Action::Place,
        reason: None,
        terms: Some(OrderTerms {
            buyer_center: buyer,
            seller_center: seller,
            listing: "k3v9q2m7xa".parse().expect("listing id"),
            title: "Keripik Pisang".into(),
            unit: "bungkus".into(),
            producer: "Bu Sri".into(),
            unit_price_idr: 15_000,
            quantity: 3,
            fee: FeeTerms {
                referral_bp: 300,
                min_idr: 1_000,
            },
            payment: Payment {
                collected_by: Collector::BuyerCenter,
                method: PayMethod::Cash,
            },
            buyer: Buyer {
                name: "Pak Budi".into(),
                phone: "0812 3456 7890".into(),
            },
            note: String::new(),
        }),
    });
    SignedMessage::sign(&vector_identity(), &body).expect("sign")
}

const PLACEMENT_BODY: &str = r#"{"type":"order_event","order":"q3k9v2m7xa4d","seq":0,"by":"tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9","at_ms":1795392000000,"action":"place","terms":{"buyer_center":"tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9","seller_center":"tc19xkt4c2phn90pv3wr22dxngtcumpu5ndp0lp9jyhjj7fxg5kdhtsu0ztnp","listing":"k3v9q2m7xa","title":"Keripik Pisang","unit":"bungkus","producer":"Bu Sri","unit_price_idr":15000,"quantity":3,"fee":{"referral_bp":300,"min_idr":1000},"payment":{"collected_by":"buyer_center","method":"cash"},"buyer":{"name":"Pak Budi","phone":"0812 3456 7890"},"note":""}}"#;
const PLACEMENT_HASH: &str = "d98a65c7290feec8a878a2860b27c894a1b35daa924a08952e1669f3515ac759";
const PLACEMENT_SIG: &str = "425d7edd28739c95ec275b2ab0b8ea9325c546ce5edf7fdff2e1d4f9137a135f2bb2d41572b2ce104a331fccec121e7c04065e0a8ac8a4e145e02a8fd838d109";

#[test]
fn pair_message_vector() {
    let signed = vector_placement();
    println!("body: {}", signed.body);
    println!(
        "hash: {}",
        telecenter_protocol::order::body_hash(&signed.body)
    );
    println!("sig: {}", signed.sig);
    assert_eq!(signed.body, PLACEMENT_BODY);
    assert_eq!(
        telecenter_protocol::order::body_hash(&signed.body),
        PLACEMENT_HASH
    );
    assert_eq!(signed.sig, PLACEMENT_SIG);
    let verified = signed.clone().verify().expect("verifies");
    let event = match verified.body {
        telecenter_protocol::order::Body::OrderEvent(e) => e,
        other => panic!("not an order event: {other:?}"),
    };
    let state =
        telecenter_protocol::order::OrderState::start(&event, &verified.hash).expect("starts");
    assert_eq!(state.terms.fee_idr(), 1_350);
    let mut tampered = signed;
    tampered.body = tampered.body.replace("\"quantity\":3", "\"quantity\":4");
    assert!(tampered.verify().is_err());
}

/// The sealed mail vector: from the center with secret 0x20..0x3f to the
/// vector key (secret 0x00..0x1f), dated `1795392000000`, holding an empty
/// bundle, with the HPKE ephemeral key drawn from ChaCha20 seeded with 32 bytes
/// of 7 (its first 32 output bytes are HPKE's `ikm`, published below).
fn vector_sealed_mail() -> (telecenter_protocol::sealed::SealedMail, [u8; 32]) {
    use rand::RngCore;
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;
    use telecenter_protocol::sealed::SealedMail;
    let mut secret = [0u8; 32];
    for (i, byte) in secret.iter_mut().enumerate() {
        *byte = 0x20 + i as u8;
    }
    let sender = Identity::from_secret_bytes(&secret);
    let mut rng = ChaCha20Rng::from_seed([7; 32]);
    let mut ikm = [0u8; 32];
    rng.clone().fill_bytes(&mut ikm);
    let mail = SealedMail::seal(
        &sender,
        &vector_identity().center_id(),
        1_795_392_000_000,
        SEALED_PLAINTEXT.as_bytes(),
        &mut rng,
    )
    .expect("seals");
    (mail, ikm)
}

const SEALED_PLAINTEXT: &str = r#"{"messages":[],"results":[]}"#;
const SEALED_X25519_PUBLIC_HEX: &str =
    "4701d08488451f545a409fb58ae3e58581ca40ac3f7f114698cd71deac73ca01";
const SEALED_X25519_SECRET_HEX: &str =
    "3d94eea49c580aef816935762be049559d6d1440dede12e6a125f1841fff8e6f";
const SEALED_IKM_HEX: &str = "f400927857aaf64114f561baacb379708c79a1dc1476ab573216a4020764bde5";
const SEALED_SIGNED_HEX: &str = "29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd703a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8000001a205b3d000e6baf1c66739169e2a993107a026167dcb02acec87fcee36be8eaab51244217b0000002caf7e5f81c72a9705452fdb3a1c6c11d249959ab150ebb4b6bc459a598ceb28347a962ea0ef4fb49a677b11c5";
const SEALED_JSON: &str = r#"{"v":1,"from":"tc19xkt4c2phn90pv3wr22dxngtcumpu5ndp0lp9jyhjj7fxg5kdhtsu0ztnp","to":"tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9","at":1795392000000,"enc":"5rrxxmc5Fp4qmTEHoCYWfcsCrOyH/O42vo6qtRJEIXs=","ct":"r35fgccqlwVFL9s6HGwR0kmVmrFQ67S2vEWaWYzrKDR6li6g70+0mmd7EcU=","sig":"08ad59a3d59ddd1dc1912ee5c7691e6bcda6d73fde722cae339965bd9ac79ece56c3fc37ba990bd527708c0eb20f023d535e4f92434e896babe24e9af9c3f507"}"#;
const SEALED_ID: &str = "95ab59693859b116645ac549d238506b363f84e5594ec53c5de8209dd78f65ec";

#[test]
fn sealed_mail_vector() {
    use hpke::{Kem as _, Serializable as _};
    use sha2::{Digest, Sha256, Sha512};
    use telecenter_protocol::sealed::{SEALED_DOMAIN, SealedMail, x25519_public};
    let recipient = vector_identity();
    // The recipient's X25519 key pair is its ed25519 key pair in Montgomery form.
    let public = x25519_public(&recipient.center_id()).expect("usable key");
    let mut seed = [0u8; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = i as u8;
    }
    let scalar = &Sha512::digest(seed)[..32];
    println!("x25519 public: {}", hex_string(&public));
    println!("x25519 secret (before clamping): {}", hex_string(scalar));
    let (mail, ikm) = vector_sealed_mail();
    println!("ikm: {}", hex_string(&ikm));
    let json = serde_json::to_string(&mail).expect("json");
    println!("mail: {json}");
    let id = mail.verify().expect("verifies");
    println!("id: {id}");
    // The signed bytes, without the domain tag: from, to, at, enc, len(ct), ct.
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .expect("base64")
    };
    let (enc, ct) = (b64(&mail.enc), b64(&mail.ct));
    let mut signed = Vec::new();
    signed.extend_from_slice(mail.from.as_bytes());
    signed.extend_from_slice(mail.to.as_bytes());
    signed.extend_from_slice(&mail.at.to_be_bytes());
    signed.extend_from_slice(&enc);
    signed.extend_from_slice(&(ct.len() as u32).to_be_bytes());
    signed.extend_from_slice(&ct);
    println!("signed bytes ({}): {}", signed.len(), hex_string(&signed));
    assert_eq!(hex_string(&public), SEALED_X25519_PUBLIC_HEX);
    assert_eq!(hex_string(scalar), SEALED_X25519_SECRET_HEX);
    assert_eq!(hex_string(&ikm), SEALED_IKM_HEX);
    assert_eq!(hex_string(&signed), SEALED_SIGNED_HEX);
    assert_eq!(json, SEALED_JSON);
    assert_eq!(id, SEALED_ID);
    assert_eq!(id, hex_string(&Sha256::digest(&signed)));
    // enc is the public key HPKE's DeriveKeyPair makes from ikm (RFC 9180 §7.1.3).
    let (_, ephemeral) = hpke::kem::X25519HkdfSha256::derive_keypair(&ikm);
    assert_eq!(ephemeral.to_bytes().as_slice(), enc.as_slice());
    // The signature is the sender's, over the domain tag and the signed bytes.
    let mut sig = [0u8; 64];
    hex::decode_to_slice(&mail.sig, &mut sig).expect("hex");
    assert!(telecenter_protocol::identity::verify(
        &mail.from,
        SEALED_DOMAIN,
        &[&signed],
        &sig
    ));
    // A mail parsed from the published JSON opens to the plaintext with the
    // recipient's key, and with no other.
    let parsed: SealedMail = serde_json::from_str(SEALED_JSON).expect("parses");
    assert_eq!(
        parsed.open(&recipient).expect("opens"),
        SEALED_PLAINTEXT.as_bytes()
    );
    assert!(
        parsed
            .open(&Identity::from_secret_bytes(&[0x20; 32]))
            .is_err()
    );
    // Re-dated, re-addressed or altered, it no longer verifies or opens.
    let mut redated = parsed.clone();
    redated.at += 1;
    assert!(redated.verify().is_err() && redated.open(&recipient).is_err());
    let mut readdressed = parsed.clone();
    readdressed.to = readdressed.from;
    assert!(readdressed.verify().is_err());
    let mut altered = parsed;
    let mut bytes = b64(&altered.ct);
    bytes[0] ^= 1;
    altered.ct = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    assert!(altered.verify().is_err() && altered.open(&recipient).is_err());
}

/// The document other teams read must show exactly these values.
#[test]
fn every_vector_is_published_in_the_protocol_document() {
    const DOC: &str = include_str!("../../docs/protocol.md");
    for (name, value) in [
        ("center id", CENTER_ID),
        ("public key", PUBLIC_KEY_HEX),
        ("genesis envelope", GENESIS_ENVELOPE_HEX),
        ("genesis change hash", GENESIS_CHANGE_HASH),
        ("hop receiver", HOP_RECEIVER),
        ("hop header", HOP_HEADER),
        ("placement body", PLACEMENT_BODY),
        ("placement id", PLACEMENT_HASH),
        ("placement signature", PLACEMENT_SIG),
        ("sealed plaintext", SEALED_PLAINTEXT),
        ("sealed x25519 public key", SEALED_X25519_PUBLIC_HEX),
        ("sealed x25519 secret", SEALED_X25519_SECRET_HEX),
        ("sealed ikm", SEALED_IKM_HEX),
        ("sealed signed bytes", SEALED_SIGNED_HEX),
        ("sealed mail", SEALED_JSON),
        ("sealed mail id", SEALED_ID),
    ] {
        assert!(
            DOC.contains(value),
            "docs/protocol.md does not show the {name}"
        );
    }
}
