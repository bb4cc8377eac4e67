use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;

fn identity(seed: u8) -> Identity {
    Identity::from_secret_bytes(&[seed; 32])
}

fn sealed(text: &[u8]) -> (Identity, Identity, SealedMail) {
    let (a, b) = (identity(1), identity(2));
    let mut rng = StdRng::seed_from_u64(7);
    let mail = SealedMail::seal(&a, &b.center_id(), 1_795_392_000_000, text, &mut rng).unwrap();
    (a, b, mail)
}

#[test]
fn only_the_recipient_opens_what_the_sender_sealed() {
    let (a, b, mail) = sealed(b"{\"messages\":[]}");
    assert_eq!(mail.from, a.center_id());
    assert_eq!(mail.verify().unwrap().len(), 64);
    assert_eq!(mail.open(&b).unwrap(), b"{\"messages\":[]}");
    assert_eq!(mail.open(&a), Err(SealError::NotForMe(b.center_id())));
    // A third center that claims to be the recipient cannot open it either.
    let c = identity(3);
    let mut readdressed = mail.clone();
    readdressed.to = c.center_id();
    assert_eq!(
        readdressed.open(&c),
        Err(SealError::BadSignature(a.center_id()))
    );
}

#[test]
fn sealed_mail_altered_in_any_field_is_refused() {
    let (a, b, mail) = sealed(b"secret buyer phone 0812");
    let mut later = mail.clone();
    later.at += 1;
    assert!(matches!(later.verify(), Err(SealError::BadSignature(_))));
    let mut forged = mail.clone();
    forged.from = identity(9).center_id();
    assert!(matches!(forged.verify(), Err(SealError::BadSignature(_))));
    let mut ct = crate::b64::decode(&mail.ct).unwrap();
    ct[0] ^= 1;
    let mut flipped = mail.clone();
    flipped.ct = crate::b64::encode(&ct);
    assert!(matches!(flipped.verify(), Err(SealError::BadSignature(_))));
    ct.truncate(ct.len() - 1);
    let mut truncated = mail.clone();
    truncated.ct = crate::b64::encode(&ct);
    assert!(matches!(
        truncated.open(&b),
        Err(SealError::BadSignature(_))
    ));
    let mut bad = mail.clone();
    bad.sig = "zz".repeat(64);
    assert!(matches!(bad.verify(), Err(SealError::Malformed(_))));
    let mut v2 = mail;
    v2.v = 2;
    assert_eq!(v2.verify(), Err(SealError::UnsupportedVersion(2)));
    let _ = a;
}

#[test]
fn a_mail_signed_again_by_someone_else_cannot_be_opened() {
    // A relay that re-signs the ciphertext as itself changes `from`, so the AEAD's
    // associated data no longer matches.
    let (_, b, mail) = sealed(b"hello");
    let relay = identity(5);
    let parts = mail.parts().unwrap();
    let bytes = signed_bytes(&relay.center_id(), &mail.to, mail.at, &parts.enc, &parts.ct);
    let resigned = SealedMail {
        from: relay.center_id(),
        sig: hex::encode(relay.sign(SEALED_DOMAIN, &[&bytes])),
        ..mail
    };
    assert!(resigned.verify().is_ok());
    assert_eq!(resigned.open(&b), Err(SealError::CannotOpen));
}

#[test]
fn sizes_are_bounded_before_decoding() {
    let (a, b) = (identity(1), identity(2));
    let mut rng = StdRng::seed_from_u64(1);
    let big = vec![b'x'; SEALED_PLAINTEXT_MAX + 1];
    assert!(matches!(
        SealedMail::seal(&a, &b.center_id(), 0, &big, &mut rng),
        Err(SealError::TooLarge(_))
    ));
    let full = vec![b'x'; SEALED_PLAINTEXT_MAX];
    let mail = SealedMail::seal(&a, &b.center_id(), 0, &full, &mut rng).unwrap();
    assert_eq!(mail.open(&b).unwrap().len(), SEALED_PLAINTEXT_MAX);
    let mut huge = mail;
    huge.ct.push_str(&"A".repeat(8));
    assert!(matches!(huge.verify(), Err(SealError::TooLarge(_))));
}

#[test]
fn the_wire_form_refuses_unknown_fields() {
    let (_, _, mail) = sealed(b"x");
    let mut json = serde_json::to_value(&mail).unwrap();
    json["extra"] = serde_json::json!(1);
    assert!(serde_json::from_value::<SealedMail>(json).is_err());
}

#[test]
fn a_receipt_status_from_a_newer_node_reads_as_unknown() {
    let receipt: Receipt = serde_json::from_str(r#"{"id": "ab", "status": "forwarded"}"#).unwrap();
    assert_eq!(receipt.status, ReceiptStatus::Unknown);
    let taken: Receipt = serde_json::from_str(r#"{"id": "ab", "status": "taken"}"#).unwrap();
    assert_eq!(taken, Receipt::taken("ab"));
    assert_eq!(
        serde_json::to_value(Receipt::later("ab", "too_fast", "x".into())).unwrap()["status"],
        "later"
    );
}
