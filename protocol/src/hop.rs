//! Per-hop request authentication between peer nodes.
//!
//! Every sync request between two nodes carries an `Authorization` header that
//! proves which center sent it, to which center, when, and for exactly which
//! method, path and body:
//!
//! ```text
//! Authorization: Telecenter from=<center id>,to=<center id>,at=<ms>,nonce=<32 hex>,sig=<128 hex>
//! ```
//!
//! The signature covers
//! `"telecenter v1 hop-request\0" || from (32) || to (32) || at (i64 big-endian) ||
//! nonce (16) || len(method) (u8) || method || len(path) (u16 big-endian) || path ||
//! SHA-256(body)`.
//!
//! This is separate from the end-to-end signatures on catalog changes: a hop
//! signature expires after [`HOP_WINDOW_MS`] and only says who is talking now; a
//! change signature never expires and says who wrote the change. The receiver
//! also refuses a nonce it has already seen inside the window (that state lives
//! in the node, since this crate is pure).
//!
//! The window is asymmetric: a request may be up to [`HOP_WINDOW_MS`] old but at
//! most [`HOP_FUTURE_MS`] ahead of the receiver's clock, so a receiver keeps a
//! nonce at most `HOP_WINDOW_MS + HOP_FUTURE_MS` (until [`HopAuth::expires_at_ms`]);
//! a future-dated request cannot make it remember a nonce for longer.

use sha2::{Digest, Sha256};

use crate::id::CenterId;
use crate::identity::Identity;

/// Domain-separation tag of hop signatures.
pub const HOP_DOMAIN: &[u8] = b"telecenter v1 hop-request\0";
/// How far a request's time may be behind the receiver's clock, in ms.
pub const HOP_WINDOW_MS: i64 = 5 * 60 * 1000;
/// How far a request's time may be ahead of the receiver's clock, in ms (clock
/// skew between two honest nodes; small, because the receiver remembers a nonce
/// until its request has aged past [`HOP_WINDOW_MS`]).
pub const HOP_FUTURE_MS: i64 = 60 * 1000;
/// The authorization scheme word.
pub const HOP_SCHEME: &str = "Telecenter";
/// Longest accepted header value, in bytes.
pub const HOP_HEADER_BYTES_MAX: usize = 512;

/// A parsed hop authorization header (not yet verified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HopAuth {
    /// Claimed sender.
    pub from: CenterId,
    /// Intended receiver (the audience).
    pub to: CenterId,
    /// Sender's clock when signing, ms since the epoch.
    pub at_ms: i64,
    /// Random value, unique per request.
    pub nonce: [u8; 16],
    /// ed25519 signature.
    pub signature: [u8; 64],
}

/// Why a hop authorization was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HopError {
    /// The header is missing or not in the expected form.
    #[error("malformed peer authorization: {0}")]
    Malformed(String),
    /// The request was meant for another center.
    #[error("request is addressed to {found}, but this node is {expected}")]
    WrongAudience {
        /// This node.
        expected: CenterId,
        /// The audience named in the request.
        found: CenterId,
    },
    /// The request's time is outside the window.
    #[error(
        "request time is {skew_ms} ms away from this node's clock; allowed are {HOP_WINDOW_MS} ms behind to {HOP_FUTURE_MS} ms ahead (check both clocks)"
    )]
    OutsideWindow {
        /// Signed difference request time − receiver time (saturated at the
        /// ends of `i64`).
        skew_ms: i64,
    },
    /// The signature does not verify.
    #[error("peer authorization signature does not verify for {from}")]
    BadSignature {
        /// The claimed sender.
        from: CenterId,
    },
}

fn signed_bytes(
    from: &CenterId,
    to: &CenterId,
    at_ms: i64,
    nonce: &[u8; 16],
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<Vec<u8>, HopError> {
    let method_len =
        u8::try_from(method.len()).map_err(|_| HopError::Malformed("method too long".into()))?;
    let path_len =
        u16::try_from(path.len()).map_err(|_| HopError::Malformed("path too long".into()))?;
    let mut bytes = Vec::with_capacity(32 + 32 + 8 + 16 + 3 + method.len() + path.len() + 32);
    bytes.extend_from_slice(from.as_bytes());
    bytes.extend_from_slice(to.as_bytes());
    bytes.extend_from_slice(&at_ms.to_be_bytes());
    bytes.extend_from_slice(nonce);
    bytes.push(method_len);
    bytes.extend_from_slice(method.as_bytes());
    bytes.extend_from_slice(&path_len.to_be_bytes());
    bytes.extend_from_slice(path.as_bytes());
    bytes.extend_from_slice(&Sha256::digest(body));
    Ok(bytes)
}

impl HopAuth {
    /// Signs a request from `identity` to `to` and returns the header value.
    #[allow(clippy::too_many_arguments)] // each argument is a distinct signed field
    pub fn sign(
        identity: &Identity,
        to: CenterId,
        at_ms: i64,
        nonce: [u8; 16],
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<String, HopError> {
        let from = identity.center_id();
        let bytes = signed_bytes(&from, &to, at_ms, &nonce, method, path, body)?;
        let signature = identity.sign(HOP_DOMAIN, &[&bytes]);
        Ok(format!(
            "{HOP_SCHEME} from={from},to={to},at={at_ms},nonce={},sig={}",
            hex::encode(nonce),
            hex::encode(signature)
        ))
    }

    /// Parses a header value; checks only its form.
    pub fn parse(header: &str) -> Result<Self, HopError> {
        if header.len() > HOP_HEADER_BYTES_MAX {
            return Err(HopError::Malformed("header too long".into()));
        }
        let rest = header
            .strip_prefix(HOP_SCHEME)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or_else(|| HopError::Malformed(format!("expected the '{HOP_SCHEME}' scheme")))?;
        let (mut from, mut to, mut at, mut nonce, mut sig) = (None, None, None, None, None);
        for part in rest.split(',') {
            let (key, value) = part
                .trim()
                .split_once('=')
                .ok_or_else(|| HopError::Malformed("expected key=value pairs".into()))?;
            let slot = match key {
                "from" => &mut from,
                "to" => &mut to,
                "at" => &mut at,
                "nonce" => &mut nonce,
                "sig" => &mut sig,
                other => {
                    return Err(HopError::Malformed(format!(
                        "unknown field '{}'",
                        crate::id::shorten(other)
                    )));
                }
            };
            if slot.replace(value).is_some() {
                return Err(HopError::Malformed(format!("field '{key}' given twice")));
            }
        }
        let missing = |name: &str| HopError::Malformed(format!("missing field '{name}'"));
        let center = |value: &str| {
            value
                .parse::<CenterId>()
                .map_err(|e| HopError::Malformed(e.to_string()))
        };
        let from = center(from.ok_or_else(|| missing("from"))?)?;
        let to = center(to.ok_or_else(|| missing("to"))?)?;
        // Digits with an optional minus sign, as the signer writes them (Rust's
        // parser would also take a leading '+').
        let at_text = at.ok_or_else(|| missing("at"))?;
        let digits = at_text.strip_prefix('-').unwrap_or(at_text);
        let at_ms = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| at_text.parse::<i64>().ok())
            .flatten()
            .ok_or_else(|| HopError::Malformed("'at' is not a whole number".into()))?;
        let nonce: [u8; 16] = hex::decode(nonce.ok_or_else(|| missing("nonce"))?)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| HopError::Malformed("'nonce' must be 32 hex characters".into()))?;
        let signature: [u8; 64] = hex::decode(sig.ok_or_else(|| missing("sig"))?)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| HopError::Malformed("'sig' must be 128 hex characters".into()))?;
        Ok(Self {
            from,
            to,
            at_ms,
            nonce,
            signature,
        })
    }

    /// The receiver-clock time after which this request can no longer pass the
    /// window, so its nonce need not be remembered any longer.
    pub fn expires_at_ms(&self) -> i64 {
        self.at_ms.saturating_add(HOP_WINDOW_MS)
    }

    /// Checks audience, time window (`at` in `[now − HOP_WINDOW_MS, now +
    /// HOP_FUTURE_MS]`) and signature for this exact request.
    pub fn verify(
        &self,
        expected_to: &CenterId,
        now_ms: i64,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<(), HopError> {
        if self.to != *expected_to {
            return Err(HopError::WrongAudience {
                expected: *expected_to,
                found: self.to,
            });
        }
        // Checked arithmetic: a difference that does not fit an i64 is outside
        // any window (a saturated difference must never pass).
        match self.at_ms.checked_sub(now_ms) {
            Some(skew_ms) if (-HOP_WINDOW_MS..=HOP_FUTURE_MS).contains(&skew_ms) => {}
            skew => {
                return Err(HopError::OutsideWindow {
                    skew_ms: skew.unwrap_or(if self.at_ms < now_ms {
                        i64::MIN
                    } else {
                        i64::MAX
                    }),
                });
            }
        }
        let message = signed_bytes(
            &self.from,
            &self.to,
            self.at_ms,
            &self.nonce,
            method,
            path,
            body,
        )?;
        if crate::identity::verify(&self.from, HOP_DOMAIN, &[&message], &self.signature) {
            Ok(())
        } else {
            Err(HopError::BadSignature { from: self.from })
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const NOW: i64 = 1_795_392_000_000;

    fn pair() -> (Identity, Identity) {
        (
            Identity::generate(&mut StdRng::seed_from_u64(1)),
            Identity::generate(&mut StdRng::seed_from_u64(2)),
        )
    }

    #[test]
    fn a_signed_request_verifies_only_as_sent() {
        let (malang, blitar) = pair();
        let to = blitar.center_id();
        let sign = |from: &Identity| {
            HopAuth::sign(from, to, NOW, [7; 16], "POST", "/api/v1/sync/push", b"{}").unwrap()
        };
        let auth = HopAuth::parse(&sign(&malang)).unwrap();
        assert_eq!(auth.from, malang.center_id());
        auth.verify(&to, NOW + 1_000, "POST", "/api/v1/sync/push", b"{}")
            .unwrap();

        // Another body, path, method, audience or a stale time is refused.
        assert!(matches!(
            auth.verify(&to, NOW, "POST", "/api/v1/sync/push", b"{ }"),
            Err(HopError::BadSignature { .. })
        ));
        assert!(matches!(
            auth.verify(&to, NOW, "POST", "/api/v1/sync/fetch", b"{}"),
            Err(HopError::BadSignature { .. })
        ));
        assert!(matches!(
            auth.verify(&to, NOW, "GET", "/api/v1/sync/push", b"{}"),
            Err(HopError::BadSignature { .. })
        ));
        assert!(matches!(
            auth.verify(&malang.center_id(), NOW, "POST", "/api/v1/sync/push", b"{}"),
            Err(HopError::WrongAudience { .. })
        ));
        assert!(matches!(
            auth.verify(
                &to,
                NOW + HOP_WINDOW_MS + 1,
                "POST",
                "/api/v1/sync/push",
                b"{}"
            ),
            Err(HopError::OutsideWindow { .. })
        ));
        assert!(matches!(
            auth.verify(
                &to,
                NOW - HOP_FUTURE_MS - 1,
                "POST",
                "/api/v1/sync/push",
                b"{}"
            ),
            Err(HopError::OutsideWindow { .. })
        ));

        // A forged sender: Blitar's signature claiming to be from Malang.
        let mut forged = HopAuth::parse(&sign(&blitar)).unwrap();
        forged.from = malang.center_id();
        assert!(matches!(
            forged.verify(&to, NOW, "POST", "/api/v1/sync/push", b"{}"),
            Err(HopError::BadSignature { .. })
        ));
    }

    /// Found from outside: `at=+1763…` was accepted; `at` is digits with an
    /// optional minus sign, nothing else.
    #[test]
    fn hop_at_with_a_plus_sign_or_spaces_is_malformed() {
        let (malang, blitar) = pair();
        let header = HopAuth::sign(
            &malang,
            blitar.center_id(),
            NOW,
            [5; 16],
            "POST",
            "/api/v1/sync/push",
            b"",
        )
        .unwrap();
        assert!(HopAuth::parse(&header).is_ok());
        let at = format!("at={NOW}");
        for bad in [
            format!("at=+{NOW}"),
            format!("at= {NOW}"),
            "at=-".to_owned(),
            "at=".to_owned(),
            "at=1e3".to_owned(),
        ] {
            let tampered = header.replace(&at, &bad);
            assert!(
                matches!(HopAuth::parse(&tampered), Err(HopError::Malformed(_))),
                "{bad} was accepted"
            );
        }
        let negative =
            HopAuth::sign(&malang, blitar.center_id(), -5, [6; 16], "POST", "/p", b"").unwrap();
        assert_eq!(HopAuth::parse(&negative).unwrap().at_ms, -5);
    }

    /// Finding 7 of issue 9: `at = i64::MIN` passed the window check
    /// (`saturating_sub` then `abs`), so such a request replayed after every restart.
    #[test]
    fn hop_at_i64_min_is_refused() {
        let (malang, blitar) = pair();
        let to = blitar.center_id();
        for at in [i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1] {
            let header =
                HopAuth::sign(&malang, to, at, [3; 16], "POST", "/api/v1/sync/push", b"").unwrap();
            let auth = HopAuth::parse(&header).unwrap();
            for now in [NOW, 0, -NOW, i64::MIN, i64::MAX] {
                if (at == i64::MAX || at == i64::MAX - 1) && now == i64::MAX {
                    continue; // genuinely inside the window of that (absurd) clock
                }
                if (at == i64::MIN || at == i64::MIN + 1) && now == i64::MIN {
                    continue;
                }
                assert!(
                    matches!(
                        auth.verify(&to, now, "POST", "/api/v1/sync/push", b""),
                        Err(HopError::OutsideWindow { .. })
                    ),
                    "at {at} passed at now {now}"
                );
            }
        }
    }

    #[test]
    fn hop_at_i64_max_is_refused() {
        let (malang, blitar) = pair();
        let to = blitar.center_id();
        let header = HopAuth::sign(&malang, to, i64::MAX, [4; 16], "GET", "/", b"").unwrap();
        let auth = HopAuth::parse(&header).unwrap();
        assert!(matches!(
            auth.verify(&to, NOW, "GET", "/", b""),
            Err(HopError::OutsideWindow { skew_ms }) if skew_ms > 0
        ));
    }

    /// The window is asymmetric: five minutes back, one minute ahead.
    #[test]
    fn future_dated_requests_are_refused_past_one_minute() {
        let (malang, blitar) = pair();
        let to = blitar.center_id();
        let check = |at: i64| {
            let header = HopAuth::sign(&malang, to, at, [5; 16], "GET", "/", b"").unwrap();
            HopAuth::parse(&header)
                .unwrap()
                .verify(&to, NOW, "GET", "/", b"")
        };
        assert!(check(NOW + HOP_FUTURE_MS).is_ok());
        assert!(check(NOW - HOP_WINDOW_MS).is_ok());
        assert!(matches!(
            check(NOW + HOP_FUTURE_MS + 1),
            Err(HopError::OutsideWindow { .. })
        ));
        assert!(matches!(
            check(NOW + HOP_WINDOW_MS - 1),
            Err(HopError::OutsideWindow { .. })
        ));
        assert!(matches!(
            check(NOW - HOP_WINDOW_MS - 1),
            Err(HopError::OutsideWindow { .. })
        ));
    }

    #[test]
    fn malformed_headers_are_refused() {
        let (malang, blitar) = pair();
        let good =
            HopAuth::sign(&malang, blitar.center_id(), NOW, [1; 16], "GET", "/", b"").unwrap();
        let bad = [
            String::new(),
            "Bearer x".into(),
            good.replace("nonce=", "nonse="),
            good.replace(",sig=", ",sig=00"),
            format!("{good},at=1"),
            good.replace("at=", "at=x"),
            "Telecenter ".to_owned() + &"a".repeat(600),
        ];
        for header in bad {
            assert!(HopAuth::parse(&header).is_err(), "{header}");
        }
    }
}
