//! The words of the order and fee pages, in Indonesian and English: the word
//! tables and the labels of statuses, steps, roles, methods, months and
//! amounts. The sentences that explain a refusal are in [`sentences`].

use telecenter_protocol::catalog::Lang;
use telecenter_protocol::fee::{FeeTerms, percent_text};
use telecenter_protocol::order::{Action, PayMethod, Role};

use crate::accounting::Month;
use crate::money::format_rupiah;
use crate::store::OrderRow;
use crate::web::i18n;

mod sentences;

pub(crate) use sentences::{
    delivery_message, input_problem, last_message, newest_shown, news_not_reached, no_way_to,
    place_refusal, settlement_refusal, step_hint, step_not_reached, step_refusal, vouched_by,
};

/// Strings of the order and fee pages.
pub(crate) struct OrderWords {
    pub(crate) orders: &'static str,
    pub(crate) order: &'static str,
    pub(crate) order_for_buyer: &'static str,
    pub(crate) all: &'static str,
    pub(crate) code: &'static str,
    pub(crate) status: &'static str,
    pub(crate) role: &'static str,
    pub(crate) counterpart: &'static str,
    pub(crate) goods: &'static str,
    pub(crate) quantity: &'static str,
    pub(crate) total: &'static str,
    pub(crate) we_buy: &'static str,
    pub(crate) we_sell: &'static str,
    pub(crate) no_orders: &'static str,
    pub(crate) how_to_order: &'static str,
    pub(crate) outbox: &'static str,
    pub(crate) outbox_empty: &'static str,
    pub(crate) send_now: &'static str,
    pub(crate) send_hint: &'static str,
    pub(crate) not_delivered: &'static str,
    pub(crate) attempts: &'static str,
    pub(crate) last_error: &'static str,
    pub(crate) refused_lead: &'static str,
    pub(crate) step_lost_lead: &'static str,
    pub(crate) details: &'static str,
    pub(crate) placed_at: &'static str,
    pub(crate) unit_price: &'static str,
    pub(crate) fee: &'static str,
    pub(crate) payment: &'static str,
    pub(crate) buyer: &'static str,
    pub(crate) buyer_name: &'static str,
    pub(crate) buyer_phone: &'static str,
    pub(crate) note: &'static str,
    pub(crate) private_hint: &'static str,
    pub(crate) producer: &'static str,
    pub(crate) history: &'static str,
    pub(crate) next_step: &'static str,
    pub(crate) no_steps: &'static str,
    pub(crate) reason: &'static str,
    pub(crate) reason_said: &'static str,
    pub(crate) not_saved: &'static str,
    pub(crate) seller_center: &'static str,
    pub(crate) buyer_center: &'static str,
    pub(crate) all_orders: &'static str,
    pub(crate) pay_at: &'static str,
    pub(crate) pay_here: &'static str,
    pub(crate) pay_seller: &'static str,
    pub(crate) method: &'static str,
    pub(crate) methods: [&'static str; 3],
    pub(crate) stock: &'static str,
    pub(crate) send_order: &'static str,
    pub(crate) product: &'static str,
    pub(crate) product_hint: &'static str,
    pub(crate) next: &'static str,
    pub(crate) find_products: &'static str,
    pub(crate) no_fee: &'static str,
    pub(crate) fee_paid_by: &'static str,
    pub(crate) no_address: &'static str,
    pub(crate) no_address_short: &'static str,
    pub(crate) network: &'static str,
    pub(crate) own_product: &'static str,
    pub(crate) not_for_sale: &'static str,
    pub(crate) product_unknown: &'static str,
    pub(crate) product_unreadable: &'static str,
    pub(crate) saved: &'static str,
    pub(crate) fees: &'static str,
    pub(crate) month: &'static str,
    pub(crate) show: &'static str,
    pub(crate) completed_orders: &'static str,
    pub(crate) gross: &'static str,
    pub(crate) earned: &'static str,
    pub(crate) owed: &'static str,
    pub(crate) net: &'static str,
    pub(crate) per_center: &'static str,
    pub(crate) per_producer: &'static str,
    pub(crate) definitions: &'static str,
    pub(crate) balances: &'static str,
    pub(crate) no_balances: &'static str,
    pub(crate) they_owe: &'static str,
    pub(crate) we_owe: &'static str,
    pub(crate) settled: &'static str,
    pub(crate) chart_legend: [&'static str; 2],
    pub(crate) netting: &'static str,
    pub(crate) suggestion_only: &'static str,
    pub(crate) netting_hint: &'static str,
    pub(crate) nothing_to_pay: &'static str,
    pub(crate) pays: &'static str,
    pub(crate) us: &'static str,
    pub(crate) settlements: &'static str,
    pub(crate) no_settlements: &'static str,
    pub(crate) record_payment: &'static str,
    pub(crate) record_hint: &'static str,
    pub(crate) payee: &'static str,
    pub(crate) choose: &'static str,
    pub(crate) amount: &'static str,
    pub(crate) reference: &'static str,
    pub(crate) save_payment: &'static str,
    pub(crate) confirm: &'static str,
    pub(crate) decline: &'static str,
    pub(crate) date: &'static str,
    pub(crate) direction: &'static str,
    pub(crate) we_paid: &'static str,
    pub(crate) we_received: &'static str,
    pub(crate) settle_statuses: [&'static str; 3],
    pub(crate) statement: &'static str,
    pub(crate) statement_with: &'static str,
    pub(crate) from_month: &'static str,
    pub(crate) to_month: &'static str,
    pub(crate) opening: &'static str,
    pub(crate) closing: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) kinds: [&'static str; 4],
    pub(crate) balance: &'static str,
    pub(crate) statement_hint: &'static str,
    pub(crate) no_lines: &'static str,
    pub(crate) pay_this: &'static str,
    pub(crate) bad_month: &'static str,
    pub(crate) producer_column: &'static str,
    pub(crate) no_message_yet: &'static str,
    pub(crate) directly: &'static str,
    pub(crate) through: &'static str,
    pub(crate) no_longer_accepted: &'static str,
    pub(crate) trusted_directly: &'static str,
    pub(crate) travel: &'static str,
    pub(crate) accepted_because: &'static str,
    pub(crate) sealed_hint: &'static str,
    pub(crate) told_automatically: &'static str,
    pub(crate) paid_at: &'static str,
    pub(crate) choose_pay_at: &'static str,
    pub(crate) choose_method: &'static str,
    pub(crate) agree_correction: &'static str,
    pub(crate) waiting_our_answer: &'static str,
    pub(crate) proposed_owed_to_us: &'static str,
    pub(crate) proposed_we_owe: &'static str,
    pub(crate) paid_by: &'static str,
    pub(crate) owed_to_us: &'static str,
    pub(crate) we_owe_short: &'static str,
    pub(crate) payment_recorded: &'static str,
    pub(crate) payment_confirmed: &'static str,
    pub(crate) payment_declined: &'static str,
    pub(crate) months_reversed: &'static str,
    /// The link to the `.xlsx` of a report.
    pub(crate) download_xlsx: &'static str,
    /// The link to the CSV for spreadsheets set to Indonesian (`;`).
    pub(crate) download_excel_csv: &'static str,
    /// The link to the machine CSV (`,`, English headers) for programs.
    pub(crate) download_machine_csv: &'static str,
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
    producer_column: "Produsen",
    no_message_yet: "belum ada pesan",
    directly: "langsung",
    through: "lewat",
    no_longer_accepted: "tidak diterima lagi",
    trusted_directly: "dipercaya langsung oleh operator telecenter ini",
    travel: "Jalur pesan",
    accepted_because: "Diterima karena",
    sealed_hint: "Pesan pesanan dikunci untuk telecenter lawan saja; telecenter perantara tidak bisa membacanya.",
    told_automatically: "Telecenter lawan diberi tahu otomatis.",
    paid_at: "di ",
    choose_pay_at: "Pilih tempat pembeli membayar.",
    choose_method: "Pilih cara bayar.",
    agree_correction: "Setujui koreksi",
    waiting_our_answer: "Menunggu konfirmasi kita",
    proposed_owed_to_us: "mereka mengusulkan kita berhak menerima jumlah ini",
    proposed_we_owe: "mereka mengusulkan kita berutang jumlah ini",
    paid_by: "dari ",
    owed_to_us: "kita berhak",
    we_owe_short: "kita berutang",
    payment_recorded: "Pembayaran tercatat dan dikirim untuk dikonfirmasi.",
    payment_confirmed: "Dikonfirmasi. Saldo sudah diperbarui.",
    payment_declined: "Pembayaran ditolak; pembayar diberi tahu.",
    months_reversed: "Sampai bulan tidak boleh sebelum dari bulan.",
    download_xlsx: "Unduh XLSX",
    download_excel_csv: "Unduh CSV (Excel Indonesia)",
    download_machine_csv: "CSV untuk program",
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
    producer_column: "Producer",
    no_message_yet: "no message yet",
    directly: "directly",
    through: "through",
    no_longer_accepted: "no longer accepted",
    trusted_directly: "trusted directly by this telecenter's operator",
    travel: "How messages travel",
    accepted_because: "Accepted because",
    sealed_hint: "Order messages are sealed for the other telecenter only; telecenters that carry them cannot read them.",
    told_automatically: "The other telecenter is told automatically.",
    paid_at: "at ",
    choose_pay_at: "Choose where the buyer pays.",
    choose_method: "Choose how the buyer pays.",
    agree_correction: "Agree to the correction",
    waiting_our_answer: "Waiting for our confirmation",
    proposed_owed_to_us: "they propose this amount is owed to us",
    proposed_we_owe: "they propose we owe this amount",
    paid_by: "from ",
    owed_to_us: "owed to us",
    we_owe_short: "we owe",
    payment_recorded: "The payment is recorded and sent for confirmation.",
    payment_confirmed: "Confirmed. The balance is updated.",
    payment_declined: "The payment is declined; the payer is told.",
    months_reversed: "The last month cannot come before the first.",
    download_xlsx: "Download XLSX",
    download_excel_csv: "Download CSV (Excel, Indonesian)",
    download_machine_csv: "CSV for programs",
};

pub(crate) fn words(lang: Lang) -> &'static OrderWords {
    if lang == Lang::En {
        &EN_WORDS
    } else {
        &ID_WORDS
    }
}

/// One of two texts by language.
pub(crate) fn pick<T>(lang: Lang, id: T, en: T) -> T {
    if lang == Lang::En { en } else { id }
}

/// An order's status for people; `refused` is a placement the seller turned
/// down when it arrived.
pub(crate) fn status_label(lang: Lang, word: &str) -> &'static str {
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
pub(crate) fn problem_lead(lang: Lang, row: &OrderRow) -> &'static str {
    let w = words(lang);
    if row.refused {
        w.refused_lead
    } else {
        w.step_lost_lead
    }
}

/// What a step did, for the history.
pub(crate) fn step_done(lang: Lang, action: Action) -> &'static str {
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
pub(crate) fn step_button(lang: Lang, action: Action) -> &'static str {
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

pub(crate) fn role_label(lang: Lang, role: Role) -> &'static str {
    let w = words(lang);
    match role {
        Role::Buyer => w.we_buy,
        Role::Seller => w.we_sell,
    }
}

pub(crate) fn method_label(lang: Lang, method: PayMethod) -> &'static str {
    let w = words(lang);
    match method {
        PayMethod::Cash => w.methods[0],
        PayMethod::Transfer => w.methods[1],
        PayMethod::Qris => w.methods[2],
    }
}

/// Fee terms for people: `3 % dari total, paling sedikit Rp 1.000`.
pub(crate) fn fee_terms_text(lang: Lang, fee: &FeeTerms) -> String {
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
pub(crate) fn balance_text(lang: Lang, balance: i64) -> String {
    let w = words(lang);
    match balance.signum() {
        1 => format!("{} — {}", format_rupiah(balance), w.they_owe),
        -1 => format!("{} — {}", format_rupiah(-balance), w.we_owe),
        _ => w.settled.to_owned(),
    }
}

pub(crate) fn month_name(lang: Lang, month: Month) -> String {
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
pub(crate) fn short_month(lang: Lang, month: Month) -> String {
    format!("{} {}", i18n::month(lang, month.month), month.year)
}

/// "5 menit lalu": how long ago `at_ms` was, in whole minutes, hours or days.
pub(crate) fn ago(lang: Lang, now_ms: i64, at_ms: i64) -> String {
    let minutes = now_ms.saturating_sub(at_ms).max(0) / 60_000;
    let (n, id, en) = match minutes {
        0 => return pick(lang, "baru saja", "just now").to_owned(),
        1..=59 => (minutes, "menit", "min"),
        60..=2879 => (minutes / 60, "jam", "h"),
        _ => (minutes / 1440, "hari", "days"),
    };
    pick(lang, format!("{n} {id} lalu"), format!("{n} {en} ago"))
}

pub(crate) fn kind_label(lang: Lang, kind: &str) -> &'static str {
    let w = words(lang);
    match kind {
        "goods" => w.kinds[0],
        "referral_fee" => w.kinds[1],
        "correction" => w.kinds[3],
        _ => w.kinds[2],
    }
}
