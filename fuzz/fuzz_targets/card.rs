//! A center card pasted by a person (`CenterCard::parse`); what parses must
//! print and parse back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telecenter_protocol::card::CenterCard;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(card) = CenterCard::parse(text) {
        let again = CenterCard::parse(&card.to_text()).expect("a printed card parses");
        assert_eq!(again, card);
    }
});
