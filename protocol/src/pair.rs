//! Wire types of the pair exchange: the bundle one center sends another inside a
//! sealed mail ([`PairExchange`]) and the answer to each pair message it carried
//! ([`MessageResult`], [`MessageStatus`]). `docs/protocol.md` §11.5 has the shapes.

use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

use crate::order::SignedMessage;

/// What became of one received pair message; the word on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MessageStatus {
    /// `appended`: taken in.
    Appended,
    /// `duplicate`: already held.
    Duplicate,
    /// `refused`: will never be taken (see the result's code and message).
    Refused,
    /// `later`: not taken now; the sender sends it again later.
    Later,
    /// A word this version does not know (from a newer node): treated as `later`.
    #[serde(other)]
    Unknown,
}

impl MessageStatus {
    /// The word on the wire.
    pub fn word(self) -> &'static str {
        self.into()
    }

    /// The receiver holds the message (`appended` or `duplicate`).
    pub const fn is_taken(self) -> bool {
        matches!(self, Self::Appended | Self::Duplicate)
    }

    /// The answer is final: taken, or refused for good. Anything else (`later`,
    /// an unknown word) means the sender keeps the message and sends it again.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Appended | Self::Duplicate | Self::Refused)
    }
}

/// Compares with the word on the wire (`status == "appended"`), as tests and
/// logs read it.
impl PartialEq<&str> for MessageStatus {
    fn eq(&self, other: &&str) -> bool {
        self.word() == *other
    }
}

/// What happened to one received pair message; sent back to its sender.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageResult {
    /// The message's body hash.
    pub hash: String,
    /// What became of it.
    pub status: MessageStatus,
    /// Why it was refused (or why it waits).
    pub code: Option<String>,
    /// Why, in plain words.
    pub message: Option<String>,
}

impl MessageResult {
    /// An answer without a reason (`appended`, `duplicate`, or a bare `later`).
    pub fn ok(hash: &str, status: MessageStatus) -> Self {
        Self {
            hash: hash.to_owned(),
            status,
            code: None,
            message: None,
        }
    }

    /// Will never be taken, for the reason given.
    pub fn refused(hash: &str, code: &str, message: String) -> Self {
        Self::with_reason(hash, MessageStatus::Refused, code.to_owned(), message)
    }

    /// Not taken in now, for a reason that passes: the sender sends it again.
    pub fn later(hash: &str, code: &str, message: String) -> Self {
        Self::with_reason(hash, MessageStatus::Later, code.to_owned(), message)
    }

    /// An answer with a stable `code` and a plain `message`.
    pub fn with_reason(hash: &str, status: MessageStatus, code: String, message: String) -> Self {
        Self {
            hash: hash.to_owned(),
            status,
            code: Some(code),
            message: Some(message),
        }
    }
}

/// The plaintext inside a sealed mail: pair messages and answers to the
/// recipient's earlier messages.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PairExchange {
    /// Messages for the receiver.
    pub messages: Vec<SignedMessage>,
    /// Answers to messages the receiver sent before.
    pub results: Vec<MessageResult>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_todays_json_byte_for_byte() {
        let cases = [
            (
                MessageResult::ok("ab", MessageStatus::Appended),
                r#"{"hash":"ab","status":"appended"}"#,
            ),
            (
                MessageResult::ok("ab", MessageStatus::Duplicate),
                r#"{"hash":"ab","status":"duplicate"}"#,
            ),
            (
                MessageResult::ok("ab", MessageStatus::Later),
                r#"{"hash":"ab","status":"later"}"#,
            ),
            (
                MessageResult::refused("ab", "bad_step", "no".into()),
                r#"{"hash":"ab","status":"refused","code":"bad_step","message":"no"}"#,
            ),
            (
                MessageResult::later("ab", "too_fast", "wait".into()),
                r#"{"hash":"ab","status":"later","code":"too_fast","message":"wait"}"#,
            ),
        ];
        for (result, json) in cases {
            assert_eq!(serde_json::to_string(&result).unwrap(), json);
            assert_eq!(serde_json::from_str::<MessageResult>(json).unwrap(), result);
            assert_eq!(result.status, result.status.word());
        }
        let bundle = PairExchange {
            messages: Vec::new(),
            results: vec![MessageResult::ok("ab", MessageStatus::Appended)],
        };
        assert_eq!(
            serde_json::to_string(&bundle).unwrap(),
            r#"{"messages":[],"results":[{"hash":"ab","status":"appended"}]}"#
        );
    }

    #[test]
    fn an_unknown_status_from_a_newer_node_reads_as_unknown_and_is_not_final() {
        let result: MessageResult =
            serde_json::from_str(r#"{"hash":"ab","status":"parked"}"#).unwrap();
        assert_eq!(result.status, MessageStatus::Unknown);
        assert!(!result.status.is_final());
        assert!(!result.status.is_taken());
        assert!(MessageStatus::Duplicate.is_taken() && MessageStatus::Refused.is_final());
        // A bundle still refuses fields it does not know.
        assert!(serde_json::from_str::<PairExchange>(r#"{"extra":1}"#).is_err());
        assert!(serde_json::from_str::<PairExchange>("{}").is_ok());
    }
}
