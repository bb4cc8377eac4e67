//! Sealed mail as a relay and a recipient meet it: `SealedMail` (verify, id,
//! size, open with a fixed recipient key), `MailExchange` (every mail in it) and
//! `Receipt`; the first byte picks the message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telecenter_fuzz::recipient;
use telecenter_protocol::sealed::{MailExchange, Receipt, SealedMail};

fn check(mail: &SealedMail) {
    let _ = mail.id_lossy();
    let _ = mail.size();
    let verified = mail.verify();
    if let Ok(plain) = mail.open(recipient()) {
        assert!(verified.is_ok(), "a mail that opens must verify");
        let _ = serde_json::from_slice::<telecenter_protocol::pair::PairExchange>(&plain);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(mail) = serde_json::from_slice::<SealedMail>(body) {
                check(&mail);
                let again = serde_json::to_vec(&mail).expect("encodes");
                assert_eq!(serde_json::from_slice::<SealedMail>(&again).ok(), Some(mail));
            }
        }
        1 => {
            if let Ok(exchange) = serde_json::from_slice::<MailExchange>(body) {
                for mail in exchange.mail.iter().take(64) {
                    check(mail);
                }
                let again = serde_json::to_vec(&exchange).expect("encodes");
                assert_eq!(serde_json::from_slice::<MailExchange>(&again).ok(), Some(exchange));
            }
        }
        _ => {
            if let Ok(receipt) = serde_json::from_slice::<Receipt>(body) {
                let _ = receipt.status.word();
            }
        }
    }
});
