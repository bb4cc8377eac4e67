//! The web pages, rendered on the node itself with maud (no JavaScript build;
//! pages work with JavaScript off): the public market (`/`, `/cari`,
//! `/produk/...`, `/pusat/...`, `/cara-pesan`) in Bahasa Indonesia with an
//! English switch, and what search engines read (`/sitemap.xml`, `/robots.txt`,
//! link previews: [`share`]). Every string comes from [`i18n`]; times are shown
//! in the center's zone (WIB, UTC+7), stored and sent as UTC.

pub(crate) mod here;
pub mod i18n;
pub mod operator;
mod producer_page;
mod public;
mod request;
mod share;

pub(crate) use public::{fallback, unreadable};

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use telecenter_protocol::catalog::Lang;

use crate::server::AppState;
use i18n::Texts;

/// Results per search page.
pub const RESULTS_PER_PAGE: u32 = 20;
/// Deepest search page.
pub const PAGES_MAX: u32 = 500;

/// The page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(public::home))
        .route("/cari", get(public::search))
        .route("/produk/{center}/{id}", get(public::listing))
        .route(
            "/produk/{center}/{id}/pesan",
            post(request::submit).layer(axum::extract::DefaultBodyLimit::max(
                telecenter_protocol::limits::REQUEST_FORM_BYTES_MAX,
            )),
        )
        .route("/pesanan/{code}", get(request::status))
        .route("/pusat/{center}", get(public::center))
        .route("/produsen/{center}/{key}", get(producer_page::producer))
        .route("/cara-pesan", get(public::how_to_order))
        .route("/sitemap.xml", get(share::sitemap))
        .route("/robots.txt", get(share::robots))
        .route(share::whatsapp::SCRIPT_PATH, get(share::whatsapp::script))
        .route("/operator", get(operator::dashboard))
        .route(
            "/operator/masuk",
            get(operator::login_form).post(operator::login),
        )
        .route("/operator/keluar", post(operator::logout))
        .route(
            "/operator/produk/baru",
            get(operator::new_listing_form)
                .post(operator::create_listing)
                .layer(upload_limit()),
        )
        .route(
            "/operator/produk/impor",
            get(operator::import_form)
                .post(operator::import_preview)
                .layer(operator::sheet_upload_limit()),
        )
        .route(
            "/operator/produk/impor/simpan",
            post(operator::import_apply),
        )
        .route(
            "/operator/produk/ekspor.csv",
            get(operator::export_csv_file),
        )
        .route(
            "/operator/produk/ekspor.xlsx",
            get(operator::export_xlsx_file),
        )
        .route(
            "/operator/produk/{id}",
            get(operator::edit_listing_form)
                .post(operator::update_listing)
                .layer(upload_limit()),
        )
        .route("/foto/{hash}", get(public::photo))
        .route(
            "/operator/produk/{id}/hapus",
            post(operator::remove_listing),
        )
        .route(
            "/operator/profil",
            get(operator::profile_form).post(operator::save_profile),
        )
        .route("/operator/jaringan", get(operator::network))
        .route("/operator/kartu", get(operator::card))
        .route(operator::card::SCRIPT_PATH, get(operator::card::script))
        .route(
            "/operator/sandi",
            get(operator::password_form).post(operator::change_password),
        )
        .route("/operator/jaringan/peer", post(operator::add_peer))
        .route("/operator/jaringan/kepercayaan", post(operator::decide))
        .route("/operator/jaringan/sinkron", post(operator::sync_now))
        .route("/operator/pesanan", get(operator::orders_list))
        .route("/operator/permintaan-pembeli", get(operator::requests_list))
        .route(
            "/operator/permintaan-pembeli/{code}",
            get(operator::request_show),
        )
        .route(
            "/operator/permintaan-pembeli/{code}/jual",
            post(operator::request_sell),
        )
        .route(
            "/operator/permintaan-pembeli/{code}/tolak",
            post(operator::request_decline),
        )
        .route("/operator/pesanan/kirim", post(operator::deliver_now))
        .route(
            "/operator/pesanan/{id}",
            get(operator::order_page).post(operator::order_step),
        )
        .route(
            "/operator/pesan",
            get(operator::place_form).post(operator::place_order),
        )
        .route("/operator/biaya", get(operator::fee_report))
        .route("/operator/biaya.csv", get(operator::fee_csv))
        .route("/operator/biaya.xlsx", get(operator::fee_xlsx))
        .route(
            "/operator/produsen",
            get(operator::producers_page).post(operator::add_producer),
        )
        .route(
            "/operator/produsen/{id}",
            get(operator::producer_page).post(operator::edit_producer),
        )
        .route(
            "/operator/produsen/{id}/produk",
            post(operator::link_listing),
        )
        .route(
            "/operator/produsen/{id}/bayar",
            post(operator::record_payout),
        )
        .route(
            "/operator/produsen/{id}/laporan.csv",
            get(operator::statement_download),
        )
        .route(
            "/operator/produsen/{id}/laporan.xlsx",
            get(operator::statement_xlsx),
        )
        .route("/operator/penjualan", get(operator::sales_page))
        .route("/operator/penjualan.csv", get(operator::sales_download))
        .route("/operator/penjualan.xlsx", get(operator::sales_xlsx))
        .route("/operator/permintaan", get(operator::demand_page))
        .route("/operator/permintaan.csv", get(operator::demand_csv))
        .route(
            "/operator/biaya/setoran",
            get(operator::settlements).post(operator::record_payment),
        )
        .route(
            "/operator/biaya/setoran/{id}",
            post(operator::answer_payment),
        )
        .route("/operator/biaya/pusat/{center}", get(operator::statement))
        .route(
            "/operator/biaya/pusat/{center}/{file}",
            get(operator::statement_file),
        )
}

/// Forms with a photo may carry one upload plus their text fields.
fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(
        telecenter_protocol::limits::PHOTO_UPLOAD_BYTES_MAX + 64 * 1024,
    )
}

/// Small, readable on a 360-px screen, large touch targets, visible focus.
const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1b;background:#fbfaf7}
a{color:#0b5e3a}
header,main,footer{max-width:60rem;margin:0 auto;padding:0 1rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;padding-top:.75rem;padding-bottom:.75rem;border-bottom:3px solid #0b5e3a}
.brand{font-size:1.3rem;font-weight:700;text-decoration:none}
nav a{display:inline-block;padding:.5rem .25rem;margin-left:.5rem}
.badge{display:inline-block;min-width:1.5em;padding:0 .4em;border-radius:1em;background:#b3261e;color:#fff;font-weight:700;text-align:center}
h1{font-size:1.5rem;line-height:1.25}
h2{font-size:1.2rem}
form.search{display:flex;gap:.5rem;flex-wrap:wrap}
input,select,button,textarea{font:inherit;min-height:2.75rem;padding:.4rem .6rem;border:1px solid #8a8a80;border-radius:.4rem;background:#fff}
input[type=search]{flex:1 1 14rem}
button,.button{background:#0b5e3a;color:#fff;border:0;padding:.5rem 1.1rem;border-radius:.4rem;text-decoration:none;display:inline-block;cursor:pointer}
:focus-visible{outline:3px solid #e0a100;outline-offset:2px}
label{display:block;font-weight:600;margin-top:.5rem}
.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:0 1rem;align-items:end;margin:1rem 0}
.filters button{margin-top:.75rem}
.filters input,.filters select{width:100%}
details.filters-box{margin:1rem 0}
details.filters-box summary{cursor:pointer;font-weight:600;padding:.6rem 0;min-height:2.75rem}
ul.cards{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem}
.card{background:#fff;border:1px solid #ddd9cc;border-radius:.5rem;padding:.75rem 1rem}
.card h3{margin:.1rem 0 .3rem;font-size:1.05rem}
img.thumb{display:block;width:100%;height:auto;aspect-ratio:4/3;object-fit:cover;border-radius:.3rem;background:#eee}
img.photo{display:block;width:100%;max-width:36rem;height:auto;border-radius:.4rem;margin:.5rem 0}
.price{font-weight:700;font-size:1.15rem;color:#7a3b00}
.muted{color:#5c5c55;font-size:.92rem}
.cats{display:flex;flex-wrap:wrap;gap:.5rem;padding:0;list-style:none}
.cats a{display:inline-block;padding:.55rem .9rem;border:1px solid #0b5e3a;border-radius:2rem;text-decoration:none}
.error{border:2px solid #b3261e;background:#fdecea;padding:.5rem 1rem;border-radius:.4rem}
.pager{display:flex;gap:1rem;align-items:center;flex-wrap:wrap;margin:1.5rem 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;min-width:0;overflow-wrap:anywhere}
.order{background:#eef6f0;border-left:4px solid #0b5e3a;padding:.5rem 1rem;margin:1rem 0}
footer{margin-top:2rem;padding-top:1rem;padding-bottom:2rem;border-top:1px solid #ddd9cc}
table.rows{width:100%;border-collapse:collapse;margin:.5rem 0 1rem;background:#fff}
table.rows th,table.rows td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #ddd9cc;vertical-align:top}
table.rows .num{text-align:right;white-space:nowrap}
@media (max-width:40rem){table.rows thead{display:none}table.rows,table.rows tbody,table.rows tr,table.rows td{display:block;width:100%}table.rows tr{border:1px solid #ddd9cc;border-radius:.5rem;margin:.6rem 0;padding:.3rem .75rem}table.rows td{display:flex;justify-content:space-between;gap:1rem;border:0;padding:.25rem 0;text-align:right}table.rows td::before{content:attr(data-label);font-weight:600;color:#5c5c55;text-align:left}}
.code{font-family:ui-monospace,Consolas,monospace}
.tag{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.9rem;background:#e8e4d8;white-space:nowrap}
.tag.wait{background:#fff1c2}.tag.go{background:#dbe9f7}.tag.ok{background:#d3ecdc}.tag.bad{background:#f8d7d4}
.problem{color:#b3261e}
.steps{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:1rem;margin:.5rem 0 1rem}
form.step{background:#fff;border:1px solid #ddd9cc;border-radius:.5rem;padding:.5rem 1rem .75rem}
form.step input{width:100%;margin-bottom:.5rem}
button.danger{background:#b3261e}
.hint{border:2px dashed #8a8a80;border-radius:.5rem;padding:.25rem 1rem;margin:1.5rem 0}
.inline-form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:.5rem 0}
.inline-form label{margin:0}
.legend{display:flex;justify-content:space-between;font-size:.9rem;color:#5c5c55;margin:.5rem 0 0}
ul.chart{list-style:none;padding:0;margin:.25rem 0 1rem}
ul.chart li{margin:.75rem 0}
ul.chart .label{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 1rem}
ul.chart .track{display:grid;grid-template-columns:1fr 1fr;height:1.25rem;background:#efece3;border-radius:.3rem;margin:.2rem 0}
ul.chart .left{display:flex;justify-content:flex-end;border-right:2px solid #1d1d1b}
.bar-neg,.bar-pos{display:block;height:100%}
.bar-neg{background:#b3261e;border-radius:.3rem 0 0 .3rem}
.bar-pos{background:#0b5e3a;border-radius:0 .3rem .3rem 0}
.neg{color:#b3261e}.pos{color:#0b5e3a}
a.small{display:inline-block;padding:.3rem 0;font-size:.95rem}
select{max-width:100%}
label.choice{display:flex;align-items:center;gap:.6rem;font-weight:400}
label.choice input{min-height:0;width:1.3rem;height:1.3rem;margin:0;flex:none}
dl.facts.stack{grid-template-columns:minmax(9rem,max-content) 1fr}
.here{margin:0;flex:1 1 12rem}
input[type=file]{max-width:100%;width:100%;font-size:.95rem}
img.thumb-small{width:4.5rem;height:auto;aspect-ratio:4/3;object-fit:cover;border-radius:.3rem;float:right;margin:0 0 .3rem .6rem}
.field-error{color:#b3261e;font-weight:600;margin:.2rem 0}
@media (max-width:30rem){dl.facts.stack{grid-template-columns:1fr;gap:0}dl.facts.stack dd{margin-bottom:.5rem}}
"#;

/// The page language: `?lang=` if given (and then remembered in a cookie), else
/// the cookie, else Indonesian.
pub(crate) fn page_lang(query_lang: Option<&str>, headers: &HeaderMap) -> (Lang, bool) {
    if let Some(lang) = query_lang.and_then(|l| l.parse::<Lang>().ok()) {
        return (lang, true);
    }
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix("lang="))
        .find_map(|l| l.parse::<Lang>().ok());
    (from_cookie.unwrap_or(Lang::Id), false)
}

/// A rendered page with its status, cache policy and (if the language was just
/// chosen) the cookie that remembers it.
pub(crate) fn respond(status: StatusCode, lang: Lang, remember: bool, markup: Markup) -> Response {
    let mut response = (status, markup).into_response();
    let headers = response.headers_mut();
    // Public pages change when catalogs sync: let browsers reuse them briefly.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=30"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
    if remember && let Ok(value) = HeaderValue::from_str(&lang_cookie(lang)) {
        headers.insert(header::SET_COOKIE, value);
    }
    response
}

/// The `Set-Cookie` value that remembers `lang` for a year.
pub(crate) fn lang_cookie(lang: Lang) -> String {
    format!(
        "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    )
}

/// The page frame: header with the market name, where you are (this center on
/// public pages, the center logged into on operator pages: [`here`]), ordering
/// guide and language switch; the content; a footer.
pub(crate) fn page(t: &Texts, title: &str, switch_href: &str, content: Markup) -> Markup {
    page_with_head(t, title, switch_href, html! {}, content)
}

/// [`page`] with more in its `<head>` (link previews, structured data).
pub(crate) fn page_with_head(
    t: &Texts,
    title: &str,
    switch_href: &str,
    head: Markup,
    content: Markup,
) -> Markup {
    let here = here::current();
    let operator = here.as_ref().is_some_and(here::Here::operator);
    let center = here.as_ref().and_then(|h| h.center.clone());
    let other = if t.html_lang == "en" {
        Lang::Id
    } else {
        Lang::En
    };
    // Operator pages read the language from the cookie: their switch is this
    // same page with `?lang=`, which the `here` layer remembers.
    let switch_href = match here.as_ref().filter(|_| operator) {
        Some(h) => h
            .switch_href(other)
            .unwrap_or_else(|| format!("/operator?lang={}", other.code())),
        None => switch_href.to_owned(),
    };
    html! {
        (DOCTYPE)
        html lang=(t.html_lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t.market) }
                style { (PreEscaped(CSS)) }
                (head)
            }
            body {
                header {
                    a.brand href="/" { (t.market) }
                    @if let Some(center) = &center {
                        p.here {
                            (if operator { t.signed_in_to } else { t.you_are_at }) " "
                            strong { (center.name) } " (" (center.region) ")"
                        }
                    }
                    nav {
                        a href="/cara-pesan" { (t.how_to_order) }
                        a href=(switch_href) lang=(t.other_language_code) hreflang=(t.other_language_code) { (t.other_language) }
                    }
                }
                main { (content) }
                footer { p.muted { (t.footer) } }
            }
        }
    }
}

/// A time for people: `23 Nov 2026 08.19 WIB` (see [`crate::clock::local_time_with`]).
pub fn local_time(lang: Lang, ms: i64) -> String {
    let separator = if lang == Lang::En { ':' } else { '.' };
    crate::clock::local_time_with(ms, |month| i18n::month(lang, month), separator)
}

#[cfg(test)]
mod tests;
