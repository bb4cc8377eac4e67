//! The text columns of the order, outbox, ledger and settlement tables: values
//! stored as JSON, ids parsed back, and the fault for a value that will not read.

use super::StoreError;

pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("orders: bad {what}"))
}

pub(super) fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| corrupt(what))
}

pub(super) fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, StoreError> {
    text.parse().map_err(|_| corrupt(what))
}
