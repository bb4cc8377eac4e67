//! Outgoing connections: the HTTP clients a node uses to reach other nodes,
//! their TLS trust roots, and the address rules for published addresses.
//!
//! Two clients, one configuration ([`Outgoing`]):
//! - the **peer client** reaches addresses an operator typed (`peer add URL`);
//!   they are the operator's choice and may be private (a telecenter LAN);
//! - the **published client** reaches addresses that other centers published in
//!   their signed profiles. Unless the operator allows it
//!   (`allow_private_addresses = true`), it never connects to a loopback,
//!   unspecified, link-local, private, shared (CGNAT), multicast, broadcast,
//!   documentation or otherwise reserved address: its resolver drops such
//!   addresses from every DNS answer at connect time (so a name that later
//!   resolves elsewhere, "DNS rebinding", is caught too), and IP literals, which
//!   reqwest does not resolve, are checked by [`Outgoing::check_published`]
//!   before every request.
//!
//! Both clients speak HTTPS through rustls with the `ring` provider, follow no
//! redirect, and trust the Mozilla roots (`webpki-roots`) plus the certificates
//! of an optional CA file (`ca_file` in `config.toml`, or the environment
//! variable [`CA_FILE_ENV`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use telecenter_protocol::address::{Host, NodeAddress, Scheme};
use telecenter_protocol::limits::{CA_FILE_BYTES_MAX, CA_FILE_CERTIFICATES_MAX};

/// The environment variable naming an extra CA file (PEM) to trust.
pub const CA_FILE_ENV: &str = "TELECENTER_CA_FILE";
/// Time allowed to open a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time an idle kept-alive connection is kept: below the 10 s after which a node
/// closes a connection that sends no next request, so a pooled connection is not
/// reused just as the other side closes it.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(8);

/// Why the outgoing-connection setup failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The CA file cannot be used.
    #[error("CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS or HTTP client could not be built.
    #[error("cannot set up outgoing connections: {0}")]
    Client(String),
}

/// Why a published address is not contacted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressRefused {
    /// The address is not a node address.
    #[error("{0}")]
    Invalid(String),
    /// The host is (or resolves only to) an address that is not public.
    #[error(
        "{address} is a {kind} address; published addresses must be public (set allow_private_addresses = true in config.toml to allow)"
    )]
    NotPublic {
        /// The address found.
        address: IpAddr,
        /// What kind of address it is.
        kind: &'static str,
    },
}

/// How this node makes outgoing connections.
#[derive(Clone, Debug, Default)]
pub struct Outgoing {
    allow_private_addresses: bool,
    extra_roots: Vec<CertificateDer<'static>>,
}

impl Outgoing {
    /// Published addresses only if public, unless `allow_private_addresses`;
    /// the Mozilla roots only.
    pub fn new(allow_private_addresses: bool) -> Self {
        Self {
            allow_private_addresses,
            extra_roots: Vec::new(),
        }
    }

    /// Also trusts every certificate in the PEM file at `path` (one or more
    /// `CERTIFICATE` blocks), e.g. a private CA or a self-signed certificate.
    pub fn with_ca_file(mut self, path: &Path) -> Result<Self, NetError> {
        let bad = |reason: String| NetError::CaFile {
            path: path.to_owned(),
            reason,
        };
        let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, CA_FILE_BYTES_MAX + 1),
            &mut bytes,
        )
        .map_err(|e| bad(e.to_string()))?;
        if bytes.len() as u64 > CA_FILE_BYTES_MAX {
            return Err(bad(format!("larger than {CA_FILE_BYTES_MAX} bytes")));
        }
        let mut found = Vec::new();
        for cert in CertificateDer::pem_slice_iter(&bytes) {
            let cert = cert.map_err(|e| bad(format!("not a PEM file: {e}")))?;
            if found.len() == CA_FILE_CERTIFICATES_MAX {
                return Err(bad(format!(
                    "more than {CA_FILE_CERTIFICATES_MAX} certificates"
                )));
            }
            found.push(cert);
        }
        if found.is_empty() {
            return Err(bad(
                "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            ));
        }
        // Each certificate must be usable as a trust anchor.
        let mut check = rustls::RootCertStore::empty();
        for cert in &found {
            check
                .add(cert.clone())
                .map_err(|e| bad(format!("a certificate cannot be read: {e}")))?;
        }
        self.extra_roots.extend(found);
        Ok(self)
    }

    /// Whether published addresses may be private (tests and demos on one machine).
    pub fn allow_private_addresses(&self) -> bool {
        self.allow_private_addresses
    }

    /// The rustls configuration: `ring` provider, safe protocol versions, the
    /// Mozilla roots plus the CA file's certificates.
    ///
    /// Why `webpki-roots` and not the system store: nodes run on small, often
    /// old or minimal installs where the system store may be missing or stale;
    /// compiled-in roots behave the same on every machine, and private or
    /// self-signed certificates are trusted explicitly through the CA file.
    pub fn tls_config(&self) -> Result<rustls::ClientConfig, NetError> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for cert in &self.extra_roots {
            roots
                .add(cert.clone())
                .map_err(|e| NetError::Client(e.to_string()))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| NetError::Client(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth())
    }

    /// A client builder with this TLS configuration, no redirects and a
    /// connect timeout (for callers that add their own settings, like the CLI).
    pub fn client_builder(&self) -> Result<reqwest::ClientBuilder, NetError> {
        // Also make `ring` the process default, so that a client built elsewhere
        // without a TLS configuration finds a provider instead of panicking
        // (an error only means one is installed already).
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(reqwest::Client::builder()
            .tls_backend_preconfigured(self.tls_config()?)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT))
    }

    /// The client for addresses an operator typed: any address.
    pub fn peer_client(&self) -> Result<reqwest::Client, NetError> {
        self.client_builder()?
            .build()
            .map_err(|e| NetError::Client(e.to_string()))
    }

    /// The client for published addresses: connects only to public addresses
    /// (unless private ones are allowed), and never through a proxy (a proxy
    /// would resolve the name itself, past the address rules).
    pub fn published_client(&self) -> Result<reqwest::Client, NetError> {
        if self.allow_private_addresses {
            return self.peer_client();
        }
        self.client_builder()?
            .no_proxy()
            .dns_resolver(Arc::new(PublicOnly))
            .build()
            .map_err(|e| NetError::Client(e.to_string()))
    }

    /// Checks a published address before it is contacted: it must parse as a
    /// node address, and an IP-literal host must be public (unless private
    /// addresses are allowed). Names are checked by the published client's
    /// resolver at connect time. Returns the normal form.
    pub fn check_published(&self, text: &str) -> Result<String, AddressRefused> {
        let address =
            NodeAddress::parse(text).map_err(|e| AddressRefused::Invalid(e.to_string()))?;
        if let Host::Ip(ip) = address.host()
            && !self.allow_private_addresses
            && let Some(kind) = non_public_kind(*ip)
        {
            return Err(AddressRefused::NotPublic { address: *ip, kind });
        }
        Ok(address.as_str().to_owned())
    }
}

/// A warning for an operator who adds a peer over plain `http://` to a host
/// that is not this machine: its traffic can be read and changed on the way.
pub fn plain_http_warning(address: &NodeAddress) -> Option<String> {
    if address.scheme() == Scheme::Https {
        return None;
    }
    let local = match address.host() {
        Host::Ip(ip) => ip.is_loopback(),
        Host::Name(name) => name == "localhost",
    };
    (!local).then(|| {
        format!(
            "warning: {address} is plain http://; anyone on the way can read and change this traffic (use https:// when you can)"
        )
    })
}

/// What kind of non-public address `ip` is, or `None` if it is public.
///
/// Refused: IPv4 0/8 (unspecified, "this network"), 10/8, 172.16/12 and
/// 192.168/16 (private), 100.64/10 (shared, CGNAT), 127/8 (loopback), 169.254/16
/// (link-local), 192.0.0/24 (protocol assignments), 192.0.2/24, 198.51.100/24 and
/// 203.0.113/24 (documentation), 198.18/15 (benchmarking), 224/4 (multicast),
/// 240/4 (reserved, with 255.255.255.255 broadcast). IPv6: everything outside
/// global unicast 2000::/3 (so `::`, `::1`, fc00::/7 ULA, fe80::/10 link-local,
/// ff00::/8 multicast, ...), and inside it 2001::/23 (protocol assignments),
/// 2001:db8::/32 and 3fff::/20 (documentation); IPv4-mapped (::ffff:0:0/96),
/// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by the IPv4
/// address they carry.
pub fn non_public_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let kind = match (a, b, c) {
        (0, _, _) => "unspecified",
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => "private",
        (100, 64..=127, _) => "shared (CGNAT)",
        (127, _, _) => "loopback",
        (169, 254, _) => "link-local",
        (192, 0, 0) => "reserved",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        (255, 255, 255) if ip == Ipv4Addr::BROADCAST => "broadcast",
        (240..=255, _, _) => "reserved",
        _ => return None,
    };
    Some(kind)
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_public_v4(v4);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return non_public_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return non_public_v4(embedded(s[1], s[2]));
    }
    let kind = if ip.is_unspecified() {
        "unspecified"
    } else if ip.is_loopback() {
        "loopback"
    } else if s[0] & 0xfe00 == 0xfc00 {
        "private (unique local)"
    } else if s[0] & 0xffc0 == 0xfe80 {
        "link-local"
    } else if s[0] & 0xff00 == 0xff00 {
        "multicast"
    } else if s[0] & 0xe000 != 0x2000 {
        "reserved"
    } else if (s[0] == 0x2001 && s[1] == 0x0db8) || s[0] & 0xfff0 == 0x3ff0 {
        "documentation"
    } else if s[0] == 0x2001 && s[1] < 0x0200 {
        "reserved"
    } else {
        return None;
    };
    Some(kind)
}

/// A resolver that keeps only public addresses of every answer.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let public: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match non_public_kind(addr.ip()) {
                    None => true,
                    Some(kind) => {
                        refused.get_or_insert(AddressRefused::NotPublic {
                            address: addr.ip(),
                            kind,
                        });
                        false
                    }
                })
                .collect();
            if public.is_empty() {
                let reason = refused.map_or_else(
                    || format!("{host} has no address"),
                    |r| format!("{host} resolves to {r}"),
                );
                return Err(reason.into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// One line saying why a request failed, from the whole error chain; an
/// untrusted certificate is named as such.
pub fn describe(error: &reqwest::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut untrusted = None;
    let mut source = std::error::Error::source(error);
    while let Some(err) = source {
        let tls = err.downcast_ref::<rustls::Error>().or_else(|| {
            err.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        let text = err.to_string();
        if let Some(rustls::Error::InvalidCertificate(why)) = tls {
            untrusted = Some(format!("{why:?}"));
        } else if let Some(why) = text.strip_prefix("invalid peer certificate: ") {
            // How rustls says it when its error arrives boxed in another type.
            untrusted = Some(why.to_owned());
        }
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = err.source();
    }
    match untrusted {
        Some(why) => format!(
            "the server's TLS certificate is not trusted ({why}); if it is signed by a private CA, give that CA in ca_file (config.toml) or {CA_FILE_ENV}"
        ),
        None => parts.join(": "),
    }
}

#[cfg(test)]
mod tests;
