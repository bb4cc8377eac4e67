//! The words of the spreadsheet import page and the export links, in
//! Indonesian and English (row errors are Indonesian in both).

use telecenter_protocol::catalog::Lang;
use telecenter_protocol::limits::SHEET_BYTES_MAX;

/// Strings of the import page.
pub(crate) struct ImportWords {
    pub(crate) title: &'static str,
    pub(crate) intro: &'static str,
    pub(crate) file: &'static str,
    pub(crate) preview: &'static str,
    pub(crate) to_create: &'static str,
    pub(crate) to_update: &'static str,
    pub(crate) unchanged: &'static str,
    pub(crate) bad_rows: &'static str,
    pub(crate) row: &'static str,
    pub(crate) code: &'static str,
    pub(crate) product: &'static str,
    pub(crate) price: &'static str,
    pub(crate) action: &'static str,
    pub(crate) new: &'static str,
    pub(crate) change: &'static str,
    pub(crate) errors_skipped: &'static str,
    pub(crate) confirm: &'static str,
    pub(crate) nothing_to_do: &'static str,
    pub(crate) expired: &'static str,
    pub(crate) import_link: &'static str,
    pub(crate) download_csv: &'static str,
    pub(crate) download_xlsx: &'static str,
    pub(crate) back: &'static str,
}

static ID: ImportWords = ImportWords {
    title: "Impor dari spreadsheet",
    intro: "Unggah berkas .csv atau .xlsx. Baris 1 berisi nama kolom: kode, judul, harga, satuan, stok, kategori, produsen, deskripsi, status. Kode yang sudah dikenal mengubah produknya; kode baru menambah produk. Belum ada yang disimpan sampai Anda menekan tombol konfirmasi.",
    file: "Berkas spreadsheet",
    preview: "Pratinjau",
    to_create: "produk baru",
    to_update: "diubah",
    unchanged: "tidak berubah",
    bad_rows: "Baris yang salah",
    row: "Baris",
    code: "Kode",
    product: "Produk",
    price: "Harga",
    action: "Tindakan",
    new: "baru",
    change: "diubah",
    errors_skipped: "Baris yang salah dilewati; perbaiki di spreadsheet lalu unggah lagi.",
    confirm: "Simpan perubahan ini",
    nothing_to_do: "Tidak ada yang perlu disimpan.",
    expired: "Pratinjau ini sudah kedaluwarsa atau sudah disimpan. Unggah berkasnya lagi.",
    import_link: "Impor dari spreadsheet",
    download_csv: "Unduh CSV",
    download_xlsx: "Unduh XLSX",
    back: "Kembali ke produk saya",
};

static EN: ImportWords = ImportWords {
    title: "Import from a spreadsheet",
    intro: "Upload a .csv or .xlsx file. Row 1 names the columns: kode, judul, harga, satuan, stok, kategori, produsen, deskripsi, status. A known kode changes its product; a new kode adds one. Nothing is saved until you press the confirm button.",
    file: "Spreadsheet file",
    preview: "Preview",
    to_create: "new products",
    to_update: "changed",
    unchanged: "unchanged",
    bad_rows: "Bad rows",
    row: "Row",
    code: "Code",
    product: "Product",
    price: "Price",
    action: "Action",
    new: "new",
    change: "changed",
    errors_skipped: "Bad rows are skipped; fix them in the spreadsheet and upload again.",
    confirm: "Save these changes",
    nothing_to_do: "Nothing to save.",
    expired: "This preview has expired or was saved already. Upload the file again.",
    import_link: "Import from a spreadsheet",
    download_csv: "Download CSV",
    download_xlsx: "Download XLSX",
    back: "Back to my products",
};

/// The import page's words in `lang`.
pub(crate) fn import_words(lang: Lang) -> &'static ImportWords {
    if lang == Lang::En { &EN } else { &ID }
}

/// The one-line result after applying.
pub(crate) fn imported(lang: Lang, created: usize, updated: usize) -> String {
    if lang == Lang::En {
        format!("Imported: {created} new products, {updated} changed.")
    } else {
        format!("Impor selesai: {created} produk baru, {updated} diubah.")
    }
}

/// An upload over the limit, or a form that cannot be read.
pub(crate) fn sheet_upload_unreadable(lang: Lang) -> String {
    let mb = SHEET_BYTES_MAX / (1024 * 1024);
    if lang == Lang::En {
        format!("The file is too large (at most {mb} MB), or the form could not be read.")
    } else {
        format!("Berkas terlalu besar (paling besar {mb} MB), atau formulir tidak bisa dibaca.")
    }
}
