//! The words of the buyer-request form, the buyer's status page and the
//! operator's request pages, in Bahasa Indonesia and English.

use telecenter_protocol::catalog::Lang;
use telecenter_protocol::limits::{BUYER_NAME_CHARS_MAX, REQUEST_NOTE_CHARS_MAX};
use telecenter_protocol::text::InvalidInput;

/// The request pages' words in `lang`.
pub(crate) fn words(lang: Lang) -> &'static RequestWords {
    if lang == Lang::En { &EN } else { &ID }
}

/// Strings of the request pages.
pub(crate) struct RequestWords {
    pub(crate) form_intro: &'static str,
    pub(crate) name: &'static str,
    pub(crate) whatsapp: &'static str,
    pub(crate) whatsapp_hint: &'static str,
    pub(crate) quantity: &'static str,
    pub(crate) pickup: &'static str,
    pub(crate) delivery: &'static str,
    pub(crate) note: &'static str,
    pub(crate) note_hint: &'static str,
    pub(crate) honeypot: &'static str,
    pub(crate) send: &'static str,
    pub(crate) out_of_stock: &'static str,
    pub(crate) fix_below: &'static str,
    pub(crate) too_large: &'static str,
    pub(crate) too_many: &'static str,
    pub(crate) full: &'static str,
    pub(crate) gone: &'static str,
    pub(crate) sent: &'static str,
    pub(crate) sent_text: &'static str,
    pub(crate) status_title: &'static str,
    pub(crate) keep_link: &'static str,
    pub(crate) code: &'static str,
    pub(crate) product: &'static str,
    pub(crate) price: &'static str,
    pub(crate) total: &'static str,
    pub(crate) how: &'static str,
    pub(crate) sent_at: &'static str,
    pub(crate) progress: &'static str,
    pub(crate) waiting: &'static str,
    pub(crate) placed: &'static str,
    pub(crate) accepted: &'static str,
    pub(crate) shipped: &'static str,
    pub(crate) completed: &'static str,
    pub(crate) rejected: &'static str,
    pub(crate) cancelled: &'static str,
    pub(crate) sold: &'static str,
    pub(crate) declined: &'static str,
    pub(crate) reason: &'static str,
    pub(crate) not_found: &'static str,
    pub(crate) not_found_text: &'static str,
    // Operator pages.
    pub(crate) menu: &'static str,
    /// Hint on the menu's count of waiting requests.
    pub(crate) waiting_badge: &'static str,
    pub(crate) list_title: &'static str,
    pub(crate) none: &'static str,
    pub(crate) buyer: &'static str,
    pub(crate) status: &'static str,
    pub(crate) statuses: [&'static str; 4],
    pub(crate) chat: &'static str,
    pub(crate) greeting: fn(name: &str, product: &str) -> String,
    pub(crate) make_order: &'static str,
    pub(crate) sell_here: &'static str,
    pub(crate) decline: &'static str,
    pub(crate) decline_reason: &'static str,
    pub(crate) done: &'static str,
    pub(crate) order_link: &'static str,
}

static ID: RequestWords = RequestWords {
    form_intro: "Isi nama dan nomor WhatsApp Anda. Petugas telecenter akan menghubungi Anda untuk memastikan pesanan; tidak perlu membayar sekarang.",
    name: "Nama",
    whatsapp: "Nomor WhatsApp",
    whatsapp_hint: "Contoh: 08xx-xxxx-xxxx",
    quantity: "Jumlah",
    pickup: "Ambil sendiri di telecenter ini",
    delivery: "Diantar (tulis alamat di catatan)",
    note: "Catatan atau alamat pengantaran",
    note_hint: "Paling banyak 500 huruf.",
    honeypot: "Jangan diisi",
    send: "Kirim pesanan",
    out_of_stock: "Stok habis; produk ini belum bisa dipesan.",
    fix_below: "Ada isian yang perlu diperbaiki:",
    too_large: "Isian terlalu panjang. Catatan paling banyak 500 huruf.",
    too_many: "Terlalu banyak pesanan dari sambungan Anda. Coba lagi 10 menit lagi, atau hubungi telecenter.",
    full: "Telecenter sedang penuh dengan pesanan yang belum dilayani. Silakan hubungi telecenter langsung.",
    gone: "Produk ini tidak ditemukan atau tidak dijual lagi.",
    sent: "Pesanan terkirim",
    sent_text: "Terima kasih. Petugas akan menghubungi Anda lewat WhatsApp.",
    status_title: "Status pesanan",
    keep_link: "Simpan alamat halaman ini untuk melihat perkembangan pesanan Anda. Jangan bagikan ke orang lain.",
    code: "Kode pesanan",
    product: "Produk",
    price: "Harga",
    total: "Perkiraan total",
    how: "Cara terima",
    sent_at: "Dikirim",
    progress: "Perkembangan",
    waiting: "Menunggu petugas menghubungi Anda lewat WhatsApp.",
    placed: "Sudah dipesankan ke penjual; menunggu jawaban penjual.",
    accepted: "Diterima penjual, sedang disiapkan.",
    shipped: "Sudah dikirim.",
    completed: "Selesai. Terima kasih!",
    rejected: "Ditolak penjual.",
    cancelled: "Dibatalkan.",
    sold: "Siap diambil / sudah terjual di telecenter.",
    declined: "Maaf, pesanan tidak dapat dilayani.",
    reason: "Alasan",
    not_found: "Pesanan tidak ditemukan",
    not_found_text: "Periksa kembali alamat yang Anda terima. Jika masih bermasalah, hubungi telecenter.",
    menu: "Pesanan pembeli",
    waiting_badge: "permintaan baru menunggu",
    list_title: "Pesanan pembeli",
    none: "Belum ada permintaan.",
    buyer: "Pembeli",
    status: "Status",
    statuses: ["baru", "dipesankan", "terjual", "ditolak"],
    chat: "Hubungi lewat WhatsApp",
    greeting: |name, product| {
        format!("Halo {name}, ini dari telecenter tentang pesanan Anda: {product}.")
    },
    make_order: "Jadikan pesanan",
    sell_here: "Catat penjualan",
    decline: "Tolak",
    decline_reason: "Alasan penolakan (dibaca pembeli)",
    done: "Permintaan ini sudah dijawab.",
    order_link: "Lihat pesanan",
};

static EN: RequestWords = RequestWords {
    form_intro: "Give your name and WhatsApp number. The telecenter staff will contact you to confirm; nothing to pay now.",
    name: "Name",
    whatsapp: "WhatsApp number",
    whatsapp_hint: "For example: 08xx-xxxx-xxxx",
    quantity: "Quantity",
    pickup: "Pick up at this telecenter",
    delivery: "Delivery (write the address in the note)",
    note: "Note or delivery address",
    note_hint: "At most 500 characters.",
    honeypot: "Leave empty",
    send: "Send order",
    out_of_stock: "Out of stock; this product cannot be ordered yet.",
    fix_below: "Some fields need fixing:",
    too_large: "Too much text. The note has at most 500 characters.",
    too_many: "Too many orders from your connection. Try again in 10 minutes, or contact the telecenter.",
    full: "The telecenter is full of orders not yet handled. Please contact the telecenter directly.",
    gone: "This product was not found or is no longer for sale.",
    sent: "Order sent",
    sent_text: "Thank you. The staff will contact you on WhatsApp.",
    status_title: "Order status",
    keep_link: "Keep the address of this page to follow your order. Do not share it.",
    code: "Order code",
    product: "Product",
    price: "Price",
    total: "Estimated total",
    how: "Receiving",
    sent_at: "Sent",
    progress: "Progress",
    waiting: "Waiting for the staff to contact you on WhatsApp.",
    placed: "Ordered from the seller; waiting for the seller's answer.",
    accepted: "Accepted by the seller, being prepared.",
    shipped: "Shipped.",
    completed: "Completed. Thank you!",
    rejected: "Rejected by the seller.",
    cancelled: "Cancelled.",
    sold: "Ready for pick-up / sold at the telecenter.",
    declined: "Sorry, this order cannot be served.",
    reason: "Reason",
    not_found: "Order not found",
    not_found_text: "Check the address you received. If it still fails, contact the telecenter.",
    menu: "Buyer requests",
    waiting_badge: "new requests waiting",
    list_title: "Buyer requests",
    none: "No requests yet.",
    buyer: "Buyer",
    status: "Status",
    statuses: ["new", "ordered", "sold", "declined"],
    chat: "Contact on WhatsApp",
    greeting: |name, product| {
        format!("Hello {name}, this is the telecenter about your order: {product}.")
    },
    make_order: "Turn into an order",
    sell_here: "Record the sale",
    decline: "Decline",
    decline_reason: "Reason (the buyer reads it)",
    done: "This request has been answered.",
    order_link: "See the order",
};

/// One plain line about a refused field, in `lang`.
pub(crate) fn field_problem(lang: Lang, e: &InvalidInput) -> String {
    if lang == Lang::En {
        return e.message.clone();
    }
    match (e.field, e.code) {
        ("buyer_name", "empty") => "Nama wajib diisi.".into(),
        ("buyer_name", "too_long") => {
            format!("Nama paling banyak {BUYER_NAME_CHARS_MAX} huruf.")
        }
        ("buyer_name", _) => "Nama berisi huruf yang tidak bisa dipakai.".into(),
        ("buyer_phone", "empty") => "Nomor WhatsApp wajib diisi.".into(),
        ("buyer_phone", _) => {
            "Nomor WhatsApp tidak dikenali. Tulis nomor Indonesia, misalnya 08xx-xxxx-xxxx.".into()
        }
        ("quantity", "out_of_stock") => "Jumlah lebih dari stok yang tersedia.".into(),
        ("quantity", _) => {
            "Jumlah harus angka bulat, paling sedikit 1 dan tidak melebihi stok.".into()
        }
        ("note", "empty") => "Untuk diantar, tulis alamat pengantaran di catatan.".into(),
        ("note", "too_long") => {
            format!("Catatan paling banyak {REQUEST_NOTE_CHARS_MAX} huruf.")
        }
        ("note", _) => "Catatan berisi huruf yang tidak bisa dipakai.".into(),
        ("reason", _) => "Alasan wajib diisi (paling banyak 200 huruf).".into(),
        _ => e.message.clone(),
    }
}
