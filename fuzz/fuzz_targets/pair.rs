//! Pair messages: a `PairExchange` (the plaintext of sealed mail) and a
//! `SignedMessage`, decoded and verified; and, to get past the signature, the
//! input as a message body signed by a fixed key, verified and then checked as
//! the order and settlement code does. The first byte picks the mode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telecenter_fuzz::sender;
use telecenter_protocol::order::{Body, OrderState, PAIR_DOMAIN, PAIR_VERSION, SignedMessage};
use telecenter_protocol::pair::PairExchange;

fn check(message: SignedMessage) {
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

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(exchange) = serde_json::from_slice::<PairExchange>(body) {
                for message in exchange.messages.into_iter().take(64) {
                    check(message);
                }
            }
        }
        1 => {
            if let Ok(message) = serde_json::from_slice::<SignedMessage>(body) {
                check(message);
            }
        }
        _ => {
            let Ok(text) = std::str::from_utf8(body) else {
                return;
            };
            let sig = sender().sign(PAIR_DOMAIN, &[text.as_bytes()]);
            check(SignedMessage {
                v: PAIR_VERSION,
                signer: sender().center_id(),
                body: text.to_owned(),
                sig: telecenter_fuzz::hex(&sig),
            });
        }
    }
});
