//! Every word the web pages show, in one place per language: Bahasa Indonesia
//! first, English second. Plain words for people with little computer
//! experience ("Pasar", "Cari produk", "Pesan"), never jargon.

pub mod orders;
pub mod requests;

use telecenter_protocol::catalog::Lang;

pub(crate) mod center;
pub(crate) mod forms;
pub mod import;
pub mod operator;
pub(crate) mod producers;

/// The strings of one language.
#[derive(Debug)]
pub struct Texts {
    /// `lang` attribute of the page.
    pub html_lang: &'static str,
    /// Name of the market, in the header.
    pub market: &'static str,
    /// Search box label and button.
    pub search_label: &'static str,
    /// Search button.
    pub search_button: &'static str,
    /// Placeholder of the search box.
    pub search_placeholder: &'static str,
    /// Heading of the category list.
    pub categories: &'static str,
    /// Heading of the newest listings on the home page.
    pub newest: &'static str,
    /// Link to the ordering guide.
    pub how_to_order: &'static str,
    /// Link to the other language.
    pub other_language: &'static str,
    /// Code of the other language.
    pub other_language_code: &'static str,
    /// "{n} products found".
    pub found: fn(u64) -> String,
    /// No results.
    pub nothing_found: &'static str,
    /// Before the corrected search ("Maksud Anda: …").
    pub did_you_mean: &'static str,
    /// Before near words when nothing matched.
    pub try_words: &'static str,
    /// Before category links when nothing matched.
    pub browse_categories: &'static str,
    /// Summary of the filter box.
    pub filter_sort: &'static str,
    /// Filter labels.
    pub filter_category: &'static str,
    /// All categories option.
    pub all_categories: &'static str,
    /// Center filter.
    pub filter_center: &'static str,
    /// All centers option.
    pub all_centers: &'static str,
    /// Lowest price.
    pub min_price: &'static str,
    /// Highest price.
    pub max_price: &'static str,
    /// Sort label.
    pub sort: &'static str,
    /// Sort options: relevance, newest, cheapest, dearest.
    pub sort_options: [&'static str; 4],
    /// Apply filters button.
    pub apply: &'static str,
    /// Previous page.
    pub previous: &'static str,
    /// Next page.
    pub next: &'static str,
    /// "Page {n} of {m}".
    pub page_of: fn(u32, u32) -> String,
    /// Per unit, e.g. "per bungkus".
    pub per: &'static str,
    /// Stock label.
    pub stock: &'static str,
    /// Out of stock.
    pub out_of_stock: &'static str,
    /// Producer label.
    pub producer: &'static str,
    /// Sold by label.
    pub sold_by: &'static str,
    /// Updated label.
    pub updated: &'static str,
    /// Description heading.
    pub description: &'static str,
    /// Contact label.
    pub contact: &'static str,
    /// Region label.
    pub region: &'static str,
    /// Products of a center heading.
    pub products_of: &'static str,
    /// Order call to action.
    pub order: &'static str,
    /// How to order, as paragraphs.
    pub order_steps: &'static [&'static str],
    /// Short ordering hint on a listing page.
    /// The operator-only link from a listing page to the order form.
    pub order_for_buyer: &'static str,
    /// Page not found.
    pub not_found: &'static str,
    /// Explanation for not found.
    pub not_found_text: &'static str,
    /// Back to the market.
    pub back_home: &'static str,
    /// Heading for an input problem.
    pub input_problem: &'static str,
    /// A form or upload the node could not read (wrong kind, too large, not text).
    pub unreadable_text: &'static str,
    /// Data from another telecenter.
    pub from_other_center: &'static str,
    /// Data from this telecenter.
    pub from_this_center: &'static str,
    /// Footer line.
    pub footer: &'static str,
    /// Before this center's name in the header of public pages.
    pub you_are_at: &'static str,
    /// Before the center's name in the header of operator pages.
    pub signed_in_to: &'static str,
}

fn found_id(n: u64) -> String {
    format!("{n} produk ditemukan")
}

fn found_en(n: u64) -> String {
    if n == 1 {
        "1 product found".to_owned()
    } else {
        format!("{n} products found")
    }
}

fn page_of_id(n: u32, m: u32) -> String {
    format!("Halaman {n} dari {m}")
}

fn page_of_en(n: u32, m: u32) -> String {
    format!("Page {n} of {m}")
}

/// Bahasa Indonesia.
pub static ID: Texts = Texts {
    html_lang: "id",
    market: "Pasar Telecenter",
    search_label: "Cari produk",
    search_button: "Cari",
    search_placeholder: "contoh: keripik pisang",
    categories: "Kategori",
    newest: "Produk terbaru",
    how_to_order: "Cara memesan",
    other_language: "English",
    other_language_code: "en",
    found: found_id,
    nothing_found: "Tidak ada produk yang cocok. Coba kata lain atau hapus saringan.",
    did_you_mean: "Maksud Anda:",
    try_words: "Coba cari:",
    browse_categories: "Atau lihat kategori:",
    filter_sort: "Saring dan urutkan",
    filter_category: "Kategori",
    all_categories: "Semua kategori",
    filter_center: "Telecenter",
    all_centers: "Semua telecenter",
    min_price: "Harga terendah (Rp)",
    max_price: "Harga tertinggi (Rp)",
    sort: "Urutkan",
    sort_options: ["Paling cocok", "Terbaru", "Termurah", "Termahal"],
    apply: "Terapkan",
    previous: "Sebelumnya",
    next: "Berikutnya",
    page_of: page_of_id,
    per: "per",
    stock: "Stok",
    out_of_stock: "Stok habis",
    producer: "Pembuat",
    sold_by: "Dijual oleh",
    updated: "Diperbarui",
    description: "Keterangan",
    contact: "Kontak",
    region: "Wilayah",
    products_of: "Produk dari",
    order: "Pesan",
    order_steps: &[
        "Pilih produk yang Anda inginkan, lalu catat nama produk dan telecenter penjualnya.",
        "Datang ke telecenter terdekat atau hubungi kontaknya. Petugas telecenter akan membantu memesan untuk Anda, juga dari telecenter di kota lain.",
        "Bayar di telecenter (tunai, transfer bank atau QRIS) atau langsung ke telecenter penjual, sesuai petunjuk petugas.",
        "Telecenter penjual menyiapkan dan mengirim barang. Petugas memberi tahu Anda saat barang dikirim.",
    ],
    order_for_buyer: "Pesan untuk pembeli (petugas)",
    not_found: "Halaman tidak ditemukan",
    not_found_text: "Halaman atau produk ini tidak ada, atau sudah tidak dijual.",
    back_home: "Kembali ke pasar",
    input_problem: "Ada isian yang perlu diperbaiki",
    unreadable_text: "Kiriman ini tidak dapat dibaca (terlalu besar atau bukan isian formulir). Kembali dan kirim lagi.",
    from_other_center: "Data dari telecenter lain, diterima lewat jaringan telecenter",
    from_this_center: "Data dari telecenter ini",
    footer: "Pasar bersama telecenter se-provinsi. Tidak ada pengelola pusat.",
    you_are_at: "Anda di",
    signed_in_to: "Pusat Anda:",
};

/// English.
pub static EN: Texts = Texts {
    html_lang: "en",
    market: "Telecenter Market",
    search_label: "Find products",
    search_button: "Search",
    search_placeholder: "e.g. banana chips",
    categories: "Categories",
    newest: "Newest products",
    how_to_order: "How to order",
    other_language: "Bahasa Indonesia",
    other_language_code: "id",
    found: found_en,
    nothing_found: "No matching products. Try other words or clear the filters.",
    did_you_mean: "Did you mean:",
    try_words: "Try searching for:",
    browse_categories: "Or browse a category:",
    filter_sort: "Filter and sort",
    filter_category: "Category",
    all_categories: "All categories",
    filter_center: "Telecenter",
    all_centers: "All telecenters",
    min_price: "Lowest price (Rp)",
    max_price: "Highest price (Rp)",
    sort: "Sort by",
    sort_options: ["Best match", "Newest", "Cheapest", "Dearest"],
    apply: "Apply",
    previous: "Previous",
    next: "Next",
    page_of: page_of_en,
    per: "per",
    stock: "In stock",
    out_of_stock: "Out of stock",
    producer: "Made by",
    sold_by: "Sold by",
    updated: "Updated",
    description: "Description",
    contact: "Contact",
    region: "Region",
    products_of: "Products from",
    order: "Order",
    order_steps: &[
        "Choose the product you want and note its name and the telecenter selling it.",
        "Come to your nearest telecenter or call its contact. The staff will place the order for you, also from telecenters in other towns.",
        "Pay at the telecenter (cash, bank transfer or QRIS) or directly to the selling telecenter, as the staff explain.",
        "The selling telecenter prepares and ships the goods. The staff tell you when they are on the way.",
    ],
    order_for_buyer: "Order for a buyer (staff)",
    not_found: "Page not found",
    not_found_text: "This page or product does not exist, or is no longer for sale.",
    back_home: "Back to the market",
    input_problem: "Something needs correcting",
    unreadable_text: "This could not be read (too large, or not a form). Go back and send it again.",
    from_other_center: "Data from another telecenter, received over the telecenter network",
    from_this_center: "Data from this telecenter",
    footer: "A shared market of the province's telecenters. No central operator.",
    you_are_at: "You are at",
    signed_in_to: "Your center:",
};

/// The strings for `lang` (Javanese pages use Indonesian words for now).
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Id | Lang::Jv => &ID,
    }
}

/// A month name for dates on pages.
pub fn month(lang: Lang, month: u8) -> &'static str {
    const ID_MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
    ];
    const EN_MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let index = usize::from(month.clamp(1, 12) - 1);
    match lang {
        Lang::En => EN_MONTHS[index],
        _ => ID_MONTHS[index],
    }
}

/// Turns a validation problem (field and code) into a sentence for people.
pub fn input_error(lang: Lang, field: &str, code: &str) -> String {
    let field_name = match (lang, field) {
        (Lang::En, "min_price") => "Lowest price",
        (Lang::En, "max_price") => "Highest price",
        (Lang::En, "q") => "Search words",
        (Lang::En, "category") | (Lang::En, "kategori") => "Category",
        (Lang::En, "center") | (Lang::En, "pusat") => "Telecenter",
        (Lang::En, other) => other,
        (_, "min_price") => "Harga terendah",
        (_, "max_price") => "Harga tertinggi",
        (_, "q") => "Kata pencarian",
        (_, "category") | (_, "kategori") => "Kategori",
        (_, "center") | (_, "pusat") => "Telecenter",
        (_, other) => other,
    };
    match (lang, code) {
        (Lang::En, "not_rupiah") => {
            format!("{field_name}: write whole rupiah with digits, like 15000 or 15.000.")
        }
        (Lang::En, "above_max") => "The lowest price is above the highest price.".to_owned(),
        (Lang::En, "too_long") => format!("{field_name} is too long."),
        (Lang::En, "too_large") => format!("{field_name} is too large."),
        (Lang::En, _) => format!("{field_name} is not valid."),
        (_, "not_rupiah") => {
            format!("{field_name}: tulis rupiah bulat dengan angka, misalnya 15000 atau 15.000.")
        }
        (_, "above_max") => "Harga terendah lebih tinggi dari harga tertinggi.".to_owned(),
        (_, "too_long") => format!("{field_name} terlalu panjang."),
        (_, "too_large") => format!("{field_name} terlalu besar."),
        (_, _) => format!("{field_name} tidak sesuai."),
    }
}
