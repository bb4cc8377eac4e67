//! The center card page (`/operator/kartu`): this center's name, region, full
//! id (selectable, with a copy button) and node address, as the short
//! "kartu pusat" text another operator pastes on their network page, and as a
//! QR code of that text (SVG drawn by the `qrcode` crate). Also serves
//! `/salin.js`, the small script behind the copy buttons.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use telecenter_protocol::card::CenterCard;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::limits::CARD_LINES_MAX;

use super::{html_page, i18n, internal, operator_nav, page};
use crate::node::{Node, NodeError};
use crate::server::AppState;
use crate::web::i18n::center::center_words;
use crate::web::operator::OperatorPage;

/// Where the copy script is served.
pub(crate) const SCRIPT_PATH: &str = "/salin.js";
const SCRIPT: &str = include_str!("salin.js");

/// This center's card, from its profile.
pub(crate) fn own_card(node: &Node) -> Result<CenterCard, NodeError> {
    let profile = node.profile()?;
    Ok(CenterCard {
        name: profile.name,
        region: profile.region,
        id: node.center_id(),
        // A stored address was checked when it was set; one that no longer
        // reads is left off the card rather than failing the page.
        address: profile
            .address
            .as_deref()
            .and_then(|a| telecenter_protocol::address::NodeAddress::parse(a).ok()),
    })
}

/// `text` as a QR code, an inline `<svg>` (no XML declaration); `None` if the
/// text does not fit a QR code (a card always does).
fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build();
    let start = image.find("<svg")?;
    Some(image[start..].to_owned())
}

fn card_page(lang: Lang, csrf: &str, card: &CenterCard) -> Markup {
    let (t, c) = (i18n::texts(lang), center_words(lang));
    let text = card.to_text();
    let w = super::words(lang);
    html! {
        (operator_nav(t, csrf))
        h1 { (c.card) }
        p { (c.card_intro) }
        dl.facts.stack {
            dt { (w.name) } dd #kartu-nama { (card.name) }
            dt { (w.region) } dd #kartu-wilayah { (card.region) }
            dt { (c.full_id) }
            dd {
                code #id-pusat style="user-select:all;word-break:break-all" { (card.id) }
                " "
                button #salin-id type="button" hidden data-salin="id-pusat" data-tersalin=(c.copied) { (c.copy_id) }
            }
            dt { (c.address) }
            dd #kartu-alamat { @match &card.address { Some(a) => (a.as_str()), None => "—" } }
        }
        @if card.address.is_none() { p.error role="status" { (c.no_address) } }
        h2 { label for="kartu-teks" { (c.card_text) } }
        textarea #kartu-teks readonly rows=(CARD_LINES_MAX.min(6)) style="width:100%;font-family:monospace" { (text) }
        p { button #salin-kartu type="button" hidden data-salin="kartu-teks" data-tersalin=(c.copied) { (c.copy_card) } }
        h2 { (c.card_qr) }
        @if let Some(svg) = qr_svg(&text) {
            figure #kartu-qr role="img" aria-label=(c.card_qr) style="max-width:300px" {
                (PreEscaped(svg))
            }
        }
        script src=(SCRIPT_PATH) defer {}
    }
}

/// `GET /operator/kartu`.
pub(crate) async fn card(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
) -> Response {
    match state.run(own_card).await {
        Ok(card) => html_page(
            StatusCode::OK,
            page(
                i18n::texts(lang),
                center_words(lang).card,
                "/operator",
                card_page(lang, &csrf, &card),
            ),
        ),
        Err(error) => internal(lang, &error),
    }
}

/// `GET /salin.js`.
pub(crate) async fn script() -> Response {
    let mut response = SCRIPT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
