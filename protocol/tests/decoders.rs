//! The stable twins of the cargo-fuzz targets (`fuzz/`): every protocol decoder
//! of bytes from the network gets arbitrary bytes and mutated valid encodings
//! (bytes flipped, inserted, deleted, truncated) and must answer with an error or
//! a valid value, never a panic; types that round-trip must round-trip.
//!
//! Case counts are small so the suite stays fast; `PROPTEST_CASES=10000` raises
//! them. `cargo test -p telecenter-protocol --test decoders -- --ignored
//! write_fuzz_seeds` rewrites the fuzz seeds from the same valid examples.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rand::SeedableRng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use telecenter_protocol::address::NodeAddress;
use telecenter_protocol::b64;
use telecenter_protocol::card::CenterCard;
use telecenter_protocol::catalog::input::{NewListing, ProfileInput};
use telecenter_protocol::envelope::bounds;
use telecenter_protocol::fee::FeeTerms;
use telecenter_protocol::hop::HopAuth;
use telecenter_protocol::order::{
    Action, Body, Buyer, Collector, OrderEvent, OrderState, OrderTerms, PAIR_DOMAIN, PAIR_VERSION,
    PayMethod, Payment, SettlementPayment, SignedMessage,
};
use telecenter_protocol::pair::PairExchange;
use telecenter_protocol::phone::normalize_phone;
use telecenter_protocol::sealed::{MailExchange, Receipt, SealedMail};
use telecenter_protocol::sync::{
    Changes, FetchRequest, PushResponse, Rejected, SYNC_BODY_BYTES_MAX, SummaryRequest,
    SummaryResponse,
};
use telecenter_protocol::{CatalogDoc, DocId, Identity, SignedChange, VerifiedChange};

// The fixtures of the fuzz targets (fuzz/src/lib.rs): the same keys and genesis,
// so the seeds written here get past the signatures there.
const SENDER_SECRET: [u8; 32] = [0x42; 32];
const RECIPIENT_SECRET: [u8; 32] = [0x43; 32];
const GENESIS_AT_MS: i64 = 1_763_860_000_000;

fn sender() -> Identity {
    Identity::from_secret_bytes(&SENDER_SECRET)
}

fn recipient() -> Identity {
    Identity::from_secret_bytes(&RECIPIENT_SECRET)
}

fn sender_doc() -> DocId {
    DocId::catalog(sender().center_id())
}

/// Cases per property: `PROPTEST_CASES` if set, else `default`.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

/// The genesis change of the sender's catalog and a second change (a listing).
fn catalog_changes() -> (SignedChange, SignedChange) {
    let profile = ProfileInput {
        name: Some("Telecenter Fuzz".into()),
        region: Some("Kota Malang".into()),
        contact: Some("0812-3456-7890".into()),
        ..Default::default()
    }
    .validate_new()
    .expect("valid profile");
    let identity = sender();
    let (mut doc, genesis) =
        CatalogDoc::create(&identity, &profile, GENESIS_AT_MS).expect("genesis");
    let listing = NewListing {
        title: "Keripik pisang".into(),
        description: "Renyah, 250 g".into(),
        category: "makanan".into(),
        price_idr: 15_000,
        stock: 12,
        unit: Some("bungkus".into()),
        producer: Some("Bu Sri".into()),
        ..Default::default()
    }
    .validate()
    .expect("valid listing");
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    let (_, second) = doc
        .add_listing(&identity, &mut rng, &listing, GENESIS_AT_MS + 60_000)
        .expect("listing");
    (genesis, second)
}

fn genesis_verified() -> VerifiedChange {
    catalog_changes()
        .0
        .verify(&sender_doc())
        .expect("genesis verifies")
}

/// Applies one mutation to `bytes`: 0 flips a bit, 1 inserts a byte, 2 deletes
/// one, 3 truncates, 4 overwrites a byte, 5 duplicates a slice.
fn mutate(bytes: &mut Vec<u8>, op: u8, position: usize, value: u8) {
    let len = bytes.len();
    let at = if len == 0 { 0 } else { position % len };
    match op % 6 {
        0 if len > 0 => bytes[at] ^= 1 << (value % 8),
        1 => bytes.insert(position % (len + 1), value),
        2 if len > 0 => {
            bytes.remove(at);
        }
        3 => bytes.truncate(at),
        4 if len > 0 => bytes[at] = value,
        5 if len > 0 => {
            let end = (at + usize::from(value) + 1).min(len);
            let slice = bytes[at..end].to_vec();
            bytes.splice(at..at, slice);
        }
        _ => {}
    }
}

fn mutations() -> impl Strategy<Value = Vec<(u8, usize, u8)>> {
    proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6)
}

fn mutated(sample: &[u8], edits: &[(u8, usize, u8)]) -> Vec<u8> {
    let mut bytes = sample.to_vec();
    for &(op, position, value) in edits {
        mutate(&mut bytes, op, position, value);
    }
    bytes
}

// ---- envelope and change payload --------------------------------------------------

fn check_envelope(bytes: &[u8]) {
    let Ok(signed) = SignedChange::from_bytes(bytes) else {
        return;
    };
    assert_eq!(signed.to_bytes(), bytes, "framing round-trips");
    let named = signed.doc;
    if let Ok(verified) = signed.clone().verify(&named) {
        assert_eq!(verified.signed, signed);
    }
    let _ = signed.verify(&sender_doc());
}

/// Reads all a node reads of a catalog.
fn read_all(doc: &CatalogDoc) {
    let _ = doc.profile();
    let _ = doc.vouches();
    let _ = doc.seq();
    if let Ok(keys) = doc.listing_keys() {
        for key in keys.iter().take(64) {
            if let Ok(id) = key.parse() {
                let _ = doc.listing(&id);
            }
        }
    }
}

/// The change bytes signed by the sender: pre-parse, verify, apply, read.
fn check_change_payload(change: &[u8], genesis: &VerifiedChange) {
    let measured = bounds::measure(change);
    let signed = SignedChange::sign(&sender(), sender_doc(), change.to_vec());
    let Ok(verified) = signed.verify(&sender_doc()) else {
        return;
    };
    assert!(measured.is_ok(), "verify passed what measure refused");
    let mut doc = CatalogDoc::empty(sender().center_id());
    doc.apply(genesis).expect("genesis applies");
    if doc.apply(&verified).is_ok() {
        // What the ops decoded at verification say is what the change says.
        assert_eq!(
            doc.touched_by(&verified.change),
            doc.touched_by_ops(&verified.ops)
        );
        read_all(&doc);
    }
}

#[test]
fn valid_envelopes_verify_and_apply() {
    let (genesis, second) = catalog_changes();
    check_envelope(&genesis.to_bytes());
    check_envelope(&second.to_bytes());
    let verified = second.verify(&sender_doc()).expect("verifies");
    let mut doc = CatalogDoc::empty(sender().center_id());
    doc.apply(&genesis_verified()).expect("applies");
    doc.apply(&verified).expect("applies");
    assert_eq!(doc.listing_keys().expect("keys").len(), 1);
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn envelope_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check_envelope(&bytes);
    }

    #[test]
    fn envelope_mutated(which in any::<bool>(), edits in mutations()) {
        let (genesis, second) = catalog_changes();
        let sample = if which { genesis } else { second }.to_bytes();
        check_envelope(&mutated(&sample, &edits));
    }

    #[test]
    fn change_payload_mutated(edits in mutations()) {
        let (_, second) = catalog_changes();
        check_change_payload(&mutated(&second.change, &edits), &genesis_verified());
    }
}

// ---- sync messages ----------------------------------------------------------------

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(body: &[u8]) {
    if body.len() > SYNC_BODY_BYTES_MAX {
        return;
    }
    if let Ok(value) = serde_json::from_slice::<T>(body) {
        let again = serde_json::to_vec(&value).expect("encodes");
        let back: T = serde_json::from_slice(&again).expect("decodes");
        assert_eq!(back, value);
    }
}

/// Like the fuzz target: the first byte picks the message.
fn check_sync(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 5 {
        0 => round_trip::<SummaryRequest>(body),
        1 => round_trip::<SummaryResponse>(body),
        2 => round_trip::<FetchRequest>(body),
        3 => round_trip::<Changes>(body),
        _ => round_trip::<PushResponse>(body),
    }
}

fn sync_samples() -> Vec<(&'static str, Vec<u8>)> {
    let (genesis, second) = catalog_changes();
    let doc = sender_doc().to_string();
    let have = BTreeMap::from([(doc.clone(), 2)]);
    let json = |which: u8, value: &dyn erased::Json| {
        let mut out = vec![which];
        out.extend(value.json());
        out
    };
    vec![
        (
            "summary_request",
            json(
                0,
                &SummaryRequest {
                    have: have.clone(),
                    wait_ms: 20_000,
                    delta: true,
                },
            ),
        ),
        (
            "summary_response",
            json(
                1,
                &SummaryResponse {
                    center_id: sender().center_id().to_string(),
                    have: have.clone(),
                    changes: vec![b64::encode(second.to_bytes())],
                },
            ),
        ),
        (
            "fetch_request",
            json(
                2,
                &FetchRequest {
                    want: BTreeMap::from([(doc, 0)]),
                },
            ),
        ),
        (
            "changes",
            json(
                3,
                &Changes {
                    changes: vec![
                        b64::encode(genesis.to_bytes()),
                        b64::encode(second.to_bytes()),
                    ],
                    more: true,
                },
            ),
        ),
        (
            "push_response",
            json(
                4,
                &PushResponse {
                    applied: 1,
                    duplicates: 2,
                    pending: 0,
                    rejected: vec![Rejected {
                        index: 1,
                        code: "bad_signature".into(),
                        message: "tanda tangan tidak cocok".into(),
                    }],
                },
            ),
        ),
    ]
}

/// Serialising through a trait object, for the sample lists.
mod erased {
    pub(crate) trait Json {
        fn json(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Vec<u8> {
            serde_json::to_vec(self).expect("encodes")
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn sync_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        check_sync(&bytes);
    }

    #[test]
    fn sync_mutated(which in 0usize..5, edits in mutations()) {
        let samples = sync_samples();
        check_sync(&mutated(&samples[which].1, &edits));
    }
}

#[test]
fn sync_samples_decode_to_what_was_encoded() {
    for (name, sample) in sync_samples() {
        let body = &sample[1..];
        let value: serde_json::Value = serde_json::from_slice(body).expect(name);
        assert!(value.is_object(), "{name}");
        check_sync(&sample);
    }
    let (_, request) = sync_samples().remove(0);
    let decoded: SummaryRequest = serde_json::from_slice(&request[1..]).expect("decodes");
    assert_eq!(decoded.wait_ms, 20_000);
}

// ---- sealed mail and pair messages ------------------------------------------------

fn order_message() -> SignedMessage {
    let buyer = sender();
    let terms = OrderTerms {
        buyer_center: buyer.center_id(),
        seller_center: recipient().center_id(),
        listing: "k3v9q2m7xa".parse().expect("listing id"),
        title: "Keripik pisang".into(),
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
            phone: "0812 3456 789".into(),
        },
        note: String::new(),
    };
    let body = Body::OrderEvent(OrderEvent {
        order: "q3k9v2m7xa4d".parse().expect("order id"),
        seq: 0,
        prev: None,
        by: buyer.center_id(),
        at_ms: GENESIS_AT_MS,
        action: Action::Place,
        reason: None,
        terms: Some(terms),
    });
    SignedMessage::sign(&buyer, &body).expect("signs")
}

fn settlement_message() -> SignedMessage {
    let payer = sender();
    let body = Body::SettlementPayment(SettlementPayment {
        id: "s3k9v2m7xa4d".parse().expect("settlement id"),
        payer: payer.center_id(),
        payee: recipient().center_id(),
        amount_idr: 45_000,
        reference: "BRI 2026-11-30 ref 8812".into(),
        at_ms: GENESIS_AT_MS,
        correction_owed_to: None,
    });
    SignedMessage::sign(&payer, &body).expect("signs")
}

fn pair_exchange() -> PairExchange {
    PairExchange {
        messages: vec![order_message(), settlement_message()],
        results: Vec::new(),
    }
}

fn sealed_mail() -> SealedMail {
    let plaintext = serde_json::to_vec(&pair_exchange()).expect("encodes");
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    SealedMail::seal(
        &sender(),
        &recipient().center_id(),
        GENESIS_AT_MS,
        &plaintext,
        &mut rng,
    )
    .expect("seals")
}

fn check_mail(mail: &SealedMail, recipient: &Identity) {
    let _ = mail.id_lossy();
    let _ = mail.size();
    let verified = mail.verify();
    if let Ok(plain) = mail.open(recipient) {
        assert!(verified.is_ok(), "a mail that opens verifies");
        let _ = serde_json::from_slice::<PairExchange>(&plain);
    }
}

/// Like the fuzz target `sealed_mail`: the first byte picks the message.
fn check_sealed(data: &[u8], recipient: &Identity) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(mail) = serde_json::from_slice::<SealedMail>(body) {
                check_mail(&mail, recipient);
                let again = serde_json::to_vec(&mail).expect("encodes");
                assert_eq!(
                    serde_json::from_slice::<SealedMail>(&again).ok(),
                    Some(mail)
                );
            }
        }
        1 => {
            if let Ok(exchange) = serde_json::from_slice::<MailExchange>(body) {
                for mail in exchange.mail.iter().take(64) {
                    check_mail(mail, recipient);
                }
                let again = serde_json::to_vec(&exchange).expect("encodes");
                assert_eq!(
                    serde_json::from_slice::<MailExchange>(&again).ok(),
                    Some(exchange)
                );
            }
        }
        _ => {
            if let Ok(receipt) = serde_json::from_slice::<Receipt>(body) {
                let _ = receipt.status.word();
            }
        }
    }
}

fn sealed_samples() -> Vec<(&'static str, Vec<u8>)> {
    let mail = sealed_mail();
    let id = mail.verify().expect("verifies");
    let with = |which: u8, json: Vec<u8>| [vec![which], json].concat();
    let exchange = MailExchange {
        mail: vec![mail.clone()],
        receipts: vec![Receipt::taken(&id)],
        routes: Some(BTreeMap::from([(recipient().center_id(), 1)])),
        have_routes: Some("ab".repeat(32)),
        wait_ms: Some(20_000),
    };
    vec![
        ("mail", with(0, serde_json::to_vec(&mail).expect("encodes"))),
        (
            "exchange",
            with(1, serde_json::to_vec(&exchange).expect("encodes")),
        ),
        (
            "receipt",
            with(
                2,
                serde_json::to_vec(&Receipt::refused(&id, "bad_signature", "no".into()))
                    .expect("encodes"),
            ),
        ),
    ]
}

/// Verifies a pair message and checks its body as the order code does.
fn check_message(message: SignedMessage) {
    let Ok(verified) = message.verify() else {
        return;
    };
    match &verified.body {
        Body::OrderEvent(event) => {
            if let Ok(state) = OrderState::start(event, &verified.hash) {
                let _ = state.step(event, &verified.hash);
            }
        }
        Body::SettlementPayment(payment) => {
            let _ = payment.validate();
        }
        Body::SettlementReply(_) => {}
    }
}

/// Like the fuzz target `pair`: the first byte picks the mode; mode 2 signs the
/// rest as a message body, to get past the signature.
fn check_pair(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(exchange) = serde_json::from_slice::<PairExchange>(body) {
                for message in exchange.messages.into_iter().take(64) {
                    check_message(message);
                }
            }
        }
        1 => {
            if let Ok(message) = serde_json::from_slice::<SignedMessage>(body) {
                check_message(message);
            }
        }
        _ => {
            let Ok(text) = std::str::from_utf8(body) else {
                return;
            };
            let identity = sender();
            let sig = identity.sign(PAIR_DOMAIN, &[text.as_bytes()]);
            check_message(SignedMessage {
                v: PAIR_VERSION,
                signer: identity.center_id(),
                body: text.to_owned(),
                sig: hex::encode(sig),
            });
        }
    }
}

fn pair_samples() -> Vec<(&'static str, Vec<u8>)> {
    let with = |which: u8, json: Vec<u8>| [vec![which], json].concat();
    let order = order_message();
    vec![
        (
            "exchange",
            with(0, serde_json::to_vec(&pair_exchange()).expect("encodes")),
        ),
        (
            "order",
            with(1, serde_json::to_vec(&order).expect("encodes")),
        ),
        (
            "settlement",
            with(
                1,
                serde_json::to_vec(&settlement_message()).expect("encodes"),
            ),
        ),
        ("order_body", with(2, order.body.into_bytes())),
    ]
}

#[test]
fn sealed_and_pair_samples_are_valid() {
    let mail = sealed_mail();
    let plain = mail.open(&recipient()).expect("opens");
    let exchange: PairExchange = serde_json::from_slice(&plain).expect("decodes");
    assert_eq!(exchange.messages.len(), 2);
    for message in exchange.messages {
        let verified = message.verify().expect("verifies");
        if let Body::OrderEvent(event) = &verified.body {
            OrderState::start(event, &verified.hash).expect("a valid placement");
        }
    }
    for (_, sample) in sealed_samples() {
        check_sealed(&sample, &recipient());
    }
    for (_, sample) in pair_samples() {
        check_pair(&sample);
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn sealed_mail_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        check_sealed(&bytes, &recipient());
    }

    #[test]
    fn sealed_mail_mutated(which in 0usize..3, edits in mutations()) {
        let samples = sealed_samples();
        check_sealed(&mutated(&samples[which].1, &edits), &recipient());
    }

    #[test]
    fn pair_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        check_pair(&bytes);
    }

    #[test]
    fn pair_mutated(which in 0usize..4, edits in mutations()) {
        let samples = pair_samples();
        check_pair(&mutated(&samples[which].1, &edits));
    }
}

// ---- hop header, card, address, phone ---------------------------------------------

fn hop_header() -> String {
    HopAuth::sign(
        &sender(),
        recipient().center_id(),
        GENESIS_AT_MS,
        [7; 16],
        "POST",
        "/api/v1/sync/summary",
        b"{}",
    )
    .expect("signs")
}

fn check_hop(header: &[u8]) {
    let Ok(header) = std::str::from_utf8(header) else {
        return;
    };
    let to = recipient().center_id();
    if let Ok(auth) = HopAuth::parse(header) {
        let _ = auth.expires_at_ms();
        let _ = auth.verify(&to, auth.at_ms, "POST", "/api/v1/sync/summary", b"{}");
        let _ = auth.verify(&auth.to, GENESIS_AT_MS, "GET", "/", &[]);
    }
}

fn check_texts(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(card) = CenterCard::parse(text) {
        assert_eq!(CenterCard::parse(&card.to_text()).ok(), Some(card));
    }
    if let Ok(address) = NodeAddress::parse(text) {
        assert_eq!(NodeAddress::parse(address.as_str()).ok(), Some(address));
    }
    if let Ok(normal) = normalize_phone("whatsapp", text) {
        assert_eq!(
            normalize_phone("whatsapp", &normal).ok(),
            Some(normal.clone())
        );
    }
}

fn card_sample() -> String {
    CenterCard {
        name: "Telecenter Fuzz".into(),
        region: "Kota Malang".into(),
        id: sender().center_id(),
        address: Some(NodeAddress::parse("https://tc.example.id:8443").expect("address")),
    }
    .to_text()
}

/// Found by the `card` fuzz target: a name holding a lone carriage return was
/// kept as parsed but printed with a space, so the card did not read back as itself.
#[test]
fn card_with_a_lone_carriage_return_reads_back_as_printed() {
    let text = card_sample().replace("nama: Telecenter", "nama: T\relecenter");
    let card = CenterCard::parse(&text).expect("parses");
    assert_eq!(card.name, "T elecenter Fuzz");
    assert_eq!(CenterCard::parse(&card.to_text()).ok(), Some(card));
}

const ADDRESS_SAMPLE: &str = "http://192.168.1.20:7070";
const PHONE_SAMPLE: &str = "0812-3456-7890";

#[test]
fn hop_and_text_samples_are_valid() {
    let header = hop_header();
    let auth = HopAuth::parse(&header).expect("parses");
    auth.verify(
        &recipient().center_id(),
        GENESIS_AT_MS,
        "POST",
        "/api/v1/sync/summary",
        b"{}",
    )
    .expect("verifies");
    assert!(CenterCard::parse(&card_sample()).is_ok());
    assert!(NodeAddress::parse(ADDRESS_SAMPLE).is_ok());
    assert!(normalize_phone("whatsapp", PHONE_SAMPLE).is_ok());
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn hop_auth_arbitrary_text(text in "\\PC{0,200}") {
        check_hop(text.as_bytes());
    }

    #[test]
    fn hop_auth_mutated(edits in mutations()) {
        check_hop(&mutated(hop_header().as_bytes(), &edits));
    }

    #[test]
    fn card_address_phone_arbitrary_text(text in "\\PC{0,120}") {
        check_texts(text.as_bytes());
    }

    #[test]
    fn card_address_phone_mutated(which in 0usize..3, edits in mutations()) {
        let samples = [card_sample(), ADDRESS_SAMPLE.to_owned(), PHONE_SAMPLE.to_owned()];
        check_texts(&mutated(samples[which].as_bytes(), &edits));
    }
}

// ---- fuzz seeds ---------------------------------------------------------------------

/// Writes the seeds of the fuzz targets (`fuzz/seeds/<target>/`) from the valid
/// examples above. Run by hand when a format changes.
#[test]
#[ignore = "writes files: run by hand to refresh fuzz/seeds"]
fn write_fuzz_seeds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).expect("seed folder");
        std::fs::write(dir.join(name), bytes).expect("seed written");
    };
    let (genesis, second) = catalog_changes();
    write("envelope", "genesis", &genesis.to_bytes());
    write("envelope", "listing", &second.to_bytes());
    write("change_payload", "listing", &second.change);
    write("change_payload", "genesis", &genesis.change);
    for (name, bytes) in sync_samples() {
        write("sync_messages", name, &bytes);
    }
    for (name, bytes) in sealed_samples() {
        write("sealed_mail", name, &bytes);
    }
    for (name, bytes) in pair_samples() {
        write("pair", name, &bytes);
    }
    write(
        "hop_auth",
        "header",
        &[&[0u8][..], hop_header().as_bytes()].concat(),
    );
    write(
        "hop_auth",
        "signed_request",
        b"\x01/api/v1/sync/push\n{\"changes\":[]}",
    );
    write("card", "card", card_sample().as_bytes());
    write("address", "address", ADDRESS_SAMPLE.as_bytes());
    write("address", "https", b"https://tc.example.id:8443/");
    write("phone", "phone", PHONE_SAMPLE.as_bytes());
    write("phone", "plus62", b"+62 812 3456 7890");
}
