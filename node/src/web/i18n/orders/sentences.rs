//! The sentences of the order and fee pages that explain a refusal in plain
//! words (input problems, refused steps, placements and settlements), what a
//! step will do, and the outcome of "Send now".

use std::collections::HashMap;

use telecenter_protocol::catalog::Lang;
use telecenter_protocol::limits::{ORDER_QUANTITY_MAX, REASON_CHARS_MAX, REFERENCE_CHARS_MAX};
use telecenter_protocol::order::{Action, Collector, Role, Status};
use telecenter_protocol::text::InvalidInput;

use super::{pick, status_label, step_button, words};
use crate::money::format_rupiah;
use crate::store::{ListingRow, OrderRow};

/// The problem text of an input error on these forms; `None` for a field
/// these forms do not name.
pub(crate) fn input_problem(lang: Lang, error: &InvalidInput) -> Option<String> {
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
        _ => return None,
    };
    Some(match (lang, error.field, error.code) {
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
    })
}

/// A refusal of the node about a settlement (its `code` and English
/// `message`), in plain words.
pub(crate) fn settlement_refusal(lang: Lang, code: &str, message: &str) -> String {
    match (lang, code) {
        (Lang::En, "reason_required") => "Say why you decline this payment.".to_owned(),
        (_, "reason_required") => "Tulis alasan menolak pembayaran ini.".to_owned(),
        (Lang::En, "already_answered") => "This payment was answered already.".to_owned(),
        (_, "already_answered") => "Pembayaran ini sudah dijawab.".to_owned(),
        (Lang::En, "not_allowed") => {
            "Only the telecenter that received the money confirms it.".to_owned()
        }
        (_, "not_allowed") => "Hanya telecenter penerima uang yang bisa mengonfirmasi.".to_owned(),
        (Lang::En, "unknown_center") => {
            "This telecenter is not known to this node; connect it first.".to_owned()
        }
        (_, "unknown_center") => {
            "Telecenter ini belum dikenal node ini; hubungkan dulu di halaman Jaringan.".to_owned()
        }
        (Lang::En, _) => message.to_owned(),
        (_, _) => format!("Tidak bisa disimpan: {message}"),
    }
}

/// The message after "Send now": `dikirim` centers tried, `gagal` failed.
pub(crate) fn delivery_message(lang: Lang, query: &HashMap<String, String>) -> Option<String> {
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

/// A step on `row` the node refused (its `code` and English `message`), in
/// plain words with the numbers that matter; `listing` is the seller's listing
/// now (seller side only).
pub(crate) fn step_refusal(
    lang: Lang,
    action: Action,
    code: &str,
    message: &str,
    row: &OrderRow,
    listing: Option<&ListingRow>,
) -> String {
    let terms = &row.state.terms;
    let status = status_label(lang, row.status_word());
    match (lang, code) {
        (Lang::En, "reason_required") => format!(
            "Say why: write a reason, then press \"{}\" again.",
            step_button(lang, action)
        ),
        (_, "reason_required") => format!(
            "Tulis alasannya dulu, lalu tekan \"{}\" lagi.",
            step_button(lang, action)
        ),
        (Lang::En, "not_allowed") if row.refused => {
            "The selling telecenter refused this order when it arrived; place a new one.".to_owned()
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
            let stock = listing.map_or(0, |l| l.listing.stock);
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
    }
}

/// What a step will do, in a sentence under its button.
pub(crate) fn step_hint(
    lang: Lang,
    action: Action,
    row: &OrderRow,
    listing: Option<&ListingRow>,
) -> Option<String> {
    let terms = &row.state.terms;
    let (q, unit) = (terms.quantity, terms.unit.as_str());
    let stock = listing.map(|l| l.listing.stock);
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

/// A placement the node refused (its `code` and English `message`) in plain
/// words; `listing` is the product as it is now, `quantity` as typed.
pub(crate) fn place_refusal(
    lang: Lang,
    code: &str,
    message: &str,
    listing: &ListingRow,
    quantity: &str,
) -> String {
    let w = words(lang);
    let l = &listing.listing;
    match code {
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
    }
}

/// Under a long order list: only the newest `shown` orders are on it.
pub(crate) fn newest_shown(lang: Lang, shown: u32) -> String {
    pick(
        lang,
        format!("Menampilkan {shown} pesanan terbaru."),
        format!("Showing the newest {shown} orders."),
    )
}

/// Who vouches for a counterpart: `chain` is their names, nearest first.
pub(crate) fn vouched_by(lang: Lang, chain: &str) -> String {
    pick(
        lang,
        format!("dijamin oleh {chain}"),
        format!("vouched for by {chain}"),
    )
}

/// The label of how the last message from (`incoming`) or to `name` travelled.
pub(crate) fn last_message(lang: Lang, name: &str, incoming: bool) -> String {
    match (lang, incoming) {
        (Lang::En, true) => format!("Last message from {name}"),
        (Lang::En, false) => format!("Last message to {name}"),
        (_, true) => format!("Pesan terakhir dari {name}"),
        (_, false) => format!("Pesan terakhir ke {name}"),
    }
}

/// This center has no way yet to send `name` messages.
pub(crate) fn no_way_to(lang: Lang, name: &str) -> String {
    pick(
        lang,
        format!(
            "Belum ada jalan ke {name}: tidak punya alamat, dan tidak ada mitra yang meneruskan pesan untuknya. Pesan menunggu."
        ),
        format!(
            "No way to {name} yet: it has no address and no peer carries messages for it. Messages wait."
        ),
    )
}

/// This center's step (`action`, in words) has not reached `name` yet.
pub(crate) fn step_not_reached(lang: Lang, action: &str, name: &str) -> String {
    pick(
        lang,
        format!("Langkah kita ({action}) belum diterima {name}."),
        format!("Our step ({action}) has not reached {name} yet."),
    )
}

/// News of the last step has not reached `name` yet.
pub(crate) fn news_not_reached(lang: Lang, name: &str) -> String {
    pick(
        lang,
        format!("Kabar langkah terakhir belum sampai ke {name}."),
        format!("News of the last step has not reached {name} yet."),
    )
}
