//! The words of the pages that set up the center itself: the profile's fee
//! terms and addresses, the center card (`/operator/kartu`), peering from a
//! card on the network page, and the password page (`/operator/sandi`), in
//! Bahasa Indonesia and English.

use telecenter_protocol::catalog::Lang;
use telecenter_protocol::limits::{ADDRESS_CHARS_MAX, CARD_BYTES_MAX, CARD_LINES_MAX};

use crate::password::{PASSWORD_CHARS_MAX, PASSWORD_CHARS_MIN};

/// The words in `lang`.
pub(crate) fn center_words(lang: Lang) -> &'static CenterWords {
    if lang == Lang::En { &EN } else { &ID }
}

/// Strings of the center set-up pages.
pub(crate) struct CenterWords {
    pub(crate) fees_heading: &'static str,
    pub(crate) fee: &'static str,
    pub(crate) fee_hint: &'static str,
    pub(crate) fee_min: &'static str,
    pub(crate) fee_min_hint: &'static str,
    pub(crate) address: &'static str,
    pub(crate) address_hint: &'static str,
    pub(crate) public_url: &'static str,
    pub(crate) public_url_hint: &'static str,
    pub(crate) card: &'static str,
    pub(crate) card_intro: &'static str,
    pub(crate) card_text: &'static str,
    pub(crate) card_qr: &'static str,
    pub(crate) full_id: &'static str,
    pub(crate) copy_id: &'static str,
    pub(crate) copy_card: &'static str,
    pub(crate) copied: &'static str,
    pub(crate) no_address: &'static str,
    pub(crate) paste_card: &'static str,
    pub(crate) paste_hint: &'static str,
    pub(crate) connect: &'static str,
    pub(crate) confirm_heading: &'static str,
    pub(crate) confirm_hint: &'static str,
    pub(crate) confirm_yes: &'static str,
    pub(crate) cancel: &'static str,
    pub(crate) trusted_direct: &'static str,
    pub(crate) trusted_vouched: &'static str,
    pub(crate) connected: &'static str,
    pub(crate) unreachable: &'static str,
    pub(crate) not_a_telecenter: &'static str,
    pub(crate) card_without_address: &'static str,
    pub(crate) self_card: &'static str,
    pub(crate) password_page: &'static str,
    pub(crate) password_current: &'static str,
    pub(crate) password_new: &'static str,
    pub(crate) password_again: &'static str,
    pub(crate) password_changed: &'static str,
    pub(crate) password_wrong: &'static str,
    pub(crate) password_differ: &'static str,
    pub(crate) password_busy: &'static str,
    pub(crate) menu_card: &'static str,
    pub(crate) menu_password: &'static str,
}

static ID: CenterWords = CenterWords {
    fees_heading: "Biaya rujukan dan alamat",
    fee: "Biaya rujukan (%)",
    fee_hint: "Yang dibayar pusat ini kepada pusat lain yang membawa pembeli, misalnya 3 atau 2,5. Kosong atau 0: tidak ada biaya.",
    fee_min: "Biaya rujukan paling sedikit (Rp)",
    fee_min_hint: "Per pesanan, misalnya 1.000. Kosong atau 0: tidak ada batas bawah.",
    address: "Alamat node ini",
    address_hint: "Alamat yang dipakai pusat lain untuk menghubungi node ini, misalnya http://192.168.1.20:8470. Kosongkan bila node ini tidak bisa dihubungi dari luar.",
    public_url: "Alamat untuk pembeli (public_url)",
    public_url_hint: "Alamat yang dipakai tautan untuk pembeli (WhatsApp, Facebook, peta situs), misalnya https://toko.example atau http://192.168.1.20:8470. Kosongkan bila sama dengan alamat node ini. Disimpan di config.toml dan langsung berlaku.",
    card: "Kartu pusat",
    card_intro: "Kirim kartu ini ke petugas pusat lain (WhatsApp atau pindai kode QR). Mereka menempelnya di halaman Jaringan untuk tersambung dengan pusat ini.",
    card_text: "Teks kartu pusat",
    card_qr: "Kode QR kartu pusat",
    full_id: "Id pusat",
    copy_id: "Salin id",
    copy_card: "Salin kartu",
    copied: "Tersalin",
    no_address: "Kartu ini belum punya alamat node: pusat lain belum bisa menghubungi node ini. Isi alamat node di halaman Profil.",
    paste_card: "Tempel kartu pusat atau alamat",
    paste_hint: "Tempel kartu pusat yang dikirim petugas pusat lain (diawali TELECENTER-KARTU v1), atau tulis alamatnya saja, misalnya http://192.168.1.20:8470.",
    connect: "Sambungkan",
    confirm_heading: "Sambungkan dengan pusat ini?",
    confirm_hint: "Pusat ini akan ditambahkan sebagai rekan dan dipercaya: produknya tampil di pasar ini. Pastikan kartu ini memang dari petugasnya.",
    confirm_yes: "Ya, sambungkan dan percayai",
    cancel: "Batal",
    trusted_direct: "dipercaya langsung",
    trusted_vouched: "dipercaya lewat pusat lain",
    connected: "Tersambung",
    unreachable: "Telecenter di alamat itu tidak menjawab. Periksa alamat dan internet.",
    not_a_telecenter: "Alamat itu menjawab, tetapi bukan telecenter. Periksa alamatnya.",
    card_without_address: "Kartu ini tidak punya alamat node, jadi pusat itu tidak bisa dihubungi dari sini. Minta petugasnya mengisi alamat node di halaman Profil, atau minta dia menyambung ke pusat ini.",
    self_card: "Ini kartu pusat ini sendiri. Tempel kartu pusat lain.",
    password_page: "Ganti kata sandi",
    password_current: "Kata sandi sekarang",
    password_new: "Kata sandi baru",
    password_again: "Ulangi kata sandi baru",
    password_changed: "Kata sandi sudah diganti. Sesi di perangkat lain sudah dikeluarkan.",
    password_wrong: "Kata sandi sekarang salah.",
    password_differ: "Kata sandi baru dan ulangannya tidak sama.",
    password_busy: "Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi.",
    menu_card: "Kartu pusat",
    menu_password: "Kata sandi",
};

static EN: CenterWords = CenterWords {
    fees_heading: "Referral fee and addresses",
    fee: "Referral fee (%)",
    fee_hint: "What this center pays another center that brought the buyer, e.g. 3 or 2.5. Empty or 0: no fee.",
    fee_min: "Smallest referral fee (Rp)",
    fee_min_hint: "Per order, e.g. 1.000. Empty or 0: no minimum.",
    address: "This node's address",
    address_hint: "The address other centers use to reach this node, e.g. http://192.168.1.20:8470. Leave empty if this node cannot be reached from outside.",
    public_url: "Address for buyers (public_url)",
    public_url_hint: "The address links for buyers use (WhatsApp, Facebook, sitemap), e.g. https://shop.example or http://192.168.1.20:8470. Leave empty if it is the same as this node's address. Saved in config.toml and used at once.",
    card: "Center card",
    card_intro: "Send this card to the operator of another center (WhatsApp, or let them scan the QR code). They paste it on their Network page to connect to this center.",
    card_text: "Center card text",
    card_qr: "QR code of the center card",
    full_id: "Center id",
    copy_id: "Copy id",
    copy_card: "Copy card",
    copied: "Copied",
    no_address: "This card has no node address yet: other centers cannot reach this node. Fill in the node address on the Profile page.",
    paste_card: "Paste a center card or address",
    paste_hint: "Paste the center card another operator sent you (it starts with TELECENTER-KARTU v1), or type just the address, e.g. http://192.168.1.20:8470.",
    connect: "Connect",
    confirm_heading: "Connect to this center?",
    confirm_hint: "It will be added as a peer and trusted: its products show in this market. Make sure the card really comes from its operator.",
    confirm_yes: "Yes, connect and trust",
    cancel: "Cancel",
    trusted_direct: "trusted directly",
    trusted_vouched: "trusted through another center",
    connected: "Connected",
    unreachable: "The telecenter at that address does not answer. Check the address and the internet.",
    not_a_telecenter: "That address answers, but it is not a telecenter. Check the address.",
    card_without_address: "This card has no node address, so that center cannot be reached from here. Ask its operator to fill in the node address on the Profile page, or to connect to this center.",
    self_card: "This is this center's own card. Paste another center's card.",
    password_page: "Change password",
    password_current: "Current password",
    password_new: "New password",
    password_again: "New password again",
    password_changed: "The password was changed. Sessions on other devices were logged out.",
    password_wrong: "The current password is wrong.",
    password_differ: "The new password and its repetition differ.",
    password_busy: "Too many attempts. Wait a moment and try again.",
    menu_card: "Center card",
    menu_password: "Password",
};

/// The fee percentage could not be read.
pub(crate) fn fee_error(lang: Lang, typed: &str) -> String {
    let max = telecenter_protocol::fee::percent_text(telecenter_protocol::limits::FEE_BP_MAX);
    if lang == Lang::En {
        format!(
            "Referral fee: write a percentage from 0 to {max} with at most two decimals, e.g. 3 or 2,5; found '{}'.",
            crate::money::short(typed)
        )
    } else {
        format!(
            "Biaya rujukan: tulis persen 0 sampai {max} dengan paling banyak dua angka di belakang koma, misalnya 3 atau 2,5; tertulis '{}'.",
            crate::money::short(typed)
        )
    }
}

/// The smallest fee could not be read.
pub(crate) fn fee_min_error(lang: Lang, typed: &str) -> String {
    let max = crate::money::format_rupiah(telecenter_protocol::limits::FEE_MIN_IDR_MAX);
    if lang == Lang::En {
        format!(
            "Smallest referral fee: write whole rupiah from 0 to {max}, e.g. 1.000; found '{}'.",
            crate::money::short(typed)
        )
    } else {
        format!(
            "Biaya rujukan paling sedikit: tulis rupiah bulat 0 sampai {max}, misalnya 1.000; tertulis '{}'.",
            crate::money::short(typed)
        )
    }
}

/// A node address that is not one (relative, no scheme, a path, too long).
pub(crate) fn address_error(lang: Lang, typed: &str) -> String {
    if lang == Lang::En {
        format!(
            "Address: write the whole address starting with http:// or https://, e.g. http://192.168.1.20:8470, without a path (at most {ADDRESS_CHARS_MAX} characters); found '{}'.",
            crate::money::short(typed)
        )
    } else {
        format!(
            "Alamat: tulis alamat lengkap yang diawali http:// atau https://, misalnya http://192.168.1.20:8470, tanpa garis miring dan jalan di belakangnya (paling panjang {ADDRESS_CHARS_MAX} karakter); tertulis '{}'.",
            crate::money::short(typed)
        )
    }
}

/// The address for buyers could not be read.
pub(crate) fn public_url_error(lang: Lang, typed: &str) -> String {
    if lang == Lang::En {
        format!(
            "Address for buyers: write the whole address starting with http:// or https://, e.g. https://shop.example, without a path (at most {ADDRESS_CHARS_MAX} characters); found '{}'.",
            crate::money::short(typed)
        )
    } else {
        format!(
            "Alamat untuk pembeli: tulis alamat lengkap yang diawali http:// atau https://, misalnya https://toko.example, tanpa garis miring dan jalan di belakangnya (paling panjang {ADDRESS_CHARS_MAX} karakter); tertulis '{}'.",
            crate::money::short(typed)
        )
    }
}

/// The address for buyers could not be written to `config.toml`.
pub(crate) fn public_url_not_saved(lang: Lang, error: &str) -> String {
    if lang == Lang::En {
        format!(
            "The address for buyers was not saved: config.toml in the data folder could not be written ({error}). The rest of the profile was saved."
        )
    } else {
        format!(
            "Alamat untuk pembeli belum tersimpan: berkas config.toml di folder data tidak bisa ditulis ({error}). Isian profil lainnya sudah tersimpan."
        )
    }
}

/// A pasted text that is not a center card.
pub(crate) fn card_error(lang: Lang, error: &telecenter_protocol::card::CardError) -> String {
    use telecenter_protocol::card::CardError as E;
    let en = lang == Lang::En;
    match error {
        E::TooLarge(_) | E::TooManyLines(_) if en => format!("A center card has at most {CARD_LINES_MAX} lines and {CARD_BYTES_MAX} characters; paste only the card."),
        E::TooLarge(_) | E::TooManyLines(_) => format!("Kartu pusat paling banyak {CARD_LINES_MAX} baris dan {CARD_BYTES_MAX} karakter; tempel kartunya saja."),
        E::BadId(_) if en => "The card's id is damaged (a center id starts with tc1 and has 61 characters). Ask for the card again.".to_owned(),
        E::BadId(_) => "Id pada kartu rusak (id pusat diawali tc1 dan panjangnya 61 karakter). Minta kartunya lagi.".to_owned(),
        E::BadAddress(_) if en => "The card's address is not a whole address starting with http:// or https://. Ask for the card again.".to_owned(),
        E::BadAddress(_) => "Alamat pada kartu bukan alamat lengkap yang diawali http:// atau https://. Minta kartunya lagi.".to_owned(),
        _ if en => "This is not a whole center card: it must start with TELECENTER-KARTU v1 and have the lines nama, wilayah and id. Copy the whole card again.".to_owned(),
        _ => "Ini bukan kartu pusat yang utuh: kartu diawali TELECENTER-KARTU v1 dan punya baris nama, wilayah dan id. Salin seluruh kartunya lagi.".to_owned(),
    }
}

/// The card names one center but its address answers as another.
pub(crate) fn id_mismatch(lang: Lang, card_name: &str, address: &str, answered: &str) -> String {
    if lang == Lang::En {
        format!(
            "The card is for {card_name}, but the telecenter at {address} is {answered}. Ask for a new card; nothing was added."
        )
    } else {
        format!(
            "Kartu ini milik {card_name}, tetapi telecenter di {address} adalah {answered}. Minta kartu yang baru; tidak ada yang ditambahkan."
        )
    }
}

/// The new password's length is outside the limits.
pub(crate) fn password_length(lang: Lang, found: usize) -> String {
    if lang == Lang::En {
        format!(
            "The new password must have {PASSWORD_CHARS_MIN} to {PASSWORD_CHARS_MAX} characters; it has {found}."
        )
    } else {
        format!(
            "Kata sandi baru harus {PASSWORD_CHARS_MIN} sampai {PASSWORD_CHARS_MAX} karakter; yang ditulis {found} karakter."
        )
    }
}
