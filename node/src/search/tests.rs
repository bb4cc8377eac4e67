//! The search engine over the demo's sample catalogs (99 listings of five
//! centers) and over small made-up catalogs: each finding of issue 12, each
//! word-form class and each ranking rule.

use std::sync::Arc;

use rand::SeedableRng;
use telecenter_protocol::catalog::{Category, ListingStatus};
use telecenter_protocol::{CenterId, Identity};

use super::*;

const SAMPLES: [(&str, &str); 5] = [
    ("malang", include_str!("../sample_catalog.json")),
    ("blitar", include_str!("../sample_catalog_blitar.json")),
    ("gresik", include_str!("../sample_catalog_gresik.json")),
    ("ponorogo", include_str!("../sample_catalog_ponorogo.json")),
    ("sumenep", include_str!("../sample_catalog_sumenep.json")),
];

pub(super) fn center(seed: u64) -> CenterId {
    Identity::generate(&mut rand::rngs::StdRng::seed_from_u64(seed)).center_id()
}

/// A made-up listing of `center`.
pub(super) fn listing(rowid: i64, center: CenterId, title: &str, body: &str) -> IndexedListing {
    IndexedListing {
        rowid,
        center,
        title: title.into(),
        other_titles: String::new(),
        producer: String::new(),
        body: body.into(),
        category: Category::Makanan,
        status: ListingStatus::Active,
        price_idr: 10_000,
        stock: 10,
        updated_at_ms: 1_000,
    }
}

/// The demo's five sample catalogs in one index, and each row's title.
fn demo() -> (Index, Vec<String>) {
    let mut index = Index::new(Arc::new(Words::builtin()));
    let mut titles = vec![String::new()];
    for (n, (_, json)) in SAMPLES.iter().enumerate() {
        let catalog: serde_json::Value = serde_json::from_str(json).unwrap();
        let id = center(n as u64 + 1);
        let profile = &catalog["profile"];
        index.put_center(
            id,
            profile["name"].as_str().unwrap(),
            profile["region"].as_str().unwrap(),
        );
        for item in catalog["listings"].as_array().unwrap() {
            let rowid = titles.len() as i64;
            let text = |key: &str| item[key].as_str().unwrap_or("").to_owned();
            titles.push(text("title"));
            index.put(&IndexedListing {
                rowid,
                center: id,
                title: text("title"),
                other_titles: text("en"),
                producer: text("producer"),
                body: format!("{} {}", text("description"), text("unit")),
                category: text("category").parse().unwrap(),
                status: ListingStatus::Active,
                price_idr: item["price_idr"].as_i64().unwrap(),
                stock: item["stock"].as_i64().unwrap(),
                updated_at_ms: 1_000,
            });
        }
    }
    assert_eq!(index.len(), 99);
    (index, titles)
}

fn query(text: &str) -> SearchQuery {
    SearchQuery {
        text: Some(text.to_owned()),
        limit: 100,
        ..SearchQuery::default()
    }
}

fn find(demo: &(Index, Vec<String>), text: &str) -> Vec<String> {
    demo.0
        .search(&query(text))
        .rowids
        .iter()
        .map(|&r| demo.1[r as usize].clone())
        .collect()
}

fn rank(found: &[String], title: &str) -> usize {
    found
        .iter()
        .position(|t| t == title)
        .unwrap_or_else(|| panic!("{title} not found in {found:?}"))
}

// --- Each row of the issue's table ---

#[test]
fn kopi_ranks_every_coffee_above_the_kopiah() {
    let demo = demo();
    let found = find(&demo, "kopi");
    let coffees = demo.1.iter().filter(|t| t.starts_with("Kopi ")).count();
    assert_eq!(coffees, 6);
    let first = found.iter().take_while(|t| t.starts_with("Kopi ")).count();
    assert_eq!(first, coffees, "{found:?}");
    assert!(
        found.iter().all(|t| t != "Kopiah Rajut Putih")
            || rank(&found, "Kopiah Rajut Putih") >= coffees
    );
}

#[test]
fn kunyit_asem_finds_both_spellings_first() {
    let found = find(&demo(), "kunyit asem");
    let top: Vec<&str> = found.iter().take(2).map(String::as_str).collect();
    assert!(top.contains(&"Jamu Kunyit Asam"), "{found:?}");
    assert!(top.contains(&"Jamu Kunir Asem Botol"), "{found:?}");
}

#[test]
fn jamu_pegel_linu_finds_jamu_pegal_linu_first() {
    let demo = demo();
    assert_eq!(find(&demo, "jamu pegel linu")[0], "Jamu Pegal Linu Madura");
    // A spelling variant, not a typing mistake: no "did you mean" (once "pecel").
    assert_eq!(
        demo.0.search(&query("jamu pegel linu")).hints.corrected,
        None
    );
}

#[test]
fn miniatur_reyog_finds_the_reog_miniature_first() {
    let demo = demo();
    assert_eq!(
        find(&demo, "miniatur reyog")[0],
        "Miniatur Reog Dadak Merak"
    );
    assert_eq!(
        demo.0.search(&query("miniatur reyog")).hints.corrected,
        None
    );
}

#[test]
fn the_issues_spelling_variants_are_in_the_word_table() {
    let words = Words::builtin();
    for (variant, standard) in [
        ("asem", "asam"),
        ("pegel", "pegal"),
        ("reyog", "reog"),
        ("sambel", "sambal"),
        ("kripik", "keripik"),
        ("krupuk", "kerupuk"),
    ] {
        assert_eq!(words.canon(variant), standard, "{variant}");
    }
}

#[test]
fn baju_batik_finds_batik_shirts_then_batik_cloth() {
    let found = find(&demo(), "baju batik");
    assert_eq!(found[0], "Kemeja Batik Cap Malangan", "{found:?}");
    for cloth in ["Batik Tulis Pakandangan", "Batik Ponorogo Motif Merak"] {
        assert!(rank(&found, cloth) < 10, "{cloth}: {found:?}");
    }
}

#[test]
fn camilan_finds_snacks() {
    let found = find(&demo(), "camilan");
    for snack in [
        "Keripik Tempe Sanan Original",
        "Kripik Pisang Agung Manis",
        "Kerupuk Ikan Tenggiri Mentah",
        "Rengginang Lorjuk Mentah",
        "Opak Gambir Rasa Pandan",
    ] {
        rank(&found, snack);
    }
    assert!(
        found
            .iter()
            .all(|t| !t.starts_with("Jasa") && !t.starts_with("Kopi")),
        "{found:?}"
    );
}

#[test]
fn ikan_hias_finds_the_koi_first() {
    let found = find(&demo(), "ikan hias");
    let top: Vec<&str> = found.iter().take(2).map(String::as_str).collect();
    assert!(top.contains(&"Ikan Koi Kohaku Lokal 12–15 cm"), "{found:?}");
    assert!(top.contains(&"Ikan Koi Campur Anakan"), "{found:?}");
}

// --- Recall: any word ---

#[test]
fn any_word_matches_and_listings_with_all_words_come_first() {
    let demo = demo();
    let found = find(&demo, "keripik apel");
    assert_eq!(found[0], "Keripik Apel Malang");
    // Listings with only one of the words follow: never an empty page.
    rank(&found, "Apel Manalagi Segar");
    rank(&found, "Keripik Pisang Kepok Original");
    let none_in_common = find(&demo, "kopi batik");
    rank(&none_in_common, "Kopi Gresik Bubuk Halus");
    rank(&none_in_common, "Batik Ponorogo Motif Merak");
}

#[test]
fn related_products_follow_every_real_match_and_do_not_count_as_found() {
    let id = center(9);
    let mut index = Index::new(Arc::new(Words::builtin()));
    index.put(&listing(1, id, "Ikan Cupang Halfmoon", ""));
    index.put(&listing(2, id, "Ikan Koi Kohaku", ""));
    index.put(&listing(
        3,
        id,
        "Pakan Ikan Apung",
        "pelet untuk koi dan cupang",
    ));
    let hits = index.search(&query("koi"));
    assert_eq!(
        hits.rowids,
        [2, 3, 1],
        "the koi, koi food, then another ornamental fish"
    );
    assert!(hits.hints.missed.is_empty());
    // A related product alone is shown, but the word still counts as not found
    // for the operator's demand report.
    index.remove(2);
    index.remove(3);
    let hits = index.search(&query("koi"));
    assert_eq!(hits.rowids, [1]);
    assert_eq!(hits.hints.missed, ["koi"]);
    // A grab-bag broader word ("oleh oleh") relates nothing: keripik is not kopi.
    index.put(&listing(4, id, "Kopi Bubuk", ""));
    assert!(index.search(&query("keripik")).rowids.is_empty());
}

// --- Word forms ---

#[test]
fn reduplicated_words_find_the_plain_word() {
    let id = center(9);
    let mut index = Index::new(Arc::new(Words::builtin()));
    index.put(&listing(1, id, "Buah Naga Merah", "segar dari kebun"));
    index.put(&listing(2, id, "Paket Oleh-oleh Khas", "isi jajanan"));
    index.put(&listing(3, id, "Sayur-sayuran Segar", "bayam dan kangkung"));
    for (text, rowid) in [
        ("buah-buahan", 1),
        ("oleh2", 2),
        ("oleh oleh", 2),
        ("sayur mayur", 3),
        ("sayur", 3),
    ] {
        let hits = index.search(&query(text));
        assert_eq!(hits.rowids.first(), Some(&rowid), "{text}: {hits:?}");
    }
}

#[test]
fn affixed_words_find_their_root_and_back_but_rank_below_the_word() {
    let id = center(9);
    let mut index = Index::new(Arc::new(Words::builtin()));
    index.put(&listing(1, id, "Garam Halus Beryodium", "garam dapur"));
    index.put(&listing(2, id, "Ikan Olahan Beku", "siap goreng"));
    index.put(&listing(3, id, "Olah Tani Modern", "jasa pelatihan"));
    assert_eq!(index.search(&query("yodium")).rowids, [1]);
    let olah = index.search(&query("olahan")).rowids;
    assert_eq!(olah, [2, 3], "the word itself before its root");
    let olah = index.search(&query("olah")).rowids;
    assert_eq!(olah, [3, 2], "the word itself before its affixed form");
}

#[test]
fn spelling_variants_find_each_other_at_full_weight() {
    let id = center(9);
    let mut index = Index::new(Arc::new(Words::builtin()));
    for (rowid, title) in [
        (1, "Sambel Bawang"),
        (2, "Kripik Singkong"),
        (3, "Krupuk Udang"),
        (4, "Jamu Pegel Linu"),
        (5, "Tempe Mendoan"),
    ] {
        index.put(&listing(rowid, id, title, ""));
    }
    for (text, rowid) in [
        ("sambal", 1),
        ("keripik", 2),
        ("kerupuk", 3),
        ("pegal", 4),
        ("tempeh", 5),
        ("Sambél", 1),
    ] {
        // The variant first; related products (kerupuk for keripik) may follow.
        assert_eq!(index.search(&query(text)).rowids[0], rowid, "{text}");
    }
}

#[test]
fn typos_of_one_or_two_letters_are_corrected_on_long_words_only() {
    let demo = demo();
    for (typo, title, corrected) in [
        ("keripk", "Keripik Apel Malang", "keripik"),
        ("pisnag", "Kripik Pisang Agung Manis", "pisang"),
        ("tmulawak", "Jamu Temulawak Serbuk", "temulawak"),
        ("temulwk", "Jamu Temulawak Serbuk", "temulawak"),
    ] {
        let hits = demo.0.search(&query(typo));
        let titles: Vec<&str> = hits
            .rowids
            .iter()
            .map(|&r| demo.1[r as usize].as_str())
            .collect();
        assert!(titles.contains(&title), "{typo}: {titles:?}");
        assert_eq!(hits.hints.corrected.as_deref(), Some(corrected), "{typo}");
    }
    // Short words are not corrected: "kopu" is not "kopi".
    let hits = demo.0.search(&query("kopu"));
    assert_eq!(hits.total, 0);
    assert_eq!(hits.hints.corrected, None);
    // Correct words get no "did you mean".
    assert_eq!(demo.0.search(&query("keripik")).hints.corrected, None);
}

#[test]
fn category_words_find_the_category() {
    let demo = demo();
    let found = find(&demo, "minuman");
    for drink in [
        "Sari Apel Malang",
        "Kopi Robusta Dampit Bubuk",
        "Dawet Jabung Paket Keluarga",
    ] {
        rank(&found, drink);
    }
    let crafts = find(&demo, "kerajinan");
    rank(&crafts, "Topeng Malangan Kayu");
    rank(&crafts, "Damar Kurung Mini");
}

#[test]
fn place_words_match_the_selling_center_and_rank_local_products_first() {
    let demo = demo();
    let found = find(&demo, "keripik blitar");
    assert_eq!(found[0], "Keripik Pisang Kepok Original", "{found:?}");
    // The same product from elsewhere follows, above other Blitar products.
    assert!(rank(&found, "Keripik Tempe Sanan Original") < rank(&found, "Telur Ayam Ras Petelur"));
    // A place that contains the center's region: Madura holds Sumenep.
    let madura = find(&demo, "jamu madura");
    rank(&madura, "Jamu Sehat Kunyit Sirih");
    assert!(rank(&madura, "Jamu Sehat Kunyit Sirih") < rank(&madura, "Jamu Beras Kencur"));
}

// --- Ranking rules ---

#[test]
fn title_outranks_producer_which_outranks_description() {
    let id = center(9);
    let mut index = Index::new(Arc::new(Words::builtin()));
    let mut in_body = listing(1, id, "Sirup Jeruk", "dengan madu hutan");
    in_body.updated_at_ms = 3;
    let mut in_producer = listing(2, id, "Sirup Nanas", "manis");
    in_producer.producer = "Madu Sari UMKM".into();
    in_producer.updated_at_ms = 2;
    let in_title = listing(3, id, "Madu Hutan Asli", "botol");
    for l in [&in_body, &in_producer, &in_title] {
        index.put(l);
    }
    assert_eq!(index.search(&query("madu")).rowids, [3, 2, 1]);
}

#[test]
fn whole_word_outranks_completion_which_outranks_typo() {
    let id = center(9);
    let mut index = Index::new(Arc::new(Words::builtin()));
    index.put(&listing(1, id, "Bakpia Kacang Hijau", ""));
    index.put(&listing(2, id, "Bakpiaku Keju", ""));
    // "bakpia" is a word: its completion "bakpiaku" is not offered.
    assert_eq!(index.search(&query("bakpia")).rowids, [1]);
    // "bakpi" is unfinished: both complete it.
    assert_eq!(index.search(&query("bakpi")).total, 2);
    // A typo finds the word, weighted below a real match of another word.
    index.put(&listing(3, id, "Kacang Bawang", ""));
    let hits = index.search(&query("kacamg"));
    assert_eq!(hits.hints.corrected.as_deref(), Some("kacang"));
}

#[test]
fn words_side_by_side_in_the_title_earn_the_phrase_bonus() {
    let id = center(9);
    let mut index = Index::new(Arc::new(Words::builtin()));
    index.put(&listing(1, id, "Gula Jawa Merah", "")); // words apart
    index.put(&listing(2, id, "Gula Merah Tebu", "")); // side by side
    assert_eq!(index.search(&query("gula merah")).rowids, [2, 1]);
}

#[test]
fn in_stock_outranks_out_of_stock_and_equal_scores_keep_a_stable_order() {
    let id = center(9);
    let mut index = Index::new(Arc::new(Words::builtin()));
    let mut sold_out = listing(1, id, "Dodol Durian", "");
    sold_out.stock = 0;
    sold_out.updated_at_ms = 9;
    index.put(&sold_out);
    index.put(&listing(2, id, "Dodol Nanas", ""));
    index.put(&listing(3, id, "Dodol Salak", ""));
    index.put(&listing(4, id, "Dodol Apel", ""));
    let first = index.search(&query("dodol")).rowids;
    assert_eq!(first, [2, 3, 4, 1]);
    for _ in 0..5 {
        assert_eq!(index.search(&query("dodol")).rowids, first);
    }
}

// --- Parameters ---

#[test]
fn raw_searches_are_checked() {
    let ok = RawSearch {
        q: Some("keripik".into()),
        category: Some("makanan".into()),
        min_price: Some("10.000".into()),
        max_price: Some("20000".into()),
        limit: Some("5".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    assert_eq!(ok.min_price_idr, Some(10_000));
    assert_eq!(ok.limit, 5);
    for (raw, field) in [
        (
            RawSearch {
                category: Some("senjata".into()),
                ..Default::default()
            },
            "category",
        ),
        (
            RawSearch {
                min_price: Some("abc".into()),
                ..Default::default()
            },
            "min_price",
        ),
        (
            RawSearch {
                min_price: Some("5".into()),
                max_price: Some("4".into()),
                ..Default::default()
            },
            "min_price",
        ),
        (
            RawSearch {
                limit: Some("1000".into()),
                ..Default::default()
            },
            "limit",
        ),
        (
            RawSearch {
                limit: Some("-1".into()),
                ..Default::default()
            },
            "limit",
        ),
        (
            RawSearch {
                offset: Some("99999999".into()),
                ..Default::default()
            },
            "offset",
        ),
        (
            RawSearch {
                center: Some("tc1nope".into()),
                ..Default::default()
            },
            "center",
        ),
        (
            RawSearch {
                q: Some("q".repeat(QUERY_CHARS_MAX + 1)),
                ..Default::default()
            },
            "q",
        ),
        (
            RawSearch {
                sort: Some("random".into()),
                ..Default::default()
            },
            "sort",
        ),
        (
            RawSearch {
                lang: Some("fr".into()),
                ..Default::default()
            },
            "lang",
        ),
        (
            RawSearch {
                status: Some("active,sold".into()),
                ..Default::default()
            },
            "status",
        ),
    ] {
        assert_eq!(raw.validate().unwrap_err().field, field);
    }
}

// --- Help on the pages, odd input ---

#[test]
fn no_match_offers_near_words_and_empty_queries_find_nothing() {
    let demo = demo();
    let hits = demo.0.search(&query("zzzzzz"));
    assert_eq!(hits.total, 0);
    assert_eq!(hits.hints.missed, ["zzzzzz"]);
    let hits = demo.0.search(&query("kopu"));
    assert!(
        hits.hints.suggestions.contains(&"kopi".to_owned()),
        "{hits:?}"
    );
    for empty in ["", "   ", "?!...", "\"*()"] {
        assert_eq!(demo.0.search(&query(empty)), Hits::default(), "{empty:?}");
    }
}

#[test]
fn fts_syntax_in_queries_is_only_words() {
    let demo = demo();
    let plain = find(&demo, "keripik tempe");
    for text in [
        "keripik AND tempe",
        "\"keripik\" tempe*",
        "{title}: keripik NEAR(tempe)",
        "keripik -tempe",
    ] {
        let found = find(&demo, text);
        assert_eq!(found[..2], plain[..2], "{text}");
    }
}

#[test]
fn filler_words_are_dropped_unless_they_are_all_there_is() {
    let demo = demo();
    assert_eq!(
        find(&demo, "jual madu yang murah")[0],
        "Madu Kelengkeng Lawang"
    );
}

#[test]
fn filters_and_sorts_apply_to_text_searches() {
    let demo = demo();
    let mut q = query("keripik");
    q.sort = Sort::PriceAsc;
    let hits = demo.0.search(&q);
    let prices: Vec<i64> = hits
        .rowids
        .iter()
        .map(|r| demo.0.docs[demo.0.slot_of[r] as usize].price_idr)
        .collect();
    assert!(prices.is_sorted(), "{prices:?}");
    q.category = Some(Category::Minuman);
    assert_eq!(demo.0.search(&q).total, 0);
    q.offset = 1;
    q.limit = 1;
    q.category = None;
    assert_eq!(demo.0.search(&q).rowids.len(), 1);
}

/// Text a careless seller or a hostile buyer may type: combining marks,
/// invisible marks, other scripts' digits and letters, case changes that
/// change length, long and repeated words, the engine's own stem mark, NUL.
const NASTY: &[&str] = &[
    "",
    "\0",
    "kopi\0bubuk",
    "ko\u{301}\u{302}\u{303}\u{304}\u{305}pi",
    "a\u{300}\u{300}\u{300}\u{300}\u{300}\u{300}\u{300}\u{300}\u{300}\u{300}",
    "\u{301}\u{301}\u{301}",
    "kop\u{200b}i",
    "ke\u{200d}ri\u{200c}pik",
    "\u{200f}\u{202e}kopi\u{202c}\u{200e}",
    "kopi\u{ad}bubuk",
    "\u{feff}madu",
    "🍌🍌 keripik 🍌 pisang 👨‍👩‍👧",
    "٢٢٢٢ ١٢٣٤٥٦٧٨٩٠ 三四五",
    "ＫＯＰＩ ｂｕｂｕｋ",
    "ẞ ß straße STRASSE",
    "İSTANBUL İ ı",
    "ǅ ǈ ǋ ﬁ ﬀ ²",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "ĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀ",
    "İİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİ",
    "a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a",
    "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a",
    "oleh-oleh-oleh-oleh oleh2 oleh22 oleh2222 2222 22 2",
    "buah-buahan-buahan sayur-mayur-mayur",
    "~kopi ~olah ~ ~~ olahan~",
    "- -- --- ,,, ... !!!",
    "الله العربية ٣",
    "中文 咖啡 一二三",
    "ไทย हिन्दी ქართული",
    "pengolahan pembuatan kerajinan menyulam memotong nya annya",
    "me mem meng meny pe pem peng di ber ter ke an kan",
];

fn nasty_index() -> Index {
    let mut index = Index::new(Arc::new(Words::builtin()));
    let c = center(1);
    index.put_center(c, "Telecenter ＫＯＴＡ İzmir \u{200b}", "Jawa ٢ Timur\0");
    for (n, text) in NASTY.iter().enumerate() {
        index.put(&listing(n as i64 + 1, c, text, text));
    }
    index.put(&listing(1000, c, "Keripik Pisang", "renyah"));
    index.put(&listing(1001, c, "Kopi Bubuk", "olahan robusta"));
    index
}

/// Every listing the search counts is on the pages, once.
fn check_totals(index: &Index, text: &str) {
    let mut q = query(text);
    q.limit = 10_000;
    let hits = index.search(&q);
    assert_eq!(hits.total as usize, hits.rowids.len(), "{text:?}");
    let mut rows = hits.rowids.clone();
    rows.sort_unstable();
    rows.dedup();
    assert_eq!(rows.len(), hits.rowids.len(), "{text:?}");
    assert!(hits.rowids.len() <= index.len(), "{text:?}");
}

#[test]
fn odd_text_never_panics_and_totals_match() {
    let index = nasty_index();
    for a in NASTY {
        check_totals(&index, a);
        for b in NASTY {
            check_totals(&index, &format!("{a} {b}"));
        }
    }
}

#[test]
fn the_stem_mark_cannot_be_reached_from_text() {
    let index = nasty_index();
    for text in ["~olah", "~kopi ~olah", "olah~"] {
        assert!(
            super::analyze::words(text).iter().all(|w| !w.contains('~')),
            "{text:?}"
        );
        assert_eq!(
            index.search(&query(text)).rowids,
            index.search(&query(&text.replace('~', " "))).rowids
        );
    }
    assert!(
        index
            .terms
            .iter()
            .filter(|t| t.surface)
            .all(|t| !t.text.contains('~'))
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    #[test]
    fn any_text_in_listings_and_queries_is_searched_safely(
        titles in proptest::collection::vec("\\PC{0,60}", 1..6),
        text in "\\PC{0,80}",
    ) {
        let mut index = nasty_index();
        let c = center(2);
        for (n, title) in titles.iter().enumerate() {
            index.put(&listing(5_000 + n as i64, c, title, &text));
        }
        check_totals(&index, &text);
        for title in &titles {
            check_totals(&index, title);
        }
    }
}

#[test]
fn a_place_typed_wrong_is_corrected_and_matches_its_centers() {
    let demo = demo();
    let hits = demo.0.search(&query("keripik blitr"));
    assert_eq!(hits.hints.corrected.as_deref(), Some("keripik blitar"));
    assert_eq!(
        demo.1[hits.rowids[0] as usize],
        "Keripik Pisang Kepok Original"
    );
    // A place of the word table, not of any center here, is corrected too.
    let hits = demo.0.search(&query("banyuwangii"));
    assert_eq!(hits.hints.corrected.as_deref(), Some("banyuwangi"));
}

#[test]
fn related_products_only_fill_a_short_list() {
    let id = center(9);
    let mut index = Index::new(Arc::new(Words::builtin()));
    index.put(&listing(1, id, "Ikan Cupang Halfmoon", ""));
    for rowid in 2..22 {
        index.put(&listing(rowid, id, &format!("Ikan Koi Kohaku {rowid}"), ""));
    }
    // Twenty koi fill a page: the cupang does not pad the list or the count.
    let hits = index.search(&query("koi"));
    assert_eq!(hits.total, 20);
    assert!(!hits.rowids.contains(&1));
    index.remove(21);
    assert_eq!(
        index.search(&query("koi")).total,
        20,
        "19 koi and the cupang"
    );
}

#[test]
fn a_word_found_only_in_a_misspelt_listing_still_offers_the_common_spelling() {
    let id = center(9);
    let mut index = Index::new(Arc::new(Words::builtin()));
    index.put(&listing(1, id, "Keripk Singkong", ""));
    for rowid in 2..60 {
        index.put(&listing(rowid, id, &format!("Keripik Pisang {rowid}"), ""));
    }
    let hits = index.search(&query("keripk"));
    assert_eq!(hits.rowids[0], 1, "the word as typed first");
    assert_eq!(hits.hints.corrected.as_deref(), Some("keripik"));
    // Two real words a letter apart, neither rare enough: no correction.
    for rowid in 60..70 {
        index.put(&listing(rowid, id, &format!("Sarung Tenun {rowid}"), ""));
    }
    for rowid in 70..100 {
        index.put(&listing(rowid, id, &format!("Sarang Burung {rowid}"), ""));
    }
    assert_eq!(index.search(&query("sarung")).hints.corrected, None);
}

/// A page is the slice of the one ordered list of all results: what the
/// search keeps of each page's best (a heap the size of the page and its
/// offset) agrees with the whole list, for each order, with ties of score,
/// price and date, and with listings matching some or all words.
#[test]
fn pages_are_slices_of_the_whole_ordered_list() {
    use rand::Rng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(16);
    let mut index = Index::new(Arc::new(Words::builtin()));
    let c = center(1);
    let words = ["keripik", "pisang", "pedas", "manis", "kopi", "tempe"];
    for rowid in 1..=300 {
        let title: Vec<&str> = (0..rng.gen_range(1..4))
            .map(|_| words[rng.gen_range(0..words.len())])
            .collect();
        index.put(&IndexedListing {
            price_idr: rng.gen_range(1..6) * 5_000,
            stock: rng.gen_range(0..3),
            updated_at_ms: rng.gen_range(1..4),
            ..listing(rowid, c, &title.join(" "), "")
        });
    }
    for text in [
        "keripik",
        "keripik pisang",
        "pisang pedas manis",
        "kopi tempe",
    ] {
        for sort in [
            Sort::Relevance,
            Sort::Newest,
            Sort::PriceAsc,
            Sort::PriceDesc,
        ] {
            let mut q = query(text);
            q.sort = sort;
            q.limit = 10_000;
            let whole = index.search(&q);
            assert_eq!(whole.total as usize, whole.rowids.len(), "{text} {sort:?}");
            // Ordered by price or date, only those matching the most words.
            let least = if sort == Sort::Relevance { 20 } else { 0 };
            assert!(whole.total > least, "{text} {sort:?}: {}", whole.total);
            q.limit = 7;
            let mut paged = Vec::new();
            for offset in (0..whole.rowids.len() + 7).step_by(7) {
                q.offset = offset as u32;
                let page = index.search(&q);
                assert_eq!(page.total, whole.total, "{text} {sort:?} {offset}");
                paged.extend(page.rowids);
            }
            assert_eq!(paged, whole.rowids, "{text} {sort:?}");
            let doc = |r: &i64| index.docs[index.slot_of[r] as usize];
            let key = |r: &i64| (doc(r).price_idr, -doc(r).updated_at_ms, *r);
            let keys: Vec<_> = whole.rowids.iter().map(key).collect();
            match sort {
                Sort::PriceAsc => assert!(keys.is_sorted(), "{text}: {keys:?}"),
                Sort::PriceDesc => assert!(
                    keys.windows(2)
                        .all(|w| (-w[0].0, w[0].1, w[0].2) <= (-w[1].0, w[1].1, w[1].2)),
                    "{text}: {keys:?}"
                ),
                Sort::Newest => assert!(
                    keys.windows(2)
                        .all(|w| (w[0].1, w[0].2) <= (w[1].1, w[1].2)),
                    "{text}: {keys:?}"
                ),
                Sort::Relevance => {}
            }
        }
    }
}
