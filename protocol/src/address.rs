//! Node addresses: the one parser of the base URL of a telecenter node.
//!
//! Both kinds of node address go through [`NodeAddress::parse`]: the peer
//! addresses an operator types (`telecenter peer add URL`) and the address a
//! center publishes in its signed catalog profile (`profile --address`). A node
//! address is `http://` or `https://`, a host and an optional port, and nothing
//! else: no user name or password, no path (other than an empty one or `/`), no
//! query and no fragment. So a published address can only ever name a node's
//! API root; it cannot smuggle a path, query or credentials into the requests a
//! node makes to it.
//!
//! Which *hosts* may be contacted is a separate rule, applied by the node when
//! it connects (a name can resolve to anything); see `docs/protocol.md` §10.4.

use std::net::IpAddr;

use crate::limits::ADDRESS_CHARS_MAX;

/// Why a text is not a node address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Longer than [`ADDRESS_CHARS_MAX`].
    #[error("a node address has at most {ADDRESS_CHARS_MAX} characters, found {0}")]
    TooLong(usize),
    /// Not a URL at all.
    #[error("{text:?} is not an address: {reason}")]
    NotAUrl {
        /// The text given.
        text: String,
        /// What the URL parser said.
        reason: String,
    },
    /// A scheme other than `http` or `https`.
    #[error("{0:?}: a node address starts with http:// or https://")]
    Scheme(String),
    /// No host.
    #[error("{0:?} has no host")]
    NoHost(String),
    /// User info, a path, a query or a fragment.
    #[error("{0:?}: give only http(s)://host:port, without user, path, query or fragment")]
    Extra(String),
}

/// The scheme of a node address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

/// The host of a node address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name (lower case, IDNA-encoded).
    Name(String),
    /// An IP address literal (IPv4 in any of the forms URL parsers accept,
    /// e.g. `2130706433`, is already turned into its dotted form here).
    Ip(IpAddr),
}

/// A checked node address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAddress {
    scheme: Scheme,
    host: Host,
    port: u16,
    text: String,
}

impl NodeAddress {
    /// Parses a node address (surrounding spaces and one trailing `/` allowed).
    pub fn parse(text: &str) -> Result<Self, AddressError> {
        let text = text.trim();
        let chars = text.chars().count();
        if chars > ADDRESS_CHARS_MAX {
            return Err(AddressError::TooLong(chars));
        }
        let url = url::Url::parse(text).map_err(|e| AddressError::NotAUrl {
            text: text.to_owned(),
            reason: e.to_string(),
        })?;
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(AddressError::Scheme(text.to_owned())),
        };
        if !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
            || !matches!(url.path(), "" | "/")
        {
            return Err(AddressError::Extra(text.to_owned()));
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) if !name.is_empty() => Host::Name(name.to_owned()),
            Some(url::Host::Ipv4(ip)) => Host::Ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Host::Ip(IpAddr::V6(ip)),
            _ => return Err(AddressError::NoHost(text.to_owned())),
        };
        let Some(port) = url.port_or_known_default() else {
            return Err(AddressError::NoHost(text.to_owned()));
        };
        // The normal form: scheme, host as the URL parser writes it, and the
        // port unless it is the scheme's default; never a trailing slash.
        let mut normal = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
        if let Some(port) = url.port() {
            normal.push_str(&format!(":{port}"));
        }
        Ok(Self {
            scheme,
            host,
            port,
            text: normal,
        })
    }

    /// The normal form, e.g. `https://pusat.example.id` or `http://10.0.0.5:8470`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The port (the scheme's default when none is given).
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl std::fmt::Display for NodeAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_addresses_are_parsed_to_one_normal_form() {
        let good = [
            ("http://127.0.0.1:8470", "http://127.0.0.1:8470"),
            ("http://127.0.0.1:8470/", "http://127.0.0.1:8470"),
            ("  https://Pusat.Example.ID/ ", "https://pusat.example.id"),
            ("https://pusat.example.id:443", "https://pusat.example.id"),
            ("http://[::1]:8470", "http://[::1]:8470"),
            ("http://2130706433:80", "http://127.0.0.1"),
        ];
        for (text, normal) in good {
            let parsed = NodeAddress::parse(text).unwrap();
            assert_eq!(parsed.as_str(), normal, "{text}");
        }
        let parsed = NodeAddress::parse("http://2130706433").unwrap();
        assert_eq!(parsed.host(), &Host::Ip(IpAddr::from([127, 0, 0, 1])));
        assert_eq!(parsed.port(), 80);
        assert_eq!(NodeAddress::parse("https://x.example").unwrap().port(), 443);
    }

    #[test]
    fn published_address_with_path_query_or_user_is_refused() {
        let bad = [
            "http://127.0.0.1:18499/internal/admin/containers/prune?force=1#",
            "http://127.0.0.1:18499/internal",
            "http://127.0.0.1:18499?x=1",
            "http://127.0.0.1:18499#frag",
            "http://user:pw@example.id",
            "http://user@example.id",
            "ftp://example.id",
            "file:///etc/passwd",
            "gopher://127.0.0.1:6379/_FLUSHALL",
            "example.id:8470",
            "http://",
            "http:// example.id",
            "",
        ];
        for text in bad {
            assert!(NodeAddress::parse(text).is_err(), "{text} was accepted");
        }
        let long = format!("http://{}.id", "a".repeat(ADDRESS_CHARS_MAX));
        assert!(matches!(
            NodeAddress::parse(&long),
            Err(AddressError::TooLong(_))
        ));
    }
}
