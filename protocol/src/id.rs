//! Identifiers: [`CenterId`] (a center's public key in a printable, checksummed
//! form), [`ListingId`] (a listing inside one catalog) and [`DocId`] (which
//! document a change belongs to).

use std::fmt;
use std::str::FromStr;

use bech32::{Bech32m, Hrp, primitives::decode::CheckedHrpstring};
use rand::RngCore;
use serde_with::{DeserializeFromStr, SerializeDisplay};

/// The human-readable prefix of a printed [`CenterId`]: `tc` for telecenter.
const CENTER_ID_HRP: &str = "tc";
/// Length of a printed center id: "tc" + "1" + 52 data characters + 6 checksum characters.
pub const CENTER_ID_PRINTED_LEN: usize = 61;
/// Alphabet of listing ids: Crockford's base32 in lower case (no i, l, o, u).
const LISTING_ID_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Length of a listing id in characters (50 random bits).
pub const LISTING_ID_LEN: usize = 10;

/// Why an identifier could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The text is not a center id at all, or a character was mistyped.
    #[error(
        "'{found}' is not a valid center id: expected 61 characters starting with 'tc1' and a correct checksum (check for typing mistakes)"
    )]
    CenterId {
        /// The text that was given, shortened if long.
        found: String,
    },
    /// The listing id is malformed.
    #[error(
        "'{found}' is not a valid listing id: expected {LISTING_ID_LEN} characters from 0-9 and a-z (without i, l, o, u)"
    )]
    ListingId {
        /// The text that was given, shortened if long.
        found: String,
    },
    /// The order or settlement id is malformed.
    #[error(
        "'{found}' is not a valid order id: expected 12 characters from 0-9 and a-z (without i, l, o, u)"
    )]
    OrderId {
        /// The text that was given, shortened if long.
        found: String,
    },
    /// The document id is malformed.
    #[error("'{found}' is not a valid document id: expected 'catalog:' followed by a center id")]
    DocId {
        /// The text that was given, shortened if long.
        found: String,
    },
}

/// Shortens untrusted text before it goes into an error message.
pub(crate) fn shorten(text: &str) -> String {
    const SHOWN_CHARS_MAX: usize = 80;
    if text.chars().count() <= SHOWN_CHARS_MAX {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(SHOWN_CHARS_MAX).collect();
        short.push('…');
        short
    }
}

/// A telecenter's identity: its ed25519 public key.
///
/// Printed as bech32m with the prefix `tc` (for example
/// `tc1qv3...`): 61 characters, lower case, no easily confused characters
/// (no `1` after the prefix, no `b`, `i`, `o`), and a six-character checksum that
/// catches any four typing mistakes. Parsing accepts upper or lower case. On the
/// wire it is its printed form (serde through `Display` and `FromStr`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, SerializeDisplay, DeserializeFromStr,
)]
pub struct CenterId([u8; 32]);

impl CenterId {
    /// Wraps the 32 bytes of an ed25519 public key. Whether the bytes are a valid
    /// curve point is checked when a signature is verified, not here.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes of the public key.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A short form for display next to a name (`tc1abcd…wxyz`); never for parsing.
    pub fn short(&self) -> String {
        let full = self.to_string();
        format!("{}…{}", &full[..7], &full[full.len() - 4..])
    }
}

impl fmt::Display for CenterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The prefix is a valid constant, so parsing it cannot fail; fall back to hex
        // rather than panic if it ever did.
        match Hrp::parse(CENTER_ID_HRP) {
            Ok(hrp) => {
                bech32::encode_lower_to_fmt::<Bech32m, _>(f, hrp, &self.0).map_err(|_| fmt::Error)
            }
            Err(_) => f.write_str(&hex::encode(self.0)),
        }
    }
}

impl fmt::Debug for CenterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CenterId({self})")
    }
}

impl FromStr for CenterId {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || IdError::CenterId {
            found: shorten(text),
        };
        // People may type it in capitals; both cases carry the same checksum.
        let text = text.trim().to_ascii_lowercase();
        if text.len() != CENTER_ID_PRINTED_LEN {
            return Err(err());
        }
        let checked = CheckedHrpstring::new::<Bech32m>(&text).map_err(|_| err())?;
        if checked.hrp().as_str() != CENTER_ID_HRP {
            return Err(err());
        }
        let bytes: Vec<u8> = checked.byte_iter().collect();
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| err())?;
        Ok(Self(bytes))
    }
}

/// The id of a listing inside one center's catalog: ten characters of Crockford
/// base32 (`0-9a-z` without `i l o u`), e.g. `k3v9q2m7xa`.
///
/// A listing is named across the network by its center and its id together.
/// On the wire it is its printed form (serde through `Display` and `FromStr`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, SerializeDisplay, DeserializeFromStr)]
pub struct ListingId(String);

/// `len` (at most 12) random characters of the id alphabet, from one draw.
pub(crate) fn random_id(rng: &mut dyn RngCore, len: usize) -> String {
    let bits = rng.next_u64();
    (0..len.min(12))
        .map(|i| char::from(LISTING_ID_ALPHABET[((bits >> (i * 5)) & 0x1f) as usize]))
        .collect()
}

/// `text` as an id of `len` characters of the alphabet (case and surrounding
/// spaces forgiven), lower case; `None` if it is not one.
pub(crate) fn parse_id(text: &str, len: usize) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    (lower.len() == len && lower.bytes().all(|b| LISTING_ID_ALPHABET.contains(&b))).then_some(lower)
}

impl ListingId {
    /// Draws a new random listing id from the caller's random source.
    pub fn random(rng: &mut dyn RngCore) -> Self {
        Self(random_id(rng, LISTING_ID_LEN))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ListingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ListingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ListingId({})", self.0)
    }
}

impl FromStr for ListingId {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_id(text, LISTING_ID_LEN)
            .map(Self)
            .ok_or_else(|| IdError::ListingId {
                found: shorten(text),
            })
    }
}

/// The kinds of shared documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKind {
    /// A center's catalog: its profile and listings. Written only by that center.
    Catalog,
}

impl DocKind {
    /// The byte that encodes the kind in a [`DocId`].
    pub const fn code(self) -> u8 {
        match self {
            DocKind::Catalog => 1,
        }
    }

    /// The word that names the kind in the printed form of a [`DocId`].
    pub const fn word(self) -> &'static str {
        match self {
            DocKind::Catalog => "catalog",
        }
    }
}

/// Names one shared document: its kind and the center that owns it.
///
/// Encoded as 33 bytes (kind code, then the owner's 32 key bytes) inside signed
/// envelopes, and printed as `catalog:tc1...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId {
    /// What kind of document this is.
    pub kind: DocKind,
    /// The center the document belongs to.
    pub owner: CenterId,
}

/// Length of an encoded [`DocId`] in bytes.
pub const DOC_ID_BYTES: usize = 33;

impl DocId {
    /// The catalog document of `owner`.
    pub const fn catalog(owner: CenterId) -> Self {
        Self {
            kind: DocKind::Catalog,
            owner,
        }
    }

    /// The 33-byte encoding used inside signed envelopes.
    pub fn to_bytes(&self) -> [u8; DOC_ID_BYTES] {
        let mut bytes = [0u8; DOC_ID_BYTES];
        bytes[0] = self.kind.code();
        bytes[1..].copy_from_slice(self.owner.as_bytes());
        bytes
    }

    /// Reads the 33-byte encoding; `None` for an unknown kind.
    pub fn from_bytes(bytes: &[u8; DOC_ID_BYTES]) -> Option<Self> {
        let kind = match bytes[0] {
            1 => DocKind::Catalog,
            _ => return None,
        };
        let mut owner = [0u8; 32];
        owner.copy_from_slice(&bytes[1..]);
        Some(Self {
            kind,
            owner: CenterId(owner),
        })
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.word(), self.owner)
    }
}

impl FromStr for DocId {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || IdError::DocId {
            found: shorten(text),
        };
        let (kind, owner) = text.trim().split_once(':').ok_or_else(err)?;
        let kind = match kind {
            "catalog" => DocKind::Catalog,
            _ => return Err(err()),
        };
        let owner = owner.parse().map_err(|_| err())?;
        Ok(Self { kind, owner })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn center_id_round_trips_and_is_61_chars() {
        let id = CenterId::from_bytes([7u8; 32]);
        let text = id.to_string();
        assert_eq!(text.len(), CENTER_ID_PRINTED_LEN);
        assert!(text.starts_with("tc1"));
        assert_eq!(text.parse::<CenterId>(), Ok(id));
        assert_eq!(text.to_uppercase().parse::<CenterId>(), Ok(id));
    }

    #[test]
    fn center_id_catches_every_single_typo() {
        let text = CenterId::from_bytes([42u8; 32]).to_string();
        let alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        for position in 3..text.len() {
            for replacement in alphabet.chars() {
                let mut typo: Vec<char> = text.chars().collect();
                if typo[position] == replacement {
                    continue;
                }
                typo[position] = replacement;
                let typo: String = typo.into_iter().collect();
                assert!(typo.parse::<CenterId>().is_err(), "typo accepted: {typo}");
            }
        }
    }

    #[test]
    fn center_id_rejects_wrong_prefix_length_and_garbage() {
        for bad in ["", "tc1", "hello", "bc1qqqqqq", &"tc1".repeat(30)] {
            assert!(bad.parse::<CenterId>().is_err(), "{bad}");
        }
        let other_prefix = bech32::encode::<Bech32m>(Hrp::parse("xx").unwrap(), &[1u8; 32]);
        assert!(other_prefix.unwrap().parse::<CenterId>().is_err());
    }

    #[test]
    fn listing_ids_are_random_valid_and_parse_back() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let a = ListingId::random(&mut rng);
        let b = ListingId::random(&mut rng);
        assert_ne!(a, b);
        assert_eq!(a.as_str().parse::<ListingId>(), Ok(a.clone()));
        assert_eq!(a.as_str().to_uppercase().parse::<ListingId>(), Ok(a));
        for bad in [
            "",
            "abc",
            "k3v9q2m7xai",
            "k3v9q2m7xi",
            "k3v9q2m7x!",
            "k3v9q2m7xaa",
        ] {
            assert!(bad.parse::<ListingId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn doc_id_round_trips_as_text_and_bytes() {
        let doc = DocId::catalog(CenterId::from_bytes([9u8; 32]));
        assert_eq!(doc.to_string().parse::<DocId>(), Ok(doc));
        assert_eq!(DocId::from_bytes(&doc.to_bytes()), Some(doc));
        let mut bytes = doc.to_bytes();
        bytes[0] = 9;
        assert_eq!(DocId::from_bytes(&bytes), None);
        assert!("order:x".parse::<DocId>().is_err());
    }
}
