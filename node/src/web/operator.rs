//! The operator's pages behind a login: listings (add, edit, hide, remove), the
//! center profile, peers and sync status, trust and blocklist; orders between
//! centers and fee accounting live in [`orders`].
//!
//! One operator password per node, set with `telecenter password` and stored as
//! an argon2 hash in the data folder. A login makes a session: a random token in
//! an `HttpOnly; SameSite=Strict` cookie, valid for 12 hours, kept in memory (a
//! restart logs the operator out). Every form carries the session's CSRF token
//! and every POST checks it; a POST without a session is sent to the login page
//! before its body is read ([`require_session`]). Wrong passwords are limited per
//! client address with back-off (`login.rs`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rand::RngCore;
use rand::rngs::OsRng;
use telecenter_protocol::catalog::Photo;
use telecenter_protocol::catalog::{Category, Lang, ListingStatus};
use telecenter_protocol::limits::PHOTO_UPLOAD_BYTES_MAX;
use telecenter_protocol::validate::{InvalidInput, ListingPatch, NewListing, ProfileInput};
use telecenter_protocol::{CenterId, ListingId};

use super::i18n::{self, Texts};
use super::{local_time, node_call, page, page_lang};
use crate::api::format_rupiah;
use crate::http::AppState;
use crate::node::{Node, NodeError};
use crate::search::{SearchQuery, Sort, parse_rupiah};
use crate::store::ListingRow;

/// How long a login lasts, in ms.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;
/// Shortest operator password, in characters.
pub const PASSWORD_CHARS_MIN: usize = 8;
/// Longest operator password, in characters.
pub const PASSWORD_CHARS_MAX: usize = 200;
const SESSION_COOKIE: &str = "tc_sesi";

mod login;
mod orders;

pub use login::{
    BACKOFF_MAX_MS, CHECK_WAIT_MS, FREE_FAILURES, FREE_FAILURES_PER_NETWORK, VERIFICATIONS_AT_ONCE,
};
pub(super) use login::{login, login_form, logout};
pub(super) use orders::{
    answer_payment, deliver_now, fee_csv, fee_report, order_page, order_step, orders_list,
    place_form, place_order, record_payment, settlements, statement,
};

struct Session {
    csrf: String,
    expires_ms: i64,
}

/// Sessions and settings of the operator pages.
#[derive(Default)]
pub struct OperatorState {
    /// Where the password hash is kept; `None`: operator pages are off.
    pub password_file: Option<PathBuf>,
    sessions: Mutex<HashMap<String, Session>>,
    /// Wrong passwords per client address, and the password checks under way.
    login: login::LoginLimiter,
    /// Session cookies carry `Secure` (the node is reached over HTTPS).
    pub secure_cookies: bool,
}

impl OperatorState {
    /// Operator pages using the password hash in `password_file`.
    pub fn new(password_file: PathBuf) -> Self {
        Self {
            password_file: Some(password_file),
            ..Self::default()
        }
    }

    /// The same, with `Secure` session cookies when `secure` (the node is
    /// reached over HTTPS: it serves TLS itself or its `public_url` is https).
    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }
}

/// Hashes a new operator password (argon2id, random salt).
pub fn hash_password(password: &str) -> Result<String, String> {
    let chars = password.chars().count();
    if !(PASSWORD_CHARS_MIN..=PASSWORD_CHARS_MAX).contains(&chars) {
        return Err(format!(
            "the password must have {PASSWORD_CHARS_MIN} to {PASSWORD_CHARS_MAX} characters, found {chars}"
        ));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_password(state: &OperatorState, password: &str) -> bool {
    let Some(path) = &state.password_file else {
        return false;
    };
    let Ok(stored) = std::fs::read_to_string(path) else {
        return false;
    };
    let Ok(hash) = PasswordHash::new(stored.trim()) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok()
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(&format!("{SESSION_COOKIE}="))
                .map(str::to_owned)
        })
}

/// The logged-in session's CSRF token, if the request carries a valid session.
fn session(state: &AppState, headers: &HeaderMap) -> Option<(String, String)> {
    let token = cookie_token(headers)?;
    let now = state.node.clock().now_ms();
    let mut sessions = state
        .operator
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    sessions.retain(|_, s| s.expires_ms > now);
    sessions
        .get(&token)
        .map(|s| (token.clone(), s.csrf.clone()))
}

/// Whether the request carries a live operator session: public pages use it to
/// add operator-only links (never operator data).
pub(super) fn signed_in(state: &AppState, headers: &HeaderMap) -> bool {
    session(state, headers).is_some()
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn html_page(status: StatusCode, markup: Markup) -> Response {
    no_store((status, markup).into_response())
}

fn to_login() -> Response {
    no_store(Redirect::to("/operator/masuk").into_response())
}

/// Sends a form post to an operator page without a live session to the login
/// page before its body (a photo upload may be 8 MiB) is read.
pub(crate) async fn require_session(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    let needs_session = request.method() == axum::http::Method::POST
        && path.starts_with("/operator/")
        && path != "/operator/masuk";
    if needs_session && session(&state, request.headers()).is_none() {
        return to_login();
    }
    next.run(request).await
}

fn lang(headers: &HeaderMap) -> Lang {
    page_lang(None, headers).0
}

fn operator_nav(t: &Texts, csrf: &str) -> Markup {
    let (listings, orders, fees, profile, network, logout) = if t.html_lang == "en" {
        (
            "My products",
            "Orders",
            "Fees",
            "Profile",
            "Network",
            "Log out",
        )
    } else {
        (
            "Produk saya",
            "Pesanan",
            "Biaya",
            "Profil",
            "Jaringan",
            "Keluar",
        )
    };
    html! {
        nav.pager aria-label="operator" {
            a href="/operator" { (listings) }
            a href="/operator/pesanan" { (orders) }
            a href="/operator/biaya" { (fees) }
            a href="/operator/profil" { (profile) }
            a href="/operator/jaringan" { (network) }
            form method="post" action="/operator/keluar" style="display:inline" {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { (logout) }
            }
        }
    }
}

fn words(lang: Lang) -> &'static OperatorWords {
    if lang == Lang::En {
        &EN_WORDS
    } else {
        &ID_WORDS
    }
}

/// Strings of the operator pages (the public ones live in `i18n`).
struct OperatorWords {
    login: &'static str,
    password: &'static str,
    wrong_password: &'static str,
    no_password: &'static str,
    too_many: &'static str,
    bad_form: &'static str,
    my_products: &'static str,
    add_product: &'static str,
    edit: &'static str,
    save: &'static str,
    title: &'static str,
    description: &'static str,
    category: &'static str,
    price: &'static str,
    stock: &'static str,
    unit: &'static str,
    producer: &'static str,
    status: &'static str,
    statuses: [&'static str; 2],
    remove: &'static str,
    remove_warning: &'static str,
    saved: &'static str,
    name: &'static str,
    region: &'static str,
    contact: &'static str,
    profile: &'static str,
    network: &'static str,
    peers: &'static str,
    add_peer: &'static str,
    peer_address: &'static str,
    last_sync: &'static str,
    never: &'static str,
    behind: &'static str,
    last_error: &'static str,
    sync_now: &'static str,
    trust: &'static str,
    block: &'static str,
    unblock: &'static str,
    center_id: &'static str,
    trusted_centers: &'static str,
    no_listings: &'static str,
    photo: &'static str,
    photo_hint: &'static str,
    remove_photo: &'static str,
}

static ID_WORDS: OperatorWords = OperatorWords {
    login: "Masuk petugas",
    password: "Kata sandi",
    wrong_password: "Kata sandi salah. Coba lagi.",
    no_password: "Belum ada kata sandi petugas. Buat dulu di komputer telecenter dengan perintah: telecenter password",
    too_many: "Terlalu banyak kata sandi salah dari alamat ini. Tunggu sebentar, lalu coba lagi.",
    bad_form: "Formulir sudah kedaluwarsa. Muat ulang halaman lalu coba lagi.",
    my_products: "Produk saya",
    add_product: "Tambah produk",
    edit: "Ubah",
    save: "Simpan",
    title: "Nama produk",
    description: "Keterangan",
    category: "Kategori",
    price: "Harga (Rp)",
    stock: "Stok",
    unit: "Satuan (misalnya bungkus, kg)",
    producer: "Pembuat (UMKM atau kelompok)",
    status: "Tampilkan ke pembeli?",
    statuses: ["Ya, dijual", "Tidak, sembunyikan"],
    remove: "Hapus produk",
    remove_warning: "Produk yang dihapus tidak bisa dikembalikan.",
    saved: "Tersimpan.",
    name: "Nama telecenter",
    region: "Wilayah (kabupaten/kota)",
    contact: "Kontak (telepon, WhatsApp, alamat)",
    profile: "Profil telecenter",
    network: "Jaringan telecenter",
    peers: "Telecenter yang terhubung",
    add_peer: "Hubungkan telecenter",
    peer_address: "Alamat (http://...)",
    last_sync: "Sinkron terakhir",
    never: "belum pernah",
    behind: "Tertinggal",
    last_error: "Galat terakhir",
    sync_now: "Sinkronkan sekarang",
    trust: "Percayai",
    block: "Blokir",
    unblock: "Buka blokir",
    center_id: "Id telecenter (tc1...)",
    trusted_centers: "Kepercayaan",
    no_listings: "Belum ada produk.",
    photo: "Foto produk",
    photo_hint: "JPEG, PNG atau WebP, paling besar 8 MB. Foto baru mengganti foto lama.",
    remove_photo: "Hapus foto",
};

static EN_WORDS: OperatorWords = OperatorWords {
    login: "Staff login",
    password: "Password",
    wrong_password: "Wrong password. Try again.",
    no_password: "No staff password yet. Set one on the telecenter computer with: telecenter password",
    too_many: "Too many wrong passwords from this address. Wait a little, then try again.",
    bad_form: "This form has expired. Reload the page and try again.",
    my_products: "My products",
    add_product: "Add a product",
    edit: "Edit",
    save: "Save",
    title: "Product name",
    description: "Description",
    category: "Category",
    price: "Price (Rp)",
    stock: "Stock",
    unit: "Unit (e.g. pack, kg)",
    producer: "Made by (UMKM or group)",
    status: "Show to buyers?",
    statuses: ["Yes, for sale", "No, hide it"],
    remove: "Remove product",
    remove_warning: "A removed product cannot be brought back.",
    saved: "Saved.",
    name: "Telecenter name",
    region: "Region (kabupaten/kota)",
    contact: "Contact (phone, WhatsApp, address)",
    profile: "Telecenter profile",
    network: "Telecenter network",
    peers: "Connected telecenters",
    add_peer: "Connect a telecenter",
    peer_address: "Address (http://...)",
    last_sync: "Last sync",
    never: "never",
    behind: "Behind by",
    last_error: "Last error",
    sync_now: "Sync now",
    trust: "Trust",
    block: "Block",
    unblock: "Unblock",
    center_id: "Telecenter id (tc1...)",
    trusted_centers: "Trust",
    no_listings: "No products yet.",
    photo: "Product photo",
    photo_hint: "JPEG, PNG or WebP, at most 8 MB. A new photo replaces the old one.",
    remove_photo: "Remove the photo",
};

/// A field problem in people's words.
fn field_error(lang: Lang, error: &InvalidInput) -> String {
    let w = words(lang);
    let field = match error.field {
        "title" => w.title,
        "description" => w.description,
        "category" => w.category,
        "price_idr" | "price" => w.price,
        "stock" => w.stock,
        "unit" => w.unit,
        "producer" => w.producer,
        "name" => w.name,
        "region" => w.region,
        "contact" => w.contact,
        "url" => w.peer_address,
        "center" => w.center_id,
        other => other,
    };
    match (lang, error.code) {
        (Lang::En, "empty") => format!("{field}: please fill this in."),
        (Lang::En, "too_long") => format!("{field}: too long. {}", error.message),
        (Lang::En, "negative") => format!("{field}: must be zero or more."),
        (Lang::En, "not_rupiah") => {
            format!("{field}: write whole rupiah with digits, like 15000 or 15.000.")
        }
        (Lang::En, "not_a_number") => format!("{field}: write a whole number, like 10."),
        (Lang::En, _) => format!("{field}: {}", error.message),
        (_, "empty") => format!("{field}: wajib diisi."),
        (_, "too_long") => format!("{field}: terlalu panjang."),
        (_, "too_large") => format!("{field}: terlalu besar."),
        (_, "negative") => format!("{field}: tidak boleh kurang dari nol."),
        (_, "not_rupiah") => {
            format!("{field}: tulis rupiah bulat dengan angka, misalnya 15000 atau 15.000.")
        }
        (_, "not_a_number") => format!("{field}: tulis angka bulat, misalnya 10."),
        (_, "control_character") => format!("{field}: ada karakter yang tidak boleh."),
        (_, "unknown") => format!("{field}: pilih salah satu pilihan."),
        (_, _) => format!("{field}: tidak sesuai ({}).", error.message),
    }
}

fn problem_box(t: &Texts, problem: &Option<String>) -> Markup {
    html! {
        @if let Some(problem) = problem {
            div.error role="alert" { strong { (t.input_problem) } p { (problem) } }
        }
    }
}

/// Most fields in one operator form.
const FORM_FIELDS_MAX: usize = 32;

/// Reads a multipart form: its text fields and the uploaded photo, if any.
async fn read_multipart(
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
    lang: Lang,
) -> Result<(HashMap<String, String>, Option<Vec<u8>>), String> {
    let too_large = || {
        if lang == Lang::En {
            format!(
                "The photo is too large (at most {} MB), or the form could not be read. Try again.",
                PHOTO_UPLOAD_BYTES_MAX / (1024 * 1024)
            )
        } else {
            format!(
                "Foto terlalu besar (paling besar {} MB), atau formulir tidak bisa dibaca. Coba lagi.",
                PHOTO_UPLOAD_BYTES_MAX / (1024 * 1024)
            )
        }
    };
    let mut multipart = multipart.map_err(|_| too_large())?;
    let mut fields = HashMap::new();
    let mut photo = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        if fields.len() >= FORM_FIELDS_MAX {
            return Err(too_large());
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            let bytes = field.bytes().await.map_err(|_| too_large())?;
            if !bytes.is_empty() {
                photo = Some(bytes.to_vec());
            }
        } else {
            let text = field.text().await.map_err(|_| too_large())?;
            fields.insert(name, text);
        }
    }
    Ok((fields, photo))
}

fn photo_error(lang: Lang, error: &crate::images::ImageError) -> String {
    use crate::images::ImageError as E;
    match (lang, error) {
        (Lang::En, E::NotAnImage | E::Empty) => {
            "Photo: the file is not a JPEG, PNG or WebP photo.".to_owned()
        }
        (Lang::En, E::TooLarge(_)) => "Photo: the file is too large (at most 8 MB).".to_owned(),
        (Lang::En, E::Busy) => {
            "Photo: the node is busy with other photos; send the form again in a moment.".to_owned()
        }
        (Lang::En, _) => "Photo: the picture cannot be read; try another file.".to_owned(),
        (_, E::NotAnImage | E::Empty) => {
            "Foto: berkas ini bukan foto JPEG, PNG atau WebP.".to_owned()
        }
        (_, E::TooLarge(_)) => "Foto: berkas terlalu besar (paling besar 8 MB).".to_owned(),
        (_, E::Busy) => {
            "Foto: server sedang mengolah foto lain; kirim formulir lagi sebentar lagi.".to_owned()
        }
        (_, _) => "Foto: gambar tidak bisa dibaca; coba berkas lain.".to_owned(),
    }
}

/// Lets a form through only with a live session and that session's CSRF token:
/// gives the token and the page language, or the response to send instead.
fn guard(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(String, Lang), Box<Response>> {
    let Some((_, csrf)) = session(state, headers) else {
        return Err(Box::new(to_login()));
    };
    let lang = lang(headers);
    if !csrf_ok(&csrf, form) {
        return Err(Box::new(expired(lang)));
    }
    Ok((csrf, lang))
}

fn csrf_ok(csrf: &str, form: &HashMap<String, String>) -> bool {
    form.get("csrf")
        .is_some_and(|given| crate::http::same_secret(given, csrf))
}

fn own_listings(node: &Node) -> Result<Vec<ListingRow>, NodeError> {
    Ok(node
        .search(&SearchQuery {
            center: Some(node.center_id()),
            statuses: vec![ListingStatus::Active, ListingStatus::Hidden],
            sort: Sort::Newest,
            limit: 100,
            ..SearchQuery::default()
        })?
        .items)
}

/// `GET /operator`.
pub(super) async fn dashboard(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let (t, w) = (i18n::texts(lang), words(lang));
    let listings = match node_call(&state, own_listings).await {
        Ok(listings) => listings,
        Err(error) => return internal(lang, &error),
    };
    let body = html! {
        (operator_nav(t, &csrf))
        h1 { (w.my_products) }
        p { a.button href="/operator/produk/baru" { (w.add_product) } }
        @if listings.is_empty() { p { (w.no_listings) } }
        ul.cards {
            @for row in &listings {
                @let l = &row.listing;
                li.card {
                    h3 { (l.title.id) }
                    p { span.price { (format_rupiah(l.price_idr)) } " " span.muted { (t.per) " " (l.unit) } }
                    p.muted { (t.stock) ": " (l.stock) " · " (if l.status == ListingStatus::Hidden { w.statuses[1] } else { w.statuses[0] }) }
                    p { a href=(format!("/operator/produk/{}", l.id)) { (w.edit) } }
                }
            }
        }
    };
    html_page(StatusCode::OK, page(t, w.my_products, "/operator", body))
}

fn internal(lang: Lang, error: &NodeError) -> Response {
    tracing::error!(%error, "operator page failed");
    let t = i18n::texts(lang);
    html_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        page(t, "500", "/", html! { h1 { "500" } }),
    )
}

/// The values of the listing form, as typed.
#[derive(Default)]
struct ListingForm {
    title: String,
    description: String,
    category: String,
    price: String,
    stock: String,
    unit: String,
    producer: String,
    status: String,
}

impl ListingForm {
    fn from_map(form: &HashMap<String, String>) -> Self {
        let get = |k: &str| form.get(k).cloned().unwrap_or_default();
        Self {
            title: get("title"),
            description: get("description"),
            category: get("category"),
            price: get("price"),
            stock: get("stock"),
            unit: get("unit"),
            producer: get("producer"),
            status: get("status"),
        }
    }

    fn from_row(row: &ListingRow) -> Self {
        let l = &row.listing;
        Self {
            title: l.title.id.clone(),
            description: l.description.id.clone(),
            category: l.category.slug().to_owned(),
            price: l.price_idr.to_string(),
            stock: l.stock.to_string(),
            unit: l.unit.clone(),
            producer: l.producer.clone(),
            status: l.status.word().to_owned(),
        }
    }

    fn numbers(&self) -> Result<(i64, i64), InvalidInput> {
        let price = parse_rupiah("price_idr", &self.price)?;
        let stock = self.stock.trim().parse::<i64>().map_err(|_| InvalidInput {
            field: "stock",
            code: "not_a_number",
            message: format!("stock must be a whole number, found '{}'", self.stock),
        })?;
        Ok((price, stock))
    }
}

fn listing_form(
    lang: Lang,
    csrf: &str,
    action: &str,
    values: &ListingForm,
    editing: bool,
) -> Markup {
    let w = words(lang);
    html! {
        form method="post" action=(action) enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(csrf);
            label for="title" { (w.title) }
            input #title name="title" value=(values.title) required maxlength="120";
            label for="category" { (w.category) }
            select #category name="category" required {
                @for category in Category::ALL {
                    option value=(category.slug()) selected[values.category == category.slug()] { (category.label(lang)) }
                }
            }
            label for="price" { (w.price) }
            input #price name="price" inputmode="numeric" value=(values.price) required;
            label for="stock" { (w.stock) }
            input #stock name="stock" inputmode="numeric" value=(values.stock) required;
            label for="unit" { (w.unit) }
            input #unit name="unit" value=(values.unit) maxlength="24";
            label for="producer" { (w.producer) }
            input #producer name="producer" value=(values.producer) maxlength="120";
            label for="description" { (w.description) }
            textarea #description name="description" rows="5" maxlength="2000" { (values.description) }
            label for="photo" { (w.photo) }
            input #photo type="file" name="photo" accept="image/jpeg,image/png,image/webp";
            p.muted { (w.photo_hint) }
            @if editing {
                label { input type="checkbox" name="remove_photo" value="1"; " " (w.remove_photo) }
            }
            @if editing {
                fieldset {
                    legend { (w.status) }
                    label { input type="radio" name="status" value="active" checked[values.status != "hidden"]; " " (w.statuses[0]) }
                    label { input type="radio" name="status" value="hidden" checked[values.status == "hidden"]; " " (w.statuses[1]) }
                }
            }
            p { button type="submit" { (w.save) } }
        }
    }
}

/// `GET /operator/produk/baru`.
pub(super) async fn new_listing_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let (t, w) = (i18n::texts(lang), words(lang));
    let values = ListingForm {
        unit: "buah".to_owned(),
        stock: "1".to_owned(),
        ..ListingForm::default()
    };
    let body = html! {
        (operator_nav(t, &csrf))
        h1 { (w.add_product) }
        (listing_form(lang, &csrf, "/operator/produk/baru", &values, false))
    };
    html_page(StatusCode::OK, page(t, w.add_product, "/operator", body))
}

fn expired(lang: Lang) -> Response {
    let t = i18n::texts(lang);
    let w = words(lang);
    html_page(
        StatusCode::FORBIDDEN,
        page(
            t,
            w.bad_form,
            "/operator",
            html! { div.error role="alert" { p { (w.bad_form) } } },
        ),
    )
}

/// `POST /operator/produk/baru`.
pub(super) async fn create_listing(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let (form, upload) = match read_multipart(multipart, lang).await {
        Ok(read) => read,
        Err(problem) => {
            return form_problem(
                lang,
                &csrf,
                "/operator/produk/baru",
                &ListingForm::default(),
                problem,
                false,
                None,
            );
        }
    };
    if !csrf_ok(&csrf, &form) {
        return expired(lang);
    }
    let values = ListingForm::from_map(&form);
    let numbers = match values.numbers() {
        Ok(numbers) => numbers,
        Err(e) => {
            return form_problem(
                lang,
                &csrf,
                "/operator/produk/baru",
                &values,
                field_error(lang, &e),
                false,
                None,
            );
        }
    };
    let (price_idr, stock) = numbers;
    let mut input = NewListing {
        title: values.title.clone(),
        description: values.description.clone(),
        lang: None,
        category: values.category.clone(),
        price_idr,
        stock,
        unit: Some(values.unit.clone()).filter(|u| !u.trim().is_empty()),
        producer: Some(values.producer.clone()),
        photos: Vec::new(),
    };
    // Check everything typed before keeping the photo, so a refused form stores nothing.
    if let Err(e) = input.validate() {
        return form_problem(
            lang,
            &csrf,
            "/operator/produk/baru",
            &values,
            field_error(lang, &e),
            false,
            None,
        );
    }
    input.photos = match store_upload(&state, upload).await {
        Ok(photo) => photo.into_iter().collect(),
        Err(problem) => {
            return form_problem(
                lang,
                &csrf,
                "/operator/produk/baru",
                &values,
                problem_text(lang, &problem),
                false,
                None,
            );
        }
    };
    match node_call(&state, move |node| node.add_listing(&input)).await {
        Ok(row) => no_store(
            Redirect::to(&format!("/operator/produk/{}?tersimpan=1", row.listing.id))
                .into_response(),
        ),
        Err(NodeError::Invalid(e)) => form_problem(
            lang,
            &csrf,
            "/operator/produk/baru",
            &values,
            field_error(lang, &e),
            false,
            None,
        ),
        Err(error) => internal(lang, &error),
    }
}

/// Stores an uploaded photo, if there is one.
async fn store_upload(
    state: &AppState,
    upload: Option<Vec<u8>>,
) -> Result<Option<Photo>, NodeError> {
    match upload {
        None => Ok(None),
        Some(bytes) => node_call(state, move |node| node.store_photo(&bytes))
            .await
            .map(Some),
    }
}

fn problem_text(lang: Lang, error: &NodeError) -> String {
    match error {
        NodeError::Image(e) => photo_error(lang, e),
        NodeError::Invalid(e) => field_error(lang, e),
        other => other.to_string(),
    }
}

/// The listing form again, with what was typed and what is wrong.
fn form_problem(
    lang: Lang,
    csrf: &str,
    action: &str,
    values: &ListingForm,
    problem: String,
    editing: bool,
    id: Option<&ListingId>,
) -> Response {
    let (t, w) = (i18n::texts(lang), words(lang));
    let body = match (editing, id) {
        (true, Some(id)) => edit_page(lang, csrf, id, values, Some(problem), false, None, &[]),
        _ => html! {
            (operator_nav(t, csrf))
            h1 { (w.add_product) }
            (problem_box(t, &Some(problem)))
            (listing_form(lang, csrf, action, values, false))
        },
    };
    html_page(
        StatusCode::BAD_REQUEST,
        page(t, w.add_product, "/operator", body),
    )
}

#[allow(clippy::too_many_arguments)] // each is one piece of the page
fn edit_page(
    lang: Lang,
    csrf: &str,
    id: &ListingId,
    values: &ListingForm,
    problem: Option<String>,
    saved: bool,
    updated: Option<i64>,
    photos: &[Photo],
) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let action = format!("/operator/produk/{id}");
    html! {
        (operator_nav(t, csrf))
        h1 { (w.edit) ": " (values.title) }
        @if saved { p.order role="status" { (w.saved) } }
        @if let Some(ms) = updated { p.muted { (t.updated) ": " (local_time(lang, ms)) } }
        @for photo in photos {
            img src=(format!("/foto/{}", photo.thumb)) alt=(values.title) width="160" style="height:auto;border-radius:.4rem";
        }
        (problem_box(t, &problem))
        (listing_form(lang, csrf, &action, values, true))
        form method="post" action=(format!("/operator/produk/{id}/hapus")) {
            input type="hidden" name="csrf" value=(csrf);
            p.muted { (w.remove_warning) }
            button type="submit" style="background:#b3261e" { (w.remove) }
        }
    }
}

/// `GET /operator/produk/{id}`.
pub(super) async fn edit_listing_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let Ok(id) = id.parse::<ListingId>() else {
        return not_found(lang);
    };
    let lookup = id.clone();
    let row = match node_call(&state, move |node| node.own_listing(&lookup)).await {
        Ok(row) if row.listing.status != ListingStatus::Removed => row,
        Ok(_) | Err(NodeError::NoSuchListing(_)) => return not_found(lang),
        Err(error) => return internal(lang, &error),
    };
    let values = ListingForm::from_row(&row);
    let t = i18n::texts(lang);
    let body = edit_page(
        lang,
        &csrf,
        &id,
        &values,
        None,
        query.contains_key("tersimpan"),
        Some(row.listing.updated_at_ms),
        &row.listing.photos,
    );
    html_page(StatusCode::OK, page(t, &values.title, "/operator", body))
}

fn not_found(lang: Lang) -> Response {
    let t = i18n::texts(lang);
    html_page(
        StatusCode::NOT_FOUND,
        page(
            t,
            t.not_found,
            "/operator",
            html! { h1 { (t.not_found) } p { a href="/operator" { (t.back_home) } } },
        ),
    )
}

/// `POST /operator/produk/{id}`.
pub(super) async fn update_listing(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let Ok(id) = id.parse::<ListingId>() else {
        return not_found(lang);
    };
    let action = format!("/operator/produk/{id}");
    let (form, upload) = match read_multipart(multipart, lang).await {
        Ok(read) => read,
        Err(problem) => {
            // Nothing typed could be read: show the listing as it is stored, so a
            // second save cannot blank its fields.
            let lookup = id.clone();
            let values = match node_call(&state, move |node| node.own_listing(&lookup)).await {
                Ok(row) => ListingForm::from_row(&row),
                Err(_) => return not_found(lang),
            };
            return form_problem(lang, &csrf, &action, &values, problem, true, Some(&id));
        }
    };
    if !csrf_ok(&csrf, &form) {
        return expired(lang);
    }
    let values = ListingForm::from_map(&form);
    let (price_idr, stock) = match values.numbers() {
        Ok(numbers) => numbers,
        Err(e) => {
            return form_problem(
                lang,
                &csrf,
                &action,
                &values,
                field_error(lang, &e),
                true,
                Some(&id),
            );
        }
    };
    let mut patch = ListingPatch {
        lang: None,
        title: Some(values.title.clone()),
        description: Some(values.description.clone()),
        category: Some(values.category.clone()),
        price_idr: Some(price_idr),
        stock: Some(stock),
        unit: Some(values.unit.clone()),
        producer: Some(values.producer.clone()),
        status: Some(
            if values.status == "hidden" {
                "hidden"
            } else {
                "active"
            }
            .to_owned(),
        ),
        photos: None,
    };
    // Check everything typed, and that the listing can still be changed, before
    // keeping a photo: a refused form stores nothing.
    if let Err(e) = patch.validate() {
        return form_problem(
            lang,
            &csrf,
            &action,
            &values,
            field_error(lang, &e),
            true,
            Some(&id),
        );
    }
    let lookup = id.clone();
    match node_call(&state, move |node| node.own_listing(&lookup)).await {
        Ok(row) if row.listing.status != ListingStatus::Removed => {}
        Ok(_) | Err(NodeError::NoSuchListing(_)) => return not_found(lang),
        Err(error) => return internal(lang, &error),
    }
    // A new upload replaces the photo; the checkbox removes it.
    patch.photos = match store_upload(&state, upload).await {
        Ok(Some(photo)) => Some(vec![photo]),
        Ok(None) if form.contains_key("remove_photo") => Some(Vec::new()),
        Ok(None) => None,
        Err(problem) => {
            return form_problem(
                lang,
                &csrf,
                &action,
                &values,
                problem_text(lang, &problem),
                true,
                Some(&id),
            );
        }
    };
    let target = id.clone();
    match node_call(&state, move |node| node.update_listing(&target, &patch)).await {
        Ok(_) => {
            no_store(Redirect::to(&format!("/operator/produk/{id}?tersimpan=1")).into_response())
        }
        Err(NodeError::Invalid(e)) => form_problem(
            lang,
            &csrf,
            &action,
            &values,
            field_error(lang, &e),
            true,
            Some(&id),
        ),
        Err(NodeError::NoSuchListing(_) | NodeError::Removed(_)) => not_found(lang),
        Err(error) => internal(lang, &error),
    }
}

/// `POST /operator/produk/{id}/hapus`.
pub(super) async fn remove_listing(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (_, lang) = match guard(&state, &headers, &form) {
        Ok(pass) => pass,
        Err(response) => return *response,
    };
    let Ok(id) = id.parse::<ListingId>() else {
        return not_found(lang);
    };
    match node_call(&state, move |node| node.remove_listing(&id)).await {
        Ok(_) => no_store(Redirect::to("/operator").into_response()),
        Err(NodeError::NoSuchListing(_) | NodeError::Removed(_)) => not_found(lang),
        Err(error) => internal(lang, &error),
    }
}

fn profile_page(
    lang: Lang,
    csrf: &str,
    values: &ProfileInput,
    problem: Option<String>,
    saved: bool,
) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let get = |v: &Option<String>| v.clone().unwrap_or_default();
    html! {
        (operator_nav(t, csrf))
        h1 { (w.profile) }
        @if saved { p.order role="status" { (w.saved) } }
        (problem_box(t, &problem))
        form method="post" action="/operator/profil" {
            input type="hidden" name="csrf" value=(csrf);
            label for="name" { (w.name) }
            input #name name="name" value=(get(&values.name)) required maxlength="100";
            label for="region" { (w.region) }
            input #region name="region" value=(get(&values.region)) required maxlength="100";
            label for="contact" { (w.contact) }
            input #contact name="contact" value=(get(&values.contact)) maxlength="200";
            p { button type="submit" { (w.save) } }
        }
    }
}

/// `GET /operator/profil`.
pub(super) async fn profile_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let profile = match node_call(&state, |node| node.profile()).await {
        Ok(profile) => profile,
        Err(error) => return internal(lang, &error),
    };
    let values = ProfileInput {
        name: Some(profile.name),
        region: Some(profile.region),
        contact: Some(profile.contact),
        ..Default::default()
    };
    let t = i18n::texts(lang);
    html_page(
        StatusCode::OK,
        page(
            t,
            words(lang).profile,
            "/operator",
            profile_page(lang, &csrf, &values, None, query.contains_key("tersimpan")),
        ),
    )
}

/// `POST /operator/profil`.
pub(super) async fn save_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (csrf, lang) = match guard(&state, &headers, &form) {
        Ok(pass) => pass,
        Err(response) => return *response,
    };
    let values = ProfileInput {
        name: form.get("name").cloned(),
        region: form.get("region").cloned(),
        contact: form.get("contact").cloned(),
        ..Default::default()
    };
    let input = values.clone();
    match node_call(&state, move |node| node.set_profile(&input)).await {
        Ok(_) | Err(NodeError::NoChange) => {
            no_store(Redirect::to("/operator/profil?tersimpan=1").into_response())
        }
        Err(NodeError::Invalid(e)) => {
            let t = i18n::texts(lang);
            html_page(
                StatusCode::BAD_REQUEST,
                page(
                    t,
                    words(lang).profile,
                    "/operator",
                    profile_page(lang, &csrf, &values, Some(field_error(lang, &e)), false),
                ),
            )
        }
        Err(error) => internal(lang, &error),
    }
}

fn network_page(
    node: &Node,
    lang: Lang,
    csrf: &str,
    problem: Option<String>,
    message: Option<String>,
) -> Result<Markup, NodeError> {
    let (t, w) = (i18n::texts(lang), words(lang));
    let peers = node.peers()?;
    let (decisions, accepted) = node.trust_state();
    let names = crate::api::CenterNames::load(node)?;
    let name_of = |c: &CenterId| names.of(c);
    let (held, held_total) = node.mailbox()?;
    let pick = |id: String, en: String| if lang == Lang::En { en } else { id };
    Ok(html! {
        (operator_nav(t, csrf))
        h1 { (w.network) }
        @if let Some(message) = message { p.order role="status" { (message) } }
        (problem_box(t, &problem))
        @if held_total.count > 0 {
            section.order aria-labelledby="titipan" {
                h2 #titipan { (pick("Pesan titipan".into(), "Mail carried for others".into())) }
                p {
                    (pick(
                        format!("Telecenter ini menyimpan {} pesan tertutup ({} KB) untuk diteruskan. Isinya tidak bisa dibaca di sini; pesan dihapus setelah diteruskan atau setelah 14 hari.", held_total.count, held_total.bytes.div_ceil(1024)),
                        format!("This telecenter holds {} sealed messages ({} KB) to pass on. They cannot be read here; each is deleted once passed on, or after 14 days.", held_total.count, held_total.bytes.div_ceil(1024))))
                }
                ul {
                    @for (recipient, count) in &held {
                        @let name = peers.iter().find(|p| p.center_id == *recipient).map_or_else(|| name_of(recipient), |p| p.name.clone());
                        li { (name) ": " (count) }
                    }
                }
            }
        }
        h2 { (w.peers) }
        ul.cards {
            @for peer in &peers {
                li.card {
                    h3 { (peer.name) }
                    p.muted { (peer.url.as_deref().unwrap_or("—")) }
                    dl.facts {
                        dt { (w.last_sync) } dd { @match peer.last_ok_ms { Some(ms) => (local_time(lang, ms)), None => (w.never) } }
                        dt { (w.behind) } dd { (peer.behind) }
                        @if let Some(error) = &peer.last_error { dt { (w.last_error) } dd { (error) } }
                    }
                }
            }
        }
        form method="post" action="/operator/jaringan/sinkron" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" { (w.sync_now) }
        }
        h2 { (w.add_peer) }
        form method="post" action="/operator/jaringan/peer" {
            input type="hidden" name="csrf" value=(csrf);
            label for="url" { (w.peer_address) }
            input #url name="url" type="url" required placeholder="http://203.0.113.7:8470";
            p { button type="submit" { (w.add_peer) } }
        }
        h2 { (w.trusted_centers) }
        ul {
            @for (center, depth) in &accepted {
                @if *depth > 0 { li { (name_of(center)) " — " (center.short()) " (" (depth) ")" } }
            }
            @for (center, state) in &decisions {
                @if *state == crate::store::TrustState::Blocked { li { strong { (w.block) ": " } (name_of(center)) " — " (center.short()) } }
            }
        }
        form method="post" action="/operator/jaringan/kepercayaan" {
            input type="hidden" name="csrf" value=(csrf);
            label for="center" { (w.center_id) }
            input #center name="center" required maxlength="70";
            p {
                button type="submit" name="action" value="trust" { (w.trust) } " "
                button type="submit" name="action" value="block" style="background:#b3261e" { (w.block) } " "
                button type="submit" name="action" value="unblock" { (w.unblock) }
            }
        }
    })
}

/// `GET /operator/jaringan`.
pub(super) async fn network(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    render_network(state, lang, csrf, StatusCode::OK, None, None).await
}

async fn network_after(
    state: AppState,
    lang: Lang,
    csrf: String,
    outcome: Result<String, String>,
) -> Response {
    let (status, problem, message) = match outcome {
        Ok(message) => (StatusCode::OK, None, Some(message)),
        Err(problem) => (StatusCode::BAD_REQUEST, Some(problem), None),
    };
    render_network(state, lang, csrf, status, problem, message).await
}

async fn render_network(
    state: AppState,
    lang: Lang,
    csrf: String,
    status: StatusCode,
    problem: Option<String>,
    message: Option<String>,
) -> Response {
    let t = i18n::texts(lang);
    match node_call(&state, move |node| {
        network_page(node, lang, &csrf, problem, message)
    })
    .await
    {
        Ok(markup) => html_page(status, page(t, words(lang).network, "/operator", markup)),
        Err(error) => internal(lang, &error),
    }
}

/// `POST /operator/jaringan/peer`.
pub(super) async fn add_peer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (csrf, lang) = match guard(&state, &headers, &form) {
        Ok(pass) => pass,
        Err(response) => return *response,
    };
    let url = form.get("url").cloned().unwrap_or_default();
    let engine = match state.engine() {
        Ok(engine) => engine,
        Err(error) => return internal(lang, &error),
    };
    let outcome = crate::sync::add_peer_by_url(&state.node, engine.client(), &url)
        .await
        .map(|info| format!("{} ({}) — {}", info.name, info.region, info.center_id))
        .map_err(|e| e.to_string());
    network_after(state, lang, csrf, outcome).await
}

/// `POST /operator/jaringan/kepercayaan`.
pub(super) async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (csrf, lang) = match guard(&state, &headers, &form) {
        Ok(pass) => pass,
        Err(response) => return *response,
    };
    let action = form.get("action").cloned().unwrap_or_default();
    let center = form.get("center").cloned().unwrap_or_default();
    let w = words(lang);
    let outcome = match center.trim().parse::<CenterId>() {
        Err(e) => Err(e.to_string()),
        Ok(center) => {
            type Decision = fn(&Node, &CenterId) -> Result<(), NodeError>;
            let (label, decision): (&str, Decision) = match action.as_str() {
                "block" => (w.block, Node::block),
                "unblock" => (w.unblock, Node::unblock),
                "trust" => (w.trust, Node::trust),
                _ => return network_after(state, lang, csrf, Err(w.bad_form.to_owned())).await,
            };
            node_call(&state, move |node| decision(node, &center))
                .await
                .map(|()| format!("{label}: {}", center.short()))
                .map_err(|e| match e {
                    NodeError::Invalid(e) => field_error(lang, &e),
                    other => other.to_string(),
                })
        }
    };
    network_after(state, lang, csrf, outcome).await
}

/// `POST /operator/jaringan/sinkron`.
pub(super) async fn sync_now(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (csrf, lang) = match guard(&state, &headers, &form) {
        Ok(pass) => pass,
        Err(response) => return *response,
    };
    let engine = match state.engine() {
        Ok(engine) => engine,
        Err(error) => return internal(lang, &error),
    };
    let outcome = engine
        .sync_all()
        .await
        .map(|reports| {
            reports
                .iter()
                .map(|r| match &r.error {
                    None => format!("{}: ok (+{}, ->{})", r.name, r.received, r.sent),
                    Some(e) => format!("{}: {e}", r.name),
                })
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .map_err(|e| e.to_string());
    network_after(state, lang, csrf, outcome).await
}

#[cfg(test)]
mod tests;
