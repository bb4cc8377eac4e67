//! What a product page tells search engines and link previews (WhatsApp,
//! Facebook, X): OpenGraph and Twitter card tags, the canonical address and a
//! JSON-LD `Product` with its `Offer`; and `/sitemap.xml` and `/robots.txt`.
//! Links there must be absolute: [`base_url`] says which address of this node
//! they start with.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};
use telecenter_protocol::address::NodeAddress;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::limits::{HOST_HEADER_CHARS_MAX, SITEMAP_URLS_MAX};

pub(super) mod whatsapp;

use super::i18n::Texts;
use crate::money::format_rupiah;
use crate::server::AppState;
use crate::store::ListingRow;

/// How long browsers, crawlers and caches may keep the sitemap and robots.txt.
const CACHE_CONTROL: &str = "public, max-age=300";

/// The address this node's absolute links start with (no trailing `/`): the
/// operator's `public_url`, else this center's published `address`, else the
/// request's `Host` header if it is a plain `host[:port]` (scheme `http`).
/// Each is taken only if it is a valid node address (`http(s)://host[:port]`,
/// normal form). `None` when none is usable: links then stay relative.
pub(super) fn base_url(
    public_url: Option<&str>,
    own_address: Option<&str>,
    host: Option<&str>,
) -> Option<String> {
    let parse = |text: &str| NodeAddress::parse(text).ok().map(|a| a.as_str().to_owned());
    public_url
        .and_then(parse)
        .or_else(|| own_address.and_then(parse))
        .or_else(|| {
            host.filter(|h| is_plain_host(h))
                .and_then(|h| parse(&format!("http://{h}")))
        })
}

/// Whether a `Host` header is just `host[:port]`: bounded, and nothing that
/// could carry a path, user info, a query or markup.
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= HOST_HEADER_CHARS_MAX
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// The base for a request, given this center's published address.
pub(super) fn base_for(state: &AppState, headers: &HeaderMap, own_address: Option<&str>) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    base_url(state.public_url.get().as_deref(), own_address, host).unwrap_or_default()
}

/// Where a listing lives: this node's page for its own products (and for a
/// federated one whose center publishes no address), else the page on the
/// selling center's own node.
pub(super) fn canonical_url(
    base: &str,
    own: bool,
    seller_address: Option<&str>,
    row: &ListingRow,
) -> String {
    let path = format!("/produk/{}/{}", row.center_id, row.listing.id);
    let seller = seller_address
        .filter(|_| !own)
        .and_then(|a| NodeAddress::parse(a).ok());
    match seller {
        Some(address) => format!("{}{path}", address.as_str()),
        None => format!("{base}{path}"),
    }
}

/// JSON for inside a `<script>` element: `<`, `>` and `&` (which JSON has only
/// inside strings) become `\u003c`, `\u003e`, `\u0026`, so no text can close
/// the element or open a comment.
fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The `<head>` additions of a product page: OpenGraph, Twitter card,
/// canonical link and JSON-LD. `canonical` is from [`canonical_url`].
pub(super) fn product_head(
    t: &Texts,
    lang: Lang,
    row: &ListingRow,
    base: &str,
    canonical: &str,
) -> Markup {
    let l = &row.listing;
    let title = l.title.get(lang);
    let summary = format!(
        "{} {} {} · {} {}",
        format_rupiah(l.price_idr),
        t.per,
        l.unit,
        t.sold_by,
        row.center_name
    );
    let description = match l.description.get(lang) {
        "" => summary.clone(),
        text => text.to_owned(),
    };
    let images: Vec<String> = l
        .photos
        .iter()
        .map(|p| format!("{base}/foto/{}", p.medium))
        .collect();
    let availability = if l.stock > 0 {
        "https://schema.org/InStock"
    } else {
        "https://schema.org/OutOfStock"
    };
    let mut product = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": title,
        "description": description,
        "category": l.category.label(lang),
        "url": canonical,
        "offers": {
            "@type": "Offer",
            "price": l.price_idr,
            "priceCurrency": "IDR",
            "availability": availability,
            "url": canonical,
            "seller": {
                "@type": "Organization",
                "name": row.center_name,
                "url": format!("{base}/pusat/{}", row.center_id),
            },
        },
    });
    if !images.is_empty() {
        product["image"] = images.clone().into();
    }
    if !l.producer.is_empty() {
        product["brand"] = serde_json::json!({"@type": "Brand", "name": l.producer});
        product["manufacturer"] = serde_json::json!({"@type": "Organization", "name": l.producer});
    }
    let locale = match lang {
        Lang::En => "en_US",
        _ => "id_ID",
    };
    html! {
        link rel="canonical" href=(canonical);
        meta property="og:type" content="product";
        meta property="og:title" content=(title);
        meta property="og:description" content=(summary);
        meta property="og:url" content=(canonical);
        meta property="og:site_name" content=(t.market);
        meta property="og:locale" content=(locale);
        @if let Some(image) = images.first() {
            meta property="og:image" content=(image);
            meta property="og:image:alt" content=(title);
            meta name="twitter:card" content="summary_large_image";
        } @else {
            meta name="twitter:card" content="summary";
        }
        meta name="twitter:title" content=(title);
        meta name="twitter:description" content=(summary);
        meta name="description" content=(summary);
        script type="application/ld+json" { (PreEscaped(script_json(&product))) }
    }
}

/// A text answer with a short public cache time.
fn text_answer(content_type: &'static str, body: String) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    response
}

/// Escapes text for XML character data.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}

/// The base address for a request that has not read this center's profile yet.
async fn request_base(state: &AppState, headers: &HeaderMap) -> String {
    let own = state.node.center_id();
    let own_address = state
        .run(move |node| Ok(node.center(&own)?.and_then(|p| p.address)))
        .await
        .ok()
        .flatten();
    base_for(state, headers, own_address.as_deref())
}

/// `GET /sitemap.xml`: every product buyers are shown here (the active
/// listings of the centers this node holds, as `/cari` finds them), every
/// center page and the page of every producer those listings name, with the
/// day of their last change (UTC). At most
/// [`SITEMAP_URLS_MAX`] addresses: beyond, the newest.
pub(super) async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Response {
    const XML: &str = "application/xml; charset=utf-8";
    // Read before the catalog: a change meanwhile makes the kept copy stale, never wrong.
    let version = *state.node.subscribe().borrow();
    let base = request_base(&state, &headers).await;
    if let Some(kept) = state.sitemap.get(version, &base) {
        return text_answer(XML, kept.to_string());
    }
    let found = state
        .run(move |node| {
            let producers = node.with_reader(|s| s.shown_producers(SITEMAP_URLS_MAX))?;
            Ok((
                node.centers()?,
                node.shown_listings(SITEMAP_URLS_MAX)?,
                producers,
            ))
        })
        .await;
    let (centers, listings, producers) = match found {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(%error, "sitemap");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the sitemap cannot be read now; try again later",
            )
                .into_response();
        }
    };
    let mut entries: Vec<(String, i64)> = listings
        .into_iter()
        .map(|(center, id, ms)| (format!("/produk/{center}/{id}"), ms))
        .chain(
            centers
                .into_iter()
                .map(|p| (format!("/pusat/{}", p.center), p.updated_at_ms)),
        )
        .collect();
    // A producer's page, once (two spellings may share an address).
    let mut producer_pages = std::collections::HashSet::new();
    for (center, name, village, ms) in producers {
        let path = format!(
            "/produsen/{center}/{}",
            super::producer_page::key(&name, &village)
        );
        if producer_pages.insert(path.clone()) {
            entries.push((path, ms));
        }
    }
    // Newest first (stable: listings before centers at equal times).
    entries.sort_by_key(|(_, ms)| std::cmp::Reverse(*ms));
    entries.truncate(SITEMAP_URLS_MAX);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (path, ms) in entries {
        let day = crate::clock::rfc3339_utc(ms);
        let day = day.get(..10).unwrap_or("1970-01-01");
        let _ = writeln!(
            xml,
            "<url><loc>{}</loc><lastmod>{day}</lastmod></url>",
            xml_escape(&format!("{base}{path}"))
        );
    }
    xml.push_str("</urlset>\n");
    state.sitemap.put(version, &base, Arc::from(xml.as_str()));
    text_answer(XML, xml)
}

/// `GET /robots.txt`: crawlers may read the market but not the operator pages
/// or the API; where the sitemap is.
pub(super) async fn robots(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = request_base(&state, &headers).await;
    let mut body = String::from("User-agent: *\nDisallow: /operator\nDisallow: /api/\n");
    // The sitemap must be named by an absolute address; without one, no line.
    if !base.is_empty() {
        let _ = writeln!(body, "Sitemap: {base}/sitemap.xml");
    }
    text_answer("text/plain; charset=utf-8", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_prefers_public_url_then_address_then_a_plain_host() {
        let public = Some("https://pasar.example.id/");
        let address = Some("http://10.0.0.5:8470");
        assert_eq!(
            base_url(public, address, Some("h:1")).as_deref(),
            Some("https://pasar.example.id")
        );
        assert_eq!(
            base_url(None, address, Some("h:1")).as_deref(),
            Some("http://10.0.0.5:8470")
        );
        assert_eq!(
            base_url(None, None, Some("Pusat.Example:8470")).as_deref(),
            Some("http://pusat.example:8470")
        );
        // An unusable setting falls through to the next source.
        assert_eq!(
            base_url(Some("ftp://x"), None, Some("127.0.0.1:9")).as_deref(),
            Some("http://127.0.0.1:9")
        );
    }

    #[test]
    fn base_url_refuses_hostile_hosts() {
        let long = format!("{}.example", "a".repeat(HOST_HEADER_CHARS_MAX));
        for host in [
            "evil.com/x",
            "user@evil.com",
            "evil.com x",
            "evil.com\"><script>",
            "evil.com?x=1",
            "evil.com#x",
            "",
            long.as_str(),
        ] {
            assert_eq!(base_url(None, None, Some(host)), None, "{host:?}");
        }
        assert_eq!(base_url(None, None, None), None);
    }

    #[test]
    fn script_json_cannot_close_the_element() {
        let value = serde_json::json!({"name": "</script><!-- & >"});
        let text = script_json(&value);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn xml_escape_escapes_markup() {
        assert_eq!(xml_escape("a&b<c>\"'"), "a&amp;b&lt;c&gt;&quot;&apos;");
    }
}
