//! "Tanya lewat WhatsApp" and "Bagikan" on the product and center pages: links
//! to `https://wa.me/` with a pre-filled message (the product, its price and
//! its absolute link), which work without JavaScript; and `/bagikan.js`, the
//! small served script (allowed by the pages' `script-src 'self'`) that uses the
//! phone's own share sheet (`navigator.share`) and a "copy link" button when the
//! browser has them.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use telecenter_protocol::address::NodeAddress;
use telecenter_protocol::catalog::{Lang, Profile};
use telecenter_protocol::id::CenterId;
use telecenter_protocol::phone::wa_me_digits;

use crate::money::format_rupiah;
use crate::store::ListingRow;

/// Where the pages load the share script from.
pub(in crate::web) const SCRIPT_PATH: &str = "/bagikan.js";

/// The share script: it only enhances links that already work without it.
const SCRIPT: &str = include_str!("bagikan.js");

/// How long browsers may keep the script (it changes only with a new version).
const SCRIPT_CACHE_CONTROL: &str = "public, max-age=86400";

/// The words of the share buttons.
struct Words {
    ask: &'static str,
    share: &'static str,
    copy: &'static str,
    copied: &'static str,
    at: &'static str,
    per: &'static str,
}

const ID_WORDS: Words = Words {
    ask: "Tanya lewat WhatsApp",
    share: "Bagikan",
    copy: "Salin tautan",
    copied: "Tautan tersalin",
    at: "di",
    per: "per",
};

const EN_WORDS: Words = Words {
    ask: "Ask on WhatsApp",
    share: "Share",
    copy: "Copy link",
    copied: "Link copied",
    at: "at",
    per: "per",
};

fn words(lang: Lang) -> &'static Words {
    if lang == Lang::En {
        &EN_WORDS
    } else {
        &ID_WORDS
    }
}

/// A `https://wa.me/` link that opens a chat with `number` (normal form
/// `+62…`), or lets the sender pick the chat when `None`, with `text` typed in.
/// The text is percent-encoded whole (everything but ASCII letters and digits),
/// so no character of a title can end the parameter or the address.
pub(in crate::web) fn wa_link(number: Option<&str>, text: &str) -> String {
    let digits = number.map(wa_me_digits).unwrap_or_default();
    format!(
        "https://wa.me/{digits}?text={}",
        utf8_percent_encode(text, NON_ALPHANUMERIC)
    )
}

/// The message a buyer sends the selling center about a product. Always in
/// Indonesian (the center's staff read it), naming the Indonesian title.
pub(in crate::web) fn ask_text(row: &ListingRow, link: &str) -> String {
    let l = &row.listing;
    format!(
        "Halo {}, saya mau tanya tentang {} ({} per {}). Apakah masih ada?\n{link}",
        row.center_name,
        l.title.id,
        format_rupiah(l.price_idr),
        l.unit
    )
}

/// What a shared product says before its link: title, price and center.
fn share_text(lang: Lang, row: &ListingRow) -> String {
    let (w, l) = (words(lang), &row.listing);
    format!(
        "{} – {} {} {} {} {}",
        l.title.get(lang),
        format_rupiah(l.price_idr),
        w.per,
        l.unit,
        w.at,
        row.center_name
    )
}

/// Where a center's page lives: on its own node when another center publishes
/// an address, else on this node (as [`super::canonical_url`] does for products).
pub(in crate::web) fn center_url(
    base: &str,
    own: bool,
    address: Option<&str>,
    center: &CenterId,
) -> String {
    let path = format!("/pusat/{center}");
    match address
        .filter(|_| !own)
        .and_then(|a| NodeAddress::parse(a).ok())
    {
        Some(address) => format!("{}{path}", address.as_str()),
        None => format!("{base}{path}"),
    }
}

/// The buttons under a product's order box: "Tanya lewat WhatsApp" when the
/// selling center publishes a number (`whatsapp`), "Bagikan", and "Salin
/// tautan" (added by the script, where the browser has a clipboard). `link` is the product's absolute address.
pub(in crate::web) fn product_buttons(
    lang: Lang,
    row: &ListingRow,
    whatsapp: Option<&str>,
    link: &str,
) -> Markup {
    let ask = whatsapp.map(|number| wa_link(Some(number), &ask_text(row, link)));
    buttons(
        lang,
        ask,
        row.listing.title.get(lang),
        &share_text(lang, row),
        link,
    )
}

/// The buttons of a center's page: ask the center on WhatsApp (when it
/// publishes a number) and share the page. `link` is the page's absolute address.
pub(in crate::web) fn center_buttons(lang: Lang, profile: &Profile, link: &str) -> Markup {
    let ask = profile.whatsapp.as_deref().map(|number| {
        wa_link(
            Some(number),
            &format!(
                "Halo {}, saya mau tanya tentang produk Anda.\n{link}",
                profile.name
            ),
        )
    });
    let text = format!("{} ({})", profile.name, profile.region);
    buttons(lang, ask, &profile.name, &text, link)
}

/// The buttons; `text` is what a share says before `link` (the share sheet
/// takes the two apart, a WhatsApp message has the link on its own line).
fn buttons(lang: Lang, ask: Option<String>, title: &str, text: &str, link: &str) -> Markup {
    let w = words(lang);
    let share = wa_link(None, &format!("{text}\n{link}"));
    html! {
        p.share style="display:flex;flex-wrap:wrap;gap:.5rem" {
            @if let Some(ask) = ask {
                a.button.whatsapp href=(ask) target="_blank" rel="noopener" { (w.ask) }
            }
            a.button.share href=(share) target="_blank" rel="noopener"
                data-share-title=(title) data-share-text=(text) data-share-url=(link)
                data-copy=(w.copy) data-copied=(w.copied) { (w.share) }
        }
        script src=(SCRIPT_PATH) defer {}
    }
}

/// `GET /bagikan.js`.
pub(in crate::web) async fn script() -> Response {
    let mut response = SCRIPT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(SCRIPT_CACHE_CONTROL),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wa_links_encode_the_whole_text() {
        let link = wa_link(Some("+6281200000001"), "Kopi & teh? #1 100%\nhttp://x/?a=1");
        assert_eq!(
            link,
            "https://wa.me/6281200000001?text=Kopi%20%26%20teh%3F%20%231%20100%25%0Ahttp%3A%2F%2Fx%2F%3Fa%3D1"
        );
        assert!(wa_link(None, "x").starts_with("https://wa.me/?text="));
    }

    #[test]
    fn center_urls_go_to_the_centers_own_node() {
        use rand::SeedableRng;
        let center =
            telecenter_protocol::Identity::generate(&mut rand::rngs::StdRng::seed_from_u64(1))
                .center_id();
        assert_eq!(
            center_url("http://here:1", false, Some("http://there:2"), &center),
            format!("http://there:2/pusat/{center}")
        );
        assert_eq!(
            center_url("http://here:1", true, Some("http://there:2"), &center),
            format!("http://here:1/pusat/{center}")
        );
        assert_eq!(
            center_url("http://here:1", false, Some("ftp://bad"), &center),
            format!("http://here:1/pusat/{center}")
        );
    }
}
