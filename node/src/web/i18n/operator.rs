//! The words of the operator pages (listings, profile, network, login), in
//! Bahasa Indonesia and English; the order and fee pages keep theirs in
//! `web/operator/orders` for now.

use telecenter_protocol::catalog::Lang;
use telecenter_protocol::limits::PHOTO_UPLOAD_BYTES_MAX;
use telecenter_protocol::text::InvalidInput;

/// The operator pages' words in `lang`.
pub(crate) fn words(lang: Lang) -> &'static OperatorWords {
    if lang == Lang::En {
        &EN_WORDS
    } else {
        &ID_WORDS
    }
}

/// Strings of the operator pages (the public ones live in [`super::Texts`]).
pub(crate) struct OperatorWords {
    pub(crate) login: &'static str,
    pub(crate) password: &'static str,
    pub(crate) wrong_password: &'static str,
    pub(crate) no_password: &'static str,
    pub(crate) too_many: &'static str,
    pub(crate) bad_form: &'static str,
    pub(crate) my_products: &'static str,
    pub(crate) add_product: &'static str,
    pub(crate) edit: &'static str,
    pub(crate) save: &'static str,
    pub(crate) title: &'static str,
    pub(crate) description: &'static str,
    pub(crate) category: &'static str,
    pub(crate) price: &'static str,
    pub(crate) stock: &'static str,
    pub(crate) unit: &'static str,
    pub(crate) producer: &'static str,
    pub(crate) status: &'static str,
    pub(crate) statuses: [&'static str; 2],
    pub(crate) remove: &'static str,
    pub(crate) remove_warning: &'static str,
    pub(crate) saved: &'static str,
    pub(crate) name: &'static str,
    pub(crate) region: &'static str,
    pub(crate) contact: &'static str,
    pub(crate) whatsapp: &'static str,
    pub(crate) whatsapp_hint: &'static str,
    pub(crate) profile: &'static str,
    pub(crate) network: &'static str,
    pub(crate) peers: &'static str,
    pub(crate) add_peer: &'static str,
    pub(crate) peer_address: &'static str,
    pub(crate) last_sync: &'static str,
    pub(crate) never: &'static str,
    pub(crate) behind: &'static str,
    pub(crate) last_error: &'static str,
    pub(crate) sync_now: &'static str,
    pub(crate) trust: &'static str,
    pub(crate) block: &'static str,
    pub(crate) unblock: &'static str,
    pub(crate) center_id: &'static str,
    pub(crate) trusted_centers: &'static str,
    pub(crate) no_listings: &'static str,
    pub(crate) photo: &'static str,
    pub(crate) photo_hint: &'static str,
    pub(crate) remove_photo: &'static str,
    pub(crate) nav: [&'static str; 7],
}

static ID_WORDS: OperatorWords = OperatorWords {
    nav: [
        "Produk saya",
        "Pesanan",
        "Biaya",
        "Dicari pembeli",
        "Profil",
        "Jaringan",
        "Keluar",
    ],
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
    whatsapp: "Nomor WhatsApp telecenter",
    whatsapp_hint: "Misalnya 0812-3456-7890. Pembeli melihat tombol \"Tanya lewat WhatsApp\" di halaman produk. Kosongkan untuk menghapus.",
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
    nav: [
        "My products",
        "Orders",
        "Fees",
        "Demand",
        "Profile",
        "Network",
        "Log out",
    ],
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
    whatsapp: "The telecenter's WhatsApp number",
    whatsapp_hint: "For example 0812-3456-7890. Buyers see an \"Ask on WhatsApp\" button on the product pages. Leave empty to remove it.",
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
pub(crate) fn field_error(lang: Lang, error: &InvalidInput) -> String {
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
        "whatsapp" => w.whatsapp,
        "url" => w.peer_address,
        "center" => w.center_id,
        other => other,
    };
    match (lang, error.code) {
        (_, "too_large") if error.limit.is_some() => {
            super::forms::at_most(lang, field, error.field, error.limit.unwrap_or_default())
        }
        (Lang::En, "empty") => format!("{field}: please fill this in."),
        (Lang::En, "too_long") => format!("{field}: too long. {}", error.message),
        (Lang::En, "negative") => format!("{field}: must be zero or more."),
        (Lang::En, "not_rupiah") => {
            format!("{field}: write whole rupiah with digits, like 15000 or 15.000.")
        }
        (Lang::En, "not_a_number") => format!("{field}: write a whole number, like 10."),
        (Lang::En, "not_a_phone_number" | "not_indonesian") => {
            format!("{field}: write an Indonesian number, like 0812-3456-7890.")
        }
        (Lang::En, _) => format!("{field}: {}", error.message),
        (_, "empty") => format!("{field}: wajib diisi."),
        (_, "too_long") => format!("{field}: terlalu panjang."),
        (_, "too_large") => format!("{field}: terlalu besar."),
        (_, "negative") => format!("{field}: tidak boleh kurang dari nol."),
        (_, "not_rupiah") => {
            format!("{field}: tulis rupiah bulat dengan angka, misalnya 15000 atau 15.000.")
        }
        (_, "not_a_number") => format!("{field}: tulis angka bulat, misalnya 10."),
        (_, "not_a_phone_number" | "not_indonesian") => {
            format!("{field}: tulis nomor Indonesia, misalnya 0812-3456-7890.")
        }
        (_, "control_character") => format!("{field}: ada karakter yang tidak boleh."),
        (_, "unknown") => format!("{field}: pilih salah satu pilihan."),
        (_, _) => format!("{field}: tidak sesuai ({}).", error.message),
    }
}

/// A photo problem in people's words.
pub(crate) fn photo_error(lang: Lang, error: &crate::images::ImageError) -> String {
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

/// An upload form that could not be read (too large, or broken).
pub(crate) fn upload_unreadable(lang: Lang) -> String {
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
}

/// Heading of the sealed mail this node carries for others.
pub(crate) fn carried_mail_heading(lang: Lang) -> &'static str {
    if lang == Lang::En {
        "Mail carried for others"
    } else {
        "Pesan titipan"
    }
}

/// What the carried sealed mail is: `count` messages of `kib` KB in all.
pub(crate) fn carried_mail(lang: Lang, count: u64, kib: u64) -> String {
    if lang == Lang::En {
        format!(
            "This telecenter holds {count} sealed messages ({kib} KB) to pass on. They cannot be read here; each is deleted once passed on, or after 14 days."
        )
    } else {
        format!(
            "Telecenter ini menyimpan {count} pesan tertutup ({kib} KB) untuk diteruskan. Isinya tidak bisa dibaca di sini; pesan dihapus setelah diteruskan atau setelah 14 hari."
        )
    }
}

/// The words of the demand page (`/operator/permintaan`).
pub(crate) struct DemandWords {
    pub(crate) title: &'static str,
    pub(crate) missed_heading: &'static str,
    pub(crate) missed_hint: &'static str,
    pub(crate) no_missed: &'static str,
    pub(crate) all_heading: &'static str,
    pub(crate) word: &'static str,
    pub(crate) searches: &'static str,
    pub(crate) missed: &'static str,
    pub(crate) empty: &'static str,
    pub(crate) download_csv: &'static str,
    pub(crate) months_with_counts: &'static str,
}

/// The demand page's words in `lang`.
pub(crate) fn demand_words(lang: Lang) -> &'static DemandWords {
    if lang == Lang::En {
        &EN_DEMAND
    } else {
        &ID_DEMAND
    }
}

static ID_DEMAND: DemandWords = DemandWords {
    title: "Yang dicari pembeli",
    missed_heading: "Dicari pembeli tapi belum ada",
    missed_hint: "Kata yang tidak menemukan satu produk pun di pasar ini: barang yang bisa ditawarkan UMKM setempat, atau kata yang perlu ditambahkan ke kata-pencarian.txt.",
    no_missed: "Setiap kata yang dicari bulan ini menemukan produk.",
    all_heading: "Semua kata yang dicari",
    word: "Kata",
    searches: "kali dicari",
    missed: "tidak ketemu",
    empty: "Belum ada pencarian pembeli di bulan ini.",
    download_csv: "Unduh CSV",
    months_with_counts: "Bulan yang ada hitungannya",
};

static EN_DEMAND: DemandWords = DemandWords {
    title: "What buyers searched for",
    missed_heading: "Searched for but not found here",
    missed_hint: "Words that found no product at all in this market: goods local UMKM could offer, or words to add to kata-pencarian.txt.",
    no_missed: "Every word searched this month found products.",
    all_heading: "All searched words",
    word: "Word",
    searches: "times searched",
    missed: "not found",
    empty: "No buyer searches in this month yet.",
    download_csv: "Download CSV",
    months_with_counts: "Months with counts",
};

/// Where the demand counts come from and what they leave out.
pub(crate) fn demand_note(lang: Lang) -> String {
    let months = crate::node::DEMAND_MONTHS_KEPT;
    if lang == Lang::En {
        format!(
            "Counted from buyers' searches on this center's pages (the first page of results only), with no name, number or address of who searched. Words are kept for {months} months."
        )
    } else {
        format!(
            "Dihitung dari pencarian pembeli di halaman telecenter ini (hanya halaman pertama hasil), tanpa nama, nomor atau alamat orang yang mencari. Kata disimpan selama {months} bulan."
        )
    }
}

/// That a table shows only its first `shown` of `total` words.
pub(crate) fn demand_shown(lang: Lang, shown: usize, total: usize) -> String {
    if lang == Lang::En {
        format!("The first {shown} of {total} words; the CSV has them all.")
    } else {
        format!("{shown} kata pertama dari {total}; semuanya ada di CSV.")
    }
}
