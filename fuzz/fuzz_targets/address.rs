//! A published node address (`NodeAddress::parse`); its normal form parses to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telecenter_protocol::address::NodeAddress;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(address) = NodeAddress::parse(text) {
        let again = NodeAddress::parse(address.as_str()).expect("a normal form parses");
        assert_eq!(again, address);
    }
});
