//! The one source of randomness of a running node: the operating system's
//! generator, named here and nowhere else (`clippy.toml` refuses `OsRng`
//! anywhere else). It is handed to the [`crate::Node`] when the data folder
//! opens it, and everything random a node does (nonces, listing ids, ephemeral
//! keys, session tokens) is drawn through [`crate::Node::fill_random`] or the
//! node's edit path; tests hand in a seeded generator instead.

use rand::{CryptoRng, RngCore};

/// The operating system's cryptographic generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemRandom;

#[allow(clippy::disallowed_types)] // The one place the OS generator is named.
impl RngCore for SystemRandom {
    fn next_u32(&mut self) -> u32 {
        rand::rngs::OsRng.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        rand::rngs::OsRng.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand::rngs::OsRng.fill_bytes(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        rand::rngs::OsRng.try_fill_bytes(dest)
    }
}

impl CryptoRng for SystemRandom {}
