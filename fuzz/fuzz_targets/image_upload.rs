//! A photo upload as the node checks and shrinks it (`images::process`), and
//! the stored-image check that guards fetched images.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telecenter_node::images;

fuzz_target!(|data: &[u8]| {
    let _ = images::is_stored_image(data);
    if let Ok(processed) = images::process(data) {
        assert!(images::is_stored_image(&processed.thumb));
        assert!(images::is_stored_image(&processed.medium));
    }
});
