//! The JSON bodies of the sync protocol, decoded as the server and client do
//! (`serde_json::from_slice` within `SYNC_BODY_BYTES_MAX`); the first byte picks
//! the message. Whatever decodes must encode and decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use telecenter_protocol::sync::{
    Changes, FetchRequest, PushResponse, SYNC_BODY_BYTES_MAX, SummaryRequest, SummaryResponse,
};

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(body: &[u8]) {
    if body.len() > SYNC_BODY_BYTES_MAX {
        return;
    }
    if let Ok(value) = serde_json::from_slice::<T>(body) {
        let again = serde_json::to_vec(&value).expect("a decoded message encodes");
        let back: T = serde_json::from_slice(&again).expect("an encoded message decodes");
        assert_eq!(back, value);
    }
}

fuzz_target!(|data: &[u8]| {
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
});
