//! The center card ("kartu pusat"): a short text block with a center's name,
//! region, id and node address that one operator sends another (WhatsApp, a QR
//! code) so the other can add the center as a peer. Its format, written and
//! read here, is in `docs/protocol.md` ("Center card").

use crate::address::{AddressError, NodeAddress};
use crate::id::CenterId;
use crate::limits::{CARD_BYTES_MAX, CARD_LINES_MAX, CENTER_NAME_CHARS_MAX, REGION_CHARS_MAX};

/// The first line of every center card.
pub const CARD_HEADER: &str = "TELECENTER-KARTU v1";

/// A center card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CenterCard {
    /// The center's name.
    pub name: String,
    /// Its kabupaten or kota.
    pub region: String,
    /// Its full id (`tc1…`).
    pub id: CenterId,
    /// Where other nodes reach it; `None`: it connects out and cannot be reached.
    pub address: Option<NodeAddress>,
}

/// Why a text is not a center card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// Longer than [`CARD_BYTES_MAX`].
    #[error("a center card has at most {CARD_BYTES_MAX} bytes, found {0}")]
    TooLarge(usize),
    /// More than [`CARD_LINES_MAX`] lines.
    #[error("a center card has at most {CARD_LINES_MAX} lines, found {0}")]
    TooManyLines(usize),
    /// The first line is not [`CARD_HEADER`].
    #[error("a center card starts with the line {CARD_HEADER:?}")]
    NotACard,
    /// A line is not `key: value`.
    #[error("line {0} of the card is not 'key: value'")]
    BadLine(usize),
    /// A key given twice.
    #[error("the card gives {0:?} twice")]
    Twice(String),
    /// A required key (`nama`, `wilayah`, `id`) is missing or empty.
    #[error("the card has no {0:?}")]
    Missing(&'static str),
    /// The name or region is longer than a profile allows.
    #[error("the card's {0:?} is too long")]
    TooLong(&'static str),
    /// The id is not a center id.
    #[error("the card's id is not a center id: {0}")]
    BadId(String),
    /// The address is not a node address.
    #[error("the card's address: {0}")]
    BadAddress(#[from] AddressError),
}

impl CenterCard {
    /// The card as text: [`CARD_HEADER`], then `nama`, `wilayah`, `id` and
    /// (when known) `alamat` lines, each `key: value`.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{CARD_HEADER}\nnama: {}\nwilayah: {}\nid: {}",
            one_line(&self.name),
            one_line(&self.region),
            self.id
        );
        if let Some(address) = &self.address {
            text.push_str(&format!("\nalamat: {}", address.as_str()));
        }
        text
    }

    /// Reads a card pasted by a person: at most [`CARD_BYTES_MAX`] bytes and
    /// [`CARD_LINES_MAX`] lines; blank lines and spaces around lines are
    /// ignored, keys are read in any case, unknown keys are skipped (a later
    /// version may add some).
    pub fn parse(text: &str) -> Result<Self, CardError> {
        if text.len() > CARD_BYTES_MAX {
            return Err(CardError::TooLarge(text.len()));
        }
        let lines = text.lines().count();
        if lines > CARD_LINES_MAX {
            return Err(CardError::TooManyLines(lines));
        }
        let mut rest = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty());
        match rest.next() {
            Some((_, first)) if first.eq_ignore_ascii_case(CARD_HEADER) => {}
            _ => return Err(CardError::NotACard),
        }
        let (mut name, mut region, mut id, mut address) = (None, None, None, None);
        for (number, line) in rest {
            let (key, value) = line.split_once(':').ok_or(CardError::BadLine(number))?;
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            let slot = match key.as_str() {
                "nama" => &mut name,
                "wilayah" => &mut region,
                "id" => &mut id,
                "alamat" => &mut address,
                _ => continue,
            };
            // A lone carriage return inside a line (`lines` splits only at `\n`)
            // becomes a space, as `to_text` writes it: a card reads back as printed.
            if slot.replace(one_line(value)).is_some() {
                return Err(CardError::Twice(key));
            }
        }
        let required = |value: Option<String>, key: &'static str, max: usize| {
            let value = value
                .filter(|v| !v.is_empty())
                .ok_or(CardError::Missing(key))?;
            if value.chars().count() > max {
                return Err(CardError::TooLong(key));
            }
            Ok(value)
        };
        let name = required(name, "nama", CENTER_NAME_CHARS_MAX)?;
        let region = required(region, "wilayah", REGION_CHARS_MAX)?;
        let id = required(id, "id", CARD_BYTES_MAX)?
            .parse::<CenterId>()
            .map_err(|e| CardError::BadId(e.to_string()))?;
        let address = match address.filter(|a| !a.is_empty()) {
            Some(text) => Some(NodeAddress::parse(&text)?),
            None => None,
        };
        Ok(Self {
            name,
            region,
            id,
            address,
        })
    }
}

/// `text` with line breaks turned into spaces (a card line holds one value).
fn one_line(text: &str) -> String {
    text.split(['\r', '\n']).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;

    fn card() -> CenterCard {
        CenterCard {
            name: "Telecenter Kota Madiun".to_owned(),
            region: "Kota Madiun".to_owned(),
            id: Identity::from_secret_bytes(&[7; 32]).center_id(),
            address: Some(NodeAddress::parse("http://192.168.1.20:8470").unwrap()),
        }
    }

    #[test]
    fn a_card_reads_back_as_written() {
        let card = card();
        let text = card.to_text();
        assert!(text.starts_with("TELECENTER-KARTU v1\nnama: Telecenter Kota Madiun\n"));
        assert_eq!(CenterCard::parse(&text).unwrap(), card);
        // As a chat app may pass it on: spaces, blank lines, other case, CRLF.
        let messy = format!(
            "\r\n  telecenter-kartu v1 \r\n\r\nNAMA :  Telecenter Kota Madiun\r\nWilayah: Kota Madiun\r\nid: {}\r\nalamat: http://192.168.1.20:8470/\r\ncatatan: later versions\r\n",
            card.id
        );
        assert_eq!(CenterCard::parse(&messy).unwrap(), card);
        let no_address = CenterCard {
            address: None,
            ..card
        };
        assert_eq!(
            CenterCard::parse(&no_address.to_text()).unwrap(),
            no_address
        );
    }

    #[test]
    fn bad_cards_are_refused_with_their_reason() {
        let id = card().id.to_string();
        let good = |extra: &str| format!("{CARD_HEADER}\nnama: A\nwilayah: B\nid: {id}\n{extra}");
        let cases = [
            (
                "x".repeat(CARD_BYTES_MAX + 1),
                CardError::TooLarge(CARD_BYTES_MAX + 1),
            ),
            (
                "\n".repeat(CARD_LINES_MAX + 1),
                CardError::TooManyLines(CARD_LINES_MAX + 1),
            ),
            ("http://192.168.1.20:8470".to_owned(), CardError::NotACard),
            (String::new(), CardError::NotACard),
            (good("tanpa titik dua"), CardError::BadLine(5)),
            (good("nama: C"), CardError::Twice("nama".to_owned())),
            (
                format!("{CARD_HEADER}\nwilayah: B\nid: {id}"),
                CardError::Missing("nama"),
            ),
            (
                format!("{CARD_HEADER}\nnama: A\nwilayah: B\nid:"),
                CardError::Missing("id"),
            ),
            (
                format!(
                    "{CARD_HEADER}\nnama: {}\nwilayah: B\nid: {id}",
                    "n".repeat(101)
                ),
                CardError::TooLong("nama"),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(CenterCard::parse(&text).unwrap_err(), expected, "{text:?}");
        }
        assert!(matches!(
            CenterCard::parse(&format!("{CARD_HEADER}\nnama: A\nwilayah: B\nid: tc1xyz")),
            Err(CardError::BadId(_))
        ));
        assert!(matches!(
            CenterCard::parse(&good("alamat: 192.168.1.20:8470")),
            Err(CardError::BadAddress(_))
        ));
    }
}
