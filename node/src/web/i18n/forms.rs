//! The words of forms that forgive (issue 14): a price of Rp 0 confirmed as
//! free, the photo kept across a form error, the listing status as a state,
//! and number limits stated in the message; Bahasa Indonesia and English.

use telecenter_protocol::catalog::Lang;

use crate::money::{format_rupiah, format_whole};

/// The forms' words in `lang`.
pub(crate) fn words(lang: Lang) -> &'static FormWords {
    if lang == Lang::En { &EN } else { &ID }
}

/// Strings of the listing and order forms.
pub(crate) struct FormWords {
    /// The checkbox that confirms a price of Rp 0.
    pub(crate) free: &'static str,
    /// A price of 0 without that checkbox.
    pub(crate) price_zero: &'static str,
    /// Under the thumbnail of a photo kept across a form error.
    pub(crate) photo_kept: &'static str,
    /// The checkbox that lets go of that photo.
    pub(crate) drop_kept: &'static str,
    /// A listing's state on the product list: for sale, hidden.
    pub(crate) states: [&'static str; 2],
    /// Above a form with problems next to its fields.
    pub(crate) fix_below: &'static str,
    /// A kept photo that cannot be found any more.
    pub(crate) kept_photo_gone: &'static str,
}

static ID: FormWords = FormWords {
    free: "Gratis (harga Rp 0)",
    price_zero: "Harga: Rp 0 berarti gratis. Tulis harganya, atau centang “Gratis” kalau memang gratis.",
    photo_kept: "Foto ini akan disimpan bersama produk. Tidak perlu memilih lagi.",
    drop_kept: "Jangan pakai foto ini",
    states: ["Dijual", "Disembunyikan"],
    fix_below: "Perbaiki isian yang ditandai merah di bawah, lalu simpan lagi.",
    kept_photo_gone: "Foto: foto yang dipilih tadi tidak ditemukan lagi; pilih fotonya sekali lagi.",
};

static EN: FormWords = FormWords {
    free: "Free (price Rp 0)",
    price_zero: "Price: Rp 0 means free. Write the price, or tick “Free” if it really is free.",
    photo_kept: "This photo will be saved with the product. No need to choose it again.",
    drop_kept: "Do not use this photo",
    states: ["For sale", "Hidden"],
    fix_below: "Fix the fields marked in red below, then save again.",
    kept_photo_gone: "Photo: the photo chosen before cannot be found any more; choose it once more.",
};

/// "{field} paling banyak {limit}." with the limit grouped in thousands (in
/// rupiah for a money field).
pub(crate) fn at_most(lang: Lang, field: &str, error_field: &str, limit: i64) -> String {
    let money = matches!(
        error_field,
        "price" | "price_idr" | "amount" | "amount_idr" | "fee_min_idr" | "fee-min"
    );
    let limit = if money {
        format_rupiah(limit)
    } else {
        format_whole(limit)
    };
    if lang == Lang::En {
        format!("{field}: at most {limit}.")
    } else {
        format!("{field} paling banyak {limit}.")
    }
}

/// The order help's line about the center that takes the buyer's request.
pub(crate) fn order_here(lang: Lang, name: &str, region: &str, contact: Option<&str>) -> String {
    match (lang, contact) {
        (Lang::En, Some(contact)) => {
            format!("Your order is taken by {name} ({region}), where you are. Contact: {contact}.")
        }
        (Lang::En, None) => format!("Your order is taken by {name} ({region}), where you are."),
        (_, Some(contact)) => {
            format!(
                "Pesanan Anda diterima oleh {name} ({region}), tempat Anda sekarang. Kontak: {contact}."
            )
        }
        (_, None) => format!("Pesanan Anda diterima oleh {name} ({region}), tempat Anda sekarang."),
    }
}

/// The order help's line when the product is sold by another center.
pub(crate) fn sold_by_other(lang: Lang, seller: &str, region: &str) -> String {
    if lang == Lang::En {
        format!("The product is sold by {seller} ({region}); this center arranges it with them.")
    } else {
        format!(
            "Produk ini dijual oleh {seller} ({region}); telecenter ini yang mengurusnya dengan penjual."
        )
    }
}
