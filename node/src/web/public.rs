//! The public market pages: home, search, a listing, a center, how to order.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};
use telecenter_protocol::catalog::{Category, Lang, ListingStatus};
use telecenter_protocol::{CenterId, ListingId, Profile};

use super::i18n::{self, Texts};
use super::{
    PAGES_MAX, RESULTS_PER_PAGE, local_time, page, page_lang, page_with_head, respond, share,
};
use crate::money::format_rupiah;
use crate::node::NodeError;
use crate::search::{RawSearch, SearchQuery, Sort};
use crate::server::AppState;
use crate::store::{ListingRow, SearchPage};

type Params = Query<HashMap<String, String>>;

fn switch_href(path: &str, params: &HashMap<String, String>, t: &Texts) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "lang")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    pairs.sort();
    pairs.push(("lang".to_owned(), t.other_language_code.to_owned()));
    format!("{path}?{}", encode(&pairs))
}

fn encode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes a query component.
fn percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn listing_href(row: &ListingRow) -> String {
    format!("/produk/{}/{}", row.center_id, row.listing.id)
}

fn card(t: &Texts, lang: Lang, row: &ListingRow) -> Markup {
    let l = &row.listing;
    html! {
        li.card {
            @if let Some(photo) = l.photos.first() {
                a href=(listing_href(row)) tabindex="-1" aria-hidden="true" {
                    img.thumb src=(format!("/foto/{}", photo.thumb)) alt="" loading="lazy" width="320" height="240";
                }
            }
            h3 { a href=(listing_href(row)) { (l.title.get(lang)) } }
            p { span.price { (format_rupiah(l.price_idr)) } " " span.muted { (t.per) " " (l.unit) } }
            p.muted {
                (t.sold_by) ": " a href=(format!("/pusat/{}", row.center_id)) { (row.center_name) } " (" (row.center_region) ")"
                @if !l.producer.is_empty() { br; (t.producer) ": " (l.producer) }
            }
        }
    }
}

pub(super) fn cards(t: &Texts, lang: Lang, items: &[ListingRow]) -> Markup {
    html! { ul.cards { @for row in items { (card(t, lang, row)) } } }
}

fn search_box(t: &Texts, q: &str) -> Markup {
    html! {
        form.search action="/cari" method="get" role="search" {
            label.visually-hidden for="q" style="position:absolute;left:-9999px" { (t.search_label) }
            input #q type="search" name="q" value=(q) placeholder=(t.search_placeholder) aria-label=(t.search_label);
            button type="submit" { (t.search_button) }
        }
    }
}

/// The page language (from `?lang=`, the cookie or the browser), whether to
/// remember a `?lang=` choice, and the page words in that language.
pub(super) fn lang_of(
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> (Lang, bool, &'static Texts) {
    let (lang, remember) = page_lang(params.get("lang").map(String::as_str), headers);
    (lang, remember, i18n::texts(lang))
}

pub(super) fn failure(t: &Texts, lang: Lang, remember: bool, error: &NodeError) -> Response {
    tracing::error!(%error, "page failed");
    let body = html! { h1 { "500" } p { (t.not_found_text) } };
    respond(
        StatusCode::INTERNAL_SERVER_ERROR,
        lang,
        remember,
        page(t, "500", &format!("/?lang={}", t.other_language_code), body),
    )
}

/// `GET /`.
pub(super) async fn home(
    State(state): State<AppState>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    let (lang, remember, t) = lang_of(&params, &headers);
    let newest = state
        .run(|node| {
            node.search(&SearchQuery {
                sort: Sort::Newest,
                limit: 8,
                ..SearchQuery::default()
            })
        })
        .await;
    let newest = match newest {
        Ok(page) => page,
        Err(error) => return failure(t, lang, remember, &error),
    };
    let body = html! {
        h1 { (t.search_label) }
        (search_box(t, ""))
        h2 { (t.categories) }
        ul.cats {
            @for category in Category::ALL {
                li { a href=(format!("/cari?kategori={}", category.slug())) { (category.label(lang)) } }
            }
        }
        h2 { (t.newest) }
        (cards(t, lang, &newest.items))
        p { a.button href="/cara-pesan" { (t.how_to_order) } }
    };
    respond(
        StatusCode::OK,
        lang,
        remember,
        page(t, t.market, &switch_href("/", &params, t), body),
    )
}

/// `GET /cari?q=&kategori=&pusat=&min=&maks=&urut=&hal=`.
pub(super) async fn search(
    State(state): State<AppState>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    let (lang, remember, t) = lang_of(&params, &headers);
    let get = |key: &str| {
        params
            .get(key)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (q, kategori, pusat, min, maks, urut) = (
        get("q"),
        get("kategori"),
        get("pusat"),
        get("min"),
        get("maks"),
        get("urut"),
    );
    let page_number: u32 = get("hal").parse().unwrap_or(1).clamp(1, PAGES_MAX);
    let sort = match urut.as_str() {
        "terbaru" => "newest",
        "termurah" => "price_asc",
        "termahal" => "price_desc",
        _ => "relevance",
    };
    let raw = RawSearch {
        q: Some(q.clone()).filter(|v| !v.is_empty()),
        category: Some(kategori.clone()).filter(|v| !v.is_empty()),
        center: Some(pusat.clone()).filter(|v| !v.is_empty()),
        min_price: Some(min.clone()).filter(|v| !v.is_empty()),
        max_price: Some(maks.clone()).filter(|v| !v.is_empty()),
        limit: Some(RESULTS_PER_PAGE.to_string()),
        offset: Some(((page_number - 1) * RESULTS_PER_PAGE).to_string()),
        lang: Some(lang.code().to_owned()),
        sort: Some(sort.to_owned()),
        status: None,
    };
    let (status, problem, query) = match raw.validate() {
        Ok(query) => (StatusCode::OK, None, Some(query)),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Some(i18n::input_error(lang, e.field, e.code)),
            None,
        ),
    };
    let results = state
        .run(move |node| {
            let centers = node.centers()?;
            let page = match &query {
                Some(query) => node.search_public(query)?,
                None => SearchPage::default(),
            };
            Ok((centers, page))
        })
        .await;
    let (centers, results) = match results {
        Ok(found) => found,
        Err(error) => return failure(t, lang, remember, &error),
    };
    let pages = u32::try_from(results.total.div_ceil(u64::from(RESULTS_PER_PAGE)))
        .unwrap_or(PAGES_MAX)
        .clamp(1, PAGES_MAX);
    let href_for = |n: u32| {
        let mut pairs: Vec<(String, String)> = [
            ("q", &q),
            ("kategori", &kategori),
            ("pusat", &pusat),
            ("min", &min),
            ("maks", &maks),
            ("urut", &urut),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
        pairs.push(("hal".to_owned(), n.to_string()));
        format!("/cari?{}", encode(&pairs))
    };
    let title = if q.is_empty() {
        t.search_label.to_owned()
    } else {
        let shown: String = q.chars().take(60).collect();
        format!("{} \u{201c}{shown}\u{201d}", t.search_label)
    };
    let body = html! {
        h1 { (title) }
        (search_box(t, &q))
        @if let Some(problem) = &problem {
            div.error role="alert" { strong { (t.input_problem) } p { (problem) } }
        }
        @let filtering = !kategori.is_empty() || !pusat.is_empty() || !min.is_empty() || !maks.is_empty() || !urut.is_empty() || problem.is_some();
        details.filters-box open[filtering] {
            summary { (t.filter_sort) }
            form.filters action="/cari" method="get" {
                input type="hidden" name="q" value=(q);
                div {
                    label for="kategori" { (t.filter_category) }
                    select #kategori name="kategori" {
                        option value="" { (t.all_categories) }
                        @for category in Category::ALL {
                            option value=(category.slug()) selected[kategori == category.slug()] { (category.label(lang)) }
                        }
                    }
                }
                div {
                    label for="pusat" { (t.filter_center) }
                    select #pusat name="pusat" {
                        option value="" { (t.all_centers) }
                        @for center in &centers {
                            option value=(center.center.to_string()) selected[pusat == center.center.to_string()] { (center.name) " — " (center.region) }
                        }
                    }
                }
                div { label for="min" { (t.min_price) } input #min name="min" inputmode="numeric" value=(min); }
                div { label for="maks" { (t.max_price) } input #maks name="maks" inputmode="numeric" value=(maks); }
                div {
                    label for="urut" { (t.sort) }
                    select #urut name="urut" {
                        @for (value, label) in ["relevansi", "terbaru", "termurah", "termahal"].iter().zip(t.sort_options) {
                            option value=(value) selected[urut == *value || (urut.is_empty() && *value == "relevansi")] { (label) }
                        }
                    }
                }
                div { button type="submit" { (t.apply) } }
            }
        }
        @if problem.is_none() {
            p aria-live="polite" { strong { ((t.found)(results.total)) } }
            @if let Some(corrected) = &results.hints.corrected {
                p.did-you-mean { (t.did_you_mean) " " a href=(search_href(corrected, &kategori)) { strong { (corrected) } } }
            }
            @if results.items.is_empty() {
                p { (t.nothing_found) }
                @if !results.hints.suggestions.is_empty() {
                    p.suggestions { (t.try_words) " "
                        @for (n, word) in results.hints.suggestions.iter().enumerate() {
                            @if n > 0 { ", " }
                            a href=(search_href(word, "")) { (word) }
                        }
                    }
                }
                @if !q.is_empty() {
                    p.suggestions { (t.browse_categories) " "
                        @for (n, category) in Category::ALL.iter().enumerate() {
                            @if n > 0 { ", " }
                            a href=(format!("/cari?kategori={}", category.slug())) { (category.label(lang)) }
                        }
                    }
                }
            }
            @if page_number > pages && results.total > 0 {
                p { a.button href=(href_for(pages)) rel="prev" { "‹ " ((t.page_of)(pages, pages)) } }
            }
            (cards(t, lang, &results.items))
            @if pages > 1 {
                nav.pager aria-label=((t.page_of)(page_number, pages)) {
                    @if page_number > 1 { a.button href=(href_for(page_number - 1)) rel="prev" { "‹ " (t.previous) } }
                    span { ((t.page_of)(page_number, pages)) }
                    @if page_number < pages { a.button href=(href_for(page_number + 1)) rel="next" { (t.next) " ›" } }
                }
            }
        }
    };
    let markup = page(t, &title, &switch_href("/cari", &params, t), body);
    respond(status, lang, remember, markup)
}

/// The search page for `q`, keeping a chosen category.
fn search_href(q: &str, kategori: &str) -> String {
    let mut pairs = vec![("q".to_owned(), q.to_owned())];
    if !kategori.is_empty() {
        pairs.push(("kategori".to_owned(), kategori.to_owned()));
    }
    format!("/cari?{}", encode(&pairs))
}

/// Any unknown address: a JSON error under `/api/`, a page elsewhere.
pub(crate) async fn fallback(uri: axum::http::Uri, headers: HeaderMap) -> Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        return crate::server::ApiError::NotFound(crate::server::NO_SUCH_ADDRESS.to_owned())
            .into_response();
    }
    let query_lang = uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="));
    let (lang, _) = page_lang(query_lang, &headers);
    not_found(i18n::texts(lang), lang, false)
}

/// The page for a body the node could not read (axum's rejection of a form,
/// an upload or a declared length), with that rejection's `status`.
pub(crate) fn unreadable(status: StatusCode, headers: &HeaderMap) -> Response {
    let (lang, _) = page_lang(None, headers);
    let t = i18n::texts(lang);
    let body = html! {
        h1 { (t.input_problem) }
        p.error { (t.unreadable_text) }
        p { a.button href="/" { (t.back_home) } }
    };
    let page = page(
        t,
        t.input_problem,
        &format!("/?lang={}", t.other_language_code),
        body,
    );
    respond(status, lang, false, page)
}

pub(super) fn not_found(t: &Texts, lang: Lang, remember: bool) -> Response {
    let body = html! {
        h1 { (t.not_found) }
        p { (t.not_found_text) }
        p { a.button href="/" { (t.back_home) } }
    };
    respond(
        StatusCode::NOT_FOUND,
        lang,
        remember,
        page(
            t,
            t.not_found,
            &format!("/?lang={}", t.other_language_code),
            body,
        ),
    )
}

fn center_facts(t: &Texts, profile: &Profile) -> Markup {
    html! {
        dl.facts {
            dt { (t.region) } dd { (profile.region) }
            @if !profile.contact.is_empty() { dt { (t.contact) } dd { (profile.contact) } }
        }
    }
}

/// `GET /produk/{center}/{id}`.
pub(super) async fn listing(
    State(state): State<AppState>,
    Path((center, id)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    let (lang, remember, t) = lang_of(&params, &headers);
    let (Ok(center), Ok(id)) = (center.parse::<CenterId>(), id.parse::<ListingId>()) else {
        return not_found(t, lang, remember);
    };
    let own = state.node.center_id();
    let found = state
        .run(move |node| {
            let row = match node.listing(&center, &id) {
                Ok(row) => row,
                Err(NodeError::UnknownListing { .. }) => return Ok(None),
                Err(e) => return Err(e),
            };
            let own_address = node.center(&own)?.and_then(|p| p.address);
            Ok(Some((row, node.center(&center)?, own_address)))
        })
        .await;
    let (row, profile, own_address) = match found {
        Ok(Some((row, profile, own_address))) if row.listing.status == ListingStatus::Active => {
            (row, profile, own_address)
        }
        Ok(_) => return not_found(t, lang, remember),
        Err(error) => return failure(t, lang, remember, &error),
    };
    let l = &row.listing;
    let title = l.title.get(lang).to_owned();
    // Staff of this center may order another center's product for a buyer; the
    // link is all they see extra here (buyer details stay on operator pages).
    let staff_order = row.center_id != own && super::operator::signed_in(&state, &headers);
    let base = share::base_for(&state, &headers, own_address.as_deref());
    let seller_address = profile.as_ref().and_then(|p| p.address.as_deref());
    let canonical = share::canonical_url(&base, row.center_id == own, seller_address, &row);
    let body = html! {
        p.muted { a href=(format!("/cari?kategori={}", l.category.slug())) { (l.category.label(lang)) } }
        h1 { (title) }
        @for photo in &l.photos {
            img.photo src=(format!("/foto/{}", photo.medium)) alt=(title) loading="lazy" width="960" height="720";
        }
        p { span.price { (format_rupiah(l.price_idr)) } " " span.muted { (t.per) " " (l.unit) } }
        dl.facts {
            dt { (t.stock) } dd { @if l.stock > 0 { (l.stock) " " (l.unit) } @else { (t.out_of_stock) } }
            @if !l.producer.is_empty() { dt { (t.producer) } dd { a href=(super::producer_page::listing_href(&row.center_id, l)) { (super::producer_page::label(&l.producer, &l.producer_village)) } } }
            dt { (t.sold_by) } dd { a href=(format!("/pusat/{}", row.center_id)) { (row.center_name) } " (" (row.center_region) ")" }
            dt { (t.updated) } dd { (local_time(lang, l.updated_at_ms)) }
        }
        @let description = l.description.get(lang);
        @if !description.is_empty() {
            h2 { (t.description) }
            @for paragraph in description.split("\n\n") { p { (paragraph) } }
        }
        div.order {
            (super::request::order_box(t, lang, &row, html! {
                @if let Some(profile) = &profile { (center_facts(t, profile)) }
                p { a href="/cara-pesan" { (t.how_to_order) } }
                @if staff_order {
                    p { a.button href=(format!("/operator/pesan?produk={}/{}", row.center_id, l.id)) { (t.order_for_buyer) } }
                }
            }))
        }
        (share::whatsapp::product_buttons(lang, &row, profile.as_ref().and_then(|p| p.whatsapp.as_deref()), &canonical))
        p.muted { @if row.center_id == own { (t.from_this_center) } @else { (t.from_other_center) } }
    };
    let path = format!("/produk/{}/{}", row.center_id, l.id);
    let head = share::product_head(t, lang, &row, &base, &canonical);
    let mut response = respond(
        StatusCode::OK,
        lang,
        remember,
        page_with_head(t, &title, &switch_href(&path, &params, t), head, body),
    );
    if staff_order {
        // This copy carries a staff link: no cache may keep it for anyone else.
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("private, no-store"),
        );
    }
    response
}

/// `GET /pusat/{center}`.
pub(super) async fn center(
    State(state): State<AppState>,
    Path(center): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    let (lang, remember, t) = lang_of(&params, &headers);
    let Ok(center) = center.parse::<CenterId>() else {
        return not_found(t, lang, remember);
    };
    let own = state.node.center_id();
    let found = state
        .run(move |node| {
            let Some(profile) = node.center(&center)? else {
                return Ok(None);
            };
            let own_address = node.center(&own)?.and_then(|p| p.address);
            let page = node.search(&SearchQuery {
                center: Some(center),
                sort: Sort::Newest,
                limit: 100,
                ..SearchQuery::default()
            })?;
            Ok(Some((profile, page, own_address)))
        })
        .await;
    let (profile, listings, own_address) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(t, lang, remember),
        Err(error) => return failure(t, lang, remember, &error),
    };
    let base = share::base_for(&state, &headers, own_address.as_deref());
    let own_page = profile.center == own;
    let link =
        share::whatsapp::center_url(&base, own_page, profile.address.as_deref(), &profile.center);
    let body = html! {
        h1 { (profile.name) }
        (center_facts(t, &profile))
        (share::whatsapp::center_buttons(lang, &profile, &link))
        h2 { (t.products_of) " " (profile.name) }
        p { ((t.found)(listings.total)) }
        (cards(t, lang, &listings.items))
    };
    let path = format!("/pusat/{}", profile.center);
    respond(
        StatusCode::OK,
        lang,
        remember,
        page(t, &profile.name, &switch_href(&path, &params, t), body),
    )
}

/// `GET /cara-pesan`.
pub(super) async fn how_to_order(Query(params): Params, headers: HeaderMap) -> Response {
    let (lang, remember, t) = lang_of(&params, &headers);
    let body = html! {
        h1 { (t.how_to_order) }
        ol { @for step in t.order_steps { li { p { (step) } } } }
        p { a.button href="/" { (t.back_home) } }
    };
    respond(
        StatusCode::OK,
        lang,
        remember,
        page(
            t,
            t.how_to_order,
            &switch_href("/cara-pesan", &params, t),
            body,
        ),
    )
}

/// `GET /foto/{hash}`: a stored image that a listing held here names (others,
/// such as a photo kept across a form error, are 404); a named one not held
/// is fetched from the peers (checked against its hash) and kept. Anyone
/// may ask, so fetches are bounded (see [`crate::sync::fetch_image_from_peers`]):
/// when all fetch slots are taken the answer is 503 without fetching. Images
/// never change, so browsers may keep them for a year.
pub(super) async fn photo(State(state): State<AppState>, Path(hash): Path<String>) -> Response {
    use axum::response::IntoResponse;
    let wanted = hash.clone();
    // Only images a listing held here names are served: a photo kept across an
    // operator's form error is stored before any listing names it.
    let held = state
        .run(move |node| Ok((node.image(&wanted)?, node.image_is_named(&wanted)?)))
        .await;
    let mut found = match held {
        Ok((Some(_), false)) => return StatusCode::NOT_FOUND.into_response(),
        Ok((found, _)) => found,
        Err(_) => None,
    };
    if found.is_none() && telecenter_protocol::catalog::is_image_hash(&hash) {
        match crate::sync::fetch_image_from_peers(&state.node, &hash).await {
            Ok(fetched) => found = fetched,
            Err(_) => {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(axum::http::header::RETRY_AFTER, "5")],
                )
                    .into_response();
            }
        }
    }
    match found {
        Some(bytes) => crate::server::reply::image_response(bytes),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
