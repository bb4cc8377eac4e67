//! The operator's pages for orders between centers and for fee accounting: the
//! order list with the outbox, one order with its history and the steps this
//! center may take now, the form that places an order for a buyer, the monthly
//! fee report (page and CSV) with a balance chart and the netting suggestion,
//! settlements, and the statement of one pair.
//!
//! Buyer names and phone numbers appear only on these pages, behind the
//! operator login; the public pages never show them. Every form carries the
//! session's CSRF token; a successful POST redirects (303) to a page that says
//! what happened, a refused one shows the page again with the problem in plain
//! words and changes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use telecenter_protocol::catalog::{Lang, ListingStatus, Profile};
use telecenter_protocol::limits::{ORDER_QUANTITY_MAX, REASON_CHARS_MAX, REFERENCE_CHARS_MAX};
use telecenter_protocol::order::{
    Action, Body, Collector, FeeTerms, OrderId, PayMethod, Role, Status, percent_text, transition,
};
use telecenter_protocol::validate::InvalidInput;
use telecenter_protocol::{CenterId, ListingId};

use super::{
    expired, field_error, guard, html_page, internal, lang, no_store, not_found, operator_nav,
    problem_box, session, to_login,
};
use crate::api::CenterNames as Names;
use crate::api::format_rupiah;
use crate::fees::{self, BalanceLine, FeeReport, Month, NettingView, ReportLine, Statement};
use crate::http::AppState;
use crate::node::{Node, NodeError, OrderDetail, PlaceOrder};
use crate::search::parse_rupiah;
use crate::store::{ListingRow, ORDER_STATUS_WORDS, OrderFilter, OrderRow, SettlementRow};
use crate::web::i18n::{self, Texts};
use crate::web::{local_time, node_call, page};

/// Most orders one list page shows (newest first).
const ORDERS_SHOWN_MAX: u32 = 200;

/// Strings of the order and fee pages.
struct OrderWords {
    orders: &'static str,
    order: &'static str,
    order_for_buyer: &'static str,
    all: &'static str,
    code: &'static str,
    status: &'static str,
    role: &'static str,
    counterpart: &'static str,
    goods: &'static str,
    quantity: &'static str,
    total: &'static str,
    we_buy: &'static str,
    we_sell: &'static str,
    no_orders: &'static str,
    how_to_order: &'static str,
    outbox: &'static str,
    outbox_empty: &'static str,
    send_now: &'static str,
    send_hint: &'static str,
    not_delivered: &'static str,
    attempts: &'static str,
    last_error: &'static str,
    refused_lead: &'static str,
    step_lost_lead: &'static str,
    details: &'static str,
    placed_at: &'static str,
    unit_price: &'static str,
    fee: &'static str,
    payment: &'static str,
    buyer: &'static str,
    buyer_name: &'static str,
    buyer_phone: &'static str,
    note: &'static str,
    private_hint: &'static str,
    producer: &'static str,
    history: &'static str,
    next_step: &'static str,
    no_steps: &'static str,
    reason: &'static str,
    reason_said: &'static str,
    not_saved: &'static str,
    seller_center: &'static str,
    buyer_center: &'static str,
    all_orders: &'static str,
    pay_at: &'static str,
    pay_here: &'static str,
    pay_seller: &'static str,
    method: &'static str,
    methods: [&'static str; 3],
    stock: &'static str,
    send_order: &'static str,
    product: &'static str,
    product_hint: &'static str,
    next: &'static str,
    find_products: &'static str,
    no_fee: &'static str,
    fee_paid_by: &'static str,
    no_address: &'static str,
    no_address_short: &'static str,
    network: &'static str,
    own_product: &'static str,
    not_for_sale: &'static str,
    product_unknown: &'static str,
    product_unreadable: &'static str,
    saved: &'static str,
    fees: &'static str,
    month: &'static str,
    show: &'static str,
    completed_orders: &'static str,
    gross: &'static str,
    earned: &'static str,
    owed: &'static str,
    net: &'static str,
    per_center: &'static str,
    per_producer: &'static str,
    definitions: &'static str,
    download_csv: &'static str,
    balances: &'static str,
    no_balances: &'static str,
    they_owe: &'static str,
    we_owe: &'static str,
    settled: &'static str,
    chart_legend: [&'static str; 2],
    netting: &'static str,
    suggestion_only: &'static str,
    netting_hint: &'static str,
    nothing_to_pay: &'static str,
    pays: &'static str,
    us: &'static str,
    settlements: &'static str,
    no_settlements: &'static str,
    record_payment: &'static str,
    record_hint: &'static str,
    payee: &'static str,
    choose: &'static str,
    amount: &'static str,
    reference: &'static str,
    save_payment: &'static str,
    confirm: &'static str,
    decline: &'static str,
    date: &'static str,
    direction: &'static str,
    we_paid: &'static str,
    we_received: &'static str,
    settle_statuses: [&'static str; 3],
    statement: &'static str,
    statement_with: &'static str,
    from_month: &'static str,
    to_month: &'static str,
    opening: &'static str,
    closing: &'static str,
    kind: &'static str,
    kinds: [&'static str; 4],
    balance: &'static str,
    statement_hint: &'static str,
    no_lines: &'static str,
    pay_this: &'static str,
    bad_month: &'static str,
}

static ID_WORDS: OrderWords = OrderWords {
    orders: "Pesanan",
    order: "Pesanan",
    order_for_buyer: "Pesan untuk pembeli",
    all: "Semua",
    code: "Kode",
    status: "Status",
    role: "Peran",
    counterpart: "Pusat lawan",
    goods: "Barang",
    quantity: "Jumlah",
    total: "Total",
    we_buy: "Kami membeli",
    we_sell: "Kami menjual",
    no_orders: "Belum ada pesanan.",
    how_to_order: "Untuk memesan barang dari telecenter lain: buka produknya di pasar, lalu tekan \"Pesan untuk pembeli\".",
    outbox: "Kotak keluar",
    outbox_empty: "Semua kabar pesanan sudah terkirim.",
    send_now: "Kirim sekarang",
    send_hint: "Kabar juga dikirim otomatis. Tombol ini sekaligus mengambil kabar terbaru dari telecenter lain.",
    not_delivered: "belum terkirim",
    attempts: "percobaan gagal",
    last_error: "galat terakhir",
    refused_lead: "Telecenter penjual menolak pesanan ini saat tiba. Buat pesanan baru bila perlu.",
    step_lost_lead: "Langkah kita tidak diterima telecenter lawan; pesanan mengikuti keputusan mereka.",
    details: "Rincian",
    placed_at: "Dipesan",
    unit_price: "Harga satuan",
    fee: "Biaya rujukan",
    payment: "Pembayaran",
    buyer: "Pembeli",
    buyer_name: "Nama pembeli",
    buyer_phone: "Nomor HP pembeli",
    note: "Catatan untuk penjual",
    private_hint: "Nama dan nomor HP pembeli hanya terlihat oleh petugas kedua telecenter, tidak di pasar.",
    producer: "Pembuat",
    history: "Riwayat",
    next_step: "Langkah berikutnya",
    no_steps: "Tidak ada langkah yang bisa dilakukan telecenter ini sekarang.",
    reason: "Alasan (wajib)",
    reason_said: "Alasan",
    not_saved: "Belum tersimpan — tidak ada yang berubah",
    seller_center: "Telecenter penjual",
    buyer_center: "Telecenter pemesan",
    all_orders: "Semua pesanan",
    pay_at: "Pembeli membayar di",
    pay_here: "Di telecenter ini",
    pay_seller: "Di telecenter penjual",
    method: "Cara bayar",
    methods: ["Tunai", "Transfer bank", "QRIS"],
    stock: "Stok",
    send_order: "Kirim pesanan",
    product: "Kode produk atau alamat halaman produk",
    product_hint: "Contoh: tc1q…/q3k9v2m7xa, atau tempel alamat halaman produk dari pasar.",
    next: "Lanjut",
    find_products: "Cari produk di pasar",
    no_fee: "tidak ada",
    fee_paid_by: "dibayar telecenter penjual kepada telecenter ini saat pesanan selesai",
    no_address: "Alamat node telecenter ini belum diketahui. Pesanan tersimpan di kotak keluar dan terkirim setelah kedua node terhubung.",
    no_address_short: "Alamat node telecenter ini belum diketahui; hubungkan dulu di halaman",
    network: "Jaringan",
    own_product: "Produk ini milik telecenter ini sendiri. Jual langsung di loket; tidak perlu pesanan antartelecenter.",
    not_for_sale: "Produk ini sedang tidak dijual.",
    product_unknown: "Produk ini tidak ada di pasar node ini (mungkin belum tersinkron atau sudah dihapus).",
    product_unreadable: "Kode produk tidak dikenali. Tempel alamat halaman produk, misalnya http://…/produk/tc1…/q3k9v2m7xa.",
    saved: "Tersimpan.",
    fees: "Biaya dan saldo",
    month: "Bulan",
    show: "Tampilkan",
    completed_orders: "Pesanan selesai",
    gross: "Penjualan kotor",
    earned: "Biaya diterima",
    owed: "Biaya dibayar",
    net: "Bersih",
    per_center: "Per telecenter",
    per_producer: "Per produsen",
    definitions: "Penjualan kotor: nilai barang produsen kita yang terjual lewat pesanan. Biaya diterima: biaya rujukan untuk pesanan yang kita bawa. Biaya dibayar: biaya rujukan yang kita bayar ke telecenter lain. Bersih = penjualan kotor + biaya diterima − biaya dibayar.",
    download_csv: "Unduh CSV",
    balances: "Saldo sekarang",
    no_balances: "Belum ada saldo dengan telecenter lain.",
    they_owe: "mereka berutang ke kita",
    we_owe: "kita berutang",
    settled: "lunas",
    chart_legend: ["← kita berutang", "mereka berutang ke kita →"],
    netting: "Saran penyelesaian",
    suggestion_only: "Saran saja — tidak ada yang dibayar atau dicatat.",
    netting_hint: "Dihitung dari saldo telecenter ini saja.",
    nothing_to_pay: "Tidak ada yang perlu dibayar.",
    pays: "membayar",
    us: "kita",
    settlements: "Setoran",
    no_settlements: "Belum ada setoran.",
    record_payment: "Catat pembayaran yang kita lakukan",
    record_hint: "Catat setelah uang dikirim. Saldo baru berubah setelah telecenter penerima mengonfirmasi uangnya sudah masuk.",
    payee: "Telecenter tujuan",
    choose: "Pilih…",
    amount: "Jumlah (Rp)",
    reference: "Referensi (nomor transfer atau catatan)",
    save_payment: "Catat pembayaran",
    confirm: "Konfirmasi uang sudah masuk",
    decline: "Tolak",
    date: "Tanggal",
    direction: "Arah",
    we_paid: "Kita membayar",
    we_received: "Kita menerima",
    settle_statuses: ["Menunggu konfirmasi", "Dikonfirmasi", "Ditolak"],
    statement: "Rekening",
    statement_with: "Rekening dengan",
    from_month: "Dari bulan",
    to_month: "Sampai bulan",
    opening: "Saldo awal",
    closing: "Saldo akhir",
    kind: "Jenis",
    kinds: ["Nilai barang", "Biaya rujukan", "Setoran", "Koreksi"],
    balance: "Saldo",
    statement_hint: "Tanda +: mereka berutang lebih banyak ke kita. Tanda −: kita berutang lebih banyak.",
    no_lines: "Tidak ada catatan pada masa ini.",
    pay_this: "Catat pembayaran",
    bad_month: "Bulan: tulis seperti 2026-11.",
};

static EN_WORDS: OrderWords = OrderWords {
    orders: "Orders",
    order: "Order",
    order_for_buyer: "Order for a buyer",
    all: "All",
    code: "Code",
    status: "Status",
    role: "Role",
    counterpart: "Other center",
    goods: "Goods",
    quantity: "Quantity",
    total: "Total",
    we_buy: "We buy",
    we_sell: "We sell",
    no_orders: "No orders yet.",
    how_to_order: "To order goods from another telecenter: open the product in the market and press \"Order for a buyer\".",
    outbox: "Outbox",
    outbox_empty: "All order news has been delivered.",
    send_now: "Send now",
    send_hint: "News is also sent automatically. This button also fetches the latest news from the other telecenters.",
    not_delivered: "not delivered yet",
    attempts: "failed attempts",
    last_error: "last error",
    refused_lead: "The selling telecenter refused this order when it arrived. Place a new one if needed.",
    step_lost_lead: "The other telecenter did not take our step; the order follows their decision.",
    details: "Details",
    placed_at: "Placed",
    unit_price: "Unit price",
    fee: "Referral fee",
    payment: "Payment",
    buyer: "Buyer",
    buyer_name: "Buyer's name",
    buyer_phone: "Buyer's phone",
    note: "Note for the seller",
    private_hint: "The buyer's name and phone are seen only by the staff of the two telecenters, never in the market.",
    producer: "Made by",
    history: "History",
    next_step: "Next step",
    no_steps: "There is no step this telecenter can take now.",
    reason: "Reason (required)",
    reason_said: "Reason",
    not_saved: "Not saved — nothing was changed",
    seller_center: "Selling telecenter",
    buyer_center: "Ordering telecenter",
    all_orders: "All orders",
    pay_at: "The buyer pays",
    pay_here: "At this telecenter",
    pay_seller: "At the selling telecenter",
    method: "How the buyer pays",
    methods: ["Cash", "Bank transfer", "QRIS"],
    stock: "In stock",
    send_order: "Send the order",
    product: "Product code or product page address",
    product_hint: "For example tc1q…/q3k9v2m7xa, or paste the address of the product page from the market.",
    next: "Next",
    find_products: "Find products in the market",
    no_fee: "none",
    fee_paid_by: "paid by the selling telecenter to this one when the order is completed",
    no_address: "This telecenter's node address is not known yet. The order waits in the outbox and goes out once the two nodes are connected.",
    no_address_short: "This telecenter's node address is not known; connect it first on the page",
    network: "Network",
    own_product: "This product is this telecenter's own. Sell it at the counter; no order between telecenters is needed.",
    not_for_sale: "This product is not for sale at the moment.",
    product_unknown: "This product is not in this node's market (not synced yet, or removed).",
    product_unreadable: "The product code is not recognised. Paste the product page address, e.g. http://…/produk/tc1…/q3k9v2m7xa.",
    saved: "Saved.",
    fees: "Fees and balances",
    month: "Month",
    show: "Show",
    completed_orders: "Completed orders",
    gross: "Gross sales",
    earned: "Fees earned",
    owed: "Fees owed",
    net: "Net",
    per_center: "Per telecenter",
    per_producer: "Per producer",
    definitions: "Gross sales: value of our producers' goods sold through orders. Fees earned: referral fees for orders we brought. Fees owed: referral fees we pay other telecenters. Net = gross sales + fees earned − fees owed.",
    download_csv: "Download CSV",
    balances: "Balances now",
    no_balances: "No balances with other telecenters yet.",
    they_owe: "they owe us",
    we_owe: "we owe",
    settled: "settled",
    chart_legend: ["← we owe", "they owe us →"],
    netting: "Settlement suggestion",
    suggestion_only: "A suggestion only — nothing is paid or recorded.",
    netting_hint: "Worked out from this telecenter's balances only.",
    nothing_to_pay: "Nothing needs paying.",
    pays: "pays",
    us: "us",
    settlements: "Settlements",
    no_settlements: "No settlements yet.",
    record_payment: "Record a payment we made",
    record_hint: "Record it after sending the money. The balance changes once the receiving telecenter confirms the money arrived.",
    payee: "Paid to",
    choose: "Choose…",
    amount: "Amount (Rp)",
    reference: "Reference (transfer number or a note)",
    save_payment: "Record the payment",
    confirm: "Confirm the money arrived",
    decline: "Decline",
    date: "Date",
    direction: "Direction",
    we_paid: "We paid",
    we_received: "We received",
    settle_statuses: ["Waiting for confirmation", "Confirmed", "Declined"],
    statement: "Statement",
    statement_with: "Statement with",
    from_month: "From month",
    to_month: "To month",
    opening: "Opening balance",
    closing: "Closing balance",
    kind: "Kind",
    kinds: ["Goods value", "Referral fee", "Settlement", "Correction"],
    balance: "Balance",
    statement_hint: "+ : they owe us more. − : we owe more.",
    no_lines: "Nothing recorded in this period.",
    pay_this: "Record a payment",
    bad_month: "Month: write it like 2026-11.",
};

fn words(lang: Lang) -> &'static OrderWords {
    if lang == Lang::En {
        &EN_WORDS
    } else {
        &ID_WORDS
    }
}

/// One of two texts by language.
fn pick<T>(lang: Lang, id: T, en: T) -> T {
    if lang == Lang::En { en } else { id }
}

/// An order's status for people; `refused` is a placement the seller turned
/// down when it arrived.
fn status_label(lang: Lang, word: &str) -> &'static str {
    match (lang, word) {
        (Lang::En, "placed") => "Waiting for decision",
        (Lang::En, "accepted") => "Accepted",
        (Lang::En, "rejected") => "Rejected",
        (Lang::En, "shipped") => "Shipped",
        (Lang::En, "completed") => "Completed",
        (Lang::En, "cancelled") => "Cancelled",
        (Lang::En, _) => "Refused on arrival",
        (_, "placed") => "Menunggu keputusan",
        (_, "accepted") => "Diterima",
        (_, "rejected") => "Ditolak",
        (_, "shipped") => "Dikirim",
        (_, "completed") => "Selesai",
        (_, "cancelled") => "Dibatalkan",
        (_, _) => "Ditolak saat tiba",
    }
}

/// The plain-words lead of an order's stored problem (whose details the node
/// library writes in English).
fn problem_lead(lang: Lang, row: &OrderRow) -> &'static str {
    let w = words(lang);
    if row.refused {
        w.refused_lead
    } else {
        w.step_lost_lead
    }
}

/// The colour class of a status tag.
fn status_class(word: &str) -> &'static str {
    match word {
        "placed" => "tag wait",
        "accepted" | "shipped" => "tag go",
        "completed" => "tag ok",
        _ => "tag bad",
    }
}

/// What a step did, for the history.
fn step_done(lang: Lang, action: Action) -> &'static str {
    match (lang, action) {
        (Lang::En, Action::Place) => "Placed",
        (Lang::En, Action::Accept) => "Accepted",
        (Lang::En, Action::Reject) => "Rejected",
        (Lang::En, Action::Ship) => "Shipped",
        (Lang::En, Action::Complete) => "Completed",
        (Lang::En, Action::Cancel) => "Cancelled",
        (_, Action::Place) => "Dipesan",
        (_, Action::Accept) => "Diterima",
        (_, Action::Reject) => "Ditolak",
        (_, Action::Ship) => "Dikirim",
        (_, Action::Complete) => "Selesai",
        (_, Action::Cancel) => "Dibatalkan",
    }
}

/// The button that takes a step.
fn step_button(lang: Lang, action: Action) -> &'static str {
    match (lang, action) {
        (Lang::En, Action::Accept) => "Accept the order",
        (Lang::En, Action::Reject) => "Reject the order",
        (Lang::En, Action::Ship) => "Mark as shipped",
        (Lang::En, Action::Complete) => "Mark as completed",
        (Lang::En, _) => "Cancel the order",
        (_, Action::Accept) => "Terima pesanan",
        (_, Action::Reject) => "Tolak pesanan",
        (_, Action::Ship) => "Tandai sudah dikirim",
        (_, Action::Complete) => "Tandai selesai",
        (_, _) => "Batalkan pesanan",
    }
}

fn role_label(lang: Lang, role: Role) -> &'static str {
    let w = words(lang);
    match role {
        Role::Buyer => w.we_buy,
        Role::Seller => w.we_sell,
    }
}

fn method_label(lang: Lang, method: PayMethod) -> &'static str {
    let w = words(lang);
    match method {
        PayMethod::Cash => w.methods[0],
        PayMethod::Transfer => w.methods[1],
        PayMethod::Qris => w.methods[2],
    }
}

/// Fee terms for people: `3 % dari total, paling sedikit Rp 1.000`.
fn fee_terms_text(lang: Lang, fee: &FeeTerms) -> String {
    if fee.referral_bp == 0 && fee.min_idr == 0 {
        return words(lang).no_fee.to_owned();
    }
    let percent = percent_text(fee.referral_bp);
    match (lang, fee.min_idr) {
        (Lang::En, 0) => format!("{percent} % of the total"),
        (Lang::En, min) => format!("{percent} % of the total, at least {}", format_rupiah(min)),
        (_, 0) => format!("{percent} % dari total"),
        (_, min) => format!(
            "{percent} % dari total, paling sedikit {}",
            format_rupiah(min)
        ),
    }
}

/// A balance for people: who owes whom how much.
fn balance_text(lang: Lang, balance: i64) -> String {
    let w = words(lang);
    match balance.signum() {
        1 => format!("{} — {}", format_rupiah(balance), w.they_owe),
        -1 => format!("{} — {}", format_rupiah(-balance), w.we_owe),
        _ => w.settled.to_owned(),
    }
}

/// A signed amount: `+Rp 1.350`, `-Rp 45.000`.
fn signed_rupiah(amount: i64) -> String {
    if amount > 0 {
        format!("+{}", format_rupiah(amount))
    } else {
        format_rupiah(amount)
    }
}

fn month_name(lang: Lang, month: Month) -> String {
    const ID_MONTHS: [&str; 12] = [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ];
    const EN_MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let index = usize::from(month.month.clamp(1, 12) - 1);
    format!(
        "{} {}",
        pick(lang, ID_MONTHS[index], EN_MONTHS[index]),
        month.year
    )
}

/// `Okt 2026`: short enough for two of them on one line of a phone.
fn short_month(lang: Lang, month: Month) -> String {
    format!("{} {}", i18n::month(lang, month.month), month.year)
}

/// Why a POST was refused; nothing was changed.
fn refusal_box(lang: Lang, problem: &Option<String>) -> Markup {
    html! {
        @if let Some(problem) = problem {
            div.error role="alert" { strong { (words(lang).not_saved) } p { (problem) } }
        }
    }
}

/// A 303 to `to`, not cached.
fn see_other(to: &str) -> Response {
    no_store(Redirect::to(to).into_response())
}

/// The frame of every page here.
fn frame(lang: Lang, status: StatusCode, title: &str, body: Markup) -> Response {
    html_page(status, page(i18n::texts(lang), title, "/operator", body))
}

/// The problem text of an input error on these forms.
fn input_problem(lang: Lang, error: &InvalidInput) -> String {
    let field = match (lang, error.field) {
        (Lang::En, "quantity") => "Quantity",
        (Lang::En, "buyer_name") => "Buyer's name",
        (Lang::En, "buyer_phone") => "Buyer's phone",
        (Lang::En, "note") => "Note",
        (Lang::En, "reason") => "Reason",
        (Lang::En, "reference") => "Reference",
        (Lang::En, "amount_idr") => "Amount",
        (Lang::En, "payee") => "Paid to",
        (_, "quantity") => "Jumlah",
        (_, "buyer_name") => "Nama pembeli",
        (_, "buyer_phone") => "Nomor HP pembeli",
        (_, "note") => "Catatan",
        (_, "reason") => "Alasan",
        (_, "reference") => "Referensi",
        (_, "amount_idr") => "Jumlah",
        (_, "payee") => "Telecenter tujuan",
        _ => return field_error(lang, error),
    };
    match (lang, error.field, error.code) {
        (Lang::En, "quantity", _) => {
            format!("{field}: write a whole number from 1 to {ORDER_QUANTITY_MAX}.")
        }
        (_, "quantity", _) => format!("{field}: tulis angka bulat 1 sampai {ORDER_QUANTITY_MAX}."),
        (Lang::En, "buyer_phone", "empty") => format!("{field}: at least 6 digits."),
        (_, "buyer_phone", "empty") => format!("{field}: paling sedikit 6 angka."),
        (Lang::En, "buyer_phone", "not_a_phone_number") => {
            format!("{field}: digits, spaces, + and - only.")
        }
        (_, "buyer_phone", "not_a_phone_number") => {
            format!("{field}: hanya angka, spasi, + dan -.")
        }
        (Lang::En, "amount_idr", "out_of_range") => {
            format!("{field}: at least Rp 1, written like 43.650.")
        }
        (_, "amount_idr", "out_of_range") => {
            format!("{field}: paling sedikit Rp 1, tulis seperti 43.650.")
        }
        (Lang::En, "payee", _) => format!("{field}: choose a telecenter."),
        (_, "payee", _) => format!("{field}: pilih telecenter."),
        (Lang::En, _, "empty") => format!("{field}: please fill this in."),
        (_, _, "empty") => format!("{field}: wajib diisi."),
        (Lang::En, "reason", "too_long") => {
            format!("{field}: too long (at most {REASON_CHARS_MAX} characters).")
        }
        (_, "reason", "too_long") => {
            format!("{field}: terlalu panjang (paling banyak {REASON_CHARS_MAX} huruf).")
        }
        (Lang::En, "reference", "too_long") => {
            format!("{field}: too long (at most {REFERENCE_CHARS_MAX} characters).")
        }
        (_, "reference", "too_long") => {
            format!("{field}: terlalu panjang (paling banyak {REFERENCE_CHARS_MAX} huruf).")
        }
        (Lang::En, _, "too_long") => format!("{field}: too long."),
        (_, _, "too_long") => format!("{field}: terlalu panjang."),
        (Lang::En, _, "not_rupiah") => {
            format!("{field}: write whole rupiah with digits, like 43650 or 43.650.")
        }
        (_, _, "not_rupiah") => {
            format!("{field}: tulis rupiah bulat dengan angka, misalnya 43650 atau 43.650.")
        }
        (Lang::En, _, _) => format!("{field}: {}", error.message),
        (_, _, "control_character") => format!("{field}: ada karakter yang tidak boleh."),
        (_, _, _) => format!("{field}: tidak sesuai ({}).", error.message),
    }
}

/// A refusal of the node about a settlement, in plain words.
fn settlement_problem(lang: Lang, error: &NodeError) -> String {
    match error {
        NodeError::Invalid(e) => input_problem(lang, e),
        NodeError::Order { code, message } => match (lang, *code) {
            (Lang::En, "reason_required") => "Say why you decline this payment.".to_owned(),
            (_, "reason_required") => "Tulis alasan menolak pembayaran ini.".to_owned(),
            (Lang::En, "already_answered") => "This payment was answered already.".to_owned(),
            (_, "already_answered") => "Pembayaran ini sudah dijawab.".to_owned(),
            (Lang::En, "not_allowed") => {
                "Only the telecenter that received the money confirms it.".to_owned()
            }
            (_, "not_allowed") => {
                "Hanya telecenter penerima uang yang bisa mengonfirmasi.".to_owned()
            }
            (Lang::En, "unknown_center") => {
                "This telecenter is not known to this node; connect it first.".to_owned()
            }
            (_, "unknown_center") => {
                "Telecenter ini belum dikenal node ini; hubungkan dulu di halaman Jaringan."
                    .to_owned()
            }
            (Lang::En, _) => message.clone(),
            (_, _) => format!("Tidak bisa disimpan: {message}"),
        },
        other => other.to_string(),
    }
}

/// The HTTP status of a refused form: the typist's fault (400) or the state of
/// things (409).
fn refusal_status(error: &NodeError) -> StatusCode {
    match error {
        NodeError::Order { code, .. } if *code != "reason_required" => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    }
}

// ---------------------------------------------------------------------------
// The order list and the outbox.

/// One counterpart with messages waiting.
struct Waiting {
    center: CenterId,
    count: u64,
    attempts: u32,
    error: Option<String>,
    /// Whether this node knows where to reach it.
    reachable: bool,
}

struct ListData {
    orders: Vec<OrderRow>,
    names: Names,
    outbox: Vec<Waiting>,
    unsent: HashSet<OrderId>,
}

/// The orders with a step among these outbox messages (not yet delivered).
fn unsent_orders(rows: &[crate::store::OutboxRow]) -> HashSet<OrderId> {
    rows.iter()
        .filter_map(
            |row| match serde_json::from_str::<Body>(&row.message.body) {
                Ok(Body::OrderEvent(event)) => Some(event.order),
                _ => None,
            },
        )
        .collect()
}

fn list_data(node: &Node, filter: &OrderFilter) -> Result<ListData, NodeError> {
    let mut outbox = Vec::new();
    let mut unsent = HashSet::new();
    for (center, count) in node.outbox_counterparts()? {
        let rows = node.outbox_for(&center)?;
        unsent.extend(unsent_orders(&rows));
        let first = rows.into_iter().next();
        outbox.push(Waiting {
            center,
            count,
            attempts: first.as_ref().map_or(0, |m| m.attempts),
            error: first.and_then(|m| m.last_error),
            reachable: node.can_deliver(&center)?,
        });
    }
    Ok(ListData {
        orders: node.orders(filter)?,
        names: Names::load(node)?,
        outbox,
        unsent,
    })
}

/// The outbox box: what waits for whom, and the button that sends it now.
fn outbox_box(lang: Lang, csrf: &str, names: &Names, outbox: &[Waiting], back: &str) -> Markup {
    let w = words(lang);
    html! {
        section.order aria-labelledby="outbox" {
            h2 #outbox { (w.outbox) }
            @if outbox.is_empty() {
                p { (w.outbox_empty) }
            } @else {
                ul {
                    @for waiting in outbox {
                        li {
                            strong { (names.of(&waiting.center)) } ": " (waiting.count)
                            @if waiting.attempts > 0 {
                                " · " (waiting.attempts) " " (w.attempts)
                            }
                            @if !waiting.reachable {
                                br; span.problem { (w.no_address_short) " " }
                                a href="/operator/jaringan" { (w.network) }
                            } @else if let Some(error) = &waiting.error {
                                br; span.muted { (w.last_error) ": " (error) }
                            }
                        }
                    }
                }
            }
            form method="post" action="/operator/pesanan/kirim" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="kembali" value=(back);
                button type="submit" { (w.send_now) }
            }
            p.muted { (w.send_hint) }
        }
    }
}

/// The message after "Send now": `dikirim` centers tried, `gagal` failed.
fn delivery_message(lang: Lang, query: &HashMap<String, String>) -> Option<String> {
    let tried: usize = query.get("dikirim")?.parse().ok()?;
    let failed: usize = query.get("gagal").and_then(|f| f.parse().ok()).unwrap_or(0);
    Some(match (lang, tried, failed) {
        (Lang::En, 0, _) => "No telecenter could be contacted now.".to_owned(),
        (Lang::En, n, 0) => format!("Done: {n} telecenter(s) contacted."),
        (Lang::En, n, f) => format!(
            "{f} of {n} telecenter(s) could not be reached now. Their messages keep waiting and go out automatically later."
        ),
        (_, 0, _) => "Tidak ada telecenter yang bisa dihubungi sekarang.".to_owned(),
        (_, n, 0) => format!("Selesai: {n} telecenter dihubungi."),
        (_, n, f) => format!(
            "{f} dari {n} telecenter tidak bisa dihubungi sekarang. Pesannya tetap menunggu dan dikirim otomatis nanti."
        ),
    })
}

/// `GET /operator/pesanan?status=placed`.
pub(in crate::web) async fn orders_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let (t, w) = (i18n::texts(lang), words(lang));
    let status = query
        .get("status")
        .filter(|s| ORDER_STATUS_WORDS.contains(&s.as_str()))
        .cloned();
    let filter = OrderFilter {
        statuses: status.iter().cloned().collect(),
        limit: ORDERS_SHOWN_MAX,
        ..OrderFilter::default()
    };
    let data = match node_call(&state, move |node| list_data(node, &filter)).await {
        Ok(data) => data,
        Err(error) => return internal(lang, &error),
    };
    let message = delivery_message(lang, &query);
    let body = html! {
        (operator_nav(t, &csrf))
        h1 { (w.orders) }
        @if let Some(message) = message { p.order role="status" { (message) } }
        p { a.button href="/operator/pesan" { (w.order_for_buyer) } }
        form.inline-form method="get" action="/operator/pesanan" {
            div {
                label for="status" { (w.status) }
                select #status name="status" {
                    option value="" { (w.all) }
                    @for word in ORDER_STATUS_WORDS {
                        option value=(word) selected[status.as_deref() == Some(word)] { (status_label(lang, word)) }
                    }
                }
            }
            button type="submit" { (w.show) }
        }
        @if data.orders.is_empty() {
            p { (w.no_orders) }
            p.muted { (w.how_to_order) }
        } @else {
            (orders_table(lang, &data))
            @if data.orders.len() >= ORDERS_SHOWN_MAX as usize {
                p.muted { (pick(lang, format!("Menampilkan {ORDERS_SHOWN_MAX} pesanan terbaru."), format!("Showing the newest {ORDERS_SHOWN_MAX} orders."))) }
            }
        }
        (outbox_box(lang, &csrf, &data.names, &data.outbox, "/operator/pesanan"))
    };
    frame(lang, StatusCode::OK, w.orders, body)
}

fn orders_table(lang: Lang, data: &ListData) -> Markup {
    let w = words(lang);
    html! {
        table.rows {
            thead {
                tr {
                    th scope="col" { (w.code) }
                    th scope="col" { (w.status) }
                    th scope="col" { (w.role) }
                    th scope="col" { (w.counterpart) }
                    th scope="col" { (w.goods) }
                    th.num scope="col" { (w.quantity) }
                    th.num scope="col" { (w.total) }
                }
            }
            tbody {
                @for order in &data.orders {
                    @let s = &order.state;
                    @let word = order.status_word();
                    @let waiting = order.pending.is_some() || data.unsent.contains(&s.id);
                    tr {
                        td data-label=(w.code) {
                            div {
                                a.code href=(format!("/operator/pesanan/{}", s.id)) { (s.id) }
                                br; span.muted { (local_time(lang, s.placed_at_ms)) }
                            }
                        }
                        td data-label=(w.status) {
                            div {
                                span class=(status_class(word)) { (status_label(lang, word)) }
                                @if waiting { " " span."tag wait" { (w.not_delivered) } }
                                @if order.problem.is_some() {
                                    br; small.problem { (problem_lead(lang, order)) }
                                }
                            }
                        }
                        td data-label=(w.role) { span { (role_label(lang, order.role)) } }
                        td data-label=(w.counterpart) { span { (data.names.of(&order.counterpart)) } }
                        td data-label=(w.goods) { span { (s.terms.title) } }
                        td.num data-label=(w.quantity) { span { (s.terms.quantity) " " (s.terms.unit) } }
                        td.num data-label=(w.total) { span { (format_rupiah(s.terms.gross_idr())) } }
                    }
                }
            }
        }
    }
}

/// `POST /operator/pesanan/kirim`: exchanges order messages with every
/// counterpart now, then goes back to the page it came from.
pub(in crate::web) async fn deliver_now(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let lang = match guard(&state, &headers, &form) {
        Ok((_, lang)) => lang,
        Err(response) => return *response,
    };
    let engine = match state.engine() {
        Ok(engine) => engine,
        Err(error) => return internal(lang, &error),
    };
    let results = engine.exchange_all().await;
    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    // Only ever back to an order page or the list: never to an address from the form.
    let back = form
        .get("kembali")
        .and_then(|b| b.strip_prefix("/operator/pesanan/"))
        .and_then(|id| id.parse::<OrderId>().ok())
        .map_or_else(
            || "/operator/pesanan".to_owned(),
            |id| format!("/operator/pesanan/{id}"),
        );
    see_other(&format!("{back}?dikirim={}&gagal={failed}", results.len()))
}

// ---------------------------------------------------------------------------
// One order.

struct OrderData {
    detail: OrderDetail,
    names: Names,
    /// The seller's listing now (seller side only): stock and unit.
    listing: Option<ListingRow>,
    /// Whether a message about this order waits in the outbox.
    unsent: bool,
    /// How the last message came from the counterpart, and went to it.
    route_in: Option<crate::store::PairRoute>,
    route_out: Option<crate::store::PairRoute>,
    /// Why this center accepts the counterpart (see [`Node::trust_path`]).
    trust_path: Vec<CenterId>,
    /// Whether this center has a way to send the counterpart messages now.
    can_deliver: bool,
    /// The node's clock when the page was made.
    now_ms: i64,
}

fn order_data(node: &Node, id: &OrderId) -> Result<OrderData, NodeError> {
    let detail = node.order(id)?;
    let listing = if detail.row.role == Role::Seller {
        node.own_listing(&detail.row.state.terms.listing).ok()
    } else {
        None
    };
    let counterpart = detail.row.counterpart;
    let unsent = unsent_orders(&node.outbox_for(&counterpart)?).contains(id);
    Ok(OrderData {
        detail,
        names: Names::load(node)?,
        listing,
        unsent,
        route_in: node.pair_route(&counterpart, false)?,
        route_out: node.pair_route(&counterpart, true)?,
        trust_path: node.trust_path(&counterpart),
        can_deliver: node.can_deliver(&counterpart)?,
        now_ms: node.clock().now_ms(),
    })
}

/// What the page says about the POST that led to it.
#[derive(Default)]
struct Flash {
    /// The step just taken.
    step: Option<Action>,
    /// The outcome of "Send now".
    delivery: Option<String>,
}

/// A step that was refused: what was tried, what was typed, and why.
struct Refused {
    action: Action,
    reason: String,
    error: NodeError,
}

/// The refusal of a step in plain words, with the numbers that matter.
fn step_problem(lang: Lang, refused: &Refused, data: &OrderData) -> String {
    let row = &data.detail.row;
    let terms = &row.state.terms;
    let status = status_label(lang, row.status_word());
    match &refused.error {
        NodeError::Invalid(e) => input_problem(lang, e),
        NodeError::Order { code, message } => match (lang, *code) {
            (Lang::En, "reason_required") => format!(
                "Say why: write a reason, then press \"{}\" again.",
                step_button(lang, refused.action)
            ),
            (_, "reason_required") => format!(
                "Tulis alasannya dulu, lalu tekan \"{}\" lagi.",
                step_button(lang, refused.action)
            ),
            (Lang::En, "not_allowed") if row.refused => {
                "The selling telecenter refused this order when it arrived; place a new one."
                    .to_owned()
            }
            (_, "not_allowed") if row.refused => {
                "Telecenter penjual menolak pesanan ini saat tiba; buat pesanan baru.".to_owned()
            }
            (Lang::En, "not_allowed") => format!(
                "This step is not possible now: the order is \"{status}\" and this telecenter {}.",
                if row.role == Role::Buyer {
                    "is the buyer"
                } else {
                    "is the seller"
                }
            ),
            (_, "not_allowed") => format!(
                "Langkah ini tidak bisa dilakukan sekarang: pesanan berstatus \"{status}\" dan telecenter ini {}.",
                if row.role == Role::Buyer {
                    "pihak pemesan"
                } else {
                    "pihak penjual"
                }
            ),
            (_, "out_of_stock") => {
                let stock = data.listing.as_ref().map_or(0, |l| l.listing.stock);
                pick(
                    lang,
                    format!(
                        "Stok tidak cukup: tinggal {stock} {unit}, pesanan butuh {q} {unit}. Tambah stok dulu, atau tolak pesanan.",
                        unit = terms.unit,
                        q = terms.quantity
                    ),
                    format!(
                        "Not enough stock: {stock} {unit} left, the order needs {q} {unit}. Add stock first, or reject the order.",
                        unit = terms.unit,
                        q = terms.quantity
                    ),
                )
            }
            (Lang::En, "listing_removed") => {
                "This product was removed from our catalog; reject the order.".to_owned()
            }
            (_, "listing_removed") => {
                "Produk ini sudah dihapus dari katalog kita; tolak pesanan ini.".to_owned()
            }
            (Lang::En, _) => format!("This step could not be taken: {message}"),
            (_, _) => format!("Langkah ini tidak bisa disimpan: {message}"),
        },
        other => other.to_string(),
    }
}

/// What a step will do, in a sentence under its button.
fn step_hint(lang: Lang, action: Action, data: &OrderData) -> Option<String> {
    let row = &data.detail.row;
    let terms = &row.state.terms;
    let (q, unit) = (terms.quantity, terms.unit.as_str());
    let stock = data.listing.as_ref().map(|l| l.listing.stock);
    match (action, row.state.status) {
        (Action::Accept, _) => Some(match (lang, stock) {
            (Lang::En, Some(s)) => {
                format!("Reserves {q} {unit} from the stock (now {s} {unit}).")
            }
            (Lang::En, None) => format!("Reserves {q} {unit} from the stock."),
            (_, Some(s)) => {
                format!("Stok berkurang {q} {unit} (sekarang {s} {unit}).")
            }
            (_, None) => format!("Stok berkurang {q} {unit}."),
        }),
        (Action::Ship, _) => Some(
            pick(
                lang,
                "Tekan setelah barang diserahkan ke kurir atau ke pembeli.",
                "Press once the goods are handed to the courier or the buyer.",
            )
            .to_owned(),
        ),
        (Action::Complete, _) => {
            let fee = format_rupiah(terms.fee_idr());
            let gross = format_rupiah(terms.gross_idr());
            Some(match (lang, terms.payment.collected_by) {
                (Lang::En, Collector::BuyerCenter) => format!(
                    "Press once the buyer has the goods. Then the books record the goods value {gross} (owed to the seller) and the referral fee {fee} (owed to the ordering telecenter)."
                ),
                (Lang::En, Collector::SellerCenter) => format!(
                    "Press once the buyer has the goods. Then the books record the referral fee {fee} (owed to the ordering telecenter)."
                ),
                (_, Collector::BuyerCenter) => format!(
                    "Tekan setelah pembeli menerima barang. Lalu tercatat di buku: nilai barang {gross} (utang ke penjual) dan biaya rujukan {fee} (utang ke telecenter pemesan)."
                ),
                (_, Collector::SellerCenter) => format!(
                    "Tekan setelah pembeli menerima barang. Lalu tercatat di buku: biaya rujukan {fee} (utang ke telecenter pemesan)."
                ),
            })
        }
        (Action::Cancel, Status::Accepted) => Some(pick(
            lang,
            format!("Jika pesanan tidak jadi. Stok {q} {unit} dikembalikan."),
            format!("If the order is off. Returns {q} {unit} to the stock."),
        )),
        (Action::Cancel, _) => Some(
            pick(
                lang,
                "Jika pembeli tidak jadi membeli.",
                "If the buyer no longer wants it.",
            )
            .to_owned(),
        ),
        (Action::Reject, _) => Some(
            pick(
                lang,
                "Jika telecenter ini tidak bisa memenuhi pesanan. Stok tidak berubah.",
                "If this telecenter cannot fill the order. The stock stays as it is.",
            )
            .to_owned(),
        ),
        (Action::Place, _) => None,
    }
}

fn needs_reason(action: Action) -> bool {
    matches!(action, Action::Reject | Action::Cancel)
}

/// "5 menit lalu": how long ago `at_ms` was, in whole minutes, hours or days.
fn ago(lang: Lang, now_ms: i64, at_ms: i64) -> String {
    let minutes = now_ms.saturating_sub(at_ms).max(0) / 60_000;
    let (n, id, en) = match minutes {
        0 => return pick(lang, "baru saja", "just now").to_owned(),
        1..=59 => (minutes, "menit", "min"),
        60..=2879 => (minutes / 60, "jam", "h"),
        _ => (minutes / 1440, "hari", "days"),
    };
    pick(lang, format!("{n} {id} lalu"), format!("{n} {en} ago"))
}

/// How messages travel with the other center and why it is accepted.
fn travel_box(lang: Lang, data: &OrderData) -> Markup {
    let names = &data.names;
    let other = data.detail.row.counterpart;
    let name = names.of(&other);
    let hop = |route: &Option<crate::store::PairRoute>, incoming: bool| match route {
        None => pick(lang, "belum ada pesan", "no message yet").to_owned(),
        Some(r) if r.via == other => format!(
            "{} · {}",
            pick(lang, "langsung", "directly"),
            ago(lang, data.now_ms, r.at_ms)
        ),
        Some(r) => format!(
            "{} {} · {}",
            match (lang, incoming) {
                (Lang::En, _) => "through",
                (_, _) => "lewat",
            },
            names.of(&r.via),
            ago(lang, data.now_ms, r.at_ms)
        ),
    };
    let trust = match data.trust_path.as_slice() {
        [] => pick(lang, "tidak diterima lagi", "no longer accepted").to_owned(),
        [_] => pick(
            lang,
            "dipercaya langsung oleh operator telecenter ini",
            "trusted directly by this telecenter's operator",
        )
        .to_owned(),
        [vouchers @ .., _] => {
            let chain: Vec<String> = vouchers.iter().map(|c| names.of(c)).collect();
            pick(
                lang,
                format!("dijamin oleh {}", chain.join(" → ")),
                format!("vouched for by {}", chain.join(" → ")),
            )
        }
    };
    html! {
        h2 { (pick(lang, "Jalur pesan", "How messages travel")) }
        dl.facts.stack {
            dt { (pick(lang, format!("Pesan terakhir dari {name}"), format!("Last message from {name}"))) }
            dd { (hop(&data.route_in, true)) }
            dt { (pick(lang, format!("Pesan terakhir ke {name}"), format!("Last message to {name}"))) }
            dd { (hop(&data.route_out, false)) }
            dt { (pick(lang, "Diterima karena", "Accepted because")) }
            dd { (trust) }
        }
        @if !data.can_deliver {
            p.problem {
                (pick(lang,
                    format!("Belum ada jalan ke {name}: tidak punya alamat, dan tidak ada mitra yang meneruskan pesan untuknya. Pesan menunggu."),
                    format!("No way to {name} yet: it has no address and no peer carries messages for it. Messages wait.")))
            }
        }
        p.muted { (pick(lang,
            "Pesan pesanan dikunci untuk telecenter lawan saja; telecenter perantara tidak bisa membacanya.",
            "Order messages are sealed for the other telecenter only; telecenters that carry them cannot read them.")) }
    }
}

/// The steps this center may take now, by the protocol's table.
fn allowed_steps(row: &OrderRow) -> Vec<Action> {
    if row.refused {
        return Vec::new();
    }
    [
        Action::Accept,
        Action::Ship,
        Action::Complete,
        Action::Reject,
        Action::Cancel,
    ]
    .into_iter()
    .filter(|action| transition(row.state.status, *action, row.role).is_some())
    .collect()
}

fn order_body(
    lang: Lang,
    csrf: &str,
    data: &OrderData,
    flash: &Flash,
    refused: Option<&Refused>,
) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let row = &data.detail.row;
    let s = &row.state;
    let terms = &s.terms;
    let names = &data.names;
    let path = format!("/operator/pesanan/{}", s.id);
    let word = row.status_word();
    let problem = refused.map(|r| step_problem(lang, r, data));
    let collector = match terms.payment.collected_by {
        Collector::BuyerCenter => terms.buyer_center,
        Collector::SellerCenter => terms.seller_center,
    };
    html! {
        (operator_nav(t, csrf))
        p { a href="/operator/pesanan" { "← " (w.all_orders) } }
        h1 { (w.order) " " span.code { (s.id) } }
        p {
            span class=(status_class(word)) { (status_label(lang, word)) }
            " · " (role_label(lang, row.role)) " · " (names.of(&row.counterpart))
            br;
            strong { (terms.quantity) " " (terms.unit) " " (terms.title) " · " (format_rupiah(terms.gross_idr())) }
        }
        @if let Some(message) = &flash.delivery { p.order role="status" { (message) } }
        @if let Some(action) = flash.step {
            p.order role="status" {
                (w.saved) " " (step_done(lang, action)) ". "
                (pick(lang, "Telecenter lawan diberi tahu otomatis.", "The other telecenter is told automatically."))
            }
        }
        @if row.pending.is_some() || data.unsent {
            div.order role="status" {
                p {
                    @if let Some(pending) = &row.pending {
                        @let action = pending.parse::<Action>().map(|a| step_done(lang, a)).unwrap_or(pending.as_str());
                        (pick(lang,
                            format!("Langkah kita ({action}) belum diterima {}.", names.of(&row.counterpart)),
                            format!("Our step ({action}) has not reached {} yet.", names.of(&row.counterpart))))
                    } @else {
                        (pick(lang,
                            format!("Kabar langkah terakhir belum sampai ke {}.", names.of(&row.counterpart)),
                            format!("News of the last step has not reached {} yet.", names.of(&row.counterpart))))
                    }
                }
                form method="post" action="/operator/pesanan/kirim" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kembali" value=(path);
                    p { button type="submit" { (w.send_now) } }
                }
            }
        }
        @if let Some(text) = &row.problem {
            div.error role="alert" {
                strong { (problem_lead(lang, row)) }
                p.small { (w.details) ": " (text) }
            }
        }
        (refusal_box(lang, &problem))
        h2 { (w.next_step) }
        @let steps = allowed_steps(row);
        @if steps.is_empty() { p.muted { (w.no_steps) } }
        div.steps {
            @for action in steps {
                form.step method="post" action=(path) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="action" value=(action.word());
                    @if let Some(hint) = step_hint(lang, action, data) { p.muted { (hint) } }
                    @if needs_reason(action) {
                        @let id = format!("reason-{}", action.word());
                        @let typed = refused.filter(|r| r.action == action).map(|r| r.reason.as_str()).unwrap_or("");
                        label for=(id) { (w.reason) }
                        input id=(id) name="reason" value=(typed) required maxlength=(REASON_CHARS_MAX);
                    }
                    button.danger[needs_reason(action)] type="submit" { (step_button(lang, action)) }
                }
            }
        }
        h2 { (w.goods) }
        dl.facts.stack {
            dt { (w.goods) }
            dd { a href=(format!("/produk/{}/{}", terms.seller_center, terms.listing)) { (terms.title) } }
            @if !terms.producer.is_empty() { dt { (w.producer) } dd { (terms.producer) } }
            dt { (w.unit_price) } dd { (format_rupiah(terms.unit_price_idr)) " " (t.per) " " (terms.unit) }
            dt { (w.quantity) } dd { (terms.quantity) " " (terms.unit) }
            dt { (w.total) } dd { strong { (format_rupiah(terms.gross_idr())) } }
            dt { (w.fee) }
            dd { (format_rupiah(terms.fee_idr())) br; span.muted { (fee_terms_text(lang, &terms.fee)) } }
            dt { (w.payment) }
            dd { (pick(lang, "di ", "at ")) (names.marked(&collector, words(lang).us)) " · " (method_label(lang, terms.payment.method)) }
            dt { (w.seller_center) } dd { (names.marked(&terms.seller_center, words(lang).us)) }
            dt { (w.buyer_center) } dd { (names.marked(&terms.buyer_center, words(lang).us)) }
            dt { (w.placed_at) } dd { (local_time(lang, s.placed_at_ms)) }
            @if let Some(listing) = &data.listing {
                dt { (w.stock) } dd { (listing.listing.stock) " " (listing.listing.unit) }
            }
        }
        h2 { (w.buyer) }
        dl.facts.stack {
            dt { (w.buyer_name) } dd { (terms.buyer.name) }
            dt { (w.buyer_phone) } dd { a href=(format!("tel:{}", terms.buyer.phone.replace(' ', ""))) { (terms.buyer.phone) } }
            @if !terms.note.is_empty() { dt { (w.note) } dd { (terms.note) } }
        }
        p.muted { (w.private_hint) }
        (travel_box(lang, data))
        h2 { (w.history) }
        ol.history {
            @for (event_row, event) in &data.detail.events {
                li {
                    strong { (step_done(lang, event.action)) }
                    " · " (local_time(lang, event.at_ms)) " · " (names.marked(&event.by, words(lang).us))
                    @if let Some(reason) = &event.reason { br; (w.reason_said) ": " (reason) }
                    @if event_row.proposed { " " span."tag wait" { (w.not_delivered) } }
                }
            }
        }
    }
}

async fn render_order(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    id: OrderId,
    flash: Flash,
    refused: Option<Refused>,
) -> Response {
    let data = match node_call(state, move |node| order_data(node, &id)).await {
        Ok(data) => data,
        Err(NodeError::NoSuchOrder(_)) => return not_found(lang),
        Err(error) => return internal(lang, &error),
    };
    let status = refused
        .as_ref()
        .map_or(StatusCode::OK, |r| refusal_status(&r.error));
    let title = format!("{} {}", words(lang).order, data.detail.row.state.id);
    let body = order_body(lang, csrf, &data, &flash, refused.as_ref());
    frame(lang, status, &title, body)
}

/// `GET /operator/pesanan/{id}`.
pub(in crate::web) async fn order_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let Ok(id) = id.parse::<OrderId>() else {
        return not_found(lang);
    };
    let flash = Flash {
        step: query.get("ok").and_then(|a| a.parse::<Action>().ok()),
        delivery: delivery_message(lang, &query),
    };
    render_order(&state, lang, &csrf, id, flash, None).await
}

/// `POST /operator/pesanan/{id}`: takes one step (`action`, and `reason` to
/// reject or cancel).
pub(in crate::web) async fn order_step(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (csrf, lang) = match guard(&state, &headers, &form) {
        Ok(pass) => pass,
        Err(response) => return *response,
    };
    let Ok(id) = id.parse::<OrderId>() else {
        return not_found(lang);
    };
    let Some(action) = form
        .get("action")
        .and_then(|a| a.parse::<Action>().ok())
        .filter(|a| *a != Action::Place)
    else {
        return expired(lang);
    };
    let reason = form.get("reason").cloned().unwrap_or_default();
    let (target, typed) = (id.clone(), reason.clone());
    let outcome = node_call(&state, move |node| {
        node.order_step(&target, action, Some(typed.as_str()))
    })
    .await;
    match outcome {
        Ok(_) => see_other(&format!("/operator/pesanan/{id}?ok={}", action.word())),
        Err(NodeError::NoSuchOrder(_)) => not_found(lang),
        Err(error @ (NodeError::Order { .. } | NodeError::Invalid(_))) => {
            let refused = Refused {
                action,
                reason,
                error,
            };
            render_order(&state, lang, &csrf, id, Flash::default(), Some(refused)).await
        }
        Err(error) => internal(lang, &error),
    }
}

// ---------------------------------------------------------------------------
// Placing an order for a buyer.

/// Reads a product reference as an operator may paste it: `center/listing`,
/// `/produk/center/listing` or the whole address of a product page.
fn product_ref(text: &str) -> Option<(CenterId, ListingId)> {
    let path = text.trim().split(['?', '#']).next().unwrap_or_default();
    let mut parts = path.rsplit('/').filter(|p| !p.is_empty());
    let listing = parts.next()?.parse::<ListingId>().ok()?;
    let center = parts.next()?.parse::<CenterId>().ok()?;
    Some((center, listing))
}

/// The place-order form as typed.
struct PlaceValues {
    product: String,
    quantity: String,
    buyer_name: String,
    buyer_phone: String,
    payment_at: String,
    payment_method: String,
    note: String,
}

impl PlaceValues {
    fn fresh(product: &str) -> Self {
        Self {
            product: product.to_owned(),
            quantity: "1".to_owned(),
            buyer_name: String::new(),
            buyer_phone: String::new(),
            payment_at: "buyer_center".to_owned(),
            payment_method: "cash".to_owned(),
            note: String::new(),
        }
    }

    fn from_form(form: &HashMap<String, String>) -> Self {
        let get = |k: &str| form.get(k).cloned().unwrap_or_default();
        Self {
            product: get("produk"),
            quantity: get("quantity"),
            buyer_name: get("buyer_name"),
            buyer_phone: get("buyer_phone"),
            payment_at: get("payment_at"),
            payment_method: get("payment_method"),
            note: get("note"),
        }
    }
}

/// What the form shows about the product.
struct Offer {
    listing: ListingRow,
    seller: Option<Profile>,
    reachable: bool,
    own: bool,
}

fn offer(node: &Node, center: &CenterId, id: &ListingId) -> Result<Option<Offer>, NodeError> {
    let listing = match node.listing(center, id) {
        Ok(row) if row.listing.status != ListingStatus::Removed => row,
        Ok(_) | Err(NodeError::UnknownListing { .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    Ok(Some(Offer {
        listing,
        seller: node.center(center)?,
        reachable: node.can_deliver(center)?,
        own: *center == node.center_id(),
    }))
}

/// The page that asks which product to order.
fn choose_page(lang: Lang, csrf: &str, typed: &str, problem: Option<String>) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    html! {
        (operator_nav(t, csrf))
        h1 { (w.order_for_buyer) }
        (problem_box(t, &problem))
        p { (w.how_to_order) }
        p { a.button href="/cari" { (w.find_products) } }
        form method="get" action="/operator/pesan" {
            label for="produk" { (w.product) }
            input #produk name="produk" value=(typed) required maxlength="300" style="width:100%";
            p.muted { (w.product_hint) }
            p { button type="submit" { (w.next) } }
        }
    }
}

fn place_page(
    lang: Lang,
    csrf: &str,
    offer: &Offer,
    values: &PlaceValues,
    problem: Option<String>,
) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let row = &offer.listing;
    let l = &row.listing;
    let product = format!("{}/{}", row.center_id, l.id);
    let fees = offer.seller.as_ref().map(|p| p.fees).unwrap_or_default();
    html! {
        (operator_nav(t, csrf))
        h1 { (w.order_for_buyer) }
        (refusal_box(lang, &problem))
        section.card {
            h2 { a href=(format!("/produk/{product}")) { (l.title.get(lang)) } }
            p { span.price { (format_rupiah(l.price_idr)) } " " span.muted { (t.per) " " (l.unit) } }
            dl.facts.stack {
                dt { (w.stock) } dd { (l.stock) " " (l.unit) }
                @if !l.producer.is_empty() { dt { (w.producer) } dd { (l.producer) } }
                dt { (w.seller_center) } dd { (row.center_name) " (" (row.center_region) ")" }
                dt { (w.fee) } dd { (fee_terms_text(lang, &fees)) br; span.muted { (w.fee_paid_by) } }
            }
        }
        @if offer.own {
            div.error role="alert" { p { (w.own_product) } }
        } @else if l.status != ListingStatus::Active {
            div.error role="alert" { p { (w.not_for_sale) } }
        } @else {
            @if !offer.reachable { p.muted { (w.no_address) } }
            form method="post" action="/operator/pesan" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="produk" value=(product);
                input type="hidden" name="unit_price_idr" value=(l.price_idr);
                label for="quantity" { (w.quantity) " (" (l.unit) ")" }
                input #quantity name="quantity" inputmode="numeric" value=(values.quantity) required maxlength="6";
                label for="buyer_name" { (w.buyer_name) }
                input #buyer_name name="buyer_name" value=(values.buyer_name) required maxlength="100" autocomplete="off";
                label for="buyer_phone" { (w.buyer_phone) }
                input #buyer_phone name="buyer_phone" type="tel" value=(values.buyer_phone) required maxlength="24" autocomplete="off";
                fieldset {
                    legend { (w.pay_at) }
                    label.choice { input type="radio" name="payment_at" value="buyer_center" checked[values.payment_at != "seller_center"]; span { (w.pay_here) } }
                    label.choice { input type="radio" name="payment_at" value="seller_center" checked[values.payment_at == "seller_center"]; span { (w.pay_seller) " (" (row.center_name) ")" } }
                }
                label for="payment_method" { (w.method) }
                select #payment_method name="payment_method" {
                    @for (value, label) in [("cash", w.methods[0]), ("transfer", w.methods[1]), ("qris", w.methods[2])] {
                        option value=(value) selected[values.payment_method == value] { (label) }
                    }
                }
                label for="note" { (w.note) }
                textarea #note name="note" rows="3" maxlength="500" { (values.note) }
                p.muted { (w.private_hint) }
                p { button type="submit" { (w.send_order) } }
            }
        }
    }
}

/// `GET /operator/pesan?produk={center}/{listing}`.
pub(in crate::web) async fn place_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let w = words(lang);
    let typed = query.get("produk").cloned().unwrap_or_default();
    if typed.trim().is_empty() {
        return frame(
            lang,
            StatusCode::OK,
            w.order_for_buyer,
            choose_page(lang, &csrf, "", None),
        );
    }
    let Some((center, listing)) = product_ref(&typed) else {
        return frame(
            lang,
            StatusCode::BAD_REQUEST,
            w.order_for_buyer,
            choose_page(lang, &csrf, &typed, Some(w.product_unreadable.to_owned())),
        );
    };
    match node_call(&state, move |node| offer(node, &center, &listing)).await {
        Ok(Some(offer)) => frame(
            lang,
            StatusCode::OK,
            w.order_for_buyer,
            place_page(lang, &csrf, &offer, &PlaceValues::fresh(&typed), None),
        ),
        Ok(None) => frame(
            lang,
            StatusCode::NOT_FOUND,
            w.order_for_buyer,
            choose_page(lang, &csrf, &typed, Some(w.product_unknown.to_owned())),
        ),
        Err(error) => internal(lang, &error),
    }
}

/// The order a filled-in form asks for, or what is wrong with it.
fn place_input(
    lang: Lang,
    seller: CenterId,
    listing: ListingId,
    seen_price: i64,
    values: &PlaceValues,
) -> Result<PlaceOrder, String> {
    let quantity = values.quantity.trim().parse::<i64>().map_err(|_| {
        input_problem(
            lang,
            &InvalidInput::new("quantity", "not_a_number", String::new()),
        )
    })?;
    let payment_at = values.payment_at.parse::<Collector>().map_err(|_| {
        pick(
            lang,
            "Pilih tempat pembeli membayar.",
            "Choose where the buyer pays.",
        )
        .to_owned()
    })?;
    let payment_method = values
        .payment_method
        .parse::<PayMethod>()
        .map_err(|_| pick(lang, "Pilih cara bayar.", "Choose how the buyer pays.").to_owned())?;
    Ok(PlaceOrder {
        seller,
        listing,
        quantity,
        unit_price_idr: Some(seen_price),
        buyer_name: values.buyer_name.clone(),
        buyer_phone: values.buyer_phone.clone(),
        payment_at,
        payment_method,
        note: values.note.clone(),
    })
}

/// A refused placement in plain words; `offer` is the product as it is now.
fn place_problem(lang: Lang, error: &NodeError, offer: &Offer, quantity: &str) -> String {
    let w = words(lang);
    let l = &offer.listing.listing;
    match error {
        NodeError::Invalid(e) => input_problem(lang, e),
        NodeError::Order { code, message } => match *code {
            "price_changed" => pick(
                lang,
                format!(
                    "Harga sudah berubah: sekarang {} per {}. Tanyakan lagi ke pembeli; jika setuju, tekan \"{}\" lagi.",
                    format_rupiah(l.price_idr),
                    l.unit,
                    w.send_order
                ),
                format!(
                    "The price has changed: it is now {} per {}. Check with the buyer; if they agree, press \"{}\" again.",
                    format_rupiah(l.price_idr),
                    l.unit,
                    w.send_order
                ),
            ),
            "out_of_stock" => pick(
                lang,
                format!(
                    "Stok tidak cukup: tinggal {} {unit}, diminta {} {unit}.",
                    l.stock,
                    quantity.trim(),
                    unit = l.unit
                ),
                format!(
                    "Not enough stock: {} {unit} left, {} {unit} asked for.",
                    l.stock,
                    quantity.trim(),
                    unit = l.unit
                ),
            ),
            "not_for_sale" => w.not_for_sale.to_owned(),
            "own_listing" => w.own_product.to_owned(),
            _ => pick(
                lang,
                format!("Pesanan tidak bisa dibuat: {message}"),
                format!("The order could not be placed: {message}"),
            ),
        },
        NodeError::UnknownListing { .. } => w.product_unknown.to_owned(),
        other => other.to_string(),
    }
}

/// What is wrong with a placement: text from the form check, or the node's refusal.
enum PlaceProblem {
    Text(String),
    Node(NodeError),
}

/// The form again with what was typed, the product as it is now and the problem.
async fn place_again(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    (center, listing): (CenterId, ListingId),
    values: PlaceValues,
    status: StatusCode,
    problem: PlaceProblem,
) -> Response {
    let w = words(lang);
    match node_call(state, move |node| offer(node, &center, &listing)).await {
        Ok(Some(offer)) => {
            let text = match problem {
                PlaceProblem::Text(text) => text,
                PlaceProblem::Node(error) => place_problem(lang, &error, &offer, &values.quantity),
            };
            frame(
                lang,
                status,
                w.order_for_buyer,
                place_page(lang, csrf, &offer, &values, Some(text)),
            )
        }
        Ok(None) => frame(
            lang,
            StatusCode::NOT_FOUND,
            w.order_for_buyer,
            choose_page(
                lang,
                csrf,
                &values.product,
                Some(w.product_unknown.to_owned()),
            ),
        ),
        Err(error) => internal(lang, &error),
    }
}

/// `POST /operator/pesan`: places the order and shows it.
pub(in crate::web) async fn place_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (csrf, lang) = match guard(&state, &headers, &form) {
        Ok(pass) => pass,
        Err(response) => return *response,
    };
    let w = words(lang);
    let values = PlaceValues::from_form(&form);
    let Some((center, listing)) = product_ref(&values.product) else {
        return frame(
            lang,
            StatusCode::BAD_REQUEST,
            w.order_for_buyer,
            choose_page(
                lang,
                &csrf,
                &values.product,
                Some(w.product_unreadable.to_owned()),
            ),
        );
    };
    // The price the operator saw: the node refuses the order if it has changed since.
    let Some(seen_price) = form
        .get("unit_price_idr")
        .and_then(|p| p.trim().parse::<i64>().ok())
    else {
        return expired(lang);
    };
    let product = (center, listing.clone());
    let input = match place_input(lang, center, listing, seen_price, &values) {
        Ok(input) => input,
        Err(text) => {
            return place_again(
                &state,
                lang,
                &csrf,
                product,
                values,
                StatusCode::BAD_REQUEST,
                PlaceProblem::Text(text),
            )
            .await;
        }
    };
    match node_call(&state, move |node| node.place_order(&input)).await {
        Ok(row) => see_other(&format!("/operator/pesanan/{}?ok=place", row.state.id)),
        Err(
            error @ (NodeError::Order { .. }
            | NodeError::Invalid(_)
            | NodeError::UnknownListing { .. }),
        ) => {
            let status = refusal_status(&error);
            place_again(
                &state,
                lang,
                &csrf,
                product,
                values,
                status,
                PlaceProblem::Node(error),
            )
            .await
        }
        Err(error) => internal(lang, &error),
    }
}

// ---------------------------------------------------------------------------
// Fees: the monthly report, its CSV, balances and the netting suggestion.

/// The month of `key` in the query, or the current month; `None` if unreadable.
fn month_of(state: &AppState, query: &HashMap<String, String>, key: &str) -> Option<Month> {
    match query.get(key).map(|m| m.trim()).filter(|m| !m.is_empty()) {
        Some(text) => Month::parse(text).ok(),
        None => Some(Month::of(state.node.clock().now_ms())),
    }
}

/// The page for a month that could not be read.
fn bad_month(lang: Lang, csrf: &str) -> Response {
    let (t, w) = (i18n::texts(lang), words(lang));
    let body = html! {
        (operator_nav(t, csrf))
        h1 { (w.fees) }
        (problem_box(t, &Some(w.bad_month.to_owned())))
        p { a href="/operator/biaya" { (w.fees) } }
    };
    frame(lang, StatusCode::BAD_REQUEST, w.fees, body)
}

struct FeeData {
    report: FeeReport,
    balances: Vec<BalanceLine>,
    netting: NettingView,
    names: Names,
}

fn fee_data(node: &Node, month: Month) -> Result<FeeData, NodeError> {
    let balances = fees::balances(node)?;
    Ok(FeeData {
        report: fees::report(node, month)?,
        netting: fees::netting_with(node, balances.clone(), &[])?,
        balances,
        names: Names::load(node)?,
    })
}

/// The link that records a payment of what this center owes `center`.
fn pay_href(center: &CenterId, owed: i64) -> String {
    format!("/operator/biaya/setoran?pusat={center}&jumlah={owed}#bayar")
}

fn statement_href(center: &CenterId) -> String {
    format!("/operator/biaya/pusat/{center}")
}

/// Balances as horizontal bars around a middle line: to the right what others
/// owe this center, to the left what it owes. Plain HTML and CSS; each bar has
/// its amount written beside it, so the chart reads without colour or sight.
fn balance_chart(lang: Lang, balances: &[BalanceLine]) -> Markup {
    let w = words(lang);
    let largest = balances
        .iter()
        .map(|b| b.balance_idr.unsigned_abs())
        .max()
        .unwrap_or(0)
        .max(1);
    let width = |amount: i64| -> u64 {
        let share = u128::from(amount.unsigned_abs()) * 100 / u128::from(largest);
        u64::try_from(share).unwrap_or(100).clamp(1, 100)
    };
    html! {
        p.legend aria-hidden="true" { span { (w.chart_legend[0]) } span { (w.chart_legend[1]) } }
        ul.chart {
            @for line in balances {
                @let side = match line.balance_idr.signum() { 1 => "pos", -1 => "neg", _ => "zero" };
                li {
                    div.label {
                        a href=(statement_href(&line.center)) { (line.name) }
                        span class=(side) { (balance_text(lang, line.balance_idr)) }
                    }
                    div.track aria-hidden="true" {
                        div.left {
                            @if line.balance_idr < 0 { span."bar-neg" style=(format!("width:{}%", width(line.balance_idr))) {} }
                        }
                        div.right {
                            @if line.balance_idr > 0 { span."bar-pos" style=(format!("width:{}%", width(line.balance_idr))) {} }
                        }
                    }
                    @if line.balance_idr < 0 {
                        a.small href=(pay_href(&line.center, -line.balance_idr)) { (w.pay_this) }
                    }
                }
            }
        }
    }
}

fn report_table(lang: Lang, first: &str, lines: &[ReportLine], centers: bool) -> Markup {
    let w = words(lang);
    html! {
        table.rows {
            thead {
                tr {
                    th scope="col" { (first) }
                    th.num scope="col" { (w.completed_orders) }
                    th.num scope="col" { (w.gross) }
                    th.num scope="col" { (w.earned) }
                    th.num scope="col" { (w.owed) }
                    th.num scope="col" { (w.net) }
                }
            }
            tbody {
                @for line in lines {
                    tr {
                        td data-label=(first) {
                            @match line.key.parse::<CenterId>() {
                                Ok(center) if centers => a href=(statement_href(&center)) { (line.name) },
                                _ => span { (line.name) },
                            }
                        }
                        td.num data-label=(w.completed_orders) { span { (line.orders) } }
                        td.num data-label=(w.gross) { span { (format_rupiah(line.gross_sales_idr)) } }
                        td.num data-label=(w.earned) { span { (format_rupiah(line.fees_earned_idr)) } }
                        td.num data-label=(w.owed) { span { (format_rupiah(line.fees_owed_idr)) } }
                        td.num data-label=(w.net) { strong { (format_rupiah(line.net_idr)) } }
                    }
                }
            }
        }
    }
}

fn netting_box(lang: Lang, netting: &NettingView, names: &Names) -> Markup {
    let w = words(lang);
    html! {
        section.hint aria-labelledby="netting" {
            h2 #netting { (w.netting) }
            p { strong { (w.suggestion_only) } }
            @if netting.suggestion.transfers.is_empty() {
                p { (w.nothing_to_pay) }
            } @else {
                ul {
                    @for debt in &netting.suggestion.transfers {
                        li {
                            (names.marked(&debt.debtor, words(lang).us)) " " (w.pays) " " (names.marked(&debt.creditor, words(lang).us))
                            ": " strong { (format_rupiah(debt.amount_idr)) }
                        }
                    }
                }
            }
            @for disagreement in &netting.disagreements { p.muted { (disagreement) } }
            p.muted { (w.netting_hint) }
        }
    }
}

fn fee_body(lang: Lang, csrf: &str, month: Month, data: &FeeData) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let total = &data.report.total;
    let (previous, next) = (month.previous(), month.next());
    html! {
        (operator_nav(t, csrf))
        h1 { (w.fees) }
        nav.pager aria-label=(w.month) {
            a href=(format!("/operator/biaya?bulan={previous}")) { "← " (short_month(lang, previous)) }
            a href=(format!("/operator/biaya?bulan={next}")) { (short_month(lang, next)) " →" }
        }
        form.inline-form method="get" action="/operator/biaya" {
            div {
                label for="bulan" { (w.month) }
                input #bulan type="month" name="bulan" value=(month.to_string()) min="2000-01" max="2999-12";
            }
            button type="submit" { (w.show) }
        }
        h2 { (month_name(lang, month)) }
        dl.facts.figures {
            dt { (w.completed_orders) } dd { (total.orders) }
            dt { (w.gross) } dd { (format_rupiah(total.gross_sales_idr)) }
            dt { (w.earned) } dd { (format_rupiah(total.fees_earned_idr)) }
            dt { (w.owed) } dd { (format_rupiah(total.fees_owed_idr)) }
            dt { (w.net) } dd { strong { (format_rupiah(total.net_idr)) } }
        }
        p {
            a.button href=(format!("/operator/biaya.csv?bulan={month}")) download { (w.download_csv) }
            " "
            a href="/operator/biaya/setoran" { (w.settlements) }
        }
        @if !data.report.by_counterpart.is_empty() {
            h3 { (w.per_center) }
            (report_table(lang, w.counterpart, &data.report.by_counterpart, true))
        }
        @if !data.report.by_producer.is_empty() {
            h3 { (w.per_producer) }
            (report_table(lang, pick(lang, "Produsen", "Producer"), &data.report.by_producer, false))
        }
        p.muted { (w.definitions) }
        h2 { (w.balances) }
        @if data.balances.is_empty() {
            p { (w.no_balances) }
        } @else {
            (balance_chart(lang, &data.balances))
        }
        (netting_box(lang, &data.netting, &data.names))
    }
}

/// `GET /operator/biaya?bulan=2026-11`.
pub(in crate::web) async fn fee_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let Some(month) = month_of(&state, &query, "bulan") else {
        return bad_month(lang, &csrf);
    };
    match node_call(&state, move |node| fee_data(node, month)).await {
        Ok(data) => frame(
            lang,
            StatusCode::OK,
            words(lang).fees,
            fee_body(lang, &csrf, month, &data),
        ),
        Err(error) => internal(lang, &error),
    }
}

/// `GET /operator/biaya.csv?bulan=2026-11`: the report for spreadsheets.
pub(in crate::web) async fn fee_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let Some(month) = month_of(&state, &query, "bulan") else {
        return bad_month(lang, &csrf);
    };
    match node_call(&state, move |node| fees::report(node, month)).await {
        Ok(report) => no_store(crate::http::orders::csv_response(&report)),
        Err(error) => internal(lang, &error),
    }
}

// ---------------------------------------------------------------------------
// Settlements.

struct SettleData {
    rows: Vec<SettlementRow>,
    names: Names,
    balances: Vec<BalanceLine>,
    /// Centers a payment may go to: those with a balance, and accepted ones.
    payees: Vec<CenterId>,
}

fn settle_data(node: &Node) -> Result<SettleData, NodeError> {
    let names = Names::load(node)?;
    let balances = fees::balances(node)?;
    let own = node.center_id();
    let mut payees: Vec<CenterId> = balances.iter().map(|b| b.center).collect();
    payees.extend(node.trust_state().1.into_iter().map(|(c, _)| c));
    payees.retain(|c| *c != own);
    payees.sort_by_key(|c| (names.of(c), *c));
    payees.dedup();
    Ok(SettleData {
        rows: node.settlements(None)?,
        names,
        balances,
        payees,
    })
}

/// The payment form as typed.
#[derive(Default)]
struct PayValues {
    payee: String,
    amount: String,
    reference: String,
}

/// A refused answer: which payment, and the reason typed.
struct AnswerTyped {
    id: OrderId,
    reason: String,
}

fn settle_status(lang: Lang, row: &SettlementRow) -> (&'static str, &'static str) {
    let w = words(lang);
    match row.status.as_str() {
        "confirmed" => (w.settle_statuses[1], "tag ok"),
        "declined" => (w.settle_statuses[2], "tag bad"),
        _ => (w.settle_statuses[0], "tag wait"),
    }
}

fn answer_forms(
    lang: Lang,
    csrf: &str,
    row: &SettlementRow,
    typed: Option<&AnswerTyped>,
) -> Markup {
    let w = words(lang);
    let action = format!("/operator/biaya/setoran/{}", row.id);
    let id = format!("reason-{}", row.id);
    let reason = typed
        .filter(|t| t.id == row.id)
        .map(|t| t.reason.as_str())
        .unwrap_or("");
    html! {
        div.steps {
            form.step method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="answer" value="confirm";
                button type="submit" {
                    @if row.correction_owed_to.is_some() { (pick(lang, "Setujui koreksi", "Agree to the correction")) }
                    @else { (w.confirm) }
                }
            }
            form.step method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="answer" value="decline";
                label for=(id) { (w.reason) }
                input id=(id) name="reason" value=(reason) required maxlength=(REASON_CHARS_MAX);
                button.danger type="submit" { (w.decline) }
            }
        }
    }
}

/// What the settlements page shows besides the node's data: the payment form
/// as typed, a problem or a message, and a refused answer's typed reason.
#[derive(Default)]
struct SettleForm {
    values: PayValues,
    problem: Option<String>,
    message: Option<&'static str>,
    typed: Option<AnswerTyped>,
}

fn settlements_body(lang: Lang, csrf: &str, data: &SettleData, form: &SettleForm) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let (values, typed) = (&form.values, form.typed.as_ref());
    let names = &data.names;
    let balance_of: BTreeMap<CenterId, i64> = data
        .balances
        .iter()
        .map(|b| (b.center, b.balance_idr))
        .collect();
    let to_answer: Vec<&SettlementRow> = data
        .rows
        .iter()
        .filter(|r| r.payee == names.own && r.status == "waiting")
        .collect();
    html! {
        (operator_nav(t, csrf))
        p { a href="/operator/biaya" { "← " (w.fees) } }
        h1 { (w.settlements) }
        @if let Some(message) = form.message { p.order role="status" { (message) } }
        (refusal_box(lang, &form.problem))
        @if !to_answer.is_empty() {
            h2 { (pick(lang, "Menunggu konfirmasi kita", "Waiting for our confirmation")) }
            ul.cards {
                @for row in &to_answer {
                    li.card {
                        h3 { (format_rupiah(row.amount_idr)) }
                        @if let Some(owed_to) = row.correction_owed_to {
                            p { strong { (w.kinds[3]) ": " }
                                @if owed_to == names.own { (pick(lang, "mereka mengusulkan kita berhak menerima jumlah ini", "they propose this amount is owed to us")) }
                                @else { (pick(lang, "mereka mengusulkan kita berutang jumlah ini", "they propose we owe this amount")) } }
                        }
                        p { (pick(lang, "dari ", "from ")) strong { (names.of(&row.payer)) } " · " (local_time(lang, row.at_ms)) }
                        @if !row.reference.is_empty() { p.muted { (row.reference) } }
                        (answer_forms(lang, csrf, row, typed))
                    }
                }
            }
        }
        h2 #bayar { (w.record_payment) }
        p.muted { (w.record_hint) }
        @if data.payees.is_empty() {
            p { (w.no_balances) }
        } @else {
            form method="post" action="/operator/biaya/setoran" {
                input type="hidden" name="csrf" value=(csrf);
                label for="payee" { (w.payee) }
                select #payee name="payee" required {
                    option value="" { (w.choose) }
                    @for center in &data.payees {
                        @let balance = balance_of.get(center).copied().unwrap_or(0);
                        option value=(center.to_string()) selected[values.payee == center.to_string()] {
                            (names.of(center)) " — " (balance_text(lang, balance))
                        }
                    }
                }
                label for="amount" { (w.amount) }
                input #amount name="amount" inputmode="numeric" value=(values.amount) required placeholder="43.650";
                label for="reference" { (w.reference) }
                input #reference name="reference" value=(values.reference) maxlength=(REFERENCE_CHARS_MAX);
                p { button type="submit" { (w.save_payment) } }
            }
        }
        h2 { (w.settlements) }
        @if data.rows.is_empty() {
            p { (w.no_settlements) }
        } @else {
            table.rows {
                thead {
                    tr {
                        th scope="col" { (w.date) }
                        th scope="col" { (w.direction) }
                        th scope="col" { (w.counterpart) }
                        th.num scope="col" { (w.amount) }
                        th scope="col" { (w.reference) }
                        th scope="col" { (w.status) }
                    }
                }
                tbody {
                    @for row in &data.rows {
                        @let (label, class) = settle_status(lang, row);
                        tr {
                            td data-label=(w.date) { span { (local_time(lang, row.at_ms)) } }
                            td data-label=(w.direction) { span {
                                @if let Some(owed_to) = row.correction_owed_to {
                                    (w.kinds[3]) ": " @if owed_to == names.own { (pick(lang, "kita berhak", "owed to us")) } @else { (pick(lang, "kita berutang", "we owe")) }
                                } @else if row.payer == names.own { (w.we_paid) } @else { (w.we_received) }
                            } }
                            td data-label=(w.counterpart) { a href=(statement_href(&row.counterpart)) { (names.of(&row.counterpart)) } }
                            td.num data-label=(w.amount) { span { (format_rupiah(row.amount_idr)) } }
                            td data-label=(w.reference) { span { (row.reference) } }
                            td data-label=(w.status) {
                                div {
                                    span class=(class) { (label) }
                                    @if let Some(reason) = &row.reason { br; small { (reason) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn render_settlements(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    status: StatusCode,
    form: SettleForm,
) -> Response {
    match node_call(state, settle_data).await {
        Ok(data) => frame(
            lang,
            status,
            words(lang).settlements,
            settlements_body(lang, csrf, &data, &form),
        ),
        Err(error) => internal(lang, &error),
    }
}

/// `GET /operator/biaya/setoran[?pusat=tc1…&jumlah=43650]`.
pub(in crate::web) async fn settlements(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let values = PayValues {
        payee: query.get("pusat").cloned().unwrap_or_default(),
        amount: query
            .get("jumlah")
            .and_then(|a| a.parse::<i64>().ok())
            .filter(|a| *a > 0)
            .map(|a| format_rupiah(a).trim_start_matches("Rp ").to_owned())
            .unwrap_or_default(),
        reference: String::new(),
    };
    let message = match (
        query.get("tercatat"),
        query.get("dijawab").map(String::as_str),
    ) {
        (Some(_), _) => Some(pick(
            lang,
            "Pembayaran tercatat dan dikirim untuk dikonfirmasi.",
            "The payment is recorded and sent for confirmation.",
        )),
        (_, Some("confirm")) => Some(pick(
            lang,
            "Dikonfirmasi. Saldo sudah diperbarui.",
            "Confirmed. The balance is updated.",
        )),
        (_, Some("decline")) => Some(pick(
            lang,
            "Pembayaran ditolak; pembayar diberi tahu.",
            "The payment is declined; the payer is told.",
        )),
        _ => None,
    };
    let form = SettleForm {
        values,
        message,
        ..SettleForm::default()
    };
    render_settlements(&state, lang, &csrf, StatusCode::OK, form).await
}

/// `POST /operator/biaya/setoran`: records a payment this center made.
pub(in crate::web) async fn record_payment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (csrf, lang) = match guard(&state, &headers, &form) {
        Ok(pass) => pass,
        Err(response) => return *response,
    };
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let values = PayValues {
        payee: get("payee"),
        amount: get("amount"),
        reference: get("reference"),
    };
    let checked = values
        .payee
        .trim()
        .parse::<CenterId>()
        .map_err(|_| InvalidInput::new("payee", "unknown", String::new()))
        .and_then(|payee| Ok((payee, parse_rupiah("amount_idr", &values.amount)?)));
    let (payee, amount) = match checked {
        Ok(checked) => checked,
        Err(e) => {
            let form = SettleForm {
                values,
                problem: Some(input_problem(lang, &e)),
                ..SettleForm::default()
            };
            return render_settlements(&state, lang, &csrf, StatusCode::BAD_REQUEST, form).await;
        }
    };
    let reference = values.reference.clone();
    match node_call(&state, move |node| {
        node.record_settlement(&payee, amount, &reference)
    })
    .await
    {
        Ok(_) => see_other("/operator/biaya/setoran?tercatat=1"),
        Err(error @ (NodeError::Order { .. } | NodeError::Invalid(_))) => {
            let form = SettleForm {
                values,
                problem: Some(settlement_problem(lang, &error)),
                ..SettleForm::default()
            };
            render_settlements(&state, lang, &csrf, refusal_status(&error), form).await
        }
        Err(error) => internal(lang, &error),
    }
}

/// `POST /operator/biaya/setoran/{id}`: confirms or declines a payment made to
/// this center (`answer` = `confirm` or `decline`, with a `reason` to decline).
pub(in crate::web) async fn answer_payment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (csrf, lang) = match guard(&state, &headers, &form) {
        Ok(pass) => pass,
        Err(response) => return *response,
    };
    let Ok(id) = id.parse::<OrderId>() else {
        return not_found(lang);
    };
    let confirmed = match form.get("answer").map(String::as_str) {
        Some("confirm") => true,
        Some("decline") => false,
        _ => return expired(lang),
    };
    let reason = form.get("reason").cloned().unwrap_or_default();
    let (target, typed) = (id.clone(), reason.clone());
    match node_call(&state, move |node| {
        node.answer_settlement(&target, confirmed, Some(typed.as_str()))
    })
    .await
    {
        Ok(_) => see_other(&format!(
            "/operator/biaya/setoran?dijawab={}",
            if confirmed { "confirm" } else { "decline" }
        )),
        Err(NodeError::NoSuchSettlement(_)) => not_found(lang),
        Err(error @ (NodeError::Order { .. } | NodeError::Invalid(_))) => {
            let form = SettleForm {
                problem: Some(settlement_problem(lang, &error)),
                typed: Some(AnswerTyped { id, reason }),
                ..SettleForm::default()
            };
            render_settlements(&state, lang, &csrf, refusal_status(&error), form).await
        }
        Err(error) => internal(lang, &error),
    }
}

// ---------------------------------------------------------------------------
// The statement of one pair.

fn kind_label(lang: Lang, kind: &str) -> &'static str {
    let w = words(lang);
    match kind {
        "goods" => w.kinds[0],
        "referral_fee" => w.kinds[1],
        "correction" => w.kinds[3],
        _ => w.kinds[2],
    }
}

fn statement_body(lang: Lang, csrf: &str, statement: &Statement) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let center = statement.counterpart;
    html! {
        (operator_nav(t, csrf))
        p { a href="/operator/biaya" { "← " (w.fees) } }
        h1 { (w.statement_with) " " (statement.name) }
        form.inline-form method="get" action=(statement_href(&center)) {
            div {
                label for="dari" { (w.from_month) }
                input #dari type="month" name="dari" value=(statement.from) required;
            }
            div {
                label for="sampai" { (w.to_month) }
                input #sampai type="month" name="sampai" value=(statement.to) required;
            }
            button type="submit" { (w.show) }
        }
        dl.facts.figures {
            dt { (w.opening) } dd { (balance_text(lang, statement.opening_idr)) }
        }
        @if statement.lines.is_empty() {
            p { (w.no_lines) }
        } @else {
            table.rows {
                thead {
                    tr {
                        th scope="col" { (w.date) }
                        th scope="col" { (w.kind) }
                        th scope="col" { (w.code) }
                        th.num scope="col" { (w.amount) }
                        th.num scope="col" { (w.balance) }
                    }
                }
                tbody {
                    @for line in &statement.lines {
                        tr {
                            td data-label=(w.date) {
                                span { (crate::clock::parse_rfc3339_ms(&line.at).map(|ms| local_time(lang, ms)).unwrap_or_else(|| line.at.clone())) }
                            }
                            td data-label=(w.kind) { span { (kind_label(lang, &line.kind)) } }
                            td data-label=(w.code) {
                                // Goods and fee entries always come from an order held here.
                                @if matches!(line.kind.as_str(), "goods" | "referral_fee") {
                                    a.code href=(format!("/operator/pesanan/{}", line.reference)) { (line.reference) }
                                } @else {
                                    span.code { (line.reference) }
                                }
                            }
                            td.num data-label=(w.amount) { span { (signed_rupiah(line.amount_idr)) } }
                            td.num data-label=(w.balance) { span { (signed_rupiah(line.balance_idr)) } }
                        }
                    }
                }
            }
        }
        dl.facts.figures {
            dt { (w.closing) } dd { strong { (balance_text(lang, statement.closing_idr)) } }
        }
        p.muted { (w.statement_hint) }
        @if statement.closing_idr < 0 {
            p { a.button href=(pay_href(&center, -statement.closing_idr)) { (w.pay_this) } }
        }
    }
}

/// `GET /operator/biaya/pusat/{center}?dari=2026-10&sampai=2026-11`.
pub(in crate::web) async fn statement(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(center): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let Ok(center) = center.parse::<CenterId>() else {
        return not_found(lang);
    };
    let Some(from) = month_of(&state, &query, "dari") else {
        return bad_month(lang, &csrf);
    };
    let to = match query
        .get("sampai")
        .map(|m| m.trim())
        .filter(|m| !m.is_empty())
    {
        None => from,
        Some(text) => match Month::parse(text) {
            Ok(month) => month,
            Err(_) => return bad_month(lang, &csrf),
        },
    };
    let found = node_call(&state, move |node| fees::statement(node, &center, from, to)).await;
    let w = words(lang);
    match found {
        Ok(statement) => frame(
            lang,
            StatusCode::OK,
            &format!("{} {}", w.statement, statement.name),
            statement_body(lang, &csrf, &statement),
        ),
        Err(NodeError::Invalid(_)) => {
            let t: &Texts = i18n::texts(lang);
            let problem = pick(
                lang,
                "Sampai bulan tidak boleh sebelum dari bulan.",
                "The last month cannot come before the first.",
            );
            let body = html! {
                (operator_nav(t, &csrf))
                h1 { (w.statement) }
                (problem_box(t, &Some(problem.to_owned())))
                p { a href=(statement_href(&center)) { (w.statement) } }
            };
            frame(lang, StatusCode::BAD_REQUEST, w.statement, body)
        }
        Err(error) => internal(lang, &error),
    }
}
