//! The province's catalogs: signed changes made the way centers make them
//! (genesis, then one change per listing), with titles and descriptions drawn
//! from an Indonesian product vocabulary so that search sees varied words.

use std::sync::mpsc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use telecenter_protocol::catalog::CatalogDoc;
use telecenter_protocol::catalog::input::{NewListing, ProfileInput};
use telecenter_protocol::{CenterId, Identity};

/// One center's catalog as its peers receive it.
pub(crate) struct Catalog {
    /// The center's key (to sign later edits).
    pub(crate) identity: Identity,
    /// Its signed changes in order, genesis first.
    pub(crate) changes: Vec<Vec<u8>>,
}

impl Catalog {
    /// The center.
    pub(crate) fn center(&self) -> CenterId {
        self.identity.center_id()
    }
}

/// The key of center number `n` (a fixed, distinct key per number).
pub(crate) fn identity(n: usize) -> Identity {
    let mut secret = [7u8; 32];
    secret[..8].copy_from_slice(&(n as u64).to_le_bytes());
    Identity::from_secret_bytes(&secret)
}

/// A node's or center's profile.
pub(crate) fn profile(name: &str, region: &str) -> ProfileInput {
    ProfileInput {
        name: Some(name.to_owned()),
        region: Some(region.to_owned()),
        ..ProfileInput::default()
    }
}

/// Center `n`'s catalog of `listings` listings, made at `now_ms`.
pub(crate) fn catalog(n: usize, listings: usize, now_ms: i64) -> Catalog {
    let identity = identity(n);
    let region = REGIONS[n % REGIONS.len()];
    let (mut doc, genesis) = CatalogDoc::create(
        &identity,
        &profile(
            &format!("Telecenter {region} {n}"),
            &format!("Kabupaten {region}"),
        )
        .validate_new()
        .expect("profile"),
        now_ms,
    )
    .expect("genesis");
    let mut rng = StdRng::seed_from_u64(n as u64);
    let mut changes = Vec::with_capacity(listings + 1);
    changes.push(genesis.to_bytes());
    for i in 0..listings {
        let listing = new_listing(&mut rng, region, i)
            .validate()
            .expect("listing");
        let (_, signed) = doc
            .add_listing(&identity, &mut rng, &listing, now_ms + i as i64)
            .expect("add listing");
        changes.push(signed.to_bytes());
    }
    Catalog { identity, changes }
}

/// Centers `first..first + count`, made on `threads` threads and handed over in
/// order through a bounded channel, so that a consumer holds only a few at once.
pub(crate) fn stream(
    first: usize,
    count: usize,
    listings: usize,
    now_ms: i64,
    threads: usize,
) -> mpsc::Receiver<Catalog> {
    let (send, receive) = mpsc::sync_channel(4);
    std::thread::spawn(move || {
        let threads = threads.max(1);
        let mut next = first;
        while next < first + count {
            let batch: Vec<usize> = (next..(next + threads).min(first + count)).collect();
            next += batch.len();
            let made: Vec<Catalog> = std::thread::scope(|scope| {
                let handles: Vec<_> = batch
                    .iter()
                    .map(|&n| scope.spawn(move || catalog(n, listings, now_ms)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("maker"))
                    .collect()
            });
            for catalog in made {
                if send.send(catalog).is_err() {
                    return;
                }
            }
        }
    });
    receive
}

/// Centers `first..first + count`, all in memory.
pub(crate) fn all(first: usize, count: usize, listings: usize, now_ms: i64) -> Vec<Catalog> {
    stream(first, count, listings, now_ms, 2)
        .into_iter()
        .collect()
}

/// Listing number `n` of a center in `place`, varied by `rng`.
pub(crate) fn new_listing(rng: &mut StdRng, place: &str, n: usize) -> NewListing {
    let (product, category) = PRODUCTS[rng.gen_range(0..PRODUCTS.len())];
    let modifier = MODIFIERS[rng.gen_range(0..MODIFIERS.len())];
    let mut description = format!("{product} {modifier} produk asli UMKM {place}.");
    for _ in 0..14 {
        description.push(' ');
        description.push_str(DESCRIPTION_WORDS[rng.gen_range(0..DESCRIPTION_WORDS.len())]);
    }
    NewListing {
        title: format!("{product} {modifier} {place} {}", n % 97),
        description,
        category: category.into(),
        price_idr: rng.gen_range(5..500) * 1000,
        stock: rng.gen_range(0..60),
        unit: Some("bungkus".into()),
        producer: Some(format!("UMKM {place} {}", n % 50)),
        producer_village: None,
        lang: None,
        photos: Vec::new(),
    }
}

/// Queries as buyers type them (typos, variants, places, categories).
pub(crate) const QUERIES: &[&str] = &[
    "keripik",
    "keripik pisang",
    "kripik tempe pedas",
    "kopi",
    "kopi robusta malang",
    "jamu kunyit asem",
    "jamu pegel linu",
    "batik",
    "baju batik",
    "camilan",
    "oleh oleh",
    "tas anyaman",
    "madu asli",
    "minuman",
    "kerajinan",
    "ikan hias",
    "keripk pisang",
    "temulawk",
    "miniatur reyog",
    "sambel",
    "jual keripik pisang murah",
    "sarung tenun sumenep",
    "gula aren",
    "beras organik",
];

/// Words in most listings: the worst case for ranking and counting.
pub(crate) const COMMON: &[&str] = &["umkm", "asli", "produk"];

/// Part of the product vocabulary.
pub(crate) const PRODUCTS: &[(&str, &str)] = &[
    ("Keripik Pisang", "makanan"),
    ("Keripik Tempe", "makanan"),
    ("Kripik Singkong", "makanan"),
    ("Kerupuk Udang", "makanan"),
    ("Krupuk Ikan", "makanan"),
    ("Rengginang Ketan", "makanan"),
    ("Opak Gambir", "makanan"),
    ("Sambal Bawang", "makanan"),
    ("Sambel Pecel", "makanan"),
    ("Dodol Durian", "makanan"),
    ("Jenang Ketan", "makanan"),
    ("Bandeng Presto", "makanan"),
    ("Abon Sapi", "makanan"),
    ("Kopi Robusta", "minuman"),
    ("Kopi Arabika", "minuman"),
    ("Sari Apel", "minuman"),
    ("Wedang Jahe", "minuman"),
    ("Sirup Markisa", "minuman"),
    ("Jamu Kunyit Asam", "jamu-kesehatan"),
    ("Jamu Beras Kencur", "jamu-kesehatan"),
    ("Jamu Pegal Linu", "jamu-kesehatan"),
    ("Temulawak Serbuk", "jamu-kesehatan"),
    ("Batik Tulis", "fesyen"),
    ("Batik Cap", "fesyen"),
    ("Kemeja Batik", "fesyen"),
    ("Sarung Tenun", "fesyen"),
    ("Kerudung Rajut", "fesyen"),
    ("Tas Anyaman", "kerajinan"),
    ("Topeng Kayu", "kerajinan"),
    ("Gerabah Hias", "kerajinan"),
    ("Miniatur Reog", "kerajinan"),
    ("Ukiran Kayu Jati", "kerajinan"),
    ("Beras Organik", "pertanian"),
    ("Madu Hutan", "pertanian"),
    ("Gula Aren", "pertanian"),
    ("Telur Ayam Kampung", "pertanian"),
    ("Apel Manalagi", "pertanian"),
    ("Ikan Koi", "lainnya"),
    ("Jasa Jahit", "jasa"),
    ("Servis Laptop", "jasa"),
];

/// Part of the product vocabulary.
pub(crate) const MODIFIERS: &[&str] = &[
    "Original",
    "Pedas",
    "Manis",
    "Asin",
    "Premium",
    "Super",
    "Mini",
    "Jumbo",
    "Segar",
    "Kering",
    "Halus",
    "Kasar",
    "Merah",
    "Putih",
    "Hitam",
    "Hijau",
    "Khas",
    "Spesial",
    "Rumahan",
    "Kemasan",
    "Botol",
    "Sachet",
    "Toples",
    "Bubuk",
    "Biji",
    "Sangrai",
    "Instan",
    "Motif Bunga",
    "Motif Merak",
    "Warna Alam",
];

/// Part of the product vocabulary.
pub(crate) const REGIONS: &[&str] = &[
    "Malang",
    "Blitar",
    "Kediri",
    "Tulungagung",
    "Trenggalek",
    "Ponorogo",
    "Pacitan",
    "Madiun",
    "Magetan",
    "Ngawi",
    "Bojonegoro",
    "Tuban",
    "Lamongan",
    "Gresik",
    "Sidoarjo",
    "Mojokerto",
    "Jombang",
    "Nganjuk",
    "Pasuruan",
    "Probolinggo",
    "Lumajang",
    "Jember",
    "Bondowoso",
    "Situbondo",
    "Banyuwangi",
    "Bangkalan",
    "Sampang",
    "Pamekasan",
    "Sumenep",
    "Batu",
];

/// Part of the product vocabulary.
pub(crate) const DESCRIPTION_WORDS: &[&str] = &[
    "renyah",
    "gurih",
    "tanpa",
    "pengawet",
    "dibuat",
    "dari",
    "bahan",
    "pilihan",
    "olahan",
    "tangan",
    "perajin",
    "desa",
    "cocok",
    "untuk",
    "oleh",
    "keluarga",
    "tahan",
    "lama",
    "dikemas",
    "rapat",
    "higienis",
    "halal",
    "berkualitas",
    "harga",
    "terjangkau",
    "pesan",
    "sekarang",
    "siap",
    "kirim",
    "setiap",
    "hari",
    "tradisional",
    "resep",
    "turun",
    "temurun",
];
